using System.Buffers;
using System.Text.Unicode;

namespace Stratus.Protocol;

/// <summary>
/// Where every codec writes a response body: pooled 64 KiB segments (an
/// <see cref="IBufferWriter{T}"/>, so <c>Utf8JsonWriter</c> writes here too) that
/// <see cref="ToBody"/> hands to a <see cref="WireBody"/> without copying. A large response is
/// never held as a string or one array of its size. Not thread-safe; dispose returns the segments
/// unless a body took them.
/// </summary>
public class SegmentedBuffer : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 64 * 1024;
    private readonly List<(byte[] Array, int Length)> _full = [];
    private byte[] _current = ArrayPool<byte>.Shared.Rent(SegmentSize);
    private int _position;
    private long _fullLength;

    /// <summary>Bytes written so far.</summary>
    public long Length => _fullLength + _position;

    /// <summary>Room for at least <paramref name="sizeHint"/> bytes in the current segment (a new one if it has less).</summary>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        // Reserve first: it may move on to a new segment.
        var at = Reserve(sizeHint);
        return _current.AsSpan(at);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var at = Reserve(sizeHint);
        return _current.AsMemory(at);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _current.Length - _position);
        _position += count;
    }

    private int Reserve(int size)
    {
        size = Math.Max(size, 1);
        if (_current.Length - _position < size)
        {
            NextSegment(size);
        }
        return _position;
    }

    private void NextSegment(int size)
    {
        if (_position > 0)
        {
            _full.Add((_current, _position));
            _fullLength += _position;
        }
        else if (_current.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_current);
        }
        _current = ArrayPool<byte>.Shared.Rent(Math.Max(SegmentSize, size));
        _position = 0;
    }

    public void Write(byte value)
    {
        if (_position == _current.Length)
        {
            NextSegment(1);
        }
        _current[_position++] = value;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (true)
        {
            var room = _current.Length - _position;
            if (bytes.Length <= room)
            {
                bytes.CopyTo(_current.AsSpan(_position));
                _position += bytes.Length;
                return;
            }
            bytes[..room].CopyTo(_current.AsSpan(_position));
            _position += room;
            bytes = bytes[room..];
            NextSegment(1);
        }
    }

    /// <summary>Encodes text to UTF-8 (an unpaired surrogate becomes U+FFFD), across segments as needed.</summary>
    public void WriteUtf8(ReadOnlySpan<char> text)
    {
        while (true)
        {
            var status = Utf8.FromUtf16(text, _current.AsSpan(_position), out var read, out var written, replaceInvalidSequences: true, isFinalBlock: true);
            _position += written;
            if (status != OperationStatus.DestinationTooSmall)
            {
                return;
            }
            text = text[read..];
            // A scalar needs at most 4 bytes: a fresh segment always takes some.
            NextSegment(4);
        }
    }

    /// <summary>The written bytes as a body that owns the segments; this buffer is empty afterwards.</summary>
    public WireBody ToBody()
    {
        var length = Length;
        if (length == 0)
        {
            return WireBody.Empty;
        }
        var segments = new (byte[] Array, int Length)[_full.Count + 1];
        _full.CopyTo(segments);
        segments[^1] = (_current, _position);
        _full.Clear();
        _fullLength = 0;
        _current = [];
        _position = 0;
        return WireBody.OfPooled(segments, length);
    }

    /// <summary>A copy of the bytes written from position <paramref name="start"/> (an earlier <see cref="Length"/>) to now.</summary>
    public byte[] CopyFrom(long start)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, Length);
        var result = GC.AllocateUninitializedArray<byte>(checked((int)(Length - start)));
        // From the end back: a recent start lies in the last segment or two, whatever was written before.
        var first = _full.Count;
        var at = _fullLength;
        while (first > 0 && at > start)
        {
            first--;
            at -= _full[first].Length;
        }
        var offset = 0;
        for (var k = first; k < _full.Count; k++)
        {
            var (array, used) = _full[k];
            var from = (int)Math.Max(0, start - at);
            array.AsSpan(from, used - from).CopyTo(result.AsSpan(offset));
            offset += used - from;
            at += used;
        }
        var fromCurrent = (int)Math.Max(0, start - at);
        _current.AsSpan(fromCurrent, _position - fromCurrent).CopyTo(result.AsSpan(offset));
        return result;
    }

    /// <summary>A copy of the written bytes as one array.</summary>
    public byte[] ToArray()
    {
        var result = GC.AllocateUninitializedArray<byte>(checked((int)Length));
        var offset = 0;
        foreach (var (array, used) in _full)
        {
            array.AsSpan(0, used).CopyTo(result.AsSpan(offset));
            offset += used;
        }
        _current.AsSpan(0, _position).CopyTo(result.AsSpan(offset));
        return result;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        foreach (var (array, _) in _full)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        _full.Clear();
        _fullLength = 0;
        if (_current.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = [];
        }
        _position = 0;
    }
}
