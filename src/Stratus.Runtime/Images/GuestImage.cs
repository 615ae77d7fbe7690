using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stratus.Runtime.Images;

/// <summary>
/// A guest image on the host, as <c>stratus images build</c> or <c>stratus images import</c> left
/// it: a directory <c>&lt;image-dir&gt;/&lt;name&gt;/</c> holding <c>manifest.json</c> and the files
/// it names. An AMI's <c>RuntimeImage</c> is the image's name.
/// </summary>
public sealed record GuestImageManifest
{
    /// <summary>The image's name ("minimal", "debian-12", or an imported name).</summary>
    public required string Name { get; init; }

    public string Description { get; init; } = "";

    /// <summary>x86_64 (the only architecture guests run on here).</summary>
    public string Architecture { get; init; } = "x86_64";

    /// <summary>Uncompressed PVH-bootable kernel (vmlinux), relative to the image directory; null when the image brings none.</summary>
    public string? Kernel { get; init; }

    /// <summary>
    /// True when the image was built without the guest kernel (<c>stratus images build --skip-kernel</c>):
    /// system containers run it as it is; the microVM runtime builds the kernel when first needed and attaches it.
    /// </summary>
    public bool KernelPending { get; init; }

    /// <summary>Initial RAM disk the kernel needs to reach its root disk (e.g. a distribution kernel's modules), relative to the image directory; null when none.</summary>
    public string? Initrd { get; init; }

    /// <summary>Extra kernel command-line arguments the image needs (e.g. <c>init=/sbin/stratus-init</c>).</summary>
    public string KernelArguments { get; init; } = "";

    /// <summary>Raw disk image with the root filesystem (ext4, no partition table), relative to the image directory; for microVMs.</summary>
    public string? Disk { get; init; }

    /// <summary>Root filesystem as a directory tree, relative to the image directory; for containers.</summary>
    public string? RootFs { get; init; }

    /// <summary>The program a system container runs as PID 1, e.g. <c>/sbin/init</c>.</summary>
    public string Init { get; init; } = "/sbin/init";

    /// <summary>The login user that gets the key pair's public key.</summary>
    public string LoginUser { get; init; } = "ec2-user";

    /// <summary>Size of the root filesystem in GiB (the smallest root volume that holds it).</summary>
    public int RootGiB { get; init; } = 1;

    public DateTime BuiltAt { get; init; }

    /// <summary>
    /// The signal that asks the image's init to shut down cleanly when it runs as a container's PID 1:
    /// "SIGTERM" (most inits), "SIGPWR" (minimal, whose init reboots on SIGTERM) or "SIGRTMIN+3" (systemd, which re-executes itself on SIGTERM).
    /// </summary>
    public string StopSignal { get; init; } = "SIGTERM";

    /// <summary>"build" (made by <c>stratus images build</c>) or "import" (<c>stratus images import</c>); null for older manifests.</summary>
    public string? Origin { get; init; }

    /// <summary>For imported images: the file it was imported from.</summary>
    public string? Source { get; init; }

    /// <summary>Hash of the build's inputs (scripts, kernel, host packages); a build with the same hash is skipped.</summary>
    public string? BuildHash { get; init; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A guest image found on the host, with absolute paths.</summary>
public sealed record GuestImage(GuestImageManifest Manifest, string Directory)
{
    public string Name => Manifest.Name;

    public string? KernelPath => Manifest.Kernel is { } k ? Path.Combine(Directory, k) : null;

    public string? InitrdPath => Manifest.Initrd is { } i ? Path.Combine(Directory, i) : null;

    public string? DiskPath => Manifest.Disk is { } d ? Path.Combine(Directory, d) : null;

    public string? RootFsPath => Manifest.RootFs is { } r ? Path.Combine(Directory, r) : null;
}

/// <summary>The guest images of a host: one directory per image under <see cref="Root"/>.</summary>
public sealed class GuestImageStore(string root)
{
    public string Root { get; } = root;

    /// <summary>The image called <paramref name="name"/>, or null when it was never built or imported.</summary>
    public GuestImage? Find(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.'))
        {
            return null;
        }
        var directory = Path.Combine(Root, name);
        var manifestPath = Path.Combine(directory, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            return null;
        }
        var manifest = JsonSerializer.Deserialize<GuestImageManifest>(File.ReadAllText(manifestPath), GuestImageManifest.Json);
        return manifest is null ? null : new GuestImage(manifest, directory);
    }

    /// <summary>Every image on the host, by name.</summary>
    public IReadOnlyList<GuestImage> List() => !System.IO.Directory.Exists(Root)
        ? []
        : System.IO.Directory.EnumerateDirectories(Root)
            .Select(d => Find(Path.GetFileName(d)))
            .OfType<GuestImage>()
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>Writes <paramref name="manifest"/> into its image directory (the last step of a build or import).</summary>
    public GuestImage Save(GuestImageManifest manifest)
    {
        var directory = Path.Combine(Root, manifest.Name);
        System.IO.Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "manifest.json.tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(manifest, GuestImageManifest.Json));
        File.Move(temp, Path.Combine(directory, "manifest.json"), overwrite: true);
        return new GuestImage(manifest, directory);
    }
}

/// <summary>Catalog entries for the images imported on this host.</summary>
public static class LocalImages
{
    /// <summary>
    /// One <see cref="Stratus.Domain.Images.CatalogImage"/> per imported image in <paramref name="store"/>,
    /// to pass to <see cref="Stratus.Domain.Images.ImageCatalog.EnsureAsync(Stratus.Domain.Store.IStateStore, DateTime, IReadOnlyList{Stratus.Domain.Images.CatalogImage}, CancellationToken)"/>
    /// at server start. Built images (minimal, debian-12) already have catalog AMIs.
    /// </summary>
    public static IReadOnlyList<Stratus.Domain.Images.CatalogImage> CatalogEntries(GuestImageStore store) =>
        store.List()
            .Where(i => i.Manifest.Origin == "import")
            .Select(i => Stratus.Domain.Images.ImageCatalog.LocalImage(
                i.Name,
                i.Manifest.Description.Length > 0 ? i.Manifest.Description : $"Imported guest image {i.Name}",
                i.Manifest.RootGiB))
            .ToList();
}
