"""VPC peering between Regions and between accounts on real packets (container runtime).

One server serves every Region and account. VPC A (us-east-1, the default account) holds guest
P; VPC W (us-west-2, same account) holds guest W; VPC O (us-east-1, a second account made with
`stratus account create`) holds guest O. W and O run a TCP server answering with the address
the connection came from.

Inter-Region: A requests a connection with PeerRegion; it shows in both Regions under one id,
only us-west-2 may accept it, routes on both sides carry P's connection to W once it is active,
security groups cannot name a group of the other Region, each Region changes only its own side's
DNS option (which makes the other VPC's resolver answer this side's private names), and deleting the connection in the accepter's Region cuts the traffic and turns the
requester's routes into blackholes.

Cross-account: A requests a connection with PeerOwnerId; the other account sees it and accepts
it (A cannot); O's group lets in P's group by account id and group id (UserIdGroupPairs), and P
reaches O only then.

Commands run in the guests' own network namespaces (`ip netns exec s-<instance id>`). Needs root,
crun, nftables, socat, busybox (nslookup) and the minimal image; anything missing FAILS the tests.
"""

from __future__ import annotations

import time

import pytest

from conftest import GUESTS_GROUP, code_of
from guests import GuestLab, guest_ns, guest_server, helper_processes, host_run, tcp_echo, tcp_from, until_equal, vpc_with_subnet

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

EAST, WEST = "us-east-1", "us-west-2"
VPC_A, VPC_W, VPC_O = "10.83.0.0/16", "10.84.0.0/16", "10.85.0.0/16"
DNS_A, DNS_W = "10.83.0.2", "10.84.0.2"


def _resolve(instance_id, name, server):
    """The address the VPC resolver at `server` gives `name`, asked from the guest's namespace (None when none)."""
    r = host_run("ip", "netns", "exec", guest_ns(instance_id), "busybox", "nslookup", name, server, check=False, timeout=10)
    answer = r.stdout.split("Name:", 1)
    if r.returncode != 0 or len(answer) < 2:
        return None
    for line in answer[1].splitlines():
        if line.strip().startswith("Address"):
            return line.split()[-1]
    return None


def _until(check, expected, timeout=10.0):
    return until_equal(check, expected, timeout, interval=0.2)


class Side:
    """One VPC with a subnet, a group and a guest, in one client's account and Region."""

    def __init__(self, srv, ec2, cidr: str, name: str):
        self.ec2 = ec2
        guests = GuestLab(srv, ec2=ec2)
        self.vpc, self.subnet, self.rt = vpc_with_subnet(ec2, cidr)
        self.owner = ec2.describe_vpcs(VpcIds=[self.vpc])["Vpcs"][0]["OwnerId"]
        self.sg = ec2.create_security_group(GroupName=name, Description=name, VpcId=self.vpc)["GroupId"]
        self.instance = guests.run_instances(SubnetId=self.subnet, SecurityGroupIds=[self.sg])[0]
        self.guests = guests

    def ready(self):
        self.guests.wait_running(self.instance)
        self.ip = self.guests.describe(self.instance)["PrivateIpAddress"]

    def terminate(self):
        self.guests.terminate(self.instance)


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "xpeer", tools=("socat", "busybox")) as srv:
        sides = []
        try:
            lab = Lab()
            lab.srv = srv
            lab.east, lab.west = srv.ec2(EAST), srv.ec2(WEST)
            lab.other = srv.ec2(EAST, credentials=srv.create_account("peering-other"))
            lab.a = Side(srv, lab.east, VPC_A, "p")
            sides.append(lab.a)
            lab.w = Side(srv, lab.west, VPC_W, "w")
            sides.append(lab.w)
            lab.o = Side(srv, lab.other, VPC_O, "o")
            sides.append(lab.o)
            for side in sides:
                side.ready()
            assert lab.o.owner != lab.a.owner and lab.w.owner == lab.a.owner
            with helper_processes() as listeners:
                for side in (lab.w, lab.o):
                    listeners.append(tcp_echo(guest_ns(side.instance), 9000, "peer-$SOCAT_PEERADDR"))
                time.sleep(0.3)
                yield lab
        finally:
            # The server's teardown terminates the default account's us-east-1 guests only.
            for side in sides[1:]:
                side.terminate()


