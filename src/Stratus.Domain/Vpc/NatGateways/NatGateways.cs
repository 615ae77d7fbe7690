using Stratus.Core;
using Stratus.Domain.Addresses;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.NatGateways;

/// <summary>One address of a NAT gateway: a private address of its interface, with an Elastic IP when public.</summary>
public sealed class NatGatewayAddressRecord
{
    public string? AllocationId { get; set; }
    public string? AssociationId { get; set; }
    public string? PublicIp { get; set; }
    public required string PrivateIp { get; init; }
    public required string NetworkInterfaceId { get; init; }
    public bool IsPrimary { get; init; }

    /// <summary><c>succeeded</c>, <c>failed</c>, <c>assigning</c>, <c>unassigning</c>, <c>associating</c>, <c>disassociating</c>.</summary>
    public string Status { get; set; } = "succeeded";
    public string? FailureMessage { get; set; }
}

/// <summary>A NAT gateway: an interface (type <c>nat_gateway</c>) in a subnet, and for a public one the Elastic IP its traffic leaves from.</summary>
public sealed class NatGatewayResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public required string SubnetId { get; init; }

    /// <summary><c>public</c> or <c>private</c>.</summary>
    public string ConnectivityType { get; init; } = "public";
    public required DateTime CreatedAt { get; init; }

    /// <summary>Stored state: <c>pending</c> (available from <see cref="AvailableAt"/>), <c>failed</c>, <c>deleting</c> (deleted from <see cref="DeletedAt"/>).</summary>
    public string State { get; set; } = "pending";
    public required DateTime AvailableAt { get; init; }
    public DateTime? DeletedAt { get; set; }
    public string? FailureCode { get; set; }
    public string? FailureMessage { get; set; }
    public string? NetworkInterfaceId { get; set; }
    public List<NatGatewayAddressRecord> Addresses { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];

    /// <summary>The state EC2 reports at <paramref name="now"/>.</summary>
    public string StateAt(DateTime now) => State switch
    {
        "pending" => now >= AvailableAt ? "available" : "pending",
        "deleting" => DeletedAt is { } d && now >= d ? "deleted" : "deleting",
        _ => State,
    };

    /// <summary>Deleted and failed gateways stay visible for an hour after they ended, as on AWS.</summary>
    public bool VisibleAt(DateTime now) => State is not ("deleting" or "failed") || DeletedAt is not { } d || now < d + NatGateways.KeptVisible;

    /// <summary>True while the gateway forwards traffic (pending counts: the host sets it up at once).</summary>
    public bool Forwards => State == "pending";

    /// <summary>The primary Elastic IP (public gateways).</summary>
    public string? PrimaryPublicIp => Addresses.Find(a => a.IsPrimary)?.PublicIp;
}

/// <summary>
/// NAT gateways with EC2's rules: a public gateway takes an Elastic IP that is not associated and
/// needs an internet gateway on its VPC (else it ends <c>failed</c> with AWS's failure code and
/// message, as AWS reports those after the call); a private one has no Elastic IP. The gateway's
/// interface is created in its subnet (interface type <c>nat_gateway</c>, requester-managed) and
/// goes, with its Elastic IP association, when the gateway is deleted. Routes through a deleted
/// gateway become <c>blackhole</c>.
/// </summary>
public static class NatGateways
{
    /// <summary>How long a new gateway is <c>pending</c>.</summary>
    public static readonly TimeSpan PendingFor = TimeSpan.FromSeconds(2);

    /// <summary>How long a deleting gateway is <c>deleting</c> before it is <c>deleted</c>.</summary>
    public static readonly TimeSpan DeletingFor = TimeSpan.FromSeconds(2);

    /// <summary>How long deleted and failed gateways stay visible.</summary>
    public static readonly TimeSpan KeptVisible = TimeSpan.FromHours(1);

