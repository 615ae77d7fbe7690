"""Auto Scaling beyond the basics, with boto3 on the mock runtime (short boot, short Spot notices):
warm pools (instances warmed into the pool through lifecycle hooks, stopped there, taken first on
scale-out, returned on scale-in with ReuseOnScaleIn, paging, DeleteWarmPool), mixed instances
policies that launch their Spot share as Spot Instances, attribute-based instance type selection
(InstanceRequirements, the same matcher as EC2's GetInstanceTypesFromInstanceRequirements),
capacity rebalancing on a Spot rebalance recommendation, AZRebalance, warm pool PoolState changes
that convert the instances already warmed, and instance refreshes (checkpoints; a desired launch
template or mixed instances policy; CloudWatch alarms that fail the refresh or roll it back with
AutoRollback; RollbackInstanceRefresh; protected and Standby instances; SkipMatching; replacements
that launch first with MaxHealthyPercentage above 100; BakeTime; the desired configuration
becoming the group's only when the refresh succeeds).
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ServerFactory, default_vpc, error_of, minimal_ami, wait_until

NOTICE_SECONDS = 6


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("asg-extras")))
    try:
        yield factory(name="stratus-asg-extras", extra_args=["--mock-boot-seconds", "0.2", "--spot-notice-seconds", str(NOTICE_SECONDS),
                                                             "--spot-evaluation-seconds", "0.3"])
    finally:
        factory.close()


@pytest.fixture(scope="module")
def env(srv):
    class Env:
        pass
    e = Env()
    e.srv, e.ec2, e.asg = srv, srv.ec2(), srv.client("autoscaling")
    vpc = default_vpc(e.ec2)["VpcId"]
    subnets = sorted(e.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    e.subnets = [s["SubnetId"] for s in subnets[:3]]
    e.zones = [s["AvailabilityZone"] for s in subnets[:3]]
    e.ami = minimal_ami(e.ec2)
    e.lt = e.ec2.create_launch_template(LaunchTemplateName="extras", LaunchTemplateData={"ImageId": e.ami, "InstanceType": "t3.micro"})["LaunchTemplate"]
    return e


def _name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _create(env, name, desired, subnets=None, **kw):
    args = dict(AutoScalingGroupName=name, MinSize=kw.pop("MinSize", 0), MaxSize=kw.pop("MaxSize", 6), DesiredCapacity=desired,
                VPCZoneIdentifier=",".join(subnets or env.subnets))
    if "MixedInstancesPolicy" not in kw:
        args["LaunchTemplate"] = {"LaunchTemplateId": env.lt["LaunchTemplateId"], "Version": "$Latest"}
    args.update(kw)
    env.asg.create_auto_scaling_group(**args)


def _group(env, name):
    return env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def _in_service(env, name, n, timeout=20.0):
    def check():
        instances = _group(env, name)["Instances"]
        return instances if len(instances) == n and all(i["LifecycleState"] == "InService" for i in instances) else None
    return wait_until(check, timeout, f"{name}: {n} instances InService")


def _pool(env, name, **kw):
    return env.asg.describe_warm_pool(AutoScalingGroupName=name, **kw)


def _pool_states(env, name):
    return sorted(i["LifecycleState"] for i in _pool(env, name)["Instances"])


def _activities(env, name):
    return env.asg.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]


def _ec2_instances(env, ids):
    return {i["InstanceId"]: i for r in env.ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]}


def _delete(env, name):
    env.asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    wait_until(lambda: not env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"], 30, f"{name} deleted")


# ------------------------------------------------------------------------------ warm pools


def test_warm_pool_fills_stops_serves_scale_out_and_takes_instances_back(env):
    name = _name("warm")
    _create(env, name, 1, MaxSize=4)
    _in_service(env, name, 1)
    # No warm pool yet: no configuration, no instances.
    empty = _pool(env, name)
    assert empty.get("WarmPoolConfiguration") is None and empty["Instances"] == []

    env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=1)
    # MaxGroupPreparedCapacity defaults to the group's MaxSize: 4 - 1 desired = 3 warmed instances, stopped.
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Stopped"] * 3, 20, "three instances Warmed:Stopped")
    answer = _pool(env, name)
    assert answer["WarmPoolConfiguration"]["MinSize"] == 1 and answer["WarmPoolConfiguration"]["PoolState"] == "Stopped"
    assert answer["WarmPoolConfiguration"]["InstanceReusePolicy"] == {"ReuseOnScaleIn": False}
    warm_ids = sorted(i["InstanceId"] for i in answer["Instances"])
    assert {i["State"]["Name"] for i in _ec2_instances(env, warm_ids).values()} == {"stopped"}
    group = _group(env, name)
    assert len(group["Instances"]) == 1 and group["WarmPoolSize"] == 3 and group["WarmPoolConfiguration"]["MinSize"] == 1
    into = [a for a in _activities(env, name) if a["Description"].startswith("Launching a new EC2 instance into warm pool: ")]
    assert len(into) == 3 and all(a["StatusCode"] == "Successful" for a in into)
    assert "warm pool" in into[0]["Cause"]

    # Paging: MaxRecords and NextToken.
    first = _pool(env, name, MaxRecords=2)
    assert len(first["Instances"]) == 2 and first["NextToken"]
    second = _pool(env, name, MaxRecords=2, NextToken=first["NextToken"])
    assert len(second["Instances"]) == 1 and "NextToken" not in second
    assert sorted(i["InstanceId"] for i in first["Instances"] + second["Instances"]) == warm_ids
    with pytest.raises(ClientError) as e:
        _pool(env, name, MaxRecords=51)
    assert error_of(e)[0] == "ValidationError"

    # Scale out takes warmed instances first: started, Pending, InService.
    env.asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=3)
    in_service = _in_service(env, name, 3)
    taken = sorted(set(i["InstanceId"] for i in in_service) & set(warm_ids))
    assert len(taken) == 2, (in_service, warm_ids)
    assert {i["State"]["Name"] for i in _ec2_instances(env, taken).values()} == {"running"}
    from_pool = [a for a in _activities(env, name) if a["Description"].startswith("Launching a new EC2 instance from warm pool: ")]
    assert sorted(a["Description"].rsplit(" ", 1)[1] for a in from_pool) == taken
    # The pool is refilled to max(MinSize, 4 - 3) = 1: the one left.
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Stopped"], 20, "pool of one")

    # ReuseOnScaleIn: scale-in returns instances to the pool instead of terminating them.
    env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=1, InstanceReusePolicy={"ReuseOnScaleIn": True})
    env.asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    _in_service(env, name, 1)
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Stopped"] * 3, 20, "two instances back in the pool")
    pooled = {i["InstanceId"] for i in _pool(env, name)["Instances"]}
    assert len(pooled & set(taken)) >= 1
    assert any(a["Description"].startswith("Moving EC2 instance to warm pool: ") for a in _activities(env, name))

    # DeleteWarmPool: PendingDelete until its instances are terminated, then gone.
    env.asg.delete_warm_pool(AutoScalingGroupName=name)
    wait_until(lambda: _pool(env, name).get("WarmPoolConfiguration") is None, 20, "warm pool deleted")
    assert {i["State"]["Name"] for i in _ec2_instances(env, sorted(pooled)).values()} <= {"shutting-down", "terminated"}
    assert len(_group(env, name)["Instances"]) == 1
    with pytest.raises(ClientError) as e:
        env.asg.delete_warm_pool(AutoScalingGroupName=name)
    assert error_of(e)[0] == "ValidationError"
    _delete(env, name)


def test_warm_pool_launch_hook_holds_in_warmed_pending_wait_and_again_on_scale_out(env):
    name = _name("warmhook")
    _create(env, name, 0, MaxSize=2)
    env.asg.put_lifecycle_hook(AutoScalingGroupName=name, LifecycleHookName="init", LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
                               HeartbeatTimeout=60, DefaultResult="ABANDON")
    env.asg.put_warm_pool(AutoScalingGroupName=name, MaxGroupPreparedCapacity=1, PoolState="Running")
    assert _pool(env, name)["WarmPoolConfiguration"]["MaxGroupPreparedCapacity"] == 1
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Pending:Wait"], 20, "held in Warmed:Pending:Wait")
    iid = _pool(env, name)["Instances"][0]["InstanceId"]
    env.asg.complete_lifecycle_action(AutoScalingGroupName=name, LifecycleHookName="init", InstanceId=iid, LifecycleActionResult="CONTINUE")
    # PoolState Running: the instance stays running in the pool.
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Running"], 20, "Warmed:Running")
    assert _ec2_instances(env, [iid])[iid]["State"]["Name"] == "running"

    env.asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    # Into the group, the launch hook holds it again at Pending:Wait.
    wait_until(lambda: [(i["InstanceId"], i["LifecycleState"]) for i in _group(env, name)["Instances"]] == [(iid, "Pending:Wait")], 20, "Pending:Wait")
    env.asg.complete_lifecycle_action(AutoScalingGroupName=name, LifecycleHookName="init", InstanceId=iid, LifecycleActionResult="CONTINUE")
    assert [i["InstanceId"] for i in _in_service(env, name, 1)] == [iid]

    # ForceDelete empties the pool without waiting for lifecycle actions.
    env.asg.delete_warm_pool(AutoScalingGroupName=name, ForceDelete=True)
    wait_until(lambda: _pool(env, name).get("WarmPoolConfiguration") is None, 20, "warm pool force-deleted")
    _delete(env, name)


def test_warm_pool_errors(env):
    with pytest.raises(ClientError) as e:
        env.asg.put_warm_pool(AutoScalingGroupName="no-such-group", MinSize=1)
    assert error_of(e)[0] == "ValidationError"
    name = _name("warmerr")
    _create(env, name, 0, MixedInstancesPolicy={
        "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": env.lt["LaunchTemplateId"]},
                           "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3.small"}]}})
    with pytest.raises(ClientError) as e:
        env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=1)
    code, message, _ = error_of(e)
    assert code == "ValidationError" and "mixed instances policy" in message
    plain = _name("warmerr")
    _create(env, plain, 0, MaxSize=3)
    # (negative sizes below the model's minimums never leave botocore: it validates them itself)
    for bad in ({"MaxGroupPreparedCapacity": 1, "MinSize": 2},
                {"MaxGroupPreparedCapacity": 4}, {"PoolState": "Frozen"}):
        with pytest.raises(ClientError) as e:
            env.asg.put_warm_pool(AutoScalingGroupName=plain, **bad)
        assert error_of(e)[0] == "ValidationError", bad
    _delete(env, name)
    _delete(env, plain)


# ------------------------------------------------------------------------------ mixed instances


def test_mixed_instances_policy_launches_its_spot_share_as_spot_instances(env):
    name = _name("mixed")
    _create(env, name, 5, MaxSize=8, MixedInstancesPolicy={
        "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": env.lt["LaunchTemplateId"]},
                           "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3.small"}, {"InstanceType": "t3a.micro"}]},
        "InstancesDistribution": {"OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 50,
                                  "SpotAllocationStrategy": "lowest-price", "SpotInstancePools": 2}})
    instances = _in_service(env, name, 5)
    described = _ec2_instances(env, [i["InstanceId"] for i in instances])
    spot = [i for i in described.values() if i.get("InstanceLifecycle") == "spot"]
    on_demand = [i for i in described.values() if i.get("InstanceLifecycle") != "spot"]
    # 1 base + ceil(50% of 4) = 3 On-Demand (prioritized: the first override), 2 Spot.
    assert len(on_demand) == 3 and {i["InstanceType"] for i in on_demand} == {"t3.micro"}
    assert len(spot) == 2 and all(i["SpotInstanceRequestId"].startswith("sir-") for i in spot)
    requests = env.ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[i["SpotInstanceRequestId"] for i in spot])["SpotInstanceRequests"]
    assert {r["State"] for r in requests} == {"active"}
    policy = _group(env, name)["MixedInstancesPolicy"]["InstancesDistribution"]
    assert policy["SpotAllocationStrategy"] == "lowest-price" and policy["SpotInstancePools"] == 2 and policy["OnDemandAllocationStrategy"] == "prioritized"
    _delete(env, name)


def test_instance_requirements_pick_types_the_ec2_matcher_answers(env):
    requirements = {"VCpuCount": {"Min": 2, "Max": 2}, "MemoryMiB": {"Min": 1024, "Max": 4096}, "AllowedInstanceTypes": ["t3*"]}
    matching = {t["InstanceType"] for t in env.ec2.get_instance_types_from_instance_requirements(
        ArchitectureTypes=["x86_64"], VirtualizationTypes=["hvm"], InstanceRequirements=requirements)["InstanceTypes"]}
    assert matching and all(t.startswith("t3") for t in matching)
    name = _name("abs")
    _create(env, name, 2, MixedInstancesPolicy={
        "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": env.lt["LaunchTemplateId"]},
                           "Overrides": [{"InstanceRequirements": requirements}]},
        "InstancesDistribution": {"OnDemandAllocationStrategy": "lowest-price"}})
    instances = _in_service(env, name, 2)
    assert {i["InstanceType"] for i in instances} <= matching
    described = _group(env, name)["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"][0]["InstanceRequirements"]
    assert described["VCpuCount"] == {"Min": 2, "Max": 2} and described["AllowedInstanceTypes"] == ["t3*"]
    with pytest.raises(ClientError) as e:
        _create(env, _name("abs"), 0, MixedInstancesPolicy={
            "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": env.lt["LaunchTemplateId"]},
                               "Overrides": [{"InstanceRequirements": {"VCpuCount": {"Min": 4096}, "MemoryMiB": {"Min": 0}}}]}})
    assert error_of(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        _create(env, _name("abs"), 0, MixedInstancesPolicy={
            "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": env.lt["LaunchTemplateId"]}, "Overrides": [{"InstanceType": "t3.micro"}]},
            "InstancesDistribution": {"SpotAllocationStrategy": "cheapest"}})
    assert error_of(e)[0] == "ValidationError"
    _delete(env, name)


def test_capacity_rebalance_replaces_a_spot_instance_on_its_rebalance_recommendation(env):
    name = _name("rebal")
    _create(env, name, 2, CapacityRebalance=True, MixedInstancesPolicy={
        "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": env.lt["LaunchTemplateId"]}, "Overrides": [{"InstanceType": "t3.micro"}]},
        "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": 0, "SpotAllocationStrategy": "capacity-optimized"}})
    before = [i["InstanceId"] for i in _in_service(env, name, 2)]
    victim = before[0]
    out = subprocess.run([env.srv.binary, "spot", "interrupt", victim, "--data-dir", env.srv.data_dir],
                         capture_output=True, text=True, timeout=60, env=env.srv.env())
    assert out.returncode == 0, out.stderr

    def replaced():
        instances = _group(env, name)["Instances"]
        ids = [i["InstanceId"] for i in instances]
        return ids if victim not in ids and len(ids) == 2 and all(i["LifecycleState"] == "InService" for i in instances) else None
    # The replacement is launched and in service before the interruption is due.
    wait_until(replaced, NOTICE_SECONDS + 10, "rebalanced")
    causes = [a["Cause"] for a in _activities(env, name) if a["Description"] == f"Terminating EC2 instance: {victim}"]
    assert causes and "rebalance recommendation" in causes[0]
    _delete(env, name)


# ------------------------------------------------------------------------------ AZRebalance and refresh checkpoints


def test_az_rebalance_launches_in_the_short_zone_then_terminates_in_the_long_one(env):
    name = _name("azr")
    two = env.subnets[:2]
    _create(env, name, 2, subnets=two)
    _in_service(env, name, 2)
    env.asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=["AZRebalance"])
    extra = [i["InstanceId"] for i in env.ec2.run_instances(ImageId=env.ami, InstanceType="t3.micro", MinCount=2, MaxCount=2, SubnetId=two[0])["Instances"]]
    wait_until(lambda: {i["State"]["Name"] for i in _ec2_instances(env, extra).values()} == {"running"}, 20, "extra instances running")
    env.asg.attach_instances(AutoScalingGroupName=name, InstanceIds=extra)
    _in_service(env, name, 4)

    def per_zone():
        zones = [i["AvailabilityZone"] for i in _group(env, name)["Instances"] if i["LifecycleState"] == "InService"]
        return sorted(zones.count(z) for z in env.zones[:2])
    assert per_zone() == [1, 3]
    env.asg.resume_processes(AutoScalingGroupName=name, ScalingProcesses=["AZRebalance"])
    wait_until(lambda: per_zone() == [2, 2] and len(_group(env, name)["Instances"]) == 4, 30, "zones balanced")
    rebalanced = [a for a in _activities(env, name) if "Availability Zone rebalancing" in a["Cause"]]
    assert rebalanced and rebalanced[0]["Description"].startswith("Terminating EC2 instance: ")
    _delete(env, name)


def test_instance_refresh_pauses_at_checkpoints(env):
    name = _name("ckpt")
    _create(env, name, 4)
    _in_service(env, name, 4)
    with pytest.raises(ClientError) as e:
        env.asg.start_instance_refresh(AutoScalingGroupName=name, Preferences={"CheckpointPercentages": [60, 40]})
    assert error_of(e)[0] == "ValidationError"
    rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, Preferences={
        "MinHealthyPercentage": 50, "CheckpointPercentages": [50, 100], "CheckpointDelay": 4})["InstanceRefreshId"]

    def refresh():
        return env.asg.describe_instance_refreshes(AutoScalingGroupName=name, InstanceRefreshIds=[rid])["InstanceRefreshes"][0]
    def at_checkpoint():
        r = refresh()
        return r if "Checkpoint 1 of 2" in (r.get("StatusReason") or "") else None

    def finished():
        r = refresh()
        return r if r["Status"] == "Successful" else None

    paused = wait_until(at_checkpoint, 30, "first checkpoint")
    assert paused["Status"] == "InProgress" and paused["PercentageComplete"] == 50
    assert paused["Preferences"]["CheckpointPercentages"] == [50, 100] and paused["Preferences"]["CheckpointDelay"] == 4
    done = wait_until(finished, 40, "refresh done")
    assert done["PercentageComplete"] == 100
    _delete(env, name)


def _refresh(env, name, rid):
    return env.asg.describe_instance_refreshes(AutoScalingGroupName=name, InstanceRefreshIds=[rid])["InstanceRefreshes"][0]


def _types(env, name):
    return sorted(i["InstanceType"] for i in _group(env, name)["Instances"] if i["LifecycleState"] == "InService")


@pytest.fixture(scope="module")
def versions(env):
    """The extras template's version 2 (t3.small) and an alarm guarding refreshes (missing data keeps its state)."""
    v2 = env.ec2.create_launch_template_version(LaunchTemplateId=env.lt["LaunchTemplateId"], SourceVersion="1",
                                                LaunchTemplateData={"InstanceType": "t3.small"})["LaunchTemplateVersion"]["VersionNumber"]
    cw = env.srv.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="refresh-guard", Namespace="App", MetricName="Errors", Statistic="Sum", Period=60, EvaluationPeriods=1,
                        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName="refresh-guard", StateValue="OK", StateReason="test")
    return str(v2), cw


