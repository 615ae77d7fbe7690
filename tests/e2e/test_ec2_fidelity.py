"""EC2 answers that clients depend on, word for word: launch templates that accept data they
cannot launch with and say so in a `Warning`, AWS's launch template error messages, the filter
names DescribeSubnets/DescribeVpcs accept besides the documented ones, DescribeImages naming every
missing id, malformed group ids in filters, CidrLimitExceeded before the block is looked at, a
deregistered image that stays visible for a while, and ClassicLink as EC2 answers it today.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import default_vpc, error_of

MOCK_BOOT_SECONDS = 0.3


def err(call, **kw):
    with pytest.raises(ClientError) as ei:
        call(**kw)
    return error_of(ei)


# ---- launch templates -----------------------------------------------------------------------

def test_launch_template_with_an_unknown_image_is_created_with_a_warning(ec2, ami):
    unknown = "ami-0123456789abcdef0"
    r = ec2.create_launch_template(LaunchTemplateName="warn-unknown-ami", LaunchTemplateData={"ImageId": unknown, "InstanceType": "t3.micro"})
    assert r["LaunchTemplate"]["LaunchTemplateName"] == "warn-unknown-ami"
    assert r["Warning"]["Errors"] == [{"Code": "InvalidAMIID.NotFound", "Message": f"The image id '[{unknown}]' does not exist"}]
    tid = r["LaunchTemplate"]["LaunchTemplateId"]
    [v] = ec2.describe_launch_template_versions(LaunchTemplateId=tid)["LaunchTemplateVersions"]
    assert v["LaunchTemplateData"]["ImageId"] == unknown

    # A malformed id is kept too, with its own code.
    r = ec2.create_launch_template_version(LaunchTemplateId=tid, LaunchTemplateData={"ImageId": "not-an-ami"})
    assert r["LaunchTemplateVersion"]["VersionNumber"] == 2
    assert r["Warning"]["Errors"] == [{"Code": "InvalidAMIID.Malformed", "Message": 'Invalid id: "not-an-ami" (expecting "ami-...")'}]

    # A launchable image: no warning.
    r = ec2.create_launch_template_version(LaunchTemplateId=tid, LaunchTemplateData={"ImageId": ami})
    assert "Warning" not in r
    assert "Warning" not in ec2.create_launch_template(LaunchTemplateName="no-warning", LaunchTemplateData={"ImageId": ami})

    # Launching from the version with the unknown image is refused then.
    code, message, _ = err(ec2.run_instances, LaunchTemplate={"LaunchTemplateId": tid, "Version": "1"}, MinCount=1, MaxCount=1)
    assert (code, message) == ("InvalidAMIID.NotFound", f"The image id '[{unknown}]' does not exist")


def test_launch_template_error_messages(server, ec2, ami):
    tid = ec2.create_launch_template(LaunchTemplateName="worded", LaunchTemplateData={"ImageId": ami})["LaunchTemplate"]["LaunchTemplateId"]
    assert err(ec2.describe_launch_template_versions, LaunchTemplateName="no-such-template")[:2] == (
        "InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name no-such-template, does not exist.")
    assert err(ec2.delete_launch_template, LaunchTemplateName="no-such-template")[:2] == (
        "InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name no-such-template, does not exist.")
    assert err(ec2.describe_launch_templates, LaunchTemplateNames=["no-such-template"])[:2] == (
        "InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.")
    assert err(ec2.describe_launch_templates, LaunchTemplateIds=["lt-0123456789abcdef0"])[:2] == (
        "InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID lt-0123456789abcdef0, does not exist.")
    assert err(ec2.describe_launch_template_versions, LaunchTemplateId=tid, Versions=["7"])[:2] == (
        "InvalidLaunchTemplateId.VersionNotFound", f"Could not find the specified version 7 for the launch template with ID {tid}.")
    assert err(ec2.modify_launch_template, LaunchTemplateId=tid, DefaultVersion="3")[:2] == (
        "InvalidLaunchTemplateId.VersionNotFound", f"Could not find the specified version 3 for the launch template with ID {tid}.")
    assert err(ec2.create_launch_template, LaunchTemplateName="bad name!", LaunchTemplateData={"InstanceType": "t3.micro"})[:2] == (
        "InvalidLaunchTemplateName.MalformedException",
        "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.")
    r = server.raw({"Action": "CreateLaunchTemplate", "LaunchTemplateName": "no-data"})
    assert r.code == "MissingParameter"


# ---- filter names ---------------------------------------------------------------------------

def test_describe_subnets_accepts_the_documented_alternative_filter_names(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.3.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    default = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]
    assert len(default) == 6  # one per us-east-1 zone
    cases = {
        "cidr-block": ("10.77.3.0/24", [subnet["SubnetId"]]),
        "cidr": ("10.77.3.0/24", [subnet["SubnetId"]]),
        "cidrBlock": ("10.77.3.0/24", [subnet["SubnetId"]]),
        "defaultForAz": ("true", default),
    }
    for name, (value, expected) in cases.items():
        got = ec2.describe_subnets(Filters=[{"Name": name, "Values": [value]}])["Subnets"]
        assert sorted(s["SubnetId"] for s in got) == sorted(expected), name
    for name, value in [("availability-zone", "us-east-1b"), ("availabilityZone", "us-east-1b"),
                        ("availability-zone-id", subnet["AvailabilityZoneId"]), ("availabilityZoneId", subnet["AvailabilityZoneId"])]:
        got = ec2.describe_subnets(Filters=[{"Name": name, "Values": [value]}, {"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        assert [s["SubnetId"] for s in got] == [subnet["SubnetId"]], name
    # Names EC2 does not know are still refused.
    assert err(ec2.describe_subnets, Filters=[{"Name": "cidr_block", "Values": ["x"]}])[0] == "InvalidParameterValue"
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc)


def test_describe_vpcs_accepts_cidr_block_and_is_default(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    for name in ("cidr", "cidr-block", "cidrBlock"):
        assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": name, "Values": ["10.78.0.0/16"]}])["Vpcs"]] == [vpc], name
    for name in ("is-default", "isDefault"):
        assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": name, "Values": ["true"]}])["Vpcs"]] == [default_vpc(ec2)["VpcId"]]
    ec2.delete_vpc(VpcId=vpc)


def test_malformed_group_ids_in_filters(ec2):
    group = default_vpc(ec2)
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [group["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    assert err(ec2.describe_security_groups, Filters=[{"Name": "group-id", "Values": ["web"]}])[:2] == (
        "InvalidGroupId.Malformed", 'Invalid id: "web" (expecting "sg-...")')
    assert err(ec2.describe_security_group_rules, Filters=[{"Name": "group-id", "Values": [sg, "sg-12"]}])[0] == "InvalidGroupId.Malformed"
    # Well-formed ids and wildcards are values to match, not ids to check.
    assert [g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroups"]] == [sg]
    assert sg in [g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": ["sg-*"]}])["SecurityGroups"]]
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": ["sg-0123456789abcdef0"]}])["SecurityGroups"]
    assert ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    assert err(ec2.authorize_security_group_ingress, GroupId=sg,
               IpPermissions=[{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "eks-cluster-sg*"}]}])[:2] == (
        "InvalidGroupId.Malformed", 'Invalid id: "eks-cluster-sg*" (expecting "sg-...")')


# ---- limits before values -------------------------------------------------------------------

def test_cidr_limit_is_checked_before_the_block(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    for i in range(1, 5):
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=f"10.8{i}.0.0/16")
    message = f"This network '{vpc}' has met its maximum number of allowed CIDRs: 5"
    # A sixth block: the limit answers, whether the block would be good, overlapping or out of range.
    for block in ("10.90.0.0/16", "10.80.0.0/16", "10.0.0.0/8"):
        assert err(ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock=block)[:2] == ("CidrLimitExceeded", message), block
    ec2.delete_vpc(VpcId=vpc)


# ---- images ---------------------------------------------------------------------------------

def test_describe_images_names_every_missing_id(ec2, ami):
    a, b = "ami-0123456789abcdef0", "ami-0123456789abcdef1"
    assert err(ec2.describe_images, ImageIds=[a])[:2] == ("InvalidAMIID.NotFound", f"The image id '[{a}]' does not exist")
    assert err(ec2.describe_images, ImageIds=[ami, a, b])[:2] == ("InvalidAMIID.NotFound", f"The image ids '[{a}, {b}]' do not exist")
    assert err(ec2.describe_images, ImageIds=[a, "ami-zz"])[0] == "InvalidAMIID.Malformed"


def test_a_deregistered_image_stays_visible_for_a_while(ec2, ami):
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    image = ec2.register_image(Name="soon-gone", RootDeviceName="/dev/xvda",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}])["ImageId"]
    ec2.deregister_image(ImageId=image)

    # Right after: DescribeImages still shows it, deregistered, with its snapshot (so a client can clean up).
    [shown] = ec2.describe_images(ImageIds=[image])["Images"]
    assert shown["State"] == "deregistered" and shown["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == snapshot
    assert image in [i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]]
    assert not ec2.describe_images(Owners=["self"], Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "image-id", "Values": [image]}])["Images"]
    # Other calls naming it: no longer available.
    unavailable = ("InvalidAMIID.Unavailable", f"The image id '[{image}]' is no longer available")
    assert err(ec2.describe_image_attribute, ImageId=image, Attribute="launchPermission")[:2] == unavailable
    assert err(ec2.deregister_image, ImageId=image)[:2] == unavailable
    assert err(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")[:2] == unavailable
    # Its name is free again, and its snapshot may go.
    again = ec2.register_image(Name="soon-gone", RootDeviceName="/dev/xvda",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}])["ImageId"]
    ec2.deregister_image(ImageId=again)
    ec2.delete_snapshot(SnapshotId=snapshot)
    ec2.delete_volume(VolumeId=volume)


# ---- ClassicLink ----------------------------------------------------------------------------

def test_classic_link_is_not_available(ec2):
    vpc = default_vpc(ec2)["VpcId"]
    answer = ("UnsupportedOperation", "The functionality you requested is not available in this region.")
    assert err(ec2.describe_vpc_classic_link, VpcIds=[vpc])[:2] == answer
    assert err(ec2.describe_vpc_classic_link_dns_support, VpcIds=[vpc])[:2] == answer
    assert err(ec2.enable_vpc_classic_link, VpcId=vpc)[:2] == answer
    assert err(ec2.disable_vpc_classic_link_dns_support, VpcId=vpc)[:2] == answer


# ---- image lifecycle settings and account settings ------------------------------------------

def _own_image(ec2, name):
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return ec2.register_image(Name=name, RootDeviceName="/dev/xvda",
                              BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}])["ImageId"]


def test_image_deprecation(ec2, ami):
    import datetime as dt
    image = _own_image(ec2, "to-deprecate")
    at = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).replace(second=40, microsecond=0)
    assert ec2.enable_image_deprecation(ImageId=image, DeprecateAt=at)["Return"] is True
    [shown] = ec2.describe_images(ImageIds=[image])["Images"]
    assert shown["DeprecationTime"] == (at.replace(second=0) + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert err(ec2.enable_image_deprecation, ImageId=image, DeprecateAt=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))[0] == "InvalidParameterValue"
    assert err(ec2.enable_image_deprecation, ImageId=image, DeprecateAt=at + dt.timedelta(days=3700 * 2))[0] == "InvalidParameterValue"
    assert err(ec2.enable_image_deprecation, ImageId=ami, DeprecateAt=at)[0] == "AuthFailure"
    assert ec2.disable_image_deprecation(ImageId=image)["Return"] is True
    assert "DeprecationTime" not in ec2.describe_images(ImageIds=[image])["Images"][0]
    ec2.deregister_image(ImageId=image)


def test_image_deregistration_protection_with_cooldown(ec2):
    image = _own_image(ec2, "protected")
    assert ec2.enable_image_deregistration_protection(ImageId=image, WithCooldown=True)["Return"] == "true"
    assert ec2.describe_images(ImageIds=[image])["Images"][0]["DeregistrationProtection"] == "enabled"
    assert err(ec2.deregister_image, ImageId=image)[0] == "InvalidParameterValue"
    assert ec2.disable_image_deregistration_protection(ImageId=image)["Return"] == "true"
    # The cooldown keeps it for 24 hours.
    assert err(ec2.deregister_image, ImageId=image)[0] == "InvalidParameterValue"
    other = _own_image(ec2, "protected-without-cooldown")
    ec2.enable_image_deregistration_protection(ImageId=other)
    ec2.disable_image_deregistration_protection(ImageId=other)
    ec2.deregister_image(ImageId=other)


def test_disable_and_enable_image(ec2):
    image = _own_image(ec2, "to-disable")
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"UserId": "123456789012"}]})
    assert ec2.disable_image(ImageId=image)["Return"] is True
    assert not [i for i in ec2.describe_images(Owners=["self"])["Images"] if i["ImageId"] == image]
    [shown] = ec2.describe_images(Owners=["self"], IncludeDisabled=True, Filters=[{"Name": "image-id", "Values": [image]}])["Images"]
    assert shown["State"] == "disabled"
    assert ec2.describe_image_attribute(ImageId=image, Attribute="launchPermission")["LaunchPermissions"] == []
    assert err(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")[0] == "InvalidAMIID.Unavailable"
    assert err(ec2.modify_image_attribute, ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})[0] == "IncorrectState"
    assert ec2.enable_image(ImageId=image)["Return"] is True
    assert ec2.describe_images(ImageIds=[image])["Images"][0]["State"] == "available"
    ec2.deregister_image(ImageId=image)


def test_serial_console_access(server):
    ec2 = server.ec2("eu-central-1")
    assert ec2.get_serial_console_access_status() | {"ResponseMetadata": None} == {
        "SerialConsoleAccessEnabled": False, "ManagedBy": "account", "ResponseMetadata": None}
    assert ec2.enable_serial_console_access()["SerialConsoleAccessEnabled"] is True
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is True
    # Per region.
    assert server.ec2("eu-west-1").get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
    with pytest.raises(ClientError) as ei:
        ec2.disable_serial_console_access(DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is True
    assert ec2.disable_serial_console_access()["SerialConsoleAccessEnabled"] is False
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
