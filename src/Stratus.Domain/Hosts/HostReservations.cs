using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Compute.ReservedInstances;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Domain.Store;

namespace Stratus.Domain.Hosts;

/// <summary>A Dedicated Host Reservation offering: one instance family, payment option and term, priced per host.</summary>
public sealed record HostReservationOffering(string Id, string InstanceFamily, string PaymentOption, long Duration, decimal UpfrontPrice, decimal HourlyPrice, int Position);

/// <summary>A purchased Dedicated Host Reservation: a billing commitment covering the hosts it names.</summary>
public sealed class HostReservationResource : ITaggable
{
    public required string Id { get; init; }
    public required string OfferingId { get; init; }
    public required string InstanceFamily { get; init; }
    public required string PaymentOption { get; init; }
    public required long Duration { get; init; }

    /// <summary>Up-front price of the whole reservation (per host × hosts).</summary>
    public required decimal UpfrontPrice { get; init; }

    /// <summary>Hourly price of the whole reservation (per host × hosts).</summary>
    public required decimal HourlyPrice { get; init; }
    public required List<string> HostIds { get; init; }
    public required DateTime Start { get; init; }
    public required DateTime End { get; init; }
    public string? ClientToken { get; init; }

    /// <summary>active or retired (as of the last write; <see cref="HostReservations.StateAt"/> is the current one).</summary>
    public string State { get; set; } = HostReservations.Active;
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>What a purchase of an offering for some hosts costs.</summary>
public sealed record HostReservationQuote(HostReservationOffering Offering, IReadOnlyList<HostResource> Hosts)
{
    public decimal UpfrontPrice => Offering.UpfrontPrice * Hosts.Count;
    public decimal HourlyPrice => Offering.HourlyPrice * Hosts.Count;
}

/// <summary>
/// Dedicated Host Reservations (the User Guide's "Dedicated Host Reservations"): offerings per
/// instance family that Dedicated Hosts support, payment option (<c>NoUpfront</c>,
/// <c>PartialUpfront</c>, <c>AllUpfront</c>) and term (1 or 3 years), priced from the host's
/// on-demand rate — the on-demand reference price of the family's largest size × 1.1, as a
/// dedicated-tenancy instance (<see cref="SpotPriceModel.OnDemandPrice"/>) — with the discounts
/// of standard Reserved Instances (<see cref="ReservedInstanceOfferings.Discount"/>). A purchase
/// covers available hosts of the offering's family that no active reservation covers yet;
/// reservations are <c>active</c> for their term and <c>retired</c> after it. A host under an
/// active reservation cannot be released (only On-Demand hosts are released).
/// </summary>
public static class HostReservations
{
    public const string Active = "active";
    public const string Retired = "retired";
    public const string NoUpfront = "NoUpfront";
    public const string PartialUpfront = "PartialUpfront";
    public const string AllUpfront = "AllUpfront";

    /// <summary>Payment options in the order offerings list them.</summary>
    public static readonly IReadOnlyList<string> PaymentOptions = [NoUpfront, PartialUpfront, AllUpfront];

    private static readonly Dictionary<string, IReadOnlyList<HostReservationOffering>> ByRegion = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    /// <summary>The hourly on-demand price of a Dedicated Host of <paramref name="family"/> in <paramref name="region"/>.</summary>
    public static decimal OnDemandHostPrice(string family, string region)
    {
        var largest = InstanceTypeCatalog.All.Where(t => t.Family == family).MaxBy(t => t.DefaultVCpus)
            ?? throw new ArgumentException($"unknown instance family {family}", nameof(family));
        return Math.Round(SpotPriceModel.OnDemandPrice(largest, region) * 1.1m, 4, MidpointRounding.AwayFromZero);
    }

    /// <summary>The families offered: those with a size Dedicated Hosts support.</summary>
    public static IEnumerable<string> Families => InstanceTypeCatalog.All.Where(t => t.DedicatedHostsSupported).Select(t => t.Family).Distinct().Order(StringComparer.Ordinal);

