using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.Endpoints;
using Stratus.Domain.Vpc.TransitGateways;
using Stratus.Domain.Vpc.Vpn;
using Stratus.Store.Sqlite;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>Transit gateway, VPN and endpoint rules against a real store: states, dependencies and EC2's error codes.</summary>
public sealed class ConnectivityRulesTests : IAsyncLifetime
{
    private static readonly Scope Scope = new("123456789012", "us-east-1");
    private static readonly DateTime T0 = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime T1 = T0 + Provisioning.Delay;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
        await new DefaultVpcProvisioner(_store, TimeProvider.System).EnsureAsync(Scope);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<(VpcResource Vpc, SubnetResource Subnet)> DefaultVpcAsync(IStoreSession session)
    {
        var vpc = (await session.ListAsync<VpcResource>(Scope, ResourceTypes.Vpc)).Single(v => v.IsDefault);
        var subnet = (await session.ListAsync<SubnetResource>(Scope, ResourceTypes.Subnet)).First(s => s.VpcId == vpc.Id);
        return (vpc, subnet);
    }

    [Fact]
    public async Task TransitGatewayLifecycleAndDefaultRouteTable()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (vpc, subnet) = await DefaultVpcAsync(tx);
        var (gateway, table) = await TransitGateways.CreateAsync(tx, Scope, "hub", new TransitGatewayOptionsSpec(), [], T0, default);
        Assert.NotNull(table);
        Assert.True(table.DefaultAssociationRouteTable && table.DefaultPropagationRouteTable);
        Assert.Equal("pending", gateway.State);

