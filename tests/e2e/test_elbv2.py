"""Elastic Load Balancing v2: the API with AWS's semantics and the real data plane.

The API part runs on the mock runtime (boto3: create/describe/modify/delete of load balancers,
target groups, listeners and rules, errors, pagination, tags, attributes, target health states).
Its data plane part puts local HTTP and TCP servers on 127.0.0.1 behind an ALB and an NLB as IP
targets (AvailabilityZone "all") and reaches the load balancers by their DNS names through the
hosts file `stratus serve` keeps (the server runs as root, so it manages /etc/hosts).

The real-instance part (container runtime) boots two instances whose busybox httpd serves their
instance id and /health, puts them behind an ALB and an NLB, checks that both answer through the
DNS name and that an instance whose httpd is killed turns unhealthy and stops receiving requests.
Needs root, crun and the minimal image; anything missing FAILS.
"""

from __future__ import annotations

import datetime
import http.server
import os
import socket
import socketserver
import threading
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, ServerFactory, default_vpc, error_of, minimal_ami, wait_until

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

HOSTS = "/etc/hosts"


def _get(url: str, timeout: float = 5) -> tuple[int, str, dict]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(url, timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _hosts_blocks_of(srv) -> list[str]:
    with open(HOSTS) as f:
        return [line for line in f if line.startswith("# BEGIN stratus load balancers") and f"dir={srv.data_dir} " in line]


# ------------------------------------------------------------------------------ local targets


class _Named(http.server.BaseHTTPRequestHandler):
    name = "?"

    def do_GET(self):  # noqa: N802
        body = f"{self.name} {self.path} host={self.headers.get('Host')} xff={self.headers.get('X-Forwarded-For')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _http_server(name: str):
    handler = type(f"H{name}", (_Named,), {"name": name})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class _Echo(socketserver.BaseRequestHandler):
    name = "?"

    def handle(self):
        data = self.request.recv(1024)
        self.request.sendall(self.name.encode() + b":" + data)


def _tcp_server(name: str):
    handler = type(f"E{name}", (_Echo,), {"name": name})
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the ELB tests need root (the server keeps load balancer names in /etc/hosts)", pytrace=False)
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("elbv2")))
    srv = factory(name="stratus-elbv2", extra_args=["--metrics-interval-seconds", "1"])
    servers = []
    try:
        class Lab:
            pass
        lab = Lab()
        lab.srv, lab.ec2, lab.elb = srv, srv.ec2(), srv.client("elbv2")
        lab.vpc = default_vpc(lab.ec2)["VpcId"]
        subnets = sorted(lab.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [lab.vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
        lab.subnets = [s["SubnetId"] for s in subnets]
        lab.http = [_http_server("alpha"), _http_server("beta"), _http_server("gamma")]
        lab.tcp = [_tcp_server("one"), _tcp_server("two")]
        servers = lab.http + lab.tcp
        yield lab
        for lb in lab.elb.describe_load_balancers()["LoadBalancers"]:
            lab.elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        factory.close()
        assert not _hosts_blocks_of(srv), "the server left its block in /etc/hosts"


# ------------------------------------------------------------------------------ API semantics


def test_load_balancer_shape_and_errors(lab):
    elb = lab.elb
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="one-subnet", Subnets=lab.subnets[:1])
    assert error_of(e)[0] == "InvalidConfigurationRequest"
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="-bad", Subnets=lab.subnets[:2])
    assert error_of(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="nosubnet", Subnets=["subnet-0123456789abcdef0", lab.subnets[0]])
    assert error_of(e)[0] == "SubnetNotFound"

    lb = elb.create_load_balancer(Name="api-alb", Subnets=lab.subnets[:2], Tags=[{"Key": "team", "Value": "web"}])["LoadBalancers"][0]
    assert lb["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancing:us-east-1:")
    assert ":loadbalancer/app/api-alb/" in lb["LoadBalancerArn"]
    assert lb["DNSName"].startswith("api-alb-") and lb["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application" and lb["VpcId"] == lab.vpc
    assert len(lb["AvailabilityZones"]) == 2 and len(lb["SecurityGroups"]) == 1
    # Same name, same settings: the same load balancer; different settings: DuplicateLoadBalancerName.
    assert elb.create_load_balancer(Name="api-alb", Subnets=lab.subnets[:2])["LoadBalancers"][0]["LoadBalancerArn"] == lb["LoadBalancerArn"]
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="api-alb", Subnets=lab.subnets[:3])
    assert error_of(e)[0] == "DuplicateLoadBalancerName"
    wait_until(lambda: elb.describe_load_balancers(Names=["api-alb"])["LoadBalancers"][0]["State"]["Code"] == "active", 10, "active")

    internal = elb.create_load_balancer(Name="api-nlb", Type="network", Scheme="internal", Subnets=lab.subnets[:1])["LoadBalancers"][0]
    assert internal["DNSName"].startswith("internal-api-nlb-") and ".elb.us-east-1.amazonaws.com" in internal["DNSName"]
    assert ":loadbalancer/net/api-nlb/" in internal["LoadBalancerArn"]

    # Pagination.
    page1 = elb.describe_load_balancers(PageSize=1)
    assert len(page1["LoadBalancers"]) == 1 and page1["NextMarker"]
    page2 = elb.describe_load_balancers(PageSize=1, Marker=page1["NextMarker"])
    assert page2["LoadBalancers"][0]["LoadBalancerArn"] != page1["LoadBalancers"][0]["LoadBalancerArn"]
    with pytest.raises(ClientError) as e:
        elb.describe_load_balancers(Names=["nope"])
    assert error_of(e)[0] == "LoadBalancerNotFound"

    # Attributes with AWS's keys and defaults.
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "60" and attrs["deletion_protection.enabled"] == "false" and attrs["routing.http2.enabled"] == "true"
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
    with pytest.raises(ClientError) as e:
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert error_of(e)[0] == "OperationNotPermitted"
    with pytest.raises(ClientError) as e:
        elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "no.such.key", "Value": "1"}])
    assert error_of(e)[0] == "ValidationError"
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])

    # Tags.
    elb.add_tags(ResourceArns=[lb["LoadBalancerArn"]], Tags=[{"Key": "env", "Value": "test"}])
    elb.remove_tags(ResourceArns=[lb["LoadBalancerArn"]], TagKeys=["team"])
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "env", "Value": "test"}]

    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])  # gone already: still succeeds, as AWS
    elb.delete_load_balancer(LoadBalancerArn=internal["LoadBalancerArn"])
    assert elb.describe_account_limits()["Limits"]
    assert any(p["Name"] == "ELBSecurityPolicy-2016-08" for p in elb.describe_ssl_policies()["SslPolicies"])


