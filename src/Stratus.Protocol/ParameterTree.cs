using System.Globalization;

namespace Stratus.Protocol;

/// <summary>
/// Dotted request keys as a tree (<c>Tags.member.1.Key</c>, <c>Filter.1.Value.2</c>), shared by the
/// <c>query</c> and <c>ec2</c> parsers. A node holds a value, children, or (for malformed input) both.
/// </summary>
internal sealed class ParameterTree
{
    public string? Value;
    private Dictionary<string, ParameterTree>? _children;

    public IReadOnlyDictionary<string, ParameterTree>? Children => _children;

    public ParameterTree? Child(string key) => _children?.GetValueOrDefault(key);

    /// <summary>Children whose keys are positive integers, in numeric order.</summary>
    public IEnumerable<(long Index, ParameterTree Node)> Indexed()
    {
        if (_children is null)
        {
            return [];
        }
        var list = new List<(long, ParameterTree)>(_children.Count);
        foreach (var (key, child) in _children)
        {
            if (long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= 1)
            {
                list.Add((index, child));
            }
        }
        list.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    public void Add(string key, string value)
    {
        var node = this;
        var start = 0;
        while (true)
        {
            var dot = key.IndexOf('.', start);
            var part = dot < 0 ? key[start..] : key[start..dot];
            node._children ??= new Dictionary<string, ParameterTree>(StringComparer.Ordinal);
            if (!node._children.TryGetValue(part, out var child))
            {
                child = new ParameterTree();
                node._children.Add(part, child);
            }
            node = child;
            if (dot < 0)
            {
                break;
            }
            start = dot + 1;
        }
        node.Value = value;
    }

    /// <summary>A full key under this node, to name an unexpected parameter.</summary>
    public string FirstKey(string path)
    {
        var node = this;
        while (node.Value is null && node._children is { Count: > 0 } c)
        {
            var first = c.First();
            path = path + "." + first.Key;
            node = first.Value;
        }
        return path;
    }
}
