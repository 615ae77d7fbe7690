using Stratus.Domain.CloudWatch;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Server.CloudWatch;
using Stratus.Server.ElasticLoadBalancingV2;

namespace Stratus.Server.Tests.ElasticLoadBalancingV2;

/// <summary>The data plane's traffic counters and the AWS/ApplicationELB and AWS/NetworkELB datapoints made of them.</summary>
public sealed class LoadBalancerMetricsTests
{
    private const string Account = "123456789012";
    private const string Region = "us-east-1";
    private const string AlbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef";
    private const string NlbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tcp/fedcba9876543210";
    private const string TgArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/00000000000000aa";
    private const string NlbTgArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tcp-tg/00000000000000bb";
    private const string Lb = "app/web/0123456789abcdef";
    private const string Tg = "targetgroup/web-tg/00000000000000aa";

    [Fact]
    public void Dimension_values_are_the_arn_resources_as_aws_names_them()
    {
        Assert.Equal(Lb, ElbNaming.MetricDimension(AlbArn));
        Assert.Equal("net/tcp/fedcba9876543210", ElbNaming.MetricDimension(NlbArn));
        Assert.Equal(Tg, ElbNaming.MetricDimension(TgArn));
        Assert.Equal((Account, Region), ElbNaming.AccountAndRegion(AlbArn));
    }

    [Fact]
    public void Drain_takes_a_period_and_the_next_one_starts_with_the_open_connections()
    {
        var traffic = new LoadBalancerTraffic();
        traffic.Opened(AlbArn);
        traffic.Opened(AlbArn);
        traffic.Closed(AlbArn);
        traffic.Bytes(AlbArn, 100);
        traffic.Bytes(AlbArn, 50);
        traffic.Request(AlbArn, TgArn, "us-east-1a", 200, fromTarget: true, 0.25, targetChosen: true);
        traffic.Request(AlbArn, TgArn, "us-east-1a", 404, fromTarget: true, 0.75, targetChosen: true);
        traffic.Request(AlbArn, null, "us-east-1a", 503, fromTarget: false, null, targetChosen: false);

        var first = traffic.Drain();
        var connections = first[new(AlbArn, null, null)];
        Assert.Equal(2, connections.New);
        Assert.Equal(2, connections.Active);
        Assert.Equal(150, connections.ProcessedBytes);
        var targets = first[new(AlbArn, TgArn, "us-east-1a")];
        Assert.Equal(2, targets.Requests);
        Assert.Equal(1, targets.TargetCodes[2]);
        Assert.Equal(1, targets.TargetCodes[4]);
        Assert.Equal(0.5, targets.TargetResponseTime!.Average);
        var elb = first[new(AlbArn, null, "us-east-1a")];
        Assert.Equal(1, elb.ElbCodes[5]);
        Assert.Equal(1, elb.ElbExact[503]);

        // One connection is still open: the next period counts it as active, not as new.
        var second = traffic.Drain();
        Assert.Equal(1, second[new(AlbArn, null, null)].Active);
        Assert.Equal(0, second[new(AlbArn, null, null)].New);
        traffic.Closed(AlbArn);
        // It was still active during the period in which it closed; after that nothing is left.
        Assert.Equal(1, traffic.Drain()[new(AlbArn, null, null)].Active);
        Assert.Empty(traffic.Drain());
    }

