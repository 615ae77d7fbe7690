using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Regions;

namespace Stratus.Domain.Compute.InstanceTypes;

/// <summary>
/// The instance types Stratus offers, read once from the embedded <c>instance-types.json</c>
/// (figures and sources in README.md next to it), and where each is offered: every type in every
/// availability zone of every region, except the families the data file restricts to listed zones.
/// </summary>
public static class InstanceTypeCatalog
{
    private const string ResourceName = "Stratus.Domain.InstanceTypes.json";

    private static readonly Lazy<Catalog> Data = new(Load);

    /// <summary>Every instance type, ordered by name.</summary>
    public static IReadOnlyList<InstanceTypeInfo> All => Data.Value.Types;

    /// <summary>The type with this exact name (instance type names are lower case), or null.</summary>
    public static InstanceTypeInfo? Find(string name) => Data.Value.ByName.GetValueOrDefault(name);

    /// <summary>True when <paramref name="type"/> exists and can be launched in <paramref name="availabilityZone"/> (a zone name).</summary>
    public static bool IsOffered(string type, string availabilityZone)
    {
        if (Find(type) is not { } info)
        {
            return false;
        }
        if (Data.Value.ZonesByFamily.TryGetValue(info.Family, out var zones))
        {
            return zones.Contains(availabilityZone);
        }
        return RegionCatalog.All.Any(r => r.Zones.Any(z => z.ZoneName == availabilityZone));
    }

    /// <summary>True when <paramref name="type"/> is offered in at least one zone of <paramref name="region"/>.</summary>
    public static bool IsOfferedInRegion(string type, string region) =>
        RegionCatalog.Find(region) is { } r && r.Zones.Any(z => IsOffered(type, z.ZoneName));

