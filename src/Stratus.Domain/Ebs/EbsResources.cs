using Stratus.Domain.Resources;

namespace Stratus.Domain.Ebs;

/// <summary>EBS volume and attachment states, as EC2 names them.</summary>
public static class VolumeStates
{
    public const string Creating = "creating";
    public const string Available = "available";
    public const string InUse = "in-use";
    public const string Deleting = "deleting";
    public const string Deleted = "deleted";

    public const string Attaching = "attaching";
    public const string Attached = "attached";
    public const string Detaching = "detaching";
    public const string Detached = "detached";
}

/// <summary>A volume's attachment to an instance.</summary>
public sealed class VolumeAttachmentRecord
{
    public required string InstanceId { get; init; }
    public required string Device { get; init; }
    public string State { get; set; } = VolumeStates.Attached;
    public required DateTime AttachTime { get; init; }
    public bool DeleteOnTermination { get; set; }
}

/// <summary>One ModifyVolume request and its progress (modifying → optimizing → completed).</summary>
public sealed class VolumeModificationRecord
{
    public required DateTime StartTime { get; init; }

    /// <summary>When the target configuration is in effect (the optimizing phase begins).</summary>
    public required DateTime OptimizingAt { get; init; }

    public required DateTime CompletedAt { get; init; }
    public required string OriginalVolumeType { get; init; }
    public required int OriginalSize { get; init; }
    public int? OriginalIops { get; init; }
    public int? OriginalThroughput { get; init; }
    public bool OriginalMultiAttachEnabled { get; init; }
    public required string TargetVolumeType { get; init; }
    public required int TargetSize { get; init; }
    public int? TargetIops { get; init; }
    public int? TargetThroughput { get; init; }
    public bool TargetMultiAttachEnabled { get; init; }

    public string StateAt(DateTime now) => now >= CompletedAt ? "completed" : now >= OptimizingAt ? "optimizing" : "modifying";

    /// <summary>Progress in percent: 0 while modifying, rising through optimizing, 100 when completed.</summary>
    public long ProgressAt(DateTime now)
    {
        if (now >= CompletedAt)
        {
            return 100;
        }
        if (now < OptimizingAt)
        {
            return 0;
        }
        var span = (CompletedAt - OptimizingAt).TotalMilliseconds;
        return span <= 0 ? 100 : Math.Clamp((long)((now - OptimizingAt).TotalMilliseconds * 100 / span), 0, 99);
    }
}

/// <summary>
/// An EBS volume. <see cref="State"/> is the settled state (available or in-use); a new volume
/// reports <c>creating</c> until <see cref="AvailableAt"/> (see <see cref="StateAt"/>), so the
/// transition needs no background work, survives restarts and is the same for every reader.
/// </summary>
public sealed class VolumeResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }
    public required int Size { get; set; }
    public required string VolumeType { get; set; }
    public int? Iops { get; set; }
    public int? Throughput { get; set; }
    public string? SnapshotId { get; init; }

    /// <summary>For copies made by CopyVolumes: the volume copied.</summary>
    public string? SourceVolumeId { get; set; }

    public bool Encrypted { get; init; }
    public string? KmsKeyId { get; init; }
    public string State { get; set; } = VolumeStates.Available;
    public required DateTime CreateTime { get; init; }

    /// <summary>Until when the volume reports <c>creating</c>.</summary>
    public DateTime? AvailableAt { get; init; }

    public bool MultiAttachEnabled { get; set; }
    public bool FastRestored { get; init; }
    public bool AutoEnableIO { get; set; }
    public List<VolumeAttachmentRecord> Attachments { get; init; } = [];

    /// <summary>Every ModifyVolume applied, oldest first (the last one is what DescribeVolumesModifications shows).</summary>
    public List<VolumeModificationRecord> Modifications { get; init; } = [];

    public List<Tag> Tags { get; init; } = [];

    /// <summary>The state as of <paramref name="now"/>.</summary>
    public string StateAt(DateTime now) =>
        AvailableAt is { } at && now < at ? VolumeStates.Creating
        : Attachments.Count > 0 ? VolumeStates.InUse
        : VolumeStates.Available;

    public EffectiveVolume Configuration => new(VolumeType, Size, Iops, Throughput);
}

