using Stratus.Domain.Instances;
using Xunit;
using Xunit.Abstractions;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// A secondary interface in the primary interface's subnet, configured the way the minimal image
/// configures a hot-plugged one in a microVM (guest/images/minimal: <c>stratus-nic</c>'s ARP
/// settings, then busybox udhcpc with <c>udhcpc.script</c> against the VPC's dnsmasq), behind the
/// VPC bridge's per-port anti-spoofing. Guests are namespaces; the script's commands are busybox's,
/// as in the image.
/// </summary>
public sealed class SecondaryInterfaceGuestTests(ITestOutputHelper output)
{
    private const string Account = "123456789012";

    [Fact]
    public async Task Another_guest_of_the_subnet_reaches_a_secondary_interface_configured_by_the_guest_dhcp_script()
    {
        await using var host = Net.StartHost();
        var network = host.Network;
        var guests = host.Guests;
        var state = host.StateDirectory;
        var octet = Net.RandomOctet();
        string vpcId = Net.VpcId(), cidr = $"10.{octet}.0.0/16", subnet = $"10.{octet}.16.0/20";
        var a = Net.NewGuest(guests);
        var b = Net.NewGuest(guests);
        var aId = Net.InstanceId();
        var primary = Net.Nic(vpcId, cidr, subnet, $"10.{octet}.16.10");
        await network.AttachVethAsync(Account, "us-east-1", aId, primary, "/run/netns/" + a, configureAddress: true, CancellationToken.None);
        await network.AttachVethAsync(Account, "us-east-1", Net.InstanceId(), Net.Nic(vpcId, cidr, subnet, $"10.{octet}.16.20"), "/run/netns/" + b, configureAddress: true, CancellationToken.None);

        // B still knows the address from an interface that had it before (AWS hands private addresses out again).
        var eni = Net.Nic(vpcId, cidr, subnet, $"10.{octet}.16.30");
        Assert.True(Net.Sh($"ip -n {b} neigh replace {eni.PrivateIp} lladdr 02:00:00:00:00:99 dev eth0 nud stale").Succeeded);

        await network.SyncSecondaryVethsAsync(Account, "us-east-1", aId, [new GuestSecondaryNic(1, eni)], "/run/netns/" + a, CancellationToken.None);
        // The guest, not the host, configures it (the host's address goes; the link stays up).
        Assert.True(Net.Sh($"ip -n {a} -4 addr flush dev eth1").Succeeded);

        var bin = Path.Combine(state, "bin");
        Directory.CreateDirectory(bin);
        foreach (var applet in new[] { "ip", "awk", "arping" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, applet), Net.Sh("command -v busybox").StandardOutput.Trim());
        }
        var script = GuestScript("udhcpc.script");
        var dhcp = Net.Sh($"ip netns exec {a} sh -c 'echo 1 >/proc/sys/net/ipv4/conf/all/arp_ignore; echo 2 >/proc/sys/net/ipv4/conf/all/arp_announce; "
            + $"PATH={bin}:$PATH busybox udhcpc -i eth1 -n -q -t 5 -T 1 -s {script}'");
        output.WriteLine(dhcp.StandardOutput + dhcp.StandardError);
        Assert.True(dhcp.Succeeded, dhcp.StandardError + dhcp.StandardOutput);

        // Its own table (the connected route and the router) and the rule for its address.
        Assert.Contains($"from {eni.PrivateIp} lookup 101", Net.Sh($"ip -n {a} rule show").StandardOutput, StringComparison.Ordinal);
        var table = Net.Sh($"ip -n {a} route show table 101").StandardOutput;
        Assert.Contains($"{subnet} dev eth1", table, StringComparison.Ordinal);
        Assert.Contains($"default via 10.{octet}.16.1 dev eth1", table, StringComparison.Ordinal);

        // The interface announced itself: B's stale entry names its MAC before B sends anything.
        var announced = false;
        for (var i = 0; i < 30 && !announced; i++)
        {
            announced = Net.Sh($"ip -n {b} neigh show {eni.PrivateIp}").StandardOutput.Contains(eni.MacAddress, StringComparison.OrdinalIgnoreCase);
            if (!announced)
            {
                await Task.Delay(100);
            }
        }
        Assert.True(announced, Net.Sh($"ip -n {b} neigh show").StandardOutput);

