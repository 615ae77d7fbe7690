using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Stratus.Server.Gateway;
using Stratus.Server.Hosting;

namespace Stratus.Server.Logs;

/// <summary>Wires CloudWatch Logs: its database, the service and the retention sweep.</summary>
internal static class LogsRegistration
{
    public static void AddLogs(IServiceCollection services, ServerOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        services.AddSingleton(_ => new LogStore(options.LogsDatabasePath));
        services.AddControllerAfterApiReady<LogRetentionSweeper>();
        services.AddAwsService<LogsService>();
    }
}

/// <summary>
/// Deletes events older than their group's retention period, every minute. Reads already hide
/// them from the moment the policy applies; the sweep frees the space (AWS deletes them within
/// days, Stratus within a minute). A sweep that fails is logged and the next one runs as usual.
/// </summary>
internal sealed partial class LogRetentionSweeper(LogStore store, TimeProvider clock, ILogger<LogRetentionSweeper> logger) : PeriodicService(clock)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(1);

    internal override Task PassAsync(CancellationToken ct)
    {
        SweepOnce();
        return Task.CompletedTask;
    }

    protected override void OnPassFailed(Exception e) => LogSweepFailed(logger, e);

    /// <summary>One pass over every group with a retention policy; answers how many events went.</summary>
    public int SweepOnce()
    {
        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var removed = 0;
        foreach (var group in store.GroupsWithRetention())
        {
            removed += store.Expire(group.Id, now - group.RetentionInDays!.Value * 86_400_000L);
        }
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log retention sweep failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);
}
