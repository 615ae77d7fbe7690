using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>The nftables text compiled from security groups and network ACLs (pure; one case checks it with <c>nft -c</c>).</summary>
public sealed class FirewallRulesetTests
{
    private static EffectiveRule Rule(bool egress, int? protocol, string peer, int? from = null, int? to = null, int? icmpType = null, int? icmpCode = null, PeerKind kind = PeerKind.CidrIpv4) =>
        new("sgr-" + Guid.NewGuid().ToString("N")[..17], egress, protocol, from, to, icmpType, icmpCode, kind, peer, null);

    private static readonly FirewallAclEntry[] DefaultAcl =
    [
        new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(32767, false, false, "-1", "0.0.0.0/0", null, null, null, null),
        new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(32767, true, false, "-1", "0.0.0.0/0", null, null, null, null),
    ];

    private static VpcFirewall Sample(IReadOnlyList<FirewallAclEntry>? acl = null, bool isPublic = true) => new(
        "123456789012", "us-east-1", "vpc-1",
        ["10.0.0.0/16"],
        [
            new FirewallInterface("eni-a", "subnet-1", ["10.0.1.10"], ["sg-a"]),
            new FirewallInterface("eni-b", "subnet-1", ["10.0.1.11", "10.0.1.20"], ["sg-b", "sg-extra"]),
        ],
        new Dictionary<string, IReadOnlyList<EffectiveRule>>
        {
            ["sg-a"] =
            [
                Rule(false, 6, "sg-b", 8080, 8080, kind: PeerKind.Group),
                Rule(false, 17, "10.0.0.0/16", 5000, 5010),
                Rule(false, 1, "0.0.0.0/0", icmpType: 8),
                Rule(false, 1, "192.168.0.0/24", icmpType: 3, icmpCode: 4),
                Rule(false, 47, "10.0.0.0/8"),
                Rule(false, 6, "2001:db8::/32", 22, 22, kind: PeerKind.CidrIpv6),
                Rule(false, 6, "pl-123", 443, 443, kind: PeerKind.PrefixList),
                Rule(true, null, "0.0.0.0/0"),
            ],
            ["sg-b"] = [Rule(true, null, "0.0.0.0/0")],
            ["sg-extra"] = [Rule(false, 6, "0.0.0.0/0", 0, 65535)],
        },
        new Dictionary<string, IReadOnlyList<string>> { ["sg-b"] = ["10.0.1.11", "10.0.1.20"] },
        new Dictionary<string, IReadOnlyList<string>>(),
        [new FirewallSubnet("subnet-1", "10.0.1.0/24", isPublic, "acl-1", acl ?? DefaultAcl)]);

    private static string[] Lines(string chain) => chain.Split('\n').Skip(1).Select(l => l.Trim()).ToArray();

