namespace Stratus.Domain.Resources;

/// <summary>
/// Spot Fleet requests (<c>sfr-</c>) and EC2 Fleets (<c>fleet-</c>). Their ids are a prefix and a
/// UUID (<see cref="Fleets.FleetIds"/>), not 17 hex digits, so they are checked there.
/// </summary>
public static partial class ResourceTypes
{
    public static readonly ResourceType SpotFleetRequest = new("spot-fleet-request", "sfr", "InvalidSpotFleetRequestId.NotFound", "InvalidSpotFleetRequestId.Malformed", "The spot fleet request ID '{0}' does not exist");
    public static readonly ResourceType Fleet = new("fleet", "fleet", "InvalidFleetId.NotFound", "InvalidFleetId.Malformed", "The fleet ID '{0}' does not exist");
}
