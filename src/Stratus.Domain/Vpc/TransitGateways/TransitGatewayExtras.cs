using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.TransitGateways;

/// <summary>The accepter side of a transit gateway peering attachment.</summary>
public sealed class TransitGatewayPeerInfo
{
    public required string TransitGatewayId { get; init; }
    public required string OwnerId { get; init; }
    public required string Region { get; init; }
    public string DynamicRouting { get; init; } = "disable";
}

/// <summary>A Connect peer: a GRE tunnel with BGP between a transit gateway and an appliance, over a Connect attachment.</summary>
public sealed class TransitGatewayConnectPeerResource : IProvisioned
{
    public required string Id { get; init; }
    public required string TransitGatewayAttachmentId { get; init; }
    public required string TransitGatewayAddress { get; init; }
    public required string PeerAddress { get; init; }
    public List<string> InsideCidrBlocks { get; init; } = [];
    public long PeerAsn { get; init; }
    public long TransitGatewayAsn { get; init; }
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];

    /// <summary>The gateway's inside addresses (the /29's second and third) whose BGP session with the peer is established, as the host's BGP speaker last reported.</summary>
    public List<string> BgpEstablished { get; set; } = [];

    /// <summary>The IPv4 prefixes the peer announces over its BGP sessions (both sessions' together): the Connect attachment propagates them.</summary>
    public List<string> LearnedRoutes { get; set; } = [];
}

/// <summary>What a host's BGP speaker reports of one Connect peer: the gateway's inside addresses whose session is established and the prefixes the peer announces.</summary>
public sealed record ConnectPeerBgpState(string AccountId, string Region, string ConnectPeerId, IReadOnlyList<string> Established, IReadOnlyList<string> LearnedRoutes);

