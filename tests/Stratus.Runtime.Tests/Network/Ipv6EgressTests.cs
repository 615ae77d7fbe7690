using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.Ipv6;
using Stratus.Runtime.Host;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// IPv6 out of a VPC on real packets: a plain namespace stands in for a container guest with an
/// IPv6 address, another one plays the internet (an address of 2001:db8:ffff::/48 on a veth to
/// the host, routed by the host like any network it reaches). Through an internet gateway route the
/// guest reaches the outside and the outside reaches the guest as its security group allows;
/// through an egress-only internet gateway only the guest's own flows (and their replies) pass;
/// without a route nothing crosses. The metadata address [fd00:ec2::254]:80 reaches the host's
/// metadata port from the guest's IPv6 address, and only with IPv6 metadata enabled. Needs root,
/// ip, nft, dnsmasq, busybox, curl and python3; fails otherwise. Everything made is removed, and
/// the host's IPv6 settings are restored, even on failure.
/// </summary>
[Collection("host IPv6 forwarding")]
public sealed class Ipv6EgressTests : IAsyncLifetime
{
    private const string Account = "123456789012";
    private const int GuestPort = 8081;
    private const int OutsidePort = 8080;
    private readonly List<string> _guests = [];
    private readonly List<int> _servers = [];
    private TcpListener Metadata { get; set; } = null!;
    private HostRuntimeOptions _options = null!;
    private LinuxHostNetwork HostNetwork { get; set; } = null!;
    private string _forwardingBefore = "";
    private string _vpcId = "", _cidr = "", _guestV6 = "", _block = "", _subnet6 = "", _outside = "", _outsideHost = "", _outsideNs = "", _outsideLink = "";
    private string _instanceId = "";
    private (string Ns, Stratus.Domain.Instances.GuestNic Nic) _guest;

