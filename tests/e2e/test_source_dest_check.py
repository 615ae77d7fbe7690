"""Source/destination checking, routes through an instance (a NAT instance) and secondary private
addresses on real packets (container runtime).

One VPC: a public subnet (0.0.0.0/0 → internet gateway, public addresses on launch) holding the
NAT instance A, and a private subnet holding B, whose route table sends 0.0.0.0/0 to A. Inside A
the test turns on IPv4 forwarding and masquerading (what a NAT instance's AMI does). "The outside"
is a namespace connected to the host (192.0.2.x, see test_nat_peering.py) running a TCP server that
answers with the address the connection came from.

- With A's source/destination check on (the default) B's packets routed to A are not addressed to
  A and never reach it; with ModifyInstanceAttribute SourceDestCheck=false B reaches the outside
  from A's public address; turning the check back on cuts it again.
- A network interface in the private subnet attached to the running A (hot-plug) appears in A as
  eth1 with the interface's MAC and address, and A reaches B through it; detached, it is gone.
- An address A's guest adds to itself without AssignPrivateIpAddresses is spoofed and dropped;
  once assigned it answers (Stratus does not configure it inside the guest, as AWS does not on
  images without ec2-net-utils); once unassigned it is dropped again.

Guest commands run in the guests' own network namespaces (`ip netns exec s-<instance id>`). Needs
root, crun, nftables, socat and the minimal image; anything missing FAILS. Everything is removed
at the end, even on failure.
"""

from __future__ import annotations

import json
import time

import pytest

from conftest import GUESTS_GROUP
from guests import (GuestLab, Outside, first_zone, guest_ns, guest_server, helper_processes, host_run, internet_gateway, subnet_route_table, tcp_echo, tcp_from,
                    until_equal)

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

VPC = "10.83.0.0/16"
PUBLIC, PRIVATE = "10.83.1.0/24", "10.83.2.0/24"
OUTSIDE = Outside("outside", "sto", "192.0.2")  # as test_nat_peering's
OUTSIDE_IP = OUTSIDE.ip


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    try:
        with guest_server(stratus_binary, tmp_path_factory, "sdcheck", tools=("socat",)) as srv, helper_processes() as listeners:
            OUTSIDE.open()
            lab = Lab()
            lab.listeners = listeners
            _setup(srv, lab)
            yield lab
    finally:
        OUTSIDE.close()


