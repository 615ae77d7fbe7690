using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Stratus.Domain.Instances;
using Stratus.Runtime.Host;
using Stratus.Runtime.MicroVm;
using Xunit;
using Xunit.Abstractions;

namespace Stratus.Runtime.Tests.MicroVm;

/// <summary>Real QEMU microVMs (TCG when the host's KVM cannot boot guests) on a stand-in network.</summary>
#pragma warning disable CA1001 // disposed in IAsyncLifetime.DisposeAsync
public sealed class MicroVmRuntimeTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private static int _subnet = Environment.ProcessId % 100;
    private readonly ITestOutputHelper _output;
    private readonly string _state = Directory.CreateTempSubdirectory("smv-").FullName;
    private readonly TestHostNetwork _network = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private HostRuntimeOptions _options = null!;

    public MicroVmRuntimeTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync()
    {
        MicroVmTestImage.RequireHost();
        _options = new HostRuntimeOptions
        {
            StateDirectory = _state,
            ImageDirectory = MicroVmTestImage.ImageDirectory,
            MetadataPort = 0,
            MaxGuestMemoryMiB = 256,
        };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // Only QEMU processes started for this test's own state directory, by PID.
        foreach (var (pid, _) in HostProcess.Find(_state + "/"))
        {
            HostProcess.Kill(pid);
        }
        await _network.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_state, recursive: true);
    }

    [Fact]
    public async Task A_guest_boots_to_its_init_serves_http_on_its_address_and_powers_off_on_stop()
    {
        await using var runtime = NewRuntime();
        await runtime.InitializeAsync(default);
        var boot = NewBoot();

        var started = Stopwatch.StartNew();
        await runtime.StartAsync(boot, default);
        _output.WriteLine($"boot (start → init marker): {started.ElapsedMilliseconds} ms");

        Assert.Equal(new GuestHealth(true, true), runtime.GetHealth(boot.InstanceId));
        var console = await runtime.GetConsoleOutputAsync(boot.InstanceId, default);
        Assert.Contains("stratus-init: userspace reached", console, StringComparison.Ordinal);
        Assert.Contains("stratus-test: boot 1", console, StringComparison.Ordinal);
        Assert.Equal("1", await Fetch(boot, "boot-count"));
        Assert.Equal("none", await Fetch(boot, "ephemeral")); // no instance store
        var record = Record(boot.InstanceId);
        _output.WriteLine($"accelerator: {record.GetProperty("accelerator").GetString()}, QEMU {record.GetProperty("pid").GetInt32()}");

        var stopping = Stopwatch.StartNew();
        await runtime.StopAsync(boot.InstanceId, force: false, default);
        _output.WriteLine($"stop (ACPI power button → QEMU gone): {stopping.ElapsedMilliseconds} ms");
        Assert.Null(runtime.GetHealth(boot.InstanceId));
        Assert.Contains("stratus-test: powering off", await runtime.GetConsoleOutputAsync(boot.InstanceId, default), StringComparison.Ordinal);
        Assert.Empty(QemusOf(boot.InstanceId));
        Assert.Empty(_network.Namespaces);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(30), "the guest powered off on the power button, not on the timeout");
    }

    [Fact]
    public async Task The_root_volume_survives_reboot_and_stop_start_and_the_instance_store_only_reboot()
    {
        await using var runtime = NewRuntime();
        await runtime.InitializeAsync(default);
        var boot = NewBoot(instanceStoreGiB: 1);
        await runtime.StartAsync(boot, default);
        Assert.Equal(("1", "fresh"), (await Fetch(boot, "boot-count"), await Fetch(boot, "ephemeral")));
        var pid = Record(boot.InstanceId).GetProperty("pid").GetInt32();

        var rebooting = Stopwatch.StartNew();
        await runtime.RebootAsync(boot.InstanceId, default);
        _output.WriteLine($"reboot (system_reset → init marker): {rebooting.ElapsedMilliseconds} ms");
        Assert.Equal(new GuestHealth(true, true), runtime.GetHealth(boot.InstanceId));
        Assert.Equal(pid, Record(boot.InstanceId).GetProperty("pid").GetInt32());
        Assert.Equal(("2", "kept"), (await Fetch(boot, "boot-count"), await Fetch(boot, "ephemeral")));

        await runtime.StopAsync(boot.InstanceId, force: true, default);
        Assert.Null(runtime.GetHealth(boot.InstanceId));
        await runtime.StartAsync(boot, default);
        Assert.Equal(("3", "fresh"), (await Fetch(boot, "boot-count"), await Fetch(boot, "ephemeral")));
        await runtime.StopAsync(boot.InstanceId, force: false, default);
    }

    [Fact]
    public async Task Terminate_leaves_no_process_tap_or_files_and_the_volume_stays_until_deleted()
    {
        await using var runtime = NewRuntime();
        await runtime.InitializeAsync(default);
        var boot = NewBoot(instanceStoreGiB: 1);
        await runtime.StartAsync(boot, default);
        var ns = Assert.Single(_network.Namespaces);
        var volume = Path.Combine(_options.VolumesDirectory, boot.Disks[0].VolumeId + ".qcow2");
        Assert.True(File.Exists(volume));

        await runtime.TerminateAsync(boot.InstanceId, default);

        Assert.Empty(QemusOf(boot.InstanceId));
        Assert.False(TestHostNetwork.NamespaceExists(ns));
        Assert.False(Directory.Exists(_options.InstanceDirectory(boot.InstanceId)));
        Assert.Null(runtime.GetHealth(boot.InstanceId));
        Assert.Equal("", await runtime.GetConsoleOutputAsync(boot.InstanceId, default));
        Assert.True(File.Exists(volume));
        await runtime.DeleteVolumeAsync(boot.Disks[0].VolumeId, default);
        Assert.False(File.Exists(volume));
    }

    [Fact]
    public async Task A_new_runtime_on_the_same_state_readopts_the_running_guest_and_shutdown_leaves_nothing()
    {
        var boot = NewBoot();
        int pid;
        await using (var first = NewRuntime())
        {
            await first.InitializeAsync(default);
            await first.StartAsync(boot, default);
            pid = Record(boot.InstanceId).GetProperty("pid").GetInt32();
        } // Stratus goes away without shutting down: the guest keeps running

        await using var second = NewRuntime();
        await second.InitializeAsync(default);
        Assert.Equal([boot.InstanceId], _network.Kept);
        await second.ResumeAsync(boot, default);

        Assert.Equal(pid, Record(boot.InstanceId).GetProperty("pid").GetInt32());
        Assert.Equal([pid], QemusOf(boot.InstanceId));
        Assert.Equal(new GuestHealth(true, true), second.GetHealth(boot.InstanceId));
        Assert.Equal("1", await Fetch(boot, "boot-count"));
        await second.RebootAsync(boot.InstanceId, default); // QMP works on the re-adopted guest
        Assert.Equal("2", await Fetch(boot, "boot-count"));

        await second.ShutdownAsync(default);
        Assert.Empty(QemusOf(boot.InstanceId));
        Assert.Empty(_network.Namespaces);
        Assert.True(File.Exists(Path.Combine(_options.InstanceDirectory(boot.InstanceId), "runtime.json")));
    }

    [Fact]
    public async Task Initialize_switches_off_guests_it_has_no_record_of_and_resume_boots_a_guest_that_is_gone()
    {
        var orphan = NewBoot();
        var gone = NewBoot();
        await using (var first = NewRuntime())
        {
            await first.InitializeAsync(default);
            await first.StartAsync(orphan, default);
            await first.StartAsync(gone, default);
        }
        File.Delete(Path.Combine(_options.InstanceDirectory(orphan.InstanceId), "runtime.json"));
        var gonePid = Record(gone.InstanceId).GetProperty("pid").GetInt32();
        HostProcess.Kill(gonePid);
        await HostProcess.WaitUntilGoneAsync(() => HostProcess.CommandLine(gonePid) is not null, TimeSpan.FromSeconds(10), default);

        await using var second = NewRuntime();
        await second.InitializeAsync(default);
        Assert.Empty(QemusOf(orphan.InstanceId));
        Assert.Empty(_network.Kept!);

        await second.ResumeAsync(gone, default);
        Assert.NotEqual(gonePid, Record(gone.InstanceId).GetProperty("pid").GetInt32());
        Assert.Equal("2", await Fetch(gone, "boot-count"));
        await second.ShutdownAsync(default);
        Assert.Empty(QemusOf(gone.InstanceId));
    }

    [Fact]
    public async Task A_guest_that_never_reaches_its_init_runs_with_init_not_reached_after_the_timeout()
    {
        var image = new Images.GuestImageStore(_options.ImageDirectory).Find(MicroVmTestImage.Name)!;
        var images = new Images.GuestImageStore(Path.Combine(_state, "images"));
        images.Save(image.Manifest with
        {
            Name = "silent",
            Kernel = image.KernelPath,
            Initrd = image.InitrdPath,
            Disk = image.DiskPath,
            KernelArguments = image.Manifest.KernelArguments + " stratus-test.silent",
        });
        await using var runtime = new MicroVmRuntime(_options with { ImageDirectory = images.Root }, _network, null)
        {
            TcgBootTimeout = TimeSpan.FromSeconds(15),
            KvmBootTimeout = TimeSpan.FromSeconds(15),
        };
        await runtime.InitializeAsync(default);
        var boot = NewBoot() with { RuntimeImage = "silent" };

        await runtime.StartAsync(boot, default);

        Assert.Equal(new GuestHealth(true, false), runtime.GetHealth(boot.InstanceId));
        Assert.Contains("stratus-test: staying silent", await runtime.GetConsoleOutputAsync(boot.InstanceId, default), StringComparison.Ordinal);
        await runtime.TerminateAsync(boot.InstanceId, default);
        Assert.Empty(QemusOf(boot.InstanceId));
    }

    [Fact]
    public async Task A_guest_that_died_reports_not_running_and_starts_again()
    {
        await using var runtime = NewRuntime();
        await runtime.InitializeAsync(default);
        var boot = NewBoot(instanceStoreGiB: 1);
        await runtime.StartAsync(boot, default);
        var pid = Record(boot.InstanceId).GetProperty("pid").GetInt32();

        HostProcess.Kill(pid);
        await HostProcess.WaitUntilGoneAsync(() => HostProcess.CommandLine(pid) is not null, TimeSpan.FromSeconds(10), default);
        Assert.Equal(new GuestHealth(false, true), runtime.GetHealth(boot.InstanceId));

        await runtime.StartAsync(boot, default);
        Assert.Equal(new GuestHealth(true, true), runtime.GetHealth(boot.InstanceId));
        Assert.Equal(("2", "fresh"), (await Fetch(boot, "boot-count"), await Fetch(boot, "ephemeral")));
        await runtime.TerminateAsync(boot.InstanceId, default);
        Assert.Empty(_network.Namespaces);
    }

    [Fact]
    public async Task Starting_an_instance_whose_image_is_missing_fails_and_leaves_nothing()
    {
        await using var runtime = NewRuntime();
        await runtime.InitializeAsync(default);
        var boot = NewBoot() with { RuntimeImage = "no-such-image" };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.StartAsync(boot, default));

        Assert.Contains("no-such-image", error.Message, StringComparison.Ordinal);
        Assert.Null(runtime.GetHealth(boot.InstanceId));
        Assert.Empty(_network.Namespaces);
    }

    [Fact]
    public async Task The_accelerator_probe_answers_and_caches_its_answer()
    {
        var image = new Images.GuestImageStore(_options.ImageDirectory).Find(MicroVmTestImage.Name)!;
        var accelerator = await MicroVmAcceleratorProbe.DetectAsync(image.KernelPath!, image.InitrdPath, _state, default);
        _output.WriteLine($"accelerator: {accelerator}");
        var cached = Assert.Single(Directory.GetFiles(Path.Combine(_state, "microvm"), "accelerator-*"));
        Assert.Equal(accelerator.ToString().ToLowerInvariant(), File.ReadAllText(cached).Trim());
        if (!File.Exists("/dev/kvm"))
        {
            Assert.Equal(MicroVmAccelerator.Tcg, accelerator);
        }
    }

    private MicroVmRuntime NewRuntime() => new(_options, _network, null) { StopTimeout = TimeSpan.FromSeconds(30) };

    private static InstanceBoot NewBoot(int instanceStoreGiB = 0)
    {
        var id = "i-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..17];
        var subnet = Interlocked.Increment(ref _subnet) % 250;
        var mac = string.Create(CultureInfo.InvariantCulture, $"02:00:0a:d5:{subnet:x2}:0a");
        var nic = new GuestNic("eni-" + id[2..], "vpc-test", "10.213.0.0/16", "subnet-test", $"10.213.{subnet}.0/24", $"10.213.{subnet}.10", mac, null);
        return new InstanceBoot("123456789012", "us-east-1", id, "t3.micro", 1, 256, MicroVmTestImage.Name, nic,
            [new GuestDisk("vol-" + id[2..], "/dev/xvda", 1, IsRoot: true)], instanceStoreGiB);
    }

    private async Task<string> Fetch(InstanceBoot boot, string file)
    {
        var url = $"http://{boot.PrimaryNic.PrivateIp}/{file}";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await _http.GetStringAsync(url)).Trim();
            }
            catch (HttpRequestException) when (attempt < 20)
            {
                await Task.Delay(500);
            }
            catch (TaskCanceledException) when (attempt < 20)
            {
            }
        }
    }

    private JsonElement Record(string instanceId) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(_options.InstanceDirectory(instanceId), "runtime.json"))).RootElement;

    private List<int> QemusOf(string instanceId) =>
        HostProcess.Find(_options.InstanceDirectory(instanceId) + "/").Select(p => p.Pid).ToList();
}
