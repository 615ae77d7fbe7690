using System.Security.Cryptography;
using System.Text;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.FlowLogs;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// VPC Flow Logs: CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs, GetFlowLogsIntegrationTemplate.
/// The records come from the VPC's packet filter (see docs/flow-logs.md and <c>FlowLogDelivery</c>).
/// </summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeFlowLogs")]
    private static readonly FilterSet<FlowLogResource> FlowLogFilters = new FilterSet<FlowLogResource>()
        .Add("deliver-log-status", f => f.DeliverLogsStatus)
        .Add("flow-log-id", f => f.Id)
        .Add("log-destination-type", f => f.LogDestinationType)
        .Add("log-group-name", f => f.LogGroupName)
        .Add("resource-id", f => f.ResourceId)
        .Add("traffic-type", f => f.TrafficType)
        .WithTags(f => f.Tags);

    public override async Task<CreateFlowLogsResult> CreateFlowLogsAsync(RequestContext context, CreateFlowLogsRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.VpcFlowLog.Name);
        if (request.DestinationOptions is not null && request.LogDestinationType != "s3")
        {
            throw new AwsException("InvalidParameter", "DestinationOptions can only be provided for LogDestinationType s3.");
        }
        var flowRequest = new FlowLogRequest(request.ResourceType, request.ResourceIds ?? [], request.TrafficType, request.LogDestinationType,
            request.LogDestination, request.LogGroupName, request.DeliverLogsPermissionArn, request.DeliverCrossAccountRole, request.LogFormat,
            request.MaxAggregationInterval, request.ClientToken, "", tags);
        flowRequest = flowRequest with { RequestHash = Hash(flowRequest) };
        var (created, failed) = await VpcFlowLogs.CreateAsync(context.Transaction, context.Scope, flowRequest, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateFlowLogsResult
        {
            ClientToken = request.ClientToken,
            FlowLogIds = created,
            Unsuccessful = failed.Select(ToShape).ToList(),
        };
    }

    public override async Task<DeleteFlowLogsResult> DeleteFlowLogsAsync(RequestContext context, DeleteFlowLogsRequest request)
    {
        var failed = await VpcFlowLogs.DeleteAsync(context.Transaction, context.Scope, request.FlowLogIds ?? [], context.Cancellation).ConfigureAwait(false);
        return new DeleteFlowLogsResult { Unsuccessful = failed.Select(ToShape).ToList() };
    }

    public override async Task<DescribeFlowLogsResult> DescribeFlowLogsAsync(RequestContext context, DescribeFlowLogsRequest request)
    {
        // Ids name flow logs like the flow-log-id filter: ids that are not (or no longer) flow logs
        // are left out rather than refused, as EC2 answers.
        var filters = request.Filter ?? [];
        if (request.FlowLogIds is { Count: > 0 } ids)
        {
            filters = [.. filters, new Filter { Name = "flow-log-id", Values = ids }];
        }
        var page = await SelectAsync(context, ResourceTypes.VpcFlowLog, FlowLogFilters, null, filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new DescribeFlowLogsResult { FlowLogs = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    /// <summary>
    /// The CloudFormation template EC2 writes for Athena works on flow logs published to Amazon S3;
    /// Stratus's flow logs all publish to CloudWatch Logs (it has no S3), so it answers as EC2 does
    /// for a flow log that does not publish to S3.
    /// </summary>
    public override async Task<GetFlowLogsIntegrationTemplateResult> GetFlowLogsIntegrationTemplateAsync(RequestContext context, GetFlowLogsIntegrationTemplateRequest request)
    {
        if (string.IsNullOrEmpty(request.FlowLogId))
        {
            throw AwsErrors.MissingParameter("FlowLogId");
        }
        if (string.IsNullOrEmpty(request.ConfigDeliveryS3DestinationArn))
        {
            throw AwsErrors.MissingParameter("ConfigDeliveryS3DestinationArn");
        }
        if (request.IntegrateServices?.AthenaIntegrations is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("IntegrateServices");
        }
        var flowLog = ResourceIds.IsWellFormed(ResourceTypes.VpcFlowLog.IdPrefix, request.FlowLogId)
            ? await context.Store.GetAsync<FlowLogResource>(context.Scope, ResourceTypes.VpcFlowLog, request.FlowLogId, context.Cancellation).ConfigureAwait(false)
            : null;
        if (flowLog is null)
        {
            throw ResourceTypes.VpcFlowLog.NotFound(request.FlowLogId);
        }
        if (flowLog.ResourceType.StartsWith("TransitGateway", StringComparison.Ordinal))
        {
            throw new AwsException("InvalidParameter", "GetFlowLogsIntegrationTemplate does not support transit gateway flow logs.");
        }
        throw new AwsException("InvalidParameter", $"The flow log {flowLog.Id} does not publish to Amazon S3: only flow logs with LogDestinationType s3 can be integrated with Amazon Athena.");
    }

    private static string Hash(FlowLogRequest r)
    {
        var text = string.Join('\n', r.ResourceType, string.Join(',', r.ResourceIds), r.TrafficType, r.LogDestinationType, r.LogDestination, r.LogGroupName,
            r.DeliverLogsPermissionArn, r.DeliverCrossAccountRole, r.LogFormat, r.MaxAggregationInterval, string.Join(',', r.Tags.Select(t => t.Key + "=" + t.Value)));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static UnsuccessfulItem ToShape(FlowLogFailure f) => new()
    {
        ResourceId = f.ResourceId,
        Error = new UnsuccessfulItemError { Code = f.Code, Message = f.Message },
    };

    private static FlowLog ToShape(FlowLogResource f) => new()
    {
        FlowLogId = f.Id,
        CreationTime = f.CreationTime,
        DeliverLogsPermissionArn = f.DeliverLogsPermissionArn,
        DeliverCrossAccountRole = f.DeliverCrossAccountRole,
        DeliverLogsStatus = f.DeliverLogsStatus,
        DeliverLogsErrorMessage = f.DeliverLogsErrorMessage,
        FlowLogStatus = "ACTIVE",
        LogDestination = f.LogDestination,
        LogDestinationType = f.LogDestinationType,
        LogFormat = f.LogFormat,
        LogGroupName = f.LogGroupName,
        MaxAggregationInterval = f.MaxAggregationInterval,
        ResourceId = f.ResourceId,
        TrafficType = f.TrafficType,
        Tags = ToShape(f.Tags),
    };
}
