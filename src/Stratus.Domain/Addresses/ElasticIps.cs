using System.Net;
using System.Net.Sockets;
using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Instances;
using Stratus.Domain.Quotas;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Addresses;

/// <summary>An Elastic IP address allocated to the account, and where it is associated.</summary>
public sealed class ElasticIpResource : ITaggable
{
    /// <summary>The allocation id (<c>eipalloc-...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The public address (the document field <c>publicIp</c> the public address pool reads).</summary>
    public required string PublicIp { get; init; }
    public required string OwnerId { get; init; }
    public string Domain { get; init; } = "vpc";
    public required string NetworkBorderGroup { get; init; }
    public string PublicIpv4Pool { get; init; } = "amazon";
    public string? AssociationId { get; set; }
    public string? NetworkInterfaceId { get; set; }
    public string? NetworkInterfaceOwnerId { get; set; }
    public string? PrivateIpAddress { get; set; }

    /// <summary>The reverse DNS record set with ModifyAddressAttribute (with its trailing dot).</summary>
    public string? PtrRecord { get; set; }
    public List<Tag> Tags { get; init; } = [];

    public bool Associated => AssociationId is not null;
}

/// <summary>
/// Elastic IP addresses: allocation (up to the account's EC2-VPC Elastic IPs quota per region, five unless adjusted), release, association with a network
/// interface's private address (an instance's primary interface when an instance is named) and
/// disassociation. An Elastic IP on an instance's primary address replaces the instance's
/// auto-assigned public address and stays through stop and start; disassociating it gives a
/// running instance that maps public addresses a new auto-assigned one.
/// </summary>
public static class ElasticIps
{
    public const string AssociationPrefix = "eipassoc";

