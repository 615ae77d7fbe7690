using Stratus.Domain.Compute.ReservedInstances;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>The Reserved Instance Marketplace, seller's side: listings of Reserved Instances (<see cref="ReservedInstancesListings"/>).</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeReservedInstancesListings")]
    private static readonly FilterSet<ReservedInstancesListingResource> ListingFilters = new FilterSet<ReservedInstancesListingResource>()
        .Add("reserved-instances-id", l => l.ReservedInstancesId)
        .Add("reserved-instances-listing-id", l => l.Id)
        .Add("status", l => l.Status)
        .Add("status-message", l => l.StatusMessage);

    public override async Task<CreateReservedInstancesListingResult> CreateReservedInstancesListingAsync(RequestContext context, CreateReservedInstancesListingRequest request)
    {
        var schedules = request.PriceSchedules?.Select(p => new PriceScheduleInput(p.Term, p.Price, p.CurrencyCode)).ToList();
        var listing = await ReservedInstancesListings.CreateAsync(context.Transaction, context.Scope, request.ReservedInstancesId, request.InstanceCount, schedules,
            request.ClientToken, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateReservedInstancesListingResult { ReservedInstancesListings = [await ToShapeAsync(context, listing).ConfigureAwait(false)] };
    }

    public override async Task<CancelReservedInstancesListingResult> CancelReservedInstancesListingAsync(RequestContext context, CancelReservedInstancesListingRequest request)
    {
        var listing = await ReservedInstancesListings.CancelAsync(context.Transaction, context.Scope, request.ReservedInstancesListingId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CancelReservedInstancesListingResult { ReservedInstancesListings = [await ToShapeAsync(context, listing).ConfigureAwait(false)] };
    }

    public override async Task<DescribeReservedInstancesListingsResult> DescribeReservedInstancesListingsAsync(RequestContext context, DescribeReservedInstancesListingsRequest request)
    {
        var all = await context.Store.ListAsync<ReservedInstancesListingResource>(context.Scope, ResourceTypes.ReservedInstancesListing, context.Cancellation).ConfigureAwait(false);
        var selected = all.Where(l => (request.ReservedInstancesListingId is not { } id || l.Id == id) && (request.ReservedInstancesId is not { } ri || l.ReservedInstancesId == ri)).ToList();
        var shapes = new List<ReservedInstancesListing>(selected.Count);
        foreach (var listing in selected)
        {
            shapes.Add(await ToShapeAsync(context, listing).ConfigureAwait(false));
        }
        var matching = ListingFilters.Apply(selected, ToCriteria(request.Filters)).Select(l => l.Id).ToHashSet(StringComparer.Ordinal);
        return new DescribeReservedInstancesListingsResult
        {
            ReservedInstancesListings = shapes.Where(s => matching.Contains(s.ReservedInstancesListingId!))
                .OrderBy(s => s.CreateDate).ThenBy(s => s.ReservedInstancesListingId, StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>The listing brought up to date (its status follows its Reserved Instances) in EC2's shape.</summary>
    private static async Task<ReservedInstancesListing> ToShapeAsync(RequestContext context, ReservedInstancesListingResource listing)
    {
        var ri = await context.Store.GetAsync<ReservedInstancesResource>(context.Scope, ResourceTypes.ReservedInstances, listing.ReservedInstancesId, context.Cancellation).ConfigureAwait(false);
        ReservedInstancesListings.Refresh(listing, ri, context.Now);
        var activeTerm = ReservedInstancesListings.ActiveTerm(listing, ri, context.Now);
        return new ReservedInstancesListing
        {
            ReservedInstancesListingId = listing.Id,
            ReservedInstancesId = listing.ReservedInstancesId,
            ClientToken = listing.ClientToken,
            CreateDate = listing.CreateDate,
            UpdateDate = listing.UpdateDate,
            Status = listing.Status,
            StatusMessage = listing.StatusMessage,
            InstanceCounts =
            [
                new InstanceCount { State = "available", InstanceCountValue = listing.Available },
                new InstanceCount { State = "sold", InstanceCountValue = listing.Sold },
                new InstanceCount { State = "cancelled", InstanceCountValue = listing.Cancelled },
                new InstanceCount { State = "pending", InstanceCountValue = listing.Pending },
            ],
            PriceSchedules = listing.Prices.Select(p => new PriceSchedule
            {
                Term = p.Term,
                Price = (double)p.Price,
                CurrencyCode = "USD",
                Active = p.Term == activeTerm,
            }).ToList(),
            Tags = ToShape(listing.Tags),
        };
    }
}
