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
/// Listings first read the ids and versions alone (<see cref="IStoreSession.ListVersionsAsync"/>)
/// and then the documents of only the entries they miss, so a listing of unchanged resources reads
/// no document text and decodes nothing; a listing with no conditions also drops the entries of
/// resources that no longer exist in the range it covered.
/// Only documents written with a version (not 0) are kept, up to <see cref="Budget"/> characters of
/// document text in all (a resource read when the budget is spent is decoded for that read only;
/// what is kept stays until it is replaced by a newer version or its resource is gone).
/// The decoded objects are shared by every reader: callers must treat them as read-only, so only
/// read paths that change nothing use this (writes decode their own copies through
/// <see cref="ResourceStore"/>).
/// <para>
/// A reader that needs a few fields of many documents every round (the metric publishers, say) keeps
/// projections instead (<see cref="ProjectAsync{T}"/>): the same listing by version, but what is kept
/// of a document is what the caller's projection made of it (or that it made nothing of it), weighed
/// <see cref="ProjectionWeight"/> characters, so that holding 10,000 of them costs what 10,000 small
/// records cost, not 10,000 documents.
/// </para>
/// </summary>
public sealed class DecodedResources
{
    /// <summary>The default <see cref="Budget"/>: 48 Mi characters of document text.</summary>
    public const long DefaultBudget = 48L * 1024 * 1024;

    /// <summary>What one kept projection (<see cref="ProjectAsync{T}"/>) counts against the <see cref="Budget"/>, in characters.</summary>
    public const int ProjectionWeight = 256;

    /// <summary>What a projection made of a document it has nothing to keep of (a stopped instance for a reader of running ones).</summary>
    private static readonly object Nothing = new();

    private readonly ConcurrentDictionary<PartitionKey, Partition> _partitions = new();
    private readonly Lock _gate = new();
    private long _weight;

