using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Stratus.Domain.Instances;
using Stratus.Domain.Store;
using Stratus.Server.Instances;

namespace Stratus.Server.Operations;

/// <summary>
/// What an operator asks a running server: <c>GET /metrics</c> (Prometheus), <c>GET /_stratus/status</c>
/// (<c>stratus status</c>) and the components of <c>GET /_stratus/health</c>. See docs/operations.md.
/// </summary>
public static class OperationsEndpoints
{
    private const string RequestTagKey = "stratus.request";

    /// <summary>Registers metrics and status; returns the runtime the control plane should use (timed into the metrics).</summary>
    internal static IInstanceRuntime AddOperations(this IServiceCollection services, IInstanceRuntime runtime, IStateStore store)
    {
        var metrics = new ServerMetrics(store, runtime.Name, ServerStatus.Version);
        var metered = new MeteredRuntime(runtime, metrics);
        services.AddSingleton(_ => metrics); // created by a factory: the container disposes it (its meter listener) with the server
        services.AddSingleton(metered);
        services.AddSingleton<ServerStatus>();
        return metered;
    }

    /// <summary>Times every request the gateway tags (see <see cref="TagRequest"/>) and maps the endpoints.</summary>
    internal static void MapOperations(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        var lifecycle = app.Services.GetRequiredService<InstanceLifecycle>();
        metrics.WorkInFlight = () => lifecycle.InFlight;
        app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            await next(http).ConfigureAwait(false);
            if (http.Items.TryGetValue(RequestTagKey, out var tag) && tag is (string service, string operation))
            {
                metrics.ObserveRequest(service, operation, http.Response.StatusCode, Stopwatch.GetElapsedTime(started));
            }
        });
        app.MapGet("/metrics", metrics.WriteAsync);
        app.MapGet("/_stratus/status", app.Services.GetRequiredService<ServerStatus>().HandleAsync);
    }

    /// <summary>The gateway names the service and operation of a request it answered, for the request metrics.</summary>
    internal static void TagRequest(HttpContext http, string service, string operation) =>
        http.Items[RequestTagKey] = (service, operation);

    /// <summary>The components of the health document: store, runtime, network, metadata service.</summary>
    internal static async Task<Dictionary<string, object>> HealthComponentsAsync(IServiceProvider services, CancellationToken ct)
    {
        var options = services.GetRequiredService<ServerOptions>();
        var store = services.GetRequiredService<IStateStore>();
        var runtime = services.GetService<MeteredRuntime>();
        string storeState;
        try
        {
            await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
            _ = await read.ListAccountsAsync(ct).ConfigureAwait(false);
            storeState = "ready";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            storeState = "failed: " + e.Message;
        }
        var runtimeState = runtime?.State ?? "ready";
        var network = options.Host?.Network ?? "none";
        return new Dictionary<string, object>
        {
            ["store"] = new { state = storeState, kind = "sqlite" },
            ["runtime"] = new { state = runtimeState, name = runtime?.Name, error = runtime?.Error },
            ["network"] = new { state = network == "none" ? "not-used" : runtimeState, kind = network },
            ["metadataService"] = options.MetadataPort > 0
                ? new { state = "ready", port = (int?)options.MetadataPort }
                : new { state = "off", port = (int?)null },
        };
    }
}
