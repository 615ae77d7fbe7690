using System.Globalization;
using Stratus.Core;

namespace Stratus.Domain.Ebs;

/// <summary>EBS volume types and what each allows, as the EC2 API reference documents them.</summary>
public sealed record VolumeTypeLimits(
    string Name,
    int MinSize,
    int MaxSize,
    int? MinIops,
    int? MaxIops,
    int? MaxIopsPerGiB,
    bool IopsRequired,
    bool SupportsThroughput,
    bool SupportsMultiAttach);

/// <summary>The size and performance a volume ends up with once defaults are applied.</summary>
public sealed record EffectiveVolume(string VolumeType, int Size, int? Iops, int? Throughput);

/// <summary>
/// The rules of EBS volume types (CreateVolume, ModifyVolume, block device mappings):
/// sizes, IOPS and throughput ranges, their ratios to size and to each other, and the defaults
/// AWS applies. Pure: no store, no clock, so launches reuse them for root and data volumes.
/// </summary>
/// <remarks>
/// Limits as the current EC2 API reference gives them: gp2 1–16,384 GiB with 3 IOPS/GiB (100 to
/// 16,000, not settable); gp3 1–65,536 GiB, 3,000 (default) to 80,000 IOPS at most 500 IOPS/GiB
/// above the 3,000 baseline, 125 (default) to 2,000 MiB/s at most 0.25 MiB/s per IOPS above the
/// 125 baseline; io1 4–16,384 GiB with 100–64,000 IOPS (required) at most 50/GiB; io2 4–65,536
/// GiB with 100–256,000 IOPS (required) at most 1,000/GiB; st1 and sc1 125–16,384 GiB;
/// standard 1–1,024 GiB. Multi-Attach only for io1 and io2. The default type is gp2.
/// </remarks>
public static class VolumeRules
{
    public const string DefaultVolumeType = "gp2";
    public const int Gp3BaselineIops = 3000;
    public const int Gp3BaselineThroughput = 125;
    public const int Gp3MaxThroughput = 2000;
    public const int Gp3MaxThroughputPerIopsQuarter = 4; // throughput <= iops / 4

    public static IReadOnlyDictionary<string, VolumeTypeLimits> Types { get; } = new Dictionary<string, VolumeTypeLimits>(StringComparer.Ordinal)
    {
        ["gp2"] = new("gp2", 1, 16384, null, null, null, false, false, false),
        ["gp3"] = new("gp3", 1, 65536, 3000, 80000, 500, false, true, false),
        ["io1"] = new("io1", 4, 16384, 100, 64000, 50, true, false, true),
        ["io2"] = new("io2", 4, 65536, 100, 256000, 1000, true, false, true),
        ["st1"] = new("st1", 125, 16384, null, null, null, false, false, false),
        ["sc1"] = new("sc1", 125, 16384, null, null, null, false, false, false),
        ["standard"] = new("standard", 1, 1024, null, null, null, false, false, false),
    };

    /// <summary>The baseline IOPS of a gp2 volume: 3 per GiB, at least 100 and at most 16,000.</summary>
    public static int Gp2Iops(int size) => Math.Clamp(size * 3, 100, 16000);

    /// <summary>
    /// Checks a new volume's parameters and returns what it will be. <paramref name="snapshotSize"/>
    /// is the size of the snapshot it is restored from (the default size, and the minimum).
    /// </summary>
    public static EffectiveVolume Validate(
        string? volumeType,
        int? size,
        int? iops,
        int? throughput,
        int? snapshotSize = null,
        string? snapshotId = null,
        bool multiAttach = false)
    {
        var type = volumeType ?? DefaultVolumeType;
        var limits = Find(type);
        if (size is null && snapshotSize is null)
        {
            throw AwsErrors.MissingParameter("size or snapshotId");
        }
        var effectiveSize = size ?? snapshotSize!.Value;
        if (snapshotSize is { } minimum && effectiveSize < minimum)
        {
            throw AwsErrors.InvalidParameterValue($"Volume of {effectiveSize}GiB is smaller than snapshot '{snapshotId}', expect size >= {minimum}GiB");
        }
        CheckSize(limits, effectiveSize);
        if (multiAttach && !limits.SupportsMultiAttach)
        {
            throw AwsErrors.InvalidParameterCombination($"The parameter multiAttachEnabled is not supported for {type} volumes. Multi-Attach is supported for io1 and io2 volumes only.");
        }
        var (effectiveIops, effectiveThroughput) = Performance(limits, effectiveSize, iops, throughput);
        return new EffectiveVolume(type, effectiveSize, effectiveIops, effectiveThroughput);
    }

