using Stratus.Core;
using Stratus.Domain.Ebs;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;
using DomainTag = Stratus.Domain.Resources.Tag;

namespace Stratus.Server.Ec2;

/// <summary>
/// Images made from instances (CreateImage) and copied across regions (CopyImage). The new image
/// is pending until the snapshots behind it complete, then available; it boots the same guest
/// image as its source.
/// </summary>
internal sealed partial class Ec2Service
{
    public override async Task<CreateImageResult> CreateImageAsync(RequestContext context, CreateImageRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        if (instance.State is not (InstanceStates.Running or InstanceStates.Stopped))
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a valid state for this operation: it is '{instance.State}'.");
        }
        await CheckNewImageNameAsync(context, request.Name!).ConfigureAwait(false);
        var imageTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "image").ToList(), "image");
        var snapshotTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "snapshot").ToList(), "snapshot");
        foreach (var spec in (request.TagSpecifications ?? []).Where(s => s.ResourceType is not ("image" or "snapshot")))
        {
            throw AwsErrors.InvalidParameterValue($"'{spec.ResourceType}' is not a valid taggable resource type for this operation.");
        }
        var imageId = ResourceIds.New(ResourceTypes.Image.IdPrefix);
        var excluded = (request.BlockDeviceMappings ?? []).Where(m => m.NoDevice is not null).Select(m => m.DeviceName).ToHashSet(StringComparer.Ordinal);
        var devices = new List<ImageBlockDevice>();
        var ready = context.Now;
        foreach (var device in instance.BlockDevices.Where(d => !excluded.Contains(d.DeviceName)))
        {
            var volume = await Volumes.GetAsync(context.Store, context.Scope, device.VolumeId, context.Cancellation).ConfigureAwait(false);
            var snapshot = await Snapshots.CreateAsync(context.Transaction, context.Scope, volume,
                $"Created by CreateImage({instance.Id}) for {imageId} from {volume.Id}", [.. snapshotTags], context.Now, context.Cancellation).ConfigureAwait(false);
            ready = snapshot.CompletedAt > ready ? snapshot.CompletedAt : ready;
            devices.Add(new ImageBlockDevice
            {
                DeviceName = device.DeviceName,
                SnapshotId = snapshot.Id,
                VolumeSize = volume.Size,
                VolumeType = volume.VolumeType,
                Iops = volume.VolumeType is "io1" or "io2" or "gp3" ? volume.Iops : null,
                Throughput = volume.VolumeType == "gp3" ? volume.Throughput : null,
                DeleteOnTermination = device.DeleteOnTermination,
                Encrypted = volume.Encrypted,
                KmsKeyId = volume.KmsKeyId,
            });
        }
        if (!devices.Exists(d => d.DeviceName == instance.RootDeviceName))
        {
            throw AwsErrors.InvalidParameterValue($"The root device {instance.RootDeviceName} of instance '{instance.Id}' cannot be excluded from the image.");
        }
        var source = await FindAnyImageAsync(context, context.Region, instance.ImageId).ConfigureAwait(false);
        var image = new ImageResource
        {
            Id = imageId,
            OwnerId = context.AccountId,
            Name = request.Name!,
            Description = request.Description,
            Architecture = instance.Architecture,
            RootDeviceName = instance.RootDeviceName,
            VirtualizationType = instance.VirtualizationType,
            EnaSupport = instance.EnaSupport,
            SriovNetSupport = instance.SriovNetSupport,
            BootMode = instance.BootMode,
            ImdsSupport = source?.ImdsSupport,
            TpmSupport = source?.TpmSupport,
            UefiData = instance.UefiData,
            State = "pending",
            AvailableAt = ready,
            CreationDate = context.Now,
            ImageLocation = $"{context.AccountId}/{request.Name}",
            SourceInstanceId = instance.Id,
            BlockDevices = devices,
            RuntimeImage = instance.RuntimeImage,
            Tags = [.. imageTags],
        };
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Image, image.Id, image, context.Now, context.Cancellation).ConfigureAwait(false);
        if (request.NoReboot != true && instance.State == InstanceStates.Running)
        {
            Enqueue(context, instance, LifecycleAction.Reboot);
        }
        return new CreateImageResult { ImageId = image.Id };
    }

    public override async Task<CopyImageResult> CopyImageAsync(RequestContext context, CopyImageRequest request)
    {
        var sourceRegion = request.SourceRegion!;
        if (RegionCatalog.Find(sourceRegion) is null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({sourceRegion}) for parameter sourceRegion is invalid. The region does not exist.");
        }
        ResourceTypes.Image.CheckId(request.SourceImageId!);
        var sourceScope = new Scope(context.AccountId, sourceRegion);
        var source = (await Images.ListVisibleAsync(context.Store, sourceScope, context.Cancellation).ConfigureAwait(false))
            .Find(v => v.Image.Id == request.SourceImageId)?.Image
            ?? throw ResourceTypes.Image.NotFound(request.SourceImageId!);
        if (source.StateAt(context.Now) != "available")
        {
            throw new AwsException("IncorrectState", $"Image '{source.Id}' is not in the 'available' state.");
        }
        await CheckNewImageNameAsync(context, request.Name!).ConfigureAwait(false);
        var ready = context.Now;
        var devices = new List<ImageBlockDevice>();
        foreach (var device in source.BlockDevices)
        {
            if (device.SnapshotId is null)
            {
                devices.Add(device);
                continue;
            }
            var visible = await Snapshots.FindVisibleAsync(context.Store, sourceScope, device.SnapshotId, context.Cancellation).ConfigureAwait(false);
            SnapshotResource copy;
            if (visible is not null)
            {
                copy = await Snapshots.CopyAsync(context.Transaction, context.Scope, sourceRegion, device.SnapshotId, null, request.Encrypted, request.KmsKeyId, [], context.Now, context.Cancellation).ConfigureAwait(false);
            }
            else
            {
                // A catalog image's snapshot is not an account's document: the copy becomes the account's own.
                copy = new SnapshotResource
                {
                    Id = ResourceIds.New(ResourceTypes.Snapshot.IdPrefix),
                    OwnerId = context.AccountId,
                    VolumeId = "vol-ffffffff",
                    VolumeSize = device.VolumeSize ?? 8,
                    Description = $"[Copied {device.SnapshotId} from {sourceRegion}]",
                    Encrypted = request.Encrypted == true,
                    StartTime = context.Now,
                    CompletedAt = context.Now + EbsTimings.SnapshotCompletion,
                    SourceSnapshotId = device.SnapshotId,
                    SourceRegion = sourceRegion,
                };
                await Snapshots.PutAsync(context.Transaction, context.Scope, copy, context.Cancellation).ConfigureAwait(false);
            }
            ready = copy.CompletedAt > ready ? copy.CompletedAt : ready;
            devices.Add(new ImageBlockDevice
            {
                DeviceName = device.DeviceName,
                SnapshotId = copy.Id,
                VolumeSize = device.VolumeSize,
                VolumeType = device.VolumeType,
                Iops = device.Iops,
                Throughput = device.Throughput,
                DeleteOnTermination = device.DeleteOnTermination,
                Encrypted = copy.Encrypted,
                KmsKeyId = copy.KmsKeyId,
            });
        }
        var tags = request.CopyImageTags == true && source.OwnerId == context.AccountId ? source.Tags.Select(t => new DomainTag(t.Key, t.Value)).ToList() : [];
        foreach (var tag in TagsOnCreate(request.TagSpecifications, "image"))
        {
            tags.RemoveAll(t => t.Key == tag.Key);
            tags.Add(tag);
        }
        var image = new ImageResource
        {
            Id = ResourceIds.New(ResourceTypes.Image.IdPrefix),
            OwnerId = context.AccountId,
            Name = request.Name!,
            Description = request.Description ?? source.Description,
            Architecture = source.Architecture,
            RootDeviceName = source.RootDeviceName,
            VirtualizationType = source.VirtualizationType,
            EnaSupport = source.EnaSupport,
            SriovNetSupport = source.SriovNetSupport,
            BootMode = source.BootMode,
            ImdsSupport = source.ImdsSupport,
            TpmSupport = source.TpmSupport,
            UefiData = source.UefiData,
            State = "pending",
            AvailableAt = ready,
            CreationDate = context.Now,
            ImageLocation = $"{context.AccountId}/{request.Name}",
            SourceImageId = source.Id,
            SourceImageRegion = sourceRegion,
            BlockDevices = devices,
            RuntimeImage = source.RuntimeImage,
            Tags = tags,
        };
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Image, image.Id, image, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CopyImageResult { ImageId = image.Id };
    }

    private static async Task<ImageResource?> FindAnyImageAsync(RequestContext context, string region, string imageId)
    {
        var visible = await Images.ListVisibleAsync(context.Store, context.Scope with { Region = region }, context.Cancellation).ConfigureAwait(false);
        return visible.Find(v => v.Image.Id == imageId)?.Image;
    }
}
