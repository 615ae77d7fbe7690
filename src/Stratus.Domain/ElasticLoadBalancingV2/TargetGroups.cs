using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>What CreateTargetGroup asks for (health check members null when not given).</summary>
public sealed record TargetGroupSpec(string? Name, string? Protocol, string? ProtocolVersion, int? Port, string? VpcId, string? TargetType, string? IpAddressType,
    HealthCheckChange HealthCheck, List<Tag> Tags);

/// <summary>Health check settings of CreateTargetGroup / ModifyTargetGroup (null: keep or default).</summary>
public sealed record HealthCheckChange(bool? Enabled, string? Protocol, string? Port, string? Path, int? IntervalSeconds, int? TimeoutSeconds,
    int? HealthyThreshold, int? UnhealthyThreshold, string? MatcherHttpCode, string? MatcherGrpcCode);

/// <summary>A target as RegisterTargets / DeregisterTargets / DescribeTargetHealth name it.</summary>
public sealed record TargetRef(string Id, int? Port, string? AvailabilityZone);

/// <summary>A target's health as DescribeTargetHealth answers it.</summary>
public sealed record TargetHealthView(string Id, int Port, string? AvailabilityZone, string HealthCheckPort, string State, string? Reason, string? Description);

/// <summary>Target groups and their targets (see <see cref="LoadBalancers"/>).</summary>
public static class TargetGroups
{
    private static readonly HashSet<string> Protocols = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"];

    public static async Task<TargetGroupResource> CreateAsync(IStoreTransaction tx, Scope scope, TargetGroupSpec spec, DateTime now, CancellationToken ct = default)
    {
        var name = ElbNaming.CheckTargetGroupName(spec.Name);
        var targetType = spec.TargetType ?? "instance";
        if (targetType is not ("instance" or "ip" or "lambda" or "alb"))
        {
            throw ElbErrors.Validation($"Target type '{targetType}' is not valid");
        }
        if (targetType is "lambda" or "alb")
        {
            throw AwsErrors.NotImplemented($"CreateTargetGroup with target type {targetType}");
        }
        if (spec.Protocol is null)
        {
            throw ElbErrors.Validation("A protocol must be specified");
        }
        if (!Protocols.Contains(spec.Protocol))
        {
            throw ElbErrors.Validation($"Protocol '{spec.Protocol}' is not valid");
        }
        if (spec.Protocol == "GENEVE")
        {
            throw new AwsException("UnsupportedProtocol", "Protocol 'GENEVE' is not supported: gateway load balancers are not available");
        }
        if (spec.Port is null)
        {
            throw ElbErrors.Validation("A port must be specified");
        }
        if (spec.Port is < 1 or > 65535)
        {
            throw ElbErrors.Validation("Port must be between 1 and 65535");
        }
        if (spec.VpcId is null)
        {
            throw ElbErrors.Validation("A VPC ID must be specified");
        }
        if (await tx.GetAsync<VpcView>(scope, ResourceTypes.Vpc, spec.VpcId, ct).ConfigureAwait(false) is null)
        {
            throw ElbErrors.Validation($"The VPC ID '{spec.VpcId}' is not found");
        }
        if (spec.ProtocolVersion is { } version && (spec.Protocol is not ("HTTP" or "HTTPS") || version is not ("HTTP1" or "HTTP2" or "GRPC")))
        {
            throw ElbErrors.Validation($"Protocol version '{version}' is not valid with protocol '{spec.Protocol}'");
        }
        LoadBalancers.CheckTags(spec.Tags, 0);
        var http = spec.Protocol is "HTTP" or "HTTPS";
        var tg = new TargetGroupResource
        {
            Id = ElbNaming.NewId(),
            Arn = "",
            Name = name,
            TargetType = targetType,
            Protocol = spec.Protocol,
            ProtocolVersion = http ? spec.ProtocolVersion ?? "HTTP1" : null,
            Port = spec.Port,
            VpcId = spec.VpcId,
            IpAddressType = spec.IpAddressType ?? "ipv4",
            CreatedTime = now,
            // AWS's defaults: HTTP(S) groups check "/" every 30 s, 5 s timeout, 5 healthy / 2 unhealthy, code 200;
            // TCP-family groups check TCP every 30 s with a 10 s timeout.
            HealthCheckProtocol = spec.Protocol is "UDP" or "TCP_UDP" or "TLS" ? "TCP" : spec.Protocol,
            HealthCheckTimeoutSeconds = http ? 5 : 10,
            Attributes = ElbAttributes.TargetGroupDefaults(spec.Protocol, targetType),
            Tags = spec.Tags,
        };
        var withArn = Copy(tg, ElbNaming.TargetGroupArn(scope.Region, scope.AccountId, name, tg.Id));
        ApplyHealthCheck(withArn, spec.HealthCheck, creating: true);

        var existing = await tx.ListAsync<TargetGroupResource>(scope, LoadBalancers.TargetGroupType, ct).ConfigureAwait(false);
        if (existing.FirstOrDefault(t => t.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } same)
        {
            if (same.Protocol == withArn.Protocol && same.Port == withArn.Port && same.VpcId == withArn.VpcId && same.TargetType == withArn.TargetType
                && same.HealthCheckPath == withArn.HealthCheckPath && same.HealthCheckIntervalSeconds == withArn.HealthCheckIntervalSeconds
                && same.HealthyThresholdCount == withArn.HealthyThresholdCount && same.UnhealthyThresholdCount == withArn.UnhealthyThresholdCount
                && same.HealthCheckTimeoutSeconds == withArn.HealthCheckTimeoutSeconds && same.MatcherHttpCode == withArn.MatcherHttpCode)
            {
                return same;
            }
            throw new AwsException("DuplicateTargetGroupName", $"A target group with the same name '{name}' exists, but with different settings");
        }
        if (existing.Count >= LoadBalancers.MaxTargetGroups)
        {
            throw new AwsException("TooManyTargetGroups", "The maximum number of target groups has been reached");
        }
        await SaveAsync(tx, scope, withArn, now, ct).ConfigureAwait(false);
        return withArn;
    }

