using System.Globalization;
using System.Xml.Linq;

namespace Stratus.Domain.Vpc.Vpn;

/// <summary>
/// The customer gateway configuration document AWS returns with a VPN connection: per tunnel the
/// outside and inside addresses of both ends, BGP (unless the connection routes statically), IKE
/// and IPsec parameters with the pre-shared key.
/// </summary>
public static class CustomerGatewayConfiguration
{
    public static string Render(VpnConnectionResource connection, CustomerGatewayResource? customer, long amazonSideAsn)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var root = new XElement("vpn_connection", new XAttribute("id", connection.Id),
            new XElement("customer_gateway_id", connection.CustomerGatewayId),
            new XElement("vpn_gateway_id", connection.VpnGatewayId ?? connection.TransitGatewayId ?? ""),
            new XElement("vpn_connection_type", connection.Type),
            new XElement("vpn_connection_attributes", connection.StaticRoutesOnly ? "NoBGPVPNConnection" : "BGPVPNConnection"));
        foreach (var tunnel in connection.Tunnels)
        {
            var block = Ipv4Cidr.Parse(tunnel.InsideCidr);
            var awsInside = Ipv4.Format(block.Network + 1);
            var customerInside = Ipv4.Format(block.Network + 2);
            root.Add(new XElement("ipsec_tunnel",
                End("customer_gateway", customer?.IpAddress ?? "", customerInside, connection.StaticRoutesOnly ? null : customer?.BgpAsn),
                End("vpn_gateway", tunnel.OutsideIpAddress, awsInside, connection.StaticRoutesOnly ? null : amazonSideAsn),
                new XElement("ike",
                    new XElement("authentication_protocol", "sha1"),
                    new XElement("encryption_protocol", "aes-128-cbc"),
                    new XElement("lifetime", Number(tunnel.Phase1LifetimeSeconds ?? 28800)),
                    new XElement("perfect_forward_secrecy", "group2"),
                    new XElement("mode", "main"),
                    new XElement("pre_shared_key", tunnel.PreSharedKey)),
                new XElement("ipsec",
                    new XElement("protocol", "esp"),
                    new XElement("authentication_protocol", "hmac-sha1-96"),
                    new XElement("encryption_protocol", "aes-128-cbc"),
                    new XElement("lifetime", Number(tunnel.Phase2LifetimeSeconds ?? 3600)),
                    new XElement("perfect_forward_secrecy", "group2"),
                    new XElement("mode", "tunnel"),
                    new XElement("clear_df_bit", "true"),
                    new XElement("fragmentation_before_encryption", "true"),
                    new XElement("tcp_mss_adjustment", "1379"),
                    new XElement("dead_peer_detection",
                        new XElement("delay", "10"),
                        new XElement("retries", "3")))));
        }
        return new XDeclaration("1.0", "UTF-8", null) + "\n" + root.ToString(SaveOptions.None);
    }

    private static XElement End(string name, string outside, string inside, long? asn)
    {
        var end = new XElement(name,
            new XElement("tunnel_outside_address", new XElement("ip_address", outside)),
            new XElement("tunnel_inside_address",
                new XElement("ip_address", inside),
                new XElement("network_mask", "255.255.255.252"),
                new XElement("network_cidr", "30")));
        if (asn is { } value)
        {
            end.Add(new XElement("bgp", new XElement("asn", Number(value)), new XElement("hold_time", "30")));
        }
        return end;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
