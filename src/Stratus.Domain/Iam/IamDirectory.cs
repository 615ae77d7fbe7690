using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Iam;

/// <summary>Which kind of entity a policy operation names.</summary>
public enum IamEntityKind
{
    User,
    Group,
    Role,
}

/// <summary>
/// IAM users, groups, access keys, instance profiles, managed policies (with versions),
/// attachments and inline policies, with IAM's validation, quotas and errors
/// (<c>NoSuchEntity</c>, <c>EntityAlreadyExists</c>, <c>DeleteConflict</c>,
/// <c>MalformedPolicyDocument</c>, <c>LimitExceeded</c>, <c>ValidationError</c>). Everything is
/// global to the account (stored with an empty region) and named case-insensitively uniquely.
/// </summary>
public static partial class IamDirectory
{
    public static readonly ResourceType UserType = new("iam-user", "user", "NoSuchEntity", "NoSuchEntity", "The user with name {0} cannot be found.");
    public static readonly ResourceType GroupType = new("iam-group", "group", "NoSuchEntity", "NoSuchEntity", "The group with name {0} cannot be found.");
    public static readonly ResourceType InstanceProfileType = new("iam-instance-profile", "ip", "NoSuchEntity", "NoSuchEntity", "Instance Profile {0} cannot be found.");
    public static readonly ResourceType PolicyType = new("iam-policy", "policy", "NoSuchEntity", "NoSuchEntity", "Policy {0} does not exist or is not attachable.");
    public static readonly ResourceType AccessKeyType = new("iam-access-key", "key", "NoSuchEntity", "NoSuchEntity", "The Access Key with id {0} cannot be found.");

    public const int MaxAccessKeysPerUser = 2, MaxPolicyVersions = 5, MaxManagedPolicySize = 6144, MaxAttachedPolicies = 10, MaxGroupsPerUser = 10;

    [GeneratedRegex(@"^[\w+=,.@-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$")]
    private static partial Regex VersionPattern();

    public static Scope Scope(string accountId) => new(accountId, "");

    // ---- users ---------------------------------------------------------------------------------

    public static async Task<UserResource> CreateUserAsync(IStoreTransaction tx, string accountId, string? userName, string? path, string? boundary, List<Tag>? tags,
        DateTime now, CancellationToken ct = default)
    {
        var name = CheckName(userName, "userName", 64);
        var userPath = Roles.CheckPath(path);
        Roles.CheckTags(tags ?? [], 0);
        if (await FindUserAsync(tx, accountId, name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"User with name {name} already exists.", 409);
        }
        if (boundary is not null)
        {
            await RequirePolicyAsync(tx, accountId, boundary, ct).ConfigureAwait(false);
        }
        var user = new UserResource
        {
            UserName = name,
            UserId = IamIds.New("AIDA"),
            Path = userPath,
            Arn = $"arn:aws:iam::{accountId}:user{userPath}{name}",
            CreateDate = now,
            Tags = tags ?? [],
            PermissionsBoundary = boundary,
        };
        await SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
        return user;
    }

    public static Task<UserResource?> FindUserAsync(IStoreSession session, string accountId, string userName, CancellationToken ct = default) =>
        session.GetAsync<UserResource>(Scope(accountId), UserType, userName.ToUpperInvariant(), ct);

    public static async Task<UserResource> RequireUserAsync(IStoreSession session, string accountId, string? userName, CancellationToken ct = default)
    {
        var name = CheckName(userName, "userName", 128);
        return await FindUserAsync(session, accountId, name, ct).ConfigureAwait(false) ?? throw NoSuch($"The user with name {name} cannot be found.");
    }

    public static async Task<List<UserResource>> UsersAsync(IStoreSession session, string accountId, CancellationToken ct = default) =>
        (await session.ListAsync<UserResource>(Scope(accountId), UserType, ct).ConfigureAwait(false)).OrderBy(u => u.UserName.ToUpperInvariant(), StringComparer.Ordinal).ToList();

    public static Task SaveUserAsync(IStoreTransaction tx, string accountId, UserResource user, CancellationToken ct) =>
        tx.PutAsync(Scope(accountId), UserType, user.UserName.ToUpperInvariant(), user, user.CreateDate, ct);

    /// <summary>UpdateUser: a new name and/or path; the user's keys, groups and policies follow.</summary>
    public static async Task UpdateUserAsync(IStoreTransaction tx, string accountId, string? userName, string? newName, string? newPath, CancellationToken ct = default)
    {
        var user = await RequireUserAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        var path = newPath is null ? user.Path : Roles.CheckPath(newPath);
        var name = newName is null ? user.UserName : CheckName(newName, "newUserName", 64);
        if (!string.Equals(name, user.UserName, StringComparison.OrdinalIgnoreCase) && await FindUserAsync(tx, accountId, name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"User with name {name} already exists.", 409);
        }
        await tx.DeleteAsync(Scope(accountId), UserType, user.UserName.ToUpperInvariant(), ct).ConfigureAwait(false);
        var old = user.UserName;
        user.UserName = name;
        user.Path = path;
        user.Arn = $"arn:aws:iam::{accountId}:user{path}{name}";
        await SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
        foreach (var key in await KeysOfAsync(tx, accountId, old, ct).ConfigureAwait(false))
        {
            key.UserName = name;
            await tx.PutAsync(Scope(accountId), AccessKeyType, key.AccessKeyId, key, key.CreateDate, ct).ConfigureAwait(false);
            if (await tx.FindAccessKeyAsync(key.AccessKeyId, ct).ConfigureAwait(false) is { } stored)
            {
                await tx.PutAccessKeyAsync(stored with { UserName = name }, ct).ConfigureAwait(false);
            }
        }
    }

