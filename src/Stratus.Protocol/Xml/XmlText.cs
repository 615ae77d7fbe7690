using System.Text;

namespace Stratus.Protocol.Xml;

/// <summary>
/// What XML 1.0 can carry. Request strings that contain characters it cannot (U+0000–U+001F except
/// tab, line feed and carriage return, U+FFFE, U+FFFF and unpaired surrogates) are refused by every
/// parser; every XML serializer still replaces such characters (with U+FFFD) so that nothing already
/// stored can make a response unparseable.
/// </summary>
public static class XmlText
{
    /// <summary>Index of the first character XML 1.0 cannot carry, or -1.</summary>
    public static int IndexOfInvalid(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20)
            {
                if (c is not ('\t' or '\n' or '\r'))
                {
                    return i;
                }
            }
            else if (c >= 0xD800)
            {
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        i++;
                        continue;
                    }
                    return i;
                }
                if (char.IsLowSurrogate(c) || c is '\uFFFE' or '\uFFFF')
                {
                    return i;
                }
            }
        }
        return -1;
    }

    public static bool IsValid(string text) => IndexOfInvalid(text) < 0;

    /// <summary>The text with every character XML 1.0 cannot carry replaced by U+FFFD.</summary>
    public static string Sanitize(string text)
    {
        var first = IndexOfInvalid(text);
        if (first < 0)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')
            {
                sb.Append('\uFFFD');
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// Appends element text: markup characters as entities, carriage return as <c>&amp;#xD;</c>
    /// (so it survives end-of-line normalisation), characters XML cannot carry as U+FFFD.
    /// </summary>
    public static void AppendEscaped(StringBuilder sb, string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            string? replacement;
            if (c < 0x20)
            {
                replacement = c switch
                {
                    '\r' => "&#xD;",
                    '\t' or '\n' => null,
                    _ => "\uFFFD",
                };
            }
            else if (c >= 0xD800)
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                replacement = char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' ? "\uFFFD" : null;
            }
            else
            {
                replacement = c switch
                {
                    '&' => "&amp;",
                    '<' => "&lt;",
                    '>' => "&gt;",
                    '"' => "&quot;",
                    _ => null,
                };
            }
            if (replacement is not null)
            {
                sb.Append(text, start, i - start).Append(replacement);
                start = i + 1;
            }
        }
        sb.Append(text, start, text.Length - start);
    }

    /// <summary>A value to quote in an error message: control and unpaired characters shown as <c>\uXXXX</c>, at most 256 characters.</summary>
    public static string Shown(string text)
    {
        var cut = text.Length > 256 ? text[..256] + "..." : text;
        var first = IndexOfInvalid(cut);
        if (first < 0)
        {
            return cut;
        }
        var sb = new StringBuilder(cut.Length + 16);
        for (var i = 0; i < cut.Length; i++)
        {
            var c = cut[i];
            if (char.IsHighSurrogate(c) && i + 1 < cut.Length && char.IsLowSurrogate(cut[i + 1]))
            {
                sb.Append(c).Append(cut[++i]);
            }
            else if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')
            {
                sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
