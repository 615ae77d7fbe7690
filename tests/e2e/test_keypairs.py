"""Key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair.

The private keys Stratus hands out are checked with OpenSSH itself (ssh-keygen derives the public
key from them and signs with them), and every fingerprint is recomputed with openssl / ssh-keygen
exactly as the EC2 user guide says to verify one.
"""

import base64
import hashlib
import os
import shutil
import struct
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, tags_dict


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------

def _tool(name: str, package: str) -> str:
    """The path of a command-line tool, installed from Debian's packages if missing (as root)."""
    path = shutil.which(name)
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        # scripts/install-deps.sh installs these; this covers a run of this module on its own.
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", package]
        if subprocess.run(install, capture_output=True, timeout=600, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=600, env=env)
            subprocess.run(install, capture_output=True, timeout=600, env=env)
        path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is needed to check key material (Debian package {package}); install it", pytrace=False)
    return path


def run(*args, input=None, check=True) -> subprocess.CompletedProcess:
    p = subprocess.run(list(args), input=input, capture_output=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}: {p.stderr.decode(errors='replace')}")
    return p


def ssh_keygen(*args, **kw):
    return run(_tool("ssh-keygen", "openssh-client"), *args, **kw)


def openssl(*args, **kw):
    return run(_tool("openssl", "openssl"), *args, **kw)


def write_private(path, material: str):
    with open(path, "w") as f:
        f.write(material if material.endswith("\n") else material + "\n")
    os.chmod(path, 0o600)
    return str(path)


def derived_public(path) -> str:
    """`ssh-keygen -y`: the public key OpenSSH derives from a private key file (type and base64)."""
    return " ".join(ssh_keygen("-y", "-f", str(path)).stdout.decode().split()[:2])


def sha256_fingerprint(path) -> str:
    """What `ssh-keygen -l` shows after "SHA256:"."""
    out = ssh_keygen("-l", "-E", "sha256", "-f", str(path)).stdout.decode().split()
    assert out[1].startswith("SHA256:"), out
    return out[1][len("SHA256:"):]


def sign_and_verify(private_path, public_line: str, tmp_path):
    """Proves the private key belongs to the stored public key: sign with one, verify with the other."""
    data = tmp_path / "data.txt"
    data.write_text("stratus key pair check\n")
    # ssh-keygen -Y sign wants the public half beside a PEM private key: derive it from the private key.
    with open(str(private_path) + ".pub", "w") as f:
        f.write(derived_public(private_path) + "\n")
    ssh_keygen("-Y", "sign", "-f", str(private_path), "-n", "file", str(data))
    signers = tmp_path / "allowed_signers"
    signers.write_text("tester " + " ".join(public_line.split()[:2]) + "\n")
    with open(data, "rb") as f:
        ssh_keygen("-Y", "verify", "-f", str(signers), "-I", "tester", "-n", "file", "-s", str(data) + ".sig", input=f.read())


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def describe(ec2, name, **kw):
    pairs = ec2.describe_key_pairs(KeyNames=[name], **kw)["KeyPairs"]
    assert len(pairs) == 1, pairs
    return pairs[0]


def new_ssh_key(tmp_path, name, *args):
    path = tmp_path / name
    ssh_keygen("-q", "-N", "", "-C", f"{name}@test", "-f", str(path), *args)
    return path


# --------------------------------------------------------------------------------------------
# CreateKeyPair
# --------------------------------------------------------------------------------------------

def test_cli_create_key_pair_pem_is_an_openssh_usable_rsa_key(server, tmp_path):
    """The seed lab: aws ec2 create-key-pair --query 'KeyMaterial' --output text > MyKeyPair.pem"""
    p = server.cli("--profile", "stratus", "ec2", "create-key-pair", "--key-name", "MyKeyPair",
                   "--query", "KeyMaterial", "--output", "text", check=True)
    pem = tmp_path / "MyKeyPair.pem"
    pem.write_text(p.stdout)
    os.chmod(pem, 0o400)
    text = pem.read_text()
    assert text.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert text.rstrip().endswith("-----END RSA PRIVATE KEY-----")
    assert ssh_keygen("-l", "-f", str(pem)).stdout.decode().split()[0] == "2048"

    ec2 = server.ec2()
    info = describe(ec2, "MyKeyPair", IncludePublicKey=True)
    assert info["KeyType"] == "rsa"
    assert info["KeyPairId"].startswith("key-") and len(info["KeyPairId"]) == 21
    assert " ".join(info["PublicKey"].split()[:2]) == derived_public(pem)
    # Created RSA: SHA-1 of the DER PKCS#8 private key, as the EC2 user guide verifies it.
    der = openssl("pkcs8", "-in", str(pem), "-inform", "PEM", "-outform", "DER", "-topk8", "-nocrypt").stdout
    expected = openssl("sha1", "-c", input=der).stdout.decode().split("= ")[-1].strip()
    assert info["KeyFingerprint"] == expected == colon_hex(hashlib.sha1(der).digest())
    sign_and_verify(pem, info["PublicKey"], tmp_path)


