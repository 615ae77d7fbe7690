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

    /// <summary>
    /// Every Elastic IP of that NAT gateway, <see cref="NatAddress"/> (the primary) first: new flows are
    /// spread over them (secondary addresses from CreateNatGateway's <c>SecondaryAllocationIds</c> or
    /// AssociateNatGatewayAddress). Empty means <see cref="NatAddress"/> alone.
    /// </summary>
    public IReadOnlyList<string> NatAddresses { get; init; } = [];

    /// <summary>
    /// Active IPv4 routes narrower than 0.0.0.0/0 (a CIDR, or each block of a prefix list) through an
    /// internet gateway or a forwarding public NAT gateway: those destinations leave through the uplink
    /// as a 0.0.0.0/0 route to the same target would let them (longest prefix first).
    /// </summary>
    public IReadOnlyList<FirewallGatewayRoute> GatewayRoutes { get; init; } = [];

    /// <summary>
    /// Destinations the subnet sends to a private NAT gateway whose own subnet sends them on through a
    /// peering connection or a transit gateway attachment: they leave from the gateway's private addresses.
    /// </summary>
    public IReadOnlyList<FirewallPrivateNatRoute> PrivateNatRoutes { get; init; } = [];

    /// <summary>True when VPC Block Public Access lets the subnet's flows out to the internet but nothing in (block-ingress, or an allow-egress exclusion).</summary>
    public bool PublicIngressBlocked { get; init; }

    /// <summary>Active routes of the subnet's table through active peering connections.</summary>
    public IReadOnlyList<FirewallPeerRoute> PeerRoutes { get; init; } = [];

    /// <summary>Active IPv4 routes of the subnet's table to an instance or a network interface of the VPC (longest prefix wins against <see cref="OtherRoutes"/>).</summary>
    public IReadOnlyList<FirewallApplianceRoute> ApplianceRoutes { get; init; } = [];

    /// <summary>The destinations of the subnet's table's other IPv4 routes (local, gateways, peering, transit), which stay with the VPC's own routing.</summary>
    public IReadOnlyList<string> OtherRoutes { get; init; } = [];
}

/// <summary>
/// A route through an internet gateway (<paramref name="NatAddresses"/> empty) or a public NAT gateway
/// (its Elastic IPs, the primary first) to a destination narrower than 0.0.0.0/0.
/// </summary>
public sealed record FirewallGatewayRoute(string DestinationCidr, IReadOnlyList<string> NatAddresses)
{
    /// <summary>True for a route to an internet gateway.</summary>
    public bool ThroughInternetGateway => NatAddresses.Count == 0;

    public bool Equals(FirewallGatewayRoute? other) =>
        other is not null && DestinationCidr == other.DestinationCidr && NatAddresses.SequenceEqual(other.NatAddresses, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(DestinationCidr, NatAddresses.Count);
}

/// <summary>
/// Traffic a subnet routes to a private NAT gateway, for <paramref name="DestinationCidr"/>, which the
/// gateway's subnet routes on through the peering connection <paramref name="PeeringConnectionId"/> or
/// the transit gateway attachment <paramref name="TransitGatewayAttachmentId"/>: it leaves from the
/// gateway's private <paramref name="Addresses"/> (primary first).
/// </summary>
public sealed record FirewallPrivateNatRoute(string DestinationCidr, IReadOnlyList<string> Addresses, string? PeeringConnectionId, string? TransitGatewayAttachmentId)
{
    public bool Equals(FirewallPrivateNatRoute? other) =>
        other is not null && DestinationCidr == other.DestinationCidr && PeeringConnectionId == other.PeeringConnectionId
        && TransitGatewayAttachmentId == other.TransitGatewayAttachmentId && Addresses.SequenceEqual(other.Addresses, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(DestinationCidr, PeeringConnectionId, TransitGatewayAttachmentId);
}

/// <summary>A NAT gateway of the VPC that forwards, and the addresses it translates to (Elastic IPs of a public one, private addresses of a private one).</summary>
public sealed record FirewallNatGateway(string NatGatewayId, IReadOnlyList<string> Addresses)
{
    public bool Equals(FirewallNatGateway? other) =>
        other is not null && NatGatewayId == other.NatGatewayId && Addresses.SequenceEqual(other.Addresses, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(NatGatewayId, Addresses.Count);
}

/// <summary>A route through a peering connection: its destination block.</summary>
public sealed record FirewallPeerRoute(string PeeringConnectionId, string DestinationCidr);

/// <summary>An active peering connection of the VPC: the peer VPC and its IPv4 blocks.</summary>
public sealed record FirewallPeering(string PeeringConnectionId, string PeerVpcId, IReadOnlyList<string> PeerCidrs)
{
    /// <summary>The peer VPC's account (null: the VPC's own).</summary>
    public string? PeerOwnerId { get; init; }

