using Stratus.Domain.AutoScaling;

namespace Stratus.Domain.Tests;

public sealed class AutoScalingPlacementTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static AutoScalingGroup Group(params GroupInstance[] instances) => new()
    {
        Name = "g",
        Arn = "arn",
        CreatedTime = Now,
        MinSize = 0,
        MaxSize = 10,
        DesiredCapacity = instances.Length,
        Subnets = ["subnet-a", "subnet-b", "subnet-c"],
        SubnetZones = new() { ["subnet-a"] = "us-east-1a", ["subnet-b"] = "us-east-1b", ["subnet-c"] = "us-east-1c" },
        LaunchTemplate = new GroupLaunchTemplate("lt-1", "web", "$Latest"),
        Instances = [.. instances],
    };

    private static GroupInstance Instance(string id, string zone, int minutesAgo = 10, string version = "2", bool protect = false, string state = LifecycleStates.InService, string type = "t3.micro") => new()
    {
        InstanceId = id,
        AvailabilityZone = "us-east-1" + zone,
        SubnetId = "subnet-" + zone,
        InstanceType = type,
        LifecycleState = state,
        LaunchTime = Now.AddMinutes(-minutesAgo),
        LaunchTemplate = new GroupLaunchTemplate("lt-1", "web", version),
        ProtectedFromScaleIn = protect,
    };

    [Fact]
    public void Launches_FillTheEmptiestZonesFirst()
    {
        var group = Group(Instance("i-1", "a"), Instance("i-2", "a"), Instance("i-3", "b"));
        Assert.Equal(["subnet-c", "subnet-b", "subnet-c", "subnet-a"], GroupPlacement.ChooseSubnets(group, 4));
        Assert.Equal(["subnet-a", "subnet-b", "subnet-c"], GroupPlacement.ChooseSubnets(Group(), 3));
    }

    [Fact]
    public void Launches_IgnoreInstancesLeavingTheGroup_AndAvoidFailedZones()
    {
        var group = Group(Instance("i-1", "a", state: LifecycleStates.Terminating), Instance("i-2", "b"));
        Assert.Equal(["subnet-a"], GroupPlacement.ChooseSubnets(group, 1));
        Assert.Equal(["subnet-c"], GroupPlacement.ChooseSubnets(group, 1, new HashSet<string> { "us-east-1a" }));
    }

    [Fact]
    public void ScaleIn_TakesFromTheBiggestZone_ThenOldestTemplateVersion()
    {
        var group = Group(Instance("i-1", "a", version: "2"), Instance("i-2", "a", version: "1"), Instance("i-3", "b", version: "1"), Instance("i-4", "c"));
        var chosen = GroupPlacement.ChooseForScaleIn(group, 1, Now, currentTemplateVersion: "2");
        Assert.Equal(["i-2"], chosen.Select(i => i.InstanceId));
    }

    [Fact]
    public void ScaleIn_KeepsZonesBalancedOverSeveralInstances()
    {
        var group = Group(Instance("i-1", "a"), Instance("i-2", "a"), Instance("i-3", "a"), Instance("i-4", "b"), Instance("i-5", "c"));
        var chosen = GroupPlacement.ChooseForScaleIn(group, 3, Now, "2");
        var left = group.Instances.Except(chosen).GroupBy(i => i.AvailabilityZone).Select(g => g.Count()).ToList();
        Assert.Equal(2, left.Count);
        Assert.All(left, c => Assert.Equal(1, c));
    }

    [Fact]
    public void ScaleIn_HonoursProtection()
    {
        var group = Group(Instance("i-1", "a", protect: true), Instance("i-2", "b", protect: true), Instance("i-3", "c"));
        Assert.Equal(["i-3"], GroupPlacement.ChooseForScaleIn(group, 3, Now, "2").Select(i => i.InstanceId));
    }

    [Theory]
    [InlineData("OldestInstance", "i-old")]
    [InlineData("NewestInstance", "i-new")]
    public void ScaleIn_OldestAndNewestInstance(string policy, string expected)
    {
        var group = Group(Instance("i-old", "a", minutesAgo: 300), Instance("i-mid", "a", minutesAgo: 100), Instance("i-new", "a", minutesAgo: 5));
        group.TerminationPolicies = [policy];
        Assert.Equal([expected], GroupPlacement.ChooseForScaleIn(group, 1, Now, "2").Select(i => i.InstanceId));
    }

    [Fact]
    public void ScaleIn_ClosestToNextInstanceHour()
    {
        // 50 minutes into its hour is closest to the next one.
        var group = Group(Instance("i-1", "a", minutesAgo: 70), Instance("i-2", "a", minutesAgo: 50), Instance("i-3", "a", minutesAgo: 125));
        group.TerminationPolicies = ["ClosestToNextInstanceHour"];
        Assert.Equal(["i-2"], GroupPlacement.ChooseForScaleIn(group, 1, Now, "2").Select(i => i.InstanceId));
    }

    [Fact]
    public void ScaleIn_OldestLaunchConfiguration_AndAllocationStrategy()
    {
        var group = Group(Instance("i-1", "a"), Instance("i-2", "a"));
        group.LaunchTemplate = null;
        group.LaunchConfigurationName = "lc-new";
        group.Instances[0] = new GroupInstance { InstanceId = "i-1", AvailabilityZone = "us-east-1a", InstanceType = "t3.micro", LifecycleState = LifecycleStates.InService, LaunchTime = Now, LaunchConfigurationName = "lc-new" };
        group.Instances[1] = new GroupInstance { InstanceId = "i-2", AvailabilityZone = "us-east-1a", InstanceType = "t3.micro", LifecycleState = LifecycleStates.InService, LaunchTime = Now, LaunchConfigurationName = "lc-old" };
        group.TerminationPolicies = ["OldestLaunchConfiguration"];
        Assert.Equal(["i-2"], GroupPlacement.ChooseForScaleIn(group, 1, Now).Select(i => i.InstanceId));

        var mixed = Group(Instance("i-big", "a", type: "t3.large"), Instance("i-small", "a", type: "t3.medium"));
        mixed.MixedInstancesPolicy = new MixedInstances
        {
            LaunchTemplate = new GroupLaunchTemplate("lt-1", "web", "$Latest"),
            Overrides = [new InstanceTypeOverride("t3.large", null), new InstanceTypeOverride("t3.medium", null)],
        };
        mixed.TerminationPolicies = ["AllocationStrategy"];
        Assert.Equal(["i-small"], GroupPlacement.ChooseForScaleIn(mixed, 1, Now, "2").Select(i => i.InstanceId));
    }

    [Fact]
    public void ScaleIn_CountsWeightedCapacity()
    {
        var heavy = Instance("i-1", "a");
        var group = Group(new GroupInstance
        {
            InstanceId = "i-w",
            AvailabilityZone = "us-east-1b",
            InstanceType = "t3.large",
            LifecycleState = LifecycleStates.InService,
            LaunchTime = Now,
            WeightedCapacity = 2,
            LaunchTemplate = heavy.LaunchTemplate,
        }, heavy);
        Assert.Equal(3, group.CurrentCapacity);
        var chosen = GroupPlacement.ChooseForScaleIn(group, 2, Now, "2");
        Assert.True(chosen.Sum(i => i.WeightedCapacity ?? 1) >= 2);
    }
}