def test_boto3_create_ed25519(ec2, tmp_path):
    created = ec2.create_key_pair(KeyName="ed-key", KeyType="ed25519")
    material = created["KeyMaterial"]
    assert material.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert material.rstrip().endswith("-----END OPENSSH PRIVATE KEY-----")
    assert "KeyMaterial" not in describe(ec2, "ed-key")
    key = write_private(tmp_path / "ed.pem", material)
    info = describe(ec2, "ed-key", IncludePublicKey=True)
    assert info["KeyType"] == "ed25519" and info["KeyPairId"] == created["KeyPairId"]
    assert info["PublicKey"].startswith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
    assert " ".join(info["PublicKey"].split()[:2]) == derived_public(key)
    # Ed25519: base64 SHA-256 of the public key blob, padded, without ssh-keygen's "SHA256:".
    assert created["KeyFingerprint"] == info["KeyFingerprint"] == sha256_fingerprint(key) + "="
    blob = base64.b64decode(info["PublicKey"].split()[1])
    assert created["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
    sign_and_verify(key, info["PublicKey"], tmp_path)


def test_every_created_key_is_new(ec2):
    a = ec2.create_key_pair(KeyName="fresh-a")
    b = ec2.create_key_pair(KeyName="fresh-b")
    assert a["KeyMaterial"] != b["KeyMaterial"] and a["KeyFingerprint"] != b["KeyFingerprint"]
    assert a["KeyPairId"] != b["KeyPairId"]


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_create_ppk(ec2, tmp_path, key_type):
    name = f"putty-{key_type}"
    created = ec2.create_key_pair(KeyName=name, KeyType=key_type, KeyFormat="ppk")
    ppk = tmp_path / f"{name}.ppk"
    ppk.write_text(created["KeyMaterial"])
    assert created["KeyMaterial"].startswith(f"PuTTY-User-Key-File-2: ssh-{key_type}\nEncryption: none\nComment: {name}\n")
    puttygen = _tool("puttygen", "putty-tools")
    info = describe(ec2, name, IncludePublicKey=True)
    # PuTTYgen checks the file's MAC and reads both halves; its OpenSSH export must sign for the stored key.
    public = run(puttygen, str(ppk), "-O", "public-openssh").stdout.decode()
    assert public.split()[:2] == info["PublicKey"].split()[:2]
    pem = tmp_path / f"{name}.pem"
    run(puttygen, str(ppk), "-O", "private-openssh", "-o", str(pem))
    os.chmod(pem, 0o600)
    sign_and_verify(pem, info["PublicKey"], tmp_path)
    if key_type == "rsa":
        der = openssl("pkcs8", "-in", str(pem), "-outform", "DER", "-topk8", "-nocrypt").stdout
        assert created["KeyFingerprint"] == colon_hex(hashlib.sha1(der).digest())
    else:
        assert created["KeyFingerprint"] == sha256_fingerprint(pem) + "="


def test_create_with_tags_and_describe_fields(ec2):
    created = ec2.create_key_pair(KeyName="tagged", TagSpecifications=[
        {"ResourceType": "key-pair", "Tags": [{"Key": "Name", "Value": "tagged"}, {"Key": "team", "Value": "blue"}]}])
    assert tags_dict(created) == {"Name": "tagged", "team": "blue"}
    info = describe(ec2, "tagged")
    assert tags_dict(info) == {"Name": "tagged", "team": "blue"}
    assert "PublicKey" not in info
    assert info["CreateTime"].year >= 2024
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [created["KeyPairId"]]}])["Tags"]
    assert {(t["Key"], t["ResourceType"]) for t in tags} == {("Name", "key-pair"), ("team", "key-pair")}
    ec2.create_tags(Resources=[created["KeyPairId"]], Tags=[{"Key": "env", "Value": "prod"}])
    ec2.delete_tags(Resources=[created["KeyPairId"]], Tags=[{"Key": "team"}])
    assert tags_dict(describe(ec2, "tagged")) == {"Name": "tagged", "env": "prod"}
    with pytest.raises(ClientError) as ei:
        ec2.create_key_pair(KeyName="wrong-tag-type", TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}])
    assert error_of(ei)[0] == "InvalidParameterValue"
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["wrong-tag-type"]}])["KeyPairs"] == []


