using Stratus.Domain.Ebs;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>EBS snapshot lock: LockSnapshot, UnlockSnapshot, DescribeLockedSnapshots (DeleteSnapshot honours the lock).</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeLockedSnapshots")]
    private static readonly FilterSet<(SnapshotResource Snapshot, DateTime Now)> LockedSnapshotFilters = new FilterSet<(SnapshotResource Snapshot, DateTime Now)>()
        .Add("lock-state", s => s.Snapshot.Lock?.StateAt(s.Now));

    public override async Task<LockSnapshotResult> LockSnapshotAsync(RequestContext context, LockSnapshotRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Transaction, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        var record = SnapshotLocks.Lock(snapshot, request.LockMode!, request.CoolOffPeriod, request.LockDuration, request.ExpirationDate, context.Now);
        await Snapshots.PutAsync(context.Transaction, context.Scope, snapshot, context.Cancellation).ConfigureAwait(false);
        var info = ToLockInfo(snapshot, record, context.Now);
        return new LockSnapshotResult
        {
            SnapshotId = snapshot.Id,
            LockState = info.LockState,
            LockDuration = info.LockDuration,
            CoolOffPeriod = info.CoolOffPeriod,
            CoolOffPeriodExpiresOn = info.CoolOffPeriodExpiresOn,
            LockCreatedOn = info.LockCreatedOn,
            LockExpiresOn = info.LockExpiresOn,
            LockDurationStartTime = info.LockDurationStartTime,
        };
    }

    public override async Task<UnlockSnapshotResult> UnlockSnapshotAsync(RequestContext context, UnlockSnapshotRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Transaction, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        SnapshotLocks.Unlock(snapshot, context.Now);
        await Snapshots.PutAsync(context.Transaction, context.Scope, snapshot, context.Cancellation).ConfigureAwait(false);
        return new UnlockSnapshotResult { SnapshotId = snapshot.Id };
    }

    public override async Task<DescribeLockedSnapshotsResult> DescribeLockedSnapshotsAsync(RequestContext context, DescribeLockedSnapshotsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.SnapshotIds, request.MaxResults, "snapshotIds");
        var own = await context.Store.ListAsync<SnapshotResource>(context.Scope, ResourceTypes.Snapshot, context.Cancellation).ConfigureAwait(false);
        IEnumerable<SnapshotResource> selected = own;
        if (request.SnapshotIds is { Count: > 0 } ids)
        {
            foreach (var id in ids)
            {
                ResourceTypes.Snapshot.CheckId(id);
                if (!own.Exists(s => s.Id == id))
                {
                    throw ResourceTypes.Snapshot.NotFound(id);
                }
            }
            selected = selected.Where(s => ids.Contains(s.Id));
        }
        var locked = selected.Where(s => s.Lock is not null).OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => (Snapshot: s, context.Now));
        var page = Paginator.Paginate(LockedSnapshotFilters.Apply(locked, ToCriteria(request.Filters)), s => s.Snapshot.Id, request.MaxResults, request.NextToken);
        return new DescribeLockedSnapshotsResult
        {
            Snapshots = page.Items.Select(s => ToLockInfo(s.Snapshot, s.Snapshot.Lock!, context.Now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    private static LockedSnapshotsInfo ToLockInfo(SnapshotResource snapshot, SnapshotLockRecord record, DateTime now) => new()
    {
        OwnerId = snapshot.OwnerId,
        SnapshotId = snapshot.Id,
        LockState = record.StateAt(now),
        LockDuration = record.LockDuration,
        CoolOffPeriod = record.CoolOffPeriod,
        CoolOffPeriodExpiresOn = record.CoolOffPeriodExpiresOn,
        LockCreatedOn = record.LockCreatedOn,
        LockDurationStartTime = record.LockDurationStartTime,
        LockExpiresOn = record.LockExpiresOn,
    };
}
