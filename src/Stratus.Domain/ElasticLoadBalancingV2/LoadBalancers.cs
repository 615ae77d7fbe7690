using System.Globalization;
using System.Text;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>What CreateLoadBalancer asks for.</summary>
public sealed record LoadBalancerSpec(string? Name, string? Type, string? Scheme, string? IpAddressType, IReadOnlyList<string> Subnets,
    IReadOnlyList<(string SubnetId, string? AllocationId, string? PrivateIpv4Address)> SubnetMappings, IReadOnlyList<string>? SecurityGroups, List<Tag> Tags);

/// <summary>A page of a Describe call: the items and the marker of the next page.</summary>
public sealed record ElbPage<T>(IReadOnlyList<T> Items, string? NextMarker);

/// <summary>A read of the EC2 resources ELB depends on, independent of the instance module's own types.</summary>
internal sealed record InstanceView(string Id, string State, string VpcId, string SubnetId, string PrivateIpAddress, string? PublicIpAddress, string AvailabilityZone);

internal sealed record SecurityGroupView(string Id, string VpcId);

internal sealed record VpcView(string Id, string CidrBlock);

/// <summary>
/// Elastic Load Balancing v2's control plane on the store: load balancers, target groups,
/// listeners, rules, targets and tags, with the service's validation and errors. Everything is kept
/// per account and region as JSON documents; the data plane (listeners on the host, health checks)
/// follows the store.
/// </summary>
public static class LoadBalancers
{
    public static readonly ResourceType LoadBalancerType = new("elbv2-load-balancer", "lb", "LoadBalancerNotFound", "ValidationError", "{0}");
    public static readonly ResourceType TargetGroupType = new("elbv2-target-group", "tg", "TargetGroupNotFound", "ValidationError", "{0}");
    public static readonly ResourceType ListenerType = new("elbv2-listener", "listener", "ListenerNotFound", "ValidationError", "{0}");
    public static readonly ResourceType RuleType = new("elbv2-rule", "rule", "RuleNotFound", "ValidationError", "{0}");

    public const int MaxLoadBalancers = 50, MaxTargetGroups = 3000, MaxListenersPerLoadBalancer = 50, MaxRulesPerListener = 100, MaxTags = 50, MaxTargetsPerGroup = 1000;

    // ---------------------------------------------------------------- load balancers