    /// <summary>
    /// Checks the names of a DescribeInstanceTypes request: each must exist (and, unless
    /// <paramref name="includeUnsupported"/>, be offered in <paramref name="region"/>), else
    /// <c>InvalidInstanceType</c> naming all the missing ones, as EC2 answers.
    /// </summary>
    public static IReadOnlyList<InstanceTypeInfo> Resolve(IEnumerable<string> names, string region, bool includeUnsupported)
    {
        var found = new List<InstanceTypeInfo>();
        var missing = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (Find(name) is { } info && (includeUnsupported || IsOfferedInRegion(name, region)))
            {
                found.Add(info);
            }
            else
            {
                missing.Add(name);
            }
        }
        if (missing.Count > 0)
        {
            throw new AwsException("InvalidInstanceType", $"The following supplied instance types do not exist: [{string.Join(", ", missing)}]");
        }
        return found;
    }

    private sealed record Catalog(
        IReadOnlyList<InstanceTypeInfo> Types,
        Dictionary<string, InstanceTypeInfo> ByName,
        Dictionary<string, HashSet<string>> ZonesByFamily);

    private static Catalog Load()
    {
        using var stream = typeof(InstanceTypeCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        var root = JsonNode.Parse(stream)!.AsObject();
        var defaults = root["defaults"]!.AsObject();
        var profiles = root["profiles"]!.AsObject();
        var types = new List<InstanceTypeInfo>();
        foreach (var family in root["families"]!.AsArray().Select(f => f!.AsObject()))
        {
            var baseline = Merge(defaults, family["profile"] is { } p ? profiles[p.GetValue<string>()]!.AsObject() : null, family);
            foreach (var size in family["sizes"]!.AsArray())
            {
                types.Add(Build(Merge(baseline, size!.AsObject())));
            }
        }
        types.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var zones = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var rule in root["offerings"]!.AsArray().Select(r => r!.AsObject()))
        {
            var set = Strings(rule["zones"]).ToHashSet(StringComparer.Ordinal);
            foreach (var regionName in Strings(rule["regions"]))
            {
                var region = RegionCatalog.Find(regionName) ?? throw new InvalidOperationException($"instance-types.json: unknown region {regionName}");
                set.UnionWith(region.Zones.Select(z => z.ZoneName));
            }
            foreach (var f in Strings(rule["families"]))
            {
                zones[f] = set;
            }
        }
        return new Catalog(types, types.ToDictionary(t => t.Name, StringComparer.Ordinal), zones);
    }

    private static JsonObject Merge(params JsonObject?[] layers)
    {
        var merged = new JsonObject();
        foreach (var layer in layers)
        {
            foreach (var (key, value) in layer ?? [])
            {
                if (key is "sizes" or "profile")
                {
                    continue;
                }
                if (key == "processor" && value is JsonObject proc && merged["processor"] is JsonObject existing)
                {
                    merged["processor"] = Merge(existing, proc);
                    continue;
                }
                merged[key] = value?.DeepClone();
            }
        }
        return merged;
    }

    private static InstanceTypeInfo Build(JsonObject d)
    {
        var family = Str(d, "family")!;
        var size = Str(d, "size")!;
        var name = family + "." + size;
        var vcpus = Int(d, "vcpus") ?? throw Bad(name, "vcpus");
        var threads = Int(d, "threadsPerCore") ?? 1;
        // EC2 truncates: m1.small's 1.7 GiB is 1740 MiB, t1.micro's 0.613 GiB is 627 MiB.
        var memoryMiB = (long)Math.Floor((d["memoryGiB"]?.GetValue<double>() ?? throw Bad(name, "memoryGiB")) * 1024);
        var bareMetal = Bool(d, "bareMetal") ?? false;
        var burstable = Bool(d, "burstable") ?? false;
        var architectures = Strings(d["architectures"]);
        var isMac = architectures.Any(a => a.EndsWith("_mac", StringComparison.Ordinal));
        var hypervisor = bareMetal ? null : Str(d, "hypervisor");
        var nitro = Str(d, "hypervisor") == "nitro";

        InstanceStorage? storage = null;
        if (d["disks"] is JsonArray disks && d["disk"] is JsonObject disk)
        {
            storage = new InstanceStorage(
                [new InstanceDisk(disks[0]!.GetValue<int>(), disks[1]!.GetValue<int>(), Str(disk, "type")!)],
                Str(disk, "nvme") ?? "unsupported",
                Str(disk, "encryption"));
        }

        EbsPerformance? ebsPerformance = d["ebs"] is JsonArray e
            ? new EbsPerformance(e[0]!.GetValue<int>(), e[1]!.GetValue<int>(), e[2]!.GetValue<int>(), e[3]!.GetValue<int>())
            : null;

        var enis = Int(d, "enis") ?? throw Bad(name, "enis");
        var ipv4 = Int(d, "ipv4") ?? throw Bad(name, "ipv4");
        var ipv6 = Bool(d, "ipv6") ?? false;
        var performance = Str(d, "network") ?? throw Bad(name, "network");
        var cardCount = Int(d, "networkCards") ?? 1;
        var cards = cardCount == 1
            ? new List<NetworkCard> { new(0, performance, enis) }
            : Enumerable.Range(0, cardCount).Select(i => new NetworkCard(i, Str(d, "cardNetwork") ?? performance, enis / cardCount)).ToList();

        var accelerated = d["gpu"] is not null || d["inferenceAccelerator"] is not null || d["neuron"] is not null;
        var minEnclaveVCpus = architectures.Contains("arm64") ? 2 : 4;
        string? enclaves = !nitro ? "unsupported"
            : bareMetal || burstable || isMac ? "unsupported"
            : accelerated ? null
            : vcpus >= minEnclaveVCpus ? "supported" : "unsupported";
        var tpm = (Bool(d, "nitroTpm") ?? false) && nitro && !bareMetal;

        return new InstanceTypeInfo
        {
            Name = name,
            Family = family,
            Size = size,
            DefaultVCpus = vcpus,
            DefaultThreadsPerCore = threads,
            DefaultCores = vcpus / threads,
            ValidThreadsPerCore = bareMetal || isMac ? null : threads == 2 ? [1, 2] : [1],
            MemoryMiB = memoryMiB,
            Architectures = architectures,
            ProcessorManufacturer = d["processor"] is JsonObject proc ? Str(proc, "manufacturer") : null,
            SustainedClockSpeedGhz = d["processor"] is JsonObject proc2 ? proc2["clockGhz"]?.GetValue<double>() : null,
            Hypervisor = hypervisor,
            BareMetal = bareMetal,
            BurstablePerformanceSupported = burstable,
            CurrentGeneration = Bool(d, "currentGeneration") ?? true,
            FreeTierEligible = Bool(d, "freeTier") ?? false,
            // EC2 hibernates only instances with less than 150 GiB of memory, and never bare metal.
            HibernationSupported = (Bool(d, "hibernation") ?? false) && !bareMetal && memoryMiB < 150 * 1024,
            AutoRecoverySupported = Bool(d, "autoRecovery") ?? storage is null,
            DedicatedHostsSupported = Bool(d, "dedicatedHosts") ?? false,
            InstanceStorage = storage,
            Ebs = new EbsCapabilities(Str(d, "ebsOptimized") ?? "unsupported", Str(d, "ebsEncryption") ?? "supported", Str(d, "ebsNvme") ?? "unsupported", ebsPerformance),
            Network = new NetworkCapabilities
            {
                NetworkPerformance = performance,
                MaximumNetworkInterfaces = enis,
                Ipv4AddressesPerInterface = ipv4,
                Ipv6AddressesPerInterface = ipv6 ? ipv4 : 0,
                Ipv6Supported = ipv6,
                EnaSupport = Str(d, "ena") ?? "unsupported",
                MaximumEfaInterfaces = Int(d, "efaInterfaces") ?? 0,
                NetworkCards = cards,
            },
            Gpus = d["gpu"] is JsonObject g ? new AcceleratorDevices(Str(g, "manufacturer")!, Str(g, "name")!, Int(d, "gpus") ?? throw Bad(name, "gpus"), Int(g, "memoryMiB")!.Value) : null,
            InferenceAccelerators = d["inferenceAccelerator"] is JsonObject a
                ? new AcceleratorDevices(Str(a, "manufacturer")!, Str(a, "name")!, Int(d, "accelerators") ?? throw Bad(name, "accelerators"), Int(a, "memoryMiB")!.Value)
                : null,
            Neuron = d["neuron"] is JsonObject n
                ? new NeuronDevices(Str(n, "name")!, Int(d, "neuronDevices") ?? throw Bad(name, "neuronDevices"), Int(n, "cores")!.Value, Int(n, "coreVersion")!.Value, Int(n, "memoryMiB")!.Value)
                : null,
            SupportedUsageClasses = Strings(d["usageClasses"]),
            SupportedRootDeviceTypes = Strings(d["rootDeviceTypes"]),
            SupportedVirtualizationTypes = Strings(d["virtualizationTypes"]),
            SupportedBootModes = Strings(d["bootModes"]),
            PlacementGroupStrategies = Strings(d["placementStrategies"]),
            NitroEnclavesSupport = enclaves,
            NitroTpmSupport = tpm ? "supported" : "unsupported",
            NitroTpmVersions = tpm ? ["2.0"] : [],
        };
    }

    private static InvalidOperationException Bad(string type, string field) => new($"instance-types.json: {type} has no {field}");

    private static string? Str(JsonObject o, string key) => o[key]?.GetValue<string>();

    private static int? Int(JsonObject o, string key) => o[key]?.GetValue<int>();

    private static bool? Bool(JsonObject o, string key) => o[key]?.GetValue<bool>();

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(v => v!.GetValue<string>()).ToList() : [];
}
