using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using DomainTag = Stratus.Domain.Resources.Tag;

namespace Stratus.Server.Ec2;

/// <summary>
/// Tags on every taggable resource, with AWS's limits: at most 50 tags per resource, keys of
/// 1–128 and values of 0–256 characters, and no keys starting with <c>aws:</c>.
/// </summary>
internal sealed partial class Ec2Service
{
    private const int MaxTagsPerResource = 50;

    /// <summary>One tag of one resource, with all of that resource's tags (for the tag:&lt;key&gt; filter).</summary>
    private sealed record TagRow(TagDescription Tag, List<DomainTag> ResourceTags);

    [FiltersFor("DescribeTags")]
    private static readonly FilterSet<TagRow> TagFilters = new FilterSet<TagRow>()
        .Add("key", t => t.Tag.Key)
        .Add("resource-id", t => t.Tag.ResourceId)
        .Add("resource-type", t => t.Tag.ResourceType)
        .Add("value", t => t.Tag.Value)
        .WithTags(t => t.ResourceTags);

    public override async Task CreateTagsAsync(RequestContext context, CreateTagsRequest request)
    {
        var tags = request.Tags ?? throw AwsErrors.MissingParameter("Tag");
        foreach (var tag in tags)
        {
            CheckTag(tag.Key, tag.Value);
        }
        await UpdateTagsAsync(context, request.Resources!, existing =>
        {
            foreach (var tag in tags)
            {
                existing.RemoveAll(t => t.Key == tag.Key);
                existing.Add(new DomainTag(tag.Key!, tag.Value ?? ""));
            }
        }).ConfigureAwait(false);
    }

    public override async Task DeleteTagsAsync(RequestContext context, DeleteTagsRequest request)
    {
        await UpdateTagsAsync(context, request.Resources!, existing =>
        {
            if (request.Tags is not { Count: > 0 } tags)
            {
                existing.Clear();
                return;
            }
            foreach (var tag in tags)
            {
                // A value given must match; without one the key goes whatever its value.
                existing.RemoveAll(t => t.Key == tag.Key && (tag.Value is null || t.Value == tag.Value));
            }
        }).ConfigureAwait(false);
    }

    public override async Task<DescribeTagsResult> DescribeTagsAsync(RequestContext context, DescribeTagsRequest request)
    {
        var criteria = ToCriteria(request.Filters);
        var rows = IndexedReads ? await TagRowsFromIndexAsync(context, criteria).ConfigureAwait(false) : await TagRowsFromDocumentsAsync(context).ConfigureAwait(false);
        var ordered = rows.OrderBy(d => d.Tag.ResourceId, StringComparer.Ordinal).ThenBy(d => d.Tag.Key, StringComparer.Ordinal);
        var page = Paginator.Paginate(TagFilters.Apply(ordered, criteria), d => d.Tag.ResourceId + "\u0001" + d.Tag.Key, request.MaxResults, request.NextToken);
        return new DescribeTagsResult { Tags = page.Items.Select(r => r.Tag).ToList(), NextToken = page.NextToken };
    }

    /// <summary>The tags of the index entries that may match the filters.</summary>
    private static async Task<List<TagRow>> TagRowsFromIndexAsync(RequestContext context, IReadOnlyList<FilterCriterion>? criteria)
    {
        var entries = await context.Store.ListIndexAsync(context.AccountId, context.Region, TagQuery(criteria), context.Cancellation).ConfigureAwait(false);
        var rows = new List<TagRow>();
        foreach (var resource in entries.GroupBy(e => (e.Type, e.Id)))
        {
            if (!ResourceTypes.Taggable.Any(t => t.Name == resource.Key.Type))
            {
                continue;
            }
            var tags = resource.Select(e => new DomainTag(e.Name[ResourceIndex.TagPrefix.Length..], e.Value)).ToList();
            foreach (var tag in tags)
            {
                rows.Add(new TagRow(new TagDescription { ResourceId = resource.Key.Id, ResourceType = resource.Key.Type, Key = tag.Key, Value = tag.Value }, tags));
            }
        }
        return rows;
    }

