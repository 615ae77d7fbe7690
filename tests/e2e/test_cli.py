"""A short aws CLI session, typed the way a user would (HOME holds the profile the server wrote)."""

import json

import pytest


def aws(server, *args):
    """`aws --profile stratus ARGS...`; returns (exit code, stdout, stderr)."""
    p = server.cli("--profile", "stratus", *args)
    return p.returncode, p.stdout, p.stderr


def ok(server, *args) -> str:
    rc, out, err = aws(server, *args)
    assert rc == 0, f"aws {' '.join(args)} exited {rc}: {err}"
    return out


@pytest.fixture(scope="module")
def vpc_id(server):
    return ok(server, "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true",
              "--query", "Vpcs[0].VpcId", "--output", "text").strip()


def test_query_text_output(server):
    assert ok(server, "ec2", "describe-vpcs", "--query", "Vpcs[0].CidrBlock", "--output", "text").strip() == "172.31.0.0/16"


def test_describe_regions_text(server):
    out = ok(server, "ec2", "describe-regions", "--query", "Regions[].RegionName", "--output", "text")
    # the 17 regions that need no opt-in
    assert sorted(out.split()) == sorted(["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
                                          "eu-central-1", "ap-northeast-1", "ap-southeast-2", "ap-northeast-2",
                                          "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ca-central-1",
                                          "eu-north-1", "eu-west-2", "eu-west-3", "sa-east-1"])


def test_security_group_by_name(server, vpc_id):
    data = json.loads(ok(server, "ec2", "describe-security-groups", "--group-names", "default", "--output", "json"))
    (sg,) = data["SecurityGroups"]
    assert sg["GroupName"] == "default"
    assert sg["VpcId"] == vpc_id


def test_dry_run(server):
    rc, out, err = aws(server, "ec2", "describe-vpcs", "--dry-run")
    assert rc != 0
    assert "DryRunOperation" in err
    assert "Request would have succeeded, but DryRun flag is set" in err


def test_filters(server, vpc_id):
    data = json.loads(ok(server, "ec2", "describe-subnets", "--filters", "Name=availability-zone,Values=us-east-1a",
                         "--output", "json"))
    (subnet,) = data["Subnets"]
    assert subnet["AvailabilityZone"] == "us-east-1a"
    assert subnet["VpcId"] == vpc_id
    assert subnet["DefaultForAz"] is True
    out = ok(server, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + vpc_id,
             "Name=default-for-az,Values=true", "--query", "length(Subnets)", "--output", "text")
    assert out.strip() == "6"  # one per us-east-1 zone


def test_tags_walkthrough(server, vpc_id):
    out = ok(server, "ec2", "create-tags", "--resources", vpc_id, "--tags", "Key=Name,Value=cli-vpc", "Key=env,Value=dev")
    assert out.strip() == ""
    data = json.loads(ok(server, "ec2", "describe-tags", "--filters", f"Name=resource-id,Values={vpc_id}",
                         "--output", "json"))
    assert sorted((t["Key"], t["Value"], t["ResourceType"]) for t in data["Tags"]) == [
        ("Name", "cli-vpc", "vpc"), ("env", "dev", "vpc")]
    out = ok(server, "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=cli-vpc",
             "--query", "Vpcs[].VpcId", "--output", "text")
    assert out.split() == [vpc_id]
    ok(server, "ec2", "delete-tags", "--resources", vpc_id, "--tags", "Key=env")
    out = ok(server, "ec2", "describe-tags", "--filters", f"Name=resource-id,Values={vpc_id}",
             "--query", "Tags[].Key", "--output", "text")
    assert out.split() == ["Name"]
    table = ok(server, "ec2", "describe-tags", "--output", "table")
    assert "cli-vpc" in table


def test_route_table_walkthrough(server, vpc_id):
    rtb = ok(server, "ec2", "create-route-table", "--vpc-id", vpc_id, "--client-token", "cli-token-1",
             "--query", "RouteTable.RouteTableId", "--output", "text").strip()
    assert rtb.startswith("rtb-")
    again = ok(server, "ec2", "create-route-table", "--vpc-id", vpc_id, "--client-token", "cli-token-1",
               "--query", "RouteTable.RouteTableId", "--output", "text").strip()
    assert again == rtb
    data = json.loads(ok(server, "ec2", "describe-route-tables", "--route-table-ids", rtb, "--output", "json"))
    assert [r["RouteTableId"] for r in data["RouteTables"]] == [rtb]
    ok(server, "ec2", "delete-route-table", "--route-table-id", rtb)
    rc, _, err = aws(server, "ec2", "describe-route-tables", "--route-table-ids", rtb)
    assert rc != 0 and "InvalidRouteTableID.NotFound" in err


def test_other_region(server, vpc_id):
    out = ok(server, "ec2", "describe-availability-zones", "--region", "eu-west-1",
             "--query", "AvailabilityZones[].ZoneName", "--output", "text")
    assert sorted(out.split()) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    eu_vpc = ok(server, "--region", "eu-west-1", "ec2", "describe-vpcs", "--query", "Vpcs[0].VpcId",
                "--output", "text").strip()
    assert eu_vpc.startswith("vpc-") and eu_vpc != vpc_id
    rc, _, err = aws(server, "ec2", "describe-vpcs", "--vpc-ids", eu_vpc)  # us-east-1 does not have it
    assert rc != 0 and "InvalidVpcID.NotFound" in err


def test_errors_reach_the_user(server):
    rc, _, err = aws(server, "ec2", "describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0")
    assert rc != 0
    assert "InvalidVpcID.NotFound" in err and "vpc-0123456789abcdef0" in err
    rc, _, err = aws(server, "ec2", "describe-fpga-images")
    assert rc != 0
    assert "UnsupportedOperation" in err and "DescribeFpgaImages" in err
    rc, _, err = aws(server, "ec2", "describe-vpcs", "--filters", "Name=bogus,Values=1")
    assert rc != 0
    assert "InvalidParameterValue" in err and "bogus" in err
