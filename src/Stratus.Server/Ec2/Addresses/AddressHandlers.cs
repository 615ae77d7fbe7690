using Stratus.Core;
using Stratus.Domain.Addresses;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>An Elastic IP with the instance its interface is attached to, as Describe and its filters see it.</summary>
internal sealed record AddressView(ElasticIpResource Address, string? InstanceId);

/// <summary>Elastic IP addresses: allocate, release, describe, associate, disassociate, reverse DNS.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeAddresses")]
    private static readonly FilterSet<AddressView> AddressFilters = new FilterSet<AddressView>()
        .Add("allocation-id", v => v.Address.Id)
        .Add("association-id", v => v.Address.AssociationId)
        .Add("instance-id", v => v.InstanceId)
        .Add("network-border-group", v => v.Address.NetworkBorderGroup)
        .Add("network-interface-id", v => v.Address.NetworkInterfaceId)
        .Add("network-interface-owner-id", v => v.Address.NetworkInterfaceOwnerId)
        .Add("private-ip-address", v => v.Address.PrivateIpAddress)
        .Add("public-ip", v => v.Address.PublicIp)
        .WithTags(v => v.Address.Tags);

    public override async Task<AllocateAddressResult> AllocateAddressAsync(RequestContext context, AllocateAddressRequest request)
    {
        if (request.CustomerOwnedIpv4Pool is not null || request.IpamPoolId is not null)
        {
            throw AwsErrors.InvalidParameterValue("Customer-owned and IPAM address pools are not supported; addresses come from Amazon's pool.");
        }
        var tags = TagsOnCreate(request.TagSpecifications, "elastic-ip");
        var eip = await ElasticIps.AllocateAsync(context.Transaction, context.Scope, request.Domain, request.Address, request.PublicIpv4Pool,
            request.NetworkBorderGroup, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AllocateAddressResult
        {
            AllocationId = eip.Id,
            PublicIp = eip.PublicIp,
            Domain = eip.Domain,
            NetworkBorderGroup = eip.NetworkBorderGroup,
            PublicIpv4Pool = eip.PublicIpv4Pool,
        };
    }

    public override async Task ReleaseAddressAsync(RequestContext context, ReleaseAddressRequest request)
    {
        if (request.AllocationId is null)
        {
            if (request.PublicIp is null)
            {
                throw AwsErrors.MissingParameter("allocationId");
            }
            throw AwsErrors.InvalidParameterValue("You must specify an allocation id when releasing a VPC elastic IP address");
        }
        var eip = await ElasticIps.RequireAsync(context.Store, context.Scope, request.AllocationId, context.Cancellation).ConfigureAwait(false);
        if (request.PublicIp is not null && request.PublicIp != eip.PublicIp)
        {
            throw ElasticIps.AddressNotFound(request.PublicIp);
        }
        if (request.NetworkBorderGroup is not null && request.NetworkBorderGroup != eip.NetworkBorderGroup)
        {
            throw ElasticIps.AddressNotFound(eip.PublicIp);
        }
        await SyncPublicAddressAfterCommitAsync(context, eip.NetworkInterfaceId).ConfigureAwait(false);
        await ElasticIps.ReleaseAsync(context.Transaction, context.Scope, eip, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task<DescribeAddressesResult> DescribeAddressesAsync(RequestContext context, DescribeAddressesRequest request)
    {
        var views = await SelectAddressesAsync(context, request.AllocationIds, request.PublicIps).ConfigureAwait(false);
        return new DescribeAddressesResult
        {
            Addresses = AddressFilters.Apply(views, ToCriteria(request.Filters)).Select(ToShape).ToList(),
        };
    }

    public override async Task<AssociateAddressResult> AssociateAddressAsync(RequestContext context, AssociateAddressRequest request)
    {
        ElasticIpResource eip;
        if (request.AllocationId is not null)
        {
            eip = await ElasticIps.RequireAsync(context.Store, context.Scope, request.AllocationId, context.Cancellation).ConfigureAwait(false);
        }
        else if (request.PublicIp is not null)
        {
            eip = await ElasticIps.RequireByPublicIpAsync(context.Store, context.Scope, request.PublicIp, context.Cancellation).ConfigureAwait(false);
        }
        else
        {
            throw AwsErrors.MissingParameter("allocationId");
        }
        if (request.InstanceId is not null && request.NetworkInterfaceId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("You may specify either an instance ID or a network interface ID, not both.");
        }
        NetworkInterfaceResource eni;
        if (request.InstanceId is { } instanceId)
        {
            ResourceTypes.Instance.CheckId(instanceId);
            var instance = await context.Store.GetAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, instanceId, context.Cancellation).ConfigureAwait(false)
                ?? throw ResourceTypes.Instance.NotFound(instanceId);
            eni = await InstanceAddressing.PrimaryInterfaceForAssociationAsync(context.Store, context.Scope, instance, context.Cancellation).ConfigureAwait(false);
        }
        else if (request.NetworkInterfaceId is { } eniId)
        {
            eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(context.Store, context.Scope, ResourceTypes.NetworkInterface, eniId, context.Cancellation).ConfigureAwait(false);
            if (eni.Attachment is { } attachment
                && await context.Store.GetAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, attachment.InstanceId, context.Cancellation).ConfigureAwait(false) is { } owner
                && !InstanceAddressing.CanAssociate(owner))
            {
                throw new AwsException(InstanceErrors.IncorrectInstanceState, $"The instance '{owner.Id}' to which '{eni.Id}' is attached is not in a valid state for this operation.");
            }
        }
        else
        {
            throw AwsErrors.MissingParameter("instanceId or networkInterfaceId");
        }
        await SyncPublicAddressAfterCommitAsync(context, eip.NetworkInterfaceId).ConfigureAwait(false);
        await SyncPublicAddressAfterCommitAsync(context, eni.Id).ConfigureAwait(false);
        var associationId = await ElasticIps.AssociateAsync(context.Transaction, context.Scope, eip, eni, request.PrivateIpAddress,
            request.AllowReassociation != false, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateAddressResult { AssociationId = associationId };
    }

    public override async Task DisassociateAddressAsync(RequestContext context, DisassociateAddressRequest request)
    {
        ElasticIpResource eip;
        if (request.AssociationId is not null)
        {
            if (!ResourceIds.IsWellFormed(ElasticIps.AssociationPrefix, request.AssociationId))
            {
                throw new AwsException("InvalidAssociationID.NotFound", $"The association ID '{request.AssociationId}' does not exist");
            }
            eip = await ElasticIps.RequireByAssociationAsync(context.Store, context.Scope, request.AssociationId, context.Cancellation).ConfigureAwait(false);
        }
        else if (request.PublicIp is not null)
        {
            eip = await ElasticIps.RequireByPublicIpAsync(context.Store, context.Scope, request.PublicIp, context.Cancellation).ConfigureAwait(false);
            if (!eip.Associated)
            {
                throw new AwsException("InvalidAssociationID.NotFound", $"The address '{eip.PublicIp}' is not associated.");
            }
        }
        else
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        await SyncPublicAddressAfterCommitAsync(context, eip.NetworkInterfaceId).ConfigureAwait(false);
        await ElasticIps.DisassociateAsync(context.Transaction, context.Scope, eip, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Once the request commits, the runtime learns the new public address of the instance the
    /// interface is attached to (a running guest's address mapping changes live, before the answer).
    /// </summary>
    private async Task SyncPublicAddressAfterCommitAsync(RequestContext context, string? networkInterfaceId)
    {
        if (networkInterfaceId is null
            || await context.Store.GetAsync<NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, networkInterfaceId, context.Cancellation).ConfigureAwait(false)
                is not { Attachment.InstanceId: { } instanceId })
        {
            return;
        }
        var command = new LifecycleCommand(context.Scope, instanceId, LifecycleAction.SyncPublicAddress);
        // Before the answer: the new holder answers on the address when the call returns.
        context.AfterCommit(() => _lifecycle.RunAsync(command));
    }

    public override async Task<DescribeAddressesAttributeResult> DescribeAddressesAttributeAsync(RequestContext context, DescribeAddressesAttributeRequest request)
    {
        if (request.Attribute is not (null or "domain-name"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid. Expected: 'domain-name'.");
        }
        var views = await SelectAddressesAsync(context, request.AllocationIds, null).ConfigureAwait(false);
        var page = Paginator.Paginate(views, v => v.Address.Id, request.MaxResults, request.NextToken);
        return new DescribeAddressesAttributeResult
        {
            Addresses = page.Items.Select(v => ToAttribute(v.Address)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<ModifyAddressAttributeResult> ModifyAddressAttributeAsync(RequestContext context, ModifyAddressAttributeRequest request)
    {
        var eip = await ElasticIps.RequireAsync(context.Store, context.Scope, request.AllocationId, context.Cancellation).ConfigureAwait(false);
        var name = request.DomainName?.TrimEnd('.');
        if (string.IsNullOrEmpty(name) || name.Length > 253 || !name.Contains('.', StringComparison.Ordinal)
            || !name.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.DomainName}) for parameter domainName is invalid.");
        }
        eip.PtrRecord = name + ".";
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.ElasticIp, eip.Id, eip, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToAttribute(eip);
        shape.PtrRecordUpdate = new PtrUpdateStatus { Value = eip.PtrRecord, Status = "PENDING" };
        return new ModifyAddressAttributeResult { Address = shape };
    }

    public override async Task<ResetAddressAttributeResult> ResetAddressAttributeAsync(RequestContext context, ResetAddressAttributeRequest request)
    {
        if (request.Attribute != "domain-name")
        {
            throw request.Attribute is null
                ? AwsErrors.MissingParameter("attribute")
                : AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid. Expected: 'domain-name'.");
        }
        var eip = await ElasticIps.RequireAsync(context.Store, context.Scope, request.AllocationId, context.Cancellation).ConfigureAwait(false);
        var previous = eip.PtrRecord;
        eip.PtrRecord = null;
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.ElasticIp, eip.Id, eip, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToAttribute(eip);
        shape.PtrRecordUpdate = new PtrUpdateStatus { Value = previous, Status = "PENDING" };
        return new ResetAddressAttributeResult { Address = shape };
    }

    /// <summary>The account's addresses, narrowed to the named allocation ids and public IPs (each must exist).</summary>
    private static async Task<List<AddressView>> SelectAddressesAsync(RequestContext context, List<string>? allocationIds, List<string>? publicIps)
    {
        foreach (var id in allocationIds ?? [])
        {
            ResourceTypes.ElasticIp.CheckId(id);
        }
        var all = await context.Store.ListAsync<ElasticIpResource>(context.Scope, ResourceTypes.ElasticIp, context.Cancellation).ConfigureAwait(false);
        IEnumerable<ElasticIpResource> selected = all;
        if (allocationIds is { Count: > 0 })
        {
            foreach (var id in allocationIds.Where(id => !all.Exists(a => a.Id == id)))
            {
                throw ResourceTypes.ElasticIp.NotFound(id);
            }
            selected = selected.Where(a => allocationIds.Contains(a.Id));
        }
        if (publicIps is { Count: > 0 })
        {
            foreach (var ip in publicIps.Where(ip => !all.Exists(a => a.PublicIp == ip)))
            {
                throw ElasticIps.AddressNotFound(ip);
            }
            selected = selected.Where(a => publicIps.Contains(a.PublicIp));
        }
        var interfaces = (await context.Store.ListAsync<NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, context.Cancellation).ConfigureAwait(false))
            .ToDictionary(n => n.Id, StringComparer.Ordinal);
        var views = new List<AddressView>();
        foreach (var a in selected.OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            if (a.NetworkInterfaceId is { } id && !interfaces.ContainsKey(id))
            {
                // The interface was deleted: the address is no longer associated.
                a.AssociationId = null;
                a.NetworkInterfaceId = null;
                a.NetworkInterfaceOwnerId = null;
                a.PrivateIpAddress = null;
            }
            var instanceId = a.NetworkInterfaceId is { } eniId && interfaces.TryGetValue(eniId, out var eni) ? eni.Attachment?.InstanceId : null;
            views.Add(new AddressView(a, instanceId));
        }
        return views;
    }

    private static Address ToShape(AddressView view) => new()
    {
        AllocationId = view.Address.Id,
        PublicIp = view.Address.PublicIp,
        Domain = view.Address.Domain,
        AssociationId = view.Address.AssociationId,
        InstanceId = view.InstanceId,
        NetworkInterfaceId = view.Address.NetworkInterfaceId,
        NetworkInterfaceOwnerId = view.Address.NetworkInterfaceOwnerId,
        PrivateIpAddress = view.Address.PrivateIpAddress,
        NetworkBorderGroup = view.Address.NetworkBorderGroup,
        PublicIpv4Pool = view.Address.PublicIpv4Pool,
        Tags = view.Address.Tags.Count == 0 ? null : ToShape(view.Address.Tags),
    };

    private static AddressAttribute ToAttribute(ElasticIpResource eip) => new()
    {
        AllocationId = eip.Id,
        PublicIp = eip.PublicIp,
        PtrRecord = eip.PtrRecord,
    };
}
