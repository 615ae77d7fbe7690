using Stratus.Core;
using Stratus.Domain.Ebs;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Tests.Storage;

/// <summary>Snapshot lock states, archive tier states and the default subnet's CIDR choice, as functions of the clock.</summary>
public sealed class SnapshotLockAndTierTests
{
    private static readonly DateTime Now = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);

    private static SnapshotResource NewSnapshot() => new()
    {
        Id = "snap-0123456789abcdef0",
        OwnerId = "123456789012",
        VolumeId = "vol-0123456789abcdef0",
        VolumeSize = 8,
        StartTime = Now.AddMinutes(-10),
        CompletedAt = Now.AddMinutes(-9),
    };

    [Fact]
    public void ComplianceLockGoesThroughCoolOffThenComplianceThenExpired()
    {
        var snapshot = NewSnapshot();
        var record = SnapshotLocks.Lock(snapshot, "compliance", coolOffHours: 2, lockDurationDays: 3, expirationDate: null, Now);
        Assert.Equal(SnapshotLockStates.ComplianceCooloff, record.StateAt(Now));
        Assert.Equal(Now.AddHours(2), record.CoolOffPeriodExpiresOn);
        Assert.Equal(SnapshotLockStates.Compliance, record.StateAt(Now.AddHours(2)));
        Assert.Equal(SnapshotLockStates.Expired, record.StateAt(Now.AddDays(3)));

        Assert.Equal("OperationNotPermitted", Assert.Throws<AwsException>(() => SnapshotLocks.CheckDeletable(snapshot, Now.AddDays(1))).Code);
        SnapshotLocks.CheckDeletable(snapshot, Now.AddDays(3));
    }

    [Fact]
    public void CompliancePastCoolOffCanOnlyBeExtended()
    {
        var snapshot = NewSnapshot();
        SnapshotLocks.Lock(snapshot, "compliance", coolOffHours: 1, lockDurationDays: 10, expirationDate: null, Now);
        var later = Now.AddHours(5);
        Assert.Equal("OperationNotPermitted", Assert.Throws<AwsException>(() => SnapshotLocks.Unlock(snapshot, later)).Code);
        Assert.Equal("OperationNotPermitted", Assert.Throws<AwsException>(() => SnapshotLocks.Lock(snapshot, "governance", null, 20, null, later)).Code);
        Assert.Equal("OperationNotPermitted", Assert.Throws<AwsException>(() => SnapshotLocks.Lock(snapshot, "compliance", null, 1, null, later)).Code);
        var extended = SnapshotLocks.Lock(snapshot, "compliance", null, 30, null, later);
        Assert.Equal(later.AddDays(30), extended.LockExpiresOn);
        Assert.Equal(Now, extended.LockCreatedOn);
    }

    [Fact]
    public void GovernanceAndCoolOffLocksCanBeRemoved()
    {
        var snapshot = NewSnapshot();
        SnapshotLocks.Lock(snapshot, "governance", null, null, Now.AddDays(1), Now);
        Assert.Equal(SnapshotLockStates.Governance, snapshot.Lock!.StateAt(Now));
        SnapshotLocks.Unlock(snapshot, Now);
        Assert.Null(snapshot.Lock);
        Assert.Equal("IncorrectState", Assert.Throws<AwsException>(() => SnapshotLocks.Unlock(snapshot, Now)).Code);

        SnapshotLocks.Lock(snapshot, "compliance", 1, 1, null, Now);
        SnapshotLocks.Unlock(snapshot, Now.AddMinutes(30));
        Assert.Null(snapshot.Lock);
    }

    [Theory]
    [InlineData("governance", 1, 1, null, "InvalidParameterCombination")]
    [InlineData("compliance", null, 1, 1, "InvalidParameterCombination")]
    [InlineData("compliance", null, null, null, "MissingParameter")]
    [InlineData("compliance", 73, 1, null, "InvalidParameterValue")]
    [InlineData("compliance", null, 36501, null, "InvalidParameterValue")]
    [InlineData("compliance", null, null, -1, "InvalidParameterValue")]
    public void BadLockRequestsAreRefused(string mode, int? coolOff, int? days, int? expiresInDays, string code)
    {
        DateTime? expiration = expiresInDays is { } d ? Now.AddDays(d) : null;
        Assert.Equal(code, Assert.Throws<AwsException>(() => SnapshotLocks.Lock(NewSnapshot(), mode, coolOff, days, expiration, Now)).Code);
    }

    [Fact]
    public void ArchiveThenTemporaryRestoreThenReArchivedAtExpiry()
    {
        var snapshot = NewSnapshot();
        var archival = SnapshotTiers.Archive(snapshot, "archive", Now);
        Assert.Equal("archival-in-progress", archival.StatusAt(Now));
        Assert.Equal("standard", snapshot.StorageTierAt(Now));
        var archived = Now + SnapshotTierTimings.Archival;
        Assert.Equal("archive", snapshot.StorageTierAt(archived));
        Assert.Equal("archival-completed", archival.StatusAt(archived));
        Assert.Equal("IncorrectState", Assert.Throws<AwsException>(() => SnapshotTiers.CheckUsable(snapshot, archived)).Code);
        Assert.Equal("IncorrectState", Assert.Throws<AwsException>(() => SnapshotTiers.Archive(snapshot, "archive", archived)).Code);

        var restore = SnapshotTiers.Restore(snapshot, temporaryRestoreDays: 2, permanentRestore: null, archived);
        Assert.Equal("temporary-restore-in-progress", restore.StatusAt(archived));
        Assert.Equal("archive", snapshot.StorageTierAt(archived));
        var restored = archived + SnapshotTierTimings.Restore;
        Assert.Equal("standard", snapshot.StorageTierAt(restored));
        SnapshotTiers.CheckUsable(snapshot, restored);
        Assert.Equal(restored.AddDays(2), restore.RestoreExpiryTime);
        Assert.Equal("archive", snapshot.StorageTierAt(restored.AddDays(2)));

        // A temporary restore in effect becomes permanent at once.
        var permanent = SnapshotTiers.Restore(snapshot, null, permanentRestore: true, restored.AddDays(1));
        Assert.Equal("permanent-restore-completed", permanent.StatusAt(restored.AddDays(1)));
        Assert.Equal("standard", snapshot.StorageTierAt(restored.AddDays(400)));
        Assert.Equal(archived, permanent.ArchivalCompleteTime);
    }

    [Fact]
    public void RestoreNeedsAnArchivedSnapshotAndOneKindOfRestore()
    {
        var snapshot = NewSnapshot();
        Assert.Equal("IncorrectState", Assert.Throws<AwsException>(() => SnapshotTiers.Restore(snapshot, 1, null, Now)).Code);
        Assert.Equal("MissingParameter", Assert.Throws<AwsException>(() => SnapshotTiers.Restore(snapshot, null, null, Now)).Code);
        Assert.Equal("InvalidParameterCombination", Assert.Throws<AwsException>(() => SnapshotTiers.Restore(snapshot, 1, true, Now)).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => SnapshotTiers.Archive(snapshot, "standard", Now)).Code);
        var pending = new SnapshotResource { Id = "snap-1", OwnerId = "1", VolumeId = "vol-1", VolumeSize = 1, StartTime = Now, CompletedAt = Now.AddSeconds(5) };
        Assert.Equal("IncorrectState", Assert.Throws<AwsException>(() => SnapshotTiers.Archive(pending, "archive", Now)).Code);
    }

    [Fact]
    public void DefaultSubnetTakesTheLowestFreeSlash20()
    {
        var vpc = Ipv4Cidr.Parse("172.31.0.0/16");
        Assert.Equal("172.31.0.0/20", DefaultSubnets.ChooseBlock(vpc, [])!.Value.ToString());
        Assert.Equal("172.31.32.0/20", DefaultSubnets.ChooseBlock(vpc, [Ipv4Cidr.Parse("172.31.0.0/20"), Ipv4Cidr.Parse("172.31.16.0/20"), Ipv4Cidr.Parse("172.31.48.0/20")])!.Value.ToString());
        Assert.Equal("172.31.16.0/20", DefaultSubnets.ChooseBlock(vpc, [Ipv4Cidr.Parse("172.31.1.0/24")])!.Value.ToString());
        var full = Enumerable.Range(0, 16).Select(i => Ipv4Cidr.Parse($"172.31.{i * 16}.0/20"));
        Assert.Null(DefaultSubnets.ChooseBlock(vpc, full));
    }
}
