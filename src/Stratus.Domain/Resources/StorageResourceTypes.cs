namespace Stratus.Domain.Resources;

/// <summary>Account settings of EBS and AMIs per region (block public access, Allowed AMIs).</summary>
public static partial class ResourceTypes
{
    /// <summary>One document per setting and account and region, keyed by the setting's name.</summary>
    public static readonly ResourceType StorageSetting = new("storage-setting", "setting", "InvalidParameterValue", "InvalidParameterValue", "{0}");
}
