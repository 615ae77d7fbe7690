using System.Text.Json;
using Microsoft.Extensions.Logging;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Publishes the <c>AWS/AutoScaling</c> group metrics a group enabled with
/// EnableMetricsCollection (GroupMinSize, GroupMaxSize, GroupDesiredCapacity, GroupInService/
/// Pending/Standby/Terminating/TotalInstances and the *Capacity forms counting instance weights),
/// with the AutoScalingGroupName dimension, in 1-minute slots (the only granularity AWS offers),
/// every <see cref="ServerOptions.MetricsCollectionInterval"/>, from the group documents in the
/// state store.
/// </summary>
internal sealed class GroupMetricsPublisher(MetricStore metrics, IStateStore store, ServerOptions options, TimeProvider clock,
    ILogger<GroupMetricsPublisher> logger) : MetricsPublisher(options, clock, logger)
{
    /// <summary>The value of each group metric for a group as it is now.</summary>
    public static IReadOnlyDictionary<string, double> Values(AutoScalingGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        double Count(Func<string, bool> state) => group.Instances.Count(i => state(i.LifecycleState));
        double Capacity(Func<string, bool> state) => group.Instances.Where(i => state(i.LifecycleState)).Sum(i => i.WeightedCapacity ?? 1);
        static bool InService(string s) => s == LifecycleStates.InService;
        static bool Pending(string s) => s is LifecycleStates.Pending or LifecycleStates.PendingWait or LifecycleStates.PendingProceed;
        static bool Standby(string s) => s is LifecycleStates.Standby or LifecycleStates.EnteringStandby;
        static bool Terminating(string s) => LifecycleStates.IsTerminating(s);
        static bool Total(string s) => InService(s) || Pending(s) || Standby(s) || Terminating(s);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["GroupMinSize"] = group.MinSize,
            ["GroupMaxSize"] = group.MaxSize,
            ["GroupDesiredCapacity"] = group.DesiredCapacity,
            ["GroupInServiceInstances"] = Count(InService),
            ["GroupPendingInstances"] = Count(Pending),
            ["GroupStandbyInstances"] = Count(Standby),
            ["GroupTerminatingInstances"] = Count(Terminating),
            ["GroupTotalInstances"] = Count(Total),
            ["GroupInServiceCapacity"] = Capacity(InService),
            ["GroupPendingCapacity"] = Capacity(Pending),
            ["GroupStandbyCapacity"] = Capacity(Standby),
            ["GroupTerminatingCapacity"] = Capacity(Terminating),
            ["GroupTotalCapacity"] = Capacity(Total),
        };
    }

    /// <summary>Publishes the enabled metrics of every group once.</summary>
    public override async Task PublishAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow().ToUnixTimeSeconds();
        var slot = now - now % 60;
        await using var session = await store.OpenReadAsync(ct).ConfigureAwait(false);
        foreach (var stored in await ResourceScopes.ListEveryScopeAsync(session, AutoScalingTypes.Group, ct).ConfigureAwait(false))
        {
            var group = JsonSerializer.Deserialize<AutoScalingGroup>(stored.Document, ResourceStore.Json)!;
            if (group.EnabledMetrics.Count == 0 || group.Status is not null)
            {
                continue;
            }
            var values = Values(group);
            foreach (var metric in group.EnabledMetrics)
            {
                if (values.TryGetValue(metric, out var value))
                {
                    metrics.Put(SeriesKey.Create(stored.Key.AccountId, stored.Key.Region, "AWS/AutoScaling", metric, [new("AutoScalingGroupName", group.Name)]),
                        slot, "None", MetricAggregate.FromValue(value), now);
                }
            }
        }
    }
}
