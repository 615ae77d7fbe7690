using System.Security.Cryptography;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc.TransitGateways;

namespace Stratus.Domain.Vpc.Vpn;

/// <summary>The tunnel settings CreateVpnConnection may give per tunnel.</summary>
public sealed record VpnTunnelSpec(
    string? InsideCidr = null,
    string? PreSharedKey = null,
    int? Phase1LifetimeSeconds = null,
    int? Phase2LifetimeSeconds = null,
    int? DpdTimeoutSeconds = null,
    string? DpdTimeoutAction = null,
    string? StartupAction = null,
    IReadOnlyList<string>? IkeVersions = null);

/// <summary>What CreateVpnConnection asks for.</summary>
public sealed record VpnConnectionSpec(
    string? CustomerGatewayId,
    string? Type,
    string? VpnGatewayId,
    string? TransitGatewayId,
    bool StaticRoutesOnly,
    string? LocalIpv4NetworkCidr,
    string? RemoteIpv4NetworkCidr,
    bool EnableAcceleration,
    IReadOnlyList<VpnTunnelSpec> Tunnels);

/// <summary>Customer gateways, virtual private gateways and VPN connections with EC2's rules and states (no tunnels are established).</summary>
public static class Vpn
{
    // ---- Customer gateways -----------------------------------------------------------------

    public static Task<CustomerGatewayResource> RequireCustomerGatewayAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<CustomerGatewayResource>(session, scope, ResourceTypes.CustomerGateway, id, "CustomerGatewayId", now, ct);

