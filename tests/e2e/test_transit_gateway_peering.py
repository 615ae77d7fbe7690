"""Transit gateway peering and Connect attachments carrying real packets (container runtime).

Two transit gateways, each with one VPC attached (A on gateway 1, B on gateway 2), are joined by
a peering attachment; static routes in each gateway's route table send the other VPC's block over
the peering. Pings and a TCP exchange between guests show that traffic crosses only once the
peering is accepted and routed, that security groups still decide, and that deleting the peering
removes the forwarding.

An appliance guest in VPC A then terminates a Connect peer of a Connect attachment (over A's VPC
attachment): it sets up its GRE end towards the gateway's address from the gateway's CIDR block
and the peer's inside address (169.254.100.1/29), pings the gateway's inside address through
the tunnel, and reaches the guest in VPC B through the tunnel, gateway 1's route to the Connect
attachment and the peering. On a kernel with `ip_gre` the appliance's end is `ip tunnel add …
mode gre`; on one without it (as some CI hosts are), a user-space GRE end over a TUN device
speaks the same RFC 2784 wire format.

Needs root, crun, nftables and the minimal image; anything missing FAILS the tests. Every
namespace, link and process is gone once the instances are terminated.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import GUESTS_GROUP, wait_until
from guests import (ICMP_FROM_VPCS, GuestLab, attached_vpc, first_zone, gateway_namespaces, gre_end, guest_ns, helper_processes, host_run, ping, tcp,
                    transit_gateway_server, until_reachable, wait_transit_gateways, wait_vpc_attachments)

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

CIDRS = {"a": "10.95.0.0/16", "b": "10.96.0.0/16"}
TGW_BLOCK = "10.94.255.0/24"
TGW_ADDRESS = "10.94.255.1"
INSIDE = "169.254.100.0/29"
APPLIANCE_BLOCK = "10.97.0.0/24"
APPLIANCE_ADDRESS = "10.97.0.1"


def _until(check, timeout=30.0, what="condition"):
    return wait_until(check, timeout, what)


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    # lab.helpers: the appliance's user-space GRE end, if one is started.
    with transit_gateway_server(stratus_binary, tmp_path_factory, "tgw-peering") as (srv, before), helper_processes() as helpers:
        lab = Lab()
        lab.before, lab.helpers = before, helpers
        _setup(srv, lab)
        yield lab


def _setup(srv, lab):
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    zone = first_zone(ec2)
    options = {"DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"}
    lab.tgw1 = ec2.create_transit_gateway(Description="one", Options={**options, "TransitGatewayCidrBlocks": [TGW_BLOCK]})["TransitGateway"]["TransitGatewayId"]
    lab.tgw2 = ec2.create_transit_gateway(Description="two", Options=options)["TransitGateway"]["TransitGatewayId"]
    wait_transit_gateways(ec2, lab.tgw1, lab.tgw2)
    lab.rtb1 = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw1)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
    lab.rtb2 = ec2.create_transit_gateway_route_table(TransitGatewayId=lab.tgw2)["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]

    lab.vpc, lab.subnet, lab.rt, lab.sg, lab.att = {}, {}, {}, {}, {}
    for k, tgw in (("a", lab.tgw1), ("b", lab.tgw2)):
        lab.vpc[k], lab.subnet[k], lab.rt[k], lab.sg[k], lab.att[k] = attached_vpc(ec2, tgw, CIDRS[k], zone, f"tgwp-{k}", "peering", [
            ICMP_FROM_VPCS, tcp(8080, "10.0.0.0/8"), {"IpProtocol": "47", "IpRanges": [{"CidrIp": TGW_BLOCK}]}])
    lab.inst = {}
    for k, subnet in (("a", lab.subnet["a"]), ("b", lab.subnet["b"]), ("appliance", lab.subnet["a"])):
        lab.inst[k] = guests.run_instances(SubnetId=subnet, SecurityGroupIds=[lab.sg["b" if k == "b" else "a"]])[0]
    wait_vpc_attachments(ec2, *lab.att.values())
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb1, TransitGatewayAttachmentId=lab.att["a"])
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb1, TransitGatewayAttachmentId=lab.att["a"])
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb2, TransitGatewayAttachmentId=lab.att["b"])
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb2, TransitGatewayAttachmentId=lab.att["b"])
    ec2.create_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=CIDRS["b"], TransitGatewayId=lab.tgw1)
    ec2.create_route(RouteTableId=lab.rt["b"], DestinationCidrBlock=CIDRS["a"], TransitGatewayId=lab.tgw2)

    described = guests.running(*lab.inst.values())
    lab.ip = {k: described[i]["PrivateIpAddress"] for k, i in lab.inst.items()}


def _ns(lab, k) -> str:
    return guest_ns(lab.inst[k])


def _ping(lab, src, address) -> bool:
    return ping(lab.inst[src], address)


def _eventually(lab, src, address, expected: bool, timeout=5.0):
    until_reachable(lab.inst[src], address, expected, timeout, what=f"{src} -> {address}")


def _tcp(lab, src, dst) -> str:
    """One TCP exchange on port 8080: a listener in dst's namespace answers what src's client sends."""
    server = subprocess.Popen(["ip", "netns", "exec", _ns(lab, dst), "python3", "-c",
                               "import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',8080));s.listen(1);s.settimeout(8)\n"
                               "c,_=s.accept();c.sendall(b'pong:'+c.recv(100));c.close()"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        client = host_run("ip", "netns", "exec", _ns(lab, src), "python3", "-c",
                      f"import socket\nc=socket.create_connection(('{lab.ip[dst]}',8080),timeout=3);c.sendall(b'ping');print(c.recv(100).decode())",
                      check=False, timeout=10)
        return client.stdout.strip()
    finally:
        server.kill()
        server.wait(timeout=5)


def test_peering_forwards_once_accepted_and_routed(lab):
    ec2 = lab.ec2
    assert not _ping(lab, "a", lab.ip["b"])
    account = ec2.describe_transit_gateways(TransitGatewayIds=[lab.tgw1])["TransitGateways"][0]["OwnerId"]
    region = ec2.meta.region_name
    peering = ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=lab.tgw1, PeerTransitGatewayId=lab.tgw2, PeerAccountId=account, PeerRegion=region)["TransitGatewayPeeringAttachment"]
    lab.peering = peering["TransitGatewayAttachmentId"]
    assert peering["State"] == "initiatingRequest"
    _until(lambda: ec2.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[lab.peering])
           ["TransitGatewayPeeringAttachments"][0]["State"] == "pendingAcceptance", what="pendingAcceptance")
    # Not yet accepted: it cannot be associated.
    with pytest.raises(Exception) as e:
        ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb1, TransitGatewayAttachmentId=lab.peering)
    assert "IncorrectState" in str(e.value)
    accepted = ec2.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=lab.peering)["TransitGatewayPeeringAttachment"]
    assert accepted["State"] == "pending"
    _until(lambda: ec2.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[lab.peering])
           ["TransitGatewayPeeringAttachments"][0]["State"] == "available", what="available")

    # Each side associates the peering with its own route table; peering attachments do not propagate.
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb1, TransitGatewayAttachmentId=lab.peering)
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb2, TransitGatewayAttachmentId=lab.peering)
    with pytest.raises(Exception) as e:
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=lab.rtb2, TransitGatewayAttachmentId=lab.peering)
    assert "InvalidParameterValue" in str(e.value)
    associations = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=lab.rtb2)["Associations"]
    assert {a["TransitGatewayAttachmentId"] for a in associations} == {lab.att["b"], lab.peering}

    # One static route is not enough: B's gateway has no route back.
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb1, DestinationCidrBlock=CIDRS["b"], TransitGatewayAttachmentId=lab.peering)
    assert not _ping(lab, "a", lab.ip["b"])
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb2, DestinationCidrBlock=CIDRS["a"], TransitGatewayAttachmentId=lab.peering)
    _eventually(lab, "a", lab.ip["b"], True)
    assert _ping(lab, "b", lab.ip["a"])
    assert _tcp(lab, "a", "b") == "pong:ping"
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=lab.rtb2, Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
    assert [(r["DestinationCidrBlock"], r["State"], r["TransitGatewayAttachments"][0]["ResourceType"]) for r in routes] == [(CIDRS["a"], "active", "peering")]

    # The two gateways' namespaces share one link for the peering.
    namespaces = sorted(gateway_namespaces() - lab.before)
    assert len(namespaces) == 2
    links = [{line.split()[0].split("@")[0] for line in host_run("ip", "-n", ns, "-br", "link").stdout.splitlines() if line.startswith("tx")} for ns in namespaces]
    assert len(links[0] & links[1]) == 1


def test_security_groups_apply_across_the_peering(lab):
    ec2 = lab.ec2
    rule = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    ec2.revoke_security_group_ingress(GroupId=lab.sg["b"], IpPermissions=[rule])
    try:
        _until(lambda: _tcp(lab, "a", "b") == "", timeout=5, what="TCP refused by B's security group")
        assert _ping(lab, "a", lab.ip["b"])
    finally:
        ec2.authorize_security_group_ingress(GroupId=lab.sg["b"], IpPermissions=[rule])
    _until(lambda: _tcp(lab, "a", "b") == "pong:ping", timeout=5, what="TCP allowed again")


def _appliance_gre_end(lab):
    """Sets up the appliance's GRE end (kernel GRE where there is one, else the user-space one) and returns the device."""
    ns = _ns(lab, "appliance")
    gre_end(ns, lab.ip["appliance"], TGW_ADDRESS, lab.helpers)
    for args in (["addr", "add", "169.254.100.1/29", "dev", "gre1"], ["addr", "add", APPLIANCE_ADDRESS + "/32", "dev", "gre1"],
                 ["link", "set", "gre1", "mtu", "1476", "up"], ["route", "add", CIDRS["b"], "dev", "gre1", "src", APPLIANCE_ADDRESS]):
        host_run("ip", "-n", ns, *args)


