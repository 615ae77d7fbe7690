using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Instances;

namespace Stratus.Server.Imds;

/// <summary>
/// The instance identity document (<c>/latest/dynamic/instance-identity/document</c>) and its
/// signatures. AWS signs with per-region AWS certificates; Stratus signs with its own key
/// (<see cref="MetadataKeys"/>), so documents verify against Stratus's certificate — served at
/// <c>/_stratus/imds/certificate</c> on the API endpoint and kept in <c>&lt;data-dir&gt;/imds/identity-cert.pem</c>:
/// <list type="bullet">
/// <item><c>signature</c>: RSA PKCS#1 v1.5 with SHA-256 over the document's bytes, base64.</item>
/// <item><c>pkcs7</c> and <c>rsa2048</c>: a detached PKCS#7 (CMS) SignedData over the document, signed
/// with the same key and SHA-256, base64 without PEM armour (AWS uses DSA for <c>pkcs7</c>; Stratus has one RSA key).</item>
/// </list>
/// </summary>
internal static class IdentityDocument
{
    /// <summary>The document as AWS formats it: pretty-printed JSON with <c>" : "</c> separators, fields in AWS's order.</summary>
    public static string Build(InstanceResource instance, string region)
    {
        var fields = new (string Name, string? Value)[]
        {
            ("accountId", instance.OwnerId),
            ("architecture", instance.Architecture),
            ("availabilityZone", instance.AvailabilityZone),
            ("billingProducts", null),
            ("devpayProductCodes", null),
            ("marketplaceProductCodes", null),
            ("imageId", instance.ImageId),
            ("instanceId", instance.Id),
            ("instanceType", instance.InstanceType),
            ("kernelId", null),
            ("pendingTime", instance.LaunchTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            ("privateIp", instance.PrivateIpAddress),
            ("ramdiskId", null),
            ("region", region),
            ("version", "2017-09-30"),
        };
        var sb = new StringBuilder("{\n");
        for (var i = 0; i < fields.Length; i++)
        {
            var (name, value) = fields[i];
            sb.Append("  \"").Append(name).Append("\" : ").Append(value is null ? "null" : JsonSerializer.Serialize(value, InstanceMetadata.RelaxedJson));
            sb.Append(i < fields.Length - 1 ? ",\n" : "\n");
        }
        return sb.Append('}').ToString();
    }

    /// <summary>The base64 RSA-SHA256 signature of the document.</summary>
    public static string Signature(string document, X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("the identity certificate has no RSA private key");
        return Wrap(rsa.SignData(Encoding.UTF8.GetBytes(document), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary>
    /// A detached PKCS#7 (CMS, RFC 5652) SignedData over the document, base64 without PEM armour:
    /// SHA-256 digest, RSA signature directly over the content (no signed attributes), the
    /// signer identified by issuer and serial number, its certificate included.
    /// </summary>
    public static string Pkcs7(string document, X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("the identity certificate has no RSA private key");
        var signature = rsa.SignData(Encoding.UTF8.GetBytes(document), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier("1.2.840.113549.1.7.2"); // signedData
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                {
                    WriteAlgorithm(writer, Sha256Oid, withNull: false);
                }
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier("1.2.840.113549.1.7.1"); // data, detached
                }
                using (writer.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                {
                    writer.WriteEncodedValue(certificate.RawData);
                }
                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteInteger(1);
                    using (writer.PushSequence())
                    {
                        writer.WriteEncodedValue(certificate.IssuerName.RawData);
                        writer.WriteInteger(certificate.SerialNumberBytes.Span);
                    }
                    WriteAlgorithm(writer, Sha256Oid, withNull: false);
                    WriteAlgorithm(writer, "1.2.840.113549.1.1.1", withNull: true); // rsaEncryption
                    writer.WriteOctetString(signature);
                }
            }
        }
        return Wrap(writer.Encode());
    }

    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";

    private static void WriteAlgorithm(AsnWriter writer, string oid, bool withNull)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (withNull)
            {
                writer.WriteNull();
            }
        }
    }

    /// <summary>Base64 in lines of 64 characters, as AWS returns its signatures.</summary>
    private static string Wrap(byte[] bytes)
    {
        var text = Convert.ToBase64String(bytes);
        var sb = new StringBuilder(text.Length + (text.Length / 64));
        for (var i = 0; i < text.Length; i += 64)
        {
            if (i > 0)
            {
                sb.Append('\n');
            }
            sb.Append(text.AsSpan(i, Math.Min(64, text.Length - i)));
        }
        return sb.ToString();
    }
}
