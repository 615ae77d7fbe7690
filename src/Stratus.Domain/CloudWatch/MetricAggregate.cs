using System.Globalization;

namespace Stratus.Domain.CloudWatch;

/// <summary>
/// What CloudWatch keeps of the values of one metric in one time slot (a second for
/// high-resolution data, a minute for standard data, five minutes or an hour after roll-up): the
/// sample count, sum, minimum and maximum, and — when the values were published as values (not
/// as a statistic set) — their distribution as (value, count) pairs, from which percentiles are
/// computed. A distribution longer than <see cref="MaxDistribution"/> entries is compacted by
/// merging neighbouring values (weighted means), so percentiles become approximate, as
/// CloudWatch's own are.
/// </summary>
public sealed class MetricAggregate
{
    /// <summary>Most (value, count) pairs a slot keeps.</summary>
    public const int MaxDistribution = 128;

    public double SampleCount { get; private set; }
    public double Sum { get; private set; }
    public double Minimum { get; private set; } = double.PositiveInfinity;
    public double Maximum { get; private set; } = double.NegativeInfinity;

    /// <summary>The values and their counts, or null when some data came as a statistic set (no percentiles then).</summary>
    public List<(double Value, double Count)>? Distribution { get; private set; } = [];

    public double Average => SampleCount > 0 ? Sum / SampleCount : double.NaN;

    public static MetricAggregate FromValue(double value, double count = 1)
    {
        var a = new MetricAggregate();
        a.Add(value, count);
        return a;
    }

    public static MetricAggregate FromStatistics(double sampleCount, double sum, double minimum, double maximum) => new()
    {
        SampleCount = sampleCount,
        Sum = sum,
        Minimum = minimum,
        Maximum = maximum,
        Distribution = null,
    };

    /// <summary>An aggregate as stored (distribution may be null).</summary>
    public static MetricAggregate Restore(double sampleCount, double sum, double minimum, double maximum, List<(double, double)>? distribution) => new()
    {
        SampleCount = sampleCount,
        Sum = sum,
        Minimum = minimum,
        Maximum = maximum,
        Distribution = distribution,
    };

    public void Add(double value, double count = 1)
    {
        SampleCount += count;
        Sum += value * count;
        Minimum = Math.Min(Minimum, value);
        Maximum = Math.Max(Maximum, value);
        if (Distribution is { } d)
        {
            d.Add((value, count));
            Compact();
        }
    }

    public void Merge(MetricAggregate other)
    {
        SampleCount += other.SampleCount;
        Sum += other.Sum;
        Minimum = Math.Min(Minimum, other.Minimum);
        Maximum = Math.Max(Maximum, other.Maximum);
        if (Distribution is { } d && other.Distribution is { } o)
        {
            d.AddRange(o);
            Compact();
        }
        else
        {
            Distribution = null;
        }
    }

    public MetricAggregate Clone() => Restore(SampleCount, Sum, Minimum, Maximum, Distribution is null ? null : [.. Distribution]);

    private void Compact()
    {
        if (Distribution is not { Count: > MaxDistribution } d)
        {
            return;
        }
        d.Sort((a, b) => a.Value.CompareTo(b.Value));
        // Merge equal values first, then the closest neighbours until it fits.
        var merged = new List<(double Value, double Count)>(d.Count);
        foreach (var entry in d)
        {
            if (merged.Count > 0 && merged[^1].Value == entry.Value)
            {
                merged[^1] = (entry.Value, merged[^1].Count + entry.Count);
            }
            else
            {
                merged.Add(entry);
            }
        }
        while (merged.Count > MaxDistribution)
        {
            var best = 0;
            var bestGap = double.PositiveInfinity;
            for (var i = 0; i + 1 < merged.Count; i++)
            {
                var gap = merged[i + 1].Value - merged[i].Value;
                if (gap < bestGap)
                {
                    bestGap = gap;
                    best = i;
                }
            }
            var (v1, c1) = merged[best];
            var (v2, c2) = merged[best + 1];
            merged[best] = ((v1 * c1 + v2 * c2) / (c1 + c2), c1 + c2);
            merged.RemoveAt(best + 1);
        }
        Distribution = merged;
    }

    /// <summary>
    /// The <paramref name="percentile"/> (0–100) by nearest rank over the weighted values, or null
    /// without a distribution.
    /// </summary>
    public double? Percentile(double percentile)
    {
        if (Distribution is not { Count: > 0 } d || SampleCount <= 0)
        {
            return Distribution is null ? null : double.NaN;
        }
        var sorted = d.OrderBy(e => e.Value).ToList();
        if (percentile <= 0)
        {
            return sorted[0].Value;
        }
        var total = sorted.Sum(e => e.Count);
        var rank = Math.Ceiling(percentile / 100.0 * total);
        var seen = 0.0;
        foreach (var (value, count) in sorted)
        {
            seen += count;
            if (seen >= rank - 1e-9)
            {
                return value;
            }
        }
        return sorted[^1].Value;
    }

    /// <summary>
    /// The value of a statistic: SampleCount, Average, Sum, Minimum, Maximum, or an extended
    /// statistic pNN / pNN.NN (also tmNN trimmed mean, wmNN winsorized mean are not kept: null).
    /// Null when the statistic cannot be computed from what was kept.
    /// </summary>
    public double? Statistic(string statistic)
    {
        switch (statistic)
        {
            case "SampleCount":
                return SampleCount;
            case "Average":
                return Average;
            case "Sum":
                return Sum;
            case "Minimum":
                return Minimum;
            case "Maximum":
                return Maximum;
            default:
                return Statistics.ParsePercentile(statistic) is { } p ? Percentile(p) : null;
        }
    }
}

/// <summary>Names and rules of CloudWatch statistics.</summary>
public static class Statistics
{
    public static readonly IReadOnlyList<string> Basic = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

    public static bool IsBasic(string statistic) => Basic.Contains(statistic);

    /// <summary>The percentile of an extended statistic <c>pNN</c>/<c>pNN.NN</c> (p0–p100), else null.</summary>
    public static double? ParsePercentile(string statistic)
    {
        if (statistic.Length < 2 || statistic[0] is not ('p' or 'P'))
        {
            return null;
        }
        var text = statistic[1..];
        if (text.Length == 0 || !text.All(c => char.IsAsciiDigit(c) || c == '.') || text.StartsWith('.') || text.EndsWith('.'))
        {
            return null;
        }
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0 && text.Length - dot - 1 > 2)
        {
            return null;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 100 ? p : null;
    }

    /// <summary>Whether <paramref name="statistic"/> is a statistic GetMetricData and alarms accept.</summary>
    public static bool IsValid(string statistic) => IsBasic(statistic) || ParsePercentile(statistic) is not null;
}
