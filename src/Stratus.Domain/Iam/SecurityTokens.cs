using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Accounts;
using Stratus.Domain.Store;

namespace Stratus.Domain.Iam;

/// <summary>
/// Who sends a request: an account's root (its access keys) or temporary credentials
/// (an assumed role, an instance profile, a session token).
/// </summary>
public sealed record Principal(string AccountId, string? AccessKeyId, SessionCredentials? Session = null)
{
    /// <summary>The IAM user whose access key (or session token) signed the request; null for the account root and roles.</summary>
    public string? UserName { get; init; }

    /// <summary>The user's ARN and unique id once resolved from the store.</summary>
    public UserResource? User { get; init; }

    /// <summary>GetCallerIdentity's Arn.</summary>
    public string Arn => User?.Arn ?? (UserName is not null ? $"arn:aws:iam::{AccountId}:user/{UserName}" : Session?.Arn ?? $"arn:aws:iam::{AccountId}:root");

    /// <summary>GetCallerIdentity's UserId.</summary>
    public string UserId => User?.UserId ?? Session?.UserId ?? AccountId;

    /// <summary>True for the account root (its keys, or a session token of its own): allowed everything.</summary>
    public bool IsRoot => UserName is null && Session is null or { Kind: SessionKind.SessionToken };

    /// <summary>True for role credentials (assumed or an instance profile's).</summary>
    public bool IsRole => Session is { Kind: SessionKind.AssumedRole or SessionKind.InstanceProfile };
}

/// <summary>The answer of GetCallerIdentity.</summary>
public sealed record CallerIdentityInfo(string UserId, string Account, string Arn);

/// <summary>The answer of AssumeRole: the credentials and the assumed-role user.</summary>
public sealed record AssumedRole(SessionCredentials Credentials, string AssumedRoleId, string Arn);

/// <summary>
/// STS on top of the session credential issuer and IAM roles: GetCallerIdentity, AssumeRole,
/// GetSessionToken and GetAccessKeyInfo with STS's validation and errors. AssumeRole needs a role
/// that exists and whose trust policy allows <c>sts:AssumeRole</c> to the caller's account (its
/// id, its root ARN, <c>*</c>) or to the caller's own ARN, with the statement's conditions
/// (<c>sts:ExternalId</c>, <c>aws:PrincipalArn</c>, ...) evaluated by the policy evaluator; the
/// caller's own permission (<c>sts:AssumeRole</c> on the role) is checked by the gateway. Unlike
/// AWS, the account root may assume roles.
/// </summary>
public static partial class SecurityTokens
{
    public const int MinDurationSeconds = 900, RoleChainingMaxSeconds = 3600, SessionTokenMaxSeconds = 129600, SessionTokenDefaultSeconds = 43200, RootSessionMaxSeconds = 3600;

    [GeneratedRegex(@"^[\w+=,.@-]*$")]
    private static partial Regex SessionNamePattern();

    [GeneratedRegex(@"^arn:aws:iam::(\d{12}):role/(?:[\u0021-\u007E]*/)?([\w+=,.@-]+)$")]
    private static partial Regex RoleArnPattern();

    public static CallerIdentityInfo GetCallerIdentity(Principal caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new CallerIdentityInfo(caller.UserId, caller.AccountId, caller.Arn);
    }

