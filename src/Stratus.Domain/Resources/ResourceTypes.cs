namespace Stratus.Domain.Resources;

/// <summary>
/// The resource types Stratus stores, with their id prefixes and EC2 error codes. Where EC2
/// publishes no malformed-id code (network ACLs, key pairs, addresses, placement groups) a
/// malformed id answers the not-found code.
/// </summary>
public static partial class ResourceTypes
{
    public static readonly ResourceType Vpc = new("vpc", "vpc", "InvalidVpcID.NotFound", "InvalidVpcID.Malformed", "The vpc ID '{0}' does not exist");
    public static readonly ResourceType Subnet = new("subnet", "subnet", "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed", "The subnet ID '{0}' does not exist");
    public static readonly ResourceType SecurityGroup = new("security-group", "sg", "InvalidGroup.NotFound", "InvalidGroupId.Malformed", "The security group '{0}' does not exist");
    public static readonly ResourceType SecurityGroupRule = new("security-group-rule", "sgr", "InvalidSecurityGroupRuleId.NotFound", "InvalidSecurityGroupRuleId.Malformed", "The security group rule ID '{0}' does not exist");
    public static readonly ResourceType InternetGateway = new("internet-gateway", "igw", "InvalidInternetGatewayID.NotFound", "InvalidInternetGatewayId.Malformed", "The internetGateway ID '{0}' does not exist");
    public static readonly ResourceType RouteTable = new("route-table", "rtb", "InvalidRouteTableID.NotFound", "InvalidRouteTableId.Malformed", "The routeTable ID '{0}' does not exist");
    public static readonly ResourceType NetworkAcl = new("network-acl", "acl", "InvalidNetworkAclID.NotFound", "InvalidNetworkAclID.NotFound", "The networkAcl ID '{0}' does not exist");
    public static readonly ResourceType DhcpOptions = new("dhcp-options", "dopt", "InvalidDhcpOptionID.NotFound", "InvalidDhcpOptionsId.Malformed", "The dhcpOption ID '{0}' does not exist");
    public static readonly ResourceType NetworkInterface = new("network-interface", "eni", "InvalidNetworkInterfaceID.NotFound", "InvalidNetworkInterfaceId.Malformed", "The networkInterface ID '{0}' does not exist");
    public static readonly ResourceType Instance = new("instance", "i", "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed", "The instance ID '{0}' does not exist");
    public static readonly ResourceType Reservation = new("reservation", "r", "InvalidReservationID.NotFound", "InvalidReservationID.Malformed", "The reservation ID '{0}' does not exist");
    public static readonly ResourceType Image = new("image", "ami", "InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "The image id '[{0}]' does not exist");
    public static readonly ResourceType Volume = new("volume", "vol", "InvalidVolume.NotFound", "InvalidVolumeID.Malformed", "The volume '{0}' does not exist.");
    public static readonly ResourceType Snapshot = new("snapshot", "snap", "InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed", "The snapshot '{0}' does not exist.");
    public static readonly ResourceType KeyPair = new("key-pair", "key", "InvalidKeyPair.NotFound", "InvalidKeyPair.NotFound", "The key pair '{0}' does not exist");
    public static readonly ResourceType ElasticIp = new("elastic-ip", "eipalloc", "InvalidAllocationID.NotFound", "InvalidAllocationID.NotFound", "The allocation ID '{0}' does not exist");
    public static readonly ResourceType PlacementGroup = new("placement-group", "pg", "InvalidPlacementGroup.Unknown", "InvalidPlacementGroup.Unknown", "The Placement Group '{0}' is unknown.");
    public static readonly ResourceType LaunchTemplate = new("launch-template", "lt", "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed", "The specified launch template, with template ID {0}, does not exist.");
    public static readonly ResourceType SpotInstanceRequest = new("spot-instances-request", "sir", "InvalidSpotInstanceRequestID.NotFound", "InvalidSpotInstanceRequestID.Malformed", "The spot instance request ID '{0}' does not exist");
    public static readonly ResourceType NatGateway = new("natgateway", "nat", "NatGatewayNotFound", "NatGatewayMalformed", "The Nat Gateway {0} was not found");
    public static readonly ResourceType EgressOnlyInternetGateway = new("egress-only-internet-gateway", "eigw", "InvalidEgressOnlyInternetGatewayId.NotFound", "InvalidEgressOnlyInternetGatewayId.Malformed", "The egressOnlyInternetGateway ID '{0}' does not exist");
    public static readonly ResourceType VpcPeeringConnection = new("vpc-peering-connection", "pcx", "InvalidVpcPeeringConnectionID.NotFound", "InvalidVpcPeeringConnectionId.Malformed", "The vpcPeeringConnection ID '{0}' does not exist");
    public static readonly ResourceType CapacityReservation = new("capacity-reservation", "cr", "InvalidCapacityReservationId.NotFound", "InvalidCapacityReservationId.Malformed", "The capacity reservation ID '{0}' does not exist");
    public static readonly ResourceType Host = new("dedicated-host", "h", "InvalidHostID.NotFound", "InvalidHostID.Malformed", "The host ID '{0}' does not exist");

    /// <summary>
    /// What stays of a deregistered image for a while: DescribeImages still shows it (state
    /// <c>deregistered</c>), then answers empty for its id, as EC2 does (see <c>Images.Deregistered</c>).
    /// </summary>
    public static readonly ResourceType DeregisteredImage = new("deregistered-image", "ami", "InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "The image id '[{0}]' does not exist");

    /// <summary>Per account and region bookkeeping (for example that the default VPC was created).</summary>
    public static readonly ResourceType RegionSetup = new("region-setup", "setup", "InvalidParameterValue", "InvalidParameterValue", "{0}");

    /// <summary>Types whose documents carry tags (the <c>tags</c> array) and whose ids CreateTags accepts.</summary>
    public static IReadOnlyList<ResourceType> Taggable => TaggableTypes.Value;

    // Lazy: the static fields of the other partial file are initialised in no defined order.
    private static readonly Lazy<ResourceType[]> TaggableTypes = new(() =>
    [
        Vpc, Subnet, SecurityGroup, SecurityGroupRule, InternetGateway, RouteTable, NetworkAcl, DhcpOptions, NetworkInterface,
        Instance, Image, Volume, Snapshot, KeyPair, ElasticIp, PlacementGroup, LaunchTemplate,
        SpotInstanceRequest,
        NatGateway, VpcPeeringConnection, EgressOnlyInternetGateway,
        Host, CapacityReservation,
        .. ConnectivityTaggable,
        .. ComputeTaggable,
        .. NetworkApiTaggable,
        .. OperationsTaggable,
    ]);

    /// <summary>The taggable type whose ids start with the prefix of <paramref name="id"/>.</summary>
    public static ResourceType? FromId(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            return null;
        }
        var lookup = TaggableByPrefix.Value;
        // Prefixes may themselves hold a dash (tgw-attach, tgw-rtb): the longest well-formed match wins.
        foreach (var compound in lookup.Compound)
        {
            if (ResourceIds.IsWellFormed(compound.IdPrefix, id))
            {
                return compound;
            }
        }
        return lookup.Simple.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id.AsSpan(0, dash), out var type) ? type : null;
    }

    /// <summary>
    /// The taggable types by id prefix: those whose prefix has no dash by it (the first of a prefix
    /// in <see cref="Taggable"/>'s order), those whose prefix holds one longest first.
    /// </summary>
    private static readonly Lazy<(Dictionary<string, ResourceType> Simple, ResourceType[] Compound)> TaggableByPrefix = new(() =>
    {
        var simple = new Dictionary<string, ResourceType>(StringComparer.Ordinal);
        foreach (var type in Taggable.Where(t => !t.IdPrefix.Contains('-', StringComparison.Ordinal)))
        {
            simple.TryAdd(type.IdPrefix, type);
        }
        var compound = Taggable.Where(t => t.IdPrefix.Contains('-', StringComparison.Ordinal)).OrderByDescending(t => t.IdPrefix.Length).ToArray();
        return (simple, compound);
    });
}