def test_connect_peer_carries_an_appliance_gre_tunnel(lab):
    ec2 = lab.ec2
    connect = ec2.create_transit_gateway_connect(TransportTransitGatewayAttachmentId=lab.att["a"], Options={"Protocol": "gre"})["TransitGatewayConnect"]
    lab.connect = connect["TransitGatewayAttachmentId"]
    assert connect["TransportTransitGatewayAttachmentId"] == lab.att["a"]
    _until(lambda: ec2.describe_transit_gateway_connects(TransitGatewayAttachmentIds=[lab.connect])
           ["TransitGatewayConnects"][0]["State"] == "available", what="Connect attachment")
    peer = ec2.create_transit_gateway_connect_peer(
        TransitGatewayAttachmentId=lab.connect, TransitGatewayAddress=TGW_ADDRESS, PeerAddress=lab.ip["appliance"],
        InsideCidrBlocks=[INSIDE], BgpOptions={"PeerAsn": 65010})["TransitGatewayConnectPeer"]
    lab.connect_peer = peer["TransitGatewayConnectPeerId"]
    config = peer["ConnectPeerConfiguration"]
    assert (config["TransitGatewayAddress"], config["PeerAddress"], config["InsideCidrBlocks"], config["Protocol"]) == (
        TGW_ADDRESS, lab.ip["appliance"], [INSIDE], "gre")
    assert {(b["TransitGatewayAddress"], b["PeerAddress"], b["PeerAsn"]) for b in config["BgpConfigurations"]} == {
        ("169.254.100.2", "169.254.100.1", 65010), ("169.254.100.3", "169.254.100.1", 65010)}
    _until(lambda: ec2.describe_transit_gateway_connect_peers(TransitGatewayConnectPeerIds=[lab.connect_peer])
           ["TransitGatewayConnectPeers"][0]["State"] == "available", what="Connect peer")

    # The appliance's subnet sends the gateway's CIDR block to the gateway; the GRE end comes up.
    ec2.create_route(RouteTableId=lab.rt["a"], DestinationCidrBlock=TGW_BLOCK, TransitGatewayId=lab.tgw1)
    _appliance_gre_end(lab)
    _eventually(lab, "appliance", "169.254.100.2", True)

    # Static routes to the Connect attachment: the appliance's block reaches B over the tunnel and the peering.
    ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=lab.rtb1, TransitGatewayAttachmentId=lab.connect)
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb1, DestinationCidrBlock=APPLIANCE_BLOCK, TransitGatewayAttachmentId=lab.connect)
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb2, DestinationCidrBlock=APPLIANCE_BLOCK, TransitGatewayAttachmentId=lab.peering)
    assert not _ping(lab, "appliance", lab.ip["b"])  # B's subnet does not route the appliance's block back yet
    ec2.create_route(RouteTableId=lab.rt["b"], DestinationCidrBlock=APPLIANCE_BLOCK, TransitGatewayId=lab.tgw2)
    _eventually(lab, "appliance", lab.ip["b"], True)
    assert _ping(lab, "b", APPLIANCE_ADDRESS)

    # Without its route to the Connect attachment, gateway 1 drops what comes back.
    ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb1, DestinationCidrBlock=APPLIANCE_BLOCK)
    _eventually(lab, "b", APPLIANCE_ADDRESS, False)
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=lab.rtb1, DestinationCidrBlock=APPLIANCE_BLOCK, TransitGatewayAttachmentId=lab.connect)
    _eventually(lab, "b", APPLIANCE_ADDRESS, True)

    # Deleting the Connect peer takes the tunnel down.
    ec2.delete_transit_gateway_connect_peer(TransitGatewayConnectPeerId=lab.connect_peer)
    _eventually(lab, "appliance", "169.254.100.2", False)
    _until(lambda: not any(line.startswith("gr") for ns in gateway_namespaces() - lab.before
                           for line in host_run("ip", "-n", ns, "-br", "link").stdout.splitlines()), timeout=5, what="the tunnel device to go")


def test_deleting_the_peering_removes_forwarding(lab):
    ec2 = lab.ec2
    _eventually(lab, "a", lab.ip["b"], True)
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=lab.peering)
    _eventually(lab, "a", lab.ip["b"], False)
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=lab.rtb1, Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
    assert {r["DestinationCidrBlock"]: r["State"] for r in routes}[CIDRS["b"]] == "blackhole"
    namespaces = sorted(gateway_namespaces() - lab.before)
    _until(lambda: not (set.intersection(*[{line.split()[0].split("@")[0] for line in host_run("ip", "-n", ns, "-br", "link").stdout.splitlines()
                                            if line.startswith("tx")} for ns in namespaces])), timeout=5, what="the peering link to go")
    _until(lambda: ec2.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[lab.peering])
           ["TransitGatewayPeeringAttachments"][0]["State"] == "deleted", what="deleted")
