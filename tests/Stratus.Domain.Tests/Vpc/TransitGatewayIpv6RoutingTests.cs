using System.Net;
using Stratus.Core;
using Stratus.Domain.Vpc.TransitGateways;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>IPv6 in transit gateway routing: IPv6 blocks in route tables, forwarding by IPv6 destination, destination validation.</summary>
public sealed class TransitGatewayIpv6RoutingTests
{
    private static readonly TransitGatewayResource Gateway = new() { Id = "tgw-0000000000000000a", OwnerId = "123456789012", State = "available" };

    private static TransitGatewayAttachmentResource Attachment(string id, string vpc, string table) => new()
    {
        Id = id,
        TransitGatewayId = Gateway.Id,
        TransitGatewayOwnerId = "123456789012",
        ResourceType = "vpc",
        ResourceId = vpc,
        ResourceOwnerId = "123456789012",
        AssociatedRouteTableId = table,
        State = "available",
    };

    /// <summary>Two dual-stack VPCs propagating both families into one table.</summary>
    private static TransitGatewayTopology TwoVpcs(params TransitGatewayStaticRoute[] routes)
    {
        var table = new TransitGatewayRouteTableResource
        {
            Id = "tgw-rtb-00000000000000001",
            TransitGatewayId = Gateway.Id,
            State = "available",
            PropagatingAttachmentIds = ["tgw-attach-0000000000000000a", "tgw-attach-0000000000000000b"],
        };
        table.Routes.AddRange(routes);
        return new TransitGatewayTopology(Gateway,
            [Attachment("tgw-attach-0000000000000000a", "vpc-a", table.Id), Attachment("tgw-attach-0000000000000000b", "vpc-b", table.Id)],
            [table],
            new Dictionary<string, IReadOnlyList<string>>
            {
                ["vpc-a"] = ["10.1.0.0/16", "2001:db8:0:100::/56"],
                ["vpc-b"] = ["10.2.0.0/16", "2001:db8:0:200::/56"],
            });
    }

    [Fact]
    public void Ipv6BlocksPropagateAndSortAfterTheIpv4Ones()
    {
        var topology = TwoVpcs();
        var routes = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, topology.ResourceCidrs);
        Assert.Equal(["10.1.0.0/16", "10.2.0.0/16", "2001:db8:0:100::/56", "2001:db8:0:200::/56"], routes.Select(r => r.DestinationCidrBlock).ToList());
    }

    [Fact]
    public void Ipv6DestinationsForwardByTheLongestIpv6Route()
    {
        var topology = TwoVpcs(new TransitGatewayStaticRoute { DestinationCidrBlock = "2001:db8:0:280::/57", Blackhole = true });
        var toB = TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", IPAddress.Parse("2001:db8:0:201::5"));
        Assert.Equal((ForwardingOutcome.Forward, "tgw-attach-0000000000000000b"), (toB.Outcome, toB.AttachmentId));
        var blackholed = TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", IPAddress.Parse("2001:db8:0:281::5"));
        Assert.Equal(ForwardingOutcome.Blackhole, blackholed.Outcome);
        Assert.Equal(ForwardingOutcome.NoRoute, TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", IPAddress.Parse("2001:db8:1::1")).Outcome);
        // IPv4 destinations never match IPv6 routes (nor the other way round).
        Assert.Equal(ForwardingOutcome.NoRoute, TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", IPAddress.Parse("::ffff:10.2.0.1")).Outcome);
    }

    [Fact]
    public void RouteViewsCompareBlocksOfTheSameFamilyOnly()
    {
        var route = new TransitGatewayRouteView("2001:db8:0:200::/56", "static", "active", "tgw-attach-0000000000000000b");
        Assert.True(route.Covers(IPNetwork.Parse("2001:db8:0:201::/64")));
        Assert.False(route.Covers(IPNetwork.Parse("2001:db8::/48")));
        Assert.True(route.IsWithin(IPNetwork.Parse("2001:db8::/48")));
        Assert.False(route.IsWithin(IPNetwork.Parse("0.0.0.0/0")));
    }

    [Theory]
    [InlineData("2001:db8:0:200::/56", "2001:db8:0:200::/56")]
    [InlineData("10.1.2.3/16", "10.1.0.0/16")]
    [InlineData("fe80::1/64", "fe80::/64")]
    public void DestinationsAreCanonical(string given, string canonical) =>
        Assert.Equal(canonical, TransitGateways.CanonicalDestination(given));

    [Theory]
    [InlineData("2001:db8::/129")]
    [InlineData("2001:db8:::/64")]
    public void MalformedIpv6DestinationsAreInvalidParameterValue(string given)
    {
        var e = Assert.Throws<AwsException>(() => TransitGateways.CanonicalDestination(given));
        Assert.Equal("InvalidParameterValue", e.Code);
    }
}
