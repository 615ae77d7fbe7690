"""EBS, AMI and account-setting operations with their effects, through boto3 and the aws CLI on a
mock-runtime server: CreateDefaultSubnet, snapshot lock (DeleteSnapshot refused while locked),
the snapshot archive tier (archived snapshots unusable until restored), block public access for
snapshots and AMIs (sharing refused, block-all-sharing hides public snapshots from other
accounts), Allowed AMIs (DescribeImages and RunInstances follow the criteria), image ancestry and
references, CopyVolumes, EnableVolumeIO, resource ID formats and the retired EC2-Classic address
moves, with AWS's error codes and DryRun."""


import pytest
from botocore.exceptions import ClientError

from conftest import code_of, error_of, minimal_ami, until

MOCK_BOOT_SECONDS = 0.2


@pytest.fixture(scope="module")
def other(server):
    """A second account: consumer of shared snapshots and the account whose Allowed AMIs are set."""
    return server.ec2(credentials=server.create_account("storage-other"))


def completed_snapshot(ec2, size=1, zone="us-east-1a"):
    volume = ec2.create_volume(AvailabilityZone=zone, Size=size)["VolumeId"]
    until(lambda: ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["State"] == "available", "volume available")
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    until(lambda: ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0]["State"] == "completed", "snapshot completed")
    return volume, snapshot


# ---- CreateDefaultSubnet --------------------------------------------------------------------

def test_create_default_subnet_recreates_the_deleted_default_subnet(server, ec2):
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert len(subnets) == 6
    gone = next(s for s in subnets if s["AvailabilityZone"] == "us-east-1c")
    assert code_of(ec2.create_default_subnet, AvailabilityZone="us-east-1c") == "DefaultSubnetAlreadyExistsInAvailabilityZone"
    ec2.delete_subnet(SubnetId=gone["SubnetId"])
    assert code_of(ec2.create_default_subnet, AvailabilityZone="us-east-1c", DryRun=True) == "DryRunOperation"

    created = server.cli_json("--profile", "stratus", "ec2", "create-default-subnet", "--availability-zone", "us-east-1c")["Subnet"]
    assert created["CidrBlock"] == gone["CidrBlock"]
    assert (created["DefaultForAz"], created["MapPublicIpOnLaunch"], created["AvailableIpAddressCount"]) == (True, True, 4091)
    assert (created["VpcId"], created["AvailabilityZoneId"]) == (gone["VpcId"], "use1-az3")
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [created["SubnetId"]]}])["NetworkAcls"]
    assert len(acl) == 1 and acl[0]["IsDefault"]

    # By zone id; not both, not neither; zones the region does not have.
    fourth = next(s for s in subnets if s["AvailabilityZone"] == "us-east-1d")
    ec2.delete_subnet(SubnetId=fourth["SubnetId"])
    again = ec2.create_default_subnet(AvailabilityZoneId="use1-az4")["Subnet"]
    assert (again["AvailabilityZone"], again["CidrBlock"]) == ("us-east-1d", fourth["CidrBlock"])
    assert code_of(ec2.create_default_subnet, AvailabilityZone="us-east-1d", AvailabilityZoneId="use1-az4") == "InvalidParameterCombination"
    assert code_of(ec2.create_default_subnet) == "MissingParameter"
    assert code_of(ec2.create_default_subnet, AvailabilityZone="us-east-1z") == "InvalidParameterValue"


def test_create_default_subnet_needs_the_default_vpc(server):
    west = server.ec2("us-west-2")
    vpc = west.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    for subnet in west.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        west.delete_subnet(SubnetId=subnet["SubnetId"])
    for igw in west.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]:
        west.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc)
        west.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    west.delete_vpc(VpcId=vpc)
    assert code_of(west.create_default_subnet, AvailabilityZone="us-west-2a") == "DefaultVpcDoesNotExist"
    west.create_default_vpc()
    assert code_of(west.create_default_subnet, AvailabilityZone="us-west-2a") == "DefaultSubnetAlreadyExistsInAvailabilityZone"


# ---- Snapshot lock --------------------------------------------------------------------------

