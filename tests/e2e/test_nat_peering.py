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

import time

import pytest

from conftest import GUESTS_GROUP
from guests import (GuestLab, Outside, first_zone, guest_ns, guest_server, helper_processes, internet_gateway, main_route_table, subnet_route_table, tcp_echo,
                    tcp_from, until_equal)

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

OUTSIDE = Outside("outside", "sto", "192.0.2")
OUTSIDE_IP = OUTSIDE.ip
VPC_A, VPC_B = "10.81.0.0/16", "10.82.0.0/16"


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    try:
        with guest_server(stratus_binary, tmp_path_factory, "natpeer", tools=("socat",)) as srv, helper_processes() as listeners:
            OUTSIDE.open()
            lab = _setup(srv)
            lab.listeners = listeners
            yield lab
    finally:
        OUTSIDE.close()


class Lab:
    pass


def _setup(srv) -> Lab:
    lab = Lab()
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    zone = first_zone(ec2)

    lab.vpc_a = ec2.create_vpc(CidrBlock=VPC_A)["Vpc"]["VpcId"]
    lab.vpc_b = ec2.create_vpc(CidrBlock=VPC_B)["Vpc"]["VpcId"]
    igw = internet_gateway(ec2, lab.vpc_a)

    lab.public = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.81.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    lab.private = ec2.create_subnet(VpcId=lab.vpc_a, CidrBlock="10.81.2.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    lab.subnet_b = ec2.create_subnet(VpcId=lab.vpc_b, CidrBlock="10.82.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    subnet_route_table(ec2, lab.vpc_a, lab.public, GatewayId=igw)
    lab.private_rt = subnet_route_table(ec2, lab.vpc_a, lab.private)
    lab.rt_b = main_route_table(ec2, lab.vpc_b)

    lab.eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=lab.public, AllocationId=lab.eip["AllocationId"])["NatGateway"]
    lab.nat = nat["NatGatewayId"]
    assert nat["State"] == "pending"
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[lab.nat], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    lab.sg_p = ec2.create_security_group(GroupName="p", Description="p", VpcId=lab.vpc_a)["GroupId"]
    lab.sg_q = ec2.create_security_group(GroupName="q", Description="q", VpcId=lab.vpc_b)["GroupId"]

    lab.p = guests.run_instances(SubnetId=lab.private, SecurityGroupIds=[lab.sg_p])[0]
    lab.q = guests.run_instances(SubnetId=lab.subnet_b, SecurityGroupIds=[lab.sg_q])[0]
    described = guests.running(lab.p, lab.q)
    assert "PublicIpAddress" not in described[lab.p]
    lab.q_ip = described[lab.q]["PrivateIpAddress"]
    return lab



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
    assert tcp_from(lab.p, OUTSIDE_IP, 8080) == ""
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=lab.nat)
    # Through the gateway, from its Elastic IP.
    until_equal(lambda: tcp_from(lab.p, OUTSIDE_IP, 8080), f"from-{eip}")
    ec2.delete_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0")
    until_equal(lambda: tcp_from(lab.p, OUTSIDE_IP, 8080), "")
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=lab.nat)
    until_equal(lambda: tcp_from(lab.p, OUTSIDE_IP, 8080), f"from-{eip}")


def test_peered_vpcs_exchange_traffic_only_while_active_and_routed(lab):
    ec2 = lab.ec2
    lab.listeners.append(tcp_echo(guest_ns(lab.q), 9000, "peer-$SOCAT_PEERADDR"))
    time.sleep(0.3)
    p_ip = ec2.describe_instances(InstanceIds=[lab.p])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    expected = f"peer-{p_ip}"
    assert tcp_from(lab.p, lab.q_ip, 9000) == ""

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
    assert tcp_from(lab.p, lab.q_ip, 9000) == ""

    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    ec2.get_waiter("vpc_peering_connection_exists").wait(
        VpcPeeringConnectionIds=[pcx_id], Filters=[{"Name": "status-code", "Values": ["active"]}], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ec2.authorize_security_group_ingress(GroupId=lab.sg_q, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000, "UserIdGroupPairs": [{"GroupId": lab.sg_p}]}])
    routes = ec2.describe_route_tables(RouteTableIds=[lab.private_rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx_id] == ["active"]
    # One side's route is not enough: B has no route back.
    assert tcp_from(lab.p, lab.q_ip, 9000) == ""
    ec2.create_route(RouteTableId=lab.rt_b, DestinationCidrBlock=VPC_A, VpcPeeringConnectionId=pcx_id)
    until_equal(lambda: tcp_from(lab.p, lab.q_ip, 9000), expected)

    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    until_equal(lambda: tcp_from(lab.p, lab.q_ip, 9000), "")
    routes = ec2.describe_route_tables(RouteTableIds=[lab.rt_b])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pcx_id] == ["blackhole"]
    deleted = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
    assert deleted["Status"]["Code"] == "deleted"


def test_deleting_the_nat_gateway_blackholes_its_route_and_cuts_the_traffic(lab):
    ec2 = lab.ec2
    ec2.delete_nat_gateway(NatGatewayId=lab.nat)
    until_equal(lambda: tcp_from(lab.p, OUTSIDE_IP, 8080), "")
    routes = ec2.describe_route_tables(RouteTableIds=[lab.private_rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NatGatewayId") == lab.nat] == ["blackhole"]
    ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[lab.nat], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    gone = ec2.describe_nat_gateways(NatGatewayIds=[lab.nat])["NatGateways"][0]
    assert gone["State"] == "deleted"
    # Its Elastic IP is free again.
    address = ec2.describe_addresses(AllocationIds=[lab.eip["AllocationId"]])["Addresses"][0]
    assert "AssociationId" not in address
