using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Instances;

/// <summary>
/// Which interface of an instance an address operation (AssociateAddress with an instance id) acts
/// on, found from the instance's own interface ids rather than among the region's interfaces.
/// </summary>
public static class InstanceAddressing
{
    /// <summary>Addresses are associated with running and stopped instances only.</summary>
    public static bool CanAssociate(InstanceResource instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.State is InstanceStates.Running or InstanceStates.Stopped;
    }

    /// <summary>The interfaces attached to <paramref name="instance"/>, primary first.</summary>
    public static async Task<List<NetworkInterfaceResource>> InterfacesAsync(IStoreSession session, Scope scope, InstanceResource instance, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var result = new List<NetworkInterfaceResource>();
        foreach (var id in instance.NetworkInterfaceIds.Concat(instance.AttachedNetworkInterfaceIds).Distinct(StringComparer.Ordinal))
        {
            if (await session.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, id, ct).ConfigureAwait(false) is { } eni
                && eni.Attachment?.InstanceId == instance.Id)
            {
                result.Add(eni);
            }
        }
        return result.OrderBy(n => n.Attachment!.DeviceIndex).ToList();
    }

    /// <summary>
    /// The interface AssociateAddress with an instance id means: the instance's only interface; EC2's
    /// errors for an instance in the wrong state or with several interfaces.
    /// </summary>
    public static async Task<NetworkInterfaceResource> PrimaryInterfaceForAssociationAsync(IStoreSession session, Scope scope, InstanceResource instance, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!CanAssociate(instance))
        {
            throw InstanceErrors.NotValidForOperation(instance.Id);
        }
        var interfaces = await InterfacesAsync(session, scope, instance, ct).ConfigureAwait(false);
        if (interfaces.Count > 1)
        {
            throw new AwsException("InvalidInstanceID", $"There are multiple interfaces attached to instance '{instance.Id}'. Please specify an interface ID for the operation instead.");
        }
        return interfaces.Count == 1 ? interfaces[0] : throw new AwsException("InvalidInstanceID", $"The instance '{instance.Id}' has no network interface.");
    }
}
