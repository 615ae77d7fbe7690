"""Instances on the mock runtime: RunInstances, the lifecycle and its waiters, Describe and its
filters, attributes, metadata options, console output, errors — and the seed's Lab 1 with the CLI."""

import base64
import os
import time

import pytest
from botocore.exceptions import ClientError

from conftest import FAST, default_vpc, error_of, tags_dict



MOCK_BOOT_SECONDS = 0.3


def run(ec2, ami, **kw):
    kw.setdefault("MinCount", 1)
    kw.setdefault("MaxCount", 1)
    kw.setdefault("InstanceType", "t3.micro")
    return ec2.run_instances(ImageId=ami, **kw)["Instances"]


def describe(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_launch_lifecycle_and_waiters(ec2, ami):
    user_data = "#!/bin/sh\necho hello > /tmp/hello\n"
    [inst] = run(ec2, ami, UserData=user_data,
                 TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]},
                                    {"ResourceType": "volume", "Tags": [{"Key": "Owner", "Value": "ops"}]}])
    iid = inst["InstanceId"]
    assert iid.startswith("i-") and len(iid) == 19
    assert inst["State"] == {"Code": 0, "Name": "pending"}
    assert inst["PrivateIpAddress"].startswith("172.31.")
    assert inst["PublicIpAddress"], "default subnets map public IPs on launch"
    assert inst["MetadataOptions"]["HttpTokens"] == "required"  # the image supports IMDSv2 only
    assert inst["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    running = describe(ec2, iid)
    assert running["State"]["Name"] == "running"
    assert tags_dict(running) == {"Name": "web-1"}
    vol = ec2.describe_volumes(VolumeIds=[running["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]])["Volumes"][0]
    assert vol["State"] == "in-use" and tags_dict(vol) == {"Owner": "ops"} and vol["Size"] == 1
    attr = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    assert base64.b64decode(attr["UserData"]["Value"]).decode() == user_data
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[iid], WaiterConfig=FAST)

    public_before = running["PublicIpAddress"]
    private_before = running["PrivateIpAddress"]
    changes = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"]
    assert changes[0]["PreviousState"]["Name"] == "running" and changes[0]["CurrentState"]["Name"] == "stopping"
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=FAST)
    stopped = describe(ec2, iid)
    assert stopped["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert "PublicIpAddress" not in stopped
    assert stopped["StateTransitionReason"].startswith("User initiated (")

    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.small"})
    ec2.start_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    again = describe(ec2, iid)
    assert again["InstanceType"] == "t3.small"
    assert again["PrivateIpAddress"] == private_before
    assert again["PublicIpAddress"] and again["PublicIpAddress"] != public_before

    ec2.reboot_instances(InstanceIds=[iid])
    out = ec2.get_console_output(InstanceId=iid)
    assert "mock runtime" in out["Output"]

    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=FAST)
    gone = describe(ec2, iid)
    assert gone["State"]["Name"] == "terminated"
    with pytest.raises(ClientError) as ei:
        ec2.describe_volumes(VolumeIds=[vol["VolumeId"]])
    assert error_of(ei)[0] == "InvalidVolume.NotFound"
    with pytest.raises(ClientError) as ei:
        ec2.start_instances(InstanceIds=[iid])
    assert error_of(ei)[0] == "IncorrectInstanceState"


def test_min_max_count_and_filters(ec2, ami):
    instances = run(ec2, ami, MinCount=2, MaxCount=3, InstanceType="t3.nano",
                    TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "blue"}]}])
    assert len(instances) == 3
    ids = [i["InstanceId"] for i in instances]
    assert [i["AmiLaunchIndex"] for i in instances] == [0, 1, 2]
    assert len({i["PrivateIpAddress"] for i in instances}) == 3
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=FAST)
    found = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": ["blue"]}, {"Name": "instance-state-name", "Values": ["running"]}])
    assert sorted(i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]) == sorted(ids)
    assert len(found["Reservations"]) == 1
    by_type = ec2.describe_instances(Filters=[{"Name": "instance-type", "Values": ["t3.n*"]}])
    assert sorted(i["InstanceId"] for r in by_type["Reservations"] for i in r["Instances"]) == sorted(ids)
    by_ip = ec2.describe_instances(Filters=[{"Name": "private-ip-address", "Values": [instances[0]["PrivateIpAddress"]]}])
    assert [i["InstanceId"] for r in by_ip["Reservations"] for i in r["Instances"]] == [ids[0]]
    eni = ec2.describe_instances(Filters=[{"Name": "network-interface.attachment.instance-id", "Values": [ids[1]]}])
    assert [i["InstanceId"] for r in eni["Reservations"] for i in r["Instances"]] == [ids[1]]
    pages = list(ec2.get_paginator("describe_instances").paginate(Filters=[{"Name": "tag:team", "Values": ["blue"]}], PaginationConfig={"PageSize": 5}))
    assert sum(len(r["Instances"]) for p in pages for r in p["Reservations"]) == 3
    ec2.terminate_instances(InstanceIds=ids)


