using System.Globalization;

namespace Stratus.Runtime.Network;

/// <summary>
/// The only host-wide settings Stratus changes, and their restoration:
/// <c>net.ipv4.ip_forward=1</c> (guests reach other VPCs' public addresses through the host) and
/// <c>net.ipv4.conf.all.rp_filter</c> from strict (1) to loose (2) (strict filtering drops VPC
/// replies arriving on the uplinks). Each Stratus network on the host registers under
/// <c>/run/stratus-sysctl/users/</c>; the first one to change a value records the original in
/// <c>/run/stratus-sysctl/original</c>, and the last one to leave (its last VPC removed, or
/// Stratus shut down) writes the originals back. A crashed Stratus leaves its registration: the
/// values then stay until the next host boot or the next clean shutdown of that state directory.
/// Several Stratus servers on one host (parallel test workers, several data directories) each
/// register under their own name, so none restores a value another still needs.
/// </summary>
/// <param name="directory">Where users and original values are recorded.</param>
/// <param name="lockPath">The file lock that serialises claims and releases.</param>
/// <param name="settings">
/// Each setting's file and the value it must have given its current one (null: leave it), listed
/// when a claim runs (the host's interfaces may have changed since the last). Values are set in
/// this order and restored in the opposite one, so a setting that resets others (IPv6's
/// <c>all/forwarding</c>) comes last and is undone first.
/// </param>
internal sealed class HostSysctls(string directory, string lockPath, Func<IEnumerable<(string Path, Func<string, string?> Wanted)>> settings)
{
    /// <summary>A fixed list of settings.</summary>
    public HostSysctls(string directory, string lockPath, IReadOnlyList<(string Path, Func<string, string?> Wanted)> settings)
        : this(directory, lockPath, () => settings)
    {
    }

    /// <summary>The host's settings, recorded under <c>/run/stratus-sysctl</c>.</summary>
    public static readonly HostSysctls Host = new("/run/stratus-sysctl", "/run/stratus-sysctl.lock",
    [
        ("/proc/sys/net/ipv4/ip_forward", current => current == "1" ? null : "1"),
        ("/proc/sys/net/ipv4/conf/all/rp_filter", current => current == "1" ? "2" : null),
    ]);

    /// <summary>
    /// The host's IPv6 settings, claimed only while a VPC on the host has an IPv6 block (recorded under
    /// <c>/run/stratus-sysctl6</c>): <c>net.ipv6.conf.all.forwarding=1</c> (the host routes each VPC's
    /// IPv6 blocks to and from its uplink). Forwarding makes Linux ignore router advertisements on
    /// interfaces with <c>accept_ra=1</c>, which would let a host that configures itself by SLAAC lose
    /// its IPv6 default route; those interfaces get <c>accept_ra=2</c> (accept them while forwarding)
    /// first. Writing <c>all/forwarding</c> also resets every interface's own <c>forwarding</c>, so the
    /// interfaces (and <c>default</c>) that forwarded on their own are recorded as they were, and set
    /// back after <c>all/forwarding</c> is restored. Nothing is changed when the host forwards IPv6 already.
    /// </summary>
    public static readonly HostSysctls Ipv6 = new("/run/stratus-sysctl6", "/run/stratus-sysctl6.lock", () => Ipv6Settings("/proc/sys/net/ipv6/conf"));

    /// <summary>The IPv6 settings for the interfaces under <paramref name="conf"/> (a <c>/proc/sys/net/ipv6/conf</c>), see <see cref="Ipv6"/>.</summary>
    internal static IEnumerable<(string Path, Func<string, string?> Wanted)> Ipv6Settings(string conf)
    {
        var all = Path.Combine(conf, "all", "forwarding");
        if (!File.Exists(all) || File.ReadAllText(all).Trim() == "1")
        {
            return [];
        }
        var settings = new List<(string Path, Func<string, string?> Wanted)>();
        var devices = Directory.EnumerateDirectories(conf).Select(Path.GetFileName).OfType<string>()
            .Where(d => d is not ("all" or "lo")).Order(StringComparer.Ordinal).ToList();
        foreach (var device in devices)
        {
            // Kept as it is (recorded, so that it comes back after all/forwarding is restored).
            settings.Add((Path.Combine(conf, device, "forwarding"), current => current == "1" ? "1" : null));
        }
        foreach (var device in devices.Where(d => d != "default"))
        {
            settings.Add((Path.Combine(conf, device, "accept_ra"), current => current == "1" ? "2" : null));
        }
        settings.Add((all, current => current == "1" ? null : "1"));
        return settings;
    }

    /// <summary>Registers <paramref name="user"/> and makes sure the settings are what VPC networking needs.</summary>
    public async Task ClaimAsync(string user, Action<string> log, CancellationToken cancellationToken)
    {
        using (await HostLock.AcquireAsync(lockPath, cancellationToken).ConfigureAwait(false))
        {
            Directory.CreateDirectory(Path.Combine(directory, "users"));
            await File.WriteAllTextAsync(Path.Combine(directory, "users", user), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            var originals = Path.Combine(directory, "original");
            foreach (var (path, wanted) in settings())
            {
                string current;
                try
                {
                    current = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim();
                }
                catch (IOException)
                {
                    continue; // an interface that went away meanwhile
                }
                if (wanted(current) is not { } value)
                {
                    continue;
                }
                if (!File.ReadLines(EnsureFile(originals)).Any(l => l.StartsWith(path + "=", StringComparison.Ordinal)))
                {
                    await File.AppendAllTextAsync(originals, $"{path}={current}\n", cancellationToken).ConfigureAwait(false);
                }
                if (value != current)
                {
                    log($"network: setting {path} to {value} (was {current}; restored when Stratus shuts down)");
                    await File.WriteAllTextAsync(path, value, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Unregisters <paramref name="user"/>; the last user restores the original values (latest first).</summary>
    public async Task ReleaseAsync(string user, Action<string> log)
    {
        using (await HostLock.AcquireAsync(lockPath, CancellationToken.None).ConfigureAwait(false))
        {
            var users = Path.Combine(directory, "users");
            File.Delete(Path.Combine(users, user));
            if (Directory.Exists(users) && Directory.EnumerateFiles(users).Any())
            {
                return;
            }
            var originals = Path.Combine(directory, "original");
            if (!File.Exists(originals))
            {
                return;
            }
            foreach (var line in (await File.ReadAllLinesAsync(originals).ConfigureAwait(false)).Reverse())
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    continue;
                }
                try
                {
                    await File.WriteAllTextAsync(line[..eq], line[(eq + 1)..]).ConfigureAwait(false);
                    log($"network: restored {line[..eq]} to {line[(eq + 1)..]}");
                }
                catch (IOException e)
                {
                    log($"network: cannot restore {line}: {e.Message}");
                }
            }
            File.Delete(originals);
        }
    }

    private static string EnsureFile(string path)
    {
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "");
        }
        return path;
    }
}
