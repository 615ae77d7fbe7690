using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.Ipv6;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// IPv6 across peering links and transit gateway links, as text: the IPv6 filter's link chains, the
/// IPv4 filter leaving IPv6 routes out, and the policy routing of gateway and VPC namespaces
/// (IPv6 lines run by <c>ip -6 -batch</c>). One case checks the filter with <c>nft -c</c>.
/// </summary>
[Collection("host IPv6 forwarding")]
public sealed class CrossVpcIpv6RoutingTests
{
    private const string Pcx = "pcx-0123456789abcdef0";
    private const string Attachment = "tgw-attach-0123456789abcdef0";
    private const string OtherAttachment = "tgw-attach-0fedcba9876543210";

    private static TransitGatewayHostView Gateway() => new(
        "tgw-1",
        [
            new TransitGatewayHostAttachment(Attachment, "vpc", "vpc-1", "tgw-rtb-1"),
            new TransitGatewayHostAttachment(OtherAttachment, "vpc", "vpc-3", "tgw-rtb-1"),
        ],
        [
            new TransitGatewayHostRouteTable("tgw-rtb-1",
            [
                new TransitGatewayHostRoute("10.1.0.0/16", Attachment),
                new TransitGatewayHostRoute("10.3.0.0/16", OtherAttachment),
                new TransitGatewayHostRoute("2001:db8:0:100::/56", Attachment),
                new TransitGatewayHostRoute("2001:db8:0:300::/56", OtherAttachment),
                new TransitGatewayHostRoute("2001:db8:0:400::/56", null),
            ]),
        ]);

    private static VpcFirewall Sample() => new(
        "123456789012", "us-east-1", "vpc-1",
        ["10.1.0.0/16"],
        [new FirewallInterface("eni-a", "subnet-1", ["10.1.1.10"], ["sg-a"])],
        new Dictionary<string, IReadOnlyList<EffectiveRule>> { ["sg-a"] = [] },
        new Dictionary<string, IReadOnlyList<string>>(),
        new Dictionary<string, IReadOnlyList<string>>(),
        [new FirewallSubnet("subnet-1", "10.1.1.0/24", false, "acl-1", [])
        {
            PeerRoutes = [new FirewallPeerRoute(Pcx, "10.2.0.0/16")],
        }])
    {
        Peerings = [new FirewallPeering(Pcx, "vpc-2", ["10.2.0.0/16"]) { PeerIpv6Cidrs = ["2001:db8:0:200::/56"] }],
        TransitGateways =
        [
            new FirewallTransitGateway("tgw-1", Attachment,
            [
                new FirewallTransitGatewayRoute("subnet-1", "10.1.1.0/24", "10.3.0.0/16"),
                new FirewallTransitGatewayRoute("subnet-1", "2001:db8:0:101::/64", "2001:db8:0:300::/56"),
            ], Gateway()),
        ],
        Ipv6 = new FirewallIpv6(
            ["2001:db8:0:100::/56"],
            [new FirewallIpv6Subnet("subnet-1", "10.1.1.0/24", "2001:db8:0:101::/64", [])
            {
                PeerRoutes = [new FirewallPeerRoute(Pcx, "2001:db8:0:200::/56")],
            }],
            [new FirewallIpv6Interface("eni-a", "subnet-1", ["2001:db8:0:101::a"])],
            new Dictionary<string, IReadOnlyList<string>>()),
    };

    private static string[] Lines(string chain) => chain.Split('\n').Skip(1).Select(l => l.Trim()).ToArray();

