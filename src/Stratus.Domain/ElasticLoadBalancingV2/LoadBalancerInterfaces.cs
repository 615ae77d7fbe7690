using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>
/// A load balancer's nodes inside its VPC, as AWS has them: one requester-managed network
/// interface per subnet of the load balancer, created with it and with SetSubnets, deleted with
/// it. Description <c>ELB app/&lt;name&gt;/&lt;id&gt;</c> (ALB) or <c>ELB net/&lt;name&gt;/&lt;id&gt;</c>
/// (NLB), requester <c>amazon-elb</c>, interface type <c>interface</c> (ALB) or
/// <c>network_load_balancer</c> (NLB), the load balancer's security groups, the lowest free address
/// of the subnet (or the subnet mapping's <c>PrivateIPv4Address</c>), and an attachment
/// (<c>ela-attach-…</c>) that only ELB manages: DetachNetworkInterface and DeleteNetworkInterface
/// refuse them, and their subnets and security groups cannot be deleted while they exist.
/// </summary>
public static class LoadBalancerInterfaces
{
    /// <summary>The requester id AWS reports for load balancer interfaces.</summary>
    public const string RequesterId = "amazon-elb";

    /// <summary>The prefix of the attachment ids of interfaces a service manages.</summary>
    public const string AttachmentPrefix = "ela-attach";

    /// <summary>The description AWS gives the load balancer's interfaces: <c>ELB app/web/50dc6c495c0c9188</c>.</summary>
    public static string Description(LoadBalancerResource lb)
    {
        ArgumentNullException.ThrowIfNull(lb);
        return $"ELB {(lb.IsApplication ? "app" : "net")}/{lb.Name}/{lb.Id}";
    }

    /// <summary>The load balancer's interfaces in the store.</summary>
    public static async Task<List<NetworkInterfaceResource>> ListAsync(IStoreSession session, Scope scope, LoadBalancerResource lb, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var description = Description(lb);
        var all = await session.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        return all.FindAll(i => i.RequesterManaged && i.RequesterId == RequesterId && i.VpcId == lb.VpcId && i.Description == description);
    }

    /// <summary>
    /// Brings the load balancer's interfaces in line with its subnets and security groups: one per
    /// zone (created with the zone's requested address, if any), none in subnets it left. Records
    /// each node's interface and address in <see cref="LoadBalancerResource.Zones"/>; the caller saves the load balancer.
    /// </summary>
    public static async Task SyncAsync(IStoreTransaction tx, Scope scope, LoadBalancerResource lb, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(lb);
        var existing = await ListAsync(tx, scope, lb, ct).ConfigureAwait(false);
        var groups = lb.SecurityGroups.ToList();
        foreach (var eni in existing.Where(e => !lb.Zones.Exists(z => z.SubnetId == e.SubnetId)))
        {
            await RemoveAsync(tx, scope, eni, now, ct).ConfigureAwait(false);
        }
        var zones = new List<LoadBalancerZone>();
        foreach (var zone in lb.Zones)
        {
            var eni = existing.Find(e => e.SubnetId == zone.SubnetId);
            if (eni is null)
            {
                eni = await CreateAsync(tx, scope, lb, zone, groups, now, ct).ConfigureAwait(false);
            }
            else if (!eni.SecurityGroupIds.SequenceEqual(groups, StringComparer.Ordinal))
            {
                eni.SecurityGroupIds = groups;
                await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
            }
            zones.Add(new LoadBalancerZone
            {
                SubnetId = zone.SubnetId,
                ZoneName = zone.ZoneName,
                AllocationId = zone.AllocationId,
                PrivateIpv4Address = zone.PrivateIpv4Address,
                NetworkInterfaceId = eni.Id,
                NodeAddress = eni.PrivateIpAddress,
            });
        }
        lb.Zones = zones;
    }

    /// <summary>Deletes every interface of the load balancer and frees their addresses.</summary>
    public static async Task DeleteAllAsync(IStoreTransaction tx, Scope scope, LoadBalancerResource lb, DateTime now, CancellationToken ct = default)
    {
        foreach (var eni in await ListAsync(tx, scope, lb, ct).ConfigureAwait(false))
        {
            await RemoveAsync(tx, scope, eni, now, ct).ConfigureAwait(false);
        }
    }

    private static async Task<NetworkInterfaceResource> CreateAsync(IStoreTransaction tx, Scope scope, LoadBalancerResource lb, LoadBalancerZone zone, List<string> groups, DateTime now, CancellationToken ct)
    {
        var subnet = await tx.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, zone.SubnetId, ct).ConfigureAwait(false)
            ?? throw new AwsException("SubnetNotFound", $"The subnet ID '{zone.SubnetId}' is not valid");
        NetworkInterfaceResource created;
        try
        {
            created = await NetworkInterfaces.CreateAsync(tx, scope, subnet, zone.PrivateIpv4Address, groups, Description(lb), lb.IsApplication ? "interface" : "network_load_balancer", now, [], ct).ConfigureAwait(false);
        }
        catch (AwsException e) when (e.Code == "InsufficientFreeAddressesInSubnet")
        {
            throw new AwsException("InvalidSubnet", $"Not enough IP space available in {subnet.Id}. ELB requires at least 8 free IP addresses in each subnet.");
        }
        catch (AwsException e) when (e.Code.StartsWith("InvalidIPAddress", StringComparison.Ordinal) || e.Code == "InvalidParameterValue")
        {
            throw new AwsException("InvalidConfigurationRequest", $"The private IPv4 address '{zone.PrivateIpv4Address}' is not valid for subnet '{subnet.Id}': {e.Message}");
        }
        var managed = new NetworkInterfaceResource
        {
            Id = created.Id,
            OwnerId = created.OwnerId,
            SubnetId = created.SubnetId,
            VpcId = created.VpcId,
            AvailabilityZone = created.AvailabilityZone,
            AvailabilityZoneId = created.AvailabilityZoneId,
            PrivateIpAddress = created.PrivateIpAddress,
            MacAddress = created.MacAddress,
            Description = created.Description,
            // An ALB's interfaces carry its groups; an NLB's only the groups it was created with (none by default).
            SecurityGroupIds = groups,
            Status = "in-use",
            InterfaceType = created.InterfaceType,
            RequesterManaged = true,
            RequesterId = RequesterId,
            Attachment = new NetworkInterfaceAttachment
            {
                AttachmentId = ResourceIds.New(AttachmentPrefix),
                InstanceId = "",
                InstanceOwnerId = lb.IsApplication ? "amazon-elb" : "amazon-aws",
                DeviceIndex = 1,
                AttachTime = now,
                DeleteOnTermination = false,
            },
        };
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, managed.Id, managed, now, ct).ConfigureAwait(false);
        return managed;
    }

    private static async Task RemoveAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, DateTime now, CancellationToken ct)
    {
        await tx.DeleteAsync(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false);
        await NetworkInterfaces.ReleaseAddressesAsync(tx, scope, eni.SubnetId, [.. eni.AllPrivateIpAddresses], now, ct).ConfigureAwait(false);
    }
}