/// <summary>A transit gateway policy table (its rules come from a Cloud WAN core network; Stratus has none, so it has no entries).</summary>
public sealed class TransitGatewayPolicyTableResource : IProvisioned
{
    public required string Id { get; init; }
    public required string TransitGatewayId { get; init; }
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>A route table announcement: a transit gateway route table advertised over a peering attachment.</summary>
public sealed class TransitGatewayRouteTableAnnouncementResource : IProvisioned
{
    public required string Id { get; init; }
    public required string TransitGatewayId { get; init; }
    public required string TransitGatewayRouteTableId { get; init; }
    public required string PeeringAttachmentId { get; init; }
    public required string PeerTransitGatewayId { get; init; }
    public string AnnouncementDirection { get; init; } = "outgoing";
    public DateTime CreationTime { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>
/// Transit gateway peering attachments, Connect attachments and peers, policy tables and route
/// table announcements, with EC2's states and errors. Peering attachments join two gateways of
/// any accounts and Regions (the accepter's account, in its Region, decides): <c>initiatingRequest</c>, then <c>pendingAcceptance</c> until
/// accepted (<c>pending</c> → <c>available</c>) or rejected (<c>rejecting</c> → <c>rejected</c>).
/// </summary>
public static class TransitGatewayExtras
{
    private static readonly Ipv4Cidr LinkLocal = Ipv4Cidr.Parse("169.254.0.0/16");

    /// <summary>The /29s AWS reserves for itself inside 169.254.0.0/16 (Connect peers may not use them).</summary>
    private static readonly string[] ReservedInsideBlocks =
        ["169.254.0.0/29", "169.254.1.0/29", "169.254.2.0/29", "169.254.3.0/29", "169.254.4.0/29", "169.254.5.0/29", "169.254.169.248/29"];

    // ---- Peering attachments ---------------------------------------------------------------

    public static async Task<TransitGatewayAttachmentResource> CreatePeeringAsync(
        IStoreTransaction tx, Scope scope, string? transitGatewayId, string? peerTransitGatewayId, string? peerAccountId, string? peerRegion,
        string? dynamicRouting, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var gateway = await TransitGateways.RequireAsync(tx, scope, transitGatewayId, now, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(peerTransitGatewayId))
        {
            throw AwsErrors.MissingParameter("PeerTransitGatewayId");
        }
        if (string.IsNullOrEmpty(peerAccountId))
        {
            throw AwsErrors.MissingParameter("PeerAccountId");
        }
        if (string.IsNullOrEmpty(peerRegion))
        {
            throw AwsErrors.MissingParameter("PeerRegion");
        }
        if (peerAccountId.Length != 12 || !peerAccountId.All(char.IsAsciiDigit))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({peerAccountId}) for parameter PeerAccountId is invalid. An account id is 12 digits.");
        }
        if (Regions.RegionCatalog.Find(peerRegion) is null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({peerRegion}) for parameter PeerRegion is invalid. {peerRegion} is not a valid Region.");
        }
        var routing = TransitGateways.EnableDisable(dynamicRouting, "DynamicRouting") ?? "disable";
        var peerScope = new Scope(peerAccountId, peerRegion);
        var peer = await TransitGateways.RequireAsync(tx, peerScope, peerTransitGatewayId, now, ct).ConfigureAwait(false);
        if (peer.Id == gateway.Id)
        {
            throw AwsErrors.InvalidParameterValue("A transit gateway cannot peer with itself.");
        }
        TransitGateways.RequireState(gateway.Id, gateway.State, "available", "modifying");
        TransitGateways.RequireState(peer.Id, peer.State, "available", "modifying");
        var existing = await Provisioning.ListAsync<TransitGatewayAttachmentResource>(tx, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false);
        if (existing.Exists(a => a.ResourceType == "peering" && !Provisioning.IsDeletedOrDeleting(a)
            && ((a.TransitGatewayId == gateway.Id && a.ResourceId == peer.Id) || (a.TransitGatewayId == peer.Id && a.ResourceId == gateway.Id))))
        {
            throw new AwsException("DuplicateTransitGatewayAttachment", $"{gateway.Id} has non-deleted Transit Gateway Peering Attachments with {peer.Id}.");
        }
        var attachment = new TransitGatewayAttachmentResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayAttachment.IdPrefix),
            TransitGatewayId = gateway.Id,
            TransitGatewayOwnerId = gateway.OwnerId,
            ResourceType = "peering",
            ResourceId = peer.Id,
            ResourceOwnerId = peer.OwnerId,
            Peer = new TransitGatewayPeerInfo { TransitGatewayId = peer.Id, OwnerId = peer.OwnerId, Region = peerRegion, DynamicRouting = routing },
            RequesterRegion = peerRegion == scope.Region ? null : scope.Region,
            CreationTime = now,
            Tags = tags,
        };
        Provisioning.Begin(attachment, "initiatingRequest", "pendingAcceptance", now);
        await TransitGateways.PutAttachmentAsync(tx, scope, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    /// <summary>Accept/RejectTransitGatewayPeeringAttachment: only one waiting for acceptance.</summary>
    public static async Task<TransitGatewayAttachmentResource> DecidePeeringAsync(IStoreTransaction tx, Scope scope, string? attachmentId, bool accept, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireOfTypeAsync(tx, scope, attachmentId, "peering", "peering", now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(attachment.Id, attachment.State, "pendingAcceptance");
        if (TransitGateways.OtherScope(attachment, scope) is not null && scope != TransitGateways.AccepterScopeOf(attachment))
        {
            // Between Regions or accounts only the accepter's account, in its Region, decides.
            throw new AwsException("IncorrectState", $"{attachment.Id} is in invalid state");
        }
        if (accept)
        {
            Provisioning.Begin(attachment, "pending", "available", now);
        }
        else
        {
            Provisioning.Begin(attachment, "rejecting", "rejected", now);
        }
        await TransitGateways.PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
        return attachment;
    }

    public static async Task<TransitGatewayAttachmentResource> DeletePeeringAsync(IStoreTransaction tx, Scope scope, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireOfTypeAsync(tx, scope, attachmentId, "peering", "peering", now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(attachment.Id, attachment.State, "available", "pending", "pendingAcceptance", "initiatingRequest", "failed", "rejected", "modifying");
        var announcements = await Provisioning.ListAsync<TransitGatewayRouteTableAnnouncementResource>(tx, scope, ResourceTypes.TransitGatewayRouteTableAnnouncement, now, ct).ConfigureAwait(false);
        if (announcements.Exists(a => a.PeeringAttachmentId == attachment.Id && !Provisioning.IsDeletedOrDeleting(a)))
        {
            throw new AwsException("IncorrectState", $"{attachment.Id} has route table announcements; delete them first.");
        }
        attachment.PolicyTableId = null;
        await TransitGateways.DetachAsync(tx, scope, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    // ---- Connect attachments and peers ------------------------------------------------------

    public static async Task<TransitGatewayAttachmentResource> CreateConnectAsync(
        IStoreTransaction tx, Scope scope, string? transportAttachmentId, string? protocol, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(protocol))
        {
            throw AwsErrors.MissingParameter("Options.Protocol");
        }
        if (protocol != "gre")
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value '{protocol}' for Options.Protocol. Valid value: gre.");
        }
        var transport = await TransitGateways.RequireAttachmentAsync(tx, scope, transportAttachmentId, now, ct).ConfigureAwait(false);
        if (transport.ResourceType is not ("vpc" or "direct-connect-gateway"))
        {
            throw AwsErrors.InvalidParameterValue($"{transport.Id} cannot be a transport attachment: it must be a VPC or Direct Connect gateway attachment.");
        }
        TransitGateways.RequireState(transport.Id, transport.State, "available", "modifying");
        var gateway = await TransitGateways.RequireAsync(tx, scope, transport.TransitGatewayId, now, ct).ConfigureAwait(false);
        var attachment = new TransitGatewayAttachmentResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayAttachment.IdPrefix),
            TransitGatewayId = gateway.Id,
            TransitGatewayOwnerId = gateway.OwnerId,
            ResourceType = "connect",
            ResourceId = transport.Id,
            ResourceOwnerId = scope.AccountId,
            Protocol = protocol,
            CreationTime = now,
            Tags = tags,
        };
        Provisioning.Begin(attachment, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayAttachment, attachment.Id, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    public static async Task<TransitGatewayAttachmentResource> DeleteConnectAsync(IStoreTransaction tx, Scope scope, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireOfTypeAsync(tx, scope, attachmentId, "connect", "Connect", now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(attachment.Id, attachment.State, "available", "pending", "modifying", "failed");
        var peers = await Provisioning.ListAsync<TransitGatewayConnectPeerResource>(tx, scope, ResourceTypes.TransitGatewayConnectPeer, now, ct).ConfigureAwait(false);
        if (peers.Exists(p => p.TransitGatewayAttachmentId == attachment.Id && !Provisioning.IsDeletedOrDeleting(p)))
        {
            throw new AwsException("IncorrectState", $"{attachment.Id} has Connect peers; delete them first.");
        }
        await TransitGateways.DetachAsync(tx, scope, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    /// <summary>
    /// CreateTransitGatewayConnectPeer: a /29 inside block from 169.254.0.0/16 (not one AWS
    /// reserves), the peer's address, and the gateway's address (given, or the first free one of
    /// the gateway's CIDR blocks). BGP runs between the block's first address (the peer) and the
    /// second and third (the gateway), with the gateway's ASN and the peer's (the gateway's by default).
    /// </summary>
    public static async Task<TransitGatewayConnectPeerResource> CreateConnectPeerAsync(
        IStoreTransaction tx, Scope scope, string? attachmentId, string? transitGatewayAddress, string? peerAddress, IReadOnlyList<string>? insideCidrBlocks,
        long? peerAsn, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireOfTypeAsync(tx, scope, attachmentId, "connect", "Connect", now, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(peerAddress))
        {
            throw AwsErrors.MissingParameter("PeerAddress");
        }
        if (insideCidrBlocks is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("InsideCidrBlocks");
        }
        ParseAddress(peerAddress, "PeerAddress");
        if (peerAsn is < 1 or > uint.MaxValue)
        {
            throw AwsErrors.InvalidParameterValue(string.Create(CultureInfo.InvariantCulture, $"Invalid value '{peerAsn}' for BgpOptions.PeerAsn: an ASN is from 1 to 4294967295."));
        }
        var inside = new List<string>();
        foreach (var block in insideCidrBlocks)
        {
            var cidr = Ipv4Cidr.TryParse(block, out var parsed) ? parsed : throw AwsErrors.InvalidParameterValue($"Invalid value '{block}' for InsideCidrBlocks.");
            if (cidr.PrefixLength != 29 || !LinkLocal.Contains(cidr) || cidr.ToString() != block)
            {
                throw AwsErrors.InvalidParameterValue($"The inside CIDR block {block} must be a /29 from 169.254.0.0/16.");
            }
            if (ReservedInsideBlocks.Contains(block, StringComparer.Ordinal))
            {
                throw AwsErrors.InvalidParameterValue($"The inside CIDR block {block} is reserved.");
            }
            inside.Add(block);
        }
        TransitGateways.RequireState(attachment.Id, attachment.State, "available", "modifying");
        var gateway = await TransitGateways.RequireAsync(tx, scope, attachment.TransitGatewayId, now, ct).ConfigureAwait(false);
        var peers = (await Provisioning.ListAsync<TransitGatewayConnectPeerResource>(tx, scope, ResourceTypes.TransitGatewayConnectPeer, now, ct).ConfigureAwait(false))
            .Where(p => !Provisioning.IsDeletedOrDeleting(p))
            .ToList();
        if (peers.Exists(p => p.TransitGatewayAttachmentId == attachment.Id && p.InsideCidrBlocks.Intersect(inside, StringComparer.Ordinal).Any()))
        {
            throw AwsErrors.InvalidParameterValue($"The inside CIDR block {inside[0]} is already used by a Connect peer of {attachment.Id}.");
        }
        string address;
        if (transitGatewayAddress is not null)
        {
            var parsed = ParseAddress(transitGatewayAddress, "TransitGatewayAddress");
            if (!Ipv4Blocks(gateway).Any(c => c.Contains(parsed)))
            {
                throw AwsErrors.InvalidParameterValue($"The transit gateway address {transitGatewayAddress} is not in a CIDR block of {gateway.Id}.");
            }
            address = transitGatewayAddress;
        }
        else
        {
            var used = peers.Select(p => p.TransitGatewayAddress).ToHashSet(StringComparer.Ordinal);
            address = Ipv4Blocks(gateway)
                .SelectMany(c => Enumerable.Range(0, (int)Math.Min(c.Size, 4096)).Select(i => Ipv4.Format(c.Network + (uint)i)))
                .FirstOrDefault(a => !used.Contains(a))
                ?? throw AwsErrors.InvalidParameterValue($"{gateway.Id} has no CIDR block to take a transit gateway address from; give TransitGatewayAddress or add TransitGatewayCidrBlocks.");
        }
        var peer = new TransitGatewayConnectPeerResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayConnectPeer.IdPrefix),
            TransitGatewayAttachmentId = attachment.Id,
            TransitGatewayAddress = address,
            PeerAddress = peerAddress,
            InsideCidrBlocks = inside,
            PeerAsn = peerAsn ?? gateway.Options.AmazonSideAsn,
            TransitGatewayAsn = gateway.Options.AmazonSideAsn,
            CreationTime = now,
            Tags = tags,
        };
        Provisioning.Begin(peer, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayConnectPeer, peer.Id, peer, now, ct).ConfigureAwait(false);
        return peer;
    }

    public static async Task<TransitGatewayConnectPeerResource> DeleteConnectPeerAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var peer = await Provisioning.RequireAsync<TransitGatewayConnectPeerResource>(tx, scope, ResourceTypes.TransitGatewayConnectPeer, id, "TransitGatewayConnectPeerId", now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(peer.Id, peer.State, "available", "pending");
        Provisioning.Begin(peer, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayConnectPeer, peer.Id, peer, peer.CreationTime, ct).ConfigureAwait(false);
        return peer;
    }

    /// <summary>
    /// Records what the host's BGP speaker reports of a Connect peer (its established sessions and
    /// learned prefixes); false when the peer is gone or nothing changed. A peer being deleted keeps
    /// nothing: its routes are withdrawn with it.
    /// </summary>
    public static async Task<bool> RecordBgpAsync(IStoreTransaction tx, Scope scope, string connectPeerId, IReadOnlyList<string> established, IReadOnlyList<string> learnedRoutes, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(established);
        ArgumentNullException.ThrowIfNull(learnedRoutes);
        var peer = await tx.GetAsync<TransitGatewayConnectPeerResource>(scope, ResourceTypes.TransitGatewayConnectPeer, connectPeerId, ct).ConfigureAwait(false);
        if (peer is null)
        {
            return false;
        }
        var deleting = Provisioning.IsDeletedOrDeleting(Provisioning.Settle(peer, now));
        var up = deleting ? new List<string>() : established.Order(StringComparer.Ordinal).ToList();
        var routes = deleting ? new List<string>() : learnedRoutes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (peer.BgpEstablished.SequenceEqual(up, StringComparer.Ordinal) && peer.LearnedRoutes.SequenceEqual(routes, StringComparer.Ordinal))
        {
            return false;
        }
        peer.BgpEstablished = up;
        peer.LearnedRoutes = routes;
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayConnectPeer, peer.Id, peer, peer.CreationTime, ct).ConfigureAwait(false);
        return true;
    }

    // ---- Policy tables ---------------------------------------------------------------------

    public static async Task<TransitGatewayPolicyTableResource> CreatePolicyTableAsync(IStoreTransaction tx, Scope scope, string? transitGatewayId, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var gateway = await TransitGateways.RequireAsync(tx, scope, transitGatewayId, now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(gateway.Id, gateway.State, "available", "modifying");
        var table = new TransitGatewayPolicyTableResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayPolicyTable.IdPrefix),
            TransitGatewayId = gateway.Id,
            CreationTime = now,
            Tags = tags,
        };
        Provisioning.Begin(table, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayPolicyTable, table.Id, table, now, ct).ConfigureAwait(false);
        return table;
    }

    public static Task<TransitGatewayPolicyTableResource> RequirePolicyTableAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<TransitGatewayPolicyTableResource>(session, scope, ResourceTypes.TransitGatewayPolicyTable, id, "TransitGatewayPolicyTableId", now, ct);

    public static async Task<TransitGatewayPolicyTableResource> DeletePolicyTableAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var table = await RequirePolicyTableAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(table.Id, table.State, "available", "pending");
        var attachments = await Provisioning.ListAsync<TransitGatewayAttachmentResource>(tx, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false);
        if (attachments.Exists(a => a.PolicyTableId == table.Id && !Provisioning.IsDeletedOrDeleting(a)))
        {
            throw new AwsException("IncorrectState", $"{table.Id} has associations; disassociate them first.");
        }
        Provisioning.Begin(table, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayPolicyTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        return table;
    }

    /// <summary>Associate/DisassociateTransitGatewayPolicyTable: a peering attachment of the table's gateway, one policy table each.</summary>
    public static async Task<(TransitGatewayPolicyTableResource Table, TransitGatewayAttachmentResource Attachment)> SetPolicyAssociationAsync(
        IStoreTransaction tx, Scope scope, string? tableId, string? attachmentId, bool associate, DateTime now, CancellationToken ct)
    {
        var table = await RequirePolicyTableAsync(tx, scope, tableId, now, ct).ConfigureAwait(false);
        var attachment = await TransitGateways.RequireAttachmentAsync(tx, scope, attachmentId, now, ct).ConfigureAwait(false);
        if (attachment.TransitGatewayId != table.TransitGatewayId && attachment.ResourceId != table.TransitGatewayId)
        {
            throw AwsErrors.InvalidParameterValue($"{attachment.Id} and {table.Id} belong to different transit gateways.");
        }
        if (associate)
        {
            TransitGateways.RequireState(table.Id, table.State, "available");
            if (attachment.ResourceType != "peering")
            {
                throw AwsErrors.InvalidParameterValue($"Only peering attachments can be associated with a policy table; {attachment.Id} is a {attachment.ResourceType} attachment.");
            }
            TransitGateways.RequireState(attachment.Id, attachment.State, "available", "modifying");
            if (attachment.PolicyTableId is { } current)
            {
                throw new AwsException("Resource.AlreadyAssociated", $"Transit Gateway Attachment {attachment.Id} is already associated with a policy table ({current}).");
            }
            attachment.PolicyTableId = table.Id;
        }
        else
        {
            if (attachment.PolicyTableId != table.Id)
            {
                throw new AwsException("InvalidAssociation.NotFound", $"Transit Gateway Attachment {attachment.Id} is not associated with {table.Id}.");
            }
            attachment.PolicyTableId = null;
        }
        await TransitGateways.PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
        return (table, attachment);
    }

    // ---- Route table announcements ---------------------------------------------------------

    public static async Task<TransitGatewayRouteTableAnnouncementResource> CreateAnnouncementAsync(
        IStoreTransaction tx, Scope scope, string? routeTableId, string? peeringAttachmentId, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var table = await TransitGateways.RequireRouteTableAsync(tx, scope, routeTableId, now, ct).ConfigureAwait(false);
        var attachment = await RequireOfTypeAsync(tx, scope, peeringAttachmentId, "peering", "peering", now, ct).ConfigureAwait(false);
        var peerGateway = attachment.TransitGatewayId == table.TransitGatewayId ? attachment.ResourceId
            : attachment.ResourceId == table.TransitGatewayId ? attachment.TransitGatewayId
            : throw AwsErrors.InvalidParameterValue($"{attachment.Id} is not a peering attachment of {table.TransitGatewayId}.");
        TransitGateways.RequireState(table.Id, table.State, "available");
        TransitGateways.RequireState(attachment.Id, attachment.State, "available", "modifying");
        var announcement = new TransitGatewayRouteTableAnnouncementResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayRouteTableAnnouncement.IdPrefix),
            TransitGatewayId = table.TransitGatewayId,
            TransitGatewayRouteTableId = table.Id,
            PeeringAttachmentId = attachment.Id,
            PeerTransitGatewayId = peerGateway,
            CreationTime = now,
            Tags = tags,
        };
        Provisioning.Begin(announcement, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTableAnnouncement, announcement.Id, announcement, now, ct).ConfigureAwait(false);
        return announcement;
    }

