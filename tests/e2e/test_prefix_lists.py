"""Managed prefix lists, subnet CIDR reservations and VPC Block Public Access through boto3 and
the aws CLI (mock runtime): versions and the CurrentVersion check, MaxEntries counted toward
security-group rule and route quotas, AWS-managed lists, security-group rules and routes that name
a list, associations, restore, deletion refused while referenced, and AWS's error codes.

One packet test (container runtime): a security-group rule whose source is a prefix list admits
the host's connections to a guest; removing the entry from the list stops new connections, adding
it back reopens them. Needs root, crun, nftables and the minimal image; anything missing FAILS it.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import GUESTS_GROUP, code_of

pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)


@pytest.fixture(scope="module")
def vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return vpc, subnet


def create_list(ec2, name, entries=(), max_entries=5, family="IPv4", **kw):
    return ec2.create_managed_prefix_list(
        PrefixListName=name, MaxEntries=max_entries, AddressFamily=family,
        Entries=[{"Cidr": c, "Description": f"entry {c}"} for c in entries], **kw)["PrefixList"]


# ---- managed prefix lists ----------------------------------------------------------------------

def test_create_describe_and_tags(ec2):
    pl = create_list(ec2, "corp", ["10.1.0.0/16", "192.168.0.0/24"], ClientToken="tok-1",
                     TagSpecifications=[{"ResourceType": "prefix-list", "Tags": [{"Key": "team", "Value": "net"}]}])
    assert pl["State"] == "create-in-progress"
    assert pl["Version"] == 1 and pl["MaxEntries"] == 5 and pl["AddressFamily"] == "IPv4"
    assert pl["PrefixListArn"].endswith(f":prefix-list/{pl['PrefixListId']}")
    assert pl["OwnerId"].isdigit()
    # ClientToken: the same call answers the same list.
    again = create_list(ec2, "corp", ["10.1.0.0/16", "192.168.0.0/24"], ClientToken="tok-1",
                        TagSpecifications=[{"ResourceType": "prefix-list", "Tags": [{"Key": "team", "Value": "net"}]}])
    assert again["PrefixListId"] == pl["PrefixListId"]
    described = ec2.describe_managed_prefix_lists(PrefixListIds=[pl["PrefixListId"]])["PrefixLists"][0]
    assert described["State"] == "create-complete"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"team": "net"}
    by_name = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["corp"]}])["PrefixLists"]
    assert [p["PrefixListId"] for p in by_name] == [pl["PrefixListId"]]
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl["PrefixListId"])["Entries"]
    assert entries == [{"Cidr": "10.1.0.0/16", "Description": "entry 10.1.0.0/16"},
                       {"Cidr": "192.168.0.0/24", "Description": "entry 192.168.0.0/24"}]
    # DryRun
    assert code_of(ec2.create_managed_prefix_list, PrefixListName="x", MaxEntries=1, AddressFamily="IPv4", DryRun=True) == "DryRunOperation"


def test_aws_managed_lists(ec2):
    aws = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])["PrefixLists"]
    names = {p["PrefixListName"]: p for p in aws}
    assert "com.amazonaws.us-east-1.s3" in names and "com.amazonaws.us-east-1.dynamodb" in names
    s3 = names["com.amazonaws.us-east-1.s3"]
    assert s3["OwnerId"] == "AWS" and s3["State"] == "create-complete" and ":aws:prefix-list/" in s3["PrefixListArn"]
    assert ec2.get_managed_prefix_list_entries(PrefixListId=s3["PrefixListId"])["Entries"]
    legacy = ec2.describe_prefix_lists()["PrefixLists"]
    assert {p["PrefixListName"] for p in legacy} == {"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb"}
    assert all(p["Cidrs"] for p in legacy)
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=s3["PrefixListId"], PrefixListName="mine") == "InvalidPrefixListModification"
    assert code_of(ec2.delete_managed_prefix_list, PrefixListId=s3["PrefixListId"]) == "InvalidPrefixListModification"
    assert code_of(ec2.describe_prefix_lists, PrefixListIds=["pl-00000000"]) == "InvalidPrefixListId.NotFound"


def test_create_errors(ec2):
    assert code_of(ec2.create_managed_prefix_list, PrefixListName="com.amazonaws.mine", MaxEntries=1, AddressFamily="IPv4") == "InvalidParameterValue"
    assert code_of(ec2.create_managed_prefix_list, PrefixListName="x", MaxEntries=1, AddressFamily="IPv5") == "InvalidParameterValue"
    assert code_of(ec2.create_managed_prefix_list, PrefixListName="x", MaxEntries=0, AddressFamily="IPv4") == "InvalidParameterValue"
    assert code_of(ec2.create_managed_prefix_list, PrefixListName="x", MaxEntries=1001, AddressFamily="IPv4") == "InvalidParameterValue"
    assert code_of(create_list, ec2, "x", ["10.0.0.0/8", "11.0.0.0/8"], max_entries=1) == "PrefixListMaxEntriesExceeded"
    assert code_of(create_list, ec2, "x", ["2001:db8::/32"]) == "InvalidParameterValue"
    assert code_of(create_list, ec2, "x", ["10.0.0.0/33"]) == "InvalidParameterValue"
    assert code_of(ec2.describe_managed_prefix_lists, PrefixListIds=["pl-0123456789abcdef0"]) == "InvalidPrefixListID.NotFound"
    assert code_of(ec2.describe_managed_prefix_lists, PrefixListIds=["prefix"]) == "InvalidPrefixListId.Malformed"
    assert code_of(ec2.describe_managed_prefix_lists, Filters=[{"Name": "state", "Values": ["x"]}]) == "InvalidParameterValue"


def test_modify_versions_restore(ec2):
    pl = create_list(ec2, "versions", ["10.0.0.0/24"], max_entries=3)
    pid = pl["PrefixListId"]
    changed = ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "10.0.1.0/24"}])["PrefixList"]
    assert changed["State"] == "modify-in-progress" and changed["Version"] == 2
    assert ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]["State"] == "modify-complete"
    # A stale version is refused.
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=pid, CurrentVersion=1, AddEntries=[{"Cidr": "10.0.2.0/24"}]) == "PrefixListVersionMismatch"
    # Renaming keeps the version.
    renamed = ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=2, PrefixListName="versions-2")["PrefixList"]
    assert renamed["Version"] == 2 and renamed["PrefixListName"] == "versions-2"
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=pid, RemoveEntries=[{"Cidr": "10.9.0.0/24"}]) == "InvalidPrefixListModification"
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=pid, AddEntries=[{"Cidr": "10.0.0.0/24"}]) == "InvalidPrefixListModification"
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=pid,
                   AddEntries=[{"Cidr": "10.0.2.0/24"}, {"Cidr": "10.0.3.0/24"}]) == "PrefixListMaxEntriesExceeded"
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=pid, MaxEntries=10, AddEntries=[{"Cidr": "10.0.2.0/24"}]) == "InvalidParameterCombination"
    assert code_of(ec2.modify_managed_prefix_list, PrefixListId=pid, MaxEntries=1) == "InvalidParameterValue"
    ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=2, RemoveEntries=[{"Cidr": "10.0.0.0/24"}])
    # Version 3 holds 10.0.1.0/24; version 1 held 10.0.0.0/24.
    v1 = ec2.get_managed_prefix_list_entries(PrefixListId=pid, TargetVersion=1)["Entries"]
    assert [e["Cidr"] for e in v1] == ["10.0.0.0/24"]
    assert code_of(ec2.get_managed_prefix_list_entries, PrefixListId=pid, TargetVersion=9) == "InvalidParameterValue"
    restored = ec2.restore_managed_prefix_list_version(PrefixListId=pid, PreviousVersion=1, CurrentVersion=3)["PrefixList"]
    assert restored["State"] == "restore-in-progress" and restored["Version"] == 4
    assert [e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pid)["Entries"]] == ["10.0.0.0/24"]
    assert code_of(ec2.restore_managed_prefix_list_version, PrefixListId=pid, PreviousVersion=1, CurrentVersion=3) == "PrefixListVersionMismatch"
    # Resize up.
    assert ec2.modify_managed_prefix_list(PrefixListId=pid, MaxEntries=10)["PrefixList"]["MaxEntries"] == 10
    # Entries page.
    ec2.modify_managed_prefix_list(PrefixListId=pid, AddEntries=[{"Cidr": f"10.1.{i}.0/24"} for i in range(5)])
    first = ec2.get_managed_prefix_list_entries(PrefixListId=pid, MaxResults=4)
    assert len(first["Entries"]) == 4 and first["NextToken"]
    rest = ec2.get_managed_prefix_list_entries(PrefixListId=pid, MaxResults=4, NextToken=first["NextToken"])
    assert len(rest["Entries"]) == 2 and "NextToken" not in rest


def test_security_group_rules_routes_associations_and_delete(ec2, vpc):
    vpc_id, subnet = vpc
    pl = create_list(ec2, "refs", ["203.0.113.0/24"], max_entries=20)
    pid = pl["PrefixListId"]
    sg = ec2.create_security_group(GroupName="pl-refs", Description="d", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pid, "Description": "corp"}]}])
    group = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
    assert group["IpPermissions"][0]["PrefixListIds"] == [{"PrefixListId": pid, "Description": "corp"}]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    assert [r.get("PrefixListId") for r in rules if not r["IsEgress"]] == [pid]
    assert code_of(ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0"}]}]) == "InvalidPrefixListID.NotFound"
    # MaxEntries counts toward the rule quota (60): 20 + 20 + 20 fit, one more rule does not.
    for port in (444, 445):
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "PrefixListIds": [{"PrefixListId": pid}]}])
    assert code_of(ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]) == "RulesPerSecurityGroupLimitExceeded"
    # A resize the group cannot hold fails, as AWS reports it: modify-failed with the group named.
    failed = ec2.modify_managed_prefix_list(PrefixListId=pid, MaxEntries=21)["PrefixList"]
    assert failed["State"] == "modify-failed" and sg in failed["StateMessage"] and failed["MaxEntries"] == 20
    for port in (444, 445):
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "PrefixListIds": [{"PrefixListId": pid}]}])

    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.create_route(RouteTableId=rtb, DestinationPrefixListId=pid, GatewayId=igw)
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    assert any(r.get("DestinationPrefixListId") == pid and r["GatewayId"] == igw and r["State"] == "active" for r in routes)
    found = ec2.describe_route_tables(Filters=[{"Name": "route.destination-prefix-list-id", "Values": [pid]}])["RouteTables"]
    assert [t["RouteTableId"] for t in found] == [rtb]
    assert code_of(ec2.create_route, RouteTableId=rtb, DestinationPrefixListId=pid, GatewayId=igw) == "RouteAlreadyExists"
    assert code_of(ec2.create_route, RouteTableId=rtb, DestinationPrefixListId="pl-0123456789abcdef0", GatewayId=igw) == "InvalidPrefixListID.NotFound"
    big = create_list(ec2, "big", [], max_entries=60)
    assert code_of(ec2.create_route, RouteTableId=rtb, DestinationPrefixListId=big["PrefixListId"], GatewayId=igw) == "RouteLimitExceeded"
    ec2.replace_route(RouteTableId=rtb, DestinationPrefixListId=pid, GatewayId=igw)

    assoc = ec2.get_managed_prefix_list_associations(PrefixListId=pid)["PrefixListAssociations"]
    assert sorted(a["ResourceId"] for a in assoc) == sorted([sg, rtb])
    assert code_of(ec2.delete_managed_prefix_list, PrefixListId=pid) == "DependencyViolation"

    ec2.delete_route(RouteTableId=rtb, DestinationPrefixListId=pid)
    assert code_of(ec2.delete_route, RouteTableId=rtb, DestinationPrefixListId=pid) == "InvalidRoute.NotFound"
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pid}]}])
    assert ec2.get_managed_prefix_list_associations(PrefixListId=pid)["PrefixListAssociations"] == []
    deleted = ec2.delete_managed_prefix_list(PrefixListId=pid)["PrefixList"]
    assert deleted["State"] == "delete-in-progress"
    assert code_of(ec2.get_managed_prefix_list_entries, PrefixListId=pid) == "InvalidPrefixListID.NotFound"
    assert code_of(ec2.delete_managed_prefix_list, PrefixListId=pid) == "InvalidPrefixListID.NotFound"


def test_cli_round_trip(server):
    made = server.cli_json("--profile", "stratus", "--region", "us-east-1", "ec2", "create-managed-prefix-list", "--prefix-list-name", "cli-list", "--max-entries", "2",
                           "--address-family", "IPv4", "--entries", "Cidr=198.51.100.0/24,Description=docs")
    pid = made["PrefixList"]["PrefixListId"]
    modified = server.cli_json("--profile", "stratus", "--region", "us-east-1", "ec2", "modify-managed-prefix-list", "--prefix-list-id", pid, "--current-version", "1",
                               "--add-entries", "Cidr=192.0.2.0/24")
    assert modified["PrefixList"]["Version"] == 2
    stale = server.cli("--profile", "stratus", "--region", "us-east-1", "ec2", "modify-managed-prefix-list", "--prefix-list-id", pid, "--current-version", "1",
                       "--remove-entries", "Cidr=192.0.2.0/24")
    assert stale.returncode != 0 and "PrefixListVersionMismatch" in stale.stderr
    ec2 = server.ec2()
    assert [e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pid)["Entries"]] == ["192.0.2.0/24", "198.51.100.0/24"]
    ec2.delete_managed_prefix_list(PrefixListId=pid)


# ---- subnet CIDR reservations -------------------------------------------------------------------

def test_subnet_cidr_reservations(ec2, vpc):
    vpc_id, _ = vpc
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.70.2.0/27", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    explicit = ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.70.2.0/28", ReservationType="explicit", Description="by hand",
                                                  TagSpecifications=[{"ResourceType": "subnet-cidr-reservation", "Tags": [{"Key": "k", "Value": "v"}]}])["SubnetCidrReservation"]
    assert explicit["SubnetCidrReservationId"].startswith("scr-") and explicit["ReservationType"] == "explicit"
    assert explicit["OwnerId"].isdigit() and explicit["Description"] == "by hand"
    prefix = ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.70.2.24/29", ReservationType="prefix")["SubnetCidrReservation"]
    got = ec2.get_subnet_cidr_reservations(SubnetId=subnet)
    assert [r["SubnetCidrReservationId"] for r in got["SubnetIpv4CidrReservations"]] == sorted([explicit["SubnetCidrReservationId"], prefix["SubnetCidrReservationId"]])
    assert got["SubnetIpv6CidrReservations"] == []
    tagged = ec2.get_subnet_cidr_reservations(SubnetId=subnet, Filters=[{"Name": "tag:k", "Values": ["v"]}])["SubnetIpv4CidrReservations"]
    assert [r["Cidr"] for r in tagged] == ["10.70.2.0/28"]
    # The allocator skips the explicit block; a requested address inside it is allowed.
    auto = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["PrivateIpAddress"]
    assert auto == "10.70.2.16"
    chosen = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.70.2.5")["NetworkInterface"]["PrivateIpAddress"]
    assert chosen == "10.70.2.5"
    # Errors.
    assert code_of(ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.70.2.8/29", ReservationType="prefix") == "InvalidSubnetCidrReservation.Overlap"
    assert code_of(ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.71.0.0/28", ReservationType="prefix") == "InvalidParameterValue"
    assert code_of(ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.70.2.1/28", ReservationType="prefix") == "InvalidParameterValue"
    assert code_of(ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.70.2.16/29", ReservationType="other") == "InvalidParameterValue"
    assert code_of(ec2.create_subnet_cidr_reservation, SubnetId="subnet-0123456789abcdef0", Cidr="10.70.2.16/29", ReservationType="prefix") == "InvalidSubnetID.NotFound"
    assert code_of(ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.70.2.16/29", ReservationType="prefix", DryRun=True) == "DryRunOperation"
    deleted = ec2.delete_subnet_cidr_reservation(SubnetCidrReservationId=prefix["SubnetCidrReservationId"])["DeletedSubnetCidrReservation"]
    assert deleted["Cidr"] == "10.70.2.24/29"
    assert code_of(ec2.delete_subnet_cidr_reservation, SubnetCidrReservationId=prefix["SubnetCidrReservationId"]) == "InvalidSubnetCidrReservationID.NotFound"
    assert code_of(ec2.delete_subnet_cidr_reservation, SubnetCidrReservationId="scr-x") == "InvalidSubnetCidrReservationID.Malformed"


# ---- VPC Block Public Access --------------------------------------------------------------------

def test_block_public_access_api(ec2, vpc):
    vpc_id, subnet = vpc
    options = ec2.describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
    assert options["InternetGatewayBlockMode"] == "off" and options["State"] == "default-state"
    assert options["AwsRegion"] == "us-east-1" and options["ExclusionsAllowed"] == "allowed"
    changed = ec2.modify_vpc_block_public_access_options(InternetGatewayBlockMode="block-ingress")["VpcBlockPublicAccessOptions"]
    assert changed["State"] == "update-in-progress"
    options = ec2.describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]
    assert options["InternetGatewayBlockMode"] == "block-ingress" and options["State"] == "update-complete" and options["LastUpdateTimestamp"]
    assert code_of(ec2.modify_vpc_block_public_access_options, InternetGatewayBlockMode="block-everything") == "InvalidParameterValue"

    ex = ec2.create_vpc_block_public_access_exclusion(VpcId=vpc_id, InternetGatewayExclusionMode="allow-egress",
                                                      TagSpecifications=[{"ResourceType": "vpc-block-public-access-exclusion", "Tags": [{"Key": "k", "Value": "v"}]}])["VpcBlockPublicAccessExclusion"]
    assert ex["ExclusionId"].startswith("vpcbpa-exclude-") and ex["State"] == "create-in-progress"
    assert ex["ResourceArn"].endswith(f":vpc/{vpc_id}")
    sub_ex = ec2.create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-bidirectional")["VpcBlockPublicAccessExclusion"]
    listed = ec2.describe_vpc_block_public_access_exclusions(ExclusionIds=[ex["ExclusionId"]])["VpcBlockPublicAccessExclusions"]
    assert listed[0]["State"] == "create-complete" and listed[0]["Tags"] == [{"Key": "k", "Value": "v"}]
    by_mode = ec2.describe_vpc_block_public_access_exclusions(Filters=[{"Name": "internet-gateway-exclusion-mode", "Values": ["allow-bidirectional"]}])
    assert [e["ExclusionId"] for e in by_mode["VpcBlockPublicAccessExclusions"]] == [sub_ex["ExclusionId"]]
    modified = ec2.modify_vpc_block_public_access_exclusion(ExclusionId=ex["ExclusionId"], InternetGatewayExclusionMode="allow-bidirectional")["VpcBlockPublicAccessExclusion"]
    assert modified["State"] == "update-in-progress" and modified["InternetGatewayExclusionMode"] == "allow-bidirectional"
    assert code_of(ec2.create_vpc_block_public_access_exclusion, VpcId=vpc_id, InternetGatewayExclusionMode="allow-egress") == "InvalidParameterValue"
    assert code_of(ec2.create_vpc_block_public_access_exclusion, InternetGatewayExclusionMode="allow-egress") == "MissingParameter"
    assert code_of(ec2.create_vpc_block_public_access_exclusion, VpcId=vpc_id, SubnetId=subnet, InternetGatewayExclusionMode="allow-egress") == "InvalidParameterCombination"
    assert code_of(ec2.create_vpc_block_public_access_exclusion, VpcId="vpc-0123456789abcdef0", InternetGatewayExclusionMode="allow-egress") == "InvalidVpcID.NotFound"
    for e in (ex, sub_ex):
        gone = ec2.delete_vpc_block_public_access_exclusion(ExclusionId=e["ExclusionId"])["VpcBlockPublicAccessExclusion"]
        assert gone["State"] == "delete-in-progress"
    assert code_of(ec2.delete_vpc_block_public_access_exclusion, ExclusionId=ex["ExclusionId"]) == "InvalidVpcBlockPublicAccessExclusionId.NotFound"
    ec2.modify_vpc_block_public_access_options(InternetGatewayBlockMode="off")


# ---- security group VPC associations, groups for a VPC, stale rules -------------------------------

def test_security_group_vpc_associations_and_stale_groups(ec2):
    vpc_a = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    vpc_b = ec2.create_vpc(CidrBlock="10.81.0.0/16")["Vpc"]["VpcId"]
    subnet_b = ec2.create_subnet(VpcId=vpc_b, CidrBlock="10.81.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    shared = ec2.create_security_group(GroupName="shared", Description="shared", VpcId=vpc_a)["GroupId"]
    # Not associated yet: an interface of VPC B cannot use it.
    assert code_of(ec2.create_network_interface, SubnetId=subnet_b, Groups=[shared]) == "InvalidParameterValue"
    assert ec2.associate_security_group_vpc(GroupId=shared, VpcId=vpc_b)["State"] == "associating"
    assoc = ec2.describe_security_group_vpc_associations(Filters=[{"Name": "group-id", "Values": [shared]}])["SecurityGroupVpcAssociations"]
    assert [(a["VpcId"], a["State"]) for a in assoc] == [(vpc_b, "associated")]
    eni = ec2.create_network_interface(SubnetId=subnet_b, Groups=[shared])["NetworkInterface"]
    assert [g["GroupId"] for g in eni["Groups"]] == [shared]
    for_b = ec2.get_security_groups_for_vpc(VpcId=vpc_b)["SecurityGroupForVpcs"]
    assert shared in [g["GroupId"] for g in for_b] and any(g["PrimaryVpcId"] == vpc_b for g in for_b)
    only_shared = ec2.get_security_groups_for_vpc(VpcId=vpc_b, Filters=[{"Name": "primary-vpc-id", "Values": [vpc_a]}])["SecurityGroupForVpcs"]
    assert [g["GroupId"] for g in only_shared] == [shared]
    assert code_of(ec2.associate_security_group_vpc, GroupId=shared, VpcId=vpc_b) == "InvalidParameterValue"
    assert code_of(ec2.associate_security_group_vpc, GroupId=shared, VpcId=vpc_a) == "InvalidParameterValue"
    default_a = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_a]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    assert code_of(ec2.associate_security_group_vpc, GroupId=default_a, VpcId=vpc_b) == "InvalidParameterValue"
    assert code_of(ec2.associate_security_group_vpc, GroupId="sg-0123456789abcdef0", VpcId=vpc_b) == "InvalidGroup.NotFound"
    assert code_of(ec2.disassociate_security_group_vpc, GroupId=shared, VpcId=vpc_b) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    # Still associated with VPC B: the group cannot be deleted until it is disassociated.
    assert code_of(ec2.delete_security_group, GroupId=shared) == "DependencyViolation"
    assert ec2.disassociate_security_group_vpc(GroupId=shared, VpcId=vpc_b)["State"] == "disassociating"
    assert ec2.describe_security_group_vpc_associations(Filters=[{"Name": "group-id", "Values": [shared]}])["SecurityGroupVpcAssociations"] == []

    # Stale rules: a rule referencing a group of a peer VPC goes stale when the peering is deleted.
    peer_group = ec2.create_security_group(GroupName="peer", Description="peer", VpcId=vpc_b)["GroupId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc_a, PeerVpcId=vpc_b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.authorize_security_group_ingress(GroupId=shared, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": peer_group}]}])
    assert ec2.describe_stale_security_groups(VpcId=vpc_a)["StaleSecurityGroupSet"] == []
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    stale = ec2.describe_stale_security_groups(VpcId=vpc_a)["StaleSecurityGroupSet"]
    assert [g["GroupId"] for g in stale] == [shared]
    permission = stale[0]["StaleIpPermissions"][0]
    assert (permission["IpProtocol"], permission["FromPort"]) == ("tcp", 5432)
    pair = permission["UserIdGroupPairs"][0]
    assert (pair["GroupId"], pair["VpcId"], pair["VpcPeeringConnectionId"], pair["PeeringStatus"]) == (peer_group, vpc_b, pcx, "deleted")
    assert code_of(ec2.describe_stale_security_groups, VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"


# ---- packets (container runtime) ---------------------------------------------------------------

def test_prefix_list_rule_on_real_packets(stratus_binary, tmp_path_factory):
    from guests import GuestLab, guest_server

    with guest_server(stratus_binary, tmp_path_factory, "pl") as srv:
        guests = GuestLab(srv)
        ec2 = guests.ec2
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        # The host reaches guests from the VPC uplink's host address, 100.64.x.1 (docs/security-groups.md).
        pl = create_list(ec2, "host", ["100.64.0.0/10"], max_entries=2)["PrefixListId"]
        sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "PrefixListIds": [{"PrefixListId": pl}]}])
        serve = "#!/bin/sh\nmkdir -p /srv/a\necho prefix-list-ok > /srv/a/index.html\nbusybox httpd -p 8080 -h /srv/a\n"
        iid = guests.run_instances(SecurityGroupIds=[sg], UserData=serve)[0]
        ip = guests.running(iid)[iid]["PublicIpAddress"]

        def reachable() -> bool:
            p = subprocess.run(["curl", "-s", "-m", "1", f"http://{ip}:8080/"], capture_output=True, text=True)
            return "prefix-list-ok" in p.stdout

        def until(expected, timeout, what):
            """Seconds from the call's return to the start of the first check that saw the new behaviour."""
            start = time.monotonic()
            while True:
                checked = time.monotonic()
                if reachable() == expected:
                    return checked - start
                assert time.monotonic() - start < timeout, f"{what}: never {expected}"
                time.sleep(0.1)

        until(True, 60, "guest serving through the prefix-list rule")
        ec2.modify_managed_prefix_list(PrefixListId=pl, RemoveEntries=[{"Cidr": "100.64.0.0/10"}], AddEntries=[{"Cidr": "192.0.2.0/24"}])
        closed = until(False, 5, "entry removed")
        ec2.modify_managed_prefix_list(PrefixListId=pl, AddEntries=[{"Cidr": "100.64.0.0/10"}])
        opened = until(True, 5, "entry restored")
        print(f"\nprefix-list change in effect after: removed {closed:.3f}s, restored {opened:.3f}s")
        assert closed < 1.0 and opened < 1.0

        # VPC Block Public Access: block-bidirectional cuts the guest's public address off; a subnet
        # exclusion brings it back; off restores everything.
        subnet = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["SubnetId"]
        ec2.modify_vpc_block_public_access_options(InternetGatewayBlockMode="block-bidirectional")
        blocked = until(False, 5, "block-bidirectional")
        ex = ec2.create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-bidirectional")["VpcBlockPublicAccessExclusion"]
        excluded = until(True, 5, "subnet excluded")
        ec2.modify_vpc_block_public_access_exclusion(ExclusionId=ex["ExclusionId"], InternetGatewayExclusionMode="allow-egress")
        until(False, 5, "allow-egress lets nothing in")
        ec2.delete_vpc_block_public_access_exclusion(ExclusionId=ex["ExclusionId"])
        ec2.modify_vpc_block_public_access_options(InternetGatewayBlockMode="off")
        until(True, 5, "block public access off")
        print(f"block public access in effect after: blocked {blocked:.3f}s, excluded {excluded:.3f}s")
        assert blocked < 1.0 and excluded < 1.0
