using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Stratus.Store.Sqlite;

/// <summary>
/// One open SQLite connection with its per-connection settings applied and a cache of
/// commands, so each statement is prepared once per connection and reused with new parameter
/// values. Transactions are driven with plain <c>BEGIN</c>/<c>COMMIT</c>/<c>ROLLBACK</c>
/// statements so their kind (deferred or immediate) is explicit. Not thread-safe.
/// </summary>
internal sealed class StoreConnection : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawStatement> _statements = new(StringComparer.Ordinal);

    private StoreConnection(SqliteConnection connection) => _connection = connection;

    /// <summary>
    /// The write connection's page cache, in KiB (negative: a size, not a page count). Writes land
    /// at random places in the key-ordered indexes (resource ids are random), so each index entry a
    /// write adds dirties its own leaf page once the indexes outgrow the cache: at SQLite's default
    /// of 2 MiB, a launch of 100 instances into a store of 10,000 read most of its ~2,000 leaf pages
    /// back from the file. 32 MiB holds the index pages of about 10,000 instances (with their
    /// interfaces and volumes); pages are taken only as they are read, so a small store uses less.
    /// Read connections keep the default: their reads follow an index in key order.
    /// </summary>
    internal const int WriterCacheKib = -32 * 1024;

    /// <summary>
    /// The WAL size, in pages, at which a commit checkpoints the log itself (SQLite's default is
    /// 1,000). Checkpoints normally run on the store's own connection in the background after
    /// commits (<see cref="SqliteStore"/>), off the request that committed; this is the bound for
    /// when they cannot keep up.
    /// </summary>
    internal const int WriterAutoCheckpointPages = 8192;

    /// <summary>Opens the connection that runs write transactions (and migrations).</summary>
    /// <param name="syncEachCommit">
    /// Whether COMMIT fsyncs the WAL before it returns (<c>synchronous=FULL</c>), or leaves that
    /// to the store's background flush (<c>synchronous=NORMAL</c>, <see cref="SqliteStoreOptions.FlushDelay"/>).
    /// </param>
    public static StoreConnection OpenWriter(string connectionString, TimeSpan busyTimeout, bool syncEachCommit = true)
    {
        var store = Open(connectionString, busyTimeout);
        try
        {
            // WAL is a property of the database file; asking again is harmless. It can fail to
            // switch (for example on a file system without shared memory): refuse to run then,
            // since the concurrency guarantees depend on it.
            var mode = Convert.ToString(store.Command("PRAGMA journal_mode = WAL").ExecuteScalar(), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite could not switch the database to WAL mode (journal_mode is '{mode}').");
            }

            if (!syncEachCommit)
            {
                store.Execute("PRAGMA synchronous = NORMAL");
            }

            store.Execute("PRAGMA cache_size = " + WriterCacheKib.ToString(CultureInfo.InvariantCulture));
            store.Execute("PRAGMA wal_autocheckpoint = " + WriterAutoCheckpointPages.ToString(CultureInfo.InvariantCulture));
            // A statement that writes many rows (the multi-row upserts and index inserts of
            // PutManyAsync) keeps a statement journal: the original of every page it changes, so
            // that it can be undone alone if it fails halfway. SQLite keeps it in memory up to 64 KiB
            // and then in a temporary file, created, written page by page and deleted within the
            // transaction: a tag write on 100 resources wrote about 2,000 pages there. In memory it
            // costs what those pages weigh (a few MiB at most) and only for the statement; nothing
            // durable is kept in temporary storage, so crash safety does not change. Read
            // connections keep the default (their sorts may be large).
            store.Execute("PRAGMA temp_store = MEMORY");
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Opens the connection that checkpoints the WAL into the database file.</summary>
    public static StoreConnection OpenCheckpointer(string connectionString, TimeSpan busyTimeout) => Open(connectionString, busyTimeout);

    /// <summary>Opens a connection for read sessions; it refuses writes.</summary>
    public static StoreConnection OpenReader(string connectionString, TimeSpan busyTimeout)
    {
        var store = Open(connectionString, busyTimeout);
        try
        {
            store.Execute("PRAGMA query_only = ON");
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static StoreConnection Open(string connectionString, TimeSpan busyTimeout)
    {
        var connection = new SqliteConnection(connectionString);
        var store = new StoreConnection(connection);
        try
        {
            connection.Open();
            var milliseconds = (long)Math.Min(busyTimeout.TotalMilliseconds, int.MaxValue);
            // Per-connection settings. synchronous=FULL makes every commit fsync the WAL before
            // it returns (the writer may relax it: OpenWriter), and a checkpoint fsync the WAL
            // before and the database file after it copies pages; busy_timeout makes SQLite
            // itself wait for another process's lock.
            store.Execute("PRAGMA busy_timeout = " + milliseconds.ToString(CultureInfo.InvariantCulture));
            store.Execute("PRAGMA synchronous = FULL");
            store.Execute("PRAGMA foreign_keys = ON");
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Returns the cached command for <paramref name="sql"/>, creating it once.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
#pragma warning disable CA2100 // Every caller passes one of the store's constant statements; values are parameters.
            command.CommandText = sql;
#pragma warning restore CA2100
            _commands.Add(sql, command);
        }

        return command;
    }

    /// <summary>Returns the cached raw statement for <paramref name="sql"/>, preparing it once.</summary>
    public RawStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new RawStatement(_connection.Handle!, sql);
            _statements.Add(sql, statement);
        }

        return statement;
    }

    /// <summary>Bytes the connection's page cache holds now (SQLITE_DBSTATUS_CACHE_USED).</summary>
    public long CacheBytes()
    {
        _ = SQLitePCL.raw.sqlite3_db_status(_connection.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_USED, out var current, out _, 0);
        return current;
    }

    /// <summary>Runs a statement that takes no parameters and returns no rows.</summary>
    public void Execute(string sql) => Command(sql).ExecuteNonQuery();

    /// <summary>Runs a statement that takes no parameters and returns no rows.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken) =>
        await Command(sql).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        _connection.Dispose();
    }
}

/// <summary>Parameter binding for the cached commands.</summary>
internal static class SqliteCommandExtensions
{
    /// <summary>Sets (or adds, on the command's first use) a parameter's value.</summary>
    public static SqliteCommand With(this SqliteCommand command, string name, string? value)
    {
        if (value is null)
        {
            throw new ArgumentException($"Store value '{name.TrimStart('@')}' must not be null.", name.TrimStart('@'));
        }

        return command.WithValue(name, value);
    }

    /// <summary>Sets (or adds, on the command's first use) a parameter's value.</summary>
    public static SqliteCommand With(this SqliteCommand command, string name, long value) => command.WithValue(name, value);

    /// <summary>
    /// Sets a parameter expected at <paramref name="position"/> (where a cached command's binding
    /// left it), without searching the command's parameters by name: statements with hundreds of
    /// parameters are bound in linear time. Falls back to the search when it is not there.
    /// </summary>
    public static SqliteCommand WithAt(this SqliteCommand command, int position, string name, object value)
    {
        if (position >= 0 && position < command.Parameters.Count && string.Equals(command.Parameters[position].ParameterName, name, StringComparison.Ordinal))
        {
            command.Parameters[position].Value = value;
            return command;
        }

        return command.WithValue(name, value);
    }

    private static SqliteCommand WithValue(this SqliteCommand command, string name, object value)
    {
        var index = command.Parameters.IndexOf(name);
        if (index < 0)
        {
            command.Parameters.AddWithValue(name, value);
        }
        else
        {
            command.Parameters[index].Value = value;
        }

        return command;
    }
}
