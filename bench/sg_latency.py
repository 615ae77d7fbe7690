#!/usr/bin/env python3
"""Security-group enforcement benchmark: API call → rule in effect, and ruleset size.

Starts its own `stratus serve --runtime <runtime>` on a temporary data dir, launches
--instances guests of the minimal image into the default VPC (EC2's default limit is 20 per
region), puts every guest into --bulk-groups groups of 55 inbound rules each (about 200 rules in
the VPC's filter with the default 4), and a target guest serving HTTP on port 8080. Then, --rounds
times:

  authorize  AuthorizeSecurityGroupIngress tcp/8080 from 0.0.0.0/0 on the target's own group;
             time from just before the call to the start of the first TCP connect from the host
             to the target's public address that gets the page (connects retried at once);
  revoke     RevokeSecurityGroupIngress of that rule; time until a new connect fails (a connect
             attempt that times out after 0.2 s counts from its start).

Then guest-to-guest throughput (busybox nc, 300 MB from a second guest to the target) with the
bulk groups on both guests and again after ModifyInstanceAttribute took them off (the packet path
with and without ~200 rules in the guests' chains).

Also the API call's own duration (the filter is loaded before the answer) and the VPC table's size
(`nft list table ip stratus_fw`: lines, rules, bytes). Load-independent figures per call: the CPU
time the server and the commands it ran spent on it (utime+stime of the server plus its reaped
children, from /proc/<pid>/stat), and, from the server's debug log of each firewall apply
(Logging__LogLevel__Stratus.Network=Debug, set for the server it starts), the host commands the
apply ran, what it loaded (chains: only the changed chains; tables; namespace) and its steps' times.
Results go to stdout as Markdown and to docs/benchmarks/sg-<runtime>.json.

With more than 20 instances it first raises the account's vCPU and interface quotas through the
Service Quotas API. The load average (1/5/15 min) at start, with the guests up, and at the end is
recorded with the results (the machine is shared).

Usage (root; the minimal image built):
  bench/sg_latency.py --runtime container --instances 20 --rounds 20
  bench/sg_latency.py --runtime container --instances 50 --rounds 20 --out docs/benchmarks/sg-container-50.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from launch_latency import DEFAULT_BIN, REPO, Server, ssh_ok  # noqa: E402

SERVE = "#!/bin/sh\nmkdir -p /srv; echo bench-page > /srv/index.html; busybox httpd -p 8080 -h /srv\n"


def reachable(ip: str, port: int) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=0.2) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            s.settimeout(2)
            return b"bench-page" in s.recv(4096) + s.recv(4096)
    except OSError:
        return False


def until(ip: str, port: int, expected: bool, since: float, limit: float = 10.0) -> float:
    while True:
        started = time.monotonic()
        if reachable(ip, port) == expected:
            return started - since
        if started - since > limit:
            raise SystemExit(f"rule never took effect ({'open' if expected else 'closed'})")


def ssh(key: str, ip: str, command: str, timeout: float = 60) -> str:
    return subprocess.run(["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", f"ec2-user@{ip}", command],
                          capture_output=True, text=True, timeout=timeout).stdout + ""


def throughput(key: str, server_ip: str, server_private: str, client_ip: str, megabytes: int = 300) -> float:
    """MB/s of one TCP stream from the client guest to the server guest (busybox nc, dd's own figure)."""
    ssh(key, server_ip, "(timeout 60 busybox nc -l -p 7000 > /dev/null 2>&1 &) ; sleep 0.2")
    t = time.monotonic()
    ssh(key, client_ip, f"dd if=/dev/zero bs=1M count={megabytes} 2>/dev/null | timeout 60 busybox nc {server_private} 7000", timeout=90)
    return megabytes / (time.monotonic() - t)


def stats(values: list[float]) -> dict:
    values = sorted(values)
    return {"n": len(values), "median_ms": round(1000 * statistics.median(values), 1),
            "p99_ms": round(1000 * values[min(len(values) - 1, int(0.99 * len(values)))], 1),
            "max_ms": round(1000 * values[-1], 1)}


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and its waited-for children (utime, stime, cutime, cstime)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def applies(log_path: str, start: int) -> list[dict]:
    """The firewall applies the server logged (debug) after byte offset START of its log."""
    out = []
    with open(log_path, "rb") as f:
        f.seek(start)
        for line in f.read().decode(errors="replace").splitlines():
            m = re.search(r"firewall of \S+ applied \((\w[\w ]*), (\d+) interfaces, (\d+) bytes\): (.*), (\d+) commands", line)
            if m:
                steps = {k: float(v) for k, v in re.findall(r"([\w-]+) ([\d.]+) ms", m.group(4))}
                out.append({"loaded": m.group(1), "interfaces": int(m.group(2)), "bytes": int(m.group(3)), "commands": int(m.group(5)), "steps_ms": steps})
    return out


def table_size(private_ip: str) -> dict:
    for ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split():
        if not ns.startswith("stx-"):
            continue
        route = subprocess.run(["ip", "netns", "exec", ns, "ip", "-4", "route", "get", private_ip], capture_output=True, text=True).stdout
        if " dev br0 " not in route:
            continue
        text = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "table", "ip", "stratus_fw"], capture_output=True, text=True).stdout
        rules = sum(1 for line in text.splitlines() if line.strip().endswith(("return", "drop", "accept")) or " jump " in line)
        return {"lines": len(text.splitlines()), "rules": rules, "bytes": len(text)}
    return {}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runtime", default="container", choices=["container", "microvm"])
    p.add_argument("--instances", type=int, default=20)
    p.add_argument("--bulk-groups", type=int, default=4)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--binary", default=os.environ.get("STRATUS_BIN", DEFAULT_BIN))
    p.add_argument("--image-dir", default=os.environ.get("STRATUS_IMAGE_DIR"))
    p.add_argument("--out", help="JSON results file (default docs/benchmarks/sg-<runtime>.json)")
    args = p.parse_args()

    # Each firewall apply's steps and command count in the server's log (a server without them just logs less).
    os.environ.setdefault("Logging__LogLevel__Stratus.Network", "Debug")
    srv = Server(args.binary, args.runtime, args.image_dir)
    ec2 = srv.ec2
    ids: list[str] = []
    load = {"start": [round(x, 2) for x in os.getloadavg()]}
    try:
        if args.instances > 20:
            # Past EC2's default limits (vCPUs of running on-demand instances; interfaces per region): ask for more, as a user would.
            quotas = boto3.client("service-quotas", endpoint_url=srv.endpoint, region_name="us-east-1",
                                  aws_access_key_id="AKIDBENCH", aws_secret_access_key="x")
            for service, code, wanted in (("ec2", "L-1216C47A", 2 * args.instances + 64), ("vpc", "L-DF5E4CA3", args.instances + 5000)):
                # Only past the current value: Service Quotas refuses a request that is not an increase.
                if quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"] < wanted:
                    quotas.request_service_quota_increase(ServiceCode=service, QuotaCode=code, DesiredValue=wanted)
        key = os.path.join(srv.root, "bench.pem")
        with open(key, "w") as f:
            f.write(ec2.create_key_pair(KeyName="bench")["KeyMaterial"])
        os.chmod(key, 0o400)
        ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
        target_sg = ec2.create_security_group(GroupName="target", Description="target")["GroupId"]
        ssh_sg = ec2.create_security_group(GroupName="ssh", Description="ssh")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=ssh_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        bulk = []
        for g in range(args.bulk_groups):
            sg = ec2.create_security_group(GroupName=f"bulk{g}", Description="bulk")["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 10000 + 100 * g + i, "ToPort": 10000 + 100 * g + i,
                 "IpRanges": [{"CidrIp": f"10.{g}.{i}.0/24"}]} for i in range(55)])
            bulk.append(sg)
        groups = [ssh_sg] + bulk[:3]
        target = ec2.run_instances(ImageId=ami, InstanceType="t3.nano", MinCount=1, MaxCount=1, KeyName="bench",
                                   SecurityGroupIds=[target_sg, *groups], UserData=SERVE)["Instances"][0]["InstanceId"]
        ids.append(target)
        for _ in range(args.instances - 1):
            ids.append(ec2.run_instances(ImageId=ami, InstanceType="t3.nano", MinCount=1, MaxCount=1, KeyName="bench",
                                         SecurityGroupIds=[ssh_sg, *bulk])["Instances"][0]["InstanceId"])
        ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        inst = ec2.describe_instances(InstanceIds=[target])["Reservations"][0]["Instances"][0]
        ip = inst["PublicIpAddress"]
        deadline = time.monotonic() + 120
        while not ssh_ok(key, ip):
            if time.monotonic() > deadline:
                raise SystemExit("target never answered SSH")
        deadline = time.monotonic() + 60
        while "bench-page" not in subprocess.run(["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                                  "-o", "LogLevel=ERROR", f"ec2-user@{ip}", "curl -s http://127.0.0.1:8080/"],
                                                 capture_output=True, text=True).stdout:
            if time.monotonic() > deadline:
                raise SystemExit("target never served its page")
            time.sleep(0.5)

        load["guests_up"] = [round(x, 2) for x in os.getloadavg()]
        rule = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        opened, closed, calls, cpu = [], [], [], []
        assert not reachable(ip, 8080)
        log_start = os.path.getsize(srv.log.name)
        for _ in range(args.rounds):
            c = cpu_seconds(srv.proc.pid)
            t = time.monotonic()
            ec2.authorize_security_group_ingress(GroupId=target_sg, IpPermissions=rule)
            calls.append(time.monotonic() - t)
            cpu.append(cpu_seconds(srv.proc.pid) - c)
            opened.append(until(ip, 8080, True, t))
            c = cpu_seconds(srv.proc.pid)
            t = time.monotonic()
            ec2.revoke_security_group_ingress(GroupId=target_sg, IpPermissions=rule)
            calls.append(time.monotonic() - t)
            cpu.append(cpu_seconds(srv.proc.pid) - c)
            closed.append(until(ip, 8080, False, t))
        applied = applies(srv.log.name, log_start)
        size = table_size(inst["PrivateIpAddress"])

        client = ids[1] if len(ids) > 1 else None
        rates = {}
        if client:
            ec2.authorize_security_group_ingress(GroupId=target_sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7000, "UserIdGroupPairs": [{"GroupId": ssh_sg}]}])
            client_ip = ec2.describe_instances(InstanceIds=[client])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
            rates["with_rules_mb_s"] = round(statistics.median(throughput(key, ip, inst["PrivateIpAddress"], client_ip) for _ in range(3)), 1)
            ec2.modify_instance_attribute(InstanceId=target, Groups=[target_sg, ssh_sg])
            ec2.modify_instance_attribute(InstanceId=client, Groups=[ssh_sg])
            rates["without_rules_mb_s"] = round(statistics.median(throughput(key, ip, inst["PrivateIpAddress"], client_ip) for _ in range(3)), 1)
        load["end"] = [round(x, 2) for x in os.getloadavg()]
        result = {"load_average_1_5_15": load, "runtime": args.runtime, "instances": args.instances, "host_cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
                  "rules_in_groups": 55 * args.bulk_groups + 2, "authorize_to_open": stats(opened), "revoke_to_closed": stats(closed),
                  "api_call": stats(calls), "api_call_cpu": stats(cpu), "table": size, "throughput": rates,
                  "applies": {"n": len(applied),
                              "commands_median": statistics.median(a["commands"] for a in applied) if applied else None,
                              "loaded": sorted({a["loaded"] for a in applied}),
                              "steps_ms_median": {k: statistics.median(a["steps_ms"].get(k, 0.0) for a in applied)
                                                  for k in sorted({k for a in applied for k in a["steps_ms"]})}}}
        out = args.out or os.path.join(REPO, "docs", "benchmarks", f"sg-{args.runtime}.json")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
        print(f"| {args.runtime}, {args.instances} guests, {result['rules_in_groups']} rules | median | p99 | max |")
        print("|---|---|---|---|")
        for name, key_ in (("Authorize → port open", "authorize_to_open"), ("Revoke → port closed", "revoke_to_closed"), ("API call (rules loaded before the answer)", "api_call")):
            s = result[key_]
            print(f"| {name} | {s['median_ms']} ms | {s['p99_ms']} ms | {s['max_ms']} ms |")
        s = result["api_call_cpu"]
        print(f"| CPU time per call (server + its commands) | {s['median_ms']} ms | {s['p99_ms']} ms | {s['max_ms']} ms |")
        print(f"\nfirewall applies (server debug log): {result['applies']}")
        print(f"\nstratus_fw table: {size}")
        print(f"guest-to-guest TCP throughput: {rates}")
        print(f"load average (1, 5, 15 min): {load}")
        return 0
    finally:
        if ids:
            try:
                ec2.terminate_instances(InstanceIds=ids)
                ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
            except Exception as e:  # noqa: BLE001 - the server's shutdown removes the guests anyway
                print(f"terminate: {e}", file=sys.stderr)
        srv.close()


if __name__ == "__main__":
    sys.exit(main())
