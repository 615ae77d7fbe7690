using System.Globalization;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Vpc.Ipv6;

namespace Stratus.Runtime.Network;

/// <summary>
/// IPv6 in a VPC's namespace. Everything happens inside the VPC namespace and the guests' own
/// namespaces — nothing changes on the host itself: the namespace's bridge gets IPv6 back
/// (<c>net.ipv6.conf.br0.disable_ipv6=0</c>), forwards it (<c>net.ipv6.conf.all.forwarding=1</c>)
/// and passes bridged IPv6 through the filter (<c>net.bridge.bridge-nf-call-ip6tables=1</c>),
/// all per namespace; the bridge holds each IPv6 subnet's router address (the /64's <c>::1</c>);
/// a container guest's <c>eth0</c> gets its interface's IPv6 addresses and a default IPv6 route
/// via its subnet's router. The bridge table <c>stratus_v6</c> lets a port send IPv6 only from
/// its interface's addresses (and link-local/unspecified ones for discovery).
/// </summary>
public sealed partial class LinuxHostNetwork
{
    private readonly Dictionary<string, FirewallIpv6> _ipv6 = new(StringComparer.Ordinal);

    /// <summary>Records a VPC's IPv6 side from its latest firewall (caller holds the gate).</summary>
    private void RememberIpv6(string key, FirewallIpv6? ipv6)
    {
        if (ipv6 is null)
        {
            _ipv6.Remove(key);
        }
        else
        {
            _ipv6[key] = ipv6;
        }
    }

    private IReadOnlyList<string> Ipv6AddressesOf(VpcNetworkRecord vpc, NicRecord nic) =>
        _ipv6.TryGetValue(vpc.Key, out var v6) ? v6.Interfaces.FirstOrDefault(i => i.NetworkInterfaceId == nic.NetworkInterfaceId)?.Addresses ?? [] : [];

    /// <summary>The bridge table that keeps each port's IPv6 to its own addresses (ports without any send none).</summary>
    private string Ipv6BridgeRules(VpcNetworkRecord vpc)
    {
        var s = new StringBuilder("table bridge stratus_v6\ndelete table bridge stratus_v6\ntable bridge stratus_v6 {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority filter; policy accept;\n");
        foreach (var nic in vpc.Nics)
        {
            var addresses = Ipv6AddressesOf(vpc, nic);
            if (addresses.Count == 0)
            {
                s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{nic.Device}\" ether type ip6 drop\n");
            }
            else
            {
                s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{nic.Device}\" ether type ip6 ip6 saddr != {{ ::, fe80::/10, {string.Join(", ", addresses)} }} drop\n");
            }
        }
        s.Append("\t}\n}\n");
        return s.ToString();
    }

    /// <summary>Brings the namespace's and the container guests' IPv6 addresses and routes in line with the VPC's IPv6 side.</summary>
    private async Task SyncIpv6Async(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var ns = vpc.Namespace;
        if (!File.Exists(NamespacePath(ns)))
        {
            return;
        }
        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], Ipv6BridgeRules(vpc), cancellationToken).ConfigureAwait(false);
        _ipv6.TryGetValue(vpc.Key, out var v6);
        if (v6 is not null)
        {
            await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", $"net.ipv6.conf.{Bridge}.disable_ipv6=0", "net.ipv6.conf.all.forwarding=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await HostCommand.TryAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.bridge.bridge-nf-call-ip6tables=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var routers = (v6?.Subnets ?? []).Select(s => $"{Ipv6Cidrs.Router(s.Ipv6Cidr)}/{Ipv6Cidrs.SubnetPrefix}").ToHashSet(StringComparer.Ordinal);
        await SyncAddressesAsync(["-n", ns], Bridge, routers, cancellationToken).ConfigureAwait(false);

        foreach (var nic in vpc.Nics.Where(n => n.Kind == "veth" && n.GuestNamespace is not null))
        {
            var subnet = v6?.Subnets.FirstOrDefault(s => s.Ipv4Cidr == nic.SubnetCidr);
            var addresses = subnet is null ? [] : Ipv6AddressesOf(vpc, nic);
            string[] guest = ["nsenter", "--net=" + nic.GuestNamespace!, "ip"];
            var wanted = addresses.Select(a => $"{a}/{Ipv6Cidrs.SubnetPrefix}").ToHashSet(StringComparer.Ordinal);
            await QuietlyAsync(async () =>
            {
                await SyncAddressesAsync(guest, "eth0", wanted, cancellationToken).ConfigureAwait(false);
                if (wanted.Count > 0)
                {
                    await HostCommand.RunAsync(guest[0], [.. guest[1..], "-6", "route", "replace", "default", "via", Ipv6Cidrs.Router(subnet!.Ipv6Cidr), "dev", "eth0"], cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await HostCommand.TryAsync(guest[0], [.. guest[1..], "-6", "route", "del", "default", "dev", "eth0"], cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
    }

    /// <summary>Makes the global IPv6 addresses of <paramref name="device"/> exactly <paramref name="wanted"/> (no duplicate-address detection: Stratus hands out unique addresses).</summary>
    private static async Task SyncAddressesAsync(string[] ipPrefix, string device, HashSet<string> wanted, CancellationToken cancellationToken)
    {
        var (file, prefix) = ipPrefix[0] == "nsenter" ? (ipPrefix[0], ipPrefix[1..]) : ("ip", ipPrefix);
        var shown = await HostCommand.RunAsync(file, [.. prefix, "-j", "-6", "addr", "show", "dev", device, "scope", "global"], cancellationToken: cancellationToken).ConfigureAwait(false);
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (var json = JsonDocument.Parse(string.IsNullOrWhiteSpace(shown) ? "[]" : shown))
        {
            foreach (var link in json.RootElement.EnumerateArray())
            {
                if (link.TryGetProperty("addr_info", out var infos))
                {
                    foreach (var info in infos.EnumerateArray())
                    {
                        if (info.TryGetProperty("local", out var local) && info.TryGetProperty("prefixlen", out var length)
                            && local.GetString() is { } text && text.Contains(':', StringComparison.Ordinal))
                        {
                            present.Add($"{text}/{length.GetInt32()}");
                        }
                    }
                }
            }
        }
        foreach (var address in present.Except(wanted))
        {
            await HostCommand.RunAsync(file, [.. prefix, "-6", "addr", "del", address, "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        foreach (var address in wanted.Except(present))
        {
            await HostCommand.RunAsync(file, [.. prefix, "-6", "addr", "replace", address, "dev", device, "nodad"], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