    private static TargetGroupResource Copy(TargetGroupResource tg, string arn) => new()
    {
        Id = tg.Id,
        Arn = arn,
        Name = tg.Name,
        TargetType = tg.TargetType,
        Protocol = tg.Protocol,
        ProtocolVersion = tg.ProtocolVersion,
        Port = tg.Port,
        VpcId = tg.VpcId,
        IpAddressType = tg.IpAddressType,
        CreatedTime = tg.CreatedTime,
        HealthCheckProtocol = tg.HealthCheckProtocol,
        HealthCheckTimeoutSeconds = tg.HealthCheckTimeoutSeconds,
        Attributes = tg.Attributes,
        Tags = tg.Tags,
    };

    /// <summary>Applies health check settings with AWS's ranges; on create, fills the protocol's defaults.</summary>
    public static void ApplyHealthCheck(TargetGroupResource tg, HealthCheckChange change, bool creating)
    {
        if (change.Protocol is { } protocol)
        {
            if (protocol is not ("HTTP" or "HTTPS" or "TCP"))
            {
                throw ElbErrors.Validation($"Health check protocol '{protocol}' is not valid");
            }
            if (tg.Protocol is "HTTP" or "HTTPS" && protocol == "TCP")
            {
                throw ElbErrors.InvalidConfiguration($"Health check protocol 'TCP' is not supported for target groups with protocol '{tg.Protocol}'");
            }
            tg.HealthCheckProtocol = protocol;
        }
        var httpCheck = tg.HealthCheckProtocol is "HTTP" or "HTTPS";
        if (change.Enabled is { } enabled)
        {
            tg.HealthCheckEnabled = enabled;
        }
        if (change.Port is { } port)
        {
            if (port != "traffic-port" && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535))
            {
                throw ElbErrors.Validation("Health check port must be 'traffic-port' or a port between 1 and 65535");
            }
            tg.HealthCheckPort = port;
        }
        if (change.Path is { } path)
        {
            if (!httpCheck)
            {
                throw ElbErrors.InvalidConfiguration("A health check path can only be specified with the HTTP or HTTPS health check protocol");
            }
            if (path.Length is 0 or > 1024 || path[0] != '/')
            {
                throw ElbErrors.Validation("Health check path must begin with a '/' character and can be at most 1024 characters");
            }
            tg.HealthCheckPath = path;
        }
        else if (httpCheck && tg.HealthCheckPath is null)
        {
            tg.HealthCheckPath = "/";
        }
        if (!httpCheck)
        {
            tg.HealthCheckPath = null;
        }
        if (change.IntervalSeconds is { } interval)
        {
            tg.HealthCheckIntervalSeconds = interval is >= 5 and <= 300 ? interval : throw ElbErrors.Validation("Health check interval must be between 5 and 300 seconds");
        }
        if (change.TimeoutSeconds is { } timeout)
        {
            tg.HealthCheckTimeoutSeconds = timeout is >= 2 and <= 120 ? timeout : throw ElbErrors.Validation("Health check timeout must be between 2 and 120 seconds");
        }
        if (change.HealthyThreshold is { } healthy)
        {
            tg.HealthyThresholdCount = healthy is >= 2 and <= 10 ? healthy : throw ElbErrors.Validation("Healthy threshold count must be between 2 and 10");
        }
        if (change.UnhealthyThreshold is { } unhealthy)
        {
            tg.UnhealthyThresholdCount = unhealthy is >= 2 and <= 10 ? unhealthy : throw ElbErrors.Validation("Unhealthy threshold count must be between 2 and 10");
        }
        if (tg.HealthCheckTimeoutSeconds >= tg.HealthCheckIntervalSeconds)
        {
            throw ElbErrors.InvalidConfiguration("Health check interval must be greater than the timeout.");
        }
        if (change.MatcherHttpCode is { } code)
        {
            if (!httpCheck)
            {
                throw ElbErrors.InvalidConfiguration("A health check matcher can only be specified with the HTTP or HTTPS health check protocol");
            }
            if (!HealthMatcher.TryParse(code, out _))
            {
                throw ElbErrors.Validation($"Health check matcher HTTP code '{code}' must be a code, a comma-separated list or a range of codes from 200 to 499");
            }
            tg.MatcherHttpCode = code;
        }
        else if (httpCheck && tg.MatcherHttpCode is null)
        {
            tg.MatcherHttpCode = tg.Protocol is "HTTP" or "HTTPS" ? "200" : "200-399";
        }
        if (!httpCheck)
        {
            tg.MatcherHttpCode = null;
        }
        if (change.MatcherGrpcCode is { } grpc)
        {
            tg.MatcherGrpcCode = grpc;
        }
        _ = creating;
    }

    public static Task SaveAsync(IStoreTransaction tx, Scope scope, TargetGroupResource tg, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, LoadBalancers.TargetGroupType, tg.Id, tg, now, ct);

    public static async Task<TargetGroupResource?> FindAsync(IStoreSession session, Scope scope, string? arn, CancellationToken ct = default)
    {
        var parsed = ElbNaming.Parse(arn, ElbNaming.TargetGroupKind);
        if (parsed is null || parsed.AccountId != scope.AccountId || parsed.Region != scope.Region)
        {
            return null;
        }
        var tg = await session.GetAsync<TargetGroupResource>(scope, LoadBalancers.TargetGroupType, parsed.Id, ct).ConfigureAwait(false);
        return tg?.Arn == arn ? tg : null;
    }

    public static async Task<TargetGroupResource> RequireAsync(IStoreSession session, Scope scope, string? arn, CancellationToken ct = default)
    {
        LoadBalancers.CheckArn(arn, ElbNaming.TargetGroupKind, "TargetGroupArn");
        return await FindAsync(session, scope, arn, ct).ConfigureAwait(false) ?? throw ElbErrors.TargetGroupNotFound(arn);
    }

    /// <summary>The load balancers whose listeners or rules forward to each target group.</summary>
    public static async Task<Dictionary<string, List<string>>> LoadBalancersByTargetGroupAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        var listeners = await session.ListAsync<ListenerResource>(scope, LoadBalancers.ListenerType, ct).ConfigureAwait(false);
        var rules = await session.ListAsync<RuleResource>(scope, LoadBalancers.RuleType, ct).ConfigureAwait(false);
        var lbOfListener = listeners.ToDictionary(l => l.Arn, l => l.LoadBalancerArn, StringComparer.Ordinal);
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string tg, string lb)
        {
            if (!result.TryGetValue(tg, out var list))
            {
                result[tg] = list = [];
            }
            if (!list.Contains(lb))
            {
                list.Add(lb);
            }
        }
        foreach (var listener in listeners)
        {
            foreach (var tg in listener.DefaultActions.SelectMany(a => a.TargetGroupArns()))
            {
                Add(tg, listener.LoadBalancerArn);
            }
        }
        foreach (var rule in rules)
        {
            if (lbOfListener.TryGetValue(rule.ListenerArn, out var lb))
            {
                foreach (var tg in rule.Actions.SelectMany(a => a.TargetGroupArns()))
                {
                    Add(tg, lb);
                }
            }
        }
        return result;
    }

    public static async Task<ElbPage<TargetGroupResource>> DescribeAsync(IStoreSession session, Scope scope, string? lbArn, IReadOnlyList<string>? arns, IReadOnlyList<string>? names,
        string? marker, int? pageSize, CancellationToken ct = default)
    {
        var all = (await session.ListAsync<TargetGroupResource>(scope, LoadBalancers.TargetGroupType, ct).ConfigureAwait(false))
            .OrderBy(t => t.CreatedTime).ThenBy(t => t.Id, StringComparer.Ordinal).ToList();
        IEnumerable<TargetGroupResource> selected = all;
        if (lbArn is not null)
        {
            await LoadBalancers.RequireAsync(session, scope, lbArn, ct).ConfigureAwait(false);
            var used = await LoadBalancersByTargetGroupAsync(session, scope, ct).ConfigureAwait(false);
            selected = selected.Where(t => used.TryGetValue(t.Arn, out var lbs) && lbs.Contains(lbArn));
        }
        if (arns is { Count: > 0 })
        {
            foreach (var arn in arns)
            {
                LoadBalancers.CheckArn(arn, ElbNaming.TargetGroupKind, "TargetGroupArn");
            }
            var missing = arns.Where(a => all.All(t => t.Arn != a)).ToList();
            if (missing.Count > 0)
            {
                throw ElbErrors.TargetGroupNotFound(string.Join(", ", missing));
            }
            selected = selected.Where(t => arns.Contains(t.Arn));
        }
        if (names is { Count: > 0 })
        {
            var missing = names.Where(n => all.All(t => !t.Name.Equals(n, StringComparison.OrdinalIgnoreCase))).ToList();
            if (missing.Count > 0)
            {
                throw ElbErrors.TargetGroupNotFound(string.Join(", ", missing));
            }
            selected = selected.Where(t => names.Contains(t.Name, StringComparer.OrdinalIgnoreCase));
        }
        return LoadBalancers.Page(selected.ToList(), t => t.Arn, marker, pageSize);
    }

    public static async Task<TargetGroupResource> ModifyAsync(IStoreTransaction tx, Scope scope, string? arn, HealthCheckChange change, DateTime now, CancellationToken ct = default)
    {
        var tg = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        ApplyHealthCheck(tg, change, creating: false);
        await SaveAsync(tx, scope, tg, now, ct).ConfigureAwait(false);
        return tg;
    }

    public static async Task<TargetGroupResource> ModifyAttributesAsync(IStoreTransaction tx, Scope scope, string? arn, IEnumerable<KeyValuePair<string, string>> changes, DateTime now, CancellationToken ct = default)
    {
        var tg = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        tg.Attributes = ElbAttributes.Apply(tg.Attributes, changes, ElbAttributes.ValidateValue);
        await SaveAsync(tx, scope, tg, now, ct).ConfigureAwait(false);
        return tg;
    }

    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? arn, CancellationToken ct = default)
    {
        var tg = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        var used = await LoadBalancersByTargetGroupAsync(tx, scope, ct).ConfigureAwait(false);
        if (used.ContainsKey(tg.Arn))
        {
            throw ElbErrors.ResourceInUse($"Target group '{tg.Arn}' is currently in use by a listener or a rule");
        }
        await tx.DeleteAsync(scope, LoadBalancers.TargetGroupType, tg.Id, ct).ConfigureAwait(false);
    }

    /// <summary>RegisterTargets: instances must be in the group's VPC and not stopped or terminated; IPs inside the VPC.</summary>
    public static async Task<TargetGroupResource> RegisterAsync(IStoreTransaction tx, Scope scope, string? arn, IReadOnlyList<TargetRef> targets, DateTime now, CancellationToken ct = default)
    {
        var tg = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        if (targets.Count == 0)
        {
            throw ElbErrors.Validation("At least one target must be specified");
        }
        var notRunning = new List<string>();
        foreach (var target in targets)
        {
            var port = target.Port ?? tg.Port ?? throw ElbErrors.Validation($"A port must be specified for target '{target.Id}'");
            if (port is < 1 or > 65535)
            {
                throw ElbErrors.Validation("Port must be between 1 and 65535");
            }
            if (tg.TargetType == "instance")
            {
                if (!ResourceIds.IsWellFormed("i", target.Id))
                {
                    throw ElbErrors.InvalidTarget($"The following targets are not valid instances: '{target.Id}'");
                }
                var instance = await tx.GetAsync<InstanceView>(scope, ResourceTypes.Instance, target.Id, ct).ConfigureAwait(false);
                if (instance is null)
                {
                    throw ElbErrors.InvalidTarget($"The following targets are not valid instances: '{target.Id}'");
                }
                if (instance.VpcId != tg.VpcId)
                {
                    throw ElbErrors.InvalidTarget($"The following targets are not in the target group VPC '{tg.VpcId}': '{target.Id}'");
                }
                if (instance.State is not ("running" or "pending"))
                {
                    notRunning.Add(target.Id);
                    continue;
                }
            }
            else
            {
                if (!Stratus.Domain.Vpc.Ipv4.TryParse(target.Id, out var ip))
                {
                    throw ElbErrors.Validation($"The IP address '{target.Id}' is not a valid IPv4 address");
                }
                var vpc = await tx.GetAsync<VpcView>(scope, ResourceTypes.Vpc, tg.VpcId!, ct).ConfigureAwait(false);
                if (target.AvailabilityZone != "all" && vpc is not null && !Stratus.Domain.Vpc.Ipv4Cidr.Parse(vpc.CidrBlock).Contains(ip))
                {
                    throw ElbErrors.InvalidTarget($"The IP address '{target.Id}' is not within the CIDR of the target group's VPC '{tg.VpcId}'");
                }
            }
            var existing = tg.Targets.FirstOrDefault(t => t.Id == target.Id && t.Port == port);
            if (existing is null)
            {
                if (tg.Targets.Count >= LoadBalancers.MaxTargetsPerGroup)
                {
                    throw new AwsException("TooManyTargets", "You've reached the limit on the number of targets per target group");
                }
                tg.Targets.Add(new RegisteredTarget { Id = target.Id, Port = port, AvailabilityZone = target.AvailabilityZone, RegisteredAt = now });
            }
            else if (existing.DrainingUntil is not null)
            {
                // Registering a draining target again brings it back.
                existing.DrainingUntil = null;
                existing.RegisteredAt = now;
            }
        }
        if (notRunning.Count > 0)
        {
            throw ElbErrors.InvalidTarget($"The following targets are not in a running state and cannot be registered: '{string.Join(", ", notRunning)}'");
        }
        await SaveAsync(tx, scope, tg, now, ct).ConfigureAwait(false);
        return tg;
    }

    /// <summary>DeregisterTargets: registered targets start draining for the group's deregistration delay (gone at once when unused).</summary>
    public static async Task<TargetGroupResource> DeregisterAsync(IStoreTransaction tx, Scope scope, string? arn, IReadOnlyList<TargetRef> targets, DateTime now, CancellationToken ct = default)
    {
        var tg = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        if (targets.Count == 0)
        {
            throw ElbErrors.Validation("At least one target must be specified");
        }
        var inUse = (await LoadBalancersByTargetGroupAsync(tx, scope, ct).ConfigureAwait(false)).ContainsKey(tg.Arn);
        var delay = ElbAttributes.Int(tg.Attributes, "deregistration_delay.timeout_seconds", 300);
        var missing = new List<string>();
        foreach (var target in targets)
        {
            var matches = tg.Targets.Where(t => t.Id == target.Id && (target.Port is null || t.Port == target.Port)).ToList();
            if (matches.Count == 0)
            {
                missing.Add(target.Id);
                continue;
            }
            foreach (var match in matches)
            {
                if (!inUse || delay == 0)
                {
                    tg.Targets.Remove(match);
                }
                else
                {
                    match.DrainingUntil ??= now.AddSeconds(delay);
                }
            }
        }
        if (missing.Count > 0)
        {
            throw ElbErrors.InvalidTarget($"The following targets are not registered in target group '{tg.Arn}': '{string.Join(", ", missing)}'");
        }
        await SaveAsync(tx, scope, tg, now, ct).ConfigureAwait(false);
        return tg;
    }

    /// <summary>Removes targets whose draining is over; true when something changed.</summary>
    public static bool ExpireDraining(TargetGroupResource tg, DateTime now) => tg.Targets.RemoveAll(t => t.DrainingUntil is { } until && until <= now) > 0;

    /// <summary>DescribeTargetHealth: every registered target (or the ones asked for) with its state and AWS's reason code.</summary>
    public static async Task<List<TargetHealthView>> DescribeHealthAsync(IStoreSession session, Scope scope, string? arn, IReadOnlyList<TargetRef>? targets,
        TargetHealthTracker tracker, CancellationToken ct = default)
    {
        var tg = await RequireAsync(session, scope, arn, ct).ConfigureAwait(false);
        var inUse = (await LoadBalancersByTargetGroupAsync(session, scope, ct).ConfigureAwait(false)).ContainsKey(tg.Arn);
        var result = new List<TargetHealthView>();
        IEnumerable<(RegisteredTarget? Registered, TargetRef Ref)> wanted = targets is { Count: > 0 }
            ? targets.SelectMany(t =>
            {
                var matches = tg.Targets.Where(r => r.Id == t.Id && (t.Port is null || r.Port == t.Port)).ToList();
                return matches.Count > 0 ? matches.Select(m => ((RegisteredTarget?)m, t)) : [((RegisteredTarget?)null, t)];
            })
            : tg.Targets.Select(r => ((RegisteredTarget?)r, new TargetRef(r.Id, r.Port, r.AvailabilityZone)));
        foreach (var (registered, reference) in wanted)
        {
            var port = registered?.Port ?? reference.Port ?? tg.Port ?? 0;
            var checkPort = tg.HealthCheckPort == "traffic-port" ? LoadBalancers.Text(port) : tg.HealthCheckPort;
            if (registered is null)
            {
                result.Add(new TargetHealthView(reference.Id, port, reference.AvailabilityZone, checkPort, TargetStates.Unused, "Target.NotRegistered", "Target is not registered to the target group"));
                continue;
            }
            var (state, reason, description) = await StateOfAsync(session, scope, tg, registered, inUse, tracker, ct).ConfigureAwait(false);
            result.Add(new TargetHealthView(registered.Id, registered.Port, registered.AvailabilityZone, checkPort, state, reason, description));
        }
        return result;
    }

    internal static async Task<(string State, string? Reason, string? Description)> StateOfAsync(IStoreSession session, Scope scope, TargetGroupResource tg, RegisteredTarget target,
        bool inUse, TargetHealthTracker tracker, CancellationToken ct)
    {
        if (target.DrainingUntil is not null)
        {
            return (TargetStates.Draining, "Target.DeregistrationInProgress", "Target deregistration is in progress");
        }
        if (tg.TargetType == "instance")
        {
            var instance = await session.GetAsync<InstanceView>(scope, ResourceTypes.Instance, target.Id, ct).ConfigureAwait(false);
            if (instance is null || instance.State is not ("running" or "pending"))
            {
                return (TargetStates.Unused, "Target.InvalidState", $"Target is in the {instance?.State ?? "terminated"} state");
            }
        }
        if (!inUse)
        {
            return (TargetStates.Unused, "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer");
        }
        if (!tg.HealthCheckEnabled)
        {
            return (TargetStates.Unavailable, "Target.HealthCheckDisabled", "Health checks are disabled");
        }
        var health = tracker.Get(tg.Arn, target.Id, target.Port);
        return (health.State, health.Reason, health.Description);
    }
}
