using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.ElasticLoadBalancingV2;
using Stratus.Domain.Resources;
using Stratus.Server.Gateway;
using Stratus.Services.Model.AutoScaling;
using AutoScalingGroup = Stratus.Domain.AutoScaling.AutoScalingGroup;
using DomainHook = Stratus.Domain.AutoScaling.LifecycleHook;
using Errors = Stratus.Domain.AutoScaling.AutoScalingErrors;
using Groups = Stratus.Domain.AutoScaling.AutoScalingGroups;
using WireHook = Stratus.Services.Model.AutoScaling.LifecycleHook;
using WireNotification = Stratus.Services.Model.AutoScaling.NotificationConfiguration;

namespace Stratus.Server.AutoScaling;

/// <summary>
/// What hangs off a group: traffic sources (ELBv2 target groups), tags, lifecycle hooks,
/// notification configurations; and launch configurations.
/// </summary>
internal sealed partial class AutoScalingService
{
    private const int MaxHooksPerGroup = 50;

    // ---------------------------------------------------------------- traffic sources

    public override async Task<AttachLoadBalancerTargetGroupsResultType> AttachLoadBalancerTargetGroupsAsync(RequestContext context, AttachLoadBalancerTargetGroupsType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        await AddTrafficSourcesAsync(context, group, (request.TargetGroupARNs ?? []).Select(a => new TrafficSourceIdentifier { Identifier = a, Type = "elbv2" }).ToList()).ConfigureAwait(false);
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new AttachLoadBalancerTargetGroupsResultType();
    }

    public override async Task<AttachTrafficSourcesResultType> AttachTrafficSourcesAsync(RequestContext context, AttachTrafficSourcesType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        await AddTrafficSourcesAsync(context, group, request.TrafficSources ?? []).ConfigureAwait(false);
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new AttachTrafficSourcesResultType();
    }

    public override async Task<DetachLoadBalancerTargetGroupsResultType> DetachLoadBalancerTargetGroupsAsync(RequestContext context, DetachLoadBalancerTargetGroupsType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        RemoveTrafficSources(group, request.TargetGroupARNs ?? []);
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new DetachLoadBalancerTargetGroupsResultType();
    }

    public override async Task<DetachTrafficSourcesResultType> DetachTrafficSourcesAsync(RequestContext context, DetachTrafficSourcesType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        RemoveTrafficSources(group, (request.TrafficSources ?? []).Select(t => t.Identifier ?? "").ToList());
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new DetachTrafficSourcesResultType();
    }

    public override async Task<DescribeLoadBalancerTargetGroupsResponse> DescribeLoadBalancerTargetGroupsAsync(RequestContext context, DescribeLoadBalancerTargetGroupsRequest request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var (page, next) = Page(group.TrafficSources.Where(t => t.Type == "elbv2").ToList(), t => t.Identifier, request.NextToken, CheckMaxRecords(request.MaxRecords, 100), ordinalKeys: false);
        return new DescribeLoadBalancerTargetGroupsResponse
        {
            LoadBalancerTargetGroups = page.Select(t => new LoadBalancerTargetGroupState { LoadBalancerTargetGroupARN = t.Identifier, State = t.State }).ToList(),
            NextToken = next,
        };
    }

    public override async Task<DescribeTrafficSourcesResponse> DescribeTrafficSourcesAsync(RequestContext context, DescribeTrafficSourcesRequest request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var sources = group.TrafficSources.Where(t => request.TrafficSourceType is null || t.Type == request.TrafficSourceType).ToList();
        var (page, next) = Page(sources, t => t.Identifier, request.NextToken, CheckMaxRecords(request.MaxRecords, 50), ordinalKeys: false);
        return new DescribeTrafficSourcesResponse
        {
            TrafficSources = page.Select(t => new TrafficSourceState { Identifier = t.Identifier, TrafficSource = t.Identifier, Type = t.Type, State = t.State }).ToList(),
            NextToken = next,
        };
    }