def test_snapshot_lock_refuses_delete_until_unlocked(server, ec2):
    _, snapshot = completed_snapshot(ec2)
    assert code_of(ec2.lock_snapshot, SnapshotId=snapshot, LockMode="governance", LockDuration=1, DryRun=True) == "DryRunOperation"
    locked = server.cli_json("--profile", "stratus", "ec2", "lock-snapshot", "--snapshot-id", snapshot, "--lock-mode", "governance", "--lock-duration", "1")
    assert (locked["LockState"], locked["LockDuration"]) == ("governance", 1)
    assert code_of(ec2.delete_snapshot, SnapshotId=snapshot) == "OperationNotPermitted"

    described = ec2.describe_locked_snapshots(Filters=[{"Name": "lock-state", "Values": ["governance"]}])["Snapshots"]
    assert [s["SnapshotId"] for s in described] == [snapshot]
    assert ec2.describe_locked_snapshots(Filters=[{"Name": "lock-state", "Values": ["compliance"]}])["Snapshots"] == []

    # Compliance with a cooling-off period: still changeable and removable during it.
    cool = ec2.lock_snapshot(SnapshotId=snapshot, LockMode="compliance", CoolOffPeriod=1, LockDuration=2)
    assert cool["LockState"] == "compliance-cooloff" and cool["CoolOffPeriod"] == 1 and "CoolOffPeriodExpiresOn" in cool
    assert ec2.unlock_snapshot(SnapshotId=snapshot)["SnapshotId"] == snapshot
    assert ec2.describe_locked_snapshots(SnapshotIds=[snapshot])["Snapshots"] == []
    assert code_of(ec2.unlock_snapshot, SnapshotId=snapshot) == "IncorrectState"
    ec2.delete_snapshot(SnapshotId=snapshot)

    assert code_of(ec2.lock_snapshot, SnapshotId="snap-0123456789abcdef0", LockMode="governance", LockDuration=1) == "InvalidSnapshot.NotFound"
    _, other_snapshot = completed_snapshot(ec2)
    assert code_of(ec2.lock_snapshot, SnapshotId=other_snapshot, LockMode="governance", LockDuration=1, CoolOffPeriod=1) == "InvalidParameterCombination"
    assert code_of(ec2.lock_snapshot, SnapshotId=other_snapshot, LockMode="governance") == "MissingParameter"
    assert code_of(ec2.lock_snapshot, SnapshotId=other_snapshot, LockMode="compliance", LockDuration=1, CoolOffPeriod=73) == "InvalidParameterValue"


# ---- Archive tier ---------------------------------------------------------------------------

def test_archived_snapshot_cannot_be_used_until_restored(ec2):
    _, snapshot = completed_snapshot(ec2)
    started = ec2.modify_snapshot_tier(SnapshotId=snapshot, StorageTier="archive")
    assert started["SnapshotId"] == snapshot and "TieringStartTime" in started
    status = ec2.describe_snapshot_tier_status(Filters=[{"Name": "snapshot-id", "Values": [snapshot]}])["SnapshotTierStatuses"]
    assert status[0]["LastTieringOperationStatus"] in ("archival-in-progress", "archival-completed")
    until(lambda: ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0]["StorageTier"] == "archive", "archived")
    assert ec2.describe_snapshots(Filters=[{"Name": "storage-tier", "Values": ["archive"]}])["Snapshots"][0]["SnapshotId"] == snapshot

    assert code_of(ec2.create_volume, AvailabilityZone="us-east-1a", SnapshotId=snapshot) == "IncorrectState"
    assert code_of(ec2.copy_snapshot, SourceRegion="us-east-1", SourceSnapshotId=snapshot) == "IncorrectState"
    assert code_of(ec2.register_image, Name="from-archive", RootDeviceName="/dev/xvda",
                   BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}]) == "IncorrectState"
    assert code_of(ec2.modify_snapshot_tier, SnapshotId=snapshot, StorageTier="archive") == "IncorrectState"
    assert code_of(ec2.restore_snapshot_tier, SnapshotId=snapshot) == "MissingParameter"
    assert code_of(ec2.restore_snapshot_tier, SnapshotId=snapshot, TemporaryRestoreDays=1, PermanentRestore=True) == "InvalidParameterCombination"

    restore = ec2.restore_snapshot_tier(SnapshotId=snapshot, TemporaryRestoreDays=1)
    assert (restore["RestoreDuration"], restore["IsPermanentRestore"]) == (1, False)
    until(lambda: ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0]["StorageTier"] == "standard", "restored")
    restored = ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0]
    assert "RestoreExpiryTime" in restored
    tier = ec2.describe_snapshot_tier_status(Filters=[{"Name": "last-tiering-operation", "Values": ["temporary-restore-completed"]}])["SnapshotTierStatuses"]
    assert [t["SnapshotId"] for t in tier] == [snapshot] and tier[0]["StorageTier"] == "standard" and "ArchivalCompleteTime" in tier[0]
    assert ec2.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snapshot)["SnapshotId"] == snapshot
    assert ec2.restore_snapshot_tier(SnapshotId=snapshot, PermanentRestore=True)["IsPermanentRestore"] is True

    _, standard = completed_snapshot(ec2)
    assert code_of(ec2.restore_snapshot_tier, SnapshotId=standard, TemporaryRestoreDays=1) == "IncorrectState"


