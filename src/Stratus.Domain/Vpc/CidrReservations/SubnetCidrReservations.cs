using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.CidrReservations;

/// <summary>A subnet CIDR reservation: a block of the subnet kept for prefixes (<c>prefix</c>) or for addresses assigned by hand (<c>explicit</c>).</summary>
public sealed class SubnetCidrReservationResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string SubnetId { get; init; }
    public required string Cidr { get; init; }
    public required string ReservationType { get; init; }
    public string? Description { get; init; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Subnet CIDR reservations with EC2's rules: the block lies inside the subnet's and overlaps no
/// other reservation of the subnet; the private-address allocator assigns nothing inside an
/// <c>explicit</c> reservation on its own (an address named in the request may still be there).
/// </summary>
public static class SubnetCidrReservations
{
    public static async Task<SubnetCidrReservationResource> CreateAsync(IStoreTransaction tx, Scope scope, string? subnetId, string? cidr, string? reservationType,
        string? description, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var subnet = await Vpcs.RequireAsync<SubnetResource>(tx, scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(cidr))
        {
            throw AwsErrors.MissingParameter("Cidr");
        }
        var type = reservationType switch
        {
            null or "" => throw AwsErrors.MissingParameter("ReservationType"),
            "prefix" or "explicit" => reservationType,
            _ => throw AwsErrors.InvalidParameterValue($"Value ({reservationType}) for parameter reservationType is invalid. Valid values: prefix, explicit."),
        };
        if (description is { Length: > 255 })
        {
            throw AwsErrors.InvalidParameterValue("The description cannot be longer than 255 characters.");
        }
        if (cidr.Contains(':', StringComparison.Ordinal))
        {
            throw AwsErrors.InvalidParameterValue($"The CIDR {cidr} is not within the subnet's IPv6 CIDR block: subnet {subnet.Id} has no IPv6 CIDR block.");
        }
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ipv4Cidr.TryParse(cidr, out var block) || Ipv4Cidr.Parse(cidr).ToString() != cidr)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter cidr is invalid. This is not a valid CIDR block.");
        }
        var subnetBlock = Ipv4Cidr.Parse(subnet.CidrBlock);
        if (!subnetBlock.Contains(block))
        {
            throw AwsErrors.InvalidParameterValue($"The CIDR {cidr} is not within the CIDR {subnet.CidrBlock} of subnet {subnet.Id}.");
        }
        var existing = await OfSubnetAsync(tx, scope, subnet.Id, ct).ConfigureAwait(false);
        if (existing.Find(r => Ipv4Cidr.Parse(r.Cidr).Overlaps(block)) is { } overlap)
        {
            throw new AwsException("InvalidSubnetCidrReservation.Overlap",
                $"The CIDR {cidr} overlaps the subnet CIDR reservation {overlap.Id} ({overlap.Cidr}).");
        }
        var reservation = new SubnetCidrReservationResource
        {
            Id = ResourceIds.New(ResourceTypes.SubnetCidrReservation.IdPrefix),
            OwnerId = scope.AccountId,
            SubnetId = subnet.Id,
            Cidr = block.ToString(),
            ReservationType = type,
            Description = description,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.SubnetCidrReservation, reservation.Id, reservation, now, ct).ConfigureAwait(false);
        return reservation;
    }

    public static async Task<SubnetCidrReservationResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? id, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter("SubnetCidrReservationId");
        }
        var reservation = await Vpcs.RequireAsync<SubnetCidrReservationResource>(tx, scope, ResourceTypes.SubnetCidrReservation, id, ct).ConfigureAwait(false);
        await tx.DeleteAsync(scope, ResourceTypes.SubnetCidrReservation, reservation.Id, ct).ConfigureAwait(false);
        return reservation;
    }

    /// <summary>The reservations of one subnet, in id order.</summary>
    public static async Task<List<SubnetCidrReservationResource>> OfSubnetAsync(IStoreSession session, Scope scope, string subnetId, CancellationToken ct) =>
        (await session.ListAsync<SubnetCidrReservationResource>(scope, ResourceTypes.SubnetCidrReservation, ct).ConfigureAwait(false))
            .Where(r => r.SubnetId == subnetId).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();

    /// <summary>The blocks of a subnet the allocator leaves alone: its <c>explicit</c> reservations.</summary>
    public static async Task<List<Ipv4Cidr>> ExplicitBlocksAsync(IStoreSession session, Scope scope, string subnetId, CancellationToken ct) =>
        (await OfSubnetAsync(session, scope, subnetId, ct).ConfigureAwait(false))
            .Where(r => r.ReservationType == "explicit").Select(r => Ipv4Cidr.Parse(r.Cidr)).ToList();
}
