using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Compute.ReservedInstances;

/// <summary>A purchase of Reserved Instances: a billing commitment for a number of instances of one type.</summary>
public sealed class ReservedInstancesResource : ITaggable
{
    public required string Id { get; init; }
    public required string OfferingId { get; init; }
    public required string InstanceType { get; init; }
    public string? AvailabilityZone { get; init; }
    public string? AvailabilityZoneId { get; init; }
    public required string ProductDescription { get; init; }
    public required string InstanceTenancy { get; init; }
    public required string OfferingClass { get; init; }
    public required string OfferingType { get; init; }
    public required long Duration { get; init; }
    public required decimal FixedPrice { get; init; }
    public required decimal HourlyCharge { get; init; }
    public required int InstanceCount { get; init; }
    public required DateTime Start { get; set; }
    public required DateTime End { get; set; }
    public required DateTime CreateTime { get; init; }

    /// <summary>queued, payment-pending, active, retired, queued-deleted (state as of the last write; <see cref="ReservedInstances.StateAt"/> is the current one).</summary>
    public string State { get; set; } = ReservedInstances.PaymentPending;
    public List<Tag> Tags { get; init; } = [];

    public string Scope => AvailabilityZone is null ? ReservedInstanceOfferings.RegionScope : ReservedInstanceOfferings.ZoneScope;
}

/// <summary>A ModifyReservedInstances request and its outcome.</summary>
public sealed class ReservedInstancesModificationResource : ITaggable
{
    public required string Id { get; init; }
    public string? ClientToken { get; init; }
    public required List<string> ReservedInstancesIds { get; init; }
    public required List<ModificationResult> Results { get; init; }
    public required DateTime CreateDate { get; init; }
    public required DateTime EffectiveDate { get; init; }
    public string Status { get; set; } = "fulfilled";
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A Reserved Instances purchase a modification made, with its configuration.</summary>
public sealed record ModificationResult(string ReservedInstancesId, ModificationTarget Target);

/// <summary>A target configuration of a modification.</summary>
public sealed record ModificationTarget(string? AvailabilityZone, string? AvailabilityZoneId, string Scope, int InstanceCount, string InstanceType, string? Platform);

/// <summary>
/// Reserved Instances as EC2 keeps them (the User Guide's "Reserved Instances"): purchases of
/// generated offerings (<see cref="ReservedInstanceOfferings"/>), their states — <c>queued</c>
/// until a future <c>PurchaseTime</c> (regional Reserved Instances only, as AWS allows),
/// <c>payment-pending</c> for <see cref="PaymentPendingFor"/>, <c>active</c> until their term
/// ends, then <c>retired</c> — evaluated whenever they are read; modifications (zone, scope and
/// size within the family by normalization factor); and exchanges of convertible Reserved
/// Instances (<see cref="ExchangeQuoteAsync"/>).
/// </summary>
public static class ReservedInstances
{
    public const string Queued = "queued";
    public const string QueuedDeleted = "queued-deleted";
    public const string PaymentPending = "payment-pending";
    public const string Active = "active";
    public const string Retired = "retired";

    /// <summary>How long a purchase stays payment-pending before it is active.</summary>
    public static readonly TimeSpan PaymentPendingFor = TimeSpan.FromSeconds(2);

    /// <summary>How many Reserved Instances an account may buy per zone (zonal) or region (regional) per month, as AWS limits.</summary>
    public const int PurchasesPerMonth = 20;

    /// <summary>The state as of <paramref name="now"/>.</summary>
    public static string StateAt(ReservedInstancesResource ri, DateTime now) => ri.State switch
    {
        QueuedDeleted or Retired => ri.State,
        _ when now >= ri.End => Retired,
        Queued when now < ri.Start => Queued,
        _ when now < ri.Start + PaymentPendingFor => PaymentPending,
        _ => Active,
    };

