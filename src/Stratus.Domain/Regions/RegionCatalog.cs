namespace Stratus.Domain.Regions;

/// <summary>An Availability Zone of a region (zone type <c>availability-zone</c>).</summary>
public sealed record AvailabilityZone(string ZoneName, string ZoneId, string RegionName);

/// <summary>
/// A Local Zone or Wavelength Zone of a region: its own zone group, opted into per account
/// (ModifyAvailabilityZoneGroup), with a parent Availability Zone.
/// </summary>
public sealed record EdgeZone(
    string ZoneName,
    string ZoneId,
    string RegionName,
    string ZoneType,
    string GroupName,
    string GroupLongName,
    string NetworkBorderGroup,
    AvailabilityZone Parent);

/// <summary>A commercial region: its zones, its long name and whether an account must opt in to use it.</summary>
public sealed record Region(string Name, string ZoneIdPrefix, IReadOnlyList<AvailabilityZone> Zones)
{
    /// <summary>The name AWS's console shows, e.g. <c>US East (N. Virginia)</c>.</summary>
    public string LongName { get; init; } = Name;

    /// <summary>True for regions launched since March 2019, which accounts must enable (opt-in status <c>not-opted-in</c> until then).</summary>
    public bool OptInRequired { get; init; }

    /// <summary>The region's Local Zones and Wavelength Zones (none opted in by default).</summary>
    public IReadOnlyList<EdgeZone> EdgeZones { get; init; } = [];
}

/// <summary>
/// The regions and availability zones a Stratus control plane offers: every commercial AWS region
/// with its real number of Availability Zones and their zone ids (AWS maps zone names to ids per
/// account; Stratus uses one fixed mapping, e.g. us-east-1a..f are use1-az1..az6), the seventeen
/// regions enabled by default and the opt-in regions, and a set of Local Zones and Wavelength Zones
/// that accounts opt into per zone group.
/// </summary>
public static class RegionCatalog
{
    public const string DefaultRegion = "us-east-1";

    /// <summary>Name, zone id prefix, long name, opt-in, zones as (letter, az number).</summary>
    private static readonly (string Name, string IdPrefix, string LongName, bool OptIn, string Zones)[] Definitions =
    [
        // The first eight keep their positions: public address blocks are assigned by position.
        ("us-east-1", "use1", "US East (N. Virginia)", false, "a1 b2 c3 d4 e5 f6"),
        ("us-east-2", "use2", "US East (Ohio)", false, "a1 b2 c3"),
        ("us-west-1", "usw1", "US West (N. California)", false, "a1 b3"),
        ("us-west-2", "usw2", "US West (Oregon)", false, "a1 b2 c3 d4"),
        ("eu-west-1", "euw1", "Europe (Ireland)", false, "a1 b2 c3"),
        ("eu-central-1", "euc1", "Europe (Frankfurt)", false, "a1 b2 c3"),
        ("ap-northeast-1", "apne1", "Asia Pacific (Tokyo)", false, "a4 c1 d2"),
        ("ap-southeast-2", "apse2", "Asia Pacific (Sydney)", false, "a1 b2 c3"),
        ("ap-northeast-2", "apne2", "Asia Pacific (Seoul)", false, "a1 b2 c3 d4"),
        ("ap-northeast-3", "apne3", "Asia Pacific (Osaka)", false, "a3 b1 c2"),
        ("ap-south-1", "aps1", "Asia Pacific (Mumbai)", false, "a1 b3 c2"),
        ("ap-southeast-1", "apse1", "Asia Pacific (Singapore)", false, "a1 b2 c3"),
        ("ca-central-1", "cac1", "Canada (Central)", false, "a1 b2 d4"),
        ("eu-north-1", "eun1", "Europe (Stockholm)", false, "a1 b2 c3"),
        ("eu-west-2", "euw2", "Europe (London)", false, "a2 b3 c1"),
        ("eu-west-3", "euw3", "Europe (Paris)", false, "a1 b2 c3"),
        ("sa-east-1", "sae1", "South America (São Paulo)", false, "a1 b2 c3"),
        ("af-south-1", "afs1", "Africa (Cape Town)", true, "a1 b2 c3"),
        ("ap-east-1", "ape1", "Asia Pacific (Hong Kong)", true, "a1 b2 c3"),
        ("ap-east-2", "ape2", "Asia Pacific (Taipei)", true, "a1 b2 c3"),
        ("ap-south-2", "aps2", "Asia Pacific (Hyderabad)", true, "a1 b2 c3"),
        ("ap-southeast-3", "apse3", "Asia Pacific (Jakarta)", true, "a1 b2 c3"),
        ("ap-southeast-4", "apse4", "Asia Pacific (Melbourne)", true, "a1 b2 c3"),
        ("ap-southeast-5", "apse5", "Asia Pacific (Malaysia)", true, "a1 b2 c3"),
        ("ap-southeast-6", "apse6", "Asia Pacific (New Zealand)", true, "a1 b2 c3"),
        ("ap-southeast-7", "apse7", "Asia Pacific (Thailand)", true, "a1 b2 c3"),
        ("ca-west-1", "caw1", "Canada West (Calgary)", true, "a1 b2 c3"),
        ("eu-central-2", "euc2", "Europe (Zurich)", true, "a1 b2 c3"),
        ("eu-south-1", "eus1", "Europe (Milan)", true, "a1 b2 c3"),
        ("eu-south-2", "eus2", "Europe (Spain)", true, "a1 b2 c3"),
        ("il-central-1", "ilc1", "Israel (Tel Aviv)", true, "a1 b2 c3"),
        ("me-central-1", "mec1", "Middle East (UAE)", true, "a1 b2 c3"),
        ("me-south-1", "mes1", "Middle East (Bahrain)", true, "a1 b2 c3"),
        ("mx-central-1", "mxc1", "Mexico (Central)", true, "a1 b2 c3"),
    ];

