using System.Security.Cryptography;
using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>A network interface's attachment to an instance.</summary>
public sealed class NetworkInterfaceAttachment
{
    public required string AttachmentId { get; init; }
    public required string InstanceId { get; init; }
    public required string InstanceOwnerId { get; init; }
    public required int DeviceIndex { get; init; }
    public string Status { get; set; } = "attached";
    public required DateTime AttachTime { get; init; }
    public bool DeleteOnTermination { get; set; }
}

/// <summary>The public address associated with a network interface's primary private address.</summary>
public sealed class NetworkInterfaceAssociation
{
    public required string PublicIp { get; init; }
    public string? PublicDnsName { get; init; }
    public string? AllocationId { get; init; }
    public string? AssociationId { get; init; }
    public required string IpOwnerId { get; init; }
}

/// <summary>An elastic network interface: addresses in one subnet, security groups, an optional attachment.</summary>
public sealed class NetworkInterfaceResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string SubnetId { get; init; }
    public required string VpcId { get; init; }
    public required string AvailabilityZone { get; init; }
    public string? AvailabilityZoneId { get; init; }
    public required string PrivateIpAddress { get; init; }
    public List<string> SecondaryPrivateIpAddresses { get; init; } = [];

    /// <summary>IPv6 addresses in the subnet's /64 (AssignIpv6Addresses, Ipv6AddressCount, AssignIpv6AddressOnCreation).</summary>
    public List<string> Ipv6Addresses { get; init; } = [];
    public required string MacAddress { get; init; }
    public string Description { get; set; } = "";
    public List<string> SecurityGroupIds { get; set; } = [];

    /// <summary><c>available</c> or <c>in-use</c>.</summary>
    public string Status { get; set; } = "available";
    public bool SourceDestCheck { get; set; } = true;

    /// <summary><c>interface</c>, <c>efa</c>, <c>efa-only</c>, <c>branch</c>, <c>trunk</c> ...</summary>
    public string InterfaceType { get; init; } = "interface";
    public bool RequesterManaged { get; init; }
    public string? RequesterId { get; init; }
    public NetworkInterfaceAttachment? Attachment { get; set; }
    public NetworkInterfaceAssociation? Association { get; set; }
    public List<Tag> Tags { get; init; } = [];

    /// <summary>Every private address of the interface, primary first.</summary>
    public IEnumerable<string> AllPrivateIpAddresses => SecondaryPrivateIpAddresses.Prepend(PrivateIpAddress);
}

/// <summary>
/// Network interfaces and the private address allocation they share with instances. A subnet
/// keeps its first four addresses and its last one for AWS; an interface gets the lowest free
/// address after those unless one is requested, and the subnet's AvailableIpAddressCount always
/// equals its usable size minus the addresses interfaces hold.
/// </summary>
public static class NetworkInterfaces
{
    /// <summary>EC2's private DNS name of an address: <c>ip-10-0-1-4.ec2.internal</c>.</summary>
    public static string PrivateDnsName(string region, string address) =>
        "ip-" + address.Replace('.', '-') + (region == "us-east-1" ? ".ec2.internal" : $".{region}.compute.internal");

    /// <summary>
    /// Creates an interface in <paramref name="subnet"/> with <paramref name="privateIp"/> (or the
    /// lowest free address) as its primary address.
    /// </summary>
    public static async Task<NetworkInterfaceResource> CreateAsync(
        IStoreTransaction tx,
        Scope scope,
        SubnetResource subnet,
        string? privateIp,
        IReadOnlyList<string> securityGroupIds,
        string? description,
        string interfaceType,
        DateTime now,
        List<Tag> tags,
        CancellationToken ct) =>
        await CreateAsync(tx, scope, subnet, privateIp, [], 0, securityGroupIds, description, interfaceType, now, tags, ct).ConfigureAwait(false);