def test_imds_audit_query(ec2, ami):
    """The seed's IMDS audit: instances whose HttpTokens is not 'required'."""
    [inst] = run(ec2, ami, MetadataOptions={"HttpTokens": "optional", "HttpPutResponseHopLimit": 1})
    iid = inst["InstanceId"]
    loose = ec2.describe_instances(Filters=[{"Name": "metadata-options.http-tokens", "Values": ["optional"]}])
    assert iid in [i["InstanceId"] for r in loose["Reservations"] for i in r["Instances"]]
    resp = ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="required", HttpEndpoint="enabled")
    assert resp["InstanceMetadataOptions"]["HttpTokens"] == "required"
    assert describe(ec2, iid)["MetadataOptions"]["HttpTokens"] == "required"
    ec2.terminate_instances(InstanceIds=[iid])


def test_account_metadata_defaults_apply_at_launch(server, ami):
    ec2 = server.ec2("us-west-2")
    west_ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["debian-12-*"]}])["Images"][0]["ImageId"]
    ec2.modify_instance_metadata_defaults(HttpPutResponseHopLimit=3)
    assert ec2.get_instance_metadata_defaults()["AccountLevel"]["HttpPutResponseHopLimit"] == 3
    [inst] = run(ec2, west_ami)
    assert inst["MetadataOptions"]["HttpPutResponseHopLimit"] == 3
    ec2.modify_instance_metadata_defaults(HttpPutResponseHopLimit=-1)
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])


def test_errors(ec2, ami):
    cases = [
        (dict(ImageId="ami-12345678901234567"), "InvalidAMIID.NotFound"),
        (dict(ImageId="ami-nope"), "InvalidAMIID.Malformed"),
        (dict(InstanceType="t3.huge"), "InvalidParameterValue"),
        (dict(InstanceType="t4g.micro"), "InvalidParameterValue"),  # arm64 type, x86_64 image
        (dict(KeyName="no-such-key"), "InvalidKeyPair.NotFound"),
        (dict(SubnetId="subnet-0123456789abcdef0"), "InvalidSubnetID.NotFound"),
        (dict(SecurityGroupIds=["sg-0123456789abcdef0"]), "InvalidGroup.NotFound"),
        (dict(MinCount=3, MaxCount=2), "InvalidParameterValue"),
        (dict(MinCount=600, MaxCount=600), "VcpuLimitExceeded"),  # 1200 vCPUs of t3.micro over the 1152 of L-1216C47A
        (dict(MaxCount=2, PrivateIpAddress="172.31.0.50"), "InvalidParameterCombination"),
    ]
    before = ec2.describe_instances()["Reservations"]
    for params, code in cases:
        kw = {"ImageId": ami, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro", **params}
        with pytest.raises(ClientError) as ei:
            ec2.run_instances(**kw)
        assert error_of(ei)[0] == code, (params, error_of(ei))
    assert ec2.describe_instances()["Reservations"] == before, "a refused launch changes nothing"
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, DryRun=True)
    assert error_of(ei)[0::2] == ("DryRunOperation", 412)
    for call in (ec2.stop_instances, ec2.start_instances, ec2.terminate_instances, ec2.reboot_instances):
        with pytest.raises(ClientError) as ei:
            call(InstanceIds=["i-0123456789abcdef0"])
        assert error_of(ei)[0] == "InvalidInstanceID.NotFound"
        with pytest.raises(ClientError) as ei:
            call(InstanceIds=["i-bad"])
        assert error_of(ei)[0] == "InvalidInstanceID.Malformed"


