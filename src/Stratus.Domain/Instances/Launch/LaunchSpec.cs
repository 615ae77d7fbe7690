using Stratus.Domain.Resources;

namespace Stratus.Domain.Instances.Launch;

/// <summary>
/// What a launch asks for, in the domain's terms: what RunInstances carries once its wire shape is
/// translated (and a launch template applied), and what an in-process caller (Auto Scaling) builds
/// directly. Null means "EC2's default".
/// </summary>
public sealed record LaunchSpec
{
    public required string ImageId { get; init; }

    /// <summary>The instance type; EC2's default when null.</summary>
    public string? InstanceType { get; init; }

    public required int MinCount { get; init; }
    public required int MaxCount { get; init; }

    /// <summary>The subnet; the default subnet of <see cref="AvailabilityZone"/> (or of the first zone) when null.</summary>
    public string? SubnetId { get; init; }
    public string? AvailabilityZone { get; init; }
    public string? PlacementGroupName { get; init; }
    public string? PlacementGroupId { get; init; }
    public int? PartitionNumber { get; init; }
    public string? Tenancy { get; init; }

    public IReadOnlyList<string> SecurityGroupIds { get; init; } = [];
    public IReadOnlyList<string> SecurityGroupNames { get; init; } = [];
    public string? PrivateIpAddress { get; init; }

    /// <summary>Whether the primary interface gets a public address; the subnet's MapPublicIpOnLaunch when null.</summary>
    public bool? AssociatePublicIpAddress { get; init; }
    public string? NetworkInterfaceDescription { get; init; }
    public bool? NetworkInterfaceDeleteOnTermination { get; init; }

    /// <summary>IPv6 addresses for the primary interface: a count, or these addresses (one instance only); the subnet's AssignIpv6AddressOnCreation when neither.</summary>
    public int? Ipv6AddressCount { get; init; }
    public IReadOnlyList<string> Ipv6Addresses { get; init; } = [];

    public string? KeyName { get; init; }

    /// <summary>User data, base64-encoded as the API carries it.</summary>
    public string? UserData { get; init; }

    /// <summary>Block device mappings over the image's own.</summary>
    public IReadOnlyList<LaunchBlockDevice> BlockDevices { get; init; } = [];

    public LaunchMetadataOptions? MetadataOptions { get; init; }
    public bool Monitoring { get; init; }
    public bool EbsOptimized { get; init; }
    public string? IamInstanceProfileArn { get; init; }
    public string? IamInstanceProfileName { get; init; }
    public bool Spot { get; init; }

    /// <summary>The spot instance request a spot launch fulfils (one instance); a new id per instance when null.</summary>
    public string? SpotInstanceRequestId { get; init; }
    public string? CpuCredits { get; init; }
    public string? ClientToken { get; init; }
    public bool DisableApiTermination { get; init; }
    public bool DisableApiStop { get; init; }
    public string? InstanceInitiatedShutdownBehavior { get; init; }
    public string? AutoRecovery { get; init; }
    public int? CoreCount { get; init; }
    public int? ThreadsPerCore { get; init; }

    public IReadOnlyList<Tag> InstanceTags { get; init; } = [];
    public IReadOnlyList<Tag> VolumeTags { get; init; } = [];
    public IReadOnlyList<Tag> NetworkInterfaceTags { get; init; } = [];
}

/// <summary>A block device mapping of a launch: an EBS volume, an instance-store device, or a device of the image suppressed.</summary>
public sealed record LaunchBlockDevice
{
    public required string DeviceName { get; init; }
    public bool NoDevice { get; init; }
    public string? VirtualName { get; init; }

    /// <summary>False when the mapping has neither Ebs, VirtualName nor NoDevice.</summary>
    public bool HasEbs { get; init; }
    public string? SnapshotId { get; init; }
    public int? VolumeSize { get; init; }
    public string? VolumeType { get; init; }
    public int? Iops { get; init; }
    public int? Throughput { get; init; }
    public bool? DeleteOnTermination { get; init; }
    public bool? Encrypted { get; init; }
    public string? KmsKeyId { get; init; }
}

/// <summary>Instance metadata options asked for at launch (null: the region's default, then the image's).</summary>
public sealed record LaunchMetadataOptions(string? HttpTokens, int? HttpPutResponseHopLimit, string? HttpEndpoint, string? HttpProtocolIpv6, string? InstanceMetadataTags);
