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

import os
import re
import subprocess
import time
import urllib.request

import pytest

import guests
from conftest import GUESTS_GROUP, minimal_ami
from guests import BOOT_TIMEOUT, HTTP_TIMEOUT, GuestLab, guest_server

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

RUNTIMES = [r for r in os.environ.get("STRATUS_E2E_RUNTIMES", "container,microvm").split(",") if r]

USER_DATA = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
AZ=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone)
mkdir -p /var/www
echo "<h1>Hello from Stratus in $AZ</h1>" > /var/www/index.html
busybox httpd -p 80 -h /var/www
"""

@pytest.fixture(scope="module", params=RUNTIMES)
def real(request, stratus_binary, tmp_path_factory):
    """A server on a real runtime, with its own data dir; all guests are gone at teardown."""
    runtime = request.param
    with guest_server(stratus_binary, tmp_path_factory, runtime, runtime=runtime) as srv:
        yield srv


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
    material = real.cli("--profile", "stratus", "ec2", "create-key-pair", "--key-name", "MyKeyPair", "--query", "KeyMaterial", "--output", "text", check=True).stdout
    with open(key_path, "w") as f:
        f.write(material)
    os.chmod(key_path, 0o400)

    vpc_id = real.cli_json("--profile", "stratus", "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")["Vpcs"][0]["VpcId"]
    sg = real.cli_json("--profile", "stratus", "ec2", "create-security-group", "--group-name", "web-sg", "--description", "web and ssh", "--vpc-id", vpc_id)["GroupId"]
    for port in ("22", "80"):
        real.cli("--profile", "stratus", "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", port, "--cidr", "0.0.0.0/0", check=True)

    user_data = tmp_path / "user-data.sh"
    user_data.write_text(USER_DATA)
    ami = minimal_ami(real.ec2())
    run = real.cli_json("--profile", "stratus", "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--key-name", "MyKeyPair",
                        "--security-group-ids", sg, "--user-data", f"file://{user_data}",
                        "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=lab1}]")
    instance_id = run["Instances"][0]["InstanceId"]
    real.cli("--profile", "stratus", "ec2", "wait", "instance-running", "--instance-ids", instance_id, check=True, timeout=BOOT_TIMEOUT)

    described = real.cli_json("--profile", "stratus", "ec2", "describe-instances", "--instance-ids", instance_id)["Reservations"][0]["Instances"][0]
    public_ip, private_ip, az = described["PublicIpAddress"], described["PrivateIpAddress"], described["Placement"]["AvailabilityZone"]

    page = _wait_http(f"http://{public_ip}/", az)
    assert f"Hello from Stratus in {az}" in page

    guests.wait_ssh(key_path, public_ip)
    who = guests.ssh(key_path, public_ip, "id -un; hostname; cat /var/www/index.html")
    assert who.returncode == 0, who.stderr
    lines = who.stdout.split("\n")
    assert lines[0] == "ec2-user"
    assert lines[1] == "ip-" + private_ip.replace(".", "-")
    assert az in who.stdout

    console = _console(real.ec2(), instance_id)
    assert "stratus-init: userspace reached" in console
    status = real.cli_json("--profile", "stratus", "ec2", "describe-instance-status", "--instance-ids", instance_id)["InstanceStatuses"][0]
    assert status["InstanceStatus"]["Status"] == "ok", status
    assert status["SystemStatus"]["Status"] == "ok", status

    real.cli("--profile", "stratus", "ec2", "terminate-instances", "--instance-ids", instance_id, check=True)
    real.cli("--profile", "stratus", "ec2", "wait", "instance-terminated", "--instance-ids", instance_id, check=True, timeout=BOOT_TIMEOUT)
    with pytest.raises(OSError):
        _http_get(f"http://{public_ip}/", timeout=2)


# --------------------------------------------------------------------------------------------
# Shared launch helpers for the tests below (boto3)
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keyed(real, tmp_path_factory) -> GuestLab:
    """The module server's key pair and minimal image; instances get a group open to SSH and HTTP."""
    lab = GuestLab(real, tmp_path_factory.mktemp("keys"))
    # Security groups are enforced: the host reaches guests' public addresses only through rules.
    lab.sg = lab.ssh_group("ssh-http", ports=(22, 80), description="ssh and http from anywhere")
    return lab


def _launch(keyed: GuestLab, user_data: str = "", instance_type: str = "t3.micro", **kwargs) -> dict:
    kwargs.setdefault("SecurityGroupIds", [keyed.sg])
    return keyed.launch(instance_type, user_data, **kwargs)


IMDS = "http://169.254.169.254"


def _curl_status(keyed: GuestLab, inst, args: str) -> str:
    """HTTP status of a curl run inside the guest."""
    return keyed.run(inst, f"curl -s -o /dev/null -w '%{{http_code}}' {args}").strip()


