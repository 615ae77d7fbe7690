using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Hosts;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Store.Sqlite;
using ReservationResource = Stratus.Domain.CapacityReservations.CapacityReservationResource;
using Reservations = Stratus.Domain.CapacityReservations.CapacityReservations;

namespace Stratus.Domain.Tests;

/// <summary>The region catalog, Dedicated Hosts and capacity reservations against a real (SQLite) store.</summary>
public sealed class ComputeExtrasTests : IAsyncLifetime
{
    private static readonly Scope Scope = new("123456789012", "us-east-1");
    private static readonly DateTime Now = new(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-compute-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
        await ImageCatalog.EnsureAsync(_store, Now);
        await new DefaultVpcProvisioner(_store, TimeProvider.System).EnsureAsync(Scope);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Catalog_HasEveryCommercialRegionWithItsZones()
    {
        Assert.Equal(34, RegionCatalog.All.Count);
        Assert.Equal(17, RegionCatalog.EnabledByDefault.Count);
        Assert.Equal(["use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"], RegionCatalog.Get("us-east-1").Zones.Select(z => z.ZoneId));
        Assert.Equal(["us-west-1a", "us-west-1b"], RegionCatalog.Get("us-west-1").Zones.Select(z => z.ZoneName));
        Assert.Equal(4, RegionCatalog.Get("us-west-2").Zones.Count);
        Assert.True(RegionCatalog.Get("af-south-1").OptInRequired);
        Assert.Equal(RegionCatalog.All.Count, RegionCatalog.All.SelectMany(r => r.Zones).Select(z => z.ZoneId[..z.ZoneId.IndexOf('-', StringComparison.Ordinal)]).Distinct().Count());
        var boston = Assert.Single(RegionCatalog.Get("us-east-1").EdgeZones, z => z.ZoneName == "us-east-1-bos-1a");
        Assert.Equal(("use1-bos1-az1", "local-zone", "us-east-1-bos-1"), (boston.ZoneId, boston.ZoneType, boston.GroupName));
        Assert.All(RegionCatalog.All.SelectMany(r => r.EdgeZones), z => Assert.Contains(z.Parent, RegionCatalog.Get(z.RegionName).Zones));
    }

    [Fact]
    public async Task PublicPools_OfEveryRegionAreDisjoint()
    {
        await using var tx = await _store.BeginWriteAsync();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var region in RegionCatalog.All)
        {
            var address = await PublicAddressPool.AllocateAsync(tx, region.Name);
            Assert.StartsWith("198.1", address, StringComparison.Ordinal);
            Assert.True(seen.Add(address));
        }
    }

    [Fact]
    public async Task ZoneGroups_OptInOnceAndNeverOut()
    {
        await using var tx = await _store.BeginWriteAsync();
        await ZoneGroups.ModifyAsync(tx, Scope, "us-east-1-bos-1", "opted-in", Now);
        Assert.Contains("us-east-1-bos-1", await ZoneGroups.OptedInAsync(tx, Scope));
        Assert.Equal("InvalidOptInStatus", (await Assert.ThrowsAsync<AwsException>(() => ZoneGroups.ModifyAsync(tx, Scope, "us-east-1-bos-1", "not-opted-in", Now))).Code);
        Assert.Equal("InvalidParameterValue", (await Assert.ThrowsAsync<AwsException>(() => ZoneGroups.ModifyAsync(tx, Scope, "us-east-1", "opted-in", Now))).Code);
        Assert.Equal("InvalidParameterValue", (await Assert.ThrowsAsync<AwsException>(() => ZoneGroups.ModifyAsync(tx, Scope, "us-west-2-lax-1", "opted-in", Now))).Code);
    }

    [Fact]
    public void Hosts_AreSizedLikeTheirFamily()
    {
        var hosts = DedicatedHosts.Plan(Scope, "us-east-1a", null, 2, "m5.large", null, null, null, null, null, [], Now);
        Assert.Equal(2, hosts.Count);
        var host = hosts[0];
        Assert.Equal((96, 48, 2), (host.TotalVCpus, host.Cores, host.Sockets));
        Assert.Equal(new HostTypeCapacity("m5.large", 48, 48), Assert.Single(DedicatedHosts.Capacity(host)));
        var family = DedicatedHosts.Plan(Scope, null, "use1-az2", 1, null, "c5", "off", "on", null, null, [], Now)[0];
        Assert.Equal("us-east-1b", family.AvailabilityZone);
        Assert.Contains(new HostTypeCapacity("c5.18xlarge", 1, 1), DedicatedHosts.Capacity(family));
        Assert.DoesNotContain(DedicatedHosts.Capacity(family), c => c.InstanceType == "c5.metal");
    }

    [Theory]
    [InlineData("us-east-1z", "m5.large", null, "InvalidParameterValue")]
    [InlineData("us-east-1a", "m5.large", "m5", "InvalidParameterCombination")]
    [InlineData("us-east-1a", null, null, "MissingParameter")]
    [InlineData("us-east-1a", "m5.nope", null, "InvalidParameterValue")]
    public void Hosts_RefuseWhatEc2Refuses(string zone, string? type, string? family, string code) =>
        Assert.Equal(code, Assert.Throws<AwsException>(() => DedicatedHosts.Plan(Scope, zone, null, 1, type, family, null, null, null, null, [], Now)).Code);

