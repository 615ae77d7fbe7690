using System.Globalization;
using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;
using AutoScalingGroup = Stratus.Domain.AutoScaling.AutoScalingGroup;
using DomainHook = Stratus.Domain.AutoScaling.LifecycleHook;
using DomainLaunchTemplates = Stratus.Domain.LaunchTemplates.LaunchTemplates;
using Errors = Stratus.Domain.AutoScaling.AutoScalingErrors;
using Groups = Stratus.Domain.AutoScaling.AutoScalingGroups;
using WireSuspendedProcess = Stratus.Services.Model.AutoScaling.SuspendedProcess;

namespace Stratus.Server.AutoScaling;

/// <summary>
/// Amazon EC2 Auto Scaling (query protocol) over the domain in src/Stratus.Domain/AutoScaling:
/// handlers change what is desired in the group document inside the request's transaction and
/// wake <see cref="AutoScalingController"/> once it commits (<see cref="Changed"/>); the controller
/// launches, registers, drains and terminates real instances.
/// </summary>
internal sealed partial class AutoScalingService(AutoScalingController controller, Stratus.Domain.AutoScaling.Policies.IPolicyAlarms policyAlarms, Policies.ScheduledActionRunner schedule, Policies.ScalingSignals signals,
    ServerOptions options) : AutoScalingServiceBase<RequestContext>, IAwsService
{
    private static readonly string[] ProcessNames =
        ["Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification", "AZRebalance", "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"];

    private static readonly string[] AdjustmentTypeNames = ["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"];

    private static readonly string[] NotificationTypes =
        ["autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "autoscaling:EC2_INSTANCE_TERMINATE", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR", "autoscaling:TEST_NOTIFICATION"];

    private static readonly string[] MetricNames =
        ["GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances",
         "GroupInServiceCapacity", "GroupPendingCapacity", "GroupStandbyCapacity", "GroupTerminatingCapacity", "GroupTotalCapacity"];

    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(AutoScalingService));

    ServiceInfo IAwsService.Model => AutoScalingShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    /// <summary>Wakes the controller once the request's transaction has committed.</summary>
    private void Changed(RequestContext context) => context.AfterCommit(() => { controller.Wake(); return Task.CompletedTask; });

    private static Task SaveAsync(RequestContext context, AutoScalingGroup group) => Groups.SaveAsync(context.Transaction, context.Scope, group, context.Cancellation);

    private static Task<AutoScalingGroup> RequireGroupAsync(RequestContext context, string? name) => Groups.RequireAsync(context.Store, context.Scope, name, context.Cancellation);

    // ---------------------------------------------------------------- groups

    public override async Task CreateAutoScalingGroupAsync(RequestContext context, CreateAutoScalingGroupType request)
    {
        var name = CheckName(request.AutoScalingGroupName, "autoScalingGroupName");
        if (await Groups.GetAsync(context.Store, context.Scope, name, context.Cancellation).ConfigureAwait(false) is not null)
        {
            throw Errors.AlreadyExists($"AutoScalingGroup by this name already exists - A group with the name {name} already exists");
        }
        var existing = await context.Store.ListAsync(context.AccountId, context.Region, AutoScalingTypes.Group.Name, context.Cancellation).ConfigureAwait(false);
        if (existing.Count >= Groups.MaxGroups)
        {
            throw Errors.LimitExceeded($"You have reached your limit of {Groups.MaxGroups} Auto Scaling groups.");
        }
        var sources = (request.LaunchTemplate is null ? 0 : 1) + (request.LaunchConfigurationName is null ? 0 : 1) + (request.MixedInstancesPolicy is null ? 0 : 1) + (request.InstanceId is null ? 0 : 1);
        if (sources != 1)
        {
            throw Errors.Validation("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.");
        }
        if (request.InstanceId is not null)
        {
            throw AwsErrors.NotImplemented("CreateAutoScalingGroup with InstanceId");
        }
        var min = request.MinSize ?? throw Errors.Validation("1 validation error detected: Value null at 'minSize' failed to satisfy constraint: Member must not be null");
        var max = request.MaxSize ?? throw Errors.Validation("1 validation error detected: Value null at 'maxSize' failed to satisfy constraint: Member must not be null");
        var desired = request.DesiredCapacity ?? min;
        Groups.CheckSizes(min, max, desired);

        var now = context.Now;
        var group = new AutoScalingGroup
        {
            Name = name,
            Arn = Groups.ArnFor(context.Scope, name),
            CreatedTime = now,
            MinSize = min,
            MaxSize = max,
            DesiredCapacity = desired,
            DefaultCooldown = request.DefaultCooldown ?? 300,
            DefaultInstanceWarmup = request.DefaultInstanceWarmup,
            HealthCheckGracePeriod = request.HealthCheckGracePeriod ?? 0,
            HealthCheckType = CheckHealthCheckType(request.HealthCheckType) ?? "EC2",
            TerminationPolicies = CheckTerminationPolicies(request.TerminationPolicies) ?? ["Default"],
            NewInstancesProtectedFromScaleIn = request.NewInstancesProtectedFromScaleIn ?? false,
            CapacityRebalance = request.CapacityRebalance ?? false,
            MaxInstanceLifetime = CheckMaxInstanceLifetime(request.MaxInstanceLifetime),
            PlacementGroup = request.PlacementGroup,
            ServiceLinkedRoleArn = request.ServiceLinkedRoleARN ?? $"arn:aws:iam::{context.AccountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            Context = request.Context,
            DesiredCapacityType = request.DesiredCapacityType,
            LastScalingTime = null,
            PendingCause = $"At {Groups.Iso(now)} a user request created an AutoScalingGroup changing the desired capacity from 0 to {desired}.",
        };
        await ApplyLaunchSourceAsync(context, group, request.LaunchTemplate, request.LaunchConfigurationName, request.MixedInstancesPolicy).ConfigureAwait(false);
        await ApplyPlacementAsync(context, group, request.VPCZoneIdentifier, request.AvailabilityZones, creating: true).ConfigureAwait(false);
        foreach (var tag in request.Tags ?? [])
        {
            UpsertTag(group, tag, name);
        }
        var targetGroups = (request.TargetGroupARNs ?? []).Select(a => new TrafficSourceIdentifier { Identifier = a, Type = "elbv2" })
            .Concat(request.TrafficSources ?? []).ToList();
        await AddTrafficSourcesAsync(context, group, targetGroups).ConfigureAwait(false);
        if (request.LoadBalancerNames is { Count: > 0 })
        {
            throw Errors.Validation("Provided Load Balancers may not be valid. Please ensure they exist and try again.");
        }
        foreach (var spec in request.LifecycleHookSpecificationList ?? [])
        {
            PutHook(group, spec.LifecycleHookName, spec.LifecycleTransition, spec.HeartbeatTimeout, spec.DefaultResult, spec.NotificationMetadata, spec.NotificationTargetARN, spec.RoleARN);
        }
        if (request.ServiceLinkedRoleARN is null)
        {
            // The account's AWSServiceRoleForAutoScaling appears with its first group, as in AWS.
            await Domain.Iam.ServiceLinkedRoles.EnsureAsync(context.Transaction, context.AccountId, "autoscaling.amazonaws.com", now, context.Cancellation)
                .ConfigureAwait(false);
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    public override async Task UpdateAutoScalingGroupAsync(RequestContext context, UpdateAutoScalingGroupType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (group.Status is not null)
        {
            throw Errors.InProgress($"The Auto Scaling group '{group.Name}' is being deleted.");
        }
        if (request.LaunchTemplate is not null || request.LaunchConfigurationName is not null || request.MixedInstancesPolicy is not null)
        {
            var count = (request.LaunchTemplate is null ? 0 : 1) + (request.LaunchConfigurationName is null ? 0 : 1) + (request.MixedInstancesPolicy is null ? 0 : 1);
            if (count > 1)
            {
                throw Errors.Validation("Valid requests must contain either LaunchTemplate, LaunchConfigurationName or MixedInstancesPolicy parameter.");
            }
            group.LaunchTemplate = null;
            group.LaunchConfigurationName = null;
            group.MixedInstancesPolicy = null;
            await ApplyLaunchSourceAsync(context, group, request.LaunchTemplate, request.LaunchConfigurationName, request.MixedInstancesPolicy).ConfigureAwait(false);
        }
        var min = request.MinSize ?? group.MinSize;
        var max = request.MaxSize ?? group.MaxSize;
        var desired = request.DesiredCapacity ?? Math.Clamp(group.DesiredCapacity, min, Math.Max(min, max));
        Groups.CheckSizes(min, max, desired);
        var previous = group.DesiredCapacity;
        group.MinSize = min;
        group.MaxSize = max;
        if (desired != previous)
        {
            group.DesiredCapacity = desired;
            Groups.ChangeDesiredCapacity(group, desired, Groups.UpdateCause(context.Now, group, previous), context.Now);
        }
        group.DefaultCooldown = request.DefaultCooldown ?? group.DefaultCooldown;
        group.DefaultInstanceWarmup = request.DefaultInstanceWarmup ?? group.DefaultInstanceWarmup;
        group.HealthCheckGracePeriod = request.HealthCheckGracePeriod ?? group.HealthCheckGracePeriod;
        group.HealthCheckType = CheckHealthCheckType(request.HealthCheckType) ?? group.HealthCheckType;
        group.TerminationPolicies = CheckTerminationPolicies(request.TerminationPolicies) ?? group.TerminationPolicies;
        group.NewInstancesProtectedFromScaleIn = request.NewInstancesProtectedFromScaleIn ?? group.NewInstancesProtectedFromScaleIn;
        group.CapacityRebalance = request.CapacityRebalance ?? group.CapacityRebalance;
        group.MaxInstanceLifetime = request.MaxInstanceLifetime is null ? group.MaxInstanceLifetime : CheckMaxInstanceLifetime(request.MaxInstanceLifetime);
        group.PlacementGroup = request.PlacementGroup ?? group.PlacementGroup;
        group.ServiceLinkedRoleArn = request.ServiceLinkedRoleARN ?? group.ServiceLinkedRoleArn;
        group.Context = request.Context ?? group.Context;
        group.DesiredCapacityType = request.DesiredCapacityType ?? group.DesiredCapacityType;
        if (request.VPCZoneIdentifier is not null || request.AvailabilityZones is not null)
        {
            await ApplyPlacementAsync(context, group, request.VPCZoneIdentifier, request.AvailabilityZones, creating: false).ConfigureAwait(false);
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    public override async Task DeleteAutoScalingGroupAsync(RequestContext context, DeleteAutoScalingGroupType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (group.Status is not null)
        {
            return;
        }
        if (request.ForceDelete != true)
        {
            if (group.Instances.Count > 0)
            {
                throw Errors.ResourceInUse("You cannot delete an AutoScalingGroup while there are instances still in the group.");
            }
            if (group.Activities.Any(a => !ActivityStatus.IsDone(a.StatusCode)))
            {
                throw Errors.InProgress("You cannot delete an AutoScalingGroup while there are scaling activities in progress.");
            }
            if (group.DesiredCapacity == 0)
            {
                var alarms = await Groups.DeleteAsync(context.Transaction, context.Scope, group.Name, context.Cancellation).ConfigureAwait(false);
                var scope = context.Scope;
                context.AfterCommit(async () =>
                {
                    schedule.Wake();
                    if (alarms.Count > 0)
                    {
                        await policyAlarms.DeleteAsync(scope, alarms, CancellationToken.None).ConfigureAwait(false);
                    }
                });
                Changed(context);
                return;
            }
        }
        group.Status = "Delete in progress";
        group.MinSize = 0;
        group.DesiredCapacity = 0;
        foreach (var instance in group.Instances)
        {
            instance.ProtectedFromScaleIn = false;
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    public override async Task<AutoScalingGroupsType> DescribeAutoScalingGroupsAsync(RequestContext context, AutoScalingGroupNamesType request)
    {
        var names = request.AutoScalingGroupNames;
        var max = CheckMaxRecords(request.MaxRecords, 100);
        IEnumerable<AutoScalingGroup> groups = await Groups.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        if (names is { Count: > 0 })
        {
            var wanted = names.ToHashSet(StringComparer.Ordinal);
            groups = groups.Where(g => wanted.Contains(g.Name));
        }
        foreach (var filter in request.Filters ?? [])
        {
            var values = filter.Values ?? [];
            groups = filter.Name switch
            {
                "tag-key" => groups.Where(g => g.Tags.Any(t => values.Contains(t.Key))),
                "tag-value" => groups.Where(g => g.Tags.Any(t => values.Contains(t.Value))),
                { } f when f.StartsWith("tag:", StringComparison.Ordinal) => groups.Where(g => g.Tags.Any(t => t.Key == f[4..] && values.Contains(t.Value))),
                _ => throw Errors.Validation($"Filter {filter.Name} is not supported. Supported filters: tag-key, tag-value, tag:<key>."),
            };
        }
        var (page, next) = Page(groups.OrderBy(g => g.Name, StringComparer.Ordinal).ToList(), g => g.Name, request.NextToken, max);
        var include = request.IncludeInstances ?? true;
        return new AutoScalingGroupsType { AutoScalingGroups = page.Select(g => ToShape(g, include)).ToList(), NextToken = next };
    }

    public override async Task SetDesiredCapacityAsync(RequestContext context, SetDesiredCapacityType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var desired = request.DesiredCapacity ?? throw Errors.Validation("1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null");
        await Groups.SetDesiredCapacityAsync(context.Transaction, context.Scope, group.Name, desired, Groups.UserRequestCause(context.Now, group.DesiredCapacity, desired), context.Now,
            request.HonorCooldown ?? false, context.Cancellation).ConfigureAwait(false);
        Changed(context);
    }

    // ---------------------------------------------------------------- activities and instances

    public override async Task<ActivitiesType> DescribeScalingActivitiesAsync(RequestContext context, DescribeScalingActivitiesType request)
    {
        var max = CheckMaxRecords(request.MaxRecords, 100);
        List<AutoScalingGroup> groups;
        if (request.AutoScalingGroupName is { Length: > 0 } name)
        {
            groups = await Groups.GetAsync(context.Store, context.Scope, name, context.Cancellation).ConfigureAwait(false) is { } g ? [g] : [];
        }
        else
        {
            groups = await Groups.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        }
        IEnumerable<ScalingActivity> activities = groups.SelectMany(g => g.Activities);
        if (request.ActivityIds is { Count: > 0 } ids)
        {
            activities = activities.Where(a => ids.Contains(a.ActivityId));
        }
        foreach (var filter in request.Filters ?? [])
        {
            var values = filter.Values ?? [];
            activities = filter.Name switch
            {
                "StatusCode" => activities.Where(a => values.Contains(a.StatusCode)),
                _ => throw Errors.Validation($"Filter {filter.Name} is not supported."),
            };
        }
        var ordered = activities.OrderByDescending(a => a.StartTime).ThenBy(a => a.ActivityId, StringComparer.Ordinal).ToList();
        var (page, next) = Page(ordered, a => a.ActivityId, request.NextToken, max, ordinalKeys: false);
        var byName = groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        return new ActivitiesType { Activities = page.Select(a => ToShape(a, byName.GetValueOrDefault(a.AutoScalingGroupName))).ToList(), NextToken = next };
    }

    public override async Task<AutoScalingInstancesType> DescribeAutoScalingInstancesAsync(RequestContext context, DescribeAutoScalingInstancesType request)
    {
        var max = CheckMaxRecords(request.MaxRecords, 50);
        var groups = await Groups.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        IEnumerable<(AutoScalingGroup Group, GroupInstance Instance)> all = groups.SelectMany(g => g.Instances.Select(i => (g, i)));
        if (request.InstanceIds is { Count: > 0 } ids)
        {
            all = all.Where(p => ids.Contains(p.Instance.InstanceId));
        }
        var (page, next) = Page(all.OrderBy(p => p.Instance.InstanceId, StringComparer.Ordinal).ToList(), p => p.Instance.InstanceId, request.NextToken, max);
        return new AutoScalingInstancesType
        {
            AutoScalingInstances = page.Select(p => new AutoScalingInstanceDetails
            {
                AutoScalingGroupName = p.Group.Name,
                AvailabilityZone = p.Instance.AvailabilityZone,
                HealthStatus = HealthText(p.Instance.HealthStatus),
                InstanceId = p.Instance.InstanceId,
                InstanceType = p.Instance.InstanceType,
                LaunchConfigurationName = p.Instance.LaunchConfigurationName,
                LaunchTemplate = ToShape(p.Instance.LaunchTemplate),
                LifecycleState = p.Instance.LifecycleState,
                ProtectedFromScaleIn = p.Instance.ProtectedFromScaleIn,
                WeightedCapacity = p.Instance.WeightedCapacity?.ToString(CultureInfo.InvariantCulture),
            }).ToList(),
            NextToken = next,
        };
    }

    public override async Task<ActivityType> TerminateInstanceInAutoScalingGroupAsync(RequestContext context, TerminateInstanceInAutoScalingGroupType request)
    {
        var instanceId = request.InstanceId ?? throw Errors.Validation("1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null");
        var decrement = request.ShouldDecrementDesiredCapacity ?? throw Errors.Validation("1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null");
        var (group, instance) = await FindManagedInstanceAsync(context, instanceId).ConfigureAwait(false);
        var now = context.Now;
        var capacity = group.CurrentCapacity;
        if (LifecycleStates.IsTerminating(instance.LifecycleState))
        {
            var running = group.Activities.FirstOrDefault(a => a.ActivityId == instance.ActivityId) ?? group.Activities.First();
            return new ActivityType { Activity = ToShape(running, group) };
        }
        string cause;
        if (decrement)
        {
            if (group.DesiredCapacity - 1 < group.MinSize)
            {
                throw Errors.Validation($"Currently, desiredSize equals minSize ({group.MinSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.");
            }
            group.DesiredCapacity--;
            group.LastScalingTime = now;
            cause = $"At {Groups.Iso(now)} instance {instanceId} was taken out of service in response to a user request, shrinking the capacity from {capacity} to {group.DesiredCapacity}.";
        }
        else
        {
            cause = $"At {Groups.Iso(now)} instance {instanceId} was taken out of service in response to a user request.";
        }
        AutoScalingController.BeginExit(group, instance, cause, now, terminate: true);
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new ActivityType { Activity = ToShape(group.Activities.First(a => a.ActivityId == instance.ActivityId), group) };
    }

    public override async Task SetInstanceHealthAsync(RequestContext context, SetInstanceHealthQuery request)
    {
        var instanceId = request.InstanceId ?? throw Errors.Validation("1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null");
        var status = request.HealthStatus switch
        {
            "Healthy" or "Unhealthy" => request.HealthStatus,
            _ => throw Errors.Validation($"Health status {request.HealthStatus} is not valid. Valid values: Healthy, Unhealthy."),
        };
        var (group, instance) = await FindManagedInstanceAsync(context, instanceId).ConfigureAwait(false);
        if (request.ShouldRespectGracePeriod == true && context.Now < instance.LaunchTime.AddSeconds(group.HealthCheckGracePeriod))
        {
            return;
        }
        instance.HealthStatus = status;
        if (status == "Unhealthy")
        {
            instance.ExitCause = $"At {Groups.Iso(context.Now)} an instance was taken out of service in response to a user health-check.";
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    public override async Task<SetInstanceProtectionAnswer> SetInstanceProtectionAsync(RequestContext context, SetInstanceProtectionQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var protect = request.ProtectedFromScaleIn ?? throw Errors.Validation("1 validation error detected: Value null at 'protectedFromScaleIn' failed to satisfy constraint: Member must not be null");
        foreach (var id in request.InstanceIds ?? [])
        {
            var instance = group.Instances.FirstOrDefault(i => i.InstanceId == id) ?? throw Errors.Validation($"The instance {id} is not part of Auto Scaling group {group.Name}.");
            instance.ProtectedFromScaleIn = protect;
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        return new SetInstanceProtectionAnswer();
    }

    public override async Task AttachInstancesAsync(RequestContext context, AttachInstancesQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var ids = (request.InstanceIds ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (group.CurrentCapacity + ids.Count > group.MaxSize)
        {
            throw Errors.Validation($"AutoScalingGroup: {group.Name} has max-size: {group.MaxSize}, current capacity: {group.CurrentCapacity}, desired capacity: {group.DesiredCapacity}, pending attachments: {ids.Count}. Attaching instances would exceed the group's max-size.");
        }
        var now = context.Now;
        foreach (var id in ids)
        {
            var ec2 = await context.Store.GetAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, id, context.Cancellation).ConfigureAwait(false);
            if (ec2 is null || ec2.State != InstanceStates.Running)
            {
                throw Errors.Validation($"Instance {id} is not in correct state. It must be in running state.");
            }
            if (ec2.Tags.FirstOrDefault(t => t.Key == Groups.GroupNameTag) is { } tag)
            {
                throw Errors.Validation($"The instance {id} is already part of the Auto Scaling group {tag.Value}.");
            }
            if (group.SubnetZones.Count > 0 && !group.SubnetZones.ContainsValue(ec2.AvailabilityZone))
            {
                throw Errors.Validation($"Instance {id} is not in one of the Availability Zones of the Auto Scaling group {group.Name}.");
            }
            await SetGroupTagAsync(context, id, group.Name).ConfigureAwait(false);
            var instance = AutoScalingController.NewGroupInstance(group, ec2, now);
            var capacity = group.CurrentCapacity;
            group.DesiredCapacity++;
            var activity = Groups.StartActivity(group, $"Attaching an existing EC2 instance: {id}",
                $"At {Groups.Iso(now)} an instance was added in response to user request. Keeping the capacity at the new {capacity + 1}.", now,
                details: AutoScalingController.Details(ec2.SubnetId, ec2.AvailabilityZone));
            instance.ActivityId = activity.ActivityId;
            group.Instances.Add(instance);
        }
        group.LastScalingTime = now;
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    public override async Task<DetachInstancesAnswer> DetachInstancesAsync(RequestContext context, DetachInstancesQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var decrement = request.ShouldDecrementDesiredCapacity ?? throw Errors.Validation("1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null");
        var ids = (request.InstanceIds ?? []).Distinct(StringComparer.Ordinal).ToList();
        var instances = ids.Select(id => group.Instances.FirstOrDefault(i => i.InstanceId == id && !LifecycleStates.IsTerminating(i.LifecycleState) && i.LifecycleState != LifecycleStates.Detaching)
            ?? throw Errors.Validation($"The instance {id} is not part of Auto Scaling group {group.Name}.")).ToList();
        if (decrement && group.DesiredCapacity - instances.Count < group.MinSize)
        {
            throw Errors.Validation($"Detaching {instances.Count} instance(s) with decrement would violate the group's min size constraint (min size {group.MinSize}).");
        }
        var now = context.Now;
        var activities = new List<Activity>();
        foreach (var instance in instances)
        {
            var capacity = group.CurrentCapacity;
            if (decrement)
            {
                group.DesiredCapacity--;
            }
            var cause = decrement
                ? $"At {Groups.Iso(now)} instance {instance.InstanceId} was detached in response to a user request, shrinking the capacity from {capacity} to {capacity - 1}."
                : $"At {Groups.Iso(now)} instance {instance.InstanceId} was detached in response to a user request.";
            AutoScalingController.BeginExit(group, instance, cause, now, terminate: false);
            await SetGroupTagAsync(context, instance.InstanceId, null).ConfigureAwait(false);
            activities.Add(ToShape(group.Activities.First(a => a.ActivityId == instance.ActivityId), group));
        }
        group.LastScalingTime = now;
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new DetachInstancesAnswer { Activities = activities };
    }

    public override async Task<EnterStandbyAnswer> EnterStandbyAsync(RequestContext context, EnterStandbyQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var decrement = request.ShouldDecrementDesiredCapacity ?? throw Errors.Validation("1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null");
        var now = context.Now;
        var activities = new List<Activity>();
        var ids = (request.InstanceIds ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (decrement && group.DesiredCapacity - ids.Count < group.MinSize)
        {
            throw Errors.Validation($"AutoScalingGroup {group.Name} has min-size={group.MinSize}, max-size={group.MaxSize}, and desired-size={group.DesiredCapacity}. To place into standby {ids.Count} instances, please update the AutoScalingGroup sizes appropriately.");
        }
        foreach (var id in ids)
        {
            var instance = group.Instances.FirstOrDefault(i => i.InstanceId == id) ?? throw Errors.Validation($"The instance {id} is not part of Auto Scaling group {group.Name}.");
            if (instance.LifecycleState != LifecycleStates.InService)
            {
                throw Errors.Validation($"The instance {id} is not in InService.");
            }
            var capacity = group.CurrentCapacity;
            if (decrement)
            {
                group.DesiredCapacity--;
            }
            instance.LifecycleState = LifecycleStates.EnteringStandby;
            var activity = Groups.StartActivity(group, $"Moving EC2 instance to Standby: {id}",
                decrement
                    ? $"At {Groups.Iso(now)} instance {id} was moved to standby in response to a user request, shrinking the capacity from {capacity} to {capacity - 1}."
                    : $"At {Groups.Iso(now)} instance {id} was moved to standby in response to a user request.", now,
                details: AutoScalingController.Details(instance.SubnetId, instance.AvailabilityZone));
            instance.ActivityId = activity.ActivityId;
            activities.Add(ToShape(activity, group));
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new EnterStandbyAnswer { Activities = activities };
    }

    public override async Task<ExitStandbyAnswer> ExitStandbyAsync(RequestContext context, ExitStandbyQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var now = context.Now;
        var activities = new List<Activity>();
        var ids = (request.InstanceIds ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (group.DesiredCapacity + ids.Count > group.MaxSize)
        {
            throw Errors.Validation($"AutoScalingGroup {group.Name} has min-size={group.MinSize}, max-size={group.MaxSize}, and desired-size={group.DesiredCapacity}. To move out of standby {ids.Count} instances, please update the AutoScalingGroup sizes appropriately.");
        }
        foreach (var id in ids)
        {
            var instance = group.Instances.FirstOrDefault(i => i.InstanceId == id) ?? throw Errors.Validation($"The instance {id} is not part of Auto Scaling group {group.Name}.");
            if (instance.LifecycleState != LifecycleStates.Standby)
            {
                throw Errors.Validation($"The instance {id} is not in Standby.");
            }
            var capacity = group.CurrentCapacity;
            group.DesiredCapacity++;
            instance.LifecycleState = LifecycleStates.Pending;
            var activity = Groups.StartActivity(group, $"Moving EC2 instance out of Standby: {id}",
                $"At {Groups.Iso(now)} instance {id} was moved out of standby in response to a user request, increasing the capacity from {capacity} to {capacity + 1}.", now,
                details: AutoScalingController.Details(instance.SubnetId, instance.AvailabilityZone));
            instance.ActivityId = activity.ActivityId;
            activities.Add(ToShape(activity, group));
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new ExitStandbyAnswer { Activities = activities };
    }

    // ---------------------------------------------------------------- processes

    public override Task<ProcessesType> DescribeScalingProcessTypesAsync(RequestContext context) =>
        Task.FromResult(new ProcessesType { Processes = ProcessNames.Select(p => new ProcessType { ProcessName = p }).ToList() });

    public override async Task SuspendProcessesAsync(RequestContext context, ScalingProcessQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var processes = request.ScalingProcesses is { Count: > 0 } p ? CheckProcesses(p) : ProcessNames;
        foreach (var process in processes.Where(p => !group.IsSuspended(p)))
        {
            group.SuspendedProcesses.Add(new Domain.AutoScaling.SuspendedProcess(process, $"User suspended at {Groups.Iso(context.Now)}"));
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    public override async Task ResumeProcessesAsync(RequestContext context, ScalingProcessQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var processes = request.ScalingProcesses is { Count: > 0 } p ? CheckProcesses(p) : ProcessNames;
        group.SuspendedProcesses.RemoveAll(s => processes.Contains(s.ProcessName));
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
    }

    private static string[] CheckProcesses(List<string> processes) =>
        processes.Select(p => ProcessNames.Contains(p) ? p : throw Errors.Validation($"Invalid scaling process name: {p}. Valid values: {string.Join(", ", ProcessNames)}.")).ToArray();

    public override Task<DescribeMetricCollectionTypesAnswer> DescribeMetricCollectionTypesAsync(RequestContext context) =>
        Task.FromResult(new DescribeMetricCollectionTypesAnswer
        {
            Metrics = MetricNames.Select(m => new MetricCollectionType { Metric = m }).ToList(),
            Granularities = [new MetricGranularityType { Granularity = "1Minute" }],
        });

    public override async Task EnableMetricsCollectionAsync(RequestContext context, EnableMetricsCollectionQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (request.Granularity != "1Minute")
        {
            throw Errors.Validation($"Valid granularity values are: [1Minute]");
        }
        var metrics = request.Metrics is { Count: > 0 } m ? m : [.. MetricNames];
        foreach (var metric in metrics)
        {
            if (!MetricNames.Contains(metric))
            {
                throw Errors.Validation($"Invalid metric name: {metric}");
            }
            if (!group.EnabledMetrics.Contains(metric))
            {
                group.EnabledMetrics.Add(metric);
            }
        }
        await SaveAsync(context, group).ConfigureAwait(false);
    }

    public override async Task DisableMetricsCollectionAsync(RequestContext context, DisableMetricsCollectionQuery request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var metrics = request.Metrics is { Count: > 0 } m ? m : [.. MetricNames];
        group.EnabledMetrics.RemoveAll(metrics.Contains);
        await SaveAsync(context, group).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- reference data

    public override async Task<DescribeAccountLimitsAnswer> DescribeAccountLimitsAsync(RequestContext context)
    {
        var groups = await context.Store.ListAsync(context.AccountId, context.Region, AutoScalingTypes.Group.Name, context.Cancellation).ConfigureAwait(false);
        var configurations = await context.Store.ListAsync(context.AccountId, context.Region, AutoScalingTypes.LaunchConfiguration.Name, context.Cancellation).ConfigureAwait(false);
        return new DescribeAccountLimitsAnswer
        {
            MaxNumberOfAutoScalingGroups = Groups.MaxGroups,
            MaxNumberOfLaunchConfigurations = Groups.MaxLaunchConfigurations,
            NumberOfAutoScalingGroups = groups.Count,
            NumberOfLaunchConfigurations = configurations.Count,
        };
    }

    public override Task<DescribeAdjustmentTypesAnswer> DescribeAdjustmentTypesAsync(RequestContext context) =>
        Task.FromResult(new DescribeAdjustmentTypesAnswer
        {
            AdjustmentTypes = AdjustmentTypeNames.Select(t => new AdjustmentType { AdjustmentTypeValue = t }).ToList(),
        });

    public override Task<DescribeTerminationPolicyTypesAnswer> DescribeTerminationPolicyTypesAsync(RequestContext context) =>
        Task.FromResult(new DescribeTerminationPolicyTypesAnswer { TerminationPolicyTypes = [.. GroupPlacement.TerminationPolicyTypes] });

    public override Task<DescribeLifecycleHookTypesAnswer> DescribeLifecycleHookTypesAsync(RequestContext context) =>
        Task.FromResult(new DescribeLifecycleHookTypesAnswer { LifecycleHookTypes = [DomainHook.Launching, DomainHook.Terminating] });

    public override Task<DescribeAutoScalingNotificationTypesAnswer> DescribeAutoScalingNotificationTypesAsync(RequestContext context) =>
        Task.FromResult(new DescribeAutoScalingNotificationTypesAnswer { AutoScalingNotificationTypes = [.. NotificationTypes] });

    // ---------------------------------------------------------------- helpers

    private static string CheckName(string? name, string member)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw Errors.Validation($"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }
        if (name.Length > 255)
        {
            throw Errors.Validation($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 255");
        }
        return name;
    }

    private static int CheckMaxRecords(int? value, int fallback)
    {
        if (value is < 1 or > 100)
        {
            throw Errors.Validation($"1 validation error detected: Value '{value}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100");
        }
        return value ?? fallback;
    }

    private static string? CheckHealthCheckType(string? type) =>
        type is null or "EC2" or "ELB" or "VPC_LATTICE" or "EBS" ? type : throw Errors.Validation($"Health check type {type} is not valid. Valid values: EC2, ELB, VPC_LATTICE, EBS.");

    private static List<string>? CheckTerminationPolicies(List<string>? policies)
    {
        if (policies is not { Count: > 0 })
        {
            return null;
        }
        foreach (var policy in policies)
        {
            if (!GroupPlacement.TerminationPolicyTypes.Contains(policy) && !policy.StartsWith("arn:aws:lambda:", StringComparison.Ordinal))
            {
                throw Errors.Validation($"Termination policy {policy} is not valid.");
            }
        }
        return policies;
    }

    private static int? CheckMaxInstanceLifetime(int? seconds) =>
        seconds is null or 0 || seconds is >= 86400 and <= 31536000 ? (seconds == 0 ? null : seconds)
            : throw Errors.Validation("The maximum instance lifetime must be equal to 0, between 86400 and 31536000 seconds (inclusive).");

    /// <summary>Pages an ordered list by the key of its last item (the NextToken is that key, base64).</summary>
    private static (List<T> Page, string? Next) Page<T>(List<T> items, Func<T, string> key, string? token, int max, bool ordinalKeys = true)
    {
        var start = 0;
        if (token is { Length: > 0 })
        {
            string after;
            try
            {
                after = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
                throw Errors.Validation("The NextToken value is invalid.");
            }
            var index = items.FindIndex(i => key(i) == after);
            if (index < 0)
            {
                if (!ordinalKeys)
                {
                    throw Errors.Validation("The NextToken value is invalid.");
                }
                start = items.FindIndex(i => string.CompareOrdinal(key(i), after) > 0);
                start = start < 0 ? items.Count : start;
            }
            else
            {
                start = index + 1;
            }
        }
        var page = items.Skip(start).Take(max).ToList();
        var next = start + max < items.Count && page.Count > 0 ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key(page[^1]))) : null;
        return (page, next);
    }

    private static string HealthText(string status) => status == "Unhealthy" ? "UNHEALTHY" : "HEALTHY";

    /// <summary>The group and its record of an instance, found through the instance's group tag.</summary>
    private static async Task<(AutoScalingGroup Group, GroupInstance Instance)> FindManagedInstanceAsync(RequestContext context, string instanceId)
    {
        var ec2 = await context.Store.GetAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, instanceId, context.Cancellation).ConfigureAwait(false);
        var groupName = ec2?.Tags.FirstOrDefault(t => t.Key == Groups.GroupNameTag)?.Value;
        if (groupName is not null && await Groups.GetAsync(context.Store, context.Scope, groupName, context.Cancellation).ConfigureAwait(false) is { } group
            && group.Instances.FirstOrDefault(i => i.InstanceId == instanceId) is { } instance)
        {
            return (group, instance);
        }
        throw Errors.Validation($"Instance Id not found - No managed instance found for instance ID: {instanceId}");
    }

    /// <summary>Puts the group tag on an instance (or takes it off, <paramref name="groupName"/> null).</summary>
    private static async Task SetGroupTagAsync(RequestContext context, string instanceId, string? groupName)
    {
        var stored = await context.Store.GetAsync(new ResourceKey(context.AccountId, context.Region, ResourceTypes.Instance.Name, instanceId), context.Cancellation).ConfigureAwait(false);
        if (stored is null)
        {
            return;
        }
        var instance = JsonSerializer.Deserialize<InstanceResource>(stored.Document, ResourceStore.Json)!;
        instance.Tags.RemoveAll(t => t.Key == Groups.GroupNameTag);
        if (groupName is not null)
        {
            instance.Tags.Add(new Domain.Resources.Tag(Groups.GroupNameTag, groupName));
        }
        await context.Transaction.PutDocumentAsync(stored, JsonSerializer.Serialize(instance, ResourceStore.Json), context.Cancellation).ConfigureAwait(false);
    }

    /// <summary>Resolves and validates the group's launch template, launch configuration or mixed instances policy.</summary>
    private static async Task ApplyLaunchSourceAsync(RequestContext context, AutoScalingGroup group, LaunchTemplateSpecification? template, string? configuration, MixedInstancesPolicy? mixed)
    {
        if (template is not null)
        {
            group.LaunchTemplate = await ResolveTemplateAsync(context, template).ConfigureAwait(false);
        }
        else if (configuration is not null)
        {
            if (await context.Store.GetAsync<LaunchConfigurationResource>(context.Scope, AutoScalingTypes.LaunchConfiguration, configuration, context.Cancellation).ConfigureAwait(false) is null)
            {
                throw Errors.Validation($"Launch configuration name not found - Launch configuration {configuration} not found");
            }
            group.LaunchConfigurationName = configuration;
        }
        else if (mixed is not null)
        {
            var spec = mixed.LaunchTemplate?.LaunchTemplateSpecification ?? throw Errors.Validation("A launch template must be specified in the mixed instances policy.");
            var distribution = mixed.InstancesDistribution;
            var overrides = new List<InstanceTypeOverride>();
            foreach (var o in mixed.LaunchTemplate.Overrides ?? [])
            {
                if (o.InstanceType is not null && o.InstanceRequirements is not null)
                {
                    throw Errors.Validation("You can specify either an instance type or instance requirements in a launch template override, but not both.");
                }
                Domain.Fleets.InstanceRequirementsSpec? requirements = null;
                if (o.InstanceType is null)
                {
                    requirements = o.InstanceRequirements is { } r ? ToRequirements(r) : throw Errors.Validation("An instance type must be specified in each launch template override.");
                    if (Domain.Fleets.InstanceRequirementsMatcher.Match(requirements, context.Region).Count == 0)
                    {
                        throw Errors.Validation("No instance types match the specified instance requirements.");
                    }
                }
                else if (Domain.Compute.InstanceTypes.InstanceTypeCatalog.Find(o.InstanceType) is null)
                {
                    throw Errors.Validation($"Invalid instance type: {o.InstanceType}");
                }
                int? weight = null;
                if (o.WeightedCapacity is { } w)
                {
                    weight = int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= 999
                        ? parsed : throw Errors.Validation($"WeightedCapacity {w} is not valid: it must be an integer from 1 to 999.");
                }
                overrides.Add(new InstanceTypeOverride(o.InstanceType, weight, o.LaunchTemplateSpecification is { } lts ? await ResolveTemplateAsync(context, lts).ConfigureAwait(false) : null, requirements));
            }
            if (overrides.Count(o => o.WeightedCapacity is not null) is > 0 and var n && n != overrides.Count)
            {
                throw Errors.Validation("When you specify weights, you must specify them for every instance type override.");
            }
            if (distribution?.OnDemandPercentageAboveBaseCapacity is < 0 or > 100)
            {
                throw Errors.Validation("OnDemandPercentageAboveBaseCapacity must be between 0 and 100.");
            }
            if (overrides.Any(o => o.Requirements is not null) && overrides.Any(o => o.InstanceType is not null))
            {
                throw Errors.Validation("You cannot mix instance types and instance requirements in the overrides of a mixed instances policy.");
            }
            if (distribution?.OnDemandAllocationStrategy is { } odStrategy && odStrategy is not ("prioritized" or "lowest-price"))
            {
                throw Errors.Validation($"Unsupported OnDemandAllocationStrategy: {odStrategy}. Valid values are prioritized, lowest-price.");
            }
            if (distribution?.SpotAllocationStrategy is { } spotStrategy
                && spotStrategy is not ("lowest-price" or "capacity-optimized" or "capacity-optimized-prioritized" or "price-capacity-optimized"))
            {
                throw Errors.Validation($"Unsupported SpotAllocationStrategy: {spotStrategy}. Valid values are lowest-price, capacity-optimized, capacity-optimized-prioritized, price-capacity-optimized.");
            }
            if (distribution?.SpotInstancePools is { } poolCount && (poolCount is < 1 or > 20 || distribution.SpotAllocationStrategy != "lowest-price"))
            {
                throw Errors.Validation(poolCount is < 1 or > 20
                    ? "SpotInstancePools must be between 1 and 20."
                    : "SpotInstancePools is only valid with the lowest-price Spot allocation strategy.");
            }
            if (distribution?.SpotMaxPrice is { Length: > 0 } maxPrice && Domain.Spot.SpotPriceModel.Parse(maxPrice) is null)
            {
                throw Errors.Validation($"Invalid SpotMaxPrice: {maxPrice}");
            }
            if (distribution?.OnDemandBaseCapacity is < 0)
            {
                throw Errors.Validation("OnDemandBaseCapacity must not be negative.");
            }
            group.MixedInstancesPolicy = new MixedInstances
            {
                LaunchTemplate = await ResolveTemplateAsync(context, spec).ConfigureAwait(false),
                Overrides = overrides,
                OnDemandAllocationStrategy = distribution?.OnDemandAllocationStrategy ?? "prioritized",
                OnDemandBaseCapacity = distribution?.OnDemandBaseCapacity ?? 0,
                OnDemandPercentageAboveBaseCapacity = distribution?.OnDemandPercentageAboveBaseCapacity ?? 100,
                SpotAllocationStrategy = distribution?.SpotAllocationStrategy ?? "price-capacity-optimized",
                SpotInstancePools = distribution?.SpotInstancePools ?? (distribution?.SpotAllocationStrategy == "lowest-price" ? 2 : null),
                SpotMaxPrice = distribution?.SpotMaxPrice is { Length: > 0 } price ? price : null,
            };
        }
    }

    private static async Task<GroupLaunchTemplate> ResolveTemplateAsync(RequestContext context, LaunchTemplateSpecification spec)
    {
        if ((spec.LaunchTemplateId is null) == (spec.LaunchTemplateName is null))
        {
            throw Errors.Validation("You must specify either launch template ID or launch template name in the request, but not both.");
        }
        try
        {
            var template = await DomainLaunchTemplates.GetAsync(context.Store, context.Scope, spec.LaunchTemplateId, spec.LaunchTemplateName, context.Cancellation).ConfigureAwait(false);
            _ = DomainLaunchTemplates.GetVersion(template, spec.Version);
            return new GroupLaunchTemplate(template.Id, template.Name, spec.Version ?? "$Default");
        }
        catch (AwsException e) when (e.Code != "ValidationError")
        {
            throw Errors.Validation($"You must use a valid fully-formed launch template. {e.Message}");
        }
    }

    /// <summary>Resolves VPCZoneIdentifier (subnets, their zones) or, without it, the zones' default subnets.</summary>
    private static async Task ApplyPlacementAsync(RequestContext context, AutoScalingGroup group, string? vpcZoneIdentifier, List<string>? zones, bool creating)
    {
        var subnetIds = (vpcZoneIdentifier ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        var subnets = new List<SubnetResource>();
        if (subnetIds.Count > 0)
        {
            foreach (var id in subnetIds)
            {
                subnets.Add(await context.Store.GetAsync<SubnetResource>(context.Scope, ResourceTypes.Subnet, id, context.Cancellation).ConfigureAwait(false)
                    ?? throw Errors.Validation($"The subnet ID '{id}' does not exist"));
            }
            if (subnets.Select(s => s.VpcId).Distinct(StringComparer.Ordinal).Count() > 1)
            {
                throw Errors.Validation("The subnets specified must all be in the same VPC.");
            }
            if (zones is { Count: > 0 } && subnets.Any(s => !zones.Contains(s.AvailabilityZone)))
            {
                throw Errors.Validation("The availability zones of the specified subnets and the Auto Scaling group do not match");
            }
        }
        else if (zones is { Count: > 0 })
        {
            var all = await context.Store.ListAsync<SubnetResource>(context.Scope, ResourceTypes.Subnet, context.Cancellation).ConfigureAwait(false);
            foreach (var zone in zones.Distinct(StringComparer.Ordinal))
            {
                subnets.Add(all.FirstOrDefault(s => s.DefaultForAz && s.AvailabilityZone == zone)
                    ?? throw Errors.Validation($"No default subnet for availability zone: '{zone}'"));
            }
        }
        else if (creating)
        {
            throw Errors.Validation("At least one Availability Zone or VPC Subnet is required.");
        }
        else
        {
            return;
        }
        group.Subnets = subnets.Select(s => s.Id).ToList();
        group.SubnetZones = subnets.ToDictionary(s => s.Id, s => s.AvailabilityZone, StringComparer.Ordinal);
        group.AvailabilityZones = subnets.Select(s => s.AvailabilityZone).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private static void UpsertTag(AutoScalingGroup group, Stratus.Services.Model.AutoScaling.Tag tag, string groupName)
    {
        var key = tag.Key ?? throw Errors.Validation("1 validation error detected: Value null at 'tags.member.key' failed to satisfy constraint: Member must not be null");
        if (key.StartsWith("aws:", StringComparison.Ordinal))
        {
            throw Errors.Validation("Tag keys starting with 'aws:' are reserved for internal use");
        }
        if (tag.ResourceId is { } id && id != groupName)
        {
            throw Errors.Validation($"AutoScalingGroup name not found - AutoScalingGroup {id} not found");
        }
        group.Tags.RemoveAll(t => t.Key == key);
        group.Tags.Add(new GroupTag(key, tag.Value ?? "", tag.PropagateAtLaunch ?? false));
        if (group.Tags.Count > 50)
        {
            throw Errors.LimitExceeded("The number of tags exceeds the limit of 50 tags per Auto Scaling group.");
        }
    }

    private static Activity ToShape(ScalingActivity a, AutoScalingGroup? group) => new()
    {
        ActivityId = a.ActivityId,
        AutoScalingGroupName = a.AutoScalingGroupName,
        AutoScalingGroupARN = a.AutoScalingGroupArn,
        AutoScalingGroupState = group?.Status,
        Cause = a.Cause,
        Description = a.Description,
        Details = a.Details,
        StartTime = a.StartTime,
        EndTime = a.EndTime,
        StatusCode = a.StatusCode,
        StatusMessage = a.StatusMessage,
        Progress = a.Progress,
    };

    private static LaunchTemplateSpecification? ToShape(GroupLaunchTemplate? t) =>
        t is null ? null : new LaunchTemplateSpecification { LaunchTemplateId = t.LaunchTemplateId, LaunchTemplateName = t.LaunchTemplateName, Version = t.Version };

    private static MixedInstancesPolicy ToShape(MixedInstances m) => new()
    {
        LaunchTemplate = new Stratus.Services.Model.AutoScaling.LaunchTemplate
        {
            LaunchTemplateSpecification = ToShape(m.LaunchTemplate),
            Overrides = m.Overrides.Select(o => new LaunchTemplateOverrides
            {
                InstanceType = o.InstanceType,
                InstanceRequirements = o.Requirements is { } r ? ToShape(r) : null,
                WeightedCapacity = o.WeightedCapacity?.ToString(CultureInfo.InvariantCulture),
                LaunchTemplateSpecification = ToShape(o.LaunchTemplate),
            }).ToList(),
        },
        InstancesDistribution = new InstancesDistribution
        {
            OnDemandAllocationStrategy = m.OnDemandAllocationStrategy,
            OnDemandBaseCapacity = m.OnDemandBaseCapacity,
            OnDemandPercentageAboveBaseCapacity = m.OnDemandPercentageAboveBaseCapacity,
            SpotAllocationStrategy = m.SpotAllocationStrategy,
            SpotInstancePools = m.SpotInstancePools,
            SpotMaxPrice = m.SpotMaxPrice,
        },
    };

    private static Stratus.Services.Model.AutoScaling.AutoScalingGroup ToShape(AutoScalingGroup g, bool includeInstances) => new()
    {
        AutoScalingGroupName = g.Name,
        AutoScalingGroupARN = g.Arn,
        CreatedTime = g.CreatedTime,
        LaunchTemplate = ToShape(g.LaunchTemplate),
        LaunchConfigurationName = g.LaunchConfigurationName,
        MixedInstancesPolicy = g.MixedInstancesPolicy is { } m ? ToShape(m) : null,
        MinSize = g.MinSize,
        MaxSize = g.MaxSize,
        DesiredCapacity = g.DesiredCapacity,
        DefaultCooldown = g.DefaultCooldown,
        DefaultInstanceWarmup = g.DefaultInstanceWarmup,
        AvailabilityZones = g.AvailabilityZones,
        LoadBalancerNames = g.LoadBalancerNames,
        TargetGroupARNs = g.TrafficSources.Where(t => t.Type == "elbv2").Select(t => t.Identifier).ToList(),
        TrafficSources = g.TrafficSources.Select(t => new TrafficSourceIdentifier { Identifier = t.Identifier, Type = t.Type }).ToList(),
        HealthCheckType = g.HealthCheckType,
        HealthCheckGracePeriod = g.HealthCheckGracePeriod,
        Instances = includeInstances ? g.Instances.Where(i => !LifecycleStates.IsWarmed(i.LifecycleState)).Select(ToWireInstance).ToList() : null,
        WarmPoolConfiguration = ToShape(g.WarmPool),
        WarmPoolSize = g.WarmPool is null ? null : g.Instances.Count(i => LifecycleStates.CountsTowardsWarmPool(i.LifecycleState)),
        SuspendedProcesses = g.SuspendedProcesses.Select(p => new WireSuspendedProcess { ProcessName = p.ProcessName, SuspensionReason = p.SuspensionReason }).ToList(),
        VPCZoneIdentifier = string.Join(',', g.Subnets),
        EnabledMetrics = g.EnabledMetrics.Select(m => new EnabledMetric { Metric = m, Granularity = "1Minute" }).ToList(),
        Status = g.Status,
        Tags = g.Tags.Select(t => new TagDescription { Key = t.Key, Value = t.Value, PropagateAtLaunch = t.PropagateAtLaunch, ResourceId = g.Name, ResourceType = "auto-scaling-group" }).ToList(),
        TerminationPolicies = g.TerminationPolicies,
        NewInstancesProtectedFromScaleIn = g.NewInstancesProtectedFromScaleIn,
        ServiceLinkedRoleARN = g.ServiceLinkedRoleArn,
        MaxInstanceLifetime = g.MaxInstanceLifetime,
        CapacityRebalance = g.CapacityRebalance,
        Context = g.Context,
        DesiredCapacityType = g.DesiredCapacityType,
        PlacementGroup = g.PlacementGroup,
    };

    private static Domain.Fleets.InstanceRequirementsSpec ToRequirements(InstanceRequirements r)
    {
        var vcpu = r.VCpuCount ?? throw Errors.Validation("1 validation error detected: Value null at 'mixedInstancesPolicy.launchTemplate.overrides.member.instanceRequirements.vCpuCount' failed to satisfy constraint: Member must not be null");
        var memory = r.MemoryMiB ?? throw Errors.Validation("1 validation error detected: Value null at 'mixedInstancesPolicy.launchTemplate.overrides.member.instanceRequirements.memoryMiB' failed to satisfy constraint: Member must not be null");
        if (vcpu.Min is not { } vmin || vmin < 0 || (vcpu.Max is { } vmax && vmax < vmin))
        {
            throw Errors.Validation("The VCpuCount range is invalid: Min must be at least 0 and no greater than Max.");
        }
        if (memory.Min is not { } mmin || mmin < 0 || (memory.Max is { } mmax && mmax < mmin))
        {
            throw Errors.Validation("The MemoryMiB range is invalid: Min must be at least 0 and no greater than Max.");
        }
        if (r.AllowedInstanceTypes is { Count: > 0 } && r.ExcludedInstanceTypes is { Count: > 0 })
        {
            throw Errors.Validation("You can specify either AllowedInstanceTypes or ExcludedInstanceTypes, but not both.");
        }
        return new Domain.Fleets.InstanceRequirementsSpec
        {
            VCpuMin = vmin,
            VCpuMax = vcpu.Max,
            MemoryMiBMin = mmin,
            MemoryMiBMax = memory.Max,
            MemoryGiBPerVCpuMin = r.MemoryGiBPerVCpu?.Min,
            MemoryGiBPerVCpuMax = r.MemoryGiBPerVCpu?.Max,
            AcceleratorCountMin = r.AcceleratorCount?.Min,
            AcceleratorCountMax = r.AcceleratorCount?.Max,
            AllowedInstanceTypes = r.AllowedInstanceTypes ?? [],
            ExcludedInstanceTypes = r.ExcludedInstanceTypes ?? [],
            InstanceGenerations = r.InstanceGenerations ?? [],
            CpuManufacturers = r.CpuManufacturers ?? [],
            BurstablePerformance = r.BurstablePerformance,
            BareMetal = r.BareMetal,
        };
    }

    private static InstanceRequirements ToShape(Domain.Fleets.InstanceRequirementsSpec r) => new()
    {
        VCpuCount = new VCpuCountRequest { Min = r.VCpuMin, Max = r.VCpuMax },
        MemoryMiB = new MemoryMiBRequest { Min = (int)r.MemoryMiBMin, Max = r.MemoryMiBMax is { } m ? (int)m : null },
        MemoryGiBPerVCpu = r.MemoryGiBPerVCpuMin is null && r.MemoryGiBPerVCpuMax is null ? null : new MemoryGiBPerVCpuRequest { Min = r.MemoryGiBPerVCpuMin, Max = r.MemoryGiBPerVCpuMax },
        AcceleratorCount = r.AcceleratorCountMin is null && r.AcceleratorCountMax is null ? null : new AcceleratorCountRequest { Min = r.AcceleratorCountMin, Max = r.AcceleratorCountMax },
        AllowedInstanceTypes = r.AllowedInstanceTypes.Count > 0 ? [.. r.AllowedInstanceTypes] : null,
        ExcludedInstanceTypes = r.ExcludedInstanceTypes.Count > 0 ? [.. r.ExcludedInstanceTypes] : null,
        InstanceGenerations = r.InstanceGenerations.Count > 0 ? [.. r.InstanceGenerations] : null,
        CpuManufacturers = r.CpuManufacturers.Count > 0 ? [.. r.CpuManufacturers] : null,
        BurstablePerformance = r.BurstablePerformance,
        BareMetal = r.BareMetal,
    };
}