def test_target_groups_listeners_and_rules(lab):
    elb = lab.elb
    tg = elb.create_target_group(Name="api-tg", Protocol="HTTP", Port=80, VpcId=lab.vpc)["TargetGroups"][0]
    assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"], tg["HealthyThresholdCount"],
            tg["UnhealthyThresholdCount"], tg["Matcher"]["HttpCode"], tg["HealthCheckPort"]) == ("/", 30, 5, 5, 2, "200", "traffic-port")
    tcp = elb.create_target_group(Name="api-tcp", Protocol="TCP", Port=80, VpcId=lab.vpc)["TargetGroups"][0]
    assert tcp["HealthCheckProtocol"] == "TCP" and tcp["HealthCheckTimeoutSeconds"] == 10 and "HealthCheckPath" not in tcp
    with pytest.raises(ClientError) as e:
        elb.create_target_group(Name="api-tg", Protocol="HTTP", Port=81, VpcId=lab.vpc)
    assert error_of(e)[0] == "DuplicateTargetGroupName"
    with pytest.raises(ClientError) as e:
        elb.create_target_group(Name="bad-hc", Protocol="HTTP", Port=80, VpcId=lab.vpc, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=6)
    assert error_of(e)[0] in ("ValidationError", "InvalidConfigurationRequest")
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "300" and attrs["stickiness.type"] == "lb_cookie" and attrs["slow_start.duration_seconds"] == "0"
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    with pytest.raises(ClientError) as e:
        elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[{"Key": "slow_start.duration_seconds", "Value": "10"}])
    assert error_of(e)[0] == "InvalidConfigurationRequest"

    # Instance targets: unknown instance → InvalidTarget; not in a listener → unused / Target.NotInUse.
    with pytest.raises(ClientError) as e:
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "i-0123456789abcdef0"}])
    assert error_of(e)[0] == "InvalidTarget"
    ami = minimal_ami(lab.ec2)
    iid = lab.ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": iid}])
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert health[0]["Target"] == {"Id": iid, "Port": 80} and health[0]["TargetHealth"]["Reason"] == "Target.NotInUse"
    other = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "i-0aaaaaaaaaaaaaaaa"}])["TargetHealthDescriptions"]
    assert other[0]["TargetHealth"]["Reason"] == "Target.NotRegistered"

    lb = elb.create_load_balancer(Name="rules-alb", Subnets=lab.subnets[:2])["LoadBalancers"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=18080,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=18080,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    assert error_of(e)[0] == "DuplicateListener"
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=18081,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp["TargetGroupArn"]}])
    assert error_of(e)[0] == "IncompatibleProtocols"
    assert elb.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"]])["TargetGroups"][0]["LoadBalancerArns"] == [lb["LoadBalancerArn"]]
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"][0]["TargetHealth"]
    assert health["State"] in ("initial", "unhealthy", "unused") and health.get("Reason") in (
        "Elb.RegistrationInProgress", "Elb.InitialHealthChecking", "Target.FailedHealthChecks", "Target.Timeout", "Target.InvalidState")

    rule = elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                           Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "api"}}])["Rules"][0]
    with pytest.raises(ClientError) as e:
        elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=10, Conditions=[{"Field": "host-header", "Values": ["a.example"]}],
                        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
    assert error_of(e)[0] == "PriorityInUse"
    rule2 = elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=20, Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}],
                            Actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])["Rules"][0]
    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"] and rules[-1]["IsDefault"]
    elb.set_rule_priorities(RulePriorities=[{"RuleArn": rule["RuleArn"], "Priority": 30}, {"RuleArn": rule2["RuleArn"], "Priority": 10}])
    assert [r["Priority"] for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]] == ["10", "30", "default"]
    with pytest.raises(ClientError) as e:
        elb.delete_rule(RuleArn=rules[-1]["RuleArn"])
    assert error_of(e)[0] == "OperationNotPermitted"
    with pytest.raises(ClientError) as e:
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    assert error_of(e)[0] == "ResourceInUse"

    # Deregistering from a group in use drains the target for the deregistration delay (5 s here).
    elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": iid}])
    drained = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert drained[0]["TargetHealth"] == {"State": "draining", "Reason": "Target.DeregistrationInProgress", "Description": "Target deregistration is in progress"}
    wait_until(lambda: not elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"], 15, "drained")

    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    elb.delete_target_group(TargetGroupArn=tcp["TargetGroupArn"])
    lab.ec2.terminate_instances(InstanceIds=[iid])
    with pytest.raises(ClientError) as e:
        elb.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"]])
    assert error_of(e)[0] == "TargetGroupNotFound"


# ------------------------------------------------------------------------------ data plane (local targets)


def test_alb_routes_to_healthy_targets_by_dns_name(lab):
    elb = lab.elb
    tg = elb.create_target_group(Name="local-http", Protocol="HTTP", Port=80, VpcId=lab.vpc, TargetType="ip",
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[
        {"Id": "127.0.0.1", "Port": s.server_address[1], "AvailabilityZone": "all"} for s in lab.http[:2]])
    lb = elb.create_load_balancer(Name="local-alb", Subnets=lab.subnets[:2])["LoadBalancers"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/fixed"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain", "MessageBody": "teapot"}}])
    elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=2, Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Go", "Values": ["elsewhere"]}}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Host": "example.com", "StatusCode": "HTTP_302"}}])

    dns = lb["DNSName"]
    # The name resolves on the host with no setup (the server's block in /etc/hosts).
    address = wait_until(lambda: _resolve(dns), 10, f"{dns} resolves")
    assert address.startswith("127.")
    wait_until(lambda: all(h["TargetHealth"]["State"] == "healthy"
                       for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]), 30, "targets healthy")
    seen = set()
    for _ in range(6):
        status, body, _ = _get(f"http://{dns}/hello")
        assert status == 200, body
        assert f"host={dns}" in body and "xff=127.0.0.1" in body
        seen.add(body.split()[0])
    assert seen == {"alpha", "beta"}, seen
    assert _get(f"http://{dns}/fixed")[:2] == (418, "teapot")
    req = urllib.request.Request(f"http://{dns}/x?y=1", headers={"X-Go": "elsewhere"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(req, timeout=5)
    assert redirect.value.code == 302 and redirect.value.headers["Location"] == "http://example.com/x?y=1"

    # A target whose server stops answering turns unhealthy and gets no more requests.
    beta = lab.http[1]
    beta.shutdown()
    beta.server_close()
    wait_until(lambda: {h["Target"]["Port"]: h["TargetHealth"] for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]}
           [beta.server_address[1]]["State"] == "unhealthy", 30, "beta unhealthy")
    reason = {h["Target"]["Port"]: h["TargetHealth"] for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]}[beta.server_address[1]]
    assert reason["Reason"] in ("Target.FailedHealthChecks", "Target.Timeout")
    assert {_get(f"http://{dns}/")[1].split()[0] for _ in range(6)} == {"alpha"}


