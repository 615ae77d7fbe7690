using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Filtering;

/// <summary>One <c>Filter.N</c> of a Describe request: a name and the values any of which may match.</summary>
public sealed record FilterCriterion(string Name, IReadOnlyList<string> Values);

/// <summary>
/// The filters a resource type answers to, declared once per type. Semantics are EC2's: different
/// filters must all match (AND), the values of one filter are alternatives (OR), values may use the
/// wildcards <c>*</c> and <c>?</c> (a backslash escapes them), matching is case-sensitive, and a
/// filter name the type does not declare is refused. Types with tags also answer
/// <c>tag:&lt;key&gt;</c>, <c>tag-key</c> and <c>tag-value</c>.
/// </summary>
public sealed class FilterSet<T> : IFilterSet
{
    private readonly Dictionary<string, Func<T, IEnumerable<string?>>> _filters = new(StringComparer.Ordinal);
    private Func<T, IEnumerable<Tag>>? _tags;
    private readonly HashSet<string> _indexed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private bool _tagsIndexed;

    public IReadOnlyCollection<string> Names => _filters.Keys;

    /// <summary>True when the type also answers <c>tag:&lt;key&gt;</c>, <c>tag-key</c> and <c>tag-value</c>.</summary>
    public bool HasTags => _tags is not null;

    /// <summary>A filter on a single-valued property.</summary>
    public FilterSet<T> Add(string name, Func<T, string?> value)
    {
        _filters.Add(name, item => [value(item)]);
        return this;
    }

    /// <summary>A filter on a boolean property, matched as "true" or "false".</summary>
    public FilterSet<T> Add(string name, Func<T, bool> value)
    {
        _filters.Add(name, item => [value(item) ? "true" : "false"]);
        return this;
    }

    /// <summary>A filter on a multi-valued property: it matches when any value matches.</summary>
    public FilterSet<T> AddMany(string name, Func<T, IEnumerable<string?>> values)
    {
        _filters.Add(name, values);
        return this;
    }

    /// <summary>
    /// Another name EC2 accepts for a declared filter (DescribeSubnets documents <c>cidr</c> and
    /// <c>cidrBlock</c> for <c>cidr-block</c>; older clients send the query API's camel-case member
    /// names). Aliases are answered like the filter they stand for but are not among <see cref="Names"/>.
    /// </summary>
    public FilterSet<T> Alias(string alias, string name)
    {
        if (!_filters.ContainsKey(name))
        {
            throw new ArgumentException($"'{name}' is not a filter of this set.", nameof(name));
        }
        _aliases.Add(alias, name);
        return this;
    }

    /// <summary>The aliases and the declared filter each stands for.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    /// <summary>The declared name a filter name stands for: itself, or the filter it is an alias of.</summary>
    public string Canonical(string name) => _aliases.TryGetValue(name, out var canonical) ? canonical : name;

    public FilterSet<T> WithTags(Func<T, IEnumerable<Tag>> tags)
    {
        _tags = tags;
        return this;
    }

    /// <summary>
    /// Declares filters whose values the store also keeps as index entries of the same name
    /// (see <see cref="ResourceIndex"/>), so <see cref="IndexConditions"/> can push them down.
    /// </summary>
    public FilterSet<T> Indexed(params string[] names)
    {
        foreach (var name in names)
        {
            if (!_filters.ContainsKey(name))
            {
                throw new ArgumentException($"'{name}' is not a filter of this set.", nameof(names));
            }
            _indexed.Add(name);
        }
        return this;
    }

    /// <summary>Declares that the store indexes the tags the <c>tag:&lt;key&gt;</c> and <c>tag-key</c> filters read.</summary>
    public FilterSet<T> IndexedTags()
    {
        _tagsIndexed = true;
        return this;
    }

