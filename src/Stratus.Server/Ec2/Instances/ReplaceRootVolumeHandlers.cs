using Stratus.Domain.Filtering;
using Stratus.Domain.Instances.RootVolumes;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>Root volume replacement tasks: the API side of <see cref="RootVolumeReplacement"/>; the lifecycle controller does the guest's part.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeReplaceRootVolumeTasks")]
    private static readonly FilterSet<ReplaceRootVolumeTaskResource> ReplaceRootVolumeTaskFilters = new FilterSet<ReplaceRootVolumeTaskResource>()
        .Add("instance-id", t => t.InstanceId);

    public override async Task<CreateReplaceRootVolumeTaskResult> CreateReplaceRootVolumeTaskAsync(RequestContext context, CreateReplaceRootVolumeTaskRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, ResourceTypes.ReplaceRootVolumeTask.Name);
        var task = await RootVolumeReplacement.CreateAsync(context.Transaction, context.Scope,
            new ReplaceRootVolumeRequest(request.InstanceId, request.SnapshotId, request.ImageId, request.DeleteReplacedRootVolume ?? false,
                request.VolumeInitializationRate, tags),
            context.Now, context.Cancellation).ConfigureAwait(false);
        Enqueue(context, task.InstanceId, LifecycleAction.ReplaceRootVolume);
        return new CreateReplaceRootVolumeTaskResult { ReplaceRootVolumeTask = ToShape(task) };
    }

    public override async Task<DescribeReplaceRootVolumeTasksResult> DescribeReplaceRootVolumeTasksAsync(RequestContext context, DescribeReplaceRootVolumeTasksRequest request)
    {
        Paginator.CheckMaxResults(request.MaxResults, 1, 50);
        var ids = request.ReplaceRootVolumeTaskIds ?? [];
        foreach (var id in ids)
        {
            ResourceTypes.ReplaceRootVolumeTask.CheckId(id);
        }
        var all = await context.Store.ListAsync<ReplaceRootVolumeTaskResource>(context.Scope, ResourceTypes.ReplaceRootVolumeTask, context.Cancellation).ConfigureAwait(false);
        if (ids.Count > 0)
        {
            var byId = all.ToDictionary(t => t.Id, StringComparer.Ordinal);
            foreach (var id in ids.Where(id => !byId.ContainsKey(id)))
            {
                throw ResourceTypes.ReplaceRootVolumeTask.NotFound(id);
            }
            all = ids.Distinct(StringComparer.Ordinal).Select(id => byId[id]).ToList();
        }
        var selected = ReplaceRootVolumeTaskFilters.Apply(all, ToCriteria(request.Filters)).OrderBy(t => t.Id, StringComparer.Ordinal);
        var page = Paginator.Paginate(selected, t => t.Id, request.MaxResults, request.NextToken, 1, 50);
        return new DescribeReplaceRootVolumeTasksResult { ReplaceRootVolumeTasks = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    private void Enqueue(RequestContext context, string instanceId, LifecycleAction action)
    {
        var command = new LifecycleCommand(context.Scope, instanceId, action);
        context.AfterCommit(() =>
        {
            _lifecycle.Enqueue(command);
            return Task.CompletedTask;
        });
    }

    private static ReplaceRootVolumeTask ToShape(ReplaceRootVolumeTaskResource task) => new()
    {
        ReplaceRootVolumeTaskId = task.Id,
        InstanceId = task.InstanceId,
        TaskState = task.TaskState,
        StartTime = ProtocolFormats.FormatTimestamp(task.StartTime),
        CompleteTime = task.CompleteTime is { } completed ? ProtocolFormats.FormatTimestamp(completed) : null,
        ImageId = task.ImageId,
        SnapshotId = task.SnapshotId,
        DeleteReplacedRootVolume = task.DeleteReplacedRootVolume,
        Tags = ToShape(task.Tags),
    };
}
