using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Marks a filter set as the filters of one or more Describe operations.</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class FiltersForAttribute(params string[] operations) : Attribute
{
    public IReadOnlyList<string> Operations { get; } = operations;
}

/// <summary>The one way Describe operations select resources: ids, filters, then pages.</summary>
internal sealed partial class Ec2Service
{
    /// <summary>
    /// The filters each implemented Describe operation declares: every static <see cref="FilterSet{T}"/>
    /// field marked <see cref="FiltersForAttribute"/>. Tests check them against AWS's documented lists.
    /// </summary>
    internal static IReadOnlyDictionary<string, IFilterSet> DeclaredFilters => DeclaredFiltersLazy.Value;

    // Lazy: static fields of the other partial files are initialised in no defined order.
    private static readonly Lazy<IReadOnlyDictionary<string, IFilterSet>> DeclaredFiltersLazy = new(() => typeof(Ec2Service)
        .GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)
        .SelectMany(f => (f.GetCustomAttributes(typeof(FiltersForAttribute), false).Cast<FiltersForAttribute>().FirstOrDefault()?.Operations ?? [])
            .Select(op => (op, set: (IFilterSet)f.GetValue(null)!)))
        .ToDictionary(x => x.op, x => x.set, StringComparer.Ordinal));

    /// <summary>
    /// Loads the resources of <paramref name="type"/> in the caller's scope, keeps those named by
    /// <paramref name="ids"/> (each must be well-formed and exist, as EC2 requires), applies the
    /// filters and pages the result in id order.
    /// </summary>
    private static async Task<Page<T>> SelectAsync<T>(
        RequestContext context,
        ResourceType type,
        FilterSet<T> filters,
        List<string>? ids,
        List<Filter>? requestFilters,
        int? maxResults = null,
        string? nextToken = null,
        string idsParameter = "")
        where T : ITaggable
    {
        Paginator.RejectIdsWithMaxResults(ids, maxResults, idsParameter);
        foreach (var id in ids ?? [])
        {
            type.CheckId(id);
        }
        var criteria = ToCriteria(requestFilters);
        if (ids is not { Count: > 0 } && maxResults is { } max && IndexedReads)
        {
            // A keyset scan: only this page's resources (and what the in-memory filters drop on
            // the way) are read, in id order from the token's id.
            _ = filters.Apply([], criteria);
            var conditions = filters.IndexConditions(criteria);
            return await Paginator.PageAsync<T, T>(async (after, limit) =>
            {
                var batch = await context.Store.ListPageAsync<T>(context.Scope, type, conditions, after, limit, context.Cancellation).ConfigureAwait(false);
                return (batch, filters.Apply(batch, criteria).ToList());
            }, r => r.Id, r => r.Id, max, nextToken).ConfigureAwait(false);
        }
        IEnumerable<T> selected;
        if (ids is { Count: > 0 })
        {
            // By key: only the named resources are read.
            var found = await context.Store.GetManyAsync<T>(context.Scope, type, ids, context.Cancellation).ConfigureAwait(false);
            var byId = found.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var id in ids.Where(id => !byId.Contains(id)))
            {
                throw type.NotFound(id);
            }
            selected = found;
        }
        else
        {
            selected = await LoadCandidatesAsync<T>(context, type, filters, criteria).ConfigureAwait(false);
        }
        selected = filters.Apply(selected, criteria);
        return Paginator.Paginate(selected, r => r.Id, maxResults, nextToken);
    }

    /// <summary>
    /// Refuses a value of the id-valued filter <paramref name="name"/> that cannot be an id of
    /// <paramref name="type"/> (<c>InvalidGroupId.Malformed</c> for a group-id filter of "web",
    /// say), as EC2 does; values with wildcards are patterns and are not checked.
    /// </summary>
    private static void CheckIdFilter(List<Filter>? filters, string name, ResourceType type)
    {
        foreach (var filter in filters ?? [])
        {
            if (filter.Name != name)
            {
                continue;
            }
            foreach (var value in filter.Values ?? [])
            {
                if (value.AsSpan().IndexOfAny('*', '?', '\\') < 0)
                {
                    type.CheckId(value);
                }
            }
        }
    }

    /// <summary>
    /// False reads every resource of a type and filters in memory, as Describe did before the
    /// store kept an index: tests compare both paths' answers.
    /// </summary>
    internal static bool IndexedReads { get; set; } = true;

    /// <summary>
    /// The resources of <paramref name="type"/> that may match <paramref name="criteria"/>: those
    /// the store's index selects for the filters it can answer, else every resource of the type.
    /// </summary>
    private static async Task<List<T>> LoadCandidatesAsync<T>(RequestContext context, ResourceType type, IFilterSet filters, IReadOnlyList<FilterCriterion>? criteria)
    {
        var conditions = IndexedReads ? filters.IndexConditions(criteria) : [];
        return conditions.Count > 0
            ? await context.Store.FindAsync<T>(context.Scope, type, conditions, context.Cancellation).ConfigureAwait(false)
            : await context.Store.ListAsync<T>(context.Scope, type, context.Cancellation).ConfigureAwait(false);
    }

    private static List<Stratus.Ec2.Model.Tag> ToShape(List<Stratus.Domain.Resources.Tag> tags) =>
        tags.Select(t => new Stratus.Ec2.Model.Tag { Key = t.Key, Value = t.Value }).ToList();
}
