using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stratus.Core;
using Stratus.Domain.Compute.Events;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Server.Instances;

/// <summary>What the lifecycle controller is asked to carry out for an instance.</summary>
internal enum LifecycleAction
{
    /// <summary>pending → running (first launch or start after stop).</summary>
    Boot,

    /// <summary>stopping → stopped.</summary>
    Stop,

    /// <summary>stopping → stopped without a clean shutdown.</summary>
    ForceStop,

    /// <summary>running stays running; the guest restarts.</summary>
    Reboot,

    /// <summary>shutting-down → terminated.</summary>
    Terminate,

    /// <summary>A running instance found after a restart of Stratus: the runtime takes it up again.</summary>
    Resume,

    /// <summary>The instance's public address changed (Elastic IP associated or released): tell the runtime if it runs.</summary>
    SyncPublicAddress,

    /// <summary>The guest powered itself off: running → stopping → stopped (or shutting-down → terminated).</summary>
    GuestShutdown,

    /// <summary>The instance's root volume replacement task: the guest restarts onto its new root volume.</summary>
    ReplaceRootVolume,
}

internal sealed record LifecycleCommand(Scope Scope, string InstanceId, LifecycleAction Action);

/// <summary>
/// Carries instances through their transitional states. Handlers commit the API-visible change
/// (pending, stopping, shutting-down) and enqueue a command after the commit; this controller
/// calls the runtime outside any transaction and then commits the resulting state (running,
/// stopped, terminated) if the instance is still where it expected. One instance's commands run
/// one at a time. After a restart of Stratus, instances found in a transitional state are driven
/// on, running ones are resumed, and terminated ones are removed an hour after termination.
/// </summary>
internal sealed partial class InstanceLifecycle(
    IStateStore store,
    IInstanceRuntime runtime,
    TimeProvider clock,
    ILogger<InstanceLifecycle> logger,
    InstanceSettled settled,
    Hosting.ApiReadiness readiness) : BackgroundService
{
    /// <summary>How many of the commands found at start-up run at once (a restart with thousands of instances queues them all).</summary>
    private static readonly int ReconcileParallelism = Math.Max(4, 4 * Environment.ProcessorCount);

    public static readonly TimeSpan TerminatedVisibleFor = TimeSpan.FromHours(1);
    private readonly KeyedGate _gates = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private CancellationToken _stopping;

    public IInstanceRuntime Runtime => runtime;

    /// <summary>The command that carries out the runtime's part of an accepted lifecycle call.</summary>
    public static LifecycleAction ActionFor(InstanceWork work) => work switch
    {
        InstanceWork.Boot => LifecycleAction.Boot,
        InstanceWork.Stop => LifecycleAction.Stop,
        InstanceWork.ForceStop => LifecycleAction.ForceStop,
        InstanceWork.Reboot => LifecycleAction.Reboot,
        InstanceWork.Terminate => LifecycleAction.Terminate,
        _ => throw new ArgumentOutOfRangeException(nameof(work), work, "no runtime work"),
    };

    private readonly SemaphoreSlim _firewallGate = new(1, 1);

    /// <summary>
    /// Brings the runtime's packet filters in line with the store for <paramref name="vpcId"/>, or
    /// for every VPC of the scope that has interfaces: after changes to security groups, their
    /// rules, network ACLs, routes and interfaces (called after the commit), and before a guest
    /// boots. Failures are logged, never thrown: the API change is committed either way.
    /// </summary>
    /// <remarks>
    /// Syncs of the same VPC waiting for their turn are one: a sync that has not started yet reads
    /// the store after every change that asked for it, so a burst of boots (a launch of hundreds)
    /// builds the VPC's filter once instead of once per instance.
    /// </remarks>
    public Task SyncFirewallAsync(Scope scope, string? vpcId = null, CancellationToken ct = default)
    {
        if (!runtime.AppliesFirewall)
        {
            return Task.CompletedTask;
        }
        var key = (scope, vpcId ?? "");
        lock (_pendingFirewalls)
        {
            if (_pendingFirewalls.TryGetValue(key, out var pending))
            {
                return pending;
            }
            var sync = RunFirewallSyncAsync(key, scope, vpcId, ct);
            _pendingFirewalls[key] = sync;
            return sync;
        }
    }

    private readonly Dictionary<(Scope, string), Task> _pendingFirewalls = [];

    /// <summary>
    /// Plugs the instance's secondary network interfaces (device index 1 and up) into its guest and
    /// unplugs detached ones, when the instance runs (or is booting) and the runtime can hot-plug.
    /// Failures are logged: the API call that changed the attachment has succeeded.
    /// </summary>
    public async Task SyncInterfacesAsync(Scope scope, string instanceId, CancellationToken ct = default)
    {
        if (!runtime.AppliesFirewall)
        {
            return;
        }
        var nics = new List<GuestSecondaryNic>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            var instance = await read.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, instanceId, ct).ConfigureAwait(false);
            if (instance is null || instance.State is not (InstanceStates.Running or InstanceStates.Pending))
            {
                return;
            }
            // The instance's own interfaces by key (primary first), not every interface of the region.
            var interfaces = await InstanceAddressing.InterfacesAsync(read, scope, instance, ct).ConfigureAwait(false);
            foreach (var eni in interfaces.Where(e => e.Attachment!.DeviceIndex > 0))
            {
                var subnet = await read.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, eni.SubnetId, ct).ConfigureAwait(false);
                var vpc = await read.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, eni.VpcId, ct).ConfigureAwait(false);
                if (subnet is not null && vpc is not null)
                {
                    nics.Add(new GuestSecondaryNic(eni.Attachment!.DeviceIndex, new GuestNic(
                        eni.Id, eni.VpcId, vpc.CidrBlock, eni.SubnetId, subnet.CidrBlock, eni.PrivateIpAddress, eni.MacAddress, eni.Association?.PublicIp)));
                }
            }
        }
        try
        {
            await runtime.SyncSecondaryNicsAsync(scope.AccountId, scope.Region, instanceId, nics, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
        {
            logger.LogError(e, "plugging the network interfaces of {InstanceId} failed", instanceId);
        }
    }

    private async Task RunFirewallSyncAsync((Scope, string) key, Scope scope, string? vpcId, CancellationToken ct)
    {
        await Task.Yield();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await _firewallGate.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            lock (_pendingFirewalls)
            {
                // From here on the store is read: later changes need a sync of their own.
                _pendingFirewalls.Remove(key);
            }
        }
        try
        {
            var waited = watch.Elapsed;
            List<Domain.Firewall.VpcFirewall> firewalls;
            await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
            {
                // The scope's lists once, whatever the number of VPCs.
                var lists = await Domain.Firewall.FirewallLists.ReadAsync(read, scope, ct).ConfigureAwait(false);
                var vpcIds = vpcId is not null ? [vpcId] : lists.Interfaces.Select(i => i.VpcId).Distinct(StringComparer.Ordinal).ToList();
                firewalls = await Domain.Firewall.VpcFirewall.ReadAllAsync(read, scope, vpcIds, lists, ct).ConfigureAwait(false);
            }
            var readDone = watch.Elapsed;
            foreach (var firewall in firewalls)
            {
                await runtime.ApplyFirewallAsync(firewall, ct).ConfigureAwait(false);
            }
            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("packet filter of {Scope} ({Vpcs} VPCs, {Interfaces} interfaces) synced: queued {Queued} ms, store read {Read} ms, applied {Applied} ms",
                    scope, firewalls.Count, firewalls.Sum(f => f.Interfaces.Count), (int)waited.TotalMilliseconds, (int)(readDone - waited).TotalMilliseconds, (int)(watch.Elapsed - readDone).TotalMilliseconds);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "applying the packet filter of {Scope} failed", scope);
        }
        finally
        {
            _firewallGate.Release();
        }
    }

    public void Enqueue(LifecycleCommand command)
    {
        var task = Task.Run(() => RunAsync(command), CancellationToken.None);
        _running[task] = true;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>Commands queued or running now (the work-queue depth of <c>/metrics</c> and <c>stratus status</c>).</summary>
    public int InFlight => _running.Count;

    /// <summary>Waits until every queued command has finished (for orderly shutdown and tests).</summary>
    public Task DrainAsync() => Task.WhenAll(_running.Keys);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        runtime.OnGuestPoweredOff(off => Enqueue(new LifecycleCommand(new Scope(off.AccountId, off.Region), off.InstanceId, LifecycleAction.GuestShutdown)));
        await runtime.InitializeAsync(stoppingToken).ConfigureAwait(false);
        // The runtime is ready for launches now; taking up what the store holds waits for the API
        // to be ready, so that a restart with many instances answers its first request first.
        await readiness.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        await ReconcileAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await SweepTerminatedAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Stratus is shutting down: let running commands end, then the runtime powers guests off and
    /// removes what it holds on the host. Recorded states stay, so the next start boots them again.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await runtime.ShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        var all = await ListAllAsync(ct).ConfigureAwait(false);
        var commands = new List<LifecycleCommand>();
        foreach (var (scope, instance) in all)
        {
            var action = instance.State switch
            {
                InstanceStates.Pending => LifecycleAction.Boot,
                InstanceStates.Stopping => LifecycleAction.Stop,
                InstanceStates.ShuttingDown => LifecycleAction.Terminate,
                InstanceStates.Running => LifecycleAction.Resume,
                _ => (LifecycleAction?)null,
            };
            if (action is { } a)
            {
                commands.Add(new LifecycleCommand(scope, instance.Id, a));
            }
        }
        commands.AddRange(await UnfinishedRootVolumeReplacementsAsync(ct).ConfigureAwait(false));
        // Bounded: thousands of resumes at once would take every thread from the API.
        var resumed = Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = ReconcileParallelism },
            (command, _) => new ValueTask(RunAsync(command)));
        _running[resumed] = true;
        _ = resumed.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        await SweepTerminatedAsync(all, ct).ConfigureAwait(false);
    }

    private async Task<List<(Scope Scope, InstanceResource Instance)>> ListAllAsync(CancellationToken ct)
    {
        var result = new List<(Scope, InstanceResource)>();
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        foreach (var stored in await ResourceScopes.ListEveryScopeAsync(read, ResourceTypes.Instance, ct).ConfigureAwait(false))
        {
            var instance = System.Text.Json.JsonSerializer.Deserialize<InstanceResource>(stored.Document, ResourceStore.Json)!;
            result.Add((new Scope(stored.Key.AccountId, stored.Key.Region), instance));
        }
        return result;
    }

    /// <summary>
    /// The periodic sweep: the terminated instances of each account and region that holds instances
    /// (<see cref="ResourceScopes"/>), found through the store's state index, not by reading and
    /// decoding every instance each minute.
    /// </summary>
    private async Task SweepTerminatedAsync(CancellationToken ct)
    {
        var terminated = new List<(Scope Scope, InstanceResource Instance)>();
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            IReadOnlyList<IndexCondition> condition = [IndexCondition.Equal("instance-state-name", [InstanceStates.Terminated])];
            foreach (var scope in await ResourceScopes.ListAsync(read, [ResourceTypes.Instance], ct).ConfigureAwait(false))
            {
                foreach (var instance in await read.FindAsync<InstanceResource>(scope, ResourceTypes.Instance, condition, ct).ConfigureAwait(false))
                {
                    terminated.Add((scope, instance));
                }
            }
        }
        await SweepTerminatedAsync(terminated, ct).ConfigureAwait(false);
    }

    private async Task SweepTerminatedAsync(List<(Scope Scope, InstanceResource Instance)> all, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expired = all
            .Where(x => x.Instance.State == InstanceStates.Terminated && x.Instance.TerminatedAt is { } at && now - at > TerminatedVisibleFor)
            .ToList();
        if (expired.Count == 0)
        {
            return;
        }
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        foreach (var (scope, instance) in expired)
        {
            await tx.DeleteAsync(scope, ResourceTypes.Instance, instance.Id, ct).ConfigureAwait(false);
            await ScheduledEvents.ForgetAsync(tx, scope, instance.Id, ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Runs a command now, in turn with the instance's other commands (errors are logged).</summary>
    public async Task RunAsync(LifecycleCommand command)
    {
        using var held = await _gates.EnterAsync(command.InstanceId).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(command).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stratus is shutting down; the transition resumes after the restart.
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Action} of {InstanceId} failed", command.Action, command.InstanceId);
        }
    }

    private async Task ExecuteAsync(LifecycleCommand command)
    {
        var ct = _stopping;
        var instance = await LoadAsync(command, ct).ConfigureAwait(false);
        if (instance is null)
        {
            return;
        }
        switch (command.Action)
        {
            case LifecycleAction.Boot when instance.State == InstanceStates.Pending:
                try
                {
                    await SyncFirewallAsync(command.Scope, instance.VpcId, ct).ConfigureAwait(false);
                    await runtime.StartAsync(await BootAsync(command.Scope, instance, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                    await SyncInterfacesAsync(command.Scope, instance.Id, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "runtime {Runtime} could not boot {InstanceId}", runtime.Name, instance.Id);
                    await FinishAsync(command, InstanceStates.Pending, i => i.Transition(
                        i.EverRan ? InstanceStates.Stopped : InstanceStates.Terminated,
                        Now, "Server.InternalError", "Server.InternalError: Internal error on launch"), ct).ConfigureAwait(false);
                    return;
                }
                await FinishAsync(command, InstanceStates.Pending, i => i.Transition(InstanceStates.Running, Now), ct).ConfigureAwait(false);
                break;
            case LifecycleAction.Resume when instance.State == InstanceStates.Running:
                await SyncFirewallAsync(command.Scope, instance.VpcId, ct).ConfigureAwait(false);
                await runtime.ResumeAsync(await BootAsync(command.Scope, instance, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                await SyncInterfacesAsync(command.Scope, instance.Id, ct).ConfigureAwait(false);
                break;
            case LifecycleAction.Stop or LifecycleAction.ForceStop when instance.State == InstanceStates.Stopping:
                await StopGuestAsync(command, instance, command.Action == LifecycleAction.ForceStop, UserShutdown, ct).ConfigureAwait(false);
                break;
            case LifecycleAction.GuestShutdown when instance.State == InstanceStates.Running:
                await GuestShutdownAsync(command, instance, ct).ConfigureAwait(false);
                break;
            case LifecycleAction.SyncPublicAddress when instance.State is InstanceStates.Running:
                await runtime.SetPublicIpAsync(instance.Id, instance.PublicIpAddress, ct).ConfigureAwait(false);
                break;
            case LifecycleAction.Reboot when instance.State == InstanceStates.Running:
                await runtime.RebootAsync(instance.Id, ct).ConfigureAwait(false);
                break;
            case LifecycleAction.Terminate when instance.State == InstanceStates.ShuttingDown:
                await TerminateGuestAsync(command, instance, UserShutdown, ct).ConfigureAwait(false);
                break;
            case LifecycleAction.ReplaceRootVolume:
                await ReplaceRootVolumeAsync(command, ct).ConfigureAwait(false);
                break;
            default:
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    logger.LogDebug("{Action} of {InstanceId} skipped in state {State}", command.Action, instance.Id, instance.State);
                }
                break;
        }
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static readonly (string Code, string Message) UserShutdown =
        ("Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown");

    private static readonly (string Code, string Message) InstanceShutdown =
        ("Client.InstanceInitiatedShutdown", "Client.InstanceInitiatedShutdown: Instance initiated shutdown");

    private async Task StopGuestAsync(LifecycleCommand command, InstanceResource instance, bool force, (string Code, string Message) reason, CancellationToken ct)
    {
        await runtime.StopAsync(instance.Id, force, ct).ConfigureAwait(false);
        await FinishAsync(command, InstanceStates.Stopping, i => i.Transition(InstanceStates.Stopped, Now, reason.Code, reason.Message), ct).ConfigureAwait(false);
    }

    private async Task TerminateGuestAsync(LifecycleCommand command, InstanceResource instance, (string Code, string Message) reason, CancellationToken ct)
    {
        await runtime.TerminateAsync(instance.Id, ct).ConfigureAwait(false);
        await FinishAsync(command, InstanceStates.ShuttingDown, null, ct, terminateWith: reason).ConfigureAwait(false);
        // Its interfaces are gone: they leave the groups other rules refer to.
        await SyncFirewallAsync(command.Scope, instance.VpcId, ct).ConfigureAwait(false);
        foreach (var device in instance.BlockDevices.Where(b => b.DeleteOnTermination))
        {
            await runtime.DeleteVolumeAsync(device.VolumeId, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The guest shut itself down from its operating system: as on EC2 the instance stops, or
    /// terminates when its InstanceInitiatedShutdownBehavior is terminate (always for a one-time
    /// Spot Instance). The runtime then removes what the guest left on the host.
    /// </summary>
    private async Task GuestShutdownAsync(LifecycleCommand command, InstanceResource instance, CancellationToken ct)
    {
        var terminate = instance.InstanceInitiatedShutdownBehavior == "terminate" || instance.InstanceLifecycle == "spot";
        var moved = false;
        await FinishAsync(command, InstanceStates.Running, i =>
        {
            i.Transition(terminate ? InstanceStates.ShuttingDown : InstanceStates.Stopping, Now,
                InstanceShutdown.Code, InstanceShutdown.Message, InstanceShutdown.Message);
            moved = true;
        }, ct).ConfigureAwait(false);
        if (!moved)
        {
            return;
        }
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("{InstanceId} shut itself down: {Next}", instance.Id, terminate ? "terminating" : "stopping");
        }
        if (terminate)
        {
            await TerminateGuestAsync(command, instance, InstanceShutdown, ct).ConfigureAwait(false);
        }
        else
        {
            await StopGuestAsync(command, instance, force: true, InstanceShutdown, ct).ConfigureAwait(false);
        }
    }

    private async Task<InstanceBoot> BootAsync(Scope scope, InstanceResource instance, CancellationToken ct)
    {
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        var nicId = instance.NetworkInterfaceIds.FirstOrDefault();
        var nic = nicId is null ? null : await read.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, nicId, ct).ConfigureAwait(false);
        var subnet = await read.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, instance.SubnetId, ct).ConfigureAwait(false);
        var vpc = await read.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, instance.VpcId, ct).ConfigureAwait(false);
        var disks = new List<GuestDisk>();
        foreach (var device in instance.BlockDevices)
        {
            var volume = await read.GetAsync<VolumeResource>(scope, ResourceTypes.Volume, device.VolumeId, ct).ConfigureAwait(false);
            disks.Add(new GuestDisk(device.VolumeId, device.DeviceName, volume?.Size ?? 1, device.DeviceName == instance.RootDeviceName));
        }
        var primary = new GuestNic(
            nic?.Id ?? "", instance.VpcId, vpc?.CidrBlock ?? subnet?.CidrBlock ?? "", instance.SubnetId, subnet?.CidrBlock ?? "",
            instance.PrivateIpAddress, nic?.MacAddress ?? "", instance.PublicIpAddress);
        var instanceStore = InstanceTypeCatalog.Find(instance.InstanceType)?.InstanceStorageGb ?? 0;
        return new InstanceBoot(scope.AccountId, scope.Region, instance.Id, instance.InstanceType, instance.VCpus, instance.MemoryMiB,
            instance.RuntimeImage, primary, disks, instanceStore);
    }

    private async Task<InstanceResource?> LoadAsync(LifecycleCommand command, CancellationToken ct)
    {
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        return await read.GetAsync<InstanceResource>(command.Scope, ResourceTypes.Instance, command.InstanceId, ct).ConfigureAwait(false);
    }

    /// <summary>A state change waiting for the next group commit (see <see cref="FinishAsync"/>).</summary>
    private sealed record PendingFinish(LifecycleCommand Command, string Expected, Action<InstanceResource>? Change, (string Code, string Message)? TerminateWith)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Lock _finishLock = new();
    private List<PendingFinish> _finishQueue = [];
    private bool _finishing;

    /// <summary>
    /// Records the outcome of a command: when the instance is still in <paramref name="expected"/>,
    /// applies <paramref name="change"/> (or terminates it with <paramref name="terminateWith"/>) and
    /// writes it. Changes arriving together (the boots of a batch launch) share one write
    /// transaction — a group commit — instead of one transaction and one fsync each; should one of
    /// them fail, each is applied again on its own, so only its command sees the error.
    /// </summary>
    private Task FinishAsync(LifecycleCommand command, string expected, Action<InstanceResource>? change, CancellationToken ct,
        (string Code, string Message)? terminateWith = null)
    {
        ct.ThrowIfCancellationRequested();
        var item = new PendingFinish(command, expected, change, terminateWith);
        bool start;
        lock (_finishLock)
        {
            _finishQueue.Add(item);
            start = !_finishing;
            _finishing = true;
        }
        if (start)
        {
            _ = Task.Run(DrainFinishesAsync, CancellationToken.None);
        }
        return item.Done.Task;
    }

    private async Task DrainFinishesAsync()
    {
        while (true)
        {
            List<PendingFinish> batch;
            lock (_finishLock)
            {
                if (_finishQueue.Count == 0)
                {
                    _finishing = false;
                    return;
                }
                batch = _finishQueue;
                _finishQueue = [];
            }
            try
            {
                await ApplyFinishesAsync(batch).ConfigureAwait(false);
                batch.ForEach(i => i.Done.TrySetResult());
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var item in batch)
                {
                    try
                    {
                        await ApplyFinishesAsync([item]).ConfigureAwait(false);
                        item.Done.TrySetResult();
                    }
                    catch (Exception e)
                    {
                        item.Done.TrySetException(e);
                    }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// Applies a batch of finished commands in one transaction: the instances of each account and
    /// region read by key together, and written back together (one multi-row write, the vCPU usage
    /// adjusted once) after the teardown each change needs.
    /// </summary>
    private async Task ApplyFinishesAsync(IReadOnlyList<PendingFinish> batch)
    {
        var ct = _stopping;
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        var fleet = false;
        foreach (var group in batch.GroupBy(f => f.Command.Scope))
        {
            var scope = group.Key;
            var found = (await tx.GetManyAsync<InstanceResource>(scope, ResourceTypes.Instance, group.Select(f => f.Command.InstanceId).ToList(), ct).ConfigureAwait(false))
                .ToDictionary(i => i.Id, StringComparer.Ordinal);
            var changed = new List<InstanceResource>();
            foreach (var (command, expected, change, terminateWith) in group)
            {
                if (!found.TryGetValue(command.InstanceId, out var instance) || instance.State != expected)
                {
                    continue;
                }
                if (terminateWith is { } reason)
                {
                    instance.Transition(InstanceStates.Terminated, Now, reason.Code, reason.Message);
                    await InstanceTeardown.ReleaseAsync(tx, scope, instance, Now, ct).ConfigureAwait(false);
                }
                else
                {
                    change!(instance);
                    if (instance.State is InstanceStates.Stopped or InstanceStates.Terminated)
                    {
                        await InstanceTeardown.ReleasePublicAddressAsync(tx, scope, instance, Now, ct).ConfigureAwait(false);
                    }
                }
                changed.Add(instance);
                fleet |= instance.Tags.Any(t => t.Key == FleetTag);
            }
            if (changed.Count > 0)
            {
                await InstanceRecords.PutManyAsync(tx, scope, changed, Now, ct).ConfigureAwait(false);
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        if (fleet)
        {
            settled.Notify();
        }
    }

    /// <summary>The tag of instances an Auto Scaling group launched (their changes are signalled through <see cref="InstanceSettled"/>).</summary>
    private const string FleetTag = "aws:autoscaling:groupName";
}
