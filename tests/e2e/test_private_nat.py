"""Private NAT gateways, secondary NAT addresses and prefix-list routes on real packets (container runtime).

VPC A (10.85.0.0/16, internet gateway attached) has three subnets: a public one holding a public
NAT gateway, a "NAT" subnet holding a private NAT gateway, and a private one holding instance P.
VPC B (10.86.0.0/16) holds instance Q with a TCP server answering with the address the
connection came from; A and B are joined by an active peering connection, and B routes A's block
back through it.

- P reaches Q only while its subnet routes B's block to the private NAT gateway and the NAT
  subnet routes it on to the peering connection; Q then sees the gateway's private addresses
  (primary and secondary, connections spread over them), never P's own. A private NAT gateway's
  traffic to the internet gateway is dropped.
- "The outside" is a namespace this test creates, joined to the host by a veth (198.51.100.x,
  TEST-NET-2). P reaches it through the public NAT gateway when its subnet routes a customer
  prefix list holding the outside's block there, from the gateway's primary and secondary Elastic
  IPs; removing the block from the list (ModifyManagedPrefixList) cuts it.
- The private NAT gateway's AWS/NATGateway metrics (the server publishes every second here)
  count the connections and packets it carried.

Commands run in the guests' own network namespaces (`ip netns exec s-<instance id>`). Needs root,
crun, nftables, socat and the minimal image; anything missing FAILS the tests. Everything the test
makes is removed at the end.
"""

from __future__ import annotations

import datetime
import time

import pytest

from conftest import GUESTS_GROUP
from guests import (GuestLab, Outside, first_zone, guest_ns, guest_server, helper_processes, internet_gateway, main_route_table, subnet_route_table, tcp_echo,
                    tcp_from, until_equal)

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

OUTSIDE = Outside("pnat", "stp", "198.51.100")
OUTSIDE_IP, OUTSIDE_BLOCK = OUTSIDE.ip, OUTSIDE.block
VPC_A, VPC_B = "10.85.0.0/16", "10.86.0.0/16"


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    try:
        with guest_server(stratus_binary, tmp_path_factory, "privnat", "--metrics-interval-seconds", "1", tools=("socat",)) as srv, \
                helper_processes() as listeners:
            OUTSIDE.open()
            lab = _setup(srv)
            lab.cloudwatch = srv.client("cloudwatch")
            listeners.append(tcp_echo(guest_ns(lab.q), 9000, "peer-$SOCAT_PEERADDR"))
            time.sleep(0.3)
            yield lab
    finally:
        OUTSIDE.close()


def _setup(srv) -> Lab:
    lab = Lab()
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    zone = first_zone(ec2)

    lab.vpc_a = ec2.create_vpc(CidrBlock=VPC_A)["Vpc"]["VpcId"]
    lab.vpc_b = ec2.create_vpc(CidrBlock=VPC_B)["Vpc"]["VpcId"]
    lab.igw = internet_gateway(ec2, lab.vpc_a)

    public = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.85.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    nat_subnet = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.85.3.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.85.2.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=lab.vpc_b, CidrBlock="10.86.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]

    subnet_route_table(ec2, lab.vpc_a, public, GatewayId=lab.igw)
    lab.nat_rt = subnet_route_table(ec2, lab.vpc_a, nat_subnet)
    lab.private_rt = subnet_route_table(ec2, lab.vpc_a, private)
    lab.rt_b = main_route_table(ec2, lab.vpc_b)

    pcx = ec2.create_vpc_peering_connection(VpcId=lab.vpc_a, PeerVpcId=lab.vpc_b)["VpcPeeringConnection"]
    lab.pcx = pcx["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=lab.pcx)
    ec2.create_route(RouteTableId=lab.rt_b, DestinationCidrBlock=VPC_A, VpcPeeringConnectionId=lab.pcx)

    # The private NAT gateway, and a public one with a secondary Elastic IP.
    lab.pnat = ec2.create_nat_gateway(SubnetId=nat_subnet, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    lab.eips = [ec2.allocate_address(Domain="vpc") for _ in range(2)]
    lab.nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=lab.eips[0]["AllocationId"])["NatGateway"]["NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[lab.pnat, lab.nat], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    sg_p = ec2.create_security_group(GroupName="p", Description="p", VpcId=lab.vpc_a)["GroupId"]
    sg_q = ec2.create_security_group(GroupName="q", Description="q", VpcId=lab.vpc_b)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg_q, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "IpRanges": [{"CidrIp": VPC_A}]}])

    lab.p = guests.run_instances(SubnetId=private, SecurityGroupIds=[sg_p])[0]
    lab.q = guests.run_instances(SubnetId=subnet_b, SecurityGroupIds=[sg_q])[0]
    described = guests.running(lab.p, lab.q)
    lab.p_ip = described[lab.p]["PrivateIpAddress"]
    lab.q_ip = described[lab.q]["PrivateIpAddress"]
    return lab



def _sources(check, count=6) -> set[str]:
    return {check() for _ in range(count)}


