using System.Globalization;
using System.Net;

namespace Stratus.Runtime.Network;

/// <summary>An IPv4 block in CIDR notation, with the arithmetic VPC networking needs.</summary>
internal readonly record struct Ipv4Cidr(uint Network, int Prefix)
{
    public uint Mask => Prefix == 0 ? 0u : uint.MaxValue << (32 - Prefix);

    public static Ipv4Cidr Parse(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var address = Ipv4.Parse(slash < 0 ? cidr : cidr[..slash]);
        var prefix = slash < 0 ? 32 : int.Parse(cidr[(slash + 1)..], CultureInfo.InvariantCulture);
        if (prefix is < 0 or > 32)
        {
            throw new FormatException($"not an IPv4 CIDR block: {cidr}");
        }
        var block = new Ipv4Cidr(0, prefix);
        return block with { Network = address & block.Mask };
    }

    /// <summary>The address <paramref name="offset"/> past the network address.</summary>
    public string At(uint offset) => Ipv4.Format(Network + offset);

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Overlaps(Ipv4Cidr other)
    {
        var mask = Prefix < other.Prefix ? Mask : other.Mask;
        return (Network & mask) == (other.Network & mask);
    }

    public override string ToString() => $"{Ipv4.Format(Network)}/{Prefix}";
}

internal static class Ipv4
{
    public static uint Parse(string address)
    {
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new FormatException($"not an IPv4 address: {address}");
        }
        var bytes = ip.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}");

    public static string FormatMask(int prefix) => Format(prefix == 0 ? 0u : uint.MaxValue << (32 - prefix));
}
