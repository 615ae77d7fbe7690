"""BGP over a transit gateway Connect peer, with real packets (container runtime).

One transit gateway with two VPCs attached: A (the transport VPC, holding an appliance guest) and
B (a guest). A Connect attachment over A's VPC attachment and a Connect peer towards the appliance
(inside block 169.254.100.0/29, peer ASN 65010). The appliance sets up its GRE end (kernel GRE, or
the user-space one of test_transit_gateway_peering where the kernel has no `ip_gre`) and runs its
own BIRD 2 speaker in its namespace, with sessions to both of the gateway's inside addresses,
announcing 10.99.0.0/24 (10.99.0.1 is on its loopback) and installing what it learns in its kernel.

The gateway's speaker (one `bird` in the gateway's namespace, run by Stratus) must bring both
sessions up (BgpStatus `up` in DescribeTransitGatewayConnectPeers), propagate the announced prefix
into the route table the Connect attachment propagates to (type `propagated`, the Connect
attachment), advertise the route table's routes (the VPC blocks) to the appliance, and carry B's
packets to 10.99.0.1 through the tunnel and the appliance's replies back. When the appliance
withdraws the prefix the route goes; when the Connect peer is deleted the sessions and the
gateway's speaker go.

Needs root, crun, busybox, bird2 and the minimal image; anything missing FAILS the tests. Every
namespace and process (the gateway's speaker included) is gone once the server has stopped.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from conftest import GUESTS_GROUP, wait_until
from guests import (ICMP_FROM_VPCS, GuestLab, attached_vpc, first_zone, gre_end, guest_ns, guest_processes, helper_processes, host_run, transit_gateway_server,
                    until_reachable, wait_transit_gateways, wait_vpc_attachments)

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

CIDRS = {"a": "10.91.0.0/16", "b": "10.92.0.0/16"}
TGW_BLOCK = "10.93.255.0/24"
TGW_ADDRESS = "10.93.255.1"
INSIDE = "169.254.110.0/29"
PEER_INSIDE, GATEWAY_INSIDE = "169.254.110.1", ("169.254.110.2", "169.254.110.3")
PEER_ASN = 65010
ANNOUNCED = "10.99.0.0/24"
ANNOUNCED_ADDRESS = "10.99.0.1"


def _bird() -> str | None:
    return shutil.which("bird") or ("/usr/sbin/bird" if os.path.exists("/usr/sbin/bird") else None)


def _birdc() -> str:
    return shutil.which("birdc") or "/usr/sbin/birdc"


def _until(check, timeout=30.0, what="condition"):
    return wait_until(check, timeout, what)


def _server_birds(srv) -> list[int]:
    """The server's BGP speakers: bird processes whose command line points into its data dir."""
    found = []
    for pid in guest_processes(srv):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "bird":
                    found.append(pid)
        except OSError:
            pass
    return found


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    if _bird() is None:
        pytest.fail("BGP over Connect peers needs bird2 on the host (scripts/install-deps.sh)", pytrace=False)
    lab = Lab()
    lab.dir = str(tmp_path_factory.mktemp("appliance-bird"))
    # No gateway namespace may be left once the server has stopped.
    with transit_gateway_server(stratus_binary, tmp_path_factory, "tgw-bgp", gone_with_instances=False) as (srv, before), \
            helper_processes() as helpers:
        lab.srv, lab.before, lab.helpers = srv, before, helpers
        try:
            _setup(srv, lab)
            yield lab
        finally:
            pid_file = os.path.join(lab.dir, "appliance.pid")
            if os.path.exists(pid_file):  # the appliance's speaker, started by the test
                try:
                    os.kill(int(open(pid_file).read().strip()), 15)
                except (OSError, ValueError):
                    pass


def _setup(srv, lab):
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    zone = first_zone(ec2)
    gateway = ec2.create_transit_gateway(Description="bgp", Options={
        "DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable", "TransitGatewayCidrBlocks": [TGW_BLOCK]})["TransitGateway"]
    lab.tgw, lab.asn = gateway["TransitGatewayId"], gateway["Options"]["AmazonSideAsn"]
    wait_transit_gateways(ec2, lab.tgw)
    lab.rtb = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]

    lab.vpc, lab.subnet, lab.rt, lab.sg, lab.att = {}, {}, {}, {}, {}
    for k in ("a", "b"):
        lab.vpc[k], lab.subnet[k], lab.rt[k], lab.sg[k], lab.att[k] = attached_vpc(ec2, lab.tgw, CIDRS[k], zone, f"tgw-bgp-{k}", "bgp", [
            ICMP_FROM_VPCS, {"IpProtocol": "47", "IpRanges": [{"CidrIp": TGW_BLOCK}]}])
    lab.inst = {}
    for k, vpc in (("appliance", "a"), ("b", "b")):
        lab.inst[k] = guests.run_instances(SubnetId=lab.subnet[vpc], SecurityGroupIds=[lab.sg[vpc]])[0]
    wait_vpc_attachments(ec2, *lab.att.values())
    for k in ("a", "b"):
        ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb, TransitGatewayAttachmentId=lab.att[k])
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb, TransitGatewayAttachmentId=lab.att[k])
    # The appliance's subnet reaches the gateway's GRE address; B's subnet sends the announced block to the gateway.
    ec2.create_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=TGW_BLOCK, TransitGatewayId=lab.tgw)
    ec2.create_route(RouteTableId=lab.rt["b"], DestinationCidrBlock=ANNOUNCED, TransitGatewayId=lab.tgw)

    described = guests.running(*lab.inst.values())
    lab.ip = {k: described[i]["PrivateIpAddress"] for k, i in lab.inst.items()}


