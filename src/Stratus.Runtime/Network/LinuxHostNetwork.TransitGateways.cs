using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Firewall;

namespace Stratus.Runtime.Network;

/// <summary>What the host made for transit gateways, recorded under <c>&lt;state&gt;/network/transit-gateways.json</c>.</summary>
internal sealed class TransitGatewayNetworkRecord
{
    /// <summary>Each VPC's attachments (by VPC key), as its last firewall named them.</summary>
    public Dictionary<string, List<FirewallTransitGateway>> Vpcs { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Each gateway's latest view (by <c>account/region/tgw-id</c>).</summary>
    public Dictionary<string, TransitGatewayHostView> Gateways { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The namespace of each gateway that has one (by gateway key).</summary>
    public Dictionary<string, string> Namespaces { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The routing last applied in each namespace (the gateways' and the VPCs'), as <c>ip -batch</c> text.</summary>
    public Dictionary<string, string> Applied { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Transit gateways on the host. Each gateway with at least one attached VPC that has guests here is a network namespace <c>stg-&lt;hex&gt;</c> joined to each such VPC's
/// namespace by a veth pair <c>tx&lt;hex of the attachment id&gt;</c> (same name and MAC address on
/// both ends, ARP off: a point-to-point link without addresses). In the gateway's namespace each
/// link's packets are routed by the table of the route table its attachment is associated with
/// (<c>ip rule iif tx… lookup 100+n</c>), holding the table's static and propagated routes
/// (<c>dev tx…</c>) and blackholes; anything else is dropped (<c>ip rule 32000 blackhole</c>). In
/// the VPC's namespace, each subnet whose route table sends destinations to a gateway looks those
/// up in a table of its own (<c>ip rule from &lt;subnet&gt; lookup 5000+n</c>) after the
/// namespace's specific routes (<c>lookup main suppress_prefixlength 0</c>), so a subnet's
/// <c>0.0.0.0/0 → tgw</c> does not change its neighbours' default route. The VPC's packet filter
/// (<see cref="TransitGatewayRuleset"/>) decides which flows may cross.
/// </summary>
public sealed partial class LinuxHostNetwork
{
    private const int GatewayRulePriority = 100;
    private const int GatewayFirstTable = 100;
    private const int GatewayLocalRulePriority = 99;
    private const int GatewayLocalTable = 99;
    private const int VpcSpecificRulePriority = 90;
    private const int VpcSubnetRulePriority = 100;
    private const int VpcFirstTable = 5000;

    private TransitGatewayNetworkRecord? _gateways;

    /// <summary>The Connect peers' GRE tunnels this process keeps, by <c>namespace/device</c>.</summary>
    private readonly Dictionary<string, GreTunnel> _tunnels = new(StringComparer.Ordinal);

    private TransitGatewayNetworkRecord Gateways => _gateways ??= LoadGateways();

    private string GatewaysPath => Path.Combine(_options.NetworkDirectory, "transit-gateways.json");

    private TransitGatewayNetworkRecord LoadGateways()
    {
        if (File.Exists(GatewaysPath))
        {
            try
            {
                return JsonSerializer.Deserialize<TransitGatewayNetworkRecord>(File.ReadAllText(GatewaysPath), NetworkJson.Options) ?? new();
            }
            catch (JsonException e)
            {
                _log($"network: ignoring unreadable record {GatewaysPath}: {e.Message}");
            }
        }
        return new();
    }

    private void SaveGateways()
    {
        var record = Gateways;
        if (record.Vpcs.Count == 0 && record.Namespaces.Count == 0 && record.Applied.Count == 0)
        {
            if (File.Exists(GatewaysPath))
            {
                File.Delete(GatewaysPath);
            }
            return;
        }
        Directory.CreateDirectory(_options.NetworkDirectory);
        File.WriteAllText(GatewaysPath + ".tmp", JsonSerializer.Serialize(record, NetworkJson.Options));
        File.Move(GatewaysPath + ".tmp", GatewaysPath, overwrite: true);
    }

    private static string GatewayKey(string accountId, string region, string transitGatewayId) => $"{accountId}/{region}/{transitGatewayId}";

    /// <summary>Records what <paramref name="firewall"/> says of the VPC's transit gateways; true when anything changed.</summary>
    private bool RecordTransitGateways(VpcFirewall firewall)
    {
        var record = Gateways;
        var key = VpcNetworkRecord.VpcKey(firewall.AccountId, firewall.Region, firewall.VpcId);
        var changed = false;
        var attachments = firewall.TransitGateways.ToList();
        var before = record.Vpcs.TryGetValue(key, out var old) ? JsonSerializer.Serialize(old, NetworkJson.Options) : "[]";
        if (before != JsonSerializer.Serialize(attachments, NetworkJson.Options))
        {
            changed = true;
            if (attachments.Count == 0)
            {
                record.Vpcs.Remove(key);
            }
            else
            {
                record.Vpcs[key] = attachments;
            }
        }
        foreach (var attachment in attachments)
        {
            var gatewayKey = GatewayKey(firewall.AccountId, firewall.Region, attachment.TransitGatewayId);
            var view = JsonSerializer.Serialize(attachment.Gateway, NetworkJson.Options);
            if (!record.Gateways.TryGetValue(gatewayKey, out var known) || JsonSerializer.Serialize(known, NetworkJson.Options) != view)
            {
                record.Gateways[gatewayKey] = attachment.Gateway;
                changed = true;
            }
        }
        if (changed)
        {
            SaveGateways();
        }
        return changed;
    }

    /// <summary>
    /// Brings gateway namespaces, links, policy rules and routes in line with the recorded views
    /// (idempotent; only what differs from what was applied is rewritten). A gateway without an
    /// attached VPC namespace here has no namespace.
    /// </summary>
    private async Task SyncTransitGatewaysAsync(CancellationToken cancellationToken)
    {
        var record = Gateways;
        // Which VPC namespaces are attached to which gateway (both sides must agree on the attachment).
        var wanted = new SortedDictionary<string, List<(VpcNetworkRecord Vpc, FirewallTransitGateway Attachment)>>(StringComparer.Ordinal);
        foreach (var (vpcKey, attachments) in record.Vpcs.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!_vpcs.TryGetValue(vpcKey, out var vpc) || !File.Exists(NamespacePath(vpc.Namespace)))
            {
                continue;
            }
            foreach (var attachment in attachments)
            {
                var gatewayKey = GatewayKey(vpc.AccountId, vpc.Region, attachment.TransitGatewayId);
                if (record.Gateways.TryGetValue(gatewayKey, out var view) && view.Attachments.Any(a => a.AttachmentId == attachment.AttachmentId))
                {
                    (wanted.TryGetValue(gatewayKey, out var list) ? list : wanted[gatewayKey] = []).Add((vpc, attachment));
                }
            }
        }

        var vpcLinks = new Dictionary<string, List<(FirewallTransitGateway Attachment, string Link)>>(StringComparer.Ordinal);
        var recreated = new HashSet<string>(StringComparer.Ordinal);
        foreach (var gatewayKey in wanted.Keys)
        {
            var ns = record.Namespaces.TryGetValue(gatewayKey, out var known) ? known : record.Namespaces[gatewayKey] = NewGatewayNamespaceName(gatewayKey);
            SaveGateways();
            if (!File.Exists(NamespacePath(ns)))
            {
                await HostCommand.RunAsync("ip", ["netns", "add", ns], cancellationToken: cancellationToken).ConfigureAwait(false);
                record.Applied.Remove(ns);
            }
            await NsIpAsync(ns, cancellationToken, "link", "set", "lo", "up").ConfigureAwait(false);
            await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.default.accept_ra=0",
                "net.ipv6.conf.default.accept_dad=0"], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var tunnels = new HashSet<string>(StringComparer.Ordinal);
        var speakers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (gatewayKey, members) in wanted)
        {
            var ns = record.Namespaces[gatewayKey];
            var links = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (vpc, attachment) in members)
            {
                var link = TransitGatewayRuleset.Link(attachment.AttachmentId);
                links[attachment.AttachmentId] = link;
                (vpcLinks.TryGetValue(vpc.Key, out var list) ? list : vpcLinks[vpc.Key] = []).Add((attachment, link));
                if (await EnsurePointToPointLinkAsync(vpc.Namespace, ns, link, attachment.AttachmentId, cancellationToken).ConfigureAwait(false))
                {
                    recreated.Add(ns);
                    recreated.Add(vpc.Namespace);
                }
            }
            var view = record.Gateways[gatewayKey];
            var account = gatewayKey[..gatewayKey.IndexOf('/', StringComparison.Ordinal)];
            // Peerings: one link between the two gateways' namespaces, when both are here.
            foreach (var peering in view.Attachments.Where(a => a.ResourceType == "peering" && a.PeerTransitGatewayId is not null))
            {
                var peerKey = GatewayKey(peering.PeerAccountId ?? account, peering.PeerRegion ?? "", peering.PeerTransitGatewayId!);
                if (!wanted.ContainsKey(peerKey) || !record.Gateways.TryGetValue(peerKey, out var peerView)
                    || !peerView.Attachments.Any(a => a.AttachmentId == peering.AttachmentId))
                {
                    continue;
                }
                var peerNs = record.Namespaces[peerKey];
                var link = TransitGatewayRuleset.Link(peering.AttachmentId);
                links[peering.AttachmentId] = link;
                if (await EnsurePointToPointLinkAsync(ns, peerNs, link, peering.AttachmentId, cancellationToken).ConfigureAwait(false))
                {
                    recreated.Add(ns);
                    recreated.Add(peerNs);
                }
            }
            await RemoveStaleLinksAsync(ns, links.Values.ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
            // Connect peers: a GRE tunnel each, reached over the transport attachment's link, and BGP over it.
            var devices = links.ToDictionary(l => l.Key, l => (IReadOnlyList<string>)[l.Value], StringComparer.Ordinal);
            var bgp = new List<BirdConnect>();
            foreach (var connect in view.Attachments.Where(a => a.ResourceType == "connect" && links.ContainsKey(a.ResourceId)))
            {
                var names = new List<string>();
                foreach (var peer in connect.ConnectPeers)
                {
                    var device = GreDevice(peer.ConnectPeerId);
                    if (await EnsureGreTunnelAsync(ns, device, peer, cancellationToken).ConfigureAwait(false))
                    {
                        recreated.Add(ns);
                    }
                    tunnels.Add(ns + "/" + device);
                    names.Add(device);
                }
                if (names.Count > 0)
                {
                    devices[connect.AttachmentId] = names;
                    bgp.Add(new BirdConnect(connect.AttachmentId, connect.ConnectPeers, AdvertisedRoutes(view, connect)));
                }
            }
            await ApplyRoutingAsync(ns, GatewayRouting(view, devices, links), recreated.Contains(ns), cancellationToken).ConfigureAwait(false);
            if (bgp.Count > 0)
            {
                speakers.Add(ns);
                await QuietlyAsync(() => SyncBirdAsync(ns, gatewayKey, bgp, cancellationToken)).ConfigureAwait(false);
            }
        }
        await QuietlyAsync(() => StopOtherBirdsAsync(speakers)).ConfigureAwait(false);
        await RemoveStaleTunnelsAsync(tunnels).ConfigureAwait(false);

        // Gateways no VPC here is attached to any more: their namespace goes (and its links with it).
        foreach (var (gatewayKey, ns) in record.Namespaces.Where(n => !wanted.ContainsKey(n.Key)).ToList())
        {
            if (File.Exists(NamespacePath(ns)))
            {
                await QuietlyAsync(() => HostCommand.RunAsync("ip", ["netns", "del", ns])).ConfigureAwait(false);
            }
            record.Namespaces.Remove(gatewayKey);
            record.Applied.Remove(ns);
        }
        foreach (var gatewayKey in record.Gateways.Keys.Where(k => !record.Vpcs.Values.SelectMany(a => a).Any(a => k.EndsWith("/" + a.TransitGatewayId, StringComparison.Ordinal))).ToList())
        {
            record.Gateways.Remove(gatewayKey);
        }

        // VPC namespaces: links no longer wanted go; the subnets' routes to the gateways.
        foreach (var vpc in _vpcs.Values.Where(v => File.Exists(NamespacePath(v.Namespace))).OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var links = vpcLinks.GetValueOrDefault(vpc.Key) ?? [];
            await RemoveStaleLinksAsync(vpc.Namespace, links.Select(l => l.Link).ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
            if (links.Count == 0 && !record.Applied.ContainsKey(vpc.Namespace))
            {
                continue;
            }
            await ApplyRoutingAsync(vpc.Namespace, VpcRouting(links), recreated.Contains(vpc.Namespace), cancellationToken).ConfigureAwait(false);
            if (links.Count == 0)
            {
                record.Applied.Remove(vpc.Namespace);
            }
        }
        var live = _vpcs.Values.Select(v => v.Namespace).Concat(record.Namespaces.Values).ToHashSet(StringComparer.Ordinal);
        foreach (var ns in record.Applied.Keys.Where(n => !live.Contains(n)).ToList())
        {
            record.Applied.Remove(ns);
        }
        foreach (var vpcKey in record.Vpcs.Keys.Where(k => !_vpcs.ContainsKey(k) && !_firewalls.ContainsKey(k)).ToList())
        {
            record.Vpcs.Remove(vpcKey);
        }
        SaveGateways();
    }

    /// <summary>
    /// The gateway namespace's policy rules and tables: per attachment's device (a link, or a
    /// Connect peer's tunnel), the table of its route table; routes to an attachment go out of its
    /// first device. What the namespace sends itself (the tunnels' outer packets, answers on the
    /// inside addresses) looks up a table of its own: each Connect peer's address over its
    /// transport attachment's link, each inside block over its tunnel.
    /// </summary>
    internal static string GatewayRouting(TransitGatewayHostView view, IReadOnlyDictionary<string, IReadOnlyList<string>> devices, IReadOnlyDictionary<string, string> links)
    {
        var s = new StringBuilder();
        var tables = view.RouteTables.Select((t, i) => (t, Id: GatewayFirstTable + i)).ToDictionary(x => x.t.RouteTableId, x => x.Id, StringComparer.Ordinal);
        var local = new StringBuilder();
        foreach (var connect in view.Attachments.Where(a => a.ResourceType == "connect" && devices.ContainsKey(a.AttachmentId) && links.ContainsKey(a.ResourceId)))
        {
            foreach (var peer in connect.ConnectPeers)
            {
                local.Append(CultureInfo.InvariantCulture, $"route replace {peer.PeerAddress}/32 dev {links[connect.ResourceId]} table {GatewayLocalTable}\n");
                local.Append(CultureInfo.InvariantCulture, $"route replace {peer.InsideCidr} dev {GreDevice(peer.ConnectPeerId)} table {GatewayLocalTable}\n");
            }
        }
        if (local.Length > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"rule add pref {GatewayLocalRulePriority} iif lo lookup {GatewayLocalTable}\n");
            s.Append(local);
        }
        var rules = new StringBuilder();
        foreach (var attachment in view.Attachments.Where(a => devices.ContainsKey(a.AttachmentId)))
        {
            if (attachment.RouteTableId is { } table && tables.TryGetValue(table, out var id))
            {
                foreach (var device in devices[attachment.AttachmentId])
                {
                    rules.Append(CultureInfo.InvariantCulture, $"rule add pref {GatewayRulePriority} iif {device} lookup {id}\n");
                }
            }
        }
        rules.Append("rule add pref 32000 blackhole\n");
        s.Append(rules);
        // IPv6 takes the same rules (a Connect peer's tunnel carries IPv4 only).
        foreach (var line in rules.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains(" iif gr", StringComparison.Ordinal)))
        {
            s.Append(Ipv6Line).Append(line).Append('\n');
        }
        var used = view.Attachments.Where(a => devices.ContainsKey(a.AttachmentId)).Select(a => a.RouteTableId).ToHashSet(StringComparer.Ordinal);
        foreach (var table in view.RouteTables.Where(t => used.Contains(t.RouteTableId)))
        {
            var id = tables[table.RouteTableId];
            foreach (var route in table.Routes)
            {
                var ipv6 = route.DestinationCidr.Contains(':', StringComparison.Ordinal);
                // A Connect peer's tunnel carries IPv4 only: IPv6 routes to it drop.
                s.Append(ipv6 ? Ipv6Line : "").Append(route.AttachmentId is { } target && devices.TryGetValue(target, out var device)
                    && !(ipv6 && device[0].StartsWith("gr", StringComparison.Ordinal))
                    ? string.Create(CultureInfo.InvariantCulture, $"route replace {route.DestinationCidr} dev {device[0]} table {id}\n")
                    : string.Create(CultureInfo.InvariantCulture, $"route replace blackhole {route.DestinationCidr} table {id}\n"));
            }
        }
        return s.ToString();
    }

    /// <summary>A VPC namespace's rules and tables: each subnet routed to a gateway looks up its own table after the namespace's specific routes.</summary>
    internal static string VpcRouting(IReadOnlyList<(FirewallTransitGateway Attachment, string Link)> links)
    {
        var bySubnet = links.SelectMany(l => l.Attachment.SubnetRoutes.Select(r => (r.SubnetCidr, r.DestinationCidr, l.Link)))
            .GroupBy(r => r.SubnetCidr, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        if (bySubnet.Count == 0)
        {
            return "";
        }
        var s = new StringBuilder();
        static bool IsIpv6(string cidr) => cidr.Contains(':', StringComparison.Ordinal);
        if (bySubnet.Exists(g => !IsIpv6(g.Key)))
        {
            s.Append(CultureInfo.InvariantCulture, $"rule add pref {VpcSpecificRulePriority} lookup main suppress_prefixlength 0\n");
        }
        if (bySubnet.Exists(g => IsIpv6(g.Key)))
        {
            s.Append(CultureInfo.InvariantCulture, $"{Ipv6Line}rule add pref {VpcSpecificRulePriority} lookup main suppress_prefixlength 0\n");
        }
        for (var i = 0; i < bySubnet.Count; i++)
        {
            var table = VpcFirstTable + i;
            var family = IsIpv6(bySubnet[i].Key) ? Ipv6Line : "";
            s.Append(CultureInfo.InvariantCulture, $"{family}rule add pref {VpcSubnetRulePriority} from {bySubnet[i].Key} lookup {table}\n");
            foreach (var route in bySubnet[i].DistinctBy(r => r.DestinationCidr))
            {
                s.Append(CultureInfo.InvariantCulture, $"{family}route replace {route.DestinationCidr} dev {route.Link} table {table}\n");
            }
        }
        return s.ToString();
    }

    /// <summary>The prefix of a routing script's IPv6 lines (run by <c>ip -6 -batch</c>).</summary>
    internal const string Ipv6Line = "-6 ";

    /// <summary>Replaces the rules (of our priorities) and their tables in <paramref name="ns"/> with <paramref name="script"/> when it differs from what was applied.</summary>
    private async Task ApplyRoutingAsync(string ns, string script, bool force, CancellationToken cancellationToken)
    {
        var record = Gateways;
        if (!force && record.Applied.TryGetValue(ns, out var applied) && applied == script)
        {
            return;
        }
        var lines = script.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var v4 = string.Concat(lines.Where(l => !l.StartsWith(Ipv6Line, StringComparison.Ordinal)).Select(l => l + "\n"));
        var v6 = string.Concat(lines.Where(l => l.StartsWith(Ipv6Line, StringComparison.Ordinal)).Select(l => l[Ipv6Line.Length..] + "\n"));
        var reset4 = await RoutingResetAsync(ns, "-4", cancellationToken).ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["-n", ns, "-batch", "-"], reset4 + v4, cancellationToken).ConfigureAwait(false);
        var reset6 = await RoutingResetAsync(ns, "-6", cancellationToken).ConfigureAwait(false);
        if (reset6.Length > 0 || v6.Length > 0)
        {
            await HostCommand.RunAsync("ip", ["-n", ns, "-6", "-batch", "-"], reset6 + v6, cancellationToken).ConfigureAwait(false);
        }
        record.Applied[ns] = script;
        SaveGateways();
    }

    /// <summary>Commands that remove the rules of our priorities of one family (<c>-4</c>/<c>-6</c>) in <paramref name="ns"/> and flush their tables.</summary>
    private static async Task<string> RoutingResetAsync(string ns, string family, CancellationToken cancellationToken)
    {
        var reset = new StringBuilder();
        using (var rules = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-n", ns, family, "-j", "rule", "show"], cancellationToken: cancellationToken).ConfigureAwait(false)))
        {
            var tables = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var rule in rules.RootElement.EnumerateArray())
            {
                var priority = rule.TryGetProperty("priority", out var p) ? p.GetInt32() : -1;
                if (priority is not (VpcSpecificRulePriority or GatewayLocalRulePriority or GatewayRulePriority or 32000))
                {
                    continue;
                }
                if (rule.TryGetProperty("table", out var table) && int.TryParse(table.ToString(), CultureInfo.InvariantCulture, out var id) && id >= GatewayLocalTable)
                {
                    tables.Add(id.ToString(CultureInfo.InvariantCulture));
                }
                reset.Append(CultureInfo.InvariantCulture, $"rule del pref {priority}\n");
            }
            foreach (var table in tables)
            {
                reset.Append(CultureInfo.InvariantCulture, $"route flush table {table}\n");
            }
        }
        return reset.ToString();
    }

    /// <summary>A veth pair <paramref name="link"/> between two namespaces (same name and MAC address on both ends, ARP off); true when it had to be made.</summary>
    private static async Task<bool> EnsurePointToPointLinkAsync(string ns, string peerNs, string link, string attachmentId, CancellationToken cancellationToken)
    {
        if (await LinkExistsAsync(ns, link, cancellationToken).ConfigureAwait(false) && await LinkExistsAsync(peerNs, link, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        await NsIpQuietAsync(ns, "link", "del", link).ConfigureAwait(false);
        await NsIpQuietAsync(peerNs, "link", "del", link).ConfigureAwait(false);
        var mac = LinkMac(attachmentId);
        await NsIpAsync(ns, cancellationToken, "link", "add", link, "address", mac, "type", "veth", "peer", "name", link, "address", mac, "netns", peerNs).ConfigureAwait(false);
        foreach (var side in new[] { ns, peerNs })
        {
            // IPv6 too: with ARP off the link needs no neighbour discovery either (the peer's MAC is its own).
            await HostCommand.RunAsync("ip", ["netns", "exec", side, "sysctl", "-qw", $"net.ipv4.conf.{link}.rp_filter=0", $"net.ipv6.conf.{link}.disable_ipv6=0",
                $"net.ipv6.conf.{link}.accept_ra=0", $"net.ipv6.conf.{link}.accept_dad=0"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await NsIpAsync(side, cancellationToken, "link", "set", link, "arp", "off", "up").ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>The device of a Connect peer's GRE tunnel in its gateway's namespace.</summary>
    internal static string GreDevice(string connectPeerId) => "gr" + Hex8(connectPeerId);

    /// <summary>The tunnel of a Connect peer, with the gateway's address on the namespace's loopback and the inside address on the tunnel; true when it had to be made.</summary>
    private async Task<bool> EnsureGreTunnelAsync(string ns, string device, TransitGatewayHostConnectPeer peer, CancellationToken cancellationToken)
    {
        var key = ns + "/" + device;
        if (_tunnels.TryGetValue(key, out var tunnel))
        {
            if (tunnel.Local == peer.TransitGatewayAddress && tunnel.Remote == peer.PeerAddress && await LinkExistsAsync(ns, device, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
            tunnel.Dispose();
            _tunnels.Remove(key);
        }
        await NsIpAsync(ns, cancellationToken, "addr", "replace", peer.TransitGatewayAddress + "/32", "dev", "lo").ConfigureAwait(false);
        tunnel = GreTunnel.Open(ns, device, peer.TransitGatewayAddress, peer.PeerAddress);
        _tunnels[key] = tunnel;
        var prefix = peer.InsideCidr[(peer.InsideCidr.IndexOf('/', StringComparison.Ordinal) + 1)..];
        await NsIpAsync(ns, cancellationToken, "link", "set", device, "mtu", "1476", "up").ConfigureAwait(false);
        await NsIpAsync(ns, cancellationToken, "addr", "replace", $"{peer.InsideAddress}/{prefix}", "dev", device).ConfigureAwait(false);
        // The gateway's second BGP address (each inside address has a session with the peer).
        await NsIpAsync(ns, cancellationToken, "addr", "replace", $"{peer.SecondInsideAddress}/{prefix}", "dev", device).ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", $"net.ipv4.conf.{device}.rp_filter=0"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Closes the tunnels not in <paramref name="keep"/>, and takes their gateway addresses off the namespace's loopback when no other tunnel there uses them.</summary>
    private async Task RemoveStaleTunnelsAsync(HashSet<string> keep)
    {
        foreach (var (key, tunnel) in _tunnels.Where(t => !keep.Contains(t.Key)).ToList())
        {
            tunnel.Dispose();
            _tunnels.Remove(key);
            var ns = key[..key.IndexOf('/', StringComparison.Ordinal)];
            if (File.Exists(NamespacePath(ns)) && !_tunnels.Any(t => t.Key.StartsWith(ns + "/", StringComparison.Ordinal) && t.Value.Local == tunnel.Local))
            {
                await NsIpQuietAsync(ns, "addr", "del", tunnel.Local + "/32", "dev", "lo").ConfigureAwait(false);
            }
        }
    }

    private static async Task RemoveStaleLinksAsync(string ns, HashSet<string> keep, CancellationToken cancellationToken)
    {
        using var links = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-n", ns, "-j", "link", "show"], cancellationToken: cancellationToken).ConfigureAwait(false));
        foreach (var name in links.RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString() ?? "").Where(n => n.StartsWith("tx", StringComparison.Ordinal)).ToList())
        {
            if (!keep.Contains(name))
            {
                await NsIpQuietAsync(ns, "link", "del", name).ConfigureAwait(false);
            }
        }
    }

    private string NewGatewayNamespaceName(string gatewayKey)
    {
        for (var i = 0; ; i++)
        {
            var name = "stg-" + Hex8(i == 0 ? $"{GuardTable}/{gatewayKey}" : $"{GuardTable}/{gatewayKey}#{i}");
            if (!File.Exists(NamespacePath(name)) && !Gateways.Namespaces.ContainsValue(name))
            {
                return name;
            }
        }
    }

    /// <summary>A locally administered unicast MAC address for both ends of an attachment's link.</summary>
    private static string LinkMac(string attachmentId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(attachmentId));
        return "02:" + string.Join(':', hash.Take(5).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
