using System.Globalization;
using System.Text;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.Ipv6;

namespace Stratus.Runtime.Network;

/// <summary>
/// The IPv6 half of a VPC's packet filter: the nftables table <c>ip6 stratus_fw6</c> of the VPC's
/// namespace, from the same <see cref="VpcFirewall"/> as the IPv4 table (pure: text in, text out).
/// The bridge passes bridged IPv6 through the IP hooks too (<c>bridge-nf-call-ip6tables</c>), so
/// one <c>forward</c> chain sees traffic between guests of a subnet and between subnets (routed by
/// the subnets' IPv6 router addresses on the bridge).
/// <list type="bullet">
/// <item>ICMPv6 neighbour and router discovery (and MLD) always pass, as on AWS; the router
/// addresses answer echo requests.</item>
/// <item>Network ACLs: the IPv6 entries (<c>Ipv6CidrBlock</c>) of the subnets' ACLs, stateless, on
/// every packet crossing a subnet's IPv6 boundary.</item>
/// <item>Security groups: rules with IPv6 peers (<c>Ipv6Ranges</c>), group references (the IPv6
/// addresses of the member interfaces) and ICMPv6 (protocol 58) rules; IPv4 peers and ICMP
/// (protocol 1) rules never match IPv6. Stateful as for IPv4.</item>
/// <item>Link-local and other sources that are not a guest's IPv6 address are dropped (besides
/// discovery).</item>
/// <item>The uplink (the host, and the internet beyond it): a subnet's new flows leave only to
/// destinations its route table sends to an internet gateway or an egress-only internet gateway,
/// and new flows come in only from sources routed to an internet gateway (longest prefix first);
/// replies of tracked flows pass. Subnets without such routes exchange nothing with the uplink.</item>
/// <item>Instance metadata at <c>[fd00:ec2::254]:80</c>, DNATed by the namespace to the host for
/// instances with <c>HttpProtocolIpv6</c> enabled, is never filtered; anything else to that address
/// is dropped.</item>
/// </list>
/// </summary>
public static class Ipv6Ruleset
{
    /// <summary>The table's name (family <c>ip6</c>) in each VPC namespace.</summary>
    public const string Table = "stratus_fw6";

    /// <summary>The metadata service's IPv6 address, as on EC2.</summary>
    public const string MetadataAddress = "fd00:ec2::254";

    /// <summary>ICMPv6 types that always pass: router and neighbour discovery, MLD.</summary>
    internal const string Discovery = "{ nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect, mld-listener-query, mld-listener-report, mld2-listener-report }";

    /// <summary>The table for <paramref name="firewall"/> (text that only removes it when the VPC has no IPv6).</summary>
    public static string Compile(VpcFirewall firewall)
    {
        ArgumentNullException.ThrowIfNull(firewall);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"table ip6 {Table}\ndelete table ip6 {Table}\n");
        if (firewall.Ipv6 is not { } v6)
        {
            return s.ToString();
        }
        var bridge = LinuxHostNetwork.Bridge;
        s.Append(CultureInfo.InvariantCulture, $"table ip6 {Table} {{\n");
        foreach (var (group, members) in v6.GroupMembers)
        {
            s.Append(CultureInfo.InvariantCulture, $"\tset g6_{FirewallRuleset.Name(group)} {{\n\t\ttype ipv6_addr\n");
            if (members.Count > 0)
            {
                s.Append(CultureInfo.InvariantCulture, $"\t\telements = {{ {string.Join(", ", members)} }}\n");
            }
            s.Append("\t}\n");
        }
        var interfaces = v6.Interfaces.Where(i => firewall.Interfaces.Any(f => f.NetworkInterfaceId == i.NetworkInterfaceId)).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var egress = new List<string>();
        var ingress = new List<string>();
        foreach (var eni in interfaces)
        {
            foreach (var address in eni.Addresses.Where(seen.Add))
            {
                egress.Add($"{address} : jump sg6_out_{FirewallRuleset.Name(eni.NetworkInterfaceId)}");
                ingress.Add($"{address} : jump sg6_in_{FirewallRuleset.Name(eni.NetworkInterfaceId)}");
            }
        }
        AppendMap(s, "eni6_egress", egress);
        AppendMap(s, "eni6_ingress", ingress);

        s.Append("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n");
        s.Append("\t\tct state established,related accept\n\t\tiifname \"lo\" accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\ticmpv6 type {Discovery} accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{bridge}\" icmpv6 type echo-request accept\n\t}}\n");

