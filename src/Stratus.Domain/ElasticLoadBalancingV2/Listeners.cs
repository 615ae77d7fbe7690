using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>What CreateListener / ModifyListener ask for (null: keep).</summary>
public sealed record ListenerSpec(int? Port, string? Protocol, string? SslPolicy, List<ListenerCertificate>? Certificates, List<string>? AlpnPolicy, List<RuleAction>? DefaultActions, List<Tag> Tags);

/// <summary>A rule as DescribeRules answers it: the default rule carries the listener's default actions.</summary>
public sealed record RuleView(string Arn, string Priority, bool IsDefault, IReadOnlyList<RuleConditionSpec> Conditions, IReadOnlyList<RuleAction> Actions);

/// <summary>Listeners and their rules (see <see cref="LoadBalancers"/>).</summary>
public static class Listeners
{
    public const string DefaultSslPolicy = "ELBSecurityPolicy-2016-08";
    public const int MinPriority = 1, MaxPriority = 50000;

    private static readonly HashSet<string> ConditionFields = ["host-header", "path-pattern", "http-header", "query-string", "http-request-method", "source-ip"];

    public static async Task<ListenerResource> CreateAsync(IStoreTransaction tx, Scope scope, string? lbArn, ListenerSpec spec, DateTime now, CancellationToken ct = default)
    {
        var lb = await LoadBalancers.RequireAsync(tx, scope, lbArn, ct).ConfigureAwait(false);
        var protocol = spec.Protocol ?? (lb.IsApplication ? "HTTP" : "TCP");
        var port = spec.Port ?? throw ElbErrors.Validation("A listener port must be specified");
        CheckProtocolAndPort(lb, protocol, port);
        var certificates = CheckCertificates(protocol, spec.Certificates);
        var sslPolicy = protocol is "HTTPS" or "TLS" ? CheckSslPolicy(spec.SslPolicy ?? DefaultSslPolicy) : null;
        LoadBalancers.CheckTags(spec.Tags, 0);
        var listeners = await LoadBalancers.ListenersOfAsync(tx, scope, lb.Arn, ct).ConfigureAwait(false);
        if (listeners.Any(l => l.Port == port))
        {
            throw new AwsException("DuplicateListener", $"A listener already exists on this port for this load balancer '{lb.Arn}'");
        }
        if (listeners.Count >= LoadBalancers.MaxListenersPerLoadBalancer)
        {
            throw new AwsException("TooManyListeners", $"You've reached the limit on the number of listeners per load balancer ({LoadBalancers.MaxListenersPerLoadBalancer})");
        }
        var actions = await CheckActionsAsync(tx, scope, lb, protocol, spec.DefaultActions, ct).ConfigureAwait(false);
        var id = ElbNaming.NewId();
        var listener = new ListenerResource
        {
            Id = id,
            Arn = ElbNaming.ListenerArn(lb, id),
            LoadBalancerArn = lb.Arn,
            DefaultRuleId = ElbNaming.NewId(),
            Port = port,
            Protocol = protocol,
            SslPolicy = sslPolicy,
            Certificates = certificates,
            AlpnPolicy = spec.AlpnPolicy ?? [],
            DefaultActions = actions,
            Attributes = ElbAttributes.ListenerDefaults(protocol),
            Tags = spec.Tags,
        };
        await SaveAsync(tx, scope, listener, now, ct).ConfigureAwait(false);
        return listener;
    }

    private static void CheckProtocolAndPort(LoadBalancerResource lb, string protocol, int port)
    {
        var allowed = lb.IsApplication ? ElbTypes.AlbProtocols : ElbTypes.NlbProtocols;
        if (!allowed.Contains(protocol))
        {
            throw ElbErrors.Validation($"Listener protocol '{protocol}' must be one of '{string.Join(", ", allowed.Order())}'");
        }
        if (port is < 1 or > 65535)
        {
            throw ElbErrors.Validation("Listener port must be between 1 and 65535");
        }
    }

