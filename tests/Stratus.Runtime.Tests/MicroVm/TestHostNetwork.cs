using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Stratus.Domain.Instances;
using Stratus.Runtime.Network;

namespace Stratus.Runtime.Tests.MicroVm;

/// <summary>
/// A stand-in for the VPC network in microVM tests: per instance a namespace with a bridge (the
/// subnet's router address), the tap, a busybox DHCP server handing the NIC's MAC its private
/// address, and a veth with a /30 (10.214.n.0/30) to the host plus a host route to the subnet, so the host can
/// reach the guest. No VPC logic.
/// </summary>
internal sealed class TestHostNetwork : IHostNetwork
{
    private static int _next = Environment.ProcessId % 200;
    private readonly ConcurrentDictionary<string, Attachment> _attached = new(StringComparer.Ordinal);
    private readonly string _directory = Directory.CreateTempSubdirectory("smv-net-").FullName;

    public IReadOnlySet<string>? Kept { get; private set; }

    public IReadOnlyCollection<string> Namespaces => _attached.Values.Select(a => a.Namespace).ToList();

    public Task InitializeAsync(IReadOnlySet<string> keep, CancellationToken cancellationToken)
    {
        Kept = keep;
        return Task.CompletedTask;
    }

    public async Task<NicAttachment> AttachTapAsync(string accountId, string region, string instanceId, GuestNic nic, CancellationToken cancellationToken)
    {
        if (_attached.ContainsKey(instanceId))
        {
            throw new InvalidOperationException($"{instanceId} is attached already");
        }
        var n = Interlocked.Increment(ref _next) % 60;
        var ns = $"smvt{Environment.ProcessId % 10000}n{n}";
        var hostVeth = $"smvh{Environment.ProcessId % 10000}n{n}";
        var subnet = nic.SubnetCidr.Split('/')[0];
        var prefix = subnet[..subnet.LastIndexOf('.')];
        var gateway = prefix + ".1";
        var hostEnd = $"10.214.{n}.1";
        var nsEnd = $"10.214.{n}.2";
        var attachment = new Attachment(ns, hostVeth);
        _attached[instanceId] = attachment;
        await Ip("netns", "add", ns);
        await Ip("-n", ns, "link", "set", "lo", "up");
        await Ip("-n", ns, "link", "add", "br0", "type", "bridge");
        await Ip("-n", ns, "addr", "add", gateway + "/24", "dev", "br0");
        await Ip("-n", ns, "link", "set", "br0", "up");
        await Ip("-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap");
        await Ip("-n", ns, "link", "set", "tap0", "master", "br0", "up");
        await Ip("link", "add", hostVeth, "type", "veth", "peer", "name", "up0", "netns", ns);
        await Ip("addr", "add", hostEnd + "/30", "dev", hostVeth);
        await Ip("link", "set", hostVeth, "up");
        await Ip("-n", ns, "addr", "add", nsEnd + "/30", "dev", "up0");
        await Ip("-n", ns, "link", "set", "up0", "up");
        await Ip("route", "replace", nic.SubnetCidr, "via", nsEnd, "dev", hostVeth);
        await Ip("netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        var config = Path.Combine(_directory, ns + ".conf");
        var leases = Path.Combine(_directory, ns + ".leases");
        File.WriteAllText(leases, "");
        File.WriteAllText(config, $"""
            start {prefix}.100
            end {prefix}.150
            interface br0
            lease_file {leases}
            pidfile {Path.Combine(_directory, ns + ".pid")}
            static_lease {nic.MacAddress} {nic.PrivateIp}
            option subnet 255.255.255.0
            option router {gateway}
            option lease 3600

            """);
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns, "busybox", "udhcpd", "-f", config })
        {
            info.ArgumentList.Add(a);
        }
        var dhcp = Process.Start(info)!;
        dhcp.OutputDataReceived += (_, _) => { };
        dhcp.ErrorDataReceived += (_, _) => { };
        dhcp.BeginOutputReadLine();
        dhcp.BeginErrorReadLine();
        attachment.Dhcp = dhcp;
        return new NicAttachment(ns, "tap0", null, gateway, 24, prefix + ".2");
    }

    public Task<NicAttachment> AttachVethAsync(string accountId, string region, string instanceId, GuestNic nic, string guestNamespacePath, bool configureAddress, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task DetachAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (!_attached.TryRemove(instanceId, out var attachment))
        {
            return;
        }
        if (attachment.Dhcp is { } dhcp)
        {
            try
            {
                dhcp.Kill();
                await dhcp.WaitForExitAsync(CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
            }
            dhcp.Dispose();
        }
        await IpQuiet("link", "del", attachment.HostVeth);
        await IpQuiet("netns", "del", attachment.Namespace);
    }

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress) => null;

    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        foreach (var instanceId in _attached.Keys.ToList())
        {
            await DetachAsync(instanceId, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(CancellationToken.None);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Whether a network namespace called <paramref name="name"/> exists on the host.</summary>
    public static bool NamespaceExists(string name) => File.Exists(Path.Combine("/run/netns", name));

    private static async Task Ip(params string[] arguments)
    {
        var (code, error) = await Run(arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error}");
        }
    }

    private static Task<(int Code, string Error)> IpQuiet(params string[] arguments) => Run(arguments);

    private static async Task<(int Code, string Error)> Run(string[] arguments)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await error);
    }

    private sealed class Attachment(string ns, string hostVeth)
    {
        public string Namespace { get; } = ns;

        public string HostVeth { get; } = hostVeth;

        public Process? Dhcp { get; set; }
    }
}
