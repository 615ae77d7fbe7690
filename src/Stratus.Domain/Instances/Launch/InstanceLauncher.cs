using Stratus.Domain.Addressing;
using Stratus.Domain.Ebs;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Instances.Launch;

/// <summary>An instance a launch created, with its primary network interface.</summary>
public sealed record LaunchedInstance(InstanceResource Instance, NetworkInterfaceResource PrimaryInterface);

/// <summary>What a launch wrote: the reservation and its instances, in launch-index order, all pending.</summary>
public sealed record LaunchResult(string ReservationId, IReadOnlyList<LaunchedInstance> Instances);

/// <summary>
/// Writes a <see cref="LaunchPlan"/>: its <see cref="LaunchPlan.Count"/> instances with their
/// primary network interfaces and volumes, in the caller's transaction, as one batch — the private
/// addresses taken from the subnet's allocator at once, the public ones from the region's pool at
/// once, the vCPU usage adjusted once. Nothing here reads what already exists beyond those
/// allocators, so launching N instances costs O(N) whatever the region holds. Booting is the
/// caller's to start once the transaction has committed.
/// </summary>
public static class InstanceLauncher
{
    public static Task<LaunchResult> LaunchAsync(IStoreTransaction tx, Scope scope, LaunchPlan plan, DateTime now, CancellationToken ct = default) =>
        LaunchAsync(tx, scope, plan, now, null, ct);

    /// <summary>As <see cref="LaunchAsync(IStoreTransaction, Scope, LaunchPlan, DateTime, CancellationToken)"/>, placing the instances before they are written.</summary>
    /// <param name="place">
    /// Called with the new instances before they are written, to settle what the launch decides
    /// beside the plan (Dedicated Hosts, capacity reservations, credit defaults): the instances are
    /// then written once, as it left them. It must not write them itself.
    /// </param>
    public static async Task<LaunchResult> LaunchAsync(IStoreTransaction tx, Scope scope, LaunchPlan plan, DateTime now,
        Func<IReadOnlyList<InstanceResource>, Task>? place, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(plan);
        var spec = plan.Spec;
        var subnet = plan.Subnet.Subnet;
        var count = plan.Count;
        var privateIps = new List<string>(count);
        if (spec.PrivateIpAddress is { } requested)
        {
            plan.Subnet.Take(requested);
            privateIps.Add(requested);
        }
        privateIps.AddRange(plan.Subnet.Allocate(count - privateIps.Count));
        var publicIps = plan.AssignPublicIp ? await PublicAddressPool.AllocateManyAsync(tx, scope.Region, count, ct).ConfigureAwait(false) : null;

        var ipv6 = await Vpc.Ipv6.Ipv6Launch.PrepareAsync(tx, scope, plan, ct).ConfigureAwait(false);
        var reservationId = ResourceIds.New(ResourceTypes.Reservation.IdPrefix);
        var groupIds = plan.Groups.Select(g => g.GroupId).ToList();
        var launched = new List<LaunchedInstance>(count);
        // Interfaces and volumes are written together, in one batch, with the instances after them.
        var written = new List<StoredResource>(count * (1 + plan.Devices.Count));
        var volumeTemplates = await VolumeTemplatesAsync(tx, scope, plan, now, ct).ConfigureAwait(false);
        for (var index = 0; index < count; index++)
        {
            var instanceId = ResourceIds.New(ResourceTypes.Instance.IdPrefix);
            var nic = NetworkInterfaces.New(scope, subnet, privateIps[index], [.. groupIds], spec.NetworkInterfaceDescription, "interface", [.. spec.NetworkInterfaceTags]);
            var publicIp = publicIps?[index];
            var publicDns = publicIp is null ? null : PublicAddressPool.DnsName(publicIp, scope.Region);
            if (publicIp is not null)
            {
                nic.Association = new NetworkInterfaceAssociation { PublicIp = publicIp, PublicDnsName = publicDns, IpOwnerId = "amazon" };
            }
            nic.Attachment = new NetworkInterfaceAttachment
            {
                AttachmentId = ResourceIds.New("eni-attach"),
                InstanceId = instanceId,
                InstanceOwnerId = scope.AccountId,
                DeviceIndex = 0,
                AttachTime = now,
                DeleteOnTermination = spec.NetworkInterfaceDeleteOnTermination ?? true,
            };
            nic.Status = "in-use";
            nic.Ipv6Addresses.AddRange(ipv6.Next());
            var blockDevices = NewVolumes(scope, instanceId, plan, volumeTemplates, now, written);
            var instance = NewInstance(scope, plan, instanceId, reservationId, index, nic, publicIp, publicDns, blockDevices, now);
            written.Add(ResourceStore.ToStored(scope, ResourceTypes.NetworkInterface, nic.Id, nic, now));
            launched.Add(new LaunchedInstance(instance, nic));
        }
        await tx.PutManyAsync(written, ct).ConfigureAwait(false);
        var instances = launched.ConvertAll(l => l.Instance);
        if (place is not null)
        {
            await place(instances).ConfigureAwait(false);
        }
        await InstanceRecords.PutManyAsync(tx, scope, instances, now, ct).ConfigureAwait(false);
        await plan.Subnet.SaveAsync(tx, scope, now, ct).ConfigureAwait(false);
        if (plan.Image.OwnerId == scope.AccountId)
        {
            plan.Image.LastLaunchedTime = now;
            await tx.PutAsync(scope, ResourceTypes.Image, plan.Image.Id, plan.Image, plan.Image.CreationDate, ct).ConfigureAwait(false);
        }
        return new LaunchResult(reservationId, launched);
    }

