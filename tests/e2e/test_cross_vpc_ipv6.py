"""IPv6 between VPCs: across a VPC peering connection and across a transit gateway, on container guests.

Three dual-stack VPCs with one guest each. A and B are peered; A and C are attached to a transit
gateway with IPv6 support, so the gateway's default route table holds their IPv6 blocks as
propagated routes. A guest reaches another VPC's guest over IPv6 (ping and TCP) only while both
VPCs' route tables send the other's block to the connection or the gateway, as on AWS; a static
blackhole route in the gateway's table beats the propagated one. The API's answers are checked
beside the packets: the peering lists both VPCs' IPv6 blocks, Ipv6Support needs IPv6 subnets, an
IPv6 route into the VPC's own block to a peering connection is refused. Commands run in the guests'
network namespaces (`ip netns exec s-<instance id>`). Needs root, crun, curl, python3 and the
minimal image; anything missing FAILS. The server's shutdown removes the namespaces and links, even
on failure.
"""

from __future__ import annotations

import ipaddress

import pytest

from conftest import GUESTS_GROUP, code_of
from guests import GuestLab, guest_ns, guest_server, helper_processes, http_get6, http_server, ping, subnet_route_table, until_equal

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

PORT = 8082


def _ping6(ns: str, address: str) -> bool:
    return ping(ns, address, ipv6=True)


def _get6(ns: str, address: str) -> bool:
    return http_get6(ns, address, PORT)


def _until(check, expected, timeout=8.0):
    return until_equal(check, expected, timeout, interval=0.3)


class Vpc:
    pass


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    with helper_processes() as servers, guest_server(stratus_binary, tmp_path_factory, "cross-vpc6", tools=("python3", "busybox")) as srv:
        lab = _setup(srv)
        for vpc in lab.vpcs.values():
            servers.append(http_server(vpc.ns, PORT))
        yield lab


