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

    [JsonIgnore]
    public string Key => VpcKey(AccountId, Region, VpcId);

    public static string VpcKey(string accountId, string region, string vpcId) => $"{accountId}/{region}/{vpcId}";
}

/// <summary>An active peering connection of a VPC: the peer VPC (same account and region) and its blocks.</summary>
internal sealed class PeeringRecord
{
    public required string PeeringConnectionId { get; init; }

    public required string PeerVpcId { get; init; }

    public List<string> PeerCidrs { get; init; } = [];
}

/// <summary>One guest interface plugged into a VPC bridge.</summary>
internal sealed class NicRecord
{
    public required string InstanceId { get; init; }

    public required string NetworkInterfaceId { get; init; }

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
