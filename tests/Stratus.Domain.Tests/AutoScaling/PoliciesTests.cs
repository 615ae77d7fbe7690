using Stratus.Core;
using Stratus.Domain.AutoScaling.Policies;

namespace Stratus.Domain.Tests.AutoScaling;

/// <summary>The arithmetic of step, simple and target-tracking policies, and the next-fire computation of scheduled actions.</summary>
public sealed class PoliciesTests
{
    private static readonly List<StepAdjustmentSpec> ScaleOutSteps =
    [
        new(0, 10, 1),
        new(10, 20, 2),
        new(20, null, 3),
    ];

    private static readonly List<StepAdjustmentSpec> ScaleInSteps =
    [
        new(-10, 0, -1),
        new(null, -10, -2),
    ];

    [Theory]
    [InlineData(70, 1)] // at the threshold: the step starting at 0
    [InlineData(75, 1)]
    [InlineData(80, 2)] // a lower bound is inclusive above the threshold
    [InlineData(89.9, 2)]
    [InlineData(90, 3)]
    [InlineData(1000, 3)]
    public void StepAboveTheThreshold(double metric, int expected) =>
        Assert.Equal(expected, PolicyMath.FindStep(ScaleOutSteps, metric, 70)!.ScalingAdjustment);

    [Theory]
    [InlineData(30, -1)] // at the threshold: the step ending at 0
    [InlineData(25, -1)]
    [InlineData(20.1, -1)]
    [InlineData(20, -2)] // below the threshold an upper bound is inclusive and a lower bound exclusive
    [InlineData(0, -2)]
    public void StepBelowTheThreshold(double metric, int expected) =>
        Assert.Equal(expected, PolicyMath.FindStep(ScaleInSteps, metric, 30)!.ScalingAdjustment);

    [Fact]
    public void NoStepHoldsABreachOnTheOtherSide() => Assert.Null(PolicyMath.FindStep(ScaleOutSteps, 60, 70));

    [Theory]
    [InlineData(AdjustmentTypes.ChangeInCapacity, 2, null, 3, 5)]
    [InlineData(AdjustmentTypes.ChangeInCapacity, -1, null, 3, 2)]
    [InlineData(AdjustmentTypes.ExactCapacity, 7, null, 3, 7)]
    [InlineData(AdjustmentTypes.PercentChangeInCapacity, 10, null, 3, 4)] // 0.3 rounds to 1
    [InlineData(AdjustmentTypes.PercentChangeInCapacity, 50, null, 5, 7)] // 2.5 rounds down to 2
    [InlineData(AdjustmentTypes.PercentChangeInCapacity, -50, null, 5, 3)] // -2.5 rounds toward zero to -2
    [InlineData(AdjustmentTypes.PercentChangeInCapacity, -10, null, 3, 2)] // -0.3 rounds to -1
    [InlineData(AdjustmentTypes.PercentChangeInCapacity, 10, 3, 4, 7)] // MinAdjustmentMagnitude 3
    [InlineData(AdjustmentTypes.PercentChangeInCapacity, 200, 3, 4, 12)]
    public void Adjustments(string type, int adjustment, int? magnitude, int current, int expected) =>
        Assert.Equal(expected, PolicyMath.Adjusted(type, adjustment, magnitude, current));

    [Fact]
    public void TheGroupBoundsWin() => Assert.Equal(10, PolicyMath.Clamp(PolicyMath.Adjusted(AdjustmentTypes.ChangeInCapacity, 30, null, 5), 1, 10));

    [Theory]
    [InlineData(2, 90, 50, true, 4)] // 2 × 90/50 = 3.6 → 4
    [InlineData(2, 51, 50, true, 3)] // just above the target: at least one more
    [InlineData(10, 20, 50, false, 9)] // scale in one in ten at a time
    [InlineData(1, 10, 50, false, 1)]
    public void TargetTracking(int current, double metric, double target, bool scaleOut, int expected) =>
        Assert.Equal(expected, PolicyMath.TargetTrackingCapacity(current, metric, target, scaleOut));

    [Fact]
    public void StepValidation()
    {
        PolicyMath.CheckSteps(ScaleOutSteps);
        PolicyMath.CheckSteps(ScaleInSteps);
        var overlap = Assert.Throws<AwsException>(() => PolicyMath.CheckSteps([new(0, 10, 1), new(5, null, 2)]));
        Assert.Equal("ValidationError", overlap.Code);
        Assert.Throws<AwsException>(() => PolicyMath.CheckSteps([new(0, 10, 1), new(20, null, 2)])); // gap
        Assert.Throws<AwsException>(() => PolicyMath.CheckSteps([new(0, null, 1), new(10, null, 2)])); // two unbounded uppers
        Assert.Throws<AwsException>(() => PolicyMath.CheckSteps([new(10, 5, 1)]));
        Assert.Throws<AwsException>(() => PolicyMath.CheckSteps([]));
    }

    private static ScalingPolicyResource Policy(string type, Action<ScalingPolicyResource> set)
    {
        var p = new ScalingPolicyResource
        {
            Id = "id",
            Arn = "arn",
            GroupName = "g",
            PolicyName = "p",
            PolicyType = type,
            CreatedTime = DateTime.UnixEpoch,
        };
        set(p);
        return p;
    }

