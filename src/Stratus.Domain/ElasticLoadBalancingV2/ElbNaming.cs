using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Core;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>What an ELB ARN names: its kind, account, region and the id the store keys it by.</summary>
public sealed record ElbArn(string Kind, string AccountId, string Region, string Id);

/// <summary>
/// ARNs, DNS names and names as Elastic Load Balancing forms them:
/// <c>arn:aws:elasticloadbalancing:&lt;region&gt;:&lt;account&gt;:loadbalancer/app/&lt;name&gt;/&lt;16 hex&gt;</c>
/// (<c>net/</c> for NLBs), <c>targetgroup/&lt;name&gt;/&lt;16 hex&gt;</c>,
/// <c>listener/app/&lt;lb name&gt;/&lt;lb id&gt;/&lt;16 hex&gt;</c> and
/// <c>listener-rule/app/&lt;lb name&gt;/&lt;lb id&gt;/&lt;listener id&gt;/&lt;16 hex&gt;</c>; DNS names
/// <c>[internal-]&lt;name&gt;-&lt;digits&gt;.&lt;region&gt;.elb.amazonaws.com</c> (ALB) and
/// <c>[internal-]&lt;name&gt;-&lt;16 hex&gt;.elb.&lt;region&gt;.amazonaws.com</c> (NLB).
/// </summary>
public static partial class ElbNaming
{
    public const string LoadBalancerKind = "loadbalancer", TargetGroupKind = "targetgroup", ListenerKind = "listener", RuleKind = "listener-rule";

    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private static string Prefix(string region, string accountId) => $"arn:aws:elasticloadbalancing:{region}:{accountId}:";

    public static string TypeSegment(string type) => type switch { ElbTypes.Network => "net", ElbTypes.Gateway => "gwy", _ => "app" };

    public static string LoadBalancerArn(string region, string accountId, string type, string name, string id) =>
        $"{Prefix(region, accountId)}loadbalancer/{TypeSegment(type)}/{name}/{id}";

    public static string TargetGroupArn(string region, string accountId, string name, string id) => $"{Prefix(region, accountId)}targetgroup/{name}/{id}";

    public static string ListenerArn(LoadBalancerResource lb, string id) => lb.Arn.Replace(":loadbalancer/", ":listener/", StringComparison.Ordinal) + "/" + id;

    public static string RuleArn(string listenerArn, string id) => listenerArn.Replace(":listener/", ":listener-rule/", StringComparison.Ordinal) + "/" + id;

    /// <summary>
    /// The CloudWatch dimension value that names a load balancer or target group: the ARN's
    /// resource after <c>loadbalancer/</c> (<c>app/&lt;name&gt;/&lt;id&gt;</c>, <c>net/&lt;name&gt;/&lt;id&gt;</c>)
    /// or the whole resource of a target group (<c>targetgroup/&lt;name&gt;/&lt;id&gt;</c>), as AWS/ApplicationELB
    /// and AWS/NetworkELB metrics carry them.
    /// </summary>
    public static string MetricDimension(string arn)
    {
        ArgumentNullException.ThrowIfNull(arn);
        var resource = arn.Split(':', 6) is { Length: 6 } parts ? parts[5] : arn;
        return resource.StartsWith("loadbalancer/", StringComparison.Ordinal) ? resource["loadbalancer/".Length..] : resource;
    }

    /// <summary>The account and region of an ELB ARN.</summary>
    public static (string AccountId, string Region) AccountAndRegion(string arn)
    {
        ArgumentNullException.ThrowIfNull(arn);
        var parts = arn.Split(':', 6);
        return parts.Length == 6 ? (parts[4], parts[3]) : ("", "");
    }

    /// <summary>Parses an ELB ARN of <paramref name="kind"/>; null when it is not one.</summary>
    public static ElbArn? Parse(string? arn, string kind)
    {
        if (arn is null)
        {
            return null;
        }
        var m = ArnPattern().Match(arn);
        if (!m.Success || m.Groups["kind"].Value != kind)
        {
            return null;
        }
        var path = m.Groups["path"].Value.Split('/');
        var expected = kind switch { LoadBalancerKind => 3, TargetGroupKind => 2, ListenerKind => 4, _ => 5 };
        if (path.Length != expected || path.Any(p => p.Length == 0) || !HexId().IsMatch(path[^1]))
        {
            return null;
        }
        if (kind != TargetGroupKind && path[0] is not ("app" or "net" or "gwy"))
        {
            return null;
        }
        return new ElbArn(kind, m.Groups["account"].Value, m.Groups["region"].Value, path[^1]);
    }

    [GeneratedRegex(@"^arn:aws:elasticloadbalancing:(?<region>[a-z0-9-]+):(?<account>\d{12}):(?<kind>loadbalancer|targetgroup|listener|listener-rule)/(?<path>.+)$")]
    private static partial Regex ArnPattern();

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex HexId();

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")]
    private static partial Regex NamePattern();

