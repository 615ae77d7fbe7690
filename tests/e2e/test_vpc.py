"""VPCs beyond the default one: a Terraform-style build (VPC, public and private subnets in two
zones, internet gateway, public route table, custom network ACL, a network interface with a
chosen address), the botocore waiters, every error path with AWS's code, and teardown in
dependency order."""

import ipaddress
import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import code_of, default_vpc, tags_dict

FAST = {"Delay": 1, "MaxAttempts": 3}


def tag_spec(kind, **tags):
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


@pytest.fixture(scope="module")
def build(ec2):
    """The whole network, built the way Terraform's aws provider does it."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tag_spec("vpc", Name="main"))["Vpc"]
    vid = vpc["VpcId"]
    ec2.get_waiter("vpc_exists").wait(VpcIds=[vid], WaiterConfig=FAST)
    ec2.get_waiter("vpc_available").wait(VpcIds=[vid], WaiterConfig=FAST)
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": True})
    subnets = {}
    for name, cidr, az in [("public-a", "10.0.1.0/24", "us-east-1a"), ("public-b", "10.0.2.0/24", "us-east-1b"),
                           ("private-a", "10.0.11.0/24", "us-east-1a"), ("private-b", "10.0.12.0/24", "us-east-1b")]:
        subnets[name] = ec2.create_subnet(VpcId=vid, CidrBlock=cidr, AvailabilityZone=az,
                                          TagSpecifications=tag_spec("subnet", Name=name))["Subnet"]
    ec2.get_waiter("subnet_available").wait(SubnetIds=[s["SubnetId"] for s in subnets.values()], WaiterConfig=FAST)
    for name in ("public-a", "public-b"):
        ec2.modify_subnet_attribute(SubnetId=subnets[name]["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=tag_spec("internet-gateway", Name="gw"))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vid)
    rtb = ec2.create_route_table(VpcId=vid, TagSpecifications=tag_spec("route-table", Name="public"))["RouteTable"]
    assert ec2.create_route(RouteTableId=rtb["RouteTableId"], DestinationCidrBlock="0.0.0.0/0",
                            GatewayId=igw["InternetGatewayId"])["Return"] is True
    assocs = {}
    for name in ("public-a", "public-b"):
        assocs[name] = ec2.associate_route_table(RouteTableId=rtb["RouteTableId"], SubnetId=subnets[name]["SubnetId"])
    acl = ec2.create_network_acl(VpcId=vid, TagSpecifications=tag_spec("network-acl", Name="private"))["NetworkAcl"]
    aid = acl["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=aid, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                 CidrBlock="10.0.0.0/16", PortRange={"From": 443, "To": 443})
    ec2.create_network_acl_entry(NetworkAclId=aid, RuleNumber=110, Protocol="-1", RuleAction="allow", Egress=True,
                                 CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=aid, RuleNumber=120, Protocol="1", RuleAction="allow", Egress=False,
                                 CidrBlock="10.0.0.0/16", IcmpTypeCode={"Type": -1, "Code": -1})
    eni = ec2.create_network_interface(SubnetId=subnets["private-a"]["SubnetId"], PrivateIpAddress="10.0.11.50",
                                       Description="app", TagSpecifications=tag_spec("network-interface", Name="app"))["NetworkInterface"]
    ec2.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni["NetworkInterfaceId"]], WaiterConfig=FAST)
    return {"vpc": vpc, "subnets": subnets, "igw": igw, "rtb": rtb, "assocs": assocs, "acl": acl, "eni": eni}


def test_vpc_created_with_its_defaults(ec2, build):
    vpc = build["vpc"]
    vid = vpc["VpcId"]
    assert re.fullmatch(r"vpc-[0-9a-f]{17}", vid)
    assert vpc["CidrBlock"] == "10.0.0.0/16" and vpc["IsDefault"] is False
    assert vpc["InstanceTenancy"] == "default"
    assert tags_dict(vpc) == {"Name": "main"}
    described = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
    assert described["State"] == "available"
    assert described["DhcpOptionsId"] == default_vpc(ec2)["DhcpOptionsId"]
    vf = [{"Name": "vpc-id", "Values": [vid]}]
    main = ec2.describe_route_tables(Filters=vf + [{"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(main) == 1
    assert main[0]["Routes"] == [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
                                  "Origin": "CreateRouteTable", "State": "active"}]
    acls = ec2.describe_network_acls(Filters=vf + [{"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    assert len(acls) == 1
    assert sorted(e["RuleNumber"] for e in acls[0]["Entries"]) == [100, 100, 32767, 32767]
    # new subnets use the default ACL
    assert {a["SubnetId"] for a in acls[0]["Associations"]} == {s["SubnetId"] for s in build["subnets"].values()} - set()
    sgs = ec2.describe_security_groups(Filters=vf)["SecurityGroups"]
    assert [g["GroupName"] for g in sgs] == ["default"]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["main"]}])["Vpcs"][0]["VpcId"] == vid


def test_vpc_attributes(ec2, build):
    vid = build["vpc"]["VpcId"]
    for attribute, key, expected in [("enableDnsSupport", "EnableDnsSupport", True),
                                     ("enableDnsHostnames", "EnableDnsHostnames", True),
                                     ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics", False)]:
        r = ec2.describe_vpc_attribute(VpcId=vid, Attribute=attribute)
        assert r["VpcId"] == vid and r[key]["Value"] is expected
    ec2.modify_vpc_attribute(VpcId=vid, EnableNetworkAddressUsageMetrics={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableNetworkAddressUsageMetrics")["EnableNetworkAddressUsageMetrics"]["Value"] is True
    # DNS support can't go while hostnames are on
    assert code_of(ec2.modify_vpc_attribute, VpcId=vid, EnableDnsSupport={"Value": False}) == "InvalidParameterValue"
    assert code_of(ec2.describe_vpc_attribute, VpcId="vpc-00000000000000000", Attribute="enableDnsSupport") == "InvalidVpcID.NotFound"


def test_subnets(ec2, build):
    subnets = build["subnets"]
    a = subnets["public-a"]
    assert a["AvailableIpAddressCount"] == 256 - 5
    assert a["AvailabilityZone"] == "us-east-1a" and a["AvailabilityZoneId"] == "use1-az1"
    assert a["DefaultForAz"] is False and a["MapPublicIpOnLaunch"] is False
    vid = build["vpc"]["VpcId"]
    got = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}, {"Name": "map-public-ip-on-launch", "Values": ["true"]}])["Subnets"]
    assert {s["SubnetId"] for s in got} == {subnets["public-a"]["SubnetId"], subnets["public-b"]["SubnetId"]}
    got = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["private-*"]}])["Subnets"]
    assert {s["CidrBlock"] for s in got} == {"10.0.11.0/24", "10.0.12.0/24"}
    # by zone id, and pagination
    s = ec2.create_subnet(VpcId=vid, CidrBlock="10.0.100.0/28", AvailabilityZoneId="use1-az3")["Subnet"]
    assert s["AvailabilityZone"] == "us-east-1c" and s["AvailableIpAddressCount"] == 11
    pages = list(ec2.get_paginator("describe_subnets").paginate(
        Filters=[{"Name": "vpc-id", "Values": [vid]}], PaginationConfig={"PageSize": 5}))
    assert sum(len(p["Subnets"]) for p in pages) == 5 and len(pages) == 1 or sum(len(p["Subnets"]) for p in pages) == 5
    ec2.delete_subnet(SubnetId=s["SubnetId"])
    assert code_of(ec2.describe_subnets, SubnetIds=[s["SubnetId"]]) == "InvalidSubnetID.NotFound"


@pytest.mark.parametrize("cidr,code", [
    ("10.0.1.0/24", "InvalidSubnet.Conflict"),
    ("10.0.0.0/20", "InvalidSubnet.Conflict"),
    ("10.1.0.0/24", "InvalidSubnet.Range"),
    ("10.0.200.0/29", "InvalidSubnet.Range"),
    ("10.0.0.0/15", "InvalidSubnet.Range"),
    ("10.0.300.0/24", "InvalidParameterValue"),
    ("10.0.1.1/24", "InvalidParameterValue"),
])
def test_create_subnet_errors(ec2, build, cidr, code):
    assert code_of(ec2.create_subnet, VpcId=build["vpc"]["VpcId"], CidrBlock=cidr) == code


def test_create_subnet_zone_errors(ec2, build):
    vid = build["vpc"]["VpcId"]
    assert code_of(ec2.create_subnet, VpcId=vid, CidrBlock="10.0.50.0/24", AvailabilityZone="us-west-2a") == "InvalidParameterValue"
    assert code_of(ec2.create_subnet, VpcId=vid, CidrBlock="10.0.50.0/24", AvailabilityZoneId="use1-az9") == "InvalidParameterValue"
    assert code_of(ec2.create_subnet, VpcId="vpc-00000000000000000", CidrBlock="10.0.50.0/24") == "InvalidVpcID.NotFound"
    assert code_of(ec2.create_subnet, VpcId="vpc-zz", CidrBlock="10.0.50.0/24") == "InvalidVpcID.Malformed"
    assert code_of(ec2.create_subnet, VpcId=vid, CidrBlock="10.0.50.0/24",
                   TagSpecifications=tag_spec("vpc", Name="x")) == "InvalidParameterValue"


@pytest.mark.parametrize("cidr,code", [
    ("10.0.0.0/8", "InvalidVpc.Range"),
    ("10.0.0.0/29", "InvalidVpc.Range"),
    ("10.0.0.1/16", "InvalidParameterValue"),
    ("not-a-cidr", "InvalidParameterValue"),
    ("256.0.0.0/16", "InvalidParameterValue"),
])
def test_create_vpc_errors(ec2, cidr, code):
    assert code_of(ec2.create_vpc, CidrBlock=cidr) == code


def test_create_vpc_tenancy_and_dry_run(ec2):
    assert code_of(ec2.create_vpc, CidrBlock="10.9.0.0/16", InstanceTenancy="host") == "InvalidParameterValue"
    assert code_of(ec2.create_vpc, CidrBlock="10.9.0.0/16", DryRun=True) == "DryRunOperation"
    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])["Vpcs"] == []
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/28", InstanceTenancy="dedicated")["Vpc"]
    assert vpc["InstanceTenancy"] == "dedicated"
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    assert code_of(ec2.delete_vpc, VpcId=vpc["VpcId"]) == "InvalidVpcID.NotFound"


def test_internet_gateway(ec2, build):
    igw = build["igw"]
    gid, vid = igw["InternetGatewayId"], build["vpc"]["VpcId"]
    got = ec2.describe_internet_gateways(InternetGatewayIds=[gid])["InternetGateways"][0]
    assert got["Attachments"] == [{"State": "available", "VpcId": vid}]
    assert tags_dict(got) == {"Name": "gw"}
    ec2.get_waiter("internet_gateway_exists").wait(InternetGatewayIds=[gid], WaiterConfig=FAST)
    # one VPC per gateway, one gateway per VPC
    other = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert code_of(ec2.attach_internet_gateway, InternetGatewayId=gid, VpcId=vid) == "Resource.AlreadyAssociated"
    assert code_of(ec2.attach_internet_gateway, InternetGatewayId=other, VpcId=vid) == "Resource.AlreadyAssociated"
    assert code_of(ec2.attach_internet_gateway, InternetGatewayId=gid, VpcId=default_vpc(ec2)["VpcId"]) == "Resource.AlreadyAssociated"
    assert code_of(ec2.detach_internet_gateway, InternetGatewayId=other, VpcId=vid) == "Gateway.NotAttached"
    assert code_of(ec2.delete_internet_gateway, InternetGatewayId=gid) == "DependencyViolation"
    assert code_of(ec2.attach_internet_gateway, InternetGatewayId="igw-00000000000000000", VpcId=vid) == "InvalidInternetGatewayID.NotFound"
    assert code_of(ec2.attach_internet_gateway, InternetGatewayId="igw-x", VpcId=vid) == "InvalidInternetGatewayId.Malformed"
    ec2.delete_internet_gateway(InternetGatewayId=other)
    assert code_of(ec2.delete_internet_gateway, InternetGatewayId=other) == "InvalidInternetGatewayID.NotFound"


def test_public_route_table(ec2, build):
    rtb_id = build["rtb"]["RouteTableId"]
    gid = build["igw"]["InternetGatewayId"]
    table = ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]
    routes = {r["DestinationCidrBlock"]: r for r in table["Routes"]}
    assert routes["10.0.0.0/16"]["GatewayId"] == "local"
    assert routes["0.0.0.0/0"]["GatewayId"] == gid and routes["0.0.0.0/0"]["Origin"] == "CreateRoute"
    assert {a["SubnetId"] for a in table["Associations"]} == {build["subnets"]["public-a"]["SubnetId"], build["subnets"]["public-b"]["SubnetId"]}
    assert all(a["Main"] is False and a["AssociationState"]["State"] == "associated" for a in table["Associations"])
    got = ec2.describe_route_tables(Filters=[{"Name": "route.gateway-id", "Values": [gid]}])["RouteTables"]
    assert [t["RouteTableId"] for t in got] == [rtb_id]
    got = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [build["subnets"]["public-b"]["SubnetId"]]}])["RouteTables"]
    assert [t["RouteTableId"] for t in got] == [rtb_id]


def test_route_errors(ec2, build):
    rtb_id, gid = build["rtb"]["RouteTableId"], build["igw"]["InternetGatewayId"]
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gid) == "RouteAlreadyExists"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="10.0.0.0/16", GatewayId=gid) == "RouteAlreadyExists"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="10.0.5.0/24", GatewayId=gid) == "InvalidParameterValue"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16") == "InvalidParameterCombination"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", GatewayId="igw-00000000000000000") == "InvalidInternetGatewayID.NotFound"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", NatGatewayId="nat-00000000000000000") == "InvalidNatGatewayID.NotFound"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", InstanceId="i-00000000000000000") == "InvalidInstanceID.NotFound"
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", NetworkInterfaceId="eni-00000000000000000") == "InvalidNetworkInterfaceID.NotFound"
    assert code_of(ec2.create_route, RouteTableId="rtb-00000000000000000", DestinationCidrBlock="192.168.0.0/16", GatewayId=gid) == "InvalidRouteTableID.NotFound"
    assert code_of(ec2.create_route, RouteTableId="rtb-nope", DestinationCidrBlock="192.168.0.0/16", GatewayId=gid) == "InvalidRouteTableId.Malformed"
    # a gateway of another VPC
    default_igw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [default_vpc(ec2)["VpcId"]]}])["InternetGateways"][0]
    assert code_of(ec2.create_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", GatewayId=default_igw["InternetGatewayId"]) == "InvalidParameterValue"
    # the local route stays
    assert code_of(ec2.delete_route, RouteTableId=rtb_id, DestinationCidrBlock="10.0.0.0/16") == "InvalidParameterValue"
    assert code_of(ec2.replace_route, RouteTableId=rtb_id, DestinationCidrBlock="10.0.0.0/16", GatewayId=gid) == "InvalidParameterValue"
    assert code_of(ec2.delete_route, RouteTableId=rtb_id, DestinationCidrBlock="172.16.0.0/12") == "InvalidRoute.NotFound"
    assert code_of(ec2.replace_route, RouteTableId=rtb_id, DestinationCidrBlock="172.16.0.0/12", GatewayId=gid) == "InvalidRoute.NotFound"


def test_route_to_network_interface_replace_and_delete(ec2, build):
    rtb_id, eni_id, gid = build["rtb"]["RouteTableId"], build["eni"]["NetworkInterfaceId"], build["igw"]["InternetGatewayId"]
    ec2.create_route(RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", NetworkInterfaceId=eni_id)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]["Routes"] if r.get("DestinationCidrBlock") == "192.168.0.0/16"][0]
    assert route["NetworkInterfaceId"] == eni_id
    ec2.replace_route(RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16", GatewayId=gid)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]["Routes"] if r.get("DestinationCidrBlock") == "192.168.0.0/16"][0]
    assert route["GatewayId"] == gid and "NetworkInterfaceId" not in route
    ec2.delete_route(RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16")
    assert code_of(ec2.delete_route, RouteTableId=rtb_id, DestinationCidrBlock="192.168.0.0/16") == "InvalidRoute.NotFound"


def test_route_table_associations(ec2, build):
    vid = build["vpc"]["VpcId"]
    rtb_id = build["rtb"]["RouteTableId"]
    private_a = build["subnets"]["private-a"]["SubnetId"]
    public_a = build["subnets"]["public-a"]["SubnetId"]
    assert code_of(ec2.associate_route_table, RouteTableId=rtb_id, SubnetId=public_a) == "Resource.AlreadyAssociated"
    default_subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    assert code_of(ec2.associate_route_table, RouteTableId=rtb_id, SubnetId=default_subnet) == "InvalidParameterValue"
    assert code_of(ec2.associate_route_table, RouteTableId=rtb_id, SubnetId="subnet-00000000000000000") == "InvalidSubnetID.NotFound"
    assert code_of(ec2.disassociate_route_table, AssociationId="rtbassoc-00000000000000000") == "InvalidAssociationID.NotFound"
    # a private table: associate, move between tables, disassociate, delete
    private = ec2.create_route_table(VpcId=vid)["RouteTable"]["RouteTableId"]
    assoc = ec2.associate_route_table(RouteTableId=private, SubnetId=private_a)["AssociationId"]
    assert code_of(ec2.delete_route_table, RouteTableId=private) == "DependencyViolation"
    moved = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rtb_id)
    assert moved["NewAssociationId"] != assoc and moved["AssociationState"]["State"] == "associated"
    assert private_a in {a["SubnetId"] for a in ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]["Associations"]}
    ec2.disassociate_route_table(AssociationId=moved["NewAssociationId"])
    ec2.delete_route_table(RouteTableId=private)
    # the main table: can't be disassociated or deleted; replacing the main association makes another table main
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vid]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    main_assoc = [a for a in main["Associations"] if a["Main"]][0]["RouteTableAssociationId"]
    assert code_of(ec2.disassociate_route_table, AssociationId=main_assoc) == "InvalidParameterValue"
    assert code_of(ec2.delete_route_table, RouteTableId=main["RouteTableId"]) == "DependencyViolation"
    new_main = ec2.create_route_table(VpcId=vid)["RouteTable"]["RouteTableId"]
    swapped = ec2.replace_route_table_association(AssociationId=main_assoc, RouteTableId=new_main)["NewAssociationId"]
    got = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vid]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert [t["RouteTableId"] for t in got] == [new_main]
    ec2.replace_route_table_association(AssociationId=swapped, RouteTableId=main["RouteTableId"])
    ec2.delete_route_table(RouteTableId=new_main)


def test_network_acl(ec2, build):
    acl = build["acl"]
    aid, vid = acl["NetworkAclId"], build["vpc"]["VpcId"]
    assert acl["IsDefault"] is False and acl["Associations"] == []
    assert [(e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"]] == [(32767, "deny"), (32767, "deny")]
    got = ec2.describe_network_acls(NetworkAclIds=[aid])["NetworkAcls"][0]
    ingress = {e["RuleNumber"]: e for e in got["Entries"] if not e["Egress"]}
    assert ingress[100]["Protocol"] == "6" and ingress[100]["PortRange"] == {"From": 443, "To": 443}
    assert ingress[120]["IcmpTypeCode"] == {"Type": -1, "Code": -1}
    assert ec2.describe_network_acls(Filters=[{"Name": "entry.rule-number", "Values": ["110"]}])["NetworkAcls"][0]["NetworkAclId"] == aid
    # entry rules
    kw = dict(NetworkAclId=aid, Protocol="-1", RuleAction="deny", CidrBlock="0.0.0.0/0")
    assert code_of(ec2.create_network_acl_entry, RuleNumber=100, Egress=False, **kw) == "NetworkAclEntryAlreadyExists"
    ec2.create_network_acl_entry(RuleNumber=100, Egress=True, **kw)  # same number, other direction
    assert code_of(ec2.create_network_acl_entry, RuleNumber=0, Egress=False, **kw) == "InvalidParameterValue"
    assert code_of(ec2.create_network_acl_entry, RuleNumber=32767, Egress=False, **kw) == "InvalidParameterValue"
    assert code_of(ec2.create_network_acl_entry, NetworkAclId=aid, RuleNumber=200, Egress=False, Protocol="6",
                   RuleAction="allow", CidrBlock="0.0.0.0/0") == "MissingParameter"
    assert code_of(ec2.create_network_acl_entry, RuleNumber=200, Egress=False, NetworkAclId="acl-00000000000000000",
                   Protocol="-1", RuleAction="deny", CidrBlock="0.0.0.0/0") == "InvalidNetworkAclID.NotFound"
    ec2.replace_network_acl_entry(NetworkAclId=aid, RuleNumber=100, Egress=True, Protocol="17", RuleAction="allow",
                                  CidrBlock="10.0.0.0/8", PortRange={"From": 53, "To": 53})
    egress = {e["RuleNumber"]: e for e in ec2.describe_network_acls(NetworkAclIds=[aid])["NetworkAcls"][0]["Entries"] if e["Egress"]}
    assert egress[100]["Protocol"] == "17" and egress[100]["RuleAction"] == "allow"
    assert code_of(ec2.replace_network_acl_entry, RuleNumber=300, Egress=True, **kw) == "InvalidNetworkAclEntry.NotFound"
    ec2.delete_network_acl_entry(NetworkAclId=aid, RuleNumber=100, Egress=True)
    assert code_of(ec2.delete_network_acl_entry, NetworkAclId=aid, RuleNumber=100, Egress=True) == "InvalidNetworkAclEntry.NotFound"
    # associate the private subnets, then the ACL can't be deleted
    default_acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vid]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    for name in ("private-a", "private-b"):
        sid = build["subnets"][name]["SubnetId"]
        assoc = [a for a in default_acl["Associations"] if a["SubnetId"] == sid][0]["NetworkAclAssociationId"]
        new = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=aid)["NewAssociationId"]
        assert new.startswith("aclassoc-") and new != assoc
    got = ec2.describe_network_acls(NetworkAclIds=[aid])["NetworkAcls"][0]
    assert {a["SubnetId"] for a in got["Associations"]} == {build["subnets"]["private-a"]["SubnetId"], build["subnets"]["private-b"]["SubnetId"]}
    assert code_of(ec2.delete_network_acl, NetworkAclId=aid) == "DependencyViolation"
    assert code_of(ec2.delete_network_acl, NetworkAclId=default_acl["NetworkAclId"]) == "InvalidParameterValue"
    assert code_of(ec2.replace_network_acl_association, AssociationId="aclassoc-00000000000000000", NetworkAclId=aid) == "InvalidAssociationID.NotFound"
    other_vpc_acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [default_vpc(ec2)["VpcId"]]}])["NetworkAcls"][0]["NetworkAclId"]
    assoc = got["Associations"][0]["NetworkAclAssociationId"]
    assert code_of(ec2.replace_network_acl_association, AssociationId=assoc, NetworkAclId=other_vpc_acl) == "InvalidParameterValue"


def test_network_acl_client_token(ec2, build):
    vid = build["vpc"]["VpcId"]
    a = ec2.create_network_acl(VpcId=vid, ClientToken="tok-1")["NetworkAcl"]["NetworkAclId"]
    b = ec2.create_network_acl(VpcId=vid, ClientToken="tok-1")["NetworkAcl"]["NetworkAclId"]
    assert a == b
    ec2.delete_network_acl(NetworkAclId=a)
    assert code_of(ec2.delete_network_acl, NetworkAclId=a) == "InvalidNetworkAclID.NotFound"


def test_dhcp_options(ec2, build):
    vid = build["vpc"]["VpcId"]
    original = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["DhcpOptionsId"]
    opts = ec2.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name", "Values": ["corp.example"]},
        {"Key": "domain-name-servers", "Values": ["10.0.0.2", "10.0.0.3"]},
    ], TagSpecifications=tag_spec("dhcp-options", Name="corp"))["DhcpOptions"]
    did = opts["DhcpOptionsId"]
    assert {c["Key"]: [v["Value"] for v in c["Values"]] for c in opts["DhcpConfigurations"]} == {
        "domain-name": ["corp.example"], "domain-name-servers": ["10.0.0.2", "10.0.0.3"]}
    ec2.associate_dhcp_options(DhcpOptionsId=did, VpcId=vid)
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["DhcpOptionsId"] == did
    assert ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [did]}])["Vpcs"][0]["VpcId"] == vid
    assert code_of(ec2.delete_dhcp_options, DhcpOptionsId=did) == "DependencyViolation"
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vid)
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["DhcpOptionsId"] == "default"
    ec2.delete_dhcp_options(DhcpOptionsId=did)
    assert code_of(ec2.delete_dhcp_options, DhcpOptionsId=did) == "InvalidDhcpOptionID.NotFound"
    assert code_of(ec2.associate_dhcp_options, DhcpOptionsId=did, VpcId=vid) == "InvalidDhcpOptionID.NotFound"
    assert code_of(ec2.create_dhcp_options, DhcpConfigurations=[{"Key": "bogus", "Values": ["x"]}]) == "InvalidParameterValue"
    assert code_of(ec2.create_dhcp_options, DhcpConfigurations=[{"Key": "ntp-servers", "Values": ["not-an-ip"]}]) == "InvalidParameterValue"
    ec2.associate_dhcp_options(DhcpOptionsId=original, VpcId=vid)


def test_network_interface(ec2, build):
    eni = build["eni"]
    sub = build["subnets"]["private-a"]
    vid = build["vpc"]["VpcId"]
    eid = eni["NetworkInterfaceId"]
    assert re.fullmatch(r"eni-[0-9a-f]{17}", eid)
    assert eni["PrivateIpAddress"] == "10.0.11.50"
    assert re.fullmatch(r"02(:[0-9a-f]{2}){5}", eni["MacAddress"])
    assert eni["PrivateDnsName"] == "ip-10-0-11-50.ec2.internal"
    assert eni["InterfaceType"] == "interface" and eni["SourceDestCheck"] is True and eni["RequesterManaged"] is False
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vid]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    assert eni["Groups"] == [{"GroupId": default_sg["GroupId"], "GroupName": "default"}]
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]
    assert got["Status"] == "available" and got["Description"] == "app"
    assert {t["Key"]: t["Value"] for t in got["TagSet"]} == {"Name": "app"}
    assert got["PrivateIpAddresses"] == [{"PrivateIpAddress": "10.0.11.50", "PrivateDnsName": "ip-10-0-11-50.ec2.internal", "Primary": True}]
    assert ec2.describe_subnets(SubnetIds=[sub["SubnetId"]])["Subnets"][0]["AvailableIpAddressCount"] == 250
    # an allocated address: the lowest free one after the four reserved
    second = ec2.create_network_interface(SubnetId=sub["SubnetId"], SecondaryPrivateIpAddressCount=2, Groups=[default_sg["GroupId"]])["NetworkInterface"]
    assert second["PrivateIpAddress"] == "10.0.11.4"
    assert [a["PrivateIpAddress"] for a in second["PrivateIpAddresses"]] == ["10.0.11.4", "10.0.11.5", "10.0.11.6"]
    assert ec2.describe_subnets(SubnetIds=[sub["SubnetId"]])["Subnets"][0]["AvailableIpAddressCount"] == 247
    # filters
    for name, value in [("private-ip-address", "10.0.11.50"), ("subnet-id", sub["SubnetId"]), ("description", "app"),
                        ("status", "available"), ("mac-address", eni["MacAddress"]), ("tag:Name", "app"),
                        ("addresses.private-ip-address", "10.0.11.50"), ("network-interface-id", eid)]:
        ids = [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces(Filters=[{"Name": name, "Values": [value]}])["NetworkInterfaces"]]
        assert eid in ids, (name, ids)
    ids = [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces(Filters=[{"Name": "addresses.private-ip-address", "Values": ["10.0.11.5"]}])["NetworkInterfaces"]]
    assert ids == [second["NetworkInterfaceId"]]
    assert code_of(ec2.describe_network_interfaces, Filters=[{"Name": "bogus", "Values": ["x"]}]) == "InvalidParameterValue"
    pages = list(ec2.get_paginator("describe_network_interfaces").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(p["NetworkInterfaces"]) for p in pages) == 2
    # secondary addresses
    r = ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.11.60"])
    assert [a["PrivateIpAddress"] for a in r["AssignedPrivateIpAddresses"]] == ["10.0.11.60"]
    r = ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, SecondaryPrivateIpAddressCount=1)
    assert [a["PrivateIpAddress"] for a in r["AssignedPrivateIpAddresses"]] == ["10.0.11.7"]
    assert code_of(ec2.assign_private_ip_addresses, NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.11.5"]) == "InvalidIPAddress.InUse"
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.11.5"], AllowReassignment=True)
    assert [a["PrivateIpAddress"] for a in ec2.describe_network_interfaces(NetworkInterfaceIds=[second["NetworkInterfaceId"]])["NetworkInterfaces"][0]["PrivateIpAddresses"]] == ["10.0.11.4", "10.0.11.6"]
    assert code_of(ec2.unassign_private_ip_addresses, NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.11.50"]) == "InvalidParameterValue"
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.11.60", "10.0.11.7", "10.0.11.5"])
    assert [a["PrivateIpAddress"] for a in ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"][0]["PrivateIpAddresses"]] == ["10.0.11.50"]
    ec2.delete_network_interface(NetworkInterfaceId=second["NetworkInterfaceId"])
    assert ec2.describe_subnets(SubnetIds=[sub["SubnetId"]])["Subnets"][0]["AvailableIpAddressCount"] == 250


def test_network_interface_attributes(ec2, build):
    eid = build["eni"]["NetworkInterfaceId"]
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="description")["Description"]["Value"] == "app"
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Description={"Value": "app server"})
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="description")["Description"]["Value"] == "app server"
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, SourceDestCheck={"Value": False})
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
    assert ec2.describe_network_interfaces(Filters=[{"Name": "source-dest-check", "Values": ["false"]}])["NetworkInterfaces"][0]["NetworkInterfaceId"] == eid
    groups = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="groupSet")["Groups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=[groups[0]["GroupId"]])
    default_sg = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]  # the default VPC's
    assert code_of(ec2.modify_network_interface_attribute, NetworkInterfaceId=eid, Groups=[default_sg]) == "InvalidParameterValue"
    assert code_of(ec2.modify_network_interface_attribute, NetworkInterfaceId=eid, Groups=["sg-00000000000000000"]) == "InvalidGroup.NotFound"
    assert code_of(ec2.modify_network_interface_attribute, NetworkInterfaceId=eid,
                   Description={"Value": "x"}, SourceDestCheck={"Value": True}) == "InvalidParameterCombination"
    assert "Attachment" not in ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="attachment")


def test_network_interface_errors(ec2, build):
    sub = build["subnets"]["private-b"]["SubnetId"]
    assert code_of(ec2.create_network_interface, SubnetId=sub, PrivateIpAddress="10.0.11.9") == "InvalidParameterValue"
    assert code_of(ec2.create_network_interface, SubnetId=build["subnets"]["private-a"]["SubnetId"], PrivateIpAddress="10.0.11.50") == "InvalidIPAddress.InUse"
    assert code_of(ec2.create_network_interface, SubnetId="subnet-00000000000000000") == "InvalidSubnetID.NotFound"
    assert code_of(ec2.create_network_interface, SubnetId=sub, Groups=["sg-00000000000000000"]) == "InvalidGroup.NotFound"
    assert code_of(ec2.create_network_interface, SubnetId=sub, TagSpecifications=tag_spec("vpc", A="b")) == "InvalidParameterValue"
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-00000000000000000"]) == "InvalidNetworkInterfaceID.NotFound"
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-bad"]) == "InvalidNetworkInterfaceId.Malformed"
    assert code_of(ec2.delete_network_interface, NetworkInterfaceId="eni-00000000000000000") == "InvalidNetworkInterfaceID.NotFound"
    eid = build["eni"]["NetworkInterfaceId"]
    assert code_of(ec2.attach_network_interface, NetworkInterfaceId=eid, InstanceId="i-00000000000000000", DeviceIndex=1) == "InvalidInstanceID.NotFound"
    assert code_of(ec2.attach_network_interface, NetworkInterfaceId=eid, InstanceId="i-zz", DeviceIndex=1) == "InvalidInstanceID.Malformed"
    assert code_of(ec2.detach_network_interface, AttachmentId="eni-attach-00000000000000000") == "InvalidAttachmentID.NotFound"
    assert code_of(ec2.detach_network_interface, AttachmentId="attach-x") == "InvalidNetworkInterfaceAttachmentId.Malformed"
    assert code_of(ec2.create_network_interface, SubnetId=sub, DryRun=True) == "DryRunOperation"


def test_full_subnet(ec2, build):
    vid = build["vpc"]["VpcId"]
    tiny = ec2.create_subnet(VpcId=vid, CidrBlock="10.0.200.0/28")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=tiny, SecondaryPrivateIpAddressCount=10)["NetworkInterface"]
    assert eni["PrivateIpAddress"] == "10.0.200.4" and len(eni["PrivateIpAddresses"]) == 11
    assert eni["PrivateIpAddresses"][-1]["PrivateIpAddress"] == "10.0.200.14"
    assert ec2.describe_subnets(SubnetIds=[tiny])["Subnets"][0]["AvailableIpAddressCount"] == 0
    assert code_of(ec2.create_network_interface, SubnetId=tiny) == "InsufficientFreeAddressesInSubnet"
    assert code_of(ec2.create_network_interface, SubnetId=tiny, PrivateIpAddress="10.0.200.15") == "InvalidParameterValue"
    assert code_of(ec2.delete_subnet, SubnetId=tiny) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=tiny)


def test_cli_builds_and_tears_down(server):
    """The same flow through the aws CLI, region from the written profile."""
    cli = lambda *a: server.cli_json("--profile", "stratus", "ec2", *a)
    vid = cli("create-vpc", "--cidr-block", "10.50.0.0/16")["Vpc"]["VpcId"]
    server.cli("--profile", "stratus", "ec2", "wait", "vpc-available", "--vpc-ids", vid, check=True)
    sid = cli("create-subnet", "--vpc-id", vid, "--cidr-block", "10.50.1.0/24", "--availability-zone", "us-east-1b")["Subnet"]["SubnetId"]
    server.cli("--profile", "stratus", "ec2", "wait", "subnet-available", "--subnet-ids", sid, check=True)
    gid = cli("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    server.cli("--profile", "stratus", "ec2", "attach-internet-gateway", "--internet-gateway-id", gid, "--vpc-id", vid, check=True)
    eni = cli("create-network-interface", "--subnet-id", sid, "--private-ip-address", "10.50.1.10")["NetworkInterface"]
    assert eni["PrivateIpAddress"] == "10.50.1.10"
    p = server.cli("--profile", "stratus", "ec2", "delete-vpc", "--vpc-id", vid)
    assert p.returncode != 0 and "DependencyViolation" in p.stderr
    p = server.cli("--profile", "stratus", "ec2", "delete-network-interface", "--network-interface-id", eni["NetworkInterfaceId"], check=True)
    server.cli("--profile", "stratus", "ec2", "detach-internet-gateway", "--internet-gateway-id", gid, "--vpc-id", vid, check=True)
    server.cli("--profile", "stratus", "ec2", "delete-internet-gateway", "--internet-gateway-id", gid, check=True)
    server.cli("--profile", "stratus", "ec2", "delete-subnet", "--subnet-id", sid, check=True)
    server.cli("--profile", "stratus", "ec2", "delete-vpc", "--vpc-id", vid, check=True)
    p = server.cli("--profile", "stratus", "ec2", "describe-vpcs", "--vpc-ids", vid)
    assert p.returncode != 0 and "InvalidVpcID.NotFound" in p.stderr


def test_create_default_vpc(server):
    ec2 = server.ec2("us-west-2")
    assert code_of(ec2.create_default_vpc) == "DefaultVpcAlreadyExists"
    vid = default_vpc(ec2)["VpcId"]
    # tear the default VPC down in order, then create it again
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for g in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=vid)
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    ec2.delete_vpc(VpcId=vid)
    assert ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"] == []
    vpc = ec2.create_default_vpc()["Vpc"]
    assert vpc["IsDefault"] is True and vpc["CidrBlock"] == "172.31.0.0/16"
    again = default_vpc(ec2)
    assert again["VpcId"] == vpc["VpcId"] and again["State"] == "available"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == {"us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets)
    assert ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["VpcId"] == vpc["VpcId"]
    assert code_of(ec2.create_default_vpc) == "DefaultVpcAlreadyExists"


def test_secondary_cidr_blocks(ec2, build):
    vid = build["vpc"]["VpcId"]
    r = ec2.associate_vpc_cidr_block(VpcId=vid, CidrBlock="10.1.0.0/16")
    assoc = r["CidrBlockAssociation"]
    assert r["VpcId"] == vid and assoc["CidrBlock"] == "10.1.0.0/16" and assoc["AssociationId"].startswith("vpc-cidr-assoc-")
    vpc = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
    assert [(a["CidrBlock"], a["CidrBlockState"]["State"]) for a in vpc["CidrBlockAssociationSet"]] == [
        ("10.0.0.0/16", "associated"), ("10.1.0.0/16", "associated")]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    got = ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["10.1.0.0/16"]}])["Vpcs"]
    assert [v["VpcId"] for v in got] == [vid]
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vid]}])["RouteTables"]:
        assert {"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"} in table["Routes"]
    sid = ec2.create_subnet(VpcId=vid, CidrBlock="10.1.5.0/24")["Subnet"]["SubnetId"]
    assert code_of(ec2.disassociate_vpc_cidr_block, AssociationId=assoc["AssociationId"]) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=sid)
    assert code_of(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="10.1.128.0/17") == "InvalidVpc.Range"
    assert code_of(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="192.168.0.0/16") == "InvalidVpc.Range"
    assert code_of(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="10.2.0.0/29") == "InvalidVpc.Range"
    assert code_of(ec2.disassociate_vpc_cidr_block, AssociationId=vpc["CidrBlockAssociationSet"][0]["AssociationId"]) == "OperationNotPermitted"
    assert code_of(ec2.disassociate_vpc_cidr_block, AssociationId="vpc-cidr-assoc-00000000000000000") == "InvalidVpcCidrBlockAssociationID.NotFound"
    extra = [ec2.associate_vpc_cidr_block(VpcId=vid, CidrBlock=f"10.{n}.0.0/16")["CidrBlockAssociation"]["AssociationId"] for n in (2, 3, 4)]
    assert code_of(ec2.associate_vpc_cidr_block, VpcId=vid, CidrBlock="10.5.0.0/16") == "CidrLimitExceeded"
    for a in [assoc["AssociationId"], *extra]:
        r = ec2.disassociate_vpc_cidr_block(AssociationId=a)
        assert r["CidrBlockAssociation"]["CidrBlockState"]["State"] == "disassociating"
    vpc = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
    assert [a["CidrBlock"] for a in vpc["CidrBlockAssociationSet"]] == ["10.0.0.0/16"]
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vid]}])["RouteTables"]:
        assert all(r.get("DestinationCidrBlock", "").startswith(("10.0.", "0.0.", "192.")) for r in table["Routes"]), table["Routes"]


def test_teardown_in_dependency_order(ec2, build):
    """Runs last: each step is refused while something still depends on it."""
    vid = build["vpc"]["VpcId"]
    gid = build["igw"]["InternetGatewayId"]
    eid = build["eni"]["NetworkInterfaceId"]
    try:  # security groups are served once CreateSecurityGroup exists
        extra_sg = ec2.create_security_group(GroupName="extra", Description="extra", VpcId=vid)["GroupId"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "UnsupportedOperation"
        extra_sg = None

    assert code_of(ec2.delete_vpc, VpcId=vid) == "DependencyViolation"
    assert code_of(ec2.delete_subnet, SubnetId=build["subnets"]["private-a"]["SubnetId"]) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=[eid]) == "InvalidNetworkInterfaceID.NotFound"
    for s in build["subnets"].values():
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    # the public route table still exists, the gateway is still attached
    assert code_of(ec2.delete_vpc, VpcId=vid) == "DependencyViolation"
    assert code_of(ec2.delete_internet_gateway, InternetGatewayId=gid) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=vid)
    assert code_of(ec2.detach_internet_gateway, InternetGatewayId=gid, VpcId=vid) == "Gateway.NotAttached"
    ec2.delete_internet_gateway(InternetGatewayId=gid)
    assert code_of(ec2.delete_vpc, VpcId=vid) == "DependencyViolation"  # the public route table
    ec2.delete_route_table(RouteTableId=build["rtb"]["RouteTableId"])
    # subnet associations went with the subnets, so the custom ACL can go now
    ec2.delete_network_acl(NetworkAclId=build["acl"]["NetworkAclId"])
    if extra_sg:
        assert code_of(ec2.delete_vpc, VpcId=vid) == "DependencyViolation"
        ec2.delete_security_group(GroupId=extra_sg)
    ec2.delete_vpc(VpcId=vid)
    vf = [{"Name": "vpc-id", "Values": [vid]}]
    assert ec2.describe_route_tables(Filters=vf)["RouteTables"] == []
    assert ec2.describe_network_acls(Filters=vf)["NetworkAcls"] == []
    assert ec2.describe_security_groups(Filters=vf)["SecurityGroups"] == []
    assert code_of(ec2.describe_vpcs, VpcIds=[vid]) == "InvalidVpcID.NotFound"
    assert code_of(ec2.delete_vpc, VpcId="vpc-1") == "InvalidVpcID.Malformed"

