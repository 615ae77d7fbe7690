using Stratus.Core;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.ElasticLoadBalancingV2;
using DomainTag = Stratus.Domain.Resources.Tag;
using ElbAction = Stratus.Services.Model.ElasticLoadBalancingV2.Action;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// Elastic Load Balancing v2 (query protocol): Application and Network Load Balancers, target
/// groups, listeners, rules, targets, attributes and tags over the domain in
/// src/Stratus.Domain/ElasticLoadBalancingV2; every committed change wakes the data plane
/// (<see cref="LoadBalancerDataPlane"/>), which serves the listeners and runs the health checks.
/// </summary>
internal sealed class ElbV2Service(TargetHealthTracker health, LoadBalancerDataPlane dataPlane) : ElasticLoadBalancingV2ServiceBase<RequestContext>, IAwsService
{
    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(ElbV2Service));

    ServiceInfo IAwsService.Model => ElasticLoadBalancingV2Shapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    private void Changed(RequestContext context) => context.AfterCommit(() => { dataPlane.Wake(); return Task.CompletedTask; });

    // ---------------------------------------------------------------- load balancers

    public override async Task<CreateLoadBalancerOutput> CreateLoadBalancerAsync(RequestContext context, CreateLoadBalancerInput request)
    {
        var spec = new LoadBalancerSpec(request.Name, request.Type, request.Scheme, request.IpAddressType, request.Subnets ?? [],
            (request.SubnetMappings ?? []).Select(m => (m.SubnetId ?? throw ElbErrors.Validation("A subnet ID must be specified"), m.AllocationId, m.PrivateIPv4Address)).ToList(),
            request.SecurityGroups, Tags(request.Tags));
        if (request.CustomerOwnedIpv4Pool is not null || request.IpamPools is not null)
        {
            throw AwsErrors.NotImplemented("CreateLoadBalancer with customer-owned or IPAM pools");
        }
        var lb = await LoadBalancers.CreateAsync(context.Transaction, context.Scope, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        // The account's AWSServiceRoleForElasticLoadBalancing appears with its first load balancer, as in AWS.
        await Domain.Iam.ServiceLinkedRoles.EnsureAsync(context.Transaction, context.AccountId, "elasticloadbalancing.amazonaws.com", context.Now, context.Cancellation)
            .ConfigureAwait(false);
        Changed(context);
        return new CreateLoadBalancerOutput { LoadBalancers = [ToShape(lb, context.Region)] };
    }

    public override async Task<DescribeLoadBalancersOutput> DescribeLoadBalancersAsync(RequestContext context, DescribeLoadBalancersInput request)
    {
        var page = await LoadBalancers.DescribeAsync(context.Store, context.Scope, request.LoadBalancerArns, request.Names, request.Marker, request.PageSize, context.Cancellation).ConfigureAwait(false);
        return new DescribeLoadBalancersOutput { LoadBalancers = page.Items.Select(l => ToShape(l, context.Region)).ToList(), NextMarker = page.NextMarker };
    }

    public override async Task<DeleteLoadBalancerOutput> DeleteLoadBalancerAsync(RequestContext context, DeleteLoadBalancerInput request)
    {
        await LoadBalancers.DeleteAsync(context.Transaction, context.Scope, request.LoadBalancerArn, context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new DeleteLoadBalancerOutput();
    }

    public override async Task<DescribeLoadBalancerAttributesOutput> DescribeLoadBalancerAttributesAsync(RequestContext context, DescribeLoadBalancerAttributesInput request)
    {
        var lb = await LoadBalancers.RequireAsync(context.Store, context.Scope, request.LoadBalancerArn, context.Cancellation).ConfigureAwait(false);
        return new DescribeLoadBalancerAttributesOutput { Attributes = lb.Attributes.Select(a => new LoadBalancerAttribute { Key = a.Key, Value = a.Value }).ToList() };
    }

    public override async Task<ModifyLoadBalancerAttributesOutput> ModifyLoadBalancerAttributesAsync(RequestContext context, ModifyLoadBalancerAttributesInput request)
    {
        var changes = Pairs(request.Attributes, a => a.Key, a => a.Value);
        var lb = await LoadBalancers.ModifyAttributesAsync(context.Transaction, context.Scope, request.LoadBalancerArn, changes, context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new ModifyLoadBalancerAttributesOutput { Attributes = lb.Attributes.Select(a => new LoadBalancerAttribute { Key = a.Key, Value = a.Value }).ToList() };
    }

    public override async Task<SetSecurityGroupsOutput> SetSecurityGroupsAsync(RequestContext context, SetSecurityGroupsInput request)
    {
        var lb = await LoadBalancers.SetSecurityGroupsAsync(context.Transaction, context.Scope, request.LoadBalancerArn, request.SecurityGroups ?? [], context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new SetSecurityGroupsOutput { SecurityGroupIds = lb.SecurityGroups };
    }

    public override async Task<SetSubnetsOutput> SetSubnetsAsync(RequestContext context, SetSubnetsInput request)
    {
        var mappings = (request.SubnetMappings ?? []).Select(m => (m.SubnetId ?? throw ElbErrors.Validation("A subnet ID must be specified"), m.AllocationId, m.PrivateIPv4Address)).ToList();
        var lb = await LoadBalancers.SetSubnetsAsync(context.Transaction, context.Scope, request.LoadBalancerArn, request.Subnets ?? [], mappings, context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new SetSubnetsOutput { AvailabilityZones = Zones(lb), IpAddressType = lb.IpAddressType };
    }

    public override async Task<SetIpAddressTypeOutput> SetIpAddressTypeAsync(RequestContext context, SetIpAddressTypeInput request)
    {
        var lb = await LoadBalancers.SetIpAddressTypeAsync(context.Transaction, context.Scope, request.LoadBalancerArn, request.IpAddressType, context.Now, context.Cancellation).ConfigureAwait(false);
        return new SetIpAddressTypeOutput { IpAddressType = lb.IpAddressType };
    }

    // ---------------------------------------------------------------- target groups

    public override async Task<CreateTargetGroupOutput> CreateTargetGroupAsync(RequestContext context, CreateTargetGroupInput request)
    {
        var spec = new TargetGroupSpec(request.Name, request.Protocol, request.ProtocolVersion, request.Port, request.VpcId, request.TargetType, request.IpAddressType,
            new HealthCheckChange(request.HealthCheckEnabled, request.HealthCheckProtocol, request.HealthCheckPort, request.HealthCheckPath, request.HealthCheckIntervalSeconds,
                request.HealthCheckTimeoutSeconds, request.HealthyThresholdCount, request.UnhealthyThresholdCount, request.Matcher?.HttpCode, request.Matcher?.GrpcCode),
            Tags(request.Tags));
        var tg = await TargetGroups.CreateAsync(context.Transaction, context.Scope, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTargetGroupOutput { TargetGroups = [ToShape(tg, [])] };
    }

    public override async Task<DescribeTargetGroupsOutput> DescribeTargetGroupsAsync(RequestContext context, DescribeTargetGroupsInput request)
    {
        var page = await TargetGroups.DescribeAsync(context.Store, context.Scope, request.LoadBalancerArn, request.TargetGroupArns, request.Names, request.Marker, request.PageSize, context.Cancellation).ConfigureAwait(false);
        var used = await TargetGroups.LoadBalancersByTargetGroupAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        return new DescribeTargetGroupsOutput { TargetGroups = page.Items.Select(t => ToShape(t, used.GetValueOrDefault(t.Arn) ?? [])).ToList(), NextMarker = page.NextMarker };
    }

    public override async Task<ModifyTargetGroupOutput> ModifyTargetGroupAsync(RequestContext context, ModifyTargetGroupInput request)
    {
        var change = new HealthCheckChange(request.HealthCheckEnabled, request.HealthCheckProtocol, request.HealthCheckPort, request.HealthCheckPath, request.HealthCheckIntervalSeconds,
            request.HealthCheckTimeoutSeconds, request.HealthyThresholdCount, request.UnhealthyThresholdCount, request.Matcher?.HttpCode, request.Matcher?.GrpcCode);
        var tg = await TargetGroups.ModifyAsync(context.Transaction, context.Scope, request.TargetGroupArn, change, context.Now, context.Cancellation).ConfigureAwait(false);
        var used = await TargetGroups.LoadBalancersByTargetGroupAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new ModifyTargetGroupOutput { TargetGroups = [ToShape(tg, used.GetValueOrDefault(tg.Arn) ?? [])] };
    }

    public override async Task<DeleteTargetGroupOutput> DeleteTargetGroupAsync(RequestContext context, DeleteTargetGroupInput request)
    {
        await TargetGroups.DeleteAsync(context.Transaction, context.Scope, request.TargetGroupArn, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new DeleteTargetGroupOutput();
    }

    public override async Task<DescribeTargetGroupAttributesOutput> DescribeTargetGroupAttributesAsync(RequestContext context, DescribeTargetGroupAttributesInput request)
    {
        var tg = await TargetGroups.RequireAsync(context.Store, context.Scope, request.TargetGroupArn, context.Cancellation).ConfigureAwait(false);
        return new DescribeTargetGroupAttributesOutput { Attributes = tg.Attributes.Select(a => new TargetGroupAttribute { Key = a.Key, Value = a.Value }).ToList() };
    }

    public override async Task<ModifyTargetGroupAttributesOutput> ModifyTargetGroupAttributesAsync(RequestContext context, ModifyTargetGroupAttributesInput request)
    {
        var tg = await TargetGroups.ModifyAttributesAsync(context.Transaction, context.Scope, request.TargetGroupArn, Pairs(request.Attributes, a => a.Key, a => a.Value), context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new ModifyTargetGroupAttributesOutput { Attributes = tg.Attributes.Select(a => new TargetGroupAttribute { Key = a.Key, Value = a.Value }).ToList() };
    }

    public override async Task<RegisterTargetsOutput> RegisterTargetsAsync(RequestContext context, RegisterTargetsInput request)
    {
        await TargetGroups.RegisterAsync(context.Transaction, context.Scope, request.TargetGroupArn, Targets(request.Targets), context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new RegisterTargetsOutput();
    }

    public override async Task<DeregisterTargetsOutput> DeregisterTargetsAsync(RequestContext context, DeregisterTargetsInput request)
    {
        await TargetGroups.DeregisterAsync(context.Transaction, context.Scope, request.TargetGroupArn, Targets(request.Targets), context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new DeregisterTargetsOutput();
    }

    public override async Task<DescribeTargetHealthOutput> DescribeTargetHealthAsync(RequestContext context, DescribeTargetHealthInput request)
    {
        var views = await TargetGroups.DescribeHealthAsync(context.Store, context.Scope, request.TargetGroupArn, request.Targets is null ? null : Targets(request.Targets), health, context.Cancellation).ConfigureAwait(false);
        return new DescribeTargetHealthOutput
        {
            TargetHealthDescriptions = views.Select(v => new TargetHealthDescription
            {
                Target = new TargetDescription { Id = v.Id, Port = v.Port, AvailabilityZone = v.AvailabilityZone },
                HealthCheckPort = v.HealthCheckPort,
                TargetHealth = new TargetHealth { State = v.State, Reason = v.Reason, Description = v.Description },
            }).ToList(),
        };
    }

    private static List<TargetRef> Targets(List<TargetDescription>? targets) =>
        (targets ?? []).Select(t => new TargetRef(t.Id ?? throw ElbErrors.Validation("A target ID must be specified"), t.Port, t.AvailabilityZone)).ToList();

    // ---------------------------------------------------------------- listeners

    public override async Task<CreateListenerOutput> CreateListenerAsync(RequestContext context, CreateListenerInput request)
    {
        if (request.MutualAuthentication is { Mode: not (null or "off") })
        {
            throw AwsErrors.NotImplemented("CreateListener with mutual TLS authentication");
        }
        var spec = new ListenerSpec(request.Port, request.Protocol, request.SslPolicy, Certificates(request.Certificates), request.AlpnPolicy, Actions(request.DefaultActions), Tags(request.Tags));
        var listener = await Listeners.CreateAsync(context.Transaction, context.Scope, request.LoadBalancerArn, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new CreateListenerOutput { Listeners = [ToShape(listener)] };
    }

    public override async Task<DescribeListenersOutput> DescribeListenersAsync(RequestContext context, DescribeListenersInput request)
    {
        var page = await Listeners.DescribeAsync(context.Store, context.Scope, request.LoadBalancerArn, request.ListenerArns, request.Marker, request.PageSize, context.Cancellation).ConfigureAwait(false);
        return new DescribeListenersOutput { Listeners = page.Items.Select(ToShape).ToList(), NextMarker = page.NextMarker };
    }

    public override async Task<ModifyListenerOutput> ModifyListenerAsync(RequestContext context, ModifyListenerInput request)
    {
        var spec = new ListenerSpec(request.Port, request.Protocol, request.SslPolicy, Certificates(request.Certificates), request.AlpnPolicy,
            request.DefaultActions is null ? null : Actions(request.DefaultActions), []);
        var listener = await Listeners.ModifyAsync(context.Transaction, context.Scope, request.ListenerArn, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new ModifyListenerOutput { Listeners = [ToShape(listener)] };
    }

    public override async Task<DeleteListenerOutput> DeleteListenerAsync(RequestContext context, DeleteListenerInput request)
    {
        await Listeners.DeleteAsync(context.Transaction, context.Scope, request.ListenerArn, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new DeleteListenerOutput();
    }

    public override async Task<DescribeListenerAttributesOutput> DescribeListenerAttributesAsync(RequestContext context, DescribeListenerAttributesInput request)
    {
        var listener = await Listeners.RequireAsync(context.Store, context.Scope, request.ListenerArn, context.Cancellation).ConfigureAwait(false);
        return new DescribeListenerAttributesOutput { Attributes = listener.Attributes.Select(a => new ListenerAttribute { Key = a.Key, Value = a.Value }).ToList() };
    }

    public override async Task<ModifyListenerAttributesOutput> ModifyListenerAttributesAsync(RequestContext context, ModifyListenerAttributesInput request)
    {
        var listener = await Listeners.ModifyAttributesAsync(context.Transaction, context.Scope, request.ListenerArn, Pairs(request.Attributes, a => a.Key, a => a.Value), context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyListenerAttributesOutput { Attributes = listener.Attributes.Select(a => new ListenerAttribute { Key = a.Key, Value = a.Value }).ToList() };
    }

    public override async Task<DescribeListenerCertificatesOutput> DescribeListenerCertificatesAsync(RequestContext context, DescribeListenerCertificatesInput request)
    {
        var listener = await Listeners.RequireAsync(context.Store, context.Scope, request.ListenerArn, context.Cancellation).ConfigureAwait(false);
        var page = LoadBalancers.Page(listener.Certificates, c => c.CertificateArn, request.Marker, request.PageSize);
        return new DescribeListenerCertificatesOutput { Certificates = page.Items.Select(c => new Certificate { CertificateArn = c.CertificateArn, IsDefault = c.IsDefault }).ToList(), NextMarker = page.NextMarker };
    }

    public override async Task<AddListenerCertificatesOutput> AddListenerCertificatesAsync(RequestContext context, AddListenerCertificatesInput request)
    {
        var listener = await Listeners.RequireAsync(context.Transaction, context.Scope, request.ListenerArn, context.Cancellation).ConfigureAwait(false);
        foreach (var certificate in Certificates(request.Certificates) ?? [])
        {
            if (!certificate.CertificateArn.StartsWith("arn:aws:acm:", StringComparison.Ordinal) && !certificate.CertificateArn.StartsWith("arn:aws:iam::", StringComparison.Ordinal))
            {
                throw new AwsException("CertificateNotFound", $"Certificate '{certificate.CertificateArn}' not found");
            }
            if (listener.Certificates.All(c => c.CertificateArn != certificate.CertificateArn))
            {
                listener.Certificates.Add(new ListenerCertificate(certificate.CertificateArn, false));
            }
        }
        if (listener.Certificates.Count > 25)
        {
            throw new AwsException("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer");
        }
        await Listeners.SaveAsync(context.Transaction, context.Scope, listener, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AddListenerCertificatesOutput { Certificates = listener.Certificates.Where(c => !c.IsDefault).Select(c => new Certificate { CertificateArn = c.CertificateArn, IsDefault = false }).ToList() };
    }

    public override async Task<RemoveListenerCertificatesOutput> RemoveListenerCertificatesAsync(RequestContext context, RemoveListenerCertificatesInput request)
    {
        var listener = await Listeners.RequireAsync(context.Transaction, context.Scope, request.ListenerArn, context.Cancellation).ConfigureAwait(false);
        foreach (var certificate in request.Certificates ?? [])
        {
            if (listener.Certificates.FirstOrDefault(c => c.CertificateArn == certificate.CertificateArn) is { IsDefault: true })
            {
                throw new AwsException("OperationNotPermitted", "The default certificate cannot be removed; use ModifyListener to replace it");
            }
            listener.Certificates.RemoveAll(c => c.CertificateArn == certificate.CertificateArn);
        }
        await Listeners.SaveAsync(context.Transaction, context.Scope, listener, context.Now, context.Cancellation).ConfigureAwait(false);
        return new RemoveListenerCertificatesOutput();
    }

    // ---------------------------------------------------------------- rules

    public override async Task<CreateRuleOutput> CreateRuleAsync(RequestContext context, CreateRuleInput request)
    {
        if (request.Transforms is { Count: > 0 })
        {
            throw AwsErrors.NotImplemented("CreateRule with transforms");
        }
        var rule = await Listeners.CreateRuleAsync(context.Transaction, context.Scope, request.ListenerArn, request.Priority, Conditions(request.Conditions), Actions(request.Actions),
            Tags(request.Tags), context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new CreateRuleOutput { Rules = [ToShape(rule)] };
    }

    public override async Task<DescribeRulesOutput> DescribeRulesAsync(RequestContext context, DescribeRulesInput request)
    {
        var page = await Listeners.DescribeRulesAsync(context.Store, context.Scope, request.ListenerArn, request.RuleArns, request.Marker, request.PageSize, context.Cancellation).ConfigureAwait(false);
        return new DescribeRulesOutput { Rules = page.Items.Select(ToShape).ToList(), NextMarker = page.NextMarker };
    }

    public override async Task<ModifyRuleOutput> ModifyRuleAsync(RequestContext context, ModifyRuleInput request)
    {
        if (request.Transforms is { Count: > 0 })
        {
            throw AwsErrors.NotImplemented("ModifyRule with transforms");
        }
        var rule = await Listeners.ModifyRuleAsync(context.Transaction, context.Scope, request.RuleArn, request.Conditions is null ? null : Conditions(request.Conditions),
            request.Actions is null ? null : Actions(request.Actions), context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new ModifyRuleOutput { Rules = [ToShape(rule)] };
    }

    public override async Task<DeleteRuleOutput> DeleteRuleAsync(RequestContext context, DeleteRuleInput request)
    {
        await Listeners.DeleteRuleAsync(context.Transaction, context.Scope, request.RuleArn, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new DeleteRuleOutput();
    }

    public override async Task<SetRulePrioritiesOutput> SetRulePrioritiesAsync(RequestContext context, SetRulePrioritiesInput request)
    {
        var rules = await Listeners.SetPrioritiesAsync(context.Transaction, context.Scope, (request.RulePriorities ?? []).Select(p => (p.RuleArn, p.Priority)).ToList(), context.Now, context.Cancellation).ConfigureAwait(false);
        Changed(context);
        return new SetRulePrioritiesOutput { Rules = rules.Select(ToShape).ToList() };
    }

    // ---------------------------------------------------------------- tags, limits, policies

    public override async Task<AddTagsOutput> AddTagsAsync(RequestContext context, AddTagsInput request)
    {
        await LoadBalancers.ChangeTagsAsync(context.Transaction, context.Scope, request.ResourceArns ?? [], Tags(request.Tags), null, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AddTagsOutput();
    }

    public override async Task<RemoveTagsOutput> RemoveTagsAsync(RequestContext context, RemoveTagsInput request)
    {
        await LoadBalancers.ChangeTagsAsync(context.Transaction, context.Scope, request.ResourceArns ?? [], null, request.TagKeys ?? [], context.Now, context.Cancellation).ConfigureAwait(false);
        return new RemoveTagsOutput();
    }

    public override async Task<DescribeTagsOutput> DescribeTagsAsync(RequestContext context, DescribeTagsInput request)
    {
        var tags = await LoadBalancers.DescribeTagsAsync(context.Store, context.Scope, request.ResourceArns ?? [], context.Cancellation).ConfigureAwait(false);
        return new DescribeTagsOutput { TagDescriptions = tags.Select(t => new TagDescription { ResourceArn = t.Arn, Tags = t.Tags.Select(x => new Tag { Key = x.Key, Value = x.Value }).ToList() }).ToList() };
    }

    public override Task<DescribeAccountLimitsOutput> DescribeAccountLimitsAsync(RequestContext context, DescribeAccountLimitsInput request)
    {
        var page = LoadBalancers.Page(ElbLimits.All.ToList(), l => l.Name, request.Marker, request.PageSize);
        return Task.FromResult(new DescribeAccountLimitsOutput { Limits = page.Items.Select(l => new Limit { Name = l.Name, Max = l.Max }).ToList(), NextMarker = page.NextMarker });
    }

    public override Task<DescribeSSLPoliciesOutput> DescribeSSLPoliciesAsync(RequestContext context, DescribeSSLPoliciesInput request)
    {
        var policies = SslPolicies.All.ToList();
        if (request.Names is { Count: > 0 } names)
        {
            var missing = names.Where(n => policies.All(p => p.Name != n)).ToList();
            if (missing.Count > 0)
            {
                throw new AwsException("SSLPolicyNotFound", $"SSL policy '{missing[0]}' not found");
            }
            policies = policies.Where(p => names.Contains(p.Name)).ToList();
        }
        var types = request.LoadBalancerType is { } type ? [type] : new List<string> { "application", "network" };
        var page = LoadBalancers.Page(policies, p => p.Name, request.Marker, request.PageSize);
        return Task.FromResult(new DescribeSSLPoliciesOutput
        {
            SslPolicies = page.Items.Select(p => new SslPolicy
            {
                Name = p.Name,
                SslProtocols = p.Protocols.ToList(),
                Ciphers = p.Ciphers.Select((c, i) => new Cipher { Name = c, Priority = i + 1 }).ToList(),
                SupportedLoadBalancerTypes = types,
            }).ToList(),
            NextMarker = page.NextMarker,
        });
    }

    // ---------------------------------------------------------------- shapes

    private static List<DomainTag> Tags(List<Tag>? tags) =>
        (tags ?? []).Select(t => new DomainTag(t.Key ?? throw ElbErrors.Validation("A tag key must be specified"), t.Value ?? "")).ToList();

    private static List<KeyValuePair<string, string>> Pairs<T>(List<T>? items, Func<T, string?> key, Func<T, string?> value)
    {
        if (items is null || items.Count == 0)
        {
            throw ElbErrors.Validation("At least one attribute must be specified");
        }
        return items.Select(i => new KeyValuePair<string, string>(key(i) ?? throw ElbErrors.Validation("An attribute key must be specified"), value(i) ?? "")).ToList();
    }

    private static List<ListenerCertificate>? Certificates(List<Certificate>? certificates) =>
        certificates?.Select(c => new ListenerCertificate(c.CertificateArn ?? throw ElbErrors.Validation("A certificate ARN must be specified"), c.IsDefault ?? false)).ToList();

    private static List<RuleAction> Actions(List<ElbAction>? actions) => (actions ?? []).Select(a => new RuleAction
    {
        Type = a.Type ?? throw ElbErrors.Validation("An action type must be specified"),
        Order = a.Order,
        TargetGroupArn = a.TargetGroupArn,
        ForwardTargetGroups = a.ForwardConfig?.TargetGroups?.Select(g => new WeightedTargetGroup(g.TargetGroupArn ?? throw ElbErrors.Validation("A target group ARN must be specified"), g.Weight)).ToList(),
        StickinessEnabled = a.ForwardConfig?.TargetGroupStickinessConfig?.Enabled,
        StickinessDurationSeconds = a.ForwardConfig?.TargetGroupStickinessConfig?.DurationSeconds,
        RedirectProtocol = a.RedirectConfig?.Protocol,
        RedirectPort = a.RedirectConfig?.Port,
        RedirectHost = a.RedirectConfig?.Host,
        RedirectPath = a.RedirectConfig?.Path,
        RedirectQuery = a.RedirectConfig?.Query,
        RedirectStatusCode = a.Type == "redirect" ? a.RedirectConfig?.StatusCode : null,
        FixedStatusCode = a.FixedResponseConfig?.StatusCode,
        FixedContentType = a.FixedResponseConfig?.ContentType,
        FixedMessageBody = a.FixedResponseConfig?.MessageBody,
    }).ToList();

    private static List<RuleConditionSpec> Conditions(List<RuleCondition>? conditions) => (conditions ?? []).Select(c =>
    {
        var field = c.Field ?? throw ElbErrors.Validation("A condition field must be specified");
        var config = field switch
        {
            "host-header" => c.HostHeaderConfig?.Values,
            "path-pattern" => c.PathPatternConfig?.Values,
            "http-header" => c.HttpHeaderConfig?.Values,
            "http-request-method" => c.HttpRequestMethodConfig?.Values,
            "source-ip" => c.SourceIpConfig?.Values,
            _ => null,
        };
        if (config is not null && c.Values is { Count: > 0 })
        {
            throw ElbErrors.Validation($"You cannot specify both 'Values' and a configuration for condition field '{field}'");
        }
        if (c.Values is { Count: > 0 } && field is not ("host-header" or "path-pattern"))
        {
            throw ElbErrors.Validation($"Condition field '{field}' requires its configuration, not 'Values'");
        }
        return new RuleConditionSpec
        {
            Field = field,
            Values = config ?? c.Values ?? [],
            LegacyValues = c.Values is { Count: > 0 },
            HttpHeaderName = c.HttpHeaderConfig?.HttpHeaderName,
            QueryPairs = c.QueryStringConfig?.Values?.Select(p => new QueryPair(p.Key, p.Value ?? "")).ToList() ?? [],
        };
    }).ToList();

    private static List<AvailabilityZone> Zones(LoadBalancerResource lb) => lb.Zones.Select(z => new AvailabilityZone
    {
        ZoneName = z.ZoneName,
        SubnetId = z.SubnetId,
        LoadBalancerAddresses = lb.Type == ElbTypes.Network ? [new LoadBalancerAddress { AllocationId = z.AllocationId, PrivateIPv4Address = z.PrivateIpv4Address }] : [],
    }).ToList();

    private static LoadBalancer ToShape(LoadBalancerResource lb, string region) => new()
    {
        LoadBalancerArn = lb.Arn,
        DNSName = lb.DnsName,
        CanonicalHostedZoneId = ElbNaming.CanonicalHostedZoneId(lb.Type, region),
        CreatedTime = lb.CreatedTime,
        LoadBalancerName = lb.Name,
        Scheme = lb.Scheme,
        VpcId = lb.VpcId,
        State = new LoadBalancerState { Code = lb.State },
        Type = lb.Type,
        AvailabilityZones = Zones(lb),
        SecurityGroups = lb.Type == ElbTypes.Application || lb.SecurityGroups.Count > 0 ? lb.SecurityGroups : null,
        IpAddressType = lb.IpAddressType,
    };

    private static TargetGroup ToShape(TargetGroupResource tg, List<string> loadBalancers) => new()
    {
        TargetGroupArn = tg.Arn,
        TargetGroupName = tg.Name,
        Protocol = tg.Protocol,
        ProtocolVersion = tg.ProtocolVersion,
        Port = tg.Port,
        VpcId = tg.VpcId,
        HealthCheckEnabled = tg.HealthCheckEnabled,
        HealthCheckProtocol = tg.HealthCheckProtocol,
        HealthCheckPort = tg.HealthCheckPort,
        HealthCheckPath = tg.HealthCheckPath,
        HealthCheckIntervalSeconds = tg.HealthCheckIntervalSeconds,
        HealthCheckTimeoutSeconds = tg.HealthCheckTimeoutSeconds,
        HealthyThresholdCount = tg.HealthyThresholdCount,
        UnhealthyThresholdCount = tg.UnhealthyThresholdCount,
        Matcher = tg.MatcherHttpCode is null && tg.MatcherGrpcCode is null ? null : new Matcher { HttpCode = tg.MatcherHttpCode, GrpcCode = tg.MatcherGrpcCode },
        LoadBalancerArns = loadBalancers,
        TargetType = tg.TargetType,
        IpAddressType = tg.IpAddressType,
    };

    private static Listener ToShape(ListenerResource listener) => new()
    {
        ListenerArn = listener.Arn,
        LoadBalancerArn = listener.LoadBalancerArn,
        Port = listener.Port,
        Protocol = listener.Protocol,
        SslPolicy = listener.SslPolicy,
        Certificates = listener.Certificates.Count > 0 ? listener.Certificates.Where(c => c.IsDefault).Select(c => new Certificate { CertificateArn = c.CertificateArn }).ToList() : null,
        AlpnPolicy = listener.AlpnPolicy.Count > 0 ? listener.AlpnPolicy : null,
        DefaultActions = listener.DefaultActions.Select(ToShape).ToList(),
    };

    private static ElbAction ToShape(RuleAction action) => new()
    {
        Type = action.Type,
        Order = action.Order,
        TargetGroupArn = action.TargetGroupArn,
        ForwardConfig = action.Type == "forward" ? new ForwardActionConfig
        {
            TargetGroups = action.ForwardTargetGroups?.Select(g => new TargetGroupTuple { TargetGroupArn = g.TargetGroupArn, Weight = g.Weight }).ToList(),
            TargetGroupStickinessConfig = new TargetGroupStickinessConfig { Enabled = action.StickinessEnabled ?? false, DurationSeconds = action.StickinessDurationSeconds },
        } : null,
        RedirectConfig = action.Type == "redirect" ? new RedirectActionConfig
        {
            Protocol = action.RedirectProtocol,
            Port = action.RedirectPort,
            Host = action.RedirectHost,
            Path = action.RedirectPath,
            Query = action.RedirectQuery,
            StatusCode = action.RedirectStatusCode,
        } : null,
        FixedResponseConfig = action.Type == "fixed-response" ? new FixedResponseActionConfig
        {
            StatusCode = action.FixedStatusCode,
            ContentType = action.FixedContentType,
            MessageBody = action.FixedMessageBody,
        } : null,
    };

    private static Rule ToShape(RuleResource rule) => new()
    {
        RuleArn = rule.Arn,
        Priority = Listeners.IsDefault(rule) ? "default" : rule.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
        IsDefault = Listeners.IsDefault(rule),
        Actions = rule.Actions.Select(ToShape).ToList(),
        Conditions = rule.Conditions.Select(c => new RuleCondition
        {
            Field = c.Field,
            Values = c.Field is "host-header" or "path-pattern" ? c.Values : null,
            HostHeaderConfig = c.Field == "host-header" ? new HostHeaderConditionConfig { Values = c.Values } : null,
            PathPatternConfig = c.Field == "path-pattern" ? new PathPatternConditionConfig { Values = c.Values } : null,
            HttpHeaderConfig = c.Field == "http-header" ? new HttpHeaderConditionConfig { HttpHeaderName = c.HttpHeaderName, Values = c.Values } : null,
            HttpRequestMethodConfig = c.Field == "http-request-method" ? new HttpRequestMethodConditionConfig { Values = c.Values } : null,
            SourceIpConfig = c.Field == "source-ip" ? new SourceIpConditionConfig { Values = c.Values } : null,
            QueryStringConfig = c.Field == "query-string" ? new QueryStringConditionConfig { Values = c.QueryPairs.Select(p => new QueryStringKeyValuePair { Key = p.Key, Value = p.Value }).ToList() } : null,
        }).ToList(),
    };
}
