using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Security groups and security group rules. The rules live in src/Stratus.Domain/SecurityGroups;
/// these handlers translate EC2's two request forms (the classic top-level parameters and
/// IpPermissions) into permission specs and the results back into EC2's shapes.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>A group with its rules, as DescribeSecurityGroups shows and filters it.</summary>
    private sealed record GroupView(SecurityGroupResource Group, List<SecurityGroupRuleResource> Ingress, List<SecurityGroupRuleResource> Egress);

    [FiltersFor("DescribeSecurityGroups")]
    private static readonly FilterSet<GroupView> SecurityGroupFilters = new FilterSet<GroupView>()
        .Add("description", v => v.Group.Description)
        .Add("group-id", v => v.Group.Id)
        .Add("group-name", v => v.Group.GroupName)
        .Add("owner-id", v => v.Group.OwnerId)
        .Add("vpc-id", v => v.Group.VpcId)
        .AddMany("ip-permission.cidr", v => v.Ingress.Select(r => r.CidrIpv4))
        .AddMany("ip-permission.from-port", v => v.Ingress.Select(r => Text(r.FromPort)))
        .AddMany("ip-permission.to-port", v => v.Ingress.Select(r => Text(r.ToPort)))
        .AddMany("ip-permission.protocol", v => v.Ingress.Select(r => r.IpProtocol))
        .AddMany("ip-permission.group-id", v => v.Ingress.Select(r => r.ReferencedGroupId))
        .AddMany("ip-permission.ipv6-cidr", v => v.Ingress.Select(r => r.CidrIpv6))
        .AddMany("ip-permission.prefix-list-id", v => v.Ingress.Select(r => r.PrefixListId))
        .AddMany("ip-permission.group-name", v => v.Ingress.Select(r => r.ReferencedGroupName))
        .AddMany("ip-permission.user-id", v => v.Ingress.Select(r => r.ReferencedUserId))
        .AddMany("egress.ip-permission.cidr", v => v.Egress.Select(r => r.CidrIpv4))
        .AddMany("egress.ip-permission.from-port", v => v.Egress.Select(r => Text(r.FromPort)))
        .AddMany("egress.ip-permission.to-port", v => v.Egress.Select(r => Text(r.ToPort)))
        .AddMany("egress.ip-permission.protocol", v => v.Egress.Select(r => r.IpProtocol))
        .AddMany("egress.ip-permission.group-id", v => v.Egress.Select(r => r.ReferencedGroupId))
        .AddMany("egress.ip-permission.ipv6-cidr", v => v.Egress.Select(r => r.CidrIpv6))
        .AddMany("egress.ip-permission.prefix-list-id", v => v.Egress.Select(r => r.PrefixListId))
        .AddMany("egress.ip-permission.group-name", v => v.Egress.Select(r => r.ReferencedGroupName))
        .AddMany("egress.ip-permission.user-id", v => v.Egress.Select(r => r.ReferencedUserId))
        .WithTags(v => v.Group.Tags)
        .Indexed("vpc-id", "group-name")
        .IndexedTags();

    [FiltersFor("DescribeSecurityGroupRules")]
    private static readonly FilterSet<SecurityGroupRuleResource> SecurityGroupRuleFilters = new FilterSet<SecurityGroupRuleResource>()
        .Add("group-id", r => r.GroupId)
        .Add("security-group-rule-id", r => r.Id)
        .WithTags(r => r.Tags);

    public override async Task<CreateSecurityGroupResult> CreateSecurityGroupAsync(RequestContext context, CreateSecurityGroupRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, "security-group");
        var group = await SecurityGroups.CreateAsync(
            context.Transaction, context.Scope, request.GroupName!, request.Description!, request.VpcId, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateSecurityGroupResult
        {
            GroupId = group.Id,
            SecurityGroupArn = SecurityGroups.Arn(context.Region, group),
            Tags = group.Tags.Count > 0 ? ToShape(group.Tags) : null,
        };
    }

    public override async Task<DeleteSecurityGroupResult> DeleteSecurityGroupAsync(RequestContext context, DeleteSecurityGroupRequest request)
    {
        var group = await SecurityGroups.ResolveAsync(context.Store, context.Scope, request.GroupId, request.GroupName, context.Cancellation).ConfigureAwait(false);
        await SecurityGroups.DeleteAsync(context.Transaction, context.Scope, group, context.Cancellation).ConfigureAwait(false);
        return new DeleteSecurityGroupResult { Return = true, GroupId = group.Id };
    }

    public override async Task<DescribeSecurityGroupsResult> DescribeSecurityGroupsAsync(RequestContext context, DescribeSecurityGroupsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.GroupIds, request.MaxResults, "groupIds");
        foreach (var id in request.GroupIds ?? [])
        {
            ResourceTypes.SecurityGroup.CheckId(id);
        }
        CheckIdFilter(request.Filters, "group-id", ResourceTypes.SecurityGroup);
        var criteria = ToCriteria(request.Filters);
        // By key when ids are given; every group when names are (they are checked against all of
        // the default VPC's); else what the index selects for the filters.
        var groups = request.GroupIds is { Count: > 0 } groupIds
            ? await context.Store.GetManyAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, groupIds, context.Cancellation).ConfigureAwait(false)
            : request.GroupNames is { Count: > 0 }
                ? await context.Store.ListAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, context.Cancellation).ConfigureAwait(false)
                : await LoadCandidatesAsync<SecurityGroupResource>(context, ResourceTypes.SecurityGroup, SecurityGroupFilters, criteria).ConfigureAwait(false);
        var rules = (groups.Count <= 100
                ? await SecurityGroups.RulesOfAsync(context.Store, context.Scope, groups.ConvertAll(g => g.Id), context.Cancellation).ConfigureAwait(false)
                : await SecurityGroups.ListRulesAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false))
            .ToLookup(r => r.GroupId, StringComparer.Ordinal);
        IEnumerable<SecurityGroupResource> selected = groups;
        if (request.GroupIds is { Count: > 0 } ids)
        {
            foreach (var id in ids.Where(id => !groups.Exists(g => g.Id == id)))
            {
                throw ResourceTypes.SecurityGroup.NotFound(id);
            }
            selected = selected.Where(g => ids.Contains(g.Id));
        }
        if (request.GroupNames is { Count: > 0 } names)
        {
            var defaultVpc = await DefaultVpcProvisioner.FindDefaultVpcIdAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
            foreach (var name in names.Where(n => !groups.Exists(g => g.GroupName == n && g.VpcId == defaultVpc)))
            {
                throw new AwsException("InvalidGroup.NotFound", $"The security group '{name}' does not exist in default VPC '{defaultVpc ?? "none"}'");
            }
            selected = selected.Where(g => g.VpcId == defaultVpc && names.Contains(g.GroupName));
        }
        var views = selected.Select(g => new GroupView(g, rules[g.Id].Where(r => !r.IsEgress).ToList(), rules[g.Id].Where(r => r.IsEgress).ToList()));
        var page = Paginator.Paginate(SecurityGroupFilters.Apply(views, criteria), v => v.Group.Id, request.MaxResults, request.NextToken);
        return new DescribeSecurityGroupsResult
        {
            SecurityGroups = page.Items.Select(v => new SecurityGroup
            {
                GroupId = v.Group.Id,
                GroupName = v.Group.GroupName,
                Description = v.Group.Description,
                OwnerId = v.Group.OwnerId,
                VpcId = v.Group.VpcId,
                SecurityGroupArn = SecurityGroups.Arn(context.Region, v.Group),
                IpPermissions = ToPermissions(v.Ingress),
                IpPermissionsEgress = ToPermissions(v.Egress),
                Tags = v.Group.Tags.Count > 0 ? ToShape(v.Group.Tags) : null,
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeSecurityGroupRulesResult> DescribeSecurityGroupRulesAsync(RequestContext context, DescribeSecurityGroupRulesRequest request)
    {
        CheckIdFilter(request.Filters, "group-id", ResourceTypes.SecurityGroup);
        var page = await SelectAsync(context, ResourceTypes.SecurityGroupRule, SecurityGroupRuleFilters, request.SecurityGroupRuleIds, request.Filters, request.MaxResults, request.NextToken, "securityGroupRuleIds").ConfigureAwait(false);
        return new DescribeSecurityGroupRulesResult
        {
            SecurityGroupRules = page.Items.Select(r => ToShape(r, context.Region)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeSecurityGroupReferencesResult> DescribeSecurityGroupReferencesAsync(RequestContext context, DescribeSecurityGroupReferencesRequest request)
    {
        foreach (var id in request.GroupId ?? [])
        {
            await SecurityGroups.GetAsync(context.Store, context.Scope, id, context.Cancellation).ConfigureAwait(false);
        }
        // Only VPCs across a peering or transit gateway connection count, and Stratus has neither yet.
        return new DescribeSecurityGroupReferencesResult { SecurityGroupReferenceSet = [] };
    }

    public override async Task<AuthorizeSecurityGroupIngressResult> AuthorizeSecurityGroupIngressAsync(RequestContext context, AuthorizeSecurityGroupIngressRequest request)
    {
        var permissions = ClassicOrIpPermissions(request.IpPermissions, request.IpProtocol, request.FromPort, request.ToPort, request.CidrIp, request.SourceSecurityGroupName, request.SourceSecurityGroupOwnerId);
        var tags = TagsOnCreate(request.TagSpecifications, "security-group-rule");
        var group = await SecurityGroups.ResolveAsync(context.Store, context.Scope, request.GroupId, request.GroupName, context.Cancellation).ConfigureAwait(false);
        var added = await SecurityGroups.AuthorizeAsync(context.Transaction, context.Scope, group, egress: false, permissions, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AuthorizeSecurityGroupIngressResult { Return = true, SecurityGroupRules = added.Select(r => ToShape(r, context.Region)).ToList() };
    }

    public override async Task<AuthorizeSecurityGroupEgressResult> AuthorizeSecurityGroupEgressAsync(RequestContext context, AuthorizeSecurityGroupEgressRequest request)
    {
        var permissions = ClassicOrIpPermissions(request.IpPermissions, request.IpProtocol, request.FromPort, request.ToPort, request.CidrIp, request.SourceSecurityGroupName, request.SourceSecurityGroupOwnerId);
        var tags = TagsOnCreate(request.TagSpecifications, "security-group-rule");
        var group = await SecurityGroups.GetAsync(context.Store, context.Scope, request.GroupId!, context.Cancellation).ConfigureAwait(false);
        var added = await SecurityGroups.AuthorizeAsync(context.Transaction, context.Scope, group, egress: true, permissions, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AuthorizeSecurityGroupEgressResult { Return = true, SecurityGroupRules = added.Select(r => ToShape(r, context.Region)).ToList() };
    }

    public override async Task<RevokeSecurityGroupIngressResult> RevokeSecurityGroupIngressAsync(RequestContext context, RevokeSecurityGroupIngressRequest request)
    {
        var permissions = ClassicOrIpPermissions(request.IpPermissions, request.IpProtocol, request.FromPort, request.ToPort, request.CidrIp, request.SourceSecurityGroupName, request.SourceSecurityGroupOwnerId);
        var group = await SecurityGroups.ResolveAsync(context.Store, context.Scope, request.GroupId, request.GroupName, context.Cancellation).ConfigureAwait(false);
        var outcome = await SecurityGroups.RevokeAsync(context.Transaction, context.Scope, group, egress: false, permissions, request.SecurityGroupRuleIds ?? [], context.Cancellation).ConfigureAwait(false);
        return new RevokeSecurityGroupIngressResult
        {
            Return = outcome.Unknown.Count == 0,
            UnknownIpPermissions = outcome.Unknown.Count > 0 ? ToPermissions(outcome.Unknown) : null,
            RevokedSecurityGroupRules = outcome.Revoked.Select(ToRevokedShape).ToList(),
        };
    }

    public override async Task<RevokeSecurityGroupEgressResult> RevokeSecurityGroupEgressAsync(RequestContext context, RevokeSecurityGroupEgressRequest request)
    {
        var permissions = ClassicOrIpPermissions(request.IpPermissions, request.IpProtocol, request.FromPort, request.ToPort, request.CidrIp, request.SourceSecurityGroupName, request.SourceSecurityGroupOwnerId);
        var group = await SecurityGroups.GetAsync(context.Store, context.Scope, request.GroupId!, context.Cancellation).ConfigureAwait(false);
        var outcome = await SecurityGroups.RevokeAsync(context.Transaction, context.Scope, group, egress: true, permissions, request.SecurityGroupRuleIds ?? [], context.Cancellation).ConfigureAwait(false);
        return new RevokeSecurityGroupEgressResult
        {
            Return = outcome.Unknown.Count == 0,
            UnknownIpPermissions = outcome.Unknown.Count > 0 ? ToPermissions(outcome.Unknown) : null,
            RevokedSecurityGroupRules = outcome.Revoked.Select(ToRevokedShape).ToList(),
        };
    }

    public override async Task<ModifySecurityGroupRulesResult> ModifySecurityGroupRulesAsync(RequestContext context, ModifySecurityGroupRulesRequest request)
    {
        var group = await SecurityGroups.GetAsync(context.Store, context.Scope, request.GroupId!, context.Cancellation).ConfigureAwait(false);
        var updates = (request.SecurityGroupRules ?? []).Select(u => new RuleUpdateSpec(
            u.SecurityGroupRuleId ?? throw AwsErrors.MissingParameter("SecurityGroupRule.N.SecurityGroupRuleId"),
            ToSpec(u.SecurityGroupRule ?? throw AwsErrors.MissingParameter("SecurityGroupRule.N.SecurityGroupRule")))).ToList();
        await SecurityGroups.ModifyAsync(context.Transaction, context.Scope, group, updates, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifySecurityGroupRulesResult { Return = true };
    }

    public override async Task<UpdateSecurityGroupRuleDescriptionsIngressResult> UpdateSecurityGroupRuleDescriptionsIngressAsync(RequestContext context, UpdateSecurityGroupRuleDescriptionsIngressRequest request)
    {
        var group = await SecurityGroups.ResolveAsync(context.Store, context.Scope, request.GroupId, request.GroupName, context.Cancellation).ConfigureAwait(false);
        await SecurityGroups.UpdateDescriptionsAsync(
            context.Transaction, context.Scope, group, egress: false, (request.IpPermissions ?? []).Select(ToSpec).ToList(),
            ByRuleId(request.SecurityGroupRuleDescriptions), context.Now, context.Cancellation).ConfigureAwait(false);
        return new UpdateSecurityGroupRuleDescriptionsIngressResult { Return = true };
    }

    public override async Task<UpdateSecurityGroupRuleDescriptionsEgressResult> UpdateSecurityGroupRuleDescriptionsEgressAsync(RequestContext context, UpdateSecurityGroupRuleDescriptionsEgressRequest request)
    {
        var group = await SecurityGroups.ResolveAsync(context.Store, context.Scope, request.GroupId, request.GroupName, context.Cancellation).ConfigureAwait(false);
        await SecurityGroups.UpdateDescriptionsAsync(
            context.Transaction, context.Scope, group, egress: true, (request.IpPermissions ?? []).Select(ToSpec).ToList(),
            ByRuleId(request.SecurityGroupRuleDescriptions), context.Now, context.Cancellation).ConfigureAwait(false);
        return new UpdateSecurityGroupRuleDescriptionsEgressResult { Return = true };
    }

    // ---- request translation -----------------------------------------------------------------

    /// <summary>
    /// The permissions of an Authorize/Revoke request: IpPermissions, or the classic top-level
    /// parameters (protocol, ports and a CIDR or source group; a source group alone stands for
    /// all ICMP, TCP and UDP traffic from it). The two forms cannot be mixed.
    /// </summary>
    private static List<PermissionSpec> ClassicOrIpPermissions(
        List<IpPermission>? ipPermissions, string? protocol, int? fromPort, int? toPort, string? cidrIp, string? sourceGroupName, string? sourceGroupOwnerId)
    {
        var classic = protocol is not null || fromPort is not null || toPort is not null || cidrIp is not null || sourceGroupName is not null || sourceGroupOwnerId is not null;
        if (!classic)
        {
            return (ipPermissions ?? []).Select(ToSpec).ToList();
        }
        if (ipPermissions is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterCombination("The parameter 'ipPermissions' cannot be used with the parameters 'ipProtocol', 'fromPort', 'toPort', 'cidrIp', 'sourceSecurityGroupName' or 'sourceSecurityGroupOwnerId'.");
        }
        if (sourceGroupName is not null || sourceGroupOwnerId is not null)
        {
            if (cidrIp is not null)
            {
                throw AwsErrors.InvalidParameterCombination("The parameter 'cidrIp' cannot be used with the parameter 'sourceSecurityGroupName'.");
            }
            if (string.IsNullOrEmpty(sourceGroupName))
            {
                throw AwsErrors.MissingParameter("sourceSecurityGroupName");
            }
            PeerSpec[] source = [new PeerSpec(PeerKind.Group, null, null, sourceGroupOwnerId, sourceGroupName)];
            return protocol is null
                ? [new("icmp", -1, -1, source), new("tcp", 0, 65535, source), new("udp", 0, 65535, source)]
                : [new(protocol, fromPort, toPort, source)];
        }
        if (cidrIp is null)
        {
            throw AwsErrors.MissingParameter("cidrIp");
        }
        return [new PermissionSpec(protocol, fromPort, toPort, [new PeerSpec(PeerKind.CidrIpv4, cidrIp)])];
    }

    private static PermissionSpec ToSpec(IpPermission p) => new(p.IpProtocol, p.FromPort, p.ToPort,
    [
        .. (p.IpRanges ?? []).Select(r => new PeerSpec(PeerKind.CidrIpv4, r.CidrIp ?? "", r.Description)),
        .. (p.Ipv6Ranges ?? []).Select(r => new PeerSpec(PeerKind.CidrIpv6, r.CidrIpv6 ?? "", r.Description)),
        .. (p.PrefixListIds ?? []).Select(r => new PeerSpec(PeerKind.PrefixList, r.PrefixListIdValue ?? "", r.Description)),
        .. (p.UserIdGroupPairs ?? []).Select(g => new PeerSpec(PeerKind.Group, g.GroupId, g.Description, g.UserId, g.GroupName)),
    ]);

    private static PermissionSpec ToSpec(SecurityGroupRuleRequest r)
    {
        var peers = new List<PeerSpec>();
        if (r.CidrIpv4 is not null)
        {
            peers.Add(new PeerSpec(PeerKind.CidrIpv4, r.CidrIpv4, r.Description));
        }
        if (r.CidrIpv6 is not null)
        {
            peers.Add(new PeerSpec(PeerKind.CidrIpv6, r.CidrIpv6, r.Description));
        }
        if (r.PrefixListId is not null)
        {
            peers.Add(new PeerSpec(PeerKind.PrefixList, r.PrefixListId, r.Description));
        }
        if (r.ReferencedGroupId is not null)
        {
            peers.Add(new PeerSpec(PeerKind.Group, r.ReferencedGroupId, r.Description));
        }
        return new PermissionSpec(r.IpProtocol, r.FromPort, r.ToPort, peers);
    }

    private static List<(string RuleId, string? Description)> ByRuleId(List<SecurityGroupRuleDescription>? descriptions) =>
        (descriptions ?? []).Select(d => (d.SecurityGroupRuleId ?? throw AwsErrors.MissingParameter("SecurityGroupRuleDescription.N.SecurityGroupRuleId"), d.Description)).ToList();

    // ---- shapes ------------------------------------------------------------------------------

    /// <summary>Rules as EC2's IpPermissions: one permission per protocol and port range, its peers listed by kind.</summary>
    private static List<IpPermission> ToPermissions(IEnumerable<SecurityGroupRuleResource> rules) =>
        rules.GroupBy(r => (r.IpProtocol, r.FromPort, r.ToPort)).Select(g => new IpPermission
        {
            IpProtocol = g.Key.IpProtocol,
            FromPort = g.Key.FromPort,
            ToPort = g.Key.ToPort,
            IpRanges = g.Where(r => r.CidrIpv4 is not null).Select(r => new IpRange { CidrIp = r.CidrIpv4, Description = r.Description }).ToList(),
            Ipv6Ranges = g.Where(r => r.CidrIpv6 is not null).Select(r => new Ipv6Range { CidrIpv6 = r.CidrIpv6, Description = r.Description }).ToList(),
            PrefixListIds = g.Where(r => r.PrefixListId is not null).Select(r => new PrefixListId { PrefixListIdValue = r.PrefixListId, Description = r.Description }).ToList(),
            UserIdGroupPairs = g.Where(r => r.ReferencedGroupId is not null).Select(r => new UserIdGroupPair { GroupId = r.ReferencedGroupId, UserId = r.ReferencedUserId ?? r.GroupOwnerId, Description = r.Description }).ToList(),
        }).ToList();

    private static SecurityGroupRule ToShape(SecurityGroupRuleResource r, string region) => new()
    {
        SecurityGroupRuleId = r.Id,
        SecurityGroupRuleArn = SecurityGroups.RuleArn(region, r),
        GroupId = r.GroupId,
        GroupOwnerId = r.GroupOwnerId,
        IsEgress = r.IsEgress,
        IpProtocol = r.IpProtocol,
        FromPort = r.FromPort ?? -1,
        ToPort = r.ToPort ?? -1,
        CidrIpv4 = r.CidrIpv4,
        CidrIpv6 = r.CidrIpv6,
        PrefixListId = r.PrefixListId,
        ReferencedGroupInfo = r.ReferencedGroupId is null ? null : new ReferencedSecurityGroup { GroupId = r.ReferencedGroupId, UserId = r.ReferencedUserId ?? r.GroupOwnerId },
        Description = r.Description,
        Tags = ToShape(r.Tags),
    };

    private static RevokedSecurityGroupRule ToRevokedShape(SecurityGroupRuleResource r) => new()
    {
        SecurityGroupRuleId = r.Id,
        GroupId = r.GroupId,
        IsEgress = r.IsEgress,
        IpProtocol = r.IpProtocol,
        FromPort = r.FromPort ?? -1,
        ToPort = r.ToPort ?? -1,
        CidrIpv4 = r.CidrIpv4,
        CidrIpv6 = r.CidrIpv6,
        PrefixListId = r.PrefixListId,
        ReferencedGroupId = r.ReferencedGroupId,
        Description = r.Description,
    };

    private static string? Text(int? value) => value?.ToString(CultureInfo.InvariantCulture);
}
