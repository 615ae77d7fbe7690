using System.Globalization;
using Stratus.Domain.Filtering;
using Stratus.Domain.Hosts;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Dedicated Host Reservations: offerings, purchase previews, purchases and the account's reservations (<see cref="HostReservations"/>).</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeHostReservationOfferings")]
    private static readonly FilterSet<HostReservationOffering> HostOfferingFilters = new FilterSet<HostReservationOffering>()
        .Add("instance-family", o => o.InstanceFamily)
        .Add("payment-option", o => o.PaymentOption);

    [FiltersFor("DescribeHostReservations")]
    private static readonly FilterSet<HostReservationResource> HostReservationFilters = new FilterSet<HostReservationResource>()
        .Add("instance-family", r => r.InstanceFamily)
        .Add("payment-option", r => r.PaymentOption)
        .Add("state", r => r.State)
        .WithTags(r => r.Tags);

    public override Task<DescribeHostReservationOfferingsResult> DescribeHostReservationOfferingsAsync(RequestContext context, DescribeHostReservationOfferingsRequest request)
    {
        Paginator.CheckMaxResults(request.MaxResults, 5, 500);
        IEnumerable<HostReservationOffering> offerings = request.OfferingId is { } id
            ? [HostReservations.RequireOffering(context.Region, id)]
            : HostReservations.Offerings(context.Region);
        offerings = offerings.Where(o => (request.MinDuration is not { } min || o.Duration >= min) && (request.MaxDuration is not { } max || o.Duration <= max));
        var page = Paginator.Paginate(HostOfferingFilters.Apply(offerings, ToCriteria(request.Filter)), OfferingKey, request.MaxResults, request.NextToken, 5, 500);
        return Task.FromResult(new DescribeHostReservationOfferingsResult
        {
            OfferingSet = page.Items.Select(o => new HostOffering
            {
                OfferingId = o.Id,
                InstanceFamily = o.InstanceFamily,
                PaymentOption = o.PaymentOption,
                Duration = (int)o.Duration,
                UpfrontPrice = HostReservations.Format(o.UpfrontPrice),
                HourlyPrice = HostReservations.Format(o.HourlyPrice),
                CurrencyCode = "USD",
            }).ToList(),
            NextToken = page.NextToken,
        });
    }

    private static string OfferingKey(HostReservationOffering o) => o.Position.ToString("D6", CultureInfo.InvariantCulture);

    public override async Task<GetHostReservationPurchasePreviewResult> GetHostReservationPurchasePreviewAsync(RequestContext context, GetHostReservationPurchasePreviewRequest request)
    {
        var quote = await HostReservations.QuoteAsync(context.Store, context.Scope, request.OfferingId, request.HostIdSet, context.Now, context.Cancellation).ConfigureAwait(false);
        return new GetHostReservationPurchasePreviewResult
        {
            CurrencyCode = "USD",
            TotalUpfrontPrice = HostReservations.Format(quote.UpfrontPrice),
            TotalHourlyPrice = HostReservations.Format(quote.HourlyPrice),
            Purchase =
            [
                new Purchase
                {
                    CurrencyCode = "USD",
                    Duration = (int)quote.Offering.Duration,
                    HostIdSet = quote.Hosts.Select(h => h.Id).ToList(),
                    InstanceFamily = quote.Offering.InstanceFamily,
                    PaymentOption = quote.Offering.PaymentOption,
                    UpfrontPrice = HostReservations.Format(quote.UpfrontPrice),
                    HourlyPrice = HostReservations.Format(quote.HourlyPrice),
                },
            ],
        };
    }

    public override async Task<PurchaseHostReservationResult> PurchaseHostReservationAsync(RequestContext context, PurchaseHostReservationRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.HostReservation.Name);
        var reservation = await HostReservations.PurchaseAsync(context.Transaction, context.Scope, request.OfferingId, request.HostIdSet, request.LimitPrice,
            request.CurrencyCode, request.ClientToken, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new PurchaseHostReservationResult
        {
            ClientToken = reservation.ClientToken,
            CurrencyCode = "USD",
            TotalUpfrontPrice = HostReservations.Format(reservation.UpfrontPrice),
            TotalHourlyPrice = HostReservations.Format(reservation.HourlyPrice),
            Purchase =
            [
                new Purchase
                {
                    CurrencyCode = "USD",
                    Duration = (int)reservation.Duration,
                    HostIdSet = [.. reservation.HostIds],
                    HostReservationId = reservation.Id,
                    InstanceFamily = reservation.InstanceFamily,
                    PaymentOption = reservation.PaymentOption,
                    UpfrontPrice = HostReservations.Format(reservation.UpfrontPrice),
                    HourlyPrice = HostReservations.Format(reservation.HourlyPrice),
                },
            ],
        };
    }

    public override async Task<DescribeHostReservationsResult> DescribeHostReservationsAsync(RequestContext context, DescribeHostReservationsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.HostReservationIdSet, request.MaxResults, "hostReservationIdSet");
        List<HostReservationResource> all;
        if (request.HostReservationIdSet is { Count: > 0 } ids)
        {
            all = [];
            foreach (var id in ids.Distinct(StringComparer.Ordinal))
            {
                ResourceTypes.HostReservation.CheckId(id);
                all.Add(await context.Store.GetAsync<HostReservationResource>(context.Scope, ResourceTypes.HostReservation, id, context.Cancellation).ConfigureAwait(false)
                    ?? throw ResourceTypes.HostReservation.NotFound(id));
            }
        }
        else
        {
            all = await context.Store.ListAsync<HostReservationResource>(context.Scope, ResourceTypes.HostReservation, context.Cancellation).ConfigureAwait(false);
        }
        foreach (var reservation in all)
        {
            reservation.State = HostReservations.StateAt(reservation, context.Now);
        }
        var page = Paginator.Paginate(HostReservationFilters.Apply(all, ToCriteria(request.Filter)).OrderBy(r => r.Id, StringComparer.Ordinal), r => r.Id,
            request.MaxResults, request.NextToken, 5, 500);
        return new DescribeHostReservationsResult
        {
            HostReservationSet = page.Items.Select(r => new HostReservation
            {
                HostReservationId = r.Id,
                OfferingId = r.OfferingId,
                InstanceFamily = r.InstanceFamily,
                PaymentOption = r.PaymentOption,
                Duration = (int)r.Duration,
                Count = r.HostIds.Count,
                HostIdSet = [.. r.HostIds],
                Start = r.Start,
                End = r.End,
                State = r.State,
                UpfrontPrice = HostReservations.Format(r.UpfrontPrice),
                HourlyPrice = HostReservations.Format(r.HourlyPrice),
                CurrencyCode = "USD",
                Tags = ToShape(r.Tags),
            }).ToList(),
            NextToken = page.NextToken,
        };
    }
}
