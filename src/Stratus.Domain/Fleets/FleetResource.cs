using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;

namespace Stratus.Domain.Fleets;

/// <summary>Which API made a fleet: Spot Fleet (<c>sfr-…</c>) or EC2 Fleet (<c>fleet-…</c>).</summary>
public enum FleetKind
{
    SpotFleet,
    Ec2Fleet,
}

/// <summary>The fleet types (<c>FleetType</c>): <c>request</c> launches its target once, <c>maintain</c> keeps it, <c>instant</c> (EC2 Fleet) launches once, synchronously.</summary>
public static class FleetTypes
{
    public const string Request = "request";
    public const string Maintain = "maintain";
    public const string Instant = "instant";
}

/// <summary>
/// Fleet states, in Spot Fleet's words (<c>BatchState</c>); EC2 Fleet says <c>deleted</c> for
/// <c>cancelled</c> (<see cref="Fleets.StateName"/>).
/// </summary>
public static class FleetStates
{
    public const string Submitted = "submitted";
    public const string Active = "active";
    public const string Modifying = "modifying";
    public const string CancelledRunning = "cancelled_running";
    public const string CancelledTerminating = "cancelled_terminating";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";

    public static bool IsCancelled(string state) => state is CancelledRunning or CancelledTerminating or Cancelled;
}

/// <summary><c>ActivityStatus</c> / <c>FleetActivityStatus</c>.</summary>
public static class FleetActivityStatuses
{
    public const string Error = "error";
    public const string PendingFulfillment = "pending_fulfillment";
    public const string PendingTermination = "pending_termination";
    public const string Fulfilled = "fulfilled";
}

/// <summary>How a fleet chooses its pools (Spot Fleet's spelling; EC2 Fleet's kebab-case names map onto these).</summary>
public enum FleetAllocationStrategy
{
    LowestPrice,
    Diversified,
    CapacityOptimized,
    CapacityOptimizedPrioritized,
    PriceCapacityOptimized,

    /// <summary>On-demand only: the pools in order of their <c>Priority</c>.</summary>
    Prioritized,
}

/// <summary>
/// One pool a fleet may launch into: a launch specification (or launch template with one
/// override) resolved into a <see cref="LaunchSpec"/>, its instance type and zone, and what the
/// fleet weighs it by.
/// </summary>
public sealed record FleetPool
{
    public required int Index { get; init; }
    public required string InstanceType { get; init; }
    public required string AvailabilityZone { get; init; }
    public string? SubnetId { get; init; }

    /// <summary>How many units of target capacity one instance of this pool counts for (1 when not given).</summary>
    public double WeightedCapacity { get; init; } = 1;
    public double? Priority { get; init; }

    /// <summary>The maximum Spot price per instance hour for this pool (the override's, else the fleet's); null means the on-demand price.</summary>
    public string? MaxPrice { get; init; }

    /// <summary>The launch (one instance) in the domain's terms.</summary>
    public required LaunchSpec Launch { get; init; }

    /// <summary>Where the pool came from: the launch specification or launch template config, and the override in it.</summary>
    public int ConfigIndex { get; init; }
    public int? OverrideIndex { get; init; }

    /// <summary>Whether the pool's weight/priority/instance type were given explicitly (for Describe echoes).</summary>
    public bool WeightGiven { get; init; }
}

/// <summary>An instance a fleet launched and still counts.</summary>
public sealed class FleetMember
{
    public required string InstanceId { get; init; }
    public required int PoolIndex { get; init; }
    public required string InstanceType { get; init; }

    /// <summary><c>spot</c> or <c>on-demand</c>.</summary>
    public required string Lifecycle { get; init; }
    public string? SpotInstanceRequestId { get; init; }
    public required double Weight { get; init; }
    public required DateTime LaunchTime { get; init; }

    /// <summary>The instance's health as the fleet last saw it: <c>healthy</c> or <c>unhealthy</c>.</summary>
    public string Health { get; set; } = "healthy";
}

/// <summary>A history record (DescribeSpotFleetRequestHistory, DescribeFleetHistory).</summary>
public sealed class FleetEvent
{
    public required DateTime Timestamp { get; init; }

    /// <summary>Spot Fleet's <c>EventType</c>: <c>fleetRequestChange</c>, <c>instanceChange</c>, <c>error</c>, <c>information</c>.</summary>
    public required string EventType { get; init; }
    public required string SubType { get; init; }
    public string? InstanceId { get; init; }
    public string? Description { get; init; }
}

/// <summary>A launch a fleet could not make (EC2 Fleet's <c>Errors</c>).</summary>
public sealed class FleetLaunchError
{
    public required int PoolIndex { get; init; }
    public required string Lifecycle { get; init; }
    public required string Code { get; init; }
    public required string Message { get; init; }
}

