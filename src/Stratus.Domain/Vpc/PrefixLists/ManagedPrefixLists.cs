using System.Text.Json.Serialization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.PrefixLists;

/// <summary>One entry of a prefix list: a CIDR block and an optional description.</summary>
public sealed class PrefixListEntryRecord
{
    public required string Cidr { get; init; }
    public string? Description { get; init; }
}

/// <summary>The entries of one version of a prefix list.</summary>
public sealed class PrefixListVersionRecord
{
    public long Version { get; init; }
    public List<PrefixListEntryRecord> Entries { get; init; } = [];
}

/// <summary>
/// A managed prefix list. Customer-managed lists are stored; the AWS-managed ones
/// (<see cref="ManagedPrefixLists.AwsManaged"/>) are the same shape with owner <c>AWS</c>.
/// </summary>
public sealed class ManagedPrefixListResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string Name { get; set; }
    public required string AddressFamily { get; init; }

    /// <summary>Null for AWS-managed lists (AWS reports none).</summary>
    public int? MaxEntries { get; set; }

    public long Version { get; set; } = 1;

    /// <summary>The state a read shows: <c>create-complete</c>, <c>modify-complete</c>, <c>modify-failed</c>, <c>restore-complete</c>.</summary>
    public string State { get; set; } = "create-complete";

    public string? StateMessage { get; set; }

    /// <summary>Stored versions, oldest first (at most <see cref="ManagedPrefixLists.MaxVersions"/>).</summary>
    public List<PrefixListVersionRecord> Versions { get; init; } = [];

    public List<Tag> Tags { get; init; } = [];

    /// <summary>How many rules (or routes) one reference counts as: MaxEntries, or for AWS lists their documented weight.</summary>
    public int? Weight { get; init; }

    [JsonIgnore]
    public bool AwsManaged => OwnerId == ManagedPrefixLists.AwsOwner;

    /// <summary>The entries of the current version.</summary>
    [JsonIgnore]
    public IReadOnlyList<PrefixListEntryRecord> Entries => Versions.Find(v => v.Version == Version)?.Entries ?? [];

    /// <summary>How many rule slots a reference to this list takes in a security group or route table.</summary>
    [JsonIgnore]
    public int References => MaxEntries ?? Weight ?? Math.Max(1, Entries.Count);

    public string Arn(string region) => $"arn:aws:ec2:{region}:{(AwsManaged ? "aws" : OwnerId)}:prefix-list/{Id}";
}

/// <summary>A resource that refers to a prefix list: a security group (rules) or a route table (routes).</summary>
public sealed record PrefixListReference(string ResourceId, string ResourceOwner);

/// <summary>
/// Managed prefix lists with EC2's rules: versions (adding or removing entries makes a new version,
/// renaming does not), an optimistic <c>CurrentVersion</c> check, MaxEntries that count toward the
/// rule quota of every security group and the route quota of every route table that reference the
/// list, restore of an earlier version, and deletion refused while anything refers to the list.
/// </summary>
public static class ManagedPrefixLists
{
    /// <summary>The owner id AWS reports for the lists it manages.</summary>
    public const string AwsOwner = "AWS";

    /// <summary>Versions kept per list; adding one more drops the oldest, as AWS documents.</summary>
    public const int MaxVersions = 1000;

    /// <summary>Entries per prefix list at most (the AWS quota).</summary>
    public const int MaxEntriesLimit = 1000;

    /// <summary>Entry additions or removals per request at most.</summary>
    public const int MaxChangesPerRequest = 100;

    /// <summary>Routes per route table (AWS's default quota, L-93826ACB); a prefix-list route counts as its MaxEntries.</summary>
    public const int RoutesPerRouteTable = 50;

    // Stand-ins for the AWS service ranges (AWS publishes them per region in ip-ranges.json; the
    // us-east-1 ones serve every region here).
    private static readonly string[] S3Cidrs = ["3.5.0.0/19", "16.182.0.0/16", "18.34.0.0/19", "18.34.232.0/21", "52.216.0.0/15", "54.231.0.0/16"];
    private static readonly string[] DynamoDbCidrs = ["3.218.180.0/22", "52.94.0.0/22", "52.119.224.0/20"];
    private static readonly string[] CloudFrontOriginCidrs =
    [
        "13.32.0.0/15", "52.46.0.0/18", "52.84.0.0/15", "54.182.0.0/16", "54.192.0.0/16", "54.230.0.0/17",
        "64.252.64.0/18", "70.132.0.0/18", "99.84.0.0/16", "130.176.0.0/18", "204.246.164.0/22",
    ];

