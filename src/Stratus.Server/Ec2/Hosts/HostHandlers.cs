using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Hosts;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Dedicated Hosts: AllocateHosts, DescribeHosts, ModifyHosts, ReleaseHosts, ModifyInstancePlacement and host placement of launches.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeHosts")]
    private static readonly FilterSet<HostResource> HostFilters = new FilterSet<HostResource>()
        .Add("auto-placement", h => h.AutoPlacement)
        .Add("availability-zone", h => h.AvailabilityZone)
        .Add("client-token", h => h.ClientToken)
        .Add("host-reservation-id", h => h.HostReservationId)
        .Add("instance-type", h => h.InstanceType ?? h.InstanceFamily)
        .Add("state", h => h.State)
        .WithTags(h => h.Tags);

    public override async Task<AllocateHostsResult> AllocateHostsAsync(RequestContext context, AllocateHostsRequest request)
    {
        if (request.OutpostArn is not null || request.AssetIds is { Count: > 0 })
        {
            throw AwsErrors.NotImplemented("AllocateHosts on an Outpost");
        }
        if (request.ClientToken is { } token)
        {
            // The same token again answers the hosts it allocated, as EC2's idempotent calls do.
            var earlier = (await context.Store.ListAsync<HostResource>(context.Scope, ResourceTypes.Host, context.Cancellation).ConfigureAwait(false))
                .Where(h => h.ClientToken == token).Select(h => h.Id).Order(StringComparer.Ordinal).ToList();
            if (earlier.Count > 0)
            {
                return new AllocateHostsResult { HostIds = earlier };
            }
        }
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.Host.Name);
        var hosts = DedicatedHosts.Plan(context.Scope, request.AvailabilityZone, request.AvailabilityZoneId, request.Quantity, request.InstanceType, request.InstanceFamily,
            request.AutoPlacement, request.HostRecovery, request.HostMaintenance, request.ClientToken, tags, context.Now);
        foreach (var host in hosts)
        {
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.Host, host.Id, host, host.AllocationTime, context.Cancellation).ConfigureAwait(false);
        }
        return new AllocateHostsResult { HostIds = hosts.Select(h => h.Id).ToList() };
    }

    public override async Task<DescribeHostsResult> DescribeHostsAsync(RequestContext context, DescribeHostsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.Host, HostFilters, request.HostIds, request.Filter, request.MaxResults, request.NextToken, "hostId").ConfigureAwait(false);
        var hosts = new List<Host>(page.Items.Count);
        foreach (var host in page.Items)
        {
            await DedicatedHosts.ReconcileAsync(context.Store, context.Scope, host, context.Cancellation).ConfigureAwait(false);
            hosts.Add(ToShape(context, host));
        }
        return new DescribeHostsResult { Hosts = hosts, NextToken = page.NextToken };
    }

    public override async Task<ModifyHostsResult> ModifyHostsAsync(RequestContext context, ModifyHostsRequest request)
    {
        if (request.HostIds is not { Count: > 0 } ids)
        {
            throw AwsErrors.MissingParameter("hostId");
        }
        if (request.AutoPlacement is null && request.HostRecovery is null && request.HostMaintenance is null && request.InstanceType is null && request.InstanceFamily is null)
        {
            throw AwsErrors.MissingParameter("autoPlacement");
        }
        var result = new ModifyHostsResult { Successful = [], Unsuccessful = [] };
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var error = await DedicatedHosts.ModifyAsync(context.Transaction, context.Scope, id, request.AutoPlacement, request.HostRecovery, request.HostMaintenance,
                request.InstanceType, request.InstanceFamily, context.Cancellation).ConfigureAwait(false);
            Record(result.Successful, result.Unsuccessful, id, error);
        }
        return result;
    }

    public override async Task<ReleaseHostsResult> ReleaseHostsAsync(RequestContext context, ReleaseHostsRequest request)
    {
        if (request.HostIds is not { Count: > 0 } ids)
        {
            throw AwsErrors.MissingParameter("hostId");
        }
        var result = new ReleaseHostsResult { Successful = [], Unsuccessful = [] };
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var error = await DedicatedHosts.ReleaseAsync(context.Transaction, context.Scope, id, context.Now, context.Cancellation).ConfigureAwait(false);
            Record(result.Successful, result.Unsuccessful, id, error);
        }
        return result;
    }

    public override async Task<ModifyInstancePlacementResult> ModifyInstancePlacementAsync(RequestContext context, ModifyInstancePlacementRequest request)
    {
        if (request.GroupName is not null || request.GroupId is not null || request.PartitionNumber is not null || request.HostResourceGroupArn is not null)
        {
            throw AwsErrors.NotImplemented("ModifyInstancePlacement of placement groups and host resource groups");
        }
        var instance = (await InstanceRecords.RequireAsync(context.Transaction, context.Scope, [request.InstanceId ?? throw AwsErrors.MissingParameter("instanceId")], context.Cancellation).ConfigureAwait(false))[0];
        await DedicatedHosts.ModifyPlacementAsync(context.Transaction, context.Scope, instance, request.Tenancy, request.HostId, request.Affinity, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyInstancePlacementResult { Return = true };
    }

    /// <summary>
    /// Where RunInstances' instances run: Dedicated Hosts for host tenancy, then capacity
    /// reservations, with the account's credit defaults; before the launch writes them (once).
    /// </summary>
    private static async Task PlaceLaunchAsync(RequestContext context, RunInstancesRequest request, IReadOnlyList<InstanceResource> instances)
    {
        await PlaceOnHostsAsync(context, request.Placement, instances).ConfigureAwait(false);
        if (request.CreditSpecification?.CpuCredits is null)
        {
            await Stratus.Domain.Compute.CreditSpecifications.ApplyDefaultsAsync(context.Transaction, context.Scope, instances, context.Cancellation).ConfigureAwait(false);
        }
        await PlaceLaunchInReservationsAsync(context, request.CapacityReservationSpecification, instances).ConfigureAwait(false);
    }

    /// <summary>StartInstances: instances with host tenancy go back onto hosts, and into capacity reservations.</summary>
    private static async Task PlaceStartingAsync(RequestContext context, IReadOnlyList<InstanceChange> changes)
    {
        var starting = changes.Where(c => c.PreviousState == InstanceStates.Stopped).Select(c => c.Instance).ToList();
        await DedicatedHosts.PlaceStartingAsync(context.Transaction, context.Scope, starting, context.Now, context.Cancellation).ConfigureAwait(false);
        await PlaceStartingInReservationsAsync(context, starting).ConfigureAwait(false);
    }

    /// <summary>RunInstances with host tenancy, a host id or host affinity: the launched instances go onto Dedicated Hosts.</summary>
    private static async Task PlaceOnHostsAsync(RequestContext context, Placement? placement, IReadOnlyList<InstanceResource> instances)
    {
        if (placement is null || !DedicatedHosts.WantsHost(placement.Tenancy, placement.HostId))
        {
            if (placement?.Affinity == "host")
            {
                throw AwsErrors.InvalidParameterCombination("Affinity 'host' requires tenancy 'host'.");
            }
            return;
        }
        if (placement.Tenancy is not null and not DedicatedHosts.Tenancy)
        {
            throw AwsErrors.InvalidParameterCombination($"A host ID can only be specified with tenancy 'host', not '{placement.Tenancy}'.");
        }
        await DedicatedHosts.PlaceAsync(context.Transaction, context.Scope, instances, placement.HostId, placement.Affinity, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    private static void Record(List<string> successful, List<UnsuccessfulItem> unsuccessful, string id, AwsException? error)
    {
        if (error is null)
        {
            successful.Add(id);
        }
        else
        {
            unsuccessful.Add(new UnsuccessfulItem { ResourceId = id, Error = new UnsuccessfulItemError { Code = error.Code, Message = error.Message } });
        }
    }

    private static Host ToShape(RequestContext context, HostResource host) => new()
    {
        HostId = host.Id,
        OwnerId = context.AccountId,
        AvailabilityZone = host.AvailabilityZone,
        AvailabilityZoneId = host.AvailabilityZoneId,
        AutoPlacement = host.AutoPlacement,
        HostRecovery = host.HostRecovery,
        HostMaintenance = host.HostMaintenance,
        AllowsMultipleInstanceTypes = host.InstanceType is null ? "on" : "off",
        AllocationTime = host.AllocationTime,
        ReleaseTime = host.ReleaseTime,
        ClientToken = host.ClientToken,
        HostReservationId = host.HostReservationId,
        State = host.State,
        MemberOfServiceLinkedResourceGroup = false,
        HostProperties = new HostProperties
        {
            InstanceType = host.InstanceType,
            InstanceFamily = host.InstanceFamily,
            TotalVCpus = host.TotalVCpus,
            Cores = host.Cores,
            Sockets = host.Sockets,
        },
        AvailableCapacity = host.State == DedicatedHosts.Released ? null : new AvailableCapacity
        {
            AvailableVCpus = host.TotalVCpus - DedicatedHosts.UsedVCpus(host),
            AvailableInstanceCapacity = DedicatedHosts.Capacity(host)
                .Select(c => new InstanceCapacity { InstanceType = c.InstanceType, AvailableCapacity = c.Available, TotalCapacity = c.Total }).ToList(),
        },
        Instances = host.Instances.Select(i => new HostInstance { InstanceId = i.InstanceId, InstanceType = i.InstanceType, OwnerId = context.AccountId }).ToList(),
        Tags = ToShape(host.Tags),
    };
}
