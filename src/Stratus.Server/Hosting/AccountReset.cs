using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Server.Gateway;

namespace Stratus.Server.Hosting;

/// <summary>
/// <c>POST /_stratus/reset</c>: puts the calling account back to how a first start leaves it,
/// for test suites that want a clean account between tests. The request is authenticated like
/// any API call (SigV4, any service's scope) and only the account root may use it; it resets the account its key belongs to. Every
/// resource of the account in every region goes, in one transaction; guests and volume data of
/// its instances are then removed by the runtime, and its CloudWatch data (metrics, alarms, alarm
/// history, dashboards) is deleted. The account, its access keys and the public
/// image catalog stay; default VPCs come back on the next request in each region.
/// </summary>
internal sealed partial class AccountReset(
    RequestAuthenticator authenticator,
    IStateStore store,
    IInstanceRuntime runtime,
    DefaultVpcProvisioner defaultVpcs,
    ServerOptions options,
    TimeProvider clock,
    Stratus.Domain.Iam.IamPolicyCache iamPolicies,
    Stratus.Server.CloudWatch.CloudWatchState cloudWatch,
    Stratus.Server.Logs.LogStore logs,
    ILogger<AccountReset> logger)
{
    public async Task HandleAsync(HttpContext http)
    {
        int status;
        object document;
        try
        {
            BrowserGuard.Check(http.Request, options);
            authenticator.RequireSignaturePresent(http.Request);
            if (http.Request.ContentLength > 64 * 1024)
            {
                throw GatewayEndpoint.RequestTooLarge(64 * 1024);
            }
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
            var identity = await authenticator.AuthenticateAsync(http.Request, buffer.ToArray(), clock.GetUtcNow()).ConfigureAwait(false);
            if (!identity.Principal.IsRoot)
            {
                // Only the account root resets its account; IAM users and role sessions may not.
                throw new AwsException("AccessDenied", $"User: {identity.Principal.Arn} is not authorized to reset account {identity.AccountId}", 403);
            }
            var removed = await ResetAsync(identity.AccountId, http.RequestAborted).ConfigureAwait(false);
            status = 200;
            document = new { accountId = identity.AccountId, removedResources = removed };
        }
        catch (AwsException e)
        {
            status = e.StatusCode;
            document = new { error = new { code = e.Code, message = e.Message } };
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(document), http.RequestAborted).ConfigureAwait(false);
    }

    public async Task<int> ResetAsync(string accountId, CancellationToken ct)
    {
        var instances = new List<string>();
        var volumes = new List<string>();
        var removed = 0;
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            foreach (var region in RegionCatalog.Names.Prepend(""))
            {
                foreach (var resource in await tx.ListAllAsync(accountId, region, ct).ConfigureAwait(false))
                {
                    if (resource.Key.Type == ResourceTypes.Instance.Name)
                    {
                        instances.Add(resource.Id);
                    }
                    else if (resource.Key.Type == ResourceTypes.Volume.Name)
                    {
                        volumes.Add(resource.Id);
                    }
                    await tx.DeleteAsync(resource.Key, ct).ConfigureAwait(false);
                    removed++;
                }
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            iamPolicies.Invalidate();
        }
        defaultVpcs.Forget(accountId);
        // CloudWatch keeps its own database: the account's metrics, alarms, history and dashboards go too.
        await cloudWatch.ResetAccountAsync(accountId, ct).ConfigureAwait(false);
        // So does CloudWatch Logs: its log groups, streams and events.
        logs.DeleteAccount(accountId);
        foreach (var id in instances)
        {
            await BestEffortAsync(() => runtime.TerminateAsync(id, ct), id).ConfigureAwait(false);
        }
        foreach (var id in volumes)
        {
            await BestEffortAsync(() => runtime.DeleteVolumeAsync(id, ct), id).ConfigureAwait(false);
        }
        LogReset(accountId, removed);
        return removed;
    }

    private async Task BestEffortAsync(Func<Task> action, string id)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCleanupFailed(e, id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} reset: {Removed} resources removed")]
    private partial void LogReset(string accountId, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reset: the runtime could not remove {Id}")]
    private partial void LogCleanupFailed(Exception e, string id);
}
