using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using Stratus.Domain.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// A metric's identity: account, region, namespace, name and its dimensions (sorted by name).
/// Equality and hashing are structural (ordinal); the canonical text (<see cref="Canonical"/>, what
/// ListMetrics orders and pages by) is built when asked for, not kept, so a key costs one object
/// and its dimension array. Keys held by the <see cref="MetricStore"/> share their strings and
/// dimension arrays with every other series of the same account, namespace, name or dimensions.
/// </summary>
public sealed class SeriesKey : IEquatable<SeriesKey>
{
    private readonly KeyValuePair<string, string>[] _dimensions;

    private SeriesKey(string accountId, string region, string ns, string metricName, KeyValuePair<string, string>[] dimensions)
    {
        AccountId = accountId;
        Region = region;
        Namespace = ns;
        MetricName = metricName;
        _dimensions = dimensions;
    }

    public string AccountId { get; }
    public string Region { get; }
    public string Namespace { get; }
    public string MetricName { get; }
    public IReadOnlyList<KeyValuePair<string, string>> Dimensions => _dimensions;

    /// <summary>The key as one string: its parts joined by U+001F, each dimension as name U+001E value.</summary>
    public string Canonical => string.Join('\u001f', [AccountId, Region, Namespace, MetricName, .. _dimensions.Select(d => d.Key + "\u001e" + d.Value)]);

    public static SeriesKey Create(string accountId, string region, string ns, string name, IEnumerable<KeyValuePair<string, string>> dimensions)
    {
        var sorted = dimensions.ToArray();
        if (sorted.Length > 1)
        {
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        }
        return new(accountId, region, ns, name, sorted);
    }

    /// <summary>The same key with its strings and dimension array taken from <paramref name="pool"/>.</summary>
    internal SeriesKey Intern(SeriesKeyPool pool) =>
        new(pool.Intern(AccountId), pool.Intern(Region), pool.Intern(Namespace), pool.Intern(MetricName), pool.Intern(_dimensions));

    /// <summary>Puts this key's own strings and dimension array into <paramref name="pool"/> (a pool rebuilt from the keys it serves).</summary>
    internal void Adopt(SeriesKeyPool pool)
    {
        pool.Intern(AccountId);
        pool.Intern(Region);
        pool.Intern(Namespace);
        pool.Intern(MetricName);
        pool.Adopt(_dimensions);
    }

    public bool Equals(SeriesKey? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (MetricName == other.MetricName && Namespace == other.Namespace && AccountId == other.AccountId && Region == other.Region
                && SeriesKeyPool.SameDimensions(_dimensions, other._dimensions)));

    public override bool Equals(object? obj) => Equals(obj as SeriesKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(AccountId, StringComparer.Ordinal);
        hash.Add(Region, StringComparer.Ordinal);
        hash.Add(Namespace, StringComparer.Ordinal);
        hash.Add(MetricName, StringComparer.Ordinal);
        hash.Add(SeriesKeyPool.HashDimensions(_dimensions));
        return hash.ToHashCode();
    }

    public override string ToString() => Canonical;
}

/// <summary>
/// The strings and dimension arrays the keys of a <see cref="MetricStore"/> share: every series of
/// an instance (a dozen metrics with the same InstanceId dimension) holds one array and one id
/// string, and every series holds the same account, region, namespace and metric name strings.
/// </summary>
internal sealed class SeriesKeyPool : IEqualityComparer<KeyValuePair<string, string>[]>
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<KeyValuePair<string, string>[]> _dimensions;

    public SeriesKeyPool() => _dimensions = new HashSet<KeyValuePair<string, string>[]>(this);

    public string Intern(string value)
    {
        if (_strings.TryGetValue(value, out var kept))
        {
            return kept;
        }
        _strings[value] = value;
        return value;
    }

    public KeyValuePair<string, string>[] Intern(KeyValuePair<string, string>[] dimensions)
    {
        if (_dimensions.TryGetValue(dimensions, out var kept))
        {
            return kept;
        }
        var copy = new KeyValuePair<string, string>[dimensions.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = new(Intern(dimensions[i].Key), Intern(dimensions[i].Value));
        }
        _dimensions.Add(copy);
        return copy;
    }

    public void Adopt(KeyValuePair<string, string>[] dimensions)
    {
        if (_dimensions.Add(dimensions))
        {
            foreach (var (name, value) in dimensions)
            {
                Intern(name);
                Intern(value);
            }
        }
    }

    public static bool SameDimensions(KeyValuePair<string, string>[] a, KeyValuePair<string, string>[] b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a.Length != b.Length)
        {
            return false;
        }
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i].Key != b[i].Key || a[i].Value != b[i].Value)
            {
                return false;
            }
        }
        return true;
    }

    public static int HashDimensions(KeyValuePair<string, string>[] dimensions)
    {
        var hash = new HashCode();
        foreach (var (name, value) in dimensions)
        {
            hash.Add(name, StringComparer.Ordinal);
            hash.Add(value, StringComparer.Ordinal);
        }
        return hash.ToHashCode();
    }

    bool IEqualityComparer<KeyValuePair<string, string>[]>.Equals(KeyValuePair<string, string>[]? x, KeyValuePair<string, string>[]? y) =>
        x is not null && y is not null && SameDimensions(x, y);

    int IEqualityComparer<KeyValuePair<string, string>[]>.GetHashCode(KeyValuePair<string, string>[] obj) => HashDimensions(obj);
}

