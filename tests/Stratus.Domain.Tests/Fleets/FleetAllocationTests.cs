using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Fleets;
using Stratus.Domain.Instances.Launch;
using FleetRules = Stratus.Domain.Fleets.Fleets;

namespace Stratus.Domain.Tests.Fleets;

/// <summary>How fleets choose pools (allocation strategies, weights, budgets) and the fleet state machine.</summary>
public sealed class FleetAllocationTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static FleetPool Pool(int index, string type = "t3.micro", string zone = "us-east-1a", double weight = 1, double? priority = null) => new()
    {
        Index = index,
        InstanceType = type,
        AvailabilityZone = zone,
        WeightedCapacity = weight,
        Priority = priority,
        Launch = new LaunchSpec { ImageId = "ami-0123456789abcdef0", MinCount = 1, MaxCount = 1, InstanceType = type },
    };

    private static PoolQuote Quote(int index, decimal spot, decimal onDemand = 1m, double weight = 1, int room = 2048, double? priority = null, decimal max = 10m, string type = "t3.micro", string zone = "us-east-1a") =>
        new(Pool(index, type, zone, weight, priority), spot, onDemand, max, room);

    private static readonly Dictionary<int, double> None = [];

    [Fact]
    public void Lowest_price_uses_the_cheapest_pool_per_unit_of_capacity()
    {
        // Pool 1 costs more per instance but less per unit: 0.08 / 4 < 0.03 / 1.
        var picks = FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, [Quote(0, 0.03m), Quote(1, 0.08m, weight: 4)], spot: true, need: 8, None);
        Assert.Equal([1, 1], picks);
    }

    [Fact]
    public void Lowest_price_spreads_over_instance_pools_to_use_count()
    {
        var quotes = new[] { Quote(0, 0.01m), Quote(1, 0.02m), Quote(2, 0.03m) };
        var picks = FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, quotes, spot: true, need: 4, None, poolsToUse: 2);
        Assert.Equal([0, 1, 0, 1], picks);
    }

    [Fact]
    public void Diversified_puts_each_instance_into_the_pool_with_the_least_capacity()
    {
        var quotes = new[] { Quote(0, 0.01m), Quote(1, 0.02m), Quote(2, 0.03m) };
        var picks = FleetAllocation.Choose(FleetAllocationStrategy.Diversified, quotes, spot: true, need: 5, new Dictionary<int, double> { [0] = 1 });
        Assert.Equal([1, 2, 0, 1, 2], picks);
    }

    [Fact]
    public void Weighted_capacity_overshoots_only_by_the_last_instance()
    {
        var picks = FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, [Quote(0, 0.01m, weight: 3)], spot: true, need: 7, None);
        Assert.Equal(3, picks.Count); // 9 units for 7
    }

    [Fact]
    public void Pools_above_their_maximum_price_are_not_used()
    {
        var quotes = new[] { Quote(0, 0.05m, max: 0.04m), Quote(1, 0.06m) };
        Assert.Equal([1], FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, quotes, spot: true, need: 1, None));
        Assert.Empty(FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, [Quote(0, 0.05m, max: 0.04m)], spot: true, need: 1, None));
        // On-demand ignores the Spot maximum.
        Assert.Equal([0], FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, [Quote(0, 0.05m, max: 0.04m)], spot: false, need: 1, None));
    }

    [Fact]
    public void Capacity_optimized_prefers_the_pool_with_the_most_room()
    {
        var quotes = new[] { Quote(0, 0.01m, room: 512), Quote(1, 0.09m, room: 2048) };
        Assert.Equal([1, 1], FleetAllocation.Choose(FleetAllocationStrategy.CapacityOptimized, quotes, spot: true, need: 2, None));
    }

    [Fact]
    public void Capacity_optimized_prioritized_and_prioritized_follow_priority()
    {
        var quotes = new[] { Quote(0, 0.01m, priority: 2, room: 4096), Quote(1, 0.09m, priority: 1, room: 16) };
        Assert.Equal([1], FleetAllocation.Choose(FleetAllocationStrategy.CapacityOptimizedPrioritized, quotes, spot: true, need: 1, None));
        Assert.Equal([1], FleetAllocation.Choose(FleetAllocationStrategy.Prioritized, quotes, spot: false, need: 1, None));
    }

    [Fact]
    public void Price_capacity_optimized_takes_the_cheapest_of_the_pools_with_enough_room()
    {
        // Pool 0 is cheapest but has little room; of pools 1 and 2 (room at least half the best), 2 is cheaper.
        var quotes = new[] { Quote(0, 0.001m, room: 100), Quote(1, 0.05m, room: 2048), Quote(2, 0.04m, room: 1500) };
        Assert.Equal([2], FleetAllocation.Choose(FleetAllocationStrategy.PriceCapacityOptimized, quotes, spot: true, need: 1, None));
    }

    [Fact]
    public void A_budget_stops_the_allocation()
    {
        var picks = FleetAllocation.Choose(FleetAllocationStrategy.LowestPrice, [Quote(0, 0.03m)], spot: true, need: 10, None, budget: 0.1m);
        Assert.Equal(3, picks.Count);
    }

    [Fact]
    public void Single_instance_type_and_zone_keep_to_the_first_choice()
    {
        var quotes = new[] { Quote(0, 0.01m, type: "t3.micro", zone: "us-east-1a"), Quote(1, 0.02m, type: "t3.small", zone: "us-east-1b"), Quote(2, 0.03m, type: "t3.micro", zone: "us-east-1c") };
        var picks = FleetAllocation.Choose(FleetAllocationStrategy.Diversified, quotes, spot: true, need: 3, None, singleInstanceType: true);
        Assert.Equal([0, 2, 0], picks);
        picks = FleetAllocation.Choose(FleetAllocationStrategy.Diversified, quotes, spot: true, need: 2, None, singleAvailabilityZone: true);
        Assert.Equal([0, 0], picks);
    }

    [Fact]
    public void Quotes_come_from_the_spot_price_model()
    {
        var type = InstanceTypeCatalog.Find("t3.micro")!;
        var quote = PoolQuote.For(Pool(0), type, "us-east-1", null, T0);
        Assert.True(quote.SpotPrice < quote.OnDemandPrice);
        Assert.Equal(quote.OnDemandPrice, quote.MaxSpotPrice);
        Assert.Equal(2048, quote.Room);
        Assert.Equal(quote.SpotPrice, PoolQuote.For(Pool(0), type, "us-east-1", null, T0).SpotPrice);
    }

    private static FleetResource Fleet(string type = FleetTypes.Maintain, int target = 4) => new()
    {
        Id = "sfr-00000000-0000-0000-0000-000000000000",
        Kind = FleetKind.SpotFleet,
        Type = type,
        State = FleetStates.Submitted,
        CreateTime = T0,
        TargetCapacity = target,
        Pools = [Pool(0, weight: 2)],
    };

    private static FleetMember Member(string id, double weight = 2, string lifecycle = FleetLifecycles.Spot, int minute = 0) => new()
    {
        InstanceId = id,
        PoolIndex = 0,
        InstanceType = "t3.micro",
        Lifecycle = lifecycle,
        Weight = weight,
        LaunchTime = T0.AddMinutes(minute),
    };

    [Fact]
    public void A_maintain_fleet_replaces_lost_capacity_and_a_request_fleet_does_not()
    {
        foreach (var type in new[] { FleetTypes.Maintain, FleetTypes.Request })
        {
            var fleet = Fleet(type);
            FleetRules.Submitted(fleet, T0);
            Assert.Equal(4, FleetRules.Evaluate(fleet, T0).SpotNeed);
            Assert.Equal(FleetStates.Active, fleet.State);
            FleetRules.Launched(fleet, Member("i-1"), T0);
            FleetRules.Launched(fleet, Member("i-2"), T0);
            FleetRules.UpdateActivity(fleet, false, T0);
            Assert.Equal(FleetActivityStatuses.Fulfilled, fleet.ActivityStatus);
            var gone = FleetRules.Follow(fleet, id => id == "i-1" ? "terminated" : "running", T0);
            Assert.Single(gone);
            Assert.Equal(2, fleet.FulfilledCapacity);
            Assert.Equal(type == FleetTypes.Maintain ? 2 : 0, FleetRules.Evaluate(fleet, T0).SpotNeed);
        }
    }

    [Fact]
    public void Excess_capacity_is_terminated_newest_first_unless_no_termination()
    {
        var fleet = Fleet(target: 6);
        FleetRules.Submitted(fleet, T0);
        FleetRules.Evaluate(fleet, T0);
        FleetRules.Launched(fleet, Member("i-1", minute: 1), T0);
        FleetRules.Launched(fleet, Member("i-2", minute: 2), T0);
        FleetRules.Launched(fleet, Member("i-3", minute: 3), T0);
        FleetRules.Modify(fleet, 2, null, null, T0);
        Assert.Equal(FleetStates.Modifying, fleet.State);
        var plan = FleetRules.Evaluate(fleet, T0);
        Assert.Equal(FleetStates.Active, fleet.State);
        Assert.Equal(["i-3", "i-2"], plan.Terminate.Select(m => m.InstanceId));
        FleetRules.Modify(fleet, 2, null, false, T0);
        Assert.Empty(FleetRules.Evaluate(fleet, T0).Terminate);
    }

    [Fact]
    public void Capacity_above_the_target_from_weights_is_kept_until_the_target_is_lowered()
    {
        // Target 5 with weights 2 and 1: the last launch for a need of 1 may be a weight-2 instance.
        var fleet = Fleet(target: 5);
        FleetRules.Submitted(fleet, T0);
        FleetRules.Evaluate(fleet, T0);
        FleetRules.Launched(fleet, Member("i-1", weight: 2, minute: 1), T0);
        FleetRules.Launched(fleet, Member("i-2", weight: 1, minute: 2), T0);
        FleetRules.Launched(fleet, Member("i-3", weight: 1, minute: 3), T0);
        FleetRules.Launched(fleet, Member("i-4", weight: 2, minute: 4), T0);
        FleetRules.UpdateActivity(fleet, false, T0);
        Assert.Equal(FleetActivityStatuses.Fulfilled, fleet.ActivityStatus);
        for (var pass = 0; pass < 3; pass++)
        {
            var plan = FleetRules.Evaluate(fleet, T0);
            Assert.Empty(plan.Terminate);
            Assert.Equal(0, plan.SpotNeed);
            FleetRules.UpdateActivity(fleet, false, T0);
            Assert.Equal(FleetActivityStatuses.Fulfilled, fleet.ActivityStatus);
        }
        Assert.Equal(6, fleet.FulfilledCapacity);
        // Lowering the target terminates the excess when the modification settles, newest first.
        FleetRules.Modify(fleet, 4, null, null, T0);
        Assert.Equal(["i-4"], FleetRules.Evaluate(fleet, T0).Terminate.Select(m => m.InstanceId));
        Assert.Empty(FleetRules.Evaluate(fleet, T0).Terminate);
    }

    [Fact]
    public void A_fleet_that_loses_capacity_is_no_longer_fulfilled_before_it_launches_again()
    {
        var fleet = Fleet(target: 4);
        FleetRules.Submitted(fleet, T0);
        FleetRules.Evaluate(fleet, T0);
        FleetRules.Launched(fleet, Member("i-1"), T0);
        FleetRules.Launched(fleet, Member("i-2"), T0);
        FleetRules.UpdateActivity(fleet, false, T0);
        Assert.Equal(FleetActivityStatuses.Fulfilled, fleet.ActivityStatus);
        FleetRules.Follow(fleet, id => id == "i-1" ? "shutting-down" : "running", T0);
        Assert.Equal(2, FleetRules.Evaluate(fleet, T0).SpotNeed);
        FleetRules.UpdateActivity(fleet, false, T0);
        Assert.Equal(FleetActivityStatuses.PendingFulfillment, fleet.ActivityStatus);
        FleetRules.Launched(fleet, Member("i-3"), T0);
        FleetRules.UpdateActivity(fleet, false, T0);
        Assert.Equal(FleetActivityStatuses.Fulfilled, fleet.ActivityStatus);
        Assert.Equal(2, fleet.History.Count(e => e.SubType == "progress"));
    }

    [Fact]
    public void Cancel_with_and_without_terminating_then_cancelled_when_the_instances_are_gone()
    {
        var fleet = Fleet();
        FleetRules.Submitted(fleet, T0);
        FleetRules.Evaluate(fleet, T0);
        FleetRules.Launched(fleet, Member("i-1"), T0);
        Assert.Equal(FleetStates.Active, FleetRules.Cancel(fleet, terminateInstances: true, T0));
        Assert.Equal(FleetStates.CancelledTerminating, fleet.State);
        Assert.Equal(["i-1"], FleetRules.Evaluate(fleet, T0).Terminate.Select(m => m.InstanceId));
        fleet.Instances.Clear();
        FleetRules.Evaluate(fleet, T0);
        Assert.Equal(FleetStates.Cancelled, fleet.State);

        var running = Fleet();
        FleetRules.Submitted(running, T0);
        FleetRules.Evaluate(running, T0);
        FleetRules.Launched(running, Member("i-2"), T0);
        FleetRules.Cancel(running, terminateInstances: false, T0);
        Assert.Empty(FleetRules.Evaluate(running, T0).Terminate);
        Assert.Equal(FleetStates.CancelledRunning, running.State);
        FleetRules.Follow(running, _ => null, T0);
        FleetRules.Evaluate(running, T0);
        Assert.Equal(FleetStates.Cancelled, running.State);
        Assert.Equal(["submitted", "active", "cancelled_running", "cancelled"],
            running.History.Where(e => e.EventType == FleetEventTypes.FleetRequestChange).Select(e => e.SubType));
        Assert.Equal("deleted_running", FleetRules.StateName(FleetKind.Ec2Fleet, FleetStates.CancelledRunning));
    }

    [Fact]
    public void A_fleet_waits_for_valid_from_and_expires_at_valid_until()
    {
        var fleet = new FleetResource
        {
            Id = "sfr-00000000-0000-0000-0000-000000000001",
            Kind = FleetKind.SpotFleet,
            Type = FleetTypes.Maintain,
            State = FleetStates.Submitted,
            CreateTime = T0,
            TargetCapacity = 1,
            ValidFrom = T0.AddMinutes(5),
            ValidUntil = T0.AddMinutes(10),
            TerminateInstancesWithExpiration = true,
        };
        Assert.Equal(0, FleetRules.Evaluate(fleet, T0).SpotNeed);
        Assert.Equal(FleetStates.Submitted, fleet.State);
        Assert.Equal(1, FleetRules.Evaluate(fleet, T0.AddMinutes(6)).SpotNeed);
        FleetRules.Launched(fleet, Member("i-1", weight: 1), T0);
        var plan = FleetRules.Evaluate(fleet, T0.AddMinutes(11));
        Assert.Equal(FleetStates.CancelledTerminating, fleet.State);
        Assert.Single(plan.Terminate);
        Assert.Contains(fleet.History, e => e.SubType == "expired");
    }

    [Fact]
    public void Instance_requirements_select_types_from_the_catalog()
    {
        var spec = new InstanceRequirementsSpec { VCpuMin = 2, VCpuMax = 2, MemoryMiBMin = 1024, MemoryMiBMax = 2048, AllowedInstanceTypes = ["t3.*"] };
        Assert.Equal(["t3.micro", "t3.small"], InstanceRequirementsMatcher.Match(spec, "us-east-1").Select(t => t.Name));
        Assert.DoesNotContain(InstanceRequirementsMatcher.Match(spec with { BurstablePerformance = "excluded" }, "us-east-1"), t => t.Name.StartsWith("t3", StringComparison.Ordinal));
        Assert.True(InstanceRequirementsMatcher.Wildcard("m5*", "m5d.large"));
        Assert.False(InstanceRequirementsMatcher.Wildcard("m5.*", "m5d.large"));
    }
}
