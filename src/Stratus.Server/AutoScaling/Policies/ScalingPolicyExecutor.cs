using Stratus.Core;
using Stratus.Domain.AutoScaling.Policies;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.AutoScaling.Policies;

/// <summary>
/// Executes scaling policies for CloudWatch alarm actions: in one write transaction of the state
/// store it reads the policy by its ARN, plans the execution against the group as it is then
/// (<see cref="PolicyExecution"/>) and sets the group's desired capacity through the group core;
/// the controller launches or terminates after the commit.
/// </summary>
internal sealed class ScalingPolicyExecutor(IStateStore store, ScalingSignals signals, TimeProvider clock) : IScalingPolicyActions
{
    public async Task<string> ExecuteAsync(string accountId, string region, string policyArn, string alarmName, string alarmState, double? metricValue, double? threshold,
        CancellationToken cancellationToken)
    {
        var parts = policyArn.Split(':');
        if (parts.Length < 7 || parts[5] != "scalingPolicy")
        {
            throw new AwsException("ValidationError", $"{policyArn} is not the ARN of a scaling policy.");
        }
        if (parts[3] != region || parts[4] != accountId)
        {
            throw new AwsException("ValidationError", $"The scaling policy {policyArn} is not in the alarm's account and region.");
        }
        var scope = new Scope(accountId, region);
        var now = clock.GetUtcNow().UtcDateTime;
        ExecutionPlan plan;
        await using (var tx = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            var policy = await ScalingPolicies.FindAsync(tx, scope, null, policyArn, cancellationToken).ConfigureAwait(false)
                ?? throw new AwsException("ValidationError", $"The scaling policy {policyArn} does not exist.");
            var trigger = new PolicyTrigger(HonorCooldown: true, metricValue, threshold, alarmName, alarmState);
            (plan, _) = await PolicyExecution.ExecuteAsync(tx, scope, policy, trigger, now, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        if (plan.NewDesiredCapacity is null)
        {
            return $"The policy made no change: {plan.Skipped}";
        }
        signals.CapacityChanged();
        return plan.Cause;
    }
}

/// <summary>
/// Tells the group controller that a policy or scheduled action changed a group's capacity, so
/// it acts now rather than at its next tick.
/// </summary>
internal sealed class ScalingSignals(AutoScalingController controller)
{
    public void CapacityChanged() => controller.Wake();
}
