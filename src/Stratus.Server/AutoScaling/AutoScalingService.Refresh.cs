using Stratus.Core;
using Stratus.Domain.AutoScaling;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;
using AutoScalingGroup = Stratus.Domain.AutoScaling.AutoScalingGroup;
using Errors = Stratus.Domain.AutoScaling.AutoScalingErrors;

namespace Stratus.Server.AutoScaling;

/// <summary>
/// Instance refresh: replace every instance (or every one not on the desired launch template with
/// SkipMatching) a few at a time, keeping MinHealthyPercentage of the desired capacity InService;
/// the controller carries it out (<see cref="AutoScalingController"/>).
/// </summary>
internal sealed partial class AutoScalingService
{
    public override async Task<StartInstanceRefreshAnswer> StartInstanceRefreshAsync(RequestContext context, StartInstanceRefreshType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (request.Strategy is not null and not "Rolling")
        {
            throw Errors.Validation($"Strategy {request.Strategy} is not valid. Valid value: Rolling.");
        }
        if (group.InstanceRefreshes.Any(r => r.Status is "Pending" or "InProgress" or "Baking" or "Cancelling" or "RollbackInProgress"))
        {
            throw new AwsException("InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.");
        }
        var preferences = request.Preferences;
        var min = preferences?.MinHealthyPercentage ?? 90;
        var max = preferences?.MaxHealthyPercentage ?? 100;
        if (min is < 0 or > 100 || max is < 100 or > 200 || max - min > 100)
        {
            throw Errors.Validation("MinHealthyPercentage must be between 0 and 100, MaxHealthyPercentage between 100 and 200, and they must be at most 100 apart.");
        }
        if (preferences?.BakeTime is < 0 or > 172800)
        {
            throw Errors.Validation("BakeTime must be between 0 and 172800 seconds.");
        }
        var alarmNames = preferences?.AlarmSpecification?.Alarms ?? [];
        if (alarmNames.Count > 10)
        {
            throw Errors.Validation("AlarmSpecification can name at most 10 alarms.");
        }
        if (alarmNames.FirstOrDefault(a => policyAlarms.StateOf(context.Scope, a) is null) is { } missing)
        {
            throw Errors.Validation($"The alarm {missing} does not exist.");
        }
        var protectedInstances = preferences?.ScaleInProtectedInstances ?? "Ignore";
        var standbyInstances = preferences?.StandbyInstances ?? "Ignore";
        if (protectedInstances is not ("Refresh" or "Ignore" or "Wait"))
        {
            throw Errors.Validation($"1 validation error detected: Value '{protectedInstances}' at 'preferences.scaleInProtectedInstances' failed to satisfy constraint: Member must satisfy enum value set: [Refresh, Ignore, Wait]");
        }
        if (standbyInstances is not ("Terminate" or "Ignore" or "Wait"))
        {
            throw Errors.Validation($"1 validation error detected: Value '{standbyInstances}' at 'preferences.standbyInstances' failed to satisfy constraint: Member must satisfy enum value set: [Terminate, Ignore, Wait]");
        }
        var autoRollback = preferences?.AutoRollback ?? false;
        if (autoRollback)
        {
            if (request.DesiredConfiguration is not { LaunchTemplate: not null } and not { MixedInstancesPolicy: not null })
            {
                throw Errors.Validation("AutoRollback is only supported when you specify a desired configuration for the instance refresh.");
            }
            if (Reversible(group.LaunchTemplate, group.MixedInstancesPolicy, group.LaunchConfigurationName) is { } why)
            {
                throw Errors.Validation($"AutoRollback is not supported: {why}");
            }
        }
        var checkpoints = preferences?.CheckpointPercentages ?? [];
        if (checkpoints.Any(c => c is < 1 or > 100) || checkpoints.Zip(checkpoints.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw Errors.Validation("CheckpointPercentages must be unique values between 1 and 100, in ascending order.");
        }
        if (preferences?.CheckpointDelay is < 0 or > 172800)
        {
            throw Errors.Validation("CheckpointDelay must be between 0 and 172800 seconds.");
        }
        if (preferences?.CheckpointDelay is not null && checkpoints.Count == 0)
        {
            throw Errors.Validation("CheckpointDelay can only be specified together with CheckpointPercentages.");
        }
        var previousTemplate = group.LaunchTemplate;
        var previousConfiguration = group.LaunchConfigurationName;
        var previousMixed = group.MixedInstancesPolicy;
        var hasDesired = false;
        var target = group;
        if (request.DesiredConfiguration is { } desired && (desired.LaunchTemplate is not null || desired.MixedInstancesPolicy is not null))
        {
            if (desired.LaunchTemplate is not null && desired.MixedInstancesPolicy is not null)
            {
                throw Errors.Validation("Valid requests must contain either LaunchTemplate or MixedInstancesPolicy parameter in the desired configuration, not both.");
            }
            // The group launches from the desired configuration while the refresh runs (replacements
            // included) and takes it as its own when the refresh succeeds, as AWS does; until then it
            // keeps (and describes) the configuration it has.
            var updated = new AutoScalingGroup { Name = group.Name, Arn = group.Arn, CreatedTime = group.CreatedTime, MinSize = group.MinSize, MaxSize = group.MaxSize, DesiredCapacity = group.DesiredCapacity };
            await ApplyLaunchSourceAsync(context, updated, desired.LaunchTemplate, null, desired.MixedInstancesPolicy).ConfigureAwait(false);
            target = updated;
            hasDesired = true;
        }
        var skipMatching = preferences?.SkipMatching ?? false;
        if (skipMatching && !hasDesired && group.LaunchConfigurationName is not null)
        {
            throw Errors.Validation("SkipMatching is only supported for Auto Scaling groups that use a launch template or a mixed instances policy.");
        }
        var current = target.MixedInstancesPolicy?.LaunchTemplate ?? target.LaunchTemplate;
        var types = target.MixedInstancesPolicy is { } mixedNow && mixedNow.Overrides.All(o => o.InstanceType is not null) && mixedNow.Overrides.Count > 0
            ? mixedNow.Overrides.Select(o => o.InstanceType!).ToHashSet(StringComparer.Ordinal) : null;
        bool Matches(GroupInstance i) => current is not null && i.LaunchTemplate?.LaunchTemplateId == current.LaunchTemplateId
            && (current.Version is not { } v || v.StartsWith('$') || i.LaunchTemplate?.Version == v)
            && (types is null || types.Contains(i.InstanceType ?? ""));
        var remaining = group.Instances
            .Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) || (i.LifecycleState == LifecycleStates.Standby && standbyInstances == "Wait"))
            .Where(i => !i.ProtectedFromScaleIn || protectedInstances != "Ignore")
            .Where(i => !skipMatching || !Matches(i))
            .Select(i => i.InstanceId).ToList();
        var refresh = new InstanceRefreshRecord
        {
            Id = Guid.NewGuid().ToString(),
            StartTime = context.Now,
            MinHealthyPercentage = min,
            MaxHealthyPercentage = max,
            InstanceWarmup = preferences?.InstanceWarmup ?? group.DefaultInstanceWarmup ?? 0,
            SkipMatching = skipMatching,
            CheckpointPercentages = [.. checkpoints],
            CheckpointDelay = checkpoints.Count > 0 ? preferences?.CheckpointDelay ?? 3600 : null,
            InstancesToUpdate = remaining.Count,
            Remaining = remaining,
            DesiredLaunchTemplate = hasDesired ? target.LaunchTemplate : null,
            DesiredMixedInstancesPolicy = hasDesired ? target.MixedInstancesPolicy : null,
            BakeTime = preferences?.BakeTime ?? 0,
            HasDesiredConfiguration = hasDesired,
            PreviousLaunchTemplate = previousTemplate,
            PreviousLaunchConfigurationName = previousConfiguration,
            PreviousMixedInstancesPolicy = previousMixed,
            AutoRollback = autoRollback,
            AlarmNames = [.. alarmNames],
            ScaleInProtectedInstances = protectedInstances,
            StandbyInstances = standbyInstances,
        };
        group.InstanceRefreshes.Insert(0, refresh);
        if (group.InstanceRefreshes.Count > 50)
        {
            group.InstanceRefreshes.RemoveRange(50, group.InstanceRefreshes.Count - 50);
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new StartInstanceRefreshAnswer { InstanceRefreshId = refresh.Id };
    }

