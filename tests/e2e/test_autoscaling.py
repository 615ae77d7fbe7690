"""Amazon EC2 Auto Scaling: the API with AWS's semantics and a kill -9 during a scale-out on the
server shared with test_autoscaling_policies.py (mock runtime with a short boot), and seed Lab 3 on
real instances (container runtime: an ALB across three zones in front of a group whose instances
serve their id and /health).

The real-instance part needs root, crun and the minimal image; anything missing FAILS.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, default_vpc, error_of, minimal_ami, tags_dict, wait_until

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)


@pytest.fixture(scope="module")
def server(autoscaling_server):
    return autoscaling_server


def _group(asg, name: str) -> dict:
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    assert len(groups) == 1, groups
    return groups[0]


def _in_service(asg, name: str, n: int, timeout: float = 30) -> list[dict]:
    def check():
        instances = _group(asg, name)["Instances"]
        return instances if len(instances) == n and all(i["LifecycleState"] == "InService" for i in instances) else None
    return wait_until(check, timeout, f"{name}: {n} instances InService")


def _live_tagged(ec2, name: str) -> list[str]:
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": [name]},
                                                   {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    return sorted(i["InstanceId"] for r in reservations for i in r["Instances"])


@pytest.fixture(scope="module")
def env(server):
    class Env:
        pass
    e = Env()
    e.srv, e.ec2, e.asg, e.elb = server, server.ec2(), server.client("autoscaling"), server.client("elbv2")
    e.vpc = default_vpc(e.ec2)["VpcId"]
    subnets = sorted(e.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [e.vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    e.subnets = [s["SubnetId"] for s in subnets[:3]]
    e.zones = [s["AvailabilityZone"] for s in subnets[:3]]
    e.ami = minimal_ami(e.ec2)
    e.lt = e.ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"ImageId": e.ami, "InstanceType": "t3.micro"})["LaunchTemplate"]
    return e


def _create(env, name: str, desired: int, **kw):
    args = dict(AutoScalingGroupName=name, MinSize=kw.pop("MinSize", 0), MaxSize=kw.pop("MaxSize", 6), DesiredCapacity=desired,
                VPCZoneIdentifier=",".join(env.subnets))
    if "LaunchConfigurationName" not in kw and "MixedInstancesPolicy" not in kw:
        args["LaunchTemplate"] = {"LaunchTemplateId": env.lt["LaunchTemplateId"], "Version": "$Latest"}
    args.update(kw)
    env.asg.create_auto_scaling_group(**args)


def _delete(env, name: str):
    env.asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    wait_until(lambda: not env.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"], 30, f"{name} deleted")
    assert _live_tagged(env.ec2, name) == []


# ------------------------------------------------------------------------------ reference data


def test_reference_calls(env):
    asg = env.asg
    limits = asg.describe_account_limits()
    assert limits["MaxNumberOfAutoScalingGroups"] > 0 and "NumberOfLaunchConfigurations" in limits
    assert {t["AdjustmentType"] for t in asg.describe_adjustment_types()["AdjustmentTypes"]} == {"ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"}
    assert "OldestLaunchTemplate" in asg.describe_termination_policy_types()["TerminationPolicyTypes"]
    assert asg.describe_lifecycle_hook_types()["LifecycleHookTypes"] == ["autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]
    assert "autoscaling:EC2_INSTANCE_LAUNCH" in asg.describe_auto_scaling_notification_types()["AutoScalingNotificationTypes"]
    assert {p["ProcessName"] for p in asg.describe_scaling_process_types()["Processes"]} >= {"Launch", "Terminate", "HealthCheck", "ReplaceUnhealthy", "AZRebalance"}


# ------------------------------------------------------------------------------ groups


def test_group_launches_across_zones_with_tags_and_activities(env):
    asg, ec2 = env.asg, env.ec2
    _create(env, "web", 3, Tags=[{"Key": "team", "Value": "blue", "PropagateAtLaunch": True}, {"Key": "cost", "Value": "x", "PropagateAtLaunch": False}])
    instances = _in_service(asg, "web", 3)
    assert sorted(i["AvailabilityZone"] for i in instances) == sorted(env.zones), "one instance per zone"
    assert all(i["HealthStatus"] == "Healthy" and i["LaunchTemplate"]["LaunchTemplateId"] == env.lt["LaunchTemplateId"] for i in instances)
    ids = sorted(i["InstanceId"] for i in instances)
    assert _live_tagged(ec2, "web") == ids
    described = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    for inst in (i for r in described for i in r["Instances"]):
        tags = tags_dict(inst)
        assert tags["aws:autoscaling:groupName"] == "web" and tags["team"] == "blue" and "cost" not in tags
    group = _group(asg, "web")
    assert group["AutoScalingGroupARN"].startswith("arn:aws:autoscaling:us-east-1:") and group["AutoScalingGroupARN"].endswith(":autoScalingGroupName/web")
    assert group["VPCZoneIdentifier"] == ",".join(env.subnets) and sorted(group["AvailabilityZones"]) == sorted(env.zones)
    assert group["HealthCheckType"] == "EC2" and group["DefaultCooldown"] == 300 and group["TerminationPolicies"] == ["Default"]

    activities = wait_until(lambda: [a for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"] if a["StatusCode"] == "Successful"],
                        10, "launch activities successful")
    launches = [a for a in activities if a["Description"].startswith("Launching a new EC2 instance: i-")]
    assert sorted(a["Description"].split(": ")[1] for a in launches) == ids
    assert all("a user request created an AutoScalingGroup changing the desired capacity from 0 to 3" in a["Cause"] and a["Progress"] == 100 and a["EndTime"] for a in launches)

    details = asg.describe_auto_scaling_instances(InstanceIds=ids)["AutoScalingInstances"]
    assert {d["InstanceId"] for d in details} == set(ids) and all(d["AutoScalingGroupName"] == "web" and d["HealthStatus"] == "HEALTHY" for d in details)

    # The aws CLI reads the same group.
    out = env.srv.cli_json("--profile", "stratus", "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "web")
    assert out["AutoScalingGroups"][0]["DesiredCapacity"] == 3

    # Scale in: balanced zones, terminated EC2 instances, activities.
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    left = _in_service(asg, "web", 1)
    wait_until(lambda: _live_tagged(ec2, "web") == [left[0]["InstanceId"]], 20, "scaled-in instances terminated")
    terms = [a for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"] if a["Description"].startswith("Terminating EC2 instance")]
    assert len(terms) == 2 and all("shrinking the capacity from 3 to 1" in a["Cause"] for a in terms)

    # An instance terminated behind the group's back is replaced.
    victim = left[0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[victim])
    replaced = wait_until(lambda: [i for i in _group(asg, "web")["Instances"] if i["InstanceId"] != victim and i["LifecycleState"] == "InService"], 30, "replacement")
    assert len(replaced) == 1
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"] if victim in a["Description"]]
    assert any("EC2 health check" in c for c in causes), causes
    _delete(env, "web")


def test_errors(env):
    asg = env.asg
    _create(env, "errs", 0)
    for kw, code, text in [
        (dict(MinSize=3, MaxSize=1), "ValidationError", "Max bound, 1, must be greater than or equal to min bound, 3"),
        (dict(MinSize=0, MaxSize=2, DesiredCapacity=5), "ValidationError", "Desired capacity:5 must be between the specified min size:0 and max size:2"),
    ]:
        with pytest.raises(ClientError) as e:
            asg.create_auto_scaling_group(AutoScalingGroupName="bad", LaunchTemplate={"LaunchTemplateId": env.lt["LaunchTemplateId"]},
                                          VPCZoneIdentifier=env.subnets[0], **kw)
        assert error_of(e)[:2] == (code, text)
    with pytest.raises(ClientError) as e:
        _create(env, "errs", 0)
    assert error_of(e)[:2] == ("AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name errs already exists")
    with pytest.raises(ClientError) as e:
        asg.create_auto_scaling_group(AutoScalingGroupName="bad", MinSize=0, MaxSize=1, VPCZoneIdentifier=env.subnets[0])
    assert error_of(e)[0] == "ValidationError" and "LaunchTemplate, LaunchConfigurationName" in error_of(e)[1]
    with pytest.raises(ClientError) as e:
        asg.create_auto_scaling_group(AutoScalingGroupName="bad", MinSize=0, MaxSize=1, VPCZoneIdentifier=env.subnets[0],
                                      LaunchTemplate={"LaunchTemplateId": "lt-0123456789abcdef0"})
    assert error_of(e)[0] == "ValidationError" and "valid fully-formed launch template" in error_of(e)[1]
    with pytest.raises(ClientError) as e:
        asg.create_auto_scaling_group(AutoScalingGroupName="bad", MinSize=0, MaxSize=1, LaunchTemplate={"LaunchTemplateId": env.lt["LaunchTemplateId"]})
    assert error_of(e)[:2] == ("ValidationError", "At least one Availability Zone or VPC Subnet is required.")
    with pytest.raises(ClientError) as e:
        asg.set_desired_capacity(AutoScalingGroupName="errs", DesiredCapacity=7)
    assert error_of(e)[:2] == ("ValidationError", "New SetDesiredCapacity value 7 is above max value 6 for the AutoScalingGroup.")
    with pytest.raises(ClientError) as e:
        asg.set_desired_capacity(AutoScalingGroupName="nope", DesiredCapacity=1)
    assert error_of(e)[0] == "ValidationError" and "not found" in error_of(e)[1]
    # HonorCooldown: a change right after another one is refused while the cooldown runs.
    asg.set_desired_capacity(AutoScalingGroupName="errs", DesiredCapacity=1)
    with pytest.raises(ClientError) as e:
        asg.set_desired_capacity(AutoScalingGroupName="errs", DesiredCapacity=2, HonorCooldown=True)
    assert error_of(e)[0] == "ScalingActivityInProgress"
    _in_service(asg, "errs", 1)
    with pytest.raises(ClientError) as e:
        asg.delete_auto_scaling_group(AutoScalingGroupName="errs")
    assert error_of(e)[:2] == ("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances still in the group.")
    with pytest.raises(ClientError) as e:
        asg.describe_auto_scaling_groups(MaxRecords=500)
    assert error_of(e)[0] == "ValidationError"
    _delete(env, "errs")


def test_pagination_filters_and_tags(env):
    asg = env.asg
    for n in range(5):
        _create(env, f"page-{n}", 0, Tags=[{"Key": "n", "Value": str(n % 2), "PropagateAtLaunch": False}])
    names, token = [], None
    while True:
        page = asg.describe_auto_scaling_groups(MaxRecords=2, **({"NextToken": token} if token else {}))
        names += [g["AutoScalingGroupName"] for g in page["AutoScalingGroups"]]
        token = page.get("NextToken")
        if not token:
            break
    assert [n for n in names if n.startswith("page-")] == [f"page-{n}" for n in range(5)]
    odd = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:n", "Values": ["1"]}])["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in odd] == ["page-1", "page-3"]
    asg.create_or_update_tags(Tags=[{"ResourceId": "page-0", "ResourceType": "auto-scaling-group", "Key": "env", "Value": "dev", "PropagateAtLaunch": True}])
    tags = asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["page-0"]}])["Tags"]
    assert {(t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in tags} == {("n", "0", False), ("env", "dev", True)}
    asg.delete_tags(Tags=[{"ResourceId": "page-0", "ResourceType": "auto-scaling-group", "Key": "env"}])
    assert [t["Key"] for t in asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["page-0"]}])["Tags"]] == ["n"]
    paginator = asg.get_paginator("describe_tags")
    assert sum(len(p["Tags"]) for p in paginator.paginate(Filters=[{"Name": "key", "Values": ["n"]}], PaginationConfig={"PageSize": 2})) == 5
    for n in range(5):
        asg.delete_auto_scaling_group(AutoScalingGroupName=f"page-{n}")
    assert not [g for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"] if g["AutoScalingGroupName"].startswith("page-")]


def test_lifecycle_hook_holds_launch_until_completed(env):
    asg = env.asg
    _create(env, "hooked", 0, LifecycleHookSpecificationList=[
        {"LifecycleHookName": "warm", "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING", "HeartbeatTimeout": 300, "DefaultResult": "ABANDON"}])
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName="hooked")["LifecycleHooks"]
    assert hooks[0]["LifecycleHookName"] == "warm" and hooks[0]["HeartbeatTimeout"] == 300 and hooks[0]["GlobalTimeout"] == 30000
    asg.set_desired_capacity(AutoScalingGroupName="hooked", DesiredCapacity=1)
    held = wait_until(lambda: [i for i in _group(asg, "hooked")["Instances"] if i["LifecycleState"] == "Pending:Wait"], 20, "Pending:Wait")
    time.sleep(3)
    assert _group(asg, "hooked")["Instances"][0]["LifecycleState"] == "Pending:Wait", "the hook holds the launch"
    activity = asg.describe_scaling_activities(AutoScalingGroupName="hooked")["Activities"][0]
    assert activity["StatusCode"] == "MidLifecycleAction"
    asg.record_lifecycle_action_heartbeat(AutoScalingGroupName="hooked", LifecycleHookName="warm", InstanceId=held[0]["InstanceId"])
    with pytest.raises(ClientError) as e:
        asg.complete_lifecycle_action(AutoScalingGroupName="hooked", LifecycleHookName="warm", LifecycleActionResult="CONTINUE", LifecycleActionToken="00000000-0000-0000-0000-000000000000")
    assert error_of(e)[0] == "ValidationError"
    asg.complete_lifecycle_action(AutoScalingGroupName="hooked", LifecycleHookName="warm", LifecycleActionResult="CONTINUE", InstanceId=held[0]["InstanceId"])
    _in_service(asg, "hooked", 1)
    # A terminating hook holds the termination the same way.
    asg.put_lifecycle_hook(AutoScalingGroupName="hooked", LifecycleHookName="drain", LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout=30)
    asg.set_desired_capacity(AutoScalingGroupName="hooked", DesiredCapacity=0)
    wait_until(lambda: [i for i in _group(asg, "hooked")["Instances"] if i["LifecycleState"] == "Terminating:Wait"], 20, "Terminating:Wait")
    asg.complete_lifecycle_action(AutoScalingGroupName="hooked", LifecycleHookName="drain", LifecycleActionResult="CONTINUE", InstanceId=held[0]["InstanceId"])
    wait_until(lambda: not _group(asg, "hooked")["Instances"], 20, "terminated after the hook")
    asg.delete_lifecycle_hook(AutoScalingGroupName="hooked", LifecycleHookName="drain")
    assert [h["LifecycleHookName"] for h in asg.describe_lifecycle_hooks(AutoScalingGroupName="hooked")["LifecycleHooks"]] == ["warm"]
    _delete(env, "hooked")


def test_protection_standby_detach_attach_and_terminate(env):
    asg, ec2 = env.asg, env.ec2
    _create(env, "ops", 3, MinSize=1)
    ids = [i["InstanceId"] for i in _in_service(asg, "ops", 3)]
    asg.set_instance_protection(AutoScalingGroupName="ops", InstanceIds=[ids[0]], ProtectedFromScaleIn=True)
    asg.set_desired_capacity(AutoScalingGroupName="ops", DesiredCapacity=1)
    left = _in_service(asg, "ops", 1)
    assert left[0]["InstanceId"] == ids[0] and left[0]["ProtectedFromScaleIn"]

    asg.update_auto_scaling_group(AutoScalingGroupName="ops", MinSize=0, DesiredCapacity=2)
    pair = [i["InstanceId"] for i in _in_service(asg, "ops", 2)]
    other = next(i for i in pair if i != ids[0])
    standby = asg.enter_standby(AutoScalingGroupName="ops", InstanceIds=[other], ShouldDecrementDesiredCapacity=True)["Activities"]
    assert standby[0]["Description"] == f"Moving EC2 instance to Standby: {other}"
    wait_until(lambda: {i["InstanceId"]: i["LifecycleState"] for i in _group(asg, "ops")["Instances"]}.get(other) == "Standby", 20, "Standby")
    assert _group(asg, "ops")["DesiredCapacity"] == 1
    asg.exit_standby(AutoScalingGroupName="ops", InstanceIds=[other])
    _in_service(asg, "ops", 2)

    detached = asg.detach_instances(AutoScalingGroupName="ops", InstanceIds=[other], ShouldDecrementDesiredCapacity=True)["Activities"]
    assert detached[0]["Description"] == f"Detaching EC2 instance: {other}"
    wait_until(lambda: [i["InstanceId"] for i in _group(asg, "ops")["Instances"]] == [ids[0]], 20, "detached")
    inst = ec2.describe_instances(InstanceIds=[other])["Reservations"][0]["Instances"][0]
    assert inst["State"]["Name"] == "running" and "aws:autoscaling:groupName" not in tags_dict(inst)
    asg.attach_instances(AutoScalingGroupName="ops", InstanceIds=[other])
    assert _group(asg, "ops")["DesiredCapacity"] == 2
    _in_service(asg, "ops", 2)

    activity = asg.terminate_instance_in_auto_scaling_group(InstanceId=other, ShouldDecrementDesiredCapacity=True)["Activity"]
    assert activity["Description"] == f"Terminating EC2 instance: {other}" and "in response to a user request, shrinking the capacity from 2 to 1" in activity["Cause"]
    wait_until(lambda: ec2.describe_instances(InstanceIds=[other])["Reservations"][0]["Instances"][0]["State"]["Name"] in ("shutting-down", "terminated"), 20, "terminated")
    with pytest.raises(ClientError) as e:
        asg.terminate_instance_in_auto_scaling_group(InstanceId=ids[1], ShouldDecrementDesiredCapacity=False)
    assert error_of(e)[0] == "ValidationError"

    asg.suspend_processes(AutoScalingGroupName="ops", ScalingProcesses=["Launch"])
    assert [p["ProcessName"] for p in _group(asg, "ops")["SuspendedProcesses"]] == ["Launch"]
    asg.set_desired_capacity(AutoScalingGroupName="ops", DesiredCapacity=2)
    time.sleep(3)
    assert len(_group(asg, "ops")["Instances"]) == 1, "Launch is suspended"
    asg.resume_processes(AutoScalingGroupName="ops")
    _in_service(asg, "ops", 2)
    asg.set_instance_health(InstanceId=ids[0], HealthStatus="Unhealthy")
    asg.set_instance_protection(AutoScalingGroupName="ops", InstanceIds=[ids[0]], ProtectedFromScaleIn=False)
    wait_until(lambda: ids[0] not in [i["InstanceId"] for i in _group(asg, "ops")["Instances"]] and len(_in_service(asg, "ops", 2)) == 2, 30, "unhealthy replaced")
    _delete(env, "ops")


def test_launch_configuration_and_mixed_instances(env):
    asg = env.asg
    asg.create_launch_configuration(LaunchConfigurationName="lc1", ImageId=env.ami, InstanceType="t3.small")
    with pytest.raises(ClientError) as e:
        asg.create_launch_configuration(LaunchConfigurationName="lc1", ImageId=env.ami, InstanceType="t3.small")
    assert error_of(e)[0] == "AlreadyExists"
    lc = asg.describe_launch_configurations(LaunchConfigurationNames=["lc1"])["LaunchConfigurations"][0]
    assert lc["LaunchConfigurationARN"].endswith(":launchConfigurationName/lc1") and lc["InstanceType"] == "t3.small"
    _create(env, "from-lc", 1, LaunchConfigurationName="lc1")
    inst = _in_service(asg, "from-lc", 1)[0]
    assert inst["LaunchConfigurationName"] == "lc1" and inst["InstanceType"] == "t3.small"
    with pytest.raises(ClientError) as e:
        asg.delete_launch_configuration(LaunchConfigurationName="lc1")
    assert error_of(e)[0] == "ResourceInUse"
    _delete(env, "from-lc")
    asg.delete_launch_configuration(LaunchConfigurationName="lc1")
    assert asg.describe_launch_configurations(LaunchConfigurationNames=["lc1"])["LaunchConfigurations"] == []

    _create(env, "mixed", 4, MixedInstancesPolicy={
        "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateName": "web", "Version": "$Default"},
                           "Overrides": [{"InstanceType": "t3.large", "WeightedCapacity": "2"}, {"InstanceType": "t3.medium", "WeightedCapacity": "1"}]},
        "InstancesDistribution": {"OnDemandBaseCapacity": 0, "OnDemandPercentageAboveBaseCapacity": 100}})
    instances = _in_service(asg, "mixed", 2)
    assert all(i["InstanceType"] == "t3.large" and i["WeightedCapacity"] == "2" for i in instances)
    policy = _group(asg, "mixed")["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == ["t3.large", "t3.medium"]
    _delete(env, "mixed")


def test_target_groups_register_in_service_and_drain_before_terminate(env):
    asg, elb = env.asg, env.elb
    tg = elb.create_target_group(Name="asg-tg", Protocol="HTTP", Port=80, VpcId=env.vpc)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
    # Targets drain only behind a load balancer (otherwise deregistration is immediate, as in AWS).
    lb = elb.create_load_balancer(Name="asg-alb", Subnets=env.subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=8081, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    _create(env, "tg", 2, TargetGroupARNs=[tg])
    ids = sorted(i["InstanceId"] for i in _in_service(asg, "tg", 2))
    wait_until(lambda: sorted(h["Target"]["Id"] for h in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]) == ids, 15, "registered")
    states = asg.describe_load_balancer_target_groups(AutoScalingGroupName="tg")["LoadBalancerTargetGroups"]
    assert states[0]["LoadBalancerTargetGroupARN"] == tg and states[0]["State"] in ("Added", "InService")
    sources = asg.describe_traffic_sources(AutoScalingGroupName="tg")["TrafficSources"]
    assert sources[0]["Identifier"] == tg and sources[0]["Type"] == "elbv2"
    asg.set_desired_capacity(AutoScalingGroupName="tg", DesiredCapacity=1)
    draining = wait_until(lambda: [h for h in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"] if h["TargetHealth"]["State"] == "draining"],
                      15, "one target draining")
    victim = draining[0]["Target"]["Id"]
    state = env.ec2.describe_instances(InstanceIds=[victim])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running", "the instance drains before it is terminated"
    wait_until(lambda: env.ec2.describe_instances(InstanceIds=[victim])["Reservations"][0]["Instances"][0]["State"]["Name"] in ("shutting-down", "terminated"), 20, "terminated after draining")
    asg.detach_load_balancer_target_groups(AutoScalingGroupName="tg", TargetGroupARNs=[tg])
    wait_until(lambda: not asg.describe_load_balancer_target_groups(AutoScalingGroupName="tg")["LoadBalancerTargetGroups"], 15, "detached")
    with pytest.raises(ClientError) as e:
        asg.attach_load_balancer_target_groups(AutoScalingGroupName="tg", TargetGroupARNs=[tg.replace("asg-tg", "nope-tg")])
    assert error_of(e)[0] == "ValidationError"
    _delete(env, "tg")
    elb.delete_load_balancer(LoadBalancerArn=lb)


def test_notification_configurations(env):
    asg = env.asg
    _create(env, "notes", 0)
    topic = "arn:aws:sns:us-east-1:123456789012:scaling"
    asg.put_notification_configuration(AutoScalingGroupName="notes", TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH"])
    configs = asg.describe_notification_configurations(AutoScalingGroupNames=["notes"])["NotificationConfigurations"]
    assert configs == [{"AutoScalingGroupName": "notes", "TopicARN": topic, "NotificationType": "autoscaling:EC2_INSTANCE_LAUNCH"}]
    asg.delete_notification_configuration(AutoScalingGroupName="notes", TopicARN=topic)
    assert asg.describe_notification_configurations(AutoScalingGroupNames=["notes"])["NotificationConfigurations"] == []
    asg.delete_auto_scaling_group(AutoScalingGroupName="notes")


def test_instance_refresh_replaces_every_instance(env):
    asg, ec2 = env.asg, env.ec2
    _create(env, "refresh", 2, MinSize=1)
    before = {i["InstanceId"] for i in _in_service(asg, "refresh", 2)}
    v2 = ec2.create_launch_template_version(LaunchTemplateId=env.lt["LaunchTemplateId"], SourceVersion="1",
                                            LaunchTemplateData={"InstanceType": "t3.small"})["LaunchTemplateVersion"]["VersionNumber"]
    refresh = asg.start_instance_refresh(AutoScalingGroupName="refresh", Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0},
                                         DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": env.lt["LaunchTemplateId"], "Version": str(v2)}})["InstanceRefreshId"]
    with pytest.raises(ClientError) as e:
        asg.start_instance_refresh(AutoScalingGroupName="refresh")
    assert error_of(e)[0] == "InstanceRefreshInProgress"
    done = wait_until(lambda: [r for r in asg.describe_instance_refreshes(AutoScalingGroupName="refresh")["InstanceRefreshes"]
                           if r["InstanceRefreshId"] == refresh and r["Status"] == "Successful"], 60, "refresh successful")
    assert done[0]["PercentageComplete"] == 100
    after = _in_service(asg, "refresh", 2)
    assert not before & {i["InstanceId"] for i in after}, "every instance replaced"
    assert all(i["InstanceType"] == "t3.small" for i in after)
    with pytest.raises(ClientError) as e:
        asg.cancel_instance_refresh(AutoScalingGroupName="refresh")
    assert error_of(e)[0] == "ActiveInstanceRefreshNotFound"
    _delete(env, "refresh")


# ------------------------------------------------------------------------------ durability


def test_kill9_during_scale_out_converges_without_orphans_or_duplicates(env):
    """Runs last on the shared server: kill -9 while a scale-out's launches are in flight, then start it again."""
    _create(env, "k", 2, MaxSize=10)
    _in_service(env.asg, "k", 2)
    env.asg.set_desired_capacity(AutoScalingGroupName="k", DesiredCapacity=6)
    wait_until(lambda: len(_live_tagged(env.ec2, "k")) > 2, 10, "scale-out started")
    env.srv.restart(graceful=False)
    env.ec2, env.asg, env.elb = env.srv.ec2(), env.srv.client("autoscaling"), env.srv.client("elbv2")
    instances = _in_service(env.asg, "k", 6, timeout=40)
    ids = sorted(i["InstanceId"] for i in instances)
    assert len(set(ids)) == 6
    assert _live_tagged(env.ec2, "k") == ids, "every live instance of the group is in it, and no more"
    time.sleep(2.5)  # more than one controller pass (every 2 s)
    assert _live_tagged(env.ec2, "k") == ids, "no further launches once converged"
    _delete(env, "k")


