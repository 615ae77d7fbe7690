using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Iam;

/// <summary>An IAM role: global to its account, named case-insensitively uniquely, with a trust policy.</summary>
public sealed class RoleResource
{
    public required string RoleName { get; init; }
    public required string RoleId { get; init; }
    public required string Path { get; init; }
    public required string Arn { get; init; }
    public required DateTime CreateDate { get; init; }

    /// <summary>The trust policy as the caller sent it (IAM answers it URL-encoded).</summary>
    public required string AssumeRolePolicyDocument { get; set; }

    public string? Description { get; set; }
    public int MaxSessionDuration { get; set; } = Roles.DefaultMaxSessionDuration;
    public List<Tag> Tags { get; init; } = [];

    /// <summary>ARNs of the managed policies attached to the role.</summary>
    public List<string> AttachedPolicies { get; init; } = [];

    /// <summary>The role's inline (embedded) policies.</summary>
    public List<InlinePolicy> InlinePolicies { get; init; } = [];

    /// <summary>The permissions boundary's policy ARN, if any.</summary>
    public string? PermissionsBoundary { get; set; }

    /// <summary>When and in which region the role's credentials were last used.</summary>
    public DateTime? LastUsedDate { get; set; }

    public string? LastUsedRegion { get; set; }
}

/// <summary>A page of roles in ListRoles' Marker / IsTruncated style.</summary>
public sealed record RolePage(IReadOnlyList<RoleResource> Roles, bool IsTruncated, string? Marker);

/// <summary>
/// IAM roles (the first slice of IAM): CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole,
/// UpdateAssumeRolePolicy and role tags, with IAM's validation and errors (<c>ValidationError</c>,
/// <c>EntityAlreadyExists</c>, <c>NoSuchEntity</c>, <c>MalformedPolicyDocument</c>,
/// <c>LimitExceeded</c>). Roles are account-global: stored under the account with no region.
/// </summary>
public static partial class Roles
{
    public static readonly ResourceType Type = new("iam-role", "role", "NoSuchEntity", "NoSuchEntity", "The role with name {0} cannot be found.");

    public const int DefaultMaxSessionDuration = 3600, MinSessionDuration = 900, MaxMaxSessionDuration = 43200;
    public const int MaxTags = 50, MaxPolicyLength = 131072, MaxRolesPerAccount = 1000;

    [GeneratedRegex(@"^[\w+=,.@-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(\u002F)|(\u002F[\u0021-\u007E]+\u002F)$")]
    private static partial Regex PathPattern();

    public static async Task<RoleResource> CreateAsync(IStoreTransaction tx, string accountId, string? roleName, string? path, string? trustPolicy, string? description,
        int? maxSessionDuration, List<Tag>? tags, DateTime now, CancellationToken ct = default)
    {
        var name = CheckName(roleName);
        var rolePath = CheckPath(path);
        var policy = CheckTrustPolicy(trustPolicy, "assumeRolePolicyDocument");
        CheckDescription(description);
        var duration = CheckMaxSessionDuration(maxSessionDuration);
        CheckTags(tags ?? [], 0);
        var scope = Scope(accountId);
        if (await tx.GetAsync<RoleResource>(scope, Type, name.ToUpperInvariant(), ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"Role with name {name} already exists.", 409);
        }
        if ((await tx.ListAsync(accountId, "", Type.Name, ct).ConfigureAwait(false)).Count >= MaxRolesPerAccount)
        {
            throw new AwsException("LimitExceeded", $"Cannot exceed quota for RolesPerAccount: {MaxRolesPerAccount}", 409);
        }
        var role = new RoleResource
        {
            RoleName = name,
            RoleId = IamIds.New("AROA"),
            Path = rolePath,
            Arn = $"arn:aws:iam::{accountId}:role{rolePath}{name}",
            CreateDate = now,
            AssumeRolePolicyDocument = policy,
            Description = description,
            MaxSessionDuration = duration,
            Tags = tags ?? [],
        };
        await tx.PutAsync(scope, Type, name.ToUpperInvariant(), role, now, ct).ConfigureAwait(false);
        return role;
    }

    public static async Task<RoleResource?> FindAsync(IStoreSession session, string accountId, string roleName, CancellationToken ct = default) =>
        await session.GetAsync<RoleResource>(Scope(accountId), Type, roleName.ToUpperInvariant(), ct).ConfigureAwait(false);

