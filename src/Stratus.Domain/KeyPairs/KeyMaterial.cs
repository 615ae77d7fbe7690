using System.Security.Cryptography;
using System.Text;
using Stratus.Core;

namespace Stratus.Domain.KeyPairs;

/// <summary>A key pair Stratus made: the private key, handed out once, and what is kept.</summary>
/// <param name="PrivateKeyMaterial">The private key in the requested format (PEM or PPK).</param>
/// <param name="PublicKey">The public key as one OpenSSH line (<c>ssh-rsa AAAA... name</c>).</param>
public sealed record GeneratedKey(string KeyType, string PrivateKeyMaterial, string PublicKey, string Fingerprint);

/// <summary>A public key given to ImportKeyPair, in OpenSSH form, with EC2's fingerprint of it.</summary>
public sealed record ImportedKey(string KeyType, string PublicKey, string Fingerprint);

/// <summary>
/// Key material as EC2 makes and reads it.
/// <list type="bullet">
/// <item>CreateKeyPair: RSA 2048 as an unencrypted PKCS#1 PEM (<c>BEGIN RSA PRIVATE KEY</c>), Ed25519
/// as an OpenSSH private key (<c>BEGIN OPENSSH PRIVATE KEY</c>), either as a PuTTY key file with
/// KeyFormat ppk.</item>
/// <item>ImportKeyPair: RSA (1024 to 4096 bits) and Ed25519 public keys in OpenSSH format, RFC 4716
/// (<c>---- BEGIN SSH2 PUBLIC KEY ----</c>), PEM or (base64) DER SubjectPublicKeyInfo, and PKCS#1
/// RSA public keys. Anything else is <c>InvalidKey.Format</c>.</item>
/// <item>Fingerprints as EC2 computes them: for created RSA keys the SHA-1 of the DER PKCS#8 private
/// key, for imported RSA keys the MD5 of the DER SubjectPublicKeyInfo (both lowercase hex pairs
/// joined by colons, what <c>openssl ... | openssl sha1 -c</c> / <c>md5 -c</c> print), for Ed25519
/// keys the padded base64 of the SHA-256 of the SSH public key blob (what <c>ssh-keygen -l</c> shows
/// after <c>SHA256:</c>, plus the <c>=</c> padding).</item>
/// </list>
/// </summary>
public static class KeyMaterial
{
    public const string Rsa = "rsa";
    public const string Ed25519Type = "ed25519";
    public const string Pem = "pem";
    public const string Ppk = "ppk";

    private const string SshRsa = "ssh-rsa";
    private const string SshEd25519 = "ssh-ed25519";
    private const int CreatedRsaBits = 2048;
    private const int MinImportedRsaBits = 1024;
    private const int MaxImportedRsaBits = 4096;

    private static readonly byte[] Ed25519SpkiPrefix = Convert.FromHexString("302a300506032b6570032100");

    /// <summary>Makes a new key pair of <paramref name="keyType"/> (rsa or ed25519) with its private key in <paramref name="keyFormat"/> (pem or ppk).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "EC2 defines the fingerprint of a created RSA key as SHA-1; it identifies, it does not protect.")]
    public static GeneratedKey Generate(string keyType, string keyFormat, string keyName)
    {
        var comment = keyName;
        switch (keyType)
        {
            case Rsa:
                {
                    using var rsa = RSA.Create(CreatedRsaBits);
                    var p = rsa.ExportParameters(includePrivateParameters: true);
                    var blob = RsaBlob(p.Exponent!, p.Modulus!);
                    var privateKey = keyFormat == Ppk
                        ? PuttyKeyFile.Write(SshRsa, blob, new SshWriter().MPInt(p.D).MPInt(p.P).MPInt(p.Q).MPInt(p.InverseQ).ToArray(), comment)
                        : rsa.ExportRSAPrivateKeyPem();
                    return new GeneratedKey(Rsa, privateKey, OpenSshLine(SshRsa, blob, comment), ColonHex(SHA1.HashData(rsa.ExportPkcs8PrivateKey())));
                }
            case Ed25519Type:
                {
                    var (seed, publicKey) = Ed25519.Generate();
                    var blob = Ed25519Blob(publicKey);
                    var privateKey = keyFormat == Ppk
                        ? PuttyKeyFile.Write(SshEd25519, blob, new SshWriter().String(seed).ToArray(), comment)
                        : OpenSshEd25519PrivateKey(seed, publicKey, blob, comment);
                    return new GeneratedKey(Ed25519Type, privateKey, OpenSshLine(SshEd25519, blob, comment), Ed25519Fingerprint(blob));
                }
            default:
                throw AwsErrors.InvalidParameterValue($"Value ({keyType}) for parameter keyType is invalid. Valid values are rsa and ed25519.");
        }
    }