def _setup(srv, lab: Lab) -> None:
    ec2 = lab.ec2 = srv.ec2()
    guests = GuestLab(srv, ec2=ec2)
    zone = first_zone(ec2)
    vpc = ec2.create_vpc(CidrBlock=VPC)["Vpc"]["VpcId"]
    igw = internet_gateway(ec2, vpc)
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=PUBLIC, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    private = ec2.create_subnet(VpcId=vpc, CidrBlock=PRIVATE, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    subnet_route_table(ec2, vpc, public, GatewayId=igw)
    lab.private = private
    lab.private_rt = subnet_route_table(ec2, vpc, private)

    sg = lab.sg = ec2.create_security_group(GroupName="lab", Description="lab", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": VPC}]}])

    lab.a = guests.run_instances(SubnetId=public, SecurityGroupIds=[sg])[0]
    lab.b = guests.run_instances(SubnetId=private, SecurityGroupIds=[sg])[0]
    described = guests.running(lab.a, lab.b)
    lab.a_public = described[lab.a]["PublicIpAddress"]
    lab.a_eni = described[lab.a]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    lab.b_ip = described[lab.b]["PrivateIpAddress"]
    lab.a_ip = described[lab.a]["PrivateIpAddress"]
    assert "PublicIpAddress" not in described[lab.b]
    assert described[lab.a]["SourceDestCheck"] is True

    # What a NAT instance's image does: forward, and masquerade the private subnet out of eth0.
    ns = guest_ns(lab.a)
    host_run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    host_run("ip", "netns", "exec", ns, "nft", "-f", "-", input=(
        "table ip natinstance {\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
        f"\t\toifname \"eth0\" ip saddr {PRIVATE} masquerade\n\t}}\n}}\n"))


def test_a_nat_instance_forwards_only_with_its_source_dest_check_off(lab):
    ec2 = lab.ec2
    # No route: the private subnet has no way out.
    assert tcp_from(lab.b, OUTSIDE_IP, 8080) == ""
    ec2.create_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0", InstanceId=lab.a)
    route = next(r for r in ec2.describe_route_tables(RouteTableIds=[lab.private_rt])["RouteTables"][0]["Routes"]
                 if r["DestinationCidrBlock"] == "0.0.0.0/0")
    assert route["InstanceId"] == lab.a and route["NetworkInterfaceId"] == lab.a_eni and route["State"] == "active"

    # Routed to A, but A's check is on: the packets are not addressed to A and never reach it.
    time.sleep(0.5)
    assert tcp_from(lab.b, OUTSIDE_IP, 8080) == ""

    started = time.monotonic()
    ec2.modify_instance_attribute(InstanceId=lab.a, SourceDestCheck={"Value": False})
    until_equal(lambda: tcp_from(lab.b, OUTSIDE_IP, 8080), f"from-{lab.a_public}")
    print(f"forwarding through the NAT instance in effect after {time.monotonic() - started:.2f} s")
    attr = ec2.describe_instance_attribute(InstanceId=lab.a, Attribute="sourceDestCheck")
    assert attr["SourceDestCheck"]["Value"] is False
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[lab.a_eni])["NetworkInterfaces"][0]
    assert eni["SourceDestCheck"] is False

    # The interface's own attribute is the same switch.
    ec2.modify_network_interface_attribute(NetworkInterfaceId=lab.a_eni, SourceDestCheck={"Value": True})
    until_equal(lambda: tcp_from(lab.b, OUTSIDE_IP, 8080), "")
    assert ec2.describe_instances(InstanceIds=[lab.a])["Reservations"][0]["Instances"][0]["SourceDestCheck"] is True
    ec2.modify_network_interface_attribute(NetworkInterfaceId=lab.a_eni, SourceDestCheck={"Value": False})
    until_equal(lambda: tcp_from(lab.b, OUTSIDE_IP, 8080), f"from-{lab.a_public}")

    # Without the route B is cut off again, whatever the check says.
    ec2.delete_route(RouteTableId=lab.private_rt, DestinationCidrBlock="0.0.0.0/0")
    until_equal(lambda: tcp_from(lab.b, OUTSIDE_IP, 8080), "")


def test_a_secondary_private_address_answers_only_while_assigned(lab):
    ec2 = lab.ec2
    ns = guest_ns(lab.a)
    # Checking on again: a secondary address is the interface's own either way.
    ec2.modify_instance_attribute(InstanceId=lab.a, SourceDestCheck={"Value": True})
    spoofed = "10.83.1.200"
    host_run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{spoofed}/24", "dev", "eth0")
    lab.listeners.append(tcp_echo(ns, 9100, "sec-$SOCAT_PEERADDR", bind=spoofed))
    time.sleep(0.3)
    # Not the interface's address: ARP for it and packets from it are dropped at A's port.
    assert tcp_from(lab.b, spoofed, 9100) == ""

    started = time.monotonic()
    assigned = ec2.assign_private_ip_addresses(NetworkInterfaceId=lab.a_eni, PrivateIpAddresses=[spoofed])
    assert [a["PrivateIpAddress"] for a in assigned["AssignedPrivateIpAddresses"]] == [spoofed]
    until_equal(lambda: tcp_from(lab.b, spoofed, 9100), f"sec-{lab.b_ip}")
    print(f"secondary address reachable after {time.monotonic() - started:.2f} s")
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[lab.a_eni])["NetworkInterfaces"][0]
    assert spoofed in [a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"] if not a["Primary"]]

    ec2.unassign_private_ip_addresses(NetworkInterfaceId=lab.a_eni, PrivateIpAddresses=[spoofed])
    # The guest's neighbour entry for the address may outlive the assignment; the address's packets do not.
    until_equal(lambda: tcp_from(lab.b, spoofed, 9100), "")


def _link(instance_id, device):
    r = host_run("ip", "-n", guest_ns(instance_id), "-j", "addr", "show", "dev", device, check=False)
    if r.returncode != 0:
        return None
    info = json.loads(r.stdout)[0]
    return info["address"], [a["local"] for a in info.get("addr_info", []) if a.get("family") == "inet"]


def test_a_network_interface_attached_to_a_running_instance_is_hot_plugged(lab):
    ec2 = lab.ec2
    lab.listeners.append(tcp_echo(guest_ns(lab.b), 9200, "eni-$SOCAT_PEERADDR"))
    time.sleep(0.3)
    # Before: A reaches B through its subnet's router, from its primary address.
    until_equal(lambda: tcp_from(lab.a, lab.b_ip, 9200), f"eni-{lab.a_ip}")

    eni = ec2.create_network_interface(SubnetId=lab.private, Groups=[lab.sg])["NetworkInterface"]
    started = time.monotonic()
    attachment = ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=lab.a, DeviceIndex=1)["AttachmentId"]
    assert _link(lab.a, "eth1") == (eni["MacAddress"], [eni["PrivateIpAddress"]])
    print(f"eth1 in the guest {time.monotonic() - started:.2f} s after AttachNetworkInterface")
    # In B's subnet now: A reaches B directly over eth1, from the interface's address.
    until_equal(lambda: tcp_from(lab.a, lab.b_ip, 9200), f"eni-{eni['PrivateIpAddress']}")
    described = ec2.describe_instances(InstanceIds=[lab.a])["Reservations"][0]["Instances"][0]
    assert sorted(n["Attachment"]["DeviceIndex"] for n in described["NetworkInterfaces"]) == [0, 1]

    ec2.detach_network_interface(AttachmentId=attachment)
    assert _link(lab.a, "eth1") is None
    until_equal(lambda: tcp_from(lab.a, lab.b_ip, 9200), f"eni-{lab.a_ip}")
    ec2.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni["NetworkInterfaceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
