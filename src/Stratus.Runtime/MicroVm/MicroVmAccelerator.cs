using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Runtime.MicroVm;

/// <summary>How QEMU executes a microVM's CPUs.</summary>
public enum MicroVmAccelerator
{
    /// <summary>QEMU's software emulation: works everywhere, about one host core per busy vCPU, ~10× slower.</summary>
    Tcg,

    /// <summary>Hardware virtualisation through /dev/kvm.</summary>
    Kvm,
}

/// <summary>
/// Finds the accelerator microVMs can use on this host by booting a kernel under KVM and watching
/// whether it gets far (the kernel reaching its init), not by the presence of /dev/kvm: some
/// hosts have a /dev/kvm on which guests crash or hang in early boot (e.g. a paravirtual "PVM"
/// KVM inside a VM). Falls back to TCG. The answer is cached per process and in the state
/// directory, keyed by kernel file, its modification time and the host kernel.
/// Environment <c>STRATUS_MICROVM_ACCEL</c>=<c>kvm</c>|<c>tcg</c> overrides the probe.
/// </summary>
public static class MicroVmAcceleratorProbe
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<MicroVmAccelerator>>> Cache = new(StringComparer.Ordinal);

    /// <summary>Lines of the console that show a kernel ran well past early boot.</summary>
    private static readonly string[] ProgressLines = ["Run /", "Freeing unused kernel", "VFS: Unable to mount root", "stratus-init:"];

    /// <summary>How long a KVM boot gets to show progress. Default 8 s.</summary>
    internal static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>The accelerator for guests of <paramref name="kernelPath"/> (with <paramref name="initrdPath"/>, if the image has one).</summary>
    public static Task<MicroVmAccelerator> DetectAsync(string kernelPath, string? initrdPath, string stateDirectory, CancellationToken cancellationToken)
    {
        switch (Environment.GetEnvironmentVariable("STRATUS_MICROVM_ACCEL")?.Trim().ToLowerInvariant())
        {
            case "kvm":
                return Task.FromResult(MicroVmAccelerator.Kvm);
            case "tcg":
                return Task.FromResult(MicroVmAccelerator.Tcg);
        }
        var key = CacheKey(kernelPath);
        var lazy = Cache.GetOrAdd(key + "|" + Path.GetFullPath(stateDirectory), _ => new Lazy<Task<MicroVmAccelerator>>(() => DetectUncachedAsync(kernelPath, initrdPath, stateDirectory, key)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            Cache.TryRemove(new KeyValuePair<string, Lazy<Task<MicroVmAccelerator>>>(key + "|" + Path.GetFullPath(stateDirectory), lazy));
        }
        return task.WaitAsync(cancellationToken);
    }

    private static string CacheKey(string kernelPath)
    {
        var file = new FileInfo(kernelPath);
        if (!file.Exists)
        {
            throw new FileNotFoundException("kernel not found", kernelPath);
        }
        var identity = string.Join('|', file.FullName, file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture),
            file.Length.ToString(CultureInfo.InvariantCulture), Environment.OSVersion.VersionString, File.Exists("/dev/kvm"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    private static async Task<MicroVmAccelerator> DetectUncachedAsync(string kernelPath, string? initrdPath, string stateDirectory, string key)
    {
        var cacheFile = Path.Combine(stateDirectory, "microvm", $"accelerator-{key}");
        if (File.Exists(cacheFile) && Enum.TryParse<MicroVmAccelerator>(File.ReadAllText(cacheFile).Trim(), ignoreCase: true, out var cached))
        {
            return cached;
        }
        var result = File.Exists("/dev/kvm") && await BootsUnderKvmAsync(kernelPath, initrdPath).ConfigureAwait(false)
            ? MicroVmAccelerator.Kvm
            : MicroVmAccelerator.Tcg;
        Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
        File.WriteAllText(cacheFile, result.ToString().ToLowerInvariant() + "\n");
        return result;
    }

    private static async Task<bool> BootsUnderKvmAsync(string kernelPath, string? initrdPath)
    {
        var info = new ProcessStartInfo("qemu-system-x86_64")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=on", "-accel", "kvm", "-cpu", "host",
            "-smp", "1", "-m", "256", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", kernelPath, "-append", "console=ttyS0 panic=-1", "-serial", "stdio",
        })
        {
            info.ArgumentList.Add(argument);
        }
        if (initrdPath is not null)
        {
            info.ArgumentList.Add("-initrd");
            info.ArgumentList.Add(initrdPath);
        }
        using var process = Process.Start(info);
        if (process is null)
        {
            return false;
        }
        process.StandardInput.Close();
        var reached = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                reached.TrySetResult(false);
            }
            else if (ProgressLines.Any(l => e.Data.Contains(l, StringComparison.Ordinal)))
            {
                reached.TrySetResult(true);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return await reached.Task.WaitAsync(Timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }
}