def test_instance_refresh_alarm_rolls_back_with_auto_rollback(env, versions):
    v2, cw = versions
    name = _name("rollback")
    lt = env.lt["LaunchTemplateId"]
    _create(env, name, 2, LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"})
    _in_service(env, name, 2)
    desired = {"LaunchTemplate": {"LaunchTemplateId": lt, "Version": v2}}
    for prefs, config in [({"AutoRollback": True}, None),                                   # no desired configuration
                          ({"AlarmSpecification": {"Alarms": ["no-such-alarm"]}}, desired),
                          ({"ScaleInProtectedInstances": "Sometimes"}, desired)]:
        with pytest.raises(ClientError) as e:
            env.asg.start_instance_refresh(AutoScalingGroupName=name, Preferences=prefs, **({"DesiredConfiguration": config} if config else {}))
        assert error_of(e)[0] == "ValidationError", prefs
    rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, DesiredConfiguration=desired, Preferences={
        "MinHealthyPercentage": 50, "InstanceWarmup": 0, "CheckpointPercentages": [50, 100], "CheckpointDelay": 600,
        "AutoRollback": True, "AlarmSpecification": {"Alarms": ["refresh-guard"]}})["InstanceRefreshId"]
    paused = wait_until(lambda: (r := _refresh(env, name, rid)) and "Checkpoint 1 of 2" in (r.get("StatusReason") or "") and r, 30, "first checkpoint")
    assert paused["Preferences"]["AutoRollback"] is True and paused["Preferences"]["AlarmSpecification"] == {"Alarms": ["refresh-guard"]}
    assert paused["DesiredConfiguration"]["LaunchTemplate"]["Version"] == v2
    wait_until(lambda: _types(env, name) == ["t3.micro", "t3.small"], 30, "one instance replaced with the new version")

    cw.set_alarm_state(AlarmName="refresh-guard", StateValue="ALARM", StateReason="errors")
    try:
        rolled = wait_until(lambda: (r := _refresh(env, name, rid))["Status"] == "RollbackSuccessful" and r, 60, "rolled back")
    finally:
        cw.set_alarm_state(AlarmName="refresh-guard", StateValue="OK", StateReason="test")
    assert "refresh-guard" in rolled["RollbackDetails"]["RollbackReason"]
    assert rolled["RollbackDetails"]["PercentageCompleteOnRollback"] == 50
    assert _types(env, name) == ["t3.micro", "t3.micro"], "the replaced instance replaced again from the previous configuration"
    assert _group(env, name)["LaunchTemplate"]["Version"] == "1"

    # RollbackInstanceRefresh needs a refresh in progress, and one with a desired configuration.
    with pytest.raises(ClientError) as e:
        env.asg.rollback_instance_refresh(AutoScalingGroupName=name)
    assert error_of(e)[0] == "ActiveInstanceRefreshNotFound"
    plain = env.asg.start_instance_refresh(AutoScalingGroupName=name, Preferences={
        "MinHealthyPercentage": 50, "CheckpointPercentages": [50, 100], "CheckpointDelay": 600})["InstanceRefreshId"]
    with pytest.raises(ClientError) as e:
        env.asg.rollback_instance_refresh(AutoScalingGroupName=name)
    assert error_of(e)[0] == "IrreversibleInstanceRefresh"
    env.asg.cancel_instance_refresh(AutoScalingGroupName=name)
    assert _refresh(env, name, plain)["Status"] == "Cancelled"
    _delete(env, name)


