using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Spot;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Spot instance requests: RequestSpotInstances, DescribeSpotInstanceRequests,
/// CancelSpotInstanceRequests, and the requests RunInstances makes for spot market options. The
/// life of a request is in src/Stratus.Domain/Spot; <see cref="Spot.SpotController"/> fulfils and
/// interrupts.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>How many requests one RequestSpotInstances may make.</summary>
    private const int MaxSpotInstanceCount = 1000;

    [FiltersFor("DescribeSpotInstanceRequests")]
    private static readonly FilterSet<SpotInstanceRequestResource> SpotRequestFilters = new FilterSet<SpotInstanceRequestResource>()
        .Add("availability-zone-group", r => r.AvailabilityZoneGroup)
        .Add("create-time", r => Timestamp(r.CreateTime))
        .Add("fault-code", r => r.FaultCode)
        .Add("fault-message", r => r.FaultMessage)
        .Add("instance-id", r => r.InstanceId)
        .Add("launch-group", r => r.LaunchGroup)
        .AddMany("launch.block-device-mapping.delete-on-termination", r => r.Launch.BlockDevices.Select(b => b.DeleteOnTermination is { } d ? (d ? "true" : "false") : null))
        .AddMany("launch.block-device-mapping.device-name", r => r.Launch.BlockDevices.Select(b => b.DeviceName))
        .AddMany("launch.block-device-mapping.snapshot-id", r => r.Launch.BlockDevices.Select(b => b.SnapshotId))
        .AddMany("launch.block-device-mapping.volume-size", r => r.Launch.BlockDevices.Select(b => b.VolumeSize?.ToString(CultureInfo.InvariantCulture)))
        .AddMany("launch.block-device-mapping.volume-type", r => r.Launch.BlockDevices.Select(b => b.VolumeType))
        .AddMany("launch.group-id", r => r.LaunchGroups.Select(g => g.GroupId))
        .AddMany("launch.group-name", r => r.LaunchGroups.Select(g => g.GroupName))
        .Add("launch.image-id", r => r.Launch.ImageId)
        .Add("launch.instance-type", r => r.Launch.InstanceType)
        .Add("launch.kernel-id", _ => null)
        .Add("launch.key-name", r => r.Launch.KeyName)
        .Add("launch.monitoring-enabled", r => r.Launch.Monitoring ? "true" : "false")
        .Add("launch.ramdisk-id", _ => null)
        .Add("launched-availability-zone", r => r.LaunchedAvailabilityZone)
        .Add("launched-availability-zone-id", r => r.LaunchedAvailabilityZoneId)
        .Add("network-interface.addresses.primary", r => r.LaunchInterface?.PrivateIpAddress is null ? null : "true")
        .Add("network-interface.delete-on-termination", r => r.LaunchInterface?.DeleteOnTermination is { } d ? (d ? "true" : "false") : null)
        .Add("network-interface.description", r => r.LaunchInterface?.Description)
        .Add("network-interface.device-index", r => r.LaunchInterface?.DeviceIndex.ToString(CultureInfo.InvariantCulture))
        .AddMany("network-interface.group-id", r => r.LaunchInterface?.GroupIds ?? [])
        .Add("network-interface.network-interface-id", r => r.LaunchInterface?.NetworkInterfaceId)
        .Add("network-interface.private-ip-address", r => r.LaunchInterface?.PrivateIpAddress)
        .Add("network-interface.subnet-id", r => r.LaunchInterface?.SubnetId)
        .Add("product-description", r => r.ProductDescription)
        .Add("spot-instance-request-id", r => r.Id)
        .Add("spot-price", r => SpotPriceModel.Parse(r.SpotPrice) is { } p ? SpotPriceModel.Format(p) : r.SpotPrice)
        .Add("state", r => r.State)
        .Add("status-code", r => r.StatusCode)
        .Add("status-message", r => r.StatusMessage)
        .Add("type", r => r.Type)
        .Add("valid-from", r => r.ValidFrom is { } from ? Timestamp(from) : null)
        .Add("valid-until", r => r.ValidUntil is { } until ? Timestamp(until) : null)
        .WithTags(r => r.Tags);

    private static string Timestamp(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public override async Task<RequestSpotInstancesResult> RequestSpotInstancesAsync(RequestContext context, RequestSpotInstancesRequest request)
    {
        var type = request.Type ?? SpotRequestTypes.OneTime;
        var behaviour = request.InstanceInterruptionBehavior ?? SpotInterruptionBehaviors.Terminate;
        if (behaviour != SpotInterruptionBehaviors.Terminate && type != SpotRequestTypes.Persistent)
        {
            throw AwsErrors.InvalidParameterCombination($"The instance interruption behavior '{behaviour}' is only supported for persistent Spot Instance requests.");
        }
        if (request.BlockDurationMinutes is not null)
        {
            throw AwsErrors.InvalidParameterValue("Spot Instances with a defined duration (Spot blocks) are no longer supported.");
        }
        var count = request.InstanceCount ?? 1;
        if (count is < 1 or > MaxSpotInstanceCount)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({count}) for parameter instanceCount is invalid. Expected a value between 1 and {MaxSpotInstanceCount}.");
        }
        CheckValidity(context.Now, request.ValidFrom, request.ValidUntil);
        var maxPrice = CheckMaxPrice(request.SpotPrice);
        var launch = request.LaunchSpecification ?? throw AwsErrors.MissingParameter("LaunchSpecification");
        if (request.ClientToken is { } token)
        {
            // The same token answers with the requests it made (RequestSpotInstances' token is not
            // an idempotency token of the model, so the gateway does not keep the response).
            var made = (await context.Store.ListAsync<SpotInstanceRequestResource>(context.Scope, ResourceTypes.SpotInstanceRequest, context.Cancellation).ConfigureAwait(false))
                .Where(r => r.ClientToken == token)
                .OrderBy(r => r.BatchIndex)
                .ToList();
            if (made.Count > 0)
            {
                return new RequestSpotInstancesResult { SpotInstanceRequests = made.Select(ToShape).ToList() };
            }
        }
        var run = new RunInstancesRequest
        {
            ImageId = launch.ImageId ?? throw AwsErrors.MissingParameter("LaunchSpecification.ImageId"),
            InstanceType = launch.InstanceType,
            KeyName = launch.KeyName,
            SubnetId = launch.SubnetId,
            SecurityGroupIds = launch.SecurityGroupIds,
            SecurityGroups = launch.SecurityGroups,
            UserData = launch.UserData,
            IamInstanceProfile = launch.IamInstanceProfile,
            Monitoring = launch.Monitoring,
            EbsOptimized = launch.EbsOptimized,
            BlockDeviceMappings = launch.BlockDeviceMappings,
            NetworkInterfaces = launch.NetworkInterfaces,
            Placement = launch.Placement is { } placement
                ? new Placement { AvailabilityZone = placement.AvailabilityZone, GroupName = placement.GroupName, Tenancy = placement.Tenancy }
                : null,
            MinCount = count,
            MaxCount = count,
        };
        var spec = ToLaunchSpec(run, []) with { Spot = true };
        // The whole launch is checked now, as EC2 does: image, type, network, groups, key, quota.
        var plan = await LaunchPlanner.PlanAsync(context.Store, context.Scope, spec, _lifecycle.Runtime.Name, context.Now, context.Cancellation).ConfigureAwait(false);
        if (plan.InstanceProfile is { } profile)
        {
            await CheckPassRoleAsync(context, profile).ConfigureAwait(false);
        }
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.SpotInstanceRequest.Name);
        var nic = launch.NetworkInterfaces?.Find(n => (n.DeviceIndex ?? 0) == 0);
        var created = new List<SpotInstanceRequestResource>(count);
        for (var i = 0; i < count; i++)
        {
            var spotRequest = new SpotInstanceRequestResource
            {
                Id = ResourceIds.New(ResourceTypes.SpotInstanceRequest.IdPrefix)[..12],
                Type = type,
                State = SpotRequestStates.Open,
                StatusCode = SpotStatusCodes.PendingEvaluation,
                StatusMessage = SpotStatusCodes.Message(SpotStatusCodes.PendingEvaluation, context.Now),
                StatusUpdateTime = context.Now,
                CreateTime = context.Now,
                SpotPrice = SpotPriceModel.Format(maxPrice ?? SpotPriceModel.OnDemandPrice(plan.Type, context.Region)),
                ValidFrom = request.ValidFrom?.ToUniversalTime(),
                ValidUntil = request.ValidUntil?.ToUniversalTime(),
                LaunchGroup = request.LaunchGroup,
                AvailabilityZoneGroup = request.AvailabilityZoneGroup,
                InstanceInterruptionBehavior = behaviour,
                Launch = spec with { MinCount = 1, MaxCount = 1, InstanceType = plan.Type.Name },
                LaunchGroups = [.. plan.Groups],
                LaunchInterface = nic is null ? null : new SpotLaunchInterface
                {
                    DeviceIndex = nic.DeviceIndex ?? 0,
                    NetworkInterfaceId = nic.NetworkInterfaceId,
                    SubnetId = nic.SubnetId,
                    Description = nic.Description,
                    PrivateIpAddress = nic.PrivateIpAddress,
                    DeleteOnTermination = nic.DeleteOnTermination,
                    AssociatePublicIpAddress = nic.AssociatePublicIpAddress,
                    GroupIds = nic.Groups ?? [],
                },
                Tags = [.. tags],
                ClientToken = request.ClientToken,
                BatchIndex = i,
            };
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.SpotInstanceRequest, spotRequest.Id, spotRequest, context.Now, context.Cancellation).ConfigureAwait(false);
            created.Add(spotRequest);
        }
        WakeSpotController(context);
        return new RequestSpotInstancesResult { SpotInstanceRequests = created.Select(ToShape).ToList() };
    }

    public override async Task<DescribeSpotInstanceRequestsResult> DescribeSpotInstanceRequestsAsync(RequestContext context, DescribeSpotInstanceRequestsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.SpotInstanceRequest, SpotRequestFilters, request.SpotInstanceRequestIds, request.Filters,
            request.MaxResults, request.NextToken, "SpotInstanceRequestIds").ConfigureAwait(false);
        return new DescribeSpotInstanceRequestsResult
        {
            SpotInstanceRequests = page.Items.Select(ToShape).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<CancelSpotInstanceRequestsResult> CancelSpotInstanceRequestsAsync(RequestContext context, CancelSpotInstanceRequestsRequest request)
    {
        var ids = request.SpotInstanceRequestIds is { Count: > 0 } given ? given : throw AwsErrors.MissingParameter("SpotInstanceRequestId");
        foreach (var id in ids)
        {
            ResourceTypes.SpotInstanceRequest.CheckId(id);
        }
        var found = await context.Store.GetManyAsync<SpotInstanceRequestResource>(context.Scope, ResourceTypes.SpotInstanceRequest, ids.Distinct(StringComparer.Ordinal).ToList(), context.Cancellation)
            .ConfigureAwait(false);
        var byId = found.ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var id in ids.Where(id => !byId.ContainsKey(id)))
        {
            throw ResourceTypes.SpotInstanceRequest.NotFound(id);
        }
        var result = new List<CancelledSpotInstanceRequest>(ids.Count);
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var spotRequest = byId[id];
            var state = SpotRequests.Cancel(spotRequest, context.Now);
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.SpotInstanceRequest, spotRequest.Id, spotRequest, spotRequest.CreateTime, context.Cancellation).ConfigureAwait(false);
            result.Add(new CancelledSpotInstanceRequest { SpotInstanceRequestId = id, State = state });
        }
        WakeSpotController(context);
        return new CancelSpotInstanceRequestsResult { CancelledSpotInstanceRequests = result };
    }

    /// <summary>
    /// RunInstances with <c>InstanceMarketOptions</c>: the options are checked before the launch is
    /// planned (what RunInstances refuses outright), and the maximum price against the Spot price of
    /// the zone the launch lands in (SpotMaxPriceTooLow). Returns the parsed options.
    /// </summary>
    internal static SpotMarketChoice? CheckSpotMarketOptions(RequestContext context, RunInstancesRequest request)
    {
        if (request.InstanceMarketOptions is not { } market)
        {
            return null;
        }
        if (market.MarketType is not ("spot" or null))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({market.MarketType}) for parameter InstanceMarketOptions.MarketType is invalid.");
        }
        if (market.MarketType is null)
        {
            return null;
        }
        var options = market.SpotOptions;
        var type = options?.SpotInstanceType ?? SpotRequestTypes.OneTime;
        var behaviour = options?.InstanceInterruptionBehavior ?? SpotInterruptionBehaviors.Terminate;
        if (type == SpotRequestTypes.Persistent && behaviour == SpotInterruptionBehaviors.Terminate)
        {
            throw AwsErrors.InvalidParameterCombination("Persistent Spot Instance requests are only supported when the instance interruption behavior is either hibernate or stop.");
        }
        if (type == SpotRequestTypes.OneTime && behaviour != SpotInterruptionBehaviors.Terminate)
        {
            throw AwsErrors.InvalidParameterCombination($"The instance interruption behavior '{behaviour}' is only supported for persistent Spot Instance requests.");
        }
        if (options?.BlockDurationMinutes is not null)
        {
            throw AwsErrors.InvalidParameterValue("Spot Instances with a defined duration (Spot blocks) are no longer supported.");
        }
        CheckValidity(context.Now, null, options?.ValidUntil);
        return new SpotMarketChoice(type, behaviour, CheckMaxPrice(options?.MaxPrice), options?.ValidUntil?.ToUniversalTime());
    }

    /// <summary>Spot market options of a RunInstances call, checked.</summary>
    internal sealed record SpotMarketChoice(string Type, string Behaviour, decimal? MaxPrice, DateTime? ValidUntil);

    /// <summary>Refuses a RunInstances spot launch whose maximum price is below the Spot price of the zone it lands in.</summary>
    internal static void CheckSpotPrice(RequestContext context, SpotMarketChoice choice, LaunchPlan plan)
    {
        var current = SpotPriceModel.PriceAt(plan.Type, context.Region, plan.Subnet.Subnet.AvailabilityZone, SpotPriceModel.LinuxUnix, context.Now);
        if (choice.MaxPrice is { } max && max < current)
        {
            throw new AwsException("SpotMaxPriceTooLow",
                $"Your Spot request price of {SpotPriceModel.Format(max)} is lower than the minimum required Spot request fulfillment price of {SpotPriceModel.Format(current)}.");
        }
    }

    /// <summary>
    /// The spot requests of a RunInstances spot launch: one per instance, already fulfilled (active),
    /// with the id the launch gave the instance; tags from the <c>spot-instances-request</c> tag
    /// specification.
    /// </summary>
    internal static Task RecordRunInstancesSpotAsync(RequestContext context, RunInstancesRequest request, SpotMarketChoice choice, LaunchPlan plan, LaunchResult result)
    {
        var tags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == ResourceTypes.SpotInstanceRequest.Name).ToList(), ResourceTypes.SpotInstanceRequest.Name);
        return RecordSpotLaunchAsync(context.Transaction, context.Scope, choice, plan, result, [.. tags], context.Now, context.Cancellation);
    }

    /// <summary>
    /// The spot requests of a spot launch made outside a spot request (RunInstances, a fleet): one
    /// per instance, already fulfilled (active), with the id the launch gave the instance. They are
    /// never fulfilled again; the Spot controller follows and interrupts their instances.
    /// </summary>
    internal static async Task<List<SpotInstanceRequestResource>> RecordSpotLaunchAsync(
        Domain.Store.IStoreTransaction tx, Domain.Resources.Scope scope, SpotMarketChoice choice, LaunchPlan plan, LaunchResult result,
        IReadOnlyList<Domain.Resources.Tag> tags, DateTime now, CancellationToken ct)
    {
        var made = new List<SpotInstanceRequestResource>(result.Instances.Count);
        foreach (var launched in result.Instances)
        {
            var instance = launched.Instance;
            var spotRequest = new SpotInstanceRequestResource
            {
                Id = instance.SpotInstanceRequestId!,
                Type = choice.Type,
                State = SpotRequestStates.Open,
                StatusCode = SpotStatusCodes.PendingEvaluation,
                StatusMessage = SpotStatusCodes.Message(SpotStatusCodes.PendingEvaluation, now),
                StatusUpdateTime = now,
                CreateTime = now,
                SpotPrice = SpotPriceModel.Format(choice.MaxPrice ?? SpotPriceModel.OnDemandPrice(plan.Type, scope.Region)),
                ValidUntil = choice.ValidUntil,
                InstanceInterruptionBehavior = choice.Behaviour,
                Launch = plan.Spec with { MinCount = 1, MaxCount = 1, InstanceType = plan.Type.Name, ClientToken = null },
                LaunchGroups = [.. plan.Groups],
                FromRunInstances = true,
                Tags = [.. tags],
            };
            SpotRequests.Fulfilled(spotRequest, instance, now);
            await tx.PutAsync(scope, ResourceTypes.SpotInstanceRequest, spotRequest.Id, spotRequest, now, ct).ConfigureAwait(false);
            made.Add(spotRequest);
        }
        return made;
    }

    private void WakeSpotController(RequestContext context)
    {
        if (!context.DryRun && _spot is { } controller)
        {
            context.AfterCommit(() =>
            {
                controller.Wake();
                return Task.CompletedTask;
            });
        }
    }

    private static void CheckValidity(DateTime now, DateTime? from, DateTime? until)
    {
        if (until is { } u && u.ToUniversalTime() <= now)
        {
            throw AwsErrors.InvalidParameterValue($"validUntil ({u.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}) must be in the future.");
        }
        if (from is { } f && until is { } v && f.ToUniversalTime() >= v.ToUniversalTime())
        {
            throw AwsErrors.InvalidParameterValue("validFrom must be earlier than validUntil.");
        }
    }

    private static decimal? CheckMaxPrice(string? price)
    {
        if (price is null)
        {
            return null;
        }
        return SpotPriceModel.Parse(price) ?? throw AwsErrors.InvalidParameterValue($"Invalid value '{price}' for price: it must be a positive decimal number.");
    }

    private static SpotInstanceRequest ToShape(SpotInstanceRequestResource r) => new()
    {
        SpotInstanceRequestId = r.Id,
        SpotPrice = r.SpotPrice,
        Type = r.Type,
        State = r.State,
        Status = new SpotInstanceStatus { Code = r.StatusCode, Message = r.StatusMessage, UpdateTime = r.StatusUpdateTime },
        Fault = r.FaultCode is null ? null : new SpotInstanceStateFault { Code = r.FaultCode, Message = r.FaultMessage },
        CreateTime = r.CreateTime,
        ValidFrom = r.ValidFrom,
        ValidUntil = r.ValidUntil,
        LaunchGroup = r.LaunchGroup,
        AvailabilityZoneGroup = r.AvailabilityZoneGroup,
        InstanceInterruptionBehavior = r.InstanceInterruptionBehavior,
        InstanceId = r.InstanceId,
        LaunchedAvailabilityZone = r.LaunchedAvailabilityZone,
        LaunchedAvailabilityZoneId = r.LaunchedAvailabilityZoneId,
        ProductDescription = r.ProductDescription,
        Tags = ToShape(r.Tags),
        LaunchSpecification = new LaunchSpecification
        {
            ImageId = r.Launch.ImageId,
            InstanceType = r.Launch.InstanceType,
            KeyName = r.Launch.KeyName,
            UserData = r.Launch.UserData,
            SubnetId = r.LaunchInterface is null ? r.Launch.SubnetId : null,
            EbsOptimized = r.Launch.EbsOptimized,
            Monitoring = new RunInstancesMonitoringEnabled { Enabled = r.Launch.Monitoring },
            Placement = r.Launch.AvailabilityZone is null && r.Launch.PlacementGroupName is null && r.Launch.Tenancy is null ? null
                : new SpotPlacement { AvailabilityZone = r.Launch.AvailabilityZone, GroupName = r.Launch.PlacementGroupName, Tenancy = r.Launch.Tenancy },
            SecurityGroups = r.LaunchGroups.Select(g => new GroupIdentifier { GroupId = g.GroupId, GroupName = g.GroupName }).ToList(),
            IamInstanceProfile = r.Launch.IamInstanceProfileArn is null && r.Launch.IamInstanceProfileName is null ? null
                : new IamInstanceProfileSpecification { Arn = r.Launch.IamInstanceProfileArn, Name = r.Launch.IamInstanceProfileName },
            BlockDeviceMappings = r.Launch.BlockDevices.Count == 0 ? null : r.Launch.BlockDevices.Select(b => new BlockDeviceMapping
            {
                DeviceName = b.DeviceName,
                VirtualName = b.VirtualName,
                NoDevice = b.NoDevice ? "" : null,
                Ebs = b.HasEbs ? new EbsBlockDevice
                {
                    SnapshotId = b.SnapshotId,
                    VolumeSize = b.VolumeSize,
                    VolumeType = b.VolumeType,
                    Iops = b.Iops,
                    Throughput = b.Throughput,
                    DeleteOnTermination = b.DeleteOnTermination,
                    Encrypted = b.Encrypted,
                    KmsKeyId = b.KmsKeyId,
                } : null,
            }).ToList(),
            NetworkInterfaces = r.LaunchInterface is not { } nic ? null :
            [
                new InstanceNetworkInterfaceSpecification
                {
                    DeviceIndex = nic.DeviceIndex,
                    NetworkInterfaceId = nic.NetworkInterfaceId,
                    SubnetId = nic.SubnetId,
                    Description = nic.Description,
                    PrivateIpAddress = nic.PrivateIpAddress,
                    DeleteOnTermination = nic.DeleteOnTermination,
                    AssociatePublicIpAddress = nic.AssociatePublicIpAddress,
                    Groups = nic.GroupIds.Count == 0 ? null : [.. nic.GroupIds],
                },
            ],
        },
    };
}
