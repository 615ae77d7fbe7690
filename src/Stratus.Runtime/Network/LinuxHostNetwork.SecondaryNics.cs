using Stratus.Domain.Instances;

namespace Stratus.Runtime.Network;

/// <summary>
/// Secondary network interfaces of running guests (hot-plug). For a container each is a veth pair
/// like the primary one, a port of its own VPC's bridge (its subnet's router address, DHCP entry,
/// anti-spoofing and filter as for any interface), the guest end moved into the guest's namespace as
/// <c>eth&lt;device index&gt;</c> with the interface's MAC and address; detaching deletes the pair,
/// which takes the guest's device with it. For a microVM each is a tap of the VPC's bridge (the same
/// router address, DHCP entry and filter) that the runtime hands to QEMU as a hot-plugged
/// <c>virtio-net-pci</c> device; the runtime unplugs the device before the tap goes.
/// </summary>
public sealed partial class LinuxHostNetwork
{
    public async Task SyncSecondaryVethsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, string guestNamespacePath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestNamespacePath);
        await SyncSecondaryAsync(accountId, region, instanceId, nics, "veth", guestNamespacePath, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyDictionary<string, NicAttachment>> SyncSecondaryTapsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, CancellationToken cancellationToken) =>
        SyncSecondaryAsync(accountId, region, instanceId, nics, "tap", null, cancellationToken);

    private async Task<IReadOnlyDictionary<string, NicAttachment>> SyncSecondaryAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, string kind, string? guestNamespacePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nics);
        var wanted = nics.Where(n => n.DeviceIndex > 0).ToDictionary(n => n.Nic.NetworkInterfaceId, StringComparer.Ordinal);
        var attachments = new Dictionary<string, NicAttachment>(StringComparer.Ordinal);
        List<GuestSecondaryNic> missing;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var present = _vpcs.Values.SelectMany(v => v.Nics.Where(n => n.InstanceId == instanceId && n.DeviceIndex > 0).Select(n => (Vpc: v, Nic: n))).ToList();
            foreach (var (vpc, nic) in present)
            {
                // Gone, moved to another index, of the other kind, or its guest namespace was replaced (a reboot): out.
                if (!wanted.TryGetValue(nic.NetworkInterfaceId, out var want) || want.DeviceIndex != nic.DeviceIndex || nic.Kind != kind
                    || nic.GuestNamespace != guestNamespacePath || NormalizeMac(want.Nic.MacAddress) != nic.MacAddress
                    || !await LinkExistsAsync(vpc.Namespace, nic.Device, cancellationToken).ConfigureAwait(false))
                {
                    await DetachLockedAsync(vpc, nic, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    attachments[nic.NetworkInterfaceId] = Attachment(vpc, nic);
                }
            }
            missing = wanted.Values.Where(n => !attachments.ContainsKey(n.Nic.NetworkInterfaceId)).OrderBy(n => n.DeviceIndex).ToList();
        }
        finally
        {
            RebuildCallers();
            _gate.Release();
        }
        foreach (var nic in missing)
        {
            attachments[nic.Nic.NetworkInterfaceId] = await AttachAsync(accountId, region, instanceId, nic.Nic, kind, guestNamespacePath, configureAddress: kind == "veth", nic.DeviceIndex, cancellationToken).ConfigureAwait(false);
        }
        return attachments;
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
