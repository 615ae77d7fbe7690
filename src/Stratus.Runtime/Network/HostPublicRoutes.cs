namespace Stratus.Runtime.Network;

/// <summary>
/// Which Stratus servers on this host route which public addresses. Each server draws its public
/// addresses at random from the region's block of 198.18.0.0/15 in its own store, so two servers on
/// one host (several data directories, parallel test runs) may hand out the same address; the host
/// has one <c>/32</c> route for it, to whichever server's VPC uplink set it last. Each server records
/// the addresses it routes, as <c>&lt;directory&gt;/&lt;address&gt;/&lt;owner&gt;</c> holding its uplink device and next hop.
/// A server that takes an address another live server routes learns so (<see cref="ClaimAsync"/>:
/// it logs the conflict). A server that gives an address up (its guest stopped, its VPC removed)
/// learns which other server's route should take its place (<see cref="ReleaseAsync"/>), so the
/// other guest is not left without a route once the first one is gone. Claims whose uplink no
/// longer exists (a server that crashed or was killed) are dropped as they are found.
/// </summary>
/// <param name="directory">Where the claims are recorded.</param>
/// <param name="lockPath">The file lock that serialises claims and releases.</param>
/// <param name="linkExists">Whether a host network device exists (a claim on a missing uplink is stale).</param>
internal sealed class HostPublicRoutes(string directory, string lockPath, Func<string, bool> linkExists)
{
    /// <summary>The host's claims, under <c>/run/stratus-public-routes</c>.</summary>
    public static readonly HostPublicRoutes Host = new("/run/stratus-public-routes", "/run/stratus-public-routes.lock",
        device => Directory.Exists(Path.Combine("/sys/class/net", device)));

    /// <summary>One server's route for an address: its uplink device and the next hop (its VPC namespace's end).</summary>
    internal sealed record Claim(string Owner, string Device, string Via);

    /// <summary>
    /// Records that <paramref name="owner"/> routes <paramref name="address"/> to <paramref name="device"/>
    /// via <paramref name="via"/>; returns the other live servers' claims on it (empty: no conflict).
    /// </summary>
    public async Task<IReadOnlyList<Claim>> ClaimAsync(string address, string owner, string device, string via, CancellationToken cancellationToken)
    {
        using (await HostLock.AcquireAsync(lockPath, cancellationToken).ConfigureAwait(false))
        {
            var claims = Directory.CreateDirectory(AddressDirectory(address)).FullName;
            await File.WriteAllTextAsync(Path.Combine(claims, owner), $"{device} {via}\n", cancellationToken).ConfigureAwait(false);
            return LiveClaims(address).Where(c => c.Owner != owner).ToList();
        }
    }

    /// <summary>
    /// <paramref name="owner"/> no longer routes <paramref name="address"/>: its claim goes, and the
    /// most recent other live claim (whose route the host should have now) is returned, or null.
    /// </summary>
    public async Task<Claim?> ReleaseAsync(string address, string owner)
    {
        using (await HostLock.AcquireAsync(lockPath, CancellationToken.None).ConfigureAwait(false))
        {
            var claims = AddressDirectory(address);
            if (!Directory.Exists(claims))
            {
                return null;
            }
            File.Delete(Path.Combine(claims, owner));
            var live = LiveClaims(address);
            if (live.Count == 0)
            {
                try
                {
                    Directory.Delete(claims);
                }
                catch (IOException)
                {
                    // Claimed again meanwhile by a process that does not take the lock: keep it.
                }
                return null;
            }
            return live[^1];
        }
    }

    /// <summary>The owners that claim <paramref name="address"/> now (for tests and diagnostics).</summary>
    internal IReadOnlyList<string> Owners(string address) =>
        Directory.Exists(AddressDirectory(address)) ? [.. Directory.EnumerateFiles(AddressDirectory(address)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];

    private string AddressDirectory(string address) => Path.Combine(directory, Ipv4.Format(Ipv4.Parse(address)));

    /// <summary>The claims on <paramref name="address"/> whose uplink exists, oldest first; the others are deleted.</summary>
    private List<Claim> LiveClaims(string address)
    {
        var live = new List<(DateTime Written, Claim Claim)>();
        foreach (var file in Directory.EnumerateFiles(AddressDirectory(address)))
        {
            string[] parts;
            DateTime written;
            try
            {
                parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                written = File.GetLastWriteTimeUtc(file);
            }
            catch (IOException)
            {
                continue;
            }
            if (parts.Length == 2 && linkExists(parts[0]))
            {
                live.Add((written, new Claim(Path.GetFileName(file), parts[0], parts[1])));
            }
            else
            {
                File.Delete(file);
            }
        }
        return [.. live.OrderBy(c => c.Written).ThenBy(c => c.Claim.Owner, StringComparer.Ordinal).Select(c => c.Claim)];
    }
}
