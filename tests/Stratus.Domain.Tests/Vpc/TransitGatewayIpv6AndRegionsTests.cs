using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.TransitGateways;
using Stratus.Store.Sqlite;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>
/// Against a real store: IPv6 support on VPC attachments (needs IPv6 subnets, decides what
/// propagates) and transit gateway peering between Regions (one attachment kept in both Regions).
/// </summary>
public sealed class TransitGatewayIpv6AndRegionsTests : IAsyncLifetime
{
    private static readonly Scope East = new("123456789012", "us-east-1");
    private static readonly Scope West = East with { Region = "us-west-2" };
    private static readonly DateTime T0 = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime T1 = T0 + Provisioning.Delay;
    private static readonly DateTime T2 = T1 + Provisioning.Delay;
    private static readonly DateTime T3 = T2 + Provisioning.Delay;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
        await new DefaultVpcProvisioner(_store, TimeProvider.System).EnsureAsync(East);
        await new DefaultVpcProvisioner(_store, TimeProvider.System).EnsureAsync(West);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<(VpcResource Vpc, SubnetResource Subnet)> DefaultVpcAsync(IStoreSession session, Scope scope)
    {
        var vpc = (await session.ListAsync<VpcResource>(scope, ResourceTypes.Vpc)).Single(v => v.IsDefault);
        var subnet = (await session.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet)).First(s => s.VpcId == vpc.Id);
        return (vpc, subnet);
    }

    private static async Task<TransitGatewayResource> GatewayAsync(IStoreTransaction tx, Scope scope) =>
        (await TransitGateways.CreateAsync(tx, scope, "hub", new TransitGatewayOptionsSpec(), [], T0, default)).Gateway;

    [Fact]
    public async Task Ipv6SupportNeedsIpv6SubnetsAndDecidesWhatPropagates()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (vpc, subnet) = await DefaultVpcAsync(tx, East);
        var gateway = await GatewayAsync(tx, East);
        var refused = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.CreateVpcAttachmentAsync(
            tx, East, gateway.Id, vpc.Id, [subnet.Id], new VpcAttachmentOptionsSpec(Ipv6Support: "enable"), [], T1, default));
        Assert.Equal("InvalidParameterValue", refused.Code);
        var bad = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.CreateVpcAttachmentAsync(
            tx, East, gateway.Id, vpc.Id, [subnet.Id], new VpcAttachmentOptionsSpec(Ipv6Support: "maybe"), [], T1, default));
        Assert.Equal("InvalidParameterValue", bad.Code);

        // With IPv6 blocks on the VPC and the subnet, the attachment takes IPv6 and its blocks propagate.
        var association = await Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.AssociateVpcBlockAsync(tx, East, vpc, null, T1, default);
        var subnet64 = System.Net.IPNetwork.Parse(association.Ipv6CidrBlock).BaseAddress + "/64";
        await Stratus.Domain.Vpc.Ipv6.Ipv6Blocks.AssociateSubnetBlockAsync(tx, East, subnet, subnet64, T1, default);
        await tx.PutAsync(East, ResourceTypes.Subnet, subnet.Id, subnet, T1, default);
        var attachment = await TransitGateways.CreateVpcAttachmentAsync(
            tx, East, gateway.Id, vpc.Id, [subnet.Id], new VpcAttachmentOptionsSpec(Ipv6Support: "enable"), [], T1, default);
        Assert.Equal("enable", attachment.Ipv6Support);
        var topology = await TransitGateways.TopologyAsync(tx, East, gateway.Id, T2, default);
        var routes = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, topology.ResourceCidrs);
        Assert.Contains(routes, r => r.DestinationCidrBlock == association.Ipv6CidrBlock && r.Type == "propagated");

        // Without it, only the IPv4 blocks propagate.
        await TransitGateways.ModifyVpcAttachmentAsync(tx, East, attachment.Id, null, null, new VpcAttachmentOptionsSpec(Ipv6Support: "disable"), T2, default);
        topology = await TransitGateways.TopologyAsync(tx, East, gateway.Id, T3, default);
        routes = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, topology.ResourceCidrs);
        Assert.DoesNotContain(routes, r => r.DestinationCidrBlock.Contains(':', StringComparison.Ordinal));
        Assert.Contains(routes, r => r.DestinationCidrBlock == vpc.CidrBlock);

        // Static IPv6 routes are accepted and listed after the IPv4 ones.
        await TransitGateways.PutRouteAsync(tx, East, topology.RouteTables[0].Id, "2001:db8:ffff::/48", attachment.Id, blackhole: false, replace: false, T3, default);
        topology = await TransitGateways.TopologyAsync(tx, East, gateway.Id, T3, default);
        routes = TransitGatewayRouting.EffectiveRoutes(topology.RouteTables[0], topology.Attachments, topology.ResourceCidrs);
        Assert.Equal("2001:db8:ffff::/48", routes[^1].DestinationCidrBlock);
    }

    [Fact]
    public async Task APeeringBetweenRegionsIsOneAttachmentInBoth()
    {
        await using var tx = await _store.BeginWriteAsync();
        var east = await GatewayAsync(tx, East);
        var west = await GatewayAsync(tx, West);
        var unknown = await Assert.ThrowsAsync<AwsException>(() => TransitGatewayExtras.CreatePeeringAsync(
            tx, East, east.Id, west.Id, East.AccountId, "xx-nowhere-1", null, [], T1, default));
        Assert.Equal("InvalidParameterValue", unknown.Code);
        var wrongRegion = await Assert.ThrowsAsync<AwsException>(() => TransitGatewayExtras.CreatePeeringAsync(
            tx, East, east.Id, west.Id, East.AccountId, "eu-west-1", null, [], T1, default));
        Assert.Equal("InvalidTransitGatewayID.NotFound", wrongRegion.Code);

        var created = await TransitGatewayExtras.CreatePeeringAsync(tx, East, east.Id, west.Id, East.AccountId, "us-west-2", null, [], T1, default);
        Assert.Equal(("us-east-1", "us-west-2"), (created.RequesterRegion, created.Peer!.Region));
        var mirrored = await TransitGateways.RequireAttachmentAsync(tx, West, created.Id, T2, default);
        Assert.Equal("pendingAcceptance", mirrored.State);
        Assert.Equal("us-east-1", TransitGateways.PeerRegionOf(mirrored, west.Id, West.Region));
        Assert.Equal("us-west-2", TransitGateways.PeerRegionOf(mirrored, east.Id, East.Region));

        // Only the accepter's Region accepts; both Regions then see the same state.
        var fromRequester = await Assert.ThrowsAsync<AwsException>(() => TransitGatewayExtras.DecidePeeringAsync(tx, East, created.Id, accept: true, T2, default));
        Assert.Equal("IncorrectState", fromRequester.Code);
        await TransitGatewayExtras.DecidePeeringAsync(tx, West, created.Id, accept: true, T2, default);
        Assert.Equal("available", (await TransitGateways.RequireAttachmentAsync(tx, East, created.Id, T3, default)).State);
        Assert.Equal("available", (await TransitGateways.RequireAttachmentAsync(tx, West, created.Id, T3, default)).State);

        // Each side associates it with a table of its own gateway; the other side keeps its own association.
        var westTable = (await TransitGateways.RouteTablesOfAsync(tx, West, west.Id, T3, default)).Single();
        await TransitGateways.AssociateAsync(tx, West, westTable.Id, created.Id, T3, default);
        var seenEast = await TransitGateways.RequireAttachmentAsync(tx, East, created.Id, T3, default);
        Assert.Equal(westTable.Id, TransitGateways.AssociationOn(seenEast, west.Id));
        Assert.Null(TransitGateways.AssociationOn(seenEast, east.Id));

        // Deleted from the requester's side: gone in both.
        await TransitGatewayExtras.DeletePeeringAsync(tx, East, created.Id, T3, default);
        Assert.Equal("deleting", (await TransitGateways.RequireAttachmentAsync(tx, West, created.Id, T3, default)).State);
    }
}
