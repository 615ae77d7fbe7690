using Stratus.Domain.Ebs;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>The EBS snapshot archive tier: ModifySnapshotTier, RestoreSnapshotTier, DescribeSnapshotTierStatus.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeSnapshotTierStatus")]
    private static readonly FilterSet<(SnapshotResource Snapshot, DateTime Now)> SnapshotTierFilters = new FilterSet<(SnapshotResource Snapshot, DateTime Now)>()
        .Add("last-tiering-operation", s => s.Snapshot.Tiering?.StatusAt(s.Now))
        .Add("snapshot-id", s => s.Snapshot.Id)
        .Add("volume-id", s => s.Snapshot.VolumeId);

    public override async Task<ModifySnapshotTierResult> ModifySnapshotTierAsync(RequestContext context, ModifySnapshotTierRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Transaction, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        var record = SnapshotTiers.Archive(snapshot, request.StorageTier, context.Now);
        await Snapshots.PutAsync(context.Transaction, context.Scope, snapshot, context.Cancellation).ConfigureAwait(false);
        return new ModifySnapshotTierResult { SnapshotId = snapshot.Id, TieringStartTime = record.StartTime };
    }

    public override async Task<RestoreSnapshotTierResult> RestoreSnapshotTierAsync(RequestContext context, RestoreSnapshotTierRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Transaction, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        var record = SnapshotTiers.Restore(snapshot, request.TemporaryRestoreDays, request.PermanentRestore, context.Now);
        await Snapshots.PutAsync(context.Transaction, context.Scope, snapshot, context.Cancellation).ConfigureAwait(false);
        var permanent = record.Operation == SnapshotTiers.PermanentRestore;
        return new RestoreSnapshotTierResult
        {
            SnapshotId = snapshot.Id,
            RestoreStartTime = record.StartTime,
            RestoreDuration = permanent ? null : record.RestoreDays,
            IsPermanentRestore = permanent,
        };
    }

    public override async Task<DescribeSnapshotTierStatusResult> DescribeSnapshotTierStatusAsync(RequestContext context, DescribeSnapshotTierStatusRequest request)
    {
        var own = await context.Store.ListAsync<SnapshotResource>(context.Scope, ResourceTypes.Snapshot, context.Cancellation).ConfigureAwait(false);
        var ordered = own.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => (Snapshot: s, context.Now));
        var page = Paginator.Paginate(SnapshotTierFilters.Apply(ordered, ToCriteria(request.Filters)), s => s.Snapshot.Id, request.MaxResults, request.NextToken, minResults: 1);
        return new DescribeSnapshotTierStatusResult
        {
            SnapshotTierStatuses = page.Items.Select(s => ToTierStatus(s.Snapshot, context.Now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    private static SnapshotTierStatus ToTierStatus(SnapshotResource s, DateTime now)
    {
        var t = s.Tiering;
        return new SnapshotTierStatus
        {
            SnapshotId = s.Id,
            VolumeId = s.VolumeId,
            Status = s.StateAt(now),
            OwnerId = s.OwnerId,
            Tags = s.Tags.Count > 0 ? ToShape(s.Tags) : null,
            StorageTier = s.StorageTierAt(now),
            LastTieringStartTime = t?.StartTime,
            LastTieringProgress = t?.ProgressAt(now),
            LastTieringOperationStatus = t?.StatusAt(now),
            LastTieringOperationStatusDetail = t is null ? null : TierStatusDetail(t, now),
            ArchivalCompleteTime = t?.ArchivalCompleteTime is { } archived && now >= archived ? archived : null,
            RestoreExpiryTime = t is { Operation: SnapshotTiers.TemporaryRestore } && now >= t.CompleteTime ? t.RestoreExpiryTime : null,
        };
    }

    private static string TierStatusDetail(SnapshotTierRecord t, DateTime now) => (t.Operation, t.InProgressAt(now)) switch
    {
        (SnapshotTiers.Archival, true) => "Archival of the snapshot is in progress.",
        (SnapshotTiers.Archival, false) => "Archival of the snapshot completed.",
        (SnapshotTiers.TemporaryRestore, true) => "Temporary restore of the archived snapshot is in progress.",
        (SnapshotTiers.TemporaryRestore, false) => "Temporary restore of the archived snapshot completed.",
        (_, true) => "Permanent restore of the archived snapshot is in progress.",
        _ => "Permanent restore of the archived snapshot completed.",
    };
}
