using Stratus.Domain.CloudWatch;

namespace Stratus.Domain.Tests.CloudWatch;

public class CpuCreditModelTests
{
    [Fact]
    public void Earnings_and_limits_follow_the_baseline_table()
    {
        var micro = CpuCreditModel.ForType("t3.micro", null)!;
        Assert.True(micro.Unlimited); // T3's default is unlimited
        Assert.Equal(12, micro.EarnedPerHour); // 10 % × 2 vCPUs × 60
        Assert.Equal(288, micro.MaximumBalance);
        Assert.Equal(0, micro.Balance);
        var t2 = CpuCreditModel.ForType("t2.micro", null)!;
        Assert.False(t2.Unlimited); // T2's default is standard
        Assert.Equal(6, t2.EarnedPerHour);
        Assert.Equal(30, t2.Balance); // launch credits: 30 per vCPU
        Assert.Null(CpuCreditModel.ForType("m5.large", null));
    }

    [Fact]
    public void Idle_instances_accrue_up_to_a_day_of_earnings()
    {
        var m = CpuCreditModel.ForType("t3.micro", "standard")!;
        var (used, charged) = m.Advance(0, 3600);
        Assert.Equal(0, used);
        Assert.Equal(0, charged);
        Assert.Equal(12, m.Balance, 6);
        m.Advance(0, 48 * 3600);
        Assert.Equal(288, m.Balance, 6);
    }

    [Fact]
    public void Standard_instances_spend_their_balance_then_run_at_baseline()
    {
        var m = CpuCreditModel.ForType("t3.micro", "standard")!;
        m.Advance(0, 3600); // 12 credits
        // 100 % of 2 vCPUs for 10 minutes uses 20 credits and earns 2: the balance (12) runs out.
        var (used, charged) = m.Advance(100, 600);
        Assert.Equal(0, m.Balance, 6);
        Assert.Equal(0, m.SurplusBalance);
        Assert.Equal(14, used, 6); // what it held plus what it earned
        Assert.Equal(0, charged);
    }

    [Fact]
    public void Unlimited_instances_borrow_surplus_credits_and_pay_them_back()
    {
        var m = CpuCreditModel.ForType("t3.micro", "unlimited")!;
        var (used, _) = m.Advance(100, 600); // uses 20, earns 2
        Assert.Equal(20, used, 6);
        Assert.Equal(0, m.Balance);
        Assert.Equal(18, m.SurplusBalance, 6);
        m.Advance(0, 3600); // earns 12: all of it pays back surplus
        Assert.Equal(6, m.SurplusBalance, 6);
        Assert.Equal(0, m.Balance);
        m.Advance(0, 3600);
        Assert.Equal(0, m.SurplusBalance, 6);
        Assert.Equal(6, m.Balance, 6);
        // Surplus beyond a day of earnings is charged.
        var busy = CpuCreditModel.ForType("t3.micro", "unlimited")!;
        var (_, charged) = busy.Advance(100, 5 * 3600); // uses 600, earns 60: 540 surplus, 288 may be carried
        Assert.Equal(288, busy.SurplusBalance, 6);
        Assert.Equal(252, charged, 6);
    }
}

public class EbsVolumeModelTests
{
    [Fact]
    public void Gp2_bursts_from_a_full_bucket_and_refills_at_its_baseline()
    {
        var m = new EbsVolumeModel("gp2", 100, null); // baseline 300 IOPS
        Assert.True(m.HasBurstBalance);
        Assert.Equal(300, m.PeriodSeconds);
        Assert.Equal(100, m.BurstBalancePercent);
        m.Advance(1000, 3000 * 1000L, 0); // 3,000 IOPS for 1,000 s: spends 2.7 million credits
        Assert.Equal(50, m.BurstBalancePercent, 6);
        m.Advance(1000, 0, 0); // earns 300,000
        Assert.Equal(55.5555555, m.BurstBalancePercent, 4);
    }

    [Fact]
    public void St1_spends_throughput_credits_and_io1_reports_provisioned_use()
    {
        var st1 = new EbsVolumeModel("st1", 1024, null); // 1 TiB bucket, 40 MiB/s baseline
        st1.Advance(10, 0, 512L * 1024 * 1024 * 1024 + 400L * 1024 * 1024); // half a TiB plus the baseline's 10 s
        Assert.Equal(50, st1.BurstBalancePercent, 6);
        var io1 = new EbsVolumeModel("io1", 100, 1000);
        Assert.False(io1.HasBurstBalance);
        Assert.True(io1.IsProvisionedIops);
        Assert.Equal(60, io1.PeriodSeconds);
        Assert.Equal(25, io1.ThroughputPercent(60, 15_000));
        Assert.Equal(100, io1.ThroughputPercent(1, 5000));
        Assert.Equal(10, EbsVolumeModel.ConsumedOps(10, 4096 * 10));
        Assert.Equal(4, EbsVolumeModel.ConsumedOps(1, 1024 * 1024)); // one 1 MiB operation counts four 256 KiB units
        Assert.Equal(100, new EbsVolumeModel("gp3", 8, 3000).BurstBalancePercent);
    }
}