    public static async Task<AssumedRole> AssumeRoleAsync(IStoreSession store, SessionCredentialIssuer issuer, Principal caller, string? roleArn, string? roleSessionName,
        int? durationSeconds, DateTime now, string? externalId = null, string? region = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(caller);
        if (externalId is { Length: < 2 or > 1224 })
        {
            throw Validation($"Value '{externalId}' at 'externalId' failed to satisfy constraint: Member must have length {(externalId.Length < 2 ? "greater than or equal to 2" : "less than or equal to 1224")}");
        }
        if (string.IsNullOrEmpty(roleArn))
        {
            throw Validation("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
        }
        if (roleArn.Length is < 20 or > 2048)
        {
            throw Validation($"Value '{roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20");
        }
        if (string.IsNullOrEmpty(roleSessionName))
        {
            throw Validation("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
        }
        if (roleSessionName.Length is < 2 or > 64)
        {
            throw Validation($"Value '{roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must have length {(roleSessionName.Length < 2 ? "greater than or equal to 2" : "less than or equal to 64")}");
        }
        if (!SessionNamePattern().IsMatch(roleSessionName))
        {
            throw Validation($"Value '{roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
        }
        if (durationSeconds is < MinDurationSeconds or > 43200)
        {
            throw Validation($"Value '{durationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value {(durationSeconds < MinDurationSeconds ? "greater than or equal to 900" : "less than or equal to 43200")}");
        }
        var match = RoleArnPattern().Match(roleArn);
        if (!match.Success)
        {
            throw Validation($"{roleArn} is invalid");
        }
        var denied = new AwsException("AccessDenied", $"User: {caller.Arn} is not authorized to perform: sts:AssumeRole on resource: {roleArn}", 403);
        var role = await Roles.FindAsync(store, match.Groups[1].Value, match.Groups[2].Value, ct).ConfigureAwait(false);
        if (role is null || !string.Equals(role.Arn, roleArn, StringComparison.Ordinal))
        {
            throw denied;
        }
        if (!PolicyDocument.Parse(role.AssumeRolePolicyDocument).Trusts(caller.AccountId, caller.Arn, "sts:AssumeRole", TrustContext(caller, roleSessionName, externalId, region)))
        {
            throw denied;
        }
        var duration = durationSeconds ?? Math.Min(3600, role.MaxSessionDuration);
        if (caller.IsRole && duration > RoleChainingMaxSeconds)
        {
            throw Validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
        }
        if (duration > role.MaxSessionDuration)
        {
            throw Validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        }
        var roleAccount = match.Groups[1].Value;
        var credentials = issuer.IssueSession(SessionKind.AssumedRole, roleAccount, role.RoleName, role.RoleId, roleSessionName, now, TimeSpan.FromSeconds(duration));
        return new AssumedRole(credentials, $"{role.RoleId}:{roleSessionName}", credentials.Arn);
    }

    /// <summary>
    /// The request context a trust policy's conditions see: the caller (<c>aws:PrincipalArn</c> —
    /// for a role session the role's ARN —, <c>aws:PrincipalAccount</c>, <c>aws:PrincipalType</c>,
    /// <c>aws:userid</c>), <c>sts:ExternalId</c> when given, <c>sts:RoleSessionName</c>, the region,
    /// and <c>aws:MultiFactorAuthPresent</c> (false: Stratus has no MFA).
    /// </summary>
    public static Dictionary<string, string[]> TrustContext(Principal caller, string roleSessionName, string? externalId, string? region)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var principalArn = caller.Session is { Kind: SessionKind.AssumedRole or SessionKind.InstanceProfile } session
            ? $"arn:aws:iam::{caller.AccountId}:role/{session.RoleName}"
            : caller.Arn;
        var context = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["aws:PrincipalArn"] = [principalArn],
            ["aws:PrincipalAccount"] = [caller.AccountId],
            ["aws:PrincipalType"] = [caller.IsRoot ? "Account" : caller.IsRole ? "AssumedRole" : "User"],
            ["aws:userid"] = [caller.UserId],
            ["aws:MultiFactorAuthPresent"] = ["false"],
            ["sts:RoleSessionName"] = [roleSessionName],
        };
        if (externalId is not null)
        {
            context["sts:ExternalId"] = [externalId];
        }
        if (region is not null)
        {
            context["aws:RequestedRegion"] = [region];
        }
        if (caller.User is { } user)
        {
            context["aws:username"] = [user.UserName];
        }
        return context;
    }

    /// <summary>
    /// GetSessionToken: credentials of the caller itself. Refused with session credentials; the
    /// root's sessions last at most an hour (a longer duration gives an hour, as AWS does).
    /// </summary>
    public static SessionCredentials GetSessionToken(SessionCredentialIssuer issuer, Principal caller, int? durationSeconds, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(caller);
        if (durationSeconds is < MinDurationSeconds or > SessionTokenMaxSeconds)
        {
            throw Validation($"Value '{durationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value {(durationSeconds < MinDurationSeconds ? "greater than or equal to 900" : "less than or equal to 129600")}");
        }
        if (caller.Session is not null)
        {
            throw new AwsException("AccessDenied", "Cannot call GetSessionToken with session credentials", 403);
        }
        var duration = caller.UserName is null ? Math.Min(durationSeconds ?? SessionTokenDefaultSeconds, RootSessionMaxSeconds) : durationSeconds ?? SessionTokenDefaultSeconds;
        return issuer.IssueSession(SessionKind.SessionToken, caller.AccountId, caller.UserName ?? "", "", "", now, TimeSpan.FromSeconds(duration));
    }

    /// <summary>GetAccessKeyInfo: the account of a long-term key Stratus knows or of an STS-issued temporary key.</summary>
    public static async Task<string> GetAccessKeyInfoAsync(IStoreSession store, string? accessKeyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (string.IsNullOrEmpty(accessKeyId))
        {
            throw Validation("Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null");
        }
        if (accessKeyId.Length is < 16 or > 128)
        {
            throw Validation($"Value '{accessKeyId}' at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16");
        }
        if (SessionCredentialIssuer.AccountOfKeyId(accessKeyId) is { } account)
        {
            return account;
        }
        var key = await store.FindAccessKeyAsync(accessKeyId, ct).ConfigureAwait(false);
        return key?.AccountId ?? throw new AwsException("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
    }

    private static AwsException Validation(string message) => new("ValidationError", message);
}
