using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Stratus.Domain.Instances;
using Stratus.Runtime.Network;

namespace Stratus.Runtime.Tests.Container;

/// <summary>
/// A stand-in for the host network in container tests: a veth pair between the host and the
/// guest's namespace on a private /30 (host = the /30's first address, guest = its private
/// address, which must be the second). No bridge, no VPC, no metadata path.
/// </summary>
internal sealed class VethTestNetwork : IHostNetwork
{
    private readonly ConcurrentDictionary<string, string> _hostDevices = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> HostDevices => _hostDevices.Values.ToList();

    public int Detached { get; private set; }

    public Task InitializeAsync(IReadOnlySet<string> keep, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<NicAttachment> AttachTapAsync(string accountId, string region, string instanceId, GuestNic nic, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public async Task<NicAttachment> AttachVethAsync(string accountId, string region, string instanceId, GuestNic nic, string guestNamespacePath, bool configureAddress, CancellationToken cancellationToken)
    {
        var guest = IPAddress.Parse(nic.PrivateIp).GetAddressBytes();
        var host = (byte[])guest.Clone();
        host[3] = (byte)((guest[3] & ~3) + 1);
        var hostAddress = new IPAddress(host).ToString();
        var device = "vst" + instanceId[^8..];
        var netns = Path.GetFileName(guestNamespacePath);
        await Ip(cancellationToken, "link", "add", device, "type", "veth", "peer", "name", "eth0", "netns", netns);
        _hostDevices[instanceId] = device;
        await Ip(cancellationToken, "addr", "add", hostAddress + "/30", "dev", device);
        await Ip(cancellationToken, "link", "set", device, "up");
        await Ip(cancellationToken, "-n", netns, "link", "set", "eth0", "address", nic.MacAddress);
        await Ip(cancellationToken, "-n", netns, "link", "set", "lo", "up");
        await Ip(cancellationToken, "-n", netns, "link", "set", "eth0", "up");
        if (configureAddress)
        {
            await Ip(cancellationToken, "-n", netns, "addr", "add", nic.PrivateIp + "/30", "dev", "eth0");
            await Ip(cancellationToken, "-n", netns, "route", "add", "default", "via", hostAddress);
        }
        return new NicAttachment("", device, "eth0", hostAddress, 30, hostAddress);
    }

    public Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task DetachAsync(string instanceId, CancellationToken cancellationToken)
    {
        Detached++;
        if (_hostDevices.TryRemove(instanceId, out var device))
        {
            await Ip(["link", "delete", device], check: false, cancellationToken);
        }
    }

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress) => null;

    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        foreach (var id in _hostDevices.Keys.ToList())
        {
            await DetachAsync(id, cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => new(ShutdownAsync(CancellationToken.None));

    private static Task Ip(CancellationToken cancellationToken, params string[] arguments) => Ip(arguments, check: true, cancellationToken);

    private static async Task Ip(string[] arguments, bool check, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {error}");
        }
    }
}