    /// <summary>Why the group's configuration could not be returned to after a refresh (AWS: only a specific launch template version), or null.</summary>
    private static string? Reversible(GroupLaunchTemplate? template, MixedInstances? mixed, string? configuration)
    {
        var lt = mixed?.LaunchTemplate ?? template;
        if (lt is null)
        {
            return configuration is null ? "the group has no launch template to return to." : null;
        }
        return lt.Version is null or "$Latest" or "$Default"
            ? "the Auto Scaling group uses the launch template's $Latest or $Default version; a rollback needs a specific version."
            : null;
    }

    public override async Task<DescribeInstanceRefreshesAnswer> DescribeInstanceRefreshesAsync(RequestContext context, DescribeInstanceRefreshesType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var refreshes = group.InstanceRefreshes.Where(r => request.InstanceRefreshIds is not { Count: > 0 } ids || ids.Contains(r.Id)).ToList();
        var (page, next) = Page(refreshes, r => r.Id, request.NextToken, CheckMaxRecords(request.MaxRecords, 50), ordinalKeys: false);
        return new DescribeInstanceRefreshesAnswer
        {
            InstanceRefreshes = page.Select(r =>
            {
                var percent = r.InstancesToUpdate == 0 ? (r.Status == "Successful" ? 100 : 0) : 100 * (r.InstancesToUpdate - r.Remaining.Count) / r.InstancesToUpdate;
                return new InstanceRefresh
                {
                    AutoScalingGroupName = group.Name,
                    InstanceRefreshId = r.Id,
                    Status = r.Status,
                    StatusReason = r.StatusReason,
                    StartTime = r.StartTime,
                    EndTime = r.EndTime,
                    PercentageComplete = percent,
                    InstancesToUpdate = r.Remaining.Count,
                    Strategy = "Rolling",
                    Preferences = new RefreshPreferences
                    {
                        MinHealthyPercentage = r.MinHealthyPercentage,
                        MaxHealthyPercentage = r.MaxHealthyPercentage,
                        InstanceWarmup = r.InstanceWarmup,
                        SkipMatching = r.SkipMatching,
                        CheckpointPercentages = r.CheckpointPercentages.Count > 0 ? [.. r.CheckpointPercentages] : null,
                        CheckpointDelay = r.CheckpointDelay,
                        AutoRollback = r.AutoRollback,
                        ScaleInProtectedInstances = r.ScaleInProtectedInstances,
                        StandbyInstances = r.StandbyInstances,
                        AlarmSpecification = r.AlarmNames.Count > 0 ? new AlarmSpecification { Alarms = [.. r.AlarmNames] } : null,
                        BakeTime = r.BakeTime,
                    },
                    DesiredConfiguration = !r.HasDesiredConfiguration ? null : new DesiredConfiguration
                    {
                        LaunchTemplate = r.DesiredMixedInstancesPolicy is null ? ToShape(r.DesiredLaunchTemplate) : null,
                        MixedInstancesPolicy = r.DesiredMixedInstancesPolicy is { } m ? ToShape(m) : null,
                    },
                    RollbackDetails = r.RollbackStartTime is null ? null : new RollbackDetails
                    {
                        RollbackReason = r.RollbackReason,
                        RollbackStartTime = r.RollbackStartTime,
                        PercentageCompleteOnRollback = r.PercentageCompleteOnRollback,
                        InstancesToUpdateOnRollback = r.InstancesToUpdateOnRollback,
                        ProgressDetailsOnRollback = new InstanceRefreshProgressDetails
                        {
                            LivePoolProgress = new InstanceRefreshLivePoolProgress { PercentageComplete = r.PercentageCompleteOnRollback, InstancesToUpdate = r.InstancesToUpdateOnRollback },
                        },
                    },
                    ProgressDetails = new InstanceRefreshProgressDetails
                    {
                        LivePoolProgress = new InstanceRefreshLivePoolProgress { PercentageComplete = percent, InstancesToUpdate = r.Remaining.Count },
                    },
                };
            }).ToList(),
            NextToken = next,
        };
    }