    [Fact]
    public void SimplePolicyHonoursItsCooldownWhenAsked()
    {
        var now = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        var policy = Policy(PolicyTypes.Simple, p => { p.AdjustmentType = AdjustmentTypes.ChangeInCapacity; p.ScalingAdjustment = 1; p.Cooldown = 120; });
        var group = new GroupCapacity("g", 1, 5, 2, 300, now.AddSeconds(-60));
        var e = Assert.Throws<AwsException>(() => PolicyExecution.Plan(policy, group, new PolicyTrigger(true, null, null), now));
        Assert.Equal("ScalingActivityInProgress", e.Code);
        Assert.Equal(3, PolicyExecution.Plan(policy, group, new PolicyTrigger(false, null, null), now).NewDesiredCapacity);
        Assert.Equal(3, PolicyExecution.Plan(policy, group, new PolicyTrigger(true, null, null), now.AddSeconds(61)).NewDesiredCapacity);
        var fromAlarm = PolicyExecution.Plan(policy, group, new PolicyTrigger(true, null, 70, "high", "ALARM"), now);
        Assert.Null(fromAlarm.NewDesiredCapacity);
        Assert.Contains("cooldown", fromAlarm.Skipped, StringComparison.Ordinal);
    }

    [Fact]
    public void StepPolicyFromAnAlarmSetWithoutData()
    {
        var policy = Policy(PolicyTypes.Step, p => { p.AdjustmentType = AdjustmentTypes.ChangeInCapacity; p.StepAdjustments = ScaleOutSteps; });
        var group = new GroupCapacity("g", 1, 10, 2, 300, null);
        var plan = PolicyExecution.Plan(policy, group, new PolicyTrigger(true, null, 70, "high", "ALARM"), DateTime.UtcNow);
        Assert.Equal(3, plan.NewDesiredCapacity);
        Assert.Contains("a monitor alarm high in state ALARM triggered policy p changing the desired capacity from 2 to 3", plan.Cause, StringComparison.Ordinal);
        var api = Assert.Throws<AwsException>(() => PolicyExecution.Plan(policy, group, new PolicyTrigger(false, null, 70), DateTime.UtcNow));
        Assert.Equal("ValidationError", api.Code);
        Assert.Equal(5, PolicyExecution.Plan(policy, group, new PolicyTrigger(false, 95, 70), DateTime.UtcNow).NewDesiredCapacity);
    }

    [Fact]
    public void OneTimeActionFiresAtItsStart()
    {
        var now = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(now.AddMinutes(5), ScheduledActions.NextFire(now.AddMinutes(5), null, null, null, now));
        Assert.Null(ScheduledActions.NextFire(now.AddMinutes(-5), null, null, null, now));
    }

    [Fact]
    public void RecurrenceInATimeZone()
    {
        // 08:00 on weekdays in New York: EST (UTC-5) in December.
        var friday = new DateTime(2026, 12, 4, 14, 0, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 12, 7, 13, 0, 0, DateTimeKind.Utc), ScheduledActions.NextFire(null, null, "0 8 * * 1-5", "America/New_York", friday));
        // In July it is EDT (UTC-4).
        var july = new DateTime(2026, 7, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 7, 1, 12, 0, 0, DateTimeKind.Utc), ScheduledActions.NextFire(null, null, "0 8 * * 1-5", "America/New_York", july));
        // UTC when no zone is given; names of days work.
        Assert.Equal(new DateTime(2026, 12, 6, 12, 30, 0, DateTimeKind.Utc), ScheduledActions.NextFire(null, null, "30 12 * * SUN", null, new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void ATimeSkippedByDaylightSavingFiresOnceAtTheNextValidMoment()
    {
        // Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29; 02:30 does not exist that day.
        var before = new DateTime(2026, 3, 28, 23, 0, 0, DateTimeKind.Utc);
        var next = ScheduledActions.NextFire(null, null, "30 2 * * *", "Europe/Berlin", before)!.Value;
        Assert.Equal(new DateTime(2026, 3, 29, 1, 0, 0, DateTimeKind.Utc), next); // 03:00 CEST
        var after = ScheduledActions.NextFire(null, null, "30 2 * * *", "Europe/Berlin", next)!.Value;
        Assert.Equal(new DateTime(2026, 3, 30, 0, 30, 0, DateTimeKind.Utc), after); // 02:30 CEST the day after
    }

    [Fact]
    public void StartAndEndBoundARecurrence()
    {
        var now = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(now.AddHours(2), ScheduledActions.NextFire(now.AddHours(2), null, "0 * * * *", null, now)); // the start first
        Assert.Null(ScheduledActions.NextFire(null, now.AddMinutes(30), "0 * * * *", null, now)); // next hour is after the end
    }

    [Fact]
    public void InvalidRecurrenceAndZone()
    {
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => ScheduledActions.ParseRecurrence("61 * * * *")).Code);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => ScheduledActions.ParseTimeZone("Mars/Olympus")).Code);
    }
}
