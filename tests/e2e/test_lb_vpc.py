"""Load balancers inside their VPC (container runtime): the nodes' requester-managed network
interfaces, and guests reaching an internal Application Load Balancer by its DNS name.

One server on the container runtime; the default VPC. Two instances run busybox httpd serving
their instance id; an internal ALB across two subnets forwards to them. Then:

- DescribeNetworkInterfaces shows one interface per subnet of the load balancer as AWS does
  (Description "ELB app/<name>/<id>", RequesterManaged, RequesterId amazon-elb, the ALB's
  security group, an ela-attach attachment, an address of the subnet); DeleteSubnet answers
  DependencyViolation, DetachNetworkInterface OperationNotPermitted and DeleteNetworkInterface
  InvalidNetworkInterface.InUse while they exist; SetSubnets moves them.
- Inside a guest (over SSH) the internal-*.elb name resolves through the VPC's DNS to the nodes'
  private addresses and curl of it is answered by both targets.
- The ALB's security group applies to guests' traffic: without a rule for port 80 the guest's
  connection goes unanswered; with one it is served again.
- The load balancer reaches its targets from its nodes: the web group admits port 80 only from
  the ALB's group (Lab 3's web security group), and the targets are healthy, served, and see a
  node's private address as the client (a CGI answers REMOTE_ADDR). A second target group on
  port 8080, which the web group admits only from itself, stays unhealthy with Target.Timeout.
  A guest in another group cannot reach port 80 of a target directly, nor can the host.
- DeleteLoadBalancer removes the interfaces, and the subnet can be deleted.

Needs root, crun, nftables, ssh and the minimal image; anything missing FAILS. Everything is
removed at the end, even on failure.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import GUESTS_GROUP, error_of
from guests import GuestLab, guest_server, ssh, tcp, wait_ssh

# Boots real guests: runs in the one xdist group of such modules (tests/e2e/README.md, 'Parallel runs').
pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)

USER_DATA = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
ID=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
mkdir -p /var/www
echo "served by $ID" > /var/www/index.html
echo ok > /var/www/health
mkdir -p /var/www/cgi-bin
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n' > /var/www/cgi-bin/ip
chmod 755 /var/www/cgi-bin/ip
busybox httpd -p 80 -h /var/www
busybox httpd -p 8080 -h /var/www
"""


class Lab:
    pass


@pytest.fixture(scope="module")
def lab(stratus_binary, tmp_path_factory):
    with guest_server(stratus_binary, tmp_path_factory, "lbvpc", "--hosts-file", "none") as srv:
        lab = Lab()
        lab.srv = srv
        try:
            _setup(lab, GuestLab(srv, tmp_path_factory.mktemp("lbvpc-keys"), key_name="lbvpc"))
            yield lab
        finally:
            if srv.proc is not None and srv.proc.poll() is None:
                elb = srv.client("elbv2")
                for lb in elb.describe_load_balancers()["LoadBalancers"]:
                    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])