def _ns(lab, k) -> str:
    return guest_ns(lab.inst[k])


def _eventually_ping(lab, src, address, expected: bool, timeout=30.0):
    until_reachable(lab.inst[src], address, expected, timeout, interval=0.5, what=f"{src} -> {address}")


def _bgp_status(lab) -> dict[str, str]:
    peer = lab.ec2.describe_transit_gateway_connect_peers(TransitGatewayConnectPeerIds=[lab.peer])["TransitGatewayConnectPeers"][0]
    return {b["TransitGatewayAddress"]: b["BgpStatus"] for b in peer["ConnectPeerConfiguration"]["BgpConfigurations"]}


def _propagated(lab) -> list[tuple[str, str, str, str]]:
    routes = lab.ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=lab.rtb, Filters=[{"Name": "type", "Values": ["propagated"]}])["Routes"]
    return sorted((r["DestinationCidrBlock"], r["State"], r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"],
                   r["TransitGatewayAttachments"][0]["ResourceType"]) for r in routes)


def _appliance_birdc(lab, *command) -> str:
    return host_run(_birdc(), "-s", os.path.join(lab.dir, "appliance.ctl"), *command).stdout


def _start_appliance(lab):
    """The appliance's GRE end, its addresses, and its own BGP speaker with sessions to both gateway addresses."""
    ns, local = _ns(lab, "appliance"), lab.ip["appliance"]
    gre_end(ns, local, TGW_ADDRESS, lab.helpers)
    for args in (["addr", "add", PEER_INSIDE + "/29", "dev", "gre1"], ["link", "set", "gre1", "mtu", "1476", "up"],
                 ["addr", "add", ANNOUNCED_ADDRESS + "/32", "dev", "lo"]):
        host_run("ip", "-n", ns, *args)
    config = os.path.join(lab.dir, "appliance.conf")
    with open(config, "w") as f:
        f.write(f"""
log "{os.path.join(lab.dir, 'appliance.log')}" all;
router id {local};
protocol device {{ scan time 2; }}
protocol static announce {{ ipv4; route {ANNOUNCED} blackhole; }}
protocol kernel {{ ipv4 {{ import none; export where source = RTS_BGP; }}; }}
template bgp tgw {{
  local {PEER_INSIDE} as {PEER_ASN};
  direct;
  connect delay time 1;
  connect retry time 2;
  hold time 9;
  keepalive time 3;
  ipv4 {{ import all; export where proto = "announce"; }};
}}
protocol bgp tgw_a from tgw {{ neighbor {GATEWAY_INSIDE[0]} as {lab.asn}; }}
protocol bgp tgw_b from tgw {{ neighbor {GATEWAY_INSIDE[1]} as {lab.asn}; }}
""")
    host_run("ip", "netns", "exec", ns, _bird(), "-c", config, "-s", os.path.join(lab.dir, "appliance.ctl"), "-P", os.path.join(lab.dir, "appliance.pid"))