def test_create_errors(server, ec2):
    ec2.create_key_pair(KeyName="dup")
    for call in (lambda: ec2.create_key_pair(KeyName="dup"),
                 lambda: ec2.create_key_pair(KeyName="dup", KeyType="ed25519"),
                 lambda: ec2.import_key_pair(KeyName="dup", PublicKeyMaterial=b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOy6fkQ+guxhwwyvh3JuITSy24QTnbL1A8rmtLpiNxSE")):
        with pytest.raises(ClientError) as ei:
            call()
        assert error_of(ei) == ("InvalidKeyPair.Duplicate", "The keypair 'dup' already exists.", 400)
    # Names are per region and per account.
    server.ec2("eu-west-1").create_key_pair(KeyName="dup")
    other = server.ec2(credentials=server.create_account("keypairs-other"))
    other.create_key_pair(KeyName="dup")
    assert [k["KeyName"] for k in other.describe_key_pairs()["KeyPairs"]] == ["dup"]

    ec2.create_key_pair(KeyName="n" * 255)
    for name in ("n" * 256, "caf\u00e9"):
        with pytest.raises(ClientError) as ei:
            ec2.create_key_pair(KeyName=name)
        assert error_of(ei)[0] == "InvalidParameterValue"
    for bad in ({"KeyType": "dsa"}, {"KeyFormat": "der"}):
        with pytest.raises(ClientError) as ei:
            ec2.create_key_pair(KeyName="bad-enum", **bad)
        assert error_of(ei)[0] == "InvalidParameterValue"
    assert server.raw({"Action": "CreateKeyPair"}).code == "MissingParameter"
    assert server.raw({"Action": "CreateKeyPair", "KeyName": ""}).code == "MissingParameter"


def test_dry_run(ec2):
    for call in (lambda: ec2.create_key_pair(KeyName="dry", DryRun=True),
                 lambda: ec2.import_key_pair(KeyName="dry", DryRun=True, PublicKeyMaterial=b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOy6fkQ+guxhwwyvh3JuITSy24QTnbL1A8rmtLpiNxSE"),
                 lambda: ec2.describe_key_pairs(DryRun=True)):
        with pytest.raises(ClientError) as ei:
            call()
        assert error_of(ei)[0::2] == ("DryRunOperation", 412)
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["dry"]}])["KeyPairs"] == []
    created = ec2.create_key_pair(KeyName="dry-delete")
    with pytest.raises(ClientError) as ei:
        ec2.delete_key_pair(KeyPairId=created["KeyPairId"], DryRun=True)
    assert error_of(ei)[0] == "DryRunOperation"
    assert describe(ec2, "dry-delete")["KeyPairId"] == created["KeyPairId"]
    # A DryRun that would fail answers the real error.
    with pytest.raises(ClientError) as ei:
        ec2.create_key_pair(KeyName="dry-delete", DryRun=True)
    assert error_of(ei)[0] == "InvalidKeyPair.Duplicate"


# --------------------------------------------------------------------------------------------
# ImportKeyPair
# --------------------------------------------------------------------------------------------

def rsa_der_md5(pub_path) -> str:
    """The user guide's check for an imported key: MD5 of the DER public key, via openssl."""
    pkcs8 = ssh_keygen("-e", "-m", "PKCS8", "-f", str(pub_path)).stdout
    der = openssl("pkey", "-pubin", "-outform", "DER", input=pkcs8).stdout
    out = openssl("md5", "-c", input=der).stdout.decode().split("= ")[-1].strip()
    assert out == colon_hex(hashlib.md5(der).digest())
    return out


