using System.Globalization;
using System.Text;
using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.AutoScaling.Policies;

/// <summary>What PutScalingPolicy asks for (members null when not given).</summary>
public sealed record ScalingPolicySpec(string? GroupName, string? PolicyName, string? PolicyType, bool? Enabled, string? AdjustmentType,
    int? ScalingAdjustment, int? MinAdjustmentMagnitude, int? MinAdjustmentStep, int? Cooldown, string? MetricAggregationType, int? EstimatedInstanceWarmup,
    IReadOnlyList<StepAdjustmentSpec>? StepAdjustments, TargetTrackingSpec? TargetTracking, bool HasCustomizedAndPredefined, JsonElement? PredictiveConfiguration);

/// <summary>A CloudWatch alarm a target-tracking policy owns, as the policy defines it.</summary>
public sealed record PolicyAlarm(string Name, string Description, string? Namespace, string? MetricName, IReadOnlyList<MetricDimensionSpec> Dimensions,
    string? Statistic, string? Unit, int Period, int EvaluationPeriods, double Threshold, string ComparisonOperator, IReadOnlyList<MetricQuerySpec>? Metrics,
    string PolicyArn)
{
    public string Arn(Scope scope) => ScalingPolicies.AlarmArn(scope, Name);
}

/// <summary>
/// How many minutes of data the alarms of a target-tracking policy evaluate: AWS's high alarm
/// breaches after <see cref="High"/> (3) minutes above the target, the low alarm after
/// <see cref="Low"/> (15) minutes below 90 % of it. An operator may shorten both (e.g. for CI).
/// </summary>
public readonly record struct TargetTrackingAlarmMinutes(int High, int Low)
{
    public static TargetTrackingAlarmMinutes Aws { get; } = new(3, 15);
}

/// <summary>The CloudWatch alarms of target-tracking policies: created, replaced and deleted with their policy.</summary>
public interface IPolicyAlarms
{
    /// <summary>Creates or replaces the alarms (keeping the state of alarms that already exist).</summary>
    Task PutAsync(Scope scope, IReadOnlyList<PolicyAlarm> alarms, CancellationToken cancellationToken);

    /// <summary>Deletes the alarms (names that do not exist are ignored).</summary>
    Task DeleteAsync(Scope scope, IReadOnlyList<string> names, CancellationToken cancellationToken);

    /// <summary>The alarms (name and ARN) whose actions name the policy, by name.</summary>
    IReadOnlyList<(string Name, string Arn)> Acting(Scope scope, string policyArn);

    /// <summary>The state (OK, ALARM, INSUFFICIENT_DATA) of any metric or composite alarm of the scope, or null when there is none by that name (instance refreshes watch alarms).</summary>
    string? StateOf(Scope scope, string alarmName);
}

/// <summary>A page of policies and the token of the next page.</summary>
public sealed record PolicyPage(IReadOnlyList<ScalingPolicyResource> Items, string? NextToken);

/// <summary>
/// Scaling policies of Auto Scaling groups: PutScalingPolicy's validation (as AWS answers
/// invalid combinations, with ValidationError), storage keyed by the uuid of the policy's ARN,
/// DescribePolicies' filters and paging, and DeletePolicy. The group itself is the group core's;
/// callers check that it exists before putting a policy on it.
/// </summary>
public static class ScalingPolicies
{
    public static readonly ResourceType Type = new("autoscaling-policy", "policy", "ValidationError", "ValidationError", "{0}");

    /// <summary>AWS's quota of scaling policies per group.</summary>
    public const int MaxPoliciesPerGroup = 50;

    public static readonly IReadOnlyList<string> PredefinedMetricTypes =
        ["ASGAverageCPUUtilization", "ASGAverageNetworkIn", "ASGAverageNetworkOut", "ALBRequestCountPerTarget"];

    private static readonly HashSet<string> Statistics = ["Average", "Minimum", "Maximum", "SampleCount", "Sum"];

    public static string Arn(Scope scope, string id, string group, string name) =>
        $"arn:aws:autoscaling:{scope.Region}:{scope.AccountId}:scalingPolicy:{id}:autoScalingGroupName/{group}:policyName/{name}";

