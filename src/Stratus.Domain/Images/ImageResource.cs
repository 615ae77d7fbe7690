using Stratus.Domain.Resources;

namespace Stratus.Domain.Images;

/// <summary>A block device of an image: an EBS snapshot to restore, an instance-store volume, or a suppressed device.</summary>
public sealed class ImageBlockDevice
{
    public required string DeviceName { get; init; }
    public string? SnapshotId { get; init; }
    public int? VolumeSize { get; init; }
    public string? VolumeType { get; init; }
    public int? Iops { get; init; }
    public int? Throughput { get; init; }
    public bool DeleteOnTermination { get; init; } = true;
    public bool Encrypted { get; init; }
    public string? KmsKeyId { get; init; }

    /// <summary>ephemeralN for instance-store volumes.</summary>
    public string? VirtualName { get; init; }

    /// <summary>True when the mapping suppresses a device of the image.</summary>
    public bool NoDevice { get; init; }
}

/// <summary>An Amazon Machine Image.</summary>
public sealed class ImageResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public string? OwnerAlias { get; init; }
    public required string Name { get; init; }
    public string? Description { get; set; }
    public string Architecture { get; init; } = "x86_64";
    public string RootDeviceName { get; init; } = "/dev/xvda";
    public string RootDeviceType { get; init; } = "ebs";
    public string VirtualizationType { get; init; } = "hvm";
    public string Hypervisor { get; init; } = "xen";
    public string ImageType { get; init; } = "machine";
    public string PlatformDetails { get; init; } = "Linux/UNIX";
    public string UsageOperation { get; init; } = "RunInstances";
    public bool EnaSupport { get; init; } = true;
    public string? SriovNetSupport { get; init; }
    public string? BootMode { get; init; }
    public string? ImdsSupport { get; set; }
    public string? TpmSupport { get; init; }

    /// <summary>The UEFI variable store instances launched from the image start with (base64), as RegisterImage's UefiData.</summary>
    public string? UefiData { get; init; }
    public string? KernelId { get; init; }
    public string? RamdiskId { get; init; }
    public string? ImageLocation { get; init; }
    public string State { get; set; } = "available";
    public string? StateReasonCode { get; set; }
    public string? StateReasonMessage { get; set; }
    public required DateTime CreationDate { get; init; }

    /// <summary>When a pending image becomes available (images made from instances wait for their snapshots).</summary>
    public DateTime? AvailableAt { get; set; }

    public DateTime? DeprecationTime { get; set; }
    public bool DeregistrationProtection { get; set; }

    /// <summary>Protection was enabled with a cooldown: disabling it keeps the image protected for 24 hours more.</summary>
    public bool DeregistrationProtectionCooldown { get; set; }

    /// <summary>Until when a disabled protection with cooldown still refuses DeregisterImage.</summary>
    public DateTime? DeregistrationProtectedUntil { get; set; }
    public DateTime? LastLaunchedTime { get; set; }
    public bool FreeTierEligible { get; init; }
    public string? SourceInstanceId { get; init; }
    public string? SourceImageId { get; init; }
    public string? SourceImageRegion { get; init; }
    public List<ImageBlockDevice> BlockDevices { get; init; } = [];

    /// <summary>Who may launch it besides the owner: account ids, and "all" when public.</summary>
    public List<string> LaunchPermissions { get; init; } = [];

    /// <summary>The guest image the instance runtime boots for this AMI (e.g. "minimal", "debian-12").</summary>
    public string? RuntimeImage { get; init; }

    public List<Tag> Tags { get; init; } = [];

    public bool IsPublic => LaunchPermissions.Contains("all");

    /// <summary>The state as of <paramref name="now"/>: a pending image whose time has come is available.</summary>
    public string StateAt(DateTime now) => State == "pending" && AvailableAt is { } at && now >= at ? "available" : State;

    public bool CanLaunch(string accountId) => OwnerId == accountId || IsPublic || LaunchPermissions.Contains(accountId);
}
