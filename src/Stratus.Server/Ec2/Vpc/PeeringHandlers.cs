using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.Peering;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>VPC peering connections: request, accept, reject, delete, describe and options.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeVpcPeeringConnections")]
    private static readonly FilterSet<VpcPeeringConnectionResource> PeeringFilters = new FilterSet<VpcPeeringConnectionResource>()
        .AddMany("accepter-vpc-info.cidr-block", p => p.Accepter.CidrBlocks)
        .Add("accepter-vpc-info.owner-id", p => p.Accepter.OwnerId)
        .Add("accepter-vpc-info.vpc-id", p => p.Accepter.VpcId)
        .Add("expiration-time", p => p.ExpiresAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture))
        .AddMany("requester-vpc-info.cidr-block", p => p.Requester.CidrBlocks)
        .Add("requester-vpc-info.owner-id", p => p.Requester.OwnerId)
        .Add("requester-vpc-info.vpc-id", p => p.Requester.VpcId)
        .Add("status-code", p => p.StatusAt(DateTime.UtcNow))
        .Add("status-message", p => p.StatusMessageAt(DateTime.UtcNow))
        .Add("vpc-peering-connection-id", p => p.Id)
        .WithTags(p => p.Tags);

    public override async Task<CreateVpcPeeringConnectionResult> CreateVpcPeeringConnectionAsync(RequestContext context, CreateVpcPeeringConnectionRequest request)
    {
        var tags = TagsOnCreate(request.TagSpecifications, "vpc-peering-connection");
        var pcx = await VpcPeering.CreateAsync(context.Transaction, context.Scope, request.VpcId, request.PeerVpcId, request.PeerOwnerId, request.PeerRegion,
            tags, context.Now, context.Cancellation).ConfigureAwait(false);
        var shape = ToShape(pcx, context.Now);
        // The answer shows the request being made, as AWS's does; it is pending acceptance (or failed) right after.
        shape.Status = new VpcPeeringConnectionStateReason { Code = "initiating-request", Message = $"Initiating Request to {pcx.Accepter.OwnerId}" };
        shape.AccepterVpcInfo = new VpcPeeringConnectionVpcInfo { OwnerId = pcx.Accepter.OwnerId, VpcId = pcx.Accepter.VpcId, Region = pcx.Accepter.Region };
        return new CreateVpcPeeringConnectionResult { VpcPeeringConnection = shape };
    }

    public override async Task<AcceptVpcPeeringConnectionResult> AcceptVpcPeeringConnectionAsync(RequestContext context, AcceptVpcPeeringConnectionRequest request)
    {
        var pcx = await VpcPeering.AcceptAsync(context.Transaction, context.Scope, request.VpcPeeringConnectionId, context.Now, context.Cancellation).ConfigureAwait(false);
        SyncPeerScope(context, pcx);
        var shape = ToShape(pcx, context.Now);
        shape.Status = new VpcPeeringConnectionStateReason { Code = "provisioning", Message = "Provisioning" };
        return new AcceptVpcPeeringConnectionResult { VpcPeeringConnection = shape };
    }

    public override async Task<RejectVpcPeeringConnectionResult> RejectVpcPeeringConnectionAsync(RequestContext context, RejectVpcPeeringConnectionRequest request)
    {
        SyncPeerScope(context, await VpcPeering.RejectAsync(context.Transaction, context.Scope, request.VpcPeeringConnectionId, context.Now, context.Cancellation).ConfigureAwait(false));
        return new RejectVpcPeeringConnectionResult { Return = true };
    }

    public override async Task<DeleteVpcPeeringConnectionResult> DeleteVpcPeeringConnectionAsync(RequestContext context, DeleteVpcPeeringConnectionRequest request)
    {
        SyncPeerScope(context, await VpcPeering.DeleteAsync(context.Transaction, context.Scope, request.VpcPeeringConnectionId, context.Now, context.Cancellation).ConfigureAwait(false));
        return new DeleteVpcPeeringConnectionResult { Return = true };
    }

    public override async Task<DescribeVpcPeeringConnectionsResult> DescribeVpcPeeringConnectionsAsync(RequestContext context, DescribeVpcPeeringConnectionsRequest request)
    {
        var page = await SelectAsync(context, ResourceTypes.VpcPeeringConnection, PeeringFilters, request.VpcPeeringConnectionIds, request.Filters, request.MaxResults,
            request.NextToken, "vpcPeeringConnectionIds").ConfigureAwait(false);
        var now = context.Now;
        foreach (var id in request.VpcPeeringConnectionIds ?? [])
        {
            if (page.Items.FirstOrDefault(p => p.Id == id) is { } hidden && !hidden.VisibleAt(now))
            {
                throw ResourceTypes.VpcPeeringConnection.NotFound(id);
            }
        }
        return new DescribeVpcPeeringConnectionsResult
        {
            VpcPeeringConnections = page.Items.Where(p => p.VisibleAt(now)).Select(p => ToShape(p, now)).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<ModifyVpcPeeringConnectionOptionsResult> ModifyVpcPeeringConnectionOptionsAsync(RequestContext context, ModifyVpcPeeringConnectionOptionsRequest request)
    {
        foreach (var options in new[] { request.RequesterPeeringConnectionOptions, request.AccepterPeeringConnectionOptions })
        {
            if (options is { AllowEgressFromLocalClassicLinkToRemoteVpc: not null } or { AllowEgressFromLocalVpcToRemoteClassicLink: not null })
            {
                throw Stratus.Core.AwsErrors.InvalidParameterValue("ClassicLink options are not supported: EC2-Classic is retired.");
            }
        }
        var (requester, accepter) = await VpcPeering.ModifyOptionsAsync(context.Transaction, context.Scope, request.VpcPeeringConnectionId,
            request.RequesterPeeringConnectionOptions?.AllowDnsResolutionFromRemoteVpc, request.AccepterPeeringConnectionOptions?.AllowDnsResolutionFromRemoteVpc,
            context.Now, context.Cancellation).ConfigureAwait(false);
        // The options decide which peer names each VPC's resolver answers: both sides' hosts follow.
        if (!context.DryRun)
        {
            context.AfterCommit(() => _lifecycle.SyncFirewallAsync(context.Scope, ct: CancellationToken.None));
            SyncPeerScope(context, await VpcPeering.RequireAsync(context.Transaction, context.Scope, request.VpcPeeringConnectionId, context.Now, context.Cancellation).ConfigureAwait(false));
        }
        return new ModifyVpcPeeringConnectionOptionsResult
        {
            RequesterPeeringConnectionOptions = requester is null ? null : new PeeringConnectionOptions { AllowDnsResolutionFromRemoteVpc = requester },
            AccepterPeeringConnectionOptions = accepter is null ? null : new PeeringConnectionOptions { AllowDnsResolutionFromRemoteVpc = accepter },
        };
    }

    /// <summary>A connection between two accounts or Regions changes what the other side's VPC forwards too: its filters follow after the commit.</summary>
    private void SyncPeerScope(RequestContext context, VpcPeeringConnectionResource pcx)
    {
        if (!context.DryRun && pcx.OtherScope(context.Scope) is { } other)
        {
            context.AfterCommit(() => _lifecycle.SyncFirewallAsync(other, ct: CancellationToken.None));
        }
    }

    private static VpcPeeringConnection ToShape(VpcPeeringConnectionResource p, DateTime now)
    {
        var status = p.StatusAt(now);
        return new VpcPeeringConnection
        {
            VpcPeeringConnectionId = p.Id,
            RequesterVpcInfo = ToShape(p.Requester, withOptions: true),
            AccepterVpcInfo = status is "active" or "deleted" ? ToShape(p.Accepter, withOptions: status == "active") : new VpcPeeringConnectionVpcInfo
            {
                OwnerId = p.Accepter.OwnerId,
                VpcId = p.Accepter.VpcId,
                Region = p.Accepter.Region,
            },
            Status = new VpcPeeringConnectionStateReason { Code = status, Message = p.StatusMessageAt(now) },
            ExpirationTime = status is "pending-acceptance" or "expired" ? p.ExpiresAt : null,
            Tags = ToShape(p.Tags),
        };
    }

    private static VpcPeeringConnectionVpcInfo ToShape(PeeringSide side, bool withOptions) => new()
    {
        OwnerId = side.OwnerId,
        VpcId = side.VpcId,
        Region = side.Region,
        CidrBlock = side.CidrBlocks.FirstOrDefault(),
        CidrBlockSet = side.CidrBlocks.Select(c => new CidrBlock { CidrBlockValue = c }).ToList(),
        Ipv6CidrBlockSet = side.Ipv6CidrBlocks.Count > 0 ? side.Ipv6CidrBlocks.Select(c => new Ipv6CidrBlock { Ipv6CidrBlockValue = c }).ToList() : null,
        PeeringOptions = withOptions
            ? new VpcPeeringConnectionOptionsDescription
            {
                AllowDnsResolutionFromRemoteVpc = side.AllowDnsResolutionFromRemoteVpc,
                AllowEgressFromLocalClassicLinkToRemoteVpc = false,
                AllowEgressFromLocalVpcToRemoteClassicLink = false,
            }
            : null,
    };
}