def test_instance_refresh_alarm_fails_it_and_a_manual_rollback(env, versions):
    v2, cw = versions
    name = _name("refail")
    lt = env.lt["LaunchTemplateId"]
    _create(env, name, 2, LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"})
    _in_service(env, name, 2)
    desired = {"LaunchTemplate": {"LaunchTemplateId": lt, "Version": v2}}
    cw.set_alarm_state(AlarmName="refresh-guard", StateValue="ALARM", StateReason="errors")
    try:
        rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, DesiredConfiguration=desired,
                                             Preferences={"AlarmSpecification": {"Alarms": ["refresh-guard"]}})["InstanceRefreshId"]
        failed = wait_until(lambda: (r := _refresh(env, name, rid))["Status"] == "Failed" and r, 20, "refresh failed")
    finally:
        cw.set_alarm_state(AlarmName="refresh-guard", StateValue="OK", StateReason="test")
    assert "refresh-guard" in failed["StatusReason"] and "EndTime" in failed
    assert _group(env, name)["LaunchTemplate"]["Version"] == "1", "a failed refresh leaves the previous configuration"

    # A manual rollback at a checkpoint.
    rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, DesiredConfiguration=desired, Preferences={
        "MinHealthyPercentage": 50, "InstanceWarmup": 0, "CheckpointPercentages": [50, 100], "CheckpointDelay": 600})["InstanceRefreshId"]
    wait_until(lambda: _types(env, name) == ["t3.micro", "t3.small"], 30, "one instance replaced")
    assert env.asg.rollback_instance_refresh(AutoScalingGroupName=name)["InstanceRefreshId"] == rid
    rolled = wait_until(lambda: (r := _refresh(env, name, rid))["Status"] == "RollbackSuccessful" and r, 60, "rolled back")
    assert rolled["RollbackDetails"]["RollbackReason"] == "Rollback requested by the user."
    assert _types(env, name) == ["t3.micro", "t3.micro"]
    _delete(env, name)