    public static async Task DeleteUserAsync(IStoreTransaction tx, string accountId, string? userName, CancellationToken ct = default)
    {
        var user = await RequireUserAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        if ((await KeysOfAsync(tx, accountId, user.UserName, ct).ConfigureAwait(false)).Count > 0)
        {
            throw Conflict("Cannot delete entity, must delete access keys first.");
        }
        if (user.LoginProfile is not null)
        {
            throw Conflict("Cannot delete entity, must delete login profile first.");
        }
        if (user.Groups.Count > 0)
        {
            throw Conflict("Cannot delete entity, must remove users from group first.");
        }
        if (user.AttachedPolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must detach all policies first.");
        }
        if (user.InlinePolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must delete policies first.");
        }
        await tx.DeleteAsync(Scope(accountId), UserType, user.UserName.ToUpperInvariant(), ct).ConfigureAwait(false);
    }

    // ---- groups --------------------------------------------------------------------------------

    public static async Task<GroupResource> CreateGroupAsync(IStoreTransaction tx, string accountId, string? groupName, string? path, DateTime now, CancellationToken ct = default)
    {
        var name = CheckName(groupName, "groupName", 128);
        var groupPath = Roles.CheckPath(path);
        if (await FindGroupAsync(tx, accountId, name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"Group with name {name} already exists.", 409);
        }
        var group = new GroupResource
        {
            GroupName = name,
            GroupId = IamIds.New("AGPA"),
            Path = groupPath,
            Arn = $"arn:aws:iam::{accountId}:group{groupPath}{name}",
            CreateDate = now,
        };
        await SaveGroupAsync(tx, accountId, group, ct).ConfigureAwait(false);
        return group;
    }

    public static Task<GroupResource?> FindGroupAsync(IStoreSession session, string accountId, string groupName, CancellationToken ct = default) =>
        session.GetAsync<GroupResource>(Scope(accountId), GroupType, groupName.ToUpperInvariant(), ct);

    public static async Task<GroupResource> RequireGroupAsync(IStoreSession session, string accountId, string? groupName, CancellationToken ct = default)
    {
        var name = CheckName(groupName, "groupName", 128);
        return await FindGroupAsync(session, accountId, name, ct).ConfigureAwait(false) ?? throw NoSuch($"The group with name {name} cannot be found.");
    }

    public static async Task<List<GroupResource>> GroupsAsync(IStoreSession session, string accountId, CancellationToken ct = default) =>
        (await session.ListAsync<GroupResource>(Scope(accountId), GroupType, ct).ConfigureAwait(false)).OrderBy(g => g.GroupName.ToUpperInvariant(), StringComparer.Ordinal).ToList();

    public static Task SaveGroupAsync(IStoreTransaction tx, string accountId, GroupResource group, CancellationToken ct) =>
        tx.PutAsync(Scope(accountId), GroupType, group.GroupName.ToUpperInvariant(), group, group.CreateDate, ct);

    public static async Task<List<UserResource>> MembersAsync(IStoreSession session, string accountId, string groupName, CancellationToken ct = default) =>
        (await UsersAsync(session, accountId, ct).ConfigureAwait(false)).Where(u => u.Groups.Contains(groupName, StringComparer.OrdinalIgnoreCase)).ToList();

    public static async Task UpdateGroupAsync(IStoreTransaction tx, string accountId, string? groupName, string? newName, string? newPath, CancellationToken ct = default)
    {
        var group = await RequireGroupAsync(tx, accountId, groupName, ct).ConfigureAwait(false);
        var name = newName is null ? group.GroupName : CheckName(newName, "newGroupName", 128);
        var path = newPath is null ? group.Path : Roles.CheckPath(newPath);
        if (!string.Equals(name, group.GroupName, StringComparison.OrdinalIgnoreCase) && await FindGroupAsync(tx, accountId, name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"Group with name {name} already exists.", 409);
        }
        var old = group.GroupName;
        foreach (var member in await MembersAsync(tx, accountId, old, ct).ConfigureAwait(false))
        {
            member.Groups.RemoveAll(g => string.Equals(g, old, StringComparison.OrdinalIgnoreCase));
            member.Groups.Add(name);
            await SaveUserAsync(tx, accountId, member, ct).ConfigureAwait(false);
        }
        await tx.DeleteAsync(Scope(accountId), GroupType, old.ToUpperInvariant(), ct).ConfigureAwait(false);
        group.GroupName = name;
        group.Path = path;
        group.Arn = $"arn:aws:iam::{accountId}:group{path}{name}";
        await SaveGroupAsync(tx, accountId, group, ct).ConfigureAwait(false);
    }

    public static async Task DeleteGroupAsync(IStoreTransaction tx, string accountId, string? groupName, CancellationToken ct = default)
    {
        var group = await RequireGroupAsync(tx, accountId, groupName, ct).ConfigureAwait(false);
        if ((await MembersAsync(tx, accountId, group.GroupName, ct).ConfigureAwait(false)).Count > 0)
        {
            throw Conflict("Cannot delete entity, must remove users from group first.");
        }
        if (group.AttachedPolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must detach all policies first.");
        }
        if (group.InlinePolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must delete policies first.");
        }
        await tx.DeleteAsync(Scope(accountId), GroupType, group.GroupName.ToUpperInvariant(), ct).ConfigureAwait(false);
    }

