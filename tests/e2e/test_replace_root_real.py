"""Root volume replacement on the container runtime: a file written to the root disk of a running
guest is gone once the root volume is restored to its launch state, while the instance keeps its
id and addresses and its instance store keeps its data. Needs root, network namespaces, crun and
the built minimal image; any of them missing FAILS the test."""

from __future__ import annotations

import time

import pytest

from conftest import GUESTS_GROUP, ServerFactory
from test_real_instances import BOOT_TIMEOUT, IMAGE_DIR, _describe, _require_host, _ssh, _terminate_all, _wait_ssh, keyed  # noqa: F401

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

# The marker is written once (should user-data run again on the new root, it keeps the first one).
MARKER_USER_DATA = """#!/bin/sh
[ -e /media/ephemeral0/marker ] || cat /proc/sys/kernel/random/uuid > /media/ephemeral0/marker
"""


@pytest.fixture(scope="module")
def real(stratus_binary, tmp_path_factory):
    """A server on the container runtime; all guests are gone at teardown."""
    _require_host()
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("replace-root-container")))
    srv = factory(name="stratus-container", extra_args=["--runtime", "container", "--image-dir", IMAGE_DIR])
    srv.runtime = "container"
    try:
        yield srv
    finally:
        try:
            _terminate_all(srv)
        finally:
            factory.close()


def test_replacing_the_root_volume_restores_the_launch_state(keyed):
    ec2, key_name, key_path, ami = keyed
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["ssh-http"]}])["SecurityGroups"]
    iid = ec2.run_instances(ImageId=ami, InstanceType="i3.large", MinCount=1, MaxCount=1, KeyName=key_name, UserData=MARKER_USER_DATA,
                            SecurityGroupIds=[groups[0]["GroupId"]])["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
    before = _describe(ec2, iid)
    host = before["PublicIpAddress"]
    _wait_ssh(key_path, host)
    deadline = time.monotonic() + 60
    while not (marker := _ssh(key_path, host, "cat /media/ephemeral0/marker").stdout.strip()):
        assert time.monotonic() < deadline, "user-data never wrote the instance-store marker"
        time.sleep(1)
    wrote = _ssh(key_path, host, "echo root-disk > ~/witness && sync && cat ~/witness")
    assert wrote.stdout.strip() == "root-disk", wrote.stderr

    task = ec2.create_replace_root_volume_task(InstanceId=iid)["ReplaceRootVolumeTask"]["ReplaceRootVolumeTaskId"]
    deadline = time.monotonic() + BOOT_TIMEOUT
    while (state := ec2.describe_replace_root_volume_tasks(ReplaceRootVolumeTaskIds=[task])["ReplaceRootVolumeTasks"][0]["TaskState"]) \
            not in ("succeeded", "failed", "failed-detached"):
        assert time.monotonic() < deadline, f"task {task} still {state}"
        time.sleep(1)
    assert state == "succeeded"

    after = _describe(ec2, iid)
    assert after["State"]["Name"] == "running"
    assert (after["PrivateIpAddress"], after["PublicIpAddress"]) == (before["PrivateIpAddress"], host)
    _wait_ssh(key_path, host)
    gone = _ssh(key_path, host, "test -e ~/witness && echo present || echo gone")
    assert gone.stdout.strip() == "gone", gone.stdout + gone.stderr
    # The instance store is not the root volume: its data stays.
    assert _ssh(key_path, host, "cat /media/ephemeral0/marker").stdout.strip() == marker
