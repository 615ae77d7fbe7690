"""IAM with real clients: users, groups, access keys, managed and inline policies, instance
profiles and their errors (boto3), and the policies enforced on every request (aws CLI and boto3):
a user without policies is refused with an encoded message STS decodes, AmazonEC2ReadOnlyAccess
lets it describe but not launch, conditions on the requested region, explicit denies and resource
tags. Instance-profile credentials from the metadata service are covered by
tests/Stratus.Server.Tests/Imds/ImdsTests.cs (only guests reach the metadata service)."""
import json
import os
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import aws_cli, error_of, minimal_ami

MOCK_BOOT_SECONDS = 0.2
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
EC2_READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"


def client(server, service, region="us-east-1", key=None):
    creds = ({"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]} if key else
             {"aws_access_key_id": server.credentials.access_key, "aws_secret_access_key": server.credentials.secret_key})
    return boto3.session.Session().client(service, region_name=region, endpoint_url=server.endpoint, config=NO_RETRY, **creds)


def cli_as(server, key, *args, region="us-east-1"):
    """`aws ARGS` with a user's access key (environment credentials, as a CI job would pass them)."""
    env = dict(server.env(), AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
               AWS_DEFAULT_REGION=region)
    env.pop("AWS_PROFILE", None)
    return subprocess.run([aws_cli(), "--endpoint-url", server.endpoint, "--region", region, *args, "--output", "json"],
                          env=env, cwd=server.root, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def iam(server):
    return client(server, "iam")


@pytest.fixture(scope="module")
def account(server):
    return client(server, "sts").get_caller_identity()["Account"]


def new_user(iam, name):
    iam.create_user(UserName=name)
    return iam.create_access_key(UserName=name)["AccessKey"]


def test_user_without_policy_is_refused_then_read_only_policy_allows_describe(server, iam, account):
    key = new_user(iam, "alice")
    p = cli_as(server, key, "ec2", "describe-instances")
    assert p.returncode != 0
    assert "UnauthorizedOperation" in p.stderr, p.stderr
    assert f"User: arn:aws:iam::{account}:user/alice is not authorized to perform: ec2:DescribeInstances" in p.stderr
    encoded = p.stderr.split("Encoded authorization failure message: ")[1].strip().split()[0]
    # The account root decodes the message with STS.
    decoded = server.cli_json("--profile", "stratus", "sts", "decode-authorization-message", "--encoded-message", encoded)
    message = json.loads(decoded["DecodedMessage"])
    assert message["allowed"] is False and message["explicitDeny"] is False
    assert message["context"]["action"] == "ec2:DescribeInstances"
    assert message["context"]["principal"]["arn"] == f"arn:aws:iam::{account}:user/alice"
    # The caller's identity needs no permission.
    who = json.loads(cli_as(server, key, "sts", "get-caller-identity").stdout)
    assert who["Arn"] == f"arn:aws:iam::{account}:user/alice" and who["UserId"].startswith("AIDA")

    iam.attach_user_policy(UserName="alice", PolicyArn=EC2_READ_ONLY)
    p = cli_as(server, key, "ec2", "describe-instances")
    assert p.returncode == 0, p.stderr
    assert "Reservations" in json.loads(p.stdout)
    ami = minimal_ami(client(server, "ec2"))
    p = cli_as(server, key, "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro")
    assert p.returncode != 0 and "UnauthorizedOperation" in p.stderr and "ec2:RunInstances" in p.stderr, p.stderr
    # DryRun answers per the policy.
    ec2 = client(server, "ec2", key=key)
    with pytest.raises(ClientError) as ei:
        ec2.describe_vpcs(DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True)
    assert error_of(ei)[0] == "UnauthorizedOperation"
    # Other services answer AccessDenied.
    with pytest.raises(ClientError) as ei:
        client(server, "iam", key=key).list_users()
    assert error_of(ei)[:2] == ("AccessDenied", f"User: arn:aws:iam::{account}:user/alice is not authorized to perform: iam:ListUsers "
                                "because no identity-based policy allows the iam:ListUsers action")
    # Detaching takes effect at once; a deactivated key no longer authenticates.
    iam.detach_user_policy(UserName="alice", PolicyArn=EC2_READ_ONLY)
    with pytest.raises(ClientError) as ei:
        ec2.describe_vpcs()
    assert error_of(ei)[0] == "UnauthorizedOperation"
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as ei:
        ec2.describe_vpcs()
    assert error_of(ei)[0] in ("AuthFailure", "InvalidClientTokenId")


def test_requested_region_condition(server, iam):
    key = new_user(iam, "regional")
    iam.put_user_policy(UserName="regional", PolicyName="eu-only", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}))
    p = cli_as(server, key, "ec2", "describe-vpcs", region="eu-west-1")
    assert p.returncode == 0, p.stderr
    p = cli_as(server, key, "ec2", "describe-vpcs", region="us-east-1")
    assert p.returncode != 0 and "UnauthorizedOperation" in p.stderr


