"""STS, IAM roles and Service Quotas with real clients: boto3, the aws CLI v1 (and v2 when installed).

Expiry of AssumeRole credentials needs the server's clock to move; the C# test
tests/Stratus.Sdk.Tests/StsClientTests.cs covers it with an injected clock.
"""
import json
import os
import shutil
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import FAST, error_of, minimal_ami

MOCK_BOOT_SECONDS = 0.2
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(server, service, region="us-east-1", credentials=None):
    creds = credentials or {"aws_access_key_id": server.credentials.access_key, "aws_secret_access_key": server.credentials.secret_key}
    return boto3.session.Session().client(service, region_name=region, endpoint_url=server.endpoint, config=NO_RETRY, **creds)


def trust(account):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def account(server):
    return client(server, "sts").get_caller_identity()["Account"]


# ---- STS -----------------------------------------------------------------------------------

def test_cli_v1_get_caller_identity(server, account):
    out = server.cli_json("--profile", "stratus", "sts", "get-caller-identity")
    assert out == {"UserId": account, "Account": account, "Arn": f"arn:aws:iam::{account}:root"}


def aws_cli_v2():
    """The aws CLI v2 (scripts/install-deps.sh installs Debian's awscli as /usr/bin/aws) and its version."""
    for path in ("/usr/bin/aws", "/usr/local/bin/aws", "/usr/local/aws-cli/v2/current/bin/aws"):
        if os.path.exists(path):
            p = subprocess.run([path, "--version"], capture_output=True, text=True)
            if p.stdout.startswith("aws-cli/2."):
                return path, tuple(int(x) for x in p.stdout.split()[0].split("/")[1].split(".")[:2])
    return None, None


