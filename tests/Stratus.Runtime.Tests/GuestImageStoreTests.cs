using Stratus.Runtime.Images;
using Xunit;

namespace Stratus.Runtime.Tests;

public sealed class GuestImageStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-images-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_saved_manifest_is_found_with_absolute_paths()
    {
        var store = new GuestImageStore(_root);
        store.Save(new GuestImageManifest { Name = "minimal", Kernel = "vmlinux", Disk = "disk.raw", RootFs = "rootfs", LoginUser = "ec2-user" });

        var image = store.Find("minimal");

        Assert.NotNull(image);
        Assert.Equal(Path.Combine(_root, "minimal", "vmlinux"), image.KernelPath);
        Assert.Equal(Path.Combine(_root, "minimal", "disk.raw"), image.DiskPath);
        Assert.Equal(Path.Combine(_root, "minimal", "rootfs"), image.RootFsPath);
        Assert.Equal(["minimal"], store.List().Select(i => i.Name));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("../etc")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Unknown_or_unsafe_names_are_not_found(string name) => Assert.Null(new GuestImageStore(_root).Find(name));
}
