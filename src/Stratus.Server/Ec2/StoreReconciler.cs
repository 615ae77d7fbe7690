using Microsoft.Extensions.Logging;
using Stratus.Server.Hosting;

namespace Stratus.Server.Ec2;

/// <summary>
/// A background controller that moves resources kept in the store towards what they ask for: a
/// pass every <see cref="PeriodicService.Interval"/> and right after <see cref="Wake"/> (handlers
/// wake it after a commit that created or changed its resources). All its state is in the store,
/// so a restart of Stratus (even kill -9) carries on where the store left off. A pass that fails
/// is logged and the next one runs as usual.
/// </summary>
/// <remarks>Its wait is the wake semaphore's, timed in real time.</remarks>
internal abstract partial class StoreReconciler(ILogger log) : PeriodicService(TimeProvider.System)
{
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>The controller's logger.</summary>
    protected ILogger Logger { get; } = log;

    /// <summary>Asks for a pass now (after a commit that created or changed resources).</summary>
    public void Wake() => _wake.Release();

    /// <summary>Until <see cref="PeriodicService.Interval"/> has passed or somebody wakes the controller (wakes that came meanwhile are one).</summary>
    protected override async Task WaitAsync(CancellationToken ct)
    {
        await _wake.WaitAsync(Interval, ct).ConfigureAwait(false);
        while (_wake.CurrentCount > 0)
        {
            await _wake.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    protected override void OnPassFailed(Exception e) => LogPassFailed(Logger, e, GetType().Name);

    [LoggerMessage(Level = LogLevel.Error, Message = "a pass of {Controller} failed")]
    private static partial void LogPassFailed(ILogger logger, Exception e, string controller);
}