@pytest.mark.parametrize("bits", [1024, 2048, 3072, 4096])
def test_import_rsa(ec2, tmp_path, bits):
    key = new_ssh_key(tmp_path, f"rsa{bits}", "-t", "rsa", "-b", str(bits))
    line = (tmp_path / f"rsa{bits}.pub").read_text().strip()
    result = ec2.import_key_pair(KeyName=f"imported-rsa-{bits}", PublicKeyMaterial=line.encode())
    assert result["KeyName"] == f"imported-rsa-{bits}" and result["KeyPairId"].startswith("key-")
    assert result["KeyFingerprint"] == rsa_der_md5(f"{key}.pub")
    info = describe(ec2, f"imported-rsa-{bits}", IncludePublicKey=True)
    assert info["KeyType"] == "rsa" and info["KeyFingerprint"] == result["KeyFingerprint"]
    assert info["PublicKey"] == line
    sign_and_verify(key, info["PublicKey"], tmp_path)


def test_import_ed25519_with_cli(server, tmp_path):
    key = new_ssh_key(tmp_path, "ed", "-t", "ed25519")
    out = server.cli_json("--profile", "stratus", "ec2", "import-key-pair", "--key-name", "imported-ed",
                          "--public-key-material", f"fileb://{key}.pub",
                          "--tag-specifications", "ResourceType=key-pair,Tags=[{Key=origin,Value=laptop}]")
    assert out["KeyFingerprint"] == sha256_fingerprint(f"{key}.pub") + "="
    assert tags_dict(out) == {"origin": "laptop"}
    info = describe(server.ec2(), "imported-ed", IncludePublicKey=True)
    assert info["KeyType"] == "ed25519" and tags_dict(info) == {"origin": "laptop"}
    assert info["PublicKey"] == (tmp_path / "ed.pub").read_text().strip()
    sign_and_verify(key, info["PublicKey"], tmp_path)


def test_import_accepts_rfc4716_pem_and_der(ec2, tmp_path):
    key = new_ssh_key(tmp_path, "formats", "-t", "rsa", "-b", "2048")
    pub = f"{key}.pub"
    expected = rsa_der_md5(pub)
    openssh_line = " ".join(open(pub).read().split()[:2])
    pkcs8_pem = ssh_keygen("-e", "-m", "PKCS8", "-f", pub).stdout
    der = openssl("pkey", "-pubin", "-outform", "DER", input=pkcs8_pem).stdout
    materials = {
        "rfc4716": ssh_keygen("-e", "-f", pub).stdout,  # ---- BEGIN SSH2 PUBLIC KEY ----
        "pem-spki": pkcs8_pem,                           # -----BEGIN PUBLIC KEY-----
        "pem-pkcs1": ssh_keygen("-e", "-m", "PEM", "-f", pub).stdout,  # -----BEGIN RSA PUBLIC KEY-----
        "der": der,
        "base64-der": base64.b64encode(der),
        "crlf-openssh": open(pub, "rb").read().replace(b"\n", b"\r\n"),
    }
    assert materials["rfc4716"].startswith(b"---- BEGIN SSH2 PUBLIC KEY ----")
    for label, material in materials.items():
        result = ec2.import_key_pair(KeyName=f"format-{label}", PublicKeyMaterial=material)
        assert result["KeyFingerprint"] == expected, label
        assert " ".join(describe(ec2, f"format-{label}", IncludePublicKey=True)["PublicKey"].split()[:2]) == openssh_line, label

    ed = new_ssh_key(tmp_path, "ed-formats", "-t", "ed25519")
    ed_fp = sha256_fingerprint(f"{ed}.pub") + "="
    ed_rfc = ssh_keygen("-e", "-f", f"{ed}.pub").stdout
    assert ec2.import_key_pair(KeyName="format-ed-rfc4716", PublicKeyMaterial=ed_rfc)["KeyFingerprint"] == ed_fp
    ed_pem = openssl("pkey", "-in", str(ed), "-pubout", check=False)
    if ed_pem.returncode == 0:  # OpenSSL reads OpenSSH's own private key format only on some builds
        assert ec2.import_key_pair(KeyName="format-ed-pem", PublicKeyMaterial=ed_pem.stdout)["KeyFingerprint"] == ed_fp
    raw = base64.b64decode(open(f"{ed}.pub").read().split()[1])[-32:]
    spki = bytes.fromhex("302a300506032b6570032100") + raw
    assert ec2.import_key_pair(KeyName="format-ed-der", PublicKeyMaterial=spki)["KeyFingerprint"] == ed_fp


