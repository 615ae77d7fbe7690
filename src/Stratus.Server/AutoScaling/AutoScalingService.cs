using Stratus.Domain.AutoScaling.Policies;
using Stratus.Protocol.Model;
using Stratus.Server.AutoScaling.Policies;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;

namespace Stratus.Server.AutoScaling;

/// <summary>Amazon EC2 Auto Scaling (query protocol) over the domain in src/Stratus.Domain/AutoScaling.</summary>
internal sealed partial class AutoScalingService(IPolicyAlarms policyAlarms, ScheduledActionRunner schedule, ScalingSignals signals)
    : AutoScalingServiceBase<RequestContext>, IAwsService
{
    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(AutoScalingService));

    ServiceInfo IAwsService.Model => AutoScalingShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);
}
