using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.Ipv6;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>What a changed filter loads: only the chains whose rules changed, or whole tables (pure; one case loads both into nft).</summary>
public sealed class RulesetDeltaTests
{
    private static readonly FirewallAclEntry[] OpenAcl =
    [
        new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
    ];

    private static EffectiveRule Rule(string id, bool egress, int? protocol, string peer, int? from = null, int? to = null, PeerKind kind = PeerKind.CidrIpv4) =>
        new(id, egress, protocol, from, to, null, null, kind, peer, null);

    /// <summary>
    /// <paramref name="guests"/> interfaces, all in sg-ssh and sg-bulk (55 inbound rules); sg-web on the
    /// first, with <paramref name="web"/> as its inbound rules.
    /// </summary>
    private static VpcFirewall Vpc(int guests, params EffectiveRule[] web) => new(
        "123456789012", "us-east-1", "vpc-1", ["10.0.0.0/16"],
        [.. Enumerable.Range(0, guests).Select(i => new FirewallInterface($"eni-{i}", "subnet-1", [$"10.0.1.{10 + i}"], i == 0 ? ["sg-web", "sg-ssh", "sg-bulk"] : ["sg-ssh", "sg-bulk"]))],
        new Dictionary<string, IReadOnlyList<EffectiveRule>>
        {
            ["sg-web"] = [.. web, Rule("sgr-web-out", true, null, "0.0.0.0/0")],
            ["sg-ssh"] = [Rule("sgr-ssh", false, 6, "0.0.0.0/0", 22, 22), Rule("sgr-ssh-out", true, null, "0.0.0.0/0"), Rule("sgr-ref", false, 6, "sg-ssh", 7000, 7000, PeerKind.Group)],
            ["sg-bulk"] = [.. Enumerable.Range(0, 55).Select(i => Rule($"sgr-b{i:D2}", false, 6, $"10.9.{i}.0/24", 10000 + i, 10000 + i))],
        },
        new Dictionary<string, IReadOnlyList<string>> { ["sg-ssh"] = [.. Enumerable.Range(0, guests).Select(i => $"10.0.1.{10 + i}")] },
        new Dictionary<string, IReadOnlyList<string>>(),
        [new FirewallSubnet("subnet-1", "10.0.1.0/24", true, "acl-1", OpenAcl)]);

    private static string Text(VpcFirewall firewall) => FirewallRuleset.Compile(firewall, "10.0.0.2") + Ipv6Ruleset.Compile(firewall);

    private static readonly EffectiveRule Http = Rule("sgr-http", false, 6, "0.0.0.0/0", 8080, 8080);

    [Fact]
    public void A_rule_added_to_a_group_rewrites_only_that_groups_chain()
    {
        var before = Text(Vpc(50));
        var after = Text(Vpc(50, Http));
        var delta = RulesetDelta.Between(before, after);
        Assert.Equal(
            "flush chain ip stratus_fw grp_in_sg_web\n"
            + "table ip stratus_fw {\n\tchain grp_in_sg_web {\n\t\ttcp dport 8080 accept\n\t}\n}\n",
            delta);
    }

    [Fact]
    public void The_patch_does_not_grow_with_the_guests()
    {
        var small = RulesetDelta.Between(Text(Vpc(5, Http)), Text(Vpc(5)));
        var large = RulesetDelta.Between(Text(Vpc(200, Http)), Text(Vpc(200)));
        Assert.Equal(small, large);
        Assert.Equal("flush chain ip stratus_fw grp_in_sg_web\ntable ip stratus_fw {\n\tchain grp_in_sg_web {\n\t}\n}\n", large);
    }

    [Fact]
    public void A_changed_set_map_or_chain_list_replaces_the_table()
    {
        // A new guest: the interface maps, the member set and the chain list change.
        var grown = Text(Vpc(3));
        Assert.Same(grown, RulesetDelta.Between(Text(Vpc(2)), grown));
        // A rule that refers to a prefix list adds a set.
        var listed = Text(Vpc(2, Rule("sgr-pl", false, 6, "pl-1", 443, 443, PeerKind.PrefixList)));
        Assert.Same(listed, RulesetDelta.Between(Text(Vpc(2)), listed));
    }

    [Fact]
    public void Unknown_or_equal_texts()
    {
        var text = Text(Vpc(2));
        Assert.Same(text, RulesetDelta.Between(null, text));
        Assert.Equal("", RulesetDelta.Between(text, text));
        Assert.Same(text, RulesetDelta.Between("table ip other\n", text));
    }