    /// <summary>Every offering of the region, in a stable order (family, term, payment option).</summary>
    public static IReadOnlyList<HostReservationOffering> Offerings(string region)
    {
        lock (Gate)
        {
            if (ByRegion.TryGetValue(region, out var cached))
            {
                return cached;
            }
        }
        var list = new List<HostReservationOffering>();
        foreach (var family in Families)
        {
            var onDemand = OnDemandHostPrice(family, region);
            foreach (var duration in ReservedInstanceOfferings.Durations)
            {
                foreach (var option in PaymentOptions)
                {
                    var (upfront, hourly) = Price(onDemand, option, duration);
                    list.Add(new HostReservationOffering(OfferingId(region, family, option, duration), family, option, duration, upfront, hourly, list.Count));
                }
            }
        }
        lock (Gate)
        {
            ByRegion[region] = list;
        }
        return list;
    }

    /// <summary>Up-front and hourly price per host: E = H × (1 − d); All Upfront E·h, Partial E·h/2 and E/2, No Upfront E per hour.</summary>
    public static (decimal Upfront, decimal Hourly) Price(decimal onDemandHourly, string paymentOption, long duration)
    {
        var riType = paymentOption switch
        {
            AllUpfront => "All Upfront",
            PartialUpfront => "Partial Upfront",
            _ => "No Upfront",
        };
        var effective = onDemandHourly * (1 - ReservedInstanceOfferings.Discount("standard", duration, riType));
        var hours = duration / 3600m;
        return paymentOption switch
        {
            AllUpfront => (Math.Round(effective * hours, 2), 0m),
            PartialUpfront => (Math.Round(effective * hours / 2, 2), Math.Round(effective / 2, 3)),
            _ => (0m, Math.Round(effective, 3)),
        };
    }

