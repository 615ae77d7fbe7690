using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Stratus.Runtime.Images;
using Xunit;

namespace Stratus.Runtime.Tests;

/// <summary>
/// Builds the minimal image once into a temporary image directory (the kernel comes from the
/// kernel cache; CI builds it with <c>stratus images build minimal</c> before the tests).
/// Needs root, mkfs.ext4, debugfs and qemu-system-x86_64: the tests fail when they are missing.
/// </summary>
public sealed class MinimalImageFixture : IAsyncLifetime
{
    public string ImageRoot { get; } = Directory.CreateTempSubdirectory("stratus-images-").FullName;

    public GuestImage Image { get; private set; } = null!;

    public ImageBuilder Builder { get; private set; } = null!;

    public StringWriter Log { get; } = new();

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || GuestTools.Uid() == 0, "building guest images needs root");
        foreach (var tool in new[] { "mkfs.ext4", "debugfs", "blkid", "qemu-system-x86_64", "qemu-img", "chroot", "unshare", "socat", "ssh", "ssh-keygen", "sfdisk" })
        {
            Assert.True(GuestTools.OnPath(tool), $"{tool} is required (scripts/install-deps.sh installs it)");
        }
        Builder = new ImageBuilder(new GuestImageStore(ImageRoot), TextWriter.Synchronized(Log));
        Image = await Builder.BuildAsync("minimal");
    }

    public Task DisposeAsync()
    {
        using var rm = Process.Start("rm", ["-rf", "--one-file-system", ImageRoot]);
        rm.WaitForExit();
        return Task.CompletedTask;
    }
}

internal static class GuestTools
{
    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/sbin")
            .Any(d => File.Exists(Path.Combine(d, tool)));

    public static int Uid() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault(-1);

    public static async Task<(int Code, string Output)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The host TSC frequency in kHz (TCG guests calibrate it badly without a hint).</summary>
    public static string? TscKhz()
    {
        var mhz = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
        return mhz is null ? null : ((long)(double.Parse(mhz.Split(':')[1].Trim(), CultureInfo.InvariantCulture) * 1000)).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>A started process whose output is collected line by line; killed (by PID) on dispose.</summary>
internal sealed class WatchedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    public WatchedProcess(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.Append(line).Append('\n');
        }
    }

    public async Task<bool> WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            if (_process.HasExited)
            {
                await Task.Delay(200);
                return Output.Contains(text, StringComparison.Ordinal);
            }
            await Task.Delay(200);
        }
        return false;
    }

    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

[CollectionDefinition("minimal image")]
public sealed class MinimalImageCollection : ICollectionFixture<MinimalImageFixture>;

[Collection("minimal image")]
public sealed class MinimalImageTests(MinimalImageFixture fixture)
{
    private GuestImage Image => fixture.Image;

