using System.Security.Cryptography;

namespace Stratus.Domain.Resources;

/// <summary>
/// Resource ids shaped like AWS's: a type prefix, a dash and 17 lowercase hex digits
/// (<c>i-0123456789abcdef0</c>, <c>vpc-...</c>, <c>sg-...</c>). AWS also accepts the older
/// 8-digit form, so well-formedness allows both.
/// </summary>
public static class ResourceIds
{
    public static string New(string prefix)
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return prefix + "-" + Convert.ToHexStringLower(bytes)[..17];
    }

    public static bool IsWellFormed(string prefix, string id)
    {
        if (id.Length != prefix.Length + 1 + 17 && id.Length != prefix.Length + 1 + 8)
        {
            return false;
        }
        if (!id.StartsWith(prefix, StringComparison.Ordinal) || id[prefix.Length] != '-')
        {
            return false;
        }
        foreach (var c in id.AsSpan(prefix.Length + 1))
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A 12-digit AWS account id.</summary>
    public static string NewAccountId()
    {
        Span<char> digits = stackalloc char[12];
        digits[0] = (char)('1' + RandomNumberGenerator.GetInt32(9));
        for (var i = 1; i < digits.Length; i++)
        {
            digits[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
        }
        return new string(digits);
    }

    /// <summary>An access key id like AWS's long-term keys: AKIA and 16 base-32 characters.</summary>
    public static string NewAccessKeyId() => "AKIA" + RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);

    /// <summary>A 40-character secret access key.</summary>
    public static string NewSecretAccessKey() =>
        RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);

    private static string RandomString(string alphabet, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }
        return new string(chars);
    }
}
