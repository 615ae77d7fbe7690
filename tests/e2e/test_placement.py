"""Placement groups: Create/Describe/Delete with the CLI and boto3, the documented filters, and
launching into cluster, spread and partition groups on the mock runtime with their rules."""

import pytest
from botocore.exceptions import ClientError

from conftest import FAST, error_of, tags_dict



MOCK_BOOT_SECONDS = 0.3


def run(ec2, ami, group=None, count=1, **placement):
    if group is not None:
        placement["GroupName"] = group
    return ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=placement.pop("MinCount", count),
                             MaxCount=count, Placement=placement)["Instances"]


def terminate(ec2, instances):
    ids = [i["InstanceId"] for i in instances]
    ec2.terminate_instances(InstanceIds=ids)
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=FAST)


def group(ec2, name):
    return ec2.describe_placement_groups(GroupNames=[name])["PlacementGroups"][0]


def names(groups):
    return sorted(g["GroupName"] for g in groups)


def test_create_each_strategy_and_describe(ec2):
    cluster = ec2.create_placement_group(GroupName="pg-cluster", Strategy="cluster",
                                         TagSpecifications=[{"ResourceType": "placement-group", "Tags": [{"Key": "purpose", "Value": "hpc"}]}])["PlacementGroup"]
    assert cluster["GroupId"].startswith("pg-") and len(cluster["GroupId"]) == 20
    assert cluster["Strategy"] == "cluster" and cluster["State"] == "available"
    arn = cluster["GroupArn"].split(":")
    assert arn[:4] == ["arn", "aws", "ec2", "us-east-1"] and arn[4].isdigit() and len(arn[4]) == 12
    assert arn[5] == "placement-group/pg-cluster"
    assert tags_dict(cluster) == {"purpose": "hpc"}
    assert "SpreadLevel" not in cluster and "PartitionCount" not in cluster

    spread = ec2.create_placement_group(GroupName="pg-spread", Strategy="spread")["PlacementGroup"]
    assert spread["SpreadLevel"] == "rack"
    host = ec2.create_placement_group(GroupName="pg-spread-host", Strategy="spread", SpreadLevel="host")["PlacementGroup"]
    assert host["SpreadLevel"] == "host"
    partition = ec2.create_placement_group(GroupName="pg-partition", Strategy="partition")["PlacementGroup"]
    assert partition["PartitionCount"] == 2
    seven = ec2.create_placement_group(GroupName="pg-partition-7", Strategy="partition", PartitionCount=7)["PlacementGroup"]
    assert seven["PartitionCount"] == 7

    described = group(ec2, "pg-cluster")
    assert described == cluster
    by_id = ec2.describe_placement_groups(GroupIds=[spread["GroupId"], partition["GroupId"]])["PlacementGroups"]
    assert names(by_id) == ["pg-partition", "pg-spread"]
    everything = ec2.describe_placement_groups()["PlacementGroups"]
    assert {"pg-cluster", "pg-spread", "pg-spread-host", "pg-partition", "pg-partition-7"} <= set(names(everything))


def test_filters(ec2):
    ec2.create_placement_group(GroupName="flt-a", Strategy="spread", SpreadLevel="host",
                               TagSpecifications=[{"ResourceType": "placement-group", "Tags": [{"Key": "team", "Value": "blue"}]}])
    b = ec2.create_placement_group(GroupName="flt-b", Strategy="partition", PartitionCount=3)["PlacementGroup"]

    def f(name, *values):
        return [g["GroupName"] for g in ec2.describe_placement_groups(Filters=[{"Name": name, "Values": list(values)}])["PlacementGroups"]
                if g["GroupName"].startswith("flt-")]

    assert f("group-name", "flt-a") == ["flt-a"]
    assert f("group-name", "flt-*") == ["flt-a", "flt-b"]
    assert f("group-arn", b["GroupArn"]) == ["flt-b"]
    assert f("strategy", "partition") == ["flt-b"]
    assert f("spread-level", "host") == ["flt-a"]
    assert f("state", "available") == ["flt-a", "flt-b"]
    assert f("state", "deleted") == []
    assert f("tag-key", "team") == ["flt-a"]
    assert f("tag:team", "blue") == ["flt-a"]
    assert f("tag-value", "blue") == ["flt-a"]
    with pytest.raises(ClientError) as ei:
        ec2.describe_placement_groups(Filters=[{"Name": "partition-count", "Values": ["3"]}])
    assert error_of(ei)[0] == "InvalidParameterValue"