def test_imds_from_inside_the_guest(real, keyed):
    ec2 = keyed.ec2
    a = _launch(keyed)
    b = _launch(keyed)
    try:
        token_cmd = f"curl -s -X PUT {IMDS}/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60'"
        # v2: a token, then reads with it
        ident = keyed.run(a, f"T=$({token_cmd}); curl -s -H \"X-aws-ec2-metadata-token: $T\" {IMDS}/latest/meta-data/instance-id")
        assert ident == a["InstanceId"]
        # TTL bounds
        for ttl, expected in (("0", "400"), ("21601", "400"), ("abc", "400"), ("1", "200"), ("21600", "200")):
            assert _curl_status(keyed, a, f"-X PUT {IMDS}/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: {ttl}'") == expected, ttl
        # X-Forwarded-For on the token PUT is refused
        assert _curl_status(keyed, a, f"-X PUT {IMDS}/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' -H 'X-Forwarded-For: 1.2.3.4'") == "403"
        # v1 follows HttpTokens
        ec2.modify_instance_metadata_options(InstanceId=a["InstanceId"], HttpTokens="required")
        assert _curl_status(keyed, a, f"{IMDS}/latest/meta-data/instance-id") == "401"
        ec2.modify_instance_metadata_options(InstanceId=a["InstanceId"], HttpTokens="optional")
        assert keyed.run(a, f"curl -s {IMDS}/latest/meta-data/instance-id") == a["InstanceId"]
        # one instance cannot use another's token, and sees only its own metadata
        token_b = keyed.run(b, token_cmd).strip()
        assert _curl_status(keyed, a, f"-H 'X-aws-ec2-metadata-token: {token_b}' {IMDS}/latest/meta-data/instance-id") == "401"
        assert keyed.run(b, f"curl -s -H 'X-aws-ec2-metadata-token: {token_b}' {IMDS}/latest/meta-data/local-ipv4") == b["PrivateIpAddress"]
        # the key pair and user-data as the guest sees them
        assert keyed.run(a, f"curl -s {IMDS}/latest/meta-data/public-keys/0/openssh-key").startswith("ssh-rsa ")
        # disabled endpoint: nothing answers
        ec2.modify_instance_metadata_options(InstanceId=a["InstanceId"], HttpEndpoint="disabled")
        assert _curl_status(keyed, a, f"-m 5 {IMDS}/latest/meta-data/instance-id") != "200"
    finally:
        keyed.terminate(a, b)


def _vpc_netns(srv, private_ip: str) -> str:
    """The host namespace of the server's VPC the guest is plugged into (its bridge routes to the guest's subnet)."""
    for ns in sorted(guests.own_netns(srv)):
        if not ns.startswith("stx-"):
            continue
        out = subprocess.run(["ip", "netns", "exec", ns, "ip", "-4", "route", "get", private_ip],
                             capture_output=True, text=True).stdout
        if " dev br0 " in out:
            return ns
    raise AssertionError(f"no VPC namespace routes {private_ip}")


def test_hop_limit_is_the_ttl_of_the_token_response(real, keyed):
    """The token response leaves the VPC's router towards the guest with IP TTL =
    HttpPutResponseHopLimit, so it reaches the guest itself but not a container or VM behind it.
    Observed with an nftables counter on the VPC bridge, after the last routed hop."""
    ec2 = keyed.ec2
    inst = _launch(keyed)
    try:
        ns = _vpc_netns(real, inst["PrivateIpAddress"])
        for hops in (1, 3):
            ec2.modify_instance_metadata_options(InstanceId=inst["InstanceId"], HttpPutResponseHopLimit=hops)
            table = f"stratus_e2e_ttl{hops}"
            rules = (f"add table bridge {table}; add chain bridge {table} out {{ type filter hook output priority 0; }}; "
                     f"add rule bridge {table} out ip saddr 169.254.169.254 ip daddr {inst['PrivateIpAddress']} tcp sport 80 ip ttl {hops} counter")
            subprocess.run(["ip", "netns", "exec", ns, "nft", rules], check=True)
            try:
                keyed.run(inst, f"curl -s -X PUT {IMDS}/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' >/dev/null")
                listing = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "table", "bridge", table],
                                         capture_output=True, text=True, check=True).stdout
                packets = int(re.search(r"counter packets (\d+)", listing).group(1))
                assert packets >= 1, f"no token response left for the guest with TTL {hops}:\n{listing}"
            finally:
                subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", table])
    finally:
        keyed.terminate(inst)


STORE_USER_DATA = """#!/bin/sh
echo ephemeral > /media/ephemeral0/marker
echo ebs > /var/lib/ebs-marker
"""


