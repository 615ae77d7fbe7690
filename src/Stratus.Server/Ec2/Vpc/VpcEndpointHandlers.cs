using Stratus.Core;
using Stratus.Domain.Filtering;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc.Endpoints;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>VPC endpoints to the region's AWS services, and the services a region offers.</summary>
internal sealed partial class Ec2Service
{
    [FiltersFor("DescribeVpcEndpoints")]
    private static readonly FilterSet<VpcEndpointResource> VpcEndpointFilters = new FilterSet<VpcEndpointResource>()
        .Add("ip-address-type", _ => "ipv4")
        .Add("service-name", e => e.ServiceName)
        .Add("service-region", e => RegionOfService(e.ServiceName))
        .Add("vpc-endpoint-id", e => e.Id)
        .Add("vpc-endpoint-state", e => e.State)
        .Add("vpc-endpoint-type", e => e.VpcEndpointType)
        .Add("vpc-id", e => e.VpcId)
        .WithTags(e => e.Tags);

    /// <summary>One entry per service and endpoint type, as DescribeVpcEndpointServices lists them.</summary>
    private sealed record EndpointServiceEntry(EndpointService Service, string Type) : ITaggable
    {
        public string Id => Service.ServiceName + "/" + Type;

        public List<Stratus.Domain.Resources.Tag> Tags { get; } = [];
    }

    [FiltersFor("DescribeVpcEndpointServices")]
    private static readonly FilterSet<EndpointServiceEntry> VpcEndpointServiceFilters = new FilterSet<EndpointServiceEntry>()
        .Add("owner", _ => "amazon")
        .Add("service-name", s => s.Service.ServiceName)
        .Add("service-region", s => s.Service.Region)
        .Add("service-type", s => s.Type)
        .Add("supported-ip-address-types", _ => "ipv4")
        .WithTags(s => s.Tags);

    private static string? RegionOfService(string serviceName)
    {
        var parts = serviceName.Split('.');
        return parts.Length >= 4 ? parts[2] : null;
    }

    public override async Task<CreateVpcEndpointResult> CreateVpcEndpointAsync(RequestContext context, CreateVpcEndpointRequest request)
    {
        if (request.ResourceConfigurationArn is not null || request.ServiceNetworkArn is not null)
        {
            throw new AwsException("InvalidParameter", "Resource and service-network endpoints are not available; specify ServiceName.");
        }
        if (request.ServiceRegion is { } region && region != context.Scope.Region)
        {
            throw new AwsException("InvalidParameter", $"Cross-region endpoints are not available; the service region must be {context.Scope.Region}.");
        }
        if (request.IpAddressType is not (null or "ipv4"))
        {
            throw new AwsException("InvalidParameter", $"The IP address type {request.IpAddressType} needs subnets with IPv6 CIDR blocks.");
        }
        var subnets = (request.SubnetIds ?? []).Concat((request.SubnetConfigurations ?? []).Select(c => c.SubnetId ?? "")).ToList();
        var spec = new VpcEndpointSpec(request.VpcId, request.ServiceName, request.VpcEndpointType, request.PolicyDocument,
            request.RouteTableIds ?? [], subnets, request.SecurityGroupIds ?? [], request.PrivateDnsEnabled, request.ClientToken);
        var endpoint = await VpcEndpoints.CreateAsync(context.Transaction, context.Scope, spec, TagsOnCreate(request.TagSpecifications, "vpc-endpoint"),
            context.Now, context.Cancellation).ConfigureAwait(false);
        return new CreateVpcEndpointResult { VpcEndpoint = ToShape(context.Scope, endpoint), ClientToken = request.ClientToken };
    }

    public override async Task<ModifyVpcEndpointResult> ModifyVpcEndpointAsync(RequestContext context, ModifyVpcEndpointRequest request)
    {
        if (request.IpAddressType is not (null or "ipv4"))
        {
            throw new AwsException("InvalidParameter", $"The IP address type {request.IpAddressType} needs subnets with IPv6 CIDR blocks.");
        }
        var changes = new VpcEndpointChanges(request.AddRouteTableIds ?? [], request.RemoveRouteTableIds ?? [], request.AddSubnetIds ?? [], request.RemoveSubnetIds ?? [],
            request.AddSecurityGroupIds ?? [], request.RemoveSecurityGroupIds ?? [], request.PolicyDocument, request.ResetPolicy ?? false, request.PrivateDnsEnabled);
        await VpcEndpoints.ModifyAsync(context.Transaction, context.Scope, request.VpcEndpointId, changes, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyVpcEndpointResult { Return = true };
    }

    public override async Task<DeleteVpcEndpointsResult> DeleteVpcEndpointsAsync(RequestContext context, DeleteVpcEndpointsRequest request)
    {
        if (request.VpcEndpointIds is not { Count: > 0 })
        {
            throw AwsErrors.MissingParameter("VpcEndpointId");
        }
        // Per endpoint: failures are reported in the answer, the others are deleted.
        var unsuccessful = new List<UnsuccessfulItem>();
        foreach (var id in request.VpcEndpointIds.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await VpcEndpoints.DeleteAsync(context.Transaction, context.Scope, id, context.Now, context.Cancellation).ConfigureAwait(false);
            }
            catch (AwsException e)
            {
                unsuccessful.Add(new UnsuccessfulItem { ResourceId = id, Error = new UnsuccessfulItemError { Code = e.Code, Message = e.Message } });
            }
        }
        return new DeleteVpcEndpointsResult { Unsuccessful = unsuccessful };
    }

