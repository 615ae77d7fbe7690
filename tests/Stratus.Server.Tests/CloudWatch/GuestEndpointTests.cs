using Microsoft.AspNetCore.Http;
using Stratus.Server.CloudWatch;

namespace Stratus.Server.Tests.CloudWatch;

public class GuestEndpointTests
{
    private const string Monitoring = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261207/us-east-1/monitoring/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=00";

    private static HttpRequest Request(string method, string path, string? authorization, string? target = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }
        if (target is not null)
        {
            http.Request.Headers["X-Amz-Target"] = target;
        }
        return http.Request;
    }

    [Fact]
    public void The_signing_service_is_read_from_the_credential_scope()
    {
        Assert.Equal("monitoring", GuestEndpoint.SigningService(Monitoring));
        Assert.Equal("ec2", GuestEndpoint.SigningService("AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00"));
        Assert.Null(GuestEndpoint.SigningService("AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/ec2, SignedHeaders=host"));
        Assert.Null(GuestEndpoint.SigningService("Bearer x"));
        Assert.Null(GuestEndpoint.SigningService(""));
    }

    [Fact]
    public void Only_signed_CloudWatch_and_CloudWatch_Logs_posts_leave_the_metadata_service()
    {
        Assert.True(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", Monitoring)));
        Assert.True(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", Monitoring, "GraniteServiceVersion20100801.PutMetricData")));
        Assert.True(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/service/GraniteServiceVersion20100801/operation/PutMetricData", Monitoring)));
        var logs = Monitoring.Replace("/monitoring/", "/logs/", StringComparison.Ordinal);
        Assert.True(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", logs, "Logs_20140328.PutLogEvents")));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", logs, "GraniteServiceVersion20100801.PutMetricData")));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/latest/meta-data/", logs, "Logs_20140328.PutLogEvents")));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", Monitoring, "Logs_20140328.PutLogEvents")));
        // IMDS's own requests, other services, other targets and paths stay IMDS's.
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("PUT", "/latest/api/token", null)));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("GET", "/latest/meta-data/", Monitoring)));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", Monitoring.Replace("/monitoring/", "/ec2/", StringComparison.Ordinal))));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/", Monitoring, "AmazonEC2.RunInstances")));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/latest/meta-data/", Monitoring)));
        Assert.False(GuestEndpoint.IsCloudWatchOrLogsRequest(Request("POST", "/service/AmazonEC2/operation/RunInstances", Monitoring)));
    }
}