    private static InstanceResource NewInstance(Scope scope, LaunchPlan plan, string instanceId, string reservationId, int index,
        NetworkInterfaceResource nic, string? publicIp, string? publicDns, List<InstanceBlockDevice> blockDevices, DateTime now)
    {
        var spec = plan.Spec;
        var image = plan.Image;
        var type = plan.Type;
        var bootsUefi = Firmware.UefiVariableStore.BootsUefi(image.BootMode, type.SupportedBootModes);
        var subnet = plan.Subnet.Subnet;
        return new InstanceResource
        {
            Id = instanceId,
            ReservationId = reservationId,
            OwnerId = scope.AccountId,
            ImageId = image.Id,
            InstanceType = type.Name,
            KeyName = spec.KeyName,
            State = InstanceStates.Pending,
            StateSince = now,
            LaunchTime = now,
            AmiLaunchIndex = index,
            AvailabilityZone = subnet.AvailabilityZone,
            AvailabilityZoneId = subnet.AvailabilityZoneId,
            PlacementGroupName = plan.Placement?.GroupName,
            PlacementGroupId = plan.Placement?.GroupId,
            PartitionNumber = plan.Placement?.PartitionOf(index),
            Tenancy = spec.Tenancy ?? "default",
            SubnetId = subnet.Id,
            VpcId = subnet.VpcId,
            PrivateIpAddress = nic.PrivateIpAddress,
            PrivateDnsName = NetworkInterfaces.PrivateDnsName(scope.Region, nic.PrivateIpAddress),
            PublicIpAddress = publicIp,
            PublicDnsName = publicDns,
            AssignPublicIp = plan.AssignPublicIp,
            NetworkInterfaceIds = [nic.Id],
            SecurityGroups = [.. plan.Groups.Select(g => new SecurityGroupRef { GroupId = g.GroupId, GroupName = g.GroupName })],
            Architecture = image.Architecture,
            RootDeviceName = image.RootDeviceName,
            RootDeviceType = image.RootDeviceType,
            VirtualizationType = image.VirtualizationType,
            BootMode = image.BootMode,
            UefiData = bootsUefi ? image.UefiData ?? Firmware.UefiVariableStore.Empty() : null,
            TpmEndorsementKeys = Firmware.NitroTpm.HasTpm(image.TpmSupport, type.NitroTpmSupport, bootsUefi) ? Firmware.NitroTpm.Generate() : null,
            BlockDevices = blockDevices,
            UserData = spec.UserData,
            MetadataOptions = new InstanceMetadataOptions
            {
                HttpTokens = plan.MetadataOptions.HttpTokens,
                HttpPutResponseHopLimit = plan.MetadataOptions.HttpPutResponseHopLimit,
                HttpEndpoint = plan.MetadataOptions.HttpEndpoint,
                HttpProtocolIpv6 = plan.MetadataOptions.HttpProtocolIpv6,
                InstanceMetadataTags = plan.MetadataOptions.InstanceMetadataTags,
            },
            MonitoringEnabled = spec.Monitoring,
            EbsOptimized = spec.EbsOptimized,
            EnaSupport = image.EnaSupport,
            IamInstanceProfileArn = plan.InstanceProfile?.Arn,
            IamInstanceProfileId = plan.InstanceProfile?.InstanceProfileId,
            IamInstanceProfileAssociationId = plan.InstanceProfile is null ? null : ResourceIds.New("iip-assoc"),
            IamInstanceProfileAssociatedAt = plan.InstanceProfile is null ? null : now,
            InstanceLifecycle = spec.Spot ? "spot" : null,
            SpotInstanceRequestId = spec.Spot ? spec.SpotInstanceRequestId ?? ResourceIds.New("sir")[..12] : null,
            CpuCredits = type.BurstablePerformanceSupported ? spec.CpuCredits ?? (type.Name.StartsWith("t2.", StringComparison.Ordinal) ? "standard" : "unlimited") : null,
            ClientToken = spec.ClientToken,
            DisableApiTermination = spec.DisableApiTermination,
            DisableApiStop = spec.DisableApiStop,
            InstanceInitiatedShutdownBehavior = spec.InstanceInitiatedShutdownBehavior ?? "stop",
            AutoRecovery = spec.AutoRecovery ?? "default",
            CoreCount = spec.CoreCount ?? type.DefaultCores,
            ThreadsPerCore = spec.ThreadsPerCore ?? type.DefaultThreadsPerCore,
            VCpus = type.DefaultVCpus,
            MemoryMiB = (int)type.MemoryMiB,
            Runtime = plan.Runtime,
            RuntimeImage = image.RuntimeImage,
            Tags = [.. spec.InstanceTags],
        };
    }