def test_cli_v2_get_caller_identity(server, account):
    v2, version = aws_cli_v2()
    assert v2 is not None, "the aws CLI v2 is missing: scripts/install-deps.sh installs Debian's awscli (/usr/bin/aws)"
    # v2 reads endpoint_url from a profile only from 2.13 on (Debian 12 ships 2.9): older ones get it on the command line.
    endpoint = [] if version >= (2, 13) else ["--endpoint-url", server.endpoint]
    p = subprocess.run([v2, "--profile", "stratus", *endpoint, "sts", "get-caller-identity", "--output", "json"],
                       env=server.env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"] == f"arn:aws:iam::{account}:root"


def test_assume_role_credentials_work_for_ec2(server, account):
    iam = client(server, "iam")
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust(account), MaxSessionDuration=7200)
    # Role sessions may do what the role's policies allow.
    iam.attach_role_policy(RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
    sts = client(server, "sts")
    out = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="ci-run", DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/deployer/ci-run"
    session = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
               "aws_session_token": creds["SessionToken"]}
    who = client(server, "sts", credentials=session).get_caller_identity()
    assert who["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert who["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    assert client(server, "ec2", credentials=session).describe_vpcs()["Vpcs"]
    assert client(server, "sts").get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == account
    # The same key with an altered token is refused.
    forged = dict(session, aws_session_token=creds["SessionToken"][:-6] + "AAAAA=")
    with pytest.raises(ClientError) as ei:
        client(server, "ec2", credentials=forged).describe_vpcs()
    assert error_of(ei)[0] == "InvalidClientTokenId"


def test_assume_role_errors(server, account):
    iam = client(server, "iam")
    iam.create_role(RoleName="short", AssumeRolePolicyDocument=trust(account))
    sts = client(server, "sts")
    cases = [
        (dict(RoleArn=f"arn:aws:iam::{account}:role/none", RoleSessionName="s1"), "AccessDenied"),
        (dict(RoleArn=f"arn:aws:iam::{account}:role/short", RoleSessionName="s1", DurationSeconds=7200), "ValidationError"),
        (dict(RoleArn=f"arn:aws:iam::{account}:role/short", RoleSessionName="bad name"), "ValidationError"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as ei:
            sts.assume_role(**params)
        assert error_of(ei)[0] == code, params
    iam.update_assume_role_policy(RoleName="short", PolicyDocument=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    with pytest.raises(ClientError) as ei:
        sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/short", RoleSessionName="s1")
    assert error_of(ei)[0] == "AccessDenied"


def test_get_session_token(server, account):
    token = client(server, "sts").get_session_token(DurationSeconds=900)["Credentials"]
    session = {"aws_access_key_id": token["AccessKeyId"], "aws_secret_access_key": token["SecretAccessKey"],
               "aws_session_token": token["SessionToken"]}
    assert client(server, "sts", credentials=session).get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:root"


# ---- IAM roles -----------------------------------------------------------------------------

def test_iam_role_lifecycle(server, account):
    iam = client(server, "iam")
    role = iam.create_role(RoleName="web", Path="/app/", AssumeRolePolicyDocument=trust(account), Description="web tier",
                           Tags=[{"Key": "team", "Value": "web"}])["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account}:role/app/web"
    assert role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName="web")["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(trust(account))  # botocore URL-decodes and parses it
    assert got["Tags"] == [{"Key": "team", "Value": "web"}]
    with pytest.raises(ClientError) as ei:
        iam.create_role(RoleName="WEB", AssumeRolePolicyDocument=trust(account))
    assert error_of(ei)[:1] == ("EntityAlreadyExists",)
    with pytest.raises(ClientError) as ei:
        iam.create_role(RoleName="bad", AssumeRolePolicyDocument="{nope")
    assert error_of(ei)[0] == "MalformedPolicyDocument"
    iam.tag_role(RoleName="web", Tags=[{"Key": "env", "Value": "prod"}])
    assert {t["Key"] for t in iam.list_role_tags(RoleName="web")["Tags"]} == {"team", "env"}
    iam.untag_role(RoleName="web", TagKeys=["team"])
    assert iam.list_role_tags(RoleName="web")["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.delete_role(RoleName="web")
    with pytest.raises(ClientError) as ei:
        iam.get_role(RoleName="web")
    assert error_of(ei)[0] == "NoSuchEntity"


def test_list_roles_pages(server, account):
    iam = client(server, "iam")
    for i in range(5):
        iam.create_role(RoleName=f"paged-{i}", Path="/paged/", AssumeRolePolicyDocument=trust(account))
    first = iam.list_roles(PathPrefix="/paged/", MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == ["paged-0", "paged-1"] and first["IsTruncated"]
    names = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PathPrefix="/paged/", PaginationConfig={"PageSize": 2})
             for r in page["Roles"]]
    assert names == [f"paged-{i}" for i in range(5)]


# ---- Service Quotas ------------------------------------------------------------------------

def test_cli_get_service_quota(server, account):
    out = server.cli_json("--profile", "stratus", "service-quotas", "get-service-quota", "--service-code", "ec2", "--quota-code", "L-1216C47A")
    quota = out["Quota"]
    assert quota["QuotaName"] == "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
    assert quota["Value"] == 1152.0 and quota["Adjustable"] is True
    assert quota["QuotaArn"] == f"arn:aws:servicequotas:us-east-1:{account}:ec2/L-1216C47A"
    assert quota["UsageMetric"]["MetricDimensions"]["Class"] == "Standard/OnDemand"
    default = server.cli_json("--profile", "stratus", "service-quotas", "get-aws-default-service-quota", "--service-code", "ec2", "--quota-code", "L-1216C47A")
    assert default["Quota"]["Value"] == 5.0


def test_service_quota_lists_and_errors(server):
    sq = client(server, "service-quotas")
    assert {s["ServiceCode"] for s in sq.list_services()["Services"]} >= {"ec2", "vpc"}
    codes = [q["QuotaCode"] for page in sq.get_paginator("list_service_quotas").paginate(ServiceCode="ec2", PaginationConfig={"PageSize": 5})
             for q in page["Quotas"]]
    assert "L-1216C47A" in codes and "L-34B43A08" in codes and "L-0263D0A3" in codes and len(codes) == len(set(codes))
    for params in (dict(ServiceCode="ec2", QuotaCode="L-00000000"), dict(ServiceCode="nosuch", QuotaCode="L-1216C47A")):
        with pytest.raises(ClientError) as ei:
            sq.get_service_quota(**params)
        assert error_of(ei)[0] == "NoSuchResourceException"
    with pytest.raises(ClientError) as ei:
        sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-0263D0A3", DesiredValue=1)
    assert error_of(ei)[0] == "IllegalArgumentException"


def test_quota_increase_lets_run_instances_go_further(server, account):
    ec2 = client(server, "ec2", region="eu-west-1")
    sq = client(server, "service-quotas", region="eu-west-1")
    # Lower the standard on-demand quota of eu-west-1 to 2 vCPUs with the stratus CLI (the server runs meanwhile).
    p = subprocess.run([server.binary, "quotas", "set", "L-1216C47A", "2", "--data-dir", server.data_dir, "--region", "eu-west-1"],
                       env=server.env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 2.0
    ami = minimal_ami(ec2)
    first = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"]  # 2 vCPUs
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    code, message, _ = error_of(ei)
    assert code == "VcpuLimitExceeded" and "current vCPU limit of 2 allows" in message

    change = sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=6)["RequestedQuota"]
    assert change["Status"] == "APPROVED" and change["DesiredValue"] == 6.0
    assert change["Requester"] == f"arn:aws:iam::{account}:root"
    more = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=2, MaxCount=2)["Instances"]  # 2 + 4 = 6 vCPUs
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    assert error_of(ei)[0] == "VcpuLimitExceeded"
    history = sq.list_requested_service_quota_change_history_by_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["RequestedQuotas"]
    assert [h["Id"] for h in history] == [change["Id"]]
    assert sq.get_requested_service_quota_change(RequestId=change["Id"])["RequestedQuota"]["Status"] == "APPROVED"

    # A stopped instance frees its vCPUs; starting it again needs them back.
    ids = [i["InstanceId"] for i in first + more]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=FAST)
    ec2.stop_instances(InstanceIds=ids[:1])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=ids[:1], WaiterConfig=FAST)
    spare = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"]
    with pytest.raises(ClientError) as ei:
        ec2.start_instances(InstanceIds=ids[:1])
    assert error_of(ei)[0] == "VcpuLimitExceeded"
    ec2.terminate_instances(InstanceIds=ids + [spare[0]["InstanceId"]])