/// <summary>A stored metric and when data was last put to it (epoch seconds).</summary>
public sealed class MetricSeries(long id, SeriesKey key, long lastPut)
{
    public long Id { get; } = id;
    public SeriesKey Key { get; } = key;
    public long LastPut { get; set; } = lastPut;
}

/// <summary>A stored slot of a series: its start (epoch seconds), unit and aggregate.</summary>
public readonly record struct MetricPoint(long Timestamp, string Unit, MetricAggregate Aggregate);

/// <summary>
/// The metrics store: a SQLite database of its own (<c>cloudwatch.db</c> beside the state
/// database) so metric writes never wait for, or hold, the state store's write transaction.
/// Each series is a row of <c>series</c>; its data are rows of <c>points</c> keyed by (series,
/// slot start, unit) holding sample count, sum, minimum, maximum (null when equal to the sum of
/// a single sample) and the value distribution for percentiles (null when there is one sample or
/// the data came as statistic sets), in a WITHOUT ROWID table with untyped columns so integers
/// stay compact. Puts aggregate in memory by slot and are written in one transaction per flush
/// (every second, and before every query, so reads see every accepted put).
/// The same database keeps alarms, their history, dashboards and tags (<see cref="CloudWatchState"/>).
/// </summary>
public sealed class MetricStore : IAsyncDisposable
{
    /// <summary>The units CloudWatch accepts, by their stored code (None is 0).</summary>
    public static readonly IReadOnlyList<string> Units =
    [
        "None", "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
        "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
        "Gigabits/Second", "Terabits/Second", "Count/Second",
    ];

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<SeriesKey, MetricSeries> _series = [];
    private SeriesKeyPool _pool = new();
    private Dictionary<(long Series, long Ts, int Unit), MetricAggregate> _pending = [];
    private readonly List<MetricSeries> _newSeries = [];
    private readonly HashSet<MetricSeries> _touched = [];
    private long _nextId = 1;

