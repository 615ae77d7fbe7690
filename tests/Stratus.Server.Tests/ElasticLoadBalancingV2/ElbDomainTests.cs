using System.Net;
using Stratus.Core;
using Stratus.Domain.ElasticLoadBalancingV2;

namespace Stratus.Server.Tests.ElasticLoadBalancingV2;

public sealed class RuleMatcherTests
{
    private static RuleRequest Request(string method = "GET", string host = "www.example.com", string path = "/", string query = "",
        Dictionary<string, string>? headers = null, string source = "10.0.0.5") =>
        new(method, host, path,
            query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(p[0], p.Length > 1 ? p[1] : "")).ToList(),
            name => headers is not null && headers.TryGetValue(name, out var v) ? [v] : [],
            IPAddress.Parse(source));

    private static RuleConditionSpec Condition(string field, params string[] values) => new() { Field = field, Values = [.. values] };

    [Theory]
    [InlineData("/api/*", "/api/users", true)]
    [InlineData("/api/*", "/API/users", false)]
    [InlineData("/img/*.png", "/img/a/b.png", true)]
    [InlineData("/v?/x", "/v1/x", true)]
    [InlineData("/v?/x", "/v10/x", false)]
    [InlineData("*", "/anything", true)]
    public void Path_patterns_are_case_sensitive_wildcards(string pattern, string path, bool expected) =>
        Assert.Equal(expected, RuleMatcher.Matches(Condition("path-pattern", pattern), Request(path: path)));

    [Theory]
    [InlineData("*.example.com", "WWW.Example.COM:8080", true)]
    [InlineData("api.example.com", "www.example.com", false)]
    [InlineData("example.*", "example.org", true)]
    public void Host_headers_ignore_case_and_port(string pattern, string host, bool expected) =>
        Assert.Equal(expected, RuleMatcher.Matches(Condition("host-header", pattern), Request(host: host)));

    [Fact]
    public void Http_header_query_string_method_and_source_ip()
    {
        var header = new RuleConditionSpec { Field = "http-header", HttpHeaderName = "User-Agent", Values = ["*Mobile*"] };
        Assert.True(RuleMatcher.Matches(header, Request(headers: new() { ["User-Agent"] = "Foo mobile bar" })));
        Assert.False(RuleMatcher.Matches(header, Request()));

        var query = new RuleConditionSpec { Field = "query-string", QueryPairs = [new QueryPair("version", "v2*"), new QueryPair(null, "beta")] };
        Assert.True(RuleMatcher.Matches(query, Request(query: "version=V2.1")));
        Assert.True(RuleMatcher.Matches(query, Request(query: "x=beta")));
        Assert.False(RuleMatcher.Matches(query, Request(query: "version=v1")));

        Assert.True(RuleMatcher.Matches(Condition("http-request-method", "POST", "PUT"), Request(method: "PUT")));
        Assert.False(RuleMatcher.Matches(Condition("http-request-method", "POST"), Request(method: "post")));

        Assert.True(RuleMatcher.Matches(Condition("source-ip", "10.0.0.0/24"), Request(source: "10.0.0.5")));
        Assert.True(RuleMatcher.Matches(Condition("source-ip", "10.0.0.0/24"), Request(source: "::ffff:10.0.0.9")));
        Assert.False(RuleMatcher.Matches(Condition("source-ip", "192.168.0.0/16"), Request()));
    }

    [Fact]
    public void First_matching_rule_by_priority_wins_else_default()
    {
        var fixedA = new RuleAction { Type = "fixed-response", FixedStatusCode = "200", FixedMessageBody = "a" };
        var fixedB = new RuleAction { Type = "fixed-response", FixedStatusCode = "200", FixedMessageBody = "b" };
        var fallback = new RuleAction { Type = "fixed-response", FixedStatusCode = "404" };
        var rules = new List<RuleResource>
        {
            new() { Id = "1", Arn = "r1", ListenerArn = "l", Priority = 5, Conditions = [Condition("path-pattern", "/a/*")], Actions = [fixedA] },
            new() { Id = "2", Arn = "r2", ListenerArn = "l", Priority = 10, Conditions = [Condition("path-pattern", "/a/*", "/b/*"), Condition("http-request-method", "GET")], Actions = [fixedB] },
        };
        Assert.Same(fixedA, RuleMatcher.Select(rules, [fallback], Request(path: "/a/x"))[0]);
        Assert.Same(fixedB, RuleMatcher.Select(rules, [fallback], Request(path: "/b/x"))[0]);
        Assert.Same(fallback, RuleMatcher.Select(rules, [fallback], Request(method: "POST", path: "/b/x"))[0]);
    }

    [Fact]
    public void Conditions_are_validated()
    {
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => Listeners.CheckConditions([])).Code);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => Listeners.CheckConditions([Condition("cookie", "x")])).Code);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => Listeners.CheckConditions([Condition("source-ip", "not-a-cidr")])).Code);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => Listeners.CheckConditions([Condition("path-pattern", "/1", "/2", "/3", "/4", "/5", "/6")])).Code);
        Assert.Single(Listeners.CheckConditions([Condition("path-pattern", "/ok")]));
    }
}

