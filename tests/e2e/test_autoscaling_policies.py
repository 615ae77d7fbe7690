"""Auto Scaling scaling policies and scheduled actions with real clients (boto3 and the aws CLI)
on the server shared with test_autoscaling.py (mock runtime with a short boot; alarms evaluated every second):
policy CRUD with AWS's validation, ExecutePolicy with cooldowns, a step policy run by a CloudWatch
alarm (the alarm history shows the action), target-tracking policies that own their alarm pair,
and scheduled actions that fire.

The CPU-driven loop on real guests (seed Lab 3 step 4 with busy loops) needs the container
runtime and is not part of this module.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of, minimal_ami, wait_until

@pytest.fixture(scope="module")
def server(autoscaling_server):
    return autoscaling_server


@pytest.fixture(scope="module")
def env(server):
    class Env:
        pass
    e = Env()
    e.srv, e.ec2 = server, server.ec2()
    e.asg, e.cw = server.client("autoscaling"), server.client("cloudwatch")
    vpc = default_vpc(e.ec2)["VpcId"]
    subnets = sorted(e.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    e.subnets = ",".join(s["SubnetId"] for s in subnets[:2])
    lt = e.ec2.create_launch_template(LaunchTemplateName="policies-web",
                                      LaunchTemplateData={"ImageId": minimal_ami(e.ec2), "InstanceType": "t3.micro"})["LaunchTemplate"]
    e.lt = lt["LaunchTemplateId"]
    return e


def _group(env, name: str, desired: int = 1, min_size: int = 1, max_size: int = 6, cooldown: int = 300):
    env.asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=min_size, MaxSize=max_size, DesiredCapacity=desired,
                                      DefaultCooldown=cooldown, VPCZoneIdentifier=env.subnets,
                                      LaunchTemplate={"LaunchTemplateId": env.lt, "Version": "$Latest"})
    return name


def _settled(env, name: str, n: int):
    """Waits for the group's instances to be launched and InService (so the causes of later changes are not mixed with its creation's)."""
    def check():
        instances = env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
        return len(instances) == n and all(i["LifecycleState"] == "InService" for i in instances)
    wait_until(check, 20, f"{name}: {n} instances InService")


def _desired(env, name: str) -> int:
    return env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["DesiredCapacity"]


def test_policy_crud_and_validation(env):
    g = _group(env, "pol-crud")
    simple = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="add-one", AdjustmentType="ChangeInCapacity",
                                        ScalingAdjustment=1, Cooldown=60)
    arn = simple["PolicyARN"]
    assert arn.startswith("arn:aws:autoscaling:us-east-1:") and f":scalingPolicy:" in arn
    assert arn.endswith(f":autoScalingGroupName/{g}:policyName/add-one")
    assert simple["Alarms"] == []
    # Putting the same name again updates it in place: same ARN.
    again = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="add-one", AdjustmentType="ChangeInCapacity", ScalingAdjustment=2)
    assert again["PolicyARN"] == arn
    env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="step-out", PolicyType="StepScaling", AdjustmentType="PercentChangeInCapacity",
                               MetricAggregationType="Average", MinAdjustmentMagnitude=1, EstimatedInstanceWarmup=60,
                               StepAdjustments=[{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 10},
                                                {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 30}])
    env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="predictive", PolicyType="PredictiveScaling",
                               PredictiveScalingConfiguration={"MetricSpecifications": [{"TargetValue": 50.0,
                                   "PredefinedMetricPairSpecification": {"PredefinedMetricType": "ASGCPUUtilization"}}], "Mode": "ForecastOnly"})

    policies = env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["add-one", "predictive", "step-out"]
    add_one = policies[0]
    assert add_one["PolicyType"] == "SimpleScaling" and add_one["ScalingAdjustment"] == 2 and add_one["Enabled"] is True
    step = policies[2]
    assert step["StepAdjustments"][1] == {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 30}
    assert step["MetricAggregationType"] == "Average" and step["MinAdjustmentMagnitude"] == 1
    assert policies[1]["PredictiveScalingConfiguration"]["Mode"] == "ForecastOnly"
    assert [p["PolicyName"] for p in env.asg.describe_policies(AutoScalingGroupName=g, PolicyTypes=["StepScaling"])["ScalingPolicies"]] == ["step-out"]
    assert [p["PolicyName"] for p in env.asg.describe_policies(PolicyNames=[arn])["ScalingPolicies"]] == ["add-one"]
    # Pagination: one per page, then the paginator joins the pages.
    first = env.asg.describe_policies(AutoScalingGroupName=g, MaxRecords=1)
    assert len(first["ScalingPolicies"]) == 1 and first["NextToken"]
    pages = env.asg.get_paginator("describe_policies").paginate(AutoScalingGroupName=g, PaginationConfig={"PageSize": 1})
    assert [p["PolicyName"] for page in pages for p in page["ScalingPolicies"]] == ["add-one", "predictive", "step-out"]

    forecast = env.asg.get_predictive_scaling_forecast(AutoScalingGroupName=g, PolicyName="predictive",
                                                       StartTime=dt.datetime.now(dt.timezone.utc), EndTime=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3))
    assert len(forecast["CapacityForecast"]["Values"]) in (3, 4) and forecast["CapacityForecast"]["Values"][0] == 1.0
    assert forecast["LoadForecast"][0]["Values"][0] == 50.0

    def code(**kw):
        with pytest.raises(ClientError) as e:
            env.asg.put_scaling_policy(**kw)
        return error_of(e)
    assert code(AutoScalingGroupName=g, PolicyName="x", AdjustmentType="ChangeInCapacity")[:2] == \
        ("ValidationError", "Scaling increment must be specified for a SimpleScaling policy")
    assert code(AutoScalingGroupName=g, PolicyName="x", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
                StepAdjustments=[{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                                 {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}])[0] == "ValidationError"
    assert code(AutoScalingGroupName=g, PolicyName="x", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity", Cooldown=30,
                StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}])[0] == "ValidationError"
    assert code(AutoScalingGroupName=g, PolicyName="x", AdjustmentType="ChangeInCapacity", ScalingAdjustment=1, MinAdjustmentMagnitude=2)[0] == "ValidationError"
    assert code(AutoScalingGroupName=g, PolicyName="x", PolicyType="TargetTrackingScaling",
                TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget"}, "TargetValue": 10})[0] == "ValidationError"
    c, m, _ = code(AutoScalingGroupName="no-such-group", PolicyName="x", AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)
    assert c == "ValidationError" and "no-such-group" in m
    assert [p["PolicyName"] for p in env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"]] == ["add-one", "predictive", "step-out"]

    env.asg.delete_policy(AutoScalingGroupName=g, PolicyName="add-one")
    env.asg.delete_policy(PolicyName=[p for p in policies if p["PolicyName"] == "step-out"][0]["PolicyARN"])
    with pytest.raises(ClientError) as e:
        env.asg.delete_policy(AutoScalingGroupName=g, PolicyName="add-one")
    assert error_of(e)[0] == "ValidationError"
    assert [p["PolicyName"] for p in env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"]] == ["predictive"]


def test_cli_round_trip(env):
    g = _group(env, "pol-cli")
    out = env.srv.cli_json("--profile", "stratus", "autoscaling", "put-scaling-policy", "--auto-scaling-group-name", g, "--policy-name", "scale-out-policy",
                           "--policy-type", "StepScaling", "--adjustment-type", "PercentChangeInCapacity", "--metric-aggregation-type", "Average",
                           "--step-adjustments", json.dumps([{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 10},
                                                             {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 30}]))
    assert ":policyName/scale-out-policy" in out["PolicyARN"]
    described = env.srv.cli_json("--profile", "stratus", "autoscaling", "describe-policies", "--auto-scaling-group-name", g)["ScalingPolicies"]
    assert [p["PolicyName"] for p in described] == ["scale-out-policy"]
    env.srv.cli("--profile", "stratus", "autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", g, "--scheduled-action-name", "scale-up-morning",
                "--recurrence", "0 8 * * 1-5", "--time-zone", "America/New_York", "--min-size", "1", "--desired-capacity", "2", check=True)
    actions = env.srv.cli_json("--profile", "stratus", "autoscaling", "describe-scheduled-actions", "--auto-scaling-group-name", g)["ScheduledUpdateGroupActions"]
    assert len(actions) == 1 and actions[0]["Recurrence"] == "0 8 * * 1-5" and actions[0]["TimeZone"] == "America/New_York"
    assert actions[0]["StartTime"]  # the next occurrence
    env.srv.cli("--profile", "stratus", "autoscaling", "delete-scheduled-action", "--auto-scaling-group-name", g, "--scheduled-action-name", "scale-up-morning", check=True)
    env.srv.cli("--profile", "stratus", "autoscaling", "delete-policy", "--auto-scaling-group-name", g, "--policy-name", "scale-out-policy", check=True)
    assert env.srv.cli_json("--profile", "stratus", "autoscaling", "describe-policies", "--auto-scaling-group-name", g)["ScalingPolicies"] == []


def test_execute_policy_cooldown_and_activity(env):
    g = _group(env, "pol-exec", cooldown=300)
    _settled(env, g, 1)
    env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="add-one", AdjustmentType="ChangeInCapacity", ScalingAdjustment=1, Cooldown=120)
    env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="add-one")
    assert _desired(env, g) == 2
    # The policy's cooldown has not passed: HonorCooldown refuses.
    with pytest.raises(ClientError) as e:
        env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="add-one", HonorCooldown=True)
    assert error_of(e)[0] == "ScalingActivityInProgress"
    assert _desired(env, g) == 2
    env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="add-one", HonorCooldown=False)
    assert _desired(env, g) == 3

    def launched():
        acts = env.asg.describe_scaling_activities(AutoScalingGroupName=g)["Activities"]
        return [a for a in acts if "a user request executed policy add-one" in a["Cause"]]
    acts = wait_until(launched, 20, "an activity caused by the policy")
    assert acts[0]["Description"].startswith("Launching a new EC2 instance")

    env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="steps", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
                               StepAdjustments=[{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                                                {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}])
    with pytest.raises(ClientError) as e:
        env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="steps")
    assert error_of(e)[0] == "ValidationError"
    env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="steps", MetricValue=95, BreachThreshold=70)
    assert _desired(env, g) == 5
    env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="exact", AdjustmentType="ExactCapacity", ScalingAdjustment=50)
    env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="exact")
    assert _desired(env, g) == 6  # the group's maximum


def test_step_policy_run_by_an_alarm(env):
    g = _group(env, "pol-alarm", max_size=10)
    _settled(env, g, 1)
    arn = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="scale-out", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
                                     StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}])["PolicyARN"]
    # As the seed: an alarm on the group's average CPU whose action is the policy.
    env.cw.put_metric_alarm(AlarmName="myapp-high-cpu", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average", Period=60,
                            EvaluationPeriods=2, Threshold=70, ComparisonOperator="GreaterThanThreshold",
                            Dimensions=[{"Name": "AutoScalingGroupName", "Value": g}], AlarmActions=[arn])
    described = env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"][0]
    assert [a["AlarmName"] for a in described["Alarms"]] == ["myapp-high-cpu"]
    env.cw.set_alarm_state(AlarmName="myapp-high-cpu", StateValue="ALARM", StateReason="load test")
    wait_until(lambda: _desired(env, g) == 3, 15, "the alarm's policy adds two instances")

    def action_item():
        items = env.cw.describe_alarm_history(AlarmName="myapp-high-cpu", HistoryItemType="Action")["AlarmHistoryItems"]
        return items
    items = wait_until(action_item, 10, "an Action history item")
    assert items[0]["HistorySummary"] == f"Successfully executed action {arn}"
    data = json.loads(items[0]["HistoryData"])
    assert data["actionState"] == "Succeeded" and "triggered policy scale-out changing the desired capacity from 1 to 3" in data["publishedMessage"]

    def caused():
        acts = env.asg.describe_scaling_activities(AutoScalingGroupName=g)["Activities"]
        return [a for a in acts if "a monitor alarm myapp-high-cpu in state ALARM triggered policy scale-out" in a["Cause"]]
    wait_until(caused, 20, "activities quoting the alarm")


def test_target_tracking_owns_its_alarms(env):
    g = _group(env, "pol-tt", max_size=10)
    out = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="cpu50", PolicyType="TargetTrackingScaling",
                                     TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                                                  "TargetValue": 50.0})
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    assert len(names) == 2
    assert names[0].startswith(f"TargetTracking-{g}-AlarmHigh-") and names[1].startswith(f"TargetTracking-{g}-AlarmLow-")
    alarms = {a["AlarmName"]: a for a in env.cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high, low = alarms[names[0]], alarms[names[1]]
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == ("AWS/EC2", "CPUUtilization", "Average")
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": g}]
    assert (high["Period"], high["EvaluationPeriods"], high["Threshold"], high["ComparisonOperator"]) == (60, 3, 50.0, "GreaterThanThreshold")
    assert (low["EvaluationPeriods"], low["Threshold"], low["ComparisonOperator"]) == (15, 45.0, "LessThanThreshold")
    assert high["AlarmActions"] == [out["PolicyARN"]] and high["AlarmDescription"].startswith("DO NOT EDIT OR DELETE")
    with pytest.raises(ClientError) as e:
        env.asg.execute_policy(AutoScalingGroupName=g, PolicyName="cpu50")
    assert error_of(e)[0] == "ValidationError"

    # The high alarm scales out.
    env.cw.set_alarm_state(AlarmName=names[0], StateValue="ALARM", StateReason="test")
    wait_until(lambda: _desired(env, g) >= 2, 15, "the target-tracking policy scales out")

    # DisableScaleIn drops the low alarm; deleting the policy deletes the rest.
    out2 = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="cpu50", PolicyType="TargetTrackingScaling",
                                      TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                                                   "TargetValue": 60.0, "DisableScaleIn": True})
    assert [a["AlarmName"] for a in out2["Alarms"]] == [names[0]]
    assert [a["AlarmName"] for a in env.cw.describe_alarms(AlarmNames=names)["MetricAlarms"]] == [names[0]]
    assert env.cw.describe_alarms(AlarmNames=[names[0]])["MetricAlarms"][0]["Threshold"] == 60.0
    env.asg.delete_policy(AutoScalingGroupName=g, PolicyName="cpu50")
    assert env.cw.describe_alarms(AlarmNames=names)["MetricAlarms"] == []

    # A customized metric in its metric math form.
    out3 = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="queue", PolicyType="TargetTrackingScaling",
                                      TargetTrackingConfiguration={"TargetValue": 100.0, "CustomizedMetricSpecification": {"Metrics": [
                                          {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Backlog"}, "Stat": "Sum"}, "ReturnData": False},
                                          {"Id": "e1", "Expression": "m1 / 2", "ReturnData": True}]}})
    high3 = env.cw.describe_alarms(AlarmNames=[a["AlarmName"] for a in out3["Alarms"]])["MetricAlarms"]
    assert len(high3) == 2 and all(len(a["Metrics"]) == 2 for a in high3)


def test_scheduled_actions_fire(env):
    g = _group(env, "sched", desired=1, max_size=4)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)
    env.asg.put_scheduled_update_group_action(AutoScalingGroupName=g, ScheduledActionName="burst", StartTime=soon, MinSize=2, DesiredCapacity=3)
    listed = env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"]
    assert [a["ScheduledActionName"] for a in listed] == ["burst"]
    assert ":scheduledUpdateGroupAction:" in listed[0]["ScheduledActionARN"]

    def fired():
        group = env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g])["AutoScalingGroups"][0]
        return group if group["DesiredCapacity"] == 3 and group["MinSize"] == 2 else None
    wait_until(fired, 15, "the scheduled action sets min 2, desired 3")
    # A one-time action is gone once it ran.
    assert env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"] == []

    def caused():
        return [a for a in env.asg.describe_scaling_activities(AutoScalingGroupName=g)["Activities"] if "a scheduled action update" in a["Cause"]]
    wait_until(caused, 20, "activities quoting the scheduled action")

    # Batch put with one bad entry; the good ones are kept; batch delete reports the unknown name.
    result = env.asg.batch_put_scheduled_update_group_action(AutoScalingGroupName=g, ScheduledUpdateGroupActions=[
        {"ScheduledActionName": "nightly", "Recurrence": "0 2 * * *", "TimeZone": "Europe/Berlin", "DesiredCapacity": 1},
        {"ScheduledActionName": "bad-cron", "Recurrence": "61 * * * *", "DesiredCapacity": 1},
        {"ScheduledActionName": "bad-zone", "Recurrence": "0 1 * * *", "TimeZone": "Mars/Olympus", "DesiredCapacity": 1},
    ])
    assert sorted(f["ScheduledActionName"] for f in result["FailedScheduledUpdateGroupActions"]) == ["bad-cron", "bad-zone"]
    nightly = env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"]
    assert [a["ScheduledActionName"] for a in nightly] == ["nightly"]
    start = nightly[0]["StartTime"].astimezone(dt.timezone.utc)
    assert start.minute == 0 and start.hour in (0, 1)  # 02:00 in Berlin is 00:00 or 01:00 UTC
    with pytest.raises(ClientError) as e:
        env.asg.put_scheduled_update_group_action(AutoScalingGroupName=g, ScheduledActionName="past",
                                                  StartTime=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1), DesiredCapacity=1)
    assert error_of(e)[:2] == ("ValidationError", "Given start time is in the past")
    deleted = env.asg.batch_delete_scheduled_action(AutoScalingGroupName=g, ScheduledActionNames=["nightly", "nope"])
    assert [f["ScheduledActionName"] for f in deleted["FailedScheduledActions"]] == ["nope"]
    assert env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"] == []


def test_schedule_survives_a_restart(env):
    """The schedule is in the store: an action due while the server restarts fires after it."""
    g = _group(env, "sched-restart", desired=1, max_size=4)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    env.asg.put_scheduled_update_group_action(AutoScalingGroupName=g, ScheduledActionName="once", StartTime=soon, DesiredCapacity=2)
    env.srv.restart()
    env.asg = env.srv.client("autoscaling")
    env.cw = env.srv.client("cloudwatch")
    wait_until(lambda: _desired(env, g) == 2, 20, "the action fires after the restart")
    assert env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"] == []


def test_group_metrics_after_enable_metrics_collection(env):
    g = _group(env, "pol-metrics", desired=2, min_size=1, max_size=5)
    env.asg.enable_metrics_collection(AutoScalingGroupName=g, Granularity="1Minute")

    def datapoints():
        now = dt.datetime.now(dt.timezone.utc)
        out = env.cw.get_metric_statistics(Namespace="AWS/AutoScaling", MetricName="GroupDesiredCapacity",
                                           Dimensions=[{"Name": "AutoScalingGroupName", "Value": g}],
                                           StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1), Period=60, Statistics=["Maximum"])
        return out["Datapoints"]
    points = wait_until(datapoints, 15, "GroupDesiredCapacity datapoints")
    assert points[0]["Maximum"] == 2.0
    names = {m["MetricName"] for m in env.cw.list_metrics(Namespace="AWS/AutoScaling", Dimensions=[{"Name": "AutoScalingGroupName", "Value": g}])["Metrics"]}
    assert {"GroupMinSize", "GroupMaxSize", "GroupInServiceInstances", "GroupTotalInstances"} <= names


def _owned(env, g: str) -> tuple[list[str], list[str]]:
    """Puts a target-tracking policy, a simple policy and a recurring scheduled action on the group; answers (alarm names, policy names)."""
    out = env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="net", PolicyType="TargetTrackingScaling",
                                     TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageNetworkIn"},
                                                                  "TargetValue": 1000.0})
    env.asg.put_scaling_policy(AutoScalingGroupName=g, PolicyName="add-one", AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)
    env.asg.put_scheduled_update_group_action(AutoScalingGroupName=g, ScheduledActionName="nightly", Recurrence="0 2 * * *", DesiredCapacity=0)
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    assert len(names) == 2 and all(n.startswith(f"TargetTracking-{g}-Alarm") for n in names)
    assert env.cw.describe_alarms(AlarmNames=names)["MetricAlarms"][0]["MetricName"] == "NetworkIn"
    assert [a["ScheduledActionName"] for a in env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"]] == ["nightly"]
    return names, ["add-one", "net"]


def _gone(env, g: str, alarms: list[str]) -> bool:
    return (not env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"]
            and not [a for a in env.asg.describe_scheduled_actions()["ScheduledUpdateGroupActions"] if a["AutoScalingGroupName"] == g]
            and not env.cw.describe_alarms(AlarmNames=alarms)["MetricAlarms"]
            and not env.cw.describe_alarms(AlarmNamePrefix=f"TargetTracking-{g}-")["MetricAlarms"])


def test_deleting_the_group_deletes_its_policies_actions_and_alarms(env):
    # An empty group goes at once: its policies, scheduled actions and the target-tracking alarms go with it.
    g = _group(env, "pol-gone", desired=0, min_size=0)
    alarms, policies = _owned(env, g)
    assert sorted(p["PolicyName"] for p in env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"]) == policies
    env.asg.delete_auto_scaling_group(AutoScalingGroupName=g)
    assert not env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g])["AutoScalingGroups"]
    assert _gone(env, g, alarms), "deleted with the group, not later"

    # A group with instances (ForceDelete) goes once its instances are gone, and takes the same with it.
    g = _group(env, "pol-gone-force", desired=1, min_size=1)
    _settled(env, g, 1)
    alarms, _ = _owned(env, g)
    env.asg.delete_auto_scaling_group(AutoScalingGroupName=g, ForceDelete=True)

    def deleted():
        return not env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g])["AutoScalingGroups"]
    wait_until(deleted, 20, "the group is deleted")
    wait_until(lambda: _gone(env, g, alarms), 5, "policies, scheduled actions and alarms deleted with the group")
    # A new group of the same name starts with none of them.
    _group(env, g, desired=0, min_size=0)
    assert env.asg.describe_policies(AutoScalingGroupName=g)["ScalingPolicies"] == []
    assert env.asg.describe_scheduled_actions(AutoScalingGroupName=g)["ScheduledUpdateGroupActions"] == []
    env.asg.delete_auto_scaling_group(AutoScalingGroupName=g)