def test_group_policies_explicit_deny_and_resource_tags(server, iam):
    key = new_user(iam, "operator")
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="operator")
    iam.attach_group_policy(GroupName="ops", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2FullAccess")
    root = client(server, "ec2")
    ami = minimal_ami(root)
    prod = root.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "prod"}]}])["Instances"][0]["InstanceId"]
    dev = root.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "dev"}]}])["Instances"][0]["InstanceId"]
    # An explicit deny wins over the group's allow: prod instances may not be stopped or terminated.
    iam.put_user_policy(UserName="operator", PolicyName="protect-prod", PolicyDocument=policy(
        {"Effect": "Deny", "Action": ["ec2:StopInstances", "ec2:TerminateInstances"], "Resource": "arn:aws:ec2:*:*:instance/*",
         "Condition": {"StringEquals": {"ec2:ResourceTag/env": "prod"}}}))
    ec2 = client(server, "ec2", key=key)
    with pytest.raises(ClientError) as ei:
        ec2.terminate_instances(InstanceIds=[prod])
    code, message, _ = error_of(ei)
    assert code == "UnauthorizedOperation" and "with an explicit deny" in message
    assert ec2.terminate_instances(InstanceIds=[dev])["TerminatingInstances"][0]["InstanceId"] == dev
    # Out of the group, nothing is allowed.
    iam.remove_user_from_group(GroupName="ops", UserName="operator")
    with pytest.raises(ClientError) as ei:
        ec2.describe_instances()
    assert error_of(ei)[0] == "UnauthorizedOperation"


