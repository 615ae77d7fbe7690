using System.Globalization;

namespace Stratus.Domain.Fleets;

/// <summary>What a fleet must do after an evaluation.</summary>
public sealed record FleetPlan(double SpotNeed, double OnDemandNeed, IReadOnlyList<FleetMember> Terminate);

/// <summary>
/// The life of a Spot Fleet request or EC2 Fleet, as pure functions over <see cref="FleetResource"/>
/// (the controller reads instances and launches; these decide). States: <c>submitted</c> →
/// <c>active</c> ⇄ <c>modifying</c> → <c>cancelled_running</c> / <c>cancelled_terminating</c> →
/// <c>cancelled</c> (EC2 Fleet: <c>deleted…</c>).
/// </summary>
public static class Fleets
{
    /// <summary>The newest history records a fleet keeps.</summary>
    public const int MaxHistory = 2000;

    /// <summary>The state as the fleet's API names it (EC2 Fleet says <c>deleted</c> where Spot Fleet says <c>cancelled</c>).</summary>
    public static string StateName(FleetKind kind, string state) =>
        kind == FleetKind.Ec2Fleet ? state.Replace("cancelled", "deleted", StringComparison.Ordinal) : state;

    /// <summary>Adds a history record.</summary>
    public static void Record(FleetResource fleet, string type, string subType, DateTime now, string? instanceId = null, string? description = null)
    {
        fleet.History.Add(new FleetEvent { Timestamp = now, EventType = type, SubType = subType, InstanceId = instanceId, Description = description });
        if (fleet.History.Count > MaxHistory)
        {
            fleet.History.RemoveRange(0, fleet.History.Count - MaxHistory);
        }
    }

    /// <summary>Records an error or information event unless the last event of its kind said the same.</summary>
    public static void RecordOnce(FleetResource fleet, string type, string subType, DateTime now, string description)
    {
        var last = fleet.History.LastOrDefault(e => e.EventType == type);
        if (last is null || last.SubType != subType || last.Description != description)
        {
            Record(fleet, type, subType, now, description: description);
        }
    }

    /// <summary>A new fleet: <c>submitted</c>.</summary>
    public static void Submitted(FleetResource fleet, DateTime now)
    {
        fleet.State = FleetStates.Submitted;
        fleet.ActivityStatus = FleetActivityStatuses.PendingFulfillment;
        fleet.LastEvaluatedTime = now;
        Record(fleet, FleetEventTypes.FleetRequestChange, FleetStates.Submitted, now, description: Description(fleet));
    }

