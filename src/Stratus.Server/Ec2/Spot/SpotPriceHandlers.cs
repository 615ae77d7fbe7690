using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Filtering;
using Stratus.Domain.Regions;
using Stratus.Domain.Spot;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using AvailabilityZone = Stratus.Domain.Regions.AvailabilityZone;
using InstanceTypeInfo = Stratus.Domain.Compute.InstanceTypes.InstanceTypeInfo;

namespace Stratus.Server.Ec2;

/// <summary>DescribeSpotPriceHistory and GetSpotPlacementScores, from <see cref="SpotPriceModel"/> and <see cref="SpotPlacementScores"/>.</summary>
internal sealed partial class Ec2Service
{
    /// <summary>How many price points a page holds when the request gives no MaxResults (EC2's default).</summary>
    private const int DefaultPriceHistoryPage = 1000;

    /// <summary>A price point: a pool (type, zone, product) and the price that began at <see cref="Timestamp"/>.</summary>
    internal sealed record SpotPricePoint(string InstanceType, AvailabilityZone Zone, string ProductDescription, decimal Price, DateTime Timestamp)
    {
        /// <summary>Newest first, then by pool: the page key.</summary>
        public string Key => $"{long.MaxValue - Timestamp.Ticks:D19}|{InstanceType}|{Zone.ZoneName}|{ProductDescription}";
    }

    [FiltersFor("DescribeSpotPriceHistory")]
    private static readonly FilterSet<SpotPricePoint> SpotPriceFilters = new FilterSet<SpotPricePoint>()
        .Add("availability-zone", p => p.Zone.ZoneName)
        .Add("availability-zone-id", p => p.Zone.ZoneId)
        .Add("instance-type", p => p.InstanceType)
        .Add("product-description", p => p.ProductDescription)
        .Add("spot-price", p => SpotPriceModel.Format(p.Price))
        .Add("timestamp", p => Timestamp(p.Timestamp));

