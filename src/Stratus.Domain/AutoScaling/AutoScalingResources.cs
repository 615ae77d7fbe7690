using Stratus.Domain.Resources;

namespace Stratus.Domain.AutoScaling;

/// <summary>The store types of Auto Scaling: groups (keyed by name) and launch configurations (keyed by name).</summary>
public static class AutoScalingTypes
{
    public static readonly ResourceType Group = new("autoscaling-group", "asg", "ValidationError", "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup '{0}' not found");
    public static readonly ResourceType LaunchConfiguration = new("launch-configuration", "lc", "ValidationError", "ValidationError", "Launch configuration name not found - Launch configuration {0} not found");
}

/// <summary>Lifecycle states of an instance in a group, as DescribeAutoScalingInstances names them.</summary>
public static class LifecycleStates
{
    public const string Pending = "Pending", PendingWait = "Pending:Wait", PendingProceed = "Pending:Proceed", InService = "InService";
    public const string Terminating = "Terminating", TerminatingWait = "Terminating:Wait", TerminatingProceed = "Terminating:Proceed", Terminated = "Terminated";
    public const string Detaching = "Detaching", Detached = "Detached", EnteringStandby = "EnteringStandby", Standby = "Standby";

    /// <summary>The states of an instance in the group's warm pool.</summary>
    public const string WarmedPending = "Warmed:Pending", WarmedPendingWait = "Warmed:Pending:Wait", WarmedPendingProceed = "Warmed:Pending:Proceed",
        WarmedTerminating = "Warmed:Terminating", WarmedTerminatingWait = "Warmed:Terminating:Wait", WarmedTerminatingProceed = "Warmed:Terminating:Proceed",
        WarmedStopped = "Warmed:Stopped", WarmedRunning = "Warmed:Running", WarmedHibernated = "Warmed:Hibernated";

    /// <summary>Whether the instance is in the warm pool (in any of its states).</summary>
    public static bool IsWarmed(string state) => state.StartsWith("Warmed:", StringComparison.Ordinal);

    /// <summary>A warm pool instance that has finished warming and can be taken into the group.</summary>
    public static bool IsWarmedReady(string state) => state is WarmedStopped or WarmedRunning or WarmedHibernated;

    /// <summary>Warm pool instances that count towards the pool's size (not leaving it).</summary>
    public static bool CountsTowardsWarmPool(string state) => IsWarmed(state) && !state.StartsWith(WarmedTerminating, StringComparison.Ordinal);

    /// <summary>The warm pool state an instance settles in for a pool state (Stopped, Running, Hibernated).</summary>
    public static string WarmedFor(string poolState) => poolState switch
    {
        "Running" => WarmedRunning,
        "Hibernated" => WarmedHibernated,
        _ => WarmedStopped,
    };

    /// <summary>States that count towards the group's capacity (not leaving it, not in standby).</summary>
    public static bool CountsTowardsCapacity(string state) => state is Pending or PendingWait or PendingProceed or InService;

    public static bool IsTerminating(string state) => state is Terminating or TerminatingWait or TerminatingProceed;
}

/// <summary>Activity status codes (DescribeScalingActivities' StatusCode).</summary>
public static class ActivityStatus
{
    public const string PendingSpotBidPlacement = "PendingSpotBidPlacement", WaitingForSpotInstanceRequestId = "WaitingForSpotInstanceRequestId",
        WaitingForInstanceId = "WaitingForInstanceId", PreInService = "PreInService", InProgress = "InProgress",
        WaitingForElbConnectionDraining = "WaitingForELBConnectionDraining", MidLifecycleAction = "MidLifecycleAction",
        WaitingForInstanceWarmup = "WaitingForInstanceWarmup", Successful = "Successful", Failed = "Failed", Cancelled = "Cancelled";

    public static bool IsDone(string code) => code is Successful or Failed or Cancelled;
}

/// <summary>The launch template a group (or an instance) uses: by id or name, and its version (<c>$Default</c> when none).</summary>
public sealed record GroupLaunchTemplate(string LaunchTemplateId, string LaunchTemplateName, string? Version);

/// <summary>
/// An instance type override of a mixed instances policy, with its weight; or, with
/// <see cref="Requirements"/> instead of a type, attribute-based selection (every type of the
/// catalog that meets them).
/// </summary>
public sealed record InstanceTypeOverride(string? InstanceType, int? WeightedCapacity, GroupLaunchTemplate? LaunchTemplate = null, Fleets.InstanceRequirementsSpec? Requirements = null);

/// <summary>
/// A warm pool: pre-initialised instances kept stopped, running or hibernated beside the group,
/// taken into the group first when it scales out.
/// </summary>
public sealed class WarmPool
{
    public int MinSize { get; set; }

