"""Compute operations: detailed monitoring, scheduled events (`stratus events schedule`, carried out
at their time), event windows, event notification attributes, Reserved Instances and host
reservations. Mock runtime, one server for the module."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ServerFactory, error_of, minimal_ami, wait_until


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("compute-ops")))
    try:
        yield factory(name="stratus-compute-ops", extra_args=["--mock-boot-seconds", "0.2", "--metrics-interval-seconds", "1"])
    finally:
        factory.close()


@pytest.fixture(scope="module")
def ec2(srv):
    return srv.ec2()


@pytest.fixture(scope="module")
def image(ec2):
    return minimal_ami(ec2)


def _launch(ec2, image, **kw):
    iid = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, **kw)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 0.5, "MaxAttempts": 60})
    return iid


def _instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def _schedule(srv, iid, code, *args):
    return subprocess.run([srv.binary, "events", "schedule", iid, "--code", code, "--data-dir", srv.data_dir, *args],
                          capture_output=True, text=True, timeout=60, env=srv.env())


def _events(ec2, iid, **kw):
    statuses = ec2.describe_instance_status(InstanceIds=[iid], IncludeAllInstances=True, **kw)["InstanceStatuses"]
    return statuses[0].get("Events", []) if statuses else None


# ---------------------------------------------------------------- monitoring

def test_monitor_and_unmonitor_instances_change_the_metric_period(srv, ec2, image):
    iid = _launch(ec2, image)
    assert _instance(ec2, iid)["Monitoring"]["State"] == "disabled"
    with pytest.raises(ClientError) as caught:
        ec2.monitor_instances(InstanceIds=[iid], DryRun=True)
    assert error_of(caught)[0] == "DryRunOperation"
    out = ec2.monitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert out == [{"InstanceId": iid, "Monitoring": {"State": "pending"}}]
    assert _instance(ec2, iid)["Monitoring"]["State"] == "enabled"
    assert ec2.describe_instances(Filters=[{"Name": "monitoring-state", "Values": ["enabled"]}, {"Name": "instance-id", "Values": [iid]}])["Reservations"]

    # Detailed monitoring: 1-minute datapoints of the current minute, also by InstanceType.
    cw = srv.client("cloudwatch")
    now = dt.datetime.now(dt.timezone.utc)

    def minute_point():
        points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="StatusCheckFailed", Dimensions=[{"Name": "InstanceId", "Value": iid}],
                                          StartTime=now - dt.timedelta(minutes=10), EndTime=now + dt.timedelta(minutes=2), Period=60, Statistics=["Maximum"])["Datapoints"]
        minute = int(time.time()) // 60 * 60
        return [p for p in points if int(p["Timestamp"].timestamp()) == minute] or None
    wait_until(minute_point, 15, "a 1-minute datapoint under detailed monitoring")

    out = ec2.unmonitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert out[0]["Monitoring"]["State"] == "disabling"
    assert _instance(ec2, iid)["Monitoring"]["State"] == "disabled"
    with pytest.raises(ClientError) as caught:
        ec2.monitor_instances(InstanceIds=["i-0123456789abcdef0"])
    assert error_of(caught)[0] == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as caught:
        ec2.monitor_instances(InstanceIds=["bogus"])
    assert error_of(caught)[0] == "InvalidInstanceID.Malformed"
    ec2.terminate_instances(InstanceIds=[iid])


def test_monitoring_enabled_at_launch_and_in_launch_templates(ec2, image):
    iid = _launch(ec2, image, Monitoring={"Enabled": True})
    assert _instance(ec2, iid)["Monitoring"]["State"] == "enabled"
    lt = ec2.create_launch_template(LaunchTemplateName="monitored", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "Monitoring": {"Enabled": True}})
    from_lt = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"]}, MinCount=1, MaxCount=1)["Instances"][0]
    assert from_lt["Monitoring"]["State"] == "enabled"
    ec2.terminate_instances(InstanceIds=[iid, from_lt["InstanceId"]])


# ---------------------------------------------------------------- scheduled events

def test_scheduled_reboot_is_described_filtered_rescheduled_and_carried_out(srv, ec2, image):
    iid = _launch(ec2, image)
    out = _schedule(srv, iid, "system-reboot", "--not-before", "+3600")
    assert out.returncode == 0, out.stderr
    event_id = json.loads(out.stdout)["InstanceEventId"]
    assert event_id.startswith("instance-event-")
    [event] = _events(ec2, iid)
    assert event["Code"] == "system-reboot" and event["InstanceEventId"] == event_id
    assert event["Description"] == "scheduled reboot"
    assert event["NotAfter"] - event["NotBefore"] == dt.timedelta(hours=2)
    assert event["NotBeforeDeadline"] > event["NotBefore"]

    statuses = ec2.describe_instance_status(Filters=[{"Name": "event.code", "Values": ["system-reboot"]}])["InstanceStatuses"]
    assert iid in [s["InstanceId"] for s in statuses]
    assert not [s for s in ec2.describe_instance_status(Filters=[{"Name": "event.code", "Values": ["instance-stop"]}])["InstanceStatuses"] if s["InstanceId"] == iid]
    assert [s for s in ec2.describe_instance_status(Filters=[{"Name": "event.instance-event-id", "Values": [event_id]}])["InstanceStatuses"]]
    assert [s for s in ec2.describe_instance_status(Filters=[{"Name": "event.description", "Values": ["scheduled*"]}])["InstanceStatuses"]]

    # Rescheduling: only before the deadline, only in the future, only known events.
    too_late = event["NotBeforeDeadline"] + dt.timedelta(days=1)
    with pytest.raises(ClientError) as caught:
        ec2.modify_instance_event_start_time(InstanceId=iid, InstanceEventId=event_id, NotBefore=too_late)
    assert error_of(caught)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        ec2.modify_instance_event_start_time(InstanceId=iid, InstanceEventId="instance-event-0123456789abcdef0", NotBefore=event["NotBefore"])
    assert error_of(caught)[0] == "InvalidInstanceEventID.NotFound"
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)
    moved = ec2.modify_instance_event_start_time(InstanceId=iid, InstanceEventId=event_id, NotBefore=soon)["Event"]
    assert abs((moved["NotBefore"] - soon).total_seconds()) < 1

    # At its time the instance reboots and the event moves to the history, [Completed].
    def completed():
        events = _events(ec2, iid)
        return events if events and events[0]["Description"].startswith("[Completed]") else None
    [done] = wait_until(completed, 20, "the reboot event completes")
    assert done["InstanceEventId"] == event_id
    assert _instance(ec2, iid)["State"]["Name"] == "running"
    ec2.terminate_instances(InstanceIds=[iid])


def test_scheduled_stop_is_carried_out_and_a_user_stop_cancels_events(srv, ec2, image):
    a = _launch(ec2, image)
    b = _launch(ec2, image)
    assert _schedule(srv, a, "instance-stop", "--not-before", "+2").returncode == 0
    [stop] = _events(ec2, a)
    assert "NotBeforeDeadline" not in stop
    with pytest.raises(ClientError) as caught:
        ec2.modify_instance_event_start_time(InstanceId=a, InstanceEventId=stop["InstanceEventId"], NotBefore=stop["NotBefore"] + dt.timedelta(hours=1))
    assert error_of(caught)[0] == "InvalidParameterValue"
    wait_until(lambda: _instance(ec2, a)["State"]["Name"] == "stopped", 20, "the instance-stop event stops the instance")
    assert _events(ec2, a)[0]["Description"].startswith("[Completed]")

    assert _schedule(srv, b, "instance-retirement", "--not-before", "+3600").returncode == 0
    ec2.stop_instances(InstanceIds=[b])
    wait_until(lambda: (_events(ec2, b) or [{}])[0].get("Description", "").startswith("[Canceled]"), 20, "a user stop cancels the retirement")

    bad = _schedule(srv, "i-0123456789abcdef0", "system-reboot")
    assert bad.returncode == 1 and "does not exist" in bad.stderr
    ec2.terminate_instances(InstanceIds=[a, b])


def test_event_notification_attributes(ec2):
    assert ec2.describe_instance_event_notification_attributes()["InstanceTagAttribute"] == {"IncludeAllTagsOfInstance": False, "InstanceTagKeys": []}
    out = ec2.register_instance_event_notification_attributes(InstanceTagAttribute={"InstanceTagKeys": ["Name", "team"]})["InstanceTagAttribute"]
    assert sorted(out["InstanceTagKeys"]) == ["Name", "team"]
    ec2.deregister_instance_event_notification_attributes(InstanceTagAttribute={"InstanceTagKeys": ["team"]})
    assert ec2.describe_instance_event_notification_attributes()["InstanceTagAttribute"]["InstanceTagKeys"] == ["Name"]
    with pytest.raises(ClientError) as caught:
        ec2.register_instance_event_notification_attributes(InstanceTagAttribute={"IncludeAllTagsOfInstance": True, "InstanceTagKeys": ["x"]})
    assert error_of(caught)[0] == "InvalidParameterCombination"


# ---------------------------------------------------------------- event windows

def test_event_windows_validate_associate_and_move_events(srv, ec2, image):
    for bad in ["* 0-1 * * 1", "5 0-4 * * 1", "* 0-4 1 * 1", "* 0-3 * * 1", "* 4 * * 1", "* 0-4 * * 8"]:
        with pytest.raises(ClientError) as caught:
            ec2.create_instance_event_window(CronExpression=bad)
        assert error_of(caught)[0] == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as caught:
        ec2.create_instance_event_window(TimeRanges=[{"StartWeekDay": "monday", "StartHour": 2, "EndWeekDay": "monday", "EndHour": 3}])
    assert error_of(caught)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        ec2.create_instance_event_window(CronExpression="* 0-4 * * 1", TimeRanges=[{"StartWeekDay": "monday", "StartHour": 2, "EndWeekDay": "monday", "EndHour": 8}])
    assert error_of(caught)[0] == "InvalidParameterCombination"

    cron = ec2.create_instance_event_window(Name="nightly", CronExpression="* 21-23 * * MON-FRI",
                                            TagSpecifications=[{"ResourceType": "instance-event-window", "Tags": [{"Key": "env", "Value": "prod"}]}])["InstanceEventWindow"]
    assert cron["State"] == "active" and cron["InstanceEventWindowId"].startswith("iew-")
    # A window that starts two hours from now (UTC), so the event below is moved to it.
    start = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
    days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    end = start + dt.timedelta(hours=5)
    ranges = [{"StartWeekDay": days[(start.weekday() + 1) % 7], "StartHour": start.hour, "EndWeekDay": days[(end.weekday() + 1) % 7], "EndHour": end.hour}]
    if (end.weekday() + 1) % 7 < (start.weekday() + 1) % 7:
        start, end = start + dt.timedelta(hours=5), end + dt.timedelta(hours=5)  # not across Saturday → Sunday
        ranges = [{"StartWeekDay": days[(start.weekday() + 1) % 7], "StartHour": start.hour, "EndWeekDay": days[(end.weekday() + 1) % 7], "EndHour": end.hour}]
    window = ec2.create_instance_event_window(Name="soon", TimeRanges=ranges)["InstanceEventWindow"]
    wid = window["InstanceEventWindowId"]

    iid = _launch(ec2, image, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "tier", "Value": "web"}]}])
    ec2.associate_instance_event_window(InstanceEventWindowId=wid, AssociationTarget={"InstanceIds": [iid]})
    with pytest.raises(ClientError) as caught:
        ec2.associate_instance_event_window(InstanceEventWindowId=wid, AssociationTarget={"InstanceTags": [{"Key": "tier", "Value": "web"}]})
    assert error_of(caught)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as caught:
        ec2.associate_instance_event_window(InstanceEventWindowId=cron["InstanceEventWindowId"], AssociationTarget={"InstanceIds": [iid]})
    assert error_of(caught)[0] == "InvalidParameterValue"
    described = ec2.describe_instance_event_windows(Filters=[{"Name": "instance-id", "Values": [iid]}])["InstanceEventWindows"]
    assert [w["InstanceEventWindowId"] for w in described] == [wid]
    assert ec2.describe_instance_event_windows(Filters=[{"Name": "tag:env", "Values": ["prod"]}])["InstanceEventWindows"][0]["Name"] == "nightly"

    out = _schedule(srv, iid, "instance-reboot", "--not-before", "+10")
    assert out.returncode == 0, out.stderr
    [event] = _events(ec2, iid)
    assert event["NotBefore"] == start, (event, ranges)

    with pytest.raises(ClientError) as caught:
        ec2.delete_instance_event_window(InstanceEventWindowId=wid)
    assert error_of(caught)[0] == "InvalidInstanceEventWindow.InUse"
    ec2.disassociate_instance_event_window(InstanceEventWindowId=wid, AssociationTarget={"InstanceIds": [iid]})
    modified = ec2.modify_instance_event_window(InstanceEventWindowId=wid, Name="renamed", CronExpression="* 1-5 * * 0")["InstanceEventWindow"]
    assert modified["Name"] == "renamed" and modified["CronExpression"] == "* 1-5 * * 0" and not modified.get("TimeRanges")
    assert ec2.delete_instance_event_window(InstanceEventWindowId=wid)["InstanceEventWindowState"]["State"] == "deleting"
    ec2.delete_instance_event_window(InstanceEventWindowId=cron["InstanceEventWindowId"], ForceDelete=True)
    with pytest.raises(ClientError) as caught:
        ec2.describe_instance_event_windows(InstanceEventWindowIds=[wid])
    assert error_of(caught)[0] == "InvalidInstanceEventWindowID.NotFound"
    ec2.terminate_instances(InstanceIds=[iid])


# ---------------------------------------------------------------- Reserved Instances

def _offering(ec2, **kw):
    return ec2.describe_reserved_instances_offerings(InstanceType="m5.large", ProductDescription="Linux/UNIX", InstanceTenancy="default", **kw)["ReservedInstancesOfferings"]


def test_reserved_instance_offerings_price_model_filters_and_paging(ec2):
    offers = _offering(ec2, OfferingClass="standard", OfferingType="All Upfront", MinDuration=31536000, MaxDuration=31536000)
    regional = [o for o in offers if o["Scope"] == "Region"]
    zonal = [o for o in offers if o["Scope"] == "Availability Zone"]
    assert len(regional) == 1 and len(zonal) == 6  # us-east-1's six zones
    o = regional[0]
    # m5.large: on-demand 0.0928/h; standard 1-year All Upfront is 42 % off: 0.053824 × 8760 h.
    assert o["FixedPrice"] == pytest.approx(471.50, abs=0.01)
    assert o["RecurringCharges"] == [{"Amount": 0.0, "Frequency": "Hourly"}]
    assert o["Duration"] == 31536000 and o["CurrencyCode"] == "USD" and o["Marketplace"] is False
    no_upfront = _offering(ec2, OfferingClass="standard", OfferingType="No Upfront", MaxDuration=31536000, Filters=[{"Name": "scope", "Values": ["Region"]}])
    assert [x["FixedPrice"] for x in no_upfront] == [0.0]
    assert no_upfront[0]["RecurringCharges"][0]["Amount"] == pytest.approx(0.0585, abs=0.0001)
    by_id = ec2.describe_reserved_instances_offerings(ReservedInstancesOfferingIds=[o["ReservedInstancesOfferingId"]])["ReservedInstancesOfferings"]
    assert by_id == [o]
    with pytest.raises(ClientError) as caught:
        ec2.describe_reserved_instances_offerings(ReservedInstancesOfferingIds=["438012d3-80c7-42c6-9396-a209cEXAMPLE"])
    assert error_of(caught)[0] == "InvalidReservedInstancesOfferingId"
    three = _offering(ec2, MinDuration=94608000, Filters=[{"Name": "availability-zone", "Values": ["us-east-1a"]}])
    assert three and all(x["Duration"] == 94608000 and x["AvailabilityZone"] == "us-east-1a" for x in three)

    # Paging over the whole region: pages of MaxResults, tokens, no repeats.
    first = ec2.describe_reserved_instances_offerings(MaxResults=10)
    second = ec2.describe_reserved_instances_offerings(MaxResults=10, NextToken=first["NextToken"])
    ids = [x["ReservedInstancesOfferingId"] for x in first["ReservedInstancesOfferings"] + second["ReservedInstancesOfferings"]]
    assert len(ids) == 20 and len(set(ids)) == 20
    with pytest.raises(ClientError) as caught:
        ec2.describe_reserved_instances_offerings(MaxResults=10, NextToken="bogus")
    assert error_of(caught)[0] == "InvalidPaginationToken"
    with pytest.raises(ClientError) as caught:
        ec2.describe_reserved_instances_offerings(InstanceType="m5.huge")
    assert error_of(caught)[0] == "InvalidParameterValue"


def test_purchase_describe_queue_modify_and_exchange(ec2):
    [regional] = _offering(ec2, OfferingClass="standard", OfferingType="No Upfront", MaxDuration=31536000, Filters=[{"Name": "scope", "Values": ["Region"]}])
    with pytest.raises(ClientError) as caught:
        ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=regional["ReservedInstancesOfferingId"], InstanceCount=2, DryRun=True)
    assert error_of(caught)[0] == "DryRunOperation"
    ri = ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=regional["ReservedInstancesOfferingId"], InstanceCount=2)["ReservedInstancesId"]
    [got] = ec2.describe_reserved_instances(ReservedInstancesIds=[ri])["ReservedInstances"]
    assert got["State"] == "payment-pending" and got["InstanceCount"] == 2 and got["Scope"] == "Region"
    assert (got["End"] - got["Start"]).total_seconds() == 31536000
    wait_until(lambda: ec2.describe_reserved_instances(ReservedInstancesIds=[ri])["ReservedInstances"][0]["State"] == "active", 10, "the purchase becomes active")
    assert ec2.describe_reserved_instances(Filters=[{"Name": "state", "Values": ["active"]}, {"Name": "instance-type", "Values": ["m5.large"]}])["ReservedInstances"]

    [all_upfront] = _offering(ec2, OfferingClass="standard", OfferingType="All Upfront", MaxDuration=31536000, Filters=[{"Name": "scope", "Values": ["Region"]}])
    with pytest.raises(ClientError) as caught:
        ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=all_upfront["ReservedInstancesOfferingId"], InstanceCount=1, LimitPrice={"Amount": 100.0, "CurrencyCode": "USD"})
    assert error_of(caught)[0] == "ReservedInstancesLimitPriceExceeded"
    with pytest.raises(ClientError) as caught:
        ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=regional["ReservedInstancesOfferingId"], InstanceCount=30)
    assert error_of(caught)[0] == "ReservedInstancesLimitExceeded"

    # A queued purchase (regional only) can be deleted while queued.
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    queued = ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=regional["ReservedInstancesOfferingId"], InstanceCount=1, PurchaseTime=later)["ReservedInstancesId"]
    assert ec2.describe_reserved_instances(ReservedInstancesIds=[queued])["ReservedInstances"][0]["State"] == "queued"
    zonal = _offering(ec2, OfferingClass="standard", OfferingType="No Upfront", MaxDuration=31536000, AvailabilityZone="us-east-1a")[0]
    with pytest.raises(ClientError) as caught:
        ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=zonal["ReservedInstancesOfferingId"], InstanceCount=1, PurchaseTime=later)
    assert error_of(caught)[0] == "InvalidParameterCombination"
    deleted = ec2.delete_queued_reserved_instances(ReservedInstancesIds=[queued, ri])
    assert [d["ReservedInstancesId"] for d in deleted["SuccessfulQueuedPurchaseDeletions"]] == [queued]
    assert deleted["FailedQueuedPurchaseDeletions"][0]["Error"]["Code"] == "reserved-instances-not-in-queued-state"
    assert ec2.describe_reserved_instances(ReservedInstancesIds=[queued])["ReservedInstances"][0]["State"] == "queued-deleted"

    # Modify: 2 × m5.large (footprint 8) → 1 × m5.xlarge in us-east-1b (footprint 8); a mismatch is refused.
    with pytest.raises(ClientError) as caught:
        ec2.modify_reserved_instances(ReservedInstancesIds=[ri], TargetConfigurations=[{"InstanceType": "m5.2xlarge", "InstanceCount": 1}])
    assert error_of(caught)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        ec2.modify_reserved_instances(ReservedInstancesIds=[ri], TargetConfigurations=[{"InstanceType": "c5.xlarge", "InstanceCount": 1}])
    assert error_of(caught)[0] == "InvalidParameterCombination"
    mod = ec2.modify_reserved_instances(ReservedInstancesIds=[ri], ClientToken="mod-1",
                                        TargetConfigurations=[{"InstanceType": "m5.xlarge", "InstanceCount": 1, "AvailabilityZone": "us-east-1b", "Scope": "Availability Zone"}])["ReservedInstancesModificationId"]
    assert mod.startswith("rimod-")
    [m] = ec2.describe_reserved_instances_modifications(ReservedInstancesModificationIds=[mod])["ReservedInstancesModifications"]
    assert m["Status"] == "fulfilled" and m["ReservedInstancesIds"] == [{"ReservedInstancesId": ri}]
    result = m["ModificationResults"][0]
    assert result["TargetConfiguration"]["InstanceType"] == "m5.xlarge" and result["TargetConfiguration"]["AvailabilityZone"] == "us-east-1b"
    assert ec2.describe_reserved_instances(ReservedInstancesIds=[ri])["ReservedInstances"][0]["State"] == "retired"
    [new] = ec2.describe_reserved_instances(ReservedInstancesIds=[result["ReservedInstancesId"]])["ReservedInstances"]
    assert new["State"] == "active" and new["InstanceType"] == "m5.xlarge" and new["End"] == got["End"]

    # Exchange: only convertible Reserved Instances; the target must be worth at least as much.
    quote = ec2.get_reserved_instances_exchange_quote(ReservedInstanceIds=[new["ReservedInstancesId"]], TargetConfigurations=[{"OfferingId": regional["ReservedInstancesOfferingId"]}])
    assert quote["IsValidExchange"] is False and "convertible" in quote["ValidationFailureReason"]
    [conv] = _offering(ec2, OfferingClass="convertible", OfferingType="Partial Upfront", MaxDuration=31536000, Filters=[{"Name": "scope", "Values": ["Region"]}])
    cri = ec2.purchase_reserved_instances_offering(ReservedInstancesOfferingId=conv["ReservedInstancesOfferingId"], InstanceCount=1)["ReservedInstancesId"]
    wait_until(lambda: ec2.describe_reserved_instances(ReservedInstancesIds=[cri])["ReservedInstances"][0]["State"] == "active", 10, "the convertible purchase becomes active")
    [bigger] = ec2.describe_reserved_instances_offerings(InstanceType="m5.xlarge", ProductDescription="Linux/UNIX", InstanceTenancy="default", OfferingClass="convertible",
                                                         OfferingType="Partial Upfront", MaxDuration=31536000, Filters=[{"Name": "scope", "Values": ["Region"]}])["ReservedInstancesOfferings"]
    quote = ec2.get_reserved_instances_exchange_quote(ReservedInstanceIds=[cri], TargetConfigurations=[{"OfferingId": bigger["ReservedInstancesOfferingId"], "InstanceCount": 1}])
    assert quote["IsValidExchange"] is True, quote.get("ValidationFailureReason")
    assert float(quote["TargetConfigurationValueRollup"]["RemainingTotalValue"]) >= float(quote["ReservedInstanceValueRollup"]["RemainingTotalValue"])
    assert float(quote["PaymentDue"]) == pytest.approx(float(bigger["FixedPrice"]) - float(quote["ReservedInstanceValueRollup"]["RemainingUpfrontValue"]), abs=0.02)
    exchange = ec2.accept_reserved_instances_exchange_quote(ReservedInstanceIds=[cri], TargetConfigurations=[{"OfferingId": bigger["ReservedInstancesOfferingId"], "InstanceCount": 1}])
    assert exchange["ExchangeId"].startswith("riex-")
    assert ec2.describe_reserved_instances(ReservedInstancesIds=[cri])["ReservedInstances"][0]["State"] == "retired"


def test_reserved_instances_with_the_aws_cli(srv):
    out = srv.cli_json("--profile", "stratus", "ec2", "describe-reserved-instances-offerings", "--instance-type", "t3.micro", "--offering-class", "convertible",
                       "--offering-type", "No Upfront", "--product-description", "Linux/UNIX", "--instance-tenancy", "default",
                       "--filters", "Name=scope,Values=Region", "--max-duration", "31536000")
    [offer] = out["ReservedInstancesOfferings"]
    assert offer["OfferingClass"] == "convertible" and offer["InstanceType"] == "t3.micro"


# ---------------------------------------------------------------- attribute resets

def test_reset_instance_and_interface_attributes(srv, ec2, image):
    iid = _launch(ec2, image)
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
    with pytest.raises(ClientError) as e:
        ec2.reset_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck", DryRun=True)
    assert error_of(e)[0] == "DryRunOperation"
    ec2.reset_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is True
    eni = _instance(ec2, iid)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is True

    # kernel and ramdisk only on a stopped instance; other attributes cannot be reset.
    with pytest.raises(ClientError) as e:
        ec2.reset_instance_attribute(InstanceId=iid, Attribute="kernel")
    assert error_of(e)[0] == "IncorrectInstanceState"
    with pytest.raises(ClientError) as e:
        ec2.reset_instance_attribute(InstanceId=iid, Attribute="instanceType")
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.reset_instance_attribute(InstanceId="i-0123456789abcdef0", Attribute="sourceDestCheck")
    assert error_of(e)[0] == "InvalidInstanceID.NotFound"
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig={"Delay": 0.5, "MaxAttempts": 60})
    srv.cli("--profile", "stratus", "ec2", "reset-instance-attribute", "--instance-id", iid, "--attribute", "kernel", check=True)
    assert not ec2.describe_instance_attribute(InstanceId=iid, Attribute="kernel")["KernelId"].get("Value")

    # A separate interface, through the aws CLI.
    subnet = _instance(ec2, iid)["SubnetId"]
    other = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=other, SourceDestCheck={"Value": False})
    srv.cli("--profile", "stratus", "ec2", "reset-network-interface-attribute", "--network-interface-id", other, "--source-dest-check", "true", check=True)
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=other, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is True
    with pytest.raises(ClientError) as e:
        ec2.reset_network_interface_attribute(NetworkInterfaceId=other)
    assert error_of(e)[0] == "MissingParameter"
    with pytest.raises(ClientError) as e:
        ec2.reset_network_interface_attribute(NetworkInterfaceId="eni-0123456789abcdef0", SourceDestCheck="true")
    assert error_of(e)[0] == "InvalidNetworkInterfaceID.NotFound"
    ec2.delete_network_interface(NetworkInterfaceId=other)
    ec2.terminate_instances(InstanceIds=[iid])
