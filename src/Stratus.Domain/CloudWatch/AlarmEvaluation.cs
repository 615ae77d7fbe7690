using System.Globalization;
using System.Text.Json.Nodes;

namespace Stratus.Domain.CloudWatch;

/// <summary>Alarm states and comparison operators as CloudWatch names them.</summary>
public static class AlarmStates
{
    public const string Ok = "OK";
    public const string Alarm = "ALARM";
    public const string InsufficientData = "INSUFFICIENT_DATA";

    public static readonly IReadOnlyList<string> All = [Ok, Alarm, InsufficientData];

    public static readonly IReadOnlyList<string> StaticOperators =
        ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];

    public static readonly IReadOnlyList<string> BandOperators =
        ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];

    public static readonly IReadOnlyList<string> TreatMissing = ["breaching", "notBreaching", "ignore", "missing"];
}

/// <summary>One evaluation period of an alarm: its start, the statistic's value (null: no data) and the samples behind it.</summary>
public readonly record struct AlarmDatapoint(long Timestamp, double? Value, double SampleCount);

/// <summary>What a metric alarm compares.</summary>
public sealed record AlarmCriteria(
    string ComparisonOperator,
    double? Threshold,
    int EvaluationPeriods,
    int DatapointsToAlarm,
    string TreatMissingData,
    int Period,
    string? Statistic,
    string? ExtendedStatistic,
    string? Unit,
    string? EvaluateLowSampleCountPercentile);

/// <summary>The result of one evaluation: the new state (null: keep the current one) and AWS's reason text and JSON.</summary>
public sealed record AlarmOutcome(string? State, string Reason, string ReasonData);

/// <summary>
/// Evaluates a metric alarm as CloudWatch does: of the last EvaluationPeriods periods,
/// DatapointsToAlarm breaching ones put it in ALARM ("M out of N"); missing periods count as
/// TreatMissingData says (breaching, notBreaching, ignore — keep the state when all are missing —
/// or missing — INSUFFICIENT_DATA when all are missing); percentile alarms with too few samples
/// (fewer than 10/(1-p)) keep their state when EvaluateLowSampleCountPercentile is ignore.
/// </summary>
public static class AlarmEvaluation
{
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'+0000'";

    /// <param name="datapoints">The N evaluation periods, oldest first.</param>
    /// <param name="band">For anomaly-detection operators: the band (lower, upper) at a timestamp.</param>
    public static AlarmOutcome Evaluate(AlarmCriteria criteria, IReadOnlyList<AlarmDatapoint> datapoints, string currentState, DateTime now,
        Func<long, (double Lower, double Upper)?>? band = null)
    {
        var percentile = criteria.ExtendedStatistic is { } ext ? Statistics.ParsePercentile(ext) : null;
        var newest = datapoints.LastOrDefault(d => d.Value is not null);
        if (percentile is { } p && p < 100 && criteria.EvaluateLowSampleCountPercentile == "ignore" && newest.Value is not null
            && newest.SampleCount < 10 / (1 - p / 100))
        {
            return new AlarmOutcome(null, "", ReasonData(criteria, datapoints, now, band));
        }

        var breaching = new List<AlarmDatapoint>();
        var present = 0;
        var missingBreaching = 0;
        foreach (var d in datapoints)
        {
            if (d.Value is { } v)
            {
                present++;
                if (Breaches(criteria, v, band?.Invoke(d.Timestamp)))
                {
                    breaching.Add(d);
                }
            }
            else if (criteria.TreatMissingData == "breaching")
            {
                missingBreaching++;
            }
        }
        var m = criteria.DatapointsToAlarm;
        var n = criteria.EvaluationPeriods;
        var data = ReasonData(criteria, datapoints, now, band);
        if (breaching.Count + missingBreaching >= m)
        {
            var shown = breaching.Count > 0 ? breaching : datapoints.Where(d => d.Value is not null).ToList();
            var reason = m == n && n == 1 && breaching.Count == 1
                ? $"Threshold Crossed: 1 datapoint {List(shown)} was {Words(criteria.ComparisonOperator)} {ThresholdText(criteria)}."
                : $"Threshold Crossed: {breaching.Count + missingBreaching} out of the last {n} datapoints {List(shown)} {(breaching.Count + missingBreaching == 1 ? "was" : "were")} {Words(criteria.ComparisonOperator)} {ThresholdText(criteria)} (minimum {m} datapoint{(m == 1 ? "" : "s")} for OK -> ALARM transition).";
            if (breaching.Count == 0)
            {
                reason = $"Threshold Crossed: no datapoints were received for {n} period{(n == 1 ? "" : "s")} and {n} missing datapoint{(n == 1 ? " was" : "s were")} treated as [Breaching].";
            }
            return new AlarmOutcome(AlarmStates.Alarm, reason, data);
        }
        if (present == 0 && criteria.TreatMissingData is "missing" or "ignore" || present == 0 && criteria.TreatMissingData is not ("breaching" or "notBreaching"))
        {
            if (criteria.TreatMissingData == "ignore")
            {
                return new AlarmOutcome(null, "", data);
            }
            return new AlarmOutcome(AlarmStates.InsufficientData,
                $"Insufficient Data: {n} datapoint{(n == 1 ? " was" : "s were")} unknown.", data);
        }
        var okShown = datapoints.Where(d => d.Value is not null).ToList();
        var okReason = present == 0
            ? $"Threshold Crossed: no datapoints were received for {n} period{(n == 1 ? "" : "s")} and {n} missing datapoint{(n == 1 ? " was" : "s were")} treated as [NonBreaching]."
            : $"Threshold Crossed: {okShown.Count - breaching.Count} out of the last {n} datapoints {List(okShown)} {(okShown.Count - breaching.Count == 1 ? "was" : "were")} not {Words(criteria.ComparisonOperator)} {ThresholdText(criteria)} (minimum {Math.Max(1, n - m + 1)} datapoint{(n - m + 1 == 1 ? "" : "s")} for ALARM -> OK transition).";
        return new AlarmOutcome(AlarmStates.Ok, okReason, data);
    }

