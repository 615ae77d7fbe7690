namespace Stratus.Domain.Regions;

public sealed record AvailabilityZone(string ZoneName, string ZoneId, string RegionName);

public sealed record Region(string Name, string ZoneIdPrefix, IReadOnlyList<AvailabilityZone> Zones);

/// <summary>
/// The regions and availability zones a Stratus control plane offers. Names and zone ids follow
/// AWS's (us-east-1a is use1-az1 here; AWS maps zone names to ids per account, Stratus uses one
/// fixed mapping). Every region has three zones.
/// </summary>
public static class RegionCatalog
{
    public const string DefaultRegion = "us-east-1";

    private static readonly (string Name, string IdPrefix)[] Definitions =
    [
        ("us-east-1", "use1"),
        ("us-east-2", "use2"),
        ("us-west-1", "usw1"),
        ("us-west-2", "usw2"),
        ("eu-west-1", "euw1"),
        ("eu-central-1", "euc1"),
        ("ap-northeast-1", "apne1"),
        ("ap-southeast-2", "apse2"),
    ];

    public static IReadOnlyList<Region> All { get; } = Definitions
        .Select(d => new Region(d.Name, d.IdPrefix,
            new[] { "a", "b", "c" }.Select((suffix, i) => new AvailabilityZone(d.Name + suffix, $"{d.IdPrefix}-az{i + 1}", d.Name)).ToList()))
        .ToList();

    private static readonly Dictionary<string, Region> ByName = All.ToDictionary(r => r.Name, StringComparer.Ordinal);

    public static IReadOnlySet<string> Names { get; } = All.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

    public static Region? Find(string name) => ByName.GetValueOrDefault(name);

    public static Region Get(string name) => Find(name) ?? throw new ArgumentException($"unknown region {name}", nameof(name));
}