    /// <summary>The most instances the group and its warm pool hold together; null: the group's MaxSize.</summary>
    public int? MaxGroupPreparedCapacity { get; set; }

    /// <summary>Stopped (default), Running or Hibernated.</summary>
    public string PoolState { get; set; } = "Stopped";
    public bool ReuseOnScaleIn { get; set; }

    /// <summary>PendingDelete once DeleteWarmPool was called, until its instances are gone.</summary>
    public string? Status { get; set; }

    /// <summary>DeleteWarmPool's ForceDelete: terminate without waiting for lifecycle actions.</summary>
    public bool ForceDelete { get; set; }

    /// <summary>
    /// How many instances the pool should hold for a group: the prepared capacity (or the group's
    /// maximum) less its desired capacity, at least <see cref="MinSize"/>.
    /// </summary>
    public int TargetSize(AutoScalingGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (Status is not null)
        {
            return 0;
        }
        var prepared = MaxGroupPreparedCapacity is { } p and >= 0 ? p : group.MaxSize;
        return Math.Max(MinSize, prepared - group.DesiredCapacity);
    }
}

/// <summary>A mixed instances policy: the template, overrides and the on-demand/spot distribution.</summary>
public sealed class MixedInstances
{
    public required GroupLaunchTemplate LaunchTemplate { get; set; }
    public List<InstanceTypeOverride> Overrides { get; set; } = [];
    public string? OnDemandAllocationStrategy { get; set; }
    public int OnDemandBaseCapacity { get; set; }
    public int OnDemandPercentageAboveBaseCapacity { get; set; } = 100;
    public string? SpotAllocationStrategy { get; set; }
    public int? SpotInstancePools { get; set; }
    public string? SpotMaxPrice { get; set; }
}

/// <summary>A group tag; PropagateAtLaunch tags go onto the instances it launches.</summary>
public sealed record GroupTag(string Key, string Value, bool PropagateAtLaunch);

/// <summary>A traffic source (an ELBv2 target group is <c>elbv2</c>) and its state with the group.</summary>
public sealed class TrafficSource
{
    public required string Identifier { get; init; }
    public string Type { get; init; } = "elbv2";

    /// <summary>Adding, Added, InService, Removing, Removed.</summary>
    public string State { get; set; } = "Adding";
}

/// <summary>A lifecycle hook.</summary>
public sealed class LifecycleHook
{
    public required string Name { get; init; }
    public required string Transition { get; set; }
    public int HeartbeatTimeout { get; set; } = 3600;
    public string DefaultResult { get; set; } = "ABANDON";
    public string? NotificationMetadata { get; set; }
    public string? NotificationTargetArn { get; set; }
    public string? RoleArn { get; set; }

    public const string Launching = "autoscaling:EC2_INSTANCE_LAUNCHING", Terminating = "autoscaling:EC2_INSTANCE_TERMINATING";
}

/// <summary>A notification configuration (accepted and described; Stratus has no SNS to deliver to).</summary>
public sealed record NotificationConfiguration(string TopicArn, string NotificationType);

/// <summary>A suspended process and why.</summary>
public sealed record SuspendedProcess(string ProcessName, string SuspensionReason);

/// <summary>One instance of a group and where it is in its lifecycle.</summary>
public sealed class GroupInstance
{
    public required string InstanceId { get; init; }
    public required string AvailabilityZone { get; init; }
    public string? SubnetId { get; init; }
    public required string InstanceType { get; init; }
    public string? ImageId { get; init; }
    public required string LifecycleState { get; set; }
    public string HealthStatus { get; set; } = "Healthy";
    public bool ProtectedFromScaleIn { get; set; }
    public GroupLaunchTemplate? LaunchTemplate { get; init; }
    public string? LaunchConfigurationName { get; init; }
    public int? WeightedCapacity { get; init; }
    public required DateTime LaunchTime { get; init; }

    /// <summary>When the instance became InService (health check grace period counts from launch).</summary>
    public DateTime? InServiceSince { get; set; }

    /// <summary>The activity that launches or terminates the instance, while it runs.</summary>
    public string? ActivityId { get; set; }

    /// <summary>The hook holding the instance (Pending:Wait or Terminating:Wait), its token, deadline and the result given.</summary>
    public string? HookName { get; set; }
    public string? HookToken { get; set; }
    public DateTime? HookDeadline { get; set; }
    public DateTime? HookGlobalDeadline { get; set; }
    public string? HookResult { get; set; }
    public List<string> HooksDone { get; set; } = [];

    /// <summary>Target groups the instance is registered with.</summary>
    public List<string> RegisteredWith { get; set; } = [];

    /// <summary>While terminating: when deregistration from the target groups started.</summary>
    public DateTime? DrainingSince { get; set; }

