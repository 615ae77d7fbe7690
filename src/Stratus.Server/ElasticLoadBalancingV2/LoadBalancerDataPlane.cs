using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// The load balancers' data plane, in process. It follows the store (woken after every committed
/// ELB change, and once a second for what changes on its own: instances, draining): each
/// listener is served on the load balancer's own loopback address on the host
/// (<see cref="LoadBalancerResource.HostAddress"/>) — HTTP/HTTPS through <see cref="HttpListenerHost"/>
/// (YARP), TCP through <see cref="TcpRelay"/> — health checks run per target
/// (<see cref="HealthChecker"/>), provisioning load balancers become active once served, targets
/// whose deregistration delay is over are removed, and the DNS names are kept in the host's
/// hosts file (<see cref="HostsFile"/>). Connections to targets inside the VPC leave from the load
/// balancer's nodes there (<see cref="TargetConnector"/>).
/// </summary>
internal sealed class LoadBalancerDataPlane : BackgroundService
{
    private readonly IStateStore _store;
    private readonly TimeProvider _clock;
    private readonly ILogger<LoadBalancerDataPlane> _log;
    private readonly HealthChecker _health;
    private readonly HostsFile? _hosts;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<string, IListenerHost> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _failedUntil = new(StringComparer.Ordinal);
    private readonly Yarp.ReverseProxy.Forwarder.IHttpForwarder _forwarder;

    private readonly Stratus.Domain.Instances.IInstanceRuntime _runtime;
    private readonly Instances.InstanceLifecycle _lifecycle;
    private readonly Dictionary<(Scope Scope, string VpcId), string> _vpcNodes = [];
    private volatile Dictionary<string, IReadOnlyList<NodeBinding>> _nodes = new(StringComparer.Ordinal);

    public LoadBalancerDataPlane(IStateStore store, TimeProvider clock, ILogger<LoadBalancerDataPlane> log, TargetHealthTracker tracker, ServerOptions options,
        Yarp.ReverseProxy.Forwarder.IHttpForwarder forwarder, ILoggerFactory loggers, LoadBalancerTraffic traffic,
        Stratus.Domain.Instances.IInstanceRuntime runtime, Instances.InstanceLifecycle lifecycle)
    {
        _runtime = runtime;
        _lifecycle = lifecycle;
        Traffic = traffic;
        Health = tracker;
        _store = store;
        _clock = clock;
        _log = log;
        _forwarder = forwarder;
        Selector = new TargetSelector(tracker, clock);
        _health = new HealthChecker(tracker, NodeFor, loggers.CreateLogger<HealthChecker>());
        _hosts = options.HostsFile is { } path ? new HostsFile(path, options.DataDirectory, loggers.CreateLogger<HostsFile>()) : null;
    }

    /// <summary>The current picture of every load balancer (read by the listeners on each connection or request).</summary>
    public DataPlaneState State { get; private set; } = DataPlaneState.Empty;

    public TargetSelector Selector { get; }

    /// <summary>What the listeners count for the load balancer metrics.</summary>
    public LoadBalancerTraffic Traffic { get; }

    /// <summary>The targets' health as the probes found it.</summary>
    public TargetHealthTracker Health { get; }

