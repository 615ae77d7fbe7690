using System.Collections;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Stratus.Core;
using Stratus.Domain.Store;
using Stratus.Protocol;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Model;
using Stratus.Server.Hosting;

namespace Stratus.Server.Gateway;

/// <summary>
/// The one HTTP entry point of every AWS service Stratus serves. Per request: refuse what must
/// not be read (browser origins under <c>--no-auth</c>, unsigned requests, bodies over the
/// limit), route by headers and credential scope, read the body, authenticate, find the
/// operation and check the API version, parse the typed input with the protocol's codec, run the
/// service's hook, then idempotency → store view/transaction → handler → serialize → commit.
/// Errors are answered in the request's protocol.
/// </summary>
internal sealed class GatewayEndpoint
{
    private readonly ServiceRouter _router;
    private readonly RequestAuthenticator _authenticator;
    private readonly IStateStore _store;
    private readonly TimeProvider _clock;
    private readonly ServerOptions _options;
    private readonly ILogger<GatewayEndpoint> _logger;
    private readonly Dictionary<string, IProtocolCodec> _codecs;
    private readonly RequestAuthorizer _authorizer;

    public GatewayEndpoint(ServiceRouter router, RequestAuthenticator authenticator, RequestAuthorizer authorizer, IStateStore store, TimeProvider clock,
        ServerOptions options, IEnumerable<IProtocolCodec> codecs, ILogger<GatewayEndpoint> logger)
    {
        _router = router;
        _authenticator = authenticator;
        _authorizer = authorizer;
        _store = store;
        _clock = clock;
        _options = options;
        _logger = logger;
        _codecs = new Dictionary<string, IProtocolCodec>(StringComparer.Ordinal);
        foreach (var codec in codecs)
        {
            _codecs[codec.Protocol] = codec;
        }
    }

    public async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = Guid.NewGuid().ToString();
        var operationName = "";
        var protocol = "ec2";
        var serviceName = "-";
        string? accountId = null;
        IAwsService? service = null;
        WireResponse response;
        using var scope = _logger.BeginScope("RequestId:{RequestId}", requestId);
        try
        {
            if (http.Request.ContentLength > _options.MaxRequestBodyBytes)
            {
                throw RequestTooLarge(_options.MaxRequestBodyBytes);
            }
            BrowserGuard.Check(http.Request, _options);
            var route = _router.Route(http.Request, RequestAuthenticator.ScopeService(http.Request));
            protocol = route.Protocol;
            service = route.Service;
            serviceName = route.Endpoint?.SigningName ?? "-";
            operationName = route.Operation ?? "";
            _authenticator.RequireSignaturePresent(http.Request);
            var body = await ReadBodyAsync(http.Request, _options.MaxRequestBodyBytes, CancellationToken.None).ConfigureAwait(false);
            var identity = await _authenticator.AuthenticateAsync(http.Request, body, _clock.GetUtcNow()).ConfigureAwait(false);
            accountId = identity.AccountId;
            if (route.Endpoint is not { } endpoint)
            {
                throw UnknownTarget(route);
            }
            if (identity.Service is { } signedFor && signedFor != endpoint.SigningName)
            {
                throw AwsErrors.SignatureDoesNotMatch($"Credential should be scoped to correct service: '{endpoint.SigningName}'. ");
            }
            if (route.UnknownTarget is not null)
            {
                throw new AwsException("UnknownOperationException", $"The {endpoint.SigningName} API does not accept {route.UnknownTarget}s; it speaks {string.Join(", ", endpoint.Protocols)}.");
            }
            var request = ToWireRequest(http.Request, body, protocol);
            if (route.Operation is null)
            {
                operationName = ActionOf(request.Parameters);
                CheckVersion(endpoint, protocol, operationName, request.Parameters);
            }
            response = await ExecuteAsync(route, endpoint, identity, operationName, request, requestId, http.RequestAborted,
                http.Connection.RemoteIpAddress?.ToString()).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            response = WriteError(service, protocol, e, requestId);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals while reading the body: too large, or the client stopped sending.
            response = WriteError(service, protocol, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? RequestTooLarge(_options.MaxRequestBodyBytes)
                : IncompleteBody(), requestId);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(requestId, serviceName, operationName);
            return;
        }
        catch (Exception e) when (e is IOException && http.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(requestId, serviceName, operationName);
            return;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{Service} {Operation} failed", serviceName, operationName);
            response = WriteError(service, protocol, AwsErrors.InternalError(), requestId);
        }