    private static DataPlaneState State()
    {
        var alb = new LoadBalancerResource
        {
            Id = "0123456789abcdef",
            Arn = AlbArn,
            Name = "web",
            Type = ElbTypes.Application,
            Scheme = "internet-facing",
            VpcId = "vpc-1",
            DnsName = "web-1.us-east-1.elb.amazonaws.com",
            CreatedTime = DateTime.UtcNow,
            HostAddress = "127.1.2.3",
            Zones = [new() { SubnetId = "subnet-a", ZoneName = "us-east-1a" }, new() { SubnetId = "subnet-b", ZoneName = "us-east-1b" }],
        };
        var nlb = new LoadBalancerResource
        {
            Id = "fedcba9876543210",
            Arn = NlbArn,
            Name = "tcp",
            Type = ElbTypes.Network,
            Scheme = "internet-facing",
            VpcId = "vpc-1",
            DnsName = "tcp-fedcba9876543210.elb.us-east-1.amazonaws.com",
            CreatedTime = DateTime.UtcNow,
            HostAddress = "127.1.2.4",
            Zones = [new() { SubnetId = "subnet-a", ZoneName = "us-east-1a" }],
        };
        ListenerRoute Listener(LoadBalancerResource lb, string tg, string protocol, int port) => new(lb, new ListenerResource
        {
            Id = "l" + port,
            Arn = lb.Arn.Replace(":loadbalancer/", ":listener/", StringComparison.Ordinal) + "/l" + port,
            LoadBalancerArn = lb.Arn,
            DefaultRuleId = "r",
            Port = port,
            Protocol = protocol,
            DefaultActions = [new RuleAction { Type = "forward", TargetGroupArn = tg }],
        }, []);
        TargetGroupResource Group(string arn, string name) => new() { Id = arn[^16..], Arn = arn, Name = name, TargetType = "instance", CreatedTime = DateTime.UtcNow };
        var targets = new List<TargetEndpoint>
        {
            new(TgArn, "i-a", 80, "10.0.0.1", 80, false, "us-east-1a"),
            new(TgArn, "i-b", 80, "10.0.0.2", 80, false, "us-east-1b"),
            new(TgArn, "i-c", 80, "10.0.0.3", 80, false, "us-east-1b"),
            new(TgArn, "i-d", 80, "10.0.0.4", 80, Draining: true, "us-east-1a"),
        };
        return new DataPlaneState(
            new Dictionary<string, ListenerRoute> { ["alb"] = Listener(alb, TgArn, "HTTP", 80), ["nlb"] = Listener(nlb, NlbTgArn, "TCP", 22) },
            new Dictionary<string, TargetGroupRoute>
            {
                [TgArn] = new(Group(TgArn, "web-tg"), targets, true),
                [NlbTgArn] = new(Group(NlbTgArn, "tcp-tg"), [new(NlbTgArn, "i-n", 22, "10.0.0.9", 22, false, "us-east-1a")], true),
            },
            []);
    }

    private static TargetHealthTracker Health(params (string Tg, string Id, int Port, bool Healthy)[] targets)
    {
        var tracker = new TargetHealthTracker();
        foreach (var (tg, id, port, healthy) in targets)
        {
            for (var i = 0; i < 5; i++)
            {
                tracker.Observe(tg, id, port, new ProbeResult(healthy ? ProbeOutcome.Success : ProbeOutcome.Failed), 2, 2);
            }
        }
        return tracker;
    }

    private static double? Sum(Dictionary<(SeriesKey Key, string Unit), MetricAggregate> points, string ns, string name, params (string Name, string Value)[] dimensions)
    {
        var key = SeriesKey.Create(Account, Region, ns, name, dimensions.Select(d => new KeyValuePair<string, string>(d.Name, d.Value)));
        return points.FirstOrDefault(p => p.Key.Key.Equals(key)).Value?.Sum;
    }

