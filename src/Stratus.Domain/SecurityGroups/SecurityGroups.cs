using Stratus.Core;
using Stratus.Domain.Quotas;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.SecurityGroups;

/// <summary>What a revoke did: the rules it removed and the requested rules that did not exist.</summary>
public sealed record RevokeOutcome(List<SecurityGroupRuleResource> Revoked, List<SecurityGroupRuleResource> Unknown);

/// <summary>
/// Security groups and their rules, with EC2's rules: names unique per VPC (case-insensitive), a
/// new group allows all outbound traffic, at most <see cref="MaxRulesPerDirection"/> inbound and as
/// many outbound rules, no duplicate rules, referenced groups must exist in the same VPC, the
/// default group cannot be deleted and a group in use cannot be deleted (<see cref="FindUsersAsync"/>).
/// Each rule is its own document of type <c>security-group-rule</c>, so it has an id and tags.
/// </summary>
public static class SecurityGroups
{
    public const string DefaultGroupName = "default";
    public const int MaxRulesPerDirection = 60;
    public const int MaxGroupsPerVpc = 2500;

    public static string Arn(string region, SecurityGroupResource group) =>
        $"arn:aws:ec2:{region}:{group.OwnerId}:security-group/{group.Id}";

    public static string RuleArn(string region, SecurityGroupRuleResource rule) =>
        $"arn:aws:ec2:{region}:{rule.GroupOwnerId}:security-group-rule/{rule.Id}";

    // ---- reading -----------------------------------------------------------------------------

    /// <summary>A group by id, or AWS's malformed / not-found error.</summary>
    public static async Task<SecurityGroupResource> GetAsync(IStoreSession session, Scope scope, string groupId, CancellationToken ct = default)
    {
        ResourceTypes.SecurityGroup.CheckId(groupId);
        return await session.GetAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, groupId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.SecurityGroup.NotFound(groupId);
    }

