using System.Buffers;
using System.Text;

namespace Stratus.Protocol.Auth;

/// <summary>
/// The canonical-request pieces of Signature Version 4: URI encoding, the canonical path, the canonical
/// query string and canonical header values. Every method appends to a caller's builder so that one
/// request is canonicalised into a single buffer.
/// </summary>
internal static class SigV4Canonical
{
    private const string UpperHex = "0123456789ABCDEF";

    /// <summary>RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded.</summary>
    public static bool IsUnreserved(int c) =>
        (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c is '-' or '_' or '.' or '~';

    /// <summary>Appends the canonical URI (the second line of the canonical request).</summary>
    public static void AppendPath(StringBuilder sb, string rawPath, bool s3Rules)
    {
        if (rawPath.Length == 0)
        {
            sb.Append('/');
            return;
        }

        if (s3Rules)
        {
            // S3: each segment is decoded once and encoded once; slashes between segments are kept as sent.
            var rest = rawPath.AsSpan();
            while (true)
            {
                var slash = rest.IndexOf('/');
                var segment = slash < 0 ? rest : rest[..slash];
                AppendDecodedThenEncoded(sb, segment, plusIsSpace: false);
                if (slash < 0)
                {
                    break;
                }

                sb.Append('/');
                rest = rest[(slash + 1)..];
            }

            return;
        }

        // Every other service: remove dot segments and empty segments (as botocore and the AWS test suite
        // do), then encode the path as received, so an escape that arrived (%2F) is encoded again (%252F).
        Span<Range> stackRanges = stackalloc Range[32];
        var segments = 0;
        var path = rawPath.AsSpan();
        var ranges = stackRanges;
        Range[]? rented = null;
        try
        {
            var start = 0;
            for (var i = 0; i <= path.Length; i++)
            {
                if (i < path.Length && path[i] != '/')
                {
                    continue;
                }

                var segment = path[start..i];
                var range = new Range(start, i);
                start = i + 1;
                if (segment.Length == 0 || segment is ".")
                {
                    continue;
                }

                if (segment is "..")
                {
                    if (segments > 0)
                    {
                        segments--;
                    }

                    continue;
                }

                if (segments == ranges.Length)
                {
                    var bigger = ArrayPool<Range>.Shared.Rent(ranges.Length * 2);
                    ranges.CopyTo(bigger);
                    if (rented is not null)
                    {
                        ArrayPool<Range>.Shared.Return(rented);
                    }

                    rented = bigger;
                    ranges = bigger;
                }

                ranges[segments++] = range;
            }

            if (path[0] == '/')
            {
                sb.Append('/');
            }

            for (var s = 0; s < segments; s++)
            {
                if (s > 0)
                {
                    sb.Append('/');
                }

                AppendEncoded(sb, path[ranges[s]]);
            }

            if (segments > 0 && path[^1] == '/')
            {
                sb.Append('/');
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<Range>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Parses a raw query string into canonical (key, value) pairs: each component is percent-decoded
    /// (<c>+</c> read as a space, as form decoding and ASP.NET Core read it) and re-encoded per RFC 3986.
    /// The pairs are returned sorted by key, then by value, in byte order.
    /// </summary>
    public static List<KeyValuePair<string, string>> ParseQuery(string rawQuery)
    {
        var result = new List<KeyValuePair<string, string>>();
        var rest = rawQuery.AsSpan();
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? default : pair[(eq + 1)..];
            result.Add(new(CanonicalComponent(key), CanonicalComponent(value)));
        }

        if (result.Count > 1)
        {
            result.Sort(static (a, b) =>
            {
                var byKey = string.CompareOrdinal(a.Key, b.Key);
                return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
            });
        }

        return result;
    }

    /// <summary>Appends the canonical query string, leaving out the parameter named <paramref name="skipKey"/>.</summary>
    public static void AppendQuery(StringBuilder sb, List<KeyValuePair<string, string>> query, string? skipKey)
    {
        var first = true;
        foreach (var (key, value) in query)
        {
            if (skipKey is not null && string.Equals(key, skipKey, StringComparison.Ordinal))
            {
                continue;
            }

            if (!first)
            {
                sb.Append('&');
            }

            first = false;
            sb.Append(key).Append('=').Append(value);
        }
    }

    /// <summary>
    /// Appends a header value as SigV4 canonicalises it: leading and trailing whitespace removed and every
    /// inner run of whitespace collapsed to one space.
    /// </summary>
    public static void AppendHeaderValue(StringBuilder sb, string value)
    {
        var span = value.AsSpan().Trim();
        var pendingSpace = false;
        var runStart = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                if (!pendingSpace)
                {
                    sb.Append(span[runStart..i]);
                    pendingSpace = true;
                }

                continue;
            }

            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
                runStart = i;
            }
        }

        if (!pendingSpace)
        {
            sb.Append(span[runStart..]);
        }
    }

    /// <summary>Returns the canonical (decoded, then RFC 3986-encoded) form of one query component.</summary>
    public static string CanonicalComponent(ReadOnlySpan<char> raw)
    {
        var clean = true;
        foreach (var c in raw)
        {
            if (!IsUnreserved(c))
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return raw.ToString();
        }

        var sb = new StringBuilder(raw.Length * 3);
        AppendDecodedThenEncoded(sb, raw, plusIsSpace: true);
        return sb.ToString();
    }

    /// <summary>Percent-decodes a canonical component back to text (for reading X-Amz-* parameters).</summary>
    public static string Decode(string canonical) =>
        canonical.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(canonical) : canonical;

    /// <summary>Appends <paramref name="text"/> URI-encoded: unreserved characters and '/' as they are, others as UTF-8 escapes.</summary>
    private static void AppendEncoded(StringBuilder sb, ReadOnlySpan<char> text)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (IsUnreserved(c) || c == '/')
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (c < 0x80)
            {
                AppendEscape(sb, (byte)c);
                i++;
                continue;
            }

            if (Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
            }

            var written = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < written; b++)
            {
                AppendEscape(sb, utf8[b]);
            }

            i += Math.Max(consumed, 1);
        }
    }

    /// <summary>
    /// Decodes percent escapes in <paramref name="raw"/> to bytes (other characters as their UTF-8 bytes)
    /// and appends those bytes RFC 3986-encoded. A '%' that does not start a valid escape is taken literally.
    /// </summary>
    private static void AppendDecodedThenEncoded(StringBuilder sb, ReadOnlySpan<char> raw, bool plusIsSpace)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var i = 0;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                AppendByte(sb, (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2])));
                i += 3;
                continue;
            }

            if (c == '+' && plusIsSpace)
            {
                AppendEscape(sb, (byte)' ');
                i++;
                continue;
            }

            if (c < 0x80)
            {
                AppendByte(sb, (byte)c);
                i++;
                continue;
            }

            if (Rune.DecodeFromUtf16(raw[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
            }

            var written = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < written; b++)
            {
                AppendEscape(sb, utf8[b]);
            }

            i += Math.Max(consumed, 1);
        }
    }

    private static void AppendByte(StringBuilder sb, byte b)
    {
        if (IsUnreserved(b))
        {
            sb.Append((char)b);
        }
        else
        {
            AppendEscape(sb, b);
        }
    }

    private static void AppendEscape(StringBuilder sb, byte b) =>
        sb.Append('%').Append(UpperHex[b >> 4]).Append(UpperHex[b & 0xF]);

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