    /// <summary>PurchaseReservedInstancesOffering: checks and builds the purchase.</summary>
    public static async Task<ReservedInstancesResource> PurchaseAsync(IStoreTransaction tx, Scope scope, string? offeringId, int? count, decimal? limitPrice,
        DateTime? purchaseTime, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        var offering = ReservedInstanceOfferings.Find(scope.Region, offeringId ?? throw AwsErrors.MissingParameter("ReservedInstancesOfferingId"))
            ?? throw new AwsException("InvalidReservedInstancesOfferingId", $"The Reserved Instances offering '{offeringId}' is not valid.");
        var instances = count ?? throw AwsErrors.MissingParameter("InstanceCount");
        if (instances < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({instances}) for parameter instanceCount is invalid. Expected a positive integer.");
        }
        if (limitPrice is { } limit && offering.FixedPrice * instances > limit)
        {
            throw new AwsException("ReservedInstancesLimitPriceExceeded",
                $"The total up-front price ({(offering.FixedPrice * instances).ToString("0.00", CultureInfo.InvariantCulture)} USD) exceeds the limit price ({limit.ToString("0.00", CultureInfo.InvariantCulture)} USD).");
        }
        var start = now;
        var state = PaymentPending;
        if (purchaseTime is { } at)
        {
            at = at.ToUniversalTime();
            if (offering.AvailabilityZone is not null)
            {
                throw AwsErrors.InvalidParameterCombination("Purchases can be queued only for regional Reserved Instances; this offering is zonal.");
            }
            if (at < now)
            {
                throw AwsErrors.InvalidParameterValue("The purchase time must be in the future.");
            }
            if (at > now.AddYears(3))
            {
                throw AwsErrors.InvalidParameterValue("The purchase time can be at most three years in the future.");
            }
            if (at > now)
            {
                start = at;
                state = Queued;
            }
        }
        var monthAgo = now.AddDays(-30);
        var recent = (await tx.ListAsync<ReservedInstancesResource>(scope, ResourceTypes.ReservedInstances, ct).ConfigureAwait(false))
            .Where(r => r.CreateTime >= monthAgo && r.AvailabilityZone == offering.AvailabilityZone && r.State != QueuedDeleted)
            .Sum(r => r.InstanceCount);
        if (recent + instances > PurchasesPerMonth)
        {
            throw new AwsException("ReservedInstancesLimitExceeded",
                $"You have reached the limit of {PurchasesPerMonth} Reserved Instances per {(offering.AvailabilityZone is null ? "Region" : "Availability Zone")} this month.");
        }
        var ri = new ReservedInstancesResource
        {
            Id = Guid.NewGuid().ToString(),
            OfferingId = offering.Id,
            InstanceType = offering.InstanceType,
            AvailabilityZone = offering.AvailabilityZone,
            AvailabilityZoneId = offering.AvailabilityZoneId,
            ProductDescription = offering.ProductDescription,
            InstanceTenancy = offering.InstanceTenancy,
            OfferingClass = offering.OfferingClass,
            OfferingType = offering.OfferingType,
            Duration = offering.Duration,
            FixedPrice = offering.FixedPrice,
            HourlyCharge = offering.HourlyCharge,
            InstanceCount = instances,
            Start = start,
            End = start.AddSeconds(offering.Duration),
            CreateTime = now,
            State = state,
            Tags = tags,
        };
        await PutAsync(tx, scope, ri, ct).ConfigureAwait(false);
        return ri;
    }

    public static Task PutAsync(IStoreTransaction tx, Scope scope, ReservedInstancesResource ri, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.ReservedInstances, ri.Id, ri, ri.CreateTime, ct);

    public static async Task<ReservedInstancesResource> RequireAsync(IStoreSession session, Scope scope, string id, CancellationToken ct = default) =>
        await session.GetAsync<ReservedInstancesResource>(scope, ResourceTypes.ReservedInstances, id, ct).ConfigureAwait(false)
        ?? throw new AwsException("InvalidReservedInstancesId", $"Reserved Instances '{id}' not found.");

