using System.Text.Json;
using Microsoft.Extensions.Logging;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc.NatGateways;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Publishes the <c>AWS/NATGateway</c> metrics of the NAT gateways that forward, dimension
/// <c>NatGatewayId</c>, in 1-minute slots, from the counters of the VPC namespace's packet filter
/// (<see cref="IInstanceRuntime.ReadNatGatewayCountersAsync"/>): <c>PacketsOutToDestination</c> and
/// <c>BytesOutToDestination</c> (what the gateway sent on, after translation; the same packets are
/// <c>PacketsInFromSource</c>/<c>BytesInFromSource</c>), <c>PacketsInFromDestination</c> and
/// <c>BytesInFromDestination</c> (the answers; likewise <c>PacketsOutToSource</c>/<c>BytesOutToSource</c>),
/// and <c>ConnectionAttemptCount</c> (flows the gateway translated). Each round publishes what the
/// counters grew by since the previous one (a counter that went down was reset with its table: its
/// value is the growth), zeros included, as AWS publishes them for a gateway without traffic.
/// </summary>
internal sealed class NatGatewayMetricsPublisher(MetricStore metrics, IStateStore store, IInstanceRuntime runtime, ServerOptions options, TimeProvider clock,
    ILogger<NatGatewayMetricsPublisher> logger) : MetricsPublisher(options, clock, logger)
{
    public const string Namespace = "AWS/NATGateway";

    private readonly Dictionary<string, NatGatewayCounter> _last = new(StringComparer.Ordinal);

    public override async Task PublishAsync(CancellationToken ct)
    {
        if (!runtime.AppliesFirewall)
        {
            return;
        }
        var now = Clock.GetUtcNow().ToUnixTimeSeconds();
        var gateways = new List<(Scope Scope, NatGatewayResource Nat)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.NatGateway, ct).ConfigureAwait(false))
            {
                var nat = JsonSerializer.Deserialize<NatGatewayResource>(stored.Document, ResourceStore.Json)!;
                if (nat.Forwards)
                {
                    gateways.Add((new Scope(stored.Key.AccountId, stored.Key.Region), nat));
                }
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var vpc in gateways.GroupBy(g => (g.Scope, g.Nat.VpcId)))
        {
            var (scope, vpcId) = vpc.Key;
            var counters = (await runtime.ReadNatGatewayCountersAsync(scope.AccountId, scope.Region, vpcId, ct).ConfigureAwait(false))
                .ToDictionary(c => c.NatGatewayId, StringComparer.Ordinal);
            foreach (var (_, nat) in vpc)
            {
                if (!counters.TryGetValue(nat.Id, out var current))
                {
                    continue;
                }
                seen.Add(nat.Id);
                var delta = Growth(_last.GetValueOrDefault(nat.Id), current);
                _last[nat.Id] = current;
                foreach (var (name, unit, value) in Datapoints(delta))
                {
                    var key = SeriesKey.Create(scope.AccountId, scope.Region, Namespace, name, [new("NatGatewayId", nat.Id)]);
                    metrics.Put(key, now - now % 60, unit, MetricAggregate.FromValue(value), now);
                }
            }
        }
        foreach (var gone in _last.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _last.Remove(gone);
        }
    }

    /// <summary>What the counters grew by since <paramref name="last"/> (all of <paramref name="current"/> when there was none or they were reset).</summary>
    internal static NatGatewayCounter Growth(NatGatewayCounter? last, NatGatewayCounter current)
    {
        static long Grew(long before, long now) => now >= before ? now - before : now;
        return last is null || current.PacketsOut < last.PacketsOut || current.PacketsIn < last.PacketsIn || current.Connections < last.Connections
            ? current
            : current with
            {
                PacketsOut = Grew(last.PacketsOut, current.PacketsOut),
                BytesOut = Grew(last.BytesOut, current.BytesOut),
                PacketsIn = Grew(last.PacketsIn, current.PacketsIn),
                BytesIn = Grew(last.BytesIn, current.BytesIn),
                Connections = Grew(last.Connections, current.Connections),
            };
    }

    /// <summary>The metrics AWS publishes for a NAT gateway from one round's growth: name, unit, value.</summary>
    internal static IEnumerable<(string Name, string Unit, long Value)> Datapoints(NatGatewayCounter d) =>
    [
        ("PacketsOutToDestination", "Count", d.PacketsOut),
        ("BytesOutToDestination", "Bytes", d.BytesOut),
        ("PacketsInFromSource", "Count", d.PacketsOut),
        ("BytesInFromSource", "Bytes", d.BytesOut),
        ("PacketsInFromDestination", "Count", d.PacketsIn),
        ("BytesInFromDestination", "Bytes", d.BytesIn),
        ("PacketsOutToSource", "Count", d.PacketsIn),
        ("BytesOutToSource", "Bytes", d.BytesIn),
        ("ConnectionAttemptCount", "Count", d.Connections),
    ];
}
