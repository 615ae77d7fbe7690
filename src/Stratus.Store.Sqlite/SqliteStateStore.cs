using Stratus.Domain.Store;

namespace Stratus.Store.Sqlite;

/// <summary>
/// Opens the embedded SQLite implementation of <see cref="IStateStore"/>.
/// </summary>
/// <remarks>
/// <para>
/// Durability: the database runs in WAL mode. By default a transaction is fsync'd to the
/// write-ahead log before <see cref="IStoreTransaction.CommitAsync"/> returns
/// (<c>synchronous=FULL</c>); with <see cref="SqliteStoreOptions.FlushDelay"/> it is written to
/// the operating system then and fsync'd by the store within that delay. Foreign keys are enforced.
/// </para>
/// <para>
/// Concurrency: one writer at a time, in this process (an async lock) and across processes
/// (<c>BEGIN IMMEDIATE</c> on a dedicated write connection, waiting up to
/// <see cref="SqliteStoreOptions.BusyTimeout"/>). A read session is a deferred transaction
/// whose snapshot is taken when it opens and held until it is disposed; readers never wait
/// for the writer. Keep read sessions short: an open snapshot stops checkpoints from
/// recycling the write-ahead log.
/// </para>
/// <para>
/// Timestamps are stored as ISO-8601 UTC text with seven fractional digits
/// (<c>2024-05-01T12:34:56.1234567Z</c>), so they round-trip exactly and sort as text; they
/// come back with <see cref="DateTimeKind.Utc"/>. A <see cref="DateTimeKind.Local"/> value is
/// converted to UTC when stored, an <see cref="DateTimeKind.Unspecified"/> one is taken as UTC.
/// </para>
/// <para>
/// Sessions and transactions are not thread-safe: use each from one logical flow at a time.
/// The store itself is safe to share.
/// </para>
/// </remarks>
public static class SqliteStateStore
{
    /// <summary>
    /// Creates a store over the database file named by <paramref name="options"/>. No file is
    /// touched until <see cref="IStateStore.InitializeAsync"/>, which must be called before
    /// any session or transaction is opened.
    /// </summary>
    public static IStateStore Open(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            throw new ArgumentException("A database path is required.", nameof(options));
        }

        if (options.BusyTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BusyTimeout must not be negative.");
        }

        if (options.MaxIdleReadConnections < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxIdleReadConnections must not be negative.");
        }

        return new SqliteStore(options);
    }
}
