using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.TransitGateways;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Transit gateways, their VPC attachments, route tables, associations, propagations and routes.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeTransitGateways")]
    private static readonly FilterSet<TransitGatewayResource> TransitGatewayFilters = new FilterSet<TransitGatewayResource>()
        .Add("options.amazon-side-asn", g => g.Options.AmazonSideAsn.ToString(CultureInfo.InvariantCulture))
        .Add("options.association-default-route-table-id", g => g.Options.AssociationDefaultRouteTableId)
        .Add("options.auto-accept-shared-attachments", g => g.Options.AutoAcceptSharedAttachments)
        .Add("options.default-route-table-association", g => g.Options.DefaultRouteTableAssociation)
        .Add("options.default-route-table-propagation", g => g.Options.DefaultRouteTablePropagation)
        .Add("options.dns-support", g => g.Options.DnsSupport)
        .Add("options.propagation-default-route-table-id", g => g.Options.PropagationDefaultRouteTableId)
        .Add("options.vpn-ecmp-support", g => g.Options.VpnEcmpSupport)
        .Add("owner-id", g => g.OwnerId)
        .Add("state", g => g.State)
        .Add("transit-gateway-id", g => g.Id);

    [FiltersFor("DescribeTransitGatewayAttachments")]
    private static readonly FilterSet<TransitGatewayAttachmentResource> TransitGatewayAttachmentFilters = new FilterSet<TransitGatewayAttachmentResource>()
        .Add("association.state", a => a.AssociatedRouteTableId is null ? null : "associated")
        .Add("association.transit-gateway-route-table-id", a => a.AssociatedRouteTableId)
        .Add("resource-id", a => a.ResourceId)
        .Add("resource-owner-id", a => a.ResourceOwnerId)
        .Add("resource-type", a => a.ResourceType)
        .Add("state", a => a.State)
        .Add("transit-gateway-attachment-id", a => a.Id)
        .Add("transit-gateway-id", a => a.TransitGatewayId)
        .Add("transit-gateway-owner-id", a => a.TransitGatewayOwnerId);

    [FiltersFor("DescribeTransitGatewayVpcAttachments")]
    private static readonly FilterSet<TransitGatewayAttachmentResource> TransitGatewayVpcAttachmentFilters = new FilterSet<TransitGatewayAttachmentResource>()
        .Add("state", a => a.State)
        .Add("transit-gateway-attachment-id", a => a.Id)
        .Add("transit-gateway-id", a => a.TransitGatewayId)
        .Add("vpc-id", a => a.ResourceId);

    [FiltersFor("DescribeTransitGatewayRouteTables")]
    private static readonly FilterSet<TransitGatewayRouteTableResource> TransitGatewayRouteTableFilters = new FilterSet<TransitGatewayRouteTableResource>()
        .Add("default-association-route-table", t => t.DefaultAssociationRouteTable)
        .Add("default-propagation-route-table", t => t.DefaultPropagationRouteTable)
        .Add("state", t => t.State)
        .Add("transit-gateway-id", t => t.TransitGatewayId)
        .Add("transit-gateway-route-table-id", t => t.Id);

    [FiltersFor("GetTransitGatewayRouteTableAssociations", "GetTransitGatewayRouteTablePropagations")]
    private static readonly FilterSet<TransitGatewayAttachmentResource> TransitGatewayTableAttachmentFilters = new FilterSet<TransitGatewayAttachmentResource>()
        .Add("resource-id", a => a.ResourceId)
        .Add("resource-type", a => a.ResourceType)
        .Add("transit-gateway-attachment-id", a => a.Id);

    [FiltersFor("GetTransitGatewayAttachmentPropagations")]
    private static readonly FilterSet<TransitGatewayRouteTableResource> TransitGatewayAttachmentPropagationFilters = new FilterSet<TransitGatewayRouteTableResource>()
        .Add("transit-gateway-route-table-id", t => t.Id);

    // ---- Transit gateways ------------------------------------------------------------------

    public override async Task<CreateTransitGatewayResult> CreateTransitGatewayAsync(RequestContext context, CreateTransitGatewayRequest request)
    {
        var o = request.Options;
        var spec = new TransitGatewayOptionsSpec(o?.AmazonSideAsn, o?.AutoAcceptSharedAttachments, o?.DefaultRouteTableAssociation, o?.DefaultRouteTablePropagation,
            VpnEcmpSupport: o?.VpnEcmpSupport, DnsSupport: o?.DnsSupport, MulticastSupport: o?.MulticastSupport,
            SecurityGroupReferencingSupport: o?.SecurityGroupReferencingSupport, AddCidrBlocks: o?.TransitGatewayCidrBlocks);
        var (gateway, _) = await TransitGateways.CreateAsync(context.Transaction, context.Scope, request.Description, spec,
            TagsOnCreate(request.TagSpecifications, "transit-gateway"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayResult { TransitGateway = ToShape(context.Scope, gateway) };
    }

    public override async Task<ModifyTransitGatewayResult> ModifyTransitGatewayAsync(RequestContext context, ModifyTransitGatewayRequest request)
    {
        var o = request.Options;
        var spec = o is null ? null : new TransitGatewayOptionsSpec(o.AmazonSideAsn, o.AutoAcceptSharedAttachments, o.DefaultRouteTableAssociation, o.DefaultRouteTablePropagation,
            o.AssociationDefaultRouteTableId, o.PropagationDefaultRouteTableId, o.VpnEcmpSupport, o.DnsSupport, null, o.SecurityGroupReferencingSupport,
            o.AddTransitGatewayCidrBlocks, o.RemoveTransitGatewayCidrBlocks);
        var gateway = await TransitGateways.ModifyAsync(context.Transaction, context.Scope, request.TransitGatewayId, request.Description, spec, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyTransitGatewayResult { TransitGateway = ToShape(context.Scope, gateway) };
    }

    public override async Task<DeleteTransitGatewayResult> DeleteTransitGatewayAsync(RequestContext context, DeleteTransitGatewayRequest request)
    {
        var gateway = await TransitGateways.DeleteAsync(context.Transaction, context.Scope, request.TransitGatewayId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayResult { TransitGateway = ToShape(context.Scope, gateway) };
    }

    public override async Task<DescribeTransitGatewaysResult> DescribeTransitGatewaysAsync(RequestContext context, DescribeTransitGatewaysRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGateway, TransitGatewayFilters, request.TransitGatewayIds, request.Filters,
            request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeTransitGatewaysResult { TransitGateways = page.Items.Select(g => ToShape(context.Scope, g)).ToList(), NextToken = page.NextToken };
    }

    // ---- Attachments -----------------------------------------------------------------------

    public override async Task<CreateTransitGatewayVpcAttachmentResult> CreateTransitGatewayVpcAttachmentAsync(RequestContext context, CreateTransitGatewayVpcAttachmentRequest request)
    {
        var o = request.Options;
        var attachment = await TransitGateways.CreateVpcAttachmentAsync(context.Transaction, context.Scope, request.TransitGatewayId, request.VpcId, request.SubnetIds,
            new VpcAttachmentOptionsSpec(o?.ApplianceModeSupport, o?.DnsSupport, o?.Ipv6Support, o?.SecurityGroupReferencingSupport),
            TagsOnCreate(request.TagSpecifications, "transit-gateway-attachment"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayVpcAttachmentResult { TransitGatewayVpcAttachment = ToVpcAttachmentShape(attachment) };
    }

    public override async Task<ModifyTransitGatewayVpcAttachmentResult> ModifyTransitGatewayVpcAttachmentAsync(RequestContext context, ModifyTransitGatewayVpcAttachmentRequest request)
    {
        var o = request.Options;
        var attachment = await TransitGateways.ModifyVpcAttachmentAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, request.AddSubnetIds, request.RemoveSubnetIds,
            o is null ? null : new VpcAttachmentOptionsSpec(o.ApplianceModeSupport, o.DnsSupport, o.Ipv6Support, o.SecurityGroupReferencingSupport),
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyTransitGatewayVpcAttachmentResult { TransitGatewayVpcAttachment = ToVpcAttachmentShape(attachment) };
    }

    public override async Task<DeleteTransitGatewayVpcAttachmentResult> DeleteTransitGatewayVpcAttachmentAsync(RequestContext context, DeleteTransitGatewayVpcAttachmentRequest request)
    {
        var attachment = await TransitGateways.DeleteVpcAttachmentAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayVpcAttachmentResult { TransitGatewayVpcAttachment = ToVpcAttachmentShape(attachment) };
    }

    public override async Task<AcceptTransitGatewayVpcAttachmentResult> AcceptTransitGatewayVpcAttachmentAsync(RequestContext context, AcceptTransitGatewayVpcAttachmentRequest request)
    {
        var attachment = await TransitGateways.DecideAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, accept: true, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AcceptTransitGatewayVpcAttachmentResult { TransitGatewayVpcAttachment = ToVpcAttachmentShape(attachment) };
    }

    public override async Task<RejectTransitGatewayVpcAttachmentResult> RejectTransitGatewayVpcAttachmentAsync(RequestContext context, RejectTransitGatewayVpcAttachmentRequest request)
    {
        var attachment = await TransitGateways.DecideAsync(context.Transaction, context.Scope, request.TransitGatewayAttachmentId, accept: false, context.Now, context.Cancellation).ConfigureAwait(false);
        return new RejectTransitGatewayVpcAttachmentResult { TransitGatewayVpcAttachment = ToVpcAttachmentShape(attachment) };
    }

    public override async Task<DescribeTransitGatewayAttachmentsResult> DescribeTransitGatewayAttachmentsAsync(RequestContext context, DescribeTransitGatewayAttachmentsRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGatewayAttachment, TransitGatewayAttachmentFilters, request.TransitGatewayAttachmentIds,
            request.Filters, request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeTransitGatewayAttachmentsResult { TransitGatewayAttachments = page.Items.Select(ToAttachmentShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<DescribeTransitGatewayVpcAttachmentsResult> DescribeTransitGatewayVpcAttachmentsAsync(RequestContext context, DescribeTransitGatewayVpcAttachmentsRequest request)
    {
        var paged = await AttachmentsOfTypeAsync(context, "vpc", TransitGatewayVpcAttachmentFilters, request.TransitGatewayAttachmentIds,
            request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new DescribeTransitGatewayVpcAttachmentsResult { TransitGatewayVpcAttachments = paged.Items.Select(ToVpcAttachmentShape).ToList(), NextToken = paged.NextToken };
    }

    // ---- Route tables ----------------------------------------------------------------------

    public override async Task<CreateTransitGatewayRouteTableResult> CreateTransitGatewayRouteTableAsync(RequestContext context, CreateTransitGatewayRouteTableRequest request)
    {
        var table = await TransitGateways.CreateRouteTableAsync(context.Transaction, context.Scope, request.TransitGatewayId,
            TagsOnCreate(request.TagSpecifications, "transit-gateway-route-table"), context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayRouteTableResult { TransitGatewayRouteTable = ToShape(table) };
    }

    public override async Task<DeleteTransitGatewayRouteTableResult> DeleteTransitGatewayRouteTableAsync(RequestContext context, DeleteTransitGatewayRouteTableRequest request)
    {
        var table = await TransitGateways.DeleteRouteTableAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayRouteTableResult { TransitGatewayRouteTable = ToShape(table) };
    }

    public override async Task<DescribeTransitGatewayRouteTablesResult> DescribeTransitGatewayRouteTablesAsync(RequestContext context, DescribeTransitGatewayRouteTablesRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.TransitGatewayRouteTable, TransitGatewayRouteTableFilters, request.TransitGatewayRouteTableIds,
            request.Filters, request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeTransitGatewayRouteTablesResult { TransitGatewayRouteTables = page.Items.Select(ToShape).ToList(), NextToken = page.NextToken };
    }

    public override async Task<AssociateTransitGatewayRouteTableResult> AssociateTransitGatewayRouteTableAsync(RequestContext context, AssociateTransitGatewayRouteTableRequest request)
    {
        var (table, attachment) = await TransitGateways.AssociateAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId,
            request.TransitGatewayAttachmentId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new AssociateTransitGatewayRouteTableResult { Association = ToAssociationShape(table, attachment, "associating") };
    }

    public override async Task<DisassociateTransitGatewayRouteTableResult> DisassociateTransitGatewayRouteTableAsync(RequestContext context, DisassociateTransitGatewayRouteTableRequest request)
    {
        var (table, attachment) = await TransitGateways.DisassociateAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId,
            request.TransitGatewayAttachmentId, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisassociateTransitGatewayRouteTableResult { Association = ToAssociationShape(table, attachment, "disassociating") };
    }

    public override async Task<EnableTransitGatewayRouteTablePropagationResult> EnableTransitGatewayRouteTablePropagationAsync(RequestContext context, EnableTransitGatewayRouteTablePropagationRequest request)
    {
        RejectAnnouncement(request.TransitGatewayRouteTableAnnouncementId);
        var (table, attachment) = await TransitGateways.SetPropagationAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId,
            request.TransitGatewayAttachmentId, enable: true, context.Now, context.Cancellation).ConfigureAwait(false);
        return new EnableTransitGatewayRouteTablePropagationResult { Propagation = ToPropagationShape(table, attachment, "enabling") };
    }

    public override async Task<DisableTransitGatewayRouteTablePropagationResult> DisableTransitGatewayRouteTablePropagationAsync(RequestContext context, DisableTransitGatewayRouteTablePropagationRequest request)
    {
        RejectAnnouncement(request.TransitGatewayRouteTableAnnouncementId);
        var (table, attachment) = await TransitGateways.SetPropagationAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId,
            request.TransitGatewayAttachmentId, enable: false, context.Now, context.Cancellation).ConfigureAwait(false);
        return new DisableTransitGatewayRouteTablePropagationResult { Propagation = ToPropagationShape(table, attachment, "disabling") };
    }

    private static void RejectAnnouncement(string? announcementId)
    {
        if (announcementId is not null)
        {
            throw new AwsException("InvalidTransitGatewayRouteTableAnnouncementId.NotFound", $"Transit Gateway Route Table Announcement {announcementId} was deleted or does not exist.");
        }
    }

    public override async Task<GetTransitGatewayRouteTableAssociationsResult> GetTransitGatewayRouteTableAssociationsAsync(RequestContext context, GetTransitGatewayRouteTableAssociationsRequest request)
    {
        var table = await TransitGateways.RequireRouteTableAsync(context.Store, context.Scope, request.TransitGatewayRouteTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        var page = await TableAttachmentsPageAsync(context, a => TransitGateways.AssociationOn(a, table.TransitGatewayId) == table.Id, request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new GetTransitGatewayRouteTableAssociationsResult
        {
            Associations = page.Items.Select(a => new TransitGatewayRouteTableAssociation
            {
                TransitGatewayAttachmentId = a.Id,
                ResourceId = a.ResourceId,
                ResourceType = a.ResourceType,
                State = "associated",
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    public override async Task<GetTransitGatewayRouteTablePropagationsResult> GetTransitGatewayRouteTablePropagationsAsync(RequestContext context, GetTransitGatewayRouteTablePropagationsRequest request)
    {
        var table = await TransitGateways.RequireRouteTableAsync(context.Store, context.Scope, request.TransitGatewayRouteTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        var page = await TableAttachmentsPageAsync(context, a => table.PropagatingAttachmentIds.Contains(a.Id), request.Filters, request.MaxResults, request.NextToken).ConfigureAwait(false);
        return new GetTransitGatewayRouteTablePropagationsResult
        {
            TransitGatewayRouteTablePropagations = page.Items.Select(a => new TransitGatewayRouteTablePropagation
            {
                TransitGatewayAttachmentId = a.Id,
                ResourceId = a.ResourceId,
                ResourceType = a.ResourceType,
                State = "enabled",
            }).ToList(),
            NextToken = page.NextToken,
        };
    }

    /// <summary>One page of the attachments a route table associates or propagates, after the request's filters.</summary>
    private static async Task<Page<TransitGatewayAttachmentResource>> TableAttachmentsPageAsync(
        RequestContext context, Func<TransitGatewayAttachmentResource, bool> ofTable, List<Filter>? filters, int? maxResults, string? nextToken)
    {
        var attachments = (await Provisioning.ListAsync<TransitGatewayAttachmentResource>(context.Store, context.Scope, ResourceTypes.TransitGatewayAttachment, context.Now, context.Cancellation).ConfigureAwait(false))
            .Where(ofTable);
        return Paginator.Paginate(TransitGatewayTableAttachmentFilters.Apply(attachments, ToCriteria(filters)), a => a.Id, maxResults, nextToken);
    }

    public override async Task<GetTransitGatewayAttachmentPropagationsResult> GetTransitGatewayAttachmentPropagationsAsync(RequestContext context, GetTransitGatewayAttachmentPropagationsRequest request)
    {
        var attachment = await TransitGateways.RequireAttachmentAsync(context.Store, context.Scope, request.TransitGatewayAttachmentId, context.Now, context.Cancellation).ConfigureAwait(false);
        var tables = (await TransitGateways.RouteTablesOfAsync(context.Store, context.Scope, attachment.TransitGatewayId, context.Now, context.Cancellation).ConfigureAwait(false))
            .Where(t => t.PropagatingAttachmentIds.Contains(attachment.Id));
        var page = Paginator.Paginate(TransitGatewayAttachmentPropagationFilters.Apply(tables, ToCriteria(request.Filters)), t => t.Id, request.MaxResults, request.NextToken);
        return new GetTransitGatewayAttachmentPropagationsResult
        {
            TransitGatewayAttachmentPropagations = page.Items.Select(t => new TransitGatewayAttachmentPropagation { TransitGatewayRouteTableId = t.Id, State = "enabled" }).ToList(),
            NextToken = page.NextToken,
        };
    }

    // ---- Routes ----------------------------------------------------------------------------

    public override async Task<CreateTransitGatewayRouteResult> CreateTransitGatewayRouteAsync(RequestContext context, CreateTransitGatewayRouteRequest request)
    {
        var route = await TransitGateways.PutRouteAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId, request.DestinationCidrBlock,
            request.TransitGatewayAttachmentId, request.Blackhole ?? false, replace: false, context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateTransitGatewayRouteResult { Route = await ToRouteShapeAsync(context, route).ConfigureAwait(false) };
    }

    public override async Task<ReplaceTransitGatewayRouteResult> ReplaceTransitGatewayRouteAsync(RequestContext context, ReplaceTransitGatewayRouteRequest request)
    {
        var route = await TransitGateways.PutRouteAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId, request.DestinationCidrBlock,
            request.TransitGatewayAttachmentId, request.Blackhole ?? false, replace: true, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ReplaceTransitGatewayRouteResult { Route = await ToRouteShapeAsync(context, route).ConfigureAwait(false) };
    }

    public override async Task<DeleteTransitGatewayRouteResult> DeleteTransitGatewayRouteAsync(RequestContext context, DeleteTransitGatewayRouteRequest request)
    {
        var route = await TransitGateways.DeleteRouteAsync(context.Transaction, context.Scope, request.TransitGatewayRouteTableId, request.DestinationCidrBlock,
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new DeleteTransitGatewayRouteResult { Route = await ToRouteShapeAsync(context, route).ConfigureAwait(false) };
    }

    /// <summary>The SearchTransitGatewayRoutes filters; the route-search ones compare blocks and take the first value.</summary>
    [FiltersFor("SearchTransitGatewayRoutes")]
    private static readonly FilterSet<(TransitGatewayRouteView Route, TransitGatewayAttachmentResource? Attachment)> TransitGatewayRouteFilters =
        new FilterSet<(TransitGatewayRouteView Route, TransitGatewayAttachmentResource? Attachment)>()
        .Add("attachment.resource-id", r => r.Attachment?.ResourceId)
        .Add("attachment.resource-type", r => r.Attachment?.ResourceType)
        .Add("attachment.transit-gateway-attachment-id", r => r.Route.AttachmentId)
        .Add("prefix-list-id", _ => null)
        .Add("route-search.exact-match", r => r.Route.DestinationCidrBlock)
        .Add("route-search.longest-prefix-match", r => r.Route.DestinationCidrBlock)
        .Add("route-search.subnet-of-match", r => r.Route.DestinationCidrBlock)
        .Add("route-search.supernet-of-match", r => r.Route.DestinationCidrBlock)
        .Add("state", r => r.Route.State)
        .Add("type", r => r.Route.Type);

    private static readonly string[] RouteSearchFilters = ["route-search.exact-match", "route-search.longest-prefix-match", "route-search.subnet-of-match", "route-search.supernet-of-match"];

    public override async Task<SearchTransitGatewayRoutesResult> SearchTransitGatewayRoutesAsync(RequestContext context, SearchTransitGatewayRoutesRequest request)
    {
        if (request.Filters is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("Filters");
        }
        Paginator.CheckMaxResults(request.MaxResults);
        var table = await TransitGateways.RequireRouteTableAsync(context.Store, context.Scope, request.TransitGatewayRouteTableId, context.Now, context.Cancellation).ConfigureAwait(false);
        var attachments = (await Provisioning.ListAsync<TransitGatewayAttachmentResource>(context.Store, context.Scope, ResourceTypes.TransitGatewayAttachment, context.Now, context.Cancellation).ConfigureAwait(false))
            .Where(a => TransitGateways.BelongsTo(a, table.TransitGatewayId))
            .ToList();
        var cidrs = await TransitGateways.ResourceCidrsAsync(context.Store, context.Scope, attachments, context.Cancellation).ConfigureAwait(false);
        var byId = attachments.ToDictionary(a => a.Id, StringComparer.Ordinal);
        IEnumerable<TransitGatewayRouteView> routes = TransitGatewayRouting.EffectiveRoutes(table, attachments, cidrs);

        // The route-search filters compare blocks; the others go through the filter set.
        var plain = new List<Filter>();
        foreach (var filter in request.Filters)
        {
            if (!RouteSearchFilters.Contains(filter.Name, StringComparer.Ordinal))
            {
                plain.Add(filter);
                continue;
            }
            var blocks = (filter.Values ?? []).Select(v => System.Net.IPNetwork.Parse(TransitGateways.CanonicalDestination(v))).ToList();
            routes = filter.Name switch
            {
                "route-search.exact-match" => routes.Where(r => blocks.Contains(r.Destination)),
                "route-search.subnet-of-match" => routes.Where(r => blocks.Exists(r.IsWithin)),
                "route-search.supernet-of-match" => routes.Where(r => blocks.Exists(r.Covers)),
                _ => LongestPrefixMatches(routes.ToList(), blocks),
            };
        }
        var matched = TransitGatewayRouteFilters.Apply(
                routes.Select(r => (r, r.AttachmentId is { } id && byId.TryGetValue(id, out var a) ? a : null)),
                ToCriteria(plain))
            .ToList();
        var max = request.MaxResults ?? 1000;
        return new SearchTransitGatewayRoutesResult
        {
            Routes = matched.Take(max).Select(m => ToRouteShape(m.Route, m.Item2)).ToList(),
            AdditionalRoutesAvailable = matched.Count > max,
        };
    }

    private static IEnumerable<TransitGatewayRouteView> LongestPrefixMatches(List<TransitGatewayRouteView> routes, List<System.Net.IPNetwork> blocks) =>
        blocks.Select(b => routes.Where(r => r.Covers(b)).MaxBy(r => r.Destination.PrefixLength))
            .Where(r => r is not null)
            .Select(r => r!)
            .Distinct();

    private static async Task<TransitGatewayRoute> ToRouteShapeAsync(RequestContext context, TransitGatewayRouteView route)
    {
        var attachment = route.AttachmentId is { } id
            ? await context.Transaction.GetAsync<TransitGatewayAttachmentResource>(context.Scope, ResourceTypes.TransitGatewayAttachment, id, context.Cancellation).ConfigureAwait(false)
            : null;
        return ToRouteShape(route, attachment);
    }

    // ---- Shapes ----------------------------------------------------------------------------

    private static TransitGatewayRoute ToRouteShape(TransitGatewayRouteView route, TransitGatewayAttachmentResource? attachment) => new()
    {
        DestinationCidrBlock = route.DestinationCidrBlock,
        Type = route.Type,
        State = route.State,
        TransitGatewayAttachments = route.AttachmentId is { } id
            ? [new TransitGatewayRouteAttachment { TransitGatewayAttachmentId = id, ResourceId = attachment?.ResourceId, ResourceType = attachment?.ResourceType }]
            : null,
    };

    private static TransitGateway ToShape(Scope scope, TransitGatewayResource g) => new()
    {
        TransitGatewayId = g.Id,
        TransitGatewayArn = TransitGateways.Arn(scope, g.Id),
        OwnerId = g.OwnerId,
        Description = g.Description,
        State = g.State,
        CreationTime = g.CreationTime,
        Options = new TransitGatewayOptions
        {
            AmazonSideAsn = g.Options.AmazonSideAsn,
            AutoAcceptSharedAttachments = g.Options.AutoAcceptSharedAttachments,
            DefaultRouteTableAssociation = g.Options.DefaultRouteTableAssociation,
            DefaultRouteTablePropagation = g.Options.DefaultRouteTablePropagation,
            AssociationDefaultRouteTableId = g.Options.AssociationDefaultRouteTableId,
            PropagationDefaultRouteTableId = g.Options.PropagationDefaultRouteTableId,
            VpnEcmpSupport = g.Options.VpnEcmpSupport,
            DnsSupport = g.Options.DnsSupport,
            MulticastSupport = g.Options.MulticastSupport,
            SecurityGroupReferencingSupport = g.Options.SecurityGroupReferencingSupport,
            TransitGatewayCidrBlocks = g.Options.CidrBlocks.Count > 0 ? [.. g.Options.CidrBlocks] : null,
        },
        Tags = ToShape(g.Tags),
    };

    private static TransitGatewayVpcAttachment ToVpcAttachmentShape(TransitGatewayAttachmentResource a) => new()
    {
        TransitGatewayAttachmentId = a.Id,
        TransitGatewayId = a.TransitGatewayId,
        VpcId = a.ResourceId,
        VpcOwnerId = a.ResourceOwnerId,
        State = a.State,
        SubnetIds = [.. a.SubnetIds],
        CreationTime = a.CreationTime,
        Options = new TransitGatewayVpcAttachmentOptions
        {
            ApplianceModeSupport = a.ApplianceModeSupport,
            DnsSupport = a.DnsSupport,
            Ipv6Support = a.Ipv6Support,
            SecurityGroupReferencingSupport = a.SecurityGroupReferencingSupport,
        },
        Tags = ToShape(a.Tags),
    };

    private static TransitGatewayAttachment ToAttachmentShape(TransitGatewayAttachmentResource a) => new()
    {
        TransitGatewayAttachmentId = a.Id,
        TransitGatewayId = a.TransitGatewayId,
        TransitGatewayOwnerId = a.TransitGatewayOwnerId,
        ResourceId = a.ResourceId,
        ResourceOwnerId = a.ResourceOwnerId,
        ResourceType = a.ResourceType,
        State = a.State,
        CreationTime = a.CreationTime,
        Association = a.AssociatedRouteTableId is { } table
            ? new TransitGatewayAttachmentAssociation { TransitGatewayRouteTableId = table, State = "associated" }
            : null,
        Tags = ToShape(a.Tags),
    };

    private static TransitGatewayRouteTable ToShape(TransitGatewayRouteTableResource t) => new()
    {
        TransitGatewayRouteTableId = t.Id,
        TransitGatewayId = t.TransitGatewayId,
        State = t.State,
        DefaultAssociationRouteTable = t.DefaultAssociationRouteTable,
        DefaultPropagationRouteTable = t.DefaultPropagationRouteTable,
        CreationTime = t.CreationTime,
        Tags = ToShape(t.Tags),
    };

    private static TransitGatewayAssociation ToAssociationShape(TransitGatewayRouteTableResource table, TransitGatewayAttachmentResource attachment, string state) => new()
    {
        TransitGatewayRouteTableId = table.Id,
        TransitGatewayAttachmentId = attachment.Id,
        ResourceId = attachment.ResourceId,
        ResourceType = attachment.ResourceType,
        State = state,
    };

    private static TransitGatewayPropagation ToPropagationShape(TransitGatewayRouteTableResource table, TransitGatewayAttachmentResource attachment, string state) => new()
    {
        TransitGatewayRouteTableId = table.Id,
        TransitGatewayAttachmentId = attachment.Id,
        ResourceId = attachment.ResourceId,
        ResourceType = attachment.ResourceType,
        State = state,
    };
}
