using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Elastic network interfaces: create, describe, attributes, attachments and private addresses.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeNetworkInterfaces")]
    private static readonly FilterSet<NetworkInterfaceResource> NetworkInterfaceFilters = new FilterSet<NetworkInterfaceResource>()
        .AddMany("addresses.association.owner-id", n => n.Association is { } a ? [a.IpOwnerId] : [])
        .AddMany("addresses.association.public-ip", n => n.Association is { } a ? [a.PublicIp] : [])
        .AddMany("addresses.primary", n => n.AllPrivateIpAddresses.Select((_, i) => i == 0 ? "true" : "false"))
        .AddMany("addresses.private-ip-address", n => n.AllPrivateIpAddresses)
        .Add("association.allocation-id", n => n.Association?.AllocationId)
        .Add("association.association-id", n => n.Association?.AssociationId)
        .Add("association.ip-owner-id", n => n.Association?.IpOwnerId)
        .Add("association.public-dns-name", n => n.Association?.PublicDnsName)
        .Add("association.public-ip", n => n.Association?.PublicIp)
        .Add("attachment.attach-time", n => n.Attachment?.AttachTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
        .Add("attachment.attachment-id", n => n.Attachment?.AttachmentId)
        .Add("attachment.delete-on-termination", n => n.Attachment is { } a ? (a.DeleteOnTermination ? "true" : "false") : null)
        .Add("attachment.device-index", n => n.Attachment?.DeviceIndex.ToString(CultureInfo.InvariantCulture))
        .Add("attachment.instance-id", n => n.Attachment?.InstanceId)
        .Add("attachment.instance-owner-id", n => n.Attachment?.InstanceOwnerId)
        .Add("attachment.status", n => n.Attachment?.Status)
        .Add("availability-zone", n => n.AvailabilityZone)
        .Add("availability-zone-id", n => n.AvailabilityZoneId)
        .Add("description", n => n.Description)
        .AddMany("group-id", n => n.SecurityGroupIds)
        .Add("interface-type", n => n.InterfaceType)
        .AddMany("ipv6-addresses.ipv6-address", n => n.Ipv6Addresses)
        .Add("mac-address", n => n.MacAddress)
        .Add("network-interface-id", n => n.Id)
        .Add("operator.managed", _ => false)
        .Add("operator.principal", _ => null)
        .Add("owner-id", n => n.OwnerId)
        .Add("private-dns-name", n => NetworkInterfaces.PrivateDnsName(n.AvailabilityZone[..^1], n.PrivateIpAddress))
        .Add("private-ip-address", n => n.PrivateIpAddress)
        .Add("requester-id", n => n.RequesterId)
        .Add("requester-managed", n => n.RequesterManaged)
        .Add("source-dest-check", n => n.SourceDestCheck)
        .Add("status", n => n.Status)
        .Add("subnet-id", n => n.SubnetId)
        .Add("vpc-id", n => n.VpcId)
        .WithTags(n => n.Tags)
        .Indexed("attachment.instance-id", "group-id", "status", "subnet-id", "vpc-id")
        .IndexedTags();

    public override async Task<CreateNetworkInterfaceResult> CreateNetworkInterfaceAsync(RequestContext context, CreateNetworkInterfaceRequest request)
    {
        if (request.Ipv4PrefixCount is > 0 || request.Ipv4Prefixes is { Count: > 0 }
            || request.Ipv6PrefixCount is > 0 || request.Ipv6Prefixes is { Count: > 0 } || request.EnablePrimaryIpv6 == true)
        {
            throw AwsErrors.InvalidParameterValue("Prefix delegation and primary IPv6 addresses are not supported.");
        }
        var subnet = await Vpcs.RequireAsync<SubnetResource>(context.Transaction, context.Scope, ResourceTypes.Subnet, request.SubnetId, context.Cancellation).ConfigureAwait(false);
        var primary = request.PrivateIpAddress;
        var secondary = new List<string>();
        foreach (var spec in request.PrivateIpAddresses ?? [])
        {
            if (spec.PrivateIpAddress is null)
            {
                throw AwsErrors.MissingParameter("privateIpAddresses.privateIpAddress");
            }
            if (spec.Primary == true)
            {
                if (primary is not null && primary != spec.PrivateIpAddress)
                {
                    throw AwsErrors.InvalidParameterCombination("Only one primary private IP address may be specified.");
                }
                primary = spec.PrivateIpAddress;
            }
            else if (spec.PrivateIpAddress != primary)
            {
                secondary.Add(spec.PrivateIpAddress);
            }
        }
        if (primary is null && secondary.Count > 0)
        {
            // The first listed address is the primary one when none is marked.
            primary = secondary[0];
            secondary.RemoveAt(0);
        }
        var tags = TagsOnCreate(request.TagSpecifications, "network-interface");
        var eni = await NetworkInterfaces.CreateAsync(context.Transaction, context.Scope, subnet, primary, secondary, request.SecondaryPrivateIpAddressCount ?? 0,
            request.Groups ?? [], request.Description, request.InterfaceType ?? "interface", context.Now, tags, context.Cancellation).ConfigureAwait(false);
        await AddIpv6OnCreateAsync(context, subnet, eni, request.Ipv6AddressCount, (request.Ipv6Addresses ?? []).Select(a => a.Ipv6Address ?? "").ToList()).ConfigureAwait(false);
        var groups = await context.Store.ListAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, context.Cancellation).ConfigureAwait(false);
        var shape = ToShape(eni, context.Region, groups);
        shape.Status = "pending";
        return new CreateNetworkInterfaceResult { NetworkInterface = shape, ClientToken = request.ClientToken };
    }

    public override async Task DeleteNetworkInterfaceAsync(RequestContext context, DeleteNetworkInterfaceRequest request)
    {
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        await NetworkInterfaces.DeleteAsync(context.Transaction, context.Scope, eni, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task<DescribeNetworkInterfacesResult> DescribeNetworkInterfacesAsync(RequestContext context, DescribeNetworkInterfacesRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.NetworkInterface, NetworkInterfaceFilters, request.NetworkInterfaceIds, request.Filters, request.MaxResults, request.NextToken, "networkInterfaceIds").ConfigureAwait(false);
        var groups = await context.Store.ListAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, context.Cancellation).ConfigureAwait(false);
        return new DescribeNetworkInterfacesResult
        {
            NetworkInterfaces = page.Items.Select(n => ToShape(n, context.Region, groups)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeNetworkInterfaceAttributeResult> DescribeNetworkInterfaceAttributeAsync(RequestContext context, DescribeNetworkInterfaceAttributeRequest request)
    {
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        var result = new DescribeNetworkInterfaceAttributeResult { NetworkInterfaceId = eni.Id };
        switch (request.Attribute)
        {
            case "description":
                result.Description = new AttributeValue { Value = eni.Description };
                break;
            case "groupSet":
                var groups = await context.Store.ListAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, context.Cancellation).ConfigureAwait(false);
                result.Groups = ToGroupIdentifiers(eni, groups);
                break;
            case "sourceDestCheck":
                result.SourceDestCheck = new AttributeBooleanValue { Value = eni.SourceDestCheck };
                break;
            case "attachment":
                result.Attachment = ToShape(eni.Attachment);
                break;
            case "associatePublicIpAddress":
                result.AssociatePublicIpAddress = eni.Association is not null;
                break;
            case null:
                throw AwsErrors.MissingParameter("attribute");
            default:
                throw AwsErrors.InvalidParameterValue($"Value ({request.Attribute}) for parameter attribute is invalid.");
        }
        return result;
    }

    public override async Task ModifyNetworkInterfaceAttributeAsync(RequestContext context, ModifyNetworkInterfaceAttributeRequest request)
    {
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        var given = new object?[]
        {
            request.Description, request.Groups is { Count: > 0 } ? request.Groups : null, request.SourceDestCheck, request.Attachment,
            request.AssociatePublicIpAddress, request.AssociatedSubnetIds, request.ConnectionTrackingSpecification, request.EnaSrdSpecification, request.EnablePrimaryIpv6,
        }.Count(v => v is not null);
        if (given == 0)
        {
            throw AwsErrors.MissingParameter("description, groupSet, sourceDestCheck or attachment");
        }
        if (given > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Fields for multiple attribute types specified");
        }
        if (request.Description is { } description)
        {
            eni.Description = description.Value ?? "";
        }
        else if (request.Groups is { Count: > 0 } groupIds)
        {
            eni.SecurityGroupIds = await NetworkInterfaces.ResolveGroupsAsync(context.Store, context.Scope, eni.VpcId, groupIds, context.Cancellation).ConfigureAwait(false);
            if (eni.Attachment is { DeviceIndex: 0 } primary
                && await context.Store.GetAsync<Stratus.Domain.Instances.InstanceResource>(context.Scope, ResourceTypes.Instance, primary.InstanceId, context.Cancellation).ConfigureAwait(false) is { } instance)
            {
                // A primary interface's groups are its instance's groups.
                var groups = await context.Store.ListAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, context.Cancellation).ConfigureAwait(false);
                instance.SecurityGroups = eni.SecurityGroupIds
                    .Select(id => new Stratus.Domain.Instances.SecurityGroupRef { GroupId = id, GroupName = groups.Find(g => g.Id == id)?.GroupName ?? "" }).ToList();
                await context.Transaction.PutAsync(context.Scope, ResourceTypes.Instance, instance.Id, instance, instance.LaunchTime, context.Cancellation).ConfigureAwait(false);
            }
        }
        else if (request.SourceDestCheck is { } check)
        {
            eni.SourceDestCheck = check.Value ?? throw AwsErrors.MissingParameter("sourceDestCheck.value");
            if (eni.Attachment is { DeviceIndex: 0 } primary
                && await context.Store.GetAsync<Stratus.Domain.Instances.InstanceResource>(context.Scope, ResourceTypes.Instance, primary.InstanceId, context.Cancellation).ConfigureAwait(false) is { } instance)
            {
                // A primary interface's check is its instance's.
                instance.SourceDestCheck = eni.SourceDestCheck;
                await context.Transaction.PutAsync(context.Scope, ResourceTypes.Instance, instance.Id, instance, instance.LaunchTime, context.Cancellation).ConfigureAwait(false);
            }
        }
        else if (request.Attachment is { } changes)
        {
            if (eni.Attachment is not { } attachment || attachment.AttachmentId != changes.AttachmentId)
            {
                throw new AwsException("InvalidAttachmentID.NotFound", $"The attachment ID '{changes.AttachmentId}' does not exist");
            }
            attachment.DeleteOnTermination = changes.DeleteOnTermination ?? attachment.DeleteOnTermination;
        }
        else
        {
            throw AwsErrors.InvalidParameterValue("This network interface attribute cannot be modified here.");
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkInterface, eni.Id, eni, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    /// <summary>Resets an interface's source/destination check to its default, true (the only attribute EC2 resets).</summary>
    public override async Task ResetNetworkInterfaceAttributeAsync(RequestContext context, ResetNetworkInterfaceAttributeRequest request)
    {
        if (request.SourceDestCheck is null)
        {
            throw AwsErrors.MissingParameter("sourceDestCheck");
        }
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        eni.SourceDestCheck = true;
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkInterface, eni.Id, eni, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task<AttachNetworkInterfaceResult> AttachNetworkInterfaceAsync(RequestContext context, AttachNetworkInterfaceRequest request)
    {
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        var instanceId = ResourceTypes.Instance.CheckId(request.InstanceId!);
        var stored = await context.Store.GetAsync(new Stratus.Domain.Store.ResourceKey(context.AccountId, context.Region, ResourceTypes.Instance.Name, instanceId), context.Cancellation).ConfigureAwait(false)
            ?? throw ResourceTypes.Instance.NotFound(instanceId);
        var instance = JsonNode.Parse(stored.Document);
        var state = instance?["state"]?.GetValue<string>();
        if (state is "terminated" or "shutting-down")
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instanceId}' is not in a valid state for this operation.");
        }
        var zone = instance?["availabilityZone"]?.GetValue<string>() ?? eni.AvailabilityZone;
        if (request.NetworkCardIndex is > 0)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({request.NetworkCardIndex}) for parameter networkCardIndex is invalid. The instance has one network card.");
        }
        await CheckAttachmentLimitsAsync(context, eni, instanceId, instance?["instanceType"]?.GetValue<string>(), request.DeviceIndex!.Value).ConfigureAwait(false);
        var attachment = await NetworkInterfaces.AttachAsync(context.Transaction, context.Scope, eni, instanceId, zone, request.DeviceIndex!.Value, false, context.Now, context.Cancellation).ConfigureAwait(false);
        // A running guest gets the interface at once (hot-plug, where the runtime can).
        context.AfterCommit(() => _lifecycle.SyncInterfacesAsync(context.Scope, instanceId, CancellationToken.None));
        return new AttachNetworkInterfaceResult { AttachmentId = attachment.AttachmentId, NetworkCardIndex = 0 };
    }

    /// <summary>
    /// Refuses an attachment the instance cannot take: more interfaces than its instance type
    /// allows (<c>AttachmentLimitExceeded</c>, as EC2), and, where the runtime cannot plug the
    /// interface into the guest, a device index beyond its hot-plug slots (the same code) or an
    /// interface of another VPC than the instance's primary interface (<c>InvalidParameterCombination</c>).
    /// </summary>
    private async Task CheckAttachmentLimitsAsync(RequestContext context, Stratus.Domain.Vpc.NetworkInterfaceResource eni, string instanceId, string? instanceType, int deviceIndex)
    {
        var interfaces = await context.Store.ListAsync<Stratus.Domain.Vpc.NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, context.Cancellation).ConfigureAwait(false);
        var attached = interfaces.Where(i => i.Attachment?.InstanceId == instanceId).ToList();
        if (eni.Attachment is null && instanceType is not null && Stratus.Domain.Compute.InstanceTypes.InstanceTypeCatalog.Find(instanceType) is { } type
            && attached.Count + 1 > type.MaxNetworkInterfaces)
        {
            throw new AwsException("AttachmentLimitExceeded", $"Interface count {attached.Count + 1} exceeds the limit for {instanceType}");
        }
        var runtime = _lifecycle.Runtime;
        if (!runtime.AppliesFirewall)
        {
            return;
        }
        if (runtime.MaxSecondaryDeviceIndex is { } max && deviceIndex > max)
        {
            throw new AwsException("AttachmentLimitExceeded",
                $"Device index {deviceIndex} exceeds the limit of this host's guests: network interfaces can be attached at device indexes 1 to {max}.");
        }
        if (!runtime.PlugsInterfacesOfOtherVpcs && attached.Find(i => i.Attachment!.DeviceIndex == 0) is { } primary && primary.VpcId != eni.VpcId)
        {
            throw AwsErrors.InvalidParameterCombination(
                $"The network interface {eni.Id} (VPC {eni.VpcId}) and the instance {instanceId} (VPC {primary.VpcId}) are not in the same VPC.");
        }
    }

    public override async Task DetachNetworkInterfaceAsync(RequestContext context, DetachNetworkInterfaceRequest request)
    {
        var eni = await NetworkInterfaces.FindByAttachmentAsync(context.Transaction, context.Scope, request.AttachmentId, context.Cancellation).ConfigureAwait(false);
        var instanceId = eni.Attachment?.InstanceId;
        await NetworkInterfaces.DetachAsync(context.Transaction, context.Scope, eni, context.Now, context.Cancellation).ConfigureAwait(false);
        if (instanceId is not null)
        {
            context.AfterCommit(() => _lifecycle.SyncInterfacesAsync(context.Scope, instanceId, CancellationToken.None));
        }
    }

    public override async Task<AssignPrivateIpAddressesResult> AssignPrivateIpAddressesAsync(RequestContext context, AssignPrivateIpAddressesRequest request)
    {
        if (request.Ipv4PrefixCount is not null || request.Ipv4Prefixes is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("IPv4 prefix delegation is not supported.");
        }
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        var assigned = await NetworkInterfaces.AssignAsync(context.Transaction, context.Scope, eni, request.PrivateIpAddresses ?? [], request.SecondaryPrivateIpAddressCount,
            request.AllowReassignment == true, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssignPrivateIpAddressesResult
        {
            NetworkInterfaceId = eni.Id,
            AssignedPrivateIpAddresses = assigned.Select(a => new AssignedPrivateIpAddress { PrivateIpAddress = a }).ToList(),
            AssignedIpv4Prefixes = [],
        };
    }

    public override async Task UnassignPrivateIpAddressesAsync(RequestContext context, UnassignPrivateIpAddressesRequest request)
    {
        if (request.Ipv4Prefixes is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("IPv4 prefix delegation is not supported.");
        }
        var eni = await RequireInterfaceAsync(context, request.NetworkInterfaceId).ConfigureAwait(false);
        await NetworkInterfaces.UnassignAsync(context.Transaction, context.Scope, eni, request.PrivateIpAddresses ?? [], context.Now, context.Cancellation).ConfigureAwait(false);
    }

    private static Task<NetworkInterfaceResource> RequireInterfaceAsync(RequestContext context, string? id) =>
        Vpcs.RequireAsync<NetworkInterfaceResource>(context.Store, context.Scope, ResourceTypes.NetworkInterface, id, context.Cancellation);

    private static List<GroupIdentifier> ToGroupIdentifiers(NetworkInterfaceResource eni, List<SecurityGroupResource> groups) =>
        eni.SecurityGroupIds.Select(id => new GroupIdentifier { GroupId = id, GroupName = groups.Find(g => g.Id == id)?.GroupName }).ToList();

    private static Stratus.Ec2.Model.NetworkInterfaceAttachment? ToShape(Stratus.Domain.Vpc.NetworkInterfaceAttachment? a) => a is null ? null : new()
    {
        AttachmentId = a.AttachmentId,
        InstanceId = a.InstanceId.Length == 0 ? null : a.InstanceId,
        InstanceOwnerId = a.InstanceOwnerId,
        DeviceIndex = a.DeviceIndex,
        NetworkCardIndex = 0,
        Status = a.Status,
        AttachTime = a.AttachTime,
        DeleteOnTermination = a.DeleteOnTermination,
    };

    private static Stratus.Ec2.Model.NetworkInterfaceAssociation? ToShape(Stratus.Domain.Vpc.NetworkInterfaceAssociation? a) => a is null ? null : new()
    {
        PublicIp = a.PublicIp,
        PublicDnsName = a.PublicDnsName,
        AllocationId = a.AllocationId,
        AssociationId = a.AssociationId,
        IpOwnerId = a.IpOwnerId,
    };

    private static NetworkInterface ToShape(NetworkInterfaceResource n, string region, List<SecurityGroupResource> groups) => new()
    {
        NetworkInterfaceId = n.Id,
        OwnerId = n.OwnerId,
        SubnetId = n.SubnetId,
        VpcId = n.VpcId,
        AvailabilityZone = n.AvailabilityZone,
        AvailabilityZoneId = n.AvailabilityZoneId,
        Description = n.Description,
        Groups = ToGroupIdentifiers(n, groups),
        InterfaceType = n.InterfaceType,
        MacAddress = n.MacAddress,
        PrivateIpAddress = n.PrivateIpAddress,
        PrivateDnsName = NetworkInterfaces.PrivateDnsName(region, n.PrivateIpAddress),
        PrivateIpAddresses = n.AllPrivateIpAddresses.Select((address, i) => new NetworkInterfacePrivateIpAddress
        {
            PrivateIpAddress = address,
            PrivateDnsName = NetworkInterfaces.PrivateDnsName(region, address),
            Primary = i == 0,
            Association = i == 0 ? ToShape(n.Association) : null,
        }).ToList(),
        Ipv6Addresses = Ipv6AddressShapes(n),
        Ipv6Address = n.Ipv6Addresses.FirstOrDefault(),
        Ipv4Prefixes = null,
        RequesterId = n.RequesterId,
        RequesterManaged = n.RequesterManaged,
        SourceDestCheck = n.SourceDestCheck,
        Status = n.Status,
        Attachment = ToShape(n.Attachment),
        Association = ToShape(n.Association),
        Ipv6Native = false,
        DenyAllIgwTraffic = false,
        TagSet = ToShape(n.Tags),
        Operator = new OperatorResponse { Managed = false },
    };
}
