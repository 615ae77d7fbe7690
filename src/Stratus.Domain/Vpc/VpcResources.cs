using Stratus.Domain.Resources;

namespace Stratus.Domain.Vpc;

public sealed class VpcResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string CidrBlock { get; init; }
    public required string CidrBlockAssociationId { get; init; }
    public string State { get; set; } = "available";
    public required string DhcpOptionsId { get; set; }
    public string InstanceTenancy { get; init; } = "default";
    public bool IsDefault { get; init; }
    public bool EnableDnsSupport { get; set; } = true;
    public bool EnableDnsHostnames { get; set; }
    public bool EnableNetworkAddressUsageMetrics { get; set; }

    /// <summary>IPv4 blocks added after the primary one (AssociateVpcCidrBlock).</summary>
    public List<VpcCidrAssociation> AdditionalCidrBlocks { get; init; } = [];

    /// <summary>IPv6 blocks (Amazon-provided /56s, see <see cref="Ipv6.Ipv6Blocks"/>).</summary>
    public List<Ipv6.Ipv6CidrAssociation> Ipv6CidrBlocks { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];

    /// <summary>Every IPv4 block of the VPC, primary first.</summary>
    public IEnumerable<VpcCidrAssociation> CidrBlocks =>
        AdditionalCidrBlocks.Prepend(new VpcCidrAssociation { AssociationId = CidrBlockAssociationId, CidrBlock = CidrBlock });
}

public sealed class VpcCidrAssociation
{
    public required string AssociationId { get; init; }
    public required string CidrBlock { get; init; }
    public string State { get; set; } = "associated";
}

public sealed class SubnetResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public required string CidrBlock { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }
    public string State { get; set; } = "available";
    public bool DefaultForAz { get; init; }
    public bool MapPublicIpOnLaunch { get; set; }
    public int AvailableIpAddressCount { get; set; }

    /// <summary>The subnet's IPv6 block (at most one /64 inside one of the VPC's /56s).</summary>
    public List<Ipv6.Ipv6CidrAssociation> Ipv6CidrBlocks { get; init; } = [];
    public bool AssignIpv6AddressOnCreation { get; set; }
    public bool EnableDns64 { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

public sealed class GatewayAttachment
{
    public required string VpcId { get; init; }
    public string State { get; set; } = "available";
}

public sealed class InternetGatewayResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public List<GatewayAttachment> Attachments { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A route: one destination and one target.</summary>
public sealed class RouteEntry
{
    public string? DestinationCidrBlock { get; init; }
    public string? DestinationIpv6CidrBlock { get; init; }
    public string? DestinationPrefixListId { get; init; }
    public string? GatewayId { get; init; }
    public string? EgressOnlyInternetGatewayId { get; init; }
    public string? InstanceId { get; init; }
    public string? InstanceOwnerId { get; init; }
    public string? NetworkInterfaceId { get; init; }
    public string? NatGatewayId { get; init; }
    public string? TransitGatewayId { get; init; }
    public string? VpcPeeringConnectionId { get; init; }
    public string State { get; set; } = "active";
    public string Origin { get; init; } = "CreateRoute";
}

public sealed class RouteTableLink
{
    public required string Id { get; init; }
    public bool Main { get; init; }
    public string? SubnetId { get; init; }
    public string? GatewayId { get; init; }
    public string State { get; set; } = "associated";
}

public sealed class RouteTableResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public List<RouteEntry> Routes { get; init; } = [];
    public List<RouteTableLink> Associations { get; init; } = [];

    /// <summary>Virtual private gateways whose VPN routes this table receives (EnableVgwRoutePropagation).</summary>
    public List<string> PropagatingVgws { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

public sealed class AclEntry
{
    public required int RuleNumber { get; init; }
    public required string Protocol { get; init; }
    public required string RuleAction { get; init; }
    public required bool Egress { get; init; }
    public string? CidrBlock { get; init; }
    public string? Ipv6CidrBlock { get; init; }
    public int? FromPort { get; init; }
    public int? ToPort { get; init; }
    public int? IcmpType { get; init; }
    public int? IcmpCode { get; init; }
}

public sealed class AclLink
{
    public required string Id { get; init; }
    public required string SubnetId { get; init; }
}

public sealed class NetworkAclResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public bool IsDefault { get; init; }
    public List<AclEntry> Entries { get; init; } = [];
    public List<AclLink> Associations { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

public sealed class DhcpSetting
{
    public required string Key { get; init; }
    public required List<string> Values { get; init; }
}

public sealed class DhcpOptionsResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public List<DhcpSetting> Configurations { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>Bookkeeping for one account in one region.</summary>
public sealed class RegionSetup
{
    public required string DefaultVpcId { get; init; }

    /// <summary>The region's default DHCP options, which new VPCs use.</summary>
    public string? DefaultDhcpOptionsId { get; init; }
    public DateTime CreatedAt { get; init; }
}
