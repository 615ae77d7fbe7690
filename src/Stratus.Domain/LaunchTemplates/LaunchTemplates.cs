using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.LaunchTemplates;

/// <summary>
/// Launch template rules: names of 3 to 128 characters of <c>[a-zA-Z0-9().-/_]</c>, unique per
/// account and region; up to 5,000 templates per region and 10,000 versions per template; versions
/// named by number, <c>$Latest</c> or <c>$Default</c>.
/// </summary>
public static class LaunchTemplates
{
    public const int MinNameLength = 3;
    public const int MaxNameLength = 128;
    public const int MaxTemplatesPerRegion = 5000;
    public const int MaxVersionsPerTemplate = 10000;
    public const string Latest = "$Latest";
    public const string Default = "$Default";

    /// <summary>Refuses a missing or malformed launch template name.</summary>
    public static string CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AwsErrors.MissingParameter("LaunchTemplateName");
        }
        if (!IsValidName(name))
        {
            throw NameMalformed();
        }
        return name;
    }

    public static bool IsValidName(string name) =>
        name.Length is >= MinNameLength and <= MaxNameLength
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '(' or ')' or '.' or '-' or '/' or '_');

    /// <summary>DescribeLaunchTemplates naming templates (by name) of which one or more do not exist.</summary>
    public static AwsException NameNotFound() =>
        new("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.");

    /// <summary>An operation on one template named by a name no template has.</summary>
    public static AwsException NameNotFound(string name) =>
        new("InvalidLaunchTemplateName.NotFoundException", $"The specified launch template, with template name {name}, does not exist.");

    public static AwsException NameMalformed() =>
        new("InvalidLaunchTemplateName.MalformedException",
            "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.");

    public static AwsException VersionNotFound(string version, string templateId) =>
        new("InvalidLaunchTemplateId.VersionNotFound", $"Could not find the specified version {version} for the launch template with ID {templateId}.");

    /// <summary>CreateLaunchTemplate (<paramref name="what"/> "launch template") or CreateLaunchTemplateVersion without data.</summary>
    public static AwsException MissingData(string what) =>
        new("MissingParameter", $"No launch template data was provided. Launch template data is required to create a {what}.");

    /// <summary>Refuses a name already used by a template in the scope.</summary>
    public static async Task CheckNameFreeAsync(IStoreSession session, Scope scope, string name, CancellationToken ct = default)
    {
        var all = await session.ListAsync<LaunchTemplateResource>(scope, ResourceTypes.LaunchTemplate, ct).ConfigureAwait(false);
        if (all.Exists(t => t.Name == name))
        {
            throw new AwsException("InvalidLaunchTemplateName.AlreadyExistsException", $"Launch template name already in use.");
        }
        if (all.Count >= MaxTemplatesPerRegion)
        {
            throw new AwsException("LaunchTemplateLimitExceeded", $"You've reached the maximum number of launch templates ({MaxTemplatesPerRegion}) allowed in this Region.");
        }
    }

    /// <summary>
    /// The template named by <paramref name="id"/> or <paramref name="name"/> (exactly one of them):
    /// <c>InvalidLaunchTemplateId.Malformed</c>/<c>.NotFound</c> or <c>InvalidLaunchTemplateName.NotFoundException</c>.
    /// </summary>
    public static async Task<LaunchTemplateResource> GetAsync(IStoreSession session, Scope scope, string? id, string? name, CancellationToken ct = default)
    {
        if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(name))
        {
            throw AwsErrors.InvalidParameterCombination("Specify either the launch template ID or the launch template name, but not both.");
        }
        if (!string.IsNullOrEmpty(id))
        {
            ResourceTypes.LaunchTemplate.CheckId(id);
            return await session.GetAsync<LaunchTemplateResource>(scope, ResourceTypes.LaunchTemplate, id, ct).ConfigureAwait(false)
                ?? throw ResourceTypes.LaunchTemplate.NotFound(id);
        }
        if (!string.IsNullOrEmpty(name))
        {
            if (!IsValidName(name))
            {
                throw NameMalformed();
            }
            var all = await session.ListAsync<LaunchTemplateResource>(scope, ResourceTypes.LaunchTemplate, ct).ConfigureAwait(false);
            return all.Find(t => t.Name == name) ?? throw NameNotFound(name);
        }
        throw new AwsException("MissingParameter", "The request must contain the parameter launchTemplateName or launchTemplateId");
    }

    /// <summary>The version number <paramref name="version"/> names (a number, <c>$Latest</c> or <c>$Default</c>; null means <paramref name="fallback"/>), or null when it names none.</summary>
    public static long? ParseVersion(LaunchTemplateResource template, string? version, string fallback = Default)
    {
        version ??= fallback;
        return version switch
        {
            Latest => template.LatestVersion,
            Default => template.DefaultVersion,
            _ => long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null,
        };
    }

    /// <summary>The version <paramref name="version"/> names, or <c>InvalidLaunchTemplateId.VersionNotFound</c>.</summary>
    public static LaunchTemplateVersionRecord GetVersion(LaunchTemplateResource template, string? version, string fallback = Default)
    {
        var number = ParseVersion(template, version, fallback);
        return template.Versions.Find(v => v.Number == number) ?? throw VersionNotFound(version ?? fallback, template.Id);
    }

    /// <summary>Adds a new version with the next number; refuses the 10,001st.</summary>
    public static LaunchTemplateVersionRecord AddVersion(LaunchTemplateResource template, string? description, string data, DateTime now, string createdBy)
    {
        if (template.LatestVersion >= MaxVersionsPerTemplate)
        {
            throw new AwsException("VersionLimitExceeded", $"You've reached the maximum number of versions ({MaxVersionsPerTemplate}) allowed for launch template {template.Id}.");
        }
        CheckDescription(description);
        var record = new LaunchTemplateVersionRecord
        {
            Number = template.LatestVersion + 1,
            Description = description,
            CreateTime = now,
            CreatedBy = createdBy,
            Data = data,
        };
        template.Versions.Add(record);
        template.LatestVersion = record.Number;
        return record;
    }

    public static void CheckDescription(string? description)
    {
        if (description is { Length: > 255 })
        {
            throw AwsErrors.InvalidParameterValue("The version description must be at most 255 characters long.");
        }
    }
}