def test_users_groups_and_keys(iam, account):
    user = iam.create_user(UserName="bob", Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{account}:user/eng/bob" and user["UserId"].startswith("AIDA")
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName="BOB")
    assert error_of(ei)[:1] == ("EntityAlreadyExists",)
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName="nobody")
    assert error_of(ei) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName="bad name")
    assert error_of(ei)[0] == "ValidationError"
    assert iam.list_user_tags(UserName="bob")["Tags"] == [{"Key": "team", "Value": "core"}]

    keys = [iam.create_access_key(UserName="bob")["AccessKey"] for _ in range(2)]
    assert all(k["AccessKeyId"].startswith("AKIA") and k["Status"] == "Active" for k in keys)
    with pytest.raises(ClientError) as ei:
        iam.create_access_key(UserName="bob")
    assert error_of(ei)[0] == "LimitExceeded"
    listed = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted(k["AccessKeyId"] for k in keys)
    assert "SecretAccessKey" not in listed[0]
    # A key's last use is recorded once it signs a request.
    client_as_bob = boto3.session.Session().client("iam", region_name="us-east-1", endpoint_url=iam.meta.endpoint_url, config=NO_RETRY,
                                                  aws_access_key_id=keys[0]["AccessKeyId"], aws_secret_access_key=keys[0]["SecretAccessKey"])
    with pytest.raises(ClientError):
        client_as_bob.list_users()
    used = iam.get_access_key_last_used(AccessKeyId=keys[0]["AccessKeyId"])
    assert used["UserName"] == "bob" and used["AccessKeyLastUsed"]["ServiceName"] == "iam"
    # GetUser without a name answers the caller.
    iam.put_user_policy(UserName="bob", PolicyName="self", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/eng/${aws:username}"}))
    assert client_as_bob.get_user()["User"]["UserName"] == "bob"

    iam.create_group(GroupName="eng")
    iam.add_user_to_group(GroupName="eng", UserName="bob")
    assert [u["UserName"] for u in iam.get_group(GroupName="eng")["Users"]] == ["bob"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["eng"]
    with pytest.raises(ClientError) as ei:
        iam.delete_group(GroupName="eng")
    assert error_of(ei)[0] == "DeleteConflict"
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName="bob")
    assert error_of(ei) == ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    for k in keys:
        iam.delete_access_key(UserName="bob", AccessKeyId=k["AccessKeyId"])
    iam.remove_user_from_group(GroupName="eng", UserName="bob")
    iam.delete_user_policy(UserName="bob", PolicyName="self")
    iam.delete_group(GroupName="eng")
    iam.delete_user(UserName="bob")
    assert "bob" not in [u["UserName"] for u in iam.list_users()["Users"]]


def test_managed_policies_versions_and_attachments(server, iam, account):
    doc = policy({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})
    created = iam.create_policy(PolicyName="describe", PolicyDocument=doc, Description="reads")["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::{account}:policy/describe" and created["DefaultVersionId"] == "v1"
    with pytest.raises(ClientError) as ei:
        iam.create_policy(PolicyName="bad", PolicyDocument="{not json")
    assert error_of(ei)[0] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as ei:
        iam.create_policy(PolicyName="bad", PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Action": "ec2:*"}]}))
    assert error_of(ei)[0] == "MalformedPolicyDocument"
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc)
    with pytest.raises(ClientError) as ei:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc)
    assert error_of(ei)[0] == "LimitExceeded"
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v5", "v4", "v3", "v2", "v1"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    with pytest.raises(ClientError) as ei:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(ei)[0] == "DeleteConflict"
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert version["IsDefaultVersion"] is True and version["Document"]["Statement"][0]["Action"] == "ec2:Describe*"

    iam.create_role(RoleName="app", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    iam.attach_role_policy(RoleName="app", PolicyArn=arn)
    iam.attach_role_policy(RoleName="app", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    iam.put_role_policy(RoleName="app", PolicyName="inline", PolicyDocument=doc)
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"]] == ["describe", "AmazonSSMManagedInstanceCore"]
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["inline"]
    assert iam.get_role_policy(RoleName="app", PolicyName="inline")["PolicyDocument"]["Statement"][0]["Action"] == "ec2:Describe*"
    assert [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]] == ["app"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as ei:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(ei)[0] == "DeleteConflict"
    aws = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert aws["PolicyName"] == "AdministratorAccess" and aws["DefaultVersionId"] == "v1"
    names = {p["PolicyName"] for p in iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 2}).build_full_result()["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "AmazonEC2FullAccess", "AmazonEC2ReadOnlyAccess", "AmazonSSMManagedInstanceCore",
            "CloudWatchAgentServerPolicy"} <= names

    # Instance profiles: one role each; a role in a profile cannot be deleted.
    profile = iam.create_instance_profile(InstanceProfileName="app-profile")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{account}:instance-profile/app-profile" and profile["InstanceProfileId"].startswith("AIPA")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    with pytest.raises(ClientError) as ei:
        iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    assert error_of(ei)[0] in ("EntityAlreadyExists", "LimitExceeded")
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"]] == ["app-profile"]
    assert iam.get_instance_profile(InstanceProfileName="app-profile")["InstanceProfile"]["Roles"][0]["RoleName"] == "app"
    with pytest.raises(ClientError) as ei:
        iam.delete_instance_profile(InstanceProfileName="app-profile")
    assert error_of(ei)[0] == "DeleteConflict"
    with pytest.raises(ClientError) as ei:
        iam.delete_role(RoleName="app")
    assert error_of(ei)[0] == "DeleteConflict"
    # EC2 validates the profile a launch names.
    ec2 = client(server, "ec2")
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "no-such-profile"})
    assert error_of(ei)[:2] == ("InvalidParameterValue",
                                "Value (no-such-profile) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
    iam.remove_role_from_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    iam.delete_instance_profile(InstanceProfileName="app-profile")
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert any(r["RoleName"] == "app" and r["RolePolicyList"][0]["PolicyName"] == "inline" for r in details)


def test_assume_role_needs_permission_and_trust(server, iam, account):
    key = new_user(iam, "deployer-user")
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}))
    iam.attach_role_policy(RoleName="deploy", PolicyArn=EC2_READ_ONLY)
    sts = client(server, "sts", key=key)
    role_arn = f"arn:aws:iam::{account}:role/deploy"
    with pytest.raises(ClientError) as ei:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_of(ei)[0] == "AccessDenied"
    iam.put_user_policy(UserName="deployer-user", PolicyName="assume", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}))
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    session = boto3.session.Session().client("ec2", region_name="us-east-1", endpoint_url=server.endpoint, config=NO_RETRY,
                                             aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                             aws_session_token=creds["SessionToken"])
    assert "Vpcs" in session.describe_vpcs()
    with pytest.raises(ClientError) as ei:
        session.create_vpc(CidrBlock="10.9.0.0/16")
    assert error_of(ei)[0] == "UnauthorizedOperation"
    assert f"assumed-role/deploy/s1 is not authorized to perform: ec2:CreateVpc" in error_of(ei)[1]


