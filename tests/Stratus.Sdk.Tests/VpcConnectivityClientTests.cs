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

    [Fact]
    public async Task TransitGatewayPeeringAndVpnTunnelOptionsWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var a = (await ec2.CreateTransitGatewayAsync(new CreateTransitGatewayRequest { Description = "a" })).TransitGateway;
        var b = (await ec2.CreateTransitGatewayAsync(new CreateTransitGatewayRequest { Description = "b" })).TransitGateway;
        Settle();
        var peering = (await ec2.CreateTransitGatewayPeeringAttachmentAsync(new CreateTransitGatewayPeeringAttachmentRequest
        {
            TransitGatewayId = a.TransitGatewayId,
            PeerTransitGatewayId = b.TransitGatewayId,
            PeerAccountId = a.OwnerId,
            PeerRegion = "us-east-1",
        })).TransitGatewayPeeringAttachment;
        Assert.Equal(TransitGatewayAttachmentState.InitiatingRequest, peering.State);
        Settle();
        var accepted = (await ec2.AcceptTransitGatewayPeeringAttachmentAsync(new AcceptTransitGatewayPeeringAttachmentRequest
        {
            TransitGatewayAttachmentId = peering.TransitGatewayAttachmentId,
        })).TransitGatewayPeeringAttachment;
        Assert.Equal(TransitGatewayAttachmentState.Pending, accepted.State);
        Assert.Equal(b.TransitGatewayId, accepted.AccepterTgwInfo.TransitGatewayId);
        Settle();
        var listed = (await ec2.DescribeTransitGatewayPeeringAttachmentsAsync(new DescribeTransitGatewayPeeringAttachmentsRequest
        {
            Filters = [new Filter { Name = "transit-gateway-id", Values = [b.TransitGatewayId] }],
        })).TransitGatewayPeeringAttachments;
        Assert.Equal(TransitGatewayAttachmentState.Available, Assert.Single(listed).State);

        var cgw = (await ec2.CreateCustomerGatewayAsync(new CreateCustomerGatewayRequest { Type = GatewayType.Ipsec1, PublicIp = "198.51.100.51", BgpAsn = 65051 })).CustomerGateway;
        Settle();
        var vpn = (await ec2.CreateVpnConnectionAsync(new CreateVpnConnectionRequest { Type = "ipsec.1", CustomerGatewayId = cgw.CustomerGatewayId, TransitGatewayId = a.TransitGatewayId })).VpnConnection;
        Settle();
        var outside = vpn.Options.TunnelOptions[0].OutsideIpAddress;
        var modified = (await ec2.ModifyVpnTunnelOptionsAsync(new ModifyVpnTunnelOptionsRequest
        {
            VpnConnectionId = vpn.VpnConnectionId,
            VpnTunnelOutsideIpAddress = outside,
            TunnelOptions = new ModifyVpnTunnelOptionsSpecification { Phase1EncryptionAlgorithms = [new Phase1EncryptionAlgorithmsRequestListValue { Value = "AES256" }] },
        })).VpnConnection;
        Assert.Equal("modifying", modified.State.Value);
        Settle();
        var status = (await ec2.GetActiveVpnTunnelStatusAsync(new GetActiveVpnTunnelStatusRequest { VpnConnectionId = vpn.VpnConnectionId, VpnTunnelOutsideIpAddress = outside })).ActiveVpnTunnelStatus;
        Assert.Equal("AES256", status.Phase1EncryptionAlgorithm);
        var types = (await ec2.GetVpnConnectionDeviceTypesAsync(new GetVpnConnectionDeviceTypesRequest())).VpnConnectionDeviceTypes;
        var swan = types.First(t => t.Vendor == "Strongswan");
        var sample = (await ec2.GetVpnConnectionDeviceSampleConfigurationAsync(new GetVpnConnectionDeviceSampleConfigurationRequest
        {
            VpnConnectionId = vpn.VpnConnectionId,
            VpnConnectionDeviceTypeId = swan.VpnConnectionDeviceTypeId,
            InternetKeyExchangeVersion = "ikev2",
        })).VpnConnectionDeviceSampleConfiguration;
        Assert.Contains("conn Tunnel1", sample, StringComparison.Ordinal);
        Assert.Contains("ike=aes256", sample, StringComparison.Ordinal);
    }
}
