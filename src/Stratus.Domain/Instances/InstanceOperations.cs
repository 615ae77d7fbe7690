using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Quotas;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Instances;

/// <summary>One instance's part in a lifecycle call: where it was, where it is now, and what the runtime has to do once the call commits.</summary>
public sealed record InstanceChange(InstanceResource Instance, string PreviousState, InstanceWork Work)
{
    public string CurrentState => Instance.State;
}

/// <summary>
/// StartInstances, StopInstances, RebootInstances and TerminateInstances on instances already read:
/// each instance's move comes from <see cref="InstanceStateMachine"/>, the whole call is refused on
/// the first instance that may not move (so nothing is half-applied), and every changed instance is
/// written in the caller's transaction in one batch. Costs O(instances named).
/// </summary>
public static class InstanceOperations
{
    /// <summary>Starts stopped instances (pending and running ones stay), within the vCPU quota; each gets a new public address when it maps one.</summary>
    public static async Task<List<InstanceChange>> StartAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        await VcpuQuotas.CheckStartAsync(tx, scope, instances, ct).ConfigureAwait(false);
        var decisions = instances.Select(i => (Instance: i, Decision: InstanceStateMachine.Decide(InstanceOperation.Start, i.Id, i.State))).ToList();
        var changes = new List<InstanceChange>(instances.Count);
        var changed = new List<InstanceResource>();
        var needAddress = decisions.Count(d => d.Decision.NextState is not null && d.Instance.AssignPublicIp && d.Instance.PublicIpAddress is null);
        var addresses = new Queue<string>(await PublicAddressPool.AllocateManyAsync(tx, scope.Region, needAddress, ct).ConfigureAwait(false));
        foreach (var (instance, decision) in decisions)
        {
            var previous = instance.State;
            if (decision.NextState is { } next)
            {
                instance.Transition(next, now, transitionReason: "");
                if (instance.AssignPublicIp && instance.PublicIpAddress is null)
                {
                    await AssignPublicAddressAsync(tx, scope, instance, addresses.Dequeue(), now, ct).ConfigureAwait(false);
                }
                changed.Add(instance);
            }
            changes.Add(new InstanceChange(instance, previous, decision.Work));
        }
        await InstanceRecords.PutManyAsync(tx, scope, changed, now, ct).ConfigureAwait(false);
        return changes;
    }

    /// <summary>Stops pending and running instances (stopping and stopped ones stay; Force stops a stopping one hard).</summary>
    public static async Task<List<InstanceChange>> StopAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, bool force, bool hibernate, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var changes = new List<InstanceChange>(instances.Count);
        var changed = new List<InstanceResource>();
        foreach (var instance in instances)
        {
            if (hibernate)
            {
                throw new AwsException("UnsupportedHibernationConfiguration",
                    $"For hibernating the instance '{instance.Id}', hibernation must be enabled when launching the instance. Stratus does not support hibernation.");
            }
            if (instance.DisableApiStop && instance.State is InstanceStates.Pending or InstanceStates.Running)
            {
                throw InstanceErrors.ApiStopDisabled(instance.Id);
            }
            if (instance.InstanceLifecycle == "spot" && !await Spot.SpotRequests.StoppableAsync(tx, scope, instance, ct).ConfigureAwait(false))
            {
                throw new AwsException("UnsupportedOperation", $"You can't stop the Spot Instance '{instance.Id}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.");
            }
            changes.Add(Apply(InstanceOperation.Stop, instance, now, force, changed));
        }
        await InstanceRecords.PutManyAsync(tx, scope, changed, now, ct).ConfigureAwait(false);
        return changes;
    }

    /// <summary>Reboots running instances; any other state refuses the whole call.</summary>
    public static List<InstanceChange> Reboot(IReadOnlyList<InstanceResource> instances)
    {
        ArgumentNullException.ThrowIfNull(instances);
        return instances.Select(i => new InstanceChange(i, i.State, InstanceStateMachine.Decide(InstanceOperation.Reboot, i.Id, i.State).Work)).ToList();
    }

    /// <summary>Terminates instances (shutting-down and terminated ones stay); refused when any has API termination disabled.</summary>
    public static async Task<List<InstanceChange>> TerminateAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        if (instances.FirstOrDefault(i => i.DisableApiTermination && i.State != InstanceStates.Terminated) is { } protectedInstance)
        {
            throw InstanceErrors.ApiTerminationDisabled(protectedInstance.Id);
        }
        var changes = new List<InstanceChange>(instances.Count);
        var changed = new List<InstanceResource>();
        foreach (var instance in instances)
        {
            changes.Add(Apply(InstanceOperation.Terminate, instance, now, force: false, changed));
        }
        await InstanceRecords.PutManyAsync(tx, scope, changed, now, ct).ConfigureAwait(false);
        return changes;
    }

    /// <summary>
    /// Decides <paramref name="operation"/> for one instance and, when it moves, applies the
    /// user-initiated transition and adds the instance to <paramref name="changed"/> (to be written).
    /// </summary>
    private static InstanceChange Apply(InstanceOperation operation, InstanceResource instance, DateTime now, bool force, List<InstanceResource> changed)
    {
        var previous = instance.State;
        var decision = InstanceStateMachine.Decide(operation, instance.Id, instance.State, force);
        if (decision.NextState is { } next)
        {
            instance.Transition(next, now, transitionReason: InstanceResource.UserInitiated(now));
            changed.Add(instance);
        }
        return new InstanceChange(instance, previous, decision.Work);
    }

    /// <summary>Gives an instance the auto-assigned public address <paramref name="address"/> (on its primary interface unless that holds an Elastic IP).</summary>
    private static async Task AssignPublicAddressAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, string address, DateTime now, CancellationToken ct)
    {
        instance.PublicIpAddress = address;
        instance.PublicDnsName = PublicAddressPool.DnsName(address, scope.Region);
        if (instance.NetworkInterfaceIds.Count == 0)
        {
            return;
        }
        var primary = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, instance.NetworkInterfaceIds[0], ct).ConfigureAwait(false);
        if (primary is not null && primary.Association is null)
        {
            primary.Association = new NetworkInterfaceAssociation { PublicIp = address, PublicDnsName = instance.PublicDnsName, IpOwnerId = "amazon" };
            await tx.PutAsync(scope, ResourceTypes.NetworkInterface, primary.Id, primary, now, ct).ConfigureAwait(false);
        }
    }
}
