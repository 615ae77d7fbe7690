using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Instances;
using Stratus.Runtime.Host;

namespace Stratus.Runtime.Network;

/// <summary>
/// <see cref="IHostNetwork"/> on Linux with iproute2, nftables and dnsmasq (run as root). Each
/// VPC is a network namespace <c>stx-&lt;hex&gt;</c> with a bridge <c>br0</c> (every used
/// subnet's router address, 169.254.169.254/32 and the VPC's DNS address), an uplink veth
/// <c>sxh-&lt;hex&gt;</c> ⟷ <c>up0</c> with a /30 from 100.64.0.0/10, host policy routing
/// (<c>from &lt;uplink address&gt; lookup &lt;table&gt;</c>) so replies reach the right VPC even
/// when CIDRs overlap, an nftables <c>ip stratus</c> table (metadata DNAT, public-address
/// DNAT/SNAT) and <c>bridge stratus</c> table (anti-spoofing per port), and a dnsmasq for DHCP
/// and the VPC's names. Everything is recorded under <c>&lt;state&gt;/network/</c>.
/// </summary>
public sealed partial class LinuxHostNetwork : IHostNetwork
{
    internal const string Bridge = "br0";
    internal const string NamespaceUplink = "up0";
    internal const int RulePriority = 1000;
    private const string MetadataAddress = "169.254.169.254";
    private const string PublicPool = "198.18.0.0/15";
    private const string HostLockPath = "/run/stratus-network.lock";
    private static readonly Ipv4Cidr UplinkPool = Ipv4Cidr.Parse("100.64.0.0/10");

    private readonly HostRuntimeOptions _options;
    private readonly Action<string> _log;
    private readonly Action<string>? _debug;

