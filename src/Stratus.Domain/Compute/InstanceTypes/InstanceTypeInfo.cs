namespace Stratus.Domain.Compute.InstanceTypes;

/// <summary>
/// What an instance type offers, as EC2's DescribeInstanceTypes reports it. Optional figures are
/// null when the catalog's sources do not give them (see README.md next to the data file).
/// </summary>
public sealed record InstanceTypeInfo
{
    public required string Name { get; init; }

    /// <summary>The part before the dot: <c>t3</c> of <c>t3.micro</c>.</summary>
    public required string Family { get; init; }

    /// <summary>The part after the dot: <c>micro</c> of <c>t3.micro</c>.</summary>
    public required string Size { get; init; }

    public required int DefaultVCpus { get; init; }
    public required int DefaultCores { get; init; }
    public required int DefaultThreadsPerCore { get; init; }

    /// <summary>Threads per core a launch may choose (CPU options); null where CPU options do not apply.</summary>
    public IReadOnlyList<int>? ValidThreadsPerCore { get; init; }

    public required long MemoryMiB { get; init; }

    /// <summary><c>i386</c>, <c>x86_64</c>, <c>arm64</c>, <c>x86_64_mac</c> or <c>arm64_mac</c>.</summary>
    public required IReadOnlyList<string> Architectures { get; init; }

    public string? ProcessorManufacturer { get; init; }
    public double? SustainedClockSpeedGhz { get; init; }

    /// <summary><c>nitro</c> or <c>xen</c>; null for bare metal types, as EC2 reports them.</summary>
    public string? Hypervisor { get; init; }

    public bool BareMetal { get; init; }
    public bool BurstablePerformanceSupported { get; init; }
    public bool CurrentGeneration { get; init; }
    public bool FreeTierEligible { get; init; }
    public bool HibernationSupported { get; init; }
    public bool AutoRecoverySupported { get; init; }
    public bool DedicatedHostsSupported { get; init; }

    /// <summary>Instance store volumes; null for EBS-only types.</summary>
    public InstanceStorage? InstanceStorage { get; init; }

    /// <summary>Total instance store capacity in GB; null for EBS-only types.</summary>
    public int? InstanceStorageGb => InstanceStorage?.TotalSizeInGb;

    public required EbsCapabilities Ebs { get; init; }
    public required NetworkCapabilities Network { get; init; }

    public int MaxNetworkInterfaces => Network.MaximumNetworkInterfaces;
    public int Ipv4AddressesPerInterface => Network.Ipv4AddressesPerInterface;

    public AcceleratorDevices? Gpus { get; init; }
    public AcceleratorDevices? InferenceAccelerators { get; init; }
    public NeuronDevices? Neuron { get; init; }

    /// <summary><c>on-demand</c>, <c>spot</c>, <c>capacity-block</c>.</summary>
    public required IReadOnlyList<string> SupportedUsageClasses { get; init; }

    public required IReadOnlyList<string> SupportedRootDeviceTypes { get; init; }
    public required IReadOnlyList<string> SupportedVirtualizationTypes { get; init; }
    public required IReadOnlyList<string> SupportedBootModes { get; init; }
    public required IReadOnlyList<string> PlacementGroupStrategies { get; init; }

    /// <summary><c>supported</c> or <c>unsupported</c>; null where unknown.</summary>
    public string? NitroEnclavesSupport { get; init; }

    /// <summary><c>supported</c> or <c>unsupported</c>.</summary>
    public string? NitroTpmSupport { get; init; }

    public IReadOnlyList<string> NitroTpmVersions { get; init; } = [];

    /// <summary>True for <c>mac*</c> types, which launch only on Dedicated Hosts.</summary>
    public bool RequiresDedicatedHost => Architectures.Any(a => a.EndsWith("_mac", StringComparison.Ordinal));
}

public sealed record InstanceDisk(int Count, int SizeInGb, string Type);

/// <summary>Instance store: the disks, NVMe support and at-rest encryption (<c>required</c> on Nitro).</summary>
public sealed record InstanceStorage(IReadOnlyList<InstanceDisk> Disks, string NvmeSupport, string? EncryptionSupport)
{
    public int TotalSizeInGb => Disks.Sum(d => d.Count * d.SizeInGb);
}

/// <summary>EBS-optimized figures (bandwidth in Mbps, throughput in MB/s).</summary>
public sealed record EbsPerformance(int BaselineBandwidthInMbps, int MaximumBandwidthInMbps, int BaselineIops, int MaximumIops)
{
    public double BaselineThroughputInMBps => BaselineBandwidthInMbps / 8.0;
    public double MaximumThroughputInMBps => MaximumBandwidthInMbps / 8.0;
}

public sealed record EbsCapabilities(string OptimizedSupport, string EncryptionSupport, string NvmeSupport, EbsPerformance? Performance);

public sealed record NetworkCard(int Index, string NetworkPerformance, int MaximumNetworkInterfaces);

public sealed record NetworkCapabilities
{
    public required string NetworkPerformance { get; init; }
    public required int MaximumNetworkInterfaces { get; init; }
    public required int Ipv4AddressesPerInterface { get; init; }
    public required int Ipv6AddressesPerInterface { get; init; }
    public required bool Ipv6Supported { get; init; }

    /// <summary><c>required</c>, <c>supported</c> or <c>unsupported</c>.</summary>
    public required string EnaSupport { get; init; }

    public bool EfaSupported => MaximumEfaInterfaces > 0;
    public int MaximumEfaInterfaces { get; init; }
    public required IReadOnlyList<NetworkCard> NetworkCards { get; init; }
}

/// <summary>Identical accelerator devices (GPUs, Inferentia chips): how many, and the memory of each.</summary>
public sealed record AcceleratorDevices(string Manufacturer, string Name, int Count, int MemoryMiBPerDevice)
{
    public int TotalMemoryMiB => Count * MemoryMiBPerDevice;
}

/// <summary>AWS Neuron devices (Inferentia2, Trainium).</summary>
public sealed record NeuronDevices(string Name, int Count, int CoresPerDevice, int CoreVersion, int MemoryMiBPerDevice)
{
    public int TotalMemoryMiB => Count * MemoryMiBPerDevice;
}
