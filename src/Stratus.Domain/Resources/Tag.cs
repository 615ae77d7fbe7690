namespace Stratus.Domain.Resources;

/// <summary>A resource tag.</summary>
public sealed record Tag(string Key, string Value);

/// <summary>A resource that carries tags.</summary>
public interface ITaggable
{
    string Id { get; }
    List<Tag> Tags { get; }
}
