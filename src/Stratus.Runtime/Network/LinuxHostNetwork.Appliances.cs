using System.Globalization;
using System.Text.Json;
using Stratus.Domain.Firewall;

namespace Stratus.Runtime.Network;

/// <summary>
/// Source/destination checking and routes through guests (NAT instances, routers, firewalls). A
/// guest interface with the check on (the default) sends only IPv4 from its own private addresses
/// (primary and secondary) and receives only IPv4 addressed to them; the bridge's per-port rules
/// enforce both. A subnet whose route table sends a destination to an instance or interface gets a
/// policy-routing table in the VPC namespace (<c>from &lt;subnet&gt; lookup 3000+n</c>): the
/// destination via the target's primary address on the bridge, and <c>throw</c> routes for the
/// table's other destinations (local, gateways, peering), the metadata path and the VPC's blocks, so
/// the longest prefix decides as in AWS. Such packets reach the target only with its check off.
/// </summary>
public sealed partial class LinuxHostNetwork
{
    /// <summary>The first rule priority (and table number) of the per-subnet appliance routing in a VPC namespace.</summary>
    internal const int ApplianceTableBase = 3000;

    private static SortedDictionary<string, InterfaceFilterRecord> InterfaceFilters(VpcFirewall firewall)
    {
        var filters = new SortedDictionary<string, InterfaceFilterRecord>(StringComparer.Ordinal);
        foreach (var eni in firewall.Interfaces)
        {
            filters[eni.NetworkInterfaceId] = new InterfaceFilterRecord([.. eni.PrivateIps], eni.SourceDestCheck);
        }
        return filters;
    }

    private static List<SubnetRoutingRecord> ApplianceRouting(VpcFirewall firewall) =>
        [.. firewall.Subnets.Where(s => s.ApplianceRoutes.Count > 0).OrderBy(s => s.Cidr, StringComparer.Ordinal).Select(s => new SubnetRoutingRecord(
            s.Cidr,
            [.. s.ApplianceRoutes.Select(r => new ApplianceRouteRecord(r.DestinationCidr, r.NextHop))],
            [.. s.OtherRoutes.Concat(firewall.VpcCidrs).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))];

    /// <summary>The addresses a port may use (its interface's private addresses, as nftables set elements) and whether the check is on.</summary>
    private static (string Addresses, bool Check) PortAddresses(VpcNetworkRecord vpc, NicRecord nic)
    {
        var filter = vpc.Interfaces.GetValueOrDefault(nic.NetworkInterfaceId);
        var addresses = (filter?.Addresses ?? []).Prepend(nic.PrivateIp).Distinct(StringComparer.Ordinal);
        return (string.Join(", ", addresses), filter?.SourceDestCheck ?? true);
    }

    /// <summary>Replaces the namespace's appliance rules and tables with those of <see cref="VpcNetworkRecord.ApplianceRoutes"/>.</summary>
    private static async Task SyncApplianceRoutesAsync(VpcNetworkRecord vpc, CancellationToken cancellationToken)
    {
        var ns = vpc.Namespace;
        using (var rules = JsonDocument.Parse(await HostCommand.RunAsync("ip", ["-n", ns, "-j", "-4", "rule", "show"], cancellationToken: cancellationToken).ConfigureAwait(false)))
        {
            foreach (var rule in rules.RootElement.EnumerateArray())
            {
                if (rule.TryGetProperty("priority", out var p) && p.GetInt32() is var priority && priority >= ApplianceTableBase && priority < ApplianceTableBase + 1000)
                {
                    var pref = priority.ToString(CultureInfo.InvariantCulture);
                    await NsIpQuietAsync(ns, "rule", "del", "pref", pref).ConfigureAwait(false);
                    await NsIpQuietAsync(ns, "route", "flush", "table", pref).ConfigureAwait(false);
                }
            }
        }
        var keep = new List<string> { vpc.HostAddress + "/32", MetadataAddress + "/32" };
        for (var i = 0; i < vpc.ApplianceRoutes.Count && i < 1000; i++)
        {
            var subnet = vpc.ApplianceRoutes[i];
            var table = (ApplianceTableBase + i).ToString(CultureInfo.InvariantCulture);
            await NsIpQuietAsync(ns, "route", "flush", "table", table).ConfigureAwait(false);
            foreach (var destination in subnet.Others.Concat(keep).Where(d => d.Length > 3).Distinct(StringComparer.Ordinal))
            {
                await NsIpAsync(ns, cancellationToken, "route", "replace", "throw", destination, "table", table).ConfigureAwait(false);
            }
            foreach (var route in subnet.Routes)
            {
                await NsIpAsync(ns, cancellationToken, "route", "replace", route.Destination == "0.0.0.0/0" ? "default" : route.Destination,
                    "via", route.NextHop, "dev", Bridge, "onlink", "table", table).ConfigureAwait(false);
            }
            await NsIpAsync(ns, cancellationToken, "rule", "add", "pref", table, "from", subnet.SubnetCidr, "lookup", table).ConfigureAwait(false);
        }
    }
}