    /// <summary>Whether the instance is terminated when it leaves (false for DetachInstances).</summary>
    public bool TerminateOnExit { get; set; } = true;

    /// <summary>Why the instance is leaving, for the activity.</summary>
    public string? ExitCause { get; set; }

    /// <summary><c>spot</c> for a Spot Instance, null for on-demand.</summary>
    public string? Market { get; set; }

    /// <summary>The instance's Spot request (for its rebalance recommendation).</summary>
    public string? SpotInstanceRequestId { get; set; }

    /// <summary>Scale-in puts the instance back into the warm pool instead of terminating it (ReuseOnScaleIn).</summary>
    public bool ReturnToWarmPool { get; set; }

    /// <summary>A replacement is being launched for the instance (capacity rebalancing, maximum instance lifetime); it leaves once that one is in service.</summary>
    public string? ReplacementCause { get; set; }
}

/// <summary>A scaling activity as DescribeScalingActivities answers it.</summary>
public sealed class ScalingActivity
{
    public required string ActivityId { get; init; }
    public required string AutoScalingGroupName { get; init; }
    public string? AutoScalingGroupArn { get; init; }
    public required string Description { get; set; }
    public required string Cause { get; set; }
    public required DateTime StartTime { get; init; }
    public DateTime? EndTime { get; set; }
    public required string StatusCode { get; set; }
    public string? StatusMessage { get; set; }
    public int Progress { get; set; }
    public string Details { get; set; } = "{}";
}

/// <summary>An instance refresh and its progress.</summary>
public sealed class InstanceRefreshRecord
{
    public required string Id { get; init; }
    public required DateTime StartTime { get; init; }
    public DateTime? EndTime { get; set; }

    /// <summary>Pending, InProgress, Successful, Failed, Cancelling, Cancelled, RollbackInProgress, RollbackSuccessful, RollbackFailed.</summary>
    public string Status { get; set; } = "Pending";
    public string? StatusReason { get; set; }
    public int MinHealthyPercentage { get; set; } = 90;
    public int MaxHealthyPercentage { get; set; } = 100;
    public int InstanceWarmup { get; set; }
    public bool SkipMatching { get; set; }
    public int InstancesToUpdate { get; set; }

    /// <summary>Percentages of replaced instances at which the refresh pauses (CheckpointPercentages), and for how long (CheckpointDelay, seconds).</summary>
    public List<int> CheckpointPercentages { get; set; } = [];
    public int? CheckpointDelay { get; set; }

    /// <summary>Seconds to wait after the last replacement before the refresh succeeds (BakeTime); while <c>Baking</c>, until when.</summary>
    public int BakeTime { get; set; }
    public DateTime? BakeUntil { get; set; }

    /// <summary>While paused at a checkpoint: when it ends.</summary>
    public DateTime? CheckpointUntil { get; set; }

    /// <summary>The checkpoints reached so far.</summary>
    public List<int> CheckpointsReached { get; set; } = [];

    /// <summary>The instances the refresh still has to replace.</summary>
    public List<string> Remaining { get; set; } = [];

    /// <summary>The configuration the refresh moves to, and the one it started from (for a rollback).</summary>
    public GroupLaunchTemplate? DesiredLaunchTemplate { get; set; }
    public GroupLaunchTemplate? PreviousLaunchTemplate { get; set; }
    public string? PreviousLaunchConfigurationName { get; set; }

    /// <summary>Whether StartInstanceRefresh named a desired configuration (a rollback needs one); its mixed instances policy, and the group's before.</summary>
    public bool HasDesiredConfiguration { get; set; }
    public MixedInstances? DesiredMixedInstancesPolicy { get; set; }
    public MixedInstances? PreviousMixedInstancesPolicy { get; set; }

    /// <summary>Roll back (instead of failing) when the refresh fails or one of <see cref="AlarmNames"/> is in ALARM.</summary>
    public bool AutoRollback { get; set; }

    /// <summary>CloudWatch alarms watched while the refresh runs (Preferences.AlarmSpecification).</summary>
    public List<string> AlarmNames { get; set; } = [];

    /// <summary>Refresh, Ignore or Wait: what becomes of instances protected from scale in.</summary>
    public string ScaleInProtectedInstances { get; set; } = "Ignore";

    /// <summary>Terminate, Ignore or Wait: what becomes of instances in Standby.</summary>
    public string StandbyInstances { get; set; } = "Ignore";

    /// <summary>When a rollback started, why, and how many instances it had to replace then.</summary>
    public DateTime? RollbackStartTime { get; set; }
    public string? RollbackReason { get; set; }
    public int? InstancesToUpdateOnRollback { get; set; }
    public int? PercentageCompleteOnRollback { get; set; }
}

