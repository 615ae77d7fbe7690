"""AMIs: the public catalog, RegisterImage, launch permissions, attributes, errors."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_of


def catalog(client):
    return client.describe_images(Owners=["amazon"])["Images"]


def test_catalog_has_public_images_per_region(server):
    east = {i["Name"]: i for i in catalog(server.ec2("us-east-1"))}
    west = {i["Name"]: i for i in catalog(server.ec2("eu-west-1"))}
    assert "stratus-minimal-2026.11-x86_64" in east
    assert "debian-12-amd64-2026.11" in east
    assert set(east) == set(west)
    minimal = east["stratus-minimal-2026.11-x86_64"]
    assert minimal["ImageId"].startswith("ami-") and len(minimal["ImageId"]) == 21
    assert minimal["ImageId"] != west["stratus-minimal-2026.11-x86_64"]["ImageId"]
    assert minimal["State"] == "available" and minimal["Public"] is True
    assert minimal["ImageOwnerAlias"] == "amazon"
    assert minimal["RootDeviceType"] == "ebs" and minimal["RootDeviceName"] == "/dev/xvda"
    assert minimal["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"].startswith("snap-")
    assert minimal["ImdsSupport"] == "v2.0"


def test_catalog_ids_are_stable_across_restart(server_factory):
    srv = server_factory()
    before = {i["Name"]: i["ImageId"] for i in catalog(srv.ec2())}
    srv.restart()
    after = {i["Name"]: i["ImageId"] for i in catalog(srv.ec2())}
    assert before == after


def test_filters_and_waiter(ec2):
    arm = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["arm64"]}])["Images"]
    assert [i["Name"] for i in arm] == ["stratus-minimal-2026.11-arm64"]
    named = ec2.describe_images(Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}, {"Name": "is-public", "Values": ["true"]}])["Images"]
    assert len(named) == 1
    ec2.get_waiter("image_available").wait(ImageIds=[named[0]["ImageId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    ec2.get_waiter("image_exists").wait(ImageIds=[named[0]["ImageId"]], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    with pytest.raises(ClientError) as ei:
        ec2.describe_images(Filters=[{"Name": "nope", "Values": ["x"]}])
    assert error_of(ei)[0] == "InvalidParameterValue"


def test_paging(ec2):
    pages = list(ec2.get_paginator("describe_images").paginate(Owners=["amazon"], PaginationConfig={"PageSize": 5}))
    ids = [i["ImageId"] for p in pages for i in p["Images"]]
    assert len(ids) == len(set(ids)) == 3


def test_errors(ec2):
    for image_id, code in [("ami-12345678901234567", "InvalidAMIID.NotFound"), ("ami-xyz", "InvalidAMIID.Malformed"), ("vol-0123456789abcdef0", "InvalidAMIID.Malformed")]:
        with pytest.raises(ClientError) as ei:
            ec2.describe_images(ImageIds=[image_id])
        assert error_of(ei)[0::2] == (code, 400)
    with pytest.raises(ClientError) as ei:
        ec2.describe_images(Owners=["nobody"])
    assert error_of(ei)[0] == "InvalidUserID.Malformed"
    public = catalog(ec2)[0]["ImageId"]
    with pytest.raises(ClientError) as ei:
        ec2.deregister_image(ImageId=public)
    assert error_of(ei)[0] == "AuthFailure"


def test_register_share_and_deregister(server):
    ec2 = server.ec2("us-west-2")
    # A snapshot document to register from does not exist yet: the reference is refused.
    with pytest.raises(ClientError) as ei:
        ec2.register_image(Name="mine", RootDeviceName="/dev/xvda",
                           BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}])
    assert error_of(ei)[0] == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as ei:
        ec2.register_image(Name="bad!name", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])
    assert error_of(ei)[0] == "InvalidAMIName.Malformed"
    with pytest.raises(ClientError) as ei:
        ec2.register_image(Name="no-root-snapshot", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])
    assert error_of(ei)[0] == "InvalidParameterValue"


def test_dry_run(ec2):
    with pytest.raises(ClientError) as ei:
        ec2.describe_images(Owners=["amazon"], DryRun=True)
    assert error_of(ei)[0::2] == ("DryRunOperation", 412)
