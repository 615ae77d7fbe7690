using Stratus.Domain.AutoScaling;
using Stratus.Domain.AutoScaling.Policies;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;

namespace Stratus.Domain.Tests.AutoScaling;

/// <summary>Deleting a group takes its scaling policies and scheduled actions with it, in the same transaction, and names the alarms to delete.</summary>
public sealed class GroupDeletionTests : IAsyncLifetime
{
    private static readonly Scope Scope = new("123456789012", "us-east-1");
    private static readonly DateTime Now = new(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-domain-tests-" + Guid.NewGuid().ToString("N"));
    private IStateStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(_directory, "state.db")));
        await _store.InitializeAsync();
        await using var tx = await _store.BeginWriteAsync();
        foreach (var name in new[] { "web", "other" })
        {
            await AutoScalingGroups.SaveAsync(tx, Scope, new AutoScalingGroup
            {
                Name = name,
                Arn = AutoScalingGroups.ArnFor(Scope, name),
                CreatedTime = Now,
                MinSize = 0,
                MaxSize = 4,
                DesiredCapacity = 0,
            });
            await ScalingPolicies.PutAsync(tx, Scope, Simple(name, "add-one"), Now);
            await ScalingPolicies.PutAsync(tx, Scope, Tracking(name, "cpu50"), Now);
            await ScheduledActions.PutAsync(tx, Scope, new ScheduledActionSpec(name, "nightly", null, null, null, "0 2 * * *", "Europe/Berlin", null, null, 1), Now);
            await ScheduledActions.PutAsync(tx, Scope, new ScheduledActionSpec(name, "once", Now.AddHours(1), null, null, null, null, null, null, 2), Now);
        }
        await tx.CommitAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static ScalingPolicySpec Simple(string group, string name) =>
        new(group, name, PolicyTypes.Simple, null, AdjustmentTypes.ChangeInCapacity, 1, null, null, null, null, null, null, null, false, null);

    private static ScalingPolicySpec Tracking(string group, string name) =>
        new(group, name, PolicyTypes.TargetTracking, null, null, null, null, null, null, null, null, null,
            new TargetTrackingSpec { TargetValue = 50, PredefinedMetricType = "ASGAverageCPUUtilization" }, false, null);

    [Fact]
    public async Task DeletingAGroupDeletesItsPoliciesAndScheduledActionsAndNamesTheOwnedAlarms()
    {
        List<string> owned;
        await using (var read = await _store.OpenReadAsync())
        {
            owned = (await ScalingPolicies.OfGroupAsync(read, Scope, "web")).SelectMany(p => p.OwnedAlarms).Order(StringComparer.Ordinal).ToList();
        }
        Assert.Equal(2, owned.Count);
        Assert.All(owned, a => Assert.StartsWith("TargetTracking-web-Alarm", a, StringComparison.Ordinal));

        IReadOnlyList<string> alarms;
        await using (var tx = await _store.BeginWriteAsync())
        {
            alarms = await AutoScalingGroups.DeleteAsync(tx, Scope, "web");
            // Inside the transaction the group and everything it owns are gone already.
            Assert.Null(await AutoScalingGroups.GetAsync(tx, Scope, "web"));
            Assert.Empty(await ScalingPolicies.OfGroupAsync(tx, Scope, "web"));
            Assert.Empty(await ScheduledActions.OfGroupAsync(tx, Scope, "web"));
            await tx.CommitAsync();
        }
        Assert.Equal(owned, alarms.Order(StringComparer.Ordinal).ToList());

        await using (var read = await _store.OpenReadAsync())
        {
            Assert.Null(await AutoScalingGroups.GetAsync(read, Scope, "web"));
            Assert.Empty((await ScalingPolicies.DescribeAsync(read, Scope, "web", null, null, null, null)).Items);
            Assert.Empty((await ScheduledActions.DescribeAsync(read, Scope, "web", null, null, null, null, null)).Items);
            // The other group keeps what is its own.
            Assert.NotNull(await AutoScalingGroups.GetAsync(read, Scope, "other"));
            Assert.Equal(["add-one", "cpu50"], (await ScalingPolicies.OfGroupAsync(read, Scope, "other")).Select(p => p.PolicyName).Order(StringComparer.Ordinal));
            Assert.Equal(["nightly", "once"], (await ScheduledActions.OfGroupAsync(read, Scope, "other")).Select(a => a.Name).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task ARolledBackDeletionKeepsEverything()
    {
        await using (var tx = await _store.BeginWriteAsync())
        {
            await AutoScalingGroups.DeleteAsync(tx, Scope, "web");
        }
        await using var read = await _store.OpenReadAsync();
        Assert.NotNull(await AutoScalingGroups.GetAsync(read, Scope, "web"));
        Assert.Equal(2, (await ScalingPolicies.OfGroupAsync(read, Scope, "web")).Count);
        Assert.Equal(2, (await ScheduledActions.OfGroupAsync(read, Scope, "web")).Count);
    }

    [Fact]
    public async Task TargetTrackingAlarmsEvaluateThreeAndFifteenMinutesUnlessTheOperatorShortensThem()
    {
        await using var tx = await _store.BeginWriteAsync();
        var (policy, _) = await ScalingPolicies.PutAsync(tx, Scope, Tracking("web", "cpu"), Now);
        static (int High, int Low) Periods(IReadOnlyList<PolicyAlarm> alarms) =>
            (alarms.Single(a => a.Name.Contains("-AlarmHigh-", StringComparison.Ordinal)).EvaluationPeriods,
             alarms.Single(a => a.Name.Contains("-AlarmLow-", StringComparison.Ordinal)).EvaluationPeriods);
        Assert.Equal((3, 15), Periods(ScalingPolicies.AlarmsOf(policy)));
        Assert.Equal((1, 2), Periods(ScalingPolicies.AlarmsOf(policy, new TargetTrackingAlarmMinutes(1, 2))));
        var custom = Tracking("web", "custom") with
        {
            TargetTracking = new TargetTrackingSpec { TargetValue = 10, CustomizedMetric = new MetricStatSpec("App", "Load", [], "Average", null, 10), CustomizedPeriod = 10 },
        };
        var (tenSeconds, _) = await ScalingPolicies.PutAsync(tx, Scope, custom, Now);
        Assert.Equal((18, 90), Periods(ScalingPolicies.AlarmsOf(tenSeconds)));
        Assert.Equal((6, 6), Periods(ScalingPolicies.AlarmsOf(tenSeconds, new TargetTrackingAlarmMinutes(1, 1))));
    }

    [Fact]
    public async Task ALoadBalancerResourceLabelNamesTheTargetGroupTheAlarmsWatch()
    {
        const string label = "app/web-alb/0123456789abcdef/targetgroup/web-tg/fedcba9876543210";
        await using var tx = await _store.BeginWriteAsync();
        var spec = Tracking("web", "requests") with
        {
            TargetTracking = new TargetTrackingSpec { TargetValue = 100, PredefinedMetricType = "ALBRequestCountPerTarget", ResourceLabel = label },
        };
        var (policy, _) = await ScalingPolicies.PutAsync(tx, Scope, spec, Now);
        var high = ScalingPolicies.AlarmsOf(policy).Single(a => a.Name.Contains("-AlarmHigh-", StringComparison.Ordinal));
        Assert.Equal(("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"), (high.Namespace, high.MetricName, high.Statistic));
        Assert.Equal([new MetricDimensionSpec("TargetGroup", "targetgroup/web-tg/fedcba9876543210")], high.Dimensions);
        foreach (var bad in new[] { label + "/extra", "app/web-alb/0123456789abcdef/web-tg/fedcba9876543210", "net/x/1/targetgroup/y/2", "app//1/targetgroup/y/2" })
        {
            var wrong = spec with { TargetTracking = new TargetTrackingSpec { TargetValue = 100, PredefinedMetricType = "ALBRequestCountPerTarget", ResourceLabel = bad } };
            Assert.Equal("ValidationError", (await Assert.ThrowsAsync<Stratus.Core.AwsException>(() => ScalingPolicies.PutAsync(tx, Scope, wrong, Now))).Code);
        }
    }

    [Fact]
    public async Task AGroupWithoutPoliciesOrActionsOwnsNoAlarms()
    {
        await using var tx = await _store.BeginWriteAsync();
        await AutoScalingGroups.SaveAsync(tx, Scope, new AutoScalingGroup
        {
            Name = "bare",
            Arn = AutoScalingGroups.ArnFor(Scope, "bare"),
            CreatedTime = Now,
            MinSize = 0,
            MaxSize = 1,
            DesiredCapacity = 0,
        });
        Assert.Empty(await AutoScalingGroups.DeleteAsync(tx, Scope, "bare"));
        Assert.Null(await AutoScalingGroups.GetAsync(tx, Scope, "bare"));
    }
}
