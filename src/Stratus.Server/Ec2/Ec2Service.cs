using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// The EC2 handlers. Each area (regions, VPC, tags, ...) is a partial file of this class that
/// overrides the generated virtual method of every operation it implements; the generated
/// <see cref="Ec2ServiceBase{TContext}.DispatchAsync(OperationInfo, TContext, object?)"/> is the one dispatch. Handlers translate
/// between the wire shapes and the domain; state lives in the store. As a gateway service, EC2
/// provisions the caller's default VPC in the region before any handler runs.
/// </summary>
internal sealed partial class Ec2Service(ServerOptions options, InstanceLifecycle lifecycle, DefaultVpcProvisioner defaultVpcs)
    : Ec2ServiceBase<RequestContext>, IAwsService
{
    private readonly ServerOptions _options = options;
    private readonly InstanceLifecycle _lifecycle = lifecycle;

    /// <summary>The operations this class overrides, i.e. implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(Ec2Service));

    ServiceInfo IAwsService.Model => Ec2Shapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) =>
        DispatchAsync(context.Operation, context, input);

    ValueTask IAwsService.BeforeHandlerAsync(RequestContext context) =>
        new(defaultVpcs.EnsureAsync(context.Scope, context.Cancellation));

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);
}
