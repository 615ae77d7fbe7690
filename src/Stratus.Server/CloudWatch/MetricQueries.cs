using Stratus.Core;
using Stratus.Domain.CloudWatch;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>One period of a statistic query: the aggregate of the slots in it and their unit.</summary>
public readonly record struct PeriodAggregate(long Timestamp, MetricAggregate Aggregate, string Unit);

/// <summary>A query result as GetMetricData returns it.</summary>
public sealed record QueryResult(string Id, string Label, List<(long Timestamp, double Value)> Points, string StatusCode, List<MessageData> Messages);

/// <summary>
/// Statistic queries over the metrics store (GetMetricStatistics, GetMetricData's MetricStat,
/// alarms): slots are grouped into periods aligned to the start time (rounded down to the minute
/// for periods of a minute or more, to the period below); periods CloudWatch no longer holds at
/// that resolution (under a minute after 3 hours, not a multiple of 5 minutes after 15 days, of
/// an hour after 63 days) yield no datapoints, as AWS documents.
/// </summary>
public sealed class MetricQueries(MetricStore store)
{
    public MetricStore Store => store;

    public static long Align(long start, int period)
    {
        var granule = period < 60 ? period : 60;
        return start - (((start % granule) + granule) % granule);
    }

    public static bool Retained(long bucket, int period, long now) =>
        !(period < 60 && bucket < now - 3 * 3600)
        && !(bucket < now - 15L * 86400 && period % 300 != 0)
        && !(bucket < now - 63L * 86400 && period % 3600 != 0);

    public async Task<List<PeriodAggregate>> AggregateAsync(SeriesKey key, long start, long end, int period, string? unit, long now, CancellationToken ct)
    {
        var series = store.Find(key);
        if (series is null || end <= start)
        {
            return [];
        }
        var aligned = Align(start, period);
        var points = await store.QueryAsync(series.Id, aligned, end, unit, ct).ConfigureAwait(false);
        var buckets = new SortedDictionary<long, PeriodAggregate>();
        foreach (var point in points)
        {
            var bucket = aligned + (point.Timestamp - aligned) / period * period;
            if (!Retained(bucket, period, now))
            {
                continue;
            }
            if (buckets.TryGetValue(bucket, out var existing))
            {
                existing.Aggregate.Merge(point.Aggregate);
            }
            else
            {
                buckets[bucket] = new PeriodAggregate(bucket, point.Aggregate.Clone(), point.Unit);
            }
        }
        return [.. buckets.Values];
    }

    public static SeriesKey KeyOf(string accountId, string region, Metric metric) =>
        SeriesKey.Create(accountId, region, metric.Namespace ?? "", metric.MetricName ?? "",
            (metric.Dimensions ?? []).Select(d => new KeyValuePair<string, string>(d.Name ?? "", d.Value ?? "")));

    /// <summary>A MetricStat as a time series of the statistic (and the sample count of each period).</summary>
    public async Task<(TimeSeries Series, Dictionary<long, double> Counts)> StatAsync(string accountId, string region, string id, string label,
        MetricStat stat, long start, long end, long now, CancellationToken ct)
    {
        var period = stat.Period ?? 60;
        var series = new TimeSeries(id, label, period);
        var counts = new Dictionary<long, double>();
        foreach (var bucket in await AggregateAsync(KeyOf(accountId, region, stat.Metric!), start, end, period, stat.Unit, now, ct).ConfigureAwait(false))
        {
            if (bucket.Aggregate.Statistic(stat.Stat!) is { } value && !double.IsNaN(value))
            {
                series.Points[bucket.Timestamp] = value;
                counts[bucket.Timestamp] = bucket.Aggregate.SampleCount;
            }
        }
        return (series, counts);
    }

