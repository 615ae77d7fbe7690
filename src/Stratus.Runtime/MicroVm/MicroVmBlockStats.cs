using System.Text.Json.Nodes;
using Stratus.Domain.CloudWatch;

namespace Stratus.Runtime.MicroVm;

/// <summary>
/// Per-drive I/O of a microVM from QMP <c>query-blockstats</c>: each <c>-drive id=…</c> reports its
/// own bytes and operations (what the guest's virtio-blk device asked of it), so each EBS volume and
/// the instance store get their own figures.
/// </summary>
internal static class MicroVmBlockStats
{
    /// <summary>The drives' figures: <paramref name="drives"/> maps QEMU's drive id to the volume id (null for the instance store); unknown drives are left out.</summary>
    public static IReadOnlyList<BlockDeviceUsage> Parse(JsonNode? blockstats, IReadOnlyList<MicroVmDrive> drives)
    {
        var result = new List<BlockDeviceUsage>();
        foreach (var entry in blockstats as JsonArray ?? [])
        {
            var name = entry?["device"]?.GetValue<string>();
            var drive = drives.FirstOrDefault(d => d.Id == name);
            if (drive is null || entry?["stats"] is not JsonObject stats)
            {
                continue;
            }
            result.Add(new BlockDeviceUsage(drive.VolumeId, Long(stats, "rd_bytes"), Long(stats, "wr_bytes"), Long(stats, "rd_operations"), Long(stats, "wr_operations")));
        }
        return result;
    }

    /// <summary>The guest's usage with its EBS I/O (all volumes) as the Disk* figures and every drive in <see cref="GuestUsage.Devices"/>.</summary>
    public static GuestUsage WithDevices(GuestUsage usage, IReadOnlyList<BlockDeviceUsage> devices)
    {
        var ebs = devices.Where(d => d.VolumeId is not null).ToList();
        return usage with
        {
            DiskReadBytes = ebs.Sum(d => d.ReadBytes),
            DiskWriteBytes = ebs.Sum(d => d.WriteBytes),
            DiskReadOps = ebs.Sum(d => d.ReadOps),
            DiskWriteOps = ebs.Sum(d => d.WriteOps),
            Devices = devices,
        };
    }

    private static long Long(JsonObject stats, string name) => stats[name] is JsonValue value && value.TryGetValue<long>(out var n) ? n : 0;
}

/// <summary>A drive of a microVM: QEMU's id and the EBS volume behind it (null: the instance store).</summary>
internal sealed record MicroVmDrive(string Id, string? VolumeId);