    /// <summary>VPCs whose last filter load failed: what their namespace holds is unknown, so the next apply loads it whole.</summary>
    private readonly HashSet<string> _staleFirewalls = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, VpcNetworkRecord> _vpcs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _firewalls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (List<PeeringRecord> Peerings, List<string> NatAddresses)> _routing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SortedDictionary<string, InterfaceFilterRecord> Interfaces, List<SubnetRoutingRecord> Routes)> _filters = new(StringComparer.Ordinal);
    private Dictionary<(uint Local, uint Remote), MetadataCaller> _callers = [];

    /// <summary>
    /// Creates the network on <paramref name="options"/>' state directory; reads what an earlier run recorded but changes nothing until called.
    /// <paramref name="debug"/>, when given, gets per-step timings (of each firewall apply).
    /// </summary>
    public LinuxHostNetwork(HostRuntimeOptions options, Action<string>? log = null, Action<string>? debug = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _log = log ?? (_ => { });
        _debug = debug;
        GuardTable = "stratus_" + Hex8(Path.GetFullPath(options.StateDirectory));
        if (Directory.Exists(options.NetworkDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(options.NetworkDirectory, "stx-*.json"))
            {
                try
                {
                    var record = JsonSerializer.Deserialize<VpcNetworkRecord>(File.ReadAllText(file), NetworkJson.Options);
                    if (record is not null)
                    {
                        _vpcs[record.Key] = record;
                    }
                }
                catch (JsonException e)
                {
                    _log($"network: ignoring unreadable record {file}: {e.Message}");
                }
            }
        }
        RebuildCallers();
    }

    /// <summary>The host nftables table (family inet) that keeps VPCs from forwarding to each other's private addresses through the host.</summary>
    internal string GuardTable { get; }

    /// <summary>A copy of the current records (for tests and diagnostics).</summary>
    internal IReadOnlyList<VpcNetworkRecord> Snapshot()
    {
        _gate.Wait();
        try
        {
            return _vpcs.Values.Select(v => JsonSerializer.Deserialize<VpcNetworkRecord>(JsonSerializer.Serialize(v, NetworkJson.Options), NetworkJson.Options)!).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task InitializeAsync(IReadOnlySet<string> keep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keep);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var vpc in _vpcs.Values.ToList())
            {
                foreach (var nic in vpc.Nics.Where(n => !keep.Contains(n.InstanceId)).ToList())
                {
                    await RemoveNicDevicesAsync(vpc, nic).ConfigureAwait(false);
                    vpc.Nics.Remove(nic);
                }
                if (vpc.Nics.Count == 0)
                {
                    await TeardownVpcAsync(vpc).ConfigureAwait(false);
                    continue;
                }
                await EnsureVpcAsync(vpc, cancellationToken).ConfigureAwait(false);
                foreach (var nic in vpc.Nics.ToList())
                {
                    if (nic.Kind == "tap")
                    {
                        await EnsureTapAsync(vpc, nic, cancellationToken).ConfigureAwait(false);
                    }
                    else if (!await LinkExistsAsync(vpc.Namespace, nic.Device, cancellationToken).ConfigureAwait(false))
                    {
                        // The container (and its namespace) is gone: its runtime plugs it in again when it boots it.
                        _log($"network: {nic.InstanceId}'s veth {nic.Device} is gone; it is attached again when the instance boots");
                        vpc.Nics.Remove(nic);
                    }
                }
                if (vpc.Nics.Count == 0)
                {
                    await TeardownVpcAsync(vpc).ConfigureAwait(false);
                    continue;
                }
                Save(vpc);
                await ApplyAsync(vpc, restartDhcp: false, cancellationToken).ConfigureAwait(false);
            }
            await SyncPeeringLinksAsync(cancellationToken).ConfigureAwait(false);
            await QuietlyAsync(() => SyncTransitGatewaysAsync(cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            RebuildCallers();
            _gate.Release();
        }
    }

    public Task<NicAttachment> AttachTapAsync(string accountId, string region, string instanceId, GuestNic nic, CancellationToken cancellationToken) =>
        AttachAsync(accountId, region, instanceId, nic, "tap", null, false, 0, cancellationToken);

    public Task<NicAttachment> AttachVethAsync(string accountId, string region, string instanceId, GuestNic nic, string guestNamespacePath, bool configureAddress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestNamespacePath);
        return AttachAsync(accountId, region, instanceId, nic, "veth", guestNamespacePath, configureAddress, 0, cancellationToken);
    }

    public async Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken)
    {
        if (publicIp is not null)
        {
            _ = Ipv4.Parse(publicIp);
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (vpc, nic) = Find(instanceId);
            if (vpc is null || nic is null || nic.PublicIp == publicIp)
            {
                return;
            }
            nic.PublicIp = publicIp;
            Save(vpc);
            await ApplyAsync(vpc, restartDhcp: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<Stratus.Domain.Vpc.FlowLogs.FlowCounter>> ReadFlowCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken)
    {
        string? ns;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ns = _vpcs.TryGetValue(VpcNetworkRecord.VpcKey(accountId, region, vpcId), out var vpc) && vpc.Firewall?.Contains("fl_accepted", StringComparison.Ordinal) == true
                ? vpc.Namespace : null;
        }
        finally
        {
            _gate.Release();
        }
        if (ns is null || !File.Exists(NamespacePath(ns)))
        {
            return [];
        }
        // Read outside the gate: a listing never changes the table and must not hold up rule changes.
        var listed = await HostCommand.TryAsync("ip", ["netns", "exec", ns, "nft", "-j", "list", "table", "ip", FirewallRuleset.Table], null, cancellationToken).ConfigureAwait(false);
        return listed.Succeeded ? FlowLogRuleset.ParseCounters(listed.StandardOutput) : [];
    }

    public async Task<IReadOnlyList<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter>> ReadNatGatewayCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken)
    {
        string? ns;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ns = _vpcs.TryGetValue(VpcNetworkRecord.VpcKey(accountId, region, vpcId), out var vpc) && vpc.Firewall?.Contains("chain nat_counters", StringComparison.Ordinal) == true
                ? vpc.Namespace : null;
        }
        finally
        {
            _gate.Release();
        }
        if (ns is null || !File.Exists(NamespacePath(ns)))
        {
            return [];
        }
        var listed = await HostCommand.TryAsync("ip", ["netns", "exec", ns, "nft", "-j", "list", "counters", "table", "ip", FirewallRuleset.Table], null, cancellationToken).ConfigureAwait(false);
        return listed.Succeeded ? FirewallRuleset.ParseNatCounters(listed.StandardOutput) : [];
    }

    /// <summary>
    /// Brings the VPC namespace's packet filter, and what depends on the same store read (bridge port
    /// checks, appliance routes, IPv6 addresses, public routes, peering and transit links), in line
    /// with <paramref name="firewall"/>. Each part is redone only when its inputs changed: a change
    /// of security-group rules or network ACL entries alone is one <c>nft -f</c> that rewrites only the
    /// chains whose rules changed (<see cref="RulesetDelta"/>), whatever the number of guests.
    /// </summary>
    public async Task ApplyFirewallAsync(Stratus.Domain.Firewall.VpcFirewall firewall, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(firewall);
        var watch = Stopwatch.StartNew();
        var commands = HostCommand.Count();
        var dns = Ipv4Cidr.Parse(firewall.VpcCidrs.Count > 0 ? firewall.VpcCidrs[0] : "0.0.0.0/0").At(2);
        var key = VpcNetworkRecord.VpcKey(firewall.AccountId, firewall.Region, firewall.VpcId);
        var text = FirewallRuleset.Compile(firewall, dns) + Ipv6Ruleset.Compile(firewall);
        var peerings = firewall.Peerings.Select(p => new PeeringRecord
        {
            PeeringConnectionId = p.PeeringConnectionId,
            PeerVpcId = p.PeerVpcId,
            PeerAccountId = p.PeerOwnerId,
            PeerRegion = p.PeerRegion,
            ResolvePeerNames = p.ResolvesPeerNames,
            PeerCidrs = [.. p.PeerCidrs],
            PeerIpv6Cidrs = [.. p.PeerIpv6Cidrs],
        }).ToList();
        var nats = firewall.NatAddresses.ToList();
        var filters = InterfaceFilters(firewall);
        var appliance = ApplianceRouting(firewall);
        var compiled = watch.Elapsed;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var waited = watch.Elapsed;
        var steps = new StringBuilder();
        var outcome = "unchanged";
        try
        {
            _firewalls[key] = text;
            _filters[key] = (filters, appliance);
            var ipv6 = RememberIpv6(key, firewall.Ipv6);
            _routing[key] = (peerings, nats);
            var gatewaysChanged = RecordTransitGateways(firewall);
            if (!_vpcs.TryGetValue(key, out var vpc))
            {
                if (gatewaysChanged)
                {
                    await StepAsync(steps, watch, "transit", () => SyncTransitGatewaysAsync(cancellationToken)).ConfigureAwait(false);
                }
                outcome = "no namespace";
                return;
            }
            var routingChanged = !SamePeerings(vpc.Peerings, peerings) || !vpc.NatAddresses.SequenceEqual(nats, StringComparer.Ordinal);
            var filtersChanged = !vpc.Interfaces.SequenceEqual(filters);
            var applianceChanged = !vpc.ApplianceRoutes.SequenceEqual(appliance);
            var stale = _staleFirewalls.Contains(key);
            if (vpc.Firewall == text && !stale && !routingChanged && !filtersChanged && !applianceChanged && !ipv6.Any)
            {
                if (gatewaysChanged)
                {
                    await StepAsync(steps, watch, "transit", () => SyncTransitGatewaysAsync(cancellationToken)).ConfigureAwait(false);
                }
                return;
            }
            var applied = stale ? null : vpc.Firewall;
            vpc.Firewall = text;
            vpc.Peerings = peerings;
            vpc.NatAddresses = nats;
            vpc.Interfaces = filters;
            vpc.ApplianceRoutes = appliance;
            Save(vpc);
            if (File.Exists(NamespacePath(vpc.Namespace)))
            {
                try
                {
                    if (filtersChanged)
                    {
                        // The bridge's per-port address checks follow the interfaces' addresses and source/destination checks.
                        outcome = "namespace";
                        await StepAsync(steps, watch, "nft", () => NftAsync(vpc.Namespace, NamespaceRuleset(vpc), cancellationToken)).ConfigureAwait(false);
                    }
                    else if (RulesetDelta.Between(applied, text) is { Length: > 0 } delta)
                    {
                        outcome = ReferenceEquals(delta, text) ? "tables" : "chains";
                        await StepAsync(steps, watch, "nft", () => ApplyDeltaAsync(vpc.Namespace, delta, text, cancellationToken)).ConfigureAwait(false);
                    }
                    _staleFirewalls.Remove(key);
                }
                catch
                {
                    // Not in effect: the next apply loads the whole ruleset again.
                    _staleFirewalls.Add(key);
                    throw;
                }
                if (applianceChanged)
                {
                    await StepAsync(steps, watch, "appliance", () => SyncApplianceRoutesAsync(vpc, cancellationToken)).ConfigureAwait(false);
                }
                if (ipv6.Vpc)
                {
                    // The VPC's IPv6 side (blocks, subnets) changed: the uplink, the bridge and every guest.
                    await StepAsync(steps, watch, "ipv6", () => SyncIpv6Async(vpc, cancellationToken)).ConfigureAwait(false);
                }
                else
                {
                    if (ipv6.Interfaces.Count > 0)
                    {
                        // Some interfaces' addresses (or IPv6 metadata): the bridge's IPv6 checks (loaded
                        // already with the namespace's whole ruleset) and those guests, not the others.
                        // Attaching and detaching a guest brings its own in line by itself.
                        await StepAsync(steps, watch, "ipv6-interfaces", async () =>
                        {
                            if (!filtersChanged)
                            {
                                await NftAsync(vpc.Namespace, Ipv6BridgeRules(vpc), cancellationToken).ConfigureAwait(false);
                            }
                            foreach (var nic in vpc.Nics.Where(n => ipv6.Interfaces.Contains(n.NetworkInterfaceId)).ToList())
                            {
                                await SyncGuestIpv6Async(vpc, nic, cancellationToken).ConfigureAwait(false);
                            }
                        }).ConfigureAwait(false);
                    }
                    if (firewall.Ipv6 is not null)
                    {
                        // The uplink alone (a few commands): a block another VPC on the host gave up is routed here again.
                        await StepAsync(steps, watch, "ipv6-uplink", () => SyncIpv6UplinkAsync(vpc, firewall.Ipv6, cancellationToken)).ConfigureAwait(false);
                    }
                }
                if (routingChanged)
                {
                    await StepAsync(steps, watch, "public-routes", () => SyncPublicRoutesAsync(vpc, cancellationToken)).ConfigureAwait(false);
                    await StepAsync(steps, watch, "peering", () => SyncPeeringLinksAsync(cancellationToken)).ConfigureAwait(false);
                    await StepAsync(steps, watch, "names", () => ApplyDhcpAsync(vpc, restart: false, cancellationToken)).ConfigureAwait(false);
                }
                if (gatewaysChanged)
                {
                    await StepAsync(steps, watch, "transit", () => SyncTransitGatewaysAsync(cancellationToken)).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Guests' IPv6 addresses (metadata callers) come with the firewall.
            RebuildCallers();
            _gate.Release();
            _debug?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"network: firewall of {firewall.VpcId} applied ({outcome}, {firewall.Interfaces.Count} interfaces, {text.Length} bytes): compile {compiled.TotalMilliseconds:F1} ms, gate {(waited - compiled).TotalMilliseconds:F1} ms{steps}, total {watch.Elapsed.TotalMilliseconds:F1} ms, {commands.Value} commands"));
        }
    }

    /// <summary>Runs one step of an apply and appends its name and duration to <paramref name="steps"/>.</summary>
    private static async Task StepAsync(StringBuilder steps, Stopwatch watch, string name, Func<Task> step)
    {
        var start = watch.Elapsed;
        try
        {
            await step().ConfigureAwait(false);
        }
        finally
        {
            steps.Append(CultureInfo.InvariantCulture, $", {name} {(watch.Elapsed - start).TotalMilliseconds:F1} ms");
        }
    }

    private static Task<string> NftAsync(string ns, string text, CancellationToken cancellationToken) =>
        HostCommand.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], text, cancellationToken);

    /// <summary>Loads <paramref name="delta"/>; when the namespace's tables are not what it patches, the whole <paramref name="text"/>.</summary>
    private async Task ApplyDeltaAsync(string ns, string delta, string text, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(delta, text))
        {
            await NftAsync(ns, text, cancellationToken).ConfigureAwait(false);
            return;
        }
        var result = await HostCommand.TryAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], delta, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            _log($"network: patching the packet filter of {ns} failed ({result.StandardError.Trim()}); loading it whole");
            await NftAsync(ns, text, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task DetachAsync(string instanceId, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var commands = HostCommand.Count();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (vpc, nic) in _vpcs.Values.SelectMany(v => v.Nics.Where(n => n.InstanceId == instanceId).Select(n => (v, n))).OrderByDescending(x => x.n.DeviceIndex).ToList())
            {
                await DetachLockedAsync(vpc, nic, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            RebuildCallers();
            _gate.Release();
            _debug?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"network: {instanceId} detached: {watch.Elapsed.TotalMilliseconds:F1} ms, {commands.Value} commands"));
        }
    }

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        ArgumentNullException.ThrowIfNull(remoteAddress);
        if (localAddress.IsIPv4MappedToIPv6)
        {
            localAddress = localAddress.MapToIPv4();
        }
        if (remoteAddress.IsIPv4MappedToIPv6)
        {
            remoteAddress = remoteAddress.MapToIPv4();
        }
        if (localAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && remoteAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return ResolveIpv6Caller(localAddress, remoteAddress);
        }
        if (localAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || remoteAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return null;
        }
        var callers = Volatile.Read(ref _callers);
        return callers.GetValueOrDefault((Ipv4.Parse(localAddress.ToString()), Ipv4.Parse(remoteAddress.ToString())));
    }

    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var vpc in _vpcs.Values.ToList())
            {
                await TeardownVpcAsync(vpc).ConfigureAwait(false);
            }
            await QuietlyAsync(() => RemoveGuardTableAsync()).ConfigureAwait(false);
        }
        finally
        {
            RebuildCallers();
            _gate.Release();
        }
    }

    /// <summary>
    /// Leaves the host as it is (a later run takes it up with <see cref="InitializeAsync"/>); see
    /// <see cref="ShutdownAsync"/>. The Connect peers' tunnels live in this process and go with it.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        foreach (var tunnel in _tunnels.Values)
        {
            tunnel.Dispose();
        }
        _tunnels.Clear();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<NicAttachment> AttachAsync(string accountId, string region, string instanceId, GuestNic nic, string kind, string? guestNamespace, bool configureAddress, int deviceIndex, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        ArgumentException.ThrowIfNullOrEmpty(region);
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentNullException.ThrowIfNull(nic);
        var subnet = Ipv4Cidr.Parse(nic.SubnetCidr);
        var vpcCidr = Ipv4Cidr.Parse(nic.VpcCidr);
        var privateIp = Ipv4.Parse(nic.PrivateIp);
        if (!subnet.Contains(privateIp))
        {
            throw new ArgumentException($"{nic.PrivateIp} is not in subnet {nic.SubnetCidr}", nameof(nic));
        }
        if (nic.PublicIp is not null)
        {
            _ = Ipv4.Parse(nic.PublicIp);
        }
        var mac = NormalizeMac(nic.MacAddress);

        var watch = Stopwatch.StartNew();
        var commands = HostCommand.Count();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var vpcs = 0;
        try
        {
            var restartDhcp = false;
            var created = false;
            var (oldVpc, old) = deviceIndex == 0 ? Find(instanceId) : FindSecondary(instanceId, nic.NetworkInterfaceId);
            if (oldVpc is not null && old is not null)
            {
                if (kind == "tap" && old.Kind == "tap" && oldVpc.Key == VpcNetworkRecord.VpcKey(accountId, region, nic.VpcId)
                    && old.MacAddress == mac && old.PrivateIp == nic.PrivateIp && old.SubnetCidr == subnet.ToString()
                    && await LinkExistsAsync(oldVpc.Namespace, old.Device, cancellationToken).ConfigureAwait(false))
                {
                    if (old.PublicIp != nic.PublicIp)
                    {
                        old.PublicIp = nic.PublicIp;
                        Save(oldVpc);
                        await ApplyAsync(oldVpc, restartDhcp: false, cancellationToken).ConfigureAwait(false);
                    }
                    return Attachment(oldVpc, old);
                }
                if (oldVpc.Key == VpcNetworkRecord.VpcKey(accountId, region, nic.VpcId))
                {
                    // Plugged in again in the same VPC (a guest rebooted into a new namespace): keep the VPC up.
                    await RemoveNicDevicesAsync(oldVpc, old).ConfigureAwait(false);
                    oldVpc.Nics.Remove(old);
                    restartDhcp = old.MacAddress != mac && LeasesMention(oldVpc, old.PrivateIp);
                }
                else
                {
                    await DetachLockedAsync(oldVpc, old, cancellationToken).ConfigureAwait(false);
                }
            }

            var key = VpcNetworkRecord.VpcKey(accountId, region, nic.VpcId);
            if (!_vpcs.TryGetValue(key, out var vpc))
            {
                var ns = NewNamespaceName(key);
                vpc = new VpcNetworkRecord
                {
                    AccountId = accountId,
                    Region = region,
                    VpcId = nic.VpcId,
                    VpcCidr = vpcCidr.ToString(),
                    Namespace = ns,
                    UplinkDevice = "sxh-" + ns[4..],
                    Firewall = _firewalls.GetValueOrDefault(key),
                    Peerings = _routing.TryGetValue(key, out var routing) ? routing.Peerings : [],
                    NatAddresses = _routing.TryGetValue(key, out var known) ? known.NatAddresses : [],
                    Interfaces = _filters.TryGetValue(key, out var filter) ? filter.Interfaces : new(StringComparer.Ordinal),
                    ApplianceRoutes = _filters.TryGetValue(key, out var appliance) ? appliance.Routes : [],
                    ServiceAddresses = _services.TryGetValue(key, out var services) ? services.Addresses : [],
                    ServiceNames = _services.TryGetValue(key, out var served) ? served.Names : [],
                };
                _vpcs[key] = vpc;
                created = true;
                try
                {
                    await EnsureVpcAsync(vpc, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await TeardownVpcAsync(vpc).ConfigureAwait(false);
                    throw;
                }
            }
            else if (!File.Exists(NamespacePath(vpc.Namespace)) || !await LinkExistsAsync(null, vpc.UplinkDevice, cancellationToken).ConfigureAwait(false))
            {
                created = true;
                await EnsureVpcAsync(vpc, cancellationToken).ConfigureAwait(false);
            }

            var record = new NicRecord
            {
                InstanceId = instanceId,
                NetworkInterfaceId = nic.NetworkInterfaceId,
                Kind = kind,
                Device = DeviceName(vpc, kind == "tap" ? "t-" : "v-", deviceIndex == 0 ? instanceId : $"{instanceId}/{nic.NetworkInterfaceId}"),
                DeviceIndex = deviceIndex,
                MacAddress = mac,
                PrivateIp = nic.PrivateIp,
                SubnetCidr = subnet.ToString(),
                PublicIp = nic.PublicIp,
                GuestNamespace = guestNamespace,
            };
            vpc.Nics.Add(record);
            try
            {
                await NsIpAsync(vpc.Namespace, cancellationToken, "addr", "replace", $"{subnet.At(1)}/{subnet.Prefix}", "dev", Bridge).ConfigureAwait(false);
                if (kind == "tap")
                {
                    await EnsureTapAsync(vpc, record, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await CreateVethAsync(vpc, record, subnet, configureAddress, cancellationToken).ConfigureAwait(false);
                }
                // A private address handed out again (to a new MAC) must not wait for the router's
                // stale neighbour entry of its former holder to fail before packets reach the new one.
                await HostCommand.TryAsync("ip", ["-n", vpc.Namespace, "neigh", "del", record.PrivateIp, "dev", Bridge], cancellationToken: cancellationToken).ConfigureAwait(false);
                Save(vpc);
                // A VPC set up just now gets its whole IPv6 side; otherwise only the new guest's.
                await ApplyAsync(vpc, restartDhcp, cancellationToken, ipv6Guests: created ? null : [record]).ConfigureAwait(false);
                vpcs = vpc.Nics.Count;
                if (vpc.Peerings.Count > 0)
                {
                    await SyncPeeringLinksAsync(cancellationToken).ConfigureAwait(false);
                }
                if (Gateways.Vpcs.ContainsKey(key))
                {
                    await SyncTransitGatewaysAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                await DetachLockedAsync(vpc, record, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            return Attachment(vpc, record);
        }
        finally
        {
            RebuildCallers();
            _gate.Release();
            _debug?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"network: {instanceId} ({nic.NetworkInterfaceId}) attached in {nic.VpcId} ({vpcs} interfaces): {watch.Elapsed.TotalMilliseconds:F1} ms, {commands.Value} commands"));
        }
    }

    private static NicAttachment Attachment(VpcNetworkRecord vpc, NicRecord nic)
    {
        var subnet = Ipv4Cidr.Parse(nic.SubnetCidr);
        return new NicAttachment(vpc.Namespace, nic.Device, nic.Kind == "veth" ? GuestDevice(nic) : null, subnet.At(1), subnet.Prefix, DnsAddress(vpc));
    }

    private async Task DetachLockedAsync(VpcNetworkRecord vpc, NicRecord nic, CancellationToken cancellationToken)
    {
        await RemoveNicDevicesAsync(vpc, nic).ConfigureAwait(false);
        vpc.Nics.Remove(nic);
        if (vpc.Nics.Count == 0)
        {
            await TeardownVpcAsync(vpc).ConfigureAwait(false);
            return;
        }
        Save(vpc);
        // dnsmasq keeps a lease for the detached MAC and would refuse its address to the next interface that gets it.
        // The other guests' IPv6 stays as it is (the bridge's checks come with the namespace's ruleset).
        await ApplyAsync(vpc, restartDhcp: LeasesMention(vpc, nic.PrivateIp), cancellationToken, ipv6Guests: []).ConfigureAwait(false);
    }

    private async Task RemoveNicDevicesAsync(VpcNetworkRecord vpc, NicRecord nic)
    {
        if (nic.Kind == "veth" && nic.DeviceIndex > 0 && nic.GuestNamespace is { } guest && File.Exists(guest))
        {
            await QuietlyAsync(() => RemoveSecondaryRulesAsync(guest, nic.DeviceIndex)).ConfigureAwait(false);
        }
        if (File.Exists(NamespacePath(vpc.Namespace)))
        {
            await QuietlyAsync(async () =>
            {
                var result = await HostCommand.TryAsync("ip", ["-n", vpc.Namespace, "link", "del", nic.Device]).ConfigureAwait(false);
                if (!result.Succeeded && !result.StandardError.Contains("Cannot find device", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(result.StandardError.Trim());
                }
            }).ConfigureAwait(false);
        }
        if (nic.PublicIp is not null)
        {
            await QuietlyAsync(() => HostCommand.TryAsync("ip", ["route", "del", nic.PublicIp + "/32", "dev", vpc.UplinkDevice])).ConfigureAwait(false);
            await ReleasePublicAsync(vpc, nic.PublicIp).ConfigureAwait(false);
        }
    }

    private static async Task EnsureTapAsync(VpcNetworkRecord vpc, NicRecord nic, CancellationToken cancellationToken)
    {
        if (!await LinkExistsAsync(vpc.Namespace, nic.Device, cancellationToken).ConfigureAwait(false))
        {
            await NsIpAsync(vpc.Namespace, cancellationToken, "tuntap", "add", "mode", "tap", "name", nic.Device).ConfigureAwait(false);
        }
        await NsIpAsync(vpc.Namespace, cancellationToken, "link", "set", nic.Device, "master", Bridge, "up").ConfigureAwait(false);
        await NsIpAsync(vpc.Namespace, cancellationToken, "addr", "replace", $"{Ipv4Cidr.Parse(nic.SubnetCidr).At(1)}/{Ipv4Cidr.Parse(nic.SubnetCidr).Prefix}", "dev", Bridge).ConfigureAwait(false);
    }

    private static async Task CreateVethAsync(VpcNetworkRecord vpc, NicRecord nic, Ipv4Cidr subnet, bool configureAddress, CancellationToken cancellationToken)
    {
        var guest = nic.GuestNamespace!;
        var device = GuestDevice(nic);
        await NsIpAsync(vpc.Namespace, cancellationToken, "link", "add", nic.Device, "type", "veth", "peer", "name", device, "address", nic.MacAddress, "netns", guest).ConfigureAwait(false);
        await NsIpAsync(vpc.Namespace, cancellationToken, "link", "set", nic.Device, "master", Bridge, "up").ConfigureAwait(false);
        await GuestIpAsync(guest, cancellationToken, "link", "set", device, "up").ConfigureAwait(false);
        if (configureAddress)
        {
            await GuestIpAsync(guest, cancellationToken, "addr", "add", $"{nic.PrivateIp}/{subnet.Prefix}", "dev", device).ConfigureAwait(false);
            if (nic.DeviceIndex == 0)
            {
                await GuestIpAsync(guest, cancellationToken, "route", "add", "default", "via", subnet.At(1), "dev", device).ConfigureAwait(false);
            }
            else
            {
                await RouteSecondaryAsync(guest, device, nic, subnet, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A secondary interface answers from its address through itself, as Amazon Linux's
    /// ec2-net-utils (and the minimal image's DHCP script in a microVM) set it up: a routing table of
    /// its own (<see cref="SecondaryTable"/>: its subnet and the subnet's router) and a rule for its
    /// address, table first. Without them an answer from the address to its own subnet (a guest
    /// whose primary interface is in that subnet too) leaves through eth0, whose bridge port drops
    /// any source but eth0's addresses. ARP is answered only on the interface that holds the address
    /// and asked from it (<c>arp_ignore=1</c>, <c>arp_announce=2</c>, as in the minimal image).
    /// </summary>
    private static async Task RouteSecondaryAsync(string guest, string device, NicRecord nic, Ipv4Cidr subnet, CancellationToken cancellationToken)
    {
        var table = SecondaryTable(nic.DeviceIndex).ToString(CultureInfo.InvariantCulture);
        await HostCommand.RunAsync("nsenter", ["--net=" + guest, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await GuestIpAsync(guest, cancellationToken, "route", "replace", subnet.ToString(), "dev", device, "src", nic.PrivateIp, "table", table).ConfigureAwait(false);
        await GuestIpAsync(guest, cancellationToken, "route", "replace", "default", "via", subnet.At(1), "dev", device, "table", table).ConfigureAwait(false);
        await RemoveSecondaryRulesAsync(guest, nic.DeviceIndex).ConfigureAwait(false);
        await GuestIpAsync(guest, cancellationToken, "rule", "add", "from", nic.PrivateIp, "lookup", table,
            "priority", (1000 + nic.DeviceIndex).ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
    }

    /// <summary>The routing table of the secondary interface at <paramref name="deviceIndex"/> in a guest: 100 + its index (ec2-net-utils' numbering).</summary>
    internal static int SecondaryTable(int deviceIndex) => 100 + deviceIndex;

    /// <summary>Removes the rules that send a secondary interface's address to its table (its routes go with the device).</summary>
    private static async Task RemoveSecondaryRulesAsync(string guest, int deviceIndex)
    {
        var table = SecondaryTable(deviceIndex).ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < 10; i++)
        {
            if (!(await HostCommand.TryAsync("nsenter", ["--net=" + guest, "ip", "rule", "del", "lookup", table]).ConfigureAwait(false)).Succeeded)
            {
                break;
            }
        }
    }

    /// <summary>Creates or repairs the VPC's namespace, bridge, uplink, host routing and guard table (idempotent).</summary>
    private async Task EnsureVpcAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var ns = vpc.Namespace;
        Directory.CreateDirectory(VpcDirectory(vpc));
        if (!File.Exists(NamespacePath(ns)))
        {
            await HostCommand.RunAsync("ip", ["netns", "add", ns], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        await NsIpAsync(ns, cancellationToken, "link", "set", "lo", "up").ConfigureAwait(false);
        if (!await LinkExistsAsync(ns, Bridge, cancellationToken).ConfigureAwait(false))
        {
            await NsIpAsync(ns, cancellationToken, "link", "add", Bridge, "type", "bridge", "forward_delay", "0").ConfigureAwait(false);
        }
        await NsIpAsync(ns, cancellationToken, "link", "set", Bridge, "up").ConfigureAwait(false);
        await NsIpAsync(ns, cancellationToken, "addr", "replace", MetadataAddress + "/32", "dev", Bridge).ConfigureAwait(false);
        await NsIpAsync(ns, cancellationToken, "addr", "replace", DnsAddress(vpc) + "/32", "dev", Bridge).ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        // Bridged IPv4 between guests goes through the namespace's IP hooks (the security-group filter); per namespace.
        if (!Directory.Exists("/proc/sys/net/bridge"))
        {
            await HostCommand.TryAsync("modprobe", ["br_netfilter"], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"], cancellationToken: cancellationToken).ConfigureAwait(false);

        using (await HostLock.AcquireAsync(HostLockPath, cancellationToken).ConfigureAwait(false))
        {
            if (!await LinkExistsAsync(null, vpc.UplinkDevice, cancellationToken).ConfigureAwait(false))
            {
                await NsIpQuietAsync(ns, "link", "del", NamespaceUplink).ConfigureAwait(false);
                await AllocateUplinkAsync(vpc, cancellationToken).ConfigureAwait(false);
                await HostCommand.RunAsync("ip", ["link", "add", vpc.UplinkDevice, "type", "veth", "peer", "name", NamespaceUplink, "netns", ns], cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            await HostCommand.RunAsync("ip", ["addr", "replace", $"{vpc.HostAddress}/{vpc.UplinkPrefix}", "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false);
            await HostCommand.RunAsync("ip", ["link", "set", vpc.UplinkDevice, "up"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await WriteSysctlAsync($"/proc/sys/net/ipv4/conf/{vpc.UplinkDevice}/rp_filter", "2").ConfigureAwait(false);
            await NsIpAsync(ns, cancellationToken, "addr", "replace", $"{vpc.NamespaceAddress}/{vpc.UplinkPrefix}", "dev", NamespaceUplink).ConfigureAwait(false);
            await NsIpAsync(ns, cancellationToken, "link", "set", NamespaceUplink, "up").ConfigureAwait(false);
            await NsIpAsync(ns, cancellationToken, "route", "replace", "default", "via", vpc.HostAddress, "dev", NamespaceUplink).ConfigureAwait(false);

            if (vpc.RouteTable == 0 || await TableTakenByOtherAsync(vpc, cancellationToken).ConfigureAwait(false))
            {
                vpc.RouteTable = await AllocateTableAsync(vpc, cancellationToken).ConfigureAwait(false);
            }
            var table = vpc.RouteTable.ToString(CultureInfo.InvariantCulture);
            await HostCommand.RunAsync("ip", ["route", "replace", "default", "via", vpc.NamespaceAddress, "dev", vpc.UplinkDevice, "table", table], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!await RuleExistsAsync(vpc, cancellationToken).ConfigureAwait(false))
            {
                await HostCommand.RunAsync("ip", ["rule", "add", "pref", RulePriority.ToString(CultureInfo.InvariantCulture), "from", vpc.HostAddress, "lookup", table], cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            await ClaimMainRouteAsync(vpc, cancellationToken).ConfigureAwait(false);
        }

        await HostSysctls.Host.ClaimAsync(GuardTable, _log, cancellationToken).ConfigureAwait(false);
        await HostCommand.RunAsync("nft", ["-f", "-"], GuardRuleset(), cancellationToken).ConfigureAwait(false);
        Save(vpc);
    }

    /// <summary>Routes the VPC's CIDR in the host's main table when no other route there overlaps it.</summary>
    private static async Task ClaimMainRouteAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var cidr = Ipv4Cidr.Parse(vpc.VpcCidr);
        var routes = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-j", "-4", "route", "show", "table", "main"], cancellationToken: cancellationToken).ConfigureAwait(false));
        foreach (var route in routes.RootElement.EnumerateArray())
        {
            var dst = route.GetProperty("dst").GetString();
            if (dst is null or "default")
            {
                continue;
            }
            if (Ipv4Cidr.Parse(dst).Overlaps(cidr))
            {
                var ours = route.TryGetProperty("dev", out var dev) && dev.GetString() == vpc.UplinkDevice;
                vpc.MainRoute = ours && Ipv4Cidr.Parse(dst) == cidr;
                return;
            }
        }
        await HostCommand.RunAsync("ip", ["route", "add", vpc.VpcCidr, "via", vpc.NamespaceAddress, "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false);
        vpc.MainRoute = true;
    }

    private async Task AllocateUplinkAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var usedAddresses = new HashSet<uint>();
        var usedBlocks = new List<Ipv4Cidr>();
        using (var addresses = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-j", "-4", "addr", "show"], cancellationToken: cancellationToken).ConfigureAwait(false)))
        {
            foreach (var link in addresses.RootElement.EnumerateArray())
            {
                if (!link.TryGetProperty("addr_info", out var infos))
                {
                    continue;
                }
                foreach (var info in infos.EnumerateArray())
                {
                    if (info.TryGetProperty("local", out var local) && local.GetString() is { } text)
                    {
                        var address = Ipv4.Parse(text);
                        usedAddresses.Add(address);
                        if (info.TryGetProperty("prefixlen", out var prefix) && prefix.GetInt32() >= 16)
                        {
                            usedBlocks.Add(Ipv4Cidr.Parse($"{text}/{prefix.GetInt32()}"));
                        }
                    }
                }
            }
        }
        using (var routes = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-j", "-4", "route", "show", "table", "all"], cancellationToken: cancellationToken).ConfigureAwait(false)))
        {
            foreach (var route in routes.RootElement.EnumerateArray())
            {
                if (route.TryGetProperty("dst", out var dst) && dst.GetString() is { } text && text != "default")
                {
                    var block = Ipv4Cidr.Parse(text);
                    if (block.Prefix >= 16 && block.Overlaps(UplinkPool))
                    {
                        usedBlocks.Add(block);
                    }
                }
            }
        }
        foreach (var other in _vpcs.Values.Where(v => v != vpc && v.HostAddress.Length > 0))
        {
            usedBlocks.Add(Ipv4Cidr.Parse($"{other.HostAddress}/{other.UplinkPrefix}"));
        }

        const uint blocks = 1u << 20; // /30 blocks in 100.64.0.0/10
        var start = BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(vpc.Namespace))) % blocks;
        for (uint i = 0; i < blocks; i++)
        {
            var candidate = new Ipv4Cidr(UplinkPool.Network + (((start + i) % blocks) * 4), 30);
            if (usedAddresses.Any(candidate.Contains) || usedBlocks.Any(candidate.Overlaps))
            {
                continue;
            }
            vpc.HostAddress = candidate.At(1);
            vpc.NamespaceAddress = candidate.At(2);
            vpc.UplinkPrefix = 30;
            return;
        }
        throw new InvalidOperationException("no free /30 left in 100.64.0.0/10 for a VPC uplink");
    }

    private static async Task<HashSet<int>> TablesInUseAsync(CancellationToken cancellationToken)
    {
        var used = new HashSet<int>();
        foreach (var command in new[] { new[] { "-j", "rule", "show" }, new[] { "-j", "route", "show", "table", "all" } })
        {
            using var document = JsonDocument.Parse(await HostCommand.RunAsync("ip", command, cancellationToken: cancellationToken).ConfigureAwait(false));
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                if (entry.TryGetProperty("table", out var table) && int.TryParse(table.ToString(), CultureInfo.InvariantCulture, out var id))
                {
                    used.Add(id);
                }
            }
        }
        return used;
    }

    private static async Task<bool> TableTakenByOtherAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        // After a host reboot the recorded table may have been handed to someone else in between.
        if (await RuleExistsAsync(vpc, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        return (await TablesInUseAsync(cancellationToken).ConfigureAwait(false)).Contains(vpc.RouteTable);
    }

    private async Task<int> AllocateTableAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var used = await TablesInUseAsync(cancellationToken).ConfigureAwait(false);
        used.UnionWith(_vpcs.Values.Where(v => v != vpc).Select(v => v.RouteTable));
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(vpc.Namespace))) % 40000);
        for (var i = 0; i < 40000; i++)
        {
            var table = 20000 + ((start + i) % 40000);
            if (!used.Contains(table))
            {
                return table;
            }
        }
        throw new InvalidOperationException("no free routing table for a VPC uplink");
    }

    private static async Task<bool> RuleExistsAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        using var rules = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-j", "rule", "show"], cancellationToken: cancellationToken).ConfigureAwait(false));
        var table = vpc.RouteTable.ToString(CultureInfo.InvariantCulture);
        return rules.RootElement.EnumerateArray().Any(r =>
            r.TryGetProperty("src", out var src) && src.GetString() == vpc.HostAddress
            && r.TryGetProperty("table", out var t) && t.ToString() == table);
    }

    /// <summary>
    /// Brings the VPC's addresses, nftables, public routes and DHCP server in line with its records,
    /// and its IPv6 side: all of it, or (<paramref name="ipv6Guests"/> given) only those guests'
    /// (an attach's new one, none for a detach: the bridge's IPv6 checks come with the ruleset).
    /// </summary>
    private async Task ApplyAsync(VpcNetworkRecord vpc, bool restartDhcp, CancellationToken cancellationToken, IReadOnlyList<NicRecord>? ipv6Guests = null)
    {
        var ns = vpc.Namespace;
        // Router addresses: one per subnet in use.
        var wanted = new HashSet<string>(StringComparer.Ordinal) { MetadataAddress + "/32", DnsAddress(vpc) + "/32" };
        wanted.UnionWith(vpc.ServiceAddresses.Select(a => a + "/32"));
        foreach (var subnet in vpc.Nics.Select(n => Ipv4Cidr.Parse(n.SubnetCidr)).Distinct())
        {
            wanted.Add($"{subnet.At(1)}/{subnet.Prefix}");
        }
        using (var addresses = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-n", ns, "-j", "-4", "addr", "show", "dev", Bridge], cancellationToken: cancellationToken).ConfigureAwait(false)))
        {
            var present = addresses.RootElement.EnumerateArray().SelectMany(l => l.GetProperty("addr_info").EnumerateArray())
                .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}").ToHashSet(StringComparer.Ordinal);
            foreach (var address in present.Except(wanted))
            {
                await NsIpAsync(ns, cancellationToken, "addr", "del", address, "dev", Bridge).ConfigureAwait(false);
            }
            foreach (var address in wanted.Except(present))
            {
                await NsIpAsync(ns, cancellationToken, "addr", "replace", address, "dev", Bridge).ConfigureAwait(false);
            }
        }

        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], NamespaceRuleset(vpc), cancellationToken).ConfigureAwait(false);

        await SyncPublicRoutesAsync(vpc, cancellationToken).ConfigureAwait(false);
        await SyncApplianceRoutesAsync(vpc, cancellationToken).ConfigureAwait(false);
        await ApplyDhcpAsync(vpc, restartDhcp, cancellationToken).ConfigureAwait(false);
        if (ipv6Guests is null)
        {
            await SyncIpv6Async(vpc, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var nic in ipv6Guests)
            {
                await SyncGuestIpv6Async(vpc, nic, cancellationToken).ConfigureAwait(false);
            }
        }
        await RefreshPeerNamesAsync(vpc, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A host route per public address (guests' and NAT gateways') into the VPC namespace; no others.
    /// Each is claimed in <see cref="HostPublicRoutes"/>, so another Stratus server on the host that
    /// handed out the same address is noticed, and gets the route back once this one gives it up.
    /// </summary>
    private async Task SyncPublicRoutesAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var publics = vpc.Nics.Where(n => n.PublicIp is not null).Select(n => n.PublicIp + "/32")
            .Concat(vpc.NatAddresses.Select(a => a + "/32")).ToHashSet(StringComparer.Ordinal);
        using (var routes = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-j", "-4", "route", "show", "table", "main", "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false)))
        {
            var publicPool = Ipv4Cidr.Parse(PublicPool);
            foreach (var route in routes.RootElement.EnumerateArray())
            {
                var dst = route.GetProperty("dst").GetString();
                if (dst is null or "default")
                {
                    continue;
                }
                var block = Ipv4Cidr.Parse(dst);
                if (block.Prefix == 32 && block.Overlaps(publicPool) && !publics.Contains(block.ToString()))
                {
                    await HostCommand.TryAsync("ip", ["route", "del", block.ToString(), "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false);
                    await ReleasePublicAsync(vpc, Ipv4.Format(block.Network)).ConfigureAwait(false);
                }
            }
        }
        foreach (var address in publics)
        {
            await HostCommand.RunAsync("ip", ["route", "replace", address, "via", vpc.NamespaceAddress, "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false);
            await ClaimPublicAsync(vpc, address[..^3], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The name this VPC's routes go by in <see cref="HostPublicRoutes"/>: this network's guard table and the VPC's namespace.</summary>
    private string PublicRouteOwner(VpcNetworkRecord vpc) => $"{GuardTable}.{vpc.Namespace}";

    private async Task ClaimPublicAsync(VpcNetworkRecord vpc, string address, CancellationToken cancellationToken)
    {
        try
        {
            var others = await HostPublicRoutes.Host.ClaimAsync(address, PublicRouteOwner(vpc), vpc.UplinkDevice, vpc.NamespaceAddress, cancellationToken).ConfigureAwait(false);
            if (others.Count > 0)
            {
                _log($"network: public address {address} of {vpc.Namespace} is also routed by another Stratus server on this host "
                    + $"({string.Join(", ", others.Select(o => o.Device))}): each server draws its public addresses on its own, and the host "
                    + "routes an address to one of them at a time (here now); the other gets the route back when this one gives the address up");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log($"network: cannot record the public route of {address}: {e.Message}");
        }
    }

    /// <summary>
    /// This VPC no longer routes <paramref name="address"/>: another Stratus server's VPC on the host
    /// that routes it too gets the host route back (its route was replaced by this one's).
    /// </summary>
    private async Task ReleasePublicAsync(VpcNetworkRecord vpc, string address)
    {
        try
        {
            if (await HostPublicRoutes.Host.ReleaseAsync(address, PublicRouteOwner(vpc)).ConfigureAwait(false) is not { } next)
            {
                return;
            }
            var shown = await HostCommand.TryAsync("ip", ["-4", "route", "show", "exact", address + "/32", "table", "main"]).ConfigureAwait(false);
            if (shown.Succeeded && shown.StandardOutput.Trim().Length == 0)
            {
                await HostCommand.TryAsync("ip", ["route", "replace", address + "/32", "via", next.Via, "dev", next.Device]).ConfigureAwait(false);
                _log($"network: public address {address} routed to {next.Device} again (another Stratus server on this host uses it too)");
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            _log($"network: cannot hand the public route of {address} on: {e.Message}");
        }
    }

    private static bool SamePeerings(List<PeeringRecord> a, List<PeeringRecord> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.PeeringConnectionId == p.Second.PeeringConnectionId && p.First.PeerVpcId == p.Second.PeerVpcId
            && p.First.PeerAccountId == p.Second.PeerAccountId && p.First.PeerRegion == p.Second.PeerRegion && p.First.ResolvePeerNames == p.Second.ResolvePeerNames
            && p.First.PeerCidrs.SequenceEqual(p.Second.PeerCidrs, StringComparer.Ordinal) && p.First.PeerIpv6Cidrs.SequenceEqual(p.Second.PeerIpv6Cidrs, StringComparer.Ordinal));

    /// <summary>
    /// Peering links: a veth pair between two VPC namespaces, of one account and Region or not (named <see cref="FirewallRuleset.PeeringLink"/>
    /// on both ends) for each connection both VPCs' firewalls name as active, with a route to the
    /// other VPC's blocks on each end and proxy ARP answering for the addresses behind it (each end
    /// holds its VPC's DNS address, the source of its ARP requests). Links no
    /// longer wanted are removed; a namespace that goes takes its links with it.
    /// </summary>
    private async Task SyncPeeringLinksAsync(CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var vpc in _vpcs.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            foreach (var peering in vpc.Peerings)
            {
                if (!_vpcs.TryGetValue(VpcNetworkRecord.VpcKey(peering.PeerAccountId ?? vpc.AccountId, peering.PeerRegion ?? vpc.Region, peering.PeerVpcId), out var peer)
                    || string.CompareOrdinal(vpc.Key, peer.Key) >= 0
                    || peer.Peerings.Find(p => p.PeeringConnectionId == peering.PeeringConnectionId) is not { } back
                    || !File.Exists(NamespacePath(vpc.Namespace)) || !File.Exists(NamespacePath(peer.Namespace)))
                {
                    continue;
                }
                var link = FirewallRuleset.PeeringLink(peering.PeeringConnectionId);
                (wanted.TryGetValue(vpc.Namespace, out var a) ? a : wanted[vpc.Namespace] = new(StringComparer.Ordinal)).Add(link);
                (wanted.TryGetValue(peer.Namespace, out var b) ? b : wanted[peer.Namespace] = new(StringComparer.Ordinal)).Add(link);
                if (!await LinkExistsAsync(vpc.Namespace, link, cancellationToken).ConfigureAwait(false)
                    || !await LinkExistsAsync(peer.Namespace, link, cancellationToken).ConfigureAwait(false))
                {
                    await NsIpQuietAsync(vpc.Namespace, "link", "del", link).ConfigureAwait(false);
                    await NsIpQuietAsync(peer.Namespace, "link", "del", link).ConfigureAwait(false);
                    await NsIpAsync(vpc.Namespace, cancellationToken, "link", "add", link, "type", "veth", "peer", "name", link, "netns", peer.Namespace).ConfigureAwait(false);
                }
                foreach (var (side, cidrs) in new[] { (vpc, peering.PeerCidrs), (peer, back.PeerCidrs) })
                {
                    var ns = side.Namespace;
                    await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", $"net.ipv4.conf.{link}.proxy_arp=1", $"net.ipv4.neigh.{link}.proxy_delay=0"], cancellationToken: cancellationToken).ConfigureAwait(false);
                    // The link's own address (the VPC's DNS address, unique to it and inside its block):
                    // ARP requests on the link come from it, which the other side's proxy ARP accepts.
                    await NsIpAsync(ns, cancellationToken, "addr", "replace", DnsAddress(side) + "/32", "dev", link).ConfigureAwait(false);
                    await NsIpAsync(ns, cancellationToken, "link", "set", link, "up").ConfigureAwait(false);
                    foreach (var cidr in cidrs)
                    {
                        await NsIpAsync(ns, cancellationToken, "route", "replace", cidr, "dev", link).ConfigureAwait(false);
                    }
                }
                if (peering.PeerIpv6Cidrs.Count > 0 || back.PeerIpv6Cidrs.Count > 0)
                {
                    await SyncPeeringIpv6Async(link, (vpc.Namespace, peering.PeerIpv6Cidrs), (peer.Namespace, back.PeerIpv6Cidrs), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        foreach (var vpc in _vpcs.Values.Where(v => File.Exists(NamespacePath(v.Namespace))))
        {
            using var links = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-n", vpc.Namespace, "-j", "link", "show"], cancellationToken: cancellationToken).ConfigureAwait(false));
            foreach (var name in links.RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString() ?? "").Where(n => n.StartsWith("px", StringComparison.Ordinal)).ToList())
            {
                if (!(wanted.TryGetValue(vpc.Namespace, out var keep) && keep.Contains(name)))
                {
                    await NsIpQuietAsync(vpc.Namespace, "link", "del", name).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// IPv6 over a peering link: IPv6 on both ends, a fixed link-local address on each
    /// (<see cref="PeeringLinkLocal"/>, the first VPC's end <c>fe80::1</c>, the other's <c>fe80::2</c>)
    /// and each side's routes to the other VPC's IPv6 blocks via the other end's address.
    /// </summary>
    private static async Task SyncPeeringIpv6Async(string link, (string Namespace, List<string> PeerCidrs) first, (string Namespace, List<string> PeerCidrs) second, CancellationToken cancellationToken)
    {
        foreach (var (side, index) in new[] { (first, 1), (second, 2) })
        {
            await HostCommand.RunAsync("ip", ["netns", "exec", side.Namespace, "sysctl", "-qw", $"net.ipv6.conf.{link}.disable_ipv6=0", $"net.ipv6.conf.{link}.accept_ra=0",
                $"net.ipv6.conf.{link}.accept_dad=0"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await NsIpAsync(side.Namespace, cancellationToken, "-6", "addr", "replace", PeeringLinkLocal(index) + "/64", "dev", link, "nodad").ConfigureAwait(false);
            foreach (var cidr in side.PeerCidrs)
            {
                await NsIpAsync(side.Namespace, cancellationToken, "-6", "route", "replace", cidr, "via", PeeringLinkLocal(3 - index), "dev", link).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The link-local address of a peering link's end (1: the first VPC's, 2: the other's).</summary>
    internal static string PeeringLinkLocal(int end) => "fe80::" + end.ToString(CultureInfo.InvariantCulture);

    private string NamespaceRuleset(VpcNetworkRecord vpc)
    {
        var port = _options.MetadataPort.ToString(CultureInfo.InvariantCulture);
        var nat = new StringBuilder();
        nat.Append(CultureInfo.InvariantCulture, $"table ip stratus\ndelete table ip stratus\ntable ip stratus {{\n\tchain prerouting {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        nat.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{Bridge}\" ip daddr {MetadataAddress} tcp dport 80 dnat to {vpc.HostAddress}:{port}\n");
        foreach (var nic in vpc.Nics.Where(n => n.PublicIp is not null))
        {
            nat.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{NamespaceUplink}\" ip daddr {nic.PublicIp} dnat to {nic.PrivateIp}\n");
        }
        nat.Append(CultureInfo.InvariantCulture, $"\t}}\n\tchain postrouting {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        // Metadata requests keep the guest's private address: that is how the host tells callers apart.
        nat.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{NamespaceUplink}\" ct status dnat return\n");
        foreach (var nic in vpc.Nics.Where(n => n.PublicIp is not null))
        {
            nat.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{NamespaceUplink}\" ip saddr {nic.PrivateIp} snat to {nic.PublicIp}\n");
        }
        nat.Append("\t}\n}\n");

        nat.Append("table bridge stratus\ndelete table bridge stratus\ntable bridge stratus {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority filter; policy accept;\n");
        foreach (var nic in vpc.Nics)
        {
            // Anti-spoofing: the port's MAC always; its interface's private addresses (primary and
            // secondary) in ARP always and in IPv4 while source/destination checking is on.
            var port2 = $"iifname \"{nic.Device}\"";
            var (addresses, check) = PortAddresses(vpc, nic);
            nat.Append(CultureInfo.InvariantCulture, $"\t\t{port2} ether saddr != {nic.MacAddress} drop\n");
            nat.Append(CultureInfo.InvariantCulture, $"\t\t{port2} ether type != {{ ip, arp, ip6 }} drop\n");
            nat.Append(CultureInfo.InvariantCulture, $"\t\t{port2} arp saddr ether != {nic.MacAddress} drop\n");
            nat.Append(CultureInfo.InvariantCulture, $"\t\t{port2} arp saddr ip != {{ 0.0.0.0, {addresses} }} drop\n");
            nat.Append(CultureInfo.InvariantCulture, $"\t\t{port2} ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept\n");
            if (check)
            {
                nat.Append(CultureInfo.InvariantCulture, $"\t\t{port2} ip saddr != {{ {addresses} }} drop\n");
            }
        }
        nat.Append("\t}\n");
        // Source/destination checking, receiving side: a port takes only IPv4 addressed to its interface
        // (or broadcast, as DHCP answers may be); what a route sends through a guest reaches it only with the check off.
        nat.Append("\tchain postrouting {\n\t\ttype filter hook postrouting priority filter; policy accept;\n");
        foreach (var nic in vpc.Nics)
        {
            var (addresses, check) = PortAddresses(vpc, nic);
            if (check)
            {
                nat.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{nic.Device}\" ip daddr != {{ {addresses}, 255.255.255.255, 224.0.0.0/4 }} drop\n");
            }
        }
        nat.Append("\t}\n}\n");
        nat.Append(Ipv6BridgeRules(vpc));
        if (vpc.Firewall is not null)
        {
            nat.Append(vpc.Firewall);
        }
        return nat.ToString();
    }

    /// <summary>
    /// The host's guard table: VPCs never reach each other's private addresses through the host, and
    /// guests reach no host service but the metadata port (replies to connections the host opened pass).
    /// </summary>
    internal string GuardRuleset()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"table inet {GuardTable}\ndelete table inet {GuardTable}\ntable inet {GuardTable} {{\n");
        s.Append("\tchain forward {\n\t\ttype filter hook forward priority filter - 5; policy accept;\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"sxh-*\" oifname \"sxh-*\" ip daddr != {PublicPool} drop\n");
        s.Append("\t}\n");
        var uplinks = _vpcs.Values.Select(v => $"\"{v.UplinkDevice}\"").Order(StringComparer.Ordinal).ToList();
        if (uplinks.Count > 0)
        {
            var from = $"iifname {{ {string.Join(", ", uplinks)} }}";
            s.Append("\tchain input {\n\t\ttype filter hook input priority filter - 5; policy accept;\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\t{from} ct state established,related accept\n");
            // IPv6 neighbour discovery on the uplinks (conntrack leaves it untracked).
            s.Append(CultureInfo.InvariantCulture, $"\t\t{from} icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\t{from} tcp dport {_options.MetadataPort.ToString(CultureInfo.InvariantCulture)} accept\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\t{from} drop\n");
            s.Append("\t}\n");
        }
        s.Append("}\n");
        return s.ToString();
    }

    private async Task RemoveGuardTableAsync()
    {
        if (_vpcs.Count == 0)
        {
            await HostCommand.TryAsync("nft", ["delete", "table", "inet", GuardTable]).ConfigureAwait(false);
            await HostSysctls.Host.ReleaseAsync(GuardTable, _log).ConfigureAwait(false);
        }
        else
        {
            await HostCommand.TryAsync("nft", ["-f", "-"], GuardRuleset()).ConfigureAwait(false);
        }
        await ReleaseIpv6SysctlsIfUnusedAsync().ConfigureAwait(false);
    }

    // ---- DHCP and DNS (dnsmasq) ----

    private async Task ApplyDhcpAsync(VpcNetworkRecord vpc, bool restart, CancellationToken cancellationToken)
    {
        var dir = VpcDirectory(vpc);
        var domain = PrivateDomain(vpc.Region);
        var hosts = string.Concat(vpc.Nics.Select(n => $"{n.MacAddress},{n.PrivateIp},{n.HostName},infinite\n"));
        var names = string.Concat(vpc.Nics.Select(n => $"{n.PrivateIp} {n.HostName}.{domain} {n.HostName}\n"))
            + string.Concat(vpc.ServiceNames.Select(line => line + "\n"))
            + PeerNames(vpc);
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"interface={Bridge}\nbind-dynamic\nno-resolv\nno-hosts\ndomain-needed\nlocal=/internal/\n");
        config.Append(CultureInfo.InvariantCulture, $"addn-hosts={Path.Combine(dir, "names")}\n");
        config.Append("dhcp-authoritative\n");
        foreach (var subnet in vpc.Nics.Select(n => Ipv4Cidr.Parse(n.SubnetCidr)).Distinct().OrderBy(s => s.Network))
        {
            config.Append(CultureInfo.InvariantCulture, $"dhcp-range={Ipv4.Format(subnet.Network)},static,{Ipv4.FormatMask(subnet.Prefix)},infinite\n");
        }
        config.Append(CultureInfo.InvariantCulture, $"dhcp-option=option:dns-server,{DnsAddress(vpc)}\ndhcp-option=option:domain-name,{domain}\n");
        config.Append(CultureInfo.InvariantCulture, $"dhcp-hostsfile={Path.Combine(dir, "dhcp-hosts")}\ndhcp-leasefile={Path.Combine(dir, "leases")}\n");
        config.Append(CultureInfo.InvariantCulture, $"pid-file={Path.Combine(dir, "dnsmasq.pid")}\nlog-facility={Path.Combine(dir, "dnsmasq.log")}\nuser=root\ngroup=root\n");

        var hostsChanged = WriteIfChanged(Path.Combine(dir, "dhcp-hosts"), hosts) | WriteIfChanged(Path.Combine(dir, "names"), names);
        var configChanged = WriteIfChanged(Path.Combine(dir, "dnsmasq.conf"), config.ToString());
        var pid = DnsmasqPid(vpc);
        if (pid is null || configChanged || restart)
        {
            if (pid is { } running)
            {
                await StopProcessAsync(running).ConfigureAwait(false);
            }
            ScrubLeases(vpc);
            await HostCommand.RunAsync("ip", ["netns", "exec", vpc.Namespace, "dnsmasq", "--conf-file=" + Path.Combine(dir, "dnsmasq.conf")], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (hostsChanged)
        {
            await HostCommand.RunAsync("kill", ["-HUP", pid.Value.ToString(CultureInfo.InvariantCulture)], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The domain of private DNS names in <paramref name="region"/>, as EC2 names them.</summary>
    private static string PrivateDomain(string region) => region == "us-east-1" ? "ec2.internal" : region + ".compute.internal";

    /// <summary>
    /// The private names of the guests of peer VPCs that allow DNS resolution from this one
    /// (<c>AllowDnsResolutionFromRemoteVpc</c> on their side of an active connection), with their
    /// own Region's domain: the VPC's resolver answers them with the peer's private addresses.
    /// </summary>
    private string PeerNames(VpcNetworkRecord vpc)
    {
        var lines = new StringBuilder();
        foreach (var peering in vpc.Peerings.Where(p => p.ResolvePeerNames))
        {
            if (_vpcs.TryGetValue(VpcNetworkRecord.VpcKey(peering.PeerAccountId ?? vpc.AccountId, peering.PeerRegion ?? vpc.Region, peering.PeerVpcId), out var peer))
            {
                var domain = PrivateDomain(peer.Region);
                foreach (var nic in peer.Nics.OrderBy(n => n.PrivateIp, StringComparer.Ordinal))
                {
                    lines.Append(CultureInfo.InvariantCulture, $"{nic.PrivateIp} {nic.HostName}.{domain}\n");
                }
            }
        }
        return lines.ToString();
    }

    /// <summary>Re-writes the names of the VPCs that resolve this VPC's guests' names across a peering (its guests changed).</summary>
    private async Task RefreshPeerNamesAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        foreach (var other in _vpcs.Values.Where(v => v.Key != vpc.Key && v.Peerings.Any(p => p.ResolvePeerNames && p.PeerVpcId == vpc.VpcId)).ToList())
        {
            if (File.Exists(NamespacePath(other.Namespace)))
            {
                await ApplyDhcpAsync(other, restart: false, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The PID of the VPC's running dnsmasq (this run's or an earlier run's), or null.</summary>
    internal int? DnsmasqPid(VpcNetworkRecord vpc)
    {
        var dir = VpcDirectory(vpc);
        var pidFile = Path.Combine(dir, "dnsmasq.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains(Path.Combine(dir, "dnsmasq.conf"), StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task StopProcessAsync(int pid)
    {
        await HostCommand.TryAsync("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        for (var i = 0; i < 100 && IsAlive(pid); i++)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
        if (IsAlive(pid))
        {
            await HostCommand.TryAsync("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        }
    }

    /// <summary>True while the process runs (a daemon that exited stays a zombie until its reaper gets to it).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X' or default(char));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private bool LeasesMention(VpcNetworkRecord vpc, string address)
    {
        var leases = Path.Combine(VpcDirectory(vpc), "leases");
        return File.Exists(leases) && File.ReadLines(leases).Any(l => l.Split(' ').ElementAtOrDefault(2) == address);
    }

    /// <summary>Drops leases that no longer match an interface (dnsmasq would keep their addresses from new MACs).</summary>
    private void ScrubLeases(VpcNetworkRecord vpc)
    {
        var leases = Path.Combine(VpcDirectory(vpc), "leases");
        if (!File.Exists(leases))
        {
            return;
        }
        var current = vpc.Nics.Select(n => (n.MacAddress, n.PrivateIp)).ToHashSet();
        var kept = File.ReadAllLines(leases).Where(l =>
        {
            var fields = l.Split(' ');
            return fields.Length > 2 && current.Contains((fields[1].ToLowerInvariant(), fields[2]));
        });
        File.WriteAllLines(leases, kept);
    }

    // ---- teardown ----

    private async Task TeardownVpcAsync(VpcNetworkRecord vpc)
    {
        if (DnsmasqPid(vpc) is { } pid)
        {
            await QuietlyAsync(() => StopProcessAsync(pid)).ConfigureAwait(false);
        }
        if (vpc.HostAddress.Length > 0 && vpc.RouteTable != 0)
        {
            var table = vpc.RouteTable.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < 10; i++)
            {
                var result = await HostCommand.TryAsync("ip", ["rule", "del", "pref", RulePriority.ToString(CultureInfo.InvariantCulture), "from", vpc.HostAddress, "lookup", table]).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    break;
                }
            }
            await QuietlyAsync(() => HostCommand.TryAsync("ip", ["route", "flush", "table", table])).ConfigureAwait(false);
        }
        if (vpc.MainRoute)
        {
            await QuietlyAsync(() => HostCommand.TryAsync("ip", ["route", "del", vpc.VpcCidr, "dev", vpc.UplinkDevice])).ConfigureAwait(false);
        }
        if (vpc.Ipv6Enabled)
        {
            await QuietlyAsync(() => RemoveIpv6UplinkAsync(vpc)).ConfigureAwait(false);
        }
        await QuietlyAsync(() => HostCommand.TryAsync("ip", ["link", "del", vpc.UplinkDevice])).ConfigureAwait(false);
        // The public routes went with the uplink.
        foreach (var address in vpc.Nics.Select(n => n.PublicIp).OfType<string>().Concat(vpc.NatAddresses).Distinct(StringComparer.Ordinal))
        {
            await ReleasePublicAsync(vpc, address).ConfigureAwait(false);
        }
        if (File.Exists(NamespacePath(vpc.Namespace)))
        {
            await QuietlyAsync(() => HostCommand.RunAsync("ip", ["netns", "del", vpc.Namespace])).ConfigureAwait(false);
        }
        _vpcs.Remove(vpc.Key);
        try
        {
            File.Delete(RecordPath(vpc));
            if (Directory.Exists(VpcDirectory(vpc)))
            {
                Directory.Delete(VpcDirectory(vpc), recursive: true);
            }
        }
        catch (IOException e)
        {
            _log($"network: cannot remove the records of {vpc.Namespace}: {e.Message}");
        }
        await QuietlyAsync(() => RemoveGuardTableAsync()).ConfigureAwait(false);
        // Transit gateways this VPC was the last one attached to here go with it.
        await QuietlyAsync(() => SyncTransitGatewaysAsync(CancellationToken.None)).ConfigureAwait(false);
        // Another VPC with the same CIDR may now take the main-table route.
        foreach (var other in _vpcs.Values.Where(v => !v.MainRoute && Ipv4Cidr.Parse(v.VpcCidr).Overlaps(Ipv4Cidr.Parse(vpc.VpcCidr))).ToList())
        {
            await QuietlyAsync(async () =>
            {
                await ClaimMainRouteAsync(other, CancellationToken.None).ConfigureAwait(false);
                Save(other);
            }).ConfigureAwait(false);
        }
    }

    // ---- helpers ----

    private (VpcNetworkRecord? Vpc, NicRecord? Nic) Find(string instanceId)
    {
        foreach (var vpc in _vpcs.Values)
        {
            var nic = vpc.Nics.FirstOrDefault(n => n.InstanceId == instanceId && n.DeviceIndex == 0);
            if (nic is not null)
            {
                return (vpc, nic);
            }
        }
        return (null, null);
    }

    private void RebuildCallers()
    {
        var callers = new Dictionary<(uint, uint), MetadataCaller>();
        foreach (var vpc in _vpcs.Values.Where(v => v.HostAddress.Length > 0))
        {
            foreach (var nic in vpc.Nics)
            {
                callers[(Ipv4.Parse(vpc.HostAddress), Ipv4.Parse(nic.PrivateIp))] = new MetadataCaller(vpc.AccountId, vpc.Region, nic.InstanceId);
            }
        }
        Volatile.Write(ref _callers, callers);
        RebuildIpv6Callers();
    }

    private string NewNamespaceName(string key)
    {
        for (var i = 0; ; i++)
        {
            var name = "stx-" + Hex8(i == 0 ? key : $"{key}#{i}");
            if (!File.Exists(NamespacePath(name)) && !_vpcs.Values.Any(v => v.Namespace == name))
            {
                return name;
            }
        }
    }

    private static string DeviceName(VpcNetworkRecord vpc, string prefix, string instanceId)
    {
        for (var i = 0; ; i++)
        {
            var name = prefix + Hex8(i == 0 ? instanceId : $"{instanceId}#{i}");
            if (!vpc.Nics.Any(n => n.Device == name))
            {
                return name;
            }
        }
    }

    internal static string Hex8(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 4);

    private static string NormalizeMac(string mac)
    {
        var normalized = mac.Trim().ToLowerInvariant();
        if (normalized.Length != 17 || normalized.Split(':').Length != 6 || !normalized.Split(':').All(p => p.Length == 2 && p.All(Uri.IsHexDigit)))
        {
            throw new ArgumentException($"not a MAC address: {mac}", nameof(mac));
        }
        return normalized;
    }

    private static string DnsAddress(VpcNetworkRecord vpc) => Ipv4Cidr.Parse(vpc.VpcCidr).At(2);

    internal static string NamespacePath(string name) => "/run/netns/" + name;

    private string VpcDirectory(VpcNetworkRecord vpc) => Path.Combine(_options.NetworkDirectory, vpc.Namespace);

    private string RecordPath(VpcNetworkRecord vpc) => Path.Combine(_options.NetworkDirectory, vpc.Namespace + ".json");

    private void Save(VpcNetworkRecord vpc)
    {
        Directory.CreateDirectory(_options.NetworkDirectory);
        var path = RecordPath(vpc);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(vpc, NetworkJson.Options));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static bool WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content)
        {
            return false;
        }
        File.WriteAllText(path, content);
        return true;
    }

    private static async Task WriteSysctlAsync(string path, string value) => await File.WriteAllTextAsync(path, value).ConfigureAwait(false);

    private static async Task<bool> LinkExistsAsync(string? ns, string device, CancellationToken cancellationToken)
    {
        if (ns is not null && !File.Exists(NamespacePath(ns)))
        {
            return false;
        }
        string[] args = ns is null ? ["link", "show", "dev", device] : ["-n", ns, "link", "show", "dev", device];
        return (await HostCommand.TryAsync("ip", args, cancellationToken: cancellationToken).ConfigureAwait(false)).Succeeded;
    }

    private static Task<string> NsIpAsync(string ns, CancellationToken cancellationToken, params string[] args) =>
        HostCommand.RunAsync("ip", ["-n", ns, .. args], cancellationToken: cancellationToken);

    private static Task<CommandResult> NsIpQuietAsync(string ns, params string[] args) => HostCommand.TryAsync("ip", ["-n", ns, .. args]);

    private static Task<string> GuestIpAsync(string guestNamespace, CancellationToken cancellationToken, params string[] args) =>
        HostCommand.RunAsync("nsenter", ["--net=" + guestNamespace, "ip", .. args], cancellationToken: cancellationToken);

    private async Task QuietlyAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            _log("network: " + e.Message);
        }
    }
}
