using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Cli;

/// <summary>
/// Finds the account and region of an instance in the store, for operator commands that act on
/// one instance while the server may be running (<c>stratus spot interrupt</c>, <c>stratus events schedule</c>).
/// </summary>
internal static class InstanceLocator
{
    /// <summary>
    /// The instance's scope, searching <paramref name="region"/> (or every region) and
    /// <paramref name="accountId"/> (or every account); on failure the message is written to
    /// standard error under <paramref name="command"/>'s name and the exit code returned: 2 for an
    /// unknown region, 1 for an instance that does not exist.
    /// </summary>
    public static async Task<(Scope? Scope, int ExitCode)> FindAsync(IStateStore store, string command, string instanceId, string? region, string? accountId, CancellationToken ct)
    {
        var regions = region is { } named ? [named] : RegionCatalog.Names.Order(StringComparer.Ordinal).ToList();
        await using var read = await store.OpenReadAsync(ct);
        foreach (var name in regions)
        {
            if (RegionCatalog.Find(name) is null)
            {
                await Console.Error.WriteLineAsync($"{command}: unknown region '{name}'");
                return (null, 2);
            }
            var found = (await read.ListEveryAccountAsync(name, ResourceTypes.Instance.Name, ct))
                .FirstOrDefault(s => s.Key.Id == instanceId && (accountId is null || s.Key.AccountId == accountId));
            if (found is not null)
            {
                return (new Scope(found.Key.AccountId, name), 0);
            }
        }
        await Console.Error.WriteLineAsync($"{command}: the instance '{instanceId}' does not exist");
        return (null, 1);
    }
}
