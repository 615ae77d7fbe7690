using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// Source/destination checking, a route through a guest and secondary addresses on real packets:
/// two plain namespaces stand in for guests A (subnet 1) and B (subnet 2) of one VPC. B's route
/// table sends 192.0.2.0/24 to A's interface; A holds 192.0.2.77 itself (an appliance). Needs root,
/// ip, nft, dnsmasq and busybox; fails otherwise.
/// </summary>
public sealed class SourceDestCheckTests : IAsyncLifetime
{
    private const string Appliance = "192.0.2.77";
    private readonly List<string> _guests = [];
    private LinuxHostNetwork Network { get; set; } = null!;
    private System.Net.Sockets.TcpListener Metadata { get; set; } = null!;
    private Stratus.Runtime.Host.HostRuntimeOptions _options = null!;
    private string _vpcId = "", _cidr = "", _a = "", _b = "", _secondary = "";
    private (string Ns, Stratus.Domain.Instances.GuestNic Nic) _guestA, _guestB;

    public async Task InitializeAsync()
    {
        Net.RequireHost();
        (Metadata, _options, _) = Net.NewHost();
        Network = new LinuxHostNetwork(_options);
        await Network.InitializeAsync(new HashSet<string>(), CancellationToken.None);
        var octet = Net.RandomOctet();
        _vpcId = Net.VpcId();
        _cidr = $"10.{octet}.0.0/16";
        _a = $"10.{octet}.1.10";
        _b = $"10.{octet}.2.10";
        _secondary = $"10.{octet}.1.20";
        _guestA = await GuestAsync($"10.{octet}.1.0/24", _a);
        _guestB = await GuestAsync($"10.{octet}.2.0/24", _b);
        Assert.True(Net.Sh($"ip -n {_guestA.Ns} addr add {Appliance}/32 dev lo").Succeeded);
    }

    private async Task<(string, Stratus.Domain.Instances.GuestNic)> GuestAsync(string subnet, string ip)
    {
        var ns = Net.NewGuest(_guests);
        var nic = Net.Nic(_vpcId, _cidr, subnet, ip);
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

    private Task ApplyAsync(bool sourceDestCheck, bool secondaryAssigned)
    {
        EffectiveRule Rule(bool egress) => new("sgr-" + (egress ? "out" : "in"), egress, null, null, null, null, null, PeerKind.CidrIpv4, "0.0.0.0/0", null);
        FirewallAclEntry[] acl =
        [
            new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
            new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
        ];
        var subnetA = _guestA.Nic.SubnetCidr;
        var subnetB = _guestB.Nic.SubnetCidr;
        var firewall = new VpcFirewall(
            "123456789012", "us-east-1", _vpcId, [_cidr],
            [
                new FirewallInterface(_guestA.Nic.NetworkInterfaceId, _guestA.Nic.SubnetId, secondaryAssigned ? [_a, _secondary] : [_a], ["sg-all"]) { SourceDestCheck = sourceDestCheck },
                new FirewallInterface(_guestB.Nic.NetworkInterfaceId, _guestB.Nic.SubnetId, [_b], ["sg-all"]),
            ],
            new Dictionary<string, IReadOnlyList<EffectiveRule>> { ["sg-all"] = [Rule(false), Rule(true)] },
            new Dictionary<string, IReadOnlyList<string>>(),
            new Dictionary<string, IReadOnlyList<string>>(),
            [
                new FirewallSubnet(_guestA.Nic.SubnetId, subnetA, true, "acl-1", acl),
                new FirewallSubnet(_guestB.Nic.SubnetId, subnetB, false, "acl-1", acl)
                {
                    ApplianceRoutes = [new FirewallApplianceRoute("192.0.2.0/24", _a)],
                    OtherRoutes = [_cidr],
                },
            ]);
        return Network.ApplyFirewallAsync(firewall, CancellationToken.None);
    }

    [Fact]
    public async Task A_route_through_a_guest_delivers_only_with_its_check_off_and_secondary_addresses_pass_only_when_assigned()
    {
        await ApplyAsync(sourceDestCheck: true, secondaryAssigned: false);
        Assert.True(Net.Ping(_guestB.Ns, _a), "B reaches A directly");
        // Routed to A (B's table sends 192.0.2.0/24 there) but not addressed to A: dropped at A's port.
        Assert.True(Net.PingFails(_guestB.Ns, Appliance));

        await ApplyAsync(sourceDestCheck: false, secondaryAssigned: false);
        Assert.True(Net.Ping(_guestB.Ns, Appliance), "with the check off A takes the routed packets and answers from 192.0.2.77");

        await ApplyAsync(sourceDestCheck: true, secondaryAssigned: false);
        Assert.True(Net.PingFails(_guestB.Ns, Appliance));

        // A secondary address the guest configured itself: spoofed until assigned.
        Assert.True(Net.Sh($"ip -n {_guestA.Ns} addr add {_secondary}/24 dev eth0").Succeeded);
        Assert.True(Net.PingFails(_guestB.Ns, _secondary));
        await ApplyAsync(sourceDestCheck: true, secondaryAssigned: true);
        Assert.True(Net.Ping(_guestB.Ns, _secondary), "an assigned secondary address answers");
        await ApplyAsync(sourceDestCheck: true, secondaryAssigned: false);
        Assert.True(Net.PingFails(_guestB.Ns, _secondary));
        Assert.True(Net.Ping(_guestB.Ns, _a));
    }
}

/// <summary>The filter text for a subnet routed through a guest (pure, plus <c>nft -c</c>).</summary>
public sealed class ApplianceRulesetTests
{
    private static VpcFirewall Firewall(bool routed) => new(
        "123456789012", "us-east-1", "vpc-1", ["10.0.0.0/16"],
        [new FirewallInterface("eni-a", "subnet-1", ["10.0.1.10", "10.0.1.20"], ["sg-a"]) { SourceDestCheck = false }],
        new Dictionary<string, IReadOnlyList<EffectiveRule>> { ["sg-a"] = [new("sgr-1", false, null, null, null, null, null, PeerKind.CidrIpv4, "10.0.0.0/16", null)] },
        new Dictionary<string, IReadOnlyList<string>>(),
        new Dictionary<string, IReadOnlyList<string>>(),
        [
            new FirewallSubnet("subnet-1", "10.0.1.0/24", true, "acl-1", []),
            new FirewallSubnet("subnet-2", "10.0.2.0/24", false, "acl-1", [])
            {
                ApplianceRoutes = routed ? [new FirewallApplianceRoute("0.0.0.0/0", "10.0.1.10")] : [],
            },
        ]);

    [Fact]
    public async Task A_route_through_a_guest_makes_its_inbound_rules_apply_by_next_hop()
    {
        Assert.DoesNotContain("rt ip nexthop", FirewallRuleset.Compile(Firewall(routed: false), "10.0.0.2"));
        var text = FirewallRuleset.Compile(Firewall(routed: true), "10.0.0.2");
        Assert.Contains("\tchain sg_ingress {\n\t\tip daddr vmap @eni_ingress\n\t\trt ip nexthop vmap @eni_ingress\n\t\taccept\n\t}\n", text);
        Assert.True(Environment.UserName == "root", "nft -c needs root and nftables (scripts/install-deps.sh)");
        var result = await HostCommand.TryAsync("unshare", ["--net", "nft", "-c", "-f", "-"], text);
        Assert.True(result.Succeeded, result.StandardError + "\n" + text);
    }
}
