using Stratus.Domain.Resources;

namespace Stratus.Domain.Vpc.TransitGateways;

/// <summary>A transit gateway: a regional router between the VPCs and VPN connections attached to it.</summary>
public sealed class TransitGatewayResource : IProvisioned
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public string? Description { get; set; }
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public TransitGatewaySettings Options { get; init; } = new();
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A transit gateway's options, with AWS's defaults.</summary>
public sealed class TransitGatewaySettings
{
    public long AmazonSideAsn { get; set; } = 64512;
    public string AutoAcceptSharedAttachments { get; set; } = "disable";
    public string DefaultRouteTableAssociation { get; set; } = "enable";
    public string DefaultRouteTablePropagation { get; set; } = "enable";
    public string? AssociationDefaultRouteTableId { get; set; }
    public string? PropagationDefaultRouteTableId { get; set; }
    public string VpnEcmpSupport { get; set; } = "enable";
    public string DnsSupport { get; set; } = "enable";
    public string MulticastSupport { get; set; } = "disable";
    public string SecurityGroupReferencingSupport { get; set; } = "disable";
    public List<string> CidrBlocks { get; init; } = [];
}

/// <summary>
/// An attachment of a VPC or a VPN connection to a transit gateway. The route table it is
/// associated with (at most one) decides where the traffic it brings goes.
/// </summary>
public sealed class TransitGatewayAttachmentResource : IProvisioned
{
    public required string Id { get; init; }
    public required string TransitGatewayId { get; init; }
    public required string TransitGatewayOwnerId { get; init; }

    /// <summary><c>vpc</c> or <c>vpn</c>.</summary>
    public required string ResourceType { get; init; }

    /// <summary>The VPC id or the VPN connection id.</summary>
    public required string ResourceId { get; init; }
    public required string ResourceOwnerId { get; init; }
    public List<string> SubnetIds { get; init; } = [];
    public string ApplianceModeSupport { get; set; } = "disable";
    public string DnsSupport { get; set; } = "enable";
    public string Ipv6Support { get; set; } = "disable";
    public string SecurityGroupReferencingSupport { get; set; } = "enable";
    public string? AssociatedRouteTableId { get; set; }

    /// <summary>Peering attachments: the route table of the accepter's gateway (<see cref="ResourceId"/>) the attachment is associated with there.</summary>
    public string? PeerAssociatedRouteTableId { get; set; }

    /// <summary>Peering attachments: the accepter side (the requester is <see cref="TransitGatewayId"/>); Connect attachments: the GRE protocol.</summary>
    public TransitGatewayPeerInfo? Peer { get; init; }

    /// <summary>
    /// Peering attachments between Regions: the requester's Region (the accepter's is
    /// <see cref="TransitGatewayPeerInfo.Region"/>). An attachment between Regions or accounts is
    /// stored in both sides' scopes under the same id and every change is written to both
    /// (<see cref="TransitGateways.PutAttachmentAsync"/>).
    /// </summary>
    public string? RequesterRegion { get; init; }
    public string? Protocol { get; init; }

    /// <summary>The policy table the attachment is associated with (peering attachments), if any.</summary>
    public string? PolicyTableId { get; set; }
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A static route of a transit gateway route table: to an attachment, or a blackhole.</summary>
public sealed class TransitGatewayStaticRoute
{
    public required string DestinationCidrBlock { get; init; }
    public string? AttachmentId { get; init; }
    public bool Blackhole { get; init; }
}

/// <summary>
/// A transit gateway route table: static routes, and the attachments that propagate their
/// resources' CIDR blocks into it. Associations are kept on the attachments.
/// </summary>
public sealed class TransitGatewayRouteTableResource : IProvisioned
{
    public required string Id { get; init; }
    public required string TransitGatewayId { get; init; }
    public bool DefaultAssociationRouteTable { get; set; }
    public bool DefaultPropagationRouteTable { get; set; }
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<string> PropagatingAttachmentIds { get; init; } = [];
    public List<TransitGatewayStaticRoute> Routes { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}
