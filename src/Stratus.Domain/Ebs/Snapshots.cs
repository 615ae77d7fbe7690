using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Images;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Ebs;

/// <summary>A snapshot and the account and region that own it.</summary>
public sealed record VisibleSnapshot(SnapshotResource Snapshot, Scope Scope);

/// <summary>The outcome of enabling or disabling fast snapshot restore for one snapshot in one zone.</summary>
public sealed record FastRestoreOutcome(string SnapshotId, string OwnerId, AvailabilityZone Zone, FastRestoreRecord? Record, string? ErrorCode, string? ErrorMessage);

/// <summary>
/// EBS snapshots: created from volumes (pending, then completed), copied between regions, shared
/// with createVolumePermission, fast snapshot restores, and deleted unless an AMI uses them.
/// </summary>
public static class Snapshots
{
    /// <summary>The volume id AWS reports for snapshots not made from a volume of the account (copies).</summary>
    public const string CopiedVolumeId = "vol-ffffffff";

    /// <summary>Every snapshot in the region the account may restore: its own, public ones and those shared with it.</summary>
    public static async Task<List<VisibleSnapshot>> ListVisibleAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        var stored = await session.ListEveryAccountAsync(scope.Region, ResourceTypes.Snapshot.Name, ct).ConfigureAwait(false);
        var result = new List<VisibleSnapshot>(stored.Count);
        Dictionary<string, bool>? blocksAll = null;
        foreach (var s in stored)
        {
            var snapshot = JsonSerializer.Deserialize<SnapshotResource>(s.Document, ResourceStore.Json)!;
            if (!snapshot.CanRestore(scope.AccountId))
            {
                continue;
            }
            if (s.Key.AccountId != scope.AccountId && !snapshot.CreateVolumePermissions.Contains(scope.AccountId))
            {
                // Public only: hidden while the owner blocks all public sharing in the region.
                blocksAll ??= [];
                if (!blocksAll.TryGetValue(s.Key.AccountId, out var blocked))
                {
                    blocked = blocksAll[s.Key.AccountId] = await PublicAccessSettings.SnapshotStateAsync(session, new Scope(s.Key.AccountId, scope.Region), ct).ConfigureAwait(false)
                        == PublicAccessSettings.BlockAllSharing;
                }
                if (blocked)
                {
                    continue;
                }
            }
            result.Add(new VisibleSnapshot(snapshot, new Scope(s.Key.AccountId, scope.Region)));
        }
        return result;
    }

    public static async Task<VisibleSnapshot?> FindVisibleAsync(IStoreSession session, Scope scope, string snapshotId, CancellationToken ct = default)
    {
        var own = await session.GetAsync<SnapshotResource>(scope, ResourceTypes.Snapshot, snapshotId, ct).ConfigureAwait(false);
        if (own is not null)
        {
            return new VisibleSnapshot(own, scope);
        }
        var visible = await ListVisibleAsync(session, scope, ct).ConfigureAwait(false);
        return visible.Find(v => v.Snapshot.Id == snapshotId);
    }

    /// <summary>A snapshot the account owns; another account's it can see is <c>UnauthorizedOperation</c>.</summary>
    public static async Task<SnapshotResource> GetOwnAsync(IStoreSession session, Scope scope, string snapshotId, CancellationToken ct = default)
    {
        ResourceTypes.Snapshot.CheckId(snapshotId);
        var own = await session.GetAsync<SnapshotResource>(scope, ResourceTypes.Snapshot, snapshotId, ct).ConfigureAwait(false);
        if (own is not null)
        {
            return own;
        }
        if (await FindVisibleAsync(session, scope, snapshotId, ct).ConfigureAwait(false) is not null)
        {
            throw AwsErrors.UnauthorizedOperation($"You are not authorized to perform this operation on snapshot '{snapshotId}', which belongs to another account.");
        }
        throw ResourceTypes.Snapshot.NotFound(snapshotId);
    }

    public static Task PutAsync(IStoreTransaction tx, Scope scope, SnapshotResource snapshot, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.Snapshot, snapshot.Id, snapshot, snapshot.StartTime, ct);

    /// <summary>Snapshots a volume (available or in-use); it completes shortly after.</summary>
    public static async Task<SnapshotResource> CreateAsync(IStoreTransaction tx, Scope scope, VolumeResource volume, string? description, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        var state = volume.StateAt(now);
        if (state == VolumeStates.Creating)
        {
            throw new AwsException("IncorrectState", $"The volume '{volume.Id}' is in the '{state}' state.");
        }
        var snapshot = new SnapshotResource
        {
            Id = ResourceIds.New(ResourceTypes.Snapshot.IdPrefix),
            OwnerId = scope.AccountId,
            VolumeId = volume.Id,
            VolumeSize = volume.Size,
            Description = description ?? "",
            Encrypted = volume.Encrypted,
            KmsKeyId = volume.KmsKeyId,
            StartTime = now,
            CompletedAt = now + EbsTimings.SnapshotCompletion,
            Tags = tags,
        };
        await PutAsync(tx, scope, snapshot, ct).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>
    /// Snapshots every volume attached to an instance (CreateSnapshots), optionally without its root
    /// volume or some data volumes. <paramref name="tagsFor"/> gives each snapshot's tags.
    /// </summary>
    public static async Task<List<SnapshotResource>> CreateForInstanceAsync(
        IStoreTransaction tx, Scope scope, string instanceId, bool excludeBootVolume, IReadOnlyList<string> excludeDataVolumeIds, string? description,
        Func<VolumeResource, List<Tag>> tagsFor, DateTime now, CancellationToken ct = default)
    {
        ResourceTypes.Instance.CheckId(instanceId);
        foreach (var id in excludeDataVolumeIds)
        {
            ResourceTypes.Volume.CheckId(id);
        }
        var instance = await InstanceDocument.GetAsync(tx, scope, instanceId, ct).ConfigureAwait(false);
        var volumes = await Volumes.ListAttachedAsync(tx, scope, instanceId, ct).ConfigureAwait(false);
        foreach (var id in excludeDataVolumeIds.Where(id => !volumes.Exists(v => v.Id == id)))
        {
            throw AwsErrors.InvalidParameterValue($"The volume '{id}' in ExcludeDataVolumeIds is not attached to instance '{instanceId}'.");
        }
        var result = new List<SnapshotResource>();
        foreach (var volume in volumes.OrderBy(v => v.Id, StringComparer.Ordinal))
        {
            var device = volume.Attachments.Find(a => a.InstanceId == instanceId)!.Device;
            var isRoot = device == instance.RootDeviceName;
            if ((isRoot && excludeBootVolume) || (!isRoot && excludeDataVolumeIds.Contains(volume.Id)))
            {
                continue;
            }
            result.Add(await CreateAsync(tx, scope, volume, description, tagsFor(volume), now, ct).ConfigureAwait(false));
        }
        return result;
    }

    /// <summary>
    /// Copies a completed snapshot the account can see in <paramref name="sourceRegion"/> into
    /// <paramref name="scope"/>'s region. The copy is encrypted when the source is or when asked
    /// (or by the destination's encryption default); it starts pending.
    /// </summary>
    public static async Task<SnapshotResource> CopyAsync(
        IStoreTransaction tx, Scope scope, string sourceRegion, string sourceSnapshotId, string? description, bool? encrypted, string? kmsKeyId, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        if (RegionCatalog.Find(sourceRegion) is null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({sourceRegion}) for parameter sourceRegion is invalid. The region does not exist.");
        }
        ResourceTypes.Snapshot.CheckId(sourceSnapshotId);
        var sourceScope = new Scope(scope.AccountId, sourceRegion);
        var source = await FindVisibleAsync(tx, sourceScope, sourceSnapshotId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.Snapshot.NotFound(sourceSnapshotId);
        var snapshot = source.Snapshot;
        if (snapshot.StateAt(now) != "completed")
        {
            throw new AwsException("IncorrectState", $"Snapshot '{sourceSnapshotId}' is not in the 'completed' state; it is '{snapshot.StateAt(now)}'.");
        }
        SnapshotTiers.CheckUsable(snapshot, now);
        if (kmsKeyId is not null)
        {
            EbsEncryption.CheckKmsKeyId(kmsKeyId);
        }
        var settings = await EbsEncryption.GetAsync(tx, scope, ct).ConfigureAwait(false);
        var isEncrypted = snapshot.Encrypted || encrypted == true || settings.EncryptionByDefault;
        if (kmsKeyId is not null && !isEncrypted)
        {
            throw new AwsException("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.");
        }
        var copy = new SnapshotResource
        {
            Id = ResourceIds.New(ResourceTypes.Snapshot.IdPrefix),
            OwnerId = scope.AccountId,
            VolumeId = CopiedVolumeId,
            VolumeSize = snapshot.VolumeSize,
            Description = description ?? $"[Copied {sourceSnapshotId} from {sourceRegion}]",
            Encrypted = isEncrypted,
            KmsKeyId = !isEncrypted ? null
                : kmsKeyId ?? (snapshot.Encrypted && sourceRegion == scope.Region ? snapshot.KmsKeyId : null) ?? EbsEncryption.DefaultKeyArn(scope, settings),
            StartTime = now,
            CompletedAt = now + EbsTimings.SnapshotCompletion,
            SourceSnapshotId = sourceSnapshotId,
            SourceRegion = sourceRegion,
            Tags = tags,
        };
        await PutAsync(tx, scope, copy, ct).ConfigureAwait(false);
        return copy;
    }

    /// <summary>
    /// Deletes an own snapshot unless a registered AMI of the account uses it (<c>InvalidSnapshot.InUse</c>)
    /// or a lock that has not expired protects it.
    /// </summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string snapshotId, DateTime now, CancellationToken ct = default)
    {
        var snapshot = await GetOwnAsync(tx, scope, snapshotId, ct).ConfigureAwait(false);
        SnapshotLocks.CheckDeletable(snapshot, now);
        var images = await tx.ListAsync<ImageResource>(scope, ResourceTypes.Image, ct).ConfigureAwait(false);
        if (images.Find(i => i.BlockDevices.Exists(b => b.SnapshotId == snapshot.Id)) is { } image)
        {
            throw new AwsException("InvalidSnapshot.InUse", $"The snapshot {snapshot.Id} is currently in use by {image.Id}");
        }
        await tx.DeleteAsync(scope, ResourceTypes.Snapshot, snapshot.Id, ct).ConfigureAwait(false);
    }

    /// <summary>Enables fast snapshot restore of own snapshots in zones of the region: enabling → optimizing → enabled.</summary>
    public static async Task<List<FastRestoreOutcome>> EnableFastRestoresAsync(
        IStoreTransaction tx, Scope scope, IReadOnlyList<string> snapshotIds, IReadOnlyList<AvailabilityZone> zones, DateTime now, CancellationToken ct = default)
    {
        var outcomes = new List<FastRestoreOutcome>();
        foreach (var snapshotId in snapshotIds)
        {
            SnapshotResource snapshot;
            try
            {
                snapshot = await GetOwnAsync(tx, scope, snapshotId, ct).ConfigureAwait(false);
            }
            catch (AwsException e)
            {
                outcomes.AddRange(zones.Select(z => new FastRestoreOutcome(snapshotId, scope.AccountId, z, null, e.Code, e.Message)));
                continue;
            }
            foreach (var zone in zones)
            {
                var existing = snapshot.FastRestores.Find(f => f.AvailabilityZone == zone.ZoneName && f.StateAt(now) != "disabled");
                if (existing is not null && existing.StateAt(now) != "disabling")
                {
                    outcomes.Add(new FastRestoreOutcome(snapshotId, snapshot.OwnerId, zone, existing, null, null));
                    continue;
                }
                if (snapshot.StateAt(now) != "completed")
                {
                    outcomes.Add(new FastRestoreOutcome(snapshotId, snapshot.OwnerId, zone, null, "IncorrectState",
                        $"The snapshot '{snapshotId}' is not in the 'completed' state."));
                    continue;
                }
                snapshot.FastRestores.RemoveAll(f => f.AvailabilityZone == zone.ZoneName);
                var record = new FastRestoreRecord
                {
                    AvailabilityZone = zone.ZoneName,
                    AvailabilityZoneId = zone.ZoneId,
                    EnablingTime = now,
                    OptimizingTime = now + EbsTimings.FastRestoreEnabling,
                    EnabledTime = now + EbsTimings.FastRestoreEnabling + EbsTimings.FastRestoreOptimizing,
                };
                snapshot.FastRestores.Add(record);
                outcomes.Add(new FastRestoreOutcome(snapshotId, snapshot.OwnerId, zone, record, null, null));
            }
            await PutAsync(tx, scope, snapshot, ct).ConfigureAwait(false);
        }
        return outcomes;
    }

    /// <summary>Disables fast snapshot restore: disabling → disabled.</summary>
    public static async Task<List<FastRestoreOutcome>> DisableFastRestoresAsync(
        IStoreTransaction tx, Scope scope, IReadOnlyList<string> snapshotIds, IReadOnlyList<AvailabilityZone> zones, DateTime now, CancellationToken ct = default)
    {
        var outcomes = new List<FastRestoreOutcome>();
        foreach (var snapshotId in snapshotIds)
        {
            SnapshotResource snapshot;
            try
            {
                snapshot = await GetOwnAsync(tx, scope, snapshotId, ct).ConfigureAwait(false);
            }
            catch (AwsException e)
            {
                outcomes.AddRange(zones.Select(z => new FastRestoreOutcome(snapshotId, scope.AccountId, z, null, e.Code, e.Message)));
                continue;
            }
            foreach (var zone in zones)
            {
                var record = snapshot.FastRestores.Find(f => f.AvailabilityZone == zone.ZoneName && f.StateAt(now) is not ("disabled" or "disabling"));
                if (record is null)
                {
                    outcomes.Add(new FastRestoreOutcome(snapshotId, snapshot.OwnerId, zone, null, "InvalidParameterValue",
                        $"Fast snapshot restores are not enabled for snapshot '{snapshotId}' in {zone.ZoneName}."));
                    continue;
                }
                record.DisablingTime = now;
                record.DisabledTime = now + EbsTimings.FastRestoreDisabling;
                outcomes.Add(new FastRestoreOutcome(snapshotId, snapshot.OwnerId, zone, record, null, null));
            }
            await PutAsync(tx, scope, snapshot, ct).ConfigureAwait(false);
        }
        return outcomes;
    }
}
