using Stratus.Domain.Iam;
using Stratus.Domain.Resources;
using Stratus.Server.Gateway;
using Stratus.Services.Model.Iam;

namespace Stratus.Server.Iam;

/// <summary>
/// Account-level IAM: the account summary, the account alias, the password policy, users' login
/// profiles and service-linked roles.
/// </summary>
internal sealed partial class IamService
{
    // ---- account summary -----------------------------------------------------------------------

    public override async Task<GetAccountSummaryResponse> GetAccountSummaryAsync(RequestContext context)
    {
        var (store, account, ct) = (context.Store, Acct(context), context.Cancellation);
        var users = await IamDirectory.UsersAsync(store, account, ct).ConfigureAwait(false);
        var groups = await IamDirectory.GroupsAsync(store, account, ct).ConfigureAwait(false);
        var roles = await store.ListAsync<RoleResource>(IamDirectory.Scope(account), Roles.Type, ct).ConfigureAwait(false);
        var policies = await IamDirectory.PoliciesAsync(store, account, "Local", ct).ConfigureAwait(false);
        var profiles = await IamDirectory.InstanceProfilesAsync(store, account, ct).ConfigureAwait(false);
        var rootKeys = (await store.ListAccessKeysAsync(account, ct).ConfigureAwait(false)).Count(k => k.UserName is null && k.Active);
        var attachments = users.Sum(u => u.AttachedPolicies.Count) + groups.Sum(g => g.AttachedPolicies.Count) + roles.Sum(r => r.AttachedPolicies.Count);
        return new GetAccountSummaryResponse
        {
            SummaryMap = new Dictionary<string, int>(StringComparer.Ordinal)
            {
                ["Users"] = users.Count,
                ["UsersQuota"] = 5000,
                ["Groups"] = groups.Count,
                ["GroupsQuota"] = 300,
                ["GroupsPerUserQuota"] = IamDirectory.MaxGroupsPerUser,
                ["Roles"] = roles.Count,
                ["RolesQuota"] = Roles.MaxRolesPerAccount,
                ["InstanceProfiles"] = profiles.Count,
                ["InstanceProfilesQuota"] = 1000,
                ["Policies"] = policies.Count,
                ["PoliciesQuota"] = 1500,
                ["PolicySizeQuota"] = IamDirectory.MaxManagedPolicySize,
                ["PolicyVersionsInUse"] = attachments,
                ["PolicyVersionsInUseQuota"] = 10000,
                ["VersionsPerPolicyQuota"] = IamDirectory.MaxPolicyVersions,
                ["AttachedPoliciesPerUserQuota"] = IamDirectory.MaxAttachedPolicies,
                ["AttachedPoliciesPerGroupQuota"] = IamDirectory.MaxAttachedPolicies,
                ["AttachedPoliciesPerRoleQuota"] = IamDirectory.MaxAttachedPolicies,
                ["UserPolicySizeQuota"] = 2048,
                ["GroupPolicySizeQuota"] = 5120,
                ["AssumeRolePolicySizeQuota"] = 2048,
                ["AccessKeysPerUserQuota"] = IamDirectory.MaxAccessKeysPerUser,
                ["AccountAccessKeysPresent"] = rootKeys > 0 ? 1 : 0,
                ["AccountMFAEnabled"] = 0,
                ["AccountSigningCertificatesPresent"] = 0,
                ["SigningCertificatesPerUserQuota"] = 2,
                ["MFADevices"] = 0,
                ["MFADevicesInUse"] = 0,
                ["Providers"] = 0,
                ["ServerCertificates"] = 0,
                ["ServerCertificatesQuota"] = 20,
                ["GlobalEndpointTokenVersion"] = 1,
            },
        };
    }

    // ---- account alias -------------------------------------------------------------------------

    public override Task CreateAccountAliasAsync(RequestContext context, CreateAccountAliasRequest request) =>
        AccountSettings.CreateAliasAsync(context.Transaction, Acct(context), request.AccountAlias, context.Now, context.Cancellation);

    public override Task DeleteAccountAliasAsync(RequestContext context, DeleteAccountAliasRequest request) =>
        AccountSettings.DeleteAliasAsync(context.Transaction, Acct(context), request.AccountAlias, context.Now, context.Cancellation);

