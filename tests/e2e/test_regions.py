"""Regions, availability zones and account attributes, through the written `stratus` profile."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of

# The seventeen regions every AWS account may use without opting in, and the opt-in ones.
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
]
OPT_IN_REGIONS = [
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1",
    "me-central-1", "me-south-1", "mx-central-1",
]

ZONE_ID_PREFIX = {
    "us-east-1": "use1", "us-east-2": "use2", "us-west-1": "usw1", "us-west-2": "usw2",
    "eu-west-1": "euw1", "eu-central-1": "euc1", "ap-northeast-1": "apne1", "ap-southeast-2": "apse2",
}


def test_profile_written_with_endpoint_and_region(server):
    cfg = server.profile_config()
    assert cfg.get("region") == "us-east-1"
    assert cfg.get("endpoint_url") == server.endpoint
    creds = server.credentials
    assert creds.access_key and creds.secret_key
    assert creds.access_key != creds.secret_key


def test_describe_regions_boto3_profile_only(server):
    client = server.ec2()  # nothing but the profile: endpoint, region and keys come from $HOME/.aws
    assert client.meta.region_name == "us-east-1"
    assert client.meta.endpoint_url == server.endpoint
    names = sorted(r["RegionName"] for r in client.describe_regions()["Regions"])
    assert names == sorted(REGIONS)
    for r in client.describe_regions()["Regions"]:
        assert r["Endpoint"], r
        assert r["OptInStatus"] == "opt-in-not-required", r


def test_describe_regions_cli_profile_only(server):
    p = server.cli("--profile", "stratus", "ec2", "describe-regions")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)  # the profile's default output is json (or the CLI's default)
    assert sorted(r["RegionName"] for r in data["Regions"]) == sorted(REGIONS)


def test_describe_regions_filters_and_names(ec2):
    got = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["us-*"]}])["Regions"]
    assert sorted(r["RegionName"] for r in got) == ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    got = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["eu-west-1", "ap-*-2"]}])["Regions"]
    assert sorted(r["RegionName"] for r in got) == ["ap-northeast-2", "ap-southeast-2", "eu-west-1"]
    got = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["us-?est-1"]}])["Regions"]
    assert sorted(r["RegionName"] for r in got) == ["us-west-1"]
    got = ec2.describe_regions(RegionNames=["eu-central-1"])["Regions"]
    assert [r["RegionName"] for r in got] == ["eu-central-1"]
    got = ec2.describe_regions(Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required"]}])["Regions"]
    assert len(got) == len(REGIONS)
    got = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["mars-*"]}])["Regions"]
    assert got == []


def test_describe_regions_all_regions(ec2):
    all_regions = ec2.describe_regions(AllRegions=True)["Regions"]
    assert sorted(r["RegionName"] for r in all_regions) == sorted(REGIONS + OPT_IN_REGIONS)
    status = {r["RegionName"]: r["OptInStatus"] for r in all_regions}
    assert {status[r] for r in REGIONS} == {"opt-in-not-required"}
    assert {status[r] for r in OPT_IN_REGIONS} == {"not-opted-in"}
    got = ec2.describe_regions(AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}])["Regions"]
    assert sorted(r["RegionName"] for r in got) == sorted(OPT_IN_REGIONS)
    # Named regions are listed whatever their status.
    assert [r["OptInStatus"] for r in ec2.describe_regions(RegionNames=["af-south-1"])["Regions"]] == ["not-opted-in"]


def test_describe_regions_unknown_filter(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.describe_regions(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    code, msg, status = error_of(ei)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "no-such-filter" in msg


@pytest.mark.parametrize("region,letters", [("us-east-1", "abcdef"), ("us-west-2", "abcd"), ("eu-west-1", "abc"), ("us-west-1", "ab")])
def test_describe_availability_zones(server, region, letters):
    client = server.ec2(region)
    zones = client.describe_availability_zones()["AvailabilityZones"]
    assert sorted(z["ZoneName"] for z in zones) == [f"{region}{c}" for c in letters]
    ids = sorted(z["ZoneId"] for z in zones)
    assert len(set(ids)) == len(letters)
    for z in zones:
        assert z["RegionName"] == region
        assert z["State"] == "available"
        assert z["ZoneId"].startswith(ZONE_ID_PREFIX[region] + "-az"), z
        assert z.get("ZoneType", "availability-zone") == "availability-zone"
        assert z.get("OptInStatus", "opt-in-not-required") == "opt-in-not-required"


def test_zones_differ_between_regions(server):
    east = {z["ZoneName"] for z in server.ec2("us-east-1").describe_availability_zones()["AvailabilityZones"]}
    west = {z["ZoneName"] for z in server.ec2("us-west-2").describe_availability_zones()["AvailabilityZones"]}
    assert east.isdisjoint(west)


def test_zone_filters_and_wildcards(server):
    client = server.ec2("us-east-1")
    got = client.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["us-east-1a"]}])
    assert [z["ZoneName"] for z in got["AvailabilityZones"]] == ["us-east-1a"]
    got = client.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["*-1b", "us-east-1?"]}])
    assert sorted(z["ZoneName"] for z in got["AvailabilityZones"]) == [f"us-east-1{c}" for c in "abcdef"]
    got = client.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["*c"]}])
    assert [z["ZoneName"] for z in got["AvailabilityZones"]] == ["us-east-1c"]
    got = client.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["us-west-2*"]}])
    assert got["AvailabilityZones"] == []
    # AND across filters
    got = client.describe_availability_zones(Filters=[
        {"Name": "zone-name", "Values": ["us-east-1a", "us-east-1b"]},
        {"Name": "state", "Values": ["available"]},
        {"Name": "zone-name", "Values": ["*b"]},
    ])
    assert [z["ZoneName"] for z in got["AvailabilityZones"]] == ["us-east-1b"]
    zone_a = client.describe_availability_zones(ZoneNames=["us-east-1a"])["AvailabilityZones"][0]
    by_id = client.describe_availability_zones(ZoneIds=[zone_a["ZoneId"]])["AvailabilityZones"]
    assert [z["ZoneName"] for z in by_id] == ["us-east-1a"]
    by_id_filter = client.describe_availability_zones(
        Filters=[{"Name": "zone-id", "Values": [zone_a["ZoneId"]]}])["AvailabilityZones"]
    assert [z["ZoneName"] for z in by_id_filter] == ["us-east-1a"]


def test_zone_filter_cli(server):
    data = server.cli_json("--profile", "stratus", "ec2", "describe-availability-zones", "--region", "us-west-2",
                           "--filters", "Name=zone-name,Values=*a,*c")
    assert sorted(z["ZoneName"] for z in data["AvailabilityZones"]) == ["us-west-2a", "us-west-2c"]
    assert len(server.cli_json("--profile", "stratus", "ec2", "describe-availability-zones", "--region", "us-west-2")["AvailabilityZones"]) == 4


def test_account_attributes_default_vpc(server):
    for region in ("us-east-1", "eu-west-1"):
        client = server.ec2(region)
        attrs = client.describe_account_attributes()["AccountAttributes"]
        by_name = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in attrs}
        assert "default-vpc" in by_name, by_name
        assert by_name["default-vpc"] == [default_vpc(client)["VpcId"]]
        assert "supported-platforms" in by_name and "VPC" in by_name["supported-platforms"]
        only = client.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
        assert [a["AttributeName"] for a in only] == ["default-vpc"]
