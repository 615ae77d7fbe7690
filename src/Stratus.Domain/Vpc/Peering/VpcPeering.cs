using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Peering;

/// <summary>One side of a peering connection.</summary>
public sealed class PeeringSide
{
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public required string Region { get; init; }
    public List<string> CidrBlocks { get; init; } = [];
    public List<string> Ipv6CidrBlocks { get; init; } = [];
    public bool AllowDnsResolutionFromRemoteVpc { get; set; }
}

/// <summary>
/// A VPC peering connection between two VPCs, of one account or two, in one Region or two. A
/// connection whose sides are in different scopes (account and Region) is stored in both under
/// the same id, and every change is written to both (<see cref="VpcPeering.PutAsync"/>).
/// </summary>
public sealed class VpcPeeringConnectionResource : ITaggable
{
    public required string Id { get; init; }
    public required PeeringSide Requester { get; init; }
    public required PeeringSide Accepter { get; init; }

    /// <summary>Stored status: <c>pending-acceptance</c> (expired from <see cref="ExpiresAt"/>), <c>active</c>, <c>rejected</c>, <c>deleted</c>, <c>failed</c>.</summary>
    public string Status { get; set; } = "pending-acceptance";
    public string StatusMessage { get; set; } = "";
    public required DateTime CreatedAt { get; init; }
    public required DateTime ExpiresAt { get; init; }
    public DateTime? EndedAt { get; set; }
    public List<Tag> Tags { get; init; } = [];

    public string StatusAt(DateTime now) => Status == "pending-acceptance" && now >= ExpiresAt ? "expired" : Status;

    public string StatusMessageAt(DateTime now) => StatusAt(now) == "expired" ? "Expired" : StatusMessage;

    /// <summary>Ended connections stay visible for a while (two hours after deleted or failed, two days after rejected or expired), as on AWS.</summary>
    public bool VisibleAt(DateTime now) => StatusAt(now) switch
    {
        "deleted" or "failed" => EndedAt is not { } d || now < d + TimeSpan.FromHours(2),
        "rejected" => EndedAt is not { } d || now < d + TimeSpan.FromDays(2),
        "expired" => now < ExpiresAt + TimeSpan.FromDays(2),
        _ => true,
    };

    /// <summary>True when <paramref name="vpcId"/> is one of the two sides.</summary>
    public bool Involves(string vpcId) => Requester.VpcId == vpcId || Accepter.VpcId == vpcId;

    /// <summary>The other side, seen from <paramref name="vpcId"/>.</summary>
    public PeeringSide PeerOf(string vpcId) => Requester.VpcId == vpcId ? Accepter : Requester;

    /// <summary>The account and Region of the requester VPC.</summary>
    public Scope RequesterScope => new(Requester.OwnerId, Requester.Region);

    /// <summary>The account and Region of the accepter VPC.</summary>
    public Scope AccepterScope => new(Accepter.OwnerId, Accepter.Region);

    /// <summary>True when the two VPCs are in different accounts or Regions.</summary>
    public bool SpansScopes => RequesterScope != AccepterScope;

    /// <summary>The scope of the other side than <paramref name="scope"/>, when the connection spans two; null otherwise.</summary>
    public Scope? OtherScope(Scope scope) => !SpansScopes ? null : scope == RequesterScope ? AccepterScope : RequesterScope;
}

/// <summary>
/// VPC peering with EC2's states: a request between two VPCs is <c>pending-acceptance</c> (shown as
/// <c>initiating-request</c> in the answer to the request) until accepted (<c>active</c>), rejected,
/// deleted or 7 days pass (<c>expired</c>); overlapping IPv4 blocks make it <c>failed</c>. Routes through
/// a connection that is no longer active become <c>blackhole</c>. The accepter VPC may be another
/// account's (<c>PeerOwnerId</c>) or in another Region (<c>PeerRegion</c>): only the accepter's
/// account, in the accepter's Region, accepts or rejects; either owner deletes; each side's DNS
/// option is changed by its owner in its Region. A request to a VPC that does not exist in the
/// peer account or Region is <c>failed</c> (as AWS's is, after the request), not refused.
/// </summary>
public static class VpcPeering
{
    public static readonly TimeSpan PendingFor = TimeSpan.FromDays(7);

