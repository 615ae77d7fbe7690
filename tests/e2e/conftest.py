"""Fixtures of the Stratus end-to-end suite.

Every test here drives a real `stratus serve` process, started on a free loopback port with a
temporary data directory and a temporary HOME (the server writes its `stratus` AWS CLI profile
into $HOME/.aws), with real clients: boto3/botocore and the aws CLI.

Nothing is skipped: a missing binary, boto3 or aws CLI fails the tests that need them.
Traffic only ever goes to 127.0.0.1.
"""

from __future__ import annotations

import atexit
import configparser
import datetime as _dt
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

# boto3/botocore are hard prerequisites: an ImportError here fails the whole suite (no skip).
import boto3
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_BIN = os.path.join(REPO_ROOT, "src", "Stratus.Cli", "bin", "Release", "net10.0", "stratus")
API_VERSION = "2016-11-15"
PROFILE = "stratus"
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2",
]
HEALTH_TIMEOUT = 60.0

# Keep the test process itself away from any real AWS configuration, metadata service or proxy.
for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
_NOWHERE = os.path.join(tempfile.gettempdir(), "stratus-e2e-no-such-aws-file")
os.environ["AWS_CONFIG_FILE"] = _NOWHERE
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = _NOWHERE

# A urllib opener that never uses a proxy: raw requests go straight to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_ALL_PIDS: set[int] = set()  # every server pid this suite started and has not reaped yet
_ACTIVE: list["StratusServer"] = []  # servers currently up (their log tail is shown on failure)


def _kill_leftovers():
    for pid in list(_ALL_PIDS):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        _unregister(pid)


# --------------------------------------------------------------------------------------------
# Parallel runs (pytest-xdist) and the servers a crashed worker leaves behind
# --------------------------------------------------------------------------------------------

# The run's server registry: one file per live `stratus serve` this run started (named by pid,
# holding its data directory), in a directory the controlling pytest process creates and hands
# to its workers through the environment. A worker that dies (crash, OOM kill) cannot run its
# fixtures' teardown; the controller then stops what the worker left, gracefully (SIGTERM: the
# server removes its namespaces, links, nftables tables, guests and mounts itself) and SIGKILL
# after a grace period, and reports it.
_REGISTRY_ENV = "STRATUS_E2E_SERVER_REGISTRY"


def _is_xdist_worker() -> bool:
    return "PYTEST_XDIST_WORKER" in os.environ


def _register(pid: int, data_dir: str):
    registry = os.environ.get(_REGISTRY_ENV)
    if registry and os.path.isdir(registry):
        with open(os.path.join(registry, str(pid)), "w") as f:
            f.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {data_dir}\n")


def _unregister(pid: int):
    registry = os.environ.get(_REGISTRY_ENV)
    if registry:
        try:
            os.unlink(os.path.join(registry, str(pid)))
        except OSError:
            pass


