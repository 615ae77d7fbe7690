using System.Globalization;
using System.Text;
using Stratus.Domain.Firewall;

namespace Stratus.Runtime.Network;

/// <summary>
/// The part of a VPC's packet filter (<see cref="FirewallRuleset"/>) for its transit gateway
/// links: what comes from a gateway goes only to this VPC's guests (a VPC does not pass transit
/// traffic on), new flows go out to a gateway only from subnets whose route table sends the
/// destination there (<c>tgw_out_&lt;attachment&gt;</c>), and come in only to subnets whose route
/// table sends the source back through it (<c>tgw_in_&lt;attachment&gt;</c>). Network ACLs and
/// security groups follow as for any other traffic.
/// </summary>
internal static class TransitGatewayRuleset
{
    /// <summary>The device name, in the VPC's namespace and in the gateway's, of the link of a transit gateway attachment.</summary>
    public static string Link(string attachmentId) => "tx" + LinuxHostNetwork.Hex8(attachmentId);

    public static void AppendForward(StringBuilder s, VpcFirewall firewall)
    {
        foreach (var gateway in firewall.TransitGateways)
        {
            var link = Link(gateway.AttachmentId);
            var name = FirewallRuleset.Name(gateway.AttachmentId);
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" oifname != \"{LinuxHostNetwork.Bridge}\" drop\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\toifname \"{link}\" ct direction original jump tgw_out_{name}\n");
            s.Append(CultureInfo.InvariantCulture, $"\t\tiifname \"{link}\" ct direction original jump tgw_in_{name}\n");
        }
    }

    public static void AppendChains(StringBuilder s, VpcFirewall firewall)
    {
        foreach (var gateway in firewall.TransitGateways)
        {
            var name = FirewallRuleset.Name(gateway.AttachmentId);
            foreach (var outbound in new[] { true, false })
            {
                s.Append(CultureInfo.InvariantCulture, $"\tchain tgw_{(outbound ? "out" : "in")}_{name} {{\n");
                var (local, remote) = outbound ? ("saddr", "daddr") : ("daddr", "saddr");
                // Routes through a private NAT gateway carry the subnet's flows out (translated) only.
                foreach (var route in gateway.SubnetRoutes.Where(r => !r.IsIpv6 && (outbound || !r.Translated)).DistinctBy(r => (r.SubnetCidr, r.DestinationCidr)))
                {
                    var match = route.DestinationCidr == "0.0.0.0/0" ? "" : $" ip {remote} {route.DestinationCidr}";
                    s.Append(CultureInfo.InvariantCulture, $"\t\tip {local} {route.SubnetCidr}{match} return\n");
                }
                s.Append("\t\tdrop\n\t}\n");
            }
        }
    }
}
