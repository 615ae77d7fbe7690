using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stratus.Runtime.Network;

/// <summary>What the host network made for one VPC, as recorded under <c>&lt;state&gt;/network/&lt;namespace&gt;.json</c>.</summary>
internal sealed class VpcNetworkRecord
{
    public required string AccountId { get; init; }

    public required string Region { get; init; }

    public required string VpcId { get; init; }

    public required string VpcCidr { get; set; }

    /// <summary>The network namespace (<c>/run/netns/&lt;name&gt;</c>) holding the VPC's bridge.</summary>
    public required string Namespace { get; init; }

    /// <summary>The host end of the uplink veth (the namespace end is <c>up0</c>).</summary>
    public required string UplinkDevice { get; init; }

    /// <summary>The host end's address (the VPC's metadata destination and default gateway).</summary>
    public string HostAddress { get; set; } = "";

    /// <summary>The namespace end's address (where the host routes the VPC's addresses).</summary>
    public string NamespaceAddress { get; set; } = "";

    public int UplinkPrefix { get; set; } = 30;

    /// <summary>The host routing table for traffic from <see cref="HostAddress"/>.</summary>
    public int RouteTable { get; set; }

    /// <summary>True when this VPC's CIDR is routed in the host's main table (the first VPC claiming it).</summary>
    public bool MainRoute { get; set; }

    public List<NicRecord> Nics { get; init; } = [];

    /// <summary>The VPC's packet filter (nftables text from <see cref="FirewallRuleset"/>); null until the control plane gave one.</summary>
    public string? Firewall { get; set; }

    /// <summary>The VPC's active peering connections, as its last firewall named them (a link exists while both sides name each other).</summary>
    public List<PeeringRecord> Peerings { get; set; } = [];

    /// <summary>Public addresses of the VPC's NAT gateways, routed from the host into the namespace.</summary>
    public List<string> NatAddresses { get; set; } = [];

    /// <summary>Addresses the server answers at inside the VPC (load balancer nodes), each a /32 on the bridge.</summary>
    public List<string> ServiceAddresses { get; set; } = [];

    /// <summary>Names the VPC's DNS answers besides the guests' own (<c>address name</c> lines: load balancers).</summary>
    public List<string> ServiceNames { get; set; } = [];

    /// <summary>Per network interface, as the last firewall named them: its private addresses and whether source/destination checking is on.</summary>
    public SortedDictionary<string, InterfaceFilterRecord> Interfaces { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True while the uplink carries IPv6 (the VPC has an IPv6 block): addresses from <see cref="Ipv6Uplink"/>, a host rule and routes.</summary>
    public bool Ipv6Enabled { get; set; }

    /// <summary>The VPC's IPv6 blocks routed into the namespace in the host's main table (the first VPC on the host claiming a block).</summary>
    public List<string> Ipv6Routes { get; set; } = [];

    /// <summary>Per subnet whose route table sends traffic to an instance or interface: its policy-routing table in the namespace.</summary>
    public List<SubnetRoutingRecord> ApplianceRoutes { get; set; } = [];

    [JsonIgnore]
    public string Key => VpcKey(AccountId, Region, VpcId);

    public static string VpcKey(string accountId, string region, string vpcId) => $"{accountId}/{region}/{vpcId}";
}

/// <summary>What the bridge lets a guest interface send and receive: its private addresses, and whether only those.</summary>
internal sealed record InterfaceFilterRecord(List<string> Addresses, bool SourceDestCheck)
{
    public bool Equals(InterfaceFilterRecord? other) =>
        other is not null && SourceDestCheck == other.SourceDestCheck && Addresses.SequenceEqual(other.Addresses, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(SourceDestCheck, Addresses.Count);
}

/// <summary>
/// A subnet's routes to instances or interfaces (destination → the interface's primary address), and
/// the destinations of its other routes, which stay with the VPC's own routing (longest prefix wins).
/// </summary>
internal sealed record SubnetRoutingRecord(string SubnetCidr, List<ApplianceRouteRecord> Routes, List<string> Others)
{
    public bool Equals(SubnetRoutingRecord? other) =>
        other is not null && SubnetCidr == other.SubnetCidr && Routes.SequenceEqual(other.Routes) && Others.SequenceEqual(other.Others, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(SubnetCidr, Routes.Count, Others.Count);
}

/// <summary>A route through a guest: its destination and the next hop (the target interface's primary address).</summary>
internal sealed record ApplianceRouteRecord(string Destination, string NextHop);

/// <summary>An active peering connection of a VPC: the peer VPC (of this or another account and Region) and its blocks.</summary>
internal sealed class PeeringRecord
{
    public required string PeeringConnectionId { get; init; }

    public required string PeerVpcId { get; init; }

    /// <summary>The peer VPC's account, when not the VPC's own.</summary>
    public string? PeerAccountId { get; init; }

    /// <summary>The peer VPC's Region, when not the VPC's own.</summary>
    public string? PeerRegion { get; init; }

    /// <summary>The VPC's resolver answers the peer VPC's private names (the peer allows DNS resolution from this VPC).</summary>
    public bool ResolvePeerNames { get; init; }

    public List<string> PeerCidrs { get; init; } = [];

    /// <summary>The peer VPC's IPv6 blocks (routed over the link's link-local addresses).</summary>
    public List<string> PeerIpv6Cidrs { get; init; } = [];
}

/// <summary>One guest interface plugged into a VPC bridge.</summary>
internal sealed class NicRecord
{
    public required string InstanceId { get; init; }

    public required string NetworkInterfaceId { get; init; }

    /// <summary>0 for the primary interface; 1 and up for secondary ones plugged into a running container (<c>eth1</c>, …).</summary>
    public int DeviceIndex { get; init; }

    /// <summary><c>tap</c> (microVM) or <c>veth</c> (container).</summary>
    public required string Kind { get; init; }

    /// <summary>The bridge port inside the VPC namespace.</summary>
    public required string Device { get; init; }

    public required string MacAddress { get; init; }

    public required string PrivateIp { get; init; }

    public required string SubnetCidr { get; init; }

    public string? PublicIp { get; set; }

    /// <summary>The guest's namespace path (veth only).</summary>
    public string? GuestNamespace { get; init; }

    [JsonIgnore]
    public string HostName => "ip-" + PrivateIp.Replace('.', '-');
}

internal static class NetworkJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
