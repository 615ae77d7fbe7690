using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.AutoScaling;

/// <summary>Auto Scaling's errors, with the codes and messages AWS answers.</summary>
public static class AutoScalingErrors
{
    public static AwsException Validation(string message) => new("ValidationError", message);

    public static AwsException GroupNotFound(string name) => Validation($"AutoScalingGroup name not found - AutoScalingGroup {name} not found");

    public static AwsException AlreadyExists(string message) => new("AlreadyExists", message);

    public static AwsException InProgress(string message) => new("ScalingActivityInProgress", message);

    public static AwsException ResourceInUse(string message) => new("ResourceInUse", message);

    public static AwsException LimitExceeded(string message) => new("LimitExceeded", message);

    public static AwsException ResourceContention(string message) => new("ResourceContention", message, 500);
}

/// <summary>
/// Auto Scaling groups in the store: read, write, capacity changes and the activity log. The
/// controller (in the server) reconciles every group with its desired capacity; the functions
/// here only change what is desired and record what happened, inside the caller's transaction,
/// so a change is durable once committed and acted on after a restart as before it.
/// </summary>
public static class AutoScalingGroups
{
    /// <summary>How many activities a group keeps (newest first).</summary>
    public const int ActivitiesKept = 200;

    /// <summary>The tag Auto Scaling puts on every instance it launches or attaches.</summary>
    public const string GroupNameTag = "aws:autoscaling:groupName";

    /// <summary>Groups per account and region (DescribeAccountLimits' MaxNumberOfAutoScalingGroups).</summary>
    public const int MaxGroups = 500;

    public const int MaxLaunchConfigurations = 200;

    public static string ArnFor(Scope scope, string name) =>
        $"arn:aws:autoscaling:{scope.Region}:{scope.AccountId}:autoScalingGroup:{Guid.NewGuid()}:autoScalingGroupName/{name}";

    public static string LaunchConfigurationArnFor(Scope scope, string name) =>
        $"arn:aws:autoscaling:{scope.Region}:{scope.AccountId}:launchConfiguration:{Guid.NewGuid()}:launchConfigurationName/{name}";

    /// <summary>The group, or null when there is none by that name.</summary>
    public static Task<AutoScalingGroup?> GetAsync(IStoreSession session, Scope scope, string groupName, CancellationToken ct = default) =>
        session.GetAsync<AutoScalingGroup>(scope, AutoScalingTypes.Group, groupName, ct);