    /// <summary>Asks for a reconcile now (after a commit).</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _hosts?.Clean();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "load balancer data plane: reconcile failed");
            }
            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var (state, provisioning, expired) = await DataPlaneLoader.LoadAsync(_store, now, ct).ConfigureAwait(false);
        State = state;
        await SyncNodesAsync(state, ct).ConfigureAwait(false);

        // Listeners: start what is new (or changed address/port/protocol), stop what is gone.
        var wanted = state.Listeners.Values.ToDictionary(l => l.Listener.Arn, StringComparer.Ordinal);
        foreach (var (arn, host) in _running.ToList())
        {
            if (!wanted.TryGetValue(arn, out var route) || !host.Serves(route, NodesOf(route)))
            {
                _running.Remove(arn);
                await host.DisposeAsync().ConfigureAwait(false);
            }
        }
        foreach (var (arn, route) in wanted)
        {
            if (_running.ContainsKey(arn) || (_failedUntil.TryGetValue(arn, out var until) && until > now))
            {
                continue;
            }
            try
            {
                var nodes = NodesOf(route);
                IListenerHost host = route.Listener.Protocol is "HTTP" or "HTTPS"
                    ? await HttpListenerHost.StartAsync(this, route, nodes, _forwarder, _log, ct).ConfigureAwait(false)
                    : TcpRelay.Start(this, route, nodes, _log);
                _running[arn] = host;
                _failedUntil.Remove(arn);
                if (_log.IsEnabled(LogLevel.Information))
                {
                    _log.LogInformation("load balancer {Name}: {Protocol} listener on {Address}:{Port} and {Nodes} node address(es) in its VPC", route.LoadBalancer.Name,
                        route.Listener.Protocol, route.LoadBalancer.HostAddress, route.Listener.Port, nodes.Count);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidOperationException or NotSupportedException)
            {
                _failedUntil[arn] = now.AddSeconds(30);
                _log.LogWarning("load balancer {Name}: cannot serve {Protocol} listener on {Address}:{Port}: {Error}", route.LoadBalancer.Name, route.Listener.Protocol,
                    route.LoadBalancer.HostAddress, route.Listener.Port, e.Message);
            }
        }

        _health.Reconcile(state);
        _hosts?.Write(state.HostNames);

        if (provisioning.Count > 0 || expired.Count > 0)
        {
            await using var tx = await _store.BeginWriteAsync(ct).ConfigureAwait(false);
            foreach (var (scope, id) in provisioning)
            {
                await LoadBalancers.ActivateAsync(tx, scope, id, now, ct).ConfigureAwait(false);
            }
            foreach (var (scope, group) in expired)
            {
                var current = await tx.GetAsync<TargetGroupResource>(scope, LoadBalancers.TargetGroupType, group.Id, ct).ConfigureAwait(false);
                if (current is not null && TargetGroups.ExpireDraining(current, now))
                {
                    await TargetGroups.SaveAsync(tx, scope, current, now, ct).ConfigureAwait(false);
                }
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    private IReadOnlyList<NodeBinding> NodesOf(ListenerRoute route) => NodesOf(route.LoadBalancer.Arn);

    /// <summary>The nodes of a load balancer inside its VPC (none on runtimes without guests, or while the VPC has no namespace).</summary>
    public IReadOnlyList<NodeBinding> NodesOf(string loadBalancerArn) => _nodes.GetValueOrDefault(loadBalancerArn) ?? [];

    /// <summary>The node connections to a target of <paramref name="group"/> leave from (<see cref="TargetConnector"/>); null: from the host.</summary>
    public NodeBinding? NodeFor(TargetGroupRoute group, TargetEndpoint target) =>
        group.LoadBalancerArn is { } arn ? TargetConnector.NodeFor(NodesOf(arn), target) : null;

    /// <summary>
    /// The load balancers' nodes inside their VPCs: per VPC, the runtime puts the nodes' private
    /// addresses on the VPC's network and their DNS names into its DNS (every name of a load balancer
    /// of the VPC, internal or internet-facing, answers its nodes' addresses there), and answers the
    /// namespace the listeners bind in. When a VPC's nodes change, its packet filter is rebuilt
    /// (the nodes' security groups).
    /// </summary>
    private async Task SyncNodesAsync(DataPlaneState state, CancellationToken ct)
    {
        var nodes = new Dictionary<string, IReadOnlyList<NodeBinding>>(StringComparer.Ordinal);
        var seen = new HashSet<(Scope, string)>();
        foreach (var vpc in state.LoadBalancers.GroupBy(x => (x.Scope, x.LoadBalancer.VpcId)))
        {
            var (scope, vpcId) = vpc.Key;
            seen.Add(vpc.Key);
            var zones = vpc.SelectMany(x => x.LoadBalancer.Zones.Where(z => z.NodeAddress is not null).Select(z => (x.LoadBalancer, Zone: z))).ToList();
            var signature = string.Join(",", zones.Select(z => $"{z.Zone.NetworkInterfaceId}={z.Zone.NodeAddress}:{string.Join('+', z.LoadBalancer.SecurityGroups)}").Order(StringComparer.Ordinal));
            if (!_vpcNodes.TryGetValue(vpc.Key, out var known) || known != signature)
            {
                _vpcNodes[vpc.Key] = signature;
                _ = _lifecycle.SyncFirewallAsync(scope, vpcId, CancellationToken.None);
            }
            var ns = await SetServiceAddressesAsync(scope, vpcId, zones.Select(z => z.Zone.NodeAddress!).ToList(),
                zones.Select(z => KeyValuePair.Create(z.LoadBalancer.DnsName, z.Zone.NodeAddress!)).ToList(), ct).ConfigureAwait(false);
            if (ns is null)
            {
                continue;
            }
            foreach (var group in zones.GroupBy(z => z.LoadBalancer.Arn, StringComparer.Ordinal))
            {
                nodes[group.Key] = group.Select(z => new NodeBinding(ns, IPAddress.Parse(z.Zone.NodeAddress!), z.Zone.ZoneName)).ToList();
            }
        }
        foreach (var gone in _vpcNodes.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _vpcNodes.Remove(gone);
            await SetServiceAddressesAsync(gone.Scope, gone.VpcId, [], [], ct).ConfigureAwait(false);
            _ = _lifecycle.SyncFirewallAsync(gone.Scope, gone.VpcId, CancellationToken.None);
        }
        _nodes = nodes;
    }

    private async Task<Stratus.Domain.Instances.ServiceNamespace?> SetServiceAddressesAsync(Scope scope, string vpcId, IReadOnlyList<string> addresses, IReadOnlyList<KeyValuePair<string, string>> names, CancellationToken ct)
    {
        try
        {
            return await _runtime.SetServiceAddressesAsync(scope.AccountId, scope.Region, vpcId, addresses, names, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            _log.LogWarning("load balancers of {VpcId}: cannot set up their nodes in the VPC: {Error}", vpcId, e.Message);
            return null;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var host in _running.Values)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
        _running.Clear();
        await _health.DisposeAsync().ConfigureAwait(false);
        _hosts?.Remove();
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}

/// <summary>A running listener.</summary>
internal interface IListenerHost : IAsyncDisposable
{
    /// <summary>Whether this host still serves <paramref name="route"/> as configured (address, port, protocol, node addresses in the VPC).</summary>
    bool Serves(ListenerRoute route, IReadOnlyList<NodeBinding> nodes);
}

/// <summary>Where a listener binds.</summary>
internal static class ListenerAddress
{
    public static IPEndPoint Of(ListenerRoute route) => new(IPAddress.Parse(route.LoadBalancer.HostAddress), route.Listener.Port);

    /// <summary>True when two sets of node bindings are the same (namespace identities and addresses).</summary>
    public static bool Same(IReadOnlyList<NodeBinding> a, IReadOnlyList<NodeBinding> b) => a.SequenceEqual(b);

    /// <summary>A listening TCP socket at a node's address and the listener's port, inside the node's VPC.</summary>
    public static System.Net.Sockets.Socket Bind(NodeBinding node, int port) => node.Namespace.BindTcp(new IPEndPoint(node.Address, port));
}
