using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>
/// Snapshot lock, the archive tier, block public access, Allowed AMIs and CreateDefaultSubnet with
/// AWSSDK.EC2; the server's clock is moved on instead of waiting for snapshots and tiers to settle.
/// </summary>
public sealed class StorageClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private void Settle() => server.Clock.Offset += TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SnapshotLockArchiveAndSharingWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var volume = (await ec2.CreateVolumeAsync(new CreateVolumeRequest { AvailabilityZone = "us-east-1a", Size = 2 })).Volume.VolumeId;
        Settle();
        var snapshot = (await ec2.CreateSnapshotAsync(new CreateSnapshotRequest { VolumeId = volume })).Snapshot.SnapshotId;
        Settle();

        var locked = await ec2.LockSnapshotAsync(new LockSnapshotRequest { SnapshotId = snapshot, LockMode = LockMode.Governance, LockDuration = 7 });
        Assert.Equal(LockState.Governance, locked.LockState);
        var refused = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot }));
        Assert.Equal("OperationNotPermitted", refused.ErrorCode);
        var described = await ec2.DescribeLockedSnapshotsAsync(new DescribeLockedSnapshotsRequest { SnapshotIds = [snapshot] });
        Assert.Equal(7, Assert.Single(described.Snapshots).LockDuration);
        await ec2.UnlockSnapshotAsync(new UnlockSnapshotRequest { SnapshotId = snapshot });

        await ec2.ModifySnapshotTierAsync(new ModifySnapshotTierRequest { SnapshotId = snapshot, StorageTier = TargetStorageTier.Archive });
        Settle();
        var archived = (await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshot] })).Snapshots[0];
        Assert.Equal(StorageTier.Archive, archived.StorageTier);
        var unusable = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.CreateVolumeAsync(new CreateVolumeRequest { AvailabilityZone = "us-east-1a", SnapshotId = snapshot }));
        Assert.Equal("IncorrectState", unusable.ErrorCode);
        var restore = await ec2.RestoreSnapshotTierAsync(new RestoreSnapshotTierRequest { SnapshotId = snapshot, PermanentRestore = true });
        Assert.True(restore.IsPermanentRestore);
        Settle();
        var status = await ec2.DescribeSnapshotTierStatusAsync(new DescribeSnapshotTierStatusRequest
        {
            Filters = [new Filter { Name = "snapshot-id", Values = [snapshot] }],
        });
        Assert.Equal(TieringOperationStatus.PermanentRestoreCompleted, Assert.Single(status.SnapshotTierStatuses).LastTieringOperationStatus);
        await ec2.CreateVolumeAsync(new CreateVolumeRequest { AvailabilityZone = "us-east-1a", SnapshotId = snapshot });

        await ec2.EnableSnapshotBlockPublicAccessAsync(new EnableSnapshotBlockPublicAccessRequest { State = SnapshotBlockPublicAccessState.BlockNewSharing });
        var blocked = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.ModifySnapshotAttributeAsync(new ModifySnapshotAttributeRequest
        {
            SnapshotId = snapshot,
            Attribute = SnapshotAttributeName.CreateVolumePermission,
            CreateVolumePermission = new CreateVolumePermissionModifications { Add = [new CreateVolumePermission { Group = PermissionGroup.All }] },
        }));
        Assert.Equal("OperationNotPermitted", blocked.ErrorCode);
        Assert.Equal(SnapshotBlockPublicAccessState.Unblocked, (await ec2.DisableSnapshotBlockPublicAccessAsync(new DisableSnapshotBlockPublicAccessRequest())).State);
    }

    [Fact]
    public async Task AllowedAmisAndDefaultSubnetWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        await ec2.ReplaceImageCriteriaInAllowedImagesSettingsAsync(new ReplaceImageCriteriaInAllowedImagesSettingsRequest
        {
            ImageCriteria = [new ImageCriterionRequest { ImageProviders = ["amazon"], ImageNames = ["debian-*"] }],
        });
        await ec2.EnableAllowedImagesSettingsAsync(new EnableAllowedImagesSettingsRequest { AllowedImagesSettingsState = AllowedImagesSettingsEnabledState.Enabled });
        var images = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["amazon"] })).Images;
        Assert.NotEmpty(images);
        Assert.All(images, i => Assert.StartsWith("debian-", i.Name, StringComparison.Ordinal));
        Assert.All(images, i => Assert.True(i.ImageAllowed));
        var settings = await ec2.GetAllowedImagesSettingsAsync(new GetAllowedImagesSettingsRequest());
        Assert.Equal("enabled", settings.State);
        await ec2.DisableAllowedImagesSettingsAsync(new DisableAllowedImagesSettingsRequest());

        var subnets = (await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { Filters = [new Filter { Name = "availability-zone", Values = ["us-east-1f"] }] })).Subnets;
        var existing = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.CreateDefaultSubnetAsync(new CreateDefaultSubnetRequest { AvailabilityZone = "us-east-1f" }));
        Assert.Equal("DefaultSubnetAlreadyExistsInAvailabilityZone", existing.ErrorCode);
        await ec2.DeleteSubnetAsync(new DeleteSubnetRequest { SubnetId = Assert.Single(subnets).SubnetId });
        var created = (await ec2.CreateDefaultSubnetAsync(new CreateDefaultSubnetRequest { AvailabilityZone = "us-east-1f" })).Subnet;
        Assert.True(created.DefaultForAz);
        Assert.Equal(subnets[0].CidrBlock, created.CidrBlock);
    }
}
