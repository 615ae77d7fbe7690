using Stratus.Core;
using Stratus.Protocol.Auth;
using Xunit;
using static Stratus.Protocol.Tests.Auth.SigV4TestSupport;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>
/// Every way a request can fail verification, each answered with AWS's error code, HTTP status and message.
/// The requests start out validly signed by the AWS SDK for .NET and are then damaged.
/// </summary>
public sealed class SigV4RejectionTests
{
    private static readonly DateTimeOffset SignedAt = AwsSdkSigner.SignedAt;
    private static readonly Func<string, string?> Secrets = AwsSdkSigner.Secrets;
    private readonly SigV4Verifier _verifier = Ec2Verifier();

    private AwsException Rejected(SigV4Request request, string code, int status, DateTimeOffset? now = null) =>
        AssertRejected(() => _verifier.Verify(request, Secrets, now ?? SignedAt), code, status);

    [Fact]
    public void Valid_request_is_accepted()
    {
        _verifier.Verify(AwsSdkSigner.SignEc2Post(), Secrets, SignedAt);
    }

    [Fact]
    public void Tampered_body()
    {
        var request = AwsSdkSigner.SignEc2Post().WithBody("Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-0123");
        var ex = Rejected(request, "SignatureDoesNotMatch", 403);
        Assert.Equal(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ex.Message);
    }