    public static async Task<RoleResource> RequireAsync(IStoreSession session, string accountId, string? roleName, CancellationToken ct = default)
    {
        var name = CheckName(roleName);
        return await FindAsync(session, accountId, name, ct).ConfigureAwait(false) ?? throw NoSuchRole(name);
    }

    public static AwsException NoSuchRole(string name) => new("NoSuchEntity", $"The role with name {name} cannot be found.", 404);

    /// <summary>ListRoles: ordered by name, filtered by path prefix, paged with an opaque marker.</summary>
    public static async Task<RolePage> ListAsync(IStoreSession session, string accountId, string? pathPrefix, string? marker, int? maxItems, CancellationToken ct = default)
    {
        var max = maxItems ?? 100;
        if (max is < 1 or > 1000)
        {
            throw Validation($"Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000");
        }
        var prefix = pathPrefix ?? "/";
        var roles = (await session.ListAsync<RoleResource>(Scope(accountId), Type, ct).ConfigureAwait(false))
            .Where(r => r.Path.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(r => r.RoleName.ToUpperInvariant(), StringComparer.Ordinal)
            .ToList();
        var start = 0;
        if (marker is not null)
        {
            var after = DecodeMarker(marker);
            start = roles.FindIndex(r => string.CompareOrdinal(r.RoleName.ToUpperInvariant(), after) > 0);
            start = start < 0 ? roles.Count : start;
        }
        var page = roles.Skip(start).Take(max).ToList();
        var truncated = start + page.Count < roles.Count;
        return new RolePage(page, truncated, truncated ? EncodeMarker(page[^1].RoleName.ToUpperInvariant()) : null);
    }

    /// <summary>DeleteRole.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, string accountId, string? roleName, CancellationToken ct = default)
    {
        var role = await RequireAsync(tx, accountId, roleName, ct).ConfigureAwait(false);
        if (ServiceLinkedRoles.IsServiceLinked(role))
        {
            throw ServiceLinkedRoles.Protected(role.RoleName);
        }
        if ((await tx.ListAsync<InstanceProfileResource>(Scope(accountId), IamDirectory.InstanceProfileType, ct).ConfigureAwait(false))
            .Exists(p => p.Roles.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase)))
        {
            throw new AwsException("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409);
        }
        if (role.AttachedPolicies.Count > 0)
        {
            throw new AwsException("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409);
        }
        if (role.InlinePolicies.Count > 0)
        {
            throw new AwsException("DeleteConflict", "Cannot delete entity, must delete policies first.", 409);
        }
        await tx.DeleteAsync(Scope(accountId), Type, role.RoleName.ToUpperInvariant(), ct).ConfigureAwait(false);
    }

    /// <summary>UpdateAssumeRolePolicy.</summary>
    public static async Task<RoleResource> UpdateTrustPolicyAsync(IStoreTransaction tx, string accountId, string? roleName, string? policyDocument, DateTime now, CancellationToken ct = default)
    {
        var role = await RequireAsync(tx, accountId, roleName, ct).ConfigureAwait(false);
        role.AssumeRolePolicyDocument = CheckTrustPolicy(policyDocument, "policyDocument");
        await SaveAsync(tx, accountId, role, ct).ConfigureAwait(false);
        return role;
    }

    /// <summary>UpdateRole: description and maximum session duration.</summary>
    public static async Task<RoleResource> UpdateAsync(IStoreTransaction tx, string accountId, string? roleName, string? description, int? maxSessionDuration, CancellationToken ct = default)
    {
        var role = await RequireAsync(tx, accountId, roleName, ct).ConfigureAwait(false);
        if (description is not null)
        {
            CheckDescription(description);
            role.Description = description;
        }
        if (maxSessionDuration is not null)
        {
            role.MaxSessionDuration = CheckMaxSessionDuration(maxSessionDuration);
        }
        await SaveAsync(tx, accountId, role, ct).ConfigureAwait(false);
        return role;
    }

    /// <summary>TagRole: adds or replaces tags by key (at most 50 per role).</summary>
    public static Task TagAsync(IStoreTransaction tx, string accountId, string? roleName, List<Tag>? tags, CancellationToken ct = default) =>
        IamDirectory.TagPrincipalAsync(tx, accountId, IamEntityKind.Role, roleName, tags, ct);

    /// <summary>UntagRole.</summary>
    public static Task UntagAsync(IStoreTransaction tx, string accountId, string? roleName, List<string>? keys, CancellationToken ct = default) =>
        IamDirectory.UntagPrincipalAsync(tx, accountId, IamEntityKind.Role, roleName, keys, ct);

    public static Task SaveAsync(IStoreTransaction tx, string accountId, RoleResource role, CancellationToken ct) =>
        tx.PutAsync(Scope(accountId), Type, role.RoleName.ToUpperInvariant(), role, role.CreateDate, ct);

    // ---- validation ----------------------------------------------------------------------------

    public static string CheckName(string? roleName)
    {
        if (string.IsNullOrEmpty(roleName))
        {
            throw Validation("Value null at 'roleName' failed to satisfy constraint: Member must not be null");
        }
        if (roleName.Length > 64)
        {
            throw Validation($"Value '{roleName}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64");
        }
        if (!NamePattern().IsMatch(roleName))
        {
            throw Validation($"Value '{roleName}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
        }
        return roleName;
    }

    internal static string CheckPath(string? path)
    {
        if (path is null)
        {
            return "/";
        }
        if (path.Length is < 1 or > 512 || !PathPattern().IsMatch(path) || !path.StartsWith('/') || !path.EndsWith('/'))
        {
            throw Validation($"The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.");
        }
        return path;
    }

    internal static void CheckDescription(string? description)
    {
        if (description is { Length: > 1000 })
        {
            throw Validation("Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000");
        }
    }

    private static int CheckMaxSessionDuration(int? value)
    {
        var duration = value ?? DefaultMaxSessionDuration;
        if (duration is < DefaultMaxSessionDuration or > MaxMaxSessionDuration)
        {
            throw Validation($"The requested MaxSessionDuration {duration} is invalid. It must be between {DefaultMaxSessionDuration} and {MaxMaxSessionDuration} seconds.");
        }
        return duration;
    }

    internal static void CheckTags(List<Tag> tags, int existing)
    {
        if (tags.Count + existing > MaxTags)
        {
            throw new AwsException("LimitExceeded", $"Cannot exceed quota for TagsPerRole: {MaxTags}.", 409);
        }
        foreach (var tag in tags)
        {
            if (string.IsNullOrEmpty(tag.Key) || tag.Key.Length > 128)
            {
                throw Validation($"Value '{tag.Key}' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128");
            }
            if (tag.Value is { Length: > 256 })
            {
                throw Validation("Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256");
            }
        }
        if (tags.Select(t => t.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count() != tags.Count)
        {
            throw new AwsException("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
        }
    }

    /// <summary>A trust policy must be a JSON policy document whose statements each name a principal.</summary>
    public static string CheckTrustPolicy(string? document, string parameter)
    {
        if (string.IsNullOrEmpty(document))
        {
            throw Validation($"Value null at '{parameter}' failed to satisfy constraint: Member must not be null");
        }
        if (document.Length > MaxPolicyLength)
        {
            throw Validation($"Value at '{parameter}' failed to satisfy constraint: Member must have length less than or equal to {MaxPolicyLength}");
        }
        var policy = PolicyDocument.Parse(document);
        if (policy.Statements.Exists(s => s.Principals is null))
        {
            throw new AwsException("MalformedPolicyDocument", "AssumeRolepolicy contains an invalid principal.");
        }
        if (policy.Statements.Exists(s => s.HasResource))
        {
            throw new AwsException("MalformedPolicyDocument", "Has prohibited field Resource");
        }
        return document;
    }

    private static AwsException Validation(string message) => new("ValidationError", message);

    private static Scope Scope(string accountId) => new(accountId, "");

    private static string EncodeMarker(string name) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("role:" + name));

    private static string DecodeMarker(string marker)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(marker));
            if (text.StartsWith("role:", StringComparison.Ordinal))
            {
                return text["role:".Length..];
            }
        }
        catch (FormatException)
        {
        }
        throw Validation("Invalid Marker.");
    }

    internal static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.Ordinal))
            {
                return property.Value;
            }
        }
        return null;
    }
}