def test_pass_role_and_instance_profile_associations(server, iam, account):
    """Launching with a profile (directly or from a launch template) and associating one need
    iam:PassRole on its role; an unknown profile is InvalidParameterValue; associations are
    described, filtered, paged, replaced and removed as EC2 does."""
    root = client(server, "ec2")
    ami = minimal_ami(root)
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    for name in ("worker-profile", "worker-profile-2"):
        iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName="worker-profile", RoleName="worker")
    role_arn = f"arn:aws:iam::{account}:role/worker"
    key = new_user(iam, "launcher")
    iam.put_user_policy(UserName="launcher", PolicyName="ec2", PolicyDocument=policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}))
    ec2 = client(server, "ec2", key=key)
    launch = dict(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)

    with pytest.raises(ClientError) as ei:
        ec2.run_instances(IamInstanceProfile={"Name": "no-such-profile"}, **launch)
    assert error_of(ei)[:2] == ("InvalidParameterValue", "Value (no-such-profile) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
    for dry in (False, True):
        with pytest.raises(ClientError) as ei:
            ec2.run_instances(IamInstanceProfile={"Name": "worker-profile"}, DryRun=dry, **launch)
        code, message, status = error_of(ei)
        assert (code, status) == ("UnauthorizedOperation", 403)
        assert f"user/launcher is not authorized to perform: iam:PassRole on resource: {role_arn}" in message
    encoded = message.split("Encoded authorization failure message: ")[1].strip()
    decoded = json.loads(client(server, "sts").decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["context"]["action"] == "iam:PassRole" and decoded["context"]["resource"] == role_arn
    # A launch template naming the profile needs the same permission.
    root.create_launch_template(LaunchTemplateName="worker-lt", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro",
                                                                                   "IamInstanceProfile": {"Name": "worker-profile"}})
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "worker-lt"})
    assert error_of(ei)[0] == "UnauthorizedOperation" and "iam:PassRole" in error_of(ei)[1]
    # A profile without a role passes nothing.
    plain = ec2.run_instances(IamInstanceProfile={"Name": "worker-profile-2"}, **launch)["Instances"][0]["InstanceId"]

    # PassRole to EC2 (the condition names the service the role is passed to).
    iam.put_user_policy(UserName="launcher", PolicyName="pass", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn, "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}))
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(IamInstanceProfile={"Name": "worker-profile"}, DryRun=True, **launch)
    assert error_of(ei)[0] == "DryRunOperation"
    many = [i["InstanceId"] for i in ec2.run_instances(IamInstanceProfile={"Arn": f"arn:aws:iam::{account}:instance-profile/worker-profile"},
                                                        **dict(launch, MinCount=5, MaxCount=5))["Instances"]]
    templated = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "worker-lt"})["Instances"][0]
    assert templated["IamInstanceProfile"]["Arn"] == f"arn:aws:iam::{account}:instance-profile/worker-profile"
    bare = ec2.run_instances(**launch)["Instances"][0]["InstanceId"]
    ours = set(many) | {templated["InstanceId"], plain}

    # Describe: every launch with a profile has an association; filters; pages of at least 5.
    pages = list(ec2.get_paginator("describe_iam_instance_profile_associations").paginate(PaginationConfig={"PageSize": 5}))
    listed = [a for p in pages for a in p["IamInstanceProfileAssociations"]]
    assert len(pages) >= 2 and ours <= {a["InstanceId"] for a in listed}
    assert len({a["AssociationId"] for a in listed}) == len(listed)
    assert all(a["AssociationId"].startswith("iip-assoc-") and a["State"] == "associated" for a in listed)
    mine = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [many[0]]}])["IamInstanceProfileAssociations"]
    assert len(mine) == 1 and mine[0]["IamInstanceProfile"]["Arn"].endswith("instance-profile/worker-profile")
    assert ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "state", "Values": ["disassociating"]}])["IamInstanceProfileAssociations"] == []
    with pytest.raises(ClientError) as ei:
        ec2.describe_iam_instance_profile_associations(AssociationIds=["iip-assoc-0123456789abcdef0"])
    assert error_of(ei)[:2] == ("InvalidAssociationID.NotFound", "An invalid association-id of 'iip-assoc-0123456789abcdef0' was given")

    # Associate, replace, disassociate (boto3).
    with pytest.raises(ClientError) as ei:
        ec2.associate_iam_instance_profile(InstanceId=many[0], IamInstanceProfile={"Name": "worker-profile"})
    assert error_of(ei)[:2] == ("IncorrectState", f"There is an existing association for instance {many[0]}")
    with pytest.raises(ClientError) as ei:
        ec2.associate_iam_instance_profile(InstanceId=bare, IamInstanceProfile={"Name": "nope"})
    assert error_of(ei)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as ei:
        ec2.associate_iam_instance_profile(InstanceId="i-0123456789abcdef0", IamInstanceProfile={"Name": "worker-profile"})
    assert error_of(ei)[0] == "InvalidInstanceID.NotFound"
    new = ec2.associate_iam_instance_profile(InstanceId=bare, IamInstanceProfile={"Name": "worker-profile"})["IamInstanceProfileAssociation"]
    assert new["State"] == "associating" and new["InstanceId"] == bare
    assert root.describe_instances(InstanceIds=[bare])["Reservations"][0]["Instances"][0]["IamInstanceProfile"]["Arn"].endswith("/worker-profile")
    replaced = ec2.replace_iam_instance_profile_association(AssociationId=new["AssociationId"], IamInstanceProfile={"Name": "worker-profile-2"})
    assert replaced["IamInstanceProfileAssociation"]["AssociationId"] != new["AssociationId"]
    assert replaced["IamInstanceProfileAssociation"]["IamInstanceProfile"]["Arn"].endswith("/worker-profile-2")
    with pytest.raises(ClientError) as ei:
        ec2.disassociate_iam_instance_profile(AssociationId=new["AssociationId"])
    assert error_of(ei)[0] == "InvalidAssociationID.NotFound"
    gone = ec2.disassociate_iam_instance_profile(AssociationId=replaced["IamInstanceProfileAssociation"]["AssociationId"])
    assert gone["IamInstanceProfileAssociation"]["State"] == "disassociating"
    assert "IamInstanceProfile" not in root.describe_instances(InstanceIds=[bare])["Reservations"][0]["Instances"][0]

    # Without PassRole, associating a profile with a role is refused too.
    iam.delete_user_policy(UserName="launcher", PolicyName="pass")
    with pytest.raises(ClientError) as ei:
        ec2.associate_iam_instance_profile(InstanceId=bare, IamInstanceProfile={"Name": "worker-profile"})
    assert error_of(ei)[0] == "UnauthorizedOperation" and "iam:PassRole" in error_of(ei)[1]
    ec2.associate_iam_instance_profile(InstanceId=bare, IamInstanceProfile={"Name": "worker-profile-2"})
    root.terminate_instances(InstanceIds=[*ours, bare])
    # Terminated instances have no associations.
    left = {a["InstanceId"] for a in root.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]}
    assert not (left & (ours | {bare}))


