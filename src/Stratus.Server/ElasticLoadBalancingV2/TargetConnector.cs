using System.Net;
using System.Net.Sockets;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// How the data plane connects to a target (proxied requests, relayed flows, health checks). A
/// target inside the load balancer's VPC is reached from a node of the load balancer, as in ELB:
/// the socket is made inside the VPC's network namespace and bound to the node's private address
/// before it connects, so the target (and its security groups) see the node's address as the
/// source, a rule naming the load balancer's security group admits it, and the node's own groups'
/// outbound rules apply (the namespace's <c>output</c> chain). The node is the one in the target's
/// zone when there is one, else one of the others (cross-zone). Targets with no address in the VPC
/// (IP targets registered with <c>AvailabilityZone=all</c>) and load balancers without nodes in a
/// namespace (runtimes without guests, or before the VPC's namespace exists) are connected to from
/// the host, at the address the host reaches.
/// </summary>
internal static class TargetConnector
{
    /// <summary>The node an outgoing HTTP request's connection leaves from (read by <see cref="ConnectHttpAsync"/>).</summary>
    public static readonly HttpRequestOptionsKey<NodeBinding> NodeOption = new("Stratus.LoadBalancerNode");

    /// <summary>The node connections to <paramref name="target"/> leave from, or null to connect from the host.</summary>
    public static NodeBinding? NodeFor(IReadOnlyList<NodeBinding> nodes, TargetEndpoint target)
    {
        if (target.VpcAddress is null || nodes.Count == 0)
        {
            return null;
        }
        var inZone = target.Zone is null ? [] : nodes.Where(n => n.Zone == target.Zone).ToList();
        var pool = inZone.Count > 0 ? inZone : nodes;
        // The same target keeps the same node (pooled connections stay valid), spread over the nodes.
        var hash = 0u;
        foreach (var c in target.VpcAddress)
        {
            hash = unchecked((hash * 31) + c);
        }
        return pool[(int)(hash % (uint)pool.Count)];
    }

    /// <summary>The address to connect to: inside the VPC from a node, else where the host reaches the target.</summary>
    public static string AddressFor(NodeBinding? node, TargetEndpoint target) => node is not null && target.VpcAddress is { } inVpc ? inVpc : target.Address;

    /// <summary>A TCP connection to <paramref name="target"/>, from <paramref name="node"/> (inside its VPC) or from the host.</summary>
    public static async Task<Socket> ConnectAsync(NodeBinding? node, IPEndPoint target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        var socket = node is null ? new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : Open(node);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(target, ct).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary><see cref="SocketsHttpHandler.ConnectCallback"/>: connects from the request's node (<see cref="NodeOption"/>) when it has one.</summary>
    public static async ValueTask<Stream> ConnectHttpAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.InitialRequestMessage.Options.TryGetValue(NodeOption, out var node);
        var host = context.DnsEndPoint.Host;
        var address = IPAddress.TryParse(host, out var literal) ? literal : (await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, ct).ConfigureAwait(false)).First();
        var socket = await ConnectAsync(node, new IPEndPoint(address, context.DnsEndPoint.Port), ct).ConfigureAwait(false);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>A socket of the node's namespace bound to its address (any port); the namespace's socket factory runs on a thread of its own.</summary>
    private static Socket Open(NodeBinding node)
    {
        try
        {
            return node.Namespace.BindTcp(new IPEndPoint(node.Address, 0));
        }
        catch (IOException e)
        {
            // The namespace went away (the VPC's last guest stopped): as a failed connection.
            throw new SocketException((int)SocketError.NetworkUnreachable, e.Message);
        }
    }
}
