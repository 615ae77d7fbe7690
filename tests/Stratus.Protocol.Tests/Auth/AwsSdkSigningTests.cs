using System.Text;
using Amazon.Runtime.Signing;
using Stratus.Protocol.Auth;
using Xunit;
using static Stratus.Protocol.Tests.Auth.SigV4TestSupport;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>Requests signed by the AWS SDK for .NET (AWSSDK.Core) must verify.</summary>
public sealed class AwsSdkSigningTests
{
    private static readonly DateTimeOffset SignedAt = AwsSdkSigner.SignedAt;

    [Fact]
    public void Ec2_post_signed_by_the_sdk_verifies()
    {
        var request = AwsSdkSigner.SignEc2Post();

        var identity = Ec2Verifier().Verify(request, AwsSdkSigner.Secrets, SignedAt.AddSeconds(2));

        Assert.Equal(new SigV4Identity(AwsSdkSigner.AccessKey, "us-east-1", "ec2", SignedAt, null), identity);

        // The SDK signs its payload hash header too; the verifier checks it against the body.
        var authorization = request.Headers.Single(h => h.Key == "Authorization").Value;
        Assert.Contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,", authorization, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_credentials_pass_the_token_through()
    {
        var request = AwsSdkSigner.SignEc2Post(sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE/token=");

        var identity = Ec2Verifier().Verify(request, AwsSdkSigner.Secrets, SignedAt);

        Assert.Equal("IQoJb3JpZ2luX2VjEXAMPLE/token=", identity.SessionToken);
    }

    [Fact]
    public void Get_with_escaped_query_parameters_verifies()
    {
        var request = AwsSdkSigner.SignGet(
            "http://127.0.0.1:8080/?Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=web%20server%2B1%20%28%2A%29%20~");

        Ec2Verifier().Verify(request, AwsSdkSigner.Secrets, SignedAt);
    }

    [Fact]
    public void Presigned_url_from_the_sdk_verifies_until_it_expires()
    {
        var request = AwsSdkSigner.Presign(
            "http://127.0.0.1:8080/?Action=DescribeRegions&Version=2016-11-15&RegionName.1=us%20east%2B1%2A~",
            TimeSpan.FromMinutes(5));
        Assert.Contains("X-Amz-Expires=300", request.RawQueryString, StringComparison.Ordinal);

        var identity = Ec2Verifier().Verify(request, AwsSdkSigner.Secrets, SignedAt.AddMinutes(5));
        Assert.Equal(AwsSdkSigner.AccessKey, identity.AccessKeyId);

        AssertRejected(
            () => Ec2Verifier().Verify(request, AwsSdkSigner.Secrets, SignedAt.AddMinutes(5).AddSeconds(1)),
            "RequestExpired",
            400);
    }

    [Fact]
    public async Task Request_sent_through_the_sdk_signing_http_handler_verifies()
    {
        // SigV4SigningHandler is the SDK's DelegatingHandler for signing plain HttpClient requests.
        var capture = new CapturingHandler();
        var parameters = AwsSdkSigner.Parameters();
        using var handler = new SigV4SigningHandler(parameters, capture);
        using var client = new HttpClient(handler);
        using var content = new StringContent(AwsSdkSigner.Ec2Form, Encoding.UTF8, "application/x-www-form-urlencoded");

        using var response = await client.PostAsync(new Uri(AwsSdkSigner.Endpoint), content);

        var sent = Assert.IsType<SigV4Request>(capture.Sent);
        var identity = Ec2Verifier().Verify(sent, AwsSdkSigner.Secrets, SignedAt);
        Assert.Equal("ec2", identity.Service);
    }

    [Fact]
    public void Unsigned_payload_is_refused_unless_allowed()
    {
        // With payload signing off the SDK sends x-amz-content-sha256: UNSIGNED-PAYLOAD (HTTPS only).
        var request = AwsSdkSigner.SignEc2Post(endpoint: "https://127.0.0.1:8443/", signPayload: false);
        Assert.Contains(request.Headers, h => h.Key.Equals("x-amz-content-sha256", StringComparison.OrdinalIgnoreCase) && h.Value == "UNSIGNED-PAYLOAD");

        AssertRejected(() => Ec2Verifier().Verify(request, AwsSdkSigner.Secrets, SignedAt), "SignatureDoesNotMatch", 403);

        var lenient = new SigV4Verifier(Ec2Options with { AllowUnsignedPayload = true });
        lenient.Verify(request, AwsSdkSigner.Secrets, SignedAt);
    }

    [Fact]
    public void Signing_keys_are_cached_per_day_region_and_service()
    {
        var verifier = Ec2Verifier();
        verifier.Verify(AwsSdkSigner.SignEc2Post(), AwsSdkSigner.Secrets, SignedAt);
        verifier.Verify(AwsSdkSigner.SignEc2Post(body: AwsSdkSigner.Ec2Form + "&DryRun=true"), AwsSdkSigner.Secrets, SignedAt);
        Assert.Equal(1, verifier.CachedSigningKeys);
    }

    [Fact]
    public void Signing_key_cache_is_bounded()
    {
        var regions = new HashSet<string>(StringComparer.Ordinal) { "us-east-1", "us-west-2", "eu-west-1" };
        var verifier = new SigV4Verifier(new SigV4Options { AllowedRegions = regions, SigningKeyCacheSize = 2 });
        foreach (var region in regions)
        {
            verifier.Verify(AwsSdkSigner.SignEc2Post(region: region), AwsSdkSigner.Secrets, SignedAt);
            Assert.InRange(verifier.CachedSigningKeys, 1, 2);
        }
    }

    /// <summary>Stands in for the network: records the request as the server would receive it.</summary>
    private sealed class CapturingHandler : HttpMessageHandler
    {
        public SigV4Request? Sent { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            var headers = request.Headers.SelectMany(h => h.Value.Select(v => H(h.Key, v))).ToList();
            var body = Array.Empty<byte>();
            if (request.Content is not null)
            {
                headers.AddRange(request.Content.Headers.SelectMany(h => h.Value.Select(v => H(h.Key, v))));
                body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            }

            if (!headers.Any(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
            {
                headers.Add(H("Host", uri.IsDefaultPort ? uri.Host : uri.Authority));
            }

            var query = uri.Query.Length > 0 ? uri.Query[1..] : string.Empty;
            Sent = new SigV4Request(request.Method.Method, uri.AbsolutePath, query, headers, body);
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { RequestMessage = request };
        }
    }
}
