using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Stratus.Server.Hosting;

/// <summary>
/// The moment the API is ready (the gateway's warm-up is done, see <see cref="Gateway.GatewayWarmUp"/>).
/// Background controllers start their first pass after it, so that start-up spends its CPU on
/// the request path first and the first API call is not queued behind store scans.
/// </summary>
public sealed class ApiReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the API is ready.</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompleted;

    public void Signal() => _ready.TrySetResult();
}

/// <summary>Starts a hosted service once the API is ready, and stops it (if it started) with the host.</summary>
/// <remarks>The service itself is created only then: its construction (databases it opens, what it depends on) is not on the start-up path either.</remarks>
internal sealed class StartAfterApiReady(Func<IHostedService> create, ApiReadiness readiness) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task<bool>? _started;
    private IHostedService? _inner;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = StartLaterAsync();
        return Task.CompletedTask;
    }

    private async Task<bool> StartLaterAsync()
    {
        try
        {
            await readiness.Ready.WaitAsync(_stopping.Token).ConfigureAwait(false);
            // Off the signalling thread: a controller's first pass runs synchronously up to its first await.
            await Task.Run(() => (_inner = create()).StartAsync(_stopping.Token), _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_started is { } started && await started.ConfigureAwait(false) && _inner is { } inner)
        {
            await inner.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _stopping.Dispose();
}

internal static class ApiReadinessRegistration
{
    /// <summary>
    /// Registers <typeparamref name="T"/> as a singleton (unless it already is: what else needs the
    /// controller resolves the same instance) and as a background service that starts once the API
    /// is ready.
    /// </summary>
    public static IServiceCollection AddControllerAfterApiReady<T>(this IServiceCollection services)
        where T : class, IHostedService
    {
        services.TryAddSingleton<T>();
        return services.AddSingleton<IHostedService>(sp => new StartAfterApiReady(sp.GetRequiredService<T>, sp.GetRequiredService<ApiReadiness>()));
    }
}
