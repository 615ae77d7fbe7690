using System.Text;
using Stratus.Core;

namespace Stratus.Domain.Filtering;

/// <summary>A page of results and the token for the next one (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextToken);

/// <summary>
/// MaxResults/NextToken paging over results in a stable order. The token is opaque to clients:
/// it names the last key returned, so a page stays correct when items before it are deleted.
/// Without MaxResults everything is returned, as EC2 does for its older Describe operations.
/// </summary>
public static class Paginator
{
    private const string Prefix = "stratus1:";

    /// <remarks>
    /// Many operations declare MaxResults as a plain integer in the model and document its range
    /// only in prose (5 to 1000 for most Describe operations), so the range is checked here too.
    /// </remarks>
    public static Page<T> Paginate<T>(IEnumerable<T> ordered, Func<T, string> key, int? maxResults, string? nextToken, int minResults = 5, int maxAllowed = 1000)
    {
        CheckMaxResults(maxResults, minResults, maxAllowed);
        var items = ordered;
        if (!string.IsNullOrEmpty(nextToken))
        {
            var after = DecodeToken(nextToken);
            items = items.Where(i => string.CompareOrdinal(key(i), after) > 0);
        }
        if (maxResults is not { } max)
        {
            return new Page<T>(items.ToList(), null);
        }
        var page = items.Take(max + 1).ToList();
        if (page.Count <= max)
        {
            return new Page<T>(page, null);
        }
        page.RemoveAt(page.Count - 1);
        return new Page<T>(page, EncodeToken(key(page[^1])));
    }

    /// <summary>Refuses a MaxResults outside <paramref name="minResults"/>..<paramref name="maxAllowed"/>, as <see cref="Paginate"/> does.</summary>
    public static void CheckMaxResults(int? maxResults, int minResults = 5, int maxAllowed = 1000)
    {
        if (maxResults is { } requested && (requested < minResults || requested > maxAllowed))
        {
            throw AwsErrors.InvalidParameterValue($"Value ( {requested} ) for parameter maxResults is invalid. Expecting a value between {minResults} and {maxAllowed}.");
        }
    }

    /// <summary>
    /// One page read by key from a source ordered by key (a keyset scan of the store): the same page
    /// and token as <see cref="Paginate"/> over the whole source, reading only from the token's key
    /// on. <paramref name="read"/> gets the key to read after (null: from the start) and how many
    /// items to read, and returns the items it read (their last key is where the next read starts)
    /// with those of them that match; fewer items than asked for means the end.
    /// </summary>
    public static async Task<Page<T>> PageAsync<TStored, T>(
        Func<string?, int, Task<(IReadOnlyList<TStored> Read, IEnumerable<T> Matches)>> read,
        Func<TStored, string> storedKey,
        Func<T, string> key,
        int maxResults,
        string? nextToken,
        int minResults = 5,
        int maxAllowed = 1000)
    {
        ArgumentNullException.ThrowIfNull(read);
        CheckMaxResults(maxResults, minResults, maxAllowed);
        var after = string.IsNullOrEmpty(nextToken) ? null : DecodeToken(nextToken);
        var matched = new List<T>(maxResults + 1);
        // One more than a page, to know whether another follows.
        var chunk = maxResults + 1;
        while (matched.Count <= maxResults)
        {
            var (batch, matches) = await read(after, chunk).ConfigureAwait(false);
            matched.AddRange(matches);
            if (batch.Count < chunk)
            {
                break;
            }
            after = storedKey(batch[^1]);
        }
        if (matched.Count <= maxResults)
        {
            return new Page<T>(matched, null);
        }
        matched.RemoveRange(maxResults, matched.Count - maxResults);
        return new Page<T>(matched, EncodeToken(key(matched[^1])));
    }

    /// <summary>EC2 refuses explicit ids together with MaxResults on most Describe operations.</summary>
    public static void RejectIdsWithMaxResults(IReadOnlyCollection<string>? ids, int? maxResults, string idsParameter)
    {
        if (ids is { Count: > 0 } && maxResults is not null)
        {
            throw AwsErrors.InvalidParameterCombination($"The parameter {idsParameter} cannot be used with the parameter maxResults");
        }
    }

    private static string EncodeToken(string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + lastKey));

    private static string DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return text[Prefix.Length..];
            }
        }
        catch (FormatException)
        {
        }
        throw AwsErrors.InvalidPaginationToken(token);
    }
}
