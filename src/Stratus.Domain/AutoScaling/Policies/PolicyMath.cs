using Stratus.Core;

namespace Stratus.Domain.AutoScaling.Policies;

/// <summary>
/// The arithmetic of scaling policies, as the Amazon EC2 Auto Scaling user guide describes it:
/// which step of a step policy a breach falls in, how an adjustment turns into a new desired
/// capacity (percent changes rounded toward zero but at least one instance, MinAdjustmentMagnitude,
/// the group's bounds), and the capacity a target-tracking policy asks for.
/// </summary>
public static class PolicyMath
{
    /// <summary>
    /// The step whose interval holds <c>metricValue - breachThreshold</c>. Above the threshold the
    /// lower bound is inclusive and the upper exclusive; below it the lower bound is exclusive and
    /// the upper inclusive (so a difference of 0 belongs to the step that starts or ends at 0 on the
    /// breaching side). Null when no step holds it.
    /// </summary>
    public static StepAdjustmentSpec? FindStep(IReadOnlyList<StepAdjustmentSpec> steps, double metricValue, double breachThreshold)
    {
        var diff = metricValue - breachThreshold;
        foreach (var step in steps)
        {
            var lo = step.LowerBound ?? double.NegativeInfinity;
            var hi = step.UpperBound ?? double.PositiveInfinity;
            var holds = diff switch
            {
                > 0 => lo <= diff && diff < hi,
                < 0 => lo < diff && diff <= hi,
                _ => lo <= 0 && 0 <= hi,
            };
            if (holds)
            {
                return step;
            }
        }
        return null;
    }

    /// <summary>
    /// The capacity an adjustment asks for (before the group's bounds): ExactCapacity is the
    /// adjustment itself; ChangeInCapacity adds it; PercentChangeInCapacity adds that percent of
    /// the current capacity, rounded toward zero, at least one instance in the adjustment's
    /// direction and at least <paramref name="minAdjustmentMagnitude"/> instances.
    /// </summary>
    public static int Adjusted(string adjustmentType, int adjustment, int? minAdjustmentMagnitude, int current) => adjustmentType switch
    {
        AdjustmentTypes.ExactCapacity => adjustment,
        AdjustmentTypes.ChangeInCapacity => current + adjustment,
        AdjustmentTypes.PercentChangeInCapacity => current + PercentDelta(adjustment, minAdjustmentMagnitude, current),
        _ => throw new AwsException("ValidationError", $"Invalid adjustment type {adjustmentType}"),
    };

    /// <summary>The instances a percent change adds (negative: removes).</summary>
    public static int PercentDelta(int percent, int? minAdjustmentMagnitude, int current)
    {
        if (percent == 0)
        {
            return 0;
        }
        var exact = current * percent / 100.0;
        var delta = (int)Math.Truncate(exact);
        if (delta == 0)
        {
            delta = Math.Sign(percent);
        }
        if (minAdjustmentMagnitude is { } m && Math.Abs(delta) < m)
        {
            delta = Math.Sign(percent) * m;
        }
        return delta;
    }

    /// <summary>The capacity within the group's minimum and maximum.</summary>
    public static int Clamp(int capacity, int min, int max) => Math.Max(min, Math.Min(max, capacity));

    /// <summary>
    /// The capacity a target-tracking policy asks for when its metric is <paramref name="metricValue"/>:
    /// the capacity at which the metric would be at the target if it scales with the number of
    /// instances (rounded up when scaling out, so the target is not exceeded; when scaling in, at
    /// most one in ten instances — at least one — are removed at a time, as the policy scales in
    /// conservatively). At least one instance when there is load.
    /// </summary>
    public static int TargetTrackingCapacity(int current, double metricValue, double targetValue, bool scaleOut)
    {
        if (targetValue <= 0 || double.IsNaN(metricValue))
        {
            return current;
        }
        var basis = Math.Max(current, 1);
        var wanted = (int)Math.Ceiling(basis * metricValue / targetValue - 1e-9);
        if (scaleOut)
        {
            return Math.Max(wanted, current + (metricValue > targetValue ? 1 : 0));
        }
        var maxRemoved = Math.Max(1, current / 10);
        return Math.Max(Math.Max(wanted, current - maxRemoved), 0);
    }

    /// <summary>
    /// Checks step adjustments as PutScalingPolicy does: each has a bound, an upper bound above its
    /// lower bound, only the lowest step lacks a lower bound and only the highest an upper bound,
    /// and the intervals neither overlap nor leave gaps.
    /// </summary>
    public static void CheckSteps(IReadOnlyList<StepAdjustmentSpec> steps)
    {
        if (steps.Count == 0)
        {
            throw Validation("Step adjustments must be specified for a StepScaling policy");
        }
        foreach (var s in steps)
        {
            if (s.LowerBound is null && s.UpperBound is null && steps.Count > 1)
            {
                throw Validation("Only one step adjustment can have neither a lower bound nor an upper bound");
            }
            if (s.LowerBound is { } lo && s.UpperBound is { } hi && hi <= lo)
            {
                throw Validation($"The upper bound ({Format(hi)}) must be greater than the lower bound ({Format(lo)}) for a step adjustment");
            }
        }
        if (steps.Count(s => s.LowerBound is null) > 1)
        {
            throw Validation("Only one step adjustment can have an unspecified lower bound");
        }
        if (steps.Count(s => s.UpperBound is null) > 1)
        {
            throw Validation("Only one step adjustment can have an unspecified upper bound");
        }
        var ordered = steps.OrderBy(s => s.LowerBound ?? double.NegativeInfinity).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            var previousUpper = ordered[i - 1].UpperBound ?? double.PositiveInfinity;
            var lower = ordered[i].LowerBound ?? double.NegativeInfinity;
            if (previousUpper > lower)
            {
                throw Validation("Step adjustment intervals cannot overlap");
            }
            if (previousUpper < lower)
            {
                throw Validation("Step adjustment intervals must be contiguous: there is a gap between "
                    + $"{Format(previousUpper)} and {Format(lower)}");
            }
        }
    }

    private static string Format(double d) => d.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static AwsException Validation(string message) => new("ValidationError", message);
}