    private static string Description(FleetResource fleet) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"TargetCapacity\":{fleet.TargetCapacity},\"OnDemandTargetCapacity\":{fleet.OnDemandTargetCapacity}}}");

    /// <summary>
    /// Follows the fleet's instances: those that are gone, terminated, shutting down or stopped no
    /// longer count (an <c>instanceChange terminated</c> event each). <paramref name="stateOf"/>
    /// answers an instance's state, or null when it no longer exists.
    /// </summary>
    public static IReadOnlyList<FleetMember> Follow(FleetResource fleet, Func<string, string?> stateOf, DateTime now)
    {
        var gone = new List<FleetMember>();
        foreach (var member in fleet.Instances.ToList())
        {
            var state = stateOf(member.InstanceId);
            if (state is null or "shutting-down" or "terminated" or "stopping" or "stopped")
            {
                fleet.Instances.Remove(member);
                gone.Add(member);
                Record(fleet, FleetEventTypes.InstanceChange, "terminated", now, member.InstanceId,
                    $"{{\"instanceType\":\"{member.InstanceType}\",\"lifecycle\":\"{member.Lifecycle}\",\"state\":\"{state ?? "terminated"}\"}}");
            }
        }
        fleet.LastEvaluatedTime = now;
        return gone;
    }

    /// <summary>
    /// Moves the fleet on and says what to launch and terminate: a submitted fleet becomes active
    /// (or waits for <c>ValidFrom</c>); one past <c>ValidUntil</c> expires (its instances are
    /// terminated with <c>TerminateInstancesWithExpiration</c>); a modifying fleet settles; a fleet
    /// being cancelled terminates its instances, then is cancelled.
    /// </summary>
    public static FleetPlan Evaluate(FleetResource fleet, DateTime now)
    {
        var none = new FleetPlan(0, 0, []);
        if (fleet.State == FleetStates.Cancelled || fleet.State == FleetStates.Failed)
        {
            return none;
        }
        if (fleet.State == FleetStates.CancelledTerminating)
        {
            if (fleet.Instances.Count == 0)
            {
                Finish(fleet, now);
                return none;
            }
            return new FleetPlan(0, 0, [.. fleet.Instances]);
        }
        if (fleet.State == FleetStates.CancelledRunning)
        {
            if (fleet.Instances.Count == 0)
            {
                Finish(fleet, now);
            }
            return none;
        }
        if (fleet.ValidUntil is { } until && now >= until)
        {
            Record(fleet, FleetEventTypes.FleetRequestChange, "expired", now);
            if (fleet.TerminateInstancesWithExpiration && fleet.Instances.Count > 0)
            {
                SetState(fleet, FleetStates.CancelledTerminating, now);
                return new FleetPlan(0, 0, [.. fleet.Instances]);
            }
            SetState(fleet, fleet.Instances.Count > 0 ? FleetStates.CancelledRunning : FleetStates.Cancelled, now);
            return none;
        }
        if (fleet.ValidFrom is { } from && now < from)
        {
            return none;
        }
        if (fleet.State == FleetStates.Submitted)
        {
            SetState(fleet, FleetStates.Active, now);
        }
        // Excess capacity is what a lowered target leaves: it is terminated when the modification
        // settles. Capacity above the target from weights (the last instance launched for a need
        // smaller than its weight) stays, as on EC2.
        var settling = fleet.State == FleetStates.Modifying;
        if (settling)
        {
            SetState(fleet, FleetStates.Active, now);
            Record(fleet, FleetEventTypes.FleetRequestChange, "modify_succeeded", now, description: Description(fleet));
        }
        if (fleet.Type == FleetTypes.Instant)
        {
            return none;
        }
        var onDemandTarget = Math.Min(fleet.OnDemandTargetCapacity, fleet.TargetCapacity);
        var spotTarget = fleet.TargetCapacity - onDemandTarget;
        double spotHave, onDemandHave;
        if (fleet.Type == FleetTypes.Maintain)
        {
            onDemandHave = fleet.FulfilledOnDemandCapacity;
            spotHave = fleet.FulfilledCapacity - onDemandHave;
        }
        else
        {
            onDemandHave = fleet.LaunchedOnDemandCapacity;
            spotHave = fleet.LaunchedCapacity - onDemandHave;
        }
        var terminate = new List<FleetMember>();
        if (settling && fleet.TerminateExcess && fleet.FulfilledCapacity > fleet.TargetCapacity)
        {
            // Newest first, spot before on-demand within each excess, while the rest still covers the target.
            var capacity = fleet.FulfilledCapacity;
            var onDemand = fleet.FulfilledOnDemandCapacity;
            foreach (var member in fleet.Instances.OrderByDescending(m => m.LaunchTime).ThenByDescending(m => m.InstanceId, StringComparer.Ordinal))
            {
                var isOnDemand = member.Lifecycle == FleetLifecycles.OnDemand;
                var partTarget = isOnDemand ? onDemandTarget : spotTarget;
                var partHave = isOnDemand ? onDemand : capacity - onDemand;
                if (capacity - member.Weight >= fleet.TargetCapacity - 1e-9 && partHave - member.Weight >= partTarget - 1e-9)
                {
                    terminate.Add(member);
                    capacity -= member.Weight;
                    onDemand -= isOnDemand ? member.Weight : 0;
                }
            }
        }
        return new FleetPlan(Math.Max(0, spotTarget - spotHave), Math.Max(0, onDemandTarget - onDemandHave), terminate);
    }

    /// <summary>Counts a launched instance in (an <c>instanceChange launched</c> event).</summary>
    public static void Launched(FleetResource fleet, FleetMember member, DateTime now)
    {
        fleet.Instances.Add(member);
        fleet.LaunchedCapacity += member.Weight;
        if (member.Lifecycle == FleetLifecycles.OnDemand)
        {
            fleet.LaunchedOnDemandCapacity += member.Weight;
        }
        Record(fleet, FleetEventTypes.InstanceChange, "launched", now, member.InstanceId,
            $"{{\"instanceType\":\"{member.InstanceType}\",\"lifecycle\":\"{member.Lifecycle}\",\"weightedCapacity\":{member.Weight.ToString(CultureInfo.InvariantCulture)}}}");
    }

    /// <summary>Counts out instances the fleet itself terminates (excess capacity): a request fleet does not launch them again.</summary>
    public static void TerminatedByFleet(FleetResource fleet, IEnumerable<FleetMember> members)
    {
        foreach (var member in members)
        {
            fleet.LaunchedCapacity -= member.Weight;
            if (member.Lifecycle == FleetLifecycles.OnDemand)
            {
                fleet.LaunchedOnDemandCapacity -= member.Weight;
            }
        }
    }

    /// <summary>Sets the activity status after an evaluation (error when the last launch failed and the target is not met).</summary>
    public static void UpdateActivity(FleetResource fleet, bool launchFailed, DateTime now)
    {
        if (FleetStates.IsCancelled(fleet.State))
        {
            fleet.ActivityStatus = fleet.State == FleetStates.CancelledTerminating ? FleetActivityStatuses.PendingTermination
                : fleet.State == FleetStates.Cancelled ? FleetActivityStatuses.Fulfilled : fleet.ActivityStatus;
            return;
        }
        var capacity = fleet.Type == FleetTypes.Request ? Math.Max(fleet.FulfilledCapacity, fleet.LaunchedCapacity) : fleet.FulfilledCapacity;
        if (capacity >= fleet.TargetCapacity - 1e-9)
        {
            fleet.ActivityStatus = FleetActivityStatuses.Fulfilled;
            if (!fleet.FulfilledReported && fleet.State == FleetStates.Active)
            {
                fleet.FulfilledReported = true;
                Record(fleet, FleetEventTypes.FleetRequestChange, "progress", now, description: "The fleet has reached its target capacity.");
            }
        }
        else
        {
            fleet.ActivityStatus = launchFailed ? FleetActivityStatuses.Error : FleetActivityStatuses.PendingFulfillment;
            fleet.FulfilledReported = false;
        }
    }

    /// <summary>
    /// Cancels (deletes) the fleet: <c>cancelled_terminating</c> when its instances are to be
    /// terminated, else <c>cancelled_running</c> (<c>cancelled</c> at once when it has none).
    /// Returns the previous state.
    /// </summary>
    public static string Cancel(FleetResource fleet, bool terminateInstances, DateTime now)
    {
        var previous = fleet.State;
        var next = fleet.Instances.Count == 0 ? FleetStates.Cancelled
            : terminateInstances ? FleetStates.CancelledTerminating : FleetStates.CancelledRunning;
        SetState(fleet, next, now);
        if (next == FleetStates.Cancelled)
        {
            fleet.ActivityStatus = FleetActivityStatuses.Fulfilled;
        }
        return previous;
    }

    /// <summary>Starts a modification: new targets and policy; <c>modifying</c> until the next evaluation.</summary>
    public static void Modify(FleetResource fleet, int? targetCapacity, int? onDemandTargetCapacity, bool? terminateExcess, DateTime now)
    {
        if (targetCapacity is { } target)
        {
            fleet.TargetCapacity = target;
        }
        if (onDemandTargetCapacity is { } onDemand)
        {
            fleet.OnDemandTargetCapacity = onDemand;
        }
        if (terminateExcess is { } excess)
        {
            fleet.TerminateExcess = excess;
            fleet.ExcessPolicyGiven = true;
        }
        fleet.FulfilledReported = false;
        fleet.State = FleetStates.Modifying;
        Record(fleet, FleetEventTypes.FleetRequestChange, "modify_in_progress", now, description: Description(fleet));
    }

    private static void Finish(FleetResource fleet, DateTime now)
    {
        SetState(fleet, FleetStates.Cancelled, now);
        fleet.ActivityStatus = FleetActivityStatuses.Fulfilled;
    }

    private static void SetState(FleetResource fleet, string state, DateTime now)
    {
        if (fleet.State == state)
        {
            return;
        }
        fleet.State = state;
        Record(fleet, FleetEventTypes.FleetRequestChange, state, now);
    }

    /// <summary>Whether the fleet still needs the controller (anything but cancelled/failed).</summary>
    public static bool NeedsEvaluation(FleetResource fleet) => fleet.State is not (FleetStates.Cancelled or FleetStates.Failed);
}
