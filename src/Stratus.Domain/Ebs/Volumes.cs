using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Ebs;

/// <summary>How long EBS's asynchronous transitions take. Short, fixed, so clients' waiters finish quickly and tests are deterministic.</summary>
public static class EbsTimings
{
    public static readonly TimeSpan VolumeCreation = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SnapshotCompletion = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ModificationModifying = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ModificationOptimizing = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FastRestoreEnabling = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FastRestoreOptimizing = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FastRestoreDisabling = TimeSpan.FromSeconds(1);
}

/// <summary>An attachment asked for when a volume is created (root and data volumes of a launch).</summary>
public sealed record VolumeAttachmentSpec(string InstanceId, string Device, bool DeleteOnTermination);

/// <summary>What a new volume should be: the parameters of CreateVolume or of a block device mapping.</summary>
public sealed class VolumeSpec
{
    /// <summary>The zone name (us-east-1a); or give <see cref="AvailabilityZoneId"/>.</summary>
    public string? AvailabilityZone { get; init; }

    public string? AvailabilityZoneId { get; init; }
    public string? VolumeType { get; init; }
    public int? Size { get; init; }
    public int? Iops { get; init; }
    public int? Throughput { get; init; }
    public string? SnapshotId { get; init; }

    /// <summary>
    /// The size of <see cref="SnapshotId"/> when the snapshot is not an EBS snapshot document the
    /// account can see (the catalog images' root snapshots); otherwise it is read from the snapshot.
    /// </summary>
    public int? SnapshotSize { get; init; }

    public bool? Encrypted { get; init; }
    public string? KmsKeyId { get; init; }
    public bool MultiAttachEnabled { get; init; }
    public List<Tag> Tags { get; init; } = [];

    /// <summary>When set, the volume is created attached (in-use at once), as launches create root volumes.</summary>
    public VolumeAttachmentSpec? Attachment { get; init; }
}

/// <summary>
/// EBS volumes as the domain manages them: create (with <see cref="VolumeRules"/>), attach,
/// detach, modify, delete. Every method works on the caller's transaction; handlers and the
/// instance launch path share them. Volumes hold no disk data here: a runtime that gives them
/// backing files hooks in where they are created and deleted.
/// </summary>
public static partial class Volumes
{
    public const int MaxMultiAttachInstances = 16;

