"""Real instances: the seed's Lab 1 end to end on the container and microVM runtimes.

`stratus serve --runtime <container|microvm>` boots real guests from the minimal image
(`stratus images build minimal`, in $STRATUS_IMAGE_DIR): the guest reads its metadata over
IMDSv2, runs its user-data once, and lets its owner in over SSH with the key pair. Everything
is checked from the host with curl and ssh, as a user would.

These tests need root, network namespaces, crun/QEMU and the built image; any of them missing
FAILS the tests (scripts/test.sh installs and builds what they need). KVM is not needed: the
microVM runtime falls back to TCG.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import ServerFactory, error_of, minimal_ami

RUNTIMES = [r for r in os.environ.get("STRATUS_E2E_RUNTIMES", "container,microvm").split(",") if r]
IMAGE_DIR = os.environ.get("STRATUS_IMAGE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "stratus", "images")

# Guests under TCG take a few seconds to boot; waits are generous, polls are quick.
BOOT_TIMEOUT = 180
HTTP_TIMEOUT = 120

USER_DATA = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
AZ=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone)
mkdir -p /var/www
echo "<h1>Hello from Stratus in $AZ</h1>" > /var/www/index.html
busybox httpd -p 80 -h /var/www
"""


def _require_host():
    problems = []
    if os.geteuid() != 0:
        problems.append("not root")
    for tool in ("ip", "nft", "ssh", "curl"):
        if shutil.which(tool) is None:
            problems.append(f"{tool} missing")
    if not os.path.exists(os.path.join(IMAGE_DIR, "minimal", "manifest.json")):
        problems.append(f"minimal image not built in {IMAGE_DIR} (run: stratus images build minimal)")
    if problems:
        pytest.fail("real-instance tests need: " + "; ".join(problems), pytrace=False)


@pytest.fixture(scope="module", params=RUNTIMES)
def real(request, stratus_binary, tmp_path_factory):
    """A server on a real runtime, with its own data dir; all guests are gone at teardown."""
    _require_host()
    runtime = request.param
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp(f"real-{runtime}")))
    srv = factory(name=f"stratus-{runtime}", extra_args=["--runtime", runtime, "--image-dir", IMAGE_DIR])
    srv.runtime = runtime
    try:
        yield srv
    finally:
        try:
            _terminate_all(srv)
        finally:
            factory.close()
            _assert_nothing_left(srv)


def _terminate_all(srv):
    if srv.proc is None or srv.proc.poll() is not None:
        return
    ec2 = srv.ec2()
    ids = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
           if i["State"]["Name"] != "terminated"]
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def _guest_processes(srv) -> list[int]:
    """PIDs of processes whose command line points into this server's data dir (qemu, dnsmasq, crun shims)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if srv.data_dir in cmd and int(pid) != (srv.pid or -1):
            found.append(int(pid))
    return found


def _netns() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def _assert_nothing_left(srv):
    deadline = time.monotonic() + 20
    while _guest_processes(srv) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = _guest_processes(srv)
    for pid in left:  # never leak into later tests; these are processes of this server
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not left, f"processes left behind by {srv.name}: {left}"


def _ssh(key_path: str, host: str, command: str, user: str = "ec2-user", timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-i", key_path, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", f"{user}@{host}", command],
        capture_output=True, text=True, timeout=timeout)


def _wait_ssh(key_path: str, host: str, timeout: float = BOOT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = _ssh(key_path, host, "true", timeout=20)
        if last.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(f"ssh to {host} never succeeded: {last.stderr if last else ''}")


def _http_get(url: str, timeout: float = 5) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as r:
        return r.read().decode()


def _wait_http(url: str, needle: str, timeout: float = HTTP_TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            body = _http_get(url)
            if needle in body:
                return body
            last = body
        except OSError as e:
            last = e
        time.sleep(1)
    raise AssertionError(f"{url} never served {needle!r} (last: {last!r})")


def _console(ec2, instance_id: str) -> str:
    out = ec2.get_console_output(InstanceId=instance_id, Latest=True).get("Output") or ""
    return out


def _describe(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_lab1_with_the_cli(real, tmp_path):
    """Seed Lab 1: key pair, security group, an instance whose user-data serves a page with the AZ
    it read from IMDS (with a token); `wait instance-running`; curl and ssh from the host."""
    key_path = str(tmp_path / "MyKeyPair.pem")
    material = real.cli("ec2", "create-key-pair", "--key-name", "MyKeyPair", "--query", "KeyMaterial", "--output", "text", check=True).stdout
    with open(key_path, "w") as f:
        f.write(material)
    os.chmod(key_path, 0o400)

    vpc_id = real.cli_json("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")["Vpcs"][0]["VpcId"]
    sg = real.cli_json("ec2", "create-security-group", "--group-name", "web-sg", "--description", "web and ssh", "--vpc-id", vpc_id)["GroupId"]
    for port in ("22", "80"):
        real.cli("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", port, "--cidr", "0.0.0.0/0", check=True)

    user_data = tmp_path / "user-data.sh"
    user_data.write_text(USER_DATA)
    ami = minimal_ami(real.ec2())
    run = real.cli_json("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--key-name", "MyKeyPair",
                        "--security-group-ids", sg, "--user-data", f"file://{user_data}",
                        "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=lab1}]")
    instance_id = run["Instances"][0]["InstanceId"]
    real.cli("ec2", "wait", "instance-running", "--instance-ids", instance_id, check=True, timeout=BOOT_TIMEOUT)

    described = real.cli_json("ec2", "describe-instances", "--instance-ids", instance_id)["Reservations"][0]["Instances"][0]
    public_ip, private_ip, az = described["PublicIpAddress"], described["PrivateIpAddress"], described["Placement"]["AvailabilityZone"]

    page = _wait_http(f"http://{public_ip}/", az)
    assert f"Hello from Stratus in {az}" in page

    _wait_ssh(key_path, public_ip)
    who = _ssh(key_path, public_ip, "id -un; hostname; cat /var/www/index.html")
    assert who.returncode == 0, who.stderr
    lines = who.stdout.split("\n")
    assert lines[0] == "ec2-user"
    assert lines[1] == "ip-" + private_ip.replace(".", "-")
    assert az in who.stdout

    console = _console(real.ec2(), instance_id)
    assert "stratus-init: userspace reached" in console
    status = real.cli_json("ec2", "describe-instance-status", "--instance-ids", instance_id)["InstanceStatuses"][0]
    assert status["InstanceStatus"]["Status"] == "ok", status
    assert status["SystemStatus"]["Status"] == "ok", status

    real.cli("ec2", "terminate-instances", "--instance-ids", instance_id, check=True)
    real.cli("ec2", "wait", "instance-terminated", "--instance-ids", instance_id, check=True, timeout=BOOT_TIMEOUT)
    with pytest.raises(OSError):
        _http_get(f"http://{public_ip}/", timeout=2)
