using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// The host settings several Stratus servers share (parallel test workers, several data
/// directories on one host): the first claim records the original values, and only the last
/// release writes them back. Runs on files standing in for /proc/sys, in a temporary directory.
/// </summary>
public sealed class HostSysctlsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stratus-sysctl-test-").FullName;
    private readonly string _forward;
    private readonly string _rpFilter;
    private readonly HostSysctls _sysctls;

    public HostSysctlsTests()
    {
        _forward = Path.Combine(_root, "ip_forward");
        _rpFilter = Path.Combine(_root, "rp_filter");
        _sysctls = new HostSysctls(Path.Combine(_root, "state"), Path.Combine(_root, "state.lock"),
        [
            (_forward, current => current == "1" ? null : "1"),
            (_rpFilter, current => current == "1" ? "2" : null),
        ]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (string Forward, string RpFilter) Values() => (File.ReadAllText(_forward).Trim(), File.ReadAllText(_rpFilter).Trim());

    [Fact]
    public async Task The_last_of_several_servers_to_leave_restores_the_originals()
    {
        File.WriteAllText(_forward, "0");
        File.WriteAllText(_rpFilter, "1");

        await _sysctls.ClaimAsync("stratus_aaaa", _ => { }, CancellationToken.None);
        Assert.Equal(("1", "2"), Values());
        await _sysctls.ClaimAsync("stratus_bbbb", _ => { }, CancellationToken.None);
        Assert.Equal(("1", "2"), Values());

        // The first server stops while the second still forwards for its guests: nothing changes.
        await _sysctls.ReleaseAsync("stratus_aaaa", _ => { });
        Assert.Equal(("1", "2"), Values());

        await _sysctls.ReleaseAsync("stratus_bbbb", _ => { });
        Assert.Equal(("0", "1"), Values());
    }

    [Fact]
    public async Task A_later_claim_never_records_the_changed_value_as_the_original()
    {
        File.WriteAllText(_forward, "0");
        File.WriteAllText(_rpFilter, "1");
        await _sysctls.ClaimAsync("stratus_aaaa", _ => { }, CancellationToken.None);
        await _sysctls.ClaimAsync("stratus_bbbb", _ => { }, CancellationToken.None);
        // A server claims again for a later VPC (each VPC's set-up claims).
        await _sysctls.ClaimAsync("stratus_aaaa", _ => { }, CancellationToken.None);

        await _sysctls.ReleaseAsync("stratus_bbbb", _ => { });
        await _sysctls.ReleaseAsync("stratus_aaaa", _ => { });
        Assert.Equal(("0", "1"), Values());
    }

    [Fact]
    public async Task Values_already_as_needed_are_left_alone()
    {
        File.WriteAllText(_forward, "1");
        File.WriteAllText(_rpFilter, "0");
        var log = new List<string>();
        await _sysctls.ClaimAsync("stratus_aaaa", log.Add, CancellationToken.None);
        await _sysctls.ReleaseAsync("stratus_aaaa", log.Add);
        Assert.Equal(("1", "0"), Values());
        Assert.Empty(log);
    }

    [Fact]
    public async Task Concurrent_claims_and_releases_of_many_servers_end_with_the_originals()
    {
        File.WriteAllText(_forward, "0");
        File.WriteAllText(_rpFilter, "1");
        var users = Enumerable.Range(0, 8).Select(i => $"stratus_{i:x8}").ToList();
        await Task.WhenAll(users.Select(u => Task.Run(() => _sysctls.ClaimAsync(u, _ => { }, CancellationToken.None))));
        Assert.Equal(("1", "2"), Values());
        await Task.WhenAll(users.Skip(1).Select(u => Task.Run(() => _sysctls.ReleaseAsync(u, _ => { }))));
        Assert.Equal(("1", "2"), Values());
        await _sysctls.ReleaseAsync(users[0], _ => { });
        Assert.Equal(("0", "1"), Values());
    }
}