def _vpc(guests: GuestLab, name: str, second_octet: int) -> Vpc:
    ec2 = guests.ec2
    v = Vpc()
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    v.id = vpc["VpcId"]
    v.block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    subnet64 = str(list(ipaddress.ip_network(v.block).subnets(new_prefix=64))[1])
    v.subnet = ec2.create_subnet(VpcId=v.id, CidrBlock=f"10.{second_octet}.1.0/24", Ipv6CidrBlock=subnet64)["Subnet"]["SubnetId"]
    v.table = subnet_route_table(ec2, v.id, v.subnet)
    v.sg = ec2.create_security_group(GroupName=f"x6-{name}", Description="cross-vpc ipv6", VpcId=v.id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=v.sg, IpPermissions=[
        {"IpProtocol": "58", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
    ])
    ec2.authorize_security_group_egress(GroupId=v.sg, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    v.instance = guests.run_instances(SubnetId=v.subnet, SecurityGroupIds=[v.sg], Ipv6AddressCount=1)[0]
    v.ns = guest_ns(v.instance)
    return v


def _setup(srv) -> Lab:
    lab = Lab()
    ec2 = lab.ec2 = srv.ec2()
    west = lab.west = srv.ec2("us-west-2")
    east_guests, west_guests = GuestLab(srv, ec2=ec2), GuestLab(srv, ec2=west)
    lab.vpcs = {name: _vpc(east_guests, name, octet) for name, octet in (("a", 81), ("b", 82), ("c", 83))}
    lab.vpcs["d"] = _vpc(west_guests, "d", 85)
    for guests, names in ((east_guests, "abc"), (west_guests, "d")):
        described = guests.running(*(lab.vpcs[n].instance for n in names))
        for n in names:
            v = lab.vpcs[n]
            v.v6, v.v4 = described[v.instance]["Ipv6Address"], described[v.instance]["PrivateIpAddress"]
    return lab


def _swap_route(ec2, table: str, destination: str, **target):
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    if any(r.get("DestinationIpv6CidrBlock") == destination for r in routes):
        ec2.delete_route(RouteTableId=table, DestinationIpv6CidrBlock=destination)
    if target:
        ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock=destination, **target)


def test_peering_carries_ipv6_only_with_routes_on_both_sides(lab):
    ec2, a, b = lab.ec2, lab.vpcs["a"], lab.vpcs["b"]
    pcx = ec2.create_vpc_peering_connection(VpcId=a.id, PeerVpcId=b.id)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    described = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert described["Status"]["Code"] == "active"
    assert [c["Ipv6CidrBlock"] for c in described["RequesterVpcInfo"]["Ipv6CidrBlockSet"]] == [a.block]
    assert [c["Ipv6CidrBlock"] for c in described["AccepterVpcInfo"]["Ipv6CidrBlockSet"]] == [b.block]

    # A route into the VPC's own IPv6 block may only target an interface or an instance.
    inside = str(list(ipaddress.ip_network(a.block).subnets(new_prefix=64))[5])
    assert code_of(lambda: ec2.create_route(RouteTableId=a.table, DestinationIpv6CidrBlock=inside, VpcPeeringConnectionId=pcx)) == "InvalidParameterValue"

    # No routes: nothing crosses.
    assert not _ping6(a.ns, b.v6)
    # One side only: the reply has no way back (and AWS needs both sides).
    _swap_route(ec2, a.table, b.block, VpcPeeringConnectionId=pcx)
    _until(lambda: _ping6(a.ns, b.v6), False, timeout=2)
    # Both sides: ping and TCP either way.
    _swap_route(ec2, b.table, a.block, VpcPeeringConnectionId=pcx)
    _until(lambda: _ping6(a.ns, b.v6), True)
    assert _ping6(b.ns, a.v6)
    assert _get6(a.ns, b.v6) and _get6(b.ns, a.v6)
    # Peering is not transitive and carries only the two VPCs: C is not reached through it.
    assert not _ping6(a.ns, lab.vpcs["c"].v6)
    # The route goes: so does the traffic.
    _swap_route(ec2, b.table, a.block)
    _until(lambda: _ping6(a.ns, b.v6), False)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    _swap_route(ec2, a.table, b.block)


def _wait_state(get, state, timeout=10.0):
    return _until(lambda: get()["State"], state, timeout)


def test_transit_gateway_carries_ipv6_per_its_route_table(lab):
    ec2, a, c = lab.ec2, lab.vpcs["a"], lab.vpcs["c"]
    tgw = ec2.create_transit_gateway(Description="ipv6")["TransitGateway"]["TransitGatewayId"]
    _wait_state(lambda: ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0], "available")

    # Ipv6Support needs subnets with IPv6 blocks.
    bare = ec2.create_vpc(CidrBlock="10.84.0.0/16")["Vpc"]["VpcId"]
    bare_subnet = ec2.create_subnet(VpcId=bare, CidrBlock="10.84.1.0/24")["Subnet"]["SubnetId"]
    assert code_of(lambda: ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw, VpcId=bare, SubnetIds=[bare_subnet], Options={"Ipv6Support": "enable"})) == "InvalidParameterValue"

    attachments = {}
    for name, v in (("a", a), ("c", c)):
        attachments[name] = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=v.id, SubnetIds=[v.subnet], Options={"Ipv6Support": "enable"}
        )["TransitGatewayVpcAttachment"]
        assert attachments[name]["Options"]["Ipv6Support"] == "enable"
    for att in attachments.values():
        _wait_state(lambda att=att: ec2.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[att["TransitGatewayAttachmentId"]])["TransitGatewayVpcAttachments"][0], "available")
    table = ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["Options"]["AssociationDefaultRouteTableId"]

    # The IPv6 blocks propagate (the attachments have IPv6 support).
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table, Filters=[{"Name": "type", "Values": ["propagated"]}])["Routes"]
    assert {a.block, c.block} <= {r["DestinationCidrBlock"] for r in routes}
    exact = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table,
                                              Filters=[{"Name": "route-search.exact-match", "Values": [c.block]}])["Routes"]
    assert [r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"] for r in exact] == [attachments["c"]["TransitGatewayAttachmentId"]]

    # No VPC routes to the gateway: nothing crosses.
    assert not _ping6(a.ns, c.v6)
    _swap_route(ec2, a.table, c.block, TransitGatewayId=tgw)
    _swap_route(ec2, c.table, a.block, TransitGatewayId=tgw)
    _until(lambda: _ping6(a.ns, c.v6), True)
    assert _ping6(c.ns, a.v6)
    assert _get6(a.ns, c.v6) and _get6(c.ns, a.v6)
    # B is attached to nothing: not reached.
    assert not _ping6(a.ns, lab.vpcs["b"].v6)

    # A static blackhole beats the propagated route; removing it restores forwarding.
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock=c.block, Blackhole=True)
    _until(lambda: _ping6(a.ns, c.v6), False)
    ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock=c.block)
    _until(lambda: _ping6(a.ns, c.v6), True)

    # Without IPv6 support the blocks stop propagating, and with them the traffic.
    ec2.modify_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=attachments["c"]["TransitGatewayAttachmentId"],
                                              Options={"Ipv6Support": "disable"})
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table, Filters=[{"Name": "type", "Values": ["propagated"]}])["Routes"]
    assert c.block not in {r["DestinationCidrBlock"] for r in routes}
    _until(lambda: _ping6(a.ns, c.v6), False)
    # A static IPv6 route to the attachment forwards regardless (the option does not filter traffic).
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock=c.block,
                                     TransitGatewayAttachmentId=attachments["c"]["TransitGatewayAttachmentId"])
    _until(lambda: _ping6(a.ns, c.v6), True)

    # The VPC route goes: so does the traffic.
    _swap_route(ec2, a.table, c.block)
    _until(lambda: _ping6(a.ns, c.v6), False)


