namespace Stratus.Domain.CloudWatch;

/// <summary>
/// Cumulative resource use of a guest as the host sees it (no agent in the guest): CPU seconds
/// consumed, bytes and packets into and out of the guest, and block I/O when the host can tell.
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
    long? DiskWriteOps);

/// <summary>A runtime that can report <see cref="GuestUsage"/> of the guests it runs.</summary>
public interface IGuestUsageSource
{
    /// <summary>The guest's usage counters now, or null when it runs no guest for the instance.</summary>
    GuestUsage? ReadUsage(string instanceId);
}
