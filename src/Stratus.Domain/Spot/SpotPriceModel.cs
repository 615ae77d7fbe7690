using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Domain.Compute.InstanceTypes;

namespace Stratus.Domain.Spot;

/// <summary>
/// Stratus's Spot market: a deterministic price per (instance type, Availability Zone, product
/// description) that changes once per <see cref="Period"/>. Every server computes the same prices
/// for the same moment, so the history is reproducible and needs no storage.
/// <list type="bullet">
/// <item>The on-demand reference price of a type is <c>max(0.0208 × vCPUs, 0.0116 × GiB of memory)</c>
/// (close to AWS's us-east-1 Linux prices of the general-purpose families: m5.large 0.0928 here, 0.096 on AWS;
/// but burstable types cost more here: t3.micro 0.0416, 0.0104 on AWS), times the product's factor (Linux/UNIX 1, SUSE Linux 1.1, Red Hat 1.25,
/// Windows 1.8) and a regional factor (us-east-1, us-east-2, us-west-2: 1; others 1.1–1.2).</item>
/// <item>The Spot price in period <c>n</c> is the reference times
/// <c>0.30 + 0.08 × sin(2π (n + φ) / 24) + 0.04 × u(n)</c>: a daily wave with a phase φ and a noise
/// u ∈ [-1, 1] both drawn from a SHA-256 of (region, zone, type, product, n), so zones of one type
/// move differently. Prices are rounded to four decimals and stay between 20 % and 45 % of the
/// reference.</item>
/// </list>
/// </summary>
public static class SpotPriceModel
{
    public const string LinuxUnix = "Linux/UNIX";

    /// <summary>How long a price holds.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    /// <summary>How far back DescribeSpotPriceHistory reaches (AWS keeps 90 days).</summary>
    public static readonly TimeSpan HistoryDepth = TimeSpan.FromDays(90);

    /// <summary>The product descriptions a price exists for (<c>RIProductDescription</c> values AWS uses in Spot price history).</summary>
    public static IReadOnlyList<string> ProductDescriptions { get; } =
    [
        LinuxUnix, "Linux/UNIX (Amazon VPC)", "SUSE Linux", "SUSE Linux (Amazon VPC)",
        "Red Hat Enterprise Linux", "Red Hat Enterprise Linux (Amazon VPC)", "Windows", "Windows (Amazon VPC)",
    ];

    /// <summary>The on-demand reference price per hour of <paramref name="type"/> for a product in a region (see the class summary).</summary>
    public static decimal OnDemandPrice(InstanceTypeInfo type, string region, string productDescription = LinuxUnix)
    {
        ArgumentNullException.ThrowIfNull(type);
        var byCpu = 0.0208m * type.DefaultVCpus;
        var byMemory = 0.0116m * type.MemoryMiB / 1024m;
        var basePrice = Math.Max(byCpu, byMemory);
        return Math.Round(basePrice * ProductFactor(productDescription) * RegionFactor(region), 4, MidpointRounding.AwayFromZero);
    }

    /// <summary>The Spot price of a pool at <paramref name="time"/>.</summary>
    public static decimal PriceAt(InstanceTypeInfo type, string region, string availabilityZone, string productDescription, DateTime time) =>
        PriceInPeriod(type, region, availabilityZone, productDescription, PeriodOf(time));

    /// <summary>The index of the period holding <paramref name="time"/> (periods count from the Unix epoch).</summary>
    public static long PeriodOf(DateTime time) => (time.ToUniversalTime() - DateTime.UnixEpoch).Ticks / Period.Ticks;

    /// <summary>When period <paramref name="period"/> begins.</summary>
    public static DateTime StartOf(long period) => DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks(period * Period.Ticks), DateTimeKind.Utc);

    public static decimal PriceInPeriod(InstanceTypeInfo type, string region, string availabilityZone, string productDescription, long period)
    {
        ArgumentNullException.ThrowIfNull(type);
        var reference = OnDemandPrice(type, region, productDescription);
        var phase = Unit(region, availabilityZone, type.Name, productDescription, "phase") * 24.0;
        var noise = (Unit(region, availabilityZone, type.Name, productDescription, period.ToString(CultureInfo.InvariantCulture)) * 2.0) - 1.0;
        var fraction = 0.30 + (0.08 * Math.Sin(2 * Math.PI * (period + phase) / 24.0)) + (0.04 * noise);
        fraction = Math.Clamp(fraction, 0.20, 0.45);
        var price = Math.Round(reference * (decimal)fraction, 4, MidpointRounding.AwayFromZero);
        return Math.Max(price, 0.0001m);
    }

    /// <summary>Whether the model has a price for <paramref name="productDescription"/>.</summary>
    public static bool IsKnownProduct(string productDescription) => ProductDescriptions.Contains(productDescription, StringComparer.Ordinal);

    /// <summary>A price as EC2 writes it: six decimals (<c>0.031200</c>).</summary>
    public static string Format(decimal price) => price.ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>A maximum price as a request gives it; null when it is not a positive decimal number.</summary>
    public static decimal? Parse(string? value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price) && price > 0 ? price : null;

    private static decimal ProductFactor(string product) => product switch
    {
        _ when product.StartsWith("SUSE", StringComparison.Ordinal) => 1.1m,
        _ when product.StartsWith("Red Hat", StringComparison.Ordinal) => 1.25m,
        _ when product.StartsWith("Windows", StringComparison.Ordinal) => 1.8m,
        _ => 1m,
    };

    private static decimal RegionFactor(string region) => region switch
    {
        "us-east-1" or "us-east-2" or "us-west-2" => 1m,
        "eu-west-1" => 1.1m,
        "eu-central-1" or "us-west-1" => 1.15m,
        _ => 1.2m,
    };

    /// <summary>A number in [0, 1) drawn from the parts.</summary>
    private static double Unit(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
        var value = BitConverter.ToUInt64(hash, 0) >> 11;
        return value / (double)(1UL << 53);
    }
}