    /// <summary>DeleteQueuedReservedInstances for one id: null when deleted, else the error code and message AWS answers.</summary>
    public static async Task<(string Code, string Message)?> DeleteQueuedAsync(IStoreTransaction tx, Scope scope, string id, DateTime now, CancellationToken ct = default)
    {
        var ri = await tx.GetAsync<ReservedInstancesResource>(scope, ResourceTypes.ReservedInstances, id, ct).ConfigureAwait(false);
        if (ri is null)
        {
            return ("reserved-instances-id-invalid", $"The Reserved Instances ID '{id}' is not valid.");
        }
        if (StateAt(ri, now) != Queued)
        {
            return ("reserved-instances-not-in-queued-state", $"The Reserved Instances '{id}' are not in the queued state.");
        }
        ri.State = QueuedDeleted;
        await PutAsync(tx, scope, ri, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// ModifyReservedInstances: the named Reserved Instances (active, same class, payment, product,
    /// tenancy, term end and family) are retired and replaced by Reserved Instances of the target
    /// configurations, which must keep the total normalized footprint (instance count × the
    /// size's normalization factor) and may change the zone, the scope and — for Linux/UNIX — the
    /// size within the family, as the User Guide's "Modify Reserved Instances" describes.
    /// </summary>
    public static async Task<ReservedInstancesModificationResource> ModifyAsync(IStoreTransaction tx, Scope scope, List<string>? ids, List<ModificationTarget>? targets,
        string? clientToken, DateTime now, CancellationToken ct = default)
    {
        if (ids is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("ReservedInstancesId");
        }
        if (targets is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("ReservedInstancesConfigurationSetItemType");
        }
        var sources = new List<ReservedInstancesResource>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var ri = await RequireAsync(tx, scope, id, ct).ConfigureAwait(false);
            if (StateAt(ri, now) != Active)
            {
                throw new AwsException("InvalidParameterValue", $"The Reserved Instances '{id}' are not active and cannot be modified.");
            }
            if (await ReservedInstancesListings.IsListedAsync(tx, scope, ri, now, ct).ConfigureAwait(false))
            {
                throw new AwsException("InvalidParameterValue", $"The Reserved Instances '{id}' are listed in the Reserved Instance Marketplace; cancel the listing to modify them.");
            }
            sources.Add(ri);
        }
        var first = sources[0];
        var family = Family(first.InstanceType);
        if (sources.Any(s => s.OfferingClass != first.OfferingClass || s.OfferingType != first.OfferingType || s.ProductDescription != first.ProductDescription
            || s.InstanceTenancy != first.InstanceTenancy || Family(s.InstanceType) != family || Math.Abs((s.End - first.End).TotalHours) >= 1))
        {
            throw AwsErrors.InvalidParameterCombination("Reserved Instances modified together must have the same offering class, payment option, platform, tenancy, instance family and end hour.");
        }
        var region = RegionCatalog.Get(scope.Region);
        var linux = first.ProductDescription.StartsWith("Linux/UNIX", StringComparison.Ordinal);
        var sourceFootprint = sources.Sum(s => ReservedInstanceOfferings.NormalizationFactor(s.InstanceType) * s.InstanceCount);
        var resolved = new List<ModificationTarget>();
        foreach (var target in targets)
        {
            var type = target.InstanceType;
            if (InstanceTypeCatalog.Find(type) is null)
            {
                throw AwsErrors.InvalidParameterValue($"Invalid value '{type}' for InstanceType.");
            }
            if (type != first.InstanceType && (!linux || Family(type) != family))
            {
                throw AwsErrors.InvalidParameterCombination(linux
                    ? $"The instance type can change only within the {family} family."
                    : "Only Linux/UNIX Reserved Instances can change their instance size.");
            }
            if (target.InstanceCount < 1)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({target.InstanceCount}) for parameter InstanceCount is invalid.");
            }
            var zonal = target.Scope == ReservedInstanceOfferings.ZoneScope;
            if (target.Scope is not (ReservedInstanceOfferings.ZoneScope or ReservedInstanceOfferings.RegionScope))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({target.Scope}) for parameter Scope is invalid. Valid values are: Availability Zone, Region.");
            }
            var zone = zonal
                ? region.Zones.FirstOrDefault(z => z.ZoneName == target.AvailabilityZone || z.ZoneId == target.AvailabilityZoneId)
                    ?? throw AwsErrors.InvalidParameterValue($"Invalid availability zone: [{target.AvailabilityZone ?? target.AvailabilityZoneId}]")
                : null;
            if (!zonal && (target.AvailabilityZone is not null || target.AvailabilityZoneId is not null))
            {
                throw AwsErrors.InvalidParameterCombination("An Availability Zone cannot be specified for a regional Reserved Instance.");
            }
            resolved.Add(target with { AvailabilityZone = zone?.ZoneName, AvailabilityZoneId = zone?.ZoneId, Scope = target.Scope });
        }
        var targetFootprint = resolved.Sum(t => ReservedInstanceOfferings.NormalizationFactor(t.InstanceType) * t.InstanceCount);
        if (targetFootprint != sourceFootprint)
        {
            throw AwsErrors.InvalidParameterValue(
                $"The instance size footprint of the target configurations ({targetFootprint.ToString(CultureInfo.InvariantCulture)}) must equal that of the Reserved Instances ({sourceFootprint.ToString(CultureInfo.InvariantCulture)}).");
        }
        var modification = new ReservedInstancesModificationResource
        {
            Id = ResourceIds.New(ResourceTypes.ReservedInstancesModification.IdPrefix),
            ClientToken = clientToken,
            ReservedInstancesIds = sources.Select(s => s.Id).ToList(),
            Results = [],
            CreateDate = now,
            EffectiveDate = now,
        };
        var termEnd = first.End;
        foreach (var source in sources)
        {
            source.State = Retired;
            source.End = now;
            await PutAsync(tx, scope, source, ct).ConfigureAwait(false);
        }
        foreach (var target in resolved)
        {
            var factor = ReservedInstanceOfferings.NormalizationFactor(target.InstanceType) / ReservedInstanceOfferings.NormalizationFactor(first.InstanceType);
            var ri = new ReservedInstancesResource
            {
                Id = Guid.NewGuid().ToString(),
                OfferingId = first.OfferingId,
                InstanceType = target.InstanceType,
                AvailabilityZone = target.AvailabilityZone,
                AvailabilityZoneId = target.AvailabilityZoneId,
                ProductDescription = first.ProductDescription,
                InstanceTenancy = first.InstanceTenancy,
                OfferingClass = first.OfferingClass,
                OfferingType = first.OfferingType,
                Duration = first.Duration,
                FixedPrice = Math.Round(first.FixedPrice * factor, 2),
                HourlyCharge = Math.Round(first.HourlyCharge * factor, 4),
                InstanceCount = target.InstanceCount,
                Start = now - PaymentPendingFor,
                End = termEnd,
                CreateTime = now,
                State = Active,
            };
            await PutAsync(tx, scope, ri, ct).ConfigureAwait(false);
            modification.Results.Add(new ModificationResult(ri.Id, target));
        }
        await tx.PutAsync(scope, ResourceTypes.ReservedInstancesModification, modification.Id, modification, modification.CreateDate, ct).ConfigureAwait(false);
        return modification;
    }