    /// <summary>Validates GetMetricData/PutMetricAlarm queries: ids, one of MetricStat or Expression, periods, statistics, references.</summary>
    public static void ValidateQueries(IReadOnlyList<MetricDataQuery> queries, string prefix, bool alarm)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < queries.Count; i++)
        {
            var q = queries[i];
            var at = $"{prefix}.member.{i + 1}";
            if (string.IsNullOrEmpty(q.Id))
            {
                throw new AwsException("MissingParameter", $"The parameter {at}.Id is required.");
            }
            if (!(char.IsAsciiLetterLower(q.Id[0]) && q.Id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
            {
                throw AwsErrors.InvalidParameterValue($"The value {q.Id} for parameter {at}.Id is invalid. It must start with a lowercase letter and contain only letters, numbers and underscores.");
            }
            if (!ids.Add(q.Id))
            {
                throw AwsErrors.InvalidParameterValue($"The value {q.Id} for parameter {at}.Id is duplicated.");
            }
            if ((q.MetricStat is null) == (q.Expression is null))
            {
                throw AwsErrors.InvalidParameterCombination($"Exactly one of {at}.MetricStat and {at}.Expression must be specified.");
            }
            if (q.MetricStat is { } stat)
            {
                if (stat.Metric is null || string.IsNullOrEmpty(stat.Metric.MetricName) || string.IsNullOrEmpty(stat.Metric.Namespace))
                {
                    throw new AwsException("MissingParameter", $"The parameter {at}.MetricStat.Metric.MetricName and Namespace are required.");
                }
                if (stat.Period is not { } period)
                {
                    throw new AwsException("MissingParameter", $"The parameter {at}.MetricStat.Period is required.");
                }
                CheckPeriod(period, $"{at}.MetricStat.Period");
                if (string.IsNullOrEmpty(stat.Stat) || !Statistics.IsValid(stat.Stat))
                {
                    throw AwsErrors.InvalidParameterValue($"The value {stat.Stat} for parameter {at}.MetricStat.Stat is invalid.");
                }
            }
            else
            {
                try
                {
                    MetricMath.Validate(q.Expression!);
                }
                catch (MetricMathException e)
                {
                    throw new AwsException(alarm ? "ValidationError" : "InvalidParameterValue", $"Error in expression '{q.Id}': {e.Message}");
                }
                if (q.Period is { } period)
                {
                    CheckPeriod(period, $"{at}.Period");
                }
            }
        }
        if (queries.Count > 0 && !queries.Any(q => q.ReturnData != false) && !alarm)
        {
            throw AwsErrors.InvalidParameterValue("At least one of the metric data queries must have ReturnData set to true.");
        }
    }

    public static void CheckPeriod(int period, string parameter)
    {
        if (period <= 0 || (period < 60 && period is not (1 or 5 or 10 or 20 or 30)) || (period >= 60 && period % 60 != 0))
        {
            throw AwsErrors.InvalidParameterValue($"The parameter {parameter} must be 1, 5, 10, 20, 30, or a multiple of 60.");
        }
    }

    /// <summary>Runs GetMetricData's queries (metric stats and expressions) over [start, end).</summary>
    public async Task<List<QueryResult>> RunAsync(string accountId, string region, IReadOnlyList<MetricDataQuery> queries, long start, long end, long now, CancellationToken ct)
    {
        var values = new Dictionary<string, MathValue>(StringComparer.Ordinal);
        var counts = new Dictionary<string, Dictionary<long, double>>(StringComparer.Ordinal);
        var statIds = new List<string>();
        foreach (var q in queries.Where(q => q.MetricStat is not null))
        {
            var label = q.Label ?? q.MetricStat!.Metric!.MetricName!;
            var (series, c) = await StatAsync(accountId, region, q.Id!, label, q.MetricStat!, start, end, now, ct).ConfigureAwait(false);
            values[q.Id!] = new MathValue.Series(series);
            counts[q.Id!] = c;
            statIds.Add(q.Id!);
        }
        var byId = queries.ToDictionary(q => q.Id!, StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var evaluating = new HashSet<string>(StringComparer.Ordinal);

        MathValue? Resolve(string id)
        {
            if (values.TryGetValue(id, out var v))
            {
                return v;
            }
            if (!byId.TryGetValue(id, out var q) || q.Expression is null)
            {
                return null;
            }
            if (!evaluating.Add(id))
            {
                throw new MetricMathException($"Circular reference to \"{id}\".");
            }
            var period = q.Period ?? queries.Where(x => x.MetricStat is not null).Select(x => x.MetricStat!.Period ?? 60).DefaultIfEmpty(60).Max();
            var math = new MetricMath(Resolve, filter => statIds.Where(s => filter is null || s.Contains(filter, StringComparison.Ordinal) || ((MathValue.Series)values[s]).Value.Label.Contains(filter, StringComparison.Ordinal))
                .Select(s => ((MathValue.Series)values[s]).Value).ToList(), Align(start, period), end);
            var result = math.Evaluate(q.Expression, period);
            evaluating.Remove(id);
            values[id] = result;
            return result;
        }

        var results = new List<QueryResult>();
        foreach (var q in queries)
        {
            MathValue value;
            try
            {
                value = Resolve(q.Id!)!;
            }
            catch (MetricMathException e)
            {
                errors[q.Id!] = e.Message;
                if (q.ReturnData != false)
                {
                    results.Add(new QueryResult(q.Id!, q.Label ?? q.Id!, [], "InternalError", [new MessageData { Code = "InternalError", Value = e.Message }]));
                }
                continue;
            }
            if (q.ReturnData == false)
            {
                continue;
            }
            var period = q.MetricStat?.Period ?? q.Period ?? 60;
            switch (value)
            {
                case MathValue.Series s:
                    results.Add(Complete(q.Id!, q.Label ?? (q.MetricStat is null ? q.Id! : s.Value.Label), s.Value));
                    break;
                case MathValue.Array a:
                    foreach (var s in a.Value)
                    {
                        results.Add(Complete(q.Id!, q.Label is null ? s.Label : $"{q.Label} {s.Label}", s));
                    }
                    break;
                case MathValue.Scalar sc:
                    var constant = new TimeSeries(q.Id!, q.Label ?? q.Id!, period);
                    for (var t = Align(start, period); t < end; t += period)
                    {
                        constant.Points[t] = sc.Value;
                    }
                    results.Add(Complete(q.Id!, constant.Label, constant));
                    break;
            }
        }
        return results;
    }

    private static QueryResult Complete(string id, string label, TimeSeries series) =>
        new(id, label, series.Points.Where(p => double.IsFinite(p.Value)).Select(p => (p.Key, p.Value)).ToList(), "Complete", []);
}