def test_instance_refresh_to_a_mixed_instances_policy_with_protected_and_standby_instances(env, versions):
    name = _name("remixed")
    lt = env.lt["LaunchTemplateId"]
    _create(env, name, 3, LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"})
    ids = sorted(i["InstanceId"] for i in _in_service(env, name, 3))
    protected, standby = ids[0], ids[1]
    env.asg.set_instance_protection(AutoScalingGroupName=name, InstanceIds=[protected], ProtectedFromScaleIn=True)
    env.asg.enter_standby(AutoScalingGroupName=name, InstanceIds=[standby], ShouldDecrementDesiredCapacity=True)
    mixed = {"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "1"},
                                "Overrides": [{"InstanceType": "t3.small"}, {"InstanceType": "t3.medium"}]},
             "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": 100}}
    with pytest.raises(ClientError) as e:
        env.asg.start_instance_refresh(AutoScalingGroupName=name, DesiredConfiguration={
            "MixedInstancesPolicy": mixed, "LaunchTemplate": {"LaunchTemplateId": lt, "Version": "1"}})
    assert error_of(e)[0] == "ValidationError"
    # Protected instances ignored, Standby ones terminated; the third is replaced from the policy.
    rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, DesiredConfiguration={"MixedInstancesPolicy": mixed}, Preferences={
        "MinHealthyPercentage": 50, "InstanceWarmup": 0, "ScaleInProtectedInstances": "Ignore", "StandbyInstances": "Terminate",
        "SkipMatching": True})["InstanceRefreshId"]
    done = wait_until(lambda: (r := _refresh(env, name, rid))["Status"] == "Successful" and r, 60, "refresh successful")
    assert done["DesiredConfiguration"]["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"] == [{"InstanceType": "t3.small"}, {"InstanceType": "t3.medium"}]
    assert done["Preferences"]["ScaleInProtectedInstances"] == "Ignore" and done["Preferences"]["StandbyInstances"] == "Terminate"
    group = _group(env, name)
    assert group["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"][0]["InstanceType"] == "t3.small"
    members = {i["InstanceId"]: i["InstanceType"] for i in group["Instances"]}
    assert standby not in members and members[protected] == "t3.micro"
    assert sorted(members.values()) == ["t3.micro", "t3.small"]
    wait_until(lambda: _ec2_instances(env, [standby])[standby]["State"]["Name"] in ("shutting-down", "terminated"), 20, "the Standby instance terminated")

    # Wait: the refresh waits for the protected instance until its protection is removed.
    rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, Preferences={
        "MinHealthyPercentage": 50, "InstanceWarmup": 0, "ScaleInProtectedInstances": "Wait"})["InstanceRefreshId"]
    waiting = wait_until(lambda: (r := _refresh(env, name, rid)) and protected in (r.get("StatusReason") or "") and r, 30, "waiting for the protected instance")
    assert waiting["Status"] == "InProgress"
    env.asg.set_instance_protection(AutoScalingGroupName=name, InstanceIds=[protected], ProtectedFromScaleIn=False)
    wait_until(lambda: _refresh(env, name, rid)["Status"] == "Successful", 40, "refresh successful")
    assert protected not in {i["InstanceId"] for i in _group(env, name)["Instances"]}
    _delete(env, name)


