"""AWS/EC2 metrics read from a real guest (container runtime, no agent in the guest).

A guest whose user data starts a busy loop (one thread: at most half of a t3.micro's two vCPUs,
less on a loaded host) shows a raised CPUUtilization for its InstanceId (detailed monitoring: 1-minute
data), read from its cgroup, against an idle guest (under 1%) over the same minute; its network
counters are published too. A guest that stops answering (its user data drops its interface's
addresses on a cue) fails its instance status check; Lab 5's status-check alarm, put with the aws
CLI as the lab writes it, goes to ALARM and its ec2:reboot action reboots the guest, which answers
again. The server samples every second. Needs root, crun and the minimal image; anything missing FAILS the test.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import pytest
from botocore.config import Config

from conftest import GUESTS_GROUP, wait_until
from guests import BOOT_TIMEOUT, GuestLab, guest_server

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

BUSY = """#!/bin/sh
( while :; do :; done ) &
"""


# Waits for a cue, then drops the primary interface's addresses: the guest no longer answers on its
# network (at the next boot its init finds eth0 unconfigured and asks DHCP, as an instance does).
HANG = """#!/bin/sh
( while [ ! -e /tmp/hang ]; do sleep 1; done; ip addr flush dev eth0 ) </dev/null >/dev/null 2>&1 &
"""


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "cw-guests", "--metrics-interval-seconds", "1", "--alarm-evaluation-seconds", "1") as server:
        yield server


def test_a_busy_guest_raises_cpu_utilization(srv):
    """The busy guest against an idle one launched beside it, over the same whole minute (both booted
    by then): the busy loop gets at most half the guest's two vCPUs, less when the host is shared
    (9.3 % with four guest modules at once on a 2-core host), and an idle guest stays under 1 %; so the
    busy guest's 1-minute Average must exceed both 2 % and three times the idle guest's, and stay
    within the 50 % one thread can use. The CPU alarm's threshold is half of what the busy guest got."""
    ec2 = srv.ec2()
    cw = boto3.session.Session().client("cloudwatch", region_name="us-east-1", endpoint_url=srv.endpoint,
                                        aws_access_key_id=srv.credentials.access_key, aws_secret_access_key=srv.credentials.secret_key,
                                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    guests = GuestLab(srv, ec2=ec2)
    instance = guests.run_instances(UserData=BUSY, Monitoring={"Enabled": True})[0]
    idle = guests.run_instances(Monitoring={"Enabled": True})[0]
    guests.wait_running(instance, idle)
    # The first whole minute that starts at least 5 s after both run.
    minute = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=65)).replace(second=0, microsecond=0)

    def average(instance_id):
        """The instance's CPUUtilization Average over `minute`, once it holds 10 samples."""
        points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
                                          StartTime=minute, EndTime=minute + dt.timedelta(minutes=1), Period=60,
                                          Statistics=["Average", "SampleCount"])["Datapoints"]
        return points[0]["Average"] if points and points[0]["SampleCount"] >= 10 else None

    wait_until(lambda: average(instance) is not None and average(idle) is not None, 150, "10 samples of both guests in one minute")
    busy_cpu, idle_cpu = average(instance), average(idle)
    print(f"CPUUtilization over {minute:%H:%M}: busy guest {busy_cpu:.2f} %, idle guest {idle_cpu:.2f} %")
    assert busy_cpu > max(2.0, 3 * idle_cpu) and busy_cpu <= 55, \
        f"CPUUtilization of the busy guest {busy_cpu} against the idle guest's {idle_cpu}"
    cw.put_metric_alarm(AlarmName="busy", Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": instance}],
                        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=round(busy_cpu / 2, 2),
                        ComparisonOperator="GreaterThanThreshold")
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/EC2", Dimensions=[{"Name": "InstanceId", "Value": instance}])["Metrics"]}
    assert {"CPUUtilization", "NetworkIn", "NetworkOut", "NetworkPacketsIn", "NetworkPacketsOut", "StatusCheckFailed"} <= names
    # Detailed monitoring also publishes the InstanceType aggregate.
    assert cw.list_metrics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceType", "Value": "t3.micro"}])["Metrics"]
    deadline = time.time() + 20
    while time.time() < deadline:
        if cw.describe_alarms(AlarmNames=["busy"])["MetricAlarms"][0]["StateValue"] == "ALARM":
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the CPU alarm of the busy guest did not go to ALARM")
    guests.terminate(idle)


def test_the_status_check_alarm_reboots_a_guest_that_stops_answering(srv, tmp_path):
    ec2, cw = srv.ec2(), srv.client("cloudwatch")
    lab = GuestLab(srv, tmp_path, key_name="hang-key", ec2=ec2)
    sg = lab.ssh_group("hang-ssh")
    inst = lab.launch(user_data=HANG, SecurityGroupIds=[sg])
    iid, ip = inst["InstanceId"], inst["PublicIpAddress"]
    lab.run(inst, "touch /tmp/booted-once")

    # Seed Lab 5's status check alarm, with the aws CLI as the lab writes it.
    srv.cli("--profile", "stratus", "cloudwatch", "put-metric-alarm",
            "--alarm-name", f"status-check-failed-{iid}", "--alarm-description", "Alert when status checks fail",
            "--metric-name", "StatusCheckFailed", "--namespace", "AWS/EC2", "--statistic", "Maximum", "--period", "60",
            "--evaluation-periods", "2", "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold",
            "--dimensions", f"Name=InstanceId,Value={iid}",
            "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:critical-alerts", "arn:aws:automate:us-east-1:ec2:reboot", check=True)
    name = f"status-check-failed-{iid}"

    def state():
        return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]

    # A healthy guest: the alarm evaluates real status-check data (0) and is OK.
    wait_until(lambda: state()["StateValue"] == "OK", 30, "the status check alarm OK on a healthy guest")
    assert state()["StateReason"].startswith("Threshold Crossed: "), state()

    def instance_status():
        statuses = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"]
        return statuses[0]["InstanceStatus"]["Status"] if statuses else None

    # The guest stops answering: its instance status check fails, then the alarm reboots it.
    lab.ssh(inst, "touch /tmp/hang")
    wait_until(lambda: instance_status() == "impaired", 30, "the instance status check failed")
    assert lab.ssh(inst, "true", timeout=15).returncode != 0, "the guest still answers SSH"
    wait_until(lambda: state()["StateValue"] == "ALARM", 150, "the status check alarm in ALARM")
    assert json.loads(state()["StateReasonData"])["recentDatapoints"] == [1.0, 1.0], state()
    actions = wait_until(lambda: [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
                                  if "ec2:reboot" in h["HistorySummary"]] or None, 30, "the reboot action in the alarm history")
    assert actions == ["Successfully executed action arn:aws:automate:us-east-1:ec2:reboot"], actions

    # Rebooted: running throughout, answering again at the same address, /tmp fresh, status ok.
    lab.wait_ssh(ip, timeout=BOOT_TIMEOUT)
    assert lab.run(ip, "test -e /tmp/booted-once && echo same || echo rebooted").strip() == "rebooted"
    assert lab.describe(iid)["State"]["Name"] == "running"
    wait_until(lambda: instance_status() == "ok", 60, "the instance status check passing after the reboot")
    wait_until(lambda: state()["StateValue"] == "OK", 150, "the status check alarm back to OK")
