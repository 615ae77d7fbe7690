"""IPv6 out of a VPC and metadata over IPv6, on container guests.

A network namespace this module creates plays the internet: an address of 2001:db8:ffff::/48 on a
veth to the host, serving HTTP. Through a `::/0` route to an internet gateway the guest fetches from
it and it reaches the guest (as the security group allows); through an egress-only internet gateway
only the guest's own flows pass; without the route nothing crosses. The guest reads its metadata at
http://[fd00:ec2::254]/ with an IMDSv2 token while HttpProtocolIpv6 is enabled, and not after
ModifyInstanceMetadataOptions disables it. Commands run in the guest's own network namespace
(`ip netns exec s-<instance id>`). Needs root, crun, curl, python3 and the minimal image; anything
missing FAILS. The namespace and veth are removed and the host's IPv6 forwarding is as before, even
on failure.
"""

from __future__ import annotations

import ipaddress
import os
import uuid

import pytest

from conftest import GUESTS_GROUP
from guests import (GuestLab, guest_ns, guest_server, helper_processes, host_run, http_get6, http_server, internet_gateway, require_host, subnet_route_table,
                    until_equal)

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

GUEST_PORT = 8081
OUTSIDE_PORT = 8080
METADATA = "fd00:ec2::254"


def _sh(script: str, check=True):
    return host_run("sh", "-c", script, check=check)


def _until(check, expected, timeout=6.0):
    return until_equal(check, expected, timeout, interval=0.3)


