using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.TransitGateways;

namespace Stratus.Domain.Firewall;

/// <summary>A route of a transit gateway route table as a host forwards it: to an attachment, or dropped (null).</summary>
public sealed record TransitGatewayHostRoute(string DestinationCidr, string? AttachmentId);

/// <summary>A transit gateway route table as a host forwards it: its effective routes.</summary>
public sealed record TransitGatewayHostRouteTable(string RouteTableId, IReadOnlyList<TransitGatewayHostRoute> Routes);

/// <summary>
/// An attachment that carries traffic and the route table (of this gateway) it is associated
/// with: a VPC (<c>vpc</c>), a VPN connection (<c>vpn</c>), a peering with another gateway
/// (<c>peering</c>: <see cref="PeerTransitGatewayId"/> in <see cref="PeerRegion"/>), or a Connect
/// attachment (<c>connect</c>: GRE tunnels over the VPC attachment <c>ResourceId</c>, one per
/// Connect peer).
/// </summary>
public sealed record TransitGatewayHostAttachment(string AttachmentId, string ResourceType, string ResourceId, string? RouteTableId)
{
    public string? PeerTransitGatewayId { get; init; }
    public string? PeerRegion { get; init; }

    /// <summary>Peering attachments: the peer gateway's account.</summary>
    public string? PeerAccountId { get; init; }
    public IReadOnlyList<TransitGatewayHostConnectPeer> ConnectPeers { get; init; } = [];
}

/// <summary>
/// A Connect peer as the host builds it: a GRE tunnel between <see cref="TransitGatewayAddress"/>
/// (the gateway's, from its CIDR blocks) and <see cref="PeerAddress"/> (the appliance's, in the
/// transport VPC), with the gateway's inside addresses (<see cref="InsideAddress"/> and
/// <see cref="SecondInsideAddress"/>, the second and third of the /29) on the tunnel, each with a
/// BGP session (<see cref="TransitGatewayAsn"/>) to the peer's inside address (the first,
/// <see cref="PeerAsn"/>).
/// </summary>
public sealed record TransitGatewayHostConnectPeer(string ConnectPeerId, string TransitGatewayAddress, string PeerAddress, string InsideCidr, string InsideAddress)
{
    /// <summary>The appliance's BGP address: the inside block's first.</summary>
    public string PeerInsideAddress => Ipv4.Format(Ipv4Cidr.Parse(InsideCidr).Network + 1);

    /// <summary>The gateway's second BGP address: the inside block's third.</summary>
    public string SecondInsideAddress => Ipv4.Format(Ipv4Cidr.Parse(InsideCidr).Network + 3);

    public long PeerAsn { get; init; }

    public long TransitGatewayAsn { get; init; }
}

/// <summary>
/// A transit gateway as a host forwards for it: the attachments that carry traffic (pending,
/// available or modifying ones; the API moves them on a second later, the packets should not
/// wait) and its route tables with their effective routes (static routes over propagated ones;
/// a route to an attachment that does not carry traffic drops).
/// </summary>
public sealed record TransitGatewayHostView(string TransitGatewayId, IReadOnlyList<TransitGatewayHostAttachment> Attachments, IReadOnlyList<TransitGatewayHostRouteTable> RouteTables);

/// <summary>
/// A route of a subnet's route table to a transit gateway: an IPv4 one (<paramref name="SubnetCidr"/>
/// the subnet's IPv4 block) or an IPv6 one (<paramref name="SubnetCidr"/> the subnet's IPv6 /64).
/// </summary>
public sealed record FirewallTransitGatewayRoute(string SubnetId, string SubnetCidr, string DestinationCidr)
{
    /// <summary>True for an IPv6 route.</summary>
    public bool IsIpv6 => DestinationCidr.Contains(':', StringComparison.Ordinal);

    /// <summary>
    /// True when the subnet sends the destination to a private NAT gateway whose subnet routes it to
    /// this gateway: the subnet's packets take the link translated to the NAT gateway's address, and
    /// nothing from the gateway starts a flow to the subnet.
    /// </summary>
    public bool Translated { get; init; }
}

