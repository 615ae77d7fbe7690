namespace Stratus.Domain.CloudWatch;

/// <summary>
/// What an alarm action whose ARN is an Auto Scaling policy's does: executes the policy as
/// an alarm does (simple policies honour their cooldown, step policies pick the step the breach
/// falls in, target-tracking policies move toward their target). The server implements it with
/// the Auto Scaling domain.
/// </summary>
public interface IScalingPolicyActions
{
    /// <summary>
    /// Executes the policy <paramref name="policyArn"/> for the alarm; answers what happened (for
    /// the alarm's Action history item) and throws with a reason when it cannot be executed.
    /// </summary>
    Task<string> ExecuteAsync(string accountId, string region, string policyArn, string alarmName, string alarmState, double? metricValue, double? threshold,
        CancellationToken cancellationToken);
}
