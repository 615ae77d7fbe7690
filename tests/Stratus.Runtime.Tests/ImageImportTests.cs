using Stratus.Domain.Images;
using Stratus.Runtime.Images;
using Xunit;

namespace Stratus.Runtime.Tests;

[Collection("minimal image")]
public sealed class ImageImportTests(MinimalImageFixture fixture) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("stratus-import-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private ImageBuilder Builder => fixture.Builder;

    [Fact]
    public async Task A_rootfs_tarball_becomes_an_image_with_disk_rootfs_and_the_stratus_kernel()
    {
        var tarball = Path.Combine(_work, "rootfs.tar.gz");
        var (code, output) = await GuestTools.RunAsync("tar", "--numeric-owner", "-czf", tarball, "-C", fixture.Image.RootFsPath!, ".");
        Assert.True(code == 0, output);

        var image = await Builder.ImportAsync("tarred", tarball, new ImportOptions { Description = "from a tarball" });

        Assert.Equal("import", image.Manifest.Origin);
        Assert.Equal("ec2-user", image.Manifest.LoginUser);
        Assert.Equal("from a tarball", image.Manifest.Description);
        Assert.True(File.Exists(Path.Combine(image.RootFsPath!, "usr", "bin", "curl")));
        Assert.Equal(new FileInfo(fixture.Image.KernelPath!).Length, new FileInfo(image.KernelPath!).Length);
        var (_, sbin) = await GuestTools.RunAsync("debugfs", "-R", "ls -l /sbin", image.DiskPath!);
        Assert.Contains(" init", sbin, StringComparison.Ordinal);

        var entries = LocalImages.CatalogEntries(new GuestImageStore(fixture.ImageRoot));
        var entry = Assert.Single(entries, e => e.Name == "tarred");
        Assert.Equal("tarred", entry.RuntimeImage);
        Assert.DoesNotContain(entries, e => e.Name == "minimal");

        var again = await Assert.ThrowsAsync<ImageBuildException>(() => Builder.ImportAsync("tarred", tarball));
        Assert.Contains("already exists", again.Message, StringComparison.Ordinal);
        await Builder.ImportAsync("tarred", tarball, new ImportOptions { Replace = true });
    }

    [Fact]
    public async Task A_qcow2_disk_with_an_ext4_filesystem_is_imported()
    {
        var qcow = Path.Combine(_work, "disk.qcow2");
        var (code, output) = await GuestTools.RunAsync("qemu-img", "convert", "-O", "qcow2", fixture.Image.DiskPath!, qcow);
        Assert.True(code == 0, output);

        var image = await Builder.ImportAsync("from-qcow2", qcow, new ImportOptions { LoginUser = "someone" });

        Assert.Equal("someone", image.Manifest.LoginUser);
        Assert.True(File.Exists(Path.Combine(image.RootFsPath!, "sbin", "init")));
        var (_, type) = await GuestTools.RunAsync("blkid", "-p", "-o", "value", "-s", "TYPE", image.DiskPath!);
        Assert.Equal("ext4", type.Trim());
    }

    [Fact]
    public async Task A_partitioned_disk_is_refused_with_a_clear_message()
    {
        var disk = Path.Combine(_work, "partitioned.raw");
        await File.WriteAllBytesAsync(disk, new byte[16 << 20]);
        var (code, output) = await GuestTools.RunAsync("sh", "-c", $"echo 'label: dos\nstart=2048, type=83' | sfdisk -q {disk}");
        Assert.True(code == 0, output);

        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Builder.ImportAsync("partitioned", disk));

        Assert.Contains("partition table", error.Message, StringComparison.Ordinal);
        Assert.Null(new GuestImageStore(fixture.ImageRoot).Find("partitioned"));
    }

    [Theory]
    [InlineData("minimal", "built image")]
    [InlineData("Bad Name", "invalid image name")]
    [InlineData("../x", "invalid image name")]
    public async Task Bad_names_are_refused(string name, string message)
    {
        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Builder.ImportAsync(name, "/nonexistent"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_refused() =>
        Assert.Contains("no such file", (await Assert.ThrowsAsync<ImageBuildException>(() => Builder.ImportAsync("x", Path.Combine(_work, "missing.raw")))).Message, StringComparison.Ordinal);

    [Fact]
    public void Local_catalog_images_get_stable_ids_and_never_shadow_the_catalog()
    {
        var local = ImageCatalog.LocalImage("my-image", "mine", 3);
        Assert.Equal("my-image", local.RuntimeImage);
        Assert.Equal(3, local.RootVolumeGiB);
        Assert.Equal(ImageCatalog.ImageId("us-east-1", "my-image"), ImageCatalog.ImageId("us-east-1", "my-image"));
    }
}
