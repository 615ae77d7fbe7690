using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.AutoScaling.Policies;
using Stratus.Server.AutoScaling.Policies;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;
using WireAlarm = Stratus.Services.Model.AutoScaling.Alarm;

namespace Stratus.Server.AutoScaling;

/// <summary>
/// Scaling policies (PutScalingPolicy, DescribePolicies, DeletePolicy, ExecutePolicy,
/// GetPredictiveScalingForecast) and scheduled actions (Put/BatchPut, Describe, Delete/BatchDelete)
/// over src/Stratus.Domain/AutoScaling/Policies. Target-tracking policies keep their CloudWatch
/// alarm pair in step with the policy (<see cref="IPolicyAlarms"/>); executions and fired
/// scheduled actions change the group's desired capacity through the group core.
/// </summary>
internal sealed partial class AutoScalingService
{
    private static readonly JsonSerializerOptions WireJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static AwsException PolicyValidation(string message) => new("ValidationError", message);

    private void CapacityChangedAfterCommit(RequestContext context) => context.AfterCommit(() => { signals.CapacityChanged(); return Task.CompletedTask; });

    private void ScheduleChangedAfterCommit(RequestContext context) => context.AfterCommit(() => { schedule.Wake(); return Task.CompletedTask; });

    // ---------------------------------------------------------------- scaling policies