    private static List<ListenerCertificate> CheckCertificates(string protocol, List<ListenerCertificate>? certificates)
    {
        var list = certificates ?? [];
        if (protocol is "HTTPS" or "TLS" && list.Count == 0)
        {
            throw ElbErrors.Validation($"A certificate must be specified for {protocol} listeners");
        }
        foreach (var certificate in list)
        {
            if (!certificate.CertificateArn.StartsWith("arn:aws:acm:", StringComparison.Ordinal) && !certificate.CertificateArn.StartsWith("arn:aws:iam::", StringComparison.Ordinal))
            {
                throw new AwsException("CertificateNotFound", $"Certificate '{certificate.CertificateArn}' not found");
            }
        }
        return list.Count > 0 ? [list[0] with { IsDefault = true }] : [];
    }

    private static string CheckSslPolicy(string policy) =>
        SslPolicies.All.Any(p => p.Name == policy) ? policy : throw new AwsException("SSLPolicyNotFound", $"SSL policy '{policy}' not found");

    /// <summary>Validates actions: exactly one terminal action last in order; forward groups that exist, match the listener and belong to no other load balancer.</summary>
    internal static async Task<List<RuleAction>> CheckActionsAsync(IStoreSession session, Scope scope, LoadBalancerResource lb, string protocol, List<RuleAction>? actions, CancellationToken ct)
    {
        if (actions is null || actions.Count == 0)
        {
            throw ElbErrors.Validation("At least one action must be specified");
        }
        if (actions.Count > 5)
        {
            throw new AwsException("TooManyActions", "A rule can have at most 5 actions");
        }
        var used = await TargetGroups.LoadBalancersByTargetGroupAsync(session, scope, ct).ConfigureAwait(false);
        var result = new List<RuleAction>();
        foreach (var action in actions)
        {
            switch (action.Type)
            {
                case "forward":
                    var groups = action.ForwardTargetGroups is { Count: > 0 } g ? g : action.TargetGroupArn is { } arn ? [new WeightedTargetGroup(arn, null)] : [];
                    if (groups.Count == 0)
                    {
                        throw ElbErrors.Validation("A target group ARN must be specified for a forward action");
                    }
                    if (action.TargetGroupArn is { } single && action.ForwardTargetGroups is { Count: > 0 } && (action.ForwardTargetGroups.Count != 1 || action.ForwardTargetGroups[0].TargetGroupArn != single))
                    {
                        throw ElbErrors.Validation("You cannot specify both a target group ARN and a forward config with different target groups");
                    }
                    if (groups.Count > 5)
                    {
                        throw ElbErrors.Validation("A forward action can have at most 5 target groups");
                    }
                    if (!lb.IsApplication && groups.Count > 1)
                    {
                        throw ElbErrors.InvalidConfiguration("Network Load Balancer listeners can forward to one target group only");
                    }
                    foreach (var group in groups)
                    {
                        var tg = await TargetGroups.RequireAsync(session, scope, group.TargetGroupArn, ct).ConfigureAwait(false);
                        if (group.Weight is < 0 or > 999)
                        {
                            throw ElbErrors.Validation("Target group weight must be between 0 and 999");
                        }
                        var httpListener = protocol is "HTTP" or "HTTPS";
                        var httpGroup = tg.Protocol is "HTTP" or "HTTPS";
                        if (httpListener != httpGroup || (!httpListener && !Compatible(protocol, tg.Protocol!)))
                        {
                            throw new AwsException("IncompatibleProtocols", $"The target group '{tg.Arn}' has protocol '{tg.Protocol}' which is incompatible with listener protocol '{protocol}'");
                        }
                        if (tg.VpcId != lb.VpcId)
                        {
                            throw ElbErrors.InvalidConfiguration($"The target group '{tg.Arn}' is in a different VPC than load balancer '{lb.Arn}'");
                        }
                        if (used.TryGetValue(tg.Arn, out var lbs) && lbs.Any(other => other != lb.Arn))
                        {
                            throw new AwsException("TargetGroupAssociationLimit", $"The following target groups cannot be associated with more than one load balancer: {tg.Arn}");
                        }
                    }
                    var duration = action.StickinessDurationSeconds;
                    if (action.StickinessEnabled == true && duration is not (>= 1 and <= 604800))
                    {
                        throw ElbErrors.Validation("Target group stickiness duration must be between 1 and 604800 seconds");
                    }
                    result.Add(new RuleAction
                    {
                        Type = "forward",
                        Order = action.Order,
                        TargetGroupArn = groups.Count == 1 ? groups[0].TargetGroupArn : null,
                        ForwardTargetGroups = groups.Select(x => x with { Weight = x.Weight ?? 1 }).ToList(),
                        StickinessEnabled = action.StickinessEnabled ?? false,
                        StickinessDurationSeconds = action.StickinessEnabled == true ? duration : null,
                    });
                    break;
                case "redirect":
                    if (!lb.IsApplication)
                    {
                        throw new AwsException("InvalidLoadBalancerAction", "Redirect actions are supported by Application Load Balancers only");
                    }
                    if (action.RedirectStatusCode is not ("HTTP_301" or "HTTP_302"))
                    {
                        throw ElbErrors.Validation("A redirect status code of 'HTTP_301' or 'HTTP_302' must be specified");
                    }
                    if (action.RedirectProtocol is { } rp && rp is not ("HTTP" or "HTTPS" or "#{protocol}"))
                    {
                        throw ElbErrors.Validation("Redirect protocol must be 'HTTP', 'HTTPS' or '#{protocol}'");
                    }
                    result.Add(new RuleAction
                    {
                        Type = "redirect",
                        Order = action.Order,
                        RedirectProtocol = action.RedirectProtocol ?? "#{protocol}",
                        RedirectPort = action.RedirectPort ?? "#{port}",
                        RedirectHost = action.RedirectHost ?? "#{host}",
                        RedirectPath = action.RedirectPath ?? "/#{path}",
                        RedirectQuery = action.RedirectQuery ?? "#{query}",
                        RedirectStatusCode = action.RedirectStatusCode,
                    });
                    break;
                case "fixed-response":
                    if (!lb.IsApplication)
                    {
                        throw new AwsException("InvalidLoadBalancerAction", "Fixed-response actions are supported by Application Load Balancers only");
                    }
                    if (action.FixedStatusCode is null || action.FixedStatusCode.Length != 3 || action.FixedStatusCode[0] is not ('2' or '4' or '5') || !action.FixedStatusCode.All(char.IsAsciiDigit))
                    {
                        throw ElbErrors.Validation("A fixed-response status code must be a 2XX, 4XX or 5XX code");
                    }
                    if (action.FixedContentType is { } type && type is not ("text/plain" or "text/css" or "text/html" or "application/javascript" or "application/json"))
                    {
                        throw ElbErrors.Validation($"Content type '{type}' is not valid");
                    }
                    if (action.FixedMessageBody is { Length: > 1024 })
                    {
                        throw ElbErrors.Validation("A fixed-response message body can be at most 1024 characters");
                    }
                    result.Add(new RuleAction
                    {
                        Type = "fixed-response",
                        Order = action.Order,
                        FixedStatusCode = action.FixedStatusCode,
                        FixedContentType = action.FixedContentType,
                        FixedMessageBody = action.FixedMessageBody,
                    });
                    break;
                case "authenticate-oidc" or "authenticate-cognito" or "jwt-validation":
                    throw AwsErrors.NotImplemented($"{action.Type} actions");
                default:
                    throw ElbErrors.Validation($"Action type '{action.Type}' is not valid");
            }
        }
        var terminal = result.Count(a => a.Type is "forward" or "redirect" or "fixed-response");
        if (terminal != 1)
        {
            throw new AwsException("InvalidLoadBalancerAction", "A rule must have exactly one forward, redirect or fixed-response action");
        }
        return result;
    }