    public static async Task<NatGatewayResource> RequireAsync(IStoreSession session, Scope scope, string? natGatewayId, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(natGatewayId))
        {
            throw AwsErrors.MissingParameter("natGatewayId");
        }
        ResourceTypes.NatGateway.CheckId(natGatewayId);
        var nat = await session.GetAsync<NatGatewayResource>(scope, ResourceTypes.NatGateway, natGatewayId, ct).ConfigureAwait(false);
        return nat is not null && nat.VisibleAt(now) ? nat : throw ResourceTypes.NatGateway.NotFound(natGatewayId);
    }

    /// <summary>The route target check: a gateway of the table's VPC that is not deleted.</summary>
    public static async Task<NatGatewayResource> RequireRouteTargetAsync(IStoreSession session, Scope scope, string id, string vpcId, DateTime now, CancellationToken ct)
    {
        var nat = ResourceIds.IsWellFormed(ResourceTypes.NatGateway.IdPrefix, id)
            ? await session.GetAsync<NatGatewayResource>(scope, ResourceTypes.NatGateway, id, ct).ConfigureAwait(false)
            : null;
        if (nat is null || nat.StateAt(now) is "deleting" or "deleted" or "failed")
        {
            throw new AwsException("InvalidNatGatewayID.NotFound", $"The natGateway ID '{id}' does not exist");
        }
        if (nat.VpcId != vpcId)
        {
            throw AwsErrors.InvalidParameterValue($"route table and NAT gateway {id} belong to different networks");
        }
        return nat;
    }

    /// <summary>CreateNatGateway.</summary>
    public static async Task<NatGatewayResource> CreateAsync(
        IStoreTransaction tx, Scope scope, string? subnetId, string? connectivityType, string? allocationId, string? privateIp,
        IReadOnlyList<string> secondaryAllocationIds, IReadOnlyList<string> secondaryPrivateIps, int? secondaryPrivateIpCount,
        List<Tag> tags, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(secondaryAllocationIds);
        ArgumentNullException.ThrowIfNull(secondaryPrivateIps);
        connectivityType ??= "public";
        if (connectivityType is not ("public" or "private"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({connectivityType}) for parameter connectivityType is invalid. Valid values: public, private.");
        }
        if (string.IsNullOrEmpty(subnetId))
        {
            throw AwsErrors.MissingParameter("subnetId");
        }
        var subnet = await Vpcs.RequireAsync<SubnetResource>(tx, scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
        ElasticIpResource? eip = null;
        if (connectivityType == "public")
        {
            if (string.IsNullOrEmpty(allocationId))
            {
                throw AwsErrors.MissingParameter("allocationId");
            }
            eip = await ElasticIps.RequireAsync(tx, scope, allocationId, ct).ConfigureAwait(false);
        }
        else if (allocationId is not null || secondaryAllocationIds.Count > 0)
        {
            throw AwsErrors.InvalidParameterCombination("A private NAT gateway cannot have an Elastic IP address (allocationId).");
        }
        if (secondaryPrivateIps.Count > 0 && secondaryPrivateIpCount is not null)
        {
            throw AwsErrors.InvalidParameterCombination("secondaryPrivateIpAddresses and secondaryPrivateIpAddressCount cannot be specified together.");
        }
        if (secondaryPrivateIpCount is < 1 or > 7)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({secondaryPrivateIpCount}) for parameter secondaryPrivateIpAddressCount is invalid. Expected a value between 1 and 7.");
        }
        await PurgeAsync(tx, scope, now, ct).ConfigureAwait(false);

        var nat = new NatGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.NatGateway.IdPrefix),
            OwnerId = scope.AccountId,
            VpcId = subnet.VpcId,
            SubnetId = subnet.Id,
            ConnectivityType = connectivityType,
            CreatedAt = now,
            AvailableAt = now + PendingFor,
            Tags = tags,
        };
        NetworkInterfaceResource eni;
        try
        {
            eni = await NetworkInterfaces.CreateAsync(tx, scope, subnet, privateIp, secondaryPrivateIps, secondaryPrivateIpCount ?? 0, [],
                $"Interface for NAT Gateway {nat.Id}", "nat_gateway", now, [], ct).ConfigureAwait(false);
        }
        catch (AwsException e) when (e.Code == "InsufficientFreeAddressesInSubnet" && privateIp is null)
        {
            return await FailAsync(tx, scope, nat, e.Code, "Subnet has insufficient free addresses to create this NAT gateway", now, ct).ConfigureAwait(false);
        }
        // Requester-managed: no security groups, and AWS's account owns it.
        eni.SecurityGroupIds.Clear();
        var managed = new NetworkInterfaceResource
        {
            Id = eni.Id,
            OwnerId = eni.OwnerId,
            SubnetId = eni.SubnetId,
            VpcId = eni.VpcId,
            AvailabilityZone = eni.AvailabilityZone,
            AvailabilityZoneId = eni.AvailabilityZoneId,
            PrivateIpAddress = eni.PrivateIpAddress,
            SecondaryPrivateIpAddresses = eni.SecondaryPrivateIpAddresses,
            MacAddress = eni.MacAddress,
            Description = eni.Description,
            SecurityGroupIds = [],
            Status = "in-use",
            SourceDestCheck = false,
            InterfaceType = "nat_gateway",
            RequesterManaged = true,
            RequesterId = "amazon-ec2",
        };
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, managed.Id, managed, now, ct).ConfigureAwait(false);
        nat.NetworkInterfaceId = managed.Id;
        nat.Addresses.Add(new NatGatewayAddressRecord { PrivateIp = managed.PrivateIpAddress, NetworkInterfaceId = managed.Id, IsPrimary = true });
        foreach (var secondary in managed.SecondaryPrivateIpAddresses)
        {
            nat.Addresses.Add(new NatGatewayAddressRecord { PrivateIp = secondary, NetworkInterfaceId = managed.Id });
        }

        if (eip is not null)
        {
            var gateways = await tx.ListAsync<InternetGatewayResource>(scope, ResourceTypes.InternetGateway, ct).ConfigureAwait(false);
            if (!gateways.Exists(g => g.Attachments.Exists(a => a.VpcId == subnet.VpcId)))
            {
                await ReleaseInterfaceAsync(tx, scope, nat, now, ct).ConfigureAwait(false);
                return await FailAsync(tx, scope, nat, "Gateway.NotAttached", $"Network {subnet.VpcId} has no Internet gateway attached", now, ct).ConfigureAwait(false);
            }
            if (eip.Associated)
            {
                await ReleaseInterfaceAsync(tx, scope, nat, now, ct).ConfigureAwait(false);
                return await FailAsync(tx, scope, nat, "Resource.AlreadyAssociated", $"Elastic IP address [{eip.Id}] is already associated", now, ct).ConfigureAwait(false);
            }
            var association = await ElasticIps.AssociateAsync(tx, scope, eip, managed, managed.PrivateIpAddress, allowReassociation: false, now, ct).ConfigureAwait(false);
            var primary = nat.Addresses[0];
            primary.AllocationId = eip.Id;
            primary.AssociationId = association;
            primary.PublicIp = eip.PublicIp;
            var secondaries = nat.Addresses.Skip(1).ToList();
            for (var i = 0; i < secondaryAllocationIds.Count; i++)
            {
                var extra = await ElasticIps.RequireAsync(tx, scope, secondaryAllocationIds[i], ct).ConfigureAwait(false);
                if (extra.Associated)
                {
                    throw new AwsException("Resource.AlreadyAssociated", $"Elastic IP address [{extra.Id}] is already associated");
                }
                NatGatewayAddressRecord target;
                if (i < secondaries.Count)
                {
                    target = secondaries[i];
                }
                else
                {
                    var added = await NetworkInterfaces.AssignAsync(tx, scope, managed, [], 1, false, now, ct).ConfigureAwait(false);
                    managed = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, managed.Id, ct).ConfigureAwait(false) ?? managed;
                    target = new NatGatewayAddressRecord { PrivateIp = added[0], NetworkInterfaceId = managed.Id };
                    nat.Addresses.Add(target);
                }
                target.AssociationId = await ElasticIps.AssociateAsync(tx, scope, extra, managed, target.PrivateIp, false, now, ct).ConfigureAwait(false);
                target.AllocationId = extra.Id;
                target.PublicIp = extra.PublicIp;
            }
        }
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        return nat;
    }

    /// <summary>DeleteNatGateway: the gateway goes to <c>deleting</c>; its interface and Elastic IP associations go at once; routes through it become blackholes.</summary>
    public static async Task<NatGatewayResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? natGatewayId, DateTime now, CancellationToken ct)
    {
        var nat = await RequireAsync(tx, scope, natGatewayId, now, ct).ConfigureAwait(false);
        var state = nat.StateAt(now);
        if (state is "deleting" or "deleted" or "failed")
        {
            // AWS answers with the gateway as it is.
            return nat;
        }
        await ReleaseInterfaceAsync(tx, scope, nat, now, ct).ConfigureAwait(false);
        nat.State = "deleting";
        nat.DeletedAt = now + DeletingFor;
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        await BlackholeRoutesAsync(tx, scope, nat.VpcId, r => r.NatGatewayId == nat.Id, now, ct).ConfigureAwait(false);
        return nat;
    }

    /// <summary>AssociateNatGatewayAddress: more Elastic IPs on secondary private addresses of a public gateway.</summary>
    public static async Task<(NatGatewayResource Nat, List<NatGatewayAddressRecord> Added)> AssociateAddressesAsync(
        IStoreTransaction tx, Scope scope, string? natGatewayId, IReadOnlyList<string> allocationIds, IReadOnlyList<string> privateIps, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(allocationIds);
        ArgumentNullException.ThrowIfNull(privateIps);
        var nat = await RequireForChangeAsync(tx, scope, natGatewayId, now, ct).ConfigureAwait(false);
        if (nat.ConnectivityType != "public")
        {
            throw AwsErrors.InvalidParameterValue($"NAT gateway {nat.Id} is private: it has no Elastic IP addresses.");
        }
        if (allocationIds.Count == 0)
        {
            throw AwsErrors.MissingParameter("allocationId");
        }
        if (privateIps.Count > 0 && privateIps.Count != allocationIds.Count)
        {
            throw AwsErrors.InvalidParameterValue("The number of private IP addresses must match the number of allocation IDs.");
        }
        var eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(tx, scope, ResourceTypes.NetworkInterface, nat.NetworkInterfaceId, ct).ConfigureAwait(false);
        var added = new List<NatGatewayAddressRecord>();
        for (var i = 0; i < allocationIds.Count; i++)
        {
            var eip = await ElasticIps.RequireAsync(tx, scope, allocationIds[i], ct).ConfigureAwait(false);
            if (eip.Associated)
            {
                throw new AwsException("Resource.AlreadyAssociated", $"Elastic IP address [{eip.Id}] is already associated");
            }
            NatGatewayAddressRecord? target;
            if (privateIps.Count > 0)
            {
                target = nat.Addresses.Find(a => a.PrivateIp == privateIps[i])
                    ?? throw AwsErrors.InvalidParameterValue($"The private IP address {privateIps[i]} is not assigned to NAT gateway {nat.Id}.");
                if (target.AllocationId is not null)
                {
                    throw AwsErrors.InvalidParameterValue($"The private IP address {privateIps[i]} already has an Elastic IP address.");
                }
            }
            else if ((target = nat.Addresses.Find(a => a.AllocationId is null)) is null)
            {
                var assigned = await NetworkInterfaces.AssignAsync(tx, scope, eni, [], 1, false, now, ct).ConfigureAwait(false);
                eni = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false) ?? eni;
                target = new NatGatewayAddressRecord { PrivateIp = assigned[0], NetworkInterfaceId = eni.Id };
                nat.Addresses.Add(target);
            }
            target.AssociationId = await ElasticIps.AssociateAsync(tx, scope, eip, eni, target.PrivateIp, false, now, ct).ConfigureAwait(false);
            target.AllocationId = eip.Id;
            target.PublicIp = eip.PublicIp;
            added.Add(target);
        }
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        return (nat, added);
    }

    /// <summary>DisassociateNatGatewayAddress: secondary Elastic IPs only (the primary one stays while the gateway lives).</summary>
    public static async Task<(NatGatewayResource Nat, List<NatGatewayAddressRecord> Removed)> DisassociateAddressesAsync(
        IStoreTransaction tx, Scope scope, string? natGatewayId, IReadOnlyList<string> associationIds, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(associationIds);
        var nat = await RequireForChangeAsync(tx, scope, natGatewayId, now, ct).ConfigureAwait(false);
        if (associationIds.Count == 0)
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        var removed = new List<NatGatewayAddressRecord>();
        foreach (var id in associationIds)
        {
            var address = nat.Addresses.Find(a => a.AssociationId == id)
                ?? throw new AwsException("InvalidAssociationID.NotFound", $"The association ID '{id}' does not exist");
            if (address.IsPrimary)
            {
                throw AwsErrors.InvalidParameterValue($"The primary Elastic IP address of NAT gateway {nat.Id} cannot be disassociated.");
            }
            var eip = await ElasticIps.RequireAsync(tx, scope, address.AllocationId, ct).ConfigureAwait(false);
            await ElasticIps.DisassociateAsync(tx, scope, eip, now, ct).ConfigureAwait(false);
            removed.Add(new NatGatewayAddressRecord
            {
                AllocationId = address.AllocationId,
                AssociationId = address.AssociationId,
                PublicIp = address.PublicIp,
                PrivateIp = address.PrivateIp,
                NetworkInterfaceId = address.NetworkInterfaceId,
                Status = "disassociating",
            });
            address.AllocationId = null;
            address.AssociationId = null;
            address.PublicIp = null;
        }
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        return (nat, removed);
    }

    /// <summary>AssignPrivateNatGatewayAddress: more private addresses on the gateway's interface.</summary>
    public static async Task<(NatGatewayResource Nat, List<NatGatewayAddressRecord> Added)> AssignPrivateAddressesAsync(
        IStoreTransaction tx, Scope scope, string? natGatewayId, IReadOnlyList<string> privateIps, int? count, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(privateIps);
        var nat = await RequireForChangeAsync(tx, scope, natGatewayId, now, ct).ConfigureAwait(false);
        if ((privateIps.Count > 0) == (count is not null))
        {
            throw privateIps.Count > 0
                ? AwsErrors.InvalidParameterCombination("privateIpAddresses and privateIpAddressCount cannot be specified together.")
                : AwsErrors.MissingParameter("privateIpAddresses or privateIpAddressCount");
        }
        if (count is < 1 or > 7)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({count}) for parameter privateIpAddressCount is invalid. Expected a value between 1 and 7.");
        }
        var eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(tx, scope, ResourceTypes.NetworkInterface, nat.NetworkInterfaceId, ct).ConfigureAwait(false);
        var assigned = await NetworkInterfaces.AssignAsync(tx, scope, eni, privateIps, count, false, now, ct).ConfigureAwait(false);
        var added = assigned.Select(ip => new NatGatewayAddressRecord { PrivateIp = ip, NetworkInterfaceId = eni.Id, Status = "assigning" }).ToList();
        nat.Addresses.AddRange(added.Select(a => new NatGatewayAddressRecord { PrivateIp = a.PrivateIp, NetworkInterfaceId = a.NetworkInterfaceId }));
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        return (nat, added);
    }

    /// <summary>UnassignPrivateNatGatewayAddress: secondary private addresses without an Elastic IP.</summary>
    public static async Task<(NatGatewayResource Nat, List<NatGatewayAddressRecord> Removed)> UnassignPrivateAddressesAsync(
        IStoreTransaction tx, Scope scope, string? natGatewayId, IReadOnlyList<string> privateIps, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(privateIps);
        var nat = await RequireForChangeAsync(tx, scope, natGatewayId, now, ct).ConfigureAwait(false);
        if (privateIps.Count == 0)
        {
            throw AwsErrors.MissingParameter("privateIpAddresses");
        }
        var removed = new List<NatGatewayAddressRecord>();
        foreach (var ip in privateIps)
        {
            var address = nat.Addresses.Find(a => a.PrivateIp == ip)
                ?? throw AwsErrors.InvalidParameterValue($"The private IP address {ip} is not assigned to NAT gateway {nat.Id}.");
            if (address.IsPrimary)
            {
                throw AwsErrors.InvalidParameterValue($"The primary private IP address {ip} of NAT gateway {nat.Id} cannot be unassigned.");
            }
            if (address.AllocationId is not null)
            {
                throw AwsErrors.InvalidParameterValue($"The private IP address {ip} has an Elastic IP address; disassociate it first.");
            }
            nat.Addresses.Remove(address);
            removed.Add(new NatGatewayAddressRecord { PrivateIp = ip, NetworkInterfaceId = address.NetworkInterfaceId, Status = "unassigning" });
        }
        var eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(tx, scope, ResourceTypes.NetworkInterface, nat.NetworkInterfaceId, ct).ConfigureAwait(false);
        await NetworkInterfaces.UnassignAsync(tx, scope, eni, privateIps, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        return (nat, removed);
    }

    /// <summary>Marks routes of <paramref name="vpcId"/>'s tables that match <paramref name="through"/> as <c>blackhole</c>.</summary>
    public static async Task BlackholeRoutesAsync(IStoreTransaction tx, Scope scope, string vpcId, Func<RouteEntry, bool> through, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(through);
        foreach (var table in await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false))
        {
            if (table.VpcId != vpcId)
            {
                continue;
            }
            var changed = false;
            foreach (var route in table.Routes.Where(through))
            {
                changed |= route.State != "blackhole";
                route.State = "blackhole";
            }
            if (changed)
            {
                await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<NatGatewayResource> RequireForChangeAsync(IStoreTransaction tx, Scope scope, string? natGatewayId, DateTime now, CancellationToken ct)
    {
        var nat = await RequireAsync(tx, scope, natGatewayId, now, ct).ConfigureAwait(false);
        var state = nat.StateAt(now);
        if (state != "available")
        {
            throw new AwsException("InvalidNatGatewayState", $"NAT gateway {nat.Id} is in state {state}; it must be available.");
        }
        return nat;
    }

    private static async Task<NatGatewayResource> FailAsync(IStoreTransaction tx, Scope scope, NatGatewayResource nat, string code, string message, DateTime now, CancellationToken ct)
    {
        nat.State = "failed";
        nat.FailureCode = code;
        nat.FailureMessage = message;
        nat.DeletedAt = now;
        nat.Addresses.Clear();
        nat.NetworkInterfaceId = null;
        await tx.PutAsync(scope, ResourceTypes.NatGateway, nat.Id, nat, now, ct).ConfigureAwait(false);
        return nat;
    }

    /// <summary>Disassociates the gateway's Elastic IPs and deletes its interface.</summary>
    private static async Task ReleaseInterfaceAsync(IStoreTransaction tx, Scope scope, NatGatewayResource nat, DateTime now, CancellationToken ct)
    {
        foreach (var address in nat.Addresses.Where(a => a.AllocationId is not null))
        {
            var eip = await tx.GetAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, address.AllocationId!, ct).ConfigureAwait(false);
            if (eip is not null && eip.AssociationId == address.AssociationId)
            {
                await ElasticIps.DisassociateAsync(tx, scope, eip, now, ct).ConfigureAwait(false);
            }
        }
        if (nat.NetworkInterfaceId is { } eniId
            && await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eniId, ct).ConfigureAwait(false) is { } eni)
        {
            await tx.DeleteAsync(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false);
            await NetworkInterfaces.ReleaseAddressesAsync(tx, scope, eni.SubnetId, [.. eni.AllPrivateIpAddresses], now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes gateways that ended more than <see cref="KeptVisible"/> ago.</summary>
    private static async Task PurgeAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct)
    {
        foreach (var nat in await tx.ListAsync<NatGatewayResource>(scope, ResourceTypes.NatGateway, ct).ConfigureAwait(false))
        {
            if (!nat.VisibleAt(now))
            {
                await tx.DeleteAsync(scope, ResourceTypes.NatGateway, nat.Id, ct).ConfigureAwait(false);
            }
        }
    }
}
