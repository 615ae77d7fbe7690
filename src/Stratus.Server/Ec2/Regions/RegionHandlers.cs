using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Quotas;
using Stratus.Domain.Regions;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using AvailabilityZone = Stratus.Ec2.Model.AvailabilityZone;
using Region = Stratus.Ec2.Model.Region;

namespace Stratus.Server.Ec2;

/// <summary>Regions, availability zones and account attributes.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeRegions")]
    private static readonly FilterSet<Region> RegionFilters = new FilterSet<Region>()
        .Add("endpoint", r => r.Endpoint)
        .Add("region-name", r => r.RegionName)
        .Add("opt-in-status", r => r.OptInStatus);

    [FiltersFor("DescribeAvailabilityZones")]
    private static readonly FilterSet<AvailabilityZone> ZoneFilters = new FilterSet<AvailabilityZone>()
        .Add("group-long-name", z => z.GroupLongName)
        .Add("group-name", z => z.GroupName)
        .AddMany("message", z => z.Messages?.Select(m => m.Message) ?? [])
        .Add("opt-in-status", z => z.OptInStatus)
        .Add("parent-zone-id", z => z.ParentZoneId)
        .Add("parent-zone-name", z => z.ParentZoneName)
        .Add("region-name", z => z.RegionName)
        .Add("state", z => z.State)
        .Add("zone-id", z => z.ZoneId)
        .Add("zone-name", z => z.ZoneName)
        .Add("zone-type", z => z.ZoneType);

    public override Task<DescribeRegionsResult> DescribeRegionsAsync(RequestContext context, DescribeRegionsRequest request)
    {
        var endpointHost = new Uri(_options.PublicEndpoint).Authority;
        var enabled = _options.OptInRegions;
        var regions = RegionCatalog.All.Select(r => new Region
        {
            RegionName = r.Name,
            Endpoint = endpointHost,
            OptInStatus = !r.OptInRequired ? ZoneGroups.OptInNotRequired : enabled.Contains(r.Name) ? ZoneGroups.OptedIn : ZoneGroups.NotOptedIn,
        });
        if (request.RegionNames is { Count: > 0 } names)
        {
            foreach (var name in names.Where(n => RegionCatalog.Find(n) is null))
            {
                throw new AwsException("InvalidParameterValue", $"Invalid region: {name}");
            }
            regions = regions.Where(r => names.Contains(r.RegionName!));
        }
        else if (request.AllRegions != true)
        {
            // Without AllRegions only the regions the account may use are listed.
            regions = regions.Where(r => r.OptInStatus != ZoneGroups.NotOptedIn);
        }
        return Task.FromResult(new DescribeRegionsResult { Regions = RegionFilters.Apply(regions, ToCriteria(request.Filters)).ToList() });
    }

    public override async Task<DescribeAvailabilityZonesResult> DescribeAvailabilityZonesAsync(RequestContext context, DescribeAvailabilityZonesRequest request)
    {
        var region = RegionCatalog.Get(context.Region);
        var optedIn = await ZoneGroups.OptedInAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var zones = region.Zones.Select(z => new AvailabilityZone
        {
            ZoneName = z.ZoneName,
            ZoneId = z.ZoneId,
            RegionName = z.RegionName,
            State = "available",
            OptInStatus = ZoneGroups.OptInNotRequired,
            GroupName = z.RegionName,
            GroupLongName = region.LongName,
            NetworkBorderGroup = z.RegionName,
            ZoneType = "availability-zone",
            Messages = [],
        }).Concat(region.EdgeZones.Select(z => new AvailabilityZone
        {
            ZoneName = z.ZoneName,
            ZoneId = z.ZoneId,
            RegionName = z.RegionName,
            State = "available",
            OptInStatus = ZoneGroups.StatusOf(z, optedIn),
            GroupName = z.GroupName,
            GroupLongName = z.GroupLongName,
            NetworkBorderGroup = z.NetworkBorderGroup,
            ZoneType = z.ZoneType,
            ParentZoneName = z.Parent.ZoneName,
            ParentZoneId = z.Parent.ZoneId,
            Messages = [],
        })).ToList();
        if (request.ZoneNames is { Count: > 0 } || request.ZoneIds is { Count: > 0 })
        {
            foreach (var name in request.ZoneNames ?? [])
            {
                if (!zones.Exists(z => z.ZoneName == name))
                {
                    throw new AwsException("InvalidParameterValue", $"The zone '{name}' does not exist.");
                }
            }
            foreach (var id in request.ZoneIds ?? [])
            {
                if (!zones.Exists(z => z.ZoneId == id))
                {
                    throw new AwsException("InvalidParameterValue", $"The zone id '{id}' does not exist.");
                }
            }
            zones = zones.Where(z => (request.ZoneNames?.Contains(z.ZoneName!) ?? false) || (request.ZoneIds?.Contains(z.ZoneId!) ?? false)).ToList();
        }
        else if (request.AllAvailabilityZones != true && !(request.Filters?.Any(f => f.Name == "opt-in-status") ?? false))
        {
            // Without AllAvailabilityZones (or an opt-in-status filter) only the zones the account may use are listed.
            zones = zones.Where(z => z.OptInStatus != ZoneGroups.NotOptedIn).ToList();
        }
        return new DescribeAvailabilityZonesResult { AvailabilityZones = ZoneFilters.Apply(zones, ToCriteria(request.Filters)).ToList() };
    }

    public override async Task<ModifyAvailabilityZoneGroupResult> ModifyAvailabilityZoneGroupAsync(RequestContext context, ModifyAvailabilityZoneGroupRequest request)
    {
        await ZoneGroups.ModifyAsync(context.Transaction, context.Scope, request.GroupName!, request.OptInStatus!, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyAvailabilityZoneGroupResult { Return = true };
    }

    public override async Task<DescribeAccountAttributesResult> DescribeAccountAttributesAsync(RequestContext context, DescribeAccountAttributesRequest request)
    {
        var defaultVpc = await DefaultVpcProvisioner.FindDefaultVpcIdAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var elasticIps = (await AccountQuotas.GetValueAsync(context.Store, context.Scope, QuotaCatalog.ElasticIps, context.Cancellation).ConfigureAwait(false))
            .ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        var all = new (string Name, string[] Values)[]
        {
            ("supported-platforms", ["VPC"]),
            ("default-vpc", [defaultVpc ?? "none"]),
            ("max-instances", ["20"]),
            ("vpc-max-security-groups-per-interface", ["5"]),
            ("max-elastic-ips", [elasticIps]),
            ("vpc-max-elastic-ips", [elasticIps]),
        };
        var wanted = request.AttributeNames;
        if (wanted is { Count: > 0 })
        {
            foreach (var name in wanted.Where(n => !all.Any(a => a.Name == n)))
            {
                throw AwsErrors.InvalidParameterValue($"Value ({name}) for parameter attributeName is invalid.");
            }
        }
        return new DescribeAccountAttributesResult
        {
            AccountAttributes = all.Where(a => wanted is not { Count: > 0 } || wanted.Contains(a.Name))
                .Select(a => new AccountAttribute
                {
                    AttributeName = a.Name,
                    AttributeValues = a.Values.Select(v => new AccountAttributeValue { AttributeValue = v }).ToList(),
                }).ToList(),
        };
    }

    private static List<FilterCriterion>? ToCriteria(List<Filter>? filters) =>
        filters?.Select(f => new FilterCriterion(f.Name ?? throw AwsErrors.MissingParameter("Filter.N.Name"), f.Values ?? [])).ToList();
}