    public override Task<DescribeSpotPriceHistoryResult> DescribeSpotPriceHistoryAsync(RequestContext context, DescribeSpotPriceHistoryRequest request)
    {
        Paginator.CheckMaxResults(request.MaxResults, 0, 10000);
        var region = RegionCatalog.Get(context.Region);
        var zones = region.Zones.AsEnumerable();
        if (request.AvailabilityZone is { } zoneName)
        {
            zones = zones.Where(z => z.ZoneName == zoneName).ToList();
            if (!zones.Any())
            {
                throw AwsErrors.InvalidParameterValue($"Invalid availability zone: [{zoneName}]");
            }
        }
        if (request.AvailabilityZoneId is { } zoneId)
        {
            zones = zones.Where(z => z.ZoneId == zoneId).ToList();
            if (!zones.Any())
            {
                throw AwsErrors.InvalidParameterValue($"Invalid availability zone id: [{zoneId}]");
            }
        }
        var types = new List<InstanceTypeInfo>();
        foreach (var name in request.InstanceTypes ?? [])
        {
            types.Add(InstanceTypeCatalog.Find(name) ?? throw AwsErrors.InvalidParameterValue($"The instance type '{name}' does not exist."));
        }
        if (types.Count == 0)
        {
            types = InstanceTypeCatalog.All.Where(t => t.SupportedUsageClasses.Contains("spot")).ToList();
        }
        types = types.Where(t => t.SupportedUsageClasses.Contains("spot")).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var products = request.ProductDescriptions is { Count: > 0 } asked ? asked.Distinct(StringComparer.Ordinal).ToList() : [.. SpotPriceModel.ProductDescriptions];
        foreach (var product in products.Where(p => !SpotPriceModel.IsKnownProduct(p)))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid product description: {product}");
        }
        products.Sort(StringComparer.Ordinal);
        var end = request.EndTime?.ToUniversalTime() ?? context.Now;
        if (end > context.Now)
        {
            end = context.Now;
        }
        var start = request.StartTime?.ToUniversalTime() ?? end;
        if (start > end)
        {
            throw AwsErrors.InvalidParameterValue("The start time must be earlier than the end time.");
        }
        if (start < context.Now - SpotPriceModel.HistoryDepth)
        {
            start = context.Now - SpotPriceModel.HistoryDepth;
        }
        var zoneList = zones.OrderBy(z => z.ZoneName, StringComparer.Ordinal).ToList();
        var points = History(context.Region, types, zoneList, products, SpotPriceModel.PeriodOf(start), SpotPriceModel.PeriodOf(end));
        var page = Paginator.Paginate(SpotPriceFilters.Apply(points, ToCriteria(request.Filters)), p => p.Key, request.MaxResults is > 0 and var m ? m : DefaultPriceHistoryPage, request.NextToken, 0, 10000);
        return Task.FromResult(new DescribeSpotPriceHistoryResult
        {
            SpotPriceHistory = page.Items.Select(p => new SpotPrice
            {
                AvailabilityZone = p.Zone.ZoneName,
                AvailabilityZoneId = p.Zone.ZoneId,
                InstanceType = p.InstanceType,
                ProductDescription = p.ProductDescription,
                SpotPriceValue = SpotPriceModel.Format(p.Price),
                Timestamp = p.Timestamp,
            }).ToList(),
            NextToken = page.NextToken,
        });
    }

    /// <summary>
    /// The price changes of every pool between two periods, newest first: each period's price where
    /// it differs from the period before, and the price in effect at the first period.
    /// </summary>
    private static IEnumerable<SpotPricePoint> History(string region, List<InstanceTypeInfo> types, List<AvailabilityZone> zones, List<string> products, long first, long last)
    {
        for (var period = last; period >= first; period--)
        {
            foreach (var type in types)
            {
                foreach (var zone in zones)
                {
                    foreach (var product in products)
                    {
                        var price = SpotPriceModel.PriceInPeriod(type, region, zone.ZoneName, product, period);
                        if (period == first || SpotPriceModel.PriceInPeriod(type, region, zone.ZoneName, product, period - 1) != price)
                        {
                            yield return new SpotPricePoint(type.Name, zone, product, price, SpotPriceModel.StartOf(period));
                        }
                    }
                }
            }
        }
    }

    public override Task<GetSpotPlacementScoresResult> GetSpotPlacementScoresAsync(RequestContext context, GetSpotPlacementScoresRequest request)
    {
        var capacity = request.TargetCapacity ?? throw AwsErrors.MissingParameter("TargetCapacity");
        if (request.InstanceRequirementsWithMetadata is not null)
        {
            throw AwsErrors.NotImplemented("GetSpotPlacementScores with InstanceRequirementsWithMetadata");
        }
        if (request.InstanceTypes is not { Count: > 0 } typeNames)
        {
            throw AwsErrors.MissingParameter("InstanceTypes");
        }
        var types = new List<InstanceTypeInfo>();
        foreach (var name in typeNames.Distinct(StringComparer.Ordinal))
        {
            types.Add(InstanceTypeCatalog.Find(name) ?? throw AwsErrors.InvalidParameterValue($"The instance type '{name}' does not exist."));
        }
        var regions = request.RegionNames is { Count: > 0 } names ? names.Distinct(StringComparer.Ordinal).ToList() : [.. RegionCatalog.Names.Order(StringComparer.Ordinal)];
        foreach (var name in regions.Where(r => RegionCatalog.Find(r) is null))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid region: {name}");
        }
        var unit = request.TargetCapacityUnitType ?? "units";
        var scores = SpotPlacementScores.Score(types.Select(t => (t.Name, t.DefaultVCpus, t.MemoryMiB)).ToList(), capacity, unit, regions, request.SingleAvailabilityZone ?? false,
            r => RegionCatalog.Get(r).Zones.Select(z => z.ZoneId).ToList());
        var page = Paginator.Paginate(scores.Select((s, i) => (Score: s, Key: i.ToString("D6", CultureInfo.InvariantCulture))), x => x.Key, request.MaxResults, request.NextToken, 10, 1000);
        return Task.FromResult(new GetSpotPlacementScoresResult
        {
            SpotPlacementScores = page.Items.Select(x => new SpotPlacementScore { Region = x.Score.Region, AvailabilityZoneId = x.Score.ZoneId, Score = x.Score.Score }).ToList(),
            NextToken = page.NextToken,
        });
    }
}