def test_bgp_sessions_come_up_and_routes_propagate(lab):
    ec2 = lab.ec2
    connect = ec2.create_transit_gateway_connect(TransportTransitGatewayAttachmentId=lab.att["a"], Options={"Protocol": "gre"})["TransitGatewayConnect"]
    lab.connect = connect["TransitGatewayAttachmentId"]
    _until(lambda: ec2.describe_transit_gateway_connects(TransitGatewayAttachmentIds=[lab.connect])
           ["TransitGatewayConnects"][0]["State"] == "available", what="Connect attachment")
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb, TransitGatewayAttachmentId=lab.connect)
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb, TransitGatewayAttachmentId=lab.connect)
    peer = ec2.create_transit_gateway_connect_peer(
        TransitGatewayAttachmentId=lab.connect, TransitGatewayAddress=TGW_ADDRESS, PeerAddress=lab.ip["appliance"],
        InsideCidrBlocks=[INSIDE], BgpOptions={"PeerAsn": PEER_ASN})["TransitGatewayConnectPeer"]
    lab.peer = peer["TransitGatewayConnectPeerId"]
    assert {(b["TransitGatewayAddress"], b["PeerAddress"], b["PeerAsn"], b["TransitGatewayAsn"], b["BgpStatus"])
            for b in peer["ConnectPeerConfiguration"]["BgpConfigurations"]} == {
        (GATEWAY_INSIDE[0], PEER_INSIDE, PEER_ASN, lab.asn, "down"), (GATEWAY_INSIDE[1], PEER_INSIDE, PEER_ASN, lab.asn, "down")}
    _until(lambda: ec2.describe_transit_gateway_connect_peers(TransitGatewayConnectPeerIds=[lab.peer])
           ["TransitGatewayConnectPeers"][0]["State"] == "available", what="Connect peer")
    # The gateway's speaker runs, but nothing answers it yet.
    _until(lambda: _server_birds(lab.srv), timeout=15, what="the gateway's BGP speaker")
    time.sleep(2)
    assert _bgp_status(lab) == {GATEWAY_INSIDE[0]: "down", GATEWAY_INSIDE[1]: "down"}
    assert [r for r in _propagated(lab) if r[0] == ANNOUNCED] == []

    _start_appliance(lab)
    _until(lambda: _bgp_status(lab) == {GATEWAY_INSIDE[0]: "up", GATEWAY_INSIDE[1]: "up"}, timeout=60, what="both BGP sessions up")
    _until(lambda: (ANNOUNCED, "active", lab.connect, "connect") in _propagated(lab), timeout=15, what="the announced prefix propagated")
    assert _propagated(lab) == sorted([(ANNOUNCED, "active", lab.connect, "connect"), (CIDRS["a"], "active", lab.att["a"], "vpc"),
                                       (CIDRS["b"], "active", lab.att["b"], "vpc")])
    # DescribeTransitGatewayRoutes (search without a type filter) shows it as well.
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=lab.rtb, Filters=[{"Name": "route-search.exact-match", "Values": [ANNOUNCED]}])["Routes"]
    assert [(r["Type"], r["TransitGatewayAttachments"][0]["ResourceId"]) for r in routes] == [("propagated", lab.att["a"])]

    # The gateway advertises its route table's routes (the VPC blocks) to the appliance.
    _until(lambda: CIDRS["b"] in _appliance_birdc(lab, "show", "route", "protocol", "tgw_a"), timeout=15, what="the appliance to learn B's block")
    assert ANNOUNCED not in _appliance_birdc(lab, "show", "route", "protocol", "tgw_a")  # its own prefix is not reflected back

    # B reaches the announced address through the gateway and the tunnel; the appliance answers over its learned route.
    _eventually_ping(lab, "b", ANNOUNCED_ADDRESS, True)


def test_withdrawn_prefix_leaves_the_route_table(lab):
    _appliance_birdc(lab, "disable", "announce")
    _until(lambda: not [r for r in _propagated(lab) if r[0] == ANNOUNCED], timeout=15, what="the withdrawn prefix to leave the route table")
    _eventually_ping(lab, "b", ANNOUNCED_ADDRESS, False)
    assert _bgp_status(lab) == {GATEWAY_INSIDE[0]: "up", GATEWAY_INSIDE[1]: "up"}
    _appliance_birdc(lab, "enable", "announce")
    _until(lambda: (ANNOUNCED, "active", lab.connect, "connect") in _propagated(lab), timeout=15, what="the prefix announced again")
    _eventually_ping(lab, "b", ANNOUNCED_ADDRESS, True)


def test_session_down_when_the_appliance_stops_and_peer_deletion_stops_the_speaker(lab):
    _appliance_birdc(lab, "disable", "tgw_b")
    _until(lambda: _bgp_status(lab) == {GATEWAY_INSIDE[0]: "up", GATEWAY_INSIDE[1]: "down"}, timeout=30, what="the second session down")
    # The other session still carries the prefix.
    assert (ANNOUNCED, "active", lab.connect, "connect") in _propagated(lab)
    _appliance_birdc(lab, "enable", "tgw_b")
    _until(lambda: _bgp_status(lab) == {GATEWAY_INSIDE[0]: "up", GATEWAY_INSIDE[1]: "up"}, timeout=60, what="the second session up again")

    lab.ec2.delete_transit_gateway_connect_peer(TransitGatewayConnectPeerId=lab.peer)
    _until(lambda: not [r for r in _propagated(lab) if r[0] == ANNOUNCED], timeout=15, what="the deleted peer's prefix to go")
    _eventually_ping(lab, "b", ANNOUNCED_ADDRESS, False)
    _until(lambda: not _server_birds(lab.srv), timeout=15, what="the gateway's BGP speaker to stop")
    _until(lambda: "Established" not in _appliance_birdc(lab, "show", "protocols"), timeout=60, what="the appliance's sessions to drop")
