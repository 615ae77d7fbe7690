using Microsoft.Extensions.Logging;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Server.ElasticLoadBalancingV2;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Publishes what the load balancers' data plane counted (<see cref="LoadBalancerTraffic"/>) and the
/// health its probes found, as Elastic Load Balancing publishes to CloudWatch, in 1-minute slots:
/// <c>AWS/ApplicationELB</c> for Application Load Balancers (RequestCount, TargetResponseTime,
/// HTTPCode_Target_2XX..5XX_Count, HTTPCode_ELB_2XX..5XX_Count and _500/_502/_503/_504_Count,
/// TargetConnectionErrorCount, ActiveConnectionCount, NewConnectionCount, ProcessedBytes,
/// HealthyHostCount, UnHealthyHostCount, RequestCountPerTarget) and <c>AWS/NetworkELB</c> for
/// Network Load Balancers (ActiveFlowCount, NewFlowCount, ProcessedBytes, TCP_Target_Reset_Count,
/// TCP_Client_Reset_Count, TCP_ELB_Reset_Count, HealthyHostCount, UnHealthyHostCount), with AWS's
/// dimensions: <c>LoadBalancer</c> (<c>app|net/&lt;name&gt;/&lt;id&gt;</c>), <c>TargetGroup</c>
/// (<c>targetgroup/&lt;name&gt;/&lt;id&gt;</c>) and <c>AvailabilityZone</c> (the zone of the target a
/// request or flow went to). Counts are published when not zero; the host counts and
/// RequestCountPerTarget every round for each target group a listener forwards to.
/// </summary>
internal sealed class LoadBalancerMetricsPublisher(MetricStore metrics, LoadBalancerDataPlane plane, ServerOptions options, TimeProvider clock,
    ILogger<LoadBalancerMetricsPublisher> logger) : MetricsPublisher(options, clock, logger)
{
    public const string ApplicationNamespace = "AWS/ApplicationELB";
    public const string NetworkNamespace = "AWS/NetworkELB";

    public override Task PublishAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow().ToUnixTimeSeconds();
        foreach (var ((key, unit), value) in Collect(plane.State, plane.Traffic.Drain(), plane.Health))
        {
            metrics.Put(key, now - now % 60, unit, value, now);
        }
        return Task.CompletedTask;
    }

    /// <summary>The datapoints of one round: what <paramref name="counts"/> holds and the health of every target group in use, by series.</summary>
    internal static Dictionary<(SeriesKey Key, string Unit), MetricAggregate> Collect(DataPlaneState state,
        IReadOnlyDictionary<LoadBalancerTraffic.Key, LoadBalancerTraffic.Counts> counts, TargetHealthTracker health)
    {
        var points = new Dictionary<(SeriesKey, string), MetricAggregate>();
        var loadBalancers = state.Listeners.Values.Select(l => l.LoadBalancer).DistinctBy(l => l.Arn).ToDictionary(l => l.Arn, StringComparer.Ordinal);

        // The dimension sets AWS publishes a datapoint under: {LoadBalancer}, {LoadBalancer, AvailabilityZone},
        // {LoadBalancer, TargetGroup}, {LoadBalancer, TargetGroup, AvailabilityZone} (and {TargetGroup} for RequestCountPerTarget).
        void Add(string lbArn, string? tgArn, string? zone, string name, string unit, MetricAggregate value, bool withoutTargetGroup = true, bool tgAlone = false,
            bool withoutZone = true)
        {
            var (account, region) = ElbNaming.AccountAndRegion(lbArn);
            var ns = lbArn.Contains(":loadbalancer/net/", StringComparison.Ordinal) ? NetworkNamespace : ApplicationNamespace;
            var lb = new KeyValuePair<string, string>("LoadBalancer", ElbNaming.MetricDimension(lbArn));
            var sets = new List<KeyValuePair<string, string>[]>();
            if (withoutTargetGroup)
            {
                if (withoutZone)
                {
                    sets.Add([lb]);
                }
                if (zone is not null)
                {
                    sets.Add([lb, new("AvailabilityZone", zone)]);
                }
            }
            if (tgArn is not null)
            {
                var tg = new KeyValuePair<string, string>("TargetGroup", ElbNaming.MetricDimension(tgArn));
                if (withoutZone)
                {
                    sets.Add([lb, tg]);
                }
                if (zone is not null)
                {
                    sets.Add([lb, tg, new("AvailabilityZone", zone)]);
                }
                if (tgAlone)
                {
                    sets.Add([tg]);
                }
            }
            foreach (var dimensions in sets)
            {
                var series = (SeriesKey.Create(account, region, ns, name, dimensions), unit);
                if (points.TryGetValue(series, out var existing))
                {
                    existing.Merge(value);
                }
                else
                {
                    points[series] = value.Clone();
                }
            }
        }

        void Count(string lbArn, string? tgArn, string? zone, string name, long value, string unit = "Count")
        {
            if (value > 0)
            {
                Add(lbArn, tgArn, zone, name, unit, MetricAggregate.FromValue(value));
            }
        }

        var requestsPerGroup = new Dictionary<(string Lb, string Tg), long>();
        foreach (var (key, c) in counts)
        {
            var lb = key.LoadBalancerArn;
            var network = lb.Contains(":loadbalancer/net/", StringComparison.Ordinal);
            if (network)
            {
                Count(lb, null, key.Zone, "ActiveFlowCount", c.Active);
                Count(lb, null, key.Zone, "NewFlowCount", c.New);
                Count(lb, null, key.Zone, "ProcessedBytes", c.ProcessedBytes, "Bytes");
                Count(lb, null, key.Zone, "TCP_Target_Reset_Count", c.TargetResets);
                Count(lb, null, key.Zone, "TCP_Client_Reset_Count", c.ClientResets);
                Count(lb, null, key.Zone, "TCP_ELB_Reset_Count", c.ElbResets);
                continue;
            }
            Count(lb, null, key.Zone, "ActiveConnectionCount", c.Active);
            Count(lb, null, key.Zone, "NewConnectionCount", c.New);
            Count(lb, null, key.Zone, "ProcessedBytes", c.ProcessedBytes, "Bytes");
            Count(lb, key.TargetGroupArn, key.Zone, "RequestCount", c.Requests);
            for (var codeClass = 2; codeClass <= 5; codeClass++)
            {
                Count(lb, key.TargetGroupArn, key.Zone, $"HTTPCode_Target_{codeClass}XX_Count", c.TargetCodes[codeClass]);
                // Responses of the load balancer itself carry no target group dimension.
                Count(lb, null, key.Zone, $"HTTPCode_ELB_{codeClass}XX_Count", c.ElbCodes[codeClass]);
            }
            foreach (var (code, n) in c.ElbExact)
            {
                Count(lb, null, key.Zone, $"HTTPCode_ELB_{code}_Count", n);
            }
            if (c.TargetResponseTime is { } time)
            {
                Add(lb, key.TargetGroupArn, key.Zone, "TargetResponseTime", "Seconds", time);
            }
            if (key.TargetGroupArn is { } tgArn)
            {
                Count(lb, tgArn, key.Zone, "TargetConnectionErrorCount", c.TargetConnectionErrors);
                requestsPerGroup[(lb, tgArn)] = requestsPerGroup.GetValueOrDefault((lb, tgArn)) + c.Requests;
            }
        }

        // Target health and requests per target, for every target group a listener forwards to.
        var served = new HashSet<(string Lb, string Tg)>();
        foreach (var route in state.Listeners.Values)
        {
            foreach (var tgArn in route.Listener.DefaultActions.Concat(route.Rules.SelectMany(r => r.Actions)).SelectMany(a => a.TargetGroupArns()))
            {
                served.Add((route.LoadBalancer.Arn, tgArn));
            }
        }
        foreach (var (lbArn, tgArn) in served)
        {
            if (!state.TargetGroups.TryGetValue(tgArn, out var group) || !loadBalancers.TryGetValue(lbArn, out var lb))
            {
                continue;
            }
            var fallbackZone = lb.Zones.FirstOrDefault()?.ZoneName;
            var live = group.Targets.Where(t => !t.Draining).ToList();
            var byZone = live.GroupBy(t => t.Zone ?? fallbackZone ?? "").ToList();
            int healthy = 0, unhealthy = 0;
            foreach (var zone in byZone)
            {
                var states = zone.Select(t => health.Get(tgArn, t.Id, t.Port).State).ToList();
                var up = states.Count(s => s == TargetStates.Healthy);
                var down = states.Count(s => s == TargetStates.Unhealthy);
                healthy += up;
                unhealthy += down;
                if (zone.Key.Length > 0)
                {
                    Add(lbArn, tgArn, zone.Key, "HealthyHostCount", "Count", MetricAggregate.FromValue(up), withoutTargetGroup: false, withoutZone: false);
                    Add(lbArn, tgArn, zone.Key, "UnHealthyHostCount", "Count", MetricAggregate.FromValue(down), withoutTargetGroup: false, withoutZone: false);
                }
            }
            Add(lbArn, tgArn, null, "HealthyHostCount", "Count", MetricAggregate.FromValue(healthy), withoutTargetGroup: false);
            Add(lbArn, tgArn, null, "UnHealthyHostCount", "Count", MetricAggregate.FromValue(unhealthy), withoutTargetGroup: false);
            if (!lb.IsApplication)
            {
                continue;
            }
            // As ELB: the group's requests divided by its healthy targets (by all registered ones when none is healthy).
            var divisor = healthy > 0 ? healthy : live.Count;
            if (divisor > 0)
            {
                var perTarget = requestsPerGroup.GetValueOrDefault((lbArn, tgArn)) / (double)divisor;
                Add(lbArn, tgArn, null, "RequestCountPerTarget", "Count", MetricAggregate.FromValue(perTarget), withoutTargetGroup: false, tgAlone: true);
            }
        }
        return points;
    }
}
