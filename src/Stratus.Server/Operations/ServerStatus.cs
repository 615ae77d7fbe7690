using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Stratus.Core;
using Stratus.Domain.Store;
using Stratus.Server.Gateway;
using Stratus.Server.Hosting;
using Stratus.Server.Instances;

namespace Stratus.Server.Operations;

/// <summary>
/// <c>GET /_stratus/status</c>: what the server is and does — version, endpoint, data directory,
/// store, the runtime chosen and why not the others, images, instances by state per region,
/// background work and host resources (the document <c>stratus status</c> prints). Answered for
/// requests signed with an account's key (SigV4, any service's scope) and for unsigned requests
/// from loopback that no browser page sent.
/// </summary>
internal sealed class ServerStatus(
    ServerOptions options,
    IStateStore store,
    MeteredRuntime runtime,
    InstanceLifecycle lifecycle,
    RequestAuthenticator authenticator,
    GatewayWarmUp warmUp,
    TimeProvider clock)
{
    public static readonly string Version =
        typeof(ServerStatus).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static readonly DateTime StartedAt = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task HandleAsync(HttpContext http)
    {
        try
        {
            await AuthorizeAsync(http.Request).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            http.Response.StatusCode = e.StatusCode;
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new { error = new { code = e.Code, message = e.Message } }), http.RequestAborted).ConfigureAwait(false);
            return;
        }
        var document = await BuildAsync(http.RequestAborted).ConfigureAwait(false);
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(document, Json), http.RequestAborted).ConfigureAwait(false);
    }

    private async Task AuthorizeAsync(HttpRequest request)
    {
        if (request.Headers.Authorization.Count > 0 || request.Query.ContainsKey("X-Amz-Credential"))
        {
            await authenticator.AuthenticateAsync(request, [], clock.GetUtcNow()).ConfigureAwait(false);
            return;
        }
        var remote = request.HttpContext.Connection.RemoteIpAddress;
        var fromPage = request.Headers.Origin.Count > 0 || request.Headers["Sec-Fetch-Site"].Any(v => v != "none");
        if (remote is null || !IPAddress.IsLoopback(remote) || fromPage)
        {
            throw new AwsException("MissingAuthenticationToken",
                "The status of the server is answered to signed requests (SigV4 with an account's access key) and to unsigned ones from this host only.", 403);
        }
    }

    public async Task<StatusDocument> BuildAsync(CancellationToken ct)
    {
        var host = options.Host ?? new HostReport();
        var storeState = "ok";
        Dictionary<(string Region, string State, string Runtime), int> counts;
        try
        {
            counts = await InstanceCounts.ReadAsync(store, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            storeState = "error: " + e.Message;
            counts = [];
        }
        var database = new FileInfo(options.DatabasePath);
        var background = new List<BackgroundWork>
        {
            new("instance-lifecycle", lifecycle.InFlight > 0 ? "running" : "idle", $"{lifecycle.InFlight} command(s) queued or running", null),
        };
        background.AddRange(host.BackgroundWork());
        var now = DateTime.UtcNow;
        return new StatusDocument
        {
            Version = Version,
            Status = warmUp.IsReady ? "ready" : "starting",
            StartedAt = StartedAt,
            UptimeSeconds = Math.Round((now - StartedAt).TotalSeconds, 1),
            Endpoint = options.PublicEndpoint,
            DataDirectory = options.DataDirectory,
            SignaturesRequired = options.RequireSignatures,
            Profile = options.AwsConfigDirectory is null ? null : options.ProfileName,
            Store = new StoreStatus("sqlite", options.DatabasePath, database.Exists ? database.Length : 0, storeState),
            Runtime = new RuntimeStatus(runtime.Name, host.RuntimeRequested, host.RuntimeNote, runtime.State, runtime.Error, host.Accelerator(),
                host.Candidates.Select(c => new CandidateStatus(c.Name, c.Available, c.Name == runtime.Name, c.Missing)).ToList()),
            Network = host.Network,
            MetadataService = options.MetadataPort > 0 ? new MetadataStatus("listening", options.MetadataPort) : new MetadataStatus("off", null),
            Images = new ImagesStatus(host.ImageDirectory, host.Images()),
            Instances = new InstancesStatus(
                counts.Values.Sum(),
                counts.GroupBy(c => c.Key.Region).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.GroupBy(c => c.Key.State).ToDictionary(s => s.Key, s => s.Sum(c => c.Value))),
                counts.GroupBy(c => c.Key.Runtime).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.GroupBy(c => c.Key.State).ToDictionary(s => s.Key, s => s.Sum(c => c.Value)))),
            BackgroundWork = background,
            Host = HostResources.Read(options.DataDirectory),
        };
    }
}

public sealed record StatusDocument
{
    public required string Version { get; init; }
    public required string Status { get; init; }
    public DateTime StartedAt { get; init; }
    public double UptimeSeconds { get; init; }
    public required string Endpoint { get; init; }
    public required string DataDirectory { get; init; }
    public bool SignaturesRequired { get; init; }
    public string? Profile { get; init; }
    public required StoreStatus Store { get; init; }
    public required RuntimeStatus Runtime { get; init; }
    public required string Network { get; init; }
    public required MetadataStatus MetadataService { get; init; }
    public required ImagesStatus Images { get; init; }
    public required InstancesStatus Instances { get; init; }
    public required IReadOnlyList<BackgroundWork> BackgroundWork { get; init; }
    public required HostResources Host { get; init; }
}

public sealed record StoreStatus(string Kind, string Path, long SizeBytes, string State);

public sealed record RuntimeStatus(string Name, string Requested, string Reason, string State, string? Error, string? Accelerator, IReadOnlyList<CandidateStatus> Candidates);

public sealed record CandidateStatus(string Name, bool Available, bool Chosen, IReadOnlyList<string> Missing);

public sealed record MetadataStatus(string State, int? Port);

public sealed record ImagesStatus(string? Directory, IReadOnlyList<ImageSummary> Items);

public sealed record InstancesStatus(int Total, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ByRegion, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ByRuntime);

/// <summary>What the host has and what Stratus uses of it.</summary>
public sealed record HostResources(
    int Cpus,
    IReadOnlyList<double>? LoadAverage,
    long? MemoryTotalBytes,
    long? MemoryAvailableBytes,
    long ProcessResidentBytes,
    double ProcessCpuSeconds,
    long? DataDiskFreeBytes,
    long? DataDiskTotalBytes)
{
    public static HostResources Read(string dataDirectory)
    {
        using var process = Process.GetCurrentProcess();
        IReadOnlyList<double>? load = null;
        long? total = null, available = null, diskFree = null, diskTotal = null;
        try
        {
            if (File.Exists("/proc/loadavg"))
            {
                load = File.ReadAllText("/proc/loadavg").Split(' ').Take(3)
                    .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            }
            if (File.Exists("/proc/meminfo"))
            {
                foreach (var line in File.ReadLines("/proc/meminfo"))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length >= 2 && long.TryParse(parts[1], out var kib))
                    {
                        if (parts[0] == "MemTotal:")
                        {
                            total = kib * 1024;
                        }
                        else if (parts[0] == "MemAvailable:")
                        {
                            available = kib * 1024;
                        }
                    }
                }
            }
            var drive = new DriveInfo(Path.GetFullPath(dataDirectory));
            diskFree = drive.AvailableFreeSpace;
            diskTotal = drive.TotalSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            // Best effort: what could be read is reported.
        }
        return new HostResources(Environment.ProcessorCount, load, total, available, process.WorkingSet64, Math.Round(process.TotalProcessorTime.TotalSeconds, 2), diskFree, diskTotal);
    }
}
