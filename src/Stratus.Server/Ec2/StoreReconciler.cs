using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Stratus.Server.Ec2;

/// <summary>
/// A background controller that moves resources kept in the store towards what they ask for: a
/// pass every <see cref="Interval"/> and right after <see cref="Wake"/> (handlers wake it after a
/// commit that created or changed its resources). All its state is in the store, so a restart of
/// Stratus (even kill -9) carries on where the store left off. A pass that fails is logged and
/// the next one runs as usual.
/// </summary>
internal abstract partial class StoreReconciler(ILogger log) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>The controller's logger.</summary>
    protected ILogger Logger { get; } = log;

    /// <summary>How long the controller sleeps between passes when nobody wakes it.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>Asks for a pass now (after a commit that created or changed resources).</summary>
    public void Wake() => _wake.Release();

    /// <summary>One pass over everything that may need something.</summary>
    internal abstract Task PassAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
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
                LogPassFailed(Logger, e, GetType().Name);
            }
            try
            {
                await _wake.WaitAsync(Interval, stoppingToken).ConfigureAwait(false);
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "a pass of {Controller} failed")]
    private static partial void LogPassFailed(ILogger logger, Exception e, string controller);
}
