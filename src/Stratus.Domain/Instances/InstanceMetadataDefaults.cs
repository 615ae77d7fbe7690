using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Instances;

/// <summary>Account-level instance metadata defaults of a region (ModifyInstanceMetadataDefaults).</summary>
public sealed class InstanceMetadataDefaults
{
    /// <summary>The id of the defaults' document among the region's setup documents.</summary>
    public const string DocumentId = "imds-defaults";

    public string? HttpTokens { get; set; }
    public int? HttpPutResponseHopLimit { get; set; }
    public string? HttpEndpoint { get; set; }
    public string? InstanceMetadataTags { get; set; }

    public static async Task<InstanceMetadataDefaults> GetAsync(IStoreSession session, Scope scope, CancellationToken ct = default) =>
        await session.GetAsync<InstanceMetadataDefaults>(scope, ResourceTypes.RegionSetup, DocumentId, ct).ConfigureAwait(false) ?? new InstanceMetadataDefaults();

    public Task SaveAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct = default) =>
        tx.PutAsync(scope, ResourceTypes.RegionSetup, DocumentId, this, now, ct);

    /// <summary>EC2's error for a hop limit outside 1..64.</summary>
    public static void CheckHopLimit(int hopLimit)
    {
        if (hopLimit is < 1 or > 64)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({hopLimit}) for parameter httpPutResponseHopLimit is invalid. Expecting a value between 1 and 64.");
        }
    }
}
