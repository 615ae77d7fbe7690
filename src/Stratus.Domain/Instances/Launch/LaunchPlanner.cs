using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Images;
using Stratus.Domain.Placement;
using Stratus.Domain.Quotas;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Instances.Launch;

/// <summary>A volume a launch creates for each instance: from the image, overridden or added by the request.</summary>
public sealed record PlannedDevice(string DeviceName, string? SnapshotId, int Size, string VolumeType, int? Iops, int? Throughput, bool DeleteOnTermination, bool Encrypted, string? KmsKeyId);

/// <summary>
/// A validated launch: everything resolved (image, type, subnet with its address allocator, groups,
/// devices, metadata options, placement) and how many instances fit (<see cref="Count"/>, between
/// MinCount and MaxCount, within the vCPU quota, the subnet's free addresses and the placement group).
/// </summary>
public sealed record LaunchPlan
{
    public required LaunchSpec Spec { get; init; }
    public required ImageResource Image { get; init; }
    public required InstanceTypeInfo Type { get; init; }
    public required SubnetAddresses Subnet { get; init; }
    public required IReadOnlyList<SecurityGroupRef> Groups { get; init; }
    public required IReadOnlyList<PlannedDevice> Devices { get; init; }
    public required InstanceMetadataOptions MetadataOptions { get; init; }
    public PlacementDecision? Placement { get; init; }
    public required bool AssignPublicIp { get; init; }
    public required int Count { get; init; }

    /// <summary>The instance profile the launch names, resolved in the account's IAM; null when none.</summary>
    public Iam.InstanceProfileResource? InstanceProfile { get; init; }

    /// <summary>The runtime that will run the instances ("mock", "microvm", "container").</summary>
    public required string Runtime { get; init; }
}

/// <summary>
/// Turns a <see cref="LaunchSpec"/> into a <see cref="LaunchPlan"/>, answering EC2's error for the
/// first thing wrong. Reads only what the launch names (one image, one subnet, the VPC's groups,
/// one key pair) and the account's recorded vCPU usage — never the instances or interfaces that exist.
/// </summary>
public static class LaunchPlanner
{
    public const int MaxUserDataBytes = 16 * 1024;

    public static async Task<LaunchPlan> PlanAsync(IStoreSession session, Scope scope, LaunchSpec spec, string runtime, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(spec);
        var (minCount, maxCount) = (spec.MinCount, spec.MaxCount);
        if (minCount < 1 || maxCount < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({Math.Min(minCount, maxCount)}) for parameter {(minCount < 1 ? "minCount" : "maxCount")} is invalid. Expected a positive integer.");
        }
        if (minCount > maxCount)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({minCount}) for parameter minCount is invalid. minCount must be less than or equal to maxCount ({maxCount}).");
        }

        // Image and instance type.
        var image = (await Images.Images.GetLaunchableAsync(session, scope, spec.ImageId, now, ct).ConfigureAwait(false)).Image;
        // Network: subnet first, since the default instance type depends on the zone.
        var subnet = await ChooseSubnetAsync(session, scope, spec.SubnetId, spec.AvailabilityZone, ct).ConfigureAwait(false);
        var typeName = spec.InstanceType ?? DefaultInstanceType(subnet.AvailabilityZone);
        var type = InstanceTypeCatalog.Find(typeName)
            ?? throw AwsErrors.InvalidParameterValue($"Invalid value '{typeName}' for InstanceType.");
        if (!type.Architectures.Contains(image.Architecture))
        {
            throw AwsErrors.InvalidParameterValue(
                $"The architecture '{string.Join(", ", type.Architectures)}' of the specified instance type does not match the architecture '{image.Architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again.");
        }

        if (image.BootMode == "uefi" && type.SupportedBootModes.Count > 0 && !type.SupportedBootModes.Contains("uefi"))
        {
            throw AwsErrors.InvalidParameterCombination(
                $"The instance type '{type.Name}' does not support the boot mode 'uefi' of the specified AMI. Specify an instance type that supports UEFI, and try again.");
        }

        // Placement, addresses, security groups.
        var placement = await PlacementGroups.PlaceAsync(session, scope, spec.PlacementGroupName, spec.PlacementGroupId, spec.PartitionNumber,
            subnet.AvailabilityZone, minCount, maxCount, ct).ConfigureAwait(false);
        if (!InstanceTypeCatalog.IsOffered(type.Name, subnet.AvailabilityZone))
        {
            throw new AwsException("Unsupported",
                $"Your requested instance type ({type.Name}) is not supported in your requested Availability Zone ({subnet.AvailabilityZone}). Please retry your request by not specifying an Availability Zone or choosing {string.Join(", ", RegionCatalog.Get(scope.Region).Zones.Select(z => z.ZoneName).Where(z => InstanceTypeCatalog.IsOffered(type.Name, z)))}.");
        }
        if (spec.PrivateIpAddress is not null && maxCount > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Cannot specify a private IP address when launching more than one instance");
        }
        var groups = await ResolveGroupsAsync(session, scope, subnet.VpcId, spec.SecurityGroupIds, spec.SecurityGroupNames, ct).ConfigureAwait(false);
        var assignPublicIp = spec.AssociatePublicIpAddress ?? subnet.MapPublicIpOnLaunch;