    /// <summary>
    /// Creates an interface with secondary addresses: the ones named, then
    /// <paramref name="secondaryCount"/> more allocated.
    /// </summary>
    public static async Task<NetworkInterfaceResource> CreateAsync(
        IStoreTransaction tx,
        Scope scope,
        SubnetResource subnet,
        string? privateIp,
        IReadOnlyList<string> secondaryIps,
        int secondaryCount,
        IReadOnlyList<string> securityGroupIds,
        string? description,
        string interfaceType,
        DateTime now,
        List<Tag> tags,
        CancellationToken ct)
    {
        if (secondaryCount < 0)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({secondaryCount}) for parameter secondaryPrivateIpAddressCount is invalid. Expecting a positive number.");
        }
        var groups = await ResolveGroupsAsync(tx, scope, subnet.VpcId, securityGroupIds, ct).ConfigureAwait(false);
        var addresses = await SubnetAddresses.LoadAsync(tx, scope, subnet, ct).ConfigureAwait(false);
        var requested = new List<string>();
        if (privateIp is not null)
        {
            requested.Add(privateIp);
        }
        requested.AddRange(secondaryIps);
        foreach (var address in requested)
        {
            addresses.Check(address);
            if (requested.Count(a => a == address) > 1)
            {
                throw new AwsException("InvalidIPAddress.InUse", $"The specified address {address} is already in use.");
            }
        }
        foreach (var address in requested)
        {
            addresses.Take(address);
        }
        var primary = privateIp ?? addresses.Allocate(1)[0];
        var secondary = secondaryIps.ToList();
        secondary.AddRange(addresses.Allocate(secondaryCount));