/// <summary>An Auto Scaling group, stored as one JSON document keyed by its name: configuration, instances and recent activities.</summary>
public sealed class AutoScalingGroup
{
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public required DateTime CreatedTime { get; init; }
    public GroupLaunchTemplate? LaunchTemplate { get; set; }
    public string? LaunchConfigurationName { get; set; }
    public MixedInstances? MixedInstancesPolicy { get; set; }
    public required int MinSize { get; set; }
    public required int MaxSize { get; set; }
    public required int DesiredCapacity { get; set; }
    public int DefaultCooldown { get; set; } = 300;
    public int? DefaultInstanceWarmup { get; set; }
    public List<string> AvailabilityZones { get; set; } = [];

    /// <summary>The subnets of VPCZoneIdentifier, in the order given.</summary>
    public List<string> Subnets { get; set; } = [];

    /// <summary>The zone of each subnet, resolved at create/update.</summary>
    public Dictionary<string, string> SubnetZones { get; set; } = [];
    public string HealthCheckType { get; set; } = "EC2";
    public int HealthCheckGracePeriod { get; set; }
    public List<string> TerminationPolicies { get; set; } = ["Default"];
    public bool NewInstancesProtectedFromScaleIn { get; set; }
    public bool CapacityRebalance { get; set; }
    public int? MaxInstanceLifetime { get; set; }
    public string? PlacementGroup { get; set; }
    public string? ServiceLinkedRoleArn { get; set; }
    public string? Context { get; set; }
    public string? DesiredCapacityType { get; set; }
    public List<TrafficSource> TrafficSources { get; set; } = [];
    public List<string> LoadBalancerNames { get; set; } = [];
    public List<SuspendedProcess> SuspendedProcesses { get; set; } = [];
    public List<GroupTag> Tags { get; set; } = [];
    public List<LifecycleHook> LifecycleHooks { get; set; } = [];
    public List<NotificationConfiguration> NotificationConfigurations { get; set; } = [];
    public List<string> EnabledMetrics { get; set; } = [];
    public List<GroupInstance> Instances { get; set; } = [];
    public WarmPool? WarmPool { get; set; }

    /// <summary>The most recent activities, newest first (at most <see cref="AutoScalingGroups.ActivitiesKept"/>).</summary>
    public List<ScalingActivity> Activities { get; set; } = [];
    public List<InstanceRefreshRecord> InstanceRefreshes { get; set; } = [];

    /// <summary>When the group last scaled (desired capacity changed or an activity ended): the start of its cooldown.</summary>
    public DateTime? LastScalingTime { get; set; }

    /// <summary>The cause of the latest capacity change, which the activities it leads to quote.</summary>
    public string? PendingCause { get; set; }

    /// <summary>Set by DeleteAutoScalingGroup: "Delete in progress" while the group drains its instances.</summary>
    public string? Status { get; set; }

    /// <summary>Launch failures in a row, for backing off.</summary>
    public int LaunchFailures { get; set; }
    public DateTime? NextLaunchAttempt { get; set; }

    public bool IsSuspended(string process) => SuspendedProcesses.Any(p => p.ProcessName == process);

    /// <summary>Target group ARNs (traffic sources of type elbv2) the group puts its instances behind.</summary>
    public IEnumerable<string> TargetGroupArns => TrafficSources.Where(t => t.Type == "elbv2" && t.State != "Removing").Select(t => t.Identifier);

    /// <summary>The instances that count towards capacity (weights when a mixed policy gives them).</summary>
    public int CurrentCapacity => Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState)).Sum(i => i.WeightedCapacity ?? 1);
}

/// <summary>A launch configuration (immutable once created).</summary>
public sealed class LaunchConfigurationResource
{
    public required string Name { get; init; }
    public required string Arn { get; init; }
    public required DateTime CreatedTime { get; init; }
    public required string ImageId { get; init; }
    public required string InstanceType { get; init; }
    public string? KeyName { get; init; }
    public List<string> SecurityGroups { get; init; } = [];
    public string? UserData { get; init; }
    public string? IamInstanceProfile { get; init; }
    public bool? AssociatePublicIpAddress { get; init; }
    public bool InstanceMonitoring { get; init; } = true;
    public bool EbsOptimized { get; init; }
    public string? PlacementTenancy { get; init; }
    public string? SpotPrice { get; init; }
    public string? KernelId { get; init; }
    public string? RamdiskId { get; init; }
    public string? MetadataHttpTokens { get; init; }
    public int? MetadataHopLimit { get; init; }
    public string? MetadataHttpEndpoint { get; init; }

    /// <summary>Block device mappings as JSON (kept to describe them back).</summary>
    public string? BlockDeviceMappingsJson { get; init; }
}
