"""EBS: volumes (type rules, states, modify, attach errors), snapshots (create, copy, share,
fast restores, in use by AMIs), encryption by default, filters, waiters, DryRun, ClientToken."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, tags_dict

AZ = "us-east-1a"
FAST = {"Delay": 1, "MaxAttempts": 15}


def create(ec2, **kw):
    kw.setdefault("AvailabilityZone", AZ)
    return ec2.create_volume(**kw)


def available(ec2, **kw):
    v = create(ec2, **kw)
    ec2.get_waiter("volume_available").wait(VolumeIds=[v["VolumeId"]], WaiterConfig=FAST)
    return v


def err(callable_, **kw):
    with pytest.raises(ClientError) as ei:
        callable_(**kw)
    return error_of(ei)


# ---- create: each type's defaults ---------------------------------------------------------

def test_create_gp3_io2_st1_and_defaults(ec2):
    gp3 = create(ec2, VolumeType="gp3", Size=10,
                 TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}])
    assert gp3["VolumeId"].startswith("vol-") and len(gp3["VolumeId"]) == 21
    assert gp3["State"] == "creating"
    assert (gp3["VolumeType"], gp3["Size"], gp3["Iops"], gp3["Throughput"]) == ("gp3", 10, 3000, 125)
    assert gp3["AvailabilityZone"] == AZ and gp3["AvailabilityZoneId"] == "use1-az1"
    assert gp3["Encrypted"] is False and gp3["MultiAttachEnabled"] is False
    assert tags_dict(gp3) == {"Name": "data"}

    io2 = create(ec2, VolumeType="io2", Size=100, Iops=50000, MultiAttachEnabled=True)
    assert (io2["VolumeType"], io2["Size"], io2["Iops"], io2["MultiAttachEnabled"]) == ("io2", 100, 50000, True)
    assert "Throughput" not in io2

    st1 = create(ec2, VolumeType="st1", Size=125)
    assert (st1["VolumeType"], st1["Size"]) == ("st1", 125) and "Iops" not in st1

    gp2 = create(ec2, Size=50)  # the default type is gp2, IOPS 3 per GiB, at least 100
    assert (gp2["VolumeType"], gp2["Iops"]) == ("gp2", 150)
    assert create(ec2, Size=1)["Iops"] == 100
    assert create(ec2, Size=16000)["Iops"] == 16000

    big_gp3 = create(ec2, VolumeType="gp3", Size=200, Iops=80000, Throughput=2000)
    assert (big_gp3["Iops"], big_gp3["Throughput"]) == (80000, 2000)

    ids = [v["VolumeId"] for v in (gp3, io2, st1)]
    ec2.get_waiter("volume_available").wait(VolumeIds=ids, WaiterConfig=FAST)
    described = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=ids)["Volumes"]}
    assert {v["State"] for v in described.values()} == {"available"}
    assert described[gp3["VolumeId"]]["Attachments"] == []
    assert tags_dict(described[gp3["VolumeId"]]) == {"Name": "data"}


def test_create_with_the_cli(server):
    out = server.cli_json("--profile", "stratus", "ec2", "create-volume", "--availability-zone", "us-east-1b",
                          "--volume-type", "gp3", "--size", "20", "--iops", "6000", "--throughput", "500",
                          "--tag-specifications", "ResourceType=volume,Tags=[{Key=team,Value=db}]")
    assert (out["VolumeType"], out["Size"], out["Iops"], out["Throughput"]) == ("gp3", 20, 6000, 500)
    vid = out["VolumeId"]
    server.cli("--profile", "stratus", "ec2", "wait", "volume-available", "--volume-ids", vid, check=True)
    listed = server.cli_json("--profile", "stratus", "ec2", "describe-volumes", "--filters", "Name=tag:team,Values=db")
    assert [v["VolumeId"] for v in listed["Volumes"]] == [vid]
    io1 = server.cli_json("--profile", "stratus", "ec2", "create-volume", "--availability-zone", "us-east-1b",
                          "--volume-type", "io1", "--size", "10", "--iops", "500")
    assert (io1["VolumeType"], io1["Iops"]) == ("io1", 500)
    bad = server.cli("--profile", "stratus", "ec2", "create-volume", "--availability-zone", "us-east-1b",
                     "--volume-type", "io1", "--size", "10")
    assert bad.returncode != 0 and "MissingParameter" in bad.stderr
    server.cli("--profile", "stratus", "ec2", "delete-volume", "--volume-id", vid, check=True)
    server.cli("--profile", "stratus", "ec2", "wait", "volume-deleted", "--volume-ids", vid, check=True)


# ---- create: every size / IOPS / throughput rule ------------------------------------------

RULES = [
    # sizes per type
    ({"VolumeType": "gp2", "Size": 16385}, "InvalidParameterValue", "too large; maximum is 16384GiB"),
    ({"VolumeType": "gp3", "Size": 65537}, "InvalidParameterValue", "maximum is 65536GiB"),
    ({"VolumeType": "io1", "Size": 3, "Iops": 100}, "InvalidParameterValue", "too small; minimum is 4GiB"),
    ({"VolumeType": "io1", "Size": 16385, "Iops": 1000}, "InvalidParameterValue", "maximum is 16384GiB"),
    ({"VolumeType": "io2", "Size": 65537, "Iops": 1000}, "InvalidParameterValue", "maximum is 65536GiB"),
    ({"VolumeType": "st1", "Size": 124}, "InvalidParameterValue", "minimum is 125GiB"),
    ({"VolumeType": "sc1", "Size": 16385}, "InvalidParameterValue", "maximum is 16384GiB"),
    ({"VolumeType": "standard", "Size": 1025}, "InvalidParameterValue", "maximum is 1024GiB"),
    ({"VolumeType": "gp3"}, "MissingParameter", "size or snapshotId"),
    # IOPS
    ({"VolumeType": "gp2", "Size": 10, "Iops": 300}, "InvalidParameterCombination", "iops is not supported for gp2"),
    ({"VolumeType": "st1", "Size": 500, "Iops": 300}, "InvalidParameterCombination", "iops is not supported for st1"),
    ({"VolumeType": "io1", "Size": 10}, "MissingParameter", "iops"),
    ({"VolumeType": "io2", "Size": 10}, "MissingParameter", "iops"),
    ({"VolumeType": "gp3", "Size": 100, "Iops": 2999}, "InvalidParameterValue", "minimum is 3000"),
    ({"VolumeType": "gp3", "Size": 1000, "Iops": 80001}, "InvalidParameterValue", "maximum is 80000"),
    ({"VolumeType": "gp3", "Size": 10, "Iops": 6000}, "InvalidParameterValue", "ratio of 600.000000 is too high; maximum is 500.000000"),
    ({"VolumeType": "io1", "Size": 10, "Iops": 99}, "InvalidParameterValue", "minimum is 100"),
    ({"VolumeType": "io1", "Size": 2000, "Iops": 64001}, "InvalidParameterValue", "maximum is 64000"),
    ({"VolumeType": "io1", "Size": 10, "Iops": 501}, "InvalidParameterValue", "maximum is 50.000000"),
    ({"VolumeType": "io2", "Size": 1000, "Iops": 256001}, "InvalidParameterValue", "maximum is 256000"),
    ({"VolumeType": "io2", "Size": 10, "Iops": 10001}, "InvalidParameterValue", "maximum is 1000.000000"),
    # throughput
    ({"VolumeType": "gp2", "Size": 10, "Throughput": 200}, "InvalidParameterCombination", "throughput is not supported for gp2"),
    ({"VolumeType": "io2", "Size": 10, "Iops": 1000, "Throughput": 200}, "InvalidParameterCombination", "throughput is not supported for io2"),
    ({"VolumeType": "gp3", "Size": 10, "Throughput": 124}, "InvalidParameterValue", "minimum is 125"),
    ({"VolumeType": "gp3", "Size": 1000, "Iops": 10000, "Throughput": 2001}, "InvalidParameterValue", "maximum is 2000"),
    ({"VolumeType": "gp3", "Size": 10, "Throughput": 1000}, "InvalidParameterValue", "Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000"),
    # multi-attach
    ({"VolumeType": "gp3", "Size": 10, "MultiAttachEnabled": True}, "InvalidParameterCombination", "io1 and io2"),
    # encryption
    ({"Size": 10, "KmsKeyId": "alias/mine"}, "InvalidParameterDependency", "KmsKeyId requires the parameter Encrypted"),
    ({"Size": 10, "Encrypted": True, "KmsKeyId": "not a key"}, "InvalidParameterValue", "kmsKeyId"),
    # type
    ({"VolumeType": "gp9", "Size": 10}, "InvalidParameterValue", ""),
]


@pytest.mark.parametrize("kwargs,code,fragment", RULES, ids=[f"{k.get('VolumeType', 'gp2')}-{c}-{i}" for i, (k, c, _) in enumerate(RULES)])
def test_volume_rule_errors(ec2, kwargs, code, fragment):
    before = len(ec2.describe_volumes()["Volumes"])
    got_code, message, status = err(lambda **k: create(ec2, **k), **kwargs)
    assert (got_code, status) == (code, 400), message
    assert fragment in message
    assert len(ec2.describe_volumes()["Volumes"]) == before


def test_zone_errors(ec2):
    assert err(ec2.create_volume, Size=1, AvailabilityZone="us-east-1z")[0] == "InvalidZone.NotFound"
    assert err(ec2.create_volume, Size=1, AvailabilityZone="eu-west-1a")[0] == "InvalidZone.NotFound"
    assert err(ec2.create_volume, Size=1)[0] == "MissingParameter"
    assert err(ec2.create_volume, Size=1, AvailabilityZone=AZ, AvailabilityZoneId="use1-az1")[0] == "InvalidParameterCombination"
    by_id = ec2.create_volume(Size=1, AvailabilityZoneId="use1-az2")
    assert by_id["AvailabilityZone"] == "us-east-1b"


# ---- describe: ids, filters, paging, errors -----------------------------------------------

def test_describe_filters_and_paging(server):
    ec2 = server.ec2("us-east-2")
    a = create(ec2, AvailabilityZone="us-east-2a", VolumeType="gp3", Size=7,
               TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "env", "Value": "prod"}]}])
    b = create(ec2, AvailabilityZone="us-east-2b", VolumeType="io1", Size=8, Iops=400, MultiAttachEnabled=True)
    c = create(ec2, AvailabilityZone="us-east-2b", VolumeType="sc1", Size=125)

    def ids(*filters):
        got = ec2.describe_volumes(Filters=[{"Name": n, "Values": v} for n, v in filters])["Volumes"]
        return sorted(v["VolumeId"] for v in got)

    assert ids(("volume-type", ["gp3", "sc1"])) == sorted([a["VolumeId"], c["VolumeId"]])
    assert ids(("availability-zone", ["us-east-2b"]), ("size", ["8"])) == [b["VolumeId"]]
    assert ids(("availability-zone-id", ["use2-az1"])) == [a["VolumeId"]]
    assert ids(("multi-attach-enabled", ["true"])) == [b["VolumeId"]]
    assert ids(("tag:env", ["pr*"])) == [a["VolumeId"]]
    assert ids(("tag-key", ["env"])) == [a["VolumeId"]]
    assert ids(("encrypted", ["false"]), ("volume-id", [c["VolumeId"]])) == [c["VolumeId"]]
    assert ids(("attachment.instance-id", ["i-0123456789abcdef0"])) == []
    assert ids(("fast-restored", ["false"]), ("operator.managed", ["false"])) == sorted(v["VolumeId"] for v in (a, b, c))
    assert ids(("snapshot-id", [""])) == sorted(v["VolumeId"] for v in (a, b, c))
    assert ids(("create-time", [a["CreateTime"].strftime("%Y-%m-%dT%H:%M:%S.*")])) != []
    ec2.get_waiter("volume_available").wait(VolumeIds=[a["VolumeId"], b["VolumeId"], c["VolumeId"]], WaiterConfig=FAST)
    assert ids(("status", ["available"])) == sorted(v["VolumeId"] for v in (a, b, c))
    assert ids(("status", ["creating", "in-use"])) == []
    assert err(ec2.describe_volumes, Filters=[{"Name": "nope", "Values": ["x"]}])[0] == "InvalidParameterValue"

    pages = list(ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(p["Volumes"]) for p in pages) == 3
    first = ec2.describe_volumes(MaxResults=5)
    assert "NextToken" not in first
    for _ in range(4):
        create(ec2, AvailabilityZone="us-east-2c", Size=1)
    page1 = ec2.describe_volumes(MaxResults=5)
    page2 = ec2.describe_volumes(MaxResults=5, NextToken=page1["NextToken"])
    assert len(page1["Volumes"]) == 5 and len(page2["Volumes"]) == 2 and "NextToken" not in page2
    assert err(ec2.describe_volumes, VolumeIds=[a["VolumeId"]], MaxResults=5)[0] == "InvalidParameterCombination"
    assert err(ec2.describe_volumes, NextToken="garbage", MaxResults=5)[0] == "InvalidPaginationToken"


def test_id_errors_and_delete(ec2):
    for vid, code in [("vol-0123456789abcdef0", "InvalidVolume.NotFound"), ("vol-xyz", "InvalidVolumeID.Malformed"), ("snap-0123456789abcdef0", "InvalidVolumeID.Malformed")]:
        code_, message, status = err(ec2.describe_volumes, VolumeIds=[vid])
        assert (code_, status) == (code, 400)
    assert err(ec2.delete_volume, VolumeId="vol-0123456789abcdef0")[0] == "InvalidVolume.NotFound"
    assert err(ec2.delete_volume, VolumeId="vol-1")[0] == "InvalidVolumeID.Malformed"
    v = available(ec2, Size=2)
    ec2.delete_volume(VolumeId=v["VolumeId"])
    ec2.get_waiter("volume_deleted").wait(VolumeIds=[v["VolumeId"]], WaiterConfig=FAST)
    assert err(ec2.describe_volumes, VolumeIds=[v["VolumeId"]])[0] == "InvalidVolume.NotFound"
    assert err(ec2.delete_volume, VolumeId=v["VolumeId"])[0] == "InvalidVolume.NotFound"


def test_dry_run_and_client_token(ec2):
    before = len(ec2.describe_volumes()["Volumes"])
    code, _, status = err(ec2.create_volume, AvailabilityZone=AZ, Size=5, DryRun=True)
    assert (code, status) == ("DryRunOperation", 412)
    assert err(ec2.create_volume, AvailabilityZone=AZ, Size=10, VolumeType="io1", DryRun=True)[0] == "MissingParameter"
    assert len(ec2.describe_volumes()["Volumes"]) == before
    v = available(ec2, Size=3)
    assert err(ec2.delete_volume, VolumeId=v["VolumeId"], DryRun=True)[0] == "DryRunOperation"
    assert err(ec2.describe_volumes, DryRun=True)[0] == "DryRunOperation"
    assert err(ec2.create_snapshot, VolumeId=v["VolumeId"], DryRun=True)[0] == "DryRunOperation"
    assert ec2.describe_volumes(VolumeIds=[v["VolumeId"]])["Volumes"][0]["State"] == "available"
    assert ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": [v["VolumeId"]]}])["Snapshots"] == []

    first = ec2.create_volume(AvailabilityZone=AZ, Size=4, ClientToken="vol-token-1")
    again = ec2.create_volume(AvailabilityZone=AZ, Size=4, ClientToken="vol-token-1")
    assert first["VolumeId"] == again["VolumeId"]
    assert err(ec2.create_volume, AvailabilityZone=AZ, Size=5, ClientToken="vol-token-1")[0] == "IdempotentParameterMismatch"


# ---- attach / detach (instances come later: their lookups are exercised through NotFound) --

def test_attach_and_detach_errors(ec2):
    v = available(ec2, Size=1)
    vid = v["VolumeId"]
    assert err(ec2.attach_volume, VolumeId=vid, InstanceId="i-0123456789abcdef0", Device="/dev/sdf")[0] == "InvalidInstanceID.NotFound"
    assert err(ec2.attach_volume, VolumeId=vid, InstanceId="i-nope", Device="/dev/sdf")[0] == "InvalidInstanceID.Malformed"
    assert err(ec2.attach_volume, VolumeId=vid, InstanceId="i-0123456789abcdef0", Device="/dev/foo")[0] == "InvalidParameterValue"
    assert err(ec2.attach_volume, VolumeId="vol-0123456789abcdef0", InstanceId="i-0123456789abcdef0", Device="/dev/sdf")[0] == "InvalidVolume.NotFound"
    assert err(ec2.attach_volume, VolumeId=vid, InstanceId="i-0123456789abcdef0", Device="/dev/sdf", DryRun=True)[0] == "InvalidInstanceID.NotFound"
    code, message, _ = err(ec2.detach_volume, VolumeId=vid)
    assert code == "IncorrectState" and "available" in message
    assert err(ec2.detach_volume, VolumeId="vol-0123456789abcdef0")[0] == "InvalidVolume.NotFound"
    assert ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"] == "available"


def test_attach_to_an_instance_and_volume_in_use_waiter(ec2):
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
    inst = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "us-east-1a"})["Instances"][0]
    iid = inst["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    v = available(ec2, Size=4, AvailabilityZone="us-east-1a")
    vid = v["VolumeId"]
    other_zone = available(ec2, Size=4, AvailabilityZone="us-east-1b")["VolumeId"]
    assert err(ec2.attach_volume, VolumeId=other_zone, InstanceId=iid, Device="/dev/sdg")[0] == "InvalidVolume.ZoneMismatch"
    ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[vid], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    devices = {b["DeviceName"]: b["Ebs"]["VolumeId"] for b in ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["BlockDeviceMappings"]}
    assert devices["/dev/sdf"] == vid
    root = devices["/dev/xvda"]
    assert err(ec2.detach_volume, VolumeId=root)[0] == "OperationNotPermitted"
    ec2.detach_volume(VolumeId=vid)
    ec2.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    # The root volume was DeleteOnTermination; the attached data volume stays, detached.
    assert err(ec2.describe_volumes, VolumeIds=[root])[0] == "InvalidVolume.NotFound"
    assert ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["State"] == "available"


# ---- modify ------------------------------------------------------------------------------

def test_modify_volume(ec2):
    v = available(ec2, Size=10)  # gp2
    vid = v["VolumeId"]
    mod = ec2.modify_volume(VolumeId=vid, VolumeType="gp3", Size=20)["VolumeModification"]
    assert mod["ModificationState"] == "modifying"
    assert (mod["OriginalVolumeType"], mod["OriginalSize"], mod["OriginalIops"]) == ("gp2", 10, 100)
    assert (mod["TargetVolumeType"], mod["TargetSize"], mod["TargetIops"], mod["TargetThroughput"]) == ("gp3", 20, 3000, 125)
    code, _, _ = err(ec2.modify_volume, VolumeId=vid, Size=30)
    assert code == "IncorrectModificationState"
    states = set()
    for _ in range(40):
        m = ec2.describe_volumes_modifications(VolumeIds=[vid])["VolumesModifications"][0]
        states.add(m["ModificationState"])
        if m["ModificationState"] == "completed":
            break
        time.sleep(0.25)
    assert states >= {"optimizing", "completed"} and m["Progress"] == 100 and "EndTime" in m
    described = ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]
    assert (described["VolumeType"], described["Size"], described["Iops"], described["Throughput"]) == ("gp3", 20, 3000, 125)
    listed = ec2.describe_volumes_modifications(Filters=[{"Name": "target-volume-type", "Values": ["gp3"]}, {"Name": "modification-state", "Values": ["completed"]}])
    assert vid in [x["VolumeId"] for x in listed["VolumesModifications"]]

    assert err(ec2.modify_volume, VolumeId=vid, Size=19)[0] == "InvalidParameterValue"
    assert err(ec2.modify_volume, VolumeId=vid, Iops=20000)[0] == "InvalidParameterValue"  # 1000 IOPS/GiB > 500
    assert err(ec2.modify_volume, VolumeId=vid, Throughput=1000)[0] == "InvalidParameterValue"  # > 0.25 MiB/s per IOPS
    assert err(ec2.modify_volume, VolumeId=vid, VolumeType="st1")[0] == "InvalidParameterValue"  # 20 GiB < 125
    assert err(ec2.modify_volume, VolumeId=vid, Size=20)[0] == "InvalidParameterValue"  # nothing changes
    assert err(ec2.modify_volume, VolumeId=vid, MultiAttachEnabled=True)[0] == "InvalidParameterCombination"
    mod2 = ec2.modify_volume(VolumeId=vid, Iops=6000, Throughput=500)["VolumeModification"]
    assert (mod2["TargetIops"], mod2["TargetThroughput"], mod2["TargetSize"]) == (6000, 500, 20)

    other = available(ec2, Size=5)
    code, message, _ = err(ec2.describe_volumes_modifications, VolumeIds=[other["VolumeId"]])
    assert code == "InvalidVolumeModification.NotFound"
    assert err(ec2.modify_volume, VolumeId="vol-0123456789abcdef0", Size=10)[0] == "InvalidVolume.NotFound"


def test_modification_rate_limit(ec2):
    v = available(ec2, VolumeType="gp3", Size=10)
    for size in (11, 12, 13, 14):
        ec2.modify_volume(VolumeId=v["VolumeId"], Size=size)
        for _ in range(40):
            if ec2.describe_volumes_modifications(VolumeIds=[v["VolumeId"]])["VolumesModifications"][0]["ModificationState"] == "completed":
                break
            time.sleep(0.25)
    assert err(ec2.modify_volume, VolumeId=v["VolumeId"], Size=15)[0] == "VolumeModificationRateExceeded"


def test_volume_status_and_attributes(ec2):
    v = available(ec2, VolumeType="io1", Size=10, Iops=200)
    vid = v["VolumeId"]
    status = ec2.describe_volume_status(VolumeIds=[vid])["VolumeStatuses"][0]
    assert status["VolumeStatus"]["Status"] == "ok"
    assert {d["Name"]: d["Status"] for d in status["VolumeStatus"]["Details"]} == {"io-enabled": "passed", "io-performance": "normal"}
    assert status["AvailabilityZone"] == AZ
    filtered = ec2.describe_volume_status(Filters=[{"Name": "volume-status.status", "Values": ["ok"]}, {"Name": "availability-zone", "Values": [AZ]}])
    assert vid in [s["VolumeId"] for s in filtered["VolumeStatuses"]]
    assert ec2.describe_volume_attribute(VolumeId=vid, Attribute="autoEnableIO")["AutoEnableIO"]["Value"] is False
    ec2.modify_volume_attribute(VolumeId=vid, AutoEnableIO={"Value": True})
    assert ec2.describe_volume_attribute(VolumeId=vid, Attribute="autoEnableIO")["AutoEnableIO"]["Value"] is True
    assert ec2.describe_volume_attribute(VolumeId=vid, Attribute="productCodes")["ProductCodes"] == []
    assert err(ec2.describe_volume_attribute, VolumeId="vol-0123456789abcdef0", Attribute="autoEnableIO")[0] == "InvalidVolume.NotFound"


# ---- snapshots -----------------------------------------------------------------------------

def snapshot_of(ec2, vid, **kw):
    s = ec2.create_snapshot(VolumeId=vid, **kw)
    return s


def test_snapshot_lifecycle_and_restore(ec2):
    v = available(ec2, VolumeType="gp3", Size=8, TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "k", "Value": "v"}]}])
    s = snapshot_of(ec2, v["VolumeId"], Description="nightly",
                    TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "backup"}]}])
    sid = s["SnapshotId"]
    assert sid.startswith("snap-") and len(sid) == 22
    assert (s["State"], s["VolumeId"], s["VolumeSize"], s["Description"], s["Encrypted"]) == ("pending", v["VolumeId"], 8, "nightly", False)
    assert s["Progress"].endswith("%") and tags_dict(s) == {"Name": "backup"}
    # Not restorable while pending.
    assert err(ec2.create_volume, AvailabilityZone=AZ, SnapshotId=sid)[0] == "IncorrectState"
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    done = ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]
    assert (done["State"], done["Progress"], done["OwnerId"]) == ("completed", "100%", s["OwnerId"])

    restored = create(ec2, SnapshotId=sid)
    assert (restored["Size"], restored["SnapshotId"], restored["VolumeType"]) == (8, sid, "gp2")
    larger = create(ec2, SnapshotId=sid, Size=20, VolumeType="gp3")
    assert larger["Size"] == 20
    code, message, _ = err(ec2.create_volume, AvailabilityZone=AZ, SnapshotId=sid, Size=4)
    assert code == "InvalidParameterValue" and "expect size >= 8GiB" in message
    assert err(ec2.create_volume, AvailabilityZone=AZ, SnapshotId="snap-0123456789abcdef0")[0] == "InvalidSnapshot.NotFound"
    assert err(ec2.create_volume, AvailabilityZone=AZ, SnapshotId="snap-zz")[0] == "InvalidSnapshotID.Malformed"
    found = ec2.describe_volumes(Filters=[{"Name": "snapshot-id", "Values": [sid]}])["Volumes"]
    assert sorted(x["VolumeId"] for x in found) == sorted([restored["VolumeId"], larger["VolumeId"]])

    def sids(**kw):
        return [x["SnapshotId"] for x in ec2.describe_snapshots(OwnerIds=["self"], **kw)["Snapshots"]]

    assert sid in sids(Filters=[{"Name": "status", "Values": ["completed"]}, {"Name": "volume-id", "Values": [v["VolumeId"]]}])
    assert sids(Filters=[{"Name": "description", "Values": ["night*"]}, {"Name": "tag:Name", "Values": ["backup"]}]) == [sid]
    assert sids(Filters=[{"Name": "volume-size", "Values": ["8"]}, {"Name": "progress", "Values": ["100%"]}, {"Name": "snapshot-id", "Values": [sid]}]) == [sid]
    assert sids(Filters=[{"Name": "encrypted", "Values": ["true"]}, {"Name": "snapshot-id", "Values": [sid]}]) == []
    assert sids(Filters=[{"Name": "storage-tier", "Values": ["standard"]}, {"Name": "owner-id", "Values": [s["OwnerId"]]}, {"Name": "snapshot-id", "Values": [sid]}]) == [sid]
    assert err(ec2.describe_snapshots, Filters=[{"Name": "bogus", "Values": ["1"]}])[0] == "InvalidParameterValue"
    assert err(ec2.describe_snapshots, OwnerIds=["someone"])[0] == "InvalidUserID.Malformed"
    # The volume may be deleted; its snapshot remains.
    ec2.delete_volume(VolumeId=v["VolumeId"])
    assert ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]["VolumeId"] == v["VolumeId"]
    ec2.delete_snapshot(SnapshotId=sid)
    assert err(ec2.describe_snapshots, SnapshotIds=[sid])[0] == "InvalidSnapshot.NotFound"
    assert err(ec2.delete_snapshot, SnapshotId=sid)[0] == "InvalidSnapshot.NotFound"
    assert err(ec2.delete_snapshot, SnapshotId="snap-1")[0] == "InvalidSnapshotID.Malformed"
    assert err(ec2.create_snapshot, VolumeId="vol-0123456789abcdef0")[0] == "InvalidVolume.NotFound"


def test_snapshot_errors_and_paging(server):
    ec2 = server.ec2("ap-northeast-1")
    creating = ec2.create_volume(AvailabilityZone="ap-northeast-1a", Size=1)
    assert err(ec2.create_snapshot, VolumeId=creating["VolumeId"])[0] == "IncorrectState"
    ec2.get_waiter("volume_available").wait(VolumeIds=[creating["VolumeId"]], WaiterConfig=FAST)
    made = [ec2.create_snapshot(VolumeId=creating["VolumeId"])["SnapshotId"] for _ in range(6)]
    pages = list(ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"], PaginationConfig={"PageSize": 5}))
    assert [len(p["Snapshots"]) for p in pages] == [5, 1]
    assert sorted(s["SnapshotId"] for p in pages for s in p["Snapshots"]) == sorted(made)
    assert err(ec2.describe_snapshots, SnapshotIds=[made[0]], MaxResults=5)[0] == "InvalidParameterCombination"
    code, _, _ = err(ec2.create_snapshots, InstanceSpecification={"InstanceId": "i-0123456789abcdef0"})
    assert code == "InvalidInstanceID.NotFound"
    assert err(ec2.create_snapshots, InstanceSpecification={"InstanceId": "i-bad"})[0] == "InvalidInstanceID.Malformed"


def test_snapshot_in_use_by_an_image(ec2):
    v = available(ec2, Size=2)
    sid = ec2.create_snapshot(VolumeId=v["VolumeId"])["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    image = ec2.register_image(Name="from-ebs-snapshot", RootDeviceName="/dev/xvda",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}])["ImageId"]
    described = ec2.describe_images(ImageIds=[image])["Images"][0]
    assert described["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 2
    code, message, _ = err(ec2.delete_snapshot, SnapshotId=sid)
    assert code == "InvalidSnapshot.InUse" and image in message
    ec2.deregister_image(ImageId=image)
    ec2.delete_snapshot(SnapshotId=sid)


def test_copy_snapshot_to_another_region(server):
    east = server.ec2("us-east-1")
    west = server.ec2("eu-west-1")
    v = available(east, Size=6)
    sid = east.create_snapshot(VolumeId=v["VolumeId"])["SnapshotId"]
    assert err(west.copy_snapshot, SourceRegion="us-east-1", SourceSnapshotId=sid)[0] == "IncorrectState"
    east.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    copy = west.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=sid,
                              TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "copy", "Value": "yes"}]}])
    cid = copy["SnapshotId"]
    assert cid != sid and tags_dict(copy) == {"copy": "yes"}
    west.get_waiter("snapshot_completed").wait(SnapshotIds=[cid], WaiterConfig=FAST)
    got = west.describe_snapshots(SnapshotIds=[cid])["Snapshots"][0]
    assert got["VolumeSize"] == 6 and got["Description"] == f"[Copied {sid} from us-east-1]"
    assert got["VolumeId"] == "vol-ffffffff"
    assert err(east.describe_snapshots, SnapshotIds=[cid])[0] == "InvalidSnapshot.NotFound"
    restored = west.create_volume(AvailabilityZone="eu-west-1c", SnapshotId=cid)
    assert restored["Size"] == 6
    # Same-region copy, encrypted on request.
    enc = east.copy_snapshot(SourceRegion="us-east-1", SourceSnapshotId=sid, Encrypted=True, Description="enc copy")
    east.get_waiter("snapshot_completed").wait(SnapshotIds=[enc["SnapshotId"]], WaiterConfig=FAST)
    enc_desc = east.describe_snapshots(SnapshotIds=[enc["SnapshotId"]])["Snapshots"][0]
    assert enc_desc["Encrypted"] is True and enc_desc["KmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    assert err(west.copy_snapshot, SourceRegion="eu-west-1", SourceSnapshotId=sid)[0] == "InvalidSnapshot.NotFound"
    assert err(west.copy_snapshot, SourceRegion="mars-1", SourceSnapshotId=sid)[0] == "InvalidParameterValue"
    assert err(west.copy_snapshot, SourceRegion="us-east-1", SourceSnapshotId=sid, KmsKeyId="alias/x")[0] == "InvalidParameterDependency"


def test_snapshot_sharing(server):
    owner = server.ec2("us-west-2")
    other_account = server.create_account("ebs-other")
    other = server.ec2("us-west-2", credentials=other_account)
    v = available(owner, AvailabilityZone="us-west-2a", Size=3)
    sid = owner.create_snapshot(VolumeId=v["VolumeId"])["SnapshotId"]
    owner.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    assert err(other.describe_snapshots, SnapshotIds=[sid])[0] == "InvalidSnapshot.NotFound"

    owner.modify_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission", OperationType="add",
                                    UserIds=[other_account["AccountId"]])
    perms = owner.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")["CreateVolumePermissions"]
    assert perms == [{"UserId": other_account["AccountId"]}]
    shared = other.describe_snapshots(RestorableByUserIds=["self"])["Snapshots"]
    assert [s["SnapshotId"] for s in shared] == [sid]
    assert other.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    restored = other.create_volume(AvailabilityZone="us-west-2b", SnapshotId=sid)
    assert restored["Size"] == 3
    assert err(other.delete_snapshot, SnapshotId=sid)[0] == "UnauthorizedOperation"
    assert err(other.modify_snapshot_attribute, SnapshotId=sid, Attribute="createVolumePermission",
               CreateVolumePermission={"Add": [{"Group": "all"}]})[0] == "UnauthorizedOperation"

    owner.modify_snapshot_attribute(SnapshotId=sid, CreateVolumePermission={"Remove": [{"UserId": other_account["AccountId"]}], "Add": [{"Group": "all"}]})
    assert owner.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")["CreateVolumePermissions"] == [{"Group": "all"}]
    public = other.describe_snapshots(RestorableByUserIds=["all"])["Snapshots"]
    assert sid in [s["SnapshotId"] for s in public]
    owner.reset_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")
    assert owner.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")["CreateVolumePermissions"] == []
    assert err(other.describe_snapshots, SnapshotIds=[sid])[0] == "InvalidSnapshot.NotFound"
    assert err(owner.modify_snapshot_attribute, SnapshotId=sid, OperationType="add", UserIds=["nobody"])[0] == "InvalidParameterValue"


def test_encryption_by_default(server):
    ec2 = server.ec2("us-west-1")
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    plain = create(ec2, AvailabilityZone="us-west-1a", Size=1)
    assert plain["Encrypted"] is False and "KmsKeyId" not in plain
    explicit = create(ec2, AvailabilityZone="us-west-1a", Size=1, Encrypted=True)
    assert explicit["Encrypted"] is True and explicit["KmsKeyId"].startswith("arn:aws:kms:us-west-1:")
    chosen = create(ec2, AvailabilityZone="us-west-1a", Size=1, Encrypted=True, KmsKeyId="alias/mine")
    assert chosen["KmsKeyId"] == "alias/mine"

    assert err(ec2.enable_ebs_encryption_by_default, DryRun=True)[0] == "DryRunOperation"
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.enable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    by_default = create(ec2, AvailabilityZone="us-west-1a", Size=1)
    assert by_default["Encrypted"] is True and by_default["KmsKeyId"] == explicit["KmsKeyId"]
    key_arn = "arn:aws:kms:us-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert ec2.modify_ebs_default_kms_key_id(KmsKeyId=key_arn)["KmsKeyId"] == key_arn
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == key_arn
    with_key = create(ec2, AvailabilityZone="us-west-1a", Size=1)
    assert with_key["KmsKeyId"] == key_arn
    # Only with the default on does KmsKeyId alone suffice.
    assert create(ec2, AvailabilityZone="us-west-1a", Size=1, KmsKeyId="alias/other")["KmsKeyId"] == "alias/other"
    assert err(ec2.modify_ebs_default_kms_key_id, KmsKeyId="bad key")[0] == "InvalidParameterValue"
    assert ec2.reset_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"
    assert ec2.disable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert create(ec2, AvailabilityZone="us-west-1a", Size=1)["Encrypted"] is False
    # Other regions are not affected.
    assert server.ec2("us-east-1").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False

    # Encrypted volume → encrypted snapshot → encrypted restore; encrypted snapshots cannot be public.
    ec2.get_waiter("volume_available").wait(VolumeIds=[explicit["VolumeId"]], WaiterConfig=FAST)
    sid = ec2.create_snapshot(VolumeId=explicit["VolumeId"])["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    snap = ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]
    assert snap["Encrypted"] is True and snap["KmsKeyId"] == explicit["KmsKeyId"]
    restored = create(ec2, AvailabilityZone="us-west-1b", SnapshotId=sid)
    assert restored["Encrypted"] is True and restored["KmsKeyId"] == explicit["KmsKeyId"]
    assert err(ec2.modify_snapshot_attribute, SnapshotId=sid, CreateVolumePermission={"Add": [{"Group": "all"}]})[0] == "OperationNotPermitted"


def test_fast_snapshot_restores(server):
    ec2 = server.ec2("eu-central-1")
    v = available(ec2, AvailabilityZone="eu-central-1a", Size=1)
    sid = ec2.create_snapshot(VolumeId=v["VolumeId"])["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    result = ec2.enable_fast_snapshot_restores(SourceSnapshotIds=[sid, "snap-0123456789abcdef0"], AvailabilityZones=["eu-central-1a", "eu-central-1b"])
    assert sorted((s["AvailabilityZone"], s["State"]) for s in result["Successful"]) == [("eu-central-1a", "enabling"), ("eu-central-1b", "enabling")]
    assert result["Unsuccessful"][0]["SnapshotId"] == "snap-0123456789abcdef0"
    assert result["Unsuccessful"][0]["FastSnapshotRestoreStateErrors"][0]["Error"]["Code"] == "InvalidSnapshot.NotFound"
    for _ in range(40):
        states = {f["AvailabilityZone"]: f["State"] for f in ec2.describe_fast_snapshot_restores()["FastSnapshotRestores"]}
        if set(states.values()) == {"enabled"}:
            break
        time.sleep(0.25)
    assert states == {"eu-central-1a": "enabled", "eu-central-1b": "enabled"}
    filtered = ec2.describe_fast_snapshot_restores(Filters=[{"Name": "availability-zone", "Values": ["eu-central-1b"]}, {"Name": "snapshot-id", "Values": [sid]}])
    assert [f["AvailabilityZone"] for f in filtered["FastSnapshotRestores"]] == ["eu-central-1b"]
    fast = ec2.create_volume(AvailabilityZone="eu-central-1a", SnapshotId=sid)
    slow = ec2.create_volume(AvailabilityZone="eu-central-1c", SnapshotId=sid)
    assert (fast["FastRestored"], slow["FastRestored"]) == (True, False)
    assert ec2.describe_volumes(Filters=[{"Name": "fast-restored", "Values": ["true"]}])["Volumes"][0]["VolumeId"] == fast["VolumeId"]
    off = ec2.disable_fast_snapshot_restores(SourceSnapshotIds=[sid], AvailabilityZones=["eu-central-1a"])
    assert off["Successful"][0]["State"] == "disabling"
    time.sleep(1.2)
    states = {f["AvailabilityZone"]: f["State"] for f in ec2.describe_fast_snapshot_restores()["FastSnapshotRestores"]}
    assert states == {"eu-central-1b": "enabled"}
    assert err(ec2.enable_fast_snapshot_restores, SourceSnapshotIds=[sid], AvailabilityZones=["us-east-1a"])[0] == "InvalidZone.NotFound"


def test_raw_listing_shapes(server):
    """The XML carries the members SDKs read (checked through the CLI's JSON)."""
    out = server.cli_json("--profile", "stratus", "ec2", "describe-volumes", "--max-results", "5")
    assert "Volumes" in out
    for v in out["Volumes"]:
        assert {"VolumeId", "Size", "State", "VolumeType", "CreateTime", "AvailabilityZone", "Encrypted", "Attachments"} <= set(v)
    json.dumps(out)
