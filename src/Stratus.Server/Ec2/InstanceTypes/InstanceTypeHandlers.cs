using System.Globalization;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Filtering;
using Stratus.Domain.Regions;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using TypeInfo = Stratus.Domain.Compute.InstanceTypes.InstanceTypeInfo;

namespace Stratus.Server.Ec2;

/// <summary>Instance types: DescribeInstanceTypes and DescribeInstanceTypeOfferings over the catalog.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeInstanceTypes")]
    private static readonly FilterSet<TypeInfo> InstanceTypeFilters = new FilterSet<TypeInfo>()
        .Add("auto-recovery-supported", t => t.AutoRecoverySupported)
        .Add("bare-metal", t => t.BareMetal)
        .Add("burstable-performance-supported", t => t.BurstablePerformanceSupported)
        .Add("current-generation", t => t.CurrentGeneration)
        .Add("dedicated-hosts-supported", t => t.DedicatedHostsSupported)
        .Add("ebs-info.attachment-limit-type", _ => null)
        .AddMany("ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps", t => Number(t.Ebs.Performance?.BaselineBandwidthInMbps))
        .AddMany("ebs-info.ebs-optimized-info.baseline-iops", t => Number(t.Ebs.Performance?.BaselineIops))
        .AddMany("ebs-info.ebs-optimized-info.baseline-throughput-in-mbps", t => Number(t.Ebs.Performance?.BaselineThroughputInMBps))
        .AddMany("ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps", t => Number(t.Ebs.Performance?.MaximumBandwidthInMbps))
        .AddMany("ebs-info.ebs-optimized-info.maximum-iops", t => Number(t.Ebs.Performance?.MaximumIops))
        .AddMany("ebs-info.ebs-optimized-info.maximum-throughput-in-mbps", t => Number(t.Ebs.Performance?.MaximumThroughputInMBps))
        .Add("ebs-info.ebs-optimized-support", t => t.Ebs.OptimizedSupport)
        .Add("ebs-info.encryption-support", t => t.Ebs.EncryptionSupport)
        .Add("ebs-info.maximum-ebs-attachments", _ => null)
        .Add("ebs-info.nvme-support", t => t.Ebs.NvmeSupport)
        .Add("free-tier-eligible", t => t.FreeTierEligible)
        .Add("hibernation-supported", t => t.HibernationSupported)
        .Add("hypervisor", t => t.Hypervisor)
        .AddMany("instance-storage-info.disk.count", t => t.InstanceStorage?.Disks.SelectMany(d => Number(d.Count)) ?? [])
        .AddMany("instance-storage-info.disk.size-in-gb", t => t.InstanceStorage?.Disks.SelectMany(d => Number(d.SizeInGb)) ?? [])
        .AddMany("instance-storage-info.disk.type", t => t.InstanceStorage?.Disks.Select(d => d.Type) ?? [])
        .Add("instance-storage-info.encryption-support", t => t.InstanceStorage?.EncryptionSupport)
        .Add("instance-storage-info.nvme-support", t => t.InstanceStorage?.NvmeSupport)
        .AddMany("instance-storage-info.total-size-in-gb", t => Number(t.InstanceStorageGb))
        .Add("instance-storage-supported", t => t.InstanceStorage is not null)
        .Add("instance-type", t => t.Name)
        .AddMany("memory-info.size-in-mib", t => Number(t.MemoryMiB))
        .AddMany("network-info.bandwidth-weightings", _ => [])
        .AddMany("network-info.efa-info.maximum-efa-interfaces", t => t.Network.EfaSupported ? Number(t.Network.MaximumEfaInterfaces) : [])
        .Add("network-info.efa-supported", t => t.Network.EfaSupported)
        .Add("network-info.ena-support", t => t.Network.EnaSupport)
        .Add("network-info.encryption-in-transit-supported", _ => null)
        .Add("network-info.flexible-ena-queues-support", _ => null)
        .AddMany("network-info.ipv4-addresses-per-interface", t => Number(t.Network.Ipv4AddressesPerInterface))
        .AddMany("network-info.ipv6-addresses-per-interface", t => Number(t.Network.Ipv6AddressesPerInterface))
        .Add("network-info.ipv6-supported", t => t.Network.Ipv6Supported)
        .AddMany("network-info.maximum-network-cards", t => Number(t.Network.NetworkCards.Count))
        .AddMany("network-info.maximum-network-interfaces", t => Number(t.Network.MaximumNetworkInterfaces))
        .Add("network-info.network-performance", t => t.Network.NetworkPerformance)
        .Add("nitro-enclaves-support", t => t.NitroEnclavesSupport)
        .AddMany("nitro-tpm-info.supported-versions", t => t.NitroTpmVersions)
        .Add("nitro-tpm-support", t => t.NitroTpmSupport)
        .AddMany("processor-info.supported-architecture", t => t.Architectures)
        .AddMany("processor-info.supported-features", _ => [])
        .AddMany("processor-info.sustained-clock-speed-in-ghz", t => Number(t.SustainedClockSpeedGhz))
        .Add("reboot-migration-support", _ => null)
        .AddMany("supported-boot-mode", t => t.SupportedBootModes)
        .AddMany("supported-root-device-type", t => t.SupportedRootDeviceTypes)
        .AddMany("supported-usage-class", t => t.SupportedUsageClasses)
        .AddMany("supported-virtualization-type", t => t.SupportedVirtualizationTypes)
        .AddMany("vcpu-info.default-cores", t => Number(t.DefaultCores))
        .AddMany("vcpu-info.default-threads-per-core", t => Number(t.DefaultThreadsPerCore))
        .AddMany("vcpu-info.default-vcpus", t => Number(t.DefaultVCpus))
        .AddMany("vcpu-info.valid-cores", _ => [])
        .AddMany("vcpu-info.valid-threads-per-core", t => t.ValidThreadsPerCore?.SelectMany(v => Number(v)) ?? []);

    [FiltersFor("DescribeInstanceTypeOfferings")]
    private static readonly FilterSet<InstanceTypeOffering> OfferingFilters = new FilterSet<InstanceTypeOffering>()
        .Add("instance-type", o => o.InstanceType)
        .Add("location", o => o.Location);

    public override Task<DescribeInstanceTypesResult> DescribeInstanceTypesAsync(RequestContext context, DescribeInstanceTypesRequest request)
    {
        var includeUnsupported = request.IncludeUnsupportedInRegion == true;
        IEnumerable<TypeInfo> selected = request.InstanceTypes is { Count: > 0 } names
            ? InstanceTypeCatalog.Resolve(names, context.Region, includeUnsupported).OrderBy(t => t.Name, StringComparer.Ordinal)
            : InstanceTypeCatalog.All.Where(t => includeUnsupported || InstanceTypeCatalog.IsOfferedInRegion(t.Name, context.Region));
        var page = Paginator.Paginate(
            InstanceTypeFilters.Apply(selected, ToCriteria(request.Filters)), t => t.Name, request.MaxResults, request.NextToken, minResults: 5, maxAllowed: 100);
        return Task.FromResult(new DescribeInstanceTypesResult
        {
            InstanceTypes = page.Items.Select(t => ToShape(t, InstanceTypeCatalog.IsOfferedInRegion(t.Name, context.Region))).ToList(),
            NextToken = page.NextToken,
        });
    }

    public override Task<DescribeInstanceTypeOfferingsResult> DescribeInstanceTypeOfferingsAsync(RequestContext context, DescribeInstanceTypeOfferingsRequest request)
    {
        var locationType = request.LocationType ?? "region";
        var region = RegionCatalog.Get(context.Region);
        IEnumerable<InstanceTypeOffering> offerings = locationType switch
        {
            "region" => InstanceTypeCatalog.All
                .Where(t => InstanceTypeCatalog.IsOfferedInRegion(t.Name, region.Name))
                .Select(t => new InstanceTypeOffering { InstanceType = t.Name, Location = region.Name, LocationType = locationType }),
            "availability-zone" or "availability-zone-id" => region.Zones
                .SelectMany(z => InstanceTypeCatalog.All
                    .Where(t => InstanceTypeCatalog.IsOffered(t.Name, z.ZoneName))
                    .Select(t => new InstanceTypeOffering
                    {
                        InstanceType = t.Name,
                        Location = locationType == "availability-zone" ? z.ZoneName : z.ZoneId,
                        LocationType = locationType,
                    })),
            // Stratus has no Outposts: no instance type is offered on one.
            _ => [],
        };
        var ordered = offerings.OrderBy(OfferingKey, StringComparer.Ordinal);
        var page = Paginator.Paginate(OfferingFilters.Apply(ordered, ToCriteria(request.Filters)), OfferingKey, request.MaxResults, request.NextToken);
        return Task.FromResult(new DescribeInstanceTypeOfferingsResult
        {
            InstanceTypeOfferings = page.Items.ToList(),
            NextToken = page.NextToken,
        });
    }

    private static string OfferingKey(InstanceTypeOffering o) => o.Location + "/" + o.InstanceType;

    /// <summary>A number as filter values match it: integers plainly, fractions with a dot (and whole doubles also as "N.0").</summary>
    private static IEnumerable<string> Number(double? value)
    {
        if (value is not { } v)
        {
            yield break;
        }
        yield return v.ToString(CultureInfo.InvariantCulture);
        if (Math.Abs(v % 1) < double.Epsilon)
        {
            yield return v.ToString("0.0", CultureInfo.InvariantCulture);
        }
    }

    private static IEnumerable<string> Number(long? value) =>
        value is { } v ? [v.ToString(CultureInfo.InvariantCulture)] : [];

    private static IEnumerable<string> Number(int? value) => Number((long?)value);

    private static Stratus.Ec2.Model.InstanceTypeInfo ToShape(TypeInfo t, bool supportedInRegion) => new()
    {
        InstanceType = t.Name,
        CurrentGeneration = t.CurrentGeneration,
        FreeTierEligible = t.FreeTierEligible,
        SupportedUsageClasses = [.. t.SupportedUsageClasses],
        SupportedRootDeviceTypes = [.. t.SupportedRootDeviceTypes],
        SupportedVirtualizationTypes = [.. t.SupportedVirtualizationTypes],
        BareMetal = t.BareMetal,
        Hypervisor = t.Hypervisor,
        ProcessorInfo = new ProcessorInfo
        {
            SupportedArchitectures = [.. t.Architectures],
            SustainedClockSpeedInGhz = t.SustainedClockSpeedGhz,
            Manufacturer = t.ProcessorManufacturer,
        },
        VCpuInfo = new VCpuInfo
        {
            DefaultVCpus = t.DefaultVCpus,
            DefaultCores = t.DefaultCores,
            DefaultThreadsPerCore = t.DefaultThreadsPerCore,
            ValidThreadsPerCore = t.ValidThreadsPerCore is { } threads ? [.. threads] : null,
        },
        MemoryInfo = new MemoryInfo { SizeInMiB = t.MemoryMiB },
        InstanceStorageSupported = t.InstanceStorage is not null,
        InstanceStorageInfo = t.InstanceStorage is { } storage
            ? new InstanceStorageInfo
            {
                TotalSizeInGB = storage.TotalSizeInGb,
                Disks = storage.Disks.Select(d => new DiskInfo { Count = d.Count, SizeInGB = d.SizeInGb, Type = d.Type }).ToList(),
                NvmeSupport = storage.NvmeSupport,
                EncryptionSupport = storage.EncryptionSupport,
            }
            : null,
        EbsInfo = new EbsInfo
        {
            EbsOptimizedSupport = t.Ebs.OptimizedSupport,
            EncryptionSupport = t.Ebs.EncryptionSupport,
            NvmeSupport = t.Ebs.NvmeSupport,
            EbsOptimizedInfo = t.Ebs.Performance is { } p
                ? new EbsOptimizedInfo
                {
                    BaselineBandwidthInMbps = p.BaselineBandwidthInMbps,
                    BaselineThroughputInMBps = p.BaselineThroughputInMBps,
                    BaselineIops = p.BaselineIops,
                    MaximumBandwidthInMbps = p.MaximumBandwidthInMbps,
                    MaximumThroughputInMBps = p.MaximumThroughputInMBps,
                    MaximumIops = p.MaximumIops,
                }
                : null,
        },
        NetworkInfo = new NetworkInfo
        {
            NetworkPerformance = t.Network.NetworkPerformance,
            MaximumNetworkInterfaces = t.Network.MaximumNetworkInterfaces,
            MaximumNetworkCards = t.Network.NetworkCards.Count,
            DefaultNetworkCardIndex = 0,
            NetworkCards = t.Network.NetworkCards.Select(c => new NetworkCardInfo
            {
                NetworkCardIndex = c.Index,
                NetworkPerformance = c.NetworkPerformance,
                MaximumNetworkInterfaces = c.MaximumNetworkInterfaces,
            }).ToList(),
            Ipv4AddressesPerInterface = t.Network.Ipv4AddressesPerInterface,
            Ipv6AddressesPerInterface = t.Network.Ipv6AddressesPerInterface,
            Ipv6Supported = t.Network.Ipv6Supported,
            EnaSupport = t.Network.EnaSupport,
            EfaSupported = t.Network.EfaSupported,
            EfaInfo = t.Network.EfaSupported ? new EfaInfo { MaximumEfaInterfaces = t.Network.MaximumEfaInterfaces } : null,
        },
        GpuInfo = t.Gpus is { } gpus
            ? new GpuInfo
            {
                Gpus = [new GpuDeviceInfo { Name = gpus.Name, Manufacturer = gpus.Manufacturer, Count = gpus.Count, MemoryInfo = new GpuDeviceMemoryInfo { SizeInMiB = gpus.MemoryMiBPerDevice } }],
                TotalGpuMemoryInMiB = gpus.TotalMemoryMiB,
            }
            : null,
        InferenceAcceleratorInfo = t.InferenceAccelerators is { } acc
            ? new InferenceAcceleratorInfo
            {
                Accelerators = [new InferenceDeviceInfo { Name = acc.Name, Manufacturer = acc.Manufacturer, Count = acc.Count, MemoryInfo = new InferenceDeviceMemoryInfo { SizeInMiB = acc.MemoryMiBPerDevice } }],
                TotalInferenceMemoryInMiB = acc.TotalMemoryMiB,
            }
            : null,
        NeuronInfo = t.Neuron is { } neuron
            ? new NeuronInfo
            {
                NeuronDevices =
                [
                    new NeuronDeviceInfo
                    {
                        Name = neuron.Name,
                        Count = neuron.Count,
                        CoreInfo = new NeuronDeviceCoreInfo { Count = neuron.CoresPerDevice, Version = neuron.CoreVersion },
                        MemoryInfo = new NeuronDeviceMemoryInfo { SizeInMiB = neuron.MemoryMiBPerDevice },
                    },
                ],
                TotalNeuronDeviceMemoryInMiB = neuron.TotalMemoryMiB,
            }
            : null,
        PlacementGroupInfo = t.PlacementGroupStrategies.Count > 0 ? new PlacementGroupInfo { SupportedStrategies = [.. t.PlacementGroupStrategies] } : null,
        HibernationSupported = t.HibernationSupported,
        BurstablePerformanceSupported = t.BurstablePerformanceSupported,
        DedicatedHostsSupported = t.DedicatedHostsSupported,
        AutoRecoverySupported = t.AutoRecoverySupported,
        SupportedBootModes = t.SupportedBootModes.Count > 0 ? [.. t.SupportedBootModes] : null,
        NitroEnclavesSupport = t.NitroEnclavesSupport,
        NitroTpmSupport = t.NitroTpmSupport,
        NitroTpmInfo = t.NitroTpmVersions.Count > 0 ? new NitroTpmInfo { SupportedVersions = [.. t.NitroTpmVersions] } : null,
        SupportedInRegion = supportedInRegion,
    };
}
