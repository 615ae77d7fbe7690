using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.TransitGateways;

namespace Stratus.Domain.Firewall;

/// <summary>A route of a transit gateway route table as a host forwards it: to an attachment, or dropped (null).</summary>
public sealed record TransitGatewayHostRoute(string DestinationCidr, string? AttachmentId);

/// <summary>A transit gateway route table as a host forwards it: its effective routes.</summary>
public sealed record TransitGatewayHostRouteTable(string RouteTableId, IReadOnlyList<TransitGatewayHostRoute> Routes);

/// <summary>An attachment that carries traffic: a VPC (<c>vpc</c>) or a VPN connection (<c>vpn</c>) and the route table it is associated with.</summary>
public sealed record TransitGatewayHostAttachment(string AttachmentId, string ResourceType, string ResourceId, string? RouteTableId);

/// <summary>
/// A transit gateway as a host forwards for it: the attachments that carry traffic (pending,
/// available or modifying ones; the API moves them on a second later, the packets should not
/// wait) and its route tables with their effective routes (static routes over propagated ones;
/// a route to an attachment that does not carry traffic drops).
/// </summary>
public sealed record TransitGatewayHostView(string TransitGatewayId, IReadOnlyList<TransitGatewayHostAttachment> Attachments, IReadOnlyList<TransitGatewayHostRouteTable> RouteTables);

/// <summary>A route of a subnet's route table to a transit gateway.</summary>
public sealed record FirewallTransitGatewayRoute(string SubnetId, string SubnetCidr, string DestinationCidr);

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
        var attachments = allAttachments.Where(a => a.TransitGatewayId == transitGatewayId && Forwards(a)).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
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
                if (byId.TryGetValue(attachmentId, out var attachment) && cidrs.TryGetValue(attachment.ResourceId, out var blocks))
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
        var hostAttachments = attachments
            .Select(a => new TransitGatewayHostAttachment(a.Id, a.ResourceType, a.ResourceId, a.AssociatedRouteTableId is { } t && tableIds.Contains(t) ? t : null))
            .ToList();
        return new TransitGatewayHostView(transitGatewayId, hostAttachments, hostTables);
    }
}