    /// <summary>The tags of every taggable resource's document (what the index is checked against).</summary>
    private static async Task<List<TagRow>> TagRowsFromDocumentsAsync(RequestContext context)
    {
        var all = await context.Store.ListAllAsync(context.AccountId, context.Region, context.Cancellation).ConfigureAwait(false);
        var rows = new List<TagRow>();
        foreach (var stored in all)
        {
            if (!ResourceTypes.Taggable.Any(t => t.Name == stored.Key.Type))
            {
                continue;
            }
            var tags = ReadTags(JsonNode.Parse(stored.Document)!);
            foreach (var tag in tags)
            {
                rows.Add(new TagRow(new TagDescription { ResourceId = stored.Id, ResourceType = stored.Key.Type, Key = tag.Key, Value = tag.Value }, tags));
            }
        }
        return rows;
    }

    /// <summary>
    /// The tag entries of the store's index that may match DescribeTags' filters: the literal
    /// values of resource-id, resource-type, key and value narrow them (key and value only when
    /// no filter needs a resource's other tags); the filters themselves still decide.
    /// </summary>
    private static IndexEntryQuery TagQuery(IReadOnlyList<FilterCriterion>? criteria)
    {
        IReadOnlyList<string>? Literal(string name)
        {
            IReadOnlyList<string>? values = null;
            foreach (var filter in criteria ?? [])
            {
                if (filter.Name != name || filter.Values.Count == 0 || filter.Values.Any(v => v.AsSpan().IndexOfAny('*', '?', '\\') >= 0))
                {
                    continue;
                }
                // Two filters of the same name must both match: keep the values they share.
                values = values is null ? filter.Values : values.Intersect(filter.Values, StringComparer.Ordinal).ToList();
            }
            return values;
        }
        var wholeResource = (criteria ?? []).Any(f => f.Name.StartsWith("tag:", StringComparison.Ordinal) || f.Name is "tag-key" or "tag-value");
        var ids = Literal("resource-id");
        var types = Literal("resource-type");
        if (ids is not null)
        {
            // The types those ids can be of (by their prefix): the index's key then finds each
            // resource's entries directly instead of scanning every tag entry of the region.
            var ofIds = TypesOfIds(ids);
            types = types is null ? ofIds : types.Intersect(ofIds, StringComparer.Ordinal).ToList();
        }
        return new IndexEntryQuery(ResourceIndex.TagPrefix)
        {
            Ids = ids,
            Types = types,
            Names = wholeResource ? null : Literal("key")?.Select(ResourceIndex.TagName).ToList(),
            Values = wholeResource ? null : Literal("value"),
        };
    }

    /// <summary>Every taggable type whose id prefix the ids start with (a type's ids all start with its prefix and a dash).</summary>
    private static List<string> TypesOfIds(IReadOnlyList<string> ids)
    {
        var types = new List<string>();
        foreach (var type in ResourceTypes.Taggable)
        {
            foreach (var id in ids)
            {
                if (id.Length > type.IdPrefix.Length && id[type.IdPrefix.Length] == '-' && id.StartsWith(type.IdPrefix, StringComparison.Ordinal))
                {
                    types.Add(type.Name);
                    break;
                }
            }
        }
        return types;
    }

    /// <summary>Tags requested through TagSpecifications for a resource being created.</summary>
    private static List<DomainTag> TagsOnCreate(List<TagSpecification>? specifications, string resourceType)
    {
        var tags = new List<DomainTag>();
        foreach (var spec in specifications ?? [])
        {
            if (spec.ResourceType != resourceType)
            {
                throw AwsErrors.InvalidParameterValue($"'{spec.ResourceType}' is not a valid taggable resource type for this operation.");
            }
            foreach (var tag in spec.Tags ?? [])
            {
                CheckTag(tag.Key, tag.Value);
                if (tags.Exists(t => t.Key == tag.Key))
                {
                    throw AwsErrors.InvalidParameterValue($"Duplicate tag key '{tag.Key}' specified.");
                }
                tags.Add(new DomainTag(tag.Key!, tag.Value ?? ""));
            }
        }
        if (tags.Count > MaxTagsPerResource)
        {
            throw new AwsException("TagLimitExceeded", $"The maximum number of tags ({MaxTagsPerResource}) for a resource has been exceeded.");
        }
        return tags;
    }

