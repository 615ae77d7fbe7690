using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Regions;

/// <summary>An account's opt-in to a Local Zone or Wavelength Zone group of a region.</summary>
public sealed class ZoneGroupOptIn
{
    public required string GroupName { get; init; }
    public required DateTime OptedInAt { get; init; }
}

/// <summary>
/// Zone groups and their opt-in status per account and region: a region's Availability Zones
/// need no opt-in; its Local Zone and Wavelength Zone groups are <c>not-opted-in</c> until
/// ModifyAvailabilityZoneGroup opts the account in. Opting out is not possible through the API
/// (AWS asks for a support case), so <c>not-opted-in</c> is refused for a group opted into.
/// </summary>
public static class ZoneGroups
{
    public const string OptInNotRequired = "opt-in-not-required";
    public const string OptedIn = "opted-in";
    public const string NotOptedIn = "not-opted-in";

    /// <summary>The stored opt-ins (one document per group opted into, keyed by group name).</summary>
    public static readonly ResourceType OptInType = new("zone-group-opt-in", "zg", "InvalidParameterValue", "InvalidParameterValue", "{0}");

    /// <summary>The groups of <paramref name="scope"/>'s region the account has opted into.</summary>
    public static async Task<IReadOnlySet<string>> OptedInAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        (await session.ListAsync<ZoneGroupOptIn>(scope, OptInType, ct).ConfigureAwait(false)).Select(o => o.GroupName).ToHashSet(StringComparer.Ordinal);

    /// <summary>The opt-in status of an edge zone for an account that opted into <paramref name="optedIn"/>.</summary>
    public static string StatusOf(EdgeZone zone, IReadOnlySet<string> optedIn) => optedIn.Contains(zone.GroupName) ? OptedIn : NotOptedIn;

    /// <summary>ModifyAvailabilityZoneGroup: checks the group and status and records the opt-in.</summary>
    public static async Task ModifyAsync(IStoreTransaction tx, Scope scope, string groupName, string optInStatus, DateTime now, CancellationToken ct = default)
    {
        var region = RegionCatalog.Get(scope.Region);
        if (optInStatus is not (OptedIn or NotOptedIn))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({optInStatus}) for parameter optInStatus is invalid. Valid values are: opted-in, not-opted-in.");
        }
        if (groupName == region.Name)
        {
            throw AwsErrors.InvalidParameterValue($"The zone group {groupName} does not require opt-in; its Availability Zones are always available.");
        }
        if (!region.EdgeZones.Any(z => z.GroupName == groupName))
        {
            throw AwsErrors.InvalidParameterValue($"The zone group '{groupName}' does not exist in {region.Name}.");
        }
        var existing = await tx.GetAsync<ZoneGroupOptIn>(scope, OptInType, groupName, ct).ConfigureAwait(false);
        if (optInStatus == NotOptedIn)
        {
            if (existing is not null)
            {
                throw new AwsException("InvalidOptInStatus", $"You can't opt out of the zone group {groupName}. To opt out, contact AWS Support.");
            }
            return;
        }
        if (existing is null)
        {
            await tx.PutAsync(scope, OptInType, groupName, new ZoneGroupOptIn { GroupName = groupName, OptedInAt = now }, now, ct).ConfigureAwait(false);
        }
    }
}
