using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Quotas;

/// <summary>
/// EC2's vCPU-based instance quotas: every instance type belongs to a bucket (standard A, C, D,
/// H, I, M, R, T, Z; F; G and VT; P; X; Inf; DL; Trn; HPC; High Memory), with one quota for
/// on-demand and one for Spot instances; the instances that count are those pending, running or
/// stopping, each with its type's default vCPUs. A launch or start that would go over answers
/// <c>VcpuLimitExceeded</c> (on-demand) or <c>MaxSpotInstanceCountExceeded</c> (Spot), as EC2
/// does. Mac types run on Dedicated Hosts and count against no bucket.
/// </summary>
public static class VcpuQuotas
{
    /// <summary>The on-demand and Spot quotas of the bucket of <paramref name="type"/>, null for types outside every bucket.</summary>
    public static (QuotaDefinition OnDemand, QuotaDefinition? Spot)? BucketOf(InstanceTypeInfo type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var family = type.Family;
        if (family.StartsWith("mac", StringComparison.Ordinal))
        {
            return null;
        }
        if (family.StartsWith("u-", StringComparison.Ordinal))
        {
            return (QuotaCatalog.HighMemoryOnDemand, null);
        }
        if (family.StartsWith("dl", StringComparison.Ordinal))
        {
            return (QuotaCatalog.DlOnDemand, QuotaCatalog.DlSpot);
        }
        if (family.StartsWith("inf", StringComparison.Ordinal))
        {
            return (QuotaCatalog.InfOnDemand, QuotaCatalog.InfSpot);
        }
        if (family.StartsWith("trn", StringComparison.Ordinal))
        {
            return (QuotaCatalog.TrnOnDemand, QuotaCatalog.TrnSpot);
        }
        if (family.StartsWith("hpc", StringComparison.Ordinal))
        {
            return (QuotaCatalog.HpcOnDemand, null);
        }
        if (family.StartsWith("vt", StringComparison.Ordinal))
        {
            return (QuotaCatalog.GOnDemand, QuotaCatalog.GSpot);
        }
        return family.Length == 0 ? null : family[0] switch
        {
            'a' or 'c' or 'd' or 'h' or 'i' or 'm' or 'r' or 't' or 'z' => (QuotaCatalog.StandardOnDemand, QuotaCatalog.StandardSpot),
            'f' => (QuotaCatalog.FOnDemand, QuotaCatalog.FSpot),
            'g' => (QuotaCatalog.GOnDemand, QuotaCatalog.GSpot),
            'p' => (QuotaCatalog.POnDemand, QuotaCatalog.PSpot),
            'x' => (QuotaCatalog.XOnDemand, QuotaCatalog.XSpot),
            _ => null,
        };
    }

    /// <summary>The quota an instance of <paramref name="type"/> counts against, on-demand or Spot.</summary>
    public static QuotaDefinition? QuotaOf(InstanceTypeInfo type, bool spot) =>
        BucketOf(type) is { } bucket ? spot ? bucket.Spot ?? bucket.OnDemand : bucket.OnDemand : null;

    /// <summary>True for the states whose instances use vCPU capacity.</summary>
    public static bool Counts(InstanceResource instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.State is InstanceStates.Pending or InstanceStates.Running or InstanceStates.Stopping;
    }

    /// <summary>vCPUs used in the account and region against <paramref name="quota"/> by the instances that count.</summary>
    public static int Usage(IEnumerable<InstanceResource> instances, QuotaDefinition quota) =>
        instances.Where(Counts).Where(i => QuotaOfInstance(i) == quota).Sum(i => i.VCpus);

    /// <summary>
    /// How many instances of <paramref name="type"/> a launch of <paramref name="minCount"/> to
    /// <paramref name="maxCount"/> may create: as many as fit, up to the maximum; the error when
    /// not even the minimum fits.
    /// </summary>
    public static async Task<int> LaunchableAsync(IStoreSession session, Scope scope, InstanceTypeInfo type, bool spot, int minCount, int maxCount, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (QuotaOf(type, spot) is not { } quota)
        {
            return maxCount;
        }
        var limit = await AccountQuotas.GetValueAsync(session, scope, quota, ct).ConfigureAwait(false);
        var vcpus = Math.Max(1, type.DefaultVCpus);
        int Fits(VcpuUsage usage)
        {
            var free = limit - usage.Of(quota);
            return free < vcpus ? 0 : (int)Math.Min(maxCount, Math.Floor(free / vcpus));
        }
        var fits = Fits(await VcpuUsage.LoadAsync(session, scope, ct).ConfigureAwait(false));
        if (fits < minCount)
        {
            // Before refusing, count again from the instances themselves.
            fits = Fits(await RecountAsync(session, scope, ct).ConfigureAwait(false));
        }
        if (fits < minCount)
        {
            throw LimitExceeded(quota, spot, limit);
        }
        return fits;
    }

    /// <summary>The usage counted from the instances, recorded again when <paramref name="session"/> is the write transaction.</summary>
    private static async Task<VcpuUsage> RecountAsync(IStoreSession session, Scope scope, CancellationToken ct)
    {
        var usage = await VcpuUsage.CountAsync(session, scope, ct).ConfigureAwait(false);
        if (session is IStoreTransaction tx)
        {
            await usage.SaveAsync(tx, scope, DateTime.UtcNow, ct).ConfigureAwait(false);
        }
        return usage;
    }

    /// <summary>StartInstances: the stopped instances to start must fit their buckets together with what already runs.</summary>
    public static async Task CheckStartAsync(IStoreSession session, Scope scope, IEnumerable<InstanceResource> starting, CancellationToken ct = default)
    {
        var wanted = starting.Where(i => i.State == InstanceStates.Stopped)
            .Select(i => (Instance: i, Quota: QuotaOfInstance(i)))
            .Where(x => x.Quota is not null)
            .GroupBy(x => x.Quota!)
            .ToList();
        if (wanted.Count == 0)
        {
            return;
        }
        var usage = await VcpuUsage.LoadAsync(session, scope, ct).ConfigureAwait(false);
        var recounted = false;
        foreach (var group in wanted)
        {
            var limit = await AccountQuotas.GetValueAsync(session, scope, group.Key, ct).ConfigureAwait(false);
            if (usage.Of(group.Key) + group.Sum(x => x.Instance.VCpus) > limit && !recounted)
            {
                usage = await RecountAsync(session, scope, ct).ConfigureAwait(false);
                recounted = true;
            }
            if (usage.Of(group.Key) + group.Sum(x => x.Instance.VCpus) > limit)
            {
                throw LimitExceeded(group.Key, group.First().Instance.InstanceLifecycle == "spot", limit);
            }
        }
    }

    /// <summary>EC2's error for a launch over a vCPU quota.</summary>
    public static AwsException LimitExceeded(QuotaDefinition quota, bool spot, double limit)
    {
        ArgumentNullException.ThrowIfNull(quota);
        return spot
            ? new AwsException("MaxSpotInstanceCountExceeded", "Max spot instance count exceeded")
            : new AwsException("VcpuLimitExceeded",
                $"You have requested more vCPU capacity than your current vCPU limit of {limit.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.");
    }

    private static QuotaDefinition? QuotaOfInstance(InstanceResource instance) =>
        InstanceTypeCatalog.Find(instance.InstanceType) is { } type ? QuotaOf(type, instance.InstanceLifecycle == "spot") : null;
}
