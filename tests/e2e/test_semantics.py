"""EC2 API semantics: DryRun, unsupported actions, parameter checks, idempotency, pagination, tags."""

import json
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of, strip_ns, tags_dict

# Pagination and route-table counting run in a region no other test of this module writes to.
PAGE_REGION = "ap-southeast-2"


@pytest.fixture(scope="module")
def vpc_id(ec2):
    return default_vpc(ec2)["VpcId"]


def route_table_ids(client, vpc_id):
    return {r["RouteTableId"] for r in client.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]}


# ---- DryRun --------------------------------------------------------------------------------

def test_dry_run_read(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.describe_vpcs(DryRun=True)
    code, msg, status = error_of(ei)
    assert (code, status) == ("DryRunOperation", 412)
    assert msg == "Request would have succeeded, but DryRun flag is set."


def test_dry_run_create_tags(ec2, vpc_id):
    with pytest.raises(ClientError) as ei:
        ec2.create_tags(DryRun=True, Resources=[vpc_id], Tags=[{"Key": "dry", "Value": "run"}])
    assert error_of(ei)[0::2] == ("DryRunOperation", 412)
    assert ec2.describe_tags(Filters=[{"Name": "key", "Values": ["dry"]}])["Tags"] == []
    assert "dry" not in tags_dict(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0])


def test_dry_run_create_and_delete_route_table(ec2, vpc_id):
    before = route_table_ids(ec2, vpc_id)
    with pytest.raises(ClientError) as ei:
        ec2.create_route_table(DryRun=True, VpcId=vpc_id)
    assert error_of(ei)[0::2] == ("DryRunOperation", 412)
    assert route_table_ids(ec2, vpc_id) == before
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as ei:
        ec2.delete_route_table(DryRun=True, RouteTableId=rtb)
    assert error_of(ei)[0::2] == ("DryRunOperation", 412)
    assert rtb in route_table_ids(ec2, vpc_id)
    ec2.delete_route_table(RouteTableId=rtb)
    assert route_table_ids(ec2, vpc_id) == before


# ---- actions and parameters ----------------------------------------------------------------

@pytest.mark.parametrize("call,action", [
    (lambda c: c.describe_fpga_images(), "DescribeFpgaImages"),
    (lambda c: c.describe_ipam_pools(), "DescribeIpamPools"),
])
def test_unsupported_operation(ec2, call, action):
    with pytest.raises(ClientError) as ei:
        call(ec2)
    code, msg, status = error_of(ei)
    assert (code, status) == ("UnsupportedOperation", 400)
    assert action in msg


def test_invalid_action(server):
    r = server.raw({"Action": "NoSuchAction"})
    assert (r.status, r.code) == (400, "InvalidAction"), r
    assert "NoSuchAction" in r.message


def test_missing_action(server):
    r = server.raw({})
    assert r.status == 400, r
    assert r.code in ("MissingAction", "InvalidAction", "MissingParameter"), r


def test_unknown_parameter(server):
    r = server.raw({"Action": "DescribeVpcs", "Bogus": "1"})
    assert (r.status, r.code) == (400, "UnknownParameter"), r
    assert "Bogus" in r.message


def test_missing_parameter(server):
    r = server.raw({"Action": "CreateRouteTable"})
    assert (r.status, r.code) == (400, "MissingParameter"), r
    assert "VpcId" in r.message
    r = server.raw({"Action": "DeleteRouteTable"})
    assert (r.status, r.code) == (400, "MissingParameter"), r
    assert "RouteTableId" in r.message
    r = server.raw({"Action": "CreateTags", "Tag.1.Key": "k", "Tag.1.Value": "v"})
    assert (r.status, r.code) == (400, "MissingParameter"), r


