using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Images;

/// <summary>An image and the account that owns it.</summary>
public sealed record VisibleImage(ImageResource Image, Scope Scope);

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

    /// <summary>An image the account may launch, or AWS's error: malformed, not found, or not available.</summary>
    public static async Task<VisibleImage> GetLaunchableAsync(IStoreSession session, Scope scope, string imageId, DateTime now, CancellationToken ct = default)
    {
        ResourceTypes.Image.CheckId(imageId);
        var visible = await ListVisibleAsync(session, scope, ct).ConfigureAwait(false);
        var found = visible.Find(v => v.Image.Id == imageId) ?? throw ResourceTypes.Image.NotFound(imageId);
        if (found.Image.StateAt(now) != "available")
        {
            throw new AwsException("InvalidAMIID.Unavailable", $"The image id '[{imageId}]' is no longer available");
        }
        return found;
    }
}
