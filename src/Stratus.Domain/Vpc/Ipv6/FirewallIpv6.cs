using Stratus.Domain.Firewall;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Ipv6;

/// <summary>A subnet's IPv6 side: its /64 and its network ACL's IPv6 entries in rule order.</summary>
public sealed record FirewallIpv6Subnet(string SubnetId, string Ipv4Cidr, string Ipv6Cidr, IReadOnlyList<FirewallAclEntry> AclEntries)
{
    /// <summary>
    /// The subnet's active IPv6 routes out of the VPC: to an internet gateway (flows both ways) or an
    /// egress-only internet gateway (<see cref="FirewallInternetRoute6.EgressOnly"/>: flows out, replies
    /// back), as VPC Block Public Access leaves them. Empty: IPv6 does not leave the VPC.
    /// </summary>
    public IReadOnlyList<FirewallInternetRoute6> InternetRoutes { get; init; } = [];

    /// <summary>The subnet's active IPv6 routes through active peering connections.</summary>
    public IReadOnlyList<FirewallPeerRoute> PeerRoutes { get; init; } = [];
}

/// <summary>An IPv6 route of a subnet's table through an internet gateway (or, with <paramref name="EgressOnly"/>, an egress-only one).</summary>
public sealed record FirewallInternetRoute6(string DestinationCidr, bool EgressOnly);