    /// <summary>The group, or AWS's ValidationError for an unknown name.</summary>
    public static async Task<AutoScalingGroup> RequireAsync(IStoreSession session, Scope scope, string? groupName, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(groupName))
        {
            throw AutoScalingErrors.Validation("1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null");
        }
        return await GetAsync(session, scope, groupName, ct).ConfigureAwait(false) ?? throw AutoScalingErrors.GroupNotFound(groupName);
    }

    /// <summary>The groups of an account and region, by name.</summary>
    public static Task<List<AutoScalingGroup>> ListAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        session.ListAsync<AutoScalingGroup>(scope, AutoScalingTypes.Group, ct);

    public static Task SaveAsync(IStoreTransaction tx, Scope scope, AutoScalingGroup group, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Activities.Count > ActivitiesKept)
        {
            group.Activities.RemoveRange(ActivitiesKept, group.Activities.Count - ActivitiesKept);
        }
        return tx.PutAsync(scope, AutoScalingTypes.Group, group.Name, group, group.CreatedTime, ct);
    }

    /// <summary>
    /// Removes the group document together with what belongs to it — its scaling policies and
    /// scheduled actions — in the caller's transaction, as deleting a group does in AWS. Both places
    /// a group goes away call this: DeleteAutoScalingGroup of an empty group, and the controller once
    /// a deletion's instances are gone. Answers the CloudWatch alarms the group's target-tracking
    /// policies owned; the caller deletes them through <see cref="Policies.IPolicyAlarms"/> after the commit.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DeleteAsync(IStoreTransaction tx, Scope scope, string groupName, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await tx.DeleteAsync(scope, AutoScalingTypes.Group, groupName, ct).ConfigureAwait(false);
        await Policies.ScheduledActions.DeleteForGroupAsync(tx, scope, groupName, ct).ConfigureAwait(false);
        return await Policies.ScalingPolicies.DeleteForGroupAsync(tx, scope, groupName, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets the group's desired capacity (SetDesiredCapacity, ExecutePolicy, scheduled actions):
    /// ValidationError outside min/max; with <paramref name="honorCooldown"/>, ScalingActivityInProgress
    /// while an activity runs or the group's cooldown (DefaultCooldown since the last scaling) has not
    /// passed. The change is written in <paramref name="tx"/>; the controller launches or terminates
    /// once the transaction commits (call <c>AutoScalingController.Wake()</c> after the commit).
    /// Returns the activity that describes the change: its <see cref="ScalingActivity.Cause"/> is what
    /// the launch and termination activities that follow quote (it is kept as the group's pending
    /// cause, not as an activity of its own, as AWS records only launches and terminations).
    /// </summary>
    public static async Task<ScalingActivity> SetDesiredCapacityAsync(IStoreTransaction tx, Scope scope, string groupName, int desiredCapacity, string cause, DateTime now, bool honorCooldown, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var group = await RequireAsync(tx, scope, groupName, ct).ConfigureAwait(false);
        if (group.Status is not null)
        {
            throw AutoScalingErrors.InProgress($"The Auto Scaling group '{groupName}' is being deleted.");
        }
        if (desiredCapacity > group.MaxSize)
        {
            throw AutoScalingErrors.Validation($"New SetDesiredCapacity value {desiredCapacity} is above max value {group.MaxSize} for the AutoScalingGroup.");
        }
        if (desiredCapacity < group.MinSize)
        {
            throw AutoScalingErrors.Validation($"New SetDesiredCapacity value {desiredCapacity} is below min value {group.MinSize} for the AutoScalingGroup.");
        }
        if (honorCooldown)
        {
            if (group.Activities.FirstOrDefault(a => !ActivityStatus.IsDone(a.StatusCode)) is { } running)
            {
                throw AutoScalingErrors.InProgress($"Scaling activity {running.ActivityId} is in progress and blocks this action.");
            }
            if (group.LastScalingTime is { } last && now < last.AddSeconds(group.DefaultCooldown))
            {
                throw AutoScalingErrors.InProgress($"The Auto Scaling group '{groupName}' is in its cooldown period until {Iso(last.AddSeconds(group.DefaultCooldown))}, which blocks this action.");
            }
        }
        var previous = group.DesiredCapacity;
        ChangeDesiredCapacity(group, desiredCapacity, cause, now);
        await SaveAsync(tx, scope, group, ct).ConfigureAwait(false);
        return new ScalingActivity
        {
            ActivityId = Guid.NewGuid().ToString(),
            AutoScalingGroupName = group.Name,
            AutoScalingGroupArn = group.Arn,
            Description = $"Setting desired capacity from {previous} to {desiredCapacity}",
            Cause = cause,
            StartTime = now,
            EndTime = now,
            StatusCode = ActivityStatus.Successful,
            Progress = 100,
        };
    }

    /// <summary>Changes desired capacity in the document (no checks) and remembers why.</summary>
    public static void ChangeDesiredCapacity(AutoScalingGroup group, int desiredCapacity, string cause, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.DesiredCapacity != desiredCapacity)
        {
            group.LastScalingTime = now;
        }
        group.DesiredCapacity = desiredCapacity;
        group.PendingCause = cause;
    }

    /// <summary>AWS's cause text of a user's capacity change.</summary>
    public static string UserRequestCause(DateTime now, int from, int to) =>
        $"At {Iso(now)} a user request explicitly set group desired capacity changing the desired capacity from {from} to {to}.";

    /// <summary>AWS's cause text of a constraint update.</summary>
    public static string UpdateCause(DateTime now, AutoScalingGroup group, int from) =>
        $"At {Iso(now)} a user request update of AutoScalingGroup constraints to min: {group.MinSize}, max: {group.MaxSize}, desired: {group.DesiredCapacity} changing the desired capacity from {from} to {group.DesiredCapacity}.";

    /// <summary>Starts an activity (newest first in the group's log) and returns it.</summary>
    public static ScalingActivity StartActivity(AutoScalingGroup group, string description, string cause, DateTime now, string status = ActivityStatus.InProgress, string? details = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        var activity = new ScalingActivity
        {
            ActivityId = Guid.NewGuid().ToString(),
            AutoScalingGroupName = group.Name,
            AutoScalingGroupArn = group.Arn,
            Description = description,
            Cause = cause,
            StartTime = now,
            StatusCode = status,
            Progress = ActivityStatus.IsDone(status) ? 100 : 0,
            Details = details ?? "{}",
        };
        if (ActivityStatus.IsDone(status))
        {
            activity.EndTime = now;
        }
        group.Activities.Insert(0, activity);
        return activity;
    }

    /// <summary>Ends an activity of the group (when it is still in the log).</summary>
    public static void EndActivity(AutoScalingGroup group, string? activityId, string status, DateTime now, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (activityId is null || group.Activities.FirstOrDefault(a => a.ActivityId == activityId) is not { } activity || ActivityStatus.IsDone(activity.StatusCode))
        {
            return;
        }
        activity.StatusCode = status;
        activity.StatusMessage = message;
        activity.EndTime = now;
        activity.Progress = 100;
        group.LastScalingTime = now;
    }

    /// <summary>Moves a running activity on (a status such as MidLifecycleAction and its progress).</summary>
    public static void ProgressActivity(AutoScalingGroup group, string? activityId, string status, int progress)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (activityId is not null && group.Activities.FirstOrDefault(a => a.ActivityId == activityId) is { } activity && !ActivityStatus.IsDone(activity.StatusCode))
        {
            activity.StatusCode = status;
            activity.Progress = Math.Max(activity.Progress, progress);
        }
    }

    /// <summary>Validates min, max and desired as CreateAutoScalingGroup and UpdateAutoScalingGroup do.</summary>
    public static void CheckSizes(int min, int max, int desired)
    {
        if (min < 0 || max < 0)
        {
            throw AutoScalingErrors.Validation("MinSize and MaxSize must not be negative.");
        }
        if (max < min)
        {
            throw AutoScalingErrors.Validation($"Max bound, {max}, must be greater than or equal to min bound, {min}");
        }
        if (desired < min || desired > max)
        {
            throw AutoScalingErrors.Validation($"Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}");
        }
    }

    public static string Iso(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
