"""Instance firmware: GetInstanceUefiData (the UEFI variable store an instance keeps from launch,
through stop and start, into images made from it) and GetInstanceTpmEkPub (NitroTPM endorsement
keys in der and tpmt form). Mock runtime, one server for the module."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import error_of

MOCK_BOOT_SECONDS = 0.2
WAIT = {"Delay": 0.5, "MaxAttempts": 60}


def var_store(entries: int, payload: bytes = b"") -> str:
    """A variable store in EC2's UefiData layout (python-uefivars' aws format)."""
    body = struct.pack("<I", 0) + zlib.compress(struct.pack("<q", entries) + payload)
    return base64.b64encode(b"AMZNUEFI" + struct.pack("<I", zlib.crc32(body)) + body).decode()


def decoded_entries(data: str) -> int:
    blob = base64.b64decode(data)
    assert blob[:8] == b"AMZNUEFI" and struct.unpack("<I", blob[8:12])[0] == zlib.crc32(blob[12:])
    return struct.unpack("<q", zlib.decompress(blob[16:])[:8])[0]


def launch(ec2, image, itype="t3.micro"):
    iid = ec2.run_instances(ImageId=image, InstanceType=itype, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=WAIT)
    return iid


@pytest.fixture(scope="module")
def snapshot(ec2):
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig=WAIT)
    sid = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=WAIT)
    return sid


def register(ec2, name, snapshot, **kwargs):
    return ec2.register_image(Name=name, RootDeviceName="/dev/xvda", Architecture="x86_64", EnaSupport=True,
                              BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}], **kwargs)["ImageId"]


def test_uefi_data_of_an_instance_lives_through_stop_start_and_into_its_image(ec2, ami):
    iid = launch(ec2, ami)  # the catalog image is uefi-preferred; t3 offers UEFI
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["BootMode"] == "uefi-preferred"
    data = ec2.get_instance_uefi_data(InstanceId=iid)
    assert data["InstanceId"] == iid and decoded_entries(data["UefiData"]) == 0
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=WAIT)
    ec2.start_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=WAIT)
    assert ec2.get_instance_uefi_data(InstanceId=iid)["UefiData"] == data["UefiData"]

    made = ec2.create_image(InstanceId=iid, Name="uefi-from-instance")["ImageId"]
    assert ec2.describe_image_attribute(ImageId=made, Attribute="uefiData")["UefiData"]["Value"] == data["UefiData"]

    with pytest.raises(ClientError) as ei:
        ec2.get_instance_uefi_data(InstanceId=iid, DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    ec2.terminate_instances(InstanceIds=[iid])


def test_an_image_s_uefi_data_seeds_its_instances(ec2, snapshot):
    store = var_store(1, b"\x00" * 64)
    image = register(ec2, "uefi-with-vars", snapshot, BootMode="uefi", UefiData=store)
    assert ec2.describe_image_attribute(ImageId=image, Attribute="uefiData")["UefiData"]["Value"] == store
    iid = launch(ec2, image, "m5.large")
    assert ec2.get_instance_uefi_data(InstanceId=iid)["UefiData"] == store
    ec2.terminate_instances(InstanceIds=[iid])
    with pytest.raises(ClientError) as ei:  # a UEFI-only image needs a type that boots UEFI
        ec2.run_instances(ImageId=image, InstanceType="t2.micro", MinCount=1, MaxCount=1)
    assert error_of(ei)[0] == "InvalidParameterCombination"


def test_uefi_errors(ec2, ami, snapshot):
    legacy = launch(ec2, ami, "t2.micro")  # uefi-preferred on a type with legacy BIOS only
    with pytest.raises(ClientError) as ei:
        ec2.get_instance_uefi_data(InstanceId=legacy)
    code, message, status = error_of(ei)
    assert (code, status) == ("UnsupportedOperation", 400) and legacy in message
    ec2.terminate_instances(InstanceIds=[legacy])

    for bad_id, expected in (("i-0123456789abcdef0", "InvalidInstanceID.NotFound"), ("i-nope", "InvalidInstanceID.Malformed")):
        with pytest.raises(ClientError) as ei:
            ec2.get_instance_uefi_data(InstanceId=bad_id)
        assert error_of(ei)[0] == expected

    for kwargs in ({"UefiData": "not base64!"}, {"UefiData": base64.b64encode(b"NOTUEFI-" + b"\0" * 20).decode()},
                   {"UefiData": "A" * 64004}, {"BootMode": "bios"}, {"TpmSupport": "v1.2", "BootMode": "uefi"}):
        with pytest.raises(ClientError) as ei:
            register(ec2, "bad-firmware", snapshot, **kwargs)
        assert error_of(ei)[0] == "InvalidParameterValue", kwargs
    with pytest.raises(ClientError) as ei:
        register(ec2, "tpm-without-uefi", snapshot, TpmSupport="v2.0", BootMode="legacy-bios")
    assert error_of(ei)[0] == "InvalidParameterCombination"


def test_nitro_tpm_endorsement_keys(server, ec2, ami, snapshot):
    image = register(ec2, "nitrotpm", snapshot, BootMode="uefi-preferred", TpmSupport="v2.0")
    assert ec2.describe_image_attribute(ImageId=image, Attribute="tpmSupport")["TpmSupport"]["Value"] == "v2.0"
    iid = launch(ec2, image, "m6i.large")

    der = ec2.get_instance_tpm_ek_pub(InstanceId=iid, KeyType="rsa-2048", KeyFormat="der")
    assert (der["InstanceId"], der["KeyType"], der["KeyFormat"]) == (iid, "rsa-2048", "der")
    rsa_key = serialization.load_der_public_key(base64.b64decode(der["KeyValue"]))
    assert isinstance(rsa_key, rsa.RSAPublicKey) and rsa_key.key_size == 2048
    tpmt = base64.b64decode(ec2.get_instance_tpm_ek_pub(InstanceId=iid, KeyType="rsa-2048", KeyFormat="tpmt")["KeyValue"])
    # TPMT_PUBLIC of the TCG default RSA EK template: RSA, SHA-256, attributes 0x000300b2, policy A, then the modulus.
    assert tpmt[:10] == bytes.fromhex("0001000b000300b20020") and tpmt[10:14] == bytes.fromhex("83719767")
    assert int.from_bytes(tpmt[-256:], "big") == rsa_key.public_numbers().n and tpmt[-258:-256] == b"\x01\x00"

    ecc = ec2.get_instance_tpm_ek_pub(InstanceId=iid, KeyType="ecc-sec-p384", KeyFormat="der")["KeyValue"]
    ecc_key = serialization.load_der_public_key(base64.b64decode(ecc))
    assert isinstance(ecc_key, ec.EllipticCurvePublicKey) and ecc_key.curve.name == "secp384r1"
    ecc_tpmt = base64.b64decode(ec2.get_instance_tpm_ek_pub(InstanceId=iid, KeyType="ecc-sec-p384", KeyFormat="tpmt")["KeyValue"])
    assert ecc_tpmt[:4] == bytes.fromhex("0023000c") and int.from_bytes(ecc_tpmt[-48:], "big") == ecc_key.public_numbers().y

    # The keys belong to the instance: the same after a stop and start.
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=WAIT)
    assert ec2.get_instance_tpm_ek_pub(InstanceId=iid, KeyType="rsa-2048", KeyFormat="der")["KeyValue"] == der["KeyValue"]

    # The aws CLI prints the same key.
    p = server.cli("--profile", "stratus", "ec2", "get-instance-tpm-ek-pub", "--instance-id", iid, "--key-type", "ecc-sec-p384",
                   "--key-format", "der", "--query", "KeyValue", "--output", "text", check=True)
    assert p.stdout.strip() == ecc

    for kwargs, expected in (({"KeyType": "rsa-4096", "KeyFormat": "der"}, "InvalidParameterValue"),
                             ({"KeyType": "rsa-2048", "KeyFormat": "pem"}, "InvalidParameterValue")):
        with pytest.raises(ClientError) as ei:
            ec2.get_instance_tpm_ek_pub(InstanceId=iid, **kwargs)
        assert error_of(ei)[0] == expected
    without = launch(ec2, ami)  # the catalog image declares no TpmSupport
    with pytest.raises(ClientError) as ei:
        ec2.get_instance_tpm_ek_pub(InstanceId=without, KeyType="rsa-2048", KeyFormat="der")
    assert error_of(ei)[0] == "UnsupportedOperation"
    on_xen = launch(ec2, image, "m4.large")  # uefi-preferred boots legacy BIOS on Xen: no NitroTPM
    with pytest.raises(ClientError) as ei:
        ec2.get_instance_tpm_ek_pub(InstanceId=on_xen, KeyType="rsa-2048", KeyFormat="der")
    assert error_of(ei)[0] == "UnsupportedOperation"
    ec2.terminate_instances(InstanceIds=[iid, without, on_xen])
