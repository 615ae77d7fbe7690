using Stratus.Domain.Store;

namespace Stratus.Domain.Resources;

/// <summary>
/// The accounts and regions a periodic loop (Auto Scaling, Spot, fleets, scheduled events, the
/// metric publishers) has anything to do in: those holding resources of the types it reads, found
/// through the store's index of resources (<see cref="IStoreSession.ListScopesAsync"/>), so that a
/// tick costs what exists, not every account in every region. Read from the store each time, so
/// what another process (the CLI, another server on the same store) wrote is seen at once.
/// </summary>
public static class ResourceScopes
{
    /// <summary>The regional scopes (account-global resources left out) holding resources of one of <paramref name="types"/>, ordered by account then region.</summary>
    public static async Task<List<Scope>> ListAsync(IStoreSession session, IReadOnlyList<ResourceType> types, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(types);
        var scopes = await session.ListScopesAsync([.. types.Select(t => t.Name)], ct).ConfigureAwait(false);
        return [.. scopes.Where(s => s.Region.Length > 0).Select(s => new Scope(s.AccountId, s.Region))];
    }

    /// <summary>The resources of <paramref name="type"/> in every scope that holds any, as stored (ordered by account, region, then id).</summary>
    public static async Task<List<StoredResource>> ListEveryScopeAsync(IStoreSession session, ResourceType type, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(type);
        var resources = new List<StoredResource>();
        foreach (var scope in await ListAsync(session, [type], ct).ConfigureAwait(false))
        {
            resources.AddRange(await session.ListAsync(scope.AccountId, scope.Region, type.Name, ct).ConfigureAwait(false));
        }
        return resources;
    }
}
