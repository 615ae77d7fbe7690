using Microsoft.Extensions.Hosting;

namespace Stratus.Server.Hosting;

/// <summary>
/// The loop of every periodic background service of the server (flow log delivery, the Connect
/// peer BGP monitor, the store reconcilers, scheduled events, the log retention sweep, the metric
/// publishers, the alarm evaluator): a pass (<see cref="PassAsync"/>) every <see cref="Interval"/>
/// on the server's clock (<see cref="Clock"/>, so that tests can drive it with a fake one). A pass
/// that fails is reported (<see cref="OnPassFailed"/>, each service logs it its way) and the next
/// one runs as usual; stopping the server ends the loop, during a pass or between two.
/// </summary>
/// <remarks>
/// By default the first pass runs at start and each next one <see cref="Interval"/> after the
/// previous one ended; <see cref="FixedRate"/> passes keep to a fixed rhythm instead (a pass that
/// overruns its period is followed at once by the next, not by a backlog), and
/// <see cref="PassAtStart"/> false waits one interval before the first pass. A service woken by
/// events as well as by time overrides <see cref="WaitAsync"/> (see <c>StoreReconciler</c>).
/// </remarks>
internal abstract class PeriodicService(TimeProvider clock) : BackgroundService
{
    /// <summary>The server's clock, which times the passes.</summary>
    protected TimeProvider Clock => clock;

    /// <summary>The time between two passes.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>Whether the service has anything to do on this host (read once, at start; false: the service ends at once).</summary>
    protected virtual bool Enabled => true;

    /// <summary>True (the default): a pass at start; false: the first pass comes one <see cref="Interval"/> after start.</summary>
    protected virtual bool PassAtStart => true;

    /// <summary>
    /// False (the default): each wait is <see cref="WaitAsync"/>, <see cref="Interval"/> after the
    /// previous pass ended; true: passes on the ticks of a timer of period <see cref="Interval"/>
    /// started with the service (what publishes one value per period uses).
    /// </summary>
    protected virtual bool FixedRate => false;

    /// <summary>One pass.</summary>
    internal abstract Task PassAsync(CancellationToken ct);

    /// <summary>Reports a pass that failed (the loop carries on).</summary>
    protected abstract void OnPassFailed(Exception e);

    /// <summary>The wait between two passes when not <see cref="FixedRate"/>: <see cref="Interval"/> on <see cref="Clock"/>.</summary>
    protected virtual Task WaitAsync(CancellationToken ct) => Task.Delay(Interval, clock, ct);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        using var timer = FixedRate ? new PeriodicTimer(Interval, clock) : null;
        if (!PassAtStart && !await NextAsync(timer, stoppingToken).ConfigureAwait(false))
        {
            return;
        }
        do
        {
            try
            {
                await PassAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                OnPassFailed(e);
            }
        }
        while (await NextAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Waits for the next pass; false when the service is stopping.</summary>
    private async Task<bool> NextAsync(PeriodicTimer? timer, CancellationToken stoppingToken)
    {
        try
        {
            if (timer is not null)
            {
                return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false) && !stoppingToken.IsCancellationRequested;
            }
            await WaitAsync(stoppingToken).ConfigureAwait(false);
            return !stoppingToken.IsCancellationRequested;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
