using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Images;
using Stratus.Domain.Instances;
using Stratus.Domain.KeyPairs;
using Stratus.Domain.Placement;
using Stratus.Domain.Quotas;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// RunInstances: validates the whole request first (image, type, network, groups, key, devices,
/// capacity), then creates every instance with its network interface and volumes in the request's
/// transaction, all or nothing; booting starts once the transaction is committed.
/// </summary>
internal sealed partial class Ec2Service
{
    private const int MaxUserDataBytes = 16 * 1024;

    public override async Task<Reservation> RunInstancesAsync(RequestContext context, RunInstancesRequest request)
    {
        var ct = context.Cancellation;
        var scope = context.Scope;
        var (minCount, maxCount) = (request.MinCount ?? throw AwsErrors.MissingParameter("MinCount"), request.MaxCount ?? throw AwsErrors.MissingParameter("MaxCount"));
        if (minCount < 1 || maxCount < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({Math.Min(minCount, maxCount)}) for parameter {(minCount < 1 ? "minCount" : "maxCount")} is invalid. Expected a positive integer.");
        }
        if (minCount > maxCount)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({minCount}) for parameter minCount is invalid. minCount must be less than or equal to maxCount ({maxCount}).");
        }
        var fromTemplate = await ApplyLaunchTemplateAsync(context, request).ConfigureAwait(false);
        request = fromTemplate.Request;

        // Image and instance type.
        var imageId = request.ImageId ?? throw AwsErrors.MissingParameter("ImageId");
        var image = (await Images.GetLaunchableAsync(context.Store, scope, imageId, context.Now, ct).ConfigureAwait(false)).Image;
        // EC2's default is m1.small, a previous-generation type Stratus does not list; t2.micro
        // (the free-tier default of the console) stands in for it.
        var typeName = request.InstanceType ?? (InstanceTypeCatalog.Find("m1.small") is null ? "t2.micro" : "m1.small");
        var type = InstanceTypeCatalog.Find(typeName)
            ?? throw AwsErrors.InvalidParameterValue($"Invalid value '{typeName}' for InstanceType.");
        if (!type.Architectures.Contains(image.Architecture))
        {
            throw AwsErrors.InvalidParameterValue(
                $"The architecture '{string.Join(", ", type.Architectures)}' of the specified instance type does not match the architecture '{image.Architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again.");
        }

        // Network: subnet, addresses, security groups.
        var nicSpec = request.NetworkInterfaces?.Find(n => (n.DeviceIndex ?? 0) == 0);
        if (nicSpec is not null && (request.SubnetId is not null || request.SecurityGroupIds is { Count: > 0 } || request.PrivateIpAddress is not null))
        {
            throw AwsErrors.InvalidParameterCombination("Network interfaces and an instance-level subnet ID, security groups or private IP address may not be specified on the same request");
        }
        if (nicSpec?.NetworkInterfaceId is not null)
        {
            throw AwsErrors.NotImplemented("RunInstances with an existing NetworkInterfaceId");
        }
        var subnet = await ChooseSubnetAsync(context, nicSpec?.SubnetId ?? request.SubnetId, request.Placement?.AvailabilityZone).ConfigureAwait(false);
        var placement = await PlacementGroups.PlaceAsync(context.Store, scope, request.Placement?.GroupName, request.Placement?.GroupId, request.Placement?.PartitionNumber,
            subnet.AvailabilityZone, minCount, maxCount, ct).ConfigureAwait(false);
        if (!InstanceTypeCatalog.IsOffered(type.Name, subnet.AvailabilityZone))
        {
            throw new AwsException("Unsupported",
                $"Your requested instance type ({type.Name}) is not supported in your requested Availability Zone ({subnet.AvailabilityZone}). Please retry your request by not specifying an Availability Zone or choosing {string.Join(", ", RegionCatalog.Get(context.Region).Zones.Select(z => z.ZoneName).Where(z => InstanceTypeCatalog.IsOffered(type.Name, z)))}.");
        }
        var privateIp = nicSpec?.PrivateIpAddress ?? request.PrivateIpAddress;
        if (privateIp is not null && maxCount > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Cannot specify a private IP address when launching more than one instance");
        }
        var groups = await ResolveLaunchGroupsAsync(context, subnet.VpcId, nicSpec?.Groups ?? request.SecurityGroupIds, request.SecurityGroups).ConfigureAwait(false);
        var assignPublicIp = nicSpec?.AssociatePublicIpAddress ?? subnet.MapPublicIpOnLaunch;