    /// <summary>
    /// The filters the store's index can answer: indexed filters and <c>tag:&lt;key&gt;</c> /
    /// <c>tag-key</c> whose values are all literal (no wildcard). The resources meeting these
    /// conditions include every resource the filters match; <see cref="Apply"/> still decides.
    /// </summary>
    public IReadOnlyList<IndexCondition> IndexConditions(IReadOnlyList<FilterCriterion>? filters)
    {
        var conditions = new List<IndexCondition>();
        foreach (var filter in filters ?? [])
        {
            if (filter.Values.Count == 0 || filter.Values.Any(v => v.AsSpan().IndexOfAny('*', '?', '\\') >= 0))
            {
                continue;
            }
            var name = Canonical(filter.Name);
            if (_indexed.Contains(name))
            {
                conditions.Add(new IndexCondition([name], filter.Values));
            }
            else if (_tagsIndexed && _tags is not null && !_filters.ContainsKey(name))
            {
                if (filter.Name.StartsWith("tag:", StringComparison.Ordinal) && filter.Name.Length > 4)
                {
                    conditions.Add(new IndexCondition([ResourceIndex.TagName(filter.Name[4..])], filter.Values));
                }
                else if (filter.Name == "tag-key")
                {
                    conditions.Add(new IndexCondition(filter.Values.Select(ResourceIndex.TagName).ToList(), null));
                }
            }
        }
        return conditions;
    }

    /// <summary>Checks every filter name, then returns the items that match all filters.</summary>
    public IEnumerable<T> Apply(IEnumerable<T> items, IReadOnlyList<FilterCriterion>? filters)
    {
        if (filters is null || filters.Count == 0)
        {
            return items;
        }
        var predicates = filters.Select(Compile).ToList();
        return items.Where(item => predicates.TrueForAll(p => p(item)));
    }

    private Func<T, bool> Compile(FilterCriterion filter)
    {
        var patterns = filter.Values.Select(v => new WildcardPattern(v)).ToList();
        bool AnyMatches(IEnumerable<string?> values) => values.Any(v => v is not null && patterns.Exists(p => p.IsMatch(v)));

        if (_filters.TryGetValue(Canonical(filter.Name), out var getter))
        {
            return item => AnyMatches(getter(item));
        }
        if (_tags is { } tags)
        {
            if (filter.Name.StartsWith("tag:", StringComparison.Ordinal) && filter.Name.Length > 4)
            {
                var key = filter.Name[4..];
                return item => AnyMatches(tags(item).Where(t => t.Key == key).Select(t => t.Value));
            }
            if (filter.Name == "tag-key")
            {
                return item => AnyMatches(tags(item).Select(t => t.Key));
            }
            if (filter.Name == "tag-value")
            {
                return item => AnyMatches(tags(item).Select(t => t.Value));
            }
        }
        throw AwsErrors.InvalidParameterValue($"The filter '{filter.Name}' is invalid");
    }
}

/// <summary>What a filter set declares, whatever the type it filters.</summary>
public interface IFilterSet
{
    IReadOnlyCollection<string> Names { get; }

    bool HasTags { get; }

    /// <summary>The conditions on the store's index entries that every match meets (see <see cref="FilterSet{T}.IndexConditions"/>).</summary>
    IReadOnlyList<IndexCondition> IndexConditions(IReadOnlyList<FilterCriterion>? filters);
}

/// <summary>An EC2 filter value: literal text with <c>*</c> (any run) and <c>?</c> (any one character); <c>\</c> escapes.</summary>
public sealed class WildcardPattern
{
    private readonly string _pattern;
    private readonly bool _literal;
    private readonly string _literalText;

    public WildcardPattern(string pattern)
    {
        _pattern = pattern;
        _literal = pattern.IndexOfAny(['*', '?', '\\']) < 0;
        _literalText = pattern;
    }

    public bool IsMatch(string value) => _literal ? value == _literalText : Match(_pattern, 0, value, 0);

    private static bool Match(string p, int pi, string s, int si)
    {
        int starP = -1, starS = -1;
        while (si < s.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starP = ++pi;
                starS = si;
                continue;
            }
            if (pi < p.Length)
            {
                var escaped = p[pi] == '\\' && pi + 1 < p.Length;
                var pc = escaped ? p[pi + 1] : p[pi];
                if ((!escaped && pc == '?') || pc == s[si])
                {
                    pi += escaped ? 2 : 1;
                    si++;
                    continue;
                }
            }
            if (starP < 0)
            {
                return false;
            }
            pi = starP;
            si = ++starS;
        }
        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }
        return pi == p.Length;
    }
}
