using System.Security.Cryptography;
using System.Text;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Images;

/// <summary>A public image Stratus offers in every region.</summary>
/// <param name="ImdsSupport">
/// "v2.0" when the image's guest software only uses IMDSv2 (instances launched from it default to
/// HttpTokens=required), null when it may need IMDSv1 (HttpTokens=optional by default).
/// </param>
public sealed record CatalogImage(string Name, string Description, string Architecture, string RuntimeImage, int RootVolumeGiB, bool FreeTierEligible,
    string? ImdsSupport = "v2.0");

/// <summary>
/// The public images of every region, owned by the catalog account (alias <c>amazon</c>, so
/// <c>--owners amazon</c> finds them). Ids are derived from region and name, so they are stable
/// across restarts and different in each region, as AWS's are. The instance runtime boots the
/// guest image named by <see cref="CatalogImage.RuntimeImage"/>.
/// </summary>
public static class ImageCatalog
{
    public const string OwnerId = "000000000000";
    public const string OwnerAlias = "amazon";

    public static IReadOnlyList<CatalogImage> Images { get; } =
    [
        new("stratus-minimal-2026.11-x86_64", "Stratus minimal Linux: busybox, curl, dropbear SSH, login user ec2-user; user-data and SSH keys from IMDSv2", "x86_64", "minimal", 1, true),
        new("stratus-minimal-2026.11-arm64", "Stratus minimal Linux for arm64 instance types: busybox, curl, dropbear SSH, login user ec2-user", "arm64", "minimal", 1, true),
        // cloud-init 22.4 asks for an IMDSv2 token only on a platform whose DMI identifies it as
        // AWS, and a QEMU microvm guest has no SMBIOS: its Ec2 datasource reads IMDSv1.
        new("debian-12-amd64-2026.11", "Debian 12 (bookworm) with cloud-init and OpenSSH, login user admin", "x86_64", "debian-12", 8, true, ImdsSupport: null),
    ];

    /// <summary>
    /// A public image for a guest image imported on this host (<c>stratus images import NAME</c>):
    /// AMI name = <paramref name="name"/>, booting the guest image of the same name.
    /// </summary>
    public static CatalogImage LocalImage(string name, string description, int rootGiB) =>
        new(name, description, "x86_64", name, Math.Max(1, rootGiB), FreeTierEligible: false, ImdsSupport: null);

    public static string ImageId(string region, string name) => "ami-" + Hash(region + "/" + name)[..17];

    public static string SnapshotId(string region, string name) => "snap-" + Hash("snapshot/" + region + "/" + name)[..17];

    /// <summary>Writes (or refreshes) the catalog images of every region.</summary>
    public static Task EnsureAsync(IStateStore store, DateTime now, CancellationToken ct = default) =>
        EnsureAsync(store, now, [], ct);

    /// <summary>
    /// Writes (or refreshes) the catalog images of every region, plus a public image for each of
    /// <paramref name="localImages"/> (guest images imported on this host; see <see cref="LocalImage"/>).
    /// Their ids are derived from region and name like the catalog's. A local image named like a
    /// catalog image is ignored.
    /// </summary>
    public static async Task EnsureAsync(IStateStore store, DateTime now, IReadOnlyList<CatalogImage> localImages, CancellationToken ct = default)
    {
        var images = Images.Concat(localImages.Where(l => !Images.Any(i => i.Name == l.Name)).DistinctBy(l => l.Name)).ToList();
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        foreach (var region in RegionCatalog.All)
        {
            var scope = new Scope(OwnerId, region.Name);
            foreach (var image in images)
            {
                var id = ImageId(region.Name, image.Name);
                var existing = await tx.GetAsync<ImageResource>(scope, ResourceTypes.Image, id, ct).ConfigureAwait(false);
                var resource = new ImageResource
                {
                    Id = id,
                    OwnerId = OwnerId,
                    OwnerAlias = OwnerAlias,
                    Name = image.Name,
                    Description = image.Description,
                    Architecture = image.Architecture,
                    CreationDate = existing?.CreationDate ?? new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc),
                    BootMode = image.Architecture == "arm64" ? "uefi" : "uefi-preferred",
                    ImdsSupport = image.ImdsSupport,
                    FreeTierEligible = image.FreeTierEligible,
                    ImageLocation = $"{OwnerAlias}/{image.Name}",
                    RuntimeImage = image.RuntimeImage,
                    LaunchPermissions = ["all"],
                    BlockDevices =
                    [
                        new ImageBlockDevice
                        {
                            DeviceName = "/dev/xvda",
                            SnapshotId = SnapshotId(region.Name, image.Name),
                            VolumeSize = image.RootVolumeGiB,
                            VolumeType = "gp3",
                            Iops = 3000,
                            Throughput = 125,
                        },
                    ],
                    Tags = existing?.Tags ?? [],
                };
                await tx.PutAsync(scope, ResourceTypes.Image, id, resource, resource.CreationDate, ct).ConfigureAwait(false);
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