    [GeneratedRegex(@"^(/dev/(sd[a-z]([1-9]|1[0-5])?|xvd[a-z]{1,2}([1-9]|1[0-5])?|hd[a-z]([1-9]|1[0-5])?)|xvd[a-z]{1,2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DeviceName();

    /// <summary>The zone of the request's region named by name or id, or <c>InvalidZone.NotFound</c>.</summary>
    public static AvailabilityZone ResolveZone(string region, string? zoneName, string? zoneId)
    {
        if (zoneName is not null && zoneId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of AvailabilityZone or AvailabilityZoneId can be specified.");
        }
        if (zoneName is null && zoneId is null)
        {
            throw AwsErrors.MissingParameter("AvailabilityZone");
        }
        var zones = RegionCatalog.Find(region)?.Zones ?? [];
        return (zoneName is not null ? zones.FirstOrDefault(z => z.ZoneName == zoneName) : zones.FirstOrDefault(z => z.ZoneId == zoneId))
            ?? throw new AwsException("InvalidZone.NotFound", $"The zone '{zoneName ?? zoneId}' does not exist.");
    }

    /// <summary>Checks a device name such as /dev/sdf or /dev/xvdba.</summary>
    public static string CheckDeviceName(string device) => DeviceName().IsMatch(device)
        ? device
        : throw AwsErrors.InvalidParameterValue($"Value ({device}) for parameter device is invalid. {device} is not a valid EBS device name.");

    /// <summary>The AWS managed key for EBS (alias/aws/ebs) of an account in a region, as a key ARN.</summary>
    public static string ManagedKeyArn(Scope scope)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"aws/ebs/{scope.AccountId}/{scope.Region}"));
        var guid = new Guid(hash.AsSpan(0, 16));
        return $"arn:aws:kms:{scope.Region}:{scope.AccountId}:key/{guid:D}";
    }

    /// <summary>
    /// Creates a volume: validates the spec (zone, type rules, snapshot, encryption), applies the
    /// account's encryption default and stores it. It reports <c>creating</c> for a moment, then
    /// <c>available</c>; with <see cref="VolumeSpec.Attachment"/> it is in-use at once.
    /// </summary>
    public static async Task<VolumeResource> CreateAsync(IStoreTransaction tx, Scope scope, VolumeSpec spec, DateTime now, CancellationToken ct = default)
    {
        var volume = await NewAsync(tx, scope, spec, now, ct).ConfigureAwait(false);
        await PutAsync(tx, scope, volume, ct).ConfigureAwait(false);
        return volume;
    }

    /// <summary>
    /// CopyVolumes: a point-in-time copy of a volume in its zone, encrypted as the source is, of
    /// the source's type and size unless others are asked for (never smaller than the source).
    /// </summary>
    public static async Task<VolumeResource> CopyAsync(IStoreTransaction tx, Scope scope, string sourceVolumeId, string? volumeType, int? size, int? iops, int? throughput,
        bool? multiAttachEnabled, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        var source = await GetAsync(tx, scope, sourceVolumeId, ct).ConfigureAwait(false);
        var state = source.StateAt(now);
        if (state == VolumeStates.Creating)
        {
            throw new AwsException("IncorrectState", $"The volume '{source.Id}' is in the '{state}' state.");
        }
        if (size is { } requested && requested < source.Size)
        {
            throw AwsErrors.InvalidParameterValue($"The size of the copy ({requested} GiB) must be at least the size of the source volume '{source.Id}' ({source.Size} GiB).");
        }
        var type = volumeType ?? source.VolumeType;
        var copy = await NewAsync(tx, scope, new VolumeSpec
        {
            AvailabilityZone = source.AvailabilityZone,
            VolumeType = type,
            Size = size ?? source.Size,
            Iops = iops ?? (type == source.VolumeType ? source.Iops : null),
            Throughput = throughput ?? (type == source.VolumeType ? source.Throughput : null),
            Encrypted = source.Encrypted,
            KmsKeyId = source.KmsKeyId,
            MultiAttachEnabled = multiAttachEnabled ?? false,
            Tags = tags,
        }, now, ct).ConfigureAwait(false);
        copy.SourceVolumeId = source.Id;
        await PutAsync(tx, scope, copy, ct).ConfigureAwait(false);
        return copy;
    }

    /// <summary>
    /// The volume <see cref="CreateAsync"/> would create, validated but not yet written: for a
    /// caller that writes many resources in one batch.
    /// </summary>
    public static async Task<VolumeResource> NewAsync(IStoreSession tx, Scope scope, VolumeSpec spec, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var zone = ResolveZone(scope.Region, spec.AvailabilityZone, spec.AvailabilityZoneId);
        SnapshotResource? snapshot = null;
        var snapshotSize = spec.SnapshotSize;
        if (spec.SnapshotId is { } snapshotId)
        {
            ResourceTypes.Snapshot.CheckId(snapshotId);
            snapshot = (await Snapshots.FindVisibleAsync(tx, scope, snapshotId, ct).ConfigureAwait(false))?.Snapshot;
            if (snapshot is null && snapshotSize is null)
            {
                throw ResourceTypes.Snapshot.NotFound(snapshotId);
            }
            if (snapshot is not null)
            {
                if (snapshot.StateAt(now) != "completed")
                {
                    throw new AwsException("IncorrectState", $"Snapshot '{snapshotId}' is not in the 'completed' state; it is '{snapshot.StateAt(now)}'.");
                }
                SnapshotTiers.CheckUsable(snapshot, now);
                snapshotSize = snapshot.VolumeSize;
            }
        }
        var effective = VolumeRules.Validate(spec.VolumeType, spec.Size, spec.Iops, spec.Throughput, snapshotSize, spec.SnapshotId, spec.MultiAttachEnabled);

        var settings = await EbsEncryption.GetAsync(tx, scope, ct).ConfigureAwait(false);
        var encrypted = snapshot?.Encrypted == true || spec.Encrypted == true || settings.EncryptionByDefault;
        if (spec.KmsKeyId is not null && !encrypted)
        {
            throw new AwsException("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.");
        }
        var kmsKeyId = !encrypted ? null
            : spec.KmsKeyId ?? (snapshot?.Encrypted == true ? snapshot.KmsKeyId : null) ?? EbsEncryption.DefaultKeyArn(scope, settings);

        var attachment = spec.Attachment;
        var volume = new VolumeResource
        {
            Id = ResourceIds.New(ResourceTypes.Volume.IdPrefix),
            OwnerId = scope.AccountId,
            AvailabilityZone = zone.ZoneName,
            AvailabilityZoneId = zone.ZoneId,
            Size = effective.Size,
            VolumeType = effective.VolumeType,
            Iops = effective.Iops,
            Throughput = effective.Throughput,
            SnapshotId = spec.SnapshotId,
            Encrypted = encrypted,
            KmsKeyId = kmsKeyId,
            State = attachment is null ? VolumeStates.Available : VolumeStates.InUse,
            CreateTime = now,
            AvailableAt = attachment is null ? now + EbsTimings.VolumeCreation : null,
            MultiAttachEnabled = spec.MultiAttachEnabled,
            FastRestored = snapshot?.FastRestores.Exists(f => f.AvailabilityZone == zone.ZoneName && f.StateAt(now) == "enabled") == true,
            Attachments = attachment is null ? [] :
            [
                new VolumeAttachmentRecord
                {
                    InstanceId = attachment.InstanceId,
                    Device = attachment.Device,
                    AttachTime = now,
                    DeleteOnTermination = attachment.DeleteOnTermination,
                },
            ],
            Tags = spec.Tags,
        };
        return volume;
    }

    /// <summary>
    /// A new volume like <paramref name="template"/> (from <see cref="NewAsync"/> with an attachment,
    /// validated once for many), with an id of its own and its one attachment to <paramref name="instanceId"/>.
    /// </summary>
    public static VolumeResource AttachedCopy(VolumeResource template, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(template);
        var attachment = template.Attachments.Single();
        return new VolumeResource
        {
            Id = ResourceIds.New(ResourceTypes.Volume.IdPrefix),
            OwnerId = template.OwnerId,
            AvailabilityZone = template.AvailabilityZone,
            AvailabilityZoneId = template.AvailabilityZoneId,
            Size = template.Size,
            VolumeType = template.VolumeType,
            Iops = template.Iops,
            Throughput = template.Throughput,
            SnapshotId = template.SnapshotId,
            Encrypted = template.Encrypted,
            KmsKeyId = template.KmsKeyId,
            State = template.State,
            CreateTime = template.CreateTime,
            AvailableAt = template.AvailableAt,
            MultiAttachEnabled = template.MultiAttachEnabled,
            FastRestored = template.FastRestored,
            Attachments =
            [
                new VolumeAttachmentRecord
                {
                    InstanceId = instanceId,
                    Device = attachment.Device,
                    State = attachment.State,
                    AttachTime = attachment.AttachTime,
                    DeleteOnTermination = attachment.DeleteOnTermination,
                },
            ],
            Tags = [.. template.Tags],
        };
    }

    /// <summary>A volume of the account, or AWS's malformed / not-found error.</summary>
    public static async Task<VolumeResource> GetAsync(IStoreSession session, Scope scope, string volumeId, CancellationToken ct = default)
    {
        ResourceTypes.Volume.CheckId(volumeId);
        return await session.GetAsync<VolumeResource>(scope, ResourceTypes.Volume, volumeId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.Volume.NotFound(volumeId);
    }

    public static Task PutAsync(IStoreTransaction tx, Scope scope, VolumeResource volume, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.Volume, volume.Id, volume, volume.CreateTime, ct);

    /// <summary>
    /// Attaches an available volume to an instance in the same zone at <paramref name="device"/>.
    /// Multi-Attach volumes take up to 16 instances. The instance's stored block devices (its
    /// <c>blockDevices</c> list, when it keeps one) get the new device.
    /// </summary>
    public static async Task<(VolumeResource Volume, VolumeAttachmentRecord Attachment)> AttachAsync(
        IStoreTransaction tx, Scope scope, string volumeId, string instanceId, string device, DateTime now, CancellationToken ct = default)
    {
        var volume = await GetAsync(tx, scope, volumeId, ct).ConfigureAwait(false);
        ResourceTypes.Instance.CheckId(instanceId);
        CheckDeviceName(device);
        var instance = await InstanceDocument.GetAsync(tx, scope, instanceId, ct).ConfigureAwait(false);
        if (instance.State is not ("running" or "stopped"))
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instanceId}' is not in a valid state for this operation: it is '{instance.State}'.");
        }
        if (instance.AvailabilityZone is { } instanceZone && instanceZone != volume.AvailabilityZone)
        {
            throw new AwsException("InvalidVolume.ZoneMismatch", $"The volume '{volumeId}' is not in the same availability zone as instance '{instanceId}'");
        }
        var state = volume.StateAt(now);
        if (state == VolumeStates.Creating)
        {
            throw new AwsException("IncorrectState", $"{volumeId} is not 'available'.");
        }
        if (volume.Attachments.Exists(a => a.InstanceId == instanceId))
        {
            throw new AwsException("VolumeInUse", $"{volumeId} is already attached to instance {instanceId}");
        }
        if (volume.Attachments.Count > 0 && !volume.MultiAttachEnabled)
        {
            throw new AwsException("VolumeInUse", $"{volumeId} is already attached to an instance");
        }
        if (volume.Attachments.Count >= MaxMultiAttachInstances)
        {
            throw new AwsException("VolumeInUse", $"{volumeId} is already attached to the maximum of {MaxMultiAttachInstances} instances");
        }
        var attachedHere = await ListAttachedAsync(tx, scope, instanceId, ct).ConfigureAwait(false);
        if (instance.DeviceNames.Contains(device) || attachedHere.Exists(v => v.Attachments.Exists(a => a.InstanceId == instanceId && a.Device == device)))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value '{device}' for unixDevice. Attachment point {device} is already in use");
        }
        var attachment = new VolumeAttachmentRecord { InstanceId = instanceId, Device = device, AttachTime = now, DeleteOnTermination = false };
        volume.Attachments.Add(attachment);
        volume.State = VolumeStates.InUse;
        await PutAsync(tx, scope, volume, ct).ConfigureAwait(false);
        await instance.AddBlockDeviceAsync(tx, device, volumeId, now, ct).ConfigureAwait(false);
        return (volume, attachment);
    }

    /// <summary>
    /// Detaches a volume. With several attachments (Multi-Attach) the instance must be named. A
    /// running instance's root volume cannot be detached; <paramref name="force"/> does not change
    /// that (it only matters for a stuck detach, which cannot happen here).
    /// </summary>
    public static async Task<(VolumeResource Volume, VolumeAttachmentRecord Attachment)> DetachAsync(
        IStoreTransaction tx, Scope scope, string volumeId, string? instanceId, string? device, bool force, DateTime now, CancellationToken ct = default)
    {
        _ = force;
        var volume = await GetAsync(tx, scope, volumeId, ct).ConfigureAwait(false);
        if (instanceId is not null)
        {
            ResourceTypes.Instance.CheckId(instanceId);
        }
        if (volume.Attachments.Count == 0)
        {
            throw new AwsException("IncorrectState", $"Volume '{volumeId}' is in the '{volume.StateAt(now)}' state.");
        }
        VolumeAttachmentRecord attachment;
        if (instanceId is not null)
        {
            attachment = volume.Attachments.Find(a => a.InstanceId == instanceId)
                ?? throw new AwsException("InvalidAttachment.NotFound", $"The volume '{volumeId}' is not attached to instance '{instanceId}'.");
        }
        else if (volume.Attachments.Count > 1)
        {
            throw AwsErrors.MissingParameter("instanceId");
        }
        else
        {
            attachment = volume.Attachments[0];
        }
        if (device is not null && device != attachment.Device)
        {
            throw new AwsException("InvalidAttachment.NotFound", $"The volume '{volumeId}' is not attached to instance '{attachment.InstanceId}' at device '{device}'.");
        }
        var instance = await InstanceDocument.FindAsync(tx, scope, attachment.InstanceId, ct).ConfigureAwait(false);
        if (instance is not null && instance.RootDeviceName == attachment.Device && instance.State is "running" or "pending" or "stopping")
        {
            throw new AwsException("OperationNotPermitted", $"Unable to detach root volume '{volumeId}' from instance '{attachment.InstanceId}'");
        }
        volume.Attachments.Remove(attachment);
        volume.State = volume.Attachments.Count > 0 ? VolumeStates.InUse : VolumeStates.Available;
        await PutAsync(tx, scope, volume, ct).ConfigureAwait(false);
        if (instance is not null)
        {
            await instance.RemoveBlockDeviceAsync(tx, volumeId, ct).ConfigureAwait(false);
        }
        attachment.State = VolumeStates.Detaching;
        return (volume, attachment);
    }

    /// <summary>Deletes a volume that is not attached (<c>VolumeInUse</c> otherwise).</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string volumeId, DateTime now, CancellationToken ct = default)
    {
        var volume = await GetAsync(tx, scope, volumeId, ct).ConfigureAwait(false);
        _ = now;
        if (volume.Attachments.Count > 0)
        {
            throw new AwsException("VolumeInUse", $"Volume {volumeId} is currently attached to {volume.Attachments[0].InstanceId}");
        }
        await tx.DeleteAsync(scope, ResourceTypes.Volume, volumeId, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// For a terminating instance: detaches the volumes it lists (its block devices, read by id) and
    /// deletes those marked DeleteOnTermination. Returns the ids of the deleted volumes.
    /// </summary>
    public static async Task<List<string>> ReleaseForTerminationAsync(IStoreTransaction tx, Scope scope, string instanceId, IReadOnlyList<string> volumeIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(volumeIds);
        var deleted = new List<string>();
        foreach (var volumeId in volumeIds.Distinct(StringComparer.Ordinal))
        {
            var volume = await tx.GetAsync<VolumeResource>(scope, ResourceTypes.Volume, volumeId, ct).ConfigureAwait(false);
            var attachment = volume?.Attachments.Find(a => a.InstanceId == instanceId);
            if (volume is null || attachment is null)
            {
                continue;
            }
            volume.Attachments.Remove(attachment);
            if (attachment.DeleteOnTermination && volume.Attachments.Count == 0)
            {
                await tx.DeleteAsync(scope, ResourceTypes.Volume, volume.Id, ct).ConfigureAwait(false);
                deleted.Add(volume.Id);
                continue;
            }
            volume.State = volume.Attachments.Count > 0 ? VolumeStates.InUse : VolumeStates.Available;
            await PutAsync(tx, scope, volume, ct).ConfigureAwait(false);
        }
        return deleted;
    }

    /// <summary>The account's volumes attached to <paramref name="instanceId"/>.</summary>
    public static async Task<List<VolumeResource>> ListAttachedAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct = default)
    {
        var all = await session.ListAsync<VolumeResource>(scope, ResourceTypes.Volume, ct).ConfigureAwait(false);
        return all.Where(v => v.Attachments.Exists(a => a.InstanceId == instanceId)).ToList();
    }

    /// <summary>
    /// Starts a modification (Elastic Volumes): checks the target with
    /// <see cref="VolumeRules.ValidateModification"/>, that the previous modification completed and
    /// that at most four were started in the last 24 hours. The target takes effect at once; the
    /// modification reports modifying, optimizing, then completed.
    /// </summary>
    public static async Task<(VolumeResource Volume, VolumeModificationRecord Modification)> ModifyAsync(
        IStoreTransaction tx, Scope scope, string volumeId, string? volumeType, int? size, int? iops, int? throughput, bool? multiAttach, DateTime now, CancellationToken ct = default)
    {
        var volume = await GetAsync(tx, scope, volumeId, ct).ConfigureAwait(false);
        var state = volume.StateAt(now);
        if (state is not (VolumeStates.Available or VolumeStates.InUse))
        {
            throw new AwsException("IncorrectState", $"Volume '{volumeId}' is in the '{state}' state.");
        }
        if (volume.Modifications.Count > 0 && volume.Modifications[^1].StateAt(now) != "completed")
        {
            throw new AwsException("IncorrectModificationState", $"Volume '{volumeId}' is already being modified; wait until the modification is completed.");
        }
        if (volume.Modifications.Count(m => m.StartTime > now.AddHours(-24)) >= 4)
        {
            throw new AwsException("VolumeModificationRateExceeded",
                $"You've reached the maximum modification rate per volume limit. A volume can be modified up to four times within a rolling 24-hour period.");
        }
        if (multiAttach == false && volume.Attachments.Count > 1)
        {
            throw AwsErrors.InvalidParameterCombination($"Multi-Attach cannot be disabled on volume '{volumeId}' while it is attached to more than one instance.");
        }
        var current = volume.Configuration;
        var target = VolumeRules.ValidateModification(current, volumeType, size, iops, throughput, multiAttach, volume.MultiAttachEnabled);
        var modification = new VolumeModificationRecord
        {
            StartTime = now,
            OptimizingAt = now + EbsTimings.ModificationModifying,
            CompletedAt = now + EbsTimings.ModificationModifying + EbsTimings.ModificationOptimizing,
            OriginalVolumeType = current.VolumeType,
            OriginalSize = current.Size,
            OriginalIops = current.Iops,
            OriginalThroughput = current.Throughput,
            OriginalMultiAttachEnabled = volume.MultiAttachEnabled,
            TargetVolumeType = target.VolumeType,
            TargetSize = target.Size,
            TargetIops = target.Iops,
            TargetThroughput = target.Throughput,
            TargetMultiAttachEnabled = multiAttach ?? (volume.MultiAttachEnabled && VolumeRules.Find(target.VolumeType).SupportsMultiAttach),
        };
        volume.VolumeType = target.VolumeType;
        volume.Size = target.Size;
        volume.Iops = target.Iops;
        volume.Throughput = target.Throughput;
        volume.MultiAttachEnabled = modification.TargetMultiAttachEnabled;
        volume.Modifications.Add(modification);
        await PutAsync(tx, scope, volume, ct).ConfigureAwait(false);
        return (volume, modification);
    }
}

