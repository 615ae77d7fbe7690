using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Compute;

/// <summary>The account's default credit option per burstable family in a region (ModifyDefaultCreditSpecification).</summary>
public sealed class CreditDefaults
{
    public Dictionary<string, string> Families { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Credit options of burstable performance instances (T2, T3, T3a, T4g): <c>standard</c> or
/// <c>unlimited</c>. A family's default is AWS's (standard for T2, unlimited for the others) until
/// the account changes it; launches without a CreditSpecification take the default.
/// </summary>
public static class CreditSpecifications
{
    public static readonly IReadOnlyList<string> Families = ["t2", "t3", "t3a", "t4g"];

    private static readonly ResourceType DocumentType = new("credit-defaults", "credit-defaults", "InvalidParameterValue", "InvalidParameterValue", "{0}");
    private const string DocumentId = "credit-defaults";

    public static string AwsDefault(string family) => family == "t2" ? "standard" : "unlimited";

    public static void CheckFamily(string? family)
    {
        if (family is null)
        {
            throw AwsErrors.MissingParameter("instanceFamily");
        }
        if (!Families.Contains(family))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({family}) for parameter instanceFamily is invalid. Valid values are: t2, t3, t3a, t4g.");
        }
    }

    public static void CheckCredits(string? credits)
    {
        if (credits is null)
        {
            throw AwsErrors.MissingParameter("cpuCredits");
        }
        if (credits is not ("standard" or "unlimited"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({credits}) for parameter cpuCredits is invalid. Valid values are: standard, unlimited.");
        }
    }

    public static async Task<string> DefaultAsync(IStoreSession session, Scope scope, string family, CancellationToken ct = default)
    {
        CheckFamily(family);
        var stored = await session.GetAsync<CreditDefaults>(scope, DocumentType, DocumentId, ct).ConfigureAwait(false);
        return stored?.Families.GetValueOrDefault(family) ?? AwsDefault(family);
    }

    public static async Task<string> SetDefaultAsync(IStoreTransaction tx, Scope scope, string? family, string? credits, DateTime now, CancellationToken ct = default)
    {
        CheckFamily(family);
        CheckCredits(credits);
        var stored = await tx.GetAsync<CreditDefaults>(scope, DocumentType, DocumentId, ct).ConfigureAwait(false) ?? new CreditDefaults();
        stored.Families[family!] = credits!;
        await tx.PutAsync(scope, DocumentType, DocumentId, stored, now, ct).ConfigureAwait(false);
        return credits!;
    }

    public static bool IsBurstable(InstanceResource instance) =>
        InstanceTypeCatalog.Find(instance.InstanceType) is { BurstablePerformanceSupported: true };

    /// <summary>Gives just-launched burstable instances that asked for no credit option the account's default of their family.</summary>
    public static async Task ApplyDefaultsAsync(IStoreSession session, Scope scope, IEnumerable<InstanceResource> launched, CancellationToken ct = default)
    {
        var stored = await session.GetAsync<CreditDefaults>(scope, DocumentType, DocumentId, ct).ConfigureAwait(false);
        if (stored is null)
        {
            return;
        }
        foreach (var instance in launched.Where(IsBurstable))
        {
            var family = InstanceTypeCatalog.Find(instance.InstanceType)!.Family;
            if (stored.Families.TryGetValue(family, out var credits))
            {
                instance.CpuCredits = credits;
            }
        }
    }

    /// <summary>ModifyInstanceCreditSpecification of one instance: the error for it, or null when changed.</summary>
    public static AwsException? Modify(InstanceResource instance, string? credits)
    {
        if (credits is not ("standard" or "unlimited"))
        {
            return AwsErrors.InvalidParameterValue($"Value ({credits}) for parameter cpuCredits is invalid. Valid values are: standard, unlimited.");
        }
        if (!IsBurstable(instance))
        {
            return new AwsException("InvalidInstanceType", $"The instance {instance.Id} is not a burstable performance instance; credit options apply to T2, T3, T3a and T4g instances.");
        }
        if (instance.State is InstanceStates.Terminated or InstanceStates.ShuttingDown)
        {
            return new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a state from which its credit option can be modified.");
        }
        instance.CpuCredits = credits;
        return null;
    }
}
