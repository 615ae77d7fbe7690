using System.Text.Json;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Endpoints;

/// <summary>What CreateVpcEndpoint asks for.</summary>
public sealed record VpcEndpointSpec(
    string? VpcId,
    string? ServiceName,
    string? VpcEndpointType,
    string? PolicyDocument,
    IReadOnlyList<string> RouteTableIds,
    IReadOnlyList<string> SubnetIds,
    IReadOnlyList<string> SecurityGroupIds,
    bool? PrivateDnsEnabled,
    string? ClientToken = null);

/// <summary>What ModifyVpcEndpoint changes.</summary>
public sealed record VpcEndpointChanges(
    IReadOnlyList<string> AddRouteTableIds,
    IReadOnlyList<string> RemoveRouteTableIds,
    IReadOnlyList<string> AddSubnetIds,
    IReadOnlyList<string> RemoveSubnetIds,
    IReadOnlyList<string> AddSecurityGroupIds,
    IReadOnlyList<string> RemoveSecurityGroupIds,
    string? PolicyDocument,
    bool ResetPolicy,
    bool? PrivateDnsEnabled);

/// <summary>
/// VPC endpoints to the region's AWS services. A gateway endpoint adds a route to the service's
/// prefix list (target the endpoint) to each of its route tables and is available at once; an
/// interface endpoint puts a requester-managed network interface into each of its subnets (one
/// per zone) and goes pending → available. Deleting goes deleting → deleted and takes the routes
/// and interfaces away.
/// </summary>
public static class VpcEndpoints
{
    /// <summary>The policy an endpoint gets when none is given: full access.</summary>
    public const string DefaultPolicy = "{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}";

    /// <summary>The prefix list a gateway endpoint's routes point at.</summary>
    public static string PrefixListOf(Scope scope, VpcEndpointResource endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return PrefixLists.ServicePrefixLists.ServicePrefixListId(scope.Region, endpoint.ServiceName);
    }

    public static Task<VpcEndpointResource> RequireAsync(IStoreSession session, Scope scope, string? id, DateTime now, CancellationToken ct) =>
        Provisioning.RequireAsync<VpcEndpointResource>(session, scope, ResourceTypes.VpcEndpoint, id, "VpcEndpointId", now, ct);

