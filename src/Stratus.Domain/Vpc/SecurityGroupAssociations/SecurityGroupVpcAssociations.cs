using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc.Peering;

namespace Stratus.Domain.Vpc.SecurityGroupAssociations;

/// <summary>A security group associated with a VPC other than its own.</summary>
public sealed class SecurityGroupVpcAssociationResource
{
    public required string Id { get; init; }
    public required string GroupId { get; init; }
    public required string GroupOwnerId { get; init; }
    public required string VpcId { get; init; }
    public required string VpcOwnerId { get; init; }
    public string State { get; set; } = "associated";
}

/// <summary>A rule of a group that refers to a group it can no longer reach.</summary>
public sealed record StaleRule(SecurityGroupRuleResource Rule, string? ReferencedVpcId, string? PeeringConnectionId, string? PeeringStatus);

/// <summary>A security group of a VPC and its stale rules.</summary>
public sealed record StaleGroup(SecurityGroupResource Group, IReadOnlyList<StaleRule> Rules);

/// <summary>
/// Security group VPC associations (a group usable by the interfaces of another VPC of the region),
/// the groups a VPC may use, and the stale rules of a VPC's groups (rules referencing a group in a
/// VPC that is no longer peered, or a group that no longer exists).
/// </summary>
public static class SecurityGroupVpcAssociations
{
    private static readonly ResourceType Type = new("security-group-vpc-association", "sgvpca", "InvalidParameterValue", "InvalidParameterValue", "{0}");

    /// <summary>VPCs a group may be associated with at most (AWS quota).</summary>
    public const int MaxVpcsPerGroup = 10;

    public static async Task<SecurityGroupVpcAssociationResource> AssociateAsync(IStoreTransaction tx, Scope scope, string? groupId, string? vpcId, DateTime now, CancellationToken ct)
    {
        var group = await RequireGroupAsync(tx, scope, groupId, ct).ConfigureAwait(false);
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (group.VpcId == vpc.Id)
        {
            throw AwsErrors.InvalidParameterValue($"The security group {group.Id} already belongs to {vpc.Id}.");
        }
        if (group.IsDefault)
        {
            throw AwsErrors.InvalidParameterValue($"You cannot associate the default security group {group.Id} with another VPC.");
        }
        var all = await ListAsync(tx, scope, ct).ConfigureAwait(false);
        if (all.Exists(a => a.GroupId == group.Id && a.VpcId == vpc.Id))
        {
            throw AwsErrors.InvalidParameterValue($"The security group {group.Id} is already associated with {vpc.Id}.");
        }
        if (all.Count(a => a.GroupId == group.Id) >= MaxVpcsPerGroup)
        {
            throw new AwsException("SecurityGroupVpcAssociationLimitExceeded", $"The security group {group.Id} is associated with the maximum number of VPCs ({MaxVpcsPerGroup}).");
        }
        var association = new SecurityGroupVpcAssociationResource
        {
            Id = Key(group.Id, vpc.Id),
            GroupId = group.Id,
            GroupOwnerId = group.OwnerId,
            VpcId = vpc.Id,
            VpcOwnerId = scope.AccountId,
        };
        await tx.PutAsync(scope, Type, association.Id, association, now, ct).ConfigureAwait(false);
        return association;
    }

    public static async Task<SecurityGroupVpcAssociationResource> DisassociateAsync(IStoreTransaction tx, Scope scope, string? groupId, string? vpcId, CancellationToken ct)
    {
        var group = await RequireGroupAsync(tx, scope, groupId, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(vpcId))
        {
            throw AwsErrors.MissingParameter("VpcId");
        }
        var association = await tx.GetAsync<SecurityGroupVpcAssociationResource>(scope, Type, Key(group.Id, vpcId), ct).ConfigureAwait(false)
            ?? throw AwsErrors.InvalidParameterValue($"The security group {group.Id} is not associated with {vpcId}.");
        var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
        if (interfaces.Find(i => i.VpcId == vpcId && i.SecurityGroupIds.Contains(group.Id)) is { } user)
        {
            throw new AwsException("DependencyViolation", $"The security group {group.Id} is in use by {user.Id} in {vpcId}.");
        }
        await tx.DeleteAsync(scope, Type, association.Id, ct).ConfigureAwait(false);
        return association;
    }

