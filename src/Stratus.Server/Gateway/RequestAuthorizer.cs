using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Accounts;
using Stratus.Domain.Iam;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Protocol.Model;
using Stratus.Server.Hosting;

namespace Stratus.Server.Gateway;

/// <summary>
/// The gateway's authorisation stage, after the typed input is parsed: the request's action
/// (<c>&lt;IAM prefix&gt;:&lt;Operation&gt;</c>) on each resource it names is evaluated against the
/// caller's identity policies. The account root (its keys and its session tokens) may do
/// everything; IAM users and role sessions only what their policies allow. Instance-profile
/// credentials stop working once the instance is no longer pending or running or its profile no
/// longer holds the role. A denial is EC2's <c>UnauthorizedOperation</c> with an encoded message
/// (STS DecodeAuthorizationMessage reads it), the query services' <c>AccessDenied</c> and the JSON
/// services' <c>AccessDeniedException</c>.
/// </summary>
internal sealed class RequestAuthorizer(IStateStore store, IamPolicyCache cache, AuthorizationMessages messages)
{
    private static readonly ConcurrentDictionary<Type, ResourceMember[]> Members = new();

    private static readonly Dictionary<string, string> Prefixes = new(StringComparer.Ordinal)
    {
        ["monitoring"] = "cloudwatch",
    };

    private static readonly Dictionary<string, string> Ec2ResourceMembers = new(StringComparer.Ordinal)
    {
        ["InstanceId"] = "instance",
        ["InstanceIds"] = "instance",
        ["VolumeId"] = "volume",
        ["VolumeIds"] = "volume",
        ["GroupId"] = "security-group",
        ["GroupIds"] = "security-group",
        ["SecurityGroupIds"] = "security-group",
        ["VpcId"] = "vpc",
        ["SubnetId"] = "subnet",
        ["ImageId"] = "image",
        ["SnapshotId"] = "snapshot",
        ["NetworkInterfaceId"] = "network-interface",
        ["AllocationId"] = "elastic-ip",
        ["LaunchTemplateId"] = "launch-template",
        ["InternetGatewayId"] = "internet-gateway",
        ["RouteTableId"] = "route-table",
        ["NetworkAclId"] = "network-acl",
        ["DhcpOptionsId"] = "dhcp-options",
        ["KeyName"] = "key-pair",
        ["Resources"] = "",
    };

    private static readonly Dictionary<string, string> IamResourceMembers = new(StringComparer.Ordinal)
    {
        ["UserName"] = "user/",
        ["GroupName"] = "group/",
        ["RoleName"] = "role/",
        ["InstanceProfileName"] = "instance-profile/",
        ["PolicyArn"] = "",
        ["RoleArn"] = "",
    };

    /// <summary>The IAM action prefix of a service (its signing name, except CloudWatch's <c>monitoring</c>).</summary>
    public static string ActionPrefix(string signingName) => Prefixes.GetValueOrDefault(signingName, signingName);

