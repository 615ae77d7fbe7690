using System.Security.Cryptography;
using System.Text;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Regions;
using Stratus.Domain.Spot;

namespace Stratus.Domain.Compute.ReservedInstances;

/// <summary>A Reserved Instance offering: what one Reserved Instance of a type costs for a term.</summary>
public sealed record ReservedInstanceOffering(
    string Id,
    string InstanceType,
    string? AvailabilityZone,
    string? AvailabilityZoneId,
    string ProductDescription,
    string InstanceTenancy,
    string OfferingClass,
    string OfferingType,
    long Duration,
    decimal FixedPrice,
    decimal HourlyCharge,
    ulong Position)
{
    /// <summary><c>Region</c> for a regional offering, <c>Availability Zone</c> for a zonal one.</summary>
    public string Scope => AvailabilityZone is null ? ReservedInstanceOfferings.RegionScope : ReservedInstanceOfferings.ZoneScope;
}

/// <summary>What DescribeReservedInstancesOfferings asks for (null: any).</summary>
public sealed record OfferingQuery(
    IReadOnlyCollection<string>? InstanceTypes = null,
    string? AvailabilityZone = null,
    string? ProductDescription = null,
    string? InstanceTenancy = null,
    string? OfferingClass = null,
    string? OfferingType = null,
    long? MinDuration = null,
    long? MaxDuration = null,
    bool? RegionalOnly = null);

/// <summary>
/// Reserved Instance offerings generated from the instance-type catalogue, with a deterministic
/// price model consistent with Stratus's on-demand prices (<see cref="SpotPriceModel.OnDemandPrice"/>):
/// <list type="bullet">
/// <item>Every type offered in the region, for the region (scope <c>Region</c>) and for each zone
/// that offers it (scope <c>Availability Zone</c>), for each product description (Linux/UNIX, SUSE,
/// Red Hat, Windows, each also "(Amazon VPC)"), tenancy <c>default</c> or <c>dedicated</c>, class
/// <c>standard</c> or <c>convertible</c>, payment <c>No Upfront</c>, <c>Partial Upfront</c>,
/// <c>All Upfront</c>, and term 1 year (31,536,000 s) or 3 years (94,608,000 s).</item>
/// <item>The on-demand hourly price <c>H</c> (dedicated tenancy: × 1.1) is discounted by
/// <see cref="Discount"/>: standard 1 y 37/40/42 %, 3 y 57/60/62 %; convertible 1 y 26/29/31 %,
/// 3 y 46/50/54 % (No/Partial/All Upfront), close to AWS's published savings. With the effective
/// rate <c>E = H × (1 − d)</c> and <c>h</c> hours in the term: All Upfront pays <c>E × h</c> up
/// front and 0 per hour; Partial Upfront half of it up front and <c>E / 2</c> per hour; No Upfront
/// nothing up front and <c>E</c> per hour (fixed prices rounded to cents, hourly charges to 4
/// decimals).</item>
/// <item>Offering ids look like AWS's (UUIDs) and encode the offering: 8 bytes of position
/// (type, scope, product, tenancy, class, payment, term) masked per region, and 8 bytes of a
/// SHA-256 check, so an id names one offering and an altered id none.</item>
/// </list>
/// </summary>
public static class ReservedInstanceOfferings
{
    public const string RegionScope = "Region";
    public const string ZoneScope = "Availability Zone";
    public const long OneYear = 31_536_000;
    public const long ThreeYears = 94_608_000;

    public static readonly IReadOnlyList<string> Tenancies = ["default", "dedicated"];
    public static readonly IReadOnlyList<string> Classes = ["standard", "convertible"];
    public static readonly IReadOnlyList<string> OfferingTypes = ["No Upfront", "Partial Upfront", "All Upfront"];
    public static readonly IReadOnlyList<long> Durations = [OneYear, ThreeYears];