/// <summary>An interface's IPv6 addresses (the host finds its device by interface id).</summary>
public sealed record FirewallIpv6Interface(string NetworkInterfaceId, string SubnetId, IReadOnlyList<string> Addresses)
{
    /// <summary>
    /// True when the instance the interface is attached to serves its metadata over IPv6
    /// (<c>HttpEndpoint</c> and <c>HttpProtocolIpv6</c> enabled): the VPC then forwards
    /// <c>[fd00:ec2::254]:80</c> from these addresses to the metadata service.
    /// </summary>
    public bool MetadataIpv6 { get; init; }
}

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
    public static async Task<FirewallIpv6?> ReadAsync(
        IStoreSession session, Scope scope, string vpcId, IReadOnlyDictionary<string, IReadOnlyList<EffectiveRule>> groupRules, IReadOnlySet<string> activePeerings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        var vpc = await session.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        return vpc is null ? null : await ReadAsync(session, scope, vpc, groupRules, activePeerings, await FirewallLists.ReadAsync(session, scope, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    /// <summary>Reads the IPv6 side of <paramref name="vpc"/> from the lists of its scope; null when the VPC has no IPv6 block.</summary>
    public static async Task<FirewallIpv6?> ReadAsync(IStoreSession session, Scope scope, VpcResource vpc,
        IReadOnlyDictionary<string, IReadOnlyList<EffectiveRule>> groupRules, IReadOnlySet<string> activePeerings, FirewallLists lists, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(activePeerings);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(groupRules);
        ArgumentNullException.ThrowIfNull(vpc);
        ArgumentNullException.ThrowIfNull(lists);
        if (!vpc.Ipv6CidrBlocks.Exists(b => b.State == "associated"))
        {
            return null;
        }
        var vpcId = vpc.Id;
        var subnets = lists.Subnets
            .Where(s => s.VpcId == vpcId && Ipv6Blocks.SubnetBlock(s) is not null).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        var acls = lists.NetworkAcls.Where(a => a.VpcId == vpcId).ToList();
        var defaultAcl = acls.Find(a => a.IsDefault);
        var tables = lists.RouteTables.Where(t => t.VpcId == vpcId).ToList();
        var main = tables.Find(t => t.Associations.Exists(a => a.Main));
        var access = lists.Access;
        var firewallSubnets = subnets.Select(s =>
        {
            var table = tables.Find(t => t.Associations.Exists(a => a.SubnetId == s.Id)) ?? main;
            var acl = acls.Find(a => a.Associations.Exists(x => x.SubnetId == s.Id)) ?? defaultAcl;
            var entries = acl is null
                ? []
                : acl.Entries.Where(e => e.Ipv6CidrBlock is not null).OrderBy(e => e.RuleNumber)
                    .Select(e => new FirewallAclEntry(e.RuleNumber, e.Egress, e.RuleAction == "allow", e.Protocol, e.Ipv6CidrBlock, e.FromPort, e.ToPort, e.IcmpType, e.IcmpCode))
                    .ToList();
            var peerRoutes = table is null
                ? []
                : table.Routes.Where(r => r.State == "active" && r.DestinationIpv6CidrBlock is not null && r.VpcPeeringConnectionId is { } pcx && activePeerings.Contains(pcx))
                    .Select(r => new FirewallPeerRoute(r.VpcPeeringConnectionId!, r.DestinationIpv6CidrBlock!))
                    .OrderBy(r => r.PeeringConnectionId, StringComparer.Ordinal).ThenBy(r => r.DestinationCidr, StringComparer.Ordinal)
                    .ToList();
            return new FirewallIpv6Subnet(s.Id, s.CidrBlock, Ipv6Blocks.SubnetBlock(s)!, entries)
            {
                InternetRoutes = InternetRoutes(table, access(vpcId, s.Id)),
                PeerRoutes = peerRoutes,
            };
        }).ToList();
        var allInterfaces = lists.Interfaces;
        var interfaces = allInterfaces.Where(i => i.VpcId == vpcId && i.Ipv6Addresses.Count > 0)
            .OrderBy(i => i.Id, StringComparer.Ordinal)
            .Select(i => new FirewallIpv6Interface(i.Id, i.SubnetId, i.Ipv6Addresses.ToList()))
            .ToList();
        for (var n = 0; n < interfaces.Count; n++)
        {
            var attached = allInterfaces.First(i => i.Id == interfaces[n].NetworkInterfaceId).Attachment?.InstanceId;
            if (attached is not null && await session.GetAsync<Instances.InstanceResource>(scope, ResourceTypes.Instance, attached, ct).ConfigureAwait(false) is { } instance
                && instance.MetadataOptions is { HttpEndpoint: "enabled", HttpProtocolIpv6: "enabled" })
            {
                interfaces[n] = interfaces[n] with { MetadataIpv6 = true };
            }
        }
        var referenced = groupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.Group).Select(r => r.Peer).ToHashSet(StringComparer.Ordinal);
        var members = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var group in referenced)
        {
            members[group] = allInterfaces.Where(i => i.SecurityGroupIds.Contains(group)).SelectMany(i => i.Ipv6Addresses)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }
        return new FirewallIpv6(vpc.Ipv6CidrBlocks.Where(b => b.State == "associated").Select(b => b.Ipv6CidrBlock).ToList(), firewallSubnets, interfaces, members);
    }

    /// <summary>
    /// The active IPv6 routes of <paramref name="table"/> to an internet gateway or an egress-only
    /// internet gateway, as <paramref name="reach"/> (VPC Block Public Access) leaves them: no egress,
    /// no route; no ingress, internet-gateway routes carry flows out only.
    /// </summary>
    internal static IReadOnlyList<FirewallInternetRoute6> InternetRoutes(RouteTableResource? table, BlockPublicAccess.PublicAccess reach)
    {
        if (table is null || !reach.Egress)
        {
            return [];
        }
        return [.. table.Routes
            .Where(r => r.State == "active" && r.DestinationIpv6CidrBlock is not null
                && (r.EgressOnlyInternetGatewayId is not null || (r.GatewayId is { } gateway && gateway.StartsWith("igw-", StringComparison.Ordinal))))
            .Select(r => new FirewallInternetRoute6(r.DestinationIpv6CidrBlock!, r.EgressOnlyInternetGatewayId is not null || !reach.Ingress))
            .DistinctBy(r => r.DestinationCidr)
            .OrderBy(r => r.DestinationCidr, StringComparer.Ordinal)];
    }
}
