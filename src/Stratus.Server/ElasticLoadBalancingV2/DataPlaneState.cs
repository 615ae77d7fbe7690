using System.Collections.Concurrent;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Domain.Resources;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// A registered target as the data plane reaches it. <paramref name="Address"/> is where the host
/// reaches it (an instance's public address when it has one, else its private one; an IP target's
/// address); <paramref name="VpcAddress"/> where a load balancer node inside the VPC reaches it (an
/// instance's private address, an IP target registered in a zone of the VPC; null for IP targets
/// registered with <c>AvailabilityZone=all</c>, which may be outside the VPC and are reached from the
/// host). <paramref name="Zone"/>: its instance's zone, or the zone it was registered in; null when
/// unknown or <c>all</c>.
/// </summary>
internal sealed record TargetEndpoint(string TargetGroupArn, string Id, int Port, string Address, int HealthCheckPort, bool Draining, string? Zone = null, string? VpcAddress = null)
{
    public string Key => $"{Id}:{Port}";
}

/// <summary>A target group as the data plane sees it: settings, reachable targets and the load balancer whose listeners use it (null when none does).</summary>
internal sealed record TargetGroupRoute(TargetGroupResource Group, IReadOnlyList<TargetEndpoint> Targets, bool InUse, string? LoadBalancerArn = null);

/// <summary>A listener with its load balancer and rules (by priority).</summary>
internal sealed record ListenerRoute(LoadBalancerResource LoadBalancer, ListenerResource Listener, IReadOnlyList<RuleResource> Rules);

/// <summary>One immutable picture of every load balancer the server serves, rebuilt from the store.</summary>
internal sealed record DataPlaneState(
    IReadOnlyDictionary<string, ListenerRoute> Listeners,
    IReadOnlyDictionary<string, TargetGroupRoute> TargetGroups,
    IReadOnlyList<(string DnsName, string Address)> HostNames)
{
    public static DataPlaneState Empty { get; } = new(new Dictionary<string, ListenerRoute>(), new Dictionary<string, TargetGroupRoute>(), []);

    /// <summary>Every load balancer with its account and region.</summary>
    public IReadOnlyList<(Scope Scope, LoadBalancerResource LoadBalancer)> LoadBalancers { get; init; } = [];
}

/// <summary>
/// A load balancer node inside its VPC: the VPC's namespace and the node's private address, where the
/// listeners also bind and where connections to targets leave from; <paramref name="Zone"/> is its subnet's zone.
/// </summary>
internal sealed record NodeBinding(Stratus.Domain.Instances.ServiceNamespace Namespace, System.Net.IPAddress Address, string? Zone = null)
{
    public bool Equals(NodeBinding? other) => other is not null && Namespace.Identity == other.Namespace.Identity && Address.Equals(other.Address);

    public override int GetHashCode() => HashCode.Combine(Namespace.Identity, Address);
}

/// <summary>
/// Picks targets: healthy ones, not draining (all registered non-draining targets when none is
/// healthy but some are unhealthy: AWS's fail-open), round robin or least outstanding requests,
/// with slow start ramping a newly healthy target's share up over its window.
/// </summary>
internal sealed class TargetSelector(TargetHealthTracker health, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, int> _cursor = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), int> _outstanding = new();

    public IReadOnlyList<TargetEndpoint> Routable(TargetGroupRoute route)
    {
        var live = route.Targets.Where(t => !t.Draining).ToList();
        var healthy = live.Where(t => health.Get(t.TargetGroupArn, t.Id, t.Port).State == TargetStates.Healthy || !route.Group.HealthCheckEnabled).ToList();
        if (healthy.Count > 0)
        {
            return healthy;
        }
        return live.Where(t => health.Get(t.TargetGroupArn, t.Id, t.Port).State == TargetStates.Unhealthy).ToList();
    }

    public TargetEndpoint? Pick(TargetGroupRoute route, string? sticky = null, int? flowHash = null)
    {
        var targets = Routable(route);
        if (targets.Count == 0)
        {
            return null;
        }
        if (sticky is not null && targets.FirstOrDefault(t => t.Key == sticky) is { } stuck)
        {
            return stuck;
        }
        if (flowHash is { } hash)
        {
            return targets[(int)((uint)hash % (uint)targets.Count)];
        }
        if (route.Group.Attributes.GetValueOrDefault("load_balancing.algorithm.type") == "least_outstanding_requests")
        {
            return targets.MinBy(t => _outstanding.GetValueOrDefault((route.Group.Arn, t.Key)));
        }
        var next = _cursor.AddOrUpdate(route.Group.Arn, 0, (_, c) => unchecked(c + 1));
        return targets[(int)((uint)next % (uint)targets.Count)];
    }

    public IDisposable Track(TargetEndpoint target)
    {
        var key = (target.TargetGroupArn, target.Key);
        _outstanding.AddOrUpdate(key, 1, (_, c) => c + 1);
        return new Release(() => _outstanding.AddOrUpdate(key, 0, (_, c) => Math.Max(0, c - 1)));
    }

    private sealed class Release(System.Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    public DateTime Now => clock.GetUtcNow().UtcDateTime;
}

