namespace Stratus.Domain.Instances;

/// <summary>What a runtime needs to boot an instance.</summary>
public sealed record InstanceBoot(
    string AccountId,
    string Region,
    string InstanceId,
    string InstanceType,
    int VCpus,
    int MemoryMiB,
    string? RuntimeImage,
    string PrivateIpAddress,
    string? PublicIpAddress,
    string SubnetId,
    string VpcId,
    IReadOnlyList<string> VolumeIds);

/// <summary>
/// Runs instances on a host: a microVM, a system container, or (for API-only use) nothing at
/// all. The control plane owns the state machine; a runtime only does what it is told and
/// reports success or failure. Calls may take as long as the guest needs; they are made outside
/// any store transaction.
/// </summary>
public interface IInstanceRuntime
{
    /// <summary>The runtime's name as recorded on instances ("mock", "microvm", "container").</summary>
    string Name { get; }

    /// <summary>Boots the instance (first launch or start after stop). Returns when it is running.</summary>
    Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken);

    /// <summary>Shuts the guest down (hard when <paramref name="force"/>). Returns when it is off.</summary>
    Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken);

    /// <summary>Reboots the guest in place.</summary>
    Task RebootAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Destroys the guest and everything the runtime made for it.</summary>
    Task TerminateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The guest's console output so far (empty when there is none).</summary>
    Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken);
}
