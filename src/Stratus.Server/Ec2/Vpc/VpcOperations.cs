using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Creating, changing and deleting VPCs, subnets, gateways, route tables, network ACLs and DHCP options.</summary>
internal sealed partial class Ec2Service
{
    // ---- VPCs ------------------------------------------------------------------------------------

    public override async Task<CreateVpcResult> CreateVpcAsync(RequestContext context, CreateVpcRequest request)
    {
        CheckIpv6Pool(request.Ipv6Pool, request.Ipv6CidrBlock);
        if (request.Ipv4IpamPoolId is not null || request.Ipv6IpamPoolId is not null)
        {
            throw AwsErrors.InvalidParameterValue("IPAM pools are not supported; specify cidrBlock.");
        }
        if (request.Ipv6CidrBlockNetworkBorderGroup is not null && request.AmazonProvidedIpv6CidrBlock != true)
        {
            throw AwsErrors.InvalidParameterCombination("Ipv6CidrBlockNetworkBorderGroup requires AmazonProvidedIpv6CidrBlock.");
        }
        var tags = TagsOnCreate(request.TagSpecifications, "vpc");
        var vpc = await Vpcs.CreateAsync(context.Transaction, context.Scope, request.CidrBlock, request.InstanceTenancy, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        if (request.AmazonProvidedIpv6CidrBlock == true)
        {
            await Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.AssociateVpcBlockAsync(context.Transaction, context.Scope, vpc, request.Ipv6CidrBlockNetworkBorderGroup, context.Now, context.Cancellation).ConfigureAwait(false);
        }
        var shape = ToShape(vpc, ipv6State: "associating");
        shape.State = "pending";
        return new CreateVpcResult { Vpc = shape };
    }

    public override async Task<CreateDefaultVpcResult> CreateDefaultVpcAsync(RequestContext context, CreateDefaultVpcRequest request)
    {
        var vpc = await Vpcs.CreateDefaultAsync(context.Transaction, context.Scope, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToShape(vpc);
        shape.State = "pending";
        return new CreateDefaultVpcResult { Vpc = shape };
    }

    public override Task DeleteVpcAsync(RequestContext context, DeleteVpcRequest request) =>
        Vpcs.DeleteAsync(context.Transaction, context.Scope, request.VpcId, context.Cancellation);

    public override async Task<DescribeVpcAttributeResult> DescribeVpcAttributeAsync(RequestContext context, DescribeVpcAttributeRequest request)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(context.Store, context.Scope, ResourceTypes.Vpc, request.VpcId, context.Cancellation).ConfigureAwait(false);
        var result = new DescribeVpcAttributeResult { VpcId = vpc.Id };
        switch (request.Attribute)
        {
            case "enableDnsSupport":
                result.EnableDnsSupport = new AttributeBooleanValue { Value = vpc.EnableDnsSupport };
                break;
            case "enableDnsHostnames":
                result.EnableDnsHostnames = new AttributeBooleanValue { Value = vpc.EnableDnsHostnames };
                break;
            case "enableNetworkAddressUsageMetrics":
                result.EnableNetworkAddressUsageMetrics = new AttributeBooleanValue { Value = vpc.EnableNetworkAddressUsageMetrics };
                break;
            default:
                throw AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid. Unknown attribute.");
        }
        return result;
    }

    public override Task ModifyVpcAttributeAsync(RequestContext context, ModifyVpcAttributeRequest request) =>
        Vpcs.ModifyAttributeAsync(context.Transaction, context.Scope, request.VpcId,
            request.EnableDnsSupport is null ? null : request.EnableDnsSupport.Value ?? throw AwsErrors.MissingParameter("enableDnsSupport.value"),
            request.EnableDnsHostnames is null ? null : request.EnableDnsHostnames.Value ?? throw AwsErrors.MissingParameter("enableDnsHostnames.value"),
            request.EnableNetworkAddressUsageMetrics is null ? null : request.EnableNetworkAddressUsageMetrics.Value ?? throw AwsErrors.MissingParameter("enableNetworkAddressUsageMetrics.value"),
            context.Now, context.Cancellation);

    public override async Task<AssociateVpcCidrBlockResult> AssociateVpcCidrBlockAsync(RequestContext context, AssociateVpcCidrBlockRequest request)
    {
        if (request.AmazonProvidedIpv6CidrBlock == true || request.Ipv6CidrBlock is not null || request.Ipv6Pool is not null || request.Ipv6CidrBlockNetworkBorderGroup is not null)
        {
            return await AssociateVpcIpv6CidrBlockAsync(context, request).ConfigureAwait(false);
        }
        if (request.Ipv6IpamPoolId is not null || request.Ipv4IpamPoolId is not null)
        {
            throw AwsErrors.InvalidParameterValue("IPAM pools are not supported; specify cidrBlock or amazonProvidedIpv6CidrBlock.");
        }
        var (vpc, association) = await Vpcs.AssociateCidrBlockAsync(context.Transaction, context.Scope, request.VpcId, request.CidrBlock, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateVpcCidrBlockResult { VpcId = vpc.Id, CidrBlockAssociation = ToShape(association, "associating") };
    }

    public override async Task<DisassociateVpcCidrBlockResult> DisassociateVpcCidrBlockAsync(RequestContext context, DisassociateVpcCidrBlockRequest request)
    {
        if (await DisassociateVpcIpv6CidrBlockAsync(context, request).ConfigureAwait(false) is { } ipv6)
        {
            return ipv6;
        }
        var (vpc, association) = await Vpcs.DisassociateCidrBlockAsync(context.Transaction, context.Scope, request.AssociationId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisassociateVpcCidrBlockResult { VpcId = vpc.Id, CidrBlockAssociation = ToShape(association, "disassociating") };
    }

    private static VpcCidrBlockAssociation ToShape(VpcCidrAssociation c, string? state = null) => new()
    {
        AssociationId = c.AssociationId,
        CidrBlock = c.CidrBlock,
        CidrBlockState = new VpcCidrBlockState { State = state ?? c.State },
    };

    // ---- Subnets ---------------------------------------------------------------------------------

    public override async Task<CreateSubnetResult> CreateSubnetAsync(RequestContext context, CreateSubnetRequest request)
    {
        if (request.Ipv6Native == true)
        {
            throw AwsErrors.InvalidParameterValue("IPv6-only subnets are not supported; create a dual-stack subnet with cidrBlock and ipv6CidrBlock.");
        }
        if (request.Ipv4IpamPoolId is not null || request.Ipv6IpamPoolId is not null)
        {
            throw AwsErrors.InvalidParameterValue("IPAM pools are not supported; specify cidrBlock.");
        }
        if (request.OutpostArn is not null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.OutpostArn}) for parameter outpostArn is invalid.");
        }
        var tags = TagsOnCreate(request.TagSpecifications, "subnet");
        var subnet = await Vpcs.CreateSubnetAsync(context.Transaction, context.Scope, request.VpcId, request.CidrBlock,
            request.AvailabilityZone, request.AvailabilityZoneId, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        if (request.Ipv6CidrBlock is not null)
        {
            await Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.AssociateSubnetBlockAsync(context.Transaction, context.Scope, subnet, request.Ipv6CidrBlock, context.Now, context.Cancellation).ConfigureAwait(false);
        }
        return new CreateSubnetResult { Subnet = ToShape(subnet) };
    }

    public override Task DeleteSubnetAsync(RequestContext context, DeleteSubnetRequest request) =>
        Vpcs.DeleteSubnetAsync(context.Transaction, context.Scope, request.SubnetId, context.Now, context.Cancellation);

    public override async Task ModifySubnetAttributeAsync(RequestContext context, ModifySubnetAttributeRequest request)
    {
        var subnet = await Vpcs.RequireAsync<SubnetResource>(context.Transaction, context.Scope, ResourceTypes.Subnet, request.SubnetId, context.Cancellation).ConfigureAwait(false);
        var given = new object?[]
        {
            request.MapPublicIpOnLaunch, request.AssignIpv6AddressOnCreation, request.CustomerOwnedIpv4Pool, request.DisableLniAtDeviceIndex,
            request.EnableDns64, request.EnableLniAtDeviceIndex, request.EnableResourceNameDnsAAAARecordOnLaunch,
            request.EnableResourceNameDnsARecordOnLaunch, request.MapCustomerOwnedIpOnLaunch, request.PrivateDnsHostnameTypeOnLaunch,
        }.Count(v => v is not null);
        if (given == 0)
        {
            throw AwsErrors.MissingParameter("mapPublicIpOnLaunch");
        }
        if (given > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Fields for multiple attribute types specified");
        }
        if (request.MapPublicIpOnLaunch is { } map)
        {
            subnet.MapPublicIpOnLaunch = map.Value ?? throw AwsErrors.MissingParameter("mapPublicIpOnLaunch.value");
        }
        else if (request.AssignIpv6AddressOnCreation is { } assign)
        {
            Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.SetSubnetAttribute(subnet, "assign-ipv6-address-on-creation", assign.Value ?? throw AwsErrors.MissingParameter("assignIpv6AddressOnCreation.value"));
        }
        else if (request.EnableDns64 is { } dns64)
        {
            Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.SetSubnetAttribute(subnet, "enable-dns64", dns64.Value ?? throw AwsErrors.MissingParameter("enableDns64.value"));
        }
        else if (request.MapCustomerOwnedIpOnLaunch?.Value == true || request.CustomerOwnedIpv4Pool is not null || request.EnableLniAtDeviceIndex is not null)
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value for subnet {subnet.Id}: the subnet is not on an Outpost.");
        }
        else if (request.EnableResourceNameDnsARecordOnLaunch?.Value == true || request.EnableResourceNameDnsAAAARecordOnLaunch?.Value == true
                 || request.PrivateDnsHostnameTypeOnLaunch is not (null or "ip-name"))
        {
            throw AwsErrors.InvalidParameterValue("Resource-based private DNS names are not supported; the hostname type is ip-name.");
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Subnet, subnet.Id, subnet, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    // ---- Internet gateways -----------------------------------------------------------------------

    public override async Task<CreateInternetGatewayResult> CreateInternetGatewayAsync(RequestContext context, CreateInternetGatewayRequest request)
    {
        var gateway = new InternetGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.InternetGateway.IdPrefix),
            OwnerId = context.AccountId,
            Tags = TagsOnCreate(request.TagSpecifications, "internet-gateway"),
        };
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.InternetGateway, gateway.Id, gateway, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateInternetGatewayResult { InternetGateway = ToShape(gateway) };
    }

    public override Task DeleteInternetGatewayAsync(RequestContext context, DeleteInternetGatewayRequest request) =>
        Vpcs.DeleteGatewayAsync(context.Transaction, context.Scope, request.InternetGatewayId, context.Cancellation);

    public override Task AttachInternetGatewayAsync(RequestContext context, AttachInternetGatewayRequest request) =>
        Vpcs.AttachGatewayAsync(context.Transaction, context.Scope, request.InternetGatewayId, request.VpcId, context.Now, context.Cancellation);

    public override Task DetachInternetGatewayAsync(RequestContext context, DetachInternetGatewayRequest request) =>
        Vpcs.DetachGatewayAsync(context.Transaction, context.Scope, request.InternetGatewayId, request.VpcId, context.Now, context.Cancellation);

    // ---- Route tables ----------------------------------------------------------------------------

    public override async Task<CreateRouteTableResult> CreateRouteTableAsync(RequestContext context, CreateRouteTableRequest request)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(context.Transaction, context.Scope, ResourceTypes.Vpc, request.VpcId, context.Cancellation).ConfigureAwait(false);
        var table = new RouteTableResource
        {
            Id = ResourceIds.New(ResourceTypes.RouteTable.IdPrefix),
            OwnerId = context.AccountId,
            VpcId = vpc.Id,
            Routes = [.. vpc.CidrBlocks.Select(c => new RouteEntry { DestinationCidrBlock = c.CidrBlock, GatewayId = "local", Origin = "CreateRouteTable" }),
                .. Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.LocalRoutes(vpc, "CreateRouteTable")],
            Tags = TagsOnCreate(request.TagSpecifications, "route-table"),
        };
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.RouteTable, table.Id, table, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateRouteTableResult { RouteTable = ToShape(table), ClientToken = request.ClientToken };
    }

