using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>VPCs, subnets, gateways, route tables, network ACLs and DHCP options.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeVpcs")]
    private static readonly FilterSet<VpcResource> VpcFilters = new FilterSet<VpcResource>()
        .Add("cidr", v => v.CidrBlock)
        .AddMany("cidr-block-association.cidr-block", v => v.CidrBlocks.Select(c => c.CidrBlock))
        .AddMany("cidr-block-association.association-id", v => v.CidrBlocks.Select(c => c.AssociationId))
        .AddMany("cidr-block-association.state", v => v.CidrBlocks.Select(c => c.State))
        .Add("dhcp-options-id", v => v.DhcpOptionsId)
        .Add("is-default", v => v.IsDefault)
        .Add("owner-id", v => v.OwnerId)
        .Add("state", v => v.State)
        .Add("vpc-id", v => v.Id)
        .AddMany("ipv6-cidr-block-association.ipv6-cidr-block", v => v.Ipv6CidrBlocks.Select(b => b.Ipv6CidrBlock))
        .AddMany("ipv6-cidr-block-association.ipv6-pool", v => v.Ipv6CidrBlocks.Select(b => b.Ipv6Pool))
        .AddMany("ipv6-cidr-block-association.association-id", v => v.Ipv6CidrBlocks.Select(b => b.AssociationId))
        .AddMany("ipv6-cidr-block-association.state", v => v.Ipv6CidrBlocks.Select(b => b.State))
        .WithTags(v => v.Tags)
        // Older filter names EC2 still answers (amazon.aws's ec2_vpc_net sends cidr-block, ec2_instance isDefault).
        .Alias("cidr-block", "cidr")
        .Alias("cidrBlock", "cidr")
        .Alias("isDefault", "is-default");

    [FiltersFor("DescribeSubnets")]
    private static readonly FilterSet<SubnetResource> SubnetFilters = new FilterSet<SubnetResource>()
        .Add("availability-zone", s => s.AvailabilityZone)
        .Add("availability-zone-id", s => s.AvailabilityZoneId)
        .Add("available-ip-address-count", s => s.AvailableIpAddressCount.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .Add("cidr-block", s => s.CidrBlock)
        .Add("default-for-az", s => s.DefaultForAz)
        .Add("map-public-ip-on-launch", s => s.MapPublicIpOnLaunch)
        .Add("owner-id", s => s.OwnerId)
        .Add("state", s => s.State)
        .Add("subnet-id", s => s.Id)
        .Add("subnet-arn", s => SubnetArn(s))
        .Add("vpc-id", s => s.VpcId)
        .Add("customer-owned-ipv4-pool", _ => null)
        .Add("enable-dns64", s => s.EnableDns64)
        .Add("enable-lni-at-device-index", _ => null)
        .AddMany("ipv6-cidr-block-association.association-id", s => s.Ipv6CidrBlocks.Select(b => b.AssociationId))
        .AddMany("ipv6-cidr-block-association.ipv6-cidr-block", s => s.Ipv6CidrBlocks.Select(b => b.Ipv6CidrBlock))
        .AddMany("ipv6-cidr-block-association.state", s => s.Ipv6CidrBlocks.Select(b => b.State))
        .Add("ipv6-native", _ => false)
        .Add("map-customer-owned-ip-on-launch", _ => false)
        .Add("outpost-arn", _ => null)
        .Add("private-dns-name-options-on-launch.enable-resource-name-dns-a-record", _ => false)
        .Add("private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record", _ => false)
        .Add("private-dns-name-options-on-launch.hostname-type", _ => "ip-name")
        .WithTags(s => s.Tags)
        // The alternative names the API reference documents for DescribeSubnets.
        .Alias("availabilityZone", "availability-zone")
        .Alias("availabilityZoneId", "availability-zone-id")
        .Alias("cidr", "cidr-block")
        .Alias("cidrBlock", "cidr-block")
        .Alias("defaultForAz", "default-for-az");

    [FiltersFor("DescribeInternetGateways")]
    private static readonly FilterSet<InternetGatewayResource> InternetGatewayFilters = new FilterSet<InternetGatewayResource>()
        .Add("internet-gateway-id", g => g.Id)
        .Add("owner-id", g => g.OwnerId)
        .AddMany("attachment.state", g => g.Attachments.Select(a => a.State))
        .AddMany("attachment.vpc-id", g => g.Attachments.Select(a => a.VpcId))
        .WithTags(g => g.Tags);

    [FiltersFor("DescribeRouteTables")]
    private static readonly FilterSet<RouteTableResource> RouteTableFilters = new FilterSet<RouteTableResource>()
        .Add("route-table-id", t => t.Id)
        .Add("owner-id", t => t.OwnerId)
        .Add("vpc-id", t => t.VpcId)
        .AddMany("association.main", t => t.Associations.Select(a => a.Main ? "true" : "false"))
        .AddMany("association.route-table-association-id", t => t.Associations.Select(a => a.Id))
        .AddMany("association.route-table-id", t => t.Associations.Select(_ => t.Id))
        .AddMany("association.subnet-id", t => t.Associations.Select(a => a.SubnetId))
        .AddMany("association.gateway-id", t => t.Associations.Select(a => a.GatewayId))
        .AddMany("route.destination-cidr-block", t => t.Routes.Select(r => r.DestinationCidrBlock))
        .AddMany("route.destination-ipv6-cidr-block", t => t.Routes.Select(r => r.DestinationIpv6CidrBlock))
        .AddMany("route.destination-prefix-list-id", t => t.Routes.Select(r => r.DestinationPrefixListId))
        .AddMany("route.gateway-id", t => t.Routes.Select(r => r.GatewayId))
        .AddMany("route.egress-only-internet-gateway-id", t => t.Routes.Select(r => r.EgressOnlyInternetGatewayId))
        .AddMany("route.instance-id", t => t.Routes.Select(r => r.InstanceId))
        .AddMany("route.nat-gateway-id", t => t.Routes.Select(r => r.NatGatewayId))
        .AddMany("route.transit-gateway-id", t => t.Routes.Select(r => r.TransitGatewayId))
        .AddMany("route.vpc-peering-connection-id", t => t.Routes.Select(r => r.VpcPeeringConnectionId))
        .AddMany("route.origin", t => t.Routes.Select(r => r.Origin))
        .AddMany("route.state", t => t.Routes.Select(r => r.State))
        .WithTags(t => t.Tags);

    [FiltersFor("DescribeNetworkAcls")]
    private static readonly FilterSet<NetworkAclResource> NetworkAclFilters = new FilterSet<NetworkAclResource>()
        .Add("default", a => a.IsDefault)
        .Add("network-acl-id", a => a.Id)
        .Add("owner-id", a => a.OwnerId)
        .Add("vpc-id", a => a.VpcId)
        .AddMany("association.association-id", a => a.Associations.Select(x => x.Id))
        .AddMany("association.network-acl-id", a => a.Associations.Select(_ => a.Id))
        .AddMany("association.subnet-id", a => a.Associations.Select(x => x.SubnetId))
        .AddMany("entry.cidr", a => a.Entries.Select(e => e.CidrBlock))
        .AddMany("entry.ipv6-cidr", a => a.Entries.Select(e => e.Ipv6CidrBlock))
        .AddMany("entry.icmp.code", a => a.Entries.Select(e => e.IcmpCode?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .AddMany("entry.icmp.type", a => a.Entries.Select(e => e.IcmpType?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .AddMany("entry.port-range.from", a => a.Entries.Select(e => e.FromPort?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .AddMany("entry.port-range.to", a => a.Entries.Select(e => e.ToPort?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .AddMany("entry.egress", a => a.Entries.Select(e => e.Egress ? "true" : "false"))
        .AddMany("entry.protocol", a => a.Entries.Select(e => e.Protocol))
        .AddMany("entry.rule-action", a => a.Entries.Select(e => e.RuleAction))
        .AddMany("entry.rule-number", a => a.Entries.Select(e => e.RuleNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .WithTags(a => a.Tags);

    [FiltersFor("DescribeDhcpOptions")]
    private static readonly FilterSet<DhcpOptionsResource> DhcpOptionsFilters = new FilterSet<DhcpOptionsResource>()
        .Add("dhcp-options-id", d => d.Id)
        .Add("owner-id", d => d.OwnerId)
        .AddMany("key", d => d.Configurations.Select(c => c.Key))
        .AddMany("value", d => d.Configurations.SelectMany(c => c.Values))
        .WithTags(d => d.Tags);

    public override async Task<DescribeVpcsResult> DescribeVpcsAsync(RequestContext context, DescribeVpcsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.Vpc, VpcFilters, request.VpcIds, request.Filters, request.MaxResults, request.NextToken, "vpcIds").ConfigureAwait(false);
        return new DescribeVpcsResult
        {
            Vpcs = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeSubnetsResult> DescribeSubnetsAsync(RequestContext context, DescribeSubnetsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.Subnet, SubnetFilters, request.SubnetIds, request.Filters, request.MaxResults, request.NextToken, "subnetIds").ConfigureAwait(false);
        return new DescribeSubnetsResult
        {
            Subnets = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeInternetGatewaysResult> DescribeInternetGatewaysAsync(RequestContext context, DescribeInternetGatewaysRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.InternetGateway, InternetGatewayFilters, request.InternetGatewayIds, request.Filters, request.MaxResults, request.NextToken, "internetGatewayIds").ConfigureAwait(false);
        return new DescribeInternetGatewaysResult
        {
            InternetGateways = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeRouteTablesResult> DescribeRouteTablesAsync(RequestContext context, DescribeRouteTablesRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.RouteTable, RouteTableFilters, request.RouteTableIds, request.Filters, request.MaxResults, request.NextToken, "routeTableIds").ConfigureAwait(false);
        return new DescribeRouteTablesResult
        {
            RouteTables = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeNetworkAclsResult> DescribeNetworkAclsAsync(RequestContext context, DescribeNetworkAclsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.NetworkAcl, NetworkAclFilters, request.NetworkAclIds, request.Filters, request.MaxResults, request.NextToken, "networkAclIds").ConfigureAwait(false);
        return new DescribeNetworkAclsResult
        {
            NetworkAcls = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeDhcpOptionsResult> DescribeDhcpOptionsAsync(RequestContext context, DescribeDhcpOptionsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.DhcpOptions, DhcpOptionsFilters, request.DhcpOptionsIds, request.Filters, request.MaxResults, request.NextToken, "dhcpOptionsIds").ConfigureAwait(false);
        return new DescribeDhcpOptionsResult
        {
            DhcpOptions = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    private static Stratus.Ec2.Model.Vpc ToShape(VpcResource v) => new()
    {
        VpcId = v.Id,
        OwnerId = v.OwnerId,
        CidrBlock = v.CidrBlock,
        State = v.State,
        DhcpOptionsId = v.DhcpOptionsId,
        InstanceTenancy = v.InstanceTenancy,
        IsDefault = v.IsDefault,
        CidrBlockAssociationSet = v.CidrBlocks.Select(c => ToShape(c)).ToList(),
        Ipv6CidrBlockAssociationSet = Ipv6AssociationShapes(v),
        Tags = v.Tags.Count > 0 ? ToShape(v.Tags) : null,
    };

    private static Subnet ToShape(SubnetResource s) => new()
    {
        SubnetId = s.Id,
        SubnetArn = SubnetArn(s),
        OwnerId = s.OwnerId,
        VpcId = s.VpcId,
        CidrBlock = s.CidrBlock,
        AvailabilityZone = s.AvailabilityZone,
        AvailabilityZoneId = s.AvailabilityZoneId,
        AvailableIpAddressCount = s.AvailableIpAddressCount,
        DefaultForAz = s.DefaultForAz,
        MapPublicIpOnLaunch = s.MapPublicIpOnLaunch,
        MapCustomerOwnedIpOnLaunch = false,
        AssignIpv6AddressOnCreation = s.AssignIpv6AddressOnCreation,
        Ipv6CidrBlockAssociationSet = Ipv6AssociationShapes(s),
        EnableDns64 = s.EnableDns64,
        Ipv6Native = false,
        PrivateDnsNameOptionsOnLaunch = new PrivateDnsNameOptionsOnLaunch
        {
            HostnameType = "ip-name",
            EnableResourceNameDnsARecord = false,
            EnableResourceNameDnsAAAARecord = false,
        },
        State = s.State,
        Tags = s.Tags.Count > 0 ? ToShape(s.Tags) : null,
    };

    private static InternetGateway ToShape(InternetGatewayResource g) => new()
    {
        InternetGatewayId = g.Id,
        OwnerId = g.OwnerId,
        Attachments = g.Attachments.Select(a => new InternetGatewayAttachment { VpcId = a.VpcId, State = a.State }).ToList(),
        Tags = ToShape(g.Tags),
    };

    private static NetworkAcl ToShape(NetworkAclResource a) => new()
    {
        NetworkAclId = a.Id,
        OwnerId = a.OwnerId,
        VpcId = a.VpcId,
        IsDefault = a.IsDefault,
        Entries = a.Entries.Select(e => new NetworkAclEntry
        {
            RuleNumber = e.RuleNumber,
            Protocol = e.Protocol,
            RuleAction = e.RuleAction,
            Egress = e.Egress,
            CidrBlock = e.CidrBlock,
            Ipv6CidrBlock = e.Ipv6CidrBlock,
            PortRange = e.FromPort is null ? null : new PortRange { From = e.FromPort, To = e.ToPort },
            IcmpTypeCode = e.IcmpType is null ? null : new IcmpTypeCode { Type = e.IcmpType, Code = e.IcmpCode },
        }).ToList(),
        Associations = a.Associations.Select(x => new NetworkAclAssociation { NetworkAclAssociationId = x.Id, NetworkAclId = a.Id, SubnetId = x.SubnetId }).ToList(),
        Tags = ToShape(a.Tags),
    };

    private static DhcpOptions ToShape(DhcpOptionsResource d) => new()
    {
        DhcpOptionsId = d.Id,
        OwnerId = d.OwnerId,
        DhcpConfigurations = d.Configurations.Select(c => new DhcpConfiguration
        {
            Key = c.Key,
            Values = c.Values.Select(v => new AttributeValue { Value = v }).ToList(),
        }).ToList(),
        Tags = ToShape(d.Tags),
    };

    private static RouteTable ToShape(RouteTableResource t) => new()
    {
        RouteTableId = t.Id,
        OwnerId = t.OwnerId,
        VpcId = t.VpcId,
        Routes = t.Routes.Select(r => new Route
        {
            DestinationCidrBlock = r.DestinationCidrBlock,
            DestinationIpv6CidrBlock = r.DestinationIpv6CidrBlock,
            DestinationPrefixListId = r.DestinationPrefixListId,
            GatewayId = r.GatewayId,
            EgressOnlyInternetGatewayId = r.EgressOnlyInternetGatewayId,
            InstanceId = r.InstanceId,
            InstanceOwnerId = r.InstanceOwnerId,
            NetworkInterfaceId = r.NetworkInterfaceId,
            NatGatewayId = r.NatGatewayId,
            TransitGatewayId = r.TransitGatewayId,
            VpcPeeringConnectionId = r.VpcPeeringConnectionId,
            State = r.State,
            Origin = r.Origin,
        }).ToList(),
        Associations = t.Associations.Select(a => new RouteTableAssociation
        {
            RouteTableAssociationId = a.Id,
            RouteTableId = t.Id,
            Main = a.Main,
            SubnetId = a.SubnetId,
            GatewayId = a.GatewayId,
            AssociationState = new RouteTableAssociationState { State = a.State },
        }).ToList(),
        PropagatingVgws = t.PropagatingVgws.Select(g => new PropagatingVgw { GatewayId = g }).ToList(),
        Tags = ToShape(t.Tags),
    };

    private static string SubnetArn(SubnetResource s) =>
        $"arn:aws:ec2:{s.AvailabilityZone[..^1]}:{s.OwnerId}:subnet/{s.Id}";
}
