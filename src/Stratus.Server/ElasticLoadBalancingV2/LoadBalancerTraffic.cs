using Stratus.Domain.CloudWatch;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// What the data plane counts between two publications of the load balancer metrics, per load
/// balancer, target group (null for what reaches no target group: connections, fixed responses,
/// redirects) and zone (the zone of the target a request or flow went to; null for connections).
/// The listeners count (<see cref="HttpListenerHost"/>, <see cref="TcpRelay"/>); the publisher takes
/// the counts with <see cref="Drain"/>, which starts a new period. Thread-safe.
/// </summary>
internal sealed class LoadBalancerTraffic
{
    /// <summary>Where counts belong.</summary>
    public readonly record struct Key(string LoadBalancerArn, string? TargetGroupArn, string? Zone);

    /// <summary>The counts of one key over one period.</summary>
    public sealed class Counts
    {
        public long Requests { get; internal set; }

        /// <summary>Responses the targets sent, by class (index 2..5: 2XX..5XX).</summary>
        public long[] TargetCodes { get; } = new long[6];

        /// <summary>Responses the load balancer generated (fixed-response, redirect, 502/503/504), by class.</summary>
        public long[] ElbCodes { get; } = new long[6];

        /// <summary>Load balancer responses by exact code (500, 502, 503, 504 are metrics of their own).</summary>
        public Dictionary<int, long> ElbExact { get; } = [];

        /// <summary>Seconds from the request leaving the load balancer to the target's response headers.</summary>
        public MetricAggregate? TargetResponseTime { get; internal set; }

        public long TargetConnectionErrors { get; internal set; }

        /// <summary>Client connections (ALB) or flows (NLB) open at the start of the period or opened during it.</summary>
        public long Active { get; internal set; }

        public long New { get; internal set; }

        public long ProcessedBytes { get; internal set; }

        public long TargetResets { get; internal set; }

        public long ClientResets { get; internal set; }

        public long ElbResets { get; internal set; }
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<Key, long> _open = [];
    private Dictionary<Key, Counts> _current = [];

    private Counts At(Key key)
    {
        if (!_current.TryGetValue(key, out var counts))
        {
            counts = new Counts();
            _current[key] = counts;
        }
        return counts;
    }

    /// <summary>
    /// A request answered: by a target of <paramref name="targetGroupArn"/> in <paramref name="zone"/>
    /// (<paramref name="fromTarget"/>, with the target's response time) or by the load balancer itself.
    /// As in ELB, RequestCount counts only requests for which a target was chosen
    /// (<paramref name="targetChosen"/>): not fixed responses, redirects or a 503 for want of targets.
    /// </summary>
    public void Request(string loadBalancerArn, string? targetGroupArn, string? zone, int statusCode, bool fromTarget, double? targetSeconds, bool targetChosen)
    {
        var codeClass = statusCode / 100;
        lock (_lock)
        {
            var counts = At(new Key(loadBalancerArn, targetGroupArn, zone));
            if (targetChosen)
            {
                counts.Requests++;
            }
            if (codeClass is >= 2 and <= 5)
            {
                (fromTarget ? counts.TargetCodes : counts.ElbCodes)[codeClass]++;
            }
            if (!fromTarget && statusCode is 500 or 502 or 503 or 504)
            {
                counts.ElbExact[statusCode] = counts.ElbExact.GetValueOrDefault(statusCode) + 1;
            }
            if (fromTarget && targetSeconds is { } seconds)
            {
                if (counts.TargetResponseTime is null)
                {
                    counts.TargetResponseTime = MetricAggregate.FromValue(seconds);
                }
                else
                {
                    counts.TargetResponseTime.Add(seconds);
                }
            }
        }
    }

    /// <summary>The load balancer could not connect to a target.</summary>
    public void TargetConnectionError(string loadBalancerArn, string targetGroupArn, string? zone)
    {
        lock (_lock)
        {
            At(new Key(loadBalancerArn, targetGroupArn, zone)).TargetConnectionErrors++;
        }
    }

    /// <summary>A client connection (ALB) or flow (NLB) opened; <see cref="Closed"/> when it ends.</summary>
    public void Opened(string loadBalancerArn, string? zone = null)
    {
        lock (_lock)
        {
            var key = new Key(loadBalancerArn, null, zone);
            _open[key] = _open.GetValueOrDefault(key) + 1;
            var counts = At(key);
            counts.New++;
            counts.Active++;
        }
    }

    public void Closed(string loadBalancerArn, string? zone = null)
    {
        lock (_lock)
        {
            var key = new Key(loadBalancerArn, null, zone);
            var open = _open.GetValueOrDefault(key) - 1;
            if (open > 0)
            {
                _open[key] = open;
            }
            else
            {
                _open.Remove(key);
            }
        }
    }

    /// <summary>Bytes carried between clients and the load balancer (both directions).</summary>
    public void Bytes(string loadBalancerArn, long bytes, string? zone = null)
    {
        if (bytes <= 0)
        {
            return;
        }
        lock (_lock)
        {
            At(new Key(loadBalancerArn, null, zone)).ProcessedBytes += bytes;
        }
    }

    /// <summary>A TCP reset: sent by a target, by a client, or by the load balancer.</summary>
    public void Reset(string loadBalancerArn, string? zone, TcpResetSource source)
    {
        lock (_lock)
        {
            var counts = At(new Key(loadBalancerArn, null, zone));
            switch (source)
            {
                case TcpResetSource.Target:
                    counts.TargetResets++;
                    break;
                case TcpResetSource.Client:
                    counts.ClientResets++;
                    break;
                default:
                    counts.ElbResets++;
                    break;
            }
        }
    }

    /// <summary>Takes the counts of the period that ends now; the next period starts with the connections still open.</summary>
    public IReadOnlyDictionary<Key, Counts> Drain()
    {
        lock (_lock)
        {
            var done = _current;
            _current = [];
            foreach (var (key, open) in _open)
            {
                At(key).Active += open;
            }
            return done;
        }
    }
}

/// <summary>Who reset a relayed TCP connection.</summary>
internal enum TcpResetSource
{
    Target,
    Client,
    LoadBalancer,
}
