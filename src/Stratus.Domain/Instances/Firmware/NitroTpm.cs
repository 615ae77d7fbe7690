using System.Security.Cryptography;
using Stratus.Core;

namespace Stratus.Domain.Instances.Firmware;

/// <summary>The public endorsement keys of an instance's NitroTPM, each as a DER SubjectPublicKeyInfo (base64).</summary>
public sealed record TpmEndorsementKeys(string RsaPublicKey, string EccPublicKey);

/// <summary>
/// NitroTPM endorsement keys. An instance gets a TPM when its image declares <c>TpmSupport</c>
/// <c>v2.0</c>, it boots with UEFI and its type supports NitroTPM; its endorsement keys
/// (RSA 2048 and ECC NIST P-384) are generated at launch and kept for the instance's life.
/// GetInstanceTpmEkPub answers a public key as <c>der</c> (SubjectPublicKeyInfo, what OpenSSL
/// reads) or <c>tpmt</c> (a TPMT_PUBLIC of the TCG EK Credential Profile's default templates, what
/// tpm2-tools reads), base64-encoded.
/// </summary>
public static class NitroTpm
{
    public static readonly IReadOnlyList<string> KeyTypes = ["rsa-2048", "ecc-sec-p384"];
    public static readonly IReadOnlyList<string> KeyFormats = ["der", "tpmt"];

    // TCG EK Credential Profile: policy A (SHA-256) for the RSA 2048 template, policy B (SHA-384) for ECC P-384.
    private static readonly byte[] PolicyASha256 = Convert.FromHexString("837197674484B3F81A90CC8D46A5D724FD52D76E06520B64F2A1DA1B331469AA");
    private static readonly byte[] PolicyBSha384 = Convert.FromHexString("B26E7D28D11A50BC53D882BCF5FD3A1A074148BB35D3B4E4CB1C0AD9BDE419CACB47BA09699646150F9FC000F3F80E12");

    /// <summary>Whether an instance launched from an image with <paramref name="imageTpmSupport"/> on a type with <paramref name="typeTpmSupport"/> has a NitroTPM.</summary>
    public static bool HasTpm(string? imageTpmSupport, string? typeTpmSupport, bool bootsUefi) =>
        imageTpmSupport == "v2.0" && typeTpmSupport == "supported" && bootsUefi;

    /// <summary>New endorsement keys for one instance.</summary>
    public static TpmEndorsementKeys Generate()
    {
        using var rsa = RSA.Create(2048);
        using var ecc = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        return new TpmEndorsementKeys(
            Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(ecc.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Checks KeyType and KeyFormat as EC2 does.</summary>
    public static void CheckRequest(string? keyType, string? keyFormat)
    {
        if (keyType is null)
        {
            throw AwsErrors.MissingParameter("KeyType");
        }
        if (keyFormat is null)
        {
            throw AwsErrors.MissingParameter("KeyFormat");
        }
        if (!KeyTypes.Contains(keyType))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({keyType}) for parameter keyType is invalid. Valid values are: {string.Join(", ", KeyTypes)}.");
        }
        if (!KeyFormats.Contains(keyFormat))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({keyFormat}) for parameter keyFormat is invalid. Valid values are: {string.Join(", ", KeyFormats)}.");
        }
    }

    /// <summary>The public key of <paramref name="keyType"/> in <paramref name="keyFormat"/>, base64-encoded.</summary>
    public static string PublicKey(TpmEndorsementKeys keys, string keyType, string keyFormat)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var der = keyType == "rsa-2048" ? keys.RsaPublicKey : keys.EccPublicKey;
        if (keyFormat == "der")
        {
            return der;
        }
        var spki = Convert.FromBase64String(der);
        return Convert.ToBase64String(keyType == "rsa-2048" ? RsaTpmt(spki) : EccTpmt(spki));
    }

    private static byte[] RsaTpmt(byte[] spki)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        var modulus = rsa.ExportParameters(false).Modulus!;
        var w = new TpmWriter();
        w.U16(0x0001);          // TPM_ALG_RSA
        w.U16(0x000B);          // nameAlg SHA-256
        w.U32(0x000300B2);      // fixedTPM fixedParent sensitiveDataOrigin adminWithPolicy restricted decrypt
        w.Sized(PolicyASha256);
        w.U16(0x0006); w.U16(128); w.U16(0x0043); // AES-128-CFB
        w.U16(0x0010);          // scheme NULL
        w.U16(2048);            // keyBits
        w.U32(0);               // default exponent
        w.Sized(modulus);
        return w.ToArray();
    }

    private static byte[] EccTpmt(byte[] spki)
    {
        using var ecc = ECDsa.Create();
        ecc.ImportSubjectPublicKeyInfo(spki, out _);
        var point = ecc.ExportParameters(false).Q;
        var w = new TpmWriter();
        w.U16(0x0023);          // TPM_ALG_ECC
        w.U16(0x000C);          // nameAlg SHA-384
        w.U32(0x000300F2);      // as above, with userWithAuth
        w.Sized(PolicyBSha384);
        w.U16(0x0006); w.U16(256); w.U16(0x0043); // AES-256-CFB
        w.U16(0x0010);          // scheme NULL
        w.U16(0x0004);          // TPM_ECC_NIST_P384
        w.U16(0x0010);          // kdf NULL
        w.Sized(point.X!);
        w.Sized(point.Y!);
        return w.ToArray();
    }

    /// <summary>Big-endian TPM 2.0 marshalling of the few types a TPMT_PUBLIC needs.</summary>
    private sealed class TpmWriter
    {
        private readonly List<byte> _buffer = [];

        public void U16(int value)
        {
            _buffer.Add((byte)(value >> 8));
            _buffer.Add((byte)value);
        }

        public void U32(uint value)
        {
            U16((int)(value >> 16));
            U16((int)(value & 0xFFFF));
        }

        public void Sized(byte[] data)
        {
            U16(data.Length);
            _buffer.AddRange(data);
        }

        public byte[] ToArray() => [.. _buffer];
    }
}
