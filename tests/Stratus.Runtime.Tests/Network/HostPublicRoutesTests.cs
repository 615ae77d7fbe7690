using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// Two Stratus servers on one host that handed out the same public address (each draws its own at
/// random): the one that routes it last is told about the other, and when it gives the address up
/// the other's route is the one to put back, so that guest does not stay unreachable. Runs on a
/// temporary directory, with the set of existing uplinks standing in for the host's devices.
/// </summary>
public sealed class HostPublicRoutesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-public-routes-test-").FullName;
    private readonly HashSet<string> _links = new(StringComparer.Ordinal) { "sxh-aaaa", "sxh-bbbb", "sxh-cccc" };
    private readonly HostPublicRoutes _routes;

    public HostPublicRoutesTests() =>
        _routes = new HostPublicRoutes(Path.Combine(_root, "claims"), Path.Combine(_root, "claims.lock"), _links.Contains);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task An_address_of_one_server_only_has_no_conflict_and_nothing_to_hand_on()
    {
        Assert.Empty(await _routes.ClaimAsync("198.18.1.53", "stratus_a.stx-1", "sxh-aaaa", "100.64.0.2", CancellationToken.None));
        // Claimed again on every sync of the VPC: still no conflict.
        Assert.Empty(await _routes.ClaimAsync("198.18.1.53", "stratus_a.stx-1", "sxh-aaaa", "100.64.0.2", CancellationToken.None));
        Assert.Null(await _routes.ReleaseAsync("198.18.1.53", "stratus_a.stx-1"));
        Assert.Empty(_routes.Owners("198.18.1.53"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "claims")));
    }

    [Fact]
    public async Task The_later_server_hears_of_the_earlier_and_hands_the_route_back_when_it_lets_go()
    {
        Assert.Empty(await _routes.ClaimAsync("198.18.1.53", "stratus_a.stx-1", "sxh-aaaa", "100.64.0.2", CancellationToken.None));
        await Task.Delay(20); // claims are ordered by when they were written
        var others = await _routes.ClaimAsync("198.18.1.53", "stratus_b.stx-2", "sxh-bbbb", "100.64.0.6", CancellationToken.None);
        Assert.Equal([new HostPublicRoutes.Claim("stratus_a.stx-1", "sxh-aaaa", "100.64.0.2")], others);

        // The second server's guest goes: the first one's route comes back.
        Assert.Equal(new HostPublicRoutes.Claim("stratus_a.stx-1", "sxh-aaaa", "100.64.0.2"), await _routes.ReleaseAsync("198.18.1.53", "stratus_b.stx-2"));
        Assert.Equal(["stratus_a.stx-1"], _routes.Owners("198.18.1.53"));
        Assert.Null(await _routes.ReleaseAsync("198.18.1.53", "stratus_a.stx-1"));
    }

    [Fact]
    public async Task The_route_goes_to_the_most_recent_remaining_claim()
    {
        await _routes.ClaimAsync("198.18.7.7", "stratus_a.stx-1", "sxh-aaaa", "100.64.0.2", CancellationToken.None);
        await Task.Delay(20);
        await _routes.ClaimAsync("198.18.7.7", "stratus_b.stx-2", "sxh-bbbb", "100.64.0.6", CancellationToken.None);
        await Task.Delay(20);
        await _routes.ClaimAsync("198.18.7.7", "stratus_c.stx-3", "sxh-cccc", "100.64.0.10", CancellationToken.None);
        Assert.Equal("stratus_b.stx-2", (await _routes.ReleaseAsync("198.18.7.7", "stratus_c.stx-3"))?.Owner);
        // A server that left without releasing (killed; its uplink gone) is no candidate and its claim is dropped.
        _links.Remove("sxh-aaaa");
        Assert.Null(await _routes.ReleaseAsync("198.18.7.7", "stratus_b.stx-2"));
        Assert.Empty(_routes.Owners("198.18.7.7"));
    }

    [Fact]
    public async Task Releasing_what_was_never_claimed_changes_nothing()
    {
        Assert.Null(await _routes.ReleaseAsync("198.18.9.9", "stratus_a.stx-1"));
        await _routes.ClaimAsync("198.18.9.9", "stratus_b.stx-2", "sxh-bbbb", "100.64.0.6", CancellationToken.None);
        Assert.Equal("stratus_b.stx-2", (await _routes.ReleaseAsync("198.18.9.9", "stratus_a.stx-1"))?.Owner);
        Assert.Equal(["stratus_b.stx-2"], _routes.Owners("198.18.9.9"));
    }
}
