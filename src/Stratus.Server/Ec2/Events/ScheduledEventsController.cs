using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Compute.Events;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Server.Hosting;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2.Events;

/// <summary>
/// Carries out scheduled instance events from the store (<see cref="ScheduledEvents"/>): every
/// <see cref="Interval"/> it reads the instances with scheduled events; an event whose instance
/// the user stopped or terminated after it was scheduled ends <c>[Canceled]</c>; a due event
/// (NotBefore passed) whose instance has an event window and is outside it moves to the window's
/// next start; otherwise the instance is rebooted, stopped or terminated through the instance
/// lifecycle and the event ends <c>[Completed]</c>. Each instance's decision is one write
/// transaction, so a restart carries on from the store.
/// </summary>
internal sealed partial class ScheduledEventsController(IStateStore store, InstanceLifecycle lifecycle, TimeProvider clock, ILogger<ScheduledEventsController> log) : PeriodicService(clock)
{
    /// <summary>How often due events are looked for.</summary>
    protected override TimeSpan Interval => TimeSpan.FromSeconds(2);

    /// <summary>A pass at start, then every two seconds.</summary>
    protected override bool FixedRate => true;

    protected override void OnPassFailed(Exception e) => LogPassFailed(e);

    internal override async Task PassAsync(CancellationToken ct)
    {
        var work = new List<(Scope Scope, string Id)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.InstanceEvents, ct).ConfigureAwait(false))
            {
                var events = System.Text.Json.JsonSerializer.Deserialize<InstanceEventsResource>(stored.Document, ResourceStore.Json)!;
                if (events.Scheduled.Count > 0)
                {
                    work.Add((new Scope(stored.Key.AccountId, stored.Key.Region), stored.Key.Id));
                }
            }
        }
        foreach (var (scope, id) in work)
        {
            try
            {
                await ReconcileAsync(scope, id, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                LogInstanceFailed(e, id);
            }
        }
    }

    private async Task ReconcileAsync(Scope scope, string instanceId, CancellationToken ct)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var commands = new List<LifecycleCommand>();
        await using (var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var events = await ScheduledEvents.GetAsync(tx, scope, instanceId, ct).ConfigureAwait(false);
            if (events is null || events.Scheduled.Count == 0)
            {
                return;
            }
            var instance = await tx.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, instanceId, ct).ConfigureAwait(false);
            var changed = false;
            foreach (var record in events.Scheduled.OrderBy(e => e.NotBefore).ToList())
            {
                if (ScheduledEvents.CanceledByUser(record, instance))
                {
                    ScheduledEvents.End(events, record, ScheduledEvents.Canceled, now);
                    changed = true;
                    continue;
                }
                if (record.NotBefore > now)
                {
                    continue;
                }
                if (await EventWindows.WindowsOfAsync(tx, scope, instance!, ct).ConfigureAwait(false) is { } window
                    && EventWindows.NextStart(window, now) is var start && start > now)
                {
                    var duration = record.NotAfter - record.NotBefore;
                    record.NotBefore = start;
                    record.NotAfter = start + duration;
                    changed = true;
                    continue;
                }
                commands.AddRange(await CarryOutAsync(tx, scope, instance!, record, now, ct).ConfigureAwait(false));
                ScheduledEvents.End(events, record, ScheduledEvents.Completed, now);
                changed = true;
            }
            if (!changed)
            {
                return;
            }
            await ScheduledEvents.PutAsync(tx, scope, events, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        foreach (var command in commands)
        {
            lifecycle.Enqueue(command);
        }
    }

    private async Task<List<LifecycleCommand>> CarryOutAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, InstanceEventRecord record, DateTime now, CancellationToken ct)
    {
        var action = ScheduledEvents.ActionOf(record.Code, instance);
        List<InstanceChange> changes = [];
        try
        {
            changes = action switch
            {
                EventAction.Reboot when instance.State == InstanceStates.Running => InstanceOperations.Reboot([instance]),
                EventAction.Stop when instance.State is InstanceStates.Pending or InstanceStates.Running =>
                    await StopAsync(tx, scope, instance, now, ct).ConfigureAwait(false),
                EventAction.Terminate => await InstanceOperations.TerminateAsync(tx, scope, [instance], now, ct).ConfigureAwait(false),
                _ => [],
            };
        }
        catch (AwsException e)
        {
            // Termination protection: the event still ends, as on EC2, without the action.
            LogActionRefused(record.Id, instance.Id, e.Message);
        }
        LogCarriedOut(record.Id, record.Code, instance.Id);
        return changes.Where(c => c.Work != InstanceWork.None).Select(c => new LifecycleCommand(scope, c.Instance.Id, InstanceLifecycle.ActionFor(c.Work))).ToList();
    }

    /// <summary>Stops an instance for an event: EC2's own stop is not refused by the instance's stop protection.</summary>
    private static async Task<List<InstanceChange>> StopAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct)
    {
        var protectedStop = instance.DisableApiStop;
        instance.DisableApiStop = false;
        try
        {
            return await InstanceOperations.StopAsync(tx, scope, [instance], force: false, hibernate: false, now, ct).ConfigureAwait(false);
        }
        finally
        {
            if (protectedStop)
            {
                instance.DisableApiStop = true;
                await InstanceRecords.PutManyAsync(tx, scope, [instance], now, ct).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "scheduled event {EventId} ({Code}) carried out on {InstanceId}")]
    private partial void LogCarriedOut(string eventId, string code, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "scheduled event {EventId} could not act on {InstanceId}: {Reason}")]
    private partial void LogActionRefused(string eventId, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "a pass over scheduled instance events failed")]
    private partial void LogPassFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "carrying out the scheduled events of {InstanceId} failed")]
    private partial void LogInstanceFailed(Exception e, string instanceId);
}
