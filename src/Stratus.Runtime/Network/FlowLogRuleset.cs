using System.Globalization;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Vpc.FlowLogs;

namespace Stratus.Runtime.Network;

/// <summary>
/// How the VPC's packet filter (<see cref="FirewallRuleset"/>) counts traffic for VPC Flow Logs,
/// when a flow log watches the VPC: dynamic nftables sets whose elements are flows (source,
/// destination, protocol and, for TCP and UDP, ports) each with its own packet and byte counter.
/// <list type="bullet">
/// <item><c>fl_acc</c>: a base chain on the forward hook after the filter (priority filter + 10)
/// sees exactly the packets the filter accepted (a drop ends a packet's path, an accept goes on to
/// the next base chain), and counts them.</item>
/// <item><c>fl_rout</c> / <c>fl_rin</c>: the filter's drops by security groups and network ACLs go
/// to <c>fl_rej_out</c> (the source side's outbound rules) or <c>fl_rej_in</c> (the destination
/// side's inbound rules), which count the packet, then drop it.</item>
/// </list>
/// Each set has a <c>_np</c> twin keyed without ports for protocols that have none. Counting is
/// done by the kernel on the packet path; nothing is copied to user space per packet. Stratus
/// reads the sets (<c>nft -j list table</c>) every few seconds and works out increments
/// (<see cref="FlowCounterDeltas"/>). Elements idle for ten minutes expire; replacing the table
/// (a rule change) starts the counters again from zero, which the reader takes as a new count.
/// </summary>
public static class FlowLogRuleset
{
    /// <summary>The verdict of a packet the source side's rules drop.</summary>
    public const string RejectLeaving = "goto fl_rej_out";

    /// <summary>The verdict of a packet the destination side's rules drop.</summary>
    public const string RejectArriving = "goto fl_rej_in";

    private static readonly (string Set, FlowVerdict Verdict)[] Sets =
    [
        ("fl_acc", FlowVerdict.Accepted), ("fl_rout", FlowVerdict.RejectedLeaving), ("fl_rin", FlowVerdict.RejectedArriving),
    ];

    /// <summary>The counting sets.</summary>
    public static void AppendSets(StringBuilder s)
    {
        ArgumentNullException.ThrowIfNull(s);
        foreach (var (set, _) in Sets)
        {
            s.Append(CultureInfo.InvariantCulture, $"\tset {set} {{\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service\n\t\tflags dynamic,timeout\n\t\ttimeout 10m\n\t\tsize 65536\n\t\tcounter\n\t}}\n");
            s.Append(CultureInfo.InvariantCulture, $"\tset {set}_np {{\n\t\ttype ipv4_addr . ipv4_addr . inet_proto\n\t\tflags dynamic,timeout\n\t\ttimeout 10m\n\t\tsize 65536\n\t\tcounter\n\t}}\n");
        }
    }

    /// <summary>The chains that count rejected packets (then drop them) and accepted ones (after the filter).</summary>
    public static void AppendChains(StringBuilder s)
    {
        ArgumentNullException.ThrowIfNull(s);
        s.Append("\tchain fl_rej_out {\n");
        AppendUpdate(s, "fl_rout", "drop");
        s.Append("\t}\n\tchain fl_rej_in {\n");
        AppendUpdate(s, "fl_rin", "drop");
        s.Append("\t}\n\tchain fl_accepted {\n\t\ttype filter hook forward priority filter + 10; policy accept;\n");
        // Instance metadata is not recorded, as on AWS.
        s.Append("\t\tct original ip daddr 169.254.169.254 return\n");
        AppendUpdate(s, "fl_acc", "return");
        s.Append("\t}\n");
    }

    private static void AppendUpdate(StringBuilder s, string set, string verdict)
    {
        s.Append(CultureInfo.InvariantCulture, $"\t\tmeta l4proto {{ tcp, udp }} update @{set} {{ ip saddr . ip daddr . meta l4proto . th sport . th dport }} {verdict}\n");
        s.Append(CultureInfo.InvariantCulture, $"\t\tupdate @{set}_np {{ ip saddr . ip daddr . meta l4proto }} {verdict}\n");
    }

    /// <summary>The counters in the JSON of <c>nft -j list table ip stratus_fw</c> (empty when the table has no counting sets).</summary>
    public static List<FlowCounter> ParseCounters(string json)
    {
        var counters = new List<FlowCounter>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return counters;
        }
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("nftables", out var items))
        {
            return counters;
        }
        foreach (var item in items.EnumerateArray())
        {
            if (!item.TryGetProperty("set", out var set) || !set.TryGetProperty("elem", out var elements)
                || set.GetProperty("name").GetString() is not { } name)
            {
                continue;
            }
            var verdict = Array.Find(Sets, x => x.Set == name || x.Set + "_np" == name);
            if (verdict.Set is null)
            {
                continue;
            }
            foreach (var element in elements.EnumerateArray())
            {
                if (!element.TryGetProperty("elem", out var elem) || !elem.TryGetProperty("val", out var val)
                    || !val.TryGetProperty("concat", out var concat) || !elem.TryGetProperty("counter", out var counter))
                {
                    continue;
                }
                var parts = concat.EnumerateArray().ToList();
                if (parts.Count < 3)
                {
                    continue;
                }
                counters.Add(new FlowCounter(verdict.Verdict, parts[0].GetString()!, parts[1].GetString()!, Protocol(parts[2]),
                    parts.Count > 3 ? parts[3].GetInt32() : 0, parts.Count > 4 ? parts[4].GetInt32() : 0,
                    counter.GetProperty("packets").GetInt64(), counter.GetProperty("bytes").GetInt64()));
            }
        }
        return counters;
    }

    /// <summary>nft prints well-known protocols by name (<c>tcp</c>), others by number.</summary>
    private static int Protocol(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.GetInt32();
        }
        var name = value.GetString();
        return name switch
        {
            "icmp" => 1,
            "igmp" => 2,
            "ipip" => 4,
            "tcp" => 6,
            "egp" => 8,
            "udp" => 17,
            "ipv6" => 41,
            "gre" => 47,
            "esp" => 50,
            "ah" => 51,
            "ipv6-icmp" or "icmpv6" => 58,
            "ospf" => 89,
            "pim" => 103,
            "vrrp" => 112,
            "l2tp" => 115,
            "sctp" => 132,
            "dccp" => 33,
            "udplite" => 136,
            _ => int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0,
        };
    }
}
