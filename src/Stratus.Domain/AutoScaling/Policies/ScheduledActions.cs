using System.Globalization;
using Cronos;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.AutoScaling.Policies;

/// <summary>
/// A scheduled action: a one-time time or a cron recurrence (in a time zone) at which the
/// group's minimum, maximum and desired capacity are set. <see cref="NextFire"/> is when it runs
/// next (null: it will not run again).
/// </summary>
public sealed class ScheduledActionResource
{
    public required string Id { get; init; }
    public required string Arn { get; init; }
    public required string GroupName { get; init; }
    public required string Name { get; init; }
    public DateTime? StartTime { get; set; }
    public DateTime? EndTime { get; set; }
    public string? Recurrence { get; set; }
    public string? TimeZone { get; set; }
    public int? MinSize { get; set; }
    public int? MaxSize { get; set; }
    public int? DesiredCapacity { get; set; }
    public DateTime? NextFire { get; set; }
    public DateTime? LastFired { get; set; }
    public required DateTime CreatedTime { get; init; }
}

/// <summary>What PutScheduledUpdateGroupAction (or one entry of the batch form) asks for.</summary>
public sealed record ScheduledActionSpec(string? GroupName, string? Name, DateTime? StartTime, DateTime? Time, DateTime? EndTime, string? Recurrence,
    string? TimeZone, int? MinSize, int? MaxSize, int? DesiredCapacity);

/// <summary>A page of scheduled actions and the token of the next page.</summary>
public sealed record ScheduledActionPage(IReadOnlyList<ScheduledActionResource> Items, string? NextToken);

/// <summary>
/// Scheduled actions: validation and storage (keyed by the uuid of the ARN), Describe's filters
/// and paging, deletion, and the schedule itself — the next time an action fires, from its
/// start time and its cron recurrence evaluated in its IANA time zone (daylight-saving changes
/// as the zone has them: a time skipped by the clock change fires at the first valid moment
/// after it, a repeated time fires once). Cron expressions are the five Unix fields (minute,
/// hour, day of month, month, day of week) parsed with Cronos.
/// </summary>
public static class ScheduledActions
{
    public static readonly ResourceType Type = new("autoscaling-scheduled-action", "sched", "ValidationError", "ValidationError", "{0}");

    /// <summary>AWS's quota of scheduled actions per group.</summary>
    public const int MaxPerGroup = 125;

    private static AwsException Validation(string message) => new("ValidationError", message);

    public static string Arn(Scope scope, string id, string group, string name) =>
        $"arn:aws:autoscaling:{scope.Region}:{scope.AccountId}:scheduledUpdateGroupAction:{id}:autoScalingGroupName/{group}:scheduledActionName/{name}";

    /// <summary>Parses a five-field cron expression, or AWS's error.</summary>
    public static CronExpression ParseRecurrence(string recurrence)
    {
        try
        {
            return CronExpression.Parse(recurrence.Trim(), CronFormat.Standard);
        }
        catch (CronFormatException)
        {
            throw Validation($"Given recurrence string is invalid: {recurrence}");
        }
    }