public sealed class HealthStateMachineTests
{
    private static readonly ProbeResult Ok = new(ProbeOutcome.Success, 200);

    [Fact]
    public void New_targets_need_the_healthy_threshold_of_successes()
    {
        var state = TargetHealthRecord.Registering;
        Assert.Equal(("initial", "Elb.RegistrationInProgress"), (state.State, state.Reason));
        state = HealthStateMachine.Next(state, Ok, healthyThreshold: 3, unhealthyThreshold: 2);
        Assert.Equal(("initial", "Elb.InitialHealthChecking"), (state.State, state.Reason));
        state = HealthStateMachine.Next(state, Ok, 3, 2);
        Assert.Equal("initial", state.State);
        state = HealthStateMachine.Next(state, Ok, 3, 2);
        Assert.Equal(("healthy", null), (state.State, state.Reason));
    }

    [Fact]
    public void Healthy_targets_turn_unhealthy_after_the_unhealthy_threshold_with_the_last_reason()
    {
        var state = new TargetHealthRecord("healthy", null, null, 5, 0);
        state = HealthStateMachine.Next(state, new ProbeResult(ProbeOutcome.Timeout), 2, 3);
        Assert.Equal("healthy", state.State);
        state = HealthStateMachine.Next(state, Ok, 2, 3);
        state = HealthStateMachine.Next(state, new ProbeResult(ProbeOutcome.Timeout), 2, 3);
        state = HealthStateMachine.Next(state, new ProbeResult(ProbeOutcome.Timeout), 2, 3);
        Assert.Equal("healthy", state.State);
        state = HealthStateMachine.Next(state, new ProbeResult(ProbeOutcome.CodeMismatch, 404), 2, 3);
        Assert.Equal(("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]"), (state.State, state.Reason, state.Description));
        state = HealthStateMachine.Next(state, new ProbeResult(ProbeOutcome.Failed), 2, 3);
        Assert.Equal(("unhealthy", "Target.FailedHealthChecks"), (state.State, state.Reason));
        state = HealthStateMachine.Next(state, Ok, 2, 3);
        Assert.Equal("unhealthy", state.State);
        state = HealthStateMachine.Next(state, Ok, 2, 3);
        Assert.Equal("healthy", state.State);
    }

    [Fact]
    public void Initial_targets_that_fail_become_unhealthy()
    {
        var state = HealthStateMachine.Next(TargetHealthRecord.Registering, new ProbeResult(ProbeOutcome.Timeout), 5, 2);
        Assert.Equal(("initial", "Elb.InitialHealthChecking"), (state.State, state.Reason));
        state = HealthStateMachine.Next(state, new ProbeResult(ProbeOutcome.Timeout), 5, 2);
        Assert.Equal(("unhealthy", "Target.Timeout", "Request timed out"), (state.State, state.Reason, state.Description));
    }

    [Theory]
    [InlineData("200", 200, true)]
    [InlineData("200", 204, false)]
    [InlineData("200-299", 204, true)]
    [InlineData("200,302", 302, true)]
    [InlineData("200,302", 301, false)]
    public void Matchers(string matcher, int code, bool expected) => Assert.Equal(expected, HealthMatcher.Matches(matcher, code));

    [Theory]
    [InlineData("199")]
    [InlineData("500")]
    [InlineData("300-200")]
    [InlineData("abc")]
    public void Bad_matchers_are_refused(string matcher) => Assert.False(HealthMatcher.TryParse(matcher, out _));
}

public sealed class ElbNamingTests
{
    [Fact]
    public void Arns_as_aws_forms_them_and_parse_back()
    {
        var id = ElbNaming.NewId();
        Assert.Matches("^[0-9a-f]{16}$", id);
        var lb = ElbNaming.LoadBalancerArn("us-east-1", "123456789012", "application", "my-alb", id);
        Assert.Equal($"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/{id}", lb);
        Assert.Equal(new ElbArn("loadbalancer", "123456789012", "us-east-1", id), ElbNaming.Parse(lb, ElbNaming.LoadBalancerKind));
        Assert.Contains(":loadbalancer/net/nlb/", ElbNaming.LoadBalancerArn("us-east-1", "123456789012", "network", "nlb", id), StringComparison.Ordinal);
        var resource = new LoadBalancerResource
        {
            Id = id,
            Arn = lb,
            Name = "my-alb",
            Type = "application",
            Scheme = "internet-facing",
            VpcId = "vpc-1",
            DnsName = "x",
            CreatedTime = DateTime.UtcNow,
            HostAddress = "127.1.1.1",
        };
        var listener = ElbNaming.ListenerArn(resource, "0123456789abcdef");
        Assert.Equal($"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/my-alb/{id}/0123456789abcdef", listener);
        var rule = ElbNaming.RuleArn(listener, "fedcba9876543210");
        Assert.Equal($"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/my-alb/{id}/0123456789abcdef/fedcba9876543210", rule);
        Assert.Equal("fedcba9876543210", ElbNaming.Parse(rule, ElbNaming.RuleKind)!.Id);
        Assert.Equal($"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/{id}", ElbNaming.TargetGroupArn("eu-west-1", "123456789012", "web", id));
        Assert.Null(ElbNaming.Parse(lb, ElbNaming.TargetGroupKind));
        Assert.Null(ElbNaming.Parse("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/XYZ", ElbNaming.LoadBalancerKind));
    }