    public override async Task<DescribeLoadBalancersResponse> DescribeLoadBalancersAsync(RequestContext context, DescribeLoadBalancersRequest request)
    {
        _ = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        return new DescribeLoadBalancersResponse { LoadBalancers = [] };
    }

    private static async Task AddTrafficSourcesAsync(RequestContext context, AutoScalingGroup group, List<TrafficSourceIdentifier> sources)
    {
        foreach (var source in sources)
        {
            var type = source.Type ?? "elbv2";
            if (type != "elbv2")
            {
                throw Errors.Validation($"Traffic source type {type} is not supported here; only elbv2 target groups are.");
            }
            var arn = source.Identifier ?? throw Errors.Validation("1 validation error detected: Value null at 'trafficSources.member.identifier' failed to satisfy constraint: Member must not be null");
            var tg = await TargetGroups.FindAsync(context.Store, context.Scope, arn, context.Cancellation).ConfigureAwait(false);
            if (tg is null)
            {
                throw Errors.Validation("Provided Target Groups may not be valid. Please ensure they exist and try again.");
            }
            if (tg.TargetType != "instance")
            {
                throw Errors.Validation($"Target group {arn} has target type {tg.TargetType}; only target groups of type instance can be attached.");
            }
            if (group.TrafficSources.FirstOrDefault(t => t.Identifier == arn) is { } existing)
            {
                if (existing.State == "Removing")
                {
                    existing.State = "Adding";
                }
                continue;
            }
            group.TrafficSources.Add(new TrafficSource { Identifier = arn, Type = type });
        }
        if (group.TrafficSources.Count > 50)
        {
            throw Errors.LimitExceeded("The number of traffic sources exceeds the limit of 50 per Auto Scaling group.");
        }
    }

    private static void RemoveTrafficSources(AutoScalingGroup group, List<string> arns)
    {
        foreach (var arn in arns)
        {
            var source = group.TrafficSources.FirstOrDefault(t => t.Identifier == arn)
                ?? throw Errors.Validation($"Trying to remove Target Groups that are not part of the group {{{arn}}}.");
            source.State = "Removing";
        }
    }

    // ---------------------------------------------------------------- tags

    public override async Task CreateOrUpdateTagsAsync(RequestContext context, CreateOrUpdateTagsType request)
    {
        foreach (var byGroup in (request.Tags ?? []).GroupBy(t => t.ResourceId ?? ""))
        {
            CheckTagResource(byGroup.First());
            var group = await RequireGroupAsync(context, byGroup.Key).ConfigureAwait(false);
            foreach (var tag in byGroup)
            {
                UpsertTag(group, tag, group.Name);
            }
            await SaveAsync(context, group).ConfigureAwait(false);
        }
    }

    public override async Task DeleteTagsAsync(RequestContext context, DeleteTagsType request)
    {
        foreach (var byGroup in (request.Tags ?? []).GroupBy(t => t.ResourceId ?? ""))
        {
            CheckTagResource(byGroup.First());
            var group = await RequireGroupAsync(context, byGroup.Key).ConfigureAwait(false);
            foreach (var tag in byGroup)
            {
                group.Tags.RemoveAll(t => t.Key == tag.Key && (tag.Value is null || t.Value == tag.Value));
            }
            await SaveAsync(context, group).ConfigureAwait(false);
        }
    }

    public override async Task<TagsType> DescribeTagsAsync(RequestContext context, DescribeTagsType request)
    {
        var groups = await Groups.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        IEnumerable<(string Group, GroupTag Tag)> tags = groups.SelectMany(g => g.Tags.Select(t => (g.Name, t)));
        foreach (var filter in request.Filters ?? [])
        {
            var values = filter.Values ?? [];
            tags = filter.Name switch
            {
                "auto-scaling-group" => tags.Where(t => values.Contains(t.Group)),
                "key" => tags.Where(t => values.Contains(t.Tag.Key)),
                "value" => tags.Where(t => values.Contains(t.Tag.Value)),
                "propagate-at-launch" => tags.Where(t => values.Contains(t.Tag.PropagateAtLaunch ? "true" : "false")),
                _ => throw Errors.Validation($"Filter {filter.Name} is not supported. Supported filters: auto-scaling-group, key, value, propagate-at-launch."),
            };
        }
        var ordered = tags.OrderBy(t => t.Group, StringComparer.Ordinal).ThenBy(t => t.Tag.Key, StringComparer.Ordinal).ToList();
        var (page, next) = Page(ordered, t => t.Group + "\n" + t.Tag.Key, request.NextToken, CheckMaxRecords(request.MaxRecords, 100));
        return new TagsType
        {
            Tags = page.Select(t => new TagDescription { ResourceId = t.Group, ResourceType = "auto-scaling-group", Key = t.Tag.Key, Value = t.Tag.Value, PropagateAtLaunch = t.Tag.PropagateAtLaunch }).ToList(),
            NextToken = next,
        };
    }

