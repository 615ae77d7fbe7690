"""Launch templates: create (CLI and boto3), versions with SourceVersion, $Latest/$Default,
ModifyLaunchTemplate, Describe with filters and paging, deleting versions and templates, errors,
DryRun — and RunInstances from a template, with and without overrides, on the mock runtime."""

import base64
import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, tags_dict


MOCK_BOOT_SECONDS = 0.3


def versions_of(ec2, template_id, **kw):
    return ec2.describe_launch_template_versions(LaunchTemplateId=template_id, **kw)["LaunchTemplateVersions"]


def test_create_with_cli_and_describe(server, ami):
    data = {"ImageId": ami, "InstanceType": "t3.micro", "MetadataOptions": {"HttpTokens": "required"},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Team", "Value": "web"}]}]}
    out = server.cli_json("--profile", "stratus", "ec2", "create-launch-template", "--launch-template-name", "cli-web",
                          "--version-description", "first", "--launch-template-data", json.dumps(data),
                          "--tag-specifications", "ResourceType=launch-template,Tags=[{Key=env,Value=dev}]")
    lt = out["LaunchTemplate"]
    assert lt["LaunchTemplateId"].startswith("lt-") and len(lt["LaunchTemplateId"]) == 20
    assert lt["LaunchTemplateName"] == "cli-web"
    assert lt["DefaultVersionNumber"] == 1 and lt["LatestVersionNumber"] == 1
    assert lt["CreatedBy"].startswith("arn:aws:iam::") and lt["CreatedBy"].endswith(":root")
    assert tags_dict(lt) == {"env": "dev"}
    described = server.cli_json("--profile", "stratus", "ec2", "describe-launch-template-versions", "--launch-template-id", lt["LaunchTemplateId"])
    [version] = described["LaunchTemplateVersions"]
    assert version["VersionNumber"] == 1 and version["DefaultVersion"] is True
    assert version["VersionDescription"] == "first"
    assert version["LaunchTemplateData"]["ImageId"] == ami
    assert version["LaunchTemplateData"]["InstanceType"] == "t3.micro"
    assert version["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"
    assert version["LaunchTemplateData"]["TagSpecifications"][0]["Tags"] == [{"Key": "Team", "Value": "web"}]
    by_name = server.cli_json("--profile", "stratus", "ec2", "describe-launch-templates", "--launch-template-names", "cli-web")["LaunchTemplates"]
    assert [t["LaunchTemplateId"] for t in by_name] == [lt["LaunchTemplateId"]]


def test_versions_source_latest_default_and_modify(ec2, ami):
    lt = ec2.create_launch_template(LaunchTemplateName="versions-lt",
                                    LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro", "KeyName": "nokey",
                                                        "EbsOptimized": True})["LaunchTemplate"]
    tid = lt["LaunchTemplateId"]
    v2 = ec2.create_launch_template_version(LaunchTemplateId=tid, SourceVersion="1", VersionDescription="bigger",
                                            LaunchTemplateData={"InstanceType": "t3.small"})["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert v2["LaunchTemplateData"]["ImageId"] == ami, "copied from the source version"
    assert v2["LaunchTemplateData"]["KeyName"] == "nokey"
    v3 = ec2.create_launch_template_version(LaunchTemplateName="versions-lt",
                                            LaunchTemplateData={"InstanceType": "t3.medium"})["LaunchTemplateVersion"]
    assert v3["VersionNumber"] == 3 and "ImageId" not in v3["LaunchTemplateData"]

    [latest] = versions_of(ec2, tid, Versions=["$Latest"])
    assert latest["VersionNumber"] == 3
    [default] = versions_of(ec2, tid, Versions=["$Default"])
    assert default["VersionNumber"] == 1
    assert [v["VersionNumber"] for v in versions_of(ec2, tid, MinVersion="2")] == [2, 3]
    assert [v["VersionNumber"] for v in versions_of(ec2, tid, MaxVersion="2")] == [1, 2]

    modified = ec2.modify_launch_template(LaunchTemplateId=tid, DefaultVersion="2")["LaunchTemplate"]
    assert modified["DefaultVersionNumber"] == 2 and modified["LatestVersionNumber"] == 3
    [default] = versions_of(ec2, tid, Versions=["$Default"])
    assert default["VersionNumber"] == 2 and default["DefaultVersion"] is True

    # Filters on versions.
    assert [v["VersionNumber"] for v in versions_of(ec2, tid, Filters=[{"Name": "instance-type", "Values": ["t3.small", "t3.medium"]}])] == [2, 3]
    assert [v["VersionNumber"] for v in versions_of(ec2, tid, Filters=[{"Name": "is-default-version", "Values": ["true"]}])] == [2]
    assert [v["VersionNumber"] for v in versions_of(ec2, tid, Filters=[{"Name": "ebs-optimized", "Values": ["true"]}])] == [1, 2]
    # Paging.
    page = ec2.describe_launch_template_versions(LaunchTemplateId=tid, MaxResults=2)
    assert len(page["LaunchTemplateVersions"]) == 2 and page["NextToken"]
    rest = ec2.describe_launch_template_versions(LaunchTemplateId=tid, MaxResults=2, NextToken=page["NextToken"])
    assert [v["VersionNumber"] for v in rest["LaunchTemplateVersions"]] == [3]

    # Version errors.
    with pytest.raises(ClientError) as e:
        versions_of(ec2, tid, Versions=["9"])
    assert error_of(e)[0] == "InvalidLaunchTemplateId.VersionNotFound"
    with pytest.raises(ClientError) as e:
        ec2.modify_launch_template(LaunchTemplateId=tid, DefaultVersion="42")
    assert error_of(e)[0] == "InvalidLaunchTemplateId.VersionNotFound"
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template_version(LaunchTemplateId=tid, SourceVersion="77", LaunchTemplateData={"InstanceType": "t3.micro"})
    assert error_of(e)[0] == "InvalidLaunchTemplateId.VersionNotFound"

    # Deleting versions: the default one cannot go.
    deleted = ec2.delete_launch_template_versions(LaunchTemplateId=tid, Versions=["1", "2", "8"])
    assert [d["VersionNumber"] for d in deleted["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    failed = {d["VersionNumber"]: d["ResponseError"]["Code"] for d in deleted["UnsuccessfullyDeletedLaunchTemplateVersions"]}
    assert failed == {2: "unexpectedError", 8: "launchTemplateVersionDoesNotExist"}
    assert [v["VersionNumber"] for v in versions_of(ec2, tid)] == [2, 3]
    # Numbers are not reused.
    v4 = ec2.create_launch_template_version(LaunchTemplateId=tid, LaunchTemplateData={"InstanceType": "t3.micro"})["LaunchTemplateVersion"]
    assert v4["VersionNumber"] == 4

    gone = ec2.delete_launch_template(LaunchTemplateId=tid)["LaunchTemplate"]
    assert gone["LaunchTemplateId"] == tid
    with pytest.raises(ClientError) as e:
        ec2.describe_launch_templates(LaunchTemplateIds=[tid])
    assert error_of(e)[0] == "InvalidLaunchTemplateId.NotFound"


def test_describe_filters_paging_and_all_latest(ec2, ami):
    ids = []
    for i in range(3):
        lt = ec2.create_launch_template(LaunchTemplateName=f"page-{i}", LaunchTemplateData={"ImageId": ami},
                                        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "group", "Value": "paging"}]}])
        ids.append(lt["LaunchTemplate"]["LaunchTemplateId"])
    tagged = ec2.describe_launch_templates(Filters=[{"Name": "tag:group", "Values": ["paging"]}])["LaunchTemplates"]
    assert sorted(t["LaunchTemplateId"] for t in tagged) == sorted(ids)
    named = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": ["page-1"]}])["LaunchTemplates"]
    assert [t["LaunchTemplateId"] for t in named] == [ids[1]]
    assert ec2.describe_launch_templates(Filters=[{"Name": "tag-key", "Values": ["group"]}])["LaunchTemplates"]
    seen = []
    for page in ec2.get_paginator("describe_launch_templates").paginate(PaginationConfig={"PageSize": 1}):
        assert len(page["LaunchTemplates"]) <= 1
        seen += [t["LaunchTemplateId"] for t in page["LaunchTemplates"]]
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    # Without a template: the $Latest version of every template.
    latest = ec2.describe_launch_template_versions(Versions=["$Latest"])["LaunchTemplateVersions"]
    assert set(ids) <= {v["LaunchTemplateId"] for v in latest}
    with pytest.raises(ClientError) as e:
        ec2.describe_launch_templates(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_of(e)[0] == "InvalidParameterValue"
    # CreateTags / DescribeTags work on templates.
    ec2.create_tags(Resources=[ids[0]], Tags=[{"Key": "extra", "Value": "1"}])
    [t] = ec2.describe_launch_templates(LaunchTemplateIds=[ids[0]])["LaunchTemplates"]
    assert tags_dict(t) == {"group": "paging", "extra": "1"}


def test_errors(ec2, ami):
    ec2.create_launch_template(LaunchTemplateName="dup-lt", LaunchTemplateData={"ImageId": ami})
    cases = [
        (lambda: ec2.create_launch_template(LaunchTemplateName="dup-lt", LaunchTemplateData={"InstanceType": "t3.micro"}), "InvalidLaunchTemplateName.AlreadyExistsException"),
        (lambda: ec2.create_launch_template(LaunchTemplateName="bad name!", LaunchTemplateData={"InstanceType": "t3.micro"}), "InvalidLaunchTemplateName.MalformedException"),
        (lambda: ec2.create_launch_template(LaunchTemplateName="bad-tag", LaunchTemplateData={"InstanceType": "t3.micro"},
                                            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}]), "InvalidParameterValue"),
        (lambda: ec2.describe_launch_templates(LaunchTemplateIds=["lt-0123456789abcdef0"]), "InvalidLaunchTemplateId.NotFound"),
        (lambda: ec2.describe_launch_templates(LaunchTemplateIds=["lt-zz"]), "InvalidLaunchTemplateId.Malformed"),
        (lambda: ec2.describe_launch_templates(LaunchTemplateNames=["no-such-template"]), "InvalidLaunchTemplateName.NotFoundException"),
        (lambda: ec2.describe_launch_template_versions(LaunchTemplateName="no-such-template"), "InvalidLaunchTemplateName.NotFoundException"),
        (lambda: ec2.delete_launch_template(LaunchTemplateId="lt-0123456789abcdef0"), "InvalidLaunchTemplateId.NotFound"),
        (lambda: ec2.delete_launch_template(), "MissingParameter"),
        (lambda: ec2.modify_launch_template(LaunchTemplateName="no-such-template", DefaultVersion="1"), "InvalidLaunchTemplateName.NotFoundException"),
        (lambda: ec2.describe_launch_templates(MaxResults=201), "InvalidParameterValue"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e)[0] == code, (code, error_of(e))
    assert not ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": ["bad-tag"]}])["LaunchTemplates"]
    # An image id it cannot launch with is kept, with a warning (tests/e2e/test_ec2_fidelity.py).
    assert ec2.create_launch_template(LaunchTemplateName="bad-ami", LaunchTemplateData={"ImageId": "nope"})["Warning"]["Errors"][0]["Code"] == "InvalidAMIID.Malformed"


