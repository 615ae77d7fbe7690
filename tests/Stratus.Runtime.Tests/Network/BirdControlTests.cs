using Stratus.Domain.Firewall;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// The transit gateway's BGP speaker as text: the bird configuration made from Connect peers and
/// the routes advertised, and the parsing of bird's replies. One case checks the configuration
/// with <c>bird -p</c> (it fails without bird2).
/// </summary>
public sealed class BirdControlTests
{
    private const string Connect = "tgw-attach-0c0c0c0c0c0c0c0c0";
    private const string Vpc = "tgw-attach-0a0a0a0a0a0a0a0a0";

    private static TransitGatewayHostConnectPeer Peer(string id = "tgw-connect-peer-01234567890abcdef", string inside = "169.254.100.0/29") =>
        new(id, "10.94.255.1", "10.95.1.10", inside, inside.Replace(".0/29", ".2", StringComparison.Ordinal)) { PeerAsn = 65010, TransitGatewayAsn = 64512 };

    private static TransitGatewayHostView View() => new(
        "tgw-1",
        [
            new TransitGatewayHostAttachment(Vpc, "vpc", "vpc-1", "tgw-rtb-1"),
            new TransitGatewayHostAttachment(Connect, "connect", Vpc, "tgw-rtb-1") { ConnectPeers = [Peer()] },
        ],
        [
            new TransitGatewayHostRouteTable("tgw-rtb-1",
            [
                new TransitGatewayHostRoute("10.95.0.0/16", Vpc),
                new TransitGatewayHostRoute("10.99.0.0/24", Connect),
                new TransitGatewayHostRoute("192.168.0.0/16", null),
                new TransitGatewayHostRoute("2600:1f00::/56", Vpc),
            ]),
        ]);

    [Fact]
    public void A_connect_attachment_advertises_its_route_tables_routes_to_other_attachments_only()
    {
        var view = View();
        Assert.Equal(["10.95.0.0/16"], LinuxHostNetwork.AdvertisedRoutes(view, view.Attachments[1]));
    }

    [Fact]
    public void Each_peer_has_two_sessions_from_the_gateways_inside_addresses()
    {
        var connect = new BirdConnect(Connect, [Peer()], ["10.95.0.0/16"]);
        var config = BirdControl.Config("10.1.2.3", [connect], null);
        var (first, second) = BirdControl.Sessions("tgw-connect-peer-01234567890abcdef");
        Assert.Contains("router id 10.1.2.3;", config, StringComparison.Ordinal);
        Assert.Contains("route 10.95.0.0/16 blackhole;", config, StringComparison.Ordinal);
        Assert.Contains($"protocol bgp {first} {{", config, StringComparison.Ordinal);
        Assert.Contains("local 169.254.100.2 as 64512;", config, StringComparison.Ordinal);
        Assert.Contains("local 169.254.100.3 as 64512;", config, StringComparison.Ordinal);
        Assert.Contains("neighbor 169.254.100.1 as 65010;", config, StringComparison.Ordinal);
        // Only the second session names the tunnel: bird locks a neighbour by address and interface.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(config, "interface \""));
        var sessions = BirdControl.SessionsOf([connect]);
        Assert.Equal([(first, "169.254.100.2"), (second, "169.254.100.3")], sessions.Select(s => (s.Protocol, s.GatewayAddress)));
        Assert.All(sessions, s => Assert.Equal(BirdControl.Table(Connect), s.Table));
    }

    [Fact]
    public void The_configuration_parses_with_bird()
    {
        const string bird = "/usr/sbin/bird";
        Assert.True(File.Exists(bird), "bird2 is not installed (scripts/install-deps.sh installs it)");
        var path = Path.Combine(Path.GetTempPath(), $"stratus-bird-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, BirdControl.Config("10.1.2.3",
            [new BirdConnect(Connect, [Peer(), Peer("tgw-connect-peer-0fedcba9876543210", "169.254.101.0/29")], ["10.95.0.0/16", "10.96.0.0/16"]),
             new BirdConnect("tgw-attach-0d0d0d0d0d0d0d0d0", [], [])], null));
        try
        {
            using var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(bird, ["-p", "-c", path]) { RedirectStandardError = true })!;
            var error = check.StandardError.ReadToEnd();
            check.WaitForExit();
            Assert.True(check.ExitCode == 0, error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Replies_give_established_sessions_and_learned_routes()
    {
        string[] protocols =
        [
            "Name       Proto      Table      State  Since         Info",
            "device1    Device     ---        up     15:51:59.716  ",
            "s_c1       Static     t_c1       up     15:51:59.716  ",
            "p_c1_a     BGP        ---        up     15:52:56.423  Established   ",
            "p_c1_b     BGP        ---        start  15:51:59.716  Idle          ",
        ];
        Assert.Equal(["p_c1_a"], BirdControl.Established(protocols));
        string[] routes =
        [
            "Table t_c1:",
            "10.95.0.0/16         blackhole [s_c1 15:51:59.716] * (200)",
            "10.99.0.0/24         unicast [p_c1_b 15:52:56.423] * (100) [AS65010i]",
            "\tvia 169.254.100.1 on gr1",
            "                     unicast [p_c1_a 15:52:56.467] (100) [AS65010i]",
            "\tvia 169.254.100.1 on gr1",
            "10.98.0.0/24         unicast [p_c1_a 15:52:56.467] * (100) [AS65010i]",
        ];
        Assert.Equal([("10.99.0.0/24", "p_c1_b"), ("10.99.0.0/24", "p_c1_a"), ("10.98.0.0/24", "p_c1_a")], BirdControl.Routes(routes));
    }
}