    public static async Task<VpcPeeringConnectionResource> RequireAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw AwsErrors.MissingParameter("vpcPeeringConnectionId");
        }
        ResourceTypes.VpcPeeringConnection.CheckId(id);
        var pcx = await session.GetAsync<VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, id, ct).ConfigureAwait(false);
        return pcx is not null && pcx.VisibleAt(now) ? pcx : throw ResourceTypes.VpcPeeringConnection.NotFound(id);
    }

    /// <summary>CreateVpcPeeringConnection.</summary>
    public static async Task<VpcPeeringConnectionResource> CreateAsync(
        IStoreTransaction tx, Scope scope, string? vpcId, string? peerVpcId, string? peerOwnerId, string? peerRegion, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(peerVpcId))
        {
            throw AwsErrors.MissingParameter("peerVpcId");
        }
        if (!string.IsNullOrEmpty(peerOwnerId) && !IsAccountId(peerOwnerId))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({peerOwnerId}) for parameter peerOwnerId is invalid. An account id is 12 digits.");
        }
        if (!string.IsNullOrEmpty(peerRegion) && Regions.RegionCatalog.Find(peerRegion) is null)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({peerRegion}) for parameter peerRegion is invalid. {peerRegion} is not a valid Region.");
        }
        ResourceTypes.Vpc.CheckId(peerVpcId);
        var peerScope = new Scope(string.IsNullOrEmpty(peerOwnerId) ? scope.AccountId : peerOwnerId, string.IsNullOrEmpty(peerRegion) ? scope.Region : peerRegion);
        var peer = await tx.GetAsync<VpcResource>(peerScope, ResourceTypes.Vpc, peerVpcId, ct).ConfigureAwait(false);
        if (peer is null && peerScope == scope)
        {
            throw ResourceTypes.Vpc.NotFound(peerVpcId);
        }
        if (peer?.Id == vpc.Id)
        {
            throw AwsErrors.InvalidParameterValue("The requester VPC and the accepter VPC must be different.");
        }
        await PurgeAsync(tx, scope, now, ct).ConfigureAwait(false);
        var existing = await tx.ListAsync<VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, ct).ConfigureAwait(false);
        if (peer is not null && existing.Exists(p => p.StatusAt(now) is "pending-acceptance" or "active" && p.Involves(vpc.Id) && p.Involves(peer.Id)))
        {
            throw new AwsException("VpcPeeringConnectionAlreadyExists", $"A VPC peering connection already exists between {vpc.Id} and {peer.Id}.");
        }
        var pcx = new VpcPeeringConnectionResource
        {
            Id = ResourceIds.New(ResourceTypes.VpcPeeringConnection.IdPrefix),
            Requester = Side(scope, vpc),
            Accepter = peer is null ? new PeeringSide { OwnerId = peerScope.AccountId, VpcId = peerVpcId, Region = peerScope.Region } : Side(peerScope, peer),
            CreatedAt = now,
            ExpiresAt = now + PendingFor,
            StatusMessage = $"Pending Acceptance by {peerScope.AccountId}",
            Tags = tags,
        };
        if (peer is null)
        {
            // Another account's or Region's VPC that does not exist: the request fails (it is not refused), seen by the requester only.
            Fail(pcx, "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range", now);
            await tx.PutAsync(scope, ResourceTypes.VpcPeeringConnection, pcx.Id, pcx, now, ct).ConfigureAwait(false);
            return pcx;
        }
        if (Overlaps(vpc, peer))
        {
            Fail(pcx, "Overlapping CIDRs", now);
        }
        await PutAsync(tx, pcx, now, ct).ConfigureAwait(false);
        return pcx;
    }

    /// <summary>
    /// Stores a connection: in the requester's scope, and in the accepter's too when that is another
    /// account or Region, so each side reads the same state, blocks and options.
    /// </summary>
    public static async Task PutAsync(IStoreTransaction tx, VpcPeeringConnectionResource pcx, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(pcx);
        await tx.PutAsync(pcx.RequesterScope, ResourceTypes.VpcPeeringConnection, pcx.Id, pcx, now, ct).ConfigureAwait(false);
        if (pcx.SpansScopes)
        {
            await tx.PutAsync(pcx.AccepterScope, ResourceTypes.VpcPeeringConnection, pcx.Id, pcx, now, ct).ConfigureAwait(false);
        }
    }

    private static bool IsAccountId(string value) => value.Length == 12 && value.All(char.IsAsciiDigit);

    private static bool Overlaps(VpcResource a, VpcResource b) =>
        a.CidrBlocks.Any(x => b.CidrBlocks.Any(y => Ipv4Cidr.Parse(x.CidrBlock).Overlaps(Ipv4Cidr.Parse(y.CidrBlock))));

    private static void Fail(VpcPeeringConnectionResource pcx, string message, DateTime now)
    {
        pcx.Status = "failed";
        pcx.StatusMessage = message;
        pcx.EndedAt = now;
    }

    /// <summary>AcceptVpcPeeringConnection: only a pending request.</summary>
    public static async Task<VpcPeeringConnectionResource> AcceptAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var pcx = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        RequireAccepter(pcx, scope, "accept");
        RequirePending(pcx, "active", now);
        // The VPCs' blocks as they are now (CIDR blocks may have been added since the request).
        var requester = await tx.GetAsync<VpcResource>(pcx.RequesterScope, ResourceTypes.Vpc, pcx.Requester.VpcId, ct).ConfigureAwait(false);
        var accepter = await tx.GetAsync<VpcResource>(pcx.AccepterScope, ResourceTypes.Vpc, pcx.Accepter.VpcId, ct).ConfigureAwait(false);
        if (requester is null || accepter is null)
        {
            throw ResourceTypes.Vpc.NotFound(requester is null ? pcx.Requester.VpcId : pcx.Accepter.VpcId);
        }
        pcx.Requester.CidrBlocks.Clear();
        pcx.Requester.CidrBlocks.AddRange(requester.CidrBlocks.Select(c => c.CidrBlock));
        pcx.Accepter.CidrBlocks.Clear();
        pcx.Accepter.CidrBlocks.AddRange(accepter.CidrBlocks.Select(c => c.CidrBlock));
        foreach (var (side, vpc) in new[] { (pcx.Requester, requester), (pcx.Accepter, accepter) })
        {
            side.Ipv6CidrBlocks.Clear();
            side.Ipv6CidrBlocks.AddRange(vpc.Ipv6CidrBlocks.Where(b => b.State is "associated" or "associating").Select(b => b.Ipv6CidrBlock));
        }
        pcx.Status = "active";
        pcx.StatusMessage = "Active";
        await PutAsync(tx, pcx, now, ct).ConfigureAwait(false);
        await SetRouteStateAsync(tx, pcx, "active", now, ct).ConfigureAwait(false);
        return pcx;
    }

    /// <summary>RejectVpcPeeringConnection: only a pending request.</summary>
    public static async Task<VpcPeeringConnectionResource> RejectAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var pcx = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        RequireAccepter(pcx, scope, "reject");
        RequirePending(pcx, "rejected", now);
        pcx.Status = "rejected";
        pcx.StatusMessage = $"Rejected by {scope.AccountId}";
        pcx.EndedAt = now;
        await PutAsync(tx, pcx, now, ct).ConfigureAwait(false);
        await SetRouteStateAsync(tx, pcx, "blackhole", now, ct).ConfigureAwait(false);
        return pcx;
    }

    /// <summary>DeleteVpcPeeringConnection: a pending or active connection (either side may delete).</summary>
    public static async Task<VpcPeeringConnectionResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var pcx = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        var status = pcx.StatusAt(now);
        if (status is not ("pending-acceptance" or "active"))
        {
            throw new AwsException("InvalidStateTransition", $"Invalid state transition for {pcx.Id}, attempted to transition from {status} to deleted");
        }
        pcx.Status = "deleted";
        pcx.StatusMessage = $"Deleted by {scope.AccountId}";
        pcx.EndedAt = now;
        await PutAsync(tx, pcx, now, ct).ConfigureAwait(false);
        await SetRouteStateAsync(tx, pcx, "blackhole", now, ct).ConfigureAwait(false);
        return pcx;
    }

    /// <summary>ModifyVpcPeeringConnectionOptions: DNS resolution across an active connection, per side.</summary>
    public static async Task<(bool? Requester, bool? Accepter)> ModifyOptionsAsync(IStoreTransaction tx, Scope scope, string? id, bool? requesterDns, bool? accepterDns, DateTime now, CancellationToken ct)
    {
        var pcx = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (pcx.StatusAt(now) != "active")
        {
            throw new AwsException("OperationNotPermitted", $"Peering connection {pcx.Id} is not active; options can be changed only on an active connection.");
        }
        if (requesterDns is null && accepterDns is null)
        {
            throw AwsErrors.MissingParameter("requesterPeeringConnectionOptions or accepterPeeringConnectionOptions");
        }
        // Each side's options belong to its owner, changed in its Region.
        if (requesterDns is not null && scope != pcx.RequesterScope)
        {
            throw new AwsException("OperationNotPermitted",
                $"The requester options of {pcx.Id} can be modified only by account {pcx.Requester.OwnerId} in {pcx.Requester.Region}.");
        }
        if (accepterDns is not null && scope != pcx.AccepterScope)
        {
            throw new AwsException("OperationNotPermitted",
                $"The accepter options of {pcx.Id} can be modified only by account {pcx.Accepter.OwnerId} in {pcx.Accepter.Region}.");
        }
        if (requesterDns is { } r)
        {
            pcx.Requester.AllowDnsResolutionFromRemoteVpc = r;
        }
        if (accepterDns is { } a)
        {
            pcx.Accepter.AllowDnsResolutionFromRemoteVpc = a;
        }
        await PutAsync(tx, pcx, now, ct).ConfigureAwait(false);
        return (requesterDns, accepterDns);
    }

    /// <summary>The route target check: the connection exists and involves the table's VPC.</summary>
    public static async Task<VpcPeeringConnectionResource> RequireRouteTargetAsync(IStoreSession session, Scope scope, string id, string vpcId, DateTime now, CancellationToken ct)
    {
        if (!ResourceIds.IsWellFormed(ResourceTypes.VpcPeeringConnection.IdPrefix, id))
        {
            throw ResourceTypes.VpcPeeringConnection.Malformed(id);
        }
        var pcx = await session.GetAsync<VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, id, ct).ConfigureAwait(false);
        if (pcx is null || !pcx.VisibleAt(now) || pcx.StatusAt(now) is not ("active" or "pending-acceptance"))
        {
            throw ResourceTypes.VpcPeeringConnection.NotFound(id);
        }
        if (!pcx.Involves(vpcId))
        {
            throw AwsErrors.InvalidParameterValue($"route table and peering connection {id} belong to different networks");
        }
        return pcx;
    }

    /// <summary>Only the accepter VPC's owner, in the accepter VPC's Region, decides on a request.</summary>
    private static void RequireAccepter(VpcPeeringConnectionResource pcx, Scope scope, string verb)
    {
        if (scope.AccountId != pcx.Accepter.OwnerId)
        {
            throw new AwsException("OperationNotPermitted", $"User {scope.AccountId} cannot {verb} peering {pcx.Id}: only the accepter VPC's owner {pcx.Accepter.OwnerId} can.");
        }
        if (scope.Region != pcx.Accepter.Region)
        {
            throw new AwsException("OperationNotPermitted", $"Peering {pcx.Id} must be {verb}ed in the Region of the accepter VPC ({pcx.Accepter.Region}).");
        }
    }

    private static void RequirePending(VpcPeeringConnectionResource pcx, string to, DateTime now)
    {
        var status = pcx.StatusAt(now);
        if (status != "pending-acceptance")
        {
            throw new AwsException("InvalidStateTransition", $"Invalid state transition for {pcx.Id}, attempted to transition from {status} to {to}");
        }
    }

    /// <summary>The side's part, stored for the side's VPC: its owner and Region are the scope's.</summary>
    private static PeeringSide Side(Scope scope, VpcResource vpc) => new()
    {
        OwnerId = scope.AccountId,
        VpcId = vpc.Id,
        Region = scope.Region,
        CidrBlocks = vpc.CidrBlocks.Select(c => c.CidrBlock).ToList(),
        Ipv6CidrBlocks = vpc.Ipv6CidrBlocks.Where(b => b.State is "associated" or "associating").Select(b => b.Ipv6CidrBlock).ToList(),
    };

    /// <summary>Routes through the connection in both VPCs' tables (each read in its own account and Region).</summary>
    private static async Task SetRouteStateAsync(IStoreTransaction tx, VpcPeeringConnectionResource pcx, string state, DateTime now, CancellationToken ct)
    {
        foreach (var (scope, vpcId) in new[] { (pcx.RequesterScope, pcx.Requester.VpcId), (pcx.AccepterScope, pcx.Accepter.VpcId) })
        {
            foreach (var table in await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false))
            {
                if (table.VpcId != vpcId)
                {
                    continue;
                }
                var changed = false;
                foreach (var route in table.Routes.Where(r => r.VpcPeeringConnectionId == pcx.Id && r.State != state))
                {
                    route.State = state;
                    changed = true;
                }
                if (changed)
                {
                    await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task PurgeAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct)
    {
        foreach (var pcx in await tx.ListAsync<VpcPeeringConnectionResource>(scope, ResourceTypes.VpcPeeringConnection, ct).ConfigureAwait(false))
        {
            if (!pcx.VisibleAt(now))
            {
                await tx.DeleteAsync(scope, ResourceTypes.VpcPeeringConnection, pcx.Id, ct).ConfigureAwait(false);
            }
        }
    }
}
