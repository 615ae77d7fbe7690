namespace Stratus.Domain.Resources;

/// <summary>
/// The resource types Stratus stores, with their id prefixes and EC2 error codes. EC2 publishes no
/// malformed-id code for network ACLs; a malformed one answers the not-found code.
/// </summary>
public static class ResourceTypes
{
    public static readonly ResourceType Vpc = new("vpc", "vpc", "InvalidVpcID.NotFound", "InvalidVpcID.Malformed", "vpc ID");
    public static readonly ResourceType Subnet = new("subnet", "subnet", "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed", "subnet ID");
    public static readonly ResourceType SecurityGroup = new("security-group", "sg", "InvalidGroup.NotFound", "InvalidGroupId.Malformed", "security group");
    public static readonly ResourceType InternetGateway = new("internet-gateway", "igw", "InvalidInternetGatewayID.NotFound", "InvalidInternetGatewayId.Malformed", "internetGateway ID");
    public static readonly ResourceType RouteTable = new("route-table", "rtb", "InvalidRouteTableID.NotFound", "InvalidRouteTableId.Malformed", "routeTable ID");
    public static readonly ResourceType NetworkAcl = new("network-acl", "acl", "InvalidNetworkAclID.NotFound", "InvalidNetworkAclID.NotFound", "networkAcl ID");
    public static readonly ResourceType DhcpOptions = new("dhcp-options", "dopt", "InvalidDhcpOptionID.NotFound", "InvalidDhcpOptionsId.Malformed", "dhcpOption ID");

    /// <summary>Per account and region bookkeeping (for example that the default VPC was created).</summary>
    public static readonly ResourceType RegionSetup = new("region-setup", "setup", "InvalidParameterValue", "InvalidParameterValue", "setup");

    public static IReadOnlyList<ResourceType> Taggable { get; } = [Vpc, Subnet, SecurityGroup, InternetGateway, RouteTable, NetworkAcl, DhcpOptions];

    /// <summary>The type whose ids start with the prefix of <paramref name="id"/>.</summary>
    public static ResourceType? FromId(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            return null;
        }
        var prefix = id[..dash];
        return Taggable.FirstOrDefault(t => t.IdPrefix == prefix);
    }
}
