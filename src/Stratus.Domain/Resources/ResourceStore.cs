using System.Text.Json;
using System.Text.Json.Serialization;
using Stratus.Domain.Store;

namespace Stratus.Domain.Resources;

/// <summary>Where a resource lives: an account and a region.</summary>
public readonly record struct Scope(string AccountId, string Region);

/// <summary>
/// A resource type: its name (EC2's resource-type string, as in TagSpecifications and
/// DescribeTags, and the store's type key), id prefix, and EC2's error codes and not-found message
/// for an unknown and for a malformed id. AWS spells the codes inconsistently
/// (<c>InvalidRouteTableID.NotFound</c> but <c>InvalidRouteTableId.Malformed</c>) and clients
/// match them exactly, so each is given verbatim from the EC2 API reference's error list.
/// </summary>
/// <param name="NotFoundMessage">The not-found message with <c>{0}</c> for the id.</param>
public sealed record ResourceType(string Name, string IdPrefix, string NotFoundCode, string MalformedCode, string NotFoundMessage)
{
    public Stratus.Core.AwsException NotFound(string id) =>
        new(NotFoundCode, string.Format(System.Globalization.CultureInfo.InvariantCulture, NotFoundMessage, id));

    public Stratus.Core.AwsException Malformed(string id) => new(MalformedCode, $"Invalid id: \"{id}\" (expecting \"{IdPrefix}-...\")");

    /// <summary>Refuses an id that cannot be one of this type's.</summary>
    public string CheckId(string id) => ResourceIds.IsWellFormed(IdPrefix, id) ? id : throw Malformed(id);
}

/// <summary>Typed access to resource documents kept in the store as JSON.</summary>
public static class ResourceStore
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public static async Task<T?> GetAsync<T>(this IStoreSession session, Scope scope, ResourceType type, string id, CancellationToken ct = default)
        where T : class
    {
        var stored = await session.GetAsync(new ResourceKey(scope.AccountId, scope.Region, type.Name, id), ct).ConfigureAwait(false);
        return stored is null ? null : JsonSerializer.Deserialize<T>(stored.Document, Json);
    }

    public static async Task<List<T>> ListAsync<T>(this IStoreSession session, Scope scope, ResourceType type, CancellationToken ct = default)
    {
        var stored = await session.ListAsync(scope.AccountId, scope.Region, type.Name, ct).ConfigureAwait(false);
        return stored.Select(s => JsonSerializer.Deserialize<T>(s.Document, Json)!).ToList();
    }

    /// <summary>
    /// The resources of <paramref name="type"/> with the given ids (missing ones left out), in id
    /// order, read by key rather than by listing the type.
    /// </summary>
    public static async Task<List<T>> GetManyAsync<T>(this IStoreSession session, Scope scope, ResourceType type, IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        var stored = await session.GetManyAsync(scope.AccountId, scope.Region, type.Name, ids, ct).ConfigureAwait(false);
        return stored.Select(s => JsonSerializer.Deserialize<T>(s.Document, Json)!).ToList();
    }

    /// <summary>The resources of <paramref name="type"/> whose index entries meet every condition, in id order.</summary>
    public static async Task<List<T>> FindAsync<T>(this IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, CancellationToken ct = default)
    {
        var stored = await session.FindAsync(scope.AccountId, scope.Region, type.Name, conditions, ct).ConfigureAwait(false);
        return stored.Select(s => JsonSerializer.Deserialize<T>(s.Document, Json)!).ToList();
    }

    /// <summary>
    /// One page of a keyset scan of <paramref name="type"/>: up to <paramref name="limit"/> resources
    /// after <paramref name="afterId"/> whose index entries meet every condition, in id order.
    /// </summary>
    public static async Task<List<T>> ListPageAsync<T>(this IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, string? afterId, int limit, CancellationToken ct = default)
    {
        var stored = await session.ListPageAsync(scope.AccountId, scope.Region, type.Name, conditions, afterId, limit, ct).ConfigureAwait(false);
        return stored.Select(s => JsonSerializer.Deserialize<T>(s.Document, Json)!).ToList();
    }

    /// <summary>The stored form of a resource: its JSON document with the index entries derived from it.</summary>
    public static StoredResource ToStored<T>(Scope scope, ResourceType type, string id, T resource, DateTime createdAt) =>
        new(new ResourceKey(scope.AccountId, scope.Region, type.Name, id), JsonSerializer.Serialize(resource, Json), createdAt)
        {
            Index = ResourceIndex.EntriesOf(type, resource),
            IndexVersion = ResourceIndex.Version,
        };

    /// <summary>Writes a resource with the index entries derived from it (<see cref="ResourceIndex"/>).</summary>
    public static Task PutAsync<T>(this IStoreTransaction tx, Scope scope, ResourceType type, string id, T resource, DateTime createdAt, CancellationToken ct = default) =>
        tx.PutAsync(ToStored(scope, type, id, resource, createdAt), ct);

    /// <summary>Writes a stored document edited as JSON, with the index entries derived from the new document.</summary>
    public static Task PutDocumentAsync(this IStoreTransaction tx, StoredResource stored, string document, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return tx.PutAsync(ResourceIndex.Reindexed(stored with { Document = document }), ct);
    }

    public static Task<bool> DeleteAsync(this IStoreTransaction tx, Scope scope, ResourceType type, string id, CancellationToken ct = default) =>
        tx.DeleteAsync(new ResourceKey(scope.AccountId, scope.Region, type.Name, id), ct);
}
