using System.Diagnostics;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// NAT gateways in the compiled filter beyond the plain 0.0.0.0/0 route: several Elastic IPs, routes
/// narrower than 0.0.0.0/0 (CIDRs and prefix lists' blocks) to internet and NAT gateways, and private
/// NAT gateways passing traffic on to a peering connection or a transit gateway.
/// </summary>
public sealed class NatGatewayRoutingTests
{
    private static readonly FirewallAclEntry[] AllowAll =
    [
        new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
    ];

    private static readonly TransitGatewayHostView Gateway = new("tgw-1", [], []);

    private static VpcFirewall Vpc(params FirewallSubnet[] subnets) => new(
        "123456789012", "us-east-1", "vpc-1",
        ["10.0.0.0/16"],
        [new FirewallInterface("eni-a", "subnet-1", ["10.0.1.10"], ["sg-a"])],
        new Dictionary<string, IReadOnlyList<EffectiveRule>> { ["sg-a"] = [new("sgr-1", true, null, null, null, null, null, PeerKind.CidrIpv4, "0.0.0.0/0", null)] },
        new Dictionary<string, IReadOnlyList<string>>(),
        new Dictionary<string, IReadOnlyList<string>>(),
        subnets);

    private static string Block(string text, string header)
    {
        var start = text.IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {header} in\n{text}");
        return text[start..text.IndexOf("\n\t}", start, StringComparison.Ordinal)];
    }

    private static string[] Lines(string block) => block.Split('\n').Skip(1).Select(l => l.Trim()).ToArray();

    [Fact]
    public void A_nat_gateway_with_secondary_elastic_ips_spreads_new_flows_over_all_of_them()
    {
        var firewall = Vpc(new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
        {
            NatAddress = "198.18.0.9",
            NatAddresses = ["198.18.0.9", "198.18.0.10", "198.18.0.11"],
        });
        var text = FirewallRuleset.Compile(firewall with { NatAddresses = ["198.18.0.10", "198.18.0.11", "198.18.0.9"] }, "10.0.0.2");
        var nat = Lines(Block(text, "\tchain nat_gateways {"));
        Assert.Equal("oifname \"up0\" ip saddr 10.0.1.0/24 snat to numgen inc mod 3 map { 0 : 198.18.0.9, 1 : 198.18.0.10, 2 : 198.18.0.11 }", nat[2]);
        Assert.Equal(3, nat.Length);
    }

    [Fact]
    public void Narrower_gateway_routes_open_only_their_destinations_longest_prefix_first()
    {
        // 0.0.0.0/0 stays private; 192.0.2.0/24 (a prefix list's block) goes to the internet gateway,
        // 198.51.100.0/24 to a NAT gateway, and 192.0.2.128/25 inside the first one to the NAT gateway too.
        var subnet = new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
        {
            GatewayRoutes =
            [
                new FirewallGatewayRoute("192.0.2.0/24", []),
                new FirewallGatewayRoute("192.0.2.128/25", ["198.18.0.9"]),
                new FirewallGatewayRoute("198.51.100.0/24", ["198.18.0.9"]),
            ],
        };
        var text = FirewallRuleset.Compile(Vpc(subnet), "10.0.0.2");
        var forward = Block(text, "\tchain forward {");
        Assert.Contains("oifname \"up0\" ip saddr 10.0.1.0/24 ct direction original jump gw_out_subnet_1", forward);
        Assert.Contains("iifname \"up0\" ip daddr 10.0.1.0/24 ct status dnat jump gw_in_subnet_1", forward);
        Assert.DoesNotContain("ip saddr 10.0.1.0/24 ct direction original drop", forward);
        Assert.Equal(["ip daddr 192.0.2.128/25 return", "ip daddr 192.0.2.0/24 return", "ip daddr 198.51.100.0/24 return", "drop"],
            Lines(Block(text, "\tchain gw_out_subnet_1 {")));
        // In: only from what the internet gateway route covers, not from the NAT gateway's narrower block.
        Assert.Equal(["ip saddr 192.0.2.128/25 drop", "ip saddr 192.0.2.0/24 return", "ip saddr 198.51.100.0/24 drop", "drop"],
            Lines(Block(text, "\tchain gw_in_subnet_1 {")));
        var nat = Lines(Block(text, "\tchain nat_gateways {"));
        Assert.Equal(
        [
            "oifname \"up0\" ip saddr 10.0.1.0/24 ip daddr 192.0.2.128/25 snat to 198.18.0.9",
            "oifname \"up0\" ip saddr 10.0.1.0/24 ip daddr 192.0.2.0/24 return",
            "oifname \"up0\" ip saddr 10.0.1.0/24 ip daddr 198.51.100.0/24 snat to 198.18.0.9",
        ], nat[2..]);
    }

