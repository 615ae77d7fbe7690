using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Domain.Instances;
using Stratus.Runtime.Host;
using Stratus.Runtime.Images;
using Stratus.Runtime.Network;

namespace Stratus.Runtime.MicroVm;

#pragma warning disable CA1873 // lifecycle lines: a few per instance operation

/// <summary>
/// Runs each instance as a QEMU <c>-M microvm</c> guest: the image's kernel booted directly, the
/// EBS root volume a qcow2 copy-on-write over the image's disk, the instance store a fresh ext4
/// file, the primary interface a tap of the VPC's bridge. QEMU runs daemonized (so guests outlive
/// a crash of Stratus and are re-adopted through their pid file and QMP socket); everything of an
/// instance lives in <c>&lt;state&gt;/instances/&lt;id&gt;/</c>, volumes in <c>&lt;state&gt;/volumes/</c>.
/// </summary>
internal sealed class MicroVmRuntime : IInstanceRuntime, Stratus.Domain.CloudWatch.IGuestUsageSource
{
    internal const string InitMarker = "stratus-init: userspace reached";
    private const string RecordFile = "runtime.json";
    private const string ConsoleFile = "console.log";
    private const string QmpFile = "qmp.sock";
    private const string PidFile = "qemu.pid";
    private const string InstanceStoreFile = "instance-store.raw";
    private const int ConsoleTailBytes = 64 * 1024;
    private const long GiB = 1L << 30;

    private readonly HostRuntimeOptions _options;
    private readonly IHostNetwork _network;
    private readonly ILogger _log;
    private readonly GuestImageStore _images;
    private readonly ConcurrentDictionary<string, Guest> _guests = new(StringComparer.Ordinal);
    private readonly BootQueue _tcgBoots = new(Environment.ProcessorCount - 1);
    private readonly CancellationTokenSource _disposed = new();
    private Action<GuestPoweredOff>? _poweredOff;
    private volatile bool _shuttingDown;

    /// <summary>What the guest kernel prints when it powers the machine off (<c>poweroff</c>, <c>shutdown -h</c>); KERN_EMERG, so printed even with <c>quiet</c>.</summary>
    internal const string PowerDownLine = "reboot: Power down";

    public MicroVmRuntime(HostRuntimeOptions options, IHostNetwork network, ILoggerFactory? logs)
    {
        _options = options;
        _network = network;
        _log = (ILogger?)logs?.CreateLogger("Stratus.Runtime.MicroVm") ?? NullLogger.Instance;
        _images = new GuestImageStore(options.ImageDirectory);
    }

    public string Name => "microvm";

