using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Spot;

namespace Stratus.Domain.Fleets;

/// <summary>
/// A pool with what the allocation needs to know about it now: its Spot price, its on-demand
/// price, the maximum Spot price the fleet pays there, and its room (how many instances of the
/// type the zone can hold, from the placement-score model: <c>4096 / vCPUs</c>).
/// </summary>
public sealed record PoolQuote(FleetPool Pool, decimal SpotPrice, decimal OnDemandPrice, decimal MaxSpotPrice, int Room)
{
    /// <summary>Quotes a pool from the price model at <paramref name="now"/>.</summary>
    public static PoolQuote For(FleetPool pool, InstanceTypeInfo type, string region, string? fleetMaxPrice, DateTime now)
    {
        var onDemand = SpotPriceModel.OnDemandPrice(type, region);
        var max = SpotPriceModel.Parse(pool.MaxPrice) ?? SpotPriceModel.Parse(fleetMaxPrice) ?? onDemand;
        return new PoolQuote(pool, SpotPriceModel.PriceAt(type, region, pool.AvailabilityZone, SpotPriceModel.LinuxUnix, now), onDemand, max,
            Math.Max(1, 4096 / Math.Max(1, type.DefaultVCpus)));
    }

    public double Weight => Pool.WeightedCapacity;
}

/// <summary>
/// How a fleet spreads the capacity it still needs over its pools. Deterministic: the same
/// pools, prices and current instances give the same choice.
/// <list type="bullet">
/// <item><c>lowestPrice</c>: the <c>InstancePoolsToUseCount</c> (default 1) pools with the lowest price per unit of capacity, filled evenly.</item>
/// <item><c>diversified</c>: every eligible pool; each instance goes to the pool with the least capacity so far (then the cheaper one).</item>
/// <item><c>capacityOptimized</c>: the pool with the most room left (the placement-score room less what the fleet already runs there).</item>
/// <item><c>capacityOptimizedPrioritized</c>: the pool with the best <c>Priority</c> (lowest number), then the most room.</item>
/// <item><c>priceCapacityOptimized</c>: among the pools whose room is at least half the best room, the lowest price per unit.</item>
/// <item>on-demand <c>lowestPrice</c>: the lowest on-demand price per unit; <c>prioritized</c>: the best <c>Priority</c>, then the order given.</item>
/// </list>
/// Spot pools whose Spot price is above their maximum price are not used. A budget
/// (<c>SpotMaxTotalPrice</c>/<c>OnDemandMaxTotalPrice</c>) stops the allocation before the hourly
/// price of the new instances would exceed it.
/// </summary>
public static class FleetAllocation
{
    /// <summary>At most this many instances per evaluation.</summary>
    public const int MaxInstancesPerPass = 1000;

    /// <summary>
    /// The pools (by <see cref="FleetPool.Index"/>) to launch one instance each into, in order,
    /// so that at least <paramref name="need"/> units more are running.
    /// </summary>
    public static IReadOnlyList<int> Choose(
        FleetAllocationStrategy strategy,
        IReadOnlyList<PoolQuote> quotes,
        bool spot,
        double need,
        IReadOnlyDictionary<int, double> current,
        int? poolsToUse = null,
        decimal? budget = null,
        bool singleInstanceType = false,
        bool singleAvailabilityZone = false)
    {
        var picks = new List<int>();
        if (need <= 0)
        {
            return picks;
        }
        var eligible = quotes.Where(q => q.Weight > 0 && (!spot || q.SpotPrice <= q.MaxSpotPrice)).ToList();
        if (eligible.Count == 0)
        {
            return picks;
        }
        decimal Price(PoolQuote q) => spot ? q.SpotPrice : q.OnDemandPrice;
        decimal PerUnit(PoolQuote q) => Price(q) / (decimal)q.Weight;
        var used = quotes.ToDictionary(q => q.Pool.Index, q => current.GetValueOrDefault(q.Pool.Index));
        var counts = quotes.ToDictionary(q => q.Pool.Index, q => (int)Math.Round(used[q.Pool.Index] / Math.Max(q.Weight, 1e-9)));
        if (strategy == FleetAllocationStrategy.LowestPrice && spot)
        {
            eligible = [.. eligible.OrderBy(PerUnit).ThenBy(q => q.Pool.Index).Take(Math.Max(1, poolsToUse ?? 1))];
        }
        var spent = 0m;
        var remaining = need;
        while (remaining > 1e-9 && picks.Count < MaxInstancesPerPass && eligible.Count > 0)
        {
            var pick = strategy switch
            {
                FleetAllocationStrategy.Diversified or FleetAllocationStrategy.LowestPrice when spot =>
                    eligible.OrderBy(q => used[q.Pool.Index]).ThenBy(PerUnit).ThenBy(q => q.Pool.Index).First(),
                FleetAllocationStrategy.CapacityOptimized =>
                    eligible.OrderByDescending(q => q.Room - counts[q.Pool.Index]).ThenBy(PerUnit).ThenBy(q => q.Pool.Index).First(),
                FleetAllocationStrategy.CapacityOptimizedPrioritized or FleetAllocationStrategy.Prioritized =>
                    eligible.OrderBy(q => q.Pool.Priority ?? double.MaxValue).ThenByDescending(q => strategy == FleetAllocationStrategy.Prioritized ? 0 : q.Room - counts[q.Pool.Index])
                        .ThenBy(q => q.Pool.Index).First(),
                FleetAllocationStrategy.PriceCapacityOptimized => PriceCapacity(eligible, counts, PerUnit),
                _ => eligible.OrderBy(PerUnit).ThenBy(q => q.Pool.Index).First(),
            };
            if (budget is { } limit && spent + Price(pick) > limit)
            {
                break;
            }
            if (picks.Count == 0 && (singleInstanceType || singleAvailabilityZone))
            {
                eligible = [.. eligible.Where(q => (!singleInstanceType || q.Pool.InstanceType == pick.Pool.InstanceType)
                    && (!singleAvailabilityZone || q.Pool.AvailabilityZone == pick.Pool.AvailabilityZone))];
            }
            picks.Add(pick.Pool.Index);
            spent += Price(pick);
            used[pick.Pool.Index] += pick.Weight;
            counts[pick.Pool.Index]++;
            remaining -= pick.Weight;
        }
        return picks;
    }

    private static PoolQuote PriceCapacity(List<PoolQuote> eligible, Dictionary<int, int> counts, Func<PoolQuote, decimal> perUnit)
    {
        var best = eligible.Max(q => q.Room - counts[q.Pool.Index]);
        return eligible.Where(q => 2 * (q.Room - counts[q.Pool.Index]) >= best)
            .OrderBy(perUnit).ThenBy(q => q.Pool.Index).First();
    }

    /// <summary>Spot Fleet's and EC2 Fleet's spellings of the allocation strategies.</summary>
    public static FleetAllocationStrategy? Parse(string? name) => name switch
    {
        "lowestPrice" or "lowest-price" => FleetAllocationStrategy.LowestPrice,
        "diversified" => FleetAllocationStrategy.Diversified,
        "capacityOptimized" or "capacity-optimized" => FleetAllocationStrategy.CapacityOptimized,
        "capacityOptimizedPrioritized" or "capacity-optimized-prioritized" => FleetAllocationStrategy.CapacityOptimizedPrioritized,
        "priceCapacityOptimized" or "price-capacity-optimized" => FleetAllocationStrategy.PriceCapacityOptimized,
        "prioritized" => FleetAllocationStrategy.Prioritized,
        _ => null,
    };
}
