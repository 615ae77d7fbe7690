using System.Collections.Concurrent;
using Stratus.Server.Hosting;

namespace Stratus.Server.Tests.Background;

/// <summary>
/// The loop every periodic background service runs (<see cref="PeriodicService"/>), driven by a
/// clock the test moves: when passes run, that a failed pass is reported and the next one runs,
/// that stopping ends the loop.
/// </summary>
public sealed class PeriodicServiceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PassesRunAtStartAndAnIntervalAfterEachOneAFailedPassIsReported()
    {
        var clock = new ManualClock();
        using var service = new CountingService(clock) { FailOn = 2 };
        await service.StartAsync(CancellationToken.None);
        await Until(() => service.Passes == 1);
        Assert.Empty(service.Failures);

        await clock.WhenTimerArmed();
        clock.Advance(Interval - TimeSpan.FromSeconds(1));
        await Task.Delay(50);
        Assert.Equal(1, service.Passes); // the interval has not passed yet

        clock.Advance(TimeSpan.FromSeconds(1));
        await Until(() => service.Passes == 2);
        await Until(() => !service.Failures.IsEmpty);
        Assert.Equal("pass 2 failed", Assert.Single(service.Failures).Message);

        await clock.WhenTimerArmed();
        clock.Advance(Interval);
        await Until(() => service.Passes == 3); // the failure did not end the loop

        await service.StopAsync(CancellationToken.None);
        Assert.True(service.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Single(service.Failures);
    }

    [Fact]
    public async Task AFixedRateServiceThatWaitsFirstRunsItsFirstPassOneIntervalAfterStart()
    {
        var clock = new ManualClock();
        using var service = new CountingService(clock) { WaitFirst = true, Rate = true };
        await service.StartAsync(CancellationToken.None);
        await clock.WhenTimerArmed();
        await Task.Delay(50);
        Assert.Equal(0, service.Passes);

        clock.Advance(Interval);
        await Until(() => service.Passes == 1);
        clock.Advance(Interval);
        await Until(() => service.Passes == 2);

        await service.StopAsync(CancellationToken.None);
        Assert.True(service.ExecuteTask!.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AServiceWithNothingToDoOnThisHostEndsAtOnce()
    {
        using var service = new CountingService(new ManualClock()) { On = false };
        await service.StartAsync(CancellationToken.None);
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(service.ExecuteTask.IsCompletedSuccessfully);
        Assert.Equal(0, service.Passes);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task StoppingDuringAPassEndsTheLoopWithoutReportingAFailure()
    {
        var clock = new ManualClock();
        using var service = new CountingService(clock) { BlockUntilCancelled = true };
        await service.StartAsync(CancellationToken.None);
        await Until(() => service.Passes == 1);
        await service.StopAsync(CancellationToken.None);
        Assert.True(service.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Empty(service.Failures);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(5);
        }
    }

    private sealed class CountingService(TimeProvider clock) : PeriodicService(clock)
    {
        private int _passes;

        public int Passes => Volatile.Read(ref _passes);

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public int FailOn { get; init; }

        public bool WaitFirst { get; init; }

        public bool Rate { get; init; }

        public bool On { get; init; } = true;

        public bool BlockUntilCancelled { get; init; }

        protected override TimeSpan Interval => PeriodicServiceTests.Interval;

        protected override bool Enabled => On;

        protected override bool PassAtStart => !WaitFirst;

        protected override bool FixedRate => Rate;

        internal override async Task PassAsync(CancellationToken ct)
        {
            var pass = Interlocked.Increment(ref _passes);
            if (BlockUntilCancelled)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            if (pass == FailOn)
            {
                throw new InvalidOperationException($"pass {pass} failed");
            }
        }

        protected override void OnPassFailed(Exception e) => Failures.Enqueue(e);
    }

    /// <summary>A clock that moves only when the test advances it; its timers fire then.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly object _gate = new();
        private readonly List<ManualTimer> _timers = [];
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow()
        {
            lock (_gate)
            {
                return _now;
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, callback, state);
            timer.Change(dueTime, period);
            return timer;
        }

        /// <summary>Until a timer is armed (the service waits on the clock).</summary>
        public Task WhenTimerArmed() => Until(() =>
        {
            lock (_gate)
            {
                return _timers.Exists(t => t.Due is not null);
            }
        });

        public void Advance(TimeSpan by)
        {
            List<ManualTimer> due;
            lock (_gate)
            {
                _now += by;
                due = [.. _timers.Where(t => t.Due is { } at && at <= _now)];
                foreach (var timer in due)
                {
                    timer.Due = timer.Period is { } p ? timer.Due + p : null;
                }
            }
            foreach (var timer in due)
            {
                timer.Fire();
            }
        }

        private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
        {
            public DateTimeOffset? Due { get; set; }

            public TimeSpan? Period { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                lock (clock._gate)
                {
                    Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
                    Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
                    if (!clock._timers.Contains(this))
                    {
                        clock._timers.Add(this);
                    }
                }
                return true;
            }

            public void Fire() => callback(state);

            public void Dispose()
            {
                lock (clock._gate)
                {
                    clock._timers.Remove(this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
