using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.EgressOnly;

/// <summary>An egress-only internet gateway: IPv6 out of one VPC, nothing in.</summary>
public sealed class EgressOnlyInternetGatewayResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Egress-only internet gateways: created attached to a VPC, deleted with their attachment;
/// routes (IPv6 destinations) may target them and become blackholes when the gateway goes.
/// Stratus guests have no IPv6 yet, so they carry no packets.
/// </summary>
public static class EgressOnlyInternetGateways
{
    public static async Task<EgressOnlyInternetGatewayResource> CreateAsync(IStoreTransaction tx, Scope scope, string? vpcId, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        var gateway = new EgressOnlyInternetGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.EgressOnlyInternetGateway.IdPrefix),
            OwnerId = scope.AccountId,
            VpcId = vpc.Id,
            Tags = tags,
        };
        await tx.PutAsync(scope, ResourceTypes.EgressOnlyInternetGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        return gateway;
    }

    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter("egressOnlyInternetGatewayId");
        }
        var gateway = await Vpcs.RequireAsync<EgressOnlyInternetGatewayResource>(tx, scope, ResourceTypes.EgressOnlyInternetGateway, id, ct).ConfigureAwait(false);
        await tx.DeleteAsync(scope, ResourceTypes.EgressOnlyInternetGateway, gateway.Id, ct).ConfigureAwait(false);
        await NatGateways.NatGateways.BlackholeRoutesAsync(tx, scope, gateway.VpcId, r => r.EgressOnlyInternetGatewayId == gateway.Id, now, ct).ConfigureAwait(false);
    }

    /// <summary>The route target check: a gateway of the table's VPC, for an IPv6 destination.</summary>
    public static async Task<EgressOnlyInternetGatewayResource> RequireRouteTargetAsync(IStoreSession session, Scope scope, string id, string vpcId, string destinationKind, CancellationToken ct)
    {
        var gateway = ResourceIds.IsWellFormed(ResourceTypes.EgressOnlyInternetGateway.IdPrefix, id)
            ? await session.GetAsync<EgressOnlyInternetGatewayResource>(scope, ResourceTypes.EgressOnlyInternetGateway, id, ct).ConfigureAwait(false)
            : null;
        if (gateway is null)
        {
            throw ResourceTypes.EgressOnlyInternetGateway.NotFound(id);
        }
        if (gateway.VpcId != vpcId)
        {
            throw AwsErrors.InvalidParameterValue($"route table and egress-only internet gateway {id} belong to different networks");
        }
        if (destinationKind != "ipv6-cidr-block")
        {
            throw AwsErrors.InvalidParameterValue("An egress-only internet gateway can be the target of IPv6 routes only (destinationIpv6CidrBlock).");
        }
        return gateway;
    }
}
