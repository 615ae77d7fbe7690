using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stratus.Domain.CloudWatch;
using Stratus.Server.Hosting;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Evaluates every alarm periodically (<see cref="ServerOptions.AlarmEvaluationInterval"/>,
/// a minute by default as in CloudWatch): metric and metric-math alarms over their last
/// EvaluationPeriods periods (the current period counts once it has data), then composite alarms
/// over the states of their children. A state change is written with its reason, reason data and
/// a StateUpdate history item, then the actions of the new state run (when actions are enabled)
/// and each is recorded as an Action history item.
/// </summary>
internal sealed partial class AlarmEvaluator(CloudWatchState state, MetricQueries queries, IInstanceActions instances, IScalingPolicyActions policies,
    ServerOptions options, TimeProvider clock, ILogger<AlarmEvaluator> logger) : PeriodicService(clock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>When each alarm in ALARM last ran its Auto Scaling actions (they repeat every period while it stays there, as in CloudWatch).</summary>
    private readonly Dictionary<(string Account, string Region, string Name), DateTime> _scalingActionsRun = [];

    /// <summary>When the metric store's hourly roll-up is next due (the first evaluation does one).</summary>
    private DateTime _rollUpDue = DateTime.MinValue;

    /// <summary>One evaluation per <see cref="ServerOptions.AlarmEvaluationInterval"/>, the first one interval after start.</summary>
    protected override TimeSpan Interval => options.AlarmEvaluationInterval;

    protected override bool PassAtStart => false;

    protected override bool FixedRate => true;

    /// <summary>Flushes the metrics written since the last pass, evaluates every alarm and rolls the metric store up when due.</summary>
    internal override async Task PassAsync(CancellationToken ct)
    {
        await state.Metrics.FlushAsync(ct).ConfigureAwait(false);
        await EvaluateAllAsync(ct).ConfigureAwait(false);
        var now = Clock.GetUtcNow().UtcDateTime;
        if (now >= _rollUpDue)
        {
            _rollUpDue = now.AddHours(1);
            await state.Metrics.RollUpAsync(new DateTimeOffset(now).ToUnixTimeSeconds(), ct).ConfigureAwait(false);
        }
    }

    protected override void OnPassFailed(Exception e) => LogFailed(logger, e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alarm evaluation failed")]
    private static partial void LogFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluating alarm {Alarm} failed")]
    private static partial void LogAlarmFailed(ILogger logger, string alarm, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alarm {Alarm} ({Account}/{Region}) {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string alarm, string account, string region, string from, string to);

    /// <summary>Evaluates every alarm once (also what tests and benchmarks call).</summary>
    public async Task EvaluateAllAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = Clock.GetUtcNow().UtcDateTime;
            var all = state.AllAlarms();
            foreach (var (account, region, alarm) in all.Where(a => a.Alarm.Metric is not null))
            {
                try
                {
                    var outcome = await EvaluateMetricAlarmAsync(account, region, alarm.Metric!, now, ct).ConfigureAwait(false);
                    if (outcome.State is { } next && next != alarm.State)
                    {
                        await TransitionAsync(account, region, alarm, next, outcome.Reason, outcome.ReasonData, now, ct).ConfigureAwait(false);
                    }
                    else if (alarm.State == AlarmStates.Alarm && alarm.ActionsEnabled)
                    {
                        if (alarm.Metric is not null && outcome.ReasonData is not null)
                        {
                            // The policy sees the datapoints of this evaluation, not those of the transition.
                            alarm.Metric.StateReasonData = outcome.ReasonData;
                        }
                        await RepeatScalingActionsAsync(account, region, alarm, now, ct).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    LogAlarmFailed(logger, alarm.Name, e);
                }
            }
            // Composite alarms see the states their children have now (several rounds settle nesting).
            for (var round = 0; round < 4; round++)
            {
                var changed = false;
                foreach (var (account, region, alarm) in state.AllAlarms().Where(a => a.Alarm.Composite is not null))
                {
                    var rule = CompositeRule.Parse(alarm.Composite!.AlarmRule!);
                    var holds = rule.Evaluate(name => state.Find(account, region, name)?.State);
                    var next = holds ? AlarmStates.Alarm : AlarmStates.Ok;
                    if (next != alarm.State)
                    {
                        var children = rule.Alarms.Select(n => state.Find(account, region, n)).Where(a => a is not null).ToList();
                        var triggering = children.Where(c => c!.State == AlarmStates.Alarm).Select(c => new JsonObject { ["arn"] = c!.Arn, ["state"] = new JsonObject { ["value"] = c.State, ["timestamp"] = AlarmEvaluation.Timestamp(now) } });
                        var reasonData = new JsonObject { ["triggeringAlarms"] = new JsonArray([.. triggering]) }.ToJsonString();
                        var reason = holds
                            ? $"arn:aws:cloudwatch:{region}:{account}:alarm rule {alarm.Composite.AlarmRule} evaluated to TRUE"
                            : $"arn:aws:cloudwatch:{region}:{account}:alarm rule {alarm.Composite.AlarmRule} evaluated to FALSE";
                        await TransitionAsync(account, region, alarm, next, reason, reasonData, now, ct).ConfigureAwait(false);
                        changed = true;
                    }
                }
                if (!changed)
                {
                    break;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static long Epoch(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds();

    private async Task<AlarmOutcome> EvaluateMetricAlarmAsync(string account, string region, MetricAlarm alarm, DateTime nowTime, CancellationToken ct)
    {
        var now = Epoch(nowTime);
        var n = alarm.EvaluationPeriods ?? 1;
        var criteria = new AlarmCriteria(alarm.ComparisonOperator!, alarm.Threshold, n, alarm.DatapointsToAlarm ?? n, alarm.TreatMissingData ?? "missing",
            alarm.Period ?? alarm.Metrics?.Select(m => m.MetricStat?.Period ?? m.Period ?? 0).FirstOrDefault(p => p > 0) ?? 60,
            alarm.Statistic, alarm.ExtendedStatistic, alarm.Unit, alarm.EvaluateLowSampleCountPercentile);
        var period = criteria.Period;
        var current = now - now % period;
        var start = current - n * period;
        var end = current + period;
        TimeSeries series;
        Dictionary<long, double> counts;
        Func<long, (double, double)?>? band = null;
        if (alarm.Metrics is { Count: > 0 } metrics)
        {
            var results = await queries.RunAsync(account, region, metrics.Select(m => new MetricDataQuery
            {
                Id = m.Id,
                Expression = m.Expression,
                MetricStat = m.MetricStat,
                Label = m.Label,
                Period = m.Period,
                ReturnData = true,
            }).ToList(), start, end, now, ct).ConfigureAwait(false);
            var returned = metrics.FirstOrDefault(m => m.ReturnData != false && m.Id != alarm.ThresholdMetricId) ?? metrics[0];
            series = new TimeSeries(returned.Id!, returned.Id!, period);
            foreach (var (t, v) in results.FirstOrDefault(r => r.Id == returned.Id)?.Points ?? [])
            {
                series.Points[t] = v;
            }
            counts = series.Points.ToDictionary(p => p.Key, _ => 1.0);
            if (alarm.ThresholdMetricId is { } thresholdId)
            {
                var bands = results.Where(r => r.Id == thresholdId).ToList();
                if (bands.Count >= 2)
                {
                    var lower = bands[0].Points.ToDictionary(p => p.Timestamp, p => p.Value);
                    var upper = bands[1].Points.ToDictionary(p => p.Timestamp, p => p.Value);
                    band = t => lower.TryGetValue(t, out var lo) && upper.TryGetValue(t, out var hi) ? (lo, hi) : null;
                }
            }
        }
        else
        {
            var stat = new MetricStat
            {
                Metric = new Metric { Namespace = alarm.Namespace, MetricName = alarm.MetricName, Dimensions = alarm.Dimensions },
                Period = period,
                Stat = alarm.Statistic ?? alarm.ExtendedStatistic,
                Unit = alarm.Unit,
            };
            (series, counts) = await queries.StatAsync(account, region, "m", alarm.MetricName!, stat, start, end, now, ct).ConfigureAwait(false);
        }
        var last = series.Points.ContainsKey(current) ? current : current - period;
        var datapoints = new List<AlarmDatapoint>();
        for (var t = last - (n - 1) * period; t <= last; t += period)
        {
            datapoints.Add(series.Points.TryGetValue(t, out var v) ? new AlarmDatapoint(t, v, counts.GetValueOrDefault(t, 1)) : new AlarmDatapoint(t, null, 0));
        }
        return AlarmEvaluation.Evaluate(criteria, datapoints, alarm.StateValue ?? AlarmStates.InsufficientData, nowTime, band);
    }

    /// <summary>Moves an alarm to <paramref name="next"/>: state, reason, history, then its actions.</summary>
    public async Task TransitionAsync(string account, string region, AlarmRecord seen, string next, string reason, string? reasonData, DateTime now, CancellationToken ct)
    {
        var previous = seen.State;
        var updated = await state.UpdateAsync(account, region, seen.Name, alarm =>
        {
            previous = alarm.State;
            string? previousReason;
            if (alarm.Metric is { } m)
            {
                previousReason = m.StateReason;
                m.StateValue = next;
                m.StateReason = reason;
                m.StateReasonData = reasonData;
                m.StateUpdatedTimestamp = now;
                m.StateTransitionedTimestamp = now;
            }
            else
            {
                var c = alarm.Composite!;
                previousReason = c.StateReason;
                c.StateValue = next;
                c.StateReason = reason;
                c.StateReasonData = reasonData;
                c.StateUpdatedTimestamp = now;
                c.StateTransitionedTimestamp = now;
            }
            var newState = new JsonObject { ["stateValue"] = next, ["stateReason"] = reason };
            if (reasonData is not null)
            {
                try
                {
                    newState["stateReasonData"] = JsonNode.Parse(reasonData);
                }
                catch (JsonException)
                {
                    newState["stateReasonData"] = reasonData;
                }
            }
            var historyData = new JsonObject
            {
                ["version"] = "1.0",
                ["oldState"] = new JsonObject { ["stateValue"] = previous, ["stateReason"] = previousReason },
                ["newState"] = newState,
            };
            return new AlarmHistoryItem
            {
                AlarmName = alarm.Name,
                AlarmType = alarm.Type,
                Timestamp = now,
                HistoryItemType = "StateUpdate",
                HistorySummary = $"Alarm updated from {previous} to {next}",
                HistoryData = historyData.ToJsonString(),
            };
        }, ct).ConfigureAwait(false);
        if (updated is not { } alarm)
        {
            return;
        }
        LogTransition(logger, alarm.Name, account, region, previous, next);
        if (!alarm.ActionsEnabled)
        {
            return;
        }
        var actions = next switch
        {
            AlarmStates.Alarm => alarm.Metric?.AlarmActions ?? alarm.Composite?.AlarmActions,
            AlarmStates.Ok => alarm.Metric?.OKActions ?? alarm.Composite?.OKActions,
            _ => alarm.Metric?.InsufficientDataActions ?? alarm.Composite?.InsufficientDataActions,
        };
        if (next == AlarmStates.Alarm)
        {
            lock (_scalingActionsRun)
            {
                _scalingActionsRun[(account, region, alarm.Name)] = now;
            }
        }
        await RunActionsAsync(account, region, alarm, actions ?? [], now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the Auto Scaling actions of an alarm that stays in ALARM again once a period (the
    /// alarm's, at least a minute) has passed since they last ran, as CloudWatch invokes scaling
    /// policies for every period the alarm remains in ALARM.
    /// </summary>
    private async Task RepeatScalingActionsAsync(string account, string region, AlarmRecord alarm, DateTime now, CancellationToken ct)
    {
        var scaling = (alarm.Metric?.AlarmActions ?? alarm.Composite?.AlarmActions ?? []).Where(IsScalingAction).ToList();
        if (scaling.Count == 0)
        {
            return;
        }
        var period = Math.Max(60, alarm.Metric?.Period ?? 60);
        var key = (account, region, alarm.Name);
        lock (_scalingActionsRun)
        {
            if (_scalingActionsRun.TryGetValue(key, out var last) && now < last.AddSeconds(period))
            {
                return;
            }
            if (!_scalingActionsRun.ContainsKey(key))
            {
                // First sight of an alarm already in ALARM (after a restart): start its period now.
                _scalingActionsRun[key] = now;
                return;
            }
            _scalingActionsRun[key] = now;
        }
        await RunActionsAsync(account, region, alarm, scaling, now, ct).ConfigureAwait(false);
    }

    private static bool IsScalingAction(string action) => action.Split(':') is { Length: >= 6 } parts && parts[2] == "autoscaling";

    private async Task RunActionsAsync(string account, string region, AlarmRecord alarm, IReadOnlyList<string> actions, DateTime now, CancellationToken ct)
    {
        var records = new List<AlarmHistoryItem>();
        foreach (var action in actions)
        {
            var (succeeded, message) = await RunActionAsync(account, region, alarm, action, ct).ConfigureAwait(false);
            records.Add(new AlarmHistoryItem
            {
                AlarmName = alarm.Name,
                AlarmType = alarm.Type,
                Timestamp = Clock.GetUtcNow().UtcDateTime,
                HistoryItemType = "Action",
                HistorySummary = succeeded ? $"Successfully executed action {action}" : $"Failed to execute action {action}",
                HistoryData = new JsonObject
                {
                    ["actionState"] = succeeded ? "Succeeded" : "Failed",
                    ["stateUpdateTimestamp"] = new DateTimeOffset(now).ToUnixTimeMilliseconds(),
                    ["notificationResource"] = action,
                    ["error"] = succeeded ? null : message,
                    ["publishedMessage"] = succeeded ? message : null,
                }.ToJsonString(),
            });
        }
        if (records.Count > 0)
        {
            await state.AddHistoryAsync(account, region, records, ct).ConfigureAwait(false);
        }
    }

    private async Task<(bool Succeeded, string Message)> RunActionAsync(string account, string region, AlarmRecord alarm, string action, CancellationToken ct)
    {
        var parts = action.Split(':');
        if (parts.Length >= 6 && parts[2] == "automate" && parts[4] == "ec2")
        {
            var verb = parts[5];
            var instanceId = alarm.Metric?.Dimensions?.FirstOrDefault(d => d.Name == "InstanceId")?.Value
                ?? alarm.Metric?.Metrics?.Select(m => m.MetricStat?.Metric?.Dimensions?.FirstOrDefault(d => d.Name == "InstanceId")?.Value).FirstOrDefault(v => v is not null);
            if (instanceId is null)
            {
                return (false, $"The EC2 action {verb} needs an alarm on a metric with an InstanceId dimension.");
            }
            try
            {
                await instances.RunAsync(account, region, instanceId, verb, ct).ConfigureAwait(false);
                return (true, $"{verb} of {instanceId} requested");
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                return (false, e.Message);
            }
        }
        if (parts.Length >= 3 && parts[2] == "sns")
        {
            return (false, $"The notification was not sent: Stratus has no SNS service, so the topic {action} cannot be published to.");
        }
        if (parts.Length >= 3 && parts[2] == "autoscaling")
        {
            try
            {
                var (value, threshold) = BreachOf(alarm);
                return (true, await policies.ExecuteAsync(account, region, action, alarm.Name, alarm.State, value, threshold, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                return (false, e.Message);
            }
        }
        return (false, $"Stratus cannot execute the action {action}.");
    }

    /// <summary>
    /// The value that breached (the newest of the recent datapoints of the alarm's state reason
    /// data; null when the state was set without data) and the alarm's threshold.
    /// </summary>
    private static (double? Value, double? Threshold) BreachOf(AlarmRecord alarm)
    {
        var threshold = alarm.Metric?.Threshold;
        double? value = null;
        if (alarm.Metric?.StateReasonData is { Length: > 0 } data)
        {
            try
            {
                if (JsonNode.Parse(data) is JsonObject o)
                {
                    if (o["recentDatapoints"] is JsonArray { Count: > 0 } points && points[^1] is JsonValue v && v.TryGetValue<double>(out var d))
                    {
                        value = d;
                    }
                    if (threshold is null && o["threshold"] is JsonValue t && t.TryGetValue<double>(out var td))
                    {
                        threshold = td;
                    }
                }
            }
            catch (JsonException)
            {
                // Reason data set by SetAlarmState need not be JSON with datapoints.
            }
        }
        return (value, threshold);
    }
}