    /// <summary>The fraction off the on-demand price for a class, term and payment option.</summary>
    public static decimal Discount(string offeringClass, long duration, string offeringType)
    {
        var payment = OfferingTypes.ToList().IndexOf(offeringType);
        if (payment < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offeringType), offeringType, "unknown offering type");
        }
        decimal[] rates = (offeringClass, duration) switch
        {
            ("standard", OneYear) => [0.37m, 0.40m, 0.42m],
            ("standard", _) => [0.57m, 0.60m, 0.62m],
            (_, OneYear) => [0.26m, 0.29m, 0.31m],
            _ => [0.46m, 0.50m, 0.54m],
        };
        return rates[payment];
    }

    /// <summary>The up-front price and hourly charge of one Reserved Instance (see the class summary).</summary>
    public static (decimal Fixed, decimal Hourly) Price(InstanceTypeInfo type, string region, string product, string tenancy, string offeringClass, string offeringType, long duration)
    {
        var onDemand = SpotPriceModel.OnDemandPrice(type, region, product) * (tenancy == "dedicated" ? 1.1m : 1m);
        var effective = onDemand * (1 - Discount(offeringClass, duration, offeringType));
        var hours = duration / 3600m;
        return offeringType switch
        {
            "All Upfront" => (Math.Round(effective * hours, 2), 0m),
            "Partial Upfront" => (Math.Round(effective * hours / 2, 2), Math.Round(effective / 2, 4)),
            _ => (0m, Math.Round(effective, 4)),
        };
    }

    private const int ScopeBits = 4;
    private const int ProductBits = 4;

    private static ulong Pack(int type, int scope, int product, int tenancy, int offeringClass, int offeringType, int duration) =>
        ((ulong)(uint)type << (ScopeBits + ProductBits + 5)) | ((ulong)(uint)scope << (ProductBits + 5)) | ((ulong)(uint)product << 5)
        | ((ulong)(uint)tenancy << 4) | ((ulong)(uint)offeringClass << 3) | ((ulong)(uint)offeringType << 1) | (uint)duration;

    private static (int Type, int Scope, int Product, int Tenancy, int Class, int OfferingType, int Duration) Unpack(ulong packed) =>
        ((int)(packed >> (ScopeBits + ProductBits + 5)), (int)((packed >> (ProductBits + 5)) & 0xF), (int)((packed >> 5) & 0xF),
            (int)((packed >> 4) & 1), (int)((packed >> 3) & 1), (int)((packed >> 1) & 3), (int)(packed & 1));

    /// <summary>Every offering of the region that matches <paramref name="query"/>, in id-position order, after <paramref name="after"/>.</summary>
    public static IEnumerable<ReservedInstanceOffering> Enumerate(string region, OfferingQuery query, ulong? after = null)
    {
        var zones = RegionCatalog.Get(region).Zones;
        var products = SpotPriceModel.ProductDescriptions;
        var types = InstanceTypeCatalog.All;
        for (var t = 0; t < types.Count; t++)
        {
            var type = types[t];
            if ((query.InstanceTypes is not null && !query.InstanceTypes.Contains(type.Name)) || type.RequiresDedicatedHost || !InstanceTypeCatalog.IsOfferedInRegion(type.Name, region))
            {
                continue;
            }
            for (var s = 0; s <= zones.Count && s < 16; s++)
            {
                var zone = s == 0 ? null : zones[s - 1];
                if ((query.RegionalOnly == true && zone is not null) || (query.RegionalOnly == false && zone is null)
                    || (query.AvailabilityZone is { } az && zone?.ZoneName != az)
                    || (zone is not null && !InstanceTypeCatalog.IsOffered(type.Name, zone.ZoneName)))
                {
                    continue;
                }
                for (var p = 0; p < products.Count; p++)
                {
                    if (query.ProductDescription is { } product && product != products[p])
                    {
                        continue;
                    }
                    for (var n = 0; n < Tenancies.Count; n++)
                    {
                        if (query.InstanceTenancy is { } tenancy && tenancy != Tenancies[n])
                        {
                            continue;
                        }
                        for (var c = 0; c < Classes.Count; c++)
                        {
                            if (query.OfferingClass is { } cls && cls != Classes[c])
                            {
                                continue;
                            }
                            for (var o = 0; o < OfferingTypes.Count; o++)
                            {
                                if (query.OfferingType is { } offeringType && offeringType != OfferingTypes[o])
                                {
                                    continue;
                                }
                                for (var d = 0; d < Durations.Count; d++)
                                {
                                    var duration = Durations[d];
                                    if (duration < (query.MinDuration ?? 0) || duration > (query.MaxDuration ?? long.MaxValue))
                                    {
                                        continue;
                                    }
                                    var position = Pack(t, s, p, n, c, o, d);
                                    if (after is { } a && position <= a)
                                    {
                                        continue;
                                    }
                                    yield return Build(region, position)!;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The offering an id names in the region, or null.</summary>
    public static ReservedInstanceOffering? Find(string region, string id)
    {
        var hex = id.Replace("-", "", StringComparison.Ordinal);
        if (hex.Length != 32 || !hex.All(Uri.IsHexDigit))
        {
            return null;
        }
        var bytes = Convert.FromHexString(hex);
        var mask = Mask(region);
        var packed = BitConverter.ToUInt64(bytes, 0) ^ mask;
        return Id(region, packed).Equals(id, StringComparison.OrdinalIgnoreCase) ? Build(region, packed) : null;
    }

    private static ReservedInstanceOffering? Build(string region, ulong position)
    {
        var (t, s, p, n, c, o, d) = Unpack(position);
        var types = InstanceTypeCatalog.All;
        var zones = RegionCatalog.Get(region).Zones;
        if (t >= types.Count || s > zones.Count || p >= SpotPriceModel.ProductDescriptions.Count || o >= OfferingTypes.Count)
        {
            return null;
        }
        var type = types[t];
        var zone = s == 0 ? null : zones[s - 1];
        if (type.RequiresDedicatedHost || (zone is null ? !InstanceTypeCatalog.IsOfferedInRegion(type.Name, region) : !InstanceTypeCatalog.IsOffered(type.Name, zone.ZoneName)))
        {
            return null;
        }
        var product = SpotPriceModel.ProductDescriptions[p];
        var (fixedPrice, hourly) = Price(type, region, product, Tenancies[n], Classes[c], OfferingTypes[o], Durations[d]);
        return new ReservedInstanceOffering(Id(region, position), type.Name, zone?.ZoneName, zone?.ZoneId, product, Tenancies[n], Classes[c], OfferingTypes[o], Durations[d],
            fixedPrice, hourly, position);
    }

    private static ulong Mask(string region) => BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes("stratus-ri-offering|" + region)), 0);

    private static string Id(string region, ulong position)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, position ^ Mask(region));
        SHA256.HashData(Encoding.UTF8.GetBytes($"stratus-ri-check|{region}|{position}")).AsSpan(0, 8).CopyTo(bytes[8..]);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>The normalization factor of an instance size (the User Guide's table: nano 0.25, micro 0.5, small 1, medium 2, large 4, xlarge 8, N·xlarge 8·N; metal: the family's largest size).</summary>
    public static decimal NormalizationFactor(string instanceType)
    {
        var info = InstanceTypeCatalog.Find(instanceType);
        var size = info?.Size ?? instanceType[(instanceType.IndexOf('.', StringComparison.Ordinal) + 1)..];
        if (size.StartsWith("metal", StringComparison.Ordinal) && info is not null)
        {
            return InstanceTypeCatalog.All.Where(t => t.Family == info.Family && !t.Size.StartsWith("metal", StringComparison.Ordinal))
                .Select(t => NormalizationFactor(t.Name)).DefaultIfEmpty(192m).Max();
        }
        return size switch
        {
            "nano" => 0.25m,
            "micro" => 0.5m,
            "small" => 1m,
            "medium" => 2m,
            "large" => 4m,
            "xlarge" => 8m,
            _ when size.EndsWith("xlarge", StringComparison.Ordinal)
                && decimal.TryParse(size[..^6], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => 8m * n,
            _ => 0m,
        };
    }
}
