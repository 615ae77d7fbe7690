"""SigV4 authentication and account isolation."""

import datetime as dt
import re
import urllib.parse

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of, http_send, sigv4_sign, strip_ns

AUTH_CODES = {"AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId", "IncompleteSignature",
              "MissingAuthenticationToken", "RequestExpired", "UnauthorizedOperation"}


def test_valid_signature_ok(server):
    r = server.raw({"Action": "DescribeRegions"})
    assert r.status == 200, r
    root = strip_ns(r.xml)
    assert root.tag == "DescribeRegionsResponse"
    assert root.find("requestId") is not None and root.find("requestId").text
    assert len(root.findall("./regionInfo/item")) == 17  # the regions that need no opt-in


def test_wrong_secret(server):
    good = server.credentials
    bad = Credentials(good.access_key, good.secret_key[:-4] + ("AAAA" if not good.secret_key.endswith("AAAA") else "BBBB"))
    with pytest.raises(ClientError) as ei:
        server.ec2(credentials=bad).describe_regions()
    code, msg, status = error_of(ei)
    # AWS EC2 answers a bad signature with AuthFailure (some services use SignatureDoesNotMatch).
    assert code in ("AuthFailure", "SignatureDoesNotMatch"), (code, msg)
    assert 400 <= status < 500
    assert good.secret_key not in msg


def test_tampered_body(server):
    def tamper(body):
        return body.replace(b"RegionName.1=us-east-1", b"RegionName.1=us-west-2")

    r = server.raw({"Action": "DescribeRegions", "RegionName.1": "us-east-1"}, tamper=tamper)
    assert r.code in ("AuthFailure", "SignatureDoesNotMatch"), r
    assert 400 <= r.status < 500


def test_unknown_access_key(server):
    with pytest.raises(ClientError) as ei:
        server.ec2(credentials=Credentials("AKIAXXXXXXXXXXXXXXXX", "x" * 40)).describe_regions()
    code, msg, status = error_of(ei)
    assert code == "AuthFailure", (code, msg)
    assert 400 <= status < 500


def test_unsigned(server):
    client = server.ec2(config=Config(signature_version=UNSIGNED), credentials=server.credentials)
    with pytest.raises(ClientError) as ei:
        client.describe_regions()
    code, msg, status = error_of(ei)
    assert code == "MissingAuthenticationToken", (code, msg)
    assert 400 <= status < 500
    r = server.raw({"Action": "DescribeVpcs"}, sign=False)
    assert r.code == "MissingAuthenticationToken", r


def test_request_signed_20_minutes_ago(server):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    r = server.raw({"Action": "DescribeRegions"}, when=past)
    assert r.code == "RequestExpired", r
    assert 400 <= r.status < 500
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=20)
    r = server.raw({"Action": "DescribeRegions"}, when=future)
    assert r.code == "RequestExpired", r
    # a few minutes of skew is fine
    near = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=4)
    r = server.raw({"Action": "DescribeRegions"}, when=near)
    assert r.status == 200, r


def test_signing_region_selects_region(server):
    # us-west-2 has four zones; ap-northeast-1 has a, c and d (its zone b is retired)
    for region, letters in (("us-west-2", "abcd"), ("ap-northeast-1", "acd")):
        r = server.raw({"Action": "DescribeAvailabilityZones"}, region=region)
        assert r.status == 200, r
        names = sorted(el.text for el in strip_ns(r.xml).findall("./availabilityZoneInfo/item/zoneName"))
        assert names == [f"{region}{letter}" for letter in letters]


def test_unknown_signing_region(server):
    r = server.raw({"Action": "DescribeVpcs"}, region="mars-north-1")
    assert 400 <= r.status < 500, r
    assert r.code, r


def test_presigned_get_url(server):
    client = server.ec2()
    url = client.generate_presigned_url("describe_regions", Params={"RegionNames": ["eu-west-1"]},
                                        ExpiresIn=300, HttpMethod="GET")
    assert url.startswith(server.endpoint + "/?")
    assert "X-Amz-Signature=" in url
    r = http_send("GET", url)
    assert r.status == 200, r
    root = strip_ns(r.xml)
    assert [el.text for el in root.findall("./regionInfo/item/regionName")] == ["eu-west-1"]
    # the same URL with a parameter changed no longer verifies
    r = http_send("GET", url.replace("RegionName.1=eu-west-1", "RegionName.1=us-west-2"))
    assert r.code in ("AuthFailure", "SignatureDoesNotMatch"), r