def test_create_route_table_bad_vpc(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.create_route_table(VpcId="vpc-0123456789abcdef0")
    assert error_of(ei)[0::2] == ("InvalidVpcID.NotFound", 400)
    with pytest.raises(ClientError) as ei:
        ec2.create_route_table(VpcId="vpc-nope")
    assert error_of(ei)[0::2] == ("InvalidVpcID.Malformed", 400)


def test_delete_route_table_not_found(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.delete_route_table(RouteTableId="rtb-0123456789abcdef0")
    assert error_of(ei)[0::2] == ("InvalidRouteTableID.NotFound", 400)


def test_delete_main_route_table_is_refused(ec2, vpc_id):
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(main) == 1
    with pytest.raises(ClientError) as ei:
        ec2.delete_route_table(RouteTableId=main[0]["RouteTableId"])
    code, msg, status = error_of(ei)
    assert (code, status) == ("DependencyViolation", 400)
    assert main[0]["RouteTableId"] in msg
    assert main[0]["RouteTableId"] in route_table_ids(ec2, vpc_id)


# ---- create_route_table result and ClientToken ---------------------------------------------

def test_create_route_table_result(ec2, vpc_id):
    rt = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "made-by-e2e"}]}])["RouteTable"]
    try:
        assert rt["RouteTableId"].startswith("rtb-")
        assert rt["VpcId"] == vpc_id
        assert rt["Associations"] == []
        assert [(r["DestinationCidrBlock"], r["GatewayId"], r["State"], r["Origin"]) for r in rt["Routes"]] == [
            ("172.31.0.0/16", "local", "active", "CreateRouteTable")]
        assert tags_dict(rt) == {"Name": "made-by-e2e"}
        assert rt["OwnerId"] == default_vpc(ec2)["OwnerId"]
        got = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["made-by-e2e"]}])["RouteTables"]
        assert [r["RouteTableId"] for r in got] == [rt["RouteTableId"]]
        got = ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [rt["RouteTableId"]]}])
        assert [r["RouteTableId"] for r in got["RouteTables"]] == [rt["RouteTableId"]]
        # AWS: "association.main ... Route tables that do not have an association ID are not returned"
        got = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["false"]},
                                                 {"Name": "route-table-id", "Values": [rt["RouteTableId"]]}])
        assert got["RouteTables"] == []
    finally:
        ec2.delete_route_table(RouteTableId=rt["RouteTableId"])
    with pytest.raises(ClientError) as ei:
        ec2.describe_route_tables(RouteTableIds=[rt["RouteTableId"]])
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"


def test_client_token_idempotency(ec2, vpc_id):
    token = "e2e-" + uuid.uuid4().hex
    before = route_table_ids(ec2, vpc_id)
    a = ec2.create_route_table(VpcId=vpc_id, ClientToken=token)
    b = ec2.create_route_table(VpcId=vpc_id, ClientToken=token)
    assert a["RouteTable"]["RouteTableId"] == b["RouteTable"]["RouteTableId"]
    assert a.get("ClientToken") == token and b.get("ClientToken") == token
    after = route_table_ids(ec2, vpc_id)
    assert after - before == {a["RouteTable"]["RouteTableId"]}

    # same token, different parameters
    with pytest.raises(ClientError) as ei:
        ec2.create_route_table(VpcId=vpc_id, ClientToken=token, TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "k", "Value": "v"}]}])
    code, msg, status = error_of(ei)
    assert (code, status) == ("IdempotentParameterMismatch", 400)
    assert route_table_ids(ec2, vpc_id) == after

    # a different token makes a new table
    c = ec2.create_route_table(VpcId=vpc_id, ClientToken=token + "-2")
    assert c["RouteTable"]["RouteTableId"] != a["RouteTable"]["RouteTableId"]
    for rid in (a["RouteTable"]["RouteTableId"], c["RouteTable"]["RouteTableId"]):
        ec2.delete_route_table(RouteTableId=rid)


def test_client_token_is_per_region(server):
    token = "e2e-region-" + uuid.uuid4().hex
    ids = []
    for region in ("us-west-1", "eu-central-1"):
        client = server.ec2(region)
        ids.append(client.create_route_table(VpcId=default_vpc(client)["VpcId"], ClientToken=token)
                   ["RouteTable"]["RouteTableId"])
    assert ids[0] != ids[1]