    /// <summary>
    /// One validated volume per planned device, not yet anyone's: the snapshot, the encryption
    /// settings and the volume rules are looked up and checked once per launch, not per instance.
    /// </summary>
    private static async Task<List<VolumeResource>> VolumeTemplatesAsync(IStoreTransaction tx, Scope scope, LaunchPlan plan, DateTime now, CancellationToken ct)
    {
        var templates = new List<VolumeResource>(plan.Devices.Count);
        foreach (var device in plan.Devices)
        {
            templates.Add(await Volumes.NewAsync(tx, scope, new VolumeSpec
            {
                AvailabilityZone = plan.Subnet.Subnet.AvailabilityZone,
                Size = device.Size,
                VolumeType = device.VolumeType,
                Iops = device.Iops,
                Throughput = device.Throughput,
                SnapshotId = device.SnapshotId,
                SnapshotSize = device.SnapshotId is null ? null : device.Size,
                Encrypted = device.Encrypted ? true : null,
                KmsKeyId = device.KmsKeyId,
                Tags = [.. plan.Spec.VolumeTags],
                Attachment = new VolumeAttachmentSpec("", device.DeviceName, device.DeleteOnTermination),
            }, now, ct).ConfigureAwait(false));
        }
        return templates;
    }

    /// <summary>The instance's EBS volumes, attached to it from the start, added to <paramref name="written"/>.</summary>
    private static List<InstanceBlockDevice> NewVolumes(Scope scope, string instanceId, LaunchPlan plan, List<VolumeResource> templates, DateTime now, List<StoredResource> written)
    {
        var result = new List<InstanceBlockDevice>(plan.Devices.Count);
        for (var k = 0; k < plan.Devices.Count; k++)
        {
            var device = plan.Devices[k];
            var volume = Volumes.AttachedCopy(templates[k], instanceId);
            written.Add(ResourceStore.ToStored(scope, ResourceTypes.Volume, volume.Id, volume, volume.CreateTime));
            result.Add(new InstanceBlockDevice
            {
                DeviceName = device.DeviceName,
                VolumeId = volume.Id,
                DeleteOnTermination = device.DeleteOnTermination,
                AttachTime = now,
            });
        }
        return result;
    }
}
