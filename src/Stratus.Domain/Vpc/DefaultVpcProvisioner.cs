using System.Collections.Concurrent;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>
/// Creates an account's default VPC in a region the first time the account uses that region, as
/// AWS does: 172.31.0.0/16 with a /20 default subnet per availability zone (public IPs on launch),
/// an attached internet gateway, a main route table routing 0.0.0.0/0 to it, the default network
/// ACL (allow all, then deny all), the default security group (all traffic from itself in, all
/// out) and the region's DHCP options. Runs once per account and region; deleting the default VPC
/// later does not bring it back.
/// </summary>
public sealed class DefaultVpcProvisioner(IStateStore store, TimeProvider clock)
{
    public const string DefaultVpcCidr = "172.31.0.0/16";
    private const string SetupId = "default";
    private readonly ConcurrentDictionary<Scope, bool> _done = new();

    public async Task EnsureAsync(Scope scope, CancellationToken ct = default)
    {
        if (_done.ContainsKey(scope))
        {
            return;
        }
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            if (await read.GetAsync<RegionSetup>(scope, ResourceTypes.RegionSetup, SetupId, ct).ConfigureAwait(false) is not null)
            {
                _done[scope] = true;
                return;
            }
        }
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        if (await tx.GetAsync<RegionSetup>(scope, ResourceTypes.RegionSetup, SetupId, ct).ConfigureAwait(false) is null)
        {
            await CreateAsync(tx, scope, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        _done[scope] = true;
    }

    private async Task CreateAsync(IStoreTransaction tx, Scope scope, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var owner = scope.AccountId;
        var region = RegionCatalog.Get(scope.Region);

        var dhcp = new DhcpOptionsResource
        {
            Id = ResourceIds.New(ResourceTypes.DhcpOptions.IdPrefix),
            OwnerId = owner,
            Configurations =
            [
                new DhcpSetting { Key = "domain-name", Values = [scope.Region == "us-east-1" ? "ec2.internal" : $"{scope.Region}.compute.internal"] },
                new DhcpSetting { Key = "domain-name-servers", Values = ["AmazonProvidedDNS"] },
            ],
        };
        var vpc = new VpcResource
        {
            Id = ResourceIds.New(ResourceTypes.Vpc.IdPrefix),
            OwnerId = owner,
            CidrBlock = DefaultVpcCidr,
            CidrBlockAssociationId = ResourceIds.New("vpc-cidr-assoc"),
            DhcpOptionsId = dhcp.Id,
            IsDefault = true,
            EnableDnsHostnames = true,
        };
        var igw = new InternetGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.InternetGateway.IdPrefix),
            OwnerId = owner,
            Attachments = [new GatewayAttachment { VpcId = vpc.Id }],
        };
        var subnets = region.Zones.Select((zone, i) => new SubnetResource
        {
            Id = ResourceIds.New(ResourceTypes.Subnet.IdPrefix),
            OwnerId = owner,
            VpcId = vpc.Id,
            CidrBlock = $"172.31.{i * 16}.0/20",
            AvailabilityZone = zone.ZoneName,
            AvailabilityZoneId = zone.ZoneId,
            DefaultForAz = true,
            MapPublicIpOnLaunch = true,
            AvailableIpAddressCount = 4096 - 5,
        }).ToList();
        var routeTable = new RouteTableResource
        {
            Id = ResourceIds.New(ResourceTypes.RouteTable.IdPrefix),
            OwnerId = owner,
            VpcId = vpc.Id,
            Routes =
            [
                new RouteEntry { DestinationCidrBlock = DefaultVpcCidr, GatewayId = "local", Origin = "CreateRouteTable" },
                new RouteEntry { DestinationCidrBlock = "0.0.0.0/0", GatewayId = igw.Id, Origin = "CreateRoute" },
            ],
            Associations = [new RouteTableLink { Id = ResourceIds.New("rtbassoc"), Main = true }],
        };
        var acl = new NetworkAclResource
        {
            Id = ResourceIds.New(ResourceTypes.NetworkAcl.IdPrefix),
            OwnerId = owner,
            VpcId = vpc.Id,
            IsDefault = true,
            Entries =
            [
                new AclEntry { RuleNumber = 100, Protocol = "-1", RuleAction = "allow", Egress = false, CidrBlock = "0.0.0.0/0" },
                new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = false, CidrBlock = "0.0.0.0/0" },
                new AclEntry { RuleNumber = 100, Protocol = "-1", RuleAction = "allow", Egress = true, CidrBlock = "0.0.0.0/0" },
                new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = true, CidrBlock = "0.0.0.0/0" },
            ],
            Associations = subnets.Select(s => new AclLink { Id = ResourceIds.New("aclassoc"), SubnetId = s.Id }).ToList(),
        };
        await tx.PutAsync(scope, ResourceTypes.DhcpOptions, dhcp.Id, dhcp, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.InternetGateway, igw.Id, igw, now, ct).ConfigureAwait(false);
        foreach (var subnet in subnets)
        {
            await tx.PutAsync(scope, ResourceTypes.Subnet, subnet.Id, subnet, now, ct).ConfigureAwait(false);
        }
        await tx.PutAsync(scope, ResourceTypes.RouteTable, routeTable.Id, routeTable, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
        await SecurityGroups.SecurityGroups.CreateDefaultAsync(tx, scope, vpc.Id, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.RegionSetup, SetupId, new RegionSetup { DefaultVpcId = vpc.Id, CreatedAt = now }, now, ct).ConfigureAwait(false);
    }

    /// <summary>The default VPC id of an account in a region, once provisioned; null if it was never created.</summary>
    public static async Task<string?> FindDefaultVpcIdAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        var setup = await session.GetAsync<RegionSetup>(scope, ResourceTypes.RegionSetup, SetupId, ct).ConfigureAwait(false);
        if (setup is null)
        {
            return null;
        }
        var vpc = await session.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, setup.DefaultVpcId, ct).ConfigureAwait(false);
        return vpc?.Id;
    }
}
