namespace Stratus.Domain.Store;

/// <summary>
/// Durable state of a Stratus control plane. The embedded default is SQLite; a PostgreSQL
/// implementation satisfies the same contract. Resources are JSON documents keyed by
/// (account, region, type, id); the domain owns their meaning, the store only keeps them.
/// One writer at a time: <see cref="BeginWriteAsync"/> waits for the write lock, and a
/// transaction's changes are durable (on disk, fsync'd) when <see cref="IStoreTransaction.CommitAsync"/>
/// returns. Disposing a transaction that was not committed rolls it back.
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

    Task<Account?> FindAccountAsync(string accountId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken cancellationToken = default);

    Task<AccessKey?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string accountId, CancellationToken cancellationToken = default);

    Task<IdempotencyRecord?> FindIdempotencyRecordAsync(IdempotencyKey key, CancellationToken cancellationToken = default);
}

/// <summary>The single write transaction. Reads see its own uncommitted writes.</summary>
public interface IStoreTransaction : IStoreSession
{
    /// <summary>Inserts or replaces a resource document.</summary>
    Task PutAsync(StoredResource resource, CancellationToken cancellationToken = default);

    /// <summary>Deletes a resource; false when it did not exist.</summary>
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
}

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
