using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>What a route names: its destination (one of three kinds) and its target (one of several).</summary>
public sealed record RouteSpec(
    string? DestinationCidrBlock,
    string? DestinationIpv6CidrBlock,
    string? DestinationPrefixListId,
    string? GatewayId,
    string? NatGatewayId,
    string? NetworkInterfaceId,
    string? InstanceId,
    string? VpcPeeringConnectionId,
    string? TransitGatewayId,
    string? EgressOnlyInternetGatewayId,
    string? OtherTarget);

/// <summary>Routes and route table associations with EC2's rules.</summary>
public static class RouteTables
{
    /// <summary>CreateRoute: a new destination with exactly one existing target of the table's VPC.</summary>
    public static async Task CreateRouteAsync(IStoreTransaction tx, Scope scope, string? routeTableId, RouteSpec spec, DateTime now, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        var (kind, destination) = Destination(spec);
        if (FindRoute(table, kind, destination) is not null)
        {
            throw new AwsException("RouteAlreadyExists", $"The route identified by {destination} already exists.");
        }
        var route = await BuildAsync(tx, scope, table, spec, kind, destination, now, ct).ConfigureAwait(false);
        table.Routes.Add(route);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
    }

    /// <summary>ReplaceRoute: a new target for an existing route; the local route keeps its target.</summary>
    public static async Task ReplaceRouteAsync(IStoreTransaction tx, Scope scope, string? routeTableId, RouteSpec spec, DateTime now, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        var (kind, destination) = Destination(spec);
        var existing = FindRoute(table, kind, destination)
            ?? throw new AwsException("InvalidRoute.NotFound", $"no route with destination-{kind} {destination} in route table {table.Id}");
        if (existing.GatewayId == "local")
        {
            throw AwsErrors.InvalidParameterValue($"cannot replace local route {destination} in route table {table.Id}");
        }
        var route = await BuildAsync(tx, scope, table, spec, kind, destination, now, ct).ConfigureAwait(false);
        table.Routes[table.Routes.IndexOf(existing)] = route;
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
    }

    /// <summary>DeleteRoute: any route but the local one.</summary>
    public static async Task DeleteRouteAsync(IStoreTransaction tx, Scope scope, string? routeTableId, RouteSpec spec, DateTime now, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        var (kind, destination) = Destination(spec);
        var existing = FindRoute(table, kind, destination)
            ?? throw new AwsException("InvalidRoute.NotFound", $"no route with destination-{kind} {destination} in route table {table.Id}");
        if (existing.GatewayId == "local")
        {
            throw AwsErrors.InvalidParameterValue($"cannot remove local route {destination} in route table {table.Id}");
        }
        table.Routes.Remove(existing);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
    }

    /// <summary>AssociateRouteTable: a subnet of the table's VPC without an explicit association yet.</summary>
    public static async Task<RouteTableLink> AssociateAsync(IStoreTransaction tx, Scope scope, string? routeTableId, string? subnetId, string? gatewayId, DateTime now, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        if ((subnetId is null) == (gatewayId is null))
        {
            throw subnetId is null
                ? AwsErrors.MissingParameter("subnetId or gatewayId")
                : AwsErrors.InvalidParameterCombination("Only one of subnetId and gatewayId may be specified.");
        }
        var tables = await tx.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false);
        RouteTableLink link;
        if (subnetId is not null)
        {
            var subnet = await Vpcs.RequireAsync<SubnetResource>(tx, scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
            if (subnet.VpcId != table.VpcId)
            {
                throw AwsErrors.InvalidParameterValue($"route table {table.Id} and subnet {subnet.Id} belong to different networks");
            }
            if (tables.Exists(t => t.Associations.Exists(a => a.SubnetId == subnet.Id)))
            {
                throw new AwsException("Resource.AlreadyAssociated", $"the specified association for route table {table.Id} conflicts with an existing association");
            }
            link = new RouteTableLink { Id = ResourceIds.New("rtbassoc"), SubnetId = subnet.Id };
        }
        else
        {
            var gateway = await Vpcs.RequireAsync<InternetGatewayResource>(tx, scope, ResourceTypes.InternetGateway, gatewayId, ct).ConfigureAwait(false);
            if (!gateway.Attachments.Exists(a => a.VpcId == table.VpcId))
            {
                throw AwsErrors.InvalidParameterValue($"route table {table.Id} and network gateway {gateway.Id} belong to different networks");
            }
            if (tables.Exists(t => t.Associations.Exists(a => a.GatewayId == gateway.Id)))
            {
                throw new AwsException("Resource.AlreadyAssociated", $"the specified association for route table {table.Id} conflicts with an existing association");
            }
            link = new RouteTableLink { Id = ResourceIds.New("rtbassoc"), GatewayId = gateway.Id };
        }
        table.Associations.Add(link);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        return link;
    }

