using System.Numerics;

namespace Stratus.Domain.Addressing;

/// <summary>
/// Which addresses of a contiguous IPv4 range are taken: one bit per address. Finding the lowest
/// free address skips whole 64-address words that are full, so an allocation costs the size of the
/// range divided by 64 at worst, never the number of resources that exist.
/// </summary>
public sealed class AddressBitmap
{
    private readonly ulong[] _words;

    /// <param name="first">The range's first address (as a number).</param>
    /// <param name="size">How many addresses the range holds.</param>
    public AddressBitmap(uint first, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        First = first;
        Size = size;
        _words = new ulong[(size + 63) / 64];
    }

    public uint First { get; }

    public int Size { get; }

    /// <summary>How many addresses are taken.</summary>
    public int Used { get; private set; }

    public int Free => Size - Used;

    public bool Contains(uint address) => address - First < (uint)Size && address >= First;

    public bool IsUsed(uint address)
    {
        var offset = Offset(address);
        return (_words[offset >> 6] & (1UL << (offset & 63))) != 0;
    }

    /// <summary>Marks <paramref name="address"/> taken; false when it already was.</summary>
    public bool TryTake(uint address)
    {
        var offset = Offset(address);
        ref var word = ref _words[offset >> 6];
        var bit = 1UL << (offset & 63);
        if ((word & bit) != 0)
        {
            return false;
        }
        word |= bit;
        Used++;
        return true;
    }

    /// <summary>Marks <paramref name="address"/> free; false when it already was.</summary>
    public bool Release(uint address)
    {
        var offset = Offset(address);
        ref var word = ref _words[offset >> 6];
        var bit = 1UL << (offset & 63);
        if ((word & bit) == 0)
        {
            return false;
        }
        word &= ~bit;
        Used--;
        return true;
    }

    /// <summary>The lowest free address at or after <paramref name="from"/> (within the range), or null.</summary>
    public uint? NextFree(uint from)
    {
        if (!Contains(from))
        {
            return null;
        }
        var offset = (int)(from - First);
        for (var index = offset >> 6; index < _words.Length; index++)
        {
            var free = ~_words[index];
            if (index == offset >> 6)
            {
                free &= ulong.MaxValue << (offset & 63);
            }
            if (free != 0)
            {
                var found = (index << 6) + BitOperations.TrailingZeroCount(free);
                return found < Size ? First + (uint)found : null;
            }
        }
        return null;
    }

    /// <summary>The bitmap as bytes (for a stored document).</summary>
    public string ToBase64()
    {
        var bytes = new byte[_words.Length * 8];
        for (var i = 0; i < _words.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), _words[i]);
        }
        return Convert.ToBase64String(bytes);
    }

    /// <summary>A bitmap read back from <see cref="ToBase64"/>.</summary>
    public static AddressBitmap FromBase64(uint first, int size, string base64)
    {
        var bitmap = new AddressBitmap(first, size);
        var bytes = Convert.FromBase64String(base64);
        for (var i = 0; i < bitmap._words.Length && (i * 8) + 8 <= bytes.Length; i++)
        {
            bitmap._words[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 8));
            bitmap.Used += BitOperations.PopCount(bitmap._words[i]);
        }
        return bitmap;
    }

    private int Offset(uint address) => Contains(address)
        ? (int)(address - First)
        : throw new ArgumentOutOfRangeException(nameof(address), Ipv4Text(address), "outside the range");

    private static string Ipv4Text(uint n) => $"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";
}
