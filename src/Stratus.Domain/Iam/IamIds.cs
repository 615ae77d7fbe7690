using System.Security.Cryptography;

namespace Stratus.Domain.Iam;

/// <summary>IAM's unique ids: a four-letter prefix (<c>AROA</c> for roles, <c>AIDA</c> for users, ...) and 17 characters of upper-case letters and digits.</summary>
public static class IamIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string New(string prefix) => prefix + string.Create(17, 0, (span, _) =>
    {
        Span<byte> random = stackalloc byte[17];
        RandomNumberGenerator.Fill(random);
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = Alphabet[random[i] & 31];
        }
    });

    /// <summary>A stable id derived from <paramref name="seed"/> (the role of an instance profile, which Stratus does not store yet).</summary>
    public static string Derived(string prefix, string seed)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed));
        return prefix + string.Create(17, hash, (span, h) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[h[i] & 31];
            }
        });
    }
}