# ---- pagination ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many_route_tables(server):
    client = server.ec2(PAGE_REGION)
    vpc = default_vpc(client)["VpcId"]
    created = [client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(12)]
    all_ids = route_table_ids(client, vpc)
    assert len(all_ids) == 13  # 12 + the main table
    return client, vpc, all_ids, created


def test_manual_pagination(many_route_tables):
    client, _, all_ids, _ = many_route_tables
    seen, pages, token = [], 0, None
    while True:
        kw = {"MaxResults": 5}
        if token:
            kw["NextToken"] = token
        page = client.describe_route_tables(**kw)
        pages += 1
        assert len(page["RouteTables"]) <= 5
        seen += [r["RouteTableId"] for r in page["RouteTables"]]
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 10, "pagination does not end"
    assert len(seen) == len(set(seen)), "a route table was returned twice"
    assert set(seen) == all_ids
    assert pages == 3


def test_pagination_with_filter(many_route_tables):
    client, vpc, all_ids, created = many_route_tables
    seen, token = [], None
    while True:
        kw = {"MaxResults": 5, "Filters": [{"Name": "route-table-id", "Values": created}]}
        if token:
            kw["NextToken"] = token
        page = client.describe_route_tables(**kw)
        seen += [r["RouteTableId"] for r in page["RouteTables"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == 12 and set(seen) == set(created)


def test_boto3_paginator(many_route_tables):
    client, _, all_ids, _ = many_route_tables
    pages = list(client.get_paginator("describe_route_tables").paginate(PaginationConfig={"PageSize": 5}))
    ids = [r["RouteTableId"] for p in pages for r in p["RouteTables"]]
    assert len(pages) == 3
    assert sorted(ids) == sorted(all_ids)
    limited = client.get_paginator("describe_route_tables").paginate(
        PaginationConfig={"PageSize": 5, "MaxItems": 7}).build_full_result()
    assert len(limited["RouteTables"]) == 7
    assert "NextToken" in limited


def test_cli_auto_pagination(server, many_route_tables):
    _, _, all_ids, _ = many_route_tables
    data = server.cli_json("--profile", "stratus", "--region", PAGE_REGION, "ec2", "describe-route-tables",
                           "--page-size", "5")
    ids = [r["RouteTableId"] for r in data["RouteTables"]]
    assert len(ids) == len(set(ids)) == 13 and set(ids) == all_ids
    data = server.cli_json("--profile", "stratus", "--region", PAGE_REGION, "ec2", "describe-route-tables",
                           "--page-size", "5", "--max-items", "6")
    assert len(data["RouteTables"]) == 6
    assert data.get("NextToken")
    rest = server.cli_json("--profile", "stratus", "--region", PAGE_REGION, "ec2", "describe-route-tables",
                           "--page-size", "5", "--starting-token", data["NextToken"])
    both = [r["RouteTableId"] for r in data["RouteTables"] + rest["RouteTables"]]
    assert sorted(both) == sorted(all_ids)


def test_bad_next_token(many_route_tables):
    client, *_ = many_route_tables
    with pytest.raises(ClientError) as ei:
        client.describe_route_tables(MaxResults=5, NextToken="not-a-token")
    assert error_of(ei)[0::2] == ("InvalidPaginationToken", 400)


def test_max_results_with_ids(many_route_tables):
    client, _, all_ids, _ = many_route_tables
    with pytest.raises(ClientError) as ei:
        client.describe_route_tables(MaxResults=5, RouteTableIds=sorted(all_ids)[:2])
    assert error_of(ei)[0::2] == ("InvalidParameterCombination", 400)


def test_max_results_with_ids_other_operations(server, many_route_tables):
    client, vpc, *_ = many_route_tables
    with pytest.raises(ClientError) as ei:
        client.describe_vpcs(MaxResults=5, VpcIds=[vpc])
    assert error_of(ei)[0::2] == ("InvalidParameterCombination", 400)
    subnet = client.describe_subnets()["Subnets"][0]["SubnetId"]
    with pytest.raises(ClientError) as ei:
        client.describe_subnets(MaxResults=5, SubnetIds=[subnet])
    assert error_of(ei)[0::2] == ("InvalidParameterCombination", 400)


def test_describe_tags_max_results_below_range(server):
    # EC2 API reference, DescribeTags: "This value can be between 5 and 1000."
    client = server.ec2(PAGE_REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as ei:
        client.describe_tags(MaxResults=3)
    assert error_of(ei)[0::2] == ("InvalidParameterValue", 400)


@pytest.mark.parametrize("op,value", [("describe_route_tables", 2), ("describe_route_tables", 101),
                                      ("describe_vpcs", 4), ("describe_vpcs", 1001), ("describe_subnets", 3)])
def test_max_results_out_of_range(server, op, value):
    client = server.ec2(PAGE_REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as ei:
        getattr(client, op)(MaxResults=value)
    code, msg, status = error_of(ei)
    assert (code, status) == ("InvalidParameterValue", 400)


def test_max_results_out_of_range_raw(server):
    r = server.raw({"Action": "DescribeVpcs", "MaxResults": "2"})
    assert (r.status, r.code) == (400, "InvalidParameterValue"), r
    r = server.raw({"Action": "DescribeVpcs", "MaxResults": "five"})
    assert r.status == 400 and r.code in ("InvalidParameterValue", "ValidationError"), r


# ---- tags ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tagged(server):
    client = server.ec2("us-east-2")
    vpc = default_vpc(client)
    subnet = client.describe_subnets(Filters=[{"Name": "availability-zone", "Values": ["us-east-2a"]}])["Subnets"][0]
    sg = client.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    client.create_tags(Resources=[vpc["VpcId"], subnet["SubnetId"], sg["GroupId"]],
                       Tags=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "stratus"}])
    client.create_tags(Resources=[vpc["VpcId"]], Tags=[{"Key": "Name", "Value": "main-vpc"}])
    client.create_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "Name", "Value": "subnet-a"}])
    return client, vpc["VpcId"], subnet["SubnetId"], sg["GroupId"]


