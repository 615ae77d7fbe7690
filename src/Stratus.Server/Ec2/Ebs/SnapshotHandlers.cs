using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Ebs;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Server.Gateway;
using DomainTag = Stratus.Domain.Resources.Tag;
using Zone = Stratus.Domain.Regions.AvailabilityZone;

namespace Stratus.Server.Ec2;

/// <summary>EBS snapshots: create (one volume or all of an instance's), copy, share, fast restores, delete.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeSnapshots")]
    private static readonly FilterSet<(SnapshotResource Snapshot, DateTime Now)> SnapshotFilters = new FilterSet<(SnapshotResource Snapshot, DateTime Now)>()
        .Add("description", s => s.Snapshot.Description)
        .Add("encrypted", s => s.Snapshot.Encrypted)
        .Add("owner-alias", s => s.Snapshot.OwnerAlias)
        .Add("owner-id", s => s.Snapshot.OwnerId)
        .Add("progress", s => s.Snapshot.ProgressAt(s.Now))
        .Add("snapshot-id", s => s.Snapshot.Id)
        .Add("start-time", s => ProtocolFormats.FormatTimestamp(s.Snapshot.StartTime))
        .Add("status", s => s.Snapshot.StateAt(s.Now))
        .Add("storage-tier", s => s.Snapshot.StorageTierAt(s.Now))
        .Add("transfer-type", s => TransferType(s.Snapshot))
        .Add("volume-id", s => s.Snapshot.VolumeId)
        .Add("volume-size", s => s.Snapshot.VolumeSize.ToString(CultureInfo.InvariantCulture))
        .WithTags(s => s.Snapshot.Tags);

    // The model documents no filter list for DescribeFastSnapshotRestores; these are the ones the API reference names.
    private static readonly FilterSet<(SnapshotResource Snapshot, FastRestoreRecord Record, DateTime Now)> FastRestoreFilters =
        new FilterSet<(SnapshotResource Snapshot, FastRestoreRecord Record, DateTime Now)>()
        .Add("availability-zone", f => f.Record.AvailabilityZone)
        .Add("owner-id", f => f.Snapshot.OwnerId)
        .Add("snapshot-id", f => f.Snapshot.Id)
        .Add("state", f => f.Record.StateAt(f.Now));

    public override async Task<Snapshot> CreateSnapshotAsync(RequestContext context, CreateSnapshotRequest request)
    {
        CheckSnapshotLocation(request.OutpostArn, request.Location);
        var volume = await Volumes.GetAsync(context.Store, context.Scope, request.VolumeId!, context.Cancellation).ConfigureAwait(false);
        var snapshot = await Snapshots.CreateAsync(context.Transaction, context.Scope, volume, request.Description,
            TagsOnCreate(request.TagSpecifications, "snapshot"), context.Now, context.Cancellation).ConfigureAwait(false);
        return ToShape(snapshot, context.Now);
    }

    public override async Task<CreateSnapshotsResult> CreateSnapshotsAsync(RequestContext context, CreateSnapshotsRequest request)
    {
        CheckSnapshotLocation(request.OutpostArn, request.Location);
        var specification = request.InstanceSpecification ?? throw AwsErrors.MissingParameter("InstanceSpecification");
        var instanceId = specification.InstanceId ?? throw AwsErrors.MissingParameter("InstanceSpecification.InstanceId");
        if (request.CopyTagsFromSource is { } copy && copy != "volume")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({copy}) for parameter copyTagsFromSource is invalid. The only valid value is volume.");
        }
        var tags = TagsOnCreate(request.TagSpecifications, "snapshot");
        var snapshots = await Snapshots.CreateForInstanceAsync(context.Transaction, context.Scope, instanceId,
            specification.ExcludeBootVolume ?? false, specification.ExcludeDataVolumeIds ?? [], request.Description,
            volume => request.CopyTagsFromSource == "volume" ? MergeTags(volume.Tags, tags) : [.. tags], context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateSnapshotsResult
        {
            Snapshots = snapshots.Select(s => new SnapshotInfo
            {
                SnapshotId = s.Id,
                VolumeId = s.VolumeId,
                VolumeSize = s.VolumeSize,
                Description = s.Description,
                Encrypted = s.Encrypted,
                OwnerId = s.OwnerId,
                Progress = s.ProgressAt(context.Now),
                StartTime = s.StartTime,
                State = s.StateAt(context.Now),
                Tags = s.Tags.Count > 0 ? ToShape(s.Tags) : null,
            }).ToList(),
        };
    }

    public override async Task DeleteSnapshotAsync(RequestContext context, DeleteSnapshotRequest request) =>
        await Snapshots.DeleteAsync(context.Transaction, context.Scope, request.SnapshotId!, context.Now, context.Cancellation).ConfigureAwait(false);

    public override async Task<DescribeSnapshotsResult> DescribeSnapshotsAsync(RequestContext context, DescribeSnapshotsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.SnapshotIds, request.MaxResults, "snapshotIds");
        foreach (var id in request.SnapshotIds ?? [])
        {
            ResourceTypes.Snapshot.CheckId(id);
        }
        var visible = (await Snapshots.ListVisibleAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false))
            .Select(v => v.Snapshot).ToList();
        IEnumerable<SnapshotResource> selected = visible;
        if (request.SnapshotIds is { Count: > 0 } ids)
        {
            foreach (var id in ids.Where(id => !visible.Exists(s => s.Id == id)))
            {
                throw ResourceTypes.Snapshot.NotFound(id);
            }
            selected = selected.Where(s => ids.Contains(s.Id));
        }
        if (request.OwnerIds is { Count: > 0 } owners)
        {
            foreach (var owner in owners.Where(o => o is not ("self" or "amazon") && !IsAccountId(o)))
            {
                throw new AwsException("InvalidUserID.Malformed", $"Invalid user id: \"{owner}\"");
            }
            selected = selected.Where(s => owners.Exists(o => o == "self" ? s.OwnerId == context.AccountId
                : IsAccountId(o) ? s.OwnerId == o
                : s.OwnerAlias == o));
        }
        if (request.RestorableByUserIds is { Count: > 0 } users)
        {
            foreach (var user in users.Where(u => u is not ("self" or "all") && !IsAccountId(u)))
            {
                throw new AwsException("InvalidUserID.Malformed", $"Invalid user id: \"{user}\"");
            }
            selected = selected.Where(s => users.Exists(u => u switch
            {
                "all" => s.IsPublic,
                "self" => s.CanRestore(context.AccountId),
                _ => s.CanRestore(u),
            }));
        }
        var ordered = selected.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => (Snapshot: s, context.Now));
        var page = Paginator.Paginate(SnapshotFilters.Apply(ordered, ToCriteria(request.Filters)), s => s.Snapshot.Id, request.MaxResults, request.NextToken);
        return new DescribeSnapshotsResult
        {
            Snapshots = page.Items.Select(s => ToShape(s.Snapshot, context.Now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<CopySnapshotResult> CopySnapshotAsync(RequestContext context, CopySnapshotRequest request)
    {
        if (request.DestinationOutpostArn is not null)
        {
            throw AwsErrors.InvalidParameterValue("Outposts are not supported: DestinationOutpostArn must not be given.");
        }
        if (request.DestinationRegion is { } destination && destination != context.Region)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({destination}) for parameter destinationRegion is invalid. The copy is made in the region the request is sent to ({context.Region}).");
        }
        var tags = TagsOnCreate(request.TagSpecifications, "snapshot");
        var copy = await Snapshots.CopyAsync(context.Transaction, context.Scope, request.SourceRegion!, request.SourceSnapshotId!, request.Description,
            request.Encrypted, request.KmsKeyId, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CopySnapshotResult { SnapshotId = copy.Id, Tags = copy.Tags.Count > 0 ? ToShape(copy.Tags) : null };
    }

    public override async Task ModifySnapshotAttributeAsync(RequestContext context, ModifySnapshotAttributeRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Store, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        var attribute = request.Attribute ?? "createVolumePermission";
        if (attribute != "createVolumePermission")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({attribute}) for parameter attribute is invalid. Only createVolumePermission can be modified.");
        }
        var add = new List<string>();
        var remove = new List<string>();
        foreach (var p in request.CreateVolumePermission?.Add ?? [])
        {
            add.Add(PermissionTarget(p));
        }
        foreach (var p in request.CreateVolumePermission?.Remove ?? [])
        {
            remove.Add(PermissionTarget(p));
        }
        var legacy = (request.UserIds ?? []).Concat(request.GroupNames ?? []).ToList();
        if (legacy.Count > 0)
        {
            (request.OperationType switch
            {
                "add" => add,
                "remove" => remove,
                _ => throw AwsErrors.MissingParameter("OperationType"),
            }).AddRange(legacy);
        }
        if (add.Count == 0 && remove.Count == 0)
        {
            throw AwsErrors.MissingParameter("CreateVolumePermission");
        }
        foreach (var target in add.Concat(remove).Where(t => t != "all" && !IsAccountId(t)))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({target}) for parameter userId is invalid. Expecting a 12-digit account id or the group 'all'.");
        }
        if (snapshot.Encrypted && add.Contains("all"))
        {
            throw new AwsException("OperationNotPermitted", $"Encrypted snapshots cannot be made public: {snapshot.Id}");
        }
        if (add.Contains("all") && !snapshot.CreateVolumePermissions.Contains("all"))
        {
            await PublicAccessSettings.CheckSnapshotSharingAsync(context.Store, context.Scope, snapshot.Id, context.Cancellation).ConfigureAwait(false);
        }
        foreach (var target in add.Where(t => !snapshot.CreateVolumePermissions.Contains(t)))
        {
            snapshot.CreateVolumePermissions.Add(target);
        }
        snapshot.CreateVolumePermissions.RemoveAll(remove.Contains);
        await Snapshots.PutAsync(context.Transaction, context.Scope, snapshot, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task<DescribeSnapshotAttributeResult> DescribeSnapshotAttributeAsync(RequestContext context, DescribeSnapshotAttributeRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Store, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        return request.Attribute switch
        {
            "createVolumePermission" => new DescribeSnapshotAttributeResult
            {
                SnapshotId = snapshot.Id,
                CreateVolumePermissions = snapshot.CreateVolumePermissions
                    .Select(p => p == "all" ? new CreateVolumePermission { Group = "all" } : new CreateVolumePermission { UserId = p }).ToList(),
            },
            "productCodes" => new DescribeSnapshotAttributeResult { SnapshotId = snapshot.Id, ProductCodes = [] },
            _ => throw AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid. Valid values: createVolumePermission, productCodes."),
        };
    }

    public override async Task ResetSnapshotAttributeAsync(RequestContext context, ResetSnapshotAttributeRequest request)
    {
        var snapshot = await Snapshots.GetOwnAsync(context.Store, context.Scope, request.SnapshotId!, context.Cancellation).ConfigureAwait(false);
        if (request.Attribute != "createVolumePermission")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid. Only createVolumePermission can be reset.");
        }
        snapshot.CreateVolumePermissions.Clear();
        await Snapshots.PutAsync(context.Transaction, context.Scope, snapshot, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task<EnableFastSnapshotRestoresResult> EnableFastSnapshotRestoresAsync(RequestContext context, EnableFastSnapshotRestoresRequest request)
    {
        var (snapshotIds, zones) = FastRestoreTargets(context, request.SourceSnapshotIds, request.AvailabilityZones, request.AvailabilityZoneIds);
        var outcomes = await Snapshots.EnableFastRestoresAsync(context.Transaction, context.Scope, snapshotIds, zones, context.Now, context.Cancellation).ConfigureAwait(false);
        return new EnableFastSnapshotRestoresResult
        {
            Successful = outcomes.Where(o => o.Record is not null).Select(o =>
            {
                var item = ToFastRestoreItem(o.SnapshotId, o.OwnerId, o.Record!, context.Now);
                return new EnableFastSnapshotRestoreSuccessItem
                {
                    SnapshotId = item.SnapshotId,
                    AvailabilityZone = item.AvailabilityZone,
                    AvailabilityZoneId = item.AvailabilityZoneId,
                    State = item.State,
                    StateTransitionReason = item.StateTransitionReason,
                    OwnerId = item.OwnerId,
                    EnablingTime = item.EnablingTime,
                    OptimizingTime = item.OptimizingTime,
                    EnabledTime = item.EnabledTime,
                    DisablingTime = item.DisablingTime,
                    DisabledTime = item.DisabledTime,
                };
            }).ToList(),
            Unsuccessful = outcomes.Where(o => o.Record is null).GroupBy(o => o.SnapshotId).Select(g => new EnableFastSnapshotRestoreErrorItem
            {
                SnapshotId = g.Key,
                FastSnapshotRestoreStateErrors = g.Select(o => new EnableFastSnapshotRestoreStateErrorItem
                {
                    AvailabilityZone = o.Zone.ZoneName,
                    AvailabilityZoneId = o.Zone.ZoneId,
                    Error = new EnableFastSnapshotRestoreStateError { Code = o.ErrorCode, Message = o.ErrorMessage },
                }).ToList(),
            }).ToList(),
        };
    }

    public override async Task<DisableFastSnapshotRestoresResult> DisableFastSnapshotRestoresAsync(RequestContext context, DisableFastSnapshotRestoresRequest request)
    {
        var (snapshotIds, zones) = FastRestoreTargets(context, request.SourceSnapshotIds, request.AvailabilityZones, request.AvailabilityZoneIds);
        var outcomes = await Snapshots.DisableFastRestoresAsync(context.Transaction, context.Scope, snapshotIds, zones, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisableFastSnapshotRestoresResult
        {
            Successful = outcomes.Where(o => o.Record is not null).Select(o =>
            {
                var item = ToFastRestoreItem(o.SnapshotId, o.OwnerId, o.Record!, context.Now);
                return new DisableFastSnapshotRestoreSuccessItem
                {
                    SnapshotId = item.SnapshotId,
                    AvailabilityZone = item.AvailabilityZone,
                    AvailabilityZoneId = item.AvailabilityZoneId,
                    State = item.State,
                    StateTransitionReason = item.StateTransitionReason,
                    OwnerId = item.OwnerId,
                    EnablingTime = item.EnablingTime,
                    OptimizingTime = item.OptimizingTime,
                    EnabledTime = item.EnabledTime,
                    DisablingTime = item.DisablingTime,
                    DisabledTime = item.DisabledTime,
                };
            }).ToList(),
            Unsuccessful = outcomes.Where(o => o.Record is null).GroupBy(o => o.SnapshotId).Select(g => new DisableFastSnapshotRestoreErrorItem
            {
                SnapshotId = g.Key,
                FastSnapshotRestoreStateErrors = g.Select(o => new DisableFastSnapshotRestoreStateErrorItem
                {
                    AvailabilityZone = o.Zone.ZoneName,
                    AvailabilityZoneId = o.Zone.ZoneId,
                    Error = new DisableFastSnapshotRestoreStateError { Code = o.ErrorCode, Message = o.ErrorMessage },
                }).ToList(),
            }).ToList(),
        };
    }

    public override async Task<DescribeFastSnapshotRestoresResult> DescribeFastSnapshotRestoresAsync(RequestContext context, DescribeFastSnapshotRestoresRequest request)
    {
        var own = await context.Store.ListAsync<SnapshotResource>(context.Scope, ResourceTypes.Snapshot, context.Cancellation).ConfigureAwait(false);
        var records = own
            .SelectMany(s => s.FastRestores.Select(r => (Snapshot: s, Record: r, context.Now)))
            .Where(x => x.Record.StateAt(context.Now) != "disabled")
            .OrderBy(x => x.Snapshot.Id, StringComparer.Ordinal).ThenBy(x => x.Record.AvailabilityZone, StringComparer.Ordinal);
        var page = Paginator.Paginate(FastRestoreFilters.Apply(records, ToCriteria(request.Filters)), x => x.Snapshot.Id + "/" + x.Record.AvailabilityZone,
            request.MaxResults, request.NextToken, minResults: 0, maxAllowed: 200);
        return new DescribeFastSnapshotRestoresResult
        {
            FastSnapshotRestores = page.Items.Select(x => ToFastRestoreItem(x.Snapshot.Id, x.Snapshot.OwnerId, x.Record, context.Now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    private static (List<string> SnapshotIds, List<Zone> Zones) FastRestoreTargets(
        RequestContext context, List<string>? snapshotIds, List<string>? zoneNames, List<string>? zoneIds)
    {
        if (snapshotIds is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("SourceSnapshotId");
        }
        if (zoneNames is not { Count: > 0 } && zoneIds is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("AvailabilityZone");
        }
        var zones = new List<Zone>();
        foreach (var name in zoneNames ?? [])
        {
            zones.Add(Volumes.ResolveZone(context.Region, name, null));
        }
        foreach (var id in zoneIds ?? [])
        {
            zones.Add(Volumes.ResolveZone(context.Region, null, id));
        }
        return (snapshotIds.Distinct(StringComparer.Ordinal).ToList(), zones.DistinctBy(z => z.ZoneName).ToList());
    }

    private static DescribeFastSnapshotRestoreSuccessItem ToFastRestoreItem(string snapshotId, string ownerId, FastRestoreRecord r, DateTime now)
    {
        var state = r.StateAt(now);
        return new DescribeFastSnapshotRestoreSuccessItem
        {
            SnapshotId = snapshotId,
            AvailabilityZone = r.AvailabilityZone,
            AvailabilityZoneId = r.AvailabilityZoneId,
            State = state,
            StateTransitionReason = state is "disabling" or "disabled" ? "Client.UserInitiated" : "Client.UserInitiated - Lifecycle state transition",
            OwnerId = ownerId,
            EnablingTime = r.EnablingTime,
            OptimizingTime = now >= r.OptimizingTime ? r.OptimizingTime : null,
            EnabledTime = now >= r.EnabledTime ? r.EnabledTime : null,
            DisablingTime = r.DisablingTime is { } disabling && now >= disabling ? disabling : null,
            DisabledTime = r.DisabledTime is { } disabled && now >= disabled ? disabled : null,
        };
    }

    private static void CheckSnapshotLocation(string? outpostArn, string? location)
    {
        if (outpostArn is not null || location == "local")
        {
            throw AwsErrors.InvalidParameterValue("Outposts and Local Zones are not supported: snapshots are stored in the region.");
        }
    }

    private static string PermissionTarget(CreateVolumePermission permission) =>
        permission.Group == "all" ? "all"
        : permission.UserId ?? throw AwsErrors.InvalidParameterValue("A create volume permission needs a UserId or Group=all.");

    private static List<DomainTag> MergeTags(List<DomainTag> source, List<DomainTag> requested) =>
        [.. source.Where(t => !requested.Exists(r => r.Key == t.Key)), .. requested];

    private static string? TransferType(SnapshotResource snapshot) => snapshot.SourceSnapshotId is null ? null : "standard";

    private static Snapshot ToShape(SnapshotResource s, DateTime now)
    {
        var state = s.StateAt(now);
        return new Snapshot
        {
            SnapshotId = s.Id,
            VolumeId = s.VolumeId,
            VolumeSize = s.VolumeSize,
            State = state,
            StartTime = s.StartTime,
            CompletionTime = state == "completed" ? s.CompletedAt : null,
            Progress = s.ProgressAt(now),
            OwnerId = s.OwnerId,
            OwnerAlias = s.OwnerAlias,
            Description = s.Description,
            Encrypted = s.Encrypted,
            KmsKeyId = s.KmsKeyId,
            StorageTier = s.StorageTierAt(now),
            RestoreExpiryTime = s.Tiering is { Operation: SnapshotTiers.TemporaryRestore } t && now >= t.CompleteTime ? t.RestoreExpiryTime : null,
            TransferType = TransferType(s),
            Tags = s.Tags.Count > 0 ? ToShape(s.Tags) : null,
        };
    }
}
