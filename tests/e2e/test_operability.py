"""Operating a running server: `stratus status` and `stratus doctor`, the health document,
the Prometheus `/metrics` exposition, and JSON logs.

One server for the module, on the mock runtime (guests are not the point here), logging JSON.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import FAST, ServerFactory, free_port, http_send, minimal_ami, sigv4_sign
import datetime as _dt

# Prometheus text exposition format 0.0.4: `name{label="value",...} value [timestamp]`.
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_exposition(text: str) -> dict[str, list[tuple[dict, float]]]:
    """Parses the text format strictly: every line is a comment, blank, or a valid sample; every
    sample belongs to a family declared by # TYPE. Returns samples by metric name."""
    samples: dict[str, list[tuple[dict, float]]] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
                types[parts[2]] = parts[3]
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, _, label_text, value = m.group(1), m.group(2), m.group(3), m.group(4)
        labels = {}
        if label_text:
            pos = 0
            while pos < len(label_text):
                lm = _LABEL.match(label_text, pos)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, f"{name} has no # TYPE"
        v = float(value.replace("+Inf", "inf").replace("-Inf", "-inf"))
        assert not math.isnan(v) or value == "NaN", line
        samples.setdefault(name, []).append((labels, v))
    return samples


def value(samples, name: str, **labels) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    return sum(v for l, v in samples.get(name, []) if all(l.get(k) == w for k, w in labels.items()))


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("operability")))
    try:
        yield factory(extra_args=["--log-format", "json", "--mock-boot-seconds", "0.3"])
    finally:
        factory.close()


