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
import shutil
import time

import boto3
import pytest
from botocore.config import Config

from conftest import GUESTS_GROUP, ServerFactory, minimal_ami
from guests import BOOT_TIMEOUT, IMAGE_DIR, assert_nothing_left, require_host, ssh, terminate_all, wait_ssh

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
    require_host()
    if shutil.which("crun") is None:
        pytest.fail("the CloudWatch agent test needs crun on the host", pytrace=False)
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("cw-agent")))
    server = factory(name="stratus-cw-agent", extra_args=["--runtime", "container", "--image-dir", IMAGE_DIR,
                                                          "--metrics-interval-seconds", "1", "--alarm-evaluation-seconds", "1"])
    try:
        yield server
    finally:
        try:
            terminate_all(server)
        finally:
            factory.close()
            assert_nothing_left(server)


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
    key_path = str(tmp_path / "agent.pem")
    with open(key_path, "w") as f:
        f.write(ec2.create_key_pair(KeyName="cw-agent")["KeyMaterial"])
    os.chmod(key_path, 0o400)
    sg = ec2.create_security_group(GroupName="cw-agent-ssh", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ami = minimal_ami(ec2)
    common = dict(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName="cw-agent", SecurityGroupIds=[sg], UserData=USER_DATA)
    agent = ec2.run_instances(IamInstanceProfile={"Name": "cw-agent"}, MetadataOptions={"HttpTokens": "required"}, **common)["Instances"][0]["InstanceId"]
    bare = ec2.run_instances(**common)["Instances"][0]["InstanceId"]
    denied = ec2.run_instances(IamInstanceProfile={"Name": "no-metrics"}, **common)["Instances"][0]["InstanceId"]
    ids = [agent, bare, denied]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": BOOT_TIMEOUT})
    hosts = {i["InstanceId"]: i["PublicIpAddress"] for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]}

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
    full = {"InstanceId": agent, "ImageId": ami, "InstanceType": "t3.micro"}
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
