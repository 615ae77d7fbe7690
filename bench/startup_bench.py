#!/usr/bin/env python3
"""Start-up, measured: where the seconds go from `stratus serve` to the first answered request.

Starts `stratus serve --runtime mock --mock-boot-seconds 0 --no-auth` on a copy of --data-dir (a
directory a run of `bench/scale_bench.py --instances 10000 --keep` left, say) or on an empty one,
and prints: seconds to the first answered DescribeRegions, the first DescribeInstances by one id
after it, the server's RSS and CPU time 3 s later, the load average, and the server's own log of
its start-up phases (the `Start-up:` line: store, index check, image catalog, account, host built,
gateway and services, endpoints mapped, hosted services and listening; the `API ready:` line: the
warm-up and the process's age and CPU time when readiness was reached).

Usage:
  bench/startup_bench.py                                   # empty data directory
  bench/startup_bench.py --data-dir /tmp/scale/data --runs 3
  bench/startup_bench.py --binary /path/to/other/stratus --data-dir /tmp/scale/data
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_bench import DEFAULT_BIN, Client, Server  # noqa: E402


def one_run(binary: str, data_dir: str | None) -> dict:
    root = tempfile.mkdtemp(prefix="stratus-startup-")
    try:
        instance_id = None
        if data_dir:
            shutil.copytree(data_dir, os.path.join(root, "data"))
            with sqlite3.connect(os.path.join(root, "data", "stratus.db")) as db:
                count = db.execute("SELECT count(*) FROM resources WHERE type = 'instance'").fetchone()[0]
                row = db.execute("SELECT id FROM resources WHERE type = 'instance' LIMIT 1 OFFSET ?", (count // 2,)).fetchone()
                instance_id = row[0] if row else None
        server = Server(binary, root)
        first_answer = server.start()
        by_id_ms = None
        if instance_id:
            by_id_ms = Client(server.port).timed({"Action": "DescribeInstances", "InstanceId.1": instance_id})[0]
        time.sleep(3)
        rss = server.rss_mb()
        with open(f"/proc/{server.proc.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        server.stop()
        with open(os.path.join(root, "server.log"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        phases = [m.group(1) for m in re.finditer(r"((?:Start-up|API ready): .*)", log)]
        return {"firstAnswerSeconds": round(first_answer, 2), "firstDescribeInstancesByIdMs": by_id_ms and round(by_id_ms, 1),
                "rssMb": round(rss), "cpuSeconds": round(cpu, 2), "load": float(open("/proc/loadavg", encoding="ascii").read().split()[0]),
                "phases": phases}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    parser.add_argument("--data-dir", default=None, help="a populated data directory to restart on (copied; default: an empty one)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for n in range(args.runs):
        r = one_run(args.binary, args.data_dir)
        print(f"run {n + 1}: first answer {r['firstAnswerSeconds']} s, first DescribeInstances by id {r['firstDescribeInstancesByIdMs']} ms, "
              f"RSS {r['rssMb']} MB and CPU {r['cpuSeconds']} s 3 s later, load {r['load']}")
        for line in r["phases"]:
            print("  " + line)


if __name__ == "__main__":
    main()
