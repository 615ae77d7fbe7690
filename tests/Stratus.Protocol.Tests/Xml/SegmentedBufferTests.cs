using System.Text;
using Xunit;

namespace Stratus.Protocol.Tests.Xml;

/// <summary>The pooled response buffer and the body it hands over: bytes in order, across segments, whatever writes them.</summary>
public sealed class SegmentedBufferTests
{
    [Fact]
    public void Body_HoldsWhatWasWritten_InSegments()
    {
        var random = new Random(20261207);
        var expected = new List<byte>();
        using var buffer = new SegmentedBuffer();
        for (var i = 0; i < 20_000; i++)
        {
            switch (random.Next(4))
            {
                case 0:
                    buffer.Write((byte)i);
                    expected.Add((byte)i);
                    break;
                case 1:
                    var bytes = new byte[random.Next(i % 1000 == 0 ? 200_000 : 40)];
                    random.NextBytes(bytes);
                    buffer.Write(bytes);
                    expected.AddRange(bytes);
                    break;
                case 2:
                    var text = string.Concat(Enumerable.Repeat("é日\U0001F600a", random.Next(i % 777 == 0 ? 30_000 : 10)));
                    buffer.WriteUtf8(text);
                    expected.AddRange(Encoding.UTF8.GetBytes(text));
                    break;
                default:
                    var span = buffer.GetSpan(random.Next(1, 300));
                    var n = random.Next(0, 300);
                    n = Math.Min(n, span.Length);
                    span[..n].Fill(7);
                    buffer.Advance(n);
                    expected.AddRange(Enumerable.Repeat((byte)7, n));
                    break;
            }
        }
        Assert.Equal(expected.Count, buffer.Length);
        Assert.Equal(expected.ToArray(), buffer.ToArray());
        using var body = buffer.ToBody();
        Assert.Equal(0, buffer.Length);
        Assert.Equal(expected.Count, body.Length);
        Assert.True(body.Segments.Count() > 1);
        Assert.Equal(expected.ToArray(), body.Segments.SelectMany(s => s.ToArray()).ToArray());
        Assert.Equal(expected.ToArray(), body.ToArray());
    }

    [Fact]
    public void UnpairedSurrogates_BecomeReplacementCharacters_AsEncodingDoes()
    {
        using var buffer = new SegmentedBuffer();
        var text = "a\uD800b" + new string('x', 70_000) + "\uDC00\U0001F600";
        buffer.WriteUtf8(text);
        Assert.Equal(Encoding.UTF8.GetBytes(text), buffer.ToArray());
    }

    [Fact]
    public async Task WriteToAsync_WritesEverySegment_AndADisposedBodyIsEmpty()
    {
        using var buffer = new SegmentedBuffer();
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251)).ToArray();
        buffer.Write(bytes);
        var body = buffer.ToBody();
        using var stream = new MemoryStream();
        await body.WriteToAsync(stream, CancellationToken.None);
        Assert.Equal(bytes, stream.ToArray());
        body.Dispose();
        body.Dispose();
        Assert.Empty(body.Segments);
    }

    [Fact]
    public void EmptyBuffer_GivesTheEmptyBody()
    {
        using var buffer = new SegmentedBuffer();
        Assert.Same(WireBody.Empty, buffer.ToBody());
        WireBody array = new byte[] { 1, 2, 3 };
        Assert.Equal([1, 2, 3], array.ToArray());
        Assert.Single(array.Segments);
    }

    [Fact]
    public void CopyFrom_IsWhatWasWrittenSinceThatLength_AcrossSegments()
    {
        var random = new Random(1207);
        var expected = new List<byte>();
        using var buffer = new SegmentedBuffer();
        for (var i = 0; i < 600; i++)
        {
            var start = buffer.Length;
            Assert.Equal(expected.Count, start);
            // Pieces of a few bytes to several segments, so starts fall anywhere in a segment.
            var bytes = new byte[random.Next(i % 50 == 0 ? 150_000 : 5_000)];
            random.NextBytes(bytes);
            foreach (var chunk in bytes.Chunk(1 + random.Next(700)))
            {
                buffer.Write(chunk);
            }
            expected.AddRange(bytes);
            Assert.Equal(bytes, buffer.CopyFrom(start));
            var back = expected.Count - random.Next(Math.Min(expected.Count, 300_000) + 1);
            Assert.Equal(expected.GetRange(back, expected.Count - back).ToArray(), buffer.CopyFrom(back));
        }
        Assert.Equal(expected.ToArray(), buffer.CopyFrom(0));
        Assert.Empty(buffer.CopyFrom(buffer.Length));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(buffer.Length + 1));
    }
}
