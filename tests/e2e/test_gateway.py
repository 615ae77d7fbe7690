"""The gateway: one port for every AWS service, routing by credential scope, X-Amz-Target, the
Smithy RPC v2 CBOR path and Action; errors in each protocol's own envelope; and the request
hardening (body limit, truncated bodies, unsigned requests refused before their body is read,
API versions, database file modes, --no-auth browser refusal, health, account reset, chosen
account ids). Real `stratus serve`, boto3 and the aws CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import stat
import time
import urllib.parse

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import _plain_session, default_vpc, error_of, http_send, sigv4_sign

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(server, service: str):
    c = server.credentials
    return _plain_session().client(service, region_name="us-east-1", endpoint_url=server.endpoint, config=NO_RETRY,
                                   aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key)


def signed(server, service: str, body: bytes, headers: dict, path: str = "/", when=None):
    url, headers = sigv4_sign("POST", server.endpoint + path, body, headers, server.credentials, service, "us-east-1",
                              when or dt.datetime.now(dt.timezone.utc))
    return http_send("POST", url, body, headers)


def raw_exchange(server, data: bytes, *, half_close: bool = False, timeout: float = 10) -> bytes:
    """Send bytes on a fresh connection to the API port and return whatever comes back."""
    host, port = urllib.parse.urlsplit(server.endpoint).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and not half_close:
                    break
        except (socket.timeout, ConnectionResetError):
            pass
        return out


# ---- routing ------------------------------------------------------------------------------

def test_services_without_handlers_answer_not_implemented_in_their_protocol(server):
    # Operations without handlers, in query (Auto Scaling, ELBv2), JSON 1.0 (CloudWatch from
    # boto3) and the EC2 protocol on one port.
    with pytest.raises(ClientError) as e:
        client(server, "autoscaling").detach_load_balancers(AutoScalingGroupName="web", LoadBalancerNames=["classic"])
    code, message, status = error_of(e)
    assert (code, status) == ("UnsupportedOperation", 400)
    assert "DetachLoadBalancers" in message
    with pytest.raises(ClientError) as e:
        client(server, "elbv2").describe_trust_stores()
    assert error_of(e)[0] == "UnsupportedOperation"
    with pytest.raises(ClientError) as e:
        client(server, "cloudwatch").list_metric_streams()
    assert error_of(e)[0] == "UnsupportedOperation"
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith("application/x-amz-json")
    # ...while EC2 on the same port works.
    assert client(server, "ec2").describe_regions()["Regions"]


def test_rpc_v2_cbor_route(server):
    headers = {"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}
    r = signed(server, "monitoring", b"\xa0", headers, path="/service/GraniteServiceVersion20100801/operation/ListMetrics")
    assert r.status == 200, r
    assert r.headers.get("Content-Type") == "application/cbor"
    # an operation without a handler answers in CBOR too
    r = signed(server, "monitoring", b"\xa0", headers, path="/service/GraniteServiceVersion20100801/operation/ListMetricStreams")
    assert r.status == 400, r
    assert r.headers.get("Content-Type") == "application/cbor"
    assert r.headers.get("Smithy-Protocol") == "rpc-v2-cbor"
    # a CBOR map whose __type is the error code
    assert r.body.startswith("\ufffd") or "__type" in r.body
    assert "UnsupportedOperation" in r.body


def test_unknown_service_and_operation(server):
    r = signed(server, "monitoring", b"{}", {"X-Amz-Target": "NoSuchServiceV1.DoThing",
                                             "Content-Type": "application/x-amz-json-1.0"})
    assert r.status == 400, r
    assert json.loads(r.body)["__type"] == "UnknownOperationException"
    r = server.raw({"Action": "NoSuchAction"})
    assert (r.status, r.code) == (400, "InvalidAction"), r
    # a credential scope for another service than the one the request addresses
    r = signed(server, "ec2", b"{}", {"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
                                      "Content-Type": "application/x-amz-json-1.0"})
    assert r.status == 403, r
    assert json.loads(r.body)["__type"] == "SignatureDoesNotMatch"
    assert "monitoring" in json.loads(r.body)["message"]


def test_aws_cli_reaches_other_services_on_the_same_port(server):
    assert server.cli_json("--profile", "stratus", "autoscaling", "describe-auto-scaling-groups")["AutoScalingGroups"] == []
    p = server.cli("--profile", "stratus", "autoscaling", "detach-load-balancers", "--auto-scaling-group-name", "web",
                   "--load-balancer-names", "classic")
    assert p.returncode != 0
    assert "UnsupportedOperation" in p.stderr, p.stderr
    assert server.cli_json("--profile", "stratus", "ec2", "describe-regions", "--region-names", "us-east-1")["Regions"]


# ---- API versions -------------------------------------------------------------------------

def test_ec2_version_is_checked(server):
    r = server.raw({"Action": "DescribeRegions"}, version=None)
    assert (r.status, r.code) == (400, "MissingParameter"), r
    assert "Version" in r.message
    r = server.raw({"Action": "DescribeRegions"}, version="2031-01-01")
    assert (r.status, r.code) == (400, "NoSuchVersion"), r
    assert r.message == "The requested version (2031-01-01) of service AmazonEC2 does not exist"
    assert server.raw({"Action": "DescribeRegions"}).status == 200


def test_query_version_is_checked(server):
    body = b"Action=DescribeAutoScalingGroups&Version=2000-01-01"
    r = signed(server, "autoscaling", body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert r.status == 400, r
    assert "<Code>InvalidAction</Code>" in r.body
    assert "Could not find operation DescribeAutoScalingGroups for version 2000-01-01" in r.body


# ---- bodies -------------------------------------------------------------------------------

def test_oversized_body_is_refused_before_it_is_read(server):
    # 40 MB announced, nothing sent: the answer comes from the headers alone.
    head = (f"POST / HTTP/1.1\r\nHost: {urllib.parse.urlsplit(server.endpoint).netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/ec2/aws4_request, "
            f"SignedHeaders=host, Signature={'0' * 64}\r\nContent-Length: 40000000\r\n\r\n").encode()
    started = time.monotonic()
    reply = raw_exchange(server, head + b"Action=DescribeRegions")
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    assert b"<Code>RequestEntityTooLarge</Code>" in reply
    assert time.monotonic() - started < 5
    # a signed request over the limit (11 MB of form data) is refused the same way
    body = b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=" + b"x" * (11 * 1024 * 1024)
    r = signed(server, "ec2", body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert (r.status, r.code) == (413, "RequestEntityTooLarge"), r
    log = server.log_tail(200)
    assert "fail:" not in log and "\n   at " not in log, log


def test_truncated_body_is_a_client_error_without_a_stack_trace(server):
    head = (f"POST / HTTP/1.1\r\nHost: {urllib.parse.urlsplit(server.endpoint).netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/ec2/aws4_request, "
            f"SignedHeaders=host, Signature={'0' * 64}\r\nContent-Length: 1000\r\n\r\n").encode()
    reply = raw_exchange(server, head + b"Action=DescribeRe", half_close=True)
    # The client stopped sending: no answer can be sent on that connection, or a 4xx is.
    assert reply == b"" or reply.split(b" ")[1].startswith(b"4"), reply[:300]
    time.sleep(0.3)
    log = server.log_tail(200)
    assert "fail:" not in log and "\n   at " not in log and " 500 " not in log, log
    assert server.raw({"Action": "DescribeRegions"}).status == 200


def test_unsigned_request_is_refused_before_its_body_is_read(server):
    # 1 MB announced and never sent: an unsigned request is answered from its headers.
    head = (f"POST / HTTP/1.1\r\nHost: {urllib.parse.urlsplit(server.endpoint).netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n").encode()
    started = time.monotonic()
    reply = raw_exchange(server, head + b"Action=DescribeRegions")
    assert reply.startswith(b"HTTP/1.1 401"), reply[:300]
    assert b"<Code>MissingAuthenticationToken</Code>" in reply
    assert time.monotonic() - started < 5


# ---- files, health, accounts ----------------------------------------------------------------

def test_database_files_are_private(server):
    server.raw({"Action": "DescribeVpcs"})
    for suffix in ("", "-wal", "-shm"):
        path = os.path.join(server.data_dir, "stratus.db" + suffix)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_health_document(server):
    r = http_send("GET", server.endpoint + "/_stratus/health")
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/json"), r
    health = json.loads(r.body)
    assert health["status"] == "ready"
    assert health["version"]
    ec2 = health["services"]["ec2"]
    assert ec2["state"] == "ready" and ec2["protocols"] == ["ec2"] and ec2["apiVersion"] == "2016-11-15"
    assert 0 < ec2["implemented"] <= ec2["operations"]
    assert {"sts", "iam", "autoscaling", "elasticloadbalancing", "monitoring", "servicequotas", "logs"} <= set(health["services"])
    assert health["services"]["monitoring"]["protocols"] == ["smithy-rpc-v2-cbor", "json", "query"]
    assert "API ready: request path warmed up" in server.log_tail(400)


def test_account_reset(server):
    acct = server.create_account("reset-me")
    ec2 = server.ec2(credentials=acct)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_key_pair(KeyName="reset-key")
    default_before = default_vpc(ec2)["VpcId"]
    other = server.ec2()
    other_vpc = other.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]

    # unsigned: refused
    assert http_send("POST", server.endpoint + "/_stratus/reset", b"").status == 401
    from botocore.credentials import Credentials
    url, headers = sigv4_sign("POST", server.endpoint + "/_stratus/reset", b"", {},
                              Credentials(acct["AccessKeyId"], acct["SecretAccessKey"]), "ec2", "us-east-1",
                              dt.datetime.now(dt.timezone.utc))
    r = http_send("POST", url, b"", headers)
    assert r.status == 200, r
    assert json.loads(r.body)["accountId"] == acct["AccountId"]

    vpcs = ec2.describe_vpcs()["Vpcs"]
    assert [v["IsDefault"] for v in vpcs] == [True]  # the default VPC is back, fresh
    assert vpcs[0]["VpcId"] != default_before and vpc not in [v["VpcId"] for v in vpcs]
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    # another account is untouched
    assert other_vpc in [v["VpcId"] for v in other.describe_vpcs()["Vpcs"]]


def test_account_create_with_chosen_id(server):
    acct = server.create_account("fixed", account_id="123456789012")
    assert acct["AccountId"] == "123456789012"
    assert default_vpc(server.ec2(credentials=acct))["OwnerId"] == "123456789012"
    import subprocess
    p = subprocess.run([server.binary, "account", "create", "--data-dir", server.data_dir, "--account-id", "123456789012"],
                       env=server.env(), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode != 0 and "already exists" in p.stderr, p
    p = subprocess.run([server.binary, "account", "create", "--data-dir", server.data_dir, "--account-id", "12345"],
                       env=server.env(), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode != 0 and "12 digits" in p.stderr, p


# ---- --no-auth ------------------------------------------------------------------------------

def test_no_auth_refuses_browser_requests(server_factory):
    srv = server_factory("no-auth-browser", extra_args=["--no-auth"])
    form = b"Action=DescribeRegions&Version=2016-11-15"
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http_send("POST", srv.endpoint + "/", form, ctype).status == 200
    # a cross-site form post from a web page
    r = http_send("POST", srv.endpoint + "/", form, {**ctype, "Origin": "http://attacker.example"})
    assert (r.status, r.code) == (403, "AccessDenied"), r
    r = http_send("POST", srv.endpoint + "/", form, {**ctype, "Sec-Fetch-Site": "cross-site"})
    assert (r.status, r.code) == (403, "AccessDenied"), r
    # DNS rebinding: a name of the attacker's that resolves to 127.0.0.1
    r = http_send("POST", srv.endpoint + "/", form, {**ctype, "Host": "rebind.attacker.example:" + srv.endpoint.rsplit(":", 1)[1]})
    assert (r.status, r.code) == (403, "AccessDenied"), r
    assert "DNS rebinding" in r.message
    r = http_send("POST", srv.endpoint + "/", form, {**ctype, "Host": "localhost"})
    assert r.status == 200, r