def test_trust_policy_conditions_on_assume_role(server, iam, account):
    """sts:ExternalId and aws:PrincipalArn in a trust policy are evaluated by the policy evaluator."""
    key = new_user(iam, "partner")
    iam.put_user_policy(UserName="partner", PolicyName="assume", PolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    iam.create_role(RoleName="third-party", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "secret-42"}, "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{account}:user/partner"}}}))
    sts = client(server, "sts", key=key)
    arn = f"arn:aws:iam::{account}:role/third-party"
    for kwargs in ({}, {"ExternalId": "wrong-id"}):
        with pytest.raises(ClientError) as ei:
            sts.assume_role(RoleArn=arn, RoleSessionName="s1", **kwargs)
        assert error_of(ei)[0] == "AccessDenied"
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="secret-42")["AssumedRoleUser"]
    assert assumed["Arn"] == f"arn:aws:sts::{account}:assumed-role/third-party/s1"
    # Another principal of the account, with the right external id, is not the one the condition names.
    other = new_user(iam, "not-partner")
    iam.put_user_policy(UserName="not-partner", PolicyName="assume", PolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    with pytest.raises(ClientError) as ei:
        client(server, "sts", key=other).assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="secret-42")
    assert error_of(ei)[0] == "AccessDenied"