# ---- Block public access --------------------------------------------------------------------

def test_snapshot_block_public_access(server, ec2, other):
    assert ec2.get_snapshot_block_public_access_state()["State"] == "unblocked"
    _, shared = completed_snapshot(ec2)
    _, fresh = completed_snapshot(ec2)
    ec2.modify_snapshot_attribute(SnapshotId=shared, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"])
    assert other.describe_snapshots(SnapshotIds=[shared])["Snapshots"][0]["SnapshotId"] == shared

    assert ec2.enable_snapshot_block_public_access(State="block-new-sharing")["State"] == "block-new-sharing"
    assert code_of(ec2.modify_snapshot_attribute, SnapshotId=fresh, Attribute="createVolumePermission",
                   CreateVolumePermission={"Add": [{"Group": "all"}]}) == "OperationNotPermitted"
    assert other.describe_snapshots(SnapshotIds=[shared])["Snapshots"][0]["SnapshotId"] == shared

    state = server.cli_json("--profile", "stratus", "ec2", "enable-snapshot-block-public-access", "--state", "block-all-sharing")
    assert state["State"] == "block-all-sharing"
    got = ec2.get_snapshot_block_public_access_state()
    assert (got["State"], got["ManagedBy"]) == ("block-all-sharing", "account")
    assert code_of(other.describe_snapshots, SnapshotIds=[shared]) == "InvalidSnapshot.NotFound"
    assert code_of(other.create_volume, AvailabilityZone="us-east-1a", SnapshotId=shared) == "InvalidSnapshot.NotFound"
    perms = ec2.describe_snapshot_attribute(SnapshotId=shared, Attribute="createVolumePermission")["CreateVolumePermissions"]
    assert perms == [{"Group": "all"}]  # still recorded; not in effect

    assert ec2.disable_snapshot_block_public_access()["State"] == "unblocked"
    assert other.describe_snapshots(SnapshotIds=[shared])["Snapshots"][0]["SnapshotId"] == shared
    assert code_of(ec2.enable_snapshot_block_public_access, State="sometimes") == "InvalidParameterValue"


def test_image_block_public_access(ec2):
    _, snapshot = completed_snapshot(ec2)
    image = ec2.register_image(Name="bpa-image", RootDeviceName="/dev/xvda",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}])["ImageId"]
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"
    assert ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")["ImageBlockPublicAccessState"] == "block-new-sharing"
    assert code_of(ec2.modify_image_attribute, ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]}) == "OperationNotPermitted"
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"UserId": "111122223333"}]})
    assert ec2.disable_image_block_public_access()["ImageBlockPublicAccessState"] == "unblocked"
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    assert ec2.describe_images(ImageIds=[image])["Images"][0]["Public"] is True
    assert code_of(ec2.enable_image_block_public_access, ImageBlockPublicAccessState="block-new-sharing", DryRun=True) == "DryRunOperation"


# ---- Allowed AMIs ---------------------------------------------------------------------------

