using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Fleets;
using Stratus.Domain.Spot;

namespace Stratus.Domain.AutoScaling;

/// <summary>One instance a group is to launch: where, which type, its weight and whether it is a Spot Instance.</summary>
public sealed record MixedLaunch(string? SubnetId, string? InstanceType, int? Weight, bool Spot);

/// <summary>
/// How a group with a mixed instances policy splits its capacity between On-Demand and Spot and
/// which instance types it launches, as Amazon EC2 Auto Scaling does:
/// <list type="bullet">
/// <item>On-Demand capacity is <c>OnDemandBaseCapacity</c> plus <c>OnDemandPercentageAboveBaseCapacity</c>
/// percent of the capacity above it (rounded up, in favour of On-Demand); the rest is Spot.</item>
/// <item>On-Demand types: <c>prioritized</c> takes the overrides in their order (the first that can
/// launch); <c>lowest-price</c> the lowest On-Demand price per unit of weight.</item>
/// <item>Spot types, per Availability Zone: <c>lowest-price</c> spreads over the
/// <c>SpotInstancePools</c> (default 2) cheapest pools; <c>capacity-optimized</c> takes the pool with
/// the most room (the placement-score model's <c>4096 / vCPUs</c> less what the group runs there);
/// <c>capacity-optimized-prioritized</c> the first override among those with room;
/// <c>price-capacity-optimized</c> (default) the cheapest among the pools with at least half the best room.</item>
/// <item>Spot pools whose price is above <c>SpotMaxPrice</c> (default: the On-Demand price) are not used.</item>
/// </list>
/// Instance types come from the overrides, or from their <c>InstanceRequirements</c> (every
/// matching type of the catalog, lowest price first). Deterministic for the same prices.
/// </summary>
public static class MixedInstancesAllocation
{
    /// <summary>The On-Demand capacity of <paramref name="capacity"/> units under the policy's distribution.</summary>
    public static int OnDemandTarget(MixedInstances policy, int capacity)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var baseCapacity = Math.Min(capacity, policy.OnDemandBaseCapacity);
        var above = capacity - baseCapacity;
        return baseCapacity + (int)Math.Ceiling(above * policy.OnDemandPercentageAboveBaseCapacity / 100.0);
    }

    /// <summary>The instance types of the policy with their weights, in the order the policy gives them (requirements: by name).</summary>
    public static List<(string InstanceType, int Weight)> Types(MixedInstances policy, string region)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var result = new List<(string, int)>();
        foreach (var o in policy.Overrides)
        {
            if (o.InstanceType is { } type)
            {
                result.Add((type, o.WeightedCapacity ?? 1));
            }
            else if (o.Requirements is { } requirements)
            {
                foreach (var t in InstanceRequirementsMatcher.Match(requirements, region))
                {
                    if (result.All(r => r.Item1 != t.Name))
                    {
                        result.Add((t.Name, 1));
                    }
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The launches that bring the group from its current instances to <paramref name="desired"/>
    /// units: subnets from <paramref name="subnets"/> (one per instance, already balanced; empty
    /// means no subnet), types and purchase options by the policy. A group without a mixed
    /// instances policy launches its configuration's type on demand.
    /// </summary>
    public static List<MixedLaunch> Plan(AutoScalingGroup group, int desired, Func<string?, string> zoneOf, Func<int, List<string>> subnets, string region, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(zoneOf);
        ArgumentNullException.ThrowIfNull(subnets);
        var live = group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) && i.ReplacementCause is null).ToList();
        var current = live.Sum(i => i.WeightedCapacity ?? 1);
        var need = desired - current;
        var launches = new List<MixedLaunch>();
        if (need <= 0)
        {
            return launches;
        }
        if (group.MixedInstancesPolicy is not { } policy)
        {
            var places = subnets(need);
            for (var n = 0; n < need; n++)
            {
                launches.Add(new MixedLaunch(places.Count > 0 ? places[n] : null, null, null, false));
            }
            return launches;
        }
        var types = Types(policy, region);
        if (types.Count == 0)
        {
            var places = subnets(need);
            for (var n = 0; n < need; n++)
            {
                launches.Add(new MixedLaunch(places.Count > 0 ? places[n] : null, null, null, false));
            }
            return launches;
        }
        var onDemandNow = live.Where(i => i.Market != "spot").Sum(i => i.WeightedCapacity ?? 1);
        var onDemandNeed = Math.Clamp(OnDemandTarget(policy, desired) - onDemandNow, 0, need);
        var spotNeed = need - onDemandNeed;
        // Units are filled one instance at a time; the subnet list is asked for generously (one per unit) and taken in order.
        var places2 = subnets(need);
        var place = 0;
        string? NextSubnet() => places2.Count == 0 ? null : places2[Math.Min(place++, places2.Count - 1)];
        var spotCounts = live.Where(i => i.Market == "spot").GroupBy(i => (i.AvailabilityZone, i.InstanceType)).ToDictionary(g => g.Key, g => g.Count());
        while (onDemandNeed > 0)
        {
            var (type, weight) = policy.OnDemandAllocationStrategy == "lowest-price"
                ? types.OrderBy(t => OnDemandPrice(t.InstanceType, region) / t.Weight).ThenBy(t => types.IndexOf(t)).First()
                : types[0];
            launches.Add(new MixedLaunch(NextSubnet(), type, WeightOf(policy, weight), false));
            onDemandNeed -= weight;
        }
        while (spotNeed > 0)
        {
            var subnet = NextSubnet();
            var zone = zoneOf(subnet);
            var pick = ChooseSpot(policy, types, region, zone, now, spotCounts);
            if (pick is null)
            {
                // No Spot pool is under the maximum price: the rest stays unlaunched until prices fall.
                break;
            }
            var key = (zone, pick.Value.InstanceType);
            spotCounts[key] = spotCounts.GetValueOrDefault(key) + 1;
            launches.Add(new MixedLaunch(subnet, pick.Value.InstanceType, WeightOf(policy, pick.Value.Weight), true));
            spotNeed -= pick.Value.Weight;
        }
        return launches;
    }

    private static int? WeightOf(MixedInstances policy, int weight) => policy.Overrides.Any(o => o.WeightedCapacity is not null) ? weight : null;

    /// <summary>The Spot pool (type) of <paramref name="zone"/> for the next instance, or null when none is under the maximum price.</summary>
    public static (string InstanceType, int Weight)? ChooseSpot(MixedInstances policy, IReadOnlyList<(string InstanceType, int Weight)> types, string region, string zone, DateTime now,
        IReadOnlyDictionary<(string Zone, string Type), int> running)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(running);
        var max = SpotPriceModel.Parse(policy.SpotMaxPrice);
        var pools = types
            .Select((t, index) => (t.InstanceType, t.Weight, Index: index, Info: InstanceTypeCatalog.Find(t.InstanceType)))
            .Where(p => p.Info is not null)
            .Select(p => (p.InstanceType, p.Weight, p.Index,
                Price: SpotPriceModel.PriceAt(p.Info!, region, zone, SpotPriceModel.LinuxUnix, now),
                Limit: max ?? SpotPriceModel.OnDemandPrice(p.Info!, region),
                Room: Math.Max(1, 4096 / Math.Max(1, p.Info!.DefaultVCpus)) - running.GetValueOrDefault((zone, p.InstanceType))))
            .Where(p => p.Price <= p.Limit)
            .ToList();
        if (pools.Count == 0)
        {
            return null;
        }
        decimal PerUnit((string InstanceType, int Weight, int Index, decimal Price, decimal Limit, int Room) p) => p.Price / Math.Max(1, p.Weight);
        var pick = policy.SpotAllocationStrategy switch
        {
            "lowest-price" => pools.OrderBy(PerUnit).ThenBy(p => p.Index).Take(Math.Max(1, policy.SpotInstancePools ?? 2))
                .OrderBy(p => running.GetValueOrDefault((zone, p.InstanceType))).ThenBy(PerUnit).ThenBy(p => p.Index).First(),
            "capacity-optimized" => pools.OrderByDescending(p => p.Room).ThenBy(PerUnit).ThenBy(p => p.Index).First(),
            "capacity-optimized-prioritized" => pools.Where(p => p.Room > 0).DefaultIfEmpty(pools[0]).OrderBy(p => p.Index).First(),
            _ => pools.Where(p => 2 * p.Room >= pools.Max(q => q.Room)).OrderBy(PerUnit).ThenBy(p => p.Index).First(),
        };
        return (pick.InstanceType, pick.Weight);
    }

    private static decimal OnDemandPrice(string type, string region) =>
        InstanceTypeCatalog.Find(type) is { } info ? SpotPriceModel.OnDemandPrice(info, region) : decimal.MaxValue;
}
