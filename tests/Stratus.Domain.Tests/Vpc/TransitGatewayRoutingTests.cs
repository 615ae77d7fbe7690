using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.TransitGateways;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>The pure transit gateway routing functions: effective routes and forwarding decisions.</summary>
public sealed class TransitGatewayRoutingTests
{
    private static readonly TransitGatewayResource Gateway = new() { Id = "tgw-0000000000000000a", OwnerId = "123456789012", State = "available" };

    private static TransitGatewayAttachmentResource Attachment(string id, string vpc, string? table, string state = "available") => new()
    {
        Id = id,
        TransitGatewayId = Gateway.Id,
        TransitGatewayOwnerId = "123456789012",
        ResourceType = "vpc",
        ResourceId = vpc,
        ResourceOwnerId = "123456789012",
        AssociatedRouteTableId = table,
        State = state,
    };

    private static TransitGatewayRouteTableResource Table(string id, params string[] propagating) => new()
    {
        Id = id,
        TransitGatewayId = Gateway.Id,
        State = "available",
        PropagatingAttachmentIds = [.. propagating],
    };

    private static readonly Dictionary<string, IReadOnlyList<string>> Cidrs = new()
    {
        ["vpc-a"] = ["10.1.0.0/16"],
        ["vpc-b"] = ["10.2.0.0/16", "100.64.0.0/24"],
        ["vpc-c"] = ["10.3.0.0/16"],
    };

    private static uint Ip(string text) => Ipv4.TryParse(text, out var address) ? address : throw new FormatException(text);

    /// <summary>Three VPCs: A and B share a table that both propagate into; C sits in an isolated table that only reaches A.</summary>
    private static TransitGatewayTopology ThreeVpcs(params TransitGatewayStaticRoute[] extraStatic)
    {
        var shared = Table("tgw-rtb-00000000000000001", "tgw-attach-0000000000000000a", "tgw-attach-0000000000000000b");
        var isolated = Table("tgw-rtb-00000000000000002", "tgw-attach-0000000000000000a");
        shared.Routes.AddRange(extraStatic);
        return new TransitGatewayTopology(Gateway,
            [
                Attachment("tgw-attach-0000000000000000a", "vpc-a", shared.Id),
                Attachment("tgw-attach-0000000000000000b", "vpc-b", shared.Id),
                Attachment("tgw-attach-0000000000000000c", "vpc-c", isolated.Id),
            ],
            [shared, isolated],
            Cidrs);
    }