        // Instance profile, key pair, user data, metadata options and the rest.
        var profile = await Iam.IamDirectory.ResolveForLaunchAsync(session, scope.AccountId, spec.IamInstanceProfileArn, spec.IamInstanceProfileName, ct)
            .ConfigureAwait(false);
        if (spec.KeyName is { } keyName && await KeyPairs.KeyPairs.FindByNameAsync(session, scope, keyName, ct).ConfigureAwait(false) is null)
        {
            throw ResourceTypes.KeyPair.NotFound(keyName);
        }
        CheckUserData(spec.UserData);
        var metadata = await MetadataOptionsAsync(session, scope, spec.MetadataOptions, image, ct).ConfigureAwait(false);
        var devices = PlanBlockDevices(image, spec.BlockDevices);
        if (spec.InstanceInitiatedShutdownBehavior is { } behavior && behavior is not ("stop" or "terminate"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid.");
        }
        if (spec.Spot && !type.SupportedUsageClasses.Contains("spot"))
        {
            throw new AwsException("Unsupported", $"The instance type {type.Name} is not supported for spot instances.");
        }
        if (spec.CpuCredits is not null && !type.BurstablePerformanceSupported)
        {
            throw AwsErrors.InvalidParameterCombination("The parameter CreditSpecification is not supported for the specified instance type.");
        }
        if (spec.CpuCredits is not null and not ("standard" or "unlimited"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({spec.CpuCredits}) for parameter cpuCredits is invalid.");
        }

        // Capacity: all or nothing within MinCount..MaxCount, within the vCPU quota of the type's bucket.
        var count = await VcpuQuotas.LaunchableAsync(session, scope, type, spec.Spot, minCount, maxCount, ct).ConfigureAwait(false);
        var addresses = await SubnetAddresses.LoadAsync(session, scope, subnet, ct).ConfigureAwait(false);
        if (addresses.Available < minCount)
        {
            throw new AwsException("InsufficientFreeAddressesInSubnet", $"There are not enough free addresses in subnet '{subnet.Id}' to satisfy the requested number of instances.");
        }
        if (spec.PrivateIpAddress is { } privateIp)
        {
            addresses.Check(privateIp);
        }
        if (groups.Count > 5)
        {
            throw new AwsException("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.");
        }
        count = Math.Min(count, addresses.Available);
        count = Math.Min(count, placement?.MaxInstances ?? count);
        return new LaunchPlan
        {
            Spec = spec,
            Image = image,
            Type = type,
            Subnet = addresses,
            Groups = groups,
            Devices = devices,
            MetadataOptions = metadata,
            Placement = placement,
            AssignPublicIp = assignPublicIp,
            Count = count,
            Runtime = runtime,
            InstanceProfile = profile,
        };
    }

    /// <summary>User data must be base64 of at most 16 KiB.</summary>
    public static void CheckUserData(string? userData)
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

    /// <summary>
    /// The instance type of a launch that names none: EC2's documented default, m1.small, where that
    /// previous-generation type is offered in <paramref name="availabilityZone"/>; elsewhere t2.micro,
    /// the console's free-tier default.
    /// </summary>
    public static string DefaultInstanceType(string availabilityZone) =>
        InstanceTypeCatalog.IsOffered("m1.small", availabilityZone) ? "m1.small" : "t2.micro";

    /// <summary>The subnet to launch in: the one named, else the default subnet of the zone asked for, else of the first zone.</summary>
    public static async Task<SubnetResource> ChooseSubnetAsync(IStoreSession session, Scope scope, string? subnetId, string? zone, CancellationToken ct = default)
    {
        if (subnetId is not null)
        {
            ResourceTypes.Subnet.CheckId(subnetId);
            var subnet = await session.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false)
                ?? throw ResourceTypes.Subnet.NotFound(subnetId);
            if (zone is not null && zone != subnet.AvailabilityZone)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({zone}) for parameter availabilityZone is invalid. Subnet {subnet.Id} is in Availability Zone {subnet.AvailabilityZone}");
            }
            return subnet;
        }
        if (zone is not null && !RegionCatalog.Get(scope.Region).Zones.Any(z => z.ZoneName == zone))
        {
            throw new AwsException("InvalidParameterValue", $"Invalid availability zone: [{zone}]");
        }
        var defaults = (await session.ListAsync<SubnetResource>(scope, ResourceTypes.Subnet, ct).ConfigureAwait(false))
            .Where(s => s.DefaultForAz && (zone is null || s.AvailabilityZone == zone))
            .OrderBy(s => s.AvailabilityZone, StringComparer.Ordinal)
            .ToList();
        return defaults.FirstOrDefault()
            ?? throw new AwsException("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.");
    }

    /// <summary>The launch's security groups, by id or (in the VPC) by name; the VPC's default group when none are named.</summary>
    public static async Task<List<SecurityGroupRef>> ResolveGroupsAsync(IStoreSession session, Scope scope, string vpcId, IReadOnlyList<string> groupIds, IReadOnlyList<string> groupNames, CancellationToken ct = default)
    {
        var groups = await session.ListAsync<SecurityGroupResource>(scope, ResourceTypes.SecurityGroup, ct).ConfigureAwait(false);
        var result = new List<SecurityGroupRef>();
        foreach (var id in groupIds)
        {
            ResourceTypes.SecurityGroup.CheckId(id);
            var group = groups.Find(g => g.Id == id) ?? throw ResourceTypes.SecurityGroup.NotFound(id);
            if (group.VpcId != vpcId && !await Vpc.SecurityGroupAssociations.SecurityGroupVpcAssociations.IsAssociatedAsync(session, scope, id, vpcId, ct).ConfigureAwait(false))
            {
                throw AwsErrors.InvalidParameterValue($"Security group {id} and subnet belong to different networks.");
            }
            result.Add(new SecurityGroupRef { GroupId = group.Id, GroupName = group.GroupName });
        }
        foreach (var name in groupNames)
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

    /// <summary>Launch metadata options: the request's, else the account's defaults, else what the image asks (IMDSv2 only), else EC2's defaults.</summary>
    public static async Task<InstanceMetadataOptions> MetadataOptionsAsync(IStoreSession session, Scope scope, LaunchMetadataOptions? requested, ImageResource image, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var defaults = await InstanceMetadataDefaults.GetAsync(session, scope, ct).ConfigureAwait(false);
        var v2Image = image.ImdsSupport == "v2.0";
        var options = new InstanceMetadataOptions
        {
            HttpTokens = requested?.HttpTokens ?? defaults.HttpTokens ?? (v2Image ? "required" : "optional"),
            HttpPutResponseHopLimit = requested?.HttpPutResponseHopLimit ?? defaults.HttpPutResponseHopLimit ?? (v2Image ? 2 : 1),
            HttpEndpoint = requested?.HttpEndpoint ?? defaults.HttpEndpoint ?? "enabled",
            HttpProtocolIpv6 = requested?.HttpProtocolIpv6 ?? "disabled",
            InstanceMetadataTags = requested?.InstanceMetadataTags ?? defaults.InstanceMetadataTags ?? "disabled",
        };
        InstanceMetadataDefaults.CheckHopLimit(options.HttpPutResponseHopLimit);
        return options;
    }

    /// <summary>The launch's volumes: the image's mappings, with the request's overriding, adding or suppressing (NoDevice) them; the root device first.</summary>
    public static List<PlannedDevice> PlanBlockDevices(ImageResource image, IReadOnlyList<LaunchBlockDevice> requested)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(requested);
        var planned = image.BlockDevices
            .Where(d => !d.NoDevice && d.VirtualName is null)
            .ToDictionary(d => d.DeviceName, d => new PlannedDevice(d.DeviceName, d.SnapshotId, d.VolumeSize ?? 8, d.VolumeType ?? "gp2", d.Iops, d.Throughput, d.DeleteOnTermination, d.Encrypted, d.KmsKeyId), StringComparer.Ordinal);
        foreach (var mapping in requested)
        {
            var name = mapping.DeviceName;
            if (mapping.NoDevice)
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
            if (!mapping.HasEbs)
            {
                throw AwsErrors.InvalidParameterValue($"The block device mapping for {name} needs Ebs, VirtualName or NoDevice.");
            }
            planned.TryGetValue(name, out var existing);
            var size = mapping.VolumeSize ?? existing?.Size ?? throw AwsErrors.MissingParameter($"BlockDeviceMapping {name}: Ebs.VolumeSize");
            if (existing is not null && size < existing.Size)
            {
                throw AwsErrors.InvalidParameterValue($"Volume of size {size}GB is smaller than snapshot '{existing.SnapshotId}', expect size>= {existing.Size}GB");
            }
            planned[name] = new PlannedDevice(
                name,
                mapping.SnapshotId ?? existing?.SnapshotId,
                size,
                mapping.VolumeType ?? existing?.VolumeType ?? "gp2",
                mapping.Iops ?? (mapping.VolumeType is null ? existing?.Iops : null),
                mapping.Throughput ?? (mapping.VolumeType is null ? existing?.Throughput : null),
                mapping.DeleteOnTermination ?? existing?.DeleteOnTermination ?? true,
                mapping.Encrypted ?? existing?.Encrypted ?? false,
                mapping.KmsKeyId ?? existing?.KmsKeyId);
        }
        if (!planned.ContainsKey(image.RootDeviceName))
        {
            throw AwsErrors.InvalidParameterValue($"The image {image.Id} has no block device for its root device {image.RootDeviceName}.");
        }
        return planned.Values.OrderBy(d => d.DeviceName == image.RootDeviceName ? 0 : 1).ThenBy(d => d.DeviceName, StringComparer.Ordinal).ToList();
    }
}