    public static async Task AddUserToGroupAsync(IStoreTransaction tx, string accountId, string? groupName, string? userName, CancellationToken ct = default)
    {
        var group = await RequireGroupAsync(tx, accountId, groupName, ct).ConfigureAwait(false);
        var user = await RequireUserAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        if (user.Groups.Contains(group.GroupName, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }
        if (user.Groups.Count >= MaxGroupsPerUser)
        {
            throw Limit($"Cannot exceed quota for GroupsPerUser: {MaxGroupsPerUser}");
        }
        user.Groups.Add(group.GroupName);
        await SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
    }

    public static async Task RemoveUserFromGroupAsync(IStoreTransaction tx, string accountId, string? groupName, string? userName, CancellationToken ct = default)
    {
        var group = await RequireGroupAsync(tx, accountId, groupName, ct).ConfigureAwait(false);
        var user = await RequireUserAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        if (user.Groups.RemoveAll(g => string.Equals(g, group.GroupName, StringComparison.OrdinalIgnoreCase)) == 0)
        {
            throw NoSuch($"The user with name {user.UserName} cannot be found in group {group.GroupName}.");
        }
        await SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
    }

    // ---- access keys ---------------------------------------------------------------------------

    public static async Task<List<UserAccessKeyResource>> KeysOfAsync(IStoreSession session, string accountId, string userName, CancellationToken ct = default) =>
        (await session.ListAsync<UserAccessKeyResource>(Scope(accountId), AccessKeyType, ct).ConfigureAwait(false))
            .Where(k => string.Equals(k.UserName, userName, StringComparison.OrdinalIgnoreCase)).OrderBy(k => k.CreateDate).ToList();

    /// <summary>CreateAccessKey for a user: at most two per user; the secret is answered only here.</summary>
    public static async Task<(UserAccessKeyResource Key, string Secret)> CreateAccessKeyAsync(IStoreTransaction tx, string accountId, string? userName, DateTime now,
        CancellationToken ct = default)
    {
        var user = await RequireUserAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        if ((await KeysOfAsync(tx, accountId, user.UserName, ct).ConfigureAwait(false)).Count >= MaxAccessKeysPerUser)
        {
            throw Limit($"Cannot exceed quota for AccessKeysPerUser: {MaxAccessKeysPerUser}");
        }
        var stored = new AccessKey(ResourceIds.NewAccessKeyId(), ResourceIds.NewSecretAccessKey(), accountId, now, Active: true, UserName: user.UserName);
        await tx.PutAccessKeyAsync(stored, ct).ConfigureAwait(false);
        var key = new UserAccessKeyResource { AccessKeyId = stored.AccessKeyId, UserName = user.UserName, Status = "Active", CreateDate = now };
        await tx.PutAsync(Scope(accountId), AccessKeyType, key.AccessKeyId, key, now, ct).ConfigureAwait(false);
        return (key, stored.SecretAccessKey);
    }

    public static async Task<UserAccessKeyResource> RequireKeyAsync(IStoreSession session, string accountId, string? userName, string? accessKeyId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(accessKeyId))
        {
            throw Validation("Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null");
        }
        var key = await session.GetAsync<UserAccessKeyResource>(Scope(accountId), AccessKeyType, accessKeyId, ct).ConfigureAwait(false);
        if (key is null || (userName is not null && !string.Equals(key.UserName, userName, StringComparison.OrdinalIgnoreCase)))
        {
            throw NoSuch($"The Access Key with id {accessKeyId} cannot be found.");
        }
        return key;
    }