    /// <summary>A group by id, or else by name in the region's default VPC (EC2's <c>GroupName</c> parameters).</summary>
    public static async Task<SecurityGroupResource> ResolveAsync(IStoreSession session, Scope scope, string? groupId, string? groupName, CancellationToken ct = default)
    {
        if (!string.IsNullOrEmpty(groupId))
        {
            return await GetAsync(session, scope, groupId, ct).ConfigureAwait(false);
        }
        if (string.IsNullOrEmpty(groupName))
        {
            throw AwsErrors.MissingParameter("groupName or groupId");
        }
        var defaultVpc = await DefaultVpcProvisioner.FindDefaultVpcIdAsync(session, scope, ct).ConfigureAwait(false)
            ?? throw NoDefaultVpc();
        var groups = await session.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false);
        return groups.Find(g => g.VpcId == defaultVpc && string.Equals(g.GroupName, groupName, StringComparison.OrdinalIgnoreCase))
            ?? throw new AwsException("InvalidGroup.NotFound", $"The security group '{groupName}' does not exist in default VPC '{defaultVpc}'");
    }

    /// <summary>Every rule of every group in the scope.</summary>
    public static Task<List<SecurityGroupRuleResource>> ListRulesAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        session.ListAsync<SecurityGroupRuleResource>(scope, ResourceTypes.SecurityGroupRule, ct);

    /// <summary>The rules of one group (both directions).</summary>
    public static Task<List<SecurityGroupRuleResource>> RulesOfAsync(IStoreSession session, Scope scope, string groupId, CancellationToken ct = default) =>
        RulesOfAsync(session, scope, [groupId], ct);

    /// <summary>The rules of the given groups (both directions), in rule id order, found through the store's index.</summary>
    public static Task<List<SecurityGroupRuleResource>> RulesOfAsync(IStoreSession session, Scope scope, IReadOnlyList<string> groupIds, CancellationToken ct = default) =>
        session.FindAsync<SecurityGroupRuleResource>(scope, ResourceTypes.SecurityGroupRule, [IndexCondition.Equal("group-id", groupIds)], ct);

    /// <summary>
    /// A group's rules as a packet filter (the instance runtime's nftables sets) enforces them:
    /// allow-only, stateful, matched by protocol number, port range or ICMP type/code, and peer.
    /// A group peer means "the private addresses of the interfaces in that group".
    /// </summary>
    public static async Task<IReadOnlyList<EffectiveRule>> EffectiveRulesAsync(IStoreSession session, Scope scope, string groupId, CancellationToken ct = default)
    {
        var rules = await RulesOfAsync(session, scope, groupId, ct).ConfigureAwait(false);
        return rules.Select(Effective).ToList();
    }

    /// <summary>One rule as a packet filter enforces it (see <see cref="EffectiveRulesAsync"/>).</summary>
    public static EffectiveRule Effective(SecurityGroupRuleResource r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var number = RuleValidation.ProtocolNumber(r.IpProtocol);
        var icmp = r.IpProtocol is "icmp" or "icmpv6";
        var ports = r.IpProtocol is "tcp" or "udp";
        var (kind, peer) = r switch
        {
            { CidrIpv4: { } v4 } => (PeerKind.CidrIpv4, v4),
            { CidrIpv6: { } v6 } => (PeerKind.CidrIpv6, v6),
            { PrefixListId: { } pl } => (PeerKind.PrefixList, pl),
            _ => (PeerKind.Group, r.ReferencedGroupId ?? ""),
        };
        return new EffectiveRule(
            r.Id, r.IsEgress, number,
            ports ? r.FromPort : null, ports ? r.ToPort : null,
            icmp && r.FromPort != -1 ? r.FromPort : null, icmp && r.ToPort != -1 ? r.ToPort : null,
            kind, peer, kind == PeerKind.Group ? r.ReferencedUserId ?? r.GroupOwnerId : null);
    }

    /// <summary>
    /// What keeps a group from being deleted: the ids of resources using it: other groups with a
    /// rule referencing it, the network interfaces (of instances or standalone) it is attached to
    /// and the VPCs it is associated with (AssociateSecurityGroupVpc). DeleteSecurityGroup refuses
    /// with <c>DependencyViolation</c> while any exists.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindUsersAsync(IStoreSession session, Scope scope, string groupId, CancellationToken ct = default)
    {
        var rules = await ListRulesAsync(session, scope, ct).ConfigureAwait(false);
        var interfaces = await session.ListAsync<Vpc.NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        var associations = await Vpc.SecurityGroupAssociations.SecurityGroupVpcAssociations.ListAsync(session, scope, ct).ConfigureAwait(false);
        return rules.Where(r => r.ReferencedGroupId == groupId && r.GroupId != groupId).Select(r => r.GroupId)
            .Concat(interfaces.Where(i => i.SecurityGroupIds.Contains(groupId)).Select(i => i.Attachment?.InstanceId ?? i.Id))
            .Concat(associations.Where(a => a.GroupId == groupId).Select(a => a.VpcId))
            .Distinct(StringComparer.Ordinal).ToList();
    }

    // ---- groups ------------------------------------------------------------------------------

    /// <summary>Creates a group (with the allow-all outbound rule) in the given VPC, or the default VPC.</summary>
    public static async Task<SecurityGroupResource> CreateAsync(
        IStoreTransaction tx, Scope scope, string groupName, string description, string? vpcId, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        RuleValidation.CheckGroupName(groupName);
        RuleValidation.CheckGroupDescription(description);
        if (string.IsNullOrEmpty(vpcId))
        {
            vpcId = await DefaultVpcProvisioner.FindDefaultVpcIdAsync(tx, scope, ct).ConfigureAwait(false)
                ?? throw new AwsException("VPCIdNotSpecified", "No default VPC for this user");
        }
        else
        {
            ResourceTypes.Vpc.CheckId(vpcId);
            _ = await tx.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false) ?? throw ResourceTypes.Vpc.NotFound(vpcId);
        }
        var inVpc = (await tx.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false)).FindAll(g => g.VpcId == vpcId);
        if (inVpc.Exists(g => string.Equals(g.GroupName, groupName, StringComparison.OrdinalIgnoreCase)))
        {
            throw new AwsException("InvalidGroup.Duplicate", $"The security group '{groupName}' already exists for VPC '{vpcId}'");
        }
        var perRegion = await AccountQuotas.GetValueAsync(tx, scope, QuotaCatalog.SecurityGroupsPerRegion, ct).ConfigureAwait(false);
        if (inVpc.Count >= Math.Min(MaxGroupsPerVpc, perRegion))
        {
            throw new AwsException("SecurityGroupLimitExceeded", $"The maximum number of security groups for VPC '{vpcId}' has been reached.");
        }
        var group = new SecurityGroupResource
        {
            Id = ResourceIds.New(ResourceTypes.SecurityGroup.IdPrefix),
            OwnerId = scope.AccountId,
            GroupName = groupName,
            Description = description,
            VpcId = vpcId,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.SecurityGroup, group.Id, group, now, ct).ConfigureAwait(false);
        var allOut = NewRule(group, egress: true, "-1", null, null);
        allOut.CidrIpv4 = "0.0.0.0/0";
        await PutRuleAsync(tx, scope, allOut, now, ct).ConfigureAwait(false);
        return group;
    }

    /// <summary>A VPC's default group: all traffic in from members of the group, all traffic out.</summary>
    public static async Task<SecurityGroupResource> CreateDefaultAsync(IStoreTransaction tx, Scope scope, string vpcId, DateTime now, CancellationToken ct = default)
    {
        var group = new SecurityGroupResource
        {
            Id = ResourceIds.New(ResourceTypes.SecurityGroup.IdPrefix),
            OwnerId = scope.AccountId,
            GroupName = DefaultGroupName,
            Description = "default VPC security group",
            VpcId = vpcId,
        };
        await tx.PutAsync(scope, ResourceTypes.SecurityGroup, group.Id, group, now, ct).ConfigureAwait(false);
        var self = NewRule(group, egress: false, "-1", null, null);
        self.ReferencedGroupId = group.Id;
        self.ReferencedGroupName = group.GroupName;
        self.ReferencedUserId = group.OwnerId;
        await PutRuleAsync(tx, scope, self, now, ct).ConfigureAwait(false);
        var all = NewRule(group, egress: true, "-1", null, null);
        all.CidrIpv4 = "0.0.0.0/0";
        await PutRuleAsync(tx, scope, all, now, ct).ConfigureAwait(false);
        return group;
    }

    /// <summary>Deletes a group and its rules, unless it is a default group or in use.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, SecurityGroupResource group, CancellationToken ct = default)
    {
        if (group.IsDefault)
        {
            throw new AwsException("CannotDelete", $"the specified group: \"{group.Id}\" name: \"{group.GroupName}\" cannot be deleted by a user");
        }
        if ((await FindUsersAsync(tx, scope, group.Id, ct).ConfigureAwait(false)).Count > 0)
        {
            throw new AwsException("DependencyViolation", $"resource {group.Id} has a dependent object");
        }
        foreach (var rule in await RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false))
        {
            await tx.DeleteAsync(scope, ResourceTypes.SecurityGroupRule, rule.Id, ct).ConfigureAwait(false);
        }
        await tx.DeleteAsync(scope, ResourceTypes.SecurityGroup, group.Id, ct).ConfigureAwait(false);
    }

    // ---- rules -------------------------------------------------------------------------------

    /// <summary>Adds rules in one direction; all or nothing.</summary>
    public static async Task<List<SecurityGroupRuleResource>> AuthorizeAsync(
        IStoreTransaction tx, Scope scope, SecurityGroupResource group, bool egress, IReadOnlyList<PermissionSpec> permissions, List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        if (permissions.Count == 0)
        {
            throw AwsErrors.MissingParameter("ipPermissions");
        }
        var existing = await RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false);
        var keys = existing.Select(r => r.Key).ToHashSet();
        var added = new List<SecurityGroupRuleResource>();
        foreach (var permission in permissions)
        {
            foreach (var rule in await ExpandAsync(tx, scope, group, egress, permission, ct).ConfigureAwait(false))
            {
                if (!keys.Add(rule.Key))
                {
                    throw new AwsException("InvalidPermission.Duplicate", $"the specified rule \"{RuleValidation.Describe(rule)}\" already exists");
                }
                rule.Tags.AddRange(tags);
                added.Add(rule);
            }
        }
        // A prefix-list rule counts as its list's MaxEntries rules.
        if (await Vpc.PrefixLists.ManagedPrefixLists.RuleSlotsAsync(tx, scope, existing.Where(r => r.IsEgress == egress).Concat(added), ct).ConfigureAwait(false)
            > await AccountQuotas.GetValueAsync(tx, scope, QuotaCatalog.RulesPerSecurityGroup, ct).ConfigureAwait(false))
        {
            throw new AwsException("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.");
        }
        foreach (var rule in added)
        {
            await PutRuleAsync(tx, scope, rule, now, ct).ConfigureAwait(false);
        }
        return added;
    }

    /// <summary>
    /// Removes rules named by id or by content in one direction. A rule id that is not one of the
    /// group's rules in that direction is refused. Rules given by content that do not exist are
    /// reported back for a group of the default VPC and refused (nothing revoked) otherwise, as EC2 does.
    /// </summary>
    public static async Task<RevokeOutcome> RevokeAsync(
        IStoreTransaction tx, Scope scope, SecurityGroupResource group, bool egress, IReadOnlyList<PermissionSpec> permissions, IReadOnlyList<string> ruleIds, CancellationToken ct = default)
    {
        if (permissions.Count == 0 && ruleIds.Count == 0)
        {
            throw AwsErrors.MissingParameter("ipPermissions or securityGroupRuleIds");
        }
        var existing = (await RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false)).FindAll(r => r.IsEgress == egress);
        var revoked = new List<SecurityGroupRuleResource>();
        foreach (var id in ruleIds)
        {
            ResourceTypes.SecurityGroupRule.CheckId(id);
            var rule = existing.Find(r => r.Id == id) ?? throw ResourceTypes.SecurityGroupRule.NotFound(id);
            if (!revoked.Contains(rule))
            {
                revoked.Add(rule);
            }
        }
        var unknown = new List<SecurityGroupRuleResource>();
        foreach (var permission in permissions)
        {
            foreach (var wanted in await ExpandAsync(tx, scope, group, egress, permission, ct).ConfigureAwait(false))
            {
                var match = existing.Find(r => r.Key == wanted.Key);
                if (match is null)
                {
                    unknown.Add(wanted);
                }
                else if (!revoked.Contains(match))
                {
                    revoked.Add(match);
                }
            }
        }
        if (unknown.Count > 0 && group.VpcId != await DefaultVpcProvisioner.FindDefaultVpcIdAsync(tx, scope, ct).ConfigureAwait(false))
        {
            throw PermissionNotFound();
        }
        foreach (var rule in revoked)
        {
            await tx.DeleteAsync(scope, ResourceTypes.SecurityGroupRule, rule.Id, ct).ConfigureAwait(false);
        }
        return new RevokeOutcome(revoked, unknown);
    }

    /// <summary>Replaces the protocol, ports, peer and description of rules given by id.</summary>
    public static async Task ModifyAsync(IStoreTransaction tx, Scope scope, SecurityGroupResource group, IReadOnlyList<RuleUpdateSpec> updates, DateTime now, CancellationToken ct = default)
    {
        if (updates.Count == 0)
        {
            throw AwsErrors.MissingParameter("SecurityGroupRule");
        }
        var rules = await RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false);
        var changed = new List<SecurityGroupRuleResource>();
        foreach (var update in updates)
        {
            ResourceTypes.SecurityGroupRule.CheckId(update.RuleId);
            var rule = rules.Find(r => r.Id == update.RuleId) ?? throw ResourceTypes.SecurityGroupRule.NotFound(update.RuleId);
            if (update.Permission.Peers.Count != 1)
            {
                throw AwsErrors.InvalidParameterValue("A security group rule must specify exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId.");
            }
            var replacement = (await ExpandAsync(tx, scope, group, rule.IsEgress, update.Permission, ct).ConfigureAwait(false))[0];
            rule.IpProtocol = replacement.IpProtocol;
            rule.FromPort = replacement.FromPort;
            rule.ToPort = replacement.ToPort;
            rule.CidrIpv4 = replacement.CidrIpv4;
            rule.CidrIpv6 = replacement.CidrIpv6;
            rule.PrefixListId = replacement.PrefixListId;
            rule.ReferencedGroupId = replacement.ReferencedGroupId;
            rule.ReferencedGroupName = replacement.ReferencedGroupName;
            rule.ReferencedUserId = replacement.ReferencedUserId;
            rule.Description = replacement.Description;
            changed.Add(rule);
        }
        var seen = new HashSet<RuleKey>();
        foreach (var rule in rules)
        {
            if (!seen.Add(rule.Key))
            {
                throw new AwsException("InvalidPermission.Duplicate", $"the specified rule \"{RuleValidation.Describe(rule)}\" already exists");
            }
        }
        foreach (var rule in changed)
        {
            await PutRuleAsync(tx, scope, rule, now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sets the descriptions of existing rules in one direction, named by content (the description
    /// given with each peer, none to clear it) or by id.
    /// </summary>
    public static async Task UpdateDescriptionsAsync(
        IStoreTransaction tx, Scope scope, SecurityGroupResource group, bool egress, IReadOnlyList<PermissionSpec> permissions,
        IReadOnlyList<(string RuleId, string? Description)> byId, DateTime now, CancellationToken ct = default)
    {
        if (permissions.Count == 0 && byId.Count == 0)
        {
            throw AwsErrors.MissingParameter("IpPermissions or SecurityGroupRuleDescriptions");
        }
        var existing = (await RulesOfAsync(tx, scope, group.Id, ct).ConfigureAwait(false)).FindAll(r => r.IsEgress == egress);
        var changed = new List<SecurityGroupRuleResource>();
        foreach (var permission in permissions)
        {
            foreach (var wanted in await ExpandAsync(tx, scope, group, egress, permission, ct).ConfigureAwait(false))
            {
                var rule = existing.Find(r => r.Key == wanted.Key) ?? throw PermissionNotFound();
                rule.Description = wanted.Description;
                changed.Add(rule);
            }
        }
        foreach (var (id, description) in byId)
        {
            ResourceTypes.SecurityGroupRule.CheckId(id);
            var rule = existing.Find(r => r.Id == id) ?? throw ResourceTypes.SecurityGroupRule.NotFound(id);
            rule.Description = RuleValidation.CheckRuleDescription(description);
            changed.Add(rule);
        }
        foreach (var rule in changed.Distinct())
        {
            await PutRuleAsync(tx, scope, rule, now, ct).ConfigureAwait(false);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /// <summary>
    /// The rules one requested permission stands for (one per peer), validated and normalised, not
    /// yet stored. Referenced groups must exist (in another account when a user id is given) and
    /// be in the same VPC.
    /// </summary>
    private static async Task<List<SecurityGroupRuleResource>> ExpandAsync(
        IStoreSession session, Scope scope, SecurityGroupResource group, bool egress, PermissionSpec permission, CancellationToken ct)
    {
        var (protocol, from, to) = RuleValidation.CheckProtocolAndPorts(permission.IpProtocol, permission.FromPort, permission.ToPort);
        if (permission.Peers.Count == 0)
        {
            throw AwsErrors.MissingParameter("ipRanges, ipv6Ranges, prefixListIds or groups (one source or destination per rule)");
        }
        var rules = new List<SecurityGroupRuleResource>();
        foreach (var peer in permission.Peers)
        {
            var rule = NewRule(group, egress, protocol, from, to);
            rule.Description = RuleValidation.CheckRuleDescription(peer.Description);
            switch (peer.Kind)
            {
                case PeerKind.CidrIpv4:
                    rule.CidrIpv4 = RuleValidation.CanonicalIpv4Cidr(peer.Value ?? "");
                    break;
                case PeerKind.CidrIpv6:
                    rule.CidrIpv6 = RuleValidation.CanonicalIpv6Cidr(peer.Value ?? "");
                    break;
                case PeerKind.PrefixList:
                    rule.PrefixListId = (await Vpc.PrefixLists.ManagedPrefixLists.RequireAsync(session, scope, RuleValidation.CheckPrefixListId(peer.Value ?? ""), ct).ConfigureAwait(false)).Id;
                    break;
                default:
                    var referenced = await FindReferencedAsync(session, scope, group, peer, ct).ConfigureAwait(false);
                    rule.ReferencedGroupId = referenced.Id;
                    rule.ReferencedGroupName = referenced.GroupName;
                    rule.ReferencedUserId = referenced.OwnerId;
                    break;
            }
            rules.Add(rule);
        }
        return rules;
    }

    private static async Task<SecurityGroupResource> FindReferencedAsync(IStoreSession session, Scope scope, SecurityGroupResource group, PeerSpec peer, CancellationToken ct)
    {
        var owner = string.IsNullOrEmpty(peer.UserId) ? scope.AccountId : peer.UserId;
        var ownerScope = new Scope(owner, scope.Region);
        SecurityGroupResource? referenced;
        if (!string.IsNullOrEmpty(peer.Value))
        {
            ResourceTypes.SecurityGroup.CheckId(peer.Value);
            referenced = await session.GetAsync<SecurityGroupResource>(ownerScope, ResourceTypes.SecurityGroup, peer.Value, ct).ConfigureAwait(false)
                ?? throw ResourceTypes.SecurityGroup.NotFound(peer.Value);
        }
        else if (!string.IsNullOrEmpty(peer.GroupName))
        {
            var groups = await session.ListAsync<SecurityGroupResource>(ownerScope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false);
            referenced = groups.Find(g => g.VpcId == group.VpcId && string.Equals(g.GroupName, peer.GroupName, StringComparison.OrdinalIgnoreCase))
                ?? throw new AwsException("InvalidGroup.NotFound", $"The security group '{peer.GroupName}' does not exist in VPC '{group.VpcId}'");
        }
        else
        {
            throw AwsErrors.MissingParameter("groupId or groupName (of the referenced security group)");
        }
        if (referenced.VpcId != group.VpcId && !await PeeredAsync(session, scope, group.VpcId, referenced.VpcId, ct).ConfigureAwait(false))
        {
            throw new AwsException("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.");
        }
        return referenced;
    }

    /// <summary>True when an active peering connection joins the two VPCs (a rule may then name a group of the peer VPC).</summary>
    private static async Task<bool> PeeredAsync(IStoreSession session, Scope scope, string vpcId, string peerVpcId, CancellationToken ct)
    {
        var peerings = await session.ListAsync<Vpc.Peering.VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, ct).ConfigureAwait(false);
        return peerings.Exists(p => p.Status == "active" && p.Involves(vpcId) && p.Involves(peerVpcId));
    }

    private static SecurityGroupRuleResource NewRule(SecurityGroupResource group, bool egress, string protocol, int? from, int? to) => new()
    {
        Id = ResourceIds.New(ResourceTypes.SecurityGroupRule.IdPrefix),
        GroupId = group.Id,
        GroupOwnerId = group.OwnerId,
        IsEgress = egress,
        IpProtocol = protocol,
        FromPort = from,
        ToPort = to,
    };

    private static Task PutRuleAsync(IStoreTransaction tx, Scope scope, SecurityGroupRuleResource rule, DateTime now, CancellationToken ct) =>
        tx.PutAsync(scope, ResourceTypes.SecurityGroupRule, rule.Id, rule, now, ct);

    private static AwsException PermissionNotFound() =>
        new("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");

    private static AwsException NoDefaultVpc() =>
        new("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.");
}
