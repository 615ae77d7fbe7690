using Stratus.Domain.AutoScaling.Policies;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Resources;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// The alarms target-tracking scaling policies own, kept in CloudWatch's alarm store as
/// PutMetricAlarm would keep them (ConfigurationUpdate history items, the state of an alarm that
/// already exists kept), with the policy's ARN as their alarm action.
/// </summary>
internal sealed class PolicyAlarms(CloudWatchState state, TimeProvider clock) : IPolicyAlarms
{
    public async Task PutAsync(Scope scope, IReadOnlyList<PolicyAlarm> alarms, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var records = new List<AlarmRecord>();
        var history = new List<AlarmHistoryItem>();
        foreach (var a in alarms)
        {
            var existing = state.Find(scope.AccountId, scope.Region, a.Name)?.Metric;
            var metric = new MetricAlarm
            {
                AlarmName = a.Name,
                AlarmArn = a.Arn(scope),
                AlarmDescription = a.Description,
                AlarmConfigurationUpdatedTimestamp = now,
                ActionsEnabled = true,
                OKActions = [],
                AlarmActions = [a.PolicyArn],
                InsufficientDataActions = [],
                StateValue = existing?.StateValue ?? AlarmStates.InsufficientData,
                StateReason = existing?.StateReason ?? "Unchecked: Initial alarm creation",
                StateReasonData = existing?.StateReasonData,
                StateUpdatedTimestamp = existing?.StateUpdatedTimestamp ?? now,
                StateTransitionedTimestamp = existing?.StateTransitionedTimestamp ?? now,
                Namespace = a.Metrics is null ? a.Namespace : null,
                MetricName = a.Metrics is null ? a.MetricName : null,
                Statistic = a.Metrics is null ? a.Statistic : null,
                Unit = a.Metrics is null ? a.Unit : null,
                Dimensions = a.Metrics is null ? a.Dimensions.Select(d => new Dimension { Name = d.Name, Value = d.Value }).ToList() : null,
                Period = a.Metrics is null ? a.Period : null,
                EvaluationPeriods = a.EvaluationPeriods,
                DatapointsToAlarm = a.EvaluationPeriods,
                Threshold = a.Threshold,
                ComparisonOperator = a.ComparisonOperator,
                Metrics = a.Metrics?.Select(q => new MetricDataQuery
                {
                    Id = q.Id,
                    Expression = q.Expression,
                    Label = q.Label,
                    ReturnData = q.ReturnData ?? true,
                    Period = q.Expression is not null ? null : q.Period,
                    MetricStat = q.MetricStat is { } ms ? new MetricStat
                    {
                        Metric = new Metric
                        {
                            Namespace = ms.Namespace,
                            MetricName = ms.MetricName,
                            Dimensions = ms.Dimensions.Select(d => new Dimension { Name = d.Name, Value = d.Value }).ToList(),
                        },
                        Period = ms.Period ?? a.Period,
                        Stat = ms.Stat,
                        Unit = ms.Unit,
                    } : null,
                }).ToList(),
            };
            var record = new AlarmRecord { Metric = metric };
            records.Add(record);
            history.Add(CloudWatchService.ConfigurationItem(record, existing is null ? "Create" : "Update", now));
        }
        if (records.Count > 0)
        {
            await state.PutAlarmsAsync(scope.AccountId, scope.Region, records, history, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task DeleteAsync(Scope scope, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var found = names.Select(n => state.Find(scope.AccountId, scope.Region, n)).OfType<AlarmRecord>().ToList();
        if (found.Count > 0)
        {
            await state.DeleteAlarmsAsync(scope.AccountId, scope.Region, found, found.Select(a => CloudWatchService.ConfigurationItem(a, "Delete", now)).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    public IReadOnlyList<(string Name, string Arn)> Acting(Scope scope, string policyArn) =>
        state.Alarms(scope.AccountId, scope.Region)
            .Where(a => (a.Metric?.AlarmActions ?? a.Composite?.AlarmActions ?? []).Concat(a.Metric?.OKActions ?? a.Composite?.OKActions ?? [])
                .Concat(a.Metric?.InsufficientDataActions ?? a.Composite?.InsufficientDataActions ?? []).Contains(policyArn))
            .Select(a => (a.Name, a.Arn)).ToList();

    public string? StateOf(Scope scope, string alarmName) => state.Find(scope.AccountId, scope.Region, alarmName)?.State;
}
