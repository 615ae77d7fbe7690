using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Images;
using Stratus.Domain.LaunchTemplates;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Server.Gateway;
using DomainLaunchTemplates = Stratus.Domain.LaunchTemplates.LaunchTemplates;

namespace Stratus.Server.Ec2;

/// <summary>
/// Launch templates: CreateLaunchTemplate, CreateLaunchTemplateVersion, DescribeLaunchTemplates,
/// DescribeLaunchTemplateVersions, ModifyLaunchTemplate, DeleteLaunchTemplate,
/// DeleteLaunchTemplateVersions. The data of a version is kept as given (the request's
/// <see cref="RequestLaunchTemplateData"/> as JSON) and read back as <see cref="ResponseLaunchTemplateData"/>;
/// as in EC2 it is hardly validated until an instance is launched from it.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>How launch template data is stored: the model's member names, nulls left out.</summary>
    internal static readonly JsonSerializerOptions LaunchTemplateJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        WriteIndented = false,
    };

    /// <summary>A version with its template and its data read back, for filtering and output.</summary>
    private sealed record LaunchTemplateVersionView(LaunchTemplateResource Template, LaunchTemplateVersionRecord Version, ResponseLaunchTemplateData Data);

    [FiltersFor("DescribeLaunchTemplates")]
    private static readonly FilterSet<LaunchTemplateResource> LaunchTemplateFilters = new FilterSet<LaunchTemplateResource>()
        .Add("create-time", t => ProtocolFormats.FormatTimestamp(t.CreateTime))
        .Add("launch-template-name", t => t.Name)
        .WithTags(t => t.Tags);

    [FiltersFor("DescribeLaunchTemplateVersions")]
    private static readonly FilterSet<LaunchTemplateVersionView> LaunchTemplateVersionFilters = new FilterSet<LaunchTemplateVersionView>()
        .Add("create-time", v => ProtocolFormats.FormatTimestamp(v.Version.CreateTime))
        .Add("ebs-optimized", v => v.Data.EbsOptimized is { } b ? (b ? "true" : "false") : null)
        .Add("host-resource-group-arn", v => v.Data.Placement?.HostResourceGroupArn)
        .Add("http-endpoint", v => v.Data.MetadataOptions?.HttpEndpoint)
        .Add("http-protocol-ipv4", v => v.Data.MetadataOptions is null ? null : v.Data.MetadataOptions.HttpEndpoint == "disabled" ? "disabled" : "enabled")
        .Add("http-tokens", v => v.Data.MetadataOptions?.HttpTokens)
        .AddMany("iam-instance-profile", v => [v.Data.IamInstanceProfile?.Arn, v.Data.IamInstanceProfile?.Name])
        .Add("image-id", v => v.Data.ImageId)
        .Add("instance-type", v => v.Data.InstanceType)
        .Add("is-default-version", v => v.Version.Number == v.Template.DefaultVersion)
        .Add("kernel-id", v => v.Data.KernelId)
        .AddMany("license-configuration-arn", v => (v.Data.LicenseSpecifications ?? []).Select(l => l.LicenseConfigurationArn))
        .AddMany("network-card-index", v => (v.Data.NetworkInterfaces ?? []).Select(n => n.NetworkCardIndex?.ToString(CultureInfo.InvariantCulture)))
        .Add("ram-disk-id", v => v.Data.RamDiskId);

    public override async Task<CreateLaunchTemplateResult> CreateLaunchTemplateAsync(RequestContext context, CreateLaunchTemplateRequest request)
    {
        var name = DomainLaunchTemplates.CheckName(request.LaunchTemplateName);
        var data = request.LaunchTemplateData ?? throw DomainLaunchTemplates.MissingData("launch template");
        DomainLaunchTemplates.CheckDescription(request.VersionDescription);
        CheckLaunchTemplateData(data);
        var warnings = await LaunchTemplateWarningsAsync(context, data).ConfigureAwait(false);
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.LaunchTemplate.Name);
        await DomainLaunchTemplates.CheckNameFreeAsync(context.Store, context.Scope, name, context.Cancellation).ConfigureAwait(false);
        var createdBy = CreatedByArn(context);
        var template = new LaunchTemplateResource
        {
            Id = ResourceIds.New(ResourceTypes.LaunchTemplate.IdPrefix),
            Name = name,
            CreateTime = context.Now,
            CreatedBy = createdBy,
            DefaultVersion = 1,
            LatestVersion = 1,
            Versions =
            [
                new LaunchTemplateVersionRecord
                {
                    Number = 1,
                    Description = request.VersionDescription,
                    CreateTime = context.Now,
                    CreatedBy = createdBy,
                    Data = JsonSerializer.Serialize(data, LaunchTemplateJson),
                },
            ],
            Tags = tags,
        };
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.LaunchTemplate, template.Id, template, template.CreateTime, context.Cancellation).ConfigureAwait(false);
        return new CreateLaunchTemplateResult { LaunchTemplate = ToShape(template), Warning = warnings };
    }

    public override async Task<CreateLaunchTemplateVersionResult> CreateLaunchTemplateVersionAsync(RequestContext context, CreateLaunchTemplateVersionRequest request)
    {
        var data = request.LaunchTemplateData ?? throw DomainLaunchTemplates.MissingData("launch template version");
        CheckLaunchTemplateData(data);
        var warnings = await LaunchTemplateWarningsAsync(context, data).ConfigureAwait(false);
        var template = await DomainLaunchTemplates.GetAsync(context.Store, context.Scope, request.LaunchTemplateId, request.LaunchTemplateName, context.Cancellation).ConfigureAwait(false);
        var stored = JsonSerializer.Serialize(data, LaunchTemplateJson);
        if (request.SourceVersion is { } sourceVersion)
        {
            // The new version is the source version's data with the given data laid over it.
            var source = DomainLaunchTemplates.GetVersion(template, sourceVersion);
            var merged = System.Text.Json.Nodes.JsonNode.Parse(source.Data)!.AsObject();
            foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(stored)!.AsObject())
            {
                merged[key] = value?.DeepClone();
            }
            stored = merged.ToJsonString();
        }
        var version = DomainLaunchTemplates.AddVersion(template, request.VersionDescription, stored, context.Now, CreatedByArn(context));
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.LaunchTemplate, template.Id, template, template.CreateTime, context.Cancellation).ConfigureAwait(false);
        return new CreateLaunchTemplateVersionResult
        {
            LaunchTemplateVersion = ToShape(new LaunchTemplateVersionView(template, version, ReadData(version))),
            Warning = warnings,
        };
    }

    public override async Task<DescribeLaunchTemplatesResult> DescribeLaunchTemplatesAsync(RequestContext context, DescribeLaunchTemplatesRequest request)
    {
        var ids = request.LaunchTemplateIds is { Count: > 0 } i ? i : null;
        var names = request.LaunchTemplateNames is { Count: > 0 } n ? n : null;
        foreach (var id in ids ?? [])
        {
            ResourceTypes.LaunchTemplate.CheckId(id);
        }
        var all = await context.Store.ListAsync<LaunchTemplateResource>(context.Scope, ResourceTypes.LaunchTemplate, context.Cancellation).ConfigureAwait(false);
        IEnumerable<LaunchTemplateResource> selected = all;
        if (ids is not null || names is not null)
        {
            foreach (var id in (ids ?? []).Where(id => !all.Exists(t => t.Id == id)))
            {
                throw ResourceTypes.LaunchTemplate.NotFound(id);
            }
            if ((names ?? []).Any(name => !all.Exists(t => t.Name == name)))
            {
                throw DomainLaunchTemplates.NameNotFound();
            }
            selected = all.Where(t => (ids?.Contains(t.Id) ?? false) || (names?.Contains(t.Name) ?? false));
        }
        var page = Paginator.Paginate(LaunchTemplateFilters.Apply(selected.OrderBy(t => t.Id, StringComparer.Ordinal), ToCriteria(request.Filters)),
            t => t.Id, request.MaxResults, request.NextToken, minResults: 1, maxAllowed: 200);
        return new DescribeLaunchTemplatesResult { LaunchTemplates = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<DescribeLaunchTemplateVersionsResult> DescribeLaunchTemplateVersionsAsync(RequestContext context, DescribeLaunchTemplateVersionsRequest request)
    {
        var versions = request.Versions is { Count: > 0 } v ? v : null;
        var min = ParseVersionBound(request.MinVersion, "MinVersion");
        var max = ParseVersionBound(request.MaxVersion, "MaxVersion");
        List<LaunchTemplateVersionView> selected;
        if (string.IsNullOrEmpty(request.LaunchTemplateId) && string.IsNullOrEmpty(request.LaunchTemplateName))
        {
            // Without a template: the $Latest and/or $Default versions of every template.
            if (versions is null || versions.Any(x => x is not (DomainLaunchTemplates.Latest or DomainLaunchTemplates.Default)))
            {
                throw new AwsException("MissingParameter", "The request must contain the parameter launchTemplateName or launchTemplateId");
            }
            var all = await context.Store.ListAsync<LaunchTemplateResource>(context.Scope, ResourceTypes.LaunchTemplate, context.Cancellation).ConfigureAwait(false);
            selected = all.SelectMany(t => versions.Select(x => DomainLaunchTemplates.GetVersion(t, x)).DistinctBy(x => x.Number)
                    .Select(x => new LaunchTemplateVersionView(t, x, ReadData(x))))
                .ToList();
        }
        else
        {
            var template = await DomainLaunchTemplates.GetAsync(context.Store, context.Scope, request.LaunchTemplateId, request.LaunchTemplateName, context.Cancellation).ConfigureAwait(false);
            var records = versions is null
                ? template.Versions
                : versions.Select(x => DomainLaunchTemplates.GetVersion(template, x)).DistinctBy(x => x.Number).ToList();
            selected = records.Select(x => new LaunchTemplateVersionView(template, x, ReadData(x))).ToList();
        }
        var inRange = selected
            .Where(x => (min is null || x.Version.Number >= min) && (max is null || x.Version.Number <= max))
            .OrderBy(x => x.Template.Id, StringComparer.Ordinal)
            .ThenBy(x => x.Version.Number);
        var page = Paginator.Paginate(LaunchTemplateVersionFilters.Apply(inRange, ToCriteria(request.Filters)),
            x => x.Template.Id + "/" + x.Version.Number.ToString("D6", CultureInfo.InvariantCulture), request.MaxResults, request.NextToken, minResults: 1, maxAllowed: 200);
        return new DescribeLaunchTemplateVersionsResult { LaunchTemplateVersions = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<ModifyLaunchTemplateResult> ModifyLaunchTemplateAsync(RequestContext context, ModifyLaunchTemplateRequest request)
    {
        var template = await DomainLaunchTemplates.GetAsync(context.Store, context.Scope, request.LaunchTemplateId, request.LaunchTemplateName, context.Cancellation).ConfigureAwait(false);
        if (request.DefaultVersion is { } defaultVersion)
        {
            template.DefaultVersion = DomainLaunchTemplates.GetVersion(template, defaultVersion).Number;
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.LaunchTemplate, template.Id, template, template.CreateTime, context.Cancellation).ConfigureAwait(false);
        }
        return new ModifyLaunchTemplateResult { LaunchTemplate = ToShape(template) };
    }

    public override async Task<DeleteLaunchTemplateResult> DeleteLaunchTemplateAsync(RequestContext context, DeleteLaunchTemplateRequest request)
    {
        var template = await DomainLaunchTemplates.GetAsync(context.Store, context.Scope, request.LaunchTemplateId, request.LaunchTemplateName, context.Cancellation).ConfigureAwait(false);
        await context.Transaction.DeleteAsync(context.Scope, ResourceTypes.LaunchTemplate, template.Id, context.Cancellation).ConfigureAwait(false);
        return new DeleteLaunchTemplateResult { LaunchTemplate = ToShape(template) };
    }

    /// <summary>
    /// Deletes versions one by one: each that cannot be deleted (unknown, or the default version)
    /// is reported in the unsuccessful list, as EC2 does, rather than failing the request.
    /// </summary>
    public override async Task<DeleteLaunchTemplateVersionsResult> DeleteLaunchTemplateVersionsAsync(RequestContext context, DeleteLaunchTemplateVersionsRequest request)
    {
        if (request.Versions is not { Count: > 0 } versions)
        {
            throw AwsErrors.MissingParameter("LaunchTemplateVersion");
        }
        if (versions.Count > 200)
        {
            throw AwsErrors.InvalidParameterValue("You can specify up to 200 launch template version numbers.");
        }
        var template = await DomainLaunchTemplates.GetAsync(context.Store, context.Scope, request.LaunchTemplateId, request.LaunchTemplateName, context.Cancellation).ConfigureAwait(false);
        var result = new DeleteLaunchTemplateVersionsResult { SuccessfullyDeletedLaunchTemplateVersions = [], UnsuccessfullyDeletedLaunchTemplateVersions = [] };
        foreach (var version in versions)
        {
            long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number);
            var record = template.Versions.Find(x => x.Number == number && number > 0);
            if (record is null || record.Number == template.DefaultVersion)
            {
                result.UnsuccessfullyDeletedLaunchTemplateVersions.Add(new DeleteLaunchTemplateVersionsResponseErrorItem
                {
                    LaunchTemplateId = template.Id,
                    LaunchTemplateName = template.Name,
                    VersionNumber = number,
                    ResponseError = record is null
                        ? new ResponseError { Code = "launchTemplateVersionDoesNotExist", Message = "The specified launch template version does not exist." }
                        : new ResponseError { Code = "unexpectedError", Message = "Cannot delete the default version of a launch template. Use DeleteLaunchTemplate to delete the launch template and all of its versions." },
                });
                continue;
            }
            template.Versions.Remove(record);
            result.SuccessfullyDeletedLaunchTemplateVersions.Add(new DeleteLaunchTemplateVersionsResponseSuccessItem
            {
                LaunchTemplateId = template.Id,
                LaunchTemplateName = template.Name,
                VersionNumber = record.Number,
            });
        }
        if (result.SuccessfullyDeletedLaunchTemplateVersions.Count > 0)
        {
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.LaunchTemplate, template.Id, template, template.CreateTime, context.Cancellation).ConfigureAwait(false);
        }
        return result;
    }

    private static string CreatedByArn(RequestContext context) => $"arn:aws:iam::{context.AccountId}:root";

    /// <summary>
    /// What EC2 accepts into a launch template but reports back as a <c>Warning</c>: data that could
    /// not launch an instance as it stands (an image id that is malformed, unknown to the caller or
    /// no longer available). The version is still created; RunInstances refuses it later.
    /// </summary>
    private static async Task<ValidationWarning?> LaunchTemplateWarningsAsync(RequestContext context, RequestLaunchTemplateData data)
    {
        var errors = new List<ValidationError>();
        if (data.ImageId is { } imageId && !imageId.StartsWith("resolve:ssm:", StringComparison.Ordinal))
        {
            try
            {
                await Images.GetLaunchableAsync(context.Store, context.Scope, imageId, context.Now, context.Cancellation).ConfigureAwait(false);
            }
            catch (AwsException e)
            {
                errors.Add(new ValidationError { Code = e.Code, Message = e.Message });
            }
        }
        return errors.Count > 0 ? new ValidationWarning { Errors = errors } : null;
    }

    /// <summary>What CreateLaunchTemplate refuses outright; the rest is reported as a warning or checked when an instance is launched.</summary>
    private static void CheckLaunchTemplateData(RequestLaunchTemplateData data)
    {
        foreach (var spec in data.TagSpecifications ?? [])
        {
            if (spec.ResourceType is not ("instance" or "volume" or "network-interface" or "spot-instances-request" or "elastic-gpu"))
            {
                throw AwsErrors.InvalidParameterValue($"'{spec.ResourceType}' is not a valid taggable resource type for this operation.");
            }
        }
    }

    private static long? ParseVersionBound(string? value, string parameter)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw AwsErrors.InvalidParameterValue($"Value ({value}) for parameter {parameter} is invalid. Expected a version number.");
    }

    private static ResponseLaunchTemplateData ReadData(LaunchTemplateVersionRecord version) =>
        JsonSerializer.Deserialize<ResponseLaunchTemplateData>(version.Data, LaunchTemplateJson) ?? new ResponseLaunchTemplateData();

    private static Stratus.Ec2.Model.LaunchTemplate ToShape(LaunchTemplateResource template) => new()
    {
        LaunchTemplateId = template.Id,
        LaunchTemplateName = template.Name,
        CreateTime = template.CreateTime,
        CreatedBy = template.CreatedBy,
        DefaultVersionNumber = template.DefaultVersion,
        LatestVersionNumber = template.LatestVersion,
        Tags = template.Tags.Count > 0 ? ToShape(template.Tags) : null,
    };

    private static LaunchTemplateVersion ToShape(LaunchTemplateVersionView view) => new()
    {
        LaunchTemplateId = view.Template.Id,
        LaunchTemplateName = view.Template.Name,
        VersionNumber = view.Version.Number,
        VersionDescription = view.Version.Description,
        CreateTime = view.Version.CreateTime,
        CreatedBy = view.Version.CreatedBy,
        DefaultVersion = view.Version.Number == view.Template.DefaultVersion,
        LaunchTemplateData = view.Data,
    };
}