    public override async Task<PolicyARNType> PutScalingPolicyAsync(RequestContext context, PutScalingPolicyType request)
    {
        await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        var spec = new ScalingPolicySpec(request.AutoScalingGroupName, request.PolicyName, request.PolicyType, request.Enabled, request.AdjustmentType,
            request.ScalingAdjustment, request.MinAdjustmentMagnitude, request.MinAdjustmentStep, request.Cooldown, request.MetricAggregationType,
            request.EstimatedInstanceWarmup, request.StepAdjustments?.Select(ToSpec).ToList(), ToSpec(request.TargetTrackingConfiguration),
            request.TargetTrackingConfiguration is { PredefinedMetricSpecification: not null, CustomizedMetricSpecification: not null },
            request.PredictiveScalingConfiguration is { } predictive ? JsonSerializer.SerializeToElement(predictive, WireJson) : null);
        var (policy, previous) = await ScalingPolicies.PutAsync(context.Transaction, context.Scope, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        var stale = (previous?.OwnedAlarms ?? []).Except(policy.OwnedAlarms).ToList();
        if (stale.Count > 0)
        {
            await policyAlarms.DeleteAsync(context.Scope, stale, context.Cancellation).ConfigureAwait(false);
        }
        var alarms = ScalingPolicies.AlarmsOf(policy, options.TargetTrackingAlarmMinutes);
        if (alarms.Count > 0)
        {
            await policyAlarms.PutAsync(context.Scope, alarms, context.Cancellation).ConfigureAwait(false);
        }
        return new PolicyARNType
        {
            PolicyARN = policy.Arn,
            Alarms = alarms.Select(a => new WireAlarm { AlarmName = a.Name, AlarmARN = a.Arn(context.Scope) }).ToList(),
        };
    }

    public override async Task<PoliciesType> DescribePoliciesAsync(RequestContext context, DescribePoliciesType request)
    {
        var page = await ScalingPolicies.DescribeAsync(context.Store, context.Scope, request.AutoScalingGroupName, request.PolicyNames, request.PolicyTypes,
            request.MaxRecords, request.NextToken, context.Cancellation).ConfigureAwait(false);
        return new PoliciesType { ScalingPolicies = page.Items.Select(p => ToShape(context, p)).ToList(), NextToken = page.NextToken };
    }

    public override async Task DeletePolicyAsync(RequestContext context, DeletePolicyType request)
    {
        var policy = await ScalingPolicies.DeleteAsync(context.Transaction, context.Scope, request.AutoScalingGroupName, request.PolicyName, context.Cancellation).ConfigureAwait(false);
        if (policy.OwnedAlarms.Count > 0)
        {
            var scope = context.Scope;
            context.AfterCommit(() => policyAlarms.DeleteAsync(scope, policy.OwnedAlarms, CancellationToken.None));
        }
    }

    public override async Task ExecutePolicyAsync(RequestContext context, ExecutePolicyType request)
    {
        var policy = await ScalingPolicies.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, request.PolicyName, context.Cancellation).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(request.AutoScalingGroupName) && request.AutoScalingGroupName != policy.GroupName)
        {
            throw PolicyValidation($"The policy {request.PolicyName} does not belong to the Auto Scaling group {request.AutoScalingGroupName}.");
        }
        if (policy.PolicyType != PolicyTypes.Step && (request.MetricValue is not null || request.BreachThreshold is not null))
        {
            throw PolicyValidation("MetricValue and BreachThreshold are only supported when executing a StepScaling policy.");
        }
        var trigger = new PolicyTrigger(request.HonorCooldown ?? false, request.MetricValue, request.BreachThreshold);
        var (plan, _) = await PolicyExecution.ExecuteAsync(context.Transaction, context.Scope, policy, trigger, context.Now, context.Cancellation).ConfigureAwait(false);
        if (plan.NewDesiredCapacity is not null)
        {
            CapacityChangedAfterCommit(context);
        }
    }

    public override async Task<GetPredictiveScalingForecastAnswer> GetPredictiveScalingForecastAsync(RequestContext context, GetPredictiveScalingForecastType request)
    {
        var group = await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        var policy = await ScalingPolicies.RequireAsync(context.Store, context.Scope, group.Name, request.PolicyName, context.Cancellation).ConfigureAwait(false);
        if (policy.PolicyType != PolicyTypes.Predictive)
        {
            throw PolicyValidation($"The policy {policy.PolicyName} is not a PredictiveScaling policy.");
        }
        if (request.StartTime is not { } start || request.EndTime is not { } end)
        {
            throw PolicyValidation("StartTime and EndTime are required.");
        }
        start = start.ToUniversalTime();
        end = end.ToUniversalTime();
        if (end <= start)
        {
            throw PolicyValidation("The end time must be after the start time.");
        }
        if (end - start > TimeSpan.FromDays(30))
        {
            throw PolicyValidation("The forecast period must not exceed 30 days.");
        }
        var configuration = policy.PredictiveConfiguration?.Deserialize<PredictiveScalingConfiguration>(WireJson) ?? new PredictiveScalingConfiguration();
        var forecast = PredictiveForecast.Of(group, configuration, start, end);
        return new GetPredictiveScalingForecastAnswer
        {
            CapacityForecast = new CapacityForecast { Timestamps = forecast.Timestamps, Values = forecast.Capacity },
            LoadForecast = (configuration.MetricSpecifications ?? []).Select(m => new LoadForecast
            {
                MetricSpecification = m,
                Timestamps = forecast.Timestamps,
                Values = forecast.Capacity.Select(c => c * (m.TargetValue ?? 0)).ToList(),
            }).ToList(),
            UpdateTime = context.Now,
        };
    }

    private static StepAdjustmentSpec ToSpec(StepAdjustment s) =>
        new(s.MetricIntervalLowerBound, s.MetricIntervalUpperBound, s.ScalingAdjustment ?? throw PolicyValidation("ScalingAdjustment is required for every step adjustment."));

    private static MetricStatSpec ToSpec(Metric? metric, string? stat, string? unit, int? period)
    {
        if (metric is null || string.IsNullOrEmpty(metric.Namespace) || string.IsNullOrEmpty(metric.MetricName))
        {
            throw PolicyValidation("A metric needs MetricName and Namespace.");
        }
        return new MetricStatSpec(metric.Namespace, metric.MetricName, Dimensions(metric.Dimensions), stat ?? throw PolicyValidation("A metric needs a statistic (Stat)."), unit, period);
    }

    private static List<MetricDimensionSpec> Dimensions(List<MetricDimension>? dimensions) =>
        (dimensions ?? []).Select(d => new MetricDimensionSpec(d.Name ?? throw PolicyValidation("A metric dimension needs a Name."), d.Value ?? throw PolicyValidation("A metric dimension needs a Value."))).ToList();

    private static TargetTrackingSpec? ToSpec(TargetTrackingConfiguration? tt)
    {
        if (tt is null)
        {
            return null;
        }
        var target = tt.TargetValue ?? throw PolicyValidation("TargetValue is required in TargetTrackingConfiguration.");
        if (tt.PredefinedMetricSpecification is { } predefined)
        {
            return new TargetTrackingSpec
            {
                TargetValue = target,
                DisableScaleIn = tt.DisableScaleIn ?? false,
                PredefinedMetricType = predefined.PredefinedMetricType ?? throw PolicyValidation("PredefinedMetricType is required in PredefinedMetricSpecification."),
                ResourceLabel = predefined.ResourceLabel,
            };
        }
        if (tt.CustomizedMetricSpecification is { } custom)
        {
            if (custom.Metrics is { Count: > 0 } queries)
            {
                if (custom.MetricName is not null || custom.Namespace is not null || custom.Statistic is not null || custom.Dimensions is { Count: > 0 })
                {
                    throw PolicyValidation("Specify either Metrics or MetricName, Namespace, Dimensions and Statistic in CustomizedMetricSpecification, not both.");
                }
                return new TargetTrackingSpec
                {
                    TargetValue = target,
                    DisableScaleIn = tt.DisableScaleIn ?? false,
                    CustomizedQueries = queries.Select(q => new MetricQuerySpec(q.Id ?? "", q.Expression,
                        q.MetricStat is { } ms ? ToSpec(ms.Metric, ms.Stat, ms.Unit, ms.Period) : null, q.Label, q.ReturnData, q.Period)).ToList(),
                    CustomizedPeriod = custom.Period,
                };
            }
            return new TargetTrackingSpec
            {
                TargetValue = target,
                DisableScaleIn = tt.DisableScaleIn ?? false,
                CustomizedMetric = ToSpec(new Metric { Namespace = custom.Namespace, MetricName = custom.MetricName, Dimensions = custom.Dimensions }, custom.Statistic, custom.Unit, custom.Period),
                CustomizedPeriod = custom.Period,
            };
        }
        return new TargetTrackingSpec { TargetValue = target, DisableScaleIn = tt.DisableScaleIn ?? false };
    }

    private ScalingPolicy ToShape(RequestContext context, ScalingPolicyResource p)
    {
        var owned = p.OwnedAlarms.Select(n => (Name: n, Arn: ScalingPolicies.AlarmArn(context.Scope, n)));
        var acting = policyAlarms.Acting(context.Scope, p.Arn);
        return new ScalingPolicy
        {
            AutoScalingGroupName = p.GroupName,
            PolicyName = p.PolicyName,
            PolicyARN = p.Arn,
            PolicyType = p.PolicyType,
            Enabled = p.Enabled,
            AdjustmentType = p.AdjustmentType,
            ScalingAdjustment = p.ScalingAdjustment,
            MinAdjustmentMagnitude = p.MinAdjustmentMagnitude,
            MinAdjustmentStep = p.MinAdjustmentMagnitude,
            Cooldown = p.Cooldown,
            MetricAggregationType = p.MetricAggregationType,
            EstimatedInstanceWarmup = p.EstimatedInstanceWarmup,
            StepAdjustments = p.StepAdjustments?.Select(s => new StepAdjustment
            {
                MetricIntervalLowerBound = s.LowerBound,
                MetricIntervalUpperBound = s.UpperBound,
                ScalingAdjustment = s.ScalingAdjustment,
            }).ToList(),
            TargetTrackingConfiguration = p.TargetTracking is { } tt ? ToShape(tt) : null,
            PredictiveScalingConfiguration = p.PredictiveConfiguration?.Deserialize<PredictiveScalingConfiguration>(WireJson),
            Alarms = owned.Concat(acting).DistinctBy(a => a.Name).Select(a => new WireAlarm { AlarmName = a.Name, AlarmARN = a.Arn }).ToList(),
        };
    }

    private static TargetTrackingConfiguration ToShape(TargetTrackingSpec tt) => new()
    {
        TargetValue = tt.TargetValue,
        DisableScaleIn = tt.DisableScaleIn,
        PredefinedMetricSpecification = tt.PredefinedMetricType is { } type ? new PredefinedMetricSpecification { PredefinedMetricType = type, ResourceLabel = tt.ResourceLabel } : null,
        CustomizedMetricSpecification = tt.CustomizedMetric is { } m
            ? new CustomizedMetricSpecification
            {
                Namespace = m.Namespace,
                MetricName = m.MetricName,
                Dimensions = m.Dimensions.Select(d => new MetricDimension { Name = d.Name, Value = d.Value }).ToList(),
                Statistic = m.Stat,
                Unit = m.Unit,
                Period = tt.CustomizedPeriod,
            }
            : tt.CustomizedQueries is { } queries
                ? new CustomizedMetricSpecification
                {
                    Period = tt.CustomizedPeriod,
                    Metrics = queries.Select(q => new TargetTrackingMetricDataQuery
                    {
                        Id = q.Id,
                        Expression = q.Expression,
                        Label = q.Label,
                        ReturnData = q.ReturnData,
                        Period = q.Period,
                        MetricStat = q.MetricStat is { } ms ? new TargetTrackingMetricStat
                        {
                            Metric = new Metric { Namespace = ms.Namespace, MetricName = ms.MetricName, Dimensions = ms.Dimensions.Select(d => new MetricDimension { Name = d.Name, Value = d.Value }).ToList() },
                            Stat = ms.Stat,
                            Unit = ms.Unit,
                            Period = ms.Period,
                        } : null,
                    }).ToList(),
                }
                : null,
    };

    // ---------------------------------------------------------------- scheduled actions

    public override async Task PutScheduledUpdateGroupActionAsync(RequestContext context, PutScheduledUpdateGroupActionType request)
    {
        await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        var spec = new ScheduledActionSpec(request.AutoScalingGroupName, request.ScheduledActionName, request.StartTime, request.Time, request.EndTime,
            request.Recurrence, request.TimeZone, request.MinSize, request.MaxSize, request.DesiredCapacity);
        await ScheduledActions.PutAsync(context.Transaction, context.Scope, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        ScheduleChangedAfterCommit(context);
    }

    public override async Task<BatchPutScheduledUpdateGroupActionAnswer> BatchPutScheduledUpdateGroupActionAsync(RequestContext context, BatchPutScheduledUpdateGroupActionType request)
    {
        await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        var actions = request.ScheduledUpdateGroupActions ?? [];
        if (actions.Count == 0)
        {
            throw PolicyValidation("1 validation error detected: Value null at 'scheduledUpdateGroupActions' failed to satisfy constraint: Member must not be null");
        }
        if (actions.Count > 50)
        {
            throw PolicyValidation("The number of scheduled actions in a batch must not exceed 50.");
        }
        var failed = new List<FailedScheduledUpdateGroupActionRequest>();
        foreach (var a in actions)
        {
            var spec = new ScheduledActionSpec(request.AutoScalingGroupName, a.ScheduledActionName, a.StartTime, null, a.EndTime, a.Recurrence, a.TimeZone,
                a.MinSize, a.MaxSize, a.DesiredCapacity);
            try
            {
                await ScheduledActions.PutAsync(context.Transaction, context.Scope, spec, context.Now, context.Cancellation).ConfigureAwait(false);
            }
            catch (AwsException e)
            {
                failed.Add(new FailedScheduledUpdateGroupActionRequest { ScheduledActionName = a.ScheduledActionName, ErrorCode = e.Code, ErrorMessage = e.Message });
            }
        }
        ScheduleChangedAfterCommit(context);
        return new BatchPutScheduledUpdateGroupActionAnswer { FailedScheduledUpdateGroupActions = failed };
    }

    public override async Task<ScheduledActionsType> DescribeScheduledActionsAsync(RequestContext context, DescribeScheduledActionsType request)
    {
        if (!string.IsNullOrEmpty(request.AutoScalingGroupName))
        {
            await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        }
        var page = await ScheduledActions.DescribeAsync(context.Store, context.Scope, request.AutoScalingGroupName, request.ScheduledActionNames, request.StartTime, request.EndTime,
            request.MaxRecords, request.NextToken, context.Cancellation).ConfigureAwait(false);
        return new ScheduledActionsType
        {
            ScheduledUpdateGroupActions = page.Items.Select(a => new ScheduledUpdateGroupAction
            {
                AutoScalingGroupName = a.GroupName,
                ScheduledActionName = a.Name,
                ScheduledActionARN = a.Arn,
                StartTime = a.NextFire,
                Time = a.NextFire,
                EndTime = a.EndTime,
                Recurrence = a.Recurrence,
                TimeZone = a.TimeZone,
                MinSize = a.MinSize,
                MaxSize = a.MaxSize,
                DesiredCapacity = a.DesiredCapacity,
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task DeleteScheduledActionAsync(RequestContext context, DeleteScheduledActionType request)
    {
        await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        await ScheduledActions.DeleteAsync(context.Transaction, context.Scope, request.AutoScalingGroupName, request.ScheduledActionName, context.Cancellation).ConfigureAwait(false);
        ScheduleChangedAfterCommit(context);
    }

    public override async Task<BatchDeleteScheduledActionAnswer> BatchDeleteScheduledActionAsync(RequestContext context, BatchDeleteScheduledActionType request)
    {
        await AutoScalingGroups.RequireAsync(context.Store, context.Scope, request.AutoScalingGroupName, context.Cancellation).ConfigureAwait(false);
        var names = request.ScheduledActionNames ?? [];
        if (names.Count == 0)
        {
            throw PolicyValidation("1 validation error detected: Value null at 'scheduledActionNames' failed to satisfy constraint: Member must not be null");
        }
        if (names.Count > 50)
        {
            throw PolicyValidation("The number of scheduled action names in a batch must not exceed 50.");
        }
        var failed = new List<FailedScheduledUpdateGroupActionRequest>();
        foreach (var name in names)
        {
            try
            {
                await ScheduledActions.DeleteAsync(context.Transaction, context.Scope, request.AutoScalingGroupName, name, context.Cancellation).ConfigureAwait(false);
            }
            catch (AwsException e)
            {
                failed.Add(new FailedScheduledUpdateGroupActionRequest { ScheduledActionName = name, ErrorCode = e.Code, ErrorMessage = e.Message });
            }
        }
        ScheduleChangedAfterCommit(context);
        return new BatchDeleteScheduledActionAnswer { FailedScheduledActions = failed };
    }
}
