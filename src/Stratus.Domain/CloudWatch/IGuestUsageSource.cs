namespace Stratus.Domain.CloudWatch;

/// <summary>
/// Cumulative resource use of a guest as the host sees it (no agent in the guest): CPU seconds
/// consumed, bytes and packets into and out of the guest, and block I/O when the host can tell.
/// The Disk* figures are the guest's EBS I/O (all volumes); <paramref name="Devices"/>, when the
/// runtime counts per block device (a microVM's QMP <c>query-blockstats</c>), splits it by volume
/// and adds the instance store.
/// </summary>
public sealed record GuestUsage(
    double CpuSeconds,
    int VCpus,
    long NetworkInBytes,
    long NetworkOutBytes,
    long NetworkInPackets,
    long NetworkOutPackets,
    long? DiskReadBytes,
    long? DiskWriteBytes,
    long? DiskReadOps,
    long? DiskWriteOps,
    IReadOnlyList<BlockDeviceUsage>? Devices = null);

/// <summary>Cumulative I/O of one block device of a guest: an EBS volume (<paramref name="VolumeId"/>) or the instance store (null).</summary>
public sealed record BlockDeviceUsage(string? VolumeId, long ReadBytes, long WriteBytes, long ReadOps, long WriteOps);

/// <summary>A runtime that can report <see cref="GuestUsage"/> of the guests it runs.</summary>
public interface IGuestUsageSource
{
    /// <summary>The guest's usage counters now, or null when it runs no guest for the instance.</summary>
    GuestUsage? ReadUsage(string instanceId);
}