    /// <summary>An IANA time zone (or UTC when null), or AWS's error.</summary>
    public static TimeZoneInfo ParseTimeZone(string? timeZone)
    {
        if (string.IsNullOrEmpty(timeZone))
        {
            return TimeZoneInfo.Utc;
        }
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw Validation($"Invalid time zone: {timeZone}. Specify a time zone name from the IANA Time Zone Database, such as America/New_York.");
        }
    }

    /// <summary>
    /// When the action fires next after <paramref name="after"/> (exclusive): its start time if
    /// that is still ahead, else the next occurrence of its recurrence at or after the start
    /// time; null when there is none before its end time.
    /// </summary>
    public static DateTime? NextFire(DateTime? startTime, DateTime? endTime, string? recurrence, string? timeZone, DateTime after)
    {
        after = DateTime.SpecifyKind(after, DateTimeKind.Utc);
        DateTime? next;
        if (startTime is { } start && start > after)
        {
            next = DateTime.SpecifyKind(start, DateTimeKind.Utc);
        }
        else if (recurrence is not null)
        {
            var cron = ParseRecurrence(recurrence);
            var zone = ParseTimeZone(timeZone);
            next = cron.GetNextOccurrence(after, zone, inclusive: false);
        }
        else
        {
            next = null;
        }
        return next is { } n && endTime is { } end && n > end ? null : next;
    }

    /// <summary>Creates or replaces the action <c>(group, name)</c>.</summary>
    public static async Task<ScheduledActionResource> PutAsync(IStoreTransaction tx, Scope scope, ScheduledActionSpec spec, DateTime now, CancellationToken ct = default)
    {
        var action = Check(scope, spec, now, null);
        var all = await tx.ListAsync<ScheduledActionResource>(scope, Type, ct).ConfigureAwait(false);
        var previous = all.FirstOrDefault(a => a.GroupName == action.GroupName && a.Name == action.Name);
        if (previous is null && all.Count(a => a.GroupName == action.GroupName) >= MaxPerGroup)
        {
            throw new AwsException("LimitExceeded", $"You have reached the limit of {MaxPerGroup} scheduled actions for the Auto Scaling group {action.GroupName}.");
        }
        if (previous is not null)
        {
            action = Check(scope, spec, now, previous);
        }
        await tx.PutAsync(scope, Type, action.Id, action, action.CreatedTime, ct).ConfigureAwait(false);
        return action;
    }

    /// <summary>Validates a spec into the action it describes (keeping the id and ARN of <paramref name="previous"/>).</summary>
    public static ScheduledActionResource Check(Scope scope, ScheduledActionSpec spec, DateTime now, ScheduledActionResource? previous)
    {
        if (string.IsNullOrEmpty(spec.GroupName))
        {
            throw Validation("1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null");
        }
        if (string.IsNullOrEmpty(spec.Name))
        {
            throw Validation("1 validation error detected: Value null at 'scheduledActionName' failed to satisfy constraint: Member must not be null");
        }
        if (spec.Name.Length > 255)
        {
            throw Validation($"1 validation error detected: Value '{spec.Name}' at 'scheduledActionName' failed to satisfy constraint: Member must have length less than or equal to 255");
        }
        if (spec.MinSize is null && spec.MaxSize is null && spec.DesiredCapacity is null)
        {
            throw Validation("At least one of MinSize, MaxSize, or DesiredCapacity must be specified.");
        }
        if (spec.MinSize is < 0 || spec.MaxSize is < 0 || spec.DesiredCapacity is < 0)
        {
            throw Validation("MinSize, MaxSize and DesiredCapacity must be greater than or equal to 0.");
        }
        if (spec.MinSize is { } min && spec.MaxSize is { } max && min > max)
        {
            throw Validation($"Max bound, {max}, must be greater than or equal to min bound, {min}");
        }
        if (spec.DesiredCapacity is { } d && ((spec.MinSize is { } lo && d < lo) || (spec.MaxSize is { } hi && d > hi)))
        {
            throw Validation($"Desired capacity:{d} must be between the specified min size:{spec.MinSize?.ToString(CultureInfo.InvariantCulture) ?? "-"} and max size:{spec.MaxSize?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        }
        if (spec.Time is { } time && spec.StartTime is { } st && time != st)
        {
            throw Validation("Time and StartTime cannot both be specified with different values.");
        }
        var start = (spec.StartTime ?? spec.Time)?.ToUniversalTime();
        var end = spec.EndTime?.ToUniversalTime();
        if (start is null && spec.Recurrence is null)
        {
            throw Validation("Either StartTime or Recurrence must be specified.");
        }
        if (start is { } s && s < now.AddSeconds(-1) && spec.Recurrence is null)
        {
            throw Validation("Given start time is in the past");
        }
        if (start is { } s2 && end is { } e && e <= s2)
        {
            throw Validation("The end time must be after the start time.");
        }
        if (end is { } e2 && e2 < now)
        {
            throw Validation("Given end time is in the past");
        }
        if (spec.Recurrence is { } recurrence)
        {
            if (recurrence.Length > 255)
            {
                throw Validation("Given recurrence string is invalid: it must be at most 255 characters.");
            }
            ParseRecurrence(recurrence);
        }
        // A time zone is accepted with a one-time action too (the time itself is absolute).
        ParseTimeZone(spec.TimeZone);
        var id = previous?.Id ?? Guid.NewGuid().ToString();
        return new ScheduledActionResource
        {
            Id = id,
            Arn = previous?.Arn ?? Arn(scope, id, spec.GroupName, spec.Name),
            GroupName = spec.GroupName,
            Name = spec.Name,
            StartTime = start,
            EndTime = end,
            Recurrence = spec.Recurrence?.Trim(),
            TimeZone = spec.TimeZone,
            MinSize = spec.MinSize,
            MaxSize = spec.MaxSize,
            DesiredCapacity = spec.DesiredCapacity,
            NextFire = NextFire(start, end, spec.Recurrence, spec.TimeZone, start is { } first && first <= now && first >= now.AddSeconds(-1) ? first.AddTicks(-1) : now),
            CreatedTime = previous?.CreatedTime ?? now,
        };
    }

    public static async Task<ScheduledActionResource?> FindAsync(IStoreSession session, Scope scope, string group, string name, CancellationToken ct = default) =>
        (await session.ListAsync<ScheduledActionResource>(scope, Type, ct).ConfigureAwait(false)).FirstOrDefault(a => a.GroupName == group && a.Name == name);

    /// <summary>Every scheduled action of a group.</summary>
    public static async Task<List<ScheduledActionResource>> OfGroupAsync(IStoreSession session, Scope scope, string group, CancellationToken ct = default) =>
        (await session.ListAsync<ScheduledActionResource>(scope, Type, ct).ConfigureAwait(false)).Where(a => a.GroupName == group).ToList();

    /// <summary>DescribeScheduledActions: by group, names, and next run between StartTime and EndTime; ordered by group then name, paged.</summary>
    public static async Task<ScheduledActionPage> DescribeAsync(IStoreSession session, Scope scope, string? group, IReadOnlyList<string>? names, DateTime? from, DateTime? to,
        int? maxRecords, string? nextToken, CancellationToken ct = default)
    {
        var max = maxRecords ?? 50;
        if (max is < 1 or > 100)
        {
            throw Validation($"MaxRecords must be between 1 and 100 (given {max.ToString(CultureInfo.InvariantCulture)}).");
        }
        if (names is { Count: > 50 })
        {
            throw Validation("The number of scheduled action names must not exceed 50.");
        }
        var all = await session.ListAsync<ScheduledActionResource>(scope, Type, ct).ConfigureAwait(false);
        IEnumerable<ScheduledActionResource> matches = all.Where(a => a.NextFire is not null);
        if (!string.IsNullOrEmpty(group))
        {
            matches = matches.Where(a => a.GroupName == group);
        }
        if (names is { Count: > 0 })
        {
            matches = matches.Where(a => names.Contains(a.Name));
        }
        if (from is { } f)
        {
            matches = matches.Where(a => a.NextFire >= f.ToUniversalTime());
        }
        if (to is { } t)
        {
            matches = matches.Where(a => a.NextFire <= t.ToUniversalTime());
        }
        var ordered = matches.OrderBy(a => a.GroupName, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();
        var start = 0;
        if (!string.IsNullOrEmpty(nextToken))
        {
            var after = ScalingPolicies.DecodeToken(nextToken);
            start = ordered.FindIndex(a => string.CompareOrdinal(a.GroupName + "\u001f" + a.Name, after) > 0);
            if (start < 0)
            {
                start = ordered.Count;
            }
        }
        var page = ordered.Skip(start).Take(max).ToList();
        var more = start + page.Count < ordered.Count;
        return new ScheduledActionPage(page, more ? ScalingPolicies.EncodeToken(page[^1].GroupName + "\u001f" + page[^1].Name) : null);
    }

    /// <summary>Deletes an action; AWS's error when it does not exist.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? group, string? name, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(group) || string.IsNullOrEmpty(name))
        {
            throw Validation("AutoScalingGroupName and ScheduledActionName are required.");
        }
        var action = await FindAsync(tx, scope, group, name, ct).ConfigureAwait(false) ?? throw Validation("Scheduled action name not found");
        await tx.DeleteAsync(scope, Type, action.Id, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes every scheduled action of <paramref name="group"/> in the caller's transaction (the group is being deleted).</summary>
    public static async Task DeleteForGroupAsync(IStoreTransaction tx, Scope scope, string group, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        foreach (var action in await OfGroupAsync(tx, scope, group, ct).ConfigureAwait(false))
        {
            await tx.DeleteAsync(scope, Type, action.Id, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records that the action fired at <paramref name="now"/>: a one-time action (or one with no
    /// occurrence left before its end time) is deleted, as AWS does; a recurring one moves to
    /// its next occurrence. Answers whether the action remains.
    /// </summary>
    public static async Task<bool> FiredAsync(IStoreTransaction tx, Scope scope, ScheduledActionResource action, DateTime now, CancellationToken ct = default)
    {
        var fired = action.NextFire ?? now;
        action.LastFired = now;
        action.NextFire = action.Recurrence is null ? null : NextFire(null, action.EndTime, action.Recurrence, action.TimeZone, fired > now ? fired : now);
        if (action.NextFire is null)
        {
            await tx.DeleteAsync(scope, Type, action.Id, ct).ConfigureAwait(false);
            return false;
        }
        await tx.PutAsync(scope, Type, action.Id, action, action.CreatedTime, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>The cause of the scaling activity a fired action starts, as AWS words it.</summary>
    public static string Cause(ScheduledActionResource action, int min, int max, int desired, int previousDesired, DateTime now) =>
        $"At {PolicyExecution.Time(now)} a scheduled action update of AutoScalingGroup constraints to min: {min}, max: {max}, desired: {desired} changing the desired capacity from {previousDesired} to {desired}.";
}
