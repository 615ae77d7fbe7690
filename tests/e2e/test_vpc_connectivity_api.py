"""Transit gateways, site-to-site VPN and VPC endpoints through boto3 and the aws CLI: states
that settle (pending → available, deleting → deleted), default route tables, propagated routes
from attached VPCs, static and blackhole routes, VPC route tables with transit gateway and virtual
private gateway targets, VPN connections with their customer gateway configuration and the
botocore waiters, gateway and interface endpoints, and AWS's error codes."""

import hashlib
import xml.etree.ElementTree as ET

import pytest

from conftest import code_of, until

FAST = {"Delay": 1, "MaxAttempts": 10}


def tgw_state(ec2, tgw_id):
    return ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"][0]["State"]


@pytest.fixture(scope="module")
def vpcs(ec2):
    """Two VPCs with a subnet each, the first with DNS hostnames on (interface endpoints need it)."""
    made = []
    for cidr, subnet in [("10.10.0.0/16", "10.10.1.0/24"), ("10.20.0.0/16", "10.20.1.0/24")]:
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        made.append((vpc, sub))
    ec2.modify_vpc_attribute(VpcId=made[0][0], EnableDnsHostnames={"Value": True})
    return made


def test_transit_gateway_attachments_route_tables_and_routes(ec2, vpcs):
    (vpc_a, sub_a), (vpc_b, sub_b) = vpcs
    tgw = ec2.create_transit_gateway(
        Description="hub", Options={"AmazonSideAsn": 64513},
        TagSpecifications=[{"ResourceType": "transit-gateway", "Tags": [{"Key": "Name", "Value": "hub"}]}])["TransitGateway"]
    tgw_id = tgw["TransitGatewayId"]
    assert tgw["State"] == "pending"
    assert tgw["TransitGatewayArn"].endswith(f":transit-gateway/{tgw_id}")
    options = tgw["Options"]
    assert options["AmazonSideAsn"] == 64513
    assert options["DefaultRouteTableAssociation"] == "enable" and options["DefaultRouteTablePropagation"] == "enable"
    default_rtb = options["AssociationDefaultRouteTableId"]
    assert default_rtb == options["PropagationDefaultRouteTableId"] and default_rtb.startswith("tgw-rtb-")

    # A pending gateway takes no attachments yet.
    assert code_of(ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw_id, VpcId=vpc_a, SubnetIds=[sub_a]) == "IncorrectState"
    until(lambda: tgw_state(ec2, tgw_id) == "available", "transit gateway available")
    assert ec2.describe_transit_gateways(Filters=[{"Name": "options.amazon-side-asn", "Values": ["64513"]}])["TransitGateways"][0]["TransitGatewayId"] == tgw_id

    att_a = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw_id, VpcId=vpc_a, SubnetIds=[sub_a])["TransitGatewayVpcAttachment"]
    att_b = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw_id, VpcId=vpc_b, SubnetIds=[sub_b])["TransitGatewayVpcAttachment"]
    assert att_a["State"] == "pending" and att_a["VpcId"] == vpc_a and att_a["SubnetIds"] == [sub_a]
    assert code_of(ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw_id, VpcId=vpc_a, SubnetIds=[sub_a]) == "DuplicateTransitGatewayAttachment"
    ids = [att_a["TransitGatewayAttachmentId"], att_b["TransitGatewayAttachmentId"]]
    until(lambda: all(a["State"] == "available" for a in ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=ids)["TransitGatewayVpcAttachments"]),
          "attachments available")
    attachments = ec2.describe_transit_gateway_attachments(Filters=[{"Name": "transit-gateway-id", "Values": [tgw_id]}])["TransitGatewayAttachments"]
    assert {a["ResourceId"] for a in attachments} == {vpc_a, vpc_b}
    assert all(a["Association"]["TransitGatewayRouteTableId"] == default_rtb for a in attachments)

    # Both VPCs propagate their CIDR blocks into the default route table.
    until(lambda: ec2.describe_transit_gateway_route_tables(TransitGatewayRouteTableIds=[default_rtb])["TransitGatewayRouteTables"][0]["State"] == "available",
          "default route table available")
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=default_rtb, Filters=[{"Name": "type", "Values": ["propagated"]}])["Routes"]
    assert {(r["DestinationCidrBlock"], r["TransitGatewayAttachments"][0]["ResourceId"]) for r in routes} == {("10.10.0.0/16", vpc_a), ("10.20.0.0/16", vpc_b)}
    assert code_of(ec2.search_transit_gateway_routes, TransitGatewayRouteTableId=default_rtb, Filters=[]) == "MissingParameter"

    # Static and blackhole routes; a static route wins over a propagated one.
    route = ec2.create_transit_gateway_route(TransitGatewayRouteTableId=default_rtb, DestinationCidrBlock="192.168.0.0/16",
                                             TransitGatewayAttachmentId=ids[0])["Route"]
    assert route["Type"] == "static" and route["State"] == "active"
    hole = ec2.create_transit_gateway_route(TransitGatewayRouteTableId=default_rtb, DestinationCidrBlock="10.20.5.0/24", Blackhole=True)["Route"]
    assert hole["State"] == "blackhole"
    assert code_of(ec2.create_transit_gateway_route, TransitGatewayRouteTableId=default_rtb, DestinationCidrBlock="192.168.0.0/16",
                   TransitGatewayAttachmentId=ids[1]) == "RouteAlreadyExists"
    ec2.replace_transit_gateway_route(TransitGatewayRouteTableId=default_rtb, DestinationCidrBlock="192.168.0.0/16", TransitGatewayAttachmentId=ids[1])
    best = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=default_rtb,
                                             Filters=[{"Name": "route-search.longest-prefix-match", "Values": ["10.20.5.7/32"]}])["Routes"]
    assert [r["DestinationCidrBlock"] for r in best] == ["10.20.5.0/24"]
    ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=default_rtb, DestinationCidrBlock="10.20.5.0/24")
    assert code_of(ec2.delete_transit_gateway_route, TransitGatewayRouteTableId=default_rtb, DestinationCidrBlock="10.20.5.0/24") == "InvalidRoute.NotFound"

    # A second route table: association moves, propagation is enabled and disabled.
    rtb2 = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw_id)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    until(lambda: ec2.describe_transit_gateway_route_tables(TransitGatewayRouteTableIds=[rtb2])["TransitGatewayRouteTables"][0]["State"] == "available",
          "route table available")
    assert code_of(ec2.associate_transit_gateway_route_table, TransitGatewayRouteTableId=rtb2, TransitGatewayAttachmentId=ids[0]) == "Resource.AlreadyAssociated"
    ec2.disassociate_transit_gateway_route_table(TransitGatewayRouteTableId=default_rtb, TransitGatewayAttachmentId=ids[0])
    assoc = ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=rtb2, TransitGatewayAttachmentId=ids[0])["Association"]
    assert assoc["State"] == "associating"
    got = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=rtb2)["Associations"]
    assert [a["TransitGatewayAttachmentId"] for a in got] == [ids[0]]
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=rtb2, TransitGatewayAttachmentId=ids[1])
    assert code_of(ec2.enable_transit_gateway_route_table_propagation, TransitGatewayRouteTableId=rtb2,
                   TransitGatewayAttachmentId=ids[1]) == "TransitGatewayRouteTablePropagation.Duplicate"
    props = ec2.get_transit_gateway_attachment_propagations(TransitGatewayAttachmentId=ids[1])["TransitGatewayAttachmentPropagations"]
    assert {p["TransitGatewayRouteTableId"] for p in props} == {default_rtb, rtb2}
    ec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=default_rtb, TransitGatewayAttachmentId=ids[1])
    assert [p["TransitGatewayAttachmentId"] for p in ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=default_rtb)["TransitGatewayRouteTablePropagations"]] == [ids[0]]

    # The VPC's own route table sends the other VPC's block to the transit gateway.
    main_rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_a]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main_rtb, DestinationCidrBlock="10.20.0.0/16", TransitGatewayId=tgw_id)
    table = ec2.describe_route_tables(Filters=[{"Name": "route.transit-gateway-id", "Values": [tgw_id]}])["RouteTables"]
    assert [t["RouteTableId"] for t in table] == [main_rtb]
    other_rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_b]}])["RouteTables"][0]["RouteTableId"]
    ec2.delete_route(RouteTableId=main_rtb, DestinationCidrBlock="10.20.0.0/16")

    # Teardown: the gateway refuses deletion while attachments remain; then deleting → deleted.
    assert code_of(ec2.delete_transit_gateway, TransitGatewayId=tgw_id) == "IncorrectState"
    assert code_of(ec2.delete_transit_gateway_route_table, TransitGatewayRouteTableId=rtb2) == "IncorrectState"
    for att in ids:
        assert ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)["TransitGatewayVpcAttachment"]["State"] == "deleting"
    until(lambda: all(a["State"] == "deleted" for a in ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=ids)["TransitGatewayAttachments"]),
          "attachments deleted")
    # A static route to a deleted attachment is a blackhole.
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=default_rtb, Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
    assert [(r["DestinationCidrBlock"], r["State"]) for r in routes] == [("192.168.0.0/16", "blackhole")]
    # A route table without attachments and a gateway without attachments can go; with no attachment left to the VPC, routes to the gateway are refused.
    assert code_of(ec2.create_route, RouteTableId=other_rtb, DestinationCidrBlock="10.10.0.0/16", TransitGatewayId=tgw_id) == "InvalidTransitGatewayID.NotFound"
    ec2.delete_transit_gateway_route_table(TransitGatewayRouteTableId=rtb2)
    assert ec2.delete_transit_gateway(TransitGatewayId=tgw_id)["TransitGateway"]["State"] == "deleting"
    until(lambda: tgw_state(ec2, tgw_id) == "deleted", "transit gateway deleted")
    assert code_of(ec2.describe_transit_gateways, TransitGatewayIds=["tgw-0123456789abcdef0"]) == "InvalidTransitGatewayID.NotFound"
    assert code_of(ec2.describe_transit_gateways, TransitGatewayIds=["tgw-nope"]) == "InvalidTransitGatewayID.Malformed"


