using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Compute.ReservedInstances;
using Stratus.Domain.Hosts;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;
using Ri = Stratus.Domain.Compute.ReservedInstances.ReservedInstances;

namespace Stratus.Domain.Tests;

/// <summary>Dedicated Host Reservations and Reserved Instance Marketplace listings against a real (SQLite) store.</summary>
public sealed class ReservationsMarketTests : IAsyncLifetime
{
    private static readonly Scope Scope = new("123456789012", "us-east-1");
    private static readonly DateTime Now = new(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-reservations-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void HostOfferings_ArePricedFromTheHostsOnDemandRate()
    {
        // An m5 host is priced like its largest size (m5.24xlarge: 384 GiB × 0.0116 = 4.4544 USD/h) × 1.1.
        var hostPrice = HostReservations.OnDemandHostPrice("m5", "us-east-1");
        Assert.Equal(Math.Round(SpotPriceModel.OnDemandPrice(InstanceTypeCatalog.Find("m5.24xlarge")!, "us-east-1") * 1.1m, 4), hostPrice);
        Assert.Equal(4.8998m, hostPrice);
        var m5 = HostReservations.Offerings("us-east-1").Where(o => o.InstanceFamily == "m5").ToList();
        Assert.Equal(6, m5.Count);
        var allUpfront = Assert.Single(m5, o => o.PaymentOption == HostReservations.AllUpfront && o.Duration == ReservedInstanceOfferings.OneYear);
        Assert.Equal(Math.Round(hostPrice * 0.58m * 8760, 2), allUpfront.UpfrontPrice);
        Assert.Equal(0m, allUpfront.HourlyPrice);
        var noUpfront = Assert.Single(m5, o => o.PaymentOption == HostReservations.NoUpfront && o.Duration == ReservedInstanceOfferings.ThreeYears);
        Assert.Equal((0m, Math.Round(hostPrice * 0.43m, 3)), (noUpfront.UpfrontPrice, noUpfront.HourlyPrice));
        Assert.Equal(allUpfront, HostReservations.RequireOffering("us-east-1", allUpfront.Id));
        Assert.NotEqual(allUpfront.Id, HostReservations.Offerings("eu-west-1").Single(o => o.Position == allUpfront.Position).Id);
        Assert.Equal("InvalidHostReservationOfferingId.Malformed", Assert.Throws<AwsException>(() => HostReservations.RequireOffering("us-east-1", "hro-xyz")).Code);
        Assert.Equal("InvalidHostReservationOfferingId.NotFound", Assert.Throws<AwsException>(() => HostReservations.RequireOffering("us-east-1", "hro-0123456789abcdef0")).Code);
    }

    [Fact]
    public async Task Purchase_CoversHostsOfTheFamilyOnce_AndReservedHostsAreNotReleased()
    {
        var hosts = DedicatedHosts.Plan(Scope, "us-east-1a", null, 2, null, "m5", null, null, null, null, [], Now);
        var c5 = DedicatedHosts.Plan(Scope, "us-east-1a", null, 1, "c5.large", null, null, null, null, null, [], Now)[0];
        var offering = HostReservations.Offerings("us-east-1").Single(o => o.InstanceFamily == "m5" && o.PaymentOption == HostReservations.PartialUpfront && o.Duration == ReservedInstanceOfferings.OneYear);
        await using var tx = await _store.BeginWriteAsync();
        foreach (var host in hosts.Append(c5))
        {
            await tx.PutAsync(Scope, ResourceTypes.Host, host.Id, host, Now);
        }
        var ids = hosts.Select(h => h.Id).ToList();
        var quote = await HostReservations.QuoteAsync(tx, Scope, offering.Id, ids, Now);
        Assert.Equal((offering.UpfrontPrice * 2, offering.HourlyPrice * 2), (quote.UpfrontPrice, quote.HourlyPrice));
        Assert.Equal("InvalidInstanceFamily", (await Assert.ThrowsAsync<AwsException>(() => HostReservations.QuoteAsync(tx, Scope, offering.Id, [c5.Id], Now))).Code);
        Assert.Equal("InvalidParameterValue", (await Assert.ThrowsAsync<AwsException>(() =>
            HostReservations.PurchaseAsync(tx, Scope, offering.Id, ids, "10", null, null, [], Now))).Code);

        var reservation = await HostReservations.PurchaseAsync(tx, Scope, offering.Id, ids, null, "USD", "token", [], Now);
        Assert.Equal((Now, Now.AddYears(1)), (reservation.Start, reservation.End));
        Assert.Equal(reservation.Id, (await HostReservations.PurchaseAsync(tx, Scope, offering.Id, ids, null, null, "token", [], Now)).Id);
        Assert.Equal("HostAlreadyCoveredByReservation", (await Assert.ThrowsAsync<AwsException>(() =>
            HostReservations.PurchaseAsync(tx, Scope, offering.Id, [ids[0]], null, null, null, [], Now))).Code);
        Assert.Equal(reservation.Id, (await DedicatedHosts.RequireAsync(tx, Scope, ids[1])).HostReservationId);
        Assert.Equal("UnsupportedOperation", (await DedicatedHosts.ReleaseAsync(tx, Scope, ids[0], Now))!.Code);

        // After the term the reservation is retired: the host can be released or reserved again.
        var later = reservation.End.AddSeconds(1);
        Assert.Equal(HostReservations.Retired, HostReservations.StateAt(reservation, later));
        Assert.NotNull(await HostReservations.PurchaseAsync(tx, Scope, offering.Id, [ids[1]], null, null, null, [], later));
        Assert.Null(await DedicatedHosts.ReleaseAsync(tx, Scope, ids[0], later));
    }

    [Fact]
    public void PriceSchedules_ExpandToOnePricePerRemainingMonth()
    {
        // AWS's example: 11 months left, schedules 11 → 2.5, 8 → 2.0, 5 → 1.5, 3 → 0.7, 1 → 0.1.
        var prices = ReservedInstancesListings.Expand(
            [new(11, 2.5, "USD"), new(8, 2.0, null), new(5, 1.5, null), new(3, 0.7, null), new(1, 0.1, null)], 11);
        Assert.Equal([2.5m, 2.5m, 2.5m, 2.0m, 2.0m, 2.0m, 1.5m, 1.5m, 0.7m, 0.7m, 0.1m], prices.Select(p => p.Price));
        Assert.Equal(Enumerable.Range(1, 11).Reverse(), prices.Select(p => p.Term));
        // The longest schedule also covers the months above it.
        Assert.Equal([9m, 9m, 9m, 4m], ReservedInstancesListings.Expand([new(3, 9, null), new(1, 4, null)], 4).Select(p => p.Price));
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => ReservedInstancesListings.Expand([new(5, 1, null)], 4)).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => ReservedInstancesListings.Expand([new(2, 1, null), new(2, 3, null)], 4)).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => ReservedInstancesListings.Expand([new(2, -1, null)], 4)).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => ReservedInstancesListings.Expand([new(2, 1, "EUR")], 4)).Code);
        Assert.Equal("MissingParameter", Assert.Throws<AwsException>(() => ReservedInstancesListings.Expand([], 4)).Code);
        Assert.Equal(9, ReservedInstancesListings.MonthsRemaining(Now, Now.AddMonths(9).AddDays(13)));
        Assert.Equal(0, ReservedInstancesListings.MonthsRemaining(Now, Now.AddDays(29)));
    }

    [Fact]
    public async Task Listings_FollowTheRules_CloseAtTheEndOfTheTerm_AndASaleSplitsTheReservedInstances()
    {
        await using var tx = await _store.BeginWriteAsync();
        var ri = await BuyAsync(tx, "standard", "us-east-1a", 3);
        Assert.Equal("InvalidInput", (await Assert.ThrowsAsync<AwsException>(() =>
            ReservedInstancesListings.CreateAsync(tx, Scope, ri.Id, 1, [new(3, 10, null)], "early", Now))).Code);
        var at = Now.AddMinutes(1);
        Assert.Equal("InvalidInput", (await Assert.ThrowsAsync<AwsException>(async () =>
            await ReservedInstancesListings.CreateAsync(tx, Scope, (await BuyAsync(tx, "convertible", "us-east-1a", 1)).Id, 1, [new(3, 10, null)], "conv", at))).Code);
        Assert.Equal("InvalidInput", (await Assert.ThrowsAsync<AwsException>(async () =>
            await ReservedInstancesListings.CreateAsync(tx, Scope, (await BuyAsync(tx, "standard", null, 1)).Id, 1, [new(3, 10, null)], "regional", at))).Code);

        var listing = await ReservedInstancesListings.CreateAsync(tx, Scope, ri.Id, 2, [new(6, 300, null), new(2, 80, null)], "one", at);
        Assert.Equal((ReservedInstancesListings.Active, 2, 11), (listing.Status, listing.Available, listing.Prices.Count));
        Assert.Equal(11, ReservedInstancesListings.ActiveTerm(listing, ri, at));
        Assert.Equal(listing.Id, (await ReservedInstancesListings.CreateAsync(tx, Scope, ri.Id, 2, [new(6, 300, null)], "one", at)).Id);
        Assert.Equal("InvalidParameterValue", (await Assert.ThrowsAsync<AwsException>(() =>
            ReservedInstancesListings.CreateAsync(tx, Scope, ri.Id, 2, [new(3, 10, null)], "two", at))).Code);

        // A buyer takes one: the three are retired and two (one still listed) take their place.
        var sold = await ReservedInstancesListings.SellAsync(tx, Scope, listing.Id, 1, at.AddDays(1));
        Assert.Equal((1, 1, ReservedInstancesListings.Active), (sold.Available, sold.Sold, sold.Status));
        Assert.Equal(Ri.Retired, (await Ri.RequireAsync(tx, Scope, ri.Id)).State);
        var rest = await Ri.RequireAsync(tx, Scope, sold.ReservedInstancesId);
        Assert.Equal((2, ri.End, Ri.Active), (rest.InstanceCount, rest.End, Ri.StateAt(rest, at.AddDays(1))));

        // A month before the end the listing closes; its unsold instance is counted as cancelled.
        var closed = await ReservedInstancesListings.RequireAsync(tx, Scope, listing.Id, ri.End.AddDays(-10));
        Assert.Equal((ReservedInstancesListings.Closed, "CLOSED", 0, 1), (closed.Status, closed.StatusMessage, closed.Available, closed.Cancelled));
        Assert.Null(ReservedInstancesListings.ActiveTerm(closed, rest, ri.End.AddDays(-10)));
        Assert.Equal("InvalidInput", (await Assert.ThrowsAsync<AwsException>(() => ReservedInstancesListings.CancelAsync(tx, Scope, listing.Id, ri.End.AddDays(-10)))).Code);
        Assert.Equal("InvalidInput", (await Assert.ThrowsAsync<AwsException>(() => ReservedInstancesListings.CancelAsync(tx, Scope, Guid.NewGuid().ToString(), at))).Code);
    }

    private static async Task<ReservedInstancesResource> BuyAsync(IStoreTransaction tx, string offeringClass, string? zone, int count)
    {
        var offering = ReservedInstanceOfferings.Enumerate("us-east-1", new OfferingQuery(["m5.large"], zone, "Linux/UNIX", "default", offeringClass, "All Upfront",
            ReservedInstanceOfferings.OneYear, ReservedInstanceOfferings.OneYear, zone is null ? true : null)).First(o => o.AvailabilityZone == zone);
        return await Ri.PurchaseAsync(tx, Scope, offering.Id, count, null, null, [], Now);
    }
}
