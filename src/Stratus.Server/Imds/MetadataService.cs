using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Domain.Accounts;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.Imds;

/// <summary>
/// The instance metadata service, served on the metadata port (every VPC forwards
/// <c>169.254.169.254:80</c> there). The caller is identified only by the connection's addresses
/// (<see cref="IInstanceRuntime.ResolveMetadataCaller"/>), never by anything in the request.
/// Rules (docs/imds.md):
/// <list type="bullet">
/// <item>Not a guest, an instance that is not pending or running, or <c>HttpEndpoint=disabled</c>: 404 for everything.</item>
/// <item>Over IPv6 (<c>[fd00:ec2::254]</c>) with <c>HttpProtocolIpv6=disabled</c>: the connection is cut, no answer.</item>
/// <item><c>PUT /latest/api/token</c>: TTL header 1–21600 (else 400), no <c>X-Forwarded-For</c> (else 403); the response leaves with IP TTL = hop limit + 1.</item>
/// <item>Reads: a token that is invalid, expired or another instance's → 401; no token → 401 when <c>HttpTokens=required</c>.</item>
/// </list>
/// </summary>
internal sealed partial class MetadataService(
    IInstanceRuntime runtime,
    IStateStore store,
    MetadataKeys keys,
    MetadataTokens tokens,
    SessionCredentialIssuer sessions,
    TimeProvider clock,
    ILogger<MetadataService> logger)
{
    private const string TokenPath = "/latest/api/token";
    private const string TtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
    private const string TokenHeader = "X-aws-ec2-metadata-token";

    private static readonly string[] VersionCategories = ["dynamic", "meta-data", "user-data"];

    /// <summary>The IP TTL last set on a token response's socket (for tests; null until a token is issued).</summary>
    internal short? LastTokenSocketTtl { get; private set; }

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        response.Headers.Server = "EC2ws";
        var local = http.Connection.LocalIpAddress;
        var remote = http.Connection.RemoteIpAddress;
        var caller = local is null || remote is null ? null : runtime.ResolveMetadataCaller(Normalize(local), Normalize(remote));
        if (caller is null)
        {
            LogUnknownCaller(logger, remote, local, http.Connection.LocalPort);
            await ErrorAsync(response, 404).ConfigureAwait(false);
            return;
        }

        var scope = new Scope(caller.AccountId, caller.Region);
        InstanceMetadataSource? source;
        string? roleName = null;
        await using (var session = await store.OpenReadAsync(http.RequestAborted).ConfigureAwait(false))
        {
            source = await InstanceMetadataSource.LoadAsync(session, scope, caller.InstanceId, http.RequestAborted).ConfigureAwait(false);
            // The role of the instance's profile, as it is now: none when the profile is gone or holds no role.
            if (source?.Instance?.IamInstanceProfileArn is { } profileArn
                && await Stratus.Domain.Iam.IamDirectory.FindInstanceProfileAsync(session, caller.AccountId, InstanceMetadata.RoleName(profileArn), http.RequestAborted)
                    .ConfigureAwait(false) is { } profile)
            {
                roleName = profile.Roles.FirstOrDefault();
            }
        }
        var instance = source?.Instance;
        if (instance is not null && IsIpv6(local!) && instance.MetadataOptions.HttpProtocolIpv6 != "enabled")
        {
            // The IPv6 endpoint is off for this instance: as unreachable as on EC2 (the VPC stops
            // forwarding it at its next filter update; until then the connection is cut).
            LogIpv6Disabled(logger, caller.InstanceId);
            http.Abort();
            return;
        }
        if (source is null || instance is null || instance.State is not (InstanceStates.Pending or InstanceStates.Running)
            || instance.MetadataOptions.HttpEndpoint != "enabled")
        {
            LogNotServed(logger, caller.InstanceId, instance?.State, instance?.MetadataOptions.HttpEndpoint);
            await ErrorAsync(response, 404).ConfigureAwait(false);
            return;
        }

        var path = request.Path.Value ?? "/";
        var now = clock.GetUtcNow();
        if (path == TokenPath)
        {
            await IssueTokenAsync(http, caller, instance, now).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            await ErrorAsync(response, 405).ConfigureAwait(false);
            return;
        }

        var token = request.Headers[TokenHeader].FirstOrDefault();
        if (token is not null)
        {
            var left = tokens.Validate(token, caller.AccountId, caller.InstanceId, now);
            if (left is null)
            {
                await ErrorAsync(response, 401).ConfigureAwait(false);
                return;
            }
            response.Headers[TtlHeader] = left.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (instance.MetadataOptions.HttpTokens == "required")
        {
            await ErrorAsync(response, 401).ConfigureAwait(false);
            return;
        }

        Func<SessionCredentials>? credentials = roleName is null ? null
            : () => sessions.Issue(caller.AccountId, caller.Region, caller.InstanceId, roleName, clock.GetUtcNow().UtcDateTime);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string? listing = null;
        byte[]? content = null;
        var contentType = "text/plain";
        if (segments.Length == 0)
        {
            listing = string.Join('\n', InstanceMetadata.Versions);
        }
        else if (InstanceMetadata.Versions.Contains(segments[0]))
        {
            var tree = InstanceMetadata.Build(source, credentials, keys);
            if (segments.Length == 1)
            {
                // The version level lists its categories without trailing slashes, as EC2 does.
                listing = string.Join('\n', VersionCategories.Where(n => tree.Child(n) is not null));
            }
            else
            {
                switch (tree.Find(segments.Skip(1)))
                {
                    case MetadataDirectory dir:
                        listing = dir.List();
                        break;
                    case MetadataLeaf leaf:
                        content = leaf.Content;
                        if (segments[1] == "user-data")
                        {
                            contentType = "application/octet-stream";
                        }
                        break;
                }
            }
        }
        if (listing is null && content is null)
        {
            await ErrorAsync(response, 404).ConfigureAwait(false);
            return;
        }
        content ??= Encoding.UTF8.GetBytes(listing!);
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.ContentLength = content.Length;
        if (!HttpMethods.IsHead(request.Method))
        {
            await response.Body.WriteAsync(content, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task IssueTokenAsync(HttpContext http, MetadataCaller caller, InstanceResource instance, DateTimeOffset now)
    {
        var request = http.Request;
        var response = http.Response;
        if (!HttpMethods.IsPut(request.Method))
        {
            response.Headers.Allow = "PUT";
            await ErrorAsync(response, 405).ConfigureAwait(false);
            return;
        }
        if (request.Headers.ContainsKey("X-Forwarded-For"))
        {
            await ErrorAsync(response, 403).ConfigureAwait(false);
            return;
        }
        if (MetadataTokens.ParseTtl(request.Headers[TtlHeader].FirstOrDefault()) is not { } ttl)
        {
            await ErrorAsync(response, 400).ConfigureAwait(false);
            return;
        }
        var token = tokens.Issue(caller.AccountId, caller.InstanceId, ttl, now);
        var socketTtl = MetadataTokens.SocketTtl(instance.MetadataOptions.HttpPutResponseHopLimit);
        var socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is { AddressFamily: AddressFamily.InterNetwork })
        {
            socket.Ttl = socketTtl;
            LastTokenSocketTtl = socketTtl;
        }
        else if (socket is { AddressFamily: AddressFamily.InterNetworkV6 })
        {
            // A dual-stack listener: IPv4 callers (v4-mapped) get the IPv4 TTL, IPv6 callers the hop limit.
            if (http.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true })
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, (int)socketTtl);
            }
            else
            {
                socket.Ttl = socketTtl;
            }
            LastTokenSocketTtl = socketTtl;
        }
        else
        {
            LogNoSocket(logger, caller.InstanceId);
        }
        var body = Encoding.ASCII.GetBytes(token);
        response.StatusCode = 200;
        response.ContentType = "text/plain";
        response.Headers[TtlHeader] = ttl.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>True for a connection to the IPv6 endpoint (a VPC uplink's IPv6 address; not IPv4, not loopback).</summary>
    private static bool IsIpv6(IPAddress local) =>
        local.AddressFamily == AddressFamily.InterNetworkV6 && !local.IsIPv4MappedToIPv6 && !IPAddress.IsLoopback(local);

    /// <summary>An error as IMDS sends it: the status and a small XHTML page naming it.</summary>
    private static async Task ErrorAsync(HttpResponse response, int status)
    {
        var reason = status switch
        {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            405 => "Method Not Allowed",
            _ => "Not Found",
        };
        var page = $"""
            <?xml version="1.0" encoding="iso-8859-1"?>
            <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
            	"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
            <html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
             <head>
              <title>{status} - {reason}</title>
             </head>
             <body>
              <h1>{status} - {reason}</h1>
             </body>
            </html>

            """;
        var body = Encoding.ASCII.GetBytes(page);
        response.StatusCode = status;
        response.ContentType = "text/html";
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(response.HttpContext.Request.Method))
        {
            await response.Body.WriteAsync(body).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "metadata request from {Remote} to {Local}:{Port} is not from a known guest")]
    private static partial void LogUnknownCaller(ILogger logger, IPAddress? remote, IPAddress? local, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "metadata not served to {InstanceId}: state {State}, endpoint {Endpoint}")]
    private static partial void LogNotServed(ILogger logger, string instanceId, string? state, string? endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "metadata over IPv6 not served to {InstanceId}: HttpProtocolIpv6 is disabled")]
    private static partial void LogIpv6Disabled(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "metadata token for {InstanceId} sent without a hop limit: the connection exposes no IPv4 socket")]
    private static partial void LogNoSocket(ILogger logger, string instanceId);
}
