using System.Net;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Ipv6;

/// <summary>
/// IPv6 in VPCs with EC2's rules: Amazon-provided /56 blocks for VPCs (at most five), one /64 per
/// subnet inside them, and addresses for network interfaces in their subnet's /64. Associating a
/// VPC's first block adds what AWS adds: a local route for the block in every route table, rule
/// 101 (allow ::/0) and the <c>*</c> deny for ::/0 in the default network ACL (when its rules
/// were not changed), the <c>*</c> deny in other ACLs, and an outbound ::/0 rule in the default
/// security group.
/// </summary>
public static class Ipv6Blocks
{
    /// <summary>How many IPv6 blocks a VPC may have (AWS's quota, not adjustable).</summary>
    public const int BlocksPerVpc = 5;

    /// <summary>How many IPv6 addresses an interface not attached to an instance may hold.</summary>
    public const int UnattachedInterfaceLimit = 50;

    // ---- VPC blocks ------------------------------------------------------------------------------

    /// <summary>
    /// AmazonProvidedIpv6CidrBlock on CreateVpc/AssociateVpcCidrBlock: a /56 of the Stratus pool
    /// no other VPC of the account and region has.
    /// </summary>
    public static async Task<Ipv6CidrAssociation> AssociateVpcBlockAsync(IStoreTransaction tx, Scope scope, VpcResource vpc, string? networkBorderGroup, DateTime now, CancellationToken ct)
    {
        if (networkBorderGroup is not null && networkBorderGroup != scope.Region)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({networkBorderGroup}) for parameter Ipv6CidrBlockNetworkBorderGroup is invalid. The network border group must be {scope.Region}.");
        }
        if (vpc.Ipv6CidrBlocks.Count(b => b.State == "associated") >= BlocksPerVpc)
        {
            throw new AwsException("CidrLimitExceeded", $"This network '{vpc.Id}' has met its maximum number of allowed CIDRs: {BlocksPerVpc}");
        }
        var vpcs = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        var taken = vpcs.SelectMany(v => v.Id == vpc.Id ? vpc.Ipv6CidrBlocks : v.Ipv6CidrBlocks).Select(b => b.Ipv6CidrBlock).ToHashSet(StringComparer.Ordinal);
        var block = Ipv6Cidrs.AllocateVpcBlock(Ipv6Cidrs.PreferredIndex(scope.AccountId, scope.Region, vpc.Id), taken);
        var association = new Ipv6CidrAssociation
        {
            AssociationId = ResourceIds.New("vpc-cidr-assoc"),
            Ipv6CidrBlock = block,
            Ipv6Pool = "Amazon",
            NetworkBorderGroup = scope.Region,
        };
        var first = !vpc.Ipv6CidrBlocks.Exists(b => b.State == "associated");
        vpc.Ipv6CidrBlocks.Add(association);
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);

        foreach (var table in (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpc.Id))
        {
            table.Routes.Add(new RouteEntry { DestinationIpv6CidrBlock = block, GatewayId = "local", Origin = "CreateRouteTable" });
            await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        }
        if (first)
        {
            foreach (var acl in (await tx.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false)).Where(a => a.VpcId == vpc.Id))
            {
                if (AddIpv6AclEntries(acl))
                {
                    await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
                }
            }
            await AddDefaultGroupEgressAsync(tx, scope, vpc.Id, now, ct).ConfigureAwait(false);
        }
        return association;
    }

    /// <summary>
    /// The IPv6 entries AWS gives an ACL when its VPC gets IPv6: the <c>*</c> deny of ::/0 both
    /// ways, and for a default ACL whose rules are still the original ones rule 101 allowing ::/0.
    /// </summary>
    public static bool AddIpv6AclEntries(NetworkAclResource acl)
    {
        if (acl.Entries.Exists(e => e.Ipv6CidrBlock is not null))
        {
            return false;
        }
        var untouched = acl.IsDefault && acl.Entries.Count == 4
            && acl.Entries.Count(e => e.RuleNumber == 100 && e.RuleAction == "allow" && e.CidrBlock == "0.0.0.0/0" && e.Protocol == "-1") == 2;
        foreach (var egress in new[] { false, true })
        {
            if (untouched)
            {
                acl.Entries.Add(new AclEntry { RuleNumber = 101, Protocol = "-1", RuleAction = "allow", Egress = egress, Ipv6CidrBlock = "::/0" });
            }
            acl.Entries.Add(new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = egress, Ipv6CidrBlock = "::/0" });
        }
        acl.Entries.Sort((a, b) => a.Egress != b.Egress ? a.Egress.CompareTo(b.Egress) : a.RuleNumber != b.RuleNumber ? a.RuleNumber.CompareTo(b.RuleNumber) : (a.CidrBlock is null).CompareTo(b.CidrBlock is null));
        return true;
    }

    private static async Task AddDefaultGroupEgressAsync(IStoreTransaction tx, Scope scope, string vpcId, DateTime now, CancellationToken ct)
    {
        var groups = await tx.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false);
        if (groups.Find(g => g.VpcId == vpcId && g.IsDefault) is not { } group)
        {
            return;
        }
        var rules = await SecurityGroups.SecurityGroups.RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false);
        if (rules.Exists(r => r.IsEgress && r.CidrIpv6 == "::/0" && r.IpProtocol == "-1"))
        {
            return;
        }
        var rule = new SecurityGroupRuleResource
        {
            Id = ResourceIds.New(ResourceTypes.SecurityGroupRule.IdPrefix),
            GroupId = group.Id,
            GroupOwnerId = group.OwnerId,
            IsEgress = true,
            IpProtocol = "-1",
            CidrIpv6 = "::/0",
        };
        await tx.PutAsync(scope, ResourceTypes.SecurityGroupRule, rule.Id, rule, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// DisassociateVpcCidrBlock for an IPv6 association: refused while a subnet has a block in it;
    /// the block's local routes go. Null when <paramref name="associationId"/> is not an IPv6 association.
    /// </summary>
    public static async Task<(VpcResource Vpc, Ipv6CidrAssociation Association)?> DisassociateVpcBlockAsync(IStoreTransaction tx, Scope scope, string associationId, DateTime now, CancellationToken ct)
    {
        var vpcs = await tx.ListAsync<VpcResource>(scope, ResourceTypes.Vpc, ct).ConfigureAwait(false);
        var vpc = vpcs.Find(v => v.Ipv6CidrBlocks.Exists(b => b.AssociationId == associationId && b.State == "associated"));
        if (vpc is null)
        {
            return null;
        }
        var association = vpc.Ipv6CidrBlocks.Find(b => b.AssociationId == associationId)!;
        var block = IPNetwork.Parse(association.Ipv6CidrBlock);
        var subnets = await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        if (subnets.Exists(s => s.VpcId == vpc.Id && s.Ipv6CidrBlocks.Exists(b => b.State == "associated" && Ipv6Cidrs.Contains(block, IPNetwork.Parse(b.Ipv6CidrBlock)))))
        {
            throw new AwsException("DependencyViolation", $"The IPv6 CIDR block {association.Ipv6CidrBlock} of vpc {vpc.Id} is used by subnets; disassociate their IPv6 CIDR blocks first.");
        }
        vpc.Ipv6CidrBlocks.Remove(association);
        await tx.PutAsync(scope, ResourceTypes.Vpc, vpc.Id, vpc, now, ct).ConfigureAwait(false);
        foreach (var table in (await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false)).Where(t => t.VpcId == vpc.Id))
        {
            if (table.Routes.RemoveAll(r => r.GatewayId == "local" && r.DestinationIpv6CidrBlock == association.Ipv6CidrBlock) > 0)
            {
                await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            }
        }
        association.State = "disassociated";
        return (vpc, association);
    }

    /// <summary>The local routes a new route table of <paramref name="vpc"/> starts with for its IPv6 blocks.</summary>
    public static IEnumerable<RouteEntry> LocalRoutes(VpcResource vpc, string origin) =>
        vpc.Ipv6CidrBlocks.Where(b => b.State == "associated").Select(b => new RouteEntry { DestinationIpv6CidrBlock = b.Ipv6CidrBlock, GatewayId = "local", Origin = origin });

    // ---- Subnet blocks ---------------------------------------------------------------------------

    /// <summary>
    /// AssociateSubnetCidrBlock / CreateSubnet Ipv6CidrBlock: one /64 inside one of the VPC's
    /// IPv6 blocks that no other subnet of the VPC has.
    /// </summary>
    public static async Task<Ipv6CidrAssociation> AssociateSubnetBlockAsync(IStoreTransaction tx, Scope scope, SubnetResource subnet, string? ipv6CidrBlock, DateTime now, CancellationToken ct)
    {
        if (ipv6CidrBlock is null)
        {
            throw AwsErrors.MissingParameter("ipv6CidrBlock");
        }
        if (!Ipv6Cidrs.TryParse(ipv6CidrBlock, out var block) || block.PrefixLength != Ipv6Cidrs.SubnetPrefix)
        {
            throw AwsErrors.InvalidParameterValue($"invalid value for parameter ipv6-cidr-block: {ipv6CidrBlock}");
        }
        if (subnet.Ipv6CidrBlocks.Exists(b => b.State == "associated"))
        {
            throw new AwsException("InvalidSubnet.Conflict", $"The subnet '{subnet.Id}' already has an IPv6 CIDR block associated; a subnet has at most one.");
        }
        var vpc = await tx.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, subnet.VpcId, ct).ConfigureAwait(false) ?? throw ResourceTypes.Vpc.NotFound(subnet.VpcId);
        if (!vpc.Ipv6CidrBlocks.Exists(b => b.State == "associated" && Ipv6Cidrs.Contains(IPNetwork.Parse(b.Ipv6CidrBlock), block)))
        {
            throw new AwsException("InvalidSubnet.Range", $"The IPv6 CIDR '{ipv6CidrBlock}' is invalid.");
        }
        var subnets = await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        if (subnets.Exists(s => s.VpcId == vpc.Id && s.Id != subnet.Id && s.Ipv6CidrBlocks.Exists(b => b.State == "associated" && Ipv6Cidrs.Overlaps(IPNetwork.Parse(b.Ipv6CidrBlock), block))))
        {
            throw new AwsException("InvalidSubnet.Conflict", $"The IPv6 CIDR '{ipv6CidrBlock}' conflicts with another subnet");
        }
        var association = new Ipv6CidrAssociation { AssociationId = ResourceIds.New("subnet-cidr-assoc"), Ipv6CidrBlock = block.ToString() };
        subnet.Ipv6CidrBlocks.RemoveAll(b => b.State != "associated");
        subnet.Ipv6CidrBlocks.Add(association);
        await tx.PutAsync(scope, ResourceTypes.Subnet, subnet.Id, subnet, now, ct).ConfigureAwait(false);
        return association;
    }

    /// <summary>
    /// DisassociateSubnetCidrBlock: refused while the subnet assigns IPv6 addresses on creation or
    /// interfaces hold addresses of the block.
    /// </summary>
    public static async Task<(SubnetResource Subnet, Ipv6CidrAssociation Association)> DisassociateSubnetBlockAsync(IStoreTransaction tx, Scope scope, string? associationId, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(associationId))
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        var notFound = new AwsException("InvalidSubnetCidrBlockAssociationID.NotFound", $"The subnet CIDR block with association ID '{associationId}' does not exist");
        if (!ResourceIds.IsWellFormed("subnet-cidr-assoc", associationId))
        {
            throw new AwsException("InvalidSubnetCidrBlockAssociationId.Malformed", $"The subnet CIDR block association ID '{associationId}' is malformed");
        }
        var subnets = await tx.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false);
        var subnet = subnets.Find(s => s.Ipv6CidrBlocks.Exists(b => b.AssociationId == associationId && b.State == "associated")) ?? throw notFound;
        var association = subnet.Ipv6CidrBlocks.Find(b => b.AssociationId == associationId)!;
        if (subnet.AssignIpv6AddressOnCreation)
        {
            throw new AwsException("InvalidCidrBlock.InUse", $"The subnet IPv6 CIDR block with association ID {associationId} may not be disassociated, because its subnet has assign-ipv6-address-on-creation set to true.");
        }
        var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        if (interfaces.Exists(i => i.SubnetId == subnet.Id && i.Ipv6Addresses.Count > 0))
        {
            throw new AwsException("InvalidCidrBlock.InUse", $"The subnet IPv6 CIDR block with association ID {associationId} may not be disassociated, because network interfaces in the subnet have IPv6 addresses from it.");
        }
        subnet.Ipv6CidrBlocks.Remove(association);
        await tx.PutAsync(scope, ResourceTypes.Subnet, subnet.Id, subnet, now, ct).ConfigureAwait(false);
        association.State = "disassociated";
        return (subnet, association);
    }

    /// <summary>ModifySubnetAttribute AssignIpv6AddressOnCreation / EnableDns64: the subnet needs an IPv6 block to turn them on.</summary>
    public static void SetSubnetAttribute(SubnetResource subnet, string attribute, bool value)
    {
        if (value && !subnet.Ipv6CidrBlocks.Exists(b => b.State == "associated"))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value 'true' for {attribute}. Cannot set {attribute} to true unless the subnet ({subnet.Id}) has an IPv6 CIDR block associated with it.");
        }
        if (attribute == "assign-ipv6-address-on-creation")
        {
            subnet.AssignIpv6AddressOnCreation = value;
        }
        else
        {
            subnet.EnableDns64 = value;
        }
    }

    /// <summary>The subnet's associated /64, or null.</summary>
    public static string? SubnetBlock(SubnetResource subnet) => subnet.Ipv6CidrBlocks.Find(b => b.State == "associated")?.Ipv6CidrBlock;

    // ---- Interface addresses ---------------------------------------------------------------------

    /// <summary>
    /// Addresses for a new interface of <paramref name="subnet"/>: the ones named, or
    /// <paramref name="count"/> chosen (when neither is given and the subnet assigns on creation, one).
    /// <paramref name="taken"/> holds the subnet's addresses in use and receives the new ones.
    /// </summary>
    public static List<string> ChooseForNewInterface(SubnetResource subnet, int? count, IReadOnlyList<string> addresses, ISet<string> taken, int limit)
    {
        if (count is not null && addresses.Count > 0)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of ipv6AddressCount and ipv6Addresses may be specified.");
        }
        if (count is < 0)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({count}) for parameter ipv6AddressCount is invalid. Expecting a non-negative number.");
        }
        var wanted = addresses.Count > 0 ? addresses.Count : count ?? (subnet.AssignIpv6AddressOnCreation ? 1 : 0);
        if (wanted == 0)
        {
            return [];
        }
        var block = SubnetBlock(subnet)
            ?? throw AwsErrors.InvalidParameterValue($"The subnet {subnet.Id} has no IPv6 CIDR block; IPv6 addresses cannot be assigned in it.");
        if (wanted > limit)
        {
            throw new AwsException("InvalidParameterValue", $"You have exceeded the limit of IPv6 addresses per interface ({limit}).");
        }
        return Take(IPNetwork.Parse(block), wanted, addresses, taken);
    }

    private static List<string> Take(IPNetwork block, int count, IReadOnlyList<string> addresses, ISet<string> taken)
    {
        var result = new List<string>();
        foreach (var text in addresses)
        {
            if (!Ipv6Cidrs.TryParseAddress(text, out var address))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({text}) for parameter ipv6Addresses is invalid. This is not a valid IPv6 address.");
            }
            if (!Ipv6Cidrs.Assignable(block, address))
            {
                throw AwsErrors.InvalidParameterValue($"Address {text} is not in the IPv6 CIDR block {block} of the subnet or is reserved.");
            }
            var canonical = address.ToString();
            if (!taken.Add(canonical) || result.Contains(canonical))
            {
                throw new AwsException("InvalidIPAddress.InUse", $"The specified address {canonical} is already in use.");
            }
            result.Add(canonical);
        }
        for (var i = result.Count; i < count; i++)
        {
            var chosen = Ipv6Cidrs.RandomAddress(block, taken);
            taken.Add(chosen);
            result.Add(chosen);
        }
        return result;
    }

    /// <summary>Every IPv6 address interfaces of <paramref name="subnetId"/> hold.</summary>
    public static async Task<HashSet<string>> TakenAsync(IStoreSession session, Scope scope, string subnetId, CancellationToken ct) =>
        (await session.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false))
            .Where(i => i.SubnetId == subnetId).SelectMany(i => i.Ipv6Addresses).ToHashSet(StringComparer.Ordinal);

    /// <summary>How many IPv6 addresses <paramref name="eni"/> may hold: its instance type's per-interface limit when attached.</summary>
    public static async Task<int> LimitAsync(IStoreSession session, Scope scope, NetworkInterfaceResource eni, CancellationToken ct)
    {
        if (eni.Attachment is { } attachment
            && await session.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, attachment.InstanceId, ct).ConfigureAwait(false) is { } instance
            && InstanceTypeCatalog.Find(instance.InstanceType) is { } type)
        {
            return type.Network.Ipv6AddressesPerInterface;
        }
        return UnattachedInterfaceLimit;
    }

    /// <summary>AssignIpv6Addresses: the named addresses or <paramref name="count"/> new ones in the subnet's /64.</summary>
    public static async Task<List<string>> AssignAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, int? count, IReadOnlyList<string> addresses, DateTime now, CancellationToken ct)
    {
        if (count is null && addresses.Count == 0)
        {
            throw AwsErrors.MissingParameter("ipv6AddressCount or ipv6Addresses");
        }
        if (count is not null && addresses.Count > 0)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of ipv6AddressCount and ipv6Addresses may be specified.");
        }
        if (count is < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({count}) for parameter ipv6AddressCount is invalid. Expecting a positive number.");
        }
        var subnet = await tx.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, eni.SubnetId, ct).ConfigureAwait(false) ?? throw ResourceTypes.Subnet.NotFound(eni.SubnetId);
        var block = SubnetBlock(subnet)
            ?? throw AwsErrors.InvalidParameterValue($"The subnet {subnet.Id} of network interface {eni.Id} has no IPv6 CIDR block.");
        var named = addresses.Select(a => Ipv6Cidrs.TryParseAddress(a, out var x) ? x.ToString() : a).Distinct(StringComparer.Ordinal)
            .Where(a => !eni.Ipv6Addresses.Contains(a)).ToList();
        var adding = count ?? named.Count;
        var limit = await LimitAsync(tx, scope, eni, ct).ConfigureAwait(false);
        if (eni.Ipv6Addresses.Count + adding > limit)
        {
            throw new AwsException("InvalidParameterValue", $"You have exceeded the limit of IPv6 addresses per interface ({limit}) for {eni.Id}.");
        }
        var taken = await TakenAsync(tx, scope, subnet.Id, ct).ConfigureAwait(false);
        var assigned = Take(IPNetwork.Parse(block), count ?? 0, named, taken);
        eni.Ipv6Addresses.AddRange(assigned);
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
        return assigned;
    }

    /// <summary>UnassignIpv6Addresses: addresses the interface holds.</summary>
    public static async Task<List<string>> UnassignAsync(IStoreTransaction tx, Scope scope, NetworkInterfaceResource eni, IReadOnlyList<string> addresses, DateTime now, CancellationToken ct)
    {
        if (addresses.Count == 0)
        {
            throw AwsErrors.MissingParameter("ipv6Addresses");
        }
        var canonical = addresses.Select(a => Ipv6Cidrs.TryParseAddress(a, out var x) ? x.ToString() : a).Distinct(StringComparer.Ordinal).ToList();
        if (canonical.Find(a => !eni.Ipv6Addresses.Contains(a)) is { } missing)
        {
            throw AwsErrors.InvalidParameterValue($"The IPv6 address {missing} is not assigned to interface {eni.Id}.");
        }
        eni.Ipv6Addresses.RemoveAll(canonical.Contains);
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
        return canonical;
    }
}
