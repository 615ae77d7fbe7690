using System.CommandLine;
using System.Text.Json;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Store.Sqlite;

namespace Stratus.Cli;

/// <summary>
/// <c>stratus spot interrupt</c>: an operator reclaims a Spot Instance's capacity. Like
/// <c>stratus quotas set</c> it writes to the store (also while the server runs): the instance's
/// spot request gets an interruption, which the server's Spot controller notices on its next pass
/// (IMDS shows <c>spot/instance-action</c> from then on) and carries out when the notice period
/// (<c>serve --spot-notice-seconds</c>, two minutes by default) has passed.
/// </summary>
internal static class SpotCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Spot(Option<string> dataDir)
    {
        var instanceId = new Argument<string>("instance-id") { Description = "The Spot Instance to interrupt (i-...)." };
        var action = new Option<string?>("--action")
        {
            Description = "What happens to the instance: terminate, stop or hibernate. Default: the request's InstanceInterruptionBehavior.",
        };
        action.AcceptOnlyFromAmong(SpotInterruptionBehaviors.Terminate, SpotInterruptionBehaviors.Stop, SpotInterruptionBehaviors.Hibernate);
        var account = new Option<string?>("--account-id") { Description = "The instance's account. Default: whichever account has it." };
        var region = new Option<string?>("--region") { Description = "The instance's region. Default: whichever region has it." };
        var interrupt = new Command("interrupt", "Interrupt a Spot Instance as EC2 does when it needs the capacity back: a two-minute notice in the instance's metadata, then terminate, stop or hibernate (also while the server runs).")
        {
            instanceId, action, dataDir, account, region,
        };
        interrupt.SetAction(async (parse, ct) =>
        {
            var id = parse.GetValue(instanceId)!;
            await using var store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(Path.GetFullPath(parse.GetValue(dataDir)!), "stratus.db")));
            await store.InitializeAsync(ct);
            var (scope, exitCode) = await InstanceLocator.FindAsync(store, "stratus spot interrupt", id, parse.GetValue(region), parse.GetValue(account), ct);
            if (scope is not { } at)
            {
                return exitCode;
            }
            try
            {
                await using var tx = await store.BeginWriteAsync(ct);
                var instance = (await tx.GetAsync<InstanceResource>(at, ResourceTypes.Instance, id, ct))!;
                var marked = await SpotRequests.RequestInterruptionAsync(tx, at, instance, parse.GetValue(action), SpotInterruptionReasons.Capacity, DateTime.UtcNow, ct);
                await tx.CommitAsync(ct);
                Console.WriteLine(JsonSerializer.Serialize(marked.Select(r => new
                {
                    r.InstanceId,
                    SpotInstanceRequestId = r.Id,
                    r.Interruption!.Action,
                    at.AccountId,
                    at.Region,
                }), Indented));
                return 0;
            }
            catch (Stratus.Core.AwsException e)
            {
                await Console.Error.WriteLineAsync($"stratus spot interrupt: {e.Message}");
                return 1;
            }
        });
        return new Command("spot", "Act on Spot Instances as EC2's capacity side does (interruptions).") { interrupt };
    }
}
