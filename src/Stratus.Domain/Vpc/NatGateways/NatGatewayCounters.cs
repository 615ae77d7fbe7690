namespace Stratus.Domain.Vpc.NatGateways;

/// <summary>
/// What a host's packet filter counted for one NAT gateway, cumulative since the VPC's filter table was
/// last rebuilt: packets and bytes the gateway sent on to destinations (<see cref="PacketsOut"/>,
/// <see cref="BytesOut"/>, after translation), those it got back from them (<see cref="PacketsIn"/>,
/// <see cref="BytesIn"/>, before translating back), and the flows it translated (<see cref="Connections"/>).
/// </summary>
public sealed record NatGatewayCounter(string NatGatewayId, long PacketsOut, long BytesOut, long PacketsIn, long BytesIn, long Connections);