    private static void CheckTagResource(Stratus.Services.Model.AutoScaling.Tag tag)
    {
        if (string.IsNullOrEmpty(tag.ResourceId))
        {
            throw Errors.Validation("1 validation error detected: Value null at 'tags.member.resourceId' failed to satisfy constraint: Member must not be null");
        }
        if (tag.ResourceType is { } type && type != "auto-scaling-group")
        {
            throw Errors.Validation($"Invalid resource type {type}. Valid value: auto-scaling-group.");
        }
    }

    // ---------------------------------------------------------------- lifecycle hooks

    public override async Task<PutLifecycleHookAnswer> PutLifecycleHookAsync(RequestContext context, PutLifecycleHookType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        PutHook(group, request.LifecycleHookName, request.LifecycleTransition, request.HeartbeatTimeout, request.DefaultResult, request.NotificationMetadata, request.NotificationTargetARN, request.RoleARN);
        await SaveAsync(context, group).ConfigureAwait(false);
        return new PutLifecycleHookAnswer();
    }

    public override async Task<DescribeLifecycleHooksAnswer> DescribeLifecycleHooksAsync(RequestContext context, DescribeLifecycleHooksType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var hooks = group.LifecycleHooks.Where(h => request.LifecycleHookNames is not { Count: > 0 } names || names.Contains(h.Name));
        return new DescribeLifecycleHooksAnswer
        {
            LifecycleHooks = hooks.Select(h => new WireHook
            {
                AutoScalingGroupName = group.Name,
                LifecycleHookName = h.Name,
                LifecycleTransition = h.Transition,
                HeartbeatTimeout = h.HeartbeatTimeout,
                GlobalTimeout = Math.Min(172800, 100 * h.HeartbeatTimeout),
                DefaultResult = h.DefaultResult,
                NotificationMetadata = h.NotificationMetadata,
                NotificationTargetARN = h.NotificationTargetArn,
                RoleARN = h.RoleArn,
            }).ToList(),
        };
    }

    public override async Task<DeleteLifecycleHookAnswer> DeleteLifecycleHookAsync(RequestContext context, DeleteLifecycleHookType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (group.LifecycleHooks.RemoveAll(h => h.Name == request.LifecycleHookName) == 0)
        {
            throw Errors.Validation($"No Lifecycle Hook found for name {request.LifecycleHookName}.");
        }
        await SaveAsync(context, group).ConfigureAwait(false);
        return new DeleteLifecycleHookAnswer();
    }

    public override async Task<CompleteLifecycleActionAnswer> CompleteLifecycleActionAsync(RequestContext context, CompleteLifecycleActionType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var result = request.LifecycleActionResult is "CONTINUE" or "ABANDON"
            ? request.LifecycleActionResult : throw Errors.Validation("Valid values for LifecycleActionResult are CONTINUE and ABANDON.");
        var instance = FindHeldInstance(group, request.LifecycleHookName, request.LifecycleActionToken, request.InstanceId);
        instance.HookResult = result;
        await SaveAsync(context, group).ConfigureAwait(false);
        Changed(context);
        return new CompleteLifecycleActionAnswer();
    }

