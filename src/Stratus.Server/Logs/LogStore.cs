using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Stratus.Server.Logs;

/// <summary>A stored log group.</summary>
public sealed record LogGroupRecord(
    long Id, string AccountId, string Region, string Name, long CreationTime, int? RetentionInDays, string LogGroupClass, string? KmsKeyId,
    bool DeletionProtection, IReadOnlyDictionary<string, string> Tags, long StoredBytes)
{
    /// <summary>The ARN DescribeLogGroups calls <c>arn</c> (with <c>:*</c>, as IAM policies name a group's streams).</summary>
    public string ArnWithStreams => $"{Arn}:*";

    /// <summary>The ARN DescribeLogGroups calls <c>logGroupArn</c> (and tagging operations take).</summary>
    public string Arn => $"arn:aws:logs:{Region}:{AccountId}:log-group:{Name}";
}

/// <summary>A stored log stream; timestamps are epoch milliseconds.</summary>
public sealed record LogStreamRecord(long Id, long GroupId, string Name, long CreationTime, long? FirstEventTimestamp, long? LastEventTimestamp, long? LastIngestionTime, long Sequence);

/// <summary>A stored log event: its row id orders events of equal timestamp (the order they were put).</summary>
public readonly record struct LogEventRecord(long Id, long StreamId, long Timestamp, long IngestionTime, string Message);

/// <summary>An event's position in time order (timestamp, then row id): what GetLogEvents tokens and FilterLogEvents event ids encode.</summary>
public readonly record struct EventPosition(long Timestamp, long Id)
{
    public static readonly EventPosition Start = new(long.MinValue, long.MinValue);
    public static readonly EventPosition End = new(long.MaxValue, long.MaxValue);
}

