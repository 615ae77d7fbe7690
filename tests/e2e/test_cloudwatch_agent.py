"""The CloudWatch agent in Stratus's minimal guest image (container runtime).

User data writes Lab 5's agent configuration (CWAgent namespace; cpu, disk, diskio, mem and
netstat; here with `append_dimensions`/`aggregation_dimensions` so its metrics carry the InstanceId
the lab's alarms name, and short collection intervals) and starts the agent with the lab's command
(`amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:...`). With an instance profile
whose role may call cloudwatch:PutMetricData the agent publishes mem_used_percent,
disk_used_percent, cpu_usage_* and netstat_* for its InstanceId, and a mem_used_percent alarm below
the current value goes to ALARM. Without a profile the agent logs NoCredentialProviders, with a
role that may not put metrics AccessDenied; neither publishes anything. Needs root, crun and the
minimal image; anything missing FAILS the test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import boto3
import pytest
from botocore.config import Config

from conftest import GUESTS_GROUP
from guests import BOOT_TIMEOUT, IMAGE_DIR, GuestLab, guest_server, ssh, wait_ssh

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
AGENT_LOG = "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"

# Lab 5's configuration; renames dropped (the lab's alarms name mem_used_percent), dimensions
# appended, 2-second intervals instead of 60 so that the test sees several collections.
CONFIG = {
    "agent": {"metrics_collection_interval": 2},
    "metrics": {
        "namespace": "CWAgent",
        "append_dimensions": {"InstanceId": "${aws:InstanceId}", "ImageId": "${aws:ImageId}", "InstanceType": "${aws:InstanceType}",
                              "AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
        "aggregation_dimensions": [["InstanceId"]],
        "metrics_collected": {
            "cpu": {"measurement": [{"name": "cpu_usage_idle", "unit": "Percent"}, "cpu_usage_iowait", "cpu_usage_user", "cpu_usage_system"],
                    "metrics_collection_interval": 2, "totalcpu": True},
            "disk": {"measurement": [{"name": "used_percent", "unit": "Percent"}], "metrics_collection_interval": 2, "resources": ["/"]},
            "diskio": {"measurement": ["io_time"], "metrics_collection_interval": 2, "resources": ["*"]},
            "mem": {"measurement": [{"name": "mem_used_percent", "unit": "Percent"}], "metrics_collection_interval": 2},
            "netstat": {"measurement": ["tcp_established", "tcp_time_wait"], "metrics_collection_interval": 2},
            "swap": {"measurement": ["swap_used_percent"], "metrics_collection_interval": 2},
            # Two workers (a script, so its process name is worker.sh) chosen three ways.
            "procstat": [{"exe": "worker", "measurement": ["pid_count", "memory_rss", "cpu_usage"], "metrics_collection_interval": 2},
                         {"pid_file": "/run/worker.pid", "measurement": ["cpu_usage", "num_threads"], "metrics_collection_interval": 2},
                         {"pattern": "worker\\.sh --id [2-9]", "measurement": ["pid_count"], "metrics_collection_interval": 2}],
        },
    },
    # The application's log: group and stream named with {instance_id}, each event's time from its
    # line (Apache's format), a stack trace joined to the line it follows.
    "logs": {"force_flush_interval": 1, "logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/app.log", "log_group_name": "/stratus/agent/{instance_id}", "log_stream_name": "{instance_id}-app",
         "timestamp_format": "[%d/%b/%Y:%H:%M:%S %z]", "multi_line_start_pattern": "{timestamp_format}"}]}}},
}

# The log lines the test writes in the guest: one an hour ago and its continuation, one now.
LOG_TIME = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).replace(microsecond=0)

USER_DATA = """#!/bin/sh
mkdir -p /usr/local/bin
touch /var/log/app.log && chmod 666 /var/log/app.log
printf '#!/bin/sh\\nwhile :; do sleep 1; done\\n' > /usr/local/bin/worker.sh
chmod +x /usr/local/bin/worker.sh
/usr/local/bin/worker.sh --id 1 </dev/null >/dev/null 2>&1 &
echo $! > /run/worker.pid
/usr/local/bin/worker.sh --id 2 </dev/null >/dev/null 2>&1 &
mkdir -p /opt/aws/amazon-cloudwatch-agent/etc
cat > /opt/aws/amazon-cloudwatch-agent/etc/config.json <<'EOF'
%s
EOF
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl \\
    -a fetch-config \\
    -m ec2 \\
    -s \\
    -c file:/opt/aws/amazon-cloudwatch-agent/etc/config.json
