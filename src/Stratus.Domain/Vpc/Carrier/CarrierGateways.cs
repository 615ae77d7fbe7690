using Stratus.Core;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Carrier;

/// <summary>A carrier gateway: a VPC's way to and from a telecommunication carrier's network in a Wavelength Zone.</summary>
public sealed class CarrierGatewayResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public string State { get; set; } = "available";
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Carrier gateways as EC2 manages them: created for a VPC (available at once), described, deleted.
/// EC2 lets a route target one only when its VPC has a subnet in a Wavelength Zone; Stratus lists
/// the regions' Wavelength Zones (DescribeAvailabilityZones with AllAvailabilityZones, opt-in per
/// zone group) but places no subnets in them, so such routes are refused with that rule.
/// </summary>
public static class CarrierGateways
{
    public static async Task<CarrierGatewayResource> CreateAsync(IStoreTransaction tx, Scope scope, string? vpcId, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var gateway = new CarrierGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.CarrierGateway.IdPrefix),
            OwnerId = scope.AccountId,
            VpcId = vpc.Id,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.CarrierGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        return gateway;
    }

    /// <summary>Deletes the gateway; the answer shows it <c>deleting</c>, after which it is gone.</summary>
    public static async Task<CarrierGatewayResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? id, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter("CarrierGatewayId");
        }
        ResourceTypes.CarrierGateway.CheckId(id);
        var gateway = await tx.GetAsync<CarrierGatewayResource>(scope, ResourceTypes.CarrierGateway, id, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.CarrierGateway.NotFound(id);
        await tx.DeleteAsync(scope, ResourceTypes.CarrierGateway, gateway.Id, ct).ConfigureAwait(false);
        gateway.State = "deleting";
        return gateway;
    }

    /// <summary>
    /// Why a route of <paramref name="vpcId"/>'s table cannot target the carrier gateway <paramref name="id"/>:
    /// it does not exist, belongs to another VPC, or the VPC has no subnet in a Wavelength Zone.
    /// </summary>
    public static async Task<AwsException> RouteTargetErrorAsync(IStoreSession session, Scope scope, string id, string vpcId, CancellationToken ct = default)
    {
        var gateway = ResourceIds.IsWellFormed(ResourceTypes.CarrierGateway.IdPrefix, id)
            ? await session.GetAsync<CarrierGatewayResource>(scope, ResourceTypes.CarrierGateway, id, ct).ConfigureAwait(false)
            : null;
        if (gateway is null)
        {
            return ResourceTypes.CarrierGateway.NotFound(id);
        }
        if (gateway.VpcId != vpcId)
        {
            return AwsErrors.InvalidParameterValue($"route table and carrier gateway {id} belong to different networks");
        }
        var wavelengthZones = RegionCatalog.Find(scope.Region)?.EdgeZones.Where(z => z.ZoneType == "wavelength-zone").Select(z => z.ZoneName).ToHashSet(StringComparer.Ordinal) ?? [];
        var subnets = await session.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        return subnets.Exists(s => s.VpcId == vpcId && wavelengthZones.Contains(s.AvailabilityZone))
            ? AwsErrors.InvalidParameterValue($"The carrier gateway {id} cannot carry traffic on this host.")
            : AwsErrors.InvalidParameterValue($"The carrier gateway {id} can be a route target only when the VPC {vpcId} contains a subnet in a Wavelength Zone.");
    }
}