    public override async Task<ListAccountAliasesResponse> ListAccountAliasesAsync(RequestContext context, ListAccountAliasesRequest request)
    {
        var settings = await AccountSettings.GetAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false);
        var page = IamDirectory.Page(settings.Alias is { } alias ? new[] { alias } : [], request.Marker, request.MaxItems);
        return new ListAccountAliasesResponse { AccountAliases = page.Items.ToList(), IsTruncated = page.IsTruncated, Marker = page.Marker };
    }

    // ---- password policy -----------------------------------------------------------------------

    public override async Task<GetAccountPasswordPolicyResponse> GetAccountPasswordPolicyAsync(RequestContext context)
    {
        var policy = await AccountSettings.RequirePasswordPolicyAsync(context.Store, Acct(context), context.Cancellation).ConfigureAwait(false);
        return new GetAccountPasswordPolicyResponse
        {
            PasswordPolicy = new PasswordPolicy
            {
                MinimumPasswordLength = policy.MinimumPasswordLength,
                RequireSymbols = policy.RequireSymbols,
                RequireNumbers = policy.RequireNumbers,
                RequireUppercaseCharacters = policy.RequireUppercaseCharacters,
                RequireLowercaseCharacters = policy.RequireLowercaseCharacters,
                AllowUsersToChangePassword = policy.AllowUsersToChangePassword,
                ExpirePasswords = policy.MaxPasswordAge is not null,
                MaxPasswordAge = policy.MaxPasswordAge,
                PasswordReusePrevention = policy.PasswordReusePrevention,
                HardExpiry = policy.HardExpiry,
            },
        };
    }

    public override Task UpdateAccountPasswordPolicyAsync(RequestContext context, UpdateAccountPasswordPolicyRequest request) =>
        AccountSettings.UpdatePasswordPolicyAsync(context.Transaction, Acct(context), new PasswordPolicyRecord
        {
            MinimumPasswordLength = request.MinimumPasswordLength ?? 6,
            RequireSymbols = request.RequireSymbols ?? false,
            RequireNumbers = request.RequireNumbers ?? false,
            RequireUppercaseCharacters = request.RequireUppercaseCharacters ?? false,
            RequireLowercaseCharacters = request.RequireLowercaseCharacters ?? false,
            AllowUsersToChangePassword = request.AllowUsersToChangePassword ?? false,
            MaxPasswordAge = request.MaxPasswordAge,
            PasswordReusePrevention = request.PasswordReusePrevention,
            HardExpiry = request.HardExpiry ?? false,
        }, context.Now, context.Cancellation);

    public override Task DeleteAccountPasswordPolicyAsync(RequestContext context) =>
        AccountSettings.DeletePasswordPolicyAsync(context.Transaction, Acct(context), context.Now, context.Cancellation);

    // ---- login profiles ------------------------------------------------------------------------

    private static LoginProfile ToShape(string userName, LoginProfileRecord profile) =>
        new() { UserName = userName, CreateDate = profile.CreateDate, PasswordResetRequired = profile.PasswordResetRequired };

    public override async Task<CreateLoginProfileResponse> CreateLoginProfileAsync(RequestContext context, CreateLoginProfileRequest request)
    {
        var user = await AccountSettings.CreateLoginProfileAsync(context.Transaction, Acct(context), request.UserName, request.Password, request.PasswordResetRequired ?? false,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateLoginProfileResponse { LoginProfile = ToShape(user.UserName, user.LoginProfile!) };
    }

    public override async Task<GetLoginProfileResponse> GetLoginProfileAsync(RequestContext context, GetLoginProfileRequest request)
    {
        var user = await AccountSettings.RequireLoginProfileAsync(context.Store, Acct(context), request.UserName, context.Cancellation).ConfigureAwait(false);
        return new GetLoginProfileResponse { LoginProfile = ToShape(user.UserName, user.LoginProfile!) };
    }

    public override Task UpdateLoginProfileAsync(RequestContext context, UpdateLoginProfileRequest request) =>
        AccountSettings.UpdateLoginProfileAsync(context.Transaction, Acct(context), request.UserName, request.Password, request.PasswordResetRequired, context.Cancellation);

    public override Task DeleteLoginProfileAsync(RequestContext context, DeleteLoginProfileRequest request) =>
        AccountSettings.DeleteLoginProfileAsync(context.Transaction, Acct(context), request.UserName, context.Cancellation);

    // ---- service-linked roles ------------------------------------------------------------------

    public override async Task<CreateServiceLinkedRoleResponse> CreateServiceLinkedRoleAsync(RequestContext context, CreateServiceLinkedRoleRequest request) => new()
    {
        Role = ToShape(await ServiceLinkedRoles.CreateAsync(context.Transaction, Acct(context), request.AWSServiceName, request.Description, request.CustomSuffix,
            context.Now, context.Cancellation).ConfigureAwait(false)),
    };

    public override async Task<DeleteServiceLinkedRoleResponse> DeleteServiceLinkedRoleAsync(RequestContext context, DeleteServiceLinkedRoleRequest request) => new()
    {
        DeletionTaskId = await ServiceLinkedRoles.DeleteAsync(context.Transaction, Acct(context), request.RoleName, context.Cancellation).ConfigureAwait(false),
    };

    public override async Task<GetServiceLinkedRoleDeletionStatusResponse> GetServiceLinkedRoleDeletionStatusAsync(RequestContext context,
        GetServiceLinkedRoleDeletionStatusRequest request)
    {
        var status = await ServiceLinkedRoles.DeletionStatusAsync(context.Store, Acct(context), request.DeletionTaskId, context.Cancellation).ConfigureAwait(false);
        return new GetServiceLinkedRoleDeletionStatusResponse { Status = status };
    }
}
