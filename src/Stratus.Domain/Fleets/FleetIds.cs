using System.Text.RegularExpressions;
using Stratus.Domain.Resources;

namespace Stratus.Domain.Fleets;

/// <summary>Fleet ids: <c>sfr-</c> or <c>fleet-</c> and a lower-case UUID, as EC2 makes them.</summary>
public static partial class FleetIds
{
    public static ResourceType TypeOf(FleetKind kind) => kind == FleetKind.SpotFleet ? ResourceTypes.SpotFleetRequest : ResourceTypes.Fleet;

    public static string New(FleetKind kind) => $"{TypeOf(kind).IdPrefix}-{Guid.NewGuid():D}";

    public static bool IsWellFormed(FleetKind kind, string id) =>
        id.StartsWith(TypeOf(kind).IdPrefix + "-", StringComparison.Ordinal) && Uuid().IsMatch(id.AsSpan(TypeOf(kind).IdPrefix.Length + 1));

    /// <summary>Refuses an id that cannot be a fleet's of this kind (<c>…Malformed</c>).</summary>
    public static string Check(FleetKind kind, string id) => IsWellFormed(kind, id) ? id : throw TypeOf(kind).Malformed(id);

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex Uuid();
}
