using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.TransitGateways;

/// <summary>What CreateTransitGateway and ModifyTransitGateway may set; null keeps the default or current value.</summary>
public sealed record TransitGatewayOptionsSpec(
    long? AmazonSideAsn = null,
    string? AutoAcceptSharedAttachments = null,
    string? DefaultRouteTableAssociation = null,
    string? DefaultRouteTablePropagation = null,
    string? AssociationDefaultRouteTableId = null,
    string? PropagationDefaultRouteTableId = null,
    string? VpnEcmpSupport = null,
    string? DnsSupport = null,
    string? MulticastSupport = null,
    string? SecurityGroupReferencingSupport = null,
    IReadOnlyList<string>? AddCidrBlocks = null,
    IReadOnlyList<string>? RemoveCidrBlocks = null);

/// <summary>The options of a VPC attachment; null keeps the default or current value.</summary>
public sealed record VpcAttachmentOptionsSpec(string? ApplianceModeSupport = null, string? DnsSupport = null, string? Ipv6Support = null, string? SecurityGroupReferencingSupport = null);

/// <summary>Transit gateways, their attachments and route tables with EC2's rules and states.</summary>
public static class TransitGateways
{
    public static string Arn(Scope scope, string id) => $"arn:aws:ec2:{scope.Region}:{scope.AccountId}:transit-gateway/{id}";

    // ---- Transit gateways ------------------------------------------------------------------

    public static Task<TransitGatewayResource> RequireAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<TransitGatewayResource>(session, scope, ResourceTypes.TransitGateway, id, "TransitGatewayId", now, ct);

