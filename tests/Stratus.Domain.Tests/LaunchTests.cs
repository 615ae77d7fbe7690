using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Store.Sqlite;

namespace Stratus.Domain.Tests;

/// <summary>Launch planning, the batched launcher and teardown against a real (SQLite) store with a default VPC and the image catalog.</summary>
public sealed class LaunchTests : IAsyncLifetime
{
    private static readonly Scope Scope = new("123456789012", "us-east-1");
    private static readonly DateTime Now = new(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    private static string ImageId => ImageCatalog.ImageId(Scope.Region, "stratus-minimal-2026.11-x86_64");

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
    public async Task Plan_ResolvesDefaultsFromTheImageAndTheDefaultVpc()
    {
        await using var read = await _store.OpenReadAsync();
        var plan = await LaunchPlanner.PlanAsync(read, Scope, new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 1, MaxCount = 3 }, "mock", Now);
        Assert.Equal(3, plan.Count);
        Assert.True(plan.Subnet.Subnet.DefaultForAz);
        Assert.Equal("us-east-1a", plan.Subnet.Subnet.AvailabilityZone);
        Assert.True(plan.AssignPublicIp);
        Assert.Equal("default", Assert.Single(plan.Groups).GroupName);
        Assert.Equal(plan.Image.RootDeviceName, plan.Devices[0].DeviceName);
        Assert.Equal("required", plan.MetadataOptions.HttpTokens); // the minimal image asks for IMDSv2
    }