def test_tags_visible_in_describe(tagged):
    client, vpc, subnet, sg = tagged
    assert tags_dict(client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]) == {
        "env": "test", "team": "stratus", "Name": "main-vpc"}
    assert tags_dict(client.describe_subnets(SubnetIds=[subnet])["Subnets"][0]) == {
        "env": "test", "team": "stratus", "Name": "subnet-a"}
    assert tags_dict(client.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]) == {
        "env": "test", "team": "stratus"}
    got = client.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["main-vpc"]}])["Vpcs"]
    assert [v["VpcId"] for v in got] == [vpc]
    got = client.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["main-*"]}])["Vpcs"]
    assert [v["VpcId"] for v in got] == [vpc]
    assert client.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["other"]}])["Vpcs"] == []
    got = client.describe_subnets(Filters=[{"Name": "tag-key", "Values": ["env"]}])["Subnets"]
    assert [s["SubnetId"] for s in got] == [subnet]
    got = client.describe_subnets(Filters=[{"Name": "tag-value", "Values": ["subnet-?"]}])["Subnets"]
    assert [s["SubnetId"] for s in got] == [subnet]
    got = client.describe_security_groups(Filters=[{"Name": "tag:team", "Values": ["stratus"]}])["SecurityGroups"]
    assert [g["GroupId"] for g in got] == [sg]


