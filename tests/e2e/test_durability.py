"""Acknowledged writes survive SIGKILL and graceful restarts; so do the account, keys and profile."""

import os

import pytest
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of, tags_dict


def _state(client):
    vpc = default_vpc(client)
    return {
        "vpc": vpc["VpcId"],
        "subnets": sorted(s["SubnetId"] for s in client.describe_subnets()["Subnets"]),
        "sgs": sorted(g["GroupId"] for g in client.describe_security_groups()["SecurityGroups"]),
        "rtbs": sorted(r["RouteTableId"] for r in client.describe_route_tables()["RouteTables"]),
        "tags": sorted((t["ResourceId"], t["Key"], t["Value"]) for t in client.describe_tags()["Tags"]),
    }


@pytest.mark.parametrize("graceful", [False, True], ids=["sigkill", "sigterm"])
def test_acknowledged_writes_survive_restart(server_factory, graceful):
    srv = server_factory("durable")
    client = srv.ec2("us-east-1")
    vpc = default_vpc(client)["VpcId"]
    west = srv.ec2("us-west-2")
    west_vpc = default_vpc(west)["VpcId"]

    # a batch of acknowledged writes, the last one immediately followed by the kill
    rtb = client.create_route_table(VpcId=vpc, ClientToken="durable-token",
                                    TagSpecifications=[{"ResourceType": "route-table",
                                                        "Tags": [{"Key": "Name", "Value": "kept"}]}])
    rtb_id = rtb["RouteTable"]["RouteTableId"]
    gone = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.delete_route_table(RouteTableId=gone)
    client.create_tags(Resources=[vpc], Tags=[{"Key": "survives", "Value": "yes"}])
    client.create_tags(Resources=[vpc], Tags=[{"Key": "doomed", "Value": "x"}])
    client.delete_tags(Resources=[vpc], Tags=[{"Key": "doomed"}])
    west.create_tags(Resources=[west_vpc], Tags=[{"Key": "region", "Value": "us-west-2"}])
    before_east, before_west = _state(client), _state(west)
    last = client.create_tags(Resources=[rtb_id], Tags=[{"Key": "last-write", "Value": "1"}])
    assert last["ResponseMetadata"]["HTTPStatusCode"] == 200
    old_pid = srv.pid

    srv.restart(graceful=graceful)
    assert srv.pid != old_pid
    if graceful:
        assert srv.proc is not None

    client = srv.ec2("us-east-1")
    west = srv.ec2("us-west-2")
    after_east = _state(client)
    assert after_east["tags"] == sorted(before_east["tags"] + [(rtb_id, "last-write", "1")])
    after_east["tags"] = before_east["tags"]
    assert after_east == before_east
    assert _state(west) == before_west

    assert tags_dict(client.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]) == {"survives": "yes"}
    assert tags_dict(client.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]) == {
        "Name": "kept", "last-write": "1"}
    with pytest.raises(ClientError) as ei:
        client.describe_route_tables(RouteTableIds=[gone])
    assert error_of(ei)[0] == "InvalidRouteTableID.NotFound"
    # the client token is remembered too
    again = client.create_route_table(VpcId=vpc, ClientToken="durable-token",
                                      TagSpecifications=[{"ResourceType": "route-table",
                                                          "Tags": [{"Key": "Name", "Value": "kept"}]}])
    assert again["RouteTable"]["RouteTableId"] == rtb_id


def test_sigkill_right_after_create_route_table(server_factory):
    srv = server_factory("kill-after-create")
    client = srv.ec2("eu-central-1")
    vpc = default_vpc(client)["VpcId"]
    created = []
    for _ in range(3):
        created.append(client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"])
        srv.kill9()
        srv.start()
        client = srv.ec2("eu-central-1")
        ids = {r["RouteTableId"] for r in client.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]}
        assert set(created) <= ids
        assert len(ids) == len(created) + 1
    assert default_vpc(client)["VpcId"] == vpc


def test_account_keys_and_profile_survive_restart(server_factory):
    srv = server_factory("keys")
    creds = srv.credentials
    cfg = srv.profile_config()
    owner = default_vpc(srv.ec2())["OwnerId"]
    other = srv.create_account("other")
    other_vpc = default_vpc(srv.ec2(credentials=other))["VpcId"]
    db_files = os.listdir(srv.data_dir)
    assert any(f.startswith("stratus.db") for f in db_files), db_files

    srv.restart(graceful=True)
    assert srv.credentials.access_key == creds.access_key
    assert srv.credentials.secret_key == creds.secret_key
    assert srv.profile_config() == cfg
    assert default_vpc(srv.ec2())["OwnerId"] == owner
    assert default_vpc(srv.ec2(credentials=other))["VpcId"] == other_vpc

    srv.kill9()
    srv.start()
    assert srv.credentials.access_key == creds.access_key
    assert default_vpc(srv.ec2())["OwnerId"] == owner
    assert default_vpc(srv.ec2(credentials=other))["VpcId"] == other_vpc
    p = srv.cli("--profile", "stratus", "ec2", "describe-vpcs", "--query", "Vpcs[0].OwnerId", "--output", "text")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == owner


def test_graceful_stop_exits_cleanly(server_factory):
    srv = server_factory("graceful")
    srv.ec2().describe_vpcs()
    rc = srv.stop()
    # exits by itself (not killed by the signal's default action) and without an error code
    assert rc in (0, 130, 143), f"stratus serve exited {rc} on SIGTERM"
