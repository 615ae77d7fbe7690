using BenchmarkDotNet.Attributes;
using Stratus.Domain.Iam;

namespace Stratus.Benchmarks;

/// <summary>
/// Authorising one request of an IAM user as the gateway does once its policies are compiled
/// and cached: the request context (region, source IP, time, principal keys and tags) is built
/// and the action on its resource is evaluated against a typical user's policies —
/// AmazonEC2ReadOnlyAccess, an inline region-scoped allow and a tag-conditioned explicit deny.
/// </summary>
[MemoryDiagnoser]
public class AuthorizationBenchmarks
{
    private PrincipalPolicies _principal = null!;

    [GlobalSetup]
    public void Setup()
    {
        var cache = new IamPolicyCache();
        var readOnly = AwsManagedPolicies.Find("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")!;
        _principal = new PrincipalPolicies
        {
            Arn = "arn:aws:iam::123456789012:user/alice",
            Policies =
            [
                cache.Compile(readOnly.Arn, readOnly.DefaultVersion.Document),
                cache.Compile("regional", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances"],"Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"""),
                cache.Compile("protect", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["ec2:TerminateInstances","ec2:StopInstances"],"Resource":"*","Condition":{"StringEquals":{"ec2:ResourceTag/env":"prod"}}}]}"""),
            ],
            Tags = [new("team", "blue")],
        };
    }

    private Dictionary<string, string[]> Context() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["aws:RequestedRegion"] = ["us-east-1"],
        ["aws:SourceIp"] = ["10.1.2.3"],
        ["aws:CurrentTime"] = ["2026-12-06T12:00:00Z"],
        ["aws:MultiFactorAuthPresent"] = ["false"],
        ["aws:PrincipalArn"] = [_principal.Arn],
        ["aws:username"] = ["alice"],
        ["aws:PrincipalTag/team"] = ["blue"],
    };

    [Benchmark(Description = "DescribeInstances allowed (read-only policy)")]
    public PolicyDecision DescribeAllowed() => _principal.Evaluate(new AuthorizationRequest("ec2:DescribeInstances", "*", Context())).Decision;

    [Benchmark(Description = "StopInstances allowed (region + IP conditions)")]
    public PolicyDecision StopAllowed()
    {
        var context = Context();
        context["ec2:ResourceTag/env"] = ["dev"];
        return _principal.Evaluate(new AuthorizationRequest("ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", context)).Decision;
    }

    [Benchmark(Description = "TerminateInstances denied (explicit deny on tag)")]
    public PolicyDecision TerminateDenied()
    {
        var context = Context();
        context["ec2:ResourceTag/env"] = ["prod"];
        return _principal.Evaluate(new AuthorizationRequest("ec2:TerminateInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", context)).Decision;
    }
}
