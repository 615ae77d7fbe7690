using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>Transit gateways, VPN and VPC endpoints with AWSSDK.EC2; the server's clock is moved on instead of waiting for states to settle.</summary>
public sealed class VpcConnectivityClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private void Settle() => server.Clock.Offset += TimeSpan.FromSeconds(2);

    [Fact]
    public async Task TransitGatewayVpnAndEndpointWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.50.0.0/16" })).Vpc.VpcId;
        var subnet = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.50.1.0/24", AvailabilityZone = "us-east-1b" })).Subnet.SubnetId;

        var tgw = (await ec2.CreateTransitGatewayAsync(new CreateTransitGatewayRequest { Description = "sdk" })).TransitGateway;
        Assert.Equal(TransitGatewayState.Pending, tgw.State);
        Settle();
        var attachment = (await ec2.CreateTransitGatewayVpcAttachmentAsync(new CreateTransitGatewayVpcAttachmentRequest
        {
            TransitGatewayId = tgw.TransitGatewayId,
            VpcId = vpc,
            SubnetIds = [subnet],
        })).TransitGatewayVpcAttachment;
        Settle();
        var routes = await ec2.SearchTransitGatewayRoutesAsync(new SearchTransitGatewayRoutesRequest
        {
            TransitGatewayRouteTableId = tgw.Options.AssociationDefaultRouteTableId,
            Filters = [new Filter { Name = "type", Values = ["propagated"] }],
        });
        var route = Assert.Single(routes.Routes);
        Assert.Equal(("10.50.0.0/16", attachment.TransitGatewayAttachmentId), (route.DestinationCidrBlock, route.TransitGatewayAttachments[0].TransitGatewayAttachmentId));

        var cgw = (await ec2.CreateCustomerGatewayAsync(new CreateCustomerGatewayRequest { Type = GatewayType.Ipsec1, PublicIp = "198.51.100.50", BgpAsn = 65050 })).CustomerGateway;
        Settle();
        var vpn = (await ec2.CreateVpnConnectionAsync(new CreateVpnConnectionRequest
        {
            Type = "ipsec.1",
            CustomerGatewayId = cgw.CustomerGatewayId,
            TransitGatewayId = tgw.TransitGatewayId,
        })).VpnConnection;
        Settle();
        var described = (await ec2.DescribeVpnConnectionsAsync(new DescribeVpnConnectionsRequest { VpnConnectionIds = [vpn.VpnConnectionId] })).VpnConnections[0];
        Assert.Equal(VpnState.Available, described.State);
        Assert.Contains("<ipsec_tunnel>", described.CustomerGatewayConfiguration, StringComparison.Ordinal);

        var endpoint = (await ec2.CreateVpcEndpointAsync(new CreateVpcEndpointRequest { VpcId = vpc, ServiceName = "com.amazonaws.us-east-1.dynamodb" })).VpcEndpoint;
        Assert.Equal(VpcEndpointType.Gateway, endpoint.VpcEndpointType);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DeleteTransitGatewayAsync(new DeleteTransitGatewayRequest { TransitGatewayId = tgw.TransitGatewayId }));
        Assert.Equal("IncorrectState", error.ErrorCode);
    }
}
