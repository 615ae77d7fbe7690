using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Stratus.Domain.KeyPairs;

/// <summary>Writes the SSH wire encoding of RFC 4251 §5: uint32, string and mpint.</summary>
internal sealed class SshWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int Length => _buffer.WrittenCount;

    public SshWriter UInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public SshWriter String(ReadOnlySpan<byte> value)
    {
        UInt32((uint)value.Length);
        _buffer.Write(value);
        return this;
    }

    public SshWriter String(string value) => String(Encoding.ASCII.GetBytes(value));

    /// <summary>A non-negative integer given as unsigned big-endian bytes.</summary>
    public SshWriter MPInt(ReadOnlySpan<byte> unsignedBigEndian)
    {
        var value = unsignedBigEndian.TrimStart((byte)0);
        if (value.Length > 0 && (value[0] & 0x80) != 0)
        {
            UInt32((uint)value.Length + 1);
            _buffer.Write([(byte)0]);
            _buffer.Write(value);
        }
        else
        {
            String(value);
        }
        return this;
    }

    public SshWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// <summary>Reads the SSH wire encoding; any overrun is a <see cref="FormatException"/>.</summary>
internal sealed class SshReader(byte[] data)
{
    private int _offset;

    public bool AtEnd => _offset == data.Length;

    public uint UInt32()
    {
        if (data.Length - _offset < 4)
        {
            throw new FormatException("truncated SSH data");
        }
        var value = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_offset, 4));
        _offset += 4;
        return value;
    }

    public byte[] String()
    {
        var length = UInt32();
        if (length > (uint)(data.Length - _offset))
        {
            throw new FormatException("truncated SSH string");
        }
        var value = data.AsSpan(_offset, (int)length).ToArray();
        _offset += (int)length;
        return value;
    }

    public string AsciiString() => Encoding.ASCII.GetString(String());

    /// <summary>A non-negative mpint, as unsigned big-endian bytes without leading zeros.</summary>
    public byte[] MPInt()
    {
        var value = String();
        if (value.Length > 0 && (value[0] & 0x80) != 0)
        {
            throw new FormatException("negative mpint");
        }
        return value.AsSpan().TrimStart((byte)0).ToArray();
    }
}
