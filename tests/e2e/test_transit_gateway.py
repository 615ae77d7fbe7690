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

import os
import subprocess
import time

import pytest

from conftest import GUESTS_GROUP, ServerFactory, minimal_ami
from guests import BOOT_TIMEOUT, IMAGE_DIR, assert_nothing_left, require_host, terminate_all

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

CIDRS = {"a": "10.91.0.0/16", "b": "10.92.0.0/16", "c": "10.93.0.0/16"}


def _run(*args, check=True, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, **kw)


def _gateway_namespaces() -> set[str]:
    return {line.split()[0] for line in _run("ip", "netns", "list", check=False).stdout.splitlines() if line.startswith("stg-")}


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    require_host()
    if _run("sh", "-c", "command -v crun && command -v busybox", check=False).returncode != 0:
        pytest.fail("transit gateway tests need crun and busybox on the host", pytrace=False)
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("tgw")))
    srv = factory(name="stratus-tgw", extra_args=["--runtime", "container", "--image-dir", IMAGE_DIR])
    before = _gateway_namespaces()
    try:
        lab = _setup(srv)
        lab.before = before
        yield lab
    finally:
        try:
            terminate_all(srv)
            # The gateway's namespace goes with the last VPC namespace attached to it.
            deadline = time.monotonic() + 10
            while _gateway_namespaces() - before and time.monotonic() < deadline:
                time.sleep(0.2)
            left = _gateway_namespaces() - before
        finally:
            factory.close()
            assert_nothing_left(srv)
            for ns in _gateway_namespaces() - before:  # never leak into later tests
                _run("ip", "netns", "del", ns, check=False)
        assert not left, f"transit gateway namespaces left behind: {left}"


def _until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def _setup(srv) -> Lab:
    lab = Lab()
    ec2 = lab.ec2 = srv.ec2()
    ami = minimal_ami(ec2)
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    tgw = ec2.create_transit_gateway(Description="hub", Options={
        "DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"})["TransitGateway"]
    lab.tgw = tgw["TransitGatewayId"]
    _until(lambda: ec2.describe_transit_gateways(TransitGatewayIds=[lab.tgw])["TransitGateways"][0]["State"] == "available")

    lab.vpc, lab.subnet, lab.rt, lab.sg, lab.att, lab.inst, lab.ip = {}, {}, {}, {}, {}, {}, {}
    for k, cidr in CIDRS.items():
        vpc = lab.vpc[k] = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        lab.subnet[k] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"), AvailabilityZone=zone)["Subnet"]["SubnetId"]
        lab.rt[k] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
        sg = lab.sg[k] = ec2.create_security_group(GroupName=f"tgw-{k}", Description="pings from the other VPCs", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        lab.att[k] = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=lab.tgw, VpcId=vpc, SubnetIds=[lab.subnet[k]])["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        lab.inst[k] = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=lab.subnet[k],
                                        SecurityGroupIds=[sg])["Instances"][0]["InstanceId"]

    lab.rtb_ab = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    lab.rtb_c = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    _until(lambda: all(t["State"] == "available" for t in ec2.describe_transit_gateway_route_tables(
        TransitGatewayRouteTableIds=[lab.rtb_ab, lab.rtb_c])["TransitGatewayRouteTables"]))
    _until(lambda: all(a["State"] == "available" for a in ec2.describe_transit_gateway_vpc_attachments(
        TransitGatewayAttachmentIds=list(lab.att.values()))["TransitGatewayVpcAttachments"]))

    ids = list(lab.inst.values())
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
    described = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]}
    for k, instance in lab.inst.items():
        lab.ip[k] = described[instance]["PrivateIpAddress"]
    return lab


def _ping(lab, src, dst) -> bool:
    r = _run("ip", "netns", "exec", "s-" + lab.inst[src][2:], "busybox", "ping", "-c", "1", "-W", "1", lab.ip[dst], check=False, timeout=10)
    return r.returncode == 0


def _eventually(lab, src, dst, expected: bool, timeout=5.0):
    """Waits (briefly: changes apply within a second) until reachability is as expected, then checks it holds."""
    deadline = time.monotonic() + timeout
    while _ping(lab, src, dst) != expected:
        assert time.monotonic() < deadline, f"{src} -> {dst} never became {'reachable' if expected else 'unreachable'}"
        time.sleep(0.2)


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
    namespaces = _gateway_namespaces() - lab.before
    assert len(namespaces) == 1
    links = _run("ip", "-n", namespaces.pop(), "-br", "link").stdout
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
    ns = (_gateway_namespaces() - lab.before).pop()
    _until(lambda: sum(1 for line in _run("ip", "-n", ns, "-br", "link").stdout.splitlines() if line.startswith("tx")) == 2, timeout=3)
    routes = ec2.describe_route_tables(RouteTableIds=[lab.rt["c"]])["RouteTables"][0]["Routes"]
    assert any(r.get("TransitGatewayId") == lab.tgw for r in routes)