def test_vpn_gateways_connections_and_waiters(ec2, server, vpcs):
    (vpc_a, _), _ = vpcs
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.7", BgpAsn=65010)["CustomerGateway"]
    cgw_id = cgw["CustomerGatewayId"]
    assert cgw["State"] == "pending" and cgw["BgpAsn"] == "65010" and cgw["IpAddress"] == "198.51.100.7"
    # Same type, address and ASN: the same customer gateway, as on AWS.
    assert ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.7", BgpAsn=65010)["CustomerGateway"]["CustomerGatewayId"] == cgw_id
    ec2.get_waiter("customer_gateway_available").wait(CustomerGatewayIds=[cgw_id], WaiterConfig=FAST)
    assert code_of(ec2.create_customer_gateway, Type="ipsec.2", PublicIp="198.51.100.8") == "InvalidParameterValue"

    vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64600)["VpnGateway"]
    vgw_id = vgw["VpnGatewayId"]
    assert vgw["State"] == "pending" and vgw["AmazonSideAsn"] == 64600
    until(lambda: ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]["State"] == "available", "vpn gateway available")
    assert ec2.attach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_a)["VpcAttachment"] == {"VpcId": vpc_a, "State": "attaching"}
    until(lambda: ec2.describe_vpn_gateways(Filters=[{"Name": "attachment.state", "Values": ["attached"]}, {"Name": "attachment.vpc-id", "Values": [vpc_a]}])["VpnGateways"],
          "vpn gateway attached")

    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw_id, VpnGatewayId=vgw_id,
                                    Options={"StaticRoutesOnly": True, "TunnelOptions": [{"TunnelInsideCidr": "169.254.10.0/30", "PreSharedKey": "example_key_1"}]},
                                    TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "site", "Value": "office"}]}])["VpnConnection"]
    vpn_id = vpn["VpnConnectionId"]
    assert vpn["State"] == "pending" and vpn["Options"]["StaticRoutesOnly"] is True
    config = ET.fromstring(vpn["CustomerGatewayConfiguration"])
    assert config.get("id") == vpn_id and config.findtext("vpn_gateway_id") == vgw_id
    tunnels = config.findall("ipsec_tunnel")
    assert len(tunnels) == 2
    assert tunnels[0].findtext("customer_gateway/tunnel_inside_address/ip_address") == "169.254.10.2"
    assert tunnels[0].findtext("vpn_gateway/tunnel_inside_address/ip_address") == "169.254.10.1"
    assert tunnels[0].findtext("ike/pre_shared_key") == "example_key_1"
    assert config.findtext("vpn_connection_attributes") == "NoBGPVPNConnection"
    ec2.get_waiter("vpn_connection_available").wait(VpnConnectionIds=[vpn_id], WaiterConfig=FAST)
    # The aws CLI's waiter sees the same state.
    server.cli("--profile", "stratus", "ec2", "wait", "vpn-connection-available", "--vpn-connection-ids", vpn_id, check=True)
    telemetry = ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"][0]["VgwTelemetry"]
    assert [t["Status"] for t in telemetry] == ["DOWN", "DOWN"]

    # Static routes propagate into a route table that receives the gateway's routes.
    rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_a]}])["RouteTables"][0]["RouteTableId"]
    ec2.enable_vgw_route_propagation(RouteTableId=rtb, GatewayId=vgw_id)
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="172.16.0.0/16")
    assert code_of(ec2.create_vpn_connection_route, VpnConnectionId=vpn_id, DestinationCidrBlock="172.16.0.0/16") == "RouteAlreadyExists"
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert table["PropagatingVgws"] == [{"GatewayId": vgw_id}]
    assert {"DestinationCidrBlock": "172.16.0.0/16", "GatewayId": vgw_id, "Origin": "EnableVgwRoutePropagation", "State": "active"} in table["Routes"]
    found = ec2.describe_vpn_connections(Filters=[{"Name": "route.destination-cidr-block", "Values": ["172.16.0.0/16"]}, {"Name": "tag:site", "Values": ["office"]}])["VpnConnections"]
    assert [c["VpnConnectionId"] for c in found] == [vpn_id]
    # A route to the virtual private gateway itself.
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="172.17.0.0/16", GatewayId=vgw_id)
    ec2.disable_vgw_route_propagation(RouteTableId=rtb, GatewayId=vgw_id)
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert table["PropagatingVgws"] == [] and not any(r.get("Origin") == "EnableVgwRoutePropagation" for r in table["Routes"])
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="172.17.0.0/16")

    # Dependencies block deletion; deleting → deleted with the CLI waiter.
    assert code_of(ec2.delete_customer_gateway, CustomerGatewayId=cgw_id) == "IncorrectState"
    assert code_of(ec2.delete_vpn_gateway, VpnGatewayId=vgw_id) == "IncorrectState"
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)
    ec2.get_waiter("vpn_connection_deleted").wait(VpnConnectionIds=[vpn_id], WaiterConfig=FAST)
    server.cli("--profile", "stratus", "ec2", "wait", "vpn-connection-deleted", "--vpn-connection-ids", vpn_id, check=True)
    ec2.detach_vpn_gateway(VpnGatewayId=vgw_id, VpcId=vpc_a)
    assert code_of(ec2.detach_vpn_gateway, VpnGatewayId=vgw_id, VpcId=vpc_a) == "InvalidVpnGatewayAttachment.NotFound"
    until(lambda: ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]["VpcAttachments"][0]["State"] == "detached", "detached")
    ec2.delete_vpn_gateway(VpnGatewayId=vgw_id)
    ec2.delete_customer_gateway(CustomerGatewayId=cgw_id)
    assert code_of(ec2.describe_vpn_connections, VpnConnectionIds=["vpn-0123456789abcdef0"]) == "InvalidVpnConnectionID.NotFound"