    public static async Task UpdateAccessKeyAsync(IStoreTransaction tx, string accountId, string? userName, string? accessKeyId, string? status, CancellationToken ct = default)
    {
        if (status is not ("Active" or "Inactive"))
        {
            throw Validation($"Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]");
        }
        var key = await RequireKeyAsync(tx, accountId, userName, accessKeyId, ct).ConfigureAwait(false);
        key.Status = status;
        await tx.PutAsync(Scope(accountId), AccessKeyType, key.AccessKeyId, key, key.CreateDate, ct).ConfigureAwait(false);
        if (await tx.FindAccessKeyAsync(key.AccessKeyId, ct).ConfigureAwait(false) is { } stored)
        {
            await tx.PutAccessKeyAsync(stored with { Active = status == "Active" }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>DeleteAccessKey: the key stops authenticating at once (its secret is forgotten).</summary>
    public static async Task DeleteAccessKeyAsync(IStoreTransaction tx, string accountId, string? userName, string? accessKeyId, CancellationToken ct = default)
    {
        var key = await RequireKeyAsync(tx, accountId, userName, accessKeyId, ct).ConfigureAwait(false);
        await tx.DeleteAsync(Scope(accountId), AccessKeyType, key.AccessKeyId, ct).ConfigureAwait(false);
        if (await tx.FindAccessKeyAsync(key.AccessKeyId, ct).ConfigureAwait(false) is { } stored)
        {
            await tx.PutAccessKeyAsync(stored with { Active = false, SecretAccessKey = "" }, ct).ConfigureAwait(false);
        }
    }

    // ---- instance profiles ---------------------------------------------------------------------

    public static async Task<InstanceProfileResource> CreateInstanceProfileAsync(IStoreTransaction tx, string accountId, string? name, string? path, List<Tag>? tags,
        DateTime now, CancellationToken ct = default)
    {
        var profileName = CheckName(name, "instanceProfileName", 128);
        var profilePath = Roles.CheckPath(path);
        Roles.CheckTags(tags ?? [], 0);
        if (await FindInstanceProfileAsync(tx, accountId, profileName, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"Instance Profile {profileName} already exists.", 409);
        }
        var profile = new InstanceProfileResource
        {
            InstanceProfileName = profileName,
            InstanceProfileId = IamIds.New("AIPA"),
            Path = profilePath,
            Arn = $"arn:aws:iam::{accountId}:instance-profile{profilePath}{profileName}",
            CreateDate = now,
            Tags = tags ?? [],
        };
        await SaveProfileAsync(tx, accountId, profile, ct).ConfigureAwait(false);
        return profile;
    }

    public static Task<InstanceProfileResource?> FindInstanceProfileAsync(IStoreSession session, string accountId, string name, CancellationToken ct = default) =>
        session.GetAsync<InstanceProfileResource>(Scope(accountId), InstanceProfileType, name.ToUpperInvariant(), ct);

    public static async Task<InstanceProfileResource> RequireInstanceProfileAsync(IStoreSession session, string accountId, string? name, CancellationToken ct = default)
    {
        var profileName = CheckName(name, "instanceProfileName", 128);
        return await FindInstanceProfileAsync(session, accountId, profileName, ct).ConfigureAwait(false) ?? throw NoSuch($"Instance Profile {profileName} cannot be found.");
    }

    public static async Task<List<InstanceProfileResource>> InstanceProfilesAsync(IStoreSession session, string accountId, CancellationToken ct = default) =>
        (await session.ListAsync<InstanceProfileResource>(Scope(accountId), InstanceProfileType, ct).ConfigureAwait(false))
            .OrderBy(p => p.InstanceProfileName.ToUpperInvariant(), StringComparer.Ordinal).ToList();

    public static Task SaveProfileAsync(IStoreTransaction tx, string accountId, InstanceProfileResource profile, CancellationToken ct) =>
        tx.PutAsync(Scope(accountId), InstanceProfileType, profile.InstanceProfileName.ToUpperInvariant(), profile, profile.CreateDate, ct);

    public static async Task DeleteInstanceProfileAsync(IStoreTransaction tx, string accountId, string? name, CancellationToken ct = default)
    {
        var profile = await RequireInstanceProfileAsync(tx, accountId, name, ct).ConfigureAwait(false);
        if (profile.Roles.Count > 0)
        {
            throw Conflict("Cannot delete entity, must remove roles from instance profile first.");
        }
        await tx.DeleteAsync(Scope(accountId), InstanceProfileType, profile.InstanceProfileName.ToUpperInvariant(), ct).ConfigureAwait(false);
    }

    public static async Task AddRoleToInstanceProfileAsync(IStoreTransaction tx, string accountId, string? name, string? roleName, CancellationToken ct = default)
    {
        var profile = await RequireInstanceProfileAsync(tx, accountId, name, ct).ConfigureAwait(false);
        var role = await Roles.RequireAsync(tx, accountId, roleName, ct).ConfigureAwait(false);
        if (profile.Roles.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase))
        {
            throw new AwsException("EntityAlreadyExists", $"Role {role.RoleName} is already associated with instance profile {profile.InstanceProfileName}.", 409);
        }
        if (profile.Roles.Count >= 1)
        {
            throw Limit("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
        }
        profile.Roles.Add(role.RoleName);
        await SaveProfileAsync(tx, accountId, profile, ct).ConfigureAwait(false);
    }

    public static async Task RemoveRoleFromInstanceProfileAsync(IStoreTransaction tx, string accountId, string? name, string? roleName, CancellationToken ct = default)
    {
        var profile = await RequireInstanceProfileAsync(tx, accountId, name, ct).ConfigureAwait(false);
        var role = CheckName(roleName, "roleName", 64);
        if (profile.Roles.RemoveAll(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase)) == 0)
        {
            throw NoSuch($"The role with name {role} cannot be found.");
        }
        await SaveProfileAsync(tx, accountId, profile, ct).ConfigureAwait(false);
    }

    public static async Task TagInstanceProfileAsync(IStoreTransaction tx, string accountId, string? name, List<Tag>? tags, CancellationToken ct = default)
    {
        var profile = await RequireInstanceProfileAsync(tx, accountId, name, ct).ConfigureAwait(false);
        Merge(profile.Tags, tags, "TagsPerInstanceProfile");
        await SaveProfileAsync(tx, accountId, profile, ct).ConfigureAwait(false);
    }

    public static async Task UntagInstanceProfileAsync(IStoreTransaction tx, string accountId, string? name, List<string>? keys, CancellationToken ct = default)
    {
        var profile = await RequireInstanceProfileAsync(tx, accountId, name, ct).ConfigureAwait(false);
        profile.Tags.RemoveAll(t => keys?.Contains(t.Key) ?? false);
        await SaveProfileAsync(tx, accountId, profile, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The instance profile a launch names (by ARN or by name), as EC2 checks it: an unknown one is
    /// <c>InvalidParameterValue</c> "Value (x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name".
    /// </summary>
    public static async Task<InstanceProfileResource?> ResolveForLaunchAsync(IStoreSession session, string accountId, string? arn, string? name, CancellationToken ct = default)
    {
        if (arn is null && name is null)
        {
            return null;
        }
        InstanceProfileResource? profile = null;
        if (arn is not null)
        {
            var slash = arn.LastIndexOf('/');
            if (slash > 0 && arn.StartsWith($"arn:aws:iam::{accountId}:instance-profile/", StringComparison.Ordinal))
            {
                profile = await FindInstanceProfileAsync(session, accountId, arn[(slash + 1)..], ct).ConfigureAwait(false);
                if (profile is not null && profile.Arn != arn)
                {
                    profile = null;
                }
            }
            if (profile is null)
            {
                throw new AwsException("InvalidParameterValue", $"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN");
            }
        }
        else if (NamePattern().IsMatch(name!))
        {
            profile = await FindInstanceProfileAsync(session, accountId, name!, ct).ConfigureAwait(false);
        }
        return profile ?? throw new AwsException("InvalidParameterValue", $"Value ({name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name");
    }

    // ---- managed policies ----------------------------------------------------------------------

    public static async Task<ManagedPolicyResource> CreatePolicyAsync(IStoreTransaction tx, string accountId, string? policyName, string? path, string? document,
        string? description, List<Tag>? tags, DateTime now, CancellationToken ct = default)
    {
        var name = CheckName(policyName, "policyName", 128);
        var policyPath = Roles.CheckPath(path);
        CheckIdentityPolicy(document, "policyDocument", MaxManagedPolicySize);
        Roles.CheckDescription(description);
        Roles.CheckTags(tags ?? [], 0);
        if (await tx.GetAsync<ManagedPolicyResource>(Scope(accountId), PolicyType, name.ToUpperInvariant(), ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"A policy called {name} already exists. Duplicate names are not allowed.", 409);
        }
        var policy = new ManagedPolicyResource
        {
            PolicyName = name,
            PolicyId = IamIds.New("ANPA"),
            Path = policyPath,
            Arn = $"arn:aws:iam::{accountId}:policy{policyPath}{name}",
            Description = description,
            CreateDate = now,
            UpdateDate = now,
            DefaultVersionId = "v1",
            Versions = [new PolicyVersionRecord("v1", document!, now)],
            Tags = tags ?? [],
        };
        await SavePolicyAsync(tx, accountId, policy, ct).ConfigureAwait(false);
        return policy;
    }

    public static Task SavePolicyAsync(IStoreTransaction tx, string accountId, ManagedPolicyResource policy, CancellationToken ct) =>
        tx.PutAsync(Scope(accountId), PolicyType, policy.PolicyName.ToUpperInvariant(), policy, policy.CreateDate, ct);

    /// <summary>A managed policy by ARN: AWS-managed, or the account's own.</summary>
    public static async Task<ManagedPolicyResource?> FindPolicyAsync(IStoreSession session, string accountId, string arn, CancellationToken ct = default)
    {
        if (AwsManagedPolicies.IsAwsManaged(arn))
        {
            return AwsManagedPolicies.Find(arn);
        }
        var prefix = $"arn:aws:iam::{accountId}:policy/";
        if (!arn.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var name = arn[(arn.LastIndexOf('/') + 1)..];
        var policy = await session.GetAsync<ManagedPolicyResource>(Scope(accountId), PolicyType, name.ToUpperInvariant(), ct).ConfigureAwait(false);
        return policy is not null && policy.Arn == arn ? policy : null;
    }

    public static async Task<ManagedPolicyResource> RequirePolicyAsync(IStoreSession session, string accountId, string? arn, CancellationToken ct = default)
    {
        var policyArn = CheckArn(arn, "policyArn");
        return await FindPolicyAsync(session, accountId, policyArn, ct).ConfigureAwait(false)
            ?? throw NoSuch($"Policy {policyArn} does not exist or is not attachable.");
    }

    /// <summary>The account's policies and the AWS-managed ones (scope All, AWS or Local).</summary>
    public static async Task<List<ManagedPolicyResource>> PoliciesAsync(IStoreSession session, string accountId, string? scope, CancellationToken ct = default)
    {
        var local = scope is null or "All" or "Local" ? await session.ListAsync<ManagedPolicyResource>(Scope(accountId), PolicyType, ct).ConfigureAwait(false) : [];
        var aws = scope is null or "All" or "AWS" ? AwsManagedPolicies.All.Values : [];
        return aws.Concat(local).OrderBy(p => p.PolicyName.ToUpperInvariant(), StringComparer.Ordinal).ToList();
    }

    public static async Task DeletePolicyAsync(IStoreTransaction tx, string accountId, string? arn, CancellationToken ct = default)
    {
        var policy = await RequireLocalPolicyAsync(tx, accountId, arn, ct).ConfigureAwait(false);
        if (await AttachmentCountAsync(tx, accountId, policy.Arn, ct).ConfigureAwait(false) > 0)
        {
            throw Conflict("Cannot delete a policy attached to entities.");
        }
        if (policy.Versions.Count > 1)
        {
            throw Conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's non-default versions.");
        }
        await tx.DeleteAsync(Scope(accountId), PolicyType, policy.PolicyName.ToUpperInvariant(), ct).ConfigureAwait(false);
    }

    private static async Task<ManagedPolicyResource> RequireLocalPolicyAsync(IStoreSession session, string accountId, string? arn, CancellationToken ct)
    {
        var policy = await RequirePolicyAsync(session, accountId, arn, ct).ConfigureAwait(false);
        if (AwsManagedPolicies.IsAwsManaged(policy.Arn))
        {
            throw new AwsException("AccessDenied", $"Cannot modify the AWS managed policy {policy.Arn}.", 403);
        }
        return policy;
    }

    public static async Task<PolicyVersionRecord> CreatePolicyVersionAsync(IStoreTransaction tx, string accountId, string? arn, string? document, bool setAsDefault,
        DateTime now, CancellationToken ct = default)
    {
        var policy = await RequireLocalPolicyAsync(tx, accountId, arn, ct).ConfigureAwait(false);
        CheckIdentityPolicy(document, "policyDocument", MaxManagedPolicySize);
        if (policy.Versions.Count >= MaxPolicyVersions)
        {
            throw Limit($"A managed policy can have up to {MaxPolicyVersions} versions. Before you create a new version, you must delete an existing version.");
        }
        var version = new PolicyVersionRecord($"v{policy.NextVersion++}", document!, now);
        policy.Versions.Add(version);
        if (setAsDefault)
        {
            policy.DefaultVersionId = version.VersionId;
        }
        policy.UpdateDate = now;
        await SavePolicyAsync(tx, accountId, policy, ct).ConfigureAwait(false);
        return version;
    }

    public static async Task<(ManagedPolicyResource Policy, PolicyVersionRecord Version)> RequireVersionAsync(IStoreSession session, string accountId, string? arn, string? versionId,
        CancellationToken ct = default)
    {
        var policy = await RequirePolicyAsync(session, accountId, arn, ct).ConfigureAwait(false);
        var id = CheckVersionId(versionId);
        var version = policy.Versions.Find(v => v.VersionId == id) ?? throw NoSuch($"Policy {policy.Arn} version {id} does not exist or is not attachable.");
        return (policy, version);
    }

    public static async Task DeletePolicyVersionAsync(IStoreTransaction tx, string accountId, string? arn, string? versionId, CancellationToken ct = default)
    {
        await RequireLocalPolicyAsync(tx, accountId, arn, ct).ConfigureAwait(false);
        var (policy, version) = await RequireVersionAsync(tx, accountId, arn, versionId, ct).ConfigureAwait(false);
        if (version.VersionId == policy.DefaultVersionId)
        {
            throw Conflict("Cannot delete the default version of a policy.");
        }
        policy.Versions.Remove(version);
        await SavePolicyAsync(tx, accountId, policy, ct).ConfigureAwait(false);
    }

    public static async Task SetDefaultPolicyVersionAsync(IStoreTransaction tx, string accountId, string? arn, string? versionId, DateTime now, CancellationToken ct = default)
    {
        await RequireLocalPolicyAsync(tx, accountId, arn, ct).ConfigureAwait(false);
        var (policy, version) = await RequireVersionAsync(tx, accountId, arn, versionId, ct).ConfigureAwait(false);
        policy.DefaultVersionId = version.VersionId;
        policy.UpdateDate = now;
        await SavePolicyAsync(tx, accountId, policy, ct).ConfigureAwait(false);
    }

    public static async Task TagPolicyAsync(IStoreTransaction tx, string accountId, string? arn, List<Tag>? tags, CancellationToken ct = default)
    {
        var policy = await RequireLocalPolicyAsync(tx, accountId, arn, ct).ConfigureAwait(false);
        Merge(policy.Tags, tags, "TagsPerPolicy");
        await SavePolicyAsync(tx, accountId, policy, ct).ConfigureAwait(false);
    }

    public static async Task UntagPolicyAsync(IStoreTransaction tx, string accountId, string? arn, List<string>? keys, CancellationToken ct = default)
    {
        var policy = await RequireLocalPolicyAsync(tx, accountId, arn, ct).ConfigureAwait(false);
        policy.Tags.RemoveAll(t => keys?.Contains(t.Key) ?? false);
        await SavePolicyAsync(tx, accountId, policy, ct).ConfigureAwait(false);
    }

    /// <summary>The users, groups and roles a policy is attached to.</summary>
    public static async Task<(List<UserResource> Users, List<GroupResource> Groups, List<RoleResource> Roles)> EntitiesForPolicyAsync(IStoreSession session, string accountId,
        string arn, CancellationToken ct = default)
    {
        var users = (await UsersAsync(session, accountId, ct).ConfigureAwait(false)).Where(u => u.AttachedPolicies.Contains(arn)).ToList();
        var groups = (await GroupsAsync(session, accountId, ct).ConfigureAwait(false)).Where(g => g.AttachedPolicies.Contains(arn)).ToList();
        var roles = (await session.ListAsync<RoleResource>(Scope(accountId), Roles.Type, ct).ConfigureAwait(false)).Where(r => r.AttachedPolicies.Contains(arn))
            .OrderBy(r => r.RoleName.ToUpperInvariant(), StringComparer.Ordinal).ToList();
        return (users, groups, roles);
    }

    public static async Task<int> AttachmentCountAsync(IStoreSession session, string accountId, string arn, CancellationToken ct = default)
    {
        var (users, groups, roles) = await EntitiesForPolicyAsync(session, accountId, arn, ct).ConfigureAwait(false);
        return users.Count + groups.Count + roles.Count;
    }

    // ---- attachments and inline policies (users, groups, roles) ---------------------------------

    public static async Task<IPolicyHolder> RequireHolderAsync(IStoreSession session, string accountId, IamEntityKind kind, string? name, CancellationToken ct = default) => kind switch
    {
        IamEntityKind.User => await RequireUserAsync(session, accountId, name, ct).ConfigureAwait(false),
        IamEntityKind.Group => await RequireGroupAsync(session, accountId, name, ct).ConfigureAwait(false),
        _ => new RoleHolder(await Roles.RequireAsync(session, accountId, name, ct).ConfigureAwait(false)),
    };

    private static Task SaveHolderAsync(IStoreTransaction tx, string accountId, IPolicyHolder holder, CancellationToken ct) => holder switch
    {
        UserResource user => SaveUserAsync(tx, accountId, user, ct),
        GroupResource group => SaveGroupAsync(tx, accountId, group, ct),
        RoleHolder role => Roles.SaveAsync(tx, accountId, role.Role, ct),
        _ => throw new InvalidOperationException(),
    };

    public static async Task AttachAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, string? policyArn, CancellationToken ct = default)
    {
        var holder = await RequireHolderAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        var policy = await RequirePolicyAsync(tx, accountId, policyArn, ct).ConfigureAwait(false);
        if (holder.AttachedPolicies.Contains(policy.Arn))
        {
            return;
        }
        if (holder.AttachedPolicies.Count >= MaxAttachedPolicies)
        {
            throw Limit($"Cannot exceed quota for PoliciesPer{kind}: {MaxAttachedPolicies}");
        }
        holder.AttachedPolicies.Add(policy.Arn);
        await SaveHolderAsync(tx, accountId, holder, ct).ConfigureAwait(false);
    }

    public static async Task DetachAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, string? policyArn, CancellationToken ct = default)
    {
        var holder = await RequireHolderAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        var arn = CheckArn(policyArn, "policyArn");
        if (!holder.AttachedPolicies.Remove(arn))
        {
            throw NoSuch($"Policy {arn} was not found.");
        }
        await SaveHolderAsync(tx, accountId, holder, ct).ConfigureAwait(false);
    }

    public static async Task PutInlineAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, string? policyName, string? document,
        CancellationToken ct = default)
    {
        var holder = await RequireHolderAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        var policy = CheckName(policyName, "policyName", 128);
        var limit = kind switch { IamEntityKind.User => 2048, IamEntityKind.Group => 5120, _ => 10240 };
        CheckIdentityPolicy(document, "policyDocument", 131072);
        var others = holder.InlinePolicies.Where(p => p.Name != policy).Sum(p => Squeezed(p.Document));
        if (others + Squeezed(document!) > limit)
        {
            throw Limit($"Maximum policy size of {limit} bytes exceeded for {kind.ToString().ToLowerInvariant()} {holder.Name}");
        }
        var index = holder.InlinePolicies.FindIndex(p => p.Name == policy);
        if (index >= 0)
        {
            holder.InlinePolicies[index] = new InlinePolicy(policy, document!);
        }
        else
        {
            holder.InlinePolicies.Add(new InlinePolicy(policy, document!));
        }
        await SaveHolderAsync(tx, accountId, holder, ct).ConfigureAwait(false);
    }

    public static async Task<InlinePolicy> GetInlineAsync(IStoreSession session, string accountId, IamEntityKind kind, string? name, string? policyName, CancellationToken ct = default)
    {
        var holder = await RequireHolderAsync(session, accountId, kind, name, ct).ConfigureAwait(false);
        var policy = CheckName(policyName, "policyName", 128);
        return holder.InlinePolicies.Find(p => p.Name == policy)
            ?? throw NoSuch($"The {kind.ToString().ToLowerInvariant()} policy with name {policy} cannot be found.");
    }

    public static async Task DeleteInlineAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, string? policyName, CancellationToken ct = default)
    {
        var holder = await RequireHolderAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        var policy = CheckName(policyName, "policyName", 128);
        if (holder.InlinePolicies.RemoveAll(p => p.Name == policy) == 0)
        {
            throw NoSuch($"The {kind.ToString().ToLowerInvariant()} policy with name {policy} cannot be found.");
        }
        await SaveHolderAsync(tx, accountId, holder, ct).ConfigureAwait(false);
    }

    /// <summary>A role seen as a policy holder.</summary>
    public sealed class RoleHolder(RoleResource role) : IPrincipalEntity
    {
        public RoleResource Role => role;
        public string Name => role.RoleName;
        public string Arn => role.Arn;
        public List<string> AttachedPolicies => role.AttachedPolicies;
        public List<InlinePolicy> InlinePolicies => role.InlinePolicies;
        public List<Tag> Tags => role.Tags;

        public string? PermissionsBoundary
        {
            get => role.PermissionsBoundary;
            set => role.PermissionsBoundary = value;
        }
    }

    // ---- tags and permissions boundaries (users, roles) ----------------------------------------

    /// <summary>The user or role named (groups have neither tags nor a boundary).</summary>
    public static async Task<IPrincipalEntity> RequirePrincipalAsync(IStoreSession session, string accountId, IamEntityKind kind, string? name, CancellationToken ct = default) =>
        kind switch
        {
            IamEntityKind.User => await RequireUserAsync(session, accountId, name, ct).ConfigureAwait(false),
            IamEntityKind.Role => new RoleHolder(await Roles.RequireAsync(session, accountId, name, ct).ConfigureAwait(false)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "groups have no tags or permissions boundary"),
        };

    /// <summary>TagUser / TagRole: adds or replaces tags by key (at most 50).</summary>
    public static async Task TagPrincipalAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, List<Tag>? tags, CancellationToken ct = default)
    {
        var principal = await RequirePrincipalAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        Merge(principal.Tags, tags, kind == IamEntityKind.User ? "TagsPerUser" : "TagsPerRole");
        await SaveHolderAsync(tx, accountId, principal, ct).ConfigureAwait(false);
    }

