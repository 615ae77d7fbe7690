"""CloudWatch Logs with real clients (boto3 and the aws CLI) on the mock runtime: log groups and
streams, PutLogEvents' batch rules, GetLogEvents' tokens, FilterLogEvents' filter patterns,
retention and tags, and the data surviving a restart."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import datetime as dt
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from conftest import error_of


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


def now_ms():
    return int(time.time() * 1000)


def put(logs, group, stream, messages, start=None):
    start = start or now_ms() - len(messages)
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    return logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def code(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return error_of(e)


def test_groups_create_describe_delete(logs, server):
    logs.create_log_group(logGroupName="/app/web", tags={"team": "a"})
    logs.create_log_group(logGroupName="/app/worker", logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName="/other/Web-Legacy")
    assert code(logs.create_log_group, logGroupName="/app/web")[:2] == ("ResourceAlreadyExistsException", "The specified log group already exists")
    c, m, status = code(logs.create_log_group, logGroupName="bad name!")
    assert c == "InvalidParameterException" and "regular expression pattern" in m and status == 400
    assert code(logs.create_log_group, logGroupName="AWS/mine")[0] == "InvalidParameterException"

    groups = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app/web", "/app/worker"]
    account = server.client("sts").get_caller_identity()["Account"]
    web = groups[0]
    assert web["arn"] == f"arn:aws:logs:us-east-1:{account}:log-group:/app/web:*"
    assert web["logGroupArn"] == f"arn:aws:logs:us-east-1:{account}:log-group:/app/web"
    assert web["logGroupClass"] == "STANDARD" and groups[1]["logGroupClass"] == "INFREQUENT_ACCESS"
    assert abs(web["creationTime"] - now_ms()) < 60_000 and "retentionInDays" not in web
    # Pattern: case-insensitive substring; exclusive with the prefix.
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePattern="web")["logGroups"]] == ["/app/web", "/other/Web-Legacy"]
    assert code(logs.describe_log_groups, logGroupNamePrefix="/app", logGroupNamePattern="web")[0] == "InvalidParameterException"
    # Pagination: one at a time, and the paginator gathers them all.
    page1 = logs.describe_log_groups(limit=1)
    assert len(page1["logGroups"]) == 1 and "nextToken" in page1
    names = [g["logGroupName"] for p in logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 1}) for g in p["logGroups"]]
    assert names == sorted(names) and {"/app/web", "/app/worker", "/other/Web-Legacy"} <= set(names)
    assert code(logs.describe_log_groups, limit=51)[0] == "InvalidParameterException"

    logs.put_log_group_deletion_protection(logGroupIdentifier="/other/Web-Legacy", deletionProtectionEnabled=True)
    assert code(logs.delete_log_group, logGroupName="/other/Web-Legacy")[0] == "ValidationException"
    logs.put_log_group_deletion_protection(logGroupIdentifier="/other/Web-Legacy", deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName="/other/Web-Legacy")
    assert code(logs.delete_log_group, logGroupName="/other/Web-Legacy")[:2] == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_streams_order_and_pagination(logs):
    logs.create_log_group(logGroupName="streams")
    for name in ["c", "a", "b"]:
        logs.create_log_stream(logGroupName="streams", logStreamName=name)
    assert code(logs.create_log_stream, logGroupName="streams", logStreamName="a")[:2] == ("ResourceAlreadyExistsException", "The specified log stream already exists")
    assert code(logs.create_log_stream, logGroupName="nope", logStreamName="a")[0] == "ResourceNotFoundException"
    assert code(logs.create_log_stream, logGroupName="streams", logStreamName="x:y")[0] == "InvalidParameterException"
    base = now_ms() - 10_000
    put(logs, "streams", "c", ["one"], start=base)
    put(logs, "streams", "a", ["two"], start=base + 1000)
    put(logs, "streams", "b", ["three"], start=base + 2000)

    by_name = logs.describe_log_streams(logGroupName="streams")["logStreams"]
    assert [s["logStreamName"] for s in by_name] == ["a", "b", "c"]
    assert by_name[0]["firstEventTimestamp"] == by_name[0]["lastEventTimestamp"] == base + 1000
    assert by_name[0]["arn"].endswith(":log-group:streams:log-stream:a") and "lastIngestionTime" in by_name[0]
    desc = logs.describe_log_streams(logGroupName="streams", orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in desc] == ["b", "a", "c"]
    page = logs.describe_log_streams(logGroupName="streams", descending=True, limit=2)
    assert [s["logStreamName"] for s in page["logStreams"]] == ["c", "b"]
    rest = logs.describe_log_streams(logGroupName="streams", descending=True, limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["a"] and "nextToken" not in rest
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="streams", logStreamNamePrefix="b")["logStreams"]] == ["b"]
    assert code(logs.describe_log_streams, logGroupName="streams", orderBy="LastEventTime", logStreamNamePrefix="b")[0] == "InvalidParameterException"

    logs.delete_log_stream(logGroupName="streams", logStreamName="c")
    assert code(logs.delete_log_stream, logGroupName="streams", logStreamName="c")[:2] == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_put_log_events_rules(logs):
    logs.create_log_group(logGroupName="rules")
    logs.create_log_stream(logGroupName="rules", logStreamName="s")
    out = put(logs, "rules", "s", ["a", "b"])
    assert "rejectedLogEventsInfo" not in out and len(out["nextSequenceToken"]) > 0
    # A wrong sequence token is accepted, as AWS does since 2023.
    logs.put_log_events(logGroupName="rules", logStreamName="s", sequenceToken="49039859",
                        logEvents=[{"timestamp": now_ms(), "message": "c"}])
    t = now_ms()
    assert code(logs.put_log_events, logGroupName="rules", logStreamName="s",
                logEvents=[{"timestamp": t, "message": "x"}, {"timestamp": t - 1, "message": "y"}])[:2] == \
        ("InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
    big = "x" * (256 * 1024 - 26)
    c, m, _ = code(logs.put_log_events, logGroupName="rules", logStreamName="s",
                   logEvents=[{"timestamp": t, "message": big} for _ in range(5)])
    assert c == "InvalidParameterException" and "exceeds limit of 1048576" in m
    assert code(logs.put_log_events, logGroupName="rules", logStreamName="s",
                logEvents=[{"timestamp": t - 25 * 3600_000, "message": "x"}, {"timestamp": t, "message": "y"}])[0] == "InvalidParameterException"
    assert code(logs.put_log_events, logGroupName="rules", logStreamName="nope",
                logEvents=[{"timestamp": t, "message": "x"}])[:2] == ("ResourceNotFoundException", "The specified log stream does not exist.")
    # Too old (over 14 days) and too new (over 2 hours ahead) are rejected; the rest is stored.
    day = 86_400_000
    out = logs.put_log_events(logGroupName="rules", logStreamName="s", logEvents=[
        {"timestamp": t - 15 * day, "message": "old"}, {"timestamp": t - 15 * day + 1, "message": "old2"}])
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    out = logs.put_log_events(logGroupName="rules", logStreamName="s", logEvents=[
        {"timestamp": t, "message": "ok"}, {"timestamp": t + 3 * 3600_000, "message": "new"}])
    assert out["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    messages = [e["message"] for e in logs.get_log_events(logGroupName="rules", logStreamName="s", startFromHead=True)["events"]]
    assert messages == ["a", "b", "c", "ok"]
    # 10,000 events in one batch are fine.
    out = logs.put_log_events(logGroupName="rules", logStreamName="s", logEvents=[{"timestamp": t, "message": str(i)} for i in range(10_000)])
    assert "rejectedLogEventsInfo" not in out


def test_get_log_events_tokens(logs):
    logs.create_log_group(logGroupName="tokens")
    logs.create_log_stream(logGroupName="tokens", logStreamName="s")
    put(logs, "tokens", "s", [f"m{i}" for i in range(10)])
    # Default: the newest events (in time order), and the head with startFromHead.
    tail = logs.get_log_events(logGroupName="tokens", logStreamName="s", limit=3)
    assert [e["message"] for e in tail["events"]] == ["m7", "m8", "m9"]
    head = logs.get_log_events(logGroupName="tokens", logStreamName="s", limit=3, startFromHead=True)
    assert [e["message"] for e in head["events"]] == ["m0", "m1", "m2"]
    assert head["nextForwardToken"].startswith("f/") and head["nextBackwardToken"].startswith("b/")
    forward = logs.get_log_events(logGroupName="tokens", logStreamName="s", limit=3, nextToken=head["nextForwardToken"])
    assert [e["message"] for e in forward["events"]] == ["m3", "m4", "m5"]
    back = logs.get_log_events(logGroupName="tokens", logStreamName="s", limit=2, nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["m5", "m6"]
    # At the end the forward token comes back unchanged; new events then appear after it.
    end = logs.get_log_events(logGroupName="tokens", logStreamName="s", nextToken=tail["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == tail["nextForwardToken"]
    put(logs, "tokens", "s", ["late"], start=now_ms())
    after = logs.get_log_events(logGroupName="tokens", logStreamName="s", nextToken=tail["nextForwardToken"])
    assert [e["message"] for e in after["events"]] == ["late"]
    # startTime / endTime (end exclusive).
    all_events = logs.get_log_events(logGroupName="tokens", logStreamName="s", startFromHead=True)["events"]
    window = logs.get_log_events(logGroupName="tokens", logStreamName="s", startFromHead=True,
                                 startTime=all_events[2]["timestamp"], endTime=all_events[4]["timestamp"])
    assert [e["message"] for e in window["events"]] == ["m2", "m3"]
    # Reading forward page by page until the token comes back unchanged, as AWS documents.
    got, kw = [], {"startFromHead": True}
    while True:
        page = logs.get_log_events(logGroupName="tokens", logStreamName="s", limit=4, **kw)
        got += [e["message"] for e in page["events"]]
        if kw.get("nextToken") == page["nextForwardToken"]:
            break
        kw = {"nextToken": page["nextForwardToken"]}
    assert got == [f"m{i}" for i in range(10)] + ["late"]
    assert code(logs.get_log_events, logGroupName="tokens", logStreamName="s", nextToken="f/123")[0] == "InvalidParameterException"


MESSAGES = [
    "ERROR disk full on /dev/sda",
    "INFO all good",
    "WARN slow request",
    '{"level": "error", "latency": 250, "user": {"id": "u-42"}, "ok": false}',
    '{"level": "info", "latency": 12, "user": {"id": "u-7"}, "ok": true}',
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.0" 404 2326',
    '10.0.0.5 - bob [10/Oct/2000:13:56:00 -0700] "GET /a.png HTTP/1.0" 200 120',
]


@pytest.fixture(scope="module")
def filter_group(logs):
    logs.create_log_group(logGroupName="filter")
    for stream in ("one", "two"):
        logs.create_log_stream(logGroupName="filter", logStreamName=stream)
    base = now_ms() - 60_000
    events_one = [{"timestamp": base + i * 2, "message": m} for i, m in enumerate(MESSAGES)]
    logs.put_log_events(logGroupName="filter", logStreamName="one", logEvents=events_one)
    logs.put_log_events(logGroupName="filter", logStreamName="two", logEvents=[{"timestamp": base + 1, "message": "ERROR from two"}])
    return "filter"


@pytest.mark.parametrize("pattern, expected", [
    ("", len(MESSAGES) + 1),
    ("ERROR", 2),
    ('"disk full"', 1),
    ("ERROR -two", 1),
    ("?WARN ?INFO", 2),
    ("{ $.level = \"error\" }", 1),
    ("{ $.latency > 100 }", 1),
    ("{ $.latency >= 12 && $.user.id = u-* }", 2),
    ("{ ($.level = info) || ($.latency > 200) }", 2),
    ("{ $.ok IS TRUE }", 1),
    ("{ $.missing NOT EXISTS && $.level = \"info\" }", 1),
    ("[ip, identity, user, timestamp, request, status_code = 404, bytes]", 1),
    ("[ip, identity, user, timestamp, request, status_code = 2* || status_code = 4*, bytes > 1000]", 1),
    ("[ip = 10.0.0.*, ...]", 1),
    ("[ip, ..., status_code != 404, bytes > 100]", 1),
])
def test_filter_patterns(logs, filter_group, pattern, expected):
    events = logs.filter_log_events(logGroupName=filter_group, filterPattern=pattern)["events"]
    assert len(events) == expected, [e["message"] for e in events]


def test_filter_log_events_streams_order_and_paging(logs, filter_group):
    out = logs.filter_log_events(logGroupName=filter_group, filterPattern="ERROR")
    # Interleaved across streams in time order, each with its stream and an event id.
    assert [e["logStreamName"] for e in out["events"]] == ["one", "two"]
    assert all(len(e["eventId"]) == 56 for e in out["events"])
    assert [e["message"] for e in logs.filter_log_events(logGroupName=filter_group, logStreamNames=["two"])["events"]] == ["ERROR from two"]
    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName=filter_group, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3 and sum(len(p["events"]) for p in pages) == len(MESSAGES) + 1
    assert code(logs.filter_log_events, logGroupName=filter_group, filterPattern="{ $.x = ")[0] == "InvalidParameterException"
    assert code(logs.filter_log_events, logGroupName=filter_group, logStreamNames=["x"], logStreamNamePrefix="o")[0] == "InvalidParameterException"


def test_retention(logs):
    logs.create_log_group(logGroupName="retention")
    logs.create_log_stream(logGroupName="retention", logStreamName="s")
    day = 86_400_000
    t = now_ms()
    # Two calls: one batch may not span more than 24 hours.
    logs.put_log_events(logGroupName="retention", logStreamName="s", logEvents=[{"timestamp": t - 3 * day, "message": "three days"}])
    logs.put_log_events(logGroupName="retention", logStreamName="s", logEvents=[{"timestamp": t, "message": "now"}])
    assert code(logs.put_retention_policy, logGroupName="retention", retentionInDays=2)[0] == "InvalidParameterException"
    logs.put_retention_policy(logGroupName="retention", retentionInDays=1)
    assert logs.describe_log_groups(logGroupNamePrefix="retention")["logGroups"][0]["retentionInDays"] == 1
    # Events older than the retention period are gone at once, and rejected as expired on put.
    assert [e["message"] for e in logs.get_log_events(logGroupName="retention", logStreamName="s", startFromHead=True)["events"]] == ["now"]
    out = logs.put_log_events(logGroupName="retention", logStreamName="s", logEvents=[{"timestamp": t - 2 * day, "message": "x"}])
    assert out["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    logs.delete_retention_policy(logGroupName="retention")
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix="retention")["logGroups"][0]


def test_tags(logs, server):
    logs.create_log_group(logGroupName="tagged", tags={"a": "1"})
    arn = logs.describe_log_groups(logGroupNamePrefix="tagged")["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    logs.untag_resource(resourceArn=arn, tagKeys=["a"])
    logs.tag_log_group(logGroupName="tagged", tags={"c": "3"})
    assert logs.list_tags_log_group(logGroupName="tagged")["tags"] == {"b": "2", "c": "3"}
    logs.untag_log_group(logGroupName="tagged", tags=["c"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert code(logs.list_tags_for_resource, resourceArn=arn + "x")[0] == "ResourceNotFoundException"


def test_cli_and_restart(server):
    server.cli_json("--profile", "stratus", "logs", "create-log-group", "--log-group-name", "cli-group")
    server.cli_json("--profile", "stratus", "logs", "create-log-stream", "--log-group-name", "cli-group", "--log-stream-name", "s1")
    events = json.dumps([{"timestamp": now_ms(), "message": "hello from the cli"}])
    out = server.cli_json("--profile", "stratus", "logs", "put-log-events", "--log-group-name", "cli-group",
                          "--log-stream-name", "s1", "--log-events", events)
    assert "nextSequenceToken" in out
    got = server.cli_json("--profile", "stratus", "logs", "get-log-events", "--log-group-name", "cli-group", "--log-stream-name", "s1")
    assert [e["message"] for e in got["events"]] == ["hello from the cli"]
    found = server.cli_json("--profile", "stratus", "logs", "filter-log-events", "--log-group-name", "cli-group", "--filter-pattern", '"from the"')
    assert len(found["events"]) == 1
    p = server.cli("--profile", "stratus", "logs", "delete-log-group", "--log-group-name", "missing")
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr
    # The Logs database survives a restart.
    server.restart()
    again = server.client("logs").get_log_events(logGroupName="cli-group", logStreamName="s1")
    assert [e["message"] for e in again["events"]] == ["hello from the cli"]


# ---- the guest agent's logs section, against this server -------------------------------------

AGENT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "guest", "agent", "cloudwatch")


class _FakeImds(BaseHTTPRequestHandler):
    """IMDSv2 as the agent reads it: a token, the instance's facts and its role's credentials (the server's keys)."""
    credentials = None

    def log_message(self, *args):
        pass

    def _answer(self, body):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        self._answer("token")

    def do_GET(self):
        facts = {"/latest/meta-data/instance-id": "i-0123456789abcdef0", "/latest/meta-data/placement/region": "us-east-1",
                 "/latest/meta-data/local-ipv4": "10.0.0.9", "/latest/meta-data/iam/security-credentials/": "agent-role",
                 "/latest/meta-data/iam/security-credentials/agent-role": json.dumps(
                     {"Code": "Success", "AccessKeyId": self.credentials.access_key, "SecretAccessKey": self.credentials.secret_key})}
        if self.path in facts:
            self._answer(facts[self.path])
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


def test_agent_logs_section_tails_files_into_log_groups(server, logs, tmp_path):
    """The CloudWatch agent of the guest images (guest/agent/cloudwatch) run on the host against this
    server, with IMDS faked: its logs.logs_collected.files.collect_list tails a file into a group and
    stream named with {instance_id} and {hostname}, creating both, and follows appended lines."""
    _FakeImds.credentials = server.credentials
    imds = ThreadingHTTPServer(("127.0.0.1", 0), _FakeImds)
    threading.Thread(target=imds.serve_forever, daemon=True).start()
    home = tmp_path / "agent"
    (home / "lib").mkdir(parents=True)
    for name in ("json.awk", "collect.awk", "logs.awk"):
        shutil.copy(os.path.join(AGENT_DIR, name), home / "lib" / name)
    app_log = tmp_path / "app.log"
    app_log.write_text('first line\nsecond "quoted"\ttabbed\n')
    config = {"agent": {"logfile": str(tmp_path / "agent.log")},
              "logs": {"force_flush_interval": 1, "endpoint_override": server.endpoint,
                       "logs_collected": {"files": {"collect_list": [
                           {"file_path": str(app_log), "log_group_name": "agent-{instance_id}", "log_stream_name": "{hostname}-app"}]}}}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {"PATH": os.environ["PATH"], "CWAGENT_HOME": str(home), "CWAGENT_CONFIG": str(tmp_path / "config.json"),
           "CWAGENT_IMDS": f"http://127.0.0.1:{imds.server_address[1]}", "CWAGENT_STATE": str(tmp_path / "state")}
    agent = subprocess.Popen(["sh", os.path.join(AGENT_DIR, "amazon-cloudwatch-agent")], env=env, stdin=subprocess.DEVNULL)
    stream = f"{socket.gethostname()}-app"
    try:
        def messages():
            try:
                return [e["message"] for e in logs.get_log_events(logGroupName="agent-i-0123456789abcdef0", logStreamName=stream,
                                                                  startFromHead=True)["events"]]
            except ClientError:
                return []
        deadline = time.monotonic() + 30
        while messages() != ["first line", 'second "quoted"\ttabbed'] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert messages() == ["first line", 'second "quoted"\ttabbed'], (tmp_path / "agent.log").read_text()
        with open(app_log, "a") as f:
            f.write("third\npartial")
        deadline = time.monotonic() + 30
        while len(messages()) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        # A line without its newline waits for it.
        assert messages()[2:] == ["third"]
        assert "I! publishing logs to agent-i-0123456789abcdef0/" in (tmp_path / "agent.log").read_text()
    finally:
        agent.terminate()
        agent.wait(timeout=10)
        imds.shutdown()


def test_agent_parses_timestamps_joins_multi_line_events_and_filters(server, logs, tmp_path):
    """timestamp_format (the real agent's tokens, here with %f and timezone UTC) gives events the time
    written in their line; multi_line_start_pattern {timestamp_format} joins a stack trace to its
    line; an exclude filter drops lines; the default log group is the path without its extension;
    retention_in_days is applied to the group the agent creates."""
    _FakeImds.credentials = server.credentials
    imds = ThreadingHTTPServer(("127.0.0.1", 0), _FakeImds)
    threading.Thread(target=imds.serve_forever, daemon=True).start()
    home = tmp_path / "agent"
    (home / "lib").mkdir(parents=True)
    for name in ("json.awk", "collect.awk", "logs.awk"):
        shutil.copy(os.path.join(AGENT_DIR, name), home / "lib" / name)
    app_log = tmp_path / "service.log"
    base = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(hours=2)
    t1, t2, t3 = base, base + dt.timedelta(seconds=1, milliseconds=250), base + dt.timedelta(minutes=1)
    fmt = "%Y-%m-%d %H:%M:%S"
    app_log.write_text(f"{t1.strftime(fmt)}.000 INFO started\n"
                       f"{t2.strftime(fmt)}.25 ERROR failed\n  at a.b(c.java:1)\n  at d.e(f.java:2)\n"
                       f"{t3.strftime(fmt)}.999 DEBUG noise\n"
                       f"{t3.strftime(fmt)}.5 INFO done\n")
    config = {"agent": {"logfile": str(tmp_path / "agent.log")},
              "logs": {"force_flush_interval": 1, "endpoint_override": server.endpoint, "log_stream_name": "svc-{instance_id}",
                       "logs_collected": {"files": {"collect_list": [
                           {"file_path": str(app_log), "timestamp_format": "%Y-%m-%d %H:%M:%S.%f", "timezone": "UTC",
                            "multi_line_start_pattern": "{timestamp_format}", "retention_in_days": 7,
                            "filters": [{"type": "exclude", "expression": "\\sDEBUG\\s"}]}]}}}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {"PATH": os.environ["PATH"], "CWAGENT_HOME": str(home), "CWAGENT_CONFIG": str(tmp_path / "config.json"),
           "CWAGENT_IMDS": f"http://127.0.0.1:{imds.server_address[1]}", "CWAGENT_STATE": str(tmp_path / "state")}
    agent = subprocess.Popen(["sh", os.path.join(AGENT_DIR, "amazon-cloudwatch-agent")], env=env, stdin=subprocess.DEVNULL)
    group, stream = str(tmp_path / "service"), "svc-i-0123456789abcdef0"
    try:
        def events():
            try:
                return [(e["timestamp"], e["message"]) for e in logs.get_log_events(logGroupName=group, logStreamName=stream,
                                                                                     startFromHead=True)["events"]]
            except ClientError:
                return []
        ms = lambda t: int(t.timestamp() * 1000)  # noqa: E731
        want = [(ms(t1), f"{t1.strftime(fmt)}.000 INFO started"),
                (ms(t2), f"{t2.strftime(fmt)}.25 ERROR failed\n  at a.b(c.java:1)\n  at d.e(f.java:2)"),
                (ms(t3) + 500, f"{t3.strftime(fmt)}.5 INFO done")]
        deadline = time.monotonic() + 30
        while events() != want and time.monotonic() < deadline:
            time.sleep(0.5)
        assert events() == want, (tmp_path / "agent.log").read_text()
        assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    finally:
        agent.terminate()
        agent.wait(timeout=10)
        imds.shutdown()


# ---- IAM: logs actions on log-group and log-stream ARNs ----------------------------------------

def test_iam_policies_scope_logs_actions_to_log_group_and_stream_arns(server, logs):
    """Logs actions are authorised on the resources AWS names: a stream's operations on
    arn:aws:logs:R:A:log-group:G:log-stream:S, the group's on ...:log-group:G:log-stream: (so the
    documented ...:log-group:G:* form matches it), DescribeLogGroups on ...:log-group::log-stream:, the
    tagging operations on the group ARN they name."""
    iam, sts = server.client("iam"), server.client("sts")
    account = sts.get_caller_identity()["Account"]
    region = "us-east-1"
    g = f"arn:aws:logs:{region}:{account}:log-group"
    iam.create_user(UserName="logs-writer")
    iam.put_user_policy(UserName="logs-writer", PolicyName="scoped", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:PutRetentionPolicy"],
         "Resource": f"{g}:app/*:*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{g}:app/*:log-stream:web-*"},
        {"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": f"{g}:app/one:log-stream:*"},
        {"Effect": "Allow", "Action": "logs:TagResource", "Resource": f"{g}:app/one"},
        {"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": f"{g}:app/one:log-stream:web-2"}]}))
    key = iam.create_access_key(UserName="logs-writer")["AccessKey"]
    user = boto3_client_as(server, "logs", key)
    user_arn = f"arn:aws:iam::{account}:user/logs-writer"

    def denied(fn, resource, action, **kw):
        with pytest.raises(ClientError) as e:
            fn(**kw)
        assert e.value.response["Error"]["Code"] == "AccessDeniedException", e.value.response
        assert e.value.response["Error"]["Message"].startswith(
            f"User: {user_arn} is not authorized to perform: logs:{action} on resource: {resource} "), e.value.response["Error"]["Message"]

    deadline = time.monotonic() + 10
    while True:  # IAM changes apply at once; keys may take a moment to be usable by a new client
        try:
            user.create_log_group(logGroupName="app/one")
            break
        except ClientError as e:
            if time.monotonic() > deadline or e.response["Error"]["Code"] not in ("InvalidClientTokenId", "UnrecognizedClientException"):
                raise
            time.sleep(0.2)
    denied(user.create_log_group, f"{g}:other:log-stream:", "CreateLogGroup", logGroupName="other")
    user.put_retention_policy(logGroupName="app/one", retentionInDays=1)
    user.create_log_stream(logGroupName="app/one", logStreamName="web-1")
    denied(user.create_log_stream, f"{g}:app/one:log-stream:db-1", "CreateLogStream", logGroupName="app/one", logStreamName="db-1")
    user.put_log_events(logGroupName="app/one", logStreamName="web-1", logEvents=[{"timestamp": now_ms(), "message": "hello"}])
    user.create_log_stream(logGroupName="app/one", logStreamName="web-2")
    denied(user.put_log_events, f"{g}:app/one:log-stream:web-2", "PutLogEvents",
           logGroupName="app/one", logStreamName="web-2", logEvents=[{"timestamp": now_ms(), "message": "no"}])
    assert [e["message"] for e in user.get_log_events(logGroupName="app/one", logStreamName="web-1", startFromHead=True)["events"]] == ["hello"]
    # A group named by ARN (logGroupIdentifier) is evaluated as that group.
    assert user.describe_log_streams(logGroupIdentifier=f"{g}:app/one:*")["logStreams"]
    assert user.filter_log_events(logGroupIdentifier=f"{g}:app/one")["events"]
    denied(user.describe_log_groups, f"{g}::log-stream:", "DescribeLogGroups", logGroupNamePrefix="app/")
    user.tag_resource(resourceArn=f"{g}:app/one", tags={"team": "web"})
    denied(user.untag_resource, f"{g}:app/one", "UntagResource", resourceArn=f"{g}:app/one", tagKeys=["team"])
    # The account root is not bound by policies.
    assert logs.list_tags_for_resource(resourceArn=f"{g}:app/one")["tags"] == {"team": "web"}
    logs.delete_log_group(logGroupName="app/one")


def boto3_client_as(server, service, key):
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(service, region_name="us-east-1", endpoint_url=server.endpoint,
                                          aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
