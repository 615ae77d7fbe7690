using System.Net;
using System.Net.Sockets;

namespace Stratus.Server.Imds;

/// <summary>
/// Where the metadata listener answers. Guests reach it through their VPC's namespace, which
/// DNATs <c>169.254.169.254:80</c> to the host end of the VPC's uplink (a /30 out of
/// <c>100.64.0.0/10</c>, one per VPC, created and removed with the VPC); the listener itself is
/// bound to every IPv4 address because those uplink addresses come and go, and a connection that
/// arrives on any other local address (the host's LAN address, say) is closed before a byte of
/// HTTP is read. Loopback stays open for the host's own tools and tests.
/// </summary>
public static class MetadataListener
{
    /// <summary>The host network's uplink address pool (carrier-grade NAT space, never a LAN's).</summary>
    private static readonly (uint Network, uint Mask) UplinkPool = (0x64400000u, 0xFFC00000u); // 100.64.0.0/10

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
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        return (value & UplinkPool.Mask) == UplinkPool.Network;
    }
}
