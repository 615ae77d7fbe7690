"""Spot Fleet and EC2 Fleet on the mock runtime.

A maintain Spot Fleet with weighted launch specifications reaches its target capacity, an
operator interrupts one of its Spot Instances (`stratus spot interrupt`, short notice) and the
fleet replaces it; a request fleet does not. Modify up and down, cancel with and without
terminating, history events, the errors and idempotency; an EC2 Fleet of type instant answers
with its instances and its per-override errors; EC2 Fleets through the aws CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ServerFactory, error_of, minimal_ami, tags_dict, wait_until

NOTICE_SECONDS = 1
ROLE = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role"


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("fleets")))
    try:
        yield factory(name="stratus-fleets", extra_args=["--mock-boot-seconds", "0.2", "--spot-notice-seconds", str(NOTICE_SECONDS),
                                                         "--spot-evaluation-seconds", "0.3"])
    finally:
        factory.close()


@pytest.fixture(scope="module")
def ec2(srv):
    return srv.ec2()


@pytest.fixture(scope="module")
def image(ec2):
    return minimal_ami(ec2)


@pytest.fixture(scope="module")
def template(ec2, image):
    lt = ec2.create_launch_template(LaunchTemplateName=f"fleet-{uuid.uuid4().hex[:8]}",
                                    LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    return lt["LaunchTemplate"]["LaunchTemplateId"]


def _since():
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)


def _sfr(ec2, fid):
    return ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[fid])["SpotFleetRequestConfigs"][0]


def _sfr_instances(ec2, fid):
    return ec2.describe_spot_fleet_instances(SpotFleetRequestId=fid)["ActiveInstances"]


def _history(ec2, fid, **kw):
    return ec2.describe_spot_fleet_request_history(SpotFleetRequestId=fid, StartTime=_since(), **kw)["HistoryRecords"]


def _wait_fleet(ec2, fid, what, check, timeout=20.0):
    seen = {}

    def probe():
        f = _sfr(ec2, fid)
        seen["last"] = (f["SpotFleetRequestState"], f.get("ActivityStatus"), f["SpotFleetRequestConfig"].get("FulfilledCapacity"))
        return f if check(f) else None
    try:
        return wait_until(probe, timeout, what)
    except AssertionError as e:
        raise AssertionError(f"{e}; last {seen.get('last')}") from None


def _fulfilled(target):
    return lambda f: (f["SpotFleetRequestState"] == "active" and f.get("ActivityStatus") == "fulfilled"
                      and f["SpotFleetRequestConfig"]["FulfilledCapacity"] >= target)


def _wait_replaced(ec2, fid, gone, target, what, timeout=20.0):
    """Waits until the fleet runs `target` units again without the instance `gone`. The instances
    are read before the fleet: a fleet seen fulfilled after `gone` left its instances has launched
    what replaces it (read the other way round, the fleet could still count `gone`)."""
    seen = {}

    def probe():
        ids = {i["InstanceId"] for i in _sfr_instances(ec2, fid)}
        f = _sfr(ec2, fid)
        seen["last"] = (gone in ids, f["SpotFleetRequestState"], f.get("ActivityStatus"), f["SpotFleetRequestConfig"].get("FulfilledCapacity"))
        return f if gone not in ids and _fulfilled(target)(f) else None
    try:
        return wait_until(probe, timeout, what)
    except AssertionError as e:
        raise AssertionError(f"{e}; last (still listed, state, activity, capacity) {seen.get('last')}") from None


def _state(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]


def _interrupt(srv, iid):
    return subprocess.run([srv.binary, "spot", "interrupt", iid, "--data-dir", srv.data_dir],
                          capture_output=True, text=True, timeout=60, env=srv.env())


def _spot_fleet(ec2, image, **config):
    base = {
        "IamFleetRole": ROLE,
        "TargetCapacity": 2,
        "LaunchSpecifications": [{"ImageId": image, "InstanceType": "t3.micro"}],
    }
    base.update(config)
    base = {k: v for k, v in base.items() if v is not None}
    return ec2.request_spot_fleet(SpotFleetRequestConfig=base)["SpotFleetRequestId"]


def test_maintain_fleet_keeps_its_weighted_target_across_interruptions(srv, ec2, image):
    fid = _spot_fleet(ec2, image, TargetCapacity=5, Type="maintain", AllocationStrategy="diversified",
                      LaunchSpecifications=[{"ImageId": image, "InstanceType": "t3.micro", "WeightedCapacity": 1.0},
                                            {"ImageId": image, "InstanceType": "t3.small", "WeightedCapacity": 2.0}],
                      TagSpecifications=[{"ResourceType": "spot-fleet-request", "Tags": [{"Key": "team", "Value": "batch"}]}])
    assert fid.startswith("sfr-") and len(fid) == 40
    f = _wait_fleet(ec2, fid, "the fleet reaches 5 units", _fulfilled(5))
    assert tags_dict(f) == {"team": "batch"}
    config = f["SpotFleetRequestConfig"]
    assert config["Type"] == "maintain" and config["AllocationStrategy"] == "diversified" and config["TargetCapacity"] == 5
    active = _sfr_instances(ec2, fid)
    types = sorted(i["InstanceType"] for i in active)
    weights = {"t3.micro": 1, "t3.small": 2}
    assert sum(weights[t] for t in types) == config["FulfilledCapacity"] >= 5
    # diversified: every instance in a pool of its own (type and zone)
    placed = ec2.describe_instances(InstanceIds=[i["InstanceId"] for i in active])["Reservations"]
    pools = {(i["InstanceType"], i["Placement"]["AvailabilityZone"]) for r in placed for i in r["Instances"]}
    assert len(pools) == len(active)
    assert all(i["SpotInstanceRequestId"].startswith("sir-") and i["InstanceHealth"] == "healthy" for i in active)
    victim = active[0]
    reservation = ec2.describe_instances(InstanceIds=[victim["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert reservation["InstanceLifecycle"] == "spot" and tags_dict(reservation)["aws:ec2spot:fleet-request-id"] == fid
    ec2.get_waiter("instance_running").wait(InstanceIds=[victim["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    out = _interrupt(srv, victim["InstanceId"])
    assert out.returncode == 0, out.stderr
    wait_until(lambda: _state(ec2, victim["InstanceId"]) in ("shutting-down", "terminated"), 20, "the interrupted instance terminates")
    f = _wait_replaced(ec2, fid, victim["InstanceId"], 5, "capacity restored with new instances")
    assert f["SpotFleetRequestConfig"]["FulfilledCapacity"] >= 5
    now = _sfr_instances(ec2, fid)
    # What replaces the victim: one instance or more (diversified spreads the lost units over pools;
    # the last launch may overshoot the target by less than its weight, and the overshoot stays).
    replacements = {i["InstanceId"] for i in now} - {i["InstanceId"] for i in active}
    assert replacements and sum(weights[i["InstanceType"]] for i in now) == f["SpotFleetRequestConfig"]["FulfilledCapacity"]

    history = _history(ec2, fid)
    subtypes = [(h["EventType"], h["EventInformation"]["EventSubType"]) for h in history]
    assert ("fleetRequestChange", "submitted") in subtypes and ("fleetRequestChange", "active") in subtypes
    terminated = [h for h in history if h["EventType"] == "instanceChange" and h["EventInformation"]["EventSubType"] == "terminated"]
    assert [h["EventInformation"]["InstanceId"] for h in terminated] == [victim["InstanceId"]]
    launched = [h["EventInformation"]["InstanceId"] for h in history if h["EventInformation"]["EventSubType"] == "launched"]
    assert sorted(launched) == sorted({i["InstanceId"] for i in active} | replacements)
    only_instances = _history(ec2, fid, EventType="instanceChange")
    assert only_instances and all(h["EventType"] == "instanceChange" for h in only_instances)
    page = ec2.describe_spot_fleet_request_history(SpotFleetRequestId=fid, StartTime=_since(), MaxResults=2)
    assert len(page["HistoryRecords"]) == 2 and "NextToken" in page and "LastEvaluatedTime" not in page
    rest = ec2.describe_spot_fleet_request_history(SpotFleetRequestId=fid, StartTime=_since(), NextToken=page["NextToken"])
    assert "LastEvaluatedTime" in rest and len(rest["HistoryRecords"]) == len(history) - 2

    # The fleet survives a restart of Stratus: it keeps maintaining its target afterwards.
    srv.stop()
    srv.start()
    ec2 = srv.ec2()
    again = _sfr_instances(ec2, fid)
    ec2.terminate_instances(InstanceIds=[again[0]["InstanceId"]])
    _wait_replaced(ec2, fid, again[0]["InstanceId"], 5, "capacity restored after a restart")
    result = ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[fid], TerminateInstances=True)
    assert result["SuccessfulFleetRequests"][0]["CurrentSpotFleetRequestState"] == "cancelled_terminating"


def test_request_fleet_does_not_replace_lost_capacity(ec2, image):
    fid = _spot_fleet(ec2, image, TargetCapacity=2, Type="request")
    _wait_fleet(ec2, fid, "the request fleet is fulfilled", _fulfilled(2))
    first = _sfr_instances(ec2, fid)
    assert len(first) == 2
    ec2.terminate_instances(InstanceIds=[first[0]["InstanceId"]])
    _wait_fleet(ec2, fid, "the lost instance no longer counts", lambda f: f["SpotFleetRequestConfig"]["FulfilledCapacity"] == 1)
    time.sleep(1.5)  # several passes of the controller
    now = _sfr_instances(ec2, fid)
    assert [i["InstanceId"] for i in now] == [first[1]["InstanceId"]]
    assert _sfr(ec2, fid)["SpotFleetRequestConfig"]["FulfilledCapacity"] == 1
    # Only maintain fleets can be modified.
    with pytest.raises(ClientError) as e:
        ec2.modify_spot_fleet_request(SpotFleetRequestId=fid, TargetCapacity=3)
    assert error_of(e)[0] == "InvalidParameterValue"
    ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[fid], TerminateInstances=True)


def test_modify_up_and_down(ec2, image):
    fid = _spot_fleet(ec2, image, TargetCapacity=1, AllocationStrategy="lowestPrice", InstancePoolsToUseCount=2)
    _wait_fleet(ec2, fid, "fulfilled at 1", _fulfilled(1))
    assert ec2.modify_spot_fleet_request(SpotFleetRequestId=fid, TargetCapacity=3)["Return"] is True
    assert _sfr(ec2, fid)["SpotFleetRequestState"] in ("modifying", "active")
    _wait_fleet(ec2, fid, "fulfilled at 3", _fulfilled(3))
    assert len(_sfr_instances(ec2, fid)) == 3
    subtypes = [h["EventInformation"]["EventSubType"] for h in _history(ec2, fid, EventType="fleetRequestChange")]
    assert "modify_in_progress" in subtypes and "modify_succeeded" in subtypes
    # Down with the default policy: the excess is terminated.
    ec2.modify_spot_fleet_request(SpotFleetRequestId=fid, TargetCapacity=1)
    f = _wait_fleet(ec2, fid, "down to 1", lambda f: f["SpotFleetRequestConfig"]["FulfilledCapacity"] == 1 and f.get("ActivityStatus") == "fulfilled")
    assert f["SpotFleetRequestConfig"]["TargetCapacity"] == 1
    # Up then down with noTermination: the instances stay.
    ec2.modify_spot_fleet_request(SpotFleetRequestId=fid, TargetCapacity=2)
    _wait_fleet(ec2, fid, "fulfilled at 2", _fulfilled(2))
    ec2.modify_spot_fleet_request(SpotFleetRequestId=fid, TargetCapacity=1, ExcessCapacityTerminationPolicy="noTermination")
    f = _wait_fleet(ec2, fid, "target 1 kept at 2", lambda f: f["SpotFleetRequestState"] == "active" and f["SpotFleetRequestConfig"]["TargetCapacity"] == 1)
    time.sleep(1.0)
    f = _sfr(ec2, fid)
    assert f["SpotFleetRequestConfig"]["FulfilledCapacity"] == 2 and f["SpotFleetRequestConfig"]["ExcessCapacityTerminationPolicy"] == "noTermination"
    ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[fid], TerminateInstances=True)


def test_cancel_with_and_without_terminating(ec2, image):
    a = _spot_fleet(ec2, image, TargetCapacity=1)
    b = _spot_fleet(ec2, image, TargetCapacity=1)
    _wait_fleet(ec2, a, "a fulfilled", _fulfilled(1))
    _wait_fleet(ec2, b, "b fulfilled", _fulfilled(1))
    ia = _sfr_instances(ec2, a)[0]["InstanceId"]
    ib = _sfr_instances(ec2, b)[0]["InstanceId"]
    missing = "sfr-" + str(uuid.uuid4())
    out = ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[a, missing, "sfr-nope"], TerminateInstances=True)
    assert [(s["SpotFleetRequestId"], s["PreviousSpotFleetRequestState"], s["CurrentSpotFleetRequestState"]) for s in out["SuccessfulFleetRequests"]] == \
        [(a, "active", "cancelled_terminating")]
    errors = {u["SpotFleetRequestId"]: u["Error"]["Code"] for u in out["UnsuccessfulFleetRequests"]}
    assert errors == {missing: "fleetRequestIdDoesNotExist", "sfr-nope": "fleetRequestIdMalformed"}
    _wait_fleet(ec2, a, "a cancelled", lambda f: f["SpotFleetRequestState"] == "cancelled")
    wait_until(lambda: _state(ec2, ia) in ("shutting-down", "terminated"), 10, "a's instance terminates")
    out = ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[b], TerminateInstances=False)
    assert out["SuccessfulFleetRequests"][0]["CurrentSpotFleetRequestState"] == "cancelled_running"
    time.sleep(1.0)
    assert _sfr(ec2, b)["SpotFleetRequestState"] == "cancelled_running" and _state(ec2, ib) in ("pending", "running")
    # Cancelling again is refused per request.
    again = ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[b], TerminateInstances=False)
    assert again["UnsuccessfulFleetRequests"][0]["Error"]["Code"] == "fleetRequestNotInCancellableState"
    # When its last instance is gone, the fleet is cancelled.
    ec2.terminate_instances(InstanceIds=[ib])
    _wait_fleet(ec2, b, "b cancelled", lambda f: f["SpotFleetRequestState"] == "cancelled")
    subtypes = [h["EventInformation"]["EventSubType"] for h in _history(ec2, b, EventType="fleetRequestChange")]
    assert subtypes[-2:] == ["cancelled_running", "cancelled"]


def test_spot_fleet_errors_dry_run_and_client_token(ec2, image, template):
    missing = "sfr-" + str(uuid.uuid4())
    with pytest.raises(ClientError) as e:
        ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[missing])
    assert error_of(e)[0] == "InvalidSpotFleetRequestId.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_spot_fleet_instances(SpotFleetRequestId="sfr-123")
    assert error_of(e)[0] == "InvalidSpotFleetRequestId.Malformed"
    with pytest.raises(ClientError) as e:
        ec2.describe_spot_fleet_request_history(SpotFleetRequestId=missing, StartTime=_since())
    assert error_of(e)[0] == "InvalidSpotFleetRequestId.NotFound"
    with pytest.raises(ClientError) as e:
        _spot_fleet(ec2, image, LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "$Latest"}}])
    assert error_of(e)[0] == "InvalidSpotFleetRequestConfig"
    with pytest.raises(ClientError) as e:
        _spot_fleet(ec2, image, LaunchSpecifications=[{"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro"}])
    assert error_of(e)[0] == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        _spot_fleet(ec2, image, OnDemandTargetCapacity=3)
    assert error_of(e)[0] == "InvalidSpotFleetRequestConfig"
    with pytest.raises(ClientError) as e:
        _spot_fleet(ec2, image, AllocationStrategy="diversified", InstancePoolsToUseCount=2)
    assert error_of(e)[0] == "InvalidSpotFleetRequestConfig"
    with pytest.raises(ClientError) as e:
        _spot_fleet(ec2, image, ValidUntil=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))
    assert error_of(e)[0] == "InvalidParameterValue"
    before = len(ec2.describe_spot_fleet_requests()["SpotFleetRequestConfigs"])
    with pytest.raises(ClientError) as e:
        ec2.request_spot_fleet(DryRun=True, SpotFleetRequestConfig={"IamFleetRole": ROLE, "TargetCapacity": 1,
                                                                    "LaunchSpecifications": [{"ImageId": image, "InstanceType": "t3.micro"}]})
    assert error_of(e)[0] == "DryRunOperation"
    assert len(ec2.describe_spot_fleet_requests()["SpotFleetRequestConfigs"]) == before
    # ClientToken: the same token answers with the same fleet; other parameters are a mismatch.
    token = uuid.uuid4().hex
    first = _spot_fleet(ec2, image, TargetCapacity=0, ClientToken=token)
    assert _spot_fleet(ec2, image, TargetCapacity=0, ClientToken=token) == first
    with pytest.raises(ClientError) as e:
        _spot_fleet(ec2, image, TargetCapacity=1, ClientToken=token)
    assert error_of(e)[0] == "IdempotentParameterMismatch"
    # Launch templates with overrides and on-demand capacity; pagination.
    fid = _spot_fleet(ec2, image, TargetCapacity=2, OnDemandTargetCapacity=1, LaunchSpecifications=None,
                      LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"},
                                              "Overrides": [{"InstanceType": "t3.micro", "Priority": 1.0}, {"InstanceType": "t3.small", "Priority": 2.0}]}],
                      OnDemandAllocationStrategy="prioritized")
    _wait_fleet(ec2, fid, "mixed fleet fulfilled", _fulfilled(2))
    f = _sfr(ec2, fid)
    assert f["SpotFleetRequestConfig"]["OnDemandFulfilledCapacity"] == 1
    lifecycles = sorted(i.get("SpotInstanceRequestId") is None for i in _sfr_instances(ec2, fid))
    assert lifecycles == [False, True]
    on_demand = [i for i in _sfr_instances(ec2, fid) if "SpotInstanceRequestId" not in i]
    assert on_demand[0]["InstanceType"] == "t3.micro"  # prioritized: priority 1 first
    page = ec2.describe_spot_fleet_requests(MaxResults=1)
    assert len(page["SpotFleetRequestConfigs"]) == 1 and "NextToken" in page
    ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[fid, first], TerminateInstances=True)


def test_instant_fleet_returns_instances_and_errors(ec2, template):
    out = ec2.create_fleet(
        Type="instant",
        TargetCapacitySpecification={"TotalTargetCapacity": 3, "OnDemandTargetCapacity": 1, "SpotTargetCapacity": 2, "DefaultTargetCapacityType": "spot"},
        LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "$Latest"},
                                "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3.nonexistent"}]}],
        SpotOptions={"AllocationStrategy": "lowest-price"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "batch", "Value": "7"}]},
                           {"ResourceType": "fleet", "Tags": [{"Key": "team", "Value": "render"}]}])
    fid = out["FleetId"]
    assert fid.startswith("fleet-")
    by_lifecycle = {}
    for group in out["Instances"]:
        assert group["InstanceType"] == "t3.micro"
        assert group["LaunchTemplateAndOverrides"]["LaunchTemplateSpecification"]["LaunchTemplateId"] == template
        assert group["LaunchTemplateAndOverrides"]["Overrides"]["InstanceType"] == "t3.micro"
        by_lifecycle.setdefault(group["Lifecycle"], []).extend(group["InstanceIds"])
    assert {k: len(v) for k, v in by_lifecycle.items()} == {"on-demand": 1, "spot": 2}
    errors = out["Errors"]
    assert errors and all(err["ErrorCode"] == "InvalidParameterValue" for err in errors)
    assert errors[0]["LaunchTemplateAndOverrides"]["Overrides"]["InstanceType"] == "t3.nonexistent"
    spot_ids = by_lifecycle["spot"]
    described = ec2.describe_instances(InstanceIds=spot_ids + by_lifecycle["on-demand"])["Reservations"]
    instances = [i for r in described for i in r["Instances"]]
    assert all(tags_dict(i)["batch"] == "7" and tags_dict(i)["aws:ec2:fleet-id"] == fid for i in instances)
    assert sorted(i.get("InstanceLifecycle", "on-demand") for i in instances) == ["on-demand", "spot", "spot"]

    fleet = ec2.describe_fleets(FleetIds=[fid])["Fleets"][0]
    assert fleet["Type"] == "instant" and fleet["FleetState"] == "active" and fleet["FulfilledCapacity"] == 3
    assert tags_dict(fleet) == {"team": "render"}
    assert sum(len(i["InstanceIds"]) for i in fleet["Instances"]) == 3 and fleet["Errors"][0]["ErrorCode"] == "InvalidParameterValue"
    assert fid in [f["FleetId"] for f in ec2.describe_fleets(Filters=[{"Name": "type", "Values": ["instant"]}])["Fleets"]]
    assert not [f for f in ec2.describe_fleets(Filters=[{"Name": "fleet-state", "Values": ["deleted"]}])["Fleets"] if f["FleetId"] == fid]
    # Instant fleets must terminate their instances when deleted.
    res = ec2.delete_fleets(FleetIds=[fid], TerminateInstances=False)
    assert res["UnsuccessfulFleetDeletions"][0]["Error"]["Code"] == "fleetNotInDeletableState"
    res = ec2.delete_fleets(FleetIds=[fid, "fleet-" + str(uuid.uuid4())], TerminateInstances=True)
    assert res["SuccessfulFleetDeletions"][0]["CurrentFleetState"] == "deleted_terminating"
    assert res["UnsuccessfulFleetDeletions"][0]["Error"]["Code"] == "fleetIdDoesNotExist"
    wait_until(lambda: ec2.describe_fleets(FleetIds=[fid])["Fleets"][0]["FleetState"] == "deleted", 10, "the instant fleet is deleted")
    assert all(_state(ec2, i) in ("shutting-down", "terminated") for i in spot_ids)


def test_instant_fleet_with_no_usable_override_and_minimum_capacity(ec2, template):
    out = ec2.create_fleet(
        Type="instant",
        TargetCapacitySpecification={"TotalTargetCapacity": 1, "DefaultTargetCapacityType": "on-demand"},
        LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"},
                                "Overrides": [{"InstanceType": "t3.nonexistent"}]}])
    assert out.get("Instances", []) == [] and out["Errors"][0]["ErrorCode"] == "InvalidParameterValue"
    out = ec2.create_fleet(
        Type="instant",
        TargetCapacitySpecification={"TotalTargetCapacity": 2, "DefaultTargetCapacityType": "spot"},
        SpotOptions={"MinTargetCapacity": 2, "SingleInstanceType": True, "MaxTotalPrice": "0.000100"},
        LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"}}])
    assert out.get("Instances", []) == [] and out["Errors"][0]["ErrorCode"] == "InsufficientInstanceCapacity"
    with pytest.raises(ClientError) as e:
        ec2.create_fleet(Type="maintain", TargetCapacitySpecification={"TotalTargetCapacity": 1, "DefaultTargetCapacityType": "spot"},
                         SpotOptions={"MinTargetCapacity": 1, "SingleInstanceType": True},
                         LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"}}])
    assert error_of(e)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        ec2.create_fleet(Type="instant", TargetCapacitySpecification={"TotalTargetCapacity": 1, "OnDemandTargetCapacity": 2, "DefaultTargetCapacityType": "spot"},
                         LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"}}])
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.describe_fleets(FleetIds=["fleet-" + str(uuid.uuid4())])
    assert error_of(e)[0] == "InvalidFleetId.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_fleet_instances(FleetId="fleet-1")
    assert error_of(e)[0] == "InvalidFleetId.Malformed"


def test_maintain_ec2_fleet_through_the_aws_cli(srv, template):
    config = json.dumps([{"LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "$Default"},
                          "Overrides": [{"InstanceType": "t3.micro", "WeightedCapacity": 1}, {"InstanceType": "t3.xlarge", "WeightedCapacity": 2}]}])
    out = srv.cli_json("--profile", "stratus", "ec2", "create-fleet", "--type", "maintain", "--launch-template-configs", config,
                       "--target-capacity-specification", "TotalTargetCapacity=4,DefaultTargetCapacityType=spot",
                       "--spot-options", "AllocationStrategy=capacity-optimized",
                       "--tag-specifications", "ResourceType=fleet,Tags=[{Key=env,Value=ci}]")
    fid = out["FleetId"]

    def fleet():
        return srv.cli_json("--profile", "stratus", "ec2", "describe-fleets", "--fleet-ids", fid)["Fleets"][0]
    wait_until(lambda: fleet()["ActivityStatus"] == "fulfilled" and fleet()["FulfilledCapacity"] >= 4, 20, "the EC2 Fleet is fulfilled")
    instances = srv.cli_json("--profile", "stratus", "ec2", "describe-fleet-instances", "--fleet-id", fid)["ActiveInstances"]
    # capacity-optimized: the pools with the most room (the type with fewer vCPUs) are chosen.
    assert {i["InstanceType"] for i in instances} == {"t3.micro"} and len(instances) == 4
    smalls = srv.cli_json("--profile", "stratus", "ec2", "describe-fleet-instances", "--fleet-id", fid, "--filters", "Name=instance-type,Values=t3.xlarge")
    assert smalls["ActiveInstances"] == []
    listed = srv.cli_json("--profile", "stratus", "ec2", "describe-fleets", "--filters", "Name=fleet-state,Values=active", "Name=type,Values=maintain")
    assert fid in [f["FleetId"] for f in listed["Fleets"]]
    srv.cli("--profile", "stratus", "ec2", "modify-fleet", "--fleet-id", fid, "--target-capacity-specification", "TotalTargetCapacity=2", check=True)
    wait_until(lambda: fleet()["FulfilledCapacity"] == 2 and fleet()["FleetState"] == "active", 20, "the EC2 Fleet shrinks")
    start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    history = srv.cli_json("--profile", "stratus", "ec2", "describe-fleet-history", "--fleet-id", fid, "--start-time", start)["HistoryRecords"]
    kinds = {(h["EventType"], h["EventInformation"]["EventSubType"]) for h in history}
    assert {("fleet-change", "submitted"), ("fleet-change", "active"), ("fleet-change", "modify_succeeded"),
            ("instance-change", "launched"), ("instance-change", "terminated")} <= kinds
    bad = srv.cli("--profile", "stratus", "ec2", "describe-fleet-history", "--fleet-id", "fleet-" + str(uuid.uuid4()), "--start-time", start)
    assert bad.returncode != 0 and "InvalidFleetId.NotFound" in bad.stderr
    deleted = srv.cli_json("--profile", "stratus", "ec2", "delete-fleets", "--fleet-ids", fid, "--no-terminate-instances")
    assert deleted["SuccessfulFleetDeletions"][0]["CurrentFleetState"] == "deleted_running"
    for i in instances:
        srv.cli("--profile", "stratus", "ec2", "terminate-instances", "--instance-ids", i["InstanceId"])


def test_instance_types_from_instance_requirements(ec2):
    out = ec2.get_instance_types_from_instance_requirements(
        ArchitectureTypes=["x86_64"], VirtualizationTypes=["hvm"],
        InstanceRequirements={"VCpuCount": {"Min": 2, "Max": 2}, "MemoryMiB": {"Min": 1024, "Max": 2048}, "AllowedInstanceTypes": ["t3.*"]})
    names = [t["InstanceType"] for t in out["InstanceTypes"]]
    assert names == ["t3.micro", "t3.small"]
    with pytest.raises(ClientError) as e:
        ec2.get_instance_types_from_instance_requirements(ArchitectureTypes=["x86_64"], VirtualizationTypes=["hvm"],
                                                          InstanceRequirements={"VCpuCount": {"Min": 4, "Max": 2}, "MemoryMiB": {"Min": 0}})
    assert error_of(e)[0] == "InvalidParameterValue"
