"""Seed Lab 3 step 4 on real instances (container runtime): a target-tracking policy on
ASGAverageCPUUtilization, put with the aws CLI as the seed does, owns its alarm pair; busy loops
started over SSH in the group's instance raise the group's AWS/EC2 CPUUtilization (read from the
guests' cgroups, no agent), the high alarm goes to ALARM and the group scales out with real
instances; the loops killed over SSH, the low alarm goes to ALARM and the group scales in. The
alarm history shows the policy actions, the scaling activities quote the alarms. Then step 4's
step scaling policy (PercentChangeInCapacity) and its put-metric-alarm on the group's
CPUUtilization, both with the aws CLI: loops started again, the alarm fires the policy and the
group scales out once more.

The server runs with short intervals (metrics sampled and alarms evaluated every second) and
`--target-tracking-alarm-minutes 1,1`, the operator setting that shortens the alarms' 3 and 15
minutes of AWS so the loop answers within a minute. The target value is half the CPU the busy
guest shows on this host instead of the seed's 50 % (two cores shared by the whole CI host: a
guest's busy loops may get a small share of them; an idle guest stays far below).

Needs root, crun and the minimal image; anything missing FAILS.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from conftest import GUESTS_GROUP, default_vpc, wait_until
from guests import BOOT_TIMEOUT, GuestLab, guest_server

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

# Four busy loops, detached from the SSH session (a session of their own: busybox builds may lack
# nohup); their PIDs in /tmp/busy.
BURN = "for n in 1 2 3 4; do setsid sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $! >> /tmp/busy; done"
# Idempotent: an attempt cut off by the SSH timeout on a starved guest may have killed them already.
STOP = "if [ -f /tmp/busy ]; then kill $(cat /tmp/busy) 2>/dev/null; rm -f /tmp/busy; fi"


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "asg-cpu", "--metrics-interval-seconds", "1", "--alarm-evaluation-seconds", "1",
                      "--target-tracking-alarm-minutes", "1,1") as server:
        yield server


def test_cpu_load_scales_the_group_out_and_in(srv, tmp_path_factory):
    ec2, asg, cw = srv.ec2(), srv.client("autoscaling"), srv.client("cloudwatch")
    vpc = default_vpc(ec2)["VpcId"]
    subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])[:2]
    lab = GuestLab(srv, tmp_path_factory.mktemp("asg-cpu-keys"), key_name="cpu-key", ec2=ec2)
    sg = lab.ssh_group("cpu-web", description="ssh", vpc_id=vpc)
    ec2.create_launch_template(LaunchTemplateName="cpu-lt", LaunchTemplateData={
        "ImageId": lab.ami, "InstanceType": "t3.micro", "SecurityGroupIds": [sg], "KeyName": "cpu-key"})
    asg.create_auto_scaling_group(AutoScalingGroupName="cpu-asg", LaunchTemplate={"LaunchTemplateName": "cpu-lt", "Version": "$Latest"},
                                  MinSize=1, MaxSize=3, DesiredCapacity=1, DefaultCooldown=0, DefaultInstanceWarmup=0,
                                  VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets))

    def in_service():
        instances = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["cpu-asg"])["AutoScalingGroups"][0]["Instances"]
        return [i["InstanceId"] for i in instances if i["LifecycleState"] == "InService"]

    first = wait_until(lambda: in_service() or None, BOOT_TIMEOUT, "the first instance InService")[0]
    ip = ec2.describe_instances(InstanceIds=[first])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
    lab.wait_ssh(ip)
    burn = lab.ssh(ip, BURN)
    assert burn.returncode == 0, burn.stderr

    # The target: half the minute average the busy guest reaches on this host so far (CI hosts are
    # shared; an idle guest stays far below it).
    def group_cpu():
        t = dt.datetime.now(dt.timezone.utc)
        points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "AutoScalingGroupName", "Value": "cpu-asg"}],
                                          StartTime=t - dt.timedelta(minutes=2), EndTime=t + dt.timedelta(minutes=1), Period=60, Statistics=["Average"])["Datapoints"]
        peak = max((p["Average"] for p in points), default=0.0)
        return peak if peak > 0.2 else None
    time.sleep(10)
    busy_cpu = wait_until(group_cpu, 60, "the busy guest's CPUUtilization")
    target = round(max(0.1, busy_cpu / 2), 2)

    started = time.monotonic()
    out = srv.cli_json("--profile", "stratus", "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "cpu-asg",
                       "--policy-name", "cpu-target-tracking", "--policy-type", "TargetTrackingScaling", "--target-tracking-configuration",
                       json.dumps({"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": target}))
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    high, low = names  # "...-AlarmHigh-..." sorts before "...-AlarmLow-..."
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    assert (alarms[high]["EvaluationPeriods"], alarms[low]["EvaluationPeriods"], alarms[high]["Period"]) == (1, 1, 60)

    # Scale out: the high alarm acts, and the new instances are real and running.
    wait_until(lambda: cw.describe_alarms(AlarmNames=[high])["MetricAlarms"][0]["StateValue"] == "ALARM", 60, "the high alarm in ALARM")
    wait_until(lambda: len(in_service()) >= 2, BOOT_TIMEOUT, "the group scaled out")
    scaled_out = time.monotonic() - started
    members = in_service()
    states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=members)["Reservations"] for i in r["Instances"]}
    assert set(states.values()) == {"running"}, states
    activities = asg.describe_scaling_activities(AutoScalingGroupName="cpu-asg")["Activities"]
    assert any(f"a monitor alarm {high} in state ALARM triggered policy cpu-target-tracking" in a["Cause"] for a in activities), [a["Cause"] for a in activities]

    # The new instances get busy too (else the group's average falls under the low alarm's
    # threshold at once, as new instances without load would drive it down on EC2).
    def address(instance_id):
        return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
    busy = {first: ip}
    for member in set(members) - {first}:
        busy[member] = address(member)
        lab.wait_ssh(busy[member])
        assert lab.ssh(busy[member], BURN).returncode == 0

    # Scale in: the load removed, the low alarm acts (at most one in ten instances, at least one, at a time).
    peak = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["cpu-asg"])["AutoScalingGroups"][0]["DesiredCapacity"]
    assert peak >= 2
    for member, member_ip in busy.items():
        for _ in range(6):  # a guest busy on a loaded host answers SSH slowly
            stop = lab.ssh(member_ip, STOP, timeout=60)
            if stop.returncode == 0:
                break
        assert stop.returncode == 0, (member, stop.stderr)
    stopped = time.monotonic()
    wait_until(lambda: cw.describe_alarms(AlarmNames=[low])["MetricAlarms"][0]["StateValue"] == "ALARM", 90, "the low alarm in ALARM")
    wait_until(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["cpu-asg"])["AutoScalingGroups"][0]["DesiredCapacity"] < peak, 75,
               "the group scaled in")
    scaled_in = time.monotonic() - stopped
    activities = asg.describe_scaling_activities(AutoScalingGroupName="cpu-asg")["Activities"]
    assert any(f"a monitor alarm {low} in state ALARM triggered policy cpu-target-tracking" in a["Cause"] for a in activities)
    wait_until(lambda: any(a["Description"].startswith("Terminating EC2 instance") and a["StatusCode"] == "Successful"
                           for a in asg.describe_scaling_activities(AutoScalingGroupName="cpu-asg")["Activities"]), 60, "an instance terminated by the scale-in")
    history = cw.describe_alarm_history(AlarmName=high, HistoryItemType="Action")["AlarmHistoryItems"]
    assert any("cpu-target-tracking" in h["HistorySummary"] for h in history), history
    print(f"target {target} % (busy guest {busy_cpu:.1f} %): scale-out {scaled_out:.0f} s after the load started, scale-in {scaled_in:.0f} s after it stopped")

    # Step 4's step scaling policy and its put-metric-alarm, with the aws CLI as the seed writes them
    # (the threshold the target above instead of 70 %), in place of the target-tracking policy.
    asg.delete_policy(AutoScalingGroupName="cpu-asg", PolicyName="cpu-target-tracking")
    assert cw.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    p = srv.cli("--profile", "stratus", "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "cpu-asg",
                "--policy-name", "scale-out-policy", "--policy-type", "StepScaling", "--adjustment-type", "PercentChangeInCapacity",
                "--metric-aggregation-type", "Average", "--step-adjustments",
                json.dumps([{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 10},
                            {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 30}]),
                "--query", "PolicyARN", "--output", "text", check=True)
    scale_out_policy = p.stdout.strip()
    assert scale_out_policy.startswith("arn:aws:autoscaling:") and ":scalingPolicy:" in scale_out_policy, p.stdout
    srv.cli("--profile", "stratus", "cloudwatch", "put-metric-alarm", "--alarm-name", "myapp-high-cpu", "--alarm-description", "Scale out when CPU > 70%",
            "--metric-name", "CPUUtilization", "--namespace", "AWS/EC2", "--statistic", "Average", "--period", "60", "--evaluation-periods", "2",
            "--threshold", str(target), "--comparison-operator", "GreaterThanThreshold", "--dimensions", "Name=AutoScalingGroupName,Value=cpu-asg",
            "--alarm-actions", scale_out_policy, check=True)
    wait_until(lambda: cw.describe_alarms(AlarmNames=["myapp-high-cpu"])["MetricAlarms"][0]["StateValue"] == "OK", 150, "the step alarm OK without load")
    before = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["cpu-asg"])["AutoScalingGroups"][0]["DesiredCapacity"]
    assert before < 3
    loaded = {m: address(m) for m in in_service()}
    for member, member_ip in loaded.items():
        lab.wait_ssh(member_ip)
        assert lab.ssh(member_ip, BURN).returncode == 0, member
    wait_until(lambda: cw.describe_alarms(AlarmNames=["myapp-high-cpu"])["MetricAlarms"][0]["StateValue"] == "ALARM", 180, "the step alarm in ALARM")
    wait_until(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["cpu-asg"])["AutoScalingGroups"][0]["DesiredCapacity"] > before, 60,
               "the step policy scaled the group out")
    activities = asg.describe_scaling_activities(AutoScalingGroupName="cpu-asg")["Activities"]
    assert any("a monitor alarm myapp-high-cpu in state ALARM triggered policy scale-out-policy" in a["Cause"] for a in activities), \
        [a["Cause"] for a in activities]
    history = srv.cli_json("--profile", "stratus", "cloudwatch", "describe-alarm-history", "--alarm-name", "myapp-high-cpu",
                           "--history-item-type", "Action")["AlarmHistoryItems"]
    assert any("scale-out-policy" in h["HistorySummary"] for h in history), history
    for member_ip in loaded.values():
        lab.ssh(member_ip, STOP, timeout=60)

    asg.delete_auto_scaling_group(AutoScalingGroupName="cpu-asg", ForceDelete=True)
    wait_until(lambda: not asg.describe_auto_scaling_groups(AutoScalingGroupNames=["cpu-asg"])["AutoScalingGroups"], 60, "group deleted")
