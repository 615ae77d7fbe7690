using Stratus.Domain.Resources;

namespace Stratus.Domain.KeyPairs;

/// <summary>
/// A key pair as EC2 keeps it: only the public half (one OpenSSH line) and its fingerprint; the
/// private key of a created pair is handed out once and never stored.
/// </summary>
public sealed class KeyPairResource : ITaggable
{
    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary>The public key as one OpenSSH line (<c>ssh-ed25519 AAAA... comment</c>), ready for authorized_keys.</summary>
    public required string PublicKey { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>rsa or ed25519.</summary>
    public required string KeyType { get; init; }

    public required DateTime CreateTime { get; init; }

    /// <summary>True when the pair came from ImportKeyPair, false when Stratus generated it.</summary>
    public bool Imported { get; init; }

    public List<Tag> Tags { get; init; } = [];
}