def _setup(lab: Lab, guests: GuestLab) -> None:
    ec2 = lab.ec2 = guests.ec2
    elb = lab.elb = lab.srv.client("elbv2")
    key_path = lab.key = guests.key_path
    vpc = lab.vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    lab.subnets = [s["SubnetId"] for s in subnets[:3]]
    alb_sg = lab.alb_sg = ec2.create_security_group(GroupName="alb", Description="http from the VPC", VpcId=vpc["VpcId"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": vpc["CidrBlock"]}]}])
    # Lab 3's web group: ssh from anywhere, http only from the load balancer's group; 8080 only from itself.
    web = lab.web_sg = ec2.create_security_group(GroupName="web", Description="ssh, http from the ALB", VpcId=vpc["VpcId"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        tcp(22),
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]},
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]}])
    client = lab.client_sg = guests.ssh_group("client", description="ssh", vpc_id=vpc["VpcId"])
    lab.closed_sg = ec2.create_security_group(GroupName="alb-closed", Description="nothing in", VpcId=vpc["VpcId"])["GroupId"]

    ids = [guests.run_instances(UserData=USER_DATA, SecurityGroupIds=[web], SubnetId=lab.subnets[i])[0] for i in range(2)]
    other = guests.run_instances(SecurityGroupIds=[client], SubnetId=lab.subnets[0])[0]
    described = guests.running(*ids, other)
    lab.instances = [described[i] for i in ids]
    lab.client = described[other]

    tg = lab.tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc["VpcId"], HealthCheckPath="/health",
                                          HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in ids])
    closed = lab.closed_tg = elb.create_target_group(Name="web-8080", Protocol="HTTP", Port=8080, VpcId=vpc["VpcId"], HealthCheckPath="/health",
                                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                                     UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=closed, Targets=[{"Id": i} for i in ids])
    lb = lab.lb = elb.create_load_balancer(Name="inner", Scheme="internal", Subnets=lab.subnets[:2], SecurityGroups=[alb_sg])["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080, DefaultActions=[{"Type": "forward", "TargetGroupArn": closed}])
    for inst in lab.instances + [lab.client]:
        wait_ssh(key_path, inst["PublicIpAddress"])
    # Healthy although port 80 is admitted only from the ALB's group: the health checks come from its nodes.
    _wait_healthy(elb, tg)


def _wait_healthy(elb, tg: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        states = [t["TargetHealth"]["State"] for t in health]
        if states == ["healthy", "healthy"]:
            return
        time.sleep(1)
    raise AssertionError(f"targets never became healthy: {health}")


def _interfaces(lab: Lab) -> list[dict]:
    lb = lab.lb
    name = "/".join(lb["LoadBalancerArn"].split(":loadbalancer/")[1].split("/"))
    return lab.ec2.describe_network_interfaces(Filters=[{"Name": "description", "Values": [f"ELB {name}"]}])["NetworkInterfaces"]


def _in_guest(lab: Lab, command: str, timeout: float = 30):
    return ssh(lab.key, lab.instances[0]["PublicIpAddress"], command, timeout=timeout)


def test_the_load_balancer_has_one_requester_managed_interface_per_subnet(lab):
    enis = _interfaces(lab)
    assert sorted(e["SubnetId"] for e in enis) == sorted(lab.subnets[:2])
    lb_id = lab.lb["LoadBalancerArn"].rsplit("/", 1)[1]
    subnets = {s["SubnetId"]: s for s in lab.ec2.describe_subnets(SubnetIds=lab.subnets[:2])["Subnets"]}
    for eni in enis:
        assert eni["Description"] == f"ELB app/inner/{lb_id}"
        assert eni["RequesterManaged"] is True
        assert eni["RequesterId"] == "amazon-elb"
        assert eni["InterfaceType"] == "interface"
        assert eni["Status"] == "in-use"
        assert [g["GroupId"] for g in eni["Groups"]] == [lab.alb_sg]
        assert eni["Attachment"]["AttachmentId"].startswith("ela-attach-")
        assert eni["Attachment"]["InstanceOwnerId"] == "amazon-elb"
        assert eni["Attachment"]["Status"] == "attached"
        assert "InstanceId" not in eni["Attachment"]
        assert eni["VpcId"] == lab.vpc["VpcId"]
        assert eni["AvailabilityZone"] == subnets[eni["SubnetId"]]["AvailabilityZone"]
    managed = lab.ec2.describe_network_interfaces(Filters=[{"Name": "requester-managed", "Values": ["true"]},
                                                           {"Name": "vpc-id", "Values": [lab.vpc["VpcId"]]}])["NetworkInterfaces"]
    assert {e["NetworkInterfaceId"] for e in enis} <= {e["NetworkInterfaceId"] for e in managed}


def test_the_interfaces_cannot_be_removed_behind_the_load_balancer(lab):
    eni = _interfaces(lab)[0]
    with pytest.raises(ClientError) as e:
        lab.ec2.delete_subnet(SubnetId=eni["SubnetId"])
    assert error_of(e)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        lab.ec2.detach_network_interface(AttachmentId=eni["Attachment"]["AttachmentId"])
    assert error_of(e)[:2] == ("OperationNotPermitted", "You are not allowed to manage 'ela-attach' attachments.")
    with pytest.raises(ClientError) as e:
        lab.ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert error_of(e)[0] == "InvalidNetworkInterface.InUse"
    with pytest.raises(ClientError) as e:
        lab.ec2.delete_security_group(GroupId=lab.alb_sg)
    assert error_of(e)[0] == "DependencyViolation"


def test_a_guest_reaches_the_internal_load_balancer_by_its_name(lab):
    dns = lab.lb["DNSName"]
    assert dns.startswith("internal-inner-")
    nodes = {e["PrivateIpAddress"] for e in _interfaces(lab)}
    served = set()
    seen_at = set()
    deadline = time.monotonic() + 30
    last = None
    while time.monotonic() < deadline and (len(served) < 2 or not seen_at):
        last = _in_guest(lab, f"curl -s -m 3 -w ' %{{remote_ip}}' http://{dns}/")
        if last.returncode == 0 and last.stdout.startswith("served by "):
            body, remote = last.stdout.rsplit(" ", 1)
            served.add(body.split()[-1])
            seen_at.add(remote)
        else:
            time.sleep(0.5)
    assert served == {i["InstanceId"] for i in lab.instances}, f"answered by {served}; last: {last}"
    assert seen_at <= nodes, f"connected to {seen_at}, nodes are {nodes}"


def test_the_load_balancers_security_group_applies_to_guests(lab):
    dns = lab.lb["DNSName"]
    arn = lab.lb["LoadBalancerArn"]
    lab.elb.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[lab.closed_sg])
    try:
        deadline = time.monotonic() + 15
        status = None
        while time.monotonic() < deadline:
            status = _in_guest(lab, f"curl -s -o /dev/null -m 2 -w '%{{http_code}}' http://{dns}/").stdout.strip()
            if status == "000":
                break
            time.sleep(0.5)
        assert status == "000", f"the guest still got {status} with no rule for port 80"
        assert {tuple(g["GroupId"] for g in e["Groups"]) for e in _interfaces(lab)} == {(lab.closed_sg,)}
    finally:
        lab.elb.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[lab.alb_sg])
    # Meanwhile the web group admitted the nodes no more (they were not in the ALB's group): the
    # targets may have gone unhealthy, and come back.
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if _in_guest(lab, f"curl -s -m 2 http://{dns}/").stdout.startswith("served by "):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the guest is not served again after the rule came back")
    _wait_healthy(lab.elb, lab.tg)


