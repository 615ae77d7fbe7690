using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Iam;

/// <summary>An account's password policy, as UpdateAccountPasswordPolicy sets it.</summary>
public sealed record PasswordPolicyRecord
{
    public int MinimumPasswordLength { get; init; } = 8;
    public bool RequireSymbols { get; init; }
    public bool RequireNumbers { get; init; }
    public bool RequireUppercaseCharacters { get; init; }
    public bool RequireLowercaseCharacters { get; init; }
    public bool AllowUsersToChangePassword { get; init; }
    public int? MaxPasswordAge { get; init; }
    public int? PasswordReusePrevention { get; init; }
    public bool HardExpiry { get; init; }
}

/// <summary>IAM settings of one account: its alias and its password policy.</summary>
public sealed class AccountSettingsResource
{
    public string? Alias { get; set; }
    public PasswordPolicyRecord? PasswordPolicy { get; set; }
}

/// <summary>
/// Account-level IAM: the account alias (CreateAccountAlias / DeleteAccountAlias /
/// ListAccountAliases; one per account), the password policy (Get/Update/DeleteAccountPasswordPolicy)
/// and users' login profiles (Create/Get/Update/DeleteLoginProfile), whose passwords must satisfy
/// the policy (<c>PasswordPolicyViolation</c>) and are kept only as salted hashes.
/// </summary>
public static partial class AccountSettings
{
    public static readonly ResourceType Type = new("iam-account", "account", "NoSuchEntity", "NoSuchEntity", "{0} cannot be found.");

    [GeneratedRegex("^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")]
    private static partial Regex AliasPattern();

    public static async Task<AccountSettingsResource> GetAsync(IStoreSession session, string accountId, CancellationToken ct = default) =>
        await session.GetAsync<AccountSettingsResource>(IamDirectory.Scope(accountId), Type, "settings", ct).ConfigureAwait(false) ?? new AccountSettingsResource();

    private static Task SaveAsync(IStoreTransaction tx, string accountId, AccountSettingsResource settings, DateTime now, CancellationToken ct) =>
        tx.PutAsync(IamDirectory.Scope(accountId), Type, "settings", settings, now, ct);

    // ---- alias ---------------------------------------------------------------------------------