    /// <summary>How long a TCG guest gets to reach its init. Default 120 s.</summary>
    internal TimeSpan TcgBootTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a KVM guest gets to reach its init. Default 60 s.</summary>
    internal TimeSpan KvmBootTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a guest gets to power off after the ACPI power button before it is switched off. Default 60 s.</summary>
    internal TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The same when Stratus shuts down. Default 10 s.</summary>
    internal TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.InstancesDirectory);
        Directory.CreateDirectory(_options.VolumesDirectory);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (pid, instanceId) in OurQemus())
        {
            var record = MicroVmRecord.Load(Path.Combine(_options.InstanceDirectory(instanceId), RecordFile));
            if (record?.Pid == pid)
            {
                keep.Add(instanceId);
                continue;
            }
            _log.LogWarning("microvm: killing QEMU {Pid} of {InstanceId}, which has no record", pid, instanceId);
            HostProcess.Kill(pid);
        }
        await _network.InitializeAsync(keep, cancellationToken).ConfigureAwait(false);
        _ = WatchPowerOffsAsync(_disposed.Token);
        if (_images.List().Any(i => i.KernelPath is null && i.Manifest.KernelPending))
        {
            // Images built without the kernel: build it now, in the background, so that the first launch need not wait long.
            _ = GuestKernelBuild.Shared.EnsureAsync(_images, LogKernelBuild).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private void LogKernelBuild(string line) => _log.LogInformation("{Line}", line);

    public void OnGuestPoweredOff(Action<GuestPoweredOff> handler) => _poweredOff += handler;

    /// <summary>
    /// Once a second: a guest whose QEMU ended on its own, after its kernel printed
    /// <see cref="PowerDownLine"/> in the current boot, powered itself off — reported once. A QEMU
    /// that ended otherwise (killed, crashed) is left to <see cref="GetHealth"/> (not running).
    /// Guests whose lock is held are being stopped, started or rebooted by the runtime itself.
    /// </summary>
    private async Task WatchPowerOffsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var guest in _guests.Values)
                {
                    if (_shuttingDown)
                    {
                        return;
                    }
                    if (guest.Record is not { Pid: int pid } || guest.PowerOffReportedFor == pid || IsOurQemu(pid, guest.InstanceId) || !guest.Lock.Wait(0, CancellationToken.None))
                    {
                        continue;
                    }
                    MicroVmRecord? poweredOff = null;
                    try
                    {
                        if (guest.Record is { Pid: int current } record && current == pid && !IsOurQemu(pid, guest.InstanceId)
                            && ReadConsole(record.InstanceId, record.BootConsoleOffset, 4096).Text.Contains(PowerDownLine, StringComparison.Ordinal))
                        {
                            guest.PowerOffReportedFor = pid;
                            poweredOff = record;
                        }
                    }
                    finally
                    {
                        guest.Lock.Release();
                    }
                    if (poweredOff is not null && !_shuttingDown)
                    {
                        _log.LogInformation("microvm: {InstanceId} powered itself off", poweredOff.InstanceId);
                        _poweredOff?.Invoke(new GuestPoweredOff(poweredOff.AccountId, poweredOff.Region, poweredOff.InstanceId));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// At most the last <paramref name="maxBytes"/> of the instance's console log, none of it before
    /// offset <paramref name="from"/>, and where it starts ("" when there is no log).
    /// </summary>
    private (string Text, long Start) ReadConsole(string instanceId, long from, int maxBytes)
    {
        try
        {
            using var stream = new FileStream(Path.Combine(_options.InstanceDirectory(instanceId), ConsoleFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(from, stream.Length - maxBytes);
            if (start >= stream.Length)
            {
                return ("", start);
            }
            stream.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[stream.Length - start];
            stream.ReadExactly(buffer);
            return (Encoding.UTF8.GetString(buffer), start);
        }
        catch (IOException)
        {
            return ("", from);
        }
    }

    public async Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        var guest = GuestOf(boot.InstanceId);
        await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            guest.Record ??= MicroVmRecord.Load(RecordPath(boot.InstanceId));
            if (guest.Record is { Pid: int pid } && IsOurQemu(pid, boot.InstanceId))
            {
                return; // already running (possibly since before a restart of Stratus)
            }
            // What a guest that powered itself off (or died) left: its tap, its instance store.
            await PowerOffAsync(guest, force: true, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            await BootAsync(boot, guest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            guest.Lock.Release();
        }
    }

    public async Task ResumeAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        var guest = GuestOf(boot.InstanceId);
        await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = guest.Record ?? MicroVmRecord.Load(RecordPath(boot.InstanceId));
            if (record is { Pid: int pid } && IsOurQemu(pid, boot.InstanceId))
            {
                try
                {
                    await QmpClient.ExecuteAsync(QmpPath(boot.InstanceId), "query-status", null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                    guest.Record = record;
                    guest.ReachedInit = record.ReachedInit;
                    if (record.ReachedInit is null)
                    {
                        _ = WatchBootAsync(guest, record);
                    }
                    _log.LogInformation("microvm: re-adopted {InstanceId} (QEMU {Pid})", boot.InstanceId, pid);
                    return;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    _log.LogWarning(e, "microvm: QEMU {Pid} of {InstanceId} does not answer; booting the instance again", pid, boot.InstanceId);
                    HostProcess.Kill(pid);
                }
            }
            guest.Record = record;
            await PowerOffAsync(guest, force: true, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            await BootAsync(boot, guest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            guest.Lock.Release();
        }
    }

    public async Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken)
    {
        var guest = GuestOf(instanceId);
        await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            guest.Record ??= MicroVmRecord.Load(RecordPath(instanceId));
            await PowerOffAsync(guest, force, StopTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            guest.Lock.Release();
        }
    }

    public async Task RebootAsync(string instanceId, CancellationToken cancellationToken)
    {
        var guest = GuestOf(instanceId);
        await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (guest.Record is not { Pid: int pid } record || !IsOurQemu(pid, instanceId))
            {
                throw new InvalidOperationException($"{instanceId} is not running");
            }
            using var slot = await EnterBootQueueAsync(record.Accelerator, cancellationToken).ConfigureAwait(false);
            record = record with { BootConsoleOffset = ConsoleLength(instanceId), ReachedInit = null };
            guest.Record = record;
            guest.ReachedInit = null;
            record.Save(RecordPath(instanceId));
            await QmpClient.ExecuteAsync(QmpPath(instanceId), "system_reset", null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            _log.LogInformation("microvm: {InstanceId} reset", instanceId);
            await AwaitInitAsync(guest, record, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            guest.Lock.Release();
        }
    }

    public async Task TerminateAsync(string instanceId, CancellationToken cancellationToken)
    {
        var guest = GuestOf(instanceId);
        await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            guest.Record ??= MicroVmRecord.Load(RecordPath(instanceId));
            await PowerOffAsync(guest, force: true, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            await _network.DetachAsync(instanceId, cancellationToken).ConfigureAwait(false);
            File.Delete(QmpPath(instanceId));
            var directory = _options.InstanceDirectory(instanceId);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
            guest.Record = null;
            _guests.TryRemove(instanceId, out _);
        }
        finally
        {
            guest.Lock.Release();
        }
    }

    public Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken)
    {
        var path = VolumePath(volumeId);
        if (File.Exists(path))
        {
            File.Delete(path);
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

    /// <summary>The guest's PCIe hot-plug ports take device indexes 1 to <see cref="MicroVmHotPlug.Ports"/>.</summary>
    public int? MaxSecondaryDeviceIndex => MicroVmHotPlug.Ports;

    /// <summary>A guest's secondary interfaces are taps of its primary interface's VPC bridge (QEMU runs in that VPC's namespace).</summary>
    public bool PlugsInterfacesOfOtherVpcs => false;

    public Task<IReadOnlyList<Stratus.Domain.Vpc.FlowLogs.FlowCounter>> ReadFlowCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        _network.ReadFlowCountersAsync(accountId, region, vpcId, cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.TransitGateways.ConnectPeerBgpState>> ReadConnectPeerBgpAsync(CancellationToken cancellationToken) =>
        _network.ReadConnectPeerBgpAsync(cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter>> ReadNatGatewayCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        _network.ReadNatGatewayCountersAsync(accountId, region, vpcId, cancellationToken);

    /// <summary>
    /// Hot-plugs secondary interfaces into the running microVM (see <see cref="MicroVmHotPlug"/>):
    /// interfaces no longer attached are unplugged (<c>device_del</c>, waiting for the guest to let
    /// go, then <c>netdev_del</c>) before their taps go; new ones get a tap of the VPC's bridge and a
    /// <c>virtio-net-pci</c> device in the port of their device index. Interfaces of another VPC than
    /// the primary one, or beyond the last port, are not plugged in (logged).
    /// </summary>
    public async Task SyncSecondaryNicsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nics);
        if (!_guests.TryGetValue(instanceId, out var guest))
        {
            return;
        }
        await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (guest.Record is not { Pid: int pid } record || !IsOurQemu(pid, instanceId))
            {
                return;
            }
            var qmp = QmpPath(instanceId);
            var wanted = nics.Where(n => n.DeviceIndex > 0).ToDictionary(n => n.Nic.NetworkInterfaceId, StringComparer.Ordinal);
            var plugged = record.SecondaryNics.ToList();
            foreach (var nic in record.SecondaryNics)
            {
                if (wanted.TryGetValue(nic.NetworkInterfaceId, out var want) && want.DeviceIndex == nic.DeviceIndex
                    && string.Equals(want.Nic.MacAddress, nic.MacAddress, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                await UnplugAsync(qmp, nic, cancellationToken).ConfigureAwait(false);
                plugged.Remove(nic);
                _log.LogInformation("microvm: {InstanceId} unplugged {Eni} (device index {Index})", instanceId, nic.NetworkInterfaceId, nic.DeviceIndex);
            }
            guest.Record = record = record with { SecondaryNics = plugged };
            record.Save(RecordPath(instanceId));

            var pluggable = wanted.Values.Where(n => MicroVmHotPlug.HasPort(n.DeviceIndex)).ToList();
            foreach (var skipped in wanted.Values.Except(pluggable))
            {
                _log.LogWarning("microvm: {InstanceId}: {Eni} at device index {Index} is not plugged in (the guest has hot-plug ports for device indexes 1 to {Ports})",
                    instanceId, skipped.Nic.NetworkInterfaceId, skipped.DeviceIndex, MicroVmHotPlug.Ports);
            }
            var taps = await _network.SyncSecondaryTapsAsync(accountId, region, instanceId, pluggable, cancellationToken).ConfigureAwait(false);
            foreach (var nic in pluggable.OrderBy(n => n.DeviceIndex))
            {
                var id = nic.Nic.NetworkInterfaceId;
                if (plugged.Any(p => p.NetworkInterfaceId == id) || !taps.TryGetValue(id, out var tap))
                {
                    continue;
                }
                if (tap.Namespace != record.Namespace)
                {
                    // QEMU opens taps in its own namespace, the primary interface's VPC.
                    _log.LogWarning("microvm: {InstanceId}: {Eni} is in another VPC than the primary interface; not plugged in", instanceId, id);
                    continue;
                }
                var (netdev, netdevArguments) = MicroVmHotPlug.NetdevAdd(id, tap.HostDevice);
                await QmpClient.ExecuteAsync(qmp, netdev, netdevArguments, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                var (device, deviceArguments) = MicroVmHotPlug.DeviceAdd(id, nic.Nic.MacAddress, nic.DeviceIndex);
                try
                {
                    await QmpClient.ExecuteAsync(qmp, device, deviceArguments, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    var (undo, undoArguments) = MicroVmHotPlug.NetdevDel(id);
                    await TryQmpAsync(qmp, undo, undoArguments).ConfigureAwait(false);
                    throw;
                }
                plugged.Add(new PluggedNic(id, nic.DeviceIndex, nic.Nic.MacAddress.ToLowerInvariant(), tap.HostDevice));
                guest.Record = record = record with { SecondaryNics = plugged.ToList() };
                record.Save(RecordPath(instanceId));
                _log.LogInformation("microvm: {InstanceId} plugged in {Eni} at device index {Index} (tap {Tap})", instanceId, id, nic.DeviceIndex, tap.HostDevice);
            }
        }
        finally
        {
            guest.Lock.Release();
        }
    }

    /// <summary>How long a guest gets to release an unplugged device (pciehp waits 5 s for the attention button to be pressed again before it powers the slot off).</summary>
    internal TimeSpan UnplugTimeout { get; init; } = TimeSpan.FromSeconds(30);

    private async Task UnplugAsync(string qmp, PluggedNic nic, CancellationToken cancellationToken)
    {
        var (del, delArguments) = MicroVmHotPlug.DeviceDel(nic.NetworkInterfaceId);
        var deviceId = MicroVmHotPlug.DeviceId(nic.NetworkInterfaceId);
        if (await TryQmpAsync(qmp, del, delArguments).ConfigureAwait(false))
        {
            var waited = Stopwatch.StartNew();
            var (list, listArguments) = MicroVmHotPlug.ListPeripherals();
            while (waited.Elapsed < UnplugTimeout)
            {
                var names = MicroVmHotPlug.Names(await QmpClient.ExecuteAsync(qmp, list, listArguments, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false));
                if (!names.Contains(deviceId))
                {
                    break;
                }
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
            if (waited.Elapsed >= UnplugTimeout)
            {
                _log.LogWarning("microvm: the guest did not release {Device} within {Timeout}; its backend is removed anyway", deviceId, UnplugTimeout);
            }
        }
        var (netdevDel, netdevArguments) = MicroVmHotPlug.NetdevDel(nic.NetworkInterfaceId);
        await TryQmpAsync(qmp, netdevDel, netdevArguments).ConfigureAwait(false);
    }

    public Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken)
    {
        var (text, start) = ReadConsole(instanceId, 0, ConsoleTailBytes);
        if (start > 0 && text.IndexOf('\n', StringComparison.Ordinal) is var newline and >= 0)
        {
            text = text[(newline + 1)..];
        }
        return Task.FromResult(text);
    }

    /// <summary>
    /// Usage of the microVM: the QEMU process's CPU time, its tap's counters (host side, so reversed)
    /// and each drive's I/O from QMP <c>query-blockstats</c> (per volume; the process's own I/O when
    /// QMP does not answer within <see cref="BlockStatsTimeout"/>).
    /// </summary>
    public Stratus.Domain.CloudWatch.GuestUsage? ReadUsage(string instanceId)
    {
        if (!_guests.TryGetValue(instanceId, out var guest) || guest.Record is not { Pid: int pid, Tap: { } tap } record)
        {
            return null;
        }
        var usage = Host.GuestCounters.Read(pid, tap, guestSide: false, vcpus: 1);
        if (usage is null || record.Drives.Count == 0)
        {
            return usage;
        }
        try
        {
            var stats = QmpClient.ExecuteAsync(QmpPath(instanceId), "query-blockstats", null, BlockStatsTimeout, _disposed.Token).GetAwaiter().GetResult();
            return MicroVmBlockStats.WithDevices(usage, MicroVmBlockStats.Parse(stats, record.Drives));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            return usage;
        }
    }

    /// <summary>How long <see cref="ReadUsage"/> waits for QEMU's block statistics. Default 2 s.</summary>
    internal TimeSpan BlockStatsTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public GuestHealth? GetHealth(string instanceId) =>
        _guests.TryGetValue(instanceId, out var guest) && guest.Record is { Pid: int pid }
            ? new GuestHealth(IsOurQemu(pid, instanceId), guest.ReachedInit)
            : null;

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress) =>
        _network.ResolveMetadataCaller(localAddress, remoteAddress);

    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        await Task.WhenAll(_guests.Values.Select(async guest =>
        {
            await guest.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await PowerOffAsync(guest, force: false, ShutdownTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning(e, "microvm: stopping {InstanceId} at shutdown failed", guest.InstanceId);
            }
            finally
            {
                guest.Lock.Release();
            }
        })).ConfigureAwait(false);
        // Guests taken up at start but never resumed (and anything else of ours still running).
        foreach (var (pid, instanceId) in OurQemus())
        {
            _log.LogInformation("microvm: switching off QEMU {Pid} of {InstanceId} at shutdown", pid, instanceId);
            HostProcess.Kill(pid);
        }
        await _network.ShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        if (!_disposed.IsCancellationRequested)
        {
            _disposed.Cancel();
        }
        _disposed.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Creates disks and tap, launches QEMU and waits for the guest's init. Call with the guest's lock held.</summary>
    private async Task BootAsync(InstanceBoot boot, Guest guest, CancellationToken cancellationToken)
    {
        var image = _images.Find(boot.RuntimeImage ?? "")
            ?? throw new InvalidOperationException($"guest image '{boot.RuntimeImage}' is not on this host (image directory {_options.ImageDirectory})");
        if (image.KernelPath is null && image.Manifest.KernelPending)
        {
            // Built with --skip-kernel (system containers need none): the instance stays pending until the kernel is built.
            _log.LogInformation("microvm: {InstanceId} waits for the guest kernel of image {Image}", boot.InstanceId, image.Name);
            await GuestKernelBuild.Shared.EnsureAsync(_images, LogKernelBuild).WaitAsync(cancellationToken).ConfigureAwait(false);
            image = _images.Find(image.Name) ?? image;
        }
        var kernel = image.KernelPath ?? throw new InvalidOperationException($"guest image '{image.Name}' has no kernel");
        var disk = image.DiskPath ?? throw new InvalidOperationException($"guest image '{image.Name}' has no disk");
        var accelerator = await MicroVmAcceleratorProbe.DetectAsync(kernel, image.InitrdPath, _options.StateDirectory, cancellationToken).ConfigureAwait(false);
        var queued = Stopwatch.StartNew();
        using var slot = await EnterBootQueueAsync(accelerator, cancellationToken).ConfigureAwait(false);
        var queueWait = queued.ElapsedMilliseconds;
        var id = boot.InstanceId;
        var directory = _options.InstanceDirectory(id);
        Directory.CreateDirectory(directory);
        Directory.CreateDirectory(_options.VolumesDirectory);
        foreach (var stale in new[] { QmpPath(id), Path.Combine(directory, PidFile) })
        {
            File.Delete(stale);
        }

        var root = boot.Disks.FirstOrDefault(d => d.IsRoot) ?? throw new InvalidOperationException($"{id} has no root volume");
        var drives = new List<(string Id, string Path, string Format)>
        {
            ("root", await EnsureVolumeAsync(root, disk, cancellationToken).ConfigureAwait(false), "qcow2"),
        };
        if (boot.InstanceStoreGiB > 0)
        {
            drives.Add(("store", await CreateInstanceStoreAsync(id, Math.Min(boot.InstanceStoreGiB, _options.MaxInstanceStoreGiB), cancellationToken).ConfigureAwait(false), "raw"));
        }
        var driveVolumes = new List<MicroVmDrive> { new("root", root.VolumeId) };
        if (boot.InstanceStoreGiB > 0)
        {
            driveVolumes.Add(new MicroVmDrive("store", null));
        }
        var n = 0;
        foreach (var volume in boot.Disks.Where(d => !d.IsRoot))
        {
            driveVolumes.Add(new MicroVmDrive($"vol{n}", volume.VolumeId));
            drives.Add(($"vol{n++}", await EnsureVolumeAsync(volume, null, cancellationToken).ConfigureAwait(false), "qcow2"));
        }

        var nic = await _network.AttachTapAsync(boot.AccountId, boot.Region, id, boot.PrimaryNic, cancellationToken).ConfigureAwait(false);
        var record = new MicroVmRecord
        {
            InstanceId = id,
            AccountId = boot.AccountId,
            Region = boot.Region,
            Image = image.Name,
            Namespace = nic.Namespace,
            Tap = nic.HostDevice,
            Accelerator = accelerator,
            BootConsoleOffset = ConsoleLength(id),
            StartedAt = DateTime.UtcNow,
            Drives = driveVolumes,
        };
        guest.Record = record;
        guest.ReachedInit = null;
        record.Save(RecordPath(id));
        try
        {
            var qemu = QemuArguments(boot, image, accelerator, drives, nic);
            var launch = Stopwatch.StartNew();
            if (string.IsNullOrEmpty(nic.Namespace))
            {
                await HostProcess.RunAsync("qemu-system-x86_64", qemu, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await HostProcess.RunAsync("ip", ["netns", "exec", nic.Namespace, "qemu-system-x86_64", .. qemu], cancellationToken).ConfigureAwait(false);
            }
            var pid = int.Parse(File.ReadAllText(Path.Combine(directory, PidFile)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            record = record with { Pid = pid };
            guest.Record = record;
            record.Save(RecordPath(id));
            await QmpClient.ExecuteAsync(QmpPath(id), "query-status", null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            _log.LogInformation("microvm: {InstanceId} launched (QEMU {Pid}, {Accelerator}, waited {Queued} ms for a boot slot)", id, pid, accelerator, queueWait);
            await AwaitInitAsync(guest, record, cancellationToken).ConfigureAwait(false);
            if (!IsOurQemu(pid, id))
            {
                throw new InvalidOperationException($"{id}: the guest exited while booting; console: {Tail(await GetConsoleOutputAsync(id, CancellationToken.None).ConfigureAwait(false), 2000)}");
            }
            _log.LogInformation("microvm: {InstanceId} booted in {Elapsed} ms (init reached: {Reached})", id, launch.ElapsedMilliseconds, guest.ReachedInit);
        }
        catch
        {
            await PowerOffAsync(guest, force: true, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the init marker of the current boot and records the outcome.</summary>
    private async Task AwaitInitAsync(Guest guest, MicroVmRecord record, CancellationToken cancellationToken)
    {
        var timeout = record.Accelerator == MicroVmAccelerator.Kvm ? KvmBootTimeout : TcgBootTimeout;
        var reached = await WaitForConsoleAsync(record.InstanceId, record.BootConsoleOffset, InitMarker, record.Pid!.Value, timeout, cancellationToken).ConfigureAwait(false);
        guest.ReachedInit = reached;
        guest.Record = record with { ReachedInit = reached };
        guest.Record.Save(RecordPath(record.InstanceId));
    }

    /// <summary>Re-adopted while still booting: watch for the init in the background.</summary>
    private async Task WatchBootAsync(Guest guest, MicroVmRecord record)
    {
        try
        {
            var elapsed = record.StartedAt is { } started ? DateTime.UtcNow - started : TimeSpan.Zero;
            var timeout = (record.Accelerator == MicroVmAccelerator.Kvm ? KvmBootTimeout : TcgBootTimeout) - elapsed;
            var reached = await WaitForConsoleAsync(record.InstanceId, record.BootConsoleOffset, InitMarker, record.Pid!.Value,
                timeout > TimeSpan.Zero ? timeout : TimeSpan.FromSeconds(1), _disposed.Token).ConfigureAwait(false);
            if (guest.Record?.Pid == record.Pid && guest.ReachedInit is null)
            {
                guest.ReachedInit = reached;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Switches the guest off: the ACPI power button and up to <paramref name="grace"/> for it to
    /// power off (unless <paramref name="force"/>), then QMP <c>quit</c>, then SIGKILL. Then its
    /// tap goes and its instance store (whose data does not survive a stop). Lock held.
    /// </summary>
    private async Task PowerOffAsync(Guest guest, bool force, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (guest.Record is not { } record)
        {
            return;
        }
        var id = record.InstanceId;
        if (record.Pid is int pid)
        {
            bool Alive() => IsOurQemu(pid, id);
            var qmp = QmpPath(id);
            if (!force && Alive() && await TryQmpAsync(qmp, "system_powerdown").ConfigureAwait(false))
            {
                if (await HostProcess.WaitUntilGoneAsync(Alive, grace, cancellationToken).ConfigureAwait(false))
                {
                    _log.LogInformation("microvm: {InstanceId} powered off", id);
                }
                else
                {
                    _log.LogInformation("microvm: {InstanceId} did not power off within {Grace}; switching it off", id, grace);
                }
            }
            if (Alive() && await TryQmpAsync(qmp, "quit").ConfigureAwait(false))
            {
                await HostProcess.WaitUntilGoneAsync(Alive, TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            if (Alive())
            {
                HostProcess.Kill(pid);
                await HostProcess.WaitUntilGoneAsync(Alive, TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
        }
        if (record.Namespace is not null || record.Tap is not null)
        {
            await _network.DetachAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
        var directory = _options.InstanceDirectory(id);
        foreach (var file in new[] { InstanceStoreFile, QmpFile, PidFile })
        {
            File.Delete(Path.Combine(directory, file));
        }
        guest.ReachedInit = null;
        guest.Record = record with { Pid = null, Namespace = null, Tap = null, ReachedInit = null, SecondaryNics = [] };
        if (Directory.Exists(directory))
        {
            guest.Record.Save(RecordPath(id));
        }
    }

    private static async Task<bool> TryQmpAsync(string socket, string command, System.Text.Json.Nodes.JsonObject? arguments = null)
    {
        try
        {
            await QmpClient.ExecuteAsync(socket, command, arguments, TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    internal List<string> QemuArguments(InstanceBoot boot, GuestImage image, MicroVmAccelerator accelerator,
        IReadOnlyList<(string Id, string Path, string Format)> drives, NicAttachment nic)
    {
        var directory = _options.InstanceDirectory(boot.InstanceId);
        var vcpus = Math.Clamp(boot.VCpus, 1, Math.Max(1, _options.MaxGuestVCpus));
        var memory = Math.Clamp(boot.MemoryMiB, 128, Math.Max(128, _options.MaxGuestMemoryMiB));
        var commandLine = new StringBuilder("console=ttyS0 root=/dev/vda rw reboot=k panic=-1 ").Append(MicroVmHotPlug.KernelArgument);
        if (!string.IsNullOrWhiteSpace(image.Manifest.KernelArguments))
        {
            commandLine.Append(' ').Append(image.Manifest.KernelArguments.Trim());
        }
        if (accelerator == MicroVmAccelerator.Tcg && HostTscKhz() is int khz)
        {
            // Without a PIT or HPET the guest cannot calibrate its TSC and stalls in early boot under TCG.
            commandLine.Append(CultureInfo.InvariantCulture, $" tsc_early_khz={khz}");
        }
        var args = new List<string>
        {
            "-name", boot.InstanceId,
            "-M", MicroVmHotPlug.Machine,
            "-accel", accelerator == MicroVmAccelerator.Kvm ? "kvm" : "tcg",
            "-cpu", accelerator == MicroVmAccelerator.Kvm ? "host" : "max",
            "-smp", vcpus.ToString(CultureInfo.InvariantCulture),
            "-m", memory.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none",
            "-kernel", image.KernelPath!,
        };
        if (image.InitrdPath is { } initrd)
        {
            args.AddRange(["-initrd", initrd]);
        }
        args.AddRange(["-append", commandLine.ToString()]);
        foreach (var (driveId, path, format) in drives)
        {
            args.AddRange([
                "-drive", $"id={driveId},file={Escape(path)},format={format},if=none,discard=unmap",
                "-device", $"virtio-blk-device,drive={driveId}",
            ]);
        }
        args.AddRange(MicroVmHotPlug.PortArguments());
        args.AddRange([
            "-netdev", $"tap,id=n0,ifname={nic.HostDevice},script=no,downscript=no",
            "-device", $"virtio-net-device,netdev=n0,mac={boot.PrimaryNic.MacAddress}",
            "-chardev", $"file,id=console,path={Escape(Path.Combine(directory, ConsoleFile))},append=on",
            "-serial", "chardev:console",
            "-qmp", $"unix:{QmpPath(boot.InstanceId)},server=on,wait=off",
            "-pidfile", Path.Combine(directory, PidFile),
            "-daemonize",
        ]);
        return args;
    }

    private static string Escape(string optionValue) => optionValue.Replace(",", ",,", StringComparison.Ordinal);

    /// <summary>The host's TSC frequency in kHz (what a TCG guest's TSC ticks at), from /proc/cpuinfo.</summary>
    private static int? HostTscKhz()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal) && line.Split(':') is [_, var value]
                    && double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) && mhz > 0)
                {
                    return (int)Math.Round(mhz * 1000);
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private async Task<string> EnsureVolumeAsync(GuestDisk volume, string? backingDisk, CancellationToken cancellationToken)
    {
        var path = VolumePath(volume.VolumeId);
        if (File.Exists(path))
        {
            return path;
        }
        var size = Math.Max(1, volume.SizeGiB) * GiB;
        var temp = path + ".tmp";
        File.Delete(temp);
        if (backingDisk is null)
        {
            await HostProcess.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", temp, size.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Copy-on-write over the image's disk; never smaller than the image's filesystem.
            size = Math.Max(size, new FileInfo(backingDisk).Length);
            await HostProcess.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", Path.GetFullPath(backingDisk), temp, size.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
        }
        File.Move(temp, path);
        _log.LogInformation("microvm: created volume {VolumeId} ({Size} GiB{Backing})", volume.VolumeId, size / GiB, backingDisk is null ? "" : ", over " + backingDisk);
        return path;
    }

    private async Task<string> CreateInstanceStoreAsync(string instanceId, int sizeGiB, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_options.InstanceDirectory(instanceId), InstanceStoreFile);
        File.Delete(path);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(sizeGiB * GiB);
        }
        await HostProcess.RunAsync("mkfs.ext4", ["-q", "-F", "-L", "ephemeral0", path], cancellationToken).ConfigureAwait(false);
        return path;
    }

    private async Task<IDisposable?> EnterBootQueueAsync(MicroVmAccelerator accelerator, CancellationToken cancellationToken) =>
        accelerator == MicroVmAccelerator.Tcg ? await _tcgBoots.EnterAsync(cancellationToken).ConfigureAwait(false) : null;

    /// <summary>Watches the console log from <paramref name="offset"/> for <paramref name="marker"/> while QEMU lives.</summary>
    private async Task<bool> WaitForConsoleAsync(string instanceId, long offset, string marker, int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_options.InstanceDirectory(instanceId), ConsoleFile);
        var elapsed = Stopwatch.StartNew();
        var carry = "";
        var position = offset;
        while (true)
        {
            if (File.Exists(path))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (stream.Length > position)
                {
                    stream.Seek(position, SeekOrigin.Begin);
                    var buffer = new byte[stream.Length - position];
                    await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
                    position += buffer.Length;
                    var text = carry + Encoding.UTF8.GetString(buffer);
                    if (text.Contains(marker, StringComparison.Ordinal))
                    {
                        return true;
                    }
                    carry = text.Length > marker.Length ? text[^marker.Length..] : text;
                }
            }
            if (!IsOurQemu(pid, instanceId) || elapsed.Elapsed > timeout)
            {
                return false;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>QEMU processes started for instances of this state directory: (pid, instance id).</summary>
    private IEnumerable<(int Pid, string InstanceId)> OurQemus()
    {
        var prefix = _options.InstancesDirectory.TrimEnd('/') + "/";
        foreach (var (pid, commandLine) in HostProcess.Find(prefix))
        {
            if (!commandLine.StartsWith("qemu-system", StringComparison.Ordinal) && !commandLine.Contains("/qemu-system", StringComparison.Ordinal))
            {
                continue;
            }
            var at = commandLine.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length;
            var end = commandLine.IndexOfAny(['/', ' ', ','], at);
            var instanceId = end < 0 ? commandLine[at..] : commandLine[at..end];
            if (instanceId.Length > 0)
            {
                yield return (pid, instanceId);
            }
        }
    }

    private bool IsOurQemu(int pid, string instanceId) =>
        HostProcess.CommandLine(pid) is { } commandLine
        && commandLine.Contains("qemu-system", StringComparison.Ordinal)
        && commandLine.Contains(_options.InstanceDirectory(instanceId) + "/", StringComparison.Ordinal);

    private long ConsoleLength(string instanceId)
    {
        var file = new FileInfo(Path.Combine(_options.InstanceDirectory(instanceId), ConsoleFile));
        return file.Exists ? file.Length : 0;
    }

    private string RecordPath(string instanceId) => Path.Combine(_options.InstanceDirectory(instanceId), RecordFile);

    /// <summary>
    /// QEMU's control socket: in the instance directory, or — when that path is too long for a
    /// Unix socket (108 bytes) — under /run/stratus/qmp-&lt;hash of the state directory&gt;/.
    /// </summary>
    private string QmpPath(string instanceId)
    {
        var path = Path.Combine(_options.InstanceDirectory(instanceId), QmpFile);
        if (path.Length <= 100)
        {
            return path;
        }
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(_options.StateDirectory)))[..12];
        var directory = Path.Combine("/run/stratus", "qmp-" + hash);
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, instanceId + ".sock");
    }

    private string VolumePath(string volumeId)
    {
        if (string.IsNullOrEmpty(volumeId) || volumeId.Contains('/', StringComparison.Ordinal) || volumeId.StartsWith('.'))
        {
            throw new ArgumentException($"invalid volume id '{volumeId}'", nameof(volumeId));
        }
        return Path.Combine(_options.VolumesDirectory, volumeId + ".qcow2");
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];

    private Guest GuestOf(string instanceId)
    {
        if (string.IsNullOrEmpty(instanceId) || instanceId.Contains('/', StringComparison.Ordinal) || instanceId.StartsWith('.'))
        {
            throw new ArgumentException($"invalid instance id '{instanceId}'", nameof(instanceId));
        }
        return _guests.GetOrAdd(instanceId, id => new Guest(id));
    }

    private sealed class Guest(string instanceId)
    {
        private int _reachedInit;

        public string InstanceId { get; } = instanceId;

        public SemaphoreSlim Lock { get; } = new(1, 1);

        public MicroVmRecord? Record { get; set; }

        /// <summary>The QEMU pid whose guest-initiated power-off has been reported.</summary>
        public int? PowerOffReportedFor { get; set; }

        public bool? ReachedInit
        {
            get => Volatile.Read(ref _reachedInit) switch { 1 => true, 2 => false, _ => null };
            set => Volatile.Write(ref _reachedInit, value switch { true => 1, false => 2, null => 0 });
        }
    }
}