def test_nlb_forwards_tcp(lab):
    elb = lab.elb
    tg = elb.create_target_group(Name="local-tcp", Protocol="TCP", Port=80, VpcId=lab.vpc, TargetType="ip",
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[
        {"Id": "127.0.0.1", "Port": s.server_address[1], "AvailabilityZone": "all"} for s in lab.tcp])
    lb = elb.create_load_balancer(Name="local-nlb", Type="network", Subnets=lab.subnets[:1])["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=7000,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    wait_until(lambda: _resolve(lb["DNSName"]), 10, "NLB name resolves")
    wait_until(lambda: all(h["TargetHealth"]["State"] == "healthy"
                       for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]), 30, "TCP targets healthy")
    answers = set()
    for i in range(12):
        with socket.create_connection((lb["DNSName"], 7000), timeout=5) as c:
            c.sendall(f"ping{i}".encode())
            reply = c.recv(1024).decode()
            assert reply.endswith(f":ping{i}"), reply
            answers.add(reply.split(":")[0])
    assert answers == {"one", "two"}, answers


def _statistic(cw, namespace: str, metric: str, dimensions: dict, statistic: str = "Sum") -> float | None:
    now = datetime.datetime.now(datetime.timezone.utc)
    points = cw.get_metric_statistics(Namespace=namespace, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
                                      StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1),
                                      Period=600, Statistics=[statistic])["Datapoints"]
    if not points:
        return None
    # The window spans two periods when a point lands in the last minute: combine them as the statistic does.
    values = [p[statistic] for p in points]
    return max(values) if statistic == "Maximum" else min(values) if statistic == "Minimum" else sum(values)