    [Fact]
    public void An_internet_gateway_route_beside_a_nat_default_route_keeps_the_guests_own_address()
    {
        var subnet = new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
        {
            NatAddress = "198.18.0.9",
            GatewayRoutes = [new FirewallGatewayRoute("192.0.2.0/24", [])],
        };
        var text = FirewallRuleset.Compile(Vpc(subnet), "10.0.0.2");
        var nat = Lines(Block(text, "\tchain nat_gateways {"));
        Assert.Equal(["oifname \"up0\" ip saddr 10.0.1.0/24 ip daddr 192.0.2.0/24 return", "oifname \"up0\" ip saddr 10.0.1.0/24 snat to 198.18.0.9"], nat[2..]);
        // Flows out are open (the NAT default route); flows in only from the internet gateway's block.
        var forward = Block(text, "\tchain forward {");
        Assert.DoesNotContain("ip saddr 10.0.1.0/24 ct direction original", forward);
        Assert.Equal(["ip saddr 192.0.2.0/24 return", "drop"], Lines(Block(text, "\tchain gw_in_subnet_1 {")));
    }

    [Fact]
    public void Block_public_access_ingress_keeps_narrower_internet_routes_outbound_only()
    {
        var subnet = new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
        {
            GatewayRoutes = [new FirewallGatewayRoute("192.0.2.0/24", [])],
            PublicIngressBlocked = true,
        };
        var text = FirewallRuleset.Compile(Vpc(subnet), "10.0.0.2");
        Assert.Contains("iifname \"up0\" ip daddr 10.0.1.0/24 ct status dnat drop", Block(text, "\tchain forward {"));
        Assert.DoesNotContain("gw_in_", text);
        Assert.Contains("ip daddr 192.0.2.0/24 return", Block(text, "\tchain gw_out_subnet_1 {"));
    }

    [Fact]
    public void A_private_nat_gateway_translates_what_it_passes_to_a_peering_connection()
    {
        var text = FirewallRuleset.Compile(Vpc(
            new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
            {
                PrivateNatRoutes = [new FirewallPrivateNatRoute("10.9.0.0/16", ["10.0.2.5", "10.0.2.6"], "pcx-1", null)],
            },
            new FirewallSubnet("subnet-2", "10.0.2.0/24", false, "acl-1", AllowAll)
            {
                PeerRoutes = [new FirewallPeerRoute("pcx-1", "10.9.0.0/16")],
            }) with
        { Peerings = [new FirewallPeering("pcx-1", "vpc-9", ["10.9.0.0/16"])] }, "10.0.0.2");
        var link = FirewallRuleset.PeeringLink("pcx-1");
        // Out: the NAT gateway's subnet by its own route, the subnet behind it through the gateway.
        Assert.Equal(["ip saddr 10.0.2.0/24 ip daddr { 10.9.0.0/16 } return", "ip saddr 10.0.1.0/24 ip daddr { 10.9.0.0/16 } return", "drop"],
            Lines(Block(text, "\tchain peer_out_pcx_1 {")));
        // In: nothing starts a flow to the subnet behind the gateway.
        Assert.Equal(["ip daddr 10.0.2.0/24 ip saddr { 10.9.0.0/16 } return", "drop"], Lines(Block(text, "\tchain peer_in_pcx_1 {")));
        var nat = Lines(Block(text, "\tchain nat_gateways {"));
        Assert.Equal([$"oifname \"{link}\" ip saddr 10.0.1.0/24 ip daddr 10.9.0.0/16 snat to numgen inc mod 2 map {{ 0 : 10.0.2.5, 1 : 10.0.2.6 }}"], nat[2..]);
        // Nothing of it leaves through the uplink.
        Assert.Contains("oifname \"up0\" ip saddr 10.0.1.0/24 ct direction original drop", Block(text, "\tchain forward {"));
    }

    [Fact]
    public void A_private_nat_gateway_translates_what_it_passes_to_a_transit_gateway()
    {
        var firewall = Vpc(new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
        {
            PrivateNatRoutes = [new FirewallPrivateNatRoute("0.0.0.0/0", ["10.0.2.5"], null, "tgw-attach-1")],
        }) with
        {
            TransitGateways = [new FirewallTransitGateway("tgw-1", "tgw-attach-1", [new FirewallTransitGatewayRoute("subnet-1", "10.0.1.0/24", "0.0.0.0/0") { Translated = true }], Gateway)],
        };
        var text = FirewallRuleset.Compile(firewall, "10.0.0.2");
        Assert.Equal(["ip saddr 10.0.1.0/24 return", "drop"], Lines(Block(text, "\tchain tgw_out_tgw_attach_1 {")));
        Assert.Equal(["drop"], Lines(Block(text, "\tchain tgw_in_tgw_attach_1 {")));
        var nat = Lines(Block(text, "\tchain nat_gateways {"));
        Assert.Equal([$"oifname \"{TransitGatewayRuleset.Link("tgw-attach-1")}\" ip saddr 10.0.1.0/24 snat to 10.0.2.5"], nat[2..]);
    }