def test_short_name_via_raw_query(server):
    """botocore refuses a 2-character name client-side; the server refuses it too."""
    r = server.raw({"Action": "CreateLaunchTemplate", "LaunchTemplateName": "ab", "LaunchTemplateData.InstanceType": "t3.micro"})
    assert r.code in ("InvalidLaunchTemplateName.MalformedException", "InvalidParameterValue")


def test_dry_run(ec2, ami):
    with pytest.raises(ClientError) as e:
        ec2.create_launch_template(LaunchTemplateName="dry-lt", LaunchTemplateData={"ImageId": ami}, DryRun=True)
    assert error_of(e)[0] == "DryRunOperation"
    assert not ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": ["dry-lt"]}])["LaunchTemplates"]
    tid = ec2.create_launch_template(LaunchTemplateName="dry-lt", LaunchTemplateData={"ImageId": ami})["LaunchTemplate"]["LaunchTemplateId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_launch_template(LaunchTemplateId=tid, DryRun=True)
    assert error_of(e)[0] == "DryRunOperation"
    assert ec2.describe_launch_templates(LaunchTemplateIds=[tid])["LaunchTemplates"]
    with pytest.raises(ClientError) as e:
        ec2.run_instances(LaunchTemplate={"LaunchTemplateId": tid}, MinCount=1, MaxCount=1, DryRun=True)
    assert error_of(e)[0] == "DryRunOperation"


def test_run_instances_from_template(ec2, ami):
    user_data = base64.b64encode(b"#!/bin/sh\necho from-template\n").decode()
    lt = ec2.create_launch_template(
        LaunchTemplateName="run-lt",
        LaunchTemplateData={
            "ImageId": ami, "InstanceType": "t3.micro", "UserData": user_data,
            "DisableApiTermination": False, "InstanceInitiatedShutdownBehavior": "terminate",
            "Monitoring": {"Enabled": True},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Team", "Value": "web"}, {"Key": "Name", "Value": "tmpl"}]},
                                  {"ResourceType": "volume", "Tags": [{"Key": "Disk", "Value": "root"}]}],
        })["LaunchTemplate"]
    tid = lt["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=tid, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.small"})

    # Default version ($Default = 1), by id.
    [inst] = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": tid}, MinCount=1, MaxCount=1)["Instances"]
    assert inst["ImageId"] == ami and inst["InstanceType"] == "t3.micro"
    assert inst["Monitoring"]["State"] in ("enabled", "pending")
    tags = tags_dict(inst)
    assert tags["Team"] == "web" and tags["Name"] == "tmpl"
    assert tags["aws:ec2launchtemplate:id"] == tid and tags["aws:ec2launchtemplate:version"] == "1"
    shutdown = ec2.describe_instance_attribute(InstanceId=inst["InstanceId"], Attribute="instanceInitiatedShutdownBehavior")
    assert shutdown["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
    attr = ec2.describe_instance_attribute(InstanceId=inst["InstanceId"], Attribute="userData")
    assert base64.b64decode(attr["UserData"]["Value"]) == b"#!/bin/sh\necho from-template\n"
    volume_id = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    [vol] = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    assert tags_dict(vol) == {"Disk": "root"}

    # $Latest by name, and overrides: the request wins.
    [inst2] = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": "run-lt", "Version": "$Latest"}, MinCount=1, MaxCount=1,
                                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "mine"}]}])["Instances"]
    assert inst2["InstanceType"] == "t3.small"
    tags2 = tags_dict(inst2)
    assert tags2["Name"] == "mine" and tags2["Team"] == "web" and tags2["aws:ec2launchtemplate:version"] == "2"
    [inst3] = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": tid, "Version": "1"}, InstanceType="t3.medium",
                                MinCount=1, MaxCount=1)["Instances"]
    assert inst3["InstanceType"] == "t3.medium"
    # The instance filter on the template tag.
    found = ec2.describe_instances(Filters=[{"Name": "tag:aws:ec2launchtemplate:id", "Values": [tid]}])["Reservations"]
    assert {i["InstanceId"] for r in found for i in r["Instances"]} == {inst["InstanceId"], inst2["InstanceId"], inst3["InstanceId"]}
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"], inst2["InstanceId"], inst3["InstanceId"]])

    # A template without an image needs one in the request.
    bare = ec2.create_launch_template(LaunchTemplateName="bare-lt", LaunchTemplateData={"InstanceType": "t3.micro"})["LaunchTemplate"]
    with pytest.raises(ClientError) as e:
        ec2.run_instances(LaunchTemplate={"LaunchTemplateId": bare["LaunchTemplateId"]}, MinCount=1, MaxCount=1)
    assert error_of(e)[0] == "MissingParameter"
    [inst4] = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": bare["LaunchTemplateId"]}, ImageId=ami, MinCount=1, MaxCount=1)["Instances"]
    assert inst4["InstanceType"] == "t3.micro"
    ec2.terminate_instances(InstanceIds=[inst4["InstanceId"]])


