#!/usr/bin/env python3
"""Auto Scaling benchmark: time from CreateAutoScalingGroup to N healthy targets.

Starts its own `stratus serve --runtime container` on a temporary data dir; creates a launch
template whose user data starts busybox httpd serving /health, a target group (/health, 5 s
interval, healthy threshold 2), an ALB with an HTTP listener across the default VPC's subnets,
then for each N in --sizes an Auto Scaling group of N instances (ELB health checks) behind the
target group, and measures from the CreateAutoScalingGroup call until:

  in_service   every instance of the group is InService (launched, running, registered)
  healthy      DescribeTargetHealth shows N healthy targets (real HTTP probes of /health)

The group is deleted (ForceDelete) between sizes. Results go to stdout as Markdown and to
docs/benchmarks/asg_ready.json.

Usage (root, crun and the minimal image):
  bench/asg_ready.py --sizes 3 20
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from launch_latency import DEFAULT_BIN, REPO, Server  # noqa: E402

WEB = """#!/bin/sh
TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
ID=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
mkdir -p /var/www
echo "$ID" > /var/www/index.html
echo ok > /var/www/health
busybox httpd -p 80 -h /var/www -u ec2-user
"""


def client(srv, service):
    return boto3.client(service, endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id="AKIDBENCH",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=DEFAULT_BIN)
    ap.add_argument("--image-dir", default=os.path.join(os.path.expanduser("~"), ".cache", "stratus", "images"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[3])
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()

    srv = Server(args.binary, "container", args.image_dir)
    results = {"cpus": os.cpu_count(), "load_average_before": os.getloadavg(), "runs": []}
    try:
        ec2, elb, asg = srv.ec2, client(srv, "elbv2"), client(srv, "autoscaling")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:3]
        ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
        web = ec2.create_security_group(GroupName="bench-web", Description="web", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.create_launch_template(LaunchTemplateName="bench", LaunchTemplateData={
            "ImageId": ami, "InstanceType": "t3.micro", "SecurityGroupIds": [web], "UserData": base64.b64encode(WEB.encode()).decode()})
        tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])
        lb = elb.create_load_balancer(Name="bench", Subnets=subnets, SecurityGroups=[web])["LoadBalancers"][0]["LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        for n in args.sizes:
            name = f"bench-{n}"
            start = time.monotonic()
            asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=max(n, 1), DesiredCapacity=n, VPCZoneIdentifier=",".join(subnets),
                                          LaunchTemplate={"LaunchTemplateName": "bench"}, TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=300)
            in_service = healthy = None
            while time.monotonic() - start < args.timeout and healthy is None:
                if in_service is None:
                    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
                    if sum(1 for i in group["Instances"] if i["LifecycleState"] == "InService") == n:
                        in_service = time.monotonic() - start
                states = [h["TargetHealth"]["State"] for h in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
                if states.count("healthy") == n:
                    healthy = time.monotonic() - start
                time.sleep(0.2)
            run = {"instances": n, "in_service_s": round(in_service, 2) if in_service else None, "healthy_s": round(healthy, 2) if healthy else None,
                   "load_average": os.getloadavg()}
            results["runs"].append(run)
            print(f"N={n}: all InService after {run['in_service_s']} s, {n} healthy targets after {run['healthy_s']} s", flush=True)
            asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
            deadline = time.monotonic() + args.timeout
            while asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"] and time.monotonic() < deadline:
                time.sleep(0.5)
        elb.delete_load_balancer(LoadBalancerArn=lb)
    finally:
        srv.close()
    print("| instances | all InService | all targets healthy |")
    print("|---:|---:|---:|")
    for run in results["runs"]:
        print(f"| {run['instances']} | {run['in_service_s']} s | {run['healthy_s']} s |")
    out = os.path.join(REPO, "docs", "benchmarks", "asg_ready.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
