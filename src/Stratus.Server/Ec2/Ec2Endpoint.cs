using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Model;
using Stratus.Server.Hosting;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// The HTTP face of the EC2 API: reads a Query request (GET query string or POST form body),
/// authenticates it, parses the operation's typed input, runs the handler inside the right store
/// view, applies DryRun and ClientToken semantics, and writes AWS's XML or error envelope.
/// </summary>
internal sealed class Ec2Endpoint(
    Ec2Service service,
    RequestAuthenticator authenticator,
    DefaultVpcProvisioner defaultVpcs,
    IStateStore store,
    TimeProvider clock,
    InstanceLifecycle lifecycle,
    ILogger<Ec2Endpoint> logger)
{
    /// <summary>Operations whose changes the packet filters of running guests follow (after the commit, before the answer).</summary>
    private static readonly HashSet<Ec2Action> FirewallActions =
    [
        Ec2Action.AuthorizeSecurityGroupIngress, Ec2Action.AuthorizeSecurityGroupEgress,
        Ec2Action.RevokeSecurityGroupIngress, Ec2Action.RevokeSecurityGroupEgress,
        Ec2Action.ModifySecurityGroupRules, Ec2Action.DeleteSecurityGroup,
        Ec2Action.ModifyInstanceAttribute, Ec2Action.ModifyNetworkInterfaceAttribute,
        Ec2Action.CreateNetworkAclEntry, Ec2Action.ReplaceNetworkAclEntry, Ec2Action.DeleteNetworkAclEntry,
        Ec2Action.ReplaceNetworkAclAssociation, Ec2Action.DeleteNetworkAcl,
        Ec2Action.CreateRoute, Ec2Action.ReplaceRoute, Ec2Action.DeleteRoute,
        Ec2Action.AssociateRouteTable, Ec2Action.DisassociateRouteTable, Ec2Action.ReplaceRouteTableAssociation,
        Ec2Action.AttachInternetGateway, Ec2Action.DetachInternetGateway,
        Ec2Action.CreateNetworkInterface, Ec2Action.DeleteNetworkInterface,
        Ec2Action.AttachNetworkInterface, Ec2Action.DetachNetworkInterface,
        Ec2Action.AssignPrivateIpAddresses, Ec2Action.UnassignPrivateIpAddresses,
        Ec2Action.CreateSubnet, Ec2Action.DeleteSubnet,
    ];

    private static readonly Dictionary<string, Ec2Action> Actions =
        Enum.GetValues<Ec2Action>().ToDictionary(a => a.ToString(), StringComparer.Ordinal);

    private static readonly ServiceInfo Model = Ec2Shapes.Service;

    public async Task HandleAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = Guid.NewGuid().ToString();
        var action = "";
        string? accountId = null;
        var status = 200;
        string? errorCode = null;
        using var scope = logger.BeginScope(new KeyValuePair<string, object>[] { new("RequestId", requestId) });
        string body;
        try
        {
            var raw = await ReadBodyAsync(http.Request).ConfigureAwait(false);
            var parameters = ReadParameters(http.Request, raw);
            action = parameters.FirstOrDefault(p => p.Key == "Action").Value ?? "";
            var identity = await authenticator.AuthenticateAsync(http.Request, raw, clock.GetUtcNow()).ConfigureAwait(false);
            accountId = identity.AccountId;
            body = await ExecuteAsync(identity, action, parameters, requestId, http.RequestAborted).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            status = e.StatusCode;
            errorCode = e.Code;
            body = Ec2ProtocolSerializer.SerializeError(e.Code, e.Message, requestId);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "EC2 {Action} failed", action);
            var error = AwsErrors.InternalError();
            status = error.StatusCode;
            errorCode = error.Code;
            body = Ec2ProtocolSerializer.SerializeError(error.Code, error.Message, requestId);
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "text/xml;charset=UTF-8";
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        await http.Response.WriteAsync(body, Encoding.UTF8).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("{RequestId} EC2 {Action} {Status} {ErrorCode} account={AccountId} in {ElapsedMs:F1} ms",
                requestId, action.Length == 0 ? "-" : action, status, errorCode ?? "-", accountId ?? "-", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<string> ExecuteAsync(CallerIdentity identity, string actionName, List<KeyValuePair<string, string>> parameters, string requestId, CancellationToken ct)
    {
        if (actionName.Length == 0)
        {
            throw AwsErrors.MissingAction();
        }
        if (!Actions.TryGetValue(actionName, out var action))
        {
            throw AwsErrors.InvalidAction(actionName);
        }
        var operation = Model.Operations[(int)action];
        if (!Ec2Service.ImplementedOperations.Contains(operation.Name))
        {
            throw AwsErrors.NotImplemented(operation.Name);
        }
        var input = operation.Input is { } inputShape ? Ec2ProtocolParser.Parse(inputShape, parameters) : new object();
        var dryRun = operation.Input?.FindByQueryName("DryRun") is { } dryRunMember && dryRunMember.GetValue(input) is true;
        var clientToken = operation.IdempotencyMember?.GetValue(input) as string;

        await defaultVpcs.EnsureAsync(new(identity.AccountId, identity.Region), ct).ConfigureAwait(false);

        if (operation.IsReadOnly)
        {
            await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
            var context = NewContext(identity, action, dryRun, read, requestId, ct);
            var output = await service.DispatchAsync(action, context, input).ConfigureAwait(false);
            if (dryRun)
            {
                throw AwsErrors.DryRunOperation();
            }
            return Ec2ProtocolSerializer.Serialize(Model, operation, output, requestId);
        }

        string xml;
        RequestContext writeContext;
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            IdempotencyKey? tokenKey = null;
            var requestHash = "";
            if (!string.IsNullOrEmpty(clientToken) && !dryRun)
            {
                tokenKey = new IdempotencyKey(identity.AccountId, identity.Region, operation.Name, clientToken);
                requestHash = HashParameters(parameters, operation.IdempotencyMember!.QueryName);
                if (await tx.FindIdempotencyRecordAsync(tokenKey.Value, ct).ConfigureAwait(false) is { } previous)
                {
                    return previous.RequestHash == requestHash
                        ? ReplaceRequestId(previous.Response, requestId)
                        : throw AwsErrors.IdempotentParameterMismatch(clientToken);
                }
            }
            writeContext = NewContext(identity, action, dryRun, tx, requestId, ct);
            var output = await service.DispatchAsync(action, writeContext, input).ConfigureAwait(false);
            if (dryRun)
            {
                throw AwsErrors.DryRunOperation();
            }
            xml = Ec2ProtocolSerializer.Serialize(Model, operation, output, requestId);
            if (tokenKey is { } key)
            {
                await tx.PutIdempotencyRecordAsync(new IdempotencyRecord(key, requestHash, xml, clock.GetUtcNow().UtcDateTime), ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        foreach (var after in writeContext.AfterCommitActions)
        {
            await after().ConfigureAwait(false);
        }
        if (FirewallActions.Contains(action))
        {
            await lifecycle.SyncFirewallAsync(writeContext.Scope, ct: CancellationToken.None).ConfigureAwait(false);
        }
        return xml;
    }

    private RequestContext NewContext(CallerIdentity identity, Ec2Action action, bool dryRun, IStoreSession session, string requestId, CancellationToken ct) => new()
    {
        RequestId = requestId,
        AccountId = identity.AccountId,
        Region = identity.Region,
        Action = action,
        DryRun = dryRun,
        Now = clock.GetUtcNow().UtcDateTime,
        Store = session,
        Cancellation = ct,
    };

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static List<KeyValuePair<string, string>> ReadParameters(HttpRequest request, byte[] body)
    {
        var query = request.QueryString.HasValue ? FormDecoder.Decode(request.QueryString.Value![1..]) : [];
        if (HttpMethods.IsPost(request.Method) && body.Length > 0)
        {
            query.AddRange(FormDecoder.Decode(body));
        }
        return query;
    }

    /// <summary>A digest of the request's parameters apart from the token and authentication data.</summary>
    private static string HashParameters(List<KeyValuePair<string, string>> parameters, string tokenKey)
    {
        var canonical = new StringBuilder();
        foreach (var (key, value) in parameters
                     .Where(p => p.Key != tokenKey && p.Key != "DryRun" && !Ec2ProtocolParser.IsReservedParameter(p.Key))
                     .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            canonical.Append(key).Append('=').Append(value).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }

    private static string ReplaceRequestId(string xml, string requestId)
    {
        const string open = "<requestId>", close = "</requestId>";
        var start = xml.IndexOf(open, StringComparison.Ordinal);
        var end = start < 0 ? -1 : xml.IndexOf(close, start, StringComparison.Ordinal);
        return end < 0 ? xml : string.Concat(xml.AsSpan(0, start + open.Length), requestId, xml.AsSpan(end));
    }
}
