using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Resources;

/// <summary>
/// What the store indexes each resource by, derived from the resource itself whenever it is
/// written (see <see cref="ResourceStore.PutAsync{T}"/>), so every write path keeps the index
/// without asking for it: every tag of a taggable resource (as <c>tag:&lt;key&gt;</c> = value)
/// and, per type, the attributes Describe filters and lookups use most, named after the filter
/// that reads them (<c>instance-state-name</c>, <c>vpc-id</c>, <c>attachment.instance-id</c>, ...).
/// An entry may name a value the filter of the same name would not answer (a terminated
/// instance keeps its <c>vpc-id</c> entry): lookups through the index narrow the candidates,
/// and the filter itself still decides.
/// </summary>
public static class ResourceIndex
{
    /// <summary>
    /// The version of these rules. Raise it when they change: start-up re-derives the entries of
    /// every resource written under an older version.
    /// </summary>
    public const int Version = 1;

    /// <summary>The prefix of tag entries: <c>tag:Name</c> = <c>web</c>.</summary>
    public const string TagPrefix = "tag:";

    private static readonly Dictionary<string, Indexer> Indexers = new(StringComparer.Ordinal);

    static ResourceIndex()
    {
        Register<InstanceResource>(ResourceTypes.Instance, (i, add) =>
        {
            add("instance-state-name", i.State);
            add("vpc-id", i.VpcId);
            add("subnet-id", i.SubnetId);
            add("reservation-id", i.ReservationId);
            foreach (var group in i.SecurityGroups)
            {
                add("instance.group-id", group.GroupId);
            }
        });
        Register<NetworkInterfaceResource>(ResourceTypes.NetworkInterface, (n, add) =>
        {
            add("vpc-id", n.VpcId);
            add("subnet-id", n.SubnetId);
            add("status", n.Status);
            if (n.Attachment?.InstanceId is { } instance)
            {
                add("attachment.instance-id", instance);
            }
            foreach (var group in n.SecurityGroupIds)
            {
                add("group-id", group);
            }
        });
        Register<VolumeResource>(ResourceTypes.Volume, (v, add) =>
        {
            foreach (var attachment in v.Attachments)
            {
                add("attachment.instance-id", attachment.InstanceId);
            }
        });
        Register<SecurityGroupRuleResource>(ResourceTypes.SecurityGroupRule, (r, add) => add("group-id", r.GroupId));
        Register<SecurityGroupResource>(ResourceTypes.SecurityGroup, (g, add) =>
        {
            add("vpc-id", g.VpcId);
            add("group-name", g.GroupName);
        });
    }

    /// <summary>The entry name of a tag key.</summary>
    public static string TagName(string key) => TagPrefix + key;

    /// <summary>The index entries of a resource about to be written as <paramref name="type"/>.</summary>
    public static IReadOnlyList<IndexEntry> EntriesOf(ResourceType type, object? resource)
    {
        ArgumentNullException.ThrowIfNull(type);
        var entries = new List<IndexEntry>();
        if (resource is ITaggable taggable)
        {
            AddTags(entries, taggable.Tags);
        }
        if (resource is not null && Indexers.TryGetValue(type.Name, out var indexer) && indexer.Type.IsInstanceOfType(resource))
        {
            indexer.Add(resource, entries);
        }
        return entries;
    }

    /// <summary>
    /// The index entries of a stored document of type <paramref name="typeName"/>: for writes that
    /// edit the JSON itself (tags, say) and for rebuilding the index of older rows.
    /// </summary>
    public static IReadOnlyList<IndexEntry> EntriesOf(string typeName, string document)
    {
        var entries = new List<IndexEntry>();
        if (Indexers.TryGetValue(typeName, out var indexer))
        {
            var resource = JsonSerializer.Deserialize(document, indexer.Type, ResourceStore.Json);
            if (resource is ITaggable taggable)
            {
                AddTags(entries, taggable.Tags);
            }
            if (resource is not null)
            {
                indexer.Add(resource, entries);
            }
            return entries;
        }
        if (ResourceTypes.Taggable.Any(t => t.Name == typeName) && JsonNode.Parse(document) is JsonObject json
            && json["tags"]?.Deserialize<List<Tag>>(ResourceStore.Json) is { } tags)
        {
            AddTags(entries, tags);
        }
        return entries;
    }

    /// <summary>A stored resource with its index entries re-derived from its document.</summary>
    public static StoredResource Reindexed(StoredResource stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored with { Index = EntriesOf(stored.Key.Type, stored.Document), IndexVersion = Version };
    }

    /// <summary>
    /// Re-derives the entries of every resource written under an older <see cref="Version"/> (or
    /// before the store kept an index), in batches of one write transaction each; returns how many.
    /// </summary>
    public static async Task<int> RebuildStaleAsync(IStateStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var total = 0;
        while (true)
        {
            var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var stale = await tx.ListIndexStaleAsync(Version, 500, ct).ConfigureAwait(false);
                if (stale.Count == 0)
                {
                    return total;
                }
                await tx.PutManyAsync(stale.Select(Reindexed).ToList(), ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                total += stale.Count;
            }
        }
    }

    private static void AddTags(List<IndexEntry> entries, List<Tag>? tags)
    {
        foreach (var tag in tags ?? [])
        {
            entries.Add(new IndexEntry(TagName(tag.Key), tag.Value));
        }
    }

    private static void Register<T>(ResourceType type, Action<T, Action<string, string?>> attributes)
        where T : class =>
        Indexers[type.Name] = new Indexer(typeof(T), (resource, entries) =>
            attributes((T)resource, (name, value) =>
            {
                if (value is not null)
                {
                    entries.Add(new IndexEntry(name, value));
                }
            }));

    private sealed record Indexer(Type Type, Action<object, List<IndexEntry>> Add);
}