    /// <summary>Reads the PublicKeyMaterial of ImportKeyPair, or refuses it with <c>InvalidKey.Format</c>.</summary>
    public static ImportedKey Import(byte[] material)
    {
        try
        {
            return ImportOrThrow(material);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            throw InvalidFormat();
        }
    }

    /// <summary>The OpenSSH public key line without its comment (<c>ssh-rsa AAAA...</c>).</summary>
    public static string WithoutComment(string publicKey)
    {
        var fields = publicKey.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 ? fields[0] + " " + fields[1] : publicKey;
    }

    private static AwsException InvalidFormat() => new("InvalidKey.Format", "Key is not in valid OpenSSH public key format");

    private static ImportedKey ImportOrThrow(byte[] material)
    {
        if (AsText(material) is { } text)
        {
            if (text.StartsWith("---- BEGIN SSH2 PUBLIC KEY ----", StringComparison.Ordinal))
            {
                return FromSshBlob(Rfc4716Body(text), expectedAlgorithm: null, comment: null);
            }
            if (text.StartsWith("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal))
            {
                return FromSpki(PemBody(text, "PUBLIC KEY"));
            }
            if (text.StartsWith("-----BEGIN RSA PUBLIC KEY-----", StringComparison.Ordinal))
            {
                using var rsa = RSA.Create();
                rsa.ImportRSAPublicKey(PemBody(text, "RSA PUBLIC KEY"), out var read);
                return read > 0 ? FromRsa(rsa.ExportParameters(false)) : throw InvalidFormat();
            }
            var fields = text.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length >= 2 && !text.Contains('\n', StringComparison.Ordinal) && IsSshAlgorithmName(fields[0]))
            {
                return FromSshBlob(Convert.FromBase64String(fields[1]), fields[0], fields.Length == 3 ? fields[2] : null);
            }
            // Base64-encoded DER.
            return FromSpkiOrPkcs1(Convert.FromBase64String(string.Concat(text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))));
        }
        return FromSpkiOrPkcs1(material);
    }