def _is_our_server(pid: int, data_dir: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().split(b"\0")
    except OSError:
        return False
    return b"serve" in cmd and data_dir.encode() in cmd


def _stop_orphans(registry: str) -> list[str]:
    """Stops every server a worker registered and did not stop itself; returns what it found."""
    found = []
    for name in sorted(os.listdir(registry)):
        try:
            pid = int(name)
            with open(os.path.join(registry, name)) as f:
                worker, data_dir = f.read().strip().split(" ", 1)
        except (ValueError, OSError):
            continue
        if _is_our_server(pid, data_dir):
            found.append(f"pid {pid} (worker {worker}, data dir {data_dir})")
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                continue
            deadline = time.monotonic() + 30
            while _is_our_server(pid, data_dir) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _is_our_server(pid, data_dir):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    return found


def pytest_configure(config):
    if not _is_xdist_worker() and not os.environ.get(_REGISTRY_ENV):
        # Set before xdist starts its workers, so they inherit it.
        registry = tempfile.mkdtemp(prefix="stratus-e2e-servers-")
        os.environ[_REGISTRY_ENV] = registry
        config._stratus_registry = registry


def pytest_unconfigure(config):
    registry = getattr(config, "_stratus_registry", None)
    if registry is None:
        return
    left = _stop_orphans(registry)
    if left:
        # Loud: a worker died with servers up (their own teardown never ran).
        print("\nstratus e2e: stopped servers a worker left running: " + "; ".join(left), flush=True)
    shutil.rmtree(registry, ignore_errors=True)


# Seconds each module took in the last full CI run (sequentially). Modules are started slowest
# first so the long ones do not end up last on one worker; a module not listed counts as
# DEFAULT_MODULE_SECONDS. Update the figures from `scripts/summarize_tests.py` when a module
# grows or a new slow one is added.
MODULE_SECONDS = {
    "test_real_instances.py": 187, "test_cloudwatch_guests.py": 166, "test_autoscaling_cpu.py": 156,
    "test_cloudwatch_agent.py": 152, "test_autoscaling.py": 135, "test_cloud_init.py": 99,
    "test_autoscaling_extras.py": 86, "test_security_groups.py": 85, "test_ansible.py": 74,
    "test_ebs.py": 74, "test_instances.py": 61, "test_elbv2.py": 58, "test_microvm_network.py": 56,
    "test_console.py": 51, "test_spot.py": 51, "test_cloudwatch.py": 44, "test_storage_ops.py": 38,
    "test_transit_gateway_api.py": 33, "test_cross_vpc_ipv6.py": 32,
    "test_transit_gateway_connect_bgp.py": 27, "test_first_start.py": 26, "test_compute_ops.py": 25,
    "test_fleets.py": 24, "test_transit_gateway_peering.py": 24, "test_transit_gateway.py": 23,
    "test_vpc_connectivity_api.py": 23, "test_addresses.py": 22, "test_durability.py": 22,
    "test_lb_vpc.py": 21, "test_ipv6_egress.py": 20, "test_vpc_peering_cross.py": 20,
    "test_autoscaling_policies.py": 18, "test_ec2_fidelity.py": 18, "test_ipv6.py": 18,
    "test_private_nat.py": 18, "test_nat_peering.py": 17, "test_ec2_remaining.py": 16,
    "test_keypairs.py": 15, "test_cli.py": 14, "test_flow_logs.py": 14,
    "test_source_dest_check.py": 14, "test_compute_extras.py": 13, "test_prefix_lists.py": 13,
    "test_securitygroups.py": 13, "test_instance_firmware.py": 11, "test_vpc.py": 11,
    "test_iam.py": 10, "test_logs.py": 10, "test_reservations_market.py": 10,
    "test_cloudwatch_service_metrics.py": 9, "test_replace_root_real.py": 9,
    "test_sts_quotas.py": 9, "test_placement.py": 8, "test_iam_guests.py": 7, "test_gateway.py": 6,
    "test_imds.py": 6, "test_operability.py": 6, "test_seed_boto3.py": 6, "test_semantics.py": 6,
    "test_server_options.py": 6, "test_images.py": 4, "test_instancetypes.py": 4,
    "test_launchtemplates.py": 4, "test_default_vpc.py": 3, "test_regions.py": 3, "test_auth.py": 2,
}
DEFAULT_MODULE_SECONDS = 30

# Modules that boot real guests (container or microVM runtime) form one xdist group, run by one
# worker after another: two servers on one host draw public addresses at random from the same
# region block (198.18.0.0/15), so two guests at once could get the same address and the host's
# /32 route would follow whichever server installed it last; and microVMs under TCG are
# CPU-bound. Such a module declares `pytestmark = pytest.mark.xdist_group(GUESTS_GROUP)`;
# `StratusServer.start` refuses a real runtime in a module outside the group.
GUESTS_GROUP = "guests"
_MODULE_GROUPS: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """Every module is one xdist group (its own, or a shared one such as GUESTS_GROUP), so
    `--dist loadgroup` never splits a module (its module-scoped server is started once); groups
    are ordered slowest first (the schedulers hand out work in collection order)."""
    groups: dict[str, list] = {}
    for item in items:
        module = os.path.basename(str(item.fspath))
        mark = item.get_closest_marker("xdist_group")
        group = (mark.args[0] if mark.args else mark.kwargs.get("name", "default")) if mark else module
        if not mark:
            item.add_marker(pytest.mark.xdist_group(module))
        _MODULE_GROUPS[module] = group
        groups.setdefault(group, []).append(item)

    def seconds(group_items) -> float:
        modules = {os.path.basename(str(i.fspath)) for i in group_items}
        return sum(MODULE_SECONDS.get(m, DEFAULT_MODULE_SECONDS) for m in modules)

    ordered = sorted(groups.values(), key=seconds, reverse=True)  # stable: equal groups keep their order
    items[:] = [item for group_items in ordered for item in group_items]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    """Reports name a test by its own id: `loadgroup` appends `@<group>` to the ids it schedules
    by; the JUnit XML, the failure summary and the per-module times use the plain one (in the
    controlling process only: a worker matches its reports to its items by the scheduled id)."""
    if _is_xdist_worker():
        return
    at = report.nodeid.rfind("@")
    if at > report.nodeid.rfind("]"):
        report.nodeid = report.nodeid[:at]


def _current_module() -> str | None:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return os.path.basename(current.split("::", 1)[0]) if current else None


def _require_guests_group(extra_args):
    args = list(extra_args)
    runtime = args[args.index("--runtime") + 1] if "--runtime" in args and args.index("--runtime") + 1 < len(args) else "mock"
    module = _current_module()
    if runtime == "mock" or module is None or module not in _MODULE_GROUPS:
        return
    if _MODULE_GROUPS[module] != GUESTS_GROUP:
        pytest.fail(f"{module} starts a server with --runtime {runtime} (real guests) but is not in the "
                    f"'{GUESTS_GROUP}' xdist group: add `pytestmark = pytest.mark.xdist_group(\"{GUESTS_GROUP}\")` "
                    "(see tests/e2e/README.md, 'Parallel runs')", pytrace=False)


atexit.register(_kill_leftovers)


_PLAIN_SESSION = None


def _plain_session():
    """A boto3 session that reads no AWS config files (keys and endpoint are passed explicitly)."""
    global _PLAIN_SESSION
    if _PLAIN_SESSION is None:
        bs = botocore.session.Session()
        bs.set_config_variable("config_file", _NOWHERE)
        bs.set_config_variable("credentials_file", _NOWHERE)
        _PLAIN_SESSION = boto3.Session(botocore_session=bs)
    return _PLAIN_SESSION


def stratus_bin() -> str:
    path = os.environ.get("STRATUS_BIN") or DEFAULT_BIN
    if not os.path.isabs(path):
        path = os.path.join(REPO_ROOT, path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"stratus binary not found or not executable at {path}.\n"
            "Build it first:  dotnet build src/Stratus.Cli -c Release\n"
            "(or point STRATUS_BIN at it).",
            pytrace=False,
        )
    return path


def aws_cli() -> str:
    path = shutil.which("aws")
    if not path:
        pytest.fail("the aws CLI is not on PATH (it is a prerequisite of the e2e suite)", pytrace=False)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Raw HTTP (for what SDKs will not send: unsigned, tampered, expired, unknown parameters ...)
# --------------------------------------------------------------------------------------------

def sigv4_sign(method: str, url: str, body: bytes, headers: dict, credentials: Credentials, service: str,
               region: str, when: _dt.datetime, presign_expires: int | None = None) -> tuple[str, dict]:
    """Sign a request with AWS Signature Version 4 as of `when` (UTC), by the specification.

    Tests that need a signature made at a chosen time (clock skew, expired presigned URLs) use
    this rather than patching botocore's clock: botocore reads the time differently across
    versions (`datetime.utcnow()` in Debian's 1.29, `get_current_datetime()` in 1.31+), so a
    patch of one silently signs with the real time under the other. Returns (url, headers);
    with `presign_expires` the signature goes into the URL's query string.
    """
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    stamp, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers)
    headers["Host"] = parts.netloc
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if presign_expires is not None:
        query += [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{credentials.access_key}/{scope}"),
                  ("X-Amz-Date", stamp), ("X-Amz-Expires", str(presign_expires)), ("X-Amz-SignedHeaders", "host")]
        signed = {"host": parts.netloc}
    else:
        headers["X-Amz-Date"] = stamp
        signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    enc = lambda v: urllib.parse.quote(v, safe="-_.~")  # noqa: E731
    canonical_query = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in query))
    names = sorted(signed)
    canonical = "\n".join([method, parts.path or "/", canonical_query,
                           "".join(f"{n}:{signed[n]}\n" for n in names), ";".join(names),
                           hashlib.sha256(body or b"").hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + credentials.secret_key).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if presign_expires is not None:
        query.append(("X-Amz-Signature", signature))
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/",
                                        urllib.parse.urlencode(query, quote_via=urllib.parse.quote), "")), headers
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return url, headers