    private static bool Compatible(string listener, string group) => (listener, group) switch
    {
        ("TCP", "TCP" or "TCP_UDP") => true,
        ("UDP", "UDP" or "TCP_UDP") => true,
        ("TCP_UDP", "TCP_UDP") => true,
        ("TLS", "TLS" or "TCP") => true,
        _ => false,
    };

    public static Task SaveAsync(IStoreTransaction tx, Scope scope, ListenerResource listener, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, LoadBalancers.ListenerType, listener.Id, listener, now, ct);

    public static Task SaveRuleAsync(IStoreTransaction tx, Scope scope, RuleResource rule, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, LoadBalancers.RuleType, rule.Id, rule, now, ct);

    public static async Task<ListenerResource> RequireAsync(IStoreSession session, Scope scope, string? arn, CancellationToken ct = default)
    {
        LoadBalancers.CheckArn(arn, ElbNaming.ListenerKind, "ListenerArn");
        var parsed = ElbNaming.Parse(arn, ElbNaming.ListenerKind)!;
        var listener = parsed.AccountId == scope.AccountId && parsed.Region == scope.Region
            ? await session.GetAsync<ListenerResource>(scope, LoadBalancers.ListenerType, parsed.Id, ct).ConfigureAwait(false)
            : null;
        return listener is not null && listener.Arn == arn ? listener : throw ElbErrors.ListenerNotFound(arn);
    }