        var up = LinuxHostNetwork.NamespaceUplink;
        s.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\ticmpv6 type {Discovery} accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tct status dnat ct original ip6 daddr {MetadataAddress} accept\n\t\tip6 daddr {MetadataAddress} drop\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" oifname \"{up}\" drop\n");
        s.Append("\t\tip6 saddr fe80::/10 drop\n\t\tip6 daddr ff00::/8 drop\n");
        var routed = v6.Subnets.Where(x => x.InternetRoutes.Count > 0).ToList();
        if (routed.Count == 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" drop\n\t\toifname \"{up}\" drop\n");
        }
        else
        {
            foreach (var subnet in routed)
            {
                var name = FirewallRuleset.Name(subnet.SubnetId);
                s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{up}\" ip6 saddr {subnet.Ipv6Cidr} ct direction original jump inet6_out_{name}\n");
                s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" ip6 daddr {subnet.Ipv6Cidr} ct direction original jump inet6_in_{name}\n");
            }
            var blocks = string.Join(", ", routed.Select(x => x.Ipv6Cidr));
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{up}\" ip6 daddr != {{ {blocks} }} drop\n\t\toifname \"{up}\" ip6 saddr != {{ {blocks} }} drop\n");
        }
        var links = AppendLinks(s, firewall);
        foreach (var subnet in v6.Subnets)
        {
            var name = FirewallRuleset.Name(subnet.SubnetId);
            s.Append(CultureInfo.InvariantCulture, $"\t\tip6 saddr {subnet.Ipv6Cidr} ip6 daddr != {subnet.Ipv6Cidr} jump acl6_out_{name}\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tip6 daddr {subnet.Ipv6Cidr} ip6 saddr != {subnet.Ipv6Cidr} jump acl6_in_{name}\n");
        }
        s.Append("\t\tct state established,related accept\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tip6 saddr vmap @eni6_egress\n\t\tiifname \"{up}\" goto sg6_ingress\n");
        if (links.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname {{ {string.Join(", ", links.Select(l => $"\"{l}\""))} }} goto sg6_ingress\n");
        }
        s.Append("\t\tdrop\n\t}\n");
        s.Append("\tchain sg6_ingress {\n\t\tip6 daddr vmap @eni6_ingress\n\t\taccept\n\t}\n");

        foreach (var subnet in routed)
        {
            AppendInternet(s, subnet);
        }
        AppendLinkChains(s, firewall, v6);
        foreach (var subnet in v6.Subnets)
        {
            AppendAcl(s, subnet, egress: true);
            AppendAcl(s, subnet, egress: false);
        }
        foreach (var eni in interfaces)
        {
            var groups = firewall.Interfaces.First(f => f.NetworkInterfaceId == eni.NetworkInterfaceId).GroupIds;
            foreach (var outbound in new[] { true, false })
            {
                s.Append(CultureInfo.InvariantCulture, $"\tchain sg6_{(outbound ? "out" : "in")}_{FirewallRuleset.Name(eni.NetworkInterfaceId)} {{\n");
                foreach (var group in groups.Where(firewall.GroupRules.ContainsKey))
                {
                    s.Append(CultureInfo.InvariantCulture, $"\t\tjump grp6_{(outbound ? "out" : "in")}_{FirewallRuleset.Name(group)}\n");
                }
                s.Append("\t\tdrop\n\t}\n");
            }
        }
        foreach (var (group, rules) in firewall.GroupRules.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            AppendGroup(s, group, rules, v6, egress: true);
            AppendGroup(s, group, rules, v6, egress: false);
        }
        s.Append("}\n");
        return s.ToString();
    }

    /// <summary>
    /// Peering and transit gateway links, as for IPv4: from a peering link only the peer VPC's IPv6
    /// blocks come in, and anything from a link goes only to this VPC's guests; new flows go out to a
    /// link only from subnets whose route table sends the destination there (<c>peer6_out_…</c>,
    /// <c>tgw6_out_…</c>) and come in only to subnets whose route table sends the source back
    /// (<c>peer6_in_…</c>, <c>tgw6_in_…</c>). Returns the links' device names.
    /// </summary>
    private static List<string> AppendLinks(StringBuilder s, VpcFirewall firewall)
    {
        var links = new List<string>();
        foreach (var peering in firewall.Peerings)
        {
            var link = FirewallRuleset.PeeringLink(peering.PeeringConnectionId);
            var name = FirewallRuleset.Name(peering.PeeringConnectionId);
            links.Add(link);
            s.Append(peering.PeerIpv6Cidrs.Count == 0
                ? $"\t\tiifname \"{link}\" drop\n"
                : $"\t\tiifname \"{link}\" ip6 saddr != {{ {string.Join(", ", peering.PeerIpv6Cidrs)} }} drop\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" oifname != \"{LinuxHostNetwork.Bridge}\" drop\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{link}\" ct direction original jump peer6_out_{name}\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" ct direction original jump peer6_in_{name}\n");
        }
        foreach (var gateway in firewall.TransitGateways)
        {
            var link = TransitGatewayRuleset.Link(gateway.AttachmentId);
            var name = FirewallRuleset.Name(gateway.AttachmentId);
            links.Add(link);
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" oifname != \"{LinuxHostNetwork.Bridge}\" drop\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{link}\" ct direction original jump tgw6_out_{name}\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" ct direction original jump tgw6_in_{name}\n");
        }
        return links;
    }

    private static void AppendLinkChains(StringBuilder s, VpcFirewall firewall, FirewallIpv6 v6)
    {
        foreach (var peering in firewall.Peerings)
        {
            var routes = v6.Subnets.SelectMany(x => x.PeerRoutes.Where(r => r.PeeringConnectionId == peering.PeeringConnectionId).Select(r => (x.Ipv6Cidr, r.DestinationCidr)));
            AppendRouteChains(s, "peer6", FirewallRuleset.Name(peering.PeeringConnectionId), routes);
        }
        foreach (var gateway in firewall.TransitGateways)
        {
            AppendRouteChains(s, "tgw6", FirewallRuleset.Name(gateway.AttachmentId), gateway.SubnetRoutes.Where(r => r.IsIpv6).Select(r => (r.SubnetCidr, r.DestinationCidr)));
        }
    }

    /// <summary>Chains <c>&lt;prefix&gt;_out_&lt;name&gt;</c> and <c>&lt;prefix&gt;_in_&lt;name&gt;</c>: a subnet's routes to the link, either way.</summary>
    private static void AppendRouteChains(StringBuilder s, string prefix, string name, IEnumerable<(string SubnetCidr, string DestinationCidr)> routes)
    {
        var list = routes.Distinct().OrderBy(r => r.SubnetCidr, StringComparer.Ordinal).ThenBy(r => r.DestinationCidr, StringComparer.Ordinal).ToList();
        foreach (var outbound in new[] { true, false })
        {
            s.Append(CultureInfo.InvariantCulture, $"\tchain {prefix}_{(outbound ? "out" : "in")}_{name} {{\n");
            var (local, remote) = outbound ? ("saddr", "daddr") : ("daddr", "saddr");
            foreach (var (subnet, destination) in list)
            {
                var match = destination == "::/0" ? "" : $" ip6 {remote} {destination}";
                s.Append(CultureInfo.InvariantCulture, $"\t\tip6 {local} {subnet}{match} return\n");
            }
            s.Append("\t\tdrop\n\t}\n");
        }
    }

    private static void AppendMap(StringBuilder s, string name, List<string> elements)
    {
        s.Append(CultureInfo.InvariantCulture, $"\tmap {name} {{\n\t\ttype ipv6_addr : verdict\n");
        if (elements.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\telements = {{ {string.Join(", ", elements)} }}\n");
        }
        s.Append("\t}\n");
    }

    /// <summary>
    /// Chains <c>inet6_{out,in}_&lt;subnet&gt;</c>: new flows out pass to any destination routed to an
    /// internet or egress-only internet gateway; new flows in pass from sources routed to an internet
    /// gateway, the longest matching route deciding (an egress-only route refuses them).
    /// </summary>
    private static void AppendInternet(StringBuilder s, FirewallIpv6Subnet subnet)
    {
        var name = FirewallRuleset.Name(subnet.SubnetId);
        s.Append(CultureInfo.InvariantCulture, $"\tchain inet6_out_{name} {{\n");
        foreach (var route in subnet.InternetRoutes)
        {
            s.Append(route.DestinationCidr == "::/0" ? "\t\treturn\n" : $"\t\tip6 daddr {route.DestinationCidr} return\n");
        }
        s.Append("\t\tdrop\n\t}\n");
        s.Append(CultureInfo.InvariantCulture, $"\tchain inet6_in_{name} {{\n");
        foreach (var route in subnet.InternetRoutes.OrderByDescending(r => PrefixLength(r.DestinationCidr)).ThenBy(r => r.DestinationCidr, StringComparer.Ordinal))
        {
            var verdict = route.EgressOnly ? "drop" : "return";
            s.Append(route.DestinationCidr == "::/0" ? $"\t\t{verdict}\n" : $"\t\tip6 saddr {route.DestinationCidr} {verdict}\n");
        }
        s.Append("\t\tdrop\n\t}\n");
    }

    private static int PrefixLength(string cidr) =>
        cidr.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 && int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : 128;

    private static void AppendAcl(StringBuilder s, FirewallIpv6Subnet subnet, bool egress) =>
        RuleRenderer.AppendAcl(s, RuleFamily.Ipv6, subnet.SubnetId, subnet.AclEntries, egress);

    private static void AppendGroup(StringBuilder s, string group, IReadOnlyList<EffectiveRule> rules, FirewallIpv6 v6, bool egress) =>
        RuleRenderer.AppendGroup(s, RuleFamily.Ipv6, group, rules, egress, (rule, peer) => rule.PeerKind switch
        {
            PeerKind.CidrIpv6 when rule.Peer == "::/0" => "",
            PeerKind.CidrIpv6 => $"ip6 {peer} {rule.Peer}",
            PeerKind.Group when v6.GroupMembers.ContainsKey(rule.Peer) => $"ip6 {peer} @g6_{FirewallRuleset.Name(rule.Peer)}",
            _ => null, // IPv4 peers and prefix lists (IPv4) never match IPv6
        });
}
