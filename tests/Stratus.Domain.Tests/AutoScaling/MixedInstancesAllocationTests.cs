using Stratus.Domain.AutoScaling;
using Stratus.Domain.Fleets;

namespace Stratus.Domain.Tests.AutoScaling;

public sealed class MixedInstancesAllocationTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static AutoScalingGroup Group(MixedInstances? policy, int desired, params GroupInstance[] instances) => new()
    {
        Name = "g",
        Arn = "arn",
        CreatedTime = Now,
        MinSize = 0,
        MaxSize = 10,
        DesiredCapacity = desired,
        Subnets = ["subnet-a", "subnet-b"],
        SubnetZones = new() { ["subnet-a"] = "us-east-1a", ["subnet-b"] = "us-east-1b" },
        MixedInstancesPolicy = policy,
        Instances = [.. instances],
    };

    private static MixedInstances Policy(int baseCapacity, int percentage, string spotStrategy = "price-capacity-optimized", params string[] types) => new()
    {
        LaunchTemplate = new GroupLaunchTemplate("lt-1", "web", "$Latest"),
        Overrides = [.. types.Select(t => new InstanceTypeOverride(t, null))],
        OnDemandBaseCapacity = baseCapacity,
        OnDemandPercentageAboveBaseCapacity = percentage,
        OnDemandAllocationStrategy = "prioritized",
        SpotAllocationStrategy = spotStrategy,
        SpotInstancePools = spotStrategy == "lowest-price" ? 2 : null,
    };

    private static GroupInstance Instance(string id, string zone, string? market = null, string state = LifecycleStates.InService, int minutesAgo = 10) => new()
    {
        InstanceId = id,
        AvailabilityZone = "us-east-1" + zone,
        SubnetId = "subnet-" + zone,
        InstanceType = "t3.micro",
        LifecycleState = state,
        LaunchTime = Now.AddMinutes(-minutesAgo),
        Market = market,
    };

    private static List<MixedLaunch> Plan(AutoScalingGroup group) =>
        MixedInstancesAllocation.Plan(group, group.DesiredCapacity, s => s is null ? "us-east-1a" : group.SubnetZones[s], n => GroupPlacement.ChooseSubnets(group, n), "us-east-1", Now);

    [Theory]
    [InlineData(0, 100, 10, 10)]
    [InlineData(0, 0, 10, 0)]
    [InlineData(2, 0, 10, 2)]
    [InlineData(1, 50, 5, 3)] // 1 + ceil(2) = 3
    [InlineData(1, 50, 4, 3)] // 1 + ceil(1.5): rounding favours On-Demand
    [InlineData(5, 50, 3, 3)] // the base is capped by the capacity
    public void OnDemandTarget_IsBasePlusPercentageAboveRoundedUp(int baseCapacity, int percentage, int capacity, int expected) =>
        Assert.Equal(expected, MixedInstancesAllocation.OnDemandTarget(Policy(baseCapacity, percentage, types: "t3.micro"), capacity));

    [Fact]
    public void Plan_SplitsTheNeedIntoOnDemandAndSpot_CountingWhatRuns()
    {
        var group = Group(Policy(1, 50, "lowest-price", "t3.micro", "t3.small", "t3a.micro"), 5, Instance("i-1", "a"));
        var launches = Plan(group);
        Assert.Equal(4, launches.Count);
        // 3 On-Demand in all, one runs: two more, of the first override (prioritized); two Spot.
        Assert.Equal(2, launches.Count(l => !l.Spot));
        Assert.All(launches.Where(l => !l.Spot), l => Assert.Equal("t3.micro", l.InstanceType));
        Assert.Equal(2, launches.Count(l => l.Spot));
        // Balanced over the zones: the emptier zone b first.
        Assert.Equal("subnet-b", launches[0].SubnetId);
    }

    [Fact]
    public void Plan_WithoutAPolicy_LaunchesTheConfigurationOnDemand()
    {
        var group = Group(null, 3, Instance("i-1", "a"));
        var launches = Plan(group);
        Assert.Equal(2, launches.Count);
        Assert.All(launches, l => Assert.False(l.Spot));
        Assert.All(launches, l => Assert.Null(l.InstanceType));
    }

    [Fact]
    public void Plan_DoesNotCountInstancesBeingReplaced()
    {
        var leaving = Instance("i-2", "a", "spot");
        leaving.ReplacementCause = "rebalance";
        var group = Group(Policy(0, 0, types: "t3.micro"), 2, Instance("i-1", "b", "spot"), leaving);
        var launches = Plan(group);
        Assert.Single(launches);
        Assert.True(launches[0].Spot);
    }

    [Fact]
    public void OnDemandLowestPrice_TakesTheCheapestPerUnit()
    {
        var policy = Policy(10, 100, types: ["m5.xlarge", "t3.micro", "t3.small"]);
        policy.OnDemandAllocationStrategy = "lowest-price";
        var launches = Plan(Group(policy, 2));
        Assert.All(launches, l => Assert.Equal("t3.micro", l.InstanceType));
    }

    [Fact]
    public void SpotStrategies_ChooseByPriceRoomAndPriority()
    {
        var types = new List<(string, int)> { ("m5.large", 1), ("t3.micro", 1), ("c5.4xlarge", 1) };
        var running = new Dictionary<(string, string), int>();
        // capacity-optimized: the most room (fewest vCPUs per instance in the placement model).
        var capacity = MixedInstancesAllocation.ChooseSpot(Policy(0, 0, "capacity-optimized", "x"), types, "us-east-1", "us-east-1a", Now, running);
        Assert.Equal("t3.micro", capacity!.Value.InstanceType);
        // capacity-optimized-prioritized: the first override with room.
        var prioritized = MixedInstancesAllocation.ChooseSpot(Policy(0, 0, "capacity-optimized-prioritized", "x"), types, "us-east-1", "us-east-1a", Now, running);
        Assert.Equal("m5.large", prioritized!.Value.InstanceType);
        // lowest-price with one pool: always the cheapest.
        var lowest = Policy(0, 0, "lowest-price", "x");
        lowest.SpotInstancePools = 1;
        Assert.Equal("t3.micro", MixedInstancesAllocation.ChooseSpot(lowest, types, "us-east-1", "us-east-1a", Now, running)!.Value.InstanceType);
        // A maximum price below every Spot price: no pool.
        var capped = Policy(0, 0, types: "x");
        capped.SpotMaxPrice = "0.0001";
        Assert.Null(MixedInstancesAllocation.ChooseSpot(capped, types, "us-east-1", "us-east-1a", Now, running));
    }

    [Fact]
    public void LowestPrice_SpreadsOverItsPools()
    {
        var types = new List<(string, int)> { ("t3.micro", 1), ("t3a.micro", 1), ("m5.4xlarge", 1) };
        var policy = Policy(0, 0, "lowest-price", "x");
        var running = new Dictionary<(string, string), int>();
        var picks = new List<string>();
        for (var n = 0; n < 4; n++)
        {
            var pick = MixedInstancesAllocation.ChooseSpot(policy, types, "us-east-1", "us-east-1a", Now, running)!.Value.InstanceType;
            running[("us-east-1a", pick)] = running.GetValueOrDefault(("us-east-1a", pick)) + 1;
            picks.Add(pick);
        }
        Assert.Equal(2, picks.Distinct().Count());
        Assert.DoesNotContain("m5.4xlarge", picks);
    }

    [Fact]
    public void Types_FromInstanceRequirements_AreTheMatcherAnswer()
    {
        var requirements = new InstanceRequirementsSpec { VCpuMin = 2, VCpuMax = 2, MemoryMiBMin = 1024, MemoryMiBMax = 4096, AllowedInstanceTypes = ["t3*"] };
        var policy = new MixedInstances { LaunchTemplate = new GroupLaunchTemplate("lt-1", "web", null), Overrides = [new InstanceTypeOverride(null, null, null, requirements)] };
        var types = MixedInstancesAllocation.Types(policy, "us-east-1");
        Assert.NotEmpty(types);
        Assert.Equal(InstanceRequirementsMatcher.Match(requirements, "us-east-1").Select(t => t.Name), types.Select(t => t.InstanceType));
    }

    [Fact]
    public void WarmPool_TargetSize_IsPreparedCapacityLessDesired_AtLeastMinSize()
    {
        var group = Group(null, 3);
        Assert.Equal(7, new WarmPool().TargetSize(group)); // MaxSize 10 - 3
        Assert.Equal(2, new WarmPool { MaxGroupPreparedCapacity = 5 }.TargetSize(group));
        Assert.Equal(4, new WarmPool { MaxGroupPreparedCapacity = 5, MinSize = 4 }.TargetSize(group));
        Assert.Equal(1, new WarmPool { MaxGroupPreparedCapacity = 2, MinSize = 1 }.TargetSize(group));
        Assert.Equal(7, new WarmPool { MaxGroupPreparedCapacity = -1 }.TargetSize(group));
        Assert.Equal(0, new WarmPool { MinSize = 3, Status = "PendingDelete" }.TargetSize(group));
    }

    [Fact]
    public void AzRebalance_PicksTheOldestInTheCrowdedZone_OnlyWhenZonesDifferByMoreThanOne()
    {
        var balanced = Group(null, 3, Instance("i-1", "a"), Instance("i-2", "a"), Instance("i-3", "b"));
        Assert.Null(GroupPlacement.RebalanceCandidate(balanced));
        var crowded = Group(null, 4, Instance("i-1", "a", minutesAgo: 5), Instance("i-2", "a", minutesAgo: 50), Instance("i-3", "a", minutesAgo: 1), Instance("i-4", "b"));
        Assert.Equal("i-2", GroupPlacement.RebalanceCandidate(crowded)!.InstanceId);
        // Its replacement goes to the short zone: the marked instance no longer counts.
        crowded.Instances[1].ReplacementCause = "rebalance";
        Assert.Equal(["subnet-b"], GroupPlacement.ChooseSubnets(crowded, 1));
    }
}
