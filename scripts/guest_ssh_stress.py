#!/usr/bin/env python3
"""Launches container guests several at a time, again and again, and checks that each answers SSH.

    sudo python3 scripts/guest_ssh_stress.py [--guests 4] [--rounds 10] [--ssh-timeout 90]

One `stratus serve --runtime container` (the built binary, or $STRATUS_BIN) on a temporary data
directory; a key pair and a group open to SSH and ICMP echo. Each round launches `--guests`
instances with separate RunInstances calls in quick succession (the first with IMDSv2 required and
user data, as the e2e modules do), waits until all run, then polls SSH on every public address at
once and records how long each took to answer. A guest that does not answer within
`--ssh-timeout` seconds is reported with what the host shows for it: the route to its public
address, the VPC namespace's nftables tables, neighbours and bridge ports, the guest namespace's
addresses and routes, the server's log lines about it. Every instance is terminated after each
round; the server is stopped and its guests checked gone at the end, also after a failure or
Ctrl-C. Needs root, crun, ssh and the minimal image (what tests/e2e/guests.py needs). Prints one
line per round and a summary; exits 1 when any guest never answered.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
try:
    import pytest  # noqa: F401  (the e2e helpers need it; Debian's python3-pytest when pip's is missing, as scripts/run_pytest.py)
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")

import conftest  # noqa: E402  (the e2e suite's server fixture classes)
import guests  # noqa: E402

USER_DATA = "#!/bin/sh\necho stress > /tmp/user-data-ran\n"


def sh(*args: str) -> str:
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    return (r.stdout + r.stderr).strip()


def first_ssh(lab: guests.GuestLab, host: str, timeout: float) -> float | None:
    """Seconds until `ssh host true` first succeeds, or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if lab.ssh(host, "true", timeout=20).returncode == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def diagnose(srv, lab: guests.GuestLab, inst: dict) -> str:
    iid, public, private = inst["InstanceId"], inst.get("PublicIpAddress"), inst["PrivateIpAddress"]
    ns = "s-" + iid[2:]
    vpc_ns = [n for n in guests.own_netns(srv) if n.startswith("stx-")]
    out = [f"--- {iid} public {public} private {private}",
           "host route: " + sh("ip", "route", "get", public or "0.0.0.0"),
           "guest addr: " + sh("ip", "-n", ns, "-4", "addr", "show"),
           "guest route: " + sh("ip", "-n", ns, "route"),
           "guest neigh: " + sh("ip", "-n", ns, "neigh"),
           "guest listen: " + sh("ip", "netns", "exec", ns, "ss", "-ltn"),
           "ping from host: " + sh("ping", "-c", "1", "-W", "1", public or "0.0.0.0")]
    for v in vpc_ns:
        out += [f"{v} bridge links: " + sh("ip", "-n", v, "-br", "link"),
                f"{v} neigh: " + sh("ip", "-n", v, "neigh"),
                f"{v} ip stratus: " + sh("ip", "netns", "exec", v, "nft", "list", "table", "ip", "stratus"),
                f"{v} bridge stratus: " + sh("ip", "netns", "exec", v, "nft", "list", "table", "bridge", "stratus"),
                f"{v} stratus_fw maps: " + sh("ip", "netns", "exec", v, "nft", "list", "map", "ip", "stratus_fw", "eni_ingress"),
                f"{v} conntrack: " + sh("ip", "netns", "exec", v, "sh", "-c", f"conntrack -L 2>/dev/null | grep -e {private} -e {public} | head -20")]
    try:
        with open(srv.log_path, errors="replace") as f:
            out.append("server log: " + "".join(line for line in f if iid in line)[-4000:])
    except OSError:
        pass
    out.append("console: " + lab.ec2.get_console_output(InstanceId=iid, Latest=True).get("Output", "")[-1500:])
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ssh-timeout", type=float, default=90)
    args = parser.parse_args()
    guests.require_host("crun")

    root = tempfile.mkdtemp(prefix="stratus-ssh-stress-")
    factory = conftest.ServerFactory(conftest.stratus_bin(), root)
    srv = factory(name="stratus-ssh-stress", extra_args=["--runtime", "container", "--image-dir", guests.IMAGE_DIR])
    failures, times = [], []
    try:
        lab = guests.GuestLab(srv, root, key_name="stress")
        sg = lab.ssh_group("stress-ssh", icmp=True)
        for n in range(1, args.rounds + 1):
            started = time.monotonic()
            ids = [lab.run_instances(SecurityGroupIds=[sg], UserData=USER_DATA, MetadataOptions={"HttpTokens": "required"})[0]]
            ids += [lab.run_instances(SecurityGroupIds=[sg], UserData=USER_DATA)[0] for _ in range(args.guests - 1)]
            lab.wait_running(*ids)
            running = time.monotonic() - started
            described = [lab.describe(i) for i in ids]
            with concurrent.futures.ThreadPoolExecutor(len(described)) as pool:
                answered = list(pool.map(lambda i: first_ssh(lab, i["PublicIpAddress"], args.ssh_timeout), described))
            line = ", ".join(f"{i['InstanceId']}@{i['PublicIpAddress']}={'NEVER' if t is None else f'{t:.1f}s'}" for i, t in zip(described, answered))
            print(f"round {n}: all running after {running:.1f}s; ssh {line}", flush=True)
            for inst, t in zip(described, answered):
                if t is None:
                    failures.append(inst["InstanceId"])
                    print(diagnose(srv, lab, inst), flush=True)
                else:
                    times.append(t)
            lab.terminate(*ids)
    finally:
        try:
            guests.terminate_all(srv)
        finally:
            factory.close()
            guests.assert_nothing_left(srv)
    times.sort()
    if times:
        print(f"{len(times)} answered: median {times[len(times) // 2]:.1f}s, max {times[-1]:.1f}s; {len(failures)} never: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