    private static bool IsSshAlgorithmName(string name) =>
        name.Length < 64 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '@' or '.') && name.Contains('-', StringComparison.Ordinal);

    /// <summary>The material as text when it is printable ASCII, else null (binary DER).</summary>
    private static string? AsText(byte[] material)
    {
        foreach (var b in material)
        {
            if (b is not ((>= 0x20 and < 0x7f) or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return null;
            }
        }
        var text = Encoding.ASCII.GetString(material).Trim();
        return text.Length == 0 ? null : text;
    }

    private static ImportedKey FromSshBlob(byte[] blob, string? expectedAlgorithm, string? comment)
    {
        var reader = new SshReader(blob);
        var algorithm = reader.AsciiString();
        if (expectedAlgorithm is not null && expectedAlgorithm != algorithm)
        {
            throw InvalidFormat();
        }
        switch (algorithm)
        {
            case SshRsa:
                {
                    var e = reader.MPInt();
                    var n = reader.MPInt();
                    if (!reader.AtEnd)
                    {
                        throw InvalidFormat();
                    }
                    return FromRsa(new RSAParameters { Exponent = e, Modulus = n }, comment);
                }
            case SshEd25519:
                {
                    var publicKey = reader.String();
                    if (!reader.AtEnd || publicKey.Length != Ed25519.KeySize)
                    {
                        throw InvalidFormat();
                    }
                    return FromEd25519(publicKey, comment);
                }
            default:
                throw InvalidFormat();
        }
    }

    private static ImportedKey FromSpkiOrPkcs1(byte[] der)
    {
        if (der.Length > 0 && TryEd25519Spki(der) is { } ed)
        {
            return FromEd25519(ed, null);
        }
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(der, out var read);
            if (read != der.Length)
            {
                throw InvalidFormat();
            }
        }
        catch (CryptographicException)
        {
            rsa.ImportRSAPublicKey(der, out var read);
            if (read != der.Length)
            {
                throw InvalidFormat();
            }
        }
        return FromRsa(rsa.ExportParameters(false));
    }

    private static ImportedKey FromSpki(byte[] der)
    {
        if (TryEd25519Spki(der) is { } ed)
        {
            return FromEd25519(ed, null);
        }
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(der, out var read);
        return read == der.Length ? FromRsa(rsa.ExportParameters(false)) : throw InvalidFormat();
    }

    private static byte[]? TryEd25519Spki(byte[] der) =>
        der.Length == Ed25519SpkiPrefix.Length + Ed25519.KeySize && der.AsSpan().StartsWith(Ed25519SpkiPrefix)
            ? der[Ed25519SpkiPrefix.Length..]
            : null;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351", Justification = "EC2 defines the fingerprint of an imported RSA key as MD5; it identifies, it does not protect.")]
    private static ImportedKey FromRsa(RSAParameters parameters, string? comment = null)
    {
        var modulus = parameters.Modulus.AsSpan().TrimStart((byte)0).ToArray();
        var exponent = parameters.Exponent.AsSpan().TrimStart((byte)0).ToArray();
        if (modulus.Length == 0 || exponent.Length == 0 || (exponent[^1] & 1) == 0 || (modulus[^1] & 1) == 0)
        {
            throw InvalidFormat();
        }
        var bits = (modulus.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]) + 24;
        if (bits is < MinImportedRsaBits or > MaxImportedRsaBits)
        {
            throw new AwsException("InvalidKey.Format", $"Key is not in valid OpenSSH public key format: RSA keys of {bits} bits are not supported (1024 to 4096 bits are).");
        }
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = exponent });
        var fingerprint = ColonHex(MD5.HashData(rsa.ExportSubjectPublicKeyInfo()));
        return new ImportedKey(Rsa, OpenSshLine(SshRsa, RsaBlob(exponent, modulus), comment), fingerprint);
    }

    private static ImportedKey FromEd25519(byte[] publicKey, string? comment)
    {
        var blob = Ed25519Blob(publicKey);
        return new ImportedKey(Ed25519Type, OpenSshLine(SshEd25519, blob, comment), Ed25519Fingerprint(blob));
    }

    private static byte[] Rfc4716Body(string text)
    {
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var end = Array.FindIndex(lines, l => l.Trim() == "---- END SSH2 PUBLIC KEY ----");
        if (end < 0)
        {
            throw InvalidFormat();
        }
        var body = new StringBuilder();
        var continued = false;
        for (var i = 1; i < end; i++)
        {
            var line = lines[i].Trim();
            // Headers ("Comment: ...") may continue over lines ending in a backslash.
            if (continued || line.Contains(':', StringComparison.Ordinal))
            {
                continued = line.EndsWith('\\');
                continue;
            }
            body.Append(line);
        }
        return Convert.FromBase64String(body.ToString());
    }

    private static byte[] PemBody(string text, string label)
    {
        var begin = $"-----BEGIN {label}-----";
        var endMarker = $"-----END {label}-----";
        var end = text.IndexOf(endMarker, StringComparison.Ordinal);
        if (end < 0)
        {
            throw InvalidFormat();
        }
        return Convert.FromBase64String(string.Concat(text[begin.Length..end].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
    }

    internal static byte[] RsaBlob(byte[] exponent, byte[] modulus) => new SshWriter().String(SshRsa).MPInt(exponent).MPInt(modulus).ToArray();

    internal static byte[] Ed25519Blob(byte[] publicKey) => new SshWriter().String(SshEd25519).String(publicKey).ToArray();

    private static string OpenSshLine(string algorithm, byte[] blob, string? comment) =>
        algorithm + " " + Convert.ToBase64String(blob) + (string.IsNullOrWhiteSpace(comment) ? "" : " " + comment.Trim());

    private static string Ed25519Fingerprint(byte[] blob) => Convert.ToBase64String(SHA256.HashData(blob));

    private static string ColonHex(byte[] digest) => string.Join(':', digest.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>An unencrypted OpenSSH private key file (PROTOCOL.key) holding one Ed25519 key.</summary>
    private static string OpenSshEd25519PrivateKey(byte[] seed, byte[] publicKey, byte[] blob, string comment)
    {
        var check = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        var secret = new SshWriter()
            .UInt32(check).UInt32(check)
            .String(SshEd25519)
            .String(publicKey)
            .String([.. seed, .. publicKey])
            .String(Encoding.UTF8.GetBytes(comment));
        for (byte pad = 1; secret.Length % 8 != 0; pad++)
        {
            secret.Raw([pad]);
        }
        var file = new SshWriter()
            .Raw("openssh-key-v1\0"u8)
            .String("none")
            .String("none")
            .String([])
            .UInt32(1)
            .String(blob)
            .String(secret.ToArray())
            .ToArray();
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Wrap(Convert.ToBase64String(file), 70) + "-----END OPENSSH PRIVATE KEY-----\n";
    }

    internal static string Wrap(string base64, int width)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < base64.Length; i += width)
        {
            sb.Append(base64.AsSpan(i, Math.Min(width, base64.Length - i))).Append('\n');
        }
        return sb.ToString();
    }
}
