using Microsoft.AspNetCore.Http;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// CloudWatch as guests reach it: on the metadata listener (169.254.169.254:80 inside every VPC),
/// a request signed for the <c>monitoring</c> service goes to the CloudWatch API, and one signed for
/// <c>logs</c> to CloudWatch Logs, as if it had come to the API port; everything else there stays
/// IMDS's. Guests reach no other host service, so this is how an agent in the guest (the CloudWatch
/// agent in Stratus's images) publishes metrics and log events with its instance profile's
/// credentials. Only those two: a request naming another service's JSON target or RPC v2 path, or
/// signed for another service, is IMDS's (which answers 405/404).
/// </summary>
public static class GuestEndpoint
{
    private const string JsonTargetPrefix = "GraniteServiceVersion20100801.";
    private const string CborServicePath = "/service/GraniteServiceVersion20100801/";

    private const string LogsTargetPrefix = "Logs_20140328.";

    /// <summary>
    /// True for a POST signed for <c>monitoring</c> (CloudWatch: Query at <c>/</c>, a JSON target or
    /// the RPC v2 CBOR path) or for <c>logs</c> (CloudWatch Logs: a <c>Logs_20140328.</c> target at
    /// <c>/</c>); such a request goes to the API instead of IMDS.
    /// </summary>
    public static bool IsCloudWatchOrLogsRequest(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method))
        {
            return false;
        }
        var service = SigningService(request.Headers.Authorization.ToString());
        var target = request.Headers["X-Amz-Target"].ToString();
        if (service == "logs")
        {
            return target.StartsWith(LogsTargetPrefix, StringComparison.Ordinal) && (request.Path.Value ?? "/") == "/";
        }
        if (service != "monitoring")
        {
            return false;
        }
        if (target.Length > 0 && !target.StartsWith(JsonTargetPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var path = request.Path.Value ?? "/";
        return path == "/" || path.StartsWith(CborServicePath, StringComparison.Ordinal);
    }

    /// <summary>The service of a SigV4 Authorization header's credential scope (<c>Credential=AKID/date/region/service/aws4_request</c>).</summary>
    public static string? SigningService(string authorization)
    {
        if (!authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return null;
        }
        var at = authorization.IndexOf("Credential=", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var end = authorization.IndexOf(',', at);
        var scope = (end < 0 ? authorization[(at + 11)..] : authorization[(at + 11)..end]).Trim().Split('/');
        return scope.Length == 5 && scope[4] == "aws4_request" ? scope[3] : null;
    }
}
