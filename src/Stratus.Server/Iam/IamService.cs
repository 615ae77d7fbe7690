using Stratus.Core;
using Stratus.Domain.Iam;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.Iam;
using DomainTag = Stratus.Domain.Resources.Tag;

namespace Stratus.Server.Iam;

/// <summary>
/// IAM (query protocol): users, groups and membership, users' access keys, roles with trust
/// policies, instance profiles, managed policies with versions (customer-managed and the
/// AWS-managed ones Stratus carries), attachments, inline policies, tags, GetUser of the caller,
/// GetAccountAuthorizationDetails and the policy simulator. Everything is global to the account;
/// policy documents are answered URL-encoded, as IAM does. Every change invalidates the compiled
/// policies the gateway authorises with, once committed.
/// </summary>
internal sealed partial class IamService(IamPolicyCache cache) : IamServiceBase<RequestContext>, IAwsService
{
    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(IamService));

    ServiceInfo IAwsService.Model => IamShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input)
    {
        if (!context.Operation.IsReadOnly)
        {
            context.AfterCommit(() =>
            {
                cache.Invalidate();
                return Task.CompletedTask;
            });
        }
        return DispatchAsync(context.Operation, context, input);
    }

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    private static string Acct(RequestContext c) => c.AccountId;

    private static List<DomainTag>? Tags(List<Tag>? tags) => tags?.Select(t => new DomainTag(t.Key ?? "", t.Value ?? "")).ToList();

    private static List<Tag>? TagShapes(List<DomainTag> tags) => tags.Count > 0 ? tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList() : null;

    private static string Encode(string document) => Uri.EscapeDataString(document);

    // ---- roles ---------------------------------------------------------------------------------

    public override async Task<CreateRoleResponse> CreateRoleAsync(RequestContext context, CreateRoleRequest request)
    {
        if (request.PermissionsBoundary is { } boundary)
        {
            await IamDirectory.RequirePolicyAsync(context.Store, Acct(context), boundary, context.Cancellation).ConfigureAwait(false);
        }
        var role = await Roles.CreateAsync(context.Transaction, context.AccountId, request.RoleName, request.Path, request.AssumeRolePolicyDocument, request.Description,
            request.MaxSessionDuration, Tags(request.Tags), context.Now, context.Cancellation).ConfigureAwait(false);
        if (request.PermissionsBoundary is not null)
        {
            role.PermissionsBoundary = request.PermissionsBoundary;
            await Roles.SaveAsync(context.Transaction, Acct(context), role, context.Cancellation).ConfigureAwait(false);
        }
        return new CreateRoleResponse { Role = ToShape(role) };
    }

    public override async Task<GetRoleResponse> GetRoleAsync(RequestContext context, GetRoleRequest request) =>
        new() { Role = ToShape(await Roles.RequireAsync(context.Store, context.AccountId, request.RoleName, context.Cancellation).ConfigureAwait(false)) };

    public override async Task<ListRolesResponse> ListRolesAsync(RequestContext context, ListRolesRequest request)
    {
        var page = await Roles.ListAsync(context.Store, context.AccountId, request.PathPrefix, request.Marker, request.MaxItems, context.Cancellation).ConfigureAwait(false);
        // ListRoles leaves out tags and the last-used record, as IAM does.
        return new ListRolesResponse
        {
            Roles = page.Roles.Select(r => ToShape(r, tags: false)).ToList(),
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override Task DeleteRoleAsync(RequestContext context, DeleteRoleRequest request) =>
        Roles.DeleteAsync(context.Transaction, context.AccountId, request.RoleName, context.Cancellation);

    public override Task UpdateAssumeRolePolicyAsync(RequestContext context, UpdateAssumeRolePolicyRequest request) =>
        Roles.UpdateTrustPolicyAsync(context.Transaction, context.AccountId, request.RoleName, request.PolicyDocument, context.Now, context.Cancellation);

    public override async Task<UpdateRoleResponse> UpdateRoleAsync(RequestContext context, UpdateRoleRequest request)
    {
        await Roles.UpdateAsync(context.Transaction, context.AccountId, request.RoleName, request.Description, request.MaxSessionDuration, context.Cancellation).ConfigureAwait(false);
        return new UpdateRoleResponse();
    }

    public override async Task<UpdateRoleDescriptionResponse> UpdateRoleDescriptionAsync(RequestContext context, UpdateRoleDescriptionRequest request)
    {
        var role = await Roles.UpdateAsync(context.Transaction, context.AccountId, request.RoleName, request.Description ?? "", null, context.Cancellation).ConfigureAwait(false);
        return new UpdateRoleDescriptionResponse { Role = ToShape(role) };
    }

    public override Task TagRoleAsync(RequestContext context, TagRoleRequest request) => TagAsync(context, IamEntityKind.Role, request.RoleName, request.Tags);

    public override Task UntagRoleAsync(RequestContext context, UntagRoleRequest request) => UntagAsync(context, IamEntityKind.Role, request.RoleName, request.TagKeys);

    public override async Task<ListRoleTagsResponse> ListRoleTagsAsync(RequestContext context, ListRoleTagsRequest request)
    {
        var (tags, truncated, marker) = await TagPageAsync(context, IamEntityKind.Role, request.RoleName, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListRoleTagsResponse { Tags = tags, IsTruncated = truncated, Marker = marker };
    }

    public override Task PutRolePermissionsBoundaryAsync(RequestContext context, PutRolePermissionsBoundaryRequest request) =>
        BoundaryAsync(context, IamEntityKind.Role, request.RoleName, request.PermissionsBoundary);

    public override Task DeleteRolePermissionsBoundaryAsync(RequestContext context, DeleteRolePermissionsBoundaryRequest request) =>
        BoundaryAsync(context, IamEntityKind.Role, request.RoleName, null, remove: true);

    private static Role ToShape(RoleResource role, bool tags = true) => new()
    {
        RoleName = role.RoleName,
        RoleId = role.RoleId,
        Arn = role.Arn,
        Path = role.Path,
        CreateDate = role.CreateDate,
        AssumeRolePolicyDocument = Encode(role.AssumeRolePolicyDocument),
        Description = role.Description,
        MaxSessionDuration = role.MaxSessionDuration,
        PermissionsBoundary = Boundary(role.PermissionsBoundary),
        Tags = tags ? TagShapes(role.Tags) : null,
        RoleLastUsed = tags ? new RoleLastUsed { LastUsedDate = role.LastUsedDate, Region = role.LastUsedRegion } : null,
    };

    private static AttachedPermissionsBoundary? Boundary(string? arn) =>
        arn is null ? null : new AttachedPermissionsBoundary { PermissionsBoundaryArn = arn, PermissionsBoundaryType = "PermissionsBoundaryPolicy" };

    // ---- users ---------------------------------------------------------------------------------

    private static User ToShape(UserResource user, bool tags = true) => new()
    {
        UserName = user.UserName,
        UserId = user.UserId,
        Arn = user.Arn,
        Path = user.Path,
        CreateDate = user.CreateDate,
        PermissionsBoundary = Boundary(user.PermissionsBoundary),
        Tags = tags ? TagShapes(user.Tags) : null,
    };

    public override async Task<CreateUserResponse> CreateUserAsync(RequestContext context, CreateUserRequest request) => new()
    {
        User = ToShape(await IamDirectory.CreateUserAsync(context.Transaction, Acct(context), request.UserName, request.Path, request.PermissionsBoundary, Tags(request.Tags),
            context.Now, context.Cancellation).ConfigureAwait(false)),
    };

    public override async Task<GetUserResponse> GetUserAsync(RequestContext context, GetUserRequest request)
    {
        var name = request.UserName ?? context.Caller.UserName;
        if (name is null)
        {
            if (context.Caller.IsRoot)
            {
                var account = await context.Store.FindAccountAsync(Acct(context), context.Cancellation).ConfigureAwait(false);
                return new GetUserResponse { User = new User { UserId = Acct(context), Arn = $"arn:aws:iam::{Acct(context)}:root", Path = "/", UserName = "", CreateDate = account?.CreatedAt } };
            }
            throw new AwsException("ValidationError", "Must specify userName when calling with non-User credentials");
        }
        return new GetUserResponse { User = ToShape(await IamDirectory.RequireUserAsync(context.Store, Acct(context), name, context.Cancellation).ConfigureAwait(false)) };
    }

    public override async Task<ListUsersResponse> ListUsersAsync(RequestContext context, ListUsersRequest request)
    {
        var users = (await IamDirectory.UsersAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false))
            .Where(u => u.Path.StartsWith(request.PathPrefix ?? "/", StringComparison.Ordinal)).ToList();
        var page = IamDirectory.Page(users, request.Marker, request.MaxItems);
        return new ListUsersResponse { Users = page.Items.Select(u => ToShape(u, tags: false)).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task UpdateUserAsync(RequestContext context, UpdateUserRequest request) =>
        IamDirectory.UpdateUserAsync(context.Transaction, Acct(context), request.UserName, request.NewUserName, request.NewPath, context.Cancellation);

    public override Task DeleteUserAsync(RequestContext context, DeleteUserRequest request) =>
        IamDirectory.DeleteUserAsync(context.Transaction, Acct(context), request.UserName, context.Cancellation);

    public override Task TagUserAsync(RequestContext context, TagUserRequest request) => TagAsync(context, IamEntityKind.User, request.UserName, request.Tags);

    public override Task UntagUserAsync(RequestContext context, UntagUserRequest request) => UntagAsync(context, IamEntityKind.User, request.UserName, request.TagKeys);

    public override async Task<ListUserTagsResponse> ListUserTagsAsync(RequestContext context, ListUserTagsRequest request)
    {
        var (tags, truncated, marker) = await TagPageAsync(context, IamEntityKind.User, request.UserName, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListUserTagsResponse { Tags = tags, IsTruncated = truncated, Marker = marker };
    }

    public override Task PutUserPermissionsBoundaryAsync(RequestContext context, PutUserPermissionsBoundaryRequest request) =>
        BoundaryAsync(context, IamEntityKind.User, request.UserName, request.PermissionsBoundary);

    public override Task DeleteUserPermissionsBoundaryAsync(RequestContext context, DeleteUserPermissionsBoundaryRequest request) =>
        BoundaryAsync(context, IamEntityKind.User, request.UserName, null, remove: true);

    // ---- what users and roles share: tags and permissions boundaries ---------------------------

    private static Task TagAsync(RequestContext context, IamEntityKind kind, string? name, List<Tag>? tags) =>
        IamDirectory.TagPrincipalAsync(context.Transaction, Acct(context), kind, name, Tags(tags), context.Cancellation);

    private static Task UntagAsync(RequestContext context, IamEntityKind kind, string? name, List<string>? keys) =>
        IamDirectory.UntagPrincipalAsync(context.Transaction, Acct(context), kind, name, keys, context.Cancellation);

    private static async Task<(List<Tag> Tags, bool Truncated, string? Marker)> TagPageAsync(RequestContext context, IamEntityKind kind, string? name, string? marker,
        int? maxItems)
    {
        var principal = await IamDirectory.RequirePrincipalAsync(context.Store, Acct(context), kind, name, context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(principal.Tags, marker, maxItems);
        return (page.Items.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(), page.IsTruncated, page.Marker);
    }

    private static Task BoundaryAsync(RequestContext context, IamEntityKind kind, string? name, string? boundaryArn, bool remove = false) =>
        IamDirectory.SetPermissionsBoundaryAsync(context.Transaction, Acct(context), kind, name, boundaryArn, remove, context.Cancellation);

    // ---- groups --------------------------------------------------------------------------------

    private static Group ToShape(GroupResource group) => new()
    {
        GroupName = group.GroupName,
        GroupId = group.GroupId,
        Arn = group.Arn,
        Path = group.Path,
        CreateDate = group.CreateDate,
    };

    public override async Task<CreateGroupResponse> CreateGroupAsync(RequestContext context, CreateGroupRequest request) => new()
    {
        Group = ToShape(await IamDirectory.CreateGroupAsync(context.Transaction, Acct(context), request.GroupName, request.Path, context.Now, context.Cancellation).ConfigureAwait(false)),
    };

    public override async Task<GetGroupResponse> GetGroupAsync(RequestContext context, GetGroupRequest request)
    {
        var group = await IamDirectory.RequireGroupAsync(context.Store, Acct(context), request.GroupName, context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(await IamDirectory.MembersAsync(context.Store, Acct(context), group.GroupName, context.Cancellation).ConfigureAwait(false),
            request.Marker, request.MaxItems);
        return new GetGroupResponse { Group = ToShape(group), Users = page.Items.Select(u => ToShape(u, tags: false)).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListGroupsResponse> ListGroupsAsync(RequestContext context, ListGroupsRequest request)
    {
        var groups = (await IamDirectory.GroupsAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false))
            .Where(g => g.Path.StartsWith(request.PathPrefix ?? "/", StringComparison.Ordinal)).ToList();
        var page = IamDirectory.Page(groups, request.Marker, request.MaxItems);
        return new ListGroupsResponse { Groups = page.Items.Select(ToShape).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListGroupsForUserResponse> ListGroupsForUserAsync(RequestContext context, ListGroupsForUserRequest request)
    {
        var user = await IamDirectory.RequireUserAsync(context.Store, Acct(context), request.UserName, context.Cancellation).ConfigureAwait(false);
        var groups = (await IamDirectory.GroupsAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false))
            .Where(g => user.Groups.Contains(g.GroupName, StringComparer.OrdinalIgnoreCase)).ToList();
        var page = IamDirectory.Page(groups, request.Marker, request.MaxItems);
        return new ListGroupsForUserResponse { Groups = page.Items.Select(ToShape).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task UpdateGroupAsync(RequestContext context, UpdateGroupRequest request) =>
        IamDirectory.UpdateGroupAsync(context.Transaction, Acct(context), request.GroupName, request.NewGroupName, request.NewPath, context.Cancellation);

    public override Task DeleteGroupAsync(RequestContext context, DeleteGroupRequest request) =>
        IamDirectory.DeleteGroupAsync(context.Transaction, Acct(context), request.GroupName, context.Cancellation);

    public override Task AddUserToGroupAsync(RequestContext context, AddUserToGroupRequest request) =>
        IamDirectory.AddUserToGroupAsync(context.Transaction, Acct(context), request.GroupName, request.UserName, context.Cancellation);

    public override Task RemoveUserFromGroupAsync(RequestContext context, RemoveUserFromGroupRequest request) =>
        IamDirectory.RemoveUserFromGroupAsync(context.Transaction, Acct(context), request.GroupName, request.UserName, context.Cancellation);

    // ---- access keys ---------------------------------------------------------------------------

    /// <summary>Access-key operations without UserName act on the calling user (the root has no IAM user: its keys are managed by the operator).</summary>
    private static string KeyOwner(RequestContext context, string? userName) =>
        userName ?? context.Caller.UserName ?? throw new AwsException("ValidationError", "Must specify userName when calling with non-User credentials");

    public override async Task<CreateAccessKeyResponse> CreateAccessKeyAsync(RequestContext context, CreateAccessKeyRequest request)
    {
        var (key, secret) = await IamDirectory.CreateAccessKeyAsync(context.Transaction, Acct(context), KeyOwner(context, request.UserName), context.Now, context.Cancellation)
            .ConfigureAwait(false);
        return new CreateAccessKeyResponse
        {
            AccessKey = new AccessKey { AccessKeyId = key.AccessKeyId, SecretAccessKey = secret, Status = key.Status, UserName = key.UserName, CreateDate = key.CreateDate },
        };
    }

    public override async Task<ListAccessKeysResponse> ListAccessKeysAsync(RequestContext context, ListAccessKeysRequest request)
    {
        var user = await IamDirectory.RequireUserAsync(context.Store, Acct(context), KeyOwner(context, request.UserName), context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(await IamDirectory.KeysOfAsync(context.Store, Acct(context), user.UserName, context.Cancellation).ConfigureAwait(false),
            request.Marker, request.MaxItems);
        return new ListAccessKeysResponse
        {
            AccessKeyMetadata = page.Items.Select(k => new AccessKeyMetadata { AccessKeyId = k.AccessKeyId, Status = k.Status, UserName = k.UserName, CreateDate = k.CreateDate }).ToList(),
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override Task UpdateAccessKeyAsync(RequestContext context, UpdateAccessKeyRequest request) =>
        IamDirectory.UpdateAccessKeyAsync(context.Transaction, Acct(context), KeyOwner(context, request.UserName), request.AccessKeyId, request.Status, context.Cancellation);

    public override Task DeleteAccessKeyAsync(RequestContext context, DeleteAccessKeyRequest request) =>
        IamDirectory.DeleteAccessKeyAsync(context.Transaction, Acct(context), KeyOwner(context, request.UserName), request.AccessKeyId, context.Cancellation);

    public override async Task<GetAccessKeyLastUsedResponse> GetAccessKeyLastUsedAsync(RequestContext context, GetAccessKeyLastUsedRequest request)
    {
        var key = await IamDirectory.RequireKeyAsync(context.Store, Acct(context), null, request.AccessKeyId, context.Cancellation).ConfigureAwait(false);
        var used = cache.LastUsed(key.AccessKeyId);
        return new GetAccessKeyLastUsedResponse
        {
            UserName = key.UserName,
            AccessKeyLastUsed = used is { } u
                ? new AccessKeyLastUsed { LastUsedDate = u.When, ServiceName = u.Service, Region = u.Region }
                : new AccessKeyLastUsed { ServiceName = "N/A", Region = "N/A" },
        };
    }

    // ---- instance profiles ---------------------------------------------------------------------

    private static async Task<InstanceProfile> ToShapeAsync(RequestContext context, InstanceProfileResource profile, bool tags = true)
    {
        var roles = new List<Role>();
        foreach (var name in profile.Roles)
        {
            if (await Roles.FindAsync(context.Store, Acct(context), name, context.Cancellation).ConfigureAwait(false) is { } role)
            {
                roles.Add(ToShape(role, tags: false));
            }
        }
        return new InstanceProfile
        {
            InstanceProfileName = profile.InstanceProfileName,
            InstanceProfileId = profile.InstanceProfileId,
            Arn = profile.Arn,
            Path = profile.Path,
            CreateDate = profile.CreateDate,
            Roles = roles,
            Tags = tags ? TagShapes(profile.Tags) : null,
        };
    }

    public override async Task<CreateInstanceProfileResponse> CreateInstanceProfileAsync(RequestContext context, CreateInstanceProfileRequest request) => new()
    {
        InstanceProfile = await ToShapeAsync(context, await IamDirectory.CreateInstanceProfileAsync(context.Transaction, Acct(context), request.InstanceProfileName, request.Path,
            Tags(request.Tags), context.Now, context.Cancellation).ConfigureAwait(false)).ConfigureAwait(false),
    };

    public override async Task<GetInstanceProfileResponse> GetInstanceProfileAsync(RequestContext context, GetInstanceProfileRequest request) => new()
    {
        InstanceProfile = await ToShapeAsync(context, await IamDirectory.RequireInstanceProfileAsync(context.Store, Acct(context), request.InstanceProfileName, context.Cancellation)
            .ConfigureAwait(false)).ConfigureAwait(false),
    };

    public override async Task<ListInstanceProfilesResponse> ListInstanceProfilesAsync(RequestContext context, ListInstanceProfilesRequest request)
    {
        var profiles = (await IamDirectory.InstanceProfilesAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false))
            .Where(p => p.Path.StartsWith(request.PathPrefix ?? "/", StringComparison.Ordinal)).ToList();
        var page = IamDirectory.Page(profiles, request.Marker, request.MaxItems);
        var shapes = new List<InstanceProfile>();
        foreach (var profile in page.Items)
        {
            shapes.Add(await ToShapeAsync(context, profile, tags: false).ConfigureAwait(false));
        }
        return new ListInstanceProfilesResponse { InstanceProfiles = shapes, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListInstanceProfilesForRoleResponse> ListInstanceProfilesForRoleAsync(RequestContext context, ListInstanceProfilesForRoleRequest request)
    {
        var role = await Roles.RequireAsync(context.Store, Acct(context), request.RoleName, context.Cancellation).ConfigureAwait(false);
        var profiles = (await IamDirectory.InstanceProfilesAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false))
            .Where(p => p.Roles.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase)).ToList();
        var page = IamDirectory.Page(profiles, request.Marker, request.MaxItems);
        var shapes = new List<InstanceProfile>();
        foreach (var profile in page.Items)
        {
            shapes.Add(await ToShapeAsync(context, profile, tags: false).ConfigureAwait(false));
        }
        return new ListInstanceProfilesForRoleResponse { InstanceProfiles = shapes, IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeleteInstanceProfileAsync(RequestContext context, DeleteInstanceProfileRequest request) =>
        IamDirectory.DeleteInstanceProfileAsync(context.Transaction, Acct(context), request.InstanceProfileName, context.Cancellation);

    public override Task AddRoleToInstanceProfileAsync(RequestContext context, AddRoleToInstanceProfileRequest request) =>
        IamDirectory.AddRoleToInstanceProfileAsync(context.Transaction, Acct(context), request.InstanceProfileName, request.RoleName, context.Cancellation);

    public override Task RemoveRoleFromInstanceProfileAsync(RequestContext context, RemoveRoleFromInstanceProfileRequest request) =>
        IamDirectory.RemoveRoleFromInstanceProfileAsync(context.Transaction, Acct(context), request.InstanceProfileName, request.RoleName, context.Cancellation);

    public override Task TagInstanceProfileAsync(RequestContext context, TagInstanceProfileRequest request) =>
        IamDirectory.TagInstanceProfileAsync(context.Transaction, Acct(context), request.InstanceProfileName, Tags(request.Tags), context.Cancellation);

    public override Task UntagInstanceProfileAsync(RequestContext context, UntagInstanceProfileRequest request) =>
        IamDirectory.UntagInstanceProfileAsync(context.Transaction, Acct(context), request.InstanceProfileName, request.TagKeys, context.Cancellation);

    public override async Task<ListInstanceProfileTagsResponse> ListInstanceProfileTagsAsync(RequestContext context, ListInstanceProfileTagsRequest request)
    {
        var profile = await IamDirectory.RequireInstanceProfileAsync(context.Store, Acct(context), request.InstanceProfileName, context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(profile.Tags, request.Marker, request.MaxItems);
        return new ListInstanceProfileTagsResponse { Tags = page.Items.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    // ---- managed policies ----------------------------------------------------------------------

    private static async Task<Policy> ToShapeAsync(RequestContext context, ManagedPolicyResource policy, bool tags = true) => new()
    {
        PolicyName = policy.PolicyName,
        PolicyId = policy.PolicyId,
        Arn = policy.Arn,
        Path = policy.Path,
        Description = policy.Description,
        DefaultVersionId = policy.DefaultVersionId,
        AttachmentCount = await IamDirectory.AttachmentCountAsync(context.Store, Acct(context), policy.Arn, context.Cancellation).ConfigureAwait(false),
        PermissionsBoundaryUsageCount = 0,
        IsAttachable = true,
        CreateDate = policy.CreateDate,
        UpdateDate = policy.UpdateDate,
        Tags = tags ? TagShapes(policy.Tags) : null,
    };

    private static PolicyVersion ToShape(ManagedPolicyResource policy, PolicyVersionRecord version, bool document = true) => new()
    {
        VersionId = version.VersionId,
        Document = document ? Encode(version.Document) : null,
        IsDefaultVersion = version.VersionId == policy.DefaultVersionId,
        CreateDate = version.CreateDate,
    };

    public override async Task<CreatePolicyResponse> CreatePolicyAsync(RequestContext context, CreatePolicyRequest request) => new()
    {
        Policy = await ToShapeAsync(context, await IamDirectory.CreatePolicyAsync(context.Transaction, Acct(context), request.PolicyName, request.Path, request.PolicyDocument,
            request.Description, Tags(request.Tags), context.Now, context.Cancellation).ConfigureAwait(false)).ConfigureAwait(false),
    };

    public override async Task<GetPolicyResponse> GetPolicyAsync(RequestContext context, GetPolicyRequest request) => new()
    {
        Policy = await ToShapeAsync(context, await IamDirectory.RequirePolicyAsync(context.Store, Acct(context), request.PolicyArn, context.Cancellation).ConfigureAwait(false))
            .ConfigureAwait(false),
    };

    public override async Task<ListPoliciesResponse> ListPoliciesAsync(RequestContext context, ListPoliciesRequest request)
    {
        if (request.Scope is not (null or "All" or "AWS" or "Local"))
        {
            throw new AwsException("ValidationError", $"Value '{request.Scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]");
        }
        var shapes = new List<Policy>();
        foreach (var policy in await IamDirectory.PoliciesAsync(context.Store, Acct(context), request.Scope, context.Cancellation).ConfigureAwait(false))
        {
            if (policy.Path.StartsWith(request.PathPrefix ?? "/", StringComparison.Ordinal))
            {
                var shape = await ToShapeAsync(context, policy, tags: false).ConfigureAwait(false);
                if (request.OnlyAttached != true || shape.AttachmentCount > 0)
                {
                    shapes.Add(shape);
                }
            }
        }
        var page = IamDirectory.Page(shapes, request.Marker, request.MaxItems);
        return new ListPoliciesResponse { Policies = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeletePolicyAsync(RequestContext context, DeletePolicyRequest request) =>
        IamDirectory.DeletePolicyAsync(context.Transaction, Acct(context), request.PolicyArn, context.Cancellation);

    public override async Task<CreatePolicyVersionResponse> CreatePolicyVersionAsync(RequestContext context, CreatePolicyVersionRequest request)
    {
        var version = await IamDirectory.CreatePolicyVersionAsync(context.Transaction, Acct(context), request.PolicyArn, request.PolicyDocument, request.SetAsDefault ?? false,
            context.Now, context.Cancellation).ConfigureAwait(false);
        var policy = await IamDirectory.RequirePolicyAsync(context.Store, Acct(context), request.PolicyArn, context.Cancellation).ConfigureAwait(false);
        return new CreatePolicyVersionResponse { PolicyVersion = ToShape(policy, version, document: false) };
    }

    public override async Task<GetPolicyVersionResponse> GetPolicyVersionAsync(RequestContext context, GetPolicyVersionRequest request)
    {
        var (policy, version) = await IamDirectory.RequireVersionAsync(context.Store, Acct(context), request.PolicyArn, request.VersionId, context.Cancellation).ConfigureAwait(false);
        return new GetPolicyVersionResponse { PolicyVersion = ToShape(policy, version) };
    }

    public override async Task<ListPolicyVersionsResponse> ListPolicyVersionsAsync(RequestContext context, ListPolicyVersionsRequest request)
    {
        var policy = await IamDirectory.RequirePolicyAsync(context.Store, Acct(context), request.PolicyArn, context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(policy.Versions.OrderByDescending(v => v.CreateDate).ToList(), request.Marker, request.MaxItems);
        return new ListPolicyVersionsResponse { Versions = page.Items.Select(v => ToShape(policy, v, document: false)).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeletePolicyVersionAsync(RequestContext context, DeletePolicyVersionRequest request) =>
        IamDirectory.DeletePolicyVersionAsync(context.Transaction, Acct(context), request.PolicyArn, request.VersionId, context.Cancellation);

    public override Task SetDefaultPolicyVersionAsync(RequestContext context, SetDefaultPolicyVersionRequest request) =>
        IamDirectory.SetDefaultPolicyVersionAsync(context.Transaction, Acct(context), request.PolicyArn, request.VersionId, context.Now, context.Cancellation);

    public override Task TagPolicyAsync(RequestContext context, TagPolicyRequest request) =>
        IamDirectory.TagPolicyAsync(context.Transaction, Acct(context), request.PolicyArn, Tags(request.Tags), context.Cancellation);

    public override Task UntagPolicyAsync(RequestContext context, UntagPolicyRequest request) =>
        IamDirectory.UntagPolicyAsync(context.Transaction, Acct(context), request.PolicyArn, request.TagKeys, context.Cancellation);

    public override async Task<ListPolicyTagsResponse> ListPolicyTagsAsync(RequestContext context, ListPolicyTagsRequest request)
    {
        var policy = await IamDirectory.RequirePolicyAsync(context.Store, Acct(context), request.PolicyArn, context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(policy.Tags, request.Marker, request.MaxItems);
        return new ListPolicyTagsResponse { Tags = page.Items.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListEntitiesForPolicyResponse> ListEntitiesForPolicyAsync(RequestContext context, ListEntitiesForPolicyRequest request)
    {
        var policy = await IamDirectory.RequirePolicyAsync(context.Store, Acct(context), request.PolicyArn, context.Cancellation).ConfigureAwait(false);
        var (users, groups, roles) = await IamDirectory.EntitiesForPolicyAsync(context.Store, Acct(context), policy.Arn, context.Cancellation).ConfigureAwait(false);
        var prefix = request.PathPrefix ?? "/";
        var filter = request.EntityFilter;
        var entities = new List<object>();
        if (filter is null or "User")
        {
            entities.AddRange(users.Where(u => u.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(u => new PolicyUser { UserName = u.UserName, UserId = u.UserId }));
        }
        if (filter is null or "Group")
        {
            entities.AddRange(groups.Where(g => g.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(g => new PolicyGroup { GroupName = g.GroupName, GroupId = g.GroupId }));
        }
        if (filter is null or "Role")
        {
            entities.AddRange(roles.Where(r => r.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(r => new PolicyRole { RoleName = r.RoleName, RoleId = r.RoleId }));
        }
        var page = IamDirectory.Page(entities, request.Marker, request.MaxItems);
        return new ListEntitiesForPolicyResponse
        {
            PolicyUsers = page.Items.OfType<PolicyUser>().ToList(),
            PolicyGroups = page.Items.OfType<PolicyGroup>().ToList(),
            PolicyRoles = page.Items.OfType<PolicyRole>().ToList(),
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    // ---- attachments and inline policies -------------------------------------------------------

    public override Task AttachUserPolicyAsync(RequestContext context, AttachUserPolicyRequest request) =>
        IamDirectory.AttachAsync(context.Transaction, Acct(context), IamEntityKind.User, request.UserName, request.PolicyArn, context.Cancellation);

    public override Task AttachGroupPolicyAsync(RequestContext context, AttachGroupPolicyRequest request) =>
        IamDirectory.AttachAsync(context.Transaction, Acct(context), IamEntityKind.Group, request.GroupName, request.PolicyArn, context.Cancellation);

    public override Task AttachRolePolicyAsync(RequestContext context, AttachRolePolicyRequest request) =>
        IamDirectory.AttachAsync(context.Transaction, Acct(context), IamEntityKind.Role, request.RoleName, request.PolicyArn, context.Cancellation);

    public override Task DetachUserPolicyAsync(RequestContext context, DetachUserPolicyRequest request) =>
        IamDirectory.DetachAsync(context.Transaction, Acct(context), IamEntityKind.User, request.UserName, request.PolicyArn, context.Cancellation);

    public override Task DetachGroupPolicyAsync(RequestContext context, DetachGroupPolicyRequest request) =>
        IamDirectory.DetachAsync(context.Transaction, Acct(context), IamEntityKind.Group, request.GroupName, request.PolicyArn, context.Cancellation);

    public override Task DetachRolePolicyAsync(RequestContext context, DetachRolePolicyRequest request) =>
        IamDirectory.DetachAsync(context.Transaction, Acct(context), IamEntityKind.Role, request.RoleName, request.PolicyArn, context.Cancellation);

    private static async Task<(List<AttachedPolicy> Items, bool Truncated, string? Marker)> AttachedAsync(RequestContext context, IamEntityKind kind, string? name,
        string? pathPrefix, string? marker, int? maxItems)
    {
        var holder = await IamDirectory.RequireHolderAsync(context.Store, Acct(context), kind, name, context.Cancellation).ConfigureAwait(false);
        var attached = new List<AttachedPolicy>();
        foreach (var arn in holder.AttachedPolicies)
        {
            if (await IamDirectory.FindPolicyAsync(context.Store, Acct(context), arn, context.Cancellation).ConfigureAwait(false) is { } policy
                && policy.Path.StartsWith(pathPrefix ?? "/", StringComparison.Ordinal))
            {
                attached.Add(new AttachedPolicy { PolicyArn = policy.Arn, PolicyName = policy.PolicyName });
            }
        }
        var page = IamDirectory.Page(attached, marker, maxItems);
        return (page.Items.ToList(), page.IsTruncated, page.Marker);
    }

    public override async Task<ListAttachedUserPoliciesResponse> ListAttachedUserPoliciesAsync(RequestContext context, ListAttachedUserPoliciesRequest request)
    {
        var (items, truncated, marker) = await AttachedAsync(context, IamEntityKind.User, request.UserName, request.PathPrefix, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListAttachedUserPoliciesResponse { AttachedPolicies = items, IsTruncated = truncated, Marker = marker };
    }

    public override async Task<ListAttachedGroupPoliciesResponse> ListAttachedGroupPoliciesAsync(RequestContext context, ListAttachedGroupPoliciesRequest request)
    {
        var (items, truncated, marker) = await AttachedAsync(context, IamEntityKind.Group, request.GroupName, request.PathPrefix, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListAttachedGroupPoliciesResponse { AttachedPolicies = items, IsTruncated = truncated, Marker = marker };
    }

    public override async Task<ListAttachedRolePoliciesResponse> ListAttachedRolePoliciesAsync(RequestContext context, ListAttachedRolePoliciesRequest request)
    {
        var (items, truncated, marker) = await AttachedAsync(context, IamEntityKind.Role, request.RoleName, request.PathPrefix, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListAttachedRolePoliciesResponse { AttachedPolicies = items, IsTruncated = truncated, Marker = marker };
    }

    public override Task PutUserPolicyAsync(RequestContext context, PutUserPolicyRequest request) =>
        IamDirectory.PutInlineAsync(context.Transaction, Acct(context), IamEntityKind.User, request.UserName, request.PolicyName, request.PolicyDocument, context.Cancellation);

    public override Task PutGroupPolicyAsync(RequestContext context, PutGroupPolicyRequest request) =>
        IamDirectory.PutInlineAsync(context.Transaction, Acct(context), IamEntityKind.Group, request.GroupName, request.PolicyName, request.PolicyDocument, context.Cancellation);

    public override Task PutRolePolicyAsync(RequestContext context, PutRolePolicyRequest request) =>
        IamDirectory.PutInlineAsync(context.Transaction, Acct(context), IamEntityKind.Role, request.RoleName, request.PolicyName, request.PolicyDocument, context.Cancellation);

    public override async Task<GetUserPolicyResponse> GetUserPolicyAsync(RequestContext context, GetUserPolicyRequest request)
    {
        var policy = await IamDirectory.GetInlineAsync(context.Store, Acct(context), IamEntityKind.User, request.UserName, request.PolicyName, context.Cancellation).ConfigureAwait(false);
        return new GetUserPolicyResponse { UserName = request.UserName, PolicyName = policy.Name, PolicyDocument = Encode(policy.Document) };
    }

    public override async Task<GetGroupPolicyResponse> GetGroupPolicyAsync(RequestContext context, GetGroupPolicyRequest request)
    {
        var policy = await IamDirectory.GetInlineAsync(context.Store, Acct(context), IamEntityKind.Group, request.GroupName, request.PolicyName, context.Cancellation).ConfigureAwait(false);
        return new GetGroupPolicyResponse { GroupName = request.GroupName, PolicyName = policy.Name, PolicyDocument = Encode(policy.Document) };
    }

    public override async Task<GetRolePolicyResponse> GetRolePolicyAsync(RequestContext context, GetRolePolicyRequest request)
    {
        var policy = await IamDirectory.GetInlineAsync(context.Store, Acct(context), IamEntityKind.Role, request.RoleName, request.PolicyName, context.Cancellation).ConfigureAwait(false);
        return new GetRolePolicyResponse { RoleName = request.RoleName, PolicyName = policy.Name, PolicyDocument = Encode(policy.Document) };
    }

    private static async Task<IamPage<string>> InlineNamesAsync(RequestContext context, IamEntityKind kind, string? name, string? marker, int? maxItems)
    {
        var holder = await IamDirectory.RequireHolderAsync(context.Store, Acct(context), kind, name, context.Cancellation).ConfigureAwait(false);
        return IamDirectory.Page(holder.InlinePolicies.Select(p => p.Name).Order(StringComparer.Ordinal).ToList(), marker, maxItems);
    }

    public override async Task<ListUserPoliciesResponse> ListUserPoliciesAsync(RequestContext context, ListUserPoliciesRequest request)
    {
        var page = await InlineNamesAsync(context, IamEntityKind.User, request.UserName, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListUserPoliciesResponse { PolicyNames = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListGroupPoliciesResponse> ListGroupPoliciesAsync(RequestContext context, ListGroupPoliciesRequest request)
    {
        var page = await InlineNamesAsync(context, IamEntityKind.Group, request.GroupName, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListGroupPoliciesResponse { PolicyNames = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override async Task<ListRolePoliciesResponse> ListRolePoliciesAsync(RequestContext context, ListRolePoliciesRequest request)
    {
        var page = await InlineNamesAsync(context, IamEntityKind.Role, request.RoleName, request.Marker, request.MaxItems).ConfigureAwait(false);
        return new ListRolePoliciesResponse { PolicyNames = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task DeleteUserPolicyAsync(RequestContext context, DeleteUserPolicyRequest request) =>
        IamDirectory.DeleteInlineAsync(context.Transaction, Acct(context), IamEntityKind.User, request.UserName, request.PolicyName, context.Cancellation);

    public override Task DeleteGroupPolicyAsync(RequestContext context, DeleteGroupPolicyRequest request) =>
        IamDirectory.DeleteInlineAsync(context.Transaction, Acct(context), IamEntityKind.Group, request.GroupName, request.PolicyName, context.Cancellation);

    public override Task DeleteRolePolicyAsync(RequestContext context, DeleteRolePolicyRequest request) =>
        IamDirectory.DeleteInlineAsync(context.Transaction, Acct(context), IamEntityKind.Role, request.RoleName, request.PolicyName, context.Cancellation);

    // ---- the account and the simulator ---------------------------------------------------------

    public override async Task<GetAccountAuthorizationDetailsResponse> GetAccountAuthorizationDetailsAsync(RequestContext context, GetAccountAuthorizationDetailsRequest request)
    {
        var filter = request.Filter is { Count: > 0 } f ? f : ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];
        var account = Acct(context);
        var items = new List<object>();
        async Task<List<AttachedPolicy>> Attached(IPolicyHolder holder)
        {
            var list = new List<AttachedPolicy>();
            foreach (var arn in holder.AttachedPolicies)
            {
                if (await IamDirectory.FindPolicyAsync(context.Store, account, arn, context.Cancellation).ConfigureAwait(false) is { } p)
                {
                    list.Add(new AttachedPolicy { PolicyArn = p.Arn, PolicyName = p.PolicyName });
                }
            }
            return list;
        }
        static List<PolicyDetail> Inline(IPolicyHolder holder) => holder.InlinePolicies.Select(p => new PolicyDetail { PolicyName = p.Name, PolicyDocument = Encode(p.Document) }).ToList();
        if (filter.Contains("User"))
        {
            foreach (var user in await IamDirectory.UsersAsync(context.Store, account, context.Cancellation).ConfigureAwait(false))
            {
                items.Add(new UserDetail
                {
                    UserName = user.UserName,
                    UserId = user.UserId,
                    Arn = user.Arn,
                    Path = user.Path,
                    CreateDate = user.CreateDate,
                    GroupList = user.Groups.ToList(),
                    AttachedManagedPolicies = await Attached(user).ConfigureAwait(false),
                    UserPolicyList = Inline(user),
                    Tags = TagShapes(user.Tags),
                    PermissionsBoundary = Boundary(user.PermissionsBoundary),
                });
            }
        }
        if (filter.Contains("Group"))
        {
            foreach (var group in await IamDirectory.GroupsAsync(context.Store, account, context.Cancellation).ConfigureAwait(false))
            {
                items.Add(new GroupDetail
                {
                    GroupName = group.GroupName,
                    GroupId = group.GroupId,
                    Arn = group.Arn,
                    Path = group.Path,
                    CreateDate = group.CreateDate,
                    AttachedManagedPolicies = await Attached(group).ConfigureAwait(false),
                    GroupPolicyList = Inline(group),
                });
            }
        }
        if (filter.Contains("Role"))
        {
            var profiles = await IamDirectory.InstanceProfilesAsync(context.Store, account, context.Cancellation).ConfigureAwait(false);
            foreach (var role in (await Roles.ListAsync(context.Store, account, null, null, 1000, context.Cancellation).ConfigureAwait(false)).Roles)
            {
                var holder = new IamDirectory.RoleHolder(role);
                var roleProfiles = new List<InstanceProfile>();
                foreach (var profile in profiles.Where(p => p.Roles.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase)))
                {
                    roleProfiles.Add(await ToShapeAsync(context, profile, tags: false).ConfigureAwait(false));
                }
                items.Add(new RoleDetail
                {
                    RoleName = role.RoleName,
                    RoleId = role.RoleId,
                    Arn = role.Arn,
                    Path = role.Path,
                    CreateDate = role.CreateDate,
                    AssumeRolePolicyDocument = Encode(role.AssumeRolePolicyDocument),
                    AttachedManagedPolicies = await Attached(holder).ConfigureAwait(false),
                    RolePolicyList = Inline(holder),
                    InstanceProfileList = roleProfiles,
                    Tags = TagShapes(role.Tags),
                    PermissionsBoundary = Boundary(role.PermissionsBoundary),
                    RoleLastUsed = new RoleLastUsed { LastUsedDate = role.LastUsedDate, Region = role.LastUsedRegion },
                });
            }
        }
        var local = filter.Contains("LocalManagedPolicy");
        var aws = filter.Contains("AWSManagedPolicy");
        if (local || aws)
        {
            foreach (var policy in await IamDirectory.PoliciesAsync(context.Store, account, local && aws ? "All" : local ? "Local" : "AWS", context.Cancellation).ConfigureAwait(false))
            {
                var count = await IamDirectory.AttachmentCountAsync(context.Store, account, policy.Arn, context.Cancellation).ConfigureAwait(false);
                if (AwsManagedPolicies.IsAwsManaged(policy.Arn) && count == 0)
                {
                    continue; // IAM lists the AWS-managed policies in use.
                }
                items.Add(new ManagedPolicyDetail
                {
                    PolicyName = policy.PolicyName,
                    PolicyId = policy.PolicyId,
                    Arn = policy.Arn,
                    Path = policy.Path,
                    DefaultVersionId = policy.DefaultVersionId,
                    AttachmentCount = count,
                    PermissionsBoundaryUsageCount = 0,
                    IsAttachable = true,
                    Description = policy.Description,
                    CreateDate = policy.CreateDate,
                    UpdateDate = policy.UpdateDate,
                    PolicyVersionList = policy.Versions.Select(v => ToShape(policy, v)).ToList(),
                });
            }
        }
        var page = IamDirectory.Page(items, request.Marker, request.MaxItems);
        return new GetAccountAuthorizationDetailsResponse
        {
            UserDetailList = page.Items.OfType<UserDetail>().ToList(),
            GroupDetailList = page.Items.OfType<GroupDetail>().ToList(),
            RoleDetailList = page.Items.OfType<RoleDetail>().ToList(),
            Policies = page.Items.OfType<ManagedPolicyDetail>().ToList(),
            IsTruncated = page.IsTruncated,
            Marker = page.Marker,
        };
    }

    public override async Task<SimulatePolicyResponse> SimulatePrincipalPolicyAsync(RequestContext context, SimulatePrincipalPolicyRequest request)
    {
        var source = request.PolicySourceArn ?? throw new AwsException("ValidationError", "Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null");
        var account = Acct(context);
        var slash = source.LastIndexOf('/');
        PrincipalPolicies? principal = null;
        if (source.StartsWith($"arn:aws:iam::{account}:user/", StringComparison.Ordinal))
        {
            principal = await PrincipalPolicies.ForUserAsync(context.Store, account, source[(slash + 1)..], cache.Compile, context.Cancellation).ConfigureAwait(false);
        }
        else if (source.StartsWith($"arn:aws:iam::{account}:role/", StringComparison.Ordinal))
        {
            principal = await PrincipalPolicies.ForRoleAsync(context.Store, account, source[(slash + 1)..], cache.Compile, context.Cancellation).ConfigureAwait(false);
        }
        if (principal is null)
        {
            throw IamDirectory.NoSuch($"Entity {source} does not exist.");
        }
        var extra = (request.PolicyInputList ?? []).Select((d, i) => cache.Compile($"PolicyInputList.{i + 1}", d));
        var results = Simulate(principal.Policies.Concat(extra).ToList(), request.ActionNames, request.ResourceArns, request.ContextEntries, principal);
        var page = IamDirectory.Page(results, request.Marker, request.MaxItems);
        return new SimulatePolicyResponse { EvaluationResults = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    public override Task<SimulatePolicyResponse> SimulateCustomPolicyAsync(RequestContext context, SimulateCustomPolicyRequest request)
    {
        var policies = (request.PolicyInputList ?? []).Select((d, i) => cache.Compile($"PolicyInputList.{i + 1}", d)).ToList();
        var results = Simulate(policies, request.ActionNames, request.ResourceArns, request.ContextEntries, null);
        var page = IamDirectory.Page(results, request.Marker, request.MaxItems);
        return Task.FromResult(new SimulatePolicyResponse { EvaluationResults = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker });
    }

    private static List<Stratus.Services.Model.Iam.EvaluationResult> Simulate(List<CompiledPolicy> policies, List<string>? actions, List<string>? resources,
        List<ContextEntry>? entries, PrincipalPolicies? principal)
    {
        if (actions is null or { Count: 0 })
        {
            throw new AwsException("ValidationError", "Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
        }
        var context = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries ?? [])
        {
            if (entry.ContextKeyName is { } key)
            {
                context[key] = (entry.ContextKeyValues ?? []).ToArray();
            }
        }
        if (principal is not null)
        {
            context.TryAdd("aws:PrincipalArn", [principal.Arn]);
            if (principal.User is { } user)
            {
                context.TryAdd("aws:username", [user.UserName]);
            }
            foreach (var tag in principal.Tags)
            {
                context.TryAdd("aws:PrincipalTag/" + tag.Key, [tag.Value]);
            }
        }
        var results = new List<Stratus.Services.Model.Iam.EvaluationResult>();
        foreach (var action in actions)
        {
            foreach (var resource in resources is { Count: > 0 } r ? r : ["*"])
            {
                var result = PolicyEvaluator.Evaluate(policies, new AuthorizationRequest(action, resource, context), principal?.Boundary);
                results.Add(new Stratus.Services.Model.Iam.EvaluationResult
                {
                    EvalActionName = action,
                    EvalResourceName = resource,
                    EvalDecision = result.Decision switch { PolicyDecision.Allow => "allowed", PolicyDecision.ExplicitDeny => "explicitDeny", _ => "implicitDeny" },
                    MatchedStatements = result.PolicyName is null ? [] : [new Statement { SourcePolicyId = result.PolicyName, SourcePolicyType = "IAM Policy" }],
                    MissingContextValues = [],
                });
            }
        }
        return results;
    }
}
