using Stratus.Domain.Store;

namespace Stratus.Store.Sqlite;

/// <summary>The read operations, shared by read sessions and the write transaction.</summary>
internal abstract class SqliteSession : IStoreSession
{
    private protected SqliteSession(StoreConnection connection) => Connection = connection;

    private protected StoreConnection Connection { get; }

    /// <inheritdoc cref="StoreConnection.Statement"/>
    private protected RawStatement Statement(string sql)
    {
        EnsureOpen();
        return Connection.Statement(sql);
    }

    /// <summary>Throws when the session can no longer be used.</summary>
    private protected abstract void EnsureOpen();

    private protected Microsoft.Data.Sqlite.SqliteCommand Command(string sql)
    {
        EnsureOpen();
        return Connection.Command(sql);
    }

    public async Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken cancellationToken = default)
    {
        var command = Command(Sql.GetResource)
            .With("@account_id", key.AccountId)
            .With("@region", key.Region)
            .With("@type", key.Type)
            .With("@id", key.Id);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return new StoredResource(key, reader.GetString(0), Timestamps.FromText(reader.GetString(1))) { Version = reader.GetInt64(2) };
        }
    }

    public Task<IReadOnlyList<StoredResource>> ListAsync(string accountId, string region, string type, CancellationToken cancellationToken = default) =>
        ReadResourcesAsync(
            Command(Sql.ListResources).With("@account_id", accountId).With("@region", region).With("@type", type),
            cancellationToken);

    public Task<IReadOnlyList<StoredResource>> ListEveryAccountAsync(string region, string type, CancellationToken cancellationToken = default) =>
        ReadResourcesAsync(Command(Sql.ListResourcesOfEveryAccount).With("@region", region).With("@type", type), cancellationToken);

    public Task<IReadOnlyList<StoredResource>> ListAllAsync(string accountId, string region, CancellationToken cancellationToken = default) =>
        ReadResourcesAsync(Command(Sql.ListAllResources).With("@account_id", accountId).With("@region", region), cancellationToken);

    public async Task<IReadOnlyList<StoredResource>> GetManyAsync(string accountId, string region, string type, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0)
        {
            return [];
        }

        var results = new List<StoredResource>(distinct.Count);
        // Large lists go in chunks: each statement shape is prepared once per connection (and
        // bound through SQLite's API: by name, a 1,024-id statement cost half a million string
        // comparisons per execution).
        foreach (var chunk in distinct.Chunk(1024))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = Sql.Bucket(chunk.Length);
            var command = Statement(Sql.GetManyResources(size)).Bind("@account_id", accountId).Bind("@region", region).Bind("@type", type)
                .BindList("i", chunk, size);
            command.Read(row => results.Add(new StoredResource(
                new ResourceKey(row.GetString(0), row.GetString(1), row.GetString(2), row.GetString(3)),
                row.GetString(4),
                Timestamps.FromText(row.GetString(5)))
            {
                Version = row.GetInt64(6),
            }));
        }

        if (results.Count > 1 && distinct.Count > 1024)
        {
            results.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        }

        return results;
    }

    public async Task<IReadOnlyList<StoredResource>> FindAsync(string accountId, string region, string type, IReadOnlyList<IndexCondition> conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (conditions.Count == 0)
        {
            return await ListAsync(accountId, region, type, cancellationToken).ConfigureAwait(false);
        }

        if (conditions.Any(c => c.Names.Count == 0 || c.Values is { Count: 0 }))
        {
            return [];
        }

        var shape = conditions.Select(c => (Names: Sql.Bucket(c.Names.Count), Values: c.Values is null ? 0 : Sql.Bucket(c.Values.Count))).ToList();
        var command = Command(Sql.FindResources(shape)).With("@account_id", accountId).With("@region", region).With("@type", type);
        for (var k = 0; k < conditions.Count; k++)
        {
            var c = "c" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            BindList(command, c + "n", conditions[k].Names, shape[k].Names);
            if (conditions[k].Values is { } values)
            {
                BindList(command, c + "v", values, shape[k].Values);
            }
        }

        return await ReadResourcesAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredResource>> ListPageAsync(string accountId, string region, string type, IReadOnlyList<IndexCondition> conditions, string? afterId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (conditions.Any(c => c.Names.Count == 0 || c.Values is { Count: 0 }))
        {
            return [];
        }

        var shape = conditions.Select(c => (Names: Sql.Bucket(c.Names.Count), Values: c.Values is null ? 0 : Sql.Bucket(c.Values.Count))).ToList();
        var command = Command(Sql.FindResources(shape, keyset: true))
            .With("@account_id", accountId).With("@region", region).With("@type", type)
            .With("@after", afterId ?? "").With("@limit", limit);
        for (var k = 0; k < conditions.Count; k++)
        {
            var c = "c" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            BindList(command, c + "n", conditions[k].Names, shape[k].Names);
            if (conditions[k].Values is { } values)
            {
                BindList(command, c + "v", values, shape[k].Values);
            }
        }

        return await ReadResourcesAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ResourceVersion>> ListVersionsAsync(string accountId, string region, string type, IReadOnlyList<IndexCondition> conditions, string? afterId, int? limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (limit is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        }

        if (conditions.Any(c => c.Names.Count == 0 || c.Values is { Count: 0 }))
        {
            return [];
        }

        var shape = conditions.Select(c => (Names: Sql.Bucket(c.Names.Count), Values: c.Values is null ? 0 : Sql.Bucket(c.Values.Count))).ToList();
        var command = Command(Sql.FindVersions(shape))
            .With("@account_id", accountId).With("@region", region).With("@type", type)
            .With("@after", afterId ?? "").With("@limit", limit ?? -1);
        for (var k = 0; k < conditions.Count; k++)
        {
            var c = "c" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            BindList(command, c + "n", conditions[k].Names, shape[k].Names);
            if (conditions[k].Values is { } values)
            {
                BindList(command, c + "v", values, shape[k].Values);
            }
        }

        var results = new List<ResourceVersion>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(new ResourceVersion(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        return results;
    }

    public async Task<IReadOnlyList<IndexRow>> ListIndexAsync(string accountId, string region, IndexEntryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        IReadOnlyList<string>?[] lists = [query.Types, query.Ids, query.Names, query.Values];
        if (lists.Any(l => l is { Count: 0 }))
        {
            return [];
        }

        if (query.Ids is not null)
        {
            return await ListIndexOfIdsAsync(accountId, region, query, cancellationToken).ConfigureAwait(false);
        }

        int Size(IReadOnlyList<string>? list) => list is null ? 0 : Sql.Bucket(list.Count);
        var prefix = query.NamePrefix.Length > 0;
        var command = Command(Sql.ListIndex(prefix, Size(query.Types), Size(query.Names), Size(query.Values)))
            .With("@account_id", accountId)
            .With("@region", region);
        if (prefix)
        {
            // Names from the prefix up to (not including) the prefix with its last character
            // incremented: every name that starts with it, in the binary collation.
            var last = query.NamePrefix[^1];
            command.With("@name_from", query.NamePrefix).With("@name_to", query.NamePrefix[..^1] + (char)(last + 1));
        }

        foreach (var (list, p) in new[] { (query.Types, "t"), (query.Names, "n"), (query.Values, "v") })
        {
            if (list is not null)
            {
                BindList(command, p, list, Sql.Bucket(list.Count));
            }
        }

        var rows = new List<IndexRow>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new IndexRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        return rows;
    }

    /// <summary>
    /// <see cref="ListIndexAsync"/> for a list of resource ids: their entries as kept in their rows,
    /// found by key (by type and id), then narrowed and ordered as the entries' table would.
    /// </summary>
    private async Task<IReadOnlyList<IndexRow>> ListIndexOfIdsAsync(string accountId, string region, IndexEntryQuery query, CancellationToken cancellationToken)
    {
        var names = query.Names?.ToHashSet(StringComparer.Ordinal);
        var values = query.Values?.ToHashSet(StringComparer.Ordinal);
        var types = query.Types?.Distinct(StringComparer.Ordinal).ToList();
        var typeSize = types is null ? 0 : Sql.Bucket(types.Count);
        var rows = new List<IndexRow>();
        foreach (var ids in query.Ids!.Distinct(StringComparer.Ordinal).Chunk(256))
        {
            var idSize = Sql.Bucket(ids.Length);
            var command = Command(Sql.IndexEntriesOfIds(typeSize, idSize)).With("@account_id", accountId).With("@region", region);
            if (types is not null)
            {
                BindList(command, "t", types, typeSize);
            }

            BindList(command, "i", ids, idSize);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var (type, id) = (reader.GetString(0), reader.GetString(1));
                    foreach (var entry in IndexEntryText.Decode(reader.GetString(2)))
                    {
                        if (entry.Name.StartsWith(query.NamePrefix, StringComparison.Ordinal)
                            && (names is null || names.Contains(entry.Name)) && (values is null || values.Contains(entry.Value)))
                        {
                            rows.Add(new IndexRow(type, id, entry.Name, entry.Value));
                        }
                    }
                }
            }
        }

        rows.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Id, b.Id);
            c = c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
            c = c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
            return c != 0 ? c : string.CompareOrdinal(a.Type, b.Type);
        });
        return rows;
    }

    public Task<IReadOnlyList<StoredResource>> ListIndexStaleAsync(int currentVersion, int limit, CancellationToken cancellationToken = default) =>
        ReadResourcesAsync(Command(Sql.ListIndexStale).With("@version", currentVersion).With("@limit", limit), cancellationToken);

    /// <summary>Binds <c>@prefix0</c>..<c>@prefix(size-1)</c>, repeating the last value to fill the bucket.</summary>
    private protected static void BindList(Microsoft.Data.Sqlite.SqliteCommand command, string prefix, IReadOnlyList<string> values, int size)
    {
        var start = command.Parameters.IndexOf("@" + prefix + "0");
        for (var i = 0; i < size; i++)
        {
            command.WithAt(start < 0 ? -1 : start + i, "@" + prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), values[Math.Min(i, values.Count - 1)]);
        }
    }

    /// <summary>Reads rows of (account_id, region, type, id, document, created_at, version).</summary>
    private static async Task<IReadOnlyList<StoredResource>> ReadResourcesAsync(Microsoft.Data.Sqlite.SqliteCommand command, CancellationToken cancellationToken)
    {
        var results = new List<StoredResource>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(new StoredResource(
                    new ResourceKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)),
                    reader.GetString(4),
                    Timestamps.FromText(reader.GetString(5)))
                {
                    Version = reader.GetInt64(6),
                });
            }
        }

        return results;
    }

    public async Task<Account?> FindAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        var command = Command(Sql.FindAccount).With("@account_id", accountId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return new Account(accountId, reader.GetString(0), Timestamps.FromText(reader.GetString(1)));
        }
    }

    public async Task<IReadOnlyList<ResourceScope>> ListScopesAsync(IReadOnlyCollection<string> types, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        var scopes = new SortedSet<ResourceScope>(Comparer<ResourceScope>.Create(static (a, b) =>
        {
            var byAccount = string.CompareOrdinal(a.AccountId, b.AccountId);
            return byAccount != 0 ? byAccount : string.CompareOrdinal(a.Region, b.Region);
        }));
        foreach (var type in types.Distinct(StringComparer.Ordinal))
        {
            // A skip scan: each statement seeks past every resource of the scope found before.
            ResourceScope? last = null;
            while (true)
            {
                var command = last is { } after
                    ? Command(Sql.NextScopeOfType).With("@type", type).With("@account_id", after.AccountId).With("@region", after.Region)
                    : Command(Sql.FirstScopeOfType).With("@type", type);
                ResourceScope? next = null;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        next = new ResourceScope(reader.GetString(0), reader.GetString(1));
                    }
                }
                if (next is not { } found)
                {
                    break;
                }
                scopes.Add(found);
                last = found;
            }
        }
        return [.. scopes];
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken cancellationToken = default)
    {
        var command = Command(Sql.ListAccounts);
        var results = new List<Account>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(new Account(reader.GetString(0), reader.GetString(1), Timestamps.FromText(reader.GetString(2))));
            }
        }

        return results;
    }

    public async Task<AccessKey?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken = default)
    {
        var command = Command(Sql.FindAccessKey).With("@access_key_id", accessKeyId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return new AccessKey(
                accessKeyId,
                reader.GetString(0),
                reader.GetString(1),
                Timestamps.FromText(reader.GetString(2)),
                reader.GetInt64(3) != 0,
                reader.GetString(4) is { Length: > 0 } user ? user : null);
        }
    }

    public async Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string accountId, CancellationToken cancellationToken = default)
    {
        var command = Command(Sql.ListAccessKeys).With("@account_id", accountId);
        var results = new List<AccessKey>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(new AccessKey(
                    reader.GetString(0),
                    reader.GetString(1),
                    accountId,
                    Timestamps.FromText(reader.GetString(2)),
                    reader.GetInt64(3) != 0,
                    reader.GetString(4) is { Length: > 0 } user ? user : null));
            }
        }

        return results;
    }

    public async Task<IdempotencyRecord?> FindIdempotencyRecordAsync(IdempotencyKey key, CancellationToken cancellationToken = default)
    {
        var command = Command(Sql.FindIdempotencyRecord)
            .With("@account_id", key.AccountId)
            .With("@region", key.Region)
            .With("@operation", key.Operation)
            .With("@client_token", key.ClientToken);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var stored = reader.GetString(1);
            var body = reader.GetString(4) == "base64" ? Convert.FromBase64String(stored) : System.Text.Encoding.UTF8.GetBytes(stored);
            return new IdempotencyRecord(key, reader.GetString(0), body, reader.GetString(3), Timestamps.FromText(reader.GetString(2)));
        }
    }

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// A read-only snapshot: a deferred transaction on a pooled read connection, opened (and its
/// snapshot taken) by <see cref="SqliteStore.OpenReadAsync"/> and ended on dispose.
/// </summary>
internal sealed class SqliteReadSession : SqliteSession
{
    private readonly SqliteStore _store;
    private bool _disposed;

