using Microsoft.AspNetCore.Http;
using Stratus.Core;
using Stratus.Protocol.Model;

namespace Stratus.Server.Gateway;

/// <summary>Where a request goes: the service (registered or only known by its endpoint), the protocol, and the operation when the route names it.</summary>
internal readonly record struct GatewayRoute(AwsServiceEndpoint? Endpoint, IAwsService? Service, string Protocol, string? Operation, string? UnknownTarget);

/// <summary>
/// Finds a request's service, protocol and (for JSON and CBOR) operation from its headers and path
/// alone, as AWS's endpoints do, before the body is read or decoded:
/// <list type="bullet">
/// <item><c>Smithy-Protocol: rpc-v2-cbor</c> and <c>/service/&lt;ServiceShape&gt;/operation/&lt;Op&gt;</c>: RPC v2 CBOR;</item>
/// <item><c>X-Amz-Target: &lt;TargetPrefix&gt;.&lt;Op&gt;</c>: AWS JSON 1.0/1.1;</item>
/// <item>otherwise a form request (<c>Action=</c>, query or ec2 protocol) for the service named by
/// the SigV4 credential scope; EC2 when the request names none.</item>
/// </list>
/// </summary>
internal sealed class ServiceRouter
{
    private readonly Dictionary<string, Entry> _bySigningName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _byTargetPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _byServiceShape = new(StringComparer.Ordinal);
    private readonly Entry _default;
    private readonly List<IAwsService> _registered = [];

    public ServiceRouter(IEnumerable<IAwsService> services)
    {
        foreach (var service in services)
        {
            Add(new Entry(service.Endpoint, service), replace: true);
            _registered.Add(service);
        }
        foreach (var model in KnownServices.Models)
        {
            if (!_bySigningName.ContainsKey(model.SigningName))
            {
                var service = new ModelOnlyService(model);
                Add(new Entry(AwsServiceEndpoint.From(model), service), replace: false);
            }
        }
        _default = _bySigningName["ec2"];
    }

    public IEnumerable<string> SigningNames => _bySigningName.Keys;

    /// <summary>Every service the gateway routes to: the registered ones, then the models without handlers.</summary>
    public IReadOnlyList<IAwsService> AllServices => [.. _bySigningName.Values.Select(e => e.Service!).Distinct()];

    public IAwsService? FindBySigningName(string signingName) => _bySigningName.GetValueOrDefault(signingName)?.Service;

    public GatewayRoute Route(HttpRequest request, string? scopeService)
    {
        var headers = request.Headers;
        if (headers.TryGetValue("Smithy-Protocol", out var smithy) && smithy.Count > 0)
        {
            return RouteCbor(request.Path.Value ?? "", smithy.ToString());
        }
        if (headers.TryGetValue("X-Amz-Target", out var target) && target.Count > 0)
        {
            var text = target.ToString();
            var dot = text.LastIndexOf('.');
            var prefix = dot < 0 ? text : text[..dot];
            var operation = dot < 0 ? "" : text[(dot + 1)..];
            return _byTargetPrefix.TryGetValue(prefix, out var entry) && entry.Endpoint.Speaks("json")
                ? new GatewayRoute(entry.Endpoint, entry.Service, "json", operation, null)
                : new GatewayRoute(null, null, "json", operation, text);
        }
        if (scopeService is null)
        {
            return new GatewayRoute(_default.Endpoint, _default.Service, _default.Endpoint.FormProtocol ?? "ec2", null, null);
        }
        if (_bySigningName.TryGetValue(scopeService, out var scoped))
        {
            return scoped.Endpoint.FormProtocol is { } form
                ? new GatewayRoute(scoped.Endpoint, scoped.Service, form, null, null)
                : new GatewayRoute(scoped.Endpoint, scoped.Service, scoped.Endpoint.Protocols[0], null, "form request");
        }
        return new GatewayRoute(null, null, "query", null, scopeService);
    }

    private GatewayRoute RouteCbor(string path, string smithyProtocol)
    {
        const string cbor = "smithy-rpc-v2-cbor";
        // /service/<ServiceShape>/operation/<Op>, optionally under a path prefix.
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (smithyProtocol != "rpc-v2-cbor" || parts.Length < 4 || parts[^4] != "service" || parts[^2] != "operation")
        {
            return new GatewayRoute(null, null, cbor, null, path);
        }
        return _byServiceShape.TryGetValue(parts[^3], out var entry) && entry.Endpoint.Speaks(cbor)
            ? new GatewayRoute(entry.Endpoint, entry.Service, cbor, parts[^1], null)
            : new GatewayRoute(null, null, cbor, parts[^1], parts[^3]);
    }

    private void Add(Entry entry, bool replace)
    {
        Put(_bySigningName, entry.Endpoint.SigningName, entry, replace);
        if (entry.Endpoint.TargetPrefix is { } prefix)
        {
            Put(_byTargetPrefix, prefix, entry, replace);
        }
        if ((entry.Endpoint.ServiceShapeName ?? entry.Endpoint.TargetPrefix) is { } shape)
        {
            Put(_byServiceShape, shape, entry, replace);
        }

        static void Put(Dictionary<string, Entry> map, string key, Entry entry, bool replace)
        {
            if (replace)
            {
                map[key] = entry;
            }
            else
            {
                map.TryAdd(key, entry);
            }
        }
    }

    private sealed record Entry(AwsServiceEndpoint Endpoint, IAwsService? Service);
}

/// <summary>
/// The AWS service models Stratus carries. A model without a registered <see cref="IAwsService"/>
/// is still routed: its operations answer a not-implemented error in the service's own protocol,
/// names it does not have an unknown-operation error.
/// </summary>
internal static class KnownServices
{
    public static IReadOnlyList<ServiceInfo> Models { get; } =
        [Stratus.Ec2.Model.Ec2Shapes.Service, .. Stratus.Services.Model.ServiceModels.All];
}

/// <summary>A service the gateway knows by its model only: every operation answers not implemented.</summary>
internal sealed class ModelOnlyService(ServiceInfo model) : IAwsService
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    public ServiceInfo Model => model;

    public IReadOnlySet<string> ImplementedOperations => None;

    public Task<object?> DispatchAsync(RequestContext context, object input) => throw AwsErrors.NotImplemented(context.Operation.Name);
}