    private static string Family(string instanceType) => InstanceTypeCatalog.Find(instanceType)?.Family ?? instanceType.Split('.')[0];

    /// <summary>
    /// The remaining value of Reserved Instances at <paramref name="now"/>: the part of the up-front
    /// price for the remaining fraction of the term, plus the hourly charge for the remaining hours,
    /// times the count.
    /// </summary>
    public static (decimal Upfront, decimal Total, decimal Hourly) RemainingValue(ReservedInstancesResource ri, DateTime now)
    {
        var remaining = (decimal)Math.Max(0, (ri.End - now).TotalSeconds);
        var fraction = remaining / ri.Duration;
        var upfront = ri.FixedPrice * fraction * ri.InstanceCount;
        var total = upfront + ri.HourlyCharge * remaining / 3600m * ri.InstanceCount;
        return (Math.Round(upfront, 2), Math.Round(total, 2), ri.HourlyCharge * ri.InstanceCount);
    }

    /// <summary>A quote for exchanging convertible Reserved Instances for target offerings.</summary>
    public sealed record Quote(
        IReadOnlyList<(ReservedInstancesResource Source, decimal Upfront, decimal Total, decimal Hourly)> Sources,
        IReadOnlyList<(ReservedInstanceOffering Offering, int Count, decimal Upfront, decimal Total, decimal Hourly)> Targets,
        DateTime ExpiresAt,
        decimal PaymentDue,
        string? FailureReason)
    {
        public bool IsValid => FailureReason is null;
    }

