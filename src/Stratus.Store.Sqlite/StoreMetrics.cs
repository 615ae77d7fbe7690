using System.Diagnostics.Metrics;

namespace Stratus.Store.Sqlite;

/// <summary>
/// The store's instruments (System.Diagnostics.Metrics, meter <c>Stratus.Store</c>): how long each
/// write transaction held the writer, tagged <c>outcome</c> = commit or rollback. The server
/// exports them at <c>/metrics</c>.
/// </summary>
internal static class StoreMetrics
{
    private static readonly Meter Meter = new("Stratus.Store");

    private static readonly Histogram<double> Transactions = Meter.CreateHistogram<double>(
        "stratus.store.transaction.duration", "s", "Write transactions, from the writer lock taken to commit or rollback.");

    public static void Transaction(TimeSpan held, bool committed) =>
        Transactions.Record(held.TotalSeconds, new KeyValuePair<string, object?>("outcome", committed ? "commit" : "rollback"));
}