    [Theory]
    [InlineData("ami-0123456789abcdef0", "t3.micro", null, "InvalidAMIID.NotFound")]
    [InlineData(null, "t3.nope", null, "InvalidParameterValue")]
    [InlineData(null, "t4g.micro", null, "InvalidParameterValue")] // arm64 type, x86_64 image
    [InlineData(null, "t3.micro", "not base64!", "InvalidParameterValue")]
    public async Task Plan_RefusesWhatEc2Refuses(string? imageId, string type, string? userData, string code)
    {
        await using var read = await _store.OpenReadAsync();
        var error = await Assert.ThrowsAsync<AwsException>(() => LaunchPlanner.PlanAsync(read, Scope,
            new LaunchSpec { ImageId = imageId ?? ImageId, InstanceType = type, UserData = userData, MinCount = 1, MaxCount = 1 }, "mock", Now));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task Plan_BlockDeviceMappingsOverrideAndSuppressTheImages()
    {
        await using var read = await _store.OpenReadAsync();
        var image = (await Images.Images.GetLaunchableAsync(read, Scope, ImageId, Now)).Image;
        var devices = LaunchPlanner.PlanBlockDevices(image,
        [
            new LaunchBlockDevice { DeviceName = image.RootDeviceName, HasEbs = true, VolumeSize = 20, VolumeType = "gp3" },
            new LaunchBlockDevice { DeviceName = "/dev/sdf", HasEbs = true, VolumeSize = 5, DeleteOnTermination = false },
        ]);
        Assert.Equal([image.RootDeviceName, "/dev/sdf"], devices.Select(d => d.DeviceName));
        Assert.Equal((20, "gp3"), (devices[0].Size, devices[0].VolumeType));
        Assert.False(devices[1].DeleteOnTermination);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() =>
            LaunchPlanner.PlanBlockDevices(image, [new LaunchBlockDevice { DeviceName = image.RootDeviceName, NoDevice = true }])).Code);
    }

    [Fact]
    public async Task Launch_WritesABatchWithDistinctAddressesAndCountsItsVcpus()
    {
        var result = await LaunchAsync(new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 40, MaxCount = 40 });
        Assert.Equal(40, result.Instances.Count);
        Assert.Equal(40, result.Instances.Select(i => i.Instance.PrivateIpAddress).Distinct().Count());
        Assert.Equal(40, result.Instances.Select(i => i.Instance.PublicIpAddress).Distinct().Count());
        Assert.All(result.Instances, l => Assert.Equal(l.Instance.Id, l.PrimaryInterface.Attachment!.InstanceId));
        Assert.Equal(Enumerable.Range(0, 40), result.Instances.Select(i => i.Instance.AmiLaunchIndex));

        await using var read = await _store.OpenReadAsync();
        var subnet = (await read.GetAsync<SubnetResource>(Scope, ResourceTypes.Subnet, result.Instances[0].Instance.SubnetId))!;
        Assert.Equal(4091 - 40, subnet.AvailableIpAddressCount);
        // The recorded allocator and usage agree with counting what exists.
        Assert.Equal((await SubnetAddresses.CountAsync(read, Scope, subnet)).Available, (await SubnetAddresses.LoadAsync(read, Scope, subnet)).Available);
        var recorded = await VcpuUsage.LoadAsync(read, Scope);
        var counted = await VcpuUsage.CountAsync(read, Scope);
        Assert.Equal(80, recorded.Quotas.Values.Sum());
        Assert.Equal(counted.Quotas, recorded.Quotas);
    }

    [Fact]
    public async Task Launch_InAFullSubnet_IsInsufficientFreeAddressesInSubnet()
    {
        string subnetId;
        await using (var tx = await _store.BeginWriteAsync())
        {
            var vpc = await Vpcs.CreateAsync(tx, Scope, "10.9.0.0/16", null, [], Now, default);
            subnetId = (await Vpcs.CreateSubnetAsync(tx, Scope, vpc.Id, "10.9.1.0/28", "us-east-1b", null, [], Now, default)).Id;
            await tx.CommitAsync();
        }
        var spec = new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", SubnetId = subnetId, MinCount = 12, MaxCount = 12 };
        Assert.Equal("InsufficientFreeAddressesInSubnet", (await Assert.ThrowsAsync<AwsException>(() => LaunchAsync(spec))).Code);
        var fits = await LaunchAsync(spec with { MinCount = 1, MaxCount = 12 });
        Assert.Equal(11, fits.Instances.Count);
        Assert.Equal("InsufficientFreeAddressesInSubnet", (await Assert.ThrowsAsync<AwsException>(() => LaunchAsync(spec with { MinCount = 1, MaxCount = 1 }))).Code);

        // Terminating one gives its address back; the next launch gets it again.
        var gone = fits.Instances[4].Instance;
        await using (var tx = await _store.BeginWriteAsync())
        {
            var instance = (await tx.GetAsync<InstanceResource>(Scope, ResourceTypes.Instance, gone.Id))!;
            await InstanceOperations.TerminateAsync(tx, Scope, [instance], Now);
            instance.Transition(InstanceStates.Terminated, Now);
            await InstanceTeardown.ReleaseAsync(tx, Scope, instance, Now, default);
            await InstanceRecords.PutAsync(tx, Scope, instance, Now);
            await tx.CommitAsync();
        }
        var again = await LaunchAsync(spec with { MinCount = 1, MaxCount = 1 });
        Assert.Equal(gone.PrivateIpAddress, Assert.Single(again.Instances).Instance.PrivateIpAddress);
    }

    [Fact]
    public async Task Launch_OverTheVcpuQuota_IsVcpuLimitExceeded_AndStoppingFreesCapacity()
    {
        var error = await Assert.ThrowsAsync<AwsException>(() => LaunchAsync(new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 1000, MaxCount = 1000 }));
        Assert.Equal("VcpuLimitExceeded", error.Code);
        var all = await LaunchAsync(new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 1, MaxCount = 1000 });
        Assert.InRange(all.Instances.Count, 1, 999);
        Assert.Equal("VcpuLimitExceeded", (await Assert.ThrowsAsync<AwsException>(() => LaunchAsync(new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 1, MaxCount = 1 }))).Code);
        await using (var tx = await _store.BeginWriteAsync())
        {
            var instance = (await tx.GetAsync<InstanceResource>(Scope, ResourceTypes.Instance, all.Instances[0].Instance.Id))!;
            var change = Assert.Single(await InstanceOperations.StopAsync(tx, Scope, [instance], force: false, hibernate: false, Now));
            Assert.Equal((InstanceStates.Pending, InstanceStates.Stopping, InstanceWork.Stop), (change.PreviousState, change.CurrentState, change.Work));
            instance.Transition(InstanceStates.Stopped, Now);
            await InstanceRecords.PutAsync(tx, Scope, instance, Now);
            await tx.CommitAsync();
        }
        Assert.Single((await LaunchAsync(new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 1, MaxCount = 1 })).Instances);
    }

    [Fact]
    public async Task Terminate_RefusesAProtectedInstance_AndChangesNothing()
    {
        var launched = await LaunchAsync(new LaunchSpec { ImageId = ImageId, InstanceType = "t3.micro", MinCount = 2, MaxCount = 2, DisableApiTermination = true });
        await using var tx = await _store.BeginWriteAsync();
        var instances = await InstanceRecords.RequireAsync(tx, Scope, launched.Instances.Select(i => i.Instance.Id).ToList());
        Assert.Equal("OperationNotPermitted", (await Assert.ThrowsAsync<AwsException>(() => InstanceOperations.TerminateAsync(tx, Scope, instances, Now))).Code);
        Assert.All(instances, i => Assert.Equal(InstanceStates.Pending, i.State));
        Assert.Equal("InvalidInstanceID.NotFound", (await Assert.ThrowsAsync<AwsException>(() => InstanceRecords.RequireAsync(tx, Scope, ["i-0123456789abcdef0"]))).Code);
    }

    private async Task<LaunchResult> LaunchAsync(LaunchSpec spec)
    {
        await using var tx = await _store.BeginWriteAsync();
        var plan = await LaunchPlanner.PlanAsync(tx, Scope, spec, "mock", Now);
        var result = await InstanceLauncher.LaunchAsync(tx, Scope, plan, Now);
        await tx.CommitAsync();
        return result;
    }
}
