using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Stratus.Protocol.Auth;
using static Stratus.Protocol.Tests.Auth.SigV4TestSupport;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>
/// Signs requests with the AWS SDK for .NET's own SigV4 signer (AWSSDK.Core 4.x, <see cref="AWSSigV4Signer"/>:
/// the standalone entry point over the SDK's internal AWS4Signer / AWS4PreSignedUrlSigner) and turns the result
/// into the <see cref="SigV4Request"/> the server would see.
/// </summary>
internal static class AwsSdkSigner
{
    public const string AccessKey = "AKIDSTRATUSDOTNET";
    public const string Secret = "dotnet/Secret+Key/EXAMPLEabcdef0123456789";
    public const string Endpoint = "http://127.0.0.1:8080/";
    public const string Ec2Form = "Action=DescribeRegions&Version=2016-11-15";
    public const string FormContentType = "application/x-www-form-urlencoded; charset=utf-8";

    public static readonly DateTimeOffset SignedAt = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static Func<string, string?> Secrets => SigV4TestSupport.Secrets(AccessKey, Secret);

    public static AWSSigV4Parameters Parameters(
        string region = "us-east-1",
        string service = "ec2",
        string? sessionToken = null,
        bool signPayload = true) => new()
        {
            Credentials = sessionToken is null
                ? new BasicAWSCredentials(AccessKey, Secret)
                : new SessionAWSCredentials(AccessKey, Secret, sessionToken),
            Region = RegionEndpoint.GetBySystemName(region),
            Service = service,
            SignedAt = SignedAt.UtcDateTime,
            SignPayload = signPayload,
        };

    /// <summary>An EC2 query-protocol POST (form body), signed in the Authorization header.</summary>
    public static SigV4Request SignEc2Post(
        string body = Ec2Form,
        string region = "us-east-1",
        string service = "ec2",
        string? sessionToken = null,
        string endpoint = Endpoint,
        bool signPayload = true)
    {
        var request = new AWSSigningRequest
        {
            HttpMethod = HttpMethod.Post,
            RequestUri = new Uri(endpoint),
            Content = Encoding.UTF8.GetBytes(body),
        };
        request.Headers["Content-Type"] = FormContentType;

        var result = AWSSigV4Signer.Sign(request, Parameters(region, service, sessionToken, signPayload));
        return ToWire("POST", endpoint, request.Headers, result.Headers, body);
    }

    /// <summary>A GET with query parameters, signed in the Authorization header.</summary>
    public static SigV4Request SignGet(string url)
    {
        var request = new AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri(url) };
        var result = AWSSigV4Signer.Sign(request, Parameters());
        return ToWire("GET", url, request.Headers, result.Headers, body: null);
    }

    /// <summary>A presigned GET URL.</summary>
    public static SigV4Request Presign(string url, TimeSpan expiry, string? sessionToken = null)
    {
        var request = new AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri(url) };
        var result = AWSSigV4Signer.Presign(request, Parameters(sessionToken: sessionToken), expiry);
        var headers = result.SignedHeaders.Select(h => H(h.Key, h.Value)).ToList();
        AddHostIfMissing(headers, result.Uri);
        return SigV4TestSupport.Request("GET", result.Uri.OriginalString, headers);
    }

    /// <summary>The request as an HTTP client sends it: the caller's headers, the signer's headers and Host.</summary>
    private static SigV4Request ToWire(
        string method,
        string url,
        IDictionary<string, string> requestHeaders,
        IDictionary<string, string> signedHeaders,
        string? body)
    {
        var headers = requestHeaders.Select(h => H(h.Key, h.Value)).ToList();
        foreach (var header in signedHeaders)
        {
            headers.RemoveAll(h => string.Equals(h.Key, header.Key, StringComparison.OrdinalIgnoreCase));
            headers.Add(H(header.Key, header.Value));
        }

        AddHostIfMissing(headers, new Uri(url));
        return SigV4TestSupport.Request(method, url, headers, body);
    }

    private static void AddHostIfMissing(List<KeyValuePair<string, string>> headers, Uri uri)
    {
        if (!headers.Any(h => string.Equals(h.Key, "Host", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Add(H("Host", uri.IsDefaultPort ? uri.Host : uri.Authority));
        }
    }
}