def test_allowed_amis_filter_describe_images_and_refuse_launches(other):
    settings = other.get_allowed_images_settings()
    assert (settings["State"], settings["ManagedBy"]) == ("disabled", "account")
    minimal = minimal_ami(other)
    debian = other.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["debian-12-*"]}])["Images"][0]["ImageId"]

    assert other.replace_image_criteria_in_allowed_images_settings(ImageCriteria=[
        {"ImageProviders": ["amazon"], "ImageNames": ["stratus-minimal-*"], "CreationDateCondition": {"MaximumDaysSinceCreated": 3650}},
    ])["ReturnValue"] is True
    assert other.enable_allowed_images_settings(AllowedImagesSettingsState="audit-mode")["AllowedImagesSettingsState"] == "audit-mode"
    audit = {i["ImageId"]: i["ImageAllowed"] for i in other.describe_images(Owners=["amazon"])["Images"]}
    assert audit[minimal] is True and audit[debian] is False
    not_allowed = other.describe_images(Owners=["amazon"], Filters=[{"Name": "image-allowed", "Values": ["false"]}])["Images"]
    assert debian in [i["ImageId"] for i in not_allowed]

    assert other.enable_allowed_images_settings(AllowedImagesSettingsState="enabled")["AllowedImagesSettingsState"] == "enabled"
    listed = [i["ImageId"] for i in other.describe_images(Owners=["amazon"])["Images"]]
    assert minimal in listed and debian not in listed
    assert code_of(other.run_instances, ImageId=debian, MinCount=1, MaxCount=1, InstanceType="t3.micro") == "InvalidAMIID.NotFound"
    instance = other.run_instances(ImageId=minimal, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]

    metadata = other.describe_instance_image_metadata(InstanceIds=[instance])["InstanceImageMetadata"][0]
    assert metadata["ImageMetadata"]["ImageId"] == minimal and metadata["ImageMetadata"]["ImageAllowed"] is True
    assert metadata["ImageMetadata"]["ImageOwnerAlias"] == "amazon"
    assert other.describe_instance_image_metadata(Filters=[{"Name": "image-allowed", "Values": ["false"]}])["InstanceImageMetadata"] == []

    got = other.get_allowed_images_settings()
    assert got["State"] == "enabled" and got["ImageCriteria"][0]["ImageNames"] == ["stratus-minimal-*"]
    assert got["ImageCriteria"][0]["CreationDateCondition"] == {"MaximumDaysSinceCreated": 3650}
    assert code_of(other.replace_image_criteria_in_allowed_images_settings, ImageCriteria=[{"ImageProviders": ["amazon", "none"]}]) == "InvalidParameterValue"
    assert code_of(other.replace_image_criteria_in_allowed_images_settings, ImageCriteria=[{"ImageProviders": ["amazon"]}] * 11) == "InvalidParameterValue"

    assert other.disable_allowed_images_settings()["AllowedImagesSettingsState"] == "disabled"
    assert debian in [i["ImageId"] for i in other.describe_images(Owners=["amazon"])["Images"]]
    other.terminate_instances(InstanceIds=[instance])


# ---- Image ancestry and references ----------------------------------------------------------

