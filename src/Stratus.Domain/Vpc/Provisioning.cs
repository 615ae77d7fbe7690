using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>
/// A resource whose state moves on by itself after a while (pending → available, deleting →
/// deleted, attaching → attached): the state a call left and the state it settles into, with the
/// time it does.
/// </summary>
public interface IProvisioned : ITaggable
{
    string State { get; set; }

    /// <summary>The state the resource settles into at <see cref="NextStateAt"/>; null when it is settled.</summary>
    string? NextState { get; set; }

    /// <summary>When <see cref="NextState"/> is reached; once settled, when the current state was reached.</summary>
    DateTime? NextStateAt { get; set; }
}

/// <summary>A provisioned resource with parts that settle too (a VPN gateway's VPC attachments, a VPN connection's routes).</summary>
public interface IProvisionedParts
{
    void SettleParts(DateTime now);
}

/// <summary>
/// The timing of managed network resources: what AWS takes minutes to provision takes
/// <see cref="Delay"/> here, and deleted resources stay visible for <see cref="DeletedRetention"/>
/// (Describe shows them as <c>deleted</c>, as AWS does) before they disappear. Settling is computed
/// on read, so no background work is needed and a read-only view sees the same state as a write.
/// </summary>
public static class Provisioning
{
    /// <summary>How long a transitional state (pending, deleting, attaching, ...) lasts.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    /// <summary>How long a deleted resource stays visible.</summary>
    public static readonly TimeSpan DeletedRetention = TimeSpan.FromHours(1);

    /// <summary>Puts <paramref name="resource"/> into <paramref name="state"/>, settling into <paramref name="next"/> after <see cref="Delay"/>.</summary>
    public static void Begin(IProvisioned resource, string state, string next, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.State = state;
        resource.NextState = next;
        resource.NextStateAt = now + Delay;
    }

    /// <summary>Puts <paramref name="resource"/> into a settled <paramref name="state"/> now.</summary>
    public static void Set(IProvisioned resource, string state, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.State = state;
        resource.NextState = null;
        resource.NextStateAt = now;
    }

    /// <summary>The resource as of <paramref name="now"/>: a transition whose time has come is complete.</summary>
    public static T Settle<T>(T resource, DateTime now)
        where T : IProvisioned
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.NextState is { } next && resource.NextStateAt is { } at && now >= at)
        {
            resource.State = next;
            resource.NextState = null;
        }
        (resource as IProvisionedParts)?.SettleParts(now);
        return resource;
    }

    /// <summary>True when a settled resource is deleted and past its retention: it no longer exists.</summary>
    public static bool IsGone(IProvisioned resource, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.State is "deleted" or "rejected" or "failed" && resource.NextState is null
            && resource.NextStateAt is { } since && now - since >= DeletedRetention;
    }

    /// <summary>True when the resource is deleted or on its way there (it counts for nothing any more).</summary>
    public static bool IsDeletedOrDeleting(IProvisioned resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.State is "deleted" or "deleting" or "rejected" or "rejecting" or "failed" or "failing"
            || resource.NextState is "deleted";
    }

    /// <summary>Loads a resource by id, settled as of <paramref name="now"/>; malformed, unknown and long-gone ids are EC2's errors for the type.</summary>
    public static async Task<T> RequireAsync<T>(IStoreSession session, Scope scope, ResourceType type, string? id, string parameter, DateTime now, CancellationToken ct)
        where T : class, IProvisioned
    {
        ArgumentNullException.ThrowIfNull(type);
        if (string.IsNullOrEmpty(id))
        {
            throw Stratus.Core.AwsErrors.MissingParameter(parameter);
        }
        type.CheckId(id);
        var resource = await session.GetAsync<T>(scope, type, id, ct).ConfigureAwait(false);
        if (resource is null || IsGone(Settle(resource, now), now))
        {
            throw type.NotFound(id);
        }
        return resource;
    }

    /// <summary>Every resource of a type that still exists, settled as of <paramref name="now"/>.</summary>
    public static async Task<List<T>> ListAsync<T>(IStoreSession session, Scope scope, ResourceType type, DateTime now, CancellationToken ct)
        where T : class, IProvisioned
    {
        var all = await session.ListAsync<T>(scope, type, ct).ConfigureAwait(false);
        return all.Select(r => Settle(r, now)).Where(r => !IsGone(r, now)).ToList();
    }
}