    public override Task DeleteRouteTableAsync(RequestContext context, DeleteRouteTableRequest request) =>
        RouteTables.DeleteAsync(context.Transaction, context.Scope, request.RouteTableId, context.Cancellation);

    public override async Task<CreateRouteResult> CreateRouteAsync(RequestContext context, CreateRouteRequest request)
    {
        var spec = new RouteSpec(request.DestinationCidrBlock, request.DestinationIpv6CidrBlock, request.DestinationPrefixListId,
            request.GatewayId, request.NatGatewayId, request.NetworkInterfaceId, request.InstanceId, request.VpcPeeringConnectionId,
            request.TransitGatewayId, request.EgressOnlyInternetGatewayId,
            request.CarrierGatewayId ?? request.LocalGatewayId ?? request.VpcEndpointId ?? request.CoreNetworkArn ?? request.OdbNetworkArn);
        await RouteTables.CreateRouteAsync(context.Transaction, context.Scope, request.RouteTableId, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateRouteResult { Return = true };
    }

    public override Task ReplaceRouteAsync(RequestContext context, ReplaceRouteRequest request)
    {
        var spec = new RouteSpec(request.DestinationCidrBlock, request.DestinationIpv6CidrBlock, request.DestinationPrefixListId,
            request.GatewayId, request.NatGatewayId, request.NetworkInterfaceId, request.InstanceId, request.VpcPeeringConnectionId,
            request.TransitGatewayId, request.EgressOnlyInternetGatewayId,
            request.CarrierGatewayId ?? request.LocalGatewayId ?? request.VpcEndpointId ?? request.CoreNetworkArn ?? request.OdbNetworkArn
                ?? (request.LocalTarget == true ? "local" : null));
        return RouteTables.ReplaceRouteAsync(context.Transaction, context.Scope, request.RouteTableId, spec, context.Now, context.Cancellation);
    }

    public override Task DeleteRouteAsync(RequestContext context, DeleteRouteRequest request)
    {
        var spec = new RouteSpec(request.DestinationCidrBlock, request.DestinationIpv6CidrBlock, request.DestinationPrefixListId,
            null, null, null, null, null, null, null, null);
        return RouteTables.DeleteRouteAsync(context.Transaction, context.Scope, request.RouteTableId, spec, context.Now, context.Cancellation);
    }

    public override async Task<AssociateRouteTableResult> AssociateRouteTableAsync(RequestContext context, AssociateRouteTableRequest request)
    {
        if (request.PublicIpv4Pool is not null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.PublicIpv4Pool}) for parameter publicIpv4Pool is invalid.");
        }
        var link = await RouteTables.AssociateAsync(context.Transaction, context.Scope, request.RouteTableId, request.SubnetId, request.GatewayId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateRouteTableResult { AssociationId = link.Id, AssociationState = new RouteTableAssociationState { State = link.State } };
    }

