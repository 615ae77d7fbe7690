"""Elastic IP addresses: allocate, associate with instances and network interfaces, the instance's
public address through stop/start, disassociate and terminate, Describe filters, reverse DNS,
the limit, errors, DryRun — and the aws CLI forms."""

import pytest
from botocore.exceptions import ClientError

from conftest import FAST, error_of, tags_dict



MOCK_BOOT_SECONDS = 0.3


def launch(ec2, ami, wait=True, **kw):
    [inst] = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", **kw)["Instances"]
    if wait:
        ec2.get_waiter("instance_running").wait(InstanceIds=[inst["InstanceId"]], WaiterConfig=FAST)
    return inst["InstanceId"]


def describe(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def address(ec2, allocation_id):
    return ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"][0]


def primary_eni(ec2, instance_id):
    inst = describe(ec2, instance_id)
    return next(n for n in inst["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0)


def test_allocate_describe_release(ec2):
    alloc = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}])
    aid = alloc["AllocationId"]
    assert aid.startswith("eipalloc-") and len(aid) == len("eipalloc-") + 17
    assert alloc["Domain"] == "vpc" and alloc["PublicIp"].startswith("198.1")
    assert alloc["NetworkBorderGroup"] == "us-east-1" and alloc["PublicIpv4Pool"] == "amazon"
    got = address(ec2, aid)
    assert got["PublicIp"] == alloc["PublicIp"] and tags_dict(got) == {"Name": "web"}
    assert "AssociationId" not in got and "InstanceId" not in got
    assert ec2.describe_addresses(PublicIps=[alloc["PublicIp"]])["Addresses"][0]["AllocationId"] == aid
    assert aid in [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]]
    assert [a["AllocationId"] for a in ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": ["web"]}])["Addresses"]] == [aid]
    assert [a["AllocationId"] for a in ec2.describe_addresses(Filters=[{"Name": "tag-key", "Values": ["Name"]}])["Addresses"]] == [aid]
    ec2.create_tags(Resources=[aid], Tags=[{"Key": "env", "Value": "prod"}])
    assert tags_dict(address(ec2, aid)) == {"Name": "web", "env": "prod"}
    # the default domain is vpc
    other = ec2.allocate_address()
    assert other["Domain"] == "vpc" and other["PublicIp"] != alloc["PublicIp"]
    ec2.release_address(AllocationId=other["AllocationId"])
    ec2.release_address(AllocationId=aid)
    with pytest.raises(ClientError) as e:
        ec2.describe_addresses(AllocationIds=[aid])
    assert error_of(e)[0] == "InvalidAllocationID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=aid)
    assert error_of(e)[0] == "InvalidAllocationID.NotFound"


def test_associate_with_running_instance_and_stop_start(ec2, ami):
    iid = launch(ec2, ami)
    auto_ip = describe(ec2, iid)["PublicIpAddress"]
    assert auto_ip
    alloc = ec2.allocate_address(Domain="vpc")
    aid, eip = alloc["AllocationId"], alloc["PublicIp"]
    assoc = ec2.associate_address(AllocationId=aid, InstanceId=iid)["AssociationId"]
    assert assoc.startswith("eipassoc-")

    inst = describe(ec2, iid)
    assert inst["PublicIpAddress"] == eip and eip.replace(".", "-") in inst["PublicDnsName"]
    eni = primary_eni(ec2, iid)
    assert eni["Association"]["PublicIp"] == eip
    assert eni["Association"]["IpOwnerId"] == inst["NetworkInterfaces"][0]["OwnerId"]
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert n["Association"]["AllocationId"] == aid and n["Association"]["AssociationId"] == assoc
    got = address(ec2, aid)
    assert got["AssociationId"] == assoc and got["InstanceId"] == iid
    assert got["NetworkInterfaceId"] == eni["NetworkInterfaceId"] and got["PrivateIpAddress"] == inst["PrivateIpAddress"]
    assert got["NetworkInterfaceOwnerId"] == n["OwnerId"]
    # the auto-assigned address was given back
    assert not ec2.describe_instances(Filters=[{"Name": "ip-address", "Values": [auto_ip]}])["Reservations"]
    assert ec2.describe_instances(Filters=[{"Name": "network-interface.association.allocation-id", "Values": [aid]}])["Reservations"][0]["Instances"][0]["InstanceId"] == iid

    # filters
    for name, value in [("instance-id", iid), ("association-id", assoc), ("public-ip", eip), ("allocation-id", aid),
                        ("network-interface-id", eni["NetworkInterfaceId"]), ("private-ip-address", inst["PrivateIpAddress"]),
                        ("network-interface-owner-id", n["OwnerId"]), ("network-border-group", "us-east-1")]:
        found = ec2.describe_addresses(Filters=[{"Name": name, "Values": [value]}])["Addresses"]
        assert aid in [a["AllocationId"] for a in found], name
    assert ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": ["i-00000000000000000"]}])["Addresses"] == []
    with pytest.raises(ClientError) as e:
        ec2.describe_addresses(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_of(e)[0] == "InvalidParameterValue"

    # stop/start keeps the Elastic IP
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=FAST)
    assert describe(ec2, iid)["PublicIpAddress"] == eip
    assert address(ec2, aid)["AssociationId"] == assoc
    ec2.start_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    assert describe(ec2, iid)["PublicIpAddress"] == eip

    # disassociate: the running instance gets a new auto-assigned address
    ec2.disassociate_address(AssociationId=assoc)
    after = describe(ec2, iid)
    assert after["PublicIpAddress"] and after["PublicIpAddress"] != eip
    assert primary_eni(ec2, iid)["Association"].get("AllocationId") is None
    got = address(ec2, aid)
    assert "AssociationId" not in got and "InstanceId" not in got
    with pytest.raises(ClientError) as e:
        ec2.disassociate_address(AssociationId=assoc)
    assert error_of(e)[0] == "InvalidAssociationID.NotFound"

    # terminate disassociates, the address stays allocated
    ec2.associate_address(AllocationId=aid, InstanceId=iid)
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=FAST)
    got = address(ec2, aid)
    assert "AssociationId" not in got and "InstanceId" not in got
    assert "PublicIpAddress" not in describe(ec2, iid)
    ec2.release_address(AllocationId=aid)


