using System.Diagnostics;
using Stratus.Domain.Firewall;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.FlowLogs;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// The packet filter's flow counting for VPC Flow Logs: the compiled text, and real counters read
/// back from nftables (in a throwaway network namespace; needs root and nftables, fails without).
/// </summary>
public sealed class FlowLogRulesetTests
{
    private static readonly FirewallAclEntry[] Acl =
    [
        new(100, false, false, "6", "0.0.0.0/0", 22, 22, null, null),
        new(200, false, true, "-1", "0.0.0.0/0", null, null, null, null),
        new(100, true, true, "-1", "0.0.0.0/0", null, null, null, null),
    ];

    private static VpcFirewall Firewall(bool flowLogged) => new(
        "123456789012", "us-east-1", "vpc-1", ["10.0.0.0/16"],
        [new FirewallInterface("eni-a", "subnet-1", ["10.0.1.10"], ["sg-a"])],
        new Dictionary<string, IReadOnlyList<EffectiveRule>>
        {
            ["sg-a"] = [new("sgr-1", false, 6, 8080, 8080, null, null, PeerKind.CidrIpv4, "10.0.0.0/16", null), new("sgr-2", true, null, null, null, null, null, PeerKind.CidrIpv4, "0.0.0.0/0", null)],
        },
        new Dictionary<string, IReadOnlyList<string>>(),
        new Dictionary<string, IReadOnlyList<string>>(),
        [new FirewallSubnet("subnet-1", "10.0.1.0/24", true, "acl-1", Acl)])
    { FlowLogged = flowLogged };

    [Fact]
    public void Without_a_flow_log_nothing_is_counted()
    {
        var text = FirewallRuleset.Compile(Firewall(false), "10.0.0.2");
        Assert.DoesNotContain("fl_", text, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_flow_log_drops_are_counted_and_accepted_packets_counted_after_the_filter()
    {
        var text = FirewallRuleset.Compile(Firewall(true), "10.0.0.2");
        Assert.Contains("set fl_acc {", text, StringComparison.Ordinal);
        Assert.Contains("set fl_rin_np {", text, StringComparison.Ordinal);
        Assert.Contains("type filter hook forward priority filter + 10; policy accept;", text, StringComparison.Ordinal);
        // Security groups: nothing matching → counted as rejected on the side whose rules said no.
        Assert.Contains("\tchain sg_in_eni_a {\n\t\tjump grp_in_sg_a\n\t\tgoto fl_rej_in\n", text, StringComparison.Ordinal);
        Assert.Contains("\tchain sg_out_eni_a {\n\t\tjump grp_out_sg_a\n\t\tgoto fl_rej_out\n", text, StringComparison.Ordinal);
        // Network ACLs: deny entries and the final '*' entry.
        Assert.Contains("tcp dport 22 goto fl_rej_in comment \"100\"", text, StringComparison.Ordinal);
        Assert.Contains("\t\tgoto fl_rej_out\n\t}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\t\tdrop\n\t}\n\tchain sg_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nft_accepts_the_counting_ruleset()
    {
        RequireRoot();
        var result = await RunAsync("unshare", ["--net", "nft", "-c", "-f", "-"], FirewallRuleset.Compile(Firewall(true), "10.0.0.2"));
        Assert.True(result.Code == 0, result.Error);
    }

    [Fact]
    public async Task Counters_of_real_packets_are_read_back_per_flow_and_verdict()
    {
        RequireRoot();
        var s = new System.Text.StringBuilder();
        s.Append("table ip stratus_fw {\n");
        FlowLogRuleset.AppendSets(s);
        FlowLogRuleset.AppendChains(s);
        // Loopback traffic stands in for guests: TCP to port 9 is dropped by "the source's rules",
        // UDP to port 9 by "the destination's", ICMP-less protocols use the portless sets.
        s.Append("\tchain out {\n\t\ttype filter hook output priority filter; policy accept;\n");
        s.Append("\t\ttcp dport 9 goto fl_rej_out\n\t\tudp dport 9 goto fl_rej_in\n\t}\n}\n");
        var script = "ip link set lo up && nft -f /dev/stdin && "
            + "({ echo one; echo two; } > /dev/udp/127.0.0.1/9; timeout 1.5 bash -c 'echo > /dev/tcp/127.0.0.1/9' || true) && "
            + "nft -j list table ip stratus_fw";
        var result = await RunAsync("unshare", ["--net", "bash", "-c", script], s.ToString());
        Assert.True(result.Code == 0, result.Error);
        var counters = FlowLogRuleset.ParseCounters(result.Output);
        var udp = Assert.Single(counters, c => c.Protocol == 17);
        Assert.Equal((FlowVerdict.RejectedArriving, "127.0.0.1", "127.0.0.1", 9, 2L), (udp.Verdict, udp.Source, udp.Destination, udp.DestinationPort, udp.Packets));
        Assert.Equal(2 * (20 + 8 + 4), udp.Bytes);
        var tcp = Assert.Single(counters, c => c.Protocol == 6);
        Assert.Equal(FlowVerdict.RejectedLeaving, tcp.Verdict);
        Assert.True(tcp.Packets >= 1 && tcp.SourcePort > 1024, tcp.ToString());
        // Increments: a second reading of the same counters moved nothing.
        var deltas = new FlowCounterDeltas();
        Assert.Equal(2, deltas.Next(counters).Count);
        Assert.Empty(deltas.Next(counters));
    }

    [Fact]
    public void Protocols_nft_prints_by_name_or_number_are_read_as_numbers()
    {
        const string json = """
            {"nftables": [{"set": {"family": "ip", "name": "fl_acc_np", "table": "stratus_fw", "elem": [
              {"elem": {"val": {"concat": ["10.0.1.11", "10.0.1.10", "icmp"]}, "counter": {"packets": 4, "bytes": 336}}},
              {"elem": {"val": {"concat": ["10.0.1.11", "10.0.1.10", 47]}, "counter": {"packets": 1, "bytes": 100}}}]}},
              {"set": {"family": "ip", "name": "g_sg_1", "table": "stratus_fw", "elem": ["10.0.1.10"]}}]}
            """;
        var counters = FlowLogRuleset.ParseCounters(json);
        Assert.Equal(new[] { (1, 4L), (47, 1L) }, counters.Select(c => (c.Protocol, c.Packets)).ToArray());
        Assert.All(counters, c => Assert.Equal((FlowVerdict.Accepted, 0, 0), (c.Verdict, c.SourcePort, c.DestinationPort)));
        Assert.Empty(FlowLogRuleset.ParseCounters(""));
    }

    private static void RequireRoot()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft"))
        {
            Assert.Fail("flow counting tests need root and nftables (scripts/install-deps.sh)");
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string file, string[] args, string input)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, error);
    }
}
