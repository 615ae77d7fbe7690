namespace Stratus.Domain.Vpc.FlowLogs;

/// <summary>Where a VPC's packet filter counted a packet.</summary>
public enum FlowVerdict
{
    /// <summary>Passed the filter (security groups and network ACLs of both ends).</summary>
    Accepted,

    /// <summary>Dropped by the source side's rules: its interface's outbound security group rules or its subnet's outbound ACL entries.</summary>
    RejectedLeaving,

    /// <summary>Dropped by the destination side's rules: its interface's inbound security group rules or its subnet's inbound ACL entries.</summary>
    RejectedArriving,
}

/// <summary>
/// A cumulative counter of the packet filter: packets and bytes of one direction of a flow
/// (addresses, protocol number, ports; ports are 0 for protocols without them) with one verdict.
/// </summary>
public sealed record FlowCounter(FlowVerdict Verdict, string Source, string Destination, int Protocol, int SourcePort, int DestinationPort, long Packets, long Bytes)
{
    internal (FlowVerdict, string, string, int, int, int) Key => (Verdict, Source, Destination, Protocol, SourcePort, DestinationPort);
}

/// <summary>A network interface a flow log watches: its ids and where it is.</summary>
public sealed record FlowInterface(string InterfaceId, string VpcId, string SubnetId, string? InstanceId);

/// <summary>
/// Turns successive readings of the filter's cumulative counters into increments: a counter
/// that went down (the filter's table was replaced, or the entry expired and came back) counts
/// from zero again.
/// </summary>
public sealed class FlowCounterDeltas
{
    private Dictionary<(FlowVerdict, string, string, int, int, int), (long Packets, long Bytes)> _last = [];

    /// <summary>The increments since the previous reading (only counters that moved).</summary>
    public IReadOnlyList<FlowCounter> Next(IReadOnlyList<FlowCounter> reading)
    {
        ArgumentNullException.ThrowIfNull(reading);
        var next = new Dictionary<(FlowVerdict, string, string, int, int, int), (long, long)>(reading.Count);
        var deltas = new List<FlowCounter>();
        foreach (var c in reading)
        {
            var key = c.Key;
            var delta = _last.TryGetValue(key, out var previous) && c.Packets >= previous.Packets && c.Bytes >= previous.Bytes
                ? c with { Packets = c.Packets - previous.Packets, Bytes = c.Bytes - previous.Bytes }
                : c;
            if (delta.Packets > 0)
            {
                deltas.Add(delta);
            }
            next[key] = (c.Packets, c.Bytes);
        }
        _last = next;
        return deltas;
    }
}

/// <summary>
/// Which interfaces a counted packet shows up on, with what action and direction, as VPC Flow
/// Logs records it: an accepted packet on the sending interface (egress) and on the receiving
/// one (ingress); a packet dropped by the sender's outbound rules as REJECT on the sender only; a
/// packet dropped by the receiver's inbound rules as REJECT on the receiver and ACCEPT on the
/// sender (it left the sender).
/// </summary>
public static class FlowAttribution
{
    public static IEnumerable<(FlowInterface Interface, FlowAction Action, bool Egress)> Of(FlowCounter counter, Func<string, FlowInterface?> owner)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(owner);
        var source = owner(counter.Source);
        var destination = owner(counter.Destination);
        switch (counter.Verdict)
        {
            case FlowVerdict.Accepted:
                if (source is not null)
                {
                    yield return (source, FlowAction.Accept, true);
                }
                if (destination is not null && destination != source)
                {
                    yield return (destination, FlowAction.Accept, false);
                }
                break;
            case FlowVerdict.RejectedLeaving:
                if (source is not null)
                {
                    yield return (source, FlowAction.Reject, true);
                }
                break;
            case FlowVerdict.RejectedArriving:
                if (source is not null && source != destination)
                {
                    yield return (source, FlowAction.Accept, true);
                }
                if (destination is not null)
                {
                    yield return (destination, FlowAction.Reject, false);
                }
                break;
        }
    }
}

/// <summary>
/// The records of one flow log's current aggregation interval: one per interface, direction of a
/// flow and action, adding up packets and bytes, with the first and last time the flow was seen.
/// </summary>
public sealed class FlowAggregator
{
    private sealed class Tally
    {
        public required FlowInterface Interface { get; init; }
        public required bool Egress { get; init; }
        public long Packets { get; set; }
        public long Bytes { get; set; }
        public long Start { get; set; }
        public long End { get; set; }
    }

    private readonly Dictionary<(string, string, string, int, int, int, FlowAction), Tally> _tallies = [];

    /// <summary>Records waiting for the end of the interval.</summary>
    public int Count => _tallies.Count;

    /// <summary>
    /// Adds an increment seen between <paramref name="seenFrom"/> and <paramref name="seenTo"/>
    /// (Unix seconds: the previous and the current reading of the counters).
    /// </summary>
    public void Add(FlowInterface eni, FlowCounter delta, FlowAction action, bool egress, long seenFrom, long seenTo)
    {
        ArgumentNullException.ThrowIfNull(eni);
        ArgumentNullException.ThrowIfNull(delta);
        var key = (eni.InterfaceId, delta.Source, delta.Destination, delta.Protocol, delta.SourcePort, delta.DestinationPort, action);
        if (!_tallies.TryGetValue(key, out var tally))
        {
            _tallies[key] = tally = new Tally { Interface = eni, Egress = egress, Start = seenFrom, End = seenTo };
        }
        tally.Packets += delta.Packets;
        tally.Bytes += delta.Bytes;
        tally.Start = Math.Min(tally.Start, seenFrom);
        tally.End = Math.Max(tally.End, seenTo);
    }

    /// <summary>The interval's records, by interface then start time, and a fresh interval.</summary>
    public List<FlowRecord> Drain(string accountId, string region)
    {
        var records = _tallies
            .Select(t => new FlowRecord(accountId, region, t.Key.Item1, t.Value.Interface.VpcId, t.Value.Interface.SubnetId, t.Value.Interface.InstanceId,
                t.Key.Item2, t.Key.Item3, t.Key.Item4, t.Key.Item5, t.Key.Item6, t.Value.Packets, t.Value.Bytes, t.Value.Start, t.Value.End, t.Key.Item7, t.Value.Egress))
            .OrderBy(r => r.InterfaceId, StringComparer.Ordinal).ThenBy(r => r.Start).ThenBy(r => r.Source, StringComparer.Ordinal)
            .ToList();
        _tallies.Clear();
        return records;
    }
}
