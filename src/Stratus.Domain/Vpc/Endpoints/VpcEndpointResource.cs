using Stratus.Domain.Resources;

namespace Stratus.Domain.Vpc.Endpoints;

/// <summary>A VPC endpoint: a gateway endpoint (route-table entries to a service's prefix list) or an interface endpoint (network interfaces in subnets).</summary>
public sealed class VpcEndpointResource : IProvisioned
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string VpcId { get; init; }
    public required string ServiceName { get; init; }

    /// <summary><c>Gateway</c> or <c>Interface</c>.</summary>
    public required string VpcEndpointType { get; init; }
    public required string PolicyDocument { get; set; }
    public bool PrivateDnsEnabled { get; set; }
    public List<string> RouteTableIds { get; init; } = [];
    public List<string> SubnetIds { get; init; } = [];
    public List<string> NetworkInterfaceIds { get; init; } = [];
    public List<string> SecurityGroupIds { get; init; } = [];
    public DateTime CreationTimestamp { get; init; }

    /// <summary>The ClientToken it was created with (the model does not mark it an idempotency token, so the domain honours it).</summary>
    public string? ClientToken { get; init; }
    public string State { get; set; } = "pending";
    public string? NextState { get; set; }
    public DateTime? NextStateAt { get; set; }
    public List<Tag> Tags { get; init; } = [];
}
