using System.Globalization;
using System.Text;
using Stratus.Core;
using Stratus.Protocol.Auth;
using Xunit;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>Builders and assertions shared by the SigV4 tests.</summary>
internal static class SigV4TestSupport
{
    public static readonly IReadOnlySet<string> UsEast1 = new HashSet<string>(StringComparer.Ordinal) { "us-east-1" };

    /// <summary>The options the EC2 endpoint runs with: service ec2, region us-east-1.</summary>
    public static SigV4Options Ec2Options => new() { AllowedRegions = UsEast1 };

    public static SigV4Verifier Ec2Verifier() => new(Ec2Options);

    /// <summary>
    /// Splits an absolute URL into the raw path and query exactly as they would appear on the request line
    /// (System.Uri is not used: it would normalise dot segments and escapes).
    /// </summary>
    public static (string Path, string Query) SplitUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var pathStart = url.IndexOf('/', schemeEnd + 3);
        if (pathStart < 0)
        {
            return ("/", string.Empty);
        }

        var target = url[pathStart..];
        var q = target.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? (target, string.Empty) : (target[..q], target[(q + 1)..]);
    }

    public static SigV4Request Request(
        string method,
        string url,
        IEnumerable<KeyValuePair<string, string>> headers,
        string? body = null)
    {
        var (path, query) = SplitUrl(url);
        return new SigV4Request(method, path, query, headers.ToList(), Encoding.UTF8.GetBytes(body ?? string.Empty));
    }

    public static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    /// <summary>A copy of <paramref name="request"/> with every <paramref name="name"/> header replaced by one value (or removed).</summary>
    public static SigV4Request WithHeader(this SigV4Request request, string name, string? value)
    {
        var headers = request.Headers.Where(h => !string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (value is not null)
        {
            headers.Add(H(name, value));
        }

        return request with { Headers = headers };
    }

    /// <summary>A copy of <paramref name="request"/> with its Authorization header rewritten.</summary>
    public static SigV4Request WithAuthorization(this SigV4Request request, Func<string, string> rewrite)
    {
        var current = request.Headers.First(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value;
        return request.WithHeader("Authorization", rewrite(current));
    }

    public static SigV4Request WithBody(this SigV4Request request, string body) =>
        request with { Body = Encoding.UTF8.GetBytes(body) };

    public static DateTimeOffset ParseIsoBasic(string value) =>
        DateTimeOffset.ParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static Func<string, string?> Secrets(string accessKeyId, string secret) =>
        id => string.Equals(id, accessKeyId, StringComparison.Ordinal) ? secret : null;

    /// <summary>Asserts that verification fails with AWS's <paramref name="code"/> and HTTP <paramref name="status"/>.</summary>
    public static AwsException AssertRejected(Action verify, string code, int status)
    {
        var ex = Assert.Throws<AwsException>(verify);
        Assert.Equal(code, ex.Code);
        Assert.Equal(status, ex.StatusCode);
        return ex;
    }
}
