using System.Net;

namespace Stratus.Domain.Instances;

/// <summary>What a runtime needs to boot an instance.</summary>
public sealed record InstanceBoot(
    string AccountId,
    string Region,
    string InstanceId,
    string InstanceType,
    int VCpus,
    int MemoryMiB,
    string? RuntimeImage,
    GuestNic PrimaryNic,
    IReadOnlyList<GuestDisk> Disks,
    int InstanceStoreGiB)
{
    /// <summary>The guest's host name (AWS's IP-based name, e.g. <c>ip-172-31-5-10</c>).</summary>
    public string HostName => "ip-" + PrimaryNic.PrivateIp.Replace('.', '-');
}

/// <summary>A network interface of a guest: where it sits and the addresses it has.</summary>
public sealed record GuestNic(
    string NetworkInterfaceId,
    string VpcId,
    string VpcCidr,
    string SubnetId,
    string SubnetCidr,
    string PrivateIp,
    string MacAddress,
    string? PublicIp);

/// <summary>A network interface attached to a guest besides its primary one, at its device index (1 → <c>eth1</c>).</summary>
public sealed record GuestSecondaryNic(int DeviceIndex, GuestNic Nic);

/// <summary>An EBS volume attached to a guest. The root volume is created from the image on first boot and kept across stops.</summary>
public sealed record GuestDisk(string VolumeId, string DeviceName, int SizeGiB, bool IsRoot);

/// <summary>What the runtime knows of a guest's health (the source of DescribeInstanceStatus).</summary>
/// <param name="Running">The guest process/VM is alive (system status).</param>
/// <param name="ReachedInit">True once the guest's init reported in (and, where the runtime can tell, while the guest still
/// answers on its network interface); false when it failed to report in or stopped answering; null while still booting.</param>
public sealed record GuestHealth(bool Running, bool? ReachedInit);

/// <summary>A guest that shut itself down from its operating system (<c>poweroff</c>, <c>shutdown -h</c>).</summary>
public sealed record GuestPoweredOff(string AccountId, string Region, string InstanceId);

/// <summary>The instance a metadata request comes from.</summary>
public sealed record MetadataCaller(string AccountId, string Region, string InstanceId);

/// <summary>
/// Runs instances on a host: a microVM, a system container, or (for API-only use) nothing at
/// all. The control plane owns the state machine; a runtime only does what it is told and
/// reports success or failure. Calls may take as long as the guest needs; they are made outside
/// any store transaction.
/// </summary>
public interface IInstanceRuntime : IAsyncDisposable
{
    /// <summary>The runtime's name as recorded on instances ("mock", "microvm", "container").</summary>
    string Name { get; }