    /// <summary>
    /// Authorises the request; answers the caller with its IAM user resolved. Throws the service's
    /// access-denied error, or InvalidClientTokenId for credentials that no longer stand for anyone.
    /// </summary>
    public async ValueTask<Principal> AuthorizeAsync(CallerIdentity identity, AwsServiceEndpoint endpoint, string protocol, OperationInfo operation, object input,
        string? sourceIp, DateTime now, CancellationToken ct)
    {
        var caller = identity.Principal;
        if (caller.IsRoot)
        {
            return caller;
        }
        PrincipalPolicies? policies;
        if (caller.UserName is { } userName)
        {
            policies = await cache.GetAsync(caller.AccountId, userName, isRole: false, OpenAsync, ct).ConfigureAwait(false);
            if (policies is null)
            {
                throw SessionCredentialIssuer.InvalidToken();
            }
            caller = caller with { User = policies.User };
            if (caller.AccessKeyId is { } keyId && caller.Session is null)
            {
                cache.RecordUse(keyId, now, endpoint.SigningName, identity.Region);
            }
        }
        else
        {
            var session = caller.Session!;
            if (session.Kind == SessionKind.InstanceProfile)
            {
                await CheckInstanceAsync(session, ct).ConfigureAwait(false);
            }
            policies = await cache.GetAsync(caller.AccountId, session.RoleName, isRole: true, OpenAsync, ct).ConfigureAwait(false);
            if (policies is null)
            {
                throw SessionCredentialIssuer.InvalidToken();
            }
        }

        // GetCallerIdentity needs no permission: AWS answers it even under an explicit deny.
        if (endpoint.SigningName == "sts" && operation.Name == "GetCallerIdentity")
        {
            return caller;
        }
        var action = $"{ActionPrefix(endpoint.SigningName)}:{operation.Name}";
        var context = BaseContext(caller, policies, identity.Region, sourceIp, now);
        if (endpoint.SigningName == "ec2" && operation.Name == "RunInstances" && Property(input, "InstanceType") is string instanceType)
        {
            context["ec2:InstanceType"] = [instanceType];
        }
        foreach (var resource in Resources(endpoint.SigningName, operation.Name, input, caller.AccountId, identity.Region, caller.User?.Arn))
        {
            var request = context;
            if (policies.UsesResourceTags && resource.Id is not null)
            {
                request = new Dictionary<string, string[]>(context, StringComparer.OrdinalIgnoreCase);
                foreach (var tag in await ResourceTagsAsync(caller.AccountId, identity.Region, resource.Id, ct).ConfigureAwait(false))
                {
                    request["aws:ResourceTag/" + tag.Key] = [tag.Value];
                    request["ec2:ResourceTag/" + tag.Key] = [tag.Value];
                }
            }
            var result = policies.Evaluate(new AuthorizationRequest(action, resource.Arn, request));
            if (result.Decision != PolicyDecision.Allow)
            {
                throw Denied(protocol, endpoint, caller, action, resource.Arn, result, request);
            }
        }
        return caller;
    }

    /// <summary>
    /// Authorises one more action a handler performs on the caller's behalf (<c>iam:PassRole</c>
    /// when a launch or an association hands a role to an instance), with extra request context
    /// keys. The root is allowed; a denial is the service's access-denied error, as for the request's own action.
    /// </summary>
    public async ValueTask AuthorizeActionAsync(Principal caller, AwsServiceEndpoint endpoint, string protocol, string region, string action, string resourceArn,
        IReadOnlyDictionary<string, string[]>? extra, string? sourceIp, DateTime now, CancellationToken ct)
    {
        if (caller.IsRoot)
        {
            return;
        }
        var policies = caller.UserName is { } userName
            ? await cache.GetAsync(caller.AccountId, userName, isRole: false, OpenAsync, ct).ConfigureAwait(false)
            : await cache.GetAsync(caller.AccountId, caller.Session!.RoleName, isRole: true, OpenAsync, ct).ConfigureAwait(false);
        if (policies is null)
        {
            throw SessionCredentialIssuer.InvalidToken();
        }
        var context = BaseContext(caller, policies, region, sourceIp, now);
        foreach (var (key, values) in extra ?? new Dictionary<string, string[]>())
        {
            context[key] = values;
        }
        var result = policies.Evaluate(new AuthorizationRequest(action, resourceArn, context));
        if (result.Decision != PolicyDecision.Allow)
        {
            throw Denied(protocol, endpoint, caller, action, resourceArn, result, context);
        }
    }

    private async Task<IStoreSession> OpenAsync() => await store.OpenReadAsync().ConfigureAwait(false);

    /// <summary>Instance-profile credentials stand for the instance while it is pending or running and its profile holds the role.</summary>
    private async Task CheckInstanceAsync(SessionCredentials session, CancellationToken ct)
    {
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        var instance = await read.GetAsync<InstanceResource>(new Scope(session.AccountId, session.Region), ResourceTypes.Instance, session.InstanceId, ct).ConfigureAwait(false);
        if (instance is null || instance.State is not (InstanceStates.Pending or InstanceStates.Running) || instance.IamInstanceProfileArn is not { } arn)
        {
            throw SessionCredentialIssuer.InvalidToken();
        }
        var profile = await IamDirectory.FindInstanceProfileAsync(read, session.AccountId, arn[(arn.LastIndexOf('/') + 1)..], ct).ConfigureAwait(false);
        if (profile is null || !profile.Roles.Contains(session.RoleName, StringComparer.OrdinalIgnoreCase))
        {
            throw SessionCredentialIssuer.InvalidToken();
        }
    }

