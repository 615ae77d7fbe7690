using System.Net;

namespace Stratus.Server.Tests.Ec2;

/// <summary>NAT gateways and VPC peering through the EC2 API: states, errors, routes and filters (mock runtime; packets are in tests/e2e/test_nat_peering.py).</summary>
public sealed class NatPeeringApiTests(LiveServer server) : IClassFixture<LiveServer>
{
    private Ec2TestClient Client(string region) =>
        new(server.Endpoint, server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey, region);

    private static async Task<string> VpcAsync(Ec2TestClient ec2, string cidr) =>
        (await ec2.CallAsync("CreateVpc", ("CidrBlock", cidr))).Ok().First("vpcId")!;

    private static async Task<string> SubnetAsync(Ec2TestClient ec2, string vpc, string cidr) =>
        (await ec2.CallAsync("CreateSubnet", ("VpcId", vpc), ("CidrBlock", cidr))).Ok().First("subnetId")!;

    private static async Task<string> MainTableAsync(Ec2TestClient ec2, string vpc) =>
        (await ec2.CallAsync("DescribeRouteTables", ("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc),
            ("Filter.2.Name", "association.main"), ("Filter.2.Value.1", "true"))).Ok().First("routeTableId")!;

    [Fact]
    public async Task A_public_nat_gateway_takes_its_elastic_ip_and_gives_it_back()
    {
        using var ec2 = Client("us-west-1");
        var vpc = await VpcAsync(ec2, "10.40.0.0/16");
        var subnet = await SubnetAsync(ec2, vpc, "10.40.1.0/24");
        var igw = (await ec2.CallAsync("CreateInternetGateway")).Ok().First("internetGatewayId")!;
        (await ec2.CallAsync("AttachInternetGateway", ("InternetGatewayId", igw), ("VpcId", vpc))).Ok();
        var eip = (await ec2.CallAsync("AllocateAddress", ("Domain", "vpc"))).Ok();
        var allocation = eip.First("allocationId")!;

        var created = (await ec2.CallAsync("CreateNatGateway", ("SubnetId", subnet), ("AllocationId", allocation),
            ("TagSpecification.1.ResourceType", "natgateway"), ("TagSpecification.1.Tag.1.Key", "Name"), ("TagSpecification.1.Tag.1.Value", "nat1"))).Ok();
        var nat = created.First("natGatewayId")!;
        Assert.StartsWith("nat-", nat);
        Assert.Equal("pending", created.First("state"));
        Assert.Equal(eip.First("publicIp"), created.First("publicIp"));

        // Its interface: type nat_gateway, requester-managed, with the address association.
        var eniId = created.First("networkInterfaceId")!;
        var eni = (await ec2.CallAsync("DescribeNetworkInterfaces", ("NetworkInterfaceId.1", eniId))).Ok();
        Assert.Equal("nat_gateway", eni.First("interfaceType"));
        Assert.Equal("true", eni.First("requesterManaged"));
        Assert.Equal(eip.First("publicIp"), eni.First("publicIp"));
        Assert.Equal(eniId, (await ec2.CallAsync("DescribeAddresses", ("AllocationId.1", allocation))).Ok().First("networkInterfaceId"));

        // The same address cannot serve a second gateway: that one fails, as AWS reports it.
        var second = (await ec2.CallAsync("CreateNatGateway", ("SubnetId", subnet), ("AllocationId", allocation))).Ok().First("natGatewayId")!;
        var failed = (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", second))).Ok();
        Assert.Equal("failed", failed.First("state"));
        Assert.Equal("Resource.AlreadyAssociated", failed.First("failureCode"));

        await Task.Delay(2100);
        var available = (await ec2.CallAsync("DescribeNatGateways", ("Filter.1.Name", "state"), ("Filter.1.Value.1", "available"),
            ("Filter.2.Name", "tag:Name"), ("Filter.2.Value.1", "nat1"))).Ok();
        Assert.Equal([nat], available.All("natGatewayId"));

        // Routes name it; deleting it makes them blackholes and frees the address and the interface.
        var table = await MainTableAsync(ec2, vpc);
        (await ec2.CallAsync("CreateRoute", ("RouteTableId", table), ("DestinationCidrBlock", "0.0.0.0/0"), ("NatGatewayId", nat))).Ok();
        var routes = (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok();
        Assert.Equal(nat, routes.First("natGatewayId"));
        Assert.Equal(nat, (await ec2.CallAsync("DeleteNatGateway", ("NatGatewayId", nat))).Ok().First("natGatewayId"));
        Assert.Equal("deleting", (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", nat))).Ok().First("state"));
        routes = (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok();
        Assert.Contains("blackhole", routes.All("state"));
        Assert.Null((await ec2.CallAsync("DescribeAddresses", ("AllocationId.1", allocation))).Ok().First("associationId"));
        (await ec2.CallAsync("DescribeNetworkInterfaces", ("NetworkInterfaceId.1", eniId))).Error("InvalidNetworkInterfaceID.NotFound", HttpStatusCode.BadRequest);
        await Task.Delay(2100);
        var deleted = (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", nat))).Ok();
        Assert.Equal("deleted", deleted.First("state"));
        Assert.NotNull(deleted.First("deleteTime"));
        // A deleted gateway is no route target.
        (await ec2.CallAsync("ReplaceRoute", ("RouteTableId", table), ("DestinationCidrBlock", "0.0.0.0/0"), ("NatGatewayId", nat)))
            .Error("InvalidNatGatewayID.NotFound", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Nat_gateway_errors_are_aws_codes()
    {
        using var ec2 = Client("us-west-1");
        var vpc = await VpcAsync(ec2, "10.41.0.0/16");
        var subnet = await SubnetAsync(ec2, vpc, "10.41.1.0/24");
        (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", "nat-0123456789abcdef0"))).Error("NatGatewayNotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DeleteNatGateway", ("NatGatewayId", "nat-0123456789abcdef0"))).Error("NatGatewayNotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DeleteNatGateway", ("NatGatewayId", "bogus"))).Error("NatGatewayMalformed", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateNatGateway", ("SubnetId", subnet))).Error("MissingParameter", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateNatGateway", ("SubnetId", subnet), ("AllocationId", "eipalloc-0123456789abcdef0")))
            .Error("InvalidAllocationID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateNatGateway", ("SubnetId", "subnet-0123456789abcdef0"), ("ConnectivityType", "private")))
            .Error("InvalidSubnetID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateRoute", ("RouteTableId", await MainTableAsync(ec2, vpc)), ("DestinationCidrBlock", "0.0.0.0/0"), ("NatGatewayId", "nat-0123456789abcdef0")))
            .Error("InvalidNatGatewayID.NotFound", HttpStatusCode.BadRequest);

        // A public gateway in a VPC without an internet gateway fails with AWS's code and message.
        var allocation = (await ec2.CallAsync("AllocateAddress", ("Domain", "vpc"))).Ok().First("allocationId")!;
        var nat = (await ec2.CallAsync("CreateNatGateway", ("SubnetId", subnet), ("AllocationId", allocation))).Ok().First("natGatewayId")!;
        var failed = (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", nat))).Ok();
        Assert.Equal("failed", failed.First("state"));
        Assert.Equal("Gateway.NotAttached", failed.First("failureCode"));
        Assert.Equal($"Network {vpc} has no Internet gateway attached", failed.First("failureMessage"));

        // A private gateway needs no Elastic IP and may have more private addresses.
        var privateNat = (await ec2.CallAsync("CreateNatGateway", ("SubnetId", subnet), ("ConnectivityType", "private"))).Ok().First("natGatewayId")!;
        (await ec2.CallAsync("AssignPrivateNatGatewayAddress", ("NatGatewayId", privateNat), ("PrivateIpAddressCount", "1")))
            .Error("InvalidNatGatewayState", HttpStatusCode.BadRequest);
        await Task.Delay(2100);
        var assigned = (await ec2.CallAsync("AssignPrivateNatGatewayAddress", ("NatGatewayId", privateNat), ("PrivateIpAddressCount", "2"))).Ok();
        var added = assigned.All("privateIp");
        Assert.Equal(2, added.Count);
        Assert.Equal(3, (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", privateNat))).Ok().All("privateIp").Count);
        (await ec2.CallAsync("UnassignPrivateNatGatewayAddress", ("NatGatewayId", privateNat), ("PrivateIpAddress.1", added[0]))).Ok();
        Assert.Equal(2, (await ec2.CallAsync("DescribeNatGateways", ("NatGatewayId.1", privateNat))).Ok().All("privateIp").Count);
        (await ec2.CallAsync("AssociateNatGatewayAddress", ("NatGatewayId", privateNat), ("AllocationId.1", allocation)))
            .Error("InvalidParameterValue", HttpStatusCode.BadRequest);

        // The subnet cannot go while the gateway's interface is in it.
        (await ec2.CallAsync("DeleteSubnet", ("SubnetId", subnet))).Error("DependencyViolation", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DeleteNatGateway", ("NatGatewayId", privateNat))).Ok();
        (await ec2.CallAsync("DeleteSubnet", ("SubnetId", subnet))).Ok();
    }

    [Fact]
    public async Task Peering_connections_move_through_their_states()
    {
        using var ec2 = Client("ap-northeast-1");
        var a = await VpcAsync(ec2, "10.50.0.0/16");
        var b = await VpcAsync(ec2, "10.51.0.0/16");
        var c = await VpcAsync(ec2, "10.50.128.0/17");

        var created = (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", a), ("PeerVpcId", b))).Ok();
        var pcx = created.First("vpcPeeringConnectionId")!;
        Assert.StartsWith("pcx-", pcx);
        Assert.Equal("initiating-request", created.First("code"));
        var pending = (await ec2.CallAsync("DescribeVpcPeeringConnections", ("VpcPeeringConnectionId.1", pcx))).Ok();
        Assert.Equal("pending-acceptance", pending.First("code"));
        Assert.NotNull(pending.First("expirationTime"));
        (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", b), ("PeerVpcId", a))).Error("VpcPeeringConnectionAlreadyExists", HttpStatusCode.BadRequest);

        // A route may name it while pending: a blackhole until it is active.
        var table = await MainTableAsync(ec2, a);
        (await ec2.CallAsync("CreateRoute", ("RouteTableId", table), ("DestinationCidrBlock", "10.51.0.0/16"), ("VpcPeeringConnectionId", pcx))).Ok();
        Assert.Contains("blackhole", (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok().All("state"));

        (await ec2.CallAsync("AcceptVpcPeeringConnection", ("VpcPeeringConnectionId", pcx))).Ok();
        var active = (await ec2.CallAsync("DescribeVpcPeeringConnections", ("Filter.1.Name", "status-code"), ("Filter.1.Value.1", "active"),
            ("Filter.2.Name", "accepter-vpc-info.vpc-id"), ("Filter.2.Value.1", b))).Ok();
        Assert.Equal([pcx], active.All("vpcPeeringConnectionId"));
        Assert.Contains("10.51.0.0/16", active.All("cidrBlock"));
        Assert.DoesNotContain("blackhole", (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok().All("state"));
        (await ec2.CallAsync("AcceptVpcPeeringConnection", ("VpcPeeringConnectionId", pcx))).Error("InvalidStateTransition", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("RejectVpcPeeringConnection", ("VpcPeeringConnectionId", pcx))).Error("InvalidStateTransition", HttpStatusCode.BadRequest);

        var options = (await ec2.CallAsync("ModifyVpcPeeringConnectionOptions", ("VpcPeeringConnectionId", pcx),
            ("RequesterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc", "true"))).Ok();
        Assert.Equal("true", options.First("allowDnsResolutionFromRemoteVpc"));

        (await ec2.CallAsync("DeleteVpcPeeringConnection", ("VpcPeeringConnectionId", pcx))).Ok();
        var deleted = (await ec2.CallAsync("DescribeVpcPeeringConnections", ("VpcPeeringConnectionId.1", pcx))).Ok();
        Assert.Equal("deleted", deleted.First("code"));
        Assert.Contains("blackhole", (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok().All("state"));
        (await ec2.CallAsync("DeleteVpcPeeringConnection", ("VpcPeeringConnectionId", pcx))).Error("InvalidStateTransition", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateRoute", ("RouteTableId", table), ("DestinationCidrBlock", "10.52.0.0/16"), ("VpcPeeringConnectionId", pcx)))
            .Error("InvalidVpcPeeringConnectionID.NotFound", HttpStatusCode.BadRequest);

        // Rejected; and overlapping blocks fail.
        var rejected = (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", b), ("PeerVpcId", a))).Ok().First("vpcPeeringConnectionId")!;
        (await ec2.CallAsync("RejectVpcPeeringConnection", ("VpcPeeringConnectionId", rejected))).Ok();
        Assert.Equal("rejected", (await ec2.CallAsync("DescribeVpcPeeringConnections", ("VpcPeeringConnectionId.1", rejected))).Ok().First("code"));
        var overlapping = (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", a), ("PeerVpcId", c))).Ok().First("vpcPeeringConnectionId")!;
        var failed = (await ec2.CallAsync("DescribeVpcPeeringConnections", ("VpcPeeringConnectionId.1", overlapping))).Ok();
        Assert.Equal("failed", failed.First("code"));
        Assert.Equal("Overlapping CIDRs", failed.First("message"));
    }

    [Fact]
    public async Task Peering_errors_are_aws_codes()
    {
        using var ec2 = Client("eu-central-1");
        var a = await VpcAsync(ec2, "10.60.0.0/16");
        (await ec2.CallAsync("DescribeVpcPeeringConnections", ("VpcPeeringConnectionId.1", "pcx-0123456789abcdef0")))
            .Error("InvalidVpcPeeringConnectionID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("AcceptVpcPeeringConnection", ("VpcPeeringConnectionId", "pcx-0123456789abcdef0")))
            .Error("InvalidVpcPeeringConnectionID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DeleteVpcPeeringConnection", ("VpcPeeringConnectionId", "nope")))
            .Error("InvalidVpcPeeringConnectionId.Malformed", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", a), ("PeerVpcId", "vpc-0123456789abcdef0")))
            .Error("InvalidVpcID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", a), ("PeerVpcId", a))).Error("InvalidParameterValue", HttpStatusCode.BadRequest);
        var b = await VpcAsync(ec2, "10.61.0.0/16");
        (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", a), ("PeerVpcId", b), ("PeerRegion", "xx-nowhere-1")))
            .Error("InvalidParameterValue", HttpStatusCode.BadRequest);
        // A VPC that is not in the peer Region: the request is made and fails, as AWS's does.
        var elsewhere = (await ec2.CallAsync("CreateVpcPeeringConnection", ("VpcId", a), ("PeerVpcId", b), ("PeerRegion", "us-east-1"))).Ok().First("vpcPeeringConnectionId")!;
        Assert.Equal("failed", (await ec2.CallAsync("DescribeVpcPeeringConnections", ("VpcPeeringConnectionId.1", elsewhere))).Ok().First("code"));
    }

    [Fact]
    public async Task Egress_only_internet_gateways_serve_ipv6_routes_of_their_vpc()
    {
        using var ec2 = Client("eu-west-1");
        var vpc = await VpcAsync(ec2, "10.70.0.0/16");
        var created = (await ec2.CallAsync("CreateEgressOnlyInternetGateway", ("VpcId", vpc),
            ("TagSpecification.1.ResourceType", "egress-only-internet-gateway"), ("TagSpecification.1.Tag.1.Key", "k"), ("TagSpecification.1.Tag.1.Value", "v"))).Ok();
        var eigw = created.First("egressOnlyInternetGatewayId")!;
        Assert.StartsWith("eigw-", eigw);
        Assert.Equal("attached", created.First("state"));
        var described = (await ec2.CallAsync("DescribeEgressOnlyInternetGateways", ("Filter.1.Name", "tag:k"), ("Filter.1.Value.1", "v"))).Ok();
        Assert.Equal([eigw], described.All("egressOnlyInternetGatewayId"));

        var table = await MainTableAsync(ec2, vpc);
        (await ec2.CallAsync("CreateRoute", ("RouteTableId", table), ("DestinationCidrBlock", "0.0.0.0/0"), ("EgressOnlyInternetGatewayId", eigw)))
            .Error("InvalidParameterValue", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateRoute", ("RouteTableId", table), ("DestinationIpv6CidrBlock", "::/0"), ("EgressOnlyInternetGatewayId", eigw))).Ok();
        Assert.Equal(eigw, (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok().First("egressOnlyInternetGatewayId"));
        (await ec2.CallAsync("DeleteVpc", ("VpcId", vpc))).Error("DependencyViolation", HttpStatusCode.BadRequest);

        Assert.Equal("true", (await ec2.CallAsync("DeleteEgressOnlyInternetGateway", ("EgressOnlyInternetGatewayId", eigw))).Ok().First("returnCode"));
        Assert.Contains("blackhole", (await ec2.CallAsync("DescribeRouteTables", ("RouteTableId.1", table))).Ok().All("state"));
        (await ec2.CallAsync("DeleteEgressOnlyInternetGateway", ("EgressOnlyInternetGatewayId", eigw)))
            .Error("InvalidEgressOnlyInternetGatewayId.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DescribeEgressOnlyInternetGateways", ("EgressOnlyInternetGatewayId.1", "igw-0123456789abcdef0")))
            .Error("InvalidEgressOnlyInternetGatewayId.Malformed", HttpStatusCode.BadRequest);
    }
}
