using System.Buffers;
using System.Text;

namespace Stratus.Protocol.Xml;

/// <summary>
/// A response document written straight to UTF-8 in pooled 64 KiB chunks: a large response
/// (thousands of instances) is never held as a string or a growing array, and the only
/// allocation of its size is the final body (<see cref="ToArray"/>). Text is escaped as
/// <see cref="XmlText.AppendEscaped"/> escapes it. Not thread-safe; dispose to return the chunks.
/// </summary>
public sealed class Utf8XmlBuffer : IDisposable
{
    private const int ChunkSize = 64 * 1024;
    private readonly List<(byte[] Chunk, int Length)> _full = [];
    private byte[] _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _position;

    /// <summary>Bytes written so far.</summary>
    public long Length
    {
        get
        {
            long length = _position;
            foreach (var (_, used) in _full)
            {
                length += used;
            }
            return length;
        }
    }

    /// <summary>Room for at least <paramref name="size"/> bytes (at most a chunk) in the current chunk.</summary>
    private Span<byte> Reserve(int size)
    {
        if (_current.Length - _position < size)
        {
            _full.Add((_current, _position));
            _current = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, size));
            _position = 0;
        }
        return _current.AsSpan(_position);
    }

    public void Write(byte value)
    {
        Reserve(1)[0] = value;
        _position++;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var room = Reserve(Math.Min(bytes.Length, ChunkSize));
            var n = Math.Min(room.Length, bytes.Length);
            bytes[..n].CopyTo(room);
            _position += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes markup (element names, declarations) as it is: no escaping.</summary>
    public void WriteRaw(string text) => WriteUtf8(text.AsSpan());

    /// <summary>Writes element text, escaped.</summary>
    public void WriteEscaped(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            ReadOnlySpan<byte> replacement;
            if (c < 0x20)
            {
                if (c is '\t' or '\n')
                {
                    continue;
                }
                replacement = c == '\r' ? "&#xD;"u8 : "\uFFFD"u8;
            }
            else if (c >= 0xD800)
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                if (!char.IsSurrogate(c) && c is not ('\uFFFE' or '\uFFFF'))
                {
                    continue;
                }
                replacement = "\uFFFD"u8;
            }
            else
            {
                switch (c)
                {
                    case '&':
                        replacement = "&amp;"u8;
                        break;
                    case '<':
                        replacement = "&lt;"u8;
                        break;
                    case '>':
                        replacement = "&gt;"u8;
                        break;
                    case '"':
                        replacement = "&quot;"u8;
                        break;
                    default:
                        continue;
                }
            }
            WriteUtf8(text.AsSpan(start, i - start));
            Write(replacement);
            start = i + 1;
        }
        WriteUtf8(text.AsSpan(start));
    }

    /// <summary>Encodes well-formed text (surrogates paired) to UTF-8, a piece at a time.</summary>
    private void WriteUtf8(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            // At most 3 bytes per UTF-16 code unit; never split a surrogate pair.
            var take = Math.Min(text.Length, 4096);
            if (take < text.Length && char.IsHighSurrogate(text[take - 1]))
            {
                take--;
            }
            var room = Reserve(take * 3);
            _position += Encoding.UTF8.GetBytes(text[..take], room);
            text = text[take..];
        }
    }

    /// <summary>The document as one array of its exact length.</summary>
    public byte[] ToArray()
    {
        var result = GC.AllocateUninitializedArray<byte>(checked((int)Length));
        var offset = 0;
        foreach (var (chunk, used) in _full)
        {
            chunk.AsSpan(0, used).CopyTo(result.AsSpan(offset));
            offset += used;
        }
        _current.AsSpan(0, _position).CopyTo(result.AsSpan(offset));
        return result;
    }

    public void Dispose()
    {
        foreach (var (chunk, _) in _full)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        _full.Clear();
        if (_current.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = [];
        }
    }
}