def test_stop_start_keeps_ebs_loses_instance_store(real, keyed):
    ec2 = keyed.ec2
    inst = _launch(keyed, STORE_USER_DATA, instance_type="i3.large")
    try:
        deadline = time.monotonic() + HTTP_TIMEOUT
        while "ephemeral" not in keyed.ssh(inst["PublicIpAddress"], "cat /media/ephemeral0/marker").stdout:
            assert time.monotonic() < deadline, "user-data never wrote the instance-store marker"
            time.sleep(1)
        assert keyed.run(inst, "cat /var/lib/ebs-marker").strip() == "ebs"

        ec2.stop_instances(InstanceIds=[inst["InstanceId"]])
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[inst["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        ec2.start_instances(InstanceIds=[inst["InstanceId"]])
        ec2.get_waiter("instance_running").wait(InstanceIds=[inst["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
        after = _describe(ec2, inst["InstanceId"])
        assert after["PrivateIpAddress"] == inst["PrivateIpAddress"]
        assert after["PublicIpAddress"] != inst["PublicIpAddress"]
        keyed.wait_ssh(after["PublicIpAddress"])
        assert keyed.run(after, "cat /var/lib/ebs-marker").strip() == "ebs"
        assert keyed.run(after, "ls -A /media/ephemeral0 | grep -v lost+found | wc -l").strip() == "0"
        # user-data ran once: the marker it writes is not back
        assert keyed.ssh(after["PublicIpAddress"], "test -e /media/ephemeral0/marker").returncode != 0
    finally:
        keyed.terminate(inst)


POWEROFF_USER_DATA = """#!/bin/sh
while [ ! -e /tmp/power-off ]; do sleep 1; done
poweroff
"""

GUEST_SHUTDOWN = {"Code": "Client.InstanceInitiatedShutdown", "Message": "Client.InstanceInitiatedShutdown: Instance initiated shutdown"}


def test_shutdown_from_the_guest_stops_or_terminates_the_instance(real, keyed):
    """`poweroff` inside the guest: the instance stops (default behaviour) or terminates
    (InstanceInitiatedShutdownBehavior=terminate), with EC2's state reason; a stopped one starts again."""
    ec2 = keyed.ec2
    stopper = _launch(keyed, POWEROFF_USER_DATA)
    ender = _launch(keyed, POWEROFF_USER_DATA, InstanceInitiatedShutdownBehavior="terminate")
    try:
        for inst in (stopper, ender):
            keyed.run(inst, "touch /tmp/power-off")
        ec2.get_waiter("instance_stopped").wait(InstanceIds=[stopper["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[ender["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        for inst in (stopper, ender):
            assert _describe(ec2, inst["InstanceId"])["StateReason"] == GUEST_SHUTDOWN
        assert "PublicIpAddress" not in _describe(ec2, stopper["InstanceId"])

        ec2.start_instances(InstanceIds=[stopper["InstanceId"]])
        ec2.get_waiter("instance_running").wait(InstanceIds=[stopper["InstanceId"]], WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
        after = _describe(ec2, stopper["InstanceId"])
        keyed.wait_ssh(after["PublicIpAddress"])
        assert keyed.run(after, "test -e /tmp/power-off || echo fresh").strip() == "fresh"
    finally:
        keyed.terminate(stopper, ender)


REBOOT_USER_DATA = """#!/bin/sh
while [ ! -e /tmp/reboot ]; do sleep 1; done
reboot
"""


def test_reboot_from_the_guest_keeps_the_instance_running(real, keyed):
    """`reboot` inside the guest restarts it in place: still running, same addresses, a fresh /tmp."""
    ec2 = keyed.ec2
    inst = _launch(keyed, REBOOT_USER_DATA)
    try:
        keyed.run(inst, "touch /tmp/reboot")
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            r = keyed.ssh(inst["PublicIpAddress"], "test -e /tmp/reboot || echo rebooted", timeout=20)
            if "rebooted" in r.stdout:
                break
            assert time.monotonic() < deadline, f"the guest did not come back from its reboot: {_console(ec2, inst['InstanceId'])[-2000:]}"
            time.sleep(1)
        after = _describe(ec2, inst["InstanceId"])
        assert after["State"]["Name"] == "running"
        assert (after["PrivateIpAddress"], after["PublicIpAddress"]) == (inst["PrivateIpAddress"], inst["PublicIpAddress"])
        assert "stratus-init: reboot" in _console(ec2, inst["InstanceId"])
    finally:
        keyed.terminate(inst)


def test_kill9_and_restart_keeps_instances_running(real, keyed):
    ec2 = keyed.ec2
    inst = _launch(keyed, USER_DATA)
    _wait_http(f"http://{inst['PublicIpAddress']}/", "Hello from Stratus")
    procs_before = sorted(guests.guest_processes(real))
    netns_before = guests.own_netns(real)
    real.kill9()
    real.start()
    ec2 = keyed.ec2 = real.ec2()
    assert _describe(ec2, inst["InstanceId"])["State"]["Name"] == "running"
    _wait_http(f"http://{inst['PublicIpAddress']}/", "Hello from Stratus", timeout=60)
    assert keyed.ssh(inst["PublicIpAddress"], "true").returncode == 0
    # re-adopted, not duplicated: the same guest processes, namespaces and no second uplink
    assert sorted(guests.guest_processes(real)) == procs_before
    assert guests.own_netns(real) == netns_before
    keyed.terminate(inst)
