using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Accounts;
using Stratus.Server.Hosting;

namespace Stratus.Server.Gateway;

/// <summary>
/// Readiness of the API and the warm-up that earns it. A fresh process spends over a second of
/// CPU on the first request (loading and compiling the service models, the codecs, SigV4, the
/// store's statements, Kestrel's request path); the warm-up pays that at start, through the same
/// code: a request over the listening socket, a signature check, and a read-only operation of
/// every service through its codec and handler. <c>/_stratus/health</c> answers ready only after.
/// </summary>
internal sealed class GatewayWarmUp(
    GatewayEndpoint gateway,
    ServiceRouter router,
    IEnumerable<IAwsService> services,
    RequestAuthenticator authenticator,
    AccountService accounts,
    TimeProvider clock,
    ApiReadiness readiness,
    ILogger<GatewayWarmUp> logger)
{
    private static readonly string Version =
        typeof(GatewayWarmUp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private volatile bool _ready;

    public bool IsReady => _ready;

    /// <summary>Warm-up operations per service: a read-only call whose input needs no members.</summary>
    private static readonly Dictionary<string, string> WarmUpOperations = new(StringComparer.Ordinal)
    {
        ["ec2"] = "DescribeRegions",
        ["sts"] = "GetCallerIdentity",
        ["servicequotas"] = "ListServices",
        ["logs"] = "DescribeLogGroups",
    };

    /// <summary>
    /// EC2's most common reads, beyond DescribeRegions: a page of instances (its serializer, the
    /// store's page read) and one instance by id (the lookup by id, or its not-found error).
    /// </summary>
    private static readonly (string Operation, KeyValuePair<string, string>[] Parameters)[] Ec2Reads =
    [
        ("DescribeInstances", [new("MaxResults", "5")]),
        ("DescribeInstances", [new("InstanceId.1", "i-0123456789abcdef0")]),
        ("DescribeSecurityGroups", [new("MaxResults", "5")]),
    ];

    public async Task RunAsync(IReadOnlyList<string> urls, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        try
        {
            var root = (await accounts.BootstrapAsync(ct).ConfigureAwait(false)).Credentials;
            await VerifySignatureAsync(root.AccessKey.AccessKeyId, ct).ConfigureAwait(false);
            foreach (var service in services)
            {
                _ = service.Model.Operations.Count;
                var name = WarmUpOperations.GetValueOrDefault(service.Endpoint.SigningName);
                if (name is not null && service.ImplementedOperations.Contains(name))
                {
                    await gateway.WarmUpAsync(service, name, root.Account.AccountId, ct).ConfigureAwait(false);
                }
                if (service.Endpoint.SigningName == "ec2")
                {
                    foreach (var (operation, parameters) in Ec2Reads.Where(r => service.ImplementedOperations.Contains(r.Operation)))
                    {
                        try
                        {
                            await gateway.WarmUpAsync(service, operation, root.Account.AccountId, ct, parameters).ConfigureAwait(false);
                        }
                        catch (AwsException)
                        {
                            // Expected for the made-up id (InvalidInstanceID.NotFound): the lookup ran.
                        }
                    }
                }
            }
            await RoundTripAsync(urls, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Warming up is an optimisation: the API answers without it, only the first request is slower.
            logger.LogWarning(e, "Warm-up of the request path failed");
        }
        finally
        {
            // Background controllers wait for this (see ApiReadiness), also when the warm-up failed.
            readiness.Signal();
        }
        _ready = true;
        if (logger.IsEnabled(LogLevel.Information))
        {
            using var process = Process.GetCurrentProcess();
            logger.LogInformation("API ready: request path warmed up in {ElapsedMs:F0} ms ({CpuMs:F0} ms CPU), {SinceStartMs:F0} ms after the process started ({ProcessCpuMs:F0} ms CPU in all, JIT {JitMs:F0} ms for {JitMethods} methods)",
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, (process.TotalProcessorTime - cpuBefore).TotalMilliseconds,
                (DateTime.Now - process.StartTime).TotalMilliseconds, process.TotalProcessorTime.TotalMilliseconds,
                System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds, System.Runtime.JitInfo.GetCompiledMethodCount());
        }
    }

    /// <summary>Runs SigV4 verification once over a well-formed request whose signature does not match.</summary>
    private async Task VerifySignatureAsync(string accessKeyId, CancellationToken ct)
    {
        var http = new DefaultHttpContext();
        var now = clock.GetUtcNow().UtcDateTime;
        var request = http.Request;
        request.Method = "POST";
        request.Path = "/";
        request.Host = new HostString("127.0.0.1");
        http.Features.Get<IHttpRequestFeature>()!.RawTarget = "/";
        request.Headers["X-Amz-Date"] = now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        request.Headers.Authorization =
            $"AWS4-HMAC-SHA256 Credential={accessKeyId}/{now:yyyyMMdd}/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature={new string('0', 64)}";
        try
        {
            await authenticator.AuthenticateAsync(request, "Action=DescribeRegions&Version=2016-11-15"u8.ToArray(), clock.GetUtcNow()).ConfigureAwait(false);
        }
        catch (AwsException)
        {
            // Expected: the signature is made up; the canonical request and HMACs were computed.
        }
        ct.ThrowIfCancellationRequested();
    }

    private static async Task RoundTripAsync(IReadOnlyList<string> urls, CancellationToken ct)
    {
        var first = urls.Count > 0 ? urls[0] : null;
        if (first is null || !Uri.TryCreate(first.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://[::1]", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return;
        }
        using var handler = new SocketsHttpHandler { UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var content = new StringContent("Action=DescribeRegions&Version=2016-11-15", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await client.PostAsync(uri, content, ct).ConfigureAwait(false);
        _ = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The health document: readiness, version, and each service's state.</summary>
    public async Task WriteHealthAsync(HttpContext http)
    {
        var document = new Dictionary<string, object>
        {
            ["status"] = _ready ? "ready" : "starting",
            ["version"] = Version,
            ["uptimeSeconds"] = Math.Round((DateTime.UtcNow - Operations.ServerStatus.StartedAt).TotalSeconds, 1),
            ["components"] = await Operations.OperationsEndpoints.HealthComponentsAsync(http.RequestServices, http.RequestAborted).ConfigureAwait(false),
            ["services"] = router.AllServices.OrderBy(s => s.Endpoint.SigningName, StringComparer.Ordinal).ToDictionary(s => s.Endpoint.SigningName, object (s) =>
                new Dictionary<string, object>
                {
                    ["state"] = s.ImplementedOperations.Count == 0 ? "not-implemented" : _ready ? "ready" : "starting",
                    ["apiVersion"] = s.Endpoint.ApiVersion,
                    ["protocols"] = s.Endpoint.Protocols,
                    ["operations"] = s.Model.Operations.Count,
                    ["implemented"] = s.ImplementedOperations.Count,
                }),
        };
        http.Response.StatusCode = _ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(document), http.RequestAborted).ConfigureAwait(false);
    }
}
