using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// Security-group rule changes on real packets: two plain namespaces stand in for guests A and B of
/// one subnet; B's group admits TCP ports from the VPC. A rule change is one <c>nft</c> command that
/// rewrites the group's chain; a flow already open goes on through a change that keeps it allowed and
/// through the revoke of the rule that allowed it, while new connections follow the rules. Needs
/// root, ip, nft, dnsmasq and busybox; fails otherwise.
/// </summary>
public sealed class FirewallApplyTests : IAsyncLifetime
{
    private readonly List<string> _guests = [];
    private LinuxHostNetwork Network { get; set; } = null!;
    private System.Net.Sockets.TcpListener Metadata { get; set; } = null!;
    private Stratus.Runtime.Host.HostRuntimeOptions _options = null!;
    private readonly List<string> _debug = [];
    private string _vpcId = "", _cidr = "", _subnet = "";
    private (string Ns, Stratus.Domain.Instances.GuestNic Nic) _a, _b;

    public async Task InitializeAsync()
    {
        Net.RequireHost();
        (Metadata, _options, _) = Net.NewHost();
        Network = new LinuxHostNetwork(_options, debug: message => { lock (_debug) { _debug.Add(message); } });
        await Network.InitializeAsync(new HashSet<string>(), CancellationToken.None);
        var octet = Net.RandomOctet();
        _vpcId = Net.VpcId();
        _cidr = $"10.{octet}.0.0/16";
        _subnet = $"10.{octet}.1.0/24";
        _a = await GuestAsync($"10.{octet}.1.10");
        _b = await GuestAsync($"10.{octet}.1.11");
    }

    private async Task<(string, Stratus.Domain.Instances.GuestNic)> GuestAsync(string ip)
    {
        var ns = Net.NewGuest(_guests);
        var nic = Net.Nic(_vpcId, _cidr, _subnet, ip) with { SubnetId = "subnet-apply" };
        await Network.AttachVethAsync("123456789012", "us-east-1", Net.InstanceId(), nic, "/run/netns/" + ns, configureAddress: true, CancellationToken.None);
        return (ns, nic);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Network is not null)
            {
                await Network.ShutdownAsync(CancellationToken.None);
                await Network.DisposeAsync();
            }
        }
        finally
        {
            Net.DeleteGuests(_guests);
            Metadata?.Stop();
            Metadata?.Dispose();
            if (_options is not null)
            {
                Directory.Delete(_options.StateDirectory, recursive: true);
            }
        }
    }

    /// <summary>Applies the VPC's filter with B's group admitting <paramref name="ports"/> (TCP, from the VPC); returns the commands it ran.</summary>
    private async Task<int> ApplyAsync(params int[] ports)
    {
        EffectiveRule Out(string id) => new(id, true, null, null, null, null, null, PeerKind.CidrIpv4, "0.0.0.0/0", null);
        FirewallAclEntry[] acl =
        [
            new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
            new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
        ];
        var firewall = new VpcFirewall(
            "123456789012", "us-east-1", _vpcId, [_cidr],
            [
                new FirewallInterface(_a.Nic.NetworkInterfaceId, _a.Nic.SubnetId, [_a.Nic.PrivateIp], ["sg-a"]),
                new FirewallInterface(_b.Nic.NetworkInterfaceId, _b.Nic.SubnetId, [_b.Nic.PrivateIp], ["sg-b"]),
            ],
            new Dictionary<string, IReadOnlyList<EffectiveRule>>
            {
                ["sg-a"] = [Out("sgr-a-out")],
                ["sg-b"] = [Out("sgr-b-out"), .. ports.Select(p => new EffectiveRule($"sgr-{p}", false, 6, p, p, null, null, PeerKind.CidrIpv4, _cidr, null))],
            },
            new Dictionary<string, IReadOnlyList<string>>(),
            new Dictionary<string, IReadOnlyList<string>>(),
            [new FirewallSubnet(_a.Nic.SubnetId, _subnet, true, "acl-1", acl)]);
        var tally = HostCommand.Count();
        await Network.ApplyFirewallAsync(firewall, CancellationToken.None);
        return tally.Value;
    }

    /// <summary>True when a new TCP connection from A reaches B's port, where nothing listens: B's stack refuses it (the SYN got through); a dropped SYN times out.</summary>
    private bool Reaches(int port) =>
        Net.Sh($"timeout 5 ip netns exec {_a.Ns} busybox nc -w 2 {_b.Nic.PrivateIp} {port} </dev/null 2>&1; true").StandardOutput.Contains("refused", StringComparison.Ordinal);

    private string Diagnostics()
    {
        lock (_debug)
        {
            var ns = Network.Snapshot().Single().Namespace;
            return string.Join('\n', _debug) + "\n" + Net.Sh($"ip netns exec {ns} nft list ruleset; ip netns exec {ns} cat /proc/net/nf_conntrack; ps aux | grep 'busybox nc' | grep -v grep").StandardOutput;
        }
    }

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static async Task<bool> GrowsAsync(string path)
    {
        var before = Size(path);
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(100);
            if (Size(path) > before)
            {
                return true;
            }
        }
        return false;
    }

    [Fact]
    public async Task A_rule_change_is_one_command_and_open_flows_go_on_while_new_ones_follow_the_rules()
    {
        Assert.True(await ApplyAsync(7001) >= 1, "the first apply loads the namespace's tables (one nft -f: no IPv6 side to sync)");
        Assert.True(Reaches(7001));
        Assert.False(Reaches(7002), "no rule for 7002 yet");

        // A flow on 7001: B receives a line every 100 ms for 20 s.
        var received = Path.Combine(_options.StateDirectory, "received");
        // (The listener's stdin stays open: nc ends the connection when it reads the end of its input.)
        var server = Net.ShAsync($"sleep 25 | timeout 25 ip netns exec {_b.Ns} busybox nc -l -p 7001 > {received}");
        await Task.Delay(300);
        var client = Net.ShAsync($"for i in $(seq 200); do echo tick; sleep 0.1; done | timeout 25 ip netns exec {_a.Ns} busybox nc {_b.Nic.PrivateIp} 7001");
        Assert.True(await GrowsAsync(received), "the flow on 7001 carries data");

        // Authorize 7002: one nft command, the open flow goes on, 7002 takes new connections.
        Assert.Equal(1, await ApplyAsync(7001, 7002));
        Assert.True(Reaches(7002));
        Assert.True(await GrowsAsync(received), "the open flow goes on through a change that keeps it allowed\n" + Diagnostics());
        lock (_debug)
        {
            Assert.Contains(_debug, m => m.Contains("(chains,", StringComparison.Ordinal) && m.EndsWith(", 1 commands", StringComparison.Ordinal));
        }

        // Revoke 7001: one command; no new connection on 7001, the tracked one goes on.
        Assert.Equal(1, await ApplyAsync(7002));
        Assert.False(Reaches(7001), "a revoked rule stops new connections");
        Assert.True(Reaches(7002));
        Assert.True(await GrowsAsync(received), "a flow accepted before the revoke goes on (connection tracking)");

        // The same firewall again: nothing to do.
        Assert.Equal(0, await ApplyAsync(7002));
        await Task.WhenAll(server, client);
    }
}