    /// <summary>
    /// CreateTransitGateway: pending, then available. With default association or propagation
    /// enabled (both are by default) a default route table is created and named in the options.
    /// </summary>
    public static async Task<(TransitGatewayResource Gateway, TransitGatewayRouteTableResource? DefaultTable)> CreateAsync(
        IStoreTransaction tx, Scope scope, string? description, TransitGatewayOptionsSpec options, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AssociationDefaultRouteTableId is not null || options.PropagationDefaultRouteTableId is not null || options.RemoveCidrBlocks is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Default route table ids can only be set by ModifyTransitGateway.");
        }
        var gateway = new TransitGatewayResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGateway.IdPrefix),
            OwnerId = scope.AccountId,
            Description = description,
            CreationTime = now,
            Tags = tags,
        };
        var settings = gateway.Options;
        if (options.AmazonSideAsn is { } asn)
        {
            settings.AmazonSideAsn = CheckAsn(asn);
        }
        settings.AutoAcceptSharedAttachments = EnableDisable(options.AutoAcceptSharedAttachments, "AutoAcceptSharedAttachments") ?? settings.AutoAcceptSharedAttachments;
        settings.DefaultRouteTableAssociation = EnableDisable(options.DefaultRouteTableAssociation, "DefaultRouteTableAssociation") ?? settings.DefaultRouteTableAssociation;
        settings.DefaultRouteTablePropagation = EnableDisable(options.DefaultRouteTablePropagation, "DefaultRouteTablePropagation") ?? settings.DefaultRouteTablePropagation;
        settings.VpnEcmpSupport = EnableDisable(options.VpnEcmpSupport, "VpnEcmpSupport") ?? settings.VpnEcmpSupport;
        settings.DnsSupport = EnableDisable(options.DnsSupport, "DnsSupport") ?? settings.DnsSupport;
        settings.MulticastSupport = EnableDisable(options.MulticastSupport, "MulticastSupport") ?? settings.MulticastSupport;
        settings.SecurityGroupReferencingSupport = EnableDisable(options.SecurityGroupReferencingSupport, "SecurityGroupReferencingSupport") ?? settings.SecurityGroupReferencingSupport;
        AddCidrBlocks(settings, options.AddCidrBlocks);
        Provisioning.Begin(gateway, "pending", "available", now);

        TransitGatewayRouteTableResource? table = null;
        if (settings.DefaultRouteTableAssociation == "enable" || settings.DefaultRouteTablePropagation == "enable")
        {
            table = new TransitGatewayRouteTableResource
            {
                Id = ResourceIds.New(ResourceTypes.TransitGatewayRouteTable.IdPrefix),
                TransitGatewayId = gateway.Id,
                CreationTime = now,
                DefaultAssociationRouteTable = settings.DefaultRouteTableAssociation == "enable",
                DefaultPropagationRouteTable = settings.DefaultRouteTablePropagation == "enable",
            };
            Provisioning.Begin(table, "pending", "available", now);
            settings.AssociationDefaultRouteTableId = table.DefaultAssociationRouteTable ? table.Id : null;
            settings.PropagationDefaultRouteTableId = table.DefaultPropagationRouteTable ? table.Id : null;
            await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        }
        await tx.PutAsync(scope, ResourceTypes.TransitGateway, gateway.Id, gateway, now, ct).ConfigureAwait(false);
        return (gateway, table);
    }

    /// <summary>ModifyTransitGateway: only an available gateway; it is <c>modifying</c> for a moment.</summary>
    public static async Task<TransitGatewayResource> ModifyAsync(IStoreTransaction tx, Scope scope, string? id, string? description, TransitGatewayOptionsSpec? options, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        RequireState(gateway.Id, gateway.State, "available");
        if (description is not null)
        {
            gateway.Description = description;
        }
        var settings = gateway.Options;
        if (options is not null)
        {
            if (options.AmazonSideAsn is { } asn)
            {
                settings.AmazonSideAsn = CheckAsn(asn);
            }
            settings.AutoAcceptSharedAttachments = EnableDisable(options.AutoAcceptSharedAttachments, "AutoAcceptSharedAttachments") ?? settings.AutoAcceptSharedAttachments;
            settings.VpnEcmpSupport = EnableDisable(options.VpnEcmpSupport, "VpnEcmpSupport") ?? settings.VpnEcmpSupport;
            settings.DnsSupport = EnableDisable(options.DnsSupport, "DnsSupport") ?? settings.DnsSupport;
            settings.SecurityGroupReferencingSupport = EnableDisable(options.SecurityGroupReferencingSupport, "SecurityGroupReferencingSupport") ?? settings.SecurityGroupReferencingSupport;
            AddCidrBlocks(settings, options.AddCidrBlocks);
            foreach (var cidr in options.RemoveCidrBlocks ?? [])
            {
                if (!settings.CidrBlocks.Remove(cidr))
                {
                    throw AwsErrors.InvalidParameterValue($"The CIDR block {cidr} is not a CIDR block of {gateway.Id}.");
                }
            }
            await SetDefaultTableAsync(tx, scope, gateway, association: true,
                EnableDisable(options.DefaultRouteTableAssociation, "DefaultRouteTableAssociation"), options.AssociationDefaultRouteTableId, now, ct).ConfigureAwait(false);
            await SetDefaultTableAsync(tx, scope, gateway, association: false,
                EnableDisable(options.DefaultRouteTablePropagation, "DefaultRouteTablePropagation"), options.PropagationDefaultRouteTableId, now, ct).ConfigureAwait(false);
        }
        Provisioning.Begin(gateway, "modifying", "available", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGateway, gateway.Id, gateway, gateway.CreationTime, ct).ConfigureAwait(false);
        return gateway;
    }

    private static async Task SetDefaultTableAsync(IStoreTransaction tx, Scope scope, TransitGatewayResource gateway, bool association, string? enable, string? tableId, DateTime now, CancellationToken ct)
    {
        var settings = gateway.Options;
        var current = association ? settings.AssociationDefaultRouteTableId : settings.PropagationDefaultRouteTableId;
        string? next = current;
        if (tableId is not null)
        {
            var table = await RequireRouteTableAsync(tx, scope, tableId, now, ct).ConfigureAwait(false);
            if (table.TransitGatewayId != gateway.Id)
            {
                throw AwsErrors.InvalidParameterValue($"Transit Gateway Route Table {table.Id} does not belong to Transit Gateway {gateway.Id}.");
            }
            next = table.Id;
        }
        if (enable == "disable")
        {
            next = null;
        }
        else if (enable == "enable" && next is null)
        {
            // Re-enabling without naming a table: a new default route table, as AWS creates one.
            var table = new TransitGatewayRouteTableResource
            {
                Id = ResourceIds.New(ResourceTypes.TransitGatewayRouteTable.IdPrefix),
                TransitGatewayId = gateway.Id,
                CreationTime = now,
            };
            Provisioning.Begin(table, "pending", "available", now);
            await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, now, ct).ConfigureAwait(false);
            next = table.Id;
        }
        if (association)
        {
            settings.AssociationDefaultRouteTableId = next;
            settings.DefaultRouteTableAssociation = next is null ? "disable" : "enable";
        }
        else
        {
            settings.PropagationDefaultRouteTableId = next;
            settings.DefaultRouteTablePropagation = next is null ? "disable" : "enable";
        }
        foreach (var id in new[] { current, next }.Where(i => i is not null).Distinct())
        {
            var table = await tx.GetAsync<TransitGatewayRouteTableResource>(scope, ResourceTypes.TransitGatewayRouteTable, id!, ct).ConfigureAwait(false);
            if (table is null)
            {
                continue;
            }
            if (association)
            {
                table.DefaultAssociationRouteTable = table.Id == next;
            }
            else
            {
                table.DefaultPropagationRouteTable = table.Id == next;
            }
            await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        }
    }

    /// <summary>DeleteTransitGateway: refused while attachments remain; the gateway and its route tables go deleting → deleted.</summary>
    public static async Task<TransitGatewayResource> DeleteAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        RequireState(gateway.Id, gateway.State, "available", "modifying");
        var attachments = (await Provisioning.ListAsync<TransitGatewayAttachmentResource>(tx, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false))
            .Where(a => BelongsTo(a, gateway.Id) && !Provisioning.IsDeletedOrDeleting(a))
            .Select(a => a.Id)
            .ToList();
        if (attachments.Count > 0)
        {
            throw new AwsException("IncorrectState", $"{gateway.Id} has non-deleted Transit Gateway Attachments: {string.Join(", ", attachments)}.");
        }
        foreach (var table in await RouteTablesOfAsync(tx, scope, gateway.Id, now, ct).ConfigureAwait(false))
        {
            if (!Provisioning.IsDeletedOrDeleting(table))
            {
                Provisioning.Begin(table, "deleting", "deleted", now);
                await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
            }
        }
        Provisioning.Begin(gateway, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGateway, gateway.Id, gateway, gateway.CreationTime, ct).ConfigureAwait(false);
        return gateway;
    }

    // ---- Attachments -----------------------------------------------------------------------

    public static Task<TransitGatewayAttachmentResource> RequireAttachmentAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<TransitGatewayAttachmentResource>(session, scope, ResourceTypes.TransitGatewayAttachment, id, "TransitGatewayAttachmentId", now, ct);

    /// <summary>
    /// CreateTransitGatewayVpcAttachment: an available gateway, a VPC not yet attached to it and
    /// one subnet of that VPC per zone. The attachment joins the gateway's default route tables.
    /// </summary>
    public static async Task<TransitGatewayAttachmentResource> CreateVpcAttachmentAsync(
        IStoreTransaction tx, Scope scope, string? transitGatewayId, string? vpcId, IReadOnlyList<string>? subnetIds, VpcAttachmentOptionsSpec options, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var gateway = await RequireAsync(tx, scope, transitGatewayId, now, ct).ConfigureAwait(false);
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, vpcId, ct).ConfigureAwait(false);
        if (subnetIds is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("SubnetIds");
        }
        RequireState(gateway.Id, gateway.State, "available", "modifying");
        var existing = await Provisioning.ListAsync<TransitGatewayAttachmentResource>(tx, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false);
        if (existing.Exists(a => a.TransitGatewayId == gateway.Id && a.ResourceId == vpc.Id && !Provisioning.IsDeletedOrDeleting(a)))
        {
            throw new AwsException("DuplicateTransitGatewayAttachment", $"{gateway.Id} has non-deleted Transit Gateway Attachments with same VPC ID.");
        }
        var subnets = await CheckSubnetsAsync(tx, scope, vpc.Id, subnetIds, ct).ConfigureAwait(false);
        var attachment = new TransitGatewayAttachmentResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayAttachment.IdPrefix),
            TransitGatewayId = gateway.Id,
            TransitGatewayOwnerId = gateway.OwnerId,
            ResourceType = "vpc",
            ResourceId = vpc.Id,
            ResourceOwnerId = vpc.OwnerId,
            SubnetIds = subnets,
            CreationTime = now,
            Tags = tags,
        };
        await ApplyOptionsAsync(tx, scope, attachment, options, ct).ConfigureAwait(false);
        Provisioning.Begin(attachment, "pending", "available", now);
        await JoinDefaultTablesAsync(tx, scope, gateway, attachment, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayAttachment, attachment.Id, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    /// <summary>The attachment a VPN connection to a transit gateway creates (resource type <c>vpn</c>).</summary>
    public static async Task<TransitGatewayAttachmentResource> CreateVpnAttachmentAsync(
        IStoreTransaction tx, Scope scope, TransitGatewayResource gateway, string vpnConnectionId, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        RequireState(gateway.Id, gateway.State, "available", "modifying");
        var attachment = new TransitGatewayAttachmentResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayAttachment.IdPrefix),
            TransitGatewayId = gateway.Id,
            TransitGatewayOwnerId = gateway.OwnerId,
            ResourceType = "vpn",
            ResourceId = vpnConnectionId,
            ResourceOwnerId = scope.AccountId,
            CreationTime = now,
        };
        Provisioning.Begin(attachment, "pending", "available", now);
        await JoinDefaultTablesAsync(tx, scope, gateway, attachment, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayAttachment, attachment.Id, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    private static async Task JoinDefaultTablesAsync(IStoreTransaction tx, Scope scope, TransitGatewayResource gateway, TransitGatewayAttachmentResource attachment, DateTime now, CancellationToken ct)
    {
        if (gateway.Options.DefaultRouteTableAssociation == "enable" && gateway.Options.AssociationDefaultRouteTableId is { } associationTable)
        {
            attachment.AssociatedRouteTableId = associationTable;
        }
        if (gateway.Options.DefaultRouteTablePropagation == "enable" && gateway.Options.PropagationDefaultRouteTableId is { } propagationTable
            && await tx.GetAsync<TransitGatewayRouteTableResource>(scope, ResourceTypes.TransitGatewayRouteTable, propagationTable, ct).ConfigureAwait(false) is { } table)
        {
            table.PropagatingAttachmentIds.Add(attachment.Id);
            await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        }
        _ = now;
    }

    /// <summary>ModifyTransitGatewayVpcAttachment: subnets added and removed (one per zone, at least one left) and options.</summary>
    public static async Task<TransitGatewayAttachmentResource> ModifyVpcAttachmentAsync(
        IStoreTransaction tx, Scope scope, string? attachmentId, IReadOnlyList<string>? add, IReadOnlyList<string>? remove, VpcAttachmentOptionsSpec? options, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireVpcAttachmentAsync(tx, scope, attachmentId, now, ct).ConfigureAwait(false);
        RequireState(attachment.Id, attachment.State, "available");
        var subnets = attachment.SubnetIds.ToList();
        foreach (var id in remove ?? [])
        {
            if (!subnets.Remove(id))
            {
                throw AwsErrors.InvalidParameterValue($"Subnet {id} is not part of {attachment.Id}.");
            }
        }
        subnets.AddRange(add ?? []);
        if (subnets.Count == 0)
        {
            throw AwsErrors.InvalidParameterValue($"{attachment.Id} must keep at least one subnet.");
        }
        var checkedSubnets = await CheckSubnetsAsync(tx, scope, attachment.ResourceId, subnets, ct).ConfigureAwait(false);
        attachment.SubnetIds.Clear();
        attachment.SubnetIds.AddRange(checkedSubnets);
        await ApplyOptionsAsync(tx, scope, attachment, options ?? new VpcAttachmentOptionsSpec(), ct).ConfigureAwait(false);
        Provisioning.Begin(attachment, "modifying", "available", now);
        await PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
        return attachment;
    }

    /// <summary>DeleteTransitGatewayVpcAttachment: deleting → deleted; its association and propagations end, static routes to it become blackholes.</summary>
    public static async Task<TransitGatewayAttachmentResource> DeleteVpcAttachmentAsync(IStoreTransaction tx, Scope scope, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireVpcAttachmentAsync(tx, scope, attachmentId, now, ct).ConfigureAwait(false);
        RequireState(attachment.Id, attachment.State, "available", "pending", "modifying", "pendingAcceptance", "failed", "rejected");
        await DetachAsync(tx, scope, attachment, now, ct).ConfigureAwait(false);
        return attachment;
    }

    /// <summary>Ends an attachment (VPC or VPN): its association and propagations go, the attachment goes deleting → deleted.</summary>
    public static async Task DetachAsync(IStoreTransaction tx, Scope scope, TransitGatewayAttachmentResource attachment, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        attachment.AssociatedRouteTableId = null;
        attachment.PeerAssociatedRouteTableId = null;
        foreach (var table in await RouteTablesOfAsync(tx, scope, attachment.TransitGatewayId, now, ct).ConfigureAwait(false))
        {
            if (table.PropagatingAttachmentIds.Remove(attachment.Id))
            {
                await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
            }
        }
        if (attachment.State is "rejected" or "failed")
        {
            Provisioning.Set(attachment, "deleted", now);
        }
        else
        {
            Provisioning.Begin(attachment, "deleting", "deleted", now);
        }
        await PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Accept/RejectTransitGatewayVpcAttachment: only an attachment waiting for acceptance (one
    /// from another account to a shared gateway without auto-accept); others are IncorrectState.
    /// </summary>
    public static async Task<TransitGatewayAttachmentResource> DecideAsync(IStoreTransaction tx, Scope scope, string? attachmentId, bool accept, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireVpcAttachmentAsync(tx, scope, attachmentId, now, ct).ConfigureAwait(false);
        RequireState(attachment.Id, attachment.State, "pendingAcceptance");
        if (accept)
        {
            Provisioning.Begin(attachment, "pending", "available", now);
        }
        else
        {
            Provisioning.Begin(attachment, "rejecting", "rejected", now);
        }
        await PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
        return attachment;
    }

    private static async Task<TransitGatewayAttachmentResource> RequireVpcAttachmentAsync(IStoreSession session, Scope scope, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var attachment = await RequireAttachmentAsync(session, scope, attachmentId, now, ct).ConfigureAwait(false);
        if (attachment.ResourceType != "vpc")
        {
            throw AwsErrors.InvalidParameterValue($"{attachment.Id} is not a VPC attachment.");
        }
        return attachment;
    }

    private static async Task<List<string>> CheckSubnetsAsync(IStoreSession session, Scope scope, string vpcId, IReadOnlyList<string> subnetIds, CancellationToken ct)
    {
        var zones = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var id in subnetIds)
        {
            var subnet = await Vpcs.RequireAsync<SubnetResource>(session, scope, ResourceTypes.Subnet, id, ct).ConfigureAwait(false);
            if (subnet.VpcId != vpcId)
            {
                throw AwsErrors.InvalidParameterValue($"Subnet {subnet.Id} does not belong to VPC {vpcId}.");
            }
            if (!zones.Add(subnet.AvailabilityZone))
            {
                throw new AwsException("DuplicateSubnetsInSameZone", $"Duplicate Subnets for same AZ");
            }
            result.Add(subnet.Id);
        }
        return result;
    }

    private static async Task ApplyOptionsAsync(IStoreSession session, Scope scope, TransitGatewayAttachmentResource attachment, VpcAttachmentOptionsSpec options, CancellationToken ct)
    {
        attachment.ApplianceModeSupport = EnableDisable(options.ApplianceModeSupport, "ApplianceModeSupport") ?? attachment.ApplianceModeSupport;
        attachment.DnsSupport = EnableDisable(options.DnsSupport, "DnsSupport") ?? attachment.DnsSupport;
        attachment.SecurityGroupReferencingSupport = EnableDisable(options.SecurityGroupReferencingSupport, "SecurityGroupReferencingSupport") ?? attachment.SecurityGroupReferencingSupport;
        attachment.Ipv6Support = EnableDisable(options.Ipv6Support, "Ipv6Support") ?? attachment.Ipv6Support;
        await CheckIpv6SupportAsync(session, scope, attachment, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An attachment with IPv6 support takes an IPv6 address in each of its subnets, so each must
    /// have an IPv6 CIDR block (and the VPC one).
    /// </summary>
    private static async Task CheckIpv6SupportAsync(IStoreSession session, Scope scope, TransitGatewayAttachmentResource attachment, CancellationToken ct)
    {
        if (attachment.Ipv6Support != "enable")
        {
            return;
        }
        var vpc = await session.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, attachment.ResourceId, ct).ConfigureAwait(false);
        if (vpc is null || !vpc.Ipv6CidrBlocks.Exists(b => b.State == "associated"))
        {
            throw AwsErrors.InvalidParameterValue($"IPv6 support cannot be enabled for the attachment: VPC {attachment.ResourceId} has no IPv6 CIDR block.");
        }
        var subnets = await session.GetManyAsync<SubnetResource>(scope, ResourceTypes.Subnet, attachment.SubnetIds, ct).ConfigureAwait(false);
        if (subnets.FirstOrDefault(s => Ipv6.Ipv6Blocks.SubnetBlock(s) is null) is { } bare)
        {
            throw AwsErrors.InvalidParameterValue($"IPv6 support cannot be enabled for the attachment: subnet {bare.Id} has no IPv6 CIDR block.");
        }
    }

    // ---- Route tables ----------------------------------------------------------------------

    public static Task<TransitGatewayRouteTableResource> RequireRouteTableAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<TransitGatewayRouteTableResource>(session, scope, ResourceTypes.TransitGatewayRouteTable, id, "TransitGatewayRouteTableId", now, ct);

    public static async Task<List<TransitGatewayRouteTableResource>> RouteTablesOfAsync(IStoreSession session, Scope scope, string transitGatewayId, DateTime now, CancellationToken ct) =>
        (await Provisioning.ListAsync<TransitGatewayRouteTableResource>(session, scope, ResourceTypes.TransitGatewayRouteTable, now, ct).ConfigureAwait(false))
            .Where(t => t.TransitGatewayId == transitGatewayId)
            .ToList();

    /// <summary>CreateTransitGatewayRouteTable: pending, then available.</summary>
    public static async Task<TransitGatewayRouteTableResource> CreateRouteTableAsync(IStoreTransaction tx, Scope scope, string? transitGatewayId, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireAsync(tx, scope, transitGatewayId, now, ct).ConfigureAwait(false);
        RequireState(gateway.Id, gateway.State, "available", "modifying");
        var table = new TransitGatewayRouteTableResource
        {
            Id = ResourceIds.New(ResourceTypes.TransitGatewayRouteTable.IdPrefix),
            TransitGatewayId = gateway.Id,
            CreationTime = now,
            Tags = tags,
        };
        Provisioning.Begin(table, "pending", "available", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        return table;
    }

    /// <summary>DeleteTransitGatewayRouteTable: refused while attachments are associated with it; a default table stops being the gateway's default.</summary>
    public static async Task<TransitGatewayRouteTableResource> DeleteRouteTableAsync(IStoreTransaction tx, Scope scope, string? id, DateTime now, CancellationToken ct)
    {
        var table = await RequireRouteTableAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        RequireState(table.Id, table.State, "available");
        var associated = (await Provisioning.ListAsync<TransitGatewayAttachmentResource>(tx, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false))
            .Where(a => AssociationOn(a, table.TransitGatewayId) == table.Id && !Provisioning.IsDeletedOrDeleting(a))
            .Select(a => a.Id)
            .ToList();
        if (associated.Count > 0)
        {
            throw new AwsException("IncorrectState", $"{table.Id} has associations: {string.Join(", ", associated)}.");
        }
        if (await tx.GetAsync<TransitGatewayResource>(scope, ResourceTypes.TransitGateway, table.TransitGatewayId, ct).ConfigureAwait(false) is { } gateway
            && (gateway.Options.AssociationDefaultRouteTableId == table.Id || gateway.Options.PropagationDefaultRouteTableId == table.Id))
        {
            if (gateway.Options.AssociationDefaultRouteTableId == table.Id)
            {
                gateway.Options.AssociationDefaultRouteTableId = null;
                gateway.Options.DefaultRouteTableAssociation = "disable";
            }
            if (gateway.Options.PropagationDefaultRouteTableId == table.Id)
            {
                gateway.Options.PropagationDefaultRouteTableId = null;
                gateway.Options.DefaultRouteTablePropagation = "disable";
            }
            await tx.PutAsync(scope, ResourceTypes.TransitGateway, gateway.Id, gateway, gateway.CreationTime, ct).ConfigureAwait(false);
        }
        table.PropagatingAttachmentIds.Clear();
        table.DefaultAssociationRouteTable = false;
        table.DefaultPropagationRouteTable = false;
        Provisioning.Begin(table, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        return table;
    }

    /// <summary>AssociateTransitGatewayRouteTable: an attachment has at most one route table.</summary>
    public static async Task<(TransitGatewayRouteTableResource Table, TransitGatewayAttachmentResource Attachment)> AssociateAsync(
        IStoreTransaction tx, Scope scope, string? tableId, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var (table, attachment) = await RequirePairAsync(tx, scope, tableId, attachmentId, now, ct).ConfigureAwait(false);
        if (AssociationOn(attachment, table.TransitGatewayId) is { } current)
        {
            throw new AwsException("Resource.AlreadyAssociated", $"Transit Gateway Attachment {attachment.Id} is already associated to a route table {current}.");
        }
        SetAssociation(attachment, table.TransitGatewayId, table.Id);
        await PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
        return (table, attachment);
    }

    /// <summary>DisassociateTransitGatewayRouteTable: the attachment must be associated with this table.</summary>
    public static async Task<(TransitGatewayRouteTableResource Table, TransitGatewayAttachmentResource Attachment)> DisassociateAsync(
        IStoreTransaction tx, Scope scope, string? tableId, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var (table, attachment) = await RequirePairAsync(tx, scope, tableId, attachmentId, now, ct).ConfigureAwait(false);
        if (AssociationOn(attachment, table.TransitGatewayId) != table.Id)
        {
            throw new AwsException("InvalidAssociation.NotFound", $"Association for {attachment.Id} does not exist in Transit Gateway Route Table {table.Id}.");
        }
        SetAssociation(attachment, table.TransitGatewayId, null);
        await PutAttachmentAsync(tx, scope, attachment, attachment.CreationTime, ct).ConfigureAwait(false);
        return (table, attachment);
    }

    /// <summary>Enable/DisableTransitGatewayRouteTablePropagation: the attachment's resource CIDR blocks appear in (leave) the table as propagated routes.</summary>
    public static async Task<(TransitGatewayRouteTableResource Table, TransitGatewayAttachmentResource Attachment)> SetPropagationAsync(
        IStoreTransaction tx, Scope scope, string? tableId, string? attachmentId, bool enable, DateTime now, CancellationToken ct)
    {
        var (table, attachment) = await RequirePairAsync(tx, scope, tableId, attachmentId, now, ct).ConfigureAwait(false);
        var present = table.PropagatingAttachmentIds.Contains(attachment.Id);
        if (enable && attachment.ResourceType == "peering")
        {
            throw AwsErrors.InvalidParameterValue($"Transit Gateway Attachment {attachment.Id} is a peering attachment: peering attachments do not propagate routes; add static routes to it.");
        }
        if (enable && present)
        {
            throw new AwsException("TransitGatewayRouteTablePropagation.Duplicate", $"Propagation for {attachment.Id} already exists in Transit Gateway Route Table {table.Id}.");
        }
        if (!enable && !present)
        {
            throw new AwsException("TransitGatewayRouteTablePropagation.NotFound", $"Propagation for {attachment.Id} does not exist in Transit Gateway Route Table {table.Id}.");
        }
        if (enable)
        {
            table.PropagatingAttachmentIds.Add(attachment.Id);
        }
        else
        {
            table.PropagatingAttachmentIds.Remove(attachment.Id);
        }
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        return (table, attachment);
    }

    private static async Task<(TransitGatewayRouteTableResource Table, TransitGatewayAttachmentResource Attachment)> RequirePairAsync(
        IStoreSession session, Scope scope, string? tableId, string? attachmentId, DateTime now, CancellationToken ct)
    {
        var table = await RequireRouteTableAsync(session, scope, tableId, now, ct).ConfigureAwait(false);
        var attachment = await RequireAttachmentAsync(session, scope, attachmentId, now, ct).ConfigureAwait(false);
        RequireState(table.Id, table.State, "available");
        RequireState(attachment.Id, attachment.State, "available", "modifying");
        if (!BelongsTo(attachment, table.TransitGatewayId))
        {
            throw AwsErrors.InvalidParameterValue($"Transit Gateway Attachment {attachment.Id} and Transit Gateway Route Table {table.Id} belong to different Transit Gateways.");
        }
        return (table, attachment);
    }

    // ---- Routes ----------------------------------------------------------------------------

    /// <summary>CreateTransitGatewayRoute / ReplaceTransitGatewayRoute: a static route to an attachment of the table's gateway, or a blackhole.</summary>
    public static async Task<TransitGatewayRouteView> PutRouteAsync(
        IStoreTransaction tx, Scope scope, string? tableId, string? destinationCidrBlock, string? attachmentId, bool blackhole, bool replace, DateTime now, CancellationToken ct)
    {
        var table = await RequireRouteTableAsync(tx, scope, tableId, now, ct).ConfigureAwait(false);
        var destination = CanonicalDestination(destinationCidrBlock);
        if (blackhole && attachmentId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("The parameter blackhole cannot be used with transitGatewayAttachmentId.");
        }
        if (!blackhole && attachmentId is null)
        {
            throw AwsErrors.MissingParameter("TransitGatewayAttachmentId");
        }
        RequireState(table.Id, table.State, "available");
        if (attachmentId is not null)
        {
            var attachment = await RequireAttachmentAsync(tx, scope, attachmentId, now, ct).ConfigureAwait(false);
            if (!BelongsTo(attachment, table.TransitGatewayId))
            {
                throw AwsErrors.InvalidParameterValue($"Transit Gateway Attachment {attachment.Id} and Transit Gateway Route Table {table.Id} belong to different Transit Gateways.");
            }
            if (Provisioning.IsDeletedOrDeleting(attachment))
            {
                throw new AwsException("IncorrectState", $"{attachment.Id} is in invalid state");
            }
        }
        var index = table.Routes.FindIndex(r => r.DestinationCidrBlock == destination);
        var route = new TransitGatewayStaticRoute { DestinationCidrBlock = destination, AttachmentId = attachmentId, Blackhole = blackhole };
        if (replace)
        {
            if (index < 0)
            {
                throw RouteNotFound(table.Id, destination);
            }
            table.Routes[index] = route;
        }
        else
        {
            if (index >= 0)
            {
                throw new AwsException("RouteAlreadyExists", $"Route {destination} already exists in Transit Gateway Route Table {table.Id}.");
            }
            table.Routes.Add(route);
        }
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        return new TransitGatewayRouteView(destination, "static", blackhole ? "blackhole" : "active", attachmentId);
    }

    /// <summary>DeleteTransitGatewayRoute: static routes only (propagated ones leave with their propagation).</summary>
    public static async Task<TransitGatewayRouteView> DeleteRouteAsync(IStoreTransaction tx, Scope scope, string? tableId, string? destinationCidrBlock, DateTime now, CancellationToken ct)
    {
        var table = await RequireRouteTableAsync(tx, scope, tableId, now, ct).ConfigureAwait(false);
        var destination = CanonicalDestination(destinationCidrBlock);
        var route = table.Routes.Find(r => r.DestinationCidrBlock == destination) ?? throw RouteNotFound(table.Id, destination);
        table.Routes.Remove(route);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayRouteTable, table.Id, table, table.CreationTime, ct).ConfigureAwait(false);
        return new TransitGatewayRouteView(destination, "static", "deleted", route.AttachmentId);
    }

    private static AwsException RouteNotFound(string tableId, string destination) =>
        new("InvalidRoute.NotFound", $"No route with destination-cidr-block {destination} in Transit Gateway Route Table {tableId}");

    /// <summary>The topology forwarding needs, read from the store: the gateway, its attachments and route tables, and the CIDR blocks of the attached VPCs.</summary>
    public static async Task<TransitGatewayTopology> TopologyAsync(IStoreSession session, Scope scope, string transitGatewayId, DateTime now, CancellationToken ct)
    {
        var gateway = await RequireAsync(session, scope, transitGatewayId, now, ct).ConfigureAwait(false);
        var attachments = (await Provisioning.ListAsync<TransitGatewayAttachmentResource>(session, scope, ResourceTypes.TransitGatewayAttachment, now, ct).ConfigureAwait(false))
            .Where(a => BelongsTo(a, gateway.Id))
            .ToList();
        var tables = await RouteTablesOfAsync(session, scope, gateway.Id, now, ct).ConfigureAwait(false);
        return new TransitGatewayTopology(gateway, attachments, tables, await ResourceCidrsAsync(session, scope, attachments, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// The blocks each attached VPC's propagation announces: its IPv4 blocks and, when its
    /// attachment has IPv6 support, its IPv6 blocks (as AWS: without it IPv6 routes do not propagate);
    /// and, by Connect attachment id, the prefixes its Connect peers learned over BGP
    /// (see <see cref="PropagationKey"/>).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ResourceCidrsAsync(
        IStoreSession session, Scope scope, IEnumerable<TransitGatewayAttachmentResource> attachments, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        var all = attachments.ToList();
        var vpcAttachments = all.Where(a => a.ResourceType == "vpc").ToList();
        var vpcIds = vpcAttachments.Select(a => a.ResourceId).Distinct(StringComparer.Ordinal).ToList();
        var ipv6 = vpcAttachments.Where(a => a.Ipv6Support == "enable").Select(a => a.ResourceId).ToHashSet(StringComparer.Ordinal);
        var vpcs = await session.GetManyAsync<VpcResource>(scope, ResourceTypes.Vpc, vpcIds, ct).ConfigureAwait(false);
        var cidrs = vpcs.ToDictionary(v => v.Id, v => (IReadOnlyList<string>)v.CidrBlocks.Where(c => c.State == "associated").Select(c => c.CidrBlock)
            .Concat(ipv6.Contains(v.Id) ? v.Ipv6CidrBlocks.Where(c => c.State == "associated").Select(c => c.Ipv6CidrBlock) : [])
            .ToList(), StringComparer.Ordinal);
        var connects = all.Where(a => a.ResourceType == "connect").Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        if (connects.Count > 0)
        {
            var peers = await session.ListAsync<TransitGatewayConnectPeerResource>(scope, ResourceTypes.TransitGatewayConnectPeer, ct).ConfigureAwait(false);
            foreach (var group in peers.Where(p => connects.Contains(p.TransitGatewayAttachmentId) && !Provisioning.IsDeletedOrDeleting(p) && p.LearnedRoutes.Count > 0)
                .OrderBy(p => p.Id, StringComparer.Ordinal)
                .GroupBy(p => p.TransitGatewayAttachmentId, StringComparer.Ordinal))
            {
                cidrs[group.Key] = group.SelectMany(p => p.LearnedRoutes).Distinct(StringComparer.Ordinal).ToList();
            }
        }
        return cidrs;
    }

    /// <summary>
    /// Where an attachment's propagated blocks are found among <see cref="ResourceCidrsAsync"/>'s:
    /// a VPC attachment's under its VPC, a Connect attachment's (the prefixes its peers announce
    /// over BGP) under its own id.
    /// </summary>
    public static string PropagationKey(TransitGatewayAttachmentResource attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return attachment.ResourceType == "connect" ? attachment.Id : attachment.ResourceId;
    }

    /// <summary>
    /// The check CreateRoute makes of a <c>TransitGatewayId</c> target: a transit gateway that
    /// exists and has a VPC attachment (not deleted) to the route table's VPC; otherwise AWS
    /// answers that the transit gateway does not exist.
    /// </summary>
    public static async Task<string> RouteTargetAsync(IStoreSession session, Scope scope, string vpcId, string transitGatewayId, CancellationToken ct)
    {
        ResourceTypes.TransitGateway.CheckId(transitGatewayId);
        var gateway = await session.GetAsync<TransitGatewayResource>(scope, ResourceTypes.TransitGateway, transitGatewayId, ct).ConfigureAwait(false);
        var attachments = gateway is null || Provisioning.IsDeletedOrDeleting(gateway)
            ? []
            : await session.ListAsync<TransitGatewayAttachmentResource>(scope, ResourceTypes.TransitGatewayAttachment, ct).ConfigureAwait(false);
        if (!attachments.Exists(a => a.TransitGatewayId == transitGatewayId && a.ResourceType == "vpc" && a.ResourceId == vpcId && !Provisioning.IsDeletedOrDeleting(a)))
        {
            throw new AwsException("InvalidTransitGatewayID.NotFound", $"The transitGateway ID '{transitGatewayId}' does not exist.");
        }
        return transitGatewayId;
    }

    // ---- Shared rules ----------------------------------------------------------------------

    /// <summary>
    /// Stores an attachment; a peering attachment between Regions or accounts is written to both
    /// sides' scopes, so each side reads (and settles) the same state, associations and options.
    /// </summary>
    public static async Task PutAttachmentAsync(IStoreTransaction tx, Scope scope, TransitGatewayAttachmentResource attachment, DateTime time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(attachment);
        await tx.PutAsync(scope, ResourceTypes.TransitGatewayAttachment, attachment.Id, attachment, time, ct).ConfigureAwait(false);
        if (OtherScope(attachment, scope) is { } other)
        {
            await tx.PutAsync(other, ResourceTypes.TransitGatewayAttachment, attachment.Id, attachment, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The account and Region of the requester's gateway of a peering attachment.</summary>
    public static Scope RequesterScopeOf(TransitGatewayAttachmentResource attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return new Scope(attachment.TransitGatewayOwnerId, attachment.RequesterRegion ?? attachment.Peer?.Region ?? "");
    }

    /// <summary>The account and Region of the accepter's gateway of a peering attachment.</summary>
    public static Scope AccepterScopeOf(TransitGatewayAttachmentResource attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return new Scope(attachment.ResourceOwnerId, attachment.Peer?.Region ?? attachment.RequesterRegion ?? "");
    }

    /// <summary>For a peering attachment between Regions or accounts, the scope of the other side than <paramref name="scope"/>; null otherwise.</summary>
    public static Scope? OtherScope(TransitGatewayAttachmentResource attachment, Scope scope)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        if (attachment.ResourceType != "peering" || attachment.Peer is null)
        {
            return null;
        }
        var requester = RequesterScopeOf(attachment);
        var accepter = AccepterScopeOf(attachment);
        if (requester == accepter)
        {
            return null;
        }
        return scope == requester ? accepter : requester;
    }

    /// <summary>The account of the gateway at the other end of a peering attachment, seen from <paramref name="transitGatewayId"/>.</summary>
    public static string PeerAccountOf(TransitGatewayAttachmentResource attachment, string transitGatewayId)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return IsAccepterSide(attachment, transitGatewayId) ? attachment.TransitGatewayOwnerId : attachment.ResourceOwnerId;
    }

    /// <summary>The Region of the gateway at the other end of a peering attachment, seen from <paramref name="transitGatewayId"/> in <paramref name="region"/>.</summary>
    public static string PeerRegionOf(TransitGatewayAttachmentResource attachment, string transitGatewayId, string region)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return IsAccepterSide(attachment, transitGatewayId) ? attachment.RequesterRegion ?? region : attachment.Peer?.Region ?? region;
    }

    /// <summary>True when <paramref name="attachment"/> is one of the gateway's: its own, or a peering attachment the gateway accepted (or was asked to).</summary>
    public static bool BelongsTo(TransitGatewayAttachmentResource attachment, string transitGatewayId)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return attachment.TransitGatewayId == transitGatewayId || (attachment.ResourceType == "peering" && attachment.ResourceId == transitGatewayId);
    }

    /// <summary>The route table of <paramref name="transitGatewayId"/> the attachment is associated with (a peering attachment has one on each side).</summary>
    public static string? AssociationOn(TransitGatewayAttachmentResource attachment, string transitGatewayId)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return IsAccepterSide(attachment, transitGatewayId) ? attachment.PeerAssociatedRouteTableId : attachment.AssociatedRouteTableId;
    }

    /// <summary>The gateway at the other end of a peering attachment, seen from <paramref name="transitGatewayId"/>.</summary>
    public static string PeerOf(TransitGatewayAttachmentResource attachment, string transitGatewayId)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        return IsAccepterSide(attachment, transitGatewayId) ? attachment.TransitGatewayId : attachment.ResourceId;
    }

    private static void SetAssociation(TransitGatewayAttachmentResource attachment, string transitGatewayId, string? tableId)
    {
        if (IsAccepterSide(attachment, transitGatewayId))
        {
            attachment.PeerAssociatedRouteTableId = tableId;
        }
        else
        {
            attachment.AssociatedRouteTableId = tableId;
        }
    }

    private static bool IsAccepterSide(TransitGatewayAttachmentResource attachment, string transitGatewayId) =>
        attachment.ResourceType == "peering" && attachment.ResourceId == transitGatewayId && attachment.TransitGatewayId != transitGatewayId;

    /// <summary>Refuses a call on a resource that is not in one of <paramref name="allowed"/>: EC2's IncorrectState.</summary>
    public static void RequireState(string id, string state, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (!allowed.Contains(state, StringComparer.Ordinal))
        {
            throw new AwsException("IncorrectState", $"{id} is in invalid state");
        }
    }

    /// <summary>A destination block, IPv4 or IPv6; host bits are cleared as EC2 does.</summary>
    public static string CanonicalDestination(string? cidr)
    {
        if (string.IsNullOrEmpty(cidr))
        {
            throw AwsErrors.MissingParameter("DestinationCidrBlock");
        }
        if (cidr.Contains(':', StringComparison.Ordinal))
        {
            return System.Net.IPNetwork.TryParse(cidr, out var network) && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? network.ToString()
                : throw AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.");
        }
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Ipv4.TryParse(cidr[..slash], out var address)
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.");
        }
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return new Ipv4Cidr(address & mask, prefix).ToString();
    }

    /// <summary>A private ASN AWS accepts for its side: 64512–65534 or 4200000000–4294967294.</summary>
    public static long CheckAsn(long asn) =>
        asn is (>= 64512 and <= 65534) or (>= 4200000000 and <= 4294967294)
            ? asn
            : throw AwsErrors.InvalidParameterValue($"The Amazon side ASN {asn} is invalid. It must be a private ASN in the range 64512-65534 or 4200000000-4294967294.");

    /// <summary>An <c>enable</c>/<c>disable</c> option value (null when not given).</summary>
    public static string? EnableDisable(string? value, string parameter) => value switch
    {
        null => null,
        "enable" or "disable" => value,
        _ => throw AwsErrors.InvalidParameterValue($"Value ({value}) for parameter {parameter} is invalid. Valid values: enable, disable."),
    };

    private static void AddCidrBlocks(TransitGatewaySettings settings, IReadOnlyList<string>? cidrs)
    {
        foreach (var cidr in cidrs ?? [])
        {
            if (!Ipv4Cidr.TryParse(cidr, out var block) || block.PrefixLength > 24)
            {
                throw AwsErrors.InvalidParameterValue($"The CIDR block {cidr} is invalid. A transit gateway CIDR block must be an IPv4 block of /24 or larger.");
            }
            if (!settings.CidrBlocks.Contains(cidr))
            {
                settings.CidrBlocks.Add(cidr);
            }
        }
    }
}