    [Fact]
    public void PropagatedRoutesAreTheAttachedVpcsBlocks()
    {
        var topology = ThreeVpcs();
        var routes = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, Cidrs);
        Assert.Equal(
            [("10.1.0.0/16", "tgw-attach-0000000000000000a"), ("10.2.0.0/16", "tgw-attach-0000000000000000b"), ("100.64.0.0/24", "tgw-attach-0000000000000000b")],
            routes.Select(r => (r.DestinationCidrBlock, r.AttachmentId!)).ToList());
        Assert.All(routes, r => Assert.Equal(("propagated", "active"), (r.Type, r.State)));
    }

    [Fact]
    public void AConnectAttachmentPropagatesWhatItsPeersLearnedOverBgp()
    {
        var shared = Table("tgw-rtb-00000000000000001", "tgw-attach-0000000000000000a", "tgw-attach-000000000000000c0");
        var connect = new TransitGatewayAttachmentResource
        {
            Id = "tgw-attach-000000000000000c0",
            TransitGatewayId = Gateway.Id,
            TransitGatewayOwnerId = "123456789012",
            ResourceType = "connect",
            ResourceId = "tgw-attach-0000000000000000a",
            ResourceOwnerId = "123456789012",
            AssociatedRouteTableId = shared.Id,
            State = "available",
        };
        // The Connect attachment's resource is its transport attachment: what it propagates is keyed by its own id.
        var cidrs = new Dictionary<string, IReadOnlyList<string>>(Cidrs) { [connect.Id] = ["10.99.0.0/24"], ["tgw-attach-0000000000000000a"] = ["192.0.2.0/24"] };
        var topology = new TransitGatewayTopology(Gateway, [Attachment("tgw-attach-0000000000000000a", "vpc-a", shared.Id), connect], [shared], cidrs);
        Assert.Equal(connect.Id, TransitGateways.PropagationKey(connect));
        var routes = TransitGatewayRouting.EffectiveRoutes(shared, topology.Attachments, cidrs);
        Assert.Equal(
            [("10.1.0.0/16", "tgw-attach-0000000000000000a"), ("10.99.0.0/24", connect.Id)],
            routes.Select(r => (r.DestinationCidrBlock, r.AttachmentId!)).ToList());
        var forwarding = TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", Ip("10.99.0.1"));
        Assert.Equal((ForwardingOutcome.Forward, connect.Id), (forwarding.Outcome, forwarding.AttachmentId));
    }

    [Fact]
    public void ForwardsByTheIngressAttachmentsRouteTable()
    {
        var topology = ThreeVpcs();
        var fromA = TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", Ip("10.2.3.4"));
        Assert.Equal((ForwardingOutcome.Forward, "tgw-attach-0000000000000000b"), (fromA.Outcome, fromA.AttachmentId));
        // C's table only knows A: C reaches A, not B.
        Assert.Equal("tgw-attach-0000000000000000a", TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000c", Ip("10.1.0.9")).AttachmentId);
        Assert.Equal(ForwardingOutcome.NoRoute, TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000c", Ip("10.2.0.9")).Outcome);
        // A and B's table has no route to C.
        Assert.Equal(ForwardingOutcome.NoRoute, TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000b", Ip("10.3.0.1")).Outcome);
    }

    [Fact]
    public void LongestPrefixWinsAndStaticBeatsPropagated()
    {
        var topology = ThreeVpcs(
            new TransitGatewayStaticRoute { DestinationCidrBlock = "10.2.5.0/24", Blackhole = true },
            new TransitGatewayStaticRoute { DestinationCidrBlock = "10.1.0.0/16", AttachmentId = "tgw-attach-0000000000000000b" },
            new TransitGatewayStaticRoute { DestinationCidrBlock = "0.0.0.0/0", AttachmentId = "tgw-attach-0000000000000000a" });
        var hole = TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", Ip("10.2.5.77"));
        Assert.Equal(ForwardingOutcome.Blackhole, hole.Outcome);
        Assert.Equal("10.2.5.0/24", hole.Route!.DestinationCidrBlock);
        Assert.Equal("tgw-attach-0000000000000000b", TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", Ip("10.2.6.1")).AttachmentId);
        // The static 10.1.0.0/16 replaces the propagated one.
        var overridden = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, Cidrs).Single(r => r.DestinationCidrBlock == "10.1.0.0/16");
        Assert.Equal(("static", "tgw-attach-0000000000000000b"), (overridden.Type, overridden.AttachmentId));
        // The default route catches the rest.
        Assert.Equal("tgw-attach-0000000000000000a", TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000b", Ip("8.8.8.8")).AttachmentId);
    }

    [Fact]
    public void UnavailableAttachmentsAndMissingAssociationsDrop()
    {
        var topology = ThreeVpcs();
        var deleting = topology with
        {
            Attachments = [.. topology.Attachments.Select(a => a.Id == "tgw-attach-0000000000000000b" ? Attachment(a.Id, "vpc-b", a.AssociatedRouteTableId, "deleting") : a)],
        };
        // B is going: its propagation no longer counts and it takes no traffic.
        Assert.Equal(ForwardingOutcome.NoRoute, TransitGatewayRouting.Forward(deleting, "tgw-attach-0000000000000000a", Ip("10.2.0.1")).Outcome);
        Assert.Equal(ForwardingOutcome.Unavailable, TransitGatewayRouting.Forward(deleting, "tgw-attach-0000000000000000b", Ip("10.1.0.1")).Outcome);
        var unassociated = topology with { Attachments = [.. topology.Attachments.Select(a => a.Id == "tgw-attach-0000000000000000a" ? Attachment(a.Id, "vpc-a", null) : a)] };
        Assert.Equal(ForwardingOutcome.NotAssociated, TransitGatewayRouting.Forward(unassociated, "tgw-attach-0000000000000000a", Ip("10.2.0.1")).Outcome);
        var pendingGateway = topology with { Gateway = new TransitGatewayResource { Id = Gateway.Id, OwnerId = Gateway.OwnerId, State = "pending" } };
        Assert.Equal(ForwardingOutcome.Unavailable, TransitGatewayRouting.Forward(pendingGateway, "tgw-attach-0000000000000000a", Ip("10.2.0.1")).Outcome);
    }

    [Fact]
    public void StaticRouteToADeletedAttachmentIsABlackhole()
    {
        var topology = ThreeVpcs(new TransitGatewayStaticRoute { DestinationCidrBlock = "192.168.0.0/16", AttachmentId = "tgw-attach-0000000000000000d" });
        var route = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, Cidrs).Single(r => r.DestinationCidrBlock == "192.168.0.0/16");
        Assert.Equal("blackhole", route.State);
        Assert.Equal(ForwardingOutcome.Blackhole, TransitGatewayRouting.Forward(topology, "tgw-attach-0000000000000000a", Ip("192.168.1.1")).Outcome);
    }

    [Fact]
    public void StatesSettleAfterTheDelayAndDeletedOnesDisappearAfterRetention()
    {
        var now = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        var gateway = new TransitGatewayResource { Id = Gateway.Id, OwnerId = Gateway.OwnerId };
        Provisioning.Begin(gateway, "pending", "available", now);
        Assert.Equal("pending", Provisioning.Settle(gateway, now).State);
        Assert.Equal("available", Provisioning.Settle(gateway, now + Provisioning.Delay).State);
        Provisioning.Begin(gateway, "deleting", "deleted", now);
        Assert.True(Provisioning.IsDeletedOrDeleting(gateway));
        var later = now + Provisioning.Delay;
        Assert.Equal("deleted", Provisioning.Settle(gateway, later).State);
        Assert.False(Provisioning.IsGone(gateway, later));
        Assert.True(Provisioning.IsGone(gateway, later + Provisioning.DeletedRetention));
    }
}
