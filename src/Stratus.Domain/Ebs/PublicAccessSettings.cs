using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Ebs;

/// <summary>A block-public-access setting of an account in a region.</summary>
public sealed class PublicAccessSetting
{
    public required string State { get; set; }
}

/// <summary>
/// Block public access for snapshots and for AMIs, per account and region.
/// Snapshots: <c>block-new-sharing</c> refuses new public sharing; <c>block-all-sharing</c> also
/// treats snapshots already shared publicly as private (their createVolumePermission still says
/// <c>all</c>, other accounts no longer see or use them); <c>unblocked</c> is the default.
/// AMIs: <c>block-new-sharing</c> refuses making images public (public ones stay public).
/// </summary>
public static class PublicAccessSettings
{
    public const string Unblocked = "unblocked";
    public const string BlockNewSharing = "block-new-sharing";
    public const string BlockAllSharing = "block-all-sharing";

    private const string SnapshotSettingId = "snapshot-block-public-access";
    private const string ImageSettingId = "image-block-public-access";

    public static async Task<string> SnapshotStateAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        (await session.GetAsync<PublicAccessSetting>(scope, ResourceTypes.StorageSetting, SnapshotSettingId, ct).ConfigureAwait(false))?.State ?? Unblocked;

    public static async Task<string> ImageStateAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        (await session.GetAsync<PublicAccessSetting>(scope, ResourceTypes.StorageSetting, ImageSettingId, ct).ConfigureAwait(false))?.State ?? Unblocked;

    public static Task SetSnapshotStateAsync(IStoreTransaction tx, Scope scope, string state, DateTime now, CancellationToken ct = default)
    {
        if (state is not (Unblocked or BlockNewSharing or BlockAllSharing))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({state}) for parameter State is invalid. Valid values: block-all-sharing, block-new-sharing, unblocked.");
        }
        return tx.PutAsync(scope, ResourceTypes.StorageSetting, SnapshotSettingId, new PublicAccessSetting { State = state }, now, ct);
    }

    public static Task SetImageStateAsync(IStoreTransaction tx, Scope scope, string state, DateTime now, CancellationToken ct = default)
    {
        if (state is not (Unblocked or BlockNewSharing))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({state}) for parameter ImageBlockPublicAccessState is invalid. The only valid value is block-new-sharing.");
        }
        return tx.PutAsync(scope, ResourceTypes.StorageSetting, ImageSettingId, new PublicAccessSetting { State = state }, now, ct);
    }

    /// <summary>ModifySnapshotAttribute adding group <c>all</c> while block public access is on.</summary>
    public static async Task CheckSnapshotSharingAsync(IStoreSession session, Scope scope, string snapshotId, CancellationToken ct = default)
    {
        var state = await SnapshotStateAsync(session, scope, ct).ConfigureAwait(false);
        if (state != Unblocked)
        {
            throw new AwsException("OperationNotPermitted",
                $"The snapshot '{snapshotId}' cannot be shared publicly: block public access for snapshots is enabled in this Region ({state}).");
        }
    }

    /// <summary>ModifyImageAttribute adding launch permission group <c>all</c> while block public access is on.</summary>
    public static async Task CheckImageSharingAsync(IStoreSession session, Scope scope, string imageId, CancellationToken ct = default)
    {
        var state = await ImageStateAsync(session, scope, ct).ConfigureAwait(false);
        if (state != Unblocked)
        {
            throw new AwsException("OperationNotPermitted",
                $"The image '{imageId}' cannot be made public: block public access for AMIs is enabled in this Region ({state}).");
        }
    }
}
