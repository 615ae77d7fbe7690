using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace Stratus.Runtime.Tests.MicroVm;

/// <summary>
/// The guest image the microVM tests boot (see build-test-image.sh): built once per version of
/// the script into /var/tmp, and the host requirements, which fail the tests when missing.
/// </summary>
internal static class MicroVmTestImage
{
    public const string Name = "microvm-test";

    private static readonly Lazy<string> Directory = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The image directory holding <see cref="Name"/>.</summary>
    public static string ImageDirectory => Directory.Value;

    public static void RequireHost()
    {
        Assert.True(Environment.UserName == "root", "the microVM tests need root (network namespaces, taps)");
        foreach (var tool in new[] { "qemu-system-x86_64", "qemu-img", "mkfs.ext4", "ip", "busybox", "apt-get", "dpkg-deb", "cpio", "lz4", "python3" })
        {
            Assert.True(OnPath(tool), $"the microVM tests need {tool} on PATH");
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    private static string Build()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "MicroVm", "build-test-image.sh");
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(script)))[..12];
        var root = Path.Combine("/var/tmp", $"stratus-microvm-test-image-{hash}");
        var image = Path.Combine(root, Name);
        if (File.Exists(Path.Combine(image, "manifest.json")))
        {
            return root;
        }
        var building = root + ".building-" + Environment.ProcessId;
        var info = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(Path.Combine(building, Name));
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"building the microVM test image failed: {error.Result}");
        try
        {
            System.IO.Directory.Move(building, root);
        }
        catch (IOException) when (File.Exists(Path.Combine(image, "manifest.json")))
        {
            System.IO.Directory.Delete(building, recursive: true); // built by a parallel run meanwhile
        }
        return root;
    }
}
