using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.AutoScaling.Policies;

/// <summary>What a policy needs to know of its group: bounds, desired capacity, default cooldown and when it last scaled.</summary>
public sealed record GroupCapacity(string Name, int MinSize, int MaxSize, int DesiredCapacity, int DefaultCooldown, DateTime? LastScalingTime);

/// <summary>Who executes a policy: a user (ExecutePolicy) or an alarm (with the value that breached and the threshold).</summary>
public sealed record PolicyTrigger(bool HonorCooldown, double? MetricValue, double? BreachThreshold, string? AlarmName = null, string? AlarmState = null)
{
    public bool FromAlarm => AlarmName is not null;
}

/// <summary>
/// What executing a policy does: the new desired capacity and the activity's cause, or why
/// nothing changes (<see cref="Skipped"/>: cooldown, no step holds the breach, already at the
/// capacity asked for).
/// </summary>
public sealed record ExecutionPlan(int? NewDesiredCapacity, string Cause, string? Skipped);

/// <summary>Plans the execution of simple, step and target-tracking policies (see <see cref="PolicyMath"/>).</summary>
public static class PolicyExecution
{
    public static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static AwsException Validation(string message) => new("ValidationError", message);

    public static ExecutionPlan Plan(ScalingPolicyResource policy, GroupCapacity group, PolicyTrigger trigger, DateTime now)
    {
        if (!policy.Enabled)
        {
            if (trigger.FromAlarm)
            {
                return new ExecutionPlan(null, "", $"The policy {policy.PolicyName} is disabled.");
            }
            throw Validation($"The policy {policy.PolicyName} is disabled and cannot be executed.");
        }
        var current = group.DesiredCapacity;
        int wanted;
        switch (policy.PolicyType)
        {
            case PolicyTypes.Simple:
                {
                    var cooldown = policy.Cooldown ?? group.DefaultCooldown;
                    var last = Latest(policy.LastExecuted, group.LastScalingTime);
                    if (trigger.HonorCooldown && last is { } t && now < t.AddSeconds(cooldown))
                    {
                        if (trigger.FromAlarm)
                        {
                            return new ExecutionPlan(null, "", $"The group {group.Name} is in its cooldown period until {Time(t.AddSeconds(cooldown))}.");
                        }
                        throw new AwsException("ScalingActivityInProgress",
                            $"The Auto Scaling group {group.Name} is in its cooldown period (until {Time(t.AddSeconds(cooldown))}); the policy {policy.PolicyName} was not executed.");
                    }
                    wanted = PolicyMath.Adjusted(policy.AdjustmentType!, policy.ScalingAdjustment ?? 0, policy.MinAdjustmentMagnitude, current);
                    break;
                }
            case PolicyTypes.Step:
                {
                    if (trigger.BreachThreshold is not { } threshold)
                    {
                        throw Validation("BreachThreshold is required when executing a step scaling policy.");
                    }
                    // An alarm set by SetAlarmState has no datapoint: it breaches at its threshold.
                    if ((trigger.MetricValue ?? (trigger.FromAlarm ? threshold : null)) is not { } value)
                    {
                        throw Validation("MetricValue is required when executing a step scaling policy.");
                    }
                    var step = PolicyMath.FindStep(policy.StepAdjustments ?? [], value, threshold);
                    if (step is null)
                    {
                        var message = $"The metric value {Format(value)} minus the breach threshold {Format(threshold)} is in no step adjustment's interval of the policy {policy.PolicyName}.";
                        return trigger.FromAlarm ? new ExecutionPlan(null, "", message) : throw Validation(message);
                    }
                    wanted = PolicyMath.Adjusted(policy.AdjustmentType!, step.ScalingAdjustment, policy.MinAdjustmentMagnitude, current);
                    break;
                }
            case PolicyTypes.TargetTracking when trigger.FromAlarm:
                {
                    var tt = policy.TargetTracking!;
                    var scaleOut = trigger.AlarmName!.Contains("-AlarmHigh-", StringComparison.Ordinal);
                    if (!scaleOut && tt.DisableScaleIn)
                    {
                        return new ExecutionPlan(null, "", "Scale-in is disabled for the policy.");
                    }
                    if (!scaleOut && Latest(policy.LastExecuted, group.LastScalingTime) is { } t && now < t.AddSeconds(group.DefaultCooldown))
                    {
                        return new ExecutionPlan(null, "", $"The group {group.Name} is in its scale-in cooldown until {Time(t.AddSeconds(group.DefaultCooldown))}.");
                    }
                    var value = trigger.MetricValue ?? (scaleOut ? tt.TargetValue * 1.1 : tt.TargetValue * 0.8);
                    wanted = PolicyMath.TargetTrackingCapacity(current, value, tt.TargetValue, scaleOut);
                    wanted = scaleOut ? Math.Max(wanted, current) : Math.Min(wanted, current);
                    break;
                }
            default:
                throw Validation($"ExecutePolicy is not supported for policy type {policy.PolicyType}: only SimpleScaling and StepScaling policies can be executed.");
        }
        var next = PolicyMath.Clamp(wanted, group.MinSize, group.MaxSize);
        if (next == current)
        {
            return new ExecutionPlan(null, "", $"The group {group.Name} is already at the capacity the policy asks for ({current}, within {group.MinSize}..{group.MaxSize}).");
        }
        var who = trigger.FromAlarm
            ? $"a monitor alarm {trigger.AlarmName} in state {trigger.AlarmState ?? "ALARM"} triggered policy {policy.PolicyName}"
            : $"a user request executed policy {policy.PolicyName}";
        return new ExecutionPlan(next, $"At {Time(now)} {who} changing the desired capacity from {current} to {next}.", null);
    }

    /// <summary>The group as a policy sees it.</summary>
    public static GroupCapacity CapacityOf(AutoScalingGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return new GroupCapacity(group.Name, group.MinSize, group.MaxSize, group.DesiredCapacity, group.DefaultCooldown, group.LastScalingTime);
    }

    /// <summary>
    /// Executes a policy in <paramref name="tx"/>: plans it against the group as it is now and,
    /// when the capacity changes, sets the group's desired capacity through the group core (the
    /// controller launches or terminates after the commit) and records the policy's execution.
    /// </summary>
    public static async Task<(ExecutionPlan Plan, ScalingActivity? Activity)> ExecuteAsync(IStoreTransaction tx, Scope scope, ScalingPolicyResource policy, PolicyTrigger trigger,
        DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trigger);
        var group = await AutoScalingGroups.RequireAsync(tx, scope, policy.GroupName, ct).ConfigureAwait(false);
        if (trigger.FromAlarm && group.IsSuspended("AlarmNotification"))
        {
            return (new ExecutionPlan(null, "", $"The process AlarmNotification is suspended for the group {group.Name}."), null);
        }
        var plan = Plan(policy, CapacityOf(group), trigger, now);
        if (plan.NewDesiredCapacity is not { } next)
        {
            return (plan, null);
        }
        var activity = await AutoScalingGroups.SetDesiredCapacityAsync(tx, scope, group.Name, next, plan.Cause, now, honorCooldown: false, ct).ConfigureAwait(false);
        await ScalingPolicies.MarkExecutedAsync(tx, scope, policy, now, ct).ConfigureAwait(false);
        return (plan, activity);
    }

    private static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string Format(double d) => d.ToString(CultureInfo.InvariantCulture);
}
