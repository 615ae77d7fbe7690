using System.Globalization;
using System.Text;
using Stratus.Domain.Store;

namespace Stratus.Store.Sqlite;

/// <summary>
/// A resource's index entries as kept in its row (<c>resources.index_entries</c>): each name and
/// value as its length in UTF-16 code units, a colon, and the text (<c>19:instance-state-name7:running</c>),
/// so any text fits without escaping. The empty string is no entries.
/// </summary>
internal static class IndexEntryText
{
    public static string Encode(IReadOnlyCollection<IndexEntry> entries)
    {
        if (entries.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var entry in entries)
        {
            Append(text, entry.Name);
            Append(text, entry.Value);
        }

        return text.ToString();
    }

    public static List<IndexEntry> Decode(string text)
    {
        var entries = new List<IndexEntry>();
        var at = 0;
        while (at < text.Length)
        {
            var name = Next(text, ref at);
            var value = Next(text, ref at);
            entries.Add(new IndexEntry(name, value));
        }

        return entries;
    }

    private static void Append(StringBuilder text, string part) =>
        text.Append(part.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(part);

    private static string Next(string text, ref int at)
    {
        var colon = text.IndexOf(':', at);
        if (colon < 0 || !int.TryParse(text.AsSpan(at, colon - at), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || colon + 1 + length > text.Length)
        {
            throw new InvalidDataException($"A resource's stored index entries are malformed at offset {at}.");
        }

        at = colon + 1 + length;
        return text.Substring(colon + 1, length);
    }
}