        Operations.OperationsEndpoints.TagRequest(http, serviceName, operationName);
        var httpResponse = http.Response;
        httpResponse.StatusCode = response.StatusCode;
        httpResponse.ContentType = response.ContentType;
        httpResponse.Headers["x-amzn-RequestId"] = requestId;
        foreach (var (name, value) in response.Headers)
        {
            httpResponse.Headers.Append(name, value);
        }
        httpResponse.ContentLength = response.Body.Length;
        var errorCode = response.StatusCode >= 400 && _logger.IsEnabled(LogLevel.Information) ? ErrorCodeOf(response) : "-";
        try
        {
            // Segment by segment: a large body is never copied into one array.
            await response.Body.WriteToAsync(httpResponse.Body, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            LogClientGone(requestId, serviceName, operationName);
            return;
        }
        finally
        {
            response.Body.Dispose();
        }
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("{RequestId} {Service} {Action} {Status} {ErrorCode} account={AccountId} in {ElapsedMs:F1} ms",
                requestId, serviceName, operationName.Length == 0 ? "-" : operationName, response.StatusCode,
                errorCode, accountId ?? "-", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Runs one operation through the codec, the service's hook and its handler as the caller
    /// <paramref name="accountId"/> in us-east-1 (at start, to warm the request path up).
    /// </summary>
    internal async Task WarmUpAsync(IAwsService service, string operationName, string accountId, CancellationToken ct,
        IReadOnlyList<KeyValuePair<string, string>>? extraParameters = null)
    {
        var endpoint = service.Endpoint;
        var protocol = endpoint.FormProtocol ?? endpoint.Protocols[0];
        var route = new GatewayRoute(endpoint, service, protocol, operationName, null);
        byte[] body = protocol is "ec2" or "query" ? [] : "{}"u8.ToArray();
        var parameters = new List<KeyValuePair<string, string>> { new("Action", operationName), new("Version", endpoint.ApiVersion) };
        parameters.AddRange(extraParameters ?? []);
        var request = new WireRequest("POST", "/", parameters, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), body);
        var response = await ExecuteAsync(route, endpoint, new CallerIdentity(accountId, "us-east-1", null, endpoint.SigningName), operationName,
            request, Guid.NewGuid().ToString(), ct).ConfigureAwait(false);
        response.Body.Dispose();
        WriteError(service, protocol, AwsErrors.InvalidParameterValue("warm-up"), "warm-up").Body.Dispose();
        // A lookup of an id that does not exist answers 400 (its not-found error): that path is warm too.
        if (response.StatusCode != 200 && !(extraParameters is { Count: > 0 } && response.StatusCode == 400))
        {
            throw new InvalidOperationException($"{endpoint.SigningName} {operationName} answered {response.StatusCode} during warm-up");
        }
    }

    private void LogClientGone(string requestId, string service, string operation)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("{RequestId} {Service} {Action} abandoned: the client closed the connection", requestId, service, operation.Length == 0 ? "-" : operation);
        }
    }

    private async Task<WireResponse> ExecuteAsync(GatewayRoute route, AwsServiceEndpoint endpoint, CallerIdentity identity, string operationName,
        WireRequest request, string requestId, CancellationToken ct, string? sourceIp = null)
    {
        if (operationName.Length == 0)
        {
            throw route.Protocol is "ec2" or "query" ? AwsErrors.MissingAction() : UnknownOperation(route.Protocol, endpoint, operationName);
        }
        if (route.Service is not { } service)
        {
            throw ServiceNotImplemented(endpoint, operationName);
        }
        var model = service.Model;
        var operation = model.FindOperation(operationName) ?? throw UnknownOperation(route.Protocol, endpoint, operationName);
        if (!service.ImplementedOperations.Contains(operation.Name))
        {
            throw AwsErrors.NotImplemented(operation.Name);
        }
        if (!_codecs.TryGetValue(route.Protocol, out var codec))
        {
            throw new AwsException("UnsupportedProtocol",
                $"Stratus does not serve the {route.Protocol} protocol of {endpoint.SigningName} yet; use {string.Join(" or ", _codecs.Keys.Where(endpoint.Speaks))}.");
        }
        var input = codec.ParseInput(model, operation, request);
        var dryRun = service.IsDryRun(operation, input);
        var caller = await _authorizer.AuthorizeAsync(identity, endpoint, route.Protocol, operation, input, sourceIp, _clock.GetUtcNow().UtcDateTime, ct).ConfigureAwait(false);
        var context = new RequestContext
        {
            RequestId = requestId,
            AccountId = identity.AccountId,
            Region = identity.Region,
            AccessKeyId = identity.AccessKeyId,
            Caller = caller,
            ActionAuthorizer = (action, resource, extra) => _authorizer.AuthorizeActionAsync(caller, endpoint, route.Protocol, identity.Region, action, resource, extra, sourceIp,
                _clock.GetUtcNow().UtcDateTime, ct),
            Service = model,
            Operation = operation,
            DryRun = dryRun,
            Now = _clock.GetUtcNow().UtcDateTime,
            Cancellation = ct,
        };
        await service.BeforeHandlerAsync(context).ConfigureAwait(false);

        if (!service.NeedsWriteTransaction(operation))
        {
            await using var read = await _store.OpenReadAsync(ct).ConfigureAwait(false);
            context.Store = read;
            var output = await service.DispatchAsync(context, input).ConfigureAwait(false);
            return dryRun ? throw AwsErrors.DryRunOperation() : codec.WriteOutput(model, operation, output, requestId);
        }

        var clientToken = operation.IdempotencyMember?.GetValue(input) as string;
        WireResponse response;
        await using (var tx = await _store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            IdempotencyKey? tokenKey = null;
            var requestHash = "";
            if (!string.IsNullOrEmpty(clientToken) && !dryRun)
            {
                tokenKey = new IdempotencyKey(identity.AccountId, identity.Region, QualifiedName(endpoint, operation), clientToken);
                requestHash = HashRequest(request, route.Protocol, operation.IdempotencyMember!);
                if (await tx.FindIdempotencyRecordAsync(tokenKey.Value, ct).ConfigureAwait(false) is { } previous)
                {
                    return previous.RequestHash == requestHash
                        ? new WireResponse(200, previous.ContentType, previous.Response, WireResponse.NoHeaders)
                        : throw AwsErrors.IdempotentParameterMismatch(clientToken);
                }
            }
            context.Store = tx;
            var output = await service.DispatchAsync(context, input).ConfigureAwait(false);
            if (dryRun)
            {
                throw AwsErrors.DryRunOperation();
            }
            response = codec.WriteOutput(model, operation, output, requestId);
            if (tokenKey is { } key)
            {
                await tx.PutIdempotencyRecordAsync(new IdempotencyRecord(key, requestHash, response.Body.ToArray(), response.ContentType, _clock.GetUtcNow().UtcDateTime), ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        foreach (var after in context.AfterCommitActions)
        {
            await after().ConfigureAwait(false);
        }
        return response;
    }

    /// <summary>EC2 keeps its records under the bare operation name (as before the gateway); other services are prefixed.</summary>
    private static string QualifiedName(AwsServiceEndpoint endpoint, OperationInfo operation) =>
        endpoint.SigningName == "ec2" ? operation.Name : endpoint.SigningName + ":" + operation.Name;

    private WireResponse WriteError(IAwsService? service, string protocol, AwsException error, string requestId)
    {
        if (service is not null && _codecs.TryGetValue(protocol, out var codec))
        {
            try
            {
                return codec.WriteError(service.Model, error, requestId);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogError(e, "Writing the error {Code} failed", error.Code);
            }
        }
        return ErrorEnvelopes.Write(protocol, error, requestId);
    }

    private static string ActionOf(IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        foreach (var (key, value) in parameters)
        {
            if (key == "Action")
            {
                return value;
            }
        }
        return "";
    }

    /// <summary>
    /// <c>Version</c> as AWS checks it: EC2 answers <c>MissingParameter</c> without one and
    /// <c>NoSuchVersion</c> for one it does not serve; query services answer <c>InvalidAction</c>
    /// ("Could not find operation X for version Y").
    /// </summary>
    private static void CheckVersion(AwsServiceEndpoint endpoint, string protocol, string action, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        string? version = null;
        foreach (var (key, value) in parameters)
        {
            if (key == "Version")
            {
                version = value;
                break;
            }
        }
        if (version == endpoint.ApiVersion || action.Length == 0)
        {
            return;
        }
        if (protocol == "ec2")
        {
            throw version is null
                ? AwsErrors.MissingParameter("Version")
                : new AwsException("NoSuchVersion", $"The requested version ({version}) of service AmazonEC2 does not exist");
        }
        throw new AwsException("InvalidAction", $"Could not find operation {action} for version {version ?? "NO_VERSION_SPECIFIED"}");
    }

    private static AwsException UnknownOperation(string protocol, AwsServiceEndpoint endpoint, string operation) => protocol switch
    {
        "ec2" => AwsErrors.InvalidAction(operation),
        "query" => new AwsException("InvalidAction", $"Could not find operation {operation} for version {endpoint.ApiVersion}"),
        _ => new AwsException("UnknownOperationException", operation.Length == 0 ? "The request names no operation." : $"Unknown operation {operation} of {endpoint.SigningName}."),
    };

    private static AwsException ServiceNotImplemented(AwsServiceEndpoint endpoint, string operation) =>
        new("UnsupportedOperation", $"The {endpoint.SigningName} API ({operation}) is not yet implemented by Stratus; see docs/api-compatibility.md for the operations it serves.");

    private static AwsException UnknownTarget(GatewayRoute route) => route.Protocol switch
    {
        "query" => new AwsException("InvalidAction", $"Stratus does not serve the AWS service '{route.UnknownTarget}'."),
        _ => new AwsException("UnknownOperationException", $"Stratus does not serve '{route.UnknownTarget}'."),
    };

    internal static AwsException RequestTooLarge(long limit) =>
        new("RequestEntityTooLarge", $"Request body exceeds the maximum allowed size of {limit} bytes.", 413);

    private static AwsException IncompleteBody() =>
        new("IncompleteBody", "The request body ended before the length its Content-Length header announced.", 400);

    /// <summary>Reads the body, refusing one larger than <paramref name="limit"/> before reading it (by Content-Length) or as soon as it passes the limit.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength is { } length)
        {
            if (length > limit)
            {
                throw RequestTooLarge(limit);
            }
            if (length == 0)
            {
                return [];
            }
            var exact = new byte[length];
            var read = 0;
            while (read < exact.Length)
            {
                var n = await request.Body.ReadAsync(exact.AsMemory(read), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw IncompleteBody();
                }
                read += n;
            }
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var n = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.ToArray();
            }
            if (buffer.Length + n > limit)
            {
                throw RequestTooLarge(limit);
            }
            buffer.Write(chunk, 0, n);
        }
    }

    private static WireRequest ToWireRequest(HttpRequest request, byte[] body, string protocol)
    {
        List<KeyValuePair<string, string>> parameters = request.QueryString.HasValue ? FormDecoder.Decode(request.QueryString.Value![1..]) : [];
        if (protocol is "ec2" or "query" && HttpMethods.IsPost(request.Method) && body.Length > 0)
        {
            parameters.AddRange(FormDecoder.Decode(body));
        }
        return new WireRequest(request.Method, request.Path.Value ?? "/", parameters, new HeaderView(request.Headers), body);
    }

    /// <summary>
    /// A digest of the request apart from its idempotency token and authentication data: the
    /// sorted form parameters for query protocols, the body for JSON and CBOR (a replay carries the
    /// same token, so any difference is another parameter).
    /// </summary>
    private static string HashRequest(WireRequest request, string protocol, MemberInfo tokenMember)
    {
        if (protocol is not ("ec2" or "query"))
        {
            return Convert.ToHexStringLower(SHA256.HashData(request.Body.Span));
        }
        var canonical = new StringBuilder();
        foreach (var (key, value) in request.Parameters
                     .Where(p => p.Key != tokenMember.QueryName && p.Key != "DryRun" && !Ec2ProtocolParser.IsReservedParameter(p.Key))
                     .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            canonical.Append(key).Append('=').Append(value).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }

    private static string ErrorCodeOf(WireResponse response)
    {
        var head = new List<byte>(512);
        foreach (var segment in response.Body.Segments)
        {
            var span = segment.Span;
            head.AddRange(span[..Math.Min(span.Length, 512 - head.Count)]);
            if (head.Count == 512)
            {
                break;
            }
        }
        var text = Encoding.UTF8.GetString([.. head]);
        foreach (var (open, close) in new[] { ("<Code>", "</Code>"), ("\"__type\":\"", "\"") })
        {
            var start = text.IndexOf(open, StringComparison.Ordinal);
            if (start >= 0)
            {
                start += open.Length;
                var end = text.IndexOf(close, start, StringComparison.Ordinal);
                if (end > start)
                {
                    return text[start..end];
                }
            }
        }
        return response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Request headers as a codec reads them (case-insensitive names, values joined by commas).</summary>
    private sealed class HeaderView(IHeaderDictionary headers) : IReadOnlyDictionary<string, string>
    {
        public string this[string key] => headers.TryGetValue(key, out var v) ? v.ToString() : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => headers.Keys;

        public IEnumerable<string> Values => headers.Values.Select(v => v.ToString());

        public int Count => headers.Count;

        public bool ContainsKey(string key) => headers.ContainsKey(key);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
        {
            if (headers.TryGetValue(key, out StringValues values))
            {
                value = values.ToString();
                return true;
            }
            value = null;
            return false;
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