    [Fact]
    public async Task Launches_FillAHostThenFail()
    {
        var host = DedicatedHosts.Plan(Scope, "us-east-1a", null, 1, "c5.9xlarge", null, null, null, null, null, [], Now)[0]; // 96 vCPUs: 2 of 36
        await using var tx = await _store.BeginWriteAsync();
        await tx.PutAsync(Scope, ResourceTypes.Host, host.Id, host, Now);
        var launched = await LaunchAsync(tx, "c5.9xlarge", 2);
        await DedicatedHosts.PlaceAsync(tx, Scope, launched, null, "host", Now);
        Assert.All(launched, i => Assert.Equal((host.Id, "host", "host"), (i.HostId!, i.Tenancy, i.Affinity!)));
        var stored = (await tx.GetAsync<HostResource>(Scope, ResourceTypes.Host, host.Id))!;
        Assert.Equal(2, stored.Instances.Count);
        var third = await LaunchAsync(tx, "c5.9xlarge", 1);
        Assert.Equal("InsufficientHostCapacity", (await Assert.ThrowsAsync<AwsException>(() => DedicatedHosts.PlaceAsync(tx, Scope, third, host.Id, null, Now))).Code);
        Assert.Equal("InvalidHost.Occupied", (await DedicatedHosts.ReleaseAsync(tx, Scope, host.Id, Now))!.Code);
        Assert.Equal("InvalidHostID.NotFound", (await DedicatedHosts.ReleaseAsync(tx, Scope, "h-0123456789abcdef0", Now))!.Code);
    }

    [Fact]
    public async Task Reservations_TakeMatchingLaunchesAndExpire()
    {
        var reservation = Reservations.Plan(Scope, "t3.micro", "Linux/UNIX", "us-east-1a", null, 1, null, Now.AddHours(1), "limited", null, false, null, [], Now);
        await using var tx = await _store.BeginWriteAsync();
        await Reservations.PutAsync(tx, Scope, reservation);
        var launched = await LaunchAsync(tx, "t3.micro", 2);
        await Reservations.PlaceAsync(tx, Scope, launched, null, null, Now);
        Assert.Equal(reservation.Id, launched[0].CapacityReservationId);
        Assert.Null(launched[1].CapacityReservationId);
        var again = await LaunchAsync(tx, "t3.micro", 1);
        Assert.Equal("ReservationCapacityExceeded", (await Assert.ThrowsAsync<AwsException>(() => Reservations.PlaceAsync(tx, Scope, again, null, reservation.Id, Now))).Code);
        var stored = (await tx.GetAsync<ReservationResource>(Scope, ResourceTypes.CapacityReservation, reservation.Id))!;
        Assert.True(await Reservations.ReconcileAsync(tx, Scope, stored, Now.AddHours(2)));
        Assert.Equal(Reservations.Expired, stored.State);
        await Reservations.PutAsync(tx, Scope, stored);
        Assert.Equal("IncorrectState", (await Assert.ThrowsAsync<AwsException>(() => Reservations.CancelAsync(tx, Scope, reservation.Id, Now.AddHours(2)))).Code);
    }

    [Theory]
    [InlineData("unlimited", true, "InvalidParameterCombination")]
    [InlineData("limited", false, "MissingParameter")]
    [InlineData("sometimes", false, "InvalidParameterValue")]
    public void Reservations_CheckTheirEnd(string endType, bool withDate, string code) =>
        Assert.Equal(code, Assert.Throws<AwsException>(() => Reservations.Plan(Scope, "t3.micro", "Linux/UNIX", "us-east-1a", null, 1, null,
            withDate ? Now.AddDays(1) : null, endType, null, false, null, [], Now)).Code);

    [Fact]
    public async Task CreditDefaults_PerFamily()
    {
        await using var tx = await _store.BeginWriteAsync();
        Assert.Equal("standard", await Compute.CreditSpecifications.DefaultAsync(tx, Scope, "t2"));
        Assert.Equal("unlimited", await Compute.CreditSpecifications.DefaultAsync(tx, Scope, "t4g"));
        await Compute.CreditSpecifications.SetDefaultAsync(tx, Scope, "t3", "standard", Now);
        Assert.Equal("standard", await Compute.CreditSpecifications.DefaultAsync(tx, Scope, "t3"));
        Assert.Equal("InvalidParameterValue", (await Assert.ThrowsAsync<AwsException>(() => Compute.CreditSpecifications.SetDefaultAsync(tx, Scope, "m5", "standard", Now))).Code);
        Assert.Equal("InvalidParameterValue", (await Assert.ThrowsAsync<AwsException>(() => Compute.CreditSpecifications.SetDefaultAsync(tx, Scope, "t3", "turbo", Now))).Code);
        var launched = await LaunchAsync(tx, "m5.large", 1);
        Assert.Equal("InvalidInstanceType", Compute.CreditSpecifications.Modify(launched[0], "unlimited")!.Code);
    }

    private static async Task<List<InstanceResource>> LaunchAsync(IStoreTransaction tx, string type, int count)
    {
        var spec = new LaunchSpec { ImageId = ImageCatalog.ImageId(Scope.Region, "stratus-minimal-2026.11-x86_64"), InstanceType = type, MinCount = count, MaxCount = count };
        var plan = await LaunchPlanner.PlanAsync(tx, Scope, spec, "mock", Now);
        return (await InstanceLauncher.LaunchAsync(tx, Scope, plan, Now)).Instances.Select(l => l.Instance).ToList();
    }
}
