using Stratus.Core;
using Stratus.Domain.Firewall;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.Peering;
using Stratus.Domain.Vpc.TransitGateways;
using Stratus.Store.Sqlite;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>
/// Against a real store: VPC peering connections between Regions and between accounts are one
/// connection kept in both sides' scopes, decided by the accepter's owner in its Region.
/// </summary>
public sealed class VpcPeeringScopesTests : IAsyncLifetime
{
    private static readonly Scope East = new("123456789012", "us-east-1");
    private static readonly Scope West = East with { Region = "us-west-2" };
    private static readonly Scope Other = new("210987654321", "us-east-1");
    private static readonly DateTime T0 = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
        foreach (var scope in new[] { East, West, Other })
        {
            await new DefaultVpcProvisioner(_store, TimeProvider.System).EnsureAsync(scope);
        }
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<(VpcResource Vpc, RouteTableResource Main)> VpcAsync(IStoreTransaction tx, Scope scope, string cidr)
    {
        var vpc = await Vpcs.CreateAsync(tx, scope, cidr, null, [], T0, default);
        var main = (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable)).Single(t => t.VpcId == vpc.Id && t.Associations.Exists(a => a.Main));
        return (vpc, main);
    }

    private static RouteSpec Through(string destination, string pcx) => new(destination, null, null, null, null, null, null, pcx, null, null, null);

    private static async Task<string> RouteStateAsync(IStoreSession session, Scope scope, string tableId, string pcx) =>
        (await session.GetAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, tableId))!.Routes.Single(r => r.VpcPeeringConnectionId == pcx).State;

    [Fact]
    public async Task AnInterRegionConnectionIsAcceptedInTheAccepterRegionOnly()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (a, aMain) = await VpcAsync(tx, East, "10.1.0.0/16");
        var (w, wMain) = await VpcAsync(tx, West, "10.2.0.0/16");
        var unknownRegion = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.CreateAsync(tx, East, a.Id, w.Id, null, "xx-nowhere-1", [], T0, default));
        Assert.Equal("InvalidParameterValue", unknownRegion.Code);

        var pcx = await VpcPeering.CreateAsync(tx, East, a.Id, w.Id, null, "us-west-2", [], T0, default);
        Assert.Equal(("us-east-1", "us-west-2"), (pcx.Requester.Region, pcx.Accepter.Region));
        Assert.Equal(West, pcx.OtherScope(East));
        Assert.Equal(East, pcx.OtherScope(West));
        // One connection, seen in both Regions (and in no third one).
        Assert.Equal("pending-acceptance", (await VpcPeering.RequireAsync(tx, West, pcx.Id, T0, default)).StatusAt(T0));
        Assert.Equal("pending-acceptance", (await VpcPeering.RequireAsync(tx, East, pcx.Id, T0, default)).StatusAt(T0));
        var elsewhere = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.RequireAsync(tx, East with { Region = "eu-west-1" }, pcx.Id, T0, default));
        Assert.Equal("InvalidVpcPeeringConnectionID.NotFound", elsewhere.Code);

        // Routes on both sides name it while pending: blackholes until it is active.
        await RouteTables.CreateRouteAsync(tx, East, aMain.Id, Through("10.2.0.0/16", pcx.Id), T0, default);
        await RouteTables.CreateRouteAsync(tx, West, wMain.Id, Through("10.1.0.0/16", pcx.Id), T0, default);

        var fromRequester = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.AcceptAsync(tx, East, pcx.Id, T0, default));
        Assert.Equal("OperationNotPermitted", fromRequester.Code);
        var rejectFromRequester = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.RejectAsync(tx, East, pcx.Id, T0, default));
        Assert.Equal("OperationNotPermitted", rejectFromRequester.Code);
        await VpcPeering.AcceptAsync(tx, West, pcx.Id, T0, default);
        Assert.Equal("active", (await VpcPeering.RequireAsync(tx, East, pcx.Id, T0, default)).StatusAt(T0));
        Assert.Equal("active", await RouteStateAsync(tx, East, aMain.Id, pcx.Id));
        Assert.Equal("active", await RouteStateAsync(tx, West, wMain.Id, pcx.Id));

        // Each side's firewall names the other VPC with its Region.
        var eastFirewall = await VpcFirewall.ReadAsync(tx, East, a.Id, default);
        var peering = Assert.Single(eastFirewall!.Peerings);
        Assert.Equal((w.Id, "us-west-2", (string?)null), (peering.PeerVpcId, peering.PeerRegion, peering.PeerOwnerId));
        Assert.Equal(["10.2.0.0/16"], peering.PeerCidrs);
        var westFirewall = await VpcFirewall.ReadAsync(tx, West, w.Id, default);
        Assert.Equal("us-east-1", Assert.Single(westFirewall!.Peerings).PeerRegion);

        // Each Region changes its own side's options only.
        var wrongSide = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.ModifyOptionsAsync(tx, East, pcx.Id, null, true, T0, default));
        Assert.Equal("OperationNotPermitted", wrongSide.Code);
        await VpcPeering.ModifyOptionsAsync(tx, West, pcx.Id, null, true, T0, default);
        Assert.True((await VpcPeering.RequireAsync(tx, East, pcx.Id, T0, default)).Accepter.AllowDnsResolutionFromRemoteVpc);

        // Deleted from the accepter's Region: deleted in both, routes blackholes in both.
        await VpcPeering.DeleteAsync(tx, West, pcx.Id, T0, default);
        Assert.Equal("deleted", (await VpcPeering.RequireAsync(tx, East, pcx.Id, T0, default)).StatusAt(T0));
        Assert.Equal("blackhole", await RouteStateAsync(tx, East, aMain.Id, pcx.Id));
        Assert.Equal("blackhole", await RouteStateAsync(tx, West, wMain.Id, pcx.Id));
    }

    [Fact]
    public async Task ACrossAccountConnectionIsDecidedByTheOtherAccount()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (a, _) = await VpcAsync(tx, East, "10.1.0.0/16");
        var (o, _) = await VpcAsync(tx, Other, "10.3.0.0/16");
        var (overlapping, _) = await VpcAsync(tx, Other, "10.1.0.0/16");
        var badAccount = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.CreateAsync(tx, East, a.Id, o.Id, "12345", null, [], T0, default));
        Assert.Equal("InvalidParameterValue", badAccount.Code);

        // A VPC the other account does not have: the request fails, and only the requester sees it.
        var missing = await VpcPeering.CreateAsync(tx, East, a.Id, "vpc-0123456789abcdef0", Other.AccountId, null, [], T0, default);
        Assert.Equal("failed", missing.StatusAt(T0));
        await Assert.ThrowsAsync<AwsException>(() => VpcPeering.RequireAsync(tx, Other, missing.Id, T0, default));
        // Overlapping blocks across accounts fail too.
        Assert.Equal("failed", (await VpcPeering.CreateAsync(tx, East, a.Id, overlapping.Id, Other.AccountId, null, [], T0, default)).StatusAt(T0));

        var pcx = await VpcPeering.CreateAsync(tx, East, a.Id, o.Id, Other.AccountId, null, [], T0, default);
        Assert.Equal($"Pending Acceptance by {Other.AccountId}", pcx.StatusMessage);
        var seen = await VpcPeering.RequireAsync(tx, Other, pcx.Id, T0, default);
        Assert.Equal((East.AccountId, Other.AccountId), (seen.Requester.OwnerId, seen.Accepter.OwnerId));
        var duplicate = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.CreateAsync(tx, East, a.Id, o.Id, Other.AccountId, null, [], T0, default));
        Assert.Equal("VpcPeeringConnectionAlreadyExists", duplicate.Code);

        var fromRequester = await Assert.ThrowsAsync<AwsException>(() => VpcPeering.AcceptAsync(tx, East, pcx.Id, T0, default));
        Assert.Equal("OperationNotPermitted", fromRequester.Code);
        await VpcPeering.RejectAsync(tx, Other, pcx.Id, T0, default);
        Assert.Equal("rejected", (await VpcPeering.RequireAsync(tx, East, pcx.Id, T0, default)).StatusAt(T0));
        Assert.Equal($"Rejected by {Other.AccountId}", (await VpcPeering.RequireAsync(tx, East, pcx.Id, T0, default)).StatusMessage);

        var again = await VpcPeering.CreateAsync(tx, East, a.Id, o.Id, Other.AccountId, null, [], T0, default);
        await VpcPeering.AcceptAsync(tx, Other, again.Id, T0, default);
        var firewall = await VpcFirewall.ReadAsync(tx, Other, o.Id, default);
        var peering = Assert.Single(firewall!.Peerings);
        Assert.Equal((a.Id, East.AccountId, (string?)null), (peering.PeerVpcId, peering.PeerOwnerId, peering.PeerRegion));
    }

    [Fact]
    public async Task ATransitGatewayPeeringBetweenAccountsIsOneAttachmentInBoth()
    {
        await using var tx = await _store.BeginWriteAsync();
        var mine = (await TransitGateways.CreateAsync(tx, East, "mine", new TransitGatewayOptionsSpec(), [], T0, default)).Gateway;
        var theirs = (await TransitGateways.CreateAsync(tx, Other, "theirs", new TransitGatewayOptionsSpec(), [], T0, default)).Gateway;
        var t1 = T0 + Provisioning.Delay;
        var t2 = t1 + Provisioning.Delay;
        var t3 = t2 + Provisioning.Delay;
        var badAccount = await Assert.ThrowsAsync<AwsException>(() => TransitGatewayExtras.CreatePeeringAsync(
            tx, East, mine.Id, theirs.Id, "42", "us-east-1", null, [], t1, default));
        Assert.Equal("InvalidParameterValue", badAccount.Code);
        var wrongAccount = await Assert.ThrowsAsync<AwsException>(() => TransitGatewayExtras.CreatePeeringAsync(
            tx, East, mine.Id, theirs.Id, East.AccountId, "us-east-1", null, [], t1, default));
        Assert.Equal("InvalidTransitGatewayID.NotFound", wrongAccount.Code);

        var created = await TransitGatewayExtras.CreatePeeringAsync(tx, East, mine.Id, theirs.Id, Other.AccountId, "us-east-1", null, [], t1, default);
        Assert.Equal(Other, TransitGateways.OtherScope(created, East));
        Assert.Equal(East, TransitGateways.OtherScope(created, Other));
        var mirrored = await TransitGateways.RequireAttachmentAsync(tx, Other, created.Id, t2, default);
        Assert.Equal("pendingAcceptance", mirrored.State);
        Assert.Equal(East.AccountId, TransitGateways.PeerAccountOf(mirrored, theirs.Id));
        Assert.Equal(Other.AccountId, TransitGateways.PeerAccountOf(mirrored, mine.Id));

        // Only the accepter's account decides; both then see the same state.
        var fromRequester = await Assert.ThrowsAsync<AwsException>(() => TransitGatewayExtras.DecidePeeringAsync(tx, East, created.Id, accept: true, t2, default));
        Assert.Equal("IncorrectState", fromRequester.Code);
        await TransitGatewayExtras.DecidePeeringAsync(tx, Other, created.Id, accept: true, t2, default);
        Assert.Equal("available", (await TransitGateways.RequireAttachmentAsync(tx, East, created.Id, t3, default)).State);

        // The accepter associates it with a table of its own gateway; the requester sees that too.
        var theirTable = (await TransitGateways.RouteTablesOfAsync(tx, Other, theirs.Id, t3, default)).Single();
        await TransitGateways.AssociateAsync(tx, Other, theirTable.Id, created.Id, t3, default);
        Assert.Equal(theirTable.Id, TransitGateways.AssociationOn(await TransitGateways.RequireAttachmentAsync(tx, East, created.Id, t3, default), theirs.Id));
        await TransitGatewayExtras.DeletePeeringAsync(tx, Other, created.Id, t3, default);
        Assert.Equal("deleting", (await TransitGateways.RequireAttachmentAsync(tx, East, created.Id, t3, default)).State);
    }
}
