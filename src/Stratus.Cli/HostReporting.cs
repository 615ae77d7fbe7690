using Stratus.Runtime.Container;
using Stratus.Runtime.Images;
using Stratus.Server.Operations;

namespace Stratus.Cli;

/// <summary>What <c>stratus serve</c> tells the server about the host, for <c>/_stratus/status</c>.</summary>
internal static class HostReporting
{
    public const string GuestNetwork = "a bridge per VPC in its own network namespace, nftables, dnsmasq";

    /// <summary>Every runtime in order of preference, with what this host lacks for it.</summary>
    public static IReadOnlyList<RuntimeCandidate> Candidates() =>
    [
        new("container", ContainerRuntime.Probe()),
        new("microvm", RuntimeSelection.MicroVmProbe()),
        new("mock", []),
    ];

    /// <summary>The accelerator microVMs get on this host, as far as can be told without booting one.</summary>
    public static string Accelerator()
    {
        if (Environment.GetEnvironmentVariable("STRATUS_MICROVM_ACCEL") is { Length: > 0 } forced)
        {
            return $"{forced.Trim().ToLowerInvariant()} (STRATUS_MICROVM_ACCEL)";
        }
        return KvmProblem() is { } problem ? $"tcg ({problem})" : "kvm (when a test boot under KVM succeeds, else tcg)";
    }

    /// <summary>Why KVM cannot be used here, or null when /dev/kvm opens.</summary>
    public static string? KvmProblem()
    {
        if (!File.Exists("/dev/kvm"))
        {
            return "no /dev/kvm: the CPU's virtualisation is off, not exposed to this VM, or the kvm module is not loaded";
        }
        try
        {
            using var kvm = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"/dev/kvm does not open ({e.Message})";
        }
    }

    public static IReadOnlyList<ImageSummary> Images(GuestImageStore store) =>
        store.List().Select(i => new ImageSummary(
            i.Name,
            i.Manifest.Origin,
            i.KernelPath is { } k && File.Exists(k) ? "ready" : i.Manifest.KernelPending ? "pending" : "none",
            i.DiskPath is { } d && File.Exists(d) ? new FileInfo(d).Length : null,
            i.Manifest.BuiltAt)).ToList();

    public static IReadOnlyList<BackgroundWork> BackgroundWork()
    {
        var kernel = GuestKernelBuild.Shared.State;
        return kernel.State == "idle"
            ? []
            : [new BackgroundWork("guest-kernel-build", kernel.State == "building" ? "running" : kernel.State == "ready" ? "done" : kernel.State, kernel.LastLine, kernel.StartedAt)];
    }

    public static HostReport Create(string requested, string note, string runtimeName, GuestImageStore images) => new()
    {
        RuntimeRequested = requested,
        RuntimeNote = note,
        Candidates = Candidates(),
        Network = runtimeName == "mock" ? "none" : GuestNetwork,
        Accelerator = runtimeName == "microvm" ? Accelerator : () => null,
        ImageDirectory = images.Root,
        Images = () => Images(images),
        BackgroundWork = BackgroundWork,
    };
}