/// <summary>
/// What EBS needs of an instance document (type <c>instance</c>), read without depending on the
/// instance record's class: its state, zone, root device and block devices.
/// </summary>
internal sealed class InstanceDocument
{
    private readonly StoredResource _stored;
    private readonly JsonObject _json;

    private InstanceDocument(StoredResource stored)
    {
        _stored = stored;
        _json = JsonNode.Parse(stored.Document)!.AsObject();
    }

    public string? State => (string?)_json["state"];
    public string? AvailabilityZone => (string?)_json["availabilityZone"] ?? (string?)_json["placement"]?["availabilityZone"];
    public string? RootDeviceName => (string?)_json["rootDeviceName"];

    public IReadOnlySet<string> DeviceNames => (_json["blockDevices"] as JsonArray ?? [])
        .Select(d => (string?)d?["deviceName"]).OfType<string>().ToHashSet(StringComparer.Ordinal);

    public static async Task<InstanceDocument?> FindAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct)
    {
        var stored = await session.GetAsync(new ResourceKey(scope.AccountId, scope.Region, ResourceTypes.Instance.Name, instanceId), ct).ConfigureAwait(false);
        return stored is null ? null : new InstanceDocument(stored);
    }

    public static async Task<InstanceDocument> GetAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct)
    {
        var found = await FindAsync(session, scope, instanceId, ct).ConfigureAwait(false);
        return found is null || found.State == "terminated" ? throw ResourceTypes.Instance.NotFound(instanceId) : found;
    }

    public async Task AddBlockDeviceAsync(IStoreTransaction tx, string device, string volumeId, DateTime now, CancellationToken ct)
    {
        if (_json["blockDevices"] is not JsonArray devices)
        {
            return;
        }
        devices.Add(new JsonObject
        {
            ["deviceName"] = device,
            ["volumeId"] = volumeId,
            ["deleteOnTermination"] = false,
            ["attachTime"] = System.Text.Json.JsonSerializer.SerializeToNode(now, ResourceStore.Json),
            ["status"] = VolumeStates.Attached,
        });
        await tx.PutDocumentAsync(_stored, _json.ToJsonString(), ct).ConfigureAwait(false);
    }

    public async Task RemoveBlockDeviceAsync(IStoreTransaction tx, string volumeId, CancellationToken ct)
    {
        if (_json["blockDevices"] is not JsonArray devices)
        {
            return;
        }
        foreach (var device in devices.Where(d => (string?)d?["volumeId"] == volumeId).ToList())
        {
            devices.Remove(device);
        }
        await tx.PutDocumentAsync(_stored, _json.ToJsonString(), ct).ConfigureAwait(false);
    }
}
