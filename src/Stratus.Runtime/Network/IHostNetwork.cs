using System.Net;
using Stratus.Domain.Instances;

namespace Stratus.Runtime.Network;

/// <summary>Where a guest's interface was plugged in on the host.</summary>
/// <param name="Namespace">The network namespace holding the VPC's bridge (a microVM's QEMU runs in it to open its tap).</param>
/// <param name="HostDevice">The tap (microVM) or the host end of the veth pair (container), a port of the VPC bridge.</param>
/// <param name="GuestDevice">The guest's interface name inside its own namespace (container: <c>eth0</c>); null for a tap.</param>
/// <param name="Gateway">The subnet's router address (the subnet's first host address, as in AWS).</param>
/// <param name="PrefixLength">The subnet's prefix length.</param>
/// <param name="DnsServer">The VPC's DNS address (VPC base + 2, as in AWS).</param>
public sealed record NicAttachment(
    string Namespace,
    string HostDevice,
    string? GuestDevice,
    string Gateway,
    int PrefixLength,
    string DnsServer);

/// <summary>
/// The host side of VPC networking. Each VPC is a Linux bridge in its own network namespace with
/// the router address of each of its subnets (so subnets of one VPC route to each other and
/// VPCs have no path between them), a DHCP server handing each MAC its private address, the
/// metadata address 169.254.169.254 forwarded to Stratus's metadata port on the host through
/// the VPC's own uplink address, and public addresses (auto-assigned and Elastic IPs) routed
/// from the host to the VPC and translated to the instance's private address there. Everything
/// is keyed by instance id and removed with the instance; a VPC's namespace goes with its last
/// interface.
/// </summary>
public interface IHostNetwork : IAsyncDisposable
{
    /// <summary>Removes what an earlier run left behind for instances not in <paramref name="keep"/> and takes up the rest.</summary>
    Task InitializeAsync(IReadOnlySet<string> keep, CancellationToken cancellationToken);

    /// <summary>Creates a tap for a microVM's interface, a port of the VPC bridge (the VPC is set up on first use).</summary>
    Task<NicAttachment> AttachTapAsync(string accountId, string region, string instanceId, GuestNic nic, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a veth pair for a container's interface: one end a port of the VPC bridge, the other
    /// moved into <paramref name="guestNamespacePath"/> as <c>eth0</c> with the guest's MAC and,
    /// when <paramref name="configureAddress"/>, its address and default route already set.
    /// </summary>
    Task<NicAttachment> AttachVethAsync(string accountId, string region, string instanceId, GuestNic nic, string guestNamespacePath, bool configureAddress, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the container guest's secondary interfaces <paramref name="nics"/>: each a veth pair, one end a
    /// port of its VPC's bridge, the other moved into <paramref name="guestNamespacePath"/> as <c>eth&lt;device index&gt;</c>
    /// with the interface's MAC and address (no default route: the primary interface keeps it); interfaces
    /// no longer named are removed from the guest and the bridge.
    /// </summary>
    Task SyncSecondaryVethsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, string guestNamespacePath, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>
    /// Makes the microVM's secondary interfaces <paramref name="nics"/> on the host: each a tap of its VPC's
    /// bridge (router address, DHCP entry, anti-spoofing and filter as for any interface), returned by
    /// network interface id; taps of interfaces no longer named are removed (unplug the guest's device first).
    /// </summary>
    Task<IReadOnlyDictionary<string, NicAttachment>> SyncSecondaryTapsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, NicAttachment>>(new Dictionary<string, NicAttachment>());

    /// <summary>Maps (or, with null, unmaps) a public address to the instance's private address.</summary>
    Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken);

    /// <summary>
    /// Enforces the VPC's security groups and network ACLs on its namespace (see <see cref="FirewallRuleset"/>),
    /// atomically; kept for interfaces attached later. Without a call a VPC's traffic is not filtered.
    /// </summary>
    Task ApplyFirewallAsync(Stratus.Domain.Firewall.VpcFirewall firewall, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Addresses the server answers at inside the VPC (load balancer nodes: each a /32 on the VPC's
    /// bridge) and names its DNS answers; the VPC's namespace while it exists (see
    /// <see cref="Stratus.Domain.Instances.IInstanceRuntime.SetServiceAddressesAsync"/>).
    /// </summary>
    Task<ServiceNamespace?> SetServiceAddressesAsync(string accountId, string region, string vpcId, IReadOnlyList<string> addresses,
        IReadOnlyList<KeyValuePair<string, string>> names, CancellationToken cancellationToken) => Task.FromResult<ServiceNamespace?>(null);

    /// <summary>
    /// The VPC's flow counters (<see cref="FlowLogRuleset"/>) as they stand: cumulative packets and bytes
    /// per flow and verdict; empty when the VPC has no namespace on this host or no flow log watches it.
    /// </summary>
    Task<IReadOnlyList<Stratus.Domain.Vpc.FlowLogs.FlowCounter>> ReadFlowCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Stratus.Domain.Vpc.FlowLogs.FlowCounter>>([]);

    /// <summary>What the transit gateways' BGP speakers on this host report of their Connect peers (see <see cref="Stratus.Domain.Instances.IInstanceRuntime.ReadConnectPeerBgpAsync"/>).</summary>
    Task<IReadOnlyList<Stratus.Domain.Vpc.TransitGateways.ConnectPeerBgpState>> ReadConnectPeerBgpAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Stratus.Domain.Vpc.TransitGateways.ConnectPeerBgpState>>([]);

    /// <summary>The VPC's NAT gateway counters (<see cref="FirewallRuleset.NatCounter"/>) as they stand; empty when the VPC has no namespace here or no NAT gateway that forwards.</summary>
    Task<IReadOnlyList<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter>> ReadNatGatewayCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter>>([]);

    /// <summary>Removes the instance's interfaces, address mappings and DHCP entries; the VPC goes with its last instance.</summary>
    Task DetachAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The instance behind a metadata connection that arrived on <paramref name="localAddress"/> from <paramref name="remoteAddress"/>.</summary>
    MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress);

    /// <summary>Removes everything this network made on the host (namespaces, bridges, veths, taps, routes, rules, DHCP servers).</summary>
    Task ShutdownAsync(CancellationToken cancellationToken);
}
