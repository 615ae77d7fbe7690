using Microsoft.Extensions.Logging;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.RootVolumes;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.Instances;

/// <summary>
/// Root volume replacement: the instance's pending task moves to in-progress (the new root volume
/// takes the original's place in the store), the runtime restarts the guest onto it, and the task
/// succeeds — or, when the guest cannot restart, the original root is put back (failing → failed).
/// Runs in turn with the instance's other commands; after a restart of Stratus, unfinished tasks are
/// carried on.
/// </summary>
internal sealed partial class InstanceLifecycle
{
    private async Task ReplaceRootVolumeAsync(LifecycleCommand command, CancellationToken ct)
    {
        ReplaceRootVolumeTaskResource? task;
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            task = await RootVolumeReplacement.ActiveTaskAsync(read, command.Scope, command.InstanceId, ct).ConfigureAwait(false);
        }
        if (task is null)
        {
            return;
        }
        if (task.TaskState == ReplaceRootVolumeTaskStates.Pending)
        {
            if (await WriteAsync(tx => RootVolumeReplacement.BeginAsync(tx, command.Scope, task.Id, Now, ct), ct).ConfigureAwait(false) is null)
            {
                return;
            }
        }
        else if (task.TaskState == ReplaceRootVolumeTaskStates.Failing)
        {
            await WriteAsync<object?>(async tx =>
            {
                await RootVolumeReplacement.FailAsync(tx, command.Scope, task.Id, Now, ct).ConfigureAwait(false);
                return null;
            }, ct).ConfigureAwait(false);
            return;
        }
        var instance = await LoadAsync(command, ct).ConfigureAwait(false);
        try
        {
            if (instance is not { State: InstanceStates.Running })
            {
                throw new InvalidOperationException($"{command.InstanceId} no longer runs");
            }
            await runtime.ReplaceRootVolumeAsync(await BootAsync(command.Scope, instance, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            await SyncInterfacesAsync(command.Scope, instance.Id, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "replacing the root volume of {InstanceId} ({TaskId}) failed; putting the original back", command.InstanceId, task.Id);
            await RevertRootVolumeAsync(command, task.Id, ct).ConfigureAwait(false);
            return;
        }
        var done = await WriteAsync(tx => RootVolumeReplacement.CompleteAsync(tx, command.Scope, task.Id, Now, ct), ct).ConfigureAwait(false);
        if (done?.DeletedVolumeId is { } deleted)
        {
            await runtime.DeleteVolumeAsync(deleted, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The guest boots again on its original root; the task ends failed (failed-detached when the original was gone).</summary>
    private async Task RevertRootVolumeAsync(LifecycleCommand command, string taskId, CancellationToken ct)
    {
        var reverted = await WriteAsync(tx => RootVolumeReplacement.RevertAsync(tx, command.Scope, taskId, Now, ct), ct).ConfigureAwait(false);
        if (reverted is null)
        {
            return;
        }
        if (reverted.DeletedVolumeId is { } deleted)
        {
            await runtime.DeleteVolumeAsync(deleted, ct).ConfigureAwait(false);
        }
        if (await LoadAsync(command, ct).ConfigureAwait(false) is { State: InstanceStates.Running } instance)
        {
            try
            {
                await runtime.ReplaceRootVolumeAsync(await BootAsync(command.Scope, instance, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{InstanceId} did not boot again on its original root volume", command.InstanceId);
            }
        }
        await WriteAsync<object?>(async tx =>
        {
            await RootVolumeReplacement.FailAsync(tx, command.Scope, taskId, Now, ct).ConfigureAwait(false);
            return null;
        }, ct).ConfigureAwait(false);
    }

    private async Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> change, CancellationToken ct)
    {
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        var result = await change(tx).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>The replacement tasks a previous run of Stratus left unfinished, one command per instance.</summary>
    private async Task<List<LifecycleCommand>> UnfinishedRootVolumeReplacementsAsync(CancellationToken ct)
    {
        var commands = new List<LifecycleCommand>();
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.ReplaceRootVolumeTask, ct).ConfigureAwait(false))
        {
            var task = System.Text.Json.JsonSerializer.Deserialize<ReplaceRootVolumeTaskResource>(stored.Document, ResourceStore.Json)!;
            if (task.Active)
            {
                commands.Add(new LifecycleCommand(new Scope(stored.Key.AccountId, stored.Key.Region), task.InstanceId, LifecycleAction.ReplaceRootVolume));
            }
        }
        return commands;
    }
}
