using System.Text;

namespace Stratus.Runtime.Network;

/// <summary>
/// The smallest <c>nft -f</c> text that turns the tables of one compiled packet filter into those of
/// the next (pure: text in, text out). Both texts are as <see cref="FirewallRuleset.Compile"/> and
/// <see cref="Ipv6Ruleset.Compile"/> write them: per table <c>table F N</c>, <c>delete table F N</c>,
/// then (unless the table is only removed) <c>table F N {</c>, its sets, maps and chains as blocks
/// opened by a tab-indented <c>kind name {</c> line and closed by a tab-indented <c>}</c>, and <c>}</c>.
/// <para>
/// A table whose sets, maps, chain names and base-chain hooks are the same in both keeps everything
/// but the chains whose rules changed: each is flushed and filled again (<c>flush chain</c>, then the
/// chain's block), all in the one transaction <c>nft -f</c> makes of its input, so packets see the
/// old chain or the new one, never a mix. A security-group rule change thus rewrites that group's two
/// chains, whatever the number of interfaces; set contents (group members, flow-log counters) are left
/// alone. Any other difference replaces the whole table, as the compiled text does. Connection
/// tracking lives outside the tables either way: flows already accepted go on.
/// </para>
/// </summary>
internal static class RulesetDelta
{
    /// <summary>One table of a compiled text: its header (family and name), its blocks in order, and its whole text.</summary>
    private sealed record Table(string Header, IReadOnlyList<Block> Blocks, string Text);

    /// <summary>A set, map, counter or chain: <c>kind name</c>, its declaration lines (chain type and hook) and its whole text.</summary>
    private sealed record Block(string Key, string Declaration, string Text)
    {
        public bool IsChain => Key.StartsWith("chain ", StringComparison.Ordinal);
    }

    /// <summary>
    /// The text to hand <c>nft -f</c> to go from <paramref name="applied"/> (what the namespace holds;
    /// null when unknown) to <paramref name="wanted"/>: empty when they are the same, <paramref name="wanted"/>
    /// itself when no table can be patched, otherwise only the changed chains (and whole tables where needed).
    /// </summary>
    public static string Between(string? applied, string wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        if (applied == wanted)
        {
            return "";
        }
        if (applied is null || Parse(applied) is not { } before || Parse(wanted) is not { } after)
        {
            return wanted;
        }
        var old = before.ToDictionary(t => t.Header, StringComparer.Ordinal);
        var s = new StringBuilder();
        var patched = false;
        foreach (var table in after)
        {
            if (old.TryGetValue(table.Header, out var previous) && Patch(previous, table) is { } patch)
            {
                s.Append(patch);
                patched |= patch.Length > 0;
            }
            else
            {
                s.Append(table.Text);
            }
        }
        // Nothing patched: the changed tables are replaced whole, and so may the others be (the whole text is what the compilers wrote).
        // A table the old text had and the new one does not name stays as it is (the compiled texts always name the same tables).
        return patched ? s.ToString() : wanted;
    }

    /// <summary>The changed chains of <paramref name="next"/> as flush-and-refill text, or null when the table must be replaced.</summary>
    private static string? Patch(Table previous, Table next)
    {
        if (previous.Text == next.Text)
        {
            return "";
        }
        if (previous.Blocks.Count != next.Blocks.Count || previous.Blocks.Count == 0)
        {
            return null;
        }
        var (family, name) = Split(next.Header);
        var flush = new StringBuilder();
        var refill = new StringBuilder();
        for (var i = 0; i < next.Blocks.Count; i++)
        {
            var (was, now) = (previous.Blocks[i], next.Blocks[i]);
            if (was.Key != now.Key || was.Declaration != now.Declaration || (!now.IsChain && was.Text != now.Text))
            {
                return null;
            }
            if (was.Text != now.Text)
            {
                flush.Append("flush chain ").Append(family).Append(' ').Append(name).Append(' ').Append(now.Key["chain ".Length..]).Append('\n');
                refill.Append(now.Text);
            }
        }
        return refill.Length == 0 ? "" : flush.Append("table ").Append(family).Append(' ').Append(name).Append(" {\n").Append(refill).Append("}\n").ToString();
    }

    private static (string Family, string Name) Split(string header)
    {
        var parts = header.Split(' ');
        return (parts[0], parts[1]);
    }

    /// <summary>The tables of a compiled text, or null when it is not laid out as the compilers write it.</summary>
    private static List<Table>? Parse(string text)
    {
        var lines = text.Split('\n');
        var tables = new List<Table>();
        var i = 0;
        while (i < lines.Length && lines[i].Length > 0)
        {
            // table F N / delete table F N [/ table F N { … }]
            var start = i;
            var first = lines[i].Split(' ');
            if (first.Length != 3 || first[0] != "table" || i + 1 >= lines.Length || lines[i + 1] != "delete " + lines[i])
            {
                return null;
            }
            var header = first[1] + " " + first[2];
            i += 2;
            var blocks = new List<Block>();
            if (i < lines.Length && lines[i] == $"table {header} {{")
            {
                i++;
                while (i < lines.Length && lines[i] != "}")
                {
                    var open = lines[i];
                    if (!open.StartsWith('\t') || open.StartsWith("\t\t", StringComparison.Ordinal) || !open.EndsWith(" {", StringComparison.Ordinal))
                    {
                        return null;
                    }
                    var body = new StringBuilder(open).Append('\n');
                    var declaration = new StringBuilder();
                    i++;
                    while (i < lines.Length && lines[i] != "\t}")
                    {
                        if (!lines[i].StartsWith("\t\t", StringComparison.Ordinal))
                        {
                            return null;
                        }
                        if (lines[i].StartsWith("\t\ttype ", StringComparison.Ordinal))
                        {
                            declaration.Append(lines[i]).Append('\n');
                        }
                        body.Append(lines[i]).Append('\n');
                        i++;
                    }
                    if (i >= lines.Length)
                    {
                        return null;
                    }
                    body.Append("\t}\n");
                    blocks.Add(new Block(open.Trim()[..^2], declaration.ToString(), body.ToString()));
                    i++;
                }
                if (i >= lines.Length)
                {
                    return null;
                }
                i++;
            }
            tables.Add(new Table(header, blocks, string.Join('\n', lines[start..i]) + "\n"));
        }
        return i == lines.Length - 1 && lines[i].Length == 0 ? tables : null;
    }
}