def test_cli_create_describe_delete(server):
    created = server.cli_json("--profile", "stratus", "ec2", "create-placement-group", "--group-name", "cli-part",
                              "--strategy", "partition", "--partition-count", "5",
                              "--tag-specifications", "ResourceType=placement-group,Tags=[{Key=env,Value=dev}]")
    assert created["PlacementGroup"]["PartitionCount"] == 5
    described = server.cli_json("--profile", "stratus", "ec2", "describe-placement-groups", "--group-names", "cli-part")
    assert described["PlacementGroups"][0]["GroupId"] == created["PlacementGroup"]["GroupId"]
    filtered = server.cli_json("--profile", "stratus", "ec2", "describe-placement-groups",
                               "--filters", "Name=tag:env,Values=dev", "--query", "PlacementGroups[].GroupName")
    assert filtered == ["cli-part"]
    p = server.cli("--profile", "stratus", "ec2", "delete-placement-group", "--group-name", "cli-part")
    assert p.returncode == 0, p.stderr
    p = server.cli("--profile", "stratus", "ec2", "delete-placement-group", "--group-name", "cli-part")
    assert p.returncode != 0 and "InvalidPlacementGroup.Unknown" in p.stderr


def test_create_errors(ec2):
    ec2.create_placement_group(GroupName="dup", Strategy="cluster")
    cases = [
        (dict(GroupName="dup", Strategy="spread"), "InvalidPlacementGroup.Duplicate"),
        (dict(GroupName="bad-strategy", Strategy="scatter"), "InvalidParameterValue"),
        (dict(GroupName="no-strategy"), "MissingParameter"),
        (dict(Strategy="cluster"), "MissingParameter"),
        (dict(GroupName="x" * 256, Strategy="cluster"), "InvalidParameterValue"),
        (dict(GroupName="p0", Strategy="partition", PartitionCount=0), "InvalidParameterValue"),
        (dict(GroupName="p8", Strategy="partition", PartitionCount=8), "InvalidParameterValue"),
        (dict(GroupName="c-count", Strategy="cluster", PartitionCount=2), "InvalidParameterCombination"),
        (dict(GroupName="s-count", Strategy="spread", PartitionCount=2), "InvalidParameterCombination"),
        (dict(GroupName="c-level", Strategy="cluster", SpreadLevel="rack"), "InvalidParameterCombination"),
        (dict(GroupName="s-level", Strategy="spread", SpreadLevel="row"), "InvalidParameterValue"),
        (dict(GroupName="bad-tag", Strategy="cluster", TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}]), None),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as ei:
            ec2.create_placement_group(**kwargs)
        if code is not None:
            assert error_of(ei)[0] == code, (kwargs, error_of(ei))
    assert group(ec2, "dup")["Strategy"] == "cluster"
    left = names(ec2.describe_placement_groups()["PlacementGroups"])
    for name in ("bad-strategy", "p0", "p8", "c-count", "s-count", "c-level", "s-level", "bad-tag"):
        assert name not in left


