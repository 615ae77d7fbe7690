"""IPv6 in VPCs: the API on the mock runtime (boto3 and the aws CLI), then real packets between
two container guests in a dual-stack subnet.

API: Amazon-provided /56 blocks (CreateVpc and AssociateVpcCidrBlock), /64 subnet blocks
(CreateSubnet and AssociateSubnetCidrBlock), AssignIpv6AddressOnCreation, interface and instance
IPv6 addresses (RunInstances, CreateNetworkInterface, AssignIpv6Addresses/UnassignIpv6Addresses),
the filters, the default ACL and security-group entries AWS adds, ::/0 routes, the BYOIP pool
calls, and AWS's error codes for each.

Packets (container runtime): two guests of one subnet ping each other over IPv6 once their
security group allows ICMPv6 from an Ipv6Ranges peer, and not before; a guest in a second subnet
is reached through the VPC namespace's router; an address assigned to a running guest works at
once. Commands run in the guests' own network namespaces (`ip netns exec s-<instance id>`).
Needs root, crun, nftables and the minimal image; anything missing FAILS the packet tests.
"""

from __future__ import annotations

import ipaddress

import pytest
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, FAST, error_of
from guests import GuestLab, guest_ns, guest_server, host_run, ping, until_equal

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

MOCK_BOOT_SECONDS = 0.2
POOL = ipaddress.ip_network("2001:db8::/32")


def _vpc_block(vpc: dict) -> str:
    blocks = [b for b in vpc.get("Ipv6CidrBlockAssociationSet", []) if b["Ipv6CidrBlockState"]["State"] in ("associated", "associating")]
    assert len(blocks) == 1, vpc
    return blocks[0]["Ipv6CidrBlock"]


def _subnet64(block: str, index: int) -> str:
    """The index-th /64 of a /56."""
    return str(ipaddress.ip_network((int(ipaddress.ip_network(block).network_address) + (index << 64), 64)))


# --------------------------------------------------------------------------------------------
# API (mock runtime)
# --------------------------------------------------------------------------------------------