        // B reaches a server on A by the interface's address; A answers through eth1 (from eth0 the bridge would drop it).
        using var server = System.Diagnostics.Process.Start("ip", ["netns", "exec", a, "busybox", "nc", "-l", "-p", "2222", "-e", "/bin/echo", "SSH-2.0-guest"])
            ?? throw new InvalidOperationException("cannot start the server in the guest");
        try
        {
            string answer = "";
            for (var i = 0; i < 20 && !answer.Contains("SSH-2.0-guest", StringComparison.Ordinal); i++)
            {
                answer = Net.Sh($"ip netns exec {b} busybox nc -w 3 {eni.PrivateIp} 2222 </dev/null").StandardOutput;
                if (!answer.Contains("SSH-2.0-guest", StringComparison.Ordinal))
                {
                    await Task.Delay(200);
                }
            }
            Assert.Contains("SSH-2.0-guest", answer, StringComparison.Ordinal);
            Assert.Contains(eni.MacAddress, Net.Sh($"ip -n {b} neigh show {eni.PrivateIp}").StandardOutput, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
        }
    }

    [Fact]
    public async Task A_secondary_interface_the_host_configures_in_the_primary_interfaces_subnet_answers_through_itself()
    {
        await using var host = Net.StartHost();
        var network = host.Network;
        var guests = host.Guests;
        var octet = Net.RandomOctet();
        string vpcId = Net.VpcId(), cidr = $"10.{octet}.0.0/16", subnet = $"10.{octet}.16.0/20";
        var a = Net.NewGuest(guests);
        var b = Net.NewGuest(guests);
        var aId = Net.InstanceId();
        await network.AttachVethAsync(Account, "us-east-1", aId, Net.Nic(vpcId, cidr, subnet, $"10.{octet}.16.10"), "/run/netns/" + a, configureAddress: true, CancellationToken.None);
        await network.AttachVethAsync(Account, "us-east-1", Net.InstanceId(), Net.Nic(vpcId, cidr, subnet, $"10.{octet}.16.20"), "/run/netns/" + b, configureAddress: true, CancellationToken.None);
        var eni = Net.Nic(vpcId, cidr, subnet, $"10.{octet}.16.30");

        // A container guest: the host configures the interface (address, its own table and rule).
        await network.SyncSecondaryVethsAsync(Account, "us-east-1", aId, [new GuestSecondaryNic(1, eni)], "/run/netns/" + a, CancellationToken.None);
        Assert.Contains($"from {eni.PrivateIp} lookup 101", Net.Sh($"ip -n {a} rule show").StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"{subnet} dev eth1", Net.Sh($"ip -n {a} route show table 101").StandardOutput, StringComparison.Ordinal);

        using (var server = System.Diagnostics.Process.Start("ip", ["netns", "exec", a, "busybox", "nc", "-l", "-p", "2222", "-e", "/bin/echo", "SSH-2.0-guest"])
            ?? throw new InvalidOperationException("cannot start the server in the guest"))
        {
            try
            {
                var answer = "";
                for (var i = 0; i < 20 && !answer.Contains("SSH-2.0-guest", StringComparison.Ordinal); i++)
                {
                    answer = Net.Sh($"ip netns exec {b} busybox nc -w 3 {eni.PrivateIp} 2222 </dev/null").StandardOutput;
                    if (!answer.Contains("SSH-2.0-guest", StringComparison.Ordinal))
                    {
                        await Task.Delay(200);
                    }
                }
                Assert.Contains("SSH-2.0-guest", answer, StringComparison.Ordinal);
            }
            finally
            {
                if (!server.HasExited)
                {
                    server.Kill();
                }
            }
        }

        // Detached: the interface and its rule are gone; the primary one keeps working.
        await network.SyncSecondaryVethsAsync(Account, "us-east-1", aId, [], "/run/netns/" + a, CancellationToken.None);
        Assert.False(Net.Sh($"ip -n {a} link show dev eth1").Succeeded);
        Assert.DoesNotContain("lookup 101", Net.Sh($"ip -n {a} rule show").StandardOutput, StringComparison.Ordinal);
        Assert.True(Net.Ping(b, $"10.{octet}.16.10"));
    }

    /// <summary>A file of the minimal image's sources (guest/images/minimal), found above the test binaries.</summary>
    private static string GuestScript(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "guest", "images", "minimal", name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"guest/images/minimal/{name} not found above {AppContext.BaseDirectory}");
    }
}
