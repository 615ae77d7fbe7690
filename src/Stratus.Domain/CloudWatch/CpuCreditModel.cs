namespace Stratus.Domain.CloudWatch;

/// <summary>
/// CPU credits of a burstable instance (T2, T3, T3a, T4g), driven by its measured CPU use as AWS
/// documents them: one credit is one vCPU at 100% for one minute; the instance earns its baseline
/// (credits per hour = baseline % × vCPUs × 60 / 100) and accrues at most 24 hours of earnings;
/// <c>standard</c> instances spend only what they hold (T2 start with 30 launch credits per vCPU);
/// <c>unlimited</c> instances borrow surplus credits beyond their balance, paid back from later
/// earnings, and surplus beyond what 24 hours earn is charged.
/// </summary>
public sealed class CpuCreditModel
{
    private CpuCreditModel(double baselinePercent, int vcpus, bool unlimited, double launchCredits)
    {
        BaselinePercent = baselinePercent;
        VCpus = vcpus;
        Unlimited = unlimited;
        Balance = launchCredits;
    }

    /// <summary>Baseline utilization per vCPU (%), by type (AWS's table for T2, T3, T3a and T4g).</summary>
    private static readonly Dictionary<string, (double Baseline, int VCpus)> Types = new(StringComparer.Ordinal)
    {
        ["t2.nano"] = (5, 1),
        ["t2.micro"] = (10, 1),
        ["t2.small"] = (20, 1),
        ["t2.medium"] = (20, 2),
        ["t2.large"] = (30, 2),
        ["t2.xlarge"] = (22.5, 4),
        ["t2.2xlarge"] = (17, 8),
        ["t3.nano"] = (5, 2),
        ["t3.micro"] = (10, 2),
        ["t3.small"] = (20, 2),
        ["t3.medium"] = (20, 2),
        ["t3.large"] = (30, 2),
        ["t3.xlarge"] = (40, 4),
        ["t3.2xlarge"] = (40, 8),
        ["t3a.nano"] = (5, 2),
        ["t3a.micro"] = (10, 2),
        ["t3a.small"] = (20, 2),
        ["t3a.medium"] = (20, 2),
        ["t3a.large"] = (30, 2),
        ["t3a.xlarge"] = (40, 4),
        ["t3a.2xlarge"] = (40, 8),
        ["t4g.nano"] = (5, 2),
        ["t4g.micro"] = (10, 2),
        ["t4g.small"] = (20, 2),
        ["t4g.medium"] = (20, 2),
        ["t4g.large"] = (30, 2),
        ["t4g.xlarge"] = (40, 4),
        ["t4g.2xlarge"] = (40, 8),
    };

    /// <summary>A new instance's credits, or null when the type is not burstable.</summary>
    /// <param name="creditOption"><c>standard</c> or <c>unlimited</c> (null: the family's AWS default).</param>
    public static CpuCreditModel? ForType(string instanceType, string? creditOption)
    {
        if (!Types.TryGetValue(instanceType, out var type))
        {
            return null;
        }
        var t2 = instanceType.StartsWith("t2.", StringComparison.Ordinal);
        var unlimited = (creditOption ?? (t2 ? "standard" : "unlimited")) == "unlimited";
        return new CpuCreditModel(type.Baseline, type.VCpus, unlimited, t2 && !unlimited ? 30.0 * type.VCpus : 0);
    }

    public double BaselinePercent { get; }

    public int VCpus { get; }

    public bool Unlimited { get; }

    /// <summary>Credits earned per hour.</summary>
    public double EarnedPerHour => BaselinePercent * VCpus * 60 / 100;

    /// <summary>The most credits the instance can hold (24 hours of earnings).</summary>
    public double MaximumBalance => EarnedPerHour * 24;

    /// <summary>CPUCreditBalance: credits held.</summary>
    public double Balance { get; private set; }

    /// <summary>CPUSurplusCreditBalance: credits borrowed (unlimited only) and not yet paid back.</summary>
    public double SurplusBalance { get; private set; }

    /// <summary>
    /// Advances the account over <paramref name="seconds"/> in which the instance used
    /// <paramref name="utilizationPercent"/> of all its vCPUs. Returns the credits used
    /// (CPUCreditUsage) and the surplus credits charged in the interval (CPUSurplusCreditsCharged).
    /// </summary>
    public (double Used, double Charged) Advance(double utilizationPercent, double seconds)
    {
        if (seconds <= 0)
        {
            return (0, 0);
        }
        var used = Math.Clamp(utilizationPercent, 0, 100) / 100 * VCpus * seconds / 60;
        var earned = EarnedPerHour * seconds / 3600;
        var net = earned - used;
        var charged = 0.0;
        if (net >= 0)
        {
            // Earnings pay back borrowed credits first.
            var repay = Math.Min(SurplusBalance, net);
            SurplusBalance -= repay;
            Balance = Math.Min(MaximumBalance, Balance + net - repay);
        }
        else
        {
            var deficit = -net;
            var fromBalance = Math.Min(Balance, deficit);
            Balance -= fromBalance;
            deficit -= fromBalance;
            if (deficit > 0 && Unlimited)
            {
                SurplusBalance += deficit;
                if (SurplusBalance > MaximumBalance)
                {
                    charged = SurplusBalance - MaximumBalance;
                    SurplusBalance = MaximumBalance;
                }
            }
            else if (deficit > 0)
            {
                // A standard instance is held to its baseline once its balance is spent: it uses what it earns.
                used -= deficit;
            }
        }
        return (used, charged);
    }
}
