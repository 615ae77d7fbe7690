using Stratus.Core;
using Stratus.Domain.Ebs;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Instances.RootVolumes;

/// <summary>The states of a root volume replacement task, as EC2 names them.</summary>
public static class ReplaceRootVolumeTaskStates
{
    public const string Pending = "pending";
    public const string InProgress = "in-progress";
    public const string Failing = "failing";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    /// <summary>The task failed and the original root volume could not be put back (it was deleted or attached elsewhere meanwhile).</summary>
    public const string FailedDetached = "failed-detached";
}

/// <summary>
/// One CreateReplaceRootVolumeTask: the instance, where the new root comes from (its launch state,
/// a snapshot of its root volume lineage, or an image) and the volumes it swapped.
/// </summary>
public sealed class ReplaceRootVolumeTaskResource : ITaggable
{
    public required string Id { get; init; }
    public required string InstanceId { get; init; }
    public string TaskState { get; set; } = ReplaceRootVolumeTaskStates.Pending;
    public required DateTime StartTime { get; init; }
    public DateTime? CompleteTime { get; set; }
    public string? ImageId { get; init; }
    public string? SnapshotId { get; init; }
    public bool DeleteReplacedRootVolume { get; init; }
    public long? VolumeInitializationRate { get; init; }

    /// <summary>The root volume the instance had when the task began.</summary>
    public required string OriginalVolumeId { get; init; }

    /// <summary>The new root volume, once the task created it.</summary>
    public string? ReplacementVolumeId { get; set; }

    /// <summary>The instance's image and guest image before an image replacement (to put back when it fails).</summary>
    public string? OriginalImageId { get; set; }
    public string? OriginalRuntimeImage { get; set; }

    public List<Tag> Tags { get; init; } = [];

    /// <summary>True while the task still has work to do.</summary>
    public bool Active => TaskState is ReplaceRootVolumeTaskStates.Pending or ReplaceRootVolumeTaskStates.InProgress or ReplaceRootVolumeTaskStates.Failing;
}

/// <summary>What CreateReplaceRootVolumeTask asks for.</summary>
public sealed record ReplaceRootVolumeRequest(
    string? InstanceId, string? SnapshotId, string? ImageId, bool DeleteReplacedRootVolume, long? VolumeInitializationRate, List<Tag> Tags);

/// <summary>What the runtime has to do for a task: restart the guest onto <see cref="RootVolumeId"/>.</summary>
public sealed record RootVolumeSwap(string TaskId, string RootVolumeId, string? DeletedVolumeId);

/// <summary>
/// Replacing the EBS root volume of a running instance, as EC2's root volume replacement does: the
/// task is accepted (pending), then the new volume replaces the original one in the instance's
/// block device mapping and the original is detached (in-progress), the guest restarts onto the new
/// root, and the task succeeds — keeping the instance's id, interfaces and addresses, data volumes
/// and instance store. When the restart fails the original root is put back (failing → failed).
/// Each step is one transaction; the runtime's part runs between them.
/// </summary>
public static class RootVolumeReplacement
{
    /// <summary>The smallest and largest volume initialization rate, in MiB/s.</summary>
    public const long MinInitializationRate = 100;
    public const long MaxInitializationRate = 300;

