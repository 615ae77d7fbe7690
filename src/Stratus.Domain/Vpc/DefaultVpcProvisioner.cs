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

    /// <summary>Forgets what was provisioned for the account (its state was reset): the next request in a region provisions again.</summary>
    public void Forget(string accountId)
    {
        foreach (var scope in _done.Keys.Where(s => s.AccountId == accountId).ToList())
        {
            _done.TryRemove(scope, out _);
        }
    }

    private async Task CreateAsync(IStoreTransaction tx, Scope scope, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var dhcp = NewDefaultDhcpOptions(scope);
        await tx.PutAsync(scope, ResourceTypes.DhcpOptions, dhcp.Id, dhcp, now, ct).ConfigureAwait(false);
        var vpc = await CreateDefaultVpcAsync(tx, scope, dhcp.Id, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.RegionSetup, SetupId, new RegionSetup { DefaultVpcId = vpc.Id, DefaultDhcpOptionsId = dhcp.Id, CreatedAt = now }, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a default VPC (CreateDefaultVpc and the first use of a region): 172.31.0.0/16 with
    /// DNS hostnames on, a /20 default subnet per zone mapping public IPs, an attached internet
    /// gateway and 0.0.0.0/0 routed to it in the main route table.
    /// </summary>
    public static async Task<VpcResource> CreateDefaultVpcAsync(IStoreTransaction tx, Scope scope, string dhcpOptionsId, DateTime now, CancellationToken ct)
    {
        var owner = scope.AccountId;
        var region = RegionCatalog.Get(scope.Region);
        var vpc = new VpcResource
        {
            Id = ResourceIds.New(ResourceTypes.Vpc.IdPrefix),
            OwnerId = owner,
            CidrBlock = DefaultVpcCidr,
            CidrBlockAssociationId = ResourceIds.New("vpc-cidr-assoc"),
            DhcpOptionsId = dhcpOptionsId,
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
        var routeTable = NewMainRouteTable(owner, vpc);
        routeTable.Routes.Add(new RouteEntry { DestinationCidrBlock = "0.0.0.0/0", GatewayId = igw.Id, Origin = "CreateRoute" });
        var acl = NewDefaultNetworkAcl(owner, vpc.Id);
        acl.Associations.AddRange(subnets.Select(s => new AclLink { Id = ResourceIds.New("aclassoc"), SubnetId = s.Id }));

        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.InternetGateway, igw.Id, igw, now, ct).ConfigureAwait(false);
        foreach (var subnet in subnets)
        {
            await tx.PutAsync(scope, ResourceTypes.Subnet, subnet.Id, subnet, now, ct).ConfigureAwait(false);
        }
        await tx.PutAsync(scope, ResourceTypes.RouteTable, routeTable.Id, routeTable, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
        await SecurityGroups.SecurityGroups.CreateDefaultAsync(tx, scope, vpc.Id, now, ct).ConfigureAwait(false);
        return vpc;
    }

    /// <summary>The DHCP options AWS gives a region: its internal domain name and Amazon's DNS.</summary>
    public static DhcpOptionsResource NewDefaultDhcpOptions(Scope scope) => new()
    {
        Id = ResourceIds.New(ResourceTypes.DhcpOptions.IdPrefix),
        OwnerId = scope.AccountId,
        Configurations =
        [
            new DhcpSetting { Key = "domain-name", Values = [scope.Region == "us-east-1" ? "ec2.internal" : $"{scope.Region}.compute.internal"] },
            new DhcpSetting { Key = "domain-name-servers", Values = ["AmazonProvidedDNS"] },
        ],
    };

    /// <summary>A VPC's main route table: the local route for the VPC's CIDR block and the main association.</summary>
    public static RouteTableResource NewMainRouteTable(string ownerId, VpcResource vpc) => new()
    {
        Id = ResourceIds.New(ResourceTypes.RouteTable.IdPrefix),
        OwnerId = ownerId,
        VpcId = vpc.Id,
        Routes = [new RouteEntry { DestinationCidrBlock = vpc.CidrBlock, GatewayId = "local", Origin = "CreateRouteTable" }],
        Associations = [new RouteTableLink { Id = ResourceIds.New("rtbassoc"), Main = true }],
    };

    /// <summary>A VPC's default network ACL: allow all (rule 100) then deny all, both directions.</summary>
    public static NetworkAclResource NewDefaultNetworkAcl(string ownerId, string vpcId) => new()
    {
        Id = ResourceIds.New(ResourceTypes.NetworkAcl.IdPrefix),
        OwnerId = ownerId,
        VpcId = vpcId,
        IsDefault = true,
        Entries =
        [
            new AclEntry { RuleNumber = 100, Protocol = "-1", RuleAction = "allow", Egress = false, CidrBlock = "0.0.0.0/0" },
            new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = false, CidrBlock = "0.0.0.0/0" },
            new AclEntry { RuleNumber = 100, Protocol = "-1", RuleAction = "allow", Egress = true, CidrBlock = "0.0.0.0/0" },
            new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = true, CidrBlock = "0.0.0.0/0" },
        ],
    };

    /// <summary>Records <paramref name="vpcId"/> as the region's default VPC (after CreateDefaultVpc).</summary>
    public static async Task SetDefaultVpcAsync(IStoreTransaction tx, Scope scope, string vpcId, DateTime now, CancellationToken ct)
    {
        var setup = await tx.GetAsync<RegionSetup>(scope, ResourceTypes.RegionSetup, SetupId, ct).ConfigureAwait(false);
        var updated = new RegionSetup { DefaultVpcId = vpcId, DefaultDhcpOptionsId = setup?.DefaultDhcpOptionsId, CreatedAt = setup?.CreatedAt ?? now };
        await tx.PutAsync(scope, ResourceTypes.RegionSetup, SetupId, updated, setup?.CreatedAt ?? now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The region's default DHCP options (which new VPCs get), created again when it was deleted.
    /// </summary>
    public static async Task<string> DefaultDhcpOptionsIdAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct)
    {
        var setup = await tx.GetAsync<RegionSetup>(scope, ResourceTypes.RegionSetup, SetupId, ct).ConfigureAwait(false);
        var id = setup?.DefaultDhcpOptionsId;
        if (id is null && setup is not null)
        {
            id = (await tx.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, setup.DefaultVpcId, ct).ConfigureAwait(false))?.DhcpOptionsId;
        }
        if (id is not null && await tx.GetAsync<DhcpOptionsResource>(scope, ResourceTypes.DhcpOptions, id, ct).ConfigureAwait(false) is not null)
        {
            return id;
        }
        var dhcp = NewDefaultDhcpOptions(scope);
        await tx.PutAsync(scope, ResourceTypes.DhcpOptions, dhcp.Id, dhcp, now, ct).ConfigureAwait(false);
        if (setup is not null)
        {
            var updated = new RegionSetup { DefaultVpcId = setup.DefaultVpcId, DefaultDhcpOptionsId = dhcp.Id, CreatedAt = setup.CreatedAt };
            await tx.PutAsync(scope, ResourceTypes.RegionSetup, SetupId, updated, setup.CreatedAt, ct).ConfigureAwait(false);
        }
        return dhcp.Id;
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
