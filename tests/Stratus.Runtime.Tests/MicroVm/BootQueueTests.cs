using Stratus.Runtime.MicroVm;
using Xunit;

namespace Stratus.Runtime.Tests.MicroVm;

public sealed class BootQueueTests
{
    [Fact]
    public async Task Boots_beyond_the_limit_wait_and_enter_first_come_first_served()
    {
        var queue = new BootQueue(2);
        var first = await queue.EnterAsync(default);
        var second = await queue.EnterAsync(default);
        var order = new List<int>();
        var waiting = Enumerable.Range(3, 3).Select(async n =>
        {
            using var slot = await queue.EnterAsync(default);
            lock (order)
            {
                order.Add(n);
            }
        }).ToList();
        await Task.Delay(50);
        Assert.Empty(order);

        first.Dispose();
        first.Dispose(); // giving a slot back twice frees it once
        await Task.WhenAll(waiting);
        Assert.Equal([3, 4, 5], order);
        second.Dispose();
        using var again = await queue.EnterAsync(default).WaitAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_queue()
    {
        var queue = new BootQueue(1);
        var held = await queue.EnterAsync(default);
        using var cancel = new CancellationTokenSource();
        var cancelled = queue.EnterAsync(cancel.Token);
        var next = queue.EnterAsync(default);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        held.Dispose();
        using var slot = await next.WaitAsync(TimeSpan.FromSeconds(1));
    }
}