    [Fact]
    public void A_base_chain_whose_hook_changes_is_not_patched()
    {
        var before = "table ip t\ndelete table ip t\ntable ip t {\n\tchain c {\n\t\ttype filter hook forward priority filter; policy drop;\n\t\taccept\n\t}\n}\n";
        var after = before.Replace("policy drop", "policy accept", StringComparison.Ordinal).Replace("\t\taccept\n", "\t\tdrop\n", StringComparison.Ordinal);
        Assert.Same(after, RulesetDelta.Between(before, after));
        // Same hook, other rules: flushed and filled again, base chain declaration included.
        var rules = before.Replace("\t\taccept\n", "\t\tdrop\n", StringComparison.Ordinal);
        Assert.Equal("flush chain ip t c\ntable ip t {\n\tchain c {\n\t\ttype filter hook forward priority filter; policy drop;\n\t\tdrop\n\t}\n}\n", RulesetDelta.Between(before, rules));
    }

    [Fact]
    public void The_ipv6_table_is_patched_on_its_own()
    {
        static VpcFirewall WithIpv6(VpcFirewall f, params EffectiveRule[] web) => (f with
        {
            GroupRules = new Dictionary<string, IReadOnlyList<EffectiveRule>>(f.GroupRules) { ["sg-web"] = [.. web, Rule("sgr-web-out", true, null, "0.0.0.0/0")] },
        }) with
        {
            Ipv6 = new FirewallIpv6(["2600:1f18::/56"], [new FirewallIpv6Subnet("subnet-1", "10.0.1.0/24", "2600:1f18::/64", [])],
                [new FirewallIpv6Interface("eni-0", "subnet-1", ["2600:1f18::10"])], new Dictionary<string, IReadOnlyList<string>> { ["sg-ssh"] = ["2600:1f18::10"] }),
        };
        var v6Rule = Rule("sgr-v6", false, 6, "::/0", 443, 443, PeerKind.CidrIpv6);
        var before = Text(WithIpv6(Vpc(3)));
        var after = Text(WithIpv6(Vpc(3), v6Rule));
        var delta = RulesetDelta.Between(before, after);
        // An IPv6 peer never matches IPv4: only the IPv6 table's chain changes.
        Assert.StartsWith("flush chain ip6 stratus_fw6 grp6_in_sg_web\ntable ip6 stratus_fw6 {\n\tchain grp6_in_sg_web {\n", delta);
        Assert.DoesNotContain("delete table", delta);
        Assert.DoesNotContain("ip stratus_fw", delta);
        Assert.Contains("tcp dport 443 accept", delta);
        // An IPv4 rule beside it: both tables' chains.
        var both = RulesetDelta.Between(before, Text(WithIpv6(Vpc(3), v6Rule, Http)));
        Assert.StartsWith("flush chain ip stratus_fw grp_in_sg_web\n", both);
        Assert.Contains("flush chain ip6 stratus_fw6 grp6_in_sg_web\n", both);
    }

    [Fact]
    public async Task Nft_loads_the_patch_onto_the_whole_table()
    {
        if (Environment.UserName != "root")
        {
            Assert.Fail("loading the tables needs root and nftables (scripts/install-deps.sh)");
        }
        var before = Text(Vpc(20));
        var after = Text(Vpc(20, Http));
        var delta = RulesetDelta.Between(before, after);
        Assert.NotSame(after, delta);
        // A throwaway network namespace: the whole table, then the patch, then what nft holds of the patched chain.
        var dir = Directory.CreateTempSubdirectory("stratus-delta-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "before.nft"), before);
            await File.WriteAllTextAsync(Path.Combine(dir, "delta.nft"), delta);
            // And back: the group's inbound chain empty again.
            await File.WriteAllTextAsync(Path.Combine(dir, "back.nft"), RulesetDelta.Between(after, before));
            var result = await HostCommand.TryAsync("unshare", ["--net", "sh", "-c",
                $"nft -f {dir}/before.nft && nft -f {dir}/delta.nft && nft list chain ip stratus_fw grp_in_sg_web && nft list chain ip stratus_fw grp_in_sg_bulk | grep -c accept"
                + $" && nft -f {dir}/back.nft && echo back && nft list chain ip stratus_fw grp_in_sg_web"]);
            Assert.True(result.Succeeded, result.StandardError + "\n" + delta);
            var (patched, reverted) = (result.StandardOutput.Split("back\n")[0], result.StandardOutput.Split("back\n")[1]);
            Assert.Contains("tcp dport 8080 accept", patched);
            Assert.EndsWith("55\n", patched);
            Assert.DoesNotContain("accept", reverted);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
