"""NAT gateways and VPC peering on real packets (container runtime).

VPC A has a public subnet (0.0.0.0/0 → internet gateway) holding a NAT gateway with an Elastic
IP, and a private subnet whose instance P has no public address. "The outside" is a network
namespace this test creates and connects to the host with a veth (192.0.2.x, TEST-NET-1): a TCP
server there answers with the address the connection came from. P reaches it only while its
subnet's route table sends 0.0.0.0/0 to the NAT gateway, and then from the gateway's Elastic IP.

VPC B (no internet gateway) holds instance Q with a TCP server; Q's group lets in port 9000 from
P's group in the other VPC. P reaches Q only once the peering connection is active and both
route tables send the other VPC's block through it; deleting the connection cuts it again.

Commands run in the guests' own network namespaces (`ip netns exec s-<instance id>`), so no
SSH is needed. Needs root, crun, nftables, socat and the minimal image; anything missing FAILS
the tests. Every namespace, link and process the test makes is removed at the end.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import GUESTS_GROUP
from guests import GuestLab, guest_server, until_equal

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

SLOT = os.getpid() % 60
OUTSIDE_NS = f"stratus-outside-{os.getpid()}"
OUTSIDE_HOST_DEV = f"sto{os.getpid() % 100000}"
OUTSIDE_HOST_IP = f"192.0.2.{SLOT * 4 + 1}"
OUTSIDE_IP = f"192.0.2.{SLOT * 4 + 2}"
VPC_A, VPC_B = "10.81.0.0/16", "10.82.0.0/16"


def _run(*args, check=True, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, **kw)


class Outside:
    """A namespace standing for the internet: a veth to the host and a TCP server echoing the peer's address."""

    def __init__(self):
        self.server = None
        _run("ip", "netns", "add", OUTSIDE_NS)
        _run("ip", "link", "add", OUTSIDE_HOST_DEV, "type", "veth", "peer", "name", "eth0", "netns", OUTSIDE_NS)
        _run("ip", "addr", "add", f"{OUTSIDE_HOST_IP}/30", "dev", OUTSIDE_HOST_DEV)
        _run("ip", "link", "set", OUTSIDE_HOST_DEV, "up")
        _run("ip", "-n", OUTSIDE_NS, "addr", "add", f"{OUTSIDE_IP}/30", "dev", "eth0")
        _run("ip", "-n", OUTSIDE_NS, "link", "set", "eth0", "up")
        _run("ip", "-n", OUTSIDE_NS, "link", "set", "lo", "up")
        _run("ip", "-n", OUTSIDE_NS, "route", "add", "default", "via", OUTSIDE_HOST_IP)
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", OUTSIDE_NS, "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo from-$SOCAT_PEERADDR"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self):
        if self.server is not None:
            self.server.kill()
            self.server.wait()
        _run("ip", "link", "del", OUTSIDE_HOST_DEV, check=False)
        _run("ip", "netns", "del", OUTSIDE_NS, check=False)


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    outside = None
    listeners = []
    try:
        with guest_server(stratus_binary, tmp_path_factory, "natpeer", tools=("socat",)) as srv:
            try:
                outside = Outside()
                lab = _setup(srv)
                lab.listeners = listeners
                yield lab
            finally:
                for p in listeners:
                    p.kill()
                    p.wait()
    finally:
        if outside is not None:
            outside.close()
        left = _run("ip", "netns", "list", check=False).stdout
        assert OUTSIDE_NS not in left


class Lab:
    pass


def _setup(srv) -> Lab:
    lab = Lab()
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]

    lab.vpc_a = ec2.create_vpc(CidrBlock=VPC_A)["Vpc"]["VpcId"]
    lab.vpc_b = ec2.create_vpc(CidrBlock=VPC_B)["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=lab.vpc_a)

    lab.public = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.81.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    lab.private = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.81.2.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    lab.subnet_b = ec2.create_subnet(VpcId=lab.vpc_b, CidrBlock="10.82.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    public_rt = ec2.create_route_table(VpcId=lab.vpc_a)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=lab.public)
    lab.private_rt = ec2.create_route_table(VpcId=lab.vpc_a)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=lab.private_rt, SubnetId=lab.private)
    lab.rt_b = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [lab.vpc_b]},
                                                  {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]

    lab.eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=lab.public, AllocationId=lab.eip["AllocationId"])["NatGateway"]
    lab.nat = nat["NatGatewayId"]
    assert nat["State"] == "pending"
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[lab.nat], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    lab.sg_p = ec2.create_security_group(GroupName="p", Description="p", VpcId=lab.vpc_a)["GroupId"]
    lab.sg_q = ec2.create_security_group(GroupName="q", Description="q", VpcId=lab.vpc_b)["GroupId"]

    lab.p = guests.run_instances(SubnetId=lab.private, SecurityGroupIds=[lab.sg_p])[0]
    lab.q = guests.run_instances(SubnetId=lab.subnet_b, SecurityGroupIds=[lab.sg_q])[0]
    guests.wait_running(lab.p, lab.q)
    described = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=[lab.p, lab.q])["Reservations"] for i in r["Instances"]}
    assert "PublicIpAddress" not in described[lab.p]
    lab.q_ip = described[lab.q]["PrivateIpAddress"]
    return lab