def test_presigned_url_expired(server):
    # Signed explicitly ten minutes ago (not by patching botocore's clock, which botocore reads
    # differently across versions): valid for 60 s, so expired by nine minutes.
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    query = urllib.parse.urlencode({"Action": "DescribeRegions", "Version": "2016-11-15"})
    url, _ = sigv4_sign("GET", server.endpoint + "/?" + query, b"", {}, server.credentials, "ec2", "us-east-1", past,
                        presign_expires=60)
    r = http_send("GET", url)
    assert (r.status, r.code) == (400, "RequestExpired"), r
    # The same URL signed now (by the same code) is accepted: the refusal is the expiry, not the signing.
    url, _ = sigv4_sign("GET", server.endpoint + "/?" + query, b"", {}, server.credentials, "ec2", "us-east-1",
                        dt.datetime.now(dt.timezone.utc), presign_expires=60)
    assert http_send("GET", url).status == 200


def test_signed_get_with_query_params(server):
    r = server.raw({"Action": "DescribeVpcs", "Filter.1.Name": "is-default", "Filter.1.Value.1": "true"},
                   method="GET")
    assert r.status == 200, r
    root = strip_ns(r.xml)
    assert root.tag == "DescribeVpcsResponse"
    assert [el.text for el in root.findall("./vpcSet/item/cidrBlock")] == ["172.31.0.0/16"]


def test_error_envelope(server):
    r = server.raw({"Action": "DescribeVpcs", "VpcId.1": "vpc-0123456789abcdef0"})
    assert r.status == 400
    root = r.xml
    assert root.tag == "Response"
    assert root.find("./Errors/Error/Code").text == "InvalidVpcID.NotFound"
    assert root.find("./Errors/Error/Message").text
    assert root.find("./RequestID") is not None and root.find("./RequestID").text


@pytest.fixture(scope="module")
def second_account(server):
    return server.create_account("second")


def test_account_create_output(server, second_account):
    assert re.fullmatch(r"\d{12}", second_account["AccountId"])
    assert second_account["Name"] == "second"
    assert second_account["AccessKeyId"] != server.credentials.access_key
    first_owner = default_vpc(server.ec2())["OwnerId"]
    assert second_account["AccountId"] != first_owner


def test_second_account_isolation(server, second_account):
    first = server.ec2("us-east-1")
    second = server.ec2("us-east-1", credentials=second_account)
    vpc1 = default_vpc(first)
    vpc2 = default_vpc(second)
    assert vpc1["VpcId"] != vpc2["VpcId"]
    assert vpc2["OwnerId"] == second_account["AccountId"]
    assert vpc2["CidrBlock"] == "172.31.0.0/16"

    # each sees only its own VPCs and subnets
    assert [v["VpcId"] for v in second.describe_vpcs()["Vpcs"]] == [vpc2["VpcId"]]
    subnets2 = {s["SubnetId"] for s in second.describe_subnets()["Subnets"]}
    subnets1 = {s["SubnetId"] for s in first.describe_subnets()["Subnets"]}
    assert len(subnets2) == 6 and subnets1.isdisjoint(subnets2)  # one default subnet per us-east-1 zone

    # account 1 creates a route table and tags its VPC; account 2 cannot see or touch either
    rtb = first.create_route_table(VpcId=vpc1["VpcId"])["RouteTable"]["RouteTableId"]
    first.create_tags(Resources=[vpc1["VpcId"], rtb], Tags=[{"Key": "owner", "Value": "first"}])
    with pytest.raises(ClientError) as ei:
        second.describe_route_tables(RouteTableIds=[rtb])
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"
    with pytest.raises(ClientError) as ei:
        second.describe_vpcs(VpcIds=[vpc1["VpcId"]])
    assert error_of(ei)[0] == "InvalidVpcID.NotFound"
    assert rtb not in {r["RouteTableId"] for r in second.describe_route_tables()["RouteTables"]}
    assert second.describe_tags(Filters=[{"Name": "key", "Values": ["owner"]}])["Tags"] == []
    with pytest.raises(ClientError) as ei:
        second.create_route_table(VpcId=vpc1["VpcId"])
    assert error_of(ei)[0] == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as ei:
        second.delete_route_table(RouteTableId=rtb)
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"
    with pytest.raises(ClientError) as ei:
        second.create_tags(Resources=[rtb], Tags=[{"Key": "owner", "Value": "second"}])
    assert error_of(ei)[0].endswith(".NotFound"), error_of(ei)

    # and account 1's data is unchanged
    tags = first.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}])["Tags"]
    assert [(t["Key"], t["Value"]) for t in tags] == [("owner", "first")]
    first.delete_route_table(RouteTableId=rtb)


def test_second_account_via_raw_signature(server, second_account):
    creds = Credentials(second_account["AccessKeyId"], second_account["SecretAccessKey"])
    r = server.raw({"Action": "DescribeAccountAttributes", "AttributeName.1": "default-vpc"}, credentials=creds)
    assert r.status == 200, r
    value = strip_ns(r.xml).find("./accountAttributeSet/item/attributeValueSet/item/attributeValue").text
    assert value == default_vpc(server.ec2(credentials=second_account))["VpcId"]
