using Stratus.Core;
using Stratus.Domain.Iam;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Instances;

/// <summary>The association of an instance with an IAM instance profile, as DescribeIamInstanceProfileAssociations answers it.</summary>
public sealed record InstanceProfileAssociation(string AssociationId, string InstanceId, string ProfileArn, string ProfileId, string State, DateTime Timestamp);

/// <summary>
/// Instance profile associations (AssociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation,
/// DisassociateIamInstanceProfile, DescribeIamInstanceProfileAssociations). An instance holds at
/// most one association, kept on the instance record (the profile's ARN and id, the association's
/// <c>iip-assoc-…</c> id and start), so the metadata service and the authorisation of instance
/// credentials follow it: a new association gives the guest the new role's credentials, a removed
/// one takes them away. An instance launched with a profile starts with an association.
/// Associations are answered as AWS shows them once settled (<c>associated</c>); the changes answer
/// the transitional states AWS answers them with (<c>associating</c>, <c>disassociating</c>).
/// Terminated instances have no associations.
/// </summary>
public static class InstanceProfileAssociations
{
    public const string Associating = "associating", Associated = "associated", Disassociating = "disassociating";

    /// <summary>The instance's current association, or null.</summary>
    public static InstanceProfileAssociation? Of(InstanceResource instance, string state = Associated)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.IamInstanceProfileArn is not { } arn || instance.State is InstanceStates.ShuttingDown or InstanceStates.Terminated)
        {
            return null;
        }
        // Instances recorded before associations had ids get one derived from the instance id.
        var id = instance.IamInstanceProfileAssociationId ?? "iip-assoc-" + instance.Id[(instance.Id.IndexOf('-') + 1)..];
        return new InstanceProfileAssociation(id, instance.Id, arn, instance.IamInstanceProfileId ?? "", state, instance.IamInstanceProfileAssociatedAt ?? instance.LaunchTime);
    }

    /// <summary>Every association of the scope's instances, in association id order.</summary>
    public static async Task<List<InstanceProfileAssociation>> ListAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        var instances = await session.ListAsync<InstanceResource>(scope, ResourceTypes.Instance, ct).ConfigureAwait(false);
        return instances.Select(i => Of(i)).OfType<InstanceProfileAssociation>().OrderBy(a => a.AssociationId, StringComparer.Ordinal).ToList();
    }

    /// <summary>The instance holding an association, or EC2's <c>InvalidAssociationID.NotFound</c>.</summary>
    public static async Task<InstanceResource> RequireInstanceAsync(IStoreSession session, Scope scope, string? associationId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(associationId))
        {
            throw AwsErrors.MissingParameter("AssociationId");
        }
        var instances = await session.ListAsync<InstanceResource>(scope, ResourceTypes.Instance, ct).ConfigureAwait(false);
        return instances.Find(i => Of(i)?.AssociationId == associationId) ?? throw NotFound(associationId);
    }

    public static AwsException NotFound(string associationId) =>
        new("InvalidAssociationID.NotFound", $"An invalid association-id of '{associationId}' was given");

    /// <summary>AssociateIamInstanceProfile: the instance must exist, not be terminated, and hold no association yet.</summary>
    public static async Task<InstanceProfileAssociation> AssociateAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, InstanceProfileResource profile,
        DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(profile);
        if (instance.State is InstanceStates.ShuttingDown or InstanceStates.Terminated)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a valid state for this operation.");
        }
        if (instance.IamInstanceProfileArn is not null)
        {
            throw new AwsException("IncorrectState", $"There is an existing association for instance {instance.Id}");
        }
        Set(instance, profile, now);
        await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        return Of(instance, Associating)!;
    }

    /// <summary>ReplaceIamInstanceProfileAssociation: the association gets a new id and the new profile.</summary>
    public static async Task<InstanceProfileAssociation> ReplaceAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, InstanceProfileResource profile,
        DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(profile);
        Set(instance, profile, now);
        await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        return Of(instance, Associating)!;
    }

    /// <summary>DisassociateIamInstanceProfile: the instance loses its profile (and with it the role's credentials).</summary>
    public static async Task<InstanceProfileAssociation> DisassociateAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var association = Of(instance, Disassociating)!;
        instance.IamInstanceProfileArn = null;
        instance.IamInstanceProfileId = null;
        instance.IamInstanceProfileAssociationId = null;
        instance.IamInstanceProfileAssociatedAt = null;
        await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
        return association;
    }

    private static void Set(InstanceResource instance, InstanceProfileResource profile, DateTime now)
    {
        instance.IamInstanceProfileArn = profile.Arn;
        instance.IamInstanceProfileId = profile.InstanceProfileId;
        instance.IamInstanceProfileAssociationId = ResourceIds.New("iip-assoc");
        instance.IamInstanceProfileAssociatedAt = now;
    }
}
