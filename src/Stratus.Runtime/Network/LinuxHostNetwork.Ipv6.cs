using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Instances;
using Stratus.Domain.Vpc.Ipv6;

namespace Stratus.Runtime.Network;

/// <summary>
/// IPv6 in a VPC's namespace and on its uplink. Inside the namespace, the bridge gets IPv6 back
/// (<c>net.ipv6.conf.br0.disable_ipv6=0</c>), forwards it (<c>net.ipv6.conf.all.forwarding=1</c>)
/// and passes bridged IPv6 through the filter (<c>net.bridge.bridge-nf-call-ip6tables=1</c>), all
/// per namespace; the bridge holds each IPv6 subnet's router address (the /64's <c>::1</c>); a
/// container guest's <c>eth0</c> gets its interface's IPv6 addresses and a default IPv6 route via
/// its subnet's router. The bridge table <c>stratus_v6</c> lets a port send IPv6 only from its
/// interface's addresses (and link-local/unspecified ones for discovery).
/// <para>
/// The uplink carries IPv6 too (<see cref="Ipv6Uplink"/>): both ends get an address of
/// <c>fd00:ec2:0:ffff::/96</c> holding their IPv4 uplink address, the namespace's default IPv6 route
/// points at the host, and the host routes the VPC's blocks (globally routed, as on AWS: no NAT66)
/// into the namespace and answers from its uplink address through the VPC's own routing table. The
/// host forwards IPv6 (<see cref="HostSysctls.Ipv6"/>) while a VPC with an IPv6 block is set up.
/// What may cross the uplink is the filter's business (<see cref="Ipv6Ruleset"/>): internet gateway,
/// egress-only internet gateway, or nothing. The namespace's <c>ip6 stratus6</c> table DNATs
/// <c>[fd00:ec2::254]:80</c> to the host's uplink address on the metadata port for the addresses of
/// interfaces whose instance has <c>HttpProtocolIpv6</c> enabled.
/// </para>
/// </summary>
public sealed partial class LinuxHostNetwork
{
    private readonly Dictionary<string, FirewallIpv6> _ipv6 = new(StringComparer.Ordinal);

    /// <summary>
    /// Records a VPC's IPv6 side from its latest firewall (caller holds the gate) and tells what the
    /// host makes of it that changed: the VPC's own (blocks, subnets: every guest and the uplink are
    /// concerned) or only some interfaces' (addresses, IPv6 metadata: those guests and the bridge's checks).
    /// </summary>
    private Ipv6Change RememberIpv6(string key, FirewallIpv6? ipv6)
    {
        var before = _ipv6.GetValueOrDefault(key);
        Remember(key, ipv6);
        if (VpcSignature(before) != VpcSignature(ipv6))
        {
            return new Ipv6Change(Vpc: true, new HashSet<string>());
        }
        var old = (before?.Interfaces ?? []).ToDictionary(i => i.NetworkInterfaceId, InterfaceSignature, StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var nic in ipv6?.Interfaces ?? [])
        {
            if (!old.Remove(nic.NetworkInterfaceId, out var was) || was != InterfaceSignature(nic))
            {
                changed.Add(nic.NetworkInterfaceId);
            }
        }
        changed.UnionWith(old.Keys);
        return new Ipv6Change(Vpc: false, changed);
    }

    /// <summary>What the host's IPv6 set-up of the VPC as a whole depends on: whether it has IPv6, its blocks, its subnets.</summary>
    private static string VpcSignature(FirewallIpv6? v6) => v6 is null ? "" : string.Join(';',
        string.Join(',', v6.VpcCidrs),
        string.Join(',', v6.Subnets.Select(s => $"{s.SubnetId}={s.Ipv4Cidr}/{s.Ipv6Cidr}")));

    /// <summary>What an interface's guest and the bridge's checks depend on: its addresses and IPv6 metadata.</summary>
    private static string InterfaceSignature(FirewallIpv6Interface nic) => $"{nic.SubnetId}={string.Join(' ', nic.Addresses)}/{nic.MetadataIpv6}";

    /// <summary>What a firewall changed of a VPC's IPv6 side (see <see cref="RememberIpv6"/>).</summary>
    private readonly record struct Ipv6Change(bool Vpc, IReadOnlySet<string> Interfaces)
    {
        public bool Any => Vpc || Interfaces.Count > 0;
    }

