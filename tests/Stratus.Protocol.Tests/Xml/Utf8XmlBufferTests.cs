using System.Text;
using Stratus.Protocol.Xml;
using Xunit;

namespace Stratus.Protocol.Tests.Xml;

/// <summary>The UTF-8 response buffer escapes exactly as <see cref="XmlText.AppendEscaped"/> does, across chunk boundaries.</summary>
public sealed class Utf8XmlBufferTests
{
    private static readonly string[] Pieces =
    [
        "a", "plain text ", "&", "<", ">", "\"", "'", "\r", "\n", "\t", "\u0001", "\u001f", "é", "€", "日本",
        "\U0001F600", "\uD83D", "\uDE00", "\uFFFE", "\uFFFF", "\uFFFD", "]]>",
    ];

    private static byte[] Expected(string text)
    {
        var sb = new StringBuilder();
        XmlText.AppendEscaped(sb, text);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public void WriteEscaped_MatchesTheStringEscaper_Randomized()
    {
        var random = new Random(20261206);
        for (var round = 0; round < 300; round++)
        {
            var sb = new StringBuilder();
            var count = random.Next(round % 50 == 0 ? 40_000 : 40);
            for (var i = 0; i < count; i++)
            {
                sb.Append(Pieces[random.Next(Pieces.Length)]);
            }
            var text = sb.ToString();
            using var buffer = new Utf8XmlBuffer();
            buffer.WriteEscaped(text);
            Assert.Equal(Expected(text), buffer.ToArray());
        }
    }

    [Fact]
    public void ManyWrites_SpanChunksInOrder()
    {
        using var buffer = new Utf8XmlBuffer();
        var expected = new List<byte>();
        for (var i = 0; i < 50_000; i++)
        {
            var text = "<item>" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "</item>";
            buffer.WriteRaw(text);
            expected.AddRange(Encoding.UTF8.GetBytes(text));
            buffer.Write((byte)'\n');
            expected.Add((byte)'\n');
        }
        Assert.Equal(expected.Count, buffer.Length);
        Assert.Equal(expected.ToArray(), buffer.ToArray());
    }
}