    public SqliteReadSession(SqliteStore store, StoreConnection connection)
        : base(connection) => _store = store;

    private protected override void EnsureOpen() => ObjectDisposedException.ThrowIf(_disposed, this);

    public override ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        var healthy = true;
        try
        {
            Connection.Execute("ROLLBACK");
        }
        catch
        {
            // Closing the connection ends the transaction anyway; just do not reuse it.
            healthy = false;
        }

        _store.ReturnReader(Connection, healthy);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The write transaction: <c>BEGIN IMMEDIATE</c> on the store's write connection, holding the
/// store's write lock until it is committed or disposed.
/// </summary>
internal sealed class SqliteWriteTransaction : SqliteSession, IStoreTransaction
{
    private readonly SqliteStore _store;
    private bool _finished;

    /// <summary>The last version this transaction stamped a resource with (or the recorded one, once read).</summary>
    private long _version;
    private bool _versionRead;
    private bool _versionStamped;

    public SqliteWriteTransaction(SqliteStore store, StoreConnection connection)
        : base(connection) => _store = store;

    private protected override void EnsureOpen()
    {
        if (_finished)
        {
            throw new ObjectDisposedException(nameof(IStoreTransaction), "The write transaction has already been committed or disposed.");
        }
    }

    public Task PutAsync(StoredResource resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return PutManyAsync([resource], null, cancellationToken);
    }