    /// <summary>
    /// Checks a ModifyVolume request against the volume as it is and returns the target. Unset
    /// parameters keep their current value when the type stays; a new type gets that type's defaults
    /// (3,000 IOPS for gp3, io1 and io2; 125 MiB/s for gp3).
    /// </summary>
    public static EffectiveVolume ValidateModification(EffectiveVolume current, string? volumeType, int? size, int? iops, int? throughput, bool? multiAttach, bool currentMultiAttach)
    {
        var type = volumeType ?? current.VolumeType;
        var limits = Find(type);
        var sameType = type == current.VolumeType;
        var targetSize = size ?? current.Size;
        if (targetSize < current.Size)
        {
            throw AwsErrors.InvalidParameterValue($"New size cannot be smaller than existing size. Current size: {current.Size}GiB, requested size: {targetSize}GiB.");
        }
        CheckSize(limits, targetSize);
        if ((multiAttach ?? (currentMultiAttach && sameType)) && !limits.SupportsMultiAttach)
        {
            throw AwsErrors.InvalidParameterCombination($"The parameter multiAttachEnabled is not supported for {type} volumes. Multi-Attach is supported for io1 and io2 volumes only.");
        }
        int? targetIops = iops;
        int? targetThroughput = throughput;
        if (limits.MinIops is not null && targetIops is null)
        {
            targetIops = sameType ? current.Iops : Gp3BaselineIops;
        }
        if (limits.SupportsThroughput && targetThroughput is null)
        {
            targetThroughput = sameType ? current.Throughput : Gp3BaselineThroughput;
        }
        var (effectiveIops, effectiveThroughput) = Performance(limits, targetSize, targetIops, targetThroughput, iopsGiven: iops is not null, throughputGiven: throughput is not null);
        var target = new EffectiveVolume(type, targetSize, effectiveIops, effectiveThroughput);
        if (target == current && (multiAttach is null || multiAttach == currentMultiAttach))
        {
            throw AwsErrors.InvalidParameterValue("New volume parameters are identical to the existing ones. Change the size, type, IOPS, throughput or Multi-Attach setting.");
        }
        return target;
    }

    public static VolumeTypeLimits Find(string type) =>
        Types.GetValueOrDefault(type)
        ?? throw AwsErrors.InvalidParameterValue($"Value ({type}) for parameter volumeType is invalid. Valid values: gp2, gp3, io1, io2, sc1, st1, standard.");

    private static void CheckSize(VolumeTypeLimits limits, int size)
    {
        if (size < limits.MinSize)
        {
            throw AwsErrors.InvalidParameterValue($"Volume of {size}GiB is too small; minimum is {limits.MinSize}GiB.");
        }
        if (size > limits.MaxSize)
        {
            throw AwsErrors.InvalidParameterValue($"Volume of {size}GiB is too large; maximum is {limits.MaxSize}GiB.");
        }
    }

    private static (int? Iops, int? Throughput) Performance(VolumeTypeLimits limits, int size, int? iops, int? throughput, bool iopsGiven = true, bool throughputGiven = true)
    {
        var type = limits.Name;
        if (limits.MinIops is null)
        {
            if (iops is not null && iopsGiven)
            {
                throw AwsErrors.InvalidParameterCombination($"The parameter iops is not supported for {type} volumes.");
            }
        }
        else if (iops is null)
        {
            if (limits.IopsRequired)
            {
                throw AwsErrors.MissingParameter("iops");
            }
            iops = Gp3BaselineIops;
        }
        else
        {
            if (iops < limits.MinIops)
            {
                throw AwsErrors.InvalidParameterValue($"Volume iops of {iops} is too low; minimum is {limits.MinIops}.");
            }
            if (iops > limits.MaxIops)
            {
                throw AwsErrors.InvalidParameterValue($"Volume iops of {iops} is too high; maximum is {limits.MaxIops}.");
            }
            // gp3's 3,000 IOPS baseline comes with any size; the ratio limits what is provisioned above it.
            var ratioApplies = type != "gp3" || iops > Gp3BaselineIops;
            if (ratioApplies && iops > (long)limits.MaxIopsPerGiB!.Value * size)
            {
                throw AwsErrors.InvalidParameterValue(string.Create(CultureInfo.InvariantCulture,
                    $"Iops to volume size ratio of {(double)iops.Value / size:F6} is too high; maximum is {limits.MaxIopsPerGiB.Value:F6}"));
            }
        }

        if (!limits.SupportsThroughput)
        {
            if (throughput is not null && throughputGiven)
            {
                throw AwsErrors.InvalidParameterCombination($"The parameter throughput is not supported for {type} volumes.");
            }
            return (type == "gp2" ? Gp2Iops(size) : iops, null);
        }
        throughput ??= Gp3BaselineThroughput;
        if (throughput < Gp3BaselineThroughput)
        {
            throw AwsErrors.InvalidParameterValue($"Volume throughput of {throughput} is too low; minimum is {Gp3BaselineThroughput}.");
        }
        if (throughput > Gp3MaxThroughput)
        {
            throw AwsErrors.InvalidParameterValue($"Volume throughput of {throughput} is too high; maximum is {Gp3MaxThroughput}.");
        }
        if (throughput > Gp3BaselineThroughput && throughput * Gp3MaxThroughputPerIopsQuarter > iops)
        {
            throw AwsErrors.InvalidParameterValue(string.Create(CultureInfo.InvariantCulture,
                $"Throughput (MiBps) to iops ratio of {(double)throughput.Value / iops!.Value:F6} is too high; maximum is 0.250000 MiBps per iops."));
        }
        return (iops, throughput);
    }
}
