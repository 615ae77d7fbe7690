"""VPC Flow Logs (container runtime): records from real packets in CloudWatch Logs, and the API.

One VPC, one subnet, two guests: A serves TCP on ports 8080 and 8081; A's group lets 8080 in from
the VPC and nothing else; B's group has only AWS's default allow-all egress. A flow log on the VPC
(ALL, default format) and one on A's interface (REJECT, a custom format) deliver to CloudWatch Logs;
the server runs with `--flow-log-interval-seconds 3` so records arrive within seconds instead of
AWS's minutes.

- B → A:8080 is answered and shows up as ACCEPT in A's stream (`<eni>-all`, ingress) and B's
  (egress); B → A:8081 is dropped by A's group and shows up as REJECT in A's stream, and in the
  REJECT-only flow log of A's interface in its custom format, with '-' for fields Stratus cannot
  fill; read with GetLogEvents and FilterLogEvents (space-delimited patterns).
- API: parameter errors as EC2 answers them, Unsuccessful items (unknown resources, S3 and Firehose
  destinations, which Stratus does not have, duplicates), DryRun, ClientToken, TagSpecifications,
  DescribeFlowLogs filters and paging, DeleteFlowLogs' Unsuccessful items, GetFlowLogsIntegrationTemplate,
  a flow log deleted with its subnet, and the aws CLI.
- AttachNetworkInterface refuses a third interface on a t3.micro (AttachmentLimitExceeded), as EC2.

Guest commands run in the guests' own network namespaces (`ip netns exec s-<instance id>`). Needs
root, crun, nftables, socat and the minimal image; anything missing FAILS. Everything is removed
at the end, even on failure.
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, error_of, until
from guests import GuestLab, first_zone, guest_ns, guest_server, helper_processes, tcp_echo, tcp_from

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

VPC = "10.84.0.0/16"
SUBNET = "10.84.1.0/24"
GROUP = "/stratus/e2e/flow-logs"
REJECTS = "/stratus/e2e/flow-logs-rejects"
ROLE = "arn:aws:iam::{account}:role/flow-logs"
CUSTOM = "${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${protocol} ${action} ${flow-direction} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${version}"


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "flowlogs", "--flow-log-interval-seconds", "3", tools=("socat",)) as srv, \
            helper_processes() as listeners:
        lab = Lab()
        lab.srv = srv
        lab.listeners = listeners
        _setup(srv, lab)
        yield lab


def _setup(srv, lab: Lab) -> None:
    ec2 = lab.ec2 = srv.ec2()
    lab.logs = srv.client("logs")
    lab.account = srv.client("sts").get_caller_identity()["Account"]
    lab.role = ROLE.format(account=lab.account)
    guests = GuestLab(srv, ec2=ec2)
    zone = first_zone(ec2)
    vpc = lab.vpc = ec2.create_vpc(CidrBlock=VPC)["Vpc"]["VpcId"]
    subnet = lab.subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    sg_a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg_a, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": VPC}]}])
    sg_b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]

    lab.a = guests.run_instances(SubnetId=subnet, SecurityGroupIds=[sg_a])[0]
    lab.b = guests.run_instances(SubnetId=subnet, SecurityGroupIds=[sg_b])[0]
    described = guests.running(lab.a, lab.b)
    lab.a_ip, lab.b_ip = described[lab.a]["PrivateIpAddress"], described[lab.b]["PrivateIpAddress"]
    lab.a_eni = described[lab.a]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    lab.b_eni = described[lab.b]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    for port in (8080, 8081):
        lab.listeners.append(tcp_echo(guest_ns(lab.a), port, f"port-{port}"))
    time.sleep(0.3)


def _events(lab, group, stream=None, pattern=None) -> list[str]:
    kw = {"logGroupName": group}
    if stream:
        kw["logStreamNames"] = [stream]
    if pattern:
        kw["filterPattern"] = pattern
    try:
        return [e["message"] for e in lab.logs.filter_log_events(**kw)["events"]]
    except ClientError as e:
        if error_of_code(e) == "ResourceNotFoundException":
            return []
        raise


def error_of_code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def test_allowed_and_blocked_connections_are_recorded_as_accept_and_reject(lab):
    ec2 = lab.ec2
    vpc_log = ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[lab.vpc], TrafficType="ALL", LogGroupName=GROUP,
                                   DeliverLogsPermissionArn=lab.role, MaxAggregationInterval=60)
    assert vpc_log["Unsuccessful"] == [] and len(vpc_log["FlowLogIds"]) == 1
    eni_log = ec2.create_flow_logs(ResourceType="NetworkInterface", ResourceIds=[lab.a_eni], TrafficType="REJECT",
                                   LogDestination=f"arn:aws:logs:us-east-1:{lab.account}:log-group:{REJECTS}",
                                   DeliverLogsPermissionArn=lab.role, LogFormat=CUSTOM)
    assert eni_log["Unsuccessful"] == [] and len(eni_log["FlowLogIds"]) == 1
    # The filter counts from now on (the flow log is in effect when the call returns).
    assert tcp_from(lab.b, lab.a_ip, 8080) == "port-8080"
    assert tcp_from(lab.b, lab.a_ip, 8081) == ""

    accepted = until(lambda: [m for m in _events(lab, GROUP, f"{lab.a_eni}-all") if " 8080 6 " in m and m.endswith(" ACCEPT OK")],
                     "the accepted connection in A's stream", timeout=30)
    fields = accepted[0].split(" ")
    assert fields[:5] == ["2", lab.account, lab.a_eni, lab.b_ip, lab.a_ip]
    assert fields[6:8] == ["8080", "6"]
    assert int(fields[10]) <= int(fields[11]) <= time.time() + 1
    # A flow may span intervals (one record each, as on AWS): together its records hold the SYN,
    # ACKs and FIN of B → A.
    def totals():
        records = [m.split(" ") for m in _events(lab, GROUP, f"{lab.a_eni}-all")]
        mine = [r for r in records if r[3:8] == [lab.b_ip, lab.a_ip, fields[5], "8080", "6"]]
        return sum(int(r[8]) for r in mine), sum(int(r[9]) for r in mine)
    packets, size = until(lambda: (t := totals())[0] >= 3 and t, "all packets of the accepted flow", timeout=15)
    assert size > 100
    # The answer (A → B) is its own record, from port 8080.
    until(lambda: [m for m in _events(lab, GROUP, f"{lab.a_eni}-all") if f" {lab.a_ip} {lab.b_ip} 8080 " in m and "ACCEPT" in m],
          "the reply direction in A's stream", timeout=10)
    # B's side: the same flow left B (egress), accepted.
    until(lambda: [m for m in _events(lab, GROUP, f"{lab.b_eni}-all") if f" {lab.b_ip} {lab.a_ip} " in m and " 8080 6 " in m and "ACCEPT" in m],
          "the accepted connection in B's stream", timeout=10)

    # The blocked port: REJECT in A's stream, found with a space-delimited filter pattern.
    pattern = "[version, account, eni, src, dst, srcport, dstport = 8081, protocol = 6, packets, bytes, start, end, action = REJECT, status]"
    rejected = until(lambda: _events(lab, GROUP, pattern=pattern), "the rejected connection", timeout=15)
    assert all(m.split(" ")[2] == lab.a_eni for m in rejected), rejected
    assert all(" 8081 " not in m or "REJECT" in m for m in _events(lab, GROUP, f"{lab.a_eni}-all"))

    # The interface's REJECT-only flow log: its own group and stream, custom format, '-' for what is not observed.
    custom = until(lambda: _events(lab, REJECTS, f"{lab.a_eni}-reject"), "the custom-format record", timeout=15)
    assert all("ACCEPT" not in m for m in custom), custom
    assert f"{lab.a_eni} {lab.b_ip} {lab.a_ip} 8081 6 REJECT ingress {lab.vpc} {lab.subnet} {lab.a} - 5" in custom, custom

    # GetLogEvents reads the same stream; the group was created by the delivery, one stream per interface.
    got = lab.logs.get_log_events(logGroupName=GROUP, logStreamName=f"{lab.a_eni}-all", startFromHead=True)["events"]
    assert any(e["message"] == accepted[0] for e in got)
    streams = {s["logStreamName"] for s in lab.logs.describe_log_streams(logGroupName=GROUP)["logStreams"]}
    assert {f"{lab.a_eni}-all", f"{lab.b_eni}-all"} <= streams

    ec2.delete_flow_logs(FlowLogIds=vpc_log["FlowLogIds"] + eni_log["FlowLogIds"])
    assert ec2.describe_flow_logs(FlowLogIds=vpc_log["FlowLogIds"])["FlowLogs"] == []


def _create_error(ec2, **kw):
    params = {"ResourceType": "VPC", "TrafficType": "ALL"} | kw
    with pytest.raises(ClientError) as e:
        ec2.create_flow_logs(**params)
    return error_of(e)[:2]


def test_create_flow_logs_checks_its_parameters_as_ec2_does(lab):
    ec2, vpc, role = lab.ec2, lab.vpc, lab.role
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g") == (
        "InvalidParameter", "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.")
    assert _create_error(ec2, ResourceIds=[vpc], DeliverLogsPermissionArn=role) == (
        "InvalidParameter", "LogDestination can't be empty if LogGroupName is not provided.")
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g", LogDestinationType="s3", LogDestination="arn:aws:s3:::b")[0] == "InvalidParameter"
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g", DeliverLogsPermissionArn=role,
                         LogDestination=f"arn:aws:logs:us-east-1:{lab.account}:log-group:g") == (
        "InvalidParameter", "Please only provide LogGroupName or only provide LogDestination.")
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g", DeliverLogsPermissionArn=role, MaxAggregationInterval=120) == (
        "InvalidParameter", "Invalid Flow Log Max Aggregation Interval")
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g", DeliverLogsPermissionArn=role, LogFormat="${version} ${nope}") == (
        "InvalidParameter", "Unknown fields provided: ${nope}")
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g", DeliverLogsPermissionArn=role, LogFormat="${version}  ${srcaddr}")[0] == "InvalidParameter"
    assert _create_error(ec2, ResourceIds=[vpc], LogGroupName="g", DeliverLogsPermissionArn=role, TrafficType="SOME")[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[vpc], TrafficType="ALL", LogGroupName="g", DeliverLogsPermissionArn=role, DryRun=True)
    assert error_of(e)[0] == "DryRunOperation"
    assert ec2.describe_flow_logs(Filters=[{"Name": "log-group-name", "Values": ["g"]}])["FlowLogs"] == []


def test_unsuccessful_items_for_missing_resources_destinations_and_duplicates(lab):
    ec2, vpc, role = lab.ec2, lab.vpc, lab.role
    answer = ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[vpc, "vpc-0123456789abcdef0"], TrafficType="ACCEPT",
                                  LogGroupName="api-group", DeliverLogsPermissionArn=role)
    assert len(answer["FlowLogIds"]) == 1
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in answer["Unsuccessful"]] == [("vpc-0123456789abcdef0", "InvalidVpcID.NotFound")]
    again = ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[vpc], TrafficType="ACCEPT", LogGroupName="api-group", DeliverLogsPermissionArn=role)
    assert again["FlowLogIds"] == [] and again["Unsuccessful"][0]["Error"] == {
        "Code": "FlowLogAlreadyExists", "Message": "Error. There is an existing Flow Log with the same configuration and log destination."}
    s3 = ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[lab.subnet], TrafficType="ALL", LogDestinationType="s3",
                              LogDestination="arn:aws:s3:::no-such-bucket/prefix")
    assert s3["FlowLogIds"] == [] and s3["Unsuccessful"] == [
        {"ResourceId": lab.subnet, "Error": {"Code": "400", "Message": "LogDestination: no-such-bucket does not exist"}}]
    firehose = ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[lab.subnet], TrafficType="ALL", LogDestinationType="kinesis-data-firehose",
                                    LogDestination=f"arn:aws:firehose:us-east-1:{lab.account}:deliverystream/none", DeliverLogsPermissionArn=role)
    assert firehose["FlowLogIds"] == [] and firehose["Unsuccessful"][0]["Error"]["Code"] == "400"
    eni = ec2.create_flow_logs(ResourceType="NetworkInterface", ResourceIds=["eni-0123456789abcdef0"], TrafficType="ALL",
                               LogGroupName="api-group", DeliverLogsPermissionArn=role)
    assert eni["Unsuccessful"][0]["Error"]["Code"] == "InvalidNetworkInterfaceID.NotFound"

    deleted = ec2.delete_flow_logs(FlowLogIds=answer["FlowLogIds"] + ["fl-0123456789abcdef0"])
    assert deleted["Unsuccessful"] == [{"ResourceId": "fl-0123456789abcdef0", "Error": {
        "Code": "InvalidFlowLogId.NotFound", "Message": "These flow log ids in the input list are not found: [TotalCount: 1] fl-0123456789abcdef0"}}]


def test_describe_flow_logs_filters_pages_tags_and_client_token(lab):
    ec2, role = lab.ec2, lab.role
    tags = [{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "team", "Value": "net"}]}]
    first = ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[lab.subnet], TrafficType="REJECT", LogGroupName="describe-a",
                                 DeliverLogsPermissionArn=role, TagSpecifications=tags, ClientToken="token-1")
    # The same request with the same token answers the same flow log; a different one with it is a mismatch.
    assert ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[lab.subnet], TrafficType="REJECT", LogGroupName="describe-a",
                                DeliverLogsPermissionArn=role, TagSpecifications=tags, ClientToken="token-1")["FlowLogIds"] == first["FlowLogIds"]
    with pytest.raises(ClientError) as e:
        ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[lab.subnet], TrafficType="ALL", LogGroupName="describe-a",
                             DeliverLogsPermissionArn=role, ClientToken="token-1")
    assert error_of(e)[0] == "IdempotentParameterMismatch"
    second = ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[lab.vpc], TrafficType="ACCEPT", LogGroupName="describe-b",
                                  DeliverLogsPermissionArn=role, MaxAggregationInterval=60)
    ids = first["FlowLogIds"] + second["FlowLogIds"]
    try:
        fl = ec2.describe_flow_logs(FlowLogIds=first["FlowLogIds"])["FlowLogs"][0]
        assert fl["ResourceId"] == lab.subnet and fl["TrafficType"] == "REJECT" and fl["LogGroupName"] == "describe-a"
        assert fl["DeliverLogsStatus"] == "SUCCESS" and fl["FlowLogStatus"] == "ACTIVE" and fl["LogDestinationType"] == "cloud-watch-logs"
        assert fl["MaxAggregationInterval"] == 600 and fl["DeliverLogsPermissionArn"] == role
        assert fl["LogFormat"].startswith("${version} ${account-id} ${interface-id}") and fl["Tags"] == [{"Key": "team", "Value": "net"}]
        assert fl["LogDestination"] == f"arn:aws:logs:us-east-1:{lab.account}:log-group:describe-a"

        def names(filters):
            return {f["FlowLogId"] for f in ec2.describe_flow_logs(Filters=filters)["FlowLogs"]} & set(ids)

        assert names([{"Name": "tag:team", "Values": ["net"]}]) == set(first["FlowLogIds"])
        assert names([{"Name": "traffic-type", "Values": ["ACCEPT"]}]) == set(second["FlowLogIds"])
        assert names([{"Name": "resource-id", "Values": [lab.subnet]}]) == set(first["FlowLogIds"])
        assert names([{"Name": "log-destination-type", "Values": ["cloud-watch-logs"]}]) == set(ids)
        assert names([{"Name": "deliver-log-status", "Values": ["SUCCESS"]}]) == set(ids)
        extra = ec2.create_flow_logs(ResourceType="NetworkInterface", ResourceIds=[lab.a_eni, lab.b_eni], TrafficType="ALL",
                                     LogGroupName="describe-c", DeliverLogsPermissionArn=role)["FlowLogIds"]
        ids += extra
        assert len(extra) == 2
        pages = list(ec2.get_paginator("describe_flow_logs").paginate(PaginationConfig={"PageSize": 5}))
        assert len(pages) >= 1 and {f["FlowLogId"] for p in pages for f in p["FlowLogs"]} >= set(ids)
        first_page = ec2.describe_flow_logs(MaxResults=5)
        rest = ec2.describe_flow_logs(MaxResults=5, NextToken=first_page["NextToken"])["FlowLogs"] if "NextToken" in first_page else []
        assert {f["FlowLogId"] for f in first_page["FlowLogs"] + rest} >= set(ids)

        with pytest.raises(ClientError) as e:
            ec2.get_flow_logs_integration_template(FlowLogId=ids[0], ConfigDeliveryS3DestinationArn="arn:aws:s3:::bucket",
                                                   IntegrateServices={"AthenaIntegrations": [{"IntegrationResultS3DestinationArn": "arn:aws:s3:::bucket",
                                                                                              "PartitionLoadFrequency": "daily"}]})
        assert error_of(e)[0] == "InvalidParameter"
        with pytest.raises(ClientError) as e:
            ec2.get_flow_logs_integration_template(FlowLogId="fl-0123456789abcdef0", ConfigDeliveryS3DestinationArn="arn:aws:s3:::bucket",
                                                   IntegrateServices={"AthenaIntegrations": [{"IntegrationResultS3DestinationArn": "arn:aws:s3:::bucket",
                                                                                              "PartitionLoadFrequency": "daily"}]})
        assert error_of(e)[0] == "InvalidFlowLogId.NotFound"
    finally:
        ec2.delete_flow_logs(FlowLogIds=ids)


def test_a_flow_log_goes_with_its_subnet(lab):
    ec2 = lab.ec2
    subnet = ec2.create_subnet(VpcId=lab.vpc, CidrBlock="10.84.9.0/24")["Subnet"]["SubnetId"]
    fl = ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[subnet], TrafficType="ALL", LogGroupName="gone",
                              DeliverLogsPermissionArn=lab.role)["FlowLogIds"][0]
    ec2.delete_subnet(SubnetId=subnet)
    until(lambda: ec2.describe_flow_logs(FlowLogIds=[fl])["FlowLogs"] == [], "the flow log deleted with its subnet", timeout=10)


def test_the_aws_cli_creates_describes_and_deletes_flow_logs(lab):
    srv = lab.srv
    created = srv.cli_json("--profile", "stratus", "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", lab.vpc,
                           "--traffic-type", "REJECT", "--log-group-name", "cli-group", "--deliver-logs-permission-arn", lab.role,
                           "--max-aggregation-interval", "60")
    assert len(created["FlowLogIds"]) == 1 and created["Unsuccessful"] == []
    described = srv.cli_json("--profile", "stratus", "ec2", "describe-flow-logs", "--filter", "Name=log-group-name,Values=cli-group")
    assert [f["FlowLogId"] for f in described["FlowLogs"]] == created["FlowLogIds"]
    assert described["FlowLogs"][0]["MaxAggregationInterval"] == 60
    deleted = srv.cli_json("--profile", "stratus", "ec2", "delete-flow-logs", "--flow-log-ids", created["FlowLogIds"][0])
    assert deleted["Unsuccessful"] == []
    assert srv.cli_json("--profile", "stratus", "ec2", "describe-flow-logs", "--flow-log-ids", created["FlowLogIds"][0])["FlowLogs"] == []
    failed = srv.cli("--profile", "stratus", "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", lab.vpc,
                     "--traffic-type", "ALL", "--log-group-name", "cli-group")
    assert failed.returncode != 0 and "DeliverLogsPermissionArn" in failed.stderr
    assert json.loads(srv.cli("--profile", "stratus", "ec2", "describe-flow-logs", "--output", "json", check=True).stdout)["FlowLogs"] is not None


def test_attaching_more_interfaces_than_the_instance_type_allows_is_refused(lab):
    ec2 = lab.ec2
    enis = [ec2.create_network_interface(SubnetId=lab.subnet)["NetworkInterface"]["NetworkInterfaceId"] for _ in range(2)]
    try:
        attachment = ec2.attach_network_interface(NetworkInterfaceId=enis[0], InstanceId=lab.b, DeviceIndex=1)["AttachmentId"]
        # A t3.micro takes two interfaces: the primary and one more.
        with pytest.raises(ClientError) as e:
            ec2.attach_network_interface(NetworkInterfaceId=enis[1], InstanceId=lab.b, DeviceIndex=2)
        code, message, _ = error_of(e)
        assert (code, message) == ("AttachmentLimitExceeded", "Interface count 3 exceeds the limit for t3.micro")
        assert ec2.describe_network_interfaces(NetworkInterfaceIds=[enis[1]])["NetworkInterfaces"][0]["Status"] == "available"
        ec2.detach_network_interface(AttachmentId=attachment)
        until(lambda: ec2.describe_network_interfaces(NetworkInterfaceIds=[enis[0]])["NetworkInterfaces"][0]["Status"] == "available",
              "the interface detached", timeout=15)
    finally:
        for eni in enis:
            try:
                ec2.delete_network_interface(NetworkInterfaceId=eni)
            except ClientError:
                pass
