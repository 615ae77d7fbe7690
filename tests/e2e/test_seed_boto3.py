"""The seeds' boto3 code run against Stratus with only the endpoint, ids and names changed:
000 Pattern 5 (multi-AZ launch with fallback and status waiters), 002's tagged launch with an
instance profile and user data, the IMDS audit, and Lab 4's tag-driven scheduler."""

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import FAST

RETRYABLE_ERRORS = {"InsufficientInstanceCapacity", "InsufficientHostCapacity", "Unsupported", "RequestLimitExceeded"}


MOCK_BOOT_SECONDS = 0.3


@pytest.fixture(scope="module")
def base(ec2):
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
    ec2.create_key_pair(KeyName="my-keypair")
    sg = ec2.create_security_group(GroupName="prod-web", Description="prod web")["GroupId"]
    subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]}
    return {"ami": ami, "sg": sg, "subnets": dict(sorted(subnets.items()))}


def test_pattern5_launch_with_az_fallback(ec2, base):
    def launch_with_az_fallback(image_id, instance_type, key_name, sg_id):
        for attempt, (az, subnet_id) in enumerate(base["subnets"].items()):
            try:
                response = ec2.run_instances(
                    ImageId=image_id, InstanceType=instance_type, MinCount=1, MaxCount=1, KeyName=key_name,
                    SubnetId=subnet_id, SecurityGroupIds=[sg_id],
                    MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
                    EbsOptimized=True,
                    TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"prod-{az}"}]}])
                return response["Instances"][0]["InstanceId"], az
            except ClientError as e:
                if e.response["Error"]["Code"] in RETRYABLE_ERRORS:
                    time.sleep(0.1 * 2 ** attempt)
                    continue
                raise
        raise RuntimeError("All AZs exhausted")

    instance_id, az = launch_with_az_fallback(base["ami"], "t3.micro", "my-keypair", base["sg"])
    assert az == "us-east-1a"
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["EbsOptimized"] is True and instance["MetadataOptions"]["HttpTokens"] == "required"

    # A type not offered in a zone answers "Unsupported", which the fallback treats as retryable.
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=base["ami"], InstanceType="mac1.metal", MinCount=1, MaxCount=1, SubnetId=base["subnets"]["us-east-1c"])
    assert ei.value.response["Error"]["Code"] in ("Unsupported", "InvalidParameterValue")


def test_tagged_launch_with_profile_and_user_data(server, ec2, base):
    # Launches may only name an instance profile that exists (as on AWS).
    iam = boto3.session.Session().client(
        "iam", region_name="us-east-1", endpoint_url=server.endpoint,
        aws_access_key_id=server.credentials.access_key, aws_secret_access_key=server.credentials.secret_key)
    iam.create_role(RoleName="ec2-app-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.create_instance_profile(InstanceProfileName="ec2-app-role")
    iam.add_role_to_instance_profile(InstanceProfileName="ec2-app-role", RoleName="ec2-app-role")
    user_data = '#!/bin/bash\nyum update -y\nyum install -y python3\necho "ready" > /var/log/bootstrap.log\n'
    response = ec2.run_instances(
        ImageId=base["ami"], InstanceType="t3.small", MinCount=1, MaxCount=1, KeyName="my-keypair",
        SubnetId=base["subnets"]["us-east-1b"], SecurityGroupIds=[base["sg"]],
        IamInstanceProfile={"Name": "ec2-app-role"}, UserData=user_data,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Name", "Value": "app-worker-01"}, {"Key": "Environment", "Value": "prod"}, {"Key": "Owner", "Value": "kevin"}]}],
        MetadataOptions={"HttpTokens": "required"})
    instance = response["Instances"][0]
    assert instance["IamInstanceProfile"]["Arn"].endswith(":instance-profile/ec2-app-role")
    assert instance["Placement"]["AvailabilityZone"] == "us-east-1b"
    found = ec2.describe_instances(Filters=[{"Name": "iam-instance-profile.arn", "Values": ["*ec2-app-role"]}])
    assert [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]] == [instance["InstanceId"]]


def test_imds_audit(ec2, base):
    """Find instances that still allow IMDSv1 (HttpTokens != required)."""
    loose = ec2.run_instances(ImageId=base["ami"], InstanceType="t3.micro", MinCount=1, MaxCount=1,
                              MetadataOptions={"HttpTokens": "optional"})["Instances"][0]["InstanceId"]
    paginator = ec2.get_paginator("describe_instances")
    offenders = [i["InstanceId"] for page in paginator.paginate() for r in page["Reservations"] for i in r["Instances"]
                 if i["State"]["Name"] != "terminated" and i["MetadataOptions"]["HttpTokens"] != "required"]
    assert offenders == [loose]
    ec2.modify_instance_metadata_options(InstanceId=loose, HttpTokens="required")
    offenders = [i["InstanceId"] for page in paginator.paginate() for r in page["Reservations"] for i in r["Instances"]
                 if i["State"]["Name"] != "terminated" and i["MetadataOptions"]["HttpTokens"] != "required"]
    assert offenders == []


def test_lab4_scheduler_by_tags(ec2, base):
    tags = [{"Key": "Environment", "Value": "dev"}, {"Key": "AutoSchedule", "Value": "true"}]
    scheduled = [i["InstanceId"] for i in ec2.run_instances(
        ImageId=base["ami"], InstanceType="t3.micro", MinCount=2, MaxCount=2,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"]]
    other = ec2.run_instances(ImageId=base["ami"], InstanceType="t3.micro", MinCount=1, MaxCount=1,
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Environment", "Value": "dev"}]}])["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=scheduled + [other], WaiterConfig=FAST)

    def handler(action, environment="dev"):
        filters = [
            {"Name": "tag:Environment", "Values": [environment]},
            {"Name": "tag:AutoSchedule", "Values": ["true"]},
            {"Name": "instance-state-name", "Values": ["running" if action == "stop" else "stopped"]},
        ]
        instances = ec2.describe_instances(Filters=filters)
        ids = [i["InstanceId"] for r in instances["Reservations"] for i in r["Instances"]]
        if not ids:
            return {"statusCode": 200, "message": "No instances to process"}
        (ec2.stop_instances if action == "stop" else ec2.start_instances)(InstanceIds=ids)
        return {"statusCode": 200, "action": action, "instances": ids, "count": len(ids)}

    result = handler("stop")
    assert sorted(result["instances"]) == sorted(scheduled)
    ec2.get_waiter("instance_stopped").wait(InstanceIds=scheduled, WaiterConfig=FAST)
    states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=scheduled + [other])["Reservations"] for i in r["Instances"]}
    assert states == {scheduled[0]: "stopped", scheduled[1]: "stopped", other: "running"}
    assert handler("stop")["message"] == "No instances to process"
    result = handler("start")
    assert sorted(result["instances"]) == sorted(scheduled)
    ec2.get_waiter("instance_running").wait(InstanceIds=scheduled, WaiterConfig=FAST)
