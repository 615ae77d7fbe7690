using System.Text;

namespace Stratus.Server.Imds;

/// <summary>A node of the metadata tree: a directory (listed with its children, sub-directories ending in <c>/</c>) or a leaf.</summary>
internal abstract class MetadataNode;

/// <summary>A value, computed when asked for (signatures and credentials are not made for every request).</summary>
internal sealed class MetadataLeaf(Func<byte[]> content) : MetadataNode
{
    public MetadataLeaf(string text)
        : this(() => Encoding.UTF8.GetBytes(text))
    {
    }

    public byte[] Content => content();
}

/// <summary>A directory. <see cref="Listing"/> overrides the listing where AWS lists names other than the path segments (<c>public-keys/</c>: <c>0=name</c>).</summary>
internal sealed class MetadataDirectory : MetadataNode
{
    private readonly SortedDictionary<string, MetadataNode> _children = new(StringComparer.Ordinal);

    public IReadOnlyList<string>? Listing { get; init; }

    public MetadataDirectory Add(string name, MetadataNode node)
    {
        _children[name] = node;
        return this;
    }

    public MetadataDirectory Add(string name, string value) => Add(name, new MetadataLeaf(value));

    /// <summary>Adds a sub-directory and returns it.</summary>
    public MetadataDirectory Dir(string name)
    {
        if (_children.TryGetValue(name, out var existing) && existing is MetadataDirectory dir)
        {
            return dir;
        }
        var created = new MetadataDirectory();
        _children[name] = created;
        return created;
    }

    public MetadataNode? Child(string name) => _children.GetValueOrDefault(name);

    /// <summary>The listing AWS returns: one name a line, directories with a trailing slash, no final newline.</summary>
    public string List() => string.Join('\n', Listing ?? _children.Select(c => c.Value is MetadataDirectory ? c.Key + "/" : c.Key));

    /// <summary>The node at <paramref name="segments"/> below this directory, or null.</summary>
    public MetadataNode? Find(IEnumerable<string> segments)
    {
        MetadataNode node = this;
        foreach (var segment in segments)
        {
            if (node is not MetadataDirectory dir || dir.Child(segment) is not { } child)
            {
                return null;
            }
            node = child;
        }
        return node;
    }
}
