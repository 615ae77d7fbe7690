using Microsoft.Extensions.Logging;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Instances;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Publishes <c>AWS/EBS</c> metrics of every volume attached to a running instance, with the
/// VolumeId dimension, in 5-minute slots (1-minute for io1/io2), as AWS does: VolumeReadBytes and
/// VolumeWriteBytes (statistic sets: Sum = bytes, SampleCount = operations, so Average is the
/// average operation size), VolumeReadOps, VolumeWriteOps, VolumeTotalReadTime,
/// VolumeTotalWriteTime, VolumeIdleTime, VolumeQueueLength, BurstBalance (gp2, st1, sc1) and
/// VolumeThroughputPercentage/VolumeConsumedReadWriteOps (io1, io2). The I/O is the guest's block
/// I/O as the runtime counts it (<see cref="IGuestUsageSource"/>): per volume where the runtime
/// counts per block device (a microVM: QMP <c>query-blockstats</c> of each drive); otherwise (the
/// container's cgroup io.stat) all of it is the root volume's and other volumes read 0, as does
/// everything on the mock runtime. Neither
/// source measures time per operation: the total read/write times and the queue length are 0, and
/// a sample without I/O counts as idle time.
/// </summary>
internal sealed class EbsMetricsPublisher(MetricStore metrics, RunningResources resources, IInstanceRuntime runtime, ServerOptions options,
    TimeProvider clock, ILogger<EbsMetricsPublisher> logger) : MetricsPublisher(options, clock, logger)
{
    private readonly Dictionary<string, VolumeState> _volumes = new(StringComparer.Ordinal);

    private sealed class VolumeState(EbsVolumeModel model, string type, int size, int? iops)
    {
        public EbsVolumeModel Model { get; } = model;
        public string Type { get; } = type;
        public int Size { get; } = size;
        public int? Iops { get; } = iops;
        public GuestUsage? Previous { get; set; }
        public long At { get; set; }
    }

    public override async Task PublishAsync(CancellationToken ct)
    {
        var nowMs = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var now = nowMs / 1000;
        var attached = new List<(string Account, string Region, AttachedVolume Volume, RunningInstance Instance, string Device)>();
        var (instances, volumes) = await resources.InstancesAndVolumesAsync(ct).ConfigureAwait(false);
        var running = new Dictionary<(string Region, string Id), RunningInstance>();
        foreach (var instance in instances)
        {
            running[(instance.Region, instance.Id)] = instance;
        }
        foreach (var volume in volumes)
        {
            foreach (var (instanceId, device) in volume.Attachments)
            {
                if (running.TryGetValue((volume.Region, instanceId), out var instance))
                {
                    attached.Add((volume.AccountId, volume.Region, volume, instance, device));
                    break;
                }
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var usage = new Dictionary<string, GuestUsage?>(StringComparer.Ordinal);
        foreach (var (account, region, volume, instance, device) in attached)
        {
            seen.Add(volume.Id);
            if (!_volumes.TryGetValue(volume.Id, out var state) || state.Type != volume.VolumeType || state.Size != volume.Size || state.Iops != volume.Iops)
            {
                state = new VolumeState(new EbsVolumeModel(volume.VolumeType, volume.Size, volume.Iops), volume.VolumeType, volume.Size, volume.Iops) { At = nowMs };
                _volumes[volume.Id] = state;
            }
            GuestUsage? counters = null;
            if (runtime is IGuestUsageSource source)
            {
                if (!usage.TryGetValue(instance.Id, out var guest))
                {
                    guest = source.ReadUsage(instance.Id);
                    usage[instance.Id] = guest;
                }
                if (guest?.Devices is { } devices)
                {
                    // Counted per block device: this volume's own figures (0 until it is plugged in).
                    counters = devices.FirstOrDefault(d => d.VolumeId == volume.Id) is { } own
                        ? new GuestUsage(0, 0, 0, 0, 0, 0, own.ReadBytes, own.WriteBytes, own.ReadOps, own.WriteOps)
                        : null;
                }
                else if (device == instance.RootDeviceName)
                {
                    counters = guest;
                }
            }
            var seconds = (nowMs - state.At) / 1000.0;
            long readBytes = 0, writeBytes = 0, readOps = 0, writeOps = 0;
            if (counters is not null && state.Previous is { } before)
            {
                readBytes = Delta(counters.DiskReadBytes, before.DiskReadBytes);
                writeBytes = Delta(counters.DiskWriteBytes, before.DiskWriteBytes);
                readOps = Delta(counters.DiskReadOps, before.DiskReadOps);
                writeOps = Delta(counters.DiskWriteOps, before.DiskWriteOps);
            }
            state.Previous = counters;
            state.At = nowMs;
            if (seconds <= 0)
            {
                continue; // the first sample of a volume only sets the baseline
            }
            var model = state.Model;
            model.Advance(seconds, readOps + writeOps, readBytes + writeBytes);
            var slot = now - now % model.PeriodSeconds;
            KeyValuePair<string, string>[] dimensions = [new("VolumeId", volume.Id)];
            void Put(string name, string unit, MetricAggregate value) =>
                metrics.Put(SeriesKey.Create(account, region, "AWS/EBS", name, dimensions), slot, unit, value, now);
            Put("VolumeReadBytes", "Bytes", Sized(readBytes, readOps));
            Put("VolumeWriteBytes", "Bytes", Sized(writeBytes, writeOps));
            Put("VolumeReadOps", "Count", MetricAggregate.FromValue(readOps));
            Put("VolumeWriteOps", "Count", MetricAggregate.FromValue(writeOps));
            Put("VolumeTotalReadTime", "Seconds", MetricAggregate.FromValue(0));
            Put("VolumeTotalWriteTime", "Seconds", MetricAggregate.FromValue(0));
            Put("VolumeIdleTime", "Seconds", MetricAggregate.FromValue(readOps + writeOps == 0 ? seconds : 0));
            Put("VolumeQueueLength", "Count", MetricAggregate.FromValue(0));
            if (model.HasBurstBalance)
            {
                Put("BurstBalance", "Percent", MetricAggregate.FromValue(model.BurstBalancePercent));
            }
            if (model.IsProvisionedIops)
            {
                Put("VolumeThroughputPercentage", "Percent", MetricAggregate.FromValue(model.ThroughputPercent(seconds, readOps + writeOps)));
                Put("VolumeConsumedReadWriteOps", "Count", MetricAggregate.FromValue(EbsVolumeModel.ConsumedOps(readOps + writeOps, readBytes + writeBytes)));
            }
        }
        foreach (var gone in _volumes.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _volumes.Remove(gone);
        }
    }

    private static long Delta(long? now, long? before) => now is { } n && before is { } b ? Math.Max(0, n - b) : 0;

    /// <summary>Bytes of <paramref name="ops"/> operations: a statistic set whose Average is the operation size; 0 without operations.</summary>
    private static MetricAggregate Sized(long bytes, long ops)
    {
        if (ops <= 0 || bytes <= 0)
        {
            return MetricAggregate.FromValue(bytes);
        }
        var size = (double)bytes / ops;
        return MetricAggregate.FromStatistics(ops, bytes, size, size);
    }
}
