using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Domain.Firewall;
using Stratus.Domain.Vpc.TransitGateways;

namespace Stratus.Runtime.Network;

/// <summary>
/// The transit gateways' BGP speakers: per gateway namespace with Connect peer tunnels, one
/// <c>bird</c> (see <see cref="BirdControl"/>) started in the namespace, configured from the
/// gateway's Connect peers and the routes their attachments' route tables advertise, reloaded
/// (<c>configure</c> over its control socket) when they change and stopped (by the PID it wrote)
/// when the gateway's last Connect peer here goes, with the namespace, and on shutdown. Its files
/// live under <c>&lt;state&gt;/network/bird/</c>; a speaker an earlier run left is taken up again.
/// </summary>
public sealed partial class LinuxHostNetwork
{
    /// <summary>The speakers this process drives, by gateway namespace.</summary>
    private readonly Dictionary<string, BirdSpeaker> _birds = new(StringComparer.Ordinal);

    private sealed record BirdSpeaker(string GatewayKey, string SocketPath, IReadOnlyList<BirdSession> Sessions);

    private string BirdDirectory => Path.Combine(_options.NetworkDirectory, "bird");

    private string BirdConfigPath(string ns) => Path.Combine(BirdDirectory, ns + ".conf");

    private string BirdPidPath(string ns) => Path.Combine(BirdDirectory, ns + ".pid");

    /// <summary>The control socket: beside the configuration, or under /run when that path is too long for a socket address.</summary>
    private string BirdSocketPath(string ns)
    {
        var path = Path.Combine(BirdDirectory, ns + ".ctl");
        return Encoding.UTF8.GetByteCount(path) < 100 ? path : Path.Combine("/run", $"stratus-{GuardTable}-{ns}.ctl");
    }

