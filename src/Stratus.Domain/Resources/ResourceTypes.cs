namespace Stratus.Domain.Resources;

/// <summary>The resource types Stratus stores, with their id prefixes and EC2 error-code stems.</summary>
public static class ResourceTypes
{
    public static readonly ResourceType Vpc = new("vpc", "vpc", "InvalidVpcID", "vpc ID");
    public static readonly ResourceType Subnet = new("subnet", "subnet", "InvalidSubnetID", "subnet ID");
    public static readonly ResourceType SecurityGroup = new("security-group", "sg", "InvalidGroup", "security group");
    public static readonly ResourceType InternetGateway = new("internet-gateway", "igw", "InvalidInternetGatewayID", "internetGateway ID");
    public static readonly ResourceType RouteTable = new("route-table", "rtb", "InvalidRouteTableID", "routeTable ID");
    public static readonly ResourceType NetworkAcl = new("network-acl", "acl", "InvalidNetworkAclID", "networkAcl ID");
    public static readonly ResourceType DhcpOptions = new("dhcp-options", "dopt", "InvalidDhcpOptionID", "dhcpOption ID");

    /// <summary>Per account and region bookkeeping (for example that the default VPC was created).</summary>
    public static readonly ResourceType RegionSetup = new("region-setup", "setup", "InvalidParameterValue", "setup");

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
