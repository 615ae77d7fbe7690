#!/usr/bin/env python3
"""The control plane at scale: what API calls cost with thousands of instances.

Starts its own `stratus serve --runtime mock --mock-boot-seconds 0 --no-auth` on a temporary data
directory, raises the account's instance quotas through the Service Quotas API
(RequestServiceQuotaIncrease), launches --instances instances (100 per RunInstances call, each
tagged Name=bench-<n> and group=g<n // 100>, in a VPC of its own so private addresses never run
out), stops 50 of them, then measures:

  RunInstances of 100 and of 1 per call, DescribeInstances by one id, by a tag with 1 hit and with
  100 hits, by state (50 hits), unfiltered (everything in one response) and as a paginated scan
  (MaxResults 1000), DescribeTags of one resource, CreateTags on 100 resources, DescribeInstances
  by id from 4 concurrent readers while a writer runs CreateTags, the server's resident memory,
  and the restart time with every instance in the store.

Times are from the request sent to the last byte of the response received, over loopback, with
raw HTTP (no SDK parsing): server time plus transfer. Results: a Markdown table on stdout and
JSON in --out.

`--server moto` runs the same workload against `moto_server` (moto keeps everything in memory,
has no quotas to raise and no restart to measure). `--compare OTHER.json` adds, for every call,
how many times faster this run's p50 is than the other run's, so a Stratus run compared with a
moto run of the same size gives the "× moto" column.

The resident memory is read after each phase (populated, reads, tag writes, the concurrent test:
"rssPhasesMb"), as "rssMb" at once after the last request and as "rssSettledMb" after --settle
seconds without requests (with its anonymous and file-backed parts in "rssDetailMb"). To look at
what the server holds after the run, before it is stopped: --at-end runs a shell command with
{pid} replaced by the server's process id (and STRATUS_PID, STRATUS_ENDPOINT set), for example a
heap snapshot, and records the RSS after it; --hold SECONDS prints the pid and endpoint and keeps
the server running that long (or until Enter on a terminal).

Usage:
  bench/scale_bench.py --instances 1000
  bench/scale_bench.py --instances 10000 --out docs/benchmarks/scale-10000.json
  bench/scale_bench.py --instances 1000 --server moto --out /tmp/moto-1000.json
  bench/scale_bench.py --instances 1000 --compare /tmp/moto-1000.json
  bench/scale_bench.py --instances 10000 --out /tmp/x.json \
      --at-end 'dotnet-gcdump collect -p {pid} -o /tmp/after-run.gcdump'
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_BIN = os.path.join(REPO, "src", "Stratus.Cli", "bin", "Release", "net10.0", "stratus")
INSTANCE_ID = re.compile(r"<instanceId>(i-[0-9a-f]+)</instanceId>")
VERSION = "2016-11-15"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: str, root: str, kind: str = "stratus"):
        self.binary = binary
        self.kind = kind
        self.root = root
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        """Starts the server; returns the seconds until it answered a Describe call."""
        if self.kind == "moto":
            args = [shutil.which("moto_server") or "moto_server", "-H", "127.0.0.1", "-p", str(self.port)]
        else:
            args = [self.binary, "serve", "--urls", self.endpoint, "--data-dir", os.path.join(self.root, "data"),
                    "--no-auth", "--no-profile", "--runtime", "mock", "--mock-boot-seconds", "0", "--metadata-port", "0"]
        log = open(os.path.join(self.root, "server.log"), "ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = started + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.root}/server.log")
            try:
                status, _ = Client(self.port).call({"Action": "DescribeRegions"})
                if status == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> float:
        return self.status_mb().get("VmRSS", 0.0)

    def status_mb(self) -> dict:
        """The memory lines of /proc/<pid>/status (VmRSS, RssAnon, RssFile, VmHWM, ...), in MB."""
        values = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                name, _, rest = line.partition(":")
                parts = rest.split()
                if len(parts) == 2 and parts[1] == "kB":
                    values[name] = round(int(parts[0]) / 1024, 1)
        return values

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


# Stratus runs with --no-auth and ignores this header; moto_server routes a request to a service by
# the credential scope in it and does not check the signature. Both get the same bytes.
AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/ec2/aws4_request, "
                 "SignedHeaders=content-type;host, Signature=" + "0" * 64)


class Client:
    """One keep-alive connection sending unsigned EC2 query requests."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, params: dict) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"Version": VERSION, **params})
        self.conn.request("POST", "/", body=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                                          "Authorization": AUTHORIZATION})
        response = self.conn.getresponse()
        return response.status, response.read()

    def timed(self, params: dict) -> tuple[float, bytes]:
        started = time.perf_counter()
        status, data = self.call(params)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"{params.get('Action')} answered {status}: {data[:400]!r}")
        return elapsed, data


