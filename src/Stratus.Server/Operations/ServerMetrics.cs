using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Prometheus;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.Operations;

/// <summary>
/// The server's Prometheus metrics, served as text at <c>GET /metrics</c> (see docs/operations.md):
/// API requests by service, operation and status with latency histograms, store transaction
/// latency, instances by state and runtime, runtime operation (launch, stop, ...) latency,
/// lifecycle work in flight, and the process's own resource use. One registry per server.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>Latency buckets from 0.5 ms to about 33 s.</summary>
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 17);

    /// <summary>Boot and shutdown buckets from 50 ms to about 27 minutes (a microVM whose kernel is still being built waits long).</summary>
    private static readonly double[] RuntimeBuckets = Histogram.ExponentialBuckets(0.05, 2, 16);

    private readonly Histogram _requests;
    private readonly Histogram _storeTransactions;
    private readonly Histogram _runtimeOperations;
    private readonly Gauge _instances;
    private readonly Gauge _workInFlight;
    private readonly Gauge _runtimeInFlight;
    private readonly Gauge _uptime;
    private readonly Gauge _processCpu;
    private readonly Gauge _processMemory;
    private readonly MeterListener _storeListener = new();
    private readonly IStateStore _store;
    private readonly DateTime _started = DateTime.UtcNow;
    private int _inFlight;

    public ServerMetrics(IStateStore store, string runtimeName, string version)
    {
        _store = store;
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        factory.CreateGauge("stratus_build_info", "The server's version and instance runtime (always 1).", "version", "runtime")
            .WithLabels(version, runtimeName).Set(1);
        _requests = factory.CreateHistogram("stratus_requests_duration_seconds",
            "API requests by service (signing name), operation and HTTP status, with their latency from the first byte read to the last written.",
            new HistogramConfiguration { LabelNames = ["service", "operation", "status"], Buckets = LatencyBuckets });
        _storeTransactions = factory.CreateHistogram("stratus_store_transaction_duration_seconds",
            "Store write transactions, from begin (including the wait for the writer lock) to commit or rollback, by outcome.",
            new HistogramConfiguration { LabelNames = ["outcome"], Buckets = LatencyBuckets });
        _runtimeOperations = factory.CreateHistogram("stratus_runtime_operation_duration_seconds",
            "Instance runtime operations (start = launch or start until the guest runs, resume, stop, reboot, terminate) by runtime, operation and outcome.",
            new HistogramConfiguration { LabelNames = ["runtime", "operation", "outcome"], Buckets = RuntimeBuckets });
        _instances = factory.CreateGauge("stratus_instances", "Instances by region, state and runtime (terminated ones until they are swept an hour later).",
            "region", "state", "runtime");
        _workInFlight = factory.CreateGauge("stratus_lifecycle_work_in_flight", "Instance lifecycle commands (launch, stop, start, reboot, terminate) queued or running.");
        _runtimeInFlight = factory.CreateGauge("stratus_runtime_operations_in_flight", "Instance runtime operations running now.");
        _uptime = factory.CreateGauge("stratus_uptime_seconds", "Seconds since the server started.");
        _processCpu = factory.CreateGauge("stratus_process_cpu_seconds_total", "CPU time the server process has used (user and system).");
        _processMemory = factory.CreateGauge("stratus_process_resident_memory_bytes", "Resident memory of the server process.");
        Registry.AddBeforeCollectCallback(CollectAsync);

        _storeListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StoreMeterName && instrument.Name == StoreTransactionInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _storeListener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            var outcome = "commit";
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && tag.Value is string value)
                {
                    outcome = value;
                }
            }
            _storeTransactions.WithLabels(outcome).Observe(seconds);
        });
        _storeListener.Start();
    }

    /// <summary>The <see cref="Meter"/> name the store records its transactions under.</summary>
    public const string StoreMeterName = "Stratus.Store";

    /// <summary>The store's histogram of write transaction durations, in seconds, tagged <c>outcome</c> (commit, rollback).</summary>
    public const string StoreTransactionInstrument = "stratus.store.transaction.duration";

    public CollectorRegistry Registry { get; }

    /// <summary>Lifecycle commands in flight, read at each scrape (set by the host).</summary>
    public Func<int>? WorkInFlight { get; set; }

    /// <summary>An API request the gateway answered.</summary>
    public void ObserveRequest(string service, string operation, int status, TimeSpan elapsed) =>
        _requests.WithLabels(service, operation.Length == 0 ? "-" : operation, status.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Observe(elapsed.TotalSeconds);

    /// <summary>A runtime operation began; dispose the result when it ends.</summary>
    internal RuntimeOperation BeginRuntimeOperation(string runtime, string operation)
    {
        Interlocked.Increment(ref _inFlight);
        return new RuntimeOperation(this, runtime, operation, Stopwatch.GetTimestamp());
    }

    internal void EndRuntimeOperation(RuntimeOperation operation, string outcome)
    {
        Interlocked.Decrement(ref _inFlight);
        _runtimeOperations.WithLabels(operation.Runtime, operation.Operation, outcome).Observe(Stopwatch.GetElapsedTime(operation.Started).TotalSeconds);
    }

    internal readonly record struct RuntimeOperation(ServerMetrics Metrics, string Runtime, string Operation, long Started);

    /// <summary>Writes the exposition (Prometheus text format 0.0.4).</summary>
    public async Task WriteAsync(HttpContext http)
    {
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
    }

    private async Task CollectAsync(CancellationToken ct)
    {
        _uptime.Set((DateTime.UtcNow - _started).TotalSeconds);
        using (var process = Process.GetCurrentProcess())
        {
            _processCpu.Set(process.TotalProcessorTime.TotalSeconds);
            _processMemory.Set(process.WorkingSet64);
        }
        _workInFlight.Set(WorkInFlight?.Invoke() ?? 0);
        _runtimeInFlight.Set(Volatile.Read(ref _inFlight));
        var counts = await InstanceCounts.ReadAsync(_store, ct).ConfigureAwait(false);
        foreach (var labels in _instances.GetAllLabelValues().ToList())
        {
            if (!counts.ContainsKey((labels[0], labels[1], labels[2])))
            {
                _instances.WithLabels(labels).Set(0);
            }
        }
        foreach (var ((region, state, runtime), count) in counts)
        {
            _instances.WithLabels(region, state, runtime).Set(count);
        }
    }

    public void Dispose() => _storeListener.Dispose();
}

/// <summary>Counts instances by region, state and runtime across every account.</summary>
internal static class InstanceCounts
{
    public static async Task<Dictionary<(string Region, string State, string Runtime), int>> ReadAsync(IStateStore store, CancellationToken ct)
    {
        var counts = new Dictionary<(string, string, string), int>();
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.Instance, ct).ConfigureAwait(false))
        {
            var instance = System.Text.Json.JsonSerializer.Deserialize<InstanceResource>(stored.Document, ResourceStore.Json);
            if (instance is null)
            {
                continue;
            }
            var key = (stored.Key.Region, instance.State, instance.Runtime);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }
}
