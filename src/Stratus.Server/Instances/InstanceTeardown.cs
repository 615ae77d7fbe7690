using Stratus.Domain.Addresses;
using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Server.Instances;

/// <summary>What an instance gives back when it stops or terminates.</summary>
internal static class InstanceTeardown
{
    /// <summary>An auto-assigned public address is released on stop and terminate (an Elastic IP stays).</summary>
    public static async Task ReleasePublicAddressAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct)
    {
        if (instance.PublicIpAddress is null)
        {
            return;
        }
        var elastic = false;
        foreach (var id in instance.NetworkInterfaceIds)
        {
            var eni = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, id, ct).ConfigureAwait(false);
            if (eni?.Association is { AllocationId: null })
            {
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
            instance.PublicIpAddress = null;
            instance.PublicDnsName = null;
        }
    }

    /// <summary>
    /// On terminate: the public address; volumes are detached and those marked
    /// DeleteOnTermination deleted; network interfaces are detached and those marked
    /// DeleteOnTermination deleted (freeing their addresses).
    /// </summary>
    public static async Task ReleaseAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct)
    {
        await ReleasePublicAddressAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        await ElasticIps.ReleaseForTerminationAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        instance.PublicIpAddress = null;
        instance.PublicDnsName = null;
        await Volumes.ReleaseForTerminationAsync(tx, scope, instance.Id, ct).ConfigureAwait(false);
        instance.BlockDevices.Clear();
        var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        foreach (var eni in interfaces.Where(n => n.Attachment?.InstanceId == instance.Id))
        {
            var delete = eni.Attachment!.DeleteOnTermination;
            await NetworkInterfaces.DetachAsync(tx, scope, eni, now, ct, instanceGoing: true).ConfigureAwait(false);
            if (delete)
            {
                await NetworkInterfaces.DeleteAsync(tx, scope, eni, now, ct).ConfigureAwait(false);
            }
        }
    }
}
