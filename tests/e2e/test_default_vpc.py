"""The default VPC every account gets per region, and the Describe* calls that show it."""

import ipaddress
import re

import pytest
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of

ID_RE = {
    "vpc": re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "subnet": re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "sg": re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "igw": re.compile(r"^igw-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "rtb": re.compile(r"^rtb-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "acl": re.compile(r"^acl-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "dopt": re.compile(r"^dopt-[0-9a-f]{8}([0-9a-f]{9})?$"),
}
# One /20 per Availability Zone, in zone order, as AWS carves the default VPC: us-east-1 has six zones.
EAST_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
DEFAULT_SUBNETS = {f"172.31.{16 * i}.0/20" for i in range(len(EAST_ZONES))}
THREE_ZONE_SUBNETS = {"172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"}


def snapshot(client) -> dict:
    """Everything of the default VPC of the client's region, by kind."""
    vpc = default_vpc(client)
    vid = vpc["VpcId"]
    vf = [{"Name": "vpc-id", "Values": [vid]}]
    return {
        "vpc": vpc,
        "subnets": client.describe_subnets(Filters=vf)["Subnets"],
        "sgs": client.describe_security_groups(Filters=vf)["SecurityGroups"],
        "igws": client.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"],
        "rtbs": client.describe_route_tables(Filters=vf)["RouteTables"],
        "acls": client.describe_network_acls(Filters=vf)["NetworkAcls"],
        "dopts": client.describe_dhcp_options(DhcpOptionsIds=[vpc["DhcpOptionsId"]])["DhcpOptions"],
    }


@pytest.fixture(scope="module")
def east(server):
    return snapshot(server.ec2("us-east-1"))


@pytest.fixture(scope="module")
def west(server):
    return snapshot(server.ec2("eu-west-1"))


def test_default_vpc(east, server):
    vpc = east["vpc"]
    assert ID_RE["vpc"].match(vpc["VpcId"]), vpc["VpcId"]
    assert vpc["CidrBlock"] == "172.31.0.0/16"
    assert vpc["IsDefault"] is True
    assert vpc["State"] == "available"
    assert vpc["InstanceTenancy"] == "default"
    assert re.fullmatch(r"\d{12}", vpc["OwnerId"]), vpc["OwnerId"]
    assocs = vpc["CidrBlockAssociationSet"]
    assert [a["CidrBlock"] for a in assocs] == ["172.31.0.0/16"]
    assert assocs[0]["CidrBlockState"]["State"] == "associated"


def test_default_subnets(east, server):
    subnets = east["subnets"]
    vid = east["vpc"]["VpcId"]
    assert {s["CidrBlock"] for s in subnets} == DEFAULT_SUBNETS
    assert sorted(s["AvailabilityZone"] for s in subnets) == EAST_ZONES
    assert {s["AvailabilityZone"]: s["CidrBlock"] for s in subnets}["us-east-1f"] == "172.31.80.0/20"
    zones = {z["ZoneName"]: z["ZoneId"]
             for z in server.ec2("us-east-1").describe_availability_zones()["AvailabilityZones"]}
    for s in subnets:
        assert ID_RE["subnet"].match(s["SubnetId"]), s
        assert s["VpcId"] == vid
        assert s["DefaultForAz"] is True
        assert s["MapPublicIpOnLaunch"] is True
        assert s["State"] == "available"
        assert s["AvailableIpAddressCount"] == 4091  # /20 minus the 5 addresses AWS reserves
        assert s["AvailabilityZoneId"] == zones[s["AvailabilityZone"]]
        assert s["OwnerId"] == east["vpc"]["OwnerId"]
        assert ipaddress.ip_network(s["CidrBlock"]).subnet_of(ipaddress.ip_network("172.31.0.0/16"))


def test_default_security_group(east):
    sgs = east["sgs"]
    assert len(sgs) == 1, sgs
    sg = sgs[0]
    assert ID_RE["sg"].match(sg["GroupId"]), sg
    assert sg["GroupName"] == "default"
    assert sg["VpcId"] == east["vpc"]["VpcId"]
    assert sg["Description"] == "default VPC security group"
    # inbound: all traffic from the group itself; outbound: all traffic to anywhere
    ingress = sg["IpPermissions"]
    assert len(ingress) == 1 and ingress[0]["IpProtocol"] == "-1"
    assert [p["GroupId"] for p in ingress[0]["UserIdGroupPairs"]] == [sg["GroupId"]]
    egress = sg["IpPermissionsEgress"]
    assert len(egress) == 1 and egress[0]["IpProtocol"] == "-1"
    assert [r["CidrIp"] for r in egress[0]["IpRanges"]] == ["0.0.0.0/0"]


def test_default_internet_gateway(east):
    igws = east["igws"]
    assert len(igws) == 1, igws
    igw = igws[0]
    assert ID_RE["igw"].match(igw["InternetGatewayId"])
    assert igw["Attachments"] == [{"State": "available", "VpcId": east["vpc"]["VpcId"]}]


def test_default_main_route_table(east):
    rtbs = east["rtbs"]
    assert len(rtbs) == 1, rtbs
    rtb = rtbs[0]
    assert ID_RE["rtb"].match(rtb["RouteTableId"])
    assert rtb["VpcId"] == east["vpc"]["VpcId"]
    mains = [a for a in rtb["Associations"] if a.get("Main")]
    assert len(mains) == 1
    assert mains[0]["RouteTableId"] == rtb["RouteTableId"]
    assert mains[0]["RouteTableAssociationId"].startswith("rtbassoc-")
    assert mains[0]["AssociationState"]["State"] == "associated"
    routes = {r["DestinationCidrBlock"]: r for r in rtb["Routes"] if "DestinationCidrBlock" in r}
    assert set(routes) == {"172.31.0.0/16", "0.0.0.0/0"}
    assert routes["172.31.0.0/16"]["GatewayId"] == "local"
    assert routes["172.31.0.0/16"]["State"] == "active"
    assert routes["172.31.0.0/16"]["Origin"] == "CreateRouteTable"
    assert routes["0.0.0.0/0"]["GatewayId"] == east["igws"][0]["InternetGatewayId"]
    assert routes["0.0.0.0/0"]["State"] == "active"


def test_default_network_acl(east):
    acls = east["acls"]
    assert len(acls) == 1, acls
    acl = acls[0]
    assert ID_RE["acl"].match(acl["NetworkAclId"])
    assert acl["IsDefault"] is True
    assert acl["VpcId"] == east["vpc"]["VpcId"]
    entries = {(e["Egress"], e["RuleNumber"]): e for e in acl["Entries"]}
    assert set(entries) == {(False, 100), (True, 100), (False, 32767), (True, 32767)}
    for egress in (False, True):
        assert entries[(egress, 100)]["RuleAction"] == "allow"
        assert entries[(egress, 100)]["CidrBlock"] == "0.0.0.0/0"
        assert entries[(egress, 100)]["Protocol"] == "-1"
        assert entries[(egress, 32767)]["RuleAction"] == "deny"
    assert {a["SubnetId"] for a in acl["Associations"]} == {s["SubnetId"] for s in east["subnets"]}


def test_default_dhcp_options(east, west):
    for snap, domain in ((east, "ec2.internal"), (west, "eu-west-1.compute.internal")):
        (dopt,) = snap["dopts"]
        assert ID_RE["dopt"].match(dopt["DhcpOptionsId"])
        conf = {c["Key"]: [v["Value"] for v in c["Values"]] for c in dopt["DhcpConfigurations"]}
        assert conf["domain-name"] == [domain]
        assert conf["domain-name-servers"] == ["AmazonProvidedDNS"]


def test_two_regions_are_independent(east, west):
    assert west["vpc"]["CidrBlock"] == "172.31.0.0/16"
    assert sorted(s["AvailabilityZone"] for s in west["subnets"]) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert {s["CidrBlock"] for s in west["subnets"]} == THREE_ZONE_SUBNETS

    def ids(snap):
        return {snap["vpc"]["VpcId"], snap["vpc"]["DhcpOptionsId"],
                *(s["SubnetId"] for s in snap["subnets"]), *(g["GroupId"] for g in snap["sgs"]),
                *(i["InternetGatewayId"] for i in snap["igws"]), *(r["RouteTableId"] for r in snap["rtbs"]),
                *(a["NetworkAclId"] for a in snap["acls"])}

    assert ids(east).isdisjoint(ids(west))
    assert east["vpc"]["OwnerId"] == west["vpc"]["OwnerId"]


def test_region_does_not_see_other_region_ids(server, east):
    west_client = server.ec2("eu-west-1")
    with pytest.raises(ClientError) as ei:
        west_client.describe_vpcs(VpcIds=[east["vpc"]["VpcId"]])
    assert error_of(ei)[0] == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as ei:
        west_client.describe_subnets(SubnetIds=[east["subnets"][0]["SubnetId"]])
    assert error_of(ei)[0] == "InvalidSubnetID.NotFound"


def test_is_default_filter(server, east):
    client = server.ec2("us-east-1")
    assert [v["VpcId"] for v in client.describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]] == [east["vpc"]["VpcId"]]
    assert client.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])["Vpcs"] == []
    by_id = client.describe_vpcs(VpcIds=[east["vpc"]["VpcId"]])["Vpcs"]
    assert [v["VpcId"] for v in by_id] == [east["vpc"]["VpcId"]]
    got = client.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["172.31.0.0/16"]},
                                        {"Name": "state", "Values": ["available"]}])["Vpcs"]
    assert [v["VpcId"] for v in got] == [east["vpc"]["VpcId"]]
    got = client.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["172.31.*"]}])["Vpcs"]
    assert [v["VpcId"] for v in got] == [east["vpc"]["VpcId"]]
    got = client.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"]
    assert got == []
    # 'cidr-block' is not among DescribeVpcs' documented filters, but EC2 accepts it (Ansible sends it)
    got = client.describe_vpcs(Filters=[{"Name": "cidr-block", "Values": ["172.31.0.0/16"]}])["Vpcs"]
    assert [v["VpcId"] for v in got] == [east["vpc"]["VpcId"]]


