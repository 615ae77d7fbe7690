using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Compute.Events;

/// <summary>A weekly time range of an event window (days sunday … saturday, hours 0 … 23, UTC).</summary>
public sealed record EventWindowTimeRange(string StartWeekDay, int StartHour, string EndWeekDay, int EndHour);

/// <summary>What an event window is associated with: instances (by id or by tag) or Dedicated Hosts.</summary>
public sealed class EventWindowTarget
{
    public List<string> InstanceIds { get; init; } = [];
    public List<Tag> InstanceTags { get; init; } = [];
    public List<string> DedicatedHostIds { get; init; } = [];

    public bool IsEmpty => InstanceIds.Count == 0 && InstanceTags.Count == 0 && DedicatedHostIds.Count == 0;
}

public sealed class InstanceEventWindowResource : ITaggable
{
    public required string Id { get; init; }
    public string? Name { get; set; }
    public List<EventWindowTimeRange>? TimeRanges { get; set; }
    public string? CronExpression { get; set; }
    public string State { get; set; } = "active";
    public EventWindowTarget Target { get; init; } = new();
    public required DateTime CreateTime { get; init; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Instance event windows (the User Guide's "Define event windows for scheduled events"): weekly
/// periods, given as time ranges or as a cron expression, in which scheduled events that reboot,
/// stop or terminate the associated instances are carried out. Both forms become a set of
/// hour-of-week intervals [start, end) (hour 0 is Sunday 00:00 UTC); each must last at least two
/// hours and together at least four, as AWS requires. A window is associated with one kind of
/// target (instance ids, instance tags or Dedicated Host ids), and an instance with at most one
/// window. A scheduled event's start is moved to the next start of its instance's window
/// (<c>NextStart</c>) when it is scheduled and again if it falls due outside the window.
/// </summary>
public static class EventWindows
{
    public const int HoursPerWeek = 7 * 24;
    public const int MaxWindowsPerRegion = 200;

    public static readonly IReadOnlyList<string> WeekDays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    private static readonly string[] CronDays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    /// <summary>Checks the window's definition (exactly one of time ranges and cron expression) and answers its intervals.</summary>
    public static List<(int Start, int End)> Intervals(List<EventWindowTimeRange>? ranges, string? cron)
    {
        if (ranges is { Count: > 0 } && cron is not null)
        {
            throw AwsErrors.InvalidParameterCombination("You can specify either TimeRanges or CronExpression, but not both.");
        }
        if (ranges is not { Count: > 0 } && cron is null)
        {
            throw AwsErrors.MissingParameter("TimeRanges");
        }
        var intervals = cron is not null ? ParseCron(cron) : FromRanges(ranges!);
        intervals.Sort();
        for (var i = 1; i < intervals.Count; i++)
        {
            if (intervals[i].Start < intervals[i - 1].End)
            {
                throw AwsErrors.InvalidParameterValue("The time ranges of an event window must not overlap.");
            }
        }
        if (intervals.Sum(r => r.End - r.Start) < 4)
        {
            throw AwsErrors.InvalidParameterValue("The event window must be at least 4 hours in total.");
        }
        return intervals;
    }

    private static List<(int Start, int End)> FromRanges(List<EventWindowTimeRange> ranges)
    {
        var intervals = new List<(int, int)>();
        foreach (var range in ranges)
        {
            var startDay = Day(range.StartWeekDay, "StartWeekDay");
            var endDay = Day(range.EndWeekDay, "EndWeekDay");
            if (range.StartHour is < 0 or > 23 || range.EndHour is < 0 or > 23)
            {
                throw AwsErrors.InvalidParameterValue("StartHour and EndHour must be between 0 and 23.");
            }
            var start = startDay * 24 + range.StartHour;
            var end = endDay * 24 + range.EndHour;
            if (end <= start)
            {
                throw AwsErrors.InvalidParameterValue($"The time range {range.StartWeekDay} {range.StartHour}:00 – {range.EndWeekDay} {range.EndHour}:00 must end after it starts.");
            }
            if (end - start < 2)
            {
                throw AwsErrors.InvalidParameterValue("Each time range of an event window must be at least 2 hours.");
            }
            intervals.Add((start, end));
        }
        return intervals;
    }

    private static int Day(string? day, string parameter)
    {
        var index = day is null ? -1 : WeekDays.ToList().IndexOf(day);
        return index >= 0 ? index
            : throw AwsErrors.InvalidParameterValue($"Value ({day}) for parameter {parameter} is invalid. Valid values are: {string.Join(", ", WeekDays)}.");
    }

    /// <summary>
    /// A cron expression as AWS accepts it for event windows: <c>minute hour day-of-month month day-of-week</c>
    /// where minute, day-of-month and month are <c>*</c>, hours are ranges (<c>0-4,20-23</c>, each at
    /// least two hours, <c>a-b</c> meaning a:00 to b:00) and days of the week are 0–6 or SUN–SAT,
    /// single, listed or as ranges (or <c>*</c>).
    /// </summary>
    public static List<(int Start, int End)> ParseCron(string cron)
    {
        var parts = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is not (5 or 6))
        {
            throw InvalidCron(cron, "it must have five fields: minute hour day-of-month month day-of-week");
        }
        if (parts[0] != "*" || parts[2] != "*" || parts[3] != "*" || (parts.Length == 6 && parts[5] != "*"))
        {
            throw InvalidCron(cron, "the minute, day of month, month and year must be specified by *");
        }
        var hours = new List<(int, int)>();
        foreach (var item in parts[1].Split(','))
        {
            var bounds = item.Split('-');
            if (bounds.Length != 2 || !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to) || from > 23 || to > 23)
            {
                throw InvalidCron(cron, "the hour value must be one or more ranges, for example 0-4 or 0-4,20-23");
            }
            if (to - from < 2)
            {
                throw InvalidCron(cron, "each hour range must be >= 2 hours");
            }
            hours.Add((from, to));
        }
        var days = new SortedSet<int>();
        foreach (var item in parts[4].Split(','))
        {
            if (item == "*")
            {
                days.UnionWith(Enumerable.Range(0, 7));
                continue;
            }
            var bounds = item.Split('-');
            if (bounds.Length > 2)
            {
                throw InvalidCron(cron, "the day of the week must be 0 through 6 or SUN through SAT");
            }
            var from = CronDay(cron, bounds[0]);
            var to = bounds.Length == 2 ? CronDay(cron, bounds[1]) : from;
            if (to < from)
            {
                throw InvalidCron(cron, "a day-of-week range must not run backwards");
            }
            for (var d = from; d <= to; d++)
            {
                days.Add(d);
            }
        }
        return days.SelectMany(d => hours.Select(h => (d * 24 + h.Item1, d * 24 + h.Item2))).ToList();
    }

    private static int CronDay(string cron, string value)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 6)
        {
            return n;
        }
        var index = Array.IndexOf(CronDays, value.ToUpperInvariant());
        return index >= 0 ? index : throw InvalidCron(cron, "the day of the week must be 0 through 6 or SUN through SAT");
    }

    private static AwsException InvalidCron(string cron, string why) =>
        AwsErrors.InvalidParameterValue($"The cron expression '{cron}' is not valid: {why}.");

    /// <summary>The hour of the week of <paramref name="time"/> (0 = Sunday 00:00 UTC) and the start of that hour.</summary>
    private static int HourOfWeek(DateTime time) => (int)time.DayOfWeek * 24 + time.Hour;

    /// <summary>
    /// The earliest moment at or after <paramref name="time"/> inside the window: the time itself when
    /// it falls in one of the window's intervals, else the start of the next interval.
    /// </summary>
    public static DateTime NextStart(InstanceEventWindowResource window, DateTime time) => NextStart(Intervals(window.TimeRanges, window.CronExpression), time);

    public static DateTime NextStart(IReadOnlyList<(int Start, int End)> intervals, DateTime time)
    {
        time = time.ToUniversalTime();
        var hour = HourOfWeek(time);
        if (intervals.Any(i => hour >= i.Start && hour < i.End))
        {
            return time;
        }
        var hourStart = new DateTime(time.Year, time.Month, time.Day, time.Hour, 0, 0, DateTimeKind.Utc);
        var ahead = intervals.Select(i => (i.Start - hour + HoursPerWeek) % HoursPerWeek).Where(d => d > 0).DefaultIfEmpty(HoursPerWeek).Min();
        return hourStart.AddHours(ahead);
    }

    public static async Task<InstanceEventWindowResource> RequireAsync(IStoreSession session, Scope scope, string? id, CancellationToken ct = default)
    {
        if (id is null)
        {
            throw AwsErrors.MissingParameter("InstanceEventWindowId");
        }
        ResourceTypes.InstanceEventWindow.CheckId(id);
        return await session.GetAsync<InstanceEventWindowResource>(scope, ResourceTypes.InstanceEventWindow, id, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.InstanceEventWindow.NotFound(id);
    }

    public static Task PutAsync(IStoreTransaction tx, Scope scope, InstanceEventWindowResource window, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.InstanceEventWindow, window.Id, window, window.CreateTime, ct);

    /// <summary>Whether <paramref name="window"/> covers <paramref name="instance"/> (by id, by one of its tags, or by its Dedicated Host).</summary>
    public static bool Covers(InstanceEventWindowResource window, InstanceResource instance) =>
        window.Target.InstanceIds.Contains(instance.Id)
        || window.Target.InstanceTags.Any(t => instance.Tags.Any(it => it.Key == t.Key && it.Value == t.Value))
        || (instance.HostId is { } host && window.Target.DedicatedHostIds.Contains(host));

    /// <summary>The event window of an instance, if any.</summary>
    public static async Task<InstanceEventWindowResource?> WindowsOfAsync(IStoreSession session, Scope scope, InstanceResource instance, CancellationToken ct = default) =>
        (await session.ListAsync<InstanceEventWindowResource>(scope, ResourceTypes.InstanceEventWindow, ct).ConfigureAwait(false))
            .Where(w => w.State == "active" && Covers(w, instance))
            .OrderBy(w => w.CreateTime).FirstOrDefault();

    /// <summary>
    /// AssociateInstanceEventWindow: adds targets of one kind (the kind the window already has, if
    /// any); instances must exist and not belong to another window, hosts must exist.
    /// </summary>
    public static async Task AssociateAsync(IStoreTransaction tx, Scope scope, InstanceEventWindowResource window, List<string>? instanceIds, List<Tag>? tags,
        List<string>? hostIds, CancellationToken ct = default)
    {
        var kinds = (instanceIds is { Count: > 0 } ? 1 : 0) + (tags is { Count: > 0 } ? 1 : 0) + (hostIds is { Count: > 0 } ? 1 : 0);
        if (kinds == 0)
        {
            throw AwsErrors.MissingParameter("AssociationTarget");
        }
        if (kinds > 1)
        {
            throw AwsErrors.InvalidParameterCombination("An event window can be associated with only one type of target: instance IDs, instance tags or Dedicated Host IDs.");
        }
        var existing = window.Target;
        var existingKind = existing.InstanceIds.Count > 0 ? "instance IDs" : existing.InstanceTags.Count > 0 ? "instance tags" : existing.DedicatedHostIds.Count > 0 ? "Dedicated Host IDs" : null;
        var newKind = instanceIds is { Count: > 0 } ? "instance IDs" : tags is { Count: > 0 } ? "instance tags" : "Dedicated Host IDs";
        if (existingKind is not null && existingKind != newKind)
        {
            throw AwsErrors.InvalidParameterCombination($"The event window {window.Id} is already associated with {existingKind}; it cannot also be associated with {newKind}.");
        }
        var others = (await tx.ListAsync<InstanceEventWindowResource>(scope, ResourceTypes.InstanceEventWindow, ct).ConfigureAwait(false))
            .Where(w => w.Id != window.Id).ToList();
        if (instanceIds is { Count: > 0 })
        {
            var instances = await InstanceRecords.RequireAsync(tx, scope, instanceIds, ct).ConfigureAwait(false);
            foreach (var instance in instances)
            {
                if (instance.State == InstanceStates.Terminated)
                {
                    throw ResourceTypes.Instance.NotFound(instance.Id);
                }
                if (others.FirstOrDefault(w => Covers(w, instance)) is { } other)
                {
                    throw AwsErrors.InvalidParameterValue($"The instance {instance.Id} is already associated with the event window {other.Id}. An instance can be associated with only one event window.");
                }
                if (!existing.InstanceIds.Contains(instance.Id))
                {
                    existing.InstanceIds.Add(instance.Id);
                }
            }
        }
        foreach (var tag in tags ?? [])
        {
            if (string.IsNullOrEmpty(tag.Key))
            {
                throw AwsErrors.InvalidParameterValue("Tag keys of an event window association must not be empty.");
            }
            if (!existing.InstanceTags.Any(t => t.Key == tag.Key && t.Value == tag.Value))
            {
                existing.InstanceTags.Add(tag);
            }
        }
        foreach (var hostId in hostIds ?? [])
        {
            ResourceTypes.Host.CheckId(hostId);
            _ = await tx.GetAsync<Hosts.HostResource>(scope, ResourceTypes.Host, hostId, ct).ConfigureAwait(false) ?? throw ResourceTypes.Host.NotFound(hostId);
            if (others.FirstOrDefault(w => w.Target.DedicatedHostIds.Contains(hostId)) is { } other)
            {
                throw AwsErrors.InvalidParameterValue($"The Dedicated Host {hostId} is already associated with the event window {other.Id}.");
            }
            if (!existing.DedicatedHostIds.Contains(hostId))
            {
                existing.DedicatedHostIds.Add(hostId);
            }
        }
        await PutAsync(tx, scope, window, ct).ConfigureAwait(false);
    }

    /// <summary>DisassociateInstanceEventWindow: removes the named targets (naming one that is not associated is an error).</summary>
    public static async Task DisassociateAsync(IStoreTransaction tx, Scope scope, InstanceEventWindowResource window, List<string>? instanceIds, List<Tag>? tags,
        List<string>? hostIds, CancellationToken ct = default)
    {
        if (instanceIds is not { Count: > 0 } && tags is not { Count: > 0 } && hostIds is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("AssociationTarget");
        }
        foreach (var id in instanceIds ?? [])
        {
            if (!window.Target.InstanceIds.Remove(id))
            {
                throw AwsErrors.InvalidParameterValue($"The instance {id} is not associated with the event window {window.Id}.");
            }
        }
        foreach (var tag in tags ?? [])
        {
            if (window.Target.InstanceTags.RemoveAll(t => t.Key == tag.Key && t.Value == tag.Value) == 0)
            {
                throw AwsErrors.InvalidParameterValue($"The tag {tag.Key}={tag.Value} is not associated with the event window {window.Id}.");
            }
        }
        foreach (var id in hostIds ?? [])
        {
            if (!window.Target.DedicatedHostIds.Remove(id))
            {
                throw AwsErrors.InvalidParameterValue($"The Dedicated Host {id} is not associated with the event window {window.Id}.");
            }
        }
        await PutAsync(tx, scope, window, ct).ConfigureAwait(false);
    }
}