    /// <summary>The routes a Connect attachment advertises: its route table's IPv4 routes to other attachments (not the blackholes, not what it propagates itself).</summary>
    internal static IReadOnlyList<string> AdvertisedRoutes(TransitGatewayHostView view, TransitGatewayHostAttachment connect)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(connect);
        var table = view.RouteTables.FirstOrDefault(t => t.RouteTableId == connect.RouteTableId);
        return table is null
            ? []
            : table.Routes.Where(r => r.AttachmentId is { } target && target != connect.AttachmentId && !r.DestinationCidr.Contains(':', StringComparison.Ordinal))
                .Select(r => r.DestinationCidr)
                .ToList();
    }

    /// <summary>A router id for a gateway's speaker, from its key (stable, and not an address of the gateway's peers).</summary>
    internal static string BirdRouterId(string gatewayKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(gatewayKey));
        return string.Create(CultureInfo.InvariantCulture, $"{(hash[0] % 223) + 1}.{hash[1]}.{hash[2]}.{Math.Max((int)hash[3], 1)}");
    }

    /// <summary>Starts, reconfigures or stops the speaker of the gateway namespace <paramref name="ns"/> for <paramref name="connects"/> (none: stopped).</summary>
    private async Task SyncBirdAsync(string ns, string gatewayKey, List<BirdConnect> connects, CancellationToken cancellationToken)
    {
        if (connects.Count == 0 || connects.All(c => c.Peers.Count == 0))
        {
            await StopBirdAsync(ns).ConfigureAwait(false);
            return;
        }
        Directory.CreateDirectory(BirdDirectory);
        var config = BirdConfigPath(ns);
        var socket = BirdSocketPath(ns);
        var changed = WriteIfChanged(config, BirdControl.Config(BirdRouterId(gatewayKey), connects, Path.Combine(BirdDirectory, ns + ".log")));
        if (BirdPid(ns) is null)
        {
            if (File.Exists(socket))
            {
                File.Delete(socket);
            }
            await HostCommand.RunAsync("ip", ["netns", "exec", ns, "bird", "-c", config, "-s", socket, "-P", BirdPidPath(ns)], cancellationToken: cancellationToken).ConfigureAwait(false);
            _log($"network: BGP speaker of {gatewayKey} started in {ns}");
        }
        else if (changed)
        {
            await BirdControl.CommandAsync(socket, "configure", cancellationToken).ConfigureAwait(false);
        }
        lock (_birds)
        {
            _birds[ns] = new BirdSpeaker(gatewayKey, socket, BirdControl.SessionsOf(connects));
        }
    }

    /// <summary>Stops the speakers of namespaces not in <paramref name="keep"/>.</summary>
    private async Task StopOtherBirdsAsync(HashSet<string> keep)
    {
        List<string> others;
        lock (_birds)
        {
            others = _birds.Keys.Where(ns => !keep.Contains(ns)).ToList();
        }
        // Also those an earlier run left (their namespace's configuration is on disk).
        if (Directory.Exists(BirdDirectory))
        {
            others.AddRange(Directory.EnumerateFiles(BirdDirectory, "*.conf").Select(f => Path.GetFileNameWithoutExtension(f)!).Where(ns => !keep.Contains(ns)));
        }
        foreach (var ns in others.Distinct(StringComparer.Ordinal))
        {
            await StopBirdAsync(ns).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the speaker of <paramref name="ns"/> (by the PID it recorded, once it is checked to be ours) and removes its files.</summary>
    private async Task StopBirdAsync(string ns)
    {
        lock (_birds)
        {
            _birds.Remove(ns);
        }
        if (BirdPid(ns) is { } pid)
        {
            await StopProcessAsync(pid).ConfigureAwait(false);
            _log($"network: BGP speaker in {ns} stopped");
        }
        foreach (var path in new[] { BirdConfigPath(ns), BirdPidPath(ns), BirdSocketPath(ns), Path.Combine(BirdDirectory, ns + ".log") })
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>The PID of the namespace's running speaker (this run's or an earlier run's), or null.</summary>
    private int? BirdPid(string ns)
    {
        var pidFile = BirdPidPath(ns);
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains(BirdConfigPath(ns), StringComparison.Ordinal) && IsAlive(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ConnectPeerBgpState>> ReadConnectPeerBgpAsync(CancellationToken cancellationToken)
    {
        List<BirdSpeaker> speakers;
        lock (_birds)
        {
            speakers = [.. _birds.Values];
        }
        var states = new List<ConnectPeerBgpState>();
        foreach (var speaker in speakers)
        {
            var parts = speaker.GatewayKey.Split('/');
            IReadOnlySet<string> established;
            var learned = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            try
            {
                established = BirdControl.Established(await BirdControl.CommandAsync(speaker.SocketPath, "show protocols", cancellationToken).ConfigureAwait(false));
                foreach (var table in speaker.Sessions.Select(s => s.Table).Distinct(StringComparer.Ordinal))
                {
                    foreach (var (prefix, protocol) in BirdControl.Routes(await BirdControl.CommandAsync(speaker.SocketPath, "show route table " + table, cancellationToken).ConfigureAwait(false)))
                    {
                        (learned.TryGetValue(protocol, out var set) ? set : learned[protocol] = new HashSet<string>(StringComparer.Ordinal)).Add(prefix);
                    }
                }
            }
            catch (IOException e)
            {
                _debug?.Invoke($"network: reading the BGP speaker of {speaker.GatewayKey}: {e.Message}");
                established = new HashSet<string>();
            }
            foreach (var peer in speaker.Sessions.GroupBy(s => s.ConnectPeerId, StringComparer.Ordinal))
            {
                var up = peer.Where(s => established.Contains(s.Protocol)).Select(s => s.GatewayAddress).ToList();
                var routes = peer.Where(s => established.Contains(s.Protocol)).SelectMany(s => learned.GetValueOrDefault(s.Protocol) ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                states.Add(new ConnectPeerBgpState(parts[0], parts[1], peer.Key, up, routes));
            }
        }
        return states;
    }
}
