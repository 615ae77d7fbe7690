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
import json
import os
import subprocess
import time

import pytest

from conftest import GUESTS_GROUP
from guests import GuestLab, guest_server, own_netns, ssh, tcp, wait_ssh

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "microvm-net", runtime="microvm") as srv:
        yield _setup(srv, tmp_path_factory)


def _setup(srv, tmp_path_factory) -> Lab:
    lab = Lab()
    lab.srv = srv
    guests = GuestLab(srv, tmp_path_factory.mktemp("microvm-net-key"), key_name="mv")
    ec2 = lab.ec2 = guests.ec2
    lab.key = guests.key_path
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    block = ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]
    subnet = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])[0]
    lab.subnet = subnet["SubnetId"]
    ec2.associate_subnet_cidr_block(SubnetId=lab.subnet, Ipv6CidrBlock=str(next(ipaddress.ip_network(block).subnets(new_prefix=64))))
    lab.sg = ec2.create_security_group(GroupName="mv", Description="microvm network")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=lab.sg, IpPermissions=[
        tcp(22),
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": lab.sg}]},
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": block}]},
    ])
    ec2.authorize_security_group_egress(GroupId=lab.sg, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ids = guests.run_instances(count=2, SubnetId=lab.subnet, SecurityGroupIds=[lab.sg], Ipv6AddressCount=1)
    described = guests.running(*ids)
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


def _host(*command: str, stdin: str | None = None) -> str:
    result = subprocess.run(list(command), input=stdin, capture_output=True, text=True, timeout=30)
    return result.stdout + (f"[exit {result.returncode}] {result.stderr.strip()}" if result.returncode else "")


def _network_report(lab, address: str) -> str:
    """Everything that tells why B does not reach `address` (A's hot-plugged interface): the
    guests' addresses, rules, routes, neighbours and interface counters, and in the VPC namespace
    the ports (with their counters), the bridge's forwarding database, the namespace's neighbours,
    its connection tracking of the address and a count, hook by hook and port by port, of one more
    attempt's packets (a temporary table of counters before and after Stratus's own chains)."""
    b_private = lab.ec2.describe_instances(InstanceIds=[lab.b])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    out = [f"--- A ({lab.a}) ---", _in(lab, lab.a, "; ".join([
        "ip addr", "ip rule", "ip route", "echo '# table 101:'", "ip route show table 101", "ip neigh",
        f"echo '# route to B from the interface:'; ip route get {b_private} from {address}",
        "for c in all eth0 eth1; do echo \"$c: arp_ignore=$(cat /proc/sys/net/ipv4/conf/$c/arp_ignore) "
        "arp_announce=$(cat /proc/sys/net/ipv4/conf/$c/arp_announce) rp_filter=$(cat /proc/sys/net/ipv4/conf/$c/rp_filter)\"; done",
        "cat /proc/net/dev", "cat /proc/interrupts", "netstat -tn 2>/dev/null | head -n 20", "dmesg | tail -n 40", "ps w | grep -e udhcpc -e dropbear -e uevent | grep -v grep", "true"]))
        or "(no answer over SSH)"]
    out += [f"--- B ({lab.b}, {b_private}) ---",
            _in(lab, lab.b, f"ip neigh; ip route get {address}; cat /proc/net/dev; true") or "(no answer over SSH)"]
    try:
        out += _namespace_report(lab, address)
    except Exception as e:  # a report never hides the failure it explains
        out.append(f"(namespace report failed: {e!r})")
    for instance_id in (lab.a, lab.b):
        console = lab.ec2.get_console_output(InstanceId=instance_id, Latest=True).get("Output", "")
        out.append(f"--- console of {instance_id} (tail) ---\n" + console[-2500:])
    return "\n".join(out)


def _namespace_report(lab, address: str) -> list[str]:
    out = []
    network = os.path.join(lab.srv.data_dir, "host", "network")
    for ns in sorted(own_netns(lab.srv)):
        if not ns.startswith("stx-"):
            continue
        with open(os.path.join(network, ns + ".json")) as f:
            record = json.load(f)
        ports = {n["device"]: f'{n["instanceId"]} {n["networkInterfaceId"]} {n["macAddress"]} {n["privateIp"]}'
                 for n in record.get("nics", [])}
        out.append(f"--- VPC namespace {ns}: ports ---\n" + "\n".join(f"{d}: {what}" for d, what in ports.items()))
        out.append(_host("ip", "-n", ns, "-s", "link", "show"))
        out.append("--- bridge fdb ---\n" + _host("bridge", "-n", ns, "fdb", "show", "br", "br0"))
        out.append("--- neighbours ---\n" + _host("ip", "-n", ns, "neigh"))
        conntrack = _host("ip", "netns", "exec", ns, "cat", "/proc/net/nf_conntrack")
        out.append(f"--- conntrack of {address} ---\n" + "\n".join(l for l in conntrack.splitlines() if f"={address} " in l))
        # One more attempt from B, counted by port on the way into and out of the bridge, and in
        # the IP forward hook before and after Stratus's filter (priority 0).
        rules = lambda way: "".join(
            f'\t\t{way}name "{d}" ip daddr {address} counter\n\t\t{way}name "{d}" ip saddr {address} counter\n'
            f'\t\t{way}name "{d}" arp daddr ip {address} counter\n\t\t{way}name "{d}" arp saddr ip {address} counter\n' for d in ports)
        table = (f"table bridge stratus_diag {{\n\tchain pre {{\n\t\ttype filter hook prerouting priority -300; policy accept;\n{rules('iif')}\t}}\n"
                 f"\tchain post {{\n\t\ttype filter hook postrouting priority 300; policy accept;\n{rules('oif')}\t}}\n}}\n"
                 f"table ip stratus_diag {{\n\tchain before {{\n\t\ttype filter hook forward priority -10; policy accept;\n"
                 f"\t\tip daddr {address} counter\n\t\tip saddr {address} counter\n\t}}\n"
                 f"\tchain after {{\n\t\ttype filter hook forward priority 10; policy accept;\n"
                 f"\t\tip daddr {address} counter\n\t\tip saddr {address} counter\n\t}}\n}}\n")
        added = _host("ip", "netns", "exec", ns, "nft", "-f", "-", stdin=table)
        try:
            answer = _in(lab, lab.b, f"nc -w 3 {address} 22 </dev/null | head -n 1").strip()
            out.append(f"--- counters of one more attempt from B (it got {answer or 'nothing'!r}) {added} ---")
            out.append(_host("ip", "netns", "exec", ns, "nft", "list", "table", "bridge", "stratus_diag"))
            out.append(_host("ip", "netns", "exec", ns, "nft", "list", "table", "ip", "stratus_diag"))
        finally:
            _host("ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", "stratus_diag")
            _host("ip", "netns", "exec", ns, "nft", "delete", "table", "ip", "stratus_diag")
        out.append("--- ruleset ---\n" + _host("ip", "netns", "exec", ns, "nft", "list", "ruleset"))
    return out


def _until(check, timeout: float, what: str, report=None):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            details = ""
            if report is not None:
                try:
                    details = "\n" + report()
                except Exception as e:  # the report never hides the failure it explains
                    details = f"\n(report failed: {e!r})"
            raise AssertionError(f"timed out: {what}{details}")
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
    attempts = []

    def b_reaches_the_interface() -> bool:
        # Each attempt is kept (the SSH session's own outcome too: a session to B that failed is not an answer from A).
        result = ssh(lab.key, lab.public[lab.b], f"nc -w 3 {address} 22 </dev/null | head -n 1; echo nc-exit=$?", timeout=60)
        attempts.append(f"{time.monotonic() - started:.1f} s: ssh exit {result.returncode}: {result.stdout.strip()!r} {result.stderr.strip()!r}")
        return result.returncode == 0 and "SSH-2.0" in result.stdout

    started = time.monotonic()
    _until(b_reaches_the_interface, 60, "B reaches the interface's address",
           report=lambda: "attempts from B:\n" + "\n".join(attempts) + "\n" + _network_report(lab, address))
    print(f"B reached the interface {time.monotonic() - started:.1f} s after it was configured ({len(attempts)} attempts)")
    assert "default via" not in _in(lab, lab.a, "ip route show dev eth1 | grep default"), "the primary interface keeps the default route"

    started = time.monotonic()
    ec2.detach_network_interface(AttachmentId=attachment)
    _until(lambda: "gone" in _in(lab, lab.a, "test -e /sys/class/net/eth1 || echo gone"), 60, "eth1 gone from the guest")
    print(f"eth1 gone {time.monotonic() - started:.1f} s after DetachNetworkInterface")
    ec2.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni_id], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    # The primary interface is untouched.
    assert lab.v6[lab.a] in _in(lab, lab.a, "ip -6 addr show dev eth0 scope global")
