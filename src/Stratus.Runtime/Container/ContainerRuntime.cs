using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Runtime.Host;
using Stratus.Runtime.Images;
using Stratus.Runtime.Network;

namespace Stratus.Runtime.Container;

/// <summary>
/// Runs each instance as a system container under crun: its own PID, mount, UTS, IPC and network
/// namespaces, a copy-on-write root filesystem (overlayfs over the image's rootfs, the upper layer
/// being the root volume), cgroup limits from the instance type, the image's init as PID 1 and its
/// output as the console.
/// </summary>
public sealed partial class ContainerRuntime : IInstanceRuntime, Stratus.Domain.CloudWatch.IGuestUsageSource
{
    /// <summary>The line the guest's init prints once userspace is up.</summary>
    public const string InitMarker = "stratus-init: userspace reached";

    private const int ConsoleTailBytes = 64 * 1024;
    private const string StateFileName = "container.json";
    private const string ContainerPrefix = "stratus-";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly HostRuntimeOptions _options;
    private readonly IHostNetwork _network;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Guest> _guests = new(StringComparer.Ordinal);
    private readonly KeyedGate _gates = new();

    internal ContainerRuntime(HostRuntimeOptions options, IHostNetwork network, ILoggerFactory? logs)
    {
        _options = options;
        _network = network;
        _log = (ILogger?)logs?.CreateLogger<ContainerRuntime>() ?? NullLogger.Instance;
    }

    public string Name => "container";

    /// <summary>How long a clean stop waits for the init to exit after SIGTERM before it sends SIGKILL.</summary>
    internal TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the init has to print <see cref="InitMarker"/> before the guest counts as failed.</summary>
    internal TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The pids limit of every container.</summary>
    internal const long PidsLimit = 4096;