    /// <summary><c>hro-</c> and 17 hex digits of a hash of the offering, stable across servers.</summary>
    public static string OfferingId(string region, string family, string paymentOption, long duration)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"hro|{region}|{family}|{paymentOption}|{duration.ToString(CultureInfo.InvariantCulture)}"));
        return "hro-" + Convert.ToHexStringLower(hash)[..17];
    }

    /// <summary>The offering named by <paramref name="id"/>: <c>InvalidHostReservationOfferingId.Malformed</c> or <c>.NotFound</c> otherwise.</summary>
    public static HostReservationOffering RequireOffering(string region, string? id)
    {
        if (id is null)
        {
            throw AwsErrors.MissingParameter("OfferingId");
        }
        if (!ResourceIds.IsWellFormed("hro", id))
        {
            throw new AwsException("InvalidHostReservationOfferingId.Malformed", $"Invalid id: \"{id}\" (expecting \"hro-...\")");
        }
        return Offerings(region).FirstOrDefault(o => o.Id == id)
            ?? throw new AwsException("InvalidHostReservationOfferingId.NotFound", $"The Dedicated Host Reservation offering '{id}' does not exist.");
    }

    /// <summary>Checks a payment option given as a filter or parameter value.</summary>
    public static bool IsPaymentOption(string value) => PaymentOptions.Contains(value, StringComparer.Ordinal);

    /// <summary>The state as of <paramref name="now"/>: active for the term, retired after it.</summary>
    public static string StateAt(HostReservationResource reservation, DateTime now) => now >= reservation.End ? Retired : Active;

    /// <summary>
    /// GetHostReservationPurchasePreview and the checks of PurchaseHostReservation: the hosts must
    /// exist in the account (<c>InvalidHostID.NotFound</c> / <c>.Malformed</c>), be available
    /// (<c>InvalidHostState</c>), not be covered by an active reservation
    /// (<c>HostAlreadyCoveredByReservation</c>) and be of the offering's family
    /// (<c>InvalidInstanceFamily</c>).
    /// </summary>
    public static async Task<HostReservationQuote> QuoteAsync(IStoreSession session, Scope scope, string? offeringId, List<string>? hostIds, DateTime now, CancellationToken ct = default)
    {
        if (hostIds is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("HostIdSet");
        }
        var offering = RequireOffering(scope.Region, offeringId);
        var hosts = new List<HostResource>();
        foreach (var id in hostIds.Distinct(StringComparer.Ordinal))
        {
            var host = await DedicatedHosts.RequireAsync(session, scope, id, ct).ConfigureAwait(false);
            if (host.State != DedicatedHosts.Available)
            {
                throw new AwsException("InvalidHostState", $"The Dedicated Host {host.Id} is not in the available state.");
            }
            if (host.HostReservationId is { } reservationId
                && await session.GetAsync<HostReservationResource>(scope, ResourceTypes.HostReservation, reservationId, ct).ConfigureAwait(false) is { } covering
                && StateAt(covering, now) == Active)
            {
                throw new AwsException("HostAlreadyCoveredByReservation", $"The Dedicated Host {host.Id} is already covered by the reservation {reservationId}.");
            }
            if (host.InstanceFamily != offering.InstanceFamily)
            {
                throw new AwsException("InvalidInstanceFamily",
                    $"The instance family of the offering ({offering.InstanceFamily}) does not match the instance family of the Dedicated Host {host.Id} ({host.InstanceFamily}).");
            }
            hosts.Add(host);
        }
        return new HostReservationQuote(offering, hosts);
    }

    /// <summary>
    /// PurchaseHostReservation: the same <paramref name="clientToken"/> answers the reservation it
    /// bought; <c>LimitPrice</c> caps the total up-front price (<c>InvalidParameterValue</c> above
    /// it). The reservation is active from now for the offering's term and the hosts carry its id.
    /// </summary>
    public static async Task<HostReservationResource> PurchaseAsync(IStoreTransaction tx, Scope scope, string? offeringId, List<string>? hostIds,
        string? limitPrice, string? currencyCode, string? clientToken, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        if (clientToken is not null)
        {
            var earlier = (await tx.ListAsync<HostReservationResource>(scope, ResourceTypes.HostReservation, ct).ConfigureAwait(false))
                .FirstOrDefault(r => r.ClientToken == clientToken);
            if (earlier is not null)
            {
                return earlier;
            }
        }
        if (currencyCode is not null and not "USD")
        {
            throw AwsErrors.InvalidParameterValue($"Value ({currencyCode}) for parameter currencyCode is invalid. Valid values are: USD.");
        }
        decimal? limit = null;
        if (limitPrice is not null)
        {
            limit = decimal.TryParse(limitPrice, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0
                ? parsed
                : throw AwsErrors.InvalidParameterValue($"Value ({limitPrice}) for parameter limitPrice is invalid. Expected a non-negative decimal amount.");
        }
        var quote = await QuoteAsync(tx, scope, offeringId, hostIds, now, ct).ConfigureAwait(false);
        if (limit is { } max && quote.UpfrontPrice > max)
        {
            throw AwsErrors.InvalidParameterValue(
                $"The total upfront price of the reservation ({Money(quote.UpfrontPrice)} USD) exceeds the limit price ({Money(max)} USD).");
        }
        var reservation = new HostReservationResource
        {
            Id = ResourceIds.New(ResourceTypes.HostReservation.IdPrefix),
            OfferingId = quote.Offering.Id,
            InstanceFamily = quote.Offering.InstanceFamily,
            PaymentOption = quote.Offering.PaymentOption,
            Duration = quote.Offering.Duration,
            UpfrontPrice = quote.UpfrontPrice,
            HourlyPrice = quote.HourlyPrice,
            HostIds = quote.Hosts.Select(h => h.Id).ToList(),
            Start = now,
            End = now.AddSeconds(quote.Offering.Duration),
            ClientToken = clientToken,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.HostReservation, reservation.Id, reservation, reservation.Start, ct).ConfigureAwait(false);
        foreach (var host in quote.Hosts)
        {
            host.HostReservationId = reservation.Id;
            await tx.PutAsync(scope, ResourceTypes.Host, host.Id, host, host.AllocationTime, ct).ConfigureAwait(false);
        }
        return reservation;
    }

    /// <summary>The active reservation covering <paramref name="host"/>, if any.</summary>
    public static async Task<HostReservationResource?> CoveringAsync(IStoreSession session, Scope scope, HostResource host, DateTime now, CancellationToken ct = default) =>
        host.HostReservationId is { } id
        && await session.GetAsync<HostReservationResource>(scope, ResourceTypes.HostReservation, id, ct).ConfigureAwait(false) is { } reservation
        && StateAt(reservation, now) == Active
            ? reservation
            : null;

    /// <summary>A price as EC2 writes host reservation prices: three decimals (<c>1.499</c>, <c>0.000</c>).</summary>
    public static string Format(decimal price) => price.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Money(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