def _tcp_from(instance_id, ip, port) -> str:
    """What a TCP server at ip:port answers to a connection from the guest's network namespace ('' when none)."""
    r = _run("ip", "netns", "exec", "s-" + instance_id[2:], "socat", "-T", "2", "-", f"TCP:{ip}:{port},connect-timeout=1",
             check=False, input="", timeout=10)
    return r.stdout.strip()


def _until(check, expected, timeout=5.0):
    return until_equal(check, expected, timeout, interval=0.2)


def test_a_private_subnet_reaches_the_outside_only_through_the_nat_gateway(lab):
    ec2 = lab.ec2
    eip = lab.eip["PublicIp"]
    nat = ec2.describe_nat_gateways(NatGatewayIds=[lab.nat])["NatGateways"][0]
    address = nat["NatGatewayAddresses"][0]
    assert address["PublicIp"] == eip and address["IsPrimary"]
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[address["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "nat_gateway" and eni["RequesterManaged"]
    assert eni["Association"]["PublicIp"] == eip

    # No route to the NAT gateway: nothing leaves the private subnet.
    assert _tcp_from(lab.p, OUTSIDE_IP, 8080) == ""
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=lab.nat)
    # Through the gateway, from its Elastic IP.
    _until(lambda: _tcp_from(lab.p, OUTSIDE_IP, 8080), f"from-{eip}")
    ec2.delete_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0")
    _until(lambda: _tcp_from(lab.p, OUTSIDE_IP, 8080), "")
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=lab.nat)
    _until(lambda: _tcp_from(lab.p, OUTSIDE_IP, 8080), f"from-{eip}")


def test_peered_vpcs_exchange_traffic_only_while_active_and_routed(lab):
    ec2 = lab.ec2
    lab.listeners.append(subprocess.Popen(
        ["ip", "netns", "exec", "s-" + lab.q[2:], "socat", "TCP-LISTEN:9000,fork,reuseaddr", "SYSTEM:echo peer-$SOCAT_PEERADDR"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(0.3)
    p_ip = ec2.describe_instances(InstanceIds=[lab.p])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    expected = f"peer-{p_ip}"
    assert _tcp_from(lab.p, lab.q_ip, 9000) == ""

    # A reference to a group of another VPC needs an active peering connection.
    with pytest.raises(Exception) as e:
        ec2.authorize_security_group_ingress(GroupId=lab.sg_q, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "UserIdGroupPairs": [{"GroupId": lab.sg_p}]}])
    assert "InvalidGroup.NotFound" in str(e.value)

    pcx = ec2.create_vpc_peering_connection(VpcId=lab.vpc_a, PeerVpcId=lab.vpc_b)["VpcPeeringConnection"]
    pcx_id = pcx["VpcPeeringConnectionId"]
    assert pcx["Status"]["Code"] == "initiating-request"
    described = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
    assert described["Status"]["Code"] == "pending-acceptance"
    # Routes may name a pending connection; they are blackholes until it is active.
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock=VPC_B, VpcPeeringConnectionId=pcx_id)
    assert _tcp_from(lab.p, lab.q_ip, 9000) == ""

    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    ec2.get_waiter("vpc_peering_connection_exists").wait(
        VpcPeeringConnectionIds=[pcx_id], Filters=[{"Name": "status-code", "Values": ["active"]}], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ec2.authorize_security_group_ingress(GroupId=lab.sg_q, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "UserIdGroupPairs": [{"GroupId": lab.sg_p}]}])
    routes = ec2.describe_route_tables(RouteTableIds=[lab.private_rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx_id] == ["active"]
    # One side's route is not enough: B has no route back.
    assert _tcp_from(lab.p, lab.q_ip, 9000) == ""
    ec2.create_route(RouteTableId=lab.rt_b, DestinationCidrBlock=VPC_A, VpcPeeringConnectionId=pcx_id)
    _until(lambda: _tcp_from(lab.p, lab.q_ip, 9000), expected)

    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    _until(lambda: _tcp_from(lab.p, lab.q_ip, 9000), "")
    routes = ec2.describe_route_tables(RouteTableIds=[lab.rt_b])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx_id] == ["blackhole"]
    deleted = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
    assert deleted["Status"]["Code"] == "deleted"


def test_deleting_the_nat_gateway_blackholes_its_route_and_cuts_the_traffic(lab):
    ec2 = lab.ec2
    ec2.delete_nat_gateway(NatGatewayId=lab.nat)
    _until(lambda: _tcp_from(lab.p, OUTSIDE_IP, 8080), "")
    routes = ec2.describe_route_tables(RouteTableIds=[lab.private_rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NatGatewayId") == lab.nat] == ["blackhole"]
    ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[lab.nat], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    gone = ec2.describe_nat_gateways(NatGatewayIds=[lab.nat])["NatGateways"][0]
    assert gone["State"] == "deleted"
    # Its Elastic IP is free again.
    address = ec2.describe_addresses(AllocationIds=[lab.eip["AllocationId"]])["Addresses"][0]
    assert "AssociationId" not in address