    /// <summary>Validates the request against the instance and stores the pending task.</summary>
    public static async Task<ReplaceRootVolumeTaskResource> CreateAsync(IStoreTransaction tx, Scope scope, ReplaceRootVolumeRequest request, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var instanceId = request.InstanceId ?? throw AwsErrors.MissingParameter("InstanceId");
        if (request.SnapshotId is not null && request.ImageId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("The parameters SnapshotId and ImageId cannot be specified together.");
        }
        if (request.VolumeInitializationRate is { } rate)
        {
            if (request.SnapshotId is null && request.ImageId is null)
            {
                throw AwsErrors.InvalidParameterCombination("VolumeInitializationRate can be specified only with SnapshotId or ImageId.");
            }
            if (rate is < MinInitializationRate or > MaxInitializationRate)
            {
                throw AwsErrors.InvalidParameterValue($"The volume initialization rate must be between {MinInitializationRate} and {MaxInitializationRate} MiB/s.");
            }
        }
        var instance = (await InstanceRecords.RequireAsync(tx, scope, [instanceId], ct).ConfigureAwait(false))[0];
        if (instance.State != InstanceStates.Running)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in the 'running' state; it is '{instance.State}'.");
        }
        var root = RootDevice(instance)
            ?? throw new AwsException("UnsupportedOperation", $"The instance '{instance.Id}' does not have an EBS root volume.");
        var tasks = await ListForInstanceAsync(tx, scope, instance.Id, ct).ConfigureAwait(false);
        if (tasks.Find(t => t.Active) is { } running)
        {
            throw new AwsException("IncorrectState", $"The instance '{instance.Id}' already has a root volume replacement task in progress ({running.Id}).");
        }
        if (request.SnapshotId is { } snapshotId)
        {
            ResourceTypes.Snapshot.CheckId(snapshotId);
            var snapshot = (await Snapshots.FindVisibleAsync(tx, scope, snapshotId, ct).ConfigureAwait(false))?.Snapshot
                ?? throw ResourceTypes.Snapshot.NotFound(snapshotId);
            if (snapshot.StateAt(now) != "completed")
            {
                throw new AwsException("IncorrectState", $"Snapshot '{snapshotId}' is not in the 'completed' state; it is '{snapshot.StateAt(now)}'.");
            }
            // The lineage of the root volume: the current one and every root volume earlier tasks replaced or created.
            var lineage = tasks.SelectMany(t => new[] { t.OriginalVolumeId, t.ReplacementVolumeId }).Append(root.VolumeId).OfType<string>().ToHashSet(StringComparer.Ordinal);
            if (!lineage.Contains(snapshot.VolumeId))
            {
                throw AwsErrors.InvalidParameterValue($"The snapshot '{snapshotId}' was not created from the root volume of instance '{instance.Id}'.");
            }
        }
        if (request.ImageId is { } imageId)
        {
            var image = (await Images.Images.GetLaunchableAsync(tx, scope, imageId, now, ct).ConfigureAwait(false)).Image;
            CheckImage(instance, image);
        }
        var task = new ReplaceRootVolumeTaskResource
        {
            Id = ResourceIds.New(ResourceTypes.ReplaceRootVolumeTask.IdPrefix),
            InstanceId = instance.Id,
            StartTime = now,
            ImageId = request.ImageId,
            SnapshotId = request.SnapshotId,
            DeleteReplacedRootVolume = request.DeleteReplacedRootVolume,
            VolumeInitializationRate = request.VolumeInitializationRate,
            OriginalVolumeId = root.VolumeId,
            Tags = request.Tags,
        };
        await PutAsync(tx, scope, task, ct).ConfigureAwait(false);
        return task;
    }

    /// <summary>The image must match the instance's key characteristics: architecture, virtualization type, platform (billing) and root device.</summary>
    private static void CheckImage(InstanceResource instance, Images.ImageResource image)
    {
        if (image.RootDeviceType != "ebs" || image.BlockDevices.Find(d => d.DeviceName == image.RootDeviceName && d.VirtualName is null && !d.NoDevice) is null)
        {
            throw AwsErrors.InvalidParameterValue($"The image '{image.Id}' is not backed by an EBS root volume.");
        }
        if (image.Architecture != instance.Architecture)
        {
            throw AwsErrors.InvalidParameterValue(
                $"The architecture '{image.Architecture}' of the image '{image.Id}' does not match the architecture '{instance.Architecture}' of the instance '{instance.Id}'.");
        }
        if (image.VirtualizationType != instance.VirtualizationType)
        {
            throw AwsErrors.InvalidParameterValue(
                $"The virtualization type '{image.VirtualizationType}' of the image '{image.Id}' does not match that of the instance '{instance.Id}' ({instance.VirtualizationType}).");
        }
        if (image.RootDeviceName != instance.RootDeviceName)
        {
            throw AwsErrors.InvalidParameterValue(
                $"The root device name '{image.RootDeviceName}' of the image '{image.Id}' does not match the root device name '{instance.RootDeviceName}' of the instance '{instance.Id}'.");
        }
    }

    /// <summary>
    /// The pending task of an instance moves to in-progress: the replacement volume is created from
    /// its source and takes the original's place as the instance's root device; the original is
    /// detached (available). Returns what the runtime must boot, or null when nothing is to be done
    /// (the task is gone or not pending; a task whose instance no longer runs fails here).
    /// </summary>
    public static async Task<RootVolumeSwap?> BeginAsync(IStoreTransaction tx, Scope scope, string taskId, DateTime now, CancellationToken ct = default)
    {
        var task = await tx.GetAsync<ReplaceRootVolumeTaskResource>(scope, ResourceTypes.ReplaceRootVolumeTask, taskId, ct).ConfigureAwait(false);
        if (task is not { TaskState: ReplaceRootVolumeTaskStates.Pending })
        {
            return null;
        }
        var instance = await tx.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, task.InstanceId, ct).ConfigureAwait(false);
        var root = instance is null ? null : RootDevice(instance);
        var original = await tx.GetAsync<VolumeResource>(scope, ResourceTypes.Volume, task.OriginalVolumeId, ct).ConfigureAwait(false);
        if (instance is not { State: InstanceStates.Running } || root is null || root.VolumeId != task.OriginalVolumeId || original is null)
        {
            await EndAsync(tx, scope, task, ReplaceRootVolumeTaskStates.Failed, now, ct).ConfigureAwait(false);
            return null;
        }
        var (spec, image) = await ReplacementSpecAsync(tx, scope, task, instance, root, original, now, ct).ConfigureAwait(false);
        VolumeResource replacement;
        try
        {
            replacement = await Volumes.NewAsync(tx, scope, spec, now, ct).ConfigureAwait(false);
        }
        catch (AwsException)
        {
            // The source went away since the task was accepted (a deleted snapshot or image).
            await EndAsync(tx, scope, task, ReplaceRootVolumeTaskStates.Failed, now, ct).ConfigureAwait(false);
            return null;
        }
        await Volumes.PutAsync(tx, scope, replacement, ct).ConfigureAwait(false);
        original.Attachments.RemoveAll(a => a.InstanceId == instance.Id);
        original.State = original.Attachments.Count > 0 ? VolumeStates.InUse : VolumeStates.Available;
        await Volumes.PutAsync(tx, scope, original, ct).ConfigureAwait(false);
        SwapRoot(instance, root, replacement.Id, now);
        if (task.ImageId is { } imageId)
        {
            task.OriginalImageId = instance.ImageId;
            task.OriginalRuntimeImage = instance.RuntimeImage;
            instance.ImageId = imageId;
            instance.RuntimeImage = image?.RuntimeImage ?? instance.RuntimeImage;
        }
        await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        task.ReplacementVolumeId = replacement.Id;
        task.TaskState = ReplaceRootVolumeTaskStates.InProgress;
        await PutAsync(tx, scope, task, ct).ConfigureAwait(false);
        return new RootVolumeSwap(task.Id, replacement.Id, null);
    }

    /// <summary>
    /// The new volume: the original's type, performance, encryption, tags and size (never smaller
    /// than its source), from the snapshot the original was created from (launch state), the snapshot
    /// asked for, or the image's root snapshot; with the image the task names (read once, for the
    /// instance's new runtime image too), or null.
    /// </summary>
    private static async Task<(VolumeSpec Spec, Images.ImageResource? Image)> ReplacementSpecAsync(IStoreSession tx, Scope scope, ReplaceRootVolumeTaskResource task, InstanceResource instance,
        InstanceBlockDevice root, VolumeResource original, DateTime now, CancellationToken ct)
    {
        string? snapshotId;
        int? sourceSize;
        Images.ImageResource? image = null;
        if (task.SnapshotId is { } requested)
        {
            snapshotId = requested;
            sourceSize = (await Snapshots.FindVisibleAsync(tx, scope, requested, ct).ConfigureAwait(false))?.Snapshot.VolumeSize;
        }
        else if (task.ImageId is { } imageId)
        {
            image = (await Images.Images.GetLaunchableAsync(tx, scope, imageId, now, ct).ConfigureAwait(false)).Image;
            var device = image.BlockDevices.Find(d => d.DeviceName == image.RootDeviceName);
            snapshotId = device?.SnapshotId;
            sourceSize = device?.VolumeSize;
        }
        else
        {
            snapshotId = original.SnapshotId;
            sourceSize = original.Size;
        }
        var size = Math.Max(original.Size, sourceSize ?? 0);
        return (new VolumeSpec
        {
            AvailabilityZone = original.AvailabilityZone,
            VolumeType = original.VolumeType,
            Size = size,
            Iops = original.Iops,
            Throughput = original.Throughput,
            SnapshotId = snapshotId,
            // Catalog images' root snapshots are no EBS snapshot documents: their size is the volume's.
            SnapshotSize = snapshotId is null ? null : sourceSize ?? size,
            Encrypted = original.Encrypted ? true : null,
            KmsKeyId = original.Encrypted ? original.KmsKeyId : null,
            Tags = [.. original.Tags],
            Attachment = new VolumeAttachmentSpec(instance.Id, root.DeviceName, root.DeleteOnTermination),
        }, image);
    }

    /// <summary>The guest runs on the new root: the task succeeds; the original volume is deleted when the task asked for it.</summary>
    public static async Task<RootVolumeSwap?> CompleteAsync(IStoreTransaction tx, Scope scope, string taskId, DateTime now, CancellationToken ct = default)
    {
        var task = await tx.GetAsync<ReplaceRootVolumeTaskResource>(scope, ResourceTypes.ReplaceRootVolumeTask, taskId, ct).ConfigureAwait(false);
        if (task is not { TaskState: ReplaceRootVolumeTaskStates.InProgress })
        {
            return null;
        }
        string? deleted = null;
        if (task.DeleteReplacedRootVolume
            && await tx.GetAsync<VolumeResource>(scope, ResourceTypes.Volume, task.OriginalVolumeId, ct).ConfigureAwait(false) is { Attachments.Count: 0 })
        {
            await tx.DeleteAsync(scope, ResourceTypes.Volume, task.OriginalVolumeId, ct).ConfigureAwait(false);
            deleted = task.OriginalVolumeId;
        }
        await EndAsync(tx, scope, task, ReplaceRootVolumeTaskStates.Succeeded, now, ct).ConfigureAwait(false);
        return new RootVolumeSwap(task.Id, task.ReplacementVolumeId!, deleted);
    }

    /// <summary>
    /// The guest could not restart on the new root: the task is failing, the original root is put
    /// back in the instance's block device mapping (when it is still there to be put back) and the
    /// replacement volume is deleted. Returns the root the guest must boot again (null when the
    /// original could not be restored) and the deleted replacement.
    /// </summary>
    public static async Task<RootVolumeSwap?> RevertAsync(IStoreTransaction tx, Scope scope, string taskId, DateTime now, CancellationToken ct = default)
    {
        var task = await tx.GetAsync<ReplaceRootVolumeTaskResource>(scope, ResourceTypes.ReplaceRootVolumeTask, taskId, ct).ConfigureAwait(false);
        if (task is not { TaskState: ReplaceRootVolumeTaskStates.InProgress })
        {
            return null;
        }
        var instance = await tx.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, task.InstanceId, ct).ConfigureAwait(false);
        var original = await tx.GetAsync<VolumeResource>(scope, ResourceTypes.Volume, task.OriginalVolumeId, ct).ConfigureAwait(false);
        var root = instance is null ? null : RootDevice(instance);
        task.TaskState = ReplaceRootVolumeTaskStates.Failing;
        if (instance is null || root is null || original is null || original.Attachments.Count > 0)
        {
            await EndAsync(tx, scope, task, ReplaceRootVolumeTaskStates.FailedDetached, now, ct).ConfigureAwait(false);
            return null;
        }
        original.Attachments.Add(new VolumeAttachmentRecord { InstanceId = instance.Id, Device = root.DeviceName, AttachTime = now, DeleteOnTermination = root.DeleteOnTermination });
        original.State = VolumeStates.InUse;
        await Volumes.PutAsync(tx, scope, original, ct).ConfigureAwait(false);
        string? deleted = null;
        if (task.ReplacementVolumeId is { } replacement && root.VolumeId == replacement)
        {
            await tx.DeleteAsync(scope, ResourceTypes.Volume, replacement, ct).ConfigureAwait(false);
            deleted = replacement;
        }
        SwapRoot(instance, root, original.Id, now);
        if (task.OriginalImageId is { } imageId)
        {
            instance.ImageId = imageId;
            instance.RuntimeImage = task.OriginalRuntimeImage;
        }
        await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        await PutAsync(tx, scope, task, ct).ConfigureAwait(false);
        return new RootVolumeSwap(task.Id, original.Id, deleted);
    }

    /// <summary>The failing task ends failed once the guest runs on its original root again.</summary>
    public static async Task FailAsync(IStoreTransaction tx, Scope scope, string taskId, DateTime now, CancellationToken ct = default)
    {
        var task = await tx.GetAsync<ReplaceRootVolumeTaskResource>(scope, ResourceTypes.ReplaceRootVolumeTask, taskId, ct).ConfigureAwait(false);
        if (task is { Active: true })
        {
            await EndAsync(tx, scope, task, ReplaceRootVolumeTaskStates.Failed, now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The instance's task that still has work to do, if any.</summary>
    public static async Task<ReplaceRootVolumeTaskResource?> ActiveTaskAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct = default) =>
        (await ListForInstanceAsync(session, scope, instanceId, ct).ConfigureAwait(false)).Find(t => t.Active);

    private static async Task<List<ReplaceRootVolumeTaskResource>> ListForInstanceAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct) =>
        (await session.ListAsync<ReplaceRootVolumeTaskResource>(scope, ResourceTypes.ReplaceRootVolumeTask, ct).ConfigureAwait(false))
            .Where(t => t.InstanceId == instanceId).ToList();

    private static InstanceBlockDevice? RootDevice(InstanceResource instance) =>
        instance.RootDeviceType == "ebs" ? instance.BlockDevices.Find(d => d.DeviceName == instance.RootDeviceName) : null;

    private static void SwapRoot(InstanceResource instance, InstanceBlockDevice root, string volumeId, DateTime now)
    {
        var index = instance.BlockDevices.IndexOf(root);
        instance.BlockDevices[index] = new InstanceBlockDevice
        {
            DeviceName = root.DeviceName,
            VolumeId = volumeId,
            DeleteOnTermination = root.DeleteOnTermination,
            AttachTime = now,
            Status = root.Status,
        };
    }

    private static Task EndAsync(IStoreTransaction tx, Scope scope, ReplaceRootVolumeTaskResource task, string state, DateTime now, CancellationToken ct)
    {
        task.TaskState = state;
        task.CompleteTime = now;
        return PutAsync(tx, scope, task, ct);
    }

    private static Task PutAsync(IStoreTransaction tx, Scope scope, ReplaceRootVolumeTaskResource task, CancellationToken ct) =>
        tx.PutAsync(scope, ResourceTypes.ReplaceRootVolumeTask, task.Id, task, task.StartTime, ct);
}
