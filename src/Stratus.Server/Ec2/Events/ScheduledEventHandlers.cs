using Stratus.Core;
using Stratus.Domain.Compute.Events;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using DomainTag = Stratus.Domain.Resources.Tag;

namespace Stratus.Server.Ec2;

/// <summary>
/// Scheduled events (DescribeInstanceStatus' events, ModifyInstanceEventStartTime), event
/// notification attributes and instance event windows.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>The event filters of DescribeInstanceStatus, matched against each event of an instance.</summary>
    private static readonly FilterSet<InstanceEventRecord> EventFilters = new FilterSet<InstanceEventRecord>()
        .Add("event.code", e => e.Code)
        .Add("event.description", e => e.Description)
        .Add("event.instance-event-id", e => e.Id)
        .Add("event.not-after", e => EventTimestamp(e.NotAfter))
        .Add("event.not-before", e => EventTimestamp(e.NotBefore))
        .Add("event.not-before-deadline", e => e.NotBeforeDeadline is { } d ? EventTimestamp(d) : null);

    [FiltersFor("DescribeInstanceEventWindows")]
    private static readonly FilterSet<InstanceEventWindowResource> EventWindowFilters = new FilterSet<InstanceEventWindowResource>()
        .AddMany("dedicated-host-id", w => w.Target.DedicatedHostIds)
        .Add("event-window-name", w => w.Name)
        .AddMany("instance-id", w => w.Target.InstanceIds)
        .AddMany("instance-tag", w => w.Target.InstanceTags.Select(t => t.Key + "=" + t.Value))
        .AddMany("instance-tag-key", w => w.Target.InstanceTags.Select(t => t.Key))
        .AddMany("instance-tag-value", w => w.Target.InstanceTags.Select(t => t.Value))
        .WithTags(w => w.Tags);

    private static string EventTimestamp(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The events of the instances DescribeInstanceStatus answers, keyed by instance id.</summary>
    private static async Task<Dictionary<string, List<InstanceEventRecord>>> EventsOfAsync(RequestContext context, IEnumerable<string> instanceIds)
    {
        var ids = instanceIds.ToList();
        if (ids.Count == 0)
        {
            return [];
        }
        var stored = await context.Store.GetManyAsync<InstanceEventsResource>(context.Scope, ResourceTypes.InstanceEvents, ids, context.Cancellation).ConfigureAwait(false);
        return stored.ToDictionary(e => e.Id, e => ScheduledEvents.Described(e, context.Now).ToList(), StringComparer.Ordinal);
    }

    /// <summary>Splits DescribeInstanceStatus' filters: the event filters (matched per event here) and the others.</summary>
    private static (List<Filter>? Instance, List<Filter> Event) SplitEventFilters(List<Filter>? filters)
    {
        if (filters is null)
        {
            return (null, []);
        }
        var events = filters.Where(f => f.Name?.StartsWith("event.", StringComparison.Ordinal) == true).ToList();
        return (filters.Except(events).ToList(), events);
    }

    /// <summary>Whether an instance's events satisfy every event filter (each by some event, as EC2 filters multi-valued attributes).</summary>
    private static bool MatchesEventFilters(List<InstanceEventRecord> events, List<Filter> filters) =>
        filters.TrueForAll(f => EventFilters.Apply(events, ToCriteria([f])).Any());

    private static InstanceStatusEvent ToShape(InstanceEventRecord e) => new()
    {
        Code = e.Code,
        Description = e.Description,
        InstanceEventId = e.Id,
        NotBefore = e.NotBefore,
        NotAfter = e.NotAfter,
        NotBeforeDeadline = e.NotBeforeDeadline,
    };

    public override async Task<ModifyInstanceEventStartTimeResult> ModifyInstanceEventStartTimeAsync(RequestContext context, ModifyInstanceEventStartTimeRequest request)
    {
        var instance = (await InstanceRecords.RequireAsync(context.Transaction, context.Scope, [request.InstanceId ?? throw AwsErrors.MissingParameter("InstanceId")], context.Cancellation).ConfigureAwait(false))[0];
        var eventId = request.InstanceEventId ?? throw AwsErrors.MissingParameter("InstanceEventId");
        var notBefore = request.NotBefore ?? throw AwsErrors.MissingParameter("NotBefore");
        var record = await ScheduledEvents.RescheduleAsync(context.Transaction, context.Scope, instance, eventId, notBefore, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyInstanceEventStartTimeResult { Event = ToShape(record) };
    }

    public override async Task<RegisterInstanceEventNotificationAttributesResult> RegisterInstanceEventNotificationAttributesAsync(RequestContext context, RegisterInstanceEventNotificationAttributesRequest request)
    {
        var attribute = request.InstanceTagAttribute ?? throw AwsErrors.MissingParameter("InstanceTagAttribute");
        if (attribute.IncludeAllTagsOfInstance is null && attribute.InstanceTagKeys is not { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterCombination("Specify either IncludeAllTagsOfInstance or InstanceTagKeys.");
        }
        if (attribute.IncludeAllTagsOfInstance == true && attribute.InstanceTagKeys is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterCombination("IncludeAllTagsOfInstance and InstanceTagKeys cannot both be specified.");
        }
        var stored = await NotificationAttributesAsync(context).ConfigureAwait(false);
        if (attribute.IncludeAllTagsOfInstance is { } all)
        {
            stored.IncludeAllTagsOfInstance = all;
        }
        foreach (var key in attribute.InstanceTagKeys ?? [])
        {
            if (string.IsNullOrEmpty(key) || key.Length > 128)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({key}) for parameter InstanceTagKey is invalid.");
            }
            if (!stored.InstanceTagKeys.Contains(key))
            {
                stored.InstanceTagKeys.Add(key);
            }
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.EventNotificationAttributes, stored.Id, stored, DateTime.UnixEpoch, context.Cancellation).ConfigureAwait(false);
        return new RegisterInstanceEventNotificationAttributesResult { InstanceTagAttribute = ToShape(stored) };
    }

    public override async Task<DeregisterInstanceEventNotificationAttributesResult> DeregisterInstanceEventNotificationAttributesAsync(RequestContext context, DeregisterInstanceEventNotificationAttributesRequest request)
    {
        var attribute = request.InstanceTagAttribute ?? throw AwsErrors.MissingParameter("InstanceTagAttribute");
        if (attribute.IncludeAllTagsOfInstance is null && attribute.InstanceTagKeys is not { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterCombination("Specify either IncludeAllTagsOfInstance or InstanceTagKeys.");
        }
        var stored = await NotificationAttributesAsync(context).ConfigureAwait(false);
        if (attribute.IncludeAllTagsOfInstance == true)
        {
            stored.IncludeAllTagsOfInstance = false;
        }
        foreach (var key in attribute.InstanceTagKeys ?? [])
        {
            stored.InstanceTagKeys.Remove(key);
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.EventNotificationAttributes, stored.Id, stored, DateTime.UnixEpoch, context.Cancellation).ConfigureAwait(false);
        return new DeregisterInstanceEventNotificationAttributesResult { InstanceTagAttribute = ToShape(stored) };
    }

    public override async Task<DescribeInstanceEventNotificationAttributesResult> DescribeInstanceEventNotificationAttributesAsync(RequestContext context, DescribeInstanceEventNotificationAttributesRequest request) =>
        new() { InstanceTagAttribute = ToShape(await NotificationAttributesAsync(context).ConfigureAwait(false)) };

    private static async Task<EventNotificationAttributesResource> NotificationAttributesAsync(RequestContext context) =>
        await context.Store.GetAsync<EventNotificationAttributesResource>(context.Scope, ResourceTypes.EventNotificationAttributes, "default", context.Cancellation).ConfigureAwait(false)
        ?? new EventNotificationAttributesResource();

    private static InstanceTagNotificationAttribute ToShape(EventNotificationAttributesResource attributes) => new()
    {
        IncludeAllTagsOfInstance = attributes.IncludeAllTagsOfInstance,
        InstanceTagKeys = [.. attributes.InstanceTagKeys],
    };

    public override async Task<CreateInstanceEventWindowResult> CreateInstanceEventWindowAsync(RequestContext context, CreateInstanceEventWindowRequest request)
    {
        var ranges = ToDomain(request.TimeRanges);
        _ = EventWindows.Intervals(ranges, request.CronExpression);
        CheckWindowName(request.Name);
        var existing = await context.Store.ListAsync<InstanceEventWindowResource>(context.Scope, ResourceTypes.InstanceEventWindow, context.Cancellation).ConfigureAwait(false);
        if (existing.Count >= EventWindows.MaxWindowsPerRegion)
        {
            throw new AwsException("InstanceEventWindowLimitExceeded", $"You have reached the limit of {EventWindows.MaxWindowsPerRegion} event windows in this Region.");
        }
        var window = new InstanceEventWindowResource
        {
            Id = ResourceIds.New(ResourceTypes.InstanceEventWindow.IdPrefix),
            Name = request.Name,
            TimeRanges = ranges,
            CronExpression = request.CronExpression,
            CreateTime = context.Now,
            Tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.InstanceEventWindow.Name),
        };
        await EventWindows.PutAsync(context.Transaction, context.Scope, window, context.Cancellation).ConfigureAwait(false);
        return new CreateInstanceEventWindowResult { InstanceEventWindow = ToShape(window) };
    }

    public override async Task<DescribeInstanceEventWindowsResult> DescribeInstanceEventWindowsAsync(RequestContext context, DescribeInstanceEventWindowsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.InstanceEventWindow, EventWindowFilters, request.InstanceEventWindowIds, request.Filters,
            request.MaxResults, request.NextToken, "InstanceEventWindowId").ConfigureAwait(false);
        return new DescribeInstanceEventWindowsResult { InstanceEventWindows = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<ModifyInstanceEventWindowResult> ModifyInstanceEventWindowAsync(RequestContext context, ModifyInstanceEventWindowRequest request)
    {
        var window = await EventWindows.RequireAsync(context.Transaction, context.Scope, request.InstanceEventWindowId, context.Cancellation).ConfigureAwait(false);
        var ranges = ToDomain(request.TimeRanges);
        if (ranges is { Count: > 0 } || request.CronExpression is not null)
        {
            _ = EventWindows.Intervals(ranges, request.CronExpression);
            window.TimeRanges = ranges is { Count: > 0 } ? ranges : null;
            window.CronExpression = request.CronExpression;
        }
        if (request.Name is not null)
        {
            CheckWindowName(request.Name);
            window.Name = request.Name;
        }
        await EventWindows.PutAsync(context.Transaction, context.Scope, window, context.Cancellation).ConfigureAwait(false);
        return new ModifyInstanceEventWindowResult { InstanceEventWindow = ToShape(window) };
    }

    public override async Task<DeleteInstanceEventWindowResult> DeleteInstanceEventWindowAsync(RequestContext context, DeleteInstanceEventWindowRequest request)
    {
        var window = await EventWindows.RequireAsync(context.Transaction, context.Scope, request.InstanceEventWindowId, context.Cancellation).ConfigureAwait(false);
        if (!window.Target.IsEmpty && request.ForceDelete != true)
        {
            throw new AwsException("InvalidInstanceEventWindow.InUse",
                $"The event window {window.Id} is associated with targets. Disassociate them first, or delete it with ForceDelete.");
        }
        await context.Transaction.DeleteAsync(context.Scope, ResourceTypes.InstanceEventWindow, window.Id, context.Cancellation).ConfigureAwait(false);
        return new DeleteInstanceEventWindowResult { InstanceEventWindowState = new InstanceEventWindowStateChange { InstanceEventWindowId = window.Id, State = "deleting" } };
    }

    public override async Task<AssociateInstanceEventWindowResult> AssociateInstanceEventWindowAsync(RequestContext context, AssociateInstanceEventWindowRequest request)
    {
        var window = await EventWindows.RequireAsync(context.Transaction, context.Scope, request.InstanceEventWindowId, context.Cancellation).ConfigureAwait(false);
        var target = request.AssociationTarget ?? throw AwsErrors.MissingParameter("AssociationTarget");
        await EventWindows.AssociateAsync(context.Transaction, context.Scope, window, target.InstanceIds, ToDomainTags(target.InstanceTags), target.DedicatedHostIds, context.Cancellation).ConfigureAwait(false);
        return new AssociateInstanceEventWindowResult { InstanceEventWindow = ToShape(window) };
    }

    public override async Task<DisassociateInstanceEventWindowResult> DisassociateInstanceEventWindowAsync(RequestContext context, DisassociateInstanceEventWindowRequest request)
    {
        var window = await EventWindows.RequireAsync(context.Transaction, context.Scope, request.InstanceEventWindowId, context.Cancellation).ConfigureAwait(false);
        var target = request.AssociationTarget ?? throw AwsErrors.MissingParameter("AssociationTarget");
        await EventWindows.DisassociateAsync(context.Transaction, context.Scope, window, target.InstanceIds, ToDomainTags(target.InstanceTags), target.DedicatedHostIds, context.Cancellation).ConfigureAwait(false);
        return new DisassociateInstanceEventWindowResult { InstanceEventWindow = ToShape(window) };
    }

    private static void CheckWindowName(string? name)
    {
        if (name is { Length: > 128 })
        {
            throw AwsErrors.InvalidParameterValue("The event window name must be at most 128 characters.");
        }
    }

    private static List<EventWindowTimeRange>? ToDomain(List<InstanceEventWindowTimeRangeRequest>? ranges) =>
        ranges?.Select(r => new EventWindowTimeRange(
            r.StartWeekDay ?? throw AwsErrors.MissingParameter("StartWeekDay"), r.StartHour ?? throw AwsErrors.MissingParameter("StartHour"),
            r.EndWeekDay ?? throw AwsErrors.MissingParameter("EndWeekDay"), r.EndHour ?? throw AwsErrors.MissingParameter("EndHour"))).ToList();

    private static List<DomainTag>? ToDomainTags(List<Stratus.Ec2.Model.Tag>? tags) =>
        tags?.Select(t => new DomainTag(t.Key ?? "", t.Value ?? "")).ToList();

    private static InstanceEventWindow ToShape(InstanceEventWindowResource window) => new()
    {
        InstanceEventWindowId = window.Id,
        Name = window.Name,
        CronExpression = window.CronExpression,
        State = window.State,
        TimeRanges = window.TimeRanges?.Select(r => new InstanceEventWindowTimeRange
        {
            StartWeekDay = r.StartWeekDay,
            StartHour = r.StartHour,
            EndWeekDay = r.EndWeekDay,
            EndHour = r.EndHour,
        }).ToList(),
        AssociationTarget = new InstanceEventWindowAssociationTarget
        {
            InstanceIds = [.. window.Target.InstanceIds],
            Tags = ToShape(window.Target.InstanceTags),
            DedicatedHostIds = [.. window.Target.DedicatedHostIds],
        },
        Tags = ToShape(window.Tags),
    };
}
