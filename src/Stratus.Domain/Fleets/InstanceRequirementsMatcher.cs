using Stratus.Domain.Compute.InstanceTypes;

namespace Stratus.Domain.Fleets;

/// <summary>
/// Attribute-based instance type selection (<c>InstanceRequirements</c>), in the domain's terms:
/// ranges are inclusive, a null bound is open; the name lists accept <c>*</c> wildcards.
/// </summary>
public sealed record InstanceRequirementsSpec
{
    public int VCpuMin { get; init; }
    public int? VCpuMax { get; init; }
    public long MemoryMiBMin { get; init; }
    public long? MemoryMiBMax { get; init; }
    public double? MemoryGiBPerVCpuMin { get; init; }
    public double? MemoryGiBPerVCpuMax { get; init; }
    public int? AcceleratorCountMin { get; init; }
    public int? AcceleratorCountMax { get; init; }
    public IReadOnlyList<string> AllowedInstanceTypes { get; init; } = [];
    public IReadOnlyList<string> ExcludedInstanceTypes { get; init; } = [];
    public IReadOnlyList<string> InstanceGenerations { get; init; } = [];
    public IReadOnlyList<string> CpuManufacturers { get; init; } = [];

    /// <summary><c>included</c> (default), <c>required</c> or <c>excluded</c>.</summary>
    public string? BurstablePerformance { get; init; }

    /// <summary><c>included</c>, <c>required</c> or <c>excluded</c> (default).</summary>
    public string? BareMetal { get; init; }
    public IReadOnlyList<string> Architectures { get; init; } = [];
    public IReadOnlyList<string> VirtualizationTypes { get; init; } = [];
}

/// <summary>Filters the instance-type catalog by <see cref="InstanceRequirementsSpec"/>.</summary>
public static class InstanceRequirementsMatcher
{
    /// <summary>The catalog's types that meet every requirement, by name.</summary>
    public static IReadOnlyList<InstanceTypeInfo> Match(InstanceRequirementsSpec spec, string region) =>
        InstanceTypeCatalog.All
            .Where(t => InstanceTypeCatalog.IsOfferedInRegion(t.Name, region) && Matches(spec, t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();

    public static bool Matches(InstanceRequirementsSpec spec, InstanceTypeInfo type)
    {
        var vcpus = type.DefaultVCpus;
        if (vcpus < spec.VCpuMin || (spec.VCpuMax is { } vmax && vcpus > vmax))
        {
            return false;
        }
        if (type.MemoryMiB < spec.MemoryMiBMin || (spec.MemoryMiBMax is { } mmax && type.MemoryMiB > mmax))
        {
            return false;
        }
        var perVcpu = type.MemoryMiB / 1024.0 / Math.Max(1, vcpus);
        if ((spec.MemoryGiBPerVCpuMin is { } pmin && perVcpu < pmin) || (spec.MemoryGiBPerVCpuMax is { } pmax && perVcpu > pmax))
        {
            return false;
        }
        var accelerators = (type.Gpus?.Count ?? 0) + (type.InferenceAccelerators?.Count ?? 0) + (type.Neuron?.Count ?? 0);
        if ((spec.AcceleratorCountMin is { } amin && accelerators < amin) || (spec.AcceleratorCountMax is { } amax && accelerators > amax))
        {
            return false;
        }
        if (spec.AllowedInstanceTypes.Count > 0 && !spec.AllowedInstanceTypes.Any(p => Wildcard(p, type.Name)))
        {
            return false;
        }
        if (spec.ExcludedInstanceTypes.Any(p => Wildcard(p, type.Name)))
        {
            return false;
        }
        if (spec.InstanceGenerations.Count > 0 && !spec.InstanceGenerations.Contains(type.CurrentGeneration ? "current" : "previous"))
        {
            return false;
        }
        if (spec.CpuManufacturers.Count > 0 && !spec.CpuManufacturers.Contains(Manufacturer(type.ProcessorManufacturer)))
        {
            return false;
        }
        if (!Tri(spec.BurstablePerformance ?? "included", type.BurstablePerformanceSupported) || !Tri(spec.BareMetal ?? "excluded", type.BareMetal))
        {
            return false;
        }
        if (spec.Architectures.Count > 0 && !type.Architectures.Any(spec.Architectures.Contains))
        {
            return false;
        }
        return spec.VirtualizationTypes.Count == 0 || type.SupportedVirtualizationTypes.Any(spec.VirtualizationTypes.Contains);
    }

    private static bool Tri(string rule, bool has) => rule switch
    {
        "required" => has,
        "excluded" => !has,
        _ => true,
    };

    private static string Manufacturer(string? name) => name?.ToUpperInvariant() switch
    {
        "INTEL" => "intel",
        "AMD" => "amd",
        "AWS" or "AMAZON WEB SERVICES" => "amazon-web-services",
        "APPLE" => "apple",
        _ => name?.ToLowerInvariant() ?? "",
    };

    /// <summary>EC2's instance type patterns: <c>*</c> for any run of characters (<c>m5.*</c>, <c>*3*</c>).</summary>
    public static bool Wildcard(string pattern, string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
}
