"""The README's first command on a fresh machine, measured: bench/first-start.sh runs
scripts/start.sh with a fresh HOME, data directory and image cache (no guest image, no guest
kernel) and the container runtime, then the walkthrough's instance part up to SSH into the
instance and an IMDSv2 call from it. The phases' times are printed (docs/operations.md lists
measured ones); nothing here asserts a duration. Needs root, crun and ssh: fails without them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import GUESTS_GROUP, REPO_ROOT, aws_cli, free_port

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)


def test_first_start_reaches_ssh_without_building_a_kernel():
    assert os.geteuid() == 0, "the container runtime (and this test) needs root"
    for tool in ("crun", "ssh", "curl", "nft", "ip"):
        assert shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"), f"{tool} is missing (scripts/install-deps.sh installs it)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CLI"] = aws_cli()
    env["FIRST_START_PORT"] = str(free_port())
    # --no-build: the suite runs after this checkout's build; a build under the fresh HOME would redo it all.
    p = subprocess.run(["bash", os.path.join(REPO_ROOT, "bench", "first-start.sh"), "--no-build"], env=env, cwd=REPO_ROOT,
                       capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    print(p.stdout)
    assert p.returncode == 0, f"first start failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr[-4000:]}"
    phases = dict(re.findall(r"^phase (\S+) ([\d.]+)$", p.stdout, re.M))
    assert list(phases) == ["dependencies", "build", "image", "server-ready", "run-instances", "instance-running", "ssh-imds"], p.stdout
    total = re.search(r"^total ([\d.]+) \(instance in (\S+)\)$", p.stdout, re.M)
    assert total and total.group(2) == "us-east-1a", p.stdout
