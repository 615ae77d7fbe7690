using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Stratus.Server.Imds;

/// <summary>
/// The per-server secrets of the metadata service, kept under <c>&lt;data-dir&gt;/imds/</c> so they
/// survive restarts (tokens and credentials issued before a restart stay valid):
/// <list type="bullet">
/// <item><c>secret.bin</c>: 32 random bytes; the HMAC key of IMDSv2 tokens and of instance-profile session credentials.</item>
/// <item><c>identity-key.pem</c>: the RSA-2048 key that signs instance identity documents.</item>
/// <item><c>identity-cert.pem</c>: its self-signed certificate, which verifies those signatures
/// (Stratus's own: AWS's public certificates do not verify them).</item>
/// </list>
/// Files are created with mode 0600 (the certificate 0644) on first start.
/// </summary>
public sealed class MetadataKeys : IDisposable
{
    private MetadataKeys(byte[] secret, X509Certificate2 certificate, string certificatePem)
    {
        Secret = secret;
        Certificate = certificate;
        CertificatePem = certificatePem;
    }

    /// <summary>The HMAC secret of tokens and session credentials.</summary>
    public byte[] Secret { get; }

    /// <summary>The identity-document signing certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate in PEM, as clients need it to verify identity documents.</summary>
    public string CertificatePem { get; }

    /// <summary>Loads the keys from <paramref name="dataDirectory"/>, creating what is missing.</summary>
    public static MetadataKeys LoadOrCreate(string dataDirectory)
    {
        var dir = Path.Combine(dataDirectory, "imds");
        Directory.CreateDirectory(dir);
        var secretPath = Path.Combine(dir, "secret.bin");
        byte[] secret;
        if (File.Exists(secretPath) && new FileInfo(secretPath).Length >= 32)
        {
            secret = File.ReadAllBytes(secretPath);
        }
        else
        {
            secret = RandomNumberGenerator.GetBytes(32);
            WritePrivate(secretPath, secret);
        }

        var keyPath = Path.Combine(dir, "identity-key.pem");
        var certPath = Path.Combine(dir, "identity-cert.pem");
        using var rsa = RSA.Create();
        if (File.Exists(keyPath) && File.Exists(certPath))
        {
            rsa.ImportFromPem(File.ReadAllText(keyPath));
        }
        else
        {
            rsa.KeySize = 2048;
            var request = new CertificateRequest("CN=Stratus instance identity, O=Stratus", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            var now = DateTimeOffset.UtcNow;
            using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
            WritePrivate(keyPath, System.Text.Encoding.ASCII.GetBytes(rsa.ExportPkcs8PrivateKeyPem()));
            File.WriteAllText(certPath, created.ExportCertificatePem());
        }
        var certificatePem = File.ReadAllText(certPath);
        using var publicOnly = X509Certificate2.CreateFromPem(certificatePem);
        var certificate = publicOnly.CopyWithPrivateKey(rsa);
        return new MetadataKeys(secret, certificate, certificatePem);
    }

    public void Dispose() => Certificate.Dispose();

    private static void WritePrivate(string path, byte[] content)
    {
        var temp = path + ".tmp";
        using (var stream = OperatingSystem.IsWindows()
            ? new FileStream(temp, FileMode.Create, FileAccess.Write)
            : new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
        {
            stream.Write(content);
        }
        File.Move(temp, path, overwrite: true);
    }
}
