using Stratus.Domain.Resources;

namespace Stratus.Domain.Iam;

/// <summary>An inline (embedded) policy of a user, group or role.</summary>
public sealed record InlinePolicy(string Name, string Document);

/// <summary>What users, groups and roles share: managed policies attached and inline policies.</summary>
public interface IPolicyHolder
{
    string Name { get; }
    string Arn { get; }
    List<string> AttachedPolicies { get; }
    List<InlinePolicy> InlinePolicies { get; }
}

/// <summary>What users and roles (the principals) share besides policies: tags and a permissions boundary.</summary>
public interface IPrincipalEntity : IPolicyHolder
{
    List<Tag> Tags { get; }
    string? PermissionsBoundary { get; set; }
}

/// <summary>An IAM user: global to its account, named case-insensitively uniquely.</summary>
public sealed class UserResource : IPrincipalEntity
{
    public required string UserName { get; set; }
    public required string UserId { get; init; }
    public required string Path { get; set; }
    public required string Arn { get; set; }
    public required DateTime CreateDate { get; init; }
    public List<Tag> Tags { get; init; } = [];
    public List<string> AttachedPolicies { get; init; } = [];
    public List<InlinePolicy> InlinePolicies { get; init; } = [];

    /// <summary>Names of the groups the user belongs to.</summary>
    public List<string> Groups { get; init; } = [];

    public string? PermissionsBoundary { get; set; }

    /// <summary>The user's console password (a salted hash), if it has one.</summary>
    public LoginProfileRecord? LoginProfile { get; set; }

    string IPolicyHolder.Name => UserName;
}

/// <summary>An IAM group; its members are the users that name it.</summary>
public sealed class GroupResource : IPolicyHolder
{
    public required string GroupName { get; set; }
    public required string GroupId { get; init; }
    public required string Path { get; set; }
    public required string Arn { get; set; }
    public required DateTime CreateDate { get; init; }
    public List<string> AttachedPolicies { get; init; } = [];
    public List<InlinePolicy> InlinePolicies { get; init; } = [];

    string IPolicyHolder.Name => GroupName;
}

/// <summary>An instance profile: a container for (at most) one role that EC2 instances carry.</summary>
public sealed class InstanceProfileResource
{
    public required string InstanceProfileName { get; init; }
    public required string InstanceProfileId { get; init; }
    public required string Path { get; init; }
    public required string Arn { get; init; }
    public required DateTime CreateDate { get; init; }

    /// <summary>Names of the roles in the profile (IAM allows one).</summary>
    public List<string> Roles { get; init; } = [];

    public List<Tag> Tags { get; init; } = [];
}

/// <summary>One version of a managed policy.</summary>
public sealed record PolicyVersionRecord(string VersionId, string Document, DateTime CreateDate);

/// <summary>A managed policy: customer-managed (stored) or AWS-managed (<see cref="AwsManagedPolicies"/>).</summary>
public sealed class ManagedPolicyResource
{
    public required string PolicyName { get; init; }
    public required string PolicyId { get; init; }
    public required string Path { get; init; }
    public required string Arn { get; init; }
    public string? Description { get; init; }
    public required DateTime CreateDate { get; init; }
    public DateTime UpdateDate { get; set; }
    public required string DefaultVersionId { get; set; }
    public List<PolicyVersionRecord> Versions { get; init; } = [];

    /// <summary>The number the next version gets (versions are never renumbered).</summary>
    public int NextVersion { get; set; } = 2;

    public List<Tag> Tags { get; init; } = [];

    public PolicyVersionRecord DefaultVersion => Versions.First(v => v.VersionId == DefaultVersionId);
}

/// <summary>The IAM side of a user's access key: its owner, status and last use (the secret lives with the store's access keys).</summary>
public sealed class UserAccessKeyResource
{
    public required string AccessKeyId { get; init; }
    public required string UserName { get; set; }
    public required string Status { get; set; }
    public required DateTime CreateDate { get; init; }
    public DateTime? LastUsedDate { get; set; }
    public string? LastUsedService { get; set; }
    public string? LastUsedRegion { get; set; }
}

/// <summary>A page of a list operation in IAM's Marker / IsTruncated style.</summary>
public sealed record IamPage<T>(IReadOnlyList<T> Items, bool IsTruncated, string? Marker);

/// <summary>A user's login profile: when it was made, whether the password must be changed, and the password's salted SHA-256.</summary>
public sealed record LoginProfileRecord(DateTime CreateDate, bool PasswordResetRequired, string Salt, string PasswordHash);
