namespace Stratus.Domain.CloudWatch;

/// <summary>
/// What an alarm's EC2 action (<c>arn:aws:automate:&lt;region&gt;:ec2:stop|terminate|reboot|recover</c>)
/// does to the instance of its InstanceId dimension. The server implements it with the same
/// operations the EC2 API runs; the alarm only needs these four verbs.
/// </summary>
public interface IInstanceActions
{
    /// <summary>Runs <paramref name="action"/> (stop, terminate, reboot or recover) on the instance; throws with a reason when it cannot.</summary>
    Task RunAsync(string accountId, string region, string instanceId, string action, CancellationToken cancellationToken);
}