    public static async Task CreateAliasAsync(IStoreTransaction tx, string accountId, string? alias, DateTime now, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(alias))
        {
            throw Validation("Value null at 'accountAlias' failed to satisfy constraint: Member must not be null");
        }
        if (alias.Length is < 3 or > 63 || !AliasPattern().IsMatch(alias))
        {
            throw Validation($"Value '{alias}' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){{1,61}}[a-z0-9]$");
        }
        var settings = await GetAsync(tx, accountId, ct).ConfigureAwait(false);
        if (settings.Alias == alias)
        {
            return;
        }
        if (settings.Alias is not null)
        {
            throw new AwsException("LimitExceeded", "Cannot exceed quota for AccountAliasesPerAccount: 1", 409);
        }
        settings.Alias = alias;
        await SaveAsync(tx, accountId, settings, now, ct).ConfigureAwait(false);
    }

    public static async Task DeleteAliasAsync(IStoreTransaction tx, string accountId, string? alias, DateTime now, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(alias))
        {
            throw Validation("Value null at 'accountAlias' failed to satisfy constraint: Member must not be null");
        }
        var settings = await GetAsync(tx, accountId, ct).ConfigureAwait(false);
        if (settings.Alias != alias)
        {
            throw IamDirectory.NoSuch($"The account alias {alias} cannot be found.");
        }
        settings.Alias = null;
        await SaveAsync(tx, accountId, settings, now, ct).ConfigureAwait(false);
    }

    // ---- password policy -----------------------------------------------------------------------

    public static async Task<PasswordPolicyRecord> RequirePasswordPolicyAsync(IStoreSession session, string accountId, CancellationToken ct = default) =>
        (await GetAsync(session, accountId, ct).ConfigureAwait(false)).PasswordPolicy
            ?? throw IamDirectory.NoSuch($"The Password Policy with domain name {accountId} cannot be found.");

    public static async Task UpdatePasswordPolicyAsync(IStoreTransaction tx, string accountId, PasswordPolicyRecord policy, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.MinimumPasswordLength is < 6 or > 128)
        {
            throw Validation($"Value '{policy.MinimumPasswordLength}' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value {(policy.MinimumPasswordLength < 6 ? "greater than or equal to 6" : "less than or equal to 128")}");
        }
        if (policy.MaxPasswordAge is < 1 or > 1095)
        {
            throw Validation($"Value '{policy.MaxPasswordAge}' at 'maxPasswordAge' failed to satisfy constraint: Member must have value {(policy.MaxPasswordAge < 1 ? "greater than or equal to 1" : "less than or equal to 1095")}");
        }
        if (policy.PasswordReusePrevention is < 1 or > 24)
        {
            throw Validation($"Value '{policy.PasswordReusePrevention}' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value {(policy.PasswordReusePrevention < 1 ? "greater than or equal to 1" : "less than or equal to 24")}");
        }
        var settings = await GetAsync(tx, accountId, ct).ConfigureAwait(false);
        settings.PasswordPolicy = policy;
        await SaveAsync(tx, accountId, settings, now, ct).ConfigureAwait(false);
    }

    public static async Task DeletePasswordPolicyAsync(IStoreTransaction tx, string accountId, DateTime now, CancellationToken ct = default)
    {
        var settings = await GetAsync(tx, accountId, ct).ConfigureAwait(false);
        if (settings.PasswordPolicy is null)
        {
            throw IamDirectory.NoSuch($"The account policy with name PasswordPolicy cannot be found.");
        }
        settings.PasswordPolicy = null;
        await SaveAsync(tx, accountId, settings, now, ct).ConfigureAwait(false);
    }

    // ---- login profiles ------------------------------------------------------------------------

    public static async Task<UserResource> CreateLoginProfileAsync(IStoreTransaction tx, string accountId, string? userName, string? password, bool resetRequired,
        DateTime now, CancellationToken ct = default)
    {
        var user = await IamDirectory.RequireUserAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        if (user.LoginProfile is not null)
        {
            throw new AwsException("EntityAlreadyExists", $"Login Profile for user {user.UserName} already exists.", 409);
        }
        await CheckPasswordAsync(tx, accountId, password, ct).ConfigureAwait(false);
        user.LoginProfile = Hash(password!, now, resetRequired);
        await IamDirectory.SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
        return user;
    }

    public static async Task<UserResource> RequireLoginProfileAsync(IStoreSession session, string accountId, string? userName, CancellationToken ct = default)
    {
        var user = await IamDirectory.RequireUserAsync(session, accountId, userName, ct).ConfigureAwait(false);
        return user.LoginProfile is null ? throw IamDirectory.NoSuch($"Login Profile for User {user.UserName} cannot be found.") : user;
    }

    public static async Task UpdateLoginProfileAsync(IStoreTransaction tx, string accountId, string? userName, string? password, bool? resetRequired, CancellationToken ct = default)
    {
        var user = await RequireLoginProfileAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        var profile = user.LoginProfile!;
        if (password is not null)
        {
            await CheckPasswordAsync(tx, accountId, password, ct).ConfigureAwait(false);
            profile = Hash(password, profile.CreateDate, profile.PasswordResetRequired);
        }
        user.LoginProfile = profile with { PasswordResetRequired = resetRequired ?? profile.PasswordResetRequired };
        await IamDirectory.SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
    }

    public static async Task DeleteLoginProfileAsync(IStoreTransaction tx, string accountId, string? userName, CancellationToken ct = default)
    {
        var user = await RequireLoginProfileAsync(tx, accountId, userName, ct).ConfigureAwait(false);
        user.LoginProfile = null;
        await IamDirectory.SaveUserAsync(tx, accountId, user, ct).ConfigureAwait(false);
    }

    /// <summary>A password against the account's policy (without one, AWS's default: at least 8 characters).</summary>
    private static async Task CheckPasswordAsync(IStoreSession session, string accountId, string? password, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(password))
        {
            throw Validation("Value null at 'password' failed to satisfy constraint: Member must not be null");
        }
        if (password.Length > 128)
        {
            throw Validation("Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 128");
        }
        var policy = (await GetAsync(session, accountId, ct).ConfigureAwait(false)).PasswordPolicy ?? new PasswordPolicyRecord();
        var problems = new List<string>();
        if (password.Length < policy.MinimumPasswordLength)
        {
            problems.Add($"Password should have a minimum length of {policy.MinimumPasswordLength}");
        }
        if (policy.RequireUppercaseCharacters && !password.Any(char.IsAsciiLetterUpper))
        {
            problems.Add("Password should have at least one uppercase letter");
        }
        if (policy.RequireLowercaseCharacters && !password.Any(char.IsAsciiLetterLower))
        {
            problems.Add("Password should have at least one lowercase letter");
        }
        if (policy.RequireNumbers && !password.Any(char.IsAsciiDigit))
        {
            problems.Add("Password should have at least one number");
        }
        if (policy.RequireSymbols && password.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add("Password should have at least one symbol");
        }
        if (problems.Count > 0)
        {
            throw new AwsException("PasswordPolicyViolation", string.Join("\n", problems));
        }
    }

    private static LoginProfileRecord Hash(string password, DateTime created, bool resetRequired)
    {
        var salt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(salt + password)));
        return new LoginProfileRecord(created, resetRequired, salt, hash);
    }

    private static AwsException Validation(string message) => new("ValidationError", message);
}