    /// <summary>
    /// CreateCustomerGateway: type ipsec.1, a public IPv4 address, a BGP ASN (65000 by default).
    /// As on AWS, asking again for the same type, address and ASN returns the existing gateway.
    /// </summary>
    public static async Task<CustomerGatewayResource> CreateCustomerGatewayAsync(
        IStoreTransaction tx, Scope scope, string? type, string? ipAddress, long? bgpAsn, string? certificateArn, string? deviceName, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        CheckType(type);
        if (ipAddress is null && certificateArn is null)
        {
            throw AwsErrors.MissingParameter("IpAddress");
        }
        if (ipAddress is not null && !Ipv4.TryParse(ipAddress, out _))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({ipAddress}) for parameter ipAddress is invalid. Invalid Format.");
        }
        var asn = bgpAsn ?? 65000;
        if (asn is < 1 or > 4294967294)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({asn}) for parameter bgpAsn is invalid. Valid values: 1-2147483647, or 1-4294967294 as BgpAsnExtended.");
        }
        var existing = await Provisioning.ListAsync<CustomerGatewayResource>(tx, scope, ResourceTypes.CustomerGateway, now, ct).ConfigureAwait(false);
        if (existing.Find(g => g.IpAddress == (ipAddress ?? "") && g.BgpAsn == asn && !Provisioning.IsDeletedOrDeleting(g)) is { } same)
        {
            return same;
        }
        var gateway = new CustomerGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.CustomerGateway.IdPrefix),
            IpAddress = ipAddress ?? "",
            BgpAsn = asn,
            CertificateArn = certificateArn,
            DeviceName = deviceName,
            Tags = tags,
        };
        Provisioning.Begin(gateway, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.CustomerGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        return gateway;
    }

    /// <summary>DeleteCustomerGateway: refused while a VPN connection uses it.</summary>
    public static async Task DeleteCustomerGatewayAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireCustomerGatewayAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (Provisioning.IsDeletedOrDeleting(gateway))
        {
            return;
        }
        var connections = await Provisioning.ListAsync<VpnConnectionResource>(tx, scope, ResourceTypes.VpnConnection, now, ct).ConfigureAwait(false);
        if (connections.Find(c => c.CustomerGatewayId == gateway.Id && !Provisioning.IsDeletedOrDeleting(c)) is { } inUse)
        {
            throw new AwsException("IncorrectState", $"The customer gateway {gateway.Id} is in use by VPN connection {inUse.Id}.");
        }
        Provisioning.Begin(gateway, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.CustomerGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
    }

    // ---- Virtual private gateways ----------------------------------------------------------

    public static Task<VpnGatewayResource> RequireVpnGatewayAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<VpnGatewayResource>(session, scope, ResourceTypes.VpnGateway, id, "VpnGatewayId", now, ct);

    /// <summary>CreateVpnGateway: type ipsec.1 and a private Amazon-side ASN (64512 by default).</summary>
    public static async Task<VpnGatewayResource> CreateVpnGatewayAsync(
        IStoreTransaction tx, Scope scope, string? type, long? amazonSideAsn, string? availabilityZone, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        CheckType(type);
        var gateway = new VpnGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.VpnGateway.IdPrefix),
            AmazonSideAsn = amazonSideAsn is { } asn ? TransitGateways.TransitGateways.CheckAsn(asn) : 64512,
            AvailabilityZone = availabilityZone,
            Tags = tags,
        };
        Provisioning.Begin(gateway, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.VpnGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        return gateway;
    }

    /// <summary>DeleteVpnGateway: refused while attached to a VPC or used by a VPN connection.</summary>
    public static async Task DeleteVpnGatewayAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireVpnGatewayAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (Provisioning.IsDeletedOrDeleting(gateway))
        {
            return;
        }
        if (gateway.VpcAttachments.Find(a => a.State is "attaching" or "attached") is { } attached)
        {
            throw new AwsException("IncorrectState", $"The vpnGateway '{gateway.Id}' is attached to {attached.VpcId}; detach it first.");
        }
        var connections = await Provisioning.ListAsync<VpnConnectionResource>(tx, scope, ResourceTypes.VpnConnection, now, ct).ConfigureAwait(false);
        if (connections.Find(c => c.VpnGatewayId == gateway.Id && !Provisioning.IsDeletedOrDeleting(c)) is { } inUse)
        {
            throw new AwsException("IncorrectState", $"The vpnGateway '{gateway.Id}' is in use by VPN connection {inUse.Id}.");
        }
        Provisioning.Begin(gateway, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.VpnGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
    }

    /// <summary>AttachVpnGateway: one VPC per gateway, one gateway per VPC; attaching → attached.</summary>
    public static async Task<VpnGatewayVpcAttachment> AttachAsync(IStoreTransaction tx, Scope scope, string? vpnGatewayId, string? vpcId, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireVpnGatewayAsync(tx, scope, vpnGatewayId, now, ct).ConfigureAwait(false);
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        TransitGateways.TransitGateways.RequireState(gateway.Id, gateway.State, "available");
        if (gateway.AttachedVpcId is { } current)
        {
            throw current == vpc.Id
                ? new AwsException("VpnGatewayAttachmentLimitExceeded", $"The VPN gateway {gateway.Id} is already attached to {vpc.Id}.")
                : new AwsException("VpnGatewayAttachmentLimitExceeded", $"The VPN gateway {gateway.Id} is already attached to another VPC ({current}).");
        }
        var others = await Provisioning.ListAsync<VpnGatewayResource>(tx, scope, ResourceTypes.VpnGateway, now, ct).ConfigureAwait(false);
        if (others.Find(g => g.Id != gateway.Id && g.AttachedVpcId == vpc.Id) is { } other)
        {
            throw new AwsException("InvalidParameterValue", $"The VPC {vpc.Id} already has a VPN gateway attached ({other.Id}).");
        }
        gateway.VpcAttachments.RemoveAll(a => a.VpcId == vpc.Id);
        var attachment = new VpnGatewayVpcAttachment { VpcId = vpc.Id, State = "attaching", NextState = "attached", NextStateAt = now + Provisioning.Delay };
        gateway.VpcAttachments.Add(attachment);
        await tx.PutAsync(scope, ResourceTypes.VpnGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        return attachment;
    }

    /// <summary>DetachVpnGateway: detaching → detached; the VPC's route tables stop receiving its routes.</summary>
    public static async Task DetachAsync(IStoreTransaction tx, Scope scope, string? vpnGatewayId, string? vpcId, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireVpnGatewayAsync(tx, scope, vpnGatewayId, now, ct).ConfigureAwait(false);
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var attachment = gateway.VpcAttachments.Find(a => a.VpcId == vpc.Id && a.State is "attaching" or "attached")
            ?? throw new AwsException("InvalidVpnGatewayAttachment.NotFound", $"The attachment with vpn gateway ID '{gateway.Id}' and vpc ID '{vpc.Id}' does not exist");
        attachment.State = "detaching";
        attachment.NextState = "detached";
        attachment.NextStateAt = now + Provisioning.Delay;
        await tx.PutAsync(scope, ResourceTypes.VpnGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        foreach (var table in (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpc.Id))
        {
            var removed = table.PropagatingVgws.Remove(gateway.Id);
            removed |= table.Routes.RemoveAll(r => r.GatewayId == gateway.Id && r.Origin == "EnableVgwRoutePropagation") > 0;
            if (removed)
            {
                await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The check CreateRoute makes of a <c>vgw-</c> target: a virtual private gateway attached to the table's VPC.</summary>
    public static async Task<string> RouteTargetAsync(IStoreSession session, Scope scope, string vpcId, string vpnGatewayId, CancellationToken ct)
    {
        ResourceTypes.VpnGateway.CheckId(vpnGatewayId);
        var gateway = await session.GetAsync<VpnGatewayResource>(scope, ResourceTypes.VpnGateway, vpnGatewayId, ct).ConfigureAwait(false);
        if (gateway is null || Provisioning.IsDeletedOrDeleting(gateway))
        {
            throw ResourceTypes.VpnGateway.NotFound(vpnGatewayId);
        }
        if (gateway.AttachedVpcId != vpcId)
        {
            throw AwsErrors.InvalidParameterValue($"route table and network gateway {vpnGatewayId} belong to different networks");
        }
        return gateway.Id;
    }

    /// <summary>Enable/DisableVgwRoutePropagation: the table receives (stops receiving) the gateway's VPN routes.</summary>
    public static async Task SetRoutePropagationAsync(IStoreTransaction tx, Scope scope, string? routeTableId, string? vpnGatewayId, bool enable, DateTime now, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(vpnGatewayId))
        {
            throw AwsErrors.MissingParameter("GatewayId");
        }
        var gateway = await RequireVpnGatewayAsync(tx, scope, vpnGatewayId, now, ct).ConfigureAwait(false);
        if (enable)
        {
            if (gateway.AttachedVpcId != table.VpcId)
            {
                throw new AwsException("Gateway.NotAttached", $"resource {gateway.Id} is not attached to network {table.VpcId}");
            }
            if (!table.PropagatingVgws.Contains(gateway.Id))
            {
                table.PropagatingVgws.Add(gateway.Id);
            }
        }
        else
        {
            table.PropagatingVgws.Remove(gateway.Id);
        }
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        await RefreshPropagatedRoutesAsync(tx, scope, gateway.Id, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Rewrites the routes a virtual private gateway propagates (origin EnableVgwRoutePropagation)
    /// into the route tables that receive them: one per static route of its VPN connections.
    /// </summary>
    public static async Task RefreshPropagatedRoutesAsync(IStoreTransaction tx, Scope scope, string vpnGatewayId, DateTime now, CancellationToken ct)
    {
        var connections = await Provisioning.ListAsync<VpnConnectionResource>(tx, scope, ResourceTypes.VpnConnection, now, ct).ConfigureAwait(false);
        var destinations = connections
            .Where(c => c.VpnGatewayId == vpnGatewayId && !Provisioning.IsDeletedOrDeleting(c))
            .SelectMany(c => c.Routes.Where(r => r.State is "pending" or "available" && r.NextState is not "deleted").Select(r => r.DestinationCidrBlock))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var table in await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false))
        {
            var before = table.Routes.Count(r => r.GatewayId == vpnGatewayId && r.Origin == "EnableVgwRoutePropagation");
            table.Routes.RemoveAll(r => r.GatewayId == vpnGatewayId && r.Origin == "EnableVgwRoutePropagation");
            if (table.PropagatingVgws.Contains(vpnGatewayId))
            {
                foreach (var destination in destinations.Where(d => !table.Routes.Exists(r => r.DestinationCidrBlock == d)))
                {
                    table.Routes.Add(new RouteEntry { DestinationCidrBlock = destination, GatewayId = vpnGatewayId, Origin = "EnableVgwRoutePropagation" });
                }
            }
            if (before > 0 || table.PropagatingVgws.Contains(vpnGatewayId))
            {
                await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            }
        }
    }

    // ---- VPN connections -------------------------------------------------------------------

    public static Task<VpnConnectionResource> RequireConnectionAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<VpnConnectionResource>(session, scope, ResourceTypes.VpnConnection, id, "VpnConnectionId", now, ct);

    /// <summary>
    /// CreateVpnConnection: an available customer gateway and either a virtual private gateway or
    /// a transit gateway (which gets a <c>vpn</c> attachment); two tunnels with inside /30s in
    /// 169.254.0.0/16 and pre-shared keys, given or generated; pending → available.
    /// </summary>
    public static async Task<VpnConnectionResource> CreateConnectionAsync(IStoreTransaction tx, Scope scope, VpnConnectionSpec spec, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        CheckType(spec.Type);
        var customer = await RequireCustomerGatewayAsync(tx, scope, spec.CustomerGatewayId, now, ct).ConfigureAwait(false);
        TransitGateways.TransitGateways.RequireState(customer.Id, customer.State, "available");
        if (spec.VpnGatewayId is not null && spec.TransitGatewayId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("The parameters VpnGatewayId and TransitGatewayId cannot be used together.");
        }
        if (spec.VpnGatewayId is null && spec.TransitGatewayId is null)
        {
            throw AwsErrors.MissingParameter("VpnGatewayId or TransitGatewayId");
        }
        if (spec.Tunnels.Count > 2)
        {
            throw AwsErrors.InvalidParameterValue("A VPN connection has two tunnels; at most two TunnelOptions may be given.");
        }
        var local = CheckNetworkCidr(spec.LocalIpv4NetworkCidr, "LocalIpv4NetworkCidr");
        var remote = CheckNetworkCidr(spec.RemoteIpv4NetworkCidr, "RemoteIpv4NetworkCidr");
        var connection = new VpnConnectionResource
        {
            Id = ResourceIds.New(ResourceTypes.VpnConnection.IdPrefix),
            CustomerGatewayId = customer.Id,
            StaticRoutesOnly = spec.StaticRoutesOnly,
            LocalIpv4NetworkCidr = local,
            RemoteIpv4NetworkCidr = remote,
            EnableAcceleration = spec.EnableAcceleration,
            CreationTime = now,
            Tags = tags,
        };
        await ConnectAsync(tx, scope, connection, spec.VpnGatewayId, spec.TransitGatewayId, now, ct).ConfigureAwait(false);
        var taken = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var tunnel = i < spec.Tunnels.Count ? spec.Tunnels[i] : new VpnTunnelSpec();
            var inside = tunnel.InsideCidr is { } given ? CheckInsideCidr(given) : NewInsideCidr();
            if (taken.Contains(inside))
            {
                throw AwsErrors.InvalidParameterValue($"The tunnel inside CIDR {inside} is used by both tunnels.");
            }
            taken.Add(inside);
            connection.Tunnels.Add(new VpnTunnel
            {
                OutsideIpAddress = NewOutsideAddress(),
                InsideCidr = inside,
                PreSharedKey = tunnel.PreSharedKey is { } key ? CheckPreSharedKey(key) : NewPreSharedKey(),
                Phase1LifetimeSeconds = CheckRange(tunnel.Phase1LifetimeSeconds, 900, 28800, "Phase1LifetimeSeconds"),
                Phase2LifetimeSeconds = CheckRange(tunnel.Phase2LifetimeSeconds, 900, 3600, "Phase2LifetimeSeconds"),
                DpdTimeoutSeconds = CheckRange(tunnel.DpdTimeoutSeconds, 30, 3600, "DPDTimeoutSeconds"),
                DpdTimeoutAction = OneOf(tunnel.DpdTimeoutAction, "DPDTimeoutAction", "clear", "none", "restart"),
                StartupAction = OneOf(tunnel.StartupAction, "StartupAction", "add", "start"),
                IkeVersions = [.. (tunnel.IkeVersions ?? []).Select(v => OneOf(v, "IKEVersions", "ikev1", "ikev2")!)],
            });
        }
        Provisioning.Begin(connection, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, now, ct).ConfigureAwait(false);
        return connection;
    }

    private static async Task ConnectAsync(IStoreTransaction tx, Scope scope, VpnConnectionResource connection, string? vpnGatewayId, string? transitGatewayId, DateTime now, CancellationToken ct)
    {
        if (vpnGatewayId is not null)
        {
            var gateway = await RequireVpnGatewayAsync(tx, scope, vpnGatewayId, now, ct).ConfigureAwait(false);
            TransitGateways.TransitGateways.RequireState(gateway.Id, gateway.State, "available");
            connection.VpnGatewayId = gateway.Id;
            connection.TransitGatewayId = null;
            connection.TransitGatewayAttachmentId = null;
        }
        else if (transitGatewayId is not null)
        {
            var gateway = await TransitGateways.TransitGateways.RequireAsync(tx, scope, transitGatewayId, now, ct).ConfigureAwait(false);
            var attachment = await TransitGateways.TransitGateways.CreateVpnAttachmentAsync(tx, scope, gateway, connection.Id, now, ct).ConfigureAwait(false);
            connection.TransitGatewayId = gateway.Id;
            connection.TransitGatewayAttachmentId = attachment.Id;
            connection.VpnGatewayId = null;
        }
    }

    /// <summary>ModifyVpnConnection: moves the connection to another customer gateway, virtual private gateway or transit gateway (modifying → available).</summary>
    public static async Task<VpnConnectionResource> ModifyConnectionAsync(
        IStoreTransaction tx, Scope scope, string? id, string? customerGatewayId, string? vpnGatewayId, string? transitGatewayId, DateTime now, CancellationToken ct)
    {
        var connection = await RequireConnectionAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        var given = new[] { customerGatewayId, vpnGatewayId, transitGatewayId }.Count(v => v is not null);
        if (given == 0)
        {
            throw AwsErrors.MissingParameter("CustomerGatewayId, VpnGatewayId or TransitGatewayId");
        }
        if (given > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of CustomerGatewayId, VpnGatewayId and TransitGatewayId may be specified.");
        }
        TransitGateways.TransitGateways.RequireState(connection.Id, connection.State, "available");
        if (customerGatewayId is not null)
        {
            var customer = await RequireCustomerGatewayAsync(tx, scope, customerGatewayId, now, ct).ConfigureAwait(false);
            TransitGateways.TransitGateways.RequireState(customer.Id, customer.State, "available");
            connection.CustomerGatewayId = customer.Id;
        }
        else
        {
            var previousVgw = connection.VpnGatewayId;
            var previousAttachment = connection.TransitGatewayAttachmentId;
            if ((vpnGatewayId is not null && vpnGatewayId == previousVgw) || (transitGatewayId is not null && transitGatewayId == connection.TransitGatewayId))
            {
                throw AwsErrors.InvalidParameterValue($"The VPN connection {connection.Id} already uses {vpnGatewayId ?? transitGatewayId}.");
            }
            await ConnectAsync(tx, scope, connection, vpnGatewayId, transitGatewayId, now, ct).ConfigureAwait(false);
            if (previousAttachment is not null
                && await tx.GetAsync<TransitGatewayAttachmentResource>(scope, ResourceTypes.TransitGatewayAttachment, previousAttachment, ct).ConfigureAwait(false) is { } old)
            {
                await TransitGateways.TransitGateways.DetachAsync(tx, scope, Provisioning.Settle(old, now), now, ct).ConfigureAwait(false);
            }
            if (previousVgw is not null)
            {
                await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, connection.CreationTime, ct).ConfigureAwait(false);
                await RefreshPropagatedRoutesAsync(tx, scope, previousVgw, now, ct).ConfigureAwait(false);
            }
        }
        Provisioning.Begin(connection, "modifying", "available", now);
        await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, connection.CreationTime, ct).ConfigureAwait(false);
        if (connection.VpnGatewayId is { } vgw)
        {
            await RefreshPropagatedRoutesAsync(tx, scope, vgw, now, ct).ConfigureAwait(false);
        }
        return connection;
    }

    /// <summary>DeleteVpnConnection: deleting → deleted; its transit gateway attachment and propagated routes go with it.</summary>
    public static async Task DeleteConnectionAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var connection = await RequireConnectionAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (Provisioning.IsDeletedOrDeleting(connection))
        {
            return;
        }
        Provisioning.Begin(connection, "deleting", "deleted", now);
        foreach (var route in connection.Routes)
        {
            route.State = "deleted";
        }
        connection.Routes.Clear();
        await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, connection.CreationTime, ct).ConfigureAwait(false);
        if (connection.TransitGatewayAttachmentId is { } attachmentId
            && await tx.GetAsync<TransitGatewayAttachmentResource>(scope, ResourceTypes.TransitGatewayAttachment, attachmentId, ct).ConfigureAwait(false) is { } attachment
            && !Provisioning.IsDeletedOrDeleting(Provisioning.Settle(attachment, now)))
        {
            await TransitGateways.TransitGateways.DetachAsync(tx, scope, attachment, now, ct).ConfigureAwait(false);
        }
        if (connection.VpnGatewayId is { } vgw)
        {
            await RefreshPropagatedRoutesAsync(tx, scope, vgw, now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>CreateVpnConnectionRoute / DeleteVpnConnectionRoute: static routes of a static-routing connection to a virtual private gateway.</summary>
    public static async Task SetRouteAsync(IStoreTransaction tx, Scope scope, string? id, string? destinationCidrBlock, bool add, DateTime now, CancellationToken ct)
    {
        var connection = await RequireConnectionAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(destinationCidrBlock))
        {
            throw AwsErrors.MissingParameter("DestinationCidrBlock");
        }
        if (!Ipv4Cidr.TryParse(destinationCidrBlock, out _))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({destinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.");
        }
        TransitGateways.TransitGateways.RequireState(connection.Id, connection.State, "available", "pending", "modifying");
        if (!connection.StaticRoutesOnly)
        {
            throw new AwsException("InvalidVpnConnection.InvalidType", $"The VPN connection {connection.Id} uses dynamic (BGP) routing; static routes need a connection created with StaticRoutesOnly.");
        }
        if (connection.VpnGatewayId is null)
        {
            throw AwsErrors.InvalidParameterValue($"The VPN connection {connection.Id} is attached to a transit gateway; add static routes to its transit gateway route table.");
        }
        var existing = connection.Routes.Find(r => r.DestinationCidrBlock == destinationCidrBlock && r.State != "deleting" && r.NextState != "deleted");
        if (add)
        {
            if (existing is not null)
            {
                throw new AwsException("RouteAlreadyExists", $"The route identified by {destinationCidrBlock} already exists.");
            }
            connection.Routes.Add(new VpnStaticRouteEntry { DestinationCidrBlock = destinationCidrBlock, State = "pending", NextState = "available", NextStateAt = now + Provisioning.Delay });
        }
        else
        {
            if (existing is null)
            {
                throw new AwsException("InvalidRoute.NotFound", $"The route identified by {destinationCidrBlock} does not exist.");
            }
            existing.State = "deleting";
            existing.NextState = "deleted";
            existing.NextStateAt = now + Provisioning.Delay;
        }
        await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, connection.CreationTime, ct).ConfigureAwait(false);
        await RefreshPropagatedRoutesAsync(tx, scope, connection.VpnGatewayId, now, ct).ConfigureAwait(false);
    }

    // ---- Rules -----------------------------------------------------------------------------

    private static void CheckType(string? type)
    {
        if (type is null)
        {
            throw AwsErrors.MissingParameter("Type");
        }
        if (type != "ipsec.1")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({type}) for parameter type is invalid. Valid values: ipsec.1");
        }
    }

    internal static string CheckNetworkCidr(string? cidr, string parameter)
    {
        if (cidr is null)
        {
            return "0.0.0.0/0";
        }
        return Ipv4Cidr.TryParse(cidr, out _) ? cidr : throw AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter {parameter} is invalid. This is not a valid CIDR block.");
    }

    /// <summary>The /30 blocks AWS reserves inside 169.254.0.0/16 for other uses.</summary>
    private static readonly string[] ReservedInsideCidrs =
        ["169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30"];

    public static string CheckInsideCidr(string cidr)
    {
        if (!Ipv4Cidr.TryParse(cidr, out var block) || block.PrefixLength != 30 || !Ipv4Cidr.Parse("169.254.0.0/16").Contains(block))
        {
            throw AwsErrors.InvalidParameterValue($"The tunnel inside CIDR {cidr} is invalid. It must be a /30 block in 169.254.0.0/16.");
        }
        if (ReservedInsideCidrs.Contains(cidr, StringComparer.Ordinal))
        {
            throw AwsErrors.InvalidParameterValue($"The tunnel inside CIDR {cidr} is reserved and cannot be used.");
        }
        return cidr;
    }

    public static string CheckPreSharedKey(string key)
    {
        if (key.Length is < 8 or > 64 || key[0] == '0' || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_'))
        {
            throw AwsErrors.InvalidParameterValue("The pre-shared key must be 8 to 64 characters (letters, digits, periods and underscores) and cannot start with zero.");
        }
        return key;
    }

    internal static int? CheckRange(int? value, int min, int max, string parameter) =>
        value is null || (value >= min && value <= max)
            ? value
            : throw AwsErrors.InvalidParameterValue($"Value ({value}) for parameter {parameter} is invalid. Valid range: {min}-{max}.");

    internal static string? OneOf(string? value, string parameter, params string[] allowed) =>
        value is null || allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw AwsErrors.InvalidParameterValue($"Value ({value}) for parameter {parameter} is invalid. Valid values: {string.Join(", ", allowed)}.");

    private static string NewInsideCidr()
    {
        while (true)
        {
            var candidate = new Ipv4Cidr(Ipv4Cidr.Parse("169.254.0.0/16").Network | (uint)(RandomNumberGenerator.GetInt32(1 << 14) << 2), 30).ToString();
            if (!ReservedInsideCidrs.Contains(candidate, StringComparer.Ordinal))
            {
                return candidate;
            }
        }
    }

    /// <summary>The AWS-side tunnel endpoint: an address from the documentation range 203.0.113.0/24 (no tunnel is established).</summary>
    private static string NewOutsideAddress() => "203.0.113." + (1 + RandomNumberGenerator.GetInt32(254)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string NewPreSharedKey()
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
        var chars = new char[32];
        chars[0] = Alphabet[RandomNumberGenerator.GetInt32(52)];
        for (var i = 1; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(chars);
    }
}