        var early = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.CreateVpcAttachmentAsync(tx, Scope, gateway.Id, vpc.Id, [subnet.Id], new(), [], T0, default));
        Assert.Equal("IncorrectState", early.Code);

        var attachment = await TransitGateways.CreateVpcAttachmentAsync(tx, Scope, gateway.Id, vpc.Id, [subnet.Id], new(), [], T1, default);
        Assert.Equal(table.Id, attachment.AssociatedRouteTableId);
        var routes = TransitGatewayRouting.EffectiveRoutes(
            await TransitGateways.RequireRouteTableAsync(tx, Scope, table.Id, T1 + Provisioning.Delay, default),
            [Provisioning.Settle(attachment, T1 + Provisioning.Delay)],
            await TransitGateways.ResourceCidrsAsync(tx, Scope, [attachment], default));
        Assert.Equal("172.31.0.0/16", Assert.Single(routes).DestinationCidrBlock);

        var busy = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.DeleteAsync(tx, Scope, gateway.Id, T1 + Provisioning.Delay, default));
        Assert.Equal("IncorrectState", busy.Code);
        await TransitGateways.DeleteVpcAttachmentAsync(tx, Scope, attachment.Id, T1 + Provisioning.Delay, default);
        var deleted = await TransitGateways.DeleteAsync(tx, Scope, gateway.Id, T1 + Provisioning.Delay, default);
        Assert.Equal("deleting", deleted.State);
        var later = T1 + Provisioning.Delay + Provisioning.Delay;
        Assert.Equal("deleted", (await TransitGateways.RequireAsync(tx, Scope, gateway.Id, later, default)).State);
        Assert.Equal("deleted", (await TransitGateways.RequireRouteTableAsync(tx, Scope, table.Id, later, default)).State);
        var gone = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.RequireAsync(tx, Scope, gateway.Id, later + Provisioning.DeletedRetention, default));
        Assert.Equal("InvalidTransitGatewayID.NotFound", gone.Code);
    }

    [Theory]
    [InlineData(64511L)]
    [InlineData(65535L)]
    [InlineData(4294967295L)]
    public async Task AmazonSideAsnMustBePrivate(long asn)
    {
        await using var tx = await _store.BeginWriteAsync();
        var error = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.CreateAsync(tx, Scope, null, new TransitGatewayOptionsSpec(AmazonSideAsn: asn), [], T0, default));
        Assert.Equal("InvalidParameterValue", error.Code);
    }

    [Fact]
    public async Task RoutesNeedAnAttachmentXorBlackhole()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (_, table) = await TransitGateways.CreateAsync(tx, Scope, null, new TransitGatewayOptionsSpec(), [], T0, default);
        var both = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.PutRouteAsync(tx, Scope, table!.Id, "10.0.0.0/8", "tgw-attach-0123456789abcdef0", true, false, T1, default));
        Assert.Equal("InvalidParameterCombination", both.Code);
        var none = await Assert.ThrowsAsync<AwsException>(() => TransitGateways.PutRouteAsync(tx, Scope, table!.Id, "10.0.0.0/8", null, false, false, T1, default));
        Assert.Equal("MissingParameter", none.Code);
        var route = await TransitGateways.PutRouteAsync(tx, Scope, table!.Id, "10.9.9.9/8", null, true, false, T1, default);
        Assert.Equal(("10.0.0.0/8", "blackhole"), (route.DestinationCidrBlock, route.State));
    }

    [Fact]
    public async Task VpnGatewayAttachesOnceAndConnectionsNeedAnAvailableCustomerGateway()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (vpc, _) = await DefaultVpcAsync(tx);
        var customer = await Vpn.CreateCustomerGatewayAsync(tx, Scope, "ipsec.1", "198.51.100.1", null, null, null, [], T0, default);
        Assert.Equal(65000, customer.BgpAsn);
        var gateway = await Vpn.CreateVpnGatewayAsync(tx, Scope, "ipsec.1", null, null, [], T0, default);
        var pending = await Assert.ThrowsAsync<AwsException>(() => Vpn.AttachAsync(tx, Scope, gateway.Id, vpc.Id, T0, default));
        Assert.Equal("IncorrectState", pending.Code);
        var attachment = await Vpn.AttachAsync(tx, Scope, gateway.Id, vpc.Id, T1, default);
        Assert.Equal("attaching", attachment.State);
        var twice = await Assert.ThrowsAsync<AwsException>(() => Vpn.AttachAsync(tx, Scope, gateway.Id, vpc.Id, T1, default));
        Assert.Equal("VpnGatewayAttachmentLimitExceeded", twice.Code);

        var spec = new VpnConnectionSpec(customer.Id, "ipsec.1", gateway.Id, null, true, null, null, false, [new VpnTunnelSpec(InsideCidr: "169.254.0.0/30")]);
        var reserved = await Assert.ThrowsAsync<AwsException>(() => Vpn.CreateConnectionAsync(tx, Scope, spec, [], T1, default));
        Assert.Equal("InvalidParameterValue", reserved.Code);
        var connection = await Vpn.CreateConnectionAsync(tx, Scope, spec with { Tunnels = [] }, [], T1, default);
        Assert.Equal(2, connection.Tunnels.Count);
        Assert.All(connection.Tunnels, t => Assert.StartsWith("169.254.", t.InsideCidr, StringComparison.Ordinal));
        var document = CustomerGatewayConfiguration.Render(connection, customer, gateway.AmazonSideAsn);
        Assert.Contains("<vpn_connection id=\"" + connection.Id + "\">", document, StringComparison.Ordinal);
        Assert.DoesNotContain("<bgp>", document, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayEndpointRoutesPointAtTheServicePrefixList()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (vpc, _) = await DefaultVpcAsync(tx);
        var table = (await tx.ListAsync<RouteTableResource>(Scope, ResourceTypes.RouteTable)).Single(t => t.VpcId == vpc.Id);
        var endpoint = await VpcEndpoints.CreateAsync(tx, Scope,
            new VpcEndpointSpec(vpc.Id, "com.amazonaws.us-east-1.dynamodb", null, null, [table.Id], [], [], null), [], T0, default);
        Assert.Equal("available", endpoint.State);
        var expected = "pl-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("us-east-1/com.amazonaws.us-east-1.dynamodb"u8.ToArray()))[..8];
        Assert.Equal(expected, VpcEndpoints.PrefixListOf(Scope, endpoint));
        var routes = (await tx.GetAsync<RouteTableResource>(Scope, ResourceTypes.RouteTable, table.Id))!.Routes;
        Assert.Contains(routes, r => r.DestinationPrefixListId == expected && r.GatewayId == endpoint.Id);
        await VpcEndpoints.DeleteAsync(tx, Scope, endpoint.Id, T1, default);
        Assert.DoesNotContain((await tx.GetAsync<RouteTableResource>(Scope, ResourceTypes.RouteTable, table.Id))!.Routes, r => r.GatewayId == endpoint.Id);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"Version\":\"2012-10-17\"}")]
    [InlineData("{oops")]
    public void PolicyDocumentsMustBeJsonObjectsWithStatements(string policy) =>
        Assert.Equal("MalformedPolicyDocument", Assert.Throws<AwsException>(() => VpcEndpoints.CheckPolicy(policy)).Code);
}
