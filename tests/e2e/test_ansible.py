"""Ansible's amazon.aws collection against Stratus: a playbook (tests/e2e/ansible/ec2.yml) of
ec2_vpc_net, ec2_vpc_subnet, ec2_vpc_igw, ec2_vpc_route_table, ec2_security_group, ec2_key,
ec2_instance, ec2_vol, ec2_snapshot, ec2_ami and ec2_eip runs `state=present` twice (the second run
changes nothing), then `state=absent` twice (the second run changes nothing), and boto3 checks
that what the playbook made exists in between and that nothing of it is left at the end.

Ansible is Debian's `ansible` package (ansible-core with the amazon.aws collection; installed by
scripts/install-deps.sh); its modules run under /usr/bin/python3 with Debian's boto3. A missing
ansible-playbook or collection fails the test (no skip). Runs on the mock runtime.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import tags_dict

MOCK_BOOT_SECONDS = 0.5
PLAYBOOK = os.path.join(os.path.dirname(__file__), "ansible", "ec2.yml")
PREFIX = "stratus-ansible"
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def ansible_playbook() -> str:
    path = shutil.which("ansible-playbook")
    if not path:
        pytest.fail("ansible-playbook is not on PATH (Debian's `ansible` package; scripts/install-deps.sh installs it)",
                    pytrace=False)
    return path


def run_playbook(server, state: str, tmp_path) -> dict:
    """Runs the playbook with `state`; returns the recap (ok/changed/failed) and the output."""
    creds = server.credentials
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update({
        "HOME": str(tmp_path),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    })
    extra = {"state": state, "endpoint_url": server.endpoint,
             "access_key": creds.access_key, "secret_key": creds.secret_key}
    p = subprocess.run([ansible_playbook(), "-i", "localhost,", PLAYBOOK, "-e", json.dumps(extra)],
                       env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    m = RECAP.search(p.stdout)
    assert p.returncode == 0 and m, f"ansible-playbook state={state} exited {p.returncode}\n{out[-8000:]}"
    ok, changed, unreachable, failed = map(int, m.groups())
    assert failed == 0 and unreachable == 0, out[-8000:]
    return {"ok": ok, "changed": changed, "output": out}


def changed_tasks(output: str) -> list[str]:
    """The task names whose result was `changed` (from the default callback's output)."""
    names, current = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            current = line[6:line.rfind("]")]
        elif line.startswith("changed:") and current and current not in names:
            names.append(current)
    return names


@pytest.fixture(scope="module")
def collection():
    p = subprocess.run(["ansible-galaxy", "collection", "list", "amazon.aws"], capture_output=True, text=True,
                       env={**os.environ, "ANSIBLE_NOCOLOR": "1"}, timeout=120)
    assert p.returncode == 0 and "amazon.aws" in p.stdout, \
        f"the amazon.aws collection is missing (Debian's `ansible` package ships it):\n{p.stdout}{p.stderr}"


def vpcs_named(ec2):
    return ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [PREFIX]}])["Vpcs"]


def test_playbook_present_twice_then_absent_twice(server, ec2, collection, tmp_path):
    first = run_playbook(server, "present", tmp_path)
    assert first["changed"] >= 11, changed_tasks(first["output"])

    # What the playbook made, as boto3 sees it.
    [vpc] = vpcs_named(ec2)
    assert vpc["CidrBlock"] == "10.42.0.0/16" and tags_dict(vpc)["Purpose"] == "e2e"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.42.1.0/24", "10.42.2.0/24"]
    public = next(s for s in subnets if s["CidrBlock"] == "10.42.1.0/24")
    assert public["MapPublicIpOnLaunch"] is True
    [igw] = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
    [table] = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-public"]}])["RouteTables"]
    assert {a.get("SubnetId") for a in table["Associations"]} == {public["SubnetId"]}
    assert any(r.get("GatewayId") == igw["InternetGatewayId"] and r["DestinationCidrBlock"] == "0.0.0.0/0" for r in table["Routes"])
    [group] = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{PREFIX}-web"]}])["SecurityGroups"]
    ingress = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")) for p in group["IpPermissions"]}
    assert ingress == {("tcp", 22, 22), ("tcp", 80, 80), ("tcp", 8080, 8090)}
    ec2.describe_key_pairs(KeyNames=[PREFIX])
    [reservation] = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [PREFIX]},
                                                    {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
    [instance] = reservation["Instances"]
    assert instance["KeyName"] == PREFIX and instance["VpcId"] == ec2.describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    user_data = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")["UserData"]["Value"]
    assert user_data  # base64 of the playbook's script
    [volume] = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-data"]}])["Volumes"]
    assert volume["Size"] == 1 and volume["VolumeType"] == "gp3"
    [snapshot] = ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [volume["VolumeId"]]}])["Snapshots"]
    [image] = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [f"{PREFIX}-image"]}])["Images"]
    assert image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == snapshot["SnapshotId"]
    [address] = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [instance["InstanceId"]]}])["Addresses"]

    second = run_playbook(server, "present", tmp_path)
    assert second["changed"] == 0, changed_tasks(second["output"])
    assert len(vpcs_named(ec2)) == 1

    third = run_playbook(server, "absent", tmp_path)
    assert third["changed"] >= 11, changed_tasks(third["output"])
    fourth = run_playbook(server, "absent", tmp_path)
    assert fourth["changed"] == 0, changed_tasks(fourth["output"])

    # Nothing of it is left.
    assert not vpcs_named(ec2)
    assert not ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.42.1.0/24", "10.42.2.0/24"]}])["Subnets"]
    assert not ec2.describe_internet_gateways(Filters=[{"Name": "internet-gateway-id", "Values": [igw["InternetGatewayId"]]}])["InternetGateways"]
    assert not ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-public"]}])["RouteTables"]
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{PREFIX}-web"]}])["SecurityGroups"]
    assert not ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [PREFIX]}])["KeyPairs"]
    live = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [PREFIX]},
                                          {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
    assert not live["Reservations"]
    assert not ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-data"]}])["Volumes"]
    assert not ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "snapshot-id", "Values": [snapshot["SnapshotId"]]}])["Snapshots"]
    assert not [i for i in ec2.describe_images(Owners=["self"])["Images"] if i["State"] != "deregistered"]
    assert not ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [address["AllocationId"]]}])["Addresses"]
