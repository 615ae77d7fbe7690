using System.Globalization;
using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Fleets;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using FleetRules = Stratus.Domain.Fleets.Fleets;

namespace Stratus.Server.Ec2;

/// <summary>
/// Spot Fleet: RequestSpotFleet, DescribeSpotFleetRequests, ModifySpotFleetRequest,
/// CancelSpotFleetRequests, DescribeSpotFleetInstances and DescribeSpotFleetRequestHistory. The
/// fleet's life is in src/Stratus.Domain/Fleets; <see cref="Fleets.FleetController"/> launches,
/// replaces and terminates its instances.
/// </summary>
internal sealed partial class Ec2Service
{
    public override async Task<RequestSpotFleetResponse> RequestSpotFleetAsync(RequestContext context, RequestSpotFleetRequest request)
    {
        var config = request.SpotFleetRequestConfig ?? throw AwsErrors.MissingParameter("SpotFleetRequestConfig");
        if (string.IsNullOrEmpty(config.IamFleetRole))
        {
            throw AwsErrors.MissingParameter("SpotFleetRequestConfig.IamFleetRole");
        }
        var target = config.TargetCapacity ?? throw AwsErrors.MissingParameter("SpotFleetRequestConfig.TargetCapacity");
        var onDemand = config.OnDemandTargetCapacity ?? 0;
        if (target < 0 || onDemand < 0)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({Math.Min(target, onDemand)}) for parameter {(target < 0 ? "targetCapacity" : "onDemandTargetCapacity")} is invalid. Expected a non-negative integer.");
        }
        if (onDemand > target)
        {
            throw InvalidSpotFleetConfig("OnDemandTargetCapacity cannot be greater than TargetCapacity.");
        }
        var type = config.Type ?? FleetTypes.Maintain;
        if (type == FleetTypes.Instant)
        {
            throw AwsErrors.InvalidParameterValue("Spot Fleet requests of type 'instant' are not supported; use CreateFleet.");
        }
        var hasSpecs = config.LaunchSpecifications is { Count: > 0 };
        var hasTemplates = config.LaunchTemplateConfigs is { Count: > 0 };
        if (hasSpecs == hasTemplates)
        {
            throw InvalidSpotFleetConfig(hasSpecs
                ? "Either LaunchSpecifications or LaunchTemplateConfigs must be specified, not both."
                : "Either LaunchSpecifications or LaunchTemplateConfigs must be specified.");
        }
        if (onDemand > 0 && !hasTemplates)
        {
            throw InvalidSpotFleetConfig("On-Demand capacity (OnDemandTargetCapacity) requires LaunchTemplateConfigs.");
        }
        var strategy = config.AllocationStrategy is { } named
            ? FleetAllocation.Parse(named) ?? throw AwsErrors.InvalidParameterValue($"Value ({named}) for parameter allocationStrategy is invalid.")
            : FleetAllocationStrategy.LowestPrice;
        var onDemandStrategy = config.OnDemandAllocationStrategy is { } odNamed
            ? FleetAllocation.Parse(odNamed) is { } s && s is FleetAllocationStrategy.LowestPrice or FleetAllocationStrategy.Prioritized ? s
                : throw AwsErrors.InvalidParameterValue($"Value ({odNamed}) for parameter onDemandAllocationStrategy is invalid.")
            : FleetAllocationStrategy.LowestPrice;
        if (config.InstancePoolsToUseCount is { } poolsToUse && (poolsToUse < 1 || strategy != FleetAllocationStrategy.LowestPrice))
        {
            throw InvalidSpotFleetConfig(poolsToUse < 1
                ? $"InstancePoolsToUseCount must be at least 1, not {poolsToUse}."
                : "InstancePoolsToUseCount is valid only when the allocation strategy is lowestPrice.");
        }
        var behaviour = config.InstanceInterruptionBehavior ?? SpotInterruptionBehaviors.Terminate;
        if (behaviour != SpotInterruptionBehaviors.Terminate && type != FleetTypes.Maintain)
        {
            throw InvalidSpotFleetConfig($"The instance interruption behavior '{behaviour}' is only supported for Spot Fleet requests of type 'maintain'.");
        }
        CheckValidity(context.Now, config.ValidFrom, config.ValidUntil);
        _ = CheckMaxPrice(config.SpotPrice);
        _ = CheckMaxPrice(config.SpotMaxTotalPrice);
        _ = CheckMaxPrice(config.OnDemandMaxTotalPrice);
        var tags = TagsOnCreate(config.TagSpecifications, ResourceTypes.SpotFleetRequest.Name);
        var configJson = JsonSerializer.Serialize(config, LaunchTemplateJson);
        if (config.ClientToken is { } token)
        {
            var existing = (await context.Store.ListAsync<FleetResource>(context.Scope, ResourceTypes.SpotFleetRequest, context.Cancellation).ConfigureAwait(false))
                .FirstOrDefault(f => f.ClientToken == token);
            if (existing is not null)
            {
                return existing.ConfigJson == configJson ? new RequestSpotFleetResponse { SpotFleetRequestId = existing.Id } : throw AwsErrors.IdempotentParameterMismatch(token);
            }
        }