def test_vpn_connection_to_a_transit_gateway(ec2):
    tgw_id = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    until(lambda: tgw_state(ec2, tgw_id) == "available", "transit gateway available")
    cgw_id = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.20", BgpAsn=65020)["CustomerGateway"]["CustomerGatewayId"]
    ec2.get_waiter("customer_gateway_available").wait(CustomerGatewayIds=[cgw_id], WaiterConfig=FAST)
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw_id, TransitGatewayId=tgw_id)["VpnConnection"]
    assert vpn["TransitGatewayId"] == tgw_id and "VpnGatewayId" not in vpn
    attachment = ec2.describe_transit_gateway_attachments(Filters=[{"Name": "resource-type", "Values": ["vpn"]}, {"Name": "transit-gateway-id", "Values": [tgw_id]}])["TransitGatewayAttachments"]
    assert [a["ResourceId"] for a in attachment] == [vpn["VpnConnectionId"]]
    config = ET.fromstring(vpn["CustomerGatewayConfiguration"])
    assert config.findtext("ipsec_tunnel/customer_gateway/bgp/asn") == "65020"
    assert config.findtext("ipsec_tunnel/vpn_gateway/bgp/asn") == "64512"
    assert code_of(ec2.create_vpn_connection, Type="ipsec.1", CustomerGatewayId=cgw_id) == "MissingParameter"
    ec2.delete_vpn_connection(VpnConnectionId=vpn["VpnConnectionId"])
    until(lambda: ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[attachment[0]["TransitGatewayAttachmentId"]])["TransitGatewayAttachments"][0]["State"] == "deleted",
          "vpn attachment deleted")
    ec2.delete_transit_gateway(TransitGatewayId=tgw_id)


