using System.Globalization;
using System.Text;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;

namespace Stratus.Runtime.Network;

/// <summary>What tells the IPv4 and IPv6 packet filters apart when they render the same rules.</summary>
/// <param name="Keyword">The nftables address keyword (<c>ip</c>, <c>ip6</c>).</param>
/// <param name="Suffix">Appended to chain names (<c>acl_…</c> / <c>acl6_…</c>).</param>
/// <param name="AnyCidr">The block that matches every address (no address match is rendered).</param>
/// <param name="IcmpProtocol">The family's own ICMP protocol number (1, 58).</param>
/// <param name="ForeignIcmpProtocol">The other family's ICMP, which never matches here (58, 1).</param>
/// <param name="IcmpKeyword">The nftables ICMP header keyword (<c>icmp</c>, <c>icmpv6</c>).</param>
/// <param name="IcmpL4Proto">The nftables name of the ICMP protocol (<c>icmp</c>, <c>ipv6-icmp</c>).</param>
internal sealed record RuleFamily(string Keyword, string Suffix, string AnyCidr, int IcmpProtocol, int ForeignIcmpProtocol, string IcmpKeyword, string IcmpL4Proto)
{
    public static readonly RuleFamily Ipv4 = new("ip", "", "0.0.0.0/0", 1, 58, "icmp", "icmp");

    public static readonly RuleFamily Ipv6 = new("ip6", "6", "::/0", 58, 1, "icmpv6", "ipv6-icmp");
}

/// <summary>
/// The rendering the IPv4 (<see cref="FirewallRuleset"/>) and IPv6 (<see cref="Ipv6Ruleset"/>)
/// filters share: a subnet's network ACL chain, a security group's chain and the protocol matches,
/// each for one <see cref="RuleFamily"/>.
/// </summary>
internal static class RuleRenderer
{
    /// <summary>
    /// Chain <c>acl[6]_{in,out}_&lt;subnet&gt;</c>: the ACL's entries of the family, lowest rule number
    /// first; allow returns to the caller, deny drops, no match drops. <paramref name="deny"/> is the
    /// verdict of a denied packet (a chain that counts it for flow logs before dropping it).
    /// </summary>
    public static void AppendAcl(StringBuilder s, RuleFamily family, string subnetId, IEnumerable<FirewallAclEntry> entries, bool egress, string deny = "drop")
    {
        s.Append(CultureInfo.InvariantCulture, $"\tchain acl{family.Suffix}_{(egress ? "out" : "in")}_{FirewallRuleset.Name(subnetId)} {{\n");
        var peer = egress ? "daddr" : "saddr";
        foreach (var entry in entries.Where(e => e.Egress == egress && e.Cidr is not null).OrderBy(e => e.RuleNumber))
        {
            var protocol = entry.Protocol == "-1" ? (int?)null : int.Parse(entry.Protocol, CultureInfo.InvariantCulture);
            if (protocol == family.ForeignIcmpProtocol)
            {
                continue; // the other family's ICMP never matches
            }
            var match = new List<string>();
            if (entry.Cidr != family.AnyCidr)
            {
                match.Add($"{family.Keyword} {peer} {entry.Cidr}");
            }
            match.AddRange(ProtocolMatch(family, protocol, entry.FromPort, entry.ToPort, entry.IcmpType is -1 ? null : entry.IcmpType, entry.IcmpCode is -1 ? null : entry.IcmpCode));
            match.Add(entry.Allow ? "return" : deny);
            s.Append(CultureInfo.InvariantCulture, $"\t\t{string.Join(' ', match)} comment \"{entry.RuleNumber}\"\n");
        }
        s.Append(CultureInfo.InvariantCulture, $"\t\t{deny}\n\t}}\n");
    }

    /// <summary>
    /// Chain <c>grp[6]_{in,out}_&lt;group&gt;</c>: one line per distinct rule of the direction (sorted).
    /// <paramref name="peerMatch"/> renders a rule's peer for the address direction it is given
    /// (<c>daddr</c>/<c>saddr</c>): null skips the rule (a peer of the other family), empty matches any.
    /// An outbound match goes on to the inbound check (<c>sg[6]_ingress</c>), an inbound one accepts.
    /// </summary>
    public static void AppendGroup(StringBuilder s, RuleFamily family, string group, IReadOnlyList<EffectiveRule> rules, bool egress, Func<EffectiveRule, string, string?> peerMatch)
    {
        s.Append(CultureInfo.InvariantCulture, $"\tchain grp{family.Suffix}_{(egress ? "out" : "in")}_{FirewallRuleset.Name(group)} {{\n");
        var peer = egress ? "daddr" : "saddr";
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules.Where(r => r.IsEgress == egress && r.ProtocolNumber != family.ForeignIcmpProtocol))
        {
            if (peerMatch(rule, peer) is not { } address)
            {
                continue;
            }
            var match = new List<string>();
            if (address.Length > 0)
            {
                match.Add(address);
            }
            match.AddRange(ProtocolMatch(family, rule.ProtocolNumber, rule.FromPort, rule.ToPort, rule.IcmpType, rule.IcmpCode));
            match.Add(egress ? $"goto sg{family.Suffix}_ingress" : "accept");
            lines.Add(string.Join(' ', match));
        }
        foreach (var line in lines)
        {
            s.Append(CultureInfo.InvariantCulture, $"\t\t{line}\n");
        }
        s.Append("\t}\n");
    }

    /// <summary>nftables matches for a protocol (null = any) with its port range or the family's ICMP type/code (null = any).</summary>
    public static IEnumerable<string> ProtocolMatch(RuleFamily family, int? protocol, int? fromPort, int? toPort, int? icmpType, int? icmpCode)
    {
        if (protocol is null)
        {
            yield break;
        }
        if (protocol is 6 or 17)
        {
            var name = protocol == 6 ? "tcp" : "udp";
            var from = fromPort ?? 0;
            var to = toPort ?? 65535;
            if (from <= 0 && to >= 65535)
            {
                yield return $"meta l4proto {name}";
            }
            else
            {
                yield return from == to
                    ? string.Create(CultureInfo.InvariantCulture, $"{name} dport {from}")
                    : string.Create(CultureInfo.InvariantCulture, $"{name} dport {from}-{to}");
            }
        }
        else if (protocol == family.IcmpProtocol)
        {
            if (icmpType is null)
            {
                yield return $"meta l4proto {family.IcmpL4Proto}";
            }
            else
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{family.IcmpKeyword} type {icmpType}");
                if (icmpCode is not null)
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{family.IcmpKeyword} code {icmpCode}");
                }
            }
        }
        else
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"meta l4proto {protocol}");
        }
    }
}
