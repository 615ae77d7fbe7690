"""The debian-12 image: real cloud-init reads Stratus's IMDS and runs a multipart MIME user-data.

An instance of the debian-12 AMI (Debian bookworm, cloud-init with the EC2 datasource, login user
`admin`), once as a microVM and once as a system container, gets a multipart user-data with a
`#cloud-config` part and a shell-script part; after boot, `cloud-init status` reports done, both
parts' effects are on disk, the key pair opens SSH, and the console shows the host key
fingerprints. cloud-init under TCG takes up to a couple of minutes to finish.

Needs root, QEMU and the debian-12 image (`stratus images build debian-12`); missing pieces FAIL.
"""

from __future__ import annotations

import os
import time
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from conftest import GUESTS_GROUP, ServerFactory
from guests import IMAGE_DIR, GuestLab, ssh
from test_real_instances import RUNTIMES, _describe

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

DEBIAN_BOOT_TIMEOUT = 600

CLOUD_CONFIG = """#cloud-config
write_files:
  - path: /etc/stratus-cloud-config
    content: "written by cloud-config\\n"
runcmd:
  - [ sh, -c, "echo runcmd ran > /etc/stratus-runcmd" ]
"""

SHELL_PART = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone > /etc/stratus-shell-part
"""


def _multipart() -> str:
    msg = MIMEMultipart()
    msg.attach(MIMEText(CLOUD_CONFIG, "cloud-config"))
    msg.attach(MIMEText(SHELL_PART, "x-shellscript"))
    return msg.as_string()


@pytest.fixture(scope="module", params=RUNTIMES)
def debian_server(request, stratus_binary, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("cloud-init tests need root", pytrace=False)
    if not os.path.exists(os.path.join(IMAGE_DIR, "debian-12", "manifest.json")):
        pytest.fail(f"debian-12 image not built in {IMAGE_DIR} (run: stratus images build debian-12)", pytrace=False)
    runtime = request.param
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp(f"cloud-init-{runtime}")))
    try:
        yield factory(name=f"stratus-debian-{runtime}", extra_args=["--runtime", runtime, "--image-dir", IMAGE_DIR])
    finally:
        factory.close()


def test_cloud_init_runs_multipart_user_data(debian_server, tmp_path):
    guests = GuestLab(debian_server, tmp_path, key_name="debian")
    ec2, key_path = guests.ec2, guests.key_path
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["debian-12-amd64-*"]}])["Images"][0]["ImageId"]
    # Security groups are enforced: the host (an outside address) needs an SSH rule, as on AWS.
    sg = guests.ssh_group("ssh", description="ssh from anywhere")
    iid = guests.run_instances(instance_type="t3.small", ImageId=ami, SecurityGroupIds=[sg], UserData=_multipart())[0]
    try:
        # cloud-init only uses IMDSv2 where DMI says AWS; the debian-12 AMI leaves IMDSv1 on.
        assert _describe(ec2, iid)["MetadataOptions"]["HttpTokens"] == "optional"
        ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 2, "MaxAttempts": 150})
        inst = _describe(ec2, iid)
        host = inst["PublicIpAddress"]
        deadline = time.monotonic() + DEBIAN_BOOT_TIMEOUT
        status = None
        while time.monotonic() < deadline:
            r = ssh(key_path, host, "cloud-init status", user="admin", timeout=60)
            status = r.stdout + r.stderr
            if r.returncode == 0 and "status: done" in r.stdout:
                break
            time.sleep(5)
        assert status is not None and "status: done" in status, f"cloud-init did not finish: {status}\n{ec2.get_console_output(InstanceId=iid).get('Output', '')[-3000:]}"
        files = ssh(key_path, host, "cat /etc/stratus-cloud-config /etc/stratus-runcmd /etc/stratus-shell-part", user="admin")
        assert files.returncode == 0, files.stderr
        assert "written by cloud-config" in files.stdout
        assert "runcmd ran" in files.stdout
        assert inst["Placement"]["AvailabilityZone"] in files.stdout
        datasource = ssh(key_path, host, "cat /run/cloud-init/status.json", user="admin").stdout
        assert "Ec2" in datasource or "ec2" in datasource.lower()
        # As on EC2, the host key fingerprints are on the console for the owner to check.
        console = ec2.get_console_output(InstanceId=iid).get("Output", "")
        assert "BEGIN SSH HOST KEY FINGERPRINTS" in console, console[-3000:]
        assert "stratus-init: userspace reached" in console
    finally:
        ec2.terminate_instances(InstanceIds=[iid])
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig={"Delay": 2, "MaxAttempts": 60})