    private void Remember(string key, FirewallIpv6? ipv6)
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
        s.Append(Ipv6NatRules(vpc));
        return s.ToString();
    }

    /// <summary>The namespace's IPv6 NAT table: the metadata address DNATed to the host for interfaces with IPv6 metadata enabled.</summary>
    private string Ipv6NatRules(VpcNetworkRecord vpc)
    {
        var s = new StringBuilder("table ip6 stratus6\ndelete table ip6 stratus6\n");
        if (!_ipv6.TryGetValue(vpc.Key, out var v6) || vpc.HostAddress.Length == 0)
        {
            return s.ToString();
        }
        var sources = v6.Interfaces.Where(i => i.MetadataIpv6 && vpc.Nics.Any(n => n.NetworkInterfaceId == i.NetworkInterfaceId))
            .SelectMany(i => i.Addresses).Distinct(StringComparer.Ordinal).ToList();
        s.Append("table ip6 stratus6 {\n\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        if (sources.Count > 0)
        {
            s.Append(CultureInfo.InvariantCulture,
                $"\t\tiifname \"{Bridge}\" ip6 saddr {{ {string.Join(", ", sources)} }} ip6 daddr {Ipv6Ruleset.MetadataAddress} tcp dport 80 dnat to [{Ipv6Uplink.Address(vpc.HostAddress)}]:{_options.MetadataPort.ToString(CultureInfo.InvariantCulture)}\n");
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
        _ipv6.TryGetValue(vpc.Key, out var v6);
        await SyncIpv6UplinkAsync(vpc, v6, cancellationToken).ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], Ipv6BridgeRules(vpc), cancellationToken).ConfigureAwait(false);
        if (v6 is not null)
        {
            await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", $"net.ipv6.conf.{Bridge}.disable_ipv6=0", "net.ipv6.conf.all.forwarding=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await HostCommand.TryAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.bridge.bridge-nf-call-ip6tables=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var routers = (v6?.Subnets ?? []).Select(s => $"{Ipv6Cidrs.Router(s.Ipv6Cidr)}/{Ipv6Cidrs.SubnetPrefix}").ToHashSet(StringComparer.Ordinal);
        await SyncAddressesAsync(["-n", ns], Bridge, routers, cancellationToken).ConfigureAwait(false);

        foreach (var nic in vpc.Nics)
        {
            await SyncGuestIpv6Async(vpc, nic, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Brings one container guest's IPv6 (its interface's addresses on <c>eth0</c>, a default route via
    /// its subnet's router) in line with the VPC's IPv6 side; nothing for a microVM's tap (the guest
    /// configures itself). What an attach needs for the new interface: the other guests are left alone.
    /// </summary>
    private async Task SyncGuestIpv6Async(VpcNetworkRecord vpc, NicRecord nic, CancellationToken cancellationToken)
    {
        if (nic.Kind != "veth" || nic.GuestNamespace is null)
        {
            return;
        }
        _ipv6.TryGetValue(vpc.Key, out var v6);
        var subnet = v6?.Subnets.FirstOrDefault(s => s.Ipv4Cidr == nic.SubnetCidr);
        var addresses = subnet is null ? [] : Ipv6AddressesOf(vpc, nic);
        string[] guest = ["nsenter", "--net=" + nic.GuestNamespace, "ip"];
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

    /// <summary>
    /// IPv6 on the VPC's uplink while the VPC has an IPv6 block (<paramref name="v6"/>), none otherwise:
    /// the host forwards IPv6, both ends hold their <see cref="Ipv6Uplink"/> address, the namespace's
    /// default route points at the host, the host answers from its end through the VPC's routing table
    /// and routes the VPC's blocks into the namespace (a block another VPC on the host routes already stays with it).
    /// </summary>
    private async Task SyncIpv6UplinkAsync(VpcNetworkRecord vpc, FirewallIpv6? v6, CancellationToken cancellationToken)
    {
        if (vpc.HostAddress.Length == 0 || vpc.RouteTable == 0)
        {
            return;
        }
        var ns = vpc.Namespace;
        var host6 = Ipv6Uplink.Address(vpc.HostAddress);
        var ns6 = Ipv6Uplink.Address(vpc.NamespaceAddress);
        var table = vpc.RouteTable.ToString(CultureInfo.InvariantCulture);
        if (v6 is null)
        {
            if (vpc.Ipv6Enabled)
            {
                await RemoveIpv6UplinkAsync(vpc).ConfigureAwait(false);
                vpc.Ipv6Enabled = false;
                vpc.Ipv6Routes = [];
                Save(vpc);
                await ReleaseIpv6SysctlsIfUnusedAsync().ConfigureAwait(false);
            }
            return;
        }
        await HostSysctls.Ipv6.ClaimAsync(GuardTable, _log, cancellationToken).ConfigureAwait(false);
        var conf = $"/proc/sys/net/ipv6/conf/{vpc.UplinkDevice}/";
        await WriteSysctlAsync(conf + "accept_ra", "0").ConfigureAwait(false);
        await WriteSysctlAsync(conf + "disable_ipv6", "0").ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["-6", "addr", "replace", $"{host6}/{Ipv6Uplink.Prefix}", "dev", vpc.UplinkDevice, "nodad"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["netns", "exec", ns, "sysctl", "-qw", $"net.ipv6.conf.{NamespaceUplink}.accept_ra=0", $"net.ipv6.conf.{NamespaceUplink}.disable_ipv6=0"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await NsIpAsync(ns, cancellationToken, "-6", "addr", "replace", $"{ns6}/{Ipv6Uplink.Prefix}", "dev", NamespaceUplink, "nodad").ConfigureAwait(false);
        await NsIpAsync(ns, cancellationToken, "-6", "route", "replace", "default", "via", host6, "dev", NamespaceUplink).ConfigureAwait(false);
        await HostCommand.RunAsync("ip", ["-6", "route", "replace", "default", "via", ns6, "dev", vpc.UplinkDevice, "table", table], cancellationToken: cancellationToken).ConfigureAwait(false);
        var rules = await HostCommand.RunAsync("ip", ["-6", "rule", "show", "from", host6], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!rules.Contains("lookup " + table, StringComparison.Ordinal))
        {
            await HostCommand.RunAsync("ip", ["-6", "rule", "add", "pref", RulePriority.ToString(CultureInfo.InvariantCulture), "from", host6, "lookup", table], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var wanted = v6.VpcCidrs.ToHashSet(StringComparer.Ordinal);
        foreach (var block in vpc.Ipv6Routes.Where(b => !wanted.Contains(b)).ToList())
        {
            await HostCommand.TryAsync("ip", ["-6", "route", "del", block, "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false);
            vpc.Ipv6Routes.Remove(block);
        }
        foreach (var block in wanted.Order(StringComparer.Ordinal))
        {
            var shown = await HostCommand.RunAsync("ip", ["-6", "route", "show", "exact", block, "table", "main"], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (shown.Trim().Length == 0)
            {
                await HostCommand.RunAsync("ip", ["-6", "route", "add", block, "via", ns6, "dev", vpc.UplinkDevice], cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else if (!shown.Contains("dev " + vpc.UplinkDevice, StringComparison.Ordinal))
            {
                vpc.Ipv6Routes.Remove(block); // another VPC on the host (another account's, same block) has it
                continue;
            }
            if (!vpc.Ipv6Routes.Contains(block))
            {
                vpc.Ipv6Routes.Add(block);
            }
        }
        if (!vpc.Ipv6Enabled)
        {
            vpc.Ipv6Enabled = true;
        }
        Save(vpc);
    }

    /// <summary>Removes the uplink's IPv6 addresses, the host's rule and routes for the VPC (the routes through its devices go with them).</summary>
    private static async Task RemoveIpv6UplinkAsync(VpcNetworkRecord vpc)
    {
        if (vpc.HostAddress.Length == 0)
        {
            return;
        }
        var host6 = Ipv6Uplink.Address(vpc.HostAddress);
        for (var i = 0; i < 10; i++)
        {
            var result = await HostCommand.TryAsync("ip", ["-6", "rule", "del", "pref", RulePriority.ToString(CultureInfo.InvariantCulture), "from", host6]).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                break;
            }
        }
        if (vpc.RouteTable != 0)
        {
            await HostCommand.TryAsync("ip", ["-6", "route", "flush", "table", vpc.RouteTable.ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        }
        foreach (var block in vpc.Ipv6Routes)
        {
            await HostCommand.TryAsync("ip", ["-6", "route", "del", block, "dev", vpc.UplinkDevice]).ConfigureAwait(false);
        }
        await HostCommand.TryAsync("ip", ["-6", "addr", "del", $"{host6}/{Ipv6Uplink.Prefix}", "dev", vpc.UplinkDevice]).ConfigureAwait(false);
        if (File.Exists(NamespacePath(vpc.Namespace)))
        {
            await NsIpQuietAsync(vpc.Namespace, "-6", "addr", "flush", "dev", NamespaceUplink, "scope", "global").ConfigureAwait(false);
        }
    }

    /// <summary>Gives the host's IPv6 settings back once no VPC of this network carries IPv6.</summary>
    private async Task ReleaseIpv6SysctlsIfUnusedAsync()
    {
        if (!_vpcs.Values.Any(v => v.Ipv6Enabled))
        {
            await HostSysctls.Ipv6.ReleaseAsync(GuardTable, _log).ConfigureAwait(false);
        }
    }

    /// <summary>The instance behind an IPv6 metadata connection: the host's uplink address names the VPC, the source the interface.</summary>
    private MetadataCaller? ResolveIpv6Caller(IPAddress local, IPAddress remote)
    {
        if (Ipv6Uplink.Ipv4Of(local) is not { } host)
        {
            return null;
        }
        var callers = Volatile.Read(ref _callers6);
        return callers.GetValueOrDefault((host, new IPAddress(remote.GetAddressBytes())));
    }

    private Dictionary<(uint Host, IPAddress Guest), MetadataCaller> _callers6 = [];

    /// <summary>Each guest IPv6 address (per VPC uplink) → its instance, for <see cref="ResolveIpv6Caller"/>.</summary>
    private void RebuildIpv6Callers()
    {
        var callers = new Dictionary<(uint, IPAddress), MetadataCaller>();
        foreach (var vpc in _vpcs.Values.Where(v => v.HostAddress.Length > 0))
        {
            var host = Ipv4.Parse(vpc.HostAddress);
            foreach (var nic in vpc.Nics)
            {
                foreach (var address in Ipv6AddressesOf(vpc, nic))
                {
                    if (IPAddress.TryParse(address, out var parsed) && parsed.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        callers[(host, parsed)] = new MetadataCaller(vpc.AccountId, vpc.Region, nic.InstanceId);
                    }
                }
            }
        }
        Volatile.Write(ref _callers6, callers);
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

/// <summary>
/// The IPv6 addresses of a VPC uplink's two ends: <c>fd00:ec2:0:ffff::/96</c> (unique local) followed
/// by the end's IPv4 uplink address (out of <c>100.64.0.0/10</c>, unique on the host), in a /126 as the
/// IPv4 ends share a /30. The metadata listener tells VPCs apart by them.
/// </summary>
internal static class Ipv6Uplink
{
    /// <summary>The uplink's prefix length.</summary>
    public const int Prefix = 126;

    private static readonly byte[] Network = IPAddress.Parse("fd00:ec2:0:ffff::").GetAddressBytes();

    /// <summary>The IPv6 address of the uplink end whose IPv4 address is <paramref name="ipv4"/>.</summary>
    public static string Address(string ipv4)
    {
        var bytes = (byte[])Network.Clone();
        IPAddress.Parse(ipv4).GetAddressBytes().CopyTo(bytes, 12);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>The IPv4 uplink address inside <paramref name="address"/>, or null when it is no uplink address.</summary>
    public static uint? Ipv4Of(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.IsIPv4MappedToIPv6)
        {
            return null;
        }
        var bytes = address.GetAddressBytes();
        if (!bytes.AsSpan(0, 12).SequenceEqual(Network.AsSpan(0, 12)))
        {
            return null;
        }
        return (uint)(bytes[12] << 24 | bytes[13] << 16 | bytes[14] << 8 | bytes[15]);
    }
}
