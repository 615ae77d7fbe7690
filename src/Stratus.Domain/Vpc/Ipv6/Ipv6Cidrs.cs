using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Domain.Vpc.Ipv6;

/// <summary>An IPv6 block of a VPC (a /56) or of a subnet (a /64).</summary>
public sealed class Ipv6CidrAssociation
{
    public required string AssociationId { get; init; }
    public required string Ipv6CidrBlock { get; init; }
    public string State { get; set; } = "associated";

    /// <summary><c>Amazon</c> for Amazon-provided blocks (VPCs only).</summary>
    public string? Ipv6Pool { get; init; }

    /// <summary>Where the block is advertised from (the region for Amazon-provided blocks; VPCs only).</summary>
    public string? NetworkBorderGroup { get; init; }
}

/// <summary>
/// IPv6 arithmetic for VPCs: Amazon-provided /56 blocks come from <see cref="AmazonPool"/>, the
/// IPv6 documentation prefix (RFC 3849), so they never collide with a real network the host can
/// reach; each VPC's /56 is derived from a hash of its account, region and id (then the next free
/// one), subnets take /64s inside it, and interfaces random addresses inside those.
/// </summary>
public static class Ipv6Cidrs
{
    /// <summary>The pool Stratus hands Amazon-provided IPv6 blocks from (2^24 /56 blocks).</summary>
    public const string AmazonPool = "2001:db8::/32";

    /// <summary>The length of an Amazon-provided VPC block and of a subnet block.</summary>
    public const int VpcPrefix = 56, SubnetPrefix = 64;

    private static readonly UInt128 PoolBase = ToNumber(IPAddress.Parse("2001:db8::"));

    /// <summary>Parses an IPv6 CIDR whose host bits are clear.</summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        // A block names its network address: "2001:db8::1/64" has host bits set and is not a block.
        return text is not null && text.Contains(':', StringComparison.Ordinal)
            && IPNetwork.TryParse(text, out network) && network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6
            && IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? slash : text.Length), out var given)
            && given.Equals(network.BaseAddress);
    }

    /// <summary>Parses an IPv6 address (no zone, no CIDR).</summary>
    public static bool TryParseAddress(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text is null || !text.Contains(':', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }
        if (!IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        address = parsed;
        return true;
    }

    public static UInt128 ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(0, 8)), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8, 8)));
    }

    public static IPAddress FromNumber(UInt128 value)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(0, 8), (ulong)(value >> 64));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8, 8), (ulong)value);
        return new IPAddress(bytes);
    }

    /// <summary>True when <paramref name="outer"/> contains all of <paramref name="inner"/>.</summary>
    public static bool Contains(IPNetwork outer, IPNetwork inner) =>
        inner.PrefixLength >= outer.PrefixLength && outer.Contains(inner.BaseAddress);

    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    /// <summary>The <paramref name="index"/>-th /56 of the pool (0 ≤ index &lt; 2^24).</summary>
    public static string VpcBlock(uint index) =>
        new IPNetwork(FromNumber(PoolBase + ((UInt128)(index & 0xFFFFFF) << (128 - VpcPrefix))), VpcPrefix).ToString();

    /// <summary>Where a VPC's /56 search starts: a hash of its account, region and id.</summary>
    public static uint PreferredIndex(string accountId, string region, string vpcId) =>
        BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{accountId}/{region}/{vpcId}")), 0) & 0xFFFFFF;

    /// <summary>The first free /56 from the preferred index on, skipping <paramref name="taken"/>.</summary>
    public static string AllocateVpcBlock(uint preferred, IReadOnlySet<string> taken)
    {
        for (uint i = 0; i < 0x1000000; i++)
        {
            var block = VpcBlock((preferred + i) & 0xFFFFFF);
            if (!taken.Contains(block))
            {
                return block;
            }
        }
        throw new InvalidOperationException("The IPv6 pool is exhausted.");
    }

    /// <summary>The subnet router's address: the /64's first address after the network's (…::1).</summary>
    public static string Router(string subnetCidr)
    {
        var network = IPNetwork.Parse(subnetCidr);
        return FromNumber(ToNumber(network.BaseAddress) + 1).ToString();
    }

    /// <summary>
    /// True when <paramref name="address"/> may be given to an interface of <paramref name="subnet"/>:
    /// inside it and not one of the four first addresses or the last, which AWS reserves.
    /// </summary>
    public static bool Assignable(IPNetwork subnet, IPAddress address)
    {
        if (!subnet.Contains(address))
        {
            return false;
        }
        var offset = ToNumber(address) - ToNumber(subnet.BaseAddress);
        var last = (UInt128.One << (128 - subnet.PrefixLength)) - 1;
        return offset >= 4 && offset != last;
    }

    /// <summary>A random assignable address of <paramref name="subnet"/> not in <paramref name="taken"/> (canonical text).</summary>
    public static string RandomAddress(IPNetwork subnet, ISet<string> taken)
    {
        var hostBits = 128 - subnet.PrefixLength;
        var mask = hostBits >= 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        Span<byte> random = stackalloc byte[16];
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            RandomNumberGenerator.Fill(random);
            var host = new UInt128(BitConverter.ToUInt64(random[..8]), BitConverter.ToUInt64(random[8..])) & mask;
            var address = FromNumber(ToNumber(subnet.BaseAddress) + host);
            var text = address.ToString();
            if (Assignable(subnet, address) && !taken.Contains(text))
            {
                return text;
            }
        }
        throw new InvalidOperationException($"No free IPv6 address in {subnet}.");
    }

    /// <summary>The canonical (compressed, lowercase) text of an IPv6 address.</summary>
    public static string Canonical(IPAddress address) => address.ToString();
}
