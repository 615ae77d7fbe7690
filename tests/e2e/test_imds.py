"""The instance metadata service's listener, from outside: `--metadata-port`, what the port answers to
a caller that is not a guest, and the identity-document certificate on the API endpoint. (What IMDS
serves to guests needs a runtime that identifies them; tests/Stratus.Server.Tests/Imds covers it.)"""
import os
import stat
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import free_port


def _request(method: str, url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_metadata_port_serves_no_one_but_guests_and_not_the_api(server_factory):
    port = free_port()
    srv = server_factory(extra_args=["--metadata-port", str(port)])
    with open(srv.log_path, encoding="utf-8") as f:
        assert f"instance metadata service on port {port}" in f.read()
    base = f"http://127.0.0.1:{port}"
    # The mock runtime runs no guests, so no caller is known: nothing is served.
    status, _ = _request("PUT", base + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert status == 404
    assert _request("GET", base + "/latest/meta-data/instance-id")[0] == 404
    # The EC2 API is not on the metadata port, even signed.
    ec2 = srv.ec2(endpoint_url=base)
    with pytest.raises(ClientError) as caught:
        ec2.describe_regions()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert _request("GET", base + "/_stratus/health")[0] == 404
    # ...and IMDS is not on the API port.
    assert _request("GET", srv.endpoint + "/latest/meta-data/instance-id")[0] != 200
    # The API still works.
    assert srv.ec2().describe_regions()["Regions"]


def test_identity_certificate_and_keys_under_the_data_dir(server_factory):
    srv = server_factory()
    status, pem = _request("GET", srv.endpoint + "/_stratus/imds/certificate")
    assert status == 200
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    imds = os.path.join(srv.data_dir, "imds")
    with open(os.path.join(imds, "identity-cert.pem"), "rb") as f:
        assert f.read() == pem
    for secret in ("secret.bin", "identity-key.pem"):
        mode = stat.S_IMODE(os.stat(os.path.join(imds, secret)).st_mode)
        assert mode & 0o077 == 0, f"{secret} is readable by others: {oct(mode)}"
    out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem, capture_output=True, check=True)
    assert b"Stratus" in out.stdout
    # The same certificate after a restart (documents signed before stay verifiable).
    srv.restart()
    assert _request("GET", srv.endpoint + "/_stratus/imds/certificate") == (200, pem)


def test_default_metadata_port_and_off(server_factory):
    srv = server_factory()
    with open(srv.log_path, encoding="utf-8") as f:
        assert "instance metadata service on port " in f.read()
    off = server_factory(extra_args=["--metadata-port", "0"])
    with open(off.log_path, encoding="utf-8") as f:
        assert "instance metadata service off" in f.read()


def test_invalid_metadata_port_is_refused(server_factory):
    srv = server_factory(start=False)
    p = subprocess.run([srv.binary, "serve", "--data-dir", srv.data_dir, "--no-profile", "--urls", "http://127.0.0.1:0",
                        "--metadata-port", "70000"], capture_output=True, text=True, timeout=60, env=srv.env())
    assert p.returncode == 2
    assert "--metadata-port" in p.stderr
