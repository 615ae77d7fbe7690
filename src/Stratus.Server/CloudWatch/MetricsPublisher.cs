using Microsoft.Extensions.Logging;
using Stratus.Server.Hosting;

namespace Stratus.Server.CloudWatch;

/// <summary>
/// The one way Stratus publishes the metrics AWS services publish for you (<c>AWS/EC2</c>,
/// <c>AWS/AutoScaling</c>, <c>AWS/ApplicationELB</c>, <c>AWS/NetworkELB</c>): every
/// <see cref="ServerOptions.MetricsCollectionInterval"/> each publisher reads what it measures and
/// puts it into the <see cref="MetricStore"/> in its period's slot; a failed round is logged and the
/// next one runs as usual.
/// </summary>
internal abstract partial class MetricsPublisher(ServerOptions options, TimeProvider clock, ILogger logger) : PeriodicService(clock)
{
    /// <summary>One round per collection interval, the first one interval after start.</summary>
    protected sealed override TimeSpan Interval => options.MetricsCollectionInterval;

    protected sealed override bool PassAtStart => false;

    protected sealed override bool FixedRate => true;

    /// <summary>Reads and stores one round of metrics.</summary>
    public abstract Task PublishAsync(CancellationToken ct);

    internal sealed override Task PassAsync(CancellationToken ct) => PublishAsync(ct);

    protected sealed override void OnPassFailed(Exception e) => LogFailed(logger, GetType().Name, e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Publisher}: publishing metrics failed")]
    private static partial void LogFailed(ILogger logger, string publisher, Exception e);
}
