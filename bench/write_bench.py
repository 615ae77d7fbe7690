#!/usr/bin/env python3
"""What the write path costs at scale, in wall-clock and in the server's CPU time.

Starts `stratus serve --runtime mock --mock-boot-seconds 0 --no-auth` on a copy of a data directory
that already holds instances (make one with `bench/scale_bench.py --instances 10000 --keep`), then
measures:

  - the start-up: seconds to the first answered DescribeRegions, and the server's CPU time then;
  - the server's CPU time while idle (its background controllers), over --idle-seconds;
  - RunInstances of 100 per call (--launches calls, in the data directory's first subnet with an
    instance), each as wall-clock time and as the server's CPU time over the call, and the CPU time
    of the whole series until every launched instance is running (launch plus boots);
  - CreateTags on 100 random instances (--tags calls), wall-clock and CPU time per call;
  - the server's RSS after the calls and after a full GC would have run (what /proc says).

CPU time is user + system of the server process from /proc: on a shared, loaded machine it is the
steadier figure; the load average is recorded before and after.

Usage:
  bench/write_bench.py --data-dir /tmp/stratus-scale-xxxx/data [--launches 10] [--tags 30] [--out results.json]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from describe_bench import cpu_ms  # noqa: E402
from scale_bench import DEFAULT_BIN, INSTANCE_ID, Client, Server, run_params, stats, write_results  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    parser.add_argument("--launches", type=int, default=10)
    parser.add_argument("--tags", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="stratus-write-")
    shutil.copytree(args.data_dir, os.path.join(root, "data"))
    with sqlite3.connect(os.path.join(root, "data", "stratus.db")) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM resources WHERE type = 'instance'")]
    server = Server(args.binary, root)
    results: dict = {"binary": args.binary, "instances": len(ids), "loadBefore": round(os.getloadavg()[0], 1)}
    rng = random.Random(7)
    try:
        results["startSeconds"] = round(server.start(), 3)
        pid = server.proc.pid
        results["startCpuMs"] = round(cpu_ms(pid))
        results["rssAfterStartMb"] = round(server.rss_mb(), 1)
        boto = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                    config=Config(retries={"max_attempts": 1}))
        quotas = boto3.client("service-quotas", **boto)
        total = len(ids) + 100 * args.launches + 1000
        quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=2 * total)
        quotas.request_service_quota_increase(ServiceCode="vpc", QuotaCode="L-DF5E4CA3", DesiredValue=total + 5500)
        ec2 = boto3.client("ec2", **boto)
        image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
        subnet = ec2.describe_instances(InstanceIds=[ids[0]])["Reservations"][0]["Instances"][0]["SubnetId"]
        client = Client(server.port)
        # Let the start-up's background work (resuming the instances) settle.
        time.sleep(args.idle_seconds)
        before = cpu_ms(pid)
        time.sleep(args.idle_seconds)
        idle_rate = (cpu_ms(pid) - before) / args.idle_seconds
        results["idleCpuMsPerSecond"] = round(idle_rate, 1)

        # Warm the paths up once (JIT), not counted.
        _, data = client.timed(run_params(image, subnet, 100, 0))
        launched = INSTANCE_ID.findall(data.decode())
        client.timed({"Action": "CreateTags", "Tag.1.Key": "warm", "Tag.1.Value": "1"} | {f"ResourceId.{k + 1}": i for k, i in enumerate(rng.sample(ids, 100))})

        wall, cpu = [], []
        series_started, series_cpu = time.perf_counter(), cpu_ms(pid)
        for n in range(args.launches):
            c0 = cpu_ms(pid)
            elapsed, data = client.timed(run_params(image, subnet, 100, n * 100))
            cpu.append(cpu_ms(pid) - c0)
            wall.append(elapsed)
            launched.extend(INSTANCE_ID.findall(data.decode()))
        # Until nothing launched is pending: the boots' share of the launch.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            _, data = client.timed({"Action": "DescribeInstances", "Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "pending"})
            if not INSTANCE_ID.findall(data.decode()):
                break
            time.sleep(0.05)
        series_seconds = time.perf_counter() - series_started
        series_cpu = cpu_ms(pid) - series_cpu
        results["runInstances100"] = stats(wall)
        results["runInstances100CpuMs"] = stats(cpu)
        results["runInstances100SeriesCpuMsPerCall"] = round((series_cpu - idle_rate * series_seconds) / args.launches, 1)

        wall, cpu = [], []
        for _ in range(args.tags):
            chunk = rng.sample(ids, 100)
            params = {"Action": "CreateTags", "Tag.1.Key": "touched", "Tag.1.Value": str(rng.random())} | {f"ResourceId.{k + 1}": i for k, i in enumerate(chunk)}
            c0 = cpu_ms(pid)
            elapsed, _ = client.timed(params)
            cpu.append(cpu_ms(pid) - c0)
            wall.append(elapsed)
        results["createTags100"] = stats(wall)
        results["createTags100CpuMs"] = stats(cpu)
        results["rssMb"] = round(server.rss_mb(), 1)
        results["loadAfter"] = round(os.getloadavg()[0], 1)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
