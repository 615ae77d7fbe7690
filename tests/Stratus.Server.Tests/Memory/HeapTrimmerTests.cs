using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Server.Hosting;

namespace Stratus.Server.Tests.Memory;

public sealed class HeapTrimmerTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Trims_after_a_burst_once_quiet_with_slack_to_give_back()
    {
        Assert.True(HeapTrimmer.ShouldTrim(300 * MiB, 1 * MiB, 400 * MiB, 150 * MiB));
    }

    [Fact]
    public void Does_not_trim_without_a_burst()
    {
        Assert.False(HeapTrimmer.ShouldTrim(HeapTrimmer.BurstBytes - 1, 0, 400 * MiB, 150 * MiB));
    }

    [Fact]
    public void Does_not_trim_while_the_burst_goes_on()
    {
        Assert.False(HeapTrimmer.ShouldTrim(300 * MiB, HeapTrimmer.QuietBytes + 1, 400 * MiB, 150 * MiB));
    }

    [Fact]
    public void Does_not_trim_when_the_collector_holds_little_beyond_the_live_heap()
    {
        Assert.False(HeapTrimmer.ShouldTrim(300 * MiB, 0, 150 * MiB + HeapTrimmer.SlackBytes - 1, 150 * MiB));
        Assert.True(HeapTrimmer.ShouldTrim(300 * MiB, 0, 150 * MiB + HeapTrimmer.SlackBytes, 150 * MiB));
    }

    [Fact]
    public async Task Trims_once_after_a_burst_when_quiet_and_only_with_slack_to_give_back()
    {
        // Scripted counters, one sample per tick (and one after a trim): start, a burst over three
        // ticks, quiet ticks, a small burst, quiet again, then a second full burst.
        long allocated = 0;
        var committed = 450 * MiB;
        var script = new Queue<long>([0, 100 * MiB, 100 * MiB, 100 * MiB, 0, 0, 50 * MiB, 0, 0, 300 * MiB, 0, 0]);
        var trimsAt = new List<int>();
        var tick = 0;
        var done = new TaskCompletionSource();
        HeapTrimmer.HeapSample Sample()
        {
            if (script.Count == 0)
            {
                done.TrySetResult();
            }
            else
            {
                allocated += script.Dequeue();
                tick++;
            }
            return new HeapTrimmer.HeapSample(allocated, committed, 150 * MiB);
        }
        using var trimmer = new HeapTrimmer(NullLogger<HeapTrimmer>.Instance, TimeSpan.FromMilliseconds(5), Sample, () =>
        {
            trimsAt.Add(tick);
            committed = 200 * MiB;
        });
        await trimmer.StartAsync(CancellationToken.None);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await trimmer.StopAsync(CancellationToken.None);

        // Tick 5 is the first quiet one after 300 MiB. The 50 MiB after it are no burst, and after
        // the next 300 MiB the collector holds too little beyond the live heap to give back.
        Assert.Equal(5, Assert.Single(trimsAt));
        Assert.Equal(1, trimmer.Trims);
    }

    [Fact]
    public async Task A_second_burst_is_trimmed_again()
    {
        long allocated = 0;
        var script = new Queue<long>([0, 300 * MiB, 0, 0, 300 * MiB, 0, 0]);
        var trims = 0;
        var done = new TaskCompletionSource();
        HeapTrimmer.HeapSample Sample()
        {
            if (script.Count == 0)
            {
                done.TrySetResult();
            }
            else
            {
                allocated += script.Dequeue();
            }
            return new HeapTrimmer.HeapSample(allocated, 450 * MiB, 150 * MiB);
        }
        using var trimmer = new HeapTrimmer(NullLogger<HeapTrimmer>.Instance, TimeSpan.FromMilliseconds(5), Sample, () => trims++);
        await trimmer.StartAsync(CancellationToken.None);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await trimmer.StopAsync(CancellationToken.None);

        Assert.Equal(2, trims);
        Assert.Equal(2, trimmer.Trims);
    }
}