    private static void CheckTag(string? key, string? value)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw AwsErrors.InvalidParameterValue("Tag keys must not be empty.");
        }
        if (key.Length > 128)
        {
            throw AwsErrors.InvalidParameterValue($"Tag key exceeds the maximum length of 128 characters: {key}");
        }
        if (value?.Length > 256)
        {
            throw AwsErrors.InvalidParameterValue($"Tag value exceeds the maximum length of 256 characters for key {key}");
        }
        if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
        {
            throw AwsErrors.InvalidParameterValue($"Value ( {key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use");
        }
    }

    /// <summary>
    /// Edits the tags of every named resource (in request order, each once), read by key per type
    /// and written back with their index entries in one batch. The first id in request order that
    /// is invalid, malformed or missing is the error, as when they were edited one by one.
    /// </summary>
    private static async Task UpdateTagsAsync(RequestContext context, IReadOnlyList<string> ids, Action<List<DomainTag>> edit)
    {
        var unique = ids.Distinct(StringComparer.Ordinal).ToList();
        var found = new Dictionary<string, StoredResource>(StringComparer.Ordinal);
        foreach (var group in unique.Select(id => (Id: id, Type: ResourceTypes.FromId(id)))
            .Where(x => x.Type is not null && ResourceIds.IsWellFormed(x.Type.IdPrefix, x.Id))
            .GroupBy(x => x.Type!.Name))
        {
            var stored = await context.Store.GetManyAsync(context.AccountId, context.Region, group.Key, group.Select(x => x.Id).ToList(), context.Cancellation).ConfigureAwait(false);
            foreach (var resource in stored)
            {
                found[resource.Id] = resource;
            }
        }
        // Only tag entries change: each resource gets just the entries of the tag keys some resource
        // of the request gained, lost or changed the value of replaced (tags left as they were keep
        // their entries, and so do its other entries). Every resource is indexed under the current
        // rules while the server runs (start-up rebuilds the others first), and the store keeps the
        // index version a resource was indexed under on this write, so one indexed under older rules
        // would still be rebuilt whole at the next start. (A resource read from the store does not
        // carry its index version: comparing it here sent every resource through a full re-index,
        // deleting and inserting every entry it had.)
        var edits = new List<(StoredResource Edited, List<DomainTag> Tags)>(unique.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in unique)
        {
            var type = ResourceTypes.FromId(id) ?? throw new AwsException("InvalidID", $"The ID '{id}' is not valid");
            type.CheckId(id);
            var stored = found.GetValueOrDefault(id) ?? throw type.NotFound(id);
            // The tags alone are read and replaced in the document's text; the rest is not decoded.
            var located = TagDocuments.Locate(stored.Document);
            var tags = located.Tags;
            var before = tags.ToList();
            edit(tags);
            if (tags.Count > MaxTagsPerResource)
            {
                throw new AwsException("TagLimitExceeded", $"The maximum number of tags ({MaxTagsPerResource}) for resource '{id}' has been exceeded.");
            }
            var edited = stored with { Document = TagDocuments.With(located, tags) };
            // The keys whose tag came, went or changed value (a resource has at most 50 tags).
            foreach (var tag in before)
            {
                if (!tags.Contains(tag))
                {
                    names.Add(ResourceIndex.TagName(tag.Key));
                }
            }
            foreach (var tag in tags)
            {
                if (!before.Contains(tag))
                {
                    names.Add(ResourceIndex.TagName(tag.Key));
                }
            }
            edits.Add((edited, tags));
        }
        var tagged = new List<StoredResource>(edits.Count);
        foreach (var (edited, tags) in edits)
        {
            var entries = new List<IndexEntry>();
            foreach (var tag in tags)
            {
                var name = ResourceIndex.TagName(tag.Key);
                if (names.Contains(name))
                {
                    entries.Add(new IndexEntry(name, tag.Value));
                }
            }
            tagged.Add(edited with { Index = entries, IndexVersion = ResourceIndex.Version });
        }
        if (tagged.Count > 0)
        {
            await context.Transaction.PutManyAsync(tagged, names, context.Cancellation).ConfigureAwait(false);
        }
    }

    private static List<DomainTag> ReadTags(JsonNode document) =>
        document["tags"]?.Deserialize<List<DomainTag>>(ResourceStore.Json) ?? [];
}