def test_stopped_instance_and_reassociation_rules(ec2, ami):
    a = launch(ec2, ami)
    b = launch(ec2, ami)
    first = ec2.allocate_address()["AllocationId"]
    second = ec2.allocate_address()["AllocationId"]
    assoc = ec2.associate_address(AllocationId=first, InstanceId=a)["AssociationId"]
    # associating again with the same target is idempotent
    assert ec2.associate_address(AllocationId=first, InstanceId=a)["AssociationId"] == assoc
    # reassociation is automatic unless AllowReassociation is false
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=first, InstanceId=b, AllowReassociation=False)
    code, message, _ = error_of(e)
    assert code == "Resource.AlreadyAssociated" and assoc in message
    assert address(ec2, first)["InstanceId"] == a
    moved = ec2.associate_address(AllocationId=first, InstanceId=b)["AssociationId"]
    assert moved != assoc
    assert ec2.associate_address(AllocationId=first, InstanceId=b, AllowReassociation=True)["AssociationId"] == moved
    assert address(ec2, first)["InstanceId"] == b
    assert describe(ec2, a)["PublicIpAddress"] != address(ec2, first)["PublicIp"]
    assert describe(ec2, a)["PublicIpAddress"], "a gets an auto-assigned address back"
    # a second Elastic IP on the same instance replaces the first (which stays allocated)
    ec2.associate_address(AllocationId=second, InstanceId=b)
    assert "AssociationId" not in address(ec2, first)
    assert describe(ec2, b)["PublicIpAddress"] == address(ec2, second)["PublicIp"]

    # a stopped instance can take an address; disassociating leaves it without one until it starts
    ec2.stop_instances(InstanceIds=[a])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[a], WaiterConfig=FAST)
    assert "PublicIpAddress" not in describe(ec2, a)
    assoc_a = ec2.associate_address(AllocationId=first, InstanceId=a)["AssociationId"]
    assert describe(ec2, a)["PublicIpAddress"] == address(ec2, first)["PublicIp"]
    ec2.disassociate_address(AssociationId=assoc_a)
    assert "PublicIpAddress" not in describe(ec2, a)
    ec2.start_instances(InstanceIds=[a])
    ec2.get_waiter("instance_running").wait(InstanceIds=[a], WaiterConfig=FAST)
    assert describe(ec2, a)["PublicIpAddress"]

    # by network interface
    eni = primary_eni(ec2, a)["NetworkInterfaceId"]
    by_eni = ec2.associate_address(AllocationId=first, NetworkInterfaceId=eni, PrivateIpAddress=describe(ec2, a)["PrivateIpAddress"])["AssociationId"]
    assert address(ec2, first)["InstanceId"] == a
    assert describe(ec2, a)["PublicIpAddress"] == address(ec2, first)["PublicIp"]
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=second, NetworkInterfaceId=eni, PrivateIpAddress="10.99.0.1")
    assert error_of(e)[0] == "InvalidParameterValue"
    ec2.disassociate_address(AssociationId=by_eni)

    ec2.terminate_instances(InstanceIds=[a, b])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[a, b], WaiterConfig=FAST)
    ec2.release_address(AllocationId=first)
    ec2.release_address(AllocationId=second)


