"""Root volume replacement (CreateReplaceRootVolumeTask / DescribeReplaceRootVolumeTasks) on the
mock runtime: a running instance gets a new root volume restored to its launch state, from a
snapshot of its root volume lineage or from an image; it keeps its id, addresses and interfaces;
the original root stays as a detached volume unless the task deletes it. Errors, filters, paging,
DryRun and ClientToken as EC2 answers them. One server for the module."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import code_of, error_of, until

MOCK_BOOT_SECONDS = 0.3
WAIT = {"Delay": 0.5, "MaxAttempts": 60}


def launch(ec2, ami) -> dict:
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=WAIT)
    return describe(ec2, iid)


def describe(ec2, iid) -> dict:
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def root_volume(instance: dict) -> str:
    return next(m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"] if m["DeviceName"] == instance["RootDeviceName"])


def task_of(ec2, task_id) -> dict:
    return ec2.describe_replace_root_volume_tasks(ReplaceRootVolumeTaskIds=[task_id])["ReplaceRootVolumeTasks"][0]


def finished(ec2, task_id) -> dict:
    return until(lambda: (t := task_of(ec2, task_id))["TaskState"] in ("succeeded", "failed", "failed-detached") and t,
                 f"task {task_id} finishes", timeout=30)


def snapshot_of(ec2, volume_id) -> str:
    sid = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=WAIT)
    return sid


@pytest.fixture(scope="module")
def running(ec2, ami):
    return launch(ec2, ami)


def test_launch_state_replacement_swaps_the_root_and_keeps_the_instance(ec2, running):
    iid = running["InstanceId"]
    original = root_volume(running)
    task = ec2.create_replace_root_volume_task(
        InstanceId=iid, TagSpecifications=[{"ResourceType": "replace-root-volume-task", "Tags": [{"Key": "why", "Value": "reset"}]}],
    )["ReplaceRootVolumeTask"]
    assert task["ReplaceRootVolumeTaskId"].startswith("replacevol-")
    assert task["InstanceId"] == iid and task["TaskState"] == "pending" and task["DeleteReplacedRootVolume"] is False
    assert task["Tags"] == [{"Key": "why", "Value": "reset"}] and "StartTime" in task and "CompleteTime" not in task
    done = finished(ec2, task["ReplaceRootVolumeTaskId"])
    assert done["TaskState"] == "succeeded" and done["CompleteTime"] >= done["StartTime"]

    after = describe(ec2, iid)
    replacement = root_volume(after)
    assert replacement != original
    assert after["State"]["Name"] == "running"
    assert after["PrivateIpAddress"] == running["PrivateIpAddress"]
    assert after.get("PublicIpAddress") == running.get("PublicIpAddress")
    assert [n["NetworkInterfaceId"] for n in after["NetworkInterfaces"]] == [n["NetworkInterfaceId"] for n in running["NetworkInterfaces"]]
    old, new = (ec2.describe_volumes(VolumeIds=[v])["Volumes"][0] for v in (original, replacement))
    assert old["State"] == "available" and old["Attachments"] == []
    assert new["State"] == "in-use" and new["Attachments"][0]["InstanceId"] == iid
    assert new["Attachments"][0]["Device"] == after["RootDeviceName"]
    assert (new["VolumeType"], new["Size"], new.get("SnapshotId")) == (old["VolumeType"], old["Size"], old.get("SnapshotId"))
    # The task is taggable like any resource.
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [task["ReplaceRootVolumeTaskId"]]}])["Tags"]
    assert [(t["Key"], t["ResourceType"]) for t in tags] == [("why", "replace-root-volume-task")]
    ec2.delete_volume(VolumeId=original)


def test_snapshot_of_the_root_lineage_and_delete_replaced_root_volume(ec2, running):
    iid = running["InstanceId"]
    current = root_volume(describe(ec2, iid))
    snap = snapshot_of(ec2, current)
    task = ec2.create_replace_root_volume_task(InstanceId=iid, SnapshotId=snap, DeleteReplacedRootVolume=True)["ReplaceRootVolumeTask"]
    assert task["SnapshotId"] == snap and task["DeleteReplacedRootVolume"] is True
    assert finished(ec2, task["ReplaceRootVolumeTaskId"])["TaskState"] == "succeeded"
    replacement = root_volume(describe(ec2, iid))
    assert ec2.describe_volumes(VolumeIds=[replacement])["Volumes"][0]["SnapshotId"] == snap
    # The replaced root was deleted with the task.
    assert code_of(ec2.describe_volumes, VolumeIds=[current]) == "InvalidVolume.NotFound"
    # A snapshot of an earlier root of the same instance is still of its lineage.
    assert finished(ec2, ec2.create_replace_root_volume_task(InstanceId=iid, SnapshotId=snap, DeleteReplacedRootVolume=True)
                    ["ReplaceRootVolumeTask"]["ReplaceRootVolumeTaskId"])["TaskState"] == "succeeded"


def test_image_replacement_changes_the_instances_image(ec2, running):
    iid = running["InstanceId"]
    root = root_volume(describe(ec2, iid))
    snap = snapshot_of(ec2, root)
    image = ec2.register_image(Name="patched-root", RootDeviceName=running["RootDeviceName"], Architecture="x86_64", EnaSupport=True,
                               VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": running["RootDeviceName"], "Ebs": {"SnapshotId": snap}}])["ImageId"]
    ec2.get_waiter("image_available").wait(ImageIds=[image], WaiterConfig=WAIT)
    task = ec2.create_replace_root_volume_task(InstanceId=iid, ImageId=image, DeleteReplacedRootVolume=True)["ReplaceRootVolumeTask"]
    assert task["ImageId"] == image
    assert finished(ec2, task["ReplaceRootVolumeTaskId"])["TaskState"] == "succeeded"
    assert describe(ec2, iid)["ImageId"] == image
    arm = ec2.register_image(Name="arm-root", RootDeviceName=running["RootDeviceName"], Architecture="arm64", EnaSupport=True,
                             BlockDeviceMappings=[{"DeviceName": running["RootDeviceName"], "Ebs": {"SnapshotId": snap}}])["ImageId"]
    code, message, _ = error_of_call(ec2.create_replace_root_volume_task, InstanceId=iid, ImageId=arm)
    assert code == "InvalidParameterValue" and "architecture" in message


def error_of_call(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return error_of(e)


def test_errors(ec2, ami, running):
    iid = running["InstanceId"]
    create = ec2.create_replace_root_volume_task
    assert code_of(create, InstanceId="i-0123456789abcdef0") == "InvalidInstanceID.NotFound"
    assert code_of(create, InstanceId="bogus") == "InvalidInstanceID.Malformed"
    assert code_of(create, InstanceId=iid, SnapshotId="snap-bad") == "InvalidSnapshotID.Malformed"
    assert code_of(create, InstanceId=iid, SnapshotId="snap-0123456789abcdef0") == "InvalidSnapshot.NotFound"
    assert code_of(create, InstanceId=iid, ImageId="ami-0123456789abcdef0") == "InvalidAMIID.NotFound"
    assert code_of(create, InstanceId=iid, SnapshotId="snap-0123456789abcdef0", ImageId=ami) == "InvalidParameterCombination"
    assert code_of(create, InstanceId=iid, VolumeInitializationRate=200) == "InvalidParameterCombination"
    # A snapshot of a volume that never was this instance's root.
    other = ec2.create_volume(AvailabilityZone=running["Placement"]["AvailabilityZone"], Size=8)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[other], WaiterConfig=WAIT)
    foreign = snapshot_of(ec2, other)
    code, message, _ = error_of_call(create, InstanceId=iid, SnapshotId=foreign)
    assert code == "InvalidParameterValue" and foreign in message
    assert code_of(create, InstanceId=iid, SnapshotId=foreign, VolumeInitializationRate=50) == "InvalidParameterValue"
    assert code_of(create, InstanceId=iid, DryRun=True) == "DryRunOperation"
    # One task at a time per instance.
    first = create(InstanceId=iid)["ReplaceRootVolumeTask"]
    assert code_of(create, InstanceId=iid) == "IncorrectState"
    finished(ec2, first["ReplaceRootVolumeTaskId"])
    # Only running instances.
    stopped = launch(ec2, ami)["InstanceId"]
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[stopped], WaiterConfig=WAIT)
    assert code_of(create, InstanceId=stopped) == "IncorrectInstanceState"
    describe_tasks = ec2.describe_replace_root_volume_tasks
    assert code_of(describe_tasks, ReplaceRootVolumeTaskIds=["replacevol-0123456789abcdef0"]) == "InvalidReplaceRootVolumeTaskId.NotFound"
    assert code_of(describe_tasks, ReplaceRootVolumeTaskIds=["vol-0123"]) == "InvalidReplaceRootVolumeTaskId.Malformed"
    assert code_of(describe_tasks, MaxResults=51) == "InvalidParameterValue"
    assert code_of(describe_tasks, DryRun=True) == "DryRunOperation"


def test_client_token_filters_and_pages(ec2, ami, server):
    iid = launch(ec2, ami)["InstanceId"]
    a = ec2.create_replace_root_volume_task(InstanceId=iid, ClientToken="rrv-token-1")["ReplaceRootVolumeTask"]
    again = ec2.create_replace_root_volume_task(InstanceId=iid, ClientToken="rrv-token-1")["ReplaceRootVolumeTask"]
    assert again["ReplaceRootVolumeTaskId"] == a["ReplaceRootVolumeTaskId"]
    assert code_of(ec2.create_replace_root_volume_task, InstanceId=iid, ClientToken="rrv-token-1", DeleteReplacedRootVolume=True) \
        == "IdempotentParameterMismatch"
    finished(ec2, a["ReplaceRootVolumeTaskId"])
    b = ec2.create_replace_root_volume_task(InstanceId=iid)["ReplaceRootVolumeTask"]
    finished(ec2, b["ReplaceRootVolumeTaskId"])

    mine = ec2.describe_replace_root_volume_tasks(Filters=[{"Name": "instance-id", "Values": [iid]}])["ReplaceRootVolumeTasks"]
    assert sorted(t["ReplaceRootVolumeTaskId"] for t in mine) == sorted([a["ReplaceRootVolumeTaskId"], b["ReplaceRootVolumeTaskId"]])
    assert all(t["TaskState"] == "succeeded" for t in mine)
    pages = ec2.get_paginator("describe_replace_root_volume_tasks").paginate(
        Filters=[{"Name": "instance-id", "Values": [iid]}], PaginationConfig={"PageSize": 1})
    seen = [t["ReplaceRootVolumeTaskId"] for page in pages for t in page["ReplaceRootVolumeTasks"]]
    assert sorted(seen) == sorted(t["ReplaceRootVolumeTaskId"] for t in mine)
    assert code_of(ec2.describe_replace_root_volume_tasks, Filters=[{"Name": "state", "Values": ["succeeded"]}]) == "InvalidParameterValue"

    # The aws CLI sees the same tasks.
    out = server.cli_json("--profile", "stratus", "ec2", "describe-replace-root-volume-tasks", "--filters", f"Name=instance-id,Values={iid}")
    assert len(out["ReplaceRootVolumeTasks"]) == 2


# ---- Carrier gateways ---------------------------------------------------------------------------

def test_carrier_gateways(ec2, server):
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    created = ec2.create_carrier_gateway(
        VpcId=vpc, TagSpecifications=[{"ResourceType": "carrier-gateway", "Tags": [{"Key": "Name", "Value": "5g"}]}])["CarrierGateway"]
    cagw = created["CarrierGatewayId"]
    assert cagw.startswith("cagw-") and created["VpcId"] == vpc and created["State"] == "available"
    assert created["OwnerId"] and created["Tags"] == [{"Key": "Name", "Value": "5g"}]
    second = ec2.create_carrier_gateway(VpcId=other)["CarrierGateway"]["CarrierGatewayId"]

    by_vpc = ec2.describe_carrier_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["CarrierGateways"]
    assert [g["CarrierGatewayId"] for g in by_vpc] == [cagw]
    by_tag = ec2.describe_carrier_gateways(Filters=[{"Name": "tag:Name", "Values": ["5g"]}])["CarrierGateways"]
    assert [g["CarrierGatewayId"] for g in by_tag] == [cagw]
    assert {g["CarrierGatewayId"] for g in ec2.describe_carrier_gateways(
        Filters=[{"Name": "state", "Values": ["available"]}])["CarrierGateways"]} >= {cagw, second}
    pages = ec2.get_paginator("describe_carrier_gateways").paginate(PaginationConfig={"PageSize": 5})
    assert {cagw, second} <= {g["CarrierGatewayId"] for p in pages for g in p["CarrierGateways"]}

    assert code_of(ec2.create_carrier_gateway, VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
    assert code_of(ec2.create_carrier_gateway, VpcId=vpc, DryRun=True) == "DryRunOperation"
    assert code_of(ec2.describe_carrier_gateways, CarrierGatewayIds=["cagw-0123456789abcdef0"]) == "InvalidCarrierGatewayID.NotFound"

    # Routes to a carrier gateway need a subnet of the VPC in a Wavelength Zone (none here).
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    code, message, _ = error_of_call(ec2.create_route, RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", CarrierGatewayId=cagw)
    assert code == "InvalidParameterValue" and "Wavelength Zone" in message
    assert code_of(ec2.create_route, RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", CarrierGatewayId=second) == "InvalidParameterValue"
    assert code_of(ec2.create_route, RouteTableId=table, DestinationCidrBlock="0.0.0.0/0",
                   CarrierGatewayId="cagw-0123456789abcdef0") == "InvalidCarrierGatewayID.NotFound"

    # A VPC with a carrier gateway cannot go.
    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"

    deleted = server.cli_json("--profile", "stratus", "ec2", "delete-carrier-gateway", "--carrier-gateway-id", cagw)["CarrierGateway"]
    assert deleted["CarrierGatewayId"] == cagw and deleted["State"] == "deleting"
    assert code_of(ec2.delete_carrier_gateway, CarrierGatewayId=cagw) == "InvalidCarrierGatewayID.NotFound"
    assert code_of(ec2.delete_carrier_gateway, CarrierGatewayId="igw-0123456789abcdef0") == "InvalidCarrierGatewayId.Malformed"
    ec2.delete_carrier_gateway(CarrierGatewayId=second)
    ec2.delete_vpc(VpcId=vpc)
    ec2.delete_vpc(VpcId=other)