    [Fact]
    public void Application_load_balancer_datapoints_carry_aws_dimensions()
    {
        var traffic = new LoadBalancerTraffic();
        traffic.Opened(AlbArn);
        traffic.Bytes(AlbArn, 1000);
        for (var i = 0; i < 6; i++)
        {
            traffic.Request(AlbArn, TgArn, i < 4 ? "us-east-1b" : "us-east-1a", i == 5 ? 500 : 200, fromTarget: true, 0.01, targetChosen: true);
        }
        traffic.Request(AlbArn, null, "us-east-1a", 404, fromTarget: false, null, targetChosen: false); // a fixed response
        var health = Health((TgArn, "i-a", 80, true), (TgArn, "i-b", 80, true), (TgArn, "i-c", 80, false));
        var points = LoadBalancerMetricsPublisher.Collect(State(), traffic.Drain(), health);
        const string ns = LoadBalancerMetricsPublisher.ApplicationNamespace;

        Assert.Equal(6, Sum(points, ns, "RequestCount", ("LoadBalancer", Lb))); // not the fixed response: no target was chosen
        Assert.Equal(6, Sum(points, ns, "RequestCount", ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        Assert.Equal(4, Sum(points, ns, "RequestCount", ("AvailabilityZone", "us-east-1b"), ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        Assert.Equal(5, Sum(points, ns, "HTTPCode_Target_2XX_Count", ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        Assert.Equal(1, Sum(points, ns, "HTTPCode_Target_5XX_Count", ("LoadBalancer", Lb)));
        Assert.Equal(1, Sum(points, ns, "HTTPCode_ELB_4XX_Count", ("LoadBalancer", Lb)));
        Assert.Null(Sum(points, ns, "HTTPCode_ELB_5XX_Count", ("LoadBalancer", Lb))); // counts are published only when not zero
        Assert.Equal(6 * 0.01, Sum(points, ns, "TargetResponseTime", ("LoadBalancer", Lb), ("TargetGroup", Tg))!.Value, 6);
        Assert.Equal(1, Sum(points, ns, "ActiveConnectionCount", ("LoadBalancer", Lb)));
        Assert.Equal(1, Sum(points, ns, "NewConnectionCount", ("LoadBalancer", Lb)));
        Assert.Equal(1000, Sum(points, ns, "ProcessedBytes", ("LoadBalancer", Lb)));

        // Health of the registered, non-draining targets, in total and per zone.
        Assert.Equal(2, Sum(points, ns, "HealthyHostCount", ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        Assert.Equal(1, Sum(points, ns, "UnHealthyHostCount", ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        Assert.Equal(1, Sum(points, ns, "HealthyHostCount", ("AvailabilityZone", "us-east-1b"), ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        Assert.Equal(1, Sum(points, ns, "UnHealthyHostCount", ("AvailabilityZone", "us-east-1b"), ("LoadBalancer", Lb), ("TargetGroup", Tg)));
        // The group's 6 requests over its 2 healthy targets, by TargetGroup alone and with the LoadBalancer.
        Assert.Equal(3, Sum(points, ns, "RequestCountPerTarget", ("TargetGroup", Tg)));
        Assert.Equal(3, Sum(points, ns, "RequestCountPerTarget", ("LoadBalancer", Lb), ("TargetGroup", Tg)));
    }

    [Fact]
    public void Request_count_per_target_is_published_without_traffic_and_divides_by_registered_targets_when_none_is_healthy()
    {
        var traffic = new LoadBalancerTraffic();
        var quiet = LoadBalancerMetricsPublisher.Collect(State(), traffic.Drain(), Health());
        Assert.Equal(0, Sum(quiet, LoadBalancerMetricsPublisher.ApplicationNamespace, "RequestCountPerTarget", ("TargetGroup", Tg)));
        Assert.Null(Sum(quiet, LoadBalancerMetricsPublisher.ApplicationNamespace, "RequestCount", ("LoadBalancer", Lb)));

        for (var i = 0; i < 9; i++)
        {
            traffic.Request(AlbArn, TgArn, "us-east-1a", 200, fromTarget: true, 0.001, targetChosen: true);
        }
        var failedOpen = LoadBalancerMetricsPublisher.Collect(State(), traffic.Drain(), Health());
        Assert.Equal(3, Sum(failedOpen, LoadBalancerMetricsPublisher.ApplicationNamespace, "RequestCountPerTarget", ("TargetGroup", Tg)));
    }

    [Fact]
    public void Network_load_balancer_flows_go_to_aws_network_elb()
    {
        var traffic = new LoadBalancerTraffic();
        traffic.Opened(NlbArn, "us-east-1a");
        traffic.Bytes(NlbArn, 4096, "us-east-1a");
        traffic.Reset(NlbArn, "us-east-1a", TcpResetSource.Target);
        traffic.Reset(NlbArn, "us-east-1a", TcpResetSource.LoadBalancer);
        traffic.Closed(NlbArn, "us-east-1a");
        var points = LoadBalancerMetricsPublisher.Collect(State(), traffic.Drain(), Health((NlbTgArn, "i-n", 22, true)));
        const string ns = LoadBalancerMetricsPublisher.NetworkNamespace;
        const string nlb = "net/tcp/fedcba9876543210";
        Assert.Equal(1, Sum(points, ns, "NewFlowCount", ("LoadBalancer", nlb)));
        Assert.Equal(1, Sum(points, ns, "ActiveFlowCount", ("AvailabilityZone", "us-east-1a"), ("LoadBalancer", nlb)));
        Assert.Equal(4096, Sum(points, ns, "ProcessedBytes", ("LoadBalancer", nlb)));
        Assert.Equal(1, Sum(points, ns, "TCP_Target_Reset_Count", ("LoadBalancer", nlb)));
        Assert.Equal(1, Sum(points, ns, "TCP_ELB_Reset_Count", ("LoadBalancer", nlb)));
        Assert.Equal(1, Sum(points, ns, "HealthyHostCount", ("LoadBalancer", nlb), ("TargetGroup", "targetgroup/tcp-tg/00000000000000bb")));
        Assert.DoesNotContain(points, p => p.Key.Key.MetricName == "RequestCountPerTarget" && p.Key.Key.Namespace == ns);
        Assert.DoesNotContain(points, p => p.Key.Key.Namespace == LoadBalancerMetricsPublisher.ApplicationNamespace && p.Key.Key.MetricName == "NewFlowCount");
    }
}