    /// <summary>The peer VPC's Region (null: the VPC's own).</summary>
    public string? PeerRegion { get; init; }

    /// <summary>True when the peer side allows DNS resolution from this VPC (its <c>AllowDnsResolutionFromRemoteVpc</c>): this VPC's resolver answers the peer's private names.</summary>
    public bool ResolvesPeerNames { get; init; }

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

    /// <summary>The VPC's NAT gateways that forward (public and private), whose traffic the filter counts for their metrics.</summary>
    public IReadOnlyList<FirewallNatGateway> NatGateways { get; init; } = [];

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

    /// <summary>
    /// The table's active IPv4 routes through an internet gateway (when Block Public Access lets the
    /// subnet out: <paramref name="internetEgress"/>) or a forwarding public NAT gateway, other than
    /// 0.0.0.0/0 itself (which makes the subnet public or NAT-routed), a prefix list's blocks each.
    /// </summary>
    private static List<FirewallGatewayRoute> GatewayRoutes(RouteTableResource table, SortedDictionary<string, IReadOnlyList<string>> prefixLists,
        Dictionary<string, List<string>> natAddresses, bool internetEgress)
    {
        var routes = new List<FirewallGatewayRoute>();
        foreach (var route in table.Routes.Where(r => r.State == "active" && r.DestinationIpv6CidrBlock is null && r.DestinationCidrBlock != "0.0.0.0/0"))
        {
            IReadOnlyList<string>? target = route.GatewayId is { } gateway && gateway.StartsWith("igw-", StringComparison.Ordinal) && internetEgress ? []
                : route.NatGatewayId is { } nat && natAddresses.TryGetValue(nat, out var pool) && pool.Count > 0 ? pool
                : null;
            if (target is not null)
            {
                routes.AddRange(RouteDestinations(route, prefixLists).Select(d => new FirewallGatewayRoute(d, target)));
            }
        }
        return [.. routes.DistinctBy(r => r.DestinationCidr).OrderBy(r => r.DestinationCidr, StringComparer.Ordinal)];
    }

