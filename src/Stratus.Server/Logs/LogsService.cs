using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.Logs;

namespace Stratus.Server.Logs;

/// <summary>
/// CloudWatch Logs (json 1.1, <c>Logs_20140328</c>): log groups (retention, class, deletion
/// protection, tags), log streams, PutLogEvents with AWS's batch rules, GetLogEvents with its
/// forward and backward tokens, and FilterLogEvents with filter patterns (<see cref="FilterPattern"/>).
/// Everything lives in the Logs database (<see cref="LogStore"/>), never in the state store's
/// write transaction. Retention is enforced on read at once and by <see cref="LogRetentionSweeper"/>.
/// </summary>
internal sealed partial class LogsService(LogStore store) : LogsServiceBase<RequestContext>, IAwsService
{
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(LogsService));

    /// <summary>The retention periods AWS accepts (days).</summary>
    public static readonly IReadOnlyList<int> RetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

    public const int MaxBatchBytes = 1_048_576;
    public const int EventOverheadBytes = 26;
    public const int MaxBatchEvents = 10_000;
    private const long Hour = 3_600_000;
    private const long Day = 24 * Hour;

    ServiceInfo IAwsService.Model => LogsShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    bool IAwsService.NeedsWriteTransaction(OperationInfo operation) => false;

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    private static long Millis(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    internal static AwsException InvalidParameter(string message) => new("InvalidParameterException", message);

    private static AwsException GroupNotFound() => new("ResourceNotFoundException", "The specified log group does not exist.");

    private static AwsException StreamNotFound() => new("ResourceNotFoundException", "The specified log stream does not exist.");

    [GeneratedRegex(@"^[\.\-_/#A-Za-z0-9]+$")]
    private static partial Regex GroupNamePattern();

    private static void CheckGroupName(string? name, string member = "logGroupName")
    {
        if (name is null)
        {
            throw InvalidParameter($"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }
        if (!GroupNamePattern().IsMatch(name))
        {
            throw InvalidParameter($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
        }
    }

    private static void CheckStreamName(string? name)
    {
        if (name is null)
        {
            throw InvalidParameter("1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null");
        }
        if (name.Contains(':', StringComparison.Ordinal) || name.Contains('*', StringComparison.Ordinal))
        {
            throw InvalidParameter($"1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*");
        }
    }

    /// <summary>The group a request names by <c>logGroupName</c> or <c>logGroupIdentifier</c> (a name or an ARN).</summary>
    private LogGroupRecord RequireGroup(RequestContext context, string? name, string? identifier = null)
    {
        if (name is not null && identifier is not null)
        {
            throw InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
        }
        if (name is null && identifier is null)
        {
            throw InvalidParameter("Should provide either name or ARN of the log group.");
        }
        var groupName = name ?? GroupNameOf(context, identifier!);
        CheckGroupName(groupName, name is null ? "logGroupIdentifier" : "logGroupName");
        return store.FindGroup(context.AccountId, context.Region, groupName) ?? throw GroupNotFound();
    }

    /// <summary>A log group's name from a name or its ARN (<c>arn:aws:logs:region:account:log-group:name[:*]</c>).</summary>
    private static string GroupNameOf(RequestContext context, string identifier)
    {
        if (!identifier.StartsWith("arn:", StringComparison.Ordinal))
        {
            return identifier;
        }
        var parts = identifier.Split(':');
        if (parts.Length < 7 || parts[2] != "logs" || parts[5] != "log-group" || (parts.Length == 8 && parts[7] != "*") || parts.Length > 8)
        {
            throw InvalidParameter($"Invalid ARN: {identifier}");
        }
        if (parts[3] != context.Region || parts[4] != context.AccountId)
        {
            throw GroupNotFound();
        }
        return parts[6];
    }

    // ---- log groups -------------------------------------------------------------------------------

    public override Task CreateLogGroupAsync(RequestContext context, CreateLogGroupRequest request)
    {
        CheckGroupName(request.logGroupName);
        var name = request.logGroupName!;
        if (name.StartsWith("AWS/", StringComparison.OrdinalIgnoreCase))
        {
            throw InvalidParameter("Log groups starting with AWS/ are reserved for AWS.");
        }
        var tags = request.tags ?? [];
        CheckTags(tags);
        if (!store.CreateGroup(context.AccountId, context.Region, name, Millis(context.Now), request.logGroupClass ?? "STANDARD", request.kmsKeyId,
            request.deletionProtectionEnabled == true, tags))
        {
            throw new AwsException("ResourceAlreadyExistsException", "The specified log group already exists");
        }
        return Task.CompletedTask;
    }

    public override Task DeleteLogGroupAsync(RequestContext context, DeleteLogGroupRequest request)
    {
        var group = RequireGroup(context, request.logGroupName);
        if (group.DeletionProtection)
        {
            throw new AwsException("ValidationException", "Cannot delete log group with deletion protection enabled. Disable deletion protection first.");
        }
        store.DeleteGroup(group.Id);
        return Task.CompletedTask;
    }

    public override Task PutLogGroupDeletionProtectionAsync(RequestContext context, PutLogGroupDeletionProtectionRequest request)
    {
        var group = RequireGroup(context, null, request.logGroupIdentifier);
        store.SetDeletionProtection(group.Id, request.deletionProtectionEnabled == true);
        return Task.CompletedTask;
    }

    public override Task<DescribeLogGroupsResponse> DescribeLogGroupsAsync(RequestContext context, DescribeLogGroupsRequest request)
    {
        if (request.logGroupNamePrefix is not null && request.logGroupNamePattern is not null)
        {
            throw InvalidParameter("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.");
        }
        if (request.logGroupIdentifiers is { Count: > 0 } && (request.logGroupNamePrefix is not null || request.logGroupNamePattern is not null))
        {
            throw InvalidParameter("LogGroupIdentifiers is mutually exclusive with LogGroupNamePrefix and LogGroupNamePattern.");
        }
        var groups = store.Groups(context.AccountId, context.Region).AsEnumerable();
        if (request.logGroupNamePrefix is { } prefix)
        {
            groups = groups.Where(g => g.Name.StartsWith(prefix, StringComparison.Ordinal));
        }
        if (request.logGroupNamePattern is { } pattern)
        {
            groups = groups.Where(g => g.Name.Contains(pattern, StringComparison.OrdinalIgnoreCase));
        }
        if (request.logGroupIdentifiers is { Count: > 0 } identifiers)
        {
            var names = identifiers.Select(i => GroupNameOf(context, i)).ToHashSet(StringComparer.Ordinal);
            groups = groups.Where(g => names.Contains(g.Name));
        }
        if (request.logGroupClass is { } cls)
        {
            groups = groups.Where(g => g.LogGroupClass == cls);
        }
        var (page, next) = Page(groups.ToList(), g => g.Name, request.limit, 50, request.nextToken);
        return Task.FromResult(new DescribeLogGroupsResponse { logGroups = page.Select(ToShape).ToList(), nextToken = next });
    }

    public override Task<ListLogGroupsResponse> ListLogGroupsAsync(RequestContext context, ListLogGroupsRequest request)
    {
        var groups = store.Groups(context.AccountId, context.Region).AsEnumerable();
        if (request.logGroupNamePattern is { } pattern)
        {
            Regex regex;
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException)
            {
                throw InvalidParameter($"Invalid logGroupNamePattern: {pattern}");
            }
            groups = groups.Where(g => regex.IsMatch(g.Name));
        }
        if (request.logGroupClass is { } cls)
        {
            groups = groups.Where(g => g.LogGroupClass == cls);
        }
        foreach (var filter in request.logGroupTags ?? [])
        {
            groups = groups.Where(g => g.Tags.TryGetValue(filter.key ?? "", out var v) && (filter.values is not { Count: > 0 } || filter.values.Contains(v)));
        }
        var (page, next) = Page(groups.ToList(), g => g.Name, request.limit, 50, request.nextToken, maxLimit: 1000);
        return Task.FromResult(new ListLogGroupsResponse
        {
            logGroups = page.Select(g => new LogGroupSummary { logGroupName = g.Name, logGroupArn = g.Arn, logGroupClass = g.LogGroupClass }).ToList(),
            nextToken = next,
        });
    }

    private static LogGroup ToShape(LogGroupRecord g) => new()
    {
        logGroupName = g.Name,
        creationTime = g.CreationTime,
        retentionInDays = g.RetentionInDays,
        metricFilterCount = 0,
        arn = g.ArnWithStreams,
        logGroupArn = g.Arn,
        storedBytes = g.StoredBytes,
        kmsKeyId = g.KmsKeyId,
        logGroupClass = g.LogGroupClass,
        deletionProtectionEnabled = g.DeletionProtection,
    };

    public override Task PutRetentionPolicyAsync(RequestContext context, PutRetentionPolicyRequest request)
    {
        var group = RequireGroup(context, request.logGroupName);
        if (request.retentionInDays is not { } days || !RetentionDays.Contains(days))
        {
            throw InvalidParameter(
                $"1 validation error detected: Value '{request.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", RetentionDays)}]");
        }
        store.SetRetention(group.Id, days);
        return Task.CompletedTask;
    }

    public override Task DeleteRetentionPolicyAsync(RequestContext context, DeleteRetentionPolicyRequest request)
    {
        var group = RequireGroup(context, request.logGroupName);
        store.SetRetention(group.Id, null);
        return Task.CompletedTask;
    }

    // ---- log streams ------------------------------------------------------------------------------

    public override Task CreateLogStreamAsync(RequestContext context, CreateLogStreamRequest request)
    {
        var group = RequireGroup(context, request.logGroupName);
        CheckStreamName(request.logStreamName);
        if (!store.CreateStream(group.Id, request.logStreamName!, Millis(context.Now)))
        {
            throw new AwsException("ResourceAlreadyExistsException", "The specified log stream already exists");
        }
        return Task.CompletedTask;
    }

    public override Task DeleteLogStreamAsync(RequestContext context, DeleteLogStreamRequest request)
    {
        var group = RequireGroup(context, request.logGroupName);
        CheckStreamName(request.logStreamName);
        var stream = store.FindStream(group.Id, request.logStreamName!) ?? throw StreamNotFound();
        store.DeleteStream(stream.Id);
        return Task.CompletedTask;
    }

    public override Task<DescribeLogStreamsResponse> DescribeLogStreamsAsync(RequestContext context, DescribeLogStreamsRequest request)
    {
        var group = RequireGroup(context, request.logGroupName, request.logGroupIdentifier);
        var byTime = request.orderBy == "LastEventTime";
        if (byTime && request.logStreamNamePrefix is not null)
        {
            throw InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
        }
        var streams = store.Streams(group.Id).AsEnumerable();
        if (request.logStreamNamePrefix is { } prefix)
        {
            streams = streams.Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal));
        }
        // The key orders the list: by name, or by last event time (streams without events first) then name.
        Func<LogStreamRecord, string> key = byTime
            ? s => (s.LastEventTimestamp ?? 0).ToString("D20", CultureInfo.InvariantCulture) + "/" + s.Name
            : s => s.Name;
        var ordered = streams.OrderBy(key, StringComparer.Ordinal).ToList();
        if (request.descending == true)
        {
            ordered.Reverse();
        }
        var (page, next) = Page(ordered, key, request.limit, 50, request.nextToken, descending: request.descending == true);
        return Task.FromResult(new DescribeLogStreamsResponse
        {
            logStreams = page.Select(s => new LogStream
            {
                logStreamName = s.Name,
                creationTime = s.CreationTime,
                firstEventTimestamp = s.FirstEventTimestamp,
                lastEventTimestamp = s.LastEventTimestamp,
                lastIngestionTime = s.LastIngestionTime,
                uploadSequenceToken = SequenceToken(s.Sequence),
                arn = $"{group.Arn}:log-stream:{s.Name}",
                storedBytes = 0,
            }).ToList(),
            nextToken = next,
        });
    }

    private static string SequenceToken(long sequence) => (sequence + 1).ToString("D56", CultureInfo.InvariantCulture);

    // ---- events -----------------------------------------------------------------------------------

    public override Task<PutLogEventsResponse> PutLogEventsAsync(RequestContext context, PutLogEventsRequest request)
    {
        var group = RequireGroup(context, request.logGroupName);
        CheckStreamName(request.logStreamName);
        var events = request.logEvents ?? [];
        if (events.Count == 0)
        {
            throw InvalidParameter("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1");
        }
        if (events.Count > MaxBatchEvents)
        {
            throw InvalidParameter($"1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to {MaxBatchEvents}");
        }
        long size = 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].timestamp is null || events[i].message is null)
            {
                throw InvalidParameter($"1 validation error detected: Value null at 'logEvents.{i + 1}.member.{(events[i].timestamp is null ? "timestamp" : "message")}' failed to satisfy constraint: Member must not be null");
            }
            size += Encoding.UTF8.GetByteCount(events[i].message!) + EventOverheadBytes;
            if (i > 0 && events[i].timestamp < events[i - 1].timestamp)
            {
                throw InvalidParameter("Log events in a single PutLogEvents request must be in chronological order.");
            }
        }
        if (size > MaxBatchBytes)
        {
            throw InvalidParameter($"Upload too large: {size} bytes exceeds limit of {MaxBatchBytes}");
        }
        if (events[^1].timestamp!.Value - events[0].timestamp!.Value > Day)
        {
            throw InvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
        }
        var stream = store.FindStream(group.Id, request.logStreamName!) ?? throw StreamNotFound();
        var now = Millis(context.Now);
        var tooOld = now - 14 * Day;
        var expired = group.RetentionInDays is { } days ? now - days * Day : long.MinValue;
        var tooNew = now + 2 * Hour;
        int? tooOldEnd = null, expiredEnd = null, tooNewStart = null;
        var accepted = new List<(long, string)>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var ts = events[i].timestamp!.Value;
            if (ts < tooOld)
            {
                tooOldEnd = i;
            }
            else if (ts < expired)
            {
                expiredEnd = i;
            }
            else if (ts > tooNew)
            {
                tooNewStart ??= i;
            }
            else
            {
                accepted.Add((ts, events[i].message!));
            }
        }
        // The sequence token is ignored, as AWS has done since January 2023: every batch is accepted.
        var sequence = accepted.Count > 0 ? store.Append(stream, accepted, now) : stream.Sequence;
        return Task.FromResult(new PutLogEventsResponse
        {
            nextSequenceToken = SequenceToken(sequence),
            rejectedLogEventsInfo = tooOldEnd is null && expiredEnd is null && tooNewStart is null
                ? null
                : new RejectedLogEventsInfo { tooOldLogEventEndIndex = tooOldEnd, expiredLogEventEndIndex = expiredEnd, tooNewLogEventStartIndex = tooNewStart },
        });
    }

    /// <summary>The oldest timestamp a group's retention still keeps (epoch ms).</summary>
    private static long RetainedFrom(LogGroupRecord group, DateTime now) => group.RetentionInDays is { } days ? Millis(now) - days * Day : long.MinValue;

    /// <summary>A GetLogEvents token: <c>f/</c> or <c>b/</c> and 56 digits, the timestamp (20, offset to be non-negative) and the event's row id (36).</summary>
    private static string Token(char direction, EventPosition at) =>
        direction + "/" + ((decimal)at.Timestamp - long.MinValue).ToString("00000000000000000000", CultureInfo.InvariantCulture)
        + Math.Max(at.Id, 0).ToString("D36", CultureInfo.InvariantCulture);

    private static (bool Forward, EventPosition At) ParseToken(string token)
    {
        if (token.Length == 58 && token[0] is 'f' or 'b' && token[1] == '/'
            && decimal.TryParse(token.AsSpan(2, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var ts)
            && long.TryParse(token.AsSpan(22, 36), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && ts <= (decimal)long.MaxValue - long.MinValue)
        {
            return (token[0] == 'f', new EventPosition((long)(ts + long.MinValue), id));
        }
        throw InvalidParameter("The specified nextToken is invalid.");
    }

    public override Task<GetLogEventsResponse> GetLogEventsAsync(RequestContext context, GetLogEventsRequest request)
    {
        var group = RequireGroup(context, request.logGroupName, request.logGroupIdentifier);
        CheckStreamName(request.logStreamName);
        var stream = store.FindStream(group.Id, request.logStreamName!) ?? throw StreamNotFound();
        var limit = request.limit ?? MaxBatchEvents;
        if (limit is < 1 or > MaxBatchEvents)
        {
            throw InvalidParameter($"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MaxBatchEvents}");
        }
        var (forward, from) = request.nextToken is { } token
            ? ParseToken(token)
            : request.startFromHead == true ? (true, EventPosition.Start) : (false, EventPosition.End);
        var start = Math.Max(request.startTime ?? long.MinValue, RetainedFrom(group, context.Now));
        // endTime is exclusive for GetLogEvents.
        long? end = request.endTime is { } e ? e - 1 : null;
        var found = new List<LogEventRecord>();
        long bytes = 0;
        store.Scan(group.Id, stream.Id, from, forward, start, end, ev =>
        {
            bytes += Encoding.UTF8.GetByteCount(ev.Message) + EventOverheadBytes;
            if (found.Count > 0 && bytes > MaxBatchBytes)
            {
                return false;
            }
            found.Add(ev);
            return found.Count < limit;
        });
        if (!forward)
        {
            found.Reverse();
        }
        // At either end the token for that direction is the one given: how readers know they have caught up.
        string nextForward, nextBackward;
        if (found.Count > 0)
        {
            nextForward = Token('f', new EventPosition(found[^1].Timestamp, found[^1].Id));
            nextBackward = Token('b', new EventPosition(found[0].Timestamp, found[0].Id));
        }
        else
        {
            nextForward = request.nextToken is not null && forward ? request.nextToken : Token('f', from == EventPosition.End ? EventPosition.Start : from);
            nextBackward = request.nextToken is not null && !forward ? request.nextToken : Token('b', from);
        }
        return Task.FromResult(new GetLogEventsResponse
        {
            events = found.Select(ev => new OutputLogEvent { timestamp = ev.Timestamp, message = ev.Message, ingestionTime = ev.IngestionTime }).ToList(),
            nextForwardToken = nextForward,
            nextBackwardToken = nextBackward,
        });
    }

    public override Task<FilterLogEventsResponse> FilterLogEventsAsync(RequestContext context, FilterLogEventsRequest request)
    {
        var group = RequireGroup(context, request.logGroupName, request.logGroupIdentifier);
        if (request.logStreamNames is { Count: > 0 } && request.logStreamNamePrefix is not null)
        {
            throw InvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
        }
        var limit = request.limit ?? MaxBatchEvents;
        if (limit is < 1 or > MaxBatchEvents)
        {
            throw InvalidParameter($"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MaxBatchEvents}");
        }
        var pattern = FilterPattern.Parse(request.filterPattern);
        var streams = store.Streams(group.Id);
        if (request.logStreamNames is { Count: > 0 } names)
        {
            var missing = names.FirstOrDefault(n => !streams.Exists(s => s.Name == n));
            if (missing is not null)
            {
                throw StreamNotFound();
            }
            streams = streams.Where(s => names.Contains(s.Name)).ToList();
        }
        else if (request.logStreamNamePrefix is { } prefix)
        {
            streams = streams.Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
        var streamNames = streams.ToDictionary(s => s.Id, s => s.Name);
        var from = EventPosition.Start;
        if (request.nextToken is { } token)
        {
            var (forward, at) = ParseToken(token);
            if (!forward)
            {
                throw InvalidParameter("The specified nextToken is invalid.");
            }
            from = at;
        }
        var start = Math.Max(request.startTime ?? long.MinValue, RetainedFrom(group, context.Now));
        long? end = request.endTime;
        var found = new List<LogEventRecord>();
        long bytes = 0;
        var more = false;
        if (streamNames.Count > 0)
        {
            store.Scan(group.Id, streamNames.Count == 1 ? streamNames.Keys.First() : null, from, true, start, end, ev =>
            {
                if (!streamNames.ContainsKey(ev.StreamId) || !pattern.Matches(ev.Message))
                {
                    return true;
                }
                bytes += Encoding.UTF8.GetByteCount(ev.Message) + EventOverheadBytes;
                if (found.Count >= limit || (found.Count > 0 && bytes > MaxBatchBytes))
                {
                    more = true;
                    return false;
                }
                found.Add(ev);
                return true;
            });
        }
        return Task.FromResult(new FilterLogEventsResponse
        {
            events = found.Select(ev => new FilteredLogEvent
            {
                logStreamName = streamNames[ev.StreamId],
                timestamp = ev.Timestamp,
                message = ev.Message,
                ingestionTime = ev.IngestionTime,
                eventId = Token('f', new EventPosition(ev.Timestamp, ev.Id))[2..],
            }).ToList(),
            searchedLogStreams = [],
            nextToken = more ? Token('f', new EventPosition(found[^1].Timestamp, found[^1].Id)) : null,
        });
    }

    // ---- tags -------------------------------------------------------------------------------------

    private static void CheckTags(Dictionary<string, string> tags)
    {
        if (tags.Count > 50)
        {
            throw InvalidParameter("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
        }
        foreach (var key in tags.Keys)
        {
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw InvalidParameter("Tag keys starting with 'aws:' are reserved for AWS use.");
            }
        }
    }

    /// <summary>The log group a tagging ARN names (<c>arn:aws:logs:region:account:log-group:name</c>).</summary>
    private LogGroupRecord GroupOfArn(RequestContext context, string? arn)
    {
        var parts = (arn ?? "").Split(':');
        if (parts.Length < 6 || parts[0] != "arn" || parts[2] != "logs")
        {
            throw InvalidParameter($"Invalid resourceArn: {arn}");
        }
        if (parts[5] != "log-group" || parts.Length != 7 || parts[3] != context.Region || parts[4] != context.AccountId)
        {
            throw new AwsException("ResourceNotFoundException", "The specified resource does not exist.");
        }
        return store.FindGroup(context.AccountId, context.Region, parts[6]) ?? throw new AwsException("ResourceNotFoundException", "The specified resource does not exist.");
    }

    private void AddTags(LogGroupRecord group, Dictionary<string, string> tags)
    {
        CheckTags(tags);
        var merged = new Dictionary<string, string>(group.Tags, StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            merged[key] = value;
        }
        if (merged.Count > 50)
        {
            throw InvalidParameter("A resource can have no more than 50 tags.");
        }
        store.SetTags(group.Id, merged);
    }

    private void RemoveTags(LogGroupRecord group, IEnumerable<string> keys)
    {
        var remaining = new Dictionary<string, string>(group.Tags, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            remaining.Remove(key);
        }
        store.SetTags(group.Id, remaining);
    }

    public override Task TagResourceAsync(RequestContext context, TagResourceRequest request)
    {
        AddTags(GroupOfArn(context, request.resourceArn), request.tags ?? []);
        return Task.CompletedTask;
    }

    public override Task UntagResourceAsync(RequestContext context, UntagResourceRequest request)
    {
        RemoveTags(GroupOfArn(context, request.resourceArn), request.tagKeys ?? []);
        return Task.CompletedTask;
    }

    public override Task<ListTagsForResourceResponse> ListTagsForResourceAsync(RequestContext context, ListTagsForResourceRequest request) =>
        Task.FromResult(new ListTagsForResourceResponse { tags = new Dictionary<string, string>(GroupOfArn(context, request.resourceArn).Tags) });

    public override Task TagLogGroupAsync(RequestContext context, TagLogGroupRequest request)
    {
        AddTags(RequireGroup(context, request.logGroupName), request.tags ?? []);
        return Task.CompletedTask;
    }

    public override Task UntagLogGroupAsync(RequestContext context, UntagLogGroupRequest request)
    {
        RemoveTags(RequireGroup(context, request.logGroupName), request.tags ?? []);
        return Task.CompletedTask;
    }

    public override Task<ListTagsLogGroupResponse> ListTagsLogGroupAsync(RequestContext context, ListTagsLogGroupRequest request) =>
        Task.FromResult(new ListTagsLogGroupResponse { tags = new Dictionary<string, string>(RequireGroup(context, request.logGroupName).Tags) });

    // ---- paging -----------------------------------------------------------------------------------

    /// <summary>One page of <paramref name="items"/> (already in order) after the item whose key the token carries.</summary>
    private static (List<T> Items, string? Next) Page<T>(List<T> items, Func<T, string> key, int? limit, int defaultLimit, string? nextToken,
        bool descending = false, int maxLimit = 50)
    {
        var max = limit ?? defaultLimit;
        if (max < 1 || max > maxLimit)
        {
            throw InvalidParameter($"1 validation error detected: Value '{max}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {maxLimit}");
        }
        var start = 0;
        if (nextToken is not null)
        {
            string after;
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(nextToken));
            }
            catch (FormatException)
            {
                throw InvalidParameter("The specified nextToken is invalid.");
            }
            // The first item past the key, so a page still follows when that item was deleted meanwhile.
            start = items.FindIndex(i => descending ? string.CompareOrdinal(key(i), after) < 0 : string.CompareOrdinal(key(i), after) > 0);
            if (start < 0)
            {
                start = items.Count;
            }
        }
        var page = items.Skip(start).Take(max).ToList();
        var next = start + page.Count < items.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes(key(page[^1]))) : null;
        return (page, next);
    }
}
