using Microsoft.Extensions.Logging;
using Stratus.Domain.Instances;
using Stratus.Runtime.Container;
using Stratus.Runtime.Host;
using Stratus.Runtime.MicroVm;
using Stratus.Runtime.Network;

namespace Stratus.Runtime;

/// <summary>Settings of the mock runtime.</summary>
public sealed record MockRuntimeOptions
{
    /// <summary>How long a boot takes (pending → running). Default 1 s.</summary>
    public TimeSpan BootTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a clean shutdown takes (stopping → stopped, shutting-down → terminated). Default 1 s.</summary>
    public TimeSpan ShutdownTime { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>The instance runtimes a host can offer.</summary>
public static class InstanceRuntimes
{
    /// <summary>
    /// The API-only runtime: instances go through EC2's whole state machine with realistic
    /// timings and a console log, but no guest runs. For CI of infrastructure code and hosts
    /// without virtualisation.
    /// </summary>
    public static IInstanceRuntime Mock(MockRuntimeOptions? options = null, TimeProvider? clock = null) =>
        new MockRuntime(options ?? new MockRuntimeOptions(), clock ?? TimeProvider.System);

    /// <summary>
    /// The system-container runtime: each instance runs the image's init as PID 1 under crun, with
    /// its own PID, mount, UTS, IPC and network namespaces, a copy-on-write root (overlayfs over
    /// the image's rootfs; the root volume holds the changes) and cgroup limits from its instance
    /// type. Needs root, crun and overlayfs: check <see cref="ContainerRuntime.Probe"/> first.
    /// </summary>
    public static IInstanceRuntime Container(HostRuntimeOptions options, IHostNetwork network, ILoggerFactory? logs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(network);
        return new ContainerRuntime(options, network, logs);
    }

    /// <summary>
    /// Real guests as QEMU <c>-M microvm</c> virtual machines (KVM when the host's KVM boots
    /// guests, TCG otherwise; see <see cref="MicroVmAcceleratorProbe"/>), booting the kernel and
    /// disk of the image named by the instance's AMI from <see cref="HostRuntimeOptions.ImageDirectory"/>.
    /// Needs root, <c>qemu-system-x86_64</c>, <c>qemu-img</c> and <c>mkfs.ext4</c>.
    /// </summary>
    public static IInstanceRuntime MicroVm(HostRuntimeOptions options, IHostNetwork network, ILoggerFactory? logs = null) =>
        new MicroVmRuntime(options, network, logs);
}
