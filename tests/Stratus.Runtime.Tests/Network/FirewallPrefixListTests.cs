using System.Diagnostics;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>Prefix lists and VPC Block Public Access in the compiled nftables text.</summary>
public sealed class FirewallPrefixListTests
{
    private static readonly FirewallAclEntry[] AllowAll =
    [
        new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
    ];

    private static VpcFirewall Sample(bool isPublic = true, bool ingressBlocked = false) => new(
        "123456789012", "us-east-1", "vpc-1",
        ["10.0.0.0/16"],
        [new FirewallInterface("eni-a", "subnet-1", ["10.0.1.10"], ["sg-a"])],
        new Dictionary<string, IReadOnlyList<EffectiveRule>>
        {
            ["sg-a"] =
            [
                new("sgr-1", false, 6, 8080, 8080, null, null, PeerKind.PrefixList, "pl-0123456789abcdef0", null),
                new("sgr-2", true, 17, 53, 53, null, null, PeerKind.PrefixList, "pl-0000000000000000e", null),
                new("sgr-3", false, 6, 22, 22, null, null, PeerKind.PrefixList, "pl-00000000000000006", null),
            ],
        },
        new Dictionary<string, IReadOnlyList<string>>(),
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["pl-0123456789abcdef0"] = ["100.64.0.0/10", "192.0.2.0/24"],
            ["pl-0000000000000000e"] = [],
        },
        [new FirewallSubnet("subnet-1", "10.0.1.0/24", isPublic, "acl-1", AllowAll) { PublicIngressBlocked = ingressBlocked }]);

    private static string Block(string text, string header)
    {
        var start = text.IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {header} in\n{text}");
        return text[start..text.IndexOf("\n\t}", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void A_prefix_list_rule_matches_a_set_of_the_lists_blocks()
    {
        var text = FirewallRuleset.Compile(Sample(), "10.0.0.2");
        var set = Block(text, "\tset pl_pl_0123456789abcdef0 {");
        Assert.Contains("flags interval", set);
        Assert.Contains("elements = { 100.64.0.0/10, 192.0.2.0/24 }", set);
        Assert.Contains("ip saddr @pl_pl_0123456789abcdef0 tcp dport 8080 accept", Block(text, "\tchain grp_in_sg_a {"));
        Assert.Contains("ip daddr @pl_pl_0000000000000000e udp dport 53 goto sg_ingress", Block(text, "\tchain grp_out_sg_a {"));
        // An empty list (or one not read) is an empty set: its rules match nothing.
        Assert.DoesNotContain("elements", Block(text, "\tset pl_pl_0000000000000000e {"));
        Assert.DoesNotContain("elements", Block(text, "\tset pl_pl_00000000000000006 {"));
    }

    [Fact]
    public void Block_public_access_ingress_drops_new_flows_from_outside_but_lets_flows_out()
    {
        var forward = Block(FirewallRuleset.Compile(Sample(ingressBlocked: true), "10.0.0.2"), "\tchain forward {");
        Assert.Contains("iifname \"up0\" ip daddr 10.0.1.0/24 ct status dnat drop", forward);
        Assert.DoesNotContain("oifname \"up0\" ip saddr 10.0.1.0/24 ct direction original drop", forward);
        var open = Block(FirewallRuleset.Compile(Sample(), "10.0.0.2"), "\tchain forward {");
        Assert.DoesNotContain("ip daddr 10.0.1.0/24 ct status dnat drop", open);
    }

    [Fact]
    public async Task Nft_accepts_prefix_list_sets()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var text = FirewallRuleset.Compile(Sample(ingressBlocked: true), "10.0.0.2");
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
