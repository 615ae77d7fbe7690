using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// Flows from guests to load balancer nodes, which the VPC's namespace itself answers (its input
/// chain), and from the nodes to their targets (sockets of the server in the namespace bound to a
/// node's address: its output chain).
/// </summary>
public sealed class LoadBalancerNodeFirewallTests
{
    private static readonly FirewallAclEntry[] OpenAcl =
    [
        new(100, false, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
    ];

    private static EffectiveRule Rule(bool egress, int? protocol, string peer, int? from = null, int? to = null) =>
        new("sgr-" + Guid.NewGuid().ToString("N")[..17], egress, protocol, from, to, null, null, PeerKind.CidrIpv4, peer, null);

    private static EffectiveRule GroupRule(bool egress, int? protocol, string group, int? from = null, int? to = null) =>
        new("sgr-" + Guid.NewGuid().ToString("N")[..17], egress, protocol, from, to, null, null, PeerKind.Group, group, null);

    /// <summary>A guest (eni-web), an ALB node with group sg-alb (port 80 from the VPC) and an NLB node without groups.</summary>
    private static VpcFirewall WithNodes() => new(
        "123456789012", "us-east-1", "vpc-1",
        ["10.0.0.0/16"],
        [
            new FirewallInterface("eni-web", "subnet-1", ["10.0.1.10"], ["sg-web"]),
            new FirewallInterface("eni-alb", "subnet-1", ["10.0.1.4"], ["sg-alb"]) { LoadBalancerNode = true },
            new FirewallInterface("eni-nlb", "subnet-1", ["10.0.1.5"], []) { LoadBalancerNode = true },
        ],
        new Dictionary<string, IReadOnlyList<EffectiveRule>>
        {
            ["sg-web"] = [Rule(true, null, "0.0.0.0/0"), GroupRule(false, 6, "sg-alb", 80, 80)],
            ["sg-alb"] = [Rule(false, 6, "10.0.0.0/16", 80, 80), Rule(true, null, "0.0.0.0/0")],
        },
        new Dictionary<string, IReadOnlyList<string>> { ["sg-alb"] = ["10.0.1.4"] },
        new Dictionary<string, IReadOnlyList<string>>(),
        [new FirewallSubnet("subnet-1", "10.0.1.0/24", true, "acl-1", OpenAcl)]);

    private static string Chain(string text, string name)
    {
        var start = text.IndexOf($"\tchain {name} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chain {name} in\n{text}");
        return text[start..text.IndexOf("\n\t}", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Flows_to_a_node_pass_the_senders_egress_then_the_nodes_groups()
    {
        var text = FirewallRuleset.Compile(WithNodes(), "10.0.0.2");
        Assert.Contains("set lb_nodes {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.1.4, 10.0.1.5 }\n\t}", text);
        var input = Chain(text, "input");
        Assert.Contains("iifname \"br0\" ip daddr @lb_nodes ip saddr vmap @eni_egress", input);
        // The ALB node's groups decide; the NLB node without groups is not in the ingress map (sg_ingress accepts).
        Assert.Contains("10.0.1.4 : jump sg_in_eni_alb", text);
        Assert.DoesNotContain("10.0.1.5 : jump sg_in_eni_nlb", text);
        Assert.Contains("jump grp_in_sg_alb", Chain(text, "sg_in_eni_alb"));
    }

    [Fact]
    public void Without_nodes_the_set_is_empty_and_nothing_new_is_admitted()
    {
        var firewall = WithNodes();
        var plain = firewall with { Interfaces = firewall.Interfaces.Where(i => !i.LoadBalancerNode).ToList() };
        var text = FirewallRuleset.Compile(plain, "10.0.0.2");
        Assert.Contains("set lb_nodes {\n\t\ttype ipv4_addr\n\t}", text);
        Assert.Contains("policy drop", Chain(text, "input"));
    }

    [Fact]
    public void A_nodes_connections_to_targets_pass_its_groups_egress_then_the_targets_ingress()
    {
        var text = FirewallRuleset.Compile(WithNodes(), "10.0.0.2");
        var output = Chain(text, "output");
        Assert.Contains("type filter hook output priority filter; policy accept;", output);
        Assert.Contains("ct state established,related accept", output);
        Assert.Contains("ip saddr vmap @lb_egress", output);
        // The ALB node: its groups' outbound rules, which go on to the target's inbound rules; the NLB
        // node without groups: straight to the target's inbound rules. Guests are not in the map.
        Assert.Contains("map lb_egress {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 10.0.1.4 : jump sg_out_eni_alb, 10.0.1.5 : goto sg_ingress }\n\t}", text);
        Assert.Contains("goto sg_ingress", Chain(text, "grp_out_sg_alb"));
        // The web group admits port 80 from the ALB's group: the set of its members' addresses (the node's).
        Assert.Contains("set g_sg_alb {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.1.4 }\n\t}", text);
        Assert.Contains("ip saddr @g_sg_alb tcp dport 80 accept", Chain(text, "grp_in_sg_web"));
        Assert.Contains("10.0.1.10 : jump sg_in_eni_web", text);
    }

    [Fact]
    public async Task Nft_accepts_the_ruleset_with_nodes()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("nft -c needs root and nftables (scripts/install-deps.sh)");
        }
        var text = FirewallRuleset.Compile(WithNodes(), "10.0.0.2");
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
