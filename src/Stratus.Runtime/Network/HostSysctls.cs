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
/// <param name="settings">Each setting's file and the value it must have given its current one (null: leave it).</param>
internal sealed class HostSysctls(string directory, string lockPath, IReadOnlyList<(string Path, Func<string, string?> Wanted)> settings)
{
    /// <summary>The host's settings, recorded under <c>/run/stratus-sysctl</c>.</summary>
    public static readonly HostSysctls Host = new("/run/stratus-sysctl", "/run/stratus-sysctl.lock",
    [
        ("/proc/sys/net/ipv4/ip_forward", current => current == "1" ? null : "1"),
        ("/proc/sys/net/ipv4/conf/all/rp_filter", current => current == "1" ? "2" : null),
    ]);

    /// <summary>Registers <paramref name="user"/> and makes sure the settings are what VPC networking needs.</summary>
    public async Task ClaimAsync(string user, Action<string> log, CancellationToken cancellationToken)
    {
        using (await HostLock.AcquireAsync(lockPath, cancellationToken).ConfigureAwait(false))
        {
            Directory.CreateDirectory(Path.Combine(directory, "users"));
            await File.WriteAllTextAsync(Path.Combine(directory, "users", user), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            var originals = Path.Combine(directory, "original");
            foreach (var (path, wanted) in settings)
            {
                var current = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim();
                if (wanted(current) is not { } value)
                {
                    continue;
                }
                if (!File.ReadLines(EnsureFile(originals)).Any(l => l.StartsWith(path + "=", StringComparison.Ordinal)))
                {
                    await File.AppendAllTextAsync(originals, $"{path}={current}\n", cancellationToken).ConfigureAwait(false);
                }
                log($"network: setting {path} to {value} (was {current}; restored when Stratus shuts down)");
                await File.WriteAllTextAsync(path, value, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Unregisters <paramref name="user"/>; the last user restores the original values.</summary>
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
            foreach (var line in await File.ReadAllLinesAsync(originals).ConfigureAwait(false))
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
