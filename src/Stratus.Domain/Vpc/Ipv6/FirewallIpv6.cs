using Stratus.Domain.Firewall;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Ipv6;

/// <summary>A subnet's IPv6 side: its /64 and its network ACL's IPv6 entries in rule order.</summary>
public sealed record FirewallIpv6Subnet(string SubnetId, string Ipv4Cidr, string Ipv6Cidr, IReadOnlyList<FirewallAclEntry> AclEntries);

/// <summary>An interface's IPv6 addresses (the host finds its device by interface id).</summary>
public sealed record FirewallIpv6Interface(string NetworkInterfaceId, string SubnetId, IReadOnlyList<string> Addresses);

/// <summary>
/// What the IPv6 packet filter and addressing of one VPC need, beside the IPv4 <see cref="VpcFirewall"/>:
/// the subnets with IPv6 blocks, the interfaces' IPv6 addresses, and the IPv6 addresses of every group
/// a rule refers to. The groups' rules themselves are the firewall's (rules with IPv6 peers, ICMPv6,
/// group references).
/// </summary>
public sealed record FirewallIpv6(
    IReadOnlyList<string> VpcCidrs,
    IReadOnlyList<FirewallIpv6Subnet> Subnets,
    IReadOnlyList<FirewallIpv6Interface> Interfaces,
    IReadOnlyDictionary<string, IReadOnlyList<string>> GroupMembers)
{
    /// <summary>Reads the IPv6 side of <paramref name="vpcId"/>; null when the VPC has no IPv6 block.</summary>
    public static async Task<FirewallIpv6?> ReadAsync(IStoreSession session, Scope scope, string vpcId, IReadOnlyDictionary<string, IReadOnlyList<EffectiveRule>> groupRules, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(groupRules);
        var vpc = await session.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (vpc is null || !vpc.Ipv6CidrBlocks.Exists(b => b.State == "associated"))
        {
            return null;
        }
        var subnets = (await session.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false))
            .Where(s => s.VpcId == vpcId && Ipv6Blocks.SubnetBlock(s) is not null).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        var acls = (await session.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false)).Where(a => a.VpcId == vpcId).ToList();
        var defaultAcl = acls.Find(a => a.IsDefault);
        var firewallSubnets = subnets.Select(s =>
        {
            var acl = acls.Find(a => a.Associations.Exists(x => x.SubnetId == s.Id)) ?? defaultAcl;
            var entries = acl is null
                ? []
                : acl.Entries.Where(e => e.Ipv6CidrBlock is not null).OrderBy(e => e.RuleNumber)
                    .Select(e => new FirewallAclEntry(e.RuleNumber, e.Egress, e.RuleAction == "allow", e.Protocol, e.Ipv6CidrBlock, e.FromPort, e.ToPort, e.IcmpType, e.IcmpCode))
                    .ToList();
            return new FirewallIpv6Subnet(s.Id, s.CidrBlock, Ipv6Blocks.SubnetBlock(s)!, entries);
        }).ToList();
        var allInterfaces = await session.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        var interfaces = allInterfaces.Where(i => i.VpcId == vpcId && i.Ipv6Addresses.Count > 0)
            .OrderBy(i => i.Id, StringComparer.Ordinal)
            .Select(i => new FirewallIpv6Interface(i.Id, i.SubnetId, i.Ipv6Addresses.ToList()))
            .ToList();
        var referenced = groupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.Group).Select(r => r.Peer).ToHashSet(StringComparer.Ordinal);
        var members = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var group in referenced)
        {
            members[group] = allInterfaces.Where(i => i.SecurityGroupIds.Contains(group)).SelectMany(i => i.Ipv6Addresses)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }
        return new FirewallIpv6(vpc.Ipv6CidrBlocks.Where(b => b.State == "associated").Select(b => b.Ipv6CidrBlock).ToList(), firewallSubnets, interfaces, members);
    }
}