        // Key pair, user data, metadata options and the rest.
        var profile = await Stratus.Domain.Iam.IamDirectory.ResolveForLaunchAsync(context.Store, context.AccountId, request.IamInstanceProfile?.Arn, request.IamInstanceProfile?.Name, ct)
            .ConfigureAwait(false);
        if (request.KeyName is { } keyName && await KeyPairs.FindByNameAsync(context.Store, scope, keyName, ct).ConfigureAwait(false) is null)
        {
            throw ResourceTypes.KeyPair.NotFound(keyName);
        }
        CheckUserData(request.UserData);
        var metadata = await LaunchMetadataOptionsAsync(context, request.MetadataOptions, image).ConfigureAwait(false);
        var devices = PlanBlockDevices(image, request.BlockDeviceMappings, subnet.AvailabilityZone);
        if (request.InstanceInitiatedShutdownBehavior is { } behavior && behavior is not ("stop" or "terminate"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid.");
        }
        var spot = request.InstanceMarketOptions?.MarketType == "spot";
        if (spot && !type.SupportedUsageClasses.Contains("spot"))
        {
            throw new AwsException("Unsupported", $"The instance type {type.Name} is not supported for spot instances.");
        }
        var cpuCredits = request.CreditSpecification?.CpuCredits;
        if (cpuCredits is not null && !type.BurstablePerformanceSupported)
        {
            throw AwsErrors.InvalidParameterCombination("The parameter CreditSpecification is not supported for the specified instance type.");
        }
        if (cpuCredits is not null and not ("standard" or "unlimited"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({cpuCredits}) for parameter cpuCredits is invalid.");
        }

        // Capacity: all or nothing within MinCount..MaxCount, within the vCPU quota of the type's bucket.
        var count = await VcpuQuotas.LaunchableAsync(context.Store, scope, type, spot, minCount, maxCount, ct).ConfigureAwait(false);
        var freeAddresses = subnet.AvailableIpAddressCount;
        if (freeAddresses < minCount)
        {
            throw new AwsException("InsufficientFreeAddressesInSubnet", $"There are not enough free addresses in subnet '{subnet.Id}' to satisfy the requested number of instances.");
        }
        count = Math.Min(count, freeAddresses);
        count = Math.Min(count, placement?.MaxInstances ?? count);

        var instanceTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "instance").ToList(), "instance");
        var volumeTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "volume").ToList(), "volume");
        var interfaceTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "network-interface").ToList(), "network-interface");
        foreach (var spec in request.TagSpecifications ?? [])
        {
            if (spec.ResourceType is not ("instance" or "volume" or "network-interface" or "spot-instances-request" or "elastic-gpu"))
            {
                throw AwsErrors.InvalidParameterValue($"'{spec.ResourceType}' is not a valid taggable resource type for this operation.");
            }
        }

        var reservationId = ResourceIds.New(ResourceTypes.Reservation.IdPrefix);
        var instances = new List<InstanceResource>(count);
        for (var index = 0; index < count; index++)
        {
            var instanceId = ResourceIds.New(ResourceTypes.Instance.IdPrefix);
            var nic = await NetworkInterfaces.CreateAsync(context.Transaction, scope, subnet, privateIp, groups.Select(g => g.GroupId).ToList(),
                nicSpec?.Description ?? "", "interface", context.Now, [.. interfaceTags], ct).ConfigureAwait(false);
            subnet = (await context.Store.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, subnet.Id, ct).ConfigureAwait(false))!;
            string? publicIp = null;
            if (assignPublicIp)
            {
                publicIp = await PublicAddressPool.AllocateAsync(context.Store, context.Region, ct).ConfigureAwait(false);
            }
            var blockDevices = await CreateLaunchVolumesAsync(context, instanceId, devices, subnet.AvailabilityZone, volumeTags).ConfigureAwait(false);
            var instance = new InstanceResource
            {
                Id = instanceId,
                ReservationId = reservationId,
                OwnerId = context.AccountId,
                ImageId = image.Id,
                InstanceType = type.Name,
                KeyName = request.KeyName,
                State = InstanceStates.Pending,
                StateSince = context.Now,
                LaunchTime = context.Now,
                AmiLaunchIndex = index,
                AvailabilityZone = subnet.AvailabilityZone,
                AvailabilityZoneId = subnet.AvailabilityZoneId,
                PlacementGroupName = placement?.GroupName,
                PlacementGroupId = placement?.GroupId,
                PartitionNumber = placement?.PartitionOf(index),
                Tenancy = request.Placement?.Tenancy ?? "default",
                SubnetId = subnet.Id,
                VpcId = subnet.VpcId,
                PrivateIpAddress = nic.PrivateIpAddress,
                PrivateDnsName = NetworkInterfaces.PrivateDnsName(context.Region, nic.PrivateIpAddress),
                PublicIpAddress = publicIp,
                PublicDnsName = publicIp is null ? null : PublicAddressPool.DnsName(publicIp, context.Region),
                AssignPublicIp = assignPublicIp,
                NetworkInterfaceIds = [nic.Id],
                SecurityGroups = groups,
                Architecture = image.Architecture,
                RootDeviceName = image.RootDeviceName,
                RootDeviceType = image.RootDeviceType,
                VirtualizationType = image.VirtualizationType,
                BootMode = image.BootMode,
                BlockDevices = blockDevices,
                UserData = request.UserData,
                MetadataOptions = metadata,
                MonitoringEnabled = request.Monitoring?.Enabled ?? false,
                EbsOptimized = request.EbsOptimized ?? false,
                EnaSupport = image.EnaSupport,
                IamInstanceProfileArn = profile?.Arn,
                IamInstanceProfileId = profile?.InstanceProfileId,
                InstanceLifecycle = spot ? "spot" : null,
                SpotInstanceRequestId = spot ? ResourceIds.New("sir")[..12] : null,
                CpuCredits = type.BurstablePerformanceSupported ? cpuCredits ?? (type.Name.StartsWith("t2.", StringComparison.Ordinal) ? "standard" : "unlimited") : null,
                ClientToken = request.ClientToken,
                DisableApiTermination = request.DisableApiTermination ?? false,
                DisableApiStop = request.DisableApiStop ?? false,
                InstanceInitiatedShutdownBehavior = request.InstanceInitiatedShutdownBehavior ?? "stop",
                AutoRecovery = request.MaintenanceOptions?.AutoRecovery ?? "default",
                CoreCount = request.CpuOptions?.CoreCount ?? type.DefaultCores,
                ThreadsPerCore = request.CpuOptions?.ThreadsPerCore ?? type.DefaultThreadsPerCore,
                VCpus = type.DefaultVCpus,
                MemoryMiB = (int)type.MemoryMiB,
                Runtime = _lifecycle.Runtime.Name,
                RuntimeImage = image.RuntimeImage,
                Tags = [.. instanceTags, .. fromTemplate.InstanceTags],
            };
            if (publicIp is not null)
            {
                nic.Association = new Domain.Vpc.NetworkInterfaceAssociation { PublicIp = publicIp, PublicDnsName = instance.PublicDnsName, IpOwnerId = "amazon" };
            }
            await NetworkInterfaces.AttachAsync(context.Transaction, scope, nic, instance.Id, instance.AvailabilityZone, 0, nicSpec?.DeleteOnTermination ?? true, context.Now, ct).ConfigureAwait(false);
            await context.Transaction.PutAsync(scope, ResourceTypes.Instance, instance.Id, instance, context.Now, ct).ConfigureAwait(false);
            instances.Add(instance);
        }
        if (image.OwnerId == context.AccountId)
        {
            image.LastLaunchedTime = context.Now;
            await context.Transaction.PutAsync(scope, ResourceTypes.Image, image.Id, image, image.CreationDate, ct).ConfigureAwait(false);
        }
        if (!context.DryRun)
        {
            context.AfterCommit(() =>
            {
                foreach (var instance in instances)
                {
                    _lifecycle.Enqueue(new LifecycleCommand(scope, instance.Id, LifecycleAction.Boot));
                }
                return Task.CompletedTask;
            });
        }
        var shapes = new List<Instance>();
        foreach (var instance in instances)
        {
            shapes.Add(await ToShapeAsync(context, instance).ConfigureAwait(false));
        }
        return new Reservation { ReservationId = reservationId, OwnerId = context.AccountId, Groups = [], Instances = shapes };
    }

    private static void CheckUserData(string? userData)
    {
        if (userData is null)
        {
            return;
        }
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(userData);
        }
        catch (FormatException)
        {
            throw new AwsException("InvalidParameterValue", "Invalid BASE64 encoding of user data.");
        }
        if (raw.Length > MaxUserDataBytes)
        {
            throw new AwsException("InvalidParameterValue", $"User data is limited to {MaxUserDataBytes} bytes.");
        }
    }

    /// <summary>The subnet to launch in: the one named, else the default subnet of the zone asked for, else of the first zone.</summary>
    private static async Task<SubnetResource> ChooseSubnetAsync(RequestContext context, string? subnetId, string? zone)
    {
        var ct = context.Cancellation;
        if (subnetId is not null)
        {
            ResourceTypes.Subnet.CheckId(subnetId);
            var subnet = await context.Store.GetAsync<SubnetResource>(context.Scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false)
                ?? throw ResourceTypes.Subnet.NotFound(subnetId);
            if (zone is not null && zone != subnet.AvailabilityZone)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({zone}) for parameter availabilityZone is invalid. Subnet {subnet.Id} is in Availability Zone {subnet.AvailabilityZone}");
            }
            return subnet;
        }
        if (zone is not null && !RegionCatalog.Get(context.Region).Zones.Any(z => z.ZoneName == zone))
        {
            throw new AwsException("InvalidParameterValue", $"Invalid availability zone: [{zone}]");
        }
        var defaults = (await context.Store.ListAsync<SubnetResource>(context.Scope, ResourceTypes.Subnet, ct).ConfigureAwait(false))
            .Where(s => s.DefaultForAz && (zone is null || s.AvailabilityZone == zone))
            .OrderBy(s => s.AvailabilityZone, StringComparer.Ordinal)
            .ToList();
        return defaults.FirstOrDefault()
            ?? throw new AwsException("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.");
    }

    private static async Task<List<SecurityGroupRef>> ResolveLaunchGroupsAsync(RequestContext context, string vpcId, List<string>? groupIds, List<string>? groupNames)
    {
        var groups = await context.Store.ListAsync<SecurityGroupResource>(context.Scope, ResourceTypes.SecurityGroup, context.Cancellation).ConfigureAwait(false);
        var result = new List<SecurityGroupRef>();
        foreach (var id in groupIds ?? [])
        {
            ResourceTypes.SecurityGroup.CheckId(id);
            var group = groups.Find(g => g.Id == id) ?? throw ResourceTypes.SecurityGroup.NotFound(id);
            if (group.VpcId != vpcId)
            {
                throw AwsErrors.InvalidParameterValue($"Security group {id} and subnet belong to different networks.");
            }
            result.Add(new SecurityGroupRef { GroupId = group.Id, GroupName = group.GroupName });
        }
        foreach (var name in groupNames ?? [])
        {
            var group = groups.Find(g => g.GroupName == name && g.VpcId == vpcId)
                ?? throw new AwsException("InvalidGroup.NotFound", $"The security group '{name}' does not exist in VPC '{vpcId}'");
            result.Add(new SecurityGroupRef { GroupId = group.Id, GroupName = group.GroupName });
        }
        if (result.Count == 0)
        {
            var fallback = groups.Find(g => g.GroupName == "default" && g.VpcId == vpcId)
                ?? throw new AwsException("InvalidGroup.NotFound", $"The security group 'default' does not exist in VPC '{vpcId}'");
            result.Add(new SecurityGroupRef { GroupId = fallback.Id, GroupName = fallback.GroupName });
        }
        return result.DistinctBy(g => g.GroupId).ToList();
    }

    /// <summary>A device of the launch: from the image, overridden or added by the request.</summary>
    private sealed record PlannedDevice(string DeviceName, string? SnapshotId, int Size, string VolumeType, int? Iops, int? Throughput, bool DeleteOnTermination, bool Encrypted, string? KmsKeyId);

    private static List<PlannedDevice> PlanBlockDevices(ImageResource image, List<BlockDeviceMapping>? requested, string zone)
    {
        _ = zone;
        var planned = image.BlockDevices
            .Where(d => !d.NoDevice && d.VirtualName is null)
            .ToDictionary(d => d.DeviceName, d => new PlannedDevice(d.DeviceName, d.SnapshotId, d.VolumeSize ?? 8, d.VolumeType ?? "gp2", d.Iops, d.Throughput, d.DeleteOnTermination, d.Encrypted, d.KmsKeyId), StringComparer.Ordinal);
        foreach (var mapping in requested ?? [])
        {
            var name = mapping.DeviceName ?? throw AwsErrors.MissingParameter("BlockDeviceMapping.N.DeviceName");
            if (mapping.NoDevice is not null)
            {
                if (name == image.RootDeviceName)
                {
                    throw AwsErrors.InvalidParameterValue("The root device of the image cannot be suppressed with NoDevice.");
                }
                planned.Remove(name);
                continue;
            }
            if (mapping.VirtualName is not null)
            {
                continue; // instance store: provided by the instance type, not by EBS
            }
            var ebs = mapping.Ebs ?? throw AwsErrors.InvalidParameterValue($"The block device mapping for {name} needs Ebs, VirtualName or NoDevice.");
            planned.TryGetValue(name, out var existing);
            var size = ebs.VolumeSize ?? existing?.Size ?? throw AwsErrors.MissingParameter($"BlockDeviceMapping {name}: Ebs.VolumeSize");
            if (existing is not null && size < existing.Size)
            {
                throw AwsErrors.InvalidParameterValue($"Volume of size {size}GB is smaller than snapshot '{existing.SnapshotId}', expect size>= {existing.Size}GB");
            }
            planned[name] = new PlannedDevice(
                name,
                ebs.SnapshotId ?? existing?.SnapshotId,
                size,
                ebs.VolumeType ?? existing?.VolumeType ?? "gp2",
                ebs.Iops ?? (ebs.VolumeType is null ? existing?.Iops : null),
                ebs.Throughput ?? (ebs.VolumeType is null ? existing?.Throughput : null),
                ebs.DeleteOnTermination ?? existing?.DeleteOnTermination ?? true,
                ebs.Encrypted ?? existing?.Encrypted ?? false,
                ebs.KmsKeyId ?? existing?.KmsKeyId);
        }
        if (!planned.ContainsKey(image.RootDeviceName))
        {
            throw AwsErrors.InvalidParameterValue($"The image {image.Id} has no block device for its root device {image.RootDeviceName}.");
        }
        return planned.Values.OrderBy(d => d.DeviceName == image.RootDeviceName ? 0 : 1).ThenBy(d => d.DeviceName, StringComparer.Ordinal).ToList();
    }

}
