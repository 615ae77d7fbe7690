using Stratus.Core;
using Stratus.Domain.AutoScaling;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;
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
        if (group.InstanceRefreshes.Any(r => r.Status is "Pending" or "InProgress" or "Cancelling" or "RollbackInProgress"))
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
        if (preferences?.AlarmSpecification is not null)
        {
            throw AwsErrors.NotImplemented("StartInstanceRefresh with alarms");
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
        if (request.DesiredConfiguration is { } desired)
        {
            if (desired.MixedInstancesPolicy is not null)
            {
                throw AwsErrors.NotImplemented("StartInstanceRefresh with a desired MixedInstancesPolicy");
            }
            if (desired.LaunchTemplate is { } template)
            {
                group.LaunchTemplate = await ResolveTemplateAsync(context, template).ConfigureAwait(false);
                group.LaunchConfigurationName = null;
                group.MixedInstancesPolicy = null;
            }
        }
        var skipMatching = preferences?.SkipMatching ?? false;
        var current = group.MixedInstancesPolicy?.LaunchTemplate ?? group.LaunchTemplate;
        var remaining = group.Instances
            .Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState))
            .Where(i => !skipMatching || current is null || i.LaunchTemplate?.LaunchTemplateId != current.LaunchTemplateId || (current.Version is { } v && !v.StartsWith('$') && i.LaunchTemplate?.Version != v))
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
            DesiredLaunchTemplate = group.LaunchTemplate,
            PreviousLaunchTemplate = previousTemplate,
            PreviousLaunchConfigurationName = previousConfiguration,
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
                        AutoRollback = false,
                        ScaleInProtectedInstances = "Ignore",
                        StandbyInstances = "Ignore",
                    },
                    DesiredConfiguration = r.DesiredLaunchTemplate is { } t
                        ? new DesiredConfiguration { LaunchTemplate = new LaunchTemplateSpecification { LaunchTemplateId = t.LaunchTemplateId, LaunchTemplateName = t.LaunchTemplateName, Version = t.Version } }
                        : null,
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
        var active = group.InstanceRefreshes.FirstOrDefault(r => r.Status is "Pending" or "InProgress")
            ?? throw new AwsException("ActiveInstanceRefreshNotFound", $"No in progress or pending Instance Refresh found for Auto Scaling group {group.Name}");
        active.Status = "Cancelled";
        active.StatusReason = "Cancelled due to user request.";
        active.EndTime = context.Now;
        await SaveAsync(context, group).ConfigureAwait(false);
        return new CancelInstanceRefreshAnswer { InstanceRefreshId = active.Id };
    }

    public override async Task<RollbackInstanceRefreshAnswer> RollbackInstanceRefreshAsync(RequestContext context, RollbackInstanceRefreshType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var active = group.InstanceRefreshes.FirstOrDefault(r => r.Status is "Pending" or "InProgress")
            ?? throw new AwsException("ActiveInstanceRefreshNotFound", $"No in progress or pending Instance Refresh found for Auto Scaling group {group.Name}");
        if (active.PreviousLaunchTemplate is null && active.PreviousLaunchConfigurationName is null)
        {
            throw new AwsException("IrreversibleInstanceRefresh", "The instance refresh cannot be rolled back: the group had no launch template or launch configuration to return to.");
        }
        group.LaunchTemplate = active.PreviousLaunchTemplate;
        group.LaunchConfigurationName = active.PreviousLaunchConfigurationName;
        // Replace the instances already moved to the new configuration.
        active.Remaining = group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) && !active.Remaining.Contains(i.InstanceId)).Select(i => i.InstanceId).ToList();
        active.InstancesToUpdate = active.Remaining.Count;
        active.Status = "RollbackInProgress";
        active.StatusReason = "Rollback requested by the user.";
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new RollbackInstanceRefreshAnswer { InstanceRefreshId = active.Id };
    }
}