/// <summary>Reads what the data plane needs from the store for every account of every region.</summary>
internal static class DataPlaneLoader
{
    private sealed record InstanceAddress(string Id, string State, string PrivateIpAddress, string? PublicIpAddress, string? AvailabilityZone);

    public static async Task<(DataPlaneState State, List<(Scope Scope, string Id)> Provisioning, List<(Scope Scope, TargetGroupResource Group)> Expired)> LoadAsync(
        Stratus.Domain.Store.IStateStore store, DateTime now, CancellationToken ct)
    {
        var listeners = new Dictionary<string, ListenerRoute>(StringComparer.Ordinal);
        var groups = new Dictionary<string, TargetGroupRoute>(StringComparer.Ordinal);
        var names = new List<(string, string)>();
        var all = new List<(Scope, LoadBalancerResource)>();
        var provisioning = new List<(Scope, string)>();
        var expired = new List<(Scope, TargetGroupResource)>();
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        foreach (var region in Stratus.Domain.Regions.RegionCatalog.All)
        {
            var lbs = await ListAsync<LoadBalancerResource>(read, region.Name, LoadBalancers.LoadBalancerType, ct).ConfigureAwait(false);
            if (lbs.Count == 0)
            {
                continue;
            }
            var lbByArn = lbs.ToDictionary(l => l.Doc.Arn, StringComparer.Ordinal);
            var listenerDocs = await ListAsync<ListenerResource>(read, region.Name, LoadBalancers.ListenerType, ct).ConfigureAwait(false);
            var rules = (await ListAsync<RuleResource>(read, region.Name, LoadBalancers.RuleType, ct).ConfigureAwait(false)).Select(r => r.Doc).ToList();
            var tgs = await ListAsync<TargetGroupResource>(read, region.Name, LoadBalancers.TargetGroupType, ct).ConfigureAwait(false);
            foreach (var (scope, lb) in lbs)
            {
                all.Add((scope, lb));
                names.Add((lb.DnsName, lb.HostAddress));
                if (lb.State == "provisioning")
                {
                    provisioning.Add((scope, lb.Id));
                }
            }
            var used = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (_, listener) in listenerDocs)
            {
                if (!lbByArn.TryGetValue(listener.LoadBalancerArn, out var lb))
                {
                    continue;
                }
                var listenerRules = rules.Where(r => r.ListenerArn == listener.Arn).OrderBy(r => r.Priority).ToList();
                listeners[listener.Arn] = new ListenerRoute(lb.Doc, listener, listenerRules);
                foreach (var arn in listener.DefaultActions.Concat(listenerRules.SelectMany(r => r.Actions)).SelectMany(a => a.TargetGroupArns()))
                {
                    used.TryAdd(arn, lb.Doc.Arn);
                }
            }
            foreach (var (scope, tg) in tgs)
            {
                if (tg.Targets.Any(t => t.DrainingUntil is { } until && until <= now))
                {
                    expired.Add((scope, tg));
                }
                var endpoints = new List<TargetEndpoint>();
                foreach (var target in tg.Targets)
                {
                    var address = target.Id;
                    var zone = target.AvailabilityZone is "all" ? null : target.AvailabilityZone;
                    // An IP target registered in one of the VPC's zones has an address of the VPC (checked at registration).
                    var vpcAddress = target.AvailabilityZone is "all" ? null : target.Id;
                    if (tg.TargetType == "instance")
                    {
                        var stored = await read.GetAsync(new Stratus.Domain.Store.ResourceKey(scope.AccountId, scope.Region, ResourceTypes.Instance.Name, target.Id), ct).ConfigureAwait(false);
                        var instance = stored is null ? null : System.Text.Json.JsonSerializer.Deserialize<InstanceAddress>(stored.Document, ResourceStore.Json);
                        if (instance is null || instance.State != "running")
                        {
                            continue;
                        }
                        // The host reaches a guest through its public address (always routed to the VPC's
                        // namespace), else through the private one (routed for the first VPC with that CIDR).
                        address = instance.PublicIpAddress ?? instance.PrivateIpAddress;
                        vpcAddress = instance.PrivateIpAddress;
                        zone = instance.AvailabilityZone;
                    }
                    var checkPort = tg.HealthCheckPort == "traffic-port" ? target.Port : int.Parse(tg.HealthCheckPort, System.Globalization.CultureInfo.InvariantCulture);
                    endpoints.Add(new TargetEndpoint(tg.Arn, target.Id, target.Port, address, checkPort, target.DrainingUntil is not null, zone, vpcAddress));
                }
                groups[tg.Arn] = new TargetGroupRoute(tg, endpoints, used.ContainsKey(tg.Arn), used.GetValueOrDefault(tg.Arn));
            }
        }
        return (new DataPlaneState(listeners, groups, names) { LoadBalancers = all }, provisioning, expired);
    }

    private static async Task<List<(Scope Scope, T Doc)>> ListAsync<T>(Stratus.Domain.Store.IStoreSession read, string region, ResourceType type, CancellationToken ct)
    {
        var stored = await read.ListEveryAccountAsync(region, type.Name, ct).ConfigureAwait(false);
        return stored.Select(s => (new Scope(s.Key.AccountId, s.Key.Region), System.Text.Json.JsonSerializer.Deserialize<T>(s.Document, ResourceStore.Json)!)).ToList();
    }
}