def ssh_blob(*fields) -> bytes:
    out = b""
    for f in fields:
        if isinstance(f, str):
            f = f.encode()
        out += struct.pack(">I", len(f)) + f
    return out


def test_import_rejects_other_types_and_garbage(ec2, tmp_path):
    ecdsa = new_ssh_key(tmp_path, "ecdsa", "-t", "ecdsa")
    small = openssl("genrsa", "768").stdout
    small_pub = openssl("rsa", "-pubout", input=small).stdout
    huge_modulus = b"\x00\xc3" + b"\x5a" * 1022 + b"\x01"  # 8192 bits, odd
    huge = b"ssh-rsa " + base64.b64encode(ssh_blob("ssh-rsa", b"\x01\x00\x01", huge_modulus))
    mismatch = b"ssh-rsa " + base64.b64encode(ssh_blob("ssh-ed25519", b"\x11" * 32))
    short_ed = b"ssh-ed25519 " + base64.b64encode(ssh_blob("ssh-ed25519", b"\x11" * 31))
    bad = {
        "ecdsa": open(f"{ecdsa}.pub", "rb").read(),
        "dss": b"ssh-dss " + base64.b64encode(ssh_blob("ssh-dss", b"\x01", b"\x02", b"\x03", b"\x04")),
        "garbage": b"this is not a key",
        "bad-base64": b"ssh-rsa AAAA!!!notbase64",
        "truncated": b"ssh-rsa " + base64.b64encode(ssh_blob("ssh-rsa", b"\x01\x00\x01"))[:-4],
        "type-mismatch": mismatch,
        "short-ed25519": short_ed,
        "binary": bytes(range(256)),
        "rsa-768": small_pub,
        "rsa-8192": huge,
        "private-key": small,
    }
    for label, material in bad.items():
        with pytest.raises(ClientError) as ei:
            ec2.import_key_pair(KeyName=f"bad-{label}", PublicKeyMaterial=material)
        code, message, status = error_of(ei)
        assert (code, status) == ("InvalidKey.Format", 400), label
        assert message.startswith("Key is not in valid OpenSSH public key format"), label
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["bad-*"]}])["KeyPairs"] == []


# --------------------------------------------------------------------------------------------
# DescribeKeyPairs
# --------------------------------------------------------------------------------------------

