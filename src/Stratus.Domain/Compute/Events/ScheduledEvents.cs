using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Compute.Events;

/// <summary>The codes of EC2's scheduled instance events.</summary>
public static class EventCodes
{
    public const string InstanceReboot = "instance-reboot";
    public const string SystemReboot = "system-reboot";
    public const string SystemMaintenance = "system-maintenance";
    public const string InstanceRetirement = "instance-retirement";
    public const string InstanceStop = "instance-stop";

    public static IReadOnlyList<string> All { get; } = [InstanceReboot, SystemReboot, SystemMaintenance, InstanceRetirement, InstanceStop];
}

/// <summary>One scheduled (or past) event of an instance.</summary>
public sealed class InstanceEventRecord
{
    public required string Id { get; init; }
    public required string Code { get; init; }
    public required string Description { get; set; }
    public required DateTime NotBefore { get; set; }
    public required DateTime NotAfter { get; set; }
    public DateTime? NotBeforeDeadline { get; init; }
    public required DateTime CreatedAt { get; init; }

    /// <summary><c>active</c> while scheduled, <c>completed</c> or <c>canceled</c> once in the history.</summary>
    public string State { get; set; } = ScheduledEvents.Active;
    public DateTime? EndedAt { get; set; }
}

/// <summary>The scheduled events and the event history of one instance (stored under the instance's id).</summary>
public sealed class InstanceEventsResource : ITaggable
{
    public required string Id { get; init; }
    public List<InstanceEventRecord> Scheduled { get; init; } = [];
    public List<InstanceEventRecord> History { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>The account's event notification attributes in a region: which instance tags scheduled-event notifications carry.</summary>
public sealed class EventNotificationAttributesResource : ITaggable
{
    public string Id { get; init; } = "default";
    public bool IncludeAllTagsOfInstance { get; set; }
    public List<string> InstanceTagKeys { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>What carrying out a due event does to its instance.</summary>
public enum EventAction
{
    None,
    Reboot,
    Stop,
    Terminate,
}

/// <summary>
/// EC2's scheduled events for instances (the User Guide's "Scheduled events for your instances"):
/// an operator schedules one (<c>stratus events schedule</c>); it shows in DescribeInstanceStatus
/// and in the instance's metadata (<c>events/maintenance/scheduled</c>) until it is carried out at
/// its <c>NotBefore</c> (reboot for instance-reboot, system-reboot and system-maintenance; stop for
/// instance-stop and, EBS-backed, instance-retirement; terminate for an instance-store-backed
/// retirement) and moves to the history with the description prefixed <c>[Completed]</c>. An
/// instance the user stops or terminates before the event is due leaves the event
/// <c>[Canceled]</c> (stopping and starting moves an instance to new hardware, which is what the
/// event would do); a reboot by the user leaves it open, as AWS documents for manual reboots.
/// Events with a <c>NotBeforeDeadline</c> (the reboot and maintenance codes) can be rescheduled
/// with ModifyInstanceEventStartTime up to that deadline.
/// </summary>
public static class ScheduledEvents
{
    public const string Active = "active";
    public const string Completed = "completed";
    public const string Canceled = "canceled";

    /// <summary>How long an event lasts by default (NotAfter − NotBefore).</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(2);

    /// <summary>How long after NotBefore a reschedulable event's deadline lies by default.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromDays(14);

    /// <summary>How long completed and canceled events stay in DescribeInstanceStatus (AWS: up to a week).</summary>
    public static readonly TimeSpan DescribedFor = TimeSpan.FromDays(7);

    /// <summary>The description EC2 gives an event of <paramref name="code"/>.</summary>
    public static string DescriptionOf(string code) => code switch
    {
        EventCodes.InstanceReboot => "The instance is scheduled for a reboot",
        EventCodes.SystemReboot => "scheduled reboot",
        EventCodes.SystemMaintenance => "Scheduled system maintenance",
        EventCodes.InstanceRetirement => "The instance is running on degraded hardware",
        EventCodes.InstanceStop => "The instance is running on degraded hardware",
        _ => code,
    };

    /// <summary>Whether events of <paramref name="code"/> get a deadline and may be rescheduled.</summary>
    public static bool Reschedulable(string code) => code is EventCodes.InstanceReboot or EventCodes.SystemReboot or EventCodes.SystemMaintenance;

    /// <summary>What the event does to the instance when carried out.</summary>
    public static EventAction ActionOf(string code, InstanceResource instance) => code switch
    {
        EventCodes.InstanceReboot or EventCodes.SystemReboot or EventCodes.SystemMaintenance => EventAction.Reboot,
        EventCodes.InstanceStop => EventAction.Stop,
        EventCodes.InstanceRetirement => instance.RootDeviceType == "instance-store" ? EventAction.Terminate : EventAction.Stop,
        _ => EventAction.None,
    };

    /// <summary>
    /// Schedules an event for an instance (running or stopped, not terminated). The start is moved
    /// into the instance's event window, if it has one.
    /// </summary>
    public static async Task<InstanceEventRecord> ScheduleAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, string code, DateTime? notBefore,
        DateTime? notAfter, DateTime? deadline, DateTime now, CancellationToken ct = default)
    {
        if (!EventCodes.All.Contains(code))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({code}) for parameter code is invalid. Valid values are: {string.Join(", ", EventCodes.All)}.");
        }
        if (instance.State is InstanceStates.Terminated or InstanceStates.ShuttingDown)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is in the '{instance.State}' state; events cannot be scheduled for it.");
        }
        var start = (notBefore ?? now.AddDays(14)).ToUniversalTime();
        var windows = await EventWindows.WindowsOfAsync(tx, scope, instance, ct).ConfigureAwait(false);
        if (windows is { } window)
        {
            start = EventWindows.NextStart(window, start);
        }
        var end = notAfter?.ToUniversalTime() ?? start + DefaultDuration;
        if (end <= start)
        {
            throw AwsErrors.InvalidParameterValue("The event's end must be after its start.");
        }
        DateTime? limit = Reschedulable(code) ? (deadline?.ToUniversalTime() ?? start + DefaultDeadline) : null;
        if (limit is { } l && l < start)
        {
            throw AwsErrors.InvalidParameterValue("The event's deadline must not be before its start.");
        }
        var record = new InstanceEventRecord
        {
            Id = ResourceIds.New("instance-event"),
            Code = code,
            Description = DescriptionOf(code),
            NotBefore = start,
            NotAfter = end,
            NotBeforeDeadline = limit,
            CreatedAt = now,
        };
        var events = await GetAsync(tx, scope, instance.Id, ct).ConfigureAwait(false) ?? new InstanceEventsResource { Id = instance.Id };
        events.Scheduled.Add(record);
        await PutAsync(tx, scope, events, ct).ConfigureAwait(false);
        return record;
    }

    public static Task<InstanceEventsResource?> GetAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct = default) =>
        session.GetAsync<InstanceEventsResource>(scope, ResourceTypes.InstanceEvents, instanceId, ct);