/// <summary>Fast snapshot restore of a snapshot in one availability zone.</summary>
public sealed class FastRestoreRecord
{
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }
    public required DateTime EnablingTime { get; init; }
    public required DateTime OptimizingTime { get; init; }
    public required DateTime EnabledTime { get; init; }
    public DateTime? DisablingTime { get; set; }
    public DateTime? DisabledTime { get; set; }

    /// <summary>enabling → optimizing → enabled; after DisableFastSnapshotRestores disabling → disabled.</summary>
    public string StateAt(DateTime now) =>
        DisabledTime is { } off && now >= off ? "disabled"
        : DisablingTime is { } disabling && now >= disabling ? "disabling"
        : now >= EnabledTime ? "enabled"
        : now >= OptimizingTime ? "optimizing"
        : "enabling";
}

/// <summary>
/// An EBS snapshot. It is <c>pending</c> from <see cref="StartTime"/> until
/// <see cref="CompletedAt"/>, with progress rising in between (derived at read time, see
/// <see cref="StateAt"/>). <see cref="VolumeSize"/> (serialized <c>volumeSize</c>) is what
/// volumes and image block devices restored from it default to.
/// </summary>
public sealed class SnapshotResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public string? OwnerAlias { get; init; }
    public required string VolumeId { get; init; }
    public required int VolumeSize { get; init; }
    public string? Description { get; set; }
    public bool Encrypted { get; init; }
    public string? KmsKeyId { get; init; }
    public required DateTime StartTime { get; init; }
    public required DateTime CompletedAt { get; init; }
    public string StorageTier { get; init; } = "standard";

    /// <summary>For copies: the snapshot and region copied from.</summary>
    public string? SourceSnapshotId { get; init; }
    public string? SourceRegion { get; init; }

    /// <summary>Who may create volumes from it besides the owner: account ids, and "all" when public.</summary>
    public List<string> CreateVolumePermissions { get; init; } = [];

    public List<FastRestoreRecord> FastRestores { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];

    /// <summary>The snapshot lock (LockSnapshot), kept after it expires until UnlockSnapshot.</summary>
    public SnapshotLockRecord? Lock { get; set; }

    /// <summary>The last archive or restore (ModifySnapshotTier, RestoreSnapshotTier); null when never archived.</summary>
    public SnapshotTierRecord? Tiering { get; set; }

    public bool IsPublic => CreateVolumePermissions.Contains("all");

    /// <summary>The storage tier as of <paramref name="now"/> (standard or archive).</summary>
    public string StorageTierAt(DateTime now) => Tiering?.TierAt(now) ?? StorageTier;

    public string StateAt(DateTime now) => now >= CompletedAt ? "completed" : "pending";

    public string ProgressAt(DateTime now)
    {
        if (now >= CompletedAt)
        {
            return "100%";
        }
        var span = (CompletedAt - StartTime).TotalMilliseconds;
        var percent = span <= 0 ? 99 : Math.Clamp((int)((now - StartTime).TotalMilliseconds * 100 / span), 0, 99);
        return percent.ToString(System.Globalization.CultureInfo.InvariantCulture) + "%";
    }

    public bool CanRestore(string accountId) => OwnerId == accountId || IsPublic || CreateVolumePermissions.Contains(accountId);
}

/// <summary>An account's EBS encryption defaults in one region.</summary>
public sealed class EbsSettings
{
    public bool EncryptionByDefault { get; set; }

    /// <summary>The default KMS key set with ModifyEbsDefaultKmsKeyId; null means the AWS managed key alias/aws/ebs.</summary>
    public string? DefaultKmsKeyId { get; set; }
}
