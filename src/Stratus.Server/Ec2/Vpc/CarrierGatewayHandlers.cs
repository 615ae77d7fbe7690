using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.Carrier;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Carrier gateways (Wavelength): create, describe, delete; routes to them follow EC2's Wavelength Zone rule.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeCarrierGateways")]
    private static readonly FilterSet<CarrierGatewayResource> CarrierGatewayFilters = new FilterSet<CarrierGatewayResource>()
        .Add("carrier-gateway-id", g => g.Id)
        .Add("owner-id", g => g.OwnerId)
        .Add("state", g => g.State)
        .Add("vpc-id", g => g.VpcId)
        .WithTags(g => g.Tags);

    public override async Task<CreateCarrierGatewayResult> CreateCarrierGatewayAsync(RequestContext context, CreateCarrierGatewayRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.CarrierGateway.Name);
        var gateway = await CarrierGateways.CreateAsync(context.Transaction, context.Scope, request.VpcId, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateCarrierGatewayResult { CarrierGateway = ToShape(gateway) };
    }

    public override async Task<DeleteCarrierGatewayResult> DeleteCarrierGatewayAsync(RequestContext context, DeleteCarrierGatewayRequest request)
    {
        var gateway = await CarrierGateways.DeleteAsync(context.Transaction, context.Scope, request.CarrierGatewayId, context.Cancellation).ConfigureAwait(false);
        return new DeleteCarrierGatewayResult { CarrierGateway = ToShape(gateway) };
    }

    public override async Task<DescribeCarrierGatewaysResult> DescribeCarrierGatewaysAsync(RequestContext context, DescribeCarrierGatewaysRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.CarrierGateway, CarrierGatewayFilters, request.CarrierGatewayIds,
            request.Filters, request.MaxResults, request.NextToken, "CarrierGatewayIds").ConfigureAwait(false);
        return new DescribeCarrierGatewaysResult { CarrierGateways = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    private static CarrierGateway ToShape(CarrierGatewayResource g) => new()
    {
        CarrierGatewayId = g.Id,
        VpcId = g.VpcId,
        State = g.State,
        OwnerId = g.OwnerId,
        Tags = ToShape(g.Tags),
    };
}