        var candidates = new List<FleetPoolCandidate>();
        if (hasSpecs)
        {
            for (var i = 0; i < config.LaunchSpecifications!.Count; i++)
            {
                var spec = config.LaunchSpecifications[i];
                if (spec.ImageId is null)
                {
                    throw AwsErrors.MissingParameter($"LaunchSpecifications.{i + 1}.ImageId");
                }
                var hasInterfaces = spec.NetworkInterfaces is { Count: > 0 };
                _ = CheckMaxPrice(spec.SpotPrice);
                candidates.Add(new FleetPoolCandidate(i, null, (subnet, zone) => FromSpotFleetSpec(spec, subnet, zone),
                    hasInterfaces ? [] : SplitList(spec.SubnetId), SplitList(spec.Placement?.AvailabilityZone),
                    CheckWeight(spec.WeightedCapacity, "weightedCapacity"), null, spec.SpotPrice));
            }
        }
        else
        {
            for (var i = 0; i < config.LaunchTemplateConfigs!.Count; i++)
            {
                var ltc = config.LaunchTemplateConfigs[i];
                var lt = ltc.LaunchTemplateSpecification ?? throw AwsErrors.MissingParameter($"LaunchTemplateConfigs.{i + 1}.LaunchTemplateSpecification");
                if (lt.LaunchTemplateId is null == lt.LaunchTemplateName is null)
                {
                    throw InvalidSpotFleetConfig("A launch template must be specified by either its ID or its name.");
                }
                var template = new LaunchTemplateSpecification { LaunchTemplateId = lt.LaunchTemplateId, LaunchTemplateName = lt.LaunchTemplateName, Version = lt.Version };
                var overrides = ltc.Overrides is { Count: > 0 } given ? given : [new LaunchTemplateOverrides()];
                for (var j = 0; j < overrides.Count; j++)
                {
                    var o = overrides[j];
                    if (o.InstanceRequirements is not null && o.InstanceType is not null)
                    {
                        throw InvalidSpotFleetConfig("An override can specify InstanceType or InstanceRequirements, not both.");
                    }
                    _ = CheckMaxPrice(o.SpotPrice);
                    var typeNames = o.InstanceRequirements is { } req ? InstanceTypesFor(req, context.Region) : [o.InstanceType];
                    foreach (var typeName in typeNames)
                    {
                        candidates.Add(new FleetPoolCandidate(i, ltc.Overrides is { Count: > 0 } ? j : null,
                            (subnet, zone) => new RunInstancesRequest
                            {
                                LaunchTemplate = template,
                                InstanceType = typeName,
                                SubnetId = subnet,
                                Placement = zone is null ? null : new Placement { AvailabilityZone = zone },
                            },
                            SplitList(o.SubnetId), SplitList(o.AvailabilityZone), CheckWeight(o.WeightedCapacity, "weightedCapacity"), o.Priority, o.SpotPrice));
                    }
                }
            }
        }
        var (pools, failures) = await ResolveFleetPoolsAsync(context, candidates, spot: target - onDemand > 0).ConfigureAwait(false);
        if (pools.Count == 0)
        {
            throw failures.Count > 0 ? failures[0].Error : InvalidSpotFleetConfig("The fleet has no usable launch specification.");
        }
        var fleet = new FleetResource
        {
            Id = FleetIds.New(FleetKind.SpotFleet),
            Kind = FleetKind.SpotFleet,
            Type = type,
            State = FleetStates.Submitted,
            CreateTime = context.Now,
            TargetCapacity = target,
            OnDemandTargetCapacity = onDemand,
            TargetCapacityUnitType = config.TargetCapacityUnitType,
            SpotAllocationStrategy = strategy,
            SpotAllocationStrategyName = config.AllocationStrategy ?? "lowestPrice",
            OnDemandAllocationStrategy = onDemandStrategy,
            OnDemandAllocationStrategyName = config.OnDemandAllocationStrategy ?? "lowestPrice",
            InstancePoolsToUseCount = config.InstancePoolsToUseCount,
            SpotPrice = config.SpotPrice,
            SpotMaxTotalPrice = config.SpotMaxTotalPrice,
            OnDemandMaxTotalPrice = config.OnDemandMaxTotalPrice,
            TerminateExcess = config.ExcessCapacityTerminationPolicy != "noTermination",
            ExcessPolicyGiven = config.ExcessCapacityTerminationPolicy is not null,
            TerminateInstancesWithExpiration = config.TerminateInstancesWithExpiration ?? false,
            ReplaceUnhealthyInstances = config.ReplaceUnhealthyInstances ?? false,
            InstanceInterruptionBehavior = behaviour,
            ValidFrom = config.ValidFrom?.ToUniversalTime(),
            ValidUntil = config.ValidUntil?.ToUniversalTime(),
            IamFleetRole = config.IamFleetRole,
            ClientToken = config.ClientToken,
            Context = config.Context,
            ConfigJson = configJson,
            Pools = pools,
            Tags = [.. tags],
        };
        FleetRules.Submitted(fleet, context.Now);
        foreach (var failure in failures)
        {
            FleetRules.Record(fleet, FleetEventTypes.Information, "launchSpecUnusable", context.Now,
                description: $"{failure.InstanceType ?? "(default type)"}, {failure.SubnetId ?? failure.AvailabilityZone ?? "(default subnet)"}: {failure.Error.Code}: {failure.Error.Message}");
        }
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.SpotFleetRequest, fleet.Id, fleet, context.Now, context.Cancellation).ConfigureAwait(false);
        WakeFleetController(context);
        return new RequestSpotFleetResponse { SpotFleetRequestId = fleet.Id };
    }

    private static AwsException InvalidSpotFleetConfig(string message) => new("InvalidSpotFleetRequestConfig", message);

    private static RunInstancesRequest FromSpotFleetSpec(SpotFleetLaunchSpecification spec, string? subnet, string? zone) => new()
    {
        ImageId = spec.ImageId,
        InstanceType = spec.InstanceType,
        KeyName = spec.KeyName,
        SubnetId = subnet,
        SecurityGroupIds = spec.NetworkInterfaces is { Count: > 0 } ? null : spec.SecurityGroups?.Where(g => g.GroupId is not null).Select(g => g.GroupId!).ToList() is { Count: > 0 } ids ? ids : null,
        SecurityGroups = spec.NetworkInterfaces is { Count: > 0 } ? null : spec.SecurityGroups?.Where(g => g.GroupId is null && g.GroupName is not null).Select(g => g.GroupName!).ToList() is { Count: > 0 } names ? names : null,
        UserData = spec.UserData,
        IamInstanceProfile = spec.IamInstanceProfile,
        Monitoring = spec.Monitoring is { } monitoring ? new RunInstancesMonitoringEnabled { Enabled = monitoring.Enabled ?? false } : null,
        EbsOptimized = spec.EbsOptimized,
        BlockDeviceMappings = spec.BlockDeviceMappings,
        NetworkInterfaces = spec.NetworkInterfaces,
        Placement = zone is null && spec.Placement?.GroupName is null && spec.Placement?.Tenancy is null ? null
            : new Placement { AvailabilityZone = zone, GroupName = spec.Placement?.GroupName, Tenancy = spec.Placement?.Tenancy },
        TagSpecifications = spec.TagSpecifications?.Select(t => new TagSpecification { ResourceType = t.ResourceType ?? "instance", Tags = t.Tags }).ToList(),
    };

    public override async Task<DescribeSpotFleetRequestsResponse> DescribeSpotFleetRequestsAsync(RequestContext context, DescribeSpotFleetRequestsRequest request)
    {
        var fleets = await SelectFleetsAsync(context, FleetKind.SpotFleet, request.SpotFleetRequestIds).ConfigureAwait(false);
        var (page, next) = PageFleetItems(fleets, request.MaxResults, request.NextToken, 1000);
        return new DescribeSpotFleetRequestsResponse
        {
            SpotFleetRequestConfigs = page.Select(ToSpotFleetShape).ToList(),
            NextToken = next,
        };
    }

    public override async Task<ModifySpotFleetRequestResponse> ModifySpotFleetRequestAsync(RequestContext context, ModifySpotFleetRequestRequest request)
    {
        var fleet = await GetFleetAsync(context, FleetKind.SpotFleet, request.SpotFleetRequestId ?? throw AwsErrors.MissingParameter("SpotFleetRequestId")).ConfigureAwait(false);
        if (request.LaunchTemplateConfigs is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("Changing LaunchTemplateConfigs of a Spot Fleet request is not supported; create a new Spot Fleet request.");
        }
        if (request.TargetCapacity is null && request.OnDemandTargetCapacity is null && request.ExcessCapacityTerminationPolicy is null)
        {
            throw AwsErrors.MissingParameter("TargetCapacity");
        }
        CheckModifiable(fleet);
        var target = request.TargetCapacity ?? fleet.TargetCapacity;
        var onDemand = request.OnDemandTargetCapacity ?? fleet.OnDemandTargetCapacity;
        if (target < 0 || onDemand < 0)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({Math.Min(target, onDemand)}) for parameter {(target < 0 ? "targetCapacity" : "onDemandTargetCapacity")} is invalid. Expected a non-negative integer.");
        }
        if (onDemand > target)
        {
            throw InvalidSpotFleetConfig("OnDemandTargetCapacity cannot be greater than TargetCapacity.");
        }
        if (onDemand > 0 && fleet.ConfigJson?.Contains("\"LaunchTemplateConfigs\"", StringComparison.Ordinal) != true)
        {
            throw InvalidSpotFleetConfig("On-Demand capacity (OnDemandTargetCapacity) requires LaunchTemplateConfigs.");
        }
        FleetRules.Modify(fleet, request.TargetCapacity, request.OnDemandTargetCapacity,
            request.ExcessCapacityTerminationPolicy is { } policy ? policy != "noTermination" : null, context.Now);
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.SpotFleetRequest, fleet.Id, fleet, fleet.CreateTime, context.Cancellation).ConfigureAwait(false);
        WakeFleetController(context);
        return new ModifySpotFleetRequestResponse { Return = true };
    }

    /// <summary>Only active maintain fleets can be modified, as on EC2.</summary>
    private static void CheckModifiable(FleetResource fleet)
    {
        var noun = fleet.Kind == FleetKind.SpotFleet ? "Spot Fleet request" : "EC2 Fleet";
        if (fleet.Type != FleetTypes.Maintain)
        {
            throw AwsErrors.InvalidParameterValue($"Only {noun}s of type 'maintain' can be modified; {fleet.Id} is of type '{fleet.Type}'.");
        }
        if (fleet.State is not (FleetStates.Active or FleetStates.Submitted or FleetStates.Modifying))
        {
            throw new AwsException("IncorrectState",
                $"The {noun} {fleet.Id} is in state {FleetRules.StateName(fleet.Kind, fleet.State)} and cannot be modified.");
        }
    }

    public override async Task<CancelSpotFleetRequestsResponse> CancelSpotFleetRequestsAsync(RequestContext context, CancelSpotFleetRequestsRequest request)
    {
        var ids = request.SpotFleetRequestIds is { Count: > 0 } given ? given : throw AwsErrors.MissingParameter("SpotFleetRequestId");
        var terminate = request.TerminateInstances ?? throw AwsErrors.MissingParameter("TerminateInstances");
        var successful = new List<CancelSpotFleetRequestsSuccessItem>();
        var unsuccessful = new List<CancelSpotFleetRequestsErrorItem>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (!FleetIds.IsWellFormed(FleetKind.SpotFleet, id))
            {
                unsuccessful.Add(CancelError(id, "fleetRequestIdMalformed", $"Invalid id: \"{id}\" (expecting \"sfr-...\")"));
                continue;
            }
            var fleet = await context.Store.GetAsync<FleetResource>(context.Scope, ResourceTypes.SpotFleetRequest, id, context.Cancellation).ConfigureAwait(false);
            if (fleet is null)
            {
                unsuccessful.Add(CancelError(id, "fleetRequestIdDoesNotExist", $"The spot fleet request ID '{id}' does not exist"));
                continue;
            }
            if (FleetStates.IsCancelled(fleet.State) || fleet.State == FleetStates.Failed)
            {
                unsuccessful.Add(CancelError(id, "fleetRequestNotInCancellableState", $"The spot fleet request {id} is in state {fleet.State} and cannot be cancelled."));
                continue;
            }
            var previous = FleetRules.Cancel(fleet, terminate, context.Now);
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.SpotFleetRequest, fleet.Id, fleet, fleet.CreateTime, context.Cancellation).ConfigureAwait(false);
            successful.Add(new CancelSpotFleetRequestsSuccessItem { SpotFleetRequestId = id, PreviousSpotFleetRequestState = previous, CurrentSpotFleetRequestState = fleet.State });
        }
        WakeFleetController(context);
        return new CancelSpotFleetRequestsResponse { SuccessfulFleetRequests = successful, UnsuccessfulFleetRequests = unsuccessful };
    }

    private static CancelSpotFleetRequestsErrorItem CancelError(string id, string code, string message) =>
        new() { SpotFleetRequestId = id, Error = new CancelSpotFleetRequestsError { Code = code, Message = message } };

    public override async Task<DescribeSpotFleetInstancesResponse> DescribeSpotFleetInstancesAsync(RequestContext context, DescribeSpotFleetInstancesRequest request)
    {
        var fleet = await GetFleetAsync(context, FleetKind.SpotFleet, request.SpotFleetRequestId ?? throw AwsErrors.MissingParameter("SpotFleetRequestId")).ConfigureAwait(false);
        var (page, next) = PageFleetItems(fleet.Instances.OrderBy(i => i.InstanceId, StringComparer.Ordinal).ToList(), request.MaxResults, request.NextToken, 1000);
        return new DescribeSpotFleetInstancesResponse
        {
            SpotFleetRequestId = fleet.Id,
            ActiveInstances = page.Select(ToActiveInstance).ToList(),
            NextToken = next,
        };
    }

    private static ActiveInstance ToActiveInstance(FleetMember m) => new()
    {
        InstanceId = m.InstanceId,
        InstanceType = m.InstanceType,
        SpotInstanceRequestId = m.SpotInstanceRequestId,
        InstanceHealth = m.Health,
    };

    public override async Task<DescribeSpotFleetRequestHistoryResponse> DescribeSpotFleetRequestHistoryAsync(RequestContext context, DescribeSpotFleetRequestHistoryRequest request)
    {
        var fleet = await GetFleetAsync(context, FleetKind.SpotFleet, request.SpotFleetRequestId ?? throw AwsErrors.MissingParameter("SpotFleetRequestId")).ConfigureAwait(false);
        var start = (request.StartTime ?? throw AwsErrors.MissingParameter("StartTime")).ToUniversalTime();
        var events = fleet.History.Where(e => e.Timestamp >= start && (request.EventType is null || e.EventType == request.EventType)).ToList();
        var (page, next) = PageFleetItems(events, request.MaxResults, request.NextToken, 1000);
        return new DescribeSpotFleetRequestHistoryResponse
        {
            SpotFleetRequestId = fleet.Id,
            StartTime = start,
            LastEvaluatedTime = next is null ? fleet.LastEvaluatedTime : null,
            NextToken = next,
            HistoryRecords = page.Select(e => new HistoryRecord
            {
                Timestamp = e.Timestamp,
                EventType = e.EventType,
                EventInformation = new EventInformation { EventSubType = e.SubType, InstanceId = e.InstanceId, EventDescription = e.Description },
            }).ToList(),
        };
    }

    private static SpotFleetRequestConfig ToSpotFleetShape(FleetResource fleet)
    {
        var data = (fleet.ConfigJson is { } json ? JsonSerializer.Deserialize<SpotFleetRequestConfigData>(json, LaunchTemplateJson) : null) ?? new SpotFleetRequestConfigData();
        data.TargetCapacity = fleet.TargetCapacity;
        data.OnDemandTargetCapacity = fleet.OnDemandTargetCapacity;
        data.FulfilledCapacity = fleet.FulfilledCapacity;
        data.OnDemandFulfilledCapacity = fleet.FulfilledOnDemandCapacity;
        data.Type = fleet.Type;
        data.AllocationStrategy = fleet.SpotAllocationStrategyName;
        data.OnDemandAllocationStrategy = fleet.OnDemandAllocationStrategyName;
        data.ExcessCapacityTerminationPolicy = fleet.ExcessPolicyGiven ? (fleet.TerminateExcess ? "default" : "noTermination") : null;
        data.TerminateInstancesWithExpiration = fleet.TerminateInstancesWithExpiration;
        data.ReplaceUnhealthyInstances = fleet.ReplaceUnhealthyInstances;
        data.InstanceInterruptionBehavior = fleet.InstanceInterruptionBehavior;
        data.ValidFrom = fleet.ValidFrom;
        data.ValidUntil = fleet.ValidUntil;
        data.ClientToken = fleet.ClientToken;
        return new SpotFleetRequestConfig
        {
            SpotFleetRequestId = fleet.Id,
            SpotFleetRequestState = fleet.State,
            ActivityStatus = FleetStates.IsCancelled(fleet.State) && fleet.State != FleetStates.CancelledTerminating ? null : fleet.ActivityStatus,
            CreateTime = fleet.CreateTime,
            SpotFleetRequestConfigValue = data,
            Tags = ToShape(fleet.Tags),
        };
    }

    /// <summary>The fleets of one kind: the named ones (each must exist), or all, oldest first.</summary>
    private static async Task<List<FleetResource>> SelectFleetsAsync(RequestContext context, FleetKind kind, List<string>? ids)
    {
        var type = FleetIds.TypeOf(kind);
        if (ids is { Count: > 0 })
        {
            foreach (var id in ids)
            {
                FleetIds.Check(kind, id);
            }
            var found = await context.Store.GetManyAsync<FleetResource>(context.Scope, type, ids.Distinct(StringComparer.Ordinal).ToList(), context.Cancellation).ConfigureAwait(false);
            var byId = found.ToDictionary(f => f.Id, StringComparer.Ordinal);
            foreach (var id in ids.Where(id => !byId.ContainsKey(id)))
            {
                throw type.NotFound(id);
            }
            return [.. ids.Distinct(StringComparer.Ordinal).Select(id => byId[id])];
        }
        return [.. (await context.Store.ListAsync<FleetResource>(context.Scope, type, context.Cancellation).ConfigureAwait(false))
            .OrderBy(f => f.CreateTime).ThenBy(f => f.Id, StringComparer.Ordinal)];
    }

    private static async Task<FleetResource> GetFleetAsync(RequestContext context, FleetKind kind, string id)
    {
        FleetIds.Check(kind, id);
        return await context.Store.GetAsync<FleetResource>(context.Scope, FleetIds.TypeOf(kind), id, context.Cancellation).ConfigureAwait(false)
            ?? throw FleetIds.TypeOf(kind).NotFound(id);
    }

    /// <summary>A page of a list the handler has in memory; the token is the offset of the next item.</summary>
    private static (List<T> Page, string? NextToken) PageFleetItems<T>(IReadOnlyList<T> items, int? maxResults, string? nextToken, int limit)
    {
        var offset = 0;
        if (!string.IsNullOrEmpty(nextToken))
        {
            if (!int.TryParse(nextToken, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > items.Count)
            {
                throw AwsErrors.InvalidPaginationToken(nextToken);
            }
        }
        var size = maxResults is { } max ? Math.Clamp(max, 1, limit) : limit;
        var page = items.Skip(offset).Take(size).ToList();
        var end = offset + page.Count;
        return (page, end < items.Count ? end.ToString(CultureInfo.InvariantCulture) : null);
    }
}
