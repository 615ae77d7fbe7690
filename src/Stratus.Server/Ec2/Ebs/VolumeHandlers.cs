using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Ebs;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Protocol;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>EBS volumes: create, describe, attach, detach, modify, status, attributes, delete.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeVolumes")]
    private static readonly FilterSet<VolumeResource> VolumeFilters = new FilterSet<VolumeResource>()
        .AddMany("attachment.attach-time", v => v.Attachments.Select(a => ProtocolFormats.FormatTimestamp(a.AttachTime)))
        .AddMany("attachment.delete-on-termination", v => v.Attachments.Select(a => a.DeleteOnTermination ? "true" : "false"))
        .AddMany("attachment.device", v => v.Attachments.Select(a => a.Device))
        .AddMany("attachment.instance-id", v => v.Attachments.Select(a => a.InstanceId))
        .AddMany("attachment.status", v => v.Attachments.Select(a => a.State))
        .Add("availability-zone", v => v.AvailabilityZone)
        .Add("availability-zone-id", v => v.AvailabilityZoneId)
        .Add("create-time", v => ProtocolFormats.FormatTimestamp(v.CreateTime))
        .Add("encrypted", v => v.Encrypted)
        .Add("fast-restored", v => v.FastRestored)
        .Add("multi-attach-enabled", v => v.MultiAttachEnabled)
        .Add("operator.managed", _ => false)
        .Add("operator.principal", _ => null)
        .Add("size", v => v.Size.ToString(CultureInfo.InvariantCulture))
        .Add("snapshot-id", v => v.SnapshotId ?? "")
        .Add("status", v => v.State)
        .Add("volume-id", v => v.Id)
        .Add("volume-type", v => v.VolumeType)
        .WithTags(v => v.Tags)
        .Indexed("attachment.instance-id")
        .IndexedTags();

    [FiltersFor("DescribeVolumeStatus")]
    private static readonly FilterSet<VolumeResource> VolumeStatusFilters = new FilterSet<VolumeResource>()
        .AddMany("action.code", _ => [])
        .AddMany("action.description", _ => [])
        .AddMany("action.event-id", _ => [])
        .Add("availability-zone", v => v.AvailabilityZone)
        .AddMany("event.description", _ => [])
        .AddMany("event.event-id", _ => [])
        .AddMany("event.event-type", _ => [])
        .AddMany("event.not-after", _ => [])
        .AddMany("event.not-before", _ => [])
        .AddMany("volume-status.details-name", _ => ["io-enabled", "io-performance"])
        .AddMany("volume-status.details-status", v => ["passed", IoPerformance(v)])
        .Add("volume-status.status", _ => "ok");

    [FiltersFor("DescribeVolumesModifications")]
    private static readonly FilterSet<(VolumeResource Volume, VolumeModificationRecord Modification, DateTime Now)> VolumeModificationFilters =
        new FilterSet<(VolumeResource Volume, VolumeModificationRecord Modification, DateTime Now)>()
        .Add("modification-state", m => m.Modification.StateAt(m.Now))
        .Add("original-iops", m => m.Modification.OriginalIops?.ToString(CultureInfo.InvariantCulture))
        .Add("original-size", m => m.Modification.OriginalSize.ToString(CultureInfo.InvariantCulture))
        .Add("original-volume-type", m => m.Modification.OriginalVolumeType)
        .Add("start-time", m => ProtocolFormats.FormatTimestamp(m.Modification.StartTime))
        .Add("target-iops", m => m.Modification.TargetIops?.ToString(CultureInfo.InvariantCulture))
        .Add("target-size", m => m.Modification.TargetSize.ToString(CultureInfo.InvariantCulture))
        .Add("target-volume-type", m => m.Modification.TargetVolumeType)
        .Add("volume-id", m => m.Volume.Id);

    public override async Task<Volume> CreateVolumeAsync(RequestContext context, CreateVolumeRequest request)
    {
        if (request.KmsKeyId is { } kmsKeyId)
        {
            EbsEncryption.CheckKmsKeyId(kmsKeyId);
        }
        if (request.OutpostArn is not null)
        {
            throw AwsErrors.InvalidParameterValue("Outposts are not supported: OutpostArn must not be given.");
        }
        var spec = new VolumeSpec
        {
            AvailabilityZone = request.AvailabilityZone,
            AvailabilityZoneId = request.AvailabilityZoneId,
            VolumeType = request.VolumeType,
            Size = request.Size,
            Iops = request.Iops,
            Throughput = request.Throughput,
            SnapshotId = request.SnapshotId,
            Encrypted = request.Encrypted,
            KmsKeyId = request.KmsKeyId,
            MultiAttachEnabled = request.MultiAttachEnabled ?? false,
            Tags = TagsOnCreate(request.TagSpecifications, "volume"),
        };
        var volume = await Volumes.CreateAsync(context.Transaction, context.Scope, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        return ToShape(volume, context.Now);
    }

    public override async Task DeleteVolumeAsync(RequestContext context, DeleteVolumeRequest request) =>
        await Volumes.DeleteAsync(context.Transaction, context.Scope, request.VolumeId!, context.Now, context.Cancellation).ConfigureAwait(false);

    public override async Task<DescribeVolumesResult> DescribeVolumesAsync(RequestContext context, DescribeVolumesRequest request)
    {
        var page = await SelectVolumesAsync(context, VolumeFilters, request.VolumeIds, request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new DescribeVolumesResult
        {
            Volumes = page.Items.Select(v => ToShape(v, context.Now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<VolumeAttachment> AttachVolumeAsync(RequestContext context, AttachVolumeRequest request)
    {
        var (volume, attachment) = await Volumes.AttachAsync(context.Transaction, context.Scope, request.VolumeId!, request.InstanceId!, request.Device!, context.Now, context.Cancellation).ConfigureAwait(false);
        return new VolumeAttachment
        {
            VolumeId = volume.Id,
            InstanceId = attachment.InstanceId,
            Device = attachment.Device,
            State = VolumeStates.Attaching,
            AttachTime = attachment.AttachTime,
            DeleteOnTermination = attachment.DeleteOnTermination,
        };
    }

    public override async Task<VolumeAttachment> DetachVolumeAsync(RequestContext context, DetachVolumeRequest request)
    {
        var (volume, attachment) = await Volumes.DetachAsync(context.Transaction, context.Scope, request.VolumeId!, request.InstanceId, request.Device, request.Force ?? false, context.Now, context.Cancellation).ConfigureAwait(false);
        return new VolumeAttachment
        {
            VolumeId = volume.Id,
            InstanceId = attachment.InstanceId,
            Device = attachment.Device,
            State = VolumeStates.Detaching,
            AttachTime = attachment.AttachTime,
            DeleteOnTermination = attachment.DeleteOnTermination,
        };
    }

    public override async Task<ModifyVolumeResult> ModifyVolumeAsync(RequestContext context, ModifyVolumeRequest request)
    {
        var (volume, modification) = await Volumes.ModifyAsync(context.Transaction, context.Scope, request.VolumeId!,
            request.VolumeType, request.Size, request.Iops, request.Throughput, request.MultiAttachEnabled, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVolumeResult { VolumeModification = ToShape(volume, modification, context.Now) };
    }

    public override async Task<DescribeVolumesModificationsResult> DescribeVolumesModificationsAsync(RequestContext context, DescribeVolumesModificationsRequest request)
    {
        foreach (var id in request.VolumeIds ?? [])
        {
            ResourceTypes.Volume.CheckId(id);
        }
        var volumes = await context.Store.ListAsync<VolumeResource>(context.Scope, ResourceTypes.Volume, context.Cancellation).ConfigureAwait(false);
        IEnumerable<VolumeResource> selected = volumes;
        if (request.VolumeIds is { Count: > 0 } ids)
        {
            foreach (var id in ids)
            {
                var volume = volumes.Find(v => v.Id == id) ?? throw ResourceTypes.Volume.NotFound(id);
                if (volume.Modifications.Count == 0)
                {
                    throw new AwsException("InvalidVolumeModification.NotFound", $"Modification for volume '{id}' does not exist.");
                }
            }
            selected = volumes.Where(v => ids.Contains(v.Id));
        }
        var modifications = selected.Where(v => v.Modifications.Count > 0).Select(v => (Volume: v, Modification: v.Modifications[^1], context.Now));
        var page = Paginator.Paginate(VolumeModificationFilters.Apply(modifications, ToCriteria(request.Filters)), m => m.Volume.Id, request.MaxResults, request.NextToken, maxAllowed: 500);
        return new DescribeVolumesModificationsResult
        {
            VolumesModifications = page.Items.Select(m => ToShape(m.Volume, m.Modification, context.Now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeVolumeStatusResult> DescribeVolumeStatusAsync(RequestContext context, DescribeVolumeStatusRequest request)
    {
        var page = await SelectVolumesAsync(context, VolumeStatusFilters, request.VolumeIds, request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new DescribeVolumeStatusResult
        {
            VolumeStatuses = page.Items.Select(v => new VolumeStatusItem
            {
                VolumeId = v.Id,
                AvailabilityZone = v.AvailabilityZone,
                AvailabilityZoneId = v.AvailabilityZoneId,
                VolumeStatus = new VolumeStatusInfo
                {
                    Status = "ok",
                    Details =
                    [
                        new VolumeStatusDetails { Name = "io-enabled", Status = "passed" },
                        new VolumeStatusDetails { Name = "io-performance", Status = IoPerformance(v) },
                    ],
                },
                AttachmentStatuses = v.Attachments.Select(a => new VolumeStatusAttachmentStatus { InstanceId = a.InstanceId, IoPerformance = IoPerformance(v) }).ToList(),
                Actions = [],
                Events = [],
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeVolumeAttributeResult> DescribeVolumeAttributeAsync(RequestContext context, DescribeVolumeAttributeRequest request)
    {
        var volume = await Volumes.GetAsync(context.Store, context.Scope, request.VolumeId!, context.Cancellation).ConfigureAwait(false);
        return request.Attribute switch
        {
            "autoEnableIO" => new DescribeVolumeAttributeResult { VolumeId = volume.Id, AutoEnableIO = new AttributeBooleanValue { Value = volume.AutoEnableIO } },
            "productCodes" => new DescribeVolumeAttributeResult { VolumeId = volume.Id, ProductCodes = [] },
            _ => throw AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid. Valid values: autoEnableIO, productCodes."),
        };
    }

    public override async Task ModifyVolumeAttributeAsync(RequestContext context, ModifyVolumeAttributeRequest request)
    {
        var volume = await Volumes.GetAsync(context.Store, context.Scope, request.VolumeId!, context.Cancellation).ConfigureAwait(false);
        if (request.AutoEnableIO?.Value is not { } autoEnableIO)
        {
            throw AwsErrors.MissingParameter("autoEnableIO");
        }
        volume.AutoEnableIO = autoEnableIO;
        await Volumes.PutAsync(context.Transaction, context.Scope, volume, context.Cancellation).ConfigureAwait(false);
    }

    /// <summary>The account's volumes with their state as of now, selected by ids, filters and page.</summary>
    private static async Task<Page<VolumeResource>> SelectVolumesAsync(
        RequestContext context, FilterSet<VolumeResource> filters, List<string>? ids, List<Filter>? requestFilters, int? maxResults, string? nextToken)
    {
        Paginator.RejectIdsWithMaxResults(ids, maxResults, "volumeIds");
        foreach (var id in ids ?? [])
        {
            ResourceTypes.Volume.CheckId(id);
        }
        var criteria = ToCriteria(requestFilters);
        var all = ids is { Count: > 0 }
            ? await context.Store.GetManyAsync<VolumeResource>(context.Scope, ResourceTypes.Volume, ids, context.Cancellation).ConfigureAwait(false)
            : await LoadCandidatesAsync<VolumeResource>(context, ResourceTypes.Volume, filters, criteria).ConfigureAwait(false);
        foreach (var volume in all)
        {
            volume.State = volume.StateAt(context.Now);
        }
        foreach (var id in (ids ?? []).Where(id => !all.Exists(v => v.Id == id)))
        {
            throw ResourceTypes.Volume.NotFound(id);
        }
        IEnumerable<VolumeResource> selected = all;
        return Paginator.Paginate(filters.Apply(selected, criteria), v => v.Id, maxResults, nextToken);
    }

    private static string IoPerformance(VolumeResource volume) => volume.VolumeType is "io1" or "io2" ? "normal" : "not-applicable";

    private static Volume ToShape(VolumeResource v, DateTime now) => new()
    {
        VolumeId = v.Id,
        AvailabilityZone = v.AvailabilityZone,
        AvailabilityZoneId = v.AvailabilityZoneId,
        CreateTime = v.CreateTime,
        Encrypted = v.Encrypted,
        KmsKeyId = v.KmsKeyId,
        FastRestored = v.FastRestored,
        Iops = v.Iops,
        Throughput = v.Throughput,
        MultiAttachEnabled = v.MultiAttachEnabled,
        Size = v.Size,
        SnapshotId = v.SnapshotId ?? "",
        SourceVolumeId = v.SourceVolumeId,
        State = v.StateAt(now),
        VolumeType = v.VolumeType,
        Attachments = v.Attachments.Select(a => new VolumeAttachment
        {
            VolumeId = v.Id,
            InstanceId = a.InstanceId,
            Device = a.Device,
            State = a.State,
            AttachTime = a.AttachTime,
            DeleteOnTermination = a.DeleteOnTermination,
        }).ToList(),
        Tags = v.Tags.Count > 0 ? ToShape(v.Tags) : null,
    };

    private static VolumeModification ToShape(VolumeResource volume, VolumeModificationRecord m, DateTime now)
    {
        var state = m.StateAt(now);
        return new VolumeModification
        {
            VolumeId = volume.Id,
            ModificationState = state,
            StartTime = m.StartTime,
            EndTime = state == "completed" ? m.CompletedAt : null,
            Progress = m.ProgressAt(now),
            OriginalVolumeType = m.OriginalVolumeType,
            OriginalSize = m.OriginalSize,
            OriginalIops = m.OriginalIops,
            OriginalThroughput = m.OriginalThroughput,
            OriginalMultiAttachEnabled = m.OriginalMultiAttachEnabled,
            TargetVolumeType = m.TargetVolumeType,
            TargetSize = m.TargetSize,
            TargetIops = m.TargetIops,
            TargetThroughput = m.TargetThroughput,
            TargetMultiAttachEnabled = m.TargetMultiAttachEnabled,
        };
    }
}
