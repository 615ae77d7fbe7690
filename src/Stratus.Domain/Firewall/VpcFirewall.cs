using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.BlockPublicAccess;
using Stratus.Domain.Vpc.NatGateways;
using Stratus.Domain.Vpc.Peering;
using Stratus.Domain.Vpc.PrefixLists;

namespace Stratus.Domain.Firewall;

/// <summary>A network interface as the firewall sees it: its addresses, its subnet and its groups.</summary>
public sealed record FirewallInterface(string NetworkInterfaceId, string SubnetId, IReadOnlyList<string> PrivateIps, IReadOnlyList<string> GroupIds)
{
    /// <summary>
    /// True (the default, as on AWS): the interface sends only packets from its own addresses and
    /// receives only packets addressed to them. False lets it forward (a NAT instance, a router).
    /// </summary>
    public bool SourceDestCheck { get; init; } = true;

    /// <summary>
    /// A load balancer node: the VPC's namespace itself answers at its addresses (the load
    /// balancer's listeners), so flows to it are checked on the way in to the namespace — the
    /// sender's outbound rules, then the node's groups' inbound rules (an NLB node without groups admits all).
    /// </summary>
    public bool LoadBalancerNode { get; init; }
}

/// <summary>A route of a subnet's route table whose target is an instance or a network interface: its destination and the interface's primary private address.</summary>
public sealed record FirewallApplianceRoute(string DestinationCidr, string NextHop);

/// <summary>One numbered entry of a network ACL (protocol is an IANA number or <c>-1</c>).</summary>
public sealed record FirewallAclEntry(int RuleNumber, bool Egress, bool Allow, string Protocol, string? Cidr, int? FromPort, int? ToPort, int? IcmpType, int? IcmpCode);

/// <summary>A subnet: its CIDR, whether its route table sends 0.0.0.0/0 to an internet gateway, and its network ACL's entries in rule order.</summary>
public sealed record FirewallSubnet(string SubnetId, string Cidr, bool Public, string? NetworkAclId, IReadOnlyList<FirewallAclEntry> AclEntries)
{
    /// <summary>
    /// The public address new flows leave from when the subnet's route table sends 0.0.0.0/0 to a NAT
    /// gateway that forwards (a public one, in a subnet routed to an internet gateway); null otherwise.
    /// </summary>
    public string? NatAddress { get; init; }

    /// <summary>True when VPC Block Public Access lets the subnet's flows out to the internet but nothing in (block-ingress, or an allow-egress exclusion).</summary>
    public bool PublicIngressBlocked { get; init; }

    /// <summary>Active routes of the subnet's table through active peering connections.</summary>
    public IReadOnlyList<FirewallPeerRoute> PeerRoutes { get; init; } = [];

    /// <summary>Active IPv4 routes of the subnet's table to an instance or a network interface of the VPC (longest prefix wins against <see cref="OtherRoutes"/>).</summary>
    public IReadOnlyList<FirewallApplianceRoute> ApplianceRoutes { get; init; } = [];

    /// <summary>The destinations of the subnet's table's other IPv4 routes (local, gateways, peering, transit), which stay with the VPC's own routing.</summary>
    public IReadOnlyList<string> OtherRoutes { get; init; } = [];
}

/// <summary>A route through a peering connection: its destination block.</summary>
public sealed record FirewallPeerRoute(string PeeringConnectionId, string DestinationCidr);

/// <summary>An active peering connection of the VPC: the peer VPC and its IPv4 blocks.</summary>
public sealed record FirewallPeering(string PeeringConnectionId, string PeerVpcId, IReadOnlyList<string> PeerCidrs)
{
    /// <summary>The peer VPC's associated IPv6 blocks (as they are now).</summary>
    public IReadOnlyList<string> PeerIpv6Cidrs { get; init; } = [];
}

