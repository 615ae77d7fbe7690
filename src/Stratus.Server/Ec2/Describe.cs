using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;

namespace Stratus.Server.Ec2;

/// <summary>The one way Describe operations select resources: ids, filters, then pages.</summary>
internal sealed partial class Ec2Service
{
    /// <summary>The filters each implemented Describe operation declares (checked against AWS's documented lists in tests).</summary>
    internal static IReadOnlyDictionary<string, (IReadOnlyCollection<string> Names, bool Tags)> DeclaredFilters => new Dictionary<string, (IReadOnlyCollection<string>, bool)>
    {
        ["DescribeRegions"] = (RegionFilters.Names, RegionFilters.HasTags),
        ["DescribeAvailabilityZones"] = (ZoneFilters.Names, ZoneFilters.HasTags),
        ["DescribeTags"] = (TagFilters.Names, TagFilters.HasTags),
        ["DescribeVpcs"] = (VpcFilters.Names, VpcFilters.HasTags),
        ["DescribeSubnets"] = (SubnetFilters.Names, SubnetFilters.HasTags),
        ["DescribeSecurityGroups"] = (SecurityGroupFilters.Names, SecurityGroupFilters.HasTags),
        ["DescribeInternetGateways"] = (InternetGatewayFilters.Names, InternetGatewayFilters.HasTags),
        ["DescribeRouteTables"] = (RouteTableFilters.Names, RouteTableFilters.HasTags),
        ["DescribeNetworkAcls"] = (NetworkAclFilters.Names, NetworkAclFilters.HasTags),
        ["DescribeDhcpOptions"] = (DhcpOptionsFilters.Names, DhcpOptionsFilters.HasTags),
    };

    /// <summary>
    /// Loads the resources of <paramref name="type"/> in the caller's scope, keeps those named by
    /// <paramref name="ids"/> (each must be well-formed and exist, as EC2 requires), applies the
    /// filters and pages the result in id order.
    /// </summary>
    private static async Task<Page<T>> SelectAsync<T>(
        RequestContext context,
        ResourceType type,
        FilterSet<T> filters,
        List<string>? ids,
        List<Filter>? requestFilters,
        int? maxResults = null,
        string? nextToken = null,
        string idsParameter = "")
        where T : ITaggable
    {
        Paginator.RejectIdsWithMaxResults(ids, maxResults, idsParameter);
        foreach (var id in ids ?? [])
        {
            type.CheckId(id);
        }
        var all = await context.Store.ListAsync<T>(context.Scope, type, context.Cancellation).ConfigureAwait(false);
        IEnumerable<T> selected = all;
        if (ids is { Count: > 0 })
        {
            var byId = all.ToDictionary(r => r.Id, StringComparer.Ordinal);
            foreach (var id in ids.Where(id => !byId.ContainsKey(id)))
            {
                throw type.NotFound(id);
            }
            var wanted = ids.ToHashSet(StringComparer.Ordinal);
            selected = all.Where(r => wanted.Contains(r.Id));
        }
        selected = filters.Apply(selected, ToCriteria(requestFilters));
        return Paginator.Paginate(selected, r => r.Id, maxResults, nextToken);
    }

    private static List<Stratus.Ec2.Model.Tag> ToShape(List<Stratus.Domain.Resources.Tag> tags) =>
        tags.Select(t => new Stratus.Ec2.Model.Tag { Key = t.Key, Value = t.Value }).ToList();
}
