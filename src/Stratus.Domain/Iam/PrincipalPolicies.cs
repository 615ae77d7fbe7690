using System.Collections.Concurrent;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Iam;

/// <summary>
/// Everything a request's authorisation needs about an IAM user or role: its ARN, identity
/// policies (inline, attached, and for a user those of its groups) compiled, the permissions
/// boundary, and its tags (<c>aws:PrincipalTag/…</c>).
/// </summary>
public sealed class PrincipalPolicies
{
    public required string Arn { get; init; }
    public UserResource? User { get; init; }
    public RoleResource? Role { get; init; }
    public required IReadOnlyList<CompiledPolicy> Policies { get; init; }
    public IReadOnlyList<CompiledPolicy>? Boundary { get; init; }
    public required IReadOnlyList<Tag> Tags { get; init; }

    /// <summary>True when a condition reads a resource's tags (so the request must load them).</summary>
    public bool UsesResourceTags { get; init; }

    public EvaluationResult Evaluate(AuthorizationRequest request) => PolicyEvaluator.Evaluate(Policies, request, Boundary);

    /// <summary>Compiles a user's policies (its own and its groups'); null when the user does not exist.</summary>
    public static async Task<PrincipalPolicies?> ForUserAsync(IStoreSession session, string accountId, string userName, Func<string, string, CompiledPolicy> compile,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(compile);
        var user = await IamDirectory.FindUserAsync(session, accountId, userName, ct).ConfigureAwait(false);
        if (user is null)
        {
            return null;
        }
        var policies = new List<CompiledPolicy>();
        await AddAsync(session, accountId, user, policies, compile, ct).ConfigureAwait(false);
        foreach (var groupName in user.Groups)
        {
            if (await IamDirectory.FindGroupAsync(session, accountId, groupName, ct).ConfigureAwait(false) is { } group)
            {
                await AddAsync(session, accountId, group, policies, compile, ct).ConfigureAwait(false);
            }
        }
        var boundary = await BoundaryAsync(session, accountId, user.PermissionsBoundary, compile, ct).ConfigureAwait(false);
        return new PrincipalPolicies
        {
            Arn = user.Arn,
            User = user,
            Policies = policies,
            Boundary = boundary,
            Tags = user.Tags,
            UsesResourceTags = policies.Concat(boundary ?? []).Any(UsesTags),
        };
    }

    /// <summary>Compiles a role's policies; null when the role does not exist.</summary>
    public static async Task<PrincipalPolicies?> ForRoleAsync(IStoreSession session, string accountId, string roleName, Func<string, string, CompiledPolicy> compile,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(compile);
        var role = await Roles.FindAsync(session, accountId, roleName, ct).ConfigureAwait(false);
        if (role is null)
        {
            return null;
        }
        var policies = new List<CompiledPolicy>();
        await AddAsync(session, accountId, new IamDirectory.RoleHolder(role), policies, compile, ct).ConfigureAwait(false);
        var boundary = await BoundaryAsync(session, accountId, role.PermissionsBoundary, compile, ct).ConfigureAwait(false);
        return new PrincipalPolicies
        {
            Arn = role.Arn,
            Role = role,
            Policies = policies,
            Boundary = boundary,
            Tags = role.Tags,
            UsesResourceTags = policies.Concat(boundary ?? []).Any(UsesTags),
        };
    }

    private static async Task AddAsync(IStoreSession session, string accountId, IPolicyHolder holder, List<CompiledPolicy> policies, Func<string, string, CompiledPolicy> compile,
        CancellationToken ct)
    {
        foreach (var inline in holder.InlinePolicies)
        {
            policies.Add(compile(inline.Name, inline.Document));
        }
        foreach (var arn in holder.AttachedPolicies)
        {
            if (await IamDirectory.FindPolicyAsync(session, accountId, arn, ct).ConfigureAwait(false) is { } managed)
            {
                policies.Add(compile(managed.Arn, managed.DefaultVersion.Document));
            }
        }
    }

    private static async Task<IReadOnlyList<CompiledPolicy>?> BoundaryAsync(IStoreSession session, string accountId, string? arn, Func<string, string, CompiledPolicy> compile,
        CancellationToken ct)
    {
        if (arn is null)
        {
            return null;
        }
        var managed = await IamDirectory.FindPolicyAsync(session, accountId, arn, ct).ConfigureAwait(false);
        return managed is null ? [] : [compile(managed.Arn, managed.DefaultVersion.Document)];
    }

    private static bool UsesTags(CompiledPolicy policy) => policy.Statements.Any(s => s.Conditions.Any(c =>
        c.Key.StartsWith("aws:ResourceTag/", StringComparison.OrdinalIgnoreCase) || c.Key.StartsWith("ec2:ResourceTag/", StringComparison.OrdinalIgnoreCase)));
}

/// <summary>
/// Compiled policies per principal, kept until IAM changes: every IAM write calls
/// <see cref="Invalidate"/>, and an entry loaded before the latest change is loaded again.
/// Compiled documents are shared by their text. Also keeps when access keys and roles were last
/// used (in memory: GetAccessKeyLastUsed answers since the server started).
/// </summary>
public sealed class IamPolicyCache
{
    private readonly ConcurrentDictionary<string, (long Generation, PrincipalPolicies? Value)> _principals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CompiledPolicy> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTime When, string Service, string Region)> _lastUsed = new(StringComparer.Ordinal);
    private long _generation;

    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Forgets every cached principal (after any IAM change).</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        if (_documents.Count > 10_000)
        {
            _documents.Clear();
        }
    }

    public CompiledPolicy Compile(string name, string document) =>
        _documents.TryGetValue(name + "\n" + document, out var compiled) ? compiled : _documents[name + "\n" + document] = CompiledPolicy.Compile(name, document);

    /// <summary>The policies of a user (<paramref name="isRole"/> false) or role, loaded through <paramref name="open"/> when not cached.</summary>
    public async ValueTask<PrincipalPolicies?> GetAsync(string accountId, string name, bool isRole, Func<Task<IStoreSession>> open, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(open);
        var key = $"{accountId}/{(isRole ? "role" : "user")}/{name.ToUpperInvariant()}";
        var generation = Generation;
        if (_principals.TryGetValue(key, out var entry) && entry.Generation == generation)
        {
            return entry.Value;
        }
        var session = await open().ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var value = isRole
                ? await PrincipalPolicies.ForRoleAsync(session, accountId, name, Compile, ct).ConfigureAwait(false)
                : await PrincipalPolicies.ForUserAsync(session, accountId, name, Compile, ct).ConfigureAwait(false);
            _principals[key] = (generation, value);
            return value;
        }
    }

    public void RecordUse(string accessKeyId, DateTime when, string service, string region) => _lastUsed[accessKeyId] = (when, service, region);

    public (DateTime When, string Service, string Region)? LastUsed(string accessKeyId) => _lastUsed.TryGetValue(accessKeyId, out var used) ? used : null;
}