    public static async Task<ElbPage<ListenerResource>> DescribeAsync(IStoreSession session, Scope scope, string? lbArn, IReadOnlyList<string>? arns, string? marker, int? pageSize, CancellationToken ct = default)
    {
        List<ListenerResource> selected;
        if (arns is { Count: > 0 })
        {
            if (lbArn is not null)
            {
                throw ElbErrors.Validation("Listener ARNs and a load balancer ARN cannot be specified at the same time");
            }
            selected = [];
            foreach (var arn in arns)
            {
                selected.Add(await RequireAsync(session, scope, arn, ct).ConfigureAwait(false));
            }
        }
        else if (lbArn is not null)
        {
            var lb = await LoadBalancers.RequireAsync(session, scope, lbArn, ct).ConfigureAwait(false);
            selected = await LoadBalancers.ListenersOfAsync(session, scope, lb.Arn, ct).ConfigureAwait(false);
        }
        else
        {
            throw ElbErrors.Validation("You must specify either listener ARNs or a load balancer ARN");
        }
        return LoadBalancers.Page(selected, l => l.Arn, marker, pageSize);
    }

    public static async Task<ListenerResource> ModifyAsync(IStoreTransaction tx, Scope scope, string? arn, ListenerSpec spec, DateTime now, CancellationToken ct = default)
    {
        var listener = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        var lb = await LoadBalancers.RequireAsync(tx, scope, listener.LoadBalancerArn, ct).ConfigureAwait(false);
        var protocol = spec.Protocol ?? listener.Protocol;
        var port = spec.Port ?? listener.Port;
        CheckProtocolAndPort(lb, protocol, port);
        if (port != listener.Port && (await LoadBalancers.ListenersOfAsync(tx, scope, lb.Arn, ct).ConfigureAwait(false)).Any(l => l.Port == port))
        {
            throw new AwsException("DuplicateListener", $"A listener already exists on this port for this load balancer '{lb.Arn}'");
        }
        var certificates = spec.Certificates ?? (protocol is "HTTPS" or "TLS" ? listener.Certificates : []);
        listener.Certificates = CheckCertificates(protocol, certificates);
        listener.SslPolicy = protocol is "HTTPS" or "TLS" ? CheckSslPolicy(spec.SslPolicy ?? listener.SslPolicy ?? DefaultSslPolicy) : null;
        if (spec.DefaultActions is not null || protocol != listener.Protocol)
        {
            listener.DefaultActions = await CheckActionsAsync(tx, scope, lb, protocol, spec.DefaultActions ?? listener.DefaultActions.ToList(), ct).ConfigureAwait(false);
        }
        listener.Protocol = protocol;
        listener.Port = port;
        if (spec.AlpnPolicy is not null)
        {
            listener.AlpnPolicy = spec.AlpnPolicy;
        }
        await SaveAsync(tx, scope, listener, now, ct).ConfigureAwait(false);
        return listener;
    }

    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? arn, CancellationToken ct = default)
    {
        var listener = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        await LoadBalancers.DeleteListenerDocsAsync(tx, scope, listener, ct).ConfigureAwait(false);
    }

    public static async Task<ListenerResource> ModifyAttributesAsync(IStoreTransaction tx, Scope scope, string? arn, IEnumerable<KeyValuePair<string, string>> changes, DateTime now, CancellationToken ct = default)
    {
        var listener = await RequireAsync(tx, scope, arn, ct).ConfigureAwait(false);
        listener.Attributes = ElbAttributes.Apply(listener.Attributes, changes, ElbAttributes.ValidateValue);
        await SaveAsync(tx, scope, listener, now, ct).ConfigureAwait(false);
        return listener;
    }

    // ---------------------------------------------------------------- rules

    public static async Task<RuleResource> RequireRuleAsync(IStoreSession session, Scope scope, string? arn, CancellationToken ct = default)
    {
        LoadBalancers.CheckArn(arn, ElbNaming.RuleKind, "RuleArn");
        var parsed = ElbNaming.Parse(arn, ElbNaming.RuleKind)!;
        var rule = parsed.AccountId == scope.AccountId && parsed.Region == scope.Region
            ? await session.GetAsync<RuleResource>(scope, LoadBalancers.RuleType, parsed.Id, ct).ConfigureAwait(false)
            : null;
        if (rule is not null && rule.Arn == arn)
        {
            return rule;
        }
        // The default rule is the listener's: it is not stored on its own.
        var listenerArn = arn!.Replace(":listener-rule/", ":listener/", StringComparison.Ordinal);
        listenerArn = listenerArn[..listenerArn.LastIndexOf('/')];
        if (ElbNaming.Parse(listenerArn, ElbNaming.ListenerKind) is { } listenerId && listenerId.AccountId == scope.AccountId && listenerId.Region == scope.Region
            && await session.GetAsync<ListenerResource>(scope, LoadBalancers.ListenerType, listenerId.Id, ct).ConfigureAwait(false) is { } listener
            && ElbNaming.RuleArn(listener.Arn, listener.DefaultRuleId) == arn)
        {
            return DefaultRule(listener);
        }
        throw ElbErrors.RuleNotFound(arn);
    }

    private static RuleResource DefaultRule(ListenerResource listener) => new()
    {
        Id = listener.DefaultRuleId,
        Arn = ElbNaming.RuleArn(listener.Arn, listener.DefaultRuleId),
        ListenerArn = listener.Arn,
        Priority = int.MaxValue,
        Actions = listener.DefaultActions,
    };

    public static bool IsDefault(RuleResource rule) => rule.Priority == int.MaxValue;

    public static async Task<RuleResource> CreateRuleAsync(IStoreTransaction tx, Scope scope, string? listenerArn, int? priority, List<RuleConditionSpec>? conditions, List<RuleAction>? actions,
        List<Tag> tags, DateTime now, CancellationToken ct = default)
    {
        var listener = await RequireAsync(tx, scope, listenerArn, ct).ConfigureAwait(false);
        var lb = await LoadBalancers.RequireAsync(tx, scope, listener.LoadBalancerArn, ct).ConfigureAwait(false);
        if (!lb.IsApplication)
        {
            throw ElbErrors.InvalidConfiguration("Rules can only be added to listeners of Application Load Balancers");
        }
        var p = CheckPriority(priority);
        var rules = await RulesOfAsync(tx, scope, listener.Arn, ct).ConfigureAwait(false);
        if (rules.Any(r => r.Priority == p))
        {
            throw new AwsException("PriorityInUse", $"Priority '{p}' is currently in use");
        }
        if (rules.Count >= LoadBalancers.MaxRulesPerListener)
        {
            throw new AwsException("TooManyRules", $"You've reached the limit on the number of rules per listener ({LoadBalancers.MaxRulesPerListener})");
        }
        LoadBalancers.CheckTags(tags, 0);
        var checkedConditions = CheckConditions(conditions);
        var checkedActions = await CheckActionsAsync(tx, scope, lb, listener.Protocol, actions, ct).ConfigureAwait(false);
        var id = ElbNaming.NewId();
        var rule = new RuleResource
        {
            Id = id,
            Arn = ElbNaming.RuleArn(listener.Arn, id),
            ListenerArn = listener.Arn,
            Priority = p,
            Conditions = checkedConditions,
            Actions = checkedActions,
            Tags = tags,
        };
        await SaveRuleAsync(tx, scope, rule, now, ct).ConfigureAwait(false);
        return rule;
    }

    private static int CheckPriority(int? priority) => priority switch
    {
        null => throw ElbErrors.Validation("A rule priority must be specified"),
        < MinPriority or > MaxPriority => throw ElbErrors.Validation($"Priority must be between {MinPriority} and {MaxPriority}"),
        { } p => p,
    };

    /// <summary>Validates conditions: known fields, at least one, values present, source-ip values CIDRs.</summary>
    public static List<RuleConditionSpec> CheckConditions(List<RuleConditionSpec>? conditions)
    {
        if (conditions is null || conditions.Count == 0)
        {
            throw ElbErrors.Validation("At least one condition must be specified");
        }
        var valueCount = 0;
        foreach (var condition in conditions)
        {
            if (!ConditionFields.Contains(condition.Field))
            {
                throw ElbErrors.Validation($"Condition field '{condition.Field}' must be one of '[http-header, http-request-method, host-header, path-pattern, query-string, source-ip]'");
            }
            var count = condition.Field == "query-string" ? condition.QueryPairs.Count : condition.Values.Count;
            if (count == 0)
            {
                throw ElbErrors.Validation($"A '{condition.Field}' condition must have at least one value");
            }
            valueCount += count;
            if (condition.Field == "http-header" && string.IsNullOrEmpty(condition.HttpHeaderName))
            {
                throw ElbErrors.Validation("An HTTP header name must be specified for an 'http-header' condition");
            }
            if (condition.Field == "source-ip" && condition.Values.Any(v => !Stratus.Domain.Vpc.Ipv4Cidr.TryParse(v, out _)))
            {
                throw ElbErrors.Validation("Source IP condition values must be CIDR blocks");
            }
            if (condition.Field == "http-request-method" && condition.Values.Any(v => v.Length == 0 || !v.All(c => char.IsAsciiLetterUpper(c) || c is '-' or '_')))
            {
                throw ElbErrors.Validation("HTTP request method values must be uppercase letters, '-' or '_'");
            }
            if (condition.Values.Any(v => v.Length > 128))
            {
                throw ElbErrors.Validation("Condition values can be at most 128 characters");
            }
        }
        if (conditions.Count(c => c.Field is "host-header" or "path-pattern" or "http-request-method" or "source-ip") > conditions.Select(c => c.Field).Where(f => f is "host-header" or "path-pattern" or "http-request-method" or "source-ip").Distinct().Count())
        {
            throw ElbErrors.Validation("A rule can have at most one condition of each of host-header, path-pattern, http-request-method and source-ip");
        }
        if (valueCount > 5)
        {
            throw ElbErrors.Validation("A rule can have at most '5' condition values");
        }
        return conditions;
    }

    public static async Task<List<RuleResource>> RulesOfAsync(IStoreSession session, Scope scope, string listenerArn, CancellationToken ct) =>
        (await session.ListAsync<RuleResource>(scope, LoadBalancers.RuleType, ct).ConfigureAwait(false)).Where(r => r.ListenerArn == listenerArn).OrderBy(r => r.Priority).ToList();

    public static async Task<ElbPage<RuleResource>> DescribeRulesAsync(IStoreSession session, Scope scope, string? listenerArn, IReadOnlyList<string>? ruleArns, string? marker, int? pageSize, CancellationToken ct = default)
    {
        List<RuleResource> selected;
        if (ruleArns is { Count: > 0 })
        {
            if (listenerArn is not null)
            {
                throw ElbErrors.Validation("Rule ARNs and a listener ARN cannot be specified at the same time");
            }
            selected = [];
            foreach (var arn in ruleArns)
            {
                selected.Add(await RequireRuleAsync(session, scope, arn, ct).ConfigureAwait(false));
            }
        }
        else if (listenerArn is not null)
        {
            var listener = await RequireAsync(session, scope, listenerArn, ct).ConfigureAwait(false);
            selected = [.. await RulesOfAsync(session, scope, listener.Arn, ct).ConfigureAwait(false), DefaultRule(listener)];
        }
        else
        {
            throw ElbErrors.Validation("You must specify either listener ARN or rule ARNs");
        }
        return LoadBalancers.Page(selected, r => r.Arn, marker, pageSize);
    }

    public static async Task<RuleResource> ModifyRuleAsync(IStoreTransaction tx, Scope scope, string? ruleArn, List<RuleConditionSpec>? conditions, List<RuleAction>? actions, DateTime now, CancellationToken ct = default)
    {
        var rule = await RequireRuleAsync(tx, scope, ruleArn, ct).ConfigureAwait(false);
        var listener = await RequireAsync(tx, scope, rule.ListenerArn, ct).ConfigureAwait(false);
        var lb = await LoadBalancers.RequireAsync(tx, scope, listener.LoadBalancerArn, ct).ConfigureAwait(false);
        if (IsDefault(rule))
        {
            if (conditions is { Count: > 0 })
            {
                throw new AwsException("OperationNotPermitted", "Conditions cannot be added to the default rule");
            }
            if (actions is not null)
            {
                listener.DefaultActions = await CheckActionsAsync(tx, scope, lb, listener.Protocol, actions, ct).ConfigureAwait(false);
                await SaveAsync(tx, scope, listener, now, ct).ConfigureAwait(false);
            }
            return DefaultRule(listener);
        }
        if (conditions is not null)
        {
            rule.Conditions = CheckConditions(conditions);
        }
        if (actions is not null)
        {
            rule.Actions = await CheckActionsAsync(tx, scope, lb, listener.Protocol, actions, ct).ConfigureAwait(false);
        }
        await SaveRuleAsync(tx, scope, rule, now, ct).ConfigureAwait(false);
        return rule;
    }

    public static async Task DeleteRuleAsync(IStoreTransaction tx, Scope scope, string? ruleArn, CancellationToken ct = default)
    {
        var rule = await RequireRuleAsync(tx, scope, ruleArn, ct).ConfigureAwait(false);
        if (IsDefault(rule))
        {
            throw new AwsException("OperationNotPermitted", $"Default rule '{rule.Arn}' cannot be deleted");
        }
        await tx.DeleteAsync(scope, LoadBalancers.RuleType, rule.Id, ct).ConfigureAwait(false);
    }

    /// <summary>SetRulePriorities: all pairs applied together; the result may not repeat a priority within a listener.</summary>
    public static async Task<List<RuleResource>> SetPrioritiesAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<(string? RuleArn, int? Priority)> pairs, DateTime now, CancellationToken ct = default)
    {
        if (pairs.Count == 0)
        {
            throw ElbErrors.Validation("At least one rule priority must be specified");
        }
        var changed = new List<RuleResource>();
        foreach (var (arn, priority) in pairs)
        {
            var rule = await RequireRuleAsync(tx, scope, arn, ct).ConfigureAwait(false);
            if (IsDefault(rule))
            {
                throw new AwsException("OperationNotPermitted", $"The priority of default rule '{rule.Arn}' cannot be changed");
            }
            rule.Priority = CheckPriority(priority);
            changed.Add(rule);
        }
        foreach (var listenerArn in changed.Select(r => r.ListenerArn).Distinct())
        {
            var final = (await RulesOfAsync(tx, scope, listenerArn, ct).ConfigureAwait(false)).Select(r => changed.FirstOrDefault(c => c.Id == r.Id) ?? r).ToList();
            if (final.GroupBy(r => r.Priority).FirstOrDefault(g => g.Count() > 1) is { } clash)
            {
                throw new AwsException("PriorityInUse", $"Priority '{clash.Key}' is currently in use");
            }
        }
        foreach (var rule in changed)
        {
            await SaveRuleAsync(tx, scope, rule, now, ct).ConfigureAwait(false);
        }
        return changed;
    }
}
