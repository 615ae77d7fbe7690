using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.FlowLogs;

/// <summary>A VPC flow log: what it watches, which traffic, where its records go and in what format.</summary>
public sealed class FlowLogResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }

    /// <summary>The VPC, subnet, network interface or transit gateway (attachment) watched.</summary>
    public required string ResourceId { get; init; }

    /// <summary><c>VPC</c>, <c>Subnet</c>, <c>NetworkInterface</c>, <c>TransitGateway</c>, <c>TransitGatewayAttachment</c>.</summary>
    public required string ResourceType { get; init; }

    /// <summary>The VPC of the watched resource (null for transit gateways).</summary>
    public string? VpcId { get; init; }

    /// <summary><c>ACCEPT</c>, <c>REJECT</c>, <c>ALL</c>; null for transit gateways.</summary>
    public string? TrafficType { get; init; }

    public required string LogDestinationType { get; init; }
    public string? LogDestination { get; init; }
    public string? LogGroupName { get; init; }
    public string? DeliverLogsPermissionArn { get; init; }
    public string? DeliverCrossAccountRole { get; init; }
    public required string LogFormat { get; init; }
    public int MaxAggregationInterval { get; init; } = 600;
    public DateTime CreationTime { get; init; }
    public string? ClientToken { get; init; }

    /// <summary>What identified the request that created it under <see cref="ClientToken"/>.</summary>
    public string? RequestHash { get; init; }

    /// <summary><c>SUCCESS</c> or <c>FAILED</c> (the last delivery's outcome).</summary>
    public string DeliverLogsStatus { get; set; } = "SUCCESS";
    public string? DeliverLogsErrorMessage { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>What CreateFlowLogs was asked for (already past the wire).</summary>
public sealed record FlowLogRequest(
    string? ResourceType, IReadOnlyList<string> ResourceIds, string? TrafficType, string? LogDestinationType, string? LogDestination,
    string? LogGroupName, string? DeliverLogsPermissionArn, string? DeliverCrossAccountRole, string? LogFormat, int? MaxAggregationInterval,
    string? ClientToken, string RequestHash, List<Tag> Tags);

/// <summary>A resource CreateFlowLogs or DeleteFlowLogs could not act on, with the error EC2 reports for it.</summary>
public sealed record FlowLogFailure(string ResourceId, string Code, string Message);

/// <summary>
/// VPC Flow Logs as EC2 manages them. CreateFlowLogs checks its parameters as a whole (errors),
/// then each resource in turn: one that does not exist, an existing flow log with the same
/// configuration, or a destination that does not exist (Stratus has no S3 buckets or Firehose
/// streams) is reported in <c>Unsuccessful</c> and the others are created. CloudWatch Logs
/// destinations need not exist yet: the group is created at the first delivery, as the
/// delivery role does on AWS. A flow log goes with the VPC, subnet or interface it watches.
/// </summary>
public static partial class VpcFlowLogs
{
    public static readonly IReadOnlySet<string> ResourceTypeNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "VPC", "Subnet", "NetworkInterface", "TransitGateway", "TransitGatewayAttachment", "RegionalNatGateway",
    };

    public static readonly IReadOnlySet<string> TrafficTypes = new HashSet<string>(StringComparer.Ordinal) { "ACCEPT", "REJECT", "ALL" };

    public static readonly IReadOnlySet<string> DestinationTypes = new HashSet<string>(StringComparer.Ordinal) { "cloud-watch-logs", "s3", "kinesis-data-firehose" };

    [GeneratedRegex(@"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([\.\-_/#A-Za-z0-9]{1,512})(:\*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex LogGroupArn();

    [GeneratedRegex(@"^[\.\-_/#A-Za-z0-9]{1,512}$", RegexOptions.CultureInvariant)]
    private static partial Regex LogGroupName();

    private static AwsException Invalid(string message) => new("InvalidParameter", message);

    private static bool IsTransitGateway(string type) => type.StartsWith("TransitGateway", StringComparison.Ordinal);

    /// <summary>The log group a CloudWatch Logs destination names (<c>LogGroupName</c>, or the group of a <c>LogDestination</c> ARN).</summary>
    public static string? GroupOf(FlowLogResource flowLog)
    {
        ArgumentNullException.ThrowIfNull(flowLog);
        if (flowLog.LogDestinationType != "cloud-watch-logs")
        {
            return null;
        }
        return flowLog.LogGroupName ?? (flowLog.LogDestination is { } arn && LogGroupArn().Match(arn) is { Success: true } m ? m.Groups[1].Value : null);
    }

    /// <summary>CreateFlowLogs: the ids created and the resources that failed.</summary>
    public static async Task<(List<string> Created, List<FlowLogFailure> Failed)> CreateAsync(IStoreTransaction tx, Scope scope, FlowLogRequest request, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var existing = await tx.ListAsync<FlowLogResource>(scope, ResourceTypes.VpcFlowLog, ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(request.ClientToken) && existing.Where(f => f.ClientToken == request.ClientToken).ToList() is { Count: > 0 } earlier)
        {
            return earlier.All(f => f.RequestHash == request.RequestHash)
                ? (earlier.Select(f => f.Id).ToList(), [])
                : throw AwsErrors.IdempotentParameterMismatch(request.ClientToken);
        }

        var type = request.ResourceType;
        if (string.IsNullOrEmpty(type))
        {
            throw AwsErrors.MissingParameter("ResourceType");
        }
        if (!ResourceTypeNames.Contains(type))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({type}) for parameter resourceType is invalid. Valid values: {string.Join(", ", ResourceTypeNames)}");
        }
        if (request.ResourceIds.Count == 0)
        {
            throw AwsErrors.MissingParameter("ResourceIds");
        }
        var transit = IsTransitGateway(type);
        var limit = transit ? 25 : 1000;
        if (request.ResourceIds.Count > limit)
        {
            throw Invalid($"The maximum number of resource ids is {limit} for resource type {type}.");
        }
        string? traffic = request.TrafficType;
        if (transit)
        {
            if (traffic is not null)
            {
                throw Invalid("TrafficType is not supported for transit gateway resource types.");
            }
        }
        else if (string.IsNullOrEmpty(traffic))
        {
            throw AwsErrors.MissingParameter("TrafficType");
        }
        else if (!TrafficTypes.Contains(traffic))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({traffic}) for parameter trafficType is invalid. Valid values: ACCEPT, REJECT, ALL");
        }

        var destinationType = string.IsNullOrEmpty(request.LogDestinationType) ? "cloud-watch-logs" : request.LogDestinationType;
        if (!DestinationTypes.Contains(destinationType))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({destinationType}) for parameter logDestinationType is invalid. Valid values: cloud-watch-logs, s3, kinesis-data-firehose");
        }
        var group = request.LogGroupName;
        var destination = request.LogDestination;
        if (!string.IsNullOrEmpty(group) && !string.IsNullOrEmpty(destination))
        {
            throw Invalid("Please only provide LogGroupName or only provide LogDestination.");
        }
        if (!string.IsNullOrEmpty(group) && destinationType != "cloud-watch-logs")
        {
            throw Invalid("LogDestination type must be cloud-watch-logs if LogGroupName is provided.");
        }
        if (string.IsNullOrEmpty(group) && string.IsNullOrEmpty(destination))
        {
            throw Invalid("LogDestination can't be empty if LogGroupName is not provided.");
        }
        if (destinationType == "cloud-watch-logs")
        {
            if (string.IsNullOrEmpty(request.DeliverLogsPermissionArn))
            {
                throw Invalid("DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.");
            }
            if (!string.IsNullOrEmpty(group) && !LogGroupName().IsMatch(group))
            {
                throw Invalid($"LogGroupName: {group} is not a valid log group name.");
            }
            if (!string.IsNullOrEmpty(destination) && !LogGroupArn().IsMatch(destination))
            {
                throw Invalid($"LogDestination: {destination} is not a valid CloudWatch Logs log group ARN.");
            }
        }
        else if (!destination!.StartsWith(destinationType == "s3" ? "arn:aws:s3:::" : "arn:aws:firehose:", StringComparison.Ordinal))
        {
            throw Invalid($"LogDestination: {destination} is not a valid {(destinationType == "s3" ? "Amazon S3 bucket" : "Kinesis Data Firehose delivery stream")} ARN.");
        }
        var interval = request.MaxAggregationInterval ?? (transit ? 60 : 600);
        if (interval is not (60 or 600) || (transit && interval != 60))
        {
            throw Invalid("Invalid Flow Log Max Aggregation Interval");
        }
        var format = FlowLogFormat.Parse(request.LogFormat);

        var created = new List<string>();
        var failed = new List<FlowLogFailure>();
        foreach (var resourceId in request.ResourceIds.Distinct(StringComparer.Ordinal))
        {
            var (vpcId, error) = await ResolveAsync(tx, scope, type, resourceId, ct).ConfigureAwait(false);
            if (error is not null)
            {
                failed.Add(new FlowLogFailure(resourceId, error.Code, error.Message));
                continue;
            }
            if (destinationType != "cloud-watch-logs")
            {
                // Stratus has no S3 buckets or Firehose delivery streams: the destination does not exist.
                failed.Add(new FlowLogFailure(resourceId, "400", $"LogDestination: {DestinationName(destinationType, destination!)} does not exist"));
                continue;
            }
            var groupName = string.IsNullOrEmpty(group) ? LogGroupArn().Match(destination!).Groups[1].Value : group;
            if (existing.Exists(f => f.ResourceId == resourceId && f.TrafficType == traffic && f.LogDestinationType == destinationType
                && GroupOf(f) == groupName))
            {
                failed.Add(new FlowLogFailure(resourceId, "FlowLogAlreadyExists", "Error. There is an existing Flow Log with the same configuration and log destination."));
                continue;
            }
            var flowLog = new FlowLogResource
            {
                Id = ResourceIds.New(ResourceTypes.VpcFlowLog.IdPrefix),
                OwnerId = scope.AccountId,
                ResourceId = resourceId,
                ResourceType = type,
                VpcId = vpcId,
                TrafficType = traffic,
                LogDestinationType = destinationType,
                LogGroupName = string.IsNullOrEmpty(group) ? groupName : group,
                LogDestination = string.IsNullOrEmpty(destination) ? $"arn:aws:logs:{scope.Region}:{scope.AccountId}:log-group:{group}" : destination,
                DeliverLogsPermissionArn = request.DeliverLogsPermissionArn,
                DeliverCrossAccountRole = request.DeliverCrossAccountRole,
                LogFormat = format.Text,
                MaxAggregationInterval = interval,
                CreationTime = now,
                ClientToken = string.IsNullOrEmpty(request.ClientToken) ? null : request.ClientToken,
                RequestHash = request.RequestHash,
                Tags = [.. request.Tags],
            };
            await tx.PutAsync(scope, ResourceTypes.VpcFlowLog, flowLog.Id, flowLog, now, ct).ConfigureAwait(false);
            existing.Add(flowLog);
            created.Add(flowLog.Id);
        }
        return (created, failed);
    }

    private static string DestinationName(string destinationType, string arn) =>
        destinationType == "s3" ? arn["arn:aws:s3:::".Length..].Split('/')[0] : arn[(arn.LastIndexOf('/') + 1)..];

    /// <summary>The watched resource's VPC, or the error EC2 reports for a resource that does not exist.</summary>
    private static async Task<(string? VpcId, AwsException? Error)> ResolveAsync(IStoreSession session, Scope scope, string type, string id, CancellationToken ct)
    {
        var resourceType = type switch
        {
            "VPC" => ResourceTypes.Vpc,
            "Subnet" => ResourceTypes.Subnet,
            "NetworkInterface" => ResourceTypes.NetworkInterface,
            "TransitGateway" => ResourceTypes.TransitGateway,
            "TransitGatewayAttachment" => ResourceTypes.TransitGatewayAttachment,
            _ => ResourceTypes.NatGateway,
        };
        if (!ResourceIds.IsWellFormed(resourceType.IdPrefix, id))
        {
            return (null, resourceType.Malformed(id));
        }
        switch (type)
        {
            case "VPC":
                return await session.GetAsync<VpcResource>(scope, resourceType, id, ct).ConfigureAwait(false) is { } vpc ? (vpc.Id, null) : (null, resourceType.NotFound(id));
            case "Subnet":
                return await session.GetAsync<SubnetResource>(scope, resourceType, id, ct).ConfigureAwait(false) is { } subnet ? (subnet.VpcId, null) : (null, resourceType.NotFound(id));
            case "NetworkInterface":
                return await session.GetAsync<NetworkInterfaceResource>(scope, resourceType, id, ct).ConfigureAwait(false) is { } eni ? (eni.VpcId, null) : (null, resourceType.NotFound(id));
            default:
                var stored = await session.GetAsync(new ResourceKey(scope.AccountId, scope.Region, resourceType.Name, id), ct).ConfigureAwait(false);
                return stored is null ? (null, resourceType.NotFound(id)) : (null, null);
        }
    }

    /// <summary>
    /// DeleteFlowLogs: removes the flow logs named; ids that are not the account's flow logs are
    /// reported in <c>Unsuccessful</c>, as EC2 does. Records already delivered stay in their log group.
    /// </summary>
    public static async Task<List<FlowLogFailure>> DeleteAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<string> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0)
        {
            throw AwsErrors.MissingParameter("FlowLogIds");
        }
        var failed = new List<FlowLogFailure>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var flowLog = ResourceIds.IsWellFormed(ResourceTypes.VpcFlowLog.IdPrefix, id)
                ? await tx.GetAsync<FlowLogResource>(scope, ResourceTypes.VpcFlowLog, id, ct).ConfigureAwait(false)
                : null;
            if (flowLog is null)
            {
                failed.Add(new FlowLogFailure(id, "InvalidFlowLogId.NotFound", $"These flow log ids in the input list are not found: [TotalCount: 1] {id}"));
                continue;
            }
            await tx.DeleteAsync(scope, ResourceTypes.VpcFlowLog, id, ct).ConfigureAwait(false);
        }
        return failed;
    }

    /// <summary>
    /// True when the VPC, subnet or network interface a flow log watches no longer exists: the flow
    /// log goes with its resource.
    /// </summary>
    public static async Task<bool> ResourceGoneAsync(IStoreSession session, Scope scope, FlowLogResource flowLog, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(flowLog);
        return flowLog.ResourceType is "VPC" or "Subnet" or "NetworkInterface"
            && (await ResolveAsync(session, scope, flowLog.ResourceType, flowLog.ResourceId, ct).ConfigureAwait(false)).Error is not null;
    }

    /// <summary>True when a flow log watches the VPC, one of its subnets or one of its interfaces.</summary>
    public static async Task<bool> WatchesVpcAsync(IStoreSession session, Scope scope, string vpcId, CancellationToken ct = default)
    {
        var flowLogs = await session.ListAsync<FlowLogResource>(scope, ResourceTypes.VpcFlowLog, ct).ConfigureAwait(false);
        return flowLogs.Exists(f => f.VpcId == vpcId);
    }

    /// <summary>
    /// The interfaces a flow log watches now: every interface of its VPC, of its subnet, or the
    /// interface itself (none for transit gateways, whose traffic Stratus does not observe).
    /// </summary>
    public static IEnumerable<NetworkInterfaceResource> Watched(FlowLogResource flowLog, IEnumerable<NetworkInterfaceResource> interfaces)
    {
        ArgumentNullException.ThrowIfNull(flowLog);
        return flowLog.ResourceType switch
        {
            "VPC" => interfaces.Where(i => i.VpcId == flowLog.ResourceId),
            "Subnet" => interfaces.Where(i => i.SubnetId == flowLog.ResourceId),
            "NetworkInterface" => interfaces.Where(i => i.Id == flowLog.ResourceId),
            _ => [],
        };
    }
}
