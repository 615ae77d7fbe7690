using System.Globalization;
using Stratus.Domain.Firewall;
using Stratus.Domain.Instances;
using Stratus.Domain.SecurityGroups;
using Stratus.Domain.Vpc.Ipv6;
using Stratus.Runtime.Network;
using Xunit;
using Xunit.Abstractions;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// What a launch into a VPC with IPv6 costs the host, as the server does it: the VPC's packet
/// filter applied with the new interface, then the guest plugged in. Each launch configures the
/// new guest's IPv6 (address, default route) and leaves the others' alone, so the host commands of
/// a launch do not grow with the guests already running; a detach leaves the others' IPv6 as it
/// was. Needs root and the host tools; fails otherwise.
/// </summary>
[Collection("host IPv6 forwarding")]
public sealed class Ipv6LaunchCostTests(ITestOutputHelper output)
{
    private const string Account = "123456789012";
    private const int Guests = 10;

    [Fact]
    public async Task Host_commands_per_launch_do_not_grow_with_the_guests_of_the_vpc()
    {
        await using var host = Net.StartHost();
        var octet = Net.RandomOctet();
        string vpcId = Net.VpcId(), cidr = $"10.{octet}.0.0/16", subnet = $"10.{octet}.1.0/24";
        var word = Random.Shared.Next(0x1000, 0xf000).ToString("x4", CultureInfo.InvariantCulture);
        string block = $"2001:db8:{word}:100::/56", subnet6 = $"2001:db8:{word}:101::/64";
        var launched = new List<(string Ns, string InstanceId, GuestNic Nic, string Address)>();
        var commands = new List<int>();
        for (var i = 0; i < Guests; i++)
        {
            var ns = Net.NewGuest(host.Guests);
            var nic = Net.Nic(vpcId, cidr, subnet, $"10.{octet}.1.{10 + i}");
            nic = i == 0 ? nic : nic with { SubnetId = launched[0].Nic.SubnetId };
            launched.Add((ns, Net.InstanceId(), nic, $"2001:db8:{word}:101::{10 + i:x}"));
            var tally = HostCommand.Count();
            await host.Network.ApplyFirewallAsync(Firewall(vpcId, cidr, block, subnet6, launched), CancellationToken.None);
            await host.Network.AttachVethAsync(Account, "us-east-1", launched[i].InstanceId, nic, "/run/netns/" + ns, configureAddress: true, CancellationToken.None);
            commands.Add(tally.Value);
        }
        output.WriteLine($"host commands per launch (N={Guests}): {string.Join(' ', commands)}; total {commands.Sum()}");

        // Every guest has its own address and a default route through its subnet's router.
        foreach (var guest in launched)
        {
            Assert.Contains(guest.Address + "/64", Net.Sh($"ip -n {guest.Ns} -6 addr show dev eth0").StandardOutput, StringComparison.Ordinal);
            Assert.Contains($"default via 2001:db8:{word}:101::1", Net.Sh($"ip -n {guest.Ns} -6 route show").StandardOutput, StringComparison.Ordinal);
        }
        // The first launches make the VPC; from the third on, a launch costs what the one before did.
        Assert.All(commands.Skip(3), c => Assert.True(c <= commands[2], $"a launch took {c} host commands, the third {commands[2]}: {string.Join(' ', commands)}"));

        // A detach and a filter without the detached interface: the others keep their IPv6.
        var gone = launched[3];
        launched.RemoveAt(3);
        var detach = HostCommand.Count();
        await host.Network.DetachAsync(gone.InstanceId, CancellationToken.None);
        await host.Network.ApplyFirewallAsync(Firewall(vpcId, cidr, block, subnet6, launched), CancellationToken.None);
        output.WriteLine($"host commands of a detach with {launched.Count} guests left: {detach.Value}");
        Assert.True(detach.Value < commands[2] * 2, $"a detach took {detach.Value} host commands");
        foreach (var guest in launched)
        {
            Assert.Contains(guest.Address + "/64", Net.Sh($"ip -n {guest.Ns} -6 addr show dev eth0").StandardOutput, StringComparison.Ordinal);
        }

        // A change of the VPC's IPv6 side (a block and subnet more) still reaches every guest.
        var other = $"2001:db8:{word}:200::/56";
        await host.Network.ApplyFirewallAsync(Firewall(vpcId, cidr, block, subnet6, launched, extraBlock: other), CancellationToken.None);
        Assert.Contains(other, Assert.Single(host.Network.Snapshot(), v => v.VpcId == vpcId).Ipv6Routes);
        await host.Network.ApplyFirewallAsync(Firewall(vpcId, cidr, block, subnet6, [.. launched.Select(g => g with { Address = g.Address + "1" })]), CancellationToken.None);
        foreach (var guest in launched)
        {
            var shown = Net.Sh($"ip -n {guest.Ns} -6 addr show dev eth0").StandardOutput;
            Assert.Contains(guest.Address + "1/64", shown, StringComparison.Ordinal);
            Assert.DoesNotContain(guest.Address + "/64", shown, StringComparison.Ordinal);
        }
    }

    private static VpcFirewall Firewall(string vpcId, string cidr, string block, string subnet6, List<(string Ns, string InstanceId, GuestNic Nic, string Address)> guests, string? extraBlock = null)
    {
        var nic = guests[0].Nic;
        var rules = new List<EffectiveRule>
        {
            new("sgr-egress", true, null, null, null, null, null, PeerKind.CidrIpv6, "::/0", null),
            new("sgr-ingress", false, 6, 22, 22, null, null, PeerKind.CidrIpv6, "::/0", null),
        };
        return new VpcFirewall(
            Account, "us-east-1", vpcId, [cidr],
            [.. guests.Select(g => new FirewallInterface(g.Nic.NetworkInterfaceId, g.Nic.SubnetId, [g.Nic.PrivateIp], ["sg-launch"]))],
            new Dictionary<string, IReadOnlyList<EffectiveRule>> { ["sg-launch"] = rules },
            new Dictionary<string, IReadOnlyList<string>>(),
            new Dictionary<string, IReadOnlyList<string>>(),
            [new FirewallSubnet(nic.SubnetId, nic.SubnetCidr, false, "acl-1", [])])
        {
            Ipv6 = new FirewallIpv6(
                extraBlock is null ? [block] : [block, extraBlock],
                [new FirewallIpv6Subnet(nic.SubnetId, nic.SubnetCidr, subnet6, [])],
                [.. guests.Select(g => new FirewallIpv6Interface(g.Nic.NetworkInterfaceId, g.Nic.SubnetId, [g.Address]))],
                new Dictionary<string, IReadOnlyList<string>>()),
        };
    }
}