    /// <summary>
    /// What this host lacks to run system containers (empty when it has everything): root,
    /// crun, overlayfs, iproute2, and util-linux's setsid (and unshare on a hybrid cgroup host).
    /// </summary>
    public static IReadOnlyList<string> Probe()
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            return ["Linux"];
        }
        if (!HostTools.IsRoot())
        {
            missing.Add("root (the container runtime mounts filesystems and creates namespaces)");
        }
        if (HostTools.Which("crun") is null)
        {
            missing.Add("crun (apt-get install crun)");
        }
        if (!HasOverlayFs())
        {
            missing.Add("overlayfs (modprobe overlay)");
        }
        if (HostTools.Which("ip") is null)
        {
            missing.Add("ip (apt-get install iproute2)");
        }
        if (HostTools.Which("setsid") is null || (Crun.Layout == CgroupLayout.Hybrid && HostTools.Which("unshare") is null))
        {
            missing.Add("setsid and unshare (apt-get install util-linux)");
        }
        return missing;
    }

    private static bool HasOverlayFs()
    {
        try
        {
            return File.ReadLines("/proc/filesystems").Any(l => l.EndsWith("\toverlay", StringComparison.Ordinal))
                || Directory.Exists("/sys/module/overlay");
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.InstancesDirectory);
        Directory.CreateDirectory(_options.VolumesDirectory);
        var containers = await OurContainersAsync(cancellationToken).ConfigureAwait(false);
        foreach (var container in containers)
        {
            var instanceId = container.Id[ContainerPrefix.Length..];
            var record = ReadRecord(instanceId);
            if (record is { Running: true } && container.Status == "running")
            {
                continue; // ResumeAsync takes it up.
            }
            LogLeftover(_log, container.Id);
            await ReleaseHostResourcesAsync(instanceId, detachNetwork: false, cancellationToken).ConfigureAwait(false);
        }
        var running = containers.Where(c => c.Status == "running").Select(c => c.Id[ContainerPrefix.Length..]).ToHashSet(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories(_options.InstancesDirectory))
        {
            var instanceId = Path.GetFileName(directory);
            if (!File.Exists(Path.Combine(directory, StateFileName)) || (running.Contains(instanceId) && ReadRecord(instanceId) is { Running: true }))
            {
                continue;
            }
            await ReleaseHostResourcesAsync(instanceId, detachNetwork: false, cancellationToken).ConfigureAwait(false);
        }
        // The network keeps the interfaces of the guests ResumeAsync will take up, and removes the rest.
        var adoptable = running.Where(id => ReadRecord(id) is { Running: true }).ToHashSet(StringComparer.Ordinal);
        await _network.InitializeAsync(adoptable, cancellationToken).ConfigureAwait(false);
    }

    public Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken) =>
        Exclusive(boot.InstanceId, () => StartCoreAsync(boot, cancellationToken), cancellationToken);

    public Task ResumeAsync(InstanceBoot boot, CancellationToken cancellationToken) =>
        Exclusive(boot.InstanceId, () => ResumeCoreAsync(boot, cancellationToken), cancellationToken);

    public Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken) =>
        Exclusive(instanceId, () => StopCoreAsync(instanceId, force, cancellationToken), cancellationToken);

    public Task RebootAsync(string instanceId, CancellationToken cancellationToken) =>
        Exclusive(instanceId, () => RebootCoreAsync(instanceId, cancellationToken), cancellationToken);

    /// <summary>
    /// Root volume replacement: init ends, and the container starts again on the new root volume (a
    /// fresh upper layer over the image), on the same network; the instance store stays as it is.
    /// </summary>
    public Task ReplaceRootVolumeAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(boot);
        return Exclusive(boot.InstanceId, async () =>
        {
            await StopInitAsync(boot.InstanceId, force: false, cancellationToken).ConfigureAwait(false);
            await StartCoreAsync(boot, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task TerminateAsync(string instanceId, CancellationToken cancellationToken) =>
        Exclusive(instanceId, () => TerminateCoreAsync(instanceId, cancellationToken), cancellationToken);

    private async Task StartCoreAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var id = boot.InstanceId;
        var image = new GuestImageStore(_options.ImageDirectory).Find(boot.RuntimeImage ?? "")
            ?? throw new InvalidOperationException($"Guest image '{boot.RuntimeImage}' is not on this host (stratus images build/import).");
        var lower = image.RootFsPath is { } r && Directory.Exists(r)
            ? Path.GetFullPath(r)
            : throw new InvalidOperationException($"Guest image '{image.Name}' has no root filesystem directory for containers.");
        var root = boot.Disks.FirstOrDefault(d => d.IsRoot)
            ?? throw new InvalidOperationException($"Instance {id} has no root volume.");
        var paths = new Paths(_options, id);

        // Whatever an earlier, interrupted run left for this instance goes first.
        await ReleaseHostResourcesAsync(id, detachNetwork: true, cancellationToken).ConfigureAwait(false);

        Directory.CreateDirectory(paths.Instance);
        Directory.CreateDirectory(paths.RootFs);
        var volume = Path.GetFullPath(Path.Combine(_options.VolumesDirectory, root.VolumeId));
        Directory.CreateDirectory(Path.Combine(volume, "upper"));
        Directory.CreateDirectory(Path.Combine(volume, "work"));
        string? instanceStore = null;
        if (boot.InstanceStoreGiB > 0)
        {
            instanceStore = paths.InstanceStore;
            Directory.CreateDirectory(instanceStore);
        }

        var network = TimeSpan.Zero;
        try
        {
            HostTools.MountOverlay(lower, Path.Combine(volume, "upper"), Path.Combine(volume, "work"), paths.RootFs);
            await HostTools.RunAsync("ip", ["netns", "add", paths.NetnsName], cancellationToken).ConfigureAwait(false);
            var attachStarted = Stopwatch.GetTimestamp();
            var attachment = await _network.AttachVethAsync(boot.AccountId, boot.Region, id, boot.PrimaryNic, paths.NetnsPath, configureAddress: true, cancellationToken).ConfigureAwait(false);
            network = Stopwatch.GetElapsedTime(attachStarted);
            PrepareRootFs(paths.RootFs, boot.HostName, attachment.DnsServer);

            var memoryMiB = Math.Max(64, Math.Min(boot.MemoryMiB, _options.MaxGuestMemoryMiB));
            var vcpus = Math.Max(1, Math.Min(boot.VCpus, _options.MaxGuestVCpus));
            var spec = new ContainerSpec(
                paths.RootFs, image.Manifest.Init, boot.HostName, paths.NetnsPath, CgroupsPath(id),
                memoryMiB * 1024L * 1024L, vcpus * ContainerSpec.CpuPeriodMicroseconds, PidsLimit, instanceStore)
            { ConsoleFifo = paths.ConsoleFifo };
            await File.WriteAllTextAsync(paths.Config, spec.ToJson(), cancellationToken).ConfigureAwait(false);

            var record = new ContainerRecord(id, boot.AccountId, boot.Region, root.VolumeId, image.Name, Running: true, 0, null, 0);
            var guest = await RunInitAsync(boot, record, paths, cancellationToken).ConfigureAwait(false);
            LogStarted(_log, id, total.ElapsedMilliseconds, (long)network.TotalMilliseconds, guest.Pid);
        }
        catch
        {
            await ReleaseHostResourcesAsync(id, detachNetwork: true, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task ResumeCoreAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        var id = boot.InstanceId;
        var paths = new Paths(_options, id);
        var record = ReadRecord(id);
        var state = await Crun.StateAsync(ContainerId(id), cancellationToken).ConfigureAwait(false);
        if (record is { Running: true } && state is { Status: "running" } && HostTools.IsAlive(state.Pid)
            && (record.PidStartTime is null || HostTools.StartTime(state.Pid) == record.PidStartTime))
        {
            var guest = new Guest(boot, state.Pid, record.ConsoleOffset);
            Adopt(guest, paths);
            LogAdopted(_log, id, state.Pid);
            return;
        }
        LogRebooting(_log, id);
        await StartCoreAsync(boot, cancellationToken).ConfigureAwait(false);
    }

    private async Task StopCoreAsync(string instanceId, bool force, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        await StopInitAsync(instanceId, force, cancellationToken).ConfigureAwait(false);
        await ReleaseHostResourcesAsync(instanceId, detachNetwork: true, cancellationToken).ConfigureAwait(false);
        var paths = new Paths(_options, instanceId);
        EmptyDirectory(paths.InstanceStore);
        if (ReadRecord(instanceId) is { } record)
        {
            WriteRecord(paths, record with { Running = false, Pid = 0, PidStartTime = null });
        }
        LogStopped(_log, instanceId, started.ElapsedMilliseconds);
    }

    private async Task RebootCoreAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (!_guests.TryGetValue(instanceId, out var guest))
        {
            throw new InvalidOperationException($"Instance {instanceId} is not running on this host.");
        }
        await StopInitAsync(instanceId, force: false, cancellationToken).ConfigureAwait(false);
        var paths = new Paths(_options, instanceId);
        var record = ReadRecord(instanceId) ?? throw new InvalidOperationException($"Instance {instanceId} has no container state.");
        await RunInitAsync(guest.Boot, record, paths, cancellationToken).ConfigureAwait(false);
        LogRebooted(_log, instanceId);
    }

    private async Task TerminateCoreAsync(string instanceId, CancellationToken cancellationToken)
    {
        await StopCoreAsync(instanceId, force: false, cancellationToken).ConfigureAwait(false);
        var paths = new Paths(_options, instanceId);
        if (HostTools.MountsUnder(paths.Instance).Count == 0 && Directory.Exists(paths.Instance))
        {
            Directory.Delete(paths.Instance, recursive: true);
        }
    }

    public Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(volumeId) || volumeId.Contains('/', StringComparison.Ordinal) || volumeId.StartsWith('.'))
        {
            return Task.CompletedTask;
        }
        var directory = Path.GetFullPath(Path.Combine(_options.VolumesDirectory, volumeId));
        if (HostTools.OverlaysWithUpperIn(directory))
        {
            throw new InvalidOperationException($"Volume {volumeId} is the root of a running container.");
        }
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        return Task.CompletedTask;
    }

    public Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken) =>
        _network.SetPublicIpAsync(instanceId, publicIp, cancellationToken);

    public Task ApplyFirewallAsync(Stratus.Domain.Firewall.VpcFirewall firewall, CancellationToken cancellationToken) =>
        _network.ApplyFirewallAsync(firewall, cancellationToken);

    public Task<ServiceNamespace?> SetServiceAddressesAsync(string accountId, string region, string vpcId, IReadOnlyList<string> addresses,
        IReadOnlyList<KeyValuePair<string, string>> names, CancellationToken cancellationToken) =>
        _network.SetServiceAddressesAsync(accountId, region, vpcId, addresses, names, cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.FlowLogs.FlowCounter>> ReadFlowCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        _network.ReadFlowCountersAsync(accountId, region, vpcId, cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.TransitGateways.ConnectPeerBgpState>> ReadConnectPeerBgpAsync(CancellationToken cancellationToken) =>
        _network.ReadConnectPeerBgpAsync(cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter>> ReadNatGatewayCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        _network.ReadNatGatewayCountersAsync(accountId, region, vpcId, cancellationToken);

    /// <summary>Hot-plugs secondary interfaces: veths moved into (or removed from) the running container's namespace as <c>eth1</c>, <c>eth2</c>, ….</summary>
    public Task SyncSecondaryNicsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, CancellationToken cancellationToken) =>
        _guests.ContainsKey(instanceId)
            ? _network.SyncSecondaryVethsAsync(accountId, region, instanceId, nics, new Paths(_options, instanceId).NetnsPath, cancellationToken)
            : Task.CompletedTask;

    public async Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken)
    {
        var console = new Paths(_options, instanceId).Console;
        if (!File.Exists(console))
        {
            return "";
        }
        await using var stream = new FileStream(console, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var start = Math.Max(0, stream.Length - ConsoleTailBytes);
        stream.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[stream.Length - start];
        await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        var text = Encoding.UTF8.GetString(buffer);
        // A tail cut in the middle of a line starts at the next one.
        return start > 0 && text.IndexOf('\n', StringComparison.Ordinal) is var newline and >= 0 ? text[(newline + 1)..] : text;
    }

    public GuestHealth? GetHealth(string instanceId) =>
        _guests.TryGetValue(instanceId, out var guest)
            ? new GuestHealth(HostTools.IsAlive(guest.Pid), guest.ReachedInit is true && !Answers(guest.Pid) ? false : guest.ReachedInit)
            : null;

    /// <summary>
    /// The instance status check of a booted guest: EC2 sends ARP requests to the instance's network
    /// interface, and a guest that no longer holds its addresses or whose interface is down fails
    /// it. Here the guest answers while its network namespace keeps a route through <c>eth0</c>:
    /// an IPv4 one, or an IPv6 one other than the link-local and multicast routes every interface
    /// that is up has (taking the link down or flushing its addresses removes them). Read from the
    /// init's <c>/proc/PID/net</c>, the namespace as the host sees it, nothing the guest reports; a
    /// process that is gone counts as answering (the system status check reports it).
    /// </summary>
    internal static bool Answers(int pid)
    {
        var proc = "/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/net/";
        string[] v4, v6;
        try
        {
            v4 = File.ReadAllLines(proc + "route");
            v6 = File.Exists(proc + "ipv6_route") ? File.ReadAllLines(proc + "ipv6_route") : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
        // route: "Iface Destination Gateway Flags ..." (tab-separated, a header line);
        // ipv6_route: "dest plen src plen nexthop metric refcnt use flags device".
        return v4.Skip(1).Any(line => line.Split('\t', 2)[0].Trim() == "eth0")
            || v6.Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Any(f => f.Length == 10 && f[9] == "eth0" && !f[0].StartsWith("fe80", StringComparison.Ordinal) && !f[0].StartsWith("ff", StringComparison.Ordinal));
    }

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress) =>
        _network.ResolveMetadataCaller(localAddress, remoteAddress);

    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        var ids = _guests.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var container in await OurContainersAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(container.Id[ContainerPrefix.Length..]);
        }
        await Task.WhenAll(ids.Select(async id =>
        {
            if (_guests.TryGetValue(id, out var guest))
            {
                guest.EndWatch(); // before waiting for the gate: a guest reboot in progress must not start it again
            }
            try
            {
                await Exclusive(id, async () =>
                {
                    await StopInitAsync(id, force: true, cancellationToken).ConfigureAwait(false);
                    await ReleaseHostResourcesAsync(id, detachNetwork: false, cancellationToken).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HostCommandException or IOException)
            {
                LogShutdownFailed(_log, e, id);
            }
        })).ConfigureAwait(false);
        await _network.ShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var guest in _guests.Values)
        {
            guest.EndWatch();
        }
        _guests.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The init exited on its own. A guest that rebooted itself (the kernel ends PID 1 of the
    /// namespace with SIGHUP: status 129) boots again in place, as an EC2 instance does; any other
    /// exit (poweroff: 130, a crash) leaves it off, reported by <see cref="GetHealth"/>.
    /// </summary>
    private async Task OnGuestExitAsync(Guest guest, int? status)
    {
        var id = guest.Boot.InstanceId;
        LogGuestExited(_log, id, status ?? -1);
        if (status != GuestRebootStatus)
        {
            // Exit 0 (an init that shuts down on its own) or killed by the kernel's SIGINT (reboot(2)
            // with POWER_OFF or HALT in the container's PID namespace): the guest powered itself off.
            // A stop the runtime began has ended the watch first.
            if (status is 0 or GuestPowerOffStatus && !guest.Ended && !_shuttingDown
                && _guests.TryGetValue(id, out var running) && ReferenceEquals(running, guest))
            {
                _poweredOff?.Invoke(new GuestPoweredOff(guest.Boot.AccountId, guest.Boot.Region, id));
            }
            return;
        }
        using var held = await _gates.EnterAsync(id).ConfigureAwait(false);
        try
        {
            if (guest.Ended || !_guests.TryGetValue(id, out var current) || !ReferenceEquals(current, guest))
            {
                return;
            }
            var paths = new Paths(_options, id);
            await DeleteContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
            var record = ReadRecord(id) ?? throw new InvalidOperationException($"Instance {id} has no container state.");
            await RunInitAsync(guest.Boot, record, paths, CancellationToken.None).ConfigureAwait(false);
            LogRebooted(_log, id);
        }
        catch (Exception e) when (e is HostCommandException or IOException or InvalidOperationException)
        {
            LogGuestRebootFailed(_log, e, id);
        }
    }

    private const int GuestRebootStatus = 128 + 1; // SIGHUP
    private const int GuestPowerOffStatus = 128 + 2; // SIGINT

    private Action<GuestPoweredOff>? _poweredOff;
    private volatile bool _shuttingDown;

    public void OnGuestPoweredOff(Action<GuestPoweredOff> handler) => _poweredOff += handler;

    /// <summary>Runs <paramref name="action"/> for the instance, excluding a guest-initiated reboot at the same time.</summary>
    private async Task Exclusive(string instanceId, Func<Task> action, CancellationToken cancellationToken)
    {
        using var held = await _gates.EnterAsync(instanceId, cancellationToken).ConfigureAwait(false);
        await action().ConfigureAwait(false);
    }

    /// <summary>The PID (on the host) of the instance's init, or null when it runs none.</summary>
    /// <summary>Usage of the container: its cgroup's CPU and I/O, its eth0 counters.</summary>
    public Stratus.Domain.CloudWatch.GuestUsage? ReadUsage(string instanceId) =>
        _guests.TryGetValue(instanceId, out var guest) && HostTools.IsAlive(guest.Pid)
            ? Host.GuestCounters.Read(guest.Pid, "eth0", guestSide: true, guest.Boot.VCpus)
            : null;

    internal int? InitPid(string instanceId) => _guests.TryGetValue(instanceId, out var guest) ? guest.Pid : null;

    internal static string ContainerId(string instanceId) => ContainerPrefix + instanceId;

    internal static string CgroupsPath(string instanceId) => "stratus/" + instanceId;

    internal static string NetnsName(string instanceId) => "s-" + (instanceId.StartsWith("i-", StringComparison.Ordinal) ? instanceId[2..] : instanceId);

    private async Task<Guest> RunInitAsync(InstanceBoot boot, ContainerRecord record, Paths paths, CancellationToken cancellationToken)
    {
        var offset = File.Exists(paths.Console) ? new FileInfo(paths.Console).Length : 0;
        var started = Stopwatch.StartNew();
        var pid = await Crun.RunSupervisedAsync(ContainerId(boot.InstanceId), paths.Instance, paths.PidFile, paths.ExitFile, paths.SupervisorPidFile, paths.Console, paths.ConsoleFifo, cancellationToken).ConfigureAwait(false);
        LogCrunRun(_log, boot.InstanceId, started.ElapsedMilliseconds);
        var guest = new Guest(boot, pid, offset);
        WriteRecord(paths, record with { Running = true, Pid = pid, PidStartTime = HostTools.StartTime(pid), ConsoleOffset = offset });
        Adopt(guest, paths);
        return guest;
    }

    private void Adopt(Guest guest, Paths paths)
    {
        if (_guests.TryGetValue(guest.Boot.InstanceId, out var previous))
        {
            previous.EndWatch();
        }
        _guests[guest.Boot.InstanceId] = guest;
        guest.Watch(paths.Console, paths.ExitFile, InitTimeout, OnGuestExitAsync);
    }

    /// <summary>
    /// Ends the instance's init (the image's stop signal — SIGPWR for minimal, SIGRTMIN+3 for systemd — then
    /// SIGKILL after <see cref="StopTimeout"/>; SIGKILL at once when forced) and removes its crun container.
    /// </summary>
    private async Task StopInitAsync(string instanceId, bool force, CancellationToken cancellationToken)
    {
        int pid;
        string? imageName;
        if (_guests.TryRemove(instanceId, out var guest))
        {
            guest.EndWatch();
            pid = guest.Pid;
            imageName = guest.Boot.RuntimeImage;
        }
        else
        {
            pid = (await Crun.StateAsync(ContainerId(instanceId), cancellationToken).ConfigureAwait(false))?.Pid ?? 0;
            imageName = ReadRecord(instanceId)?.Image;
        }
        if (HostTools.IsAlive(pid))
        {
            if (!force && HostTools.Signal(pid, StopSignal(imageName)))
            {
                await WaitForExitAsync(pid, StopTimeout, cancellationToken).ConfigureAwait(false);
            }
            if (HostTools.IsAlive(pid))
            {
                HostTools.Signal(pid, HostTools.SigKill);
                await WaitForExitAsync(pid, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            }
        }
        await DeleteContainerAsync(instanceId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The signal that shuts <paramref name="imageName"/>'s init down cleanly (its manifest's stopSignal; SIGTERM when unknown).</summary>
    private int StopSignal(string? imageName)
    {
        var manifest = imageName is null ? null : new GuestImageStore(_options.ImageDirectory).Find(imageName)?.Manifest;
        return HostTools.SignalNumber(manifest?.StopSignal) ?? HostTools.SigTerm;
    }

    /// <summary>
    /// Waits for the supervisor to record the exit and end (crun has then removed the container
    /// itself and nothing writes to the instance directory any more), then makes sure crun holds nothing.
    /// </summary>
    private async Task DeleteContainerAsync(string instanceId, CancellationToken cancellationToken)
    {
        var paths = new Paths(_options, instanceId);
        var supervisor = Crun.ReadPid(paths.SupervisorPidFile) ?? 0;
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        var delay = 1;
        while (HostTools.IsAlive(supervisor) && IsSupervisorOf(supervisor, instanceId) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }
        await Crun.DeleteAsync(ContainerId(instanceId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="pid"/> is still the supervisor of this instance (not a later process with its PID).</summary>
    private static bool IsSupervisorOf(int pid, string instanceId)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Contains(ContainerId(instanceId), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var delay = 2;
        while (HostTools.IsAlive(pid) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 100);
        }
    }

    private async Task KillAndDeleteAsync(string instanceId, int pid, CancellationToken cancellationToken)
    {
        if (HostTools.IsAlive(pid))
        {
            HostTools.Signal(pid, HostTools.SigKill);
            await WaitForExitAsync(pid, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        await DeleteContainerAsync(instanceId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unmounts the instance's root, removes its network namespace and (optionally) its network attachment. Idempotent.</summary>
    private async Task ReleaseHostResourcesAsync(string instanceId, bool detachNetwork, CancellationToken cancellationToken)
    {
        var paths = new Paths(_options, instanceId);
        if (await Crun.StateAsync(ContainerId(instanceId), cancellationToken).ConfigureAwait(false) is { } state)
        {
            await KillAndDeleteAsync(instanceId, state.Pid, cancellationToken).ConfigureAwait(false);
        }
        foreach (var mount in HostTools.MountsUnder(paths.Instance))
        {
            HostTools.Unmount(mount);
        }
        if (detachNetwork)
        {
            await _network.DetachAsync(instanceId, cancellationToken).ConfigureAwait(false);
        }
        if (File.Exists(paths.NetnsPath))
        {
            await HostTools.RunAsync("ip", ["netns", "delete", paths.NetnsName], cancellationToken, check: false).ConfigureAwait(false);
        }
    }

    /// <summary>crun containers of this runtime's state directory.</summary>
    private async Task<IReadOnlyList<CrunState>> OurContainersAsync(CancellationToken cancellationToken)
    {
        var instances = Path.GetFullPath(_options.InstancesDirectory).TrimEnd('/') + "/";
        return (await Crun.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(c => c.Id.StartsWith(ContainerPrefix, StringComparison.Ordinal)
                && Path.GetFullPath(c.Bundle).StartsWith(instances, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>Host name and DNS resolver, as DHCP would have set them on a machine.</summary>
    private static void PrepareRootFs(string rootFs, string hostName, string dnsServer)
    {
        var etc = Path.Combine(rootFs, "etc");
        if (!Directory.Exists(etc) || new DirectoryInfo(etc).LinkTarget is not null)
        {
            return;
        }
        WriteGuestFile(Path.Combine(etc, "hostname"), hostName + "\n");
        WriteGuestFile(Path.Combine(etc, "resolv.conf"), $"nameserver {dnsServer}\nsearch ec2.internal\n");
    }

    /// <summary>Writes a file of the guest, replacing a symbolic link rather than following it out of the guest's tree.</summary>
    private static void WriteGuestFile(string path, string content)
    {
        if (new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }
        File.WriteAllText(path, content);
    }

    private static void EmptyDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo { LinkTarget: null } sub)
            {
                sub.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    private ContainerRecord? ReadRecord(string instanceId)
    {
        var path = Path.Combine(_options.InstanceDirectory(instanceId), StateFileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<ContainerRecord>(File.ReadAllText(path), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteRecord(Paths paths, ContainerRecord record)
    {
        var temp = paths.State + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record, Json));
        File.Move(temp, paths.State, overwrite: true);
    }

    /// <summary>What a later process needs to find an instance's container again (<c>container.json</c> in its instance directory).</summary>
    internal sealed record ContainerRecord(
        string InstanceId,
        string AccountId,
        string Region,
        string RootVolumeId,
        string Image,
        bool Running,
        int Pid,
        long? PidStartTime,
        long ConsoleOffset);

    private sealed class Paths(HostRuntimeOptions options, string instanceId)
    {
        public string Instance { get; } = Path.GetFullPath(options.InstanceDirectory(instanceId));

        public string RootFs => Path.Combine(Instance, "rootfs");

        public string Config => Path.Combine(Instance, "config.json");

        public string Console => Path.Combine(Instance, "console.log");

        public string ConsoleFifo => Path.Combine(Instance, "console.fifo");

        public string PidFile => Path.Combine(Instance, "init.pid");

        public string ExitFile => Path.Combine(Instance, "init.exit");

        public string SupervisorPidFile => Path.Combine(Instance, "supervisor.pid");

        public string State => Path.Combine(Instance, StateFileName);

        public string InstanceStore => Path.Combine(Instance, "ephemeral0");

        public string NetnsName { get; } = ContainerRuntime.NetnsName(instanceId);

        public string NetnsPath => "/run/netns/" + NetnsName;
    }

    /// <summary>A running container: its init, whether the init reported in, and how it ended.</summary>
    private sealed class Guest(InstanceBoot boot, int pid, long consoleOffset)
    {
        private volatile bool _stopped;
        private volatile int _reached; // 0 unknown, 1 reached, 2 failed

        public InstanceBoot Boot { get; } = boot;

        public int Pid { get; } = pid;

        public bool? ReachedInit => _reached switch { 1 => true, 2 => false, _ => null };

        /// <summary>True once the runtime stopped (or replaced) this guest itself.</summary>
        public bool Ended => _stopped;

        /// <summary>
        /// Watches the console for <see cref="InitMarker"/>, then the init: when it exits on its
        /// own, <paramref name="exited"/> gets its exit status (null when the supervisor recorded none).
        /// </summary>
        public void Watch(string console, string exitFile, TimeSpan timeout, Func<Guest, int?, Task> exited) =>
            _ = Task.Run(() => WatchAsync(console, exitFile, timeout, exited));

        private async Task WatchAsync(string console, string exitFile, TimeSpan timeout, Func<Guest, int?, Task> exited)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            var marker = Encoding.UTF8.GetBytes(InitMarker);
            var position = consoleOffset;
            var carry = Array.Empty<byte>();
            var delay = 10;
            while (!_stopped && _reached == 0)
            {
                var alive = HostTools.IsAlive(Pid);
                (var found, position, carry) = Scan(console, position, carry, marker);
                if (found)
                {
                    _reached = 1;
                }
                else if (!alive || Stopwatch.GetTimestamp() > deadline)
                {
                    _reached = 2;
                }
                else
                {
                    await Task.Delay(delay).ConfigureAwait(false);
                    delay = Math.Min(delay * 2, 250);
                }
            }
            while (!_stopped && HostTools.IsAlive(Pid))
            {
                await Task.Delay(250).ConfigureAwait(false);
            }
            // The supervisor records the status once crun has cleaned up.
            for (var i = 0; i < 100 && !_stopped && !File.Exists(exitFile); i++)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
            if (!_stopped)
            {
                await exited(this, Crun.ReadExitStatus(exitFile)).ConfigureAwait(false);
            }
        }

        private static (bool Found, long Position, byte[] Carry) Scan(string path, long position, byte[] carry, byte[] marker)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (stream.Length <= position)
                {
                    return (false, position, carry);
                }
                stream.Seek(position, SeekOrigin.Begin);
                var fresh = new byte[stream.Length - position];
                stream.ReadExactly(fresh);
                var window = carry.Concat(fresh).ToArray();
                if (window.AsSpan().IndexOf(marker) >= 0)
                {
                    return (true, position + fresh.Length, []);
                }
                var keep = Math.Min(window.Length, marker.Length - 1);
                return (false, position + fresh.Length, window[^keep..]);
            }
            catch (IOException)
            {
                return (false, position, carry);
            }
        }

        /// <summary>Ends the watch: the runtime itself stops or replaces this guest.</summary>
        public void EndWatch() => _stopped = true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing leftover container {Container}")]
    private static partial void LogLeftover(ILogger logger, string container);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {InstanceId} started in {Milliseconds} ms (network {NetworkMilliseconds} ms), init PID {Pid}")]
    private static partial void LogStarted(ILogger logger, string instanceId, long milliseconds, long networkMilliseconds, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {InstanceId} re-adopted, init PID {Pid}")]
    private static partial void LogAdopted(ILogger logger, string instanceId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {InstanceId} is not running any more; booting it")]
    private static partial void LogRebooting(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {InstanceId} stopped in {Milliseconds} ms")]
    private static partial void LogStopped(ILogger logger, string instanceId, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {InstanceId} rebooted")]
    private static partial void LogRebooted(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutting down container {InstanceId} failed")]
    private static partial void LogShutdownFailed(ILogger logger, Exception exception, string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The init of container {InstanceId} exited on its own with status {Status}")]
    private static partial void LogGuestExited(ILogger logger, string instanceId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Booting container {InstanceId} again after the guest rebooted failed")]
    private static partial void LogGuestRebootFailed(ILogger logger, Exception exception, string instanceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "crun run {InstanceId}: {Milliseconds} ms")]
    private static partial void LogCrunRun(ILogger logger, string instanceId, long milliseconds);
}
