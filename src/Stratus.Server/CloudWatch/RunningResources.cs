using System.Text.Json;
using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.CloudWatch;

/// <summary>What the <c>AWS/EC2</c> and <c>AWS/EBS</c> publishers need of a running instance.</summary>
internal sealed record RunningInstance(string AccountId, string Region, string Id, string ImageId, string InstanceType, bool MonitoringEnabled,
    int VCpus, string? CpuCredits, string? AutoScalingGroup, DateTime LaunchTime, string RootDeviceName);

/// <summary>What the <c>AWS/EBS</c> publisher needs of a volume with attachments: its model and where it is attached (instance, device).</summary>
internal sealed record AttachedVolume(string AccountId, string Region, string Id, string VolumeType, int Size, int? Iops,
    IReadOnlyList<(string InstanceId, string Device)> Attachments);

/// <summary>
/// The running instances and the attached volumes of every account and region, as the metric
/// publishers read them every round. What was read is kept between rounds as projections
/// (<see cref="DecodedResources.ProjectAsync{T}"/>): a round reads the ids and versions of the
/// candidates from the store's index alone (instances whose <c>instance-state-name</c> entry is
/// <c>running</c>, volumes with an <c>attachment.instance-id</c> entry) and the documents of only
/// those whose projection it does not hold at that version, so a round over 10,000 unchanged
/// instances decodes no document. Only the few fields the publishers use are kept, not the decoded
/// documents. A document's own state still decides (the index narrows).
/// </summary>
internal sealed class RunningResources(IStateStore store) : IDisposable
{
    /// <summary>The tag Auto Scaling puts on the instances of a group.</summary>
    public const string AutoScalingGroupTag = "aws:autoscaling:groupName";

    private static readonly IReadOnlyList<IndexCondition> RunningCondition = [IndexCondition.Equal("instance-state-name", [InstanceStates.Running])];
    private static readonly IReadOnlyList<IndexCondition> AttachedCondition = [new IndexCondition(["attachment.instance-id"], null)];

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The projections of the rounds (its own: nothing else decodes into these forms).</summary>
    private readonly DecodedResources _kept = new();
    private long _decoded;

    /// <summary>How many documents the rounds so far decoded (instances and volumes).</summary>
    public long Decoded => Interlocked.Read(ref _decoded);

    /// <summary>The running instances of every account and region.</summary>
    public async Task<List<RunningInstance>> InstancesAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await store.OpenReadAsync(ct).ConfigureAwait(false);
            return await ReadAsync(session, ResourceTypes.Instance, RunningCondition, ProjectInstance, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The running instances and the volumes with an attachment, of every account and region, read in one view of the store.</summary>
    public async Task<(List<RunningInstance> Instances, List<AttachedVolume> Volumes)> InstancesAndVolumesAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await store.OpenReadAsync(ct).ConfigureAwait(false);
            var instances = await ReadAsync(session, ResourceTypes.Instance, RunningCondition, ProjectInstance, ct).ConfigureAwait(false);
            var volumes = await ReadAsync(session, ResourceTypes.Volume, AttachedCondition, ProjectVolume, ct).ConfigureAwait(false);
            return (instances, volumes);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What <paramref name="project"/> makes of the candidates of <paramref name="type"/>, in the scopes that hold any.</summary>
    private async Task<List<T>> ReadAsync<T>(IStoreSession session, ResourceType type, IReadOnlyList<IndexCondition> conditions,
        Func<StoredResource, T?> project, CancellationToken ct)
        where T : class
    {
        T? Counted(StoredResource stored)
        {
            Interlocked.Increment(ref _decoded);
            return project(stored);
        }
        var values = new List<T>();
        foreach (var scope in await ResourceScopes.ListAsync(session, [type], ct).ConfigureAwait(false))
        {
            values.AddRange(await _kept.ProjectAsync(session, scope, type, conditions, Counted, ct).ConfigureAwait(false));
        }
        return values;
    }

    public void Dispose() => _gate.Dispose();

    private static RunningInstance? ProjectInstance(StoredResource stored)
    {
        var instance = JsonSerializer.Deserialize<InstanceResource>(stored.Document, ResourceStore.Json)!;
        return instance.State != InstanceStates.Running
            ? null
            : new RunningInstance(stored.Key.AccountId, stored.Key.Region, instance.Id, instance.ImageId, instance.InstanceType, instance.MonitoringEnabled, instance.VCpus,
                instance.CpuCredits, instance.Tags.FirstOrDefault(t => t.Key == AutoScalingGroupTag)?.Value, instance.LaunchTime, instance.RootDeviceName);
    }

    private static AttachedVolume? ProjectVolume(StoredResource stored)
    {
        var volume = JsonSerializer.Deserialize<VolumeResource>(stored.Document, ResourceStore.Json)!;
        var attachments = volume.Attachments.Where(a => a.State == VolumeStates.Attached).Select(a => (a.InstanceId, a.Device)).ToArray();
        return attachments.Length == 0 ? null : new AttachedVolume(stored.Key.AccountId, stored.Key.Region, volume.Id, volume.VolumeType, volume.Size, volume.Iops, attachments);
    }
}