def test_vpc_gets_an_amazon_provided_56_with_default_routes_acl_and_group_rules(ec2):
    created = ec2.create_vpc(CidrBlock="10.60.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    vpc_id = created["VpcId"]
    association = created["Ipv6CidrBlockAssociationSet"][0]
    assert association["Ipv6CidrBlockState"]["State"] == "associating"
    assert association["Ipv6Pool"] == "Amazon" and association["NetworkBorderGroup"] == "us-east-1"
    block = ipaddress.ip_network(association["Ipv6CidrBlock"])
    assert block.prefixlen == 56 and block.subnet_of(POOL)

    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert described["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"]["State"] == "associated"
    for name, value in [("ipv6-cidr-block-association.ipv6-cidr-block", str(block)),
                        ("ipv6-cidr-block-association.association-id", association["AssociationId"]),
                        ("ipv6-cidr-block-association.ipv6-pool", "Amazon"),
                        ("ipv6-cidr-block-association.state", "associated")]:
        assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": name, "Values": [value]}])["Vpcs"]] == [vpc_id], name

    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"][0]
    assert {"DestinationIpv6CidrBlock": str(block), "GatewayId": "local"}.items() <= \
        next(r for r in main["Routes"] if r.get("DestinationIpv6CidrBlock") == str(block)).items()
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    v6 = sorted((e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in acl["Entries"] if e.get("Ipv6CidrBlock") == "::/0")
    assert v6 == [(101, False, "allow"), (101, True, "allow"), (32767, False, "deny"), (32767, True, "deny")]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    assert any(p["IpProtocol"] == "-1" and p.get("Ipv6Ranges") == [{"CidrIpv6": "::/0"}] for p in group["IpPermissionsEgress"])

    # A second VPC gets another block; a new route table starts with the local IPv6 route.
    other = ec2.create_vpc(CidrBlock="10.61.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    assert _vpc_block(other) != str(block)
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]
    assert any(r.get("DestinationIpv6CidrBlock") == str(block) and r["GatewayId"] == "local" for r in table["Routes"])
    ec2.delete_route_table(RouteTableId=table["RouteTableId"])
    ec2.delete_vpc(VpcId=other["VpcId"])
    ec2.delete_vpc(VpcId=vpc_id)


def test_associate_and_disassociate_vpc_block_with_the_cli(server):
    vpc_id = server.cli_json("--profile", "stratus", "ec2", "create-vpc", "--cidr-block", "10.62.0.0/16")["Vpc"]["VpcId"]
    out = server.cli_json("--profile", "stratus", "ec2", "associate-vpc-cidr-block", "--vpc-id", vpc_id, "--amazon-provided-ipv6-cidr-block")
    association = out["Ipv6CidrBlockAssociation"]
    assert out["VpcId"] == vpc_id and association["Ipv6CidrBlockState"]["State"] == "associating"
    assert ipaddress.ip_network(association["Ipv6CidrBlock"]).prefixlen == 56
    out = server.cli_json("--profile", "stratus", "ec2", "disassociate-vpc-cidr-block", "--association-id", association["AssociationId"])
    assert out["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] == "disassociating"
    assert server.cli_json("--profile", "stratus", "ec2", "describe-vpcs", "--vpc-ids", vpc_id)["Vpcs"][0].get("Ipv6CidrBlockAssociationSet", []) == []
    p = server.cli("--profile", "stratus", "ec2", "disassociate-vpc-cidr-block", "--association-id", association["AssociationId"])
    assert p.returncode != 0 and "InvalidVpcCidrBlockAssociationID.NotFound" in p.stderr
    p = server.cli("--profile", "stratus", "ec2", "associate-vpc-cidr-block", "--vpc-id", vpc_id, "--amazon-provided-ipv6-cidr-block",
                   "--ipv6-cidr-block-network-border-group", "eu-west-1")
    assert p.returncode != 0 and "InvalidParameterValue" in p.stderr
    p = server.cli("--profile", "stratus", "ec2", "associate-vpc-cidr-block", "--vpc-id", vpc_id, "--ipv6-pool", "ipv6pool-ec2-0123456789abcdef0",
                   "--ipv6-cidr-block", "2600:1f00::/56")
    assert p.returncode != 0 and "InvalidIpv6PoolID.NotFound" in p.stderr
    server.cli("--profile", "stratus", "ec2", "delete-vpc", "--vpc-id", vpc_id, check=True)


def test_vpc_block_limit_and_errors(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    for _ in range(5):
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
    with pytest.raises(ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
    assert error_of(e)[0] == "CidrLimitExceeded"
    with pytest.raises(ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId="vpc-0123456789abcdef0", AmazonProvidedIpv6CidrBlock=True)
    assert error_of(e)[0] == "InvalidVpcID.NotFound"
    for b in ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"]:
        ec2.disassociate_vpc_cidr_block(AssociationId=b["AssociationId"])
    ec2.delete_vpc(VpcId=vpc_id)


def test_subnet_blocks_64_inside_the_vpc_block(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    vpc_id, block = vpc["VpcId"], _vpc_block(vpc)
    first, second = _subnet64(block, 1), _subnet64(block, 2)
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.64.1.0/24", Ipv6CidrBlock=first)["Subnet"]
    assert subnet["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"] == first
    assert subnet["AssignIpv6AddressOnCreation"] is False
    plain = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.64.2.0/24")["Subnet"]["SubnetId"]

    for bad, code in [("2001:db8::/60", "InvalidParameterValue"), ("not-a-cidr", "InvalidParameterValue"),
                      ("2001:db9::/64", "InvalidSubnet.Range"), (first, "InvalidSubnet.Conflict")]:
        with pytest.raises(ClientError) as e:
            ec2.associate_subnet_cidr_block(SubnetId=plain, Ipv6CidrBlock=bad)
        assert error_of(e)[0] == code, bad
    with pytest.raises(ClientError) as e:
        ec2.modify_subnet_attribute(SubnetId=plain, AssignIpv6AddressOnCreation={"Value": True})
    assert error_of(e)[0] == "InvalidParameterValue" and "IPv6 CIDR block" in error_of(e)[1]

    out = ec2.associate_subnet_cidr_block(SubnetId=plain, Ipv6CidrBlock=second)
    assert out["SubnetId"] == plain and out["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] == "associating"
    with pytest.raises(ClientError) as e:
        ec2.associate_subnet_cidr_block(SubnetId=plain, Ipv6CidrBlock=_subnet64(block, 3))
    assert error_of(e)[0] == "InvalidSubnet.Conflict"
    found = ec2.describe_subnets(Filters=[{"Name": "ipv6-cidr-block-association.ipv6-cidr-block", "Values": [second]}])["Subnets"]
    assert [s["SubnetId"] for s in found] == [plain]

    ec2.modify_subnet_attribute(SubnetId=plain, AssignIpv6AddressOnCreation={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[plain])["Subnets"][0]["AssignIpv6AddressOnCreation"] is True
    with pytest.raises(ClientError) as e:
        ec2.disassociate_subnet_cidr_block(AssociationId=out["Ipv6CidrBlockAssociation"]["AssociationId"])
    assert error_of(e)[0] == "InvalidCidrBlock.InUse"
    ec2.modify_subnet_attribute(SubnetId=plain, AssignIpv6AddressOnCreation={"Value": False})
    done = ec2.disassociate_subnet_cidr_block(AssociationId=out["Ipv6CidrBlockAssociation"]["AssociationId"])
    assert done["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] == "disassociating"
    with pytest.raises(ClientError) as e:
        ec2.disassociate_subnet_cidr_block(AssociationId=out["Ipv6CidrBlockAssociation"]["AssociationId"])
    assert error_of(e)[0] == "InvalidSubnetCidrBlockAssociationID.NotFound"

    # The VPC block stays while a subnet uses it.
    with pytest.raises(ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId=vpc["Ipv6CidrBlockAssociationSet"][0]["AssociationId"])
    assert error_of(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=vpc_id, Ipv6CidrBlock=_subnet64(block, 5), Ipv6Native=True)
    assert error_of(e)[0] == "InvalidParameterValue"
    ec2.delete_subnet(SubnetId=plain)
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc_id)


def test_interfaces_and_instances_get_ipv6_addresses(ec2, ami):
    vpc = ec2.create_vpc(CidrBlock="10.65.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    vpc_id, block = vpc["VpcId"], _vpc_block(vpc)
    cidr = _subnet64(block, 0)
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.65.1.0/24", Ipv6CidrBlock=cidr)["Subnet"]["SubnetId"]
    net = ipaddress.ip_network(cidr)

    eni = ec2.create_network_interface(SubnetId=subnet, Ipv6AddressCount=2)["NetworkInterface"]
    addresses = [a["Ipv6Address"] for a in eni["Ipv6Addresses"]]
    assert len(addresses) == 2 and all(ipaddress.ip_address(a) in net for a in addresses)
    eni_id = eni["NetworkInterfaceId"]
    wanted = str(net.network_address + 0x1234)
    assigned = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[wanted])
    assert assigned["AssignedIpv6Addresses"] == [wanted]
    assigned = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6AddressCount=1)["AssignedIpv6Addresses"]
    assert len(assigned) == 1
    found = ec2.describe_network_interfaces(Filters=[{"Name": "ipv6-addresses.ipv6-address", "Values": [wanted]}])["NetworkInterfaces"]
    assert [n["NetworkInterfaceId"] for n in found] == [eni_id]
    assert len(found[0]["Ipv6Addresses"]) == 4

    for kwargs, code in [({"Ipv6Addresses": [wanted]}, "InvalidIPAddress.InUse"),
                         ({"Ipv6Addresses": [str(net.network_address + 1)]}, "InvalidParameterValue"),
                         ({"Ipv6Addresses": ["2001:db9::5"]}, "InvalidParameterValue"),
                         ({"Ipv6AddressCount": 0}, "InvalidParameterValue"),
                         ({}, "MissingParameter")]:
        other = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
        with pytest.raises(ClientError) as e:
            ec2.assign_ipv6_addresses(NetworkInterfaceId=other, **kwargs)
        assert error_of(e)[0] == code, kwargs
        ec2.delete_network_interface(NetworkInterfaceId=other)
    with pytest.raises(ClientError) as e:
        ec2.assign_ipv6_addresses(NetworkInterfaceId="eni-0123456789abcdef0", Ipv6AddressCount=1)
    assert error_of(e)[0] == "InvalidNetworkInterfaceID.NotFound"

    out = ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[wanted])
    assert out["UnassignedIpv6Addresses"] == [wanted]
    with pytest.raises(ClientError) as e:
        ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[wanted])
    assert error_of(e)[0] == "InvalidParameterValue"
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)

    # Instances: a count on RunInstances, then the subnet's AssignIpv6AddressOnCreation.
    instance = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet, Ipv6AddressCount=2)["Instances"][0]
    v6 = [a["Ipv6Address"] for a in instance["NetworkInterfaces"][0]["Ipv6Addresses"]]
    assert len(v6) == 2 and instance["Ipv6Address"] == v6[0]
    found = ec2.describe_instances(Filters=[{"Name": "network-interface.ipv6-addresses.ipv6-address", "Values": [v6[1]]}])["Reservations"]
    assert [i["InstanceId"] for r in found for i in r["Instances"]] == [instance["InstanceId"]]
    found = ec2.describe_instances(Filters=[{"Name": "ipv6-address", "Values": [v6[0]]}])["Reservations"]
    assert [i["InstanceId"] for r in found for i in r["Instances"]] == [instance["InstanceId"]]
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=2, MaxCount=2, SubnetId=subnet, Ipv6Addresses=[{"Ipv6Address": wanted}])
    assert error_of(e)[0] == "InvalidParameterCombination"
    plain = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.65.2.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=plain, Ipv6AddressCount=1)
    assert error_of(e)[0] == "InvalidParameterValue"

    ec2.modify_subnet_attribute(SubnetId=subnet, AssignIpv6AddressOnCreation={"Value": True})
    auto = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=2, MaxCount=2, SubnetId=subnet)["Instances"]
    assert all(len(i["NetworkInterfaces"][0]["Ipv6Addresses"]) == 1 for i in auto)
    ids = [instance["InstanceId"]] + [i["InstanceId"] for i in auto]
    ec2.terminate_instances(InstanceIds=ids)
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=FAST)
    ec2.delete_subnet(SubnetId=plain)