def _peering_state(client, attachment: str) -> str:
    return client.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[attachment])["TransitGatewayPeeringAttachments"][0]["State"]


def test_transit_gateway_peering_between_regions_forwards_both_families(lab):
    east, west, b, d = lab.ec2, lab.west, lab.vpcs["b"], lab.vpcs["d"]
    account = east.describe_security_groups(GroupIds=[b.sg])["SecurityGroups"][0]["OwnerId"]
    gateways = {}
    for name, client, v in (("east", east, b), ("west", west, d)):
        tgw = client.create_transit_gateway(Description=f"peering {name}")["TransitGateway"]["TransitGatewayId"]
        _wait_state(lambda client=client, tgw=tgw: client.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0], "available")
        att = client.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=v.id, SubnetIds=[v.subnet],
                                                           Options={"Ipv6Support": "enable"})["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        table = client.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["Options"]["AssociationDefaultRouteTableId"]
        gateways[name] = (client, tgw, att, table)
    for client, _, att, _ in gateways.values():
        _wait_state(lambda client=client, att=att: client.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[att])["TransitGatewayVpcAttachments"][0], "available")

    # Unknown Regions are refused; the peer gateway must exist in the peer Region.
    assert code_of(lambda: east.create_transit_gateway_peering_attachment(
        TransitGatewayId=gateways["east"][1], PeerTransitGatewayId=gateways["west"][1], PeerAccountId=account, PeerRegion="xx-nowhere-1")) == "InvalidParameterValue"
    assert code_of(lambda: east.create_transit_gateway_peering_attachment(
        TransitGatewayId=gateways["east"][1], PeerTransitGatewayId=gateways["west"][1], PeerAccountId=account, PeerRegion="eu-west-1")) == "InvalidTransitGatewayID.NotFound"

    created = east.create_transit_gateway_peering_attachment(
        TransitGatewayId=gateways["east"][1], PeerTransitGatewayId=gateways["west"][1], PeerAccountId=account, PeerRegion="us-west-2"
    )["TransitGatewayPeeringAttachment"]
    peering = created["TransitGatewayAttachmentId"]
    assert created["State"] == "initiatingRequest"
    assert (created["RequesterTgwInfo"]["Region"], created["AccepterTgwInfo"]["Region"]) == ("us-east-1", "us-west-2")
    # The peer Region sees it waiting for acceptance; the requester's Region cannot accept it.
    assert _peering_state(west, peering) == "pendingAcceptance"
    _until(lambda: _peering_state(east, peering), "pendingAcceptance")
    assert code_of(lambda: east.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=peering)) == "IncorrectState"
    assert west.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=peering)["TransitGatewayPeeringAttachment"]["State"] == "pending"
    _until(lambda: (_peering_state(east, peering), _peering_state(west, peering)), ("available", "available"))

    # Each side associates the peering with its table and routes the other side's blocks to it.
    for name, other in (("east", d), ("west", b)):
        client, tgw, _, table = gateways[name]
        client.associate_transit_gateway_route_table(TransitGatewayRouteTableId=table, TransitGatewayAttachmentId=peering)
        for block in (other.block, str(ipaddress.ip_network(other.v4 + "/16", strict=False))):
            client.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock=block, TransitGatewayAttachmentId=peering)
    b4, d4 = (str(ipaddress.ip_network(v.v4 + "/16", strict=False)) for v in (b, d))
    assert not ping(b.ns, d.v4)
    for client, v, tgw, block, block4 in ((east, b, gateways["east"][1], d.block, d4), (west, d, gateways["west"][1], b.block, b4)):
        client.create_route(RouteTableId=v.table, DestinationCidrBlock=block4, TransitGatewayId=tgw)
        _swap_route(client, v.table, block, TransitGatewayId=tgw)
    _until(lambda: ping(b.ns, d.v4), True)
    assert ping(d.ns, b.v4)
    _until(lambda: _ping6(b.ns, d.v6), True)
    assert _ping6(d.ns, b.v6) and _get6(b.ns, d.v6)

    # Deleting from the accepter's side ends it on both sides, and the traffic with it.
    assert west.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=peering)["TransitGatewayPeeringAttachment"]["State"] == "deleting"
    _until(lambda: (_peering_state(east, peering), _peering_state(west, peering)), ("deleted", "deleted"))
    _until(lambda: ping(b.ns, d.v4), False)
    assert not _ping6(b.ns, d.v6)
