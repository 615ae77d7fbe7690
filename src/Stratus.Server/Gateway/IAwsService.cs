using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Stratus.Protocol.Model;
using MemberInfo = Stratus.Protocol.Model.MemberInfo;

namespace Stratus.Server.Gateway;

/// <summary>
/// How clients address a service on the wire: the SigV4 signing name (credential scope), the
/// protocols its model lists (first is the default for form requests), the <c>X-Amz-Target</c>
/// prefix of its JSON protocol, the Smithy service shape named in RPC v2 CBOR paths, and the API
/// version query requests carry.
/// </summary>
public sealed record AwsServiceEndpoint(
    string SigningName,
    string ApiVersion,
    IReadOnlyList<string> Protocols,
    string? TargetPrefix = null,
    string? JsonVersion = null,
    string? ServiceShapeName = null)
{
    /// <summary>The endpoint a model's metadata describes (its target prefix is also the RPC v2 CBOR service shape).</summary>
    public static AwsServiceEndpoint From(ServiceInfo model) =>
        new(model.SigningName, model.ApiVersion, model.Protocols, model.TargetPrefix, model.JsonVersion, model.TargetPrefix);

    /// <summary>The protocol of form (<c>Action=...</c>) requests: <c>ec2</c> or <c>query</c>, when the service speaks one.</summary>
    public string? FormProtocol => Protocols.FirstOrDefault(p => p is "ec2" or "query");

    public bool Speaks(string protocol) => Protocols.Contains(protocol);
}

/// <summary>
/// A service the gateway serves: its model, how clients address it, which operations it
/// implements, one dispatch, and hooks around the handler. A service is one class implementing
/// this (usually beside the generated <c>XxxServiceBase&lt;RequestContext&gt;</c> it derives from)
/// plus <see cref="AwsServiceRegistration.AddAwsService{TService}"/> in the host.
/// </summary>
public interface IAwsService
{
    ServiceInfo Model { get; }

    /// <summary>How clients address the service; by default what its model's metadata says.</summary>
    AwsServiceEndpoint Endpoint => AwsServiceEndpoint.From(Model);

    /// <summary>Operation names that have a handler; the rest answer a not-implemented error.</summary>
    IReadOnlySet<string> ImplementedOperations { get; }

    /// <summary>Runs the handler of <see cref="RequestContext.Operation"/> on its typed input.</summary>
    Task<object?> DispatchAsync(RequestContext context, object input);

    /// <summary>
    /// Runs after authentication and parsing, before the store view opens (EC2: provision the
    /// caller's default VPC in the region). The default does nothing.
    /// </summary>
    ValueTask BeforeHandlerAsync(RequestContext context) => ValueTask.CompletedTask;

    /// <summary>
    /// Whether the operation runs in the state store's write transaction. By default every
    /// operation the model's readonly list does not call read-only does; a service that keeps its
    /// data elsewhere (CloudWatch: its own metrics database) answers false and gets a read snapshot.
    /// </summary>
    bool NeedsWriteTransaction(OperationInfo operation) => !operation.IsReadOnly;

    /// <summary>
    /// Whether the request only asks for a permission check (EC2's <c>DryRun</c>): the handler runs
    /// in a transaction that is rolled back and the answer is <c>DryRunOperation</c>. The default
    /// reads a boolean input member named <c>DryRun</c>.
    /// </summary>
    bool IsDryRun(OperationInfo operation, object input) =>
        AwsServiceRegistration.DryRunMember(operation) is { } member && member.GetValue(input) is true;
}

/// <summary>Registration of <see cref="IAwsService"/> implementations and helpers they share.</summary>
public static class AwsServiceRegistration
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<OperationInfo, MemberInfo?> DryRunMembers = new();

    /// <summary>Registers <typeparamref name="TService"/> as a singleton and as an <see cref="IAwsService"/> of the gateway.</summary>
    public static IServiceCollection AddAwsService<TService>(this IServiceCollection services)
        where TService : class, IAwsService
    {
        services.TryAddSingleton<TService>();
        services.AddSingleton<IAwsService>(sp => sp.GetRequiredService<TService>());
        return services;
    }

    /// <summary>
    /// The operations a handler class implements: the public <c>XxxAsync</c> methods it (or a
    /// class between it and the generated base) overrides.
    /// </summary>
    public static IReadOnlySet<string> OverriddenOperations(Type handlerType)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var type = handlerType; type is not null && !IsGeneratedBase(type); type = type.BaseType)
        {
            foreach (var method in type.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly))
            {
                if (method.Name.EndsWith("Async", StringComparison.Ordinal) && method.GetBaseDefinition().DeclaringType != method.DeclaringType)
                {
                    names.Add(method.Name[..^"Async".Length]);
                }
            }
        }
        return names;
    }

    internal static MemberInfo? DryRunMember(OperationInfo operation) =>
        DryRunMembers.GetOrAdd(operation, static op => op.Input?.Members.FirstOrDefault(m => m.Name == "DryRun" && m.Shape.Kind == ShapeKind.Boolean));

    private static bool IsGeneratedBase(Type type) =>
        type.IsGenericType && type.Name.EndsWith("ServiceBase`1", StringComparison.Ordinal);
}