# ------------------------------------------------------------------------------ seed Lab 3 on real instances (container runtime)


def test_seed_lab3_group_behind_alb_on_real_instances(stratus_binary, tmp_path_factory):
    """Lab 3 steps 1-3 and 5: target group with /health, an ALB across three zones, a launch
    template whose user data serves the instance id, a group of three with ELB health checks and a
    launch hook; then a terminated instance and one whose web server was killed are replaced, and
    a smaller desired capacity drains."""
    import base64

    from test_elbv2 import WEB, _get, _hosts_blocks_of
    from guests import BOOT_TIMEOUT, GuestLab, guest_server, ssh, wait_ssh

    with guest_server(stratus_binary, tmp_path_factory, "asg-lab3") as srv:
        guests = GuestLab(srv, tmp_path_factory.mktemp("asg-keys"), key_name="myapp-key")
        ec2, elb, asg, key = guests.ec2, srv.client("elbv2"), srv.client("autoscaling"), guests.key_path
        vpc = default_vpc(ec2)["VpcId"]
        subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])[:3]
        assert len({s["AvailabilityZone"] for s in subnets}) == 3
        web = guests.ssh_group("web", ports=(22, 80), vpc_id=vpc)
        ec2.create_launch_template(LaunchTemplateName="myapp-lt", LaunchTemplateData={
            "ImageId": guests.ami, "InstanceType": "t3.micro", "SecurityGroupIds": [web], "KeyName": "myapp-key",
            "UserData": base64.b64encode(WEB.encode()).decode()})

        # Step 1-2: target group and ALB (the seed's commands, through the aws CLI; the independent
        # ones at the same time, as each CLI start takes seconds).
        with ThreadPoolExecutor(2) as pool:
            tg_call = pool.submit(srv.cli_json, "--profile", "stratus", "elbv2", "create-target-group", "--name", "myapp-target-group", "--protocol", "HTTP",
                                  "--port", "80", "--vpc-id", vpc, "--health-check-enabled", "--health-check-protocol", "HTTP", "--health-check-path", "/health",
                                  "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
                                  "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "3")
            alb_call = pool.submit(srv.cli_json, "--profile", "stratus", "elbv2", "create-load-balancer", "--name", "myapp-alb",
                                   "--subnets", *[s["SubnetId"] for s in subnets], "--security-groups", web, "--scheme", "internet-facing", "--type", "application")
            tg = tg_call.result()["TargetGroups"][0]["TargetGroupArn"]
            alb = alb_call.result()["LoadBalancers"][0]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "3"}])

        # Step 3: the listener, and the group with ELB health checks (then a hook that holds each launch).
        with ThreadPoolExecutor(2) as pool:
            listener_call = pool.submit(srv.cli_json, "--profile", "stratus", "elbv2", "create-listener", "--load-balancer-arn", alb["LoadBalancerArn"],
                                        "--protocol", "HTTP", "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg}")
            group_call = pool.submit(srv.cli_json, "--profile", "stratus", "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "myapp-asg",
                                     "--launch-template", "LaunchTemplateName=myapp-lt,Version=$Latest", "--min-size", "2", "--max-size", "6",
                                     "--desired-capacity", "3", "--vpc-zone-identifier", ",".join(s["SubnetId"] for s in subnets), "--target-group-arns", tg,
                                     "--health-check-type", "ELB", "--health-check-grace-period", "120")
            listener_call.result()
            group_call.result()
        asg.put_lifecycle_hook(AutoScalingGroupName="myapp-asg", LifecycleHookName="hold", LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
                               HeartbeatTimeout=600, DefaultResult="ABANDON")

        def release_held(n_expected=None):
            held = [i["InstanceId"] for i in _group(asg, "myapp-asg")["Instances"] if i["LifecycleState"] == "Pending:Wait"]
            for instance in held:
                asg.complete_lifecycle_action(AutoScalingGroupName="myapp-asg", LifecycleHookName="hold", LifecycleActionResult="CONTINUE", InstanceId=instance)
            return held

        # The hook was put after creation; instances already past Pending are not held, later ones are.
        def healthy_targets(n):
            release_held()
            states = [h["TargetHealth"]["State"] for h in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
            return states if states.count("healthy") == n and len(states) == n else None

        wait_until(lambda: healthy_targets(3), BOOT_TIMEOUT, "three healthy targets")
        instances = _in_service(asg, "myapp-asg", 3)
        assert len({i["AvailabilityZone"] for i in instances}) == 3
        ids = {i["InstanceId"] for i in instances}
        answered = {_get(f"http://{alb['DNSName']}/")[1].strip() for _ in range(12)}
        assert len(answered) >= 2 and answered <= ids, answered

        # Step 5, and issue 12's ELB health acceptance, at the same time: an instance terminated behind
        # the group's back is replaced (the hook holds the replacement), and an instance whose web
        # server is killed over SSH turns unhealthy in the target group and is replaced (HealthCheckType
        # ELB; the grace period, 120 s at creation, is shortened first).
        victim, sick = sorted(ids)[:2]
        sick_ip = ec2.describe_instances(InstanceIds=[sick])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
        wait_ssh(key, sick_ip)
        asg.update_auto_scaling_group(AutoScalingGroupName="myapp-asg", HealthCheckGracePeriod=0)
        killed = ssh(key, sick_ip, "kill $(ps | grep '[h]ttpd -p 80' | awk '{print $1}')")
        assert killed.returncode == 0, killed.stderr
        ec2.terminate_instances(InstanceIds=[victim])
        held = wait_until(lambda: [i["InstanceId"] for i in _group(asg, "myapp-asg")["Instances"] if i["LifecycleState"] == "Pending:Wait"], 60, "replacement held by the hook")
        time.sleep(2)
        assert [i["LifecycleState"] for i in _group(asg, "myapp-asg")["Instances"] if i["InstanceId"] == held[0]] == ["Pending:Wait"]
        wait_until(lambda: {h["Target"]["Id"]: h["TargetHealth"]["State"] for h in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}
                   .get(sick) in ("unhealthy", "draining", None), 45, "the killed web server's target unhealthy")

        def both_replaced():
            members = {i["InstanceId"] for i in _group(asg, "myapp-asg")["Instances"]}
            return healthy_targets(3) if not members & {victim, sick} else None
        wait_until(both_replaced, BOOT_TIMEOUT + 60, "both replaced and three targets healthy")
        activities = asg.describe_scaling_activities(AutoScalingGroupName="myapp-asg")["Activities"]
        assert any(a["Description"] == f"Terminating EC2 instance: {victim}" for a in activities)
        assert any(a["Description"] == f"Launching a new EC2 instance: {held[0]}" and a["StatusCode"] == "Successful" for a in activities)
        sick_terms = [a for a in activities if a["Description"] == f"Terminating EC2 instance: {sick}"]
        assert sick_terms and "in response to an ELB system health check failure" in sick_terms[0]["Cause"], sick_terms
        launches = [a for a in activities if a["Description"].startswith("Launching a new EC2 instance") and a["StatusCode"] == "Successful"]
        assert len(launches) >= 5, "three at creation, one per replacement"
        assert sick not in {_get(f"http://{alb['DNSName']}/")[1].strip() for _ in range(6)}

        # set-desired-capacity 2: one target drains, then its instance terminates.
        srv.cli_json("--profile", "stratus", "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "myapp-asg", "--desired-capacity", "2")
        draining = wait_until(lambda: [h["Target"]["Id"] for h in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"] if h["TargetHealth"]["State"] == "draining"],
                          30, "a target draining")
        wait_until(lambda: ec2.describe_instances(InstanceIds=draining)["Reservations"][0]["Instances"][0]["State"]["Name"] in ("shutting-down", "terminated"), 60, "drained instance terminated")
        _in_service(asg, "myapp-asg", 2, timeout=30)
        assert len({_get(f"http://{alb['DNSName']}/")[1].strip() for _ in range(8)} - {""}) >= 1

        asg.delete_auto_scaling_group(AutoScalingGroupName="myapp-asg", ForceDelete=True)
        wait_until(lambda: not asg.describe_auto_scaling_groups(AutoScalingGroupNames=["myapp-asg"])["AutoScalingGroups"], 90, "group deleted")
        elb.delete_load_balancer(LoadBalancerArn=alb["LoadBalancerArn"])
    assert not _hosts_blocks_of(srv)