    public override async Task<RecordLifecycleActionHeartbeatAnswer> RecordLifecycleActionHeartbeatAsync(RequestContext context, RecordLifecycleActionHeartbeatType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var instance = FindHeldInstance(group, request.LifecycleHookName, request.LifecycleActionToken, request.InstanceId);
        var hook = group.LifecycleHooks.FirstOrDefault(h => h.Name == instance.HookName);
        instance.HookDeadline = context.Now.AddSeconds(hook?.HeartbeatTimeout ?? 3600);
        await SaveAsync(context, group).ConfigureAwait(false);
        return new RecordLifecycleActionHeartbeatAnswer();
    }

    private static GroupInstance FindHeldInstance(AutoScalingGroup group, string? hookName, string? token, string? instanceId)
    {
        if (group.LifecycleHooks.All(h => h.Name != hookName))
        {
            throw Errors.Validation($"No Lifecycle Hook found for name {hookName}.");
        }
        if (token is null && instanceId is null)
        {
            throw Errors.Validation("Either LifecycleActionToken or InstanceId must be specified.");
        }
        var held = group.Instances.FirstOrDefault(i => i.HookName == hookName && i.LifecycleState is LifecycleStates.PendingWait or LifecycleStates.TerminatingWait or LifecycleStates.WarmedPendingWait or LifecycleStates.WarmedTerminatingWait
            && (token is null || i.HookToken == token) && (instanceId is null || i.InstanceId == instanceId));
        return held ?? throw Errors.Validation(token is not null
            ? $"No active Lifecycle Action found with token {token}"
            : $"No active Lifecycle Action found with instance ID {instanceId}");
    }

    private static void PutHook(AutoScalingGroup group, string? name, string? transition, int? heartbeat, string? defaultResult, string? metadata, string? target, string? role)
    {
        name = CheckName(name, "lifecycleHookName");
        var existing = group.LifecycleHooks.FirstOrDefault(h => h.Name == name);
        transition ??= existing?.Transition ?? throw Errors.Validation("1 validation error detected: Value null at 'lifecycleTransition' failed to satisfy constraint: Member must not be null");
        if (transition is not (DomainHook.Launching or DomainHook.Terminating))
        {
            throw Errors.Validation($"Invalid Lifecycle Transition: {transition}. Valid values: {DomainHook.Launching}, {DomainHook.Terminating}.");
        }
        if (heartbeat is < 30 or > 7200)
        {
            throw Errors.Validation($"Heartbeat timeout {heartbeat} is not valid: it must be between 30 and 7200 seconds.");
        }
        if (defaultResult is not null and not ("CONTINUE" or "ABANDON"))
        {
            throw Errors.Validation($"Invalid default result {defaultResult}. Valid values: CONTINUE, ABANDON.");
        }
        if (existing is null)
        {
            if (group.LifecycleHooks.Count >= MaxHooksPerGroup)
            {
                throw Errors.LimitExceeded($"Exceeded the limit of {MaxHooksPerGroup} lifecycle hooks per Auto Scaling group.");
            }
            existing = new DomainHook { Name = name, Transition = transition };
            group.LifecycleHooks.Add(existing);
        }
        existing.Transition = transition;
        existing.HeartbeatTimeout = heartbeat ?? existing.HeartbeatTimeout;
        existing.DefaultResult = defaultResult ?? existing.DefaultResult;
        existing.NotificationMetadata = metadata ?? existing.NotificationMetadata;
        existing.NotificationTargetArn = target ?? existing.NotificationTargetArn;
        existing.RoleArn = role ?? existing.RoleArn;
    }

    // ---------------------------------------------------------------- notifications (kept; there is no SNS to deliver to)

    public override async Task PutNotificationConfigurationAsync(RequestContext context, PutNotificationConfigurationType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        var topic = request.TopicARN is { Length: > 0 } t ? t : throw Errors.Validation("1 validation error detected: Value null at 'topicARN' failed to satisfy constraint: Member must not be null");
        var types = request.NotificationTypes ?? [];
        foreach (var type in types.Where(type => !NotificationTypes.Contains(type)))
        {
            throw Errors.Validation($"Notification type {type} is not valid.");
        }
        group.NotificationConfigurations.RemoveAll(n => n.TopicArn == topic);
        group.NotificationConfigurations.AddRange(types.Distinct(StringComparer.Ordinal).Select(type => new Domain.AutoScaling.NotificationConfiguration(topic, type)));
        await SaveAsync(context, group).ConfigureAwait(false);
    }

