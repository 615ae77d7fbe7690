using System.Globalization;
using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Images;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Protocol;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>AMIs: the public catalog, registered images, launch permissions.</summary>
internal sealed partial class Ec2Service
{
    private static readonly Regex ImageName = new(@"^[a-zA-Z0-9()\[\] ./\-'@_]{3,128}$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    [FiltersFor("DescribeImages")]
    private static readonly FilterSet<DescribedImage> ImageFilters = new FilterSet<DescribedImage>()
        .Add("architecture", v => v.Image.Architecture)
        .AddMany("block-device-mapping.delete-on-termination", v => v.Image.BlockDevices.Select(b => b.SnapshotId is null ? null : b.DeleteOnTermination ? "true" : "false"))
        .AddMany("block-device-mapping.device-name", v => v.Image.BlockDevices.Select(b => b.DeviceName))
        .AddMany("block-device-mapping.encrypted", v => v.Image.BlockDevices.Select(b => b.SnapshotId is null ? null : b.Encrypted ? "true" : "false"))
        .AddMany("block-device-mapping.snapshot-id", v => v.Image.BlockDevices.Select(b => b.SnapshotId))
        .AddMany("block-device-mapping.volume-size", v => v.Image.BlockDevices.Select(b => b.VolumeSize?.ToString(CultureInfo.InvariantCulture)))
        .AddMany("block-device-mapping.volume-type", v => v.Image.BlockDevices.Select(b => b.VolumeType))
        .Add("creation-date", v => ProtocolFormats.FormatTimestamp(v.Image.CreationDate))
        .Add("description", v => v.Image.Description)
        .Add("ena-support", v => v.Image.EnaSupport)
        .Add("free-tier-eligible", v => v.Image.FreeTierEligible)
        .Add("hypervisor", v => v.Image.Hypervisor)
        .Add("image-allowed", v => v.Allowed)
        .Add("image-id", v => v.Image.Id)
        .Add("image-type", v => v.Image.ImageType)
        .Add("is-public", v => v.Image.IsPublic)
        .Add("kernel-id", v => v.Image.KernelId)
        .Add("manifest-location", v => v.Image.ImageLocation)
        .Add("name", v => v.Image.Name)
        .Add("owner-alias", v => v.Image.OwnerAlias)
        .Add("owner-id", v => v.Image.OwnerId)
        .Add("platform", _ => null)
        .AddMany("product-code", _ => [])
        .AddMany("product-code.type", _ => [])
        .Add("ramdisk-id", v => v.Image.RamdiskId)
        .Add("root-device-name", v => v.Image.RootDeviceName)
        .Add("root-device-type", v => v.Image.RootDeviceType)
        .Add("source-image-id", v => v.Image.SourceImageId)
        .Add("source-image-region", v => v.Image.SourceImageRegion)
        .Add("source-instance-id", v => v.Image.SourceInstanceId)
        .Add("sriov-net-support", v => v.Image.SriovNetSupport)
        .Add("state", v => v.Image.State)
        .Add("state-reason-code", v => v.Image.StateReasonCode)
        .Add("state-reason-message", v => v.Image.StateReasonMessage)
        .Add("virtualization-type", v => v.Image.VirtualizationType)
        .WithTags(v => v.Image.Tags);

    public override async Task<DescribeImagesResult> DescribeImagesAsync(RequestContext context, DescribeImagesRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.ImageIds, request.MaxResults, "imageIds");
        foreach (var id in request.ImageIds ?? [])
        {
            ResourceTypes.Image.CheckId(id);
        }
        var visible = await Images.ListVisibleAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        foreach (var v in visible)
        {
            v.Image.State = v.Image.StateAt(context.Now);
        }
        // Recently deregistered images are listed (state deregistered) for a short interval; after
        // that their ids answer with no image until EC2 would forget them, then InvalidAMIID.NotFound.
        var deregistered = await Images.ListDeregisteredAsync(context.Store, context.Scope, context.Now, context.Cancellation).ConfigureAwait(false);
        var recent = deregistered.Where(d => context.Now - d.DeregisteredAt < Images.DeregisteredVisibleFor).Select(d => d.Image).ToList();
        IEnumerable<VisibleImage> selected = visible.Concat(recent);
        if (request.ImageIds is { Count: > 0 } ids)
        {
            var missing = ids.Distinct(StringComparer.Ordinal)
                .Where(id => !visible.Exists(v => v.Image.Id == id) && !deregistered.Exists(d => d.Image.Image.Id == id))
                .ToList();
            if (missing.Count > 0)
            {
                throw Images.NotFound(missing);
            }
            selected = selected.Where(v => ids.Contains(v.Image.Id));
        }
        if (request.Owners is { Count: > 0 } owners)
        {
            foreach (var owner in owners.Where(o => o is not ("self" or "amazon" or "aws-marketplace" or "aws-backup-vault") && !IsAccountId(o)))
            {
                throw new AwsException("InvalidUserID.Malformed", $"Invalid user id: \"{owner}\"");
            }
            selected = selected.Where(v => owners.Exists(o => o == "self" ? v.Image.OwnerId == context.AccountId
                : IsAccountId(o) ? v.Image.OwnerId == o
                : v.Image.OwnerAlias == o));
        }
        if (request.ExecutableUsers is { Count: > 0 } users)
        {
            selected = selected.Where(v => users.Exists(u => u switch
            {
                "all" => v.Image.IsPublic,
                "self" => v.Image.OwnerId == context.AccountId || v.Image.LaunchPermissions.Contains(context.AccountId),
                _ => v.Image.LaunchPermissions.Contains(u),
            }));
        }
        if (request.IncludeDisabled != true && request.ImageIds is not { Count: > 0 })
        {
            selected = selected.Where(v => v.Image.State != "disabled");
        }
        if (request.IncludeDeprecated != true && request.ImageIds is not { Count: > 0 })
        {
            selected = selected.Where(v => v.Image.DeprecationTime is not { } t || t > context.Now || v.Image.OwnerId == context.AccountId);
        }
        // Allowed AMIs: in enabled mode images that meet no criterion are left out (own images always
        // qualify); in audit mode they are listed with ImageAllowed false.
        var allowedImages = await AllowedImages.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var described = selected
            .Select(v => new DescribedImage(v.Image, allowedImages.State == AllowedImages.Disabled || AllowedImages.IsAllowed(allowedImages, v.Image, context.AccountId, context.Now)))
            .Where(d => d.Allowed || allowedImages.State != AllowedImages.Enabled)
            .OrderBy(v => v.Image.Id, StringComparer.Ordinal);
        var page = Paginator.Paginate(ImageFilters.Apply(described, ToCriteria(request.Filters)), v => v.Image.Id, request.MaxResults, request.NextToken);
        return new DescribeImagesResult
        {
            Images = page.Items.Select(v => ToShape(v.Image, context.Now, v.Allowed)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<RegisterImageResult> RegisterImageAsync(RequestContext context, RegisterImageRequest request)
    {
        var name = request.Name!;
        await CheckNewImageNameAsync(context, name).ConfigureAwait(false);
        if (request.ImageLocation is not null)
        {
            throw new AwsException("InvalidParameterValue", "Instance store-backed AMIs (ImageLocation) are not supported; register an EBS-backed image with BlockDeviceMappings.");
        }
        var mappings = request.BlockDeviceMappings ?? [];
        var rootDevice = request.RootDeviceName ?? throw AwsErrors.MissingParameter("RootDeviceName");
        var devices = new List<ImageBlockDevice>();
        foreach (var mapping in mappings)
        {
            devices.Add(await ToImageDeviceAsync(context, mapping).ConfigureAwait(false));
        }
        if (!devices.Exists(d => d.DeviceName == rootDevice && d.SnapshotId is not null))
        {
            throw AwsErrors.InvalidParameterValue($"The root device name '{rootDevice}' must be a block device mapping with an EBS snapshot.");
        }
        CheckFirmware(request.BootMode, request.TpmSupport);
        var uefiData = request.UefiData is { } data ? Domain.Instances.Firmware.UefiVariableStore.Validate(data) : null;
        var image = new ImageResource
        {
            Id = ResourceIds.New(ResourceTypes.Image.IdPrefix),
            OwnerId = context.AccountId,
            Name = name,
            Description = request.Description,
            Architecture = request.Architecture ?? "x86_64",
            RootDeviceName = rootDevice,
            VirtualizationType = request.VirtualizationType ?? "hvm",
            EnaSupport = request.EnaSupport ?? false,
            SriovNetSupport = request.SriovNetSupport,
            BootMode = request.BootMode,
            ImdsSupport = request.ImdsSupport,
            TpmSupport = request.TpmSupport,
            UefiData = uefiData,
            KernelId = request.KernelId,
            RamdiskId = request.RamdiskId,
            CreationDate = context.Now,
            ImageLocation = $"{context.AccountId}/{name}",
            BlockDevices = devices,
            RuntimeImage = null,
            Tags = TagsOnCreate(request.TagSpecifications, "image"),
        };
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Image, image.Id, image, context.Now, context.Cancellation).ConfigureAwait(false);
        return new RegisterImageResult { ImageId = image.Id };
    }

    /// <summary>RegisterImage's BootMode and TpmSupport: EC2's values; NitroTPM needs a UEFI boot.</summary>
    private static void CheckFirmware(string? bootMode, string? tpmSupport)
    {
        if (bootMode is not null and not ("legacy-bios" or "uefi" or "uefi-preferred"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({bootMode}) for parameter bootMode is invalid. Valid values are: legacy-bios, uefi, uefi-preferred.");
        }
        if (tpmSupport is not null and not "v2.0")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({tpmSupport}) for parameter tpmSupport is invalid. Valid values are: v2.0.");
        }
        if (tpmSupport is not null && bootMode is null or "legacy-bios")
        {
            throw AwsErrors.InvalidParameterCombination("NitroTPM (TpmSupport v2.0) requires the boot mode uefi or uefi-preferred.");
        }
    }

    public override async Task<DeregisterImageResult> DeregisterImageAsync(RequestContext context, DeregisterImageRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        if (image.DeregistrationProtection || image.DeregistrationProtectedUntil > context.Now)
        {
            throw new AwsException("InvalidParameterValue", $"Deregistration protection is enabled for the image '{image.Id}'. Disable it first.");
        }
        await Images.DeregisterAsync(context.Transaction, context.Scope, image, context.Now, context.Cancellation).ConfigureAwait(false);
        var results = new List<DeleteSnapshotReturnCode>();
        if (request.DeleteAssociatedSnapshots == true)
        {
            foreach (var snapshotId in image.BlockDevices.Select(b => b.SnapshotId).OfType<string>().Distinct())
            {
                var deleted = await context.Transaction.DeleteAsync(context.Scope, ResourceTypes.Snapshot, snapshotId, context.Cancellation).ConfigureAwait(false);
                results.Add(new DeleteSnapshotReturnCode { SnapshotId = snapshotId, ReturnCode = deleted ? "success" : "error-generic" });
            }
        }
        return new DeregisterImageResult { Return = true, DeleteSnapshotResults = request.DeleteAssociatedSnapshots == true ? results : null };
    }

    public override async Task<ImageAttribute> DescribeImageAttributeAsync(RequestContext context, DescribeImageAttributeRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        var result = new ImageAttribute { ImageId = image.Id };
        switch (request.Attribute)
        {
            case "description":
                result.Description = new AttributeValue { Value = image.Description };
                break;
            case "launchPermission":
                result.LaunchPermissions = image.LaunchPermissions
                    .Select(p => p == "all" ? new LaunchPermission { Group = "all" } : new LaunchPermission { UserId = p }).ToList();
                break;
            case "blockDeviceMapping":
                result.BlockDeviceMappings = image.BlockDevices.Select(ToShape).ToList();
                break;
            case "kernel":
                result.KernelId = new AttributeValue { Value = image.KernelId };
                break;
            case "ramdisk":
                result.RamdiskId = new AttributeValue { Value = image.RamdiskId };
                break;
            case "productCodes":
                result.ProductCodes = [];
                break;
            case "sriovNetSupport":
                result.SriovNetSupport = new AttributeValue { Value = image.SriovNetSupport };
                break;
            case "bootMode":
                result.BootMode = new AttributeValue { Value = image.BootMode };
                break;
            case "tpmSupport":
                result.TpmSupport = new AttributeValue { Value = image.TpmSupport };
                break;
            case "imdsSupport":
                result.ImdsSupport = new AttributeValue { Value = image.ImdsSupport };
                break;
            case "lastLaunchedTime":
                result.LastLaunchedTime = new AttributeValue { Value = image.LastLaunchedTime is { } t ? ProtocolFormats.FormatTimestamp(t) : null };
                break;
            case "deregistrationProtection":
                result.DeregistrationProtection = new AttributeValue { Value = image.DeregistrationProtection ? "enabled" : "disabled" };
                break;
            case "uefiData":
                result.UefiData = new AttributeValue { Value = image.UefiData };
                break;
            default:
                throw AwsErrors.MissingParameter("Attribute");
        }
        return result;
    }

    public override async Task ModifyImageAttributeAsync(RequestContext context, ModifyImageAttributeRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        var attribute = request.Attribute ?? (request.LaunchPermission is not null || request.UserIds is not null || request.UserGroups is not null ? "launchPermission"
            : request.Description is not null ? "description"
            : request.ImdsSupport is not null ? "imdsSupport"
            : throw AwsErrors.MissingParameter("Attribute"));
        switch (attribute)
        {
            case "description":
                image.Description = request.Description?.Value ?? request.Value;
                break;
            case "imdsSupport":
                var imds = request.ImdsSupport?.Value ?? request.Value;
                if (imds != "v2.0")
                {
                    throw AwsErrors.InvalidParameterValue($"Value ({imds}) for parameter imdsSupport is invalid. The only valid value is v2.0.");
                }
                image.ImdsSupport = imds;
                break;
            case "launchPermission":
                var add = new List<string>();
                var remove = new List<string>();
                foreach (var p in request.LaunchPermission?.Add ?? [])
                {
                    add.Add(PermissionTarget(p));
                }
                foreach (var p in request.LaunchPermission?.Remove ?? [])
                {
                    remove.Add(PermissionTarget(p));
                }
                var legacy = (request.UserIds ?? []).Concat(request.UserGroups ?? []).ToList();
                if (legacy.Count > 0)
                {
                    (request.OperationType == "remove" ? remove : request.OperationType == "add" ? add : throw AwsErrors.MissingParameter("OperationType")).AddRange(legacy);
                }
                if (add.Count > 0 && image.State == "disabled")
                {
                    throw new AwsException("IncorrectState", $"The image '{image.Id}' is disabled and cannot be shared. Enable it first.");
                }
                foreach (var target in add.Concat(remove).Where(t => t != "all" && !IsAccountId(t)))
                {
                    throw new AwsException("InvalidAMIAttributeItemValue", $"Invalid attribute item value \"{target}\" for userId item type.");
                }
                if (add.Contains("all") && !image.LaunchPermissions.Contains("all"))
                {
                    await Stratus.Domain.Ebs.PublicAccessSettings.CheckImageSharingAsync(context.Store, context.Scope, image.Id, context.Cancellation).ConfigureAwait(false);
                }
                foreach (var target in add.Where(t => !image.LaunchPermissions.Contains(t)))
                {
                    image.LaunchPermissions.Add(target);
                }
                image.LaunchPermissions.RemoveAll(remove.Contains);
                break;
            default:
                throw new AwsException("InvalidParameterValue", $"Value ({attribute}) for parameter attribute is invalid. Modifiable attributes are description, launchPermission and imdsSupport.");
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Image, image.Id, image, image.CreationDate, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task ResetImageAttributeAsync(RequestContext context, ResetImageAttributeRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        image.LaunchPermissions.Clear();
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Image, image.Id, image, image.CreationDate, context.Cancellation).ConfigureAwait(false);
    }

    private static string PermissionTarget(LaunchPermission permission) =>
        permission.Group == "all" ? "all"
        : permission.UserId ?? throw AwsErrors.InvalidParameterValue("A launch permission needs a UserId or Group=all (organization permissions are not supported).");

    private static bool IsAccountId(string value) => value.Length == 12 && value.All(char.IsAsciiDigit);

    /// <summary>An image the caller owns; another account's image is not found for modification.</summary>
    private static async Task<ImageResource> GetOwnImageAsync(RequestContext context, string imageId)
    {
        ResourceTypes.Image.CheckId(imageId);
        var image = await context.Store.GetAsync<ImageResource>(context.Scope, ResourceTypes.Image, imageId, context.Cancellation).ConfigureAwait(false);
        if (image is null)
        {
            var visible = await Images.ListVisibleAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
            if (visible.Exists(v => v.Image.Id == imageId))
            {
                throw new AwsException("AuthFailure", $"Not authorized for image:{imageId}", 400);
            }
            var deregistered = await Images.ListDeregisteredAsync(context.Store, context.Scope, context.Now, context.Cancellation).ConfigureAwait(false);
            throw deregistered.Exists(d => d.Image.Image.Id == imageId) ? Images.Unavailable(imageId) : ResourceTypes.Image.NotFound(imageId);
        }
        return image;
    }

    private static async Task CheckNewImageNameAsync(RequestContext context, string name)
    {
        if (!ImageName.IsMatch(name))
        {
            throw new AwsException("InvalidAMIName.Malformed",
                "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/', '_', '[', ']', ' ', ''' and '@'");
        }
        var own = await context.Store.ListAsync<ImageResource>(context.Scope, ResourceTypes.Image, context.Cancellation).ConfigureAwait(false);
        if (own.Find(i => i.Name == name) is { } existing)
        {
            throw new AwsException("InvalidAMIName.Duplicate", $"AMI name {name} is already in use by AMI {existing.Id}");
        }
    }

    private static async Task<ImageBlockDevice> ToImageDeviceAsync(RequestContext context, BlockDeviceMapping mapping)
    {
        var device = mapping.DeviceName ?? throw AwsErrors.MissingParameter("BlockDeviceMapping.N.DeviceName");
        if (mapping.NoDevice is not null)
        {
            return new ImageBlockDevice { DeviceName = device, NoDevice = true };
        }
        if (mapping.VirtualName is { } virtualName)
        {
            return new ImageBlockDevice { DeviceName = device, VirtualName = virtualName };
        }
        var ebs = mapping.Ebs ?? throw AwsErrors.InvalidParameterValue($"The block device mapping for {device} needs Ebs, VirtualName or NoDevice.");
        int? size = ebs.VolumeSize;
        if (ebs.SnapshotId is { } snapshotId)
        {
            ResourceTypes.Snapshot.CheckId(snapshotId);
            var snapshot = await context.Store.GetAsync<Stratus.Domain.Ebs.SnapshotResource>(context.Scope, ResourceTypes.Snapshot, snapshotId, context.Cancellation).ConfigureAwait(false)
                ?? throw ResourceTypes.Snapshot.NotFound(snapshotId);
            Stratus.Domain.Ebs.SnapshotTiers.CheckUsable(snapshot, context.Now);
            int? snapshotSize = snapshot.VolumeSize;
            if (size is { } requested && snapshotSize is { } minimum && requested < minimum)
            {
                throw AwsErrors.InvalidParameterValue($"Volume of {requested}GiB is smaller than snapshot '{snapshotId}', expect size >= {minimum}GiB");
            }
            size ??= snapshotSize;
        }
        else if (size is null)
        {
            throw AwsErrors.MissingParameter($"BlockDeviceMapping {device}: Ebs.SnapshotId or Ebs.VolumeSize");
        }
        return new ImageBlockDevice
        {
            DeviceName = device,
            SnapshotId = ebs.SnapshotId,
            VolumeSize = size,
            VolumeType = ebs.VolumeType ?? "gp2",
            Iops = ebs.Iops,
            Throughput = ebs.Throughput,
            DeleteOnTermination = ebs.DeleteOnTermination ?? true,
            Encrypted = ebs.Encrypted ?? false,
            KmsKeyId = ebs.KmsKeyId,
        };
    }

    private static BlockDeviceMapping ToShape(ImageBlockDevice device) => device.NoDevice
        ? new BlockDeviceMapping { DeviceName = device.DeviceName, NoDevice = "" }
        : device.VirtualName is not null
            ? new BlockDeviceMapping { DeviceName = device.DeviceName, VirtualName = device.VirtualName }
            : new BlockDeviceMapping
            {
                DeviceName = device.DeviceName,
                Ebs = new EbsBlockDevice
                {
                    SnapshotId = device.SnapshotId,
                    VolumeSize = device.VolumeSize,
                    VolumeType = device.VolumeType,
                    Iops = device.Iops,
                    Throughput = device.Throughput,
                    DeleteOnTermination = device.DeleteOnTermination,
                    Encrypted = device.Encrypted,
                    KmsKeyId = device.KmsKeyId,
                },
            };

    /// <summary>An image as DescribeImages lists it, with whether Allowed AMIs allows it.</summary>
    private sealed record DescribedImage(ImageResource Image, bool Allowed);

    private static Image ToShape(ImageResource image, DateTime now, bool allowed = true)
    {
        var state = image.StateAt(now);
        return new Image
        {
            ImageId = image.Id,
            OwnerId = image.OwnerId,
            ImageOwnerAlias = image.OwnerAlias,
            Name = image.Name,
            Description = image.Description,
            Architecture = image.Architecture,
            RootDeviceName = image.RootDeviceName,
            RootDeviceType = image.RootDeviceType,
            VirtualizationType = image.VirtualizationType,
            Hypervisor = image.Hypervisor,
            ImageType = image.ImageType,
            PlatformDetails = image.PlatformDetails,
            UsageOperation = image.UsageOperation,
            EnaSupport = image.EnaSupport,
            SriovNetSupport = image.SriovNetSupport,
            BootMode = image.BootMode,
            ImdsSupport = image.ImdsSupport,
            TpmSupport = image.TpmSupport,
            KernelId = image.KernelId,
            RamdiskId = image.RamdiskId,
            ImageLocation = image.ImageLocation,
            State = state,
            StateReason = image.StateReasonCode is null ? null : new StateReason { Code = image.StateReasonCode, Message = image.StateReasonMessage },
            CreationDate = ProtocolFormats.FormatTimestamp(image.CreationDate),
            DeprecationTime = image.DeprecationTime is { } deprecation ? ProtocolFormats.FormatTimestamp(deprecation) : null,
            DeregistrationProtection = image.DeregistrationProtection ? "enabled" : "disabled",
            LastLaunchedTime = image.LastLaunchedTime is { } launched ? ProtocolFormats.FormatTimestamp(launched) : null,
            FreeTierEligible = image.FreeTierEligible,
            ImageAllowed = allowed,
            Public = image.IsPublic,
            SourceInstanceId = image.SourceInstanceId,
            SourceImageId = image.SourceImageId,
            SourceImageRegion = image.SourceImageRegion,
            BlockDeviceMappings = image.BlockDevices.Select(ToShape).ToList(),
            ProductCodes = [],
            Tags = image.Tags.Count > 0 ? ToShape(image.Tags) : null,
        };
    }
}
