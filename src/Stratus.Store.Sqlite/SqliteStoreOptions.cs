namespace Stratus.Store.Sqlite;

/// <summary>
/// Settings of an embedded SQLite state store.
/// </summary>
/// <param name="DatabasePath">
/// Path of the database file. It is created (with its parent directory) when missing. The
/// store also uses the <c>-wal</c> and <c>-shm</c> files beside it, so the directory must be
/// writable and on a local file system (SQLite's WAL mode needs shared memory).
/// </param>
public sealed record SqliteStoreOptions(string DatabasePath)
{
    /// <summary>
    /// How long a statement waits for a lock held by another connection or process (for
    /// example the <c>stratus</c> CLI writing while the server runs) before failing with
    /// <c>SQLITE_BUSY</c>. Defaults to 30 seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many idle read connections are kept open for reuse by later read sessions.
    /// Defaults to 8; 0 closes every read connection when its session ends.
    /// </summary>
    public int MaxIdleReadConnections { get; init; } = 8;

    /// <summary>
    /// When a commit's write-ahead log reaches the disk. <c>null</c> (the default): before
    /// <c>CommitAsync</c> returns (SQLite's <c>synchronous=FULL</c>, an fsync per commit), what
    /// a short-lived process such as a CLI command needs. A delay: <c>CommitAsync</c> returns once
    /// the log is written to the operating system (<c>synchronous=NORMAL</c>), and the store
    /// fsyncs it at most this long after the commit, in the background, with the commits of that
    /// time together. Either way a commit survives the process crashing or being killed at once,
    /// and the database stays consistent; only a power loss or kernel crash can undo the commits
    /// of the last delay.
    /// </summary>
    public TimeSpan? FlushDelay { get; init; }

    /// <summary>
    /// The <see cref="FlushDelay"/> a long-running server uses: the store's background pass waits
    /// as long after commits to checkpoint them, so one pass both flushes and checkpoints.
    /// </summary>
    public static TimeSpan ServerFlushDelay { get; } = TimeSpan.FromMilliseconds(200);
}
