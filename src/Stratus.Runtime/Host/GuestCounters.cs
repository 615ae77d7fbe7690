using System.Globalization;
using Stratus.Domain.CloudWatch;

namespace Stratus.Runtime.Host;

/// <summary>
/// Reads a guest's usage from the host: CPU time from the cgroup of its process (cgroup v2
/// <c>cpu.stat</c> usage_usec, or v1 <c>cpuacct.usage</c> on a hybrid host) or, when it has none of
/// its own, the process's utime+stime;
/// block I/O from the cgroup's <c>io.stat</c>; network counters of one device from
/// <c>/proc/&lt;pid&gt;/net/dev</c> (the network namespace the process lives in).
/// </summary>
public static class GuestCounters
{
    /// <param name="pid">The guest process (container init, QEMU).</param>
    /// <param name="device">The interface whose counters to read, in the process's namespace.</param>
    /// <param name="guestSide">True when the device is the guest's own interface (receive = in); false for a host-side tap (receive = out).</param>
    public static GuestUsage? Read(int pid, string device, bool guestSide, int vcpus)
    {
        try
        {
            var cgroup = CgroupDirectory(pid);
            double cpu;
            long? rbytes = null, wbytes = null, rios = null, wios = null;
            if (cgroup is not null && File.Exists(Path.Combine(cgroup, "cpu.stat")))
            {
                cpu = ReadKey(File.ReadAllLines(Path.Combine(cgroup, "cpu.stat")), "usage_usec") / 1e6;
                if (File.Exists(Path.Combine(cgroup, "io.stat")))
                {
                    rbytes = wbytes = rios = wios = 0;
                    foreach (var line in File.ReadAllLines(Path.Combine(cgroup, "io.stat")))
                    {
                        foreach (var field in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
                        {
                            var kv = field.Split('=', 2);
                            if (kv.Length == 2 && long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                            {
                                switch (kv[0])
                                {
                                    case "rbytes": rbytes += v; break;
                                    case "wbytes": wbytes += v; break;
                                    case "rios": rios += v; break;
                                    case "wios": wios += v; break;
                                }
                            }
                        }
                    }
                }
            }
            else if (CgroupV1Directory(pid, "cpuacct") is { } cpuacct && File.Exists(Path.Combine(cpuacct, "cpuacct.usage")))
            {
                // A hybrid (v1) host: cpuacct counts nanoseconds, blkio's throttle files count bytes and operations.
                cpu = double.Parse(File.ReadAllText(Path.Combine(cpuacct, "cpuacct.usage")).Trim(), CultureInfo.InvariantCulture) / 1e9;
                if (CgroupV1Directory(pid, "blkio") is { } blkio)
                {
                    (rbytes, wbytes) = ReadBlkio(Path.Combine(blkio, "blkio.throttle.io_service_bytes"));
                    (rios, wios) = ReadBlkio(Path.Combine(blkio, "blkio.throttle.io_serviced"));
                }
            }
            else
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                cpu = ticks / 100.0;
                var io = $"/proc/{pid}/io";
                if (File.Exists(io))
                {
                    var lines = File.ReadAllLines(io);
                    rbytes = (long)ReadKey(lines, "read_bytes:");
                    wbytes = (long)ReadKey(lines, "write_bytes:");
                }
            }
            long inBytes = 0, outBytes = 0, inPackets = 0, outPackets = 0;
            foreach (var line in File.ReadAllLines($"/proc/{pid}/net/dev").Skip(2))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0 || line[..colon].Trim() != device)
                {
                    continue;
                }
                var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                (long rxB, long rxP, long txB, long txP) = (f[0], f[1], f[8], f[9]);
                (inBytes, inPackets, outBytes, outPackets) = guestSide ? (rxB, rxP, txB, txP) : (txB, txP, rxB, rxP);
            }
            return new GuestUsage(cpu, vcpus, inBytes, outBytes, inPackets, outPackets, rbytes, wbytes, rios, wios);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static string? CgroupDirectory(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            if (line.StartsWith("0::", StringComparison.Ordinal))
            {
                var path = line[3..];
                return path is "/" or "" ? null : "/sys/fs/cgroup" + path;
            }
        }
        return null;
    }

    private static string? CgroupV1Directory(int pid, string controller)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Split(',').Contains(controller) && parts[2] is not ("/" or ""))
            {
                foreach (var mount in new[] { controller, "cpu,cpuacct", "cpuacct,cpu" })
                {
                    var dir = "/sys/fs/cgroup/" + mount + parts[2];
                    if (Directory.Exists(dir))
                    {
                        return dir;
                    }
                }
            }
        }
        return null;
    }

    private static (long? Read, long? Write) ReadBlkio(string file)
    {
        if (!File.Exists(file))
        {
            return (null, null);
        }
        long read = 0, write = 0;
        foreach (var line in File.ReadAllLines(file))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                if (parts[1] == "Read")
                {
                    read += v;
                }
                else if (parts[1] == "Write")
                {
                    write += v;
                }
            }
        }
        return (read, write);
    }

    private static double ReadKey(IEnumerable<string> lines, string key)
    {
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0] == key)
            {
                return double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }
}
