using Stratus.Core;
using Stratus.Domain.Iam;

namespace Stratus.Server.Tests.Iam;

/// <summary>
/// The policy evaluator against the examples of AWS's IAM User Guide ("Policy evaluation logic",
/// "IAM JSON policy elements: Condition operators", "Example IAM identity-based policies" for EC2).
/// </summary>
public sealed class PolicyEvaluationTests
{
    private const string Account = "123456789012";

    private static CompiledPolicy P(string statements) => CompiledPolicy.Compile("p", $$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""");

    private static PolicyDecision Decide(string action, string resource, Dictionary<string, string[]>? context, params CompiledPolicy[] policies) =>
        PolicyEvaluator.Evaluate(policies, new AuthorizationRequest(action, resource,
            new Dictionary<string, string[]>(context ?? [], StringComparer.OrdinalIgnoreCase))).Decision;

    private static Dictionary<string, string[]> Ctx(params (string Key, string Value)[] entries) =>
        entries.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Value).ToArray(), StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Nothing_allowed_is_an_implicit_deny_and_an_explicit_deny_wins()
    {
        var allowAll = P("""{"Effect":"Allow","Action":"*","Resource":"*"}""");
        var denyTerminate = P("""{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}""");
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:DescribeInstances", "*", null));
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeInstances", "*", null, allowAll, denyTerminate));
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:TerminateInstances", "*", null, allowAll, denyTerminate));
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:TerminateInstances", "*", null, denyTerminate, allowAll));
    }

    [Fact]
    public void Action_wildcards_match_case_insensitively_resources_case_sensitively()
    {
        var describe = P("""{"Effect":"Allow","Action":["ec2:Describe*","iam:Get?ser"],"Resource":"arn:aws:ec2:*:123456789012:instance/*"}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:describeinstances", $"arn:aws:ec2:us-east-1:{Account}:instance/i-1", null, describe));
        Assert.Equal(PolicyDecision.Allow, Decide("iam:GetUser", $"arn:aws:ec2:eu-west-1:{Account}:instance/i-2", null, describe));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:RunInstances", $"arn:aws:ec2:us-east-1:{Account}:instance/i-1", null, describe));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:DescribeInstances", $"arn:aws:ec2:us-east-1:{Account}:INSTANCE/i-1", null, describe));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:DescribeInstances", "*", null, describe));
    }

    [Fact]
    public void NotAction_and_NotResource()
    {
        // The guide's "allow everything except IAM" example.
        var notIam = P("""{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:RunInstances", "*", null, notIam));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("iam:CreateUser", "*", null, notIam));
        // Deny with NotResource: everything outside one bucket-like prefix.
        var allow = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*"}""");
        var fence = P("""{"Effect":"Deny","Action":"ec2:*","NotResource":"arn:aws:ec2:*:*:instance/i-allowed*"}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:StopInstances", "arn:aws:ec2:us-east-1:1:instance/i-allowed1", null, allow, fence));
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:StopInstances", "arn:aws:ec2:us-east-1:1:instance/i-other", null, allow, fence));
    }

    [Fact]
    public void Requested_region_and_instance_type_conditions()
    {
        // "Restrict access to EC2 in a specific Region" and "limit instance types".
        var region = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:RequestedRegion", "eu-west-1")), region));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:RequestedRegion", "us-east-1")), region));
        var types = P("""{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringNotLike":{"ec2:InstanceType":["t3.*","t2.micro"]}}}""");
        var allow = P("""{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}""");
        var instance = "arn:aws:ec2:us-east-1:1:instance/*";
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:RunInstances", instance, Ctx(("ec2:InstanceType", "t3.large")), allow, types));
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:RunInstances", instance, Ctx(("ec2:InstanceType", "m5.24xlarge")), allow, types));
        // The key is missing for other resources of the request: a negated operator holds, so the deny applies only where it is scoped.
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-1", null, allow, types));
    }

    [Fact]
    public void Resource_and_principal_tag_conditions()
    {
        // "Allow users to start and stop instances tagged with their own owner tag".
        var owner = P("""{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances"],"Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ec2:ResourceTag/Owner":"${aws:username}"}}}""");
        var arn = "arn:aws:ec2:us-east-1:1:instance/i-1";
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:StopInstances", arn, Ctx(("ec2:ResourceTag/Owner", "alice"), ("aws:username", "alice")), owner));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:StopInstances", arn, Ctx(("ec2:ResourceTag/Owner", "bob"), ("aws:username", "alice")), owner));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:StopInstances", arn, Ctx(("aws:username", "alice")), owner));
        // ABAC: the resource's team must be the principal's.
        var abac = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:RebootInstances", arn, Ctx(("aws:ResourceTag/team", "blue"), ("aws:PrincipalTag/team", "blue")), abac));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:RebootInstances", arn, Ctx(("aws:ResourceTag/team", "red"), ("aws:PrincipalTag/team", "blue")), abac));
    }

    [Fact]
    public void Source_ip_mfa_dates_numbers_and_null()
    {
        var ip = P("""{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}""");
        var all = P("""{"Effect":"Allow","Action":"*","Resource":"*"}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:SourceIp", "192.0.2.17")), all, ip));
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:SourceIp", "198.51.100.1")), all, ip));
        Assert.True(PolicyEvaluator.InRange("2001:db8::1", "2001:db8::/32"));
        Assert.True(PolicyEvaluator.InRange("::ffff:127.0.0.1", "127.0.0.0/8"));

        // "Deny when MFA is absent": Stratus reports aws:MultiFactorAuthPresent false.
        var mfa = P("""{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}""");
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:TerminateInstances", "*", Ctx(("aws:MultiFactorAuthPresent", "false")), all, mfa));
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:TerminateInstances", "*", null, all, mfa));
        var mfaPlain = P("""{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:TerminateInstances", "*", null, all, mfaPlain));

        var window = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:CurrentTime", "2026-12-06T12:00:00Z")), window));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:CurrentTime", "2027-03-01T00:00:00Z")), window));

        var numeric = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"NumericLessThanEquals":{"ec2:VolumeSize":"100"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:CreateVolume", "*", Ctx(("ec2:VolumeSize", "100")), numeric));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:CreateVolume", "*", Ctx(("ec2:VolumeSize", "101")), numeric));

        var tagged = P("""{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"*","Condition":{"Null":{"aws:RequestTag/CostCenter":"true"}}}""");
        Assert.Equal(PolicyDecision.ExplicitDeny, Decide("ec2:RunInstances", "*", null, all, tagged));
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:RunInstances", "*", Ctx(("aws:RequestTag/CostCenter", "42")), all, tagged));
    }

    [Fact]
    public void Set_operators_and_arn_conditions()
    {
        var anyValue = P("""{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:CreateTags", "*", Ctx(("aws:TagKeys", "owner"), ("aws:TagKeys", "env")), anyValue));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:CreateTags", "*", Ctx(("aws:TagKeys", "owner")), anyValue));
        var allValues = P("""{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:CreateTags", "*", Ctx(("aws:TagKeys", "team"), ("aws:TagKeys", "env")), allValues));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:CreateTags", "*", Ctx(("aws:TagKeys", "team"), ("aws:TagKeys", "owner")), allValues));
        // ForAllValues holds for a missing key (the documented pitfall).
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:CreateTags", "*", null, allValues));

        var arn = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ops-*"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:PrincipalArn", $"arn:aws:iam::{Account}:role/ops-admin")), arn));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:PrincipalArn", $"arn:aws:iam::{Account}:role/dev")), arn));
        var ignoreCase = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"ENG"}}}""");
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeVpcs", "*", Ctx(("aws:PrincipalTag/dept", "eng")), ignoreCase));
    }

    [Fact]
    public void Permissions_boundary_limits_what_policies_allow()
    {
        var admin = P("""{"Effect":"Allow","Action":"*","Resource":"*"}""");
        var boundary = P("""{"Effect":"Allow","Action":"ec2:*","Resource":"*"}""");
        var request = new AuthorizationRequest("ec2:RunInstances", "*");
        Assert.Equal(PolicyDecision.Allow, PolicyEvaluator.Evaluate([admin], request, [boundary]).Decision);
        Assert.Equal(PolicyDecision.ImplicitDeny, PolicyEvaluator.Evaluate([admin], new AuthorizationRequest("iam:CreateUser", "*"), [boundary]).Decision);
        Assert.Equal(PolicyDecision.ImplicitDeny, PolicyEvaluator.Evaluate([boundary], new AuthorizationRequest("iam:CreateUser", "*"), [admin]).Decision);
    }

    [Fact]
    public void Malformed_documents_are_refused()
    {
        Assert.Equal("MalformedPolicyDocument", Assert.Throws<AwsException>(() => CompiledPolicy.Compile("p", "{")).Code);
        Assert.Equal("MalformedPolicyDocument", Assert.Throws<AwsException>(() => P("""{"Effect":"Maybe","Action":"*","Resource":"*"}""")).Code);
        Assert.Equal("MalformedPolicyDocument", Assert.Throws<AwsException>(() => P("""{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringFuzzy":{"a":"b"}}}""")).Code);
        Assert.Equal("MalformedPolicyDocument", Assert.Throws<AwsException>(() => P("""{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}""")).Code);
    }

    [Fact]
    public void Aws_managed_policies_grant_what_their_names_say()
    {
        CompiledPolicy Managed(string name) => CompiledPolicy.Compile(name, AwsManagedPolicies.Find("arn:aws:iam::aws:policy/" + name)!.DefaultVersion.Document);
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeInstances", "*", null, Managed("AmazonEC2ReadOnlyAccess")));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:RunInstances", "*", null, Managed("AmazonEC2ReadOnlyAccess")));
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:RunInstances", "*", null, Managed("AmazonEC2FullAccess")));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("iam:CreateUser", "*", null, Managed("AmazonEC2FullAccess")));
        Assert.Equal(PolicyDecision.Allow, Decide("iam:CreateUser", "*", null, Managed("AdministratorAccess")));
        Assert.Equal(PolicyDecision.Allow, Decide("iam:ListUsers", "*", null, Managed("ReadOnlyAccess")));
        Assert.Equal(PolicyDecision.ImplicitDeny, Decide("ec2:TerminateInstances", "*", null, Managed("ReadOnlyAccess")));
        Assert.Equal(PolicyDecision.Allow, Decide("ec2:DescribeTags", "*", null, Managed("CloudWatchAgentServerPolicy")));
        Assert.Equal(PolicyDecision.Allow, Decide("ssm:UpdateInstanceInformation", "*", null, Managed("AmazonSSMManagedInstanceCore")));
    }
}
