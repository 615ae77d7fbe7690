using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Allowed AMIs: Enable/Disable/GetAllowedImagesSettings, ReplaceImageCriteriaInAllowedImagesSettings
/// and DescribeInstanceImageMetadata. DescribeImages and RunInstances honour the criteria in
/// enabled mode (see <see cref="AllowedImages"/>).
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>An instance with the image it was launched from (null when the image is gone for good) and whether that image is allowed.</summary>
    private sealed record InstanceImageView(InstanceResource Instance, ImageResource? Image, bool? Allowed);

    [FiltersFor("DescribeInstanceImageMetadata")]
    private static readonly FilterSet<InstanceImageView> InstanceImageFilters = new FilterSet<InstanceImageView>()
        .Add("availability-zone", v => v.Instance.AvailabilityZone)
        .Add("image-allowed", v => v.Allowed switch { true => "true", false => "false", null => null })
        .Add("instance-id", v => v.Instance.Id)
        .Add("instance-state-name", v => v.Instance.State)
        .Add("instance-type", v => v.Instance.InstanceType)
        .Add("launch-time", v => ProtocolFormats.FormatTimestamp(v.Instance.LaunchTime))
        .Add("owner-alias", v => v.Image?.OwnerAlias)
        .Add("owner-id", v => v.Image?.OwnerId)
        .Add("zone-id", v => v.Instance.AvailabilityZoneId)
        .WithTags(v => v.Instance.Tags);

    public override async Task<EnableAllowedImagesSettingsResult> EnableAllowedImagesSettingsAsync(RequestContext context, EnableAllowedImagesSettingsRequest request)
    {
        var state = request.AllowedImagesSettingsState!;
        if (state is not (AllowedImages.Enabled or AllowedImages.AuditMode))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({state}) for parameter AllowedImagesSettingsState is invalid. Valid values: enabled, audit-mode.");
        }
        var setting = await AllowedImages.GetAsync(context.Transaction, context.Scope, context.Cancellation).ConfigureAwait(false);
        setting.State = state;
        await AllowedImages.PutAsync(context.Transaction, context.Scope, setting, context.Now, context.Cancellation).ConfigureAwait(false);
        return new EnableAllowedImagesSettingsResult { AllowedImagesSettingsState = state };
    }

    public override async Task<DisableAllowedImagesSettingsResult> DisableAllowedImagesSettingsAsync(RequestContext context, DisableAllowedImagesSettingsRequest request)
    {
        var setting = await AllowedImages.GetAsync(context.Transaction, context.Scope, context.Cancellation).ConfigureAwait(false);
        setting.State = AllowedImages.Disabled;
        await AllowedImages.PutAsync(context.Transaction, context.Scope, setting, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisableAllowedImagesSettingsResult { AllowedImagesSettingsState = AllowedImages.Disabled };
    }

    public override async Task<GetAllowedImagesSettingsResult> GetAllowedImagesSettingsAsync(RequestContext context, GetAllowedImagesSettingsRequest request)
    {
        var setting = await AllowedImages.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        return new GetAllowedImagesSettingsResult
        {
            State = setting.State,
            ManagedBy = "account",
            ImageCriteria = setting.Criteria.Count == 0 ? null : setting.Criteria.Select(c => new ImageCriterion
            {
                ImageProviders = c.ImageProviders.Count > 0 ? [.. c.ImageProviders] : null,
                ImageNames = c.ImageNames.Count > 0 ? [.. c.ImageNames] : null,
                MarketplaceProductCodes = c.MarketplaceProductCodes.Count > 0 ? [.. c.MarketplaceProductCodes] : null,
                CreationDateCondition = c.MaximumDaysSinceCreated is { } created ? new CreationDateCondition { MaximumDaysSinceCreated = created } : null,
                DeprecationTimeCondition = c.MaximumDaysSinceDeprecated is { } deprecated ? new DeprecationTimeCondition { MaximumDaysSinceDeprecated = deprecated } : null,
            }).ToList(),
        };
    }

    public override async Task<ReplaceImageCriteriaInAllowedImagesSettingsResult> ReplaceImageCriteriaInAllowedImagesSettingsAsync(RequestContext context, ReplaceImageCriteriaInAllowedImagesSettingsRequest request)
    {
        var criteria = (request.ImageCriteria ?? []).Select(c => new ImageCriterionRecord
        {
            ImageProviders = [.. (c.ImageProviders ?? []).Distinct(StringComparer.Ordinal)],
            ImageNames = [.. (c.ImageNames ?? []).Distinct(StringComparer.Ordinal)],
            MarketplaceProductCodes = [.. (c.MarketplaceProductCodes ?? []).Distinct(StringComparer.Ordinal)],
            MaximumDaysSinceCreated = c.CreationDateCondition?.MaximumDaysSinceCreated,
            MaximumDaysSinceDeprecated = c.DeprecationTimeCondition?.MaximumDaysSinceDeprecated,
        }).ToList();
        AllowedImages.Validate(criteria);
        var setting = await AllowedImages.GetAsync(context.Transaction, context.Scope, context.Cancellation).ConfigureAwait(false);
        setting.Criteria = criteria;
        await AllowedImages.PutAsync(context.Transaction, context.Scope, setting, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ReplaceImageCriteriaInAllowedImagesSettingsResult { ReturnValue = true };
    }

    public override async Task<DescribeInstanceImageMetadataResult> DescribeInstanceImageMetadataAsync(RequestContext context, DescribeInstanceImageMetadataRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.InstanceIds, request.MaxResults, "instanceIds");
        var instances = await context.Store.ListAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, context.Cancellation).ConfigureAwait(false);
        IEnumerable<InstanceResource> selected = instances;
        if (request.InstanceIds is { Count: > 0 } ids)
        {
            foreach (var id in ids)
            {
                ResourceTypes.Instance.CheckId(id);
                if (!instances.Exists(i => i.Id == id))
                {
                    throw ResourceTypes.Instance.NotFound(id);
                }
            }
            selected = selected.Where(i => ids.Contains(i.Id));
        }
        // The image of every instance, even when it is no longer shared, deprecated or recently deregistered.
        var images = new Dictionary<string, ImageResource>(StringComparer.Ordinal);
        foreach (var stored in await context.Store.ListEveryAccountAsync(context.Region, ResourceTypes.Image.Name, context.Cancellation).ConfigureAwait(false))
        {
            var image = JsonSerializer.Deserialize<ImageResource>(stored.Document, ResourceStore.Json)!;
            images[image.Id] = image;
        }
        foreach (var stored in await context.Store.ListEveryAccountAsync(context.Region, ResourceTypes.DeregisteredImage.Name, context.Cancellation).ConfigureAwait(false))
        {
            var record = JsonSerializer.Deserialize<DeregisteredImageRecord>(stored.Document, ResourceStore.Json)!;
            images.TryAdd(record.Image.Id, record.Image);
        }
        var setting = await AllowedImages.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var views = selected.OrderBy(i => i.Id, StringComparer.Ordinal).Select(i =>
        {
            var image = images.GetValueOrDefault(i.ImageId);
            return new InstanceImageView(i, image, image is null ? null : AllowedImages.IsAllowed(setting, image, context.AccountId, context.Now));
        });
        var page = Paginator.Paginate(InstanceImageFilters.Apply(views, ToCriteria(request.Filters)), v => v.Instance.Id, request.MaxResults, request.NextToken, minResults: 1);
        return new DescribeInstanceImageMetadataResult
        {
            InstanceImageMetadata = page.Items.Select(v => new InstanceImageMetadata
            {
                InstanceId = v.Instance.Id,
                InstanceType = v.Instance.InstanceType,
                LaunchTime = v.Instance.LaunchTime,
                AvailabilityZone = v.Instance.AvailabilityZone,
                ZoneId = v.Instance.AvailabilityZoneId,
                OwnerId = v.Instance.OwnerId,
                State = new InstanceState { Code = InstanceStates.Code(v.Instance.State), Name = v.Instance.State },
                Tags = v.Instance.Tags.Count > 0 ? ToShape(v.Instance.Tags) : null,
                ImageMetadata = new ImageMetadata
                {
                    ImageId = v.Instance.ImageId,
                    Name = v.Image?.Name,
                    OwnerId = v.Image?.OwnerId,
                    ImageOwnerAlias = v.Image?.OwnerAlias,
                    State = v.Image?.StateAt(context.Now),
                    CreationDate = v.Image is null ? null : ProtocolFormats.FormatTimestamp(v.Image.CreationDate),
                    DeprecationTime = v.Image?.DeprecationTime is { } deprecation ? ProtocolFormats.FormatTimestamp(deprecation) : null,
                    IsPublic = v.Image?.IsPublic,
                    ImageAllowed = v.Allowed,
                },
            }).ToList(),
            NextToken = page.NextToken,
        };
    }
}
