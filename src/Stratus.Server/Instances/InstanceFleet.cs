using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Ec2.Model;
using Stratus.Server.Ec2;

namespace Stratus.Server.Instances;

/// <summary>A launch template by id or name, and its version: a number, <c>$Latest</c> or <c>$Default</c> (the default when null).</summary>
public sealed record LaunchTemplateRef(string? LaunchTemplateId, string? LaunchTemplateName, string? Version = null);

/// <summary>
/// What to launch when there is no launch template (an Auto Scaling launch configuration): the
/// RunInstances parameters a template would otherwise give.
/// </summary>
public sealed record FleetLaunchParameters(string ImageId, string InstanceType)
{
    public string? KeyName { get; init; }
    public IReadOnlyList<string> SecurityGroups { get; init; } = [];
    public string? UserData { get; init; }
    public string? IamInstanceProfile { get; init; }
}

/// <summary>
/// N instances from a launch template (or, when <see cref="Template"/> is null, from
/// <see cref="Parameters"/>), on behalf of an account and region, with what a fleet overrides: the
/// instance type, the subnet and extra instance tags. All of <see cref="Count"/> or none unless
/// <see cref="MinCount"/> allows fewer (EC2's MinCount/MaxCount).
/// </summary>
public sealed record FleetLaunchRequest(string AccountId, string Region, LaunchTemplateRef? Template, int Count)
{
    public FleetLaunchParameters? Parameters { get; init; }
    public int? MinCount { get; init; }
    public string? InstanceType { get; init; }
    public string? SubnetId { get; init; }
    public IReadOnlyList<Domain.Resources.Tag> Tags { get; init; } = [];

    /// <summary>Launch Spot Instances (one-time requests that terminate on interruption), at most at <see cref="SpotMaxPrice"/> (default: the On-Demand price).</summary>
    public bool Spot { get; init; }
    public decimal? SpotMaxPrice { get; init; }
}

/// <summary>An instance as a fleet controller sees it.</summary>
public sealed record FleetInstance(
    string InstanceId,
    string State,
    string InstanceType,
    string AvailabilityZone,
    string SubnetId,
    string PrivateIpAddress,
    string? PublicIpAddress,
    DateTime LaunchTime,
    IReadOnlyList<Domain.Resources.Tag> Tags);

/// <summary>What a fleet launch committed: the reservation and its instances (pending).</summary>
public sealed record FleetLaunchResult(string ReservationId, IReadOnlyList<FleetInstance> Instances);

/// <summary>
/// The in-process API for controllers that manage instances for an account (Auto Scaling): launch
/// from a launch template, terminate, read states. Calls go through the same domain module as the
/// EC2 API (<see cref="LaunchPlanner"/>, <see cref="InstanceLauncher"/>, <see cref="InstanceOperations"/>),
/// so they answer the same <see cref="Core.AwsException"/> errors (capacity, quotas, addresses, state).
/// A launch or termination is committed in the store before the call returns; booting and shutting
/// down continue in <see cref="InstanceLifecycle"/> as for API calls.
/// </summary>
public interface IInstanceFleet
{
    Task<FleetLaunchResult> LaunchAsync(FleetLaunchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Terminates instances (each must exist); returns them as they are after the call (shutting-down or terminated).</summary>
    Task<IReadOnlyList<FleetInstance>> TerminateAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default);

    /// <summary>Stops running instances (stopped and stopping ones stay).</summary>
    Task<IReadOnlyList<FleetInstance>> StopAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default);

    /// <summary>Starts stopped instances (running and pending ones stay), within the vCPU quota.</summary>
    Task<IReadOnlyList<FleetInstance>> StartAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default);

    /// <summary>The current state of the named instances; ids that no longer exist are left out.</summary>
    Task<IReadOnlyList<FleetInstance>> DescribeAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default);
}

