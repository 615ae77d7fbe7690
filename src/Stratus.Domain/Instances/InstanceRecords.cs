using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Quotas;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Instances;

/// <summary>
/// The vCPUs the instances of an account and region use against each vCPU quota (those pending,
/// running or stopping), kept as one document beside the instances and updated in the same
/// transaction whenever an instance is written through <see cref="InstanceRecords"/>, so a launch
/// or start checks its quota without reading every instance. When the document is missing (a store
/// written before it existed, an account reset) it is counted again from the instances.
/// </summary>
public sealed class VcpuUsage
{
    public static readonly ResourceType DocumentType = new("vcpu-usage", "vcpu-usage", "InvalidParameterValue", "InvalidParameterValue", "{0}");
    private const string DocumentId = "vcpu-usage";

    /// <summary>vCPUs in use per quota code.</summary>
    public Dictionary<string, int> Quotas { get; init; } = new(StringComparer.Ordinal);

    public int Of(QuotaDefinition quota)
    {
        ArgumentNullException.ThrowIfNull(quota);
        return Quotas.GetValueOrDefault(quota.Code);
    }

    public void Add(string quotaCode, int vcpus)
    {
        var value = Quotas.GetValueOrDefault(quotaCode) + vcpus;
        if (value == 0)
        {
            Quotas.Remove(quotaCode);
        }
        else
        {
            Quotas[quotaCode] = value;
        }
    }

    /// <summary>The recorded usage of the account and region, counted from the instances when there is no record.</summary>
    public static async Task<VcpuUsage> LoadAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        await session.GetAsync<VcpuUsage>(scope, DocumentType, DocumentId, ct).ConfigureAwait(false)
        ?? await CountAsync(session, scope, ct).ConfigureAwait(false);

    /// <summary>The usage counted from every instance of the account and region (the slow, authoritative way).</summary>
    public static async Task<VcpuUsage> CountAsync(IStoreSession session, Scope scope, CancellationToken ct = default)
    {
        var usage = new VcpuUsage();
        foreach (var instance in await session.ListAsync<InstanceResource>(scope, ResourceTypes.Instance, ct).ConfigureAwait(false))
        {
            if (Contribution(instance.State, instance.InstanceType, instance.VCpus, instance.InstanceLifecycle) is { } c)
            {
                usage.Add(c.QuotaCode, c.VCpus);
            }
        }
        return usage;
    }

    public Task SaveAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, DocumentType, DocumentId, this, now, ct);

    /// <summary>What an instance in <paramref name="state"/> counts against its quota, if anything.</summary>
    public static (string QuotaCode, int VCpus)? Contribution(string state, string instanceType, int vcpus, string? lifecycle) =>
        state is InstanceStates.Pending or InstanceStates.Running or InstanceStates.Stopping
        && InstanceTypeCatalog.Find(instanceType) is { } type
        && VcpuQuotas.QuotaOf(type, lifecycle == "spot") is { } quota
            ? (quota.Code, vcpus)
            : null;
}

/// <summary>
/// Writes instance documents. Every write of an instance goes through here so that the account's
/// <see cref="VcpuUsage"/> follows the instance's state in the same transaction.
/// </summary>
public static class InstanceRecords
{
    /// <summary>Inserts or replaces <paramref name="instance"/>.</summary>
    public static Task PutAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct = default) =>
        PutManyAsync(tx, scope, [instance], now, ct);

    /// <summary>Inserts or replaces <paramref name="instances"/>, adjusting the vCPU usage once for all of them.</summary>
    public static async Task PutManyAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(instances);
        VcpuUsage? usage = null;
        var written = new List<StoredResource>(instances.Count);
        foreach (var instance in instances)
        {
            var before = instance.Stored is { } s ? VcpuUsage.Contribution(s.State, s.InstanceType, s.VCpus, s.Lifecycle) : null;
            var after = VcpuUsage.Contribution(instance.State, instance.InstanceType, instance.VCpus, instance.InstanceLifecycle);
            if (before != after)
            {
                // Loaded (or counted) before this instance's new document is written.
                usage ??= await VcpuUsage.LoadAsync(tx, scope, ct).ConfigureAwait(false);
                if (before is { } b)
                {
                    usage.Add(b.QuotaCode, -b.VCpus);
                }
                if (after is { } a)
                {
                    usage.Add(a.QuotaCode, a.VCpus);
                }
            }
            written.Add(ResourceStore.ToStored(scope, ResourceTypes.Instance, instance.Id, instance, instance.LaunchTime));
            instance.Stored = (instance.State, instance.InstanceType, instance.VCpus, instance.InstanceLifecycle);
        }
        if (written.Count == 1)
        {
            await tx.PutAsync(written[0], ct).ConfigureAwait(false);
        }
        else
        {
            await tx.PutManyAsync(written, ct).ConfigureAwait(false);
        }
        if (usage is not null)
        {
            await usage.SaveAsync(tx, scope, now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The named instances (each well-formed and existing), in request order without repeats.</summary>
    public static async Task<List<InstanceResource>> RequireAsync(IStoreSession session, Scope scope, IReadOnlyList<string>? ids, CancellationToken ct = default)
    {
        if (ids is not { Count: > 0 })
        {
            throw Core.AwsErrors.MissingParameter("InstanceId");
        }
        foreach (var id in ids)
        {
            ResourceTypes.Instance.CheckId(id);
        }
        var result = new List<InstanceResource>(ids.Count);
        var missing = new List<string>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var instance = await session.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, id, ct).ConfigureAwait(false);
            if (instance is null)
            {
                missing.Add(id);
            }
            else
            {
                result.Add(instance);
            }
        }
        if (missing.Count > 0)
        {
            throw InstanceErrors.NotFound(missing);
        }
        return result;
    }
}