    public static Task<List<SecurityGroupVpcAssociationResource>> ListAsync(IStoreSession session, Scope scope, CancellationToken ct) =>
        session.ListAsync<SecurityGroupVpcAssociationResource>(scope, Type, ct);

    /// <summary>True when <paramref name="groupId"/> may be used by interfaces of <paramref name="vpcId"/> through an association.</summary>
    public static async Task<bool> IsAssociatedAsync(IStoreSession session, Scope scope, string groupId, string vpcId, CancellationToken ct) =>
        await session.GetAsync<SecurityGroupVpcAssociationResource>(scope, Type, Key(groupId, vpcId), ct).ConfigureAwait(false) is not null;

    /// <summary>GetSecurityGroupsForVpc: the VPC's own groups and those associated with it, in id order.</summary>
    public static async Task<List<SecurityGroupResource>> GroupsForVpcAsync(IStoreSession session, Scope scope, string? vpcId, CancellationToken ct)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(session, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var associated = (await ListAsync(session, scope, ct).ConfigureAwait(false)).Where(a => a.VpcId == vpc.Id).Select(a => a.GroupId).ToHashSet(StringComparer.Ordinal);
        return (await session.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false))
            .Where(g => g.VpcId == vpc.Id || associated.Contains(g.Id))
            .OrderBy(g => g.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// DescribeStaleSecurityGroups: the VPC's groups with rules that reference a group of another VPC
    /// with no active peering connection to this one (<c>PeeringStatus</c> the connection's last status,
    /// or none), or a group that no longer exists.
    /// </summary>
    public static async Task<List<StaleGroup>> StaleAsync(IStoreSession session, Scope scope, string? vpcId, DateTime now, CancellationToken ct)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(session, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var groups = (await session.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false)).ToDictionary(g => g.Id, StringComparer.Ordinal);
        var rules = await SecurityGroups.SecurityGroups.ListRulesAsync(session, scope, ct).ConfigureAwait(false);
        var peerings = (await session.ListAsync<VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, ct).ConfigureAwait(false))
            .Where(p => p.Involves(vpc.Id)).ToList();
        var associations = await ListAsync(session, scope, ct).ConfigureAwait(false);
        var result = new List<StaleGroup>();
        foreach (var group in groups.Values.Where(g => g.VpcId == vpc.Id).OrderBy(g => g.Id, StringComparer.Ordinal))
        {
            var stale = new List<StaleRule>();
            foreach (var rule in rules.Where(r => r.GroupId == group.Id && r.ReferencedGroupId is not null).OrderBy(r => r.Id, StringComparer.Ordinal))
            {
                var sameAccount = rule.ReferencedUserId is null || rule.ReferencedUserId == scope.AccountId;
                if (!sameAccount)
                {
                    continue; // groups of other accounts are not visible here
                }
                if (!groups.TryGetValue(rule.ReferencedGroupId!, out var referenced))
                {
                    stale.Add(new StaleRule(rule, null, null, null));
                    continue;
                }
                if (referenced.VpcId == vpc.Id || associations.Exists(a => a.GroupId == referenced.Id && a.VpcId == vpc.Id))
                {
                    continue;
                }
                var peering = peerings.Where(p => p.PeerOf(vpc.Id).VpcId == referenced.VpcId).MaxBy(p => p.StatusAt(now) == "active" ? 1 : 0);
                if (peering is not null && peering.StatusAt(now) == "active")
                {
                    continue;
                }
                stale.Add(new StaleRule(rule, referenced.VpcId, peering?.Id, peering?.StatusAt(now)));
            }
            if (stale.Count > 0)
            {
                result.Add(new StaleGroup(group, stale));
            }
        }
        return result;
    }

    private static string Key(string groupId, string vpcId) => groupId + "/" + vpcId;

    private static async Task<SecurityGroupResource> RequireGroupAsync(IStoreSession session, Scope scope, string? groupId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            throw AwsErrors.MissingParameter("GroupId");
        }
        ResourceTypes.SecurityGroup.CheckId(groupId);
        return await session.GetAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, groupId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.SecurityGroup.NotFound(groupId);
    }
}
