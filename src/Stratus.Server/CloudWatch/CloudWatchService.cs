using System.Globalization;
using System.Text;
using Stratus.Core;
using Stratus.Domain.CloudWatch;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// CloudWatch (smithy-rpc-v2-cbor, json 1.0, query): metrics (PutMetricData, ListMetrics,
/// GetMetricStatistics, GetMetricData with metric math), alarms (metric, metric-math and
/// composite; evaluated by <see cref="AlarmEvaluator"/>), their history, dashboards and tags.
/// Everything lives in the CloudWatch database (<see cref="MetricStore"/>), never in the state
/// store's write transaction, so metric writes do not serialize with EC2.
/// </summary>
internal sealed partial class CloudWatchService(CloudWatchState state, MetricQueries queries, AlarmEvaluator evaluator)
    : CloudWatchServiceBase<RequestContext>, IAwsService
{
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(CloudWatchService));

    ServiceInfo IAwsService.Model => CloudWatchShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    bool IAwsService.NeedsWriteTransaction(OperationInfo operation) => false;

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    private MetricStore Store => state.Metrics;

    private static long Epoch(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds();

    private static DateTime FromEpoch(long t) => DateTimeOffset.FromUnixTimeSeconds(t).UtcDateTime;

    // ---- PutMetricData ---------------------------------------------------------------------------

    public override Task PutMetricDataAsync(RequestContext context, PutMetricDataInput request)
    {
        if (string.IsNullOrEmpty(request.Namespace))
        {
            throw new AwsException("MissingParameter", "The parameter Namespace is required.");
        }
        if (request.Namespace.StartsWith("AWS/", StringComparison.Ordinal) || request.Namespace.StartsWith(':'))
        {
            throw AwsErrors.InvalidParameterValue($"The value {request.Namespace} for parameter Namespace is invalid.");
        }
        var data = request.MetricData ?? [];
        if (data.Count == 0 && (request.EntityMetricData ?? []).Count == 0)
        {
            throw new AwsException("MissingParameter", "The parameter MetricData is required.");
        }
        if (data.Count > 1000)
        {
            throw AwsErrors.InvalidParameterValue("The collection MetricData must not have a size greater than 1000.");
        }
        foreach (var entity in request.EntityMetricData ?? [])
        {
            data = [.. data, .. entity.MetricData ?? []];
        }
        var now = Epoch(context.Now);
        var accepted = new List<(SeriesKey Key, long Ts, string Unit, MetricAggregate Aggregate)>();
        for (var i = 0; i < data.Count; i++)
        {
            accepted.Add(Validate(context, request.Namespace, data[i], $"MetricData.member.{i + 1}", now));
        }
        // All or nothing: only a request that is valid throughout is stored.
        foreach (var (key, ts, unit, aggregate) in accepted)
        {
            Store.Put(key, ts, unit, aggregate, now);
        }
        return Task.CompletedTask;
    }

    private static void CheckValue(double value, string parameter)
    {
        if (!double.IsFinite(value) || Math.Abs(value) > Math.Pow(2, 360) || (value != 0 && Math.Abs(value) < Math.Pow(2, -260)))
        {
            throw AwsErrors.InvalidParameterValue($"The value {value.ToString(CultureInfo.InvariantCulture)} for parameter {parameter} is invalid.");
        }
    }

    private static (SeriesKey, long, string, MetricAggregate) Validate(RequestContext context, string ns, MetricDatum d, string at, long now)
    {
        if (string.IsNullOrEmpty(d.MetricName))
        {
            throw new AwsException("MissingParameter", $"The parameter {at}.MetricName is required.");
        }
        var dims = d.Dimensions ?? [];
        if (dims.Count > 30)
        {
            throw AwsErrors.InvalidParameterValue($"The collection {at}.Dimensions must not have a size greater than 30.");
        }
        for (var j = 0; j < dims.Count; j++)
        {
            if (string.IsNullOrEmpty(dims[j].Name))
            {
                throw new AwsException("MissingParameter", $"The parameter {at}.Dimensions.member.{j + 1}.Name is required.");
            }
            if (dims[j].Value is null)
            {
                throw new AwsException("MissingParameter", $"The parameter {at}.Dimensions.member.{j + 1}.Value is required.");
            }
        }
        if (dims.GroupBy(x => x.Name, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            throw AwsErrors.InvalidParameterValue($"No metric may have duplicate dimension names ({at}.Dimensions).");
        }
        var given = (d.Value is not null ? 1 : 0) + (d.StatisticValues is not null ? 1 : 0) + (d.Values is { Count: > 0 } ? 1 : 0);
        if (given > 1)
        {
            var names = new List<string>();
            if (d.Value is not null)
            {
                names.Add($"{at}.Value");
            }
            if (d.StatisticValues is not null)
            {
                names.Add($"{at}.StatisticValues");
            }
            if (d.Values is { Count: > 0 })
            {
                names.Add($"{at}.Values");
            }
            throw AwsErrors.InvalidParameterCombination($"The parameters {string.Join(" and ", names)} are mutually exclusive and you have specified both.");
        }
        if (given == 0)
        {
            throw AwsErrors.InvalidParameterCombination($"At least one of the parameters {at}.Value, {at}.StatisticValues or {at}.Values must be specified.");
        }
        if (d.Counts is { Count: > 0 } && d.Values is not { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterCombination($"The parameter {at}.Counts must be specified with {at}.Values.");
        }
        var resolution = d.StorageResolution ?? 60;
        if (resolution is not (1 or 60))
        {
            throw AwsErrors.InvalidParameterValue($"The value {resolution} for parameter {at}.StorageResolution is invalid. Valid values are 1 and 60.");
        }
        var ts = d.Timestamp is { } t ? Epoch(t) : now;
        if (ts < now - 14L * 86400)
        {
            throw AwsErrors.InvalidParameterValue($"The parameter {at}.Timestamp must specify a time no more than two weeks in the past.");
        }
        if (ts > now + 2 * 3600)
        {
            throw AwsErrors.InvalidParameterValue($"The parameter {at}.Timestamp must specify a time no more than two hours in the future.");
        }
        ts -= ((ts % resolution) + resolution) % resolution;
        MetricAggregate aggregate;
        if (d.Value is { } value)
        {
            CheckValue(value, $"{at}.Value");
            aggregate = MetricAggregate.FromValue(value);
        }
        else if (d.StatisticValues is { } s)
        {
            foreach (var (name, v) in new[] { ("SampleCount", s.SampleCount), ("Sum", s.Sum), ("Minimum", s.Minimum), ("Maximum", s.Maximum) })
            {
                if (v is null)
                {
                    throw new AwsException("MissingParameter", $"The parameter {at}.StatisticValues.{name} is required.");
                }
                CheckValue(v.Value, $"{at}.StatisticValues.{name}");
            }
            if (s.SampleCount <= 0)
            {
                throw AwsErrors.InvalidParameterValue($"The value {s.SampleCount!.Value.ToString(CultureInfo.InvariantCulture)} for parameter {at}.StatisticValues.SampleCount is invalid. It must be greater than 0.");
            }
            if (s.Minimum > s.Maximum)
            {
                throw AwsErrors.InvalidParameterCombination($"The parameters {at}.StatisticValues.Minimum and {at}.StatisticValues.Maximum are inconsistent: Minimum must not be greater than Maximum.");
            }
            aggregate = MetricAggregate.FromStatistics(s.SampleCount!.Value, s.Sum!.Value, s.Minimum!.Value, s.Maximum!.Value);
        }
        else
        {
            var values = d.Values!;
            if (values.Count > 150)
            {
                throw AwsErrors.InvalidParameterValue($"The collection {at}.Values must not have a size greater than 150.");
            }
            var counts = d.Counts ?? [];
            if (counts.Count > 0 && counts.Count != values.Count)
            {
                throw AwsErrors.InvalidParameterValue($"The parameters {at}.Values and {at}.Counts must be of the same size.");
            }
            aggregate = new MetricAggregate();
            for (var k = 0; k < values.Count; k++)
            {
                CheckValue(values[k], $"{at}.Values.member.{k + 1}");
                var count = counts.Count > 0 ? counts[k] : 1;
                if (!double.IsFinite(count) || count < 0)
                {
                    throw AwsErrors.InvalidParameterValue($"The value {count.ToString(CultureInfo.InvariantCulture)} for parameter {at}.Counts.member.{k + 1} is invalid.");
                }
                if (count > 0)
                {
                    aggregate.Add(values[k], count);
                }
            }
            if (aggregate.SampleCount == 0)
            {
                throw AwsErrors.InvalidParameterValue($"The parameter {at}.Counts must count at least one value.");
            }
        }
        var key = SeriesKey.Create(context.AccountId, context.Region, ns, d.MetricName, dims.Select(x => new KeyValuePair<string, string>(x.Name!, x.Value!)));
        return (key, ts, d.Unit ?? "None", aggregate);
    }

    // ---- ListMetrics -----------------------------------------------------------------------------

    public override Task<ListMetricsOutput> ListMetricsAsync(RequestContext context, ListMetricsInput request)
    {
        var now = Epoch(context.Now);
        if (request.RecentlyActive is { } active && active != "PT3H")
        {
            throw AwsErrors.InvalidParameterValue($"The value {active} for parameter RecentlyActive is invalid. The only valid value is PT3H.");
        }
        var since = request.RecentlyActive == "PT3H" ? now - 3 * 3600 : now - 14L * 86400;
        var filters = request.Dimensions ?? [];
        if (filters.Count > 10)
        {
            throw AwsErrors.InvalidParameterValue("The collection Dimensions must not have a size greater than 10.");
        }
        var matching = Store.ListSeries(context.AccountId, context.Region)
            .Where(s => s.LastPut >= since)
            .Where(s => request.Namespace is null || s.Key.Namespace == request.Namespace)
            .Where(s => request.MetricName is null || s.Key.MetricName == request.MetricName)
            .Where(s => filters.All(f => s.Key.Dimensions.Any(d => d.Key == f.Name && (f.Value is null || d.Value == f.Value))))
            .Select(s => (s.Key, Canonical: s.Key.Canonical))
            .OrderBy(k => k.Canonical, StringComparer.Ordinal)
            .ToList();
        var startIndex = 0;
        if (request.NextToken is { } token)
        {
            var after = DecodeToken(token);
            startIndex = matching.FindIndex(k => string.CompareOrdinal(k.Canonical, after) > 0);
            if (startIndex < 0)
            {
                startIndex = matching.Count;
            }
        }
        var page = matching.Skip(startIndex).Take(500).ToList();
        var more = startIndex + page.Count < matching.Count;
        return Task.FromResult(new ListMetricsOutput
        {
            Metrics = page.Select(p => ToMetric(p.Key)).ToList(),
            NextToken = more ? EncodeToken(page[^1].Canonical) : null,
            OwningAccounts = request.IncludeLinkedAccounts == true ? page.Select(_ => context.AccountId).ToList() : null,
        });
    }

    private static Metric ToMetric(SeriesKey key) => new()
    {
        Namespace = key.Namespace,
        MetricName = key.MetricName,
        Dimensions = key.Dimensions.Select(d => new Dimension { Name = d.Key, Value = d.Value }).ToList(),
    };

    private static string EncodeToken(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes("v1|" + value));

    private static string DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text.StartsWith("v1|", StringComparison.Ordinal) ? text[3..] : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new AwsException("InvalidNextToken", "The service cannot process the request because the NextToken is invalid.");
        }
    }

    // ---- GetMetricStatistics ---------------------------------------------------------------------

    public override async Task<GetMetricStatisticsOutput> GetMetricStatisticsAsync(RequestContext context, GetMetricStatisticsInput request)
    {
        foreach (var (name, value) in new (string, object?)[] { ("Namespace", request.Namespace), ("MetricName", request.MetricName), ("StartTime", request.StartTime), ("EndTime", request.EndTime), ("Period", request.Period) })
        {
            if (value is null)
            {
                throw new AwsException("MissingParameter", $"The parameter {name} is required.");
            }
        }
        var statistics = request.Statistics ?? [];
        var extended = request.ExtendedStatistics ?? [];
        if (statistics.Count == 0 && extended.Count == 0)
        {
            throw new AwsException("MissingParameter", "Must specify either Statistics or ExtendedStatistics.");
        }
        if (statistics.Count + extended.Count > 10)
        {
            throw AwsErrors.InvalidParameterValue("The collection Statistics and ExtendedStatistics must not have a combined size greater than 10.");
        }
        foreach (var e in extended)
        {
            if (Statistics.ParsePercentile(e) is null)
            {
                throw AwsErrors.InvalidParameterValue($"The value {e} for parameter ExtendedStatistics is not supported.");
            }
        }
        if ((request.Dimensions ?? []).Count > 30)
        {
            throw AwsErrors.InvalidParameterValue("The collection Dimensions must not have a size greater than 30.");
        }
        var period = request.Period!.Value;
        MetricQueries.CheckPeriod(period, "Period");
        var start = Epoch(request.StartTime!.Value);
        var end = Epoch(request.EndTime!.Value);
        if (end <= start)
        {
            throw AwsErrors.InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.");
        }
        var requested = (end - MetricQueries.Align(start, period) + period - 1) / period;
        if (requested > 1440)
        {
            throw AwsErrors.InvalidParameterCombination($"You have requested up to {requested:N0} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.");
        }
        var key = MetricQueries.KeyOf(context.AccountId, context.Region, new Metric { Namespace = request.Namespace, MetricName = request.MetricName, Dimensions = request.Dimensions });
        var buckets = await queries.AggregateAsync(key, start, end, period, request.Unit, Epoch(context.Now), context.Cancellation).ConfigureAwait(false);
        var datapoints = buckets.Select(b => new Datapoint
        {
            Timestamp = FromEpoch(b.Timestamp),
            Unit = b.Unit,
            SampleCount = statistics.Contains("SampleCount") ? b.Aggregate.SampleCount : null,
            Average = statistics.Contains("Average") ? b.Aggregate.Average : null,
            Sum = statistics.Contains("Sum") ? b.Aggregate.Sum : null,
            Minimum = statistics.Contains("Minimum") ? b.Aggregate.Minimum : null,
            Maximum = statistics.Contains("Maximum") ? b.Aggregate.Maximum : null,
            ExtendedStatistics = extended.Count == 0
                ? null
                : extended.Select(e => (e, v: b.Aggregate.Percentile(Statistics.ParsePercentile(e)!.Value)))
                    .Where(x => x.v is { } v && double.IsFinite(v)).ToDictionary(x => x.e, x => x.v!.Value, StringComparer.Ordinal),
        }).ToList();
        return new GetMetricStatisticsOutput { Label = request.MetricName, Datapoints = datapoints };
    }

    // ---- GetMetricData ---------------------------------------------------------------------------

    public override async Task<GetMetricDataOutput> GetMetricDataAsync(RequestContext context, GetMetricDataInput request)
    {
        var list = request.MetricDataQueries ?? [];
        if (list.Count == 0)
        {
            throw new AwsException("MissingParameter", "The parameter MetricDataQueries is required.");
        }
        if (list.Count > 500)
        {
            throw AwsErrors.InvalidParameterValue("The collection MetricDataQueries must not have a size greater than 500.");
        }
        if (request.StartTime is null || request.EndTime is null)
        {
            throw new AwsException("MissingParameter", $"The parameter {(request.StartTime is null ? "StartTime" : "EndTime")} is required.");
        }
        var start = Epoch(request.StartTime.Value);
        var end = Epoch(request.EndTime.Value);
        if (end <= start)
        {
            throw AwsErrors.InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.");
        }
        if (request.ScanBy is { } scan && scan is not ("TimestampDescending" or "TimestampAscending"))
        {
            throw AwsErrors.InvalidParameterValue($"The value {scan} for parameter ScanBy is invalid.");
        }
        MetricQueries.ValidateQueries(list, "MetricDataQueries", alarm: false);
        var offset = 0;
        if (request.NextToken is { } token)
        {
            var decoded = DecodeToken(token);
            if (!int.TryParse(decoded, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            {
                throw new AwsException("InvalidNextToken", "The service cannot process the request because the NextToken is invalid.");
            }
        }
        var results = await queries.RunAsync(context.AccountId, context.Region, list, start, end, Epoch(context.Now), context.Cancellation).ConfigureAwait(false);
        var descending = request.ScanBy != "TimestampAscending";
        var max = request.MaxDatapoints is { } m and > 0 ? m : 100_800;
        // Pages cut across results in order: a token is the number of datapoints already returned.
        var skip = offset;
        var budget = max;
        var output = new List<MetricDataResult>();
        var total = 0;
        foreach (var r in results)
        {
            var points = descending ? r.Points.OrderByDescending(p => p.Timestamp).ToList() : r.Points.OrderBy(p => p.Timestamp).ToList();
            total += points.Count;
            var fromHere = Math.Min(skip, points.Count);
            skip -= fromHere;
            var take = Math.Min(budget, points.Count - fromHere);
            budget -= take;
            var page = points.Skip(fromHere).Take(take).ToList();
            output.Add(new MetricDataResult
            {
                Id = r.Id,
                Label = r.Label,
                Timestamps = page.Select(p => FromEpoch(p.Timestamp)).ToList(),
                Values = page.Select(p => p.Value).ToList(),
                StatusCode = r.StatusCode == "Complete" && fromHere + take < points.Count ? "PartialData" : r.StatusCode,
                Messages = r.Messages.Count > 0 ? r.Messages : null,
            });
        }
        var returned = offset + max;
        return new GetMetricDataOutput
        {
            MetricDataResults = output,
            NextToken = returned < total ? EncodeToken(returned.ToString(CultureInfo.InvariantCulture)) : null,
            Messages = [],
        };
    }
}
