using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Fleets;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Domain.Store;

namespace Stratus.Server.Ec2.Fleets;

/// <summary>
/// Launches one instance of a fleet's pool through the instance domain, as RunInstances does
/// (<see cref="LaunchPlanner"/>, then <see cref="InstanceLauncher"/>): a Spot Instance comes with
/// a fulfilled spot request (as a RunInstances spot launch has), so the Spot controller follows
/// and interrupts it like any other; the instance carries the fleet's id as the tag
/// <c>aws:ec2spot:fleet-request-id</c> (Spot Fleet) or <c>aws:ec2:fleet-id</c> (EC2 Fleet).
/// </summary>
internal static class FleetLauncher
{
    /// <summary>Launch errors that mean "not now" (quota, capacity, addresses) rather than "never in this pool".</summary>
    public static readonly IReadOnlySet<string> CapacityErrors = new HashSet<string>(StringComparer.Ordinal)
    {
        "InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded", "VcpuLimitExceeded", "InsufficientFreeAddressesInSubnet",
        "InsufficientAddressCapacity", "AddressLimitExceeded", "InstanceLimitExceeded",
    };

    /// <summary>The tag key a fleet's instances carry with the fleet's id.</summary>
    public static string FleetTagKey(FleetKind kind) => kind == FleetKind.SpotFleet ? "aws:ec2spot:fleet-request-id" : "aws:ec2:fleet-id";

    /// <summary>A launch of one instance of a pool, checked and planned, not yet made.</summary>
    public sealed record PlannedLaunch(FleetPool Pool, string Lifecycle, LaunchPlan Plan, Ec2Service.SpotMarketChoice? Spot);

    /// <summary>
    /// Plans one instance of <paramref name="pool"/> as RunInstances would (nothing is written, so
    /// an error leaves the transaction as it was); a Spot price above the pool's maximum price is
    /// <c>SpotMaxPriceTooLow</c>.
    /// </summary>
    public static async Task<PlannedLaunch> PlanAsync(
        IStoreSession session, Scope scope, FleetResource fleet, FleetPool pool, string lifecycle, string runtime, IReadOnlyList<Tag> extraTags, DateTime now, CancellationToken ct)
    {
        var spot = lifecycle == FleetLifecycles.Spot;
        var key = FleetTagKey(fleet.Kind);
        var extraKeys = extraTags.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        var spec = pool.Launch with
        {
            MinCount = 1,
            MaxCount = 1,
            Spot = spot,
            SpotInstanceRequestId = null,
            ClientToken = null,
            InstanceTags = [.. pool.Launch.InstanceTags.Where(t => t.Key != key && !extraKeys.Contains(t.Key)), .. extraTags, new Tag(key, fleet.Id)],
        };
        var plan = await LaunchPlanner.PlanAsync(session, scope, spec, runtime, now, ct).ConfigureAwait(false);
        Ec2Service.SpotMarketChoice? choice = null;
        if (spot)
        {
            var price = SpotPriceModel.PriceAt(plan.Type, scope.Region, plan.Subnet.Subnet.AvailabilityZone, SpotPriceModel.LinuxUnix, now);
            var max = SpotPriceModel.Parse(pool.MaxPrice) ?? SpotPriceModel.Parse(fleet.SpotPrice);
            if (max is { } limit && price > limit)
            {
                throw new AwsException("SpotMaxPriceTooLow",
                    $"Your Spot request price of {SpotPriceModel.Format(limit)} is lower than the minimum required Spot request fulfillment price of {SpotPriceModel.Format(price)}.");
            }
            var behaviour = fleet.InstanceInterruptionBehavior;
            choice = new Ec2Service.SpotMarketChoice(behaviour == SpotInterruptionBehaviors.Terminate ? SpotRequestTypes.OneTime : SpotRequestTypes.Persistent,
                behaviour, max, fleet.ValidUntil);
        }
        return new PlannedLaunch(pool, lifecycle, plan, choice);
    }

    /// <summary>Makes a planned launch in <paramref name="tx"/> (with its spot request) and returns the fleet member for it (not yet counted in).</summary>
    public static async Task<(FleetMember Member, InstanceResource Instance)> LaunchAsync(IStoreTransaction tx, Scope scope, PlannedLaunch planned, DateTime now, CancellationToken ct)
    {
        var result = await InstanceLauncher.LaunchAsync(tx, scope, planned.Plan, now, ct).ConfigureAwait(false);
        var instance = result.Instances[0].Instance;
        if (planned.Spot is { } choice)
        {
            await Ec2Service.RecordSpotLaunchAsync(tx, scope, choice, planned.Plan, result, [], now, ct).ConfigureAwait(false);
        }
        var member = new FleetMember
        {
            InstanceId = instance.Id,
            PoolIndex = planned.Pool.Index,
            InstanceType = instance.InstanceType,
            Lifecycle = planned.Lifecycle,
            SpotInstanceRequestId = instance.SpotInstanceRequestId,
            Weight = planned.Pool.WeightedCapacity,
            LaunchTime = now,
        };
        return (member, instance);
    }

    /// <summary>The pools' quotes at <paramref name="now"/> (pools whose instance type is unknown are left out).</summary>
    public static List<PoolQuote> Quote(FleetResource fleet, string region, DateTime now, IReadOnlySet<int>? excluded = null) =>
        fleet.Pools
            .Where(p => excluded is null || !excluded.Contains(p.Index))
            .Select(p => InstanceTypeCatalog.Find(p.InstanceType) is { } type ? PoolQuote.For(p, type, region, fleet.SpotPrice, now) : null)
            .OfType<PoolQuote>()
            .ToList();

    /// <summary>The capacity each pool runs now, for one purchase option.</summary>
    public static Dictionary<int, double> Current(FleetResource fleet, string lifecycle) =>
        fleet.Instances.Where(i => i.Lifecycle == lifecycle).GroupBy(i => i.PoolIndex).ToDictionary(g => g.Key, g => g.Sum(i => i.Weight));

    /// <summary>What the fleet's running instances of one purchase option cost per hour now.</summary>
    public static decimal Spend(FleetResource fleet, IReadOnlyList<PoolQuote> quotes, string lifecycle)
    {
        var byPool = quotes.ToDictionary(q => q.Pool.Index);
        return fleet.Instances.Where(i => i.Lifecycle == lifecycle)
            .Sum(i => byPool.TryGetValue(i.PoolIndex, out var q) ? (lifecycle == FleetLifecycles.Spot ? q.SpotPrice : q.OnDemandPrice) : 0m);
    }

    /// <summary>Chooses the pools for <paramref name="need"/> units of one purchase option, under the fleet's strategy and budget.</summary>
    public static IReadOnlyList<int> Choose(FleetResource fleet, IReadOnlyList<PoolQuote> quotes, string lifecycle, double need)
    {
        var spot = lifecycle == FleetLifecycles.Spot;
        var limit = SpotPriceModel.Parse(spot ? fleet.SpotMaxTotalPrice : fleet.OnDemandMaxTotalPrice);
        decimal? budget = limit is { } l ? Math.Max(0, l - Spend(fleet, quotes, lifecycle)) : null;
        return FleetAllocation.Choose(spot ? fleet.SpotAllocationStrategy : fleet.OnDemandAllocationStrategy, quotes, spot, need, Current(fleet, lifecycle),
            spot ? fleet.InstancePoolsToUseCount : null, budget,
            spot ? fleet.SpotSingleInstanceType : fleet.OnDemandSingleInstanceType,
            spot ? fleet.SpotSingleAvailabilityZone : fleet.OnDemandSingleAvailabilityZone);
    }
}
