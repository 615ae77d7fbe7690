using Stratus.Core;
using Stratus.Domain.Quotas;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>
/// VPCs, subnets, internet gateways and DHCP options with EC2's rules: CIDR sizes, overlaps,
/// attachments, and the dependencies that block deletion.
/// </summary>
public static class Vpcs
{
    /// <summary>The smallest and largest IPv4 block EC2 allows for a VPC or subnet.</summary>
    public const int MinPrefix = 16, MaxPrefix = 28;

    /// <summary>The addresses AWS reserves in every subnet: the first four and the last.</summary>
    public const int ReservedAddresses = 5;

    /// <summary>Loads a resource by id: malformed and unknown ids are EC2's errors for the type.</summary>
    public static async Task<T> RequireAsync<T>(IStoreSession session, Scope scope, ResourceType type, string? id, CancellationToken ct)
        where T : class
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter(type.Name switch
            {
                "vpc" => "vpcId",
                "subnet" => "subnetId",
                "internet-gateway" => "internetGatewayId",
                "route-table" => "routeTableId",
                "network-acl" => "networkAclId",
                "dhcp-options" => "dhcpOptionsId",
                "network-interface" => "networkInterfaceId",
                _ => type.Name,
            });
        }
        type.CheckId(id);
        return await session.GetAsync<T>(scope, type, id, ct).ConfigureAwait(false) ?? throw type.NotFound(id);
    }

    // ---- VPCs --------------------------------------------------------------------------------

    public static Ipv4Cidr ParseCidr(string? cidr, string parameter, string rangeCode)
    {
        if (!Ipv4Cidr.TryParse(cidr, out var block))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter {parameter} is invalid. This is not a valid CIDR block.");
        }
        if (block.PrefixLength is < MinPrefix or > MaxPrefix)
        {
            throw new AwsException(rangeCode, $"The CIDR '{cidr}' is invalid.");
        }
        return block;
    }

    /// <summary>
    /// CreateVpc: the VPC with its main route table (local route), default network ACL and
    /// default security group, using the region's default DHCP options.
    /// </summary>
    public static async Task<VpcResource> CreateAsync(IStoreTransaction tx, Scope scope, string? cidrBlock, string? instanceTenancy, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        if (cidrBlock is null)
        {
            throw AwsErrors.MissingParameter("cidrBlock");
        }
        var block = ParseCidr(cidrBlock, "cidrBlock", "InvalidVpc.Range");
        var tenancy = instanceTenancy ?? "default";
        if (tenancy is not ("default" or "dedicated"))
        {
            throw AwsErrors.InvalidParameterValue($"The tenancy value {tenancy} is not supported.");
        }
        var existing = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        if (existing.Count >= await AccountQuotas.GetValueAsync(tx, scope, QuotaCatalog.VpcsPerRegion, ct).ConfigureAwait(false))
        {
            throw new AwsException("VpcLimitExceeded", "The maximum number of VPCs has been reached.");
        }
        var vpc = new VpcResource
        {
            Id = ResourceIds.New(ResourceTypes.Vpc.IdPrefix),
            OwnerId = scope.AccountId,
            CidrBlock = block.ToString(),
            CidrBlockAssociationId = ResourceIds.New("vpc-cidr-assoc"),
            DhcpOptionsId = await DefaultVpcProvisioner.DefaultDhcpOptionsIdAsync(tx, scope, now, ct).ConfigureAwait(false),
            InstanceTenancy = tenancy,
            Tags = tags,
        };
        var routeTable = DefaultVpcProvisioner.NewMainRouteTable(scope.AccountId, vpc);
        var acl = DefaultVpcProvisioner.NewDefaultNetworkAcl(scope.AccountId, vpc.Id);
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, routeTable.Id, routeTable, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
        await SecurityGroups.SecurityGroups.CreateDefaultAsync(tx, scope, vpc.Id, now, ct).ConfigureAwait(false);
        return vpc;
    }

    /// <summary>CreateDefaultVpc: refused while the region has a default VPC.</summary>
    public static async Task<VpcResource> CreateDefaultAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct)
    {
        var vpcs = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        if (vpcs.Exists(v => v.IsDefault))
        {
            throw new AwsException("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.");
        }
        var dhcp = await DefaultVpcProvisioner.DefaultDhcpOptionsIdAsync(tx, scope, now, ct).ConfigureAwait(false);
        var vpc = await DefaultVpcProvisioner.CreateDefaultVpcAsync(tx, scope, dhcp, now, ct).ConfigureAwait(false);
        await DefaultVpcProvisioner.SetDefaultVpcAsync(tx, scope, vpc.Id, now, ct).ConfigureAwait(false);
        return vpc;
    }

    /// <summary>
    /// DeleteVpc: refused (DependencyViolation) while the VPC has subnets, attached internet
    /// gateways, egress-only or carrier gateways, security groups other than its default one, network interfaces or route tables
    /// other than its main one; the main route table, default network ACL and default security
    /// group go with it.
    /// </summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? vpcId, CancellationToken ct)
    {
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var dependency = new AwsException("DependencyViolation", $"The vpc '{vpc.Id}' has dependencies and cannot be deleted.");
        var subnets = await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        var gateways = await tx.ListAsync<InternetGatewayResource>(scope, ResourceTypes.InternetGateway, ct).ConfigureAwait(false);
        var groups = (await tx.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false)).Where(g => g.VpcId == vpc.Id).ToList();
        var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        var tables = (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpc.Id).ToList();
        if (subnets.Exists(s => s.VpcId == vpc.Id)
            || gateways.Exists(g => g.Attachments.Exists(a => a.VpcId == vpc.Id))
            || groups.Exists(g => g.GroupName != "default")
            || interfaces.Exists(i => i.VpcId == vpc.Id)
            || tables.Exists(t => !t.Associations.Exists(a => a.Main))
            || (await tx.ListAsync<EgressOnly.EgressOnlyInternetGatewayResource>(scope, ResourceTypes.EgressOnlyInternetGateway, ct).ConfigureAwait(false)).Exists(g => g.VpcId == vpc.Id)
            || (await tx.ListAsync<Carrier.CarrierGatewayResource>(scope, ResourceTypes.CarrierGateway, ct).ConfigureAwait(false)).Exists(g => g.VpcId == vpc.Id))
        {
            throw dependency;
        }
        var acls = (await tx.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false)).Where(a => a.VpcId == vpc.Id);
        foreach (var acl in acls)
        {
            await tx.DeleteAsync(scope, ResourceTypes.NetworkAcl, acl.Id, ct).ConfigureAwait(false);
        }
        foreach (var table in tables)
        {
            await tx.DeleteAsync(scope, ResourceTypes.RouteTable, table.Id, ct).ConfigureAwait(false);
        }
        foreach (var group in groups)
        {
            foreach (var rule in await SecurityGroups.SecurityGroups.RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false))
            {
                await tx.DeleteAsync(scope, ResourceTypes.SecurityGroupRule, rule.Id, ct).ConfigureAwait(false);
            }
            await tx.DeleteAsync(scope, ResourceTypes.SecurityGroup, group.Id, ct).ConfigureAwait(false);
        }
        await tx.DeleteAsync(scope, ResourceTypes.Vpc, vpc.Id, ct).ConfigureAwait(false);
    }

    /// <summary>ModifyVpcAttribute: exactly one attribute per call; DNS hostnames need DNS support.</summary>
    public static async Task ModifyAttributeAsync(IStoreTransaction tx, Scope scope, string? vpcId, bool? dnsSupport, bool? dnsHostnames, bool? addressUsageMetrics, DateTime now, CancellationToken ct)
    {
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var given = new[] { dnsSupport, dnsHostnames, addressUsageMetrics }.Count(v => v is not null);
        if (given == 0)
        {
            throw AwsErrors.MissingParameter("enableDnsSupport, enableDnsHostnames or enableNetworkAddressUsageMetrics");
        }
        if (given > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics");
        }
        if (dnsHostnames == true && !vpc.EnableDnsSupport)
        {
            throw AwsErrors.InvalidParameterValue("Invalid parameter: enableDnsHostnames requires enableDnsSupport to be enabled.");
        }
        if (dnsSupport == false && vpc.EnableDnsHostnames)
        {
            throw AwsErrors.InvalidParameterValue("Invalid parameter: enableDnsSupport cannot be disabled while enableDnsHostnames is enabled.");
        }
        vpc.EnableDnsSupport = dnsSupport ?? vpc.EnableDnsSupport;
        vpc.EnableDnsHostnames = dnsHostnames ?? vpc.EnableDnsHostnames;
        vpc.EnableNetworkAddressUsageMetrics = addressUsageMetrics ?? vpc.EnableNetworkAddressUsageMetrics;
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
    }

    /// <summary>The most IPv4 blocks a VPC may have (AWS's default quota).</summary>
    public const int MaxCidrBlocksPerVpc = 5;

    private static readonly Ipv4Cidr[] PrivateRanges = [Ipv4Cidr.Parse("10.0.0.0/8"), Ipv4Cidr.Parse("172.16.0.0/12"), Ipv4Cidr.Parse("192.168.0.0/16")];

    /// <summary>
    /// AssociateVpcCidrBlock: another /16–/28 block that overlaps none of the VPC's blocks, from
    /// the same RFC 1918 range as the primary block when that is private; at most five blocks.
    /// Every route table of the VPC gets its local route.
    /// </summary>
    public static async Task<(VpcResource Vpc, VpcCidrAssociation Association)> AssociateCidrBlockAsync(IStoreTransaction tx, Scope scope, string? vpcId, string? cidrBlock, DateTime now, CancellationToken ct)
    {
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (cidrBlock is null)
        {
            throw AwsErrors.MissingParameter("cidrBlock");
        }
        // As on EC2, a VPC at its limit refuses before the block itself is looked at.
        var maxBlocks = await AccountQuotas.GetValueAsync(tx, scope, QuotaCatalog.CidrBlocksPerVpc, ct).ConfigureAwait(false);
        if (vpc.AdditionalCidrBlocks.Count + 1 >= maxBlocks)
        {
            throw new AwsException("CidrLimitExceeded", $"This network '{vpc.Id}' has met its maximum number of allowed CIDRs: {maxBlocks}");
        }
        var block = ParseCidr(cidrBlock, "cidrBlock", "InvalidVpc.Range");
        if (vpc.CidrBlocks.Any(c => Ipv4Cidr.Parse(c.CidrBlock).Overlaps(block)))
        {
            throw new AwsException("InvalidVpc.Range", $"The CIDR '{cidrBlock}' conflicts with another CIDR block of the VPC.");
        }
        var primary = Ipv4Cidr.Parse(vpc.CidrBlock);
        var primaryRange = Array.FindIndex(PrivateRanges, r => r.Contains(primary));
        var range = Array.FindIndex(PrivateRanges, r => r.Contains(block));
        if (primaryRange >= 0 && range >= 0 && range != primaryRange)
        {
            throw new AwsException("InvalidVpc.Range", $"The CIDR '{cidrBlock}' is restricted. Use a CIDR from the same private address range as the primary CIDR block.");
        }
        var association = new VpcCidrAssociation { AssociationId = ResourceIds.New("vpc-cidr-assoc"), CidrBlock = block.ToString() };
        vpc.AdditionalCidrBlocks.Add(association);
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
        foreach (var table in (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpc.Id))
        {
            table.Routes.Add(new RouteEntry { DestinationCidrBlock = association.CidrBlock, GatewayId = "local", Origin = "CreateRouteTable" });
            await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        }
        return (vpc, association);
    }

    /// <summary>
    /// DisassociateVpcCidrBlock: an added block without subnets in it; the primary block stays.
    /// Its local routes go.
    /// </summary>
    public static async Task<(VpcResource Vpc, VpcCidrAssociation Association)> DisassociateCidrBlockAsync(IStoreTransaction tx, Scope scope, string? associationId, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(associationId))
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        var notFound = new AwsException("InvalidVpcCidrBlockAssociationID.NotFound", $"The vpc CIDR block association ID '{associationId}' does not exist");
        if (!ResourceIds.IsWellFormed("vpc-cidr-assoc", associationId))
        {
            throw notFound;
        }
        var vpcs = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        var vpc = vpcs.Find(v => v.CidrBlocks.Any(c => c.AssociationId == associationId)) ?? throw notFound;
        if (vpc.CidrBlockAssociationId == associationId)
        {
            throw new AwsException("OperationNotPermitted", $"The vpc {vpc.Id} primary CIDR block {vpc.CidrBlock} cannot be disassociated.");
        }
        var association = vpc.AdditionalCidrBlocks.Find(c => c.AssociationId == associationId)!;
        var block = Ipv4Cidr.Parse(association.CidrBlock);
        var subnets = await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        if (subnets.Exists(s => s.VpcId == vpc.Id && block.Contains(Ipv4Cidr.Parse(s.CidrBlock))))
        {
            throw new AwsException("DependencyViolation", $"The CIDR block {association.CidrBlock} of vpc {vpc.Id} has subnets and cannot be disassociated.");
        }
        vpc.AdditionalCidrBlocks.Remove(association);
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
        foreach (var table in (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpc.Id))
        {
            if (table.Routes.RemoveAll(r => r.GatewayId == "local" && r.DestinationCidrBlock == association.CidrBlock) > 0)
            {
                await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            }
        }
        association.State = "disassociated";
        return (vpc, association);
    }

    // ---- Subnets -----------------------------------------------------------------------------

    /// <summary>
    /// CreateSubnet: a /16–/28 block inside the VPC's block that overlaps no other subnet of the
    /// VPC, in a zone of the region (by name or id; the first zone when neither is given),
    /// associated with the VPC's default network ACL.
    /// </summary>
    public static async Task<SubnetResource> CreateSubnetAsync(IStoreTransaction tx, Scope scope, string? vpcId, string? cidrBlock, string? zoneName, string? zoneId, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (cidrBlock is null)
        {
            throw AwsErrors.MissingParameter("cidrBlock");
        }
        if (!Ipv4Cidr.TryParse(cidrBlock, out var block))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({cidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.");
        }
        if (block.PrefixLength is < MinPrefix or > MaxPrefix || !vpc.CidrBlocks.Any(c => Ipv4Cidr.Parse(c.CidrBlock).Contains(block)))
        {
            throw new AwsException("InvalidSubnet.Range", $"The CIDR '{cidrBlock}' is invalid.");
        }
        var region = RegionCatalog.Get(scope.Region);
        if (zoneName is not null && zoneId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("The parameters availabilityZone and availabilityZoneId cannot be used together.");
        }
        var zone = zoneName is not null
            ? region.Zones.FirstOrDefault(z => z.ZoneName == zoneName)
                ?? throw AwsErrors.InvalidParameterValue($"Value ({zoneName}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {string.Join(", ", region.Zones.Select(z => z.ZoneName))}.")
            : zoneId is not null
                ? region.Zones.FirstOrDefault(z => z.ZoneId == zoneId)
                    ?? throw AwsErrors.InvalidParameterValue($"Value ({zoneId}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zone ids: {string.Join(", ", region.Zones.Select(z => z.ZoneId))}.")
                : region.Zones[0];
        var subnets = await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        if (subnets.Exists(s => s.VpcId == vpc.Id && Ipv4Cidr.Parse(s.CidrBlock).Overlaps(block)))
        {
            throw new AwsException("InvalidSubnet.Conflict", $"The CIDR '{cidrBlock}' conflicts with another subnet");
        }
        var subnet = new SubnetResource
        {
            Id = ResourceIds.New(ResourceTypes.Subnet.IdPrefix),
            OwnerId = scope.AccountId,
            VpcId = vpc.Id,
            CidrBlock = block.ToString(),
            AvailabilityZone = zone.ZoneName,
            AvailabilityZoneId = zone.ZoneId,
            AvailableIpAddressCount = (int)block.Size - ReservedAddresses,
            Tags = tags,
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

    /// <summary>DeleteSubnet: refused while network interfaces use it; its route table and ACL associations go with it.</summary>
    public static async Task DeleteSubnetAsync(IStoreTransaction tx, Scope scope, string? subnetId, DateTime now, CancellationToken ct)
    {
        var subnet = await RequireAsync<SubnetResource>(tx, scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
        var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        if (interfaces.Exists(i => i.SubnetId == subnet.Id))
        {
            throw new AwsException("DependencyViolation", $"The subnet '{subnet.Id}' has dependencies and cannot be deleted.");
        }
        foreach (var table in await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false))
        {
            if (table.Associations.RemoveAll(a => a.SubnetId == subnet.Id) > 0)
            {
                await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            }
        }
        foreach (var acl in await tx.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false))
        {
            if (acl.Associations.RemoveAll(a => a.SubnetId == subnet.Id) > 0)
            {
                await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
            }
        }
        await tx.DeleteAsync(scope, ResourceTypes.Subnet, subnet.Id, ct).ConfigureAwait(false);
        await Addressing.SubnetAddresses.DeleteAsync(tx, scope, subnet.Id, ct).ConfigureAwait(false);
    }

    // ---- Internet gateways -------------------------------------------------------------------

    /// <summary>AttachInternetGateway: a gateway serves one VPC and a VPC has one gateway.</summary>
    public static async Task AttachGatewayAsync(IStoreTransaction tx, Scope scope, string? gatewayId, string? vpcId, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireAsync<InternetGatewayResource>(tx, scope, ResourceTypes.InternetGateway, gatewayId, ct).ConfigureAwait(false);
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (gateway.Attachments.FirstOrDefault() is { } existing)
        {
            throw new AwsException("Resource.AlreadyAssociated", $"resource {gateway.Id} is already attached to network {existing.VpcId}");
        }
        var gateways = await tx.ListAsync<InternetGatewayResource>(scope, ResourceTypes.InternetGateway, ct).ConfigureAwait(false);
        if (gateways.Find(g => g.Attachments.Exists(a => a.VpcId == vpc.Id)) is { } other)
        {
            throw new AwsException("Resource.AlreadyAssociated", $"resource {vpc.Id} is already attached to network gateway {other.Id}");
        }
        gateway.Attachments.Add(new GatewayAttachment { VpcId = vpc.Id });
        await tx.PutAsync(scope, ResourceTypes.InternetGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
    }

    /// <summary>DetachInternetGateway: the gateway must be attached to that VPC.</summary>
    public static async Task DetachGatewayAsync(IStoreTransaction tx, Scope scope, string? gatewayId, string? vpcId, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireAsync<InternetGatewayResource>(tx, scope, ResourceTypes.InternetGateway, gatewayId, ct).ConfigureAwait(false);
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (gateway.Attachments.RemoveAll(a => a.VpcId == vpc.Id) == 0)
        {
            throw new AwsException("Gateway.NotAttached", $"resource {gateway.Id} is not attached to network {vpc.Id}");
        }
        await tx.PutAsync(scope, ResourceTypes.InternetGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
    }

    /// <summary>DeleteInternetGateway: refused while attached.</summary>
    public static async Task DeleteGatewayAsync(IStoreTransaction tx, Scope scope, string? gatewayId, CancellationToken ct)
    {
        var gateway = await RequireAsync<InternetGatewayResource>(tx, scope, ResourceTypes.InternetGateway, gatewayId, ct).ConfigureAwait(false);
        if (gateway.Attachments.Count > 0)
        {
            throw new AwsException("DependencyViolation", $"The internetGateway '{gateway.Id}' has dependencies and cannot be deleted.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.InternetGateway, gateway.Id, ct).ConfigureAwait(false);
    }

    // ---- DHCP options ------------------------------------------------------------------------

    private static readonly HashSet<string> DhcpKeys =
        ["domain-name", "domain-name-servers", "ntp-servers", "netbios-name-servers", "netbios-node-type", "ipv6-address-preferred-lease-time"];

    /// <summary>CreateDhcpOptions: known option names, each once, each with values (at most four servers).</summary>
    public static DhcpOptionsResource NewDhcpOptions(Scope scope, IEnumerable<(string? Key, List<string>? Values)> configurations, List<Tag> tags)
    {
        var settings = new List<DhcpSetting>();
        foreach (var (key, values) in configurations)
        {
            if (key is null || !DhcpKeys.Contains(key))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({key}) for parameter name is invalid. Unrecognized option name");
            }
            if (settings.Exists(s => s.Key == key))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({key}) for parameter name is invalid. Duplicate option name");
            }
            if (values is not { Count: > 0 })
            {
                throw AwsErrors.InvalidParameterValue($"Value for parameter {key} is invalid. At least one value is required");
            }
            if (key is "domain-name-servers" or "ntp-servers" or "netbios-name-servers" && values.Count > 4)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({string.Join(",", values)}) for parameter {key} is invalid. Up to four values are allowed");
            }
            if (key is "ntp-servers" or "netbios-name-servers" && values.Find(v => !Ipv4.TryParse(v, out _)) is { } bad)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({bad}) for parameter {key} is invalid. Expecting IPv4 addresses");
            }
            if (key == "netbios-node-type" && (values.Count != 1 || values[0] is not ("1" or "2" or "4" or "8")))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({string.Join(",", values)}) for parameter netbios-node-type is invalid. Valid values are 1, 2, 4 and 8");
            }
            settings.Add(new DhcpSetting { Key = key, Values = values });
        }
        if (settings.Count == 0)
        {
            throw AwsErrors.MissingParameter("dhcpConfiguration");
        }
        return new DhcpOptionsResource
        {
            Id = ResourceIds.New(ResourceTypes.DhcpOptions.IdPrefix),
            OwnerId = scope.AccountId,
            Configurations = settings,
            Tags = tags,
        };
    }

    /// <summary>DeleteDhcpOptions: refused while a VPC uses the set.</summary>
    public static async Task DeleteDhcpOptionsAsync(IStoreTransaction tx, Scope scope, string? dhcpOptionsId, CancellationToken ct)
    {
        var options = await RequireAsync<DhcpOptionsResource>(tx, scope, ResourceTypes.DhcpOptions, dhcpOptionsId, ct).ConfigureAwait(false);
        var vpcs = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        if (vpcs.Exists(v => v.DhcpOptionsId == options.Id))
        {
            throw new AwsException("DependencyViolation", $"The dhcpOptions '{options.Id}' has dependencies and cannot be deleted.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.DhcpOptions, options.Id, ct).ConfigureAwait(false);
    }

    /// <summary>AssociateDhcpOptions: a set for the VPC, or "default" for none.</summary>
    public static async Task AssociateDhcpOptionsAsync(IStoreTransaction tx, Scope scope, string? dhcpOptionsId, string? vpcId, DateTime now, CancellationToken ct)
    {
        if (dhcpOptionsId != "default")
        {
            await RequireAsync<DhcpOptionsResource>(tx, scope, ResourceTypes.DhcpOptions, dhcpOptionsId, ct).ConfigureAwait(false);
        }
        var vpc = await RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        vpc.DhcpOptionsId = dhcpOptionsId!;
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
    }
}