def test_load_balancer_metrics_in_cloudwatch(lab):
    """The data plane counts what it serves: AWS/ApplicationELB and AWS/NetworkELB with AWS's dimensions."""
    elb, cw = lab.elb, lab.srv.client("cloudwatch")
    tg = elb.create_target_group(Name="metrics-http", Protocol="HTTP", Port=80, VpcId=lab.vpc, TargetType="ip",
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
    gamma = lab.http[2]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": gamma.server_address[1], "AvailabilityZone": "all"}])
    lb = elb.create_load_balancer(Name="metrics-alb", Subnets=lab.subnets[:2])["LoadBalancers"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/fixed"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
    dns = lb["DNSName"]
    wait_until(lambda: _resolve(dns), 10, f"{dns} resolves")
    wait_until(lambda: all(h["TargetHealth"]["State"] == "healthy"
                       for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]), 30, "target healthy")
    n = 7
    for _ in range(n):
        assert _get(f"http://{dns}/count")[0] == 200
    assert _get(f"http://{dns}/fixed")[0] == 404

    alb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_dim = tg["TargetGroupArn"].split(":")[-1]
    assert alb_dim.startswith("app/metrics-alb/") and tg_dim.startswith("targetgroup/metrics-http/")
    ns = "AWS/ApplicationELB"
    # RequestCount counts requests that reached a target (not the fixed response), as ELB does.
    wait_until(lambda: _statistic(cw, ns, "RequestCount", {"LoadBalancer": alb_dim}) == n, 15, "RequestCount")
    assert _statistic(cw, ns, "RequestCount", {"LoadBalancer": alb_dim, "TargetGroup": tg_dim}) == n
    assert _statistic(cw, ns, "HTTPCode_Target_2XX_Count", {"LoadBalancer": alb_dim, "TargetGroup": tg_dim}) == n
    assert _statistic(cw, ns, "HTTPCode_Target_2XX_Count", {"LoadBalancer": alb_dim}) == n
    wait_until(lambda: _statistic(cw, ns, "HTTPCode_ELB_4XX_Count", {"LoadBalancer": alb_dim}) == 1, 10, "HTTPCode_ELB_4XX_Count")
    # One healthy target: RequestCountPerTarget is the group's requests.
    assert _statistic(cw, ns, "RequestCountPerTarget", {"TargetGroup": tg_dim}) == n
    assert _statistic(cw, ns, "HealthyHostCount", {"LoadBalancer": alb_dim, "TargetGroup": tg_dim}, "Maximum") == 1
    assert _statistic(cw, ns, "UnHealthyHostCount", {"LoadBalancer": alb_dim, "TargetGroup": tg_dim}, "Maximum") == 0
    assert 0 < _statistic(cw, ns, "TargetResponseTime", {"LoadBalancer": alb_dim, "TargetGroup": tg_dim}, "Maximum") < 5
    wait_until(lambda: (_statistic(cw, ns, "NewConnectionCount", {"LoadBalancer": alb_dim}) or 0) >= 1, 10, "NewConnectionCount")
    assert _statistic(cw, ns, "ProcessedBytes", {"LoadBalancer": alb_dim}) > 100 * n
    listed = {m["MetricName"] for m in cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "LoadBalancer", "Value": alb_dim}])["Metrics"]}
    assert {"RequestCount", "HTTPCode_Target_2XX_Count", "HealthyHostCount", "ActiveConnectionCount", "ProcessedBytes"} <= listed

    # A target-tracking policy on ALBRequestCountPerTarget: its alarms watch exactly this series.
    asg = lab.srv.client("autoscaling")
    lt = lab.ec2.create_launch_template(LaunchTemplateName="metrics-lt", LaunchTemplateData={"ImageId": minimal_ami(lab.ec2), "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="metrics-asg", MinSize=0, MaxSize=4, DesiredCapacity=0, VPCZoneIdentifier=lab.subnets[0],
                                  LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"]})
    policy = asg.put_scaling_policy(AutoScalingGroupName="metrics-asg", PolicyName="requests", PolicyType="TargetTrackingScaling",
                                    TargetTrackingConfiguration={"TargetValue": 100.0, "PredefinedMetricSpecification": {
                                        "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": f"{alb_dim}/{tg_dim}"}})
    high = cw.describe_alarms(AlarmNames=[a["AlarmName"] for a in policy["Alarms"] if "-AlarmHigh-" in a["AlarmName"]])["MetricAlarms"][0]
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == (ns, "RequestCountPerTarget", "Sum")
    assert _statistic(cw, high["Namespace"], high["MetricName"], {d["Name"]: d["Value"] for d in high["Dimensions"]}, high["Statistic"]) == n
    asg.delete_auto_scaling_group(AutoScalingGroupName="metrics-asg")
    assert not cw.describe_alarms(AlarmNames=[a["AlarmName"] for a in policy["Alarms"]])["MetricAlarms"]

    # The NLB of test_nlb_forwards_tcp relayed 12 flows.
    nlb = elb.describe_load_balancers(Names=["local-nlb"])["LoadBalancers"][0]
    nlb_dim = nlb["LoadBalancerArn"].split(":loadbalancer/")[1]
    assert nlb_dim.startswith("net/local-nlb/")
    wait_until(lambda: _statistic(cw, "AWS/NetworkELB", "NewFlowCount", {"LoadBalancer": nlb_dim}) == 12, 10, "NewFlowCount")
    assert _statistic(cw, "AWS/NetworkELB", "ProcessedBytes", {"LoadBalancer": nlb_dim}) >= 12 * len("ping0")
    nlb_tg = elb.describe_target_groups(Names=["local-tcp"])["TargetGroups"][0]["TargetGroupArn"].split(":")[-1]
    assert _statistic(cw, "AWS/NetworkELB", "HealthyHostCount", {"LoadBalancer": nlb_dim, "TargetGroup": nlb_tg}, "Maximum") == 2


def _resolve(name: str) -> str | None:
    try:
        return socket.gethostbyname(name)
    except OSError:
        return None


# ------------------------------------------------------------------------------ real instances (container runtime)

WEB = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
ID=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
mkdir -p /var/www
echo "$ID" > /var/www/index.html
echo ok > /var/www/health
busybox httpd -p 80 -h /var/www -u ec2-user
"""


def test_real_instances_behind_alb_and_nlb(stratus_binary, tmp_path_factory):
    from guests import BOOT_TIMEOUT, GuestLab, guest_server, ssh, wait_ssh

    with guest_server(stratus_binary, tmp_path_factory, "elbv2-real") as srv:
        guests = GuestLab(srv, tmp_path_factory.mktemp("elbkeys"), key_name="elb-key")
        ec2, elb, key = guests.ec2, srv.client("elbv2"), guests.key_path
        vpc = default_vpc(ec2)["VpcId"]
        subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
        web = guests.ssh_group("web", ports=(22, 80), vpc_id=vpc)
        ids = [guests.run_instances(SecurityGroupIds=[web], SubnetId=subnets[i]["SubnetId"], UserData=WEB)[0] for i in range(2)]
        guests.wait_running(*ids)

        tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": i} for i in ids])
        lb = elb.create_load_balancer(Name="web-alb", Subnets=[s["SubnetId"] for s in subnets], SecurityGroups=[web])["LoadBalancers"][0]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        tcp = elb.create_target_group(Name="web-tcp", Protocol="TCP", Port=80, VpcId=vpc,
                                      HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tcp["TargetGroupArn"], Targets=[{"Id": i} for i in ids])
        nlb = elb.create_load_balancer(Name="web-nlb", Type="network", Subnets=[subnets[0]["SubnetId"]])["LoadBalancers"][0]
        elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TCP", Port=8080,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp["TargetGroupArn"]}])

        for group in (tg, tcp):
            wait_until(lambda group=group: [h["TargetHealth"]["State"] for h in elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]]
                   == ["healthy", "healthy"], BOOT_TIMEOUT, f"{group['TargetGroupName']} targets healthy")
        dns = lb["DNSName"]
        answered = {_get(f"http://{dns}/")[1].strip() for _ in range(8)}
        assert answered == set(ids), answered
        via_nlb = {_get(f"http://{nlb['DNSName']}:8080/")[1].strip() for _ in range(16)}
        assert via_nlb <= set(ids) and via_nlb, via_nlb

        # Kill the web server of the first instance: unhealthy within the thresholds, no more traffic.
        victim = ids[0]
        public = ec2.describe_instances(InstanceIds=[victim])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
        wait_ssh(key, public)
        killed = ssh(key, public, "kill $(ps | grep '[h]ttpd -p 80' | awk '{print $1}')")
        assert killed.returncode == 0, killed.stderr
        wait_until(lambda: {h["Target"]["Id"]: h["TargetHealth"]["State"] for h in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]}
               [victim] == "unhealthy", 30, "killed target unhealthy")
        assert {_get(f"http://{dns}/")[1].strip() for _ in range(8)} == {ids[1]}
        for arn in (lb["LoadBalancerArn"], nlb["LoadBalancerArn"]):
            elb.delete_load_balancer(LoadBalancerArn=arn)
        wait_until(lambda: _resolve(dns) is None, 10, "name removed with the load balancer")
    assert not _hosts_blocks_of(srv)
