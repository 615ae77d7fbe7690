using Stratus.Domain.Addresses;
using Stratus.Domain.Addressing;
using Stratus.Domain.Ebs;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Instances;

/// <summary>
/// What an instance gives back when it stops or terminates. Everything is found from the instance's
/// own document (its interface ids and block devices), so tearing down one instance costs what it
/// holds, never what the region holds.
/// </summary>
public static class InstanceTeardown
{
    /// <summary>An auto-assigned public address is released on stop and terminate (an Elastic IP stays).</summary>
    public static async Task ReleasePublicAddressAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.PublicIpAddress is null)
        {
            return;
        }
        var elastic = false;
        var released = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in instance.NetworkInterfaceIds)
        {
            var eni = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, id, ct).ConfigureAwait(false);
            if (eni?.Association is { AllocationId: null } auto)
            {
                released.Add(auto.PublicIp);
                eni.Association = null;
                await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
            }
            else if (eni?.Association is { AllocationId: not null } association && association.PublicIp == instance.PublicIpAddress)
            {
                elastic = true;
            }
        }
        if (!elastic)
        {
            released.Add(instance.PublicIpAddress);
            instance.PublicIpAddress = null;
            instance.PublicDnsName = null;
        }
        await PublicAddressPool.ReleaseAsync(tx, scope.Region, released, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// On terminate: the public address; volumes are detached and those marked
    /// DeleteOnTermination deleted; network interfaces are detached and those marked
    /// DeleteOnTermination deleted (freeing their addresses). Returns the ids of the volumes deleted.
    /// </summary>
    public static async Task<List<string>> ReleaseAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instance);
        await ReleasePublicAddressAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        var interfaces = new List<NetworkInterfaceResource>();
        foreach (var id in instance.NetworkInterfaceIds.Concat(instance.AttachedNetworkInterfaceIds).Distinct(StringComparer.Ordinal))
        {
            if (await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, id, ct).ConfigureAwait(false) is { } eni
                && eni.Attachment?.InstanceId == instance.Id)
            {
                interfaces.Add(eni);
            }
        }
        await ElasticIps.ReleaseForTerminationAsync(tx, scope, interfaces, now, ct).ConfigureAwait(false);
        instance.PublicIpAddress = null;
        instance.PublicDnsName = null;
        var deleted = await Volumes.ReleaseForTerminationAsync(tx, scope, instance.Id, instance.BlockDevices.Select(b => b.VolumeId).ToList(), ct).ConfigureAwait(false);
        instance.BlockDevices.Clear();
        instance.AttachedNetworkInterfaceIds.Clear();
        foreach (var eni in interfaces)
        {
            var delete = eni.Attachment!.DeleteOnTermination;
            await NetworkInterfaces.DetachAsync(tx, scope, eni, now, ct, instanceGoing: true).ConfigureAwait(false);
            if (delete)
            {
                await NetworkInterfaces.DeleteAsync(tx, scope, eni, now, ct).ConfigureAwait(false);
            }
        }
        return deleted;
    }
}
