using Stratus.Runtime.Images;
using Xunit;

namespace Stratus.Runtime.Tests;

/// <summary>
/// Images built without the guest kernel (<c>--skip-kernel</c>) and the kernel attached later,
/// with stand-in guest scripts: the kernel "build" writes a file, the image "build" a tree and
/// a disk, each counting its runs.
/// </summary>
public sealed class ImageKernelLaterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-kernel-later-").FullName;

    public ImageKernelLaterTests()
    {
        var guest = Path.Combine(_root, "guest");
        Directory.CreateDirectory(Path.Combine(guest, "kernel"));
        Directory.CreateDirectory(Path.Combine(guest, "images", "minimal"));
        var kernel = Path.Combine(_root, "kernel-cache", "vmlinux");
        Write(Path.Combine(guest, "kernel", "build.sh"), $$"""
            out={{kernel}}
            if [ "${1:-}" = "--print-path" ]; then echo "$out"; exit 0; fi
            mkdir -p "$(dirname "$out")"; echo built >> {{_root}}/kernel-builds; echo vmlinux > "$out"; echo "$out"
            """);
        Write(Path.Combine(guest, "images", "minimal", "build.sh"), $$"""
            mkdir -p "$1/sbin"; echo init > "$1/sbin/init"; echo built >> {{_root}}/image-builds
            """);
        Write(Path.Combine(guest, "images", "mkdisk.sh"), """
            echo disk > "$2"; echo 64
            """);
    }

    private string Guest => Path.Combine(_root, "guest");

    private int Runs(string name) => File.Exists(Path.Combine(_root, name)) ? File.ReadAllLines(Path.Combine(_root, name)).Length : 0;

    private static void Write(string path, string script) => File.WriteAllText(path, "#!/bin/bash\nset -e\n" + script + "\n");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Without_the_kernel_the_image_is_pending_and_a_later_build_only_attaches_it()
    {
        var store = new GuestImageStore(Path.Combine(_root, "images"));
        var builder = new ImageBuilder(store, TextWriter.Null, Guest);

        var image = await builder.BuildAsync("minimal", force: false, withKernel: false);

        Assert.Null(image.Manifest.Kernel);
        Assert.True(image.Manifest.KernelPending);
        Assert.True(File.Exists(image.DiskPath));
        Assert.True(Directory.Exists(image.RootFsPath));
        Assert.Equal(0, Runs("kernel-builds"));
        Assert.Equal(1, Runs("image-builds"));

        // Again without the kernel: up to date, nothing rebuilt.
        await builder.BuildAsync("minimal", force: false, withKernel: false);
        Assert.Equal(1, Runs("image-builds"));

        // With the kernel: built once and attached; the root filesystem is not rebuilt.
        var attached = await builder.BuildAsync("minimal", force: false, withKernel: true);
        Assert.Equal("vmlinux", attached.Manifest.Kernel);
        Assert.False(attached.Manifest.KernelPending);
        Assert.True(File.Exists(attached.KernelPath));
        Assert.Equal(1, Runs("kernel-builds"));
        Assert.Equal(1, Runs("image-builds"));
        Assert.Equal(image.Manifest.BuildHash, attached.Manifest.BuildHash);

        // Without the kernel once it is cached: the image keeps it and stays current.
        var again = await builder.BuildAsync("minimal", force: false, withKernel: false);
        Assert.Equal("vmlinux", again.Manifest.Kernel);
        Assert.Equal(1, Runs("image-builds"));
    }

    [Fact]
    public async Task The_background_kernel_build_attaches_the_kernel_to_waiting_images()
    {
        var store = new GuestImageStore(Path.Combine(_root, "images"));
        await new ImageBuilder(store, TextWriter.Null, Guest).BuildAsync("minimal", force: false, withKernel: false);
        var build = new GuestKernelBuild((s, progress) => new ImageBuilder(s, progress, Guest));
        var lines = new List<string>();
        Assert.Equal("idle", build.State.State);

        var first = build.EnsureAsync(store, line => { lock (lines) { lines.Add(line); } });
        var second = build.EnsureAsync(store, _ => { });
        var kernel = await first;

        Assert.Same(first, second);
        Assert.Equal(kernel, await second);
        Assert.Equal(1, Runs("kernel-builds"));
        Assert.Equal("ready", build.State.State);
        Assert.Equal(kernel, build.State.KernelPath);
        var image = store.Find("minimal")!;
        Assert.Equal("vmlinux", image.Manifest.Kernel);
        Assert.False(image.Manifest.KernelPending);
        Assert.Contains(lines, l => l.Contains("attached to minimal", StringComparison.Ordinal));
    }
}