def stratus(srv, *args, env_extra=None, timeout=60):
    env = srv.env()
    env.update(env_extra or {})
    return subprocess.run([srv.binary, *args], env=env, cwd=srv.root, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def scrape(srv) -> dict:
    r = http_send("GET", srv.endpoint + "/metrics")
    assert r.status == 200, r
    assert r.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"), r.headers
    return parse_exposition(r.body)


def test_health_document(srv):
    r = http_send("GET", srv.endpoint + "/_stratus/health")
    assert r.status == 200, r
    doc = json.loads(r.body)
    assert doc["status"] == "ready"
    assert re.match(r"^\d+\.\d+\.\d+", doc["version"]), doc
    assert doc["uptimeSeconds"] > 0
    comps = doc["components"]
    assert comps["store"]["state"] == "ready" and comps["store"]["kind"] == "sqlite"
    assert comps["runtime"] == {"state": "ready", "name": "mock", "error": None}
    assert comps["network"]["state"] == "not-used"
    assert comps["metadataService"]["state"] == "ready" and comps["metadataService"]["port"] > 0
    assert doc["services"]["ec2"]["state"] == "ready" and doc["services"]["ec2"]["implemented"] > 100


def test_status_json_from_the_written_profile(srv):
    ec2 = srv.ec2()
    ami = minimal_ami(ec2)
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    # No --endpoint-url: the CLI reads endpoint_url of the profile serve wrote into $HOME/.aws.
    p = stratus(srv, "status", "--output", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["status"] == "ready"
    assert doc["endpoint"] == srv.endpoint
    assert doc["dataDirectory"] == srv.data_dir
    assert doc["store"]["kind"] == "sqlite" and doc["store"]["path"] == os.path.join(srv.data_dir, "stratus.db")
    assert doc["store"]["sizeBytes"] > 0 and doc["store"]["state"] == "ok"
    rt = doc["runtime"]
    assert rt["name"] == "mock" and rt["requested"] == "mock" and rt["state"] == "ready" and rt["reason"]
    assert [c["name"] for c in rt["candidates"]] == ["container", "microvm", "mock"]
    assert [c["name"] for c in rt["candidates"] if c["chosen"]] == ["mock"]
    for c in rt["candidates"]:
        assert c["available"] == (len(c["missing"]) == 0), c
    assert doc["network"] == "none"
    assert doc["metadataService"]["state"] == "listening"
    assert "directory" in doc["images"] and isinstance(doc["images"]["items"], list)
    assert doc["instances"]["byRegion"]["us-east-1"]["running"] >= 1
    assert doc["instances"]["byRuntime"]["mock"]["running"] >= 1
    assert doc["instances"]["total"] >= 1
    assert any(w["name"] == "instance-lifecycle" for w in doc["backgroundWork"])
    host = doc["host"]
    assert host["cpus"] >= 1 and host["processResidentBytes"] > 0 and host["memoryTotalBytes"] > 0
    assert doc["uptimeSeconds"] > 0 and doc["version"]

    text = stratus(srv, "status")
    assert text.returncode == 0, text.stderr
    assert srv.endpoint in text.stdout and "runtime" in text.stdout and "us-east-1" in text.stdout, text.stdout
    ec2.terminate_instances(InstanceIds=[iid])


def test_status_endpoint_access(srv):
    # Signed with the account's key: answered.
    url, headers = sigv4_sign("GET", srv.endpoint + "/_stratus/status", b"", {}, srv.credentials, "ec2", "us-east-1",
                              _dt.datetime.now(_dt.timezone.utc))
    assert http_send("GET", url, headers=headers).status == 200
    # A wrong signature: refused.
    bad = dict(headers)
    bad["Authorization"] = bad["Authorization"][:-4] + "0000"
    r = http_send("GET", url, headers=bad)
    assert r.status == 403 and "error" in json.loads(r.body), r
    # Unsigned from loopback: answered; unsigned from a browser page: refused.
    assert http_send("GET", srv.endpoint + "/_stratus/status").status == 200
    r = http_send("GET", srv.endpoint + "/_stratus/status", headers={"Origin": "http://evil.example"})
    assert r.status == 403 and json.loads(r.body)["error"]["code"] == "MissingAuthenticationToken", r


def test_status_without_a_server(srv):
    p = stratus(srv, "status", "--endpoint-url", f"http://127.0.0.1:{free_port()}")
    assert p.returncode == 1
    assert "no answer" in p.stderr and "stratus serve" in p.stderr, p.stderr


def test_metrics_move_with_requests_and_launches(srv):
    ec2 = srv.ec2()
    before = scrape(srv)
    for name in ("stratus_requests_duration_seconds_bucket", "stratus_store_transaction_duration_seconds_count",
                 "stratus_instances", "stratus_lifecycle_work_in_flight", "stratus_uptime_seconds", "stratus_build_info"):
        assert name in before or name.endswith("_bucket"), f"{name} missing: {sorted(before)}"
    ec2.describe_regions()
    ec2.describe_regions()
    try:
        ec2.describe_instances(InstanceIds=["i-00000000000000000"])
    except Exception:  # noqa: BLE001 - the error is the point
        pass
    iid = ec2.run_instances(ImageId=minimal_ami(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    after = scrape(srv)

    ok = dict(service="ec2", operation="DescribeRegions", status="200")
    assert value(after, "stratus_requests_duration_seconds_count", **ok) >= value(before, "stratus_requests_duration_seconds_count", **ok) + 2
    assert value(after, "stratus_requests_duration_seconds_bucket", le="+Inf", **ok) == value(after, "stratus_requests_duration_seconds_count", **ok)
    assert value(after, "stratus_requests_duration_seconds_sum", **ok) > 0
    err = dict(service="ec2", operation="DescribeInstances", status="400")
    assert value(after, "stratus_requests_duration_seconds_count", **err) >= value(before, "stratus_requests_duration_seconds_count", **err) + 1
    # Buckets are cumulative.
    buckets = sorted(((float(l["le"].replace("+Inf", "inf")), v) for l, v in after["stratus_requests_duration_seconds_bucket"]
                      if all(l.get(k) == w for k, w in ok.items())))
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
    launch = dict(runtime="mock", operation="start", outcome="ok")
    assert value(after, "stratus_runtime_operation_duration_seconds_count", **launch) >= value(before, "stratus_runtime_operation_duration_seconds_count", **launch) + 1
    assert value(after, "stratus_runtime_operation_duration_seconds_sum", **launch) >= 0.25 * value(after, "stratus_runtime_operation_duration_seconds_count", **launch)
    assert value(after, "stratus_store_transaction_duration_seconds_count") > value(before, "stratus_store_transaction_duration_seconds_count")
    assert value(after, "stratus_instances", region="us-east-1", state="running", runtime="mock") >= 1
    assert value(after, "stratus_uptime_seconds") > value(before, "stratus_uptime_seconds")

    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=FAST)
    final = scrape(srv)
    assert value(final, "stratus_instances", region="us-east-1", state="terminated", runtime="mock") >= 1
    assert value(final, "stratus_instances", region="us-east-1", state="running", runtime="mock") == \
        value(after, "stratus_instances", region="us-east-1", state="running", runtime="mock") - 1
    assert value(final, "stratus_runtime_operation_duration_seconds_count", runtime="mock", operation="terminate") >= 1


def test_json_logs_are_all_json(srv):
    srv.ec2().describe_regions()
    lines = []
    with open(srv.log_path, encoding="utf-8") as f:
        for line in f:
            # The fixture's own marker between starts is not the server's.
            if line.startswith("===== start #") or not line.strip():
                continue
            # The server may be half-way through writing its newest line.
            if not line.endswith("\n"):
                break
            lines.append(line)
    assert len(lines) >= 8, lines
    for line in lines:
        doc = json.loads(line)
        assert {"Timestamp", "LogLevel", "Category", "Message"} <= set(doc), line
    messages = [json.loads(l)["Message"] for l in lines]
    assert any(m.startswith("instance runtime mock") for m in messages), messages
    assert any(m.startswith("Stratus EC2 API on") for m in messages), messages
    assert any("aws CLI v2 >= 2.13" in m for m in messages), messages


def test_doctor_explains_a_hidden_crun(srv, tmp_path):
    # A PATH with every tool the runtimes use except crun.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ip", "setsid", "unshare", "qemu-system-x86_64", "qemu-img", "mkfs.ext4", "nft", "dnsmasq", "aws"):
        found = shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        if found:
            os.symlink(found, bin_dir / tool)
    p = stratus(srv, "doctor", "--output", "json", "--endpoint-url", srv.endpoint, env_extra={"PATH": str(bin_dir)})
    assert p.returncode == 1, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["ok"] is False and doc["endpoint"] == srv.endpoint
    checks = {c["name"]: c for c in doc["checks"]}
    container = checks["container runtime"]
    assert container["level"] == "fail" and "crun" in container["detail"], container
    assert "crun" in container["fix"] or "PATH" in container["fix"], container
    assert "stratus serve --runtime auto uses" in checks["runtime choice"]["detail"]
    assert "container" not in checks["runtime choice"]["detail"].split("uses ")[1].split(" ")[0]
    assert checks["server"]["level"] == "ok", checks["server"]

    text = stratus(srv, "doctor", "--endpoint-url", srv.endpoint, env_extra={"PATH": str(bin_dir)})
    assert text.returncode == 1
    assert re.search(r"^FAIL\s+container runtime: unavailable: needs .*crun", text.stdout, re.M), text.stdout
    assert "fix:" in text.stdout