def _nat_addresses(ec2, nat_id, key):
    nat = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    return [a[key] for a in sorted(nat["NatGatewayAddresses"], key=lambda a: not a.get("IsPrimary"))]


def test_a_private_nat_gateway_carries_a_private_subnet_to_a_peered_vpc_from_its_own_addresses(lab):
    ec2 = lab.ec2
    to_q = lambda: tcp_from(lab.p, lab.q_ip, 9000)  # noqa: E731
    primary = _nat_addresses(ec2, lab.pnat, "PrivateIp")[0]
    assert primary.startswith("10.85.3.")

    # No route from P's subnet: nothing reaches B (P's subnet does not route B's block anywhere).
    assert to_q() == ""
    # A route to the private NAT gateway, but the NAT subnet does not send B's block on: still nothing.
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock=VPC_B, NatGatewayId=lab.pnat)
    time.sleep(0.5)
    assert to_q() == ""
    # The NAT subnet routes B's block to the peering connection: P reaches Q, from the gateway's address.
    ec2.create_route(RouteTableId=lab.nat_rt, DestinationCidrBlock=VPC_B, VpcPeeringConnectionId=lab.pcx)
    until_equal(to_q, f"peer-{primary}")
    assert f"peer-{lab.p_ip}" not in _sources(to_q)

    # The gateway's AWS/NATGateway metrics count what it carried.
    def total(name):
        now = datetime.datetime.now(datetime.timezone.utc)
        points = lab.cloudwatch.get_metric_statistics(
            Namespace="AWS/NATGateway", MetricName=name, Dimensions=[{"Name": "NatGatewayId", "Value": lab.pnat}],
            StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)
    until_equal(lambda: total("ConnectionAttemptCount") >= 7 and total("PacketsOutToDestination") >= 7 * 3, True, timeout=15)
    assert total("BytesInFromDestination") > 0 and total("PacketsInFromDestination") > 0
    assert total("BytesOutToDestination") == total("BytesInFromSource")

    # A secondary private address: new connections are spread over both.
    added = ec2.assign_private_nat_gateway_address(NatGatewayId=lab.pnat, PrivateIpAddressCount=1)["NatGatewayAddresses"]
    secondary = added[0]["PrivateIp"]
    until_equal(lambda: _sources(to_q) == {f"peer-{primary}", f"peer-{secondary}"}, True)
    ec2.unassign_private_nat_gateway_address(NatGatewayId=lab.pnat, PrivateIpAddresses=[secondary])
    until_equal(lambda: _sources(to_q), {f"peer-{primary}"})

    # Without the NAT subnet's onward route the traffic stops again.
    ec2.delete_route(RouteTableId=lab.nat_rt, DestinationCidrBlock=VPC_B)
    until_equal(to_q, "")
    ec2.delete_route(RouteTableId=lab.private_rt, DestinationCidrBlock=VPC_B)


def test_a_private_nat_gateways_traffic_to_the_internet_gateway_is_dropped(lab):
    ec2 = lab.ec2
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=lab.pnat)
    ec2.create_route(RouteTableId=lab.nat_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=lab.igw)
    try:
        time.sleep(0.5)
        assert tcp_from(lab.p, OUTSIDE_IP, 8080) == ""
    finally:
        ec2.delete_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0")
        ec2.delete_route(RouteTableId=lab.nat_rt, DestinationCidrBlock="0.0.0.0/0")


def test_a_prefix_list_route_through_a_nat_gateway_with_secondary_elastic_ips(lab):
    ec2 = lab.ec2
    out = lambda: tcp_from(lab.p, OUTSIDE_IP, 8080)  # noqa: E731
    first, second = (e["PublicIp"] for e in lab.eips)
    pl = ec2.create_managed_prefix_list(PrefixListName="outside", AddressFamily="IPv4", MaxEntries=5,
                                        Entries=[{"Cidr": OUTSIDE_BLOCK}])["PrefixList"]["PrefixListId"]
    assert out() == ""
    ec2.create_route(RouteTableId=lab.private_rt, DestinationPrefixListId=pl, NatGatewayId=lab.nat)
    until_equal(out, f"from-{first}")

    # A secondary Elastic IP: new flows leave from either.
    ec2.associate_nat_gateway_address(NatGatewayId=lab.nat, AllocationIds=[lab.eips[1]["AllocationId"]])
    assert set(_nat_addresses(ec2, lab.nat, "PublicIp")) == {first, second}
    until_equal(lambda: _sources(out) == {f"from-{first}", f"from-{second}"}, True)

    # Removing the block from the list re-applies the route at once.
    version = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]["Version"]
    ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=version, RemoveEntries=[{"Cidr": OUTSIDE_BLOCK}])
    until_equal(out, "")
    version += 1
    ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=version, AddEntries=[{"Cidr": OUTSIDE_BLOCK}])
    until_equal(lambda: out() in (f"from-{first}", f"from-{second}"), True)
    ec2.delete_route(RouteTableId=lab.private_rt, DestinationPrefixListId=pl)
    until_equal(out, "")
    ec2.delete_managed_prefix_list(PrefixListId=pl)
