"""Networking inside microVM guests (QEMU under TCG when KVM is missing): IPv6 and network
interfaces hot-plugged into running guests.

Two microVMs, A and B, in a dual-stack subnet of the default VPC (an Amazon-provided /56 on the
VPC, a /64 on the subnet, one IPv6 address each). Everything is checked inside the guests over SSH
with the key pair, as a user would:

- IPv6: each guest configures its IPv6 address from IMDS (`ipv6s`, `subnet-ipv6-cidr-blocks`) with
  a default route via its subnet's router, and A reaches B over IPv4 and IPv6.
- Hot-plug: AttachNetworkInterface on running A plugs a `virtio-net-pci` device with the
  interface's MAC into the PCIe root port of its device index (QMP `netdev_add` + `device_add`);
  the guest names it `eth1`, configures it by DHCP (the lease crosses the new tap and the VPC
  bridge) and gives it a routing table of its own; B reaches the interface's address; after
  DetachNetworkInterface (`device_del` + `netdev_del`) `eth1` is gone from the guest.

Needs root, qemu-system-x86_64, nftables and the minimal image (with a kernel that has PCIe
native hot-plug: guest/kernel/stratus.config); anything missing FAILS the tests. Two boots only.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import time

import pytest

from conftest import GUESTS_GROUP, ServerFactory, minimal_ami
from guests import BOOT_TIMEOUT, IMAGE_DIR, assert_nothing_left, require_host, ssh, terminate_all, wait_ssh

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    require_host()
    if shutil.which("qemu-system-x86_64") is None:
        pytest.fail("microVM tests need qemu-system-x86_64", pytrace=False)
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("microvm-net")))
    srv = factory(name="stratus-microvm-net", extra_args=["--runtime", "microvm", "--image-dir", IMAGE_DIR])
    try:
        yield _setup(srv, tmp_path_factory)
    finally:
        try:
            terminate_all(srv)
        finally:
            factory.close()
            assert_nothing_left(srv)


def _setup(srv, tmp_path_factory) -> Lab:
    lab = Lab()
    ec2 = lab.ec2 = srv.ec2()
    lab.key = str(tmp_path_factory.mktemp("microvm-net-key") / "key.pem")
    with open(lab.key, "w") as f:
        f.write(ec2.create_key_pair(KeyName="mv")["KeyMaterial"])
    os.chmod(lab.key, 0o600)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    block = ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]
    subnet = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])[0]
    lab.subnet = subnet["SubnetId"]
    ec2.associate_subnet_cidr_block(SubnetId=lab.subnet, Ipv6CidrBlock=str(next(ipaddress.ip_network(block).subnets(new_prefix=64))))
    lab.sg = ec2.create_security_group(GroupName="mv", Description="microvm network")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=lab.sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": lab.sg}]},
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": block}]},
    ])
    ec2.authorize_security_group_egress(GroupId=lab.sg, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ids = [i["InstanceId"] for i in ec2.run_instances(
        ImageId=minimal_ami(ec2), InstanceType="t3.micro", MinCount=2, MaxCount=2, KeyName="mv", SubnetId=lab.subnet,
        SecurityGroupIds=[lab.sg], Ipv6AddressCount=1)["Instances"]]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
    described = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]}
    lab.a, lab.b = ids
    lab.public = {i: described[i]["PublicIpAddress"] for i in ids}
    lab.v6 = {i: described[i]["Ipv6Address"] for i in ids}
    started = time.monotonic()
    for i in ids:
        wait_ssh(lab.key, lab.public[i])
    print(f"\nboth microVMs answer SSH {time.monotonic() - started:.1f} s after running")
    return lab


def _in(lab, instance_id: str, command: str) -> str:
    result = ssh(lab.key, lab.public[instance_id], command, timeout=60)
    return result.stdout if result.returncode == 0 else ""


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        time.sleep(1)


def test_microvm_guests_configure_their_ipv6_address_and_reach_each_other(lab):
    for instance_id, address in lab.v6.items():
        assert address in _in(lab, instance_id, "ip -6 addr show dev eth0 scope global"), instance_id
        assert "default via" in _in(lab, instance_id, "ip -6 route show default")
    # Guest to guest over IPv4 and IPv6: B's SSH server greets A (ICMP needs root in the guest; TCP does not).
    b_private = lab.ec2.describe_instances(InstanceIds=[lab.b])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    for target in (b_private, lab.v6[lab.b]):
        _until(lambda: "SSH-2.0" in _in(lab, lab.a, f"nc -w 3 {target} 22 </dev/null | head -n 1"), 30, f"A reaches B at {target}")


def test_an_interface_attached_to_a_running_microvm_is_hot_plugged_and_unplugged(lab):
    ec2 = lab.ec2
    eni = ec2.create_network_interface(SubnetId=lab.subnet, Groups=[lab.sg])["NetworkInterface"]
    eni_id, mac, address = eni["NetworkInterfaceId"], eni["MacAddress"], eni["PrivateIpAddress"]
    started = time.monotonic()
    attachment = ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=lab.a, DeviceIndex=1)["AttachmentId"]
    shown = _until(lambda: (out := _in(lab, lab.a, "cat /sys/class/net/eth1/address; ip -4 addr show dev eth1"))
                   and f"inet {address}/" in out and out, 90, "eth1 configured in the guest")
    print(f"\neth1 up with its address {time.monotonic() - started:.1f} s after AttachNetworkInterface")
    assert shown.splitlines()[0].strip().lower() == mac.lower()
    assert f"from {address} lookup 101" in _in(lab, lab.a, "ip rule show"), "eth1 answers from its address through its own table"
    # B reaches the interface's address; A answers from it through eth1.
    _until(lambda: "SSH-2.0" in _in(lab, lab.b, f"nc -w 3 {address} 22 </dev/null | head -n 1"), 60, "B reaches the interface's address")
    assert "default via" not in _in(lab, lab.a, "ip route show dev eth1 | grep default"), "the primary interface keeps the default route"

    started = time.monotonic()
    ec2.detach_network_interface(AttachmentId=attachment)
    _until(lambda: "gone" in _in(lab, lab.a, "test -e /sys/class/net/eth1 || echo gone"), 60, "eth1 gone from the guest")
    print(f"eth1 gone {time.monotonic() - started:.1f} s after DetachNetworkInterface")
    ec2.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni_id], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    # The primary interface is untouched.
    assert lab.v6[lab.a] in _in(lab, lab.a, "ip -6 addr show dev eth0 scope global")
