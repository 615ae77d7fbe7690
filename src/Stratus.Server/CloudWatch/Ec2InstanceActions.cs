using Microsoft.Extensions.DependencyInjection;
using Stratus.Core;
using Stratus.Domain.CloudWatch;
using Stratus.Domain.Store;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// Alarm EC2 actions through the EC2 service itself: StopInstances, TerminateInstances or
/// RebootInstances run as the alarm's account, in one write transaction of the state store,
/// with the lifecycle work queued after commit exactly as for an API call. Recover reboots the
/// guest (Stratus has no other host to move it to).
/// </summary>
internal sealed class Ec2InstanceActions(IServiceProvider services, IStateStore store, TimeProvider clock) : IInstanceActions
{
    public async Task RunAsync(string accountId, string region, string instanceId, string action, CancellationToken cancellationToken)
    {
        var ec2 = services.GetServices<IAwsService>().First(s => s.Endpoint.SigningName == "ec2");
        var (operationName, input) = action switch
        {
            "stop" => ("StopInstances", (object)new StopInstancesRequest { InstanceIds = [instanceId] }),
            "terminate" => ("TerminateInstances", new TerminateInstancesRequest { InstanceIds = [instanceId] }),
            "reboot" or "recover" => ("RebootInstances", new RebootInstancesRequest { InstanceIds = [instanceId] }),
            _ => throw new AwsException("InvalidAction", $"Unknown EC2 alarm action {action}."),
        };
        var operation = ec2.Model.FindOperation(operationName)!;
        var context = new RequestContext
        {
            RequestId = Guid.NewGuid().ToString(),
            AccountId = accountId,
            Region = region,
            Service = ec2.Model,
            Operation = operation,
            DryRun = false,
            Now = clock.GetUtcNow().UtcDateTime,
            Cancellation = cancellationToken,
        };
        await using (var tx = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            context.Store = tx;
            await ec2.DispatchAsync(context, input).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        foreach (var after in context.AfterCommitActions)
        {
            await after().ConfigureAwait(false);
        }
    }
}
