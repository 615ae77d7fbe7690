using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Iam;
using Stratus.Domain.Instances;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// IAM instance profile associations: associate, replace, disassociate and describe. The profile
/// is validated as RunInstances validates it (InvalidParameterValue for an unknown one) and the
/// caller needs <c>iam:PassRole</c> on its role. The metadata service and the authorisation of the
/// instance's credentials read the association from the instance, so a change takes effect at once.
/// </summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeIamInstanceProfileAssociations")]
    private static readonly FilterSet<InstanceProfileAssociation> InstanceProfileAssociationFilters = new FilterSet<InstanceProfileAssociation>()
        .Add("instance-id", a => a.InstanceId)
        .Add("state", a => a.State);

    public override async Task<AssociateIamInstanceProfileResult> AssociateIamInstanceProfileAsync(RequestContext context, AssociateIamInstanceProfileRequest request)
    {
        var profile = await ResolveProfileAsync(context, request.IamInstanceProfile).ConfigureAwait(false);
        var instance = (await LoadInstancesAsync(context, [request.InstanceId ?? throw AwsErrors.MissingParameter("InstanceId")]).ConfigureAwait(false))[0];
        await CheckPassRoleAsync(context, profile).ConfigureAwait(false);
        var association = await InstanceProfileAssociations.AssociateAsync(context.Transaction, context.Scope, instance, profile, context.Now, context.Cancellation)
            .ConfigureAwait(false);
        return new AssociateIamInstanceProfileResult { IamInstanceProfileAssociation = ToShape(association) };
    }

    public override async Task<ReplaceIamInstanceProfileAssociationResult> ReplaceIamInstanceProfileAssociationAsync(RequestContext context,
        ReplaceIamInstanceProfileAssociationRequest request)
    {
        var profile = await ResolveProfileAsync(context, request.IamInstanceProfile).ConfigureAwait(false);
        var instance = await InstanceProfileAssociations.RequireInstanceAsync(context.Store, context.Scope, request.AssociationId, context.Cancellation).ConfigureAwait(false);
        await CheckPassRoleAsync(context, profile).ConfigureAwait(false);
        var association = await InstanceProfileAssociations.ReplaceAsync(context.Transaction, context.Scope, instance, profile, context.Now, context.Cancellation)
            .ConfigureAwait(false);
        return new ReplaceIamInstanceProfileAssociationResult { IamInstanceProfileAssociation = ToShape(association) };
    }

    public override async Task<DisassociateIamInstanceProfileResult> DisassociateIamInstanceProfileAsync(RequestContext context, DisassociateIamInstanceProfileRequest request)
    {
        var instance = await InstanceProfileAssociations.RequireInstanceAsync(context.Store, context.Scope, request.AssociationId, context.Cancellation).ConfigureAwait(false);
        var association = await InstanceProfileAssociations.DisassociateAsync(context.Transaction, context.Scope, instance, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisassociateIamInstanceProfileResult { IamInstanceProfileAssociation = ToShape(association) };
    }

    public override async Task<DescribeIamInstanceProfileAssociationsResult> DescribeIamInstanceProfileAssociationsAsync(RequestContext context,
        DescribeIamInstanceProfileAssociationsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.AssociationIds, request.MaxResults, "AssociationId");
        IEnumerable<InstanceProfileAssociation> associations = await InstanceProfileAssociations.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        if (request.AssociationIds is { Count: > 0 } ids)
        {
            var known = associations.ToDictionary(a => a.AssociationId, StringComparer.Ordinal);
            foreach (var id in ids.Where(id => !known.ContainsKey(id)))
            {
                throw InstanceProfileAssociations.NotFound(id);
            }
            associations = associations.Where(a => ids.Contains(a.AssociationId));
        }
        associations = InstanceProfileAssociationFilters.Apply(associations, ToCriteria(request.Filters));
        var page = Paginator.Paginate(associations, a => a.AssociationId, request.MaxResults, request.NextToken);
        return new DescribeIamInstanceProfileAssociationsResult { IamInstanceProfileAssociations = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    /// <summary>The profile an association names, as RunInstances resolves it.</summary>
    private static async Task<InstanceProfileResource> ResolveProfileAsync(RequestContext context, IamInstanceProfileSpecification? specification)
    {
        if (specification is null || (specification.Arn is null && specification.Name is null))
        {
            throw AwsErrors.MissingParameter("IamInstanceProfile");
        }
        return (await IamDirectory.ResolveForLaunchAsync(context.Store, context.AccountId, specification.Arn, specification.Name, context.Cancellation).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Handing a role to an instance needs <c>iam:PassRole</c> on the role (with
    /// <c>iam:PassedToService</c> = <c>ec2.amazonaws.com</c>), as AWS checks it for RunInstances and
    /// the association operations. A profile without a role passes nothing.
    /// </summary>
    internal static async Task CheckPassRoleAsync(RequestContext context, InstanceProfileResource profile)
    {
        foreach (var roleName in profile.Roles)
        {
            var role = await Roles.FindAsync(context.Store, context.AccountId, roleName, context.Cancellation).ConfigureAwait(false);
            if (role is not null)
            {
                await context.AuthorizeAsync("iam:PassRole", role.Arn, PassedToEc2).ConfigureAwait(false);
            }
        }
    }

    private static readonly Dictionary<string, string[]> PassedToEc2 = new(StringComparer.OrdinalIgnoreCase)
    {
        ["iam:PassedToService"] = ["ec2.amazonaws.com"],
    };

    private static IamInstanceProfileAssociation ToShape(InstanceProfileAssociation association) => new()
    {
        AssociationId = association.AssociationId,
        InstanceId = association.InstanceId,
        IamInstanceProfile = new IamInstanceProfile { Arn = association.ProfileArn, Id = association.ProfileId },
        State = association.State,
        Timestamp = association.Timestamp,
    };
}
