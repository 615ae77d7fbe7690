using Microsoft.AspNetCore.Http;

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

    public ServiceRouter(IEnumerable<IAwsService> services)
    {
        foreach (var service in services)
        {
            Add(new Entry(service.Endpoint, service), replace: true);
        }
        foreach (var known in KnownServices.All)
        {
            Add(new Entry(known, null), replace: false);
        }
        _default = _bySigningName.GetValueOrDefault("ec2") ?? new Entry(KnownServices.Ec2, null);
        Services = [.. _bySigningName.Values.Select(e => e.Endpoint).Distinct()];
    }

    /// <summary>Every service endpoint the gateway answers for (registered or not).</summary>
    public IReadOnlyList<AwsServiceEndpoint> Services { get; }

    public IEnumerable<string> SigningNames => _bySigningName.Keys;

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
/// The AWS services the gateway knows how clients address, whether or not handlers are
/// registered for them: a request to one without handlers gets a not-implemented error in its
/// own protocol.
/// </summary>
internal static class KnownServices
{
    public static AwsServiceEndpoint Ec2 { get; } = new("ec2", "2016-11-15", ["ec2"]);

    public static IReadOnlyList<AwsServiceEndpoint> All { get; } =
    [
        Ec2,
        new("sts", "2011-06-15", ["query"]),
        new("iam", "2010-05-08", ["query"]),
        new("autoscaling", "2011-01-01", ["query"]),
        new("elasticloadbalancing", "2015-12-01", ["query"]),
        new("monitoring", "2010-08-01", ["smithy-rpc-v2-cbor", "json", "query"], "GraniteServiceVersion20100801", "1.0", "GraniteServiceVersion20100801"),
        new("servicequotas", "2019-06-24", ["json"], "ServiceQuotasV20190624", "1.1"),
    ];
}
