"""CloudWatch with real clients: boto3 over JSON 1.0, botocore's own RPC v2 CBOR and query
serializers (the model's protocol list narrowed to one), the aws CLI v1 (JSON) and v2 (query).

The server evaluates alarms every second and samples instances every second
(--alarm-evaluation-seconds / --metrics-interval-seconds), so alarm flows take seconds.
The container-runtime test (a guest busy loop raising AWS/EC2 CPUUtilization) lives in
test_cloudwatch_guests.py: it needs root and crun.
"""
import copy
import datetime as dt
import json
import os
import subprocess
import time

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ServerFactory, minimal_ami

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
FAST_ARGS = ["--alarm-evaluation-seconds", "1", "--metrics-interval-seconds", "1", "--mock-boot-seconds", "0.2"]


@pytest.fixture(scope="module")
def server(stratus_binary, tmp_path_factory):
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("cloudwatch")))
    try:
        yield factory(extra_args=FAST_ARGS)
    finally:
        factory.close()


def _session(server, protocol=None, tmp=None):
    """A boto3 session; with `protocol` its CloudWatch model speaks only that protocol."""
    bs = botocore.session.Session()
    if protocol is not None:
        loader = bs.get_component("data_loader")
        model = copy.deepcopy(loader.load_service_model("cloudwatch", "service-2"))
        model["metadata"]["protocols"] = [protocol]
        model["metadata"]["protocol"] = protocol
        version = model["metadata"]["apiVersion"]
        path = os.path.join(tmp, protocol, "cloudwatch", version)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "service-2.json"), "w") as f:
            json.dump(model, f)
        loader.search_paths.insert(0, os.path.join(tmp, protocol))
    return boto3.Session(botocore_session=bs)


def cw(server, protocol=None, tmp=None):
    creds = server.credentials
    return _session(server, protocol, tmp).client(
        "cloudwatch", region_name="us-east-1", endpoint_url=server.endpoint, config=NO_RETRY,
        aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key)


@pytest.fixture(scope="module")
def client(server):
    return cw(server)


@pytest.fixture(scope="module")
def protocol_clients(server, tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("models"))
    return {p: cw(server, p, tmp) for p in ("json", "smithy-rpc-v2-cbor", "query")}


def now():
    return dt.datetime.now(dt.timezone.utc)


