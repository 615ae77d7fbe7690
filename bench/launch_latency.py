#!/usr/bin/env python3
"""Launch-latency and density benchmarks of Stratus's real runtimes.

Starts its own `stratus serve --runtime <runtime>` on a temporary data dir, then:

  latency  N launches of the minimal image, one at a time, each measured from RunInstances to
           (a) state running (DescribeInstances polled every 50 ms), (b) the guest's user-data
           finished (console line "stratus-init: user-data exited"), (c) SSH accepting a
           key-pair login (ssh `true` succeeds); then terminated.
  density  launches instances one after another (each waited until SSH answers) until
           --max instances run or one fails to come up within the timeout; reports how many ran,
           the host memory they used (MemAvailable before/after) and the per-instance cost.

Results go to stdout as a Markdown table and to docs/benchmarks/launch-<mode>-<runtime>.json.

Usage (root; the minimal image built):
  bench/launch_latency.py latency --runtime container -n 10
  bench/launch_latency.py latency --runtime microvm -n 5
  bench/launch_latency.py density --runtime container --max 50
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_BIN = os.path.join(REPO, "src", "Stratus.Cli", "bin", "Release", "net10.0", "stratus")
USER_DATA = "#!/bin/sh\necho benchmark user-data ran > /tmp/bench\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: str, runtime: str, image_dir: str | None):
        self.root = tempfile.mkdtemp(prefix=f"stratus-bench-{runtime}-")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        args = [binary, "serve", "--urls", self.endpoint, "--data-dir", os.path.join(self.root, "data"),
                "--no-auth", "--no-profile", "--runtime", runtime]
        if image_dir:
            args += ["--image-dir", image_dir]
        self.log = open(os.path.join(self.root, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"stratus exited: see {self.log.name}")
                time.sleep(0.1)
        self.ec2 = boto3.client("ec2", endpoint_url=self.endpoint, region_name="us-east-1",
                                aws_access_key_id="AKIDBENCH", aws_secret_access_key="x",
                                config=Config(retries={"max_attempts": 1}))

    def client(self, region: str):
        return boto3.client("ec2", endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id="AKIDBENCH", aws_secret_access_key="x",
                            config=Config(retries={"max_attempts": 1}))

    def regions(self) -> list[str]:
        return [r["RegionName"] for r in self.ec2.describe_regions()["Regions"] if r["RegionName"] != "us-east-1"]

    def prepare_region(self, region: str):
        """A client for REGION, its minimal AMI and a key pair's private key file."""
        ec2 = self.client(region)
        key = os.path.join(self.root, f"bench-{region}.pem")
        with open(key, "w") as f:
            f.write(ec2.create_key_pair(KeyName="bench")["KeyMaterial"])
        os.chmod(key, 0o400)
        ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
        return ec2, ami, key

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def ssh_ok(key: str, host: str) -> bool:
    return subprocess.run(["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR", f"ec2-user@{host}", "true"],
                          capture_output=True, timeout=20).returncode == 0


def launch(srv: Server, ami: str, key_name: str, key: str, instance_type: str, timeout: float, ec2=None) -> dict:
    ec2 = ec2 or srv.ec2
    t0 = time.monotonic()
    iid = ec2.run_instances(ImageId=ami, InstanceType=instance_type, MinCount=1, MaxCount=1, KeyName=key_name,
                            UserData=USER_DATA)["Instances"][0]["InstanceId"]
    marks: dict[str, float] = {}
    ip = None
    while time.monotonic() - t0 < timeout and len(marks) < 3:
        if "running" not in marks:
            inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
            if inst["State"]["Name"] == "running":
                marks["running"] = time.monotonic() - t0
                ip = inst.get("PublicIpAddress") or inst["PrivateIpAddress"]
            elif inst["State"]["Name"] in ("terminated", "stopped"):
                break
        if "user_data" not in marks and "running" in marks:
            out = ec2.get_console_output(InstanceId=iid, Latest=True).get("Output") or ""
            if "stratus-init: user-data exited" in out:
                marks["user_data"] = time.monotonic() - t0
        if "ssh" not in marks and ip is not None and ssh_ok(key, ip):
            marks["ssh"] = time.monotonic() - t0
        time.sleep(0.05)
    return {"instance_id": iid, **marks}


