using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Resource ID formats. EC2 moved every resource type to long (17-hex-digit) IDs and the opt-in
/// period ended long ago: the Describe operations answer <c>UseLongIds: true</c> with no deadline
/// for each resource type that once had the choice, ModifyIdFormat and ModifyIdentityIdFormat
/// accept <c>UseLongIds=true</c> (nothing changes) and refuse short IDs.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>The resource types of the ID-format transition, as EC2 names them.</summary>
    private static readonly string[] IdFormatResources =
    [
        "bundle", "conversion-task", "customer-gateway", "dhcp-options", "elastic-ip-allocation", "elastic-ip-association",
        "export-task", "flow-log", "image", "import-task", "instance", "internet-gateway", "network-acl",
        "network-acl-association", "network-interface", "network-interface-attachment", "prefix-list", "reservation",
        "route-table", "route-table-association", "security-group", "snapshot", "subnet", "subnet-cidr-block-association",
        "volume", "vpc", "vpc-cidr-block-association", "vpc-endpoint", "vpc-peering-connection", "vpn-connection", "vpn-gateway",
    ];

    private static readonly Regex PrincipalArn = new(@"^arn:aws[a-z-]*:iam::[0-9]{12}:(root|user/.+|role/.+)$", RegexOptions.CultureInvariant);

    public override Task<DescribeIdFormatResult> DescribeIdFormatAsync(RequestContext context, DescribeIdFormatRequest request) =>
        Task.FromResult(new DescribeIdFormatResult { Statuses = IdFormatStatuses(request.Resource) });

    public override Task<DescribeIdentityIdFormatResult> DescribeIdentityIdFormatAsync(RequestContext context, DescribeIdentityIdFormatRequest request)
    {
        CheckPrincipalArn(request.PrincipalArn!);
        return Task.FromResult(new DescribeIdentityIdFormatResult { Statuses = IdFormatStatuses(request.Resource) });
    }

    public override Task<DescribeAggregateIdFormatResult> DescribeAggregateIdFormatAsync(RequestContext context, DescribeAggregateIdFormatRequest request) =>
        Task.FromResult(new DescribeAggregateIdFormatResult { UseLongIdsAggregated = true, Statuses = IdFormatStatuses(null) });

    public override Task<DescribePrincipalIdFormatResult> DescribePrincipalIdFormatAsync(RequestContext context, DescribePrincipalIdFormatRequest request)
    {
        foreach (var resource in request.Resources ?? [])
        {
            CheckIdFormatResource(resource);
        }
        var statuses = (request.Resources is { Count: > 0 } wanted ? IdFormatResources.Where(wanted.Contains) : IdFormatResources)
            .Select(r => new IdFormat { Resource = r, UseLongIds = true }).ToList();
        // One principal: the account root (IAM users and roles inherit its setting, which is long IDs).
        var principals = new[] { new PrincipalIdFormat { Arn = $"arn:aws:iam::{context.AccountId}:root", Statuses = statuses } };
        var page = Paginator.Paginate(principals, p => p.Arn!, request.MaxResults, request.NextToken, minResults: 1);
        return Task.FromResult(new DescribePrincipalIdFormatResult { Principals = page.Items.ToList(), NextToken = page.NextToken });
    }

    public override Task ModifyIdFormatAsync(RequestContext context, ModifyIdFormatRequest request)
    {
        CheckIdFormatChange(request.Resource!, request.UseLongIds);
        return Task.CompletedTask;
    }

    public override Task ModifyIdentityIdFormatAsync(RequestContext context, ModifyIdentityIdFormatRequest request)
    {
        CheckPrincipalArn(request.PrincipalArn!);
        CheckIdFormatChange(request.Resource!, request.UseLongIds);
        return Task.CompletedTask;
    }

    private static List<IdFormat> IdFormatStatuses(string? resource)
    {
        if (resource is not null)
        {
            CheckIdFormatResource(resource);
            return [new IdFormat { Resource = resource, UseLongIds = true }];
        }
        return IdFormatResources.Select(r => new IdFormat { Resource = r, UseLongIds = true }).ToList();
    }

    private static void CheckIdFormatResource(string resource)
    {
        if (!IdFormatResources.Contains(resource))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value '{resource}' for resource. Valid values: {string.Join(", ", IdFormatResources)}, all-current.");
        }
    }

    private static void CheckIdFormatChange(string resource, bool? useLongIds)
    {
        if (resource != "all-current")
        {
            CheckIdFormatResource(resource);
        }
        if (useLongIds != true)
        {
            throw AwsErrors.InvalidParameterValue($"Resource type '{resource}' uses long IDs only; the ID format can no longer be changed to short IDs.");
        }
    }

    private static void CheckPrincipalArn(string arn)
    {
        if (!PrincipalArn.IsMatch(arn))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({arn}) for parameter principalArn is invalid. Specify the ARN of an IAM user, an IAM role or the root user.");
        }
    }
}
