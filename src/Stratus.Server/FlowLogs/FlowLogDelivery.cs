using System.Text.Json;
using Microsoft.Extensions.Logging;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.FlowLogs;
using Stratus.Server.Hosting;
using Stratus.Server.Logs;

namespace Stratus.Server.FlowLogs;

/// <summary>
/// Turns the packet filter's flow counters into VPC Flow Logs records and delivers them to
/// CloudWatch Logs. Every few seconds it reads, for each VPC a flow log watches, the counters of
/// the VPC's namespace (<see cref="IInstanceRuntime.ReadFlowCountersAsync"/>), works out what
/// moved since the last reading, attributes each increment to the watched interfaces it passed
/// (<see cref="FlowAttribution"/>) and adds it to each matching flow log's current aggregation
/// interval. When a flow log's interval ends (its MaxAggregationInterval, or
/// <see cref="ServerOptions.FlowLogInterval"/>) the records are written, in its format, to its
/// log group (created if missing) in one log stream per interface, named
/// <c>&lt;interface id&gt;-&lt;traffic type&gt;</c> (<c>eni-…-all</c>) as AWS names them. Flow logs
/// whose resource is gone are deleted with it.
/// </summary>
internal sealed partial class FlowLogDelivery(
    IStateStore store, IInstanceRuntime runtime, LogStore logs, ServerOptions options, TimeProvider clock, ILogger<FlowLogDelivery> logger) : PeriodicService(clock)
{
    private sealed class Window
    {
        public required FlowAggregator Records { get; init; }
        public required long Start { get; set; }
    }

    private readonly Dictionary<(Scope, string), FlowCounterDeltas> _deltas = [];
    private readonly Dictionary<(Scope, string), long> _lastReading = [];
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>How often the counters are read: every five seconds, or a third of a shorter delivery interval (at least one second).</summary>
    public TimeSpan PollInterval => options.FlowLogInterval is { } i && i < TimeSpan.FromSeconds(15)
        ? TimeSpan.FromSeconds(Math.Max(1, i.TotalSeconds / 3))
        : TimeSpan.FromSeconds(5);

    protected override TimeSpan Interval => PollInterval;

    /// <summary>No packet filter, no packets: no records.</summary>
    protected override bool Enabled => runtime.AppliesFirewall;

    protected override void OnPassFailed(Exception e) => LogPassFailed(logger, e);

    /// <summary>One reading of every watched VPC's counters, and the deliveries that are due.</summary>
    internal override async Task PassAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow().ToUnixTimeSeconds();
        var flowLogs = new List<(Scope Scope, FlowLogResource FlowLog)>();
        var gone = new List<(Scope Scope, FlowLogResource FlowLog)>();
        var interfacesByScope = new Dictionary<Scope, List<NetworkInterfaceResource>>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.VpcFlowLog, ct).ConfigureAwait(false))
            {
                var scope = new Scope(stored.Key.AccountId, stored.Key.Region);
                var flowLog = JsonSerializer.Deserialize<FlowLogResource>(stored.Document, ResourceStore.Json)!;
                if (await VpcFlowLogs.ResourceGoneAsync(read, scope, flowLog, ct).ConfigureAwait(false))
                {
                    gone.Add((scope, flowLog));
                    continue;
                }
                if (flowLog.VpcId is null || flowLog.LogDestinationType != "cloud-watch-logs")
                {
                    continue;
                }
                flowLogs.Add((scope, flowLog));
                if (!interfacesByScope.ContainsKey(scope))
                {
                    interfacesByScope[scope] = await read.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
                }
            }
        }
        if (gone.Count > 0)
        {
            await RemoveAsync(gone, ct).ConfigureAwait(false);
        }

        foreach (var vpc in flowLogs.GroupBy(f => (f.Scope, f.FlowLog.VpcId!)))
        {
            var (scope, vpcId) = vpc.Key;
            var interfaces = interfacesByScope[scope].Where(i => i.VpcId == vpcId).ToList();
            var owners = new Dictionary<string, FlowInterface>(StringComparer.Ordinal);
            foreach (var eni in interfaces)
            {
                var info = new FlowInterface(eni.Id, eni.VpcId, eni.SubnetId, eni.Attachment?.InstanceId);
                foreach (var address in eni.SecondaryPrivateIpAddresses.Prepend(eni.PrivateIpAddress))
                {
                    owners.TryAdd(address, info);
                }
            }
            var watchers = vpc.Select(f => (f.FlowLog, Watched: VpcFlowLogs.Watched(f.FlowLog, interfaces).Select(i => i.Id).ToHashSet(StringComparer.Ordinal))).ToList();
            foreach (var (flowLog, _) in watchers)
            {
                if (!_windows.ContainsKey(flowLog.Id))
                {
                    _windows[flowLog.Id] = new Window { Records = new FlowAggregator(), Start = now };
                }
            }

            var reading = await runtime.ReadFlowCountersAsync(scope.AccountId, scope.Region, vpcId, ct).ConfigureAwait(false);
            if (!_deltas.TryGetValue(vpc.Key, out var deltas))
            {
                _deltas[vpc.Key] = deltas = new FlowCounterDeltas();
            }
            var seenFrom = _lastReading.TryGetValue(vpc.Key, out var last) ? last : now;
            _lastReading[vpc.Key] = now;
            foreach (var delta in deltas.Next(reading))
            {
                foreach (var (eni, action, egress) in FlowAttribution.Of(delta, a => owners.GetValueOrDefault(a)))
                {
                    foreach (var (flowLog, watched) in watchers)
                    {
                        if (watched.Contains(eni.InterfaceId) && Records(flowLog.TrafficType, action))
                        {
                            _windows[flowLog.Id].Records.Add(eni, delta, action, egress, seenFrom, now);
                        }
                    }
                }
            }
        }

        // Due deliveries; windows of flow logs that are gone are dropped.
        var live = flowLogs.ToDictionary(f => f.FlowLog.Id, StringComparer.Ordinal);
        foreach (var id in _windows.Keys.Where(k => !live.ContainsKey(k)).ToList())
        {
            _windows.Remove(id);
        }
        foreach (var key in _deltas.Keys.Where(k => !flowLogs.Exists(f => (f.Scope, f.FlowLog.VpcId) == k)).ToList())
        {
            _deltas.Remove(key);
            _lastReading.Remove(key);
        }
        foreach (var (id, window) in _windows)
        {
            var (scope, flowLog) = live[id];
            var interval = (long)(options.FlowLogInterval ?? TimeSpan.FromSeconds(flowLog.MaxAggregationInterval)).TotalSeconds;
            if (now - window.Start < interval)
            {
                continue;
            }
            window.Start = now;
            if (window.Records.Count > 0)
            {
                Deliver(scope, flowLog, window.Records.Drain(scope.AccountId, scope.Region));
            }
        }
    }

    private static bool Records(string? trafficType, FlowAction action) => trafficType switch
    {
        "ACCEPT" => action == FlowAction.Accept,
        "REJECT" => action == FlowAction.Reject,
        _ => true,
    };

    /// <summary>Writes the records of one interval to the flow log's group, one stream per interface.</summary>
    private void Deliver(Scope scope, FlowLogResource flowLog, List<FlowRecord> records)
    {
        if (VpcFlowLogs.GroupOf(flowLog) is not { } groupName)
        {
            return;
        }
        var format = FlowLogFormat.Parse(flowLog.LogFormat);
        var nowMs = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var group = logs.FindGroup(scope.AccountId, scope.Region, groupName);
        if (group is null)
        {
            logs.CreateGroup(scope.AccountId, scope.Region, groupName, nowMs, "STANDARD", null, false, new Dictionary<string, string>());
            group = logs.FindGroup(scope.AccountId, scope.Region, groupName)!;
        }
        var suffix = (flowLog.TrafficType ?? "ALL").ToLowerInvariant();
        foreach (var byInterface in records.GroupBy(r => r.InterfaceId, StringComparer.Ordinal))
        {
            var name = $"{byInterface.Key}-{suffix}";
            var stream = logs.FindStream(group.Id, name);
            if (stream is null)
            {
                logs.CreateStream(group.Id, name, nowMs);
                stream = logs.FindStream(group.Id, name)!;
            }
            var events = byInterface.OrderBy(r => r.Start).Select(r => (r.Start * 1000, format.Render(r))).ToList();
            logs.Append(stream, events, nowMs);
        }
        LogDelivered(logger, records.Count, flowLog.Id, groupName);
    }

    private async Task RemoveAsync(List<(Scope Scope, FlowLogResource FlowLog)> gone, CancellationToken ct)
    {
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        foreach (var (scope, flowLog) in gone)
        {
            if (await VpcFlowLogs.ResourceGoneAsync(tx, scope, flowLog, ct).ConfigureAwait(false))
            {
                await tx.DeleteAsync(scope, ResourceTypes.VpcFlowLog, flowLog.Id, ct).ConfigureAwait(false);
                LogRemoved(logger, flowLog.Id, flowLog.ResourceId);
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow log pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivered {Count} flow log records of {FlowLogId} to {Group}")]
    private static partial void LogDelivered(ILogger logger, int count, string flowLogId, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Flow log {FlowLogId} deleted with its resource {ResourceId}")]
    private static partial void LogRemoved(ILogger logger, string flowLogId, string resourceId);
}