/// <summary>
/// Everything the packet filter of one VPC needs, read from the store at one point in time:
/// its interfaces with their groups, the rules of those groups, the members (private addresses)
/// of every group a rule refers to, and its subnets with their network ACLs and public
/// reachability. Pure data; a host turns it into packet-filter rules.
/// </summary>
public sealed record VpcFirewall(
    string AccountId,
    string Region,
    string VpcId,
    IReadOnlyList<string> VpcCidrs,
    IReadOnlyList<FirewallInterface> Interfaces,
    IReadOnlyDictionary<string, IReadOnlyList<EffectiveRule>> GroupRules,
    IReadOnlyDictionary<string, IReadOnlyList<string>> GroupMembers,
    IReadOnlyDictionary<string, IReadOnlyList<string>> PrefixLists,
    IReadOnlyList<FirewallSubnet> Subnets)
{
    /// <summary>The VPC's active peering connections.</summary>
    public IReadOnlyList<FirewallPeering> Peerings { get; init; } = [];

    /// <summary>Public addresses of the VPC's forwarding NAT gateways (the host routes them to the VPC).</summary>
    public IReadOnlyList<string> NatAddresses { get; init; } = [];

    private static IEnumerable<string> RouteDestinations(RouteEntry route, SortedDictionary<string, IReadOnlyList<string>> prefixLists) =>
        route.DestinationCidrBlock is { } cidr ? [cidr]
        : route.DestinationPrefixListId is { } pl && prefixLists.TryGetValue(pl, out var blocks) ? blocks
        : [];

    /// <summary>The VPC's transit gateway attachments that carry traffic (see <see cref="TransitGatewayFirewall"/>).</summary>
    public IReadOnlyList<FirewallTransitGateway> TransitGateways { get; init; } = [];

    /// <summary>The VPC's IPv6 blocks, subnets and addresses; null when it has no IPv6 block.</summary>
    public Vpc.Ipv6.FirewallIpv6? Ipv6 { get; init; }

    /// <summary>True when a flow log watches the VPC, one of its subnets or interfaces: the filter then counts what it accepts and rejects.</summary>
    public bool FlowLogged { get; init; }

    /// <summary>
    /// The routes of <paramref name="table"/> to an instance or a network interface of the VPC (to its
    /// interface's primary address), and the destinations of its other IPv4 routes. A route to an
    /// instance means its primary interface (device index 0); one to a missing interface is a blackhole
    /// and left out.
    /// </summary>
    private static (List<FirewallApplianceRoute> Appliance, List<string> Other) ApplianceRoutes(
        RouteTableResource? table, IReadOnlyList<NetworkInterfaceResource> interfaces, string vpcId, SortedDictionary<string, IReadOnlyList<string>> prefixLists)
    {
        var appliance = new List<FirewallApplianceRoute>();
        var other = new SortedSet<string>(StringComparer.Ordinal);
        if (table is null)
        {
            return (appliance, []);
        }
        foreach (var route in table.Routes.Where(r => r.DestinationIpv6CidrBlock is null))
        {
            if (route.NetworkInterfaceId is null && route.InstanceId is null)
            {
                foreach (var destination in RouteDestinations(route, prefixLists))
                {
                    other.Add(destination);
                }
                continue;
            }
            var target = route.NetworkInterfaceId is { } eniId
                ? interfaces.FirstOrDefault(i => i.Id == eniId)
                : interfaces.FirstOrDefault(i => i.Attachment is { } a && a.InstanceId == route.InstanceId && a.DeviceIndex == 0);
            if (target is null || target.VpcId != vpcId || route.State != "active")
            {
                continue;
            }
            appliance.AddRange(RouteDestinations(route, prefixLists).Select(d => new FirewallApplianceRoute(d, target.PrivateIpAddress)));
        }
        return ([.. appliance.DistinctBy(r => r.DestinationCidr).OrderBy(r => r.DestinationCidr, StringComparer.Ordinal)], [.. other]);
    }

    /// <summary>Reads the firewall of <paramref name="vpcId"/> from the store.</summary>
    public static async Task<VpcFirewall?> ReadAsync(IStoreSession session, Scope scope, string vpcId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var vpc = await session.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        return vpc is null ? null : await ReadAsync(session, scope, vpc, await FirewallLists.ReadAsync(session, scope, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the firewalls of <paramref name="vpcIds"/> (those that exist), with the lists of the
    /// account and region they are made from read once for all of them (see <see cref="FirewallLists"/>).
    /// </summary>
    public static async Task<List<VpcFirewall>> ReadAllAsync(IStoreSession session, Scope scope, IReadOnlyCollection<string> vpcIds, FirewallLists lists, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(vpcIds);
        var firewalls = new List<VpcFirewall>(vpcIds.Count);
        foreach (var vpc in await session.GetManyAsync<VpcResource>(scope, ResourceTypes.Vpc, vpcIds, ct).ConfigureAwait(false))
        {
            firewalls.Add(await ReadAsync(session, scope, vpc, lists, ct).ConfigureAwait(false));
        }
        return firewalls;
    }

    private static async Task<VpcFirewall> ReadAsync(IStoreSession session, Scope scope, VpcResource vpc, FirewallLists lists, CancellationToken ct)
    {
        var vpcId = vpc.Id;
        var allInterfaces = lists.Interfaces;
        var interfaces = allInterfaces.Where(i => i.VpcId == vpcId && i.InterfaceType != "nat_gateway")
            .Select(i => new FirewallInterface(i.Id, i.SubnetId, i.AllPrivateIpAddresses.ToList(), i.SecurityGroupIds.ToList()) { SourceDestCheck = i.SourceDestCheck, LoadBalancerNode = i.RequesterId == "amazon-elb" })
            .OrderBy(i => i.NetworkInterfaceId, StringComparer.Ordinal)
            .ToList();

        var groupIds = interfaces.SelectMany(i => i.GroupIds).ToHashSet(StringComparer.Ordinal);
        // The rules of these groups only (through the store's group-id index, not every rule of the
        // region), grouped in one pass; members in one pass over the interfaces: the read stays
        // linear in rules plus interfaces however many groups the VPC's interfaces use.
        var rules = groupIds.Count == 0 ? [] : await SecurityGroups.SecurityGroups.RulesOfAsync(session, scope, groupIds.Order(StringComparer.Ordinal).ToList(), ct).ConfigureAwait(false);
        var rulesByGroup = rules.ToLookup(r => r.GroupId, StringComparer.Ordinal);
        var groupRules = new SortedDictionary<string, IReadOnlyList<EffectiveRule>>(StringComparer.Ordinal);
        foreach (var groupId in groupIds)
        {
            groupRules[groupId] = rulesByGroup[groupId].OrderBy(r => r.Id, StringComparer.Ordinal).Select(SecurityGroups.SecurityGroups.Effective).ToList();
        }
        var referenced = groupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.Group).Select(r => r.Peer).ToHashSet(StringComparer.Ordinal);
        // A group reference means the private addresses of every interface in that group (any VPC of the account).
        var memberSets = referenced.ToDictionary(g => g, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var eni in allInterfaces)
        {
            foreach (var groupId in eni.SecurityGroupIds)
            {
                if (memberSets.TryGetValue(groupId, out var set))
                {
                    set.UnionWith(eni.AllPrivateIpAddresses);
                }
            }
        }
        var members = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (groupId, set) in memberSets)
        {
            members[groupId] = set.ToList();
        }

        var subnets = lists.Subnets.Where(s => s.VpcId == vpcId).ToList();
        var tables = lists.RouteTables.Where(t => t.VpcId == vpcId).ToList();
        var acls = lists.NetworkAcls.Where(a => a.VpcId == vpcId).ToList();
        var main = tables.Find(t => t.Associations.Exists(a => a.Main));
        RouteTableResource? TableOf(string subnetId) => tables.Find(t => t.Associations.Exists(a => a.SubnetId == subnetId)) ?? main;
        static bool RoutesToInternet(RouteTableResource? table) => table is not null && table.Routes.Exists(r =>
            r.DestinationCidrBlock == "0.0.0.0/0" && r.State == "active" && r.GatewayId is { } gateway && gateway.StartsWith("igw-", StringComparison.Ordinal));

        // VPC Block Public Access: what the mode and exclusions leave of each subnet's internet path.
        var access = lists.Access;

        // NAT gateways that forward: public ones with an Elastic IP, in a subnet routed to an internet gateway.
        var natAddresses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var nat in lists.NatGateways)
        {
            if (nat.VpcId == vpcId && nat.Forwards && nat.ConnectivityType == "public" && nat.PrimaryPublicIp is { } ip && RoutesToInternet(TableOf(nat.SubnetId))
                && access(vpcId, nat.SubnetId).Egress)
            {
                natAddresses[nat.Id] = ip;
            }
        }
        var activeConnections = lists.PeeringConnections
            .Where(p => p.Status == "active" && p.Involves(vpcId))
            .OrderBy(p => p.Id, StringComparer.Ordinal)
            .ToList();
        var peerVpcs = (await session.GetManyAsync<VpcResource>(scope, ResourceTypes.Vpc, activeConnections.Select(p => p.PeerOf(vpcId).VpcId).Distinct(StringComparer.Ordinal).ToList(), ct).ConfigureAwait(false))
            .ToDictionary(v => v.Id, StringComparer.Ordinal);
        var peerings = activeConnections
            .Select(p => new FirewallPeering(p.Id, p.PeerOf(vpcId).VpcId, p.PeerOf(vpcId).CidrBlocks.ToList())
            {
                PeerIpv6Cidrs = peerVpcs.TryGetValue(p.PeerOf(vpcId).VpcId, out var peerVpc)
                    ? peerVpc.Ipv6CidrBlocks.Where(b => b.State == "associated").Select(b => b.Ipv6CidrBlock).ToList()
                    : [],
            })
            .ToList();
        var activePeerings = peerings.Select(p => p.PeeringConnectionId).ToHashSet(StringComparer.Ordinal);
        // Routes to a prefix list carry its IPv4 blocks.
        var routeLists = await ManagedPrefixLists.Ipv4BlocksAsync(session, scope,
            tables.SelectMany(t => t.Routes).Select(r => r.DestinationPrefixListId).OfType<string>(), ct).ConfigureAwait(false);
        var defaultAcl = acls.Find(a => a.IsDefault);
        var firewallSubnets = new List<FirewallSubnet>();
        foreach (var subnet in subnets.OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            var table = TableOf(subnet.Id);
            var reach = access(vpcId, subnet.Id);
            var isPublic = RoutesToInternet(table) && reach.Egress;
            var natRoute = table?.Routes.Find(r => r.DestinationCidrBlock == "0.0.0.0/0" && r.State == "active" && r.NatGatewayId is not null);
            var peerRoutes = table is null
                ? []
                : table.Routes.Where(r => r.State == "active" && r.VpcPeeringConnectionId is { } pcx && activePeerings.Contains(pcx))
                    .SelectMany(r => RouteDestinations(r, routeLists).Select(d => new FirewallPeerRoute(r.VpcPeeringConnectionId!, d)))
                    .OrderBy(r => r.PeeringConnectionId, StringComparer.Ordinal).ThenBy(r => r.DestinationCidr, StringComparer.Ordinal)
                    .ToList();
            var (applianceRoutes, otherRoutes) = ApplianceRoutes(table, allInterfaces, vpcId, routeLists);
            var acl = acls.Find(a => a.Associations.Exists(x => x.SubnetId == subnet.Id)) ?? defaultAcl;
            var entries = acl is null
                ? []
                : acl.Entries.Where(e => e.CidrBlock is not null)
                    .OrderBy(e => e.RuleNumber)
                    .Select(e => new FirewallAclEntry(e.RuleNumber, e.Egress, e.RuleAction == "allow", e.Protocol, e.CidrBlock, e.FromPort, e.ToPort, e.IcmpType, e.IcmpCode))
                    .ToList();
            firewallSubnets.Add(new FirewallSubnet(subnet.Id, subnet.CidrBlock, isPublic, acl?.Id, entries)
            {
                NatAddress = natRoute is not null && natAddresses.TryGetValue(natRoute.NatGatewayId!, out var natIp) ? natIp : null,
                PeerRoutes = peerRoutes,
                ApplianceRoutes = applianceRoutes,
                OtherRoutes = otherRoutes,
                PublicIngressBlocked = !reach.Ingress,
            });
        }

        return new VpcFirewall(
            scope.AccountId, scope.Region, vpcId,
            vpc.CidrBlocks.Where(c => c.State == "associated").Select(c => c.CidrBlock).ToList(),
            interfaces, groupRules, members,
            await ManagedPrefixLists.Ipv4BlocksAsync(session, scope, groupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.PrefixList).Select(r => r.Peer), ct).ConfigureAwait(false),
            firewallSubnets)
        {
            Peerings = peerings,
            NatAddresses = natAddresses.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            TransitGateways = await TransitGatewayFirewall.ReadAsync(session, scope, vpcId, DateTime.UtcNow, ct).ConfigureAwait(false),
            Ipv6 = await Vpc.Ipv6.FirewallIpv6.ReadAsync(session, scope, vpc, groupRules, activePeerings, lists, ct).ConfigureAwait(false),
            FlowLogged = lists.FlowLogs.Exists(f => f.VpcId == vpcId),
        };
    }
}