    private static Dictionary<string, string[]> BaseContext(Principal caller, PrincipalPolicies policies, string region, string? sourceIp, DateTime now)
    {
        var context = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["aws:RequestedRegion"] = [region],
            ["ec2:Region"] = [region],
            ["aws:CurrentTime"] = [now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)],
            ["aws:EpochTime"] = [new DateTimeOffset(now, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ["aws:MultiFactorAuthPresent"] = ["false"],
            ["aws:SecureTransport"] = ["false"],
            ["aws:PrincipalAccount"] = [caller.AccountId],
            ["aws:PrincipalArn"] = [policies.Arn],
            ["aws:userid"] = [caller.UserId],
            ["aws:PrincipalType"] = [caller.User is not null ? "User" : "AssumedRole"],
        };
        if (sourceIp is not null)
        {
            context["aws:SourceIp"] = [sourceIp];
        }
        if (caller.User is { } user)
        {
            context["aws:username"] = [user.UserName];
        }
        foreach (var tag in policies.Tags)
        {
            context["aws:PrincipalTag/" + tag.Key] = [tag.Value];
        }
        if (caller.Session is { Kind: SessionKind.InstanceProfile } session)
        {
            context["ec2:SourceInstanceARN"] = [$"arn:aws:ec2:{session.Region}:{session.AccountId}:instance/{session.InstanceId}"];
        }
        return context;
    }

    private readonly record struct RequestResource(string Arn, string? Id);

    /// <summary>
    /// The resources a request names, as AWS forms their ARNs: for EC2 operations other than
    /// Describe*, each instance, volume, security group, VPC, subnet, image, snapshot, ... id in the
    /// input (RunInstances also the new instance, volumes and interfaces); for IAM the user, group,
    /// role, instance profile or policy named; STS AssumeRole the role; CloudWatch Logs the log group
    /// or stream (<see cref="LogsResource"/>). Otherwise <c>*</c>.
    /// </summary>
    private static List<RequestResource> Resources(string service, string operation, object input, string accountId, string region, string? callerUserArn)
    {
        var resources = new List<RequestResource>();
        if (service == "ec2" && !operation.StartsWith("Describe", StringComparison.Ordinal))
        {
            foreach (var (member, type) in Named(input, Ec2ResourceMembers))
            {
                var kind = type.Length > 0 ? type : ResourceTypes.FromId(member)?.Name;
                if (kind is null)
                {
                    continue;
                }
                var arn = kind is "image" or "snapshot" ? $"arn:aws:ec2:{region}::{kind}/{member}" : $"arn:aws:ec2:{region}:{accountId}:{kind}/{member}";
                resources.Add(new RequestResource(arn, kind == "key-pair" ? null : member));
            }
            if (operation == "RunInstances")
            {
                foreach (var kind in new[] { "instance", "volume", "network-interface" })
                {
                    resources.Add(new RequestResource($"arn:aws:ec2:{region}:{accountId}:{kind}/*", null));
                }
            }
        }
        else if (service == "iam")
        {
            foreach (var (member, type) in Named(input, IamResourceMembers))
            {
                resources.Add(new RequestResource(type.Length == 0 ? member : $"arn:aws:iam::{accountId}:{type}{member}", null));
            }
            // Operations on a user that name none act on the calling user (GetUser, CreateAccessKey, ...).
            if (resources.Count == 0 && callerUserArn is not null && input.GetType().GetProperty("UserName") is not null)
            {
                resources.Add(new RequestResource(callerUserArn, null));
            }
        }
        else if (service == "sts" && Property(input, "RoleArn") is string roleArn)
        {
            resources.Add(new RequestResource(roleArn, null));
        }
        else if (service == "logs" && LogsResource(operation, input, accountId, region) is { } logsArn)
        {
            resources.Add(new RequestResource(logsArn, null));
        }
        if (resources.Count == 0)
        {
            resources.Add(new RequestResource("*", null));
        }
        return resources;
    }

    /// <summary>Operations whose resource is one log stream (<c>…:log-group:G:log-stream:S</c>).</summary>
    private static readonly HashSet<string> LogStreamOperations = new(StringComparer.Ordinal)
    {
        "CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents",
    };

