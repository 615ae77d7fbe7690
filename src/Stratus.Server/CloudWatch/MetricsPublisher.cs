using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// The one way Stratus publishes the metrics AWS services publish for you (<c>AWS/EC2</c>,
/// <c>AWS/AutoScaling</c>, <c>AWS/ApplicationELB</c>, <c>AWS/NetworkELB</c>): every
/// <see cref="ServerOptions.MetricsCollectionInterval"/> each publisher reads what it measures and
/// puts it into the <see cref="MetricStore"/> in its period's slot; a failed round is logged and the
/// next one runs as usual.
/// </summary>
internal abstract partial class MetricsPublisher(ServerOptions options, TimeProvider clock, ILogger logger) : BackgroundService
{
    /// <summary>The server's clock.</summary>
    protected TimeProvider Clock => clock;

    /// <summary>Reads and stores one round of metrics.</summary>
    public abstract Task PublishAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.MetricsCollectionInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await PublishAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFailed(logger, GetType().Name, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Publisher}: publishing metrics failed")]
    private static partial void LogFailed(ILogger logger, string publisher, Exception e);
}