def test_describe_and_delete_errors(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.describe_placement_groups(GroupNames=["nope"])
    assert error_of(ei)[:2] == ("InvalidPlacementGroup.Unknown", "The Placement Group 'nope' is unknown.")
    with pytest.raises(ClientError) as ei:
        ec2.describe_placement_groups(GroupIds=["pg-0123456789abcdef0"])
    assert error_of(ei)[0] == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as ei:
        ec2.describe_placement_groups(GroupIds=["sg-0123456789abcdef0"])
    assert error_of(ei)[0] == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as ei:
        ec2.delete_placement_group(GroupName="nope")
    assert error_of(ei)[:2] == ("InvalidPlacementGroup.Unknown", "The Placement Group 'nope' is unknown.")


def test_dry_run(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.create_placement_group(GroupName="dry", Strategy="cluster", DryRun=True)
    assert error_of(ei)[0::2] == ("DryRunOperation", 412)
    with pytest.raises(ClientError) as ei:
        ec2.describe_placement_groups(GroupNames=["dry"])
    assert error_of(ei)[0] == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as ei:
        ec2.describe_placement_groups(DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    ec2.create_placement_group(GroupName="dry-keep", Strategy="cluster")
    with pytest.raises(ClientError) as ei:
        ec2.delete_placement_group(GroupName="dry-keep", DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    assert group(ec2, "dry-keep")["State"] == "available"
    with pytest.raises(ClientError) as ei:  # a DryRun that would fail answers the real error
        ec2.delete_placement_group(GroupName="dry-missing", DryRun=True)
    assert error_of(ei)[0] == "InvalidPlacementGroup.Unknown"


def test_spread_group_takes_seven_per_zone(ec2, ami):
    ec2.create_placement_group(GroupName="web-spread", Strategy="spread")
    first = run(ec2, ami, "web-spread", count=5)
    zone = first[0]["Placement"]["AvailabilityZone"]
    assert {i["Placement"]["GroupName"] for i in first} == {"web-spread"}
    # MinCount 1, MaxCount 3: only two more fit in the zone.
    more = run(ec2, ami, "web-spread", count=3, MinCount=1)
    assert len(more) == 2
    with pytest.raises(ClientError) as ei:
        run(ec2, ami, "web-spread", AvailabilityZone=zone)
    code, message, _ = error_of(ei)
    assert code == "InsufficientInstanceCapacity" and "web-spread" in message
    found = ec2.describe_instances(Filters=[{"Name": "placement-group-name", "Values": ["web-spread"]}])
    assert sum(len(r["Instances"]) for r in found["Reservations"]) == 7

    with pytest.raises(ClientError) as ei:
        ec2.delete_placement_group(GroupName="web-spread")
    assert error_of(ei)[0] == "InvalidPlacementGroup.InUse"
    terminate(ec2, first + more)
    ec2.delete_placement_group(GroupName="web-spread")
    with pytest.raises(ClientError) as ei:
        group(ec2, "web-spread")
    assert error_of(ei)[0] == "InvalidPlacementGroup.Unknown"


def test_partition_numbers(ec2, ami):
    pg = ec2.create_placement_group(GroupName="db-part", Strategy="partition", PartitionCount=3)["PlacementGroup"]
    spread_out = run(ec2, ami, "db-part", count=4)
    assert [i["Placement"]["PartitionNumber"] for i in spread_out] == [1, 2, 3, 1]
    pinned = run(ec2, ami, None, GroupId=pg["GroupId"], PartitionNumber=3)
    assert pinned[0]["Placement"]["PartitionNumber"] == 3 and pinned[0]["Placement"]["GroupName"] == "db-part"
    assert pinned[0]["Placement"]["GroupId"] == pg["GroupId"]
    nxt = run(ec2, ami, "db-part")
    assert nxt[0]["Placement"]["PartitionNumber"] == 2
    found = ec2.describe_instances(Filters=[{"Name": "placement-group-name", "Values": ["db-part"]},
                                            {"Name": "placement-partition-number", "Values": ["3"]}])
    assert sorted(i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]) == \
        sorted([spread_out[2]["InstanceId"], pinned[0]["InstanceId"]])
    described = ec2.describe_instances(InstanceIds=[pinned[0]["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["Placement"]["PartitionNumber"] == 3

    for bad in (0, 4):
        with pytest.raises(ClientError) as ei:
            run(ec2, ami, "db-part", PartitionNumber=bad)
        assert error_of(ei)[0] == "InvalidParameterValue"
    terminate(ec2, spread_out + pinned + nxt)
    ec2.delete_placement_group(GroupName="db-part")


def test_cluster_and_launch_errors(ec2, ami):
    ec2.create_placement_group(GroupName="hpc", Strategy="cluster")
    inst = run(ec2, ami, "hpc", count=2)
    zone = inst[0]["Placement"]["AvailabilityZone"]
    assert {i["Placement"]["AvailabilityZone"] for i in inst} == {zone}
    other = next(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"] if z["ZoneName"] != zone)
    with pytest.raises(ClientError) as ei:
        run(ec2, ami, "hpc", AvailabilityZone=other)
    assert error_of(ei)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as ei:
        run(ec2, ami, "hpc", PartitionNumber=1)
    assert error_of(ei)[0] == "InvalidParameterCombination"
    before = len(ec2.describe_instances()["Reservations"])
    with pytest.raises(ClientError) as ei:
        run(ec2, ami, "no-such-group")
    assert error_of(ei)[:2] == ("InvalidPlacementGroup.Unknown", "The Placement Group 'no-such-group' is unknown.")
    with pytest.raises(ClientError) as ei:
        run(ec2, ami, None, GroupId="pg-0123456789abcdef0")
    assert error_of(ei)[0] == "InvalidPlacementGroup.Unknown"
    assert len(ec2.describe_instances()["Reservations"]) == before
    # DryRun of a launch into a group checks the group and creates nothing.
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, Placement={"GroupName": "hpc"}, DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    terminate(ec2, inst)
    ec2.delete_placement_group(GroupName="hpc")
