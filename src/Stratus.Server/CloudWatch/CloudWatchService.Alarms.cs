using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.CloudWatch;
using Stratus.Server.Gateway;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>Alarms: Put (metric, metric math, composite), Describe, history, state, actions, delete.</summary>
internal sealed partial class CloudWatchService
{
    private static AwsException Validation(string message) => new("ValidationError", message);

    private static string AlarmArn(RequestContext context, string name) => $"arn:aws:cloudwatch:{context.Region}:{context.AccountId}:alarm:{name}";

    private static void CheckName(string? name, string parameter = "AlarmName")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new AwsException("MissingParameter", $"The parameter {parameter} is required.");
        }
        if (name.Length > 255)
        {
            throw Validation($"1 validation error detected: Value at '{char.ToLowerInvariant(parameter[0]) + parameter[1..]}' failed to satisfy constraint: Member must have length less than or equal to 255");
        }
    }

    private static void CheckActions(RequestContext context, IEnumerable<string>? actions, string parameter)
    {
        var list = actions?.ToList() ?? [];
        if (list.Count > 5)
        {
            throw Validation($"The collection {parameter} must not have a size greater than 5.");
        }
        foreach (var action in list)
        {
            var parts = action.Split(':');
            var ok = parts.Length >= 6 && parts[0] == "arn" && parts[1] is "aws" or "aws-cn" or "aws-us-gov"
                && (parts[2] is "sns" or "autoscaling" or "ssm" or "ssm-incidents" or "lambda"
                    || (parts[2] == "automate" && parts[4] == "ec2" && parts[5] is "stop" or "terminate" or "reboot" or "recover")
                    || (parts[2] == "swf" && action.Contains("action/actions/AWS_EC2.", StringComparison.Ordinal)));
            if (!ok)
            {
                throw Validation($"Invalid arn syntax: {action}");
            }
            if (parts[2] == "automate" && parts[3] != context.Region)
            {
                throw Validation($"Invalid region {parts[3]} specified. Only {context.Region} is supported.");
            }
        }
    }

    private static void CheckTags(List<Tag>? tags)
    {
        foreach (var tag in tags ?? [])
        {
            if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128 || tag.Key.StartsWith("aws:", StringComparison.Ordinal))
            {
                throw AwsErrors.InvalidParameterValue($"The value {tag.Key} for parameter Tags.Key is invalid.");
            }
            if (tag.Value is null || tag.Value.Length > 256)
            {
                throw AwsErrors.InvalidParameterValue($"The value for parameter Tags.Value of {tag.Key} is invalid.");
            }
        }
        if ((tags ?? []).Count > 50)
        {
            throw AwsErrors.InvalidParameterValue("The collection Tags must not have a size greater than 50.");
        }
    }

    internal static AlarmHistoryItem ConfigurationItem(AlarmRecord alarm, string type, DateTime now)
    {
        JsonNode? doc = alarm.Metric is not null ? JsonSerializer.SerializeToNode(alarm.Metric, JsonOptions) : JsonSerializer.SerializeToNode(alarm.Composite, JsonOptions);
        var data = new JsonObject { ["version"] = "1.0", ["type"] = type };
        data[type switch { "Create" => "createdAlarm", "Delete" => "deletedAlarm", _ => "updatedAlarm" }] = doc;
        return new AlarmHistoryItem
        {
            AlarmName = alarm.Name,
            AlarmType = alarm.Type,
            Timestamp = now,
            HistoryItemType = "ConfigurationUpdate",
            HistorySummary = $"Alarm \"{alarm.Name}\" {type switch { "Create" => "created", "Delete" => "deleted", _ => "updated" }}",
            HistoryData = data.ToJsonString(),
        };
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public override async Task PutMetricAlarmAsync(RequestContext context, PutMetricAlarmInput request)
    {
        CheckName(request.AlarmName);
        if (request.EvaluationPeriods is not { } n)
        {
            throw new AwsException("MissingParameter", "The parameter EvaluationPeriods is required.");
        }
        if (n < 1)
        {
            throw Validation("EvaluationPeriods must be at least 1.");
        }
        if (request.ComparisonOperator is not { } op)
        {
            throw new AwsException("MissingParameter", "The parameter ComparisonOperator is required.");
        }
        var band = AlarmStates.BandOperators.Contains(op);
        if (band && request.ThresholdMetricId is null)
        {
            throw Validation("ThresholdMetricId must be specified with the anomaly detection comparison operators.");
        }
        if (!band && request.Threshold is null)
        {
            throw Validation("Threshold must be specified.");
        }
        if (request.ThresholdMetricId is not null && request.Threshold is not null)
        {
            throw Validation("Threshold and ThresholdMetricId cannot both be specified.");
        }
        var m = request.DatapointsToAlarm ?? n;
        if (m < 1 || m > n)
        {
            throw Validation($"DatapointsToAlarm ({m}) must be between 1 and EvaluationPeriods ({n}).");
        }
        if (request.TreatMissingData is { } tmd && !AlarmStates.TreatMissing.Contains(tmd))
        {
            throw Validation($"The value {tmd} for parameter TreatMissingData is invalid. Valid values are breaching, notBreaching, ignore and missing.");
        }
        if (request.EvaluateLowSampleCountPercentile is { } low && low is not ("evaluate" or "ignore"))
        {
            throw Validation($"The value {low} for parameter EvaluateLowSampleCountPercentile is invalid. Valid values are evaluate and ignore.");
        }
        var metrics = request.Metrics ?? [];
        int period;
        if (metrics.Count > 0)
        {
            if (request.MetricName is not null || request.Namespace is not null || request.Statistic is not null || request.ExtendedStatistic is not null
                || request.Period is not null || request.Dimensions is { Count: > 0 } || request.Unit is not null)
            {
                throw Validation("Metrics list and the parameters MetricName, Namespace, Dimensions, Period, Unit, Statistic and ExtendedStatistic cannot be specified together.");
            }
            if (metrics.Count > 10)
            {
                throw Validation("The collection Metrics must not have a size greater than 10.");
            }
            MetricQueries.ValidateQueries(metrics, "Metrics", alarm: true);
            var returning = metrics.Where(q => q.ReturnData != false && q.Id != request.ThresholdMetricId).ToList();
            if (returning.Count != 1)
            {
                throw Validation("Exactly one element of the metrics list should return data.");
            }
            if (request.ThresholdMetricId is { } tid && metrics.All(q => q.Id != tid))
            {
                throw Validation($"ThresholdMetricId {tid} does not match any of the metric ids.");
            }
            period = metrics.Select(q => q.MetricStat?.Period ?? q.Period ?? 0).FirstOrDefault(p => p > 0);
            if (period == 0)
            {
                period = 60;
            }
        }
        else
        {
            if (string.IsNullOrEmpty(request.MetricName) || string.IsNullOrEmpty(request.Namespace))
            {
                throw new AwsException("MissingParameter", $"The parameter {(string.IsNullOrEmpty(request.MetricName) ? "MetricName" : "Namespace")} is required.");
            }
            if (request.Period is not { } p)
            {
                throw new AwsException("MissingParameter", "The parameter Period is required.");
            }
            period = p;
            if ((request.Statistic is null) == (request.ExtendedStatistic is null))
            {
                throw AwsErrors.InvalidParameterCombination("Exactly one of Statistic and ExtendedStatistic must be specified.");
            }
            if (request.ExtendedStatistic is { } ext && Statistics.ParsePercentile(ext) is null)
            {
                throw AwsErrors.InvalidParameterValue($"The value {ext} for parameter ExtendedStatistic is not supported.");
            }
            if ((request.Dimensions ?? []).Count > 30)
            {
                throw AwsErrors.InvalidParameterValue("The collection Dimensions must not have a size greater than 30.");
            }
        }
        if (period is not (10 or 20 or 30) && (period < 60 || period % 60 != 0))
        {
            throw Validation("Period must be 10, 20, 30 or a multiple of 60.");
        }
        if ((long)period * n > 7 * 86400)
        {
            throw Validation("The evaluation period cannot exceed 7 days (Period * EvaluationPeriods).");
        }
        CheckActions(context, request.AlarmActions, "AlarmActions");
        CheckActions(context, request.OKActions, "OKActions");
        CheckActions(context, request.InsufficientDataActions, "InsufficientDataActions");
        CheckTags(request.Tags);

        var existing = state.Find(context.AccountId, context.Region, request.AlarmName!);
        if (existing?.Composite is not null)
        {
            throw Validation($"The alarm {request.AlarmName} is a composite alarm.");
        }
        var now = context.Now;
        var alarm = new MetricAlarm
        {
            AlarmName = request.AlarmName,
            AlarmArn = AlarmArn(context, request.AlarmName!),
            AlarmDescription = request.AlarmDescription,
            AlarmConfigurationUpdatedTimestamp = now,
            ActionsEnabled = request.ActionsEnabled ?? true,
            OKActions = request.OKActions ?? [],
            AlarmActions = request.AlarmActions ?? [],
            InsufficientDataActions = request.InsufficientDataActions ?? [],
            StateValue = existing?.State ?? AlarmStates.InsufficientData,
            StateReason = existing?.Metric?.StateReason ?? "Unchecked: Initial alarm creation",
            StateReasonData = existing?.Metric?.StateReasonData,
            StateUpdatedTimestamp = existing?.Metric?.StateUpdatedTimestamp ?? now,
            StateTransitionedTimestamp = existing?.Metric?.StateTransitionedTimestamp ?? now,
            MetricName = request.MetricName,
            Namespace = request.Namespace,
            Statistic = request.Statistic,
            ExtendedStatistic = request.ExtendedStatistic,
            Dimensions = metrics.Count > 0 ? null : (request.Dimensions ?? []),
            Period = metrics.Count > 0 ? null : request.Period,
            Unit = request.Unit,
            EvaluationPeriods = n,
            DatapointsToAlarm = request.DatapointsToAlarm,
            Threshold = request.Threshold,
            ComparisonOperator = op,
            TreatMissingData = request.TreatMissingData,
            EvaluateLowSampleCountPercentile = request.EvaluateLowSampleCountPercentile,
            Metrics = metrics.Count > 0 ? metrics : null,
            ThresholdMetricId = request.ThresholdMetricId,
            EvaluationState = null,
        };
        var record = new AlarmRecord { Metric = alarm };
        await state.PutAlarmsAsync(context.AccountId, context.Region, [record], [ConfigurationItem(record, existing is null ? "Create" : "Update", now)], context.Cancellation).ConfigureAwait(false);
        if (request.Tags is { Count: > 0 } tags && existing is null)
        {
            await state.SetTagsAsync(alarm.AlarmArn!, tags.ToDictionary(t => t.Key!, t => t.Value!, StringComparer.Ordinal), context.Cancellation).ConfigureAwait(false);
        }
    }

    public override async Task PutCompositeAlarmAsync(RequestContext context, PutCompositeAlarmInput request)
    {
        CheckName(request.AlarmName);
        if (string.IsNullOrEmpty(request.AlarmRule))
        {
            throw new AwsException("MissingParameter", "The parameter AlarmRule is required.");
        }
        if (request.AlarmRule.Length > 10240)
        {
            throw Validation("AlarmRule must not be longer than 10240 characters.");
        }
        CompositeRule rule;
        try
        {
            rule = CompositeRule.Parse(request.AlarmRule);
        }
        catch (FormatException e)
        {
            throw Validation($"Error in alarm rule: {e.Message}");
        }
        foreach (var child in rule.Alarms)
        {
            var name = child.StartsWith("arn:", StringComparison.Ordinal) ? child[(child.LastIndexOf(":alarm:", StringComparison.Ordinal) + 7)..] : child;
            if (state.Find(context.AccountId, context.Region, name) is null)
            {
                throw Validation($"Could not save the composite alarm as alarms [{child}] in the alarm rule do not exist");
            }
            if (name == request.AlarmName)
            {
                throw Validation("A composite alarm cannot refer to itself in its alarm rule.");
            }
        }
        CheckActions(context, request.AlarmActions, "AlarmActions");
        CheckActions(context, request.OKActions, "OKActions");
        CheckActions(context, request.InsufficientDataActions, "InsufficientDataActions");
        CheckTags(request.Tags);
        var existing = state.Find(context.AccountId, context.Region, request.AlarmName!);
        if (existing?.Metric is not null)
        {
            throw Validation($"The alarm {request.AlarmName} is a metric alarm.");
        }
        var now = context.Now;
        var alarm = new CompositeAlarm
        {
            AlarmName = request.AlarmName,
            AlarmArn = AlarmArn(context, request.AlarmName!),
            AlarmDescription = request.AlarmDescription,
            AlarmRule = request.AlarmRule,
            AlarmConfigurationUpdatedTimestamp = now,
            ActionsEnabled = request.ActionsEnabled ?? true,
            OKActions = request.OKActions ?? [],
            AlarmActions = request.AlarmActions ?? [],
            InsufficientDataActions = request.InsufficientDataActions ?? [],
            ActionsSuppressor = request.ActionsSuppressor,
            ActionsSuppressorWaitPeriod = request.ActionsSuppressorWaitPeriod,
            ActionsSuppressorExtensionPeriod = request.ActionsSuppressorExtensionPeriod,
            StateValue = existing?.State ?? AlarmStates.InsufficientData,
            StateReason = existing?.Composite?.StateReason ?? "Unchecked: Initial alarm creation",
            StateReasonData = existing?.Composite?.StateReasonData,
            StateUpdatedTimestamp = existing?.Composite?.StateUpdatedTimestamp ?? now,
            StateTransitionedTimestamp = existing?.Composite?.StateTransitionedTimestamp ?? now,
        };
        var record = new AlarmRecord { Composite = alarm };
        await state.PutAlarmsAsync(context.AccountId, context.Region, [record], [ConfigurationItem(record, existing is null ? "Create" : "Update", now)], context.Cancellation).ConfigureAwait(false);
        if (request.Tags is { Count: > 0 } tags && existing is null)
        {
            await state.SetTagsAsync(alarm.AlarmArn!, tags.ToDictionary(t => t.Key!, t => t.Value!, StringComparer.Ordinal), context.Cancellation).ConfigureAwait(false);
        }
    }

    public override Task<DescribeAlarmsOutput> DescribeAlarmsAsync(RequestContext context, DescribeAlarmsInput request)
    {
        if (request.AlarmNames is { Count: > 0 } && request.AlarmNamePrefix is not null)
        {
            throw AwsErrors.InvalidParameterCombination("AlarmNames and AlarmNamePrefix cannot be specified together.");
        }
        if (request.AlarmNames is { Count: > 100 })
        {
            throw AwsErrors.InvalidParameterValue("The collection AlarmNames must not have a size greater than 100.");
        }
        if (request.StateValue is { } sv && !AlarmStates.All.Contains(sv))
        {
            throw AwsErrors.InvalidParameterValue($"The value {sv} for parameter StateValue is invalid.");
        }
        var max = request.MaxRecords ?? 50;
        if (max is < 1 or > 100)
        {
            throw AwsErrors.InvalidParameterValue($"The value {max} for parameter MaxRecords is invalid. It must be between 1 and 100.");
        }
        var types = request.AlarmTypes is { Count: > 0 } t ? t : ["MetricAlarm"];
        var all = state.Alarms(context.AccountId, context.Region);
        IEnumerable<AlarmRecord> selected = all.Where(a => types.Contains(a.Type));
        if (request.AlarmNames is { Count: > 0 } names)
        {
            selected = selected.Where(a => names.Contains(a.Name));
        }
        if (request.AlarmNamePrefix is { } prefix)
        {
            selected = selected.Where(a => a.Name.StartsWith(prefix, StringComparison.Ordinal));
        }
        if (request.StateValue is { } state2)
        {
            selected = selected.Where(a => a.State == state2);
        }
        if (request.ActionPrefix is { } actionPrefix)
        {
            selected = selected.Where(a => (a.Metric?.AlarmActions ?? a.Composite?.AlarmActions ?? [])
                .Concat(a.Metric?.OKActions ?? a.Composite?.OKActions ?? [])
                .Concat(a.Metric?.InsufficientDataActions ?? a.Composite?.InsufficientDataActions ?? [])
                .Any(x => x.StartsWith(actionPrefix, StringComparison.Ordinal)));
        }
        if (request.ChildrenOfAlarmName is { } parent)
        {
            var rule = all.FirstOrDefault(a => a.Name == parent)?.Composite?.AlarmRule;
            var children = rule is null ? [] : CompositeRule.Parse(rule).Alarms.Select(c => c.StartsWith("arn:", StringComparison.Ordinal) ? c[(c.LastIndexOf(":alarm:", StringComparison.Ordinal) + 7)..] : c).ToHashSet(StringComparer.Ordinal);
            selected = selected.Where(a => children.Contains(a.Name));
        }
        if (request.ParentsOfAlarmName is { } child)
        {
            selected = selected.Where(a => a.Composite is { } c && CompositeRule.Parse(c.AlarmRule!).Alarms.Any(x => x == child || x.EndsWith(":alarm:" + child, StringComparison.Ordinal)));
        }
        var list = selected.ToList();
        var startIndex = 0;
        if (request.NextToken is { } token)
        {
            var after = DecodeToken(token);
            startIndex = list.FindIndex(a => string.CompareOrdinal(a.Name, after) > 0);
            if (startIndex < 0)
            {
                startIndex = list.Count;
            }
        }
        var page = list.Skip(startIndex).Take(max).ToList();
        return Task.FromResult(new DescribeAlarmsOutput
        {
            MetricAlarms = page.Where(a => a.Metric is not null).Select(a => a.Metric!).ToList(),
            CompositeAlarms = page.Where(a => a.Composite is not null).Select(a => a.Composite!).ToList(),
            NextToken = startIndex + page.Count < list.Count ? EncodeToken(page[^1].Name) : null,
        });
    }

    public override Task<DescribeAlarmsForMetricOutput> DescribeAlarmsForMetricAsync(RequestContext context, DescribeAlarmsForMetricInput request)
    {
        if (string.IsNullOrEmpty(request.MetricName) || string.IsNullOrEmpty(request.Namespace))
        {
            throw new AwsException("MissingParameter", $"The parameter {(string.IsNullOrEmpty(request.MetricName) ? "MetricName" : "Namespace")} is required.");
        }
        var dims = (request.Dimensions ?? []).OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => d.Name + "=" + d.Value).ToList();
        var alarms = state.Alarms(context.AccountId, context.Region)
            .Where(a => a.Metric is { } m && m.MetricName == request.MetricName && m.Namespace == request.Namespace)
            .Select(a => a.Metric!)
            .Where(m => request.Dimensions is null || (m.Dimensions ?? []).OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => d.Name + "=" + d.Value).SequenceEqual(dims))
            .Where(m => request.Statistic is null || m.Statistic == request.Statistic)
            .Where(m => request.ExtendedStatistic is null || m.ExtendedStatistic == request.ExtendedStatistic)
            .Where(m => request.Period is null || m.Period == request.Period)
            .Where(m => request.Unit is null || m.Unit == request.Unit)
            .ToList();
        return Task.FromResult(new DescribeAlarmsForMetricOutput { MetricAlarms = alarms });
    }

    public override Task<DescribeAlarmHistoryOutput> DescribeAlarmHistoryAsync(RequestContext context, DescribeAlarmHistoryInput request)
    {
        var max = request.MaxRecords ?? 100;
        if (max is < 1 or > 100)
        {
            throw AwsErrors.InvalidParameterValue($"The value {max} for parameter MaxRecords is invalid. It must be between 1 and 100.");
        }
        if (request.HistoryItemType is { } hit && hit is not ("ConfigurationUpdate" or "StateUpdate" or "Action" or "AlarmContributorStateUpdate" or "AlarmContributorAction"))
        {
            throw AwsErrors.InvalidParameterValue($"The value {hit} for parameter HistoryItemType is invalid.");
        }
        var items = state.History(context.AccountId, context.Region, request.AlarmName, request.StartDate, request.EndDate)
            .Where(i => request.HistoryItemType is null || i.HistoryItemType == request.HistoryItemType)
            .Where(i => request.AlarmTypes is not { Count: > 0 } types || types.Contains(i.AlarmType!))
            .ToList();
        if (request.ScanBy == "TimestampAscending")
        {
            items.Reverse();
        }
        var offset = 0;
        if (request.NextToken is { } token && !int.TryParse(DecodeToken(token), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            throw new AwsException("InvalidNextToken", "The service cannot process the request because the NextToken is invalid.");
        }
        var page = items.Skip(offset).Take(max).ToList();
        return Task.FromResult(new DescribeAlarmHistoryOutput
        {
            AlarmHistoryItems = page,
            NextToken = offset + page.Count < items.Count ? EncodeToken((offset + page.Count).ToString(CultureInfo.InvariantCulture)) : null,
        });
    }

    public override async Task SetAlarmStateAsync(RequestContext context, SetAlarmStateInput request)
    {
        CheckName(request.AlarmName);
        if (request.StateValue is not { } value || !AlarmStates.All.Contains(value))
        {
            throw request.StateValue is null ? new AwsException("MissingParameter", "The parameter StateValue is required.") : AwsErrors.InvalidParameterValue($"The value {request.StateValue} for parameter StateValue is invalid.");
        }
        if (request.StateReason is null)
        {
            throw new AwsException("MissingParameter", "The parameter StateReason is required.");
        }
        if (request.StateReasonData is { } data)
        {
            try
            {
                using var _ = JsonDocument.Parse(data);
            }
            catch (JsonException)
            {
                throw new AwsException("InvalidFormat", "StateReasonData is not valid JSON.");
            }
        }
        var alarm = state.Find(context.AccountId, context.Region, request.AlarmName!)
            ?? throw new AwsException("ResourceNotFound", $"Alarm {request.AlarmName} not found", 404);
        await evaluator.TransitionAsync(context.AccountId, context.Region, alarm, value, request.StateReason, request.StateReasonData, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    public override Task EnableAlarmActionsAsync(RequestContext context, EnableAlarmActionsInput request) =>
        SetActionsEnabledAsync(context, request.AlarmNames, true);

    public override Task DisableAlarmActionsAsync(RequestContext context, DisableAlarmActionsInput request) =>
        SetActionsEnabledAsync(context, request.AlarmNames, false);

    private async Task SetActionsEnabledAsync(RequestContext context, List<string>? names, bool enabled)
    {
        if (names is not { Count: > 0 })
        {
            throw new AwsException("MissingParameter", "The parameter AlarmNames is required.");
        }
        if (names.Count > 100)
        {
            throw AwsErrors.InvalidParameterValue("The collection AlarmNames must not have a size greater than 100.");
        }
        var changed = new List<AlarmRecord>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (state.Find(context.AccountId, context.Region, name) is { } alarm)
            {
                if (alarm.Metric is { } m)
                {
                    m.ActionsEnabled = enabled;
                }
                else
                {
                    alarm.Composite!.ActionsEnabled = enabled;
                }
                changed.Add(alarm);
            }
        }
        await state.PutAlarmsAsync(context.AccountId, context.Region, changed, [], context.Cancellation).ConfigureAwait(false);
    }

    public override async Task DeleteAlarmsAsync(RequestContext context, DeleteAlarmsInput request)
    {
        if (request.AlarmNames is not { Count: > 0 } names)
        {
            throw new AwsException("MissingParameter", "The parameter AlarmNames is required.");
        }
        if (names.Count > 100)
        {
            throw AwsErrors.InvalidParameterValue("The collection AlarmNames must not have a size greater than 100.");
        }
        var found = names.Distinct(StringComparer.Ordinal).Select(n => state.Find(context.AccountId, context.Region, n)).Where(a => a is not null).Select(a => a!).ToList();
        await state.DeleteAlarmsAsync(context.AccountId, context.Region, found, found.Select(a => ConfigurationItem(a, "Delete", context.Now)).ToList(), context.Cancellation).ConfigureAwait(false);
    }

    // ---- tags ----------------------------------------------------------------------------------------

    private bool ResourceExists(RequestContext context, string arn)
    {
        var parts = arn.Split(':', 7);
        if (parts.Length >= 6 && parts[0] == "arn" && parts[2] == "cloudwatch" && parts[4] == context.AccountId)
        {
            if (parts.Length == 7 && parts[5] == "alarm" && parts[3] == context.Region)
            {
                return state.Find(context.AccountId, context.Region, parts[6]) is not null;
            }
            if (parts[5].StartsWith("dashboard/", StringComparison.Ordinal))
            {
                var name = parts[5]["dashboard/".Length..];
                return state.Dashboards(context.AccountId).Any(d => d.Name == name);
            }
        }
        return false;
    }

    private string RequireResource(RequestContext context, string? arn)
    {
        if (string.IsNullOrEmpty(arn))
        {
            throw new AwsException("MissingParameter", "The parameter ResourceARN is required.");
        }
        if (!arn.StartsWith("arn:", StringComparison.Ordinal))
        {
            throw AwsErrors.InvalidParameterValue($"The value {arn} for parameter ResourceARN is invalid.");
        }
        return ResourceExists(context, arn) ? arn : throw new AwsException("ResourceNotFoundException", "Resource not found", 404);
    }

    public override async Task<TagResourceOutput> TagResourceAsync(RequestContext context, TagResourceInput request)
    {
        var arn = RequireResource(context, request.ResourceARN);
        if (request.Tags is null)
        {
            throw new AwsException("MissingParameter", "The parameter Tags is required.");
        }
        CheckTags(request.Tags);
        var tags = state.Tags(arn);
        foreach (var tag in request.Tags)
        {
            tags[tag.Key!] = tag.Value!;
        }
        if (tags.Count > 50)
        {
            throw AwsErrors.InvalidParameterValue("A resource can have at most 50 tags.");
        }
        await state.SetTagsAsync(arn, tags, context.Cancellation).ConfigureAwait(false);
        return new TagResourceOutput();
    }

    public override async Task<UntagResourceOutput> UntagResourceAsync(RequestContext context, UntagResourceInput request)
    {
        var arn = RequireResource(context, request.ResourceARN);
        var tags = state.Tags(arn);
        foreach (var key in request.TagKeys ?? [])
        {
            tags.Remove(key);
        }
        await state.SetTagsAsync(arn, tags, context.Cancellation).ConfigureAwait(false);
        return new UntagResourceOutput();
    }

    public override Task<ListTagsForResourceOutput> ListTagsForResourceAsync(RequestContext context, ListTagsForResourceInput request)
    {
        var arn = RequireResource(context, request.ResourceARN);
        return Task.FromResult(new ListTagsForResourceOutput
        {
            Tags = state.Tags(arn).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(),
        });
    }

    // ---- dashboards ------------------------------------------------------------------------------

    private static string DashboardArn(RequestContext context, string name) => $"arn:aws:cloudwatch::{context.AccountId}:dashboard/{name}";

    public override async Task<PutDashboardOutput> PutDashboardAsync(RequestContext context, PutDashboardInput request)
    {
        if (string.IsNullOrEmpty(request.DashboardName))
        {
            throw new AwsException("MissingParameter", "The parameter DashboardName is required.");
        }
        if (request.DashboardName.Length > 255 || !request.DashboardName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new AwsException("InvalidParameterInput", "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).");
        }
        if (request.DashboardBody is null)
        {
            throw new AwsException("MissingParameter", "The parameter DashboardBody is required.");
        }
        string? problem = null;
        try
        {
            var body = JsonNode.Parse(request.DashboardBody);
            if (body is not JsonObject obj)
            {
                problem = "Should be object";
            }
            else if (obj["widgets"] is not null && obj["widgets"] is not JsonArray)
            {
                problem = "Should be array (widgets)";
            }
        }
        catch (JsonException e)
        {
            problem = "Invalid JSON: " + e.Message;
        }
        if (problem is not null)
        {
            throw new AwsException("InvalidParameterInput", $"The field DashboardBody must be a valid JSON object: {problem}");
        }
        CheckTags(request.Tags);
        await state.PutDashboardAsync(context.AccountId, request.DashboardName, request.DashboardBody, context.Now, context.Cancellation).ConfigureAwait(false);
        if (request.Tags is { Count: > 0 } tags)
        {
            await state.SetTagsAsync(DashboardArn(context, request.DashboardName), tags.ToDictionary(t => t.Key!, t => t.Value!, StringComparer.Ordinal), context.Cancellation).ConfigureAwait(false);
        }
        return new PutDashboardOutput { DashboardValidationMessages = [] };
    }

    public override Task<GetDashboardOutput> GetDashboardAsync(RequestContext context, GetDashboardInput request)
    {
        if (string.IsNullOrEmpty(request.DashboardName))
        {
            throw new AwsException("MissingParameter", "The parameter DashboardName is required.");
        }
        var dashboard = state.Dashboards(context.AccountId).FirstOrDefault(d => d.Name == request.DashboardName)
            ?? throw new AwsException("ResourceNotFound", $"Dashboard {request.DashboardName} does not exist", 404);
        return Task.FromResult(new GetDashboardOutput { DashboardName = dashboard.Name, DashboardBody = dashboard.Body, DashboardArn = DashboardArn(context, dashboard.Name) });
    }

    public override Task<ListDashboardsOutput> ListDashboardsAsync(RequestContext context, ListDashboardsInput request)
    {
        var list = state.Dashboards(context.AccountId).Where(d => request.DashboardNamePrefix is null || d.Name.StartsWith(request.DashboardNamePrefix, StringComparison.Ordinal)).ToList();
        var startIndex = 0;
        if (request.NextToken is { } token)
        {
            var after = DecodeToken(token);
            startIndex = list.FindIndex(d => string.CompareOrdinal(d.Name, after) > 0);
            if (startIndex < 0)
            {
                startIndex = list.Count;
            }
        }
        var page = list.Skip(startIndex).Take(1000).ToList();
        return Task.FromResult(new ListDashboardsOutput
        {
            DashboardEntries = page.Select(d => new DashboardEntry
            {
                DashboardName = d.Name,
                DashboardArn = DashboardArn(context, d.Name),
                LastModified = d.Modified,
                Size = System.Text.Encoding.UTF8.GetByteCount(d.Body),
            }).ToList(),
            NextToken = startIndex + page.Count < list.Count ? EncodeToken(page[^1].Name) : null,
        });
    }

    public override async Task<DeleteDashboardsOutput> DeleteDashboardsAsync(RequestContext context, DeleteDashboardsInput request)
    {
        if (request.DashboardNames is not { Count: > 0 } names)
        {
            throw new AwsException("MissingParameter", "The parameter DashboardNames is required.");
        }
        var existing = state.Dashboards(context.AccountId).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var missing = names.Where(n => !existing.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            throw new AwsException("ResourceNotFound", $"The specified dashboard does not exist. [{string.Join(", ", missing)}]", 404);
        }
        await state.DeleteDashboardsAsync(context.AccountId, names, names.Select(n => DashboardArn(context, n)).ToList(), context.Cancellation).ConfigureAwait(false);
        return new DeleteDashboardsOutput();
    }
}
