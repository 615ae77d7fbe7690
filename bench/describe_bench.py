#!/usr/bin/env python3
"""What the large DescribeInstances reads cost, in wall-clock and in the server's CPU time.

Starts `stratus serve --runtime mock --no-auth` on a copy of a data directory that already holds
instances (make one with `bench/scale_bench.py --instances 10000 --keep`), then measures the
unfiltered DescribeInstances (everything in one response) and the paginated scan at MaxResults
1000, each as wall-clock time (request sent to last byte received, over loopback) and as the
server process's CPU time over the call (user + system, from /proc): on a shared, loaded machine
the CPU time is the steadier figure. Prints the load average and the server's RSS after the calls.

Usage:
  bench/describe_bench.py --data-dir /tmp/stratus-scale-xxxx/data [--repeat 5] [--out results.json]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_bench import DEFAULT_BIN, INSTANCE_ID, Client, Server, stats, write_results  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="stratus-describe-")
    shutil.copytree(args.data_dir, os.path.join(root, "data"))
    server = Server(args.binary, root)
    results: dict = {"binary": args.binary, "loadBefore": os.getloadavg()[0]}
    try:
        results["startSeconds"] = round(server.start(), 3)
        client = Client(server.port)
        pid = server.proc.pid
        # The first full read fills whatever the server keeps between requests: not counted.
        _, data = client.timed({"Action": "DescribeInstances"})
        total = len(INSTANCE_ID.findall(data.decode()))
        results["instances"] = total
        results["responseBytes"] = len(data)

        wall, cpu = [], []
        for _ in range(args.repeat):
            before = cpu_ms(pid)
            elapsed, data = client.timed({"Action": "DescribeInstances"})
            cpu.append(cpu_ms(pid) - before)
            wall.append(elapsed)
            if len(INSTANCE_ID.findall(data.decode())) != total:
                raise RuntimeError("unfiltered DescribeInstances changed its count")
        results["describeInstancesAll"] = stats(wall)
        results["describeInstancesAllCpuMs"] = stats(cpu)

        wall, cpu = [], []
        for _ in range(args.repeat):
            before = cpu_ms(pid)
            started = time.perf_counter()
            token, seen = None, 0
            while True:
                params = {"Action": "DescribeInstances", "MaxResults": 1000} | ({"NextToken": token} if token else {})
                _, data = client.timed(params)
                text = data.decode()
                seen += len(INSTANCE_ID.findall(text))
                m = re.search(r"<nextToken>([^<]+)</nextToken>", text)
                if not m:
                    break
                token = m.group(1)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append(cpu_ms(pid) - before)
            if seen != total:
                raise RuntimeError(f"scan saw {seen} of {total}")
        results["describeInstancesPaginatedScan"] = stats(wall)
        results["describeInstancesPaginatedScanCpuMs"] = stats(cpu)
        results["rssMb"] = round(server.rss_mb(), 1)
        results["loadAfter"] = os.getloadavg()[0]
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    write_results(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