/// <summary>
/// A VPC's attachment to a transit gateway, as the VPC's host side needs it: the routes of its
/// subnets' route tables that send destinations to the gateway, and the gateway itself.
/// </summary>
public sealed record FirewallTransitGateway(string TransitGatewayId, string AttachmentId, IReadOnlyList<FirewallTransitGatewayRoute> SubnetRoutes, TransitGatewayHostView Gateway);

/// <summary>Reads a VPC's transit gateway attachments for its packet filter and host routing.</summary>
public static class TransitGatewayFirewall
{
    /// <summary>True while an attachment carries traffic.</summary>
    public static bool Forwards(TransitGatewayAttachmentResource attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return attachment.State is "pending" or "available" or "modifying" && attachment.NextState is null or "available";
    }

    /// <summary>The transit gateways <paramref name="vpcId"/> is attached to, with what forwarding through each needs.</summary>
    public static async Task<IReadOnlyList<FirewallTransitGateway>> ReadAsync(IStoreSession session, Scope scope, string vpcId, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var attachments = await Provisioning.ListAsync<TransitGatewayAttachmentResource>(session, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false);
        var ours = attachments.Where(a => a.ResourceType == "vpc" && a.ResourceId == vpcId && Forwards(a)).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
        if (ours.Count == 0)
        {
            return [];
        }
        var subnets = (await session.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false)).Where(s => s.VpcId == vpcId).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        var tables = (await session.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpcId).ToList();
        var main = tables.Find(t => t.Associations.Exists(a => a.Main));
        // Routes to a prefix list carry its IPv4 blocks, as a route to each block would.
        var routeLists = await Vpc.PrefixLists.ManagedPrefixLists.Ipv4BlocksAsync(session, scope,
            tables.SelectMany(t => t.Routes).Where(r => r.TransitGatewayId is not null).Select(r => r.DestinationPrefixListId).OfType<string>(), ct).ConfigureAwait(false);
        var result = new List<FirewallTransitGateway>();
        foreach (var attachment in ours)
        {
            var gateway = await session.GetAsync<TransitGatewayResource>(scope, ResourceTypes.TransitGateway, attachment.TransitGatewayId, ct).ConfigureAwait(false);
            if (gateway is null || Provisioning.IsDeletedOrDeleting(Provisioning.Settle(gateway, now)))
            {
                continue;
            }
            var routes = new List<FirewallTransitGatewayRoute>();
            foreach (var subnet in subnets)
            {
                var table = tables.Find(t => t.Associations.Exists(a => a.SubnetId == subnet.Id)) ?? main;
                foreach (var route in table?.Routes ?? [])
                {
                    if (route.TransitGatewayId == gateway.Id && route.State == "active" && route.DestinationCidrBlock is { } destination)
                    {
                        routes.Add(new FirewallTransitGatewayRoute(subnet.Id, subnet.CidrBlock, destination));
                    }
                    else if (route.TransitGatewayId == gateway.Id && route.State == "active" && route.DestinationPrefixListId is { } list
                        && routeLists.TryGetValue(list, out var blocks))
                    {
                        routes.AddRange(blocks.Select(b => new FirewallTransitGatewayRoute(subnet.Id, subnet.CidrBlock, b)));
                    }
                    else if (route.TransitGatewayId == gateway.Id && route.State == "active" && route.DestinationIpv6CidrBlock is { } destination6
                        && Vpc.Ipv6.Ipv6Blocks.SubnetBlock(subnet) is { } subnet6)
                    {
                        routes.Add(new FirewallTransitGatewayRoute(subnet.Id, subnet6, destination6));
                    }
                }
            }
            var view = await ViewAsync(session, scope, gateway.Id, attachments, now, ct).ConfigureAwait(false);
            result.Add(new FirewallTransitGateway(gateway.Id, attachment.Id, routes, view));
        }
        return result;
    }

    /// <summary>The host view of one transit gateway.</summary>
    public static async Task<TransitGatewayHostView> ViewAsync(IStoreSession session, Scope scope, string transitGatewayId, IReadOnlyList<TransitGatewayAttachmentResource> allAttachments, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(allAttachments);
        var attachments = allAttachments.Where(a => TransitGateways.BelongsTo(a, transitGatewayId) && Forwards(a)).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
        var tables = (await Provisioning.ListAsync<TransitGatewayRouteTableResource>(session, scope, ResourceTypes.TransitGatewayRouteTable, now, ct).ConfigureAwait(false))
            .Where(t => t.TransitGatewayId == transitGatewayId && !Provisioning.IsDeletedOrDeleting(t))
            .OrderBy(t => t.Id, StringComparer.Ordinal)
            .ToList();
        var cidrs = await TransitGateways.ResourceCidrsAsync(session, scope, attachments, ct).ConfigureAwait(false);
        var byId = attachments.ToDictionary(a => a.Id, StringComparer.Ordinal);
        var hostTables = new List<TransitGatewayHostRouteTable>();
        foreach (var table in tables)
        {
            var routes = new Dictionary<string, TransitGatewayHostRoute>(StringComparer.Ordinal);
            foreach (var route in table.Routes)
            {
                var target = !route.Blackhole && route.AttachmentId is { } id && byId.ContainsKey(id) ? id : null;
                routes[route.DestinationCidrBlock] = new TransitGatewayHostRoute(route.DestinationCidrBlock, target);
            }
            foreach (var attachmentId in table.PropagatingAttachmentIds.Order(StringComparer.Ordinal))
            {
                if (byId.TryGetValue(attachmentId, out var attachment) && cidrs.TryGetValue(TransitGateways.PropagationKey(attachment), out var blocks))
                {
                    foreach (var block in blocks)
                    {
                        routes.TryAdd(block, new TransitGatewayHostRoute(block, attachment.Id));
                    }
                }
            }
            hostTables.Add(new TransitGatewayHostRouteTable(table.Id, routes.Values.OrderBy(r => r.DestinationCidr, StringComparer.Ordinal).ToList()));
        }
        var tableIds = hostTables.Select(t => t.RouteTableId).ToHashSet(StringComparer.Ordinal);
        var connectPeers = attachments.Exists(a => a.ResourceType == "connect")
            ? (await Provisioning.ListAsync<TransitGatewayConnectPeerResource>(session, scope, ResourceTypes.TransitGatewayConnectPeer, now, ct).ConfigureAwait(false))
                .Where(p => p.State is "pending" or "available" && p.NextState is null or "available")
                .OrderBy(p => p.Id, StringComparer.Ordinal)
                .ToList()
            : [];
        var hostAttachments = attachments
            .Select(a => new TransitGatewayHostAttachment(a.Id, a.ResourceType, a.ResourceId,
                TransitGateways.AssociationOn(a, transitGatewayId) is { } t && tableIds.Contains(t) ? t : null)
            {
                PeerTransitGatewayId = a.ResourceType == "peering" ? TransitGateways.PeerOf(a, transitGatewayId) : null,
                PeerRegion = a.ResourceType == "peering" ? TransitGateways.PeerRegionOf(a, transitGatewayId, scope.Region) : null,
                PeerAccountId = a.ResourceType == "peering" ? TransitGateways.PeerAccountOf(a, transitGatewayId) : null,
                ConnectPeers = a.ResourceType == "connect"
                    ? connectPeers.Where(p => p.TransitGatewayAttachmentId == a.Id && p.InsideCidrBlocks.Count > 0)
                        .Select(p => new TransitGatewayHostConnectPeer(p.Id, p.TransitGatewayAddress, p.PeerAddress, p.InsideCidrBlocks[0],
                            Ipv4.Format(Ipv4Cidr.Parse(p.InsideCidrBlocks[0]).Network + 2))
                        { PeerAsn = p.PeerAsn, TransitGatewayAsn = p.TransitGatewayAsn })
                        .ToList()
                    : [],
            })
            .ToList();
        return new TransitGatewayHostView(transitGatewayId, hostAttachments, hostTables);
    }
}
