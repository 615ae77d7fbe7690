using Stratus.Services.Model.AutoScaling;
using AutoScalingGroup = Stratus.Domain.AutoScaling.AutoScalingGroup;

namespace Stratus.Server.AutoScaling.Policies;

/// <summary>
/// The forecast GetPredictiveScalingForecast answers. Stratus does not train CloudWatch's
/// forecasting model: the capacity forecast is, for every hour from the start to the end time,
/// the group's desired capacity (within its bounds and the policy's MaxCapacityBuffer), and the
/// load forecast of each metric specification is that capacity times the specification's target
/// value — the load the group serves at its target.
/// </summary>
internal static class PredictiveForecast
{
    public sealed record Forecast(List<DateTime> Timestamps, List<double> Capacity);

    public static Forecast Of(AutoScalingGroup group, PredictiveScalingConfiguration configuration, DateTime start, DateTime end)
    {
        var first = new DateTime(start.Year, start.Month, start.Day, start.Hour, 0, 0, DateTimeKind.Utc);
        var max = group.MaxSize;
        if (configuration.MaxCapacityBreachBehavior == "IncreaseMaxCapacity" && configuration.MaxCapacityBuffer is { } buffer)
        {
            max = (int)Math.Ceiling(max * (1 + buffer / 100.0));
        }
        var capacity = Math.Clamp(group.DesiredCapacity, group.MinSize, max);
        var timestamps = new List<DateTime>();
        for (var t = first; t < end; t = t.AddHours(1))
        {
            timestamps.Add(t);
        }
        return new Forecast(timestamps, timestamps.Select(_ => (double)capacity).ToList());
    }
}
