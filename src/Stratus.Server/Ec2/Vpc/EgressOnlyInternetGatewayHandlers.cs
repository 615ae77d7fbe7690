using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.EgressOnly;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Egress-only internet gateways.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeEgressOnlyInternetGateways")]
    private static readonly FilterSet<EgressOnlyInternetGatewayResource> EgressOnlyInternetGatewayFilters = new FilterSet<EgressOnlyInternetGatewayResource>()
        .WithTags(g => g.Tags);

    public override async Task<CreateEgressOnlyInternetGatewayResult> CreateEgressOnlyInternetGatewayAsync(RequestContext context, CreateEgressOnlyInternetGatewayRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, "egress-only-internet-gateway");
        var gateway = await EgressOnlyInternetGateways.CreateAsync(context.Transaction, context.Scope, request.VpcId, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateEgressOnlyInternetGatewayResult { EgressOnlyInternetGateway = ToShape(gateway), ClientToken = request.ClientToken };
    }

    public override async Task<DeleteEgressOnlyInternetGatewayResult> DeleteEgressOnlyInternetGatewayAsync(RequestContext context, DeleteEgressOnlyInternetGatewayRequest request)
    {
        await EgressOnlyInternetGateways.DeleteAsync(context.Transaction, context.Scope, request.EgressOnlyInternetGatewayId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteEgressOnlyInternetGatewayResult { ReturnCode = true };
    }

    public override async Task<DescribeEgressOnlyInternetGatewaysResult> DescribeEgressOnlyInternetGatewaysAsync(RequestContext context, DescribeEgressOnlyInternetGatewaysRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.EgressOnlyInternetGateway, EgressOnlyInternetGatewayFilters, request.EgressOnlyInternetGatewayIds,
            request.Filters, request.MaxResults, request.NextToken, "egressOnlyInternetGatewayIds").ConfigureAwait(false);
        return new DescribeEgressOnlyInternetGatewaysResult
        {
            EgressOnlyInternetGateways = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    private static EgressOnlyInternetGateway ToShape(EgressOnlyInternetGatewayResource g) => new()
    {
        EgressOnlyInternetGatewayId = g.Id,
        Attachments = [new InternetGatewayAttachment { VpcId = g.VpcId, State = "attached" }],
        Tags = ToShape(g.Tags),
    };
}
