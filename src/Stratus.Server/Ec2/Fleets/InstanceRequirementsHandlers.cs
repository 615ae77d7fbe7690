using Stratus.Core;
using Stratus.Domain.Fleets;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// Attribute-based instance type selection: GetInstanceTypesFromInstanceRequirements, and
/// <c>InstanceRequirements</c> in fleet overrides (each matching type becomes a pool).
/// </summary>
internal sealed partial class Ec2Service
{
    public override Task<GetInstanceTypesFromInstanceRequirementsResult> GetInstanceTypesFromInstanceRequirementsAsync(
        RequestContext context, GetInstanceTypesFromInstanceRequirementsRequest request)
    {
        var requirements = request.InstanceRequirements ?? throw AwsErrors.MissingParameter("InstanceRequirements");
        var architectures = request.ArchitectureTypes is { Count: > 0 } a ? a : throw AwsErrors.MissingParameter("ArchitectureTypes");
        var virtualization = request.VirtualizationTypes is { Count: > 0 } v ? v : throw AwsErrors.MissingParameter("VirtualizationTypes");
        var spec = ToRequirements(requirements) with { Architectures = architectures, VirtualizationTypes = virtualization };
        var types = InstanceRequirementsMatcher.Match(spec, context.Region).Select(t => t.Name).ToList();
        var (page, next) = PageFleetItems(types, request.MaxResults, request.NextToken, 1000);
        return Task.FromResult(new GetInstanceTypesFromInstanceRequirementsResult
        {
            InstanceTypes = page.Select(t => new InstanceTypeInfoFromInstanceRequirements { InstanceType = t }).ToList(),
            NextToken = next,
        });
    }

    /// <summary>The instance types of a Spot Fleet override's requirements (refused when none match).</summary>
    private static List<string?> InstanceTypesFor(InstanceRequirements requirements, string region) => MatchingTypes(region, new InstanceRequirementsSpec
    {
        VCpuMin = requirements.VCpuCount?.Min ?? throw AwsErrors.MissingParameter("InstanceRequirements.VCpuCount"),
        VCpuMax = requirements.VCpuCount?.Max,
        MemoryMiBMin = requirements.MemoryMiB?.Min ?? throw AwsErrors.MissingParameter("InstanceRequirements.MemoryMiB"),
        MemoryMiBMax = requirements.MemoryMiB?.Max,
        MemoryGiBPerVCpuMin = requirements.MemoryGiBPerVCpu?.Min,
        MemoryGiBPerVCpuMax = requirements.MemoryGiBPerVCpu?.Max,
        AcceleratorCountMin = requirements.AcceleratorCount?.Min,
        AcceleratorCountMax = requirements.AcceleratorCount?.Max,
        AllowedInstanceTypes = requirements.AllowedInstanceTypes ?? [],
        ExcludedInstanceTypes = requirements.ExcludedInstanceTypes ?? [],
        InstanceGenerations = requirements.InstanceGenerations ?? [],
        CpuManufacturers = requirements.CpuManufacturers ?? [],
        BurstablePerformance = requirements.BurstablePerformance,
        BareMetal = requirements.BareMetal,
    });

    /// <summary>The instance types of an EC2 Fleet override's requirements (refused when none match).</summary>
    private static List<string?> InstanceTypesFor(InstanceRequirementsRequest requirements, string region) => MatchingTypes(region, ToRequirements(requirements));

    private static List<string?> MatchingTypes(string region, InstanceRequirementsSpec spec)
    {
        var names = InstanceRequirementsMatcher.Match(spec, region).Select(t => (string?)t.Name).ToList();
        return names.Count > 0 ? names : throw AwsErrors.InvalidParameterValue("No instance type in this Region meets the specified instance requirements.");
    }

    private static InstanceRequirementsSpec ToRequirements(InstanceRequirementsRequest requirements)
    {
        var vcpu = requirements.VCpuCount ?? throw AwsErrors.MissingParameter("InstanceRequirements.VCpuCount");
        var memory = requirements.MemoryMiB ?? throw AwsErrors.MissingParameter("InstanceRequirements.MemoryMiB");
        if (vcpu.Min is not { } vmin || vmin < 0 || (vcpu.Max is { } vmax && vmax < vmin))
        {
            throw AwsErrors.InvalidParameterValue("The VCpuCount range is invalid: Min must be at least 0 and no greater than Max.");
        }
        if (memory.Min is not { } mmin || mmin < 0 || (memory.Max is { } mmax && mmax < mmin))
        {
            throw AwsErrors.InvalidParameterValue("The MemoryMiB range is invalid: Min must be at least 0 and no greater than Max.");
        }
        return new InstanceRequirementsSpec
        {
            VCpuMin = vmin,
            VCpuMax = vcpu.Max,
            MemoryMiBMin = mmin,
            MemoryMiBMax = memory.Max,
            MemoryGiBPerVCpuMin = requirements.MemoryGiBPerVCpu?.Min,
            MemoryGiBPerVCpuMax = requirements.MemoryGiBPerVCpu?.Max,
            AcceleratorCountMin = requirements.AcceleratorCount?.Min,
            AcceleratorCountMax = requirements.AcceleratorCount?.Max,
            AllowedInstanceTypes = requirements.AllowedInstanceTypes ?? [],
            ExcludedInstanceTypes = requirements.ExcludedInstanceTypes ?? [],
            InstanceGenerations = requirements.InstanceGenerations ?? [],
            CpuManufacturers = requirements.CpuManufacturers ?? [],
            BurstablePerformance = requirements.BurstablePerformance,
            BareMetal = requirements.BareMetal,
        };
    }
}
