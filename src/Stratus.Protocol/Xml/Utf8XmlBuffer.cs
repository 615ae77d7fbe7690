namespace Stratus.Protocol.Xml;

/// <summary>
/// A response document written straight to UTF-8 in pooled segments (<see cref="SegmentedBuffer"/>):
/// a large response (thousands of instances) is never held as a string or one array; the
/// gateway writes the segments to the HTTP response (<see cref="SegmentedBuffer.ToBody"/>). Text is
/// escaped as <see cref="XmlText.AppendEscaped"/> escapes it. Not thread-safe; dispose to return
/// the segments a body did not take.
/// </summary>
public sealed class Utf8XmlBuffer : SegmentedBuffer
{
    /// <summary>Writes markup (element names, declarations) as it is: no escaping.</summary>
    public void WriteRaw(string text) => WriteUtf8(text.AsSpan());

    /// <summary>Writes element text, escaped.</summary>
    public void WriteEscaped(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            ReadOnlySpan<byte> replacement;
            if (c < 0x20)
            {
                if (c is '\t' or '\n')
                {
                    continue;
                }
                replacement = c == '\r' ? "&#xD;"u8 : "\uFFFD"u8;
            }
            else if (c >= 0xD800)
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                if (!char.IsSurrogate(c) && c is not ('\uFFFE' or '\uFFFF'))
                {
                    continue;
                }
                replacement = "\uFFFD"u8;
            }
            else
            {
                switch (c)
                {
                    case '&':
                        replacement = "&amp;"u8;
                        break;
                    case '<':
                        replacement = "&lt;"u8;
                        break;
                    case '>':
                        replacement = "&gt;"u8;
                        break;
                    case '"':
                        replacement = "&quot;"u8;
                        break;
                    default:
                        continue;
                }
            }
            WriteUtf8(text.AsSpan(start, i - start));
            Write(replacement);
            start = i + 1;
        }
        WriteUtf8(text.AsSpan(start));
    }
}
