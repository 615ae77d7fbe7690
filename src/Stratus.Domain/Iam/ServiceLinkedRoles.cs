using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Iam;

/// <summary>
/// Service-linked roles (CreateServiceLinkedRole, DeleteServiceLinkedRole,
/// GetServiceLinkedRoleDeletionStatus): roles at <c>/aws-service-role/&lt;service&gt;/</c> named
/// as AWS names them (<c>AWSServiceRoleForAutoScaling</c>, <c>AWSServiceRoleForElasticLoadBalancing</c>,
/// ...) that trust the service. Users cannot delete them with DeleteRole
/// (<c>UnmodifiableEntity</c>). Auto Scaling and Elastic Load Balancing create theirs the first time
/// they are used in an account (<see cref="EnsureAsync"/>), as AWS does.
/// </summary>
public static class ServiceLinkedRoles
{
    public const string PathPrefix = "/aws-service-role/";

    private static readonly string[] AssumeRoleAction = ["sts:AssumeRole"];

    /// <summary>The services Stratus knows service-linked roles of: the role's name, whether a custom suffix is allowed, its default description.</summary>
    private static readonly Dictionary<string, (string Name, bool Suffix, string Description)> Services = new(StringComparer.Ordinal)
    {
        ["autoscaling.amazonaws.com"] = ("AWSServiceRoleForAutoScaling", true,
            "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling"),
        ["elasticloadbalancing.amazonaws.com"] = ("AWSServiceRoleForElasticLoadBalancing", false,
            "Allows ELB to call AWS services on your behalf."),
        ["spot.amazonaws.com"] = ("AWSServiceRoleForEC2Spot", false, "Default EC2 Spot Service Linked Role"),
        ["spotfleet.amazonaws.com"] = ("AWSServiceRoleForEC2SpotFleet", false, "Default EC2 Spot Fleet Service Linked Role"),
        ["ec2scheduled.amazonaws.com"] = ("AWSServiceRoleForEC2Scheduled", false, "Allows EC2 Scheduled Instances to manage instances on your behalf"),
        ["ssm.amazonaws.com"] = ("AWSServiceRoleForAmazonSSM", true,
            "Provides access to AWS Resources managed or used by Amazon SSM."),
        ["servicequotas.amazonaws.com"] = ("AWSServiceRoleForServiceQuotas", false, "A service-linked role is required for Service Quotas to access your service limits."),
    };

    public static bool IsServiceLinked(RoleResource role)
    {
        ArgumentNullException.ThrowIfNull(role);
        return role.Path.StartsWith(PathPrefix, StringComparison.Ordinal);
    }

    public static AwsException Protected(string roleName) =>
        new("UnmodifiableEntity", $"Cannot perform the operation on the protected role '{roleName}' - this role is only modifiable by AWS", 400);

    /// <summary>CreateServiceLinkedRole.</summary>
    public static async Task<RoleResource> CreateAsync(IStoreTransaction tx, string accountId, string? serviceName, string? description, string? customSuffix,
        DateTime now, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(serviceName))
        {
            throw new AwsException("ValidationError", "Value null at 'aWSServiceName' failed to satisfy constraint: Member must not be null");
        }
        if (!Services.TryGetValue(serviceName, out var service))
        {
            throw new AwsException("InvalidInput", $"Invalid ServiceName: {serviceName}");
        }
        if (customSuffix is not null && !service.Suffix)
        {
            throw new AwsException("InvalidInput", $"Custom suffix is not allowed for {serviceName}");
        }
        var name = customSuffix is null ? service.Name : $"{service.Name}_{customSuffix}";
        if (await Roles.FindAsync(tx, accountId, name, ct).ConfigureAwait(false) is not null)
        {
            throw new AwsException("InvalidInput", $"Service role name {name} has been taken in this account, please try a different suffix.");
        }
        var trust = JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new[] { new { Effect = "Allow", Principal = new { Service = new[] { serviceName } }, Action = AssumeRoleAction } },
        });
        var role = await Roles.CreateAsync(tx, accountId, name, $"{PathPrefix}{serviceName}/", trust, description ?? service.Description, null, null, now, ct)
            .ConfigureAwait(false);
        return role;
    }

    /// <summary>The service-linked role of <paramref name="serviceName"/>, created if the account has none yet.</summary>
    public static async Task EnsureAsync(IStoreTransaction tx, string accountId, string serviceName, DateTime now, CancellationToken ct = default)
    {
        if (Services.TryGetValue(serviceName, out var service) && await Roles.FindAsync(tx, accountId, service.Name, ct).ConfigureAwait(false) is null)
        {
            await CreateAsync(tx, accountId, serviceName, null, null, now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>DeleteServiceLinkedRole: the role goes at once; the answer is the deletion task's id.</summary>
    public static async Task<string> DeleteAsync(IStoreTransaction tx, string accountId, string? roleName, CancellationToken ct = default)
    {
        var role = await Roles.RequireAsync(tx, accountId, roleName, ct).ConfigureAwait(false);
        if (!IsServiceLinked(role))
        {
            throw new AwsException("InvalidInput", $"Role {role.RoleName} is not a service-linked role.");
        }
        if ((await tx.ListAsync<InstanceProfileResource>(IamDirectory.Scope(accountId), IamDirectory.InstanceProfileType, ct).ConfigureAwait(false))
            .Exists(p => p.Roles.Contains(role.RoleName, StringComparer.OrdinalIgnoreCase)))
        {
            throw new AwsException("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409);
        }
        await tx.DeleteAsync(IamDirectory.Scope(accountId), Roles.Type, role.RoleName.ToUpperInvariant(), ct).ConfigureAwait(false);
        return $"task{role.Path}{role.RoleName}/{Guid.NewGuid()}";
    }

    /// <summary>GetServiceLinkedRoleDeletionStatus: SUCCEEDED once the role named by the task is gone.</summary>
    public static async Task<string> DeletionStatusAsync(IStoreSession session, string accountId, string? taskId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(taskId))
        {
            throw new AwsException("ValidationError", "Value null at 'deletionTaskId' failed to satisfy constraint: Member must not be null");
        }
        var parts = taskId.Split('/');
        if (parts.Length != 5 || parts[0] != "task" || parts[1] != "aws-service-role" || !Guid.TryParse(parts[4], out _))
        {
            throw new AwsException("InvalidInput", $"Invalid deletion task id: {taskId}");
        }
        return await Roles.FindAsync(session, accountId, parts[3], ct).ConfigureAwait(false) is null ? "SUCCEEDED" : "IN_PROGRESS";
    }
}
