using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Stratus.Domain.Firewall;

namespace Stratus.Runtime.Network;

/// <summary>One BGP session of a Connect peer as a bird configuration names it.</summary>
/// <param name="Protocol">The bird protocol's name.</param>
/// <param name="ConnectPeerId">The Connect peer.</param>
/// <param name="GatewayAddress">The gateway's inside address the session runs from.</param>
/// <param name="Table">The bird table of the peer's Connect attachment (where its learned routes land).</param>
internal sealed record BirdSession(string Protocol, string ConnectPeerId, string GatewayAddress, string Table);

/// <summary>A Connect attachment as its gateway's BGP speaker serves it: its peers (with a tunnel here) and the IPv4 routes it advertises to them.</summary>
internal sealed record BirdConnect(string AttachmentId, IReadOnlyList<TransitGatewayHostConnectPeer> Peers, IReadOnlyList<string> Advertised);

/// <summary>
/// A transit gateway's BGP speaker: Debian's <c>bird</c> (BIRD 2) configured from the gateway's
/// Connect peers and driven over its control socket (the line protocol <c>birdc</c> speaks: each
/// reply line starts with a four-digit code, <c>-</c> when more lines follow, a space on the last;
/// codes 0xxx end a reply, 8xxx and 9xxx are errors). Per Connect attachment a table
/// <c>t_&lt;hex&gt;</c> holds a static protocol <c>s_&lt;hex&gt;</c> with the routes the
/// attachment's route table advertises (blackholes in bird: bird installs nothing in the kernel,
/// the host's routing comes from the store) and what its peers announce; per Connect peer two
/// sessions, from the gateway's two inside addresses to the peer's, as AWS has them. The two
/// sessions share the peer's address, and bird locks a neighbour by address and interface: the
/// first session names no interface and the second names the tunnel, so both can run.
/// </summary>
internal static class BirdControl
{
    /// <summary>The name of the table of a Connect attachment.</summary>
    public static string Table(string attachmentId) => "t_" + LinuxHostNetwork.Hex8(attachmentId);

    /// <summary>The names of a Connect peer's two sessions (from the inside block's second address, then its third).</summary>
    public static (string First, string Second) Sessions(string connectPeerId)
    {
        var hex = LinuxHostNetwork.Hex8(connectPeerId);
        return ("p_" + hex + "_a", "p_" + hex + "_b");
    }

    /// <summary>The sessions <see cref="Config"/> makes for <paramref name="connects"/>.</summary>
    public static IReadOnlyList<BirdSession> SessionsOf(IEnumerable<BirdConnect> connects) =>
        connects.SelectMany(c => c.Peers.SelectMany(p =>
        {
            var (first, second) = Sessions(p.ConnectPeerId);
            return new[] { new BirdSession(first, p.ConnectPeerId, p.InsideAddress, Table(c.AttachmentId)), new BirdSession(second, p.ConnectPeerId, p.SecondInsideAddress, Table(c.AttachmentId)) };
        })).ToList();

