using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Runtime.Container;

/// <summary>What goes into a system container's OCI <c>config.json</c>.</summary>
internal sealed record ContainerSpec(
    string RootFs,
    string Init,
    string HostName,
    string NetworkNamespacePath,
    string CgroupsPath,
    long MemoryBytes,
    long CpuQuotaMicroseconds,
    long PidsLimit,
    string? InstanceStore)
{
    /// <summary>
    /// A FIFO on the host whose reader appends to the console log, bind-mounted as the container's
    /// <c>/dev/console</c>: what the guest writes there (systemd's status lines, cloud-init, the
    /// console markers) lands in the log as a microVM's serial console does. Null: no /dev/console.
    /// </summary>
    public string? ConsoleFifo { get; init; }

    public const long CpuPeriodMicroseconds = 100_000;

    /// <summary>
    /// A system container's capabilities: Docker's default set, plus what an init and a guest
    /// administrator expect of a machine (network configuration, mounts, reboot of its own PID
    /// namespace, resource limits).
    /// </summary>
    private static readonly IReadOnlyList<(string Name, int Bit)> WantedCapabilities =
    [
        ("CAP_CHOWN", 0), ("CAP_DAC_OVERRIDE", 1), ("CAP_DAC_READ_SEARCH", 2), ("CAP_FOWNER", 3), ("CAP_FSETID", 4),
        ("CAP_KILL", 5), ("CAP_SETGID", 6), ("CAP_SETUID", 7), ("CAP_SETPCAP", 8), ("CAP_NET_BIND_SERVICE", 10),
        ("CAP_NET_ADMIN", 12), ("CAP_NET_RAW", 13), ("CAP_IPC_LOCK", 14), ("CAP_SYS_CHROOT", 18), ("CAP_SYS_PTRACE", 19),
        ("CAP_SYS_ADMIN", 21), ("CAP_SYS_BOOT", 22), ("CAP_SYS_NICE", 23), ("CAP_SYS_RESOURCE", 24), ("CAP_MKNOD", 27),
        ("CAP_LEASE", 28), ("CAP_AUDIT_WRITE", 29), ("CAP_SETFCAP", 31),
    ];

    /// <summary>The wanted capabilities this host can grant (those in Stratus's own bounding set; capset fails on any other).</summary>
    public static IReadOnlyList<string> Capabilities { get; } = Grantable();

    private static List<string> Grantable()
    {
        var bounding = ulong.MaxValue;
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
            if (line is not null)
            {
                bounding = ulong.Parse(line["CapBnd:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return WantedCapabilities.Where(c => (bounding & (1UL << c.Bit)) != 0).Select(c => c.Name).ToList();
    }

    public string ToJson()
    {
        var caps = new JsonArray(Capabilities.Select(c => (JsonNode)JsonValue.Create(c)).ToArray());
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            Mount("/run", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755", "size=65536k"),
        };
        if (InstanceStore is not null)
        {
            mounts.Add(Mount("/media/ephemeral0", "bind", InstanceStore, "rbind", "rw"));
        }
        if (ConsoleFifo is not null)
        {
            mounts.Add(Mount("/dev/console", "bind", ConsoleFifo, "bind", "rw"));
        }
        var config = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray(Init),
                ["env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=stratus", "TERM=linux"),
                ["cwd"] = "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = caps.DeepClone(),
                    ["effective"] = caps.DeepClone(),
                    ["permitted"] = caps.DeepClone(),
                    ["inheritable"] = caps.DeepClone(),
                },
                ["noNewPrivileges"] = false,
            },
            ["root"] = new JsonObject { ["path"] = RootFs, ["readonly"] = false },
            ["hostname"] = HostName,
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray
                {
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "mount" },
                    new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "network", ["path"] = NetworkNamespacePath },
                },
                ["cgroupsPath"] = CgroupsPath,
                ["resources"] = new JsonObject
                {
                    ["memory"] = new JsonObject { ["limit"] = MemoryBytes },
                    ["cpu"] = new JsonObject { ["quota"] = CpuQuotaMicroseconds, ["period"] = CpuPeriodMicroseconds },
                    ["pids"] = new JsonObject { ["limit"] = PidsLimit },
                },
                ["maskedPaths"] = new JsonArray(
                    "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"),
                ["readonlyPaths"] = new JsonArray("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger"),
            },
        };
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray(options.Select(o => (JsonNode)JsonValue.Create(o)).ToArray()),
    };
}