    /// <summary>DisassociateRouteTable: any association but the main one.</summary>
    public static async Task DisassociateAsync(IStoreTransaction tx, Scope scope, string? associationId, DateTime now, CancellationToken ct)
    {
        var (table, link) = await FindAssociationAsync(tx, scope, associationId, ct).ConfigureAwait(false);
        if (link.Main)
        {
            throw AwsErrors.InvalidParameterValue($"cannot disassociate the main route table association {link.Id}");
        }
        table.Associations.Remove(link);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// ReplaceRouteTableAssociation: moves an association (a subnet's, or the main one, which
    /// makes the new table the VPC's main table) to another table of the same VPC.
    /// </summary>
    public static async Task<RouteTableLink> ReplaceAssociationAsync(IStoreTransaction tx, Scope scope, string? associationId, string? routeTableId, DateTime now, CancellationToken ct)
    {
        var (current, link) = await FindAssociationAsync(tx, scope, associationId, ct).ConfigureAwait(false);
        var target = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        if (target.VpcId != current.VpcId)
        {
            throw AwsErrors.InvalidParameterValue($"route table {target.Id} and association {link.Id} belong to different networks");
        }
        var moved = new RouteTableLink { Id = ResourceIds.New("rtbassoc"), Main = link.Main, SubnetId = link.SubnetId, GatewayId = link.GatewayId };
        current.Associations.Remove(link);
        if (current.Id == target.Id)
        {
            current.Associations.Add(moved);
            await tx.PutAsync(scope, ResourceTypes.RouteTable, current.Id, current, now, ct).ConfigureAwait(false);
            return moved;
        }
        target.Associations.Add(moved);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, current.Id, current, now, ct).ConfigureAwait(false);
        await tx.PutAsync(scope, ResourceTypes.RouteTable, target.Id, target, now, ct).ConfigureAwait(false);
        return moved;
    }