    /// <summary>
    /// What the table sends to private NAT gateways and where each gateway's own subnet sends it on:
    /// for each such destination D and each active route E of the gateway subnet's table through an
    /// active peering connection or a transit gateway the VPC is attached to, the narrower of D and E
    /// when they overlap. Anything else (an internet gateway above all: a private NAT gateway's traffic
    /// to one is dropped, as on AWS) carries nothing.
    /// </summary>
    private static List<FirewallPrivateNatRoute> PrivateNatRoutes(RouteTableResource table, SortedDictionary<string, IReadOnlyList<string>> prefixLists,
        Dictionary<string, (NatGatewayResource Nat, List<string> Addresses)> privateNats, Func<string, RouteTableResource?> tableOf,
        HashSet<string> activePeerings, IReadOnlyList<FirewallTransitGateway> transitGateways)
    {
        var routes = new List<FirewallPrivateNatRoute>();
        foreach (var route in table.Routes.Where(r => r.State == "active" && r.DestinationIpv6CidrBlock is null && r.NatGatewayId is not null))
        {
            if (!privateNats.TryGetValue(route.NatGatewayId!, out var nat) || tableOf(nat.Nat.SubnetId) is not { } natTable)
            {
                continue;
            }
            foreach (var destination in RouteDestinations(route, prefixLists))
            {
                if (!Ipv4Cidr.TryParse(destination, out var d))
                {
                    continue;
                }
                foreach (var onward in natTable.Routes.Where(r => r.State == "active" && r.DestinationIpv6CidrBlock is null))
                {
                    var peering = onward.VpcPeeringConnectionId is { } pcx && activePeerings.Contains(pcx) ? pcx : null;
                    var attachment = onward.TransitGatewayId is { } tgw ? transitGateways.FirstOrDefault(g => g.TransitGatewayId == tgw)?.AttachmentId : null;
                    if (peering is null && attachment is null)
                    {
                        continue;
                    }
                    foreach (var block in RouteDestinations(onward, prefixLists))
                    {
                        if (Ipv4Cidr.TryParse(block, out var e) && d.Overlaps(e))
                        {
                            var narrower = d.PrefixLength >= e.PrefixLength ? d : e;
                            routes.Add(new FirewallPrivateNatRoute(narrower.ToString(), nat.Addresses, peering, attachment));
                        }
                    }
                }
            }
        }
        return [.. routes.DistinctBy(r => (r.DestinationCidr, r.PeeringConnectionId, r.TransitGatewayAttachmentId))
            .OrderBy(r => r.DestinationCidr, StringComparer.Ordinal).ThenBy(r => r.PeeringConnectionId ?? r.TransitGatewayAttachmentId, StringComparer.Ordinal)];
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
        // Groups of other accounts (named across a peering connection): their members are that account's interfaces in this Region.
        foreach (var owner in groupRules.Values.SelectMany(r => r).Where(r => r.PeerKind == PeerKind.Group && r.PeerOwnerId is { } o && o != scope.AccountId)
            .Select(r => r.PeerOwnerId!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            foreach (var eni in await session.ListAsync<NetworkInterfaceResource>(scope with { AccountId = owner }, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false))
            {
                foreach (var groupId in eni.SecurityGroupIds)
                {
                    if (memberSets.TryGetValue(groupId, out var set))
                    {
                        set.UnionWith(eni.AllPrivateIpAddresses);
                    }
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

        // NAT gateways that forward: public ones with an Elastic IP, in a subnet routed to an internet
        // gateway (all their Elastic IPs, the primary first); private ones (their private addresses,
        // the primary first), which go on wherever their own subnet's route table sends the traffic.
        var natAddresses = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var privateNats = new Dictionary<string, (NatGatewayResource Nat, List<string> Addresses)>(StringComparer.Ordinal);
        foreach (var nat in lists.NatGateways)
        {
            if (nat.VpcId != vpcId || !nat.Forwards)
            {
                continue;
            }
            if (nat.ConnectivityType == "public" && nat.PrimaryPublicIp is not null && RoutesToInternet(TableOf(nat.SubnetId)) && access(vpcId, nat.SubnetId).Egress)
            {
                natAddresses[nat.Id] = nat.Addresses.OrderByDescending(a => a.IsPrimary).Select(a => a.PublicIp).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            }
            else if (nat.ConnectivityType == "private" && nat.Addresses.Count > 0)
            {
                privateNats[nat.Id] = (nat, nat.Addresses.OrderByDescending(a => a.IsPrimary).Select(a => a.PrivateIp).Distinct(StringComparer.Ordinal).ToList());
            }
        }
        var activeConnections = lists.PeeringConnections
            .Where(p => p.Status == "active" && p.Involves(vpcId))
            .OrderBy(p => p.Id, StringComparer.Ordinal)
            .ToList();
        // Peer VPCs are read in their own account and Region (a connection may join two of either).
        var peerVpcs = new Dictionary<string, VpcResource>(StringComparer.Ordinal);
        foreach (var bySide in activeConnections.Select(p => p.PeerOf(vpcId)).GroupBy(side => new Scope(side.OwnerId, side.Region)))
        {
            foreach (var peerVpc in await session.GetManyAsync<VpcResource>(bySide.Key, ResourceTypes.Vpc, bySide.Select(side => side.VpcId).Distinct(StringComparer.Ordinal).ToList(), ct).ConfigureAwait(false))
            {
                peerVpcs[peerVpc.Id] = peerVpc;
            }
        }
        var peerings = activeConnections
            .Select(p => new FirewallPeering(p.Id, p.PeerOf(vpcId).VpcId, p.PeerOf(vpcId).CidrBlocks.ToList())
            {
                PeerOwnerId = p.PeerOf(vpcId).OwnerId == scope.AccountId ? null : p.PeerOf(vpcId).OwnerId,
                PeerRegion = p.PeerOf(vpcId).Region == scope.Region ? null : p.PeerOf(vpcId).Region,
                ResolvesPeerNames = p.PeerOf(vpcId).AllowDnsResolutionFromRemoteVpc,
                PeerIpv6Cidrs = peerVpcs.TryGetValue(p.PeerOf(vpcId).VpcId, out var peerVpc)
                    ? peerVpc.Ipv6CidrBlocks.Where(b => b.State == "associated").Select(b => b.Ipv6CidrBlock).ToList()
                    : [],
            })
            .ToList();
        var activePeerings = peerings.Select(p => p.PeeringConnectionId).ToHashSet(StringComparer.Ordinal);
        // Routes to a prefix list carry its IPv4 blocks.
        var routeLists = await ManagedPrefixLists.Ipv4BlocksAsync(session, scope,
            tables.SelectMany(t => t.Routes).Select(r => r.DestinationPrefixListId).OfType<string>(), ct).ConfigureAwait(false);
        var transitGateways = await TransitGatewayFirewall.ReadAsync(session, scope, vpcId, DateTime.UtcNow, ct).ConfigureAwait(false);
        var translatedTransit = new List<(string AttachmentId, FirewallTransitGatewayRoute Route)>();
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
            var natPool = natRoute is not null && natAddresses.TryGetValue(natRoute.NatGatewayId!, out var pool) && pool.Count > 0 ? pool : null;
            var gatewayRoutes = table is null ? [] : GatewayRoutes(table, routeLists, natAddresses, reach.Egress);
            var privateNatRoutes = table is null ? [] : PrivateNatRoutes(table, routeLists, privateNats, TableOf, activePeerings, transitGateways);
            foreach (var route in privateNatRoutes.Where(r => r.TransitGatewayAttachmentId is not null))
            {
                translatedTransit.Add((route.TransitGatewayAttachmentId!, new FirewallTransitGatewayRoute(subnet.Id, subnet.CidrBlock, route.DestinationCidr) { Translated = true }));
            }
            firewallSubnets.Add(new FirewallSubnet(subnet.Id, subnet.CidrBlock, isPublic, acl?.Id, entries)
            {
                NatAddress = natPool?[0],
                NatAddresses = natPool ?? [],
                GatewayRoutes = gatewayRoutes,
                PrivateNatRoutes = privateNatRoutes,
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
            NatAddresses = natAddresses.Values.SelectMany(a => a).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            NatGateways = natAddresses.Select(n => new FirewallNatGateway(n.Key, n.Value)).Concat(privateNats.Select(n => new FirewallNatGateway(n.Key, n.Value.Addresses)))
                .Where(n => n.Addresses.Count > 0).OrderBy(n => n.NatGatewayId, StringComparer.Ordinal).ToList(),
            TransitGateways = transitGateways.Select(g => translatedTransit.Exists(t => t.AttachmentId == g.AttachmentId)
                ? g with { SubnetRoutes = [.. g.SubnetRoutes, .. translatedTransit.Where(t => t.AttachmentId == g.AttachmentId).Select(t => t.Route).Distinct()] }
                : g).ToList(),
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
