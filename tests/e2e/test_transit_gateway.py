"""Transit gateways forwarding real packets between three VPCs (container runtime).

VPCs A, B and C each hold one instance. A transit gateway without default route tables gets
the three VPCs attached; A and B are associated with a route table both propagate into, C with
one that blackholes A's block. Each VPC's route table sends the other VPCs' blocks to the
gateway. Pings from the guests' network namespaces (`ip netns exec s-<instance id>`, no SSH)
show that traffic flows exactly as the gateway's route tables, the VPCs' route tables and the
security groups say, and that every change takes effect on the running guests.

Needs root, crun, nftables and the minimal image; anything missing FAILS the tests. Every
namespace and link the server makes is gone once its instances are terminated.
"""

from __future__ import annotations

import pytest

from conftest import GUESTS_GROUP, wait_until
from guests import (ICMP_FROM_VPCS, GuestLab, attached_vpc, first_zone, gateway_namespaces, host_run, ping, transit_gateway_server,
                    until_reachable, wait_available, wait_transit_gateways, wait_vpc_attachments)

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

CIDRS = {"a": "10.91.0.0/16", "b": "10.92.0.0/16", "c": "10.93.0.0/16"}


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    # The gateway's namespace goes with the last VPC namespace attached to it.
    with transit_gateway_server(stratus_binary, tmp_path_factory, "tgw") as (srv, before):
        lab = _setup(srv)
        lab.before = before
        yield lab


def _setup(srv) -> Lab:
    lab = Lab()
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    zone = first_zone(ec2)
    tgw = ec2.create_transit_gateway(Description="hub", Options={
        "DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"})["TransitGateway"]
    lab.tgw = tgw["TransitGatewayId"]
    wait_transit_gateways(ec2, lab.tgw)

    lab.vpc, lab.subnet, lab.rt, lab.sg, lab.att, lab.inst, lab.ip = {}, {}, {}, {}, {}, {}, {}
    for k, cidr in CIDRS.items():
        lab.vpc[k], lab.subnet[k], lab.rt[k], lab.sg[k], lab.att[k] = attached_vpc(
            ec2, lab.tgw, cidr, zone, f"tgw-{k}", "pings from the other VPCs", [ICMP_FROM_VPCS])
        lab.inst[k] = guests.run_instances(SubnetId=lab.subnet[k], SecurityGroupIds=[lab.sg[k]])[0]

    lab.rtb_ab = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    lab.rtb_c = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    wait_available(lambda: ec2.describe_transit_gateway_route_tables(
        TransitGatewayRouteTableIds=[lab.rtb_ab, lab.rtb_c])["TransitGatewayRouteTables"], what="route tables")
    wait_vpc_attachments(ec2, *lab.att.values())

    described = guests.running(*lab.inst.values())
    for k, instance in lab.inst.items():
        lab.ip[k] = described[instance]["PrivateIpAddress"]
    return lab


def _ping(lab, src, dst) -> bool:
    return ping(lab.inst[src], lab.ip[dst])


def _eventually(lab, src, dst, expected: bool, timeout=5.0):
    """Waits (briefly: changes apply within a second) until reachability is as expected, then checks it holds."""
    until_reachable(lab.inst[src], lab.ip[dst], expected, timeout, what=f"{src} -> {dst}")


