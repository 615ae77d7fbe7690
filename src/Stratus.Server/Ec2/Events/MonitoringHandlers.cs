using Stratus.Domain.Instances;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// MonitorInstances / UnmonitorInstances: detailed monitoring on or off. The answer shows the
/// transition (<c>pending</c>, <c>disabling</c>) as EC2 does; the instance's monitoring is
/// <c>enabled</c> / <c>disabled</c> from the commit on, and the metrics collector publishes its
/// <c>AWS/EC2</c> metrics in 1-minute periods (detailed) or 5-minute periods (basic) accordingly.
/// </summary>
internal sealed partial class Ec2Service
{
    public override async Task<MonitorInstancesResult> MonitorInstancesAsync(RequestContext context, MonitorInstancesRequest request) =>
        new() { InstanceMonitorings = await SetMonitoringAsync(context, request.InstanceIds, enabled: true).ConfigureAwait(false) };

    public override async Task<UnmonitorInstancesResult> UnmonitorInstancesAsync(RequestContext context, UnmonitorInstancesRequest request) =>
        new() { InstanceMonitorings = await SetMonitoringAsync(context, request.InstanceIds, enabled: false).ConfigureAwait(false) };

    private static async Task<List<InstanceMonitoring>> SetMonitoringAsync(RequestContext context, List<string>? ids, bool enabled)
    {
        if (ids is not { Count: > 0 })
        {
            throw Stratus.Core.AwsErrors.MissingParameter("InstanceId");
        }
        var instances = await InstanceRecords.RequireAsync(context.Transaction, context.Scope, ids.Distinct(StringComparer.Ordinal).ToList(), context.Cancellation).ConfigureAwait(false);
        var changed = new List<InstanceResource>();
        foreach (var instance in instances)
        {
            if (instance.State == InstanceStates.Terminated)
            {
                throw new Stratus.Core.AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a state from which it can be monitored.");
            }
            if (instance.MonitoringEnabled != enabled)
            {
                instance.MonitoringEnabled = enabled;
                changed.Add(instance);
            }
        }
        await InstanceRecords.PutManyAsync(context.Transaction, context.Scope, changed, context.Now, context.Cancellation).ConfigureAwait(false);
        return instances.Select(i => new InstanceMonitoring
        {
            InstanceId = i.Id,
            Monitoring = new Monitoring { State = enabled ? "pending" : "disabling" },
        }).ToList();
    }
}
