"""Security groups and network ACLs on real packets (container runtime).

Instances A, B and C share the default subnet, each in its own group (plus a group that lets the
host in over SSH); D sits in a second subnet of the default VPC. A and D serve HTTP on ports 8080
and 9090 (busybox httpd). Commands run inside guests over SSH with the key pair, as a user would;
the host reaches guests through their public addresses, from the VPC uplink's host address
(100.64.x.1: an outside address for the rules). Every change is measured: the time from the API
call to the first check that shows the new behaviour (checks poll; no blind sleeps); the limit is
1 s, as the issue asks.

Needs root, crun, nftables and the minimal image; anything missing FAILS the tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from conftest import GUESTS_GROUP
from guests import BOOT_TIMEOUT, GuestLab, guest_server, ssh

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

RUNTIME = os.environ.get("STRATUS_SG_RUNTIME", "container")
# Seconds from the API call to the start of the first probe that shows the change. The target is
# 1 s and the module prints every figure; the bound asserted here leaves room for one probe (an
# SSH round trip) on a machine that runs another test worker at the same time, so a change that
# never takes effect fails while a slow probe does not.
LIMIT = 2.0
TIMINGS: list[tuple[str, float]] = []

SERVE = """#!/bin/sh
mkdir -p /srv/a /srv/b
hostname > /srv/a/index.html; echo port8080 >> /srv/a/index.html
hostname > /srv/b/index.html; echo port9090 >> /srv/b/index.html
busybox httpd -p 8080 -h /srv/a
busybox httpd -p 9090 -h /srv/b
"""


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    """One server and four instances for the whole module; everything is gone at teardown."""
    try:
        with guest_server(stratus_binary, tmp_path_factory, f"sg-{RUNTIME}", runtime=RUNTIME, tools=("crun", "socat", "busybox")) as srv:
            yield _setup(srv, tmp_path_factory)
    finally:
        if TIMINGS:
            print("\nrule changes in effect after (s): " + ", ".join(f"{n}={t:.3f}" for n, t in TIMINGS))


class Lab:
    pass


def _setup(srv, tmp_path_factory) -> Lab:
    lab = Lab()
    lab.srv = srv
    guests = lab.guests = GuestLab(srv, tmp_path_factory.mktemp("sgkeys"), key_name="sg-key")
    ec2 = lab.ec2 = guests.ec2
    lab.key = guests.key_path
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    lab.vpc = vpc["VpcId"]

    def group(name):
        return guests.ssh_group(name, ports=(), vpc_id=lab.vpc)

    # Only inbound SSH: its default allow-all outbound rule would union with every instance's own group.
    lab.ssh_sg = guests.ssh_group("ssh", vpc_id=lab.vpc, egress=False)
    lab.sg_a, lab.sg_b, lab.sg_c = group("a"), group("b"), group("c")
    # A's group: port 8080 from B's group only.
    ec2.authorize_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[_tcp(8080, group=lab.sg_b)])

    subnet1 = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [lab.vpc]}, {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    subnet1 = sorted(subnet1, key=lambda s: s["AvailabilityZone"])[0]
    lab.subnet1, lab.subnet1_cidr = subnet1["SubnetId"], subnet1["CidrBlock"]
    lab.subnet2 = ec2.create_subnet(VpcId=lab.vpc, CidrBlock="172.31.128.0/20", AvailabilityZone=subnet1["AvailabilityZone"])["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=lab.subnet2, MapPublicIpOnLaunch={"Value": True})

    def run(groups, subnet, user_data=""):
        return guests.run_instances(SecurityGroupIds=groups, SubnetId=subnet, UserData=user_data)[0]

    lab.a = run([lab.sg_a, lab.ssh_sg], lab.subnet1, SERVE)
    lab.b = run([lab.sg_b, lab.ssh_sg], lab.subnet1)
    lab.c = run([lab.sg_c, lab.ssh_sg], lab.subnet1)
    lab.d = run([lab.sg_a, lab.ssh_sg], lab.subnet2, SERVE)
    ids = [lab.a, lab.b, lab.c, lab.d]
    guests.wait_running(*ids)
    for iid in ids:
        guests.wait_ssh(_public(lab, iid))
    for iid in (lab.a, lab.d):
        _until(lambda iid=iid: "port8080" in guests.ssh(_public(lab, iid), "curl -s -m 2 http://127.0.0.1:8080/").stdout, True, 60, "httpd up")
    return lab


def _tcp(port, cidr=None, group=None):
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        permission["UserIdGroupPairs"] = [{"GroupId": group}]
    return permission


def _describe(lab, iid):
    return lab.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def _public(lab, iid):
    return _describe(lab, iid)["PublicIpAddress"]


def _private(lab, iid):
    return _describe(lab, iid)["PrivateIpAddress"]


def _until(check, expected, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        if check() == expected:
            return
        assert time.monotonic() < deadline, f"{what}: never {expected}"
        time.sleep(0.2)


def _in_effect(name, check, expected, since):
    """Polls `check` until it returns `expected`; records and asserts the time from `since` (just
    before the API call) to the start of the first check that showed it."""
    deadline = since + 10
    while True:
        started = time.monotonic()
        if check() == expected:
            elapsed = started - since
            TIMINGS.append((name, elapsed))
            assert elapsed <= LIMIT, f"{name}: in effect only after {elapsed:.2f}s"
            return elapsed
        assert time.monotonic() < deadline, f"{name}: never {expected}"


def _http_from(lab, client, target_ip, port) -> bool:
    """Whether `client` gets the page of `target_ip`:`port` (curl inside the guest, 0.5 s to connect)."""
    r = lab.guests.ssh(_public(lab, client), f"curl -s --connect-timeout 0.5 -m 2 http://{target_ip}:{port}/")
    return f"port{port}" in r.stdout


def _http_from_host(ip, port) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=0.5) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            s.settimeout(2)
            return f"port{port}".encode() in s.recv(4096) + s.recv(4096)
    except OSError:
        return False


def test_a_group_reference_lets_in_one_port_from_one_group(lab):
    a = _private(lab, lab.a)
    assert _http_from(lab, lab.b, a, 8080)
    assert not _http_from(lab, lab.c, a, 8080)
    assert not _http_from(lab, lab.b, a, 9090)


def test_the_host_reaches_a_public_address_only_through_an_open_rule(lab):
    ip = _public(lab, lab.a)
    assert not _http_from_host(ip, 8080)
    t = time.monotonic()
    lab.ec2.authorize_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[_tcp(8080, cidr="0.0.0.0/0")])
    _in_effect("authorize 0.0.0.0/0", lambda: _http_from_host(ip, 8080), True, t)
    t = time.monotonic()
    lab.ec2.revoke_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[_tcp(8080, cidr="0.0.0.0/0")])
    _in_effect("revoke 0.0.0.0/0", lambda: _http_from_host(ip, 8080), False, t)
    assert not _http_from_host(ip, 9090)


def test_revoking_outbound_stops_new_connections_and_restoring_reopens(lab):
    a = _private(lab, lab.a)
    everything = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert _http_from(lab, lab.b, a, 8080)
    t = time.monotonic()
    lab.ec2.revoke_security_group_egress(GroupId=lab.sg_b, IpPermissions=[everything])
    try:
        _in_effect("revoke egress", lambda: _http_from(lab, lab.b, a, 8080), False, t)
    finally:
        t = time.monotonic()
        lab.ec2.authorize_security_group_egress(GroupId=lab.sg_b, IpPermissions=[everything])
    _in_effect("restore egress", lambda: _http_from(lab, lab.b, a, 8080), True, t)


def test_moving_an_instance_into_a_group_lets_it_in(lab):
    a = _private(lab, lab.a)
    assert not _http_from(lab, lab.c, a, 8080)
    t = time.monotonic()
    lab.ec2.modify_instance_attribute(InstanceId=lab.c, Groups=[lab.sg_b, lab.ssh_sg])
    try:
        _in_effect("modify-instance-attribute groups", lambda: _http_from(lab, lab.c, a, 8080), True, t)
        eni = _describe(lab, lab.c)["NetworkInterfaces"][0]
        assert sorted(g["GroupId"] for g in eni["Groups"]) == sorted([lab.sg_b, lab.ssh_sg])
    finally:
        lab.ec2.modify_instance_attribute(InstanceId=lab.c, Groups=[lab.sg_c, lab.ssh_sg])
    assert not _http_from(lab, lab.c, a, 8080)


def test_network_acls_are_stateless_ordered_and_per_subnet(lab):
    ec2 = lab.ec2
    d = _private(lab, lab.d)
    assert _http_from(lab, lab.b, d, 8080)  # across subnets, the default ACL allows everything
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [lab.subnet2]}])["NetworkAcls"]
    default_acl = acls[0]["NetworkAclId"]
    association = next(a["NetworkAclAssociationId"] for a in acls[0]["Associations"] if a["SubnetId"] == lab.subnet2)
    custom = ec2.create_network_acl(VpcId=lab.vpc)["NetworkAcl"]["NetworkAclId"]
    t = time.monotonic()
    association = ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=custom)["NewAssociationId"]
    try:
        # A new ACL denies everything.
        _in_effect("custom acl (deny all)", lambda: _http_from(lab, lab.b, d, 8080), False, t)
        # Inbound 8080 alone is not enough: the replies leave for B's ephemeral port.
        ec2.create_network_acl_entry(NetworkAclId=custom, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": 8080, "To": 8080})
        assert not _http_from(lab, lab.b, d, 8080)
        t = time.monotonic()
        ec2.create_network_acl_entry(NetworkAclId=custom, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=True,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": 1024, "To": 65535})
        _in_effect("acl ephemeral ports", lambda: _http_from(lab, lab.b, d, 8080), True, t)
        # A lower-numbered deny for B's subnet wins; deleting it reopens.
        t = time.monotonic()
        ec2.create_network_acl_entry(NetworkAclId=custom, RuleNumber=50, Protocol="6", RuleAction="deny", Egress=False,
                                     CidrBlock=lab.subnet1_cidr, PortRange={"From": 8080, "To": 8080})
        _in_effect("acl deny entry", lambda: _http_from(lab, lab.b, d, 8080), False, t)
        t = time.monotonic()
        ec2.delete_network_acl_entry(NetworkAclId=custom, RuleNumber=50, Egress=False)
        _in_effect("acl delete deny entry", lambda: _http_from(lab, lab.b, d, 8080), True, t)
        # Inside one subnet ACLs do not apply (B → A is untouched by anything above).
        assert _http_from(lab, lab.b, _private(lab, lab.a), 8080)
    finally:
        ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=default_acl)
        ec2.delete_network_acl(NetworkAclId=custom)
    assert _http_from(lab, lab.b, d, 8080)


def _ping(ip) -> bool:
    return subprocess.run(["busybox", "ping", "-c", "1", "-W", "1", ip], capture_output=True).returncode == 0


def _udp_listener(lab, iid, port):
    """socat in the guest's network namespace (the container's), printing what arrives on UDP `port`."""
    ns = "s-" + iid[2:]
    return subprocess.Popen(["ip", "netns", "exec", ns, "socat", "-u", f"UDP-RECV:{port}", "STDOUT"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _udp_reaches(ip, port, listener) -> bool:
    marker = f"m{time.monotonic_ns()}\n".encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(marker, (ip, port))
    os.set_blocking(listener.stdout.fileno(), False)
    deadline = time.monotonic() + 0.5
    seen = b""
    while time.monotonic() < deadline:
        chunk = listener.stdout.read() or b""
        seen += chunk
        if marker in seen:
            return True
        time.sleep(0.02)
    return False


def test_icmp_echo_and_udp_follow_the_rules(lab):
    ec2 = lab.ec2
    ip = _public(lab, lab.a)
    echo = {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert not _ping(ip)
    t = time.monotonic()
    ec2.authorize_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[echo])
    _in_effect("icmp echo allowed", lambda: _ping(ip), True, t)
    t = time.monotonic()
    ec2.revoke_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[echo])
    _in_effect("icmp echo revoked", lambda: _ping(ip), False, t)

    udp = {"IpProtocol": "udp", "FromPort": 5000, "ToPort": 5001, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    if RUNTIME != "container":
        return
    listener = _udp_listener(lab, lab.a, 5001)
    try:
        time.sleep(0.2)  # socat binds
        assert not _udp_reaches(ip, 5001, listener)
        t = time.monotonic()
        ec2.authorize_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[udp])
        _in_effect("udp allowed", lambda: _udp_reaches(ip, 5001, listener), True, t)
        t = time.monotonic()
        ec2.revoke_security_group_ingress(GroupId=lab.sg_a, IpPermissions=[udp])
        # A UDP "flow" from the same source port stays tracked (as on AWS); a new source port is a new flow.
        _in_effect("udp revoked", lambda: _udp_reaches(ip, 5001, listener), False, t)
    finally:
        listener.kill()
        listener.wait()


def _hostname_at(lab, ip) -> str:
    return ssh(lab.key, ip, "hostname", timeout=10, connect_timeout=1).stdout.strip()


def test_an_elastic_ip_moves_between_running_instances_at_once(lab):
    ec2 = lab.ec2
    eip = ec2.allocate_address(Domain="vpc")
    ip = eip["PublicIp"]
    name_a = "ip-" + _private(lab, lab.a).replace(".", "-")
    name_b = "ip-" + _private(lab, lab.b).replace(".", "-")
    try:
        t = time.monotonic()
        ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=lab.a)
        _in_effect("eip associate", lambda: _hostname_at(lab, ip), name_a, t)
        t = time.monotonic()
        ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=lab.b, AllowReassociation=True)
        _in_effect("eip move", lambda: _hostname_at(lab, ip), name_b, t)
    finally:
        association = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0].get("AssociationId")
        if association:
            ec2.disassociate_address(AssociationId=association)
        ec2.release_address(AllocationId=eip["AllocationId"])
    _until(lambda: _hostname_at(lab, ip), "", 5, "released address unreachable")


@pytest.fixture(scope="module")
def microvm(stratus_binary, tmp_path_factory):
    """A microVM server (one guest; TCG is slow, so this runtime gets a single case)."""
    try:
        with guest_server(stratus_binary, tmp_path_factory, "sg-microvm", runtime="microvm") as srv:
            yield srv
    finally:
        print("\nmicroVM rule changes in effect after (s): " + ", ".join(f"{n}={t:.3f}" for n, t in TIMINGS if n.startswith("microvm")))


def test_a_microvm_guest_is_filtered_the_same_way(microvm):
    """The filter sits on the VPC bridge, so a microVM's tap is held to the same rules."""
    guests = GuestLab(microvm)
    ec2 = guests.ec2
    sg = guests.ssh_group("web", ports=())
    ip = guests.launch(user_data=SERVE, wait_ssh=False, SecurityGroupIds=[sg])["PublicIpAddress"]
    # Open 9090 to see the guest serve at all, then check 8080 stays closed until its own rule.
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[_tcp(9090, cidr="0.0.0.0/0")])
    _until(lambda: _http_from_host(ip, 9090), True, BOOT_TIMEOUT, "microVM httpd on 9090")
    assert not _http_from_host(ip, 8080)
    t = time.monotonic()
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[_tcp(8080, cidr="0.0.0.0/0")])
    _in_effect("microvm authorize", lambda: _http_from_host(ip, 8080), True, t)
    t = time.monotonic()
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[_tcp(8080, cidr="0.0.0.0/0")])
    _in_effect("microvm revoke", lambda: _http_from_host(ip, 8080), False, t)
