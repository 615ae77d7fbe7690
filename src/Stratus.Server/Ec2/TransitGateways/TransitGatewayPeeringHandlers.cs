using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.TransitGateways;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Transit gateway peering attachments, Connect attachments and peers, policy tables and route table announcements.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeTransitGatewayPeeringAttachments")]
    private static readonly FilterSet<TransitGatewayAttachmentResource> TransitGatewayPeeringFilters = new FilterSet<TransitGatewayAttachmentResource>()
        .Add("local-owner-id", a => a.TransitGatewayOwnerId)
        .Add("remote-owner-id", a => a.ResourceOwnerId)
        .Add("state", a => a.State)
        .Add("transit-gateway-attachment-id", a => a.Id)
        .AddMany("transit-gateway-id", a => [a.TransitGatewayId, a.ResourceId])
        .WithTags(a => a.Tags);

    [FiltersFor("DescribeTransitGatewayConnects")]
    private static readonly FilterSet<TransitGatewayAttachmentResource> TransitGatewayConnectFilters = new FilterSet<TransitGatewayAttachmentResource>()
        .Add("options.protocol", a => a.Protocol)
        .Add("state", a => a.State)
        .Add("transit-gateway-attachment-id", a => a.Id)
        .Add("transit-gateway-id", a => a.TransitGatewayId)
        .Add("transport-transit-gateway-attachment-id", a => a.ResourceId);

    [FiltersFor("DescribeTransitGatewayConnectPeers")]
    private static readonly FilterSet<TransitGatewayConnectPeerResource> TransitGatewayConnectPeerFilters = new FilterSet<TransitGatewayConnectPeerResource>()
        .Add("state", p => p.State)
        .Add("transit-gateway-attachment-id", p => p.TransitGatewayAttachmentId)
        .Add("transit-gateway-connect-peer-id", p => p.Id);

    // The model documents no filters for these; AWS's API reference lists them.
    private static readonly FilterSet<TransitGatewayPolicyTableResource> TransitGatewayPolicyTableFilters = new FilterSet<TransitGatewayPolicyTableResource>()
        .Add("state", t => t.State)
        .Add("transit-gateway-id", t => t.TransitGatewayId)
        .Add("transit-gateway-policy-table-id", t => t.Id)
        .WithTags(t => t.Tags);

    private static readonly FilterSet<TransitGatewayRouteTableAnnouncementResource> TransitGatewayAnnouncementFilters = new FilterSet<TransitGatewayRouteTableAnnouncementResource>()
        .Add("peer-transit-gateway-id", a => a.PeerTransitGatewayId)
        .Add("state", a => a.State)
        .Add("transit-gateway-id", a => a.TransitGatewayId)
        .Add("transit-gateway-route-table-announcement-id", a => a.Id)
        .Add("transit-gateway-route-table-id", a => a.TransitGatewayRouteTableId)
        .WithTags(a => a.Tags);

    private static readonly FilterSet<TransitGatewayAttachmentResource> TransitGatewayPolicyAssociationFilters = new FilterSet<TransitGatewayAttachmentResource>()
        .Add("resource-id", a => a.ResourceId)
        .Add("resource-type", a => a.ResourceType)
        .Add("transit-gateway-attachment-id", a => a.Id);

    // ---- Peering attachments ---------------------------------------------------------------

    public override async Task<CreateTransitGatewayPeeringAttachmentResult> CreateTransitGatewayPeeringAttachmentAsync(RequestContext context, CreateTransitGatewayPeeringAttachmentRequest request)
    {
        var attachment = await TransitGatewayExtras.CreatePeeringAsync(context.Transaction, context.Scope, request.TransitGatewayId, request.PeerTransitGatewayId,
            request.PeerAccountId, request.PeerRegion, request.Options?.DynamicRouting, TagsOnCreate(request.TagSpecifications, "transit-gateway-attachment"),
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayPeeringAttachmentResult { TransitGatewayPeeringAttachment = ToPeeringShape(context.Scope, attachment) };
    }

    public override async Task<AcceptTransitGatewayPeeringAttachmentResult> AcceptTransitGatewayPeeringAttachmentAsync(RequestContext context, AcceptTransitGatewayPeeringAttachmentRequest request)
    {
        var attachment = await TransitGatewayExtras.DecidePeeringAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, accept: true, context.Now, context.Cancellation).ConfigureAwait(false);
        SyncOtherRegion(context, attachment);
        return new AcceptTransitGatewayPeeringAttachmentResult { TransitGatewayPeeringAttachment = ToPeeringShape(context.Scope, attachment) };
    }

    public override async Task<RejectTransitGatewayPeeringAttachmentResult> RejectTransitGatewayPeeringAttachmentAsync(RequestContext context, RejectTransitGatewayPeeringAttachmentRequest request)
    {
        var attachment = await TransitGatewayExtras.DecidePeeringAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, accept: false, context.Now, context.Cancellation).ConfigureAwait(false);
        SyncOtherRegion(context, attachment);
        return new RejectTransitGatewayPeeringAttachmentResult { TransitGatewayPeeringAttachment = ToPeeringShape(context.Scope, attachment) };
    }

    public override async Task<DeleteTransitGatewayPeeringAttachmentResult> DeleteTransitGatewayPeeringAttachmentAsync(RequestContext context, DeleteTransitGatewayPeeringAttachmentRequest request)
    {
        var attachment = await TransitGatewayExtras.DeletePeeringAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, context.Now, context.Cancellation).ConfigureAwait(false);
        SyncOtherRegion(context, attachment);
        return new DeleteTransitGatewayPeeringAttachmentResult { TransitGatewayPeeringAttachment = ToPeeringShape(context.Scope, attachment) };
    }

    public override async Task<DescribeTransitGatewayPeeringAttachmentsResult> DescribeTransitGatewayPeeringAttachmentsAsync(RequestContext context, DescribeTransitGatewayPeeringAttachmentsRequest request)
    {
        var page = await AttachmentsOfTypeAsync(context, "peering", TransitGatewayPeeringFilters, request.TransitGatewayAttachmentIds, request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new DescribeTransitGatewayPeeringAttachmentsResult
        {
            TransitGatewayPeeringAttachments = page.Items.Select(a => ToPeeringShape(context.Scope, a)).ToList(),
            NextToken = page.NextToken,
        };
    }

    /// <summary>A peering between Regions or accounts changes what the other side's VPCs forward too: their filters follow after the commit.</summary>
    private void SyncOtherRegion(RequestContext context, TransitGatewayAttachmentResource attachment)
    {
        if (!context.DryRun && TransitGateways.OtherScope(attachment, context.Scope) is { } other)
        {
            context.AfterCommit(() => _lifecycle.SyncFirewallAsync(other, ct: CancellationToken.None));
        }
    }

    /// <summary>Attachments of one resource type (peering, connect): ids of other attachments are not found, as on AWS.</summary>
    private static async Task<Page<TransitGatewayAttachmentResource>> AttachmentsOfTypeAsync(
        RequestContext context, string type, FilterSet<TransitGatewayAttachmentResource> filters, List<string>? ids, List<Filter>? requestFilters, int? maxResults, string? nextToken)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGatewayAttachment, filters, ids, requestFilters, null, null, "").ConfigureAwait(false);
        if (ids is { Count: > 0 } && page.Items.FirstOrDefault(a => a.ResourceType != type) is { } other)
        {
            throw ResourceTypes.TransitGatewayAttachment.NotFound(other.Id);
        }
        return Paginator.Paginate(page.Items.Where(a => a.ResourceType == type), a => a.Id, maxResults, nextToken);
    }

    // ---- Connect ---------------------------------------------------------------------------

    public override async Task<CreateTransitGatewayConnectResult> CreateTransitGatewayConnectAsync(RequestContext context, CreateTransitGatewayConnectRequest request)
    {
        var attachment = await TransitGatewayExtras.CreateConnectAsync(context.Transaction, context.Scope, request.TransportTransitGatewayAttachmentId, request.Options?.Protocol,
            TagsOnCreate(request.TagSpecifications, "transit-gateway-attachment"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayConnectResult { TransitGatewayConnect = ToConnectShape(attachment) };
    }

    public override async Task<DeleteTransitGatewayConnectResult> DeleteTransitGatewayConnectAsync(RequestContext context, DeleteTransitGatewayConnectRequest request)
    {
        var attachment = await TransitGatewayExtras.DeleteConnectAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayConnectResult { TransitGatewayConnect = ToConnectShape(attachment) };
    }

    public override async Task<DescribeTransitGatewayConnectsResult> DescribeTransitGatewayConnectsAsync(RequestContext context, DescribeTransitGatewayConnectsRequest request)
    {
        var page = await AttachmentsOfTypeAsync(context, "connect", TransitGatewayConnectFilters, request.TransitGatewayAttachmentIds, request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new DescribeTransitGatewayConnectsResult { TransitGatewayConnects = page.Items.Select(ToConnectShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<CreateTransitGatewayConnectPeerResult> CreateTransitGatewayConnectPeerAsync(RequestContext context, CreateTransitGatewayConnectPeerRequest request)
    {
        var peer = await TransitGatewayExtras.CreateConnectPeerAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, request.TransitGatewayAddress,
            request.PeerAddress, request.InsideCidrBlocks, request.BgpOptions?.PeerAsn, TagsOnCreate(request.TagSpecifications, "transit-gateway-connect-peer"),
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayConnectPeerResult { TransitGatewayConnectPeer = ToShape(peer) };
    }

    public override async Task<DeleteTransitGatewayConnectPeerResult> DeleteTransitGatewayConnectPeerAsync(RequestContext context, DeleteTransitGatewayConnectPeerRequest request)
    {
        var peer = await TransitGatewayExtras.DeleteConnectPeerAsync(context.Transaction, context.Scope, request.TransitGatewayConnectPeerId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayConnectPeerResult { TransitGatewayConnectPeer = ToShape(peer) };
    }

    public override async Task<DescribeTransitGatewayConnectPeersResult> DescribeTransitGatewayConnectPeersAsync(RequestContext context, DescribeTransitGatewayConnectPeersRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGatewayConnectPeer, TransitGatewayConnectPeerFilters, request.TransitGatewayConnectPeerIds,
            request.Filters, request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeTransitGatewayConnectPeersResult { TransitGatewayConnectPeers = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    // ---- Policy tables ---------------------------------------------------------------------

    public override async Task<CreateTransitGatewayPolicyTableResult> CreateTransitGatewayPolicyTableAsync(RequestContext context, CreateTransitGatewayPolicyTableRequest request)
    {
        var table = await TransitGatewayExtras.CreatePolicyTableAsync(context.Transaction, context.Scope, request.TransitGatewayId,
            TagsOnCreate(request.TagSpecifications, "transit-gateway-policy-table"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayPolicyTableResult { TransitGatewayPolicyTable = ToShape(table) };
    }

    public override async Task<DeleteTransitGatewayPolicyTableResult> DeleteTransitGatewayPolicyTableAsync(RequestContext context, DeleteTransitGatewayPolicyTableRequest request)
    {
        var table = await TransitGatewayExtras.DeletePolicyTableAsync(context.Transaction, context.Scope, request.TransitGatewayPolicyTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayPolicyTableResult { TransitGatewayPolicyTable = ToShape(table) };
    }

    public override async Task<DescribeTransitGatewayPolicyTablesResult> DescribeTransitGatewayPolicyTablesAsync(RequestContext context, DescribeTransitGatewayPolicyTablesRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGatewayPolicyTable, TransitGatewayPolicyTableFilters, request.TransitGatewayPolicyTableIds,
            request.Filters, request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeTransitGatewayPolicyTablesResult { TransitGatewayPolicyTables = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<AssociateTransitGatewayPolicyTableResult> AssociateTransitGatewayPolicyTableAsync(RequestContext context, AssociateTransitGatewayPolicyTableRequest request)
    {
        var (table, attachment) = await TransitGatewayExtras.SetPolicyAssociationAsync(context.Transaction, context.Scope, request.TransitGatewayPolicyTableId,
            request.TransitGatewayAttachmentId, associate: true, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateTransitGatewayPolicyTableResult { Association = ToPolicyAssociationShape(table.Id, attachment, "associating") };
    }

    public override async Task<DisassociateTransitGatewayPolicyTableResult> DisassociateTransitGatewayPolicyTableAsync(RequestContext context, DisassociateTransitGatewayPolicyTableRequest request)
    {
        var (table, attachment) = await TransitGatewayExtras.SetPolicyAssociationAsync(context.Transaction, context.Scope, request.TransitGatewayPolicyTableId,
            request.TransitGatewayAttachmentId, associate: false, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisassociateTransitGatewayPolicyTableResult { Association = ToPolicyAssociationShape(table.Id, attachment, "disassociating") };
    }

    public override async Task<GetTransitGatewayPolicyTableAssociationsResult> GetTransitGatewayPolicyTableAssociationsAsync(RequestContext context, GetTransitGatewayPolicyTableAssociationsRequest request)
    {
        var table = await TransitGatewayExtras.RequirePolicyTableAsync(context.Store, context.Scope, request.TransitGatewayPolicyTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        var attachments = (await Provisioning.ListAsync<TransitGatewayAttachmentResource>(context.Store, context.Scope, ResourceTypes.TransitGatewayAttachment, context.Now, context.Cancellation).ConfigureAwait(false))
            .Where(a => a.PolicyTableId == table.Id);
        var page = Paginator.Paginate(TransitGatewayPolicyAssociationFilters.Apply(attachments, ToCriteria(request.Filters)), a => a.Id, request.MaxResults, request.NextToken);
        return new GetTransitGatewayPolicyTableAssociationsResult
        {
            Associations = page.Items.Select(a => ToPolicyAssociationShape(table.Id, a, "associated")).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<GetTransitGatewayPolicyTableEntriesResult> GetTransitGatewayPolicyTableEntriesAsync(RequestContext context, GetTransitGatewayPolicyTableEntriesRequest request)
    {
        // Policy rules come from a Cloud WAN core network's policy; without one a table has no entries.
        Paginator.CheckMaxResults(request.MaxResults);
        await TransitGatewayExtras.RequirePolicyTableAsync(context.Store, context.Scope, request.TransitGatewayPolicyTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new GetTransitGatewayPolicyTableEntriesResult { TransitGatewayPolicyTableEntries = [] };
    }

    // ---- Route table announcements ---------------------------------------------------------

    public override async Task<CreateTransitGatewayRouteTableAnnouncementResult> CreateTransitGatewayRouteTableAnnouncementAsync(RequestContext context, CreateTransitGatewayRouteTableAnnouncementRequest request)
    {
        var announcement = await TransitGatewayExtras.CreateAnnouncementAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId, request.PeeringAttachmentId,
            TagsOnCreate(request.TagSpecifications, "transit-gateway-route-table-announcement"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayRouteTableAnnouncementResult { TransitGatewayRouteTableAnnouncement = ToShape(announcement) };
    }

    public override async Task<DeleteTransitGatewayRouteTableAnnouncementResult> DeleteTransitGatewayRouteTableAnnouncementAsync(RequestContext context, DeleteTransitGatewayRouteTableAnnouncementRequest request)
    {
        var announcement = await TransitGatewayExtras.DeleteAnnouncementAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableAnnouncementId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayRouteTableAnnouncementResult { TransitGatewayRouteTableAnnouncement = ToShape(announcement) };
    }

    public override async Task<DescribeTransitGatewayRouteTableAnnouncementsResult> DescribeTransitGatewayRouteTableAnnouncementsAsync(RequestContext context, DescribeTransitGatewayRouteTableAnnouncementsRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGatewayRouteTableAnnouncement, TransitGatewayAnnouncementFilters, request.TransitGatewayRouteTableAnnouncementIds,
            request.Filters, request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeTransitGatewayRouteTableAnnouncementsResult { TransitGatewayRouteTableAnnouncements = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    // ---- Shapes ----------------------------------------------------------------------------

    private static TransitGatewayPeeringAttachment ToPeeringShape(Scope scope, TransitGatewayAttachmentResource a) => ToPeeringShape(scope, a, AsSeenFrom(scope, a));

    /// <summary>The accepter's side of a peering between Regions or accounts never sees the request being initiated: it is waiting for acceptance at once.</summary>
    private static string AsSeenFrom(Scope scope, TransitGatewayAttachmentResource a) =>
        a.State == "initiatingRequest" && TransitGateways.OtherScope(a, scope) is not null && scope == TransitGateways.AccepterScopeOf(a) ? "pendingAcceptance" : a.State;

    private static TransitGatewayPeeringAttachment ToPeeringShape(Scope scope, TransitGatewayAttachmentResource a, string state) => new()
    {
        TransitGatewayAttachmentId = a.Id,
        RequesterTgwInfo = new PeeringTgwInfo { TransitGatewayId = a.TransitGatewayId, OwnerId = a.TransitGatewayOwnerId, Region = a.RequesterRegion ?? scope.Region },
        AccepterTgwInfo = new PeeringTgwInfo { TransitGatewayId = a.ResourceId, OwnerId = a.ResourceOwnerId, Region = a.Peer?.Region ?? scope.Region },
        Options = new TransitGatewayPeeringAttachmentOptions { DynamicRouting = a.Peer?.DynamicRouting ?? "disable" },
        State = state,
        Status = new PeeringAttachmentStatus { Code = state, Message = PeeringStatusMessage(state) },
        CreationTime = a.CreationTime,
        Tags = ToShape(a.Tags),
    };

    private static string PeeringStatusMessage(string state) => state switch
    {
        "initiatingRequest" => "Initiating Request",
        "pendingAcceptance" => "Pending Acceptance",
        "pending" => "Pending",
        "available" => "Available",
        "rejecting" => "Rejecting",
        "rejected" => "Rejected",
        "deleting" => "Deleting",
        "deleted" => "Deleted",
        _ => state,
    };

    private static TransitGatewayConnect ToConnectShape(TransitGatewayAttachmentResource a) => new()
    {
        TransitGatewayAttachmentId = a.Id,
        TransitGatewayId = a.TransitGatewayId,
        TransportTransitGatewayAttachmentId = a.ResourceId,
        State = a.State,
        CreationTime = a.CreationTime,
        Options = new TransitGatewayConnectOptions { Protocol = a.Protocol },
        Tags = ToShape(a.Tags),
    };

    private static TransitGatewayConnectPeer ToShape(TransitGatewayConnectPeerResource p)
    {
        var inside = Ipv4Cidr.Parse(p.InsideCidrBlocks[0]);
        string At(uint offset) => Ipv4.Format(inside.Network + offset);
        return new()
        {
            TransitGatewayConnectPeerId = p.Id,
            TransitGatewayAttachmentId = p.TransitGatewayAttachmentId,
            State = p.State,
            CreationTime = p.CreationTime,
            ConnectPeerConfiguration = new TransitGatewayConnectPeerConfiguration
            {
                TransitGatewayAddress = p.TransitGatewayAddress,
                PeerAddress = p.PeerAddress,
                InsideCidrBlocks = [.. p.InsideCidrBlocks],
                Protocol = "gre",
                // The peer's BGP address is the block's first host, the gateway's the next two: a
                // session each, up while the host's BGP speaker has it established.
                BgpConfigurations = [.. new uint[] { 2, 3 }.Select(o => new TransitGatewayAttachmentBgpConfiguration
                {
                    TransitGatewayAsn = p.TransitGatewayAsn,
                    PeerAsn = p.PeerAsn,
                    TransitGatewayAddress = At(o),
                    PeerAddress = At(1),
                    BgpStatus = p.State == "available" && p.BgpEstablished.Contains(At(o), StringComparer.Ordinal) ? "up" : "down",
                })],
            },
            Tags = ToShape(p.Tags),
        };
    }

    private static TransitGatewayPolicyTable ToShape(TransitGatewayPolicyTableResource t) => new()
    {
        TransitGatewayPolicyTableId = t.Id,
        TransitGatewayId = t.TransitGatewayId,
        State = t.State,
        CreationTime = t.CreationTime,
        Tags = ToShape(t.Tags),
    };

    private static TransitGatewayPolicyTableAssociation ToPolicyAssociationShape(string tableId, TransitGatewayAttachmentResource a, string state) => new()
    {
        TransitGatewayPolicyTableId = tableId,
        TransitGatewayAttachmentId = a.Id,
        ResourceId = a.ResourceId,
        ResourceType = a.ResourceType,
        State = state,
    };

    private static TransitGatewayRouteTableAnnouncement ToShape(TransitGatewayRouteTableAnnouncementResource a) => new()
    {
        TransitGatewayRouteTableAnnouncementId = a.Id,
        TransitGatewayId = a.TransitGatewayId,
        TransitGatewayRouteTableId = a.TransitGatewayRouteTableId,
        PeeringAttachmentId = a.PeeringAttachmentId,
        PeerTransitGatewayId = a.PeerTransitGatewayId,
        AnnouncementDirection = a.AnnouncementDirection,
        State = a.State,
        CreationTime = a.CreationTime,
        Tags = ToShape(a.Tags),
    };
}