""" % json.dumps(CONFIG, indent=2)


@pytest.fixture(scope="module")
def srv(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "cw-agent", "--metrics-interval-seconds", "1", "--alarm-evaluation-seconds", "1") as server:
        yield server


def _client(srv, service):
    return boto3.session.Session().client(service, region_name="us-east-1", endpoint_url=srv.endpoint, config=NO_RETRY,
                                          aws_access_key_id=srv.credentials.access_key, aws_secret_access_key=srv.credentials.secret_key)


def _role(iam, name, actions):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=name, PolicyName="agent", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def _stat(cw, name, dims, stat="Average"):
    t = dt.datetime.now(dt.timezone.utc)
    points = cw.get_metric_statistics(Namespace="CWAgent", MetricName=name, Dimensions=dims, StartTime=t - dt.timedelta(minutes=5),
                                      EndTime=t + dt.timedelta(minutes=1), Period=60, Statistics=[stat])["Datapoints"]
    return [p[stat] for p in points]


def _wait_log(key_path, host, text, timeout=40):
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = ssh(key_path, host, f"cat {AGENT_LOG}").stdout
        if text in out:
            return out
        time.sleep(1)
    raise AssertionError(f"the agent's log never said {text!r}: {out}")


def test_the_agent_publishes_guest_metrics_with_the_instance_profile(srv, tmp_path):
    ec2, cw, iam = srv.ec2(), _client(srv, "cloudwatch"), _client(srv, "iam")
    _role(iam, "cw-agent", ["cloudwatch:PutMetricData", "ec2:DescribeTags"])
    # CloudWatch Logs only for the agent's own groups, by ARN (as CloudWatchAgentServerPolicy, narrowed).
    iam.put_role_policy(RoleName="cw-agent", PolicyName="agent-logs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": "arn:aws:logs:*:*:log-group:/stratus/agent/*"}]}))
    _role(iam, "no-metrics", ["ec2:Describe*"])
    guests = GuestLab(srv, tmp_path, key_name="cw-agent", ec2=ec2)
    key_path = guests.key_path
    common = dict(SecurityGroupIds=[guests.ssh_group("cw-agent-ssh", description="ssh")], UserData=USER_DATA)
    agent = guests.run_instances(IamInstanceProfile={"Name": "cw-agent"}, MetadataOptions={"HttpTokens": "required"}, **common)[0]
    bare = guests.run_instances(**common)[0]
    denied = guests.run_instances(IamInstanceProfile={"Name": "no-metrics"}, **common)[0]
    hosts = {i: described["PublicIpAddress"] for i, described in guests.running(agent, bare, denied).items()}

    # mem_used_percent for the InstanceId (the aggregation) appears, and the lab's kind of alarm fires.
    by_instance = [{"Name": "InstanceId", "Value": agent}]
    deadline = time.monotonic() + 60
    values = []
    while time.monotonic() < deadline and not values:
        values = _stat(cw, "mem_used_percent", by_instance)
        time.sleep(1)
    assert values, "no CWAgent mem_used_percent for the instance"
    assert all(0 < v <= 100 for v in values), values
    cw.put_metric_alarm(AlarmName="high-memory", AlarmDescription="Alert when memory exceeds the threshold", MetricName="mem_used_percent",
                        Namespace="CWAgent", Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=min(values) / 2,
                        ComparisonOperator="GreaterThanThreshold", Dimensions=by_instance)

    # Every configured metric, with the appended dimensions (no host: append_dimensions drops it).
    full = {"InstanceId": agent, "ImageId": guests.ami, "InstanceType": "t3.micro"}
    wanted = {"mem_used_percent", "disk_used_percent", "cpu_usage_idle", "cpu_usage_iowait", "cpu_usage_user", "cpu_usage_system",
              "netstat_tcp_established", "netstat_tcp_time_wait", "swap_used_percent"}
    deadline = time.monotonic() + 30
    while True:
        metrics = cw.list_metrics(Namespace="CWAgent", Dimensions=[{"Name": "InstanceId", "Value": agent}])["Metrics"]
        names = {m["MetricName"] for m in metrics}
        if wanted <= names or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert wanted <= names, f"missing {wanted - names}"
    mem_dims = [{d["Name"]: d["Value"] for d in m["Dimensions"]} for m in metrics if m["MetricName"] == "mem_used_percent"]
    assert full in mem_dims and {"InstanceId": agent} in mem_dims, mem_dims
    disk = [{d["Name"]: d["Value"] for d in m["Dimensions"]} for m in metrics if m["MetricName"] == "disk_used_percent"]
    assert any(d.get("path") == "/" and d.get("fstype") and d.get("device") and d.get("InstanceType") == "t3.micro" for d in disk), disk
    assert not any("host" in d for d in mem_dims + disk)
    idle = _stat(cw, "cpu_usage_idle", [{"Name": k, "Value": v} for k, v in full.items()] + [{"Name": "cpu", "Value": "cpu-total"}])
    assert idle and all(0 <= v <= 100 for v in idle), idle

    deadline = time.monotonic() + 30
    while cw.describe_alarms(AlarmNames=["high-memory"])["MetricAlarms"][0]["StateValue"] != "ALARM":
        assert time.monotonic() < deadline, cw.describe_alarms(AlarmNames=["high-memory"])["MetricAlarms"][0]
        time.sleep(0.5)
    assert "Threshold Crossed" in cw.describe_alarms(AlarmNames=["high-memory"])["MetricAlarms"][0]["StateReason"]

    # The control command as on Amazon Linux.
    wait_ssh(key_path, hosts[agent])
    status = json.loads(ssh(key_path, hosts[agent], "amazon-cloudwatch-agent-ctl -a status").stdout)
    assert status["status"] == "running" and status["configstatus"] == "configured"

    # procstat: the workers by process name, by pid file and by command line, with the real agent's
    # metric names and dimensions (host dropped by append_dimensions, as for the other sections).
    def dims_of(name):
        return [{d["Name"]: d["Value"] for d in m["Dimensions"]}
                for m in cw.list_metrics(Namespace="CWAgent", MetricName=name, Dimensions=[{"Name": "InstanceId", "Value": agent}])["Metrics"]]
    deadline = time.monotonic() + 30
    while not any(d.get("pattern") for d in dims_of("procstat_lookup_pid_count")) and time.monotonic() < deadline:
        time.sleep(1)
    lookups = dims_of("procstat_lookup_pid_count")
    assert {**full, "exe": "worker", "pid_finder": "native"} in lookups, lookups
    assert {**full, "pattern": "worker\\.sh --id [2-9]", "pid_finder": "native"} in lookups, lookups
    as_list = lambda d: [{"Name": k, "Value": v} for k, v in d.items()]  # noqa: E731
    assert max(_stat(cw, "procstat_lookup_pid_count", as_list({**full, "exe": "worker", "pid_finder": "native"}), "Maximum")) == 2
    assert max(_stat(cw, "procstat_lookup_pid_count", as_list({**full, "pattern": "worker\\.sh --id [2-9]", "pid_finder": "native"}), "Maximum")) == 1
    rss = _stat(cw, "procstat_memory_rss", as_list({**full, "exe": "worker", "process_name": "worker.sh"}))
    assert rss and all(v > 0 for v in rss), rss
    assert {**full, "pid_file": "/run/worker.pid", "process_name": "worker.sh"} in dims_of("procstat_num_threads")
    deadline = time.monotonic() + 20
    while not _stat(cw, "procstat_cpu_usage", as_list({**full, "pid_file": "/run/worker.pid", "process_name": "worker.sh"})):
        assert time.monotonic() < deadline, dims_of("procstat_cpu_usage")
        time.sleep(1)

    # Logs: a file written in the guest arrives in the group and stream named by the configuration,
    # with {instance_id} expanded, each event at the time its line says, the stack trace joined.
    logs = _client(srv, "logs")
    stamp = LOG_TIME.strftime("[%d/%b/%Y:%H:%M:%S +0000]")
    ssh(key_path, hosts[agent], f"printf '%s\\n' '{stamp} ERROR request failed' '  at handler (app.js:10)' '{stamp} INFO retried' >> /var/log/app.log")
    group, stream = f"/stratus/agent/{agent}", f"{agent}-app"
    want = [(int(LOG_TIME.timestamp() * 1000), f"{stamp} ERROR request failed\n  at handler (app.js:10)"),
            (int(LOG_TIME.timestamp() * 1000), f"{stamp} INFO retried")]
    deadline = time.monotonic() + 30
    got = []
    while time.monotonic() < deadline and got != want:
        try:
            got = [(e["timestamp"], e["message"]) for e in logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]]
        except logs.exceptions.ResourceNotFoundException:
            pass
        time.sleep(1)
    assert got == want, (got, ssh(key_path, hosts[agent], f"cat {AGENT_LOG}").stdout)
    assert "I! publishing logs to " + group + "/" + stream in ssh(key_path, hosts[agent], f"cat {AGENT_LOG}").stdout

    # No instance profile: NoCredentialProviders; a role without cloudwatch:PutMetricData: AccessDenied.
    wait_ssh(key_path, hosts[bare])
    _wait_log(key_path, hosts[bare], "NoCredentialProviders")
    wait_ssh(key_path, hosts[denied])
    log = _wait_log(key_path, hosts[denied], "AccessDenied")
    assert "cloudwatch:PutMetricData" in log
    for iid in (bare, denied):
        assert cw.list_metrics(Namespace="CWAgent", Dimensions=[{"Name": "InstanceId", "Value": iid}])["Metrics"] == []


# ---- Seed Lab 5 with the aws CLI ------------------------------------------------------------------

# Lab 5's agent configuration, as the lab writes it but for: append_dimensions (the lab's alarms name
# the InstanceId, which the agent adds only when told to), the mem and disk renames dropped (the lab's
# alarms name mem_used_percent and disk_used_percent), 10-second intervals instead of 60.
LAB5_CONFIG = {
    "metrics": {
        "namespace": "CWAgent",
        "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
        "metrics_collected": {
            "cpu": {"measurement": [{"name": "cpu_usage_idle", "rename": "CPU_IDLE", "unit": "Percent"}, "cpu_usage_iowait"],
                    "metrics_collection_interval": 10, "totalcpu": False},
            "disk": {"measurement": [{"name": "used_percent", "unit": "Percent"}], "metrics_collection_interval": 10, "resources": ["*"]},
            "diskio": {"measurement": ["io_time"], "metrics_collection_interval": 10, "resources": ["*"]},
            "mem": {"measurement": [{"name": "mem_used_percent", "unit": "Percent"}], "metrics_collection_interval": 10},
            "netstat": {"measurement": ["tcp_established", "tcp_time_wait"], "metrics_collection_interval": 10},
        },
    },
    "logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/messages", "log_group_name": "/aws/ec2/system-logs", "log_stream_name": "{instance_id}"},
        {"file_path": "/var/log/httpd/access_log", "log_group_name": "/aws/ec2/httpd/access", "log_stream_name": "{instance_id}"}]}}},
}

LAB5_USER_DATA = """#!/bin/sh
mkdir -p /var/log/httpd
touch /var/log/messages /var/log/httpd/access_log
chmod 666 /var/log/messages /var/log/httpd/access_log
mkdir -p /opt/aws/amazon-cloudwatch-agent/etc
cat > /opt/aws/amazon-cloudwatch-agent/etc/config.json <<'EOF'
%s
EOF
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl \\
    -a fetch-config \\
    -m ec2 \\
    -s \\
    -c file:/opt/aws/amazon-cloudwatch-agent/etc/config.json