    public override async Task DeleteNotificationConfigurationAsync(RequestContext context, DeleteNotificationConfigurationType request)
    {
        var group = await RequireGroupAsync(context, request.AutoScalingGroupName).ConfigureAwait(false);
        if (group.NotificationConfigurations.RemoveAll(n => n.TopicArn == request.TopicARN) == 0)
        {
            throw Errors.Validation($"No notification configuration found for topic {request.TopicARN}.");
        }
        await SaveAsync(context, group).ConfigureAwait(false);
    }

    public override async Task<DescribeNotificationConfigurationsAnswer> DescribeNotificationConfigurationsAsync(RequestContext context, DescribeNotificationConfigurationsType request)
    {
        var groups = await Groups.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var all = groups.Where(g => request.AutoScalingGroupNames is not { Count: > 0 } names || names.Contains(g.Name))
            .SelectMany(g => g.NotificationConfigurations.Select(n => (Group: g.Name, n.TopicArn, n.NotificationType))).ToList();
        var (page, next) = Page(all, n => $"{n.Group}\n{n.TopicArn}\n{n.NotificationType}", request.NextToken, CheckMaxRecords(request.MaxRecords, 50));
        return new DescribeNotificationConfigurationsAnswer
        {
            NotificationConfigurations = page.Select(n => new WireNotification { AutoScalingGroupName = n.Group, TopicARN = n.TopicArn, NotificationType = n.NotificationType }).ToList(),
            NextToken = next,
        };
    }

    // ---------------------------------------------------------------- launch configurations

    public override async Task CreateLaunchConfigurationAsync(RequestContext context, CreateLaunchConfigurationType request)
    {
        var name = CheckName(request.LaunchConfigurationName, "launchConfigurationName");
        if (await context.Store.GetAsync<LaunchConfigurationResource>(context.Scope, AutoScalingTypes.LaunchConfiguration, name, context.Cancellation).ConfigureAwait(false) is not null)
        {
            throw Errors.AlreadyExists($"Launch Configuration by this name already exists - A launch configuration already exists with the name {name}");
        }
        var count = (await context.Store.ListAsync(context.AccountId, context.Region, AutoScalingTypes.LaunchConfiguration.Name, context.Cancellation).ConfigureAwait(false)).Count;
        if (count >= Groups.MaxLaunchConfigurations)
        {
            throw Errors.LimitExceeded($"You have reached your limit of {Groups.MaxLaunchConfigurations} launch configurations.");
        }
        if (request.InstanceId is not null)
        {
            throw AwsErrors.NotImplemented("CreateLaunchConfiguration with InstanceId");
        }
        var image = request.ImageId ?? throw Errors.Validation("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.");
        var type = request.InstanceType ?? throw Errors.Validation("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.");
        if (await context.Store.GetAsync<Domain.Images.ImageResource>(context.Scope, Domain.Resources.ResourceTypes.Image, image, context.Cancellation).ConfigureAwait(false) is null
            && !image.StartsWith("ami-", StringComparison.Ordinal))
        {
            throw Errors.Validation($"The image id '[{image}]' does not exist");
        }
        var resource = new LaunchConfigurationResource
        {
            Name = name,
            Arn = Groups.LaunchConfigurationArnFor(context.Scope, name),
            CreatedTime = context.Now,
            ImageId = image,
            InstanceType = type,
            KeyName = request.KeyName,
            SecurityGroups = request.SecurityGroups ?? [],
            UserData = request.UserData,
            IamInstanceProfile = request.IamInstanceProfile,
            AssociatePublicIpAddress = request.AssociatePublicIpAddress,
            InstanceMonitoring = request.InstanceMonitoring?.Enabled ?? true,
            EbsOptimized = request.EbsOptimized ?? false,
            PlacementTenancy = request.PlacementTenancy,
            SpotPrice = request.SpotPrice,
            KernelId = request.KernelId,
            RamdiskId = request.RamdiskId,
            MetadataHttpTokens = request.MetadataOptions?.HttpTokens,
            MetadataHopLimit = request.MetadataOptions?.HttpPutResponseHopLimit,
            MetadataHttpEndpoint = request.MetadataOptions?.HttpEndpoint,
            BlockDeviceMappingsJson = request.BlockDeviceMappings is { Count: > 0 } m ? JsonSerializer.Serialize(m, ResourceJson) : null,
        };
        await context.Transaction.PutAsync(context.Scope, AutoScalingTypes.LaunchConfiguration, name, resource, context.Now, context.Cancellation).ConfigureAwait(false);
    }

