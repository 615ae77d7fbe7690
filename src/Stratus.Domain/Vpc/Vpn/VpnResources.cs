using Stratus.Domain.Resources;

namespace Stratus.Domain.Vpc.Vpn;

/// <summary>A customer gateway: the customer's side of a site-to-site VPN (its public address and BGP ASN).</summary>
public sealed class CustomerGatewayResource : IProvisioned
{
    public required string Id { get; init; }
    public required string IpAddress { get; init; }
    public long BgpAsn { get; init; } = 65000;
    public string Type { get; init; } = "ipsec.1";
    public string? CertificateArn { get; init; }
    public string? DeviceName { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A VPC attachment of a virtual private gateway: attaching → attached, detaching → detached.</summary>
public sealed class VpnGatewayVpcAttachment
{
    public required string VpcId { get; init; }
    public string State { get; set; } = "attaching";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
}

/// <summary>A virtual private gateway: the AWS side of a site-to-site VPN into one VPC.</summary>
public sealed class VpnGatewayResource : IProvisioned, IProvisionedParts
{
    public required string Id { get; init; }
    public string Type { get; init; } = "ipsec.1";
    public long AmazonSideAsn { get; init; } = 64512;
    public string? AvailabilityZone { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<VpnGatewayVpcAttachment> VpcAttachments { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];

    /// <summary>The VPC it is attached to or attaching to, if any.</summary>
    public string? AttachedVpcId => VpcAttachments.Find(a => a.State is "attaching" or "attached")?.VpcId;

    public void SettleParts(DateTime now)
    {
        foreach (var attachment in VpcAttachments)
        {
            if (attachment.NextState is { } next && attachment.NextStateAt is { } at && now >= at)
            {
                attachment.State = next;
                attachment.NextState = null;
            }
        }
    }
}

/// <summary>One of the two tunnels of a VPN connection (described; no tunnel is established).</summary>
public sealed class VpnTunnel
{
    public required string OutsideIpAddress { get; init; }

    /// <summary>The /30 inside the tunnel, in 169.254.0.0/16.</summary>
    public required string InsideCidr { get; set; }
    public required string PreSharedKey { get; set; }
    public int? Phase1LifetimeSeconds { get; set; }
    public int? Phase2LifetimeSeconds { get; set; }
    public int? DpdTimeoutSeconds { get; set; }
    public string? DpdTimeoutAction { get; set; }
    public string? StartupAction { get; set; }
    public List<string> IkeVersions { get; set; } = [];
    public List<string> Phase1EncryptionAlgorithms { get; set; } = [];
    public List<string> Phase1IntegrityAlgorithms { get; set; } = [];
    public List<int> Phase1DhGroupNumbers { get; set; } = [];
    public List<string> Phase2EncryptionAlgorithms { get; set; } = [];
    public List<string> Phase2IntegrityAlgorithms { get; set; } = [];
    public List<int> Phase2DhGroupNumbers { get; set; } = [];
    public int? RekeyMarginTimeSeconds { get; set; }
    public int? RekeyFuzzPercentage { get; set; }
    public int? ReplayWindowSize { get; set; }
    public bool EnableTunnelLifecycleControl { get; set; }

    /// <summary>When the tunnel endpoint was last replaced (ReplaceVpnTunnel) and its certificate last rotated.</summary>
    public DateTime? LastMaintenanceApplied { get; set; }
    public DateTime? CertificateRotatedAt { get; set; }
}

/// <summary>A static route of a VPN connection: traffic for the block goes to the customer gateway.</summary>
public sealed class VpnStaticRouteEntry
{
    public required string DestinationCidrBlock { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
}

/// <summary>A site-to-site VPN connection between a customer gateway and a virtual private gateway or a transit gateway.</summary>
public sealed class VpnConnectionResource : IProvisioned, IProvisionedParts
{
    public required string Id { get; init; }
    public required string CustomerGatewayId { get; set; }
    public string? VpnGatewayId { get; set; }
    public string? TransitGatewayId { get; set; }
    public string? TransitGatewayAttachmentId { get; set; }
    public string Type { get; init; } = "ipsec.1";
    public bool StaticRoutesOnly { get; init; }
    public string LocalIpv4NetworkCidr { get; set; } = "0.0.0.0/0";
    public string RemoteIpv4NetworkCidr { get; set; } = "0.0.0.0/0";
    public string TunnelBandwidth { get; set; } = "standard";
    public string OutsideIpAddressType { get; init; } = "PublicIpv4";
    public bool EnableAcceleration { get; init; }
    public List<VpnTunnel> Tunnels { get; init; } = [];
    public List<VpnStaticRouteEntry> Routes { get; init; } = [];
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];

    public void SettleParts(DateTime now)
    {
        foreach (var route in Routes)
        {
            if (route.NextState is { } next && route.NextStateAt is { } at && now >= at)
            {
                route.State = next;
                route.NextState = null;
            }
        }
        Routes.RemoveAll(r => r.State == "deleted");
    }
}
