using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>Instances: Describe, the lifecycle operations, status and console output.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeInstances")]
    private static readonly FilterSet<InstanceView> InstanceFilters = InstanceView.Filters;

    [FiltersFor("DescribeInstanceStatus")]
    private static readonly FilterSet<InstanceView> InstanceStatusFilters = new FilterSet<InstanceView>()
        .AddMany("attached-ebs-status.status", _ => ["ok"])
        .Add("availability-zone", v => v.Instance.AvailabilityZone)
        .Add("availability-zone-id", v => v.Instance.AvailabilityZoneId)
        .AddMany("event.code", _ => [])
        .AddMany("event.description", _ => [])
        .AddMany("event.instance-event-id", _ => [])
        .AddMany("event.not-after", _ => [])
        .AddMany("event.not-before", _ => [])
        .AddMany("event.not-before-deadline", _ => [])
        .Add("instance-state-code", v => InstanceStates.Code(v.Instance.State).ToString(System.Globalization.CultureInfo.InvariantCulture))
        .Add("instance-state-name", v => v.Instance.State)
        .Add("instance-status.reachability", v => v.InstanceReachability)
        .Add("instance-status.status", v => InstanceView.StatusOf(v.InstanceReachability))
        .Add("operator.managed", _ => false)
        .Add("operator.principal", _ => null)
        .Add("system-status.reachability", v => v.SystemReachability)
        .Add("system-status.status", v => InstanceView.StatusOf(v.SystemReachability))
        .Indexed("instance-state-name");

    public override async Task<DescribeInstancesResult> DescribeInstancesAsync(RequestContext context, DescribeInstancesRequest request)
    {
        Page<InstanceView> page;
        if (request.InstanceIds is not { Count: > 0 } && request.MaxResults is { } max && IndexedReads)
        {
            page = await PageInstancesAsync(context, request.Filters, InstanceFilters, max, request.NextToken).ConfigureAwait(false);
        }
        else
        {
            var views = await SelectInstancesAsync(context, request.InstanceIds, request.Filters, InstanceFilters, includeAll: true).ConfigureAwait(false);
            page = Paginator.Paginate(views, v => v.Instance.Id, request.MaxResults, request.NextToken);
        }
        // Views over the shared decoded documents reuse the shapes made for them before.
        var kept = KeepInstanceShapes && SharedDecoded(context) is not null;
        var reservations = new List<Reservation>();
        var byReservation = new Dictionary<string, List<Instance>>(StringComparer.Ordinal);
        foreach (var view in page.Items)
        {
            var shape = kept ? KeptShape(context, view) : ToShape(context, view);
            // Reservations in the order of their first instance, as GroupBy gave them.
            var key = view.Instance.ReservationId;
            if (!byReservation.TryGetValue(key, out var instances))
            {
                instances = [];
                byReservation.Add(key, instances);
                reservations.Add(new Reservation { ReservationId = view.Instance.ReservationId, OwnerId = context.AccountId, Groups = [], Instances = instances });
            }
            instances.Add(shape);
        }
        return new DescribeInstancesResult { Reservations = reservations, NextToken = page.NextToken };
    }

    /// <summary>
    /// Whether DescribeInstances reuses the <see cref="Instance"/> shapes made for unchanged shared
    /// decoded documents (and so writes each one's XML once). On, except in the tests that compare
    /// its answers with shapes made afresh.
    /// </summary>
    internal static bool KeepInstanceShapes { get; set; } = true;

    /// <summary>
    /// The shape of an instance read from the shared decoded documents: the one made before for the
    /// same decoded instance document, the same decoded interface documents (in the same order) and
    /// the same region, else made now and kept. Nothing else goes into the shape (see
    /// <see cref="ToShape(RequestContext, InstanceView)"/>), and decoded documents never change (a
    /// new version of a resource is a new object), so a kept shape is what
    /// <see cref="ToShape(RequestContext, InstanceView)"/> would make again. The shape is kept with
    /// the decoded instance and goes when that does; it is marked as not changing, so the EC2
    /// serializer keeps its XML too and writes an unchanged instance by copying it.
    /// </summary>
    private Instance KeptShape(RequestContext context, InstanceView view)
    {
        if (_instanceShapes.TryGetValue(view.Instance, out var kept) && kept.Matches(context.Region, view.Interfaces))
        {
            return kept.Shape;
        }
        var shape = ToShape(context, view).KeepEncoded();
        _instanceShapes.AddOrUpdate(view.Instance, new KeptInstanceShape(context.Region, [.. view.Interfaces], shape));
        return shape;
    }

    /// <summary>A shape made for one decoded instance document, with what else it was made from.</summary>
    private sealed class KeptInstanceShape(string region, NetworkInterfaceResource[] interfaces, Instance shape)
    {
        public Instance Shape { get; } = shape;

        /// <summary>Made in <paramref name="region"/> from these very interface documents (the same objects, in order).</summary>
        public bool Matches(string region, IReadOnlyList<NetworkInterfaceResource> interfaces)
        {
            if (!string.Equals(region, _region, StringComparison.Ordinal) || interfaces.Count != _interfaces.Length)
            {
                return false;
            }
            for (var k = 0; k < _interfaces.Length; k++)
            {
                if (!ReferenceEquals(interfaces[k], _interfaces[k]))
                {
                    return false;
                }
            }
            return true;
        }

        private readonly string _region = region;
        private readonly NetworkInterfaceResource[] _interfaces = interfaces;
    }

    public override async Task<DescribeInstanceStatusResult> DescribeInstanceStatusAsync(RequestContext context, DescribeInstanceStatusRequest request)
    {
        var (instanceFilters, eventFilters) = SplitEventFilters(request.Filters);
        var views = await SelectInstancesAsync(context, request.InstanceIds, instanceFilters, InstanceStatusFilters, includeAll: false).ConfigureAwait(false);
        if (request.IncludeAllInstances != true)
        {
            views = views.Where(v => v.Instance.State == InstanceStates.Running).ToList();
        }
        var events = await EventsOfAsync(context, views.Select(v => v.Instance.Id)).ConfigureAwait(false);
        if (eventFilters.Count > 0)
        {
            views = views.Where(v => MatchesEventFilters(events.GetValueOrDefault(v.Instance.Id) ?? [], eventFilters)).ToList();
        }
        var page = Paginator.Paginate(views, v => v.Instance.Id, request.MaxResults, request.NextToken);
        return new DescribeInstanceStatusResult
        {
            InstanceStatuses = page.Items.Select(v =>
            {
                var running = v.Instance.State == InstanceStates.Running;
                static InstanceStatusSummary Summary(string? reachability) => new()
                {
                    Status = InstanceView.StatusOf(reachability),
                    Details = reachability is null ? null : [new InstanceStatusDetails { Name = "reachability", Status = reachability }],
                };
                return new InstanceStatus
                {
                    InstanceId = v.Instance.Id,
                    AvailabilityZone = v.Instance.AvailabilityZone,
                    AvailabilityZoneId = v.Instance.AvailabilityZoneId,
                    InstanceState = new InstanceState { Code = InstanceStates.Code(v.Instance.State), Name = v.Instance.State },
                    InstanceStatusValue = Summary(v.InstanceReachability),
                    SystemStatus = Summary(v.SystemReachability),
                    AttachedEbsStatus = new EbsStatusSummary { Status = running ? "ok" : "not-applicable" },
                    Events = events.GetValueOrDefault(v.Instance.Id)?.Select(ToShape).ToList() ?? [],
                };
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<StartInstancesResult> StartInstancesAsync(RequestContext context, StartInstancesRequest request)
    {
        var instances = await LoadInstancesAsync(context, request.InstanceIds).ConfigureAwait(false);
        var changes = await InstanceOperations.StartAsync(context.Transaction, context.Scope, instances, context.Now, context.Cancellation).ConfigureAwait(false);
        await PlaceStartingAsync(context, changes).ConfigureAwait(false);
        return new StartInstancesResult { StartingInstances = Enqueue(context, changes) };
    }

    public override async Task<StopInstancesResult> StopInstancesAsync(RequestContext context, StopInstancesRequest request)
    {
        var instances = await LoadInstancesAsync(context, request.InstanceIds).ConfigureAwait(false);
        var changes = await InstanceOperations.StopAsync(context.Transaction, context.Scope, instances, request.Force == true, request.Hibernate == true, context.Now, context.Cancellation).ConfigureAwait(false);
        return new StopInstancesResult { StoppingInstances = Enqueue(context, changes) };
    }

    public override async Task RebootInstancesAsync(RequestContext context, RebootInstancesRequest request)
    {
        var instances = await LoadInstancesAsync(context, request.InstanceIds).ConfigureAwait(false);
        Enqueue(context, InstanceOperations.Reboot(instances));
    }

    public override async Task<TerminateInstancesResult> TerminateInstancesAsync(RequestContext context, TerminateInstancesRequest request)
    {
        var instances = await LoadInstancesAsync(context, request.InstanceIds).ConfigureAwait(false);
        var changes = await InstanceOperations.TerminateAsync(context.Transaction, context.Scope, instances, context.Now, context.Cancellation).ConfigureAwait(false);
        return new TerminateInstancesResult { TerminatingInstances = Enqueue(context, changes) };
    }

    public override async Task<GetConsoleOutputResult> GetConsoleOutputAsync(RequestContext context, GetConsoleOutputRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        var output = await _lifecycle.Runtime.GetConsoleOutputAsync(instance.Id, context.Cancellation).ConfigureAwait(false);
        return new GetConsoleOutputResult
        {
            InstanceId = instance.Id,
            Timestamp = context.Now,
            Output = output.Length == 0 ? null : Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(output)),
        };
    }

    /// <summary>After the commit, hands the runtime's work of each change to the lifecycle controller; the changes as the API answers them.</summary>
    private List<InstanceStateChange> Enqueue(RequestContext context, IReadOnlyList<InstanceChange> changes)
    {
        var commands = changes.Where(c => c.Work != InstanceWork.None)
            .Select(c => new LifecycleCommand(context.Scope, c.Instance.Id, InstanceLifecycle.ActionFor(c.Work)))
            .ToList();
        if (commands.Count > 0)
        {
            context.AfterCommit(() =>
            {
                foreach (var command in commands)
                {
                    _lifecycle.Enqueue(command);
                }
                return Task.CompletedTask;
            });
        }
        return changes.Select(c => StateChange(c.Instance, c.PreviousState)).ToList();
    }

    private void Enqueue(RequestContext context, InstanceResource instance, LifecycleAction action)
    {
        var command = new LifecycleCommand(context.Scope, instance.Id, action);
        context.AfterCommit(() =>
        {
            _lifecycle.Enqueue(command);
            return Task.CompletedTask;
        });
    }

    private static Task SaveAsync(RequestContext context, InstanceResource instance) =>
        InstanceRecords.PutAsync(context.Transaction, context.Scope, instance, context.Now, context.Cancellation);

    private static InstanceStateChange StateChange(InstanceResource instance, string previous) => new()
    {
        InstanceId = instance.Id,
        PreviousState = new InstanceState { Code = InstanceStates.Code(previous), Name = previous },
        CurrentState = new InstanceState { Code = InstanceStates.Code(instance.State), Name = instance.State },
    };

    /// <summary>The named instances (each well-formed and existing), in request order.</summary>
    private static Task<List<InstanceResource>> LoadInstancesAsync(RequestContext context, List<string>? ids) =>
        InstanceRecords.RequireAsync(context.Store, context.Scope, ids, context.Cancellation);

    /// <summary>Instances with their interfaces, after ids and filters; terminated ones only while still visible.</summary>
    private async Task<List<InstanceView>> SelectInstancesAsync(RequestContext context, List<string>? ids, List<Filter>? filters, FilterSet<InstanceView> filterSet, bool includeAll)
    {
        _ = includeAll;
        var cutoff = context.Now - InstanceLifecycle.TerminatedVisibleFor;
        var criteria = ToCriteria(filters);
        List<InstanceResource> instances;
        if (ids is { Count: > 0 })
        {
            foreach (var id in ids)
            {
                ResourceTypes.Instance.CheckId(id);
            }
            // By key: only the named instances are read.
            instances = SharedDecoded(context) is { } shared
                ? await shared.GetManyAsync<InstanceResource>(context.Store, context.Scope, ResourceTypes.Instance, ids, context.Cancellation).ConfigureAwait(false)
                : await context.Store.GetManyAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, ids, context.Cancellation).ConfigureAwait(false);
        }
        else if (SharedDecoded(context) is { } shared)
        {
            var conditions = IndexedReads ? filterSet.IndexConditions(criteria) : [];
            instances = conditions.Count > 0
                ? await shared.FindAsync<InstanceResource>(context.Store, context.Scope, ResourceTypes.Instance, conditions, context.Cancellation).ConfigureAwait(false)
                : await shared.ListAsync<InstanceResource>(context.Store, context.Scope, ResourceTypes.Instance, context.Cancellation).ConfigureAwait(false);
        }
        else
        {
            instances = await LoadCandidatesAsync<InstanceResource>(context, ResourceTypes.Instance, filterSet, criteria).ConfigureAwait(false);
        }
        if (ids is { Count: > 0 })
        {
            instances.RemoveAll(i => i.TerminatedAt is { } at && at <= cutoff);
            var missing = ids.Where(id => !instances.Exists(i => i.Id == id)).Distinct().ToList();
            if (missing.Count > 0)
            {
                throw new AwsException(ResourceTypes.Instance.NotFoundCode,
                    missing.Count == 1 ? $"The instance ID '{missing[0]}' does not exist" : $"The instance IDs '{string.Join(", ", missing)}' do not exist");
            }
            instances = instances.Where(i => ids.Contains(i.Id)).ToList();
        }
        return await ViewsAsync(context, instances, filterSet, criteria, paged: false).ConfigureAwait(false);
    }

    /// <summary>
    /// One page of instances by a keyset scan in id order: only the page's instances and their
    /// interfaces are read (and those the in-memory filters drop on the way), however many exist.
    /// </summary>
    private async Task<Page<InstanceView>> PageInstancesAsync(RequestContext context, List<Filter>? filters, FilterSet<InstanceView> filterSet, int maxResults, string? nextToken)
    {
        var criteria = ToCriteria(filters);
        _ = filterSet.Apply([], criteria);
        var conditions = filterSet.IndexConditions(criteria);
        return await Paginator.PageAsync<InstanceResource, InstanceView>(async (after, limit) =>
        {
            var batch = SharedDecoded(context) is { } shared
                ? await shared.ListPageAsync<InstanceResource>(context.Store, context.Scope, ResourceTypes.Instance, conditions, after, limit, context.Cancellation).ConfigureAwait(false)
                : await context.Store.ListPageAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, conditions, after, limit, context.Cancellation).ConfigureAwait(false);
            return (batch, await ViewsAsync(context, [.. batch], filterSet, criteria, paged: true).ConfigureAwait(false));
        }, i => i.Id, v => v.Instance.Id, maxResults, nextToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The instances (in their order) with their interfaces that the filters match; terminated
    /// ones only while still visible.
    /// </summary>
    private async Task<List<InstanceView>> ViewsAsync(RequestContext context, List<InstanceResource> instances, FilterSet<InstanceView> filterSet, IReadOnlyList<FilterCriterion>? criteria, bool paged)
    {
        var cutoff = context.Now - InstanceLifecycle.TerminatedVisibleFor;
        instances.RemoveAll(i => i.TerminatedAt is { } at && at <= cutoff);
        var interfaces = new Dictionary<string, List<NetworkInterfaceResource>>(StringComparer.Ordinal);
        foreach (var n in await InterfacesOfAsync(context, instances, paged).ConfigureAwait(false))
        {
            if (n.Attachment?.InstanceId is { } attachedTo)
            {
                if (!interfaces.TryGetValue(attachedTo, out var attached))
                {
                    attached = [];
                    interfaces.Add(attachedTo, attached);
                }
                attached.Add(n);
            }
        }
        var runtime = _lifecycle.Runtime;
        var views = new List<InstanceView>(instances.Count);
        foreach (var i in instances)
        {
            IReadOnlyList<NetworkInterfaceResource> attached = [];
            if (interfaces.TryGetValue(i.Id, out var list))
            {
                // By device index, stable (as OrderBy was).
                attached = list.Count == 1 ? list : list.OrderBy(n => n.Attachment!.DeviceIndex).ToList();
            }
            views.Add(new InstanceView(i, attached) { Health = i.State == InstanceStates.Running ? runtime.GetHealth(i.Id) : null });
        }
        return criteria is not { Count: > 0 } ? views : filterSet.Apply(views, criteria).ToList();
    }

    /// <summary>
    /// The interfaces attached to <paramref name="instances"/> (and maybe others): for a page or up
    /// to 100 instances those the attachment index names (through the kept decoded documents on a
    /// read, else by key); for a
    /// larger selection, every interface in one pass, which costs SQLite less than that many lookups
    /// when the selection is a good part of the region.
    /// </summary>
    private async Task<List<NetworkInterfaceResource>> InterfacesOfAsync(RequestContext context, List<InstanceResource> instances, bool paged)
    {
        if (instances.Count == 0)
        {
            return [];
        }
        var shared = SharedDecoded(context);
        if (!IndexedReads || instances.Count > (paged ? 2048 : 100))
        {
            return shared is not null
                ? await shared.ListAsync<NetworkInterfaceResource>(context.Store, context.Scope, ResourceTypes.NetworkInterface, context.Cancellation).ConfigureAwait(false)
                : await context.Store.ListAsync<NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, context.Cancellation).ConfigureAwait(false);
        }
        if (shared is not null)
        {
            // The attachment index selects the interfaces' ids and versions; the kept decoded ones
            // are used as they are (no document text is read for an interface that did not change).
            return await shared.FindAsync<NetworkInterfaceResource>(context.Store, context.Scope, ResourceTypes.NetworkInterface,
                [IndexCondition.Equal(AttachmentIndexName, instances.ConvertAll(i => i.Id))], context.Cancellation).ConfigureAwait(false);
        }
        var attached = await context.Store.ListIndexAsync(context.AccountId, context.Region, new IndexEntryQuery(AttachmentIndexName)
        {
            Types = [ResourceTypes.NetworkInterface.Name],
            Names = [AttachmentIndexName],
            Values = instances.ConvertAll(i => i.Id),
        }, context.Cancellation).ConfigureAwait(false);
        return await context.Store.GetManyAsync<NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, attached.Select(e => e.Id).ToList(), context.Cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// The shared decoded documents, for a request that only reads (a write transaction decodes its
    /// own copies, which it may change). The instance views built from them change nothing.
    /// </summary>
    private DecodedResources? SharedDecoded(RequestContext context) => context.Store is IStoreTransaction ? null : _decoded;

    /// <summary>The index entry of a network interface naming the instance it is attached to.</summary>
    private const string AttachmentIndexName = "attachment.instance-id";

    private static Instance ToShape(RequestContext context, InstanceView view)
    {
        var i = view.Instance;
        return new Instance
        {
            InstanceId = i.Id,
            ImageId = i.ImageId,
            InstanceType = i.InstanceType,
            KeyName = i.KeyName,
            State = new InstanceState { Code = InstanceStates.Code(i.State), Name = i.State },
            StateTransitionReason = i.StateTransitionReason,
            StateReason = i.StateReasonCode is null ? null : new StateReason { Code = i.StateReasonCode, Message = i.StateReasonMessage },
            LaunchTime = i.LaunchTime,
            AmiLaunchIndex = i.AmiLaunchIndex,
            Placement = new Placement
            {
                AvailabilityZone = i.AvailabilityZone,
                AvailabilityZoneId = i.AvailabilityZoneId,
                GroupName = i.PlacementGroupName ?? "",
                GroupId = i.PlacementGroupId,
                PartitionNumber = i.PartitionNumber,
                Tenancy = i.Tenancy,
                HostId = i.HostId,
                Affinity = i.Affinity,
            },
            CapacityReservationId = i.CapacityReservationId,
            CapacityReservationSpecification = new CapacityReservationSpecificationResponse
            {
                CapacityReservationPreference = i.CapacityReservationPreference,
                CapacityReservationTarget = i.CapacityReservationPreference is null && i.CapacityReservationId is { } cr ? new CapacityReservationTargetResponse { CapacityReservationId = cr } : null,
            },
            SubnetId = i.State == InstanceStates.Terminated ? null : i.SubnetId,
            VpcId = i.State == InstanceStates.Terminated ? null : i.VpcId,
            PrivateIpAddress = i.State == InstanceStates.Terminated ? null : i.PrivateIpAddress,
            PrivateDnsName = i.State == InstanceStates.Terminated ? "" : i.PrivateDnsName,
            PublicIpAddress = i.PublicIpAddress,
            PublicDnsName = i.PublicDnsName ?? "",
            Architecture = i.Architecture,
            RootDeviceName = i.RootDeviceName,
            RootDeviceType = i.RootDeviceType,
            VirtualizationType = i.VirtualizationType,
            Hypervisor = i.Hypervisor,
            BootMode = i.BootMode,
            CurrentInstanceBootMode = i.BootMode == "uefi" ? "uefi" : "legacy-bios",
            BlockDeviceMappings = i.BlockDevices.Select(b => new InstanceBlockDeviceMapping
            {
                DeviceName = b.DeviceName,
                Ebs = new EbsInstanceBlockDevice { VolumeId = b.VolumeId, Status = b.Status, AttachTime = b.AttachTime, DeleteOnTermination = b.DeleteOnTermination },
            }).ToList(),
            SecurityGroups = i.State == InstanceStates.Terminated ? [] : i.SecurityGroups.Select(g => new GroupIdentifier { GroupId = g.GroupId, GroupName = g.GroupName }).ToList(),
            NetworkInterfaces = view.Interfaces.Select(n => new InstanceNetworkInterface
            {
                NetworkInterfaceId = n.Id,
                SubnetId = n.SubnetId,
                VpcId = n.VpcId,
                Description = n.Description,
                OwnerId = n.OwnerId,
                Status = n.Status,
                MacAddress = n.MacAddress,
                PrivateIpAddress = n.PrivateIpAddress,
                PrivateDnsName = NetworkInterfaces.PrivateDnsName(context.Region, n.PrivateIpAddress),
                SourceDestCheck = n.SourceDestCheck,
                InterfaceType = n.InterfaceType,
                Groups = n.SecurityGroupIds.Select(id => new GroupIdentifier { GroupId = id, GroupName = i.SecurityGroups.Find(g => g.GroupId == id)?.GroupName }).ToList(),
                Attachment = n.Attachment is { } a ? new InstanceNetworkInterfaceAttachment
                {
                    AttachmentId = a.AttachmentId,
                    AttachTime = a.AttachTime,
                    DeleteOnTermination = a.DeleteOnTermination,
                    DeviceIndex = a.DeviceIndex,
                    NetworkCardIndex = 0,
                    Status = a.Status,
                } : null,
                Association = n.Association is { } assoc ? new InstanceNetworkInterfaceAssociation { PublicIp = assoc.PublicIp, PublicDnsName = assoc.PublicDnsName, IpOwnerId = assoc.IpOwnerId } : null,
                PrivateIpAddresses = n.SecondaryPrivateIpAddresses.Select(ip => new InstancePrivateIpAddress { PrivateIpAddress = ip, Primary = false, PrivateDnsName = NetworkInterfaces.PrivateDnsName(context.Region, ip) })
                    .Prepend(new InstancePrivateIpAddress
                    {
                        PrivateIpAddress = n.PrivateIpAddress,
                        Primary = true,
                        PrivateDnsName = NetworkInterfaces.PrivateDnsName(context.Region, n.PrivateIpAddress),
                        Association = n.Association is { } pa ? new InstanceNetworkInterfaceAssociation { PublicIp = pa.PublicIp, PublicDnsName = pa.PublicDnsName, IpOwnerId = pa.IpOwnerId } : null,
                    }).ToList(),
                Ipv6Addresses = InstanceIpv6AddressShapes(n),
            }).ToList(),
            Ipv6Address = i.State == InstanceStates.Terminated ? null : view.Interfaces.FirstOrDefault(n => n.Attachment?.DeviceIndex == 0)?.Ipv6Addresses.FirstOrDefault(),
            MetadataOptions = new InstanceMetadataOptionsResponse
            {
                State = "applied",
                HttpTokens = i.MetadataOptions.HttpTokens,
                HttpPutResponseHopLimit = i.MetadataOptions.HttpPutResponseHopLimit,
                HttpEndpoint = i.MetadataOptions.HttpEndpoint,
                HttpProtocolIpv6 = i.MetadataOptions.HttpProtocolIpv6,
                InstanceMetadataTags = i.MetadataOptions.InstanceMetadataTags,
            },
            Monitoring = new Monitoring { State = i.MonitoringEnabled ? "enabled" : "disabled" },
            EbsOptimized = i.EbsOptimized,
            EnaSupport = i.EnaSupport,
            SriovNetSupport = i.SriovNetSupport,
            SourceDestCheck = i.SourceDestCheck,
            IamInstanceProfile = i.IamInstanceProfileArn is null ? null : new IamInstanceProfile { Arn = i.IamInstanceProfileArn, Id = i.IamInstanceProfileId },
            InstanceLifecycle = i.InstanceLifecycle,
            SpotInstanceRequestId = i.SpotInstanceRequestId,
            ClientToken = i.ClientToken ?? "",
            CpuOptions = new CpuOptions { CoreCount = i.CoreCount, ThreadsPerCore = i.ThreadsPerCore },
            HibernationOptions = new HibernationOptions { Configured = false },
            EnclaveOptions = new EnclaveOptions { Enabled = false },
            MaintenanceOptions = new InstanceMaintenanceOptions { AutoRecovery = i.AutoRecovery },
            PrivateDnsNameOptions = new PrivateDnsNameOptionsResponse { HostnameType = "ip-name", EnableResourceNameDnsARecord = false, EnableResourceNameDnsAAAARecord = false },
            PlatformDetails = "Linux/UNIX",
            UsageOperation = "RunInstances",
            UsageOperationUpdateTime = i.LaunchTime,
            ProductCodes = [],
            Tags = i.Tags.Count > 0 ? ToShape(i.Tags) : null,
        };
    }
}