def test_association_errors(ec2, ami):
    aid = ec2.allocate_address()["AllocationId"]
    pending = launch(ec2, ami, wait=False)
    cases = [
        (dict(AllocationId=aid, InstanceId="i-1234"), "InvalidInstanceID.Malformed"),
        (dict(AllocationId=aid, InstanceId="i-00000000000000000"), "InvalidInstanceID.NotFound"),
        (dict(AllocationId=aid, NetworkInterfaceId="eni-00000000000000000"), "InvalidNetworkInterfaceID.NotFound"),
        (dict(AllocationId="eipalloc-00000000000000000", InstanceId=pending), "InvalidAllocationID.NotFound"),
        (dict(AllocationId="eipalloc-bad", InstanceId=pending), "InvalidAllocationID.NotFound"),
        (dict(AllocationId=aid), "MissingParameter"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            ec2.associate_address(**kwargs)
        assert error_of(e)[0] == code, kwargs
    ec2.get_waiter("instance_running").wait(InstanceIds=[pending], WaiterConfig=FAST)
    eni = primary_eni(ec2, pending)["NetworkInterfaceId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=aid, InstanceId=pending, NetworkInterfaceId=eni)
    assert error_of(e)[0] == "InvalidParameterCombination"
    ec2.terminate_instances(InstanceIds=[pending])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[pending], WaiterConfig=FAST)
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=aid, InstanceId=pending)
    assert error_of(e)[0] == "IncorrectInstanceState"

    with pytest.raises(ClientError) as e:
        ec2.disassociate_address(AssociationId="eipassoc-00000000000000000")
    assert error_of(e)[0] == "InvalidAssociationID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_addresses(PublicIps=["203.0.113.9"])
    assert error_of(e)[0] == "InvalidAddress.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.describe_addresses(AllocationIds=["eipalloc-00000000000000000"])
    assert error_of(e)[0] == "InvalidAllocationID.NotFound"
    # VPC addresses are released by allocation id
    with pytest.raises(ClientError) as e:
        ec2.release_address(PublicIp=address(ec2, aid)["PublicIp"])
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2.allocate_address(Domain="standard")
    assert error_of(e)[0] == "InvalidParameterValue"
    ec2.release_address(AllocationId=aid)


def test_dry_run(ec2):
    with pytest.raises(ClientError) as e:
        ec2.allocate_address(DryRun=True)
    assert error_of(e)[0] == "DryRunOperation"
    assert ec2.describe_addresses()["Addresses"] == [] or all(
        a["AllocationId"] for a in ec2.describe_addresses()["Addresses"])
    before = len(ec2.describe_addresses()["Addresses"])
    aid = ec2.allocate_address()["AllocationId"]
    for call in (lambda: ec2.release_address(AllocationId=aid, DryRun=True),
                 lambda: ec2.describe_addresses(DryRun=True)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e)[0] == "DryRunOperation"
    assert len(ec2.describe_addresses()["Addresses"]) == before + 1
    ec2.release_address(AllocationId=aid)


def test_limit_per_region(server):
    client = server.ec2(region="us-east-2")
    ids = [client.allocate_address()["AllocationId"] for _ in range(5)]
    with pytest.raises(ClientError) as e:
        client.allocate_address()
    code, message, _ = error_of(e)
    assert code == "AddressLimitExceeded" and message == "The maximum number of addresses has been reached."
    # other regions are separate
    other = server.ec2(region="us-west-2").allocate_address()
    assert other["NetworkBorderGroup"] == "us-west-2"
    server.ec2(region="us-west-2").release_address(AllocationId=other["AllocationId"])
    ips = {a["PublicIp"] for a in client.describe_addresses()["Addresses"]}
    assert len(ips) == 5
    for aid in ids:
        client.release_address(AllocationId=aid)
    assert client.describe_addresses()["Addresses"] == []


def test_reverse_dns(ec2):
    aid = ec2.allocate_address()["AllocationId"]
    assert ec2.describe_addresses_attribute(AllocationIds=[aid], Attribute="domain-name")["Addresses"][0].get("PtrRecord") is None
    out = ec2.modify_address_attribute(AllocationId=aid, DomainName="mail.example.com")["Address"]
    assert out["PtrRecordUpdate"]["Status"] == "PENDING"
    got = ec2.describe_addresses_attribute(AllocationIds=[aid], Attribute="domain-name")["Addresses"][0]
    assert got["PtrRecord"] == "mail.example.com." and got["AllocationId"] == aid
    ec2.reset_address_attribute(AllocationId=aid, Attribute="domain-name")
    assert ec2.describe_addresses_attribute(AllocationIds=[aid], Attribute="domain-name")["Addresses"][0].get("PtrRecord") is None
    with pytest.raises(ClientError) as e:
        ec2.modify_address_attribute(AllocationId=aid, DomainName="not a name")
    assert error_of(e)[0] == "InvalidParameterValue"
    ec2.release_address(AllocationId=aid)


def test_cli_allocate_and_associate(server, ec2, ami):
    cli = server.cli_json
    iid = launch(ec2, ami)
    alloc = cli("--profile", "stratus", "ec2", "allocate-address", "--domain", "vpc",
                "--tag-specifications", "ResourceType=elastic-ip,Tags=[{Key=Name,Value=cli}]")
    assert alloc["AllocationId"].startswith("eipalloc-") and alloc["Domain"] == "vpc"
    assoc = cli("--profile", "stratus", "ec2", "associate-address", "--instance-id", iid, "--allocation-id", alloc["AllocationId"])
    assert assoc["AssociationId"].startswith("eipassoc-")
    ip = server.cli("--profile", "stratus", "ec2", "describe-instances", "--instance-ids", iid,
                    "--query", "Reservations[0].Instances[0].PublicIpAddress", "--output", "text", check=True).stdout.strip()
    assert ip == alloc["PublicIp"]
    again = server.cli("--profile", "stratus", "ec2", "associate-address", "--instance-id", iid, "--public-ip", alloc["PublicIp"], "--allow-reassociation")
    assert again.returncode == 0, again.stderr
    other = launch(ec2, ami)
    refused = server.cli("--profile", "stratus", "ec2", "associate-address", "--instance-id", other, "--allocation-id", alloc["AllocationId"], "--no-allow-reassociation")
    assert refused.returncode != 0 and "Resource.AlreadyAssociated" in refused.stderr
    out = cli("--profile", "stratus", "ec2", "describe-addresses", "--filters", f"Name=instance-id,Values={iid}")
    assert [a["AllocationId"] for a in out["Addresses"]] == [alloc["AllocationId"]]
    server.cli("--profile", "stratus", "ec2", "disassociate-address", "--association-id", out["Addresses"][0]["AssociationId"], check=True)
    failed = server.cli("--profile", "stratus", "ec2", "release-address", "--public-ip", alloc["PublicIp"])
    assert failed.returncode != 0 and "InvalidParameterValue" in failed.stderr
    server.cli("--profile", "stratus", "ec2", "release-address", "--allocation-id", alloc["AllocationId"], check=True)
    ec2.terminate_instances(InstanceIds=[iid, other])


def test_release_in_default_and_other_vpcs(ec2, ami):
    # in the default VPC, releasing an associated address disassociates it first
    iid = launch(ec2, ami)
    alloc = ec2.allocate_address()
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=iid)
    ec2.release_address(AllocationId=alloc["AllocationId"])
    after = describe(ec2, iid)
    assert after["PublicIpAddress"] and after["PublicIpAddress"] != alloc["PublicIp"]
    assert not ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [iid]}])["Addresses"]
    ec2.terminate_instances(InstanceIds=[iid])

    # another VPC: an interface there needs an internet gateway, and the address must be disassociated first
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
    aid = ec2.allocate_address()["AllocationId"]
    with pytest.raises(ClientError) as e:
        ec2.associate_address(AllocationId=aid, NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert error_of(e)[0] == "Gateway.NotAttached"
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assoc = ec2.associate_address(AllocationId=aid, NetworkInterfaceId=eni["NetworkInterfaceId"])["AssociationId"]
    got = address(ec2, aid)
    assert got["NetworkInterfaceId"] == eni["NetworkInterfaceId"] and got["PrivateIpAddress"] == eni["PrivateIpAddress"]
    assert "InstanceId" not in got
    n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert n["Association"]["AllocationId"] == aid and n["Association"]["PublicIp"] == got["PublicIp"]
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=aid)
    assert error_of(e)[0] == "InvalidIPAddress.InUse"
    with pytest.raises(ClientError) as e:
        ec2.release_address(AllocationId=aid, NetworkBorderGroup="us-west-2")
    assert error_of(e)[0] == "InvalidAddress.NotFound"
    ec2.disassociate_address(AssociationId=assoc)
    assert "Association" not in ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    # an address whose interface is deleted is no longer associated
    ec2.associate_address(AllocationId=aid, NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert "AssociationId" not in address(ec2, aid)
    ec2.release_address(AllocationId=aid)
