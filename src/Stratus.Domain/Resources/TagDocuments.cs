using System.Text;
using System.Text.Json;

namespace Stratus.Domain.Resources;

/// <summary>
/// The tags of a stored resource document, read and replaced in the JSON text itself: the
/// document's top-level <c>tags</c> member is found by a forward scan that skips every other
/// member unparsed, and the new tags are spliced in its place. A tag edit (CreateTags,
/// DeleteTags on up to 1,000 resources) then costs what the tags weigh, not what the whole
/// document does: nothing else of it is decoded into objects or serialised again.
/// </summary>
public static class TagDocuments
{
    private static ReadOnlySpan<byte> TagsMember => "tags"u8;

    /// <summary>A document's tags and where they lie in its UTF-8 text.</summary>
    public sealed class Located
    {
        internal Located(byte[] utf8, List<Tag> tags, int start, int end, bool empty)
        {
            Utf8 = utf8;
            Tags = tags;
            Start = start;
            End = end;
            Empty = empty;
        }

        internal byte[] Utf8 { get; }

        /// <summary>The document's tags, in stored order (empty when it has none or no <c>tags</c> member).</summary>
        public List<Tag> Tags { get; }

        /// <summary>Where the <c>tags</c> value starts; when the member is missing, where the object's closing brace is.</summary>
        internal int Start { get; }

        /// <summary>Where the <c>tags</c> value ends (exclusive); -1 when the member is missing.</summary>
        internal int End { get; }

        /// <summary>True when the object has no members at all.</summary>
        internal bool Empty { get; }
    }

    /// <summary>Finds the tags of <paramref name="document"/>, a JSON object.</summary>
    /// <exception cref="JsonException">The document is not a JSON object, or its tags are not a list of tags.</exception>
    public static Located Locate(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var utf8 = Encoding.UTF8.GetBytes(document);
        return LocateLast(utf8) ?? LocateByScan(utf8);
    }

    /// <summary>
    /// The tags when they are the object's last member, as the stored documents write them:
    /// <c>,"tags":</c> (or <c>{"tags":</c> at the start) whose value is followed by nothing but
    /// the brace that ends the document. That brace closes the top-level object, so the member
    /// is one of its own (in valid JSON an unescaped quote after a comma starts a member name);
    /// the document's other members are not read at all. Null when the document is not so.
    /// </summary>
    private static Located? LocateLast(byte[] utf8)
    {
        var end = utf8.Length - 1;
        while (end > 0 && utf8[end] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            end--;
        }
        if (end < 1 || utf8[end] != (byte)'}')
        {
            return null;
        }
        var at = utf8.AsSpan(0, end).LastIndexOf(",\"tags\":"u8);
        if (at < 0 && !utf8.AsSpan().StartsWith("{\"tags\":"u8))
        {
            return null;
        }
        var start = (at < 0 ? 0 : at) + 8;
        if (start >= end || utf8[start] is not ((byte)'[' or (byte)'n'))
        {
            return null;
        }
        var reader = new Utf8JsonReader(utf8.AsSpan(start, end - start));
        List<Tag> tags;
        try
        {
            if (!reader.Read())
            {
                return null;
            }
            tags = reader.TokenType == JsonTokenType.Null ? [] : JsonSerializer.Deserialize<List<Tag>>(ref reader, ResourceStore.Json) ?? [];
        }
        catch (JsonException)
        {
            return null;
        }
        var valueEnd = start + (int)reader.BytesConsumed;
        for (var i = valueEnd; i < end; i++)
        {
            if (utf8[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return null;
            }
        }
        return new Located(utf8, tags, start, valueEnd, empty: false);
    }

    /// <summary>The tags found by reading the document's members in order, skipping every other one unparsed.</summary>
    private static Located LocateByScan(byte[] utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A resource document is a JSON object.");
        }
        var members = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return new Located(utf8, [], (int)reader.TokenStartIndex, -1, members == 0);
            }
            members++;
            var isTags = reader.ValueTextEquals(TagsMember);
            if (!reader.Read())
            {
                break;
            }
            if (!isTags)
            {
                reader.Skip();
                continue;
            }
            var start = (int)reader.TokenStartIndex;
            var tags = reader.TokenType == JsonTokenType.Null ? [] : JsonSerializer.Deserialize<List<Tag>>(ref reader, ResourceStore.Json) ?? [];
            return new Located(utf8, tags, start, (int)reader.BytesConsumed, empty: false);
        }
        throw new JsonException("A resource document ends before its object does.");
    }

    /// <summary>
    /// The document <paramref name="located"/> was found in, with <paramref name="tags"/> in place
    /// of its tags (added as the last member when it had no <c>tags</c> member); every other byte
    /// of it as it was.
    /// </summary>
    public static string With(Located located, IReadOnlyList<Tag> tags)
    {
        ArgumentNullException.ThrowIfNull(located);
        ArgumentNullException.ThrowIfNull(tags);
        var value = JsonSerializer.SerializeToUtf8Bytes(tags, ResourceStore.Json);
        var utf8 = located.Utf8;
        if (located.End >= 0)
        {
            var length = located.Start + value.Length + (utf8.Length - located.End);
            var result = new byte[length];
            utf8.AsSpan(0, located.Start).CopyTo(result);
            value.CopyTo(result.AsSpan(located.Start));
            utf8.AsSpan(located.End).CopyTo(result.AsSpan(located.Start + value.Length));
            return Encoding.UTF8.GetString(result);
        }
        // No tags member: appended before the closing brace.
        var builder = new List<byte>(utf8.Length + value.Length + 8);
        builder.AddRange(utf8.AsSpan(0, located.Start));
        if (!located.Empty)
        {
            builder.Add((byte)',');
        }
        builder.AddRange("\"tags\":"u8);
        builder.AddRange(value);
        builder.AddRange(utf8.AsSpan(located.Start));
        return Encoding.UTF8.GetString(builder.ToArray());
    }
}
