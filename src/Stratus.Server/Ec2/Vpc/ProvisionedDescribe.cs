using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Describe calls over resources whose states settle on read (transit gateways, VPN, endpoints).</summary>
internal sealed partial class Ec2Service
{
    /// <summary>
    /// The resources of <paramref name="type"/> settled as of the request's time: those named by
    /// <paramref name="ids"/> (each must be well-formed and exist) or all of them, deleted ones
    /// past their retention left out, filtered and paged in id order.
    /// </summary>
    private static async Task<Page<T>> SelectProvisionedAsync<T>(
        RequestContext context,
        ResourceType type,
        FilterSet<T> filters,
        List<string>? ids,
        List<Filter>? requestFilters,
        int? maxResults,
        string? nextToken,
        string idsParameter)
        where T : class, IProvisioned
    {
        if (idsParameter.Length > 0)
        {
            Paginator.RejectIdsWithMaxResults(ids, maxResults, idsParameter);
        }
        var criteria = ToCriteria(requestFilters);
        IEnumerable<T> selected;
        if (ids is { Count: > 0 })
        {
            foreach (var id in ids)
            {
                type.CheckId(id);
            }
            var found = (await context.Store.GetManyAsync<T>(context.Scope, type, ids, context.Cancellation).ConfigureAwait(false))
                .Select(r => Provisioning.Settle(r, context.Now))
                .Where(r => !Provisioning.IsGone(r, context.Now))
                .ToList();
            var byId = found.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var id in ids.Where(id => !byId.Contains(id)))
            {
                throw type.NotFound(id);
            }
            selected = found;
        }
        else
        {
            selected = await Provisioning.ListAsync<T>(context.Store, context.Scope, type, context.Now, context.Cancellation).ConfigureAwait(false);
        }
        return Paginator.Paginate(filters.Apply(selected, criteria), r => r.Id, maxResults, nextToken);
    }
}
