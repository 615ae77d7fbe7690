using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.CidrReservations;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Subnet CIDR reservations.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("GetSubnetCidrReservations")]
    private static readonly FilterSet<SubnetCidrReservationResource> SubnetCidrReservationFilters = new FilterSet<SubnetCidrReservationResource>()
        .Add("subnet-id", r => r.SubnetId)
        .WithTags(r => r.Tags);

    public override async Task<CreateSubnetCidrReservationResult> CreateSubnetCidrReservationAsync(RequestContext context, CreateSubnetCidrReservationRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, "subnet-cidr-reservation");
        var reservation = await SubnetCidrReservations.CreateAsync(context.Transaction, context.Scope, request.SubnetId, request.Cidr, request.ReservationType,
            request.Description, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateSubnetCidrReservationResult { SubnetCidrReservation = ToShape(reservation) };
    }

    public override async Task<GetSubnetCidrReservationsResult> GetSubnetCidrReservationsAsync(RequestContext context, GetSubnetCidrReservationsRequest request)
    {
        var subnet = await Vpcs.RequireAsync<SubnetResource>(context.Store, context.Scope, ResourceTypes.Subnet, request.SubnetId, context.Cancellation).ConfigureAwait(false);
        var reservations = await SubnetCidrReservations.OfSubnetAsync(context.Store, context.Scope, subnet.Id, context.Cancellation).ConfigureAwait(false);
        var page = Paginator.Paginate(SubnetCidrReservationFilters.Apply(reservations, ToCriteria(request.Filters)), r => r.Id, request.MaxResults, request.NextToken);
        return new GetSubnetCidrReservationsResult
        {
            SubnetIpv4CidrReservations = page.Items.Where(r => !r.Cidr.Contains(':', StringComparison.Ordinal)).Select(ToShape).ToList(),
            SubnetIpv6CidrReservations = page.Items.Where(r => r.Cidr.Contains(':', StringComparison.Ordinal)).Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DeleteSubnetCidrReservationResult> DeleteSubnetCidrReservationAsync(RequestContext context, DeleteSubnetCidrReservationRequest request)
    {
        var reservation = await SubnetCidrReservations.DeleteAsync(context.Transaction, context.Scope, request.SubnetCidrReservationId, context.Cancellation).ConfigureAwait(false);
        return new DeleteSubnetCidrReservationResult { DeletedSubnetCidrReservation = ToShape(reservation) };
    }

    private static SubnetCidrReservation ToShape(SubnetCidrReservationResource r) => new()
    {
        SubnetCidrReservationId = r.Id,
        SubnetId = r.SubnetId,
        Cidr = r.Cidr,
        ReservationType = r.ReservationType,
        Description = r.Description,
        OwnerId = r.OwnerId,
        Tags = ToShape(r.Tags),
    };
}
