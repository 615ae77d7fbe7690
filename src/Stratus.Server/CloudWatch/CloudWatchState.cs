using System.Text.Json;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>An alarm as stored: a metric alarm or a composite alarm (the shapes DescribeAlarms answers with).</summary>
public sealed class AlarmRecord
{
    public MetricAlarm? Metric { get; set; }
    public CompositeAlarm? Composite { get; set; }

    /// <summary>When the alarm was last evaluated (epoch seconds), to honour its period.</summary>
    public long LastEvaluated { get; set; }

    public string Name => Metric?.AlarmName ?? Composite!.AlarmName!;
    public string Arn => Metric?.AlarmArn ?? Composite!.AlarmArn!;
    public string Type => Metric is not null ? "MetricAlarm" : "CompositeAlarm";
    public string State => Metric?.StateValue ?? Composite!.StateValue!;
    public bool ActionsEnabled => (Metric?.ActionsEnabled ?? Composite!.ActionsEnabled) != false;

    public AlarmRecord Clone() => JsonSerializer.Deserialize<AlarmRecord>(JsonSerializer.Serialize(this))!;
}

/// <summary>A stored alarm history item.</summary>
public sealed record HistoryRecord(string AccountId, string Region, AlarmHistoryItem Item);

/// <summary>
/// Alarms (kept in memory, written through to <c>cloudwatch.db</c>), their history, dashboards
/// and tags — the CloudWatch state that is not metric data.
/// </summary>
public sealed class CloudWatchState
{
    private readonly MetricStore _db;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Account, string Region, string Name), AlarmRecord> _alarms = [];

    public CloudWatchState(MetricStore db)
    {
        _db = db;
        using var connection = db.OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT account, region, name, doc FROM alarms";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            _alarms[(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = JsonSerializer.Deserialize<AlarmRecord>(reader.GetString(3))!;
        }
    }

    public MetricStore Metrics => _db;

    /// <summary>Forgets every metric, alarm, history item, dashboard and tag of an account (<c>/_stratus/reset</c>).</summary>
    public async Task ResetAccountAsync(string accountId, CancellationToken ct = default)
    {
        await _db.DeleteAccountAsync(accountId, ct).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var key in _alarms.Keys.Where(k => k.Account == accountId).ToList())
            {
                _alarms.Remove(key);
            }
        }
    }

    /// <summary>The alarms of an account and region, by name (copies: change them through <see cref="PutAlarmsAsync"/>).</summary>
    public List<AlarmRecord> Alarms(string accountId, string region)
    {
        lock (_lock)
        {
            return _alarms.Where(a => a.Key.Account == accountId && a.Key.Region == region)
                .OrderBy(a => a.Key.Name, StringComparer.Ordinal).Select(a => a.Value.Clone()).ToList();
        }
    }

    /// <summary>Every alarm of every account and region (for the evaluator).</summary>
    public List<(string AccountId, string Region, AlarmRecord Alarm)> AllAlarms()
    {
        lock (_lock)
        {
            return _alarms.Select(a => (a.Key.Account, a.Key.Region, a.Value.Clone())).ToList();
        }
    }

    public AlarmRecord? Find(string accountId, string region, string name)
    {
        lock (_lock)
        {
            return _alarms.TryGetValue((accountId, region, name), out var a) ? a.Clone() : null;
        }
    }

    /// <summary>Stores alarms and history items in one transaction.</summary>
    public Task PutAlarmsAsync(string accountId, string region, IReadOnlyList<AlarmRecord> alarms, IReadOnlyList<AlarmHistoryItem> history, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            using (var put = MetricStore.Command(tx, "INSERT OR REPLACE INTO alarms (account, region, name, doc) VALUES ($a, $r, $n, $d)"))
            {
                foreach (var alarm in alarms)
                {
                    put.Parameters["$a"].Value = accountId;
                    put.Parameters["$r"].Value = region;
                    put.Parameters["$n"].Value = alarm.Name;
                    put.Parameters["$d"].Value = JsonSerializer.Serialize(alarm);
                    put.ExecuteNonQuery();
                }
            }
            AddHistory(tx, accountId, region, history);
            lock (_lock)
            {
                foreach (var alarm in alarms)
                {
                    _alarms[(accountId, region, alarm.Name)] = alarm.Clone();
                }
            }
            return true;
        }, ct);

    /// <summary>
    /// Changes the stored alarm <paramref name="name"/> (as it is now, not as a caller read it
    /// earlier) with <paramref name="change"/>, which returns the history item to record; null
    /// when the alarm no longer exists (deleted meanwhile: nothing is written).
    /// </summary>
    public Task<AlarmRecord?> UpdateAsync(string accountId, string region, string name, Func<AlarmRecord, AlarmHistoryItem> change, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            AlarmRecord current;
            lock (_lock)
            {
                if (!_alarms.TryGetValue((accountId, region, name), out var stored))
                {
                    return null;
                }
                current = stored.Clone();
            }
            var item = change(current);
            using (var put = MetricStore.Command(tx, "INSERT OR REPLACE INTO alarms (account, region, name, doc) VALUES ($a, $r, $n, $d)"))
            {
                put.Parameters["$a"].Value = accountId;
                put.Parameters["$r"].Value = region;
                put.Parameters["$n"].Value = name;
                put.Parameters["$d"].Value = JsonSerializer.Serialize(current);
                put.ExecuteNonQuery();
            }
            AddHistory(tx, accountId, region, [item]);
            lock (_lock)
            {
                _alarms[(accountId, region, name)] = current.Clone();
            }
            return (AlarmRecord?)current;
        }, ct);

    /// <summary>Records only when an alarm was evaluated (memory only: a restart evaluates again).</summary>
    public void MarkEvaluated(string accountId, string region, string name, long now)
    {
        lock (_lock)
        {
            if (_alarms.TryGetValue((accountId, region, name), out var a))
            {
                a.LastEvaluated = now;
            }
        }
    }

    public Task DeleteAlarmsAsync(string accountId, string region, IReadOnlyList<AlarmRecord> alarms, IReadOnlyList<AlarmHistoryItem> history, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            using (var delete = MetricStore.Command(tx, "DELETE FROM alarms WHERE account = $a AND region = $r AND name = $n"))
            using (var untag = MetricStore.Command(tx, "DELETE FROM tags WHERE arn = $arn"))
            {
                foreach (var alarm in alarms)
                {
                    delete.Parameters["$a"].Value = accountId;
                    delete.Parameters["$r"].Value = region;
                    delete.Parameters["$n"].Value = alarm.Name;
                    delete.ExecuteNonQuery();
                    untag.Parameters["$arn"].Value = alarm.Arn;
                    untag.ExecuteNonQuery();
                }
            }
            AddHistory(tx, accountId, region, history);
            lock (_lock)
            {
                foreach (var alarm in alarms)
                {
                    _alarms.Remove((accountId, region, alarm.Name));
                }
            }
            return true;
        }, ct);

    public Task AddHistoryAsync(string accountId, string region, IReadOnlyList<AlarmHistoryItem> history, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            AddHistory(tx, accountId, region, history);
            return true;
        }, ct);

    private static void AddHistory(Microsoft.Data.Sqlite.SqliteTransaction tx, string accountId, string region, IReadOnlyList<AlarmHistoryItem> history)
    {
        using var add = MetricStore.Command(tx, "INSERT INTO history (account, region, alarm, ts, doc) VALUES ($a, $r, $n, $t, $d)");
        foreach (var item in history)
        {
            add.Parameters["$a"].Value = accountId;
            add.Parameters["$r"].Value = region;
            add.Parameters["$n"].Value = item.AlarmName;
            add.Parameters["$t"].Value = new DateTimeOffset(item.Timestamp!.Value, TimeSpan.Zero).ToUnixTimeMilliseconds();
            add.Parameters["$d"].Value = JsonSerializer.Serialize(item);
            add.ExecuteNonQuery();
        }
    }

    /// <summary>History items of an account and region (optionally one alarm), newest first.</summary>
    public List<AlarmHistoryItem> History(string accountId, string region, string? alarmName, DateTime? from, DateTime? to)
    {
        using var connection = _db.OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT doc FROM history WHERE account = $a AND region = $r" + (alarmName is null ? "" : " AND alarm = $n")
            + " AND ts >= $f AND ts < $t ORDER BY ts DESC, id DESC";
        cmd.Parameters.AddWithValue("$a", accountId);
        cmd.Parameters.AddWithValue("$r", region);
        if (alarmName is not null)
        {
            cmd.Parameters.AddWithValue("$n", alarmName);
        }
        cmd.Parameters.AddWithValue("$f", from is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)).ToUnixTimeMilliseconds() : 0);
        cmd.Parameters.AddWithValue("$t", to is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds() : long.MaxValue);
        var items = new List<AlarmHistoryItem>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            items.Add(JsonSerializer.Deserialize<AlarmHistoryItem>(reader.GetString(0))!);
        }
        return items;
    }

    // ---- dashboards ----------------------------------------------------------------------------

    public sealed record Dashboard(string Name, string Body, DateTime Modified);

    public Task PutDashboardAsync(string accountId, string name, string body, DateTime now, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            using var put = MetricStore.Command(tx, "INSERT OR REPLACE INTO dashboards (account, name, body, modified) VALUES ($a, $n, $b, $m)");
            put.Parameters["$a"].Value = accountId;
            put.Parameters["$n"].Value = name;
            put.Parameters["$b"].Value = body;
            put.Parameters["$m"].Value = new DateTimeOffset(now, TimeSpan.Zero).ToUnixTimeMilliseconds();
            put.ExecuteNonQuery();
            return true;
        }, ct);

    public List<Dashboard> Dashboards(string accountId)
    {
        using var connection = _db.OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, body, modified FROM dashboards WHERE account = $a ORDER BY name";
        cmd.Parameters.AddWithValue("$a", accountId);
        var result = new List<Dashboard>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            result.Add(new Dashboard(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)).UtcDateTime));
        }
        return result;
    }

    public Task DeleteDashboardsAsync(string accountId, IReadOnlyList<string> names, IReadOnlyList<string> arns, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            using var delete = MetricStore.Command(tx, "DELETE FROM dashboards WHERE account = $a AND name = $n");
            foreach (var name in names)
            {
                delete.Parameters["$a"].Value = accountId;
                delete.Parameters["$n"].Value = name;
                delete.ExecuteNonQuery();
            }
            using var untag = MetricStore.Command(tx, "DELETE FROM tags WHERE arn = $arn");
            foreach (var arn in arns)
            {
                untag.Parameters["$arn"].Value = arn;
                untag.ExecuteNonQuery();
            }
            return true;
        }, ct);

    // ---- tags ------------------------------------------------------------------------------------

    public Dictionary<string, string> Tags(string arn)
    {
        using var connection = _db.OpenReader();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT doc FROM tags WHERE arn = $arn";
        cmd.Parameters.AddWithValue("$arn", arn);
        return cmd.ExecuteScalar() is string doc ? JsonSerializer.Deserialize<Dictionary<string, string>>(doc)! : new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public Task SetTagsAsync(string arn, IReadOnlyDictionary<string, string> tags, CancellationToken ct = default) =>
        _db.WriteAsync(tx =>
        {
            using var cmd = MetricStore.Command(tx, tags.Count == 0 ? "DELETE FROM tags WHERE arn = $arn" : "INSERT OR REPLACE INTO tags (arn, doc) VALUES ($arn, $doc)");
            cmd.Parameters["$arn"].Value = arn;
            if (tags.Count > 0)
            {
                cmd.Parameters["$doc"].Value = JsonSerializer.Serialize(tags);
            }
            cmd.ExecuteNonQuery();
            return true;
        }, ct);
}
