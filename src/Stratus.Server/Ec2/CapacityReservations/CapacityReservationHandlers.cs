using Stratus.Core;
using Stratus.Domain.CapacityReservations;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>On-Demand Capacity Reservations and the instances that run in them.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeCapacityReservations")]
    private static readonly FilterSet<CapacityReservationResource> CapacityReservationFilters = new FilterSet<CapacityReservationResource>()
        .Add("availability-zone", r => r.AvailabilityZone)
        .Add("end-date", r => r.EndDate?.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture))
        .Add("end-date-type", r => r.EndDateType)
        .Add("instance-match-criteria", r => r.InstanceMatchCriteria)
        .Add("instance-platform", r => r.InstancePlatform)
        .Add("instance-type", r => r.InstanceType)
        .Add("outpost-arn", _ => null)
        .Add("owner-id", _ => null)
        .Add("placement-group-arn", _ => null)
        .Add("start-date", r => r.StartDate.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture))
        .Add("state", r => r.State)
        .Add("tenancy", r => r.Tenancy);

    public override async Task<CreateCapacityReservationResult> CreateCapacityReservationAsync(RequestContext context, CreateCapacityReservationRequest request)
    {
        if (request.OutpostArn is not null || request.PlacementGroupArn is not null || request.StartDate is not null || request.CommitmentDuration is not null)
        {
            throw AwsErrors.NotImplemented("CreateCapacityReservation on an Outpost, in a placement group or for a future date");
        }
        if (request.ClientToken is { } token
            && (await context.Store.ListAsync<CapacityReservationResource>(context.Scope, ResourceTypes.CapacityReservation, context.Cancellation).ConfigureAwait(false))
                .Find(r => r.ClientToken == token) is { } earlier)
        {
            return new CreateCapacityReservationResult { CapacityReservation = ToShape(context, earlier) };
        }
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.CapacityReservation.Name);
        var reservation = CapacityReservations.Plan(context.Scope, request.InstanceType, request.InstancePlatform, request.AvailabilityZone, request.AvailabilityZoneId,
            request.InstanceCount, request.Tenancy, request.EndDate, request.EndDateType, request.InstanceMatchCriteria, request.EbsOptimized ?? false,
            request.ClientToken, tags, context.Now);
        await CapacityReservations.PutAsync(context.Transaction, context.Scope, reservation, context.Cancellation).ConfigureAwait(false);
        return new CreateCapacityReservationResult { CapacityReservation = ToShape(context, reservation) };
    }

    public override async Task<DescribeCapacityReservationsResult> DescribeCapacityReservationsAsync(RequestContext context, DescribeCapacityReservationsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.CapacityReservation, CapacityReservationFilters, request.CapacityReservationIds, request.Filters,
            request.MaxResults, request.NextToken, "CapacityReservationId").ConfigureAwait(false);
        var result = new List<CapacityReservation>(page.Items.Count);
        foreach (var reservation in page.Items)
        {
            await CapacityReservations.ReconcileAsync(context.Store, context.Scope, reservation, context.Now, context.Cancellation).ConfigureAwait(false);
            result.Add(ToShape(context, reservation));
        }
        return new DescribeCapacityReservationsResult { CapacityReservations = result, NextToken = page.NextToken };
    }

    public override async Task<ModifyCapacityReservationResult> ModifyCapacityReservationAsync(RequestContext context, ModifyCapacityReservationRequest request)
    {
        await CapacityReservations.ModifyAsync(context.Transaction, context.Scope, request.CapacityReservationId!, request.InstanceCount, request.EndDate, request.EndDateType,
            request.InstanceMatchCriteria, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyCapacityReservationResult { Return = true };
    }

    public override async Task<CancelCapacityReservationResult> CancelCapacityReservationAsync(RequestContext context, CancelCapacityReservationRequest request)
    {
        await CapacityReservations.CancelAsync(context.Transaction, context.Scope, request.CapacityReservationId!, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CancelCapacityReservationResult { Return = true };
    }

    public override async Task<GetCapacityReservationUsageResult> GetCapacityReservationUsageAsync(RequestContext context, GetCapacityReservationUsageRequest request)
    {
        Paginator.CheckMaxResults(request.MaxResults, 1, 1000);
        var reservation = await CapacityReservations.RequireAsync(context.Store, context.Scope, request.CapacityReservationId!, context.Cancellation).ConfigureAwait(false);
        await CapacityReservations.ReconcileAsync(context.Store, context.Scope, reservation, context.Now, context.Cancellation).ConfigureAwait(false);
        return new GetCapacityReservationUsageResult
        {
            CapacityReservationId = reservation.Id,
            InstanceType = reservation.InstanceType,
            TotalInstanceCount = reservation.TotalInstanceCount,
            AvailableInstanceCount = CapacityReservations.Available(reservation),
            State = reservation.State,
            InstanceUsages = reservation.Instances.Count == 0 ? [] : [new InstanceUsage { AccountId = context.AccountId, UsedInstanceCount = reservation.Instances.Count }],
        };
    }

    public override async Task<ModifyInstanceCapacityReservationAttributesResult> ModifyInstanceCapacityReservationAttributesAsync(
        RequestContext context, ModifyInstanceCapacityReservationAttributesRequest request)
    {
        var instance = (await InstanceRecords.RequireAsync(context.Transaction, context.Scope, [request.InstanceId!], context.Cancellation).ConfigureAwait(false))[0];
        if (instance.State != InstanceStates.Stopped)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in the 'stopped' state.");
        }
        var spec = request.CapacityReservationSpecification!;
        CapacityReservations.CheckPreference(spec.CapacityReservationPreference);
        if (spec.CapacityReservationTarget?.CapacityReservationId is { } target)
        {
            if (spec.CapacityReservationPreference is not null)
            {
                throw AwsErrors.InvalidParameterCombination("CapacityReservationPreference and CapacityReservationTarget cannot both be specified.");
            }
            await CapacityReservations.RequireAsync(context.Transaction, context.Scope, target, context.Cancellation).ConfigureAwait(false);
            instance.CapacityReservationPreference = null;
            instance.CapacityReservationId = target;
        }
        else
        {
            instance.CapacityReservationPreference = spec.CapacityReservationPreference ?? CapacityReservations.Open;
            instance.CapacityReservationId = null;
        }
        await InstanceRecords.PutAsync(context.Transaction, context.Scope, instance, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyInstanceCapacityReservationAttributesResult { Return = true };
    }

    /// <summary>The capacity reservation part of RunInstances (after hosts): targeted, open or none.</summary>
    private static Task PlaceLaunchInReservationsAsync(RequestContext context, CapacityReservationSpecification? spec, IReadOnlyList<InstanceResource> instances) =>
        CapacityReservations.PlaceAsync(context.Transaction, context.Scope, instances, spec?.CapacityReservationPreference,
            spec?.CapacityReservationTarget?.CapacityReservationId, context.Now, writeInstances: false, context.Cancellation);

    /// <summary>StartInstances: a stopped instance goes back to its targeted reservation, or to an open one that matches.</summary>
    private static async Task PlaceStartingInReservationsAsync(RequestContext context, IReadOnlyList<InstanceResource> starting)
    {
        foreach (var instance in starting)
        {
            var target = instance.CapacityReservationPreference is null ? instance.CapacityReservationId : null;
            try
            {
                await CapacityReservations.PlaceAsync(context.Transaction, context.Scope, [instance], target is null ? instance.CapacityReservationPreference : null,
                    target, context.Now, context.Cancellation).ConfigureAwait(false);
            }
            catch (AwsException) when (target is not null)
            {
                // The targeted reservation ended or is full: the instance starts outside it, as On-Demand capacity.
                instance.CapacityReservationId = null;
                instance.CapacityReservationPreference = CapacityReservations.Open;
                await InstanceRecords.PutAsync(context.Transaction, context.Scope, instance, context.Now, context.Cancellation).ConfigureAwait(false);
            }
        }
    }

    private static CapacityReservation ToShape(RequestContext context, CapacityReservationResource r) => new()
    {
        CapacityReservationId = r.Id,
        CapacityReservationArn = CapacityReservations.Arn(context.Region, context.AccountId, r.Id),
        OwnerId = context.AccountId,
        AvailabilityZone = r.AvailabilityZone,
        AvailabilityZoneId = r.AvailabilityZoneId,
        InstanceType = r.InstanceType,
        InstancePlatform = r.InstancePlatform,
        Tenancy = r.Tenancy,
        TotalInstanceCount = r.TotalInstanceCount,
        AvailableInstanceCount = CapacityReservations.Available(r),
        EbsOptimized = r.EbsOptimized,
        EphemeralStorage = false,
        State = r.State,
        StartDate = r.StartDate,
        EndDate = r.EndDate,
        EndDateType = r.EndDateType,
        InstanceMatchCriteria = r.InstanceMatchCriteria,
        CreateDate = r.CreateDate,
        ReservationType = "default",
        DeliveryPreference = "fixed",
        CapacityAllocations = [],
        Tags = ToShape(r.Tags),
    };
}