def summary(values: list[float]) -> dict:
    if not values:
        return {}
    values = sorted(values)
    return {"n": len(values), "min": round(values[0], 3), "median": round(statistics.median(values), 3),
            "p90": round(values[int(0.9 * (len(values) - 1))], 3), "max": round(values[-1], 3)}


def mem_available_mib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["latency", "density"])
    p.add_argument("--runtime", required=True, choices=["container", "microvm"])
    p.add_argument("-n", type=int, default=5, help="launches (latency)")
    p.add_argument("--max", type=int, default=30, help="most instances (density)")
    p.add_argument("--instance-type", default="t3.nano")
    p.add_argument("--timeout", type=float, default=180)
    p.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    p.add_argument("--image-dir", default=os.environ.get("STRATUS_IMAGE_DIR"))
    args = p.parse_args()

    srv = Server(args.binary, args.runtime, args.image_dir)
    key = os.path.join(srv.root, "bench.pem")
    try:
        material = srv.ec2.create_key_pair(KeyName="bench")["KeyMaterial"]
        with open(key, "w") as f:
            f.write(material)
        os.chmod(key, 0o400)
        ami = srv.ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
        result: dict = {"runtime": args.runtime, "mode": args.mode, "instance_type": args.instance_type,
                        "host_cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
        if args.mode == "latency":
            runs = []
            for _ in range(args.n):
                r = launch(srv, ami, "bench", key, args.instance_type, args.timeout)
                runs.append(r)
                srv.ec2.terminate_instances(InstanceIds=[r["instance_id"]])
                srv.ec2.get_waiter("instance_terminated").wait(InstanceIds=[r["instance_id"]], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            result["runs"] = runs
            for k in ("running", "user_data", "ssh"):
                result[k] = summary([r[k] for r in runs if k in r])
            print(f"| {args.runtime} | RunInstances → running | → user-data done | → SSH accepting |")
            print("|---|---|---|---|")
            print("| median (s) | " + " | ".join(str(result[k].get("median", "-")) for k in ("running", "user_data", "ssh")) + " |")
            print("| p90 (s) | " + " | ".join(str(result[k].get("p90", "-")) for k in ("running", "user_data", "ssh")) + " |")
        else:
            # An account's vCPU quota per region (L-1216C47A, 1152 unless adjusted with `stratus quotas set`)
            # bounds one region; past it the density run goes on in the next region, each with its own key
            # pair, AMI id and default VPC.
            before = mem_available_mib()
            ids, times = {}, []
            regional = srv.regions()
            ec2, region_ami, region_key = srv.ec2, ami, key
            while len(times) < args.max:
                try:
                    r = launch(srv, region_ami, "bench", region_key, args.instance_type, args.timeout, ec2)
                except ec2.exceptions.ClientError as e:
                    if e.response["Error"]["Code"] != "VcpuLimitExceeded" or not regional:
                        raise
                    ec2, region_ami, region_key = srv.prepare_region(regional.pop(0))
                    continue
                ids.setdefault(ec2, []).append(r["instance_id"])
                if "ssh" not in r:
                    print(f"instance {len(times) + 1} did not come up within {args.timeout}s; stopping", file=sys.stderr)
                    break
                times.append(r["ssh"])
            after = mem_available_mib()
            up = len(times)
            result.update({"instances_up": up, "mem_used_mib": round(before - after, 1),
                           "mib_per_instance": round((before - after) / up, 1) if up else None,
                           "ssh_seconds": summary(times)})
            print(f"{up} {args.runtime} instances up ({args.instance_type}); host memory used {before - after:.0f} MiB "
                  f"({result['mib_per_instance']} MiB each); SSH ready median {result['ssh_seconds'].get('median')} s")
            for client, instance_ids in ids.items():
                client.terminate_instances(InstanceIds=instance_ids)
            for client, instance_ids in ids.items():
                client.get_waiter("instance_terminated").wait(InstanceIds=instance_ids, WaiterConfig={"Delay": 2, "MaxAttempts": 150})
        os.makedirs(os.path.join(REPO, "docs", "benchmarks"), exist_ok=True)
        with open(os.path.join(REPO, "docs", "benchmarks", f"launch-{args.mode}-{args.runtime}.json"), "w") as f:
            json.dump(result, f, indent=2)
    finally:
        srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