def test_run_instances_template_errors(ec2, ami):
    tid = ec2.create_launch_template(LaunchTemplateName="err-run-lt", LaunchTemplateData={"ImageId": ami, "InstanceType": "t9.bogus"})["LaunchTemplate"]["LaunchTemplateId"]
    cases = [
        ({"LaunchTemplateId": "lt-0123456789abcdef0"}, "InvalidLaunchTemplateId.NotFound"),
        ({"LaunchTemplateId": "lt-bad"}, "InvalidLaunchTemplateId.Malformed"),
        ({"LaunchTemplateName": "no-such-template"}, "InvalidLaunchTemplateName.NotFoundException"),
        ({"LaunchTemplateId": tid, "Version": "5"}, "InvalidLaunchTemplateId.VersionNotFound"),
        ({"LaunchTemplateId": tid}, "InvalidParameterValue"),  # the template's bad instance type shows at launch
    ]
    for spec, code in cases:
        with pytest.raises(ClientError) as e:
            ec2.run_instances(LaunchTemplate=spec, MinCount=1, MaxCount=1)
        assert error_of(e)[0] == code, (spec, error_of(e))


def test_template_network_devices_and_overrides(ec2, ami):
    from conftest import default_vpc
    vpc = default_vpc(ec2)
    subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"], key=lambda s: s["AvailabilityZone"])
    sg = ec2.create_security_group(GroupName="lt-web", Description="web", VpcId=vpc["VpcId"])["GroupId"]
    tid = ec2.create_launch_template(LaunchTemplateName="net-lt", LaunchTemplateData={
        "ImageId": ami, "InstanceType": "t3.micro",
        "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": subnets[1]["SubnetId"], "Groups": [sg], "AssociatePublicIpAddress": False}],
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 12, "VolumeType": "gp3"}}],
    })["LaunchTemplate"]["LaunchTemplateId"]
    [v] = versions_of(ec2, tid)
    assert v["LaunchTemplateData"]["NetworkInterfaces"][0]["Groups"] == [sg]
    assert v["LaunchTemplateData"]["BlockDeviceMappings"][0]["Ebs"] == {"VolumeSize": 12, "VolumeType": "gp3"}

    [inst] = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": tid}, MinCount=1, MaxCount=1)["Instances"]
    assert inst["SubnetId"] == subnets[1]["SubnetId"]
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [sg]
    assert not inst.get("PublicIpAddress")
    [vol] = ec2.describe_volumes(VolumeIds=[inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]])["Volumes"]
    assert (vol["Size"], vol["VolumeType"]) == (12, "gp3")

    # The request's subnet and groups go into the template's primary interface.
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    [inst2] = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": tid}, SubnetId=subnets[0]["SubnetId"], SecurityGroupIds=[default_sg],
                                MinCount=1, MaxCount=1)["Instances"]
    assert inst2["SubnetId"] == subnets[0]["SubnetId"]
    assert [g["GroupId"] for g in inst2["SecurityGroups"]] == [default_sg]

    # GetLaunchTemplateData describes an instance as launch template data.
    data = ec2.get_launch_template_data(InstanceId=inst["InstanceId"])["LaunchTemplateData"]
    assert data["ImageId"] == ami and data["InstanceType"] == "t3.micro"
    assert data["NetworkInterfaces"][0]["SubnetId"] == subnets[1]["SubnetId"]
    assert data["NetworkInterfaces"][0]["Groups"] == [sg]
    assert data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 12
    assert data["Placement"]["AvailabilityZone"] == subnets[1]["AvailabilityZone"]
    assert all(not t["Key"].startswith("aws:") for spec in data.get("TagSpecifications", []) for t in spec["Tags"])
    copy = ec2.create_launch_template(LaunchTemplateName="copy-of-instance", LaunchTemplateData={
        k: data[k] for k in ("ImageId", "InstanceType", "BlockDeviceMappings", "MetadataOptions", "Monitoring")})["LaunchTemplate"]
    assert copy["LatestVersionNumber"] == 1
    with pytest.raises(ClientError) as e:
        ec2.get_launch_template_data(InstanceId="i-0123456789abcdef0")
    assert error_of(e)[0] == "InvalidInstanceID.NotFound"
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"], inst2["InstanceId"]])
