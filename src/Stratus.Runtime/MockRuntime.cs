using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Stratus.Domain.Instances;

namespace Stratus.Runtime;

/// <summary>Drives the state machine with delays and writes a console log; runs no guest.</summary>
internal sealed class MockRuntime(MockRuntimeOptions options, TimeProvider clock) : IInstanceRuntime
{
    /// <summary>No guests, so no packet filters to build.</summary>
    public bool AppliesFirewall => false;

    private readonly ConcurrentDictionary<string, StringBuilder> _consoles = new(StringComparer.Ordinal);

    public string Name => "mock";

    public async Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        Log(boot.InstanceId, $"Stratus mock runtime: starting {boot.InstanceId} ({boot.InstanceType}, {boot.VCpus} vCPU, {boot.MemoryMiB} MiB) in {boot.Region}");
        Log(boot.InstanceId, $"  image {boot.RuntimeImage ?? "(none)"}, volumes {string.Join(", ", boot.Disks.Select(d => d.VolumeId))}");
        var nic = boot.PrimaryNic;
        Log(boot.InstanceId, $"  network: {nic.PrivateIp} in {nic.SubnetId} ({nic.VpcId}){(nic.PublicIp is null ? "" : $", public {nic.PublicIp}")}");
        await Task.Delay(options.BootTime, clock, cancellationToken).ConfigureAwait(false);
        Log(boot.InstanceId, "  no guest runs under the mock runtime; the instance is reported running");
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ResumeAsync(InstanceBoot boot, CancellationToken cancellationToken)
    {
        Log(boot.InstanceId, "Stratus mock runtime: resumed after a restart of Stratus");
        return Task.CompletedTask;
    }

    public async Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken)
    {
        Log(instanceId, force ? "Stratus mock runtime: forced stop" : "Stratus mock runtime: shutting down");
        if (!force)
        {
            await Task.Delay(options.ShutdownTime, clock, cancellationToken).ConfigureAwait(false);
        }
        Log(instanceId, "  stopped");
    }

    public Task RebootAsync(string instanceId, CancellationToken cancellationToken)
    {
        Log(instanceId, "Stratus mock runtime: reboot");
        return Task.CompletedTask;
    }

    public async Task TerminateAsync(string instanceId, CancellationToken cancellationToken)
    {
        Log(instanceId, "Stratus mock runtime: terminating");
        await Task.Delay(options.ShutdownTime, clock, cancellationToken).ConfigureAwait(false);
        Log(instanceId, "  terminated");
    }

    public Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken)
    {
        Log(instanceId, $"Stratus mock runtime: public address {publicIp ?? "(none)"}");
        return Task.CompletedTask;
    }

    public GuestHealth? GetHealth(string instanceId) => null;

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress) => null;

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken) =>
        Task.FromResult(_consoles.TryGetValue(instanceId, out var log) ? Snapshot(log) : "");

    private void Log(string instanceId, string line)
    {
        var log = _consoles.GetOrAdd(instanceId, _ => new StringBuilder());
        lock (log)
        {
            log.Append('[').Append(clock.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)).Append("] ").Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