def test_routes_to_gateways_and_ipv6_acl_entries(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.66.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc_id)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock="64:ff9b::/96", GatewayId=igw)
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert any(r.get("DestinationIpv6CidrBlock") == "::/0" and r.get("EgressOnlyInternetGatewayId") == eigw for r in routes)
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]
    assert sorted((e["RuleNumber"], e["Egress"]) for e in acl["Entries"] if e.get("Ipv6CidrBlock") == "::/0") == [(32767, False), (32767, True)]
    ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=10, Protocol="58", RuleAction="allow", Egress=False,
                                 Ipv6CidrBlock="::/0", IcmpTypeCode={"Type": -1, "Code": -1})
    found = ec2.describe_network_acls(Filters=[{"Name": "entry.ipv6-cidr", "Values": ["::/0"]}, {"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    assert acl["NetworkAclId"] in [a["NetworkAclId"] for a in found]
    ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    ec2.delete_route_table(RouteTableId=table)
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc_id)


def test_byoip_pools_are_empty(ec2, server):
    assert ec2.describe_ipv6_pools()["Ipv6Pools"] == []
    assert server.cli_json("--profile", "stratus", "ec2", "describe-ipv6-pools")["Ipv6Pools"] == []
    with pytest.raises(ClientError) as e:
        ec2.describe_ipv6_pools(PoolIds=["ipv6pool-ec2-0123456789abcdef0"])
    assert error_of(e)[0] == "InvalidIpv6PoolID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.get_associated_ipv6_pool_cidrs(PoolId="ipv6pool-ec2-0123456789abcdef0")
    assert error_of(e)[0] == "InvalidIpv6PoolID.NotFound"


# --------------------------------------------------------------------------------------------
# Packets (container runtime)
# --------------------------------------------------------------------------------------------

def _ping6(instance_id: str, address: str) -> bool:
    return ping(instance_id, address, ipv6=True)


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "ipv6", tools=("busybox",)) as srv:
        yield _setup(srv)


class Lab:
    pass


def _setup(srv) -> Lab:
    lab = Lab()
    guests = GuestLab(srv)
    ec2 = lab.ec2 = guests.ec2
    vpc = ec2.create_vpc(CidrBlock="10.67.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    lab.vpc = vpc["VpcId"]
    block = _vpc_block(vpc)
    lab.subnet = ec2.create_subnet(VpcId=lab.vpc, CidrBlock="10.67.1.0/24", Ipv6CidrBlock=_subnet64(block, 1))["Subnet"]["SubnetId"]
    lab.other = ec2.create_subnet(VpcId=lab.vpc, CidrBlock="10.67.2.0/24", Ipv6CidrBlock=_subnet64(block, 2))["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=lab.subnet, AssignIpv6AddressOnCreation={"Value": True})
    lab.sg = ec2.create_security_group(GroupName="v6", Description="v6", VpcId=lab.vpc)["GroupId"]
    ec2.authorize_security_group_egress(GroupId=lab.sg, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])

    def run(subnet, **kw):
        return guests.run_instances(SubnetId=subnet, SecurityGroupIds=[lab.sg], **kw)[0]

    lab.a = run(lab.subnet)
    lab.b = run(lab.subnet)
    lab.c = run(lab.other, Ipv6AddressCount=1)
    ids = [lab.a, lab.b, lab.c]
    described = guests.running(*ids)
    lab.v6 = {i: described[i]["Ipv6Address"] for i in ids}
    return lab


def test_guests_see_their_ipv6_address_and_route(lab):
    for instance_id, address in lab.v6.items():
        shown = host_run("ip", "netns", "exec", guest_ns(instance_id), "ip", "-6", "addr", "show", "dev", "eth0", "scope", "global").stdout
        assert address in shown, shown
        route = host_run("ip", "netns", "exec", guest_ns(instance_id), "ip", "-6", "route", "show", "default").stdout
        assert "via" in route, route


def test_icmpv6_echo_needs_an_ipv6_rule_then_two_guests_ping_each_other(lab):
    ec2 = lab.ec2
    assert not _ping6(lab.a, lab.v6[lab.b])
    ec2.authorize_security_group_ingress(GroupId=lab.sg, IpPermissions=[
        {"IpProtocol": "icmpv6", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    until_equal(lambda: _ping6(lab.a, lab.v6[lab.b]), True)
    assert _ping6(lab.b, lab.v6[lab.a])
    # Between subnets through the VPC namespace's router.
    until_equal(lambda: _ping6(lab.a, lab.v6[lab.c]), True)
    # An IPv4 rule does not let IPv6 in.
    ec2.revoke_security_group_ingress(GroupId=lab.sg, IpPermissions=[
        {"IpProtocol": "icmpv6", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=lab.sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    until_equal(lambda: _ping6(lab.a, lab.v6[lab.b]), False)


def test_an_address_assigned_to_a_running_guest_works_at_once(lab):
    ec2 = lab.ec2
    ec2.authorize_security_group_ingress(GroupId=lab.sg, IpPermissions=[
        {"IpProtocol": "58", "FromPort": 128, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    eni = ec2.describe_instances(InstanceIds=[lab.b])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    added = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6AddressCount=1)["AssignedIpv6Addresses"][0]
    until_equal(lambda: _ping6(lab.a, added), True)
    ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6Addresses=[added])
    until_equal(lambda: _ping6(lab.a, added), False)
