using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Quotas;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;

namespace Stratus.Server.Tests.Quotas;

/// <summary>The quota domain on a real SQLite store: buckets, usage, launches, starts and increase requests.</summary>
public sealed class ServiceQuotaTests : IAsyncLifetime
{
    private static readonly DateTime Now = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-quota-tests-" + Guid.NewGuid().ToString("N"));
    private readonly Scope _scope = new("123456789012", "us-east-1");
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "stratus.db")));
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("t3.micro", "L-1216C47A", "L-34B43A08")]
    [InlineData("m7g.large", "L-1216C47A", "L-34B43A08")]
    [InlineData("d3.xlarge", "L-1216C47A", "L-34B43A08")]
    [InlineData("i3en.large", "L-1216C47A", "L-34B43A08")]
    [InlineData("g5.xlarge", "L-DB2E81BA", "L-3819A6DF")]
    [InlineData("g4dn.xlarge", "L-DB2E81BA", "L-3819A6DF")]
    [InlineData("p4d.24xlarge", "L-417A185B", "L-7212CCBC")]
    [InlineData("x2iedn.xlarge", "L-7295265B", "L-E3A00192")]
    [InlineData("inf2.xlarge", "L-1945791B", "L-B5D1601B")]
    [InlineData("trn1.2xlarge", "L-2C3B7624", "L-6B0D517C")]
    public void Instance_types_fall_into_EC2s_buckets(string typeName, string onDemand, string spot)
    {
        var type = InstanceTypeCatalog.Find(typeName) ?? throw new InvalidOperationException(typeName);
        Assert.Equal(onDemand, VcpuQuotas.QuotaOf(type, spot: false)?.Code);
        Assert.Equal(spot, VcpuQuotas.QuotaOf(type, spot: true)?.Code);
    }

    [Fact]
    public void Mac_types_count_against_no_bucket()
    {
        Assert.Null(VcpuQuotas.BucketOf(InstanceTypeCatalog.Find("mac1.metal")!));
    }

    [Fact]
    public void Every_quota_code_is_unique_and_defaults_are_AWSs()
    {
        Assert.Equal(QuotaCatalog.All.Count, QuotaCatalog.All.Select(q => q.ServiceCode + q.Code).Distinct().Count());
        Assert.Equal(5, QuotaCatalog.StandardOnDemand.AwsDefault);
        Assert.Equal("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", QuotaCatalog.StandardOnDemand.Name);
        Assert.Equal("All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", QuotaCatalog.StandardSpot.Name);
        Assert.Equal("EC2-VPC Elastic IPs", QuotaCatalog.ElasticIps.Name);
        Assert.Equal(5, QuotaCatalog.VpcsPerRegion.AwsDefault);
        Assert.Equal("Standard/OnDemand", QuotaCatalog.StandardOnDemand.Usage!.Dimensions["Class"]);
    }

    [Fact]
    public async Task A_launch_gets_as_many_instances_as_fit_and_fails_below_its_minimum()
    {
        var t3 = InstanceTypeCatalog.Find("t3.micro")!; // 2 vCPUs
        await using (var read = await _store.OpenReadAsync())
        {
            Assert.Equal(50, await VcpuQuotas.LaunchableAsync(read, _scope, t3, spot: false, 1, 50));
        }
        await SetAsync(QuotaCatalog.StandardOnDemand, 10);
        await PutInstancesAsync(("t3.micro", InstanceStates.Running, false), ("t3.micro", InstanceStates.Stopped, false), ("g5.xlarge", InstanceStates.Running, false),
            ("t3.micro", InstanceStates.Terminated, false), ("t3.micro", InstanceStates.Running, true));
        await using (var read = await _store.OpenReadAsync())
        {
            // 10 vCPUs, 2 used by the one running on-demand t3.micro: 4 more fit.
            Assert.Equal(4, await VcpuQuotas.LaunchableAsync(read, _scope, t3, spot: false, 1, 9));
            var error = await Assert.ThrowsAsync<AwsException>(() => VcpuQuotas.LaunchableAsync(read, _scope, t3, spot: false, 5, 9));
            Assert.Equal("VcpuLimitExceeded", error.Code);
            Assert.StartsWith("You have requested more vCPU capacity than your current vCPU limit of 10 allows for the instance bucket", error.Message, StringComparison.Ordinal);
            // Another region has its own quota.
            Assert.Equal(9, await VcpuQuotas.LaunchableAsync(read, _scope with { Region = "eu-west-1" }, t3, spot: false, 1, 9));
        }
        await SetAsync(QuotaCatalog.StandardSpot, 3);
        await using (var read = await _store.OpenReadAsync())
        {
            var spot = await Assert.ThrowsAsync<AwsException>(() => VcpuQuotas.LaunchableAsync(read, _scope, t3, spot: true, 1, 1));
            Assert.Equal(("MaxSpotInstanceCountExceeded", "Max spot instance count exceeded"), (spot.Code, spot.Message));
        }
    }

    [Fact]
    public async Task Starting_stopped_instances_must_fit_their_bucket()
    {
        await SetAsync(QuotaCatalog.StandardOnDemand, 4);
        var instances = await PutInstancesAsync(("t3.micro", InstanceStates.Running, false), ("t3.micro", InstanceStates.Stopped, false), ("t3.micro", InstanceStates.Stopped, false));
        await using var read = await _store.OpenReadAsync();
        await VcpuQuotas.CheckStartAsync(read, _scope, [instances[1]]);
        var error = await Assert.ThrowsAsync<AwsException>(() => VcpuQuotas.CheckStartAsync(read, _scope, [instances[1], instances[2]]));
        Assert.Equal("VcpuLimitExceeded", error.Code);
        await VcpuQuotas.CheckStartAsync(read, _scope, [instances[0]]); // already running: nothing to start
    }

    [Fact]
    public async Task An_increase_request_is_approved_at_once_and_recorded()
    {
        await using (var tx = await _store.BeginWriteAsync())
        {
            var request = await AccountQuotas.RequestIncreaseAsync(tx, _scope, "ec2", "L-1216C47A", 2000, "arn:aws:iam::123456789012:root", Now);
            Assert.Equal((AccountQuotas.Approved, 2000d, "us-east-1"), (request.Status, request.DesiredValue, request.Region));
            Assert.Equal(2000, await AccountQuotas.GetValueAsync(tx, _scope, QuotaCatalog.StandardOnDemand));
            Assert.Equal("IllegalArgumentException", (await Assert.ThrowsAsync<AwsException>(() =>
                AccountQuotas.RequestIncreaseAsync(tx, _scope, "ec2", "L-1216C47A", 2000, "x", Now))).Code);
            Assert.Equal("NoSuchResourceException", (await Assert.ThrowsAsync<AwsException>(() =>
                AccountQuotas.RequestIncreaseAsync(tx, _scope, "ec2", "L-00000000", 10, "x", Now))).Code);
            Assert.Equal("NoSuchResourceException", (await Assert.ThrowsAsync<AwsException>(() =>
                AccountQuotas.RequestIncreaseAsync(tx, _scope, "nosuch", "L-1216C47A", 10, "x", Now))).Code);
            await AccountQuotas.RequestIncreaseAsync(tx, _scope, "ec2", "L-0263D0A3", 10, "x", Now.AddMinutes(1));
            await tx.CommitAsync();
        }
        await using var read = await _store.OpenReadAsync();
        var all = await AccountQuotas.ListRequestsAsync(read, _scope, "ec2", null, null);
        Assert.Equal(["L-0263D0A3", "L-1216C47A"], all.Select(r => r.QuotaCode));
        Assert.Single(await AccountQuotas.ListRequestsAsync(read, _scope, "ec2", "L-1216C47A", "APPROVED"));
        Assert.Empty(await AccountQuotas.ListRequestsAsync(read, _scope, null, null, "DENIED"));
        Assert.Empty(await AccountQuotas.ListRequestsAsync(read, _scope with { Region = "eu-west-1" }, null, null, null));
        Assert.Equal("L-1216C47A", (await AccountQuotas.GetRequestAsync(read, _scope, all[1].Id)).QuotaCode);
        var listed = await AccountQuotas.ListAsync(read, _scope, "ec2");
        Assert.Equal(2000, listed.Single(q => q.Definition.Code == "L-1216C47A").Value);
        Assert.Equal(10, listed.Single(q => q.Definition.Code == "L-0263D0A3").Value);
        Assert.Equal(QuotaCatalog.EstablishedAcceleratedVcpus, listed.Single(q => q.Definition.Code == "L-DB2E81BA").Value);
    }

    private async Task SetAsync(QuotaDefinition quota, double value)
    {
        await using var tx = await _store.BeginWriteAsync();
        await AccountQuotas.SetAsync(tx, _scope, quota, value, Now);
        await tx.CommitAsync();
    }

    private async Task<List<InstanceResource>> PutInstancesAsync(params (string Type, string State, bool Spot)[] specs)
    {
        var result = new List<InstanceResource>();
        await using var tx = await _store.BeginWriteAsync();
        foreach (var (typeName, state, spot) in specs)
        {
            var instance = new InstanceResource
            {
                Id = ResourceIds.New("i"),
                ReservationId = ResourceIds.New("r"),
                OwnerId = _scope.AccountId,
                ImageId = "ami-0123456789abcdef0",
                InstanceType = typeName,
                State = state,
                LaunchTime = Now,
                AvailabilityZone = "us-east-1a",
                AvailabilityZoneId = "use1-az1",
                SubnetId = "subnet-0123456789abcdef0",
                VpcId = "vpc-0123456789abcdef0",
                PrivateIpAddress = "172.31.0.10",
                PrivateDnsName = "ip-172-31-0-10.ec2.internal",
                VCpus = InstanceTypeCatalog.Find(typeName)!.DefaultVCpus,
                InstanceLifecycle = spot ? "spot" : null,
            };
            await tx.PutAsync(_scope, ResourceTypes.Instance, instance.Id, instance, Now);
            result.Add(instance);
        }
        await tx.CommitAsync();
        return result;
    }
}
