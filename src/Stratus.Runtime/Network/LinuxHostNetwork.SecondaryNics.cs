using Stratus.Domain.Instances;

namespace Stratus.Runtime.Network;

/// <summary>
/// Secondary network interfaces of running container guests (hot-plug): each is a veth pair like the
/// primary one, a port of its own VPC's bridge (its subnet's router address, DHCP entry, anti-spoofing
/// and filter as for any interface), the guest end moved into the guest's namespace as
/// <c>eth&lt;device index&gt;</c> with the interface's MAC and address. Detaching deletes the pair,
/// which takes the guest's device with it.
/// </summary>
public sealed partial class LinuxHostNetwork
{
    public async Task SyncSecondaryVethsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, string guestNamespacePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nics);
        ArgumentException.ThrowIfNullOrEmpty(guestNamespacePath);
        var wanted = nics.Where(n => n.DeviceIndex > 0).ToDictionary(n => n.Nic.NetworkInterfaceId, StringComparer.Ordinal);
        List<GuestSecondaryNic> missing;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var present = _vpcs.Values.SelectMany(v => v.Nics.Where(n => n.InstanceId == instanceId && n.DeviceIndex > 0).Select(n => (Vpc: v, Nic: n))).ToList();
            foreach (var (vpc, nic) in present)
            {
                // Gone, moved to another index, or its guest namespace was replaced (a reboot): out.
                if (!wanted.TryGetValue(nic.NetworkInterfaceId, out var want) || want.DeviceIndex != nic.DeviceIndex || nic.GuestNamespace != guestNamespacePath
                    || !await LinkExistsAsync(vpc.Namespace, nic.Device, cancellationToken).ConfigureAwait(false))
                {
                    await DetachLockedAsync(vpc, nic, cancellationToken).ConfigureAwait(false);
                }
            }
            var kept = _vpcs.Values.SelectMany(v => v.Nics).Where(n => n.InstanceId == instanceId && n.DeviceIndex > 0).Select(n => n.NetworkInterfaceId).ToHashSet(StringComparer.Ordinal);
            missing = wanted.Values.Where(n => !kept.Contains(n.Nic.NetworkInterfaceId)).OrderBy(n => n.DeviceIndex).ToList();
        }
        finally
        {
            RebuildCallers();
            _gate.Release();
        }
        foreach (var nic in missing)
        {
            await AttachAsync(accountId, region, instanceId, nic.Nic, "veth", guestNamespacePath, configureAddress: true, nic.DeviceIndex, cancellationToken).ConfigureAwait(false);
        }
    }

    private (VpcNetworkRecord? Vpc, NicRecord? Nic) FindSecondary(string instanceId, string networkInterfaceId)
    {
        foreach (var vpc in _vpcs.Values)
        {
            var nic = vpc.Nics.FirstOrDefault(n => n.InstanceId == instanceId && n.NetworkInterfaceId == networkInterfaceId && n.DeviceIndex > 0);
            if (nic is not null)
            {
                return (vpc, nic);
            }
        }
        return (null, null);
    }

    /// <summary>The interface's name inside a container guest: <c>eth&lt;device index&gt;</c>.</summary>
    private static string GuestDevice(NicRecord nic) => "eth" + nic.DeviceIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