        var eni = New(scope, subnet, primary, groups, description, interfaceType, tags);
        eni.SecondaryPrivateIpAddresses.AddRange(secondary);
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
        await addresses.SaveAsync(tx, scope, now, ct).ConfigureAwait(false);
        return eni;
    }

    /// <summary>
    /// A new interface document (not yet stored) in <paramref name="subnet"/> with
    /// <paramref name="primaryIp"/>, which the caller has taken from the subnet's <see cref="SubnetAddresses"/>.
    /// </summary>
    public static NetworkInterfaceResource New(Scope scope, SubnetResource subnet, string primaryIp, List<string> securityGroupIds, string? description, string interfaceType, List<Tag> tags)
    {
        ArgumentNullException.ThrowIfNull(subnet);
        return new NetworkInterfaceResource
        {
            Id = ResourceIds.New(ResourceTypes.NetworkInterface.IdPrefix),
            OwnerId = scope.AccountId,
            SubnetId = subnet.Id,
            VpcId = subnet.VpcId,
            AvailabilityZone = subnet.AvailabilityZone,
            AvailabilityZoneId = subnet.AvailabilityZoneId,
            PrivateIpAddress = primaryIp,
            MacAddress = NewMacAddress(),
            Description = description ?? "",
            SecurityGroupIds = securityGroupIds,
            InterfaceType = interfaceType,
            Tags = tags,
        };
    }

    /// <summary>
    /// The security groups of an interface: the VPC's default group when none are named; each
    /// named group must exist in the interface's VPC.
    /// </summary>
    public static async Task<List<string>> ResolveGroupsAsync(IStoreSession session, Scope scope, string vpcId, IReadOnlyList<string> groupIds, CancellationToken ct)
    {
        var groups = await session.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false);
        if (groupIds.Count == 0)
        {
            var fallback = groups.Find(g => g.VpcId == vpcId && g.GroupName == "default");
            return fallback is null ? [] : [fallback.Id];
        }
        foreach (var id in groupIds)
        {
            ResourceTypes.SecurityGroup.CheckId(id);
            var group = groups.Find(g => g.Id == id) ?? throw ResourceTypes.SecurityGroup.NotFound(id);
            if (group.VpcId != vpcId && !await SecurityGroupAssociations.SecurityGroupVpcAssociations.IsAssociatedAsync(session, scope, id, vpcId, ct).ConfigureAwait(false))
            {
                throw AwsErrors.InvalidParameterValue($"The security group '{id}' does not belong to VPC '{vpcId}'");
            }
        }
        if (groupIds.Count > 5)
        {
            throw new AwsException("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.");
        }
        return groupIds.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>AssignPrivateIpAddresses: the named addresses (moved from other interfaces when allowed) or a count allocated.</summary>
    public static async Task<List<string>> AssignAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, IReadOnlyList<string> addresses, int? count, bool allowReassignment, DateTime now, CancellationToken ct)
    {
        if (addresses.Count > 0 && count is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Specify either private IP addresses or a secondary private IP address count, not both.");
        }
        if (addresses.Count == 0 && count is null)
        {
            throw AwsErrors.MissingParameter("privateIpAddress or secondaryPrivateIpAddressCount");
        }
        if (count is < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({count}) for parameter secondaryPrivateIpAddressCount is invalid. Expecting a positive number.");
        }
        var subnet = await tx.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, eni.SubnetId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.Subnet.NotFound(eni.SubnetId);
        var self = await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false) ?? eni;
        var allocator = await SubnetAddresses.LoadAsync(tx, scope, subnet, ct).ConfigureAwait(false);
        List<string> assigned;
        if (addresses.Count > 0)
        {
            assigned = [];
            List<NetworkInterfaceResource>? interfaces = null;
            foreach (var address in addresses.Distinct(StringComparer.Ordinal))
            {
                if (self.AllPrivateIpAddresses.Contains(address))
                {
                    continue;
                }
                if (allowReassignment && Ipv4.TryParse(address, out var n) && allocator.IsUsed(n))
                {
                    // Only a held address needs its holder: the one rare case that reads the interfaces.
                    interfaces ??= await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
                    var holder = interfaces.Find(i => i.Id != self.Id && i.SubnetId == subnet.Id && i.AllPrivateIpAddresses.Contains(address));
                    if (holder is not null && holder.PrivateIpAddress != address)
                    {
                        holder.SecondaryPrivateIpAddresses.Remove(address);
                        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, holder.Id, holder, now, ct).ConfigureAwait(false);
                        allocator.Release(address);
                    }
                }
                allocator.Take(address);
                self.SecondaryPrivateIpAddresses.Add(address);
                assigned.Add(address);
            }
        }
        else
        {
            assigned = allocator.Allocate(count!.Value);
            self.SecondaryPrivateIpAddresses.AddRange(assigned);
        }
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, self.Id, self, now, ct).ConfigureAwait(false);
        await allocator.SaveAsync(tx, scope, now, ct).ConfigureAwait(false);
        eni.SecondaryPrivateIpAddresses.Clear();
        eni.SecondaryPrivateIpAddresses.AddRange(self.SecondaryPrivateIpAddresses);
        return assigned;
    }

    /// <summary>UnassignPrivateIpAddresses: only secondary addresses of this interface.</summary>
    public static async Task UnassignAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, IReadOnlyList<string> addresses, DateTime now, CancellationToken ct)
    {
        if (addresses.Count == 0)
        {
            throw AwsErrors.MissingParameter("privateIpAddress");
        }
        if (addresses.Any(a => !eni.SecondaryPrivateIpAddresses.Contains(a)))
        {
            throw AwsErrors.InvalidParameterValue($"Some of the specified addresses are not assigned to interface {eni.Id}");
        }
        eni.SecondaryPrivateIpAddresses.RemoveAll(addresses.Contains);
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
        await ReleaseAddressesAsync(tx, scope, eni.SubnetId, addresses, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Attaches an available interface to an instance in the same availability zone at a device
    /// index the instance does not use yet. The instance's owner checks the instance itself.
    /// </summary>
    public static async Task<NetworkInterfaceAttachment> AttachAsync(
        IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, string instanceId, string instanceAvailabilityZone,
        int deviceIndex, bool deleteOnTermination, DateTime now, CancellationToken ct)
    {
        if (deviceIndex is < 0 or > 31)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({deviceIndex}) for parameter deviceIndex is invalid.");
        }
        if (eni.Attachment is not null)
        {
            throw new AwsException("InvalidNetworkInterface.InUse", $"Interface: [{eni.Id}] in use.");
        }
        if (eni.AvailabilityZone != instanceAvailabilityZone)
        {
            throw AwsErrors.InvalidParameterCombination($"You may not attach a network interface to an instance if they are not in the same availability zone (interface in {eni.AvailabilityZone}, instance in {instanceAvailabilityZone}).");
        }
        var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        if (interfaces.Exists(i => i.Attachment is { } a && a.InstanceId == instanceId && a.DeviceIndex == deviceIndex))
        {
            throw AwsErrors.InvalidParameterValue($"Instance '{instanceId}' already has an interface attached at device index '{deviceIndex}'.");
        }
        eni.Attachment = new NetworkInterfaceAttachment
        {
            AttachmentId = ResourceIds.New("eni-attach"),
            InstanceId = instanceId,
            InstanceOwnerId = scope.AccountId,
            DeviceIndex = deviceIndex,
            AttachTime = now,
            DeleteOnTermination = deleteOnTermination,
        };
        eni.Status = "in-use";
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
        if (await tx.GetAsync<Instances.InstanceResource>(scope, ResourceTypes.Instance, instanceId, ct).ConfigureAwait(false) is { } instance
            && !instance.NetworkInterfaceIds.Contains(eni.Id) && !instance.AttachedNetworkInterfaceIds.Contains(eni.Id))
        {
            instance.AttachedNetworkInterfaceIds.Add(eni.Id);
            await Instances.InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        }
        return eni.Attachment;
    }

    /// <summary>The interface that has the attachment <paramref name="attachmentId"/>.</summary>
    public static async Task<NetworkInterfaceResource> FindByAttachmentAsync(IStoreSession session, Scope scope, string? attachmentId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(attachmentId))
        {
            throw AwsErrors.MissingParameter("attachmentId");
        }
        if (!ResourceIds.IsWellFormed("eni-attach", attachmentId) && !ResourceIds.IsWellFormed("ela-attach", attachmentId))
        {
            throw new AwsException("InvalidNetworkInterfaceAttachmentId.Malformed", $"Invalid id: \"{attachmentId}\" (expecting \"eni-attach-...\")");
        }
        var interfaces = await session.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        return interfaces.Find(i => i.Attachment?.AttachmentId == attachmentId)
            ?? throw new AwsException("InvalidAttachmentID.NotFound", $"The attachment ID '{attachmentId}' does not exist");
    }

    /// <summary>
    /// Detaches an interface. The primary interface (device index 0) stays with its instance
    /// unless <paramref name="instanceGoing"/> (the instance is being terminated).
    /// </summary>
    public static async Task DetachAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, DateTime now, CancellationToken ct, bool instanceGoing = false)
    {
        if (eni.Attachment is not { } attachment)
        {
            throw new AwsException("InvalidAttachmentID.NotFound", $"The network interface '{eni.Id}' is not attached");
        }
        if (eni.RequesterManaged && attachment.AttachmentId.StartsWith("ela-attach", StringComparison.Ordinal))
        {
            // A service's interface (a load balancer node): only the service detaches it.
            throw new AwsException("OperationNotPermitted", "You are not allowed to manage 'ela-attach' attachments.");
        }
        if (attachment.DeviceIndex == 0 && !instanceGoing)
        {
            throw new AwsException("OperationNotPermitted", $"The network interface at device index 0 cannot be detached.");
        }
        eni.Attachment = null;
        eni.Status = "available";
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
        if (!instanceGoing
            && await tx.GetAsync<Instances.InstanceResource>(scope, ResourceTypes.Instance, attachment.InstanceId, ct).ConfigureAwait(false) is { } instance
            && instance.AttachedNetworkInterfaceIds.Remove(eni.Id))
        {
            await Instances.InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes an interface that is not attached and frees its addresses.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, DateTime now, CancellationToken ct)
    {
        if (eni.Attachment is not null || eni.Status == "in-use")
        {
            throw new AwsException("InvalidNetworkInterface.InUse", $"The network interface '{eni.Id}' is currently in use.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false);
        await ReleaseAddressesAsync(tx, scope, eni.SubnetId, [.. eni.AllPrivateIpAddresses], now, ct).ConfigureAwait(false);
    }

    /// <summary>Frees addresses of a subnet (an interface deleted or its secondary addresses unassigned).</summary>
    public static async Task ReleaseAddressesAsync(IStoreTransaction tx, Scope scope, string subnetId, IReadOnlyList<string> addresses, DateTime now, CancellationToken ct)
    {
        var subnet = await tx.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
        if (subnet is null)
        {
            return;
        }
        var allocator = await SubnetAddresses.LoadAsync(tx, scope, subnet, ct).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            allocator.Release(address);
        }
        await allocator.SaveAsync(tx, scope, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A random locally administered MAC address. Forty random bits make a collision within a VPC
    /// negligible, so no existing interface is read to rule one out.
    /// </summary>
    private static string NewMacAddress()
    {
        Span<byte> bytes = stackalloc byte[5];
        RandomNumberGenerator.Fill(bytes);
        return string.Create(17, bytes.ToArray(), static (span, b) =>
        {
            const string hex = "0123456789abcdef";
            span[0] = '0';
            span[1] = '2';
            for (var i = 0; i < 5; i++)
            {
                span[2 + (i * 3)] = ':';
                span[3 + (i * 3)] = hex[b[i] >> 4];
                span[4 + (i * 3)] = hex[b[i] & 15];
            }
        });
    }
}
