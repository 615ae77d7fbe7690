using System.Net;

namespace Stratus.Server.Tests.Ec2;

/// <summary>Transit gateways, VPN and endpoints over the wire: DryRun, tagging of compound ids, EC2's error envelope.</summary>
public sealed class VpcConnectivityTests(LiveServer server) : IClassFixture<LiveServer>
{
    private Ec2TestClient Client() =>
        new(server.Endpoint, server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey);

    [Fact]
    public async Task DryRunCreatesNothing()
    {
        using var ec2 = Client();
        (await ec2.CallAsync("CreateTransitGateway", ("DryRun", "true"))).Error("DryRunOperation", HttpStatusCode.PreconditionFailed);
        Assert.Empty((await ec2.CallAsync("DescribeTransitGateways")).Ok().All("transitGatewayId"));
    }

    [Fact]
    public async Task TagsOnCreateAndCreateTagsReachEveryNewType()
    {
        using var ec2 = Client();
        var created = (await ec2.CallAsync("CreateTransitGateway",
            ("TagSpecification.1.ResourceType", "transit-gateway"), ("TagSpecification.1.Tag.1.Key", "team"), ("TagSpecification.1.Tag.1.Value", "net"))).Ok();
        var tgw = created.First("transitGatewayId")!;
        var table = created.First("associationDefaultRouteTableId")!;
        Assert.StartsWith("tgw-rtb-", table, StringComparison.Ordinal);
        (await ec2.CallAsync("CreateTags", ("ResourceId.1", table), ("Tag.1.Key", "role"), ("Tag.1.Value", "default"))).Ok();
        var tags = (await ec2.CallAsync("DescribeTags", ("Filter.1.Name", "resource-id"), ("Filter.1.Value.1", table))).Ok();
        Assert.Equal(["transit-gateway-route-table"], tags.All("resourceType"));
        var described = (await ec2.CallAsync("DescribeTransitGateways", ("TransitGatewayIds.1", tgw))).Ok();
        Assert.Equal(["team"], described.All("key"));
        (await ec2.CallAsync("CreateTransitGateway", ("TagSpecification.1.ResourceType", "vpc"), ("TagSpecification.1.Tag.1.Key", "k")))
            .Error("InvalidParameterValue", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UnknownAndMalformedIdsAnswerEc2Codes()
    {
        using var ec2 = Client();
        (await ec2.CallAsync("DeleteTransitGatewayVpcAttachment", ("TransitGatewayAttachmentId", "tgw-attach-0123456789abcdef0")))
            .Error("InvalidTransitGatewayAttachmentID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DescribeCustomerGateways", ("CustomerGatewayId.1", "cgw-zz")))
            .Error("InvalidCustomerGatewayId.Malformed", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("AttachVpnGateway", ("VpnGatewayId", "vgw-0123456789abcdef0"), ("VpcId", "vpc-0123456789abcdef0")))
            .Error("InvalidVpnGatewayID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateVpcEndpoint", ("VpcId", "vpc-0123456789abcdef0"), ("ServiceName", "com.amazonaws.us-east-1.s3")))
            .Error("InvalidVpcID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("SearchTransitGatewayRoutes", ("TransitGatewayRouteTableId", "tgw-rtb-0123456789abcdef0"),
            ("Filter.1.Name", "type"), ("Filter.1.Value.1", "static"))).Error("InvalidRouteTableID.NotFound", HttpStatusCode.BadRequest);
    }
}
