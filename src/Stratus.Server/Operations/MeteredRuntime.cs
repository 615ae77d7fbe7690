using System.Net;
using Stratus.Domain.Firewall;
using Stratus.Domain.Instances;

namespace Stratus.Server.Operations;

/// <summary>
/// The instance runtime as the control plane sees it, timing each guest operation into
/// <see cref="ServerMetrics"/> (start is the launch latency: from the call to a running guest).
/// Every call goes to the runtime unchanged.
/// </summary>
internal sealed class MeteredRuntime(IInstanceRuntime inner, ServerMetrics metrics) : IInstanceRuntime, Stratus.Domain.CloudWatch.IGuestUsageSource
{
    public IInstanceRuntime Inner => inner;

    public string Name => inner.Name;

    public bool AppliesFirewall => inner.AppliesFirewall;

    public int? MaxSecondaryDeviceIndex => inner.MaxSecondaryDeviceIndex;

    public bool PlugsInterfacesOfOtherVpcs => inner.PlugsInterfacesOfOtherVpcs;

    public Stratus.Domain.CloudWatch.GuestUsage? ReadUsage(string instanceId) =>
        (inner as Stratus.Domain.CloudWatch.IGuestUsageSource)?.ReadUsage(instanceId);

    /// <summary>"starting" until the runtime took stock of the host, then "ready", or "failed" (see <see cref="Error"/>).</summary>
    public string State { get; private set; } = "starting";

    public string? Error { get; private set; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.InitializeAsync(cancellationToken).ConfigureAwait(false);
            State = "ready";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            State = "failed";
            Error = e.Message;
            throw;
        }
    }

    public Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken) => TimeAsync("start", () => inner.StartAsync(boot, cancellationToken));

    public Task ResumeAsync(InstanceBoot boot, CancellationToken cancellationToken) => TimeAsync("resume", () => inner.ResumeAsync(boot, cancellationToken));

    public Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken) => TimeAsync("stop", () => inner.StopAsync(instanceId, force, cancellationToken));

    public Task RebootAsync(string instanceId, CancellationToken cancellationToken) => TimeAsync("reboot", () => inner.RebootAsync(instanceId, cancellationToken));

    public Task TerminateAsync(string instanceId, CancellationToken cancellationToken) => TimeAsync("terminate", () => inner.TerminateAsync(instanceId, cancellationToken));

    public Task ReplaceRootVolumeAsync(InstanceBoot boot, CancellationToken cancellationToken) =>
        TimeAsync("replace-root-volume", () => inner.ReplaceRootVolumeAsync(boot, cancellationToken));

    public Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken) => inner.DeleteVolumeAsync(volumeId, cancellationToken);

    public Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken) => inner.SetPublicIpAsync(instanceId, publicIp, cancellationToken);

    public Task ApplyFirewallAsync(VpcFirewall firewall, CancellationToken cancellationToken) => inner.ApplyFirewallAsync(firewall, cancellationToken);

    public Task<ServiceNamespace?> SetServiceAddressesAsync(string accountId, string region, string vpcId, IReadOnlyList<string> addresses,
        IReadOnlyList<KeyValuePair<string, string>> names, CancellationToken cancellationToken) =>
        inner.SetServiceAddressesAsync(accountId, region, vpcId, addresses, names, cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.FlowLogs.FlowCounter>> ReadFlowCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        inner.ReadFlowCountersAsync(accountId, region, vpcId, cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.TransitGateways.ConnectPeerBgpState>> ReadConnectPeerBgpAsync(CancellationToken cancellationToken) =>
        inner.ReadConnectPeerBgpAsync(cancellationToken);

    public Task<IReadOnlyList<Stratus.Domain.Vpc.NatGateways.NatGatewayCounter>> ReadNatGatewayCountersAsync(string accountId, string region, string vpcId, CancellationToken cancellationToken) =>
        inner.ReadNatGatewayCountersAsync(accountId, region, vpcId, cancellationToken);

    public Task SyncSecondaryNicsAsync(string accountId, string region, string instanceId, IReadOnlyList<GuestSecondaryNic> nics, CancellationToken cancellationToken) =>
        inner.SyncSecondaryNicsAsync(accountId, region, instanceId, nics, cancellationToken);

    public Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken) => inner.GetConsoleOutputAsync(instanceId, cancellationToken);

    public GuestHealth? GetHealth(string instanceId) => inner.GetHealth(instanceId);

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress) => inner.ResolveMetadataCaller(localAddress, remoteAddress);

    public void OnGuestPoweredOff(Action<GuestPoweredOff> handler) => inner.OnGuestPoweredOff(handler);

    public Task ShutdownAsync(CancellationToken cancellationToken) => inner.ShutdownAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private async Task TimeAsync(string operation, Func<Task> call)
    {
        var timing = metrics.BeginRuntimeOperation(inner.Name, operation);
        var outcome = "error";
        try
        {
            await call().ConfigureAwait(false);
            outcome = "ok";
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            metrics.EndRuntimeOperation(timing, outcome);
        }
    }
}
