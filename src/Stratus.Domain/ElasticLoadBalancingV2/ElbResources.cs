using Stratus.Domain.Resources;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>A load balancer's node in one zone: the subnet it sits in.</summary>
public sealed class LoadBalancerZone
{
    public required string SubnetId { get; init; }
    public required string ZoneName { get; init; }
    public string? AllocationId { get; init; }
    public string? PrivateIpv4Address { get; init; }

    /// <summary>The node's requester-managed network interface in the subnet (see <see cref="LoadBalancerInterfaces"/>).</summary>
    public string? NetworkInterfaceId { get; init; }

    /// <summary>The node's private address: its interface's primary address, where the listeners serve guests of the VPC.</summary>
    public string? NodeAddress { get; init; }
}

/// <summary>An Application or Network Load Balancer, stored as a JSON document keyed by its 16-hex id.</summary>
public sealed class LoadBalancerResource
{
    public required string Id { get; init; }
    public required string Arn { get; init; }
    public required string Name { get; init; }
    public required string Type { get; init; }
    public required string Scheme { get; init; }
    public required string VpcId { get; init; }
    public required string DnsName { get; init; }
    public required DateTime CreatedTime { get; init; }
    public string IpAddressType { get; set; } = "ipv4";
    public string State { get; set; } = "provisioning";
    public List<LoadBalancerZone> Zones { get; set; } = [];
    public List<string> SecurityGroups { get; set; } = [];
    public Dictionary<string, string> Attributes { get; set; } = [];
    public List<Tag> Tags { get; set; } = [];

    /// <summary>Where the load balancer's listeners accept connections on the host (a loopback address unique to it).</summary>
    public required string HostAddress { get; init; }

    public bool IsApplication => Type == ElbTypes.Application;
}

/// <summary>A target registered with a target group.</summary>
public sealed class RegisteredTarget
{
    public required string Id { get; init; }
    public required int Port { get; init; }
    public string? AvailabilityZone { get; init; }
    public required DateTime RegisteredAt { get; set; }

    /// <summary>Set by DeregisterTargets: the target drains until then and is removed after.</summary>
    public DateTime? DrainingUntil { get; set; }
}

/// <summary>A target group: its protocol, port and VPC, health check settings, attributes and registered targets.</summary>
public sealed class TargetGroupResource
{
    public required string Id { get; init; }
    public required string Arn { get; init; }
    public required string Name { get; init; }
    public required string TargetType { get; init; }
    public string? Protocol { get; init; }
    public string? ProtocolVersion { get; init; }
    public int? Port { get; init; }
    public string? VpcId { get; init; }
    public string IpAddressType { get; init; } = "ipv4";
    public required DateTime CreatedTime { get; init; }
    public bool HealthCheckEnabled { get; set; } = true;
    public string? HealthCheckProtocol { get; set; }
    public string HealthCheckPort { get; set; } = "traffic-port";
    public string? HealthCheckPath { get; set; }
    public int HealthCheckIntervalSeconds { get; set; } = 30;
    public int HealthCheckTimeoutSeconds { get; set; } = 5;
    public int HealthyThresholdCount { get; set; } = 5;
    public int UnhealthyThresholdCount { get; set; } = 2;
    public string? MatcherHttpCode { get; set; }
    public string? MatcherGrpcCode { get; set; }
    public Dictionary<string, string> Attributes { get; set; } = [];
    public List<Tag> Tags { get; set; } = [];
    public List<RegisteredTarget> Targets { get; set; } = [];
}

/// <summary>A listener's certificate (any ACM or IAM certificate ARN is accepted; the data plane serves a self-signed one).</summary>
public sealed record ListenerCertificate(string CertificateArn, bool IsDefault);

/// <summary>One target group of a forward action, with its weight.</summary>
public sealed record WeightedTargetGroup(string TargetGroupArn, int? Weight);

/// <summary>A listener or rule action (forward, redirect, fixed-response).</summary>
public sealed class RuleAction
{
    public required string Type { get; init; }
    public int? Order { get; init; }
    public string? TargetGroupArn { get; init; }

    /// <summary>forward: the target groups with weights (also set when only TargetGroupArn was given, as AWS answers).</summary>
    public List<WeightedTargetGroup>? ForwardTargetGroups { get; init; }
    public bool? StickinessEnabled { get; init; }
    public int? StickinessDurationSeconds { get; init; }

    public string? RedirectProtocol { get; init; }
    public string? RedirectPort { get; init; }
    public string? RedirectHost { get; init; }
    public string? RedirectPath { get; init; }
    public string? RedirectQuery { get; init; }
    public string? RedirectStatusCode { get; init; }

    public string? FixedStatusCode { get; init; }
    public string? FixedContentType { get; init; }
    public string? FixedMessageBody { get; init; }

    /// <summary>The target groups this action forwards to.</summary>
    public IEnumerable<string> TargetGroupArns() =>
        ForwardTargetGroups is { Count: > 0 } groups ? groups.Select(g => g.TargetGroupArn) : TargetGroupArn is { } arn ? [arn] : [];
}

/// <summary>A key/value pair of a query-string condition (a null key matches any key).</summary>
public sealed record QueryPair(string? Key, string Value);

/// <summary>A rule condition.</summary>
public sealed class RuleConditionSpec
{
    public required string Field { get; init; }

    /// <summary>Values of host-header, path-pattern, http-header, http-request-method and source-ip.</summary>
    public List<string> Values { get; init; } = [];

    /// <summary>Whether the caller gave host-header/path-pattern values in the legacy <c>Values</c> member.</summary>
    public bool LegacyValues { get; init; }
    public string? HttpHeaderName { get; init; }
    public List<QueryPair> QueryPairs { get; init; } = [];
}

/// <summary>A listener.</summary>
public sealed class ListenerResource
{
    public required string Id { get; init; }
    public required string Arn { get; init; }
    public required string LoadBalancerArn { get; init; }

    /// <summary>The id of the listener's default rule (its actions are the listener's default actions).</summary>
    public required string DefaultRuleId { get; init; }
    public required int Port { get; set; }
    public required string Protocol { get; set; }
    public string? SslPolicy { get; set; }
    public List<ListenerCertificate> Certificates { get; set; } = [];
    public List<string> AlpnPolicy { get; set; } = [];
    public List<RuleAction> DefaultActions { get; set; } = [];
    public Dictionary<string, string> Attributes { get; set; } = [];
    public List<Tag> Tags { get; set; } = [];
}

/// <summary>A listener rule (not the default one, which is the listener's default actions).</summary>
public sealed class RuleResource
{
    public required string Id { get; init; }
    public required string Arn { get; init; }
    public required string ListenerArn { get; init; }
    public required int Priority { get; set; }
    public List<RuleConditionSpec> Conditions { get; set; } = [];
    public List<RuleAction> Actions { get; set; } = [];
    public List<Tag> Tags { get; set; } = [];
}

/// <summary>Load balancer types, schemes and protocols.</summary>
public static class ElbTypes
{
    public const string Application = "application", Network = "network", Gateway = "gateway";
    public const string InternetFacing = "internet-facing", Internal = "internal";
    public static readonly IReadOnlySet<string> AlbProtocols = new HashSet<string>(StringComparer.Ordinal) { "HTTP", "HTTPS" };
    public static readonly IReadOnlySet<string> NlbProtocols = new HashSet<string>(StringComparer.Ordinal) { "TCP", "TLS", "UDP", "TCP_UDP" };
}