/// <inheritdoc cref="IInstanceFleet"/>
internal sealed class InstanceFleet(IStateStore store, InstanceLifecycle lifecycle, TimeProvider clock) : IInstanceFleet
{
    public async Task<FleetLaunchResult> LaunchAsync(FleetLaunchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scope = new Scope(request.AccountId, request.Region);
        var now = clock.GetUtcNow().UtcDateTime;
        var run = new RunInstancesRequest
        {
            MinCount = request.MinCount ?? request.Count,
            MaxCount = request.Count,
            InstanceType = request.InstanceType,
            SubnetId = request.SubnetId,
            LaunchTemplate = request.Template is { } template
                ? new LaunchTemplateSpecification { LaunchTemplateId = template.LaunchTemplateId, LaunchTemplateName = template.LaunchTemplateName, Version = template.Version }
                : null,
        };
        if (request.Template is null)
        {
            var parameters = request.Parameters ?? throw new ArgumentException("a launch needs a template or parameters", nameof(request));
            run.ImageId = parameters.ImageId;
            run.InstanceType ??= parameters.InstanceType;
            run.KeyName = parameters.KeyName;
            run.UserData = parameters.UserData;
            var (ids, names) = (parameters.SecurityGroups.Where(g => g.StartsWith("sg-", StringComparison.Ordinal)).ToList(), parameters.SecurityGroups.Where(g => !g.StartsWith("sg-", StringComparison.Ordinal)).ToList());
            run.SecurityGroupIds = ids.Count > 0 ? ids : null;
            run.SecurityGroups = names.Count > 0 ? names : null;
            run.IamInstanceProfile = parameters.IamInstanceProfile is { } profile
                ? profile.StartsWith("arn:", StringComparison.Ordinal) ? new IamInstanceProfileSpecification { Arn = profile } : new IamInstanceProfileSpecification { Name = profile }
                : null;
        }
        LaunchResult result;
        await using (var tx = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var applied = await Ec2Service.ApplyLaunchTemplateAsync(tx, scope, run, cancellationToken).ConfigureAwait(false);
            var spec = Ec2Service.ToLaunchSpec(applied.Request, applied.InstanceTags);
            spec = spec with { InstanceTags = MergeTags(spec.InstanceTags, request.Tags), Spot = request.Spot || spec.Spot };
            var plan = await LaunchPlanner.PlanAsync(tx, scope, spec, lifecycle.Runtime.Name, now, cancellationToken).ConfigureAwait(false);
            Ec2Service.SpotMarketChoice? spot = null;
            if (request.Spot)
            {
                spot = new Ec2Service.SpotMarketChoice(Domain.Spot.SpotRequestTypes.OneTime, Domain.Spot.SpotInterruptionBehaviors.Terminate, request.SpotMaxPrice, null);
                var price = Domain.Spot.SpotPriceModel.PriceAt(plan.Type, scope.Region, plan.Subnet.Subnet.AvailabilityZone, Domain.Spot.SpotPriceModel.LinuxUnix, now);
                if (request.SpotMaxPrice is { } max && max < price)
                {
                    throw new AwsException("SpotMaxPriceTooLow",
                        $"Your Spot request price of {Domain.Spot.SpotPriceModel.Format(max)} is lower than the minimum required Spot request fulfillment price of {Domain.Spot.SpotPriceModel.Format(price)}.");
                }
            }
            result = await InstanceLauncher.LaunchAsync(tx, scope, plan, now, cancellationToken).ConfigureAwait(false);
            if (spot is not null)
            {
                await Ec2Service.RecordSpotLaunchAsync(tx, scope, spot, plan, result, [], now, cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var launched in result.Instances)
        {
            lifecycle.Enqueue(new LifecycleCommand(scope, launched.Instance.Id, LifecycleAction.Boot));
        }
        return new FleetLaunchResult(result.ReservationId, result.Instances.Select(l => ToFleetInstance(l.Instance)).ToList());
    }

    public async Task<IReadOnlyList<FleetInstance>> TerminateAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default)
    {
        var scope = new Scope(accountId, region);
        List<InstanceChange> changes;
        await using (var tx = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var instances = await InstanceRecords.RequireAsync(tx, scope, instanceIds, cancellationToken).ConfigureAwait(false);
            changes = await InstanceOperations.TerminateAsync(tx, scope, instances, clock.GetUtcNow().UtcDateTime, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var change in changes.Where(c => c.Work != InstanceWork.None))
        {
            lifecycle.Enqueue(new LifecycleCommand(scope, change.Instance.Id, InstanceLifecycle.ActionFor(change.Work)));
        }
        return changes.Select(c => ToFleetInstance(c.Instance)).ToList();
    }

    public Task<IReadOnlyList<FleetInstance>> StopAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default) =>
        ChangeAsync(accountId, region, instanceIds, (tx, scope, instances, now) => InstanceOperations.StopAsync(tx, scope, instances, force: false, hibernate: false, now, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<FleetInstance>> StartAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default) =>
        ChangeAsync(accountId, region, instanceIds, (tx, scope, instances, now) => InstanceOperations.StartAsync(tx, scope, instances, now, cancellationToken), cancellationToken);

    private async Task<IReadOnlyList<FleetInstance>> ChangeAsync(string accountId, string region, IReadOnlyList<string> instanceIds,
        Func<Domain.Store.IStoreTransaction, Scope, IReadOnlyList<InstanceResource>, DateTime, Task<List<InstanceChange>>> change, CancellationToken cancellationToken)
    {
        var scope = new Scope(accountId, region);
        List<InstanceChange> changes;
        await using (var tx = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var instances = await InstanceRecords.RequireAsync(tx, scope, instanceIds, cancellationToken).ConfigureAwait(false);
            changes = await change(tx, scope, instances, clock.GetUtcNow().UtcDateTime).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var c in changes.Where(c => c.Work != InstanceWork.None))
        {
            lifecycle.Enqueue(new LifecycleCommand(scope, c.Instance.Id, InstanceLifecycle.ActionFor(c.Work)));
        }
        return changes.Select(c => ToFleetInstance(c.Instance)).ToList();
    }

    public async Task<IReadOnlyList<FleetInstance>> DescribeAsync(string accountId, string region, IReadOnlyList<string> instanceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instanceIds);
        var scope = new Scope(accountId, region);
        var result = new List<FleetInstance>(instanceIds.Count);
        await using var read = await store.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        foreach (var id in instanceIds.Distinct(StringComparer.Ordinal))
        {
            if (await read.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, id, cancellationToken).ConfigureAwait(false) is { } instance)
            {
                result.Add(ToFleetInstance(instance));
            }
        }
        return result;
    }

    private static List<Domain.Resources.Tag> MergeTags(IReadOnlyList<Domain.Resources.Tag> fromTemplate, IReadOnlyList<Domain.Resources.Tag> overrides)
    {
        var keys = overrides.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        return [.. fromTemplate.Where(t => !keys.Contains(t.Key)), .. overrides];
    }

    private static FleetInstance ToFleetInstance(InstanceResource i) => new(
        i.Id, i.State, i.InstanceType, i.AvailabilityZone, i.SubnetId, i.PrivateIpAddress, i.PublicIpAddress, i.LaunchTime, [.. i.Tags]);
}
