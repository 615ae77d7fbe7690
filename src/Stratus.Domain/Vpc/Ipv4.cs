using System.Globalization;

namespace Stratus.Domain.Vpc;

/// <summary>An IPv4 address block in CIDR notation (<c>10.0.0.0/16</c>).</summary>
public readonly record struct Ipv4Cidr(uint Network, int PrefixLength)
{
    /// <summary>How many addresses the block holds.</summary>
    public long Size => 1L << (32 - PrefixLength);

    public uint Mask => PrefixLength == 0 ? 0u : uint.MaxValue << (32 - PrefixLength);

    public uint Last => Network | ~Mask;

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Contains(Ipv4Cidr other) => other.PrefixLength >= PrefixLength && Contains(other.Network);

    public bool Overlaps(Ipv4Cidr other) => Contains(other.Network) || other.Contains(Network);

    public override string ToString() => Ipv4.Format(Network) + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses <c>a.b.c.d/n</c>. Only a network address is accepted (no host bits set), as EC2
    /// requires for VPC and subnet blocks.
    /// </summary>
    public static bool TryParse(string? text, out Ipv4Cidr cidr)
    {
        cidr = default;
        if (text is null)
        {
            return false;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ipv4.TryParse(text[..slash], out var address))
        {
            return false;
        }
        var bits = text[(slash + 1)..];
        if (bits.Length is 0 or > 2 || !bits.All(char.IsAsciiDigit) || !int.TryParse(bits, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
        {
            return false;
        }
        var candidate = new Ipv4Cidr(address, prefix);
        if ((address & candidate.Mask) != address)
        {
            return false;
        }
        cidr = candidate;
        return true;
    }

    public static Ipv4Cidr Parse(string text) =>
        TryParse(text, out var cidr) ? cidr : throw new FormatException($"not an IPv4 CIDR block: {text}");
}

/// <summary>Dotted-quad IPv4 addresses as 32-bit numbers.</summary>
public static class Ipv4
{
    public static bool TryParse(string? text, out uint address)
    {
        address = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }
            var octet = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (octet > 255)
            {
                return false;
            }
            address = (address << 8) | (uint)octet;
        }
        return true;
    }

    public static string Format(uint address) => string.Create(CultureInfo.InvariantCulture,
        $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}");
}
