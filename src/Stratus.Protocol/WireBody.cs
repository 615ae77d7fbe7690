using System.Buffers;

namespace Stratus.Protocol;

/// <summary>
/// The body of a <see cref="WireResponse"/>: either one array, or the pooled segments a codec
/// wrote it into (<see cref="SegmentedBuffer"/>), which the gateway writes to the HTTP response one
/// segment at a time. A large response (DescribeInstances of 10,000 instances, ~38 MB) is thus
/// never copied into one array of its size. Dispose returns the pooled segments; after that the
/// body must not be read. <see cref="ToArray"/> copies it (idempotency records, tests).
/// </summary>
public sealed class WireBody : IDisposable
{
    private readonly ReadOnlyMemory<byte> _single;
    private (byte[] Array, int Length)[]? _pooled;

    private WireBody(ReadOnlyMemory<byte> single)
    {
        _single = single;
        Length = single.Length;
    }

    private WireBody((byte[] Array, int Length)[] pooled, long length)
    {
        _pooled = pooled;
        Length = length;
    }

    /// <summary>An empty body.</summary>
    public static WireBody Empty { get; } = new(ReadOnlyMemory<byte>.Empty);

    /// <summary>Bytes in the body.</summary>
    public long Length { get; }

    /// <summary>A body of <paramref name="bytes"/>, not copied (the caller must not change them).</summary>
    public static WireBody Of(ReadOnlyMemory<byte> bytes) => new(bytes);

    public static implicit operator WireBody(byte[] bytes) => new(bytes);

    /// <summary>Takes ownership of pooled segments (returned to <see cref="ArrayPool{T}.Shared"/> on dispose).</summary>
    internal static WireBody OfPooled((byte[] Array, int Length)[] segments, long length) => new(segments, length);

    /// <summary>The body's bytes, in order, a segment at a time.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Segments
    {
        get
        {
            if (_pooled is not { } pooled)
            {
                if (!_single.IsEmpty)
                {
                    yield return _single;
                }
                yield break;
            }
            foreach (var (array, length) in pooled)
            {
                if (length > 0)
                {
                    yield return array.AsMemory(0, length);
                }
            }
        }
    }

    /// <summary>A copy of the body as one array.</summary>
    public byte[] ToArray()
    {
        if (_pooled is not { } pooled)
        {
            return _single.ToArray();
        }
        var result = GC.AllocateUninitializedArray<byte>(checked((int)Length));
        var offset = 0;
        foreach (var (array, length) in pooled)
        {
            array.AsSpan(0, length).CopyTo(result.AsSpan(offset));
            offset += length;
        }
        return result;
    }

    /// <summary>Writes the body to <paramref name="destination"/>, segment by segment.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var segment in Segments)
        {
            await destination.WriteAsync(segment, ct).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } pooled)
        {
            // A disposed pooled body reads as empty: never as bytes the pool handed to someone else.
            foreach (var (array, _) in pooled)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}
