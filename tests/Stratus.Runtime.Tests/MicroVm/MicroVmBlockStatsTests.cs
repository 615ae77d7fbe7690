using System.Text.Json.Nodes;
using Stratus.Runtime.MicroVm;
using Xunit;

namespace Stratus.Runtime.Tests.MicroVm;

/// <summary>Per-drive I/O figures from QMP <c>query-blockstats</c>.</summary>
public sealed class MicroVmBlockStatsTests
{
    private const string Answer = """
        [
          {"device": "root", "node-name": "#block123", "stats": {"rd_bytes": 4096000, "wr_bytes": 8192, "rd_operations": 500, "wr_operations": 2, "flush_operations": 1}},
          {"device": "store", "stats": {"rd_bytes": 1024, "wr_bytes": 2048, "rd_operations": 1, "wr_operations": 2}},
          {"device": "vol0", "stats": {"rd_bytes": 512, "wr_bytes": 1048576, "rd_operations": 1, "wr_operations": 256}},
          {"device": "", "node-name": "#block999", "stats": {"rd_bytes": 7, "wr_bytes": 7, "rd_operations": 7, "wr_operations": 7}}
        ]
        """;

    private static readonly MicroVmDrive[] Drives = [new("root", "vol-root"), new("store", null), new("vol0", "vol-data")];

    [Fact]
    public void Each_drive_reports_its_own_volume_and_unknown_drives_are_left_out()
    {
        var devices = MicroVmBlockStats.Parse(JsonNode.Parse(Answer), Drives);
        var expected = new[]
        {
            new Stratus.Domain.CloudWatch.BlockDeviceUsage("vol-root", 4096000, 8192, 500, 2),
            new Stratus.Domain.CloudWatch.BlockDeviceUsage(null, 1024, 2048, 1, 2),
            new Stratus.Domain.CloudWatch.BlockDeviceUsage("vol-data", 512, 1048576, 1, 256),
        };
        Assert.Equal(expected, devices.ToArray());
        Assert.Empty(MicroVmBlockStats.Parse(null, Drives));
    }

    [Fact]
    public void The_guests_disk_figures_are_its_ebs_volumes_and_the_instance_store_stays_apart()
    {
        var usage = new Stratus.Domain.CloudWatch.GuestUsage(1.5, 1, 10, 20, 1, 2, 999, 999, 999, 999);
        var devices = MicroVmBlockStats.Parse(JsonNode.Parse(Answer), Drives);
        var withDevices = MicroVmBlockStats.WithDevices(usage, devices);
        Assert.Equal(4096000 + 512, withDevices.DiskReadBytes);
        Assert.Equal(8192 + 1048576, withDevices.DiskWriteBytes);
        Assert.Equal(501, withDevices.DiskReadOps);
        Assert.Equal(258, withDevices.DiskWriteOps);
        Assert.Same(devices, withDevices.Devices);
        Assert.Equal(1.5, withDevices.CpuSeconds);
    }
}