def code_of(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def wait_state(client, name, state, timeout=25):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        alarms = client.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        found = alarms["MetricAlarms"] + alarms["CompositeAlarms"]
        last = found[0] if found else None
        if last and last["StateValue"] == state:
            return last
        time.sleep(0.3)
    raise AssertionError(f"alarm {name} did not reach {state}: {last}")


# ---- metrics -------------------------------------------------------------------------------

def test_wire_protocols_round_trip(protocol_clients):
    """The same put/list/get succeeds over JSON 1.0, RPC v2 CBOR and query."""
    for protocol, c in protocol_clients.items():
        assert protocol in c.meta.service_model.protocols
        ns = f"Proto/{protocol}"
        t = now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
        c.put_metric_data(Namespace=ns, MetricData=[
            {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "Timestamp": t, "Value": 10, "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "Timestamp": t, "Values": [20, 30], "Counts": [1, 2], "Unit": "Milliseconds"},
        ])
        metrics = c.list_metrics(Namespace=ns)["Metrics"]
        assert metrics == [{"Namespace": ns, "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}]}]
        out = c.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "get"}],
                                      StartTime=t - dt.timedelta(minutes=1), EndTime=t + dt.timedelta(minutes=1), Period=60,
                                      Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"], ExtendedStatistics=["p50", "p99"])
        [p] = out["Datapoints"]
        assert (p["SampleCount"], p["Sum"], p["Minimum"], p["Maximum"]) == (4, 90, 10, 30), protocol
        assert p["Average"] == 22.5 and p["Unit"] == "Milliseconds"
        assert p["ExtendedStatistics"] == {"p50": 20.0, "p99": 30.0}
        with pytest.raises(ClientError) as e:
            c.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "X", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
        assert code_of(e.value) == "InvalidParameterCombination", protocol


def _alarm_calls(c, tag):
    """Lab 5's kind of alarm through one client: put, describe (by name, state, metric), its
    evaluation of the data put, set-alarm-state, history, actions off and on, tags, GetMetricData,
    delete. `tag` keeps each client's names apart."""
    ns, name = f"AlarmProto/{tag}", f"high-cpu-{tag}"
    dims = [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}]
    c.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "CPUUtilization", "Dimensions": dims, "Value": 90, "Unit": "Percent", "StorageResolution": 1}])
    c.put_metric_alarm(AlarmName=name, AlarmDescription="Alert when CPU exceeds 80%", MetricName="CPUUtilization", Namespace=ns,
                       Statistic="Average", Period=10, EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold",
                       Dimensions=dims, AlarmActions=["arn:aws:sns:us-east-1:123456789012:ops-alerts"], Tags=[{"Key": "lab", "Value": "5"}])
    [alarm] = c.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert (alarm["Threshold"], alarm["Period"], alarm["Dimensions"], alarm["AlarmDescription"]) == (80.0, 10, dims, "Alert when CPU exceeds 80%"), tag
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ops-alerts"] and alarm["ActionsEnabled"] is True
    assert isinstance(alarm["StateUpdatedTimestamp"], dt.datetime) and alarm["StateUpdatedTimestamp"].tzinfo is not None
    alarm = wait_state(c, name, "ALARM")
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [90.0"), (tag, alarm["StateReason"])
    assert [a["AlarmName"] for a in c.describe_alarms(AlarmNamePrefix=name, StateValue="ALARM")["MetricAlarms"]] == [name]
    assert [a["AlarmName"] for a in c.describe_alarms_for_metric(Namespace=ns, MetricName="CPUUtilization", Dimensions=dims)["MetricAlarms"]] == [name]
    c.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="checked by hand")
    history = c.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    summaries = [h["HistorySummary"] for h in history]
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in summaries and "Alarm updated from ALARM to OK" in summaries, (tag, summaries)
    assert all(isinstance(h["Timestamp"], dt.datetime) for h in history)
    c.disable_alarm_actions(AlarmNames=[name])
    assert c.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["ActionsEnabled"] is False
    c.enable_alarm_actions(AlarmNames=[name])
    assert c.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["ActionsEnabled"] is True
    assert c.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "lab", "Value": "5"}]
    t = now()
    out = c.get_metric_data(MetricDataQueries=[
        {"Id": "cpu", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "CPUUtilization", "Dimensions": dims}, "Period": 60, "Stat": "Average"}},
        {"Id": "half", "Expression": "cpu / 2"}], StartTime=t - dt.timedelta(minutes=5), EndTime=t + dt.timedelta(minutes=1))
    values = {r["Id"]: r["Values"] for r in out["MetricDataResults"]}
    assert values == {"cpu": [90.0], "half": [45.0]}, (tag, values)
    c.delete_alarms(AlarmNames=[name])
    assert c.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []


def test_alarm_calls_over_every_protocol(protocol_clients):
    """The alarm calls succeed alike over JSON 1.0, RPC v2 CBOR (as the Go SDK sends it) and query."""
    for protocol, c in protocol_clients.items():
        _alarm_calls(c, protocol.replace("smithy-rpc-v2-", ""))


