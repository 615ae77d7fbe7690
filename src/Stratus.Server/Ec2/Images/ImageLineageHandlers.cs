using System.Globalization;
using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.LaunchTemplates;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Where images come from and what uses them: GetImageAncestry follows CopyImage's source image
/// and region back to the root image; DescribeImageReferences finds the instances and launch
/// template versions that name an image.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>How many of a launch template's latest versions are checked when no version-depth is given.</summary>
    private const int DefaultLaunchTemplateVersionDepth = 20;

    public override async Task<GetImageAncestryResult> GetImageAncestryAsync(RequestContext context, GetImageAncestryRequest request)
    {
        var imageId = request.ImageId!;
        ResourceTypes.Image.CheckId(imageId);
        var visible = await Images.ListVisibleAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var image = visible.Find(v => v.Image.Id == imageId)?.Image ?? throw ResourceTypes.Image.NotFound(imageId);
        var entries = new List<ImageAncestryEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (image is not null && seen.Add(image.Id))
        {
            entries.Add(new ImageAncestryEntry
            {
                ImageId = image.Id,
                CreationDate = image.CreationDate,
                ImageOwnerAlias = image.OwnerAlias,
                SourceImageId = image.SourceImageId,
                SourceImageRegion = image.SourceImageRegion,
            });
            if (image.SourceImageId is not { } sourceId || image.SourceImageRegion is not { } sourceRegion)
            {
                break;
            }
            image = await FindImageAnywhereAsync(context, sourceRegion, sourceId).ConfigureAwait(false);
        }
        return new GetImageAncestryResult { ImageAncestryEntries = entries };
    }

    /// <summary>An image of any account in <paramref name="region"/> (registered or recently deregistered), or null.</summary>
    private static async Task<ImageResource?> FindImageAnywhereAsync(RequestContext context, string region, string imageId)
    {
        foreach (var stored in await context.Store.ListEveryAccountAsync(region, ResourceTypes.Image.Name, context.Cancellation).ConfigureAwait(false))
        {
            if (stored.Key.Id == imageId)
            {
                return JsonSerializer.Deserialize<ImageResource>(stored.Document, ResourceStore.Json);
            }
        }
        foreach (var stored in await context.Store.ListEveryAccountAsync(region, ResourceTypes.DeregisteredImage.Name, context.Cancellation).ConfigureAwait(false))
        {
            if (stored.Key.Id == imageId)
            {
                return JsonSerializer.Deserialize<DeregisteredImageRecord>(stored.Document, ResourceStore.Json)?.Image;
            }
        }
        return null;
    }

    public override async Task<DescribeImageReferencesResult> DescribeImageReferencesAsync(RequestContext context, DescribeImageReferencesRequest request)
    {
        var imageIds = request.ImageIds ?? throw AwsErrors.MissingParameter("ImageId");
        foreach (var id in imageIds)
        {
            ResourceTypes.Image.CheckId(id);
        }
        var visible = await Images.ListVisibleAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var deregistered = await Images.ListDeregisteredAsync(context.Store, context.Scope, context.Now, context.Cancellation).ConfigureAwait(false);
        var missing = imageIds.Distinct(StringComparer.Ordinal)
            .Where(id => !visible.Exists(v => v.Image.Id == id) && !deregistered.Exists(d => d.Image.Image.Id == id)).ToList();
        if (missing.Count > 0)
        {
            throw Images.NotFound(missing);
        }
        if (request.IncludeAllResourceTypes != true && request.ResourceTypes is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("ResourceTypes");
        }
        string[] supported = ["ec2:Instance", "ec2:LaunchTemplate", "ssm:Parameter", "imagebuilder:ImageRecipe", "imagebuilder:ContainerRecipe"];
        var types = new Dictionary<string, List<ResourceTypeOption>>(StringComparer.Ordinal);
        if (request.IncludeAllResourceTypes == true)
        {
            foreach (var type in supported)
            {
                types[type] = [];
            }
        }
        foreach (var requested in request.ResourceTypes ?? [])
        {
            var type = requested.ResourceType ?? throw AwsErrors.MissingParameter("ResourceType.N.ResourceType");
            if (!supported.Contains(type))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({type}) for parameter ResourceType is invalid. Valid values: {string.Join(", ", supported)}.");
            }
            if (requested.ResourceTypeOptions is { Count: > 0 } && type is not ("ec2:Instance" or "ec2:LaunchTemplate"))
            {
                throw AwsErrors.InvalidParameterCombination($"ResourceTypeOptions are valid only for ec2:Instance and ec2:LaunchTemplate, not {type}.");
            }
            types[type] = requested.ResourceTypeOptions ?? [];
        }
        var wanted = imageIds.ToHashSet(StringComparer.Ordinal);
        var references = new List<ImageReference>();
        if (types.TryGetValue("ec2:Instance", out var instanceOptions))
        {
            var states = OptionValues(instanceOptions, "state-name");
            foreach (var state in states.Where(s => !InstanceStates.All.Contains(s)))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({state}) for option state-name is invalid. Valid values: {string.Join(", ", InstanceStates.All)}.");
            }
            var instances = await context.Store.ListAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, context.Cancellation).ConfigureAwait(false);
            references.AddRange(instances
                .Where(i => wanted.Contains(i.ImageId) && (states.Count == 0 || states.Contains(i.State)))
                .Select(i => new ImageReference { ImageId = i.ImageId, ResourceType = "ec2:Instance", Arn = $"arn:aws:ec2:{context.Region}:{context.AccountId}:instance/{i.Id}" }));
        }
        if (types.TryGetValue("ec2:LaunchTemplate", out var templateOptions))
        {
            var depthValues = OptionValues(templateOptions, "version-depth");
            var depth = DefaultLaunchTemplateVersionDepth;
            if (depthValues.Count > 0 && (!int.TryParse(depthValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out depth) || depth is < 1 or > 10000))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({depthValues[0]}) for option version-depth is invalid. Specify a number from 1 to 10000.");
            }
            var templates = await context.Store.ListAsync<LaunchTemplateResource>(context.Scope, ResourceTypes.LaunchTemplate, context.Cancellation).ConfigureAwait(false);
            foreach (var template in templates)
            {
                foreach (var version in template.Versions.OrderByDescending(v => v.Number).Take(depth))
                {
                    var data = JsonSerializer.Deserialize<RequestLaunchTemplateData>(version.Data, LaunchTemplateJson);
                    if (data?.ImageId is { } imageId && wanted.Contains(imageId))
                    {
                        references.Add(new ImageReference
                        {
                            ImageId = imageId,
                            ResourceType = "ec2:LaunchTemplate",
                            Arn = $"arn:aws:ec2:{context.Region}:{context.AccountId}:launch-template/{template.Id}:{version.Number.ToString(CultureInfo.InvariantCulture)}",
                        });
                    }
                }
            }
        }
        var ordered = references.DistinctBy(r => r.Arn).OrderBy(r => r.ImageId, StringComparer.Ordinal).ThenBy(r => r.Arn, StringComparer.Ordinal);
        var page = Paginator.Paginate(ordered, r => r.ImageId + "|" + r.Arn, request.MaxResults, request.NextToken, maxAllowed: int.MaxValue);
        return new DescribeImageReferencesResult { ImageReferences = page.Items.ToList(), NextToken = page.NextToken };
    }

    private static List<string> OptionValues(List<ResourceTypeOption> options, string name)
    {
        var values = new List<string>();
        foreach (var option in options)
        {
            if (option.OptionName != name)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({option.OptionName}) for parameter OptionName is invalid. Valid options: state-name (ec2:Instance), version-depth (ec2:LaunchTemplate).");
            }
            values.AddRange(option.OptionValues ?? []);
        }
        return values;
    }
}