    /// <summary>Called once before any other call: take stock of what a previous run left on the host.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Boots the instance (first launch or start after stop). Returns when it is running.</summary>
    Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken);

    /// <summary>
    /// An instance recorded as running when Stratus (re)started: take up the guest if it is still
    /// alive (re-adopt), boot it otherwise.
    /// </summary>
    Task ResumeAsync(InstanceBoot boot, CancellationToken cancellationToken);

    /// <summary>Shuts the guest down (hard when <paramref name="force"/>). Returns when it is off.</summary>
    Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken);

    /// <summary>Reboots the guest in place.</summary>
    Task RebootAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Root volume replacement: the running guest goes down and boots again on the root disk of
    /// <paramref name="boot"/> (a volume the runtime has not seen yet is created from the image),
    /// keeping its network and, where the runtime can, its instance store. By default a stop and a start.
    /// </summary>
    async Task ReplaceRootVolumeAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(boot);
        await StopAsync(boot.InstanceId, force: false, cancellationToken).ConfigureAwait(false);
        await StartAsync(boot, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Destroys the guest and everything the runtime made for it (its volumes excepted: see <see cref="DeleteVolumeAsync"/>).</summary>
    Task TerminateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Deletes the data of a volume that no longer exists (no-op when the runtime holds none).</summary>
    Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken);

    /// <summary>The instance's public address changed while it runs (Elastic IP associated or released).</summary>
    Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken);

    /// <summary>
    /// The security groups, network ACLs or addresses of a VPC changed (or an instance of it is about
    /// to boot): bring the VPC's packet filter on this host in line with <paramref name="firewall"/>.
    /// Runtimes without guests ignore it.
    /// </summary>
    Task ApplyFirewallAsync(Firewall.VpcFirewall firewall, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The highest device index a secondary network interface of a guest of this runtime can have
    /// (null: no limit). The microVM runtime's guests have seven PCIe hot-plug ports.
    /// </summary>
    int? MaxSecondaryDeviceIndex => null;

    /// <summary>False when the runtime can plug in only interfaces of the primary interface's VPC.</summary>
    bool PlugsInterfacesOfOtherVpcs => true;

    /// <summary>
    /// The packet filter's cumulative flow counters of a VPC that a flow log watches (accepted and
    /// rejected packets and bytes per flow); empty for runtimes without guests or VPCs not on this host.
    /// </summary>
    Task<IReadOnlyList<Vpc.FlowLogs.FlowCounter>> ReadFlowCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Vpc.FlowLogs.FlowCounter>>([]);

    /// <summary>
    /// What the host's BGP speakers report of the transit gateways' Connect peers they serve here
    /// (established sessions, learned prefixes); empty for runtimes without guests and peers whose
    /// tunnel is not on this host.
    /// </summary>
    Task<IReadOnlyList<Vpc.TransitGateways.ConnectPeerBgpState>> ReadConnectPeerBgpAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Vpc.TransitGateways.ConnectPeerBgpState>>([]);

    /// <summary>
    /// The packet filter's cumulative counters of the VPC's NAT gateways (what each sent on, got back
    /// and translated); empty for runtimes without guests or VPCs not on this host.
    /// </summary>
    Task<IReadOnlyList<Vpc.NatGateways.NatGatewayCounter>> ReadNatGatewayCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Vpc.NatGateways.NatGatewayCounter>>([]);

    /// <summary>
    /// False for runtimes without guests (the mock runtime): the control plane then does not build
    /// packet filters for it at all (<see cref="ApplyFirewallAsync"/> would ignore them).
    /// </summary>
    bool AppliesFirewall => true;

    /// <summary>
    /// The addresses the server itself answers at inside a VPC (its load balancers' nodes) and the
    /// names the VPC's DNS answers for guests (<c>name → address</c>, one entry per address of a
    /// name). Returns the VPC's network namespace, where the server opens the sockets it serves
    /// these addresses on, while the VPC has a network on this host, else null. Idempotent and
    /// cheap when nothing changed; runtimes without guests answer null.
    /// </summary>
    Task<ServiceNamespace?> SetServiceAddressesAsync(string accountId, string region, string vpcId, IReadOnlyList<string> addresses,
        IReadOnlyList<KeyValuePair<string, string>> names, CancellationToken cancellationToken) => Task.FromResult<ServiceNamespace?>(null);

    /// <summary>
    /// The instance's secondary network interfaces (device index 1 and up) are now
    /// <paramref name="nics"/>: plug in those the running guest lacks, unplug the others (AttachNetworkInterface /
    /// DetachNetworkInterface while it runs, or after it boots). Runtimes that cannot hot-plug ignore it.
    /// </summary>
    Task SyncSecondaryNicsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The guest's console output so far (empty when there is none).</summary>
    Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The guest's health, or null when the runtime runs no guest for this instance.</summary>
    GuestHealth? GetHealth(string instanceId);

    /// <summary>
    /// Which instance a connection to the metadata service comes from, identified by the host
    /// address it arrived on and the guest address it came from — never by anything in the request.
    /// Null when it is not from a guest of this runtime.
    /// </summary>
    MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress);

    /// <summary>
    /// Registers what to call when a running guest powers itself off (not when the runtime was told
    /// to stop it). The control plane then stops or terminates the instance, as its
    /// InstanceInitiatedShutdownBehavior says. Runtimes without guests never call it.
    /// </summary>
    void OnGuestPoweredOff(Action<GuestPoweredOff> handler)
    {
    }

    /// <summary>
    /// Stratus is shutting down: power guests off and remove what the host holds for them. Their
    /// recorded state stays as it is, so the next start boots them again.
    /// </summary>
    Task ShutdownAsync(CancellationToken cancellationToken);
}

/// <summary>A VPC's network namespace on this host, where the server opens sockets of its own (load balancer nodes).</summary>
/// <param name="Identity">Changes when the namespace is made anew (sockets opened before belong to the old one).</param>
/// <param name="BindTcp">A TCP socket inside the namespace, bound to the endpoint; the caller listens.</param>
public sealed record ServiceNamespace(string Identity, Func<System.Net.IPEndPoint, System.Net.Sockets.Socket> BindTcp);
