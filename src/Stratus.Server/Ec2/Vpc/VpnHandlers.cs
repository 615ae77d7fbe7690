using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.Vpn;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Customer gateways, virtual private gateways and site-to-site VPN connections (API and states; no tunnels are established).</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeCustomerGateways")]
    private static readonly FilterSet<CustomerGatewayResource> CustomerGatewayFilters = new FilterSet<CustomerGatewayResource>()
        .Add("bgp-asn", g => g.BgpAsn.ToString(CultureInfo.InvariantCulture))
        .Add("customer-gateway-id", g => g.Id)
        .Add("ip-address", g => g.IpAddress)
        .Add("state", g => g.State)
        .Add("type", g => g.Type)
        .WithTags(g => g.Tags);

    [FiltersFor("DescribeVpnGateways")]
    private static readonly FilterSet<VpnGatewayResource> VpnGatewayFilters = new FilterSet<VpnGatewayResource>()
        .Add("amazon-side-asn", g => g.AmazonSideAsn.ToString(CultureInfo.InvariantCulture))
        .AddMany("attachment.state", g => g.VpcAttachments.Select(a => a.State))
        .AddMany("attachment.vpc-id", g => g.VpcAttachments.Select(a => a.VpcId))
        .Add("availability-zone", g => g.AvailabilityZone)
        .Add("state", g => g.State)
        .Add("type", g => g.Type)
        .Add("vpn-gateway-id", g => g.Id)
        .WithTags(g => g.Tags);

    [FiltersFor("DescribeVpnConnections")]
    private static readonly FilterSet<VpnConnectionView> VpnConnectionFilters = new FilterSet<VpnConnectionView>()
        .Add("bgp-asn", v => v.Customer?.BgpAsn.ToString(CultureInfo.InvariantCulture))
        .Add("customer-gateway-configuration", v => v.Configuration)
        .Add("customer-gateway-id", v => v.Connection.CustomerGatewayId)
        .Add("option.static-routes-only", v => v.Connection.StaticRoutesOnly)
        .AddMany("route.destination-cidr-block", v => v.Connection.Routes.Select(r => r.DestinationCidrBlock))
        .Add("state", v => v.Connection.State)
        .Add("transit-gateway-id", v => v.Connection.TransitGatewayId)
        .Add("type", v => v.Connection.Type)
        .Add("vpn-connection-id", v => v.Connection.Id)
        .Add("vpn-gateway-id", v => v.Connection.VpnGatewayId)
        .WithTags(v => v.Connection.Tags);

    /// <summary>A VPN connection with what its description needs: its customer gateway and configuration document.</summary>
    private sealed record VpnConnectionView(VpnConnectionResource Connection, CustomerGatewayResource? Customer, string Configuration);

    // ---- Customer gateways -----------------------------------------------------------------

    public override async Task<CreateCustomerGatewayResult> CreateCustomerGatewayAsync(RequestContext context, CreateCustomerGatewayRequest request)
    {
        if (request.BgpAsn is not null && request.BgpAsnExtended is not null)
        {
            throw AwsErrors.InvalidParameterCombination("The parameters BgpAsn and BgpAsnExtended cannot be used together.");
        }
        if (request.IpAddress is not null && request.PublicIp is not null && request.IpAddress != request.PublicIp)
        {
            throw AwsErrors.InvalidParameterCombination("The parameters IpAddress and PublicIp cannot be used together.");
        }
        var gateway = await Vpn.CreateCustomerGatewayAsync(context.Transaction, context.Scope, request.Type, request.IpAddress ?? request.PublicIp,
            request.BgpAsnExtended ?? request.BgpAsn, request.CertificateArn, request.DeviceName,
            TagsOnCreate(request.TagSpecifications, "customer-gateway"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateCustomerGatewayResult { CustomerGateway = ToShape(gateway) };
    }

    public override Task DeleteCustomerGatewayAsync(RequestContext context, DeleteCustomerGatewayRequest request) =>
        Vpn.DeleteCustomerGatewayAsync(context.Transaction, context.Scope, request.CustomerGatewayId, context.Now, context.Cancellation);

    public override async Task<DescribeCustomerGatewaysResult> DescribeCustomerGatewaysAsync(RequestContext context, DescribeCustomerGatewaysRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.CustomerGateway, CustomerGatewayFilters, request.CustomerGatewayIds, request.Filters, null, null, "").ConfigureAwait(false);
        return new DescribeCustomerGatewaysResult { CustomerGateways = page.Items.Select(ToShape).ToList() };
    }

    // ---- Virtual private gateways ----------------------------------------------------------

    public override async Task<CreateVpnGatewayResult> CreateVpnGatewayAsync(RequestContext context, CreateVpnGatewayRequest request)
    {
        if (request.AvailabilityZone is { } zone && !zone.StartsWith(context.Scope.Region, StringComparison.Ordinal))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid availability zone: [{zone}]");
        }
        var gateway = await Vpn.CreateVpnGatewayAsync(context.Transaction, context.Scope, request.Type, request.AmazonSideAsn, request.AvailabilityZone,
            TagsOnCreate(request.TagSpecifications, "vpn-gateway"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateVpnGatewayResult { VpnGateway = ToShape(gateway) };
    }

    public override Task DeleteVpnGatewayAsync(RequestContext context, DeleteVpnGatewayRequest request) =>
        Vpn.DeleteVpnGatewayAsync(context.Transaction, context.Scope, request.VpnGatewayId, context.Now, context.Cancellation);

    public override async Task<DescribeVpnGatewaysResult> DescribeVpnGatewaysAsync(RequestContext context, DescribeVpnGatewaysRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.VpnGateway, VpnGatewayFilters, request.VpnGatewayIds, request.Filters, null, null, "").ConfigureAwait(false);
        return new DescribeVpnGatewaysResult { VpnGateways = page.Items.Select(ToShape).ToList() };
    }

    public override async Task<AttachVpnGatewayResult> AttachVpnGatewayAsync(RequestContext context, AttachVpnGatewayRequest request)
    {
        var attachment = await Vpn.AttachAsync(context.Transaction, context.Scope, request.VpnGatewayId, request.VpcId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AttachVpnGatewayResult { VpcAttachment = new VpcAttachment { VpcId = attachment.VpcId, State = attachment.State } };
    }

    public override Task DetachVpnGatewayAsync(RequestContext context, DetachVpnGatewayRequest request) =>
        Vpn.DetachAsync(context.Transaction, context.Scope, request.VpnGatewayId, request.VpcId, context.Now, context.Cancellation);

    public override Task EnableVgwRoutePropagationAsync(RequestContext context, EnableVgwRoutePropagationRequest request) =>
        Vpn.SetRoutePropagationAsync(context.Transaction, context.Scope, request.RouteTableId, request.GatewayId, enable: true, context.Now, context.Cancellation);

    public override Task DisableVgwRoutePropagationAsync(RequestContext context, DisableVgwRoutePropagationRequest request) =>
        Vpn.SetRoutePropagationAsync(context.Transaction, context.Scope, request.RouteTableId, request.GatewayId, enable: false, context.Now, context.Cancellation);

    // ---- VPN connections -------------------------------------------------------------------

    public override async Task<CreateVpnConnectionResult> CreateVpnConnectionAsync(RequestContext context, CreateVpnConnectionRequest request)
    {
        if (request.VpnConcentratorId is not null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.VpnConcentratorId}) for parameter VpnConcentratorId is invalid. VPN concentrators are not available.");
        }
        if (request.PreSharedKeyStorage is not (null or "Standard"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.PreSharedKeyStorage}) for parameter PreSharedKeyStorage is invalid. Only Standard storage is available.");
        }
        var o = request.Options;
        if (o?.TunnelInsideIpVersion is "ipv6" || o?.LocalIpv6NetworkCidr is not null || o?.RemoteIpv6NetworkCidr is not null)
        {
            throw AwsErrors.InvalidParameterValue("IPv6 inside tunnels are not available; use TunnelInsideIpVersion ipv4.");
        }
        if (o?.OutsideIpAddressType is not (null or "PublicIpv4"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({o?.OutsideIpAddressType}) for parameter OutsideIpAddressType is invalid. Only PublicIpv4 is available.");
        }
        var tunnels = (o?.TunnelOptions ?? []).Select(t => new VpnTunnelSpec(t.TunnelInsideCidr, t.PreSharedKey, t.Phase1LifetimeSeconds, t.Phase2LifetimeSeconds,
            t.DPDTimeoutSeconds, t.DPDTimeoutAction, t.StartupAction, t.IKEVersions?.Select(v => v.Value ?? "").ToList())).ToList();
        var spec = new VpnConnectionSpec(request.CustomerGatewayId, request.Type, request.VpnGatewayId, request.TransitGatewayId, o?.StaticRoutesOnly ?? false,
            o?.LocalIpv4NetworkCidr, o?.RemoteIpv4NetworkCidr, o?.EnableAcceleration ?? false, tunnels);
        var connection = await Vpn.CreateConnectionAsync(context.Transaction, context.Scope, spec, TagsOnCreate(request.TagSpecifications, "vpn-connection"),
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateVpnConnectionResult { VpnConnection = ToShape(await ViewAsync(context, connection).ConfigureAwait(false), context.Now) };
    }

    public override async Task<ModifyVpnConnectionResult> ModifyVpnConnectionAsync(RequestContext context, ModifyVpnConnectionRequest request)
    {
        var connection = await Vpn.ModifyConnectionAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.CustomerGatewayId,
            request.VpnGatewayId, request.TransitGatewayId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVpnConnectionResult { VpnConnection = ToShape(await ViewAsync(context, connection).ConfigureAwait(false), context.Now) };
    }

    public override Task DeleteVpnConnectionAsync(RequestContext context, DeleteVpnConnectionRequest request) =>
        Vpn.DeleteConnectionAsync(context.Transaction, context.Scope, request.VpnConnectionId, context.Now, context.Cancellation);

    public override Task CreateVpnConnectionRouteAsync(RequestContext context, CreateVpnConnectionRouteRequest request) =>
        Vpn.SetRouteAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.DestinationCidrBlock, add: true, context.Now, context.Cancellation);

    public override Task DeleteVpnConnectionRouteAsync(RequestContext context, DeleteVpnConnectionRouteRequest request) =>
        Vpn.SetRouteAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.DestinationCidrBlock, add: false, context.Now, context.Cancellation);

    public override async Task<DescribeVpnConnectionsResult> DescribeVpnConnectionsAsync(RequestContext context, DescribeVpnConnectionsRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.VpnConnection, new FilterSet<VpnConnectionResource>(), request.VpnConnectionIds, null, null, null, "").ConfigureAwait(false);
        var views = new List<VpnConnectionView>();
        foreach (var connection in page.Items)
        {
            views.Add(await ViewAsync(context, connection).ConfigureAwait(false));
        }
        return new DescribeVpnConnectionsResult
        {
            VpnConnections = VpnConnectionFilters.Apply(views, ToCriteria(request.Filters)).Select(v => ToShape(v, context.Now)).ToList(),
        };
    }

    private static async Task<VpnConnectionView> ViewAsync(RequestContext context, VpnConnectionResource connection)
    {
        var session = context.Store;
        var customer = await session.GetAsync<CustomerGatewayResource>(context.Scope, ResourceTypes.CustomerGateway, connection.CustomerGatewayId, context.Cancellation).ConfigureAwait(false);
        var asn = await AmazonSideAsnAsync(context, connection).ConfigureAwait(false);
        return new VpnConnectionView(connection, customer, CustomerGatewayConfiguration.Render(connection, customer, asn));
    }

    // ---- Shapes ----------------------------------------------------------------------------

    private static CustomerGateway ToShape(CustomerGatewayResource g) => new()
    {
        CustomerGatewayId = g.Id,
        BgpAsn = g.BgpAsn <= int.MaxValue ? g.BgpAsn.ToString(CultureInfo.InvariantCulture) : null,
        BgpAsnExtended = g.BgpAsn > int.MaxValue ? g.BgpAsn.ToString(CultureInfo.InvariantCulture) : null,
        IpAddress = g.IpAddress.Length > 0 ? g.IpAddress : null,
        CertificateArn = g.CertificateArn,
        DeviceName = g.DeviceName,
        Type = g.Type,
        State = g.State,
        Tags = ToShape(g.Tags),
    };

    private static VpnGateway ToShape(VpnGatewayResource g) => new()
    {
        VpnGatewayId = g.Id,
        Type = g.Type,
        State = g.State,
        AmazonSideAsn = g.AmazonSideAsn,
        AvailabilityZone = g.AvailabilityZone,
        VpcAttachments = g.VpcAttachments.Select(a => new VpcAttachment { VpcId = a.VpcId, State = a.State }).ToList(),
        Tags = ToShape(g.Tags),
    };

    private static VpnConnection ToShape(VpnConnectionView view, DateTime now)
    {
        var c = view.Connection;
        var deleted = c.State == "deleted";
        return new VpnConnection
        {
            VpnConnectionId = c.Id,
            CustomerGatewayId = c.CustomerGatewayId,
            VpnGatewayId = c.VpnGatewayId,
            TransitGatewayId = c.TransitGatewayId,
            Type = c.Type,
            Category = "VPN",
            State = c.State,
            GatewayAssociationState = c.State is "deleting" or "deleted" ? "disassociating" : "associated",
            CustomerGatewayConfiguration = deleted ? null : view.Configuration,
            Options = new VpnConnectionOptions
            {
                StaticRoutesOnly = c.StaticRoutesOnly,
                EnableAcceleration = c.EnableAcceleration,
                LocalIpv4NetworkCidr = c.LocalIpv4NetworkCidr,
                RemoteIpv4NetworkCidr = c.RemoteIpv4NetworkCidr,
                OutsideIpAddressType = c.OutsideIpAddressType,
                TunnelInsideIpVersion = "ipv4",
                TunnelBandwidth = c.TunnelBandwidth,
                TunnelOptions = c.Tunnels.Select(t => new TunnelOption
                {
                    OutsideIpAddress = t.OutsideIpAddress,
                    TunnelInsideCidr = t.InsideCidr,
                    PreSharedKey = t.PreSharedKey,
                    Phase1LifetimeSeconds = t.Phase1LifetimeSeconds ?? 28800,
                    Phase2LifetimeSeconds = t.Phase2LifetimeSeconds ?? 3600,
                    DpdTimeoutSeconds = t.DpdTimeoutSeconds ?? 30,
                    DpdTimeoutAction = t.DpdTimeoutAction ?? "clear",
                    StartupAction = t.StartupAction ?? "add",
                    IkeVersions = (t.IkeVersions.Count > 0 ? t.IkeVersions : ["ikev1", "ikev2"]).Select(v => new IKEVersionsListValue { Value = v }).ToList(),
                    Phase1EncryptionAlgorithms = t.Phase1EncryptionAlgorithms.Count > 0 ? t.Phase1EncryptionAlgorithms.Select(v => new Phase1EncryptionAlgorithmsListValue { Value = v }).ToList() : null,
                    Phase1IntegrityAlgorithms = t.Phase1IntegrityAlgorithms.Count > 0 ? t.Phase1IntegrityAlgorithms.Select(v => new Phase1IntegrityAlgorithmsListValue { Value = v }).ToList() : null,
                    Phase1DHGroupNumbers = t.Phase1DhGroupNumbers.Count > 0 ? t.Phase1DhGroupNumbers.Select(v => new Phase1DHGroupNumbersListValue { Value = v }).ToList() : null,
                    Phase2EncryptionAlgorithms = t.Phase2EncryptionAlgorithms.Count > 0 ? t.Phase2EncryptionAlgorithms.Select(v => new Phase2EncryptionAlgorithmsListValue { Value = v }).ToList() : null,
                    Phase2IntegrityAlgorithms = t.Phase2IntegrityAlgorithms.Count > 0 ? t.Phase2IntegrityAlgorithms.Select(v => new Phase2IntegrityAlgorithmsListValue { Value = v }).ToList() : null,
                    Phase2DHGroupNumbers = t.Phase2DhGroupNumbers.Count > 0 ? t.Phase2DhGroupNumbers.Select(v => new Phase2DHGroupNumbersListValue { Value = v }).ToList() : null,
                    RekeyMarginTimeSeconds = t.RekeyMarginTimeSeconds,
                    RekeyFuzzPercentage = t.RekeyFuzzPercentage,
                    ReplayWindowSize = t.ReplayWindowSize,
                    EnableTunnelLifecycleControl = t.EnableTunnelLifecycleControl,
                }).ToList(),
            },
            Routes = c.Routes.Select(r => new VpnStaticRoute { DestinationCidrBlock = r.DestinationCidrBlock, Source = "Static", State = r.State }).ToList(),
            VgwTelemetry = deleted ? null : c.Tunnels.Select(t => new VgwTelemetry
            {
                OutsideIpAddress = t.OutsideIpAddress,
                Status = "DOWN",
                StatusMessage = "",
                AcceptedRouteCount = 0,
                LastStatusChange = c.CreationTime,
            }).ToList(),
            Tags = ToShape(c.Tags),
        };
    }
}
