using System.Collections.Concurrent;
using System.Text.Json;
using Stratus.Domain.Store;

namespace Stratus.Domain.Resources;

/// <summary>
/// Decoded resource documents of one store, kept between requests so that reads which return
/// many resources (a full DescribeInstances, say) do not decode every JSON document each time.
/// An entry is the decoded form of one key at one <see cref="StoredResource.Version"/>: the store
/// stamps every write with a version higher than any committed before, so a document read at the
/// version of an entry is the one the entry decoded, whoever wrote it (this server, the CLI, or
/// another server sharing the store). Nothing has to invalidate entries: a write makes the next
/// read see a new version and decode again; a rolled-back write was never read here.
/// Only documents written with a version (not 0) are kept, at most <see cref="Capacity"/> of them
/// (the cache starts over when full).
/// The decoded objects are shared by every reader: callers must treat them as read-only, so only
/// read paths that change nothing use this (writes decode their own copies through
/// <see cref="ResourceStore"/>).
/// </summary>
public sealed class DecodedResources
{
    /// <summary>How many decoded documents are kept at most.</summary>
    public const int Capacity = 50_000;

    private readonly ConcurrentDictionary<ResourceKey, Entry> _entries = new();

    /// <summary>How many decoded documents are kept now.</summary>
    public int Count => _entries.Count;

    /// <summary>The decoded form of <paramref name="stored"/>: the kept one when its version matches, else decoded (and kept).</summary>
    public T Decode<T>(StoredResource stored)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Version > 0 && _entries.TryGetValue(stored.Key, out var entry) && entry.Version == stored.Version && entry.Value is T kept)
        {
            return kept;
        }
        var value = JsonSerializer.Deserialize<T>(stored.Document, ResourceStore.Json)
            ?? throw new InvalidOperationException($"The document of {stored.Id} is null.");
        if (stored.Version > 0)
        {
            if (_entries.Count >= Capacity)
            {
                _entries.Clear();
            }
            var fresh = new Entry(stored.Version, value);
            // A reader holding an older snapshot must not replace a newer entry.
            _entries.AddOrUpdate(stored.Key, fresh, (_, old) => old.Version > fresh.Version ? old : fresh);
        }
        return value;
    }

    /// <summary>Decodes each of <paramref name="stored"/> (see <see cref="Decode{T}"/>).</summary>
    public List<T> DecodeAll<T>(IReadOnlyList<StoredResource> stored)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(stored);
        var values = new List<T>(stored.Count);
        foreach (var resource in stored)
        {
            values.Add(Decode<T>(resource));
        }
        return values;
    }

    /// <summary>Shared, read-only <see cref="ResourceStore.ListAsync{T}"/>.</summary>
    public async Task<List<T>> ListAsync<T>(IStoreSession session, Scope scope, ResourceType type, CancellationToken ct = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        return DecodeAll<T>(await session.ListAsync(scope.AccountId, scope.Region, type.Name, ct).ConfigureAwait(false));
    }

    /// <summary>Shared, read-only <see cref="ResourceStore.GetManyAsync{T}"/>.</summary>
    public async Task<List<T>> GetManyAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyCollection<string> ids, CancellationToken ct = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        return DecodeAll<T>(await session.GetManyAsync(scope.AccountId, scope.Region, type.Name, ids, ct).ConfigureAwait(false));
    }

    /// <summary>Shared, read-only <see cref="ResourceStore.FindAsync{T}"/>.</summary>
    public async Task<List<T>> FindAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, CancellationToken ct = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        return DecodeAll<T>(await session.FindAsync(scope.AccountId, scope.Region, type.Name, conditions, ct).ConfigureAwait(false));
    }

    /// <summary>Shared, read-only <see cref="ResourceStore.ListPageAsync{T}"/>.</summary>
    public async Task<List<T>> ListPageAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, string? afterId, int limit, CancellationToken ct = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        return DecodeAll<T>(await session.ListPageAsync(scope.AccountId, scope.Region, type.Name, conditions, afterId, limit, ct).ConfigureAwait(false));
    }

    private sealed record Entry(long Version, object Value);
}
