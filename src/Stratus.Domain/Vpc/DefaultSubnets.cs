using Stratus.Core;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>
/// CreateDefaultSubnet: the default subnet of one availability zone in the region's default VPC,
/// as EC2 makes it — a /20 from the default VPC's CIDR block (the lowest one no subnet of the VPC
/// overlaps), default for its zone, mapping public IPv4 addresses on launch, associated with the
/// VPC's default network ACL and (implicitly) its main route table.
/// </summary>
public static class DefaultSubnets
{
    public const int PrefixLength = 20;

    public static async Task<SubnetResource> CreateAsync(IStoreTransaction tx, Scope scope, string? zoneName, string? zoneId, bool ipv6Native, DateTime now, CancellationToken ct = default)
    {
        if (zoneName is not null && zoneId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Either AvailabilityZone or AvailabilityZoneId must be specified, but not both.");
        }
        if (zoneName is null && zoneId is null)
        {
            throw AwsErrors.MissingParameter("AvailabilityZone");
        }
        var region = RegionCatalog.Get(scope.Region);
        var zone = zoneName is not null
            ? region.Zones.FirstOrDefault(z => z.ZoneName == zoneName)
                ?? throw AwsErrors.InvalidParameterValue($"Value ({zoneName}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {string.Join(", ", region.Zones.Select(z => z.ZoneName))}.")
            : region.Zones.FirstOrDefault(z => z.ZoneId == zoneId)
                ?? throw AwsErrors.InvalidParameterValue($"Value ({zoneId}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zone ids: {string.Join(", ", region.Zones.Select(z => z.ZoneId))}.");
        var vpcs = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        var vpc = vpcs.Find(v => v.IsDefault)
            ?? throw new AwsException("DefaultVpcDoesNotExist", "No default VPC for this user");
        var subnets = (await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false)).Where(s => s.VpcId == vpc.Id).ToList();
        if (subnets.Exists(s => s.DefaultForAz && s.AvailabilityZone == zone.ZoneName))
        {
            throw new AwsException("DefaultSubnetAlreadyExistsInAvailabilityZone", $"Default subnet exists for zone {zone.ZoneName}");
        }
        if (ipv6Native)
        {
            throw AwsErrors.InvalidParameterValue($"The default VPC '{vpc.Id}' has no IPv6 CIDR block; an IPv6-only default subnet cannot be created.");
        }
        var block = ChooseBlock(Ipv4Cidr.Parse(vpc.CidrBlock), subnets.Select(s => Ipv4Cidr.Parse(s.CidrBlock)))
            ?? throw new AwsException("InsufficientCidrBlocks", $"The default VPC '{vpc.Id}' has no free /{PrefixLength} block for a default subnet.");
        var subnet = new SubnetResource
        {
            Id = ResourceIds.New(ResourceTypes.Subnet.IdPrefix),
            OwnerId = scope.AccountId,
            VpcId = vpc.Id,
            CidrBlock = block.ToString(),
            AvailabilityZone = zone.ZoneName,
            AvailabilityZoneId = zone.ZoneId,
            DefaultForAz = true,
            MapPublicIpOnLaunch = true,
            AvailableIpAddressCount = (int)block.Size - Vpcs.ReservedAddresses,
        };
        await tx.PutAsync(scope, ResourceTypes.Subnet, subnet.Id, subnet, now, ct).ConfigureAwait(false);
        var acls = await tx.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false);
        if (acls.Find(a => a.VpcId == vpc.Id && a.IsDefault) is { } defaultAcl)
        {
            defaultAcl.Associations.Add(new AclLink { Id = ResourceIds.New("aclassoc"), SubnetId = subnet.Id });
            await tx.PutAsync(scope, ResourceTypes.NetworkAcl, defaultAcl.Id, defaultAcl, now, ct).ConfigureAwait(false);
        }
        return subnet;
    }

    /// <summary>The lowest /20 of <paramref name="vpcBlock"/> that overlaps none of <paramref name="taken"/>; null when none is free.</summary>
    public static Ipv4Cidr? ChooseBlock(Ipv4Cidr vpcBlock, IEnumerable<Ipv4Cidr> taken)
    {
        if (vpcBlock.PrefixLength > PrefixLength)
        {
            return null;
        }
        var used = taken.ToList();
        var step = 1u << (32 - PrefixLength);
        var count = 1L << (PrefixLength - vpcBlock.PrefixLength);
        for (long i = 0; i < count; i++)
        {
            var candidate = new Ipv4Cidr(vpcBlock.Network + (uint)(i * step), PrefixLength);
            if (!used.Exists(u => u.Overlaps(candidate)))
            {
                return candidate;
            }
        }
        return null;
    }
}
