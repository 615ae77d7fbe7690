using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Stratus.Runtime.Images;

/// <summary>A build or import step failed; the message says what and how to fix it.</summary>
public sealed class ImageBuildException(string message) : Exception(message);

/// <summary>
/// Builds the Stratus guest kernel and guest images (<c>minimal</c>, <c>debian-12</c>) and imports
/// foreign ones into a <see cref="GuestImageStore"/>. The heavy lifting is done by the shell
/// scripts under <c>guest/</c> (see guest/README.md); this class locates them, caches results by a
/// hash of their inputs, assembles <c>disk.raw</c> and writes the manifest. Needs root.
/// </summary>
public sealed partial class ImageBuilder
{
    /// <summary>Images <c>stratus images build</c> knows how to make.</summary>
    public static IReadOnlyList<string> BuildableImages { get; } = ["minimal", "debian-12"];

    /// <summary>
    /// Kernel arguments every built image gets: trust the CPU's RDRAND for the initial entropy so
    /// that SSH host keys are made at once (without it, a TCG guest waits up to half a minute).
    /// </summary>
    public const string KernelArgumentsForAll = "random.trust_cpu=on";

    private readonly GuestImageStore _store;
    private readonly TextWriter _progress;

    public ImageBuilder(GuestImageStore store, TextWriter progress, string? guestDirectory = null)
    {
        _store = store;
        _progress = progress;
        GuestDirectory = guestDirectory ?? LocateGuestDirectory();
    }

    /// <summary>The directory holding <c>kernel/</c> and <c>images/</c> (the repository's <c>guest/</c>).</summary>
    public string GuestDirectory { get; }