    public override async Task<CancelInstanceRefreshAnswer> CancelInstanceRefreshAsync(RequestContext context, CancelInstanceRefreshType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var active = group.InstanceRefreshes.FirstOrDefault(r => r.Status is "Pending" or "InProgress" or "Baking")
            ?? throw new AwsException("ActiveInstanceRefreshNotFound", $"No in progress or pending Instance Refresh found for Auto Scaling group {group.Name}");
        active.Status = "Cancelled";
        active.StatusReason = "Cancelled due to user request.";
        active.EndTime = context.Now;
        AutoScalingController.RestorePreviousConfiguration(group, active);
        await SaveAsync(context, group).ConfigureAwait(false);
        return new CancelInstanceRefreshAnswer { InstanceRefreshId = active.Id };
    }

    public override async Task<RollbackInstanceRefreshAnswer> RollbackInstanceRefreshAsync(RequestContext context, RollbackInstanceRefreshType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var active = group.InstanceRefreshes.FirstOrDefault(r => r.Status is "Pending" or "InProgress" or "Baking")
            ?? throw new AwsException("ActiveInstanceRefreshNotFound", $"No in progress or pending Instance Refresh found for Auto Scaling group {group.Name}");
        if (!active.HasDesiredConfiguration)
        {
            throw new AwsException("IrreversibleInstanceRefresh", "The instance refresh cannot be rolled back because it was started without a desired configuration.");
        }
        if (Reversible(active.PreviousLaunchTemplate, active.PreviousMixedInstancesPolicy, active.PreviousLaunchConfigurationName) is { } why)
        {
            throw new AwsException("IrreversibleInstanceRefresh", $"The instance refresh cannot be rolled back: {why}");
        }
        AutoScalingController.StartRollback(group, active, "Rollback requested by the user.", context.Now);
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new RollbackInstanceRefreshAnswer { InstanceRefreshId = active.Id };
    }
}