    public static bool Breaches(AlarmCriteria criteria, double value, (double Lower, double Upper)? band) => criteria.ComparisonOperator switch
    {
        "GreaterThanOrEqualToThreshold" => value >= criteria.Threshold,
        "GreaterThanThreshold" => value > criteria.Threshold,
        "LessThanThreshold" => value < criteria.Threshold,
        "LessThanOrEqualToThreshold" => value <= criteria.Threshold,
        "LessThanLowerOrGreaterThanUpperThreshold" => band is { } b && (value < b.Lower || value > b.Upper),
        "LessThanLowerThreshold" => band is { } b && value < b.Lower,
        "GreaterThanUpperThreshold" => band is { } b && value > b.Upper,
        _ => false,
    };

    private static string Words(string op) => op switch
    {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        "LessThanLowerOrGreaterThanUpperThreshold" => "outside",
        "LessThanLowerThreshold" => "less than",
        "GreaterThanUpperThreshold" => "greater than",
        _ => op,
    };

    private static string ThresholdText(AlarmCriteria c) => c.Threshold is { } t
        ? $"the threshold ({Number(t)})"
        : c.ComparisonOperator switch
        {
            "LessThanLowerThreshold" => "the lower thresholds",
            "GreaterThanUpperThreshold" => "the upper thresholds",
            _ => "the thresholds",
        };

    private static string List(IEnumerable<AlarmDatapoint> points) =>
        "[" + string.Join(", ", points.Reverse().Select(d => $"{Number(d.Value ?? 0)} ({DateTimeOffset.FromUnixTimeSeconds(d.Timestamp).UtcDateTime.ToString("dd/MM/yy HH:mm:ss", CultureInfo.InvariantCulture)})")) + "]";

    /// <summary>A number as CloudWatch writes it in reasons: at least one decimal.</summary>
    public static string Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);

    public static string Timestamp(DateTime utc) => utc.ToString(DateFormat, CultureInfo.InvariantCulture);

    private static string ReasonData(AlarmCriteria criteria, IReadOnlyList<AlarmDatapoint> datapoints, DateTime now, Func<long, (double Lower, double Upper)?>? band)
    {
        var data = new JsonObject
        {
            ["version"] = "1.0",
            ["queryDate"] = Timestamp(now),
        };
        if (datapoints.Count > 0)
        {
            data["startDate"] = Timestamp(DateTimeOffset.FromUnixTimeSeconds(datapoints[0].Timestamp).UtcDateTime);
        }
        if (criteria.Unit is { } unit)
        {
            data["unit"] = unit;
        }
        if (criteria.Statistic is { } stat)
        {
            data["statistic"] = stat;
        }
        if (criteria.ExtendedStatistic is { } ext)
        {
            data["extendedStatistic"] = ext;
        }
        data["period"] = criteria.Period;
        var recent = new JsonArray();
        foreach (var d in datapoints.Where(d => d.Value is not null))
        {
            recent.Add(d.Value!.Value);
        }
        data["recentDatapoints"] = recent;
        if (criteria.Threshold is { } threshold)
        {
            data["threshold"] = threshold;
        }
        var evaluated = new JsonArray();
        foreach (var d in datapoints.Reverse())
        {
            var item = new JsonObject { ["timestamp"] = Timestamp(DateTimeOffset.FromUnixTimeSeconds(d.Timestamp).UtcDateTime) };
            if (d.Value is { } v)
            {
                item["sampleCount"] = d.SampleCount;
                item["value"] = v;
                if (band?.Invoke(d.Timestamp) is { } b)
                {
                    item["threshold"] = new JsonArray(b.Lower, b.Upper);
                }
            }
            evaluated.Add(item);
        }
        data["evaluatedDatapoints"] = evaluated;
        return data.ToJsonString();
    }
}
