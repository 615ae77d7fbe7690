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
    public required string InsideCidr { get; init; }
    public required string PreSharedKey { get; init; }
    public int? Phase1LifetimeSeconds { get; init; }
    public int? Phase2LifetimeSeconds { get; init; }
    public int? DpdTimeoutSeconds { get; init; }
    public string? DpdTimeoutAction { get; init; }
    public string? StartupAction { get; init; }
    public List<string> IkeVersions { get; init; } = [];
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
    public string LocalIpv4NetworkCidr { get; init; } = "0.0.0.0/0";
    public string RemoteIpv4NetworkCidr { get; init; } = "0.0.0.0/0";
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
