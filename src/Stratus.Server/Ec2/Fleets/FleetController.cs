using System.Text.Json;
using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Fleets;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Server.Instances;
using FleetRules = Stratus.Domain.Fleets.Fleets;

namespace Stratus.Server.Ec2.Fleets;

/// <summary>
/// Drives every Spot Fleet request and EC2 Fleet of type <c>request</c> or <c>maintain</c> (and
/// the cancellation of every fleet) from the store. Each evaluation follows the fleet's instances
/// (those terminated, interrupted or stopped no longer count), moves its state on
/// (<see cref="FleetRules.Evaluate"/>), terminates excess or cancelled capacity, and launches what
/// the target still needs into the pools the allocation strategy chooses — one instance per
/// write transaction, committed together with the fleet's record, so a restart (even kill -9)
/// neither loses nor doubles an instance. A maintain fleet replaces lost capacity; a request
/// fleet launches its target once. Passes run every <see cref="ServerOptions.SpotEvaluationInterval"/>
/// and when a handler wakes the controller.
/// </summary>
internal sealed partial class FleetController(
    IStateStore store, InstanceLifecycle lifecycle, ServerOptions options, TimeProvider clock, ILogger<FleetController> log) : StoreReconciler(log)
{
    protected override TimeSpan Interval => options.SpotEvaluationInterval;

    internal override async Task PassAsync(CancellationToken ct)
    {
        var work = new List<(Scope Scope, FleetKind Kind, string Id)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var kind in new[] { FleetKind.SpotFleet, FleetKind.Ec2Fleet })
            {
                foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, FleetIds.TypeOf(kind), ct).ConfigureAwait(false))
                {
                    var fleet = JsonSerializer.Deserialize<FleetResource>(stored.Document, ResourceStore.Json)!;
                    if (FleetRules.NeedsEvaluation(fleet))
                    {
                        work.Add((new Scope(stored.Key.AccountId, stored.Key.Region), kind, stored.Key.Id));
                    }
                }
            }
        }
        foreach (var (scope, kind, id) in work)
        {
            try
            {
                await ReconcileAsync(scope, kind, id, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                LogFleetFailed(Logger, e, id);
            }
        }
    }

    /// <summary>One evaluation of one fleet.</summary>
    internal async Task ReconcileAsync(Scope scope, FleetKind kind, string id, CancellationToken ct)
    {
        var type = FleetIds.TypeOf(kind);
        var now = clock.GetUtcNow().UtcDateTime;
        FleetPlan plan;
        var commands = new List<LifecycleCommand>();
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var fleet = await tx.GetAsync<FleetResource>(scope, type, id, ct).ConfigureAwait(false);
            if (fleet is null)
            {
                return;
            }
            var before = JsonSerializer.Serialize(fleet, ResourceStore.Json);
            var instances = new Dictionary<string, InstanceResource>(StringComparer.Ordinal);
            foreach (var member in fleet.Instances)
            {
                if (await tx.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, member.InstanceId, ct).ConfigureAwait(false) is { } instance)
                {
                    instances[instance.Id] = instance;
                }
            }
            FleetRules.Follow(fleet, i => instances.TryGetValue(i, out var instance) ? instance.State : null, now);
            plan = FleetRules.Evaluate(fleet, now);
            if (plan.Terminate.Count > 0)
            {
                var victims = plan.Terminate.Select(m => instances.GetValueOrDefault(m.InstanceId)).OfType<InstanceResource>()
                    .Where(i => i.State is not (InstanceStates.Terminated or InstanceStates.ShuttingDown)).ToList();
                try
                {
                    var changes = await InstanceOperations.TerminateAsync(tx, scope, victims, now, ct).ConfigureAwait(false);
                    commands.AddRange(changes.Where(c => c.Work != InstanceWork.None).Select(c => new LifecycleCommand(scope, c.Instance.Id, InstanceLifecycle.ActionFor(c.Work))));
                }
                catch (AwsException e)
                {
                    FleetRules.RecordOnce(fleet, FleetEventTypes.Error, "terminateFailed", now, e.Message);
                }
                if (!FleetStates.IsCancelled(fleet.State))
                {
                    FleetRules.TerminatedByFleet(fleet, plan.Terminate);
                }
                foreach (var member in plan.Terminate)
                {
                    fleet.Instances.Remove(member);
                    FleetRules.Record(fleet, FleetEventTypes.InstanceChange, "terminated", now, member.InstanceId,
                        $"{{\"instanceType\":\"{member.InstanceType}\",\"lifecycle\":\"{member.Lifecycle}\",\"reason\":\"{(FleetStates.IsCancelled(fleet.State) ? "cancelled" : "excess capacity")}\"}}");
                }
            }
            // Capacity lost since the last evaluation shows in the same commit that counts it out:
            // pending_fulfillment (or still error) until the launches below are made, so Describe
            // never shows a fleet below its target as fulfilled.
            FleetRules.UpdateActivity(fleet, launchFailed: fleet.ActivityStatus == FleetActivityStatuses.Error && (plan.SpotNeed > 0 || plan.OnDemandNeed > 0), now);
            if (JsonSerializer.Serialize(fleet, ResourceStore.Json) != before)
            {
                await tx.PutAsync(scope, type, fleet.Id, fleet, fleet.CreateTime, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
        }
        foreach (var command in commands)
        {
            lifecycle.Enqueue(command);
        }
        if (plan.SpotNeed > 0 || plan.OnDemandNeed > 0)
        {
            var failed = false;
            failed |= await FillAsync(scope, kind, id, FleetLifecycles.OnDemand, plan.OnDemandNeed, ct).ConfigureAwait(false);
            failed |= await FillAsync(scope, kind, id, FleetLifecycles.Spot, plan.SpotNeed, ct).ConfigureAwait(false);
            await UpdateAsync(scope, kind, id, fleet => FleetRules.UpdateActivity(fleet, failed, clock.GetUtcNow().UtcDateTime), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Launches <paramref name="need"/> units of one purchase option, one instance per transaction;
    /// a pool whose launch fails is left out for the rest of the pass and the allocation chooses
    /// again. Returns whether any launch failed.
    /// </summary>
    private async Task<bool> FillAsync(Scope scope, FleetKind kind, string id, string lifecycleName, double need, CancellationToken ct)
    {
        if (need <= 0)
        {
            return false;
        }
        var type = FleetIds.TypeOf(kind);
        var excluded = new HashSet<int>();
        var anyFailed = false;
        while (need > 1e-9)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            IReadOnlyList<int> picks;
            await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
            {
                var fleet = await read.GetAsync<FleetResource>(scope, type, id, ct).ConfigureAwait(false);
                if (fleet is null || fleet.State != FleetStates.Active)
                {
                    return anyFailed;
                }
                var quotes = FleetLauncher.Quote(fleet, scope.Region, now, excluded);
                picks = FleetLauncher.Choose(fleet, quotes, lifecycleName, need);
                if (picks.Count == 0)
                {
                    if (quotes.Count > 0 && lifecycleName == FleetLifecycles.Spot && !anyFailed)
                    {
                        await UpdateAsync(scope, kind, id, f => FleetRules.RecordOnce(f, FleetEventTypes.Information, "launchSpecUnusable", now,
                            "No pool of the fleet can be used now: the Spot price is above the maximum price, or the total price limit is reached."), ct).ConfigureAwait(false);
                    }
                    return anyFailed;
                }
            }
            var progressed = false;
            foreach (var poolIndex in picks)
            {
                var outcome = await LaunchOneAsync(scope, kind, id, poolIndex, lifecycleName, ct).ConfigureAwait(false);
                if (outcome is null)
                {
                    return anyFailed;
                }
                if (outcome.Value.Error is { } error)
                {
                    anyFailed = true;
                    excluded.Add(poolIndex);
                    await UpdateAsync(scope, kind, id, f => RecordLaunchError(f, poolIndex, lifecycleName, error, clock.GetUtcNow().UtcDateTime), ct).ConfigureAwait(false);
                    break;
                }
                need -= outcome.Value.Weight;
                progressed = true;
            }
            if (!progressed && excluded.Count == 0)
            {
                break;
            }
        }
        return anyFailed;
    }

    /// <summary>Launches one instance of a pool and stores it with the fleet; null when the fleet is gone or no longer active.</summary>
    private async Task<(double Weight, AwsException? Error)?> LaunchOneAsync(Scope scope, FleetKind kind, string id, int poolIndex, string lifecycleName, CancellationToken ct)
    {
        var type = FleetIds.TypeOf(kind);
        var now = clock.GetUtcNow().UtcDateTime;
        InstanceResource instance;
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var fleet = await tx.GetAsync<FleetResource>(scope, type, id, ct).ConfigureAwait(false);
            if (fleet is null || fleet.State != FleetStates.Active)
            {
                return null;
            }
            var pool = fleet.Pools.First(p => p.Index == poolIndex);
            try
            {
                var planned = await FleetLauncher.PlanAsync(tx, scope, fleet, pool, lifecycleName, lifecycle.Runtime.Name, [], now, ct).ConfigureAwait(false);
                var (member, launched) = await FleetLauncher.LaunchAsync(tx, scope, planned, now, ct).ConfigureAwait(false);
                FleetRules.Launched(fleet, member, now);
                instance = launched;
            }
            catch (AwsException e)
            {
                // The transaction may hold half a launch: it is rolled back, the error recorded in a new one.
                return (0, e);
            }
            await tx.PutAsync(scope, type, fleet.Id, fleet, fleet.CreateTime, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            var weight = pool.WeightedCapacity;
            lifecycle.Enqueue(new LifecycleCommand(scope, instance.Id, LifecycleAction.Boot));
            return (weight, null);
        }
    }

    private static void RecordLaunchError(FleetResource fleet, int poolIndex, string lifecycleName, AwsException error, DateTime now)
    {
        var subType = error.Code is "MaxSpotInstanceCountExceeded" ? "spotInstanceCountLimitExceeded"
            : FleetLauncher.CapacityErrors.Contains(error.Code) ? "launchSpecTemporarilyBlacklisted" : "launchSpecUnusable";
        var eventType = error.Code is "MaxSpotInstanceCountExceeded" ? FleetEventTypes.Error : FleetEventTypes.Information;
        FleetRules.RecordOnce(fleet, eventType, subType, now, $"{error.Code}: {error.Message}");
        fleet.Errors.RemoveAll(e => e.PoolIndex == poolIndex && e.Lifecycle == lifecycleName);
        fleet.Errors.Add(new FleetLaunchError { PoolIndex = poolIndex, Lifecycle = lifecycleName, Code = error.Code, Message = error.Message });
        if (fleet.Errors.Count > 100)
        {
            fleet.Errors.RemoveAt(0);
        }
    }

    private async Task UpdateAsync(Scope scope, FleetKind kind, string id, Action<FleetResource> change, CancellationToken ct)
    {
        var type = FleetIds.TypeOf(kind);
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        var fleet = await tx.GetAsync<FleetResource>(scope, type, id, ct).ConfigureAwait(false);
        if (fleet is null)
        {
            return;
        }
        var before = JsonSerializer.Serialize(fleet, ResourceStore.Json);
        change(fleet);
        if (JsonSerializer.Serialize(fleet, ResourceStore.Json) != before)
        {
            await tx.PutAsync(scope, type, fleet.Id, fleet, fleet.CreateTime, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "reconciling fleet {FleetId} failed")]
    private static partial void LogFleetFailed(ILogger logger, Exception e, string fleetId);
}
