using System.Net;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>The parts of an HTTP request listener rules look at.</summary>
public sealed record RuleRequest(string Method, string Host, string Path, IReadOnlyList<KeyValuePair<string, string>> Query,
    Func<string, IReadOnlyList<string>> Header, IPAddress? Source);

/// <summary>
/// Listener rule evaluation as Application Load Balancers do it: rules in priority order, the first
/// whose conditions all match wins (values of one condition are alternatives), else the default
/// actions. host-header (case-insensitive, port ignored), path-pattern (case-sensitive, path only),
/// http-header (name and value case-insensitive), query-string (key/value pairs, case-insensitive)
/// match with <c>*</c> and <c>?</c> wildcards; http-request-method exactly; source-ip by CIDR.
/// </summary>
public static class RuleMatcher
{
    public static bool Matches(IReadOnlyList<RuleConditionSpec> conditions, RuleRequest request) => conditions.All(c => Matches(c, request));

    public static bool Matches(RuleConditionSpec condition, RuleRequest request)
    {
        switch (condition.Field)
        {
            case "host-header":
                var host = request.Host;
                var colon = host.LastIndexOf(':');
                if (colon > 0 && !host.EndsWith(']'))
                {
                    host = host[..colon];
                }
                return condition.Values.Any(v => Wildcard(v, host, ignoreCase: true));
            case "path-pattern":
                return condition.Values.Any(v => Wildcard(v, request.Path, ignoreCase: false));
            case "http-header":
                var values = request.Header(condition.HttpHeaderName ?? "");
                return values.Any(h => condition.Values.Any(v => Wildcard(v, h, ignoreCase: true)));
            case "query-string":
                return condition.QueryPairs.Any(p => request.Query.Any(q =>
                    (p.Key is null || Wildcard(p.Key, q.Key, ignoreCase: true)) && Wildcard(p.Value, q.Value, ignoreCase: true)));
            case "http-request-method":
                return condition.Values.Contains(request.Method, StringComparer.Ordinal);
            case "source-ip":
                if (request.Source is not { } source)
                {
                    return false;
                }
                var address = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
                if (!Ipv4.TryParse(address.ToString(), out var value))
                {
                    return false;
                }
                return condition.Values.Any(v => Ipv4Cidr.TryParse(v, out var cidr) && cidr.Contains(value));
            default:
                return false;
        }
    }

    /// <summary>Matches <paramref name="text"/> against a pattern where <c>*</c> is any run of characters and <c>?</c> one character.</summary>
    public static bool Wildcard(string pattern, string text, bool ignoreCase)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) => a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));

    /// <summary>The actions for a request: the first matching rule's (by priority), else the listener's default actions.</summary>
    public static IReadOnlyList<RuleAction> Select(IReadOnlyList<RuleResource> rulesByPriority, IReadOnlyList<RuleAction> defaultActions, RuleRequest request)
    {
        foreach (var rule in rulesByPriority)
        {
            if (Matches(rule.Conditions, request))
            {
                return rule.Actions;
            }
        }
        return defaultActions;
    }
}

/// <summary>The predefined security policies DescribeSSLPolicies lists (names and protocols as AWS publishes them).</summary>
public static class SslPolicies
{
    public sealed record Policy(string Name, IReadOnlyList<string> Protocols, IReadOnlyList<string> Ciphers);

    private static readonly string[] Tls12Ciphers = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"];
    private static readonly string[] LegacyCiphers = [.. Tls12Ciphers, "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "AES128-SHA256", "AES128-SHA", "AES256-GCM-SHA384", "AES256-SHA256", "AES256-SHA"];
    private static readonly string[] Tls13Ciphers = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

    public static IReadOnlyList<Policy> All { get; } =
    [
        new("ELBSecurityPolicy-TLS13-1-2-2021-06", ["TLSv1.3", "TLSv1.2"], [.. Tls13Ciphers, .. Tls12Ciphers]),
        new("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", ["TLSv1.3", "TLSv1.2"], [.. Tls13Ciphers, .. Tls12Ciphers]),
        new("ELBSecurityPolicy-TLS13-1-3-2021-06", ["TLSv1.3"], Tls13Ciphers),
        new("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", ["TLSv1.3", "TLSv1.2"], [.. Tls13Ciphers, .. LegacyCiphers]),
        new("ELBSecurityPolicy-2016-08", ["TLSv1", "TLSv1.1", "TLSv1.2"], LegacyCiphers),
        new("ELBSecurityPolicy-TLS-1-1-2017-01", ["TLSv1.1", "TLSv1.2"], LegacyCiphers),
        new("ELBSecurityPolicy-TLS-1-2-2017-01", ["TLSv1.2"], LegacyCiphers),
        new("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", ["TLSv1.2"], LegacyCiphers),
        new("ELBSecurityPolicy-FS-2018-06", ["TLSv1", "TLSv1.1", "TLSv1.2"], Tls12Ciphers),
        new("ELBSecurityPolicy-FS-1-2-Res-2020-10", ["TLSv1.2"], Tls12Ciphers),
        new("ELBSecurityPolicy-2015-05", ["TLSv1", "TLSv1.1", "TLSv1.2"], LegacyCiphers),
    ];
}

/// <summary>The limits DescribeAccountLimits reports.</summary>
public static class ElbLimits
{
    public static IReadOnlyList<(string Name, string Max)> All { get; } =
    [
        ("application-load-balancers", "50"),
        ("condition-values-per-alb-rule", "5"),
        ("condition-wildcards-per-alb-rule", "5"),
        ("gateway-load-balancers", "100"),
        ("gateway-load-balancers-per-vpc", "100"),
        ("geneve-target-groups", "100"),
        ("listeners-per-application-load-balancer", "50"),
        ("listeners-per-network-load-balancer", "50"),
        ("network-load-balancer-enis-per-vpc", "1200"),
        ("network-load-balancers", "50"),
        ("rules-per-application-load-balancer", "100"),
        ("target-groups", "3000"),
        ("target-groups-per-action-on-application-load-balancer", "5"),
        ("target-groups-per-action-on-network-load-balancer", "1"),
        ("target-groups-per-application-load-balancer", "100"),
        ("targets-per-application-load-balancer", "1000"),
        ("targets-per-availability-zone-per-network-load-balancer", "500"),
        ("targets-per-network-load-balancer", "3000"),
    ];
}
