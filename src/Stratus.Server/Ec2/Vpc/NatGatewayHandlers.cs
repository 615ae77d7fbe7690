using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.NatGateways;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>NAT gateways: create, describe, delete and their addresses.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeNatGateways")]
    private static readonly FilterSet<NatGatewayResource> NatGatewayFilters = new FilterSet<NatGatewayResource>()
        .Add("nat-gateway-id", n => n.Id)
        .Add("state", n => n.StateAt(DateTime.UtcNow))
        .Add("subnet-id", n => n.SubnetId)
        .Add("vpc-id", n => n.VpcId)
        .WithTags(n => n.Tags);

    public override async Task<CreateNatGatewayResult> CreateNatGatewayAsync(RequestContext context, CreateNatGatewayRequest request)
    {
        if (request.AvailabilityMode is not (null or "zonal"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.AvailabilityMode}) for parameter availabilityMode is invalid. Only zonal NAT gateways are supported.");
        }
        if (request.VpcId is not null || request.AvailabilityZoneAddresses is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("Regional NAT gateways (vpcId, availabilityZoneAddresses) are not supported; specify subnetId.");
        }
        var tags = TagsOnCreate(request.TagSpecifications, "natgateway");
        var nat = await NatGateways.CreateAsync(context.Transaction, context.Scope, request.SubnetId, request.ConnectivityType, request.AllocationId,
            request.PrivateIpAddress, request.SecondaryAllocationIds ?? [], request.SecondaryPrivateIpAddresses ?? [], request.SecondaryPrivateIpAddressCount,
            tags, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToShape(nat, context.Now);
        if (shape.State == "failed")
        {
            // AWS reports the failure later; the answer to the request shows the gateway pending.
            shape.State = "pending";
            shape.FailureCode = null;
            shape.FailureMessage = null;
        }
        return new CreateNatGatewayResult { NatGateway = shape, ClientToken = request.ClientToken };
    }

    public override async Task<DescribeNatGatewaysResult> DescribeNatGatewaysAsync(RequestContext context, DescribeNatGatewaysRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.NatGateway, NatGatewayFilters, request.NatGatewayIds, request.Filter, request.MaxResults, request.NextToken, "natGatewayIds").ConfigureAwait(false);
        var now = context.Now;
        foreach (var id in request.NatGatewayIds ?? [])
        {
            if (page.Items.FirstOrDefault(n => n.Id == id) is { } hidden && !hidden.VisibleAt(now))
            {
                throw ResourceTypes.NatGateway.NotFound(id);
            }
        }
        return new DescribeNatGatewaysResult
        {
            NatGateways = page.Items.Where(n => n.VisibleAt(now)).Select(n => ToShape(n, now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DeleteNatGatewayResult> DeleteNatGatewayAsync(RequestContext context, DeleteNatGatewayRequest request)
    {
        var nat = await NatGateways.DeleteAsync(context.Transaction, context.Scope, request.NatGatewayId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteNatGatewayResult { NatGatewayId = nat.Id };
    }

    public override async Task<AssociateNatGatewayAddressResult> AssociateNatGatewayAddressAsync(RequestContext context, AssociateNatGatewayAddressRequest request)
    {
        var (nat, added) = await NatGateways.AssociateAddressesAsync(context.Transaction, context.Scope, request.NatGatewayId, request.AllocationIds ?? [],
            request.PrivateIpAddresses ?? [], context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateNatGatewayAddressResult
        {
            NatGatewayId = nat.Id,
            NatGatewayAddresses = added.Select(a => ToShape(a, "associating")).ToList(),
        };
    }

    public override async Task<DisassociateNatGatewayAddressResult> DisassociateNatGatewayAddressAsync(RequestContext context, DisassociateNatGatewayAddressRequest request)
    {
        var (nat, removed) = await NatGateways.DisassociateAddressesAsync(context.Transaction, context.Scope, request.NatGatewayId, request.AssociationIds ?? [],
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisassociateNatGatewayAddressResult
        {
            NatGatewayId = nat.Id,
            NatGatewayAddresses = removed.Select(a => ToShape(a, "disassociating")).ToList(),
        };
    }

    public override async Task<AssignPrivateNatGatewayAddressResult> AssignPrivateNatGatewayAddressAsync(RequestContext context, AssignPrivateNatGatewayAddressRequest request)
    {
        var (nat, added) = await NatGateways.AssignPrivateAddressesAsync(context.Transaction, context.Scope, request.NatGatewayId, request.PrivateIpAddresses ?? [],
            request.PrivateIpAddressCount, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssignPrivateNatGatewayAddressResult
        {
            NatGatewayId = nat.Id,
            NatGatewayAddresses = added.Select(a => ToShape(a, "assigning")).ToList(),
        };
    }

    public override async Task<UnassignPrivateNatGatewayAddressResult> UnassignPrivateNatGatewayAddressAsync(RequestContext context, UnassignPrivateNatGatewayAddressRequest request)
    {
        var (nat, removed) = await NatGateways.UnassignPrivateAddressesAsync(context.Transaction, context.Scope, request.NatGatewayId, request.PrivateIpAddresses ?? [],
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new UnassignPrivateNatGatewayAddressResult
        {
            NatGatewayId = nat.Id,
            NatGatewayAddresses = removed.Select(a => ToShape(a, "unassigning")).ToList(),
        };
    }

    private static NatGateway ToShape(NatGatewayResource n, DateTime now)
    {
        var state = n.StateAt(now);
        return new NatGateway
        {
            NatGatewayId = n.Id,
            VpcId = n.VpcId,
            SubnetId = n.SubnetId,
            ConnectivityType = n.ConnectivityType,
            AvailabilityMode = "zonal",
            CreateTime = n.CreatedAt,
            DeleteTime = state is "deleted" or "failed" ? n.DeletedAt : null,
            State = state,
            FailureCode = n.FailureCode,
            FailureMessage = n.FailureMessage,
            NatGatewayAddresses = state is "deleted" or "failed" ? [] : n.Addresses.Select(a => ToShape(a, null)).ToList(),
            Tags = n.Tags.Count > 0 ? ToShape(n.Tags) : null,
        };
    }

    private static NatGatewayAddress ToShape(NatGatewayAddressRecord a, string? status) => new()
    {
        AllocationId = a.AllocationId,
        AssociationId = a.AssociationId,
        PublicIp = a.PublicIp,
        PrivateIp = a.PrivateIp,
        NetworkInterfaceId = a.NetworkInterfaceId,
        IsPrimary = a.IsPrimary,
        Status = status ?? a.Status,
        FailureMessage = a.FailureMessage,
    };
}
