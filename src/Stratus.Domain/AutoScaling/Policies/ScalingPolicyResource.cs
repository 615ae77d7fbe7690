using System.Text.Json;

namespace Stratus.Domain.AutoScaling.Policies;

/// <summary>The policy types PutScalingPolicy accepts.</summary>
public static class PolicyTypes
{
    public const string Simple = "SimpleScaling";
    public const string Step = "StepScaling";
    public const string TargetTracking = "TargetTrackingScaling";
    public const string Predictive = "PredictiveScaling";

    public static readonly IReadOnlyList<string> All = [Simple, Step, TargetTracking, Predictive];
}

/// <summary>The adjustment types of simple and step policies (DescribeAdjustmentTypes lists them).</summary>
public static class AdjustmentTypes
{
    public const string ChangeInCapacity = "ChangeInCapacity";
    public const string ExactCapacity = "ExactCapacity";
    public const string PercentChangeInCapacity = "PercentChangeInCapacity";

    public static readonly IReadOnlyList<string> All = [ChangeInCapacity, ExactCapacity, PercentChangeInCapacity];
}

/// <summary>One step of a step policy: bounds relative to the alarm's breach threshold (null: unbounded) and the adjustment.</summary>
public sealed record StepAdjustmentSpec(double? LowerBound, double? UpperBound, int ScalingAdjustment);

/// <summary>A dimension of a metric (name and value).</summary>
public sealed record MetricDimensionSpec(string Name, string Value);

/// <summary>A metric with its statistic, as a target-tracking customized metric or one query of its metric math form.</summary>
public sealed record MetricStatSpec(string Namespace, string MetricName, IReadOnlyList<MetricDimensionSpec> Dimensions, string Stat, string? Unit, int? Period);

/// <summary>One query of a customized metric's metric math form.</summary>
public sealed record MetricQuerySpec(string Id, string? Expression, MetricStatSpec? MetricStat, string? Label, bool? ReturnData, int? Period);

/// <summary>
/// What a target-tracking policy tracks: a predefined metric (with its resource label for
/// ALBRequestCountPerTarget) or a customized metric (a single metric, or metric math queries).
/// </summary>
public sealed class TargetTrackingSpec
{
    public required double TargetValue { get; init; }
    public bool DisableScaleIn { get; init; }
    public string? PredefinedMetricType { get; init; }
    public string? ResourceLabel { get; init; }

    /// <summary>A customized metric given as one metric (namespace, name, dimensions, statistic).</summary>
    public MetricStatSpec? CustomizedMetric { get; init; }

    /// <summary>A customized metric given as metric math queries (exactly one returns data).</summary>
    public IReadOnlyList<MetricQuerySpec>? CustomizedQueries { get; init; }

    /// <summary>The period of the customized metric when given (10, 30 or 60; AWS defaults to 60).</summary>
    public int? CustomizedPeriod { get; init; }
}

/// <summary>
/// A scaling policy, stored as a JSON document keyed by the uuid of its ARN and indexed by its
/// group (see <see cref="ScalingPolicies"/>).
/// </summary>
public sealed class ScalingPolicyResource
{
    public required string Id { get; init; }
    public required string Arn { get; init; }
    public required string GroupName { get; init; }
    public required string PolicyName { get; init; }
    public required string PolicyType { get; set; }
    public bool Enabled { get; set; } = true;
    public string? AdjustmentType { get; set; }
    public int? ScalingAdjustment { get; set; }
    public int? MinAdjustmentMagnitude { get; set; }
    public int? Cooldown { get; set; }
    public string? MetricAggregationType { get; set; }
    public int? EstimatedInstanceWarmup { get; set; }
    public List<StepAdjustmentSpec>? StepAdjustments { get; set; }
    public TargetTrackingSpec? TargetTracking { get; set; }

    /// <summary>A predictive scaling configuration as given (accepted and described; forecasts come from the group's history).</summary>
    public JsonElement? PredictiveConfiguration { get; set; }

    /// <summary>The names of the CloudWatch alarms the policy owns (target tracking: its high and low alarms).</summary>
    public List<string> OwnedAlarms { get; set; } = [];

    /// <summary>When the policy last changed the group's capacity (for its cooldown).</summary>
    public DateTime? LastExecuted { get; set; }

    public required DateTime CreatedTime { get; init; }
}
