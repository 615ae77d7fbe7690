using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Domain.Store;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2.Spot;

/// <summary>
/// Drives every spot instance request from the store: fulfils open requests (one instance each,
/// through <see cref="LaunchPlanner"/> and <see cref="InstanceLauncher"/>, as RunInstances does)
/// when the Spot price of the chosen zone is at or below their maximum price, follows their
/// instances (terminated or stopped by the user), turns a price above the maximum into an
/// interruption, notices interruptions (IMDS shows them from then on) and carries them out when
/// due. Every decision is committed in a write transaction per request; the notice and due times
/// are stored, so a restart (even kill -9) carries on where the store left off. A pass runs every
/// <see cref="ServerOptions.SpotEvaluationInterval"/> and when woken after a change.
/// </summary>
internal sealed partial class SpotController(
    IStateStore store, InstanceLifecycle lifecycle, ServerOptions options, TimeProvider clock, ILogger<SpotController> log) : StoreReconciler(log)
{
    protected override TimeSpan Interval => options.SpotEvaluationInterval;

    /// <summary>One pass over the requests of every account and region that may need something.</summary>
    internal override async Task PassAsync(CancellationToken ct)
    {
        var work = new List<(Scope Scope, string Id)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.SpotInstanceRequest, ct).ConfigureAwait(false))
            {
                var request = System.Text.Json.JsonSerializer.Deserialize<SpotInstanceRequestResource>(stored.Document, ResourceStore.Json)!;
                if (request.State is SpotRequestStates.Open or SpotRequestStates.Active or SpotRequestStates.Disabled
                    || (request.State == SpotRequestStates.Cancelled && request.StatusCode == SpotStatusCodes.RequestCanceledAndInstanceRunning))
                {
                    work.Add((new Scope(stored.Key.AccountId, stored.Key.Region), stored.Key.Id));
                }
            }
        }
        foreach (var (scope, id) in work)
        {
            try
            {
                await ReconcileAsync(scope, id, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                LogRequestFailed(Logger, e, id);
            }
        }
    }

    /// <summary>Moves one request on; launches, terminates or stops its instance when that is due.</summary>
    internal async Task ReconcileAsync(Scope scope, string id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var commands = new List<LifecycleCommand>();
        SpotInstanceRequestResource? failedLaunch = null;
        AwsException? launchError = null;
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var request = await tx.GetAsync<SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, id, ct).ConfigureAwait(false);
            if (request is null)
            {
                return;
            }
            var before = System.Text.Json.JsonSerializer.Serialize(request, ResourceStore.Json);
            var instance = request.InstanceId is { } instanceId
                ? await tx.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, instanceId, ct).ConfigureAwait(false)
                : null;
            decimal? price = instance is not null && InstanceTypeCatalog.Find(instance.InstanceType) is { } type
                ? SpotPriceModel.PriceAt(type, scope.Region, instance.AvailabilityZone, request.ProductDescription, now)
                : null;
            var step = SpotRequests.Advance(request, instance?.State, price, now, options.SpotInterruptionNotice);
            switch (step)
            {
                case SpotWork.Launch:
                    try
                    {
                        var launched = await LaunchAsync(tx, scope, request, now, ct).ConfigureAwait(false);
                        if (launched is not null)
                        {
                            commands.Add(new LifecycleCommand(scope, launched.Id, LifecycleAction.Boot));
                        }
                    }
                    catch (AwsException e)
                    {
                        // The transaction may hold half a launch: record the outcome in a new one.
                        failedLaunch = request;
                        launchError = e;
                    }
                    break;
                case SpotWork.Terminate when instance is not null:
                    var terminated = await InstanceOperations.TerminateAsync(tx, scope, [instance], now, ct).ConfigureAwait(false);
                    commands.AddRange(terminated.Where(c => c.Work != InstanceWork.None).Select(c => new LifecycleCommand(scope, c.Instance.Id, InstanceLifecycle.ActionFor(c.Work))));
                    SpotRequests.CompleteInterruption(request, now);
                    break;
                case SpotWork.Stop when instance is not null:
                    // Hibernation is carried out as a stop: Stratus's guests do not hibernate.
                    var stopped = await InstanceOperations.StopAsync(tx, scope, [instance], force: false, hibernate: false, now, ct).ConfigureAwait(false);
                    commands.AddRange(stopped.Where(c => c.Work != InstanceWork.None).Select(c => new LifecycleCommand(scope, c.Instance.Id, InstanceLifecycle.ActionFor(c.Work))));
                    SpotRequests.CompleteInterruption(request, now);
                    break;
            }
            if (failedLaunch is null)
            {
                if (System.Text.Json.JsonSerializer.Serialize(request, ResourceStore.Json) == before)
                {
                    return;
                }
                await tx.PutAsync(scope, ResourceTypes.SpotInstanceRequest, request.Id, request, request.CreateTime, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
        }
        if (failedLaunch is not null && launchError is not null)
        {
            await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
            var request = await tx.GetAsync<SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, id, ct).ConfigureAwait(false);
            if (request is null || request.State != SpotRequestStates.Open)
            {
                return;
            }
            var before = (request.State, request.StatusCode, request.StatusMessage);
            SpotRequests.LaunchFailed(request, launchError, now);
            if (before != (request.State, request.StatusCode, request.StatusMessage))
            {
                await tx.PutAsync(scope, ResourceTypes.SpotInstanceRequest, request.Id, request, request.CreateTime, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            return;
        }
        foreach (var command in commands)
        {
            lifecycle.Enqueue(command);
        }
    }

    /// <summary>
    /// Launches the request's instance when the Spot price of the zone the launch lands in is at
    /// or below its maximum price; holds it (price-too-low, az-group-constraint) otherwise.
    /// </summary>
    private async Task<InstanceResource?> LaunchAsync(IStoreTransaction tx, Scope scope, SpotInstanceRequestResource request, DateTime now, CancellationToken ct)
    {
        var spec = request.Launch with
        {
            MinCount = 1,
            MaxCount = 1,
            Spot = true,
            SpotInstanceRequestId = request.Id,
            ClientToken = null,
        };
        if (request.AvailabilityZoneGroup is { } azGroup && spec.SubnetId is null)
        {
            var zone = (await tx.ListAsync<SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, ct).ConfigureAwait(false))
                .Where(r => r.Id != request.Id && r.AvailabilityZoneGroup == azGroup && r.State == SpotRequestStates.Active && r.LaunchedAvailabilityZone is not null)
                .Select(r => r.LaunchedAvailabilityZone)
                .FirstOrDefault();
            if (zone is not null && spec.AvailabilityZone is { } asked && asked != zone)
            {
                SpotRequests.Hold(request, SpotStatusCodes.AzGroupConstraint, now);
                return null;
            }
            spec = spec with { AvailabilityZone = zone ?? spec.AvailabilityZone };
        }
        var plan = await LaunchPlanner.PlanAsync(tx, scope, spec, lifecycle.Runtime.Name, now, ct).ConfigureAwait(false);
        var price = SpotPriceModel.PriceAt(plan.Type, scope.Region, plan.Subnet.Subnet.AvailabilityZone, request.ProductDescription, now);
        if (SpotPriceModel.Parse(request.SpotPrice) is { } max && price > max)
        {
            SpotRequests.Hold(request, SpotStatusCodes.PriceTooLow, now);
            return null;
        }
        SpotRequests.Hold(request, SpotStatusCodes.PendingFulfillment, now);
        var result = await InstanceLauncher.LaunchAsync(tx, scope, plan, now, ct).ConfigureAwait(false);
        var instance = result.Instances[0].Instance;
        SpotRequests.Fulfilled(request, instance, now);
        return instance;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "reconciling spot request {RequestId} failed")]
    private static partial void LogRequestFailed(ILogger logger, Exception e, string requestId);
}