    public MetricStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute("PRAGMA journal_mode = WAL");
        Execute("PRAGMA synchronous = NORMAL");
        Execute("PRAGMA busy_timeout = 10000");
        Execute("""
            CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL,
              name TEXT NOT NULL, dims TEXT NOT NULL, last_put INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS points (series INTEGER NOT NULL, ts INTEGER NOT NULL, unit INTEGER NOT NULL, n, sum, mn, mx, dist BLOB,
              PRIMARY KEY (series, ts, unit)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS alarms (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
              PRIMARY KEY (account, region, name)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, alarm TEXT NOT NULL,
              ts INTEGER NOT NULL, doc TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS history_alarm ON history (account, region, alarm, ts);
            CREATE TABLE IF NOT EXISTS dashboards (account TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, modified INTEGER NOT NULL,
              PRIMARY KEY (account, name)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS tags (arn TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
            """);
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "SELECT id, account, region, namespace, name, dims, last_put FROM series";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var dims = reader.GetString(5).Length == 0
                ? []
                : reader.GetString(5).Split('\u001f').Select(d => d.Split('\u001e', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
            var key = SeriesKey.Create(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), dims).Intern(_pool);
            var series = new MetricSeries(reader.GetInt64(0), key, reader.GetInt64(6));
            _series[key] = series;
            _nextId = Math.Max(_nextId, series.Id + 1);
        }
    }

    public string Path { get; }

    /// <summary>
    /// Adds data to a series (created on first put). Visible to queries at once; durable at the next
    /// flush. The store keeps <paramref name="aggregate"/> itself until then (no copy per put): callers
    /// pass one they do not change afterwards.
    /// </summary>
    public void Put(SeriesKey key, long timestamp, string unit, MetricAggregate aggregate, long now)
    {
        var unitCode = UnitCode(unit);
        lock (_lock)
        {
            if (!_series.TryGetValue(key, out var series))
            {
                series = new MetricSeries(_nextId++, key.Intern(_pool), now);
                _series[series.Key] = series;
                _newSeries.Add(series);
            }
            series.LastPut = Math.Max(series.LastPut, now);
            _touched.Add(series);
            var slot = (series.Id, timestamp, unitCode);
            if (_pending.TryGetValue(slot, out var existing))
            {
                existing.Merge(aggregate);
            }
            else
            {
                _pending[slot] = aggregate;
            }
        }
    }

    public static int UnitCode(string unit)
    {
        for (var i = 0; i < Units.Count; i++)
        {
            if (Units[i] == unit)
            {
                return i;
            }
        }
        return 0;
    }

    /// <summary>The series of an account and region.</summary>
    public IReadOnlyList<MetricSeries> ListSeries(string accountId, string region)
    {
        lock (_lock)
        {
            return _series.Values.Where(s => s.Key.AccountId == accountId && s.Key.Region == region).ToList();
        }
    }

    public MetricSeries? Find(SeriesKey key)
    {
        lock (_lock)
        {
            return _series.GetValueOrDefault(key);
        }
    }

    public int SeriesCount
    {
        get
        {
            lock (_lock)
            {
                return _series.Count;
            }
        }
    }

    /// <summary>Writes what was put since the last flush, in one transaction.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Dictionary<(long Series, long Ts, int Unit), MetricAggregate> pending;
            List<MetricSeries> created;
            List<MetricSeries> touched;
            lock (_lock)
            {
                if (_pending.Count == 0 && _newSeries.Count == 0 && _touched.Count == 0)
                {
                    return;
                }
                pending = _pending;
                _pending = [];
                created = [.. _newSeries];
                _newSeries.Clear();
                touched = [.. _touched];
                _touched.Clear();
            }
            using var tx = _writer.BeginTransaction();
            using (var insertSeries = Command(tx, "INSERT INTO series (id, account, region, namespace, name, dims, last_put) VALUES ($id, $a, $r, $ns, $n, $d, $lp)"))
            {
                foreach (var s in created)
                {
                    insertSeries.Parameters["$id"].Value = s.Id;
                    insertSeries.Parameters["$a"].Value = s.Key.AccountId;
                    insertSeries.Parameters["$r"].Value = s.Key.Region;
                    insertSeries.Parameters["$ns"].Value = s.Key.Namespace;
                    insertSeries.Parameters["$n"].Value = s.Key.MetricName;
                    insertSeries.Parameters["$d"].Value = string.Join('\u001f', s.Key.Dimensions.Select(d => d.Key + "\u001e" + d.Value));
                    insertSeries.Parameters["$lp"].Value = s.LastPut;
                    insertSeries.ExecuteNonQuery();
                }
            }
            using (var touch = Command(tx, "UPDATE series SET last_put = $lp WHERE id = $id"))
            {
                foreach (var s in touched.Except(created))
                {
                    touch.Parameters["$id"].Value = s.Id;
                    touch.Parameters["$lp"].Value = s.LastPut;
                    touch.ExecuteNonQuery();
                }
            }
            using var select = Command(tx, "SELECT n, sum, mn, mx, dist FROM points WHERE series = $s AND ts = $t AND unit = $u");
            using var upsert = Command(tx, "INSERT OR REPLACE INTO points (series, ts, unit, n, sum, mn, mx, dist) VALUES ($s, $t, $u, $n, $sum, $mn, $mx, $dist)");
            foreach (var ((seriesId, ts, unit), fresh) in pending)
            {
                var aggregate = fresh;
                select.Parameters["$s"].Value = seriesId;
                select.Parameters["$t"].Value = ts;
                select.Parameters["$u"].Value = unit;
                using (var r = select.ExecuteReader())
                {
                    if (r.Read())
                    {
                        var stored = Read(r, 0);
                        stored.Merge(aggregate);
                        aggregate = stored;
                    }
                }
                Write(upsert, seriesId, ts, unit, aggregate);
            }
            tx.Commit();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The stored slots of a series in [from, to), optionally of one unit, ordered by time.</summary>
    public async Task<List<MetricPoint>> QueryAsync(long seriesId, long from, long to, string? unit, CancellationToken ct = default)
    {
        await FlushAsync(ct).ConfigureAwait(false);
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = unit is null
            ? "SELECT ts, unit, n, sum, mn, mx, dist FROM points WHERE series = $s AND ts >= $f AND ts < $t ORDER BY ts"
            : "SELECT ts, unit, n, sum, mn, mx, dist FROM points WHERE series = $s AND ts >= $f AND ts < $t AND unit = $u ORDER BY ts";
        cmd.Parameters.AddWithValue("$s", seriesId);
        cmd.Parameters.AddWithValue("$f", from);
        cmd.Parameters.AddWithValue("$t", to);
        if (unit is not null)
        {
            cmd.Parameters.AddWithValue("$u", UnitCode(unit));
        }
        var result = new List<MetricPoint>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var code = reader.GetInt32(1);
            result.Add(new MetricPoint(reader.GetInt64(0), code < Units.Count ? Units[code] : "None", Read(reader, 2)));
        }
        return result;
    }

    /// <summary>
    /// Rolls data up and expires it as CloudWatch does: 1-second data older than 3 hours become
    /// 1-minute data, 1-minute data older than 15 days 5-minute data, 5-minute data older than 63
    /// days 1-hour data; data older than 455 days are deleted.
    /// </summary>
    public async Task RollUpAsync(long now, CancellationToken ct = default)
    {
        await FlushAsync(ct).ConfigureAwait(false);
        List<long> ids;
        lock (_lock)
        {
            ids = _series.Values.Select(s => s.Id).ToList();
        }
        foreach (var id in ids)
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                using var tx = _writer.BeginTransaction();
                using (var delete = Command(tx, "DELETE FROM points WHERE series = $s AND ts < $t"))
                {
                    delete.Parameters["$s"].Value = id;
                    delete.Parameters["$t"].Value = now - 455L * 86400;
                    delete.ExecuteNonQuery();
                }
                RollUp(tx, id, now - 455L * 86400, now - 63L * 86400, 3600);
                RollUp(tx, id, now - 455L * 86400, now - 15L * 86400, 300);
                RollUp(tx, id, now - 455L * 86400, now - 3L * 3600, 60);
                tx.Commit();
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private static void RollUp(SqliteTransaction tx, long seriesId, long from, long to, int size)
    {
        var rows = new List<(long Ts, int Unit, MetricAggregate Aggregate)>();
        using (var select = Command(tx, "SELECT ts, unit, n, sum, mn, mx, dist FROM points WHERE series = $s AND ts >= $f AND ts < $t"))
        {
            select.Parameters["$s"].Value = seriesId;
            select.Parameters["$f"].Value = from;
            select.Parameters["$t"].Value = to - to % size;
            using var r = select.ExecuteReader();
            while (r.Read())
            {
                rows.Add((r.GetInt64(0), r.GetInt32(1), Read(r, 2)));
            }
        }
        using var delete = Command(tx, "DELETE FROM points WHERE series = $s AND ts = $t AND unit = $u");
        using var upsert = Command(tx, "INSERT OR REPLACE INTO points (series, ts, unit, n, sum, mn, mx, dist) VALUES ($s, $t, $u, $n, $sum, $mn, $mx, $dist)");
        foreach (var group in rows.GroupBy(r => (Slot: r.Ts - r.Ts % size, r.Unit)))
        {
            if (group.Count() == 1 && group.First().Ts == group.Key.Slot)
            {
                continue;
            }
            MetricAggregate? merged = null;
            foreach (var row in group)
            {
                delete.Parameters["$s"].Value = seriesId;
                delete.Parameters["$t"].Value = row.Ts;
                delete.Parameters["$u"].Value = row.Unit;
                delete.ExecuteNonQuery();
                if (merged is null)
                {
                    merged = row.Aggregate;
                }
                else
                {
                    merged.Merge(row.Aggregate);
                }
            }
            Write(upsert, seriesId, group.Key.Slot, group.Key.Unit, merged!);
        }
    }

    private static readonly string[] AccountDeletes =
    [
        "DELETE FROM points WHERE series IN (SELECT id FROM series WHERE account = $a)",
        "DELETE FROM series WHERE account = $a",
        "DELETE FROM alarms WHERE account = $a",
        "DELETE FROM history WHERE account = $a",
        "DELETE FROM dashboards WHERE account = $a",
        "DELETE FROM tags WHERE arn LIKE 'arn:%:cloudwatch:%:' || $a || ':%'",
    ];

    /// <summary>
    /// Deletes everything of an account (every region): its series and their points, alarms, alarm
    /// history, dashboards and the tags of its alarms and dashboards (<c>/_stratus/reset</c>).
    /// </summary>
    public async Task DeleteAccountAsync(string accountId, CancellationToken ct = default)
    {
        await FlushAsync(ct).ConfigureAwait(false);
        await WriteAsync(tx =>
        {
            lock (_lock)
            {
                var gone = _series.Where(s => s.Value.Key.AccountId == accountId).ToList();
                var ids = gone.Select(s => s.Value.Id).ToHashSet();
                foreach (var (key, series) in gone)
                {
                    _series.Remove(key);
                    _touched.Remove(series);
                }
                if (gone.Count > 0)
                {
                    // Drop the strings and dimension sets only the deleted series held.
                    _pool = new SeriesKeyPool();
                    foreach (var series in _series.Values)
                    {
                        series.Key.Adopt(_pool);
                    }
                }
                _newSeries.RemoveAll(s => ids.Contains(s.Id));
                foreach (var slot in _pending.Keys.Where(k => ids.Contains(k.Series)).ToList())
                {
                    _pending.Remove(slot);
                }
            }
            foreach (var sql in AccountDeletes)
            {
                using var cmd = Command(tx, sql);
                cmd.Parameters["$a"].Value = accountId;
                cmd.ExecuteNonQuery();
            }
            return true;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction of the database (alarms, history, dashboards, tags).</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteTransaction, T> work, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var tx = _writer.BeginTransaction();
            var result = work(tx);
            tx.Commit();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A read connection (the caller disposes it).</summary>
    public SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Bytes the database file and its write-ahead log take on disk.</summary>
    public long SizeOnDisk()
    {
        long size = 0;
        foreach (var suffix in new[] { "", "-wal" })
        {
            var file = new FileInfo(Path + suffix);
            if (file.Exists)
            {
                size += file.Length;
            }
        }
        return size;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
            Execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        finally
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            _gate.Dispose();
        }
    }

    internal static SqliteCommand Command(SqliteTransaction tx, string sql)
    {
        var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(sql, @"\$[a-z]+").Select(m => m.Value).Distinct())
        {
            cmd.Parameters.Add(new SqliteParameter(name, null));
        }
        return cmd;
    }

    private void Execute(string sql)
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Integral values are stored as SQLite integers (1–8 bytes instead of 8).</summary>
#pragma warning disable CA1859 // the point is to return a long or a double
    private static object Compact(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 9e15 ? (long)value : value;
#pragma warning restore CA1859

    private static void Write(SqliteCommand upsert, long seriesId, long ts, int unit, MetricAggregate a)
    {
        upsert.Parameters["$s"].Value = seriesId;
        upsert.Parameters["$t"].Value = ts;
        upsert.Parameters["$u"].Value = unit;
        upsert.Parameters["$n"].Value = Compact(a.SampleCount);
        upsert.Parameters["$sum"].Value = Compact(a.Sum);
        var single = a.SampleCount == 1 && a.Minimum == a.Sum && a.Maximum == a.Sum;
        upsert.Parameters["$mn"].Value = single ? DBNull.Value : Compact(a.Minimum);
        upsert.Parameters["$mx"].Value = single ? DBNull.Value : Compact(a.Maximum);
        if (single || a.Distribution is null)
        {
            // One sample needs no distribution; statistic sets have none (an empty blob says so).
            upsert.Parameters["$dist"].Value = single ? DBNull.Value : Array.Empty<byte>();
        }
        else
        {
            var blob = new byte[a.Distribution.Count * 16];
            for (var i = 0; i < a.Distribution.Count; i++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(i * 16), a.Distribution[i].Value);
                BinaryPrimitives.WriteDoubleLittleEndian(blob.AsSpan(i * 16 + 8), a.Distribution[i].Count);
            }
            upsert.Parameters["$dist"].Value = blob;
        }
        upsert.ExecuteNonQuery();
    }

    private static MetricAggregate Read(SqliteDataReader r, int first)
    {
        var n = r.GetDouble(first);
        var sum = r.GetDouble(first + 1);
        var min = r.IsDBNull(first + 2) ? sum : r.GetDouble(first + 2);
        var max = r.IsDBNull(first + 3) ? sum : r.GetDouble(first + 3);
        List<(double, double)>? dist;
        if (r.IsDBNull(first + 4))
        {
            dist = [(sum, 1)];
        }
        else
        {
            var blob = (byte[])r.GetValue(first + 4);
            if (blob.Length == 0)
            {
                dist = null;
            }
            else
            {
                dist = new List<(double, double)>(blob.Length / 16);
                for (var i = 0; i + 16 <= blob.Length; i += 16)
                {
                    dist.Add((BinaryPrimitives.ReadDoubleLittleEndian(blob.AsSpan(i)), BinaryPrimitives.ReadDoubleLittleEndian(blob.AsSpan(i + 8))));
                }
            }
        }
        return MetricAggregate.Restore(n, sum, min, max, dist);
    }
}