    public override async Task<DescribeVpcEndpointsResult> DescribeVpcEndpointsAsync(RequestContext context, DescribeVpcEndpointsRequest request)
    {
        var page = await SelectProvisionedAsync(context, ResourceTypes.VpcEndpoint, VpcEndpointFilters, request.VpcEndpointIds, request.Filters,
            request.MaxResults, request.NextToken, "").ConfigureAwait(false);
        return new DescribeVpcEndpointsResult { VpcEndpoints = page.Items.Select(e => ToShape(context.Scope, e)).ToList(), NextToken = page.NextToken };
    }

    public override Task<DescribeVpcEndpointServicesResult> DescribeVpcEndpointServicesAsync(RequestContext context, DescribeVpcEndpointServicesRequest request)
    {
        if (request.ServiceRegions is { Count: > 0 } regions && regions.Exists(r => r != context.Scope.Region))
        {
            throw new AwsException("InvalidParameter", $"Cross-region endpoint services are not available; the service region must be {context.Scope.Region}.");
        }
        var services = EndpointServices.For(context.Scope.Region);
        foreach (var name in request.ServiceNames ?? [])
        {
            if (!services.Any(s => s.ServiceName == name))
            {
                throw new AwsException("InvalidServiceName", $"The Vpc Endpoint Service '{name}' does not exist");
            }
        }
        var entries = services
            .Where(s => request.ServiceNames is not { Count: > 0 } names || names.Contains(s.ServiceName))
            .SelectMany(s => s.Types.Select(t => new EndpointServiceEntry(s, t)));
        var page = Paginator.Paginate(VpcEndpointServiceFilters.Apply(entries, ToCriteria(request.Filters)), e => e.Id, request.MaxResults, request.NextToken);
        var zones = RegionCatalog.Find(context.Scope.Region)?.Zones ?? [];
        return Task.FromResult(new DescribeVpcEndpointServicesResult
        {
            ServiceNames = page.Items.Select(e => e.Service.ServiceName).Distinct(StringComparer.Ordinal).ToList(),
            ServiceDetails = page.Items.Select(e => new ServiceDetail
            {
                ServiceName = e.Service.ServiceName,
                ServiceId = e.Service.ServiceId,
                ServiceType = [new ServiceTypeDetail { ServiceType = e.Type }],
                ServiceRegion = e.Service.Region,
                AvailabilityZones = zones.Select(z => z.ZoneName).ToList(),
                AvailabilityZoneIds = zones.Select(z => z.ZoneId).ToList(),
                Owner = "amazon",
                BaseEndpointDnsNames = [e.Service.BaseEndpointDnsName],
                PrivateDnsName = e.Type == "Interface" ? e.Service.PrivateDnsName : null,
                PrivateDnsNames = e.Type == "Interface" ? [new PrivateDnsDetails { PrivateDnsName = e.Service.PrivateDnsName }] : null,
                PrivateDnsNameVerificationState = e.Type == "Interface" ? "verified" : null,
                VpcEndpointPolicySupported = true,
                AcceptanceRequired = false,
                ManagesVpcEndpoints = false,
                SupportedIpAddressTypes = ["ipv4"],
                Tags = [],
            }).ToList(),
            NextToken = page.NextToken,
        });
    }

    private static VpcEndpoint ToShape(Scope scope, VpcEndpointResource e)
    {
        var service = EndpointServices.Find(scope.Region, e.ServiceName);
        var interfaceType = e.VpcEndpointType == "Interface";
        var dns = new List<DnsEntry>();
        if (interfaceType && service is not null && e.State is not ("deleting" or "deleted"))
        {
            var label = e.Id + "-" + e.Id[^8..];
            dns.Add(new DnsEntry { DnsName = $"{label}.{service.BaseEndpointDnsName}", HostedZoneId = "Z7HUB22UULQXV" });
            if (e.PrivateDnsEnabled)
            {
                dns.Add(new DnsEntry { DnsName = service.PrivateDnsName, HostedZoneId = "Z" + e.Id[5..].ToUpperInvariant() });
            }
        }
        return new VpcEndpoint
        {
            VpcEndpointId = e.Id,
            VpcEndpointType = e.VpcEndpointType,
            VpcId = e.VpcId,
            ServiceName = e.ServiceName,
            ServiceRegion = scope.Region,
            State = e.State,
            PolicyDocument = e.PolicyDocument,
            RouteTableIds = [.. e.RouteTableIds],
            SubnetIds = [.. e.SubnetIds],
            NetworkInterfaceIds = [.. e.NetworkInterfaceIds],
            Groups = interfaceType ? e.SecurityGroupIds.Select(g => new SecurityGroupIdentifier { GroupId = g }).ToList() : [],
            PrivateDnsEnabled = e.PrivateDnsEnabled,
            RequesterManaged = false,
            IpAddressType = "ipv4",
            DnsOptions = interfaceType ? new DnsOptions { DnsRecordIpType = "ipv4" } : null,
            DnsEntries = dns,
            CreationTimestamp = e.CreationTimestamp,
            OwnerId = e.OwnerId,
            Tags = ToShape(e.Tags),
        };
    }
}
