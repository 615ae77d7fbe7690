using System.Text.Json;
using Microsoft.Extensions.Logging;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc.TransitGateways;
using Stratus.Server.Hosting;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// Brings what the host's BGP speakers report of the Connect peers into the store: every second it
/// reads the sessions and learned prefixes (<see cref="IInstanceRuntime.ReadConnectPeerBgpAsync"/>)
/// and, when a peer's differ from what is recorded, records them
/// (<see cref="TransitGatewayExtras.RecordBgpAsync"/>): DescribeTransitGatewayConnectPeers then
/// shows the sessions' <c>BgpStatus</c>, the Connect attachment propagates the prefixes into the
/// route tables it propagates to, and the host's routing and the speakers' advertisements follow
/// (the VPC firewalls of the peer's Region are synced after the commit). Peers the speakers do not
/// report (no tunnel on this host, the speaker gone) are recorded down with nothing learned.
/// </summary>
internal sealed partial class ConnectPeerBgpMonitor(
    IStateStore store, IInstanceRuntime runtime, InstanceLifecycle lifecycle, TimeProvider clock, ILogger<ConnectPeerBgpMonitor> logger) : PeriodicService(clock)
{
    /// <summary>How often the speakers are read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often the store is compared even when the speakers report what they did last time.</summary>
    private static readonly TimeSpan FullPassInterval = TimeSpan.FromSeconds(15);

    private string? _lastReading;
    private DateTimeOffset _lastFullPass = DateTimeOffset.MinValue;

    protected override TimeSpan Interval => PollInterval;

    /// <summary>No packet filter, no tunnels: no sessions.</summary>
    protected override bool Enabled => runtime.AppliesFirewall;

    protected override void OnPassFailed(Exception e) => LogPassFailed(logger, e);

    /// <summary>One reading of the speakers, recorded where it changes what the store holds.</summary>
    internal override async Task PassAsync(CancellationToken ct)
    {
        var reading = await runtime.ReadConnectPeerBgpAsync(ct).ConfigureAwait(false);
        var serialized = JsonSerializer.Serialize(reading.OrderBy(r => r.ConnectPeerId, StringComparer.Ordinal));
        var now = Clock.GetUtcNow();
        if (serialized == _lastReading && now - _lastFullPass < FullPassInterval)
        {
            return;
        }
        var reported = reading.ToDictionary(r => (new Scope(r.AccountId, r.Region), r.ConnectPeerId));
        var stale = new List<(Scope Scope, string Id)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.TransitGatewayConnectPeer, ct).ConfigureAwait(false))
            {
                var peer = JsonSerializer.Deserialize<TransitGatewayConnectPeerResource>(stored.Document, ResourceStore.Json)!;
                var key = (new Scope(stored.Key.AccountId, stored.Key.Region), peer.Id);
                var state = reported.GetValueOrDefault(key);
                var up = state?.Established.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>();
                var routes = state?.LearnedRoutes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>();
                if (!peer.BgpEstablished.SequenceEqual(up, StringComparer.Ordinal) || !peer.LearnedRoutes.SequenceEqual(routes, StringComparer.Ordinal))
                {
                    stale.Add(key);
                }
            }
        }
        var changed = new HashSet<Scope>();
        if (stale.Count > 0)
        {
            await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
            foreach (var (scope, id) in stale)
            {
                var state = reported.GetValueOrDefault((scope, id));
                if (await TransitGatewayExtras.RecordBgpAsync(tx, scope, id, state?.Established ?? [], state?.LearnedRoutes ?? [], now.UtcDateTime, ct).ConfigureAwait(false))
                {
                    changed.Add(scope);
                    LogRecorded(logger, id, state?.Established.Count ?? 0, state?.LearnedRoutes.Count ?? 0);
                }
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        _lastReading = serialized;
        _lastFullPass = now;
        foreach (var scope in changed)
        {
            await lifecycle.SyncFirewallAsync(scope, ct: ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connect peer BGP pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connect peer {ConnectPeerId}: {Sessions} BGP session(s) established, {Routes} prefix(es) learned")]
    private static partial void LogRecorded(ILogger logger, string connectPeerId, int sessions, int routes);
}