    [Fact]
    public void Each_nat_gateway_has_counters_of_what_it_sends_on_gets_back_and_translates()
    {
        var text = FirewallRuleset.Compile(Vpc(new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll) { NatAddress = "198.18.0.9" }) with
        {
            NatGateways = [new FirewallNatGateway("nat-0123456789abcdef0", ["198.18.0.9", "198.18.0.10"]), new FirewallNatGateway("nat-00000000000000001", ["10.0.2.5"])],
        }, "10.0.0.2");
        Assert.Contains("\tcounter nat_o_nat_0123456789abcdef0 {\n\t}\n", text);
        Assert.Contains("\tcounter nat_n_nat_00000000000000001 {\n\t}\n", text);
        var chain = Lines(Block(text, "\tchain nat_counters {"));
        Assert.Equal("type filter hook postrouting priority srcnat + 20; policy accept;", chain[0]);
        Assert.Equal("ct direction original ct reply ip daddr { 198.18.0.9, 198.18.0.10 } counter name nat_o_nat_0123456789abcdef0", chain[1]);
        Assert.Equal("ct direction reply ct reply ip daddr { 198.18.0.9, 198.18.0.10 } counter name nat_i_nat_0123456789abcdef0", chain[2]);
        Assert.Equal("ct state new ct reply ip daddr { 198.18.0.9, 198.18.0.10 } counter name nat_n_nat_0123456789abcdef0", chain[3]);
        Assert.Equal("ct direction original ct reply ip daddr 10.0.2.5 counter name nat_o_nat_00000000000000001", chain[4]);
        Assert.DoesNotContain("nat_counters", FirewallRuleset.Compile(Vpc(new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)), "10.0.0.2"));
    }

    [Fact]
    public void Nat_gateway_counters_are_read_from_nft_json()
    {
        const string json = """
            {"nftables": [{"metainfo": {"version": "1.0.6"}},
              {"counter": {"family": "ip", "name": "nat_o_nat_0123456789abcdef0", "table": "stratus_fw", "handle": 2, "packets": 12, "bytes": 900}},
              {"counter": {"family": "ip", "name": "nat_i_nat_0123456789abcdef0", "table": "stratus_fw", "handle": 3, "packets": 10, "bytes": 4000}},
              {"counter": {"family": "ip", "name": "nat_n_nat_0123456789abcdef0", "table": "stratus_fw", "handle": 4, "packets": 2, "bytes": 120}},
              {"counter": {"family": "ip", "name": "other", "table": "stratus_fw", "handle": 5, "packets": 1, "bytes": 1}}]}
            """;
        var counter = Assert.Single(FirewallRuleset.ParseNatCounters(json));
        Assert.Equal(new Stratus.Domain.Vpc.NatGateways.NatGatewayCounter("nat-0123456789abcdef0", 12, 900, 10, 4000, 2), counter);
        Assert.Empty(FirewallRuleset.ParseNatCounters(""));
    }

    [Fact]
    public async Task Nft_accepts_the_gateway_and_private_nat_chains()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var firewall = Vpc(
            new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", AllowAll)
            {
                NatAddress = "198.18.0.9",
                NatAddresses = ["198.18.0.9", "198.18.0.10"],
                GatewayRoutes = [new FirewallGatewayRoute("192.0.2.0/24", []), new FirewallGatewayRoute("198.51.100.0/24", ["198.18.0.12"])],
                PrivateNatRoutes = [new FirewallPrivateNatRoute("10.9.0.0/16", ["10.0.2.5", "10.0.2.6"], "pcx-1", null)],
            },
            new FirewallSubnet("subnet-2", "10.0.2.0/24", false, "acl-1", AllowAll)
            {
                GatewayRoutes = [new FirewallGatewayRoute("0.0.0.0/0", []), new FirewallGatewayRoute("203.0.113.0/24", ["198.18.0.9"])],
                PeerRoutes = [new FirewallPeerRoute("pcx-1", "10.9.0.0/16")],
            }) with
        {
            Peerings = [new FirewallPeering("pcx-1", "vpc-9", ["10.9.0.0/16"])],
            NatGateways = [new FirewallNatGateway("nat-0123456789abcdef0", ["198.18.0.9", "198.18.0.10"]), new FirewallNatGateway("nat-00000000000000001", ["10.0.2.5"])],
        };
        var text = FirewallRuleset.Compile(firewall, "10.0.0.2");
        var start = new ProcessStartInfo("unshare", ["--net", "nft", "-c", "-f", "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error + "\n" + text);
    }
}
