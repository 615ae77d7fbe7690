"""AWS/EC2 metrics read from a real guest (container runtime, no agent in the guest).

A guest whose user data starts a busy loop (one thread: at most half of a t3.micro's two vCPUs,
less on a loaded host; an idle guest stays under 1%) shows a raised CPUUtilization for its InstanceId
(detailed monitoring: 1-minute data), read from its cgroup; its network counters are published
too. The server samples every second. Needs root, crun and the minimal image; anything missing
FAILS the test.
"""

from __future__ import annotations

import datetime as dt
import time

import boto3
import pytest
from botocore.config import Config

from conftest import GUESTS_GROUP
from guests import GuestLab, guest_server

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

BUSY = """#!/bin/sh
( while :; do :; done ) &
"""


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "cw-guests", "--metrics-interval-seconds", "1", "--alarm-evaluation-seconds", "1") as server:
        yield server


def test_a_busy_guest_raises_cpu_utilization(srv):
    ec2 = srv.ec2()
    cw = boto3.session.Session().client("cloudwatch", region_name="us-east-1", endpoint_url=srv.endpoint,
                                        aws_access_key_id=srv.credentials.access_key, aws_secret_access_key=srv.credentials.secret_key,
                                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    instance = GuestLab(srv, ec2=ec2).launch(user_data=BUSY, wait_ssh=False, Monitoring={"Enabled": True})["InstanceId"]
    cw.put_metric_alarm(AlarmName="busy", Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": instance}],
                        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    deadline = time.time() + 60
    peak = None
    while time.time() < deadline:
        t = dt.datetime.now(dt.timezone.utc)
        points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": instance}],
                                          StartTime=t - dt.timedelta(minutes=5), EndTime=t + dt.timedelta(minutes=1), Period=60,
                                          Statistics=["Maximum"])["Datapoints"]
        peak = max((p["Maximum"] for p in points), default=None)
        if peak is not None and peak > 10:
            break
        time.sleep(1)
    assert peak is not None and peak > 10, f"CPUUtilization of the busy guest stayed at {peak}"
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
