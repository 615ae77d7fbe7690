using System.Globalization;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.Resources;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;
using DomainWarmPool = Stratus.Domain.AutoScaling.WarmPool;
using Errors = Stratus.Domain.AutoScaling.AutoScalingErrors;

namespace Stratus.Server.AutoScaling;

/// <summary>
/// Warm pools: PutWarmPool creates or updates the group's pool (the controller launches
/// instances into it, warms them through Warmed:Pending and the launch lifecycle hooks, and stops
/// them or keeps them running); DeleteWarmPool marks it PendingDelete until its instances are
/// terminated; DescribeWarmPool answers the configuration and the pool's instances, paged.
/// </summary>
internal sealed partial class AutoScalingService
{
    private static readonly string[] PoolStates = ["Stopped", "Running", "Hibernated"];

    public override async Task<PutWarmPoolAnswer> PutWarmPoolAsync(RequestContext context, PutWarmPoolType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (group.Status is not null)
        {
            throw Errors.InProgress($"The Auto Scaling group '{group.Name}' is being deleted.");
        }
        if (group.MixedInstancesPolicy is not null)
        {
            throw Errors.Validation("You can't add a warm pool to an Auto Scaling group that has a mixed instances policy or a launch template or launch configuration that requests Spot Instances.");
        }
        if (group.LaunchConfigurationName is { } lcName
            && await context.Store.GetAsync<LaunchConfigurationResource>(context.Scope, AutoScalingTypes.LaunchConfiguration, lcName, context.Cancellation).ConfigureAwait(false) is { SpotPrice: not null })
        {
            throw Errors.Validation("You can't add a warm pool to an Auto Scaling group that has a mixed instances policy or a launch template or launch configuration that requests Spot Instances.");
        }
        if (group.WarmPool is { Status: not null })
        {
            throw Errors.InProgress($"The warm pool of the Auto Scaling group '{group.Name}' is being deleted.");
        }
        if (request.MinSize is < 0)
        {
            throw Errors.Validation($"1 validation error detected: Value '{request.MinSize}' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 0");
        }
        if (request.MaxGroupPreparedCapacity is < -1)
        {
            throw Errors.Validation($"1 validation error detected: Value '{request.MaxGroupPreparedCapacity}' at 'maxGroupPreparedCapacity' failed to satisfy constraint: Member must have value greater than or equal to -1");
        }
        if (request.PoolState is { } state && !PoolStates.Contains(state))
        {
            throw Errors.Validation($"1 validation error detected: Value '{state}' at 'poolState' failed to satisfy constraint: Member must satisfy enum value set: [Running, Stopped, Hibernated]");
        }
        var minSize = request.MinSize ?? 0;
        var prepared = request.MaxGroupPreparedCapacity;
        if (prepared is { } p and >= 0 && p < minSize)
        {
            throw Errors.Validation($"MaxGroupPreparedCapacity ({p}) must be greater than or equal to the MinSize of the warm pool ({minSize}).");
        }
        if (prepared is { } q and >= 0 && q > group.MaxSize)
        {
            throw Errors.Validation($"MaxGroupPreparedCapacity ({q}) must be less than or equal to the MaxSize of the Auto Scaling group ({group.MaxSize}).");
        }
        group.WarmPool ??= new DomainWarmPool();
        group.WarmPool.MinSize = minSize;
        group.WarmPool.MaxGroupPreparedCapacity = prepared;
        group.WarmPool.PoolState = request.PoolState ?? "Stopped";
        group.WarmPool.ReuseOnScaleIn = request.InstanceReusePolicy?.ReuseOnScaleIn ?? false;
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new PutWarmPoolAnswer();
    }

    public override async Task<DeleteWarmPoolAnswer> DeleteWarmPoolAsync(RequestContext context, DeleteWarmPoolType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (group.WarmPool is not { } pool)
        {
            throw Errors.Validation($"No warm pool found for Auto Scaling group '{group.Name}'.");
        }
        var force = request.ForceDelete ?? false;
        if (pool.Status is not null && !force)
        {
            throw Errors.InProgress($"The warm pool of the Auto Scaling group '{group.Name}' is already being deleted.");
        }
        pool.Status = "PendingDelete";
        pool.ForceDelete |= force;
        if (!group.Instances.Any(i => LifecycleStates.IsWarmed(i.LifecycleState)))
        {
            group.WarmPool = null;
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new DeleteWarmPoolAnswer();
    }

    public override async Task<DescribeWarmPoolAnswer> DescribeWarmPoolAsync(RequestContext context, DescribeWarmPoolType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (request.MaxRecords is < 1 or > 50)
        {
            throw Errors.Validation($"1 validation error detected: Value '{request.MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 50");
        }
        var instances = group.Instances.Where(i => LifecycleStates.IsWarmed(i.LifecycleState)).OrderBy(i => i.InstanceId, StringComparer.Ordinal).ToList();
        var start = 0;
        if (request.NextToken is { Length: > 0 } token)
        {
            start = instances.FindIndex(i => string.CompareOrdinal(i.InstanceId, token) > 0);
            if (!token.StartsWith("i-", StringComparison.Ordinal))
            {
                throw Errors.Validation("The token is invalid.");
            }
            if (start < 0)
            {
                start = instances.Count;
            }
        }
        var size = request.MaxRecords ?? 50;
        var page = instances.Skip(start).Take(size).ToList();
        return new DescribeWarmPoolAnswer
        {
            WarmPoolConfiguration = ToShape(group.WarmPool),
            Instances = page.Select(ToWireInstance).ToList(),
            NextToken = start + size < instances.Count ? page[^1].InstanceId : null,
        };
    }

    private static WarmPoolConfiguration? ToShape(DomainWarmPool? pool) => pool is null ? null : new WarmPoolConfiguration
    {
        MinSize = pool.MinSize,
        MaxGroupPreparedCapacity = pool.MaxGroupPreparedCapacity,
        PoolState = pool.PoolState,
        Status = pool.Status,
        InstanceReusePolicy = new InstanceReusePolicy { ReuseOnScaleIn = pool.ReuseOnScaleIn },
    };

    private static Instance ToWireInstance(GroupInstance i) => new()
    {
        InstanceId = i.InstanceId,
        InstanceType = i.InstanceType,
        AvailabilityZone = i.AvailabilityZone,
        LifecycleState = i.LifecycleState,
        HealthStatus = i.HealthStatus,
        LaunchConfigurationName = i.LaunchConfigurationName,
        LaunchTemplate = ToShape(i.LaunchTemplate),
        ProtectedFromScaleIn = i.ProtectedFromScaleIn,
        WeightedCapacity = i.WeightedCapacity?.ToString(CultureInfo.InvariantCulture),
    };
}
