#!/usr/bin/env python3
"""Load balancer data plane benchmark: ALB requests/s and added latency versus direct to the target.

Starts its own `stratus serve --runtime mock` on a temporary data dir and a small HTTP/1.1
keep-alive target server (a separate Python process on 127.0.0.1) registered as an IP target
(AvailabilityZone all) behind an ALB with an HTTP listener. Then, for the target directly and for
the ALB (its DNS name resolved through the hosts file the server keeps; the address is used
directly so name lookups do not count):

  latency     --requests sequential GETs on one keep-alive connection: p50 / p99 / mean
  throughput  --seconds of GETs from --processes x --threads keep-alive connections: requests/s

Results go to stdout as Markdown and to docs/benchmarks/alb.json.

Usage (root, for the hosts file and port 80):
  bench/alb_latency.py --requests 2000 --seconds 10 --processes 2 --threads 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from launch_latency import DEFAULT_BIN, REPO, Server  # noqa: E402

TARGET = r'''
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_GET(self):
        body = b"hello from the target\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
'''


def latency(host: str, port: int, requests: int) -> list[float]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        conn.request("GET", "/")
        r = conn.getresponse()
        r.read()
        samples.append((time.perf_counter() - start) * 1000)
        assert r.status == 200, r.status
    conn.close()
    return samples


def _worker(host: str, port: int, seconds: float, threads: int, out):
    counts = [0] * threads

    def run(i):
        conn = http.client.HTTPConnection(host, port, timeout=10)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            conn.request("GET", "/")
            r = conn.getresponse()
            r.read()
            counts[i] += 1
        conn.close()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(sum(counts))


def throughput(host: str, port: int, seconds: float, processes: int, threads: int) -> float:
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=_worker, args=(host, port, seconds, threads, q)) for _ in range(processes)]
    for p in ps:
        p.start()
    total = sum(q.get() for _ in ps)
    for p in ps:
        p.join()
    return total / seconds


def summary(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"p50_ms": round(s[len(s) // 2], 3), "p99_ms": round(s[int(len(s) * 0.99) - 1], 3), "mean_ms": round(statistics.mean(s), 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=DEFAULT_BIN)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    target = subprocess.Popen([sys.executable, "-c", TARGET], stdout=subprocess.PIPE, text=True)
    target_port = int(target.stdout.readline())
    srv = Server(args.binary, "mock", None)
    try:
        elb = boto3.client("elbv2", endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id="AKIDBENCH",
                           aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
        vpc = srv.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in srv.ec2.describe_subnets()["Subnets"]][:2]
        tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=target_port, VpcId=vpc, TargetType="ip",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": target_port, "AvailabilityZone": "all"}])
        lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        deadline = time.monotonic() + 60
        while elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"][0]["TargetHealth"]["State"] != "healthy":
            assert time.monotonic() < deadline, "target never healthy"
            time.sleep(0.5)
        alb_address = socket.gethostbyname(lb["DNSName"])
        results = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "requests": args.requests, "seconds": args.seconds,
                   "connections": args.processes * args.threads}
        for name, host, port in (("direct", "127.0.0.1", target_port), ("alb", alb_address, 80)):
            latency(host, port, 200)  # warm up
            results[name] = summary(latency(host, port, args.requests))
            results[name]["requests_per_second"] = round(throughput(host, port, args.seconds, args.processes, args.threads), 1)
        results["added_p50_ms"] = round(results["alb"]["p50_ms"] - results["direct"]["p50_ms"], 3)
        results["added_p99_ms"] = round(results["alb"]["p99_ms"] - results["direct"]["p99_ms"], 3)
    finally:
        srv.close()
        target.kill()
    print("| path | p50 | p99 | mean | requests/s |")
    print("|---|---:|---:|---:|---:|")
    for name in ("direct", "alb"):
        r = results[name]
        print(f"| {name} | {r['p50_ms']} ms | {r['p99_ms']} ms | {r['mean_ms']} ms | {r['requests_per_second']} |")
    print(f"\nadded by the ALB: p50 {results['added_p50_ms']} ms, p99 {results['added_p99_ms']} ms")
    out = os.path.join(REPO, "docs", "benchmarks", "alb.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