def stats(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def p(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50": p(0.5), "p90": p(0.9), "p99": p(0.99), "max": round(ordered[-1], 2), "mean": round(statistics.fmean(ordered), 2)}


def write_results(results: dict, out: str | None) -> None:
    """Prints the results as JSON and writes them to `out` when given."""
    text = json.dumps(results, indent=2)
    print(text)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


def run_params(image: str, subnet: str, count: int, first: int) -> dict:
    params = {"Action": "RunInstances", "ImageId": image, "InstanceType": "t3.micro", "MinCount": count, "MaxCount": count, "SubnetId": subnet,
              "TagSpecification.1.ResourceType": "instance",
              "TagSpecification.1.Tag.1.Key": "group", "TagSpecification.1.Tag.1.Value": f"g{first // 100}",
              "TagSpecification.1.Tag.2.Key": "bench", "TagSpecification.1.Tag.2.Value": "scale"}
    return params


def hold(seconds: float) -> None:
    """Waits the given seconds, or until Enter when stdin is a terminal."""
    if sys.stdin.isatty():
        import select
        select.select([sys.stdin], [], [], seconds)
    else:
        time.sleep(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    parser.add_argument("--out", default=None, help="JSON results (default: docs/benchmarks/scale-<instances>.json)")
    parser.add_argument("--repeat", type=int, default=200, help="samples of each small read")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--server", choices=["stratus", "moto"], default="stratus", help="what to measure (moto: moto_server from PATH)")
    parser.add_argument("--compare", default=None, help="JSON of another run of the same size: adds how many times faster this run is")
    parser.add_argument("--settle", metavar="SECONDS", type=float, default=5,
                        help="after the RSS read at the end of the run, wait this long without requests and read it again (rssSettledMb)")
    parser.add_argument("--at-end", metavar="COMMAND", default=None,
                        help="shell command run after the measurements, before the server stops ({pid} = the server's pid), e.g. a dotnet-gcdump collect")
    parser.add_argument("--hold", metavar="SECONDS", type=float, default=0,
                        help="after the measurements, print the server's pid and keep it running this long (Enter ends it early on a terminal)")
    args = parser.parse_args()
    moto = args.server == "moto"
    out = args.out or os.path.join(REPO, "docs", "benchmarks", f"scale-{args.instances}{'-moto' if moto else ''}.json")
    rng = random.Random(10)

    root = tempfile.mkdtemp(prefix="stratus-scale-")
    server = Server(args.binary, root, args.server)
    results: dict = {"instances": args.instances, "server": args.server, "binary": None if moto else args.binary}
    try:
        results["startEmptySeconds"] = round(server.start(), 3)
        boto = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                    config=Config(retries={"max_attempts": 1}))
        if not moto:
            quotas = boto3.client("service-quotas", **boto)
            vcpus = 2 * (args.instances + 500)
            quotas.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=vcpus)
            quotas.request_service_quota_increase(ServiceCode="vpc", QuotaCode="L-DF5E4CA3", DesiredValue=args.instances + 5500)
        ec2 = boto3.client("ec2", **boto)
        image_name = "amzn2-ami-*-x86_64-gp2" if moto else "stratus-minimal-*-x86_64"
        image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [image_name]}])["Images"][0]["ImageId"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/17")["Subnet"]["SubnetId"]

        client = Client(server.port)
        ids: list[str] = []
        batch_ms: list[float] = []
        populate_started = time.perf_counter()
        while len(ids) < args.instances:
            count = min(100, args.instances - len(ids))
            elapsed, data = client.timed(run_params(image, subnet, count, len(ids)))
            ids.extend(INSTANCE_ID.findall(data.decode()))
            batch_ms.append(elapsed)
            if len(batch_ms) % 10 == 0:
                print(f"  {len(ids)} instances, last batch {elapsed:.0f} ms", file=sys.stderr)
        populate_seconds = time.perf_counter() - populate_started
        phases = {"populated": round(server.rss_mb(), 1)}
        results["runInstances100"] = stats(batch_ms) | {"last10p50": round(statistics.median(batch_ms[-10:]), 2),
                                                         "instancesPerSecond": round(len(ids) / populate_seconds, 1)}
        # Every hundredth instance gets a unique Name tag: the 1-hit tag filter's targets.
        for start in range(0, len(ids), 100):
            client.timed({"Action": "CreateTags", "ResourceId.1": ids[start], "Tag.1.Key": "Name", "Tag.1.Value": f"bench-{start}"})
        names = {i: f"bench-{n}" for n, i in enumerate(ids) if n % 100 == 0}

        # Stop 50 instances (state filter target).
        stopped = rng.sample(ids, 50)
        client.timed({"Action": "StopInstances"} | {f"InstanceId.{k + 1}": i for k, i in enumerate(stopped)})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, data = client.timed({"Action": "DescribeInstances", "Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "stopped"})
            if len(INSTANCE_ID.findall(data.decode())) >= 50:
                break
            time.sleep(0.2)

        def sample(name: str, make, repeat: int = args.repeat, check=None) -> None:
            samples = []
            for _ in range(repeat):
                params = make()
                elapsed, data = client.timed(params)
                if check:
                    check(data.decode())
                samples.append(elapsed)
            results[name] = stats(samples)
            print(f"  {name}: {results[name]}", file=sys.stderr)

        def hits(n: int):
            def check(text: str) -> None:
                found = len(INSTANCE_ID.findall(text))
                if found != n:
                    raise RuntimeError(f"expected {n} instances, got {found}")
            return check

        one_run: list[float] = []
        for _ in range(20):
            elapsed, data = client.timed(run_params(image, subnet, 1, 0))
            one_run.append(elapsed)
            ids.extend(INSTANCE_ID.findall(data.decode()))
        results["runInstances1"] = stats(one_run)
        total = len(ids)

        sample("describeInstancesById", lambda: {"Action": "DescribeInstances", "InstanceId.1": rng.choice(ids)}, check=hits(1))
        sample("describeInstancesByTag1Hit", lambda: {"Action": "DescribeInstances", "Filter.1.Name": "tag:Name",
                                                      "Filter.1.Value.1": rng.choice(list(names.values()))}, check=hits(1))
        groups = args.instances // 100
        sample("describeInstancesByTag100Hits", lambda: {"Action": "DescribeInstances", "Filter.1.Name": "tag:group",
                                                         "Filter.1.Value.1": f"g{rng.randrange(1, groups)}"}, repeat=max(20, args.repeat // 4), check=hits(100))
        sample("describeInstancesByState", lambda: {"Action": "DescribeInstances", "Filter.1.Name": "instance-state-name",
                                                    "Filter.1.Value.1": "stopped"}, repeat=max(20, args.repeat // 4), check=hits(50))
        sample("describeInstancesAll", lambda: {"Action": "DescribeInstances"}, repeat=5, check=hits(total))
        scans = []
        for _ in range(3):
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
            if seen != total:
                raise RuntimeError(f"scan saw {seen} of {total}")
            scans.append((time.perf_counter() - started) * 1000)
        results["describeInstancesPaginatedScan"] = stats(scans)
        phases["describes"] = round(server.rss_mb(), 1)
        sample("describeTagsByResource", lambda: {"Action": "DescribeTags", "Filter.1.Name": "resource-id", "Filter.1.Value.1": rng.choice(ids)})

        def create_tags() -> dict:
            chunk = rng.sample(ids, 100)
            return {"Action": "CreateTags", "Tag.1.Key": "touched", "Tag.1.Value": str(rng.random())} | {f"ResourceId.{k + 1}": i for k, i in enumerate(chunk)}
        sample("createTags100", create_tags, repeat=max(20, args.repeat // 4))
        phases["tags"] = round(server.rss_mb(), 1)

        # Concurrent readers during writes: 4 readers by id, one writer tagging 100 at a time.
        stop = threading.Event()
        reader_samples: list[list[float]] = [[] for _ in range(4)]
        writer_samples: list[float] = []

        def reader(k: int) -> None:
            c = Client(server.port)
            r = random.Random(k)
            while not stop.is_set():
                elapsed, _ = c.timed({"Action": "DescribeInstances", "InstanceId.1": r.choice(ids)})
                reader_samples[k].append(elapsed)

        def writer() -> None:
            c = Client(server.port)
            while not stop.is_set():
                elapsed, _ = c.timed(create_tags())
                writer_samples.append(elapsed)
        threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)] + [threading.Thread(target=writer)]
        for t in threads:
            t.start()
        time.sleep(5)
        stop.set()
        for t in threads:
            t.join()
        results["concurrentReadersById"] = stats([s for r in reader_samples for s in r]) | {"readsPerSecond": round(sum(map(len, reader_samples)) / 5, 1)}
        results["concurrentWriterCreateTags100"] = stats(writer_samples)

        results["rssMb"] = round(server.rss_mb(), 1)
        phases["concurrent"] = results["rssMb"]
        # The same, after --settle seconds without requests (what a quiet server holds).
        time.sleep(args.settle)
        results["rssSettledMb"] = round(server.rss_mb(), 1)
        results["settleSeconds"] = args.settle
        results["rssPhasesMb"] = phases
        detail = server.status_mb()
        results["rssDetailMb"] = {k: detail[k] for k in ("VmRSS", "RssAnon", "RssFile", "VmHWM") if k in detail}
        if args.at_end:
            command = args.at_end.replace("{pid}", str(server.proc.pid))
            print(f"  running: {command}", file=sys.stderr)
            env = os.environ | {"STRATUS_PID": str(server.proc.pid), "STRATUS_ENDPOINT": server.endpoint}
            code = subprocess.call(command, shell=True, env=env, stdout=sys.stderr)
            results["atEnd"] = {"command": command, "exitCode": code, "rssAfterMb": round(server.rss_mb(), 1)}
        if args.hold > 0:
            print(f"  server pid {server.proc.pid} at {server.endpoint} (data {root}/data), held {args.hold:.0f} s", file=sys.stderr, flush=True)
            hold(args.hold)
        if not moto:  # moto keeps nothing across a restart
            server.stop()
            results["restartSeconds"] = round(server.start(), 3)
            results["rssAfterRestartMb"] = round(server.rss_mb(), 1)
            first, _ = Client(server.port).timed({"Action": "DescribeInstances", "InstanceId.1": ids[0]})
            results["firstDescribeAfterRestartMs"] = round(first, 2)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"data kept in {root}", file=sys.stderr)

    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    other = None
    if args.compare:
        with open(args.compare, encoding="utf-8") as f:
            other = json.load(f)
    label = other.get("server", "other") if other else ""
    print("| call | p50 ms | p99 ms | n |" + (f" {label} p50 ms | × faster |" if other else ""))
    print("|---|---:|---:|---:|" + ("---:|---:|" if other else ""))
    for name, value in results.items():
        if isinstance(value, dict) and "p50" in value:
            row = f"| {name} | {value['p50']} | {value['p99']} | {value['n']} |"
            if other:
                theirs = other.get(name)
                row += f" {theirs['p50']} | {theirs['p50'] / value['p50']:.1f} |" if isinstance(theirs, dict) else " | |"
            print(row)
        elif value is not None and not isinstance(value, dict):
            theirs = other.get(name) if other else None
            print(f"| {name} | {value} | | |" + (f" {theirs} | |" if other else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
