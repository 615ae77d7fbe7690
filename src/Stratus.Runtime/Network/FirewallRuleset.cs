using System.Globalization;
using System.Text;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;

namespace Stratus.Runtime.Network;

/// <summary>
/// Turns a <see cref="VpcFirewall"/> into the nftables table <c>ip stratus_fw</c> of the VPC's
/// network namespace (pure: text in, text out). The namespace's bridge passes bridged IPv4
/// through the IP hooks (br_netfilter), so one <c>forward</c> chain sees traffic between two
/// guests of a subnet, between subnets (routed by the bridge's router addresses) and to or from
/// the uplink (the host: public addresses, other VPCs). Guests are told apart by address: the
/// bridge table drops any packet whose source address is not its port's interface's own.
/// <list type="bullet">
/// <item>Instance metadata (169.254.169.254), DHCP and the VPC's DNS address are never filtered, as on AWS.</item>
/// <item>Subnets whose route table has no 0.0.0.0/0 route to an internet gateway: their public
/// addresses are not reachable and their guests start no flows out through the uplink.</item>
/// <item>Network ACLs, stateless: every packet crossing a subnet's boundary (not traffic inside
/// the subnet) passes the source subnet's outbound entries and the destination subnet's inbound
/// entries, lowest rule number first; the first match allows or denies; no match denies.</item>
/// <item>Security groups, stateful: packets of tracked flows (established, related) pass; a new
/// flow must be allowed by the outbound rules of the source interface's groups (when it comes
/// from a guest) and by the inbound rules of the destination interface's groups (when it goes to
/// a guest). Several groups union their rules. Group references are named sets of the member
/// interfaces' private addresses. Removing a rule stops new flows; tracked flows continue.</item>
/// <item>Load balancer nodes (the server's own sockets in the namespace at a node's address): flows
/// from guests to them pass the guest's outbound and the node's inbound rules (<c>input</c>); their
/// flows to targets pass the node's outbound and the target's inbound rules (<c>output</c>).</item>
/// </list>
/// The text deletes and recreates the table in one <c>nft -f</c> transaction, so the change is
/// atomic and connection-tracking entries (which live outside the table) survive it.
/// </summary>
public static class FirewallRuleset
{
    /// <summary>The table's name (family <c>ip</c>) in each VPC namespace.</summary>
    public const string Table = "stratus_fw";

    /// <summary>Text that removes the table (when no firewall is known for the VPC).</summary>
    public static string Remove => $"table ip {Table}\ndelete table ip {Table}\n";