class Outside:
    """The internet: a namespace behind a veth on the host, in a /64 of 2001:db8:ffff::/48."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.ns, self.link = f"sxo-{tag}", f"sxo{tag}"
        word = f"{int(tag[:4], 16):x}"
        self.host, self.address = f"2001:db8:ffff:{word}::1", f"2001:db8:ffff:{word}::2"
        _sh(f"ip netns add {self.ns} && ip -n {self.ns} link set lo up"
            f" && ip link add {self.link} type veth peer name eth0 netns {self.ns}"
            f" && sysctl -qw net.ipv6.conf.{self.link}.disable_ipv6=0 net.ipv6.conf.{self.link}.accept_ra=0"
            f" && ip -6 addr add {self.host}/64 dev {self.link} nodad && ip link set {self.link} up"
            f" && ip netns exec {self.ns} sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0"
            f" && ip -n {self.ns} -6 addr add {self.address}/64 dev eth0 nodad && ip -n {self.ns} link set eth0 up"
            f" && ip -n {self.ns} -6 route add default via {self.host} dev eth0")

    def close(self):
        _sh(f"ip link del {self.link}", check=False)
        _sh(f"ip netns del {self.ns}", check=False)


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    require_host("crun", "python3")
    forwarding = open("/proc/sys/net/ipv6/conf/all/forwarding").read().strip()
    outside = None
    try:
        with helper_processes() as servers:
            outside = Outside()
            servers.append(http_server(outside.ns, OUTSIDE_PORT))
            with guest_server(stratus_binary, tmp_path_factory, "ipv6-egress", tools=("python3",)) as srv:
                lab = _setup(srv, outside)
                servers.append(http_server(lab.ns, GUEST_PORT))
                yield lab
    finally:
        if outside is not None:
            outside.close()
    users = "/run/stratus-sysctl6/users"
    if not (os.path.isdir(users) and os.listdir(users)):  # no other Stratus network on the host holds it
        assert open("/proc/sys/net/ipv6/conf/all/forwarding").read().strip() == forwarding, "the host's IPv6 forwarding is restored"


def _setup(srv, outside: Outside) -> Lab:
    lab = Lab()
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    lab.outside = outside
    vpc = ec2.create_vpc(CidrBlock="10.68.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    lab.vpc = vpc["VpcId"]
    block = ipaddress.ip_network(vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"])
    assert not block.overlaps(ipaddress.ip_network("2001:db8:ffff::/48"))
    subnet64 = str(list(block.subnets(new_prefix=64))[1])
    lab.subnet = ec2.create_subnet(VpcId=lab.vpc, CidrBlock="10.68.1.0/24", Ipv6CidrBlock=subnet64)["Subnet"]["SubnetId"]
    lab.table = subnet_route_table(ec2, lab.vpc, lab.subnet)
    lab.igw = internet_gateway(ec2, lab.vpc)
    lab.eigw = ec2.create_egress_only_internet_gateway(VpcId=lab.vpc)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    lab.sg = ec2.create_security_group(GroupName="v6-egress", Description="v6 egress", VpcId=lab.vpc)["GroupId"]
    ec2.authorize_security_group_egress(GroupId=lab.sg, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    described = guests.launch(wait_ssh=False, SubnetId=lab.subnet, SecurityGroupIds=[lab.sg], Ipv6AddressCount=1,
                              MetadataOptions={"HttpTokens": "required", "HttpProtocolIpv6": "enabled"})
    lab.instance = described["InstanceId"]
    lab.v6 = described["Ipv6Address"]
    lab.ns = guest_ns(lab.instance)
    return lab


def _route(lab, **target):
    ec2 = lab.ec2
    routes = ec2.describe_route_tables(RouteTableIds=[lab.table])["RouteTables"][0]["Routes"]
    if any(r.get("DestinationIpv6CidrBlock") == "::/0" for r in routes):
        ec2.delete_route(RouteTableId=lab.table, DestinationIpv6CidrBlock="::/0")
    if target:
        ec2.create_route(RouteTableId=lab.table, DestinationIpv6CidrBlock="::/0", **target)


def test_no_route_no_ipv6_beyond_the_vpc(lab):
    assert not http_get6(lab.ns, lab.outside.address, OUTSIDE_PORT)
    assert not http_get6(lab.outside.ns, lab.v6, GUEST_PORT)


def test_internet_gateway_carries_ipv6_both_ways_as_the_security_group_allows(lab):
    ec2 = lab.ec2
    _route(lab, GatewayId=lab.igw)
    _until(lambda: http_get6(lab.ns, lab.outside.address, OUTSIDE_PORT), True)
    assert not http_get6(lab.outside.ns, lab.v6, GUEST_PORT), "no inbound rule yet"
    rule = [{"IpProtocol": "tcp", "FromPort": GUEST_PORT, "ToPort": GUEST_PORT, "Ipv6Ranges": [{"CidrIpv6": "2001:db8:ffff::/48"}]}]
    ec2.authorize_security_group_ingress(GroupId=lab.sg, IpPermissions=rule)
    _until(lambda: http_get6(lab.outside.ns, lab.v6, GUEST_PORT), True)
    # The outside sees the guest's own address (no NAT66).
    ping = host_run("ip", "netns", "exec", lab.ns, "busybox", "ping", "-6", "-c", "1", "-W", "2", lab.outside.address, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def test_egress_only_gateway_lets_replies_back_but_nothing_in(lab):
    _route(lab, EgressOnlyInternetGatewayId=lab.eigw)
    _until(lambda: http_get6(lab.outside.ns, lab.v6, GUEST_PORT), False)
    assert http_get6(lab.ns, lab.outside.address, OUTSIDE_PORT)
    _route(lab)
    _until(lambda: http_get6(lab.ns, lab.outside.address, OUTSIDE_PORT), False)


def test_metadata_over_ipv6_with_a_token_and_not_once_disabled(lab):
    ec2 = lab.ec2

    def metadata(path="/latest/meta-data/instance-id"):
        token = host_run("ip", "netns", "exec", lab.ns, "curl", "-s", "-m", "3", "-X", "PUT", f"http://[{METADATA}]/latest/api/token",
                     "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60", check=False, timeout=10)
        if token.returncode != 0 or not token.stdout:
            return None
        got = host_run("ip", "netns", "exec", lab.ns, "curl", "-sf", "-m", "3", f"http://[{METADATA}]{path}",
                   "-H", f"X-aws-ec2-metadata-token: {token.stdout}", check=False, timeout=10)
        return got.stdout if got.returncode == 0 else None

    assert _until(metadata, lab.instance) == lab.instance
    assert metadata("/latest/meta-data/ipv6") == lab.v6
    mac = metadata("/latest/meta-data/mac")
    assert metadata(f"/latest/meta-data/network/interfaces/macs/{mac}/ipv6s") == lab.v6
    # Without a token: HttpTokens=required.
    plain = host_run("ip", "netns", "exec", lab.ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "3",
                 f"http://[{METADATA}]/latest/meta-data/instance-id", check=False)
    assert plain.stdout == "401"
    ec2.modify_instance_metadata_options(InstanceId=lab.instance, HttpProtocolIpv6="disabled")
    _until(metadata, None)
    # IPv4 metadata is unaffected.
    v4 = host_run("ip", "netns", "exec", lab.ns, "curl", "-s", "-m", "3", "-X", "PUT", "http://169.254.169.254/latest/api/token",
              "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60", check=False)
    assert v4.returncode == 0 and v4.stdout