def test_describe_tags_filters(tagged):
    client, vpc, subnet, sg = tagged

    def tags(*filters):
        return sorted((t["ResourceId"], t["ResourceType"], t["Key"], t["Value"])
                      for t in client.describe_tags(Filters=list(filters))["Tags"])

    everything = tags()
    assert len(everything) == 8
    assert tags({"Name": "resource-type", "Values": ["vpc"]}) == sorted([
        (vpc, "vpc", "Name", "main-vpc"), (vpc, "vpc", "env", "test"), (vpc, "vpc", "team", "stratus")])
    assert tags({"Name": "resource-type", "Values": ["security-group"]}) == sorted([
        (sg, "security-group", "env", "test"), (sg, "security-group", "team", "stratus")])
    assert [t[0] for t in tags({"Name": "key", "Values": ["Name"]})] == sorted([vpc, subnet])
    assert tags({"Name": "value", "Values": ["subnet-a"]}) == [(subnet, "subnet", "Name", "subnet-a")]
    assert tags({"Name": "key", "Values": ["env"]}, {"Name": "resource-id", "Values": [subnet]}) == [
        (subnet, "subnet", "env", "test")]
    assert tags({"Name": "resource-type", "Values": ["subnet", "vpc"]},
                {"Name": "key", "Values": ["team"]}) == sorted([
                    (vpc, "vpc", "team", "stratus"), (subnet, "subnet", "team", "stratus")])
    by_tag = tags({"Name": "tag:Name", "Values": ["main-vpc"]})
    assert (vpc, "vpc", "Name", "main-vpc") in by_tag and {t[0] for t in by_tag} == {vpc}
    assert tags({"Name": "key", "Values": ["nope"]}) == []
    assert len(tags({"Name": "key", "Values": ["e*"]})) == 3
    with pytest.raises(ClientError) as ei:
        client.describe_tags(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_of(ei)[0] == "InvalidParameterValue"


def test_describe_tags_pagination(tagged):
    client, *_ = tagged
    all_tags = client.describe_tags()["Tags"]
    pages = list(client.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 5}))
    paged = [t for p in pages for t in p["Tags"]]
    assert len(pages) == 2
    assert sorted(map(json.dumps, paged)) == sorted(map(json.dumps, all_tags))


def test_overwrite_and_delete_tags(tagged):
    client, vpc, subnet, sg = tagged
    client.create_tags(Resources=[sg], Tags=[{"Key": "tmp1", "Value": "a"}, {"Key": "tmp2", "Value": "b"},
                                             {"Key": "tmp3", "Value": ""}, {"Key": "tmp4", "Value": "d"}])
    client.create_tags(Resources=[sg], Tags=[{"Key": "tmp1", "Value": "a2"}])  # overwrite

    def sg_tags():
        return tags_dict(client.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0])

    assert sg_tags()["tmp1"] == "a2"
    client.delete_tags(Resources=[sg], Tags=[{"Key": "tmp1"}])  # by key, whatever the value
    assert "tmp1" not in sg_tags()
    client.delete_tags(Resources=[sg], Tags=[{"Key": "tmp2", "Value": "wrong"}])  # value mismatch: kept
    assert sg_tags()["tmp2"] == "b"
    client.delete_tags(Resources=[sg], Tags=[{"Key": "tmp2", "Value": "b"}])  # key+value match: deleted
    assert "tmp2" not in sg_tags()
    client.delete_tags(Resources=[sg], Tags=[{"Key": "tmp4", "Value": ""}])  # "" only matches "": kept
    assert sg_tags()["tmp4"] == "d"
    client.delete_tags(Resources=[sg], Tags=[{"Key": "tmp3", "Value": ""}])
    assert "tmp3" not in sg_tags()
    client.delete_tags(Resources=[sg], Tags=[{"Key": "tmp4"}])
    client.delete_tags(Resources=[sg], Tags=[{"Key": "never-existed"}])  # no error
    assert sg_tags() == {"env": "test", "team": "stratus"}


def test_delete_all_tags_of_a_resource(server):
    client = server.ec2("us-east-2")
    rtb = client.create_route_table(VpcId=default_vpc(client)["VpcId"])["RouteTable"]["RouteTableId"]
    try:
        client.create_tags(Resources=[rtb], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        client.delete_tags(Resources=[rtb])  # no Tags: every user tag of the resource goes
        assert client.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}])["Tags"] == []
    finally:
        client.delete_route_table(RouteTableId=rtb)


def test_aws_prefix_refused(tagged):
    client, vpc, *_ = tagged
    for key in ("aws:foo", "AWS:bar"):
        with pytest.raises(ClientError) as ei:
            client.create_tags(Resources=[vpc], Tags=[{"Key": key, "Value": "x"}])
        code, msg, status = error_of(ei)
        assert (code, status) == ("InvalidParameterValue", 400), (key, code, msg)
        assert key in msg
    assert not any(k.lower().startswith("aws:") for k in tags_dict(client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]))