def test_describe_filters_and_lookups(server, tmp_path):
    ec2 = server.ec2("us-west-2")
    a = ec2.create_key_pair(KeyName="alpha", TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "env", "Value": "dev"}]}])
    b = ec2.create_key_pair(KeyName="beta", KeyType="ed25519", TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "env", "Value": "prod"}]}])
    key = new_ssh_key(tmp_path, "gamma", "-t", "ed25519")
    c = ec2.import_key_pair(KeyName="gamma", PublicKeyMaterial=open(f"{key}.pub", "rb").read())

    def names(**kw):
        return [k["KeyName"] for k in ec2.describe_key_pairs(**kw)["KeyPairs"]]

    assert names() == ["alpha", "beta", "gamma"]
    assert names(KeyNames=["gamma", "alpha"]) == ["alpha", "gamma"]
    assert names(KeyPairIds=[b["KeyPairId"]]) == ["beta"]
    assert names(Filters=[{"Name": "key-name", "Values": ["a*", "g?mma"]}]) == ["alpha", "gamma"]
    assert names(Filters=[{"Name": "key-pair-id", "Values": [a["KeyPairId"], c["KeyPairId"]]}]) == ["alpha", "gamma"]
    assert names(Filters=[{"Name": "fingerprint", "Values": [b["KeyFingerprint"]]}]) == ["beta"]
    assert names(Filters=[{"Name": "tag:env", "Values": ["prod"]}]) == ["beta"]
    assert names(Filters=[{"Name": "tag-key", "Values": ["env"]}]) == ["alpha", "beta"]
    assert names(Filters=[{"Name": "tag-value", "Values": ["dev"]}]) == ["alpha"]
    assert names(KeyNames=["alpha", "beta"], Filters=[{"Name": "tag:env", "Values": ["prod"]}]) == ["beta"]
    assert names(Filters=[{"Name": "key-name", "Values": ["nothing*"]}]) == []
    types = {k["KeyName"]: k["KeyType"] for k in ec2.describe_key_pairs()["KeyPairs"]}
    assert types == {"alpha": "rsa", "beta": "ed25519", "gamma": "ed25519"}
    # The CLI's --include-public-key and the other region's emptiness.
    out = server.cli_json("--profile", "stratus", "--region", "us-west-2", "ec2", "describe-key-pairs",
                          "--key-names", "gamma", "--include-public-key")
    assert out["KeyPairs"][0]["PublicKey"] == open(f"{key}.pub").read().strip()
    assert server.ec2("ap-southeast-2").describe_key_pairs()["KeyPairs"] == []

    for kw, code, message in [
        ({"KeyNames": ["alpha", "missing"]}, "InvalidKeyPair.NotFound", "The key pair 'missing' does not exist"),
        ({"KeyPairIds": ["key-0123456789abcdef0"]}, "InvalidKeyPair.NotFound", None),
        ({"KeyPairIds": ["key-nothex"]}, "InvalidKeyPair.NotFound", None),
        ({"KeyPairIds": ["vpc-0123456789abcdef0"]}, "InvalidKeyPair.NotFound", None),
        ({"Filters": [{"Name": "key-type", "Values": ["rsa"]}]}, "InvalidParameterValue", None),
    ]:
        with pytest.raises(ClientError) as ei:
            ec2.describe_key_pairs(**kw)
        assert error_of(ei)[0::2] == (code, 400), kw
        if message:
            assert error_of(ei)[1] == message


def test_key_pair_exists_waiter(ec2):
    waiter = ec2.get_waiter("key_pair_exists")
    ec2.create_key_pair(KeyName="waited")
    waiter.wait(KeyNames=["waited"], WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    from botocore.exceptions import WaiterError
    with pytest.raises(WaiterError):
        waiter.wait(KeyNames=["never-created"], WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_key_pairs_survive_restart(server_factory):
    srv = server_factory()
    created = srv.ec2().create_key_pair(KeyName="durable", KeyType="ed25519")
    srv.restart()
    info = describe(srv.ec2(), "durable", IncludePublicKey=True)
    assert info["KeyPairId"] == created["KeyPairId"] and info["KeyFingerprint"] == created["KeyFingerprint"]


# --------------------------------------------------------------------------------------------
# DeleteKeyPair
# --------------------------------------------------------------------------------------------

def test_delete(server):
    ec2 = server.ec2("us-east-2")
    by_name = ec2.create_key_pair(KeyName="del-by-name")
    by_id = ec2.create_key_pair(KeyName="del-by-id", KeyType="ed25519")
    out = ec2.delete_key_pair(KeyName="del-by-name")
    assert out["Return"] is True and out["KeyPairId"] == by_name["KeyPairId"]
    out = ec2.delete_key_pair(KeyPairId=by_id["KeyPairId"])
    assert out["Return"] is True and out["KeyPairId"] == by_id["KeyPairId"]
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    # The name is free again.
    ec2.create_key_pair(KeyName="del-by-name")
    # Deleting a name that does not exist succeeds, as in EC2.
    out = ec2.delete_key_pair(KeyName="never-existed")
    assert out["Return"] is True and "KeyPairId" not in out
    p = server.cli("--profile", "stratus", "--region", "us-east-2", "ec2", "delete-key-pair", "--key-name", "del-by-name")
    assert p.returncode == 0, p.stderr
    for kw in ({"KeyPairId": "key-0123456789abcdef0"}, {"KeyPairId": "key-bad"}):
        with pytest.raises(ClientError) as ei:
            ec2.delete_key_pair(**kw)
        assert error_of(ei)[0::2] == ("InvalidKeyPair.NotFound", 400)
    with pytest.raises(ClientError) as ei:
        ec2.delete_key_pair()
    assert error_of(ei)[0] == "MissingParameter"
