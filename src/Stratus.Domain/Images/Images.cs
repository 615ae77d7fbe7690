using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Images;

/// <summary>An image and the account that owns it.</summary>
public sealed record VisibleImage(ImageResource Image, Scope Scope);

/// <summary>A deregistered image as it was, and when it was deregistered (stored as <see cref="ResourceTypes.DeregisteredImage"/>).</summary>
public sealed class DeregisteredImageRecord
{
    public required ImageResource Image { get; init; }
    public required DateTime DeregisteredAt { get; init; }
}

/// <summary>Finding images as an account sees them: its own, public ones and those shared with it.</summary>
public static class Images
{
    /// <summary>Every image in the region the account may see (own, public, shared).</summary>
    public static async Task<List<VisibleImage>> ListVisibleAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        var stored = await session.ListEveryAccountAsync(scope.Region, ResourceTypes.Image.Name, ct).ConfigureAwait(false);
        var result = new List<VisibleImage>(stored.Count);
        foreach (var s in stored)
        {
            var image = System.Text.Json.JsonSerializer.Deserialize<ImageResource>(s.Document, ResourceStore.Json)!;
            if (image.OwnerId == scope.AccountId || image.CanLaunch(scope.AccountId))
            {
                result.Add(new VisibleImage(image, new Scope(s.Key.AccountId, scope.Region)));
            }
        }
        return result;
    }

    /// <summary>
    /// The image with this id if the account may see it (own, public, shared), else null: read by
    /// key in the account's own scope and the catalog's (where almost every launched image is),
    /// then in each other account of the region holding images — never by decoding every image
    /// of the region.
    /// </summary>
    public static async Task<VisibleImage?> GetVisibleAsync(IStoreSession session, Scope scope, string imageId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var owner in (string[])[scope.AccountId, ImageCatalog.OwnerId])
        {
            if (await session.GetAsync(new ResourceKey(owner, scope.Region, ResourceTypes.Image.Name, imageId), ct).ConfigureAwait(false) is { } stored)
            {
                return Visible(stored, scope);
            }
        }
        foreach (var holder in await ResourceScopes.ListAsync(session, [ResourceTypes.Image], ct).ConfigureAwait(false))
        {
            if (holder.Region == scope.Region && holder.AccountId != scope.AccountId && holder.AccountId != ImageCatalog.OwnerId
                && await session.GetAsync(new ResourceKey(holder.AccountId, holder.Region, ResourceTypes.Image.Name, imageId), ct).ConfigureAwait(false) is { } stored)
            {
                return Visible(stored, scope);
            }
        }
        return null;
    }

    /// <summary>The stored image as the account of <paramref name="scope"/> sees it: null when it may not (not its own, not public, not shared with it).</summary>
    private static VisibleImage? Visible(StoredResource stored, Scope scope)
    {
        var image = System.Text.Json.JsonSerializer.Deserialize<ImageResource>(stored.Document, ResourceStore.Json)!;
        return image.OwnerId == scope.AccountId || image.CanLaunch(scope.AccountId) ? new VisibleImage(image, new Scope(stored.Key.AccountId, stored.Key.Region)) : null;
    }

    /// <summary>
    /// How long DescribeImages still lists a deregistered image, in state <c>deregistered</c>
    /// ("recently deregistered images appear in the returned results for a short interval").
    /// </summary>
    public static readonly TimeSpan DeregisteredVisibleFor = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long DescribeImages asked for a deregistered image's id answers with no image rather
    /// than <c>InvalidAMIID.NotFound</c> ("then return empty results"); other calls naming it
    /// answer <c>InvalidAMIID.Unavailable</c> until then.
    /// </summary>
    public static readonly TimeSpan DeregisteredKnownFor = TimeSpan.FromHours(1);

    /// <summary>
    /// DeregisterImage: the image goes; what it was is kept for <see cref="DeregisteredKnownFor"/>
    /// (state <c>deregistered</c>, its block devices and launch permissions as they were).
    /// Records older than that are removed on the way.
    /// </summary>
    public static async Task DeregisterAsync(IStoreTransaction tx, Scope scope, ImageResource image, DateTime now, CancellationToken ct = default)
    {
        foreach (var old in await tx.ListAsync<DeregisteredImageRecord>(scope, ResourceTypes.DeregisteredImage, ct).ConfigureAwait(false))
        {
            if (now - old.DeregisteredAt >= DeregisteredKnownFor)
            {
                await tx.DeleteAsync(scope, ResourceTypes.DeregisteredImage, old.Image.Id, ct).ConfigureAwait(false);
            }
        }
        await tx.DeleteAsync(scope, ResourceTypes.Image, image.Id, ct).ConfigureAwait(false);
        image.State = "deregistered";
        image.AvailableAt = null;
        await tx.PutAsync(scope, ResourceTypes.DeregisteredImage, image.Id, new DeregisteredImageRecord { Image = image, DeregisteredAt = now }, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The images the account could see that were deregistered less than
    /// <see cref="DeregisteredKnownFor"/> ago (state <c>deregistered</c>), with when.
    /// </summary>
    public static async Task<List<(VisibleImage Image, DateTime DeregisteredAt)>> ListDeregisteredAsync(IStoreSession session, Scope scope, DateTime now, CancellationToken ct = default)
    {
        var stored = await session.ListEveryAccountAsync(scope.Region, ResourceTypes.DeregisteredImage.Name, ct).ConfigureAwait(false);
        var result = new List<(VisibleImage, DateTime)>();
        foreach (var s in stored)
        {
            var record = System.Text.Json.JsonSerializer.Deserialize<DeregisteredImageRecord>(s.Document, ResourceStore.Json)!;
            if (now - record.DeregisteredAt < DeregisteredKnownFor
                && (record.Image.OwnerId == scope.AccountId || record.Image.CanLaunch(scope.AccountId)))
            {
                result.Add((new VisibleImage(record.Image, new Scope(s.Key.AccountId, scope.Region)), record.DeregisteredAt));
            }
        }
        return result;
    }

    /// <summary>EC2's answer to naming an image that was deregistered a short while ago.</summary>
    public static AwsException Unavailable(string imageId) =>
        new("InvalidAMIID.Unavailable", $"The image id '[{imageId}]' is no longer available");

    /// <summary>
    /// <c>InvalidAMIID.NotFound</c> for the ids given, worded as EC2 words it for one id and for several.
    /// </summary>
    public static AwsException NotFound(IReadOnlyList<string> imageIds) => imageIds.Count == 1
        ? ResourceTypes.Image.NotFound(imageIds[0])
        : new AwsException(ResourceTypes.Image.NotFoundCode, $"The image ids '[{string.Join(", ", imageIds)}]' do not exist");

    /// <summary>
    /// An image the account may launch, or AWS's error: malformed, not found (also when Allowed AMIs
    /// is enabled and the image does not meet its criteria), or not available.
    /// </summary>
    public static async Task<VisibleImage> GetLaunchableAsync(IStoreSession session, Scope scope, string imageId, DateTime now, CancellationToken ct = default)
    {
        ResourceTypes.Image.CheckId(imageId);
        var found = await GetVisibleAsync(session, scope, imageId, ct).ConfigureAwait(false);
        if (found is null)
        {
            var deregistered = await ListDeregisteredAsync(session, scope, now, ct).ConfigureAwait(false);
            throw deregistered.Exists(d => d.Image.Image.Id == imageId) ? Unavailable(imageId) : ResourceTypes.Image.NotFound(imageId);
        }
        if (found.Image.StateAt(now) != "available")
        {
            throw Unavailable(imageId);
        }
        if (found.Image.OwnerId != scope.AccountId
            && AllowedImages.Refuses(await AllowedImages.GetAsync(session, scope, ct).ConfigureAwait(false), found.Image, scope.AccountId, now))
        {
            // EC2 answers as if the image did not exist when it does not meet the Allowed AMIs criteria.
            throw ResourceTypes.Image.NotFound(imageId);
        }
        return found;
    }
}
