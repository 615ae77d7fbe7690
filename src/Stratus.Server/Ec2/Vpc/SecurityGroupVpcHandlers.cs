using Stratus.Domain.Filtering;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.SecurityGroupAssociations;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Security group VPC associations, the groups a VPC may use, and stale security group rules.</summary>
internal sealed partial class Ec2Service
{
    private static readonly FilterSet<SecurityGroupVpcAssociationResource> SecurityGroupVpcAssociationFilters = new FilterSet<SecurityGroupVpcAssociationResource>()
        .Add("group-id", a => a.GroupId)
        .Add("group-owner-id", a => a.GroupOwnerId)
        .Add("vpc-id", a => a.VpcId)
        .Add("vpc-owner-id", a => a.VpcOwnerId)
        .Add("state", a => a.State);

    private static readonly FilterSet<SecurityGroupResource> SecurityGroupForVpcFilters = new FilterSet<SecurityGroupResource>()
        .Add("group-id", g => g.Id)
        .Add("group-name", g => g.GroupName)
        .Add("description", g => g.Description)
        .Add("owner-id", g => g.OwnerId)
        .Add("primary-vpc-id", g => g.VpcId)
        .WithTags(g => g.Tags);

    public override async Task<AssociateSecurityGroupVpcResult> AssociateSecurityGroupVpcAsync(RequestContext context, AssociateSecurityGroupVpcRequest request)
    {
        await SecurityGroupVpcAssociations.AssociateAsync(context.Transaction, context.Scope, request.GroupId, request.VpcId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateSecurityGroupVpcResult { State = "associating" };
    }

    public override async Task<DisassociateSecurityGroupVpcResult> DisassociateSecurityGroupVpcAsync(RequestContext context, DisassociateSecurityGroupVpcRequest request)
    {
        await SecurityGroupVpcAssociations.DisassociateAsync(context.Transaction, context.Scope, request.GroupId, request.VpcId, context.Cancellation).ConfigureAwait(false);
        return new DisassociateSecurityGroupVpcResult { State = "disassociating" };
    }

    public override async Task<DescribeSecurityGroupVpcAssociationsResult> DescribeSecurityGroupVpcAssociationsAsync(RequestContext context, DescribeSecurityGroupVpcAssociationsRequest request)
    {
        var all = (await SecurityGroupVpcAssociations.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false))
            .OrderBy(a => a.Id, StringComparer.Ordinal);
        var page = Paginator.Paginate(SecurityGroupVpcAssociationFilters.Apply(all, ToCriteria(request.Filters)), a => a.Id, request.MaxResults, request.NextToken);
        return new DescribeSecurityGroupVpcAssociationsResult
        {
            SecurityGroupVpcAssociations = page.Items.Select(a => new SecurityGroupVpcAssociation
            {
                GroupId = a.GroupId,
                GroupOwnerId = a.GroupOwnerId,
                VpcId = a.VpcId,
                VpcOwnerId = a.VpcOwnerId,
                State = a.State,
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<GetSecurityGroupsForVpcResult> GetSecurityGroupsForVpcAsync(RequestContext context, GetSecurityGroupsForVpcRequest request)
    {
        var groups = await SecurityGroupVpcAssociations.GroupsForVpcAsync(context.Store, context.Scope, request.VpcId, context.Cancellation).ConfigureAwait(false);
        var page = Paginator.Paginate(SecurityGroupForVpcFilters.Apply(groups, ToCriteria(request.Filters)), g => g.Id, request.MaxResults, request.NextToken);
        return new GetSecurityGroupsForVpcResult
        {
            SecurityGroupForVpcs = page.Items.Select(g => new SecurityGroupForVpc
            {
                GroupId = g.Id,
                GroupName = g.GroupName,
                Description = g.Description,
                OwnerId = g.OwnerId,
                PrimaryVpcId = g.VpcId,
                Tags = ToShape(g.Tags),
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<DescribeStaleSecurityGroupsResult> DescribeStaleSecurityGroupsAsync(RequestContext context, DescribeStaleSecurityGroupsRequest request)
    {
        var stale = await SecurityGroupVpcAssociations.StaleAsync(context.Store, context.Scope, request.VpcId, context.Now, context.Cancellation).ConfigureAwait(false);
        var page = Paginator.Paginate(stale, s => s.Group.Id, request.MaxResults, request.NextToken, 5, 255);
        return new DescribeStaleSecurityGroupsResult
        {
            StaleSecurityGroupSet = page.Items.Select(s => new StaleSecurityGroup
            {
                GroupId = s.Group.Id,
                GroupName = s.Group.GroupName,
                Description = s.Group.Description,
                VpcId = s.Group.VpcId,
                StaleIpPermissions = s.Rules.Where(r => !r.Rule.IsEgress).Select(ToStalePermission).ToList(),
                StaleIpPermissionsEgress = s.Rules.Where(r => r.Rule.IsEgress).Select(ToStalePermission).ToList(),
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    private static StaleIpPermission ToStalePermission(StaleRule r) => new()
    {
        IpProtocol = r.Rule.IpProtocol,
        FromPort = r.Rule.FromPort,
        ToPort = r.Rule.ToPort,
        UserIdGroupPairs =
        [
            new UserIdGroupPair
            {
                GroupId = r.Rule.ReferencedGroupId,
                UserId = r.Rule.ReferencedUserId ?? r.Rule.GroupOwnerId,
                VpcId = r.ReferencedVpcId,
                VpcPeeringConnectionId = r.PeeringConnectionId,
                PeeringStatus = r.PeeringStatus,
                Description = r.Rule.Description,
            },
        ],
    };
}
