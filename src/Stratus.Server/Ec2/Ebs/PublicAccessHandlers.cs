using Stratus.Domain.Ebs;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Block public access for snapshots (block-all-sharing, block-new-sharing, unblocked) and for AMIs
/// (block-new-sharing), account settings per region enforced by ModifySnapshotAttribute,
/// ModifyImageAttribute and snapshot visibility.
/// </summary>
internal sealed partial class Ec2Service
{
    public override async Task<EnableSnapshotBlockPublicAccessResult> EnableSnapshotBlockPublicAccessAsync(RequestContext context, EnableSnapshotBlockPublicAccessRequest request)
    {
        await PublicAccessSettings.SetSnapshotStateAsync(context.Transaction, context.Scope, request.State!, context.Now, context.Cancellation).ConfigureAwait(false);
        return new EnableSnapshotBlockPublicAccessResult { State = request.State };
    }

    public override async Task<DisableSnapshotBlockPublicAccessResult> DisableSnapshotBlockPublicAccessAsync(RequestContext context, DisableSnapshotBlockPublicAccessRequest request)
    {
        await PublicAccessSettings.SetSnapshotStateAsync(context.Transaction, context.Scope, PublicAccessSettings.Unblocked, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisableSnapshotBlockPublicAccessResult { State = PublicAccessSettings.Unblocked };
    }

    public override async Task<GetSnapshotBlockPublicAccessStateResult> GetSnapshotBlockPublicAccessStateAsync(RequestContext context, GetSnapshotBlockPublicAccessStateRequest request) =>
        new()
        {
            State = await PublicAccessSettings.SnapshotStateAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false),
            ManagedBy = "account",
        };

    public override async Task<EnableImageBlockPublicAccessResult> EnableImageBlockPublicAccessAsync(RequestContext context, EnableImageBlockPublicAccessRequest request)
    {
        await PublicAccessSettings.SetImageStateAsync(context.Transaction, context.Scope, request.ImageBlockPublicAccessState!, context.Now, context.Cancellation).ConfigureAwait(false);
        return new EnableImageBlockPublicAccessResult { ImageBlockPublicAccessState = request.ImageBlockPublicAccessState };
    }

    public override async Task<DisableImageBlockPublicAccessResult> DisableImageBlockPublicAccessAsync(RequestContext context, DisableImageBlockPublicAccessRequest request)
    {
        await PublicAccessSettings.SetImageStateAsync(context.Transaction, context.Scope, PublicAccessSettings.Unblocked, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisableImageBlockPublicAccessResult { ImageBlockPublicAccessState = PublicAccessSettings.Unblocked };
    }

    public override async Task<GetImageBlockPublicAccessStateResult> GetImageBlockPublicAccessStateAsync(RequestContext context, GetImageBlockPublicAccessStateRequest request) =>
        new()
        {
            ImageBlockPublicAccessState = await PublicAccessSettings.ImageStateAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false),
            ManagedBy = "account",
        };
}
