namespace Stratus.Domain.Vpc.TransitGateways;

/// <summary>One route of a transit gateway route table as the API shows it and as forwarding uses it.</summary>
/// <param name="DestinationCidrBlock">The destination, a canonical IPv4 or IPv6 block.</param>
/// <param name="Type"><c>static</c> or <c>propagated</c>.</param>
/// <param name="State"><c>active</c> or <c>blackhole</c>.</param>
/// <param name="AttachmentId">Where matching traffic goes; null for a blackhole route.</param>
public sealed record TransitGatewayRouteView(string DestinationCidrBlock, string Type, string State, string? AttachmentId)
{
    public System.Net.IPNetwork Destination => System.Net.IPNetwork.Parse(DestinationCidrBlock);

    /// <summary>True when the destination block holds all of <paramref name="block"/> (same family).</summary>
    public bool Covers(System.Net.IPNetwork block) =>
        Destination is var d && d.BaseAddress.AddressFamily == block.BaseAddress.AddressFamily && d.PrefixLength <= block.PrefixLength && d.Contains(block.BaseAddress);

    /// <summary>True when <paramref name="block"/> holds all of the destination block (same family).</summary>
    public bool IsWithin(System.Net.IPNetwork block) =>
        Destination is var d && d.BaseAddress.AddressFamily == block.BaseAddress.AddressFamily && block.PrefixLength <= d.PrefixLength && block.Contains(d.BaseAddress);

    /// <summary>Sort key: IPv4 blocks before IPv6 ones, then by address and prefix length.</summary>
    internal (int Family, UInt128 Address, int Prefix) SortKey
    {
        get
        {
            var d = Destination;
            var bytes = d.BaseAddress.GetAddressBytes();
            var padded = new byte[16];
            bytes.CopyTo(padded, 16 - bytes.Length);
            var number = new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(padded.AsSpan(0, 8)), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(padded.AsSpan(8, 8)));
            return (bytes.Length == 4 ? 4 : 6, number, d.PrefixLength);
        }
    }
}

/// <summary>Everything forwarding through one transit gateway depends on.</summary>
/// <param name="ResourceCidrs">What each attachment's propagation announces, by <see cref="TransitGateways.PropagationKey"/>: a VPC's CIDR blocks, a Connect attachment's BGP-learned prefixes.</param>
public sealed record TransitGatewayTopology(
    TransitGatewayResource Gateway,
    IReadOnlyList<TransitGatewayAttachmentResource> Attachments,
    IReadOnlyList<TransitGatewayRouteTableResource> RouteTables,
    IReadOnlyDictionary<string, IReadOnlyList<string>> ResourceCidrs);

/// <summary>What a transit gateway does with a packet.</summary>
public enum ForwardingOutcome
{
    /// <summary>Sent out of <see cref="TransitGatewayForwarding.AttachmentId"/>.</summary>
    Forward,

    /// <summary>Dropped by a blackhole route (or a static route whose attachment is gone).</summary>
    Blackhole,

    /// <summary>Dropped: the associated route table has no route to the destination.</summary>
    NoRoute,

    /// <summary>Dropped: the ingress attachment is associated with no route table.</summary>
    NotAssociated,

    /// <summary>Dropped: the gateway, the ingress attachment or the egress attachment is not available.</summary>
    Unavailable,
}

/// <summary>A forwarding decision, with the route table and the route that made it.</summary>
public sealed record TransitGatewayForwarding(ForwardingOutcome Outcome, string? AttachmentId = null, string? RouteTableId = null, TransitGatewayRouteView? Route = null);

/// <summary>
/// Transit gateway routing as pure functions: the effective routes of a route table (static
/// routes, then the CIDR blocks propagated by attachments, a static route winning over a propagated
/// one for the same block) and, given a gateway, its attachments and route tables, where a packet
/// arriving on one attachment for a destination address goes (longest prefix match in the route
/// table associated with the ingress attachment). The API shows the first; a host data plane
/// forwards per the second.
/// </summary>
public static class TransitGatewayRouting
{
    /// <summary>The attachment states in which an attachment carries traffic and its propagations count.</summary>
    public static bool IsUsable(TransitGatewayAttachmentResource attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return attachment.State is "available" or "modifying" && attachment.NextState is null or "available";
    }