def test_wrong_state_and_protection(ec2, ami):
    [inst] = run(ec2, ami, DisableApiTermination=True)
    iid = inst["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    with pytest.raises(ClientError) as ei:
        ec2.terminate_instances(InstanceIds=[iid])
    assert error_of(ei)[0] == "OperationNotPermitted"
    with pytest.raises(ClientError) as ei:
        ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
    assert error_of(ei)[0] == "IncorrectInstanceState"
    with pytest.raises(ClientError) as ei:
        ec2.stop_instances(InstanceIds=[iid], Hibernate=True)
    assert error_of(ei)[0] == "UnsupportedHibernationConfiguration"
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[iid])


def test_client_token_idempotent(ec2, ami):
    a = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", ClientToken="launch-once")
    b = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", ClientToken="launch-once")
    assert a["Instances"][0]["InstanceId"] == b["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as ei:
        ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.small", ClientToken="launch-once")
    assert error_of(ei)[0] == "IdempotentParameterMismatch"
    ec2.terminate_instances(InstanceIds=[a["Instances"][0]["InstanceId"]])


def test_instances_survive_restart(server_factory):
    srv = server_factory(extra_args=["--mock-boot-seconds", "0.3"])
    ec2 = srv.ec2()
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"][0]["ImageId"]
    [inst] = run(ec2, ami)
    srv.kill9()
    srv.start()
    ec2 = srv.ec2()
    ec2.get_waiter("instance_running").wait(InstanceIds=[inst["InstanceId"]], WaiterConfig=FAST)


def test_seed_lab1_with_the_cli(server, ami):
    """Lab 1 of the seed, with only the endpoint (profile) and the AMI id changed."""
    cli = server.cli_json
    vpc_id = cli("--profile", "stratus", "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", "--query", "Vpcs[0].VpcId")
    subnet_id = cli("--profile", "stratus", "ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}", "--query", "Subnets[0].SubnetId")
    key = server.cli("--profile", "stratus", "ec2", "create-key-pair", "--key-name", "MyKeyPair", "--query", "KeyMaterial", "--output", "text", check=True).stdout
    assert "PRIVATE KEY" in key
    sg_id = cli("--profile", "stratus", "ec2", "create-security-group", "--group-name", "web-server-sg",
                "--description", "Security group for web server", "--vpc-id", vpc_id, "--query", "GroupId")
    server.cli("--profile", "stratus", "ec2", "authorize-security-group-ingress", "--group-id", sg_id, "--protocol", "tcp", "--port", "22", "--cidr", "203.0.113.7/32", check=True)
    server.cli("--profile", "stratus", "ec2", "authorize-security-group-ingress", "--group-id", sg_id, "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0", check=True)
    with open(os.path.join(server.root, "user-data.sh"), "w") as f:
        f.write("#!/bin/sh\nEC2_AVAIL_ZONE=$(curl -s http://169.254.169.254/latest/meta-data/placement/availability-zone)\necho \"<h1>Hello from $EC2_AVAIL_ZONE</h1>\" > /var/www/index.html\n")
    instance_id = cli("--profile", "stratus", "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro",
                      "--key-name", "MyKeyPair", "--security-group-ids", sg_id, "--subnet-id", subnet_id,
                      "--associate-public-ip-address", "--user-data", "file://user-data.sh",
                      "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=WebServer-CLI}]",
                      "--query", "Instances[0].InstanceId")
    server.cli("--profile", "stratus", "ec2", "wait", "instance-running", "--instance-ids", instance_id, check=True, timeout=120)
    public_ip = cli("--profile", "stratus", "ec2", "describe-instances", "--instance-ids", instance_id, "--query", "Reservations[0].Instances[0].PublicIpAddress")
    assert public_ip and public_ip.count(".") == 3
    name = cli("--profile", "stratus", "ec2", "describe-instances", "--filters", "Name=tag:Name,Values=WebServer-CLI", "--query", "Reservations[].Instances[].Tags[?Key=='Name'].Value | [0][0]")
    assert name == "WebServer-CLI"
    server.cli("--profile", "stratus", "ec2", "terminate-instances", "--instance-ids", instance_id, check=True)
    server.cli("--profile", "stratus", "ec2", "wait", "instance-terminated", "--instance-ids", instance_id, check=True, timeout=120)


def test_seed_lab2_custom_ami_with_the_cli(server, ami):
    """Lab 2 of the seed: stop, create an image, wait, launch from it, copy it to eu-west-1."""
    cli = server.cli_json
    instance_id = cli("--profile", "stratus", "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro",
                      "--query", "Instances[0].InstanceId")
    server.cli("--profile", "stratus", "ec2", "wait", "instance-running", "--instance-ids", instance_id, check=True, timeout=120)
    server.cli("--profile", "stratus", "ec2", "stop-instances", "--instance-ids", instance_id, check=True)
    server.cli("--profile", "stratus", "ec2", "wait", "instance-stopped", "--instance-ids", instance_id, check=True, timeout=120)
    ami_id = cli("--profile", "stratus", "ec2", "create-image", "--instance-id", instance_id, "--name", "MyApp-Baseline-1",
                 "--description", "MyApp baseline", "--query", "ImageId")
    assert ami_id.startswith("ami-")
    server.cli("--profile", "stratus", "ec2", "wait", "image-available", "--image-ids", ami_id, check=True, timeout=120)
    image = cli("--profile", "stratus", "ec2", "describe-images", "--image-ids", ami_id, "--query", "Images[0]")
    assert image["SourceInstanceId"] == instance_id and image["State"] == "available"
    snapshot_id = image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    snapshot = cli("--profile", "stratus", "ec2", "describe-snapshots", "--snapshot-ids", snapshot_id, "--query", "Snapshots[0]")
    assert ami_id in snapshot["Description"]
    new_instance = cli("--profile", "stratus", "ec2", "run-instances", "--image-id", ami_id, "--instance-type", "t3.micro",
                       "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=MyApp-Instance}]",
                       "--query", "Instances[0].InstanceId")
    server.cli("--profile", "stratus", "ec2", "wait", "instance-running", "--instance-ids", new_instance, check=True, timeout=120)
    copied = cli("--profile", "stratus", "ec2", "copy-image", "--source-region", "us-east-1", "--source-image-id", ami_id,
                 "--name", "MyApp-Baseline-DR", "--description", "MyApp baseline - DR copy", "--region", "eu-west-1", "--query", "ImageId")
    server.cli("--profile", "stratus", "--region", "eu-west-1", "ec2", "wait", "image-available", "--image-ids", copied, check=True, timeout=120)
    dr = cli("--profile", "stratus", "--region", "eu-west-1", "ec2", "describe-images", "--image-ids", copied, "--query", "Images[0]")
    assert dr["SourceImageId"] == ami_id and dr["SourceImageRegion"] == "us-east-1"
    with pytest.raises(AssertionError):
        server.cli("--profile", "stratus", "ec2", "create-image", "--instance-id", instance_id, "--name", "MyApp-Baseline-1", check=True)
    server.cli("--profile", "stratus", "ec2", "terminate-instances", "--instance-ids", instance_id, new_instance, check=True)


def test_copy_of_a_catalog_image(server):
    west = server.ec2("us-west-2")
    east_ami = server.ec2().describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["debian-12-*"]}])["Images"][0]["ImageId"]
    copied = west.copy_image(SourceRegion="us-east-1", SourceImageId=east_ami, Name="debian-copy")["ImageId"]
    west.get_waiter("image_available").wait(ImageIds=[copied], WaiterConfig=FAST)
    image = west.describe_images(ImageIds=[copied])["Images"][0]
    assert image["OwnerId"] != "000000000000" and image["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 8
    [inst] = run(west, copied)
    west.get_waiter("instance_running").wait(InstanceIds=[inst["InstanceId"]], WaiterConfig=FAST)
    west.terminate_instances(InstanceIds=[inst["InstanceId"]])
    with pytest.raises(ClientError) as ei:
        west.copy_image(SourceRegion="us-east-1", SourceImageId="ami-12345678901234567", Name="nope")
    assert error_of(ei)[0] == "InvalidAMIID.NotFound"
