using Microsoft.Extensions.Logging;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Publishes <c>AWS/EC2</c> metrics of every running instance without an agent: every
/// <see cref="ServerOptions.MetricsCollectionInterval"/> it reads each guest's counters from the
/// host (<see cref="IGuestUsageSource"/>: cgroup CPU and I/O, the guest's network interface) and
/// the status checks the runtime reports, and stores CPUUtilization (Percent), NetworkIn/Out
/// (Bytes), NetworkPacketsIn/Out (Count), EBSReadBytes/EBSWriteBytes (Bytes),
/// EBSReadOps/EBSWriteOps (Count), DiskReadBytes/DiskWriteBytes/DiskReadOps/DiskWriteOps of the
/// instance store where the runtime counts it apart (microVMs), and StatusCheckFailed, _Instance, _System (Count) with the
/// InstanceId dimension. Basic monitoring stores them in 5-minute slots (the status checks in 1-minute
/// slots, as EC2 publishes them at no charge); detailed monitoring
/// (MonitorInstances, Monitoring.Enabled at launch) in 1-minute slots and also as ImageId and
/// InstanceType aggregates, as AWS does. Burstable instances also get their CPU credit metrics
/// (<see cref="CpuCreditModel"/>). Instances of an Auto Scaling group (tagged
/// <c>aws:autoscaling:groupName</c>) are also aggregated by the AutoScalingGroupName dimension,
/// once their instance warmup is over.
/// </summary>
internal sealed class InstanceMetricsCollector(MetricStore metrics, IStateStore store, RunningResources resources, IInstanceRuntime runtime,
    ServerOptions options, TimeProvider clock, ILogger<InstanceMetricsCollector> logger) : MetricsPublisher(options, clock, logger)
{
    private readonly Dictionary<string, (GuestUsage Usage, long At)> _previous = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (CpuCreditModel Model, string Type, string? Option, long At)> _credits = new(StringComparer.Ordinal);

    /// <summary>Samples every running instance once.</summary>
    public override async Task PublishAsync(CancellationToken ct)
    {
        var nowMs = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var now = nowMs / 1000;
        var warmups = new Dictionary<(string Account, string Region, string Group), int>();
        await using (var session = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            // Only the regions with Auto Scaling groups: what the warmups come from.
            var scopes = await ResourceScopes.ListAsync(session, [Stratus.Domain.AutoScaling.AutoScalingTypes.Group], ct).ConfigureAwait(false);
            foreach (var region in scopes.Select(s => s.Region).Distinct(StringComparer.Ordinal))
            {
                await ReadWarmupsAsync(session, region, warmups, ct).ConfigureAwait(false);
            }
        }
        var running = await resources.InstancesAsync(ct).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var values = new List<(string Name, string Unit, double Value)>();
        foreach (var instance in running)
        {
            var (account, region) = (instance.AccountId, instance.Region);
            seen.Add(instance.Id);
            var detailed = instance.MonitoringEnabled;
            var slot = detailed ? now - now % 60 : now - now % 300;
            values.Clear();
            var health = runtime.GetHealth(instance.Id);
            var system = health is { Running: false } ? 1 : 0;
            var guest = health is { ReachedInit: false } ? 1 : 0;
            values.Add(("StatusCheckFailed_System", "Count", system));
            values.Add(("StatusCheckFailed_Instance", "Count", guest));
            values.Add(("StatusCheckFailed", "Count", Math.Max(system, guest)));
            values.Add(("StatusCheckFailed_AttachedEBS", "Count", 0));
            if (runtime is IGuestUsageSource source && source.ReadUsage(instance.Id) is { } usage)
            {
                if (_previous.TryGetValue(instance.Id, out var before) && nowMs > before.At)
                {
                    var seconds = (nowMs - before.At) / 1000.0;
                    var vcpus = Math.Max(1, instance.VCpus > 0 ? instance.VCpus : usage.VCpus);
                    var cpu = Math.Clamp((usage.CpuSeconds - before.Usage.CpuSeconds) / (seconds * vcpus) * 100, 0, 100);
                    values.Add(("CPUUtilization", "Percent", cpu));
                    values.Add(("NetworkIn", "Bytes", Math.Max(0, usage.NetworkInBytes - before.Usage.NetworkInBytes)));
                    values.Add(("NetworkOut", "Bytes", Math.Max(0, usage.NetworkOutBytes - before.Usage.NetworkOutBytes)));
                    values.Add(("NetworkPacketsIn", "Count", Math.Max(0, usage.NetworkInPackets - before.Usage.NetworkInPackets)));
                    values.Add(("NetworkPacketsOut", "Count", Math.Max(0, usage.NetworkOutPackets - before.Usage.NetworkOutPackets)));
                    if (usage.DiskReadBytes is { } rb && before.Usage.DiskReadBytes is { } rb0)
                    {
                        values.Add(("EBSReadBytes", "Bytes", Math.Max(0, rb - rb0)));
                        values.Add(("EBSWriteBytes", "Bytes", Math.Max(0, (usage.DiskWriteBytes ?? 0) - (before.Usage.DiskWriteBytes ?? 0))));
                    }
                    if (usage.DiskReadOps is { } ro && before.Usage.DiskReadOps is { } ro0)
                    {
                        values.Add(("EBSReadOps", "Count", Math.Max(0, ro - ro0)));
                        values.Add(("EBSWriteOps", "Count", Math.Max(0, (usage.DiskWriteOps ?? 0) - (before.Usage.DiskWriteOps ?? 0))));
                    }
                    if (usage.Devices?.FirstOrDefault(d => d.VolumeId is null) is { } store && before.Usage.Devices?.FirstOrDefault(d => d.VolumeId is null) is { } store0)
                    {
                        // The instance store, where the runtime counts it apart from the EBS volumes.
                        values.Add(("DiskReadBytes", "Bytes", Math.Max(0, store.ReadBytes - store0.ReadBytes)));
                        values.Add(("DiskWriteBytes", "Bytes", Math.Max(0, store.WriteBytes - store0.WriteBytes)));
                        values.Add(("DiskReadOps", "Count", Math.Max(0, store.ReadOps - store0.ReadOps)));
                        values.Add(("DiskWriteOps", "Count", Math.Max(0, store.WriteOps - store0.WriteOps)));
                    }
                }
                _previous[instance.Id] = (usage, nowMs);
            }
            CreditMetrics(account, region, instance, values, nowMs, now);
            var group = instance.AutoScalingGroup;
            KeyValuePair<string, string>[] byInstance = [new("InstanceId", instance.Id)];
            foreach (var (name, unit, value) in values)
            {
                // Status checks are 1-minute metrics whatever the monitoring, as on EC2.
                var at = name.StartsWith("StatusCheckFailed", StringComparison.Ordinal) ? now - now % 60 : slot;
                Put(account, region, name, byInstance, at, unit, value, now);
                if (group is not null && !WarmingUp(instance, warmups.GetValueOrDefault((account, region, group)), now))
                {
                    // The group aggregate, in 1-minute slots whatever the instances' monitoring,
                    // so the one-minute alarms of target-tracking policies see every minute.
                    Put(account, region, name, [new("AutoScalingGroupName", group)], now - now % 60, unit, value, now);
                }
                if (detailed)
                {
                    Put(account, region, name, [new("ImageId", instance.ImageId)], at, unit, value, now);
                    Put(account, region, name, [new("InstanceType", instance.InstanceType)], at, unit, value, now);
                }
            }
        }
        foreach (var gone in _previous.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _previous.Remove(gone);
        }
        foreach (var gone in _credits.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _credits.Remove(gone);
        }
    }

    /// <summary>
    /// The instance warmup of each Auto Scaling group of a region: the longest of its target
    /// tracking and step policies' EstimatedInstanceWarmup (each defaulting to the group's
    /// DefaultInstanceWarmup), else the group's DefaultInstanceWarmup. Instances still warming up
    /// are left out of the group's aggregates, as in EC2 Auto Scaling.
    /// </summary>
    private static async Task ReadWarmupsAsync(IStoreSession session, string region, Dictionary<(string, string, string), int> warmups, CancellationToken ct)
    {
        var groups = new Dictionary<(string Account, string Name), Stratus.Domain.AutoScaling.AutoScalingGroup>();
        foreach (var stored in await session.ListEveryAccountAsync(region, Stratus.Domain.AutoScaling.AutoScalingTypes.Group.Name, ct).ConfigureAwait(false))
        {
            var group = System.Text.Json.JsonSerializer.Deserialize<Stratus.Domain.AutoScaling.AutoScalingGroup>(stored.Document, ResourceStore.Json)!;
            groups[(stored.Key.AccountId, group.Name)] = group;
            if (group.DefaultInstanceWarmup is > 0)
            {
                warmups[(stored.Key.AccountId, region, group.Name)] = group.DefaultInstanceWarmup.Value;
            }
        }
        if (groups.Count == 0)
        {
            return;
        }
        var byPolicy = new Dictionary<(string, string, string), int>();
        foreach (var stored in await session.ListEveryAccountAsync(region, Stratus.Domain.AutoScaling.Policies.ScalingPolicies.Type.Name, ct).ConfigureAwait(false))
        {
            var policy = System.Text.Json.JsonSerializer.Deserialize<Stratus.Domain.AutoScaling.Policies.ScalingPolicyResource>(stored.Document, ResourceStore.Json)!;
            if (policy.PolicyType is not ("TargetTrackingScaling" or "StepScaling") || !policy.Enabled
                || !groups.TryGetValue((stored.Key.AccountId, policy.GroupName), out var group))
            {
                continue;
            }
            var key = (stored.Key.AccountId, region, policy.GroupName);
            byPolicy[key] = Math.Max(byPolicy.GetValueOrDefault(key), policy.EstimatedInstanceWarmup ?? group.DefaultInstanceWarmup ?? 0);
        }
        foreach (var (key, seconds) in byPolicy)
        {
            warmups[key] = seconds;
        }
    }

    private static bool WarmingUp(RunningInstance instance, int warmupSeconds, long now) =>
        warmupSeconds > 0 && now - new DateTimeOffset(DateTime.SpecifyKind(instance.LaunchTime, DateTimeKind.Utc)).ToUnixTimeSeconds() < warmupSeconds;

    /// <summary>
    /// CPUCreditUsage, CPUCreditBalance, CPUSurplusCreditBalance and CPUSurplusCreditsCharged of a
    /// burstable instance, from the CPUUtilization just measured (0 when the runtime measures none,
    /// as the mock), in 5-minute slots whatever the monitoring (AWS publishes them only so).
    /// </summary>
    private void CreditMetrics(string account, string region, RunningInstance instance, List<(string Name, string Unit, double Value)> values, long nowMs, long now)
    {
        if (!_credits.TryGetValue(instance.Id, out var entry) || entry.Type != instance.InstanceType || entry.Option != instance.CpuCredits)
        {
            if (CpuCreditModel.ForType(instance.InstanceType, instance.CpuCredits) is not { } created)
            {
                return;
            }
            _credits[instance.Id] = (created, instance.InstanceType, instance.CpuCredits, nowMs);
            entry = _credits[instance.Id];
        }
        var cpu = values.FirstOrDefault(v => v.Name == "CPUUtilization").Value;
        var (used, charged) = entry.Model.Advance(cpu, (nowMs - entry.At) / 1000.0);
        _credits[instance.Id] = entry with { At = nowMs };
        var slot = now - now % 300;
        KeyValuePair<string, string>[] dimensions = [new("InstanceId", instance.Id)];
        Put(account, region, "CPUCreditUsage", dimensions, slot, "Count", used, now);
        Put(account, region, "CPUCreditBalance", dimensions, slot, "Count", entry.Model.Balance, now);
        Put(account, region, "CPUSurplusCreditBalance", dimensions, slot, "Count", entry.Model.SurplusBalance, now);
        Put(account, region, "CPUSurplusCreditsCharged", dimensions, slot, "Count", charged, now);
    }

    private void Put(string account, string region, string name, KeyValuePair<string, string>[] dimensions, long slot, string unit, double value, long now) =>
        metrics.Put(SeriesKey.Create(account, region, "AWS/EC2", name, dimensions), slot, unit, MetricAggregate.FromValue(value), now);
}