    /// <summary>Local Zones: region, code (e.g. bos-1), long name, zone letters, parent zone name.</summary>
    private static readonly (string Region, string Code, string LongName, string Letters, string Parent)[] LocalZones =
    [
        ("us-east-1", "atl-2", "US East (Atlanta) 2", "a", "us-east-1d"),
        ("us-east-1", "bos-1", "US East (Boston)", "a", "us-east-1f"),
        ("us-east-1", "chi-2", "US East (Chicago) 2", "a", "us-east-1f"),
        ("us-east-1", "dfw-2", "US East (Dallas) 2", "a", "us-east-1c"),
        ("us-east-1", "iah-2", "US East (Houston) 2", "a", "us-east-1c"),
        ("us-east-1", "mci-1", "US East (Kansas City 2)", "a", "us-east-1d"),
        ("us-east-1", "mia-2", "US East (Miami) 2", "a", "us-east-1d"),
        ("us-east-1", "msp-1", "US East (Minneapolis)", "a", "us-east-1f"),
        ("us-east-1", "nyc-2", "US East (New York City) 2", "a", "us-east-1f"),
        ("us-east-1", "phl-1", "US East (Philadelphia)", "a", "us-east-1f"),
        ("us-east-1", "qro-1", "US East (Queretaro)", "a", "us-east-1c"),
        ("us-east-1", "bue-1", "US East (Buenos Aires)", "a", "us-east-1c"),
        ("us-east-1", "lim-1", "US East (Lima)", "a", "us-east-1c"),
        ("us-east-1", "scl-1", "US East (Santiago)", "a", "us-east-1c"),
        ("us-west-2", "den-1", "US West (Denver)", "a", "us-west-2a"),
        ("us-west-2", "las-1", "US West (Las Vegas)", "a", "us-west-2b"),
        ("us-west-2", "lax-1", "US West (Los Angeles)", "ab", "us-west-2b"),
        ("us-west-2", "pdx-1", "US West (Portland)", "a", "us-west-2c"),
        ("us-west-2", "phx-2", "US West (Phoenix)", "a", "us-west-2b"),
        ("us-west-2", "sea-1", "US West (Seattle)", "a", "us-west-2c"),
        ("eu-central-1", "ham-1", "Europe (Hamburg)", "a", "eu-central-1a"),
        ("eu-central-1", "waw-1", "Europe (Warsaw)", "a", "eu-central-1b"),
        ("ap-northeast-1", "tpe-1", "Asia Pacific (Taipei)", "a", "ap-northeast-1a"),
        ("ap-south-1", "ccu-2", "Asia Pacific (Kolkata)", "a", "ap-south-1a"),
        ("ap-south-1", "del-1", "Asia Pacific (Delhi)", "a", "ap-south-1a"),
        ("ap-southeast-1", "bkk-1", "Asia Pacific (Bangkok)", "a", "ap-southeast-1a"),
        ("ap-southeast-1", "mnl-1", "Asia Pacific (Manila)", "a", "ap-southeast-1b"),
        ("ap-southeast-2", "akl-1", "Asia Pacific (Auckland)", "a", "ap-southeast-2a"),
        ("ap-southeast-2", "per-1", "Asia Pacific (Perth)", "a", "ap-southeast-2a"),
        ("me-south-1", "mct-1", "Middle East (Muscat)", "a", "me-south-1a"),
    ];

