#!/usr/bin/env python3
"""Restart time with a populated store: how long a server takes to answer its first call.

Copies a data directory that already holds instances (make one with
`bench/scale_bench.py --instances 10000 --keep`) and starts `stratus serve --runtime mock` on the
copy --repeat times, printing the seconds to the first DescribeRegions answer, the RSS then, and the
server's own start-up lines (phases; CPU and JIT time at the end of start-up and when the API is
ready). On a loaded machine compare the CPU figures, not the wall-clock ones. Compare a plain build with a ReadyToRun publish:

  bench/restart_bench.py --data-dir /tmp/stratus-scale-xxxx/data
  dotnet publish src/Stratus.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o /tmp/stratus-r2r
  bench/restart_bench.py --data-dir /tmp/stratus-scale-xxxx/data --binary /tmp/stratus-r2r/stratus
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_bench import DEFAULT_BIN, Server  # noqa: E402


def wait_for_ready(log_path: str, timeout: float = 120) -> None:
    """Waits for the server's `API ready:` line (the warm-up may end after the first answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, encoding="utf-8", errors="replace") as log:
            if "API ready:" in log.read():
                return
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--binary", default=DEFAULT_BIN)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for _ in range(args.repeat):
        root = tempfile.mkdtemp(prefix="stratus-restart-")
        try:
            shutil.copytree(args.data_dir, os.path.join(root, "data"))
            server = Server(args.binary, root)
            try:
                seconds = server.start()
                rss = server.rss_mb()
                wait_for_ready(os.path.join(root, "server.log"))
            finally:
                server.stop()
            print(f"restart {seconds:.2f} s, RSS {rss:.0f} MB")
            with open(os.path.join(root, "server.log"), encoding="utf-8", errors="replace") as log:
                for line in log:
                    for marker in ("Start-up:", "API ready:"):
                        if marker in line:
                            print("  " + marker + " " + line.strip().split(marker, 1)[1].strip())
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