    /// <summary>
    /// GetReservedInstancesExchangeQuote: the sources must be active convertible Reserved Instances
    /// of the caller; the targets convertible offerings of the region. The targets' term ends at the
    /// later of the sources' latest end and the target term from now. Their value (up-front price
    /// plus hourly charge over the new term, times the count) must be at least the sources'
    /// remaining value; the difference of the up-front parts is the payment due (never negative,
    /// as AWS never refunds in an exchange).
    /// </summary>
    public static async Task<Quote> ExchangeQuoteAsync(IStoreSession session, Scope scope, List<string>? ids, List<(string? OfferingId, int? Count)>? targets, DateTime now, CancellationToken ct = default)
    {
        if (ids is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("ReservedInstanceId");
        }
        var sources = new List<(ReservedInstancesResource, decimal, decimal, decimal)>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var ri = await RequireAsync(session, scope, id, ct).ConfigureAwait(false);
            var (upfront, total, hourly) = RemainingValue(ri, now);
            sources.Add((ri, upfront, total, hourly));
        }
        string? failure = null;
        if (sources.FirstOrDefault(s => s.Item1.OfferingClass != "convertible") is { Item1: { } standard })
        {
            failure = $"Reserved Instances '{standard.Id}' are standard; only convertible Reserved Instances can be exchanged.";
        }
        else if (sources.FirstOrDefault(s => StateAt(s.Item1, now) != Active) is { Item1: { } inactive })
        {
            failure = $"Reserved Instances '{inactive.Id}' are not active.";
        }
        var latestEnd = sources.Max(s => s.Item1.End);
        var targetList = new List<(ReservedInstanceOffering, int, decimal, decimal, decimal)>();
        foreach (var (offeringId, count) in targets ?? [])
        {
            var offering = ReservedInstanceOfferings.Find(scope.Region, offeringId ?? throw AwsErrors.MissingParameter("OfferingId"))
                ?? throw new AwsException("InvalidReservedInstancesOfferingId", $"The Reserved Instances offering '{offeringId}' is not valid.");
            var n = count ?? 1;
            if (n < 1)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({n}) for parameter InstanceCount is invalid.");
            }
            if (offering.OfferingClass != "convertible")
            {
                failure ??= $"The offering '{offering.Id}' is not convertible; Reserved Instances can be exchanged only for convertible offerings.";
            }
            var end = Max(latestEnd, now.AddSeconds(offering.Duration));
            var hours = (decimal)(end - now).TotalHours;
            var upfront = Math.Round(offering.FixedPrice * n, 2);
            targetList.Add((offering, n, upfront, Math.Round(upfront + offering.HourlyCharge * hours * n, 2), offering.HourlyCharge * n));
        }
        if (targetList.Count == 0)
        {
            throw AwsErrors.MissingParameter("TargetConfiguration");
        }
        var expires = Max(latestEnd, now.AddSeconds(targetList.Max(t => t.Item1.Duration)));
        var sourceTotal = sources.Sum(s => s.Item3);
        var targetTotal = targetList.Sum(t => t.Item4);
        if (failure is null && targetTotal < sourceTotal)
        {
            failure = $"The target configurations' value ({targetTotal.ToString("0.00", CultureInfo.InvariantCulture)} USD) is less than the Reserved Instances' remaining value ({sourceTotal.ToString("0.00", CultureInfo.InvariantCulture)} USD); add instances to the target.";
        }
        var due = Math.Max(0, targetList.Sum(t => t.Item3) - sources.Sum(s => s.Item2));
        return new Quote(sources, targetList, expires, Math.Round(due, 2), failure);
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    /// <summary>AcceptReservedInstancesExchangeQuote: retires the sources and buys the targets (active at once, ending when the quote says).</summary>
    public static async Task<string> AcceptExchangeAsync(IStoreTransaction tx, Scope scope, Quote quote, DateTime now, CancellationToken ct = default)
    {
        if (!quote.IsValid)
        {
            throw AwsErrors.InvalidParameterValue(quote.FailureReason!);
        }
        foreach (var (source, _, _, _) in quote.Sources)
        {
            source.State = Retired;
            source.End = now;
            await PutAsync(tx, scope, source, ct).ConfigureAwait(false);
        }
        foreach (var (offering, count, _, _, _) in quote.Targets)
        {
            await PutAsync(tx, scope, new ReservedInstancesResource
            {
                Id = Guid.NewGuid().ToString(),
                OfferingId = offering.Id,
                InstanceType = offering.InstanceType,
                AvailabilityZone = offering.AvailabilityZone,
                AvailabilityZoneId = offering.AvailabilityZoneId,
                ProductDescription = offering.ProductDescription,
                InstanceTenancy = offering.InstanceTenancy,
                OfferingClass = offering.OfferingClass,
                OfferingType = offering.OfferingType,
                Duration = (long)(quote.ExpiresAt - now).TotalSeconds,
                FixedPrice = offering.FixedPrice,
                HourlyCharge = offering.HourlyCharge,
                InstanceCount = count,
                Start = now - PaymentPendingFor,
                End = quote.ExpiresAt,
                CreateTime = now,
                State = Active,
            }, ct).ConfigureAwait(false);
        }
        return ResourceIds.New("riex");
    }
}
