using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// An AMI's lifecycle settings, for its owner: deprecation (EnableImageDeprecation /
/// DisableImageDeprecation), deregistration protection with an optional 24-hour cooldown
/// (Enable/DisableImageDeregistrationProtection) and disabling (DisableImage / EnableImage: a
/// disabled image cannot be launched or shared, loses its launch permissions and is left out of
/// DescribeImages unless IncludeDisabled is set).
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>How long a protection enabled with cooldown keeps refusing deregistration after it is disabled.</summary>
    internal static readonly TimeSpan DeregistrationCooldown = TimeSpan.FromHours(24);

    public override async Task<EnableImageDeprecationResult> EnableImageDeprecationAsync(RequestContext context, EnableImageDeprecationRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        var at = request.DeprecateAt ?? throw AwsErrors.MissingParameter("DeprecateAt");
        at = at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : DateTime.SpecifyKind(at, DateTimeKind.Utc);
        // Seconds are rounded to the nearest minute.
        var rounded = new DateTime(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, DateTimeKind.Utc).AddMinutes(at.Second >= 30 ? 1 : 0);
        if (rounded <= context.Now)
        {
            throw AwsErrors.InvalidParameterValue($"The deprecation time {ProtocolTime(rounded)} is in the past. Specify a future time.");
        }
        var limit = image.IsPublic ? image.CreationDate.AddYears(2) : context.Now.AddYears(10);
        if (rounded > limit)
        {
            throw AwsErrors.InvalidParameterValue(image.IsPublic
                ? "The deprecation time of a public AMI can be at most 2 years after its creation date."
                : "The deprecation time can be at most 10 years from now.");
        }
        image.DeprecationTime = rounded;
        await PutImageAsync(context, image).ConfigureAwait(false);
        return new EnableImageDeprecationResult { Return = true };
    }

    public override async Task<DisableImageDeprecationResult> DisableImageDeprecationAsync(RequestContext context, DisableImageDeprecationRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        image.DeprecationTime = null;
        await PutImageAsync(context, image).ConfigureAwait(false);
        return new DisableImageDeprecationResult { Return = true };
    }

    public override async Task<EnableImageDeregistrationProtectionResult> EnableImageDeregistrationProtectionAsync(RequestContext context, EnableImageDeregistrationProtectionRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        image.DeregistrationProtection = true;
        image.DeregistrationProtectionCooldown = request.WithCooldown == true;
        image.DeregistrationProtectedUntil = null;
        await PutImageAsync(context, image).ConfigureAwait(false);
        return new EnableImageDeregistrationProtectionResult { Return = "true" };
    }

    public override async Task<DisableImageDeregistrationProtectionResult> DisableImageDeregistrationProtectionAsync(RequestContext context, DisableImageDeregistrationProtectionRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        if (image.DeregistrationProtection && image.DeregistrationProtectionCooldown)
        {
            image.DeregistrationProtectedUntil = context.Now + DeregistrationCooldown;
        }
        image.DeregistrationProtection = false;
        image.DeregistrationProtectionCooldown = false;
        await PutImageAsync(context, image).ConfigureAwait(false);
        return new DisableImageDeregistrationProtectionResult { Return = "true" };
    }

    public override async Task<DisableImageResult> DisableImageAsync(RequestContext context, DisableImageRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        var state = image.StateAt(context.Now);
        if (state is not ("available" or "disabled"))
        {
            throw new AwsException("IncorrectState", $"The image '{image.Id}' is in state '{state}' and cannot be disabled.");
        }
        image.State = "disabled";
        image.AvailableAt = null;
        image.LaunchPermissions.Clear();
        await PutImageAsync(context, image).ConfigureAwait(false);
        return new DisableImageResult { Return = true };
    }

    public override async Task<EnableImageResult> EnableImageAsync(RequestContext context, EnableImageRequest request)
    {
        var image = await GetOwnImageAsync(context, request.ImageId!).ConfigureAwait(false);
        var state = image.StateAt(context.Now);
        if (state is not ("available" or "disabled"))
        {
            throw new AwsException("IncorrectState", $"The image '{image.Id}' is in state '{state}' and cannot be enabled.");
        }
        image.State = "available";
        await PutImageAsync(context, image).ConfigureAwait(false);
        return new EnableImageResult { Return = true };
    }

    private static Task PutImageAsync(RequestContext context, Stratus.Domain.Images.ImageResource image) =>
        context.Transaction.PutAsync(context.Scope, ResourceTypes.Image, image.Id, image, image.CreationDate, context.Cancellation);

    private static string ProtocolTime(DateTime t) => Stratus.Protocol.ProtocolFormats.FormatTimestamp(t);
}
