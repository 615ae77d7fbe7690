using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.Ipv6;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>The IPv6 table compiled from the same firewall as the IPv4 one (pure; one case checks it with <c>nft -c</c>).</summary>
public sealed class Ipv6RulesetTests
{
    private static EffectiveRule Rule(bool egress, int? protocol, string peer, int? from = null, int? to = null, int? icmpType = null, int? icmpCode = null, PeerKind kind = PeerKind.CidrIpv6) =>
        new("sgr-" + Guid.NewGuid().ToString("N")[..17], egress, protocol, from, to, icmpType, icmpCode, kind, peer, null);

    private static VpcFirewall Sample(bool ipv6 = true) => new(
        "123456789012", "us-east-1", "vpc-1",
        ["10.0.0.0/16"],
        [
            new FirewallInterface("eni-a", "subnet-1", ["10.0.1.10"], ["sg-a"]),
            new FirewallInterface("eni-b", "subnet-2", ["10.0.2.10"], ["sg-b"]),
        ],
        new Dictionary<string, IReadOnlyList<EffectiveRule>>
        {
            ["sg-a"] =
            [
                Rule(false, 58, "::/0", icmpType: 128),
                Rule(false, 6, "2001:db8:0:1::/64", 22, 22),
                Rule(false, 1, "0.0.0.0/0", icmpType: 8, kind: PeerKind.CidrIpv4),
                Rule(false, null, "10.0.0.0/8", kind: PeerKind.CidrIpv4),
                Rule(false, 6, "sg-b", 80, 80, kind: PeerKind.Group),
                Rule(true, null, "::/0"),
            ],
            ["sg-b"] = [Rule(true, null, "0.0.0.0/0", kind: PeerKind.CidrIpv4)],
        },
        new Dictionary<string, IReadOnlyList<string>> { ["sg-b"] = ["10.0.2.10"] },
        new Dictionary<string, IReadOnlyList<string>>(),
        [
            new FirewallSubnet("subnet-1", "10.0.1.0/24", true, "acl-1", []),
            new FirewallSubnet("subnet-2", "10.0.2.0/24", true, "acl-1", []),
        ])
    {
        Ipv6 = ipv6
            ? new FirewallIpv6(
                ["2001:db8::/56"],
                [
                    new FirewallIpv6Subnet("subnet-1", "10.0.1.0/24", "2001:db8:0:1::/64",
                    [
                        new(100, false, true, "-1", "::/0", null, null, null, null),
                        new(110, true, true, "58", "2001:db8:0:2::/64", null, null, 128, -1),
                        new(120, true, true, "1", "::/0", null, null, 8, -1),
                        new(32767, false, false, "-1", "::/0", null, null, null, null),
                        new(32767, true, false, "-1", "::/0", null, null, null, null),
                    ]),
                    new FirewallIpv6Subnet("subnet-2", "10.0.2.0/24", "2001:db8:0:2::/64", []),
                ],
                [
                    new FirewallIpv6Interface("eni-a", "subnet-1", ["2001:db8:0:1::a", "2001:db8:0:1::aa"]),
                    new FirewallIpv6Interface("eni-b", "subnet-2", ["2001:db8:0:2::b"]),
                ],
                new Dictionary<string, IReadOnlyList<string>> { ["sg-b"] = ["2001:db8:0:2::b"] })
            : null,
    };

    private static string[] Lines(string chain) => chain.Split('\n').Skip(1).Select(l => l.Trim()).ToArray();

