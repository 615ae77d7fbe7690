"""AWS/EBS per-volume metrics, CPU credit metrics of burstable instances, and /_stratus/reset of
CloudWatch data — against the mock runtime (no guests: every volume's I/O reads 0, CPU use is 0).

- Every volume attached to a running instance gets the AWS/EBS metrics of its type with the
  VolumeId dimension: BurstBalance for gp2 (a full bucket: 100 %), VolumeThroughputPercentage and
  VolumeConsumedReadWriteOps for io1, in 5-minute slots (1-minute for io1).
- A t3.micro gets CPUCreditUsage, CPUCreditBalance, CPUSurplusCreditBalance and
  CPUSurplusCreditsCharged; an m5.large (not burstable) none.
- /_stratus/reset deletes the caller account's metrics, alarms, alarm history and dashboards and
  leaves other accounts' alone.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import ServerFactory, http_send, minimal_ami, sigv4_sign

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
FAST_ARGS = ["--alarm-evaluation-seconds", "1", "--metrics-interval-seconds", "1", "--mock-boot-seconds", "0.2"]
EBS_METRICS = {"VolumeReadBytes", "VolumeWriteBytes", "VolumeReadOps", "VolumeWriteOps", "VolumeTotalReadTime", "VolumeTotalWriteTime",
               "VolumeIdleTime", "VolumeQueueLength"}
CREDIT_METRICS = {"CPUCreditUsage", "CPUCreditBalance", "CPUSurplusCreditBalance", "CPUSurplusCreditsCharged"}


@pytest.fixture(scope="module")
def server(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("cw-service-metrics")))
    try:
        yield factory(extra_args=FAST_ARGS)
    finally:
        factory.close()


def _cw(server, access_key=None, secret_key=None):
    return boto3.session.Session().client("cloudwatch", region_name="us-east-1", endpoint_url=server.endpoint, config=NO_RETRY,
                                          aws_access_key_id=access_key or server.credentials.access_key,
                                          aws_secret_access_key=secret_key or server.credentials.secret_key)


def _names(cw, namespace, name, value):
    return {m["MetricName"] for m in cw.list_metrics(Namespace=namespace, Dimensions=[{"Name": name, "Value": value}])["Metrics"]}


def _wait_names(cw, namespace, name, value, wanted, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        names = _names(cw, namespace, name, value)
        if wanted <= names or time.monotonic() > deadline:
            return names
        time.sleep(0.5)


def test_attached_volumes_publish_ebs_metrics(server):
    ec2, cw = server.ec2(), _cw(server)
    instance = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    iid = instance["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    root = next(m["Ebs"]["VolumeId"] for m in described["BlockDeviceMappings"] if m["DeviceName"] == described["RootDeviceName"])
    root_type = ec2.describe_volumes(VolumeIds=[root])["Volumes"][0]["VolumeType"]
    io1 = ec2.create_volume(AvailabilityZone=described["Placement"]["AvailabilityZone"], Size=10, VolumeType="io1", Iops=500)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[io1], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.attach_volume(VolumeId=io1, InstanceId=iid, Device="/dev/sdf")
    detached = ec2.create_volume(AvailabilityZone=described["Placement"]["AvailabilityZone"], Size=1, VolumeType="gp2")["VolumeId"]

    wanted_root = EBS_METRICS | ({"BurstBalance"} if root_type in ("gp2", "st1", "sc1") else set())
    names = _wait_names(cw, "AWS/EBS", "VolumeId", root, wanted_root)
    assert wanted_root <= names, f"missing {wanted_root - names}"
    assert "VolumeThroughputPercentage" not in names
    names = _wait_names(cw, "AWS/EBS", "VolumeId", io1, EBS_METRICS | {"VolumeThroughputPercentage", "VolumeConsumedReadWriteOps"})
    assert EBS_METRICS | {"VolumeThroughputPercentage", "VolumeConsumedReadWriteOps"} <= names
    assert "BurstBalance" not in names
    assert _names(cw, "AWS/EBS", "VolumeId", detached) == set()  # nothing for a volume no running instance holds

    t = dt.datetime.now(dt.timezone.utc)
    ops = cw.get_metric_statistics(Namespace="AWS/EBS", MetricName="VolumeReadOps", Dimensions=[{"Name": "VolumeId", "Value": io1}],
                                   StartTime=t - dt.timedelta(minutes=10), EndTime=t + dt.timedelta(minutes=1), Period=60,
                                   Statistics=["Sum"])["Datapoints"]
    assert ops and all(p["Sum"] == 0 for p in ops)  # the mock does no I/O
    # io1 metrics come in 1-minute slots, the others in 5-minute slots.
    idle = cw.get_metric_data(MetricDataQueries=[
        {"Id": "io1", "MetricStat": {"Metric": {"Namespace": "AWS/EBS", "MetricName": "VolumeIdleTime", "Dimensions": [{"Name": "VolumeId", "Value": io1}]},
                                     "Period": 60, "Stat": "SampleCount"}},
        {"Id": "root", "MetricStat": {"Metric": {"Namespace": "AWS/EBS", "MetricName": "VolumeIdleTime", "Dimensions": [{"Name": "VolumeId", "Value": root}]},
                                      "Period": 60, "Stat": "SampleCount"}}],
        StartTime=t - dt.timedelta(minutes=10), EndTime=t + dt.timedelta(minutes=1))["MetricDataResults"]
    stamps = {r["Id"]: r["Timestamps"] for r in idle}
    assert stamps["root"] and all(s.minute % 5 == 0 for s in stamps["root"])
    if root_type in ("gp2", "st1", "sc1"):
        burst = cw.get_metric_statistics(Namespace="AWS/EBS", MetricName="BurstBalance", Dimensions=[{"Name": "VolumeId", "Value": root}],
                                         StartTime=t - dt.timedelta(minutes=10), EndTime=t + dt.timedelta(minutes=1), Period=300,
                                         Statistics=["Minimum"])["Datapoints"]
        assert burst and all(p["Minimum"] == 100 for p in burst)


def test_burstable_instances_publish_cpu_credit_metrics(server):
    ec2, cw = server.ec2(), _cw(server)
    burstable = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                  CreditSpecification={"CpuCredits": "standard"})["Instances"][0]["InstanceId"]
    fixed = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="m5.large", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[burstable, fixed], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    names = _wait_names(cw, "AWS/EC2", "InstanceId", burstable, CREDIT_METRICS)
    assert CREDIT_METRICS <= names, f"missing {CREDIT_METRICS - names}"
    assert not (CREDIT_METRICS & _names(cw, "AWS/EC2", "InstanceId", fixed))
    time.sleep(2)
    t = dt.datetime.now(dt.timezone.utc)
    dims = [{"Name": "InstanceId", "Value": burstable}]
    balance = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUCreditBalance", Dimensions=dims, StartTime=t - dt.timedelta(minutes=10),
                                       EndTime=t + dt.timedelta(minutes=1), Period=300, Statistics=["Maximum"])["Datapoints"]
    # An idle t3.micro earns 12 credits an hour: a little above 0 after seconds, far below the 288 cap.
    assert balance and 0 < max(p["Maximum"] for p in balance) < 1
    surplus = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUSurplusCreditBalance", Dimensions=dims,
                                       StartTime=t - dt.timedelta(minutes=10), EndTime=t + dt.timedelta(minutes=1), Period=300,
                                       Statistics=["Maximum"])["Datapoints"]
    assert surplus and max(p["Maximum"] for p in surplus) == 0


def _reset(server, key, secret):
    url, headers = sigv4_sign("POST", server.endpoint + "/_stratus/reset", b"", {}, Credentials(key, secret), "monitoring", "us-east-1",
                              dt.datetime.now(dt.timezone.utc))
    r = http_send("POST", url, b"", headers)
    assert r.status == 200, r


def test_account_reset_deletes_the_accounts_cloudwatch_data(server):
    acct = server.create_account("cw-reset")
    mine, other = _cw(server, acct["AccessKeyId"], acct["SecretAccessKey"]), _cw(server)
    for cw in (mine, other):
        cw.put_metric_data(Namespace="Reset/Test", MetricData=[{"MetricName": "m", "Value": 1.0}])
        cw.put_metric_alarm(AlarmName="reset-alarm", Namespace="Reset/Test", MetricName="m", Statistic="Average", Period=60,
                            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")
        cw.put_dashboard(DashboardName="reset-board", DashboardBody=json.dumps({"widgets": []}))
        cw.tag_resource(ResourceARN=cw.describe_alarms(AlarmNames=["reset-alarm"])["MetricAlarms"][0]["AlarmArn"], Tags=[{"Key": "k", "Value": "v"}])

    _reset(server, acct["AccessKeyId"], acct["SecretAccessKey"])

    assert mine.list_metrics(Namespace="Reset/Test")["Metrics"] == []
    assert mine.describe_alarms()["MetricAlarms"] == []
    assert mine.describe_alarm_history(AlarmName="reset-alarm")["AlarmHistoryItems"] == []
    assert mine.list_dashboards()["DashboardEntries"] == []
    t = dt.datetime.now(dt.timezone.utc)
    assert mine.get_metric_statistics(Namespace="Reset/Test", MetricName="m", StartTime=t - dt.timedelta(minutes=5), EndTime=t + dt.timedelta(minutes=1),
                                      Period=60, Statistics=["Sum"])["Datapoints"] == []
    # The same names can be used again at once.
    mine.put_metric_data(Namespace="Reset/Test", MetricData=[{"MetricName": "m", "Value": 2.0}])
    assert [m["MetricName"] for m in mine.list_metrics(Namespace="Reset/Test")["Metrics"]] == ["m"]
    # Another account keeps everything.
    assert [m["MetricName"] for m in other.list_metrics(Namespace="Reset/Test")["Metrics"]] == ["m"]
    alarm = other.describe_alarms(AlarmNames=["reset-alarm"])["MetricAlarms"]
    assert alarm and other.list_tags_for_resource(ResourceARN=alarm[0]["AlarmArn"])["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [d["DashboardName"] for d in other.list_dashboards()["DashboardEntries"]] == ["reset-board"]
