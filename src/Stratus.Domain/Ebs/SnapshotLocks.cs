using Stratus.Core;

namespace Stratus.Domain.Ebs;

/// <summary>Lock modes and lock states of EBS snapshot lock, as EC2 names them.</summary>
public static class SnapshotLockStates
{
    public const string Governance = "governance";
    public const string Compliance = "compliance";
    public const string ComplianceCooloff = "compliance-cooloff";
    public const string Expired = "expired";
}

/// <summary>
/// A snapshot lock. Its state is derived from the clock: <c>compliance-cooloff</c> until the
/// cooling-off period ends, then <c>compliance</c> (or <c>governance</c>), <c>expired</c> once
/// <see cref="LockExpiresOn"/> has passed.
/// </summary>
public sealed class SnapshotLockRecord
{
    public required string Mode { get; init; }
    public required DateTime LockCreatedOn { get; init; }
    public required DateTime LockDurationStartTime { get; init; }
    public required DateTime LockExpiresOn { get; init; }

    /// <summary>The lock duration in days when the lock was given one (rather than an expiration date).</summary>
    public int? LockDuration { get; init; }

    /// <summary>The cooling-off period in hours (compliance mode only).</summary>
    public int? CoolOffPeriod { get; init; }

    public DateTime? CoolOffPeriodExpiresOn { get; init; }

    public string StateAt(DateTime now) =>
        now >= LockExpiresOn ? SnapshotLockStates.Expired
        : Mode == SnapshotLockStates.Governance ? SnapshotLockStates.Governance
        : CoolOffPeriodExpiresOn is { } coolOff && now < coolOff ? SnapshotLockStates.ComplianceCooloff
        : SnapshotLockStates.Compliance;

    /// <summary>True while the lock protects the snapshot from deletion.</summary>
    public bool ProtectsAt(DateTime now) => StateAt(now) != SnapshotLockStates.Expired;
}

/// <summary>
/// EBS snapshot lock (LockSnapshot, UnlockSnapshot): governance locks can be changed or removed
/// at any time; compliance locks only during their cooling-off period, after which the lock can
/// only be extended. A snapshot whose lock has not expired cannot be deleted.
/// </summary>
public static class SnapshotLocks
{
    public const int MaxLockDurationDays = 36500;
    public const int MaxCoolOffHours = 72;

    /// <summary>
    /// Locks <paramref name="snapshot"/> (or changes its lock) as of <paramref name="now"/>;
    /// exactly one of <paramref name="lockDurationDays"/> and <paramref name="expirationDate"/>.
    /// </summary>
    public static SnapshotLockRecord Lock(SnapshotResource snapshot, string mode, int? coolOffHours, int? lockDurationDays, DateTime? expirationDate, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (mode is not (SnapshotLockStates.Governance or SnapshotLockStates.Compliance))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({mode}) for parameter lockMode is invalid. Valid values: compliance, governance.");
        }
        if (lockDurationDays is not null && expirationDate is not null)
        {
            throw AwsErrors.InvalidParameterCombination("You can specify either LockDuration or ExpirationDate, but not both.");
        }
        if (lockDurationDays is null && expirationDate is null)
        {
            throw AwsErrors.MissingParameter("LockDuration");
        }
        if (mode == SnapshotLockStates.Governance && coolOffHours is not null)
        {
            throw AwsErrors.InvalidParameterCombination("A cooling-off period can be specified only for snapshots locked in compliance mode.");
        }
        if (lockDurationDays is { } days and (< 1 or > MaxLockDurationDays))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({days}) for parameter lockDuration is invalid. The lock duration must be between 1 and {MaxLockDurationDays} days.");
        }
        if (coolOffHours is { } hours and (< 1 or > MaxCoolOffHours))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({hours}) for parameter coolOffPeriod is invalid. The cooling-off period must be between 1 and {MaxCoolOffHours} hours.");
        }
        var expires = expirationDate?.ToUniversalTime() ?? now.AddDays(lockDurationDays!.Value);
        if (expires <= now)
        {
            throw AwsErrors.InvalidParameterValue("The lock expiration date must be in the future.");
        }
        if (expires > now.AddDays(MaxLockDurationDays))
        {
            throw AwsErrors.InvalidParameterValue($"The lock expiration date must be at most {MaxLockDurationDays} days in the future.");
        }
        var existing = snapshot.Lock;
        var state = existing?.StateAt(now);
        if (existing is not null && state == SnapshotLockStates.Compliance)
        {
            // After the cooling-off period a compliance lock can only be extended.
            if (mode != SnapshotLockStates.Compliance)
            {
                throw new AwsException("OperationNotPermitted", $"The snapshot '{snapshot.Id}' is locked in compliance mode and its cooling-off period has expired; the lock mode cannot be changed.");
            }
            if (coolOffHours is not null)
            {
                throw AwsErrors.InvalidParameterCombination($"The snapshot '{snapshot.Id}' is locked in compliance mode and its cooling-off period has expired; a cooling-off period cannot be specified.");
            }
            if (expires < existing.LockExpiresOn)
            {
                throw new AwsException("OperationNotPermitted", $"The snapshot '{snapshot.Id}' is locked in compliance mode and its cooling-off period has expired; the lock duration can only be increased.");
            }
            return snapshot.Lock = new SnapshotLockRecord
            {
                Mode = mode,
                LockCreatedOn = existing.LockCreatedOn,
                LockDurationStartTime = now,
                LockExpiresOn = expires,
                LockDuration = lockDurationDays,
                CoolOffPeriod = existing.CoolOffPeriod,
                CoolOffPeriodExpiresOn = existing.CoolOffPeriodExpiresOn,
            };
        }
        var keepCreated = existing is not null && state != SnapshotLockStates.Expired;
        return snapshot.Lock = new SnapshotLockRecord
        {
            Mode = mode,
            LockCreatedOn = keepCreated ? existing!.LockCreatedOn : now,
            LockDurationStartTime = now,
            LockExpiresOn = expires,
            LockDuration = lockDurationDays,
            CoolOffPeriod = mode == SnapshotLockStates.Compliance ? coolOffHours : null,
            CoolOffPeriodExpiresOn = mode == SnapshotLockStates.Compliance && coolOffHours is { } h ? now.AddHours(h) : null,
        };
    }

    /// <summary>Removes the lock: governance locks, compliance locks in their cooling-off period, expired locks.</summary>
    public static void Unlock(SnapshotResource snapshot, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var state = snapshot.Lock?.StateAt(now)
            ?? throw new AwsException("IncorrectState", $"The snapshot '{snapshot.Id}' is not locked.");
        if (state == SnapshotLockStates.Compliance)
        {
            throw new AwsException("OperationNotPermitted", $"The snapshot '{snapshot.Id}' is locked in compliance mode and its cooling-off period has expired; it cannot be unlocked.");
        }
        snapshot.Lock = null;
    }

    /// <summary>DeleteSnapshot's check: a snapshot whose lock has not expired cannot be deleted.</summary>
    public static void CheckDeletable(SnapshotResource snapshot, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Lock is { } lockRecord && lockRecord.ProtectsAt(now))
        {
            throw new AwsException("OperationNotPermitted",
                $"The snapshot '{snapshot.Id}' is locked in {lockRecord.Mode} mode until {lockRecord.LockExpiresOn:yyyy-MM-ddTHH:mm:ss.fffZ} and cannot be deleted.");
        }
    }
}