/// <summary>Spot Fleet's and EC2 Fleet's event types, in Spot Fleet's spelling.</summary>
public static class FleetEventTypes
{
    public const string FleetRequestChange = "fleetRequestChange";
    public const string InstanceChange = "instanceChange";
    public const string Error = "error";
    public const string Information = "information";
}

/// <summary>A Spot Fleet request or an EC2 Fleet of an account's region, as the control plane keeps it.</summary>
public sealed class FleetResource : ITaggable
{
    public required string Id { get; init; }
    public required FleetKind Kind { get; init; }
    public required string Type { get; init; }
    public required string State { get; set; }
    public string ActivityStatus { get; set; } = FleetActivityStatuses.PendingFulfillment;
    public required DateTime CreateTime { get; init; }

    /// <summary>Total target capacity, in units of <see cref="FleetPool.WeightedCapacity"/>.</summary>
    public required int TargetCapacity { get; set; }

    /// <summary>The part of <see cref="TargetCapacity"/> that is on-demand.</summary>
    public int OnDemandTargetCapacity { get; set; }

    /// <summary>EC2 Fleet: the explicit spot target and the default type for capacity not otherwise assigned.</summary>
    public int? SpotTargetCapacity { get; set; }
    public string DefaultTargetCapacityType { get; init; } = "spot";
    public string? TargetCapacityUnitType { get; init; }

    public FleetAllocationStrategy SpotAllocationStrategy { get; init; } = FleetAllocationStrategy.LowestPrice;
    public FleetAllocationStrategy OnDemandAllocationStrategy { get; init; } = FleetAllocationStrategy.LowestPrice;

    /// <summary>The allocation strategies as the request spelled them (for Describe).</summary>
    public string? SpotAllocationStrategyName { get; init; }
    public string? OnDemandAllocationStrategyName { get; init; }
    public int? InstancePoolsToUseCount { get; init; }
    public string? SpotPrice { get; init; }
    public string? SpotMaxTotalPrice { get; init; }
    public string? OnDemandMaxTotalPrice { get; init; }
    public int? SpotMinTargetCapacity { get; init; }
    public int? OnDemandMinTargetCapacity { get; init; }
    public bool SpotSingleInstanceType { get; init; }
    public bool SpotSingleAvailabilityZone { get; init; }
    public bool OnDemandSingleInstanceType { get; init; }
    public bool OnDemandSingleAvailabilityZone { get; init; }

    /// <summary>Whether capacity above the target is terminated (Spot Fleet <c>default</c>, EC2 Fleet <c>termination</c>).</summary>
    public bool TerminateExcess { get; set; } = true;

    /// <summary>Whether the request gave an excess capacity termination policy (Describe shows it only then).</summary>
    public bool ExcessPolicyGiven { get; set; }
    public bool TerminateInstancesWithExpiration { get; init; }
    public bool ReplaceUnhealthyInstances { get; init; }
    public string InstanceInterruptionBehavior { get; init; } = "terminate";
    public DateTime? ValidFrom { get; init; }
    public DateTime? ValidUntil { get; init; }
    public string? IamFleetRole { get; init; }
    public string? ClientToken { get; init; }
    public string? Context { get; init; }

    /// <summary>The request's configuration as the client sent it, kept as JSON for Describe.</summary>
    public string? ConfigJson { get; set; }

    public List<FleetPool> Pools { get; init; } = [];
    public List<FleetMember> Instances { get; init; } = [];
    public List<FleetEvent> History { get; init; } = [];
    public List<FleetLaunchError> Errors { get; init; } = [];

    /// <summary>
    /// Request fleets: the capacity launched so far less what the fleet itself terminated. A
    /// request fleet launches until this reaches its target and never replaces what it lost.
    /// </summary>
    public double LaunchedCapacity { get; set; }
    public double LaunchedOnDemandCapacity { get; set; }

    /// <summary>When the fleet last evaluated its instances (DescribeSpotFleetRequestHistory's <c>LastEvaluatedTime</c>).</summary>
    public DateTime LastEvaluatedTime { get; set; }

    /// <summary>Whether the fleet has reported its target as fulfilled since the last change (so the event is written once).</summary>
    public bool FulfilledReported { get; set; }
    public List<Tag> Tags { get; init; } = [];

    public double FulfilledCapacity => Instances.Sum(i => i.Weight);
    public double FulfilledOnDemandCapacity => Instances.Where(i => i.Lifecycle == FleetLifecycles.OnDemand).Sum(i => i.Weight);

    /// <summary>The target of the spot part: what is not on-demand.</summary>
    public int SpotTarget => Math.Max(0, TargetCapacity - OnDemandTargetCapacity);
}

/// <summary>An instance's purchase option in a fleet (<c>InstanceLifecycle</c>).</summary>
public static class FleetLifecycles
{
    public const string Spot = "spot";
    public const string OnDemand = "on-demand";
}
