using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.BlockPublicAccess;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>VPC Block Public Access: the region's mode and its exclusions.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeVpcBlockPublicAccessExclusions")]
    private static readonly FilterSet<VpcBlockPublicAccessExclusionResource> VpcBlockPublicAccessExclusionFilters = new FilterSet<VpcBlockPublicAccessExclusionResource>()
        .Add("internet-gateway-exclusion-mode", e => e.InternetGatewayExclusionMode)
        .Add("resource-arn", e => e.ResourceArn)
        .Add("state", e => e.State)
        .WithTags(e => e.Tags);

    public override async Task<DescribeVpcBlockPublicAccessOptionsResult> DescribeVpcBlockPublicAccessOptionsAsync(RequestContext context, DescribeVpcBlockPublicAccessOptionsRequest request)
    {
        var options = await VpcBlockPublicAccess.GetOptionsAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        return new DescribeVpcBlockPublicAccessOptionsResult { VpcBlockPublicAccessOptions = ToShape(options, context) };
    }

    public override async Task<ModifyVpcBlockPublicAccessOptionsResult> ModifyVpcBlockPublicAccessOptionsAsync(RequestContext context, ModifyVpcBlockPublicAccessOptionsRequest request)
    {
        var options = await VpcBlockPublicAccess.ModifyOptionsAsync(context.Transaction, context.Scope, request.InternetGatewayBlockMode, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToShape(options, context);
        shape.State = "update-in-progress";
        return new ModifyVpcBlockPublicAccessOptionsResult { VpcBlockPublicAccessOptions = shape };
    }

    public override async Task<CreateVpcBlockPublicAccessExclusionResult> CreateVpcBlockPublicAccessExclusionAsync(RequestContext context, CreateVpcBlockPublicAccessExclusionRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, "vpc-block-public-access-exclusion");
        var exclusion = await VpcBlockPublicAccess.CreateExclusionAsync(context.Transaction, context.Scope, request.VpcId, request.SubnetId,
            request.InternetGatewayExclusionMode, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateVpcBlockPublicAccessExclusionResult { VpcBlockPublicAccessExclusion = ToShape(exclusion, "create-in-progress") };
    }

    public override async Task<DescribeVpcBlockPublicAccessExclusionsResult> DescribeVpcBlockPublicAccessExclusionsAsync(RequestContext context, DescribeVpcBlockPublicAccessExclusionsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.VpcBlockPublicAccessExclusion, VpcBlockPublicAccessExclusionFilters, request.ExclusionIds,
            request.Filters, request.MaxResults, request.NextToken, "exclusionIds").ConfigureAwait(false);
        return new DescribeVpcBlockPublicAccessExclusionsResult
        {
            VpcBlockPublicAccessExclusions = page.Items.Select(e => ToShape(e)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<ModifyVpcBlockPublicAccessExclusionResult> ModifyVpcBlockPublicAccessExclusionAsync(RequestContext context, ModifyVpcBlockPublicAccessExclusionRequest request)
    {
        var exclusion = await VpcBlockPublicAccess.ModifyExclusionAsync(context.Transaction, context.Scope, request.ExclusionId, request.InternetGatewayExclusionMode,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVpcBlockPublicAccessExclusionResult { VpcBlockPublicAccessExclusion = ToShape(exclusion, "update-in-progress") };
    }

    public override async Task<DeleteVpcBlockPublicAccessExclusionResult> DeleteVpcBlockPublicAccessExclusionAsync(RequestContext context, DeleteVpcBlockPublicAccessExclusionRequest request)
    {
        var exclusion = await VpcBlockPublicAccess.DeleteExclusionAsync(context.Transaction, context.Scope, request.ExclusionId, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToShape(exclusion, "delete-in-progress");
        shape.DeletionTimestamp = context.Now;
        return new DeleteVpcBlockPublicAccessExclusionResult { VpcBlockPublicAccessExclusion = shape };
    }

    private static VpcBlockPublicAccessOptions ToShape(VpcBlockPublicAccessOptionsResource o, RequestContext context) => new()
    {
        AwsAccountId = context.Scope.AccountId,
        AwsRegion = context.Scope.Region,
        InternetGatewayBlockMode = o.InternetGatewayBlockMode,
        State = o.State,
        LastUpdateTimestamp = o.LastUpdateTimestamp,
        ExclusionsAllowed = "allowed",
        ManagedBy = "account",
    };

    private static VpcBlockPublicAccessExclusion ToShape(VpcBlockPublicAccessExclusionResource e, string? state = null) => new()
    {
        ExclusionId = e.Id,
        ResourceArn = e.ResourceArn,
        InternetGatewayExclusionMode = e.InternetGatewayExclusionMode,
        State = state ?? e.State,
        CreationTimestamp = e.CreationTimestamp,
        LastUpdateTimestamp = e.LastUpdateTimestamp,
        Tags = ToShape(e.Tags),
    };
}
