using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Stratus.Domain.ElasticLoadBalancingV2;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// Real health checks: one loop per registered target of every target group a listener uses,
/// probing at the group's interval with its timeout — HTTP(S) GET of the path on the health check
/// port, the status matched against the matcher, or a TCP connect — and feeding the results to
/// <see cref="TargetHealthTracker"/>, which applies the thresholds. Probes leave from the node
/// <paramref name="nodeFor"/> names (the load balancer's node inside the target's VPC, so the
/// target's security groups decide, as for the traffic), else from the host (<see cref="TargetConnector"/>).
/// </summary>
internal sealed class HealthChecker(TargetHealthTracker tracker, Func<TargetGroupRoute, TargetEndpoint, NodeBinding?> nodeFor, ILogger<HealthChecker> log) : IAsyncDisposable
{
    private sealed class Probe
    {
        public required CancellationTokenSource Stop { get; init; }
        public volatile TargetEndpoint? Target;
        public volatile TargetGroupRoute? Group;
        public Task Loop { get; set; } = Task.CompletedTask;
    }

    private readonly Dictionary<(string, string, int), Probe> _probes = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        ConnectCallback = TargetConnector.ConnectHttpAsync,
        // Load balancers do not validate targets' certificates (targets commonly use self-signed ones), as AWS documents.
#pragma warning disable CA5359
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    public void Reconcile(DataPlaneState state)
    {
        var keep = new HashSet<(string, string, int)>();
        var probing = new HashSet<(string, string, int)>();
        foreach (var route in state.TargetGroups.Values)
        {
            foreach (var target in route.Targets)
            {
                var key = (route.Group.Arn, target.Id, target.Port);
                keep.Add(key);
                if (!route.InUse || target.Draining || !route.Group.HealthCheckEnabled)
                {
                    continue;
                }
                probing.Add(key);
                if (!_probes.TryGetValue(key, out var probe))
                {
                    probe = new Probe { Stop = new CancellationTokenSource(), Target = target, Group = route };
                    probe.Loop = Task.Run(() => RunAsync(probe, probe.Stop.Token));
                    _probes[key] = probe;
                }
                probe.Target = target;
                probe.Group = route;
            }
        }
        foreach (var (key, probe) in _probes.ToList())
        {
            if (!probing.Contains(key))
            {
                _probes.Remove(key);
                probe.Stop.Cancel();
            }
        }
        tracker.Retain(keep);
    }

    private async Task RunAsync(Probe probe, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var target = probe.Target!;
            var route = probe.Group!;
            var group = route.Group;
            var result = await ProbeAsync(target, group, nodeFor(route, target), ct).ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                break;
            }
            var before = tracker.Get(group.Arn, target.Id, target.Port).State;
            var after = tracker.Observe(group.Arn, target.Id, target.Port, result, group.HealthyThresholdCount, group.UnhealthyThresholdCount);
            if (after.State != before && log.IsEnabled(LogLevel.Information))
            {
                log.LogInformation("target group {Group}: target {Target}:{Port} {Before} -> {After} ({Reason})", group.Name, target.Id, target.Port, before, after.State, after.Reason ?? "ok");
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(group.HealthCheckIntervalSeconds), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    internal async Task<ProbeResult> ProbeAsync(TargetEndpoint target, TargetGroupResource group, NodeBinding? node, CancellationToken ct)
    {
        var address = TargetConnector.AddressFor(node, target);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(group.HealthCheckTimeoutSeconds));
        try
        {
            if (group.HealthCheckProtocol is "HTTP" or "HTTPS")
            {
                var scheme = group.HealthCheckProtocol == "HTTPS" ? "https" : "http";
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{address}:{target.HealthCheckPort}{group.HealthCheckPath ?? "/"}");
                if (node is not null)
                {
                    request.Options.Set(TargetConnector.NodeOption, node);
                }
                request.Headers.UserAgent.ParseAdd("ELB-HealthChecker/2.0");
                request.Headers.ConnectionClose = true;
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                return HealthMatcher.Matches(group.MatcherHttpCode, code) ? new ProbeResult(ProbeOutcome.Success, code) : new ProbeResult(ProbeOutcome.CodeMismatch, code);
            }
            using var socket = await TargetConnector.ConnectAsync(node, new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address), target.HealthCheckPort), timeout.Token).ConfigureAwait(false);
            return new ProbeResult(ProbeOutcome.Success);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(ProbeOutcome.Timeout);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or FormatException)
        {
            return new ProbeResult(ProbeOutcome.Failed);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var probe in _probes.Values)
        {
            await probe.Stop.CancelAsync().ConfigureAwait(false);
        }
        await Task.WhenAll(_probes.Values.Select(p => p.Loop)).ConfigureAwait(false);
        foreach (var probe in _probes.Values)
        {
            probe.Stop.Dispose();
        }
        _probes.Clear();
        _http.Dispose();
    }
}