def test_targets_see_the_nodes_address_and_admit_only_the_load_balancers_group(lab):
    dns = lab.lb["DNSName"]
    nodes = {e["PrivateIpAddress"] for e in _interfaces(lab)}
    # Through the ALB the targets are served, and the client they see is a node of the load balancer.
    seen = set()
    last = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(seen) < 1:
        last = ssh(lab.key, lab.client["PublicIpAddress"], f"curl -s -m 3 http://{dns}/cgi-bin/ip")
        if last.returncode == 0 and last.stdout.strip():
            # busybox httpd listens on a dual-stack socket: "[::ffff:172.31.16.5]".
            seen.add(last.stdout.strip().strip("[]").removeprefix("::ffff:"))
        else:
            time.sleep(0.5)
    assert seen and seen <= nodes, f"targets saw {seen} (last: {last}); the nodes are {nodes}"
    # The group a target is in admits nothing else on port 80: not a guest of another group ...
    target = lab.instances[0]
    direct = ssh(lab.key, lab.client["PublicIpAddress"], f"curl -s -o /dev/null -m 3 -w '%{{http_code}}' http://{target['PrivateIpAddress']}/")
    assert direct.stdout.strip() == "000", f"a guest of another group reached the target directly: {direct}"
    # ... nor the host (through the target's public address): being a target opens nothing to the host.
    import subprocess
    from_host = subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "3", "-w", "%{http_code}", f"http://{target['PublicIpAddress']}/"],
                               capture_output=True, text=True)
    assert from_host.stdout.strip() == "000", f"the host reached the target directly: {from_host.stdout}"
    # The web server does answer: a guest of the web group (which 8080 admits) gets its page.
    peer = ssh(lab.key, lab.instances[1]["PublicIpAddress"], f"curl -s -m 3 http://{target['PrivateIpAddress']}:8080/")
    assert peer.stdout.startswith("served by "), peer


def test_a_target_group_its_targets_group_does_not_admit_stays_unhealthy(lab):
    # Port 8080 is admitted only from the web group itself, not from the ALB's: the health checks
    # from the nodes are dropped and time out (AWS's Target.Timeout).
    deadline = time.monotonic() + 30
    health = []
    while time.monotonic() < deadline:
        health = lab.elb.describe_target_health(TargetGroupArn=lab.closed_tg)["TargetHealthDescriptions"]
        if [t["TargetHealth"]["State"] for t in health] == ["unhealthy", "unhealthy"]:
            break
        time.sleep(1)
    assert [(t["TargetHealth"]["State"], t["TargetHealth"].get("Reason")) for t in health] == [("unhealthy", "Target.Timeout")] * 2, health
    # The healthy group stays healthy meanwhile.
    assert [t["TargetHealth"]["State"] for t in lab.elb.describe_target_health(TargetGroupArn=lab.tg)["TargetHealthDescriptions"]] == ["healthy", "healthy"]


def test_set_subnets_moves_the_interfaces_and_delete_removes_them(lab):
    arn = lab.lb["LoadBalancerArn"]
    if len(lab.subnets) > 2:
        lab.elb.set_subnets(LoadBalancerArn=arn, Subnets=[lab.subnets[0], lab.subnets[2]])
        assert sorted(e["SubnetId"] for e in _interfaces(lab)) == sorted([lab.subnets[0], lab.subnets[2]])
    lab.elb.delete_load_balancer(LoadBalancerArn=arn)
    assert _interfaces(lab) == []
    # The subnet is free again: an empty one can go.
    spare = lab.ec2.create_subnet(VpcId=lab.vpc["VpcId"], CidrBlock="172.31.250.0/24")["Subnet"]["SubnetId"]
    lb = lab.elb.create_load_balancer(Name="spare", Scheme="internal", Type="network", Subnets=[spare])["LoadBalancers"][0]
    enis = lab.ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [spare]}])["NetworkInterfaces"]
    assert [(e["InterfaceType"], e["Description"], e["Groups"]) for e in enis] == [
        ("network_load_balancer", "ELB net/spare/" + lb["LoadBalancerArn"].rsplit("/", 1)[1], [])]
    assert enis[0]["Attachment"]["InstanceOwnerId"] == "amazon-aws"
    with pytest.raises(ClientError) as e:
        lab.ec2.delete_subnet(SubnetId=spare)
    assert error_of(e)[0] == "DependencyViolation"
    lab.elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    lab.ec2.delete_subnet(SubnetId=spare)