def test_instance_refresh_launches_first_bakes_and_takes_the_desired_configuration_at_the_end(env, versions):
    """MaxHealthyPercentage 200 with MinHealthyPercentage 100: replacements launch before the
    instances they replace leave, so the group never has fewer than its desired capacity in
    service; BakeTime holds the refresh in Baking after the last replacement; the group shows its
    own launch template until the refresh succeeds and the desired one after (as AWS)."""
    v2, _ = versions
    name = _name("bake")
    lt = env.lt["LaunchTemplateId"]
    _create(env, name, 2, LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"}, MaxSize=4)
    old = {i["InstanceId"] for i in _in_service(env, name, 2)}
    rid = env.asg.start_instance_refresh(AutoScalingGroupName=name, DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": v2}},
                                         Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 0,
                                                      "BakeTime": 4})["InstanceRefreshId"]
    fewest_in_service, most_instances, statuses = 2, 2, []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        refresh = _refresh(env, name, rid)
        group = _group(env, name)
        if not statuses or statuses[-1] != refresh["Status"]:
            statuses.append(refresh["Status"])
        if refresh["Status"] == "Successful":
            break
        assert group["LaunchTemplate"]["Version"] == "1", f"the desired configuration shows while {refresh['Status']}"
        live = [i for i in group["Instances"] if not i["LifecycleState"].startswith("Terminating")]
        fewest_in_service = min(fewest_in_service, sum(i["LifecycleState"] == "InService" for i in live))
        most_instances = max(most_instances, len(live))
        time.sleep(0.2)
    assert statuses[-1] == "Successful", statuses
    assert "Baking" in statuses and statuses.index("Baking") > statuses.index("InProgress"), statuses
    assert fewest_in_service >= 2, "an instance left before its replacement was in service"
    assert most_instances == 4, "both replacements launched first"
    done = _refresh(env, name, rid)
    assert done["Preferences"]["BakeTime"] == 4 and done["Preferences"]["MaxHealthyPercentage"] == 200
    assert (done["EndTime"] - done["StartTime"]).total_seconds() >= 4
    group = _group(env, name)
    assert group["LaunchTemplate"]["Version"] == v2, "the desired configuration is the group's once the refresh succeeded"
    assert not old & {i["InstanceId"] for i in group["Instances"]}
    assert _types(env, name) == ["t3.small", "t3.small"]
    with pytest.raises(ClientError) as e:
        env.asg.start_instance_refresh(AutoScalingGroupName=name, Preferences={"MinHealthyPercentage": 50, "MaxHealthyPercentage": 160})
    assert error_of(e)[0] == "ValidationError"
    _delete(env, name)


def test_warm_pool_state_change_converts_warmed_instances(env):
    name = _name("wstate")
    _create(env, name, 0, MaxSize=2)
    env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=2)
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Stopped"] * 2, 20, "two instances Warmed:Stopped")
    ids = sorted(i["InstanceId"] for i in _pool(env, name)["Instances"])

    env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=2, PoolState="Running")
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Running"] * 2, 20, "the warmed instances started")
    assert {i["State"]["Name"] for i in _ec2_instances(env, ids).values()} == {"running"}
    assert sorted(i["InstanceId"] for i in _pool(env, name)["Instances"]) == ids, "converted, not replaced"

    env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=2, PoolState="Hibernated")
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Hibernated"] * 2, 20, "the warmed instances stopped again")
    assert {i["State"]["Name"] for i in _ec2_instances(env, ids).values()} == {"stopped"}
    env.asg.put_warm_pool(AutoScalingGroupName=name, MinSize=2, PoolState="Stopped")
    wait_until(lambda: _pool_states(env, name) == ["Warmed:Stopped"] * 2, 20, "relabelled Warmed:Stopped")
    _delete(env, name)
