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

    [Fact]
    public async Task Ipv6_forwarding_keeps_router_advertisements_and_is_undone_in_reverse_order()
    {
        var conf = Path.Combine(_root, "conf");
        void Set(string device, string name, string value)
        {
            Directory.CreateDirectory(Path.Combine(conf, device));
            File.WriteAllText(Path.Combine(conf, device, name), value);
        }
        string Get(string device, string name) => File.ReadAllText(Path.Combine(conf, device, name)).Trim();
        foreach (var device in new[] { "all", "default", "lo", "eth0", "eth1" })
        {
            Set(device, "forwarding", "0");
            Set(device, "accept_ra", "1");
        }
        Set("eth1", "forwarding", "1");
        Set("eth1", "accept_ra", "0");
        var sysctls = new HostSysctls(Path.Combine(_root, "state6"), Path.Combine(_root, "state6.lock"), () => HostSysctls.Ipv6Settings(conf));

        await sysctls.ClaimAsync("stratus_aaaa", _ => { }, CancellationToken.None);
        Assert.Equal(("1", "2", "0", "1"), (Get("all", "forwarding"), Get("eth0", "accept_ra"), Get("eth1", "accept_ra"), Get("lo", "accept_ra")));
        Assert.Equal("1", Get("default", "accept_ra"));
        // The kernel sets every interface's forwarding with all/forwarding.
        Set("eth0", "forwarding", "1");

        var log = new List<string>();
        await sysctls.ReleaseAsync("stratus_aaaa", log.Add);
        Assert.Equal(("0", "1", "0", "1"), (Get("all", "forwarding"), Get("eth0", "accept_ra"), Get("eth1", "accept_ra"), Get("lo", "accept_ra")));
        // all/forwarding first (which resets the interfaces), then what the interfaces had of their own.
        Assert.StartsWith($"network: restored {Path.Combine(conf, "all", "forwarding")} to 0", log[0], StringComparison.Ordinal);
        Assert.Contains(log, l => l.StartsWith($"network: restored {Path.Combine(conf, "eth1", "forwarding")} to 1", StringComparison.Ordinal));
        Assert.True(log.FindIndex(l => l.Contains("eth1/forwarding", StringComparison.Ordinal)) > 0);

        // A host that forwards IPv6 already is left alone.
        Set("all", "forwarding", "1");
        await sysctls.ClaimAsync("stratus_bbbb", log.Add, CancellationToken.None);
        await sysctls.ReleaseAsync("stratus_bbbb", log.Add);
        Assert.Equal(("1", "1"), (Get("all", "forwarding"), Get("eth0", "accept_ra")));
    }
}