def test_alarm_and_metric_calls_from_the_javascript_sdk(server):
    """The AWS SDK for JavaScript v3 (@aws-sdk/client-cloudwatch, unchanged but for the endpoint)
    makes the metric and alarm calls in its own protocol (JSON 1.0) and forced to RPC v2 CBOR and query."""
    js = os.path.join(os.path.dirname(__file__), "..", "roundtrip", "js")
    assert os.path.isdir(os.path.join(js, "node_modules", "@aws-sdk", "client-cloudwatch")), \
        "the AWS SDK for JavaScript is missing: npm ci --prefix tests/roundtrip/js (scripts/install-deps.sh does it)"
    env = {**server.env(), "STRATUS_ENDPOINT": server.endpoint, "AWS_ACCESS_KEY_ID": server.credentials.access_key,
           "AWS_SECRET_ACCESS_KEY": server.credentials.secret_key}
    p = subprocess.run(["node", "live_cloudwatch.mjs"], cwd=js, env=env, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    checks = json.loads(p.stdout)["checks"]
    assert {c["name"] for c in checks} == {f"{proto}:{step}" for proto in ("json", "cbor", "query") for step in ("metrics", "alarms")}, checks
    failed = [c for c in checks if not c["ok"]]
    assert not failed, failed


def test_put_metric_data_validation(client):
    def err(**datum):
        with pytest.raises(ClientError) as e:
            client.put_metric_data(Namespace="Val", MetricData=[{"MetricName": "M", **datum}])
        return code_of(e.value), e.value.response["Error"]["Message"]

    assert err(Value=1, Timestamp=now() - dt.timedelta(days=15))[0] == "InvalidParameterValue"
    assert err(Value=1, Timestamp=now() + dt.timedelta(hours=3))[0] == "InvalidParameterValue"
    assert err(Value=1, StorageResolution=30)[0] == "InvalidParameterValue"
    assert err(Value=1, Dimensions=[{"Name": f"d{i}", "Value": "v"} for i in range(31)])[0] == "InvalidParameterValue"
    assert err(Values=[1, 2], Counts=[1])[0] == "InvalidParameterValue"
    assert err()[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        client.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "M", "Value": 1}])
    assert code_of(e.value) == "InvalidParameterValue"
    # Nothing of a rejected request is stored.
    assert client.list_metrics(Namespace="Val")["Metrics"] == []


def test_get_metric_data_math_and_paging(client):
    t0 = now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    data = []
    for i in range(20):
        ts = t0 + dt.timedelta(minutes=i)
        data.append({"MetricName": "Requests", "Dimensions": [{"Name": "Host", "Value": "a"}], "Timestamp": ts, "Value": i, "Unit": "Count"})
        data.append({"MetricName": "Requests", "Dimensions": [{"Name": "Host", "Value": "b"}], "Timestamp": ts, "Value": 2 * i, "Unit": "Count"})
    client.put_metric_data(Namespace="App", MetricData=data)

    def stat(id_, host):
        return {"Id": id_, "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Requests", "Dimensions": [{"Name": "Host", "Value": host}]},
                                          "Period": 60, "Stat": "Sum"}, "ReturnData": False}
    queries = [stat("a", "a"), stat("b", "b"),
               {"Id": "total", "Expression": "a + b", "Label": "Total"},
               {"Id": "s", "Expression": "SUM(METRICS())"},
               {"Id": "ratio", "Expression": "IF(a > 0, b / a, 0)"},
               {"Id": "d", "Expression": "DIFF(a)"},
               {"Id": "r", "Expression": "RATE(a) * 60"},
               {"Id": "f", "Expression": "FILL(a, 0)"},
               {"Id": "mx", "Expression": "MAX(a) + 0 * a"}]
    out = client.get_metric_data(MetricDataQueries=queries, StartTime=t0, EndTime=t0 + dt.timedelta(minutes=25), ScanBy="TimestampAscending")
    results = {r["Id"]: r for r in out["MetricDataResults"]}
    assert set(results) == {"total", "s", "ratio", "d", "r", "f", "mx"}
    assert results["total"]["Label"] == "Total" and results["total"]["StatusCode"] == "Complete"
    assert results["total"]["Values"] == [3.0 * i for i in range(20)]
    assert results["s"]["Values"] == results["total"]["Values"]
    assert results["ratio"]["Values"] == [0.0] + [2.0] * 19
    assert results["d"]["Values"] == [1.0] * 19
    assert results["r"]["Values"] == [1.0] * 19
    assert len(results["f"]["Values"]) == 25 and results["f"]["Values"][20:] == [0.0] * 5
    assert results["mx"]["Values"] == [19.0] * 20
    # Descending by default; MaxDatapoints pages with NextToken.
    first = client.get_metric_data(MetricDataQueries=[stat("a", "a") | {"ReturnData": True}], StartTime=t0, EndTime=t0 + dt.timedelta(minutes=25), MaxDatapoints=15)
    page1 = first["MetricDataResults"][0]
    assert page1["Values"][:2] == [19.0, 18.0] and len(page1["Values"]) == 15 and page1["StatusCode"] == "PartialData"
    second = client.get_metric_data(MetricDataQueries=[stat("a", "a") | {"ReturnData": True}], StartTime=t0, EndTime=t0 + dt.timedelta(minutes=25),
                                    MaxDatapoints=15, NextToken=first["NextToken"])
    assert second["MetricDataResults"][0]["Values"] == [4.0, 3.0, 2.0, 1.0, 0.0] and "NextToken" not in second
    bad = client.get_metric_data(MetricDataQueries=[stat("a", "a"), {"Id": "e", "Expression": "nope + 1"}], StartTime=t0, EndTime=t0 + dt.timedelta(minutes=5))
    [e] = bad["MetricDataResults"]
    assert e["StatusCode"] != "Complete" and e["Messages"]
    with pytest.raises(ClientError) as err:
        client.get_metric_data(MetricDataQueries=[{"Id": "x", "Expression": "a +"}], StartTime=t0, EndTime=t0 + dt.timedelta(minutes=5))
    assert code_of(err.value) == "InvalidParameterValue"
    # ListMetrics: dimension filter, RecentlyActive.
    assert len(client.list_metrics(Namespace="App", Dimensions=[{"Name": "Host", "Value": "b"}])["Metrics"]) == 1
    assert len(client.list_metrics(Namespace="App", RecentlyActive="PT3H")["Metrics"]) == 2