    public static async Task<VpcEndpointResource> CreateAsync(IStoreTransaction tx, Scope scope, VpcEndpointSpec spec, List<Tag> tags, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ClientToken is { Length: > 0 } token
            && (await Provisioning.ListAsync<VpcEndpointResource>(tx, scope, ResourceTypes.VpcEndpoint, now, ct).ConfigureAwait(false)).Find(e => e.ClientToken == token) is { } earlier)
        {
            // The same request again answers the endpoint it made; a different one with the token is refused.
            return earlier.VpcId == spec.VpcId && earlier.ServiceName == spec.ServiceName && earlier.VpcEndpointType == (spec.VpcEndpointType ?? "Gateway")
                ? earlier
                : throw AwsErrors.IdempotentParameterMismatch(token);
        }
        var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, spec.VpcId, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(spec.ServiceName))
        {
            throw AwsErrors.MissingParameter("ServiceName");
        }
        var service = EndpointServices.Find(scope.Region, spec.ServiceName)
            ?? throw new AwsException("InvalidServiceName", $"The Vpc Endpoint Service '{spec.ServiceName}' does not exist");
        var type = spec.VpcEndpointType ?? "Gateway";
        if (type is not ("Gateway" or "Interface" or "GatewayLoadBalancer"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({type}) for parameter VpcEndpointType is invalid. Valid values: Interface, Gateway, GatewayLoadBalancer.");
        }
        if (!service.Types.Contains(type))
        {
            throw new AwsException("InvalidParameter", $"The Vpc Endpoint Service '{service.ServiceName}' does not support endpoint type {type}.");
        }
        var endpoint = new VpcEndpointResource
        {
            Id = ResourceIds.New(ResourceTypes.VpcEndpoint.IdPrefix),
            OwnerId = scope.AccountId,
            VpcId = vpc.Id,
            ServiceName = service.ServiceName,
            VpcEndpointType = type,
            PolicyDocument = CheckPolicy(spec.PolicyDocument) ?? DefaultPolicy,
            CreationTimestamp = now,
            ClientToken = spec.ClientToken,
            Tags = tags,
        };
        if (type == "Gateway")
        {
            if (spec.SubnetIds.Count > 0 || spec.SecurityGroupIds.Count > 0 || spec.PrivateDnsEnabled == true)
            {
                throw new AwsException("InvalidParameter", "Subnets, security groups and private DNS apply to interface endpoints only.");
            }
            foreach (var tableId in spec.RouteTableIds.Distinct(StringComparer.Ordinal))
            {
                await AddRouteAsync(tx, scope, endpoint, tableId, now, ct).ConfigureAwait(false);
            }
            Provisioning.Set(endpoint, "available", now);
        }
        else
        {
            if (spec.RouteTableIds.Count > 0)
            {
                throw new AwsException("InvalidParameter", "Route tables apply to gateway endpoints only.");
            }
            endpoint.PrivateDnsEnabled = spec.PrivateDnsEnabled ?? true;
            if (endpoint.PrivateDnsEnabled && !(vpc.EnableDnsSupport && vpc.EnableDnsHostnames))
            {
                throw new AwsException("InvalidParameter", $"Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for {vpc.Id}");
            }
            endpoint.SecurityGroupIds.AddRange(await NetworkInterfaces.ResolveGroupsAsync(tx, scope, vpc.Id, spec.SecurityGroupIds, ct).ConfigureAwait(false));
            foreach (var subnetId in spec.SubnetIds)
            {
                await AddInterfaceAsync(tx, scope, endpoint, subnetId, now, ct).ConfigureAwait(false);
            }
            Provisioning.Begin(endpoint, "pending", "available", now);
        }
        await tx.PutAsync(scope, ResourceTypes.VpcEndpoint, endpoint.Id, endpoint, now, ct).ConfigureAwait(false);
        return endpoint;
    }

    /// <summary>ModifyVpcEndpoint: route tables (gateway), subnets and groups (interface), the policy and private DNS.</summary>
    public static async Task<VpcEndpointResource> ModifyAsync(IStoreTransaction tx, Scope scope, string? id, VpcEndpointChanges changes, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var endpoint = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        TransitGateways.TransitGateways.RequireState(endpoint.Id, endpoint.State, "available", "pending");
        var gateway = endpoint.VpcEndpointType == "Gateway";
        if (gateway && (changes.AddSubnetIds.Count > 0 || changes.RemoveSubnetIds.Count > 0 || changes.AddSecurityGroupIds.Count > 0
                        || changes.RemoveSecurityGroupIds.Count > 0 || changes.PrivateDnsEnabled is not null))
        {
            throw new AwsException("InvalidParameter", "Subnets, security groups and private DNS apply to interface endpoints only.");
        }
        if (!gateway && (changes.AddRouteTableIds.Count > 0 || changes.RemoveRouteTableIds.Count > 0))
        {
            throw new AwsException("InvalidParameter", "Route tables apply to gateway endpoints only.");
        }
        if (changes.ResetPolicy && changes.PolicyDocument is not null)
        {
            throw AwsErrors.InvalidParameterCombination("The parameters ResetPolicy and PolicyDocument cannot be used together.");
        }
        foreach (var tableId in changes.RemoveRouteTableIds)
        {
            if (!endpoint.RouteTableIds.Contains(tableId))
            {
                throw AwsErrors.InvalidParameterValue($"The route table {tableId} is not associated with {endpoint.Id}.");
            }
            await RemoveRouteAsync(tx, scope, endpoint, tableId, now, ct).ConfigureAwait(false);
        }
        foreach (var tableId in changes.AddRouteTableIds.Where(t => !endpoint.RouteTableIds.Contains(t)).Distinct(StringComparer.Ordinal))
        {
            await AddRouteAsync(tx, scope, endpoint, tableId, now, ct).ConfigureAwait(false);
        }
        foreach (var subnetId in changes.RemoveSubnetIds)
        {
            var index = endpoint.SubnetIds.IndexOf(subnetId);
            if (index < 0)
            {
                throw AwsErrors.InvalidParameterValue($"The subnet {subnetId} is not part of {endpoint.Id}.");
            }
            await RemoveInterfaceAsync(tx, scope, endpoint, endpoint.NetworkInterfaceIds[index], now, ct).ConfigureAwait(false);
            endpoint.SubnetIds.RemoveAt(index);
            endpoint.NetworkInterfaceIds.RemoveAt(index);
        }
        foreach (var subnetId in changes.AddSubnetIds.Where(s => !endpoint.SubnetIds.Contains(s)))
        {
            await AddInterfaceAsync(tx, scope, endpoint, subnetId, now, ct).ConfigureAwait(false);
        }
        if (changes.AddSecurityGroupIds.Count > 0 || changes.RemoveSecurityGroupIds.Count > 0)
        {
            var groups = endpoint.SecurityGroupIds.Except(changes.RemoveSecurityGroupIds).Concat(changes.AddSecurityGroupIds).Distinct(StringComparer.Ordinal).ToList();
            if (groups.Count == 0)
            {
                throw AwsErrors.InvalidParameterValue($"{endpoint.Id} must keep at least one security group.");
            }
            groups = await NetworkInterfaces.ResolveGroupsAsync(tx, scope, endpoint.VpcId, groups, ct).ConfigureAwait(false);
            endpoint.SecurityGroupIds.Clear();
            endpoint.SecurityGroupIds.AddRange(groups);
            foreach (var eniId in endpoint.NetworkInterfaceIds)
            {
                if (await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eniId, ct).ConfigureAwait(false) is { } eni)
                {
                    eni.SecurityGroupIds = [.. groups];
                    await tx.PutAsync(scope, ResourceTypes.NetworkInterface, eni.Id, eni, now, ct).ConfigureAwait(false);
                }
            }
        }
        if (changes.ResetPolicy)
        {
            endpoint.PolicyDocument = DefaultPolicy;
        }
        else if (CheckPolicy(changes.PolicyDocument) is { } policy)
        {
            endpoint.PolicyDocument = policy;
        }
        if (changes.PrivateDnsEnabled is { } dns)
        {
            var vpc = await Vpcs.RequireAsync<VpcResource>(tx, scope, ResourceTypes.Vpc, endpoint.VpcId, ct).ConfigureAwait(false);
            if (dns && !(vpc.EnableDnsSupport && vpc.EnableDnsHostnames))
            {
                throw new AwsException("InvalidParameter", $"Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for {vpc.Id}");
            }
            endpoint.PrivateDnsEnabled = dns;
        }
        await tx.PutAsync(scope, ResourceTypes.VpcEndpoint, endpoint.Id, endpoint, endpoint.CreationTimestamp, ct).ConfigureAwait(false);
        return endpoint;
    }

    /// <summary>DeleteVpcEndpoints, one endpoint: its routes and interfaces go, the endpoint goes deleting → deleted.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string id, DateTime now, CancellationToken ct)
    {
        var endpoint = await RequireAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (Provisioning.IsDeletedOrDeleting(endpoint))
        {
            throw new AwsException("IncorrectState", $"{endpoint.Id} is in invalid state");
        }
        foreach (var tableId in endpoint.RouteTableIds.ToList())
        {
            await RemoveRouteAsync(tx, scope, endpoint, tableId, now, ct).ConfigureAwait(false);
        }
        foreach (var eniId in endpoint.NetworkInterfaceIds)
        {
            await RemoveInterfaceAsync(tx, scope, endpoint, eniId, now, ct).ConfigureAwait(false);
        }
        endpoint.NetworkInterfaceIds.Clear();
        endpoint.SubnetIds.Clear();
        Provisioning.Begin(endpoint, "deleting", "deleted", now);
        await tx.PutAsync(scope, ResourceTypes.VpcEndpoint, endpoint.Id, endpoint, endpoint.CreationTimestamp, ct).ConfigureAwait(false);
    }

    private static async Task AddRouteAsync(IStoreTransaction tx, Scope scope, VpcEndpointResource endpoint, string tableId, DateTime now, CancellationToken ct)
    {
        var table = await Vpcs.RequireAsync<RouteTableResource>(tx, scope, ResourceTypes.RouteTable, tableId, ct).ConfigureAwait(false);
        if (table.VpcId != endpoint.VpcId)
        {
            throw AwsErrors.InvalidParameterValue($"The route table {table.Id} does not belong to {endpoint.VpcId}.");
        }
        var prefixList = PrefixListOf(scope, endpoint);
        if (table.Routes.Exists(r => r.DestinationPrefixListId == prefixList))
        {
            throw new AwsException("RouteAlreadyExists", $"route table {table.Id} already has a route with destination-prefix-list-id {prefixList}");
        }
        table.Routes.Add(new RouteEntry { DestinationPrefixListId = prefixList, GatewayId = endpoint.Id, Origin = "CreateRoute" });
        await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        endpoint.RouteTableIds.Add(table.Id);
    }

    private static async Task RemoveRouteAsync(IStoreTransaction tx, Scope scope, VpcEndpointResource endpoint, string tableId, DateTime now, CancellationToken ct)
    {
        endpoint.RouteTableIds.Remove(tableId);
        if (await tx.GetAsync<RouteTableResource>(scope, ResourceTypes.RouteTable, tableId, ct).ConfigureAwait(false) is { } table
            && table.Routes.RemoveAll(r => r.GatewayId == endpoint.Id) > 0)
        {
            await tx.PutAsync(scope, ResourceTypes.RouteTable, table.Id, table, now, ct).ConfigureAwait(false);
        }
    }

    private static async Task AddInterfaceAsync(IStoreTransaction tx, Scope scope, VpcEndpointResource endpoint, string subnetId, DateTime now, CancellationToken ct)
    {
        var subnet = await Vpcs.RequireAsync<SubnetResource>(tx, scope, ResourceTypes.Subnet, subnetId, ct).ConfigureAwait(false);
        if (subnet.VpcId != endpoint.VpcId)
        {
            throw AwsErrors.InvalidParameterValue($"The subnet {subnet.Id} does not belong to {endpoint.VpcId}.");
        }
        foreach (var otherId in endpoint.SubnetIds)
        {
            var other = await tx.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, otherId, ct).ConfigureAwait(false);
            if (other?.AvailabilityZone == subnet.AvailabilityZone)
            {
                throw new AwsException("DuplicateSubnetsInSameZone", $"Found another VPC endpoint subnet in the availability zone of {subnet.Id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.");
            }
        }
        var eni = await NetworkInterfaces.CreateAsync(tx, scope, subnet, null, endpoint.SecurityGroupIds, $"VPC Endpoint Interface {endpoint.Id}", "vpc_endpoint", now, [], ct).ConfigureAwait(false);
        // The interface belongs to the endpoint: requester-managed and in use, as AWS shows it.
        var document = JsonSerializer.SerializeToNode(eni, ResourceStore.Json)!.AsObject();
        document["requesterManaged"] = true;
        document["requesterId"] = "amazon-vpce";
        document["status"] = "in-use";
        var managed = document.Deserialize<NetworkInterfaceResource>(ResourceStore.Json)!;
        await tx.PutAsync(scope, ResourceTypes.NetworkInterface, managed.Id, managed, now, ct).ConfigureAwait(false);
        endpoint.SubnetIds.Add(subnet.Id);
        endpoint.NetworkInterfaceIds.Add(managed.Id);
    }

    private static async Task RemoveInterfaceAsync(IStoreTransaction tx, Scope scope, VpcEndpointResource endpoint, string eniId, DateTime now, CancellationToken ct)
    {
        _ = endpoint;
        if (await tx.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, eniId, ct).ConfigureAwait(false) is { } eni)
        {
            await tx.DeleteAsync(scope, ResourceTypes.NetworkInterface, eni.Id, ct).ConfigureAwait(false);
            await NetworkInterfaces.ReleaseAddressesAsync(tx, scope, eni.SubnetId, [.. eni.AllPrivateIpAddresses], now, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A policy document must be a JSON object of at most 20,480 characters; null when none is given.</summary>
    public static string? CheckPolicy(string? policy)
    {
        if (policy is null)
        {
            return null;
        }
        if (policy.Length > 20480)
        {
            throw new AwsException("InvalidParameter", "The policy document exceeds the maximum size of 20480 characters.");
        }
        try
        {
            if (JsonNode.Parse(policy) is not JsonObject document || document["Statement"] is null)
            {
                throw new AwsException("MalformedPolicyDocument", "The policy document must be a JSON object with a Statement.");
            }
        }
        catch (JsonException)
        {
            throw new AwsException("MalformedPolicyDocument", "The policy document is not valid JSON.");
        }
        return policy;
    }
}
