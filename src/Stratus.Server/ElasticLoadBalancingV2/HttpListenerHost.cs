using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stratus.Domain.ElasticLoadBalancingV2;
using Yarp.ReverseProxy.Forwarder;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// An HTTP or HTTPS listener of an Application Load Balancer: a Kestrel server on the load
/// balancer's address and the listener's port that evaluates the listener's rules on each request
/// (<see cref="RuleMatcher"/>) and answers with the chosen action — fixed-response, redirect, or
/// forward through YARP's <see cref="IHttpForwarder"/> to a healthy target of a (weighted) target
/// group, with X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id, target group stickiness
/// (<c>AWSALBTG</c>) and target stickiness (<c>AWSALB</c>) cookies. HTTPS listeners present a
/// self-signed certificate for the load balancer's DNS name (the certificate ARN is recorded, not fetched).
/// Requests reach targets inside the VPC from the load balancer's node there (<see cref="TargetConnector"/>).
/// </summary>
internal sealed class HttpListenerHost : IListenerHost
{
    /// <summary>
    /// The connections to targets, one pool per listener: they leave from the load balancer's nodes
    /// inside its VPC (<see cref="TargetConnector"/>), and targets of different VPCs may share an address.
    /// </summary>
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = TargetConnector.ConnectHttpAsync,
        // Load balancers do not validate targets' certificates (targets commonly use self-signed ones), as AWS documents.
#pragma warning disable CA5359
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
    });

    private readonly WebApplication _app;
    private readonly IPEndPoint _endpoint;
    private readonly IReadOnlyList<NodeBinding> _nodes;
    private readonly string _protocol;
    private readonly string _arn;
    private readonly LoadBalancerDataPlane _plane;
    private readonly IHttpForwarder _forwarder;

    private HttpListenerHost(WebApplication app, IPEndPoint endpoint, IReadOnlyList<NodeBinding> nodes, string protocol, string arn, LoadBalancerDataPlane plane, IHttpForwarder forwarder)
    {
        _app = app;
        _endpoint = endpoint;
        _nodes = nodes;
        _protocol = protocol;
        _arn = arn;
        _plane = plane;
        _forwarder = forwarder;
    }

    public bool Serves(ListenerRoute route, IReadOnlyList<NodeBinding> nodes) =>
        ListenerAddress.Of(route).Equals(_endpoint) && route.Listener.Protocol == _protocol && ListenerAddress.Same(_nodes, nodes);

    /// <summary>
    /// Starts the listener on the load balancer's host address and on its nodes' addresses inside
    /// the VPC (sockets Kestrel gets already bound in the VPC's namespace).
    /// </summary>
    public static async Task<HttpListenerHost> StartAsync(LoadBalancerDataPlane plane, ListenerRoute route, IReadOnlyList<NodeBinding> nodes, IHttpForwarder forwarder, ILogger log, CancellationToken ct)
    {
        var endpoint = ListenerAddress.Of(route);
        var inVpc = nodes.ToDictionary(n => new IPEndPoint(n.Address, route.Listener.Port), n => n);
        var https = route.Listener.Protocol == "HTTPS";
        var certificate = https ? SelfSigned(route.LoadBalancer.DnsName) : null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = at =>
            at is IPEndPoint ip && inVpc.TryGetValue(ip, out var node)
                ? ListenerAddress.Bind(node, ip.Port)
                : Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.CreateDefaultBoundListenSocket(at));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(ElbAttributes.Int(route.LoadBalancer.Attributes, "idle_timeout.timeout_seconds", 60));
            var lbArn = route.LoadBalancer.Arn;
            foreach (var at in inVpc.Keys.Prepend(endpoint))
            {
                k.Listen(at, o =>
                {
                    // Counted before TLS: connections and the bytes on the wire (ActiveConnectionCount,
                    // NewConnectionCount, ProcessedBytes).
                    o.Use(next => async connection =>
                    {
                        var traffic = plane.Traffic;
                        traffic.Opened(lbArn);
                        var transport = connection.Transport;
                        connection.Transport = new CountingDuplexPipe(transport, n => traffic.Bytes(lbArn, n));
                        try
                        {
                            await next(connection).ConfigureAwait(false);
                        }
                        finally
                        {
                            connection.Transport = transport;
                            traffic.Closed(lbArn);
                        }
                    });
                    if (certificate is not null)
                    {
                        o.Protocols = HttpProtocols.Http1AndHttp2;
                        o.UseHttps(certificate);
                    }
                    else
                    {
                        o.Protocols = HttpProtocols.Http1;
                    }
                });
            }
        });
        builder.WebHost.UseUrls();
        var app = builder.Build();
        var host = new HttpListenerHost(app, endpoint, nodes, route.Listener.Protocol, route.Listener.Arn, plane, forwarder);
        app.Run(host.HandleAsync);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _ = log;
        return host;
    }

    private static X509Certificate2 SelfSigned(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!_plane.State.Listeners.TryGetValue(_arn, out var route))
        {
            context.Response.StatusCode = 503;
            return;
        }
        var request = context.Request;
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.QueryString.Value)
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
        var ruleRequest = new RuleRequest(request.Method, request.Host.Value ?? "", request.Path.Value ?? "/", query,
            name => request.Headers[name].Select(v => v ?? "").ToList(), context.Connection.RemoteIpAddress);
        var actions = RuleMatcher.Select(route.Rules, route.Listener.DefaultActions, ruleRequest);
        var action = actions.OrderBy(a => a.Order ?? int.MaxValue).First(a => a.Type is "forward" or "redirect" or "fixed-response");
        var traffic = _plane.Traffic;
        var lbArn = route.LoadBalancer.Arn;
        var nodeZone = route.LoadBalancer.Zones.FirstOrDefault()?.ZoneName;
        switch (action.Type)
        {
            case "fixed-response":
                traffic.Request(lbArn, null, nodeZone, int.Parse(action.FixedStatusCode!, CultureInfo.InvariantCulture), fromTarget: false, null, targetChosen: false);
                context.Response.StatusCode = int.Parse(action.FixedStatusCode!, CultureInfo.InvariantCulture);
                if (action.FixedContentType is { } type)
                {
                    context.Response.ContentType = type;
                }
                if (action.FixedMessageBody is { } body)
                {
                    await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
                }
                return;
            case "redirect":
                context.Response.StatusCode = action.RedirectStatusCode == "HTTP_301" ? 301 : 302;
                traffic.Request(lbArn, null, nodeZone, context.Response.StatusCode, fromTarget: false, null, targetChosen: false);
                context.Response.Headers.Location = RedirectLocation(action, route, context);
                return;
            default:
                await ForwardAsync(context, route, action).ConfigureAwait(false);
                return;
        }
    }

    internal static string RedirectLocation(RuleAction action, ListenerRoute route, HttpContext context)
    {
        var request = context.Request;
        var protocol = route.Listener.Protocol.ToLowerInvariant();
        var host = request.Host.Host;
        var port = route.Listener.Port.ToString(CultureInfo.InvariantCulture);
        var path = (request.Path.Value ?? "/").TrimStart('/');
        var queryText = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        string Fill(string? template) => (template ?? "")
            .Replace("#{protocol}", protocol, StringComparison.Ordinal)
            .Replace("#{host}", host, StringComparison.Ordinal)
            .Replace("#{port}", port, StringComparison.Ordinal)
            .Replace("#{path}", path, StringComparison.Ordinal)
            .Replace("#{query}", queryText, StringComparison.Ordinal);
        var scheme = Fill(action.RedirectProtocol).ToLowerInvariant();
        var targetPort = Fill(action.RedirectPort);
        var portPart = (scheme, targetPort) is ("http", "80") or ("https", "443") ? "" : ":" + targetPort;
        var targetQuery = Fill(action.RedirectQuery);
        return $"{scheme}://{Fill(action.RedirectHost)}{portPart}{Fill(action.RedirectPath)}{(targetQuery.Length > 0 ? "?" + targetQuery : "")}";
    }

    private async Task ForwardAsync(HttpContext context, ListenerRoute route, RuleAction action)
    {
        var state = _plane.State;
        var groups = action.ForwardTargetGroups ?? [new WeightedTargetGroup(action.TargetGroupArn!, 1)];
        WeightedTargetGroup? chosen = null;
        if (action.StickinessEnabled == true && context.Request.Cookies.TryGetValue("AWSALBTG", out var stickyGroup))
        {
            chosen = groups.FirstOrDefault(g => Key(g.TargetGroupArn) == stickyGroup && (g.Weight ?? 1) > 0);
        }
        if (chosen is null)
        {
            var total = groups.Sum(g => g.Weight ?? 1);
            if (total <= 0)
            {
                await Unavailable(context, route, null).ConfigureAwait(false);
                return;
            }
            var roll = Random.Shared.Next(total);
            foreach (var group in groups)
            {
                roll -= group.Weight ?? 1;
                if (roll < 0)
                {
                    chosen = group;
                    break;
                }
            }
        }
        if (chosen is null || !state.TargetGroups.TryGetValue(chosen.TargetGroupArn, out var targetGroup))
        {
            await Unavailable(context, route, null).ConfigureAwait(false);
            return;
        }
        var tg = targetGroup.Group;
        var stickyTargets = ElbAttributes.Bool(tg.Attributes, "stickiness.enabled");
        string? stickyTarget = null;
        if (stickyTargets && context.Request.Cookies.TryGetValue("AWSALB", out var cookie))
        {
            stickyTarget = cookie;
        }
        var target = _plane.Selector.Pick(targetGroup, stickyTarget is null ? null : Unkey(stickyTarget));
        if (target is null)
        {
            await Unavailable(context, route, tg.Arn).ConfigureAwait(false);
            return;
        }
        var cookies = new List<string>();
        if (action.StickinessEnabled == true)
        {
            cookies.Add($"AWSALBTG={Key(chosen.TargetGroupArn)}; Max-Age={action.StickinessDurationSeconds ?? 3600}; Path=/");
        }
        if (stickyTargets)
        {
            cookies.Add($"AWSALB={Key(target.Key)}; Max-Age={ElbAttributes.Int(tg.Attributes, "stickiness.lb_cookie.duration_seconds", 86400)}; Path=/");
        }
        using var tracking = _plane.Selector.Track(target);
        var node = TargetConnector.NodeFor(_plane.NodesOf(route.LoadBalancer.Arn), target);
        var config = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = TimeSpan.FromSeconds(ElbAttributes.Int(route.LoadBalancer.Attributes, "idle_timeout.timeout_seconds", 60)) };
        var transformer = new AlbTransformer(route, cookies, ElbAttributes.Bool(route.LoadBalancer.Attributes, "routing.http.xff_client_port.enabled"),
            route.LoadBalancer.Attributes.GetValueOrDefault("routing.http.xff_header_processing.mode") ?? "append", node);
        var destination = $"{(tg.Protocol == "HTTPS" ? "https" : "http")}://{TargetConnector.AddressFor(node, target)}:{target.Port.ToString(CultureInfo.InvariantCulture)}/";
        var error = await _forwarder.SendAsync(context, destination, _invoker, config, transformer).ConfigureAwait(false);
        // What the target answered, or what the load balancer answered for it (502 when the target
        // could not be reached or answered nonsense, 504 when it did not answer in time).
        var fromTarget = transformer.TargetAnswered;
        var lbArn = route.LoadBalancer.Arn;
        var zone = target.Zone ?? route.LoadBalancer.Zones.FirstOrDefault()?.ZoneName;
        if ((error is ForwarderError.Request or ForwarderError.RequestTimedOut) && !fromTarget)
        {
            _plane.Traffic.TargetConnectionError(lbArn, tg.Arn, zone);
        }
        _plane.Traffic.Request(lbArn, tg.Arn, zone, context.Response.StatusCode, fromTarget, fromTarget ? transformer.TargetSeconds : null, targetChosen: true);
    }

    private static string Key(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? Unkey(string value)
    {
        try
        {
            var text = value.Replace('-', '+').Replace('_', '/');
            return Encoding.UTF8.GetString(Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=')));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private Task Unavailable(HttpContext context, ListenerRoute route, string? targetGroupArn)
    {
        _plane.Traffic.Request(route.LoadBalancer.Arn, targetGroupArn, route.LoadBalancer.Zones.FirstOrDefault()?.ZoneName, 503, fromTarget: false, null, targetChosen: false);
        context.Response.StatusCode = 503;
        context.Response.ContentType = "text/html";
        return context.Response.WriteAsync("<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _invoker.Dispose();
    }

    /// <summary>Keeps the client's Host, adds the X-Forwarded-* headers and X-Amzn-Trace-Id as an ALB does, and sets stickiness cookies.</summary>
    private sealed class AlbTransformer(ListenerRoute route, List<string> cookies, bool clientPort, string xffMode, NodeBinding? node) : HttpTransformer
    {
        private long _sent;

        /// <summary>Whether the target's response headers arrived.</summary>
        public bool TargetAnswered { get; private set; }

        /// <summary>Seconds from the request leaving for the target to its response headers (TargetResponseTime).</summary>
        public double TargetSeconds { get; private set; }

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
            if (node is not null)
            {
                proxyRequest.Options.Set(TargetConnector.NodeOption, node);
            }
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
            var remote = httpContext.Connection.RemoteIpAddress?.MapToIPv4().ToString() ?? "";
            if (clientPort)
            {
                remote += ":" + httpContext.Connection.RemotePort.ToString(CultureInfo.InvariantCulture);
            }
            var existing = httpContext.Request.Headers["X-Forwarded-For"].ToString();
            proxyRequest.Headers.Remove("X-Forwarded-For");
            switch (xffMode)
            {
                case "remove":
                    break;
                case "preserve":
                    if (existing.Length > 0)
                    {
                        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", existing);
                    }
                    break;
                default:
                    proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", existing.Length > 0 ? existing + ", " + remote : remote);
                    break;
            }
            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", route.Listener.Protocol.ToLowerInvariant());
            proxyRequest.Headers.Remove("X-Forwarded-Port");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Port", route.Listener.Port.ToString(CultureInfo.InvariantCulture));
            if (!proxyRequest.Headers.Contains("X-Amzn-Trace-Id"))
            {
                var epoch = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture);
                proxyRequest.Headers.TryAddWithoutValidation("X-Amzn-Trace-Id", $"Root=1-{epoch}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}");
            }
            _sent = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (proxyResponse is not null)
            {
                TargetAnswered = true;
                TargetSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(_sent).TotalSeconds;
            }
            var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
            foreach (var cookie in cookies)
            {
                httpContext.Response.Headers.Append("Set-Cookie", cookie);
            }
            return result;
        }
    }
}
