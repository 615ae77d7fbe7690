using System.Net;
using System.Net.Sockets;

namespace Stratus.Server.Imds;

/// <summary>
/// Where the metadata listener answers. Guests reach it through their VPC's namespace, which
/// DNATs <c>169.254.169.254:80</c> to the host end of the VPC's uplink (a /30 out of
/// <c>100.64.0.0/10</c>, one per VPC, created and removed with the VPC) and, for guests with IPv6
/// metadata, <c>[fd00:ec2::254]:80</c> to the same end's IPv6 address (<c>fd00:ec2:0:ffff::</c>
/// followed by its IPv4 address); the listener itself is bound to every address (dual-stack where
/// the host has IPv6) because those uplink addresses come and go, and a connection that arrives on
/// any other local address (the host's LAN address, say) is closed before a byte of HTTP is read.
/// Loopback stays open for the host's own tools and tests.
/// </summary>
public static class MetadataListener
{
    /// <summary>The host network's uplink address pool (carrier-grade NAT space, never a LAN's).</summary>
    private static readonly (uint Network, uint Mask) UplinkPool = (0x64400000u, 0xFFC00000u); // 100.64.0.0/10

    /// <summary>The first 12 bytes of the uplinks' IPv6 addresses (the last four are the IPv4 uplink address).</summary>
    private static readonly byte[] Ipv6UplinkPrefix = IPAddress.Parse("fd00:ec2:0:ffff::").GetAddressBytes()[..12];

    /// <summary>What the metadata port listens on: every IPv6 and IPv4 address when the host has IPv6, every IPv4 address otherwise.</summary>
    public static string Binding(int port) => Socket.OSSupportsIPv6 ? $"http://[::]:{port}" : $"http://0.0.0.0:{port}";

    public static bool AcceptsLocalAddress(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var v6 = address.GetAddressBytes();
            return v6.AsSpan(0, 12).SequenceEqual(Ipv6UplinkPrefix) && InUplinkPool(v6.AsSpan(12));
        }
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return InUplinkPool(bytes);
    }

    private static bool InUplinkPool(ReadOnlySpan<byte> bytes)
    {
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        return (value & UplinkPool.Mask) == UplinkPool.Network;
    }
}