    private static string Chain(string text, string name)
    {
        var start = text.IndexOf($"\tchain {name} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chain {name} in\n{text}");
        return text[start..text.IndexOf("\n\t}", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Replaces_the_table_in_one_transaction()
    {
        var text = FirewallRuleset.Compile(Sample(), "10.0.0.2");
        Assert.StartsWith("table ip stratus_fw\ndelete table ip stratus_fw\ntable ip stratus_fw {\n", text);
    }

    [Fact]
    public void Ingress_is_default_deny_and_unions_the_groups()
    {
        var text = FirewallRuleset.Compile(Sample(), "10.0.0.2");
        Assert.Equal(["jump grp_in_sg_a", "drop"], Lines(Chain(text, "sg_in_eni_a")));
        var a = Chain(text, "grp_in_sg_a");
        Assert.Contains("ip saddr @g_sg_b tcp dport 8080 accept", a);
        Assert.Contains("ip saddr 10.0.0.0/16 udp dport 5000-5010 accept", a);
        Assert.Contains("icmp type 8 accept", a);
        Assert.Contains("ip saddr 192.168.0.0/24 icmp type 3 icmp code 4 accept", a);
        Assert.Contains("ip saddr 10.0.0.0/8 meta l4proto 47 accept", a);
        Assert.Contains("ip saddr @pl_pl_123 tcp dport 443 accept", a);
        Assert.DoesNotContain("2001:db8", a);
        // eni-b: sg-b has no inbound rule, sg-extra allows every TCP port from anywhere; each group is written once.
        Assert.Equal(["jump grp_in_sg_b", "jump grp_in_sg_extra", "drop"], Lines(Chain(text, "sg_in_eni_b")));
        Assert.Empty(Lines(Chain(text, "grp_in_sg_b")));
        Assert.Equal(["meta l4proto tcp accept"], Lines(Chain(text, "grp_in_sg_extra")));
        Assert.Single(text.Split('\n'), l => l == "\tchain grp_in_sg_a {");
    }

    [Fact]
    public void Egress_follows_the_rules_and_every_address_of_an_interface_is_mapped()
    {
        var text = FirewallRuleset.Compile(Sample(), "10.0.0.2");
        Assert.Equal(["jump grp_out_sg_a", "drop"], Lines(Chain(text, "sg_out_eni_a")));
        // An allowed outbound flow goes on to the destination's inbound check.
        Assert.Equal(["goto sg_ingress"], Lines(Chain(text, "grp_out_sg_a")));
        Assert.Equal(["ip daddr vmap @eni_ingress", "accept"], Lines(Chain(text, "sg_ingress")));
        Assert.Contains("10.0.1.11 : jump sg_out_eni_b, 10.0.1.20 : jump sg_out_eni_b", text);
        Assert.Contains("10.0.1.10 : jump sg_in_eni_a", text);
        Assert.Contains("set g_sg_b {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.1.11, 10.0.1.20 }\n\t}", text);
        Assert.Contains("set pl_pl_123 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t}", text);
    }

    [Fact]
    public void Tracked_flows_pass_after_the_stateless_acls_and_before_the_groups()
    {
        var forward = Chain(FirewallRuleset.Compile(Sample(), "10.0.0.2"), "forward");
        var lines = forward.Split('\n').Select(l => l.Trim()).ToList();
        int Index(string line) => lines.FindIndex(l => l == line) is var i and >= 0 ? i : throw new InvalidOperationException($"{line} not in\n{forward}");
        Assert.Equal(1, Index("ct original ip daddr 169.254.169.254 accept") - Index("type filter hook forward priority filter; policy drop;"));
        Assert.True(Index("ip saddr 10.0.1.0/24 ip daddr != 10.0.1.0/24 jump acl_out_subnet_1") < Index("ct state established,related accept"));
        Assert.True(Index("ip daddr 10.0.1.0/24 ip saddr != 10.0.1.0/24 jump acl_in_subnet_1") < Index("ct state established,related accept"));
        Assert.True(Index("ct state established,related accept") < Index("ip saddr vmap @eni_egress"));
        Assert.Equal("ip saddr vmap @eni_egress", lines[^2]);
        Assert.Equal("goto sg_ingress", lines[^1]);
        Assert.DoesNotContain("ct status dnat drop", forward);
    }

    [Fact]
    public void Acl_entries_are_evaluated_in_rule_order_and_end_in_deny()
    {
        FirewallAclEntry[] custom =
        [
            new(200, false, true, "6", "0.0.0.0/0", 8080, 8080, null, null),
            new(100, false, false, "6", "10.0.2.0/24", 8080, 8080, null, null),
            new(300, false, true, "1", "0.0.0.0/0", null, null, -1, -1),
            new(110, true, true, "6", "0.0.0.0/0", 1024, 65535, null, null),
            new(120, true, true, "17", "172.16.0.0/12", 53, 53, null, null),
            new(32767, true, false, "-1", "0.0.0.0/0", null, null, null, null),
        ];
        var text = FirewallRuleset.Compile(Sample(custom), "10.0.0.2");
        Assert.Equal(
            [
                "ip saddr 10.0.2.0/24 tcp dport 8080 drop comment \"100\"",
                "tcp dport 8080 return comment \"200\"",
                "meta l4proto icmp return comment \"300\"",
                "drop",
            ],
            Lines(Chain(text, "acl_in_subnet_1")));
        Assert.Equal(
            [
                "tcp dport 1024-65535 return comment \"110\"",
                "ip daddr 172.16.0.0/12 udp dport 53 return comment \"120\"",
                "drop comment \"32767\"",
                "drop",
            ],
            Lines(Chain(text, "acl_out_subnet_1")));
    }

    [Fact]
    public void A_subnet_without_a_route_to_an_internet_gateway_is_not_reachable_from_outside()
    {
        var forward = Chain(FirewallRuleset.Compile(Sample(isPublic: false), "10.0.0.2"), "forward");
        Assert.Contains("iifname \"up0\" ip daddr 10.0.1.0/24 ct status dnat drop", forward);
        Assert.Contains("oifname \"up0\" ip saddr 10.0.1.0/24 ct direction original drop", forward);
    }

    [Fact]
    public void The_namespace_answers_guests_only_for_dhcp_dns_and_ping()
    {
        var input = Chain(FirewallRuleset.Compile(Sample(), "10.0.0.2"), "input");
        Assert.Contains("policy drop", input);
        Assert.Contains("iifname \"br0\" ip daddr 10.0.0.2 udp dport 53 accept", input);
        Assert.Contains("iifname \"br0\" udp dport 67 accept", input);
    }

    [Fact]
    public async Task Nft_accepts_the_ruleset()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var text = FirewallRuleset.Compile(Sample(), "10.0.0.2");
        // A throwaway network namespace: the check (-c) commits nothing, and nothing touches the host's tables.
        var result = await RunAsync("unshare", ["--net", "nft", "-c", "-f", "-"], text);
        Assert.True(result.Code == 0, result.Error + "\n" + text);
    }

    /// <summary>A VPC with a NAT subnet (0.0.0.0/0 → a NAT gateway at 198.18.0.9) and an active peering to 10.9.0.0/16 routed from subnet-1 only.</summary>
    private static VpcFirewall Routed() => Sample() with
    {
        Subnets =
        [
            new FirewallSubnet("subnet-1", "10.0.1.0/24", false, "acl-1", DefaultAcl)
            {
                NatAddress = "198.18.0.9",
                PeerRoutes = [new FirewallPeerRoute("pcx-1", "10.9.0.0/16")],
            },
            new FirewallSubnet("subnet-2", "10.0.2.0/24", false, "acl-1", DefaultAcl),
        ],
        Peerings = [new FirewallPeering("pcx-1", "vpc-9", ["10.9.0.0/16"])],
        NatAddresses = ["198.18.0.9"],
    };

    [Fact]
    public void A_subnet_routed_to_a_nat_gateway_leaves_from_its_address()
    {
        var text = FirewallRuleset.Compile(Routed(), "10.0.0.2");
        var forward = Chain(text, "forward");
        // subnet-1 may start flows out through the uplink; subnet-2 (no route) may not.
        Assert.DoesNotContain("oifname \"up0\" ip saddr 10.0.1.0/24 ct direction original drop", forward);
        Assert.Contains("oifname \"up0\" ip saddr 10.0.2.0/24 ct direction original drop", forward);
        // Its public addresses stay unreachable from outside.
        Assert.Contains("iifname \"up0\" ip daddr 10.0.1.0/24 ct status dnat drop", forward);
        var nat = Lines(Chain(text, "nat_gateways"));
        Assert.Equal("type nat hook postrouting priority srcnat + 10; policy accept;", nat[0]);
        Assert.Equal("oifname \"up0\" ct status dnat return", nat[1]);
        Assert.Equal("oifname \"up0\" ip saddr 10.0.1.0/24 snat to 198.18.0.9", nat[2]);
        Assert.Equal(3, nat.Length);
    }

    [Fact]
    public void Without_a_nat_route_there_is_no_nat_chain()
    {
        Assert.DoesNotContain("nat_gateways", FirewallRuleset.Compile(Sample(isPublic: false), "10.0.0.2"));
    }

    [Fact]
    public void A_peering_link_carries_only_routed_subnets_both_ways()
    {
        var text = FirewallRuleset.Compile(Routed(), "10.0.0.2");
        var link = FirewallRuleset.PeeringLink("pcx-1");
        Assert.Matches("^px[0-9a-f]{8}$", link);
        var forward = Chain(text, "forward");
        Assert.Contains($"iifname \"{link}\" ip saddr != {{ 10.9.0.0/16 }} drop", forward);
        Assert.Contains($"iifname \"{link}\" oifname != \"br0\" drop", forward);
        Assert.Contains($"oifname \"{link}\" ct direction original jump peer_out_pcx_1", forward);
        Assert.Contains($"iifname \"{link}\" ct direction original jump peer_in_pcx_1", forward);
        // The peering checks come before the ACLs and security groups, which still apply.
        Assert.True(forward.IndexOf("peer_in_pcx_1", StringComparison.Ordinal) < forward.IndexOf("jump acl_out_subnet_1", StringComparison.Ordinal));
        Assert.Equal(["ip saddr 10.0.1.0/24 ip daddr { 10.9.0.0/16 } return", "drop"], Lines(Chain(text, "peer_out_pcx_1")));
        Assert.Equal(["ip daddr 10.0.1.0/24 ip saddr { 10.9.0.0/16 } return", "drop"], Lines(Chain(text, "peer_in_pcx_1")));
    }

    [Fact]
    public async Task Nft_accepts_the_nat_and_peering_ruleset()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var text = FirewallRuleset.Compile(Routed(), "10.0.0.2");
        var result = await RunAsync("unshare", ["--net", "nft", "-c", "-f", "-"], text);
        Assert.True(result.Code == 0, result.Error + "\n" + text);
    }

    private static async Task<(int Code, string Error)> RunAsync(string file, string[] args, string input)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, error);
    }
}