    public static async Task<TransitGatewayRouteTableAnnouncementResource> DeleteAnnouncementAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var announcement = await Provisioning.RequireAsync<TransitGatewayRouteTableAnnouncementResource>(
            tx, scope, ResourceTypes.TransitGatewayRouteTableAnnouncement, id, "TransitGatewayRouteTableAnnouncementId", now, ct).ConfigureAwait(false);
        TransitGateways.RequireState(announcement.Id, announcement.State, "available", "pending", "failed");
        Provisioning.Begin(announcement, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTableAnnouncement, announcement.Id, announcement, announcement.CreationTime, ct).ConfigureAwait(false);
        return announcement;
    }

    // ---- Shared ----------------------------------------------------------------------------

    private static async Task<TransitGatewayAttachmentResource> RequireOfTypeAsync(IStoreSession session, Scope scope, string? attachmentId, string type, string name, DateTime now, CancellationToken ct)
    {
        var attachment = await TransitGateways.RequireAttachmentAsync(session, scope, attachmentId, now, ct).ConfigureAwait(false);
        if (attachment.ResourceType != type)
        {
            throw AwsErrors.InvalidParameterValue($"{attachment.Id} is not a {name} attachment.");
        }
        return attachment;
    }

    private static IEnumerable<Ipv4Cidr> Ipv4Blocks(TransitGatewayResource gateway) =>
        gateway.Options.CidrBlocks.Select(b => Ipv4Cidr.TryParse(b, out var c) ? c : (Ipv4Cidr?)null).Where(c => c is not null).Select(c => c!.Value);

    private static uint ParseAddress(string address, string parameter) =>
        Ipv4Cidr.TryParse(address + "/32", out var parsed) && parsed.ToString() == address + "/32"
            ? parsed.Network
            : throw AwsErrors.InvalidParameterValue(string.Create(CultureInfo.InvariantCulture, $"Invalid value '{address}' for {parameter}."));
}
