namespace Stratus.Domain.Resources;

/// <summary>Root volume replacement tasks.</summary>
public static partial class ResourceTypes
{
    public static readonly ResourceType ReplaceRootVolumeTask = new("replace-root-volume-task", "replacevol", "InvalidReplaceRootVolumeTaskId.NotFound",
        "InvalidReplaceRootVolumeTaskId.Malformed", "The root volume replacement task ID '{0}' does not exist");

    private static ResourceType[] OperationsTaggable => [ReplaceRootVolumeTask];
}
