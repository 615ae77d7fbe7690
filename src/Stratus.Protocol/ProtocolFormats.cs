using System.Globalization;

namespace Stratus.Protocol;

/// <summary>Scalar wire formats shared by AWS's query, EC2 and XML protocols.</summary>
public static class ProtocolFormats
{
    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm'Z'",
        "yyyy-MM-dd",
        "r",
    ];

    /// <summary>Formats a timestamp as AWS's XML responses do: UTC, milliseconds, <c>Z</c>.</summary>
    public static string FormatTimestamp(DateTime value) =>
        value.ToUniversalTime().ToString(TimestampFormat, CultureInfo.InvariantCulture);

    /// <summary><see cref="FormatTimestamp"/> as UTF-8 into <paramref name="destination"/>; false when it has no room.</summary>
    public static bool TryFormatTimestamp(DateTime value, Span<byte> destination, out int written) =>
        value.ToUniversalTime().TryFormat(destination, out written, TimestampFormat, CultureInfo.InvariantCulture);

    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Parses ISO 8601 (what SDKs send) or epoch seconds, into a UTC <see cref="DateTime"/>.</summary>
    public static bool TryParseTimestamp(string text, out DateTime value)
    {
        if (DateTime.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value))
        {
            value = DateTime.SpecifyKind(value, DateTimeKind.Utc);
            return true;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds)
            && seconds is > -62135596800 and < 253402300799)
        {
            value = DateTime.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            return true;
        }
        value = default;
        return false;
    }

    public static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string FormatFloat(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