def test_get_metric_statistics_rules(client):
    t = now()
    with pytest.raises(ClientError) as e:
        client.get_metric_statistics(Namespace="App", MetricName="Requests", StartTime=t - dt.timedelta(days=2), EndTime=t, Period=60, Statistics=["Sum"])
    assert code_of(e.value) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        client.get_metric_statistics(Namespace="App", MetricName="Requests", StartTime=t - dt.timedelta(hours=1), EndTime=t, Period=7, Statistics=["Sum"])
    assert code_of(e.value) == "InvalidParameterValue"


# ---- alarms --------------------------------------------------------------------------------

def test_alarm_goes_to_alarm_and_back_with_history(client):
    def push(value):
        client.put_metric_data(Namespace="Load", MetricData=[{"MetricName": "Cpu", "Dimensions": [{"Name": "Host", "Value": "h1"}],
                                                                "Value": value, "StorageResolution": 1}])

    client.put_metric_alarm(AlarmName="cpu-high", Namespace="Load", MetricName="Cpu", Dimensions=[{"Name": "Host", "Value": "h1"}],
                            Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=70, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=["arn:aws:sns:us-east-1:123456789012:ops"], Tags=[{"Key": "team", "Value": "web"}])
    alarm = client.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA" and alarm["AlarmArn"].endswith(":alarm:cpu-high")
    assert client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "web"}]
    push(95)
    alarm = wait_state(client, "cpu-high", "ALARM")
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [95.0")
    data = json.loads(alarm["StateReasonData"])
    assert data["statistic"] == "Maximum" and data["period"] == 10 and data["threshold"] == 70.0 and data["recentDatapoints"] == [95.0]
    # Wait for the next 10-second period, then push a low value.
    time.sleep(10 - time.time() % 10 + 0.2)
    push(5)
    wait_state(client, "cpu-high", "OK")
    history = client.describe_alarm_history(AlarmName="cpu-high")["AlarmHistoryItems"]
    kinds = [h["HistoryItemType"] for h in history]
    assert kinds.count("StateUpdate") >= 2 and "ConfigurationUpdate" in kinds and "Action" in kinds
    action = next(h for h in history if h["HistoryItemType"] == "Action")
    assert "sns" in action["HistorySummary"] and "SNS" in json.loads(action["HistoryData"])["error"]
    updates = client.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert json.loads(updates[0]["HistoryData"])["newState"]["stateValue"] == "OK"
    assert client.describe_alarms_for_metric(Namespace="Load", MetricName="Cpu", Dimensions=[{"Name": "Host", "Value": "h1"}])["MetricAlarms"][0]["AlarmName"] == "cpu-high"


def test_treat_missing_data_and_m_of_n(client):
    client.put_metric_alarm(AlarmName="missing-breaching", Namespace="Nothing", MetricName="Here", Statistic="Sum", Period=10,
                            EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", TreatMissingData="breaching")
    client.put_metric_alarm(AlarmName="missing-ok", Namespace="Nothing", MetricName="Here", Statistic="Sum", Period=10,
                            EvaluationPeriods=2, Threshold=1, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    client.put_metric_alarm(AlarmName="missing-missing", Namespace="Nothing", MetricName="Here", Statistic="Sum", Period=10,
                            EvaluationPeriods=2, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    wait_state(client, "missing-breaching", "ALARM")
    wait_state(client, "missing-ok", "OK")
    alarm = wait_state(client, "missing-missing", "INSUFFICIENT_DATA")
    with pytest.raises(ClientError) as e:
        client.put_metric_alarm(AlarmName="bad", Namespace="N", MetricName="M", Statistic="Sum", Period=60, EvaluationPeriods=2,
                                DatapointsToAlarm=3, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    assert code_of(e.value) == "ValidationError"


def test_set_alarm_state_composite_and_math_alarms(client):
    client.put_metric_alarm(AlarmName="child-a", Namespace="Comp", MetricName="M", Statistic="Sum", Period=60, EvaluationPeriods=1,
                            Threshold=1, ComparisonOperator="GreaterThanThreshold", ActionsEnabled=False)
    client.put_composite_alarm(AlarmName="parent", AlarmRule='ALARM("child-a") AND NOT OK(child-a)')
    # SetAlarmState holds until the next evaluation (which, without data, sets it back), as in CloudWatch.
    client.set_alarm_state(AlarmName="child-a", StateValue="ALARM", StateReason="testing")
    updates = client.describe_alarm_history(AlarmName="child-a", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert any(json.loads(u["HistoryData"])["newState"]["stateReason"] == "testing" for u in updates)
    client.put_metric_data(Namespace="Comp", MetricData=[{"MetricName": "M", "Value": 5}])
    wait_state(client, "child-a", "ALARM")
    parent = wait_state(client, "parent", "ALARM")
    assert json.loads(parent["StateReasonData"])["triggeringAlarms"][0]["arn"].endswith(":alarm:child-a")
    out = client.describe_alarms(AlarmTypes=["CompositeAlarm"], ChildrenOfAlarmName="parent")
    assert out["CompositeAlarms"] == []
    out = client.describe_alarms(AlarmTypes=["MetricAlarm"], ChildrenOfAlarmName="parent")
    assert [a["AlarmName"] for a in out["MetricAlarms"]] == ["child-a"]
    with pytest.raises(ClientError) as e:
        client.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert code_of(e.value) == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        client.put_composite_alarm(AlarmName="p2", AlarmRule='ALARM("ghost")')
    assert code_of(e.value) == "ValidationError"
    client.put_metric_alarm(AlarmName="math", EvaluationPeriods=1, Threshold=100, ComparisonOperator="GreaterThanThreshold", Metrics=[
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Comp", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "e1", "Expression": "m1 * 100", "ReturnData": True}])
    client.put_metric_alarm(AlarmName="band", EvaluationPeriods=1, ThresholdMetricId="ad1", ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold", Metrics=[
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Comp", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}, "ReturnData": True},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}])
    wait_state(client, "math", "ALARM")
    client.disable_alarm_actions(AlarmNames=["math"])
    assert client.describe_alarms(AlarmNames=["math"])["MetricAlarms"][0]["ActionsEnabled"] is False
    names = set()
    token = None
    while True:
        page = client.describe_alarms(MaxRecords=2, **({"NextToken": token} if token else {}))
        names |= {a["AlarmName"] for a in page["MetricAlarms"]}
        token = page.get("NextToken")
        if not token:
            break
    assert {"child-a", "math", "band"} <= names and "parent" not in names
    client.delete_alarms(AlarmNames=["parent", "band"])
    assert client.describe_alarms(AlarmNames=["parent", "band"], AlarmTypes=["MetricAlarm", "CompositeAlarm"]) ["MetricAlarms"] == []


def test_ec2_stop_action_stops_the_instance(server, client):
    ec2 = server.ec2()
    image = minimal_ami(ec2)
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    client.put_metric_alarm(AlarmName="stop-it", Namespace="Custom/EC2", MetricName="Idle", Dimensions=[{"Name": "InstanceId", "Value": instance}],
                            Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=0.5, ComparisonOperator="GreaterThanOrEqualToThreshold",
                            AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"])
    client.put_metric_data(Namespace="Custom/EC2", MetricData=[{"MetricName": "Idle", "Dimensions": [{"Name": "InstanceId", "Value": instance}], "Value": 1,
                                                                   "StorageResolution": 1}])
    wait_state(client, "stop-it", "ALARM")
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    history = client.describe_alarm_history(AlarmName="stop-it", HistoryItemType="Action")["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == "Successfully executed action arn:aws:automate:us-east-1:ec2:stop"


def test_status_check_metrics_published_for_running_instances(server, client):
    ec2 = server.ec2()
    image = minimal_ami(ec2)
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    deadline = time.time() + 15
    while time.time() < deadline:
        metrics = client.list_metrics(Namespace="AWS/EC2", Dimensions=[{"Name": "InstanceId", "Value": instance}])["Metrics"]
        if any(m["MetricName"] == "StatusCheckFailed" for m in metrics):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("no AWS/EC2 StatusCheckFailed metric for the instance")
    t = now()
    out = client.get_metric_statistics(Namespace="AWS/EC2", MetricName="StatusCheckFailed", Dimensions=[{"Name": "InstanceId", "Value": instance}],
                                       StartTime=t - dt.timedelta(minutes=10), EndTime=t + dt.timedelta(minutes=5), Period=300, Statistics=["Maximum"])
    assert out["Datapoints"] and out["Datapoints"][0]["Maximum"] == 0


# ---- dashboards, tags, the aws CLI ---------------------------------------------------------

def test_dashboards(client):
    body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "hi"}}]})
    assert client.put_dashboard(DashboardName="ops", DashboardBody=body)["DashboardValidationMessages"] == []
    got = client.get_dashboard(DashboardName="ops")
    assert got["DashboardBody"] == body and got["DashboardArn"].endswith(":dashboard/ops")
    assert [d["DashboardName"] for d in client.list_dashboards()["DashboardEntries"]] == ["ops"]
    with pytest.raises(ClientError) as e:
        client.put_dashboard(DashboardName="bad", DashboardBody="[1")
    assert code_of(e.value) == "InvalidParameterInput"
    client.delete_dashboards(DashboardNames=["ops"])
    with pytest.raises(ClientError) as e:
        client.get_dashboard(DashboardName="ops")
    assert code_of(e.value) == "ResourceNotFound"


def _aws_v2():
    for path in ("/usr/bin/aws", "/usr/local/bin/aws", "/usr/local/aws-cli/v2/current/bin/aws"):
        if os.path.exists(path):
            p = subprocess.run([path, "--version"], capture_output=True, text=True)
            if p.stdout.startswith("aws-cli/2."):
                return path
    return None


def test_aws_cli_v1_and_v2(server):
    out = server.cli("--profile", "stratus", "cloudwatch", "put-metric-data", "--namespace", "Cli", "--metric-name", "Hits",
                     "--value", "3", "--unit", "Count", check=True)
    assert out.returncode == 0
    listed = server.cli_json("--profile", "stratus", "cloudwatch", "list-metrics", "--namespace", "Cli")
    assert listed["Metrics"][0]["MetricName"] == "Hits"
    v2 = _aws_v2()
    assert v2 is not None, "the aws CLI v2 is missing: scripts/install-deps.sh installs Debian's awscli (/usr/bin/aws)"

    def run(*args):
        p = subprocess.run([v2, "--profile", "stratus", "--endpoint-url", server.endpoint, "cloudwatch", *args, "--output", "json"],
                           env=server.env(), capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout) if p.stdout.strip() else {}

    run("put-metric-data", "--namespace", "Cli", "--metric-name", "Hits", "--value", "4", "--unit", "Count")
    run("put-metric-alarm", "--alarm-name", "cli-alarm", "--namespace", "Cli", "--metric-name", "Hits", "--statistic", "Sum",
        "--period", "60", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold")
    alarms = run("describe-alarms", "--alarm-names", "cli-alarm")
    assert alarms["MetricAlarms"][0]["Threshold"] == 1.0
    t = now()
    stats = run("get-metric-statistics", "--namespace", "Cli", "--metric-name", "Hits", "--statistics", "Sum",
                "--start-time", (t - dt.timedelta(minutes=5)).isoformat(), "--end-time", (t + dt.timedelta(minutes=1)).isoformat(), "--period", "60")
    assert sum(p["Sum"] for p in stats["Datapoints"]) == 7.0


def _cli_alarm_calls(run, tag):
    """Lab 5's CPU alarm with the aws CLI: put, describe, evaluation, set-alarm-state, history, delete."""
    ns, name = f"CliAlarms/{tag}", f"high-cpu-{tag}"
    run("put-metric-data", "--namespace", ns, "--metric-name", "CPUUtilization", "--dimensions", "InstanceId=i-0123456789abcdef0",
        "--value", "95", "--unit", "Percent", "--storage-resolution", "1")
    run("put-metric-alarm", "--alarm-name", name, "--alarm-description", "Alert when CPU exceeds 80%", "--metric-name", "CPUUtilization",
        "--namespace", ns, "--statistic", "Average", "--period", "10", "--evaluation-periods", "1", "--threshold", "80",
        "--comparison-operator", "GreaterThanThreshold", "--dimensions", "Name=InstanceId,Value=i-0123456789abcdef0",
        "--alarm-actions", "arn:aws:sns:us-east-1:123456789012:ops-alerts")
    [alarm] = run("describe-alarms", "--alarm-names", name)["MetricAlarms"]
    assert (alarm["Threshold"], alarm["Dimensions"]) == (80.0, [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}]), (tag, alarm)
    deadline = time.time() + 25
    while run("describe-alarms", "--alarm-names", name, "--state-value", "ALARM")["MetricAlarms"] == []:
        assert time.time() < deadline, (tag, run("describe-alarms", "--alarm-names", name))
        time.sleep(0.5)
    found = run("describe-alarms-for-metric", "--namespace", ns, "--metric-name", "CPUUtilization", "--dimensions", "Name=InstanceId,Value=i-0123456789abcdef0")
    assert [a["AlarmName"] for a in found["MetricAlarms"]] == [name], (tag, found)
    run("set-alarm-state", "--alarm-name", name, "--state-value", "OK", "--state-reason", "checked by hand")
    history = run("describe-alarm-history", "--alarm-name", name, "--history-item-type", "StateUpdate")["AlarmHistoryItems"]
    assert "Alarm updated from ALARM to OK" in [h["HistorySummary"] for h in history], (tag, history)
    run("delete-alarms", "--alarm-names", name)
    assert run("describe-alarms", "--alarm-names", name)["MetricAlarms"] == []


def test_alarm_calls_from_the_aws_cli(server):
    """The alarm calls from the aws CLI v1 (botocore's first protocol: RPC v2 CBOR) and the aws CLI
    v2 Debian ships (its bundled model: query; the request is checked to be one). Current aws CLI v2
    releases send JSON 1.0, which the JavaScript SDK's test covers: this v2 release, given a JSON
    model, cannot serialize doubles (`Object of type Decimal is not JSON serializable`)."""
    _cli_alarm_calls(lambda *a: server.cli_json("--profile", "stratus", "cloudwatch", *a) or {}, "v1")
    v2 = _aws_v2()
    assert v2 is not None, "the aws CLI v2 is missing: scripts/install-deps.sh installs Debian's awscli (/usr/bin/aws)"

    def runner(env):
        def run(*args, debug=False):
            p = subprocess.run([v2, "--profile", "stratus", "--endpoint-url", server.endpoint, "cloudwatch", *args, "--output", "json",
                                *(["--debug"] if debug else [])], env=env, capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr[-3000:]
            return (json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr) if debug else (json.loads(p.stdout) if p.stdout.strip() else {})
        return run

    query = runner(server.env())
    _, trace = query("list-metrics", "--namespace", "None", debug=True)
    assert "application/x-www-form-urlencoded" in trace and "<ListMetricsResponse" in trace, trace[-3000:]
    _cli_alarm_calls(query, "v2-query")