def test_vpc_endpoints(ec2, server, vpcs):
    (vpc_a, sub_a), (vpc_b, _) = vpcs
    names = ec2.describe_vpc_endpoint_services()["ServiceNames"]
    for short in ["ec2", "s3", "dynamodb", "sts", "monitoring", "autoscaling", "elasticloadbalancing", "ssm"]:
        assert f"com.amazonaws.us-east-1.{short}" in names
    gateway_services = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])["ServiceNames"]
    assert gateway_services == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]
    cli = server.cli_json("--profile", "stratus", "ec2", "describe-vpc-endpoint-services", "--service-names", "com.amazonaws.us-east-1.sts")
    assert cli["ServiceDetails"][0]["PrivateDnsName"] == "sts.us-east-1.amazonaws.com"

    rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_a]}])["RouteTables"][0]["RouteTableId"]
    s3 = ec2.create_vpc_endpoint(VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb], ClientToken="s3-endpoint-1")["VpcEndpoint"]
    again = ec2.create_vpc_endpoint(VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb], ClientToken="s3-endpoint-1")["VpcEndpoint"]
    assert again["VpcEndpointId"] == s3["VpcEndpointId"]
    assert s3["VpcEndpointType"] == "Gateway" and s3["State"] == "available" and s3["RouteTableIds"] == [rtb]
    prefix_list = "pl-" + hashlib.sha256(b"us-east-1/com.amazonaws.us-east-1.s3").hexdigest()[:8]
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    assert {"DestinationPrefixListId": prefix_list, "GatewayId": s3["VpcEndpointId"], "Origin": "CreateRoute", "State": "active"} in routes

    sts = ec2.create_vpc_endpoint(VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface", SubnetIds=[sub_a],
                                  PolicyDocument='{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Resource":"*"}]}')["VpcEndpoint"]
    assert sts["State"] == "pending" and sts["PrivateDnsEnabled"] is True and len(sts["NetworkInterfaceIds"]) == 1
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=sts["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "vpc_endpoint" and eni["RequesterManaged"] is True and eni["SubnetId"] == sub_a
    assert any(d["DnsName"] == "sts.us-east-1.amazonaws.com" for d in sts["DnsEntries"])
    until(lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[sts["VpcEndpointId"]])["VpcEndpoints"][0]["State"] == "available", "endpoint available")

    assert code_of(ec2.create_vpc_endpoint, VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.nope") == "InvalidServiceName"
    assert code_of(ec2.create_vpc_endpoint, VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Gateway") == "InvalidParameter"
    assert code_of(ec2.create_vpc_endpoint, VpcId=vpc_b, ServiceName="com.amazonaws.us-east-1.ec2", VpcEndpointType="Interface") == "InvalidParameter"
    assert code_of(ec2.create_vpc_endpoint, VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.dynamodb", PolicyDocument="{not json") == "MalformedPolicyDocument"
    assert code_of(ec2.create_vpc_endpoint, VpcId=vpc_a, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb]) == "RouteAlreadyExists"

    ec2.modify_vpc_endpoint(VpcEndpointId=s3["VpcEndpointId"], RemoveRouteTableIds=[rtb], ResetPolicy=True)
    assert not any(r.get("GatewayId") == s3["VpcEndpointId"] for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"])
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-type", "Values": ["Interface"]}, {"Name": "vpc-id", "Values": [vpc_a]}])["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in found] == [sts["VpcEndpointId"]]

    result = ec2.delete_vpc_endpoints(VpcEndpointIds=[s3["VpcEndpointId"], sts["VpcEndpointId"], "vpce-0123456789abcdef0"])
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in result["Unsuccessful"]] == [("vpce-0123456789abcdef0", "InvalidVpcEndpointId.NotFound")]
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=sts["NetworkInterfaceIds"]) == "InvalidNetworkInterfaceID.NotFound"
    until(lambda: all(e["State"] == "deleted" for e in ec2.describe_vpc_endpoints(VpcEndpointIds=[s3["VpcEndpointId"], sts["VpcEndpointId"]])["VpcEndpoints"]),
          "endpoints deleted")