def test_account_summary_alias_password_policy_and_login_profiles(server, iam):
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["UsersQuota"] == 5000 and summary["Users"] >= 1 and summary["AccountMFAEnabled"] == 0
    iam.create_user(UserName="console-user")
    assert iam.get_account_summary()["SummaryMap"]["Users"] == summary["Users"] + 1

    assert iam.list_account_aliases()["AccountAliases"] == []
    with pytest.raises(ClientError) as ei:
        iam.create_account_alias(AccountAlias="Bad_Alias")
    assert error_of(ei)[0] == "ValidationError"
    iam.create_account_alias(AccountAlias="stratus-test")
    iam.create_account_alias(AccountAlias="stratus-test")  # the same alias again is fine
    with pytest.raises(ClientError) as ei:
        iam.create_account_alias(AccountAlias="another-alias")
    assert error_of(ei)[0] == "LimitExceeded"
    assert iam.list_account_aliases()["AccountAliases"] == ["stratus-test"]
    with pytest.raises(ClientError) as ei:
        iam.delete_account_alias(AccountAlias="another-alias")
    assert error_of(ei)[0] == "NoSuchEntity"
    iam.delete_account_alias(AccountAlias="stratus-test")

    with pytest.raises(ClientError) as ei:
        iam.get_account_password_policy()
    assert error_of(ei)[0] == "NoSuchEntity"
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, AllowUsersToChangePassword=True, MaxPasswordAge=90)
    pp = iam.get_account_password_policy()["PasswordPolicy"]
    assert pp["MinimumPasswordLength"] == 12 and pp["RequireNumbers"] and pp["ExpirePasswords"] and pp["MaxPasswordAge"] == 90
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName="console-user", Password="short1")
    assert error_of(ei)[0] == "PasswordPolicyViolation"
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName="console-user", Password="long-enough-but-no-digits")
    assert error_of(ei)[:2] == ("PasswordPolicyViolation", "Password should have at least one number")
    created = iam.create_login_profile(UserName="console-user", Password="correct-horse-42", PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == "console-user" and created["PasswordResetRequired"] is True
    with pytest.raises(ClientError) as ei:
        iam.create_login_profile(UserName="console-user", Password="correct-horse-42")
    assert error_of(ei)[0] == "EntityAlreadyExists"
    iam.update_login_profile(UserName="console-user", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="console-user")["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName="console-user")
    assert error_of(ei)[:2] == ("DeleteConflict", "Cannot delete entity, must delete login profile first.")
    iam.delete_login_profile(UserName="console-user")
    with pytest.raises(ClientError) as ei:
        iam.get_login_profile(UserName="console-user")
    assert error_of(ei)[:2] == ("NoSuchEntity", "Login Profile for User console-user cannot be found.")
    iam.delete_user(UserName="console-user")
    iam.delete_account_password_policy()


def test_service_linked_roles(server, iam, account):
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    trust = iam.get_role(RoleName="AWSServiceRoleForAutoScaling")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["Service"] == ["autoscaling.amazonaws.com"]
    with pytest.raises(ClientError) as ei:
        iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    assert error_of(ei)[0] == "InvalidInput"
    suffixed = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="fleet")["Role"]
    assert suffixed["RoleName"] == "AWSServiceRoleForAutoScaling_fleet"
    with pytest.raises(ClientError) as ei:
        iam.delete_role(RoleName="AWSServiceRoleForAutoScaling_fleet")
    assert error_of(ei)[0] == "UnmodifiableEntity"
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling_fleet")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_fleet/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as ei:
        iam.create_service_linked_role(AWSServiceName="nosuch.amazonaws.com")
    assert error_of(ei)[0] == "InvalidInput"
    # Elastic Load Balancing creates its role with the account's first load balancer.
    ec2 = client(server, "ec2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]][:2]
    elb = client(server, "elbv2")
    elb.create_load_balancer(Name="slr-check", Subnets=subnets)
    assert iam.get_role(RoleName="AWSServiceRoleForElasticLoadBalancing")["Role"]["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
