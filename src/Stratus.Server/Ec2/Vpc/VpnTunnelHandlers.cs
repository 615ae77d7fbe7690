using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.Vpn;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Site-to-site VPN tunnels: options, certificates, replacement, status and device sample configurations.</summary>
internal sealed partial class Ec2Service
{
    public override Task<GetVpnConnectionDeviceTypesResult> GetVpnConnectionDeviceTypesAsync(RequestContext context, GetVpnConnectionDeviceTypesRequest request)
    {
        if (request.MaxResults is { } max && max is < 200 or > 1000)
        {
            throw Core.AwsErrors.InvalidParameterValue($"Value ({max}) for parameter maxResults is invalid. Expecting a value between 200 and 1000.");
        }
        var page = Paginator.Paginate(VpnTunnels.DeviceTypes, d => d.Id, request.MaxResults, request.NextToken);
        return Task.FromResult(new GetVpnConnectionDeviceTypesResult
        {
            VpnConnectionDeviceTypes = page.Items.Select(d => new VpnConnectionDeviceType
            {
                VpnConnectionDeviceTypeId = d.Id,
                Vendor = d.Vendor,
                Platform = d.Platform,
                Software = d.Software,
            }).ToList(),
            NextToken = page.NextToken,
        });
    }

    public override async Task<GetVpnConnectionDeviceSampleConfigurationResult> GetVpnConnectionDeviceSampleConfigurationAsync(RequestContext context, GetVpnConnectionDeviceSampleConfigurationRequest request)
    {
        var connection = await Vpn.RequireConnectionAsync(context.Store, context.Scope, request.VpnConnectionId, context.Now, context.Cancellation).ConfigureAwait(false);
        var view = await ViewAsync(context, connection).ConfigureAwait(false);
        var asn = await AmazonSideAsnAsync(context, connection).ConfigureAwait(false);
        return new GetVpnConnectionDeviceSampleConfigurationResult
        {
            VpnConnectionDeviceSampleConfiguration = VpnTunnels.SampleConfiguration(connection, view.Customer, asn, request.VpnConnectionDeviceTypeId, request.InternetKeyExchangeVersion),
        };
    }

    public override async Task<ModifyVpnConnectionOptionsResult> ModifyVpnConnectionOptionsAsync(RequestContext context, ModifyVpnConnectionOptionsRequest request)
    {
        var connection = await VpnTunnels.ModifyOptionsAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.LocalIpv4NetworkCidr, request.RemoteIpv4NetworkCidr,
            request.LocalIpv6NetworkCidr, request.RemoteIpv6NetworkCidr, request.TunnelBandwidth, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVpnConnectionOptionsResult { VpnConnection = ToShape(await ViewAsync(context, connection).ConfigureAwait(false), context.Now) };
    }

    public override async Task<ModifyVpnTunnelOptionsResult> ModifyVpnTunnelOptionsAsync(RequestContext context, ModifyVpnTunnelOptionsRequest request)
    {
        var o = request.TunnelOptions;
        var spec = o is null ? null : new VpnTunnelOptionsSpec(o.TunnelInsideCidr, o.PreSharedKey, o.Phase1LifetimeSeconds, o.Phase2LifetimeSeconds, o.DPDTimeoutSeconds,
            o.DPDTimeoutAction, o.StartupAction,
            o.IKEVersions?.Select(v => v.Value ?? "").ToList(),
            o.Phase1EncryptionAlgorithms?.Select(v => v.Value ?? "").ToList(),
            o.Phase1IntegrityAlgorithms?.Select(v => v.Value ?? "").ToList(),
            o.Phase1DHGroupNumbers?.Select(v => v.Value ?? 0).ToList(),
            o.Phase2EncryptionAlgorithms?.Select(v => v.Value ?? "").ToList(),
            o.Phase2IntegrityAlgorithms?.Select(v => v.Value ?? "").ToList(),
            o.Phase2DHGroupNumbers?.Select(v => v.Value ?? 0).ToList(),
            o.RekeyMarginTimeSeconds, o.RekeyFuzzPercentage, o.ReplayWindowSize, o.EnableTunnelLifecycleControl, o.TunnelInsideIpv6Cidr);
        var connection = await VpnTunnels.ModifyTunnelOptionsAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.VpnTunnelOutsideIpAddress, spec,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVpnTunnelOptionsResult { VpnConnection = ToShape(await ViewAsync(context, connection).ConfigureAwait(false), context.Now) };
    }