    /// <summary>The AWS-managed prefix lists of a region: the gateway-endpoint services (S3, DynamoDB) and CloudFront's origin-facing ranges.</summary>
    public static IReadOnlyList<ManagedPrefixListResource> AwsManaged(string region)
    {
        var lists = new List<ManagedPrefixListResource>
        {
            Aws(region, ServicePrefixLists.ServiceName(region, "s3"), S3Cidrs, null),
            Aws(region, ServicePrefixLists.ServiceName(region, "dynamodb"), DynamoDbCidrs, null),
            Aws(region, "com.amazonaws.global.cloudfront.origin-facing", CloudFrontOriginCidrs, 55),
        };
        return lists.OrderBy(l => l.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The service prefix lists DescribePrefixLists shows (those gateway endpoints route to).</summary>
    public static IReadOnlyList<ManagedPrefixListResource> ServiceLists(string region) =>
        AwsManaged(region).Where(l => l.Name.StartsWith("com.amazonaws." + region + ".", StringComparison.Ordinal)).ToList();

    private static ManagedPrefixListResource Aws(string region, string name, string[] cidrs, int? weight) => new()
    {
        Id = ServicePrefixLists.ServicePrefixListId(region, name),
        OwnerId = AwsOwner,
        Name = name,
        AddressFamily = "IPv4",
        MaxEntries = null,
        Weight = weight,
        Versions = [new PrefixListVersionRecord { Version = 1, Entries = cidrs.Select(c => new PrefixListEntryRecord { Cidr = c }).ToList() }],
    };

    /// <summary>Every list the caller can see: its own and AWS's, in id order.</summary>
    public static async Task<List<ManagedPrefixListResource>> ListAsync(IStoreSession session, Scope scope, CancellationToken ct)
    {
        var own = await session.ListAsync<ManagedPrefixListResource>(scope, ResourceTypes.ManagedPrefixList, ct).ConfigureAwait(false);
        return own.Concat(AwsManaged(scope.Region)).OrderBy(l => l.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>A list by id (the caller's or AWS's); malformed → <c>InvalidPrefixListId.Malformed</c>, unknown → <c>InvalidPrefixListID.NotFound</c>.</summary>
    public static async Task<ManagedPrefixListResource> RequireAsync(IStoreSession session, Scope scope, string? id, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter("PrefixListId");
        }
        RuleValidation.CheckPrefixListId(id);
        return await FindAsync(session, scope, id, ct).ConfigureAwait(false) ?? throw ResourceTypes.ManagedPrefixList.NotFound(id);
    }

    /// <summary>A list by id, or null.</summary>
    public static async Task<ManagedPrefixListResource?> FindAsync(IStoreSession session, Scope scope, string id, CancellationToken ct) =>
        AwsManaged(scope.Region).FirstOrDefault(l => l.Id == id)
        ?? await session.GetAsync<ManagedPrefixListResource>(scope, ResourceTypes.ManagedPrefixList, id, ct).ConfigureAwait(false);

    /// <summary>CreateManagedPrefixList.</summary>
    public static async Task<ManagedPrefixListResource> CreateAsync(
        IStoreTransaction tx, Scope scope, string? name, string? addressFamily, int? maxEntries,
        IReadOnlyList<PrefixListEntryRecord> entries, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var family = addressFamily switch
        {
            null or "" => throw AwsErrors.MissingParameter("AddressFamily"),
            "IPv4" or "IPv6" => addressFamily,
            _ => throw AwsErrors.InvalidParameterValue($"The value '{addressFamily}' for parameter AddressFamily is invalid. Valid values: IPv4, IPv6."),
        };
        CheckName(name);
        var max = maxEntries ?? throw AwsErrors.MissingParameter("MaxEntries");
        CheckMaxEntries(max);
        if (entries.Count > MaxChangesPerRequest)
        {
            throw AwsErrors.InvalidParameterValue($"Request cannot contain more than {MaxChangesPerRequest} entry additions or removals.");
        }
        var normalized = NormalizeEntries(entries, family);
        var duplicate = normalized.GroupBy(e => e.Cidr, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw AwsErrors.InvalidParameterValue($"The CIDR {duplicate.Key} is specified more than once.");
        }
        if (normalized.Count > max)
        {
            throw new AwsException("PrefixListMaxEntriesExceeded", $"The number of entries ({normalized.Count}) exceeds the maximum number of entries for the prefix list ({max}).");
        }
        var list = new ManagedPrefixListResource
        {
            Id = ResourceIds.New(ResourceTypes.ManagedPrefixList.IdPrefix),
            OwnerId = scope.AccountId,
            Name = name!,
            AddressFamily = family,
            MaxEntries = max,
            Version = 1,
            State = "create-complete",
            Versions = [new PrefixListVersionRecord { Version = 1, Entries = Sorted(normalized) }],
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.ManagedPrefixList, list.Id, list, now, ct).ConfigureAwait(false);
        return list;
    }

    /// <summary>
    /// ModifyManagedPrefixList: a new name (same version), entries added and removed (a new version),
    /// or a new MaxEntries (not together with entries). A resize that a referencing security group or
    /// route table cannot hold leaves the list as it was, <c>modify-failed</c>, with the first ten such
    /// resources in its state message, as AWS reports it.
    /// </summary>
    public static async Task<ManagedPrefixListResource> ModifyAsync(
        IStoreTransaction tx, Scope scope, string? id, long? currentVersion, string? name,
        IReadOnlyList<PrefixListEntryRecord> add, IReadOnlyList<string> remove, int? maxEntries, DateTime now, CancellationToken ct)
    {
        var list = await RequireOwnAsync(tx, scope, id, ct).ConfigureAwait(false);
        if (maxEntries is not null && (add.Count > 0 || remove.Count > 0))
        {
            throw AwsErrors.InvalidParameterCombination("You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.");
        }
        if (add.Count + remove.Count > MaxChangesPerRequest)
        {
            throw AwsErrors.InvalidParameterValue($"Request cannot contain more than {MaxChangesPerRequest} entry additions or removals.");
        }
        CheckVersion(list, currentVersion);
        if (name is not null)
        {
            CheckName(name);
            list.Name = name;
        }
        list.StateMessage = null;
        if (add.Count > 0 || remove.Count > 0)
        {
            var added = NormalizeEntries(add, list.AddressFamily);
            var removed = remove.Select(c => NormalizeCidr(c, list.AddressFamily, "RemoveEntry.Cidr")).ToList();
            var entries = list.Entries.ToList();
            var missing = removed.Where(c => !entries.Exists(e => e.Cidr == c)).Distinct(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                throw new AwsException("InvalidPrefixListModification", $"The following CIDRs do not exist: {string.Join(", ", missing)}.");
            }
            var both = added.Select(e => e.Cidr).Intersect(removed, StringComparer.Ordinal).ToList();
            if (both.Count > 0)
            {
                throw new AwsException("InvalidPrefixListModification", $"The following CIDRs are both added and removed: {string.Join(", ", both)}.");
            }
            var existing = added.Where(e => entries.Exists(x => x.Cidr == e.Cidr)).Select(e => e.Cidr)
                .Concat(added.GroupBy(e => e.Cidr, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
                .Distinct(StringComparer.Ordinal).ToList();
            if (existing.Count > 0)
            {
                throw new AwsException("InvalidPrefixListModification", $"The following CIDRs already exist: {string.Join(", ", existing)}.");
            }
            entries.RemoveAll(e => removed.Contains(e.Cidr, StringComparer.Ordinal));
            entries.AddRange(added);
            if (entries.Count > list.MaxEntries)
            {
                throw new AwsException("PrefixListMaxEntriesExceeded", $"The prefix list {list.Id} would have {entries.Count} entries; its maximum is {list.MaxEntries}.");
            }
            AddVersion(list, entries);
            list.State = "modify-complete";
        }
        else if (maxEntries is { } max)
        {
            CheckMaxEntries(max);
            if (max < list.Entries.Count)
            {
                throw AwsErrors.InvalidParameterValue($"The maximum number of entries ({max}) cannot be less than the number of entries in the prefix list ({list.Entries.Count}).");
            }
            var cannot = await ResourcesThatCannotHoldAsync(tx, scope, list, max, ct).ConfigureAwait(false);
            if (cannot.Count > 0)
            {
                list.State = "modify-failed";
                list.StateMessage = $"The following resources do not support the new maximum number of entries ({max}): {string.Join(", ", cannot.Take(10))}";
            }
            else
            {
                list.MaxEntries = max;
                list.State = "modify-complete";
            }
        }
        else if (name is null)
        {
            throw AwsErrors.MissingParameter("PrefixListName, AddEntry, RemoveEntry or MaxEntries");
        }
        else
        {
            list.State = "modify-complete";
        }
        await tx.PutAsync(scope, ResourceTypes.ManagedPrefixList, list.Id, list, now, ct).ConfigureAwait(false);
        return list;
    }

    /// <summary>RestoreManagedPrefixListVersion: the entries of an earlier version become a new version.</summary>
    public static async Task<ManagedPrefixListResource> RestoreAsync(IStoreTransaction tx, Scope scope, string? id, long? previousVersion, long? currentVersion, DateTime now, CancellationToken ct)
    {
        var list = await RequireOwnAsync(tx, scope, id, ct).ConfigureAwait(false);
        var previous = previousVersion ?? throw AwsErrors.MissingParameter("PreviousVersion");
        var current = currentVersion ?? throw AwsErrors.MissingParameter("CurrentVersion");
        CheckVersion(list, current);
        if (previous >= list.Version)
        {
            throw AwsErrors.InvalidParameterValue($"The previous version ({previous}) must be lower than the current version ({list.Version}).");
        }
        var stored = list.Versions.Find(v => v.Version == previous)
            ?? throw AwsErrors.InvalidParameterValue($"The version {previous} of prefix list {list.Id} does not exist.");
        if (stored.Entries.Count > list.MaxEntries)
        {
            throw new AwsException("PrefixListMaxEntriesExceeded", $"Version {previous} has {stored.Entries.Count} entries; the prefix list's maximum is {list.MaxEntries}.");
        }
        AddVersion(list, stored.Entries.ToList());
        list.State = "restore-complete";
        list.StateMessage = null;
        await tx.PutAsync(scope, ResourceTypes.ManagedPrefixList, list.Id, list, now, ct).ConfigureAwait(false);
        return list;
    }

    /// <summary>DeleteManagedPrefixList: refused (<c>DependencyViolation</c>) while a security group rule or a route refers to it.</summary>
    public static async Task<ManagedPrefixListResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? id, CancellationToken ct)
    {
        var list = await RequireOwnAsync(tx, scope, id, ct).ConfigureAwait(false);
        var references = await ReferencesAsync(tx, scope, list.Id, ct).ConfigureAwait(false);
        if (references.Count > 0)
        {
            throw new AwsException("DependencyViolation",
                $"The prefix list {list.Id} cannot be deleted because it is referenced by: {string.Join(", ", references.Take(10).Select(r => r.ResourceId))}.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.ManagedPrefixList, list.Id, ct).ConfigureAwait(false);
        return list;
    }

    /// <summary>The entries of <paramref name="targetVersion"/> (the current version when null).</summary>
    public static IReadOnlyList<PrefixListEntryRecord> EntriesAt(ManagedPrefixListResource list, long? targetVersion)
    {
        if (targetVersion is not { } version)
        {
            return list.Entries;
        }
        return list.Versions.Find(v => v.Version == version)?.Entries
            ?? throw AwsErrors.InvalidParameterValue($"The version {version} of prefix list {list.Id} does not exist.");
    }

    /// <summary>The security groups (rules) and route tables (routes) that refer to a list, in id order.</summary>
    public static async Task<List<PrefixListReference>> ReferencesAsync(IStoreSession session, Scope scope, string id, CancellationToken ct)
    {
        var rules = await SecurityGroups.SecurityGroups.ListRulesAsync(session, scope, ct).ConfigureAwait(false);
        var groups = rules.Where(r => r.PrefixListId == id).Select(r => new PrefixListReference(r.GroupId, r.GroupOwnerId));
        var tables = (await session.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false))
            .Where(t => t.Routes.Exists(r => r.DestinationPrefixListId == id))
            .Select(t => new PrefixListReference(t.Id, t.OwnerId));
        return groups.Concat(tables).Distinct().OrderBy(r => r.ResourceId, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The rule slots <paramref name="rules"/> take in a security group: one per rule, a prefix-list
    /// rule as many as its list's MaxEntries (AWS: "a prefix list with 20 maximum entries referenced
    /// in a security group rule counts as 20 rules").
    /// </summary>
    public static async Task<int> RuleSlotsAsync(IStoreSession session, Scope scope, IEnumerable<SecurityGroupRuleResource> rules, CancellationToken ct, string? resizedList = null, int resizedTo = 0)
    {
        var total = 0;
        var cache = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule.PrefixListId is not { } pl)
            {
                total++;
                continue;
            }
            if (pl == resizedList)
            {
                total += resizedTo;
                continue;
            }
            if (!cache.TryGetValue(pl, out var weight))
            {
                weight = (await FindAsync(session, scope, pl, ct).ConfigureAwait(false))?.References ?? 1;
                cache[pl] = weight;
            }
            total += weight;
        }
        return total;
    }

    /// <summary>The route slots a route table's routes take: one per route, a prefix-list route as many as its list's MaxEntries.</summary>
    public static async Task<int> RouteSlotsAsync(IStoreSession session, Scope scope, IEnumerable<RouteEntry> routes, CancellationToken ct, string? resizedList = null, int resizedTo = 0)
    {
        var total = 0;
        foreach (var route in routes)
        {
            if (route.DestinationPrefixListId is not { } pl || route.GatewayId?.StartsWith("vpce-", StringComparison.Ordinal) == true)
            {
                total++; // gateway-endpoint routes are AWS's own and count once
                continue;
            }
            total += pl == resizedList ? resizedTo : (await FindAsync(session, scope, pl, ct).ConfigureAwait(false))?.References ?? 1;
        }
        return total;
    }

    /// <summary>
    /// A route to a prefix list: the list must exist, and the table's routes, the list counted as
    /// its MaxEntries, must stay within the route quota (<c>RouteLimitExceeded</c>).
    /// </summary>
    public static async Task CheckRouteAsync(IStoreSession session, Scope scope, RouteTableResource table, string prefixListId, CancellationToken ct)
    {
        var list = await RequireAsync(session, scope, prefixListId, ct).ConfigureAwait(false);
        var others = await RouteSlotsAsync(session, scope, table.Routes.Where(r => r.DestinationPrefixListId != list.Id), ct).ConfigureAwait(false);
        if (others + list.References > RoutesPerRouteTable)
        {
            throw new AwsException("RouteLimitExceeded",
                $"The maximum number of routes has been reached: route table {table.Id} would hold {others + list.References} routes (prefix list {list.Id} counts as {list.References}).");
        }
    }

    /// <summary>The IPv4 blocks of the given lists (for the packet filter); unknown lists have none.</summary>
    public static async Task<SortedDictionary<string, IReadOnlyList<string>>> Ipv4BlocksAsync(IStoreSession session, Scope scope, IEnumerable<string> ids, CancellationToken ct)
    {
        var blocks = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var list = await FindAsync(session, scope, id, ct).ConfigureAwait(false);
            blocks[id] = list is null || list.AddressFamily != "IPv4"
                ? []
                : list.Entries.Select(e => e.Cidr).Order(StringComparer.Ordinal).ToList();
        }
        return blocks;
    }

    private static async Task<List<string>> ResourcesThatCannotHoldAsync(IStoreSession session, Scope scope, ManagedPrefixListResource list, int max, CancellationToken ct)
    {
        var cannot = new List<string>();
        var quota = await Quotas.AccountQuotas.GetValueAsync(session, scope, Quotas.QuotaCatalog.RulesPerSecurityGroup, ct).ConfigureAwait(false);
        var rules = await SecurityGroups.SecurityGroups.ListRulesAsync(session, scope, ct).ConfigureAwait(false);
        foreach (var group in rules.Where(r => r.PrefixListId == list.Id).Select(r => r.GroupId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            foreach (var egress in new[] { false, true })
            {
                var slots = await RuleSlotsAsync(session, scope, rules.Where(r => r.GroupId == group && r.IsEgress == egress), ct, list.Id, max).ConfigureAwait(false);
                if (slots > quota)
                {
                    cannot.Add(group);
                    break;
                }
            }
        }
        foreach (var table in (await session.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false))
            .Where(t => t.Routes.Exists(r => r.DestinationPrefixListId == list.Id)).OrderBy(t => t.Id, StringComparer.Ordinal))
        {
            if (await RouteSlotsAsync(session, scope, table.Routes, ct, list.Id, max).ConfigureAwait(false) > RoutesPerRouteTable)
            {
                cannot.Add(table.Id);
            }
        }
        return cannot;
    }

    private static async Task<ManagedPrefixListResource> RequireOwnAsync(IStoreSession session, Scope scope, string? id, CancellationToken ct)
    {
        var list = await RequireAsync(session, scope, id, ct).ConfigureAwait(false);
        if (list.AwsManaged)
        {
            throw new AwsException("InvalidPrefixListModification", $"The prefix list {list.Id} is managed by AWS and cannot be changed.");
        }
        return list;
    }

    private static void CheckVersion(ManagedPrefixListResource list, long? currentVersion)
    {
        if (currentVersion is { } version && version != list.Version)
        {
            throw new AwsException("PrefixListVersionMismatch", "The prefix list has the incorrect version number.");
        }
    }

    private static void CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AwsErrors.MissingParameter("PrefixListName");
        }
        if (name.Length > 255)
        {
            throw AwsErrors.InvalidParameterValue("The prefix list name cannot be longer than 255 characters.");
        }
        if (name.StartsWith("com.amazonaws", StringComparison.OrdinalIgnoreCase))
        {
            throw AwsErrors.InvalidParameterValue($"The prefix list name '{name}' is invalid. The name cannot start with 'com.amazonaws'.");
        }
    }

    private static void CheckMaxEntries(int max)
    {
        if (max < 1 || max > MaxEntriesLimit)
        {
            throw AwsErrors.InvalidParameterValue($"The value {max} for parameter MaxEntries is invalid. It must be between 1 and {MaxEntriesLimit}.");
        }
    }

    private static List<PrefixListEntryRecord> NormalizeEntries(IReadOnlyList<PrefixListEntryRecord> entries, string family) =>
        entries.Select(e =>
        {
            if (e.Description is { Length: > 255 })
            {
                throw AwsErrors.InvalidParameterValue("The description of a prefix list entry cannot be longer than 255 characters.");
            }
            return new PrefixListEntryRecord { Cidr = NormalizeCidr(e.Cidr, family, "Entry.Cidr"), Description = e.Description };
        }).ToList();

    private static string NormalizeCidr(string? cidr, string family, string parameter)
    {
        if (string.IsNullOrEmpty(cidr))
        {
            throw AwsErrors.MissingParameter(parameter);
        }
        var isV6 = cidr.Contains(':', StringComparison.Ordinal);
        if (isV6 != (family == "IPv6"))
        {
            throw AwsErrors.InvalidParameterValue($"The CIDR {cidr} does not match the address family of the prefix list ({family}).");
        }
        return isV6 ? RuleValidation.CanonicalIpv6Cidr(cidr, parameter) : RuleValidation.CanonicalIpv4Cidr(cidr, parameter);
    }

    private static List<PrefixListEntryRecord> Sorted(IEnumerable<PrefixListEntryRecord> entries) =>
        entries.OrderBy(e => e.Cidr, StringComparer.Ordinal).ToList();

    private static void AddVersion(ManagedPrefixListResource list, List<PrefixListEntryRecord> entries)
    {
        list.Version++;
        list.Versions.Add(new PrefixListVersionRecord { Version = list.Version, Entries = Sorted(entries) });
        if (list.Versions.Count > MaxVersions)
        {
            list.Versions.RemoveAt(0);
        }
    }
}
