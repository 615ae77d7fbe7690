using System.Text.Json;
using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.Regions;
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
/// publishers read them every round. What was read is kept between rounds: a round reads the ids
/// and versions of the candidates from the store's index alone (instances whose
/// <c>instance-state-name</c> entry is <c>running</c>, volumes with an <c>attachment.instance-id</c>
/// entry) and the documents of only those it does not hold at that version, so a round over
/// 10,000 unchanged instances decodes no document. Only the few fields the publishers use are
/// kept, not the decoded documents. A document's own state still decides (the index narrows).
/// </summary>
internal sealed class RunningResources(IStateStore store) : IDisposable
{
    /// <summary>The tag Auto Scaling puts on the instances of a group.</summary>
    public const string AutoScalingGroupTag = "aws:autoscaling:groupName";

    private static readonly IReadOnlyList<IndexCondition> RunningCondition = [IndexCondition.Equal("instance-state-name", [InstanceStates.Running])];
    private static readonly IReadOnlyList<IndexCondition> AttachedCondition = [new IndexCondition(["attachment.instance-id"], null)];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<(string Account, string Region, string Id), (long Version, RunningInstance? Value)> _instances = [];
    private Dictionary<(string Account, string Region, string Id), (long Version, AttachedVolume? Value)> _volumes = [];

    /// <summary>How many documents the rounds so far decoded (instances and volumes).</summary>
    public long Decoded { get; private set; }

    /// <summary>The running instances of every account and region.</summary>
    public async Task<List<RunningInstance>> InstancesAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await store.OpenReadAsync(ct).ConfigureAwait(false);
            var accounts = await session.ListAccountsAsync(ct).ConfigureAwait(false);
            return await RefreshInstancesAsync(session, accounts, ct).ConfigureAwait(false);
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
            var accounts = await session.ListAccountsAsync(ct).ConfigureAwait(false);
            var instances = await RefreshInstancesAsync(session, accounts, ct).ConfigureAwait(false);
            var (volumes, kept) = await RefreshAsync(session, accounts, ResourceTypes.Volume, AttachedCondition, _volumes, ProjectVolume, ct).ConfigureAwait(false);
            _volumes = kept;
            return (instances, volumes);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<List<RunningInstance>> RefreshInstancesAsync(IStoreSession session, IReadOnlyList<Account> accounts, CancellationToken ct)
    {
        var (instances, kept) = await RefreshAsync(session, accounts, ResourceTypes.Instance, RunningCondition, _instances, ProjectInstance, ct).ConfigureAwait(false);
        _instances = kept;
        return instances;
    }

    private async Task<(List<T> Values, Dictionary<(string, string, string), (long, T?)> Kept)> RefreshAsync<T>(IStoreSession session,
        IReadOnlyList<Account> accounts, ResourceType type, IReadOnlyList<IndexCondition> conditions,
        Dictionary<(string Account, string Region, string Id), (long Version, T? Value)> previous, Func<string, string, string, T?> project, CancellationToken ct)
        where T : class
    {
        var values = new List<T>();
        var kept = new Dictionary<(string, string, string), (long, T?)>(previous.Count);
        foreach (var region in RegionCatalog.All)
        {
            foreach (var account in accounts)
            {
                var versions = await session.ListVersionsAsync(account.AccountId, region.Name, type.Name, conditions, null, null, ct).ConfigureAwait(false);
                if (versions.Count == 0)
                {
                    continue;
                }
                List<string>? missing = null;
                foreach (var (id, version) in versions)
                {
                    if (version > 0 && previous.TryGetValue((account.AccountId, region.Name, id), out var entry) && entry.Version == version)
                    {
                        kept[(account.AccountId, region.Name, id)] = entry;
                        if (entry.Value is { } value)
                        {
                            values.Add(value);
                        }
                    }
                    else
                    {
                        (missing ??= []).Add(id);
                    }
                }
                if (missing is null)
                {
                    continue;
                }
                foreach (var stored in await session.GetManyAsync(account.AccountId, region.Name, type.Name, missing, ct).ConfigureAwait(false))
                {
                    Decoded++;
                    var value = project(account.AccountId, region.Name, stored.Document);
                    kept[(account.AccountId, region.Name, stored.Id)] = (stored.Version, value);
                    if (value is not null)
                    {
                        values.Add(value);
                    }
                }
            }
        }
        return (values, kept);
    }

    public void Dispose() => _gate.Dispose();

    private static RunningInstance? ProjectInstance(string account, string region, string document)
    {
        var instance = JsonSerializer.Deserialize<InstanceResource>(document, ResourceStore.Json)!;
        return instance.State != InstanceStates.Running
            ? null
            : new RunningInstance(account, region, instance.Id, instance.ImageId, instance.InstanceType, instance.MonitoringEnabled, instance.VCpus,
                instance.CpuCredits, instance.Tags.FirstOrDefault(t => t.Key == AutoScalingGroupTag)?.Value, instance.LaunchTime, instance.RootDeviceName);
    }

    private static AttachedVolume? ProjectVolume(string account, string region, string document)
    {
        var volume = JsonSerializer.Deserialize<VolumeResource>(document, ResourceStore.Json)!;
        var attachments = volume.Attachments.Where(a => a.State == VolumeStates.Attached).Select(a => (a.InstanceId, a.Device)).ToArray();
        return attachments.Length == 0 ? null : new AttachedVolume(account, region, volume.Id, volume.VolumeType, volume.Size, volume.Iops, attachments);
    }
}
