using Stratus.Core;

namespace Stratus.Domain.Ebs;

/// <summary>How long archiving and restoring take (EBS takes hours; Stratus keeps the order of states).</summary>
public static class SnapshotTierTimings
{
    public static readonly TimeSpan Archival = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Restore = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The last tiering operation of a snapshot: <c>archival</c>, <c>temporary-restore</c> or
/// <c>permanent-restore</c>, in progress from <see cref="StartTime"/> until
/// <see cref="CompleteTime"/>. The storage tier follows from it and the clock.
/// </summary>
public sealed class SnapshotTierRecord
{
    public required string Operation { get; init; }
    public required DateTime StartTime { get; init; }
    public required DateTime CompleteTime { get; init; }

    /// <summary>When the snapshot reached the archive tier (kept across restores).</summary>
    public DateTime? ArchivalCompleteTime { get; init; }

    /// <summary>For temporary restores: when the snapshot goes back to the archive tier.</summary>
    public DateTime? RestoreExpiryTime { get; init; }

    public int? RestoreDays { get; init; }

    public bool InProgressAt(DateTime now) => now < CompleteTime;

    public string TierAt(DateTime now) => Operation switch
    {
        SnapshotTiers.Archival => now >= CompleteTime ? "archive" : "standard",
        SnapshotTiers.TemporaryRestore => now >= CompleteTime && RestoreExpiryTime is { } expiry && now < expiry ? "standard" : "archive",
        _ => now >= CompleteTime ? "standard" : "archive",
    };

    /// <summary><c>archival-in-progress</c>, <c>temporary-restore-completed</c>, ...</summary>
    public string StatusAt(DateTime now) => Operation + (InProgressAt(now) ? "-in-progress" : "-completed");

    public int ProgressAt(DateTime now)
    {
        if (now >= CompleteTime)
        {
            return 100;
        }
        var span = (CompleteTime - StartTime).TotalMilliseconds;
        return span <= 0 ? 100 : Math.Clamp((int)((now - StartTime).TotalMilliseconds * 100 / span), 0, 99);
    }
}

/// <summary>
/// The EBS snapshot archive tier: ModifySnapshotTier moves a completed snapshot to the archive
/// tier; RestoreSnapshotTier brings it back for a number of days (then it is archived again)
/// or for good. An archived snapshot cannot be used (CreateVolume, CopySnapshot, RegisterImage)
/// until it is restored.
/// </summary>
public static class SnapshotTiers
{
    public const string Archival = "archival";
    public const string TemporaryRestore = "temporary-restore";
    public const string PermanentRestore = "permanent-restore";
    public const int MaxTemporaryRestoreDays = 180;

    /// <summary>ModifySnapshotTier: starts archiving a completed snapshot in the standard tier.</summary>
    public static SnapshotTierRecord Archive(SnapshotResource snapshot, string? storageTier, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (storageTier is null)
        {
            throw AwsErrors.MissingParameter("StorageTier");
        }
        if (storageTier != "archive")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({storageTier}) for parameter storageTier is invalid. The only valid value is archive.");
        }
        if (snapshot.StateAt(now) != "completed")
        {
            throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' is not in the 'completed' state; it is '{snapshot.StateAt(now)}'.");
        }
        if (snapshot.Tiering is { } current && current.InProgressAt(now))
        {
            throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' has a tiering operation in progress ({current.StatusAt(now)}).");
        }
        if (snapshot.StorageTierAt(now) == "archive")
        {
            throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' is already in the archive tier.");
        }
        return snapshot.Tiering = new SnapshotTierRecord { Operation = Archival, StartTime = now, CompleteTime = now + SnapshotTierTimings.Archival, ArchivalCompleteTime = now + SnapshotTierTimings.Archival };
    }

    /// <summary>
    /// RestoreSnapshotTier: restores an archived snapshot for <paramref name="temporaryRestoreDays"/>
    /// days or permanently; a temporarily restored snapshot can be given a new period or made permanent.
    /// </summary>
    public static SnapshotTierRecord Restore(SnapshotResource snapshot, int? temporaryRestoreDays, bool? permanentRestore, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var permanent = permanentRestore == true;
        if (permanent && temporaryRestoreDays is not null)
        {
            throw AwsErrors.InvalidParameterCombination("You can specify either TemporaryRestoreDays or PermanentRestore, but not both.");
        }
        if (!permanent && temporaryRestoreDays is null)
        {
            throw AwsErrors.MissingParameter("TemporaryRestoreDays");
        }
        if (temporaryRestoreDays is { } days and (< 1 or > MaxTemporaryRestoreDays))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({days}) for parameter temporaryRestoreDays is invalid. Valid values are between 1 and {MaxTemporaryRestoreDays} days.");
        }
        var current = snapshot.Tiering;
        if (current is not null && current.InProgressAt(now))
        {
            throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' has a tiering operation in progress ({current.StatusAt(now)}).");
        }
        var archivedAt = current?.ArchivalCompleteTime;
        if (current is { Operation: TemporaryRestore } && current.TierAt(now) == "standard")
        {
            // A temporary restore in effect: change its period, or make it permanent, at once.
            return snapshot.Tiering = permanent
                ? new SnapshotTierRecord { Operation = PermanentRestore, StartTime = now, CompleteTime = now, ArchivalCompleteTime = archivedAt }
                : new SnapshotTierRecord { Operation = TemporaryRestore, StartTime = current.StartTime, CompleteTime = current.CompleteTime, ArchivalCompleteTime = archivedAt, RestoreDays = temporaryRestoreDays, RestoreExpiryTime = now.AddDays(temporaryRestoreDays!.Value) };
        }
        if (snapshot.StorageTierAt(now) != "archive")
        {
            throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' is not in the archive tier.");
        }
        var complete = now + SnapshotTierTimings.Restore;
        return snapshot.Tiering = permanent
            ? new SnapshotTierRecord { Operation = PermanentRestore, StartTime = now, CompleteTime = complete, ArchivalCompleteTime = archivedAt }
            : new SnapshotTierRecord { Operation = TemporaryRestore, StartTime = now, CompleteTime = complete, ArchivalCompleteTime = archivedAt, RestoreDays = temporaryRestoreDays, RestoreExpiryTime = complete.AddDays(temporaryRestoreDays!.Value) };
    }

    /// <summary>Refuses to use a snapshot that is in the archive tier (or being restored).</summary>
    public static void CheckUsable(SnapshotResource snapshot, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.StorageTierAt(now) == "archive")
        {
            throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' is in the archive tier. Restore it with RestoreSnapshotTier before using it.");
        }
    }
}
