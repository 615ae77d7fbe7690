using Stratus.Core;

namespace Stratus.Domain.Tests;

public sealed class KeyedGateTests
{
    [Fact]
    public async Task HoldersOfOneKey_RunInTurn_OtherKeysGoOn()
    {
        var gate = new KeyedGate();
        var first = await gate.EnterAsync("i-1");
        var second = gate.EnterAsync("i-1");
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        using (await gate.EnterAsync("i-2"))
        {
            Assert.Equal(2, gate.Count);
        }

        first.Dispose();
        first.Dispose(); // a second dispose releases nothing more
        Task<KeyedGate.Holder> third;
        using (await second.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            third = gate.EnterAsync("i-1");
            await Task.Delay(50);
            Assert.False(third.IsCompleted);
        }

        (await third.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Equal(0, gate.Count);
    }

    [Fact]
    public async Task AKeyNobodyHoldsOrWaitsFor_LeavesNothingBehind()
    {
        var gate = new KeyedGate();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var held = await gate.EnterAsync("i-" + (i % 7));
            await Task.Yield();
        }));
        Assert.Equal(0, gate.Count);
    }

    [Fact]
    public async Task AWaitCancelled_GivesUpItsPlace_AndTheKeyStaysUsable()
    {
        var gate = new KeyedGate();
        var held = await gate.EnterAsync("i-1");
        using var cancel = new CancellationTokenSource();
        var waiting = gate.EnterAsync("i-1", cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, gate.Count);
        held.Dispose();
        Assert.Equal(0, gate.Count);
        using (await gate.EnterAsync("i-1"))
        {
            Assert.Equal(1, gate.Count);
        }

        Assert.Equal(0, gate.Count);
    }
}
