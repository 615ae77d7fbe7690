using Microsoft.Extensions.Logging;
using Stratus.Domain.Instances;
using Stratus.Runtime;
using Stratus.Runtime.Container;
using Stratus.Runtime.Host;
using Stratus.Runtime.Network;

namespace Stratus.Cli;

/// <summary>
/// Chooses the instance runtime of <c>stratus serve</c>: the one asked for, or with <c>auto</c>
/// the best this host offers — a system container when the host can run them (root, crun,
/// overlayfs), else the API-only mock — and says why.
/// </summary>
internal static class RuntimeSelection
{
    public static readonly string[] Names = ["auto", "container", "microvm", "mock"];

    /// <summary>The runtime, or the reasons the one asked for cannot run here.</summary>
    public static (IInstanceRuntime? Runtime, string Note) Create(string name, HostRuntimeOptions host, MockRuntimeOptions mock, ILoggerFactory logs)
    {
        var containerMissing = ContainerRuntime.Probe();
        var microVmMissing = MicroVmProbe();
        switch (name)
        {
            case "mock":
                return (InstanceRuntimes.Mock(mock), "API only: no guest runs");
            case "container" when containerMissing.Count > 0:
                return (null, "the container runtime needs: " + string.Join("; ", containerMissing));
            case "microvm" when microVmMissing.Count > 0:
                return (null, "the microvm runtime needs: " + string.Join("; ", microVmMissing));
            case "container":
                return (InstanceRuntimes.Container(host, Network(host, logs), logs), "system containers (crun)");
            case "microvm":
                return (InstanceRuntimes.MicroVm(host, Network(host, logs), logs), "QEMU microVMs (KVM when it boots guests, TCG otherwise)");
            default:
                if (containerMissing.Count == 0)
                {
                    return (InstanceRuntimes.Container(host, Network(host, logs), logs), "system containers (crun), the best this host offers");
                }
                if (microVmMissing.Count == 0)
                {
                    return (InstanceRuntimes.MicroVm(host, Network(host, logs), logs), "QEMU microVMs; containers unavailable: " + string.Join("; ", containerMissing));
                }
                return (InstanceRuntimes.Mock(mock), "API only (no guest runs); containers need: " + string.Join("; ", containerMissing));
        }
    }

    /// <summary>Loggers for the runtime and the host network, in the server's log format.</summary>
    public static ILoggerFactory Logging(string format) => LoggerFactory.Create(b =>
    {
        // The host network's level as the server's own configuration spells it (Logging__LogLevel__Stratus.Network=Debug
        // logs each firewall apply's steps, timings and command count).
        if (Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("Logging__LogLevel__Stratus.Network"), ignoreCase: true, out var network))
        {
            b.AddFilter("Stratus.Network", network);
        }
        if (format == "json")
        {
            b.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }
    });

    private static IHostNetwork Network(HostRuntimeOptions host, ILoggerFactory logs)
    {
        var logger = logs.CreateLogger("Stratus.Network");
#pragma warning disable CA1848, CA2254 // repairs and leftovers, rare
        return HostNetworks.Linux(host, message => logger.LogInformation(message), logger.IsEnabled(LogLevel.Debug) ? message => logger.LogDebug(message) : null);
#pragma warning restore CA1848, CA2254
    }

    public static List<string> MicroVmProbe()
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            missing.Add("root (the microvm runtime creates taps and network namespaces)");
        }
        foreach (var (tool, package) in new[] { ("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"), ("mkfs.ext4", "e2fsprogs"), ("ip", "iproute2"), ("nft", "nftables"), ("dnsmasq", "dnsmasq-base") })
        {
            if (!OnPath(tool))
            {
                missing.Add($"{tool} (apt-get install {package})");
            }
        }
        return missing;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Any(d => File.Exists(Path.Combine(d, tool)));
}
