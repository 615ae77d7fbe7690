using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.CapacityReservations;

/// <summary>An On-Demand Capacity Reservation: capacity for a number of instances of one type, platform and tenancy in one zone.</summary>
public sealed class CapacityReservationResource : ITaggable
{
    public required string Id { get; init; }
    public required string InstanceType { get; init; }
    public required string InstancePlatform { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }
    public string Tenancy { get; init; } = "default";
    public required int TotalInstanceCount { get; set; }
    public bool EbsOptimized { get; init; }
    public string State { get; set; } = CapacityReservations.Active;
    public required DateTime CreateDate { get; init; }
    public required DateTime StartDate { get; init; }
    public DateTime? EndDate { get; set; }
    public string EndDateType { get; set; } = "unlimited";
    public string InstanceMatchCriteria { get; set; } = "open";
    public string? ClientToken { get; init; }

    /// <summary>Instances running in the reservation (pending, running or stopping).</summary>
    public List<string> Instances { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Capacity reservations: create, modify, cancel; a reservation is <c>active</c> from its start,
/// <c>expired</c> once a <c>limited</c> end date passes, <c>cancelled</c> when cancelled. Launches
/// land in reservations: a targeted one (CapacityReservationSpecification) must match the
/// instance's type, zone and tenancy and have room, else the launch fails; with preference
/// <c>open</c> (the default) an instance takes a free slot of an active <c>open</c> reservation that
/// matches, if any. Instances leave a reservation when they stop or terminate.
/// </summary>
public static class CapacityReservations
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
    public const string Open = "open";
    public const string Targeted = "targeted";
    public const string Linux = "Linux/UNIX";

    private static readonly string[] Platforms =
    [
        "Linux/UNIX", "Red Hat Enterprise Linux", "SUSE Linux", "Windows", "Windows with SQL Server", "Windows with SQL Server Enterprise",
        "Windows with SQL Server Standard", "Windows with SQL Server Web", "Linux with SQL Server Standard", "Linux with SQL Server Web",
        "Linux with SQL Server Enterprise", "RHEL with SQL Server Standard", "RHEL with SQL Server Enterprise", "RHEL with SQL Server Web",
        "RHEL with HA", "RHEL with HA and SQL Server Standard", "RHEL with HA and SQL Server Enterprise", "Ubuntu Pro",
    ];

    public static string Arn(string region, string accountId, string id) => $"arn:aws:ec2:{region}:{accountId}:capacity-reservation/{id}";

    /// <summary>Checks a CreateCapacityReservation request and builds the reservation.</summary>
    public static CapacityReservationResource Plan(Scope scope, string? instanceType, string? platform, string? zoneName, string? zoneId, int? count,
        string? tenancy, DateTime? endDate, string? endDateType, string? matchCriteria, bool ebsOptimized, string? clientToken, List<Tag> tags, DateTime now)
    {
        var type = InstanceTypeCatalog.Find(instanceType ?? throw AwsErrors.MissingParameter("instanceType"))
            ?? throw AwsErrors.InvalidParameterValue($"Invalid value '{instanceType}' for instanceType.");
        if (platform is null)
        {
            throw AwsErrors.MissingParameter("instancePlatform");
        }
        if (!Platforms.Contains(platform))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({platform}) for parameter instancePlatform is invalid.");
        }
        if (zoneName is null && zoneId is null)
        {
            throw AwsErrors.MissingParameter("availabilityZone");
        }
        if (zoneName is not null && zoneId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of availabilityZone or availabilityZoneId may be specified.");
        }
        var zone = RegionCatalog.Get(scope.Region).Zones.FirstOrDefault(z => z.ZoneName == zoneName || z.ZoneId == zoneId)
            ?? throw AwsErrors.InvalidParameterValue($"Invalid availability zone: [{zoneName ?? zoneId}]");
        if (!InstanceTypeCatalog.IsOffered(type.Name, zone.ZoneName))
        {
            throw new AwsException("Unsupported", $"The requested instance type ({type.Name}) is not supported in the requested Availability Zone ({zone.ZoneName}).");
        }
        var instances = count ?? throw AwsErrors.MissingParameter("instanceCount");
        if (instances < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({instances}) for parameter instanceCount is invalid. Expected a positive integer.");
        }
        if (tenancy is not null and not ("default" or "dedicated"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({tenancy}) for parameter tenancy is invalid. Valid values are: default, dedicated.");
        }
        if (matchCriteria is not null and not (Open or Targeted))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({matchCriteria}) for parameter instanceMatchCriteria is invalid. Valid values are: open, targeted.");
        }
        var (end, endType) = CheckEnd(endDate, endDateType, now);
        return new CapacityReservationResource
        {
            Id = ResourceIds.New(ResourceTypes.CapacityReservation.IdPrefix),
            InstanceType = type.Name,
            InstancePlatform = platform,
            AvailabilityZone = zone.ZoneName,
            AvailabilityZoneId = zone.ZoneId,
            Tenancy = tenancy ?? "default",
            TotalInstanceCount = instances,
            EbsOptimized = ebsOptimized,
            CreateDate = now,
            StartDate = now,
            EndDate = end,
            EndDateType = endType,
            InstanceMatchCriteria = matchCriteria ?? Open,
            ClientToken = clientToken,
            Tags = tags,
        };
    }

