namespace Stratus.Domain.Store;

/// <summary>
/// Durable state of a Stratus control plane. The embedded default is SQLite; a PostgreSQL
/// implementation satisfies the same contract. Resources are JSON documents keyed by
/// (account, region, type, id); the domain owns their meaning, the store only keeps them.
/// One writer at a time: <see cref="BeginWriteAsync"/> waits for the write lock, and a
/// transaction's changes are durable when <see cref="IStoreTransaction.CommitAsync"/> returns: they
/// survive the process at once and reach the disk then or, when the store is set to flush commits
/// together, within its flush delay. Disposing a transaction that was not committed rolls it back.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema. Called once at start-up.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Opens a consistent read-only view.</summary>
    Task<IStoreSession> OpenReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Opens the write transaction, waiting for any other writer to finish.</summary>
    Task<IStoreTransaction> BeginWriteAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// What holds caches it can rebuild (a store's page caches): once a burst of work is over the
/// server asks it to give their memory back to the system; they fill again as they are used.
/// </summary>
public interface IReleasableCaches
{
    /// <summary>Frees what the caches hold now, without waiting for work in progress (what is in use stays).</summary>
    void ReleaseCaches();
}

/// <summary>A read-only view of the store.</summary>
public interface IStoreSession : IAsyncDisposable
{
    Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken cancellationToken = default);

    /// <summary>All resources of one type in an account and region, ordered by id.</summary>
    Task<IReadOnlyList<StoredResource>> ListAsync(string accountId, string region, string type, CancellationToken cancellationToken = default);

    /// <summary>All resources of every type in an account and region, ordered by type then id.</summary>
    Task<IReadOnlyList<StoredResource>> ListAllAsync(string accountId, string region, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resources of one type in a region across every account, ordered by account then id: for
    /// what accounts share (public and shared images, say). Callers filter by what the caller may see.
    /// </summary>
    Task<IReadOnlyList<StoredResource>> ListEveryAccountAsync(string region, string type, CancellationToken cancellationToken = default);

    /// <summary>
    /// The resources of one type in an account and region with the given ids, ordered by id; ids
    /// that do not exist are left out and duplicates are returned once.
    /// </summary>
    Task<IReadOnlyList<StoredResource>> GetManyAsync(string accountId, string region, string type, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>
    /// The resources of one type in an account and region whose index entries satisfy every
    /// condition (see <see cref="IndexCondition"/>), ordered by id.
    /// </summary>
    Task<IReadOnlyList<StoredResource>> FindAsync(string accountId, string region, string type, IReadOnlyList<IndexCondition> conditions, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of a keyset scan: up to <paramref name="limit"/> resources of one type in an account
    /// and region whose id sorts after <paramref name="afterId"/> (from the first when null) and
    /// whose index entries satisfy every condition (none: every resource), ordered by id. The next
    /// page starts after the last id returned, so a scan costs what it returns whatever exists.
    /// </summary>
    Task<IReadOnlyList<StoredResource>> ListPageAsync(string accountId, string region, string type, IReadOnlyList<IndexCondition> conditions, string? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The ids and versions (<see cref="StoredResource.Version"/>) of what <see cref="ListPageAsync"/>
    /// answers for the same arguments, without the documents; <paramref name="limit"/> null: every
    /// match, as <see cref="FindAsync"/> (and, with no conditions, <see cref="ListAsync"/>) answers.
    /// Ordered by id. What a cache of decoded documents reads first, so that it reads the text of
    /// only the documents it does not hold.
    /// </summary>
    Task<IReadOnlyList<ResourceVersion>> ListVersionsAsync(string accountId, string region, string type, IReadOnlyList<IndexCondition> conditions, string? afterId, int? limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Index entries in an account and region whose name starts with <see cref="IndexEntryQuery.NamePrefix"/>
    /// and that match the query's other lists, ordered by id, then name, then value: what the
    /// index alone answers (DescribeTags, say) without reading documents.
    /// </summary>
    Task<IReadOnlyList<IndexRow>> ListIndexAsync(string accountId, string region, IndexEntryQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The accounts and regions (an empty region: account-global resources) that hold at least one
    /// resource of one of <paramref name="types"/>, each once, ordered by account then region: what a
    /// background loop walks instead of every account in every region. Costs what it answers, not
    /// what is stored: the store steps from one scope to the next, not through their resources.
    /// </summary>
    Task<IReadOnlyList<ResourceScope>> ListScopesAsync(IReadOnlyCollection<string> types, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> resources of any account and region whose index entries
    /// were written under an index version older than <paramref name="currentVersion"/> (or
    /// never), so that start-up can rebuild them; in no particular order (the caller re-indexes
    /// what it gets and asks again until nothing is left).
    /// </summary>
    Task<IReadOnlyList<StoredResource>> ListIndexStaleAsync(int currentVersion, int limit, CancellationToken cancellationToken = default);

    Task<Account?> FindAccountAsync(string accountId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken cancellationToken = default);

    Task<AccessKey?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string accountId, CancellationToken cancellationToken = default);

    Task<IdempotencyRecord?> FindIdempotencyRecordAsync(IdempotencyKey key, CancellationToken cancellationToken = default);
}

/// <summary>The single write transaction. Reads see its own uncommitted writes.</summary>
public interface IStoreTransaction : IStoreSession
{
    /// <summary>
    /// Inserts or replaces a resource document with its index entries (<see cref="StoredResource.Index"/>),
    /// which replace the ones it had.
    /// </summary>
    Task PutAsync(StoredResource resource, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts or replaces several resources with their index entries, as <see cref="PutAsync"/>
    /// would one after another (of two with the same key, the later wins), in fewer statements.
    /// </summary>
    Task PutManyAsync(IReadOnlyList<StoredResource> resources, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="PutManyAsync(IReadOnlyList{StoredResource}, CancellationToken)"/> for writes that change
    /// only some of what the resources are indexed by (their tags, say): of each resource's index
    /// entries only those named in <paramref name="indexNames"/> are replaced (by its
    /// <see cref="StoredResource.Index"/>, whose entries must all have one of those names); entries of
    /// other names stay as they are, and so does the <see cref="StoredResource.IndexVersion"/> of a
    /// resource that exists (those entries were derived under it; a new one takes the given one).
    /// </summary>
    Task PutManyAsync(IReadOnlyList<StoredResource> resources, IReadOnlyCollection<string>? indexNames, CancellationToken cancellationToken = default);

    /// <summary>Deletes a resource and its index entries; false when it did not exist.</summary>
    Task<bool> DeleteAsync(ResourceKey key, CancellationToken cancellationToken = default);

    Task PutAccountAsync(Account account, CancellationToken cancellationToken = default);

    Task PutAccessKeyAsync(AccessKey accessKey, CancellationToken cancellationToken = default);

    Task PutIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default);

    /// <summary>Makes every change of this transaction durable.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>Identifies a resource. Region is empty for account-global resources.</summary>
public readonly record struct ResourceKey(string AccountId, string Region, string Type, string Id);

/// <summary>A resource as stored: its key, its JSON document and when it was created.</summary>
public sealed record StoredResource(ResourceKey Key, string Document, DateTime CreatedAt)
{
    public string Id => Key.Id;

    /// <summary>
    /// The version the store stamped the document with when it was written (ignored on writes):
    /// every write of any resource gets a version higher than every one committed before it, so
    /// one key at one version is always the same document. 0 for a document written before the
    /// store kept versions. What caches of decoded documents compare (see <c>DecodedResources</c>).
    /// Equality of stored resources leaves it out: it is the store's stamp, not the resource.
    /// </summary>
    public long Version { get; init; }

    public bool Equals(StoredResource? other) =>
        other is not null && Key == other.Key && Document == other.Document && CreatedAt == other.CreatedAt
        && EqualityComparer<IReadOnlyList<IndexEntry>>.Default.Equals(Index, other.Index) && IndexVersion == other.IndexVersion;

    public override int GetHashCode() => HashCode.Combine(Key, Document, CreatedAt, Index, IndexVersion);

    /// <summary>
    /// What the store indexes the resource by (tags, its state, its VPC, ...): pairs of name and
    /// value that <see cref="IStoreSession.FindAsync"/> and <see cref="IStoreSession.ListIndexAsync"/>
    /// search. The domain derives them from the document; the store only keeps them. Empty when
    /// the resource is found by key only.
    /// </summary>
    public IReadOnlyList<IndexEntry> Index { get; init; } = [];

    /// <summary>The version of the domain's indexing rules the entries were derived under (0: none).</summary>
    public int IndexVersion { get; init; }
}

/// <summary>An account and region that holds resources (see <see cref="IStoreSession.ListScopesAsync"/>).</summary>
public readonly record struct ResourceScope(string AccountId, string Region);

/// <summary>A resource's id and the version its document is stored at (see <see cref="StoredResource.Version"/>).</summary>
public readonly record struct ResourceVersion(string Id, long Version);

/// <summary>One index entry of a resource. A name may have several values (group membership, say).</summary>
public readonly record struct IndexEntry(string Name, string Value);

/// <summary>
/// A condition on a resource's index entries: it has an entry whose name is one of
/// <see cref="Names"/> and, when <see cref="Values"/> is not null, whose value is one of them.
/// Matching is exact and case-sensitive.
/// </summary>
public sealed record IndexCondition(IReadOnlyList<string> Names, IReadOnlyList<string>? Values)
{
    public static IndexCondition Equal(string name, IReadOnlyList<string> values) => new([name], values);
}

/// <summary>
/// Which index entries <see cref="IStoreSession.ListIndexAsync"/> returns: names starting with
/// <see cref="NamePrefix"/>, and, for each list that is not null, only entries whose resource
/// type, id, name or value is in it.
/// </summary>
public sealed record IndexEntryQuery(string NamePrefix)
{
    public IReadOnlyList<string>? Types { get; init; }
    public IReadOnlyList<string>? Ids { get; init; }
    public IReadOnlyList<string>? Names { get; init; }
    public IReadOnlyList<string>? Values { get; init; }
}

/// <summary>An index entry with the resource it belongs to.</summary>
public sealed record IndexRow(string Type, string Id, string Name, string Value);

public sealed record Account(string AccountId, string Name, DateTime CreatedAt);

/// <summary>An access key: the account root's (<paramref name="UserName"/> null) or an IAM user's, which authenticates as that user.</summary>
public sealed record AccessKey(string AccessKeyId, string SecretAccessKey, string AccountId, DateTime CreatedAt, bool Active = true, string? UserName = null);

/// <summary>Identifies a ClientToken use: the same token in another operation or region is a different use.</summary>
public readonly record struct IdempotencyKey(string AccountId, string Region, string Operation, string ClientToken);

/// <summary>
/// What a ClientToken produced: a hash of the request's parameters (to detect reuse with other
/// parameters) and the response to answer again, as the bytes and content type first sent.
/// </summary>
public sealed record IdempotencyRecord(IdempotencyKey Key, string RequestHash, byte[] Response, string ContentType, DateTime CreatedAt);