    /// <summary>The routes of <paramref name="table"/>, ordered by destination (address, then prefix length).</summary>
    public static IReadOnlyList<TransitGatewayRouteView> EffectiveRoutes(
        TransitGatewayRouteTableResource table,
        IEnumerable<TransitGatewayAttachmentResource> attachments,
        IReadOnlyDictionary<string, IReadOnlyList<string>> resourceCidrs)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(resourceCidrs);
        var byId = attachments.Where(a => TransitGateways.BelongsTo(a, table.TransitGatewayId)).ToDictionary(a => a.Id, StringComparer.Ordinal);
        var routes = new Dictionary<string, TransitGatewayRouteView>(StringComparer.Ordinal);
        foreach (var route in table.Routes)
        {
            var active = !route.Blackhole && route.AttachmentId is { } id && byId.TryGetValue(id, out var target)
                && !Provisioning.IsDeletedOrDeleting(target);
            routes[route.DestinationCidrBlock] = new TransitGatewayRouteView(route.DestinationCidrBlock, "static", active ? "active" : "blackhole",
                route.Blackhole ? null : route.AttachmentId);
        }
        foreach (var attachmentId in table.PropagatingAttachmentIds.Order(StringComparer.Ordinal))
        {
            if (!byId.TryGetValue(attachmentId, out var attachment) || !IsUsable(attachment)
                || !resourceCidrs.TryGetValue(TransitGateways.PropagationKey(attachment), out var cidrs))
            {
                continue;
            }
            foreach (var cidr in cidrs)
            {
                // A static route for the same block takes precedence; of two propagations the first stays.
                routes.TryAdd(cidr, new TransitGatewayRouteView(cidr, "propagated", "active", attachment.Id));
            }
        }
        return routes.Values.OrderBy(r => r.SortKey).ToList();
    }

    /// <summary>
    /// Where a packet for <paramref name="destination"/> arriving from <paramref name="ingressAttachmentId"/>
    /// goes: the longest matching route of the route table the ingress attachment is associated with.
    /// </summary>
    public static TransitGatewayForwarding Forward(TransitGatewayTopology topology, string ingressAttachmentId, uint destination) =>
        Forward(topology, ingressAttachmentId, System.Net.IPAddress.Parse(Ipv4.Format(destination)));

    /// <summary>
    /// Where a packet for <paramref name="destination"/> (IPv4 or IPv6) arriving from <paramref name="ingressAttachmentId"/>
    /// goes: the longest matching route of the same family in the route table the ingress attachment is associated with.
    /// </summary>
    public static TransitGatewayForwarding Forward(TransitGatewayTopology topology, string ingressAttachmentId, System.Net.IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(topology);
        if (topology.Gateway.State is not ("available" or "modifying"))
        {
            return new TransitGatewayForwarding(ForwardingOutcome.Unavailable);
        }
        var ingress = topology.Attachments.FirstOrDefault(a => a.Id == ingressAttachmentId && TransitGateways.BelongsTo(a, topology.Gateway.Id));
        if (ingress is null || !IsUsable(ingress))
        {
            return new TransitGatewayForwarding(ForwardingOutcome.Unavailable);
        }
        var table = TransitGateways.AssociationOn(ingress, topology.Gateway.Id) is { } tableId
            ? topology.RouteTables.FirstOrDefault(t => t.Id == tableId && t.State == "available")
            : null;
        if (table is null)
        {
            return new TransitGatewayForwarding(ForwardingOutcome.NotAssociated);
        }
        var best = EffectiveRoutes(table, topology.Attachments, topology.ResourceCidrs)
            .Where(r => r.Destination.BaseAddress.AddressFamily == destination.AddressFamily && r.Destination.Contains(destination))
            .MaxBy(r => r.Destination.PrefixLength);
        if (best is null)
        {
            return new TransitGatewayForwarding(ForwardingOutcome.NoRoute, RouteTableId: table.Id);
        }
        if (best.State == "blackhole" || best.AttachmentId is null)
        {
            return new TransitGatewayForwarding(ForwardingOutcome.Blackhole, RouteTableId: table.Id, Route: best);
        }
        var egress = topology.Attachments.First(a => a.Id == best.AttachmentId);
        return IsUsable(egress)
            ? new TransitGatewayForwarding(ForwardingOutcome.Forward, egress.Id, table.Id, best)
            : new TransitGatewayForwarding(ForwardingOutcome.Unavailable, egress.Id, table.Id, best);
    }
}
