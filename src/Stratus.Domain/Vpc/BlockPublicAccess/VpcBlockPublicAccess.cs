using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.BlockPublicAccess;

/// <summary>The account's VPC Block Public Access setting in one region.</summary>
public sealed class VpcBlockPublicAccessOptionsResource
{
    public string InternetGatewayBlockMode { get; set; } = "off";
    public string State { get; set; } = "default-state";
    public DateTime? LastUpdateTimestamp { get; set; }
}

/// <summary>An exclusion from Block Public Access for one VPC or one subnet.</summary>
public sealed class VpcBlockPublicAccessExclusionResource : ITaggable
{
    public required string Id { get; init; }
    public required string ResourceArn { get; init; }
    public string? VpcId { get; init; }
    public string? SubnetId { get; init; }
    public required string InternetGatewayExclusionMode { get; set; }
    public string State { get; set; } = "create-complete";
    public DateTime CreationTimestamp { get; init; }
    public DateTime LastUpdateTimestamp { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>What Block Public Access leaves of a subnet's internet-gateway path: traffic in from the internet, and out to it.</summary>
public readonly record struct PublicAccess(bool Ingress, bool Egress);

/// <summary>
/// VPC Block Public Access with AWS's rules: a per-region mode (<c>off</c>, <c>block-bidirectional</c>,
/// <c>block-ingress</c>) that cuts the internet-gateway path of every VPC, and exclusions per VPC or
/// subnet (<c>allow-bidirectional</c>, <c>allow-egress</c>) that take theirs back. The packet filter
/// reads <see cref="AccessAsync"/> per subnet.
/// </summary>
public static class VpcBlockPublicAccess
{
    private static readonly ResourceType OptionsType = new("vpc-block-public-access-options", "vpcbpa", "InvalidParameterValue", "InvalidParameterValue", "{0}");
    private const string OptionsKey = "options";

    /// <summary>Exclusions per region at most (AWS quota).</summary>
    public const int MaxExclusions = 50;

    public static async Task<VpcBlockPublicAccessOptionsResource> GetOptionsAsync(IStoreSession session, Scope scope, CancellationToken ct) =>
        await session.GetAsync<VpcBlockPublicAccessOptionsResource>(scope, OptionsType, OptionsKey, ct).ConfigureAwait(false) ?? new VpcBlockPublicAccessOptionsResource();

    public static async Task<VpcBlockPublicAccessOptionsResource> ModifyOptionsAsync(IStoreTransaction tx, Scope scope, string? mode, DateTime now, CancellationToken ct)
    {
        var checkedMode = mode switch
        {
            null or "" => throw AwsErrors.MissingParameter("InternetGatewayBlockMode"),
            "off" or "block-bidirectional" or "block-ingress" => mode,
            _ => throw AwsErrors.InvalidParameterValue($"Value ({mode}) for parameter InternetGatewayBlockMode is invalid. Valid values: off, block-bidirectional, block-ingress."),
        };
        var options = await GetOptionsAsync(tx, scope, ct).ConfigureAwait(false);
        options.InternetGatewayBlockMode = checkedMode;
        options.State = "update-complete";
        options.LastUpdateTimestamp = now;
        await tx.PutAsync(scope, OptionsType, OptionsKey, options, now, ct).ConfigureAwait(false);
        return options;
    }

    public static async Task<VpcBlockPublicAccessExclusionResource> CreateExclusionAsync(IStoreTransaction tx, Scope scope, string? vpcId, string? subnetId, string? mode,
        List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var checkedMode = CheckMode(mode);
        if ((vpcId is null) == (subnetId is null))
        {
            throw vpcId is null
                ? AwsErrors.MissingParameter("VpcId or SubnetId")
                : AwsErrors.InvalidParameterCombination("Only one of VpcId and SubnetId may be specified.");
        }
        string arn;
        if (vpcId is not null)
        {
            var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
            arn = $"arn:aws:ec2:{scope.Region}:{scope.AccountId}:vpc/{vpc.Id}";
        }
        else
        {
            var subnet = await Vpcs.RequireAsync<SubnetResource>(tx, scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
            arn = $"arn:aws:ec2:{scope.Region}:{scope.AccountId}:subnet/{subnet.Id}";
        }
        var existing = await tx.ListAsync<VpcBlockPublicAccessExclusionResource>(scope, ResourceTypes.VpcBlockPublicAccessExclusion, ct).ConfigureAwait(false);
        if (existing.Find(e => e.ResourceArn == arn) is { } duplicate)
        {
            throw AwsErrors.InvalidParameterValue($"An exclusion ({duplicate.Id}) already exists for {arn}.");
        }
        if (existing.Count >= MaxExclusions)
        {
            throw new AwsException("VpcBlockPublicAccessExclusionLimitExceeded", $"The maximum number of exclusions ({MaxExclusions}) has been reached.");
        }
        var exclusion = new VpcBlockPublicAccessExclusionResource
        {
            Id = ResourceIds.New(ResourceTypes.VpcBlockPublicAccessExclusion.IdPrefix),
            ResourceArn = arn,
            VpcId = vpcId,
            SubnetId = subnetId,
            InternetGatewayExclusionMode = checkedMode,
            CreationTimestamp = now,
            LastUpdateTimestamp = now,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.VpcBlockPublicAccessExclusion, exclusion.Id, exclusion, now, ct).ConfigureAwait(false);
        return exclusion;
    }

    public static async Task<VpcBlockPublicAccessExclusionResource> ModifyExclusionAsync(IStoreTransaction tx, Scope scope, string? id, string? mode, DateTime now, CancellationToken ct)
    {
        var exclusion = await RequireAsync(tx, scope, id, ct).ConfigureAwait(false);
        exclusion.InternetGatewayExclusionMode = CheckMode(mode);
        exclusion.State = "update-complete";
        exclusion.LastUpdateTimestamp = now;
        await tx.PutAsync(scope, ResourceTypes.VpcBlockPublicAccessExclusion, exclusion.Id, exclusion, now, ct).ConfigureAwait(false);
        return exclusion;
    }

    public static async Task<VpcBlockPublicAccessExclusionResource> DeleteExclusionAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var exclusion = await RequireAsync(tx, scope, id, ct).ConfigureAwait(false);
        await tx.DeleteAsync(scope, ResourceTypes.VpcBlockPublicAccessExclusion, exclusion.Id, ct).ConfigureAwait(false);
        exclusion.LastUpdateTimestamp = now;
        return exclusion;
    }

    /// <summary>
    /// What the mode and the exclusions leave of one subnet's internet path. A subnet exclusion wins
    /// over its VPC's; <c>allow-egress</c> lets flows out (and their replies) but nothing in.
    /// </summary>
    public static async Task<Func<string, string, PublicAccess>> AccessAsync(IStoreSession session, Scope scope, CancellationToken ct)
    {
        var mode = (await GetOptionsAsync(session, scope, ct).ConfigureAwait(false)).InternetGatewayBlockMode;
        if (mode == "off")
        {
            return (_, _) => new PublicAccess(true, true);
        }
        var exclusions = await session.ListAsync<VpcBlockPublicAccessExclusionResource>(scope, ResourceTypes.VpcBlockPublicAccessExclusion, ct).ConfigureAwait(false);
        return (vpcId, subnetId) =>
        {
            var exclusion = exclusions.Find(e => e.SubnetId == subnetId) ?? exclusions.Find(e => e.VpcId == vpcId);
            return exclusion?.InternetGatewayExclusionMode switch
            {
                "allow-bidirectional" => new PublicAccess(true, true),
                "allow-egress" => new PublicAccess(false, true),
                _ => new PublicAccess(false, mode == "block-ingress"),
            };
        };
    }

    private static string CheckMode(string? mode) => mode switch
    {
        null or "" => throw AwsErrors.MissingParameter("InternetGatewayExclusionMode"),
        "allow-bidirectional" or "allow-egress" => mode,
        _ => throw AwsErrors.InvalidParameterValue($"Value ({mode}) for parameter InternetGatewayExclusionMode is invalid. Valid values: allow-bidirectional, allow-egress."),
    };

    private static async Task<VpcBlockPublicAccessExclusionResource> RequireAsync(IStoreSession session, Scope scope, string? id, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter("ExclusionId");
        }
        return await Vpcs.RequireAsync<VpcBlockPublicAccessExclusionResource>(session, scope, ResourceTypes.VpcBlockPublicAccessExclusion, id, ct).ConfigureAwait(false);
    }
}