    /// <summary>
    /// The resource CloudWatch Logs evaluates an operation on, as AWS forms it: the log stream's ARN
    /// (<c>arn:aws:logs:R:A:log-group:G:log-stream:S</c>) for operations on one stream; for the other
    /// operations on a log group the group with an empty stream (<c>…:log-group:G:log-stream:</c>, so
    /// that the documented policy form <c>…:log-group:G:*</c> matches it and the bare group ARN does
    /// not); DescribeLogGroups and ListLogGroups <c>…:log-group::log-stream:</c>; the tagging
    /// operations the ARN they name. A group named by ARN (<c>logGroupIdentifier</c>) keeps that ARN's
    /// region and account. Null (so <c>*</c>) for operations that name no group.
    /// </summary>
    private static string? LogsResource(string operation, object input, string accountId, string region)
    {
        if (operation is "TagResource" or "UntagResource" or "ListTagsForResource")
        {
            return Property(input, "resourceArn") is string arn && arn.Length > 0 ? arn : null;
        }
        var prefix = $"arn:aws:logs:{region}:{accountId}:log-group:";
        if (operation is "DescribeLogGroups" or "ListLogGroups")
        {
            return prefix + ":log-stream:";
        }
        var group = Property(input, "logGroupName") as string;
        if (string.IsNullOrEmpty(group) && Property(input, "logGroupIdentifier") is string identifier && identifier.Length > 0)
        {
            group = identifier;
            var at = identifier.IndexOf(":log-group:", StringComparison.Ordinal);
            if (identifier.StartsWith("arn:", StringComparison.Ordinal) && at > 0)
            {
                prefix = identifier[..(at + ":log-group:".Length)];
                group = identifier[(at + ":log-group:".Length)..];
                if (group.EndsWith(":*", StringComparison.Ordinal))
                {
                    group = group[..^2];
                }
            }
        }
        if (string.IsNullOrEmpty(group))
        {
            return null;
        }
        var stream = LogStreamOperations.Contains(operation) ? Property(input, "logStreamName") as string ?? "" : "";
        return $"{prefix}{group}:log-stream:{stream}";
    }

    private sealed record ResourceMember(PropertyInfo Property, string Type);

    private static IEnumerable<(string Value, string Type)> Named(object input, Dictionary<string, string> names)
    {
        var members = Members.GetOrAdd(input.GetType(), type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => names.ContainsKey(p.Name) && (p.PropertyType == typeof(string) || typeof(IEnumerable<string>).IsAssignableFrom(p.PropertyType)))
            .Select(p => new ResourceMember(p, names[p.Name]))
            .ToArray());
        foreach (var member in members)
        {
            switch (member.Property.GetValue(input))
            {
                case string value when value.Length > 0:
                    yield return (value, member.Type);
                    break;
                case IEnumerable values and not string:
                    foreach (var value in values.OfType<string>().Where(v => v.Length > 0).Take(100))
                    {
                        yield return (value, member.Type);
                    }
                    break;
            }
        }
    }

    private static object? Property(object input, string name) => input.GetType().GetProperty(name)?.GetValue(input);

    private async Task<List<Tag>> ResourceTagsAsync(string accountId, string region, string id, CancellationToken ct)
    {
        if (ResourceTypes.FromId(id) is not { } type)
        {
            return [];
        }
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        var stored = await read.GetAsync(new ResourceKey(accountId, region, type.Name, id), ct).ConfigureAwait(false);
        if (stored is null)
        {
            return [];
        }
        using var json = JsonDocument.Parse(stored.Document);
        if (!json.RootElement.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Array)
        {
            return [];
        }
        return tags.EnumerateArray()
            .Where(t => t.TryGetProperty("key", out _))
            .Select(t => new Tag(t.GetProperty("key").GetString() ?? "", t.TryGetProperty("value", out var v) ? v.GetString() ?? "" : ""))
            .ToList();
    }

    private AwsException Denied(string protocol, AwsServiceEndpoint endpoint, Principal caller, string action, string resource, EvaluationResult result,
        IReadOnlyDictionary<string, string[]> context)
    {
        var onResource = resource == "*" ? "" : $" on resource: {resource}";
        var reason = result.Decision == PolicyDecision.ExplicitDeny
            ? "with an explicit deny in an identity-based policy"
            : $"because no identity-based policy allows the {action} action";
        var why = $"User: {caller.Arn} is not authorized to perform: {action}{onResource} {reason}";
        if (protocol == "ec2")
        {
            var encoded = messages.Encode(caller.AccountId, caller.Arn, caller.UserId, action, resource, result, context);
            return new AwsException("UnauthorizedOperation", $"You are not authorized to perform this operation. {why}. Encoded authorization failure message: {encoded}", 403);
        }
        return protocol is "query" || endpoint.SigningName == "monitoring"
            ? new AwsException("AccessDenied", why, 403)
            : new AwsException("AccessDeniedException", why, 400);
    }
}