    [Fact]
    public void Dns_names_and_hosted_zones()
    {
        Assert.Matches(@"^my-alb-\d{10}\.us-east-1\.elb\.amazonaws\.com$", ElbNaming.DnsName("application", "internet-facing", "my-alb", "0123456789abcdef", "us-east-1"));
        Assert.Matches(@"^internal-my-alb-\d{10}\.eu-west-1\.elb\.amazonaws\.com$", ElbNaming.DnsName("application", "internal", "My-Alb", "0123456789abcdef", "eu-west-1"));
        Assert.Equal("my-nlb-0123456789abcdef.elb.us-east-2.amazonaws.com", ElbNaming.DnsName("network", "internet-facing", "my-nlb", "0123456789abcdef", "us-east-2"));
        Assert.Equal("Z35SXDOTRQ7X7K", ElbNaming.CanonicalHostedZoneId("application", "us-east-1"));
        Assert.Equal("Z26RNL4JYFTOTI", ElbNaming.CanonicalHostedZoneId("network", "us-east-1"));
        var address = ElbNaming.HostAddress("arn:x");
        Assert.StartsWith("127.", address, StringComparison.Ordinal);
        Assert.False(address.StartsWith("127.0.", StringComparison.Ordinal));
        Assert.Equal(address, ElbNaming.HostAddress("arn:x"));
    }

    [Theory]
    [InlineData("-alb")]
    [InlineData("alb-")]
    [InlineData("a_b")]
    [InlineData("internal-x")]
    [InlineData("abcdefghijklmnopqrstuvwxyz1234567")]
    public void Bad_load_balancer_names(string name) => Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => ElbNaming.CheckLoadBalancerName(name)).Code);
}

public sealed class ElbAttributeTests
{
    [Fact]
    public void Defaults_per_type()
    {
        var alb = ElbAttributes.LoadBalancerDefaults("application");
        Assert.Equal("60", alb["idle_timeout.timeout_seconds"]);
        Assert.Equal("true", alb["load_balancing.cross_zone.enabled"]);
        var nlb = ElbAttributes.LoadBalancerDefaults("network");
        Assert.Equal("false", nlb["load_balancing.cross_zone.enabled"]);
        Assert.False(nlb.ContainsKey("idle_timeout.timeout_seconds"));
        var http = ElbAttributes.TargetGroupDefaults("HTTP", "instance");
        Assert.Equal(("300", "lb_cookie", "86400", "round_robin"), (http["deregistration_delay.timeout_seconds"], http["stickiness.type"], http["stickiness.lb_cookie.duration_seconds"], http["load_balancing.algorithm.type"]));
        var tcp = ElbAttributes.TargetGroupDefaults("TCP", "instance");
        Assert.Equal(("source_ip", "true"), (tcp["stickiness.type"], tcp["preserve_client_ip.enabled"]));
        Assert.Equal("false", ElbAttributes.TargetGroupDefaults("TCP", "ip")["preserve_client_ip.enabled"]);
    }

    [Theory]
    [InlineData("idle_timeout.timeout_seconds", "0")]
    [InlineData("idle_timeout.timeout_seconds", "4001")]
    [InlineData("deletion_protection.enabled", "yes")]
    [InlineData("routing.http.desync_mitigation_mode", "lenient")]
    public void Bad_values_are_refused_and_nothing_changes(string key, string value)
    {
        var current = ElbAttributes.LoadBalancerDefaults("application");
        var error = Assert.Throws<AwsException>(() => ElbAttributes.Apply(current, [new(key, value)], ElbAttributes.ValidateValue));
        Assert.Equal("InvalidConfigurationRequest", error.Code);
        Assert.Equal(ElbAttributes.LoadBalancerDefaults("application")[key], current[key]);
    }

    [Fact]
    public void Unknown_keys_and_slow_start_range()
    {
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => ElbAttributes.Apply(ElbAttributes.LoadBalancerDefaults("network"), [new("idle_timeout.timeout_seconds", "60")], ElbAttributes.ValidateValue)).Code);
        var tg = ElbAttributes.TargetGroupDefaults("HTTP", "instance");
        Assert.Throws<AwsException>(() => ElbAttributes.Apply(tg, [new("slow_start.duration_seconds", "10")], ElbAttributes.ValidateValue));
        Assert.Equal("30", ElbAttributes.Apply(tg, [new("slow_start.duration_seconds", "30")], ElbAttributes.ValidateValue)["slow_start.duration_seconds"]);
    }
}
