using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stratus.Domain.AutoScaling;
using Stratus.Domain.AutoScaling.Policies;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.AutoScaling.Policies;

/// <summary>
/// Fires scheduled actions. The schedule lives in the state store (each action's next fire
/// time), so it survives a restart: at start and whenever an action is put or deleted the runner
/// reads every action, fires those that are due — setting the group's minimum, maximum and
/// desired capacity through the group core in one write transaction, moving a recurring action to
/// its next occurrence and deleting a one-time one — and then sleeps until the earliest next fire
/// time (at most <see cref="MaxSleep"/>). An action that came due while Stratus was down fires once
/// at start, as AWS runs a missed action late rather than never. A group's actions are deleted
/// with the group (<see cref="AutoScalingGroups.DeleteAsync"/>).
/// </summary>
internal sealed partial class ScheduledActionRunner(IStateStore store, ScalingSignals signals, TimeProvider clock, ILogger<ScheduledActionRunner> logger)
    : BackgroundService
{
    /// <summary>The longest the runner sleeps without looking at the store.</summary>
    public static TimeSpan MaxSleep { get; } = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Makes the runner read the schedule now (after an action was put or deleted).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var sleep = MaxSleep;
            try
            {
                var next = await RunDueAsync(stoppingToken).ConfigureAwait(false);
                if (next is { } n)
                {
                    var until = n - clock.GetUtcNow().UtcDateTime;
                    sleep = until < TimeSpan.Zero ? TimeSpan.Zero : until < MaxSleep ? until : MaxSleep;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFailed(logger, e);
                sleep = TimeSpan.FromSeconds(5);
            }
            try
            {
                await _wake.WaitAsync(sleep + TimeSpan.FromMilliseconds(20), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Running scheduled actions failed")]
    private static partial void LogFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled action {Action} of group {Group} fired: min {Min}, max {Max}, desired {Desired}")]
    private static partial void LogFired(ILogger logger, string action, string group, int min, int max, int desired);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled action {Action} of group {Group} could not be applied: {Reason}")]
    private static partial void LogNotApplied(ILogger logger, string action, string group, string reason);

    /// <summary>Fires every due action; answers the earliest next fire time of those that remain.</summary>
    public async Task<DateTime?> RunDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = new List<(Scope Scope, string Id)>();
        DateTime? earliest = null;
        await using (var session = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var stored in await ResourceScopes.ListEveryScopeAsync(session, ScheduledActions.Type, ct).ConfigureAwait(false))
            {
                var action = JsonSerializer.Deserialize<ScheduledActionResource>(stored.Document, ResourceStore.Json)!;
                if (action.NextFire is not { } fire)
                {
                    continue;
                }
                if (fire <= now)
                {
                    due.Add((new Scope(stored.Key.AccountId, stored.Key.Region), action.Id));
                }
                else if (earliest is null || fire < earliest)
                {
                    earliest = fire;
                }
            }
        }
        var changed = false;
        foreach (var (scope, id) in due)
        {
            var remaining = await FireAsync(scope, id, now, ct).ConfigureAwait(false);
            changed |= remaining.Changed;
            if (remaining.Next is { } next && (earliest is null || next < earliest))
            {
                earliest = next;
            }
        }
        if (changed)
        {
            signals.CapacityChanged();
        }
        return earliest;
    }

    private async Task<(bool Changed, DateTime? Next)> FireAsync(Scope scope, string id, DateTime now, CancellationToken ct)
    {
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        var action = await tx.GetAsync<ScheduledActionResource>(scope, ScheduledActions.Type, id, ct).ConfigureAwait(false);
        if (action?.NextFire is not { } fire || fire > now)
        {
            return (false, action?.NextFire);
        }
        var changed = false;
        var group = await AutoScalingGroups.GetAsync(tx, scope, action.GroupName, ct).ConfigureAwait(false);
        if (group is null || group.Status is not null)
        {
            // The group is gone (or going): its actions go with it.
            await tx.DeleteAsync(scope, ScheduledActions.Type, action.Id, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return (false, null);
        }
        if (group.IsSuspended("ScheduledActions"))
        {
            LogNotApplied(logger, action.Name, group.Name, "the ScheduledActions process is suspended");
        }
        else
        {
            var min = action.MinSize ?? group.MinSize;
            var max = action.MaxSize ?? group.MaxSize;
            if (min > max)
            {
                LogNotApplied(logger, action.Name, group.Name, $"min {min} would exceed max {max}");
            }
            else
            {
                var desired = action.DesiredCapacity ?? Math.Clamp(group.DesiredCapacity, min, max);
                desired = Math.Clamp(desired, min, max);
                var previous = group.DesiredCapacity;
                group.MinSize = min;
                group.MaxSize = max;
                AutoScalingGroups.ChangeDesiredCapacity(group, desired, ScheduledActions.Cause(action, min, max, desired, previous, now), now);
                await AutoScalingGroups.SaveAsync(tx, scope, group, ct).ConfigureAwait(false);
                changed = desired != previous;
                LogFired(logger, action.Name, group.Name, min, max, desired);
            }
        }
        var remains = await ScheduledActions.FiredAsync(tx, scope, action, now, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (changed, remains ? action.NextFire : null);
    }
}