    public static string AlarmArn(Scope scope, string name) => $"arn:aws:cloudwatch:{scope.Region}:{scope.AccountId}:alarm:{name}";

    private static AwsException Validation(string message) => new("ValidationError", message);

    /// <summary>Creates or replaces the policy <c>(group, name)</c>; answers it with the policy it replaced (null when new).</summary>
    public static async Task<(ScalingPolicyResource Policy, ScalingPolicyResource? Previous)> PutAsync(IStoreTransaction tx, Scope scope, ScalingPolicySpec spec, DateTime now, CancellationToken ct = default)
    {
        var group = Required(spec.GroupName, "AutoScalingGroupName", 255);
        var name = Required(spec.PolicyName, "PolicyName", 255);
        var type = spec.PolicyType ?? PolicyTypes.Simple;
        if (!PolicyTypes.All.Contains(type))
        {
            throw Validation($"Invalid policy type {type}. Valid policy types are {string.Join(", ", PolicyTypes.All)}.");
        }
        var all = await tx.ListAsync<ScalingPolicyResource>(scope, Type, ct).ConfigureAwait(false);
        var previous = all.FirstOrDefault(p => p.GroupName == group && p.PolicyName == name);
        if (previous is null && all.Count(p => p.GroupName == group) >= MaxPoliciesPerGroup)
        {
            throw new AwsException("LimitExceeded", $"You have reached the limit of {MaxPoliciesPerGroup} scaling policies for the Auto Scaling group {group}.");
        }
        var id = previous?.Id ?? Guid.NewGuid().ToString();
        var policy = new ScalingPolicyResource
        {
            Id = id,
            Arn = previous?.Arn ?? Arn(scope, id, group, name),
            GroupName = group,
            PolicyName = name,
            PolicyType = type,
            Enabled = spec.Enabled ?? true,
            CreatedTime = previous?.CreatedTime ?? now,
            LastExecuted = previous?.LastExecuted,
        };
        switch (type)
        {
            case PolicyTypes.Simple:
                CheckOnly(spec, type, steps: false, tracking: false, aggregation: false, warmup: false, predictive: false);
                policy.AdjustmentType = CheckAdjustmentType(spec);
                policy.ScalingAdjustment = spec.ScalingAdjustment ?? throw Validation("Scaling increment must be specified for a SimpleScaling policy");
                policy.MinAdjustmentMagnitude = CheckMagnitude(spec);
                policy.Cooldown = spec.Cooldown is < 0 ? throw Validation("Cooldown must be greater than or equal to 0") : spec.Cooldown;
                break;
            case PolicyTypes.Step:
                CheckOnly(spec, type, steps: true, tracking: false, aggregation: true, warmup: true, predictive: false);
                if (spec.ScalingAdjustment is not null)
                {
                    throw Validation("ScalingAdjustment is not supported for policy type StepScaling.");
                }
                if (spec.Cooldown is not null)
                {
                    throw Validation("Cooldown is not supported for policy type StepScaling.");
                }
                policy.AdjustmentType = CheckAdjustmentType(spec);
                policy.MinAdjustmentMagnitude = CheckMagnitude(spec);
                var steps = spec.StepAdjustments ?? [];
                PolicyMath.CheckSteps(steps);
                policy.StepAdjustments = [.. steps];
                policy.MetricAggregationType = spec.MetricAggregationType ?? "Average";
                if (policy.MetricAggregationType is not ("Average" or "Minimum" or "Maximum"))
                {
                    throw Validation($"Invalid metric aggregation type {policy.MetricAggregationType}. Valid values are Average, Minimum and Maximum.");
                }
                policy.EstimatedInstanceWarmup = CheckWarmup(spec.EstimatedInstanceWarmup);
                break;
            case PolicyTypes.TargetTracking:
                CheckOnly(spec, type, steps: false, tracking: true, aggregation: false, warmup: true, predictive: false);
                if (spec.AdjustmentType is not null || spec.ScalingAdjustment is not null || spec.MinAdjustmentMagnitude is not null || spec.Cooldown is not null)
                {
                    throw Validation("AdjustmentType, ScalingAdjustment, MinAdjustmentMagnitude and Cooldown are not supported for policy type TargetTrackingScaling.");
                }
                policy.TargetTracking = CheckTargetTracking(spec);
                policy.EstimatedInstanceWarmup = CheckWarmup(spec.EstimatedInstanceWarmup);
                break;
            default:
                CheckOnly(spec, type, steps: false, tracking: false, aggregation: false, warmup: false, predictive: true);
                if (spec.AdjustmentType is not null || spec.ScalingAdjustment is not null || spec.MinAdjustmentMagnitude is not null || spec.Cooldown is not null)
                {
                    throw Validation("AdjustmentType, ScalingAdjustment, MinAdjustmentMagnitude and Cooldown are not supported for policy type PredictiveScaling.");
                }
                policy.PredictiveConfiguration = spec.PredictiveConfiguration ?? throw Validation("PredictiveScalingConfiguration is required for policy type PredictiveScaling.");
                break;
        }
        if (policy.TargetTracking is not null)
        {
            // Alarm names stay with the policy across updates; DisableScaleIn drops the low alarm.
            var high = previous?.OwnedAlarms.FirstOrDefault(a => a.Contains("-AlarmHigh-", StringComparison.Ordinal))
                ?? $"TargetTracking-{group}-AlarmHigh-{Guid.NewGuid()}";
            var low = previous?.OwnedAlarms.FirstOrDefault(a => a.Contains("-AlarmLow-", StringComparison.Ordinal))
                ?? $"TargetTracking-{group}-AlarmLow-{Guid.NewGuid()}";
            policy.OwnedAlarms = policy.TargetTracking.DisableScaleIn ? [high] : [high, low];
        }
        await tx.PutAsync(scope, Type, policy.Id, policy, policy.CreatedTime, ct).ConfigureAwait(false);
        return (policy, previous);
    }