@dataclass
class RawResponse:
    status: int
    body: str
    headers: dict

    @property
    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    @property
    def code(self) -> str | None:
        try:
            el = self.xml.find("./Errors/Error/Code")
        except ET.ParseError:
            return None
        return el.text if el is not None else None

    @property
    def message(self) -> str | None:
        try:
            el = self.xml.find("./Errors/Error/Message")
        except ET.ParseError:
            return None
        return el.text if el is not None else None

    def __repr__(self):
        return f"RawResponse(status={self.status}, body={self.body[:600]!r})"


def http_send(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
              timeout: float = 30) -> RawResponse:
    assert urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "localhost"), url
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return RawResponse(resp.status, resp.read().decode("utf-8", "replace"), dict(resp.headers))
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, e.read().decode("utf-8", "replace"), dict(e.headers))


def wait_until(check, timeout: float, what: str):
    """Polls `check` until it returns something truthy and returns that; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what}: not reached within {timeout}s (last: {last!r})")


def strip_ns(root: ET.Element) -> ET.Element:
    """Drop XML namespaces in place so ElementTree paths stay readable."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return root


# --------------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------------

class StratusServer:
    """One `stratus serve` process (and the restarts of it) on its own data dir and HOME."""

    def __init__(self, binary: str, root: str, name: str = "stratus", extra_args=()):
        self.binary = binary
        self.root = root
        self.name = name
        self.data_dir = os.path.join(root, "data")
        self.home = os.path.join(root, "home")
        self.log_path = os.path.join(root, "server.log")
        os.makedirs(self.home, exist_ok=True)
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.starts = 0
        self._profile_session = None

    # ---- lifecycle ----------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["HOME"] = self.home
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self.starts == 0:
            _require_guests_group(self.extra_args)
        for attempt in range(3):
            self._spawn()
            # A free port picked by binding port 0 can be taken by another process (another
            # worker's server, an outgoing connection) before the server binds it: on the first
            # start (nothing was told the port yet) try again on another one.
            if self.starts == 1 and attempt < 2 and self._exited_early() and "address already in use" in self.log_tail().lower():
                self.port = free_port()
                self.starts = 0
                continue
            break
        self.wait_healthy()
        return self

    def _exited_early(self, within: float = HEALTH_TIMEOUT) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reap(1)
                return True
            try:
                if http_send("GET", self.endpoint + "/_stratus/health", timeout=2).status == 200:
                    return False
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                pass
            time.sleep(0.1)
        return False

    def _spawn(self):
        self._profile_session = None
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start #{self.starts + 1} on port {self.port} =====\n".encode())
        self._log.flush()
        # API tests run on the mock runtime; the real-instance modules ask for a runtime themselves.
        runtime = [] if "--runtime" in self.extra_args else ["--runtime", "mock"]
        args = [self.binary, "serve", "--urls", self.endpoint, "--data-dir", self.data_dir, *runtime, *self.extra_args]
        self.proc = subprocess.Popen(
            args, env=self.env(), cwd=self.root, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        _ALL_PIDS.add(self.proc.pid)
        _register(self.proc.pid, self.data_dir)
        self.starts += 1
        if self not in _ACTIVE:
            _ACTIVE.append(self)

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"stratus serve exited with code {self.proc.returncode} before becoming healthy.\n"
                            f"--- server log tail ---\n{self.log_tail()}", pytrace=False)
            try:
                r = http_send("GET", self.endpoint + "/_stratus/health", timeout=2)
                if r.status == 200:
                    assert json.loads(r.body)["status"] == "ready", f"health answered {r!r}"
                    return
                last = r
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
                last = e
            time.sleep(0.1)
        pytest.fail(f"stratus serve did not become healthy within {timeout}s (last: {last!r}).\n"
                    f"--- server log tail ---\n{self.log_tail()}", pytrace=False)

    def _reap(self, timeout: float) -> int | None:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        _ALL_PIDS.discard(self.proc.pid)
        _unregister(self.proc.pid)
        if self._log:
            self._log.close()
            self._log = None
        return rc

    def stop(self, timeout: float = 15.0) -> int | None:
        """Graceful stop (SIGTERM); SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self._reap(0.1)
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc = self._reap(timeout)
        if rc is None:
            self.proc.kill()
            self._reap(10)
            raise AssertionError(f"stratus serve (pid {self.proc.pid}) ignored SIGTERM for {timeout}s")
        return rc

    def kill9(self):
        """SIGKILL the server process (only the pid this fixture started)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self._reap(10)

    def restart(self, graceful: bool = True):
        if graceful:
            self.stop()
        else:
            self.kill9()
        self.start()
        return self

    def close(self):
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self.stop(timeout=10)
                except AssertionError:
                    pass
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self._reap(10)
            if self in _ACTIVE:
                _ACTIVE.remove(self)

    def log_tail(self, lines: int = 60) -> str:
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except OSError:
            return "(no server log)"
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])

    # ---- the profile the server wrote ---------------------------------------------------

    @property
    def config_file(self) -> str:
        return os.path.join(self.home, ".aws", "config")

    @property
    def credentials_file(self) -> str:
        return os.path.join(self.home, ".aws", "credentials")

    def profile_config(self) -> dict:
        cp = configparser.RawConfigParser()
        assert cp.read(self.config_file), f"{self.config_file} was not written"
        section = f"profile {PROFILE}"
        assert cp.has_section(section), f"[{section}] missing from {self.config_file}"
        return dict(cp.items(section))

    @property
    def credentials(self) -> Credentials:
        cp = configparser.RawConfigParser()
        assert cp.read(self.credentials_file), f"{self.credentials_file} was not written"
        assert cp.has_section(PROFILE), f"[{PROFILE}] missing from {self.credentials_file}"
        return Credentials(cp.get(PROFILE, "aws_access_key_id"), cp.get(PROFILE, "aws_secret_access_key"))

    # ---- clients ------------------------------------------------------------------------

    def ec2(self, region: str | None = None, *, credentials: Credentials | dict | None = None,
            config: Config | None = None, **kw):
        """A boto3 EC2 client.

        Without `credentials` it is built only from the `stratus` profile the server wrote
        (endpoint_url, region and keys all come from $HOME/.aws of the server's HOME).
        With `credentials` (a Credentials or the JSON of `stratus account create`) it uses those
        keys and the server's endpoint explicitly.
        """
        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
        if config is not None:
            cfg = cfg.merge(config)
        if credentials is None:
            if self._profile_session is None:
                # One session (its parsed profile and loaded service model) per server start;
                # restart() drops it so the files are read again.
                bs = botocore.session.Session()
                bs.set_config_variable("config_file", self.config_file)
                bs.set_config_variable("credentials_file", self.credentials_file)
                self._profile_session = boto3.Session(botocore_session=bs, profile_name=PROFILE)
            return self._profile_session.client("ec2", region_name=region, config=cfg, **kw)
        if isinstance(credentials, dict):
            credentials = Credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"])
        return _plain_session().client(
            "ec2", region_name=region or "us-east-1", endpoint_url=self.endpoint, config=cfg,
            aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key, **kw)

    def client(self, service: str, region: str = "us-east-1", **kw):
        """A boto3 client of any service, with this server's endpoint and account keys given explicitly."""
        creds = self.credentials
        return _plain_session().client(
            service, region_name=region, endpoint_url=self.endpoint,
            aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}), **kw)

    def cli(self, *args: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run `aws ARGS...` exactly as a user would, with HOME set to the server's HOME."""
        cmd = [aws_cli(), *args]
        p = subprocess.run(cmd, env=self.env(), cwd=self.root, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def cli_json(self, *args: str):
        p = self.cli(*args, "--output", "json", check=True)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def create_account(self, name: str, account_id: str | None = None) -> dict:
        extra = ["--account-id", account_id] if account_id else []
        p = subprocess.run([self.binary, "account", "create", "--data-dir", self.data_dir, "--name", name, *extra],
                           env=self.env(), cwd=self.root, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 0, f"stratus account create exited {p.returncode}: {p.stderr}\n{p.stdout}"
        out = json.loads(p.stdout)
        for k in ("AccountId", "Name", "AccessKeyId", "SecretAccessKey"):
            assert k in out, f"`stratus account create` output lacks {k}: {p.stdout}"
        return out

    # ---- raw signed requests ------------------------------------------------------------

    def raw(self, params: dict | None, *, region: str = "us-east-1", credentials: Credentials | None = None,
            method: str = "POST", sign: bool = True, when: _dt.datetime | None = None,
            tamper=None, version: str | None = API_VERSION) -> RawResponse:
        """Send an EC2 Query request by hand, SigV4-signed with botocore's signer.

        `when` signs as of that (UTC) time; `tamper(prepared_body) -> body` changes the body
        after signing.
        """
        params = dict(params or {})
        if version is not None:
            params.setdefault("Version", version)
        qs = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        headers = {}
        if method == "GET":
            url, data = self.endpoint + "/?" + qs, None
        else:
            url, data = self.endpoint + "/", qs.encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        if sign and when is not None:
            url, headers = sigv4_sign(method, url, data or b"", headers, credentials or self.credentials, "ec2", region, when)
            body = tamper(data or b"") if tamper is not None else data
            return http_send(method, url, body, headers)
        req = AWSRequest(method=method, url=url, data=data, headers=headers)
        if sign:
            botocore.auth.SigV4Auth(credentials or self.credentials, "ec2", region).add_auth(req)
        prepared = req.prepare()
        body = prepared.body
        if isinstance(body, str):
            body = body.encode()
        if tamper is not None:
            body = tamper(body)
        return http_send(method, prepared.url, body, dict(prepared.headers))


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def stratus_binary() -> str:
    return stratus_bin()


@pytest.fixture(scope="session")
def aws_cli_path() -> str:
    return aws_cli()


class ServerFactory:
    def __init__(self, binary: str, tmp_root: str):
        self.binary = binary
        self.tmp_root = tmp_root
        self.servers: list[StratusServer] = []

    def __call__(self, name: str = "stratus", extra_args=(), start: bool = True) -> StratusServer:
        root = tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp_root)
        srv = StratusServer(self.binary, root, name, extra_args)
        self.servers.append(srv)
        if start:
            srv.start()
        return srv

    def close(self):
        for srv in self.servers:
            srv.close()


@pytest.fixture
def server_factory(stratus_binary, tmp_path):
    """Start extra, test-private servers (restart/kill tests); all are stopped at teardown."""
    factory = ServerFactory(stratus_binary, str(tmp_path))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="module")
def server(stratus_binary, tmp_path_factory, request):
    """One server per test module. A module that sets MOCK_BOOT_SECONDS gets a mock runtime that
    boots and shuts instances down that fast (instance tests keep their waits short)."""
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp(request.module.__name__.split(".")[-1])))
    boot = getattr(request.module, "MOCK_BOOT_SECONDS", None)
    try:
        yield factory(extra_args=[] if boot is None else ["--mock-boot-seconds", str(boot)])
    finally:
        factory.close()