def test_image_ancestry_and_references(ec2):
    minimal = minimal_ami(ec2)
    first = ec2.copy_image(Name="copy-one", SourceImageId=minimal, SourceRegion="us-east-1")["ImageId"]
    until(lambda: ec2.describe_images(ImageIds=[first])["Images"][0]["State"] == "available", "copy available")
    second = ec2.copy_image(Name="copy-two", SourceImageId=first, SourceRegion="us-east-1")["ImageId"]
    chain = ec2.get_image_ancestry(ImageId=second)["ImageAncestryEntries"]
    assert [e["ImageId"] for e in chain] == [second, first, minimal]
    assert chain[0]["SourceImageId"] == first and chain[-1].get("ImageOwnerAlias") == "amazon" and "SourceImageId" not in chain[-1]
    assert code_of(ec2.get_image_ancestry, ImageId="ami-0123456789abcdef0") == "InvalidAMIID.NotFound"

    instance = ec2.run_instances(ImageId=minimal, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    template = ec2.create_launch_template(LaunchTemplateName="refs", LaunchTemplateData={"ImageId": minimal})["LaunchTemplate"]["LaunchTemplateId"]
    refs = ec2.describe_image_references(ImageIds=[minimal], IncludeAllResourceTypes=True)["ImageReferences"]
    arns = {r["Arn"] for r in refs}
    account = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["OwnerId"]
    assert f"arn:aws:ec2:us-east-1:{account}:instance/{instance}" in arns
    assert f"arn:aws:ec2:us-east-1:{account}:launch-template/{template}:1" in arns
    only_templates = ec2.describe_image_references(ImageIds=[minimal], ResourceTypes=[{"ResourceType": "ec2:LaunchTemplate"}])["ImageReferences"]
    assert {r["ResourceType"] for r in only_templates} == {"ec2:LaunchTemplate"}
    stopped_only = ec2.describe_image_references(ImageIds=[minimal], ResourceTypes=[
        {"ResourceType": "ec2:Instance", "ResourceTypeOptions": [{"OptionName": "state-name", "OptionValues": ["stopped"]}]}])["ImageReferences"]
    assert stopped_only == []
    assert code_of(ec2.describe_image_references, ImageIds=[minimal]) == "MissingParameter"
    ec2.terminate_instances(InstanceIds=[instance])


# ---- Volumes --------------------------------------------------------------------------------

def test_copy_volumes_and_enable_volume_io(ec2):
    source = ec2.create_volume(AvailabilityZone="us-east-1b", Size=5, VolumeType="gp3")["VolumeId"]
    until(lambda: ec2.describe_volumes(VolumeIds=[source])["Volumes"][0]["State"] == "available", "volume available")
    copy = ec2.copy_volumes(SourceVolumeId=source, Size=6, TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "k", "Value": "v"}]}])["Volumes"][0]
    assert (copy["SourceVolumeId"], copy["Size"], copy["VolumeType"], copy["AvailabilityZone"]) == (source, 6, "gp3", "us-east-1b")
    assert copy["Tags"] == [{"Key": "k", "Value": "v"}]
    assert code_of(ec2.copy_volumes, SourceVolumeId=source, Size=4) == "InvalidParameterValue"
    assert code_of(ec2.copy_volumes, SourceVolumeId="vol-0123456789abcdef0") == "InvalidVolume.NotFound"
    ec2.enable_volume_io(VolumeId=source)
    assert code_of(ec2.enable_volume_io, VolumeId="vol-0123456789abcdef0") == "InvalidVolume.NotFound"


# ---- Account settings -----------------------------------------------------------------------

def test_id_formats_are_long_only(server, ec2):
    statuses = ec2.describe_id_format()["Statuses"]
    assert {s["Resource"] for s in statuses} >= {"instance", "volume", "snapshot", "reservation", "vpc"}
    assert all(s["UseLongIds"] for s in statuses)
    assert ec2.describe_id_format(Resource="instance")["Statuses"] == [{"Resource": "instance", "UseLongIds": True}]
    assert code_of(ec2.describe_id_format, Resource="gizmo") == "InvalidParameterValue"
    ec2.modify_id_format(Resource="instance", UseLongIds=True)
    assert code_of(ec2.modify_id_format, Resource="instance", UseLongIds=False) == "InvalidParameterValue"
    aggregate = ec2.describe_aggregate_id_format()
    assert aggregate["UseLongIdsAggregated"] is True
    account = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["OwnerId"]
    root = f"arn:aws:iam::{account}:root"
    principals = ec2.describe_principal_id_format(Resources=["volume"])["Principals"]
    assert principals == [{"Arn": root, "Statuses": [{"Resource": "volume", "UseLongIds": True}]}]
    identity = server.cli_json("--profile", "stratus", "ec2", "describe-identity-id-format", "--principal-arn", root, "--resource", "snapshot")
    assert identity["Statuses"] == [{"Resource": "snapshot", "UseLongIds": True}]
    assert code_of(ec2.modify_identity_id_format, PrincipalArn="not-an-arn", Resource="instance", UseLongIds=True) == "InvalidParameterValue"


def test_ec2_classic_address_moves_are_unavailable(ec2):
    for call in (lambda: ec2.move_address_to_vpc(PublicIp="198.51.100.7"),
                 lambda: ec2.restore_address_to_classic(PublicIp="198.51.100.7"),
                 lambda: ec2.describe_moving_addresses()):
        with pytest.raises(ClientError) as e:
            call()
        code, message, _ = error_of(e)
        assert (code, message) == ("UnsupportedOperation", "The functionality you requested is not available in this region.")