""" % json.dumps(LAB5_CONFIG, indent=2)

# Two busy loops (a t3.micro has two vCPUs), each in a session of its own; their PIDs in /tmp/busy.
BURN = "for n in 1 2; do setsid sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $! >> /tmp/busy; done"
STOP = "if [ -f /tmp/busy ]; then kill $(cat /tmp/busy) 2>/dev/null; rm -f /tmp/busy; fi"


def _until(check, timeout, what, every=1.0):
    deadline = time.monotonic() + timeout
    while not (last := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(every)
    return last


def test_seed_lab5_alarms_with_the_aws_cli(srv, tmp_path):
    """Seed Lab 5 as written, with the aws CLI: detailed monitoring, the four alarms (CPU and status
    check on AWS/EC2, disk and memory on the agent's CWAgent metrics), the agent installed by user
    data with the lab's configuration. The status-check, disk and memory alarms evaluate real data;
    busy loops in the guest drive the CPU alarm (5-minute periods, 2 of them, as the lab has it) to
    ALARM, and stopping them brings it back to OK. The lab's log files arrive in its log groups, read
    back with `aws logs get-log-events` and `filter-log-events`.

    Adapted: the instance id; the CPU threshold (80 % in the lab) is a third of the CPU the busy
    guest gets on this host when that is lower (CI hosts are shared); the disk alarm's device and
    fstype are those of the guest's root filesystem (xvda1/xfs on the lab's Amazon Linux)."""
    ec2, cw, iam = srv.ec2(), _client(srv, "cloudwatch"), _client(srv, "iam")
    _role(iam, "lab5-agent", ["cloudwatch:PutMetricData", "ec2:DescribeTags", "logs:CreateLogGroup", "logs:CreateLogStream",
                              "logs:PutLogEvents", "logs:DescribeLogStreams"])
    guests = GuestLab(srv, tmp_path, key_name="lab5", ec2=ec2)
    key_path = guests.key_path
    iid = guests.run_instances(SecurityGroupIds=[guests.ssh_group("lab5-ssh", description="ssh")], UserData=LAB5_USER_DATA,
                               IamInstanceProfile={"Name": "lab5-agent"})[0]
    host = guests.running(iid)[iid]["PublicIpAddress"]

    def aws(*args):
        return srv.cli_json("--profile", "stratus", *args) or {}

    def agent_log():
        return ssh(key_path, host, f"cat {AGENT_LOG}").stdout

    # Enable detailed monitoring (1-minute intervals).
    out = aws("ec2", "monitor-instances", "--instance-ids", iid)
    assert out["InstanceMonitorings"][0]["Monitoring"]["State"] in ("pending", "enabled"), out

    # The guest busy: two loops over SSH; the CPU it gets on this host, from its 1-minute data.
    wait_ssh(key_path, host)
    burn = ssh(key_path, host, BURN)
    assert burn.returncode == 0, burn.stderr
    # The first whole minute of load, 20 seconds into it.
    minute = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    time.sleep(max(0.0, (minute - dt.datetime.now(dt.timezone.utc)).total_seconds() + 20))

    def busy_cpu():
        points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=[{"Name": "InstanceId", "Value": iid}],
                                          StartTime=minute, EndTime=minute + dt.timedelta(minutes=1), Period=60, Statistics=["Average"])["Datapoints"]
        return points[0]["Average"] if points and points[0]["Average"] > 1 else None
    busy = _until(busy_cpu, 60, "the busy guest's CPUUtilization above 1 %")
    threshold = min(80.0, round(busy / 3, 2))

    # The disk alarm's dimensions: the root filesystem as the agent reports it.
    def root_disk():
        for m in cw.list_metrics(Namespace="CWAgent", MetricName="disk_used_percent", Dimensions=[{"Name": "InstanceId", "Value": iid}])["Metrics"]:
            dims = {d["Name"]: d["Value"] for d in m["Dimensions"]}
            if dims.get("path") == "/":
                return dims
        return None
    try:
        disk = _until(root_disk, 60, "the agent's disk_used_percent for /")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{agent_log()}") from None
    assert set(disk) == {"InstanceId", "path", "device", "fstype"}, disk

    # The lab's four alarms.
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", f"high-cpu-{iid}", "--alarm-description", "Alert when CPU exceeds 80%",
        "--metric-name", "CPUUtilization", "--namespace", "AWS/EC2", "--statistic", "Average", "--period", "300", "--evaluation-periods", "2",
        "--threshold", str(threshold), "--comparison-operator", "GreaterThanThreshold", "--dimensions", f"Name=InstanceId,Value={iid}",
        "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:ops-alerts")
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", f"status-check-failed-{iid}", "--alarm-description", "Alert when status checks fail",
        "--metric-name", "StatusCheckFailed", "--namespace", "AWS/EC2", "--statistic", "Maximum", "--period", "60", "--evaluation-periods", "2",
        "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold", "--dimensions", f"Name=InstanceId,Value={iid}",
        "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:critical-alerts", "arn:aws:automate:us-east-1:ec2:reboot")
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", f"high-disk-usage-{iid}", "--alarm-description", "Alert when disk usage exceeds 85%",
        "--metric-name", "disk_used_percent", "--namespace", "CWAgent", "--statistic", "Average", "--period", "300", "--evaluation-periods", "1",
        "--threshold", "85", "--comparison-operator", "GreaterThanThreshold",
        "--dimensions", f"Name=InstanceId,Value={iid}", "Name=path,Value=/", f"Name=device,Value={disk['device']}", f"Name=fstype,Value={disk['fstype']}",
        "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:ops-alerts")
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", f"high-memory-{iid}", "--alarm-description", "Alert when memory exceeds 80%",
        "--metric-name", "mem_used_percent", "--namespace", "CWAgent", "--statistic", "Average", "--period", "300", "--evaluation-periods", "2",
        "--threshold", "80", "--comparison-operator", "GreaterThanThreshold", "--dimensions", f"Name=InstanceId,Value={iid}",
        "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:ops-alerts")
    names = [f"high-cpu-{iid}", f"status-check-failed-{iid}", f"high-disk-usage-{iid}", f"high-memory-{iid}"]
    described = aws("cloudwatch", "describe-alarms", "--alarm-names", *names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in described) == sorted(names), described

    def alarm(name):
        return aws("cloudwatch", "describe-alarms", "--alarm-names", name)["MetricAlarms"][0]

    # The status-check, disk and memory alarms evaluate real data (a datapoint, not INSUFFICIENT_DATA).
    for name in names[1:]:
        a = _until(lambda: (a := alarm(name))["StateValue"] != "INSUFFICIENT_DATA" and a, 60, f"{name} evaluated")
        assert a["StateReason"].startswith("Threshold Crossed: ") and json.loads(a["StateReasonData"])["recentDatapoints"], a
    assert alarm(names[1])["StateValue"] == "OK"  # status checks pass

    # The logs of the lab's collect_list, read back with the aws CLI.
    marker = f"lab5-{int(time.time())}"
    wrote = ssh(key_path, host, f"echo '{marker} kernel: something happened' >> /var/log/messages; "
                                f"echo '10.0.0.1 - - \"GET /index.html?{marker} HTTP/1.1\" 200 512' >> /var/log/httpd/access_log", timeout=60)
    assert wrote.returncode == 0, wrote.stderr

    def system_log():
        p = srv.cli("--profile", "stratus", "logs", "get-log-events", "--log-group-name", "/aws/ec2/system-logs", "--log-stream-name", iid,
                    "--start-from-head", "--output", "json")
        return p.returncode == 0 and [e for e in json.loads(p.stdout)["events"] if marker in e["message"]]
    try:
        [event] = _until(system_log, 60, "the line of /var/log/messages in /aws/ec2/system-logs")
        found = _until(lambda: aws("logs", "filter-log-events", "--log-group-name", "/aws/ec2/httpd/access", "--filter-pattern", f'"{marker}"')["events"],
                       60, "the access log line in /aws/ec2/httpd/access")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{agent_log()}") from None
    assert event["message"] == f"{marker} kernel: something happened"
    assert [e["logStreamName"] for e in found] == [iid] and "GET /index.html" in found[0]["message"], found

    # The agent's other metrics of the lab. Its cpu section has totalcpu false and no `resources:
    # ["*"]` (which per-core metrics need), so, as with AWS's agent, no cpu metric at all.
    listed = {m["MetricName"] for m in aws("cloudwatch", "list-metrics", "--namespace", "CWAgent", "--dimensions", f"Name=InstanceId,Value={iid}")["Metrics"]}
    assert {"disk_used_percent", "diskio_io_time", "mem_used_percent", "netstat_tcp_established", "netstat_tcp_time_wait"} <= listed, listed
    assert not {n for n in listed if n.startswith("cpu_") or n == "CPU_IDLE"}, listed

    # The busy guest drives the CPU alarm to ALARM: two 5-minute periods above the threshold.
    a = _until(lambda: (a := alarm(names[0]))["StateValue"] == "ALARM" and a, 720, f"the CPU alarm in ALARM (threshold {threshold}, busy {busy})", 5)
    assert a["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints"), a
    history = aws("cloudwatch", "describe-alarm-history", "--alarm-name", names[0], "--history-item-type", "Action")["AlarmHistoryItems"]
    assert any("arn:aws:sns:us-east-1:123456789012:ops-alerts" in h["HistorySummary"] for h in history), history

    # The loops stopped, the next period is below it: back to OK.
    for _ in range(6):  # a busy guest on a loaded host answers SSH slowly
        stop = ssh(key_path, host, STOP, timeout=60)
        if stop.returncode == 0:
            break
    assert stop.returncode == 0, stop.stderr
    _until(lambda: alarm(names[0])["StateValue"] == "OK", 420, "the CPU alarm back to OK", 5)
    updates = [h["HistorySummary"] for h in aws("cloudwatch", "describe-alarm-history", "--alarm-name", names[0],
                                                "--history-item-type", "StateUpdate")["AlarmHistoryItems"]]
    assert "Alarm updated from ALARM to OK" in updates, updates


# ---- The agent of the debian-12 image ----------------------------------------------------------------

DEBIAN_CONFIG = {
    "agent": {"metrics_collection_interval": 5},
    "metrics": {
        "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
        "metrics_collected": {
            "mem": {"measurement": ["mem_used_percent"]},
            "disk": {"measurement": ["used_percent"], "resources": ["/"]},
            "procstat": [{"exe": "sshd", "measurement": ["pid_count", "memory_rss"]}],
        },
    },
    "logs": {"force_flush_interval": 1, "logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/app.log", "log_group_name": "/stratus/debian/{instance_id}", "log_stream_name": "{instance_id}",
         "timestamp_format": "%Y-%m-%dT%H:%M:%S%z"}]}}},
}

DEBIAN_USER_DATA = """#!/bin/sh
touch /var/log/app.log && chmod 666 /var/log/app.log
cat > /opt/aws/amazon-cloudwatch-agent/etc/config.json <<'EOF'
%s
EOF
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/config.json
""" % json.dumps(DEBIAN_CONFIG, indent=2)


def test_the_agent_of_the_debian_12_image_in_a_container_guest(srv, tmp_path):
    """The debian-12 AMI (systemd, cloud-init, mawk) as a container guest: cloud-init runs the user
    data, which starts the agent with the lab's command; it runs as amazon-cloudwatch-agent.service,
    publishes mem, disk and procstat (sshd) metrics and ships a log file with `%z` timestamps."""
    if not os.path.exists(os.path.join(IMAGE_DIR, "debian-12", "manifest.json")):
        pytest.fail(f"debian-12 image not built in {IMAGE_DIR} (run: stratus images build debian-12)", pytrace=False)
    ec2, cw, iam = srv.ec2(), _client(srv, "cloudwatch"), _client(srv, "iam")
    _role(iam, "debian-agent", ["cloudwatch:PutMetricData", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"])
    guests = GuestLab(srv, tmp_path, key_name="debian", ec2=ec2)
    key_path = guests.key_path
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["debian-12-amd64-*"]}])["Images"][0]["ImageId"]
    iid = guests.run_instances(ImageId=ami, SecurityGroupIds=[guests.ssh_group("debian-ssh", description="ssh")], UserData=DEBIAN_USER_DATA,
                               IamInstanceProfile={"Name": "debian-agent"})[0]
    host = guests.running(iid)[iid]["PublicIpAddress"]

    def admin(command, timeout=30):
        return ssh(key_path, host, command, user="admin", timeout=timeout)
    _until(lambda: admin("true", timeout=20).returncode == 0, BOOT_TIMEOUT * 2, "ssh admin@ the debian-12 guest")

    def diagnosis():
        return admin(f"sudo cat {AGENT_LOG}; sudo systemctl status amazon-cloudwatch-agent --no-pager; "
                     "sudo tail -n 20 /var/log/cloud-init-output.log").stdout

    try:
        _until(lambda: admin("systemctl is-active amazon-cloudwatch-agent").stdout.strip() == "active", 120, "the agent's service active")
        by_instance = [{"Name": "InstanceId", "Value": iid}]
        _until(lambda: _stat(cw, "mem_used_percent", by_instance), 60, "mem_used_percent of the debian-12 guest")
        names = _until(lambda: (n := {m["MetricName"] for m in cw.list_metrics(Namespace="CWAgent", Dimensions=by_instance)["Metrics"]})
                       >= {"mem_used_percent", "disk_used_percent", "procstat_lookup_pid_count", "procstat_memory_rss"} and n, 60, "the configured metrics")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{diagnosis()}") from None
    assert all(0 < v <= 100 for v in _stat(cw, "mem_used_percent", [{"Name": "InstanceId", "Value": iid}])), names
    pids = _stat(cw, "procstat_lookup_pid_count", [{"Name": "InstanceId", "Value": iid}, {"Name": "exe", "Value": "sshd"},
                                                   {"Name": "pid_finder", "Value": "native"}], "Maximum")
    assert pids and max(pids) >= 1, pids

    # A line with an offset in its timestamp: the event is at the UTC time it says.
    stamp = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=30)).replace(microsecond=0)
    text = stamp.astimezone(dt.timezone(dt.timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S%z") + " debian guest says hello"
    assert admin(f"echo '{text}' >> /var/log/app.log").returncode == 0
    logs = _client(srv, "logs")

    def events():
        try:
            return logs.get_log_events(logGroupName=f"/stratus/debian/{iid}", logStreamName=iid, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return None
    try:
        [event] = _until(events, 60, "the log line of the debian-12 guest")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{diagnosis()}") from None
    assert (event["message"], event["timestamp"]) == (text, int(stamp.timestamp() * 1000)), event