    public override async Task<ModifyVpnTunnelCertificateResult> ModifyVpnTunnelCertificateAsync(RequestContext context, ModifyVpnTunnelCertificateRequest request)
    {
        var connection = await VpnTunnels.RotateCertificateAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.VpnTunnelOutsideIpAddress,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVpnTunnelCertificateResult { VpnConnection = ToShape(await ViewAsync(context, connection).ConfigureAwait(false), context.Now) };
    }

    public override async Task<ReplaceVpnTunnelResult> ReplaceVpnTunnelAsync(RequestContext context, ReplaceVpnTunnelRequest request)
    {
        await VpnTunnels.ReplaceAsync(context.Transaction, context.Scope, request.VpnConnectionId, request.VpnTunnelOutsideIpAddress, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ReplaceVpnTunnelResult { Return = true };
    }

    public override async Task<GetVpnTunnelReplacementStatusResult> GetVpnTunnelReplacementStatusAsync(RequestContext context, GetVpnTunnelReplacementStatusRequest request)
    {
        var (connection, tunnel) = await VpnTunnels.RequireTunnelAsync(context.Store, context.Scope, request.VpnConnectionId, request.VpnTunnelOutsideIpAddress,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new GetVpnTunnelReplacementStatusResult
        {
            VpnConnectionId = connection.Id,
            CustomerGatewayId = connection.CustomerGatewayId,
            VpnGatewayId = connection.VpnGatewayId,
            TransitGatewayId = connection.TransitGatewayId,
            VpnTunnelOutsideIpAddress = tunnel.OutsideIpAddress,
            // Stratus schedules no maintenance: nothing is pending, and the last replacement is the one asked for.
            MaintenanceDetails = new MaintenanceDetails { PendingMaintenance = "None", LastMaintenanceApplied = tunnel.LastMaintenanceApplied },
        };
    }

    public override async Task<GetActiveVpnTunnelStatusResult> GetActiveVpnTunnelStatusAsync(RequestContext context, GetActiveVpnTunnelStatusRequest request)
    {
        var (connection, tunnel) = await VpnTunnels.RequireTunnelAsync(context.Store, context.Scope, request.VpnConnectionId, request.VpnTunnelOutsideIpAddress,
            context.Now, context.Cancellation).ConfigureAwait(false);
        var p = VpnTunnels.Parameters(tunnel);
        return new GetActiveVpnTunnelStatusResult
        {
            ActiveVpnTunnelStatus = new ActiveVpnTunnelStatus
            {
                IkeVersion = p.IkeVersion,
                Phase1EncryptionAlgorithm = p.Phase1Encryption,
                Phase1IntegrityAlgorithm = p.Phase1Integrity,
                Phase1DHGroup = p.Phase1DhGroup,
                Phase2EncryptionAlgorithm = p.Phase2Encryption,
                Phase2IntegrityAlgorithm = p.Phase2Integrity,
                Phase2DHGroup = p.Phase2DhGroup,
                ProvisioningStatus = connection.State is "pending" or "modifying" ? "pending" : "available",
            },
        };
    }

    private static async Task<long> AmazonSideAsnAsync(RequestContext context, VpnConnectionResource connection)
    {
        if (connection.VpnGatewayId is { } vgw
            && await context.Store.GetAsync<VpnGatewayResource>(context.Scope, ResourceTypes.VpnGateway, vgw, context.Cancellation).ConfigureAwait(false) is { } gateway)
        {
            return gateway.AmazonSideAsn;
        }
        if (connection.TransitGatewayId is { } tgw
            && await context.Store.GetAsync<Domain.Vpc.TransitGateways.TransitGatewayResource>(context.Scope, ResourceTypes.TransitGateway, tgw, context.Cancellation).ConfigureAwait(false) is { } transit)
        {
            return transit.Options.AmazonSideAsn;
        }
        return 64512;
    }
}
