using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.PrefixLists;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Managed prefix lists (customer-managed and AWS-managed) and the legacy DescribePrefixLists.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeManagedPrefixLists")]
    private static readonly FilterSet<ManagedPrefixListResource> ManagedPrefixListFilters = new FilterSet<ManagedPrefixListResource>()
        .Add("owner-id", l => l.OwnerId)
        .Add("prefix-list-id", l => l.Id)
        .Add("prefix-list-name", l => l.Name);

    private static readonly FilterSet<ManagedPrefixListResource> ServicePrefixListFilters = new FilterSet<ManagedPrefixListResource>()
        .Add("prefix-list-id", l => l.Id)
        .Add("prefix-list-name", l => l.Name);

    public override async Task<CreateManagedPrefixListResult> CreateManagedPrefixListAsync(RequestContext context, CreateManagedPrefixListRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, "prefix-list");
        var entries = (request.Entries ?? []).Select(e => new PrefixListEntryRecord { Cidr = e.Cidr ?? "", Description = e.Description }).ToList();
        var list = await ManagedPrefixLists.CreateAsync(context.Transaction, context.Scope, request.PrefixListName, request.AddressFamily, request.MaxEntries,
            entries, tags, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateManagedPrefixListResult { PrefixList = ToShape(list, context.Scope.Region, "create-in-progress") };
    }

    public override async Task<DescribeManagedPrefixListsResult> DescribeManagedPrefixListsAsync(RequestContext context, DescribeManagedPrefixListsRequest request)
    {
        var lists = await ManagedPrefixLists.ListAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        var selected = SelectPrefixLists(lists, request.PrefixListIds, ResourceTypes.ManagedPrefixList.NotFound);
        var page = Paginator.Paginate(ManagedPrefixListFilters.Apply(selected, ToCriteria(request.Filters)), l => l.Id, request.MaxResults, request.NextToken, 1, 100);
        return new DescribeManagedPrefixListsResult
        {
            PrefixLists = page.Items.Select(l => ToShape(l, context.Scope.Region)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<ModifyManagedPrefixListResult> ModifyManagedPrefixListAsync(RequestContext context, ModifyManagedPrefixListRequest request)
    {
        var add = (request.AddEntries ?? []).Select(e => new PrefixListEntryRecord { Cidr = e.Cidr ?? "", Description = e.Description }).ToList();
        var remove = (request.RemoveEntries ?? []).Select(e => e.Cidr ?? "").ToList();
        var list = await ManagedPrefixLists.ModifyAsync(context.Transaction, context.Scope, request.PrefixListId, request.CurrentVersion, request.PrefixListName,
            add, remove, request.MaxEntries, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyManagedPrefixListResult { PrefixList = ToShape(list, context.Scope.Region, "modify-in-progress") };
    }

    public override async Task<DeleteManagedPrefixListResult> DeleteManagedPrefixListAsync(RequestContext context, DeleteManagedPrefixListRequest request)
    {
        var list = await ManagedPrefixLists.DeleteAsync(context.Transaction, context.Scope, request.PrefixListId, context.Cancellation).ConfigureAwait(false);
        return new DeleteManagedPrefixListResult { PrefixList = ToShape(list, context.Scope.Region, "delete-in-progress") };
    }

    public override async Task<RestoreManagedPrefixListVersionResult> RestoreManagedPrefixListVersionAsync(RequestContext context, RestoreManagedPrefixListVersionRequest request)
    {
        var list = await ManagedPrefixLists.RestoreAsync(context.Transaction, context.Scope, request.PrefixListId, request.PreviousVersion, request.CurrentVersion,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new RestoreManagedPrefixListVersionResult { PrefixList = ToShape(list, context.Scope.Region, "restore-in-progress") };
    }

    public override async Task<GetManagedPrefixListEntriesResult> GetManagedPrefixListEntriesAsync(RequestContext context, GetManagedPrefixListEntriesRequest request)
    {
        var list = await ManagedPrefixLists.RequireAsync(context.Store, context.Scope, request.PrefixListId, context.Cancellation).ConfigureAwait(false);
        var entries = ManagedPrefixLists.EntriesAt(list, request.TargetVersion);
        var page = Paginator.Paginate(entries.OrderBy(e => e.Cidr, StringComparer.Ordinal), e => e.Cidr, request.MaxResults, request.NextToken, 1, 100);
        return new GetManagedPrefixListEntriesResult
        {
            Entries = page.Items.Select(e => new PrefixListEntry { Cidr = e.Cidr, Description = e.Description }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<GetManagedPrefixListAssociationsResult> GetManagedPrefixListAssociationsAsync(RequestContext context, GetManagedPrefixListAssociationsRequest request)
    {
        var list = await ManagedPrefixLists.RequireAsync(context.Store, context.Scope, request.PrefixListId, context.Cancellation).ConfigureAwait(false);
        var references = await ManagedPrefixLists.ReferencesAsync(context.Store, context.Scope, list.Id, context.Cancellation).ConfigureAwait(false);
        var page = Paginator.Paginate(references, r => r.ResourceId, request.MaxResults, request.NextToken, 5, 255);
        return new GetManagedPrefixListAssociationsResult
        {
            PrefixListAssociations = page.Items.Select(r => new PrefixListAssociation { ResourceId = r.ResourceId, ResourceOwner = r.ResourceOwner }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override Task<DescribePrefixListsResult> DescribePrefixListsAsync(RequestContext context, DescribePrefixListsRequest request)
    {
        var lists = ManagedPrefixLists.ServiceLists(context.Scope.Region);
        var selected = SelectPrefixLists(lists, request.PrefixListIds,
            id => new Stratus.Core.AwsException("InvalidPrefixListId.NotFound", $"The prefix list ID '{id}' does not exist"));
        var page = Paginator.Paginate(ServicePrefixListFilters.Apply(selected, ToCriteria(request.Filters)), l => l.Id, request.MaxResults, request.NextToken);
        return Task.FromResult(new DescribePrefixListsResult
        {
            PrefixLists = page.Items.Select(l => new PrefixList { PrefixListId = l.Id, PrefixListName = l.Name, Cidrs = l.Entries.Select(e => e.Cidr).ToList() }).ToList(),
            NextToken = page.NextToken,
        });
    }

    private static IReadOnlyList<ManagedPrefixListResource> SelectPrefixLists(IReadOnlyList<ManagedPrefixListResource> lists, List<string>? ids, Func<string, Exception> notFound)
    {
        if (ids is not { Count: > 0 })
        {
            return lists;
        }
        foreach (var id in ids)
        {
            Stratus.Domain.SecurityGroups.RuleValidation.CheckPrefixListId(id);
            if (!lists.Any(l => l.Id == id))
            {
                throw notFound(id);
            }
        }
        return lists.Where(l => ids.Contains(l.Id)).ToList();
    }

    /// <summary>A list as EC2 shows it; <paramref name="state"/> overrides the stored state in the answer to the call that changed it.</summary>
    private static ManagedPrefixList ToShape(ManagedPrefixListResource l, string region, string? state = null) => new()
    {
        PrefixListId = l.Id,
        PrefixListName = l.Name,
        AddressFamily = l.AddressFamily,
        MaxEntries = l.MaxEntries,
        OwnerId = l.OwnerId,
        PrefixListArn = l.Arn(region),
        State = state is null || (state == "modify-in-progress" && l.State == "modify-failed") ? l.State : state,
        StateMessage = l.StateMessage,
        Version = l.Version,
        Tags = ToShape(l.Tags),
    };
}