    private static (DateTime? End, string Type) CheckEnd(DateTime? endDate, string? endDateType, DateTime now)
    {
        var type = endDateType ?? (endDate is null ? "unlimited" : "limited");
        if (type is not ("unlimited" or "limited"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({type}) for parameter endDateType is invalid. Valid values are: unlimited, limited.");
        }
        if (type == "unlimited" && endDate is not null)
        {
            throw AwsErrors.InvalidParameterCombination("EndDate cannot be specified when EndDateType is 'unlimited'.");
        }
        if (type == "limited" && endDate is null)
        {
            throw AwsErrors.MissingParameter("endDate");
        }
        if (endDate is { } end && end.ToUniversalTime() <= now)
        {
            throw AwsErrors.InvalidParameterValue("The end date must be in the future.");
        }
        return (endDate?.ToUniversalTime(), type);
    }

    /// <summary>The state as of <paramref name="now"/>: an active reservation past its limited end date has expired.</summary>
    public static bool Refresh(CapacityReservationResource reservation, DateTime now)
    {
        if (reservation.State == Active && reservation.EndDateType == "limited" && reservation.EndDate is { } end && end <= now)
        {
            reservation.State = Expired;
            reservation.Instances.Clear();
            return true;
        }
        return false;
    }

    public static int Available(CapacityReservationResource reservation) =>
        reservation.State == Active ? Math.Max(0, reservation.TotalInstanceCount - reservation.Instances.Count) : 0;

    /// <summary>Drops instances that stopped, terminated or moved elsewhere; true when something changed.</summary>
    public static async Task<bool> ReconcileAsync(IStoreSession session, Scope scope, CapacityReservationResource reservation, DateTime now, CancellationToken ct = default)
    {
        var changed = Refresh(reservation, now);
        if (reservation.Instances.Count == 0)
        {
            return changed;
        }
        var instances = await session.GetManyAsync<InstanceResource>(scope, ResourceTypes.Instance, reservation.Instances, ct).ConfigureAwait(false);
        var live = instances.Where(i => i.CapacityReservationId == reservation.Id
                && i.State is InstanceStates.Pending or InstanceStates.Running or InstanceStates.Stopping)
            .Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        return reservation.Instances.RemoveAll(id => !live.Contains(id)) > 0 || changed;
    }

    public static async Task<CapacityReservationResource> RequireAsync(IStoreSession session, Scope scope, string id, CancellationToken ct = default)
    {
        ResourceTypes.CapacityReservation.CheckId(id);
        return await session.GetAsync<CapacityReservationResource>(scope, ResourceTypes.CapacityReservation, id, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.CapacityReservation.NotFound(id);
    }

    private static AwsException IncorrectState(CapacityReservationResource reservation) =>
        new("IncorrectState", $"The capacity reservation {reservation.Id} is in the {reservation.State} state; the request cannot be performed in this state.");

    public static async Task ModifyAsync(IStoreTransaction tx, Scope scope, string id, int? count, DateTime? endDate, string? endDateType, string? matchCriteria, DateTime now, CancellationToken ct = default)
    {
        var reservation = await RequireAsync(tx, scope, id, ct).ConfigureAwait(false);
        await ReconcileAsync(tx, scope, reservation, now, ct).ConfigureAwait(false);
        if (reservation.State != Active)
        {
            throw IncorrectState(reservation);
        }
        if (count is { } n)
        {
            if (n < 1)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({n}) for parameter instanceCount is invalid. Expected a positive integer.");
            }
            reservation.TotalInstanceCount = n;
        }
        if (endDate is not null || endDateType is not null)
        {
            (reservation.EndDate, reservation.EndDateType) = CheckEnd(endDate, endDateType, now);
        }
        if (matchCriteria is not null)
        {
            if (matchCriteria is not (Open or Targeted))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({matchCriteria}) for parameter instanceMatchCriteria is invalid. Valid values are: open, targeted.");
            }
            reservation.InstanceMatchCriteria = matchCriteria;
        }
        await PutAsync(tx, scope, reservation, ct).ConfigureAwait(false);
    }

    public static async Task CancelAsync(IStoreTransaction tx, Scope scope, string id, DateTime now, CancellationToken ct = default)
    {
        var reservation = await RequireAsync(tx, scope, id, ct).ConfigureAwait(false);
        Refresh(reservation, now);
        if (reservation.State != Active)
        {
            throw IncorrectState(reservation);
        }
        reservation.State = Cancelled;
        reservation.Instances.Clear();
        await PutAsync(tx, scope, reservation, ct).ConfigureAwait(false);
    }

