using System.Text;

namespace Stratus.Protocol;

/// <summary>
/// Decodes <c>application/x-www-form-urlencoded</c> bodies and query strings into key/value pairs,
/// in arrival order. Both <c>+</c> and <c>%20</c> decode to a space; percent escapes are UTF-8.
/// </summary>
public static class FormDecoder
{
    public static List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> form)
    {
        var result = new List<KeyValuePair<string, string>>();
        while (!form.IsEmpty)
        {
            var amp = form.IndexOf((byte)'&');
            var pair = amp < 0 ? form : form[..amp];
            form = amp < 0 ? [] : form[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }
            var eq = pair.IndexOf((byte)'=');
            var key = Unescape(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? string.Empty : Unescape(pair[(eq + 1)..]);
            result.Add(new(key, value));
        }
        return result;
    }

    public static List<KeyValuePair<string, string>> Decode(string form) => Decode(Encoding.UTF8.GetBytes(form));

    private static string Unescape(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOfAny((byte)'%', (byte)'+') < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }
        var buffer = raw.Length <= 512 ? stackalloc byte[raw.Length] : new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == '+')
            {
                buffer[n++] = (byte)' ';
            }
            else if (b == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                buffer[n++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else
            {
                buffer[n++] = b;
            }
        }
        return Encoding.UTF8.GetString(buffer[..n]);
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
