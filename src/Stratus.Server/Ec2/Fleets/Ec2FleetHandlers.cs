using System.Globalization;
using System.Text.Json;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Filtering;
using Stratus.Domain.Fleets;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Ec2.Model;
using Stratus.Server.Ec2.Fleets;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;
using FleetRules = Stratus.Domain.Fleets.Fleets;

namespace Stratus.Server.Ec2;

/// <summary>
/// EC2 Fleet: CreateFleet (<c>instant</c> launches in the request and answers with its instances
/// and errors; <c>request</c> and <c>maintain</c> go to <see cref="FleetController"/>),
/// DescribeFleets, ModifyFleet, DeleteFleets, DescribeFleetInstances and DescribeFleetHistory.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>At most this many launch template configs per fleet.</summary>
    private const int MaxFleetLaunchTemplateConfigs = 50;

    [FiltersFor("DescribeFleets")]
    private static readonly FilterSet<FleetResource> FleetFilters = new FilterSet<FleetResource>()
        .Add("activity-status", f => f.ActivityStatus)
        .Add("excess-capacity-termination-policy", f => f.TerminateExcess ? "termination" : "no-termination")
        .Add("fleet-state", f => FleetRules.StateName(FleetKind.Ec2Fleet, f.State))
        .Add("replace-unhealthy-instances", f => f.ReplaceUnhealthyInstances ? "true" : "false")
        .Add("type", f => f.Type);

    [FiltersFor("DescribeFleetInstances")]
    private static readonly FilterSet<FleetMember> FleetInstanceFilters = new FilterSet<FleetMember>()
        .Add("instance-type", m => m.InstanceType);

    public override async Task<CreateFleetResult> CreateFleetAsync(RequestContext context, CreateFleetRequest request)
    {
        var configs = request.LaunchTemplateConfigs is { Count: > 0 } given ? given : throw AwsErrors.MissingParameter("LaunchTemplateConfigs");
        if (configs.Count > MaxFleetLaunchTemplateConfigs)
        {
            throw AwsErrors.InvalidParameterValue($"The number of launch template configs ({configs.Count}) exceeds the limit of {MaxFleetLaunchTemplateConfigs}.");
        }
        var capacity = request.TargetCapacitySpecification ?? throw AwsErrors.MissingParameter("TargetCapacitySpecification");
        var type = request.Type ?? FleetTypes.Maintain;
        var (total, onDemandTarget, defaultType) = FleetTargets(capacity, null);
        var spotOptions = request.SpotOptions;
        var onDemandOptions = request.OnDemandOptions;
        var spotStrategy = spotOptions?.AllocationStrategy is { } sName ? FleetAllocation.Parse(sName)!.Value : FleetAllocationStrategy.LowestPrice;
        var onDemandStrategy = onDemandOptions?.AllocationStrategy is { } oName ? FleetAllocation.Parse(oName)!.Value : FleetAllocationStrategy.LowestPrice;
        if (spotOptions?.InstancePoolsToUseCount is { } poolsToUse && (poolsToUse < 1 || spotStrategy != FleetAllocationStrategy.LowestPrice))
        {
            throw AwsErrors.InvalidParameterValue(poolsToUse < 1
                ? $"Value ({poolsToUse}) for parameter InstancePoolsToUseCount is invalid. Expected a positive integer."
                : "InstancePoolsToUseCount is valid only when the Spot allocation strategy is lowest-price.");
        }
        foreach (var (min, single, name) in new[]
        {
            (spotOptions?.MinTargetCapacity, (spotOptions?.SingleInstanceType ?? false) || (spotOptions?.SingleAvailabilityZone ?? false), "SpotOptions"),
            (onDemandOptions?.MinTargetCapacity, (onDemandOptions?.SingleInstanceType ?? false) || (onDemandOptions?.SingleAvailabilityZone ?? false), "OnDemandOptions"),
        })
        {
            if (min is { } m && (type != FleetTypes.Instant || !single || m < 0))
            {
                throw AwsErrors.InvalidParameterCombination(
                    $"{name}.MinTargetCapacity is supported only for fleets of type instant, together with SingleInstanceType or SingleAvailabilityZone.");
            }
        }
        var behaviour = spotOptions?.InstanceInterruptionBehavior ?? SpotInterruptionBehaviors.Terminate;
        if (behaviour != SpotInterruptionBehaviors.Terminate && type != FleetTypes.Maintain)
        {
            throw AwsErrors.InvalidParameterCombination($"The instance interruption behavior '{behaviour}' is only supported for fleets of type maintain.");
        }
        if (type == FleetTypes.Instant && (request.ValidFrom is not null || request.ValidUntil is not null))
        {
            throw AwsErrors.InvalidParameterCombination("ValidFrom and ValidUntil are not supported for fleets of type instant.");
        }
        CheckValidity(context.Now, request.ValidFrom, request.ValidUntil);
        _ = CheckMaxPrice(spotOptions?.MaxTotalPrice);
        _ = CheckMaxPrice(onDemandOptions?.MaxTotalPrice);
        var fleetTags = TagsOnCreate(request.TagSpecifications?.Where(t => t.ResourceType != "instance").ToList(), ResourceTypes.Fleet.Name);
        var instanceTags = TagsOnCreate(request.TagSpecifications?.Where(t => t.ResourceType == "instance").ToList(), "instance");
        if (instanceTags.Count > 0 && type != FleetTypes.Instant)
        {
            throw AwsErrors.InvalidParameterValue("Instance tags in TagSpecifications are supported only for fleets of type instant; tag instances through the launch template.");
        }

        var candidates = new List<FleetPoolCandidate>();
        for (var i = 0; i < configs.Count; i++)
        {
            var lt = configs[i].LaunchTemplateSpecification ?? throw AwsErrors.MissingParameter($"LaunchTemplateConfigs.{i + 1}.LaunchTemplateSpecification");
            if (lt.LaunchTemplateId is null == lt.LaunchTemplateName is null)
            {
                throw AwsErrors.InvalidParameterValue("A launch template must be specified by either its ID or its name.");
            }
            var template = new LaunchTemplateSpecification { LaunchTemplateId = lt.LaunchTemplateId, LaunchTemplateName = lt.LaunchTemplateName, Version = lt.Version };
            var overrides = configs[i].Overrides is { Count: > 0 } list ? list : [new FleetLaunchTemplateOverridesRequest()];
            for (var j = 0; j < overrides.Count; j++)
            {
                var o = overrides[j];
                if (o.InstanceRequirements is not null && o.InstanceType is not null)
                {
                    throw AwsErrors.InvalidParameterCombination("An override can specify InstanceType or InstanceRequirements, not both.");
                }
                _ = CheckMaxPrice(o.MaxPrice);
                var typeNames = o.InstanceRequirements is { } req ? InstanceTypesFor(req, context.Region) : [o.InstanceType];
                var zone = o.AvailabilityZone ?? o.Placement?.AvailabilityZone;
                foreach (var typeName in typeNames)
                {
                    candidates.Add(new FleetPoolCandidate(i, configs[i].Overrides is { Count: > 0 } ? j : null,
                        (subnet, az) => new RunInstancesRequest
                        {
                            LaunchTemplate = template,
                            InstanceType = typeName,
                            ImageId = o.ImageId,
                            SubnetId = subnet,
                            Placement = az is null && o.Placement?.GroupName is null ? null
                                : new Placement { AvailabilityZone = az, GroupName = o.Placement?.GroupName, Tenancy = o.Placement?.Tenancy },
                        },
                        SplitList(o.SubnetId), SplitList(zone), CheckWeight(o.WeightedCapacity, "WeightedCapacity"), o.Priority, o.MaxPrice));
                }
            }
        }
        var (pools, failures) = await ResolveFleetPoolsAsync(context, candidates, spot: total - onDemandTarget > 0).ConfigureAwait(false);
        if (capacity.TargetCapacityUnitType is { } unit and not "units")
        {
            // vCPUs or MiB: an instance counts for its own, unless the override gives a weight.
            pools = [.. pools.Select(p => p.WeightGiven || InstanceTypeCatalog.Find(p.InstanceType) is not { } t ? p
                : p with { WeightedCapacity = unit == "vcpu" ? t.DefaultVCpus : t.MemoryMiB })];
        }
        if (pools.Count == 0 && type != FleetTypes.Instant)
        {
            throw failures.Count > 0 ? failures[0].Error : AwsErrors.InvalidParameterValue("The fleet has no usable launch template override.");
        }
        var fleet = new FleetResource
        {
            Id = FleetIds.New(FleetKind.Ec2Fleet),
            Kind = FleetKind.Ec2Fleet,
            Type = type,
            State = FleetStates.Submitted,
            CreateTime = context.Now,
            TargetCapacity = total,
            OnDemandTargetCapacity = onDemandTarget,
            SpotTargetCapacity = capacity.SpotTargetCapacity,
            DefaultTargetCapacityType = defaultType,
            TargetCapacityUnitType = capacity.TargetCapacityUnitType,
            SpotAllocationStrategy = spotStrategy,
            SpotAllocationStrategyName = spotOptions?.AllocationStrategy ?? "lowest-price",
            OnDemandAllocationStrategy = onDemandStrategy,
            OnDemandAllocationStrategyName = onDemandOptions?.AllocationStrategy ?? "lowest-price",
            InstancePoolsToUseCount = spotOptions?.InstancePoolsToUseCount,
            SpotMaxTotalPrice = spotOptions?.MaxTotalPrice,
            OnDemandMaxTotalPrice = onDemandOptions?.MaxTotalPrice,
            SpotMinTargetCapacity = spotOptions?.MinTargetCapacity,
            OnDemandMinTargetCapacity = onDemandOptions?.MinTargetCapacity,
            SpotSingleInstanceType = spotOptions?.SingleInstanceType ?? false,
            SpotSingleAvailabilityZone = spotOptions?.SingleAvailabilityZone ?? false,
            OnDemandSingleInstanceType = onDemandOptions?.SingleInstanceType ?? false,
            OnDemandSingleAvailabilityZone = onDemandOptions?.SingleAvailabilityZone ?? false,
            TerminateExcess = request.ExcessCapacityTerminationPolicy != "no-termination",
            ExcessPolicyGiven = request.ExcessCapacityTerminationPolicy is not null,
            TerminateInstancesWithExpiration = request.TerminateInstancesWithExpiration ?? false,
            ReplaceUnhealthyInstances = request.ReplaceUnhealthyInstances ?? false,
            InstanceInterruptionBehavior = behaviour,
            ValidFrom = request.ValidFrom?.ToUniversalTime(),
            ValidUntil = request.ValidUntil?.ToUniversalTime(),
            ClientToken = request.ClientToken,
            Context = request.Context,
            ConfigJson = JsonSerializer.Serialize(configs, LaunchTemplateJson),
            Pools = pools,
            Tags = [.. fleetTags],
        };
        FleetRules.Submitted(fleet, context.Now);
        var failureLifecycle = total - onDemandTarget > 0 ? FleetLifecycles.Spot : FleetLifecycles.OnDemand;
        var errors = failures.DistinctBy(f => (f.ConfigIndex, f.OverrideIndex, f.InstanceType, f.Error.Code)).Select(f => new CreateFleetError
        {
            ErrorCode = f.Error.Code,
            ErrorMessage = f.Error.Message,
            Lifecycle = failureLifecycle,
            LaunchTemplateAndOverrides = ToLaunchTemplateAndOverrides(configs, f.ConfigIndex, f.OverrideIndex, f.InstanceType, f.SubnetId, f.AvailabilityZone),
        }).ToList();
        if (type != FleetTypes.Instant)
        {
            foreach (var failure in failures)
            {
                FleetRules.Record(fleet, FleetEventTypes.Information, "launchSpecUnusable", context.Now,
                    description: $"{failure.InstanceType ?? "(template type)"}: {failure.Error.Code}: {failure.Error.Message}");
            }
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.Fleet, fleet.Id, fleet, context.Now, context.Cancellation).ConfigureAwait(false);
            WakeFleetController(context);
            return new CreateFleetResult { FleetId = fleet.Id, Errors = errors.Count > 0 ? errors : null };
        }

        // instant: launch now, in this request's transaction, one instance at a time (each launch sees the ones before it).
        _ = FleetRules.Evaluate(fleet, context.Now);
        var launched = new List<(FleetMember Member, Domain.Instances.InstanceResource Instance)>();
        foreach (var (lifecycleName, need, min) in new[]
        {
            (FleetLifecycles.OnDemand, (double)onDemandTarget, fleet.OnDemandMinTargetCapacity),
            (FleetLifecycles.Spot, (double)(total - onDemandTarget), fleet.SpotMinTargetCapacity),
        })
        {
            await LaunchInstantAsync(context, fleet, configs, lifecycleName, need, min, [.. instanceTags], launched, errors).ConfigureAwait(false);
        }
        FleetRules.UpdateActivity(fleet, errors.Count > 0, context.Now);
        fleet.Errors.AddRange(errors.Select(e => new FleetLaunchError
        {
            PoolIndex = -1,
            Lifecycle = e.Lifecycle ?? failureLifecycle,
            Code = e.ErrorCode ?? "",
            Message = JsonSerializer.Serialize(e, LaunchTemplateJson),
        }));
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Fleet, fleet.Id, fleet, context.Now, context.Cancellation).ConfigureAwait(false);
        if (!context.DryRun)
        {
            var scope = context.Scope;
            context.AfterCommit(() =>
            {
                foreach (var (_, instance) in launched)
                {
                    _lifecycle.Enqueue(new LifecycleCommand(scope, instance.Id, LifecycleAction.Boot));
                }
                return Task.CompletedTask;
            });
        }
        WakeFleetController(context);
        return new CreateFleetResult
        {
            FleetId = fleet.Id,
            Instances = ToCreateFleetInstances(fleet, configs, launched.Select(l => l.Member)),
            Errors = errors,
        };
    }

    /// <summary>
    /// Launches one purchase option of an instant fleet: the allocation chooses pools, each
    /// instance is planned and launched in turn; a pool whose plan fails is an error entry and
    /// is left out while the allocation chooses again. With a minimum target capacity the launch
    /// is planned first and nothing is launched when the minimum cannot be met.
    /// </summary>
    private async Task LaunchInstantAsync(RequestContext context, FleetResource fleet, List<FleetLaunchTemplateConfigRequest> configs, string lifecycleName,
        double need, int? minimum, IReadOnlyList<Domain.Resources.Tag> instanceTags, List<(FleetMember Member, Domain.Instances.InstanceResource Instance)> launched, List<CreateFleetError> errors)
    {
        if (need <= 0)
        {
            return;
        }
        if (minimum is { } min && min > 0)
        {
            var quotes = FleetLauncher.Quote(fleet, context.Region, context.Now);
            var picks = FleetLauncher.Choose(fleet, quotes, lifecycleName, need);
            var reachable = picks.Sum(p => fleet.Pools[p].WeightedCapacity);
            if (reachable < min)
            {
                errors.Add(new CreateFleetError
                {
                    ErrorCode = "InsufficientInstanceCapacity",
                    ErrorMessage = $"The fleet could not reach its minimum target capacity of {min} {lifecycleName} units (at most {reachable.ToString(CultureInfo.InvariantCulture)} available).",
                    Lifecycle = lifecycleName,
                });
                return;
            }
        }
        var excluded = new HashSet<int>();
        while (need > 1e-9)
        {
            var quotes = FleetLauncher.Quote(fleet, context.Region, context.Now, excluded);
            var picks = FleetLauncher.Choose(fleet, quotes, lifecycleName, need);
            if (picks.Count == 0)
            {
                if (quotes.Count > 0 || fleet.Pools.Count > excluded.Count)
                {
                    var reason = lifecycleName == FleetLifecycles.Spot
                        ? "No Spot capacity is available within the fleet's maximum prices."
                        : "The fleet's maximum total price does not allow more On-Demand capacity.";
                    errors.Add(new CreateFleetError { ErrorCode = "InsufficientInstanceCapacity", ErrorMessage = reason, Lifecycle = lifecycleName });
                }
                return;
            }
            foreach (var poolIndex in picks)
            {
                var pool = fleet.Pools[poolIndex];
                FleetLauncher.PlannedLaunch planned;
                try
                {
                    planned = await FleetLauncher.PlanAsync(context.Transaction, context.Scope, fleet, pool, lifecycleName, _lifecycle.Runtime.Name, instanceTags, context.Now, context.Cancellation).ConfigureAwait(false);
                }
                catch (AwsException e)
                {
                    excluded.Add(poolIndex);
                    errors.Add(new CreateFleetError
                    {
                        ErrorCode = e.Code,
                        ErrorMessage = e.Message,
                        Lifecycle = lifecycleName,
                        LaunchTemplateAndOverrides = ToLaunchTemplateAndOverrides(configs, pool),
                    });
                    break;
                }
                var (member, instance) = await FleetLauncher.LaunchAsync(context.Transaction, context.Scope, planned, context.Now, context.Cancellation).ConfigureAwait(false);
                FleetRules.Launched(fleet, member, context.Now);
                launched.Add((member, instance));
                need -= member.Weight;
            }
            if (excluded.Count >= fleet.Pools.Count)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Total, on-demand target and default type of a target capacity specification: capacity that
    /// neither OnDemandTargetCapacity nor SpotTargetCapacity claims goes to
    /// DefaultTargetCapacityType (on-demand when not given).
    /// </summary>
    private static (int Total, int OnDemand, string DefaultType) FleetTargets(TargetCapacitySpecificationRequest capacity, FleetResource? current)
    {
        var total = capacity.TotalTargetCapacity ?? throw AwsErrors.MissingParameter("TargetCapacitySpecification.TotalTargetCapacity");
        var defaultType = capacity.DefaultTargetCapacityType ?? current?.DefaultTargetCapacityType ?? "on-demand";
        if (defaultType is not ("spot" or "on-demand"))
        {
            throw AwsErrors.InvalidParameterValue($"The DefaultTargetCapacityType '{defaultType}' is not supported; use spot or on-demand.");
        }
        var onDemand = capacity.OnDemandTargetCapacity ?? 0;
        var spot = capacity.SpotTargetCapacity ?? 0;
        if (total < 0 || onDemand < 0 || spot < 0)
        {
            throw AwsErrors.InvalidParameterValue("Target capacities must not be negative.");
        }
        if (onDemand + spot > total)
        {
            throw AwsErrors.InvalidParameterValue(
                $"TotalTargetCapacity ({total}) must be greater than or equal to the sum of OnDemandTargetCapacity ({onDemand}) and SpotTargetCapacity ({spot}).");
        }
        return (total, onDemand + (defaultType == "on-demand" ? total - onDemand - spot : 0), defaultType);
    }

    private static LaunchTemplateAndOverridesResponse ToLaunchTemplateAndOverrides(List<FleetLaunchTemplateConfigRequest> configs, FleetPool pool) =>
        ToLaunchTemplateAndOverrides(configs, pool.ConfigIndex, pool.OverrideIndex, pool.InstanceType, pool.SubnetId, pool.AvailabilityZone,
            pool.WeightGiven ? pool.WeightedCapacity : null, pool.Priority, pool.MaxPrice);

    private static LaunchTemplateAndOverridesResponse ToLaunchTemplateAndOverrides(List<FleetLaunchTemplateConfigRequest> configs, int configIndex, int? overrideIndex,
        string? instanceType, string? subnetId, string? zone, double? weight = null, double? priority = null, string? maxPrice = null)
    {
        var lt = configs[configIndex].LaunchTemplateSpecification;
        var o = overrideIndex is { } j ? configs[configIndex].Overrides?[j] : null;
        return new LaunchTemplateAndOverridesResponse
        {
            LaunchTemplateSpecification = new FleetLaunchTemplateSpecification { LaunchTemplateId = lt?.LaunchTemplateId, LaunchTemplateName = lt?.LaunchTemplateName, Version = lt?.Version },
            Overrides = new FleetLaunchTemplateOverrides
            {
                InstanceType = instanceType ?? o?.InstanceType,
                SubnetId = o?.SubnetId is null ? null : subnetId ?? o.SubnetId,
                AvailabilityZone = o?.AvailabilityZone is null ? null : zone ?? o.AvailabilityZone,
                WeightedCapacity = weight ?? o?.WeightedCapacity,
                Priority = priority ?? o?.Priority,
                MaxPrice = maxPrice ?? o?.MaxPrice,
                ImageId = o?.ImageId,
            },
        };
    }

    private static List<CreateFleetInstance> ToCreateFleetInstances(FleetResource fleet, List<FleetLaunchTemplateConfigRequest> configs, IEnumerable<FleetMember> members) =>
        members.GroupBy(m => (m.PoolIndex, m.Lifecycle)).OrderBy(g => g.Key.PoolIndex).ThenBy(g => g.Key.Lifecycle, StringComparer.Ordinal)
            .Select(g => new CreateFleetInstance
            {
                LaunchTemplateAndOverrides = ToLaunchTemplateAndOverrides(configs, fleet.Pools[g.Key.PoolIndex]),
                Lifecycle = g.Key.Lifecycle,
                InstanceIds = g.Select(m => m.InstanceId).ToList(),
                InstanceType = fleet.Pools[g.Key.PoolIndex].InstanceType,
                Platform = null,
            }).ToList();

    public override async Task<DescribeFleetsResult> DescribeFleetsAsync(RequestContext context, DescribeFleetsRequest request)
    {
        Paginator.RejectIdsWithMaxResults(request.FleetIds, request.MaxResults, "FleetIds");
        var fleets = await SelectFleetsAsync(context, FleetKind.Ec2Fleet, request.FleetIds).ConfigureAwait(false);
        var filtered = FleetFilters.Apply(fleets, ToCriteria(request.Filters)).ToList();
        var (page, next) = PageFleetItems(filtered, request.MaxResults, request.NextToken, 1000);
        return new DescribeFleetsResult { Fleets = page.Select(ToFleetData).ToList(), NextToken = next };
    }

    private static FleetData ToFleetData(FleetResource fleet)
    {
        var configs = fleet.ConfigJson is { } json ? JsonSerializer.Deserialize<List<FleetLaunchTemplateConfigRequest>>(json, LaunchTemplateJson) ?? [] : [];
        var instant = fleet.Type == FleetTypes.Instant;
        return new FleetData
        {
            FleetId = fleet.Id,
            FleetState = FleetRules.StateName(FleetKind.Ec2Fleet, fleet.State),
            ActivityStatus = fleet.ActivityStatus,
            ClientToken = fleet.ClientToken,
            Context = fleet.Context,
            CreateTime = fleet.CreateTime,
            ExcessCapacityTerminationPolicy = instant ? null : fleet.TerminateExcess ? "termination" : "no-termination",
            FulfilledCapacity = fleet.FulfilledCapacity,
            FulfilledOnDemandCapacity = fleet.FulfilledOnDemandCapacity,
            LaunchTemplateConfigs = configs.Count == 0 ? null : JsonSerializer.Deserialize<List<FleetLaunchTemplateConfig>>(JsonSerializer.Serialize(configs, LaunchTemplateJson), LaunchTemplateJson),
            TargetCapacitySpecification = new TargetCapacitySpecification
            {
                TotalTargetCapacity = fleet.TargetCapacity,
                OnDemandTargetCapacity = fleet.OnDemandTargetCapacity,
                SpotTargetCapacity = fleet.TargetCapacity - fleet.OnDemandTargetCapacity,
                DefaultTargetCapacityType = fleet.DefaultTargetCapacityType,
                TargetCapacityUnitType = fleet.TargetCapacityUnitType,
            },
            TerminateInstancesWithExpiration = fleet.TerminateInstancesWithExpiration,
            Type = fleet.Type,
            ValidFrom = fleet.ValidFrom,
            ValidUntil = fleet.ValidUntil,
            ReplaceUnhealthyInstances = fleet.ReplaceUnhealthyInstances,
            SpotOptions = new SpotOptions
            {
                AllocationStrategy = fleet.SpotAllocationStrategyName,
                InstanceInterruptionBehavior = fleet.InstanceInterruptionBehavior,
                InstancePoolsToUseCount = fleet.InstancePoolsToUseCount,
                MaxTotalPrice = fleet.SpotMaxTotalPrice,
                MinTargetCapacity = fleet.SpotMinTargetCapacity,
                SingleAvailabilityZone = fleet.SpotSingleAvailabilityZone ? true : null,
                SingleInstanceType = fleet.SpotSingleInstanceType ? true : null,
            },
            OnDemandOptions = new OnDemandOptions
            {
                AllocationStrategy = fleet.OnDemandAllocationStrategyName,
                MaxTotalPrice = fleet.OnDemandMaxTotalPrice,
                MinTargetCapacity = fleet.OnDemandMinTargetCapacity,
                SingleAvailabilityZone = fleet.OnDemandSingleAvailabilityZone ? true : null,
                SingleInstanceType = fleet.OnDemandSingleInstanceType ? true : null,
            },
            Instances = instant ? ToCreateFleetInstances(fleet, configs, fleet.Instances)
                .Select(i => new DescribeFleetsInstances { InstanceIds = i.InstanceIds, InstanceType = i.InstanceType, Lifecycle = i.Lifecycle, LaunchTemplateAndOverrides = i.LaunchTemplateAndOverrides })
                .ToList() : null,
            Errors = instant ? fleet.Errors.Where(e => e.PoolIndex == -1)
                .Select(e => JsonSerializer.Deserialize<DescribeFleetError>(e.Message, LaunchTemplateJson)!).ToList() : null,
            Tags = ToShape(fleet.Tags),
        };
    }

    public override async Task<ModifyFleetResult> ModifyFleetAsync(RequestContext context, ModifyFleetRequest request)
    {
        var fleet = await GetFleetAsync(context, FleetKind.Ec2Fleet, request.FleetId ?? throw AwsErrors.MissingParameter("FleetId")).ConfigureAwait(false);
        if (request.LaunchTemplateConfigs is { Count: > 0 })
        {
            throw AwsErrors.InvalidParameterValue("Changing LaunchTemplateConfigs of an EC2 Fleet is not supported; create a new fleet.");
        }
        if (request.TargetCapacitySpecification is null && request.ExcessCapacityTerminationPolicy is null)
        {
            throw AwsErrors.MissingParameter("TargetCapacitySpecification");
        }
        CheckModifiable(fleet);
        int? total = null, onDemand = null;
        if (request.TargetCapacitySpecification is { } capacity)
        {
            var targets = FleetTargets(capacity, fleet);
            (total, onDemand) = (targets.Total, targets.OnDemand);
        }
        FleetRules.Modify(fleet, total, onDemand, request.ExcessCapacityTerminationPolicy is { } policy ? policy != "no-termination" : null, context.Now);
        await context.Transaction.PutAsync(context.Scope, ResourceTypes.Fleet, fleet.Id, fleet, fleet.CreateTime, context.Cancellation).ConfigureAwait(false);
        WakeFleetController(context);
        return new ModifyFleetResult { Return = true };
    }

    public override async Task<DeleteFleetsResult> DeleteFleetsAsync(RequestContext context, DeleteFleetsRequest request)
    {
        var ids = request.FleetIds is { Count: > 0 } given ? given : throw AwsErrors.MissingParameter("FleetId");
        var terminate = request.TerminateInstances ?? throw AwsErrors.MissingParameter("TerminateInstances");
        var successful = new List<DeleteFleetSuccessItem>();
        var unsuccessful = new List<DeleteFleetErrorItem>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            if (!FleetIds.IsWellFormed(FleetKind.Ec2Fleet, id))
            {
                unsuccessful.Add(DeleteError(id, "fleetIdMalformed", $"Invalid id: \"{id}\" (expecting \"fleet-...\")"));
                continue;
            }
            var fleet = await context.Store.GetAsync<FleetResource>(context.Scope, ResourceTypes.Fleet, id, context.Cancellation).ConfigureAwait(false);
            if (fleet is null)
            {
                unsuccessful.Add(DeleteError(id, "fleetIdDoesNotExist", $"The fleet ID '{id}' does not exist"));
                continue;
            }
            if (FleetStates.IsCancelled(fleet.State) || fleet.State == FleetStates.Failed)
            {
                unsuccessful.Add(DeleteError(id, "fleetNotInDeletableState", $"The fleet {id} is in state {FleetRules.StateName(FleetKind.Ec2Fleet, fleet.State)} and cannot be deleted."));
                continue;
            }
            if (fleet.Type == FleetTypes.Instant && !terminate)
            {
                unsuccessful.Add(DeleteError(id, "fleetNotInDeletableState", "An EC2 Fleet of type instant must terminate its instances when it is deleted (TerminateInstances true)."));
                continue;
            }
            var previous = FleetRules.Cancel(fleet, terminate, context.Now);
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.Fleet, fleet.Id, fleet, fleet.CreateTime, context.Cancellation).ConfigureAwait(false);
            successful.Add(new DeleteFleetSuccessItem
            {
                FleetId = id,
                PreviousFleetState = FleetRules.StateName(FleetKind.Ec2Fleet, previous),
                CurrentFleetState = FleetRules.StateName(FleetKind.Ec2Fleet, fleet.State),
            });
        }
        WakeFleetController(context);
        return new DeleteFleetsResult { SuccessfulFleetDeletions = successful, UnsuccessfulFleetDeletions = unsuccessful };
    }

    private static DeleteFleetErrorItem DeleteError(string id, string code, string message) =>
        new() { FleetId = id, Error = new DeleteFleetError { Code = code, Message = message } };

    public override async Task<DescribeFleetInstancesResult> DescribeFleetInstancesAsync(RequestContext context, DescribeFleetInstancesRequest request)
    {
        var fleet = await GetFleetAsync(context, FleetKind.Ec2Fleet, request.FleetId ?? throw AwsErrors.MissingParameter("FleetId")).ConfigureAwait(false);
        var members = FleetInstanceFilters.Apply(fleet.Instances.OrderBy(i => i.InstanceId, StringComparer.Ordinal), ToCriteria(request.Filters)).ToList();
        var (page, next) = PageFleetItems(members, request.MaxResults, request.NextToken, 1000);
        return new DescribeFleetInstancesResult { FleetId = fleet.Id, ActiveInstances = page.Select(ToActiveInstance).ToList(), NextToken = next };
    }

    public override async Task<DescribeFleetHistoryResult> DescribeFleetHistoryAsync(RequestContext context, DescribeFleetHistoryRequest request)
    {
        var fleet = await GetFleetAsync(context, FleetKind.Ec2Fleet, request.FleetId ?? throw AwsErrors.MissingParameter("FleetId")).ConfigureAwait(false);
        var start = (request.StartTime ?? throw AwsErrors.MissingParameter("StartTime")).ToUniversalTime();
        var events = fleet.History
            .Select(e => (Event: e, Type: Ec2FleetEventType(e.EventType)))
            .Where(e => e.Event.Timestamp >= start && (request.EventType is null || e.Type == request.EventType))
            .ToList();
        var (page, next) = PageFleetItems(events, request.MaxResults, request.NextToken, 1000);
        return new DescribeFleetHistoryResult
        {
            FleetId = fleet.Id,
            StartTime = start,
            LastEvaluatedTime = next is null ? fleet.LastEvaluatedTime : null,
            NextToken = next,
            HistoryRecords = page.Select(e => new HistoryRecordEntry
            {
                Timestamp = e.Event.Timestamp,
                EventType = e.Type,
                EventInformation = new EventInformation
                {
                    EventSubType = e.Event.EventType == FleetEventTypes.FleetRequestChange ? FleetRules.StateName(FleetKind.Ec2Fleet, e.Event.SubType) : e.Event.SubType,
                    InstanceId = e.Event.InstanceId,
                    EventDescription = e.Event.Description,
                },
            }).ToList(),
        };
    }

    /// <summary>EC2 Fleet's event types: <c>instance-change</c>, <c>fleet-change</c>, <c>service-error</c> (errors and information).</summary>
    private static string Ec2FleetEventType(string type) => type switch
    {
        FleetEventTypes.InstanceChange => "instance-change",
        FleetEventTypes.FleetRequestChange => "fleet-change",
        _ => "service-error",
    };
}