# The Auto Scaling modules (test_autoscaling.py, test_autoscaling_policies.py) share one server:
# mock runtime with short boots, alarms evaluated and metrics collected every second.
AUTOSCALING_ARGS = ["--alarm-evaluation-seconds", "1", "--metrics-interval-seconds", "1", "--mock-boot-seconds", "0.2"]


@pytest.fixture(scope="session")
def autoscaling_server(stratus_binary, tmp_path_factory):
    """One server for the Auto Scaling modules (their groups, templates and alarms have distinct names)."""
    factory = ServerFactory(stratus_binary, str(tmp_path_factory.mktemp("autoscaling")))
    try:
        yield factory(name="stratus-autoscaling", extra_args=AUTOSCALING_ARGS)
    finally:
        factory.close()


@pytest.fixture(scope="module")
def ec2(server):
    return server.ec2()


@pytest.fixture(scope="module")
def ami(ec2):
    """The catalog's minimal x86_64 image in the client's region."""
    return minimal_ami(ec2)


# Waiter settings for the mock runtime's quick transitions.
FAST = {"Delay": 1, "MaxAttempts": 30}


def minimal_ami(client) -> str:
    images = client.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["stratus-minimal-*-x86_64"]}])["Images"]
    assert len(images) == 1, images
    return images[0]["ImageId"]


# Show the tail of each running server's log when a test fails.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _ACTIVE:
        for srv in _ACTIVE:
            rep.sections.append((f"stratus server log tail ({srv.name}, pid {srv.pid}, {srv.log_path})",
                                 srv.log_tail(40)))


# --------------------------------------------------------------------------------------------
# Helpers shared by the test modules
# --------------------------------------------------------------------------------------------

def error_of(excinfo) -> tuple[str, str, int]:
    """(code, message, http status) of a botocore ClientError."""
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"].get("Message", ""), r["ResponseMetadata"]["HTTPStatusCode"]


def code_of(fn, *args, **kwargs) -> str:
    """The error code of a call that must fail with a botocore ClientError."""
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        fn(*args, **kwargs)
    return error_of(e)[0]


def until(check, what: str, timeout: float = 15.0):
    """wait_until with the description first: polls `check` until it returns something truthy."""
    return wait_until(check, timeout, what)


def default_vpc(client) -> dict:
    vpcs = client.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    return vpcs[0]


def tags_dict(resource: dict) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}