    /// <summary>The DNS name of a new load balancer.</summary>
    public static string DnsName(string type, string scheme, string name, string id, string region)
    {
        var prefix = scheme == ElbTypes.Internal ? "internal-" : "";
        if (type == ElbTypes.Application)
        {
            // ALBs carry a decimal number derived from the id (AWS's look: my-alb-1234567890).
            var digits = (BitConverter.ToUInt64(Convert.FromHexString(id)) % 9_000_000_000UL + 1_000_000_000UL).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return $"{prefix}{name}-{digits}.{region}.elb.amazonaws.com".ToLowerInvariant();
        }
        return $"{prefix}{name}-{id}.elb.{region}.amazonaws.com".ToLowerInvariant();
    }

    /// <summary>The Route 53 hosted zone of the region's load balancers (what alias records name).</summary>
    public static string CanonicalHostedZoneId(string type, string region) => (type, region) switch
    {
        (ElbTypes.Network, "us-east-1") => "Z26RNL4JYFTOTI",
        (ElbTypes.Network, "us-east-2") => "ZLMOA37VPKANP",
        (ElbTypes.Network, "us-west-1") => "Z24FKFUX50B4VW",
        (ElbTypes.Network, "us-west-2") => "Z18D5FSROUN65G",
        (ElbTypes.Network, "eu-west-1") => "Z2IFOLAFXWLO4F",
        (ElbTypes.Network, "eu-central-1") => "Z3F0SRJ5LGBH90",
        (ElbTypes.Network, "ap-northeast-1") => "Z31USIVHYNEOWT",
        (ElbTypes.Network, "ap-southeast-2") => "ZCT6FZBF4DROD",
        (_, "us-east-1") => "Z35SXDOTRQ7X7K",
        (_, "us-east-2") => "Z3AADJGX6KTTL2",
        (_, "us-west-1") => "Z368ELLRRE2KJ0",
        (_, "us-west-2") => "Z1H1FL5HABSF5",
        (_, "eu-west-1") => "Z32O12XQLNTSW2",
        (_, "eu-central-1") => "Z215JYRZR1TBD5",
        (_, "ap-northeast-1") => "Z14GRHDCWA56QT",
        (_, "ap-southeast-2") => "Z1GM3OXH4ZPM65",
        _ => "Z35SXDOTRQ7X7K",
    };

    /// <summary>
    /// The loopback address the load balancer's listeners bind on the host: 127.a.b.c derived from
    /// the ARN (never 127.0.0.x), so load balancers of one or several servers do not collide.
    /// </summary>
    public static string HostAddress(string arn)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(arn));
        var a = 1 + (hash[0] % 254);
        var b = hash[1];
        var c = 1 + (hash[2] % 254);
        return $"127.{a}.{b}.{c}";
    }

    /// <summary>Checks a load balancer name (1–32 alphanumerics or hyphens, no hyphen at either end, not <c>internal-</c>).</summary>
    public static string CheckLoadBalancerName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw ElbErrors.Validation("A load balancer name must be specified");
        }
        if (name.Length > 32)
        {
            throw ElbErrors.Validation($"The load balancer name '{name}' cannot be longer than '32' characters");
        }
        if (!NamePattern().IsMatch(name))
        {
            throw ElbErrors.Validation(name.StartsWith('-') || name.EndsWith('-')
                ? $"Load balancer name '{name}' cannot begin or end with a hyphen"
                : $"The load balancer name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)");
        }
        if (name.StartsWith("internal-", StringComparison.OrdinalIgnoreCase))
        {
            throw ElbErrors.Validation($"Load balancer name '{name}' cannot begin with 'internal-'");
        }
        return name;
    }

    /// <summary>Checks a target group name (1–32 alphanumerics or hyphens, no hyphen at either end).</summary>
    public static string CheckTargetGroupName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw ElbErrors.Validation("A target group name must be specified");
        }
        if (name.Length > 32)
        {
            throw ElbErrors.Validation($"Target group name '{name}' cannot be longer than '32' characters");
        }
        if (!NamePattern().IsMatch(name))
        {
            throw ElbErrors.Validation(name.StartsWith('-') || name.EndsWith('-')
                ? $"Target group name '{name}' cannot begin or end with '-'"
                : $"Target group name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)");
        }
        return name;
    }
}

/// <summary>Elastic Load Balancing's errors (codes from its model; messages as the service words them).</summary>
public static class ElbErrors
{
    public static AwsException Validation(string message) => new("ValidationError", message);

    public static AwsException InvalidConfiguration(string message) => new("InvalidConfigurationRequest", message);

    public static AwsException LoadBalancerNotFound(string? arnOrName = null) =>
        new("LoadBalancerNotFound", arnOrName is null ? "One or more load balancers not found" : $"Load balancers '[{arnOrName}]' not found");

    public static AwsException TargetGroupNotFound(string? arnOrName = null) =>
        new("TargetGroupNotFound", arnOrName is null ? "One or more target groups not found" : $"Target groups '[{arnOrName}]' not found");

    public static AwsException ListenerNotFound(string? arn = null) =>
        new("ListenerNotFound", arn is null ? "One or more listeners not found" : $"Listener '{arn}' not found");

    public static AwsException RuleNotFound(string? arn = null) =>
        new("RuleNotFound", arn is null ? "One or more rules not found" : $"Rule '{arn}' not found");

    public static AwsException InvalidTarget(string message) => new("InvalidTarget", message);

    public static AwsException ResourceInUse(string message) => new("ResourceInUse", message);
}
