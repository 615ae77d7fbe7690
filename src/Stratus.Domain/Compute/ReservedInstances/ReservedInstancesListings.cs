using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Compute.ReservedInstances;

/// <summary>The up-front price asked in one month of the remaining term (month 1 is the last).</summary>
public sealed record ListingPrice(int Term, decimal Price);

/// <summary>A listing of Reserved Instances in the Reserved Instance Marketplace.</summary>
public sealed class ReservedInstancesListingResource : ITaggable
{
    public required string Id { get; init; }
    public required string ReservedInstancesId { get; set; }
    public required string ClientToken { get; init; }
    public required DateTime CreateDate { get; init; }
    public required DateTime UpdateDate { get; set; }

    /// <summary>active, pending, cancelled or closed (as of the last write; <see cref="ReservedInstancesListings.Refresh"/> brings it up to date).</summary>
    public string Status { get; set; } = ReservedInstancesListings.Active;
    public string StatusMessage { get; set; } = "ACTIVE";
    public required int Available { get; set; }
    public int Sold { get; set; }
    public int Cancelled { get; set; }
    public int Pending { get; set; }

    /// <summary>One price per month of the term remaining at listing, from the longest term down to 1.</summary>
    public required List<ListingPrice> Prices { get; init; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A price schedule as CreateReservedInstancesListing takes it.</summary>
public sealed record PriceScheduleInput(long? Term, double? Price, string? CurrencyCode);

/// <summary>
/// The Reserved Instance Marketplace, seller's side (the User Guide's "Sell in the Reserved
/// Instance Marketplace"). Every Stratus account counts as a registered seller: there is no bank
/// account or tax interview to complete. Rules as AWS states them: only active, standard, zonal
/// Reserved Instances can be listed (<c>InvalidInput</c> otherwise), with at least one month left
/// in their term (the term is listed in whole months, rounded down); at most the Reserved
/// Instances' count minus what other open listings of them hold; the seller sets only the up-front
/// price, per month of the remaining term: a schedule of term <c>T</c> applies from month
/// <c>T</c> down to the next schedule's term (the schedule with the longest term also covers the
/// months above it). The listed Reserved Instances stay the seller's and stay active until sold.
/// Stratus has no third-party buyers: listings stay <c>active</c> until cancelled or until the
/// Reserved Instances' term ends (<c>closed</c>); <see cref="SellAsync"/> is what a buyer's
/// purchase does.
/// </summary>
public static class ReservedInstancesListings
{
    public const string Active = "active";
    public const string Pending = "pending";
    public const string Cancelled = "cancelled";
    public const string Closed = "closed";

    /// <summary>Whole months from <paramref name="now"/> to <paramref name="end"/> (rounded down).</summary>
    public static int MonthsRemaining(DateTime now, DateTime end)
    {
        var months = 0;
        while (months < 1200 && now.AddMonths(months + 1) <= end)
        {
            months++;
        }
        return months;
    }

    /// <summary>Expands price schedules to one price per remaining month, as EC2 answers them.</summary>
    public static List<ListingPrice> Expand(IReadOnlyList<PriceScheduleInput>? schedules, int monthsRemaining)
    {
        if (schedules is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("PriceSchedules");
        }
        var given = new SortedDictionary<int, decimal>();
        foreach (var schedule in schedules)
        {
            if (schedule.CurrencyCode is not null and not "USD")
            {
                throw AwsErrors.InvalidParameterValue($"Value ({schedule.CurrencyCode}) for parameter priceSchedules.currencyCode is invalid. Valid values are: USD.");
            }
            var term = schedule.Term ?? throw AwsErrors.MissingParameter("PriceSchedules.Term");
            if (term < 1 || term > monthsRemaining)
            {
                throw AwsErrors.InvalidParameterValue(
                    $"Value ({term.ToString(CultureInfo.InvariantCulture)}) for parameter priceSchedules.term is invalid. The term must be between 1 and the {monthsRemaining} months remaining in the Reserved Instances' term.");
            }
            var price = schedule.Price ?? throw AwsErrors.MissingParameter("PriceSchedules.Price");
            if (double.IsNaN(price) || double.IsInfinity(price) || price < 0)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({price.ToString(CultureInfo.InvariantCulture)}) for parameter priceSchedules.price is invalid. The price must be zero or more.");
            }
            if (!given.TryAdd((int)term, Math.Round((decimal)price, 2)))
            {
                throw AwsErrors.InvalidParameterValue($"The price schedules name term {term.ToString(CultureInfo.InvariantCulture)} more than once.");
            }
        }
        var prices = new List<ListingPrice>(monthsRemaining);
        for (var month = monthsRemaining; month >= 1; month--)
        {
            var covering = given.Keys.Where(t => t >= month).DefaultIfEmpty(given.Keys.Max()).Min();
            prices.Add(new ListingPrice(month, given[covering]));
        }
        return prices;
    }

    /// <summary>
    /// CreateReservedInstancesListing: the same <paramref name="clientToken"/> answers the listing
    /// it created. The listing is active at once with all its instances <c>available</c>.
    /// </summary>
    public static async Task<ReservedInstancesListingResource> CreateAsync(IStoreTransaction tx, Scope scope, string? reservedInstancesId, int? instanceCount,
        IReadOnlyList<PriceScheduleInput>? schedules, string? clientToken, DateTime now, CancellationToken ct = default)
    {
        var token = string.IsNullOrEmpty(clientToken) ? throw AwsErrors.MissingParameter("ClientToken") : clientToken;
        var all = await tx.ListAsync<ReservedInstancesListingResource>(scope, ResourceTypes.ReservedInstancesListing, ct).ConfigureAwait(false);
        if (all.FirstOrDefault(l => l.ClientToken == token) is { } earlier)
        {
            return Refresh(earlier, await tx.GetAsync<ReservedInstancesResource>(scope, ResourceTypes.ReservedInstances, earlier.ReservedInstancesId, ct).ConfigureAwait(false), now);
        }
        var ri = await ReservedInstances.RequireAsync(tx, scope, reservedInstancesId ?? throw AwsErrors.MissingParameter("ReservedInstancesId"), ct).ConfigureAwait(false);
        var state = ReservedInstances.StateAt(ri, now);
        if (state != ReservedInstances.Active)
        {
            throw new AwsException("InvalidInput", $"The Reserved Instances '{ri.Id}' are {state}; only active Reserved Instances can be listed in the Reserved Instance Marketplace.");
        }
        if (ri.OfferingClass != "standard")
        {
            throw new AwsException("InvalidInput", $"The Reserved Instances '{ri.Id}' are {ri.OfferingClass}; only Standard Reserved Instances can be sold in the Reserved Instance Marketplace.");
        }
        if (ri.AvailabilityZone is null)
        {
            throw new AwsException("InvalidInput", $"The Reserved Instances '{ri.Id}' have a scope of Region; only zonal Reserved Instances can be sold in the Reserved Instance Marketplace.");
        }
        var count = instanceCount ?? throw AwsErrors.MissingParameter("InstanceCount");
        var listed = all.Where(l => l.ReservedInstancesId == ri.Id && Refresh(l, ri, now).Status is Active or Pending).Sum(l => l.Available + l.Pending);
        if (count < 1 || count > ri.InstanceCount - listed)
        {
            throw AwsErrors.InvalidParameterValue(
                $"Value ({count}) for parameter instanceCount is invalid. The Reserved Instances '{ri.Id}' have {ri.InstanceCount - listed} instance(s) that can be listed ({ri.InstanceCount} in all, {listed} already listed).");
        }
        var months = MonthsRemaining(now, ri.End);
        if (months < 1)
        {
            throw new AwsException("InvalidInput", $"The Reserved Instances '{ri.Id}' have less than one month left in their term and cannot be listed.");
        }
        var listing = new ReservedInstancesListingResource
        {
            Id = Guid.NewGuid().ToString(),
            ReservedInstancesId = ri.Id,
            ClientToken = token,
            CreateDate = now,
            UpdateDate = now,
            Available = count,
            Prices = Expand(schedules, months),
        };
        await PutAsync(tx, scope, listing, ct).ConfigureAwait(false);
        return listing;
    }

    /// <summary>CancelReservedInstancesListing: an open listing's unsold instances become <c>cancelled</c>.</summary>
    public static async Task<ReservedInstancesListingResource> CancelAsync(IStoreTransaction tx, Scope scope, string? listingId, DateTime now, CancellationToken ct = default)
    {
        var listing = await RequireAsync(tx, scope, listingId, now, ct).ConfigureAwait(false);
        if (listing.Status is not (Active or Pending))
        {
            throw new AwsException("InvalidInput", $"The Reserved Instances listing '{listing.Id}' is {listing.Status} and cannot be cancelled.");
        }
        listing.Cancelled += listing.Available + listing.Pending;
        listing.Available = 0;
        listing.Pending = 0;
        listing.Status = Cancelled;
        listing.StatusMessage = "CANCELLED";
        listing.UpdateDate = now;
        await PutAsync(tx, scope, listing, ct).ConfigureAwait(false);
        return listing;
    }

    /// <summary>The listing named by <paramref name="listingId"/>, up to date; <c>InvalidInput</c> for an unknown id, as EC2 answers.</summary>
    public static async Task<ReservedInstancesListingResource> RequireAsync(IStoreSession session, Scope scope, string? listingId, DateTime now, CancellationToken ct = default)
    {
        var id = listingId ?? throw AwsErrors.MissingParameter("ReservedInstancesListingId");
        var listing = await session.GetAsync<ReservedInstancesListingResource>(scope, ResourceTypes.ReservedInstancesListing, id, ct).ConfigureAwait(false)
            ?? throw new AwsException("InvalidInput", $"The Reserved Instances listing '{id}' does not exist.");
        return Refresh(listing, await session.GetAsync<ReservedInstancesResource>(scope, ResourceTypes.ReservedInstances, listing.ReservedInstancesId, ct).ConfigureAwait(false), now);
    }

    /// <summary>
    /// The listing as of <paramref name="now"/>: an open listing whose Reserved Instances are no
    /// longer active (their term ended) is <c>closed</c>, its unsold instances <c>cancelled</c>.
    /// </summary>
    public static ReservedInstancesListingResource Refresh(ReservedInstancesListingResource listing, ReservedInstancesResource? ri, DateTime now)
    {
        if (listing.Status is Active or Pending && (ri is null || ReservedInstances.StateAt(ri, now) != ReservedInstances.Active || MonthsRemaining(now, ri.End) < 1))
        {
            listing.Cancelled += listing.Available + listing.Pending;
            listing.Available = 0;
            listing.Pending = 0;
            listing.Status = Closed;
            listing.StatusMessage = "CLOSED";
            listing.UpdateDate = ri is null ? now : new DateTime(Math.Min(now.Ticks, ri.End.Ticks), DateTimeKind.Utc);
        }
        return listing;
    }

    /// <summary>Whether an open listing holds some of <paramref name="ri"/> (such Reserved Instances are not modified).</summary>
    public static async Task<bool> IsListedAsync(IStoreSession session, Scope scope, ReservedInstancesResource ri, DateTime now, CancellationToken ct = default) =>
        (await session.ListAsync<ReservedInstancesListingResource>(scope, ResourceTypes.ReservedInstancesListing, ct).ConfigureAwait(false))
            .Any(l => l.ReservedInstancesId == ri.Id && Refresh(l, ri, now).Status is Active or Pending);

    /// <summary>The month of the remaining term whose price is current (null once the listing is no longer open).</summary>
    public static int? ActiveTerm(ReservedInstancesListingResource listing, ReservedInstancesResource? ri, DateTime now) =>
        listing.Status is Active && ri is not null ? Math.Max(1, MonthsRemaining(now, ri.End)) : null;

    /// <summary>
    /// A buyer's purchase of <paramref name="count"/> listed instances: they are <c>sold</c>; as
    /// AWS does, the seller's Reserved Instances are retired and new ones for the instances not
    /// sold take their place (same configuration and end), which the listing then names. A listing
    /// with nothing left to sell is <c>closed</c>.
    /// </summary>
    public static async Task<ReservedInstancesListingResource> SellAsync(IStoreTransaction tx, Scope scope, string listingId, int count, DateTime now, CancellationToken ct = default)
    {
        var listing = await RequireAsync(tx, scope, listingId, now, ct).ConfigureAwait(false);
        if (listing.Status != Active || count < 1 || count > listing.Available)
        {
            throw AwsErrors.InvalidParameterValue($"The listing '{listing.Id}' has {listing.Available} instance(s) available to sell.");
        }
        var ri = await ReservedInstances.RequireAsync(tx, scope, listing.ReservedInstancesId, ct).ConfigureAwait(false);
        ri.State = ReservedInstances.Retired;
        ri.End = now < ri.End ? now : ri.End;
        await ReservedInstances.PutAsync(tx, scope, ri, ct).ConfigureAwait(false);
        var remaining = ri.InstanceCount - count;
        listing.Available -= count;
        listing.Sold += count;
        listing.UpdateDate = now;
        if (remaining > 0)
        {
            var rest = new ReservedInstancesResource
            {
                Id = Guid.NewGuid().ToString(),
                OfferingId = ri.OfferingId,
                InstanceType = ri.InstanceType,
                AvailabilityZone = ri.AvailabilityZone,
                AvailabilityZoneId = ri.AvailabilityZoneId,
                ProductDescription = ri.ProductDescription,
                InstanceTenancy = ri.InstanceTenancy,
                OfferingClass = ri.OfferingClass,
                OfferingType = ri.OfferingType,
                Duration = ri.Duration,
                FixedPrice = ri.FixedPrice,
                HourlyCharge = ri.HourlyCharge,
                InstanceCount = remaining,
                Start = ri.Start,
                End = ri.Start.AddSeconds(ri.Duration),
                CreateTime = now,
                State = ReservedInstances.Active,
                Tags = [.. ri.Tags],
            };
            await ReservedInstances.PutAsync(tx, scope, rest, ct).ConfigureAwait(false);
            var others = (await tx.ListAsync<ReservedInstancesListingResource>(scope, ResourceTypes.ReservedInstancesListing, ct).ConfigureAwait(false))
                .Where(l => l.ReservedInstancesId == ri.Id && l.Id != listing.Id);
            foreach (var other in others)
            {
                other.ReservedInstancesId = rest.Id;
                await PutAsync(tx, scope, other, ct).ConfigureAwait(false);
            }
            listing.ReservedInstancesId = rest.Id;
        }
        if (listing.Available == 0 && listing.Pending == 0)
        {
            listing.Status = Closed;
            listing.StatusMessage = "CLOSED";
        }
        await PutAsync(tx, scope, listing, ct).ConfigureAwait(false);
        return listing;
    }

    public static Task PutAsync(IStoreTransaction tx, Scope scope, ReservedInstancesListingResource listing, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.ReservedInstancesListing, listing.Id, listing, listing.CreateDate, ct);
}