    public static Task PutAsync(IStoreTransaction tx, Scope scope, InstanceEventsResource events, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.InstanceEvents, events.Id, events, DateTime.UnixEpoch, ct);

    /// <summary>Forgets an instance's events (with the instance itself, when a terminated instance is swept).</summary>
    public static Task<bool> ForgetAsync(IStoreTransaction tx, Scope scope, string instanceId, CancellationToken ct = default) =>
        tx.DeleteAsync(scope, ResourceTypes.InstanceEvents, instanceId, ct);

    /// <summary>Moves an event to the history as completed or canceled, with the description prefix AWS uses.</summary>
    public static void End(InstanceEventsResource events, InstanceEventRecord record, string state, DateTime now)
    {
        events.Scheduled.Remove(record);
        record.State = state;
        record.EndedAt = now;
        record.Description = (state == Completed ? "[Completed] " : "[Canceled] ") + record.Description;
        events.History.Add(record);
    }

    /// <summary>
    /// The events an instance's state cancels: a stop or termination after the event was
    /// scheduled and before it was due.
    /// </summary>
    public static bool CanceledByUser(InstanceEventRecord record, InstanceResource? instance) =>
        instance is null
        || (instance.State is InstanceStates.Stopping or InstanceStates.Stopped or InstanceStates.ShuttingDown or InstanceStates.Terminated
            && instance.StateSince >= record.CreatedAt);

    /// <summary>The events DescribeInstanceStatus shows: scheduled ones, and those that ended within the last week.</summary>
    public static IEnumerable<InstanceEventRecord> Described(InstanceEventsResource? events, DateTime now) =>
        events is null ? [] : events.Scheduled.Concat(events.History.Where(e => e.EndedAt is not { } ended || now - ended <= DescribedFor));

    /// <summary>ModifyInstanceEventStartTime: a new start before the event's deadline.</summary>
    public static async Task<InstanceEventRecord> RescheduleAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, string eventId, DateTime notBefore, DateTime now, CancellationToken ct = default)
    {
        var events = await GetAsync(tx, scope, instance.Id, ct).ConfigureAwait(false);
        var record = events?.Scheduled.FirstOrDefault(e => e.Id == eventId);
        if (events is null || record is null)
        {
            if (events?.History.Any(e => e.Id == eventId) == true)
            {
                throw new AwsException("InvalidState", $"The event '{eventId}' has already ended and cannot be rescheduled.");
            }
            throw new AwsException("InvalidInstanceEventID.NotFound", $"The event ID '{eventId}' does not exist for instance '{instance.Id}'.");
        }
        if (record.NotBeforeDeadline is not { } deadline)
        {
            throw new AwsException("InvalidParameterValue", $"The event '{eventId}' ({record.Code}) has no deadline and cannot be rescheduled.");
        }
        var start = notBefore.ToUniversalTime();
        if (start <= now)
        {
            throw AwsErrors.InvalidParameterValue("The new start time must be in the future.");
        }
        if (start > deadline)
        {
            throw AwsErrors.InvalidParameterValue(
                $"The new start time ({start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}) must not be after the event's deadline ({deadline.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}).");
        }
        var duration = record.NotAfter - record.NotBefore;
        record.NotBefore = start;
        record.NotAfter = start + duration;
        await PutAsync(tx, scope, events, ct).ConfigureAwait(false);
        return record;
    }
}