    public override async Task<LaunchConfigurationsType> DescribeLaunchConfigurationsAsync(RequestContext context, LaunchConfigurationNamesType request)
    {
        IEnumerable<LaunchConfigurationResource> all = await context.Store.ListAsync<LaunchConfigurationResource>(context.Scope, AutoScalingTypes.LaunchConfiguration, context.Cancellation).ConfigureAwait(false);
        if (request.LaunchConfigurationNames is { Count: > 0 } names)
        {
            all = all.Where(l => names.Contains(l.Name));
        }
        var (page, next) = Page(all.OrderBy(l => l.Name, StringComparer.Ordinal).ToList(), l => l.Name, request.NextToken, CheckMaxRecords(request.MaxRecords, 50));
        return new LaunchConfigurationsType
        {
            LaunchConfigurations = page.Select(l => new LaunchConfiguration
            {
                LaunchConfigurationName = l.Name,
                LaunchConfigurationARN = l.Arn,
                CreatedTime = l.CreatedTime,
                ImageId = l.ImageId,
                InstanceType = l.InstanceType,
                KeyName = l.KeyName,
                SecurityGroups = l.SecurityGroups,
                UserData = l.UserData,
                IamInstanceProfile = l.IamInstanceProfile,
                AssociatePublicIpAddress = l.AssociatePublicIpAddress,
                InstanceMonitoring = new InstanceMonitoring { Enabled = l.InstanceMonitoring },
                EbsOptimized = l.EbsOptimized,
                PlacementTenancy = l.PlacementTenancy,
                SpotPrice = l.SpotPrice,
                KernelId = l.KernelId ?? "",
                RamdiskId = l.RamdiskId ?? "",
                ClassicLinkVPCSecurityGroups = [],
                BlockDeviceMappings = l.BlockDeviceMappingsJson is { } json ? JsonSerializer.Deserialize<List<BlockDeviceMapping>>(json, ResourceJson) : [],
                MetadataOptions = l.MetadataHttpTokens is null && l.MetadataHopLimit is null && l.MetadataHttpEndpoint is null ? null
                    : new InstanceMetadataOptions { HttpTokens = l.MetadataHttpTokens, HttpPutResponseHopLimit = l.MetadataHopLimit, HttpEndpoint = l.MetadataHttpEndpoint },
            }).ToList(),
            NextToken = next,
        };
    }

    public override async Task DeleteLaunchConfigurationAsync(RequestContext context, LaunchConfigurationNameType request)
    {
        var name = CheckName(request.LaunchConfigurationName, "launchConfigurationName");
        if (await context.Store.GetAsync<LaunchConfigurationResource>(context.Scope, AutoScalingTypes.LaunchConfiguration, name, context.Cancellation).ConfigureAwait(false) is null)
        {
            throw Errors.Validation($"Launch configuration name not found - Launch configuration {name} not found");
        }
        var groups = await Groups.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        if (groups.FirstOrDefault(g => g.LaunchConfigurationName == name || g.Instances.Any(i => i.LaunchConfigurationName == name)) is { } user)
        {
            throw Errors.ResourceInUse($"Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {user.Name}");
        }
        await context.Transaction.DeleteAsync(context.Scope, AutoScalingTypes.LaunchConfiguration, name, context.Cancellation).ConfigureAwait(false);
    }

    private static readonly JsonSerializerOptions ResourceJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
