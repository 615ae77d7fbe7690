using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Server.CloudWatch;
using Stratus.Store.Sqlite;

namespace Stratus.Server.Tests.CloudWatch;

/// <summary>What the metric publishers read of the state store each round, on a real SQLite store.</summary>
public sealed class RunningResourcesTests : IAsyncLifetime
{
    private static readonly DateTime Now = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-running-tests-" + Guid.NewGuid().ToString("N"));
    private readonly Scope _scope = new("123456789012", "us-east-1");
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "stratus.db")));
        await _store.InitializeAsync();
        await using var tx = await _store.BeginWriteAsync();
        await tx.PutAccountAsync(new Account(_scope.AccountId, "test", Now));
        await tx.CommitAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_round_decodes_only_what_changed_and_sees_every_change()
    {
        var running = Enumerable.Range(0, 5).Select(_ => Instance(InstanceStates.Running)).ToList();
        var stopped = Instance(InstanceStates.Stopped);
        var volume = new VolumeResource
        {
            Id = ResourceIds.New("vol"),
            OwnerId = _scope.AccountId,
            AvailabilityZone = "us-east-1a",
            AvailabilityZoneId = "use1-az1",
            Size = 8,
            VolumeType = "gp2",
            State = VolumeStates.InUse,
            CreateTime = Now,
            Attachments = [new VolumeAttachmentRecord { InstanceId = running[0].Id, Device = "/dev/xvda", AttachTime = Now }],
        };
        await PutAsync([.. running, stopped], [volume]);

        var resources = new RunningResources(_store);
        var (instances, volumes) = await resources.InstancesAndVolumesAsync(default);
        Assert.Equal(running.Select(i => i.Id).Order(), instances.Select(i => i.Id).Order());
        Assert.Equal((volume.Id, "gp2", running[0].Id, "/dev/xvda"), (Assert.Single(volumes).Id, volumes[0].VolumeType, volumes[0].Attachments[0].InstanceId, volumes[0].Attachments[0].Device));
        Assert.Equal(6, resources.Decoded);

        // Nothing changed: nothing is decoded again.
        Assert.Equal(5, (await resources.InstancesAsync(default)).Count);
        Assert.Equal(6, resources.Decoded);

        // A tag (the group's), a stop and a start are seen, and only those documents are decoded.
        running[1].Tags.Add(new Tag(RunningResources.AutoScalingGroupTag, "web"));
        running[2].State = InstanceStates.Stopped;
        stopped.State = InstanceStates.Running;
        await PutAsync([running[1], running[2], stopped], []);
        var after = await resources.InstancesAsync(default);
        Assert.Equal(new[] { running[0], running[1], running[3], running[4], stopped }.Select(i => i.Id).Order(), after.Select(i => i.Id).Order());
        Assert.Equal("web", after.Single(i => i.Id == running[1].Id).AutoScalingGroup);
        Assert.Equal(8, resources.Decoded);
    }

    private InstanceResource Instance(string state) => new()
    {
        Id = ResourceIds.New("i"),
        ReservationId = ResourceIds.New("r"),
        OwnerId = _scope.AccountId,
        ImageId = "ami-0123456789abcdef0",
        InstanceType = "t3.micro",
        State = state,
        LaunchTime = Now,
        AvailabilityZone = "us-east-1a",
        AvailabilityZoneId = "use1-az1",
        SubnetId = "subnet-0123456789abcdef0",
        VpcId = "vpc-0123456789abcdef0",
        PrivateIpAddress = "172.31.0.10",
        PrivateDnsName = "ip-172-31-0-10.ec2.internal",
        VCpus = 2,
    };

    private async Task PutAsync(IEnumerable<InstanceResource> instances, IEnumerable<VolumeResource> volumes)
    {
        await using var tx = await _store.BeginWriteAsync();
        foreach (var instance in instances)
        {
            await tx.PutAsync(_scope, ResourceTypes.Instance, instance.Id, instance, Now);
        }
        foreach (var volume in volumes)
        {
            await tx.PutAsync(_scope, ResourceTypes.Volume, volume.Id, volume, Now);
        }
        await tx.CommitAsync();
    }
}