    /// <summary>DeleteRouteTable: refused while it has associations (the main table always has one).</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? routeTableId, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, routeTableId, ct).ConfigureAwait(false);
        if (table.Associations.Count > 0)
        {
            throw new AwsException("DependencyViolation", $"The routeTable '{table.Id}' has dependencies and cannot be deleted.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.RouteTable, table.Id, ct).ConfigureAwait(false);
    }

    private static async Task<(RouteTableResource Table, RouteTableLink Link)> FindAssociationAsync(IStoreSession session, Scope scope, string? associationId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(associationId))
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        if (!ResourceIds.IsWellFormed("rtbassoc", associationId))
        {
            throw new AwsException("InvalidAssociationID.NotFound", $"The association ID '{associationId}' does not exist");
        }
        var tables = await session.ListAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, ct).ConfigureAwait(false);
        foreach (var table in tables)
        {
            if (table.Associations.Find(a => a.Id == associationId) is { } link)
            {
                return (table, link);
            }
        }
        throw new AwsException("InvalidAssociationID.NotFound", $"The association ID '{associationId}' does not exist");
    }

    private static RouteEntry? FindRoute(RouteTableResource table, string kind, string destination) => kind switch
    {
        "cidr-block" => table.Routes.Find(r => r.DestinationCidrBlock == destination),
        "ipv6-cidr-block" => table.Routes.Find(r => r.DestinationIpv6CidrBlock == destination),
        _ => table.Routes.Find(r => r.DestinationPrefixListId == destination),
    };

    private static (string Kind, string Destination) Destination(RouteSpec spec)
    {
        var given = new[] { spec.DestinationCidrBlock, spec.DestinationIpv6CidrBlock, spec.DestinationPrefixListId }.Count(d => d is not null);
        if (given == 0)
        {
            throw AwsErrors.MissingParameter("destinationCidrBlock");
        }
        if (given > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of destinationCidrBlock, destinationIpv6CidrBlock and destinationPrefixListId may be specified.");
        }
        if (spec.DestinationCidrBlock is { } cidr)
        {
            // Any IPv4 block: a destination may have host bits set, which EC2 normalises.
            var slash = cidr.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !Ipv4.TryParse(cidr[..slash], out var address)
                || !int.TryParse(cidr[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.");
            }
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            return ("cidr-block", new Ipv4Cidr(address & mask, prefix).ToString());
        }
        if (spec.DestinationIpv6CidrBlock is { } v6)
        {
            if (!System.Net.IPNetwork.TryParse(v6, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({v6}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.");
            }
            return ("ipv6-cidr-block", network.ToString());
        }
        return ("prefix-list-id", SecurityGroups.RuleValidation.CheckPrefixListId(spec.DestinationPrefixListId!));
    }

    private static async Task<RouteEntry> BuildAsync(IStoreTransaction tx, Scope scope, RouteTableResource table, RouteSpec spec, string kind, string destination, DateTime now, CancellationToken ct)
    {
        if (kind == "prefix-list-id")
        {
            await PrefixLists.ManagedPrefixLists.CheckRouteAsync(tx, scope, table, destination, ct).ConfigureAwait(false);
        }
        var targets = new[]
        {
            spec.GatewayId, spec.NatGatewayId, spec.NetworkInterfaceId, spec.InstanceId, spec.VpcPeeringConnectionId,
            spec.TransitGatewayId, spec.EgressOnlyInternetGatewayId, spec.OtherTarget,
        }.Count(t => t is not null);
        if (targets == 0)
        {
            throw AwsErrors.InvalidParameterCombination("No route target specified.");
        }
        if (targets > 1)
        {
            throw AwsErrors.InvalidParameterCombination("More than one target specified. A route may have only one target.");
        }
        string? gatewayId = null, instanceId = null, instanceOwner = null, eniId = null, natGatewayId = null, peeringId = null, egressOnlyId = null;
        var state = "active";
        string? transitGatewayId = null;
        if (spec.GatewayId is { } gw)
        {
            if (gw.StartsWith("igw-", StringComparison.Ordinal))
            {
                var gateway = await Vpcs.RequireAsync<InternetGatewayResource>(tx, scope, ResourceTypes.InternetGateway, gw, ct).ConfigureAwait(false);
                if (!gateway.Attachments.Exists(a => a.VpcId == table.VpcId))
                {
                    throw AwsErrors.InvalidParameterValue($"route table {table.Id} and network gateway {gw} belong to different networks");
                }
                var vpc = await tx.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, table.VpcId, ct).ConfigureAwait(false);
                if (kind == "cidr-block" && vpc is not null && vpc.CidrBlocks.Any(c => Ipv4Cidr.Parse(c.CidrBlock).Contains(Ipv4Cidr.Parse(destination))))
                {
                    throw AwsErrors.InvalidParameterValue($"The destination CIDR block {destination} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.");
                }
            }
            else if (gw.StartsWith("vgw-", StringComparison.Ordinal))
            {
                await Vpn.Vpn.RouteTargetAsync(tx, scope, table.VpcId, gw, ct).ConfigureAwait(false);
            }
            else
            {
                throw new AwsException("InvalidGatewayID.NotFound", $"The gateway ID '{gw}' does not exist");
            }
            gatewayId = gw;
        }
        else if (spec.NetworkInterfaceId is { } eniRef)
        {
            var eni = await Vpcs.RequireAsync<NetworkInterfaceResource>(tx, scope, ResourceTypes.NetworkInterface, eniRef, ct).ConfigureAwait(false);
            if (eni.VpcId != table.VpcId)
            {
                throw AwsErrors.InvalidParameterValue($"route table {table.Id} and interface {eni.Id} belong to different networks");
            }
            eniId = eni.Id;
            instanceId = eni.Attachment?.InstanceId;
            instanceOwner = eni.Attachment?.InstanceOwnerId;
        }
        else if (spec.InstanceId is { } instance)
        {
            ResourceTypes.Instance.CheckId(instance);
            var stored = await tx.GetAsync(new ResourceKey(scope.AccountId, scope.Region, ResourceTypes.Instance.Name, instance), ct).ConfigureAwait(false);
            if (stored is null || JsonNode.Parse(stored.Document)?["state"]?.GetValue<string>() == "terminated")
            {
                throw ResourceTypes.Instance.NotFound(instance);
            }
            var interfaces = await tx.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false);
            var primary = interfaces.Find(i => i.Attachment is { } a && a.InstanceId == instance && a.DeviceIndex == 0);
            if (primary is not null && primary.VpcId != table.VpcId)
            {
                throw AwsErrors.InvalidParameterValue($"route table {table.Id} and instance {instance} belong to different networks");
            }
            instanceId = instance;
            instanceOwner = scope.AccountId;
            eniId = primary?.Id;
        }
        else if (spec.NatGatewayId is { } nat)
        {
            var gateway = await NatGateways.NatGateways.RequireRouteTargetAsync(tx, scope, nat, table.VpcId, now, ct).ConfigureAwait(false);
            natGatewayId = gateway.Id;
            state = gateway.StateAt(now) is "pending" or "available" ? "active" : "blackhole";
        }
        else if (spec.VpcPeeringConnectionId is { } pcx)
        {
            var peering = await Peering.VpcPeering.RequireRouteTargetAsync(tx, scope, pcx, table.VpcId, now, ct).ConfigureAwait(false);
            peeringId = peering.Id;
            state = peering.StatusAt(now) == "active" ? "active" : "blackhole";
        }
        else if (spec.TransitGatewayId is { } tgw)
        {
            transitGatewayId = await TransitGateways.TransitGateways.RouteTargetAsync(tx, scope, table.VpcId, tgw, ct).ConfigureAwait(false);
        }
        else if (spec.EgressOnlyInternetGatewayId is { } eigw)
        {
            egressOnlyId = (await EgressOnly.EgressOnlyInternetGateways.RequireRouteTargetAsync(tx, scope, eigw, table.VpcId, kind, ct).ConfigureAwait(false)).Id;
        }
        else if (spec.OtherTarget is { } carrier && carrier.StartsWith("cagw-", StringComparison.Ordinal))
        {
            throw await Carrier.CarrierGateways.RouteTargetErrorAsync(tx, scope, carrier, table.VpcId, ct).ConfigureAwait(false);
        }
        else
        {
            throw AwsErrors.InvalidParameterValue($"The target '{spec.OtherTarget}' does not exist");
        }
        if (kind == "ipv6-cidr-block" && eniId is null && instanceId is null)
        {
            // More specific routes inside the VPC's own IPv6 blocks may only target an interface or an instance.
            var vpc = await tx.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, table.VpcId, ct).ConfigureAwait(false);
            var network = System.Net.IPNetwork.Parse(destination);
            if (vpc is not null && vpc.Ipv6CidrBlocks.Exists(b => b.State is "associated" or "associating"
                && System.Net.IPNetwork.TryParse(b.Ipv6CidrBlock, out var block) && Ipv6.Ipv6Cidrs.Contains(block, network)))
            {
                throw AwsErrors.InvalidParameterValue($"The destination CIDR block {destination} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.");
            }
        }
        return new RouteEntry
        {
            DestinationCidrBlock = kind == "cidr-block" ? destination : null,
            DestinationIpv6CidrBlock = kind == "ipv6-cidr-block" ? destination : null,
            DestinationPrefixListId = kind == "prefix-list-id" ? destination : null,
            GatewayId = gatewayId,
            InstanceId = instanceId,
            InstanceOwnerId = instanceOwner,
            NetworkInterfaceId = eniId,
            NatGatewayId = natGatewayId,
            VpcPeeringConnectionId = peeringId,
            EgressOnlyInternetGatewayId = egressOnlyId,
            State = state,
            TransitGatewayId = transitGatewayId,
            Origin = "CreateRoute",
        };
    }
}