def test_tag_limit(server):
    client = server.ec2("us-east-2")
    rtb = client.create_route_table(VpcId=default_vpc(client)["VpcId"])["RouteTable"]["RouteTableId"]
    try:
        client.create_tags(Resources=[rtb], Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(50)])
        with pytest.raises(ClientError) as ei:
            client.create_tags(Resources=[rtb], Tags=[{"Key": "k50", "Value": "50"}])
        code, msg, status = error_of(ei)
        assert (code, status) == ("TagLimitExceeded", 400), (code, msg)
        # overwriting an existing key is still allowed at the limit
        client.create_tags(Resources=[rtb], Tags=[{"Key": "k0", "Value": "zero"}])
        got = client.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}], MaxResults=1000)["Tags"]
        assert len(got) == 50
        # 51 at once is refused too, and nothing of it is applied
        client.delete_tags(Resources=[rtb])
        with pytest.raises(ClientError) as ei:
            client.create_tags(Resources=[rtb], Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(51)])
        assert error_of(ei)[0] == "TagLimitExceeded"
        assert client.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}])["Tags"] == []
    finally:
        client.delete_route_table(RouteTableId=rtb)


def test_tags_of_a_deleted_resource_are_gone(ec2, vpc_id):
    rtb = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "short-lived"}]}])["RouteTable"]["RouteTableId"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}])["Tags"]
    assert [(t["Key"], t["Value"], t["ResourceType"]) for t in tags] == [("Name", "short-lived", "route-table")]
    ec2.delete_route_table(RouteTableId=rtb)
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}])["Tags"] == []
    assert ec2.describe_tags(Filters=[{"Name": "value", "Values": ["short-lived"]}])["Tags"] == []
    with pytest.raises(ClientError) as ei:
        ec2.create_tags(Resources=[rtb], Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"
    with pytest.raises(ClientError) as ei:
        ec2.delete_route_table(RouteTableId=rtb)
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"


def test_create_tags_in_another_region_is_not_found(server):
    west_vpc = default_vpc(server.ec2("us-west-2"))["VpcId"]
    with pytest.raises(ClientError) as ei:
        server.ec2("us-east-1").create_tags(Resources=[west_vpc], Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(ei)[0] == "InvalidVpcID.NotFound"


def test_create_tags_validation(ec2, vpc_id):
    for tags in ([{"Key": "k" * 129, "Value": "v"}], [{"Key": "k", "Value": "v" * 257}], [{"Key": "", "Value": "v"}]):
        with pytest.raises(ClientError) as ei:
            ec2.create_tags(Resources=[vpc_id], Tags=tags)
        assert error_of(ei)[0::2] == ("InvalidParameterValue", 400), tags
    with pytest.raises(ClientError) as ei:
        ec2.create_tags(Resources=["not-an-id"], Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(ei)[0] == "InvalidID"
    with pytest.raises(ClientError) as ei:
        ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert error_of(ei)[0] == "InvalidParameterValue"
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "k" * 128, "Value": "v" * 256}])
    ec2.delete_tags(Resources=[vpc_id], Tags=[{"Key": "k" * 128}])


def test_create_tags_unknown_resource(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.create_tags(Resources=["vpc-0123456789abcdef0"], Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(ei)[0] == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as ei:
        ec2.create_tags(Resources=["rtb-0123456789abcdef0"], Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"


def test_tags_response_xml(server, tagged):
    _, vpc, *_ = tagged
    r = server.raw({"Action": "DescribeTags", "Filter.1.Name": "resource-id", "Filter.1.Value.1": vpc},
                   region="us-east-2")
    assert r.status == 200, r
    items = strip_ns(r.xml).findall("./tagSet/item")
    assert {(i.find("key").text, i.find("value").text, i.find("resourceType").text) for i in items} == {
        ("env", "test", "vpc"), ("team", "stratus", "vpc"), ("Name", "main-vpc", "vpc")}
