using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Domain.KeyPairs;

/// <summary>
/// An unencrypted PuTTY private key file, format version 2 (what KeyFormat ppk returns): the
/// public and private blobs in base64 lines of 64 and an HMAC-SHA-1 over both, keyed with
/// SHA-1("putty-private-key-file-mac-key") as PuTTY does for an empty passphrase. Version 2 is read
/// by every PuTTY and PuTTYgen release, old and new.
/// </summary>
internal static class PuttyKeyFile
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The PuTTY key file format version 2 defines its MAC as HMAC-SHA-1.")]
    public static string Write(string algorithm, byte[] publicBlob, byte[] privateBlob, string comment)
    {
        const string encryption = "none";
        var macKey = SHA1.HashData("putty-private-key-file-mac-key"u8);
        var macData = new SshWriter()
            .String(algorithm)
            .String(encryption)
            .String(Encoding.UTF8.GetBytes(comment))
            .String(publicBlob)
            .String(privateBlob)
            .ToArray();
        var mac = Convert.ToHexStringLower(HMACSHA1.HashData(macKey, macData));
        var publicLines = KeyMaterial.Wrap(Convert.ToBase64String(publicBlob), 64);
        var privateLines = KeyMaterial.Wrap(Convert.ToBase64String(privateBlob), 64);
        var sb = new StringBuilder();
        sb.Append("PuTTY-User-Key-File-2: ").Append(algorithm).Append('\n');
        sb.Append("Encryption: ").Append(encryption).Append('\n');
        sb.Append("Comment: ").Append(comment).Append('\n');
        sb.Append("Public-Lines: ").Append(CountLines(publicLines)).Append('\n').Append(publicLines);
        sb.Append("Private-Lines: ").Append(CountLines(privateLines)).Append('\n').Append(privateLines);
        sb.Append("Private-MAC: ").Append(mac).Append('\n');
        return sb.ToString();
    }

    private static string CountLines(string lines) => lines.Count(c => c == '\n').ToString(CultureInfo.InvariantCulture);
}
