using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.KeyPairs;

/// <summary>
/// Key pair rules: names are unique per account and region and are up to 255 ASCII characters;
/// lookups by name or id answer <c>InvalidKeyPair.NotFound</c>.
/// </summary>
public static class KeyPairs
{
    public const int MaxNameLength = 255;

    /// <summary>Refuses a missing, empty, too long or non-ASCII key name.</summary>
    public static string CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AwsErrors.MissingParameter("KeyName");
        }
        if (name.Any(c => c is < ' ' or > '~'))
        {
            throw AwsErrors.InvalidParameterValue("Character sets beyond ASCII are not supported.");
        }
        if (name.Length > MaxNameLength)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({name}) for parameter keyName is invalid. Length exceeds maximum of {MaxNameLength}.");
        }
        return name;
    }

    /// <summary>The key pair named <paramref name="name"/> in the scope, or null. The instance runtime reads the public key through this.</summary>
    public static async Task<KeyPairResource?> FindByNameAsync(IStoreSession session, Scope scope, string name, CancellationToken ct = default)
    {
        var all = await session.ListAsync<KeyPairResource>(scope, ResourceTypes.KeyPair, ct).ConfigureAwait(false);
        return all.Find(k => k.Name == name);
    }

    /// <summary>The key pair named <paramref name="name"/>, or <c>InvalidKeyPair.NotFound</c>.</summary>
    public static async Task<KeyPairResource> GetByNameAsync(IStoreSession session, Scope scope, string name, CancellationToken ct = default) =>
        await FindByNameAsync(session, scope, name, ct).ConfigureAwait(false) ?? throw NotFound(name);

    /// <summary>The key pair with id <paramref name="id"/>, or <c>InvalidKeyPair.NotFound</c> (also for an id that cannot be a key pair's).</summary>
    public static async Task<KeyPairResource> GetByIdAsync(IStoreSession session, Scope scope, string id, CancellationToken ct = default)
    {
        ResourceTypes.KeyPair.CheckId(id);
        return await session.GetAsync<KeyPairResource>(scope, ResourceTypes.KeyPair, id, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.KeyPair.NotFound(id);
    }

    public static AwsException NotFound(string name) => new("InvalidKeyPair.NotFound", $"The key pair '{name}' does not exist");

    /// <summary>Refuses a name already used by a key pair in the scope.</summary>
    public static async Task CheckNameFreeAsync(IStoreSession session, Scope scope, string name, CancellationToken ct = default)
    {
        if (await FindByNameAsync(session, scope, name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("InvalidKeyPair.Duplicate", $"The keypair '{name}' already exists.");
        }
    }

    /// <summary>Stores a new key pair after checking that its name is free.</summary>
    public static async Task AddAsync(IStoreTransaction tx, Scope scope, KeyPairResource keyPair, CancellationToken ct = default)
    {
        await CheckNameFreeAsync(tx, scope, keyPair.Name, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.KeyPair, keyPair.Id, keyPair, keyPair.CreateTime, ct).ConfigureAwait(false);
    }
}
