using Stratus.Ec2.Model;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// The EC2 handlers. Each area (regions, VPC, tags, ...) is a partial file of this class that
/// overrides the generated virtual method of every operation it implements; the generated
/// <see cref="Ec2ServiceBase{TContext}.DispatchAsync(Ec2Action, TContext, object)"/> is the one dispatch. Handlers translate
/// between the wire shapes and the domain; state lives in the store.
/// </summary>
internal sealed partial class Ec2Service(ServerOptions options, InstanceLifecycle lifecycle)
    : Ec2ServiceBase<RequestContext>
{
    private readonly ServerOptions _options = options;
    private readonly InstanceLifecycle _lifecycle = lifecycle;

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    /// <summary>The operations this class overrides, i.e. implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = typeof(Ec2Service)
        .GetMethods(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.DeclaredOnly)
        .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal) && m.GetBaseDefinition().DeclaringType != m.DeclaringType)
        .Select(m => m.Name[..^"Async".Length])
        .ToHashSet(StringComparer.Ordinal);
}