    /// <param name="budget">How many characters of document text the kept entries may have decoded, in all.</param>
    public DecodedResources(long budget = DefaultBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budget);
        Budget = budget;
    }

    /// <summary>How many characters of document text the kept entries may have decoded, in all.</summary>
    public long Budget { get; }

    /// <summary>How many decoded documents are kept now.</summary>
    public int Count => _partitions.Values.Sum(p => p.Entries.Count);

    /// <summary>How many characters of document text the kept entries decoded.</summary>
    public long Weight => Interlocked.Read(ref _weight);

    /// <summary>The decoded form of <paramref name="stored"/>: the kept one when its version matches, else decoded (and kept while the budget allows).</summary>
    public T Decode<T>(StoredResource stored)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(stored);
        var partition = stored.Version > 0 ? PartitionOf(stored.Key.AccountId, stored.Key.Region, stored.Key.Type, typeof(T), projected: false, create: true) : null;
        if (partition is not null && partition.Entries.TryGetValue(stored.Key.Id, out var entry) && entry.Version == stored.Version && entry.Value is T kept)
        {
            return kept;
        }
        var value = JsonSerializer.Deserialize<T>(stored.Document, ResourceStore.Json)
            ?? throw new InvalidOperationException($"The document of {stored.Id} is null.");
        if (partition is not null)
        {
            Keep(partition, stored.Key.Id, new Entry(stored.Version, value, stored.Document.Length));
        }
        return value;
    }

    /// <summary>
    /// What <paramref name="project"/> makes of <paramref name="stored"/> (null: nothing to keep of it):
    /// the kept projection when its version matches, else projected again (and kept while the budget allows).
    /// </summary>
    private T? Project<T>(StoredResource stored, Func<StoredResource, T?> project)
        where T : class
    {
        var partition = stored.Version > 0 ? PartitionOf(stored.Key.AccountId, stored.Key.Region, stored.Key.Type, typeof(T), projected: true, create: true) : null;
        if (partition is not null && partition.Entries.TryGetValue(stored.Key.Id, out var entry) && entry.Version == stored.Version && Holds<T>(entry, projected: true))
        {
            return entry.Value as T;
        }
        var value = project(stored);
        if (partition is not null)
        {
            Keep(partition, stored.Key.Id, new Entry(stored.Version, value ?? Nothing, ProjectionWeight));
        }
        return value;
    }

    /// <summary>Whether <paramref name="entry"/> answers a read of <typeparamref name="T"/> (a projection's "nothing" included).</summary>
    private static bool Holds<T>(Entry entry, bool projected) => entry.Value is T || (projected && ReferenceEquals(entry.Value, Nothing));

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
    public Task<List<T>> ListAsync<T>(IStoreSession session, Scope scope, ResourceType type, CancellationToken ct = default)
        where T : class =>
        ReadAsync<T>(session, scope, type, [], null, null, null, ct);

    /// <summary>Shared, read-only <see cref="ResourceStore.GetManyAsync{T}"/>.</summary>
    public async Task<List<T>> GetManyAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyCollection<string> ids, CancellationToken ct = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        return DecodeAll<T>(await session.GetManyAsync(scope.AccountId, scope.Region, type.Name, ids, ct).ConfigureAwait(false));
    }

    /// <summary>Shared, read-only <see cref="ResourceStore.FindAsync{T}"/>.</summary>
    public Task<List<T>> FindAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, CancellationToken ct = default)
        where T : class =>
        ReadAsync<T>(session, scope, type, conditions, null, null, null, ct);

    /// <summary>Shared, read-only <see cref="ResourceStore.ListPageAsync{T}"/>.</summary>
    public Task<List<T>> ListPageAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, string? afterId, int limit, CancellationToken ct = default)
        where T : class =>
        ReadAsync<T>(session, scope, type, conditions, afterId, limit, null, ct);

    /// <summary>
    /// What <paramref name="project"/> makes of each resource of one type in an account and region whose
    /// index entries satisfy <paramref name="conditions"/> (as <see cref="IStoreSession.FindAsync"/>
    /// answers), leaving out the documents it makes nothing of (null), ordered by id. Like the other
    /// reads, the ids and versions come first and only the documents whose projection is not kept
    /// at their version are read and projected; what is kept is the projection, not the document.
    /// The projections of one <typeparamref name="T"/> are kept apart from everything else, by
    /// account, region and type; a listing drops those it no longer finds (gone, or no longer
    /// matching), so a <typeparamref name="T"/> is to be made by one projection with one set of conditions.
    /// </summary>
    public Task<List<T>> ProjectAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, Func<StoredResource, T?> project, CancellationToken ct = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(project);
        return ReadAsync(session, scope, type, conditions, null, null, project, ct);
    }

    /// <summary>
    /// What <see cref="IStoreSession.ListPageAsync"/> (limit null: <see cref="IStoreSession.FindAsync"/>)
    /// answers, decoded (or, with <paramref name="project"/>, projected): the ids and versions first,
    /// then the documents of the entries not kept.
    /// </summary>
    private async Task<List<T>> ReadAsync<T>(IStoreSession session, Scope scope, ResourceType type, IReadOnlyList<IndexCondition> conditions, string? afterId, int? limit,
        Func<StoredResource, T?>? project, CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(conditions);
        var projected = project is not null;
        var versions = await session.ListVersionsAsync(scope.AccountId, scope.Region, type.Name, conditions, afterId, limit, ct).ConfigureAwait(false);
        var partition = PartitionOf(scope.AccountId, scope.Region, type.Name, typeof(T), projected, create: false);
        if (partition is not null && (conditions.Count == 0 || projected))
        {
            // Every resource of the type in (afterId, last] is listed (every matching one, for projections): what is kept there and not listed is gone.
            Prune(partition, versions, afterId, complete: limit is not { } max || versions.Count < max);
        }
        var values = new T?[versions.Count];
        var hits = new bool[versions.Count];
        List<string>? missing = null;
        for (var i = 0; i < versions.Count; i++)
        {
            var (id, version) = versions[i];
            if (version > 0 && partition is not null && partition.Entries.TryGetValue(id, out var entry) && entry.Version == version && Holds<T>(entry, projected))
            {
                values[i] = entry.Value as T;
                hits[i] = true;
            }
            else
            {
                (missing ??= []).Add(id);
            }
        }
        var result = new List<T>(versions.Count);
        if (missing is null)
        {
            foreach (var value in values)
            {
                if (value is not null)
                {
                    result.Add(value);
                }
            }
            return result;
        }
        if (missing.Count * 2 > versions.Count)
        {
            // Mostly not kept (a first listing, say): one read of every document costs less than lookups by id.
            var all = limit is { } pageSize
                ? await session.ListPageAsync(scope.AccountId, scope.Region, type.Name, conditions, afterId, pageSize, ct).ConfigureAwait(false)
                : await session.FindAsync(scope.AccountId, scope.Region, type.Name, conditions, ct).ConfigureAwait(false);
            foreach (var stored in all)
            {
                if (Make(stored, project) is { } value)
                {
                    result.Add(value);
                }
            }
            return result;
        }
        var read = await session.GetManyAsync(scope.AccountId, scope.Region, type.Name, missing, ct).ConfigureAwait(false);
        var byId = new Dictionary<string, StoredResource>(read.Count, StringComparer.Ordinal);
        foreach (var stored in read)
        {
            byId[stored.Id] = stored;
        }
        for (var i = 0; i < versions.Count; i++)
        {
            var value = hits[i] ? values[i] : byId.TryGetValue(versions[i].Id, out var stored) ? Make(stored, project) : null;
            if (value is not null)
            {
                result.Add(value);
            }
        }
        return result;
    }

    private T? Make<T>(StoredResource stored, Func<StoredResource, T?>? project)
        where T : class =>
        project is null ? Decode<T>(stored) : Project(stored, project);

    private Partition? PartitionOf(string accountId, string region, string type, Type form, bool projected, bool create) =>
        create
            ? _partitions.GetOrAdd(new PartitionKey(accountId, region, type, form, projected), static _ => new Partition())
            : _partitions.GetValueOrDefault(new PartitionKey(accountId, region, type, form, projected));

    /// <summary>Keeps <paramref name="fresh"/> unless a newer entry is kept or the budget would be exceeded.</summary>
    private void Keep(Partition partition, string id, Entry fresh)
    {
        lock (_gate)
        {
            var had = partition.Entries.TryGetValue(id, out var old);
            if (had && old!.Version > fresh.Version)
            {
                // A reader holding an older snapshot must not replace a newer entry.
                return;
            }
            var weight = _weight - (had ? old!.Weight : 0);
            if (weight + fresh.Weight > Budget)
            {
                // No room: an outdated entry goes, nothing new is kept.
                if (had && partition.Entries.TryRemove(id, out _))
                {
                    partition.Ids.Remove(id);
                    Interlocked.Exchange(ref _weight, weight);
                }
                return;
            }
            partition.Entries[id] = fresh;
            if (!had)
            {
                partition.Ids.Add(id);
            }
            Interlocked.Exchange(ref _weight, weight + fresh.Weight);
        }
    }

    /// <summary>
    /// Drops the entries with ids in (afterId, the last listed] (to the end when complete) that are
    /// not listed. The kept ids are sorted, so a page looks at the entries of its own range only.
    /// </summary>
    private void Prune(Partition partition, IReadOnlyList<ResourceVersion> listed, string? afterId, bool complete)
    {
        if (partition.Entries.IsEmpty || (listed.Count == 0 && !complete))
        {
            return;
        }
        var last = complete ? null : listed[^1].Id;
        List<string>? gone = null;
        HashSet<string>? ids = null;
        lock (_gate)
        {
            if (partition.Ids.Count == 0)
            {
                return;
            }
            var low = afterId ?? partition.Ids.Min!;
            var high = last ?? partition.Ids.Max!;
            if (string.CompareOrdinal(low, high) > 0)
            {
                return;
            }
            foreach (var id in partition.Ids.GetViewBetween(low, high))
            {
                if (afterId is not null && string.Equals(id, afterId, StringComparison.Ordinal))
                {
                    continue;
                }
                ids ??= listed.Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
                if (!ids.Contains(id))
                {
                    (gone ??= []).Add(id);
                }
            }
            foreach (var id in gone ?? [])
            {
                if (partition.Entries.TryRemove(id, out var entry))
                {
                    partition.Ids.Remove(id);
                    Interlocked.Add(ref _weight, -entry.Weight);
                }
            }
        }
    }

    /// <summary>
    /// Which entries a partition holds: the documents of one account, region and type decoded as
    /// <paramref name="Form"/>, or (<paramref name="Projected"/>) the projections to it.
    /// </summary>
    private readonly record struct PartitionKey(string AccountId, string Region, string Type, Type Form, bool Projected);

    /// <summary>The entries of one account, region, type and form, and their ids in order (changed under the gate only).</summary>
    private sealed class Partition
    {
        public ConcurrentDictionary<string, Entry> Entries { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> Ids { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Entry(long Version, object Value, long Weight);
}