def test_subnet_filters(server, east):
    client = server.ec2("us-east-1")
    vid = east["vpc"]["VpcId"]

    def subnets(*filters):
        return sorted(s["AvailabilityZone"] for s in client.describe_subnets(Filters=list(filters))["Subnets"])

    assert subnets({"Name": "availability-zone", "Values": ["us-east-1b"]}) == ["us-east-1b"]
    assert subnets({"Name": "availability-zone", "Values": ["us-east-1a", "us-east-1c"]}) == ["us-east-1a", "us-east-1c"]
    assert subnets({"Name": "availability-zone", "Values": ["us-east-1*"]}) == EAST_ZONES
    assert subnets({"Name": "availability-zone", "Values": ["us-east-?b"]}) == ["us-east-1b"]
    assert subnets({"Name": "availability-zone", "Values": ["eu-*"]}) == []
    assert subnets({"Name": "default-for-az", "Values": ["true"]}) == EAST_ZONES
    assert subnets({"Name": "default-for-az", "Values": ["false"]}) == []
    assert subnets({"Name": "vpc-id", "Values": [vid]},
                   {"Name": "availability-zone", "Values": ["us-east-1c"]}) == ["us-east-1c"]
    assert subnets({"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}) == []
    assert subnets({"Name": "cidr-block", "Values": ["172.31.16.0/20"]}) in ([z] for z in EAST_ZONES)
    assert len(subnets({"Name": "cidr-block", "Values": ["172.31.*"]})) == len(EAST_ZONES)
    # AND across filters, OR within values
    assert subnets({"Name": "availability-zone", "Values": ["us-east-1a", "us-east-1b"]},
                   {"Name": "availability-zone", "Values": ["us-east-1b", "us-east-1c"]}) == ["us-east-1b"]
    ids = [s["SubnetId"] for s in east["subnets"]][:2]
    got = client.describe_subnets(SubnetIds=ids)["Subnets"]
    assert sorted(s["SubnetId"] for s in got) == sorted(ids)


def test_other_describe_filters(server, east):
    client = server.ec2("us-east-1")
    vid = east["vpc"]["VpcId"]
    sg = client.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                  {"Name": "vpc-id", "Values": [vid]}])["SecurityGroups"]
    assert [g["GroupId"] for g in sg] == [east["sgs"][0]["GroupId"]]
    sg = client.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    assert [g["GroupId"] for g in sg] == [east["sgs"][0]["GroupId"]]
    sg = client.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["def*"]}])["SecurityGroups"]
    assert [g["GroupId"] for g in sg] == [east["sgs"][0]["GroupId"]]
    rt = client.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                               {"Name": "vpc-id", "Values": [vid]}])["RouteTables"]
    assert [r["RouteTableId"] for r in rt] == [east["rtbs"][0]["RouteTableId"]]
    igw_id = east["igws"][0]["InternetGatewayId"]
    rt = client.describe_route_tables(Filters=[{"Name": "route.gateway-id", "Values": [igw_id]}])["RouteTables"]
    assert [r["RouteTableId"] for r in rt] == [east["rtbs"][0]["RouteTableId"]]
    igws = client.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]
    assert [i["InternetGatewayId"] for i in igws] == [igw_id]
    acls = client.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]},
                                                 {"Name": "vpc-id", "Values": [vid]}])["NetworkAcls"]
    assert [a["NetworkAclId"] for a in acls] == [east["acls"][0]["NetworkAclId"]]
    dopts = client.describe_dhcp_options(Filters=[{"Name": "key", "Values": ["domain-name"]},
                                                  {"Name": "value", "Values": ["ec2.internal"]}])["DhcpOptions"]
    assert [d["DhcpOptionsId"] for d in dopts] == [east["vpc"]["DhcpOptionsId"]]