    private static string Required(string? value, string parameter, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Validation($"1 validation error detected: Value null at '{char.ToLowerInvariant(parameter[0]) + parameter[1..]}' failed to satisfy constraint: Member must not be null");
        }
        if (value.Length > maxLength)
        {
            throw Validation($"1 validation error detected: Value '{value}' at '{char.ToLowerInvariant(parameter[0]) + parameter[1..]}' failed to satisfy constraint: Member must have length less than or equal to {maxLength}");
        }
        return value;
    }

    private static void CheckOnly(ScalingPolicySpec spec, string type, bool steps, bool tracking, bool aggregation, bool warmup, bool predictive)
    {
        if (!steps && spec.StepAdjustments is { Count: > 0 })
        {
            throw Validation($"StepAdjustments is not supported for policy type {type}.");
        }
        if (!tracking && (spec.TargetTracking is not null || spec.HasCustomizedAndPredefined))
        {
            throw Validation($"TargetTrackingConfiguration is not supported for policy type {type}.");
        }
        if (!aggregation && spec.MetricAggregationType is not null)
        {
            throw Validation($"MetricAggregationType is not supported for policy type {type}.");
        }
        if (!warmup && spec.EstimatedInstanceWarmup is not null)
        {
            throw Validation($"EstimatedInstanceWarmup is not supported for policy type {type}.");
        }
        if (!predictive && spec.PredictiveConfiguration is not null)
        {
            throw Validation($"PredictiveScalingConfiguration is not supported for policy type {type}.");
        }
    }

    private static string CheckAdjustmentType(ScalingPolicySpec spec)
    {
        var type = spec.AdjustmentType ?? throw Validation($"AdjustmentType must be specified for policy type {spec.PolicyType ?? PolicyTypes.Simple}.");
        return AdjustmentTypes.All.Contains(type)
            ? type
            : throw Validation($"Invalid adjustment type {type}. Valid adjustment types are {string.Join(", ", AdjustmentTypes.All)}.");
    }

    private static int? CheckMagnitude(ScalingPolicySpec spec)
    {
        var magnitude = spec.MinAdjustmentMagnitude ?? spec.MinAdjustmentStep;
        if (magnitude is null)
        {
            return null;
        }
        if (spec.AdjustmentType != AdjustmentTypes.PercentChangeInCapacity)
        {
            throw Validation("MinAdjustmentMagnitude is only supported with the adjustment type PercentChangeInCapacity.");
        }
        return magnitude < 1 ? throw Validation("MinAdjustmentMagnitude must be greater than or equal to 1.") : magnitude;
    }

    private static int? CheckWarmup(int? warmup) => warmup is < 0 ? throw Validation("EstimatedInstanceWarmup must be greater than or equal to 0.") : warmup;

    private static TargetTrackingSpec CheckTargetTracking(ScalingPolicySpec spec)
    {
        if (spec.HasCustomizedAndPredefined)
        {
            throw Validation("Specify either PredefinedMetricSpecification or CustomizedMetricSpecification, not both.");
        }
        var tt = spec.TargetTracking ?? throw Validation("TargetTrackingConfiguration is required for policy type TargetTrackingScaling.");
        if (!double.IsFinite(tt.TargetValue) || tt.TargetValue <= 0)
        {
            throw Validation("TargetValue must be greater than 0.");
        }
        if (tt.PredefinedMetricType is { } predefined)
        {
            if (!PredefinedMetricTypes.Contains(predefined))
            {
                throw Validation($"1 validation error detected: Value '{predefined}' at 'targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", PredefinedMetricTypes)}]");
            }
            if (predefined == "ALBRequestCountPerTarget")
            {
                var label = tt.ResourceLabel ?? throw Validation("ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget.");
                var parts = label.Split('/');
                if (parts.Length != 6 || parts[0] != "app" || parts[3] != "targetgroup" || parts.Any(p => p.Length == 0))
                {
                    throw Validation($"The resource label {label} is not valid: expected app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.");
                }
            }
            else if (tt.ResourceLabel is not null)
            {
                throw Validation($"ResourceLabel is not supported for the predefined metric type {predefined}.");
            }
            return tt;
        }
        if (tt.CustomizedMetric is { } metric)
        {
            if (string.IsNullOrEmpty(metric.Namespace) || string.IsNullOrEmpty(metric.MetricName))
            {
                throw Validation("CustomizedMetricSpecification needs MetricName and Namespace, or Metrics.");
            }
            if (!Statistics.Contains(metric.Stat))
            {
                throw Validation($"Invalid statistic {metric.Stat}. Valid statistics are Average, Minimum, Maximum, SampleCount and Sum.");
            }
        }
        else if (tt.CustomizedQueries is { } queries)
        {
            if (queries.Count == 0)
            {
                throw Validation("CustomizedMetricSpecification needs MetricName and Namespace, or Metrics.");
            }
            if (queries.Count(q => q.ReturnData ?? true) != 1)
            {
                throw Validation("Exactly one metric data query in Metrics must return data (ReturnData true).");
            }
            foreach (var q in queries)
            {
                if (string.IsNullOrEmpty(q.Id) || !char.IsLower(q.Id[0]))
                {
                    throw Validation($"The metric data query id '{q.Id}' is not valid: it must start with a lowercase letter.");
                }
                if ((q.Expression is null) == (q.MetricStat is null))
                {
                    throw Validation($"The metric data query {q.Id} must have exactly one of Expression and MetricStat.");
                }
            }
            if (queries.Select(q => q.Id).Distinct(StringComparer.Ordinal).Count() != queries.Count)
            {
                throw Validation("The ids of the metric data queries in Metrics must be unique.");
            }
        }
        else
        {
            throw Validation("TargetTrackingConfiguration needs a PredefinedMetricSpecification or a CustomizedMetricSpecification.");
        }
        if (tt.CustomizedPeriod is { } period && period is not (10 or 30 or 60))
        {
            throw Validation($"Invalid period {period}. Valid periods for a customized metric are 10, 30 and 60 seconds.");
        }
        return tt;
    }

    /// <summary>The policy named by <paramref name="nameOrArn"/> (a name in <paramref name="group"/>, or a policy ARN).</summary>
    public static async Task<ScalingPolicyResource?> FindAsync(IStoreSession session, Scope scope, string? group, string nameOrArn, CancellationToken ct = default)
    {
        if (nameOrArn.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = nameOrArn.Split(':');
            if (parts.Length >= 7 && parts[5] == "scalingPolicy")
            {
                var byId = await session.GetAsync<ScalingPolicyResource>(scope, Type, parts[6], ct).ConfigureAwait(false);
                return byId?.Arn == nameOrArn ? byId : null;
            }
            return null;
        }
        var all = await session.ListAsync<ScalingPolicyResource>(scope, Type, ct).ConfigureAwait(false);
        return all.FirstOrDefault(p => p.GroupName == group && p.PolicyName == nameOrArn);
    }

    /// <summary>The policy or AWS's error for a policy that does not exist.</summary>
    public static async Task<ScalingPolicyResource> RequireAsync(IStoreSession session, Scope scope, string? group, string? nameOrArn, CancellationToken ct = default)
    {
        var name = Required(nameOrArn, "PolicyName", 1600);
        if (!name.StartsWith("arn:", StringComparison.Ordinal) && string.IsNullOrEmpty(group))
        {
            throw Validation("AutoScalingGroupName is required when the policy is named by its name rather than its ARN.");
        }
        return await FindAsync(session, scope, group, name, ct).ConfigureAwait(false)
            ?? throw Validation($"No scaling policy found for the policy name: {name}");
    }

    /// <summary>Every policy of a group (for the group's deletion and for alarms).</summary>
    public static async Task<List<ScalingPolicyResource>> OfGroupAsync(IStoreSession session, Scope scope, string group, CancellationToken ct = default) =>
        (await session.ListAsync<ScalingPolicyResource>(scope, Type, ct).ConfigureAwait(false)).Where(p => p.GroupName == group).ToList();

    /// <summary>DescribePolicies: filtered by group, names (or ARNs) and types, ordered by group then name, paged.</summary>
    public static async Task<PolicyPage> DescribeAsync(IStoreSession session, Scope scope, string? group, IReadOnlyList<string>? names, IReadOnlyList<string>? types,
        int? maxRecords, string? nextToken, CancellationToken ct = default)
    {
        var max = maxRecords ?? 50;
        if (max is < 1 or > 100)
        {
            throw Validation($"MaxRecords must be between 1 and 100 (given {max.ToString(CultureInfo.InvariantCulture)}).");
        }
        if (names is { Count: > 50 })
        {
            throw Validation("The number of policy names must not exceed 50.");
        }
        var all = await session.ListAsync<ScalingPolicyResource>(scope, Type, ct).ConfigureAwait(false);
        IEnumerable<ScalingPolicyResource> matches = all;
        if (!string.IsNullOrEmpty(group))
        {
            matches = matches.Where(p => p.GroupName == group);
        }
        if (names is { Count: > 0 })
        {
            matches = matches.Where(p => names.Contains(p.PolicyName) || names.Contains(p.Arn));
        }
        if (types is { Count: > 0 })
        {
            matches = matches.Where(p => types.Contains(p.PolicyType));
        }
        var ordered = matches.OrderBy(p => p.GroupName, StringComparer.Ordinal).ThenBy(p => p.PolicyName, StringComparer.Ordinal).ToList();
        var start = 0;
        if (!string.IsNullOrEmpty(nextToken))
        {
            var after = DecodeToken(nextToken);
            start = ordered.FindIndex(p => string.CompareOrdinal(Key(p), after) > 0);
            if (start < 0)
            {
                start = ordered.Count;
            }
        }
        var page = ordered.Skip(start).Take(max).ToList();
        var more = start + page.Count < ordered.Count;
        return new PolicyPage(page, more ? EncodeToken(Key(page[^1])) : null);
    }

    private static string Key(ScalingPolicyResource p) => p.GroupName + "\u001f" + p.PolicyName;

    internal static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    internal static string DecodeToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw new AwsException("InvalidNextToken", "The token provided is not valid.");
        }
    }

    /// <summary>Deletes a policy; answers it (with the alarms it owned, for the caller to delete).</summary>
    public static async Task<ScalingPolicyResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? group, string? nameOrArn, CancellationToken ct = default)
    {
        var policy = await RequireAsync(tx, scope, group, nameOrArn, ct).ConfigureAwait(false);
        await tx.DeleteAsync(scope, Type, policy.Id, ct).ConfigureAwait(false);
        return policy;
    }

    /// <summary>
    /// Deletes every policy of <paramref name="group"/> in the caller's transaction (the group is
    /// being deleted); answers the CloudWatch alarms those policies owned, for the caller to delete
    /// through <see cref="IPolicyAlarms"/> once the transaction has committed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DeleteForGroupAsync(IStoreTransaction tx, Scope scope, string group, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var alarms = new List<string>();
        foreach (var policy in await OfGroupAsync(tx, scope, group, ct).ConfigureAwait(false))
        {
            await tx.DeleteAsync(scope, Type, policy.Id, ct).ConfigureAwait(false);
            alarms.AddRange(policy.OwnedAlarms);
        }
        return alarms;
    }

    /// <summary>Records that the policy changed its group's capacity at <paramref name="now"/>.</summary>
    public static async Task MarkExecutedAsync(IStoreTransaction tx, Scope scope, ScalingPolicyResource policy, DateTime now, CancellationToken ct = default)
    {
        policy.LastExecuted = now;
        await tx.PutAsync(scope, Type, policy.Id, policy, policy.CreatedTime, ct).ConfigureAwait(false);
    }

    /// <summary>The alarms a target-tracking policy owns, as CloudWatch should hold them (AWS's 3 and 15 minutes unless <paramref name="minutes"/> says otherwise).</summary>
    public static IReadOnlyList<PolicyAlarm> AlarmsOf(ScalingPolicyResource policy, TargetTrackingAlarmMinutes? minutes = null)
    {
        var (highMinutes, lowMinutes) = minutes ?? TargetTrackingAlarmMinutes.Aws;
        if (policy.TargetTracking is not { } tt)
        {
            return [];
        }
        string? ns = null, metric = null, stat = null, unit = null;
        IReadOnlyList<MetricDimensionSpec> dimensions = [];
        IReadOnlyList<MetricQuerySpec>? queries = null;
        var period = 60;
        switch (tt.PredefinedMetricType)
        {
            case "ASGAverageCPUUtilization":
                (ns, metric, stat, unit) = ("AWS/EC2", "CPUUtilization", "Average", "Percent");
                dimensions = [new("AutoScalingGroupName", policy.GroupName)];
                break;
            case "ASGAverageNetworkIn":
            case "ASGAverageNetworkOut":
                (ns, metric, stat, unit) = ("AWS/EC2", tt.PredefinedMetricType == "ASGAverageNetworkIn" ? "NetworkIn" : "NetworkOut", "Average", "Bytes");
                dimensions = [new("AutoScalingGroupName", policy.GroupName)];
                break;
            case "ALBRequestCountPerTarget":
                var parts = tt.ResourceLabel!.Split('/');
                (ns, metric, stat) = ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum");
                dimensions = [new("TargetGroup", string.Join('/', parts[3..]))];
                break;
            default:
                if (tt.CustomizedMetric is { } m)
                {
                    (ns, metric, stat, unit) = (m.Namespace, m.MetricName, m.Stat, m.Unit);
                    dimensions = m.Dimensions;
                }
                else
                {
                    queries = tt.CustomizedQueries;
                }
                period = tt.CustomizedPeriod ?? 60;
                break;
        }
        var description = $"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy.Arn}.";
        var alarms = new List<PolicyAlarm>();
        foreach (var name in policy.OwnedAlarms)
        {
            var high = name.Contains("-AlarmHigh-", StringComparison.Ordinal);
            // As AWS: the high alarm breaches after 3 minutes of periods above the target, the
            // low alarm after 15 below 90 % of it.
            alarms.Add(new PolicyAlarm(name, description, ns, metric, dimensions, stat, unit, period,
                Math.Max(1, (high ? highMinutes : lowMinutes) * 60 / period),
                high ? tt.TargetValue : tt.TargetValue * 0.9,
                high ? "GreaterThanThreshold" : "LessThanThreshold", queries, policy.Arn));
        }
        return alarms;
    }
}