    /// <summary>The configuration of a gateway's speaker.</summary>
    public static string Config(string routerId, IReadOnlyList<BirdConnect> connects, string? logPath)
    {
        ArgumentNullException.ThrowIfNull(connects);
        var s = new StringBuilder();
        s.Append("# Written by Stratus: the transit gateway's BGP speaker for its Connect peers.\n");
        if (logPath is not null)
        {
            s.Append(CultureInfo.InvariantCulture, $"log \"{logPath}\" {{ info, warning, error, fatal, bug }};\n");
        }
        s.Append(CultureInfo.InvariantCulture, $"router id {routerId};\n");
        s.Append("protocol device { scan time 10; }\n");
        foreach (var connect in connects.OrderBy(c => c.AttachmentId, StringComparer.Ordinal))
        {
            var table = Table(connect.AttachmentId);
            var statics = "s_" + LinuxHostNetwork.Hex8(connect.AttachmentId);
            s.Append(CultureInfo.InvariantCulture, $"\n# {connect.AttachmentId}\nipv4 table {table};\n");
            s.Append(CultureInfo.InvariantCulture, $"protocol static {statics} {{\n  ipv4 {{ table {table}; }};\n");
            foreach (var route in connect.Advertised.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                s.Append(CultureInfo.InvariantCulture, $"  route {route} blackhole;\n");
            }
            s.Append("}\n");
            foreach (var peer in connect.Peers.OrderBy(p => p.ConnectPeerId, StringComparer.Ordinal))
            {
                var (first, second) = Sessions(peer.ConnectPeerId);
                foreach (var (name, local, iface) in new[] { (first, peer.InsideAddress, (string?)null), (second, peer.SecondInsideAddress, LinuxHostNetwork.GreDevice(peer.ConnectPeerId)) })
                {
                    s.Append(CultureInfo.InvariantCulture, $"protocol bgp {name} {{\n  description \"{peer.ConnectPeerId}\";\n");
                    s.Append(CultureInfo.InvariantCulture, $"  local {local} as {peer.TransitGatewayAsn};\n  neighbor {peer.PeerInsideAddress} as {peer.PeerAsn};\n");
                    s.Append(CultureInfo.InvariantCulture, $"  source address {local};\n  direct;\n");
                    if (iface is not null)
                    {
                        s.Append(CultureInfo.InvariantCulture, $"  interface \"{iface}\";\n");
                    }
                    s.Append("  hold time 30;\n  keepalive time 10;\n  connect delay time 1;\n  connect retry time 5;\n  error wait time 1, 30;\n");
                    s.Append(CultureInfo.InvariantCulture, $"  ipv4 {{\n    table {table};\n    import where net.type = NET_IP4;\n    export where proto = \"{statics}\";\n    next hop self;\n  }};\n}}\n");
                }
            }
        }
        return s.ToString();
    }

    /// <summary>The protocols of a <c>show protocols</c> reply that are established BGP sessions.</summary>
    public static IReadOnlySet<string> Established(IReadOnlyList<string> reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var up = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in reply)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 6 && fields[1] == "BGP" && fields[3] == "up" && fields.Contains("Established"))
            {
                up.Add(fields[0]);
            }
        }
        return up;
    }

    /// <summary>The unicast routes of a <c>show route</c> reply, as (prefix, protocol) pairs (an alternative route's line carries no prefix: it is the previous one's).</summary>
    public static IReadOnlyList<(string Prefix, string Protocol)> Routes(IReadOnlyList<string> reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var routes = new List<(string, string)>();
        string? prefix = null;
        foreach (var line in reply)
        {
            if (line.Length == 0 || line.StartsWith("Table ", StringComparison.Ordinal) || line[0] == '\t')
            {
                continue;
            }
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }
            var i = 0;
            if (!char.IsWhiteSpace(line[0]))
            {
                prefix = fields[0];
                i = 1;
            }
            if (prefix is null || fields.Length < i + 2 || fields[i] != "unicast" || !fields[i + 1].StartsWith('['))
            {
                continue;
            }
            routes.Add((prefix, fields[i + 1][1..]));
        }
        return routes;
    }

    /// <summary>
    /// Sends <paramref name="command"/> over the control socket <paramref name="socketPath"/> and
    /// returns the reply's lines without their codes. Throws <see cref="IOException"/> on an error reply.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CommandAsync(string socketPath, string command, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            _ = await ReadReplyAsync(reader, timeout.Token).ConfigureAwait(false); // the greeting
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\n"), timeout.Token).ConfigureAwait(false);
            return await ReadReplyAsync(reader, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"bird control socket {socketPath}: {e.Message}", e);
        }
    }

    private static async Task<IReadOnlyList<string>> ReadReplyAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("bird closed its control socket");
            if (line.Length >= 5 && char.IsAsciiDigit(line[0]) && char.IsAsciiDigit(line[3]) && line[4] is ' ' or '-')
            {
                lines.Add(line[5..]);
                if (line[4] == ' ' && line[0] is '0' or '8' or '9')
                {
                    if (line[0] != '0')
                    {
                        throw new IOException("bird: " + string.Join(" / ", lines));
                    }
                    return lines;
                }
            }
            else
            {
                lines.Add(line.StartsWith(' ') ? line[1..] : line);
            }
        }
    }
}