/// <summary>
/// The lists of one account and region that the firewalls of its VPCs are made from (interfaces,
/// subnets, route tables, network ACLs, NAT gateways, peering connections, flow logs, and what VPC
/// Block Public Access leaves open), read once: a sync of every VPC of the scope reads each once,
/// not once per VPC, and one VPC's firewall reads each once, not once for IPv4 and again for IPv6.
/// </summary>
public sealed record FirewallLists(
    List<NetworkInterfaceResource> Interfaces,
    List<SubnetResource> Subnets,
    List<RouteTableResource> RouteTables,
    List<NetworkAclResource> NetworkAcls,
    List<NatGatewayResource> NatGateways,
    List<VpcPeeringConnectionResource> PeeringConnections,
    List<Vpc.FlowLogs.FlowLogResource> FlowLogs,
    Func<string, string, PublicAccess> Access)
{
    /// <summary>Reads the lists of <paramref name="scope"/>.</summary>
    public static async Task<FirewallLists> ReadAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new FirewallLists(
            await session.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false),
            await session.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false),
            await session.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false),
            await session.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false),
            await session.ListAsync<NatGatewayResource>(scope, ResourceTypes.NatGateway, ct).ConfigureAwait(false),
            await session.ListAsync<VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, ct).ConfigureAwait(false),
            await session.ListAsync<Vpc.FlowLogs.FlowLogResource>(scope, ResourceTypes.VpcFlowLog, ct).ConfigureAwait(false),
            await VpcBlockPublicAccess.AccessAsync(session, scope, ct).ConfigureAwait(false));
    }
}
