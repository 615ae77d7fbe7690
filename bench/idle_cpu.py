#!/usr/bin/env python3
"""What an idle server costs: its CPU time per minute with nothing to do but its periodic loops.

Starts `stratus serve --runtime mock --mock-boot-seconds 0 --no-auth` on a temporary data directory,
lets the start-up settle, and takes the server's CPU time (user + system, from /proc/<pid>/stat)
over --seconds with the store empty; then launches --instances instances (100 per RunInstances
call, in a VPC of its own), waits until none is pending, lets that settle, and takes it again.
The loops (Auto Scaling, scheduled actions, Spot, fleets, scheduled events, the metric
publishers) tick all the while: what they cost is what an idle server costs. CPU time, not wall
time: on a shared, loaded machine it is the steadier figure. The load average is recorded.

Usage:
  bench/idle_cpu.py [--instances 1000] [--seconds 60] [--out results.json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from describe_bench import cpu_ms  # noqa: E402
from scale_bench import DEFAULT_BIN, INSTANCE_ID, Client, Server, run_params, write_results  # noqa: E402


def idle_cpu_seconds(pid: int, seconds: float) -> float:
    """The server's CPU seconds over `seconds` of wall time, scaled to one minute."""
    before, started = cpu_ms(pid), time.monotonic()
    time.sleep(seconds)
    return round((cpu_ms(pid) - before) / 1000 * 60 / (time.monotonic() - started), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=10, help="seconds to wait before each measurement")
    parser.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="stratus-idle-")
    server = Server(args.binary, root)
    results: dict = {"binary": args.binary, "instances": args.instances, "seconds": args.seconds, "loadBefore": round(os.getloadavg()[0], 1)}
    try:
        server.start()
        pid = server.proc.pid
        time.sleep(args.settle)
        results["emptyCpuSecondsPerMinute"] = idle_cpu_seconds(pid, args.seconds)

        boto = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                    config=Config(retries={"max_attempts": 1}))
        quotas = boto3.client("service-quotas", **boto)
        quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=2 * (args.instances + 500))
        quotas.request_service_quota_increase(ServiceCode="vpc", QuotaCode="L-DF5E4CA3", DesiredValue=args.instances + 5500)
        ec2 = boto3.client("ec2", **boto)
        image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/17")["Subnet"]["SubnetId"]
        client = Client(server.port)
        launched = 0
        while launched < args.instances:
            count = min(100, args.instances - launched)
            _, data = client.timed(run_params(image, subnet, count, launched))
            launched += len(INSTANCE_ID.findall(data.decode()))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            _, data = client.timed({"Action": "DescribeInstances", "Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "pending"})
            if not INSTANCE_ID.findall(data.decode()):
                break
            time.sleep(0.2)
        time.sleep(args.settle)
        results["instancesCpuSecondsPerMinute"] = idle_cpu_seconds(pid, args.seconds)
        results["loadAfter"] = round(os.getloadavg()[0], 1)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
