using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Stratus.Domain.Instances;
using Stratus.Runtime.Container;
using Stratus.Runtime.Host;
using Stratus.Runtime.Images;
using Xunit;
using Xunit.Abstractions;

namespace Stratus.Runtime.Tests.Container;

/// <summary>
/// The container runtime against the real host: root, crun and overlayfs are required (the tests
/// fail without them). Each test has its own state and image directories and removes whatever it
/// made, even when an assertion fails.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class ContainerRuntimeTests : IAsyncLifetime
{
    private const string Init = """
        #!/bin/busybox sh
        /bin/busybox mkdir -p /usr/bin /usr/sbin /www
        trap 'echo "stratus-init: powering off"; exit 0' TERM
        trap 'echo "stratus-init: powering off on USR1"; exit 0' USR1
        /bin/busybox --install -s 2>/dev/null
        echo "hello from $(/bin/busybox hostname)" > /www/index.html
        /bin/busybox httpd -p 80 -h /www
        echo "stratus-init: userspace reached"
        while :; do sleep 1 & wait $!; done
        """;

    private static int s_subnet = Random.Shared.Next(0, 60);

    private readonly ITestOutputHelper _output;
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-container-").FullName;
    private readonly VethTestNetwork _network = new();
    private readonly List<string> _instances = [];
    private readonly List<IInstanceRuntime> _runtimes = [];

    public ContainerRuntimeTests(ITestOutputHelper output)
    {
        _output = output;
        Options = new HostRuntimeOptions
        {
            StateDirectory = Path.Combine(_root, "host"),
            ImageDirectory = Path.Combine(_root, "images"),
            MetadataPort = 1,
            MaxGuestVCpus = 1,
            MaxGuestMemoryMiB = 384,
        };
    }

    private HostRuntimeOptions Options { get; }

    public Task InitializeAsync()
    {
        Assert.Empty(ContainerRuntime.Probe());
        var rootFs = Path.Combine(Options.ImageDirectory, "test", "rootfs");
        foreach (var directory in (string[])["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "media"])
        {
            Directory.CreateDirectory(Path.Combine(rootFs, directory));
        }
        File.Copy("/bin/busybox", Path.Combine(rootFs, "bin", "busybox"));
        File.WriteAllText(Path.Combine(rootFs, "sbin", "init"), Init.Replace("\r", "", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(rootFs, "sbin", "init"), (UnixFileMode)Convert.ToInt32("755", 8));
        }
        File.WriteAllText(Path.Combine(rootFs, "sbin", "broken-init"), "#!/bin/busybox sh\necho 'stratus-init: giving up'\nexit 3\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(rootFs, "sbin", "broken-init"), (UnixFileMode)Convert.ToInt32("755", 8));
        }
        new GuestImageStore(Options.ImageDirectory).Save(new GuestImageManifest { Name = "test", RootFs = "rootfs", Init = "/sbin/init" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _instances)
        {
            await Host("crun", "delete", "--force", ContainerRuntime.ContainerId(id));
            await Host("ip", "netns", "delete", ContainerRuntime.NetnsName(id));
        }
        foreach (var mount in MountsUnder(_root))
        {
            await Host("umount", "-l", mount);
        }
        await _network.ShutdownAsync(CancellationToken.None);
        foreach (var runtime in _runtimes)
        {
            await runtime.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_container_runs_the_init_isolated_limited_and_reachable_and_terminate_leaves_nothing()
    {
        var runtime = NewRuntime();
        var boot = NewBoot(instanceStoreGiB: 0, vcpus: 4, memoryMiB: 512);

        await runtime.StartAsync(boot, CancellationToken.None);

        var pid = Pid(runtime, boot);
        Assert.True(await ReachedInit(runtime, boot.InstanceId));
        Assert.Equal(new GuestHealth(true, true), runtime.GetHealth(boot.InstanceId));
        Assert.Contains(ContainerRuntime.InitMarker, await runtime.GetConsoleOutputAsync(boot.InstanceId, CancellationToken.None));
        await Host("nsenter", "-t", pid, "-m", "-p", "/bin/busybox", "sh", "-c", "echo written to /dev/console > /dev/console");
        var console = "";
        for (var attempt = 0; attempt < 50 && !console.Contains("written to /dev/console", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(100);
            console = await runtime.GetConsoleOutputAsync(boot.InstanceId, CancellationToken.None);
        }
        Assert.Contains("written to /dev/console", console);
        foreach (var ns in (string[])["pid", "uts", "mnt", "ipc", "net"])
        {
            Assert.NotEqual(Link($"/proc/self/ns/{ns}"), Link($"/proc/{pid}/ns/{ns}"));
        }
        var netnsInode = (await Host("stat", "-c", "%i", $"/run/netns/{ContainerRuntime.NetnsName(boot.InstanceId)}")).Trim();
        Assert.Equal($"net:[{netnsInode}]", Link($"/proc/{pid}/ns/net"));
        Assert.Equal(boot.HostName, (await Host("nsenter", "-t", Pid(runtime, boot), "-u", "hostname")).Trim());
        Assert.Equal(boot.HostName, File.ReadAllText($"/proc/{pid}/root/etc/hostname").Trim());

        // Limits: 512 MiB asked, 384 allowed; 4 vCPUs asked, 1 allowed.
        Assert.Equal(384L * 1024 * 1024, CgroupValue(boot.InstanceId, "memory", "memory.limit_in_bytes", "memory.max"));
        Assert.Equal(100_000L, CgroupValue(boot.InstanceId, "cpu", "cpu.cfs_quota_us", "cpu.max"));
        Assert.Equal(4096L, CgroupValue(boot.InstanceId, "pids", "pids.max", "pids.max"));

        using var http = new HttpClient(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var page = await Retry(() => http.GetStringAsync(new Uri($"http://{boot.PrimaryNic.PrivateIp}/")));
        Assert.Equal($"hello from {boot.HostName}", page.Trim());

        await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.DeleteVolumeAsync(RootVolume(boot), CancellationToken.None));

        // A guest that drops its interface's addresses no longer answers: its instance check fails.
        await Host("nsenter", "-t", pid, "-n", "ip", "addr", "flush", "dev", "eth0");
        Assert.Equal(new GuestHealth(true, false), runtime.GetHealth(boot.InstanceId));

        await runtime.TerminateAsync(boot.InstanceId, CancellationToken.None);

        Assert.Null(runtime.GetHealth(boot.InstanceId));
        await AssertNothingLeft(boot.InstanceId, pid);
        Assert.False(Directory.Exists(Options.InstanceDirectory(boot.InstanceId)));
        Assert.True(File.Exists(Path.Combine(Options.VolumesDirectory, RootVolume(boot), "upper", "www", "index.html")), "the root volume stays until it is deleted");
        await runtime.DeleteVolumeAsync(RootVolume(boot), CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(Options.VolumesDirectory, RootVolume(boot))));
    }

    [Fact]
    public async Task The_root_volume_survives_stop_start_and_reboot_and_the_instance_store_only_reboot()
    {
        var runtime = NewRuntime();
        var boot = NewBoot(instanceStoreGiB: 1);
        await runtime.StartAsync(boot, CancellationToken.None);
        Assert.True(await ReachedInit(runtime, boot.InstanceId));

        await File.WriteAllTextAsync($"/proc/{Pid(runtime, boot)}/root/root-file", "on the root volume");
        await File.WriteAllTextAsync($"/proc/{Pid(runtime, boot)}/root/media/ephemeral0/scratch", "on the instance store");

        var before = Pid(runtime, boot);
        await runtime.RebootAsync(boot.InstanceId, CancellationToken.None);
        Assert.NotEqual(before, Pid(runtime, boot));
        Assert.True(await ReachedInit(runtime, boot.InstanceId));
        Assert.Equal("on the root volume", await File.ReadAllTextAsync($"/proc/{Pid(runtime, boot)}/root/root-file"));
        Assert.Equal("on the instance store", await File.ReadAllTextAsync($"/proc/{Pid(runtime, boot)}/root/media/ephemeral0/scratch"));
        var console = await runtime.GetConsoleOutputAsync(boot.InstanceId, CancellationToken.None);
        Assert.Equal(2, console.Split(ContainerRuntime.InitMarker).Length - 1);
        Assert.Contains("stratus-init: powering off", console);

        await runtime.StopAsync(boot.InstanceId, force: false, CancellationToken.None);
        Assert.Null(runtime.GetHealth(boot.InstanceId));
        await AssertNothingLeft(boot.InstanceId, before);
        await runtime.StartAsync(boot, CancellationToken.None);
        Assert.True(await ReachedInit(runtime, boot.InstanceId));
        Assert.Equal("on the root volume", await File.ReadAllTextAsync($"/proc/{Pid(runtime, boot)}/root/root-file"));
        Assert.True(Directory.Exists($"/proc/{Pid(runtime, boot)}/root/media/ephemeral0"));
        Assert.False(File.Exists($"/proc/{Pid(runtime, boot)}/root/media/ephemeral0/scratch"));

        var last = Pid(runtime, boot);
        await runtime.StopAsync(boot.InstanceId, force: true, CancellationToken.None);
        await AssertNothingLeft(boot.InstanceId, last);
        await runtime.TerminateAsync(boot.InstanceId, CancellationToken.None);
        await AssertNothingLeft(boot.InstanceId, last);
    }

    [Fact]
    public async Task A_guest_that_reboots_itself_boots_again_in_place_and_one_that_powers_off_stays_off()
    {
        var runtime = NewRuntime();
        var boot = NewBoot(instanceStoreGiB: 1);
        await runtime.StartAsync(boot, CancellationToken.None);
        Assert.True(await ReachedInit(runtime, boot.InstanceId));
        var first = Pid(runtime, boot);
        await File.WriteAllTextAsync($"/proc/{first}/root/media/ephemeral0/scratch", "kept");

        await Host("nsenter", "-t", first, "-p", "-m", "/bin/busybox", "reboot", "-f");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((runtime.InitPid(boot.InstanceId)?.ToString(CultureInfo.InvariantCulture) ?? first) == first)
        {
            Assert.True(DateTime.UtcNow < deadline, "the guest did not boot again");
            await Task.Delay(20);
        }
        Assert.True(await ReachedInit(runtime, boot.InstanceId));
        Assert.True(runtime.GetHealth(boot.InstanceId)!.Running);
        Assert.Equal("kept", await File.ReadAllTextAsync($"/proc/{Pid(runtime, boot)}/root/media/ephemeral0/scratch"));
        Assert.Equal(2, (await runtime.GetConsoleOutputAsync(boot.InstanceId, CancellationToken.None)).Split(ContainerRuntime.InitMarker).Length - 1);

        var second = Pid(runtime, boot);
        await Host("nsenter", "-t", second, "-p", "-m", "/bin/busybox", "poweroff", "-f");
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (runtime.GetHealth(boot.InstanceId)!.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, "the guest did not power off");
            await Task.Delay(20);
        }
        await Task.Delay(1000);
        Assert.Equal(second, Pid(runtime, boot));
        Assert.False(runtime.GetHealth(boot.InstanceId)!.Running);

        await runtime.TerminateAsync(boot.InstanceId, CancellationToken.None);
        await AssertNothingLeft(boot.InstanceId, second);
    }

    [Fact]
    public async Task A_new_runtime_on_the_same_state_readopts_a_running_container()
    {
        var first = NewRuntime();
        await first.InitializeAsync(CancellationToken.None);
        var boot = NewBoot();
        await first.StartAsync(boot, CancellationToken.None);
        var pid = Pid(first, boot);

        var second = NewRuntime();
        await second.InitializeAsync(CancellationToken.None);
        Assert.True(File.Exists($"/proc/{pid}/stat"));
        await second.ResumeAsync(boot, CancellationToken.None);

        Assert.Equal(pid, Pid(second, boot));
        Assert.True(await ReachedInit(second, boot.InstanceId));
        await second.TerminateAsync(boot.InstanceId, CancellationToken.None);
        await AssertNothingLeft(boot.InstanceId, pid);
    }

    [Fact]
    public async Task Initialize_removes_containers_this_runtime_does_not_know()
    {
        var first = NewRuntime();
        var boot = NewBoot();
        await first.StartAsync(boot, CancellationToken.None);
        var pid = Pid(first, boot);
        File.Delete(Path.Combine(Options.InstanceDirectory(boot.InstanceId), "container.json"));

        await NewRuntime().InitializeAsync(CancellationToken.None);

        await AssertNothingLeft(boot.InstanceId, pid);
    }

    [Fact]
    public async Task Shutdown_leaves_nothing_and_a_later_resume_boots_the_instances_again()
    {
        var runtime = NewRuntime();
        var boots = new[] { NewBoot(instanceStoreGiB: 1), NewBoot() };
        await Task.WhenAll(boots.Select(b => runtime.StartAsync(b, CancellationToken.None)));
        var pids = boots.Select(b => Pid(runtime, b)).ToList();

        await runtime.ShutdownAsync(CancellationToken.None);

        for (var i = 0; i < boots.Length; i++)
        {
            await AssertNothingLeft(boots[i].InstanceId, pids[i]);
            using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(Options.InstanceDirectory(boots[i].InstanceId), "container.json")));
            Assert.True(state.RootElement.GetProperty("running").GetBoolean());
        }
        Assert.Empty(_network.HostDevices);

        var next = NewRuntime();
        await next.InitializeAsync(CancellationToken.None);
        await next.ResumeAsync(boots[0], CancellationToken.None);
        Assert.True(await ReachedInit(next, boots[0].InstanceId));
        Assert.NotEqual(pids[0], Pid(next, boots[0]));
        await next.TerminateAsync(boots[0].InstanceId, CancellationToken.None);
        await AssertNothingLeft(boots[0].InstanceId, pids[0]);
    }

    [Fact]
    public async Task A_guest_whose_init_dies_is_reported_not_running_and_not_reached()
    {
        var runtime = NewRuntime();
        var image = new GuestImageStore(Options.ImageDirectory).Find("test")!;
        new GuestImageStore(Options.ImageDirectory).Save(image.Manifest with { Name = "broken", RootFs = "../test/rootfs", Init = "/sbin/broken-init" });
        var boot = NewBoot() with { RuntimeImage = "broken" };
        await runtime.StartAsync(boot, CancellationToken.None);

        Assert.False(await ReachedInit(runtime, boot.InstanceId));
        Assert.False(runtime.GetHealth(boot.InstanceId)!.Running);
        Assert.Contains("stratus-init: giving up", await runtime.GetConsoleOutputAsync(boot.InstanceId, CancellationToken.None));
        await runtime.TerminateAsync(boot.InstanceId, CancellationToken.None);
        await AssertNothingLeft(boot.InstanceId, 0);
    }

    [Fact]
    public async Task A_clean_stop_sends_the_images_stop_signal()
    {
        var runtime = NewRuntime();
        var image = new GuestImageStore(Options.ImageDirectory).Find("test")!;
        new GuestImageStore(Options.ImageDirectory).Save(image.Manifest with { Name = "usr1", RootFs = "../test/rootfs", StopSignal = "SIGUSR1" });
        var boot = NewBoot() with { RuntimeImage = "usr1" };
        await runtime.StartAsync(boot, CancellationToken.None);
        Assert.True(await ReachedInit(runtime, boot.InstanceId));
        var pid = Pid(runtime, boot);

        await runtime.StopAsync(boot.InstanceId, force: false, CancellationToken.None);
        Assert.Contains("stratus-init: powering off on USR1", await runtime.GetConsoleOutputAsync(boot.InstanceId, CancellationToken.None));
        await runtime.TerminateAsync(boot.InstanceId, CancellationToken.None);
        await AssertNothingLeft(boot.InstanceId, pid);
    }

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("term", 15)]
    [InlineData("SIGRTMIN+3", 37)]
    [InlineData("SIGRTMIN", 34)]
    [InlineData("SIGPWR", 30)]
    [InlineData("10", 10)]
    [InlineData("SIGRTMIN-1", null)]
    [InlineData("SIGNOPE", null)]
    [InlineData("", null)]
    public void Stop_signals_are_named_as_in_manifests(string name, int? number) => Assert.Equal(number, HostTools.SignalNumber(name));

    [Fact]
    public async Task A_missing_image_fails_the_start_and_leaves_nothing()
    {
        var runtime = NewRuntime();
        var boot = NewBoot() with { RuntimeImage = "nope" };
        await Assert.ThrowsAsync<InvalidOperationException>(() => runtime.StartAsync(boot, CancellationToken.None));
        Assert.Null(runtime.GetHealth(boot.InstanceId));
        await AssertNothingLeft(boot.InstanceId, 0);
    }

    [Fact]
    public async Task Start_and_stop_latency()
    {
        var runtime = NewRuntime();
        var boot = NewBoot(instanceStoreGiB: 1);
        var starts = new List<double>();
        var ready = new List<double>();
        var stops = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            await runtime.StartAsync(boot, CancellationToken.None);
            starts.Add(watch.Elapsed.TotalMilliseconds);
            Assert.True(await ReachedInit(runtime, boot.InstanceId, pollMilliseconds: 1));
            ready.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await runtime.StopAsync(boot.InstanceId, force: false, CancellationToken.None);
            stops.Add(watch.Elapsed.TotalMilliseconds);
        }
        _output.WriteLine($"start (incl. test network) ms: {string.Join(", ", starts.Select(F))}");
        _output.WriteLine($"start → init reached ms: {string.Join(", ", ready.Select(F))}");
        _output.WriteLine($"stop (SIGTERM, init exits) ms: {string.Join(", ", stops.Select(F))}");
        await runtime.TerminateAsync(boot.InstanceId, CancellationToken.None);

        static string F(double ms) => ms.ToString("F0", CultureInfo.InvariantCulture);
    }

    private ContainerRuntime NewRuntime()
    {
        var runtime = (ContainerRuntime)InstanceRuntimes.Container(Options, _network, new TestOutputLogs(_output));
        _runtimes.Add(runtime);
        return runtime;
    }

    private InstanceBoot NewBoot(int instanceStoreGiB = 0, int vcpus = 1, int memoryMiB = 256)
    {
        var hex = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..17];
        var id = "i-" + hex;
        _instances.Add(id);
        // A /30 per instance: the test network's host end is .1, the guest .2.
        var second = 200 + (Interlocked.Increment(ref s_subnet) % 50);
        var ip = string.Create(CultureInfo.InvariantCulture, $"10.{second}.{Random.Shared.Next(0, 256)}.2");
        var nic = new GuestNic("eni-" + hex, "vpc-1", "10.0.0.0/8", "subnet-1", "10.0.0.0/8", ip, "02:00:00:" + hex[..2] + ":" + hex[2..4] + ":" + hex[4..6], null);
        return new InstanceBoot("123456789012", "us-east-1", id, "t3.micro", vcpus, memoryMiB, "test", nic,
            [new GuestDisk("vol-" + hex, "/dev/xvda", 1, IsRoot: true)], instanceStoreGiB);
    }

    private static string RootVolume(InstanceBoot boot) => boot.Disks.Single(d => d.IsRoot).VolumeId;

    private static string Pid(ContainerRuntime runtime, InstanceBoot boot) =>
        (runtime.InitPid(boot.InstanceId) ?? throw new InvalidOperationException("no init")).ToString(CultureInfo.InvariantCulture);

    private static async Task<bool?> ReachedInit(ContainerRuntime runtime, string instanceId, int pollMilliseconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (runtime.GetHealth(instanceId)?.ReachedInit is { } reached)
            {
                return reached;
            }
            await Task.Delay(pollMilliseconds);
        }
        return null;
    }

    private async Task AssertNothingLeft(string instanceId, object pid)
    {
        var instance = Path.GetFullPath(Options.InstanceDirectory(instanceId));
        Assert.Empty(MountsUnder(instance));
        Assert.DoesNotContain(ContainerRuntime.ContainerId(instanceId), await Host("crun", "list"));
        Assert.False(File.Exists("/run/netns/" + ContainerRuntime.NetnsName(instanceId)));
        Assert.DoesNotContain(ContainerRuntime.NetnsName(instanceId), await Host("ip", "netns", "list"));
        foreach (var directory in CgroupDirectories(instanceId))
        {
            Assert.False(Directory.Exists(directory), directory);
        }
        if (pid is string p && p != "0")
        {
            Assert.False(File.Exists($"/proc/{p}/stat") && !File.ReadAllText($"/proc/{p}/stat").Contains(") Z", StringComparison.Ordinal), $"process {p} still runs");
        }
        Assert.Empty(ProcessesMentioning(ContainerRuntime.ContainerId(instanceId)));
        // A removed network namespace takes its devices with it asynchronously (the kernel's netns cleanup).
        var links = await Host("ip", "-o", "link", "show");
        for (var i = 0; i < 50 && links.Contains("vst" + instanceId[^8..], StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            links = await Host("ip", "-o", "link", "show");
        }
        Assert.DoesNotContain("vst" + instanceId[^8..], links);
    }

    /// <summary>Processes whose command line names <paramref name="text"/> (crun, the supervisor), the test's own tools excepted.</summary>
    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (!name.All(char.IsAsciiDigit) || name == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                continue;
            }
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{name}: {commandLine}");
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private static IEnumerable<string> CgroupDirectories(string instanceId) => File.Exists("/sys/fs/cgroup/cgroup.controllers")
        ? [Path.Combine("/sys/fs/cgroup", ContainerRuntime.CgroupsPath(instanceId))]
        : Directory.EnumerateDirectories("/sys/fs/cgroup").Select(d => Path.Combine(d, ContainerRuntime.CgroupsPath(instanceId)));

    private static long CgroupValue(string instanceId, string controller, string v1File, string v2File)
    {
        var path = File.Exists("/sys/fs/cgroup/cgroup.controllers")
            ? Path.Combine("/sys/fs/cgroup", ContainerRuntime.CgroupsPath(instanceId), v2File)
            : Path.Combine("/sys/fs/cgroup", controller, ContainerRuntime.CgroupsPath(instanceId), v1File);
        var text = File.ReadAllText(path).Trim().Split(' ')[0];
        return long.Parse(text, CultureInfo.InvariantCulture);
    }

    private static List<string> MountsUnder(string directory) => File.ReadLines("/proc/self/mountinfo")
        .Select(l => l.Split(' ')[4])
        .Where(m => m == directory || m.StartsWith(directory + "/", StringComparison.Ordinal))
        .OrderByDescending(m => m.Length)
        .ToList();

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? "";

    private static async Task<T> Retry<T>(Func<Task<T>> action)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<string> Host(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