def test_inter_region_peering_is_accepted_in_the_accepter_region_and_carries_packets(lab):
    east, west, a, w = lab.east, lab.west, lab.a, lab.w
    # The guests' group lets in the other VPC's block (a group of another Region cannot be named).
    west.authorize_security_group_ingress(GroupId=w.sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "IpRanges": [{"CidrIp": VPC_A}]}])
    assert tcp_from(a.instance, w.ip, 9000) == ""

    assert code_of(lambda: east.create_vpc_peering_connection(VpcId=a.vpc, PeerVpcId=w.vpc, PeerRegion="mars-north-1")) == "InvalidParameterValue"
    created = east.create_vpc_peering_connection(VpcId=a.vpc, PeerVpcId=w.vpc, PeerRegion=WEST)["VpcPeeringConnection"]
    pcx = created["VpcPeeringConnectionId"]
    assert created["Status"]["Code"] == "initiating-request"
    assert created["AccepterVpcInfo"]["Region"] == WEST and created["RequesterVpcInfo"]["Region"] == EAST
    for client in (east, west):
        seen = client.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
        assert seen["Status"]["Code"] == "pending-acceptance"
        assert seen["AccepterVpcInfo"]["VpcId"] == w.vpc and seen["RequesterVpcInfo"]["VpcId"] == a.vpc
    # A third Region does not know it.
    assert code_of(lambda: lab.srv.ec2("eu-west-1").describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])) == "InvalidVpcPeeringConnectionID.NotFound"
    # Only the accepter's Region accepts.
    assert code_of(lambda: east.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)) == "OperationNotPermitted"

    # Routes may name the pending connection on both sides; they are blackholes until it is active.
    east.create_route(RouteTableId=a.rt, DestinationCidrBlock=VPC_W, VpcPeeringConnectionId=pcx)
    west.create_route(RouteTableId=w.rt, DestinationCidrBlock=VPC_A, VpcPeeringConnectionId=pcx)
    assert tcp_from(a.instance, w.ip, 9000) == ""

    accepted = west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)["VpcPeeringConnection"]
    assert accepted["AccepterVpcInfo"]["CidrBlock"] == VPC_W
    east.get_waiter("vpc_peering_connection_exists").wait(
        VpcPeeringConnectionIds=[pcx], Filters=[{"Name": "status-code", "Values": ["active"]}], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    for client, rt in ((east, a.rt), (west, w.rt)):
        routes = client.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
        assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx] == ["active"]
    _until(lambda: tcp_from(a.instance, w.ip, 9000), f"peer-{a.ip}")

    # Security groups cannot reference a group of the peer VPC across Regions.
    assert code_of(lambda: west.authorize_security_group_ingress(GroupId=w.sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 9001, "ToPort": 9001, "UserIdGroupPairs": [{"GroupId": a.sg, "UserId": a.owner}]}])) == "InvalidGroup.NotFound"

    # Each Region changes its own side's DNS option only; a side's option lets the other VPC's
    # resolver answer this side's private names.
    w_name = "ip-" + w.ip.replace(".", "-") + ".us-west-2.compute.internal"
    a_name = "ip-" + a.ip.replace(".", "-") + ".ec2.internal"
    assert _resolve(a.instance, w_name, DNS_A) is None and _resolve(w.instance, a_name, DNS_W) is None
    assert code_of(lambda: east.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})) == "OperationNotPermitted"
    east.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    _until(lambda: _resolve(w.instance, a_name, DNS_W), a.ip)
    assert _resolve(a.instance, w_name, DNS_A) is None
    west.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    _until(lambda: _resolve(a.instance, w_name, DNS_A), w.ip)
    seen = west.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert seen["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert seen["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True

    # Deleting it in the accepter's Region cuts the traffic and blackholes the requester's routes.
    west.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    _until(lambda: tcp_from(a.instance, w.ip, 9000), "")
    routes = east.describe_route_tables(RouteTableIds=[a.rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx] == ["blackhole"]
    _until(lambda: _resolve(a.instance, w_name, DNS_A), None)
    gone = east.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert gone["Status"]["Code"] == "deleted"
    east.delete_route(RouteTableId=a.rt, DestinationCidrBlock=VPC_W)
    west.delete_route(RouteTableId=w.rt, DestinationCidrBlock=VPC_A)


def test_cross_account_peering_is_accepted_by_the_other_account_and_groups_name_its_groups(lab):
    east, other, a, o = lab.east, lab.other, lab.a, lab.o
    # A VPC id the other account does not have: the request fails (it is not refused).
    failed = east.create_vpc_peering_connection(VpcId=a.vpc, PeerVpcId="vpc-0123456789abcdef0", PeerOwnerId=o.owner)["VpcPeeringConnection"]
    seen = east.describe_vpc_peering_connections(VpcPeeringConnectionIds=[failed["VpcPeeringConnectionId"]])["VpcPeeringConnections"][0]
    assert seen["Status"]["Code"] == "failed"

    pcx = east.create_vpc_peering_connection(VpcId=a.vpc, PeerVpcId=o.vpc, PeerOwnerId=o.owner)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    pending = other.describe_vpc_peering_connections(Filters=[{"Name": "status-code", "Values": ["pending-acceptance"]}])["VpcPeeringConnections"]
    assert [p["VpcPeeringConnectionId"] for p in pending] == [pcx]
    assert pending[0]["RequesterVpcInfo"]["OwnerId"] == a.owner and pending[0]["AccepterVpcInfo"]["OwnerId"] == o.owner
    assert pending[0]["Status"]["Message"] == f"Pending Acceptance by {o.owner}"
    assert code_of(lambda: east.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)) == "OperationNotPermitted"
    other.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    east.get_waiter("vpc_peering_connection_exists").wait(
        VpcPeeringConnectionIds=[pcx], Filters=[{"Name": "status-code", "Values": ["active"]}], WaiterConfig={"Delay": 1, "MaxAttempts": 10})

    east.create_route(RouteTableId=a.rt, DestinationCidrBlock=VPC_O, VpcPeeringConnectionId=pcx)
    other.create_route(RouteTableId=o.rt, DestinationCidrBlock=VPC_A, VpcPeeringConnectionId=pcx)
    # Routed both ways, but O's group lets nothing in yet.
    time.sleep(1)
    assert tcp_from(a.instance, o.ip, 9000) == ""
    # O's group lets in P's group, named by the requester's account id and group id.
    other.authorize_security_group_ingress(GroupId=o.sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "UserIdGroupPairs": [{"GroupId": a.sg, "UserId": a.owner}]}])
    pairs = other.describe_security_groups(GroupIds=[o.sg])["SecurityGroups"][0]["IpPermissions"][0]["UserIdGroupPairs"]
    assert [(p["GroupId"], p["UserId"]) for p in pairs] == [(a.sg, a.owner)]
    _until(lambda: tcp_from(a.instance, o.ip, 9000), f"peer-{a.ip}")

    # The requester deletes it: the accepter's routes become blackholes and the traffic stops.
    east.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    _until(lambda: tcp_from(a.instance, o.ip, 9000), "")
    routes = other.describe_route_tables(RouteTableIds=[o.rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx] == ["blackhole"]
