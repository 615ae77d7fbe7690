"""Instance role credentials on a real guest (container runtime).

A role that EC2 may assume with an inline policy allowing ec2:Describe*, an instance profile
holding it, an instance launched with the profile. Inside the guest, curl reads an IMDSv2 token
and then iam/security-credentials/<role>; on the host, boto3 with those credentials is the
assumed role <role>/<instance-id> to STS, may describe instances and may not terminate them; once
the instance is terminated, the same credentials are refused. Needs root, crun and the minimal
image; anything missing FAILS the test.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, error_of
from guests import GuestLab, guest_server

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
IMDS = "http://169.254.169.254/latest"


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "iam-guests") as server:
        yield server


def _as(srv, service, creds):
    return boto3.session.Session().client(service, region_name="us-east-1", endpoint_url=srv.endpoint, config=NO_RETRY,
                                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                          aws_session_token=creds["Token"])


def test_role_credentials_read_in_the_guest_act_as_the_role_until_terminate(srv, tmp_path):
    ec2 = srv.ec2()
    root = dict(region_name="us-east-1", endpoint_url=srv.endpoint, config=NO_RETRY,
                aws_access_key_id=srv.credentials.access_key, aws_secret_access_key=srv.credentials.secret_key)
    iam = boto3.session.Session().client("iam", **root)
    account = boto3.session.Session().client("sts", **root).get_caller_identity()["Account"]
    iam.create_role(RoleName="guest-reader", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="guest-reader", PolicyName="describe", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))
    profile = iam.create_instance_profile(InstanceProfileName="guest-reader-profile")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="guest-reader-profile", RoleName="guest-reader")

    lab = GuestLab(srv, tmp_path, key_name="iam-guest", ec2=ec2)
    sg = lab.ssh_group("iam-ssh", description="ssh")
    guest = lab.launch(SecurityGroupIds=[sg], IamInstanceProfile={"Name": "guest-reader-profile"}, MetadataOptions={"HttpTokens": "required"})
    iid, host = guest["InstanceId"], guest["PublicIpAddress"]

    # Inside the guest: an IMDSv2 token, the role's name, its credentials and the profile.
    script = (f"T=$(curl -sf -X PUT {IMDS}/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') && "
              f"R=$(curl -sf -H \"X-aws-ec2-metadata-token: $T\" {IMDS}/meta-data/iam/security-credentials/) && echo \"$R\" && "
              f"curl -sf -H \"X-aws-ec2-metadata-token: $T\" {IMDS}/meta-data/iam/security-credentials/$R && echo && "
              f"curl -sf -H \"X-aws-ec2-metadata-token: $T\" {IMDS}/meta-data/iam/info && echo && "
              f"curl -s -o /dev/null -w '%{{http_code}}' {IMDS}/meta-data/iam/security-credentials/$R")
    r = lab.ssh(host, script)
    assert r.returncode == 0, f"reading the credentials in the guest failed: {r.stdout}{r.stderr}"
    role, rest = r.stdout.split("\n", 1)
    assert role == "guest-reader"
    decoder = json.JSONDecoder()
    creds, end = decoder.raw_decode(rest)
    info, end2 = decoder.raw_decode(rest[end:].lstrip())
    assert rest[end:].lstrip()[end2:].strip() == "401"  # IMDSv1 is refused: the instance requires tokens
    assert creds["Code"] == "Success" and creds["Type"] == "AWS-HMAC" and creds["AccessKeyId"].startswith("ASIA")
    assert info["InstanceProfileArn"] == profile["Arn"] and info["InstanceProfileId"] == profile["InstanceProfileId"]

    # On the host, with the guest's credentials: the assumed role, Describe* allowed, terminate denied.
    who = _as(srv, "sts", creds).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{account}:assumed-role/guest-reader/{iid}"
    assert who["Account"] == account
    as_role = _as(srv, "ec2", creds)
    assert as_role.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["InstanceId"] == iid
    with pytest.raises(ClientError) as ei:
        as_role.terminate_instances(InstanceIds=[iid])
    code, message, status = error_of(ei)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert f"assumed-role/guest-reader/{iid} is not authorized to perform: ec2:TerminateInstances" in message
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"

    # Terminated by its owner: the same credentials stand for nobody.
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    with pytest.raises(ClientError) as ei:
        as_role.describe_instances()
    assert error_of(ei)[:2] == ("InvalidClientTokenId", "The security token included in the request is invalid.")
    with pytest.raises(ClientError) as ei:
        _as(srv, "sts", creds).get_caller_identity()
    assert error_of(ei)[0] == "InvalidClientTokenId"
