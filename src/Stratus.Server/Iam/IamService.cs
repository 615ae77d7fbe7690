using Stratus.Domain.Iam;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.Iam;
using DomainTag = Stratus.Domain.Resources.Tag;

namespace Stratus.Server.Iam;

/// <summary>
/// IAM (query protocol), the roles slice: CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole,
/// UpdateAssumeRolePolicy, TagRole, UntagRole and ListRoleTags. Roles are global to the account;
/// policy documents are answered URL-encoded, as IAM does.
/// </summary>
internal sealed class IamService : IamServiceBase<RequestContext>, IAwsService
{
    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(IamService));

    ServiceInfo IAwsService.Model => IamShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    public override async Task<CreateRoleResponse> CreateRoleAsync(RequestContext context, CreateRoleRequest request)
    {
        if (request.PermissionsBoundary is not null)
        {
            throw Stratus.Core.AwsErrors.NotImplemented("CreateRole with PermissionsBoundary");
        }
        var role = await Roles.CreateAsync(context.Transaction, context.AccountId, request.RoleName, request.Path, request.AssumeRolePolicyDocument, request.Description,
            request.MaxSessionDuration, request.Tags?.Select(t => new DomainTag(t.Key ?? "", t.Value ?? "")).ToList(), context.Now, context.Cancellation).ConfigureAwait(false);
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

    public override Task TagRoleAsync(RequestContext context, TagRoleRequest request) =>
        Roles.TagAsync(context.Transaction, context.AccountId, request.RoleName, request.Tags?.Select(t => new DomainTag(t.Key ?? "", t.Value ?? "")).ToList(), context.Cancellation);

    public override Task UntagRoleAsync(RequestContext context, UntagRoleRequest request) =>
        Roles.UntagAsync(context.Transaction, context.AccountId, request.RoleName, request.TagKeys, context.Cancellation);

    public override async Task<ListRoleTagsResponse> ListRoleTagsAsync(RequestContext context, ListRoleTagsRequest request)
    {
        var role = await Roles.RequireAsync(context.Store, context.AccountId, request.RoleName, context.Cancellation).ConfigureAwait(false);
        var max = request.MaxItems ?? 100;
        if (max is < 1 or > 1000)
        {
            throw new Stratus.Core.AwsException("ValidationError", $"Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000");
        }
        var start = 0;
        if (request.Marker is { } marker && (!int.TryParse(marker, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start) || start > role.Tags.Count))
        {
            throw new Stratus.Core.AwsException("ValidationError", "Invalid Marker.");
        }
        var tags = role.Tags.Skip(start).Take(max).ToList();
        var truncated = start + tags.Count < role.Tags.Count;
        return new ListRoleTagsResponse
        {
            Tags = tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList(),
            IsTruncated = truncated,
            Marker = truncated ? (start + tags.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };
    }

    private static Role ToShape(RoleResource role, bool tags = true) => new()
    {
        RoleName = role.RoleName,
        RoleId = role.RoleId,
        Arn = role.Arn,
        Path = role.Path,
        CreateDate = role.CreateDate,
        AssumeRolePolicyDocument = Uri.EscapeDataString(role.AssumeRolePolicyDocument),
        Description = role.Description,
        MaxSessionDuration = role.MaxSessionDuration,
        Tags = tags && role.Tags.Count > 0 ? role.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList() : null,
        RoleLastUsed = tags ? new RoleLastUsed() : null,
    };
}