    [Fact]
    public void Tampered_payload_hash_header_with_matching_body()
    {
        // Body and its claimed hash changed together: the signature covers the original hash.
        var tampered = "Action=TerminateInstances&Version=2016-11-15";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(tampered)));
        var request = AwsSdkSigner.SignEc2Post().WithBody(tampered).WithHeader("X-Amz-Content-SHA256", hash);
        Rejected(request, "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Tampered_signed_header()
    {
        var request = AwsSdkSigner.SignEc2Post().WithHeader("Content-Type", "application/json");
        Rejected(request, "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Tampered_host()
    {
        var request = AwsSdkSigner.SignEc2Post().WithHeader("Host", "ec2.us-east-1.amazonaws.com");
        Rejected(request, "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Tampered_method_and_path()
    {
        var request = AwsSdkSigner.SignEc2Post();
        Rejected(request with { Method = "PUT" }, "SignatureDoesNotMatch", 403);
        Rejected(request with { Path = "/admin" }, "SignatureDoesNotMatch", 403);
        Rejected(request with { RawQueryString = "Action=TerminateInstances" }, "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Unsigned_header_may_change()
    {
        // Headers outside SignedHeaders are not covered (User-Agent is never signed by the SDKs).
        _verifier.Verify(AwsSdkSigner.SignEc2Post().WithHeader("User-Agent", "curl/8"), Secrets, SignedAt);
    }

    [Fact]
    public void Wrong_secret()
    {
        AssertRejected(
            () => _verifier.Verify(AwsSdkSigner.SignEc2Post(), _ => "wrong-secret", SignedAt),
            "SignatureDoesNotMatch",
            403);
    }

    [Fact]
    public void Unknown_access_key()
    {
        var ex = AssertRejected(() => _verifier.Verify(AwsSdkSigner.SignEc2Post(), _ => null, SignedAt), "AuthFailure", 401);
        Assert.Equal("AWS was not able to validate the provided access credentials", ex.Message);
    }

    [Fact]
    public void Expired_beyond_fifteen_minutes()
    {
        var request = AwsSdkSigner.SignEc2Post();
        _verifier.Verify(request, Secrets, SignedAt.AddMinutes(15));
        var ex = Rejected(request, "RequestExpired", 400, SignedAt.AddMinutes(15).AddSeconds(1));
        Assert.Equal("Request has expired.", ex.Message);
    }

    [Fact]
    public void Future_dated_beyond_fifteen_minutes()
    {
        var request = AwsSdkSigner.SignEc2Post();
        _verifier.Verify(request, Secrets, SignedAt.AddMinutes(-15));
        var ex = Rejected(request, "RequestExpired", 400, SignedAt.AddMinutes(-16));
        Assert.Equal(
            "Signature not yet current: 20240501T120000Z is still later than 20240501T115900Z (20240501T114400Z + 15 min.).",
            ex.Message);
    }

    [Fact]
    public void Wrong_service_in_scope()
    {
        var ex = Rejected(AwsSdkSigner.SignEc2Post(service: "s3"), "SignatureDoesNotMatch", 403);
        Assert.Equal("Credential should be scoped to correct service: 'ec2'.", ex.Message);
    }

    [Fact]
    public void Wrong_region_in_scope()
    {
        var ex = Rejected(AwsSdkSigner.SignEc2Post(region: "eu-west-1"), "SignatureDoesNotMatch", 403);
        Assert.Equal("Credential should be scoped to a valid region, not 'eu-west-1'.", ex.Message);
    }

    [Fact]
    public void Any_region_is_accepted_when_none_are_configured()
    {
        var verifier = new SigV4Verifier(new SigV4Options());
        var identity = verifier.Verify(AwsSdkSigner.SignEc2Post(region: "eu-west-1"), Secrets, SignedAt);
        Assert.Equal("eu-west-1", identity.Region);
    }

    [Fact]
    public void Scope_date_differs_from_x_amz_date()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace("/20240501/", "/20240430/", StringComparison.Ordinal));
        var ex = Rejected(request, "SignatureDoesNotMatch", 403);
        Assert.Equal(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240430' != '20240501', from '20240501T120000Z'.",
            ex.Message);
    }

    [Fact]
    public void Bad_scope_terminator()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace("/aws4_request", "/aws5_request", StringComparison.Ordinal));
        var ex = Rejected(request, "SignatureDoesNotMatch", 403);
        Assert.Equal("Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.", ex.Message);
    }

    [Fact]
    public void Credential_without_five_parts()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace("/us-east-1/ec2/", "/us-east-1/", StringComparison.Ordinal));
        var ex = Rejected(request, "IncompleteSignature", 400);
        Assert.StartsWith("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_missing_from_signed_headers()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace(";host;", ";", StringComparison.Ordinal));
        var ex = Rejected(request, "SignatureDoesNotMatch", 403);
        Assert.Equal("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", ex.Message);
    }

    [Fact]
    public void No_authentication_at_all()
    {
        var request = AwsSdkSigner.SignEc2Post().WithHeader("Authorization", null);
        var ex = Rejected(request, "MissingAuthenticationToken", 401);
        Assert.Equal("The request must contain either a valid (registered) AWS access key ID or X.509 certificate.", ex.Message);
    }

    [Theory]
    [InlineData("Credential=", "Authorization header requires 'Credential' parameter.")]
    [InlineData("SignedHeaders=", "Authorization header requires 'SignedHeaders' parameter.")]
    [InlineData("Signature=", "Authorization header requires 'Signature' parameter.")]
    public void Authorization_header_missing_a_parameter(string parameter, string expected)
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace(parameter, "Ignored=", StringComparison.Ordinal));
        var ex = Rejected(request, "IncompleteSignature", 400);
        Assert.StartsWith(expected + " Authorization=AWS4-HMAC-SHA256 ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Authorization_header_of_another_scheme_lists_everything_missing()
    {
        var request = AwsSdkSigner.SignEc2Post().WithHeader("Authorization", "Basic dXNlcjpwYXNz").WithHeader("X-Amz-Date", null);
        var ex = Rejected(request, "IncompleteSignature", 400);
        Assert.Equal(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
            + "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a "
            + "'X-Amz-Date' or a 'Date' header. Authorization=Basic dXNlcjpwYXNz",
            ex.Message);
    }

    [Fact]
    public void Unsupported_algorithm()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", StringComparison.Ordinal));
        var ex = Rejected(request, "IncompleteSignature", 400);
        Assert.Equal("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.", ex.Message);
    }

    [Fact]
    public void Parameter_without_equal_sign()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a.Replace("Credential=", "Credential ", StringComparison.Ordinal));
        var ex = Rejected(request, "IncompleteSignature", 400);
        Assert.StartsWith("'Credential AKIDSTRATUSDOTNET/20240501/us-east-1/ec2/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_date_header()
    {
        var ex = Rejected(AwsSdkSigner.SignEc2Post().WithHeader("X-Amz-Date", null), "IncompleteSignature", 400);
        Assert.StartsWith("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unparseable_date_header()
    {
        var ex = Rejected(AwsSdkSigner.SignEc2Post().WithHeader("X-Amz-Date", "2024-05-01 12:00"), "IncompleteSignature", 400);
        Assert.Equal("Date must be in ISO-8601 'basic format'. Got '2024-05-01 12:00'. See http://en.wikipedia.org/wiki/ISO_8601", ex.Message);
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("0123")]
    [InlineData("")]
    public void Malformed_signature_value(string signature)
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a => a[..(a.IndexOf("Signature=", StringComparison.Ordinal) + 10)] + signature);
        Rejected(request, "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Uppercase_hex_signature_is_accepted()
    {
        var request = AwsSdkSigner.SignEc2Post().WithAuthorization(a =>
        {
            var at = a.IndexOf("Signature=", StringComparison.Ordinal) + 10;
            return a[..at] + a[at..].ToUpperInvariant();
        });
        _verifier.Verify(request, Secrets, SignedAt);
    }

    [Fact]
    public void Both_header_and_query_authentication()
    {
        var request = AwsSdkSigner.SignEc2Post() with { RawQueryString = "X-Amz-Algorithm=AWS4-HMAC-SHA256" };
        Rejected(request, "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Presigned_url_expired()
    {
        var request = AwsSdkSigner.Presign("http://127.0.0.1:8080/?Action=DescribeRegions&Version=2016-11-15", TimeSpan.FromSeconds(60));
        _verifier.Verify(request, Secrets, SignedAt.AddSeconds(60));
        var ex = Rejected(request, "RequestExpired", 400, SignedAt.AddSeconds(61));
        Assert.Equal("Request has expired.", ex.Message);
    }

    [Fact]
    public void Presigned_url_missing_parameters()
    {
        var request = AwsSdkSigner.Presign("http://127.0.0.1:8080/?Action=DescribeRegions&Version=2016-11-15", TimeSpan.FromSeconds(60));
        var stripped = string.Join('&', request.RawQueryString.Split('&').Where(p =>
            !p.StartsWith("X-Amz-Signature=", StringComparison.Ordinal) && !p.StartsWith("X-Amz-Date=", StringComparison.Ordinal)));

        var ex = Rejected(request with { RawQueryString = stripped }, "IncompleteSignature", 400);
        Assert.Equal(
            "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
            ex.Message);
    }

    [Fact]
    public void Presigned_url_with_unsupported_algorithm()
    {
        var request = AwsSdkSigner.Presign("http://127.0.0.1:8080/?Action=DescribeRegions&Version=2016-11-15", TimeSpan.FromSeconds(60));
        var changed = request.RawQueryString.Replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", StringComparison.Ordinal);
        Rejected(request with { RawQueryString = changed }, "IncompleteSignature", 400);
    }

    [Theory]
    [InlineData("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800.")]
    [InlineData("-5", "X-Amz-Expires must be a non-negative whole number of seconds. Got '-5'.")]
    [InlineData("soon", "X-Amz-Expires must be a non-negative whole number of seconds. Got 'soon'.")]
    public void Presigned_url_with_invalid_expiry(string expires, string message)
    {
        var request = AwsSdkSigner.Presign("http://127.0.0.1:8080/?Action=DescribeRegions&Version=2016-11-15", TimeSpan.FromSeconds(60));
        var changed = request.RawQueryString.Replace("X-Amz-Expires=60", "X-Amz-Expires=" + expires, StringComparison.Ordinal);
        var ex = Rejected(request with { RawQueryString = changed }, "IncompleteSignature", 400);
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Presigned_url_with_extra_parameter()
    {
        var request = AwsSdkSigner.Presign("http://127.0.0.1:8080/?Action=DescribeRegions&Version=2016-11-15", TimeSpan.FromSeconds(60));
        Rejected(request with { RawQueryString = request.RawQueryString + "&DryRun=true" }, "SignatureDoesNotMatch", 403);
    }
}
