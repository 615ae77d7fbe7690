using Stratus.Protocol.Auth;
using Xunit;
using static Stratus.Protocol.Tests.Auth.SigV4TestSupport;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>
/// Requests from AWS's published SigV4 test suite (aws-sig-v4-test-suite: example key AKIDEXAMPLE, 20150830T123600Z,
/// us-east-1, service "service") and the IAM ListUsers example from the SigV4 documentation, each carrying the
/// signature AWS publishes for it. The verifier must accept every one, so each case pins one canonicalisation rule.
/// </summary>
public sealed class AwsTestSuiteVectorTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string Timestamp = "20150830T123600Z";
    private const string Host = "example.amazonaws.com";

    private static readonly DateTimeOffset SignedAt = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static readonly SigV4Verifier SuiteVerifier = new(new SigV4Options
    {
        AllowedServices = new HashSet<string>(StringComparer.Ordinal) { "service", "iam" },
        AllowedRegions = UsEast1,
    });

    public static TheoryData<string, string, string, string[], string, string, string> Vectors => new()
    {
        // name, method, request target, extra headers (name:value), body, signed headers, signature
        { "get-vanilla", "GET", "/", [], "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "post-vanilla", "POST", "/", [], "", "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
        { "post-vanilla-query", "POST", "/?Param1=value1", [], "", "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
        { "get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], "", "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
        { "get-slashes", "GET", "//example//", [], "", "host;x-amz-date", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },
        { "get-relative-relative", "GET", "/example1/example2/../..", [], "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "get-slash-dot-slash", "GET", "/./", [], "", "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
        { "get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", [], "", "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
        { "get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", [], "", "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
        { "get-vanilla-utf8-query (raw)", "GET", "/?\u1234=bar", [], "", "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
        { "get-vanilla-utf8-query (escaped)", "GET", "/?%e1%88%b4=bar", [], "", "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
        { "get-header-value-order", "GET", "/", ["My-Header1:value4", "My-Header1:value1", "My-Header1:value3", "My-Header1:value2"], "", "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
        { "get-header-key-duplicate", "GET", "/", ["My-Header1:value2", "My-Header1:value2", "My-Header1:value1"], "", "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
        { "get-header-value-trim", "GET", "/", ["My-Header1: value1", "My-Header2:\"a   b   c\""], "", "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
        { "post-x-www-form-urlencoded", "POST", "/", ["Content-Type:application/x-www-form-urlencoded"], "Param1=value1", "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Published_vector_verifies(
        string name,
        string method,
        string target,
        string[] extraHeaders,
        string body,
        string signedHeaders,
        string signature)
    {
        Assert.NotEmpty(name);
        var headers = new List<KeyValuePair<string, string>> { H("Host", Host), H("X-Amz-Date", Timestamp) };
        foreach (var header in extraHeaders)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            headers.Add(H(header[..colon], header[(colon + 1)..]));
        }

        headers.Add(H(
            "Authorization",
            $"AWS4-HMAC-SHA256 Credential={AccessKey}/20150830/us-east-1/service/aws4_request, SignedHeaders={signedHeaders}, Signature={signature}"));

        var request = Request(method, "https://" + Host + target, headers, body);
        var identity = SuiteVerifier.Verify(request, Secrets(AccessKey, Secret), SignedAt);

        Assert.Equal(new SigV4Identity(AccessKey, "us-east-1", "service", SignedAt, null), identity);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Published_vector_with_one_bit_of_signature_changed_fails(
        string name,
        string method,
        string target,
        string[] extraHeaders,
        string body,
        string signedHeaders,
        string signature)
    {
        Assert.NotEmpty(name);
        var headers = new List<KeyValuePair<string, string>> { H("Host", Host), H("X-Amz-Date", Timestamp) };
        foreach (var header in extraHeaders)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            headers.Add(H(header[..colon], header[(colon + 1)..]));
        }

        var flipped = (signature[^1] == '0' ? "1" : "0");
        headers.Add(H(
            "Authorization",
            $"AWS4-HMAC-SHA256 Credential={AccessKey}/20150830/us-east-1/service/aws4_request, SignedHeaders={signedHeaders}, Signature={signature[..^1]}{flipped}"));

        var request = Request(method, "https://" + Host + target, headers, body);
        AssertRejected(() => SuiteVerifier.Verify(request, Secrets(AccessKey, Secret), SignedAt), "SignatureDoesNotMatch", 403);
    }

    [Fact]
    public void Iam_list_users_documentation_example_verifies()
    {
        // The worked example of the SigV4 documentation: GET ListUsers on IAM, signed in the Authorization header.
        var request = Request(
            "GET",
            "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
            [
                H("Host", "iam.amazonaws.com"),
                H("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                H("X-Amz-Date", Timestamp),
                H("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"),
            ]);

        var identity = SuiteVerifier.Verify(request, Secrets(AccessKey, Secret), SignedAt.AddMinutes(3));

        Assert.Equal("iam", identity.Service);
        Assert.Equal(SignedAt, identity.SignedAt);
    }

    [Theory]
    [InlineData("20150830", "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")]
    [InlineData("20120215", "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")]
    public void Signing_key_matches_the_documented_derivation_examples(string date, string expectedHex)
    {
        // The SigV4 documentation derives these kSigning values for the example secret, us-east-1 and iam.
        var key = SigningKeyCache.Derive(Secret, date, "us-east-1", "iam");
        Assert.Equal(expectedHex, Convert.ToHexStringLower(key));
    }
}