    /// <summary>UntagUser / UntagRole.</summary>
    public static async Task UntagPrincipalAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, List<string>? keys, CancellationToken ct = default)
    {
        var principal = await RequirePrincipalAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        principal.Tags.RemoveAll(t => keys?.Contains(t.Key) ?? false);
        await SaveHolderAsync(tx, accountId, principal, ct).ConfigureAwait(false);
    }

    /// <summary>Put/Delete{User,Role}PermissionsBoundary: the boundary must be a policy that exists; null removes it.</summary>
    public static async Task SetPermissionsBoundaryAsync(IStoreTransaction tx, string accountId, IamEntityKind kind, string? name, string? boundaryArn, bool remove,
        CancellationToken ct = default)
    {
        var principal = await RequirePrincipalAsync(tx, accountId, kind, name, ct).ConfigureAwait(false);
        principal.PermissionsBoundary = remove ? null : (await RequirePolicyAsync(tx, accountId, boundaryArn, ct).ConfigureAwait(false)).Arn;
        await SaveHolderAsync(tx, accountId, principal, ct).ConfigureAwait(false);
    }

    // ---- shared rules --------------------------------------------------------------------------

    /// <summary>Pages a sorted list: the marker names the position after the last item answered.</summary>
    public static IamPage<T> Page<T>(IReadOnlyList<T> items, string? marker, int? maxItems)
    {
        ArgumentNullException.ThrowIfNull(items);
        var max = maxItems ?? 100;
        if (max is < 1 or > 1000)
        {
            throw Validation($"Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000");
        }
        var start = 0;
        if (marker is not null)
        {
            try
            {
                var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(marker));
                if (!text.StartsWith("at:", StringComparison.Ordinal)
                    || !int.TryParse(text.AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start) || start > items.Count)
                {
                    throw Validation("Invalid Marker.");
                }
            }
            catch (FormatException)
            {
                throw Validation("Invalid Marker.");
            }
        }
        var page = items.Skip(start).Take(max).ToList();
        var next = start + page.Count;
        var truncated = next < items.Count;
        return new IamPage<T>(page, truncated, truncated ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"at:{next}")) : null);
    }

    public static string CheckName(string? value, string member, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Validation($"Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }
        if (value.Length > max)
        {
            throw Validation($"Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}");
        }
        if (!NamePattern().IsMatch(value))
        {
            throw Validation($"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
        }
        return value;
    }

    private static string CheckArn(string? arn, string member)
    {
        if (string.IsNullOrEmpty(arn))
        {
            throw Validation($"Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }
        if (arn.Length < 20 || !arn.StartsWith("arn:", StringComparison.Ordinal))
        {
            throw new AwsException("InvalidInput", $"ARN {arn} is not valid.");
        }
        return arn;
    }

    private static string CheckVersionId(string? versionId)
    {
        if (string.IsNullOrEmpty(versionId))
        {
            throw Validation("Value null at 'versionId' failed to satisfy constraint: Member must not be null");
        }
        if (!VersionPattern().IsMatch(versionId))
        {
            throw Validation($"Value '{versionId}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?");
        }
        return versionId;
    }

    /// <summary>
    /// An identity-based policy must parse, name no principal and give every statement a
    /// resource; its conditions must use known operators.
    /// </summary>
    public static void CheckIdentityPolicy(string? document, string member, int maxLength)
    {
        if (string.IsNullOrEmpty(document))
        {
            throw Validation($"Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }
        if (Squeezed(document) > maxLength)
        {
            throw Limit($"Cannot exceed quota for PolicySize: {maxLength}");
        }
        var parsed = PolicyDocument.Parse(document);
        if (parsed.Statements.Exists(s => s.Principals is not null))
        {
            throw new AwsException("MalformedPolicyDocument", "Policy document should not specify a principal.");
        }
        if (parsed.Statements.Exists(s => !s.HasResource))
        {
            throw new AwsException("MalformedPolicyDocument", "Policy statement must contain resources.");
        }
        CompiledPolicy.Compile("check", document);
    }

    /// <summary>A policy's size as IAM counts it: without white space.</summary>
    private static int Squeezed(string document) => document.Count(c => !char.IsWhiteSpace(c));

    private static void Merge(List<Tag> tags, List<Tag>? added, string quota)
    {
        var add = added ?? [];
        Roles.CheckTags(add, 0);
        var merged = tags.Where(t => !add.Exists(a => a.Key == t.Key)).Concat(add).ToList();
        if (merged.Count > Roles.MaxTags)
        {
            throw Limit($"Cannot exceed quota for {quota}: {Roles.MaxTags}.");
        }
        tags.Clear();
        tags.AddRange(merged);
    }

    public static AwsException NoSuch(string message) => new("NoSuchEntity", message, 404);

    private static AwsException Conflict(string message) => new("DeleteConflict", message, 409);

    private static AwsException Limit(string message) => new("LimitExceeded", message, 409);

    private static AwsException Validation(string message) => new("ValidationError", message);
}
