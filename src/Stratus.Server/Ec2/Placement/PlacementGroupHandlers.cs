using Stratus.Domain.Filtering;
using Stratus.Domain.Placement;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Placement groups: CreatePlacementGroup, DeletePlacementGroup, DescribePlacementGroups.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribePlacementGroups")]
    private static readonly FilterSet<PlacementGroupView> PlacementGroupFilters = new FilterSet<PlacementGroupView>()
        .Add("group-arn", v => v.Arn)
        .Add("group-name", v => v.Group.Name)
        .Add("spread-level", v => v.Group.SpreadLevel)
        .Add("state", v => v.Group.State)
        .Add("strategy", v => v.Group.Strategy)
        .WithTags(v => v.Group.Tags);

    /// <summary>A placement group with its ARN, as the filters see it.</summary>
    private sealed record PlacementGroupView(PlacementGroupResource Group, string Arn);

    public override async Task<CreatePlacementGroupResult> CreatePlacementGroupAsync(RequestContext context, CreatePlacementGroupRequest request)
    {
        if (request.LinkedGroupId is not null)
        {
            throw Stratus.Core.AwsErrors.NotImplemented("CreatePlacementGroup with LinkedGroupId");
        }
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.PlacementGroup.Name);
        var group = PlacementGroups.Plan(request.GroupName, request.Strategy, request.SpreadLevel, request.PartitionCount, context.Now, tags);
        await PlacementGroups.AddAsync(context.Transaction, context.Scope, group, context.Cancellation).ConfigureAwait(false);
        return new CreatePlacementGroupResult { PlacementGroup = ToShape(context, group) };
    }

    public override async Task DeletePlacementGroupAsync(RequestContext context, DeletePlacementGroupRequest request) =>
        await PlacementGroups.DeleteAsync(context.Transaction, context.Scope, request.GroupName, context.Cancellation).ConfigureAwait(false);

    public override async Task<DescribePlacementGroupsResult> DescribePlacementGroupsAsync(RequestContext context, DescribePlacementGroupsRequest request)
    {
        foreach (var id in request.GroupIds ?? [])
        {
            ResourceTypes.PlacementGroup.CheckId(id);
        }
        var all = await context.Store.ListAsync<PlacementGroupResource>(context.Scope, ResourceTypes.PlacementGroup, context.Cancellation).ConfigureAwait(false);
        IEnumerable<PlacementGroupResource> selected = all;
        var names = request.GroupNames is { Count: > 0 } n ? n : null;
        var ids = request.GroupIds is { Count: > 0 } i ? i : null;
        if (names is not null || ids is not null)
        {
            foreach (var name in (names ?? []).Where(name => !all.Exists(g => g.Name == name)))
            {
                throw PlacementGroups.Unknown(name);
            }
            foreach (var id in (ids ?? []).Where(id => !all.Exists(g => g.Id == id)))
            {
                throw PlacementGroups.Unknown(id);
            }
            selected = all.Where(g => (names?.Contains(g.Name) ?? false) || (ids?.Contains(g.Id) ?? false));
        }
        var views = selected.Select(g => new PlacementGroupView(g, PlacementGroups.Arn(context.Region, context.AccountId, g.Name)));
        return new DescribePlacementGroupsResult
        {
            PlacementGroups = PlacementGroupFilters.Apply(views, ToCriteria(request.Filters))
                .OrderBy(v => v.Group.Name, StringComparer.Ordinal)
                .Select(v => ToShape(context, v.Group))
                .ToList(),
        };
    }

    private static PlacementGroup ToShape(RequestContext context, PlacementGroupResource group) => new()
    {
        GroupId = group.Id,
        GroupName = group.Name,
        GroupArn = PlacementGroups.Arn(context.Region, context.AccountId, group.Name),
        Strategy = group.Strategy,
        SpreadLevel = group.SpreadLevel,
        PartitionCount = group.PartitionCount,
        State = group.State,
        Tags = ToShape(group.Tags),
    };
}