@pytest.mark.parametrize("op", [
    "describe_vpcs", "describe_subnets", "describe_security_groups", "describe_internet_gateways",
    "describe_route_tables", "describe_network_acls", "describe_dhcp_options", "describe_availability_zones",
])
def test_unknown_filter_is_invalid(server, op):
    client = server.ec2("us-east-1")
    with pytest.raises(ClientError) as ei:
        getattr(client, op)(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    code, msg, status = error_of(ei)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert msg == "The filter 'no-such-filter' is invalid"


NOT_FOUND = [
    ("describe_vpcs", "VpcIds", "vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
    ("describe_subnets", "SubnetIds", "subnet-0123456789abcdef0", "InvalidSubnetID.NotFound"),
    ("describe_security_groups", "GroupIds", "sg-0123456789abcdef0", "InvalidGroup.NotFound"),
    ("describe_security_groups", "GroupNames", "no-such-group", "InvalidGroup.NotFound"),
    ("describe_internet_gateways", "InternetGatewayIds", "igw-0123456789abcdef0", "InvalidInternetGatewayID.NotFound"),
    ("describe_route_tables", "RouteTableIds", "rtb-0123456789abcdef0", "InvalidRouteTableID.NotFound"),
    ("describe_network_acls", "NetworkAclIds", "acl-0123456789abcdef0", "InvalidNetworkAclID.NotFound"),
    ("describe_dhcp_options", "DhcpOptionsIds", "dopt-0123456789abcdef0", "InvalidDhcpOptionID.NotFound"),
]

MALFORMED = [
    ("describe_vpcs", "VpcIds", "vpc-xyz", "InvalidVpcID.Malformed"),
    ("describe_vpcs", "VpcIds", "subnet-0123456789abcdef0", "InvalidVpcID.Malformed"),
    ("describe_subnets", "SubnetIds", "subnet-nothex!", "InvalidSubnetID.Malformed"),
    ("describe_security_groups", "GroupIds", "sg-zzz", "InvalidGroupId.Malformed"),
    ("describe_internet_gateways", "InternetGatewayIds", "igw-zzz", "InvalidInternetGatewayId.Malformed"),
    ("describe_route_tables", "RouteTableIds", "rtb-zzz", "InvalidRouteTableId.Malformed"),
]


@pytest.mark.parametrize("op,param,value,code", NOT_FOUND, ids=[f"{o}-{p}" for o, p, _, _ in NOT_FOUND])
def test_not_found(server, op, param, value, code):
    with pytest.raises(ClientError) as ei:
        getattr(server.ec2("us-east-1"), op)(**{param: [value]})
    got_code, msg, status = error_of(ei)
    assert (got_code, status) == (code, 400)
    assert value in msg


@pytest.mark.parametrize("op,param,value,code", MALFORMED, ids=[f"{o}-{v}" for o, _, v, _ in MALFORMED])
def test_malformed(server, op, param, value, code):
    with pytest.raises(ClientError) as ei:
        getattr(server.ec2("us-east-1"), op)(**{param: [value]})
    got_code, msg, status = error_of(ei)
    assert (got_code, status) == (code, 400)
    assert value in msg


def test_one_missing_id_fails_the_whole_call(server, east):
    with pytest.raises(ClientError) as ei:
        server.ec2("us-east-1").describe_vpcs(VpcIds=[east["vpc"]["VpcId"], "vpc-0123456789abcdef0"])
    code, msg, _ = error_of(ei)
    assert code == "InvalidVpcID.NotFound"
    assert "vpc-0123456789abcdef0" in msg and east["vpc"]["VpcId"] not in msg


def test_waiters(server, east):
    client = server.ec2("us-east-1")
    fast = {"Delay": 1, "MaxAttempts": 3}
    client.get_waiter("vpc_exists").wait(VpcIds=[east["vpc"]["VpcId"]], WaiterConfig=fast)
    client.get_waiter("vpc_available").wait(VpcIds=[east["vpc"]["VpcId"]], WaiterConfig=fast)
    client.get_waiter("subnet_available").wait(SubnetIds=[s["SubnetId"] for s in east["subnets"]],
                                               WaiterConfig=fast)
    client.get_waiter("security_group_exists").wait(GroupIds=[east["sgs"][0]["GroupId"]], WaiterConfig=fast)
    client.get_waiter("internet_gateway_exists").wait(
        InternetGatewayIds=[east["igws"][0]["InternetGatewayId"]], WaiterConfig=fast)
