using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.Ipv6;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Ipv6CidrAssociation = Stratus.Domain.Vpc.Ipv6.Ipv6CidrAssociation;

namespace Stratus.Server.Ec2;

/// <summary>
/// IPv6 in VPCs: Amazon-provided /56 blocks for VPCs, /64 blocks for subnets, addresses for
/// network interfaces, and the (empty) BYOIP pool calls. The rules live in <see cref="Ipv6Blocks"/>.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>BYOIP pools: an account has none, so naming one is AWS's not-found error.</summary>
    private static void CheckIpv6Pool(string? pool, string? cidr)
    {
        if (pool is not null)
        {
            throw new AwsException("InvalidIpv6PoolID.NotFound", $"The ID '{pool}' does not exist");
        }
        if (cidr is not null)
        {
            throw AwsErrors.MissingParameter("ipv6Pool");
        }
    }

    private static async Task<AssociateVpcCidrBlockResult> AssociateVpcIpv6CidrBlockAsync(RequestContext context, AssociateVpcCidrBlockRequest request)
    {
        CheckIpv6Pool(request.Ipv6Pool, request.Ipv6CidrBlock);
        if (request.CidrBlock is not null || request.Ipv4IpamPoolId is not null || request.Ipv6IpamPoolId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Specify only one of cidrBlock, amazonProvidedIpv6CidrBlock, ipv6Pool and ipamPoolId.");
        }
        if (request.AmazonProvidedIpv6CidrBlock != true)
        {
            throw AwsErrors.InvalidParameterCombination("Ipv6CidrBlockNetworkBorderGroup requires AmazonProvidedIpv6CidrBlock.");
        }
        var vpc = await Vpcs.RequireAsync<VpcResource>(context.Transaction, context.Scope, ResourceTypes.Vpc, request.VpcId, context.Cancellation).ConfigureAwait(false);
        var association = await Ipv6Blocks.AssociateVpcBlockAsync(context.Transaction, context.Scope, vpc, request.Ipv6CidrBlockNetworkBorderGroup, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateVpcCidrBlockResult { VpcId = vpc.Id, Ipv6CidrBlockAssociation = ToVpcIpv6Shape(association, "associating") };
    }

    private static async Task<DisassociateVpcCidrBlockResult?> DisassociateVpcIpv6CidrBlockAsync(RequestContext context, DisassociateVpcCidrBlockRequest request)
    {
        if (request.AssociationId is not { Length: > 0 } id)
        {
            return null;
        }
        var result = await Ipv6Blocks.DisassociateVpcBlockAsync(context.Transaction, context.Scope, id, context.Now, context.Cancellation).ConfigureAwait(false);
        return result is { } r
            ? new DisassociateVpcCidrBlockResult { VpcId = r.Vpc.Id, Ipv6CidrBlockAssociation = ToVpcIpv6Shape(r.Association, "disassociating") }
            : null;
    }

    public override async Task<AssociateSubnetCidrBlockResult> AssociateSubnetCidrBlockAsync(RequestContext context, AssociateSubnetCidrBlockRequest request)
    {
        if (request.Ipv6IpamPoolId is not null || request.Ipv6NetmaskLength is not null)
        {
            throw AwsErrors.InvalidParameterValue("IPAM pools are not supported; specify ipv6CidrBlock.");
        }
        var subnet = await Vpcs.RequireAsync<SubnetResource>(context.Transaction, context.Scope, ResourceTypes.Subnet, request.SubnetId, context.Cancellation).ConfigureAwait(false);
        var association = await Ipv6Blocks.AssociateSubnetBlockAsync(context.Transaction, context.Scope, subnet, request.Ipv6CidrBlock, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateSubnetCidrBlockResult { SubnetId = subnet.Id, Ipv6CidrBlockAssociation = ToSubnetIpv6Shape(association, "associating") };
    }

    public override async Task<DisassociateSubnetCidrBlockResult> DisassociateSubnetCidrBlockAsync(RequestContext context, DisassociateSubnetCidrBlockRequest request)
    {
        var (subnet, association) = await Ipv6Blocks.DisassociateSubnetBlockAsync(context.Transaction, context.Scope, request.AssociationId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisassociateSubnetCidrBlockResult { SubnetId = subnet.Id, Ipv6CidrBlockAssociation = ToSubnetIpv6Shape(association, "disassociating") };
    }

    public override async Task<AssignIpv6AddressesResult> AssignIpv6AddressesAsync(RequestContext context, AssignIpv6AddressesRequest request)
    {
        if (request.Ipv6PrefixCount is not null || request.Ipv6Prefixes is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("IPv6 prefix delegation is not supported; assign addresses with ipv6AddressCount or ipv6Addresses.");
        }
        var eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(context.Transaction, context.Scope, ResourceTypes.NetworkInterface, request.NetworkInterfaceId, context.Cancellation).ConfigureAwait(false);
        var assigned = await Ipv6Blocks.AssignAsync(context.Transaction, context.Scope, eni, request.Ipv6AddressCount, request.Ipv6Addresses ?? [], context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssignIpv6AddressesResult { NetworkInterfaceId = eni.Id, AssignedIpv6Addresses = assigned, AssignedIpv6Prefixes = [] };
    }

    public override async Task<UnassignIpv6AddressesResult> UnassignIpv6AddressesAsync(RequestContext context, UnassignIpv6AddressesRequest request)
    {
        if (request.Ipv6Prefixes is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("IPv6 prefix delegation is not supported.");
        }
        var eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(context.Transaction, context.Scope, ResourceTypes.NetworkInterface, request.NetworkInterfaceId, context.Cancellation).ConfigureAwait(false);
        var removed = await Ipv6Blocks.UnassignAsync(context.Transaction, context.Scope, eni, request.Ipv6Addresses ?? [], context.Now, context.Cancellation).ConfigureAwait(false);
        return new UnassignIpv6AddressesResult { NetworkInterfaceId = eni.Id, UnassignedIpv6Addresses = removed, UnassignedIpv6Prefixes = [] };
    }

    /// <summary>The filters DescribeIpv6Pools documents (only tags); they are checked, and match no pool.</summary>
    [FiltersFor("DescribeIpv6Pools")]
    private static readonly Stratus.Domain.Filtering.FilterSet<IReadOnlyList<Stratus.Domain.Resources.Tag>> Ipv6PoolFilters = new Stratus.Domain.Filtering.FilterSet<IReadOnlyList<Stratus.Domain.Resources.Tag>>()
        .WithTags(tags => tags);

    /// <summary>DescribeIpv6Pools: the account's BYOIP pools, of which Stratus has none.</summary>
    public override Task<DescribeIpv6PoolsResult> DescribeIpv6PoolsAsync(RequestContext context, DescribeIpv6PoolsRequest request)
    {
        _ = Ipv6PoolFilters.Apply([], ToCriteria(request.Filters)).ToList();
        if (request.MaxResults is < 1 or > 1000)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.MaxResults}) for parameter maxResults is invalid. Expecting a value between 1 and 1000.");
        }
        if (request.PoolIds is { Count: > 0 } ids)
        {
            throw new AwsException("InvalidIpv6PoolID.NotFound", $"The ID '{ids[0]}' does not exist");
        }
        return Task.FromResult(new DescribeIpv6PoolsResult { Ipv6Pools = [] });
    }

    /// <summary>GetAssociatedIpv6PoolCidrs: every pool id is unknown (there are no BYOIP pools).</summary>
    public override Task<GetAssociatedIpv6PoolCidrsResult> GetAssociatedIpv6PoolCidrsAsync(RequestContext context, GetAssociatedIpv6PoolCidrsRequest request)
    {
        if (string.IsNullOrEmpty(request.PoolId))
        {
            throw AwsErrors.MissingParameter("poolId");
        }
        if (request.MaxResults is < 1 or > 1000)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.MaxResults}) for parameter maxResults is invalid. Expecting a value between 1 and 1000.");
        }
        throw new AwsException("InvalidIpv6PoolID.NotFound", $"The ID '{request.PoolId}' does not exist");
    }

    private static Stratus.Ec2.Model.Vpc ToShape(VpcResource v, string ipv6State)
    {
        var shape = ToShape(v);
        foreach (var association in shape.Ipv6CidrBlockAssociationSet ?? [])
        {
            association.Ipv6CidrBlockState = new VpcCidrBlockState { State = ipv6State };
        }
        return shape;
    }

    private static List<VpcIpv6CidrBlockAssociation> Ipv6AssociationShapes(VpcResource v) =>
        v.Ipv6CidrBlocks.Select(b => ToVpcIpv6Shape(b)).ToList();

    private static List<SubnetIpv6CidrBlockAssociation> Ipv6AssociationShapes(SubnetResource s) =>
        s.Ipv6CidrBlocks.Select(b => ToSubnetIpv6Shape(b)).ToList();

    private static VpcIpv6CidrBlockAssociation ToVpcIpv6Shape(Ipv6CidrAssociation b, string? state = null) => new()
    {
        AssociationId = b.AssociationId,
        Ipv6CidrBlock = b.Ipv6CidrBlock,
        Ipv6CidrBlockState = new VpcCidrBlockState { State = state ?? b.State },
        Ipv6Pool = b.Ipv6Pool,
        NetworkBorderGroup = b.NetworkBorderGroup,
        Ipv6AddressAttribute = "public",
        IpSource = "amazon",
    };

    private static SubnetIpv6CidrBlockAssociation ToSubnetIpv6Shape(Ipv6CidrAssociation b, string? state = null) => new()
    {
        AssociationId = b.AssociationId,
        Ipv6CidrBlock = b.Ipv6CidrBlock,
        Ipv6CidrBlockState = new SubnetCidrBlockState { State = state ?? b.State },
        Ipv6AddressAttribute = "public",
        IpSource = "amazon",
    };

    /// <summary>CreateNetworkInterface's IPv6 addresses: named, counted, or one when the subnet assigns them on creation.</summary>
    private static async Task AddIpv6OnCreateAsync(RequestContext context, SubnetResource subnet, NetworkInterfaceResource eni, int? count, List<string> addresses)
    {
        if (count is null && addresses.Count == 0 && !subnet.AssignIpv6AddressOnCreation)
        {
            return;
        }
        var taken = await Ipv6Blocks.TakenAsync(context.Transaction, context.Scope, subnet.Id, context.Cancellation).ConfigureAwait(false);
        var chosen = Ipv6Blocks.ChooseForNewInterface(subnet, count, addresses, taken, Ipv6Blocks.UnattachedInterfaceLimit);
        if (chosen.Count > 0)
        {
            eni.Ipv6Addresses.AddRange(chosen);
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkInterface, eni.Id, eni, context.Now, context.Cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>An interface's IPv6 addresses as DescribeNetworkInterfaces shows them.</summary>
    private static List<NetworkInterfaceIpv6Address> Ipv6AddressShapes(NetworkInterfaceResource n) =>
        n.Ipv6Addresses.Select(a => new NetworkInterfaceIpv6Address { Ipv6Address = a, IsPrimaryIpv6 = false }).ToList();

    /// <summary>An interface's IPv6 addresses as DescribeInstances shows them.</summary>
    private static List<InstanceIpv6Address> InstanceIpv6AddressShapes(NetworkInterfaceResource n) =>
        n.Ipv6Addresses.Select(a => new InstanceIpv6Address { Ipv6Address = a, IsPrimaryIpv6 = false }).ToList();
}