    public Task PutManyAsync(IReadOnlyList<StoredResource> resources, CancellationToken cancellationToken = default) =>
        PutManyAsync(resources, null, cancellationToken);

    public async Task PutManyAsync(IReadOnlyList<StoredResource> resources, IReadOnlyCollection<string>? indexNames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        // The last write of each key wins, as with one PutAsync after another; keys keep the
        // order of their first appearance.
        var latest = new Dictionary<ResourceKey, StoredResource>(resources.Count);
        foreach (var resource in resources)
        {
            ArgumentNullException.ThrowIfNull(resource);
            latest[resource.Key] = resource;
        }

        var names = indexNames?.Distinct(StringComparer.Ordinal).ToList();
        if (names is not null)
        {
            foreach (var resource in latest.Values)
            {
                foreach (var entry in resource.Index)
                {
                    if (!names.Contains(entry.Name))
                    {
                        throw new ArgumentException($"The index entry '{entry.Name}' of {resource.Id} is not among the names to replace.", nameof(resources));
                    }
                }
            }
        }

        foreach (var group in latest.Values.GroupBy(r => (r.Key.AccountId, r.Key.Region, r.Key.Type)))
        {
            foreach (var chunk in group.Chunk(ResourceChunk))
            {
                await PutChunkAsync(group.Key.AccountId, group.Key.Region, group.Key.Type, chunk, names, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A version higher than any committed: on the first write of the transaction one more than
    /// the last one recorded (read under the write lock, so no other writer can commit in between),
    /// then one more each time; the last one is recorded with the commit. A rolled-back
    /// transaction's versions may be stamped again, but nothing read them outside it.
    /// </summary>
    private async Task<long> NextVersionAsync(CancellationToken cancellationToken)
    {
        if (!_versionRead)
        {
            _version = Convert.ToInt64(await Command(Sql.LastVersion).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            _versionRead = true;
        }

        _versionStamped = true;
        return ++_version;
    }

    /// <summary>
    /// Resources written by one multi-row upsert, and index entries by one multi-row insert or
    /// delete. Small on purpose: a statement's size is rounded up to a bucket whose padding repeats
    /// the last row (up to half the rows of a large one written twice). (Bound by name through
    /// Microsoft.Data.Sqlite, a 256-entry insert also spent more on binding than on inserting;
    /// <see cref="RawStatement"/> binds by position.)
    /// </summary>
    private const int ResourceChunk = 32;

    /// <inheritdoc cref="ResourceChunk"/>
    private const int IndexChunk = 32;

    /// <summary>
    /// Up to <see cref="ResourceChunk"/> resources of one account, region and type: their index
    /// entries as their rows keep them, one upsert, then the entries that changed: those no longer
    /// there deleted and the new ones inserted, <see cref="IndexChunk"/> to a statement. With
    /// <paramref name="names"/>, the resources' entries of other names are kept as they are.
    /// </summary>
    private async Task PutChunkAsync(string accountId, string region, string type, StoredResource[] chunk, List<string>? names, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var size = Sql.Bucket(chunk.Length);
        var before = IndexEntriesOf(accountId, region, type, chunk.Select(r => r.Key.Id).ToList());
        var removed = new List<(string Id, IndexEntry Entry)>();
        var added = new List<(string Id, IndexEntry Entry)>();
        var encoded = new string[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var id = chunk[i].Key.Id;
            var old = before.GetValueOrDefault(id) ?? [];
            // Linear searches: a resource has a few entries (at most its 50 tags and a dozen
            // attributes), and comparing them costs less than hashing their strings.
            var now = new List<IndexEntry>(old.Count + chunk[i].Index.Count);
            if (names is not null)
            {
                foreach (var entry in old)
                {
                    if (!names.Contains(entry.Name) && !now.Contains(entry))
                    {
                        now.Add(entry);
                    }
                }
            }

            foreach (var entry in chunk[i].Index)
            {
                if (!now.Contains(entry))
                {
                    now.Add(entry);
                }
            }

            foreach (var entry in old)
            {
                if (!now.Contains(entry))
                {
                    removed.Add((id, entry));
                }
            }

            foreach (var entry in now)
            {
                if (!old.Contains(entry))
                {
                    added.Add((id, entry));
                }
            }

            encoded[i] = IndexEntryText.Encode(now);
        }

        var put = Statement(names is null ? Sql.PutResources(size) : Sql.PutResourcesKeepingIndexVersion(size))
            .Bind("@account_id", accountId).Bind("@region", region).Bind("@type", type);
        var versions = new long[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            versions[i] = await NextVersionAsync(cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < size; i++)
        {
            // The bucket's padding repeats the last resource: the same upsert twice.
            var last = Math.Min(i, chunk.Length - 1);
            var r = chunk[last];
            var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            put.Bind("@i" + n, r.Key.Id)
                .Bind("@d" + n, r.Document)
                .Bind("@c" + n, Timestamps.ToText(r.CreatedAt))
                .Bind("@v" + n, r.IndexVersion)
                .Bind("@s" + n, versions[last])
                .Bind("@x" + n, encoded[last]);
        }

        put.Execute();
        WriteIndexEntries(Sql.DeleteIndexEntries, accountId, region, type, removed);
        WriteIndexEntries(Sql.InsertIndexEntries, accountId, region, type, added);
    }

    /// <summary>The index entries the rows of <paramref name="ids"/> keep, by id (absent: no row).</summary>
    private Dictionary<string, List<IndexEntry>> IndexEntriesOf(string accountId, string region, string type, List<string> ids)
    {
        var size = Sql.Bucket(ids.Count);
        var command = Statement(Sql.IndexEntriesOf(size)).Bind("@account_id", accountId).Bind("@region", region).Bind("@type", type)
            .BindList("i", ids, size);
        var entries = new Dictionary<string, List<IndexEntry>>(ids.Count, StringComparer.Ordinal);
        command.Read(row => entries[row.GetString(0)] = IndexEntryText.Decode(row.GetString(1)));
        return entries;
    }

    /// <summary>
    /// Runs <paramref name="statement"/> (an insert or delete of <c>(@e0, @n0, @v0)</c>...) over
    /// <paramref name="entries"/>, <see cref="IndexChunk"/> at a time.
    /// </summary>
    private void WriteIndexEntries(Func<int, string> statement, string accountId, string region, string type, List<(string Id, IndexEntry Entry)> entries)
    {
        foreach (var chunk in entries.Chunk(IndexChunk))
        {
            var count = Sql.Bucket(chunk.Length);
            var command = Statement(statement(count)).Bind("@account_id", accountId).Bind("@region", region).Bind("@type", type);
            for (var i = 0; i < count; i++)
            {
                var (id, entry) = chunk[Math.Min(i, chunk.Length - 1)];
                var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                command.Bind("@e" + n, id).Bind("@n" + n, entry.Name).Bind("@v" + n, entry.Value);
            }

            command.Execute();
        }
    }

    public async Task<bool> DeleteAsync(ResourceKey key, CancellationToken cancellationToken = default)
    {
        if (IndexEntriesOf(key.AccountId, key.Region, key.Type, [key.Id]).TryGetValue(key.Id, out var entries))
        {
            WriteIndexEntries(Sql.DeleteIndexEntries, key.AccountId, key.Region, key.Type, entries.ConvertAll(e => (key.Id, e)));
        }

        var deleted = await Command(Sql.DeleteResource)
            .With("@account_id", key.AccountId)
            .With("@region", key.Region)
            .With("@type", key.Type)
            .With("@id", key.Id)
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return deleted > 0;
    }

    public async Task PutAccountAsync(Account account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        await Command(Sql.PutAccount)
            .With("@account_id", account.AccountId)
            .With("@name", account.Name)
            .With("@created_at", Timestamps.ToText(account.CreatedAt))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task PutAccessKeyAsync(AccessKey accessKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accessKey);
        await Command(Sql.PutAccessKey)
            .With("@access_key_id", accessKey.AccessKeyId)
            .With("@secret_access_key", accessKey.SecretAccessKey)
            .With("@account_id", accessKey.AccountId)
            .With("@created_at", Timestamps.ToText(accessKey.CreatedAt))
            .With("@active", accessKey.Active ? 1 : 0)
            .With("@user_name", accessKey.UserName ?? "")
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task PutIdempotencyRecordAsync(IdempotencyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await Command(Sql.PutIdempotencyRecord)
            .With("@account_id", record.Key.AccountId)
            .With("@region", record.Key.Region)
            .With("@operation", record.Key.Operation)
            .With("@client_token", record.Key.ClientToken)
            .With("@request_hash", record.RequestHash)
            .With("@response", Convert.ToBase64String(record.Response))
            .With("@content_type", record.ContentType)
            .With("@created_at", Timestamps.ToText(record.CreatedAt))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        cancellationToken.ThrowIfCancellationRequested();
        // With synchronous=FULL in WAL mode, COMMIT returns after the log is fsync'd (with NORMAL,
        // after it is written; the store's background flush fsyncs it). When it
        // fails (a deferred foreign key, an I/O error) the transaction stays open and
        // DisposeAsync rolls it back. Not cancellable once started.
        if (_versionStamped)
        {
            await Command(Sql.SetLastVersion).With("@value", _version).ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            _versionStamped = false;
        }

        await Connection.ExecuteAsync("COMMIT", CancellationToken.None).ConfigureAwait(false);
        _finished = true;
        _store.ReleaseWriter(Connection, healthy: true, committed: true);
    }

    public override ValueTask DisposeAsync()
    {
        if (_finished)
        {
            return ValueTask.CompletedTask;
        }

        _finished = true;
        var healthy = true;
        try
        {
            Connection.Execute("ROLLBACK");
        }
        catch
        {
            healthy = false;
        }
        finally
        {
            _store.ReleaseWriter(Connection, healthy);
        }

        return ValueTask.CompletedTask;
    }
}