    /// <summary>
    /// The guest scripts: <c>$STRATUS_GUEST_DIR</c>, else <c>guest/</c> next to the program (the CLI
    /// copies it to its output), else the nearest <c>guest/</c> above it (a test run from the repository).
    /// </summary>
    public static string LocateGuestDirectory()
    {
        if (Environment.GetEnvironmentVariable("STRATUS_GUEST_DIR") is { Length: > 0 } env)
        {
            return Path.GetFullPath(env);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "guest");
            if (File.Exists(Path.Combine(candidate, "kernel", "build.sh")))
            {
                return candidate;
            }
        }
        throw new ImageBuildException($"guest scripts not found (looked for guest/kernel/build.sh above {AppContext.BaseDirectory}; set STRATUS_GUEST_DIR)");
    }

    /// <summary>The default image directory: <c>$STRATUS_IMAGE_DIR</c>, else <c>${XDG_CACHE_HOME:-~/.cache}/stratus/images</c>.</summary>
    public static string DefaultImageDirectory()
    {
        if (Environment.GetEnvironmentVariable("STRATUS_IMAGE_DIR") is { Length: > 0 } dir)
        {
            return Path.GetFullPath(dir);
        }
        return Path.Combine(CacheDirectory(), "images");
    }

    private static string CacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(baseDir, "stratus");
    }

    /// <summary>
    /// Builds (or finds in the cache) the Stratus guest kernel and returns the path of its
    /// <c>vmlinux</c>, under <c>${XDG_CACHE_HOME:-~/.cache}/stratus/kernel/&lt;hash&gt;/</c>.
    /// </summary>
    public async Task<string> BuildKernelAsync(bool force = false, CancellationToken ct = default)
    {
        var script = Path.Combine(GuestDirectory, "kernel", "build.sh");
        var output = await RunAsync("bash", force ? [script, "--force"] : [script], ct).ConfigureAwait(false);
        var path = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (path is null || !File.Exists(path))
        {
            throw new ImageBuildException("kernel build did not produce a vmlinux");
        }
        return path;
    }

    private async Task<string> KernelPathOrPendingAsync(CancellationToken ct)
    {
        try
        {
            return await KernelPathAsync(ct).ConfigureAwait(false);
        }
        catch (ImageBuildException)
        {
            return "pending";
        }
    }

    /// <summary>The path the cached kernel has (or will have) for the current config, without building it.</summary>
    public async Task<string> KernelPathAsync(CancellationToken ct = default)
    {
        var script = Path.Combine(GuestDirectory, "kernel", "build.sh");
        var output = await RunAsync("bash", [script, "--print-path"], ct, quiet: true).ConfigureAwait(false);
        return output.Trim();
    }

    /// <summary>The cached kernel's path when it is built for the current config, else null (nothing is built).</summary>
    public async Task<string?> CachedKernelAsync(CancellationToken ct = default)
    {
        try
        {
            var path = await KernelPathAsync(ct).ConfigureAwait(false);
            return path.Length > 0 && File.Exists(path) && new FileInfo(path).Length > 0 ? path : null;
        }
        catch (ImageBuildException)
        {
            return null;
        }
    }

    /// <summary>
    /// Gives <paramref name="kernel"/> to every image built without one (see
    /// <see cref="BuildAsync(string, bool, bool, CancellationToken)"/> with <c>withKernel: false</c>); returns their names. The images' build hashes stay: they were
    /// computed for this kernel's path.
    /// </summary>
    public IReadOnlyList<string> AttachKernel(string kernel)
    {
        var attached = new List<string>();
        foreach (var image in _store.List().Where(i => i.Manifest.Kernel is null && i.Manifest.KernelPending))
        {
            File.Copy(kernel, Path.Combine(image.Directory, "vmlinux.tmp"), overwrite: true);
            File.Move(Path.Combine(image.Directory, "vmlinux.tmp"), Path.Combine(image.Directory, "vmlinux"), overwrite: true);
            _store.Save(image.Manifest with { Kernel = "vmlinux", KernelPending = false });
            Step($"{image.Name}: kernel attached");
            attached.Add(image.Name);
        }
        return attached;
    }

    /// <summary>Builds the image <paramref name="name"/> ("minimal" or "debian-12") and the guest kernel, or returns the cached one when its inputs did not change.</summary>
    public Task<GuestImage> BuildAsync(string name, bool force = false, CancellationToken ct = default) => BuildAsync(name, force, withKernel: true, ct);

    /// <summary>
    /// Builds the image <paramref name="name"/> ("minimal" or "debian-12"), or returns the cached one when its inputs did not change.
    /// With <paramref name="withKernel"/> false the guest kernel is not built: the image gets the
    /// cached kernel when there is one, else none (its manifest marks the kernel pending; system
    /// containers need none, and <see cref="AttachKernel"/> adds it once built).
    /// </summary>
    public Task<GuestImage> BuildAsync(string name, bool force, bool withKernel, CancellationToken ct = default) => name switch
    {
        "minimal" => BuildFromScriptAsync(new BuildRecipe(
            "minimal",
            "Stratus minimal Linux: busybox, curl, dropbear SSH; user-data and SSH keys from IMDSv2",
            "ec2-user",
            KernelArgumentsForAll,
            MinimumDiskMiB: 64,
            HostInputs: ["busybox-static", "dropbear-bin", "curl", "libcurl4", "libc6", "ca-certificates"])
        { StopSignal = "SIGPWR" }, force, withKernel, ct),
        "debian-12" => BuildFromScriptAsync(new BuildRecipe(
            "debian-12",
            "Debian 12 (bookworm) with systemd, cloud-init (EC2 datasource) and OpenSSH; login user admin",
            "admin",
            KernelArgumentsForAll + " net.ifnames=0",
            MinimumDiskMiB: 1024,
            HostInputs: ["debootstrap"])
        { StopSignal = "SIGRTMIN+3" }, force, withKernel, ct),
        _ => throw new ImageBuildException($"unknown image '{name}': buildable images are {string.Join(", ", BuildableImages)}"),
    };

    private sealed record BuildRecipe(string Name, string Description, string LoginUser, string KernelArguments, int MinimumDiskMiB, IReadOnlyList<string> HostInputs)
    {
        public string StopSignal { get; init; } = "SIGTERM";
    }

    private async Task<GuestImage> BuildFromScriptAsync(BuildRecipe recipe, bool force, bool withKernel, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string? kernel;
        string kernelKey;
        if (withKernel)
        {
            Step($"{recipe.Name}: kernel");
            kernel = await BuildKernelAsync(force: false, ct).ConfigureAwait(false);
            kernelKey = kernel;
        }
        else
        {
            // The hash covers the path the kernel has once built, so an image made now stays current
            // when the kernel arrives later (it is attached, not rebuilt).
            kernel = await CachedKernelAsync(ct).ConfigureAwait(false);
            kernelKey = kernel ?? await KernelPathOrPendingAsync(ct).ConfigureAwait(false);
            Step($"{recipe.Name}: kernel {(kernel is null ? "not built (pending; system containers need none)" : "cached " + kernel)}");
        }

        var scriptDir = Path.Combine(GuestDirectory, "images", recipe.Name);
        var hash = await InputHashAsync(scriptDir, kernelKey + "\n" + recipe, recipe.HostInputs, ct).ConfigureAwait(false);
        var existing = _store.Find(recipe.Name);
        if (!force && existing is not null && existing.Manifest.BuildHash == hash
            && File.Exists(existing.DiskPath) && Directory.Exists(existing.RootFsPath))
        {
            if (File.Exists(existing.KernelPath))
            {
                Step($"{recipe.Name}: up to date ({existing.Directory}); --force rebuilds");
                return existing;
            }
            if (kernel is not null)
            {
                AttachKernel(kernel);
                return _store.Find(recipe.Name) ?? existing;
            }
            if (existing.Manifest.KernelPending)
            {
                Step($"{recipe.Name}: up to date without its kernel ({existing.Directory})");
                return existing;
            }
        }

        var staging = StagingDirectory(recipe.Name);
        try
        {
            Step($"{recipe.Name}: root filesystem");
            var rootfs = Path.Combine(staging, "rootfs");
            await RunAsync("bash", [Path.Combine(scriptDir, "build.sh"), rootfs], ct).ConfigureAwait(false);

            var manifest = await FinishAsync(staging, recipe.Name, kernel, recipe.MinimumDiskMiB, ct).ConfigureAwait(false) with
            {
                KernelPending = kernel is null,
                Description = recipe.Description,
                LoginUser = recipe.LoginUser,
                KernelArguments = recipe.KernelArguments,
                StopSignal = recipe.StopSignal,
                BuildHash = hash,
                Origin = "build",
            };
            var image = Publish(staging, manifest);
            Step($"{recipe.Name}: done in {clock.Elapsed.TotalSeconds:0}s → {image.Directory}");
            return image;
        }
        finally
        {
            DeleteTree(staging);
        }
    }

    /// <summary>
    /// Imports a disk (raw or qcow2 holding an ext4 filesystem without a partition table) or a
    /// root filesystem tarball (.tar, .tar.gz/.tgz, .tar.xz, .tar.zst) as the image <paramref name="name"/>.
    /// Without <see cref="ImportOptions.Kernel"/> the image boots the Stratus kernel.
    /// </summary>
    public async Task<GuestImage> ImportAsync(string name, string file, ImportOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ImportOptions();
        if (!ValidName().IsMatch(name))
        {
            throw new ImageBuildException($"invalid image name '{name}': use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
        if (BuildableImages.Contains(name))
        {
            throw new ImageBuildException($"'{name}' is a built image; import under another name");
        }
        if (!File.Exists(file))
        {
            throw new ImageBuildException($"{file}: no such file");
        }
        if (options.Kernel is { } k && !File.Exists(k))
        {
            throw new ImageBuildException($"{k}: no such kernel file");
        }
        if (_store.Find(name) is not null && !options.Replace)
        {
            throw new ImageBuildException($"image '{name}' already exists; --force replaces it");
        }
        file = Path.GetFullPath(file);
        var clock = Stopwatch.StartNew();
        var kernel = options.Kernel is { } given ? Path.GetFullPath(given) : await BuildKernelAsync(false, ct).ConfigureAwait(false);
        var staging = StagingDirectory(name);
        try
        {
            var rootfs = Path.Combine(staging, "rootfs");
            var disk = Path.Combine(staging, "disk.raw");
            GuestImageManifest manifest;
            if (IsTarball(file))
            {
                Step($"{name}: extracting {Path.GetFileName(file)}");
                Directory.CreateDirectory(rootfs);
                await RunAsync("tar", ["--numeric-owner", "-xpf", file, "-C", rootfs], ct).ConfigureAwait(false);
                manifest = await FinishAsync(staging, name, kernel, 64, ct).ConfigureAwait(false);
            }
            else
            {
                var format = await DiskFormatAsync(file, ct).ConfigureAwait(false);
                Step($"{name}: converting {format} disk to raw");
                await RunAsync("qemu-img", ["convert", "-f", format, "-O", "raw", file, disk], ct).ConfigureAwait(false);
                await CheckFilesystemAsync(disk, file, ct).ConfigureAwait(false);
                Step($"{name}: copying the filesystem into rootfs/");
                await RunAsync("bash", [Path.Combine(GuestDirectory, "images", "disk-to-rootfs.sh"), disk, rootfs], ct).ConfigureAwait(false);
                var size = new FileInfo(disk).Length;
                manifest = new GuestImageManifest
                {
                    Name = name,
                    Kernel = "vmlinux",
                    Disk = "disk.raw",
                    RootFs = "rootfs",
                    RootGiB = (int)Math.Max(1, (size + (1L << 30) - 1) >> 30),
                };
                File.Copy(kernel, Path.Combine(staging, "vmlinux"), overwrite: true);
            }
            manifest = manifest with
            {
                Description = options.Description ?? $"Imported from {Path.GetFileName(file)}",
                LoginUser = options.LoginUser ?? GuessLoginUser(rootfs),
                Init = options.Init ?? "/sbin/init",
                StopSignal = options.StopSignal ?? (IsSystemd(rootfs) ? "SIGRTMIN+3" : "SIGTERM"),
                KernelArguments = options.KernelArguments ?? "",
                Origin = "import",
                Source = file,
            };
            var image = Publish(staging, manifest);
            Step($"{name}: imported in {clock.Elapsed.TotalSeconds:0}s → {image.Directory}");
            return image;
        }
        finally
        {
            DeleteTree(staging);
        }
    }

    private static bool IsSystemd(string rootfs)
    {
        var init = new FileInfo(Path.Combine(rootfs, "sbin", "init"));
        return init.LinkTarget is { } target && target.Contains("systemd", StringComparison.Ordinal);
    }

    private static string GuessLoginUser(string rootfs)
    {
        var passwd = Path.Combine(rootfs, "etc", "passwd");
        if (File.Exists(passwd))
        {
            var users = File.ReadAllLines(passwd).Select(l => l.Split(':')[0]).ToHashSet(StringComparer.Ordinal);
            foreach (var candidate in LoginUserCandidates)
            {
                if (users.Contains(candidate))
                {
                    return candidate;
                }
            }
        }
        return "ec2-user";
    }

    private static readonly string[] TarballSuffixes = [".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.zst", ".tar.bz2"];

    private static readonly string[] LoginUserCandidates = ["ec2-user", "admin", "ubuntu", "debian", "fedora"];

    private static bool IsTarball(string file)
    {
        var lower = file.ToLowerInvariant();
        return TarballSuffixes.Any(e => lower.EndsWith(e, StringComparison.Ordinal));
    }

    private async Task<string> DiskFormatAsync(string file, CancellationToken ct)
    {
        var json = await RunAsync("qemu-img", ["info", "--output=json", file], ct, quiet: true).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(json);
        var format = doc.RootElement.GetProperty("format").GetString() ?? "raw";
        return format is "raw" or "qcow2"
            ? format
            : throw new ImageBuildException($"{file}: disk format '{format}' is not supported (raw or qcow2 holding an ext4 filesystem, or a rootfs tarball)");
    }

    private async Task CheckFilesystemAsync(string disk, string original, CancellationToken ct)
    {
        var partitions = (await RunAsync("blkid", ["-p", "-o", "value", "-s", "PTTYPE", disk], ct, quiet: true, allowFailure: true).ConfigureAwait(false)).Trim();
        if (partitions.Length > 0)
        {
            throw new ImageBuildException(
                $"{original}: the disk has a partition table ({partitions}); partitioned disks are not supported. " +
                "Import the root partition alone (e.g. qemu-img convert then dd with the partition's offset), or a tarball of the root filesystem.");
        }
        var type = (await RunAsync("blkid", ["-p", "-o", "value", "-s", "TYPE", disk], ct, quiet: true, allowFailure: true).ConfigureAwait(false)).Trim();
        if (type is not ("ext4" or "ext3" or "ext2"))
        {
            throw new ImageBuildException($"{original}: expected an ext4 filesystem on the whole disk, found {(type.Length == 0 ? "none" : type)}");
        }
    }

    /// <summary>Copies the kernel in, makes disk.raw from rootfs/, and returns the manifest's file part.</summary>
    private async Task<GuestImageManifest> FinishAsync(string staging, string name, string? kernel, int minimumDiskMiB, CancellationToken ct)
    {
        Step($"{name}: disk.raw (ext4)");
        var output = await RunAsync("bash", [Path.Combine(GuestDirectory, "images", "mkdisk.sh"), Path.Combine(staging, "rootfs"), Path.Combine(staging, "disk.raw"), minimumDiskMiB.ToString(CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
        var sizeMiB = long.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim(), CultureInfo.InvariantCulture);
        if (kernel is not null)
        {
            File.Copy(kernel, Path.Combine(staging, "vmlinux"), overwrite: true);
        }
        return new GuestImageManifest
        {
            Name = name,
            Kernel = kernel is null ? null : "vmlinux",
            Disk = "disk.raw",
            RootFs = "rootfs",
            RootGiB = (int)Math.Max(1, (sizeMiB + 1023) / 1024),
            BuiltAt = DateTime.UtcNow,
        };
    }

    private string StagingDirectory(string name)
    {
        Directory.CreateDirectory(_store.Root);
        var staging = Path.Combine(_store.Root, $".{name}.build-{Environment.ProcessId}");
        DeleteTree(staging);
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Moves the staged image into place (the old one, if any, is removed) and writes its manifest.</summary>
    private GuestImage Publish(string staging, GuestImageManifest manifest)
    {
        var target = Path.Combine(_store.Root, manifest.Name);
        var old = Path.Combine(_store.Root, $".{manifest.Name}.old-{Environment.ProcessId}");
        if (Directory.Exists(target))
        {
            Directory.Move(target, old);
        }
        Directory.Move(staging, target);
        DeleteTree(old);
        return _store.Save(manifest with { BuiltAt = DateTime.UtcNow });
    }

    private static async Task<string> InputHashAsync(string scriptDir, string kernel, IReadOnlyList<string> packages, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.Append("kernel=").Append(kernel).Append('\n');
        var shared = Path.Combine(scriptDir, "..");
        // What every image installs from guest/agent/ (the CloudWatch agent) is an input too.
        var agents = Path.Combine(scriptDir, "..", "..", "agent");
        foreach (var file in Directory.EnumerateFiles(scriptDir, "*", SearchOption.AllDirectories)
                     .Concat(Directory.EnumerateFiles(shared, "*.sh"))
                     .Concat(Directory.Exists(agents) ? Directory.EnumerateFiles(agents, "*", SearchOption.AllDirectories) : [])
                     .OrderBy(f => f, StringComparer.Ordinal))
        {
            text.Append(Path.GetFileName(file)).Append('=')
                .Append(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false)))).Append('\n');
        }
        foreach (var package in packages)
        {
            text.Append(package).Append('=').Append(await PackageVersionAsync(package, ct).ConfigureAwait(false)).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static async Task<string> PackageVersionAsync(string package, CancellationToken ct)
    {
        try
        {
            return (await RunProcessAsync("dpkg-query", ["-W", "-f=${Version}", package], null, ct).ConfigureAwait(false)).Output.Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or ImageBuildException)
        {
            return "unknown";
        }
    }

    private void Step(string line) => _progress.WriteLine($"==> {line}");

    private async Task<string> RunAsync(string program, IReadOnlyList<string> args, CancellationToken ct, bool quiet = false, bool allowFailure = false)
    {
        var result = await RunProcessAsync(program, args, quiet ? null : _progress, ct).ConfigureAwait(false);
        if (result.ExitCode != 0 && !allowFailure)
        {
            var tail = string.Join('\n', result.Errors.TakeLast(15));
            throw new ImageBuildException($"{Path.GetFileName(program)} {string.Join(' ', args.Select(Path.GetFileName))} failed (exit {result.ExitCode}){(tail.Length > 0 ? ":\n" + tail : "")}");
        }
        return result.Output;
    }

    private sealed record ProcessResult(int ExitCode, string Output, IReadOnlyList<string> Errors);

    /// <summary>Runs a program; stdout is collected, stderr lines are progress (relayed, and kept for errors).</summary>
    private static async Task<ProcessResult> RunProcessAsync(string program, IReadOnlyList<string> args, TextWriter? progress, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new ImageBuildException($"cannot start {program}");
        process.StandardInput.Close();
        var errors = new List<string>();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                lock (errors)
                {
                    errors.Add(line);
                }
                if (progress is not null)
                {
                    await progress.WriteLineAsync("    " + line).ConfigureAwait(false);
                }
            }
        }, ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        await stderr.ConfigureAwait(false);
        return new ProcessResult(process.ExitCode, output, errors);
    }

    private static void DeleteTree(string path)
    {
        if (Directory.Exists(path))
        {
            // rootfs trees hold read-only directories and device nodes; rm copes with all of it.
            using var rm = Process.Start(new ProcessStartInfo("rm", ["-rf", "--one-file-system", path]) { UseShellExecute = false });
            rm?.WaitForExit();
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();
}

/// <summary>Options of <see cref="ImageBuilder.ImportAsync"/>.</summary>
public sealed record ImportOptions
{
    /// <summary>A PVH-bootable vmlinux to boot instead of the Stratus kernel.</summary>
    public string? Kernel { get; init; }

    public string? Description { get; init; }

    /// <summary>The user that gets the key pair's key; default: guessed from /etc/passwd (ec2-user, admin, ubuntu, ...).</summary>
    public string? LoginUser { get; init; }

    public string? Init { get; init; }

    public string? KernelArguments { get; init; }

    /// <summary>The signal that stops the init in a container; default SIGRTMIN+3 when /sbin/init is systemd, else SIGTERM.</summary>
    public string? StopSignal { get; init; }

    /// <summary>Replace an existing image of the same name.</summary>
    public bool Replace { get; init; }
}
