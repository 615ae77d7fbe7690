using Stratus.Domain.Resources;

namespace Stratus.Domain.LaunchTemplates;

/// <summary>
/// A launch template with all its versions. Templates are immutable: a change is a new version,
/// numbered in order of creation; one version is the default.
/// </summary>
public sealed class LaunchTemplateResource : ITaggable
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required DateTime CreateTime { get; init; }

    /// <summary>The ARN of the principal that created the template.</summary>
    public required string CreatedBy { get; init; }

    public long DefaultVersion { get; set; } = 1;
    public long LatestVersion { get; set; } = 1;

    public List<LaunchTemplateVersionRecord> Versions { get; init; } = [];

    public List<Tag> Tags { get; init; } = [];
}

/// <summary>One version of a launch template.</summary>
public sealed class LaunchTemplateVersionRecord
{
    public required long Number { get; init; }
    public string? Description { get; init; }
    public required DateTime CreateTime { get; init; }
    public required string CreatedBy { get; init; }

    /// <summary>The launch template data as given (the request's <c>LaunchTemplateData</c> serialized as JSON).</summary>
    public required string Data { get; init; }
}