    public static async Task<LoadBalancerResource> CreateAsync(IStoreTransaction tx, Scope scope, LoadBalancerSpec spec, DateTime now, CancellationToken ct = default)
    {
        var name = ElbNaming.CheckLoadBalancerName(spec.Name);
        var type = spec.Type ?? ElbTypes.Application;
        if (type is not (ElbTypes.Application or ElbTypes.Network))
        {
            throw type == ElbTypes.Gateway
                ? AwsErrors.NotImplemented("CreateLoadBalancer of type gateway")
                : ElbErrors.Validation($"Load balancer type '{type}' is not valid");
        }
        var scheme = spec.Scheme ?? ElbTypes.InternetFacing;
        if (scheme is not (ElbTypes.InternetFacing or ElbTypes.Internal))
        {
            throw new AwsException("InvalidScheme", $"Scheme '{scheme}' is not valid");
        }
        var ipType = spec.IpAddressType ?? "ipv4";
        if (ipType is not ("ipv4" or "dualstack" or "dualstack-without-public-ipv4"))
        {
            throw ElbErrors.Validation($"IP address type '{ipType}' is not valid");
        }
        if (ipType != "ipv4")
        {
            throw ElbErrors.InvalidConfiguration("You must specify subnets with an associated IPv6 CIDR block.");
        }
        CheckTags(spec.Tags, 0);
        var zones = await ResolveSubnetsAsync(tx, scope, type, spec.Subnets, spec.SubnetMappings, ct).ConfigureAwait(false);
        var vpcId = zones.Vpc;
        var groups = await ResolveSecurityGroupsAsync(tx, scope, type, vpcId, spec.SecurityGroups, ct).ConfigureAwait(false);

        var existing = await tx.ListAsync<LoadBalancerResource>(scope, LoadBalancerType, ct).ConfigureAwait(false);
        if (existing.FirstOrDefault(l => l.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } same)
        {
            // Same name and same settings: AWS answers the existing load balancer.
            if (same.Type == type && same.Scheme == scheme && same.Zones.Select(z => z.SubnetId).Order().SequenceEqual(zones.Zones.Select(z => z.SubnetId).Order())
                && same.SecurityGroups.Order().SequenceEqual(groups.Order()))
            {
                return same;
            }
            throw new AwsException("DuplicateLoadBalancerName", $"A load balancer with the same name '{name}' exists, but with different settings");
        }
        if (existing.Count >= MaxLoadBalancers)
        {
            throw new AwsException("TooManyLoadBalancers", $"The maximum number of load balancers has been reached ({MaxLoadBalancers})");
        }
        var id = ElbNaming.NewId();
        var arn = ElbNaming.LoadBalancerArn(scope.Region, scope.AccountId, type, name, id);
        var lb = new LoadBalancerResource
        {
            Id = id,
            Arn = arn,
            Name = name,
            Type = type,
            Scheme = scheme,
            VpcId = vpcId,
            DnsName = ElbNaming.DnsName(type, scheme, name, id, scope.Region),
            CreatedTime = now,
            IpAddressType = ipType,
            Zones = zones.Zones,
            SecurityGroups = groups,
            Attributes = ElbAttributes.LoadBalancerDefaults(type),
            Tags = spec.Tags,
            HostAddress = ElbNaming.HostAddress(arn),
        };
        await LoadBalancerInterfaces.SyncAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, LoadBalancerType, id, lb, now, ct).ConfigureAwait(false);
        return lb;
    }

    private static async Task<(string Vpc, List<LoadBalancerZone> Zones)> ResolveSubnetsAsync(IStoreSession session, Scope scope, string type, IReadOnlyList<string> subnets,
        IReadOnlyList<(string SubnetId, string? AllocationId, string? PrivateIpv4Address)> mappings, CancellationToken ct)
    {
        if (subnets.Count > 0 && mappings.Count > 0)
        {
            throw ElbErrors.Validation("You can specify subnets or subnet mappings, not both");
        }
        var wanted = subnets.Count > 0 ? subnets.Select(s => (SubnetId: s, AllocationId: (string?)null, PrivateIpv4Address: (string?)null)).ToList() : mappings.ToList();
        if (wanted.Count == 0)
        {
            throw ElbErrors.Validation("At least one subnet must be specified");
        }
        var zones = new List<LoadBalancerZone>();
        string? vpc = null;
        foreach (var (subnetId, allocationId, privateIp) in wanted)
        {
            var subnet = await session.GetAsync<Stratus.Domain.Vpc.SubnetResource>(scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false)
                ?? throw new AwsException("SubnetNotFound", $"The subnet ID '{subnetId}' is not valid");
            if (vpc is not null && subnet.VpcId != vpc)
            {
                throw new AwsException("InvalidSubnet", "Subnets must all be in the same VPC");
            }
            vpc = subnet.VpcId;
            if (zones.Any(z => z.ZoneName == subnet.AvailabilityZone))
            {
                throw new AwsException("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone");
            }
            if (allocationId is not null && type != ElbTypes.Network)
            {
                throw ElbErrors.InvalidConfiguration("Elastic IP addresses can only be specified for Network Load Balancers");
            }
            zones.Add(new LoadBalancerZone { SubnetId = subnet.Id, ZoneName = subnet.AvailabilityZone, AllocationId = allocationId, PrivateIpv4Address = privateIp });
        }
        if (type == ElbTypes.Application && zones.Count < 2)
        {
            throw ElbErrors.InvalidConfiguration("At least two subnets in two different Availability Zones must be specified");
        }
        return (vpc!, zones);
    }

    private static async Task<List<string>> ResolveSecurityGroupsAsync(IStoreSession session, Scope scope, string type, string vpcId, IReadOnlyList<string>? requested, CancellationToken ct)
    {
        if (requested is null || requested.Count == 0)
        {
            if (type == ElbTypes.Network)
            {
                return [];
            }
            // An ALB without groups gets the VPC's default group, as AWS does.
            var groups = await session.ListAsync<SecurityGroupNameView>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false);
            return groups.Where(g => g.VpcId == vpcId && g.GroupName == "default").Select(g => g.Id).Take(1).ToList();
        }
        if (requested.Count > 5)
        {
            throw new AwsException("InvalidSecurityGroup", "A load balancer can have at most 5 security groups");
        }
        var result = new List<string>();
        foreach (var id in requested.Distinct(StringComparer.Ordinal))
        {
            var group = await session.GetAsync<SecurityGroupView>(scope, ResourceTypes.SecurityGroup, id, ct).ConfigureAwait(false);
            if (group is null || group.VpcId != vpcId)
            {
                throw new AwsException("InvalidSecurityGroup", $"Security group '{id}' does not exist");
            }
            result.Add(id);
        }
        return result;
    }

    internal sealed record SecurityGroupNameView(string Id, string VpcId, string GroupName);

    public static async Task<LoadBalancerResource?> FindAsync(IStoreSession session, Scope scope, string? arn, CancellationToken ct = default)
    {
        var parsed = ElbNaming.Parse(arn, ElbNaming.LoadBalancerKind);
        if (parsed is null || parsed.AccountId != scope.AccountId || parsed.Region != scope.Region)
        {
            return null;
        }
        var lb = await session.GetAsync<LoadBalancerResource>(scope, LoadBalancerType, parsed.Id, ct).ConfigureAwait(false);
        return lb?.Arn == arn ? lb : null;
    }

    public static async Task<LoadBalancerResource> RequireAsync(IStoreSession session, Scope scope, string? arn, CancellationToken ct = default)
    {
        CheckArn(arn, ElbNaming.LoadBalancerKind, "LoadBalancerArn");
        return await FindAsync(session, scope, arn, ct).ConfigureAwait(false) ?? throw ElbErrors.LoadBalancerNotFound(arn);
    }

    /// <summary>Refuses a value that is not an ARN of the kind asked for (ValidationError, as AWS).</summary>
    public static void CheckArn(string? arn, string kind, string member)
    {
        if (string.IsNullOrEmpty(arn))
        {
            throw ElbErrors.Validation($"A {member} must be specified");
        }
        if (ElbNaming.Parse(arn, kind) is null)
        {
            throw ElbErrors.Validation($"'{arn}' is not a valid {kind} ARN");
        }
    }

    public static async Task<ElbPage<LoadBalancerResource>> DescribeAsync(IStoreSession session, Scope scope, IReadOnlyList<string>? arns, IReadOnlyList<string>? names,
        string? marker, int? pageSize, CancellationToken ct = default)
    {
        if (arns is { Count: > 0 } && names is { Count: > 0 })
        {
            throw ElbErrors.Validation("Load balancer names and load balancer ARNs cannot be specified at the same time");
        }
        var all = (await session.ListAsync<LoadBalancerResource>(scope, LoadBalancerType, ct).ConfigureAwait(false)).OrderBy(l => l.CreatedTime).ThenBy(l => l.Id, StringComparer.Ordinal).ToList();
        IEnumerable<LoadBalancerResource> selected = all;
        if (arns is { Count: > 0 })
        {
            foreach (var arn in arns)
            {
                CheckArn(arn, ElbNaming.LoadBalancerKind, "LoadBalancerArn");
            }
            var missing = arns.Where(a => all.All(l => l.Arn != a)).ToList();
            if (missing.Count > 0)
            {
                throw ElbErrors.LoadBalancerNotFound(string.Join(", ", missing));
            }
            selected = all.Where(l => arns.Contains(l.Arn));
        }
        else if (names is { Count: > 0 })
        {
            var missing = names.Where(n => all.All(l => !l.Name.Equals(n, StringComparison.OrdinalIgnoreCase))).ToList();
            if (missing.Count > 0)
            {
                throw ElbErrors.LoadBalancerNotFound(string.Join(", ", missing));
            }
            selected = all.Where(l => names.Contains(l.Name, StringComparer.OrdinalIgnoreCase));
        }
        return Page(selected.ToList(), l => l.Arn, marker, pageSize);
    }

    /// <summary>Pages a list with an opaque Marker (the last ARN returned) and PageSize 1–400.</summary>
    public static ElbPage<T> Page<T>(IReadOnlyList<T> items, Func<T, string> key, string? marker, int? pageSize)
    {
        var size = pageSize ?? 400;
        if (size is < 1 or > 400)
        {
            throw ElbErrors.Validation($"1 validation error detected: Value '{size}' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400");
        }
        var start = 0;
        if (!string.IsNullOrEmpty(marker))
        {
            string after;
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(marker));
            }
            catch (FormatException)
            {
                throw ElbErrors.Validation("The marker is not valid");
            }
            var index = items.Select(key).ToList().IndexOf(after);
            if (index < 0)
            {
                throw ElbErrors.Validation("The marker is not valid");
            }
            start = index + 1;
        }
        var page = items.Skip(start).Take(size).ToList();
        var next = start + page.Count < items.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes(key(page[^1]))) : null;
        return new ElbPage<T>(page, next);
    }

    /// <summary>DeleteLoadBalancer: its listeners, rules and network interfaces go with it.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? arn, DateTime now, CancellationToken ct = default)
    {
        CheckArn(arn, ElbNaming.LoadBalancerKind, "LoadBalancerArn");
        // Deleting a load balancer that does not exist (any more) succeeds, as AWS.
        if (await FindAsync(tx, scope, arn, ct).ConfigureAwait(false) is not { } lb)
        {
            return;
        }
        if (ElbAttributes.Bool(lb.Attributes, "deletion_protection.enabled"))
        {
            throw new AwsException("OperationNotPermitted", $"Load balancer '{lb.Arn}' cannot be deleted because deletion protection is enabled");
        }
        foreach (var listener in await ListenersOfAsync(tx, scope, lb.Arn, ct).ConfigureAwait(false))
        {
            await DeleteListenerDocsAsync(tx, scope, listener, ct).ConfigureAwait(false);
        }
        await LoadBalancerInterfaces.DeleteAllAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
        await tx.DeleteAsync(scope, LoadBalancerType, lb.Id, ct).ConfigureAwait(false);
    }

    public static async Task<LoadBalancerResource> SaveAsync(IStoreTransaction tx, Scope scope, LoadBalancerResource lb, DateTime now, CancellationToken ct = default)
    {
        await tx.PutAsync(scope, LoadBalancerType, lb.Id, lb, now, ct).ConfigureAwait(false);
        return lb;
    }

    public static async Task<LoadBalancerResource> ModifyAttributesAsync(IStoreTransaction tx, Scope scope, string? arn, IEnumerable<KeyValuePair<string, string>> changes, DateTime now, CancellationToken ct = default)
    {
        var lb = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        lb.Attributes = ElbAttributes.Apply(lb.Attributes, changes, ElbAttributes.ValidateValue);
        return await SaveAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
    }

    public static async Task<LoadBalancerResource> SetSecurityGroupsAsync(IStoreTransaction tx, Scope scope, string? arn, IReadOnlyList<string> groups, DateTime now, CancellationToken ct = default)
    {
        var lb = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        if (lb.Type == ElbTypes.Network && lb.SecurityGroups.Count == 0 && groups.Count > 0)
        {
            throw ElbErrors.InvalidConfiguration("You cannot add security groups to a Network Load Balancer that was created without any");
        }
        if (lb.Type == ElbTypes.Application && groups.Count == 0)
        {
            throw ElbErrors.Validation("At least one security group must be specified for an Application Load Balancer");
        }
        lb.SecurityGroups = groups.Count == 0 ? [] : await ResolveSecurityGroupsAsync(tx, scope, lb.Type, lb.VpcId, groups, ct).ConfigureAwait(false);
        await LoadBalancerInterfaces.SyncAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
        return await SaveAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
    }

    public static async Task<LoadBalancerResource> SetSubnetsAsync(IStoreTransaction tx, Scope scope, string? arn, IReadOnlyList<string> subnets,
        IReadOnlyList<(string SubnetId, string? AllocationId, string? PrivateIpv4Address)> mappings, DateTime now, CancellationToken ct = default)
    {
        var lb = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        var zones = await ResolveSubnetsAsync(tx, scope, lb.Type, subnets, mappings, ct).ConfigureAwait(false);
        if (zones.Vpc != lb.VpcId)
        {
            throw new AwsException("InvalidSubnet", $"Subnets must be in the load balancer's VPC '{lb.VpcId}'");
        }
        lb.Zones = zones.Zones;
        await LoadBalancerInterfaces.SyncAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
        return await SaveAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
    }

    public static async Task<LoadBalancerResource> SetIpAddressTypeAsync(IStoreTransaction tx, Scope scope, string? arn, string? ipAddressType, DateTime now, CancellationToken ct = default)
    {
        var lb = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        if (ipAddressType is not ("ipv4" or "dualstack" or "dualstack-without-public-ipv4"))
        {
            throw ElbErrors.Validation($"IP address type '{ipAddressType}' is not valid");
        }
        if (ipAddressType != "ipv4")
        {
            throw ElbErrors.InvalidConfiguration("You must specify subnets with an associated IPv6 CIDR block.");
        }
        lb.IpAddressType = ipAddressType;
        return await SaveAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
    }

    /// <summary>Marks load balancers still provisioning active (the data plane calls this once their listeners can be served).</summary>
    public static async Task<bool> ActivateAsync(IStoreTransaction tx, Scope scope, string id, DateTime now, CancellationToken ct = default)
    {
        var lb = await tx.GetAsync<LoadBalancerResource>(scope, LoadBalancerType, id, ct).ConfigureAwait(false);
        if (lb is null || lb.State != "provisioning")
        {
            return false;
        }
        lb.State = "active";
        await SaveAsync(tx, scope, lb, now, ct).ConfigureAwait(false);
        return true;
    }

    // ---------------------------------------------------------------- tags

    public static void CheckTags(IReadOnlyList<Tag> tags, int existing)
    {
        foreach (var tag in tags)
        {
            if (tag.Key.Length is 0 or > 128)
            {
                throw ElbErrors.Validation("Tag keys must be between 1 and 128 characters");
            }
            if (tag.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw ElbErrors.Validation("Tag keys starting with 'aws:' are reserved for internal use");
            }
        }
        if (tags.GroupBy(t => t.Key, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            throw new AwsException("DuplicateTagKeys", "Tag keys must be unique");
        }
        if (existing + tags.Count > MaxTags)
        {
            throw new AwsException("TooManyTags", $"The specified resource has too many tags (maximum {MaxTags})");
        }
    }

    private static List<Tag> Merge(List<Tag> current, IReadOnlyList<Tag> added)
    {
        CheckTags(added, 0);
        var merged = current.Where(t => added.All(a => a.Key != t.Key)).Concat(added).ToList();
        if (merged.Count > MaxTags)
        {
            throw new AwsException("TooManyTags", $"The specified resource has too many tags (maximum {MaxTags})");
        }
        return merged;
    }

    /// <summary>AddTags / RemoveTags on load balancers, target groups, listeners and rules (all or nothing).</summary>
    public static async Task ChangeTagsAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<string> arns, IReadOnlyList<Tag>? add, IReadOnlyList<string>? remove, DateTime now, CancellationToken ct = default)
    {
        if (arns.Count == 0)
        {
            throw ElbErrors.Validation("At least one resource ARN must be specified");
        }
        foreach (var arn in arns)
        {
            var resource = await FindTaggedAsync(tx, scope, arn, ct).ConfigureAwait(false);
            var tags = resource.Tags;
            tags = add is not null ? Merge(tags, add) : tags.Where(t => !remove!.Contains(t.Key)).ToList();
            await resource.Save(tags).ConfigureAwait(false);
        }

        async Task<(List<Tag> Tags, Func<List<Tag>, Task> Save)> FindTaggedAsync(IStoreTransaction t, Scope s, string arn, CancellationToken c)
        {
            if (ElbNaming.Parse(arn, ElbNaming.LoadBalancerKind) is not null)
            {
                var lb = await RequireAsync(t, s, arn, c).ConfigureAwait(false);
                return (lb.Tags, tags => { lb.Tags = tags; return SaveAsync(t, s, lb, now, c); });
            }
            if (ElbNaming.Parse(arn, ElbNaming.TargetGroupKind) is not null)
            {
                var tg = await TargetGroups.RequireAsync(t, s, arn, c).ConfigureAwait(false);
                return (tg.Tags, tags => { tg.Tags = tags; return TargetGroups.SaveAsync(t, s, tg, now, c); });
            }
            if (ElbNaming.Parse(arn, ElbNaming.ListenerKind) is not null)
            {
                var listener = await Listeners.RequireAsync(t, s, arn, c).ConfigureAwait(false);
                return (listener.Tags, tags => { listener.Tags = tags; return Listeners.SaveAsync(t, s, listener, now, c); });
            }
            if (ElbNaming.Parse(arn, ElbNaming.RuleKind) is not null)
            {
                var rule = await Listeners.RequireRuleAsync(t, s, arn, c).ConfigureAwait(false);
                return (rule.Tags, tags => { rule.Tags = tags; return Listeners.SaveRuleAsync(t, s, rule, now, c); });
            }
            throw ElbErrors.Validation($"'{arn}' is not a valid resource ARN");
        }
    }

    /// <summary>DescribeTags: the tags of up to 20 resources.</summary>
    public static async Task<List<(string Arn, List<Tag> Tags)>> DescribeTagsAsync(IStoreSession session, Scope scope, IReadOnlyList<string> arns, CancellationToken ct = default)
    {
        if (arns.Count == 0)
        {
            throw ElbErrors.Validation("At least one resource ARN must be specified");
        }
        if (arns.Count > 20)
        {
            throw ElbErrors.Validation("1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to 20");
        }
        var result = new List<(string, List<Tag>)>();
        foreach (var arn in arns)
        {
            List<Tag> tags;
            if (ElbNaming.Parse(arn, ElbNaming.LoadBalancerKind) is not null)
            {
                tags = (await RequireAsync(session, scope, arn, ct).ConfigureAwait(false)).Tags;
            }
            else if (ElbNaming.Parse(arn, ElbNaming.TargetGroupKind) is not null)
            {
                tags = (await TargetGroups.RequireAsync(session, scope, arn, ct).ConfigureAwait(false)).Tags;
            }
            else if (ElbNaming.Parse(arn, ElbNaming.ListenerKind) is not null)
            {
                tags = (await Listeners.RequireAsync(session, scope, arn, ct).ConfigureAwait(false)).Tags;
            }
            else if (ElbNaming.Parse(arn, ElbNaming.RuleKind) is not null)
            {
                tags = (await Listeners.RequireRuleAsync(session, scope, arn, ct).ConfigureAwait(false)).Tags;
            }
            else
            {
                throw ElbErrors.Validation($"'{arn}' is not a valid resource ARN");
            }
            result.Add((arn, tags));
        }
        return result;
    }

    // ---------------------------------------------------------------- shared helpers

    internal static async Task<List<ListenerResource>> ListenersOfAsync(IStoreSession session, Scope scope, string lbArn, CancellationToken ct) =>
        (await session.ListAsync<ListenerResource>(scope, ListenerType, ct).ConfigureAwait(false)).Where(l => l.LoadBalancerArn == lbArn).OrderBy(l => l.Port).ToList();

    internal static async Task DeleteListenerDocsAsync(IStoreTransaction tx, Scope scope, ListenerResource listener, CancellationToken ct)
    {
        foreach (var rule in (await tx.ListAsync<RuleResource>(scope, RuleType, ct).ConfigureAwait(false)).Where(r => r.ListenerArn == listener.Arn))
        {
            await tx.DeleteAsync(scope, RuleType, rule.Id, ct).ConfigureAwait(false);
        }
        await tx.DeleteAsync(scope, ListenerType, listener.Id, ct).ConfigureAwait(false);
    }

    internal static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