def test_traffic_flows_per_the_transit_gateway_route_tables(lab):
    ec2 = lab.ec2
    # Attached but associated with nothing and routed nowhere: no traffic.
    assert not _ping(lab, "a", "b")

    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att["a"])
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att["b"])
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb_c, TransitGatewayAttachmentId=lab.att["c"])
    for k in ("a", "b"):
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att[k])
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb_c, DestinationCidrBlock=CIDRS["a"], Blackhole=True)
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb_c, TransitGatewayAttachmentId=lab.att["b"])

    # The gateway routes A and B, but the VPCs' own route tables do not send anything to it yet.
    assert not _ping(lab, "a", "b")
    ec2.create_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=CIDRS["b"], TransitGatewayId=lab.tgw)
    ec2.create_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=CIDRS["c"], TransitGatewayId=lab.tgw)
    # One side's route is not enough: B has no route back.
    assert not _ping(lab, "a", "b")
    ec2.create_route(RouteTableId=lab.rt["b"], DestinationCidrBlock="10.0.0.0/8", TransitGatewayId=lab.tgw)
    ec2.create_route(RouteTableId=lab.rt["c"], DestinationCidrBlock="0.0.0.0/0", TransitGatewayId=lab.tgw)
    _eventually(lab, "a", "b", True, timeout=2.0)
    assert _ping(lab, "b", "a")

    # C's table blackholes A; A's table has no route to C; C reaches B but B's table cannot answer.
    assert not _ping(lab, "c", "a")
    assert not _ping(lab, "a", "c")
    assert not _ping(lab, "c", "b")

    # A static route replacing the blackhole, and C propagating into A and B's table: C and A talk.
    ec2.replace_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb_c, DestinationCidrBlock=CIDRS["a"],
                                      TransitGatewayAttachmentId=lab.att["a"])
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att["c"])
    _eventually(lab, "c", "a", True, timeout=2.0)
    assert _ping(lab, "a", "c")
    assert _ping(lab, "c", "b")
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=lab.rtb_ab, Filters=[{"Name": "state", "Values": ["active"]}])["Routes"]
    assert {r["DestinationCidrBlock"] for r in routes} == set(CIDRS.values())

    # The gateway's namespace exists with a link per attachment.
    namespaces = gateway_namespaces() - lab.before
    assert len(namespaces) == 1
    links = host_run("ip", "-n", namespaces.pop(), "-br", "link").stdout
    assert sum(1 for line in links.splitlines() if line.startswith("tx")) == 3


def test_security_groups_still_apply(lab):
    ec2 = lab.ec2
    _eventually(lab, "a", "c", True)
    ec2.revoke_security_group_ingress(GroupId=lab.sg["c"], IpPermissions=[
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    _eventually(lab, "a", "c", False, timeout=2.0)
    assert _ping(lab, "a", "b")
    ec2.authorize_security_group_ingress(GroupId=lab.sg["c"], IpPermissions=[
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": CIDRS["a"]}]}])
    _eventually(lab, "a", "c", True, timeout=2.0)


def test_route_and_association_changes_take_effect_on_running_guests(lab):
    ec2 = lab.ec2
    # Without its subnet route, A no longer sends B's block to the gateway.
    ec2.delete_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=CIDRS["b"])
    _eventually(lab, "a", "b", False, timeout=2.0)
    ec2.create_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=CIDRS["b"], TransitGatewayId=lab.tgw)
    _eventually(lab, "a", "b", True, timeout=2.0)

    # Disabling B's propagation takes its route out of A's table.
    ec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att["b"])
    _eventually(lab, "a", "b", False, timeout=2.0)
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb_ab, DestinationCidrBlock=CIDRS["b"], TransitGatewayAttachmentId=lab.att["b"])
    _eventually(lab, "a", "b", True, timeout=2.0)

    # A disassociated: what it sends is dropped.
    ec2.disassociate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att["a"])
    _eventually(lab, "a", "b", False, timeout=2.0)
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb_ab, TransitGatewayAttachmentId=lab.att["a"])
    _eventually(lab, "a", "b", True, timeout=2.0)

    # Deleting C's attachment cuts C off and removes its link; A and B go on.
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=lab.att["c"])
    _eventually(lab, "a", "c", False, timeout=2.0)
    assert _ping(lab, "a", "b")
    ns = (gateway_namespaces() - lab.before).pop()
    wait_until(lambda: sum(1 for line in host_run("ip", "-n", ns, "-br", "link").stdout.splitlines() if line.startswith("tx")) == 2, 3,
               "two links in the gateway's namespace")
    routes = ec2.describe_route_tables(RouteTableIds=[lab.rt["c"]])["RouteTables"][0]["Routes"]
    assert any(r.get("TransitGatewayId") == lab.tgw for r in routes)
