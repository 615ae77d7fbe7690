"""Root volume replacement on the container runtime: a file written to the root disk of a running
guest is gone once the root volume is restored to its launch state, while the instance keeps its
id and addresses and its instance store keeps its data. Needs root, network namespaces, crun and
the built minimal image; any of them missing FAILS the test."""

from __future__ import annotations

import time

import pytest

from conftest import GUESTS_GROUP
from guests import BOOT_TIMEOUT, guest_server
from test_real_instances import _launch, keyed  # noqa: F401 (keyed: the fixture, a key pair and a group open to SSH and HTTP)

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

# The marker is written once (should user-data run again on the new root, it keeps the first one).
MARKER_USER_DATA = """#!/bin/sh
[ -e /media/ephemeral0/marker ] || cat /proc/sys/kernel/random/uuid > /media/ephemeral0/marker
"""


@pytest.fixture(scope="module")
def real(stratus_binary, tmp_path_factory):
    """A server on the container runtime; all guests are gone at teardown."""
    with guest_server(stratus_binary, tmp_path_factory, "replace-root-container") as srv:
        yield srv


def test_replacing_the_root_volume_restores_the_launch_state(keyed):
    ec2 = keyed.ec2
    before = _launch(keyed, MARKER_USER_DATA, instance_type="i3.large")
    iid, host = before["InstanceId"], before["PublicIpAddress"]
    deadline = time.monotonic() + 60
    while not (marker := keyed.ssh(host, "cat /media/ephemeral0/marker").stdout.strip()):
        assert time.monotonic() < deadline, "user-data never wrote the instance-store marker"
        time.sleep(1)
    wrote = keyed.ssh(host, "echo root-disk > ~/witness && sync && cat ~/witness")
    assert wrote.stdout.strip() == "root-disk", wrote.stderr

    task = ec2.create_replace_root_volume_task(InstanceId=iid)["ReplaceRootVolumeTask"]["ReplaceRootVolumeTaskId"]
    deadline = time.monotonic() + BOOT_TIMEOUT
    while (state := ec2.describe_replace_root_volume_tasks(ReplaceRootVolumeTaskIds=[task])["ReplaceRootVolumeTasks"][0]["TaskState"]) \
            not in ("succeeded", "failed", "failed-detached"):
        assert time.monotonic() < deadline, f"task {task} still {state}"
        time.sleep(1)
    assert state == "succeeded"

    after = keyed.describe(iid)
    assert after["State"]["Name"] == "running"
    assert (after["PrivateIpAddress"], after["PublicIpAddress"]) == (before["PrivateIpAddress"], host)
    keyed.wait_ssh(host)
    gone = keyed.ssh(host, "test -e ~/witness && echo present || echo gone")
    assert gone.stdout.strip() == "gone", gone.stdout + gone.stderr
    # The instance store is not the root volume: its data stays.
    assert keyed.ssh(host, "cat /media/ephemeral0/marker").stdout.strip() == marker
