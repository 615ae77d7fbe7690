"""`stratus serve` options and the AWS CLI profile it writes."""

import concurrent.futures as cf
import configparser
import json
import os
import stat

from conftest import default_vpc, http_send


def test_profile_keeps_other_profiles_and_is_private(server_factory):
    srv = server_factory("keep-profiles", start=False)
    aws_dir = os.path.join(srv.home, ".aws")
    os.makedirs(aws_dir)
    with open(os.path.join(aws_dir, "credentials"), "w") as f:
        f.write("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secretdefault\n\n"
                "[stratus]\naws_access_key_id = STALE\naws_secret_access_key = STALE\n")
    with open(os.path.join(aws_dir, "config"), "w") as f:
        f.write("[default]\nregion = eu-west-1\n\n[profile work]\nregion = us-west-2\noutput = table\n\n"
                "[profile stratus]\nregion = ap-southeast-2\nendpoint_url = http://127.0.0.1:1\n")
    srv.start()

    creds = configparser.RawConfigParser()
    creds.read(srv.credentials_file)
    assert creds.get("default", "aws_access_key_id") == "AKIDDEFAULT"
    assert creds.get("default", "aws_secret_access_key") == "secretdefault"
    assert creds.get("stratus", "aws_access_key_id") not in ("STALE", "")
    cfg = configparser.RawConfigParser()
    cfg.read(srv.config_file)
    assert dict(cfg.items("default")) == {"region": "eu-west-1"}
    assert dict(cfg.items("profile work")) == {"region": "us-west-2", "output": "table"}
    assert cfg.get("profile stratus", "endpoint_url") == srv.endpoint
    assert cfg.get("profile stratus", "region") == "us-east-1"
    mode = stat.S_IMODE(os.stat(srv.credentials_file).st_mode)
    assert mode & 0o077 == 0, f"credentials file is mode {oct(mode)}"
    # and it works
    assert default_vpc(srv.ec2())["CidrBlock"] == "172.31.0.0/16"


def test_profile_name_and_region_options(server_factory):
    srv = server_factory("named-profile", extra_args=["--profile", "local-ec2", "--region", "eu-central-1",
                                                      "--log-format", "json"])
    cfg = configparser.RawConfigParser()
    cfg.read(srv.config_file)
    assert cfg.get("profile local-ec2", "region") == "eu-central-1"
    assert cfg.get("profile local-ec2", "endpoint_url") == srv.endpoint
    assert not cfg.has_section("profile stratus")
    p = srv.cli("--profile", "local-ec2", "ec2", "describe-availability-zones",
                "--query", "AvailabilityZones[].ZoneName", "--output", "text")
    assert p.returncode == 0, p.stderr
    assert sorted(p.stdout.split()) == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    # --log-format json: every log line the server wrote is a JSON object
    srv.stop()
    with open(srv.log_path, encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip() and not ln.startswith("===== start")]
    # every line is JSON, the start-up lines (runtime choice, banner) included
    assert lines, "no log lines"
    assert any("DescribeAvailabilityZones" in ln for ln in lines)
    for ln in lines:
        assert isinstance(json.loads(ln), dict), ln


def test_no_profile(server_factory):
    srv = server_factory("no-profile", extra_args=["--no-profile"])
    assert not os.path.exists(srv.config_file)
    assert not os.path.exists(srv.credentials_file)
    # the root key is still usable: create another account and use it
    acct = srv.create_account("via-cli")
    assert default_vpc(srv.ec2(credentials=acct))["OwnerId"] == acct["AccountId"]


def test_health_needs_no_auth(server):
    r = http_send("GET", server.endpoint + "/_stratus/health")
    assert r.status == 200, r
    health = json.loads(r.body)
    assert health["status"] == "ready"
    assert health["services"]["ec2"]["state"] == "ready"


def test_concurrent_writes(server):
    client = server.ec2("us-west-1")
    vpc = default_vpc(client)["VpcId"]
    before = {r["RouteTableId"] for r in client.describe_route_tables()["RouteTables"]}

    # one client shared by the threads (botocore clients are thread-safe; building one per thread
    # would spend the time loading EC2's service model)
    def create(i):
        return client.create_route_table(VpcId=vpc, TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "n", "Value": str(i)}]}])["RouteTable"]["RouteTableId"]

    with cf.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(create, range(24)))
    assert len(set(ids)) == 24
    after = {r["RouteTableId"] for r in client.describe_route_tables()["RouteTables"]}
    assert after - before == set(ids)

    # the same ClientToken from many threads at once makes exactly one table
    def create_same(_):
        return client.create_route_table(VpcId=vpc, ClientToken="concurrent-token")["RouteTable"]["RouteTableId"]

    with cf.ThreadPoolExecutor(8) as pool:
        same = list(pool.map(create_same, range(16)))
    assert len(set(same)) == 1
    final = {r["RouteTableId"] for r in client.describe_route_tables()["RouteTables"]}
    assert final - after == set(same)