    public override Task DisassociateRouteTableAsync(RequestContext context, DisassociateRouteTableRequest request) =>
        RouteTables.DisassociateAsync(context.Transaction, context.Scope, request.AssociationId, context.Now, context.Cancellation);

    public override async Task<ReplaceRouteTableAssociationResult> ReplaceRouteTableAssociationAsync(RequestContext context, ReplaceRouteTableAssociationRequest request)
    {
        var link = await RouteTables.ReplaceAssociationAsync(context.Transaction, context.Scope, request.AssociationId, request.RouteTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ReplaceRouteTableAssociationResult { NewAssociationId = link.Id, AssociationState = new RouteTableAssociationState { State = link.State } };
    }

    // ---- Network ACLs ----------------------------------------------------------------------------

    public override async Task<CreateNetworkAclResult> CreateNetworkAclAsync(RequestContext context, CreateNetworkAclRequest request)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(context.Transaction, context.Scope, ResourceTypes.Vpc, request.VpcId, context.Cancellation).ConfigureAwait(false);
        var acl = NetworkAcls.New(context.Scope, vpc, TagsOnCreate(request.TagSpecifications, "network-acl"));
        if (vpc.Ipv6CidrBlocks.Exists(b => b.State == "associated"))
        {
            Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.AddIpv6AclEntries(acl);
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkAcl, acl.Id, acl, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateNetworkAclResult { NetworkAcl = ToShape(acl), ClientToken = request.ClientToken };
    }

    public override Task DeleteNetworkAclAsync(RequestContext context, DeleteNetworkAclRequest request) =>
        NetworkAcls.DeleteAsync(context.Transaction, context.Scope, request.NetworkAclId, context.Cancellation);

    public override Task CreateNetworkAclEntryAsync(RequestContext context, CreateNetworkAclEntryRequest request) =>
        NetworkAcls.PutEntryAsync(context.Transaction, context.Scope, request.NetworkAclId,
            new AclEntrySpec(request.RuleNumber!.Value, request.Protocol!, request.RuleAction!, request.Egress!.Value, request.CidrBlock, request.Ipv6CidrBlock,
                request.PortRange?.From, request.PortRange?.To, request.IcmpTypeCode?.Type, request.IcmpTypeCode?.Code),
            replace: false, context.Now, context.Cancellation);

    public override Task ReplaceNetworkAclEntryAsync(RequestContext context, ReplaceNetworkAclEntryRequest request) =>
        NetworkAcls.PutEntryAsync(context.Transaction, context.Scope, request.NetworkAclId,
            new AclEntrySpec(request.RuleNumber!.Value, request.Protocol!, request.RuleAction!, request.Egress!.Value, request.CidrBlock, request.Ipv6CidrBlock,
                request.PortRange?.From, request.PortRange?.To, request.IcmpTypeCode?.Type, request.IcmpTypeCode?.Code),
            replace: true, context.Now, context.Cancellation);

    public override Task DeleteNetworkAclEntryAsync(RequestContext context, DeleteNetworkAclEntryRequest request) =>
        NetworkAcls.DeleteEntryAsync(context.Transaction, context.Scope, request.NetworkAclId, request.RuleNumber!.Value, request.Egress!.Value, context.Now, context.Cancellation);

    public override async Task<ReplaceNetworkAclAssociationResult> ReplaceNetworkAclAssociationAsync(RequestContext context, ReplaceNetworkAclAssociationRequest request)
    {
        var id = await NetworkAcls.ReplaceAssociationAsync(context.Transaction, context.Scope, request.AssociationId, request.NetworkAclId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ReplaceNetworkAclAssociationResult { NewAssociationId = id };
    }

    // ---- DHCP options ----------------------------------------------------------------------------

    public override async Task<CreateDhcpOptionsResult> CreateDhcpOptionsAsync(RequestContext context, CreateDhcpOptionsRequest request)
    {
        var options = Vpcs.NewDhcpOptions(context.Scope, (request.DhcpConfigurations ?? []).Select(c => (c.Key, c.Values)), TagsOnCreate(request.TagSpecifications, "dhcp-options"));
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.DhcpOptions, options.Id, options, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateDhcpOptionsResult { DhcpOptions = ToShape(options) };
    }

    public override Task DeleteDhcpOptionsAsync(RequestContext context, DeleteDhcpOptionsRequest request) =>
        Vpcs.DeleteDhcpOptionsAsync(context.Transaction, context.Scope, request.DhcpOptionsId, context.Cancellation);

    public override Task AssociateDhcpOptionsAsync(RequestContext context, AssociateDhcpOptionsRequest request) =>
        Vpcs.AssociateDhcpOptionsAsync(context.Transaction, context.Scope, request.DhcpOptionsId, request.VpcId, context.Now, context.Cancellation);
}
