using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Placement;

/// <summary>A placement group of the account's region: a strategy for placing its instances on hardware.</summary>
public sealed class PlacementGroupResource : ITaggable
{
    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary>cluster, spread or partition.</summary>
    public required string Strategy { get; init; }

    /// <summary>host or rack for spread groups, null otherwise.</summary>
    public string? SpreadLevel { get; init; }

    /// <summary>The number of partitions of a partition group, null otherwise.</summary>
    public int? PartitionCount { get; init; }

    public string State { get; init; } = PlacementGroups.Available;
    public required DateTime CreateTime { get; init; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>Where one instance of a launch goes in its placement group.</summary>
public sealed record PlacementDecision(string GroupName, string GroupId, int MaxInstances, IReadOnlyList<int?> PartitionNumbers)
{
    /// <summary>The partition of the launch's instance at <paramref name="index"/>, or null.</summary>
    public int? PartitionOf(int index) => index < PartitionNumbers.Count ? PartitionNumbers[index] : null;
}

/// <summary>
/// Placement group rules: names unique per account and region (up to 255 ASCII characters), the
/// three strategies with their parameters, and what a launch into a group may do — at most seven
/// instances per Availability Zone in a rack-level spread group, partition numbers within the
/// group's partitions (assigned to the least used partition when not asked for), and one
/// Availability Zone per cluster group.
/// </summary>
public static class PlacementGroups
{
    public const string Available = "available";
    public const string Cluster = "cluster";
    public const string Spread = "spread";
    public const string Partition = "partition";
    public const int MaxNameLength = 255;
    public const int MaxPartitions = 7;
    public const int DefaultPartitions = 2;
    public const int MaxSpreadInstancesPerZone = 7;

    /// <summary>Checks a CreatePlacementGroup request and builds the group it describes.</summary>
    public static PlacementGroupResource Plan(string? name, string? strategy, string? spreadLevel, int? partitionCount, DateTime now, List<Tag> tags)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AwsErrors.MissingParameter("groupName");
        }
        if (name.Any(c => c is < ' ' or > '~'))
        {
            throw AwsErrors.InvalidParameterValue("Character sets beyond ASCII are not supported.");
        }
        if (name.Length > MaxNameLength)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({name}) for parameter groupName is invalid. Length exceeds maximum of {MaxNameLength}.");
        }
        if (string.IsNullOrEmpty(strategy))
        {
            throw AwsErrors.MissingParameter("strategy");
        }
        if (strategy is not (Cluster or Spread or Partition))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({strategy}) for parameter strategy is invalid. Valid values are: cluster, spread, partition.");
        }
        if (spreadLevel is not null)
        {
            if (strategy != Spread)
            {
                throw AwsErrors.InvalidParameterCombination("The parameter SpreadLevel is only valid for placement groups with the spread strategy.");
            }
            if (spreadLevel is not ("host" or "rack"))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({spreadLevel}) for parameter spreadLevel is invalid. Valid values are: host, rack.");
            }
        }
        if (partitionCount is not null)
        {
            if (strategy != Partition)
            {
                throw AwsErrors.InvalidParameterCombination("The parameter PartitionCount is only valid for placement groups with the partition strategy.");
            }
            if (partitionCount is < 1 or > MaxPartitions)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({partitionCount}) for parameter partitionCount is invalid. The number of partitions must be between 1 and {MaxPartitions}.");
            }
        }
        return new PlacementGroupResource
        {
            Id = ResourceIds.New(ResourceTypes.PlacementGroup.IdPrefix),
            Name = name,
            Strategy = strategy,
            SpreadLevel = strategy == Spread ? spreadLevel ?? "rack" : null,
            PartitionCount = strategy == Partition ? partitionCount ?? DefaultPartitions : null,
            CreateTime = now,
            Tags = tags,
        };
    }

    public static AwsException Unknown(string nameOrId) => ResourceTypes.PlacementGroup.NotFound(nameOrId);

    public static string Arn(string region, string accountId, string name) => $"arn:aws:ec2:{region}:{accountId}:placement-group/{name}";

    public static async Task<PlacementGroupResource?> FindByNameAsync(IStoreSession session, Scope scope, string name, CancellationToken ct = default) =>
        (await session.ListAsync<PlacementGroupResource>(scope, ResourceTypes.PlacementGroup, ct).ConfigureAwait(false)).Find(g => g.Name == name);

    /// <summary>Stores a new group, refusing a name already taken in the scope.</summary>
    public static async Task AddAsync(IStoreTransaction tx, Scope scope, PlacementGroupResource group, CancellationToken ct = default)
    {
        if (await FindByNameAsync(tx, scope, group.Name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("InvalidPlacementGroup.Duplicate", $"The Placement Group '{group.Name}' already exists.");
        }
        await tx.PutAsync(scope, ResourceTypes.PlacementGroup, group.Id, group, group.CreateTime, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the group named <paramref name="name"/>; refused while instances that are not terminated are in it.</summary>
    public static async Task<PlacementGroupResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? name, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AwsErrors.MissingParameter("groupName");
        }
        var group = await FindByNameAsync(tx, scope, name, ct).ConfigureAwait(false) ?? throw Unknown(name);
        var members = (await tx.ListAsync<InstanceResource>(scope, ResourceTypes.Instance, ct).ConfigureAwait(false))
            .Where(i => i.PlacementGroupName == group.Name && i.State != InstanceStates.Terminated);
        if (members.Any())
        {
            throw new AwsException("InvalidPlacementGroup.InUse", $"The placement group '{group.Name}' is in use and may not be deleted.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.PlacementGroup, group.Id, ct).ConfigureAwait(false);
        return group;
    }

    /// <summary>
    /// The placement of <paramref name="minCount"/> to <paramref name="maxCount"/> instances launched into the group named or identified
    /// by the request's Placement, in <paramref name="zone"/>; null when the launch asks for no group.
    /// Refuses an unknown group, a partition number the group does not have, an eighth instance in a
    /// rack-level spread group's zone and a second zone for a cluster group.
    /// </summary>
    public static async Task<PlacementDecision?> PlaceAsync(IStoreSession session, Scope scope, string? groupName, string? groupId, int? partitionNumber,
        string zone, int minCount, int maxCount, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(groupName) && string.IsNullOrEmpty(groupId))
        {
            if (partitionNumber is not null)
            {
                throw AwsErrors.InvalidParameterCombination("A partition number can only be specified with a placement group of the partition strategy.");
            }
            return null;
        }
        var groups = await session.ListAsync<PlacementGroupResource>(scope, ResourceTypes.PlacementGroup, ct).ConfigureAwait(false);
        PlacementGroupResource group;
        if (!string.IsNullOrEmpty(groupId))
        {
            ResourceTypes.PlacementGroup.CheckId(groupId);
            group = groups.Find(g => g.Id == groupId) ?? throw Unknown(groupId);
            if (!string.IsNullOrEmpty(groupName) && groupName != group.Name)
            {
                throw AwsErrors.InvalidParameterCombination($"The placement group '{groupId}' is not named '{groupName}'.");
            }
        }
        else
        {
            group = groups.Find(g => g.Name == groupName) ?? throw Unknown(groupName!);
        }
        var members = (await session.ListAsync<InstanceResource>(scope, ResourceTypes.Instance, ct).ConfigureAwait(false))
            .Where(i => i.PlacementGroupName == group.Name && i.State is not (InstanceStates.Terminated or InstanceStates.ShuttingDown))
            .ToList();
        if (partitionNumber is not null && group.Strategy != Partition)
        {
            throw AwsErrors.InvalidParameterCombination($"A partition number can only be specified with a placement group of the partition strategy; '{group.Name}' uses the {group.Strategy} strategy.");
        }
        var partitions = new List<int?>(maxCount);
        var maxInstances = maxCount;
        switch (group.Strategy)
        {
            case Spread when group.SpreadLevel != "host":
                var inZone = members.Count(i => i.AvailabilityZone == zone);
                if (inZone + minCount > MaxSpreadInstancesPerZone)
                {
                    throw new AwsException("InsufficientInstanceCapacity",
                        $"We currently do not have sufficient capacity to launch all of the additional requested instances into Spread placement group '{group.Name}' in Availability Zone '{zone}'. A spread placement group can have at most {MaxSpreadInstancesPerZone} running instances per Availability Zone; it has {inZone}.");
                }
                maxInstances = Math.Min(maxCount, MaxSpreadInstancesPerZone - inZone);
                break;
            case Cluster:
                if (members.Find(i => i.AvailabilityZone != zone) is { } other)
                {
                    throw AwsErrors.InvalidParameterValue(
                        $"The cluster placement group '{group.Name}' has instances in Availability Zone '{other.AvailabilityZone}'; instances of a cluster placement group must be launched in a single Availability Zone.");
                }
                break;
            case Partition:
                var total = group.PartitionCount ?? DefaultPartitions;
                if (partitionNumber is not null)
                {
                    if (partitionNumber < 1 || partitionNumber > total)
                    {
                        throw AwsErrors.InvalidParameterValue($"Value ({partitionNumber}) for parameter partitionNumber is invalid. The placement group '{group.Name}' has partitions 1 to {total}.");
                    }
                    partitions.AddRange(Enumerable.Repeat<int?>(partitionNumber, maxCount));
                    break;
                }
                var used = Enumerable.Range(1, total).ToDictionary(p => p, p => members.Count(i => i.AvailabilityZone == zone && i.PartitionNumber == p));
                for (var n = 0; n < maxCount; n++)
                {
                    var least = used.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;
                    used[least]++;
                    partitions.Add(least);
                }
                break;
            default:
                break;
        }
        return new PlacementDecision(group.Name, group.Id, maxInstances, partitions);
    }
}