    public async Task InitializeAsync()
    {
        Net.RequireHost();
        Assert.True(Net.Sh("command -v curl && command -v python3").Succeeded, "the IPv6 egress tests need curl and python3 on PATH");
        _forwardingBefore = File.ReadAllText("/proc/sys/net/ipv6/conf/all/forwarding").Trim();

        // The metadata port, listening on IPv6 as Stratus's listener does (dual-stack).
        Metadata = new TcpListener(IPAddress.IPv6Any, 0);
        Metadata.Server.DualMode = true;
        Metadata.Start();
        var state = Directory.CreateTempSubdirectory("stratus-net6-").FullName;
        _options = new HostRuntimeOptions { StateDirectory = state, ImageDirectory = Path.Combine(state, "images"), MetadataPort = ((IPEndPoint)Metadata.LocalEndpoint).Port };
        HostNetwork = new LinuxHostNetwork(_options);
        await HostNetwork.InitializeAsync(new HashSet<string>(), CancellationToken.None);

        var octet = Net.RandomOctet();
        _vpcId = Net.VpcId();
        _cidr = $"10.{octet}.0.0/16";
        var word = Random.Shared.Next(0x1000, 0xf000).ToString("x4", CultureInfo.InvariantCulture);
        var byte56 = Random.Shared.Next(0, 0x100).ToString("x2", CultureInfo.InvariantCulture);
        _block = $"2001:db8:{word}:{byte56}00::/56";
        _subnet6 = $"2001:db8:{word}:{byte56}01::/64";
        _guestV6 = $"2001:db8:{word}:{byte56}01::1a";

        var ns = Net.NewGuest(_guests);
        var nic = Net.Nic(_vpcId, _cidr, $"10.{octet}.1.0/24", $"10.{octet}.1.10");
        _instanceId = Net.InstanceId();
        await HostNetwork.AttachVethAsync(Account, "us-east-1", _instanceId, nic, "/run/netns/" + ns, configureAddress: true, CancellationToken.None);
        _guest = (ns, nic);

        // The outside: its own namespace behind a veth on the host, in a /64 the host routes.
        var tag = Guid.NewGuid().ToString("N")[..6];
        var outsideWord = Random.Shared.Next(0, 0x10000).ToString("x4", CultureInfo.InvariantCulture);
        _outsideNs = "sxo-" + tag;
        _outsideLink = "sxo" + tag;
        _outsideHost = $"2001:db8:ffff:{outsideWord}::1";
        _outside = $"2001:db8:ffff:{outsideWord}::2";
        _guests.Add(_outsideNs);
        Sh($"ip netns add {_outsideNs} && ip -n {_outsideNs} link set lo up"
            + $" && ip link add {_outsideLink} type veth peer name eth0 netns {_outsideNs}"
            + $" && sysctl -qw net.ipv6.conf.{_outsideLink}.disable_ipv6=0 net.ipv6.conf.{_outsideLink}.accept_ra=0"
            + $" && ip -6 addr add {_outsideHost}/64 dev {_outsideLink} nodad && ip link set {_outsideLink} up"
            + $" && ip netns exec {_outsideNs} sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0"
            + $" && ip -n {_outsideNs} -6 addr add {_outside}/64 dev eth0 nodad && ip -n {_outsideNs} link set eth0 up"
            + $" && ip -n {_outsideNs} -6 route add default via {_outsideHost} dev eth0");
        _servers.Add(Serve(_outsideNs, OutsidePort));
        _servers.Add(Serve(_guest.Ns, GuestPort));
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (HostNetwork is not null)
            {
                await HostNetwork.ShutdownAsync(CancellationToken.None);
                await HostNetwork.DisposeAsync();
            }
        }
        finally
        {
            foreach (var pid in _servers)
            {
                Net.Sh($"kill {pid}");
            }
            if (_outsideLink.Length > 0)
            {
                Net.Sh($"ip link del {_outsideLink}");
            }
            Net.DeleteGuests(_guests);
            Metadata?.Stop();
            Metadata?.Dispose();
            if (_options is not null)
            {
                Directory.Delete(_options.StateDirectory, recursive: true);
            }
        }
    }

    private static void Sh(string script)
    {
        var result = Net.Sh(script);
        Assert.True(result.Succeeded, script + "\n" + result.StandardError);
    }

    /// <summary>A python HTTP server on [::]:<paramref name="port"/> in <paramref name="ns"/>; its PID.</summary>
    private static int Serve(string ns, int port)
    {
        var result = Net.Sh($"ip netns exec {ns} python3 -m http.server {port} --bind :: >/dev/null 2>&1 & echo $!");
        Assert.True(result.Succeeded, result.StandardError);
        var pid = int.Parse(result.StandardOutput.Trim(), CultureInfo.InvariantCulture);
        for (var i = 0; i < 50 && !Net.Sh($"ip netns exec {ns} ss -ltnH 'sport = :{port}' | grep -q LISTEN").Succeeded; i++)
        {
            Thread.Sleep(100);
        }
        return pid;
    }

    private static bool Get(string fromNs, string address, int port) =>
        Net.Sh($"ip netns exec {fromNs} curl -6 -sf -o /dev/null --connect-timeout 2 -m 3 http://[{address}]:{port}/").Succeeded;

    private static EffectiveRule Rule(bool egress, int? protocol, string peer, int? from = null, int? to = null) =>
        new("sgr-" + Guid.NewGuid().ToString("N")[..17], egress, protocol, from, to, null, null, PeerKind.CidrIpv6, peer, null);

    private Task ApplyAsync(IReadOnlyList<FirewallInternetRoute6> routes, bool ingressRule, bool metadataIpv6 = true, bool denyOutside = false)
    {
        var rules = new List<EffectiveRule> { Rule(true, null, "::/0") };
        if (ingressRule)
        {
            rules.Add(Rule(false, 6, "::/0", GuestPort, GuestPort));
        }
        var acl = new List<FirewallAclEntry>
        {
            new(100, false, true, "-1", "::/0", null, null, null, null),
            new(100, true, true, "-1", "::/0", null, null, null, null),
            new(32767, false, false, "-1", "::/0", null, null, null, null),
            new(32767, true, false, "-1", "::/0", null, null, null, null),
        };
        if (denyOutside)
        {
            acl.Add(new(50, true, false, "6", "2001:db8:ffff::/48", OutsidePort, OutsidePort, null, null));
        }
        var firewall = new VpcFirewall(
            Account, "us-east-1", _vpcId, [_cidr],
            [new FirewallInterface(_guest.Nic.NetworkInterfaceId, _guest.Nic.SubnetId, [_guest.Nic.PrivateIp], ["sg-v6"])],
            new Dictionary<string, IReadOnlyList<EffectiveRule>> { ["sg-v6"] = rules },
            new Dictionary<string, IReadOnlyList<string>>(),
            new Dictionary<string, IReadOnlyList<string>>(),
            [new FirewallSubnet(_guest.Nic.SubnetId, _guest.Nic.SubnetCidr, false, "acl-1", [])])
        {
            Ipv6 = new FirewallIpv6(
                [_block],
                [new FirewallIpv6Subnet(_guest.Nic.SubnetId, _guest.Nic.SubnetCidr, _subnet6, acl.OrderBy(e => e.RuleNumber).ToList()) { InternetRoutes = routes }],
                [new FirewallIpv6Interface(_guest.Nic.NetworkInterfaceId, _guest.Nic.SubnetId, [_guestV6]) { MetadataIpv6 = metadataIpv6 }],
                new Dictionary<string, IReadOnlyList<string>>()),
        };
        return HostNetwork.ApplyFirewallAsync(firewall, CancellationToken.None);
    }

    private static readonly FirewallInternetRoute6[] ViaInternetGateway = [new("::/0", EgressOnly: false)];
    private static readonly FirewallInternetRoute6[] ViaEgressOnlyGateway = [new("::/0", EgressOnly: true)];

    [Fact]
    public async Task Internet_gateway_carries_both_ways_egress_only_gateway_only_outward_and_no_route_nothing()
    {
        // No route: the uplink carries IPv6 (the host routes the VPC's block) but the filter lets nothing across.
        await ApplyAsync([], ingressRule: true);
        Assert.Equal("1", File.ReadAllText("/proc/sys/net/ipv6/conf/all/forwarding").Trim());
        var vpc = Assert.Single(HostNetwork.Snapshot(), v => v.VpcId == _vpcId);
        Assert.True(vpc.Ipv6Enabled);
        Assert.Contains(_block, vpc.Ipv6Routes);
        Assert.Contains("dev " + vpc.UplinkDevice, Net.Sh($"ip -6 route show exact {_block}").StandardOutput, StringComparison.Ordinal);
        Assert.False(Get(_guest.Ns, _outside, OutsidePort), "no route: the guest does not reach the outside");
        Assert.False(Get(_outsideNs, _guestV6, GuestPort), "no route: the outside does not reach the guest");

        // Internet gateway: both ways, inbound as the security group allows.
        await ApplyAsync(ViaInternetGateway, ingressRule: false);
        Assert.True(Get(_guest.Ns, _outside, OutsidePort), "through the internet gateway the guest reaches the outside");
        Assert.False(Get(_outsideNs, _guestV6, GuestPort), "the security group has no inbound rule yet");
        await ApplyAsync(ViaInternetGateway, ingressRule: true);
        Assert.True(Get(_outsideNs, _guestV6, GuestPort), "with an inbound rule the outside reaches the guest");
        // The guest's address is the one the outside sees (no NAT66).
        var seen = Net.Sh($"ip netns exec {_guest.Ns} busybox ping -6 -c 1 -W 2 {_outside}");
        Assert.True(seen.Succeeded, "ICMPv6 echo out and its reply back");

        // Network ACL: an outbound deny for the outside's port stops the guest's flows there.
        await ApplyAsync(ViaInternetGateway, ingressRule: true, denyOutside: true);
        Assert.False(Get(_guest.Ns, _outside, OutsidePort), "the ACL's deny entry applies to IPv6 leaving the VPC");

        // Egress-only internet gateway: out and back, nothing started from outside.
        await ApplyAsync(ViaEgressOnlyGateway, ingressRule: true);
        Assert.True(Get(_guest.Ns, _outside, OutsidePort), "through the egress-only gateway the guest reaches the outside");
        Assert.False(Get(_outsideNs, _guestV6, GuestPort), "the egress-only gateway drops connections from outside");

        // A more specific internet-gateway route beside the egress-only default lets that block in.
        await ApplyAsync([new("::/0", EgressOnly: true), new("2001:db8:ffff::/48", EgressOnly: false)], ingressRule: true);
        Assert.True(Get(_outsideNs, _guestV6, GuestPort), "the longer internet-gateway route decides for the outside's block");

        await ApplyAsync([], ingressRule: true);
        Assert.False(Get(_guest.Ns, _outside, OutsidePort), "the route removed: nothing leaves");

        // Shut down: the host's rule, routes and IPv6 forwarding are as they were.
        var host6 = Ipv6Uplink.Address(vpc.HostAddress);
        await HostNetwork.ShutdownAsync(CancellationToken.None);
        Assert.Equal("", Net.Sh($"ip -6 rule show from {host6}").StandardOutput.Trim());
        Assert.Equal("", Net.Sh($"ip -6 route show exact {_block}").StandardOutput.Trim());
        Assert.Empty(Net.Leftovers(HostNetwork, [vpc]));
        Assert.Equal(_forwardingBefore, File.ReadAllText("/proc/sys/net/ipv6/conf/all/forwarding").Trim());
    }

    [Fact]
    public async Task Metadata_over_ipv6_reaches_the_host_from_the_guests_address_only_when_enabled()
    {
        await ApplyAsync([], ingressRule: false);
        var seen = await ConnectAsync();
        Assert.NotNull(seen);
        var (local, remote) = seen.Value;
        var vpc = Assert.Single(HostNetwork.Snapshot(), v => v.VpcId == _vpcId);
        Assert.Equal(Ipv6Uplink.Address(vpc.HostAddress), local.Address.ToString());
        Assert.Equal(IPAddress.Parse(_guestV6), remote.Address);
        var caller = HostNetwork.ResolveMetadataCaller(local.Address, remote.Address);
        Assert.NotNull(caller);
        Assert.Equal(_instanceId, caller.InstanceId);
        Assert.Null(HostNetwork.ResolveMetadataCaller(local.Address, IPAddress.Parse(_outside)));

        await ApplyAsync([], ingressRule: false, metadataIpv6: false);
        Assert.Null(await ConnectAsync());
    }

    /// <summary>Connects from the guest to [fd00:ec2::254]:80; the endpoints the metadata listener saw, or null.</summary>
    private async Task<(IPEndPoint Local, IPEndPoint Remote)?> ConnectAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var accept = Metadata.AcceptTcpClientAsync(timeout.Token).AsTask();
        var client = Net.ShAsync($"timeout 4 ip netns exec {_guest.Ns} curl -6 -s -o /dev/null --connect-timeout 3 -m 3 http://[{Ipv6Ruleset.MetadataAddress}]/");
        try
        {
            using var connection = await accept;
            return ((IPEndPoint)connection.Client.LocalEndPoint!, (IPEndPoint)connection.Client.RemoteEndPoint!);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            await client;
        }
    }
}