    /// <summary>The ruleset for <paramref name="firewall"/>; <paramref name="dnsAddress"/> is the VPC's DNS address (VPC base + 2).</summary>
    public static string Compile(VpcFirewall firewall, string dnsAddress)
    {
        ArgumentNullException.ThrowIfNull(firewall);
        ArgumentException.ThrowIfNullOrEmpty(dnsAddress);
        var s = new StringBuilder();
        s.Append(Remove);
        s.Append(CultureInfo.InvariantCulture, $"table ip {Table} {{\n");

        // Named sets: group members and prefix lists (referenced by rules; may be empty).
        var groupSets = firewall.GroupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.Group).Select(r => r.Peer)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var group in groupSets)
        {
            AppendSet(s, "g_" + Name(group), firewall.GroupMembers.GetValueOrDefault(group) ?? [], interval: false);
        }
        var prefixSets = firewall.GroupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.PrefixList).Select(r => r.Peer)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var list in prefixSets)
        {
            AppendSet(s, "pl_" + Name(list), firewall.PrefixLists.GetValueOrDefault(list) ?? [], interval: true);
        }

        // Interface address → its chains.
        var interfaces = firewall.Interfaces.Where(i => i.PrivateIps.Count > 0).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var egressMap = new List<string>();
        var ingressMap = new List<string>();
        foreach (var eni in interfaces)
        {
            foreach (var ip in eni.PrivateIps.Where(seen.Add))
            {
                egressMap.Add($"{ip} : jump sg_out_{Name(eni.NetworkInterfaceId)}");
                if (!eni.LoadBalancerNode || eni.GroupIds.Count > 0)
                {
                    ingressMap.Add($"{ip} : jump sg_in_{Name(eni.NetworkInterfaceId)}");
                }
            }
        }
        AppendMap(s, "eni_egress", egressMap);
        AppendMap(s, "eni_ingress", ingressMap);
        AppendSet(s, "lb_nodes", interfaces.Where(i => i.LoadBalancerNode).SelectMany(i => i.PrivateIps).Distinct(StringComparer.Ordinal).ToList(), interval: false);
        // A node's connections to targets: its groups' outbound rules (an NLB node without groups has
        // none to pass), then the target's inbound rules (sg_ingress).
        var nodeEgress = new HashSet<string>(StringComparer.Ordinal);
        AppendMap(s, "lb_egress", interfaces.Where(i => i.LoadBalancerNode).SelectMany(i => i.PrivateIps.Where(nodeEgress.Add)
            .Select(ip => i.GroupIds.Count > 0 ? $"{ip} : jump sg_out_{Name(i.NetworkInterfaceId)}" : $"{ip} : goto sg_ingress")).ToList());
        if (firewall.FlowLogged)
        {
            FlowLogRuleset.AppendSets(s);
        }
        foreach (var nat in firewall.NatGateways)
        {
            foreach (var kind in NatCounterKinds)
            {
                s.Append(CultureInfo.InvariantCulture, $"\tcounter {NatCounter(kind, nat.NatGatewayId)} {{\n\t}}\n");
            }
        }

        // The namespace itself: DHCP, DNS and ping of the router; nothing else from guests.
        s.Append("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n");
        s.Append("\t\tct state established,related accept\n");
        s.Append("\t\tiifname \"lo\" accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{LinuxHostNetwork.Bridge}\" udp dport 67 accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{LinuxHostNetwork.Bridge}\" ip daddr {dnsAddress} udp dport 53 accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{LinuxHostNetwork.Bridge}\" ip daddr {dnsAddress} tcp dport 53 accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{LinuxHostNetwork.Bridge}\" icmp type echo-request accept\n");
        // Load balancer nodes (listeners of the server itself): the guest's outbound rules, then the node's inbound ones.
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{LinuxHostNetwork.Bridge}\" ip daddr @lb_nodes ip saddr vmap @eni_egress\n");
        s.Append("\t}\n");
        // Load balancer nodes to their targets: the server's sockets in the namespace bound to a node's
        // address, so locally originated (the output hook, not forward). The target sees the node's
        // address as the source, which its groups' references to the load balancer's groups match.
        s.Append("\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n");
        s.Append("\t\tct state established,related accept\n");
        s.Append("\t\tip saddr vmap @lb_egress\n");
        s.Append("\t}\n");

        var up = LinuxHostNetwork.NamespaceUplink;
        s.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n");
        s.Append("\t\tct original ip daddr 169.254.169.254 accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" oifname \"{up}\" drop\n");
        // VPC Block Public Access (block-ingress, allow-egress): flows out, nothing in from the internet.
        foreach (var subnet in firewall.Subnets.Where(x => x.Public && x.PublicIngressBlocked))
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" ip daddr {subnet.Cidr} ct status dnat drop\n");
        }
        foreach (var subnet in firewall.Subnets.Where(x => !x.Public))
        {
            // Narrower routes to an internet gateway (a CIDR or a prefix list's blocks) open the subnet's
            // public addresses to those sources, and routes to gateways let flows out to their destinations.
            var inward = subnet.GatewayRoutes.Any(r => r.ThroughInternetGateway) && !subnet.PublicIngressBlocked;
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" ip daddr {subnet.Cidr} ct status dnat {(inward ? "jump gw_in_" + Name(subnet.SubnetId) : "drop")}\n");
            if (subnet.NatAddress is null)
            {
                s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{up}\" ip saddr {subnet.Cidr} ct direction original {(subnet.GatewayRoutes.Count > 0 ? "jump gw_out_" + Name(subnet.SubnetId) : "drop")}\n");
            }
        }
        // Peering links: only the peer's addresses come in, only to this VPC's guests (peering is not
        // transitive), and only between subnets whose route tables send the other side's block there.
        foreach (var peering in firewall.Peerings)
        {
            var link = PeeringLink(peering.PeeringConnectionId);
            var name = Name(peering.PeeringConnectionId);
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" ip saddr != {{ {string.Join(", ", peering.PeerCidrs)} }} drop\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" oifname != \"{LinuxHostNetwork.Bridge}\" drop\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{link}\" ct direction original jump peer_out_{name}\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" ct direction original jump peer_in_{name}\n");
        }
        TransitGatewayRuleset.AppendForward(s, firewall);
        foreach (var subnet in firewall.Subnets)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\tip saddr {subnet.Cidr} ip daddr != {subnet.Cidr} jump acl_out_{Name(subnet.SubnetId)}\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tip daddr {subnet.Cidr} ip saddr != {subnet.Cidr} jump acl_in_{Name(subnet.SubnetId)}\n");
        }
        s.Append("\t\tct state established,related accept\n");
        // From a guest: its outbound rules decide, and an allowed flow goes on to the inbound check.
        s.Append("\t\tip saddr vmap @eni_egress\n");
        s.Append("\t\tgoto sg_ingress\n\t}\n");
        // To a guest: its inbound rules decide; routed through a guest (a route to an instance or
        // interface): that guest's inbound rules decide; anywhere else (the uplink): allowed.
        s.Append("\tchain sg_ingress {\n\t\tip daddr vmap @eni_ingress\n");
        if (firewall.Subnets.Any(x => x.ApplianceRoutes.Count > 0))
        {
            s.Append("\t\trt ip nexthop vmap @eni_ingress\n");
        }
        s.Append("\t\taccept\n\t}\n");

        foreach (var peering in firewall.Peerings)
        {
            AppendPeering(s, firewall, peering.PeeringConnectionId, outbound: true);
            AppendPeering(s, firewall, peering.PeeringConnectionId, outbound: false);
        }
        TransitGatewayRuleset.AppendChains(s, firewall);
        foreach (var subnet in firewall.Subnets.Where(x => !x.Public && x.GatewayRoutes.Count > 0))
        {
            AppendGatewayRoutes(s, subnet);
        }
        foreach (var subnet in firewall.Subnets)
        {
            AppendAcl(s, subnet, egress: true, firewall.FlowLogged);
            AppendAcl(s, subnet, egress: false, firewall.FlowLogged);
        }
        if (firewall.FlowLogged)
        {
            FlowLogRuleset.AppendChains(s);
        }
        // Each interface: its groups in turn (their union), nothing matching → drop.
        foreach (var eni in interfaces)
        {
            foreach (var egress in new[] { true, false })
            {
                s.Append(CultureInfo.InvariantCulture, $"\tchain sg_{(egress ? "out" : "in")}_{Name(eni.NetworkInterfaceId)} {{\n");
                foreach (var group in eni.GroupIds.Where(firewall.GroupRules.ContainsKey))
                {
                    s.Append(CultureInfo.InvariantCulture, $"\t\tjump grp_{(egress ? "out" : "in")}_{Name(group)}\n");
                }
                s.Append(CultureInfo.InvariantCulture, $"\t\t{Deny(egress, firewall.FlowLogged)}\n\t}}\n");
            }
        }
        // Each group once, shared by its interfaces: an outbound match goes on to the inbound
        // check (which ends in a verdict), an inbound match accepts.
        foreach (var (group, rules) in firewall.GroupRules.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            AppendGroup(s, group, rules, egress: true);
            AppendGroup(s, group, rules, egress: false);
        }
        // NAT gateways: new flows of subnets routed to one leave from its Elastic IP (guests with a
        // public address of their own were translated already by the namespace's own nat chain,
        // which runs first; metadata requests keep their source).
        // Narrower routes first (longest prefix wins): one to an internet gateway leaves the address as
        // it is, one to a NAT gateway translates. Private NAT gateways translate what they pass on to a
        // peering connection or a transit gateway to their private addresses.
        var natted = firewall.Subnets.Where(x => x.NatAddress is not null || x.GatewayRoutes.Any(r => !r.ThroughInternetGateway) || x.PrivateNatRoutes.Count > 0).ToList();
        if (natted.Count > 0)
        {
            s.Append("\tchain nat_gateways {\n\t\ttype nat hook postrouting priority srcnat + 10; policy accept;\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{up}\" ct status dnat return\n");
            foreach (var subnet in natted)
            {
                if (subnet.NatAddress is not null || subnet.GatewayRoutes.Any(r => !r.ThroughInternetGateway))
                {
                    foreach (var route in LongestFirst(subnet.GatewayRoutes, r => r.DestinationCidr))
                    {
                        s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{up}\" ip saddr {subnet.Cidr}{DestinationMatch(route.DestinationCidr)} {(route.ThroughInternetGateway ? "return" : SnatTo(route.NatAddresses))}\n");
                    }
                }
                if (subnet.NatAddress is not null)
                {
                    s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{up}\" ip saddr {subnet.Cidr} {SnatTo(subnet.NatAddresses.Count > 0 ? subnet.NatAddresses : [subnet.NatAddress])}\n");
                }
                foreach (var route in LongestFirst(subnet.PrivateNatRoutes, r => r.DestinationCidr))
                {
                    var link = route.PeeringConnectionId is { } pcx ? PeeringLink(pcx) : TransitGatewayRuleset.Link(route.TransitGatewayAttachmentId!);
                    s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{link}\" ip saddr {subnet.Cidr}{DestinationMatch(route.DestinationCidr)} {SnatTo(route.Addresses)}\n");
                }
            }
            s.Append("\t}\n");
        }
        // NAT gateway metrics: after the translation (srcnat + 10), a flow's reply tuple names the gateway's
        // address; its packets out (original direction), back (reply direction) and new flows are counted.
        if (firewall.NatGateways.Count > 0)
        {
            s.Append("\tchain nat_counters {\n\t\ttype filter hook postrouting priority srcnat + 20; policy accept;\n");
            foreach (var nat in firewall.NatGateways)
            {
                var addresses = nat.Addresses.Count == 1 ? nat.Addresses[0] : "{ " + string.Join(", ", nat.Addresses) + " }";
                s.Append(CultureInfo.InvariantCulture, $"\t\tct direction original ct reply ip daddr {addresses} counter name {NatCounter('o', nat.NatGatewayId)}\n");
                s.Append(CultureInfo.InvariantCulture, $"\t\tct direction reply ct reply ip daddr {addresses} counter name {NatCounter('i', nat.NatGatewayId)}\n");
                s.Append(CultureInfo.InvariantCulture, $"\t\tct state new ct reply ip daddr {addresses} counter name {NatCounter('n', nat.NatGatewayId)}\n");
            }
            s.Append("\t}\n");
        }
        s.Append("}\n");
        return s.ToString();
    }

    private static readonly char[] NatCounterKinds = ['o', 'i', 'n'];

    /// <summary>
    /// The name of a NAT gateway's counter in the table: <c>nat_o_&lt;id&gt;</c> (packets it sent on),
    /// <c>nat_i_&lt;id&gt;</c> (packets it got back), <c>nat_n_&lt;id&gt;</c> (flows it translated).
    /// </summary>
    internal static string NatCounter(char kind, string natGatewayId) => $"nat_{kind}_{Name(natGatewayId)}";

    /// <summary>The NAT gateway counters in the JSON of <c>nft -j list counters table ip stratus_fw</c>.</summary>
    internal static List<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter> ParseNatCounters(string json)
    {
        var byGateway = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("nftables", out var items))
        {
            return [];
        }
        foreach (var item in items.EnumerateArray())
        {
            if (!item.TryGetProperty("counter", out var counter) || counter.ValueKind != System.Text.Json.JsonValueKind.Object
                || counter.GetProperty("name").GetString() is not { Length: > 6 } name || !name.StartsWith("nat_", StringComparison.Ordinal) || name[5] != '_')
            {
                continue;
            }
            var kind = Array.IndexOf(NatCounterKinds, name[4]);
            if (kind < 0)
            {
                continue;
            }
            // nat_<kind>_nat_<hex> → nat-<hex>
            var id = name[6..];
            id = id.StartsWith("nat_", StringComparison.Ordinal) ? "nat-" + id[4..] : id;
            var values = byGateway.TryGetValue(id, out var known) ? known : byGateway[id] = new long[6];
            values[kind * 2] = counter.GetProperty("packets").GetInt64();
            values[kind * 2 + 1] = counter.GetProperty("bytes").GetInt64();
        }
        return [.. byGateway.Select(g => new Stratus.Domain.Vpc.NatGateways.NatGatewayCounter(g.Key, g.Value[0], g.Value[1], g.Value[2], g.Value[3], g.Value[4]))];
    }

    /// <summary>The device name, in both VPCs' namespaces, of the link a peering connection's traffic takes.</summary>
    public static string PeeringLink(string peeringConnectionId) => "px" + LinuxHostNetwork.Hex8(peeringConnectionId);

    /// <summary>
    /// New flows across a peering link: out, a subnet's flow passes when its route table sends the
    /// destination to the connection; in, when the destination subnet's route table sends the source
    /// back through it (AWS needs routes on both sides). Anything else is dropped.
    /// </summary>
    private static void AppendPeering(StringBuilder s, VpcFirewall firewall, string peeringId, bool outbound)
    {
        s.Append(CultureInfo.InvariantCulture, $"\tchain peer_{(outbound ? "out" : "in")}_{Name(peeringId)} {{\n");
        foreach (var subnet in firewall.Subnets)
        {
            var destinations = subnet.PeerRoutes.Where(r => r.PeeringConnectionId == peeringId).Select(r => r.DestinationCidr).Distinct(StringComparer.Ordinal).ToList();
            if (destinations.Count == 0)
            {
                continue;
            }
            var (local, remote) = outbound ? ("saddr", "daddr") : ("daddr", "saddr");
            s.Append(CultureInfo.InvariantCulture, $"\t\tip {local} {subnet.Cidr} ip {remote} {{ {string.Join(", ", destinations)} }} return\n");
        }
        // Through a private NAT gateway: out only (translated on the way, see nat_gateways); nothing
        // from the peer starts a flow to the subnet behind the gateway.
        foreach (var subnet in outbound ? firewall.Subnets : [])
        {
            var translated = subnet.PrivateNatRoutes.Where(r => r.PeeringConnectionId == peeringId).Select(r => r.DestinationCidr).Distinct(StringComparer.Ordinal).ToList();
            if (translated.Count > 0)
            {
                s.Append(CultureInfo.InvariantCulture, $"\t\tip saddr {subnet.Cidr} ip daddr {{ {string.Join(", ", translated)} }} return\n");
            }
        }
        s.Append("\t\tdrop\n\t}\n");
    }

    /// <summary>
    /// A subnet's narrower routes to gateways, longest prefix first: out, their destinations may be
    /// reached (<c>gw_out_&lt;subnet&gt;</c>); in, new flows to its public addresses come only from
    /// destinations routed to an internet gateway (<c>gw_in_&lt;subnet&gt;</c>; a NAT gateway route
    /// wins over a wider internet gateway one). Anything else is dropped.
    /// </summary>
    private static void AppendGatewayRoutes(StringBuilder s, FirewallSubnet subnet)
    {
        var name = Name(subnet.SubnetId);
        s.Append(CultureInfo.InvariantCulture, $"\tchain gw_out_{name} {{\n");
        foreach (var route in LongestFirst(subnet.GatewayRoutes, r => r.DestinationCidr))
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\tip daddr {route.DestinationCidr} return\n");
        }
        s.Append("\t\tdrop\n\t}\n");
        if (subnet.GatewayRoutes.Any(r => r.ThroughInternetGateway) && !subnet.PublicIngressBlocked)
        {
            s.Append(CultureInfo.InvariantCulture, $"\tchain gw_in_{name} {{\n");
            foreach (var route in LongestFirst(subnet.GatewayRoutes, r => r.DestinationCidr))
            {
                s.Append(CultureInfo.InvariantCulture, $"\t\tip saddr {route.DestinationCidr} {(route.ThroughInternetGateway ? "return" : "drop")}\n");
            }
            s.Append("\t\tdrop\n\t}\n");
        }
    }

    /// <summary>Routes ordered as a routing table picks them: longest prefix first (then by destination, for a stable text).</summary>
    private static IEnumerable<T> LongestFirst<T>(IEnumerable<T> routes, Func<T, string> destination) =>
        routes.OrderByDescending(r => PrefixLength(destination(r))).ThenBy(destination, StringComparer.Ordinal);

    private static int PrefixLength(string cidr) =>
        cidr.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? int.Parse(cidr.AsSpan(slash + 1), CultureInfo.InvariantCulture) : 32;

    /// <summary><c> ip daddr &lt;block&gt;</c>, or nothing for 0.0.0.0/0.</summary>
    private static string DestinationMatch(string cidr) => cidr == "0.0.0.0/0" ? "" : " ip daddr " + cidr;

    /// <summary>
    /// A source translation to one address, or spread over several: each new flow takes the next
    /// address in turn (replies follow the flow's translation).
    /// </summary>
    private static string SnatTo(IReadOnlyList<string> addresses) => addresses.Count == 1
        ? "snat to " + addresses[0]
        : string.Create(CultureInfo.InvariantCulture, $"snat to numgen inc mod {addresses.Count} map {{ {string.Join(", ", addresses.Select((a, i) => $"{i} : {a}"))} }}");

    /// <summary>An nftables identifier for an AWS id (<c>sg-0ab…</c> → <c>sg_0ab…</c>).</summary>
    internal static string Name(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));

    private static void AppendSet(StringBuilder s, string name, IReadOnlyList<string> elements, bool interval)
    {
        s.Append(CultureInfo.InvariantCulture, $"\tset {name} {{\n\t\ttype ipv4_addr\n");
        if (interval)
        {
            s.Append("\t\tflags interval\n\t\tauto-merge\n");
        }
        if (elements.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\telements = {{ {string.Join(", ", elements)} }}\n");
        }
        s.Append("\t}\n");
    }

    private static void AppendMap(StringBuilder s, string name, List<string> elements)
    {
        s.Append(CultureInfo.InvariantCulture, $"\tmap {name} {{\n\t\ttype ipv4_addr : verdict\n");
        if (elements.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\telements = {{ {string.Join(", ", elements)} }}\n");
        }
        s.Append("\t}\n");
    }

    private static void AppendAcl(StringBuilder s, FirewallSubnet subnet, bool egress, bool flowLogged) =>
        RuleRenderer.AppendAcl(s, RuleFamily.Ipv4, subnet.SubnetId, subnet.AclEntries, egress, Deny(egress, flowLogged));

    /// <summary>What a security group or network ACL drop does: drop, or count for flow logs and drop.</summary>
    private static string Deny(bool egress, bool flowLogged) =>
        !flowLogged ? "drop" : egress ? FlowLogRuleset.RejectLeaving : FlowLogRuleset.RejectArriving;

    private static void AppendGroup(StringBuilder s, string group, IReadOnlyList<EffectiveRule> rules, bool egress) =>
        RuleRenderer.AppendGroup(s, RuleFamily.Ipv4, group, rules, egress, (rule, peer) => rule.PeerKind switch
        {
            PeerKind.CidrIpv6 => null, // IPv6 peers never match IPv4
            PeerKind.CidrIpv4 when rule.Peer != "0.0.0.0/0" => $"ip {peer} {rule.Peer}",
            PeerKind.Group => $"ip {peer} @g_{Name(rule.Peer)}",
            PeerKind.PrefixList => $"ip {peer} @pl_{Name(rule.Peer)}",
            _ => "",
        });
}