    public static Task PutAsync(IStoreTransaction tx, Scope scope, CapacityReservationResource reservation, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.CapacityReservation, reservation.Id, reservation, reservation.CreateDate, ct);

    /// <summary>Checks a CapacityReservationSpecification's preference.</summary>
    public static void CheckPreference(string? preference)
    {
        if (preference is not null and not ("open" or "none" or "capacity-reservations-only"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({preference}) for parameter capacityReservationPreference is invalid. Valid values are: capacity-reservations-only, open, none.");
        }
    }

    /// <summary>
    /// Puts launched (or starting) instances into capacity reservations: the targeted one, or with
    /// preference <c>open</c> any active open reservation that matches and has room. Writes the
    /// reservations, and the instances (reservation id and preference) unless
    /// <c>writeInstances</c> is false (a launch writes them once, after placing them).
    /// </summary>
    public static Task PlaceAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, string? preference, string? targetId, DateTime now, CancellationToken ct = default) =>
        PlaceAsync(tx, scope, instances, preference, targetId, now, writeInstances: true, ct);

    /// <inheritdoc cref="PlaceAsync(IStoreTransaction, Scope, IReadOnlyList{InstanceResource}, string?, string?, DateTime, CancellationToken)"/>
    public static async Task PlaceAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, string? preference, string? targetId, DateTime now,
        bool writeInstances, CancellationToken ct = default)
    {
        CheckPreference(preference);
        if (targetId is not null && preference is not null)
        {
            throw AwsErrors.InvalidParameterCombination("CapacityReservationPreference and CapacityReservationTarget cannot both be specified.");
        }
        var effective = targetId is not null ? null : preference ?? Open;
        var candidates = targetId is not null
            ? [await RequireAsync(tx, scope, targetId, ct).ConfigureAwait(false)]
            : effective == "none" ? [] : await tx.ListAsync<CapacityReservationResource>(scope, ResourceTypes.CapacityReservation, ct).ConfigureAwait(false);
        var changed = new Dictionary<string, CapacityReservationResource>(StringComparer.Ordinal);
        var placing = instances.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var reservation in candidates)
        {
            // An instance being placed again (a start) is counted once, where it lands now.
            if (await ReconcileAsync(tx, scope, reservation, now, ct).ConfigureAwait(false) | reservation.Instances.RemoveAll(placing.Contains) > 0)
            {
                changed[reservation.Id] = reservation;
            }
        }
        foreach (var instance in instances)
        {
            instance.CapacityReservationPreference = effective;
            instance.CapacityReservationId = null;
            CapacityReservationResource? chosen;
            if (targetId is not null)
            {
                var target = candidates[0];
                if (target.State != Active)
                {
                    throw IncorrectState(target);
                }
                if (!Matches(target, instance))
                {
                    throw AwsErrors.InvalidParameterCombination($"The instance's type, zone or tenancy ({instance.InstanceType}, {instance.AvailabilityZone}, {instance.Tenancy}) does not match capacity reservation {target.Id} ({target.InstanceType}, {target.AvailabilityZone}, {target.Tenancy}).");
                }
                chosen = Available(target) > 0 ? target
                    : throw new AwsException("ReservationCapacityExceeded", $"There is not enough capacity in the capacity reservation {target.Id} to fulfill the request.");
            }
            else
            {
                chosen = candidates.Where(r => r.InstanceMatchCriteria == Open && Matches(r, instance) && Available(r) > 0)
                    .OrderBy(r => r.CreateDate).ThenBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault();
                if (chosen is null && effective == "capacity-reservations-only")
                {
                    throw new AwsException("InsufficientInstanceCapacity", "There is no capacity reservation that matches the instance with free capacity.");
                }
            }
            if (chosen is not null)
            {
                chosen.Instances.Add(instance.Id);
                changed[chosen.Id] = chosen;
                instance.CapacityReservationId = chosen.Id;
            }
        }
        foreach (var reservation in changed.Values)
        {
            await PutAsync(tx, scope, reservation, ct).ConfigureAwait(false);
        }
        if (writeInstances)
        {
            await InstanceRecords.PutManyAsync(tx, scope, instances, now, ct).ConfigureAwait(false);
        }
    }

    private static bool Matches(CapacityReservationResource reservation, InstanceResource instance) =>
        reservation.State == Active
        && reservation.InstanceType == instance.InstanceType
        && reservation.AvailabilityZone == instance.AvailabilityZone
        && reservation.InstancePlatform == Linux
        && (reservation.Tenancy == "dedicated") == (instance.Tenancy == "dedicated");
}
