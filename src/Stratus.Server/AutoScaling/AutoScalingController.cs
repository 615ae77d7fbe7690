using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.AutoScaling.Policies;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Server.ElasticLoadBalancingV2;
using Stratus.Server.Instances;

namespace Stratus.Server.AutoScaling;

/// <summary>
/// Keeps every Auto Scaling group at its desired capacity. All it knows is in the store: the
/// group document (instances with their lifecycle states, hooks, activities) and the instances,
/// which carry the tag <c>aws:autoscaling:groupName</c> from the moment their launch commits. A
/// pass per group (woken after every committed change — the API's, and an instance of a group
/// settling in its new state (<see cref="InstanceSettled"/>) — and every <see cref="Interval"/>) decides
/// in one write transaction — adopt tagged instances the document does not list yet (a launch
/// whose bookkeeping a crash cut off), move instances through Pending, Pending:Wait, InService,
/// Terminating (deregister and drain), Terminating:Wait, Terminating:Proceed; mark unhealthy ones
/// (EC2 state, ELB target health after the grace period) for replacement; pick instances to
/// terminate by the termination policies — then launches and terminates through
/// <see cref="IInstanceFleet"/> and records the new instances. Nothing is queued in memory, so a
/// restart (even kill -9) picks up where the store left off, without orphan or duplicate
/// instances.
/// </summary>
internal sealed partial class AutoScalingController(
    IStateStore store, IInstanceFleet fleet, ITargetRegistry targets, LoadBalancerDataPlane dataPlane, IPolicyAlarms alarms, InstanceSettled settled,
    TimeProvider clock, ILogger<AutoScalingController> log) : BackgroundService
{
    private static readonly string[] LiveStates = [InstanceStates.Pending, InstanceStates.Running, InstanceStates.Stopping, InstanceStates.Stopped];
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>How often every group is reconciled when nothing wakes the controller.</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(2);

    /// <summary>Asks for a pass now (after a commit that changed a group).</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A group's instance that finished booting or shutting down moves the group on at once.
        settled.Subscribe(Wake);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogPassFailed(e);
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), clock, stoppingToken).ConfigureAwait(false);
                await _wake.WaitAsync(Interval, stoppingToken).ConfigureAwait(false);
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One pass over every group of every account and region.</summary>
    internal async Task PassAsync(CancellationToken ct)
    {
        var groups = new List<(Scope Scope, string Name)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var scope in await ResourceScopes.ListAsync(read, [AutoScalingTypes.Group], ct).ConfigureAwait(false))
            {
                foreach (var versioned in await read.ListVersionsAsync(scope.AccountId, scope.Region, AutoScalingTypes.Group.Name, [], null, null, ct).ConfigureAwait(false))
                {
                    groups.Add((scope, versioned.Id));
                }
            }
        }
        foreach (var (scope, name) in groups)
        {
            try
            {
                await ReconcileAsync(scope, name, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                LogGroupFailed(e, name);
            }
        }
    }

    /// <summary>What a decision asks for once committed: launches per subnet and instances to terminate.</summary>
    private sealed record Plan(List<LaunchBatch> Launches, List<string> Terminations, string LaunchCause, int CapacityBefore)
    {
        /// <summary>Instances to start (taken from a stopped warm pool) and to stop (settling in the warm pool).</summary>
        public List<string> Starts { get; } = [];
        public List<string> Stops { get; } = [];
        public string WarmCause { get; set; } = "";
    }

    /// <summary>Instances to launch in one call: where, which type, whether Spot, whether into the warm pool.</summary>
    private sealed record LaunchBatch(string? SubnetId, string? InstanceType, int? Weight, int Count, bool Spot = false, bool Warm = false);

    /// <summary>Reconciles one group: decide (write only when something changes), then act, then record.</summary>
    internal async Task ReconcileAsync(Scope scope, string name, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // Decide on a read view first: most passes change nothing and need no write.
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            var group = await AutoScalingGroups.GetAsync(read, scope, name, ct).ConfigureAwait(false);
            if (group is null)
            {
                return;
            }
            _ = UseDesiredConfiguration(group);
            var before = JsonSerializer.Serialize(group, ResourceStore.Json);
            var plan = await DecideAsync(read, null, scope, group, now, ct).ConfigureAwait(false);
            if (plan.Launches.Count == 0 && plan.Terminations.Count == 0 && plan.Starts.Count == 0 && plan.Stops.Count == 0 && before == JsonSerializer.Serialize(group, ResourceStore.Json) && group.Status is null)
            {
                return;
            }
        }
        Plan decided;
        var registered = false;
        IReadOnlyList<string>? deletedAlarms = null;
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var group = await AutoScalingGroups.GetAsync(tx, scope, name, ct).ConfigureAwait(false);
            if (group is null)
            {
                return;
            }
            var targetsBefore = group.Instances.Sum(i => i.RegisteredWith.Count) + group.Instances.Count(i => i.DrainingSince is not null);
            var stored = UseDesiredConfiguration(group);
            decided = await DecideAsync(tx, tx, scope, group, now, ct).ConfigureAwait(false);
            PutBackConfiguration(group, stored);
            registered = targetsBefore != group.Instances.Sum(i => i.RegisteredWith.Count) + group.Instances.Count(i => i.DrainingSince is not null);
            if (group.Status is not null && group.Instances.Count == 0)
            {
                deletedAlarms = await AutoScalingGroups.DeleteAsync(tx, scope, name, ct).ConfigureAwait(false);
            }
            else
            {
                await AutoScalingGroups.SaveAsync(tx, scope, group, ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        if (deletedAlarms is { Count: > 0 })
        {
            await alarms.DeleteAsync(scope, deletedAlarms, ct).ConfigureAwait(false);
        }
        if (registered)
        {
            dataPlane.Wake();
        }
        if (decided.Terminations.Count > 0)
        {
            await TerminateAsync(scope, decided.Terminations, ct).ConfigureAwait(false);
        }
        if (decided.Starts.Count > 0 || decided.Stops.Count > 0)
        {
            await StartStopAsync(scope, decided, ct).ConfigureAwait(false);
        }
        if (decided.Launches.Count > 0)
        {
            await LaunchAsync(scope, name, decided, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The decision of one pass, applied to <paramref name="group"/>. <paramref name="tx"/> is null
    /// on the read-only trial run (target groups are then not touched).
    /// </summary>
    private async Task<Plan> DecideAsync(IStoreSession session, IStoreTransaction? tx, Scope scope, AutoScalingGroup group, DateTime now, CancellationToken ct)
    {
        var plan = new Plan([], [], "", group.CurrentCapacity);
        var tagged = await session.FindAsync<InstanceResource>(scope, ResourceTypes.Instance,
            [IndexCondition.Equal(ResourceIndex.TagName(AutoScalingGroups.GroupNameTag), [group.Name]), IndexCondition.Equal("instance-state-name", LiveStates)], ct).ConfigureAwait(false);
        var known = group.Instances.Select(i => i.InstanceId).ToHashSet(StringComparer.Ordinal);
        var ec2 = (await session.GetManyAsync<InstanceResource>(scope, ResourceTypes.Instance, known, ct).ConfigureAwait(false))
            .Concat(tagged.Where(t => !known.Contains(t.Id)))
            .ToDictionary(i => i.Id, StringComparer.Ordinal);

        // Adopt instances launched for the group whose bookkeeping did not commit (a restart between launch and record).
        foreach (var orphan in tagged.Where(t => !known.Contains(t.Id)))
        {
            var instance = NewGroupInstance(group, orphan, now);
            var activity = AutoScalingGroups.StartActivity(group, $"Launching a new EC2 instance: {orphan.Id}",
                $"At {AutoScalingGroups.Iso(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {group.CurrentCapacity} to {group.CurrentCapacity + 1}.", now,
                details: Details(orphan.SubnetId, orphan.AvailabilityZone));
            instance.ActivityId = activity.ActivityId;
            group.Instances.Add(instance);
        }

        var health = await TargetHealthAsync(session, scope, group, ct).ConfigureAwait(false);
        await TrafficSourcesAsync(tx, scope, group, health, now, ct).ConfigureAwait(false);
        var deleting = group.Status is not null;
        foreach (var instance in group.Instances.ToList())
        {
            var state = ec2.GetValueOrDefault(instance.InstanceId);
            await StepAsync(tx, scope, group, instance, state, health, deleting, now, plan, ct).ConfigureAwait(false);
        }

        // Capacity.
        if (deleting)
        {
            foreach (var instance in group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) || i.LifecycleState == LifecycleStates.Standby))
            {
                BeginExit(group, instance, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to a user request to delete the group.", now, terminate: true);
            }
            foreach (var warm in group.Instances.Where(i => LifecycleStates.CountsTowardsWarmPool(i.LifecycleState)).ToList())
            {
                BeginWarmExit(group, warm, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of the warm pool in response to a user request to delete the group.", now);
            }
            return plan;
        }
        Refresh(group, name => alarms.StateOf(scope, name), now);
        await MaintainAsync(session, scope, group, ec2, now, ct).ConfigureAwait(false);
        var current = EffectiveCapacity(group);
        if (current < group.DesiredCapacity && !group.IsSuspended("Launch") && (group.NextLaunchAttempt is null || now >= group.NextLaunchAttempt))
        {
            var cause = group.PendingCause is { Length: > 0 } pending ? pending + "  " : "";
            var launchCause = cause + $"At {AutoScalingGroups.Iso(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {current} to {group.DesiredCapacity}.";
            // The warm pool first: its warmed instances go into the group (started when stopped).
            foreach (var warm in group.Instances.Where(i => LifecycleStates.IsWarmedReady(i.LifecycleState) && i.HealthStatus == "Healthy").OrderBy(i => i.LaunchTime).ToList())
            {
                if (EffectiveCapacity(group) >= group.DesiredCapacity)
                {
                    break;
                }
                warm.LifecycleState = LifecycleStates.Pending;
                warm.HooksDone.Clear();
                var activity = AutoScalingGroups.StartActivity(group, $"Launching a new EC2 instance from warm pool: {warm.InstanceId}", launchCause, now,
                    details: Details(warm.SubnetId, warm.AvailabilityZone));
                warm.ActivityId = activity.ActivityId;
                if (ec2.GetValueOrDefault(warm.InstanceId)?.State == InstanceStates.Stopped)
                {
                    plan.Starts.Add(warm.InstanceId);
                }
            }
            var launches = MixedInstancesAllocation.Plan(group, group.DesiredCapacity, subnet => subnet is null ? "" : group.SubnetZones.GetValueOrDefault(subnet, ""),
                n => GroupPlacement.ChooseSubnets(group, n), scope.Region, now);
            plan.Launches.AddRange(launches.GroupBy(l => l).Select(g => new LaunchBatch(g.Key.SubnetId, g.Key.InstanceType, g.Key.Weight, g.Count(), g.Key.Spot)));
            plan = plan with { LaunchCause = launchCause, CapacityBefore = current };
        }
        else if (current > group.DesiredCapacity && !group.IsSuspended("Terminate"))
        {
            var version = await CurrentTemplateVersionAsync(session, scope, group, ct).ConfigureAwait(false);
            var cause = group.PendingCause is { Length: > 0 } pending ? pending + "  " : "";
            var reuse = group.WarmPool is { Status: null, ReuseOnScaleIn: true };
            foreach (var victim in GroupPlacement.ChooseForScaleIn(group, current - group.DesiredCapacity, now, version))
            {
                victim.ReturnToWarmPool = reuse && victim.Market != "spot";
                BeginExit(group, victim, cause + $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {current} to {group.DesiredCapacity}.", now, terminate: true);
            }
        }
        WarmPoolSize(group, now, plan);
        return plan;
    }

    /// <summary>Moves one instance on through its lifecycle.</summary>
    private async Task StepAsync(IStoreTransaction? tx, Scope scope, AutoScalingGroup group, GroupInstance instance, InstanceResource? ec2, Dictionary<string, List<TargetHealthView>> health,
        bool deleting, DateTime now, Plan plan, CancellationToken ct)
    {
        var gone = ec2 is null || ec2.State is InstanceStates.Terminated or InstanceStates.ShuttingDown;
        switch (instance.LifecycleState)
        {
            case LifecycleStates.Pending or LifecycleStates.PendingProceed or LifecycleStates.PendingWait when gone:
            case LifecycleStates.InService or LifecycleStates.Standby when gone:
                // Terminated behind the group's back: take it out and let capacity launch a replacement.
                await DeregisterAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
                AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Failed, now, "Instance was terminated before it was in service.");
                AutoScalingGroups.StartActivity(group, $"Terminating EC2 instance: {instance.InstanceId}",
                    $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.", now, ActivityStatus.Successful,
                    Details(instance.SubnetId, instance.AvailabilityZone));
                group.Instances.Remove(instance);
                return;

            case var warmed when LifecycleStates.IsWarmed(warmed):
                WarmStep(group, instance, ec2, gone, now, plan);
                return;

            case LifecycleStates.Pending or LifecycleStates.PendingWait:
                var launch = HookStep(group, instance, LaunchHooks, skip: false, now);
                if (launch == HookOutcome.Held)
                {
                    return;
                }
                if (launch == HookOutcome.Abandoned)
                {
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Cancelled, now, AbandonedLaunch);
                    BeginExit(group, instance, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service because its launch lifecycle action was abandoned.", now, terminate: true);
                    return;
                }
                goto case LifecycleStates.PendingProceed;

            case LifecycleStates.PendingProceed:
                if (ec2?.State == InstanceStates.Stopped)
                {
                    plan.Starts.Add(instance.InstanceId); // taken from a stopped warm pool
                    return;
                }
                if (ec2?.State != InstanceStates.Running)
                {
                    return;
                }
                instance.LifecycleState = LifecycleStates.InService;
                instance.InServiceSince = now;
                instance.HealthStatus = "Healthy";
                await RegisterAsync(tx, scope, group, instance, now, ct).ConfigureAwait(false);
                AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                instance.ActivityId = null;
                return;

            case LifecycleStates.InService:
                if (deleting)
                {
                    return;
                }
                await RegisterAsync(tx, scope, group, instance, now, ct).ConfigureAwait(false);
                if (instance.HealthStatus == "Healthy" && UnhealthyReason(group, instance, ec2!, health, now) is { } reason)
                {
                    instance.HealthStatus = "Unhealthy";
                    instance.ExitCause = reason;
                }
                if (instance.HealthStatus == "Unhealthy" && !group.IsSuspended("ReplaceUnhealthy") && !group.IsSuspended("HealthCheck"))
                {
                    BeginExit(group, instance, instance.ExitCause ?? $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to a user health-check.", now, terminate: true);
                }
                return;

            case LifecycleStates.EnteringStandby:
                if (await DrainAsync(tx, scope, instance, health, now, ct).ConfigureAwait(false))
                {
                    instance.LifecycleState = LifecycleStates.Standby;
                    instance.DrainingSince = null;
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                    instance.ActivityId = null;
                }
                return;

            case LifecycleStates.Terminating or LifecycleStates.Detaching:
                if (!await DrainAsync(tx, scope, instance, health, now, ct).ConfigureAwait(false))
                {
                    AutoScalingGroups.ProgressActivity(group, instance.ActivityId, ActivityStatus.WaitingForElbConnectionDraining, 20);
                    return;
                }
                if (instance.ReturnToWarmPool && !gone && group.WarmPool is { Status: null })
                {
                    // ReuseOnScaleIn: back into the warm pool instead of terminating (the activity ends once it is warmed again).
                    instance.ReturnToWarmPool = false;
                    instance.DrainingSince = null;
                    instance.HooksDone.Clear();
                    instance.LifecycleState = LifecycleStates.WarmedPending;
                    return;
                }
                if (instance.LifecycleState == LifecycleStates.Detaching)
                {
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                    group.Instances.Remove(instance);
                    return;
                }
                goto case LifecycleStates.TerminatingWait;

            case LifecycleStates.TerminatingWait:
                if (HookStep(group, instance, TerminateHooks, skip: gone, now) == HookOutcome.Held)
                {
                    return;
                }
                goto case LifecycleStates.TerminatingProceed;

            case LifecycleStates.TerminatingProceed:
                if (gone)
                {
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                    group.Instances.Remove(instance);
                    return;
                }
                AutoScalingGroups.ProgressActivity(group, instance.ActivityId, ActivityStatus.InProgress, 50);
                plan.Terminations.Add(instance.InstanceId);
                return;
        }
    }

    /// <summary>
    /// An instance refresh in progress: while at least MinHealthyPercentage of the desired capacity
    /// is InService (and every replacement so far has warmed up), take the next instances to
    /// replace out of service; capacity launches their replacements from the group's configuration.
    /// An alarm of its AlarmSpecification in ALARM fails the refresh, or rolls it back with
    /// AutoRollback. Protected and Standby instances follow ScaleInProtectedInstances and
    /// StandbyInstances: replaced (Refresh), terminated (Terminate, Standby), skipped (Ignore) or
    /// waited for (Wait: the refresh replaces them once they are unprotected or back InService).
    /// With MaxHealthyPercentage above 100 replacements launch first: up to that share of the
    /// desired capacity, instances are marked and leave once their replacements are InService
    /// (<see cref="MaintainAsync"/>). After the last replacement the refresh is <c>Baking</c> for
    /// BakeTime seconds (alarms still watched), then <c>Successful</c>.
    /// </summary>
    private static void Refresh(AutoScalingGroup group, Func<string, string?> alarmState, DateTime now)
    {
        if (group.InstanceRefreshes.FirstOrDefault(r => r.Status is "Pending" or "InProgress" or "Baking" or "RollbackInProgress") is not { } refresh || group.IsSuspended("InstanceRefresh"))
        {
            return;
        }
        if (refresh.Status == "Pending")
        {
            refresh.Status = "InProgress";
            if (refresh.StandbyInstances == "Terminate")
            {
                foreach (var standby in group.Instances.Where(i => i.LifecycleState == LifecycleStates.Standby).ToList())
                {
                    BeginExit(group, standby, $"At {AutoScalingGroups.Iso(now)} an instance in Standby was terminated in response to an instance refresh.", now, terminate: true);
                }
            }
        }
        if (refresh.Status is "InProgress" or "Baking" && refresh.AlarmNames.Where(a => alarmState(a) == "ALARM").ToList() is { Count: > 0 } alarming)
        {
            var reason = $"The instance refresh failed because of the CloudWatch alarm(s) {string.Join(", ", alarming)} in ALARM state.";
            if (refresh.AutoRollback)
            {
                StartRollback(group, refresh, reason, now);
            }
            else
            {
                refresh.Status = "Failed";
                refresh.StatusReason = reason;
                refresh.EndTime = now;
                RestorePreviousConfiguration(group, refresh);
                return;
            }
        }
        bool Waited(GroupInstance i) => (i.ProtectedFromScaleIn && refresh.ScaleInProtectedInstances == "Wait") || i.LifecycleState == LifecycleStates.Standby;
        refresh.Remaining.RemoveAll(id => group.Instances.All(i => i.InstanceId != id
            || !(LifecycleStates.CountsTowardsCapacity(i.LifecycleState) || (i.LifecycleState == LifecycleStates.Standby && refresh.StandbyInstances == "Wait"))));
        var inService = group.Instances.Where(i => i.LifecycleState == LifecycleStates.InService && i.HealthStatus == "Healthy"
            && (i.InServiceSince is null || now >= i.InServiceSince.Value.AddSeconds(refresh.InstanceWarmup))).ToList();
        var leaving = group.Instances.Count(i => LifecycleStates.IsTerminating(i.LifecycleState));
        var pending = group.Instances.Count(i => i.LifecycleState is LifecycleStates.Pending or LifecycleStates.PendingWait or LifecycleStates.PendingProceed);
        var replacing = group.Instances.Count(i => i.ReplacementCause is not null && LifecycleStates.CountsTowardsCapacity(i.LifecycleState));
        if (refresh.Remaining.Count == 0)
        {
            if (pending == 0 && leaving == 0 && replacing == 0)
            {
                if (refresh.Status == "InProgress" && refresh.BakeTime > 0)
                {
                    refresh.Status = "Baking";
                    refresh.BakeUntil = now.AddSeconds(refresh.BakeTime);
                    return;
                }
                if (refresh.Status == "Baking" && now < refresh.BakeUntil)
                {
                    return;
                }
                refresh.Status = refresh.Status == "RollbackInProgress" ? "RollbackSuccessful" : "Successful";
                refresh.StatusReason = null;
                refresh.EndTime = now;
                refresh.BakeUntil = null;
                if (refresh.Status == "Successful")
                {
                    TakeDesiredConfiguration(group, refresh);
                }
            }
            return;
        }
        var ready = refresh.Remaining.Where(id => group.Instances.FirstOrDefault(i => i.InstanceId == id) is { } i && !Waited(i)).ToList();
        if (ready.Count == 0)
        {
            if (pending == 0 && leaving == 0)
            {
                refresh.StatusReason = "Waiting for instances in Standby or protected from scale in to be replaced: " + string.Join(", ", refresh.Remaining) + ".";
            }
            return;
        }
        var minHealthy = (int)Math.Ceiling(group.DesiredCapacity * refresh.MinHealthyPercentage / 100.0);
        // Launch first: room above the desired capacity up to MaxHealthyPercentage of it.
        var maxTotal = (int)Math.Floor(group.DesiredCapacity * refresh.MaxHealthyPercentage / 100.0);
        var launchFirst = refresh.MaxHealthyPercentage > 100
            ? Math.Max(0, maxTotal - group.Instances.Count(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState)))
            : 0;
        var terminateFirst = launchFirst > 0 ? Math.Max(0, inService.Count - minHealthy) : Math.Max(1, inService.Count - minHealthy);
        var batch = launchFirst + terminateFirst;
        if (pending > 0 || leaving > 0 || replacing > 0 || launchFirst == 0 && inService.Count - 1 < minHealthy && inService.Count < group.DesiredCapacity)
        {
            return; // wait for the previous replacements to be in service (and warm)
        }
        if (!Checkpoint(refresh, now, ref batch))
        {
            return;
        }
        if (refresh.StatusReason?.StartsWith("Waiting for instances", StringComparison.Ordinal) == true)
        {
            refresh.StatusReason = null;
        }
        var taken = 0;
        foreach (var id in ready.Take(batch))
        {
            if (group.Instances.FirstOrDefault(i => i.InstanceId == id) is { } instance)
            {
                var cause = $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to an instance refresh.";
                if (taken < launchFirst && instance.LifecycleState == LifecycleStates.InService)
                {
                    // Its replacement launches now; it leaves once the group is back at its desired capacity without it.
                    instance.ReplacementCause = cause;
                }
                else
                {
                    BeginExit(group, instance, cause, now, terminate: true);
                }
                taken++;
            }
            refresh.Remaining.Remove(id);
        }
    }

    /// <summary>
    /// While a refresh with a desired configuration runs (Pending, InProgress, Baking) the group
    /// launches from that configuration, though the stored group keeps its own until the refresh
    /// succeeds (as AWS, which writes it into the group at the end). Puts it in place for one pass
    /// and answers what to put back before the group is saved (<see cref="PutBackConfiguration"/>).
    /// </summary>
    internal static StoredConfiguration? UseDesiredConfiguration(AutoScalingGroup group)
    {
        if (group.InstanceRefreshes.FirstOrDefault(r => r.Status is "Pending" or "InProgress" or "Baking") is not { HasDesiredConfiguration: true } refresh)
        {
            return null;
        }
        var stored = new StoredConfiguration(refresh.Id, group.LaunchTemplate, group.LaunchConfigurationName, group.MixedInstancesPolicy);
        TakeDesiredConfiguration(group, refresh);
        return stored;
    }

    /// <summary>Puts the group's own configuration back after a pass, unless the refresh succeeded in it (the group keeps the desired one then).</summary>
    internal static void PutBackConfiguration(AutoScalingGroup group, StoredConfiguration? stored)
    {
        if (stored is null || group.InstanceRefreshes.FirstOrDefault(r => r.Id == stored.RefreshId) is { Status: "Successful" })
        {
            return;
        }
        group.LaunchTemplate = stored.LaunchTemplate;
        group.LaunchConfigurationName = stored.LaunchConfigurationName;
        group.MixedInstancesPolicy = stored.MixedInstancesPolicy;
    }

    private static void TakeDesiredConfiguration(AutoScalingGroup group, InstanceRefreshRecord refresh)
    {
        if (!refresh.HasDesiredConfiguration)
        {
            return;
        }
        group.LaunchTemplate = refresh.DesiredLaunchTemplate;
        group.MixedInstancesPolicy = refresh.DesiredMixedInstancesPolicy;
        group.LaunchConfigurationName = null;
    }

    /// <summary>The group's own launch configuration, kept aside while a pass launches from a refresh's desired one.</summary>
    internal sealed record StoredConfiguration(string RefreshId, GroupLaunchTemplate? LaunchTemplate, string? LaunchConfigurationName, MixedInstances? MixedInstancesPolicy);

    /// <summary>
    /// Rolls an instance refresh back (RollbackInstanceRefresh, or AutoRollback when it fails):
    /// the group's previous configuration comes back and every instance the refresh launched so
    /// far is replaced by one of that configuration.
    /// </summary>
    internal static void StartRollback(AutoScalingGroup group, InstanceRefreshRecord refresh, string reason, DateTime now)
    {
        var percent = refresh.InstancesToUpdate == 0 ? 0 : 100 * (refresh.InstancesToUpdate - refresh.Remaining.Count) / refresh.InstancesToUpdate;
        RestorePreviousConfiguration(group, refresh);
        refresh.Remaining = group.Instances
            .Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) && !refresh.Remaining.Contains(i.InstanceId) && i.LaunchTime >= refresh.StartTime)
            .Where(i => !i.ProtectedFromScaleIn || refresh.ScaleInProtectedInstances != "Ignore")
            .Select(i => i.InstanceId).ToList();
        refresh.InstancesToUpdate = refresh.Remaining.Count;
        refresh.Status = "RollbackInProgress";
        refresh.StatusReason = reason;
        refresh.RollbackReason = reason;
        refresh.RollbackStartTime = now;
        refresh.PercentageCompleteOnRollback = percent;
        refresh.InstancesToUpdateOnRollback = refresh.Remaining.Count;
        refresh.CheckpointUntil = null;
        refresh.CheckpointsReached = [.. refresh.CheckpointPercentages]; // a rollback does not pause
    }

    /// <summary>A refresh with a desired configuration that does not succeed leaves the group on the configuration it had before.</summary>
    internal static void RestorePreviousConfiguration(AutoScalingGroup group, InstanceRefreshRecord refresh)
    {
        if (!refresh.HasDesiredConfiguration)
        {
            return;
        }
        group.LaunchTemplate = refresh.PreviousLaunchTemplate;
        group.LaunchConfigurationName = refresh.PreviousLaunchConfigurationName;
        group.MixedInstancesPolicy = refresh.PreviousMixedInstancesPolicy;
    }

    /// <summary>
    /// Checkpoints of an instance refresh: once the replaced share reaches the next of
    /// CheckpointPercentages the refresh waits CheckpointDelay seconds (its StatusReason says so);
    /// a batch never goes past the next checkpoint. Answers whether the refresh may go on now.
    /// </summary>
    internal static bool Checkpoint(InstanceRefreshRecord refresh, DateTime now, ref int batch)
    {
        if (refresh.CheckpointUntil is { } until)
        {
            if (now < until)
            {
                return false;
            }
            refresh.CheckpointUntil = null;
            refresh.StatusReason = null;
        }
        if (refresh.InstancesToUpdate == 0 || refresh.CheckpointPercentages.FirstOrDefault(c => !refresh.CheckpointsReached.Contains(c)) is not (> 0 and var next))
        {
            return true;
        }
        var replaced = refresh.InstancesToUpdate - refresh.Remaining.Count;
        var percent = 100 * replaced / refresh.InstancesToUpdate;
        if (percent >= next)
        {
            refresh.CheckpointsReached.Add(next);
            var index = refresh.CheckpointPercentages.IndexOf(next) + 1;
            var delay = refresh.CheckpointDelay ?? 3600;
            refresh.CheckpointUntil = now.AddSeconds(delay);
            refresh.StatusReason = $"Checkpoint {index} of {refresh.CheckpointPercentages.Count} reached: {percent}% of the instances were replaced. Waiting {delay} seconds before continuing.";
            return delay == 0 && Checkpoint(refresh, now, ref batch);
        }
        var upTo = (int)Math.Ceiling(refresh.InstancesToUpdate * next / 100.0);
        batch = Math.Clamp(upTo - replaced, 1, batch);
        return true;
    }

    /// <summary>Traffic sources move on: detached ones deregister every instance and go, attached ones become Added, then InService once a target is healthy.</summary>
    private async Task TrafficSourcesAsync(IStoreTransaction? tx, Scope scope, AutoScalingGroup group, Dictionary<string, List<TargetHealthView>> health, DateTime now, CancellationToken ct)
    {
        foreach (var source in group.TrafficSources.ToList())
        {
            switch (source.State)
            {
                case "Removing":
                    foreach (var instance in group.Instances.Where(i => i.RegisteredWith.Contains(source.Identifier)))
                    {
                        if (tx is not null)
                        {
                            try
                            {
                                await targets.DeregisterInstancesAsync(tx, scope, source.Identifier, [instance.InstanceId], now, ct).ConfigureAwait(false);
                            }
                            catch (AwsException)
                            {
                                // The target group is gone.
                            }
                        }
                        instance.RegisteredWith.Remove(source.Identifier);
                    }
                    group.TrafficSources.Remove(source);
                    break;
                case "Adding":
                    source.State = "Added";
                    break;
                case "Added" when health.GetValueOrDefault(source.Identifier)?.Any(h => h.State == TargetStates.Healthy && group.Instances.Any(i => i.InstanceId == h.Id)) == true:
                    source.State = "InService";
                    break;
            }
        }
    }

    /// <summary>The capacity that counts towards desired: instances in service or on their way, less those being replaced.</summary>
    internal static int EffectiveCapacity(AutoScalingGroup group) =>
        group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) && i.ReplacementCause is null).Sum(i => i.WeightedCapacity ?? 1);

    /// <summary>
    /// Replacements that launch first and terminate after: a Spot Instance with a rebalance
    /// recommendation (CapacityRebalance), the oldest instance past MaxInstanceLifetime (one at a
    /// time), an instance of the most crowded Availability Zone when zones differ by more than one
    /// (AZRebalance). A marked instance leaves once the group is back at its desired capacity
    /// without it.
    /// </summary>
    private static async Task MaintainAsync(IStoreSession session, Scope scope, AutoScalingGroup group, Dictionary<string, InstanceResource> ec2, DateTime now, CancellationToken ct)
    {
        var inService = group.Instances.Where(i => i.LifecycleState == LifecycleStates.InService).ToList();
        var settled = group.Instances.All(i => i.LifecycleState is LifecycleStates.InService or LifecycleStates.Standby || LifecycleStates.IsWarmed(i.LifecycleState));
        var refreshing = group.InstanceRefreshes.Any(r => r.Status is "Pending" or "InProgress" or "RollbackInProgress" or "Baking");
        if (group.CapacityRebalance)
        {
            var spot = inService.Where(i => i.ReplacementCause is null && (i.Market == "spot" || ec2.GetValueOrDefault(i.InstanceId)?.InstanceLifecycle == "spot")).ToList();
            var requestIds = spot.Select(i => i.SpotInstanceRequestId ?? ec2.GetValueOrDefault(i.InstanceId)?.SpotInstanceRequestId).OfType<string>().ToList();
            if (requestIds.Count > 0)
            {
                var requests = (await session.GetManyAsync<Domain.Spot.SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, requestIds, ct).ConfigureAwait(false))
                    .Where(r => r.Interruption is { NoticeTime: { } notice } && notice <= now && r.InstanceId is not null)
                    .Select(r => r.InstanceId!).ToHashSet(StringComparer.Ordinal);
                foreach (var instance in spot.Where(i => requests.Contains(i.InstanceId)))
                {
                    instance.ReplacementCause = $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to an EC2 instance rebalance recommendation.";
                }
            }
        }
        var marked = group.Instances.Any(i => i.ReplacementCause is not null);
        if (!marked && settled && !refreshing && group.MaxInstanceLifetime is { } lifetime && !group.IsSuspended("Launch") && !group.IsSuspended("Terminate")
            && inService.Where(i => !i.ProtectedFromScaleIn && now >= i.LaunchTime.AddSeconds(lifetime)).OrderBy(i => i.LaunchTime).FirstOrDefault() is { } expired)
        {
            expired.ReplacementCause = $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to the instance reaching its maximum instance lifetime.";
            marked = true;
        }
        if (!marked && settled && !refreshing && GroupPlacement.RebalanceCandidate(group) is { } crowded
            && !group.IsSuspended("AZRebalance") && !group.IsSuspended("Launch") && !group.IsSuspended("Terminate"))
        {
            crowded.ReplacementCause = $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to Availability Zone rebalancing: the group's instances were not balanced across its Availability Zones.";
        }
        // Replacements done: the marked instances leave.
        var healthy = group.Instances.Where(i => i.LifecycleState == LifecycleStates.InService && i.ReplacementCause is null).Sum(i => i.WeightedCapacity ?? 1);
        foreach (var instance in group.Instances.Where(i => i.ReplacementCause is not null && i.LifecycleState == LifecycleStates.InService).ToList())
        {
            if (healthy >= group.DesiredCapacity || group.IsSuspended("Launch"))
            {
                BeginExit(group, instance, instance.ReplacementCause!, now, terminate: true);
            }
        }
    }

    /// <summary>Keeps the warm pool at its size: launches into it, terminates what is beyond it, empties it once deleted.</summary>
    private static void WarmPoolSize(AutoScalingGroup group, DateTime now, Plan plan)
    {
        if (group.WarmPool is not { } pool)
        {
            return;
        }
        var inPool = group.Instances.Where(i => LifecycleStates.CountsTowardsWarmPool(i.LifecycleState)).ToList();
        var returning = group.Instances.Count(i => i.ReturnToWarmPool && LifecycleStates.IsTerminating(i.LifecycleState));
        if (pool.Status is not null)
        {
            foreach (var instance in inPool)
            {
                BeginWarmExit(group, instance, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of the warm pool in response to a user request to delete the warm pool.", now);
            }
            if (!group.Instances.Any(i => LifecycleStates.IsWarmed(i.LifecycleState)))
            {
                group.WarmPool = null;
            }
            return;
        }
        var target = pool.TargetSize(group);
        if (inPool.Count + returning < target && !group.IsSuspended("Launch") && (group.NextLaunchAttempt is null || now >= group.NextLaunchAttempt)
            && group.MixedInstancesPolicy is null)
        {
            var count = target - inPool.Count - returning;
            var subnets = GroupPlacement.ChooseSubnets(group, count);
            plan.Launches.AddRange(subnets.Count > 0
                ? subnets.GroupBy(s => s).Select(g => new LaunchBatch(g.Key, null, null, g.Count(), Warm: true))
                : [new LaunchBatch(null, null, null, count, Warm: true)]);
            plan.WarmCause = $"At {AutoScalingGroups.Iso(now)} an instance was launched into the warm pool in response to a difference between desired and actual warm pool size, increasing the warm pool size from {inPool.Count} to {target}.";
        }
        else if (inPool.Count > target && returning == 0 && !group.IsSuspended("Terminate"))
        {
            // Instances still warming go first, then the newest.
            foreach (var instance in inPool.OrderBy(i => LifecycleStates.IsWarmedReady(i.LifecycleState)).ThenByDescending(i => i.LaunchTime).Take(inPool.Count - target).ToList())
            {
                BeginWarmExit(group, instance, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of the warm pool in response to a difference between desired and actual warm pool size, shrinking the warm pool size from {inPool.Count} to {target}.", now);
            }
        }
    }

    private static void BeginWarmExit(AutoScalingGroup group, GroupInstance instance, string cause, DateTime now)
    {
        if (instance.LifecycleState.StartsWith(LifecycleStates.WarmedTerminating, StringComparison.Ordinal))
        {
            return;
        }
        AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Cancelled, now, "The instance left the warm pool before it was warmed.");
        ReleaseHook(instance);
        instance.LifecycleState = LifecycleStates.WarmedTerminating;
        instance.ExitCause = cause;
        var activity = AutoScalingGroups.StartActivity(group, $"Terminating EC2 instance: {instance.InstanceId}", cause, now, details: Details(instance.SubnetId, instance.AvailabilityZone));
        instance.ActivityId = activity.ActivityId;
    }

    /// <summary>Moves a warm pool instance on: Warmed:Pending (launch hooks: Warmed:Pending:Wait), Warmed:Pending:Proceed (stopped unless the pool runs), Warmed:Stopped/Running/Hibernated; Warmed:Terminating and on.</summary>
    private static void WarmStep(AutoScalingGroup group, GroupInstance instance, InstanceResource? ec2, bool gone, DateTime now, Plan plan)
    {
        var force = group.WarmPool?.ForceDelete == true;
        if (group.WarmPool is null && !instance.LifecycleState.StartsWith(LifecycleStates.WarmedTerminating, StringComparison.Ordinal))
        {
            BeginWarmExit(group, instance, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of the warm pool in response to a user request to delete the warm pool.", now);
        }
        if (gone && !instance.LifecycleState.StartsWith(LifecycleStates.WarmedTerminating, StringComparison.Ordinal))
        {
            AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Failed, now, "Instance was terminated before it was warmed.");
            group.Instances.Remove(instance);
            return;
        }
        switch (instance.LifecycleState)
        {
            case LifecycleStates.WarmedPending or LifecycleStates.WarmedPendingWait:
                var warmLaunch = HookStep(group, instance, WarmLaunchHooks, skip: false, now);
                if (warmLaunch == HookOutcome.Held)
                {
                    return;
                }
                if (warmLaunch == HookOutcome.Abandoned)
                {
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Cancelled, now, AbandonedLaunch);
                    BeginWarmExit(group, instance, $"At {AutoScalingGroups.Iso(now)} an instance was taken out of the warm pool because its launch lifecycle action was abandoned.", now);
                    return;
                }
                goto case LifecycleStates.WarmedPendingProceed;

            case LifecycleStates.WarmedPendingProceed:
                var poolState = group.WarmPool?.PoolState ?? "Stopped";
                if (poolState == "Running")
                {
                    if (ec2?.State == InstanceStates.Running)
                    {
                        instance.LifecycleState = LifecycleStates.WarmedRunning;
                        AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                        instance.ActivityId = null;
                    }
                    else if (ec2?.State == InstanceStates.Stopped)
                    {
                        plan.Starts.Add(instance.InstanceId);
                    }
                    return;
                }
                if (ec2?.State == InstanceStates.Stopped)
                {
                    instance.LifecycleState = LifecycleStates.WarmedFor(poolState);
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                    instance.ActivityId = null;
                }
                else if (ec2?.State == InstanceStates.Running)
                {
                    plan.Stops.Add(instance.InstanceId);
                }
                return;

            case LifecycleStates.WarmedStopped or LifecycleStates.WarmedRunning or LifecycleStates.WarmedHibernated:
                // PutWarmPool with another PoolState converts the instances already warmed: started
                // for Running, stopped for Stopped and Hibernated (a stopped instance is relabelled
                // between those two: Stratus keeps a hibernated warm instance stopped).
                var wanted = LifecycleStates.WarmedFor(group.WarmPool?.PoolState ?? "Stopped");
                if (instance.LifecycleState == wanted || group.WarmPool is null)
                {
                    return;
                }
                if (wanted == LifecycleStates.WarmedRunning)
                {
                    if (ec2?.State == InstanceStates.Running)
                    {
                        instance.LifecycleState = wanted;
                    }
                    else if (ec2?.State == InstanceStates.Stopped)
                    {
                        plan.Starts.Add(instance.InstanceId);
                    }
                }
                else if (ec2?.State == InstanceStates.Stopped)
                {
                    instance.LifecycleState = wanted;
                }
                else if (ec2?.State == InstanceStates.Running)
                {
                    plan.Stops.Add(instance.InstanceId);
                }
                return;

            case LifecycleStates.WarmedTerminating or LifecycleStates.WarmedTerminatingWait:
                if (HookStep(group, instance, WarmTerminateHooks, skip: gone || force, now) == HookOutcome.Held)
                {
                    return;
                }
                goto case LifecycleStates.WarmedTerminatingProceed;

            case LifecycleStates.WarmedTerminatingProceed:
                if (gone)
                {
                    AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Successful, now);
                    group.Instances.Remove(instance);
                    return;
                }
                AutoScalingGroups.ProgressActivity(group, instance.ActivityId, ActivityStatus.InProgress, 50);
                plan.Terminations.Add(instance.InstanceId);
                return;
        }
    }

    /// <summary>Starts an instance's way out of the group (terminating or detaching), with its activity.</summary>
    internal static void BeginExit(AutoScalingGroup group, GroupInstance instance, string cause, DateTime now, bool terminate)
    {
        if (LifecycleStates.IsTerminating(instance.LifecycleState) || instance.LifecycleState is LifecycleStates.Detaching)
        {
            return;
        }
        AutoScalingGroups.EndActivity(group, instance.ActivityId, ActivityStatus.Cancelled, now, "The instance left the group before it was in service.");
        ReleaseHook(instance);
        instance.LifecycleState = terminate ? LifecycleStates.Terminating : LifecycleStates.Detaching;
        instance.TerminateOnExit = terminate;
        instance.ExitCause = cause;
        var activity = AutoScalingGroups.StartActivity(group,
            instance.ReturnToWarmPool ? $"Moving EC2 instance to warm pool: {instance.InstanceId}"
                : terminate ? $"Terminating EC2 instance: {instance.InstanceId}" : $"Detaching EC2 instance: {instance.InstanceId}", cause, now, details: Details(instance.SubnetId, instance.AvailabilityZone));
        instance.ActivityId = activity.ActivityId;
    }

    private const string AbandonedLaunch = "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token was abandoned.";

    /// <summary>
    /// The lifecycle states around the hooks of one transition: the instance enters at
    /// <paramref name="Entry"/>, a hook holds it in <paramref name="Wait"/>, it leaves through
    /// <paramref name="Proceed"/>; <paramref name="Progress"/> is its activity's progress while held.
    /// </summary>
    private sealed record HookStates(string Transition, string Entry, string Wait, string Proceed, int Progress);

    private static readonly HookStates LaunchHooks = new(LifecycleHook.Launching, LifecycleStates.Pending, LifecycleStates.PendingWait, LifecycleStates.PendingProceed, 30);
    private static readonly HookStates WarmLaunchHooks = new(LifecycleHook.Launching, LifecycleStates.WarmedPending, LifecycleStates.WarmedPendingWait, LifecycleStates.WarmedPendingProceed, 30);
    private static readonly HookStates TerminateHooks = new(LifecycleHook.Terminating, LifecycleStates.Terminating, LifecycleStates.TerminatingWait, LifecycleStates.TerminatingProceed, 40);
    private static readonly HookStates WarmTerminateHooks = new(LifecycleHook.Terminating, LifecycleStates.WarmedTerminating, LifecycleStates.WarmedTerminatingWait, LifecycleStates.WarmedTerminatingProceed, 40);

    private enum HookOutcome
    {
        /// <summary>A hook holds the instance (it is in the Wait state).</summary>
        Held,

        /// <summary>Every hook passed: the instance is in the Proceed state.</summary>
        Proceed,

        /// <summary>A launch hook ended with ABANDON (the caller takes the instance out).</summary>
        Abandoned,
    }

    /// <summary>
    /// One step through the lifecycle hooks of a transition, the same for the group and its warm
    /// pool: at the entry state the next hook the instance has not passed holds it (Wait), else it
    /// proceeds; held, it waits for CompleteLifecycleAction or the heartbeat timeout (the hook's
    /// DefaultResult), then meets the next hook. An abandoned launch hook ends the launch; a
    /// terminating instance goes on whatever the result, and <paramref name="skip"/> (the instance
    /// is gone, or the warm pool is force-deleted) lets it pass its hooks at once.
    /// </summary>
    private static HookOutcome HookStep(AutoScalingGroup group, GroupInstance instance, HookStates states, bool skip, DateTime now)
    {
        while (true)
        {
            if (instance.LifecycleState == states.Entry)
            {
                if (!skip && NextHook(group, instance, states.Transition) is { } hook)
                {
                    Hold(instance, hook, states.Wait, now);
                    AutoScalingGroups.ProgressActivity(group, instance.ActivityId, ActivityStatus.MidLifecycleAction, states.Progress);
                    return HookOutcome.Held;
                }
                instance.LifecycleState = states.Proceed;
                return HookOutcome.Proceed;
            }
            if (instance.LifecycleState != states.Wait)
            {
                return HookOutcome.Proceed;
            }
            if (instance.HookResult is null && !HookExpired(instance, now) && !skip)
            {
                return HookOutcome.Held;
            }
            var result = instance.HookResult ?? group.LifecycleHooks.FirstOrDefault(h => h.Name == instance.HookName)?.DefaultResult ?? "ABANDON";
            ReleaseHook(instance);
            if (states.Transition == LifecycleHook.Launching && result == "ABANDON")
            {
                return HookOutcome.Abandoned;
            }
            instance.LifecycleState = states.Entry;
        }
    }

    private static LifecycleHook? NextHook(AutoScalingGroup group, GroupInstance instance, string transition) =>
        group.LifecycleHooks.FirstOrDefault(h => h.Transition == transition && !instance.HooksDone.Contains(h.Name + "/" + transition));

    private static void Hold(GroupInstance instance, LifecycleHook hook, string state, DateTime now)
    {
        instance.LifecycleState = state;
        instance.HookName = hook.Name;
        instance.HookToken = Guid.NewGuid().ToString();
        instance.HookDeadline = now.AddSeconds(hook.HeartbeatTimeout);
        instance.HookGlobalDeadline = now.AddSeconds(Math.Min(172800, 100 * hook.HeartbeatTimeout));
        instance.HookResult = null;
        instance.HooksDone.Add(hook.Name + "/" + hook.Transition);
    }

    private static bool HookExpired(GroupInstance instance, DateTime now) =>
        (instance.HookDeadline is { } deadline && now >= deadline) || (instance.HookGlobalDeadline is { } global && now >= global);

    private static void ReleaseHook(GroupInstance instance)
    {
        instance.HookName = null;
        instance.HookToken = null;
        instance.HookDeadline = null;
        instance.HookGlobalDeadline = null;
        instance.HookResult = null;
    }

    /// <summary>Why an InService instance is unhealthy, as the activity's cause, or null.</summary>
    private static string? UnhealthyReason(AutoScalingGroup group, GroupInstance instance, InstanceResource ec2, Dictionary<string, List<TargetHealthView>> health, DateTime now)
    {
        if (ec2.State != InstanceStates.Running)
        {
            return $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to an EC2 instance status checks failure.";
        }
        if (group.HealthCheckType != "ELB" || now < instance.LaunchTime.AddSeconds(group.HealthCheckGracePeriod))
        {
            return null;
        }
        foreach (var arn in group.TargetGroupArns)
        {
            if (health.GetValueOrDefault(arn)?.FirstOrDefault(h => h.Id == instance.InstanceId) is { State: TargetStates.Unhealthy })
            {
                return $"At {AutoScalingGroups.Iso(now)} an instance was taken out of service in response to an ELB system health check failure.";
            }
        }
        return null;
    }

    private async Task<Dictionary<string, List<TargetHealthView>>> TargetHealthAsync(IStoreSession session, Scope scope, AutoScalingGroup group, CancellationToken ct)
    {
        var result = new Dictionary<string, List<TargetHealthView>>(StringComparer.Ordinal);
        foreach (var arn in group.TrafficSources.Where(t => t.Type == "elbv2").Select(t => t.Identifier))
        {
            try
            {
                result[arn] = [.. await targets.DescribeHealthAsync(session, scope, arn, ct).ConfigureAwait(false)];
            }
            catch (AwsException)
            {
                result[arn] = []; // the target group was deleted
            }
        }
        return result;
    }

    /// <summary>Registers an InService instance with every attached target group it is not registered with yet.</summary>
    private async Task RegisterAsync(IStoreTransaction? tx, Scope scope, AutoScalingGroup group, GroupInstance instance, DateTime now, CancellationToken ct)
    {
        foreach (var arn in group.TargetGroupArns.Where(a => !instance.RegisteredWith.Contains(a)).ToList())
        {
            if (tx is not null)
            {
                try
                {
                    await targets.RegisterInstancesAsync(tx, scope, arn, [(instance.InstanceId, null)], now, ct).ConfigureAwait(false);
                }
                catch (AwsException e)
                {
                    LogRegisterFailed(instance.InstanceId, arn, e.Message);
                }
            }
            instance.RegisteredWith.Add(arn);
        }
    }

    /// <summary>Deregisters an instance from its target groups (they drain for their deregistration delay).</summary>
    private async Task DeregisterAsync(IStoreTransaction? tx, Scope scope, GroupInstance instance, DateTime now, CancellationToken ct)
    {
        foreach (var arn in instance.RegisteredWith.ToList())
        {
            if (tx is not null)
            {
                try
                {
                    await targets.DeregisterInstancesAsync(tx, scope, arn, [instance.InstanceId], now, ct).ConfigureAwait(false);
                }
                catch (AwsException)
                {
                    // The target group is gone: nothing to drain.
                }
            }
            instance.RegisteredWith.Remove(arn);
        }
    }

    /// <summary>Deregisters (first call) and answers whether the instance has finished draining from every target group.</summary>
    private async Task<bool> DrainAsync(IStoreTransaction? tx, Scope scope, GroupInstance instance, Dictionary<string, List<TargetHealthView>> health, DateTime now, CancellationToken ct)
    {
        if (instance.RegisteredWith.Count > 0)
        {
            instance.DrainingSince ??= now;
            await DeregisterAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
            return false;
        }
        return !health.Values.Any(list => list.Any(h => h.Id == instance.InstanceId && h.State == TargetStates.Draining));
    }

    private static async Task<string?> CurrentTemplateVersionAsync(IStoreSession session, Scope scope, AutoScalingGroup group, CancellationToken ct)
    {
        if ((group.MixedInstancesPolicy?.LaunchTemplate ?? group.LaunchTemplate) is not { } template)
        {
            return null;
        }
        try
        {
            var resource = await Domain.LaunchTemplates.LaunchTemplates.GetAsync(session, scope, template.LaunchTemplateId, null, ct).ConfigureAwait(false);
            return Domain.LaunchTemplates.LaunchTemplates.GetVersion(resource, template.Version).Number.ToString(CultureInfo.InvariantCulture);
        }
        catch (AwsException)
        {
            return null;
        }
    }

    internal static string Details(string? subnetId, string zone) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["Subnet ID"] = subnetId ?? "", ["Availability Zone"] = zone });

    /// <summary>The group's record of an EC2 instance it launched or adopted.</summary>
    internal static GroupInstance NewGroupInstance(AutoScalingGroup group, InstanceResource ec2, DateTime now)
    {
        var templateId = ec2.Tags.FirstOrDefault(t => t.Key == "aws:ec2launchtemplate:id")?.Value;
        var templateVersion = ec2.Tags.FirstOrDefault(t => t.Key == "aws:ec2launchtemplate:version")?.Value;
        var template = group.MixedInstancesPolicy?.LaunchTemplate ?? group.LaunchTemplate;
        return new GroupInstance
        {
            InstanceId = ec2.Id,
            AvailabilityZone = ec2.AvailabilityZone,
            SubnetId = ec2.SubnetId,
            InstanceType = ec2.InstanceType,
            ImageId = ec2.ImageId,
            LifecycleState = LifecycleStates.Pending,
            LaunchTime = ec2.LaunchTime == default ? now : ec2.LaunchTime,
            ProtectedFromScaleIn = group.NewInstancesProtectedFromScaleIn,
            LaunchTemplate = templateId is null ? null : new GroupLaunchTemplate(templateId, template?.LaunchTemplateName ?? "", templateVersion),
            LaunchConfigurationName = templateId is null ? group.LaunchConfigurationName : null,
            WeightedCapacity = group.MixedInstancesPolicy?.Overrides.FirstOrDefault(o => o.InstanceType == ec2.InstanceType)?.WeightedCapacity,
            Market = ec2.InstanceLifecycle,
            SpotInstanceRequestId = ec2.SpotInstanceRequestId,
        };
    }

    // ---------------------------------------------------------------- acting

    private async Task TerminateAsync(Scope scope, List<string> instanceIds, CancellationToken ct)
    {
        try
        {
            var existing = await fleet.DescribeAsync(scope.AccountId, scope.Region, instanceIds, ct).ConfigureAwait(false);
            var live = existing.Where(i => i.State is not (InstanceStates.Terminated or InstanceStates.ShuttingDown)).Select(i => i.InstanceId).ToList();
            if (live.Count > 0)
            {
                await fleet.TerminateAsync(scope.AccountId, scope.Region, live, ct).ConfigureAwait(false);
            }
            Wake();
        }
        catch (AwsException e)
        {
            LogTerminateFailed(string.Join(",", instanceIds), e.Message);
        }
    }

    private async Task StartStopAsync(Scope scope, Plan plan, CancellationToken ct)
    {
        foreach (var (ids, start) in new[] { (plan.Starts, true), (plan.Stops, false) })
        {
            if (ids.Count == 0)
            {
                continue;
            }
            try
            {
                var existing = await fleet.DescribeAsync(scope.AccountId, scope.Region, ids, ct).ConfigureAwait(false);
                var eligible = existing.Where(i => start ? i.State == InstanceStates.Stopped : i.State == InstanceStates.Running).Select(i => i.InstanceId).ToList();
                if (eligible.Count > 0)
                {
                    _ = start
                        ? await fleet.StartAsync(scope.AccountId, scope.Region, eligible, ct).ConfigureAwait(false)
                        : await fleet.StopAsync(scope.AccountId, scope.Region, eligible, ct).ConfigureAwait(false);
                }
            }
            catch (AwsException e)
            {
                LogStartStopFailed(string.Join(",", ids), e.Message);
            }
        }
    }

    private async Task LaunchAsync(Scope scope, string name, Plan plan, CancellationToken ct)
    {
        AutoScalingGroup? group;
        LaunchTemplateRef? template = null;
        FleetLaunchParameters? parameters = null;
        List<Domain.Resources.Tag> tags;
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            group = await AutoScalingGroups.GetAsync(read, scope, name, ct).ConfigureAwait(false);
            if (group is null)
            {
                return;
            }
            _ = UseDesiredConfiguration(group);
            if ((group.MixedInstancesPolicy?.LaunchTemplate ?? group.LaunchTemplate) is { } lt)
            {
                template = new LaunchTemplateRef(lt.LaunchTemplateId, null, lt.Version);
            }
            else if (group.LaunchConfigurationName is { } lcName
                && await read.GetAsync<LaunchConfigurationResource>(scope, AutoScalingTypes.LaunchConfiguration, lcName, ct).ConfigureAwait(false) is { } lc)
            {
                parameters = new FleetLaunchParameters(lc.ImageId, lc.InstanceType)
                {
                    KeyName = lc.KeyName,
                    SecurityGroups = lc.SecurityGroups,
                    UserData = lc.UserData,
                    IamInstanceProfile = lc.IamInstanceProfile,
                };
            }
            tags = [new(AutoScalingGroups.GroupNameTag, group.Name), .. group.Tags.Where(t => t.PropagateAtLaunch && t.Key != AutoScalingGroups.GroupNameTag).Select(t => new Domain.Resources.Tag(t.Key, t.Value))];
        }
        var launched = new List<FleetInstance>();
        var warm = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<(string? SubnetId, string Message, bool Warm)>();
        var spotMax = Domain.Spot.SpotPriceModel.Parse(group.MixedInstancesPolicy?.SpotMaxPrice);
        foreach (var (subnetId, instanceType, _, count, spot, intoPool) in plan.Launches)
        {
            try
            {
                if (template is null && parameters is null)
                {
                    throw AutoScalingErrors.Validation($"The launch configuration {group.LaunchConfigurationName} does not exist.");
                }
                var result = await fleet.LaunchAsync(new FleetLaunchRequest(scope.AccountId, scope.Region, template, count)
                {
                    Parameters = parameters,
                    InstanceType = instanceType,
                    SubnetId = subnetId,
                    Tags = tags,
                    Spot = spot,
                    SpotMaxPrice = spot ? spotMax : null,
                }, ct).ConfigureAwait(false);
                launched.AddRange(result.Instances);
                if (intoPool)
                {
                    warm.UnionWith(result.Instances.Select(i => i.InstanceId));
                }
            }
            catch (AwsException e)
            {
                failures.Add((subnetId, e.Message, intoPool));
            }
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            group = await AutoScalingGroups.GetAsync(tx, scope, name, ct).ConfigureAwait(false);
            var stored = group is null ? null : UseDesiredConfiguration(group);
            if (group is null)
            {
                await tx.CommitAsync(ct).ConfigureAwait(false);
                if (launched.Count > 0)
                {
                    await fleet.TerminateAsync(scope.AccountId, scope.Region, launched.Select(l => l.InstanceId).ToList(), ct).ConfigureAwait(false);
                }
                return;
            }
            var records = await tx.GetManyAsync<InstanceResource>(scope, ResourceTypes.Instance, launched.Select(l => l.InstanceId).ToList(), ct).ConfigureAwait(false);
            foreach (var ec2 in records.Where(r => group.Instances.All(i => i.InstanceId != r.Id)))
            {
                var instance = NewGroupInstance(group, ec2, now);
                var intoPool = warm.Contains(ec2.Id);
                if (intoPool)
                {
                    instance.LifecycleState = LifecycleStates.WarmedPending;
                }
                var activity = AutoScalingGroups.StartActivity(group, intoPool ? $"Launching a new EC2 instance into warm pool: {ec2.Id}" : $"Launching a new EC2 instance: {ec2.Id}",
                    intoPool ? plan.WarmCause : plan.LaunchCause, now, details: Details(ec2.SubnetId, ec2.AvailabilityZone));
                instance.ActivityId = activity.ActivityId;
                group.Instances.Add(instance);
            }
            foreach (var (subnetId, message, intoPool) in failures)
            {
                AutoScalingGroups.StartActivity(group, $"Launching a new EC2 instance{(intoPool ? " into warm pool" : "")}.  Status Reason: {message}. Launching EC2 instance failed.", intoPool ? plan.WarmCause : plan.LaunchCause, now, ActivityStatus.Failed,
                    Details(subnetId, subnetId is null ? "" : group.SubnetZones.GetValueOrDefault(subnetId, ""))).StatusMessage = message;
            }
            if (failures.Count > 0)
            {
                group.LaunchFailures++;
                group.NextLaunchAttempt = now.AddSeconds(Math.Min(300, 5 * Math.Pow(2, Math.Min(group.LaunchFailures, 6))));
            }
            else
            {
                group.LaunchFailures = 0;
                group.NextLaunchAttempt = null;
                // A cause set after this launch was planned (a policy, a scheduled action) stays for the next launch.
                if (group.PendingCause is { } pending && plan.LaunchCause.StartsWith(pending, StringComparison.Ordinal))
                {
                    group.PendingCause = null;
                }
            }
            PutBackConfiguration(group, stored);
            await AutoScalingGroups.SaveAsync(tx, scope, group, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        if (launched.Count > 0)
        {
            Wake();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "auto scaling: pass failed")]
    private partial void LogPassFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "auto scaling: reconciling group {Group} failed")]
    private partial void LogGroupFailed(Exception e, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "auto scaling: registering {Instance} with {TargetGroup} failed: {Reason}")]
    private partial void LogRegisterFailed(string instance, string targetGroup, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "auto scaling: starting or stopping {Instances} failed: {Reason}")]
    private partial void LogStartStopFailed(string instances, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "auto scaling: terminating {Instances} failed: {Reason}")]
    private partial void LogTerminateFailed(string instances, string reason);
}