    private static string Chain(string text, string name)
    {
        var start = text.IndexOf($"\tchain {name} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chain {name} in\n{text}");
        return text[start..text.IndexOf("\n\t}", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Peering_and_gateway_links_carry_ipv6_only_between_routed_subnets()
    {
        var text = Ipv6Ruleset.Compile(Sample());
        var forward = Lines(Chain(text, "forward"));
        var px = FirewallRuleset.PeeringLink(Pcx);
        var tx = TransitGatewayRuleset.Link(Attachment);
        Assert.Contains($"iifname \"{px}\" ip6 saddr != {{ 2001:db8:0:200::/56 }} drop", forward);
        Assert.Contains($"iifname \"{px}\" oifname != \"br0\" drop", forward);
        Assert.Contains($"oifname \"{px}\" ct direction original jump peer6_out_pcx_0123456789abcdef0", forward);
        Assert.Contains($"iifname \"{tx}\" ct direction original jump tgw6_in_tgw_attach_0123456789abcdef0", forward);
        Assert.Equal($"iifname {{ \"{px}\", \"{tx}\" }} goto sg6_ingress", forward[^2]);
        Assert.Equal(["ip6 saddr 2001:db8:0:101::/64 ip6 daddr 2001:db8:0:200::/56 return", "drop"], Lines(Chain(text, "peer6_out_pcx_0123456789abcdef0")));
        Assert.Equal(["ip6 daddr 2001:db8:0:101::/64 ip6 saddr 2001:db8:0:200::/56 return", "drop"], Lines(Chain(text, "peer6_in_pcx_0123456789abcdef0")));
        Assert.Equal(["ip6 saddr 2001:db8:0:101::/64 ip6 daddr 2001:db8:0:300::/56 return", "drop"], Lines(Chain(text, "tgw6_out_tgw_attach_0123456789abcdef0")));
    }

    [Fact]
    public void A_peer_without_ipv6_sends_no_ipv6_over_the_link()
    {
        var firewall = Sample() with { Peerings = [new FirewallPeering(Pcx, "vpc-2", ["10.2.0.0/16"])] };
        Assert.Contains($"iifname \"{FirewallRuleset.PeeringLink(Pcx)}\" drop", Lines(Chain(Ipv6Ruleset.Compile(firewall), "forward")));
    }

    [Fact]
    public void The_ipv4_filter_leaves_ipv6_gateway_routes_out()
    {
        var text = FirewallRuleset.Compile(Sample(), "10.1.0.2");
        Assert.Equal(["ip saddr 10.1.1.0/24 ip daddr 10.3.0.0/16 return", "drop"], Lines(Chain(text, "tgw_out_tgw_attach_0123456789abcdef0")));
        Assert.DoesNotContain("2001:db8:0:300::/56", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_namespace_routes_ipv6_with_the_same_rules_and_tables()
    {
        var tx = TransitGatewayRuleset.Link(Attachment);
        var other = TransitGatewayRuleset.Link(OtherAttachment);
        var devices = new Dictionary<string, IReadOnlyList<string>> { [Attachment] = [tx], [OtherAttachment] = [other] };
        var links = new Dictionary<string, string> { [Attachment] = tx, [OtherAttachment] = other };
        var lines = LinuxHostNetwork.GatewayRouting(Gateway(), devices, links).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"rule add pref 100 iif {tx} lookup 100", lines);
        Assert.Contains($"-6 rule add pref 100 iif {tx} lookup 100", lines);
        Assert.Contains("-6 rule add pref 32000 blackhole", lines);
        Assert.Contains($"route replace 10.3.0.0/16 dev {other} table 100", lines);
        Assert.Contains($"-6 route replace 2001:db8:0:300::/56 dev {other} table 100", lines);
        Assert.Contains("-6 route replace blackhole 2001:db8:0:400::/56 table 100", lines);
        Assert.DoesNotContain(lines, l => !l.StartsWith("-6 ", StringComparison.Ordinal) && l.Contains("2001:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_vpc_namespace_looks_up_a_table_per_ipv6_subnet()
    {
        var tx = TransitGatewayRuleset.Link(Attachment);
        var lines = LinuxHostNetwork.VpcRouting([(Sample().TransitGateways[0], tx)]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "rule add pref 90 lookup main suppress_prefixlength 0",
            "-6 rule add pref 90 lookup main suppress_prefixlength 0",
            "rule add pref 100 from 10.1.1.0/24 lookup 5000",
            $"route replace 10.3.0.0/16 dev {tx} table 5000",
            "-6 rule add pref 100 from 2001:db8:0:101::/64 lookup 5001",
            $"-6 route replace 2001:db8:0:300::/56 dev {tx} table 5001",
        ], lines);
    }

    [Fact]
    public async Task Nft_accepts_the_ruleset()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var text = FirewallRuleset.Compile(Sample(), "10.1.0.2") + Ipv6Ruleset.Compile(Sample());
        var info = new System.Diagnostics.ProcessStartInfo("unshare") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--net", "nft", "-c", "-f", "-" })
        {
            info.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error + "\n" + text);
    }
}
