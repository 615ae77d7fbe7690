using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// A TCP (or TLS, TCP_UDP: the TCP half, passed through) listener of a Network Load Balancer: accepts
/// connections on the load balancer's address and the listener's port and relays each, as a byte
/// stream in both directions, to a healthy target of the listener's target group chosen by a hash
/// of the flow (client address and port), as NLBs do.
/// </summary>
internal sealed class TcpRelay : IListenerHost
{
    private readonly List<Socket> _listeners;
    private readonly IPEndPoint _endpoint;
    private readonly IReadOnlyList<NodeBinding> _nodes;
    private readonly string _protocol;
    private readonly string _arn;
    private readonly LoadBalancerDataPlane _plane;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _accepting;

    private TcpRelay(List<Socket> listeners, IPEndPoint endpoint, IReadOnlyList<NodeBinding> nodes, ListenerRoute route, LoadBalancerDataPlane plane, ILogger log)
    {
        _listeners = listeners;
        _endpoint = endpoint;
        _nodes = nodes;
        _protocol = route.Listener.Protocol;
        _arn = route.Listener.Arn;
        _plane = plane;
        _log = log;
        _accepting = listeners.Select(l => Task.Run(() => AcceptAsync(l))).ToArray();
    }

    /// <summary>Serves the listener on the load balancer's host address and on its nodes' addresses inside the VPC.</summary>
    public static TcpRelay Start(LoadBalancerDataPlane plane, ListenerRoute route, IReadOnlyList<NodeBinding> nodes, ILogger log)
    {
        if (route.Listener.Protocol == "UDP")
        {
            throw new NotSupportedException("UDP listeners are accepted by the API but not served by the data plane");
        }
        var endpoint = ListenerAddress.Of(route);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var listeners = new List<Socket> { socket };
        try
        {
            foreach (var node in nodes)
            {
                var inVpc = ListenerAddress.Bind(node, route.Listener.Port);
                listeners.Add(inVpc);
                inVpc.Listen(512);
            }
        }
        catch
        {
            listeners.ForEach(l => l.Dispose());
            throw;
        }
        return new TcpRelay(listeners, endpoint, nodes, route, plane, log);
    }

    public bool Serves(ListenerRoute route, IReadOnlyList<NodeBinding> nodes) =>
        ListenerAddress.Of(route).Equals(_endpoint) && route.Listener.Protocol == _protocol && ListenerAddress.Same(_nodes, nodes);

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using (client)
        {
            var state = _plane.State;
            if (!state.Listeners.TryGetValue(_arn, out var route))
            {
                return;
            }
            var action = route.Listener.DefaultActions.FirstOrDefault(a => a.Type == "forward");
            var groupArn = action?.TargetGroupArns().FirstOrDefault();
            if (groupArn is null || !state.TargetGroups.TryGetValue(groupArn, out var group))
            {
                return;
            }
            var remote = (IPEndPoint)client.RemoteEndPoint!;
            var traffic = _plane.Traffic;
            var lbArn = route.LoadBalancer.Arn;
            var target = _plane.Selector.Pick(group, flowHash: HashCode.Combine(remote.Address, remote.Port));
            var zone = target?.Zone ?? route.LoadBalancer.Zones.FirstOrDefault()?.ZoneName;
            traffic.Opened(lbArn, zone);
            try
            {
                if (target is null)
                {
                    ResetClient(client, lbArn, zone);
                    return;
                }
                using var tracking = _plane.Selector.Track(target);
                // From the load balancer's node in the target's VPC (TargetConnector): the target sees the
                // node's address, not the client's (Stratus relays flows; client IP preservation is not done).
                var node = TargetConnector.NodeFor(_plane.NodesOf(lbArn), target);
                Socket upstreamSocket;
                try
                {
                    using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    connect.CancelAfter(TimeSpan.FromSeconds(10));
                    upstreamSocket = await TargetConnector.ConnectAsync(node, new IPEndPoint(IPAddress.Parse(TargetConnector.AddressFor(node, target)), target.Port), connect.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    ResetClient(client, lbArn, zone);
                    return;
                }
                using var upstream = upstreamSocket;
                try
                {
                    using var a = new NetworkStream(client, ownsSocket: false);
                    using var b = new NetworkStream(upstream, ownsSocket: false);
                    var up = PumpAsync(a, b, upstream, lbArn, zone, TcpResetSource.Client);
                    var down = PumpAsync(b, a, client, lbArn, zone, TcpResetSource.Target);
                    await Task.WhenAll(up, down).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
                {
                    if (_log.IsEnabled(LogLevel.Debug))
                    {
                        _log.LogDebug("NLB relay to {Target}: {Error}", target.Address, e.Message);
                    }
                }
            }
            finally
            {
                traffic.Closed(lbArn, zone);
            }
        }
    }

    /// <summary>Refuses a flow no target can take with a TCP reset, as an NLB does (TCP_ELB_Reset_Count).</summary>
    private void ResetClient(Socket client, string lbArn, string? zone)
    {
        _plane.Traffic.Reset(lbArn, zone, TcpResetSource.LoadBalancer);
        try
        {
            client.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already gone.
        }
    }

    /// <summary>Copies one direction of a flow, counting its bytes (ProcessedBytes) and a reset by the side it reads from.</summary>
    private async Task PumpAsync(Stream from, Stream to, Socket toSocket, string lbArn, string? zone, TcpResetSource readSide)
    {
        var traffic = _plane.Traffic;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (IsReset(e))
                {
                    traffic.Reset(lbArn, zone, readSide);
                    throw;
                }
                if (read == 0)
                {
                    break;
                }
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
                traffic.Bytes(lbArn, read, zone);
            }
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            try
            {
                toSocket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception inner) when (inner is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsReset(Exception e) =>
        e is SocketException { SocketErrorCode: SocketError.ConnectionReset } or IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listeners.ForEach(l => l.Dispose());
        await Task.WhenAll(_accepting).ConfigureAwait(false);
        _stop.Dispose();
    }
}