/// <summary>
/// CloudWatch Logs' store: a SQLite database of its own (<c>logs.db</c> beside the state database),
/// like CloudWatch's metrics, so log ingestion never holds the state store's write transaction.
/// Groups, streams and events are rows (events indexed by stream and by group, each in
/// timestamp order); every write is one transaction, committed before the API answers. One
/// connection serves reads and writes under a lock: SQLite writes one at a time anyway.
/// </summary>
public sealed class LogStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    public LogStore(string path)
    {
        Path = path;
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _db.Open();
        Execute("PRAGMA journal_mode = WAL");
        Execute("PRAGMA synchronous = NORMAL");
        Execute("PRAGMA busy_timeout = 10000");
        Execute("""
            CREATE TABLE IF NOT EXISTS groups (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
              created INTEGER NOT NULL, retention INTEGER, class TEXT NOT NULL, kms TEXT, protection INTEGER NOT NULL, tags TEXT NOT NULL,
              UNIQUE (account, region, name));
            CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL,
              first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER, seq INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
              UNIQUE (grp, name));
            CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, stream INTEGER NOT NULL, ts INTEGER NOT NULL,
              ingest INTEGER NOT NULL, message TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS events_stream ON events (stream, ts, id);
            CREATE INDEX IF NOT EXISTS events_group ON events (grp, ts, id);
            """);
    }

    public string Path { get; }

    private void Execute(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    private const string GroupColumns = "g.id, g.account, g.region, g.name, g.created, g.retention, g.class, g.kms, g.protection, g.tags, " +
        "(SELECT COALESCE(SUM(bytes), 0) FROM streams s WHERE s.grp = g.id)";

    private static LogGroupRecord ReadGroup(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt32(5), r.GetString(6),
        r.IsDBNull(7) ? null : r.GetString(7), r.GetInt64(8) != 0, JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(9)) ?? [], r.GetInt64(10));

    private const string StreamColumns = "id, grp, name, created, first_ts, last_ts, last_ingest, seq";

    private static LogStreamRecord ReadStream(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5),
        r.IsDBNull(6) ? null : r.GetInt64(6), r.GetInt64(7));

    // ---- groups -----------------------------------------------------------------------------------

    /// <summary>Creates a group; false when the account already has one of that name in the region.</summary>
    public bool CreateGroup(string account, string region, string name, long created, string logGroupClass, string? kmsKeyId, bool protection,
        IReadOnlyDictionary<string, string> tags)
    {
        lock (_lock)
        {
            using var cmd = Command(
                "INSERT INTO groups (account, region, name, created, class, kms, protection, tags) VALUES ($a, $r, $n, $c, $cl, $k, $p, $t) ON CONFLICT DO NOTHING",
                ("$a", account), ("$r", region), ("$n", name), ("$c", created), ("$cl", logGroupClass), ("$k", kmsKeyId), ("$p", protection ? 1 : 0),
                ("$t", JsonSerializer.Serialize(tags)));
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    public LogGroupRecord? FindGroup(string account, string region, string name)
    {
        lock (_lock)
        {
            using var cmd = Command($"SELECT {GroupColumns} FROM groups g WHERE account = $a AND region = $r AND name = $n", ("$a", account), ("$r", region), ("$n", name));
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadGroup(r) : null;
        }
    }

    /// <summary>The groups of an account and region in name order.</summary>
    public List<LogGroupRecord> Groups(string account, string region)
    {
        lock (_lock)
        {
            using var cmd = Command($"SELECT {GroupColumns} FROM groups g WHERE account = $a AND region = $r ORDER BY name", ("$a", account), ("$r", region));
            using var r = cmd.ExecuteReader();
            var list = new List<LogGroupRecord>();
            while (r.Read())
            {
                list.Add(ReadGroup(r));
            }
            // SQLite orders by its BINARY collation, which is ordinal for UTF-8; kept explicit.
            list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return list;
        }
    }

    /// <summary>Every group that has a retention policy (for the retention sweep).</summary>
    public List<LogGroupRecord> GroupsWithRetention()
    {
        lock (_lock)
        {
            using var cmd = Command($"SELECT {GroupColumns} FROM groups g WHERE retention IS NOT NULL");
            using var r = cmd.ExecuteReader();
            var list = new List<LogGroupRecord>();
            while (r.Read())
            {
                list.Add(ReadGroup(r));
            }
            return list;
        }
    }

    /// <summary>Deletes a group with its streams and events.</summary>
    public void DeleteGroup(long groupId)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            foreach (var sql in new[] { "DELETE FROM events WHERE grp = $g", "DELETE FROM streams WHERE grp = $g", "DELETE FROM groups WHERE id = $g" })
            {
                using var cmd = Command(sql, ("$g", groupId));
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public void SetRetention(long groupId, int? days)
    {
        lock (_lock)
        {
            using var cmd = Command("UPDATE groups SET retention = $d WHERE id = $g", ("$d", days), ("$g", groupId));
            cmd.ExecuteNonQuery();
        }
    }

    public void SetDeletionProtection(long groupId, bool enabled)
    {
        lock (_lock)
        {
            using var cmd = Command("UPDATE groups SET protection = $p WHERE id = $g", ("$p", enabled ? 1 : 0), ("$g", groupId));
            cmd.ExecuteNonQuery();
        }
    }

    public void SetTags(long groupId, IReadOnlyDictionary<string, string> tags)
    {
        lock (_lock)
        {
            using var cmd = Command("UPDATE groups SET tags = $t WHERE id = $g", ("$t", JsonSerializer.Serialize(tags)), ("$g", groupId));
            cmd.ExecuteNonQuery();
        }
    }

    // ---- streams ----------------------------------------------------------------------------------

    public bool CreateStream(long groupId, string name, long created)
    {
        lock (_lock)
        {
            using var cmd = Command("INSERT INTO streams (grp, name, created) VALUES ($g, $n, $c) ON CONFLICT DO NOTHING", ("$g", groupId), ("$n", name), ("$c", created));
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    public LogStreamRecord? FindStream(long groupId, string name)
    {
        lock (_lock)
        {
            using var cmd = Command($"SELECT {StreamColumns} FROM streams WHERE grp = $g AND name = $n", ("$g", groupId), ("$n", name));
            using var r = cmd.ExecuteReader();
            return r.Read() ? ReadStream(r) : null;
        }
    }

    public List<LogStreamRecord> Streams(long groupId)
    {
        lock (_lock)
        {
            using var cmd = Command($"SELECT {StreamColumns} FROM streams WHERE grp = $g", ("$g", groupId));
            using var r = cmd.ExecuteReader();
            var list = new List<LogStreamRecord>();
            while (r.Read())
            {
                list.Add(ReadStream(r));
            }
            return list;
        }
    }

    public void DeleteStream(long streamId)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            foreach (var sql in new[] { "DELETE FROM events WHERE stream = $s", "DELETE FROM streams WHERE id = $s" })
            {
                using var cmd = Command(sql, ("$s", streamId));
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    // ---- events -----------------------------------------------------------------------------------

    /// <summary>Appends events (already validated, in time order) to a stream in one transaction; answers the stream's new sequence number.</summary>
    public long Append(LogStreamRecord stream, IReadOnlyList<(long Timestamp, string Message)> events, long ingestionTime)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            using (var insert = Command("INSERT INTO events (grp, stream, ts, ingest, message) VALUES ($g, $s, $t, $i, $m)"))
            {
                insert.Transaction = tx;
                var ts = insert.Parameters.Add("$t", SqliteType.Integer);
                var message = insert.Parameters.Add("$m", SqliteType.Text);
                insert.Parameters.AddWithValue("$g", stream.GroupId);
                insert.Parameters.AddWithValue("$s", stream.Id);
                insert.Parameters.AddWithValue("$i", ingestionTime);
                insert.Prepare();
                foreach (var e in events)
                {
                    ts.Value = e.Timestamp;
                    message.Value = e.Message;
                    insert.ExecuteNonQuery();
                }
            }
            var bytes = events.Sum(e => (long)System.Text.Encoding.UTF8.GetByteCount(e.Message));
            long sequence;
            using (var update = Command("""
                UPDATE streams SET seq = seq + 1, bytes = bytes + $b, last_ingest = $i,
                  first_ts = CASE WHEN first_ts IS NULL OR first_ts > $lo THEN $lo ELSE first_ts END,
                  last_ts = CASE WHEN last_ts IS NULL OR last_ts < $hi THEN $hi ELSE last_ts END
                WHERE id = $s RETURNING seq
                """, ("$b", bytes), ("$i", ingestionTime), ("$lo", events.Count == 0 ? null : events.Min(e => e.Timestamp)),
                ("$hi", events.Count == 0 ? null : events.Max(e => e.Timestamp)), ("$s", stream.Id)))
            {
                update.Transaction = tx;
                sequence = Convert.ToInt64(update.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
            tx.Commit();
            return sequence;
        }
    }

    /// <summary>
    /// Events of one stream (or of a whole group when <paramref name="streamId"/> is null) strictly
    /// after (<paramref name="forward"/>) or before <paramref name="from"/>, within [start, end] by
    /// timestamp, nearest first. <paramref name="take"/> says whether to keep reading (it is given each event).
    /// </summary>
    public void Scan(long groupId, long? streamId, EventPosition from, bool forward, long? start, long? end, Func<LogEventRecord, bool> take)
    {
        lock (_lock)
        {
            var where = streamId is null ? "grp = $g" : "stream = $s";
            var cmp = forward ? "(ts > $ft OR (ts = $ft AND id > $fi))" : "(ts < $ft OR (ts = $ft AND id < $fi))";
            var order = forward ? "ts, id" : "ts DESC, id DESC";
            using var cmd = Command(
                $"SELECT id, stream, ts, ingest, message FROM events WHERE {where} AND {cmp} AND ts >= $lo AND ts <= $hi ORDER BY {order}",
                ("$g", groupId), ("$s", streamId), ("$ft", from.Timestamp), ("$fi", from.Id), ("$lo", start ?? long.MinValue), ("$hi", end ?? long.MaxValue));
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                if (!take(new LogEventRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4))))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Deletes a group's events older than <paramref name="before"/> (epoch ms); answers how many went.</summary>
    public int Expire(long groupId, long before)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            using var bytes = Command("""
                UPDATE streams SET bytes = MAX(0, bytes - COALESCE((SELECT SUM(LENGTH(CAST(message AS BLOB))) FROM events e WHERE e.stream = streams.id AND e.ts < $b), 0))
                WHERE grp = $g
                """, ("$g", groupId), ("$b", before));
            bytes.Transaction = tx;
            bytes.ExecuteNonQuery();
            using var cmd = Command("DELETE FROM events WHERE grp = $g AND ts < $b", ("$g", groupId), ("$b", before));
            cmd.Transaction = tx;
            var n = cmd.ExecuteNonQuery();
            tx.Commit();
            return n;
        }
    }

    /// <summary>Forgets every group, stream and event of an account (<c>/_stratus/reset</c>).</summary>
    public void DeleteAccount(string account)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            foreach (var sql in new[]
            {
                "DELETE FROM events WHERE grp IN (SELECT id FROM groups WHERE account = $a)",
                "DELETE FROM streams WHERE grp IN (SELECT id FROM groups WHERE account = $a)",
                "DELETE FROM groups WHERE account = $a",
            })
            {
                using var cmd = Command(sql, ("$a", account));
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public void Dispose() => _db.Dispose();
}
