using Microsoft.Data.Sqlite;
using Stratus.Domain.Store;

namespace Stratus.Store.Sqlite;

/// <summary>
/// The SQLite <see cref="IStateStore"/>: a dedicated write connection guarded by an async
/// lock, and a small pool of read connections.
/// </summary>
internal sealed class SqliteStore : IStateStore, IReleasableCaches
{
    private readonly string _databasePath;
    private readonly string _connectionString;
    private readonly TimeSpan _busyTimeout;
    private readonly int _maxIdleReaders;
    private readonly TimeSpan? _flushDelay;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _poolLock = new();
    private readonly Stack<StoreConnection> _idleReaders = new();
    private StoreConnection? _writer;
    private readonly SemaphoreSlim _checkpointSignal = new(0, 1);
    private readonly CancellationTokenSource _checkpointStop = new();
    private Task? _checkpointer;
    private volatile bool _initialized;
    private volatile bool _disposed;

    public SqliteStore(SqliteStoreOptions options)
    {
        _databasePath = Path.GetFullPath(options.DatabasePath);
        _busyTimeout = options.BusyTimeout;
        _maxIdleReaders = options.MaxIdleReadConnections;
        _flushDelay = options.FlushDelay;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // The store keeps its own connections open; the provider's pool would only keep
            // file handles alive after DisposeAsync.
            Pooling = false,
            // The provider also retries SQLITE_BUSY until this many seconds have passed since
            // the statement started (0 would mean forever); SQLite's busy_timeout (set per
            // connection) does the actual waiting, so together they wait about BusyTimeout.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(Math.Min(_busyTimeout.TotalSeconds, int.MaxValue))),
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        _writeBegan = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var directory = Path.GetDirectoryName(_databasePath);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var writer = _writer ??= OpenWriter();
            try
            {
                await MigrateAsync(writer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Closing the connection rolls back whatever the migration left open.
                _writer = null;
                writer.Dispose();
                throw;
            }

            _initialized = true;
            _checkpointer ??= Task.Run(CheckpointLoopAsync, CancellationToken.None);
            // The migrations' commits, when they did not fsync themselves.
            SignalCheckpoint();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// How long the checkpointer waits after a commit before it checkpoints: the commits of that
    /// time go into the database file together, and a page they all changed is written once.
    /// </summary>
    internal static readonly TimeSpan CheckpointDelay = SqliteStoreOptions.ServerFlushDelay;

    /// <summary>Opens the write connection, the database file made (or tightened to) owner-only first.</summary>
    private StoreConnection OpenWriter()
    {
        RestrictToOwner(_databasePath);
        return StoreConnection.OpenWriter(_connectionString, _busyTimeout, syncEachCommit: _flushDelay is null);
    }

    /// <summary>
    /// After a commit, waits <see cref="CheckpointDelay"/> (or the shorter
    /// <see cref="SqliteStoreOptions.FlushDelay"/>), then, when commits do not fsync themselves,
    /// fsyncs the WAL (every commit of that time reaches the disk together), and copies committed
    /// WAL frames into the database file (a passive checkpoint: it neither waits for nor blocks
    /// readers and the writer) on a connection of its own. SQLite would otherwise checkpoint
    /// inside the COMMIT that crosses its WAL threshold: writing and fsyncing about 1,000 pages
    /// into the database file in the request that happened to commit then. A crash during a
    /// checkpoint is recovered from the WAL.
    /// </summary>
    private async Task CheckpointLoopAsync()
    {
        var stop = _checkpointStop.Token;
        var delay = _flushDelay is { } flush && flush < CheckpointDelay ? flush : CheckpointDelay;
        StoreConnection? connection = null;
        try
        {
            while (true)
            {
                await _checkpointSignal.WaitAsync(stop).ConfigureAwait(false);
                await Task.Delay(delay, stop).ConfigureAwait(false);
                if (_flushDelay is not null)
                {
                    FlushWriteAheadLog();
                }

                try
                {
                    connection ??= StoreConnection.OpenCheckpointer(_connectionString, _busyTimeout);
                    connection.Execute("PRAGMA wal_checkpoint(PASSIVE)");
                }
                catch (SqliteException)
                {
                    // Tried again after the next commit; meanwhile commits checkpoint past
                    // StoreConnection.WriterAutoCheckpointPages themselves.
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The store is being disposed.
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>
    /// Fsyncs the write-ahead log: every commit made so far is then on the disk. Through a
    /// descriptor of its own (fsync acts on the file, whichever descriptor asks); SQLite keeps no
    /// locks on the log file itself, so closing it takes none of SQLite's away.
    /// </summary>
    private void FlushWriteAheadLog()
    {
        try
        {
            using var log = new FileStream(_databasePath + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            log.Flush(flushToDisk: true);
            Interlocked.Increment(ref _flushes);
        }
        catch (FileNotFoundException)
        {
            // No log: the last connection to close checkpointed it into the database file.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Tried again after the next commit; the checkpoint that follows fsyncs the log too
            // when it copies frames. The loop must not end on it.
        }
    }

    private long _flushes;

    /// <summary>How many times the background flush has fsync'd the write-ahead log (for tests).</summary>
    internal long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>
    /// Frees the page caches of the write connection (when no transaction holds it) and of the
    /// idle read connections: up to 32 MiB and 2 MiB each. Pages come back from the file (from
    /// the operating system's cache, as a rule) as they are read again.
    /// </summary>
    public void ReleaseCaches()
    {
        if (_disposed || !_initialized)
        {
            return;
        }

        if (_writeLock.Wait(0))
        {
            try
            {
                _writer?.Execute("PRAGMA shrink_memory");
            }
            catch (SqliteException)
            {
                // Only a cache: the next transaction runs as before.
            }
            finally
            {
                _writeLock.Release();
            }
        }

        lock (_poolLock)
        {
            foreach (var reader in _idleReaders)
            {
                try
                {
                    reader.Execute("PRAGMA shrink_memory");
                }
                catch (SqliteException)
                {
                    // As above.
                }
            }
        }
    }

    /// <summary>Wakes the checkpointer after a commit (once, however many commits come before it runs).</summary>
    private void SignalCheckpoint()
    {
        if (_checkpointSignal.CurrentCount > 0)
        {
            return;
        }

        try
        {
            _checkpointSignal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another commit woke it at the same moment.
        }
    }

    /// <summary>
    /// The database holds secret access keys: it is created readable and writable by its owner
    /// only (SQLite gives the -wal and -shm files the database's mode), and an existing one is
    /// tightened to that.
    /// </summary>
    private static void RestrictToOwner(string databasePath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (!File.Exists(databasePath))
        {
            try
            {
                using var created = new FileStream(databasePath, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = ownerOnly,
                });
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // Another process created it first; it is tightened below.
            }
        }
        foreach (var path in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            if (File.Exists(path) && File.GetUnixFileMode(path) != ownerOnly)
            {
                File.SetUnixFileMode(path, ownerOnly);
            }
        }
    }

    private static async Task MigrateAsync(StoreConnection writer, CancellationToken cancellationToken)
    {
        // BEGIN IMMEDIATE serializes concurrent start-ups (server and CLI) across processes.
        await writer.ExecuteAsync("BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
        try
        {
            await writer.ExecuteAsync(Schema.CreateVersionTable, cancellationToken).ConfigureAwait(false);
            var current = Convert.ToInt32(
                await writer.Command(Schema.SelectVersion).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false),
                System.Globalization.CultureInfo.InvariantCulture);
            if (current > Schema.LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The database schema is at version {current}, newer than the {Schema.LatestVersion} this build knows; upgrade Stratus.");
            }

            foreach (var migration in Schema.Migrations)
            {
                if (migration.Version <= current)
                {
                    continue;
                }

                foreach (var statement in migration.Statements)
                {
                    await writer.ExecuteAsync(statement, cancellationToken).ConfigureAwait(false);
                }

                await writer.Command(Schema.InsertVersion)
                    .With("@version", migration.Version)
                    .With("@description", migration.Description)
                    .With("@applied_at", Timestamps.ToText(DateTime.UtcNow))
                    .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await writer.ExecuteAsync("COMMIT", CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            TryRollback(writer);
            throw;
        }
    }

    private static void TryRollback(StoreConnection connection)
    {
        try
        {
            connection.Execute("ROLLBACK");
        }
        catch
        {
            // The caller closes the connection, which rolls back.
        }
    }

    public async Task<IStoreSession> OpenReadAsync(CancellationToken cancellationToken = default)
    {
        EnsureReady();
        cancellationToken.ThrowIfCancellationRequested();
        var connection = RentReader();
        try
        {
            // A deferred transaction takes its snapshot at the first read: read now, so the
            // session sees the database as of its opening, not of its first query.
            await connection.ExecuteAsync("BEGIN", cancellationToken).ConfigureAwait(false);
            await connection.Command(Sql.PinSnapshot).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return new SqliteReadSession(this, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>When the current write transaction took the writer lock (for <see cref="StoreMetrics"/>).</summary>
    private long _writeBegan;

    public async Task<IStoreTransaction> BeginWriteAsync(CancellationToken cancellationToken = default)
    {
        EnsureReady();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        _writeBegan = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var writer = _writer ??= OpenWriter();
            // IMMEDIATE takes the database's write lock now, waiting (busy_timeout) for a
            // writer in another process, so the transaction can never fail later to upgrade.
            await writer.ExecuteAsync("BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
            return new SqliteWriteTransaction(this, writer);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    /// <summary>Ends the current write transaction's hold on the write connection and lock.</summary>
    internal void ReleaseWriter(StoreConnection writer, bool healthy, bool committed = false)
    {
        StoreMetrics.Transaction(System.Diagnostics.Stopwatch.GetElapsedTime(_writeBegan), committed);
        if (committed)
        {
            SignalCheckpoint();
        }

        if (!healthy && ReferenceEquals(writer, _writer))
        {
            // The connection's state is unknown (a failed ROLLBACK): closing it rolls back
            // whatever is left, and the next writer opens a fresh one.
            _writer = null;
            writer.Dispose();
        }

        _writeLock.Release();
    }

    /// <summary>Bytes the write connection's page cache holds now (0 before it is opened), for tests.</summary>
    internal async Task<long> WriterCacheBytesAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            return _writer?.CacheBytes() ?? 0;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The write connection's settings, for tests: pragma name to value.</summary>
    internal async Task<IReadOnlyDictionary<string, string>> ReadWriterSettingsAsync()
    {
        EnsureReady();
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var writer = _writer ??= OpenWriter();
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pragma in (string[])["journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only", "wal_autocheckpoint", "temp_store"])
            {
                var value = await writer.Command("PRAGMA " + pragma).ExecuteScalarAsync().ConfigureAwait(false);
                settings[pragma] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            }

            return settings;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private StoreConnection RentReader()
    {
        lock (_poolLock)
        {
            if (_idleReaders.TryPop(out var idle))
            {
                return idle;
            }
        }

        return StoreConnection.OpenReader(_connectionString, _busyTimeout);
    }

    /// <summary>Takes back a read session's connection, keeping it for reuse when sensible.</summary>
    internal void ReturnReader(StoreConnection connection, bool healthy)
    {
        lock (_poolLock)
        {
            if (healthy && !_disposed && _idleReaders.Count < _maxIdleReaders)
            {
                _idleReaders.Push(connection);
                return;
            }
        }

        connection.Dispose();
    }

    private void EnsureReady()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_initialized)
        {
            throw new InvalidOperationException("The state store is not initialized: call InitializeAsync first.");
        }
    }

    /// <summary>
    /// Waits for a write transaction in progress to end, then closes every connection. Read
    /// sessions still open keep their connection until they are disposed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_poolLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _checkpointStop.CancelAsync().ConfigureAwait(false);
        if (_checkpointer is { } checkpointer)
        {
            await checkpointer.ConfigureAwait(false);
        }

        _checkpointStop.Dispose();
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_flushDelay is not null && _initialized)
            {
                // Commits since the last background flush (closing the last connection would
                // checkpoint them, but another process may hold the database open).
                FlushWriteAheadLog();
            }

            _writer?.Dispose();
            _writer = null;
        }
        finally
        {
            _writeLock.Release();
        }

        List<StoreConnection> idle;
        lock (_poolLock)
        {
            idle = [.. _idleReaders];
            _idleReaders.Clear();
        }

        foreach (var connection in idle)
        {
            connection.Dispose();
        }
    }
}