    private static string Chain(string text, string name)
    {
        var start = text.IndexOf($"\tchain {name} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chain {name} in\n{text}");
        return text[start..text.IndexOf("\n\t}", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void A_vpc_without_ipv6_only_removes_the_table()
    {
        Assert.Equal("table ip6 stratus_fw6\ndelete table ip6 stratus_fw6\n", Ipv6Ruleset.Compile(Sample(ipv6: false)));
    }

    [Fact]
    public void Neighbour_discovery_always_passes_and_ipv6_stays_inside_the_vpc()
    {
        var text = Ipv6Ruleset.Compile(Sample());
        var forward = Lines(Chain(text, "forward"));
        Assert.Equal($"icmpv6 type {Ipv6Ruleset.Discovery} accept", forward[1]);
        Assert.Contains("iifname \"up0\" drop", forward);
        Assert.Contains("oifname \"up0\" drop", forward);
        Assert.Contains("ip6 saddr fe80::/10 drop", forward);
        Assert.Contains("ct status dnat ct original ip6 daddr fd00:ec2::254 accept", forward);
        Assert.Contains("ip6 daddr fd00:ec2::254 drop", forward);
        Assert.Equal(["ip6 saddr vmap @eni6_egress", "iifname \"up0\" goto sg6_ingress", "drop"], forward[^3..]);
        Assert.Contains($"icmpv6 type {Ipv6Ruleset.Discovery} accept", Lines(Chain(text, "input")));
    }

    [Fact]
    public void Groups_match_ipv6_peers_icmpv6_and_members_but_never_ipv4_rules()
    {
        var text = Ipv6Ruleset.Compile(Sample());
        Assert.Equal(
            ["icmpv6 type 128 accept", "ip6 saddr 2001:db8:0:1::/64 tcp dport 22 accept", "ip6 saddr @g6_sg_b tcp dport 80 accept"],
            Lines(Chain(text, "grp6_in_sg_a")));
        Assert.Equal(["goto sg6_ingress"], Lines(Chain(text, "grp6_out_sg_a")));
        Assert.Empty(Lines(Chain(text, "grp6_out_sg_b")));
        Assert.Equal(["jump grp6_in_sg_a", "drop"], Lines(Chain(text, "sg6_in_eni_a")));
        Assert.Contains("2001:db8:0:1::aa : jump sg6_in_eni_a", text);
        Assert.Contains("elements = { 2001:db8:0:2::b }", text);
    }

    [Fact]
    public void Acl_entries_use_their_ipv6_blocks_and_skip_icmp_for_ipv4()
    {
        var text = Ipv6Ruleset.Compile(Sample());
        Assert.Equal(["return comment \"100\"", "drop comment \"32767\"", "drop"], Lines(Chain(text, "acl6_in_subnet_1")));
        Assert.Equal(["ip6 daddr 2001:db8:0:2::/64 icmpv6 type 128 return comment \"110\"", "drop comment \"32767\"", "drop"], Lines(Chain(text, "acl6_out_subnet_1")));
        Assert.Contains("ip6 saddr 2001:db8:0:1::/64 ip6 daddr != 2001:db8:0:1::/64 jump acl6_out_subnet_1", text);
    }

    private static VpcFirewall Routed() => Sample() with
    {
        Ipv6 = Sample().Ipv6! with
        {
            Subnets =
            [
                Sample().Ipv6!.Subnets[0] with { InternetRoutes = [new("::/0", EgressOnly: false)] },
                Sample().Ipv6!.Subnets[1] with { InternetRoutes = [new("2001:db8:ffff::/48", EgressOnly: false), new("::/0", EgressOnly: true)] },
            ],
        },
    };

    [Fact]
    public void Internet_routes_decide_what_crosses_the_uplink_per_subnet()
    {
        var text = Ipv6Ruleset.Compile(Routed());
        var forward = Lines(Chain(text, "forward"));
        Assert.DoesNotContain("iifname \"up0\" drop", forward);
        Assert.Contains("oifname \"up0\" ip6 saddr 2001:db8:0:1::/64 ct direction original jump inet6_out_subnet_1", forward);
        Assert.Contains("iifname \"up0\" ip6 daddr 2001:db8:0:2::/64 ct direction original jump inet6_in_subnet_2", forward);
        Assert.Contains("iifname \"up0\" ip6 daddr != { 2001:db8:0:1::/64, 2001:db8:0:2::/64 } drop", forward);
        // Internet gateway: in from anywhere, out anywhere.
        Assert.Equal(["return", "drop"], Lines(Chain(text, "inet6_in_subnet_1")));
        Assert.Equal(["return", "drop"], Lines(Chain(text, "inet6_out_subnet_1")));
        // Egress-only by default, an internet gateway for one block: the longest route decides inbound.
        Assert.Equal(["ip6 saddr 2001:db8:ffff::/48 return", "drop", "drop"], Lines(Chain(text, "inet6_in_subnet_2")));
        Assert.Equal(["ip6 daddr 2001:db8:ffff::/48 return", "return", "drop"], Lines(Chain(text, "inet6_out_subnet_2")));
    }

    [Fact]
    public async Task Nft_accepts_the_ruleset()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var text = Ipv6Ruleset.Compile(Sample()) + Ipv6Ruleset.Compile(Routed());
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
