using System.Net;
using System.Text;
using Stratus.Domain.Instances;
using Stratus.Runtime.Network;
using Stratus.Server.ElasticLoadBalancingV2;

namespace Stratus.Server.Tests.ElasticLoadBalancingV2;

/// <summary>
/// Connections to targets leave from a load balancer node inside its VPC: the node in the target's
/// zone (any node otherwise), the socket made in the node's network namespace and bound to its
/// address, so the target sees the node's address as the source.
/// </summary>
public sealed class TargetConnectorTests
{
    private const string Tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/00000000000000aa";

    private static readonly ServiceNamespace Nowhere = new("net:[1]", _ => throw new InvalidOperationException("not opened in this test"));

    private static TargetEndpoint Target(string id, string? zone, string? vpcAddress) => new(Tg, id, 80, "100.64.0.9", 80, false, zone, vpcAddress);

    [Fact]
    public void The_node_in_the_targets_zone_is_chosen_else_any_node_and_none_for_targets_outside_the_vpc()
    {
        var a = new NodeBinding(Nowhere, IPAddress.Parse("10.0.1.4"), "us-east-1a");
        var b = new NodeBinding(Nowhere, IPAddress.Parse("10.0.2.4"), "us-east-1b");
        IReadOnlyList<NodeBinding> nodes = [a, b];
        for (var i = 0; i < 20; i++)
        {
            Assert.Same(a, TargetConnector.NodeFor(nodes, Target("i-a", "us-east-1a", $"10.0.1.{10 + i}")));
            Assert.Same(b, TargetConnector.NodeFor(nodes, Target("i-b", "us-east-1b", $"10.0.1.{10 + i}")));
        }
        // Cross-zone: a target in a zone without a node goes through one of the nodes, always the same one.
        var other = Target("i-c", "us-east-1c", "10.0.3.10");
        var chosen = TargetConnector.NodeFor(nodes, other);
        Assert.Contains(chosen, nodes);
        Assert.Same(chosen, TargetConnector.NodeFor(nodes, other));
        // Spread: over many targets both nodes are used.
        Assert.Equal(2, Enumerable.Range(0, 50).Select(i => TargetConnector.NodeFor(nodes, Target("x", null, $"10.0.3.{i}"))).Distinct().Count());
        // An IP target registered with AvailabilityZone=all, or no nodes (no namespace): from the host, at the host's address.
        Assert.Null(TargetConnector.NodeFor(nodes, Target("127.0.0.1", null, null)));
        Assert.Null(TargetConnector.NodeFor([], other));
        Assert.Equal("10.0.3.10", TargetConnector.AddressFor(chosen, other));
        Assert.Equal("100.64.0.9", TargetConnector.AddressFor(null, other));
    }

    [Fact]
    public async Task A_connection_from_a_node_leaves_from_its_address_inside_its_namespace()
    {
        Assert.True(Environment.UserName == "root", "opening sockets in a network namespace needs root");
        var name = "sxlb-" + Guid.NewGuid().ToString("N")[..8];
        await RunAsync($"ip netns add {name}");
        try
        {
            await RunAsync($"ip -n {name} link set lo up");
            await RunAsync($"ip -n {name} addr add 10.77.0.4/32 dev lo");
            await RunAsync($"ip -n {name} addr add 10.77.0.20/32 dev lo");
            var path = "/run/netns/" + name;
            var identity = NetworkNamespace.Identity(path);
            Assert.NotNull(identity);
            var node = new NodeBinding(new ServiceNamespace(identity, ep => NetworkNamespace.BindTcp(path, ep)), IPAddress.Parse("10.77.0.4"), "us-east-1a");

            // A target listening inside the namespace (the host has neither address).
            using var target = NetworkNamespace.BindTcp(path, new IPEndPoint(IPAddress.Parse("10.77.0.20"), 0));
            target.Listen(8);
            var at = (IPEndPoint)target.LocalEndPoint!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

            // A relayed flow (NLB) or a TCP health check.
            using (var connection = await TargetConnector.ConnectAsync(node, at, timeout.Token))
            using (var accepted = await target.AcceptAsync(timeout.Token))
            {
                Assert.Equal(IPAddress.Parse("10.77.0.4"), ((IPEndPoint)accepted.RemoteEndPoint!).Address);
                Assert.Equal(IPAddress.Parse("10.77.0.4"), ((IPEndPoint)connection.LocalEndPoint!).Address);
            }

            // An HTTP request (ALB, HTTP health check): the handler's connect callback takes the request's node.
            using var handler = new SocketsHttpHandler { UseProxy = false, ConnectCallback = TargetConnector.ConnectHttpAsync };
            using var client = new HttpClient(handler);
            var serve = Task.Run(async () =>
            {
                using var accepted = await target.AcceptAsync(timeout.Token);
                var buffer = new byte[4096];
                var read = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    read += await accepted.ReceiveAsync(buffer.AsMemory(read), timeout.Token);
                }
                var from = ((IPEndPoint)accepted.RemoteEndPoint!).Address.ToString();
                await accepted.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {from.Length}\r\nConnection: close\r\n\r\n{from}"), timeout.Token);
            });
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://10.77.0.20:{at.Port}/health");
            request.Options.Set(TargetConnector.NodeOption, node);
            using var response = await client.SendAsync(request, timeout.Token);
            Assert.Equal("10.77.0.4", await response.Content.ReadAsStringAsync(timeout.Token));
            await serve;
        }
        finally
        {
            await RunAsync($"ip netns del {name}");
        }
    }

    /// <summary>Runs a shell command on the host (as the host network does its tools) and fails the test, with its stderr, when it fails.</summary>
    private static async Task RunAsync(string command)
    {
        var result = await HostCommand.TryAsync("bash", ["-c", command]);
        Assert.True(result.Succeeded, $"{command}: {result.StandardError}");
    }
}