    /// <summary>Wavelength Zones: region, carrier group (wl1), city code, long name, parent zone name.</summary>
    private static readonly (string Region, string Group, string City, string LongName, string Parent)[] WavelengthZones =
    [
        ("us-east-1", "wl1", "atl", "US East (Verizon) - Atlanta", "us-east-1d"),
        ("us-east-1", "wl1", "bos", "US East (Verizon) - Boston", "us-east-1f"),
        ("us-east-1", "wl1", "chi", "US East (Verizon) - Chicago", "us-east-1f"),
        ("us-east-1", "wl1", "dfw", "US East (Verizon) - Dallas", "us-east-1c"),
        ("us-east-1", "wl1", "mia", "US East (Verizon) - Miami", "us-east-1d"),
        ("us-east-1", "wl1", "nyc", "US East (Verizon) - New York", "us-east-1f"),
        ("us-east-1", "wl1", "was", "US East (Verizon) - Washington DC", "us-east-1a"),
        ("us-west-2", "wl1", "den", "US West (Verizon) - Denver", "us-west-2a"),
        ("us-west-2", "wl1", "las", "US West (Verizon) - Las Vegas", "us-west-2b"),
        ("us-west-2", "wl1", "phx", "US West (Verizon) - Phoenix", "us-west-2b"),
        ("us-west-2", "wl1", "sea", "US West (Verizon) - Seattle", "us-west-2c"),
        ("us-west-2", "wl1", "sfo", "US West (Verizon) - San Francisco Bay Area", "us-west-2a"),
        ("ap-northeast-1", "wl1", "tyo", "Asia Pacific (KDDI) - Tokyo", "ap-northeast-1a"),
        ("ap-northeast-1", "wl1", "kix", "Asia Pacific (KDDI) - Osaka", "ap-northeast-1c"),
        ("ap-northeast-2", "wl1", "cjj", "Asia Pacific (SKT) - Daejeon", "ap-northeast-2a"),
        ("eu-west-2", "wl1", "lon", "Europe (Vodafone) - London", "eu-west-2a"),
        ("eu-central-1", "wl1", "ber", "Europe (Vodafone) - Berlin", "eu-central-1a"),
        ("eu-central-1", "wl1", "muc", "Europe (Vodafone) - Munich", "eu-central-1b"),
        ("ca-central-1", "wl1", "yto", "Canada (Bell) - Toronto", "ca-central-1a"),
    ];

    public static IReadOnlyList<Region> All { get; } = Definitions.Select(Build).ToList();

    private static readonly Dictionary<string, Region> ByName = All.ToDictionary(r => r.Name, StringComparer.Ordinal);

    /// <summary>Every region's name.</summary>
    public static IReadOnlySet<string> Names { get; } = All.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The regions every account may use without opting in.</summary>
    public static IReadOnlySet<string> EnabledByDefault { get; } = All.Where(r => !r.OptInRequired).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

    public static Region? Find(string name) => ByName.GetValueOrDefault(name);

    public static Region Get(string name) => Find(name) ?? throw new ArgumentException($"unknown region {name}", nameof(name));

    /// <summary>The Availability Zone of <paramref name="region"/> named <paramref name="zoneName"/>, or null.</summary>
    public static AvailabilityZone? FindZone(string region, string zoneName) =>
        Find(region)?.Zones.FirstOrDefault(z => z.ZoneName == zoneName);

    private static Region Build((string Name, string IdPrefix, string LongName, bool OptIn, string Zones) d)
    {
        var zones = d.Zones.Split(' ')
            .Select(z => new AvailabilityZone(d.Name + z[0], $"{d.IdPrefix}-az{z[1..]}", d.Name))
            .ToList();
        AvailabilityZone ParentOf(string name) => zones.FirstOrDefault(z => z.ZoneName == name) ?? zones[0];
        var edge = new List<EdgeZone>();
        foreach (var lz in LocalZones.Where(l => l.Region == d.Name))
        {
            var group = $"{d.Name}-{lz.Code}";
            var idCode = lz.Code.Replace("-", "", StringComparison.Ordinal);
            edge.AddRange(lz.Letters.Select((letter, i) => new EdgeZone(
                group + letter, $"{d.IdPrefix}-{idCode}-az{i + 1}", d.Name, "local-zone", group, lz.LongName, group, ParentOf(lz.Parent))));
        }
        foreach (var wl in WavelengthZones.Where(w => w.Region == d.Name))
        {
            var group = $"{d.Name}-{wl.Group}";
            var name = $"{group}-{wl.City}-wlz-1";
            edge.Add(new EdgeZone(name, $"{d.IdPrefix}-{wl.Group}-{wl.City}-wlz1", d.Name, "wavelength-zone", group, wl.LongName, name, ParentOf(wl.Parent)));
        }
        return new Region(d.Name, d.IdPrefix, zones) { LongName = d.LongName, OptInRequired = d.OptIn, EdgeZones = edge };
    }
}