    [Fact]
    public void The_manifest_names_kernel_disk_and_rootfs()
    {
        Assert.Equal("minimal", Image.Name);
        Assert.Equal("ec2-user", Image.Manifest.LoginUser);
        Assert.Equal("/sbin/init", Image.Manifest.Init);
        Assert.Equal("build", Image.Manifest.Origin);
        Assert.True(File.Exists(Image.KernelPath));
        Assert.True(File.Exists(Image.DiskPath));
        Assert.True(Directory.Exists(Image.RootFsPath));
        Assert.Equal(1, Image.Manifest.RootGiB);
        Assert.False(string.IsNullOrEmpty(Image.Manifest.BuildHash));
        // ELF, uncompressed (PVH entry note is in the vmlinux itself).
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(Image.KernelPath!)[..4]);
    }

    [Fact]
    public async Task A_second_build_is_served_from_the_cache()
    {
        var again = await fixture.Builder.BuildAsync("minimal");
        Assert.Equal(Image.Manifest.BuildHash, again.Manifest.BuildHash);
        Assert.Equal(Image.Manifest.BuiltAt, again.Manifest.BuiltAt);
    }

    [Theory]
    [InlineData("/usr/bin/curl", "--version", "curl ")]
    [InlineData("/usr/sbin/dropbear", "-V", "Dropbear v")]
    [InlineData("/bin/busybox", "--help", "BusyBox v")]
    [InlineData("/bin/sh", "-c", "")]
    public async Task Programs_run_inside_the_root_filesystem(string program, string arg, string expected)
    {
        var args = arg == "-c" ? new[] { Image.RootFsPath!, program, "-c", "id ec2-user && ls /usr/share/udhcpc/default.script /etc/acpi/PWRF/00000080 && udhcpc --help 2>&1 | head -1 && acpid --help 2>&1 | head -1" }
            : new[] { Image.RootFsPath!, program, arg };
        var (code, output) = await GuestTools.RunAsync("chroot", args);
        Assert.True(code == 0 || (program == "/bin/busybox" && output.Contains(expected, StringComparison.Ordinal)), output);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        if (arg == "-c")
        {
            Assert.Contains("uid=1000(ec2-user)", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_login_user_has_a_locked_password_that_still_allows_key_login()
    {
        var shadow = await File.ReadAllLinesAsync(Path.Combine(Image.RootFsPath!, "etc", "shadow"));
        Assert.Contains("ec2-user:*:", shadow.Select(l => l[..(l.IndexOf(':', l.IndexOf(':') + 1) + 1)]));
        var passwd = await File.ReadAllTextAsync(Path.Combine(Image.RootFsPath!, "etc", "passwd"));
        Assert.Contains("ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/sh", passwd, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_disk_is_an_ext4_filesystem_with_the_same_files()
    {
        var (code, type) = await GuestTools.RunAsync("blkid", "-p", "-o", "value", "-s", "TYPE", Image.DiskPath!);
        Assert.Equal(0, code);
        Assert.Equal("ext4", type.Trim());
        var (_, sbin) = await GuestTools.RunAsync("debugfs", "-R", "ls -l /sbin", Image.DiskPath!);
        Assert.Contains(" init", sbin, StringComparison.Ordinal);
        Assert.Contains(" udhcpc", sbin, StringComparison.Ordinal);
        var (_, curl) = await GuestTools.RunAsync("debugfs", "-R", "stat /usr/bin/curl", Image.DiskPath!);
        Assert.Contains($"Size: {new FileInfo(Path.Combine(Image.RootFsPath!, "usr/bin/curl")).Length}", curl, StringComparison.Ordinal);
        var (_, home) = await GuestTools.RunAsync("debugfs", "-R", "stat /home/ec2-user", Image.DiskPath!);
        Assert.Contains("User:  1000", home, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PWR", 0, "stratus-init: shutting down")] // the manifest's stopSignal: the container runtime's clean stop
    [InlineData("TERM", 128 + 1, "stratus-init: reboot")] // busybox reboot: reboot(2) ends the PID namespace as SIGHUP would
    public async Task As_a_container_init_it_reaches_ssh_and_stops_or_reboots_on_a_signal(string signal, int status, string said)
    {
        Assert.Equal("SIGPWR", Image.Manifest.StopSignal);
        // The init as PID 1 of fresh PID, mount and network namespaces (no eth0, no IMDS).
        using var init = new WatchedProcess("unshare", ["--pid", "--fork", "--kill-child", "--mount", "--net", "--uts", "chroot", Image.RootFsPath!, "/sbin/init"],
            new Dictionary<string, string> { ["STRATUS_IMDS_WAIT"] = "2" });
        Assert.True(await init.WaitForAsync("stratus-init: ssh ready", TimeSpan.FromSeconds(30)), init.Output);
        Assert.Contains("stratus-init: userspace reached", init.Output, StringComparison.Ordinal);
        Assert.Contains("running in a container", init.Output, StringComparison.Ordinal);

        var pid1 = ChildOf(init.Pid);
        Assert.NotNull(pid1);
        using (var kill = Process.Start("kill", ["-" + signal, pid1.Value.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        Assert.Equal(status, await init.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains(said, init.Output, StringComparison.Ordinal);
    }

    private static int? ChildOf(int pid)
    {
        var children = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..]
            ? int.Parse(first, CultureInfo.InvariantCulture)
            : null;
    }

    [Fact]
    public async Task A_microvm_boots_without_IMDS_and_reaches_ssh()
    {
        // No metadata service: the init gives up on IMDS (stratus.imds_wait=3) and still starts SSH.
        var work = Directory.CreateTempSubdirectory("stratus-boot-").FullName;
        try
        {
            var disk = await CopyDiskAsync(work);
            var clock = Stopwatch.StartNew();
            using var vm = StartVm(disk, "stratus.imds_wait=3", "user,id=n0", Path.Combine(work, "qmp.sock"));
            Assert.True(await vm.WaitForAsync("stratus-init: userspace reached", TimeSpan.FromSeconds(90)), vm.Output);
            var userspace = clock.Elapsed;
            Assert.True(await vm.WaitForAsync("stratus-init: ssh ready", TimeSpan.FromSeconds(90)), vm.Output);
            Assert.Contains("running in a virtual machine", vm.Output, StringComparison.Ordinal);
            Assert.Contains("instance metadata service not reachable", vm.Output, StringComparison.Ordinal);
            Assert.Matches(@"udhcpc: eth0 10\.0\.2\.15/24", vm.Output);
            Console.WriteLine($"minimal: userspace after {userspace.TotalSeconds:0.0}s, ssh after {clock.Elapsed.TotalSeconds:0.0}s");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_microvm_gets_its_key_and_user_data_from_IMDSv2_runs_user_data_once_and_powers_off_on_the_ACPI_power_button()
    {
        var work = Directory.CreateTempSubdirectory("stratus-boot-").FullName;
        using var imds = new ImdsStub("#!/bin/sh\necho hello from user-data as $(id -un)\nexit 3\n");
        try
        {
            var key = Path.Combine(work, "key");
            var (kc, ko) = await GuestTools.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
            Assert.True(kc == 0, ko);
            imds.PublicKey = (await File.ReadAllTextAsync(key + ".pub")).Trim();
            var disk = await CopyDiskAsync(work);
            var sshPort = GuestTools.FreePort();
            // slirp network 169.254.0.0/16 so that 169.254.169.254:80 can be forwarded to the stub.
            var netdev = $"user,id=n0,net=169.254.0.0/16,host=169.254.0.2,dhcpstart=169.254.0.15,hostfwd=tcp:127.0.0.1:{sshPort}-:22," +
                $"guestfwd=tcp:169.254.169.254:80-cmd:socat - TCP:127.0.0.1:{imds.Port}";
            var qmp = Path.Combine(work, "qmp.sock");
            using (var vm = StartVm(disk, "", netdev, qmp))
            {
                Assert.True(await vm.WaitForAsync("stratus-init: user-data exited 3", TimeSpan.FromSeconds(120)), vm.Output);
                Assert.Contains("stratus-init: ssh ready", vm.Output, StringComparison.Ordinal);
                Assert.Contains("hello from user-data as root", vm.Output, StringComparison.Ordinal);
                Assert.Contains("stratus-init: instance i-0123456789abcdef0", vm.Output, StringComparison.Ordinal);

                var (code, output) = await GuestTools.RunAsync("ssh", "-i", key, "-p", sshPort.ToString(CultureInfo.InvariantCulture),
                    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
                    "ec2-user@127.0.0.1", "id -un; hostname; cat /var/log/user-data.log; stat -c '%a %U' .ssh .ssh/authorized_keys");
                Assert.True(code == 0, output);
                Assert.Contains("ec2-user\nip-10-0-0-5\nhello from user-data as root\n700 ec2-user\n600 ec2-user", output.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);

                await SystemPowerdownAsync(qmp);
                Assert.True(await vm.WaitForExitAsync(TimeSpan.FromSeconds(60)) is not null, "the guest did not power off:\n" + vm.Output);
                Assert.Contains("stratus-init: shutting down", vm.Output, StringComparison.Ordinal);
                Assert.Contains("reboot: Power down", vm.Output, StringComparison.Ordinal);
            }
            Assert.True(imds.TokenRequests > 0 && imds.UnauthenticatedRequests == 0, "IMDSv2: a token first, then every request with it");

            // Same disk, same instance id: user-data does not run again.
            using (var vm = StartVm(disk, "", netdev, qmp))
            {
                Assert.True(await vm.WaitForAsync("stratus-init: ssh ready", TimeSpan.FromSeconds(120)), vm.Output);
                await Task.Delay(1000);
                Assert.Contains("user-data already ran for i-0123456789abcdef0", vm.Output, StringComparison.Ordinal);
                Assert.DoesNotContain("user-data exited", vm.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<string> CopyDiskAsync(string work)
    {
        var disk = Path.Combine(work, "disk.raw");
        var (cp, cpOut) = await GuestTools.RunAsync("cp", "--sparse=always", Image.DiskPath!, disk);
        Assert.True(cp == 0, cpOut);
        return disk;
    }

    private WatchedProcess StartVm(string disk, string extraArgs, string netdev, string qmp)
    {
        var append = $"console=ttyS0 root=/dev/vda rw reboot=k panic=-1 {extraArgs} {Image.Manifest.KernelArguments}";
        if (GuestTools.TscKhz() is { } khz)
        {
            append += " tsc_early_khz=" + khz;
        }
        File.Delete(qmp);
        return new WatchedProcess("qemu-system-x86_64",
        [
            "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on", "-accel", "tcg", "-cpu", "max", "-m", "256", "-smp", "1",
            "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", "-no-reboot",
            "-kernel", Image.KernelPath!, "-append", string.Join(' ', append.Split(' ', StringSplitOptions.RemoveEmptyEntries)),
            "-drive", $"id=root,file={disk},format=raw,if=none", "-device", "virtio-blk-device,drive=root",
            "-netdev", netdev, "-device", "virtio-net-device,netdev=n0",
            "-qmp", $"unix:{qmp},server=on,wait=off",
        ]);
    }

    private static async Task SystemPowerdownAsync(string socketPath)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream);
        await using var writer = new StreamWriter(stream) { AutoFlush = true };
        await reader.ReadLineAsync(); // greeting
        await writer.WriteLineAsync("{\"execute\":\"qmp_capabilities\"}");
        await reader.ReadLineAsync();
        await writer.WriteLineAsync("{\"execute\":\"system_powerdown\"}");
        await reader.ReadLineAsync();
    }
}

/// <summary>A tiny IMDSv2 on 127.0.0.1 (one request per connection): token, instance id, hostname, public key, user-data.</summary>
internal sealed class ImdsStub : IDisposable
{
    private readonly TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly string _userData;
    private int _tokens;
    private int _unauthenticated;

    public ImdsStub(string userData)
    {
        _userData = userData;
        _listener.Start();
        Port = ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string PublicKey { get; set; } = "";

    public int TokenRequests => _tokens;

    public int UnauthenticatedRequests => _unauthenticated;

    private async Task ServeAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                var requestLine = await reader.ReadLineAsync() ?? "";
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                while (await reader.ReadLineAsync() is { Length: > 0 } header)
                {
                    var colon = header.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
                    }
                }
                var parts = requestLine.Split(' ');
                var (method, path) = parts.Length >= 2 ? (parts[0], parts[1]) : ("", "");
                var status = 200;
                string body;
                if (method == "PUT" && path == "/latest/api/token")
                {
                    Interlocked.Increment(ref _tokens);
                    body = "stub-token";
                }
                else if (!headers.TryGetValue("X-aws-ec2-metadata-token", out var token) || token != "stub-token")
                {
                    Interlocked.Increment(ref _unauthenticated);
                    (status, body) = (401, "");
                }
                else
                {
                    var found = path switch
                    {
                        "/latest/meta-data/instance-id" => "i-0123456789abcdef0",
                        "/latest/meta-data/local-hostname" => "ip-10-0-0-5.ec2.internal",
                        "/latest/meta-data/public-keys/0/openssh-key" => PublicKey,
                        "/latest/user-data" => _userData,
                        _ => null,
                    };
                    (status, body) = found is null ? (404, "") : (200, found);
                }
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head);
                await stream.WriteAsync(bytes);
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose() => _listener.Stop();
}
