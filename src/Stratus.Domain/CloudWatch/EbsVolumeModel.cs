namespace Stratus.Domain.CloudWatch;

/// <summary>
/// What CloudWatch's <c>AWS/EBS</c> metrics of one volume are made of between two samples of its
/// block I/O counters: the volume's I/O credit bucket (gp2: baseline 3 IOPS per GiB, at least 100,
/// bursting to 3,000 IOPS from 5.4 million credits; st1/sc1: a throughput bucket of 1 TiB per TiB at
/// 40/12 MiB/s per TiB baseline) for BurstBalance, and for io1/io2 how much of the provisioned IOPS
/// was used (VolumeThroughputPercentage) and the I/O counted in 256 KiB units
/// (VolumeConsumedReadWriteOps).
/// </summary>
public sealed class EbsVolumeModel(string volumeType, int sizeGiB, int? iops)
{
    private const double Gp2Bucket = 5_400_000;
    private const double MiB = 1024 * 1024;

    public string VolumeType { get; } = volumeType;

    /// <summary>Volume types with a burst bucket (BurstBalance).</summary>
    public bool HasBurstBalance => VolumeType is "gp2" or "st1" or "sc1";

    /// <summary>Provisioned IOPS volumes (1-minute metrics, VolumeThroughputPercentage, VolumeConsumedReadWriteOps).</summary>
    public bool IsProvisionedIops => VolumeType is "io1" or "io2";

    /// <summary>Slot length of the volume's metrics: one minute for io1/io2, five minutes otherwise (as AWS).</summary>
    public int PeriodSeconds => IsProvisionedIops ? 60 : 300;

    /// <summary>Credits in the bucket (I/O operations for gp2, bytes for st1/sc1); a new volume's bucket is full.</summary>
    public double Credits { get; private set; } = BucketSize(volumeType, sizeGiB);

    private static double BucketSize(string type, int sizeGiB) => type switch
    {
        "gp2" => Gp2Bucket,
        "st1" or "sc1" => sizeGiB / 1024.0 * 1024 * 1024 * MiB, // 1 TiB of credit per TiB of size
        _ => 0,
    };

    private double Baseline => VolumeType switch
    {
        "gp2" => Math.Clamp(3.0 * sizeGiB, 100, 16_000),                  // IOPS
        "st1" => Math.Min(500, 40.0 * sizeGiB / 1024) * MiB,               // bytes/s
        "sc1" => Math.Min(250, 12.0 * sizeGiB / 1024) * MiB,               // bytes/s
        _ => 0,
    };

    /// <summary>BurstBalance (%): the bucket's fill.</summary>
    public double BurstBalancePercent
    {
        get
        {
            var size = BucketSize(VolumeType, sizeGiB);
            return size > 0 ? Math.Clamp(Credits / size * 100, 0, 100) : 100;
        }
    }

    /// <summary>Advances the bucket over <paramref name="seconds"/> with the I/O done in them.</summary>
    public void Advance(double seconds, long ops, long bytes)
    {
        if (!HasBurstBalance || seconds <= 0)
        {
            return;
        }
        var spent = VolumeType == "gp2" ? ops : bytes;
        Credits = Math.Clamp(Credits + Baseline * seconds - spent, 0, BucketSize(VolumeType, sizeGiB));
    }

    /// <summary>VolumeThroughputPercentage: the share of the provisioned IOPS used (io1/io2).</summary>
    public double ThroughputPercent(double seconds, long ops) =>
        iops is > 0 && seconds > 0 ? Math.Clamp(ops / (iops.Value * seconds) * 100, 0, 100) : 0;

    /// <summary>VolumeConsumedReadWriteOps: I/O in 256 KiB units (an operation counts at least once).</summary>
    public static long ConsumedOps(long ops, long bytes) => Math.Max(ops, (long)Math.Ceiling(bytes / 262_144.0));
}