    public static async Task<ElasticIpResource> AllocateAsync(IStoreTransaction tx, Scope scope, string? domain, string? address, string? pool, string? networkBorderGroup, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        if (domain is not (null or "vpc"))
        {
            throw domain == "standard"
                ? AwsErrors.InvalidParameterValue("EC2-Classic is not supported: Elastic IP addresses are allocated for use in a VPC (domain 'vpc').")
                : AwsErrors.InvalidParameterValue($"Value ({domain}) for parameter domain is invalid. Expected: 'vpc'.");
        }
        if (pool is not (null or "amazon"))
        {
            throw new AwsException("InvalidPublicIpv4PoolID.NotFound", $"The publicIpv4Pool ID '{pool}' does not exist");
        }
        if (networkBorderGroup is not null && networkBorderGroup != scope.Region)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({networkBorderGroup}) for parameter networkBorderGroup is invalid. The network border group must be '{scope.Region}'.");
        }
        if (address is not null)
        {
            if (!IPAddress.TryParse(address, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetwork)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({address}) for parameter address is invalid.");
            }
            throw new AwsException("InvalidAddress.NotFound", $"Address '{address}' not found.");
        }
        var existing = await tx.ListAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, ct).ConfigureAwait(false);
        if (existing.Count >= await AccountQuotas.GetValueAsync(tx, scope, QuotaCatalog.ElasticIps, ct).ConfigureAwait(false))
        {
            throw new AwsException("AddressLimitExceeded", "The maximum number of addresses has been reached.");
        }
        var eip = new ElasticIpResource
        {
            Id = ResourceIds.New(ResourceTypes.ElasticIp.IdPrefix),
            PublicIp = await PublicAddressPool.AllocateAsync(tx, scope.Region, ct).ConfigureAwait(false),
            OwnerId = scope.AccountId,
            NetworkBorderGroup = scope.Region,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.ElasticIp, eip.Id, eip, now, ct).ConfigureAwait(false);
        return eip;
    }

    /// <summary>The address with allocation id <paramref name="allocationId"/>.</summary>
    public static async Task<ElasticIpResource> RequireAsync(IStoreSession session, Scope scope, string? allocationId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(allocationId))
        {
            throw AwsErrors.MissingParameter("allocationId");
        }
        ResourceTypes.ElasticIp.CheckId(allocationId);
        return await session.GetAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, allocationId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.ElasticIp.NotFound(allocationId);
    }

    /// <summary>The address whose public IP is <paramref name="publicIp"/>.</summary>
    public static async Task<ElasticIpResource> RequireByPublicIpAsync(IStoreSession session, Scope scope, string publicIp, CancellationToken ct)
    {
        var all = await session.ListAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, ct).ConfigureAwait(false);
        return all.Find(a => a.PublicIp == publicIp) ?? throw AddressNotFound(publicIp);
    }

    public static AwsException AddressNotFound(string publicIp) => new("InvalidAddress.NotFound", $"Address '{publicIp}' not found.");

    /// <summary>
    /// Releases an address. One associated in the default VPC is disassociated first; one
    /// associated in any other VPC must be disassociated before.
    /// </summary>
    public static async Task ReleaseAsync(IStoreTransaction tx, Scope scope, ElasticIpResource eip, DateTime now, CancellationToken ct)
    {
        if (eip.Associated)
        {
            var eni = eip.NetworkInterfaceId is { } eniId
                ? await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eniId, ct).ConfigureAwait(false)
                : null;
            var vpc = eni is null ? null : await tx.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, eni.VpcId, ct).ConfigureAwait(false);
            if (eni is not null && vpc is not { IsDefault: true })
            {
                throw new AwsException("InvalidIPAddress.InUse", $"Address {eip.PublicIp} is in use.");
            }
            await DisassociateAsync(tx, scope, eip, now, ct).ConfigureAwait(false);
        }
        await tx.DeleteAsync(scope, ResourceTypes.ElasticIp, eip.Id, ct).ConfigureAwait(false);
        await PublicAddressPool.ReleaseAsync(tx, scope.Region, eip.PublicIp, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Associates <paramref name="eip"/> with <paramref name="eni"/>'s <paramref name="privateIp"/>
    /// (its primary address when null). An address associated elsewhere moves unless
    /// <paramref name="allowReassociation"/> is false; an Elastic IP already on the target is disassociated
    /// (it stays allocated); an auto-assigned public address on the target is released.
    /// </summary>
    public static async Task<string> AssociateAsync(IStoreTransaction tx, Scope scope, ElasticIpResource eip, NetworkInterfaceResource eni, string? privateIp, bool allowReassociation, DateTime now, CancellationToken ct)
    {
        privateIp ??= eni.PrivateIpAddress;
        if (!eni.AllPrivateIpAddresses.Contains(privateIp))
        {
            throw AwsErrors.InvalidParameterValue($"The specified private IP address '{privateIp}' is not assigned to network interface '{eni.Id}'.");
        }
        var igws = await tx.ListAsync<InternetGatewayResource>(scope, ResourceTypes.InternetGateway, ct).ConfigureAwait(false);
        if (!igws.Exists(g => g.Attachments.Exists(a => a.VpcId == eni.VpcId)))
        {
            throw new AwsException("Gateway.NotAttached", $"Network {eni.VpcId} is not attached to any internet gateway");
        }
        if (eip.Associated)
        {
            if (eip.NetworkInterfaceId == eni.Id && eip.PrivateIpAddress == privateIp)
            {
                return eip.AssociationId!;
            }
            if (!allowReassociation)
            {
                throw new AwsException("Resource.AlreadyAssociated", $"resource {eip.Id} is already associated with associate-id {eip.AssociationId}");
            }
            await DisassociateAsync(tx, scope, eip, now, ct).ConfigureAwait(false);
            eni = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false) ?? eni;
        }
        var all = await tx.ListAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, ct).ConfigureAwait(false);
        foreach (var previous in all.Where(a => a.Id != eip.Id && a.NetworkInterfaceId == eni.Id && a.PrivateIpAddress == privateIp))
        {
            Clear(previous);
            await tx.PutAsync(scope, ResourceTypes.ElasticIp, previous.Id, previous, now, ct).ConfigureAwait(false);
        }
        eip.AssociationId = ResourceIds.New(AssociationPrefix);
        eip.NetworkInterfaceId = eni.Id;
        eip.NetworkInterfaceOwnerId = eni.OwnerId;
        eip.PrivateIpAddress = privateIp;
        await tx.PutAsync(scope, ResourceTypes.ElasticIp, eip.Id, eip, now, ct).ConfigureAwait(false);

        if (privateIp == eni.PrivateIpAddress)
        {
            if (eni.Association is { AllocationId: null } auto)
            {
                // The auto-assigned address the Elastic IP replaces goes back to the pool.
                await PublicAddressPool.ReleaseAsync(tx, scope.Region, auto.PublicIp, ct).ConfigureAwait(false);
            }
            var dns = PublicAddressPool.DnsName(eip.PublicIp, scope.Region);
            eni.Association = new NetworkInterfaceAssociation
            {
                PublicIp = eip.PublicIp,
                PublicDnsName = dns,
                AllocationId = eip.Id,
                AssociationId = eip.AssociationId,
                IpOwnerId = eip.OwnerId,
            };
            await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
            if (await PrimaryInstanceAsync(tx, scope, eni, ct).ConfigureAwait(false) is { } instance)
            {
                instance.PublicIpAddress = eip.PublicIp;
                instance.PublicDnsName = dns;
                await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
            }
        }
        return eip.AssociationId;
    }

    /// <summary>The address with association id <paramref name="associationId"/>.</summary>
    public static async Task<ElasticIpResource> RequireByAssociationAsync(IStoreSession session, Scope scope, string? associationId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(associationId))
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        var all = await session.ListAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, ct).ConfigureAwait(false);
        return all.Find(a => a.AssociationId == associationId)
            ?? throw new AwsException("InvalidAssociationID.NotFound", $"The association ID '{associationId}' does not exist");
    }

    /// <summary>
    /// Disassociates an address. When it was on an instance's primary address, the instance gets
    /// a new auto-assigned public address if it maps one and is pending or running, and none otherwise.
    /// </summary>
    public static async Task DisassociateAsync(IStoreTransaction tx, Scope scope, ElasticIpResource eip, DateTime now, CancellationToken ct)
    {
        var eniId = eip.NetworkInterfaceId;
        Clear(eip);
        await tx.PutAsync(scope, ResourceTypes.ElasticIp, eip.Id, eip, now, ct).ConfigureAwait(false);
        if (eniId is null)
        {
            return;
        }
        var eni = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eniId, ct).ConfigureAwait(false);
        if (eni?.Association?.AllocationId != eip.Id)
        {
            return;
        }
        eni.Association = null;
        var instance = await PrimaryInstanceAsync(tx, scope, eni, ct).ConfigureAwait(false);
        if (instance is not null)
        {
            instance.PublicIpAddress = null;
            instance.PublicDnsName = null;
            if (instance.AssignPublicIp && instance.State is InstanceStates.Pending or InstanceStates.Running)
            {
                instance.PublicIpAddress = await PublicAddressPool.AllocateAsync(tx, scope.Region, ct).ConfigureAwait(false);
                instance.PublicDnsName = PublicAddressPool.DnsName(instance.PublicIpAddress, scope.Region);
                eni.Association = new NetworkInterfaceAssociation { PublicIp = instance.PublicIpAddress, PublicDnsName = instance.PublicDnsName, IpOwnerId = "amazon" };
            }
            await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        }
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// On terminate: addresses on the instance's interfaces (<paramref name="instanceInterfaces"/>) that
    /// are deleted with it are disassociated (they stay allocated); those on interfaces that stay keep
    /// their association.
    /// </summary>
    public static async Task ReleaseForTerminationAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<NetworkInterfaceResource> instanceInterfaces, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(instanceInterfaces);
        var interfaces = instanceInterfaces.Where(n => n.Attachment?.DeleteOnTermination == true).ToDictionary(n => n.Id, StringComparer.Ordinal);
        if (interfaces.Count == 0)
        {
            return;
        }
        // The account's Elastic IPs are few (a quota of five unless raised): read them all.
        var all = await tx.ListAsync<ElasticIpResource>(scope, ResourceTypes.ElasticIp, ct).ConfigureAwait(false);
        foreach (var eip in all)
        {
            if (eip.NetworkInterfaceId is { } id && interfaces.TryGetValue(id, out var eni))
            {
                Clear(eip);
                await tx.PutAsync(scope, ResourceTypes.ElasticIp, eip.Id, eip, now, ct).ConfigureAwait(false);
                eni.Association = null;
                await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The instance whose primary interface <paramref name="eni"/> is, if any.</summary>
    private static async Task<InstanceResource?> PrimaryInstanceAsync(IStoreSession session, Scope scope, NetworkInterfaceResource eni, CancellationToken ct) =>
        eni.Attachment is { DeviceIndex: 0 } attachment
            ? await session.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, attachment.InstanceId, ct).ConfigureAwait(false)
            : null;

    private static void Clear(ElasticIpResource eip)
    {
        eip.AssociationId = null;
        eip.NetworkInterfaceId = null;
        eip.NetworkInterfaceOwnerId = null;
        eip.PrivateIpAddress = null;
    }
}
